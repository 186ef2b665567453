#![no_main]
// symphonia can panic on hostile input; speech-audio catches those panics and reports a decode error. The
// default hook would print (and libFuzzer's would abort) before the catch, so it is silenced: a panic that
// escapes speech-audio still ends the run, as libfuzzer-sys aborts on any panic leaving the target.
libfuzzer_sys::fuzz_target!(
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| speech_audio::__fuzz::decode(data)
);
