//! Fast transcription end to end with the real offline engine: a ten-minute dialogue of two flite voices (a
//! woman, `slt`, and a man, `rms`) through `speech transcribe --speakers 2` (the API left to `auto`, which picks
//! fast transcription for a long file with speakers). The transcript must hold the script's words (WER ≤ 10 %)
//! and at least 90 % of its phrases must be attributed to the right speaker (up to the speakers' numbering).
//!
//! The English-only model (`SPEECH_EMULATOR_MODEL=tiny.en`) keeps the run short; the expensive scenario of the
//! fast-transcription work, run once.

#![cfg(whisper_engine)]

mod common;

use std::time::{Duration, Instant};

use common::{run, speech, write_wav};
use speech_emulator::fixtures::{speak_as, SENTENCES};
use speech_emulator::text::word_errors;

#[test]
fn a_ten_minute_dialogue_comes_back_with_two_speakers() {
    let voices = ["slt", "rms"];
    let pauses_ms = [700u64, 1_100, 900, 1_500, 800];
    let mut script: Vec<(Duration, &str, &str)> = Vec::new();
    let mut i = 0usize;
    loop {
        let sentence = SENTENCES[i % SENTENCES.len()];
        script.push((
            Duration::from_millis(pauses_ms[i % pauses_ms.len()]),
            voices[i % 2],
            sentence,
        ));
        i += 1;
        // About 4.1 s per line: 150 lines make ten minutes.
        if i >= 150 {
            break;
        }
    }
    let spoken = speak_as(&script).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        spoken.duration() >= Duration::from_secs(600),
        "{:?}",
        spoken.duration()
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("dialogue.wav");
    write_wav(&path, 16_000, 1, &spoken.samples);

    let started = Instant::now();
    let r = run(speech()
        .env("SPEECH_EMULATOR_MODEL", "tiny.en")
        .args(["transcribe", "--speakers", "2", "--output", "json"])
        .arg(&path));
    let elapsed = started.elapsed();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("not offered"), "{r:?}");
    let line: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("one JSON line");
    let phrases = line["phrases"].as_array().expect("phrases");

    // The words.
    let reference: Vec<&str> = script.iter().map(|(_, _, s)| *s).collect();
    let heard = line["text"].as_str().expect("text");
    let (errors, words) = word_errors(&reference.join(" "), heard, "en-US");
    let wer = errors as f64 / words as f64;

    // The speakers: each phrase is matched to the script line it starts in (the last line starting at most
    // 0.5 s after the phrase), and the two numberings are compared both ways round.
    let mut pairs = Vec::new();
    for phrase in phrases {
        assert!(
            phrase["words"].as_array().is_some_and(|w| !w.is_empty()),
            "fast transcription gives words: {phrase}"
        );
        let offset = Duration::from_millis(phrase["offset_ms"].as_u64().expect("offset"));
        let Some(line) = spoken
            .starts
            .iter()
            .rposition(|start| *start <= offset + Duration::from_millis(500))
        else {
            continue;
        };
        let speaker = phrase["speaker"].as_u64().expect("a speaker");
        pairs.push((line % 2, speaker));
    }
    let same = pairs.iter().filter(|(a, b)| *a as u64 == *b).count();
    let right = same.max(pairs.len() - same);
    let share = right as f64 / pairs.len().max(1) as f64;
    println!(
        "{:.0} s dialogue in {:.1} s: {} phrases, WER {:.1} % ({errors}/{words}), speakers right {:.1} % \
         ({right}/{})",
        spoken.duration().as_secs_f64(),
        elapsed.as_secs_f64(),
        phrases.len(),
        wer * 100.0,
        share * 100.0,
        pairs.len()
    );
    assert!(wer <= 0.10, "WER {:.1} %: {heard}", wer * 100.0);
    assert!(
        pairs.len() >= script.len() * 9 / 10,
        "{} phrases",
        pairs.len()
    );
    assert!(share >= 0.9, "speakers right {:.1} %", share * 100.0);
}
