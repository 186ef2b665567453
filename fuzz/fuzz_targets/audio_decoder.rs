#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| speech_audio::__fuzz::decode(data));
