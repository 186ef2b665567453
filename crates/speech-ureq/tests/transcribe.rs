//! `Client::transcribe`: a recording that is not 16 kHz mono (48 kHz stereo WAV here) and has several
//! utterances is decoded, cut at its pauses, recognized segment by segment and stitched onto its timeline.
//!
//! The speech is real (flite, installed by `scripts/setup.sh`), so that the voice-activity detector hears
//! it; the emulator's recognizer is scripted, so that each segment's answer is known.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use speech_emulator::engine::Transcript;
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_ureq::speech_proto::recognize::{RecognitionRequest, RecognitionStatus};
use speech_ureq::speech_proto::stt::{Progress, TranscribeOptions};
use speech_ureq::{Error, ErrorKind};

const STT_PATH: &str = "/speech/recognition/conversation/cognitiveservices/v1";

/// Three sentences with the pause before each (seconds).
const SCRIPT: &[(f64, &str)] = &[
    (1.0, "The first sentence is short."),
    (1.5, "Then a second one follows after a pause."),
    (2.5, "And the third one ends the recording."),
];

/// The script spoken by flite at 16 kHz, with 1 s of silence at the end, and where each sentence starts.
fn spoken() -> (Vec<i16>, Vec<Duration>) {
    let script: Vec<(Duration, &str)> = SCRIPT
        .iter()
        .map(|(pause, text)| (Duration::from_secs_f64(*pause), *text))
        .collect();
    let spoken = speech_emulator::fixtures::speak(&script).unwrap_or_else(|e| panic!("{e}"));
    (spoken.samples, spoken.starts)
}

/// The audio as a 48 kHz stereo WAV file (each sample repeated three times, both channels alike).
fn stereo_48k_wav(audio: &[i16], dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("dialogue-48k-stereo.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("create");
    for &s in audio {
        for _ in 0..3 {
            w.write_sample(s).expect("write");
            w.write_sample(s).expect("write");
        }
    }
    w.finalize().expect("finalize");
    path
}

fn said(text: &str) -> Transcript {
    Transcript::Text {
        text: text.into(),
        confidence: 0.9,
    }
}

#[test]
fn a_48k_stereo_recording_is_cut_at_its_pauses_and_stitched_onto_its_timeline() {
    let (audio, starts) = spoken();
    let dir = tempfile::tempdir().expect("temporary directory");
    let wav = stereo_48k_wav(&audio, dir.path());

    let recognizer = Arc::new(ScriptedRecognizer::new());
    for (_, text) in SCRIPT {
        recognizer.push(said(text));
    }
    let emu = emulator_builder()
        .recognizer(recognizer.clone())
        .start_blocking()
        .expect("emulator");
    let client = client(&emu);
    // One at a time, so that the scripted answers go to the segments in order.
    let options = TranscribeOptions::new(RecognitionRequest::new("en-US")).concurrency(1);
    let reports = Mutex::new(Vec::<Progress>::new());
    let transcript = client
        .transcribe_with_progress(wav.as_path(), &options, |p| {
            reports.lock().expect("lock").push(p)
        })
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(seen(&emu, STT_PATH).len(), 3, "one request per sentence");
    assert_eq!(transcript.phrases.len(), 3, "{transcript:?}");
    for ((phrase, (_, text)), start) in transcript.phrases.iter().zip(SCRIPT).zip(&starts) {
        assert_eq!(phrase.status, RecognitionStatus::Success);
        assert_eq!(phrase.text, *text);
        let error = phrase.offset.abs_diff(*start);
        assert!(
            error <= Duration::from_millis(500),
            "{text:?} starts at {start:?} but its phrase at {:?}",
            phrase.offset
        );
    }
    let length = Duration::from_secs_f64(audio.len() as f64 / 16_000.0);
    let duration = transcript.duration.expect("the length is known");
    assert!(
        duration.abs_diff(length) < Duration::from_millis(20),
        "{duration:?}"
    );
    let srt = transcript.to_srt();
    assert!(srt.starts_with("1\n00:00:0"), "{srt}");

    let reports = reports.into_inner().expect("lock");
    let last = reports.last().copied().expect("progress was reported");
    assert_eq!(last.recognized, last.decoded);
    assert!(reports.windows(2).all(|w| w[0].decoded <= w[1].decoded));
    assert!(last
        .total
        .is_some_and(|t| t.abs_diff(length) < Duration::from_millis(20)));
}

#[test]
fn segments_go_up_concurrently_and_come_back_in_order() {
    let (audio, starts) = spoken();
    let dir = tempfile::tempdir().expect("temporary directory");
    let wav = stereo_48k_wav(&audio, dir.path());
    let recognizer = Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(said("Heard."));
    let emu = emulator_builder()
        .recognizer(recognizer)
        .start_blocking()
        .expect("emulator");
    let transcript = client(&emu)
        .transcribe(
            wav.as_path(),
            &TranscribeOptions::new(RecognitionRequest::new("en-US")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let offsets: Vec<Duration> = transcript.phrases.iter().map(|p| p.offset).collect();
    assert_eq!(offsets.len(), starts.len(), "{offsets:?}");
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    assert_eq!(transcript.text(), "Heard. Heard. Heard.");
}

#[test]
fn what_cannot_be_decoded_is_a_clear_error() {
    let emu = emulator();
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are not audio bytes at all, just text").expect("write");
    let err = client(&emu)
        .transcribe(
            path.as_path(),
            &TranscribeOptions::new(RecognitionRequest::new("en-US")),
        )
        .expect_err("text is not audio");
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("ffmpeg"), "{err}");
    let missing = client(&emu).transcribe(
        dir.path().join("missing.mp3").as_path(),
        &TranscribeOptions::new(RecognitionRequest::new("en-US")),
    );
    assert!(matches!(missing, Err(Error::Io(_))), "{missing:?}");
    assert!(seen(&emu, STT_PATH).is_empty());
}
