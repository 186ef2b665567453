#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| speech_proto::__fuzz::stream_frame(data, std::time::Instant::now()));
