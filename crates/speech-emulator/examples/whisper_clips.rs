//! Times the offline recognizer clip by clip on real human speech, for comparison with the reference decoder
//! (`scripts/reference-decoder.py`, faster-whisper on the same model files and clips).
//!
//! ```text
//! source scripts/env.sh
//! cargo build --workspace --features "$SPEECH_FEATURES" --examples   # the test build's features
//! "$CARGO_TARGET_DIR"/debug/examples/whisper_clips [base|tiny.en]
//! ```
//!
//! Prints each clip's length, decoding time, word errors and text, then the word error rate over the set. The
//! clips are Debian's `pocketsphinx-testdata` recordings and `examples/audio/jfk.wav` (`scripts/setup.sh`
//! installs both the recordings and the models). Each clip goes to the recognizer whole, as faster-whisper
//! gets it: no voice-activity trimming (the HTTP path keeps the voiced stretch with 500 ms of the audio around it,
//! then the recognizer pads 0.3 s of silence on each side).

use std::path::{Path, PathBuf};
use std::time::Instant;

use speech_emulator::engine::{RecognitionInput, Recognizer, Transcript};
use speech_emulator::engines::whisper::{model_dir, WhisperRecognizer};
use speech_emulator::text::word_errors;

const DATA: &str = "/usr/share/pocketsphinx/test/data";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = std::env::args().nth(1).unwrap_or_else(|| "base".to_owned());
    let started = Instant::now();
    let whisper = WhisperRecognizer::load(&model_dir(&model)?)?;
    println!(
        "model {model}: loaded in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let (mut errors, mut words, mut total_time) = (0, 0, 0.0);
    for (path, reference) in clips()? {
        let audio = read_pcm(&path)?;
        let started = Instant::now();
        let heard = match whisper.recognize(RecognitionInput {
            audio: &audio,
            sample_rate: 16_000,
            language: "en-US",
            previous: None,
            following: &[],
            draft: false,
        })? {
            Transcript::Text { text, .. } => text,
            other => format!("<{other:?}>"),
        };
        let took = started.elapsed().as_secs_f64();
        let (e, n) = word_errors(&reference, &heard, "en-US");
        println!(
            "{:48} {:5.1} s {:5.2} s  {e}/{n}  {heard}",
            path.file_name().unwrap_or_default().to_string_lossy(),
            audio.len() as f64 / 16_000.0,
            took,
        );
        errors += e;
        words += n;
        total_time += took;
    }
    println!(
        "WER {:.1} % ({errors}/{words} words), {total_time:.1} s in all",
        100.0 * errors as f64 / words as f64
    );
    Ok(())
}

/// The clips and their transcripts (pocketsphinx's `<s> words </s> (id)` lines).
fn clips() -> Result<Vec<(PathBuf, String)>, std::io::Error> {
    let data = Path::new(DATA);
    let mut clips = Vec::new();
    for (dir, file) in [
        ("librivox", "transcription"),
        ("cards", "cards.transcription"),
    ] {
        for line in std::fs::read_to_string(data.join(dir).join(file))?.lines() {
            let Some((words, id)) = line.trim().rsplit_once(" (") else {
                continue;
            };
            let words = words
                .trim()
                .trim_start_matches("<s>")
                .trim_end_matches("</s>");
            let id = id.trim_end_matches(')');
            clips.push((
                data.join(dir).join(format!("{id}.wav")),
                words.trim().to_owned(),
            ));
        }
    }
    clips.push((
        data.join("goforward.raw"),
        "go forward ten meters".to_owned(),
    ));
    clips.push((
        speech_emulator::fixtures::repo_path("examples/audio/jfk.wav"),
        "and so my fellow americans ask not what your country can do for you ask what you can do for your country"
            .to_owned(),
    ));
    Ok(clips)
}

/// 16 kHz mono 16-bit samples of a canonical WAV file, or of headerless PCM (`.raw`).
fn read_pcm(path: &Path) -> Result<Vec<i16>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    let data = if path.extension().is_some_and(|e| e == "raw") {
        &bytes[..]
    } else {
        let at = bytes
            .windows(4)
            .position(|w| w == b"data")
            .ok_or_else(|| format!("{}: no data chunk", path.display()))?;
        &bytes[(at + 8).min(bytes.len())..]
    };
    Ok(data
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect())
}
