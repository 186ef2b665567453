//! Phrases read as the service writes them, whatever cut them: the JFK recording, repeated after pauses into a
//! three-minute composition and sent as a 44.1 kHz stereo MP3 through `speech transcribe` (no credentials: the
//! embedded emulator; longer than a minute, so fast transcription, which cuts the audio at its pauses and hears
//! each phrase after the one before it), comes back with no phrase in capitals, and the words of its phrases,
//! joined, are those of one decode of the whole clip, once per repeat (their `Lexical` forms: case and
//! punctuation aside).
//!
//! Before the phrases were heard in context, each piece was decoded alone and came back as "And so my fellow
//! Americans." / "ASK NOT!" / "What your country can do for you" / "Ask what you can do for your country."
//!
//! The real engine (Whisper base) on three minutes of audio: the expensive scenario of this work, run once, here.

#![cfg(whisper_engine)]

mod common;

use std::time::Instant;

use common::{run, speech};
use speech_audio::decode::Source;
use speech_emulator::engine::{RecognitionInput, Recognizer, Transcript};
use speech_emulator::engines::whisper::{model_dir, WhisperRecognizer};
use speech_emulator::fixtures::{mp3_stereo, resample_linear};
use speech_emulator::text::word_errors;

/// A phrase shouted as Whisper writes a fragment decoded alone: two letters or more, all of them capitals.
fn in_capitals(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

/// `examples/audio/jfk.wav` as 16 kHz mono samples.
fn jfk() -> Vec<i16> {
    let path = speech_emulator::fixtures::repo_path("examples/audio/jfk.wav");
    let mut decoder = Source::File(path).open().unwrap_or_else(|e| panic!("{e}"));
    let mut samples = Vec::new();
    while let Some(chunk) = decoder.next_chunk().unwrap_or_else(|e| panic!("{e}")) {
        samples.extend(chunk);
    }
    samples
}

#[test]
fn the_helpers_tell_capitals_and_words() {
    assert!(in_capitals("ASK NOT!"));
    assert!(!in_capitals("Ask not."));
    assert!(!in_capitals("I"));
    assert_eq!(
        word_errors(
            "And so, my fellow Americans: ask NOT",
            "and so my fellow americans ask not",
            "en-US"
        ),
        (0, 7)
    );
}

#[test]
fn jfk_repeated_for_three_minutes_reads_as_one_decode_of_the_clip() {
    let clip = jfk();
    let model = model_dir("base").unwrap_or_else(|e| panic!("{e}"));
    let whisper = WhisperRecognizer::load(&model).unwrap_or_else(|e| panic!("{e}"));
    let whole = match whisper.recognize(RecognitionInput {
        audio: &clip,
        sample_rate: 16_000,
        language: "en-US",
        previous: None,
        following: &[],
        draft: false,
    }) {
        Ok(Transcript::Text { text, .. }) => text,
        other => panic!("the whole clip: {other:?}"),
    };
    assert!(whole.split_whitespace().count() >= 20, "{whole}");
    drop(whisper);

    // 16 × (11 s of speech + 0.8 s of silence): a little over three minutes.
    let repeats = 16;
    let mut composition = Vec::new();
    for _ in 0..repeats {
        composition.extend_from_slice(&clip);
        composition.extend(std::iter::repeat_n(0i16, 12_800));
    }
    assert!(composition.len() >= 180 * 16_000, "{}", composition.len());
    let channel = resample_linear(&composition, 16_000, 44_100);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("jfk-three-minutes.mp3");
    let mp3 = mp3_stereo(44_100, &channel, &channel).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, mp3).expect("write the MP3");

    let started = Instant::now();
    let r = run(speech().args(["transcribe", "--output", "json"]).arg(&path));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("embedded offline emulator"), "{r:?}");
    let answer: serde_json::Value = serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout));
    let phrases: Vec<&str> = answer["phrases"]
        .as_array()
        .unwrap_or_else(|| panic!("no phrases: {answer}"))
        .iter()
        .map(|p| p["text"].as_str().unwrap_or_default())
        .collect();
    println!(
        "{} phrases in {:.1} s; the whole clip: {whole:?}; the first phrases: {:?}",
        phrases.len(),
        started.elapsed().as_secs_f64(),
        &phrases[..phrases.len().min(8)]
    );
    let shouted: Vec<&&str> = phrases.iter().filter(|p| in_capitals(p)).collect();
    assert!(shouted.is_empty(), "in capitals: {shouted:?}\n{phrases:#?}");
    let expected = vec![whole.as_str(); repeats].join(" ");
    let (differences, words) = word_errors(&expected, &phrases.join(" "), "en-US");
    assert_eq!(
        differences, 0,
        "{differences} of {words} words differ: {phrases:#?}"
    );
}
