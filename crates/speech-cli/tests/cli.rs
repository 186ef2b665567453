//! End-to-end tests: the built `speech` binary against emulators started here (deterministic engines), over
//! loopback. Every subcommand and every exit code; secrets never in the output.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::*;
use serde_json::Value;
use speech_emulator::engine::Transcript;
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_emulator::{Emulator, StatusCode};

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// transcribe

#[test]
fn transcribe_one_file_prints_the_text() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    let r = run(&mut speech_at(&emu, &["transcribe", wav.to_str().unwrap()]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, format!("{}\n", ScriptedRecognizer::DEFAULT_TEXT));
    assert!(!r.stderr.contains("embedded"), "{r:?}");
    r.assert_no_secret();
}

#[test]
fn transcribe_global_options_after_the_subcommand_and_query_parameters() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    let mut cmd = speech();
    cmd.args([
        "transcribe",
        wav.to_str().unwrap(),
        "--language",
        "de-DE",
        "--mode",
        "dictation",
        "--profanity",
        "raw",
        "--endpoint",
        emu.base_url(),
        "--key",
        emu.key(),
        "--auth",
        "key",
    ]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{r:?}");
    let reqs = emu.requests();
    let rec = reqs
        .iter()
        .find(|q| q.path.contains("/speech/recognition/"))
        .expect("a recognition request");
    assert!(rec.path.contains("/dictation/"), "{}", rec.path);
    let query = rec.query.as_deref().unwrap_or_default();
    assert!(query.contains("language=de-DE"), "{query}");
    assert!(query.contains("profanity=raw"), "{query}");
    // --auth key: the key itself, no token fetch.
    assert_eq!(token_requests(&emu), 0);
    assert_eq!(rec.header("ocp-apim-subscription-key"), Some("***"));
}

#[test]
fn transcribe_several_files_in_order_with_one_token_in_json() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let files = [
        speech_wav(dir.path(), "one.wav", 0.6),
        silent_wav(dir.path(), "two.wav", 1.0),
        speech_wav(dir.path(), "three.wav", 0.8),
        silent_wav(dir.path(), "four.wav", 0.5),
        speech_wav(dir.path(), "five.wav", 0.5),
    ];
    let mut args = vec![
        "transcribe",
        "--format",
        "detailed",
        "--output",
        "json",
        "--jobs",
        "3",
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let r = run(&mut speech_at(&emu, &args));
    assert_eq!(r.code, 0, "{r:?}");
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 5, "{r:?}");
    for (line, file) in lines.iter().zip(&files) {
        assert_eq!(line["file"], file.to_str().unwrap());
        // Sent whole: one phrase, and the length from the WAV header.
        assert_eq!(line["phrases"].as_array().map(Vec::len), Some(1), "{line}");
        assert!(
            line["duration_s"].as_f64().is_some_and(|d| d > 0.4),
            "{line}"
        );
    }
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "Success",
            "InitialSilenceTimeout",
            "Success",
            "InitialSilenceTimeout",
            "Success"
        ]
    );
    let ok = &lines[0];
    assert_eq!(ok["text"], ScriptedRecognizer::DEFAULT_TEXT);
    assert!(
        ok["offset_ms"].is_number() && ok["duration_ms"].is_number(),
        "{ok}"
    );
    // 0.2 s of leading silence; about 0.6 s of tone.
    let offset = ok["offset_ms"].as_f64().unwrap();
    assert!((150.0..=250.0).contains(&offset), "{ok}");
    let nbest = ok["nbest"].as_array().unwrap();
    assert!(!nbest.is_empty());
    for field in ["confidence", "lexical", "itn", "masked_itn", "display"] {
        assert!(nbest[0].get(field).is_some(), "{field} in {ok}");
    }
    assert_eq!(nbest[0]["display"], ScriptedRecognizer::DEFAULT_TEXT);
    assert_eq!(lines[1]["text"], Value::Null);
    // The silent files are results, with the hint on stderr.
    assert!(r.stderr.contains("InitialSilenceTimeout"), "{r:?}");
    assert!(r.stderr.contains("hint:"), "{r:?}");
    // One token for the whole run, five recognitions.
    assert_eq!(token_requests(&emu), 1);
    assert_eq!(recognition_requests(&emu), 5);
    r.assert_no_secret();
}

#[test]
fn transcribe_several_files_text_is_prefixed_with_the_file() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let a = speech_wav(dir.path(), "a.wav", 0.5);
    let b = speech_wav(dir.path(), "b.wav", 0.5);
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", a.to_str().unwrap(), b.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let expected = format!(
        "{}: {t}\n{}: {t}\n",
        a.display(),
        b.display(),
        t = ScriptedRecognizer::DEFAULT_TEXT
    );
    assert_eq!(r.stdout, expected);
}

#[test]
fn transcribe_no_match_is_a_result_with_a_hint() {
    let recognizer = std::sync::Arc::new(ScriptedRecognizer::new());
    recognizer.push(Transcript::NoMatch);
    let emu = Emulator::builder()
        .key(KEY)
        .recognizer(recognizer)
        .start_blocking()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", wav.to_str().unwrap(), "--output", "json"],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let line = &json_lines(&r.stdout)[0];
    assert_eq!(line["status"], "NoMatch");
    assert_eq!(line["text"], Value::Null);
    assert!(
        r.stderr.contains("NoMatch") && r.stderr.contains("language"),
        "{r:?}"
    );
}

#[test]
fn transcribe_decodes_other_formats_and_force_sends_them_as_they_are() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    // 1 s of a tone, 44.1 kHz stereo: decoded and resampled; whatever the voice-activity detector makes of
    // a tone, every request carries 16 kHz mono PCM and the answer covers the file's timeline.
    let wav = cd_wav(dir.path(), "cd.wav");
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "json", wav.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let line = &json_lines(&r.stdout)[0];
    let length = line["duration_s"].as_f64().expect("duration_s");
    assert!((length - 1.0).abs() < 0.01, "{line}");
    assert!(line["phrases"].is_array(), "{line}");
    for request in emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/cognitiveservices/v1") && r.path.contains("recognition"))
    {
        assert_eq!(
            request.header("content-type"),
            Some("audio/wav; codecs=audio/pcm; samplerate=16000"),
            "{request:?}"
        );
    }
    r.assert_no_secret();

    // --force: sent as it is; the service hears silence.
    let before = recognition_requests(&emu);
    let r = run(&mut speech_at(
        &emu,
        &[
            "transcribe",
            "--force",
            "--output",
            "json",
            wav.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json_lines(&r.stdout)[0]["status"], "InitialSilenceTimeout");
    assert_eq!(recognition_requests(&emu), before + 1);
}

/// Three spoken sentences between pauses, as a 24 kHz WAV (not what the service takes, so it is decoded and
/// cut), and where each sentence starts.
fn spoken_wav(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, Vec<std::time::Duration>) {
    use std::time::Duration;
    let spoken = speech_emulator::fixtures::speak(&[
        (Duration::from_millis(700), "Good morning everyone."),
        (Duration::from_millis(1_200), "Let us begin the meeting."),
        (Duration::from_millis(1_600), "Thank you for coming."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    // 16 kHz → 24 kHz by repeating every other sample (crude, but speech stays speech).
    let upsampled: Vec<i16> = spoken
        .samples
        .iter()
        .enumerate()
        .flat_map(|(i, &s)| if i % 2 == 0 { vec![s, s] } else { vec![s] })
        .collect();
    let path = dir.join(name);
    write_wav(&path, 24_000, 1, &upsampled);
    (path, spoken.starts)
}

#[test]
fn transcribe_writes_subtitles_on_the_recordings_timeline() {
    let emu = scripted_emulator(true);
    let dir = tempfile::tempdir().unwrap();
    let (wav, starts) = spoken_wav(dir.path(), "meeting.wav");

    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "srt", wav.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let cues = strict_srt(&r.stdout);
    assert_eq!(cues.len(), 3, "{}", r.stdout);
    for ((start, _, text), expected) in cues.iter().zip(&starts) {
        assert_eq!(text, "Heard that.");
        assert!(
            (start - expected.as_secs_f64()).abs() <= 0.5,
            "{start} vs {expected:?}"
        );
    }

    // Several files: one .vtt each in --output-dir, their paths on stdout.
    let copy = dir.path().join("copy.wav");
    std::fs::copy(&wav, &copy).unwrap();
    let out = dir.path().join("subs");
    std::fs::create_dir(&out).unwrap();
    let r = run(&mut speech_at(
        &emu,
        &[
            "transcribe",
            "--output",
            "vtt",
            "--output-dir",
            out.to_str().unwrap(),
            wav.to_str().unwrap(),
            copy.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let written: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(written.len(), 2, "{r:?}");
    for (path, stem) in written.iter().zip(["meeting", "copy"]) {
        assert!(path.ends_with(&format!("{stem}.vtt")), "{path}");
        let doc = std::fs::read_to_string(path).unwrap();
        let cues = strict_vtt(&doc);
        assert_eq!(cues.len(), 3, "{doc}");
        for ((start, _, _), expected) in cues.iter().zip(&starts) {
            assert!((start - expected.as_secs_f64()).abs() <= 0.5, "{doc}");
        }
    }

    // JSON: the file's length and its phrases.
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "json", wav.to_str().unwrap()],
    ));
    let line = &json_lines(&r.stdout)[0];
    assert_eq!(line["status"], "Success");
    assert_eq!(line["text"], "Heard that. Heard that. Heard that.");
    assert_eq!(line["phrases"].as_array().map(Vec::len), Some(3), "{line}");
    assert!(
        line["duration_s"].as_f64().is_some_and(|d| d > 5.0),
        "{line}"
    );
}

#[test]
fn transcribe_sends_short_ogg_opus_whole_and_decodes_longer_opus() {
    use speech_emulator::engine::Pcm;
    use speech_emulator::formats;
    use std::time::Duration;
    let emu = scripted_emulator(true);
    let dir = tempfile::tempdir().unwrap();
    let opus = formats::output_format("ogg-16khz-16bit-mono-opus").expect("a format");
    let ogg = |name: &str, script: &[(Duration, &str)]| {
        let spoken = speech_emulator::fixtures::speak(script).unwrap_or_else(|e| panic!("{e}"));
        let pcm = Pcm {
            sample_rate: 16_000,
            samples: spoken.samples,
        };
        let path = dir.path().join(name);
        std::fs::write(&path, formats::encode(opus, &pcm).expect("encodes")).unwrap();
        (path, spoken.starts)
    };

    // Under a minute: one request, the Ogg file as it is.
    let (short, _) = ogg(
        "short.ogg",
        &[(Duration::from_millis(500), "Good morning.")],
    );
    let before = recognition_requests(&emu);
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "json", short.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(recognition_requests(&emu), before + 1);
    let last = emu.requests().last().cloned().expect("a request");
    assert_eq!(
        last.header("content-type"),
        Some("audio/ogg; codecs=opus"),
        "{last:?}"
    );
    assert_eq!(json_lines(&r.stdout)[0]["text"], "Heard that.");

    // Over a minute, on the short-audio API: decoded with libopus and cut at the pauses; each sentence is a
    // cue where it is spoken.
    let (long, starts) = ogg(
        "long.ogg",
        &[
            (Duration::from_millis(700), "Good morning everyone."),
            (Duration::from_secs(30), "Let us begin the meeting."),
            (Duration::from_secs(28), "Thank you for coming."),
        ],
    );
    let r = run(&mut speech_at(
        &emu,
        &[
            "transcribe",
            "--api",
            "short",
            "--output",
            "srt",
            long.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let cues = strict_srt(&r.stdout);
    assert_eq!(cues.len(), 3, "{}", r.stdout);
    for ((start, _, _), expected) in cues.iter().zip(&starts) {
        assert!(
            (start - expected.as_secs_f64()).abs() <= 0.5,
            "{start} vs {expected:?}"
        );
    }
    let last = emu.requests().last().cloned().expect("a request");
    assert_eq!(
        last.header("content-type"),
        Some("audio/wav; codecs=audio/pcm; samplerate=16000"),
        "{last:?}"
    );
}

#[test]
fn transcribe_decodes_wma_through_ffmpeg_and_without_it_names_the_format_and_the_fix() {
    let emu = scripted_emulator(true);
    let dir = tempfile::tempdir().unwrap();
    let (wav, starts) = spoken_wav(dir.path(), "meeting.wav");
    let wma = dir.path().join("meeting.wma");
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(&wav)
        .args(["-c:a", "wmav2", "-y"])
        .arg(&wma)
        .status()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(status.success());

    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "srt", wma.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let cues = strict_srt(&r.stdout);
    assert_eq!(cues.len(), 3, "{}", r.stdout);
    for ((start, _, _), expected) in cues.iter().zip(&starts) {
        assert!(
            (start - expected.as_secs_f64()).abs() <= 0.5,
            "{start} vs {expected:?}"
        );
    }

    // No ffmpeg on PATH: exit 4, the format named, and how to fix it.
    let empty = tempfile::tempdir().unwrap();
    let r = run(speech_at(&emu, &["transcribe", wma.to_str().unwrap()]).env("PATH", empty.path()));
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("WMA"), "{r:?}");
    assert!(r.stderr.contains("install"), "{r:?}");
    assert!(r.stderr.contains("ffmpeg -i"), "{r:?}");
}

/// A 16 kHz WAV of about 70 s: three sentences, the last after a long pause.
fn seventy_seconds(dir: &std::path::Path) -> (std::path::PathBuf, Vec<std::time::Duration>) {
    use std::time::Duration;
    let spoken = speech_emulator::fixtures::speak(&[
        (Duration::from_millis(700), "Good morning everyone."),
        (Duration::from_secs(30), "Let us begin the meeting."),
        (Duration::from_secs(32), "Thank you for coming."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(spoken.duration() > Duration::from_secs(60));
    let path = dir.join("long.wav");
    write_wav(&path, 16_000, 1, &spoken.samples);
    (path, spoken.starts)
}

const FAST_PATH: &str = "/speechtotext/transcriptions:transcribe";

#[test]
fn transcribe_api_auto_sends_long_files_to_fast_transcription_and_short_ones_to_short_audio() {
    let emu = scripted_emulator(true);
    let dir = tempfile::tempdir().unwrap();
    let (long, starts) = seventy_seconds(dir.path());
    let jfk = speech_emulator::fixtures::repo_path("examples/audio/jfk.wav");

    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "json", long.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let fast: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|q| q.path == FAST_PATH)
        .collect();
    assert_eq!(fast.len(), 1, "{:?}", emu.requests());
    assert_eq!(recognition_requests(&emu), 0);
    let line = &json_lines(&r.stdout)[0];
    let phrases = line["phrases"].as_array().expect("phrases");
    assert_eq!(phrases.len(), 3, "{line}");
    for (phrase, start) in phrases.iter().zip(&starts) {
        let offset = phrase["offset_ms"].as_f64().unwrap_or(-1.0) / 1000.0;
        assert!((offset - start.as_secs_f64()).abs() <= 0.3, "{line}");
        assert_eq!(phrase["locale"], "en-US");
        let words = phrase["words"].as_array().expect("words");
        assert_eq!(words.len(), 2, "{line}");
        assert!(words[0]["offset_ms"].is_number() && words[0]["duration_ms"].is_number());
    }

    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "json", jfk.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        recognition_requests(&emu),
        1,
        "jfk.wav is 11 s: short audio"
    );
    assert_eq!(
        emu.requests()
            .into_iter()
            .filter(|q| q.path == FAST_PATH)
            .count(),
        1
    );
    r.assert_no_secret();
}

#[test]
fn transcribe_api_fast_with_speakers_labels_subtitles_and_json() {
    let emu = scripted_emulator(true);
    let dir = tempfile::tempdir().unwrap();
    let spoken = speech_emulator::fixtures::short_dialogue().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("call.wav");
    write_wav(&path, 16_000, 1, &spoken.samples);
    let args = |output: &'static str| {
        vec![
            "transcribe",
            "--api",
            "fast",
            "--speakers",
            "2",
            "--output",
            output,
            path.to_str().unwrap(),
        ]
    };
    let r = run(&mut speech_at(&emu, &args("vtt")));
    assert_eq!(r.code, 0, "{r:?}");
    let cues = strict_vtt(&r.stdout);
    assert_eq!(cues.len(), 3, "{}", r.stdout);
    let texts: Vec<&str> = cues.iter().map(|(_, _, t)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            "<v Speaker 1>Heard that.",
            "<v Speaker 2>Heard that.",
            "<v Speaker 1>Heard that."
        ],
        "{}",
        r.stdout
    );
    let r = run(&mut speech_at(&emu, &args("srt")));
    let cues = strict_srt(&r.stdout);
    assert_eq!(cues[1].2, "[Speaker 2] Heard that.", "{}", r.stdout);
    let r = run(&mut speech_at(&emu, &args("json")));
    let line = &json_lines(&r.stdout)[0];
    let speakers: Vec<_> = line["phrases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["speaker"].clone())
        .collect();
    assert_eq!(speakers, [0, 1, 0], "{line}");
}

#[test]
fn transcribe_falls_back_to_short_audio_where_fast_transcription_is_not_offered() {
    let emu = scripted_emulator(false);
    let dir = tempfile::tempdir().unwrap();
    let (long, starts) = seventy_seconds(dir.path());
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--output", "srt", long.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr
            .matches("fast transcription is not offered here")
            .count(),
        1,
        "{r:?}"
    );
    let cues = strict_srt(&r.stdout);
    assert_eq!(cues.len(), 3, "{}", r.stdout);
    for ((start, _, _), expected) in cues.iter().zip(&starts) {
        assert!(
            (start - expected.as_secs_f64()).abs() <= 0.5,
            "{}",
            r.stdout
        );
    }
    assert_eq!(recognition_requests(&emu), 3);
    // Asked for explicitly, fast transcription's refusal is the answer (no fallback).
    let r = run(&mut speech_at(
        &emu,
        &["transcribe", "--api", "fast", long.to_str().unwrap()],
    ));
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("404"), "{r:?}");
}

#[test]
fn transcribe_options_only_fast_transcription_offers_are_usage_errors_with_short() {
    let emu = scripted_emulator(true);
    for args in [
        &["transcribe", "--api", "short", "--speakers", "2", "x.wav"][..],
        &[
            "transcribe",
            "--api",
            "short",
            "--language",
            "auto",
            "x.wav",
        ],
        &[
            "transcribe",
            "--api",
            "short",
            "-l",
            "en-US",
            "-l",
            "de-DE",
            "x.wav",
        ],
        &[
            "transcribe",
            "--language",
            "auto",
            "--language",
            "en-US",
            "x.wav",
        ],
        &["transcribe", "--api", "fast", "--force", "x.wav"],
        &["transcribe", "--speakers", "1", "x.wav"],
    ] {
        let r = run(&mut speech_at(&emu, args));
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
    }
}

#[test]
fn transcribe_not_audio_and_missing_file_exit_4_with_json_error_lines() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let good = speech_wav(dir.path(), "good.wav", 0.5);
    let mp3 = dir.path().join("song.wav");
    std::fs::write(&mp3, b"ID3\x04\x00\x00\x00\x00\x00\x00 not really").unwrap();
    let missing = dir.path().join("missing.wav");
    let r = run(&mut speech_at(
        &emu,
        &[
            "transcribe",
            "--output",
            "json",
            mp3.to_str().unwrap(),
            good.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 4, "{r:?}");
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["status"], Value::Null);
    assert_eq!(lines[0]["error"]["exit_code"], 4);
    assert!(
        lines[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MP3"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["status"], "Success");
    assert_eq!(lines[2]["error"]["exit_code"], 4);
    assert!(r.stderr.contains("missing.wav"), "{r:?}");
}

/// A build with the `whisper` feature has a recognizer: tests/main_job.rs covers it.
#[cfg(not(whisper_engine))]
#[test]
fn transcribe_without_credentials_and_without_whisper_says_so_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 0.5);
    let r = run(speech().args(["transcribe", wav.to_str().unwrap()]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no offline speech recognizer"), "{r:?}");
    assert!(r.stderr.contains("--features whisper"), "{r:?}");
    assert!(r.stderr.contains("SPEECH_KEY"), "{r:?}");
    assert!(
        r.stdout.is_empty(),
        "nothing pretends to be a transcript: {r:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// exit codes from the service

#[test]
fn wrong_key_exits_3_in_both_auth_modes_without_leaking_it() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 0.5);
    for auth in ["token", "key"] {
        let r = run(speech().args([
            "--endpoint",
            emu.base_url(),
            "--key",
            WRONG_KEY,
            "--auth",
            auth,
            "transcribe",
            wav.to_str().unwrap(),
        ]));
        assert_eq!(r.code, 3, "{auth}: {r:?}");
        assert!(r.stderr.contains("401"), "{r:?}");
        assert!(r.stderr.contains("hint:"), "{r:?}");
        r.assert_no_secret();
    }
}

#[test]
fn throttling_exits_5_after_retries() {
    let emu = emulator();
    emu.faults().fail_next(1000, StatusCode::TOO_MANY_REQUESTS);
    let r = run(&mut speech_at(&emu, &["voices"]));
    assert_eq!(r.code, 5, "{r:?}");
    assert!(r.stderr.contains("429"), "{r:?}");
    assert!(r.stderr.contains("hint:"), "{r:?}");
    r.assert_no_secret();
}

#[test]
fn service_failure_exits_6() {
    let emu = emulator();
    emu.faults()
        .fail_next(1000, StatusCode::SERVICE_UNAVAILABLE);
    let r = run(&mut speech_at(&emu, &["--auth", "key", "voices"]));
    assert_eq!(r.code, 6, "{r:?}");
    assert!(r.stderr.contains("503"), "{r:?}");
    r.assert_no_secret();
}

#[test]
fn unreachable_service_exits_6() {
    let url = format!("http://127.0.0.1:{}", dead_port());
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 0.5);
    for args in [
        vec!["voices"],
        vec!["transcribe", wav.to_str().unwrap()],
        vec!["token"],
    ] {
        let r = run(speech()
            .args(["--endpoint", &url, "--key", KEY])
            .args(&args));
        assert_eq!(r.code, 6, "{args:?}: {r:?}");
        r.assert_no_secret();
    }
}

#[test]
fn incomplete_configuration_exits_2() {
    let r = run(speech().args(["--key", KEY, "voices"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("region") && r.stderr.contains("endpoint"),
        "{r:?}"
    );
    r.assert_no_secret();

    let r = run(speech().env("SPEECH_REGION", "westeurope").args(["voices"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no key or token"), "{r:?}");

    let r = run(speech().args(["--region", "West Europe", "--key", KEY, "voices"]));
    assert_eq!(r.code, 2, "{r:?}");
    r.assert_no_secret();

    // Plain http to a host that is not loopback is refused.
    let r = run(speech().args([
        "--endpoint",
        "http://speech.example.com",
        "--key",
        KEY,
        "voices",
    ]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("http"), "{r:?}");
    r.assert_no_secret();

    // clap's own usage errors.
    let r = run(speech().args(["--auth", "password", "voices"]));
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(speech().args(["transcribe"]));
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn environment_variables_are_read_and_help_hides_their_values() {
    let emu = emulator();
    let r = run(speech()
        .env("SPEECH_ENDPOINT", emu.base_url())
        .env("SPEECH_KEY", KEY)
        .args(["voices", "--output", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(speech()
        .env("SPEECH_KEY", KEY)
        .env("SPEECH_TOKEN", WRONG_KEY)
        .args(["--help"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("SPEECH_KEY"), "{r:?}");
    r.assert_no_secret();
    let r = run(speech()
        .env("SPEECH_KEY", KEY)
        .args(["transcribe", "--help"]));
    assert_eq!(r.code, 0, "{r:?}");
    r.assert_no_secret();
}

// ---------------------------------------------------------------------------------------------------------------
// translate

#[test]
fn translate_prints_each_phrase_with_its_translations_as_text_json_and_subtitles() {
    use speech_emulator::engines::scripted::ScriptedRecognizer;
    let recognizer = std::sync::Arc::new(ScriptedRecognizer::new());
    let text = |t: &str| Transcript::Text {
        text: t.into(),
        confidence: 0.9,
    };
    recognizer.set_for_language("es-ES", text("Hola, ¿qué tal?"));
    recognizer.set_english_for("es-ES", text("Hello, how are you?"));
    let emu = Emulator::builder()
        .key(KEY)
        .recognizer(recognizer)
        .start_blocking()
        .expect("the emulator starts");
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "hola.wav", 1.5);
    let wav = wav.to_str().unwrap();

    let r = run(&mut speech_at(
        &emu,
        &["translate", wav, "--from", "es-ES", "--to", "en"],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("] Hola, ¿qué tal?\n    en: Hello, how are you?\n"),
        "{r:?}"
    );

    // JSON, and a second target the emulator refuses: every phrase still printed with its English, the
    // refusal named once on stderr, exit 4.
    let r = run(&mut speech_at(
        &emu,
        &[
            "translate",
            wav,
            "--from",
            "es-ES",
            "--to",
            "en",
            "--to",
            "fr",
            "--output",
            "json",
        ],
    ));
    assert_eq!(r.code, 4, "{r:?}");
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{r:?}");
    assert_eq!(lines[0]["text"], "Hola, ¿qué tal?");
    assert_eq!(
        lines[0]["translations"],
        serde_json::json!({"en": "Hello, how are you?"})
    );
    // The tone starts at 200 ms; the voice-activity detector keeps a little lead-in.
    let offset = lines[0]["offset_ms"].as_u64().unwrap();
    assert!((50..=250).contains(&offset), "{offset}");
    assert!(
        lines[0]["error"].as_str().unwrap().contains("es-ES to fr"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("es-ES to fr") && r.stderr.contains("hint:"),
        "{r:?}"
    );

    // Subtitles: one target to stdout; several into files, one per language.
    let r = run(&mut speech_at(
        &emu,
        &[
            "translate",
            wav,
            "--from",
            "es-ES",
            "--to",
            "en",
            "--output",
            "srt",
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("1\n00:00:00,"), "{r:?}");
    assert!(r.stdout.contains("Hello, how are you?"), "{r:?}");
    let out = dir.path().join("subs");
    std::fs::create_dir(&out).unwrap();
    let r = run(&mut speech_at(
        &emu,
        &[
            "translate",
            wav,
            "--from",
            "es-ES",
            "--to",
            "en-US",
            "--to",
            "en-GB",
            "--output",
            "vtt",
            "--output-dir",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    for lang in ["en-US", "en-GB"] {
        let vtt = std::fs::read_to_string(out.join(format!("hola.{lang}.vtt"))).unwrap();
        assert!(
            vtt.starts_with("WEBVTT") && vtt.contains("Hello, how are you?"),
            "{vtt}"
        );
    }
    r.assert_no_secret();
}

// ---------------------------------------------------------------------------------------------------------------
// synthesize

#[test]
fn synthesize_to_a_file_and_to_stdout() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hello.wav");
    let r = run(&mut speech_at(
        &emu,
        &["synthesize", "Hello there", "-o", out.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"RIFF"), "a WAV file");
    assert!(bytes.len() > 1000);
    assert!(r.stderr.contains("wrote"), "{r:?}");
    assert!(!dir.path().join("hello.wav.part").exists());
    let req = emu
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/cognitiveservices/v1"))
        .unwrap();
    assert_eq!(
        req.header("x-microsoft-outputformat"),
        Some("riff-24khz-16bit-mono-pcm")
    );

    let mut cmd = speech_at(
        &emu,
        &[
            "synthesize",
            "Hi",
            "--voice",
            "en-GB-RyanNeural",
            "--format",
            "raw-16khz-16bit-mono-pcm",
            "-o",
            "-",
        ],
    );
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.is_empty());
    assert!(!out.stdout.starts_with(b"RIFF"), "raw PCM has no header");
}

/// Cues of an SRT or WebVTT file: (start, end, text).
fn cues(subtitles: &str) -> Vec<(std::time::Duration, std::time::Duration, String)> {
    let time = |t: &str| {
        let t = t.trim().replace(',', ".");
        let (hms, ms) = t.split_once('.').unwrap();
        let mut secs = 0u64;
        for part in hms.split(':') {
            secs = secs * 60 + part.parse::<u64>().unwrap();
        }
        std::time::Duration::from_millis(secs * 1000 + ms.parse::<u64>().unwrap())
    };
    subtitles
        .replace("\r\n", "\n")
        .split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines().skip_while(|l| !l.contains(" --> "));
            let (from, to) = lines.next()?.split_once(" --> ")?;
            let text: Vec<&str> = lines.collect();
            Some((time(from), time(to), text.join(" ")))
        })
        .collect()
}

#[test]
fn synthesize_writes_subtitles_whose_cues_start_at_their_first_words() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let text = "The first sentence is here, with a comma. Then a much longer second sentence follows it, so that \
                the subtitles have to split it into two cues of a readable length. Short end!";
    for ext in ["srt", "vtt"] {
        let out = dir.path().join("out.wav");
        let subtitles = dir.path().join(format!("out.{ext}"));
        let events = dir.path().join("events.jsonl");
        let r = run(&mut speech_at(
            &emu,
            &[
                "synthesize",
                text,
                "-o",
                out.to_str().unwrap(),
                "--subtitles",
                subtitles.to_str().unwrap(),
                "--events",
                events.to_str().unwrap(),
            ],
        ));
        assert_eq!(r.code, 0, "{r:?}");
        assert!(r.stderr.contains("over WebSocket"), "{r:?}");
        let audio = hound::WavReader::open(&out).unwrap();
        let audio_len = std::time::Duration::from_secs_f64(
            f64::from(audio.duration()) / f64::from(audio.spec().sample_rate),
        );
        let subtitles = std::fs::read_to_string(&subtitles).unwrap();
        if ext == "vtt" {
            assert!(subtitles.starts_with("WEBVTT"), "{subtitles}");
        }
        let cues = cues(&subtitles);
        assert!(cues.len() >= 4, "the long sentence is split: {subtitles}");
        // The cues read as the text does, punctuation and all.
        let joined: Vec<&str> = cues.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(
            joined.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        // Each cue starts within 100 ms of its first word's boundary, and ends inside the audio.
        let words: Vec<(std::time::Duration, String)> = std::fs::read_to_string(&events)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["type"] == "word")
            .map(|e| {
                let ms = e["offset_ms"].as_f64().unwrap();
                (
                    std::time::Duration::from_secs_f64(ms / 1000.0),
                    e["text"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut next = 0;
        for (start, end, cue) in &cues {
            let first: String = cue
                .split_whitespace()
                .next()
                .unwrap()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            let at = next + words[next..].iter().position(|(_, w)| *w == first).unwrap();
            let boundary = words[at].0;
            let gap = start.abs_diff(boundary);
            assert!(
                gap <= std::time::Duration::from_millis(100),
                "{cue}: {start:?} vs {boundary:?}"
            );
            assert!(
                start < end && *end <= audio_len + std::time::Duration::from_millis(1),
                "{cue}"
            );
            next = at + 1;
        }
    }
}

#[test]
fn synthesize_from_an_ssml_file_and_bad_ssml_exits_4() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.xml");
    std::fs::write(
        &good,
        r#"<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US"><voice name="en-US-JennyNeural">Hello</voice></speak>"#,
    )
    .unwrap();
    let out = dir.path().join("out.wav");
    let r = run(&mut speech_at(
        &emu,
        &[
            "synthesize",
            "--ssml",
            good.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--output",
            "json",
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let summary: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(
        summary["bytes"].as_u64(),
        Some(std::fs::metadata(&out).unwrap().len())
    );

    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        "<speak><voice name=\"en-US-JennyNeural\">Fish & chips</voice>",
    )
    .unwrap();
    let out = dir.path().join("bad.wav");
    let r = run(&mut speech_at(
        &emu,
        &[
            "synthesize",
            "--ssml",
            bad.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("400"), "{r:?}");
    assert!(!out.exists(), "no file is left behind");
    r.assert_no_secret();

    // An unknown voice: 400 with an empty body.
    let r = run(&mut speech_at(
        &emu,
        &[
            "synthesize",
            "Hi",
            "--voice",
            "en-US-NobodyNeural",
            "-o",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 4, "{r:?}");
    // An unknown format is a usage error, found before any request.
    let before = emu.requests().len();
    let r = run(&mut speech_at(
        &emu,
        &[
            "synthesize",
            "Hi",
            "--format",
            "riff-1khz-mono",
            "-o",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(emu.requests().len(), before);
}

// ---------------------------------------------------------------------------------------------------------------
// voices, token

#[test]
fn voices_table_filter_and_json() {
    let emu = emulator();
    let r = run(&mut speech_at(&emu, &["voices"]));
    assert_eq!(r.code, 0, "{r:?}");
    let header = r.stdout.lines().next().unwrap();
    for col in ["SHORT NAME", "LOCALE", "GENDER", "TYPE", "STYLES"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(r.stdout.contains("en-US-JennyNeural"), "{r:?}");

    let r = run(&mut speech_at(&emu, &["voices", "--locale", "de-DE"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.lines().count() > 1);
    assert!(r.stdout.contains("de-DE"), "{r:?}");
    assert!(!r.stdout.contains("fr-FR"), "{r:?}");
    // JSON: every voice speaks de-DE, as its locale or a secondary one.
    let r = run(&mut speech_at(
        &emu,
        &["voices", "--locale", "de-DE", "--output", "json"],
    ));
    let voices: Value = serde_json::from_str(&r.stdout).unwrap();
    for v in voices.as_array().unwrap() {
        let secondary = v["secondary_locales"].as_array().unwrap();
        assert!(
            v["locale"] == "de-DE" || secondary.iter().any(|l| l == "de-DE"),
            "{v}"
        );
    }

    let r = run(&mut speech_at(
        &emu,
        &["voices", "--output", "json", "--locale", "en-US"],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let voices: Value = serde_json::from_str(&r.stdout).unwrap();
    let voices = voices.as_array().unwrap();
    assert!(!voices.is_empty());
    let jenny = voices
        .iter()
        .find(|v| v["short_name"] == "en-US-JennyNeural")
        .expect("Jenny is listed");
    for field in [
        "name",
        "display_name",
        "local_name",
        "locale",
        "gender",
        "voice_type",
    ] {
        assert!(jenny[field].is_string(), "{field}: {jenny}");
    }
    assert!(jenny["sample_rate_hz"].is_u64(), "{jenny}");
    assert!(
        jenny["words_per_minute"].is_u64() || jenny["words_per_minute"].is_null(),
        "{jenny}"
    );
    assert!(jenny["styles"].is_array(), "{jenny}");
}

#[test]
fn token_prints_a_jwt_and_decode_prints_claims_not_the_key() {
    let emu = emulator();
    let r = run(&mut speech_at(&emu, &["token"]));
    assert_eq!(r.code, 0, "{r:?}");
    let token = r.stdout.trim();
    assert_eq!(token.split('.').count(), 3, "{token}");
    r.assert_no_secret();

    let r = run(&mut speech_at(&emu, &["token", "--decode"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("region: westus"), "{r:?}");
    assert!(r.stdout.contains("expires: "), "{r:?}");
    assert!(r.stdout.contains("(in "), "{r:?}");
    r.assert_no_secret();

    let r = run(&mut speech_at(
        &emu,
        &["token", "--decode", "--output", "json"],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["claims"]["region"], "westus");
    let left = v["expires_in_s"].as_i64().unwrap();
    assert!((1..=600).contains(&left), "{v}");
    assert!(v.get("token").is_none());

    // A token given with --token is decoded locally and works for requests.
    let given = emu.issue_token();
    let r = run(speech().args([
        "--endpoint",
        emu.base_url(),
        "--token",
        &given,
        "voices",
        "--output",
        "json",
    ]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.all().contains(&given));
    let r = run(speech().args([
        "--endpoint",
        emu.base_url(),
        "--token",
        &given,
        "token",
        "--decode",
    ]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stdout.contains(&given));
}

// ---------------------------------------------------------------------------------------------------------------
// doctor

#[test]
fn doctor_all_good_exits_0() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    let r = run(&mut speech_at(
        &emu,
        &["doctor", "--audio", wav.to_str().unwrap()],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("the key works"), "{r:?}");
    assert!(r.stdout.contains("voices list has"), "{r:?}");
    assert!(r.stdout.contains("16000 Hz, 1 channel"), "{r:?}");
    assert!(r.stdout.contains("0 problems"), "{r:?}");
    r.assert_no_secret();
}

#[test]
fn doctor_finds_a_wrong_key_exit_3() {
    let emu = emulator();
    let r = run(speech().args(["--endpoint", emu.base_url(), "--key", WRONG_KEY, "doctor"]));
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stdout.contains("PROBLEM"), "{r:?}");
    assert!(r.stdout.contains("401"), "{r:?}");
    assert!(r.stdout.contains("fix:"), "{r:?}");
    r.assert_no_secret();

    // With --auth key the voices request finds it.
    let r = run(speech().args([
        "--endpoint",
        emu.base_url(),
        "--key",
        WRONG_KEY,
        "--auth",
        "key",
        "doctor",
        "--output",
        "json",
    ]));
    assert_eq!(r.code, 3, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["exit_code"], 3);
    r.assert_no_secret();
}

#[test]
fn doctor_finds_bad_audio_exit_4_with_the_commands() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let wav = cd_wav(dir.path(), "cd.wav");
    let r = run(&mut speech_at(
        &emu,
        &["doctor", "--audio", wav.to_str().unwrap()],
    ));
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stdout.contains("44100 Hz"), "{r:?}");
    assert!(r.stdout.contains("2 channels"), "{r:?}");
    assert!(r.stdout.contains("-r 16000 -c 1 -b 16"), "{r:?}");
    assert!(r.stdout.contains("ffmpeg -i"), "{r:?}");
    assert!(
        r.stdout.contains("-ar 16000 -ac 1 -c:a pcm_s16le out.wav"),
        "{r:?}"
    );

    let silent = silent_wav(dir.path(), "silent.wav", 1.0);
    let r = run(&mut speech_at(
        &emu,
        &[
            "doctor",
            "--audio",
            silent.to_str().unwrap(),
            "--output",
            "json",
        ],
    ));
    assert_eq!(r.code, 4, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["check"] == "audio" && f["level"] == "problem"),
        "{v}"
    );
}

#[test]
fn doctor_finds_configuration_problems_exit_2() {
    let r = run(speech().args([
        "--region",
        "westeurope",
        "--key",
        "https://westeurope.api.cognitive.microsoft.com/",
        "doctor",
    ]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.contains("looks like a URL"), "{r:?}");

    let r = run(speech().args(["--region", "west-europe", "--key", KEY, "doctor"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.contains("fix:"), "{r:?}");
    r.assert_no_secret();

    // Unreachable service: the network finding, exit 6.
    let url = format!("http://127.0.0.1:{}", dead_port());
    let r = run(speech().args(["--endpoint", &url, "--key", KEY, "doctor"]));
    assert_eq!(r.code, 6, "{r:?}");
    r.assert_no_secret();
}

#[test]
fn doctor_finds_an_expired_token_exit_3() {
    let emu = emulator();
    // {"alg":"HS256","typ":"JWT"} . {"exp":1000000000,"region":"westus"} . "sig": expired in 2001.
    let expired = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEwMDAwMDAwMDAsInJlZ2lvbiI6Indlc3R1cyJ9.c2ln";
    let r = run(speech().args(["--endpoint", emu.base_url(), "--token", expired, "doctor"]));
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout.contains("expired at 2001-09-09T01:46:40Z"),
        "{r:?}"
    );
    assert!(!r.all().contains(expired));
}

#[test]
fn verbose_says_where_and_how_without_secrets() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let a = speech_wav(dir.path(), "a.wav", 0.5);
    let b = speech_wav(dir.path(), "b.wav", 0.5);
    let r = run(&mut speech_at(
        &emu,
        &[
            "--verbose",
            "transcribe",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains(emu.base_url()), "{r:?}");
    assert!(
        r.stderr.contains("key exchanged for bearer tokens"),
        "{r:?}"
    );
    assert!(r.stderr.contains("token fetches in this run: 1"), "{r:?}");
    r.assert_no_secret();
}

#[test]
fn doctor_with_no_credentials_checks_the_embedded_emulator() {
    let r = run(speech().args(["doctor"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("embedded offline emulator"), "{r:?}");
    assert!(r.stdout.contains("no Azure credentials"), "{r:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// embedded emulator and `speech emulator`

#[test]
fn no_credentials_uses_the_embedded_emulator_and_says_so() {
    let r = run(speech().args(["voices", "--output", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("no Azure credentials")
            && r.stderr
                .contains("using the embedded offline emulator at http://127.0.0.1:"),
        "{r:?}"
    );
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "exactly one notice line: {r:?}"
    );
    let voices: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(!voices.as_array().unwrap().is_empty());

    let r = run(speech().args(["token", "--decode"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("expires:"), "{r:?}");
}

/// A proxy in the environment (here one that nothing answers at) is not used for the embedded emulator, which
/// listens on this machine's loopback, out of any proxy's reach.
#[test]
fn the_embedded_emulator_is_reached_without_the_environments_proxy() {
    let r = run(speech()
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .args(["voices", "--output", "json"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("embedded offline emulator"), "{r:?}");
}

/// Ends the child process this test started, by its own handle.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn emulator_subcommand_serves_in_the_foreground() {
    let child = speech()
        .args(["emulator", "--port", "0", "--key", "my-test-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    let second = lines.next().unwrap().unwrap();
    assert_eq!(second, "key: my-test-key");

    let r = run(speech().args([
        "--endpoint",
        &url,
        "--key",
        "my-test-key",
        "voices",
        "--locale",
        "en-GB",
    ]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("en-GB"), "{r:?}");
    let r = run(speech().args(["--endpoint", &url, "--key", "other", "token"]));
    assert_eq!(r.code, 3, "{r:?}");
    drop(child);
}

#[test]
fn emulator_subcommand_does_not_print_a_key_from_the_environment() {
    let child = speech()
        .env("SPEECH_KEY", KEY)
        .args(["emulator", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let third = lines.next().unwrap().unwrap();
    for line in [&first, &second, &third] {
        assert!(!line.contains(KEY), "{line}");
    }
    assert!(second.contains("SPEECH_KEY"), "{second}");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    // It accepts that key.
    let r = run(speech().args(["--endpoint", &url, "--key", KEY, "token", "--decode"]));
    assert_eq!(r.code, 0, "{r:?}");
    drop(child);
}

// ---------------------------------------------------------------------------------------------------------------
// keyless: --auth entra

const RESOURCE_ID: &str =
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";

/// An emulator that takes Entra tokens for [`RESOURCE_ID`], and the emulator's `az` stand-in in `dir`.
fn entra_emulator(dir: &std::path::Path) -> (speech_emulator::EmulatorHandle, String) {
    let emu = Emulator::builder()
        .key(KEY)
        .entra_resource_id(RESOURCE_ID)
        .start_blocking()
        .expect("emulator");
    let az = emu.write_az_stand_in(dir).expect("az stand-in");
    (emu, az.display().to_string())
}

/// `speech --endpoint <emu> --auth entra --resource-id <id> --token-command <cmd> args...`.
fn speech_entra(
    emu: &speech_emulator::EmulatorHandle,
    resource_id: &str,
    command: &str,
    args: &[&str],
) -> Run {
    run(speech()
        .args(["--endpoint", emu.base_url(), "--auth", "entra"])
        .args(["--resource-id", resource_id, "--token-command", command])
        .args(args))
}

fn az_command(az: &str, resource: &str) -> String {
    format!("{az} account get-access-token --resource {resource} --query accessToken -o tsv")
}

fn entra_tokens_issued(emu: &speech_emulator::EmulatorHandle) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path == "/entra-test/token")
        .count()
}

#[test]
fn entra_transcribe_with_a_token_command() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, az) = entra_emulator(dir.path());
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    let command = az_command(&az, "https://cognitiveservices.azure.com");
    let r = speech_entra(
        &emu,
        RESOURCE_ID,
        &command,
        &["transcribe", "-v", wav.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, format!("{}\n", ScriptedRecognizer::DEFAULT_TEXT));
    assert!(r.stderr.contains("aad#<resource id>#<token>"), "{r:?}");
    assert!(!r.all().contains("eyJ"), "a token leaked: {r:?}");
    assert_eq!(entra_tokens_issued(&emu), 1);
    assert!(
        emu.requests().iter().all(|x| x.status != Some(401)),
        "{r:?}"
    );

    // The same from the environment.
    let r = run(speech()
        .env("SPEECH_ENDPOINT", emu.base_url())
        .env("SPEECH_RESOURCE_ID", RESOURCE_ID)
        .env("SPEECH_TOKEN_COMMAND", &command)
        .args(["--auth", "entra", "transcribe", wav.to_str().unwrap()]));
    assert_eq!(r.code, 0, "{r:?}");

    // `speech token --decode` shows the Entra token's claims.
    let r = speech_entra(&emu, RESOURCE_ID, &command, &["token", "--decode"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("aud: https://cognitiveservices.azure.com"),
        "{r:?}"
    );
    assert!(r.stdout.contains("expires: "), "{r:?}");
}

#[test]
fn entra_wrong_scope_or_resource_exits_3_naming_the_speech_roles() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, az) = entra_emulator(dir.path());
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    // A token for Azure Resource Manager, not for Speech.
    let r = speech_entra(
        &emu,
        RESOURCE_ID,
        &az_command(&az, "https://management.azure.com"),
        &["transcribe", wav.to_str().unwrap()],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("Cognitive Services Speech User"), "{r:?}");
    assert!(
        r.stderr
            .contains("https://cognitiveservices.azure.com/.default"),
        "{r:?}"
    );
    // Another resource's id.
    let other = RESOURCE_ID.replace("accounts/speech", "accounts/other");
    let r = speech_entra(
        &emu,
        &other,
        &az_command(&az, "https://cognitiveservices.azure.com"),
        &["transcribe", wav.to_str().unwrap()],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("Cognitive Services Speech User"), "{r:?}");
}

#[test]
fn entra_a_failing_token_command_exits_3_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, _) = entra_emulator(dir.path());
    let wav = speech_wav(dir.path(), "a.wav", 1.0);
    let r = speech_entra(
        &emu,
        RESOURCE_ID,
        "echo 'ERROR: Please run az login to setup account.' >&2; exit 1",
        &["transcribe", wav.to_str().unwrap()],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("Please run az login"), "{r:?}");
}

#[test]
fn entra_incomplete_settings_are_usage_errors_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, az) = entra_emulator(dir.path());
    let command = az_command(&az, "https://cognitiveservices.azure.com");
    for (args, says) in [
        (
            vec![
                "--auth",
                "entra",
                "--resource-id",
                RESOURCE_ID,
                "--token-command",
                &command,
            ],
            "endpoint",
        ),
        (
            vec![
                "--endpoint",
                emu.base_url(),
                "--auth",
                "entra",
                "--token-command",
                &command,
            ],
            "Resource ID",
        ),
        (
            vec![
                "--endpoint",
                emu.base_url(),
                "--auth",
                "entra",
                "--resource-id",
                "speech",
                "--token-command",
                &command,
            ],
            "/subscriptions/",
        ),
        (
            vec![
                "--endpoint",
                emu.base_url(),
                "--key",
                KEY,
                "--auth",
                "entra",
                "--resource-id",
                RESOURCE_ID,
                "--token-command",
                &command,
            ],
            "SPEECH_KEY",
        ),
    ] {
        let r = run(speech().args(&args).args(["voices"]));
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(says),
            "{args:?} should say {says:?}: {r:?}"
        );
        r.assert_no_secret();
    }
    // No token command: a build without the azure-identity feature says which to give.
    let r = run(speech()
        .args([
            "--endpoint",
            emu.base_url(),
            "--auth",
            "entra",
            "--resource-id",
            RESOURCE_ID,
        ])
        .args(["voices"])
        .env("PATH", ""));
    if cfg!(feature = "azure-identity") {
        // With it, the developer tools are asked, and there is no `az` here.
        assert_eq!(r.code, 3, "{r:?}");
        assert!(r.stderr.contains("az login"), "{r:?}");
    } else {
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains("az account get-access-token"), "{r:?}");
    }
}

#[test]
fn entra_doctor_checks_the_setup_the_token_and_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, az) = entra_emulator(dir.path());
    let good = az_command(&az, "https://cognitiveservices.azure.com");
    let r = speech_entra(&emu, RESOURCE_ID, &good, &["doctor"]);
    assert_eq!(r.code, 0, "{r:?}");
    for says in [
        "resource id has the expected shape",
        "is not a GUID", // the test id's subscription is "0000"
        "valid until",
        "audience is https://cognitiveservices.azure.com",
        "the service accepted the Entra token",
    ] {
        assert!(r.stdout.contains(says), "should say {says:?}: {r:?}");
    }
    // The token command ran once: doctor hands the token it looked at to the client.
    assert_eq!(entra_tokens_issued(&emu), 1);

    // A token for another audience is found before the service sees it.
    let r = speech_entra(
        &emu,
        RESOURCE_ID,
        &az_command(&az, "https://management.azure.com"),
        &["doctor"],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout
            .contains("audience is \"https://management.azure.com\""),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("https://cognitiveservices.azure.com/.default"),
        "{r:?}"
    );

    // A resource the identity has no access to: the service's 401, with the roles in the fix.
    let other = RESOURCE_ID.replace("accounts/speech", "accounts/other");
    let r = speech_entra(&emu, &other, &good, &["doctor", "--output", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stdout.contains("Cognitive Services Speech User"), "{r:?}");

    // A regional endpoint is a warning: Entra needs a custom domain.
    let r = run(speech().args([
        "--region",
        "westeurope",
        "--auth",
        "entra",
        "--resource-id",
        RESOURCE_ID,
        "--token-command",
        "exit 1",
        "doctor",
    ]));
    assert!(r.stdout.contains("custom domain"), "{r:?}");
    assert_eq!(r.code, 3, "{r:?}");
}

/// `speech emulator --resource-id … --az-stand-in DIR` serves keyless clients offline: the line it prints is a
/// working command.
#[test]
fn emulator_subcommand_serves_keyless_clients_with_an_az_stand_in() {
    let dir = tempfile::tempdir().unwrap();
    let child = speech()
        .args([
            "emulator",
            "--port",
            "0",
            "--resource-id",
            RESOURCE_ID,
            "--az-stand-in",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let lines: Vec<String> = BufReader::new(child.0.stdout.take().unwrap())
        .lines()
        .take(5)
        .map(Result::unwrap)
        .collect();
    let keyless = lines
        .iter()
        .find_map(|l| l.strip_prefix("keyless: "))
        .unwrap_or_else(|| panic!("no keyless line in {lines:?}"));
    assert!(
        lines.iter().any(|l| l.contains("/entra-test/token")),
        "{lines:?}"
    );
    // Run the printed command line through the shell (with `voices`: this build may have no recognizer).
    let line = keyless
        .replacen("speech", env!("CARGO_BIN_EXE_speech"), 1)
        .replace("<command>", "voices --locale en-GB");
    let r = run(std::process::Command::new("sh").args(["-c", &line]));
    assert_eq!(r.code, 0, "{line}: {r:?}");
    assert!(r.stdout.contains("en-GB"), "{r:?}");
    drop(child);
}

/// With the `azure-identity` feature, `--auth entra` without a token command asks `azure_identity`'s
/// developer-tools chain, which runs `az` (here the emulator's stand-in, first on the child's `PATH`).
#[cfg(feature = "azure-identity")]
#[test]
fn entra_without_a_token_command_asks_the_azure_developer_tools() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, _) = entra_emulator(dir.path());
    let mut path = std::ffi::OsString::from(dir.path());
    if let Some(rest) = std::env::var_os("PATH") {
        path.push(":");
        path.push(rest);
    }
    let r = run(speech()
        .env("PATH", path)
        .args([
            "--endpoint",
            emu.base_url(),
            "--auth",
            "entra",
            "--resource-id",
            RESOURCE_ID,
        ])
        .args(["doctor"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Azure developer tools"), "{r:?}");
    assert!(
        r.stdout.contains("the service accepted the Entra token"),
        "{r:?}"
    );
    assert_eq!(entra_tokens_issued(&emu), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// listen

/// `speech listen -` fed from a pipe: a phrase per sentence as JSON lines, then the end, and exit 0 when the
/// input ends.
#[test]
fn listen_from_a_pipe_prints_events_and_stops_at_the_end_of_input() {
    use std::io::Write as _;
    let emu = emulator();
    let spoken = speech_emulator::fixtures::speak(&[
        (
            std::time::Duration::from_millis(500),
            "Good morning everyone.",
        ),
        (
            std::time::Duration::from_millis(1_200),
            "Let us begin the meeting.",
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let pcm: Vec<u8> = spoken
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let mut child = speech()
        .args([
            "--endpoint",
            emu.base_url(),
            "--key",
            emu.key(),
            "listen",
            "-",
            "--output",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for piece in pcm.chunks(4_000) {
            stdin.write_all(piece).unwrap();
        }
        // Dropping stdin closes the pipe: the end of input.
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = json_lines(&stdout);
    let phrases: Vec<&Value> = events.iter().filter(|e| e["event"] == "phrase").collect();
    assert_eq!(phrases.len(), 2, "{stdout}");
    for (p, start) in phrases.iter().zip(&spoken.starts) {
        assert_eq!(p["status"], "Success");
        assert_eq!(p["text"], ScriptedRecognizer::DEFAULT_TEXT);
        let offset = p["offset_ms"].as_u64().unwrap();
        assert!(
            offset.abs_diff(start.as_millis() as u64) <= 500,
            "{offset} vs {start:?}"
        );
    }
    assert_eq!(events.last().unwrap()["event"], "end", "{stdout}");
    assert_eq!(events.last().unwrap()["reason"], "end_of_audio");
    // Subtitles, and a wrong key exits 3.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("s.wav");
    write_wav(&wav, 16_000, 1, &spoken.samples);
    let r = run(&mut speech_at(
        &emu,
        &["listen", wav.to_str().unwrap(), "--output", "srt"],
    ));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(strict_srt(&r.stdout).len(), 2, "{r:?}");
    let r = run(speech()
        .args([
            "--endpoint",
            emu.base_url(),
            "--key",
            WRONG_KEY,
            "--auth",
            "key",
            "listen",
        ])
        .arg(&wav));
    assert_eq!(r.code, 3, "{r:?}");
    r.assert_no_secret();
}
