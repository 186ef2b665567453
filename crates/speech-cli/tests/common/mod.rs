//! Shared helpers: run the built `speech` binary with a clean environment, make WAV files, start emulators.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use speech_emulator::{Emulator, EmulatorHandle};

/// A key distinctive enough to grep for in every output.
pub(crate) const KEY: &str = "SECRET-KEY-7c41e9d2b8a5f036";

/// Another distinctive key the emulator does not accept.
pub(crate) const WRONG_KEY: &str = "WRONG-SECRET-1f9e8d7c6b5a4321";

/// Environment variables that must never leak in from the machine running the tests.
const CLEARED: &[&str] = &[
    "SPEECH_ENDPOINT",
    "SPEECH_REGION",
    "SPEECH_KEY",
    "SPEECH_TOKEN",
    "SPEECH_RESOURCE_ID",
    "SPEECH_TOKEN_COMMAND",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
];

/// The `speech` binary with every `SPEECH_*` and proxy variable removed.
pub(crate) fn speech() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_speech"));
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd
}

/// `speech --endpoint <emu> --key <KEY> args...`.
pub(crate) fn speech_at(emu: &EmulatorHandle, args: &[&str]) -> Command {
    let mut cmd = speech();
    cmd.args(["--endpoint", emu.base_url(), "--key", emu.key()]);
    cmd.args(args);
    cmd
}

/// A started emulator with the deterministic engines, accepting [`KEY`].
pub(crate) fn emulator() -> EmulatorHandle {
    Emulator::builder()
        .key(KEY)
        .start_blocking()
        .expect("the emulator starts")
}

/// An emulator accepting [`KEY`] whose recognizer answers "Heard that." to everything (fast transcription
/// offered or not).
pub(crate) fn scripted_emulator(fast: bool) -> EmulatorHandle {
    use speech_emulator::engine::Transcript;
    use speech_emulator::engines::scripted::ScriptedRecognizer;
    let recognizer = std::sync::Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(Transcript::Text {
        text: "Heard that.".into(),
        confidence: 0.9,
    });
    Emulator::builder()
        .key(KEY)
        .recognizer(recognizer)
        .fast_transcription(fast)
        .start_blocking()
        .expect("the emulator starts")
}

/// The result of a run, as text.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Both streams, for searching.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics if any secret appears in the output.
    pub(crate) fn assert_no_secret(&self) {
        for secret in [KEY, WRONG_KEY] {
            assert!(
                !self.all().contains(secret),
                "a key leaked into the output:\n{}",
                self.all()
            );
        }
    }
}

/// Run and capture.
pub(crate) fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the binary runs");
    Run {
        code: status.code().expect("exited normally (not by a signal)"),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A 16-bit PCM WAV file with these samples.
pub(crate) fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for s in samples {
        w.write_sample(*s).expect("write sample");
    }
    w.finalize().expect("finalize wav");
}

/// `secs` seconds of a 440 Hz tone at about -12 dBFS (heard as speech by the emulator's detector).
pub(crate) fn tone(rate: u32, channels: u16, secs: f64) -> Vec<i16> {
    let frames = (f64::from(rate) * secs) as usize;
    let mut out = Vec::with_capacity(frames * usize::from(channels));
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        let s = (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16;
        for _ in 0..channels {
            out.push(s);
        }
    }
    out
}

/// A 16 kHz mono WAV: 0.2 s of silence, then `secs` of tone, then 0.2 s of silence.
pub(crate) fn speech_wav(dir: &Path, name: &str, secs: f64) -> PathBuf {
    let path = dir.join(name);
    let mut samples = vec![0i16; 3200];
    samples.extend(tone(16_000, 1, secs));
    samples.extend(vec![0i16; 3200]);
    write_wav(&path, 16_000, 1, &samples);
    path
}

/// A 16 kHz mono WAV of digital silence.
pub(crate) fn silent_wav(dir: &Path, name: &str, secs: f64) -> PathBuf {
    let path = dir.join(name);
    write_wav(&path, 16_000, 1, &vec![0i16; (16_000.0 * secs) as usize]);
    path
}

/// A 44.1 kHz stereo WAV of tone (the classic wrong format).
pub(crate) fn cd_wav(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    write_wav(&path, 44_100, 2, &tone(44_100, 2, 1.0));
    path
}

/// A loopback port nothing listens on (bound, then released).
pub(crate) fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// How many token requests the emulator received.
pub(crate) fn token_requests(emu: &EmulatorHandle) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path.ends_with("/sts/v1.0/issueToken"))
        .count()
}

/// How many recognition requests the emulator received.
pub(crate) fn recognition_requests(emu: &EmulatorHandle) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path.contains("/speech/recognition/"))
        .count()
}

/// Parses an SRT document strictly: numbered from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, times increasing
/// without overlap, 1–2 lines of at most 42 characters, a blank line after each cue.
pub(crate) fn strict_srt(doc: &str) -> Vec<(f64, f64, String)> {
    let seconds = |t: &str| -> f64 {
        let (hms, ms) = t
            .split_once(',')
            .unwrap_or_else(|| panic!("bad time {t:?}"));
        let parts: Vec<f64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
        assert_eq!(parts.len(), 3, "{t:?}");
        assert_eq!(ms.len(), 3, "{t:?}");
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2] + ms.parse::<f64>().unwrap() / 1000.0
    };
    let mut cues = Vec::new();
    let mut previous_end = 0.0;
    for (i, block) in doc.split("\n\n").filter(|b| !b.is_empty()).enumerate() {
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], (i + 1).to_string(), "{block:?}");
        let (start, end) = lines[1]
            .split_once(" --> ")
            .unwrap_or_else(|| panic!("{block:?}"));
        let (start, end) = (seconds(start), seconds(end));
        assert!(start >= previous_end && end > start, "{block:?}");
        previous_end = end;
        let text = &lines[2..];
        assert!((1..=2).contains(&text.len()), "{block:?}");
        assert!(text.iter().all(|l| l.chars().count() <= 42), "{block:?}");
        cues.push((start, end, text.join(" ")));
    }
    assert!(doc.ends_with("\n\n") || doc.is_empty(), "{doc:?}");
    cues
}

/// Parses a WebVTT document strictly: the `WEBVTT` header and a blank line, then cues of
/// `HH:MM:SS.mmm --> HH:MM:SS.mmm` and 1–2 lines of at most 42 characters with no raw `<` or `&` unescaped,
/// times increasing without overlap, a blank line after each cue.
pub(crate) fn strict_vtt(doc: &str) -> Vec<(f64, f64, String)> {
    let body = doc
        .strip_prefix("WEBVTT\n\n")
        .unwrap_or_else(|| panic!("no WEBVTT header: {doc:?}"));
    let seconds = |t: &str| -> f64 {
        let (hms, ms) = t
            .split_once('.')
            .unwrap_or_else(|| panic!("bad time {t:?}"));
        let parts: Vec<f64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
        assert_eq!((parts.len(), ms.len()), (3, 3), "{t:?}");
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2] + ms.parse::<f64>().unwrap() / 1000.0
    };
    let mut cues = Vec::new();
    let mut previous_end = 0.0;
    for block in body.split("\n\n").filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().collect();
        let (start, end) = lines[0]
            .split_once(" --> ")
            .unwrap_or_else(|| panic!("{block:?}"));
        let (start, end) = (seconds(start), seconds(end));
        assert!(start >= previous_end && end > start, "{block:?}");
        previous_end = end;
        let text = &lines[1..];
        assert!((1..=2).contains(&text.len()), "{block:?}");
        for (i, line) in text.iter().enumerate() {
            assert!(line.chars().count() <= 42, "{block:?}");
            // A voice span (`<v Speaker 1>`) may open the cue; no other markup.
            let line = match (i, line.strip_prefix("<v ")) {
                (0, Some(rest)) => {
                    let (name, after) = rest.split_once('>').unwrap_or_else(|| panic!("{block:?}"));
                    assert!(!name.is_empty() && !name.contains('<'), "{block:?}");
                    after
                }
                _ => line,
            };
            assert!(!line.contains('<'), "{block:?}");
            assert!(
                line.replace("&amp;", "")
                    .replace("&lt;", "")
                    .replace("&gt;", "")
                    .find('&')
                    .is_none(),
                "{block:?}"
            );
        }
        cues.push((start, end, text.join(" ")));
    }
    assert!(doc.ends_with("\n\n"), "{doc:?}");
    cues
}

/// The pauses before the sentences of [`three_minute_recording`], in turn.
const PAUSES_MS: [u64; 6] = [600, 1_200, 3_000, 800, 2_000, 1_500];

/// About three minutes of flite speech (42 sentences after pauses of 0.6–3 s): the script and the recording
/// (16 kHz mono).
pub(crate) fn three_minute_recording() -> (Vec<&'static str>, speech_emulator::fixtures::Spoken) {
    use speech_emulator::fixtures::{speak, SENTENCES};
    use std::time::Duration;
    let script: Vec<(Duration, &str)> = SENTENCES
        .iter()
        .enumerate()
        .map(|(i, s)| (Duration::from_millis(PAUSES_MS[i % PAUSES_MS.len()]), *s))
        .collect();
    let spoken = speak(&script).unwrap_or_else(|e| panic!("{e}"));
    let length = spoken.duration();
    assert!(length >= Duration::from_secs(180), "{length:?}");
    (script.into_iter().map(|(_, s)| s).collect(), spoken)
}
