//! The emulator serves Microsoft's own Speech SDK unchanged, as a container would: `azure-cognitiveservices-speech`
//! 1.53.0 for Python (in the virtualenv `scripts/setup.sh` makes under the cache directory), with
//! `SpeechConfig(host="ws://127.0.0.1:PORT", subscription=KEY)`, recognizes `examples/audio/jfk.wav` over the
//! WebSocket protocol with `recognize_once()` and with continuous recognition, against the real engine (Whisper
//! base, the default): the expected text, hypotheses before phrases, and a clean `session_stopped` at the end of
//! the file. Continuous recognition cuts the clip at its pauses and hears each phrase after the one before it:
//! no phrase comes back in capitals, and the phrases' words, joined, are those of one decode of the whole clip
//! (case and punctuation aside).
//!
//! The SDK writes the protocol its own way (the `USP` subprotocol, `speech.config` without `X-RequestId`,
//! `speech.context` with `audio.streams`, `X-StreamId` on audio), so this checks the emulator's reading of the
//! spec against Microsoft's writing of it.

#![cfg(whisper_engine)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use speech_emulator::engine::{RecognitionInput, Recognizer, Transcript};
use speech_emulator::engines::whisper::{model_dir, WhisperRecognizer};
use speech_emulator::text::word_errors;
use speech_emulator::Emulator;

const JFK: &str = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for \
                   your country.";

/// The virtualenv's Python.
fn python() -> PathBuf {
    common::venv_python("venv-speech-sdk", "azure-cognitiveservices-speech")
}

fn sdk(host: &str, key: &str, mode: &str) -> Value {
    let output = Command::new(python())
        .arg(speech_emulator::fixtures::repo_path(
            "scripts/speech-sdk-client.py",
        ))
        .args([host, key])
        .arg(speech_emulator::fixtures::repo_path(
            "examples/audio/jfk.wav",
        ))
        .arg(mode)
        .output()
        .expect("the SDK's script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{mode}: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{mode}: not JSON ({e}): {stdout}"))
}

/// A phrase shouted as Whisper writes a fragment decoded alone: two letters or more, all of them capitals.
fn in_capitals(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

/// One decode of the whole JFK clip by `recognizer`.
fn whole_clip(recognizer: &WhisperRecognizer) -> String {
    let path = speech_emulator::fixtures::repo_path("examples/audio/jfk.wav");
    let mut reader = hound::WavReader::open(path).expect("jfk.wav");
    assert_eq!(reader.spec().sample_rate, 16_000);
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .map(|s| s.expect("a sample"))
        .collect();
    match recognizer.recognize(RecognitionInput {
        audio: &samples,
        sample_rate: 16_000,
        language: "en-US",
        previous: None,
        following: &[],
        draft: false,
    }) {
        Ok(Transcript::Text { text, .. }) => text,
        other => panic!("the whole clip: {other:?}"),
    }
}

#[test]
fn microsofts_speech_sdk_recognizes_once_and_continuously() {
    let model = model_dir("base").unwrap_or_else(|e| panic!("{e}"));
    let recognizer = Arc::new(WhisperRecognizer::load(&model).unwrap_or_else(|e| panic!("{e}")));
    let whole = whole_clip(&recognizer);
    let emu = Emulator::builder()
        .recognizer(recognizer)
        .start_blocking()
        .expect("the emulator starts");
    let host = emu.base_url().replace("http://", "ws://");

    // recognize_once(): the first sentence.
    let once = sdk(&host, emu.key(), "once");
    assert_eq!(once["reason"], "ResultReason.RecognizedSpeech", "{once}");
    let text = once["text"].as_str().unwrap_or_default();
    let (errors, _) = word_errors("And so my fellow Americans.", text, "en-US");
    assert!(errors <= 1, "{once}");

    // Continuous recognition: hypotheses, then phrases, the whole text, and a clean end.
    let continuous = sdk(&host, emu.key(), "continuous");
    let events = continuous["events"].as_array().expect("events");
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e[0].as_str().unwrap_or_default())
        .collect();
    let first_hypothesis = kinds.iter().position(|k| *k == "hypothesis");
    let first_phrase = kinds.iter().position(|k| *k == "phrase");
    assert!(
        first_hypothesis.is_some() && first_hypothesis < first_phrase,
        "{continuous}"
    );
    let heard: Vec<&str> = events
        .iter()
        .filter(|e| e[0] == "phrase" && e[3] == "ResultReason.RecognizedSpeech")
        .map(|e| e[1].as_str().unwrap_or_default())
        .collect();
    let (errors, words_in_jfk) = word_errors(JFK, &heard.join(" "), "en-US");
    assert!(
        errors * 10 <= words_in_jfk,
        "WER {errors}/{words_in_jfk}: {heard:?}"
    );
    // Phrases in context: none shouted, and together the words of one decode of the whole clip.
    assert!(
        heard.len() >= 2,
        "the clip was cut at its pauses: {heard:?}"
    );
    assert!(!heard.iter().any(|p| in_capitals(p)), "{heard:?}");
    let (differences, _) = word_errors(&whole, &heard.join(" "), "en-US");
    assert_eq!(differences, 0, "{heard:?} / {whole:?}");
    assert_eq!(kinds.last(), Some(&"session_stopped"), "{continuous}");
    // The only cancellation is the SDK's own end-of-stream notice for a file, without an error.
    for e in events.iter().filter(|e| e[0] == "canceled") {
        assert_eq!(e[1], "CancellationReason.EndOfStream", "{continuous}");
        assert_eq!(e[2], "", "{continuous}");
    }
    // The SDK connected over WebSocket (a 101 on a streaming path).
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.status == Some(101) && r.path.contains("/speech/")),
        "{:?}",
        emu.requests()
    );
}
