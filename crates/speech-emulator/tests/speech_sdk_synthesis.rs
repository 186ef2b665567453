//! The emulator serves Microsoft's own Speech SDKs' synthesis unchanged, each from the throwaway environment
//! `scripts/setup.sh` makes: `azure-cognitiveservices-speech` 1.53.0 for Python
//! (`SpeechConfig(host="ws://127.0.0.1:PORT", subscription=KEY)`, `scripts/speech-sdk-synthesize.py`) and
//! `microsoft-cognitiveservices-speech-sdk` 1.52.0 for JavaScript on Node.js (`SpeechConfig.fromHost`,
//! `scripts/speech-sdk-synthesize.js`). Each, with word-boundary, bookmark and viseme handlers attached,
//! synthesizes twice on one synthesizer over the WebSocket protocol, with the real offline engine (flite for
//! English): both complete with their audio; word boundaries arrive for every word, in order, with increasing
//! offsets inside the audio; the bookmark fires where its word starts; visemes arrive; one connection serves
//! both. The Python SDK raises its events on its own threads, at times after the result is ready, so its script
//! files them by `result_id` and waits for them to settle.

mod common;

use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use speech_emulator::engines::system_tts::SystemTts;
use speech_emulator::{Emulator, EmulatorHandle};

const TEXT: &str = "Hello there, my friend. This is the second sentence.";
const SSML: &str = "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>\
                    <voice name='en-US-AvaNeural'>Slides first. <bookmark mark='next'/>Then questions.</voice></speak>";

fn emulator() -> EmulatorHandle {
    let tts = SystemTts::detect().expect("flite, Pico or espeak-ng: run scripts/setup.sh");
    Emulator::builder()
        .key("sdk-key")
        .synthesizer(Arc::new(tts))
        .start_blocking()
        .expect("emulator starts")
}

/// Run an SDK's script (`command`, all but the script's own arguments) against `emu`; check what it printed.
/// `word` is how the SDK names a word boundary's type.
fn speak_twice_and_check(emu: &EmulatorHandle, mut command: Command, word: &str) {
    let host = emu.base_url().replace("http://", "ws://");
    let output = command
        .args([host.as_str(), "sdk-key", "en-US-AvaNeural", TEXT, SSML])
        .output()
        .expect("the SDK's script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(results.len(), 2);
    for (result, words) in results.iter().zip([
        vec![
            "Hello", "there", "my", "friend", "This", "is", "the", "second", "sentence",
        ],
        vec!["Slides", "first", "Then", "questions"],
    ]) {
        assert!(
            result["reason"]
                .as_str()
                .is_some_and(|r| r.ends_with("SynthesizingAudioCompleted")),
            "{result}"
        );
        let audio_ms = result["audio_duration_ms"].as_f64().unwrap();
        // The default format of both SDKs: 16 kHz 16-bit mono with a RIFF header.
        let bytes = result["audio_bytes"].as_f64().unwrap();
        assert!(
            ((bytes - 44.0) / 32.0 - audio_ms).abs() < 5.0,
            "{bytes} bytes, {audio_ms} ms"
        );
        assert!(audio_ms > 1000.0, "{result}");
        let events = result["events"].as_array().unwrap();
        let word_events: Vec<&Value> = events
            .iter()
            .filter(|e| e[0] == "word" && e[5] == word)
            .collect();
        let said: Vec<&str> = word_events.iter().map(|e| e[2].as_str().unwrap()).collect();
        assert_eq!(said, words, "{result}");
        let mut last = -1.0;
        for e in &word_events {
            let offset_ms = e[1].as_f64().unwrap() / 10_000.0;
            assert!(offset_ms > last && offset_ms < audio_ms, "{e}");
            assert!(e[6].as_f64().unwrap() > 50.0, "a word lasts: {e}");
            last = offset_ms;
        }
        assert!(
            events.iter().filter(|e| e[0] == "viseme").count() > words.len(),
            "{result}"
        );
    }
    let second = results[1]["events"].as_array().unwrap();
    let then = second
        .iter()
        .find(|e| e[0] == "word" && e[2] == "Then")
        .unwrap();
    let bookmark = second
        .iter()
        .find(|e| e[0] == "bookmark")
        .expect("the bookmark fired");
    assert_eq!(bookmark[2], "next");
    assert_eq!(
        bookmark[1], then[1],
        "the bookmark is where its word starts"
    );
    // Both syntheses went over one connection.
    let handshakes = emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/cognitiveservices/websocket/v1"))
        .count();
    assert_eq!(handshakes, 1);
}

#[test]
fn the_python_sdk_synthesizes_with_word_boundaries_bookmarks_and_visemes() {
    let emu = emulator();
    let mut command = Command::new(common::venv_python(
        "venv-speech-sdk",
        "azure-cognitiveservices-speech",
    ));
    command.arg(speech_emulator::fixtures::repo_path(
        "scripts/speech-sdk-synthesize.py",
    ));
    speak_twice_and_check(&emu, command, "SpeechSynthesisBoundaryType.Word");
}

#[test]
fn the_javascript_sdk_synthesizes_with_word_boundaries_bookmarks_and_visemes() {
    let emu = emulator();
    let mut command = Command::new("node");
    command
        .env("NODE_PATH", common::speech_sdk_js_modules())
        .arg(speech_emulator::fixtures::repo_path(
            "scripts/speech-sdk-synthesize.js",
        ));
    speak_twice_and_check(&emu, command, "WordBoundary");
    let handshake = emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/cognitiveservices/websocket/v1"))
        .unwrap();
    assert_eq!(handshake.path, "/tts/cognitiveservices/websocket/v1");
}
