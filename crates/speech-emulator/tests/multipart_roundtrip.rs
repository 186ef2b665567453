//! The client's multipart encoder (`speech_proto::stt::fast::Multipart`) against the emulator's strict parser:
//! the committed corpus of the `multipart_roundtrip` fuzz target replayed on stable, and a property test that
//! any definition, file name, boundary and audio round-trip, however the audio is split into reads.

use proptest::prelude::*;
use speech_proto::stt::fast::Multipart;

fn encode(definition: &str, filename: &str, entropy: u128) -> (String, Vec<u8>, Vec<u8>) {
    let m = Multipart::new(definition, filename, entropy);
    let content_type = m.content_type().to_str().unwrap_or_default().to_owned();
    (content_type, m.preamble().to_vec(), m.epilogue().to_vec())
}

#[test]
fn the_fuzz_corpus_round_trips() {
    let dir = speech_emulator::fixtures::repo_path("fuzz/corpus/multipart_roundtrip");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let data = std::fs::read(entry.expect("an entry").path()).expect("a seed");
        speech_emulator::multipart::__fuzz_roundtrip(&data, encode);
        count += 1;
    }
    assert!(count >= 5, "only {count} seeds in {}", dir.display());
}

proptest! {
    #[test]
    fn anything_round_trips(
        definition in "\\PC{0,60}",
        filename in "\\PC{0,30}",
        entropy in any::<u128>(),
        audio in proptest::collection::vec(any::<u8>(), 0..2_000),
    ) {
        let mut data = vec![definition.len().min(255) as u8];
        data.extend_from_slice(&definition.as_bytes()[..definition.len().min(255)]);
        data.push(filename.len().min(255) as u8);
        data.extend_from_slice(&filename.as_bytes()[..filename.len().min(255)]);
        data.extend_from_slice(&entropy.to_le_bytes());
        data.extend_from_slice(&audio);
        speech_emulator::multipart::__fuzz_roundtrip(&data, encode);
    }
}
