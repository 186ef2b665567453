//! Replays the committed corpus of the `audio_decoder` fuzz target (`fuzz/corpus/audio_decoder/*`: WAV of every
//! codec and width, FLAC, Ogg/Vorbis, truncated and hostile headers, garbage) through the very function the
//! target calls, on the stable toolchain.

use std::path::PathBuf;

#[test]
fn audio_decoder() {
    // The crate directory the test runner gives, before the one this was compiled in (a shared target directory
    // can hold a binary compiled in another clone).
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let dir = crate_dir.join("../../fuzz/corpus/audio_decoder");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        speech_audio::__fuzz::decode(&data);
        count += 1;
    }
    assert!(count >= 10, "only {count} seeds in {}", dir.display());
}
