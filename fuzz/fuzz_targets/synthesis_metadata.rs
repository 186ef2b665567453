#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| speech_proto::__fuzz::synthesis_metadata(data, std::time::Instant::now()));
