//! The main job: `speech transcribe examples/audio/jfk.wav` with no credentials at all transcribes the JFK
//! recording with the embedded emulator's real offline recognizer (Whisper base by default), and says that it does.
//!
//! Needs the `whisper` feature and the model (`bash scripts/setup.sh`).

#![cfg(whisper_engine)]

mod common;

use common::{run, speech};

#[test]
fn transcribes_jfk_offline_with_no_credentials() {
    let jfk = speech_emulator::fixtures::repo_path("examples/audio/jfk.wav");
    assert!(jfk.is_file(), "missing {}", jfk.display());
    let r = run(speech().arg("transcribe").arg(&jfk));
    assert_eq!(r.code, 0, "{r:?}");
    let text: String = r
        .stdout
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    let expected = [
        "ask", "not", "what", "your", "country", "can", "do", "for", "you",
    ];
    assert!(
        words.windows(expected.len()).any(|w| w == expected),
        "the JFK words are missing from {:?}",
        r.stdout
    );
    assert!(
        r.stderr.contains("no Azure credentials")
            && r.stderr
                .contains("using the embedded offline emulator at http://127.0.0.1:"),
        "{r:?}"
    );
}
