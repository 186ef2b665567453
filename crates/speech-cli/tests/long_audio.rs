//! Long recordings in formats the service does not take, through the main job with the real offline engine:
//! about three minutes of flite speech (42 sentences after pauses of 0.6–3 s) come back from
//! `speech transcribe --api short --output srt` (no credentials: the embedded emulator; the short-audio API,
//! which cuts the recordings at their pauses) with WER ≤ 10 % against the script,
//! every sentence starts a cue within 0.5 s of where it starts in the audio, and each sentence is one cue (none
//! is cut between two segments):
//!
//! - as 44.1 kHz stereo MP3, with the default model (Whisper base);
//! - the same content as a 48 kHz stereo WAV, a FLAC and an 8 kHz µ-law WAV, in one run of the CLI with the
//!   faster English-only model (`SPEECH_EMULATOR_MODEL=tiny.en`): what these check is the decoding, not the
//!   model.
//!
//! The expensive scenarios of the any-audio work: each runs once, here. The FLAC and µ-law files are made by
//! ffmpeg (`scripts/setup.sh` installs it), an encoder independent of ours.

#![cfg(whisper_engine)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{run, speech, strict_srt, write_wav};
use speech_emulator::fixtures::{mp3_stereo, resample_linear, Spoken};
use speech_emulator::text::word_errors;

fn recording() -> (Vec<&'static str>, Spoken) {
    common::three_minute_recording()
}

/// Checks one file's subtitles against the script: WER ≤ 10 %, and a cue within 0.5 s of every sentence.
fn check(label: &str, srt: &str, reference: &[&str], spoken: &Spoken, elapsed: Duration) {
    let cues = strict_srt(srt);
    let heard: Vec<&str> = cues.iter().map(|(_, _, text)| text.as_str()).collect();
    let (errors, words) = word_errors(&reference.join(" "), &heard.join(" "), "en-US");
    let wer = errors as f64 / words as f64;
    println!(
        "{label}: {:.0} s in {:.1} s: {} cues, WER {:.1} % ({errors}/{words})",
        spoken.duration().as_secs_f64(),
        elapsed.as_secs_f64(),
        cues.len(),
        wer * 100.0
    );
    assert!(wer <= 0.10, "{label}: WER {:.1} %:\n{srt}", wer * 100.0);
    // One cue per sentence (each fits a cue's two lines): no sentence was cut in two between segments.
    assert_eq!(cues.len(), reference.len(), "{label}:\n{srt}");
    for (start, text) in spoken.starts.iter().zip(reference) {
        let at = start.as_secs_f64();
        assert!(
            cues.iter().any(|(cue, _, _)| (cue - at).abs() <= 0.5),
            "{label}: no cue starts within 0.5 s of {at:.2} s ({text:?}):\n{srt}"
        );
    }
}

/// Runs ffmpeg on `input` with `args` into `output`.
fn ffmpeg(input: &Path, args: &[&str], output: PathBuf) -> PathBuf {
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(input)
        .args(args)
        .arg("-y")
        .arg(&output)
        .status()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(status.success(), "ffmpeg {args:?}");
    output
}

#[test]
fn three_minutes_of_mp3_come_back_as_timed_subtitles() {
    let (reference, spoken) = recording();
    let channel = resample_linear(&spoken.samples, 16_000, 44_100);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("meeting.mp3");
    let mp3 = mp3_stereo(44_100, &channel, &channel).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, mp3).expect("write the MP3");

    let started = Instant::now();
    let r = run(speech()
        .args(["transcribe", "--api", "short", "--output", "srt"])
        .arg(&path));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("embedded offline emulator"), "{r:?}");
    check(
        "MP3, 44.1 kHz stereo, base",
        &r.stdout,
        &reference,
        &spoken,
        started.elapsed(),
    );
}

#[test]
fn the_same_recording_as_48k_stereo_wav_flac_and_8k_mulaw_wav() {
    let (reference, spoken) = recording();
    let dir = tempfile::tempdir().expect("temporary directory");
    // 48 kHz stereo, the channels a little different, as a recorder writes them.
    let left = resample_linear(&spoken.samples, 16_000, 48_000);
    let stereo: Vec<i16> = left.iter().flat_map(|&s| [s, s / 2 + s / 4]).collect();
    let wav48 = dir.path().join("recorder.wav");
    write_wav(&wav48, 48_000, 2, &stereo);
    let flac = ffmpeg(&wav48, &["-c:a", "flac"], dir.path().join("archive.flac"));
    let wav16 = dir.path().join("plain.wav");
    write_wav(&wav16, 16_000, 1, &spoken.samples);
    let mulaw = ffmpeg(
        &wav16,
        &["-ar", "8000", "-c:a", "pcm_mulaw"],
        dir.path().join("call.wav"),
    );
    let out = dir.path().join("subtitles");
    std::fs::create_dir(&out).expect("mkdir");

    let started = Instant::now();
    let r = run(speech()
        .env("SPEECH_EMULATOR_MODEL", "tiny.en")
        .args([
            "transcribe",
            "--api",
            "short",
            "--output",
            "srt",
            "--output-dir",
        ])
        .arg(&out)
        .args([&wav48, &flac, &mulaw]));
    let elapsed = started.elapsed();
    assert_eq!(r.code, 0, "{r:?}");
    for (label, stem) in [
        ("WAV, 48 kHz stereo, tiny.en", "recorder"),
        ("FLAC, 48 kHz stereo, tiny.en", "archive"),
        ("WAV, 8 kHz µ-law, tiny.en", "call"),
    ] {
        let srt = std::fs::read_to_string(out.join(format!("{stem}.srt"))).expect("written");
        check(label, &srt, &reference, &spoken, elapsed);
    }
}
