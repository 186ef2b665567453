//! The client's multipart encoder against the emulator's strict parser: see
//! `speech_emulator::multipart::__fuzz_roundtrip` (replayed on stable by
//! `crates/speech-emulator/tests/multipart_roundtrip.rs`).
#![no_main]

#[path = "../../crates/speech-emulator/src/multipart.rs"]
#[allow(dead_code)]
mod multipart;

use speech_proto::stt::fast::Multipart;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    multipart::__fuzz_roundtrip(data, |definition, filename, entropy| {
        let m = Multipart::new(definition, filename, entropy);
        let content_type = m.content_type().to_str().unwrap_or_default().to_owned();
        (content_type, m.preamble().to_vec(), m.epilogue().to_vec())
    });
});
