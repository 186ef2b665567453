//! `speech transcribe` decodes and cuts in constant memory: its peak resident set on a 60-minute MP3 is less
//! than 16 MiB above its peak on a 1-minute one (the same minute, sixty times over). The recognizer is the
//! emulator's scripted one (this measures the client, not the engine); the emulator runs in this process and
//! the CLI in a child, whose peak RSS GNU time reports.
//!
//! Memory, unlike time, does not depend on how busy the machine is, so this is a test rather than a benchmark.

#![cfg(target_os = "linux")] // GNU time

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{scripted_emulator, speech_at};
use speech_emulator::fixtures::{mp3_stereo, resample_linear, speak, SENTENCES};
use speech_emulator::EmulatorHandle;

/// Runs `speech_at(emu, args)` under GNU time (`scripts/setup.sh` installs it): its exit code, stdout and
/// peak RSS in bytes.
fn run_measured(emu: &EmulatorHandle, args: &[&str]) -> (i32, String, u64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report = dir.path().join("rss");
    let cli = speech_at(emu, args);
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(cli.get_program());
    cmd.args(cli.get_args());
    for (key, value) in cli.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let output = cmd
        .stderr(Stdio::inherit())
        .output()
        .expect("GNU time runs the CLI (scripts/setup.sh installs it)");
    let kib: u64 = std::fs::read_to_string(&report)
        .expect("GNU time's report")
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("a number of KiB");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        kib * 1024,
    )
}

#[test]
fn an_hour_of_mp3_takes_no_more_memory_than_a_minute() {
    let emu = scripted_emulator(true);

    // One minute of speech with pauses, as 44.1 kHz stereo MP3.
    let script: Vec<(Duration, &str)> = SENTENCES[..13]
        .iter()
        .map(|s| (Duration::from_millis(900), *s))
        .collect();
    let spoken = speak(&script).unwrap_or_else(|e| panic!("{e}"));
    let mut minute = spoken.samples;
    minute.resize(16_000 * 60, 0);
    let channel = resample_linear(&minute, 16_000, 44_100);
    let mp3 = mp3_stereo(44_100, &channel, &channel).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let short = dir.path().join("minute.mp3");
    std::fs::write(&short, &mp3).expect("written");
    // An hour: the same MP3 frames sixty times (a valid MP3 stream; no encoder run needed).
    let long = dir.path().join("hour.mp3");
    std::fs::write(&long, mp3.repeat(60)).expect("written");

    let measure = |path: &std::path::Path| {
        let (code, stdout, rss) = run_measured(
            &emu,
            &[
                "transcribe",
                "--api",
                "short",
                "--output",
                "json",
                path.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(code, 0, "{stdout}");
        let line: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
        assert_eq!(line["status"], "Success", "{line}");
        let phrases = line["phrases"].as_array().map_or(0, Vec::len);
        let duration = line["duration_s"].as_f64().unwrap_or(0.0);
        (rss, phrases, duration)
    };
    let (rss_minute, phrases_minute, seconds_minute) = measure(&short);
    let (rss_hour, phrases_hour, seconds_hour) = measure(&long);
    println!(
        "peak RSS: {:.1} MiB for {seconds_minute:.0} s ({phrases_minute} phrases), {:.1} MiB for \
         {seconds_hour:.0} s ({phrases_hour} phrases)",
        rss_minute as f64 / 1_048_576.0,
        rss_hour as f64 / 1_048_576.0,
    );
    assert!((59.0..=61.0).contains(&seconds_minute), "{seconds_minute}");
    assert!(
        (3_590.0..=3_610.0).contains(&seconds_hour),
        "{seconds_hour}"
    );
    assert!(phrases_minute >= 10, "{phrases_minute}");
    assert!(phrases_hour >= 60 * phrases_minute - 60, "{phrases_hour}");
    assert!(
        rss_hour < rss_minute + 16 * 1_048_576,
        "an hour took {} KiB more than a minute",
        (rss_hour - rss_minute) / 1024
    );
}
