//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/*`) through the very functions the cargo-fuzz
//! targets call (`speech_proto::__fuzz`), on the stable toolchain, so that every seed and every minimised
//! crash that was ever committed is checked by `cargo test`.

use std::path::PathBuf;

/// The corpus of `target`, found from the crate directory the test runner gives before the one this was compiled
/// in (a shared target directory can hold a binary compiled in another clone).
fn corpus_dir(target: &str) -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    crate_dir.join("../../fuzz/corpus").join(target)
}

fn replay(target: &str, run: fn(&[u8])) {
    let dir = corpus_dir(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", dir.display()));
    let mut count = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        run(&data);
        count += 1;
    }
    assert!(
        count >= 10,
        "{target}: only {count} seeds in {}; keep at least 10 (scripts/gen-fuzz-seeds.py)",
        dir.display()
    );
}

#[test]
fn wav_header() {
    replay("wav_header", speech_proto::__fuzz::wav_header);
}

#[test]
fn recognition_json() {
    replay("recognition_json", speech_proto::__fuzz::recognition_json);
}

#[test]
fn fast_transcription_json() {
    replay(
        "fast_transcription_json",
        speech_proto::__fuzz::fast_transcription_json,
    );
}

#[test]
fn voices_json() {
    replay("voices_json", speech_proto::__fuzz::voices_json);
}

#[test]
fn error_body() {
    replay("error_body", speech_proto::__fuzz::error_body);
}

#[test]
fn token_response() {
    replay("token_response", speech_proto::__fuzz::token_response);
}

#[test]
fn response_head() {
    replay("response_head", speech_proto::__fuzz::response_head);
}

#[test]
fn chunked_decoder() {
    replay("chunked_decoder", speech_proto::__fuzz::chunked_decoder);
}

#[test]
fn stream_frame() {
    replay("stream_frame", |d| {
        speech_proto::__fuzz::stream_frame(d, std::time::Instant::now())
    });
}

#[test]
fn stream_service_json() {
    replay("stream_service_json", |d| {
        speech_proto::__fuzz::stream_service_json(d, std::time::Instant::now())
    });
}

#[test]
fn synthesis_frame() {
    replay("synthesis_frame", |d| {
        speech_proto::__fuzz::synthesis_frame(d, std::time::Instant::now())
    });
}

#[test]
fn synthesis_metadata() {
    replay("synthesis_metadata", |d| {
        speech_proto::__fuzz::synthesis_metadata(d, std::time::Instant::now())
    });
}

#[test]
fn translation_json() {
    replay("translation_json", |d| {
        speech_proto::__fuzz::translation_json(d, std::time::Instant::now())
    });
}

#[test]
fn proxy_answer() {
    replay("proxy_answer", speech_proto::__fuzz::proxy_answer);
}
