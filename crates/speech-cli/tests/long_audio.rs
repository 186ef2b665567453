//! A long recording in a format the service does not take, through the main job with the real offline engine:
//! about three minutes of flite speech (42 sentences after pauses of 0.6–3 s), as 44.1 kHz stereo MP3, comes
//! back from `speech transcribe --output srt` (no credentials: the embedded emulator, Whisper base) with
//! WER ≤ 10 % against the script, and every sentence starts a cue within 0.5 s of where it starts in the audio.
//!
//! The expensive scenario of the any-audio work: it runs once, here.

#![cfg(feature = "whisper")]

mod common;

use std::time::{Duration, Instant};

use common::{run, speech, strict_srt};
use speech_emulator::fixtures::{mp3_stereo, resample_linear, speak, SENTENCES};
use speech_emulator::text::word_errors;

/// The pauses before the sentences, in turn.
const PAUSES_MS: [u64; 6] = [600, 1_200, 3_000, 800, 2_000, 1_500];

#[test]
fn three_minutes_of_mp3_come_back_as_timed_subtitles() {
    let script: Vec<(Duration, &str)> = SENTENCES
        .iter()
        .enumerate()
        .map(|(i, s)| (Duration::from_millis(PAUSES_MS[i % PAUSES_MS.len()]), *s))
        .collect();
    let spoken = speak(&script).unwrap_or_else(|e| panic!("{e}"));
    let length = spoken.duration();
    assert!(length >= Duration::from_secs(180), "{length:?}");
    let channel = resample_linear(&spoken.samples, 16_000, 44_100);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("meeting.mp3");
    let mp3 = mp3_stereo(44_100, &channel, &channel).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, mp3).expect("write the MP3");

    let started = Instant::now();
    let r = run(speech().args(["transcribe", "--output", "srt"]).arg(&path));
    let elapsed = started.elapsed();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("embedded offline emulator"), "{r:?}");
    let cues = strict_srt(&r.stdout);

    let heard: Vec<&str> = cues.iter().map(|(_, _, text)| text.as_str()).collect();
    let reference: Vec<&str> = script.iter().map(|(_, s)| *s).collect();
    let (errors, words) = word_errors(&reference.join(" "), &heard.join(" "), "en-US");
    let wer = errors as f64 / words as f64;
    println!(
        "{:.0} s of MP3 in {:.1} s: {} cues, WER {:.1} % ({errors}/{words})",
        length.as_secs_f64(),
        elapsed.as_secs_f64(),
        cues.len(),
        wer * 100.0
    );
    assert!(wer <= 0.10, "WER {:.1} %:\n{}", wer * 100.0, r.stdout);

    for (start, text) in spoken.starts.iter().zip(&reference) {
        let at = start.as_secs_f64();
        assert!(
            cues.iter().any(|(cue, _, _)| (cue - at).abs() <= 0.5),
            "no cue starts within 0.5 s of {at:.2} s ({text:?}):\n{}",
            r.stdout
        );
    }
}
