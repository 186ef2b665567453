#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| speech_proto::__fuzz::translation_json(data, std::time::Instant::now()));
