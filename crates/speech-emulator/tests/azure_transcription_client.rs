//! The emulator serves Microsoft's own fast-transcription client unchanged: `azure-ai-transcription` 1.0.0 from
//! PyPI (in the virtualenv `scripts/setup.sh` makes under the cache directory), pointed at the emulator with
//! `TranscriptionClient(endpoint, AzureKeyCredential(key))`, transcribes a two-voice recording with
//! diarization and gets the emulator's phrases, speakers and words.
//!
//! What that client sends differs from ours (the `audio` part first, `definition` without a part
//! `Content-Type`, `{"maxSpeakers": 2}` without `enabled`), so this checks the emulator's reading of the spec
//! against Microsoft's writing of it.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use speech_emulator::engine::Transcript;
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_emulator::Emulator;

/// The virtualenv's Python.
fn python() -> PathBuf {
    common::venv_python("venv-azure-transcription", "azure-ai-transcription")
}

fn wav(samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("writer");
    for &s in samples {
        writer.write_sample(s).expect("sample");
    }
    writer.finalize().expect("finalize");
    cursor.into_inner()
}

#[test]
fn microsofts_python_client_transcribes_with_speakers_and_words() {
    let recognizer = Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(Transcript::Text {
        text: "Words were heard.".into(),
        confidence: 0.9,
    });
    let emu = Emulator::builder()
        .recognizer(recognizer)
        .start_blocking()
        .expect("the emulator starts");
    let spoken = speech_emulator::fixtures::short_dialogue().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let audio = dir.path().join("call.wav");
    std::fs::write(&audio, wav(&spoken.samples)).expect("written");

    let script = speech_emulator::fixtures::repo_path("scripts/azure-transcription-client.py");
    let output = Command::new(python())
        .arg(script)
        .arg(emu.base_url())
        .arg(emu.key())
        .arg(&audio)
        .args(["en-US", "2"])
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let result: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));

    let phrases = result["phrases"].as_array().expect("phrases");
    assert_eq!(phrases.len(), 3, "{result}");
    let speakers: Vec<_> = phrases.iter().map(|p| p["speaker"].clone()).collect();
    assert_eq!(speakers, [0, 1, 0], "{result}");
    for (phrase, start) in phrases.iter().zip(&spoken.starts) {
        assert_eq!(phrase["text"], "Words were heard.");
        assert_eq!(phrase["locale"], "en-US");
        let offset = phrase["offset_ms"].as_u64().expect("an offset");
        assert!(offset.abs_diff(start.as_millis() as u64) <= 300, "{result}");
        assert_eq!(
            phrase["words"].as_array().map(Vec::len),
            Some(3),
            "{result}"
        );
    }
    let duration = result["duration_ms"].as_u64().expect("a duration");
    assert!(duration.abs_diff(spoken.duration().as_millis() as u64) <= 50);

    // What the client sent, as the emulator logged it.
    let requests = emu.requests();
    let request = requests
        .iter()
        .find(|r| r.path == "/speechtotext/transcriptions:transcribe")
        .expect("a fast-transcription request");
    assert_eq!(request.query.as_deref(), Some("api-version=2025-10-15"));
    assert!(
        request.header("x-ms-client-request-id").is_some(),
        "{request:?}"
    );
    assert_eq!(request.status, Some(200));
}
