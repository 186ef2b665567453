//! Offline speech recognition with OpenAI's Whisper (tiny.en by default) through CTranslate2 (`ct2rs`).
//!
//! The model is loaded once ([`WhisperRecognizer::load`], about 0.3 s) and shared by every request:
//! [`WhisperRecognizer`] is `Send + Sync`, and CTranslate2 queues concurrent calls itself. Decoding runs with
//! int8 weights, beam size 5 and up to 4 threads; a short clip costs about a second on two cores, because
//! Whisper always encodes a 30-second window. The segment is decoded with 0.3 s of silence added on each side:
//! the server hands over audio cut tightly by its voice-activity detector, and without that margin Whisper
//! often drops the first word (measured: 9.9 % against 1.0 % word error rate on the HTTP round-trip test).
//! `scripts/setup.sh` downloads the pinned model into [`default_model_dir`].
//!
//! # Language
//!
//! tiny.en understands English only. A request whose `language` is not English (`en`, `en-US`, `en-GB`, …) gets
//! [`Transcript::NoMatch`], the service's answer when no words of the requested language were heard. With a
//! multilingual Whisper model in the directory, the request's primary language subtag (`de-DE` → `de`) is
//! passed to the model instead.
//!
//! # Silence and hallucinations
//!
//! Whisper writes *something* for any input: on silence or faint noise it returns text such as `".. .."`,
//! `"you"` or `"Thank you."`. These rules turn such output into [`Transcript::NoMatch`]:
//!
//! 1. **Energy gate, before decoding.** The audio is cut into 20 ms frames. Unless at least
//!    [`MIN_VOICED_SECONDS`] of frames are louder than [`VOICED_FRAME_DBFS`], the model is not called.
//! 2. **Annotations.** Bracketed or parenthesised spans (`[BLANK_AUDIO]`, `(music)`) are removed from the text.
//! 3. **No words.** Text without a letter or digit (`".. .."`, `"..."`, `""`) is no match.
//! 4. **Quiet stock phrases.** When the text is one of Whisper's usual near-silence inventions (`you`,
//!    `thank you`, `thanks for watching`, `bye`, …) *and* the loudest 20 ms frame is quieter than
//!    [`STOCK_PHRASE_MAX_DBFS`], it is no match. The same words spoken at a normal level are kept.
//!
//! # Confidence
//!
//! `ct2rs`' `Whisper::generate` returns text only (no sequence scores), and its `generate_segments`, which
//! would give word probabilities, returned empty text with this model in ct2rs 0.10.3. So every result carries
//! the constant [`CONFIDENCE`].

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::engine::{EngineError, RecognitionInput, Recognizer, Transcript};

/// The files a model directory must hold. `preprocessor_config.json` comes from this repository
/// (`crates/speech-emulator/assets/`); the others come from the model package.
pub const MODEL_FILES: [&str; 5] = [
    "model.bin",
    "config.json",
    "tokenizer.json",
    "vocabulary.txt",
    "preprocessor_config.json",
];

/// The confidence reported with every recognized phrase (see the module documentation).
pub const CONFIDENCE: f64 = 0.9;

/// A 20 ms frame counts as voiced when its RMS level is at least this many dB below full scale.
pub const VOICED_FRAME_DBFS: f64 = -40.0;

/// How much voiced audio (in seconds) the energy gate needs before Whisper is called.
pub const MIN_VOICED_SECONDS: f64 = 0.1;

/// A stock phrase is discarded as a hallucination when the loudest 20 ms frame is below this level (dBFS).
pub const STOCK_PHRASE_MAX_DBFS: f64 = -30.0;

/// Whisper's usual inventions on near-silence, in lexical form.
const STOCK_PHRASES: &[&str] = &[
    "you",
    "thank you",
    "thanks",
    "thank you very much",
    "thanks for watching",
    "thank you for watching",
    "bye",
    "okay",
    "so",
];

/// The sample rate Whisper works at.
const SAMPLE_RATE: u32 = 16_000;

/// Samples per energy frame (20 ms at 16 kHz).
const FRAME: usize = 320;

/// Silence added before and after the segment for decoding (0.3 s at 16 kHz).
const PAD_SAMPLES: usize = 4_800;

/// Speech recognition with a Whisper model in CTranslate2 format.
pub struct WhisperRecognizer {
    whisper: ct2rs::Whisper,
    options: ct2rs::WhisperOptions,
    name: String,
    model_dir: PathBuf,
    multilingual: bool,
}

impl std::fmt::Debug for WhisperRecognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperRecognizer")
            .field("name", &self.name)
            .field("model_dir", &self.model_dir)
            .field("multilingual", &self.multilingual)
            .finish_non_exhaustive()
    }
}

/// Where the model lives unless told otherwise: `$SPEECH_EMULATOR_MODEL_DIR` when set, otherwise
/// `$XDG_CACHE_HOME/speech-emulator/whisper-tiny.en`, otherwise `$HOME/.cache/speech-emulator/whisper-tiny.en`
/// (the same rule as `scripts/setup.sh`).
pub fn default_model_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("SPEECH_EMULATOR_MODEL_DIR") {
        return PathBuf::from(dir);
    }
    let cache = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("speech-emulator").join("whisper-tiny.en")
}

impl WhisperRecognizer {
    /// Loads the model in `model_dir` (see [`MODEL_FILES`]). Fails with a message naming the directory, the
    /// missing files and `scripts/setup.sh` when the model is not there.
    pub fn load(model_dir: &Path) -> Result<Self, EngineError> {
        let missing: Vec<&str> = MODEL_FILES
            .iter()
            .copied()
            .filter(|f| !model_dir.join(f).is_file())
            .collect();
        if !missing.is_empty() {
            return Err(EngineError::new(format!(
                "the Whisper model is not installed in {}: missing {}; run scripts/setup.sh \
                 (or set SPEECH_EMULATOR_MODEL_DIR to a directory that holds it)",
                model_dir.display(),
                missing.join(", ")
            )));
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(4);
        let config = ct2rs::Config {
            compute_type: ct2rs::ComputeType::INT8,
            num_threads_per_replica: threads,
            ..ct2rs::Config::default()
        };
        let whisper = ct2rs::Whisper::new(model_dir, config).map_err(|e| {
            EngineError::new(format!(
                "cannot load the Whisper model in {}: {e:#}; run scripts/setup.sh to reinstall it",
                model_dir.display()
            ))
        })?;
        let options = ct2rs::WhisperOptions {
            beam_size: 5,
            ..ct2rs::WhisperOptions::default()
        };
        let dir_name = model_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = if dir_name.starts_with("whisper") {
            dir_name
        } else {
            format!("whisper-{dir_name}")
        };
        Ok(Self {
            multilingual: whisper.is_multilingual(),
            whisper,
            options,
            name,
            model_dir: model_dir.to_path_buf(),
        })
    }

    /// Loads the model from [`default_model_dir`].
    pub fn load_default() -> Result<Self, EngineError> {
        Self::load(&default_model_dir())
    }

    /// The directory the model was loaded from.
    pub fn model_dir(&self) -> &Path {
        &self.model_dir
    }

    /// The Whisper language code for a request's `language`, or `None` when the model cannot recognise it.
    fn whisper_language(&self, request_language: &str) -> Option<String> {
        let primary = request_language
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let plausible_code =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
        (primary == "en" || (self.multilingual && plausible_code)).then_some(primary)
    }
}

impl Recognizer for WhisperRecognizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn recognize(&self, input: RecognitionInput<'_>) -> Result<Transcript, EngineError> {
        if input.sample_rate != SAMPLE_RATE {
            return Err(EngineError::new(format!(
                "Whisper needs 16 kHz audio, got {} Hz",
                input.sample_rate
            )));
        }
        let Some(language) = self.whisper_language(input.language) else {
            return Ok(Transcript::NoMatch);
        };
        let energy = Energy::measure(input.audio);
        if energy.voiced_seconds < MIN_VOICED_SECONDS {
            return Ok(Transcript::NoMatch);
        }
        // Silence on both sides: a segment cut tightly by a voice-activity detector loses its first word far
        // less often when Whisper hears a moment of quiet before it.
        let pad = std::iter::repeat_n(0.0f32, PAD_SAMPLES);
        let samples: Vec<f32> = pad
            .clone()
            .chain(input.audio.iter().map(|&s| f32::from(s) / 32_768.0))
            .chain(pad)
            .collect();
        let decoded = panic::catch_unwind(AssertUnwindSafe(|| {
            self.whisper
                .generate(&samples, Some(&language), false, &self.options)
        }))
        .map_err(|_| EngineError::new("the Whisper engine panicked"))?
        .map_err(|e| EngineError::new(format!("Whisper failed: {e:#}")))?;
        Ok(clean_transcript(&decoded.join(" "), &energy))
    }
}

/// Loudness facts about a segment, for the silence and hallucination rules.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Energy {
    /// Seconds of 20 ms frames at or above [`VOICED_FRAME_DBFS`].
    voiced_seconds: f64,
    /// The level of the loudest frame, in dBFS (`-inf` for digital silence or no audio).
    peak_frame_dbfs: f64,
}

impl Energy {
    fn measure(audio: &[i16]) -> Energy {
        let mut voiced_frames = 0usize;
        let mut peak = f64::NEG_INFINITY;
        for frame in audio.chunks(FRAME) {
            let sum: f64 = frame
                .iter()
                .map(|&s| {
                    let x = f64::from(s) / 32_768.0;
                    x * x
                })
                .sum();
            let rms = (sum / frame.len() as f64).sqrt();
            let dbfs = 20.0 * rms.log10();
            if dbfs >= VOICED_FRAME_DBFS {
                voiced_frames += 1;
            }
            peak = peak.max(dbfs);
        }
        Energy {
            voiced_seconds: (voiced_frames * FRAME) as f64 / f64::from(SAMPLE_RATE),
            peak_frame_dbfs: peak,
        }
    }
}

/// Applies rules 2–4 of the module documentation to Whisper's text.
fn clean_transcript(raw: &str, energy: &Energy) -> Transcript {
    let text = strip_annotations(raw);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.chars().any(char::is_alphanumeric) {
        return Transcript::NoMatch;
    }
    let lexical = crate::text::derive_forms(&text, crate::text::Profanity::Raw).lexical;
    if STOCK_PHRASES.contains(&lexical.as_str()) && energy.peak_frame_dbfs < STOCK_PHRASE_MAX_DBFS {
        return Transcript::NoMatch;
    }
    Transcript::Text {
        text,
        confidence: CONFIDENCE,
    }
}

/// Removes `[...]` and `(...)` spans (Whisper's sound annotations). An unclosed bracket runs to the end.
fn strip_annotations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut closing: Option<char> = None;
    for c in text.chars() {
        match closing {
            Some(close) if c == close => closing = None,
            Some(_) => {}
            None if c == '[' => closing = Some(']'),
            None if c == '(' => closing = Some(')'),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn assert_send_sync<T: Send + Sync>() {}
    const _: () = assert_send_sync::<WhisperRecognizer>();

    fn loud() -> Energy {
        Energy {
            voiced_seconds: 1.0,
            peak_frame_dbfs: -12.0,
        }
    }

    fn quiet() -> Energy {
        Energy {
            voiced_seconds: 0.2,
            peak_frame_dbfs: -36.0,
        }
    }

    fn text(t: &str) -> Transcript {
        Transcript::Text {
            text: t.into(),
            confidence: CONFIDENCE,
        }
    }

    #[test]
    fn hallucination_rules() {
        assert_eq!(clean_transcript(".. ..", &loud()), Transcript::NoMatch);
        assert_eq!(clean_transcript("", &loud()), Transcript::NoMatch);
        assert_eq!(
            clean_transcript(" [BLANK_AUDIO]", &loud()),
            Transcript::NoMatch
        );
        assert_eq!(
            clean_transcript("(upbeat music)", &loud()),
            Transcript::NoMatch
        );
        assert_eq!(clean_transcript(" you", &quiet()), Transcript::NoMatch);
        assert_eq!(
            clean_transcript(" Thank you.", &quiet()),
            Transcript::NoMatch
        );
        assert_eq!(clean_transcript(" Thank you.", &loud()), text("Thank you."));
        assert_eq!(
            clean_transcript(" Hello there.", &quiet()),
            text("Hello there.")
        );
        assert_eq!(
            clean_transcript(" (music) Hello,  world. [laughs", &loud()),
            text("Hello, world.")
        );
    }

    #[test]
    fn energy_gate() {
        assert_eq!(Energy::measure(&[]).voiced_seconds, 0.0);
        let silence = vec![0i16; 16_000];
        let e = Energy::measure(&silence);
        assert_eq!(e.voiced_seconds, 0.0);
        assert_eq!(e.peak_frame_dbfs, f64::NEG_INFINITY);
        // A 0.5 s, -20 dBFS square wave between two stretches of faint noise.
        let mut audio: Vec<i16> = (0..8_000)
            .map(|i| if i % 2 == 0 { 20 } else { -20 })
            .collect();
        audio.extend((0..8_000).map(|i| if (i / 20) % 2 == 0 { 3_277 } else { -3_277 }));
        audio.extend((0..8_000).map(|i| if i % 2 == 0 { 20 } else { -20 }));
        let e = Energy::measure(&audio);
        assert!((e.voiced_seconds - 0.5).abs() < 0.03, "{e:?}");
        assert!((e.peak_frame_dbfs + 20.0).abs() < 0.1, "{e:?}");
    }

    #[test]
    fn default_dir_ends_with_model_name() {
        // The environment is not changed here (tests share it); only the shape of the answer is checked.
        let dir = default_model_dir();
        if std::env::var_os("SPEECH_EMULATOR_MODEL_DIR").is_none() {
            assert!(
                dir.ends_with("speech-emulator/whisper-tiny.en"),
                "{}",
                dir.display()
            );
        }
    }

    #[test]
    fn missing_model_names_directory_and_setup_script() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("config.json"), "{}").expect("write");
        let err = WhisperRecognizer::load(dir.path()).expect_err("no model");
        assert!(
            err.message.contains(&dir.path().display().to_string()),
            "{err}"
        );
        assert!(err.message.contains("scripts/setup.sh"), "{err}");
        assert!(err.message.contains("model.bin"), "{err}");
        assert!(!err.message.contains("config.json,"), "{err}");
    }
}
