//! Offline speech recognition with OpenAI's Whisper through CTranslate2 (`ct2rs`), decoded as faster-whisper
//! decodes.
//!
//! # Models
//!
//! Two models are known, both Systran's CTranslate2 conversions (MIT), installed and hash-pinned by
//! `scripts/setup.sh`:
//!
//! | name | languages | on disk | time per short clip (2 cores) |
//! |---|---|---|---|
//! | `base` (the default) | the 99 Whisper knows | 145 MB | about 0.9 s |
//! | `tiny.en` | English only | 75 MB | about 0.5 s |
//!
//! `SPEECH_EMULATOR_MODEL=tiny.en` picks the smaller one (see [`default_model_dir`]); `SPEECH_EMULATOR_MODEL_DIR`
//! names a model directory outright.
//!
//! # CTranslate2
//!
//! With the `whisper` feature the engine links the prebuilt CTranslate2 4.8.4 of PyPI's `ctranslate2` wheel —
//! the library faster-whisper runs, with Intel MKL and oneDNN — which `scripts/setup.sh` installs (the crate's
//! `build.rs` finds it); with `whisper-from-source`, ct2rs compiles CTranslate2 with its `ruy` backend instead
//! (about 10 minutes on 2 cores, and about 1.3× slower). On the accuracy set (`examples/whisper_clips.rs` against
//! `scripts/reference-decoder.py` in the same run, 2 cores) the engine takes as long as faster-whisper and
//! hears the same words with `base`.
//!
//! # Decoding
//!
//! The model is loaded once ([`WhisperRecognizer::load`], about 0.3 s) and shared by every request:
//! [`WhisperRecognizer`] is `Send + Sync`, and CTranslate2 queues concurrent calls itself. Weights run as int8
//! on up to 4 threads. Features are Whisper's own log-mel spectrogram (`mel`), and the transcription loop is
//! faster-whisper's with its default settings (`decode`): beam search 5, timestamps, temperature fallback on
//! repetitive or unlikely output, silence skipped by the model's no-speech probability, special tokens never
//! in the text. `ct2rs`' high-level `Whisper::generate`, used before, lost accuracy the model has: its
//! features were computed differently (no centring, per-frame normalisation, zero padding in feature space),
//! it gave English-only models the multilingual start sequence (`<|en|><|transcribe|>`), it decoded without
//! timestamps and had no fallback and no no-speech rule.
//!
//! The segment is decoded with 0.3 s of silence added on each side: the server hands over audio cut tightly
//! by its voice-activity detector, and without that margin Whisper often drops the first word.
//!
//! # Language
//!
//! The request's primary language subtag (`de-DE` → `de`) steers the decoder. [`Recognizer::speaks`] says
//! which locales the model knows, so that the server answers any other one as the service answers an
//! unsupported language; `tiny.en` speaks English only. [`WhisperRecognizer::detect_language`] gives the
//! model's own language identification.
//!
//! # Silence and hallucinations
//!
//! Whisper writes *something* for any input: on silence or faint noise it returns text such as `".. .."`,
//! `"you"` or `"Thank you."`. Besides the decoder's no-speech rule, these rules turn such output into
//! [`Transcript::NoMatch`]:
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
//! The confidence of a result is `exp` of the decoder's average log-probability per token.

mod decode;
mod mel;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ct2rs::sys::{StorageView, WhisperOptions};

use self::decode::{Effort, Generated, Model, Search, Specials};
use self::mel::Features;
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

/// The models [`default_model_dir`] knows by name, the default first.
pub const MODELS: [&str; 2] = ["base", "tiny.en"];

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

/// One window of Whisper's: 30 s.
const WINDOW_SAMPLES: usize = 30 * SAMPLE_RATE as usize;

/// BCP-47 primary subtags whose Whisper code differs.
const LANGUAGE_ALIASES: &[(&str, &str)] = &[("nb", "no"), ("jv", "jw"), ("fil", "tl")];

/// Speech recognition with a Whisper model in CTranslate2 format.
pub struct WhisperRecognizer {
    model: ct2rs::sys::Whisper,
    tokenizer: tokenizers::Tokenizer,
    ids: Ids,
    /// The language codes the model speaks (`["en"]` for English-only models).
    languages: Vec<String>,
    name: String,
    model_dir: PathBuf,
}

/// Special-token ids of the model's vocabulary.
#[derive(Clone, Debug)]
struct Ids {
    eot: usize,
    sot: usize,
    sot_prev: usize,
    transcribe: usize,
    translate: usize,
    timestamp_begin: usize,
}

/// What Whisper is asked to write: the speech as spoken, or its English translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    Transcribe,
    Translate,
}

impl std::fmt::Debug for WhisperRecognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperRecognizer")
            .field("name", &self.name)
            .field("model_dir", &self.model_dir)
            .field("languages", &self.languages.len())
            .finish_non_exhaustive()
    }
}

/// Where the model lives unless told otherwise: `$SPEECH_EMULATOR_MODEL_DIR` when set; otherwise the
/// directory of the model named by `$SPEECH_EMULATOR_MODEL` (default `base`, see [`MODELS`]) under the cache:
/// `$XDG_CACHE_HOME/speech-emulator/whisper-<model>`, or `$HOME/.cache/speech-emulator/whisper-<model>` (the
/// same rule as `scripts/setup.sh`). A model name outside [`MODELS`] is an error that lists them.
pub fn default_model_dir() -> Result<PathBuf, EngineError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("SPEECH_EMULATOR_MODEL_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let name = var("SPEECH_EMULATOR_MODEL").map_or_else(
        || MODELS[0].to_owned(),
        |v| v.to_string_lossy().into_owned(),
    );
    model_dir(&name)
}

/// Where `scripts/setup.sh` installs the model named `name` (one of [`MODELS`]):
/// `$XDG_CACHE_HOME/speech-emulator/whisper-<name>`, or `$HOME/.cache/speech-emulator/whisper-<name>`.
pub fn model_dir(name: &str) -> Result<PathBuf, EngineError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if !MODELS.contains(&name) {
        return Err(EngineError::new(format!(
            "SPEECH_EMULATOR_MODEL={name} is not a model the emulator knows: use one of {} \
             (or SPEECH_EMULATOR_MODEL_DIR for a model directory of your own)",
            MODELS.join(", ")
        )));
    }
    let cache = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    Ok(cache
        .join("speech-emulator")
        .join(format!("whisper-{name}")))
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
        let broken = |what: &str, e: &dyn std::fmt::Display| {
            EngineError::new(format!(
                "cannot load the Whisper model in {}: {what}: {e:#}; run scripts/setup.sh to reinstall it",
                model_dir.display()
            ))
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(4);
        let config = ct2rs::Config {
            compute_type: ct2rs::ComputeType::INT8,
            num_threads_per_replica: threads,
            ..ct2rs::Config::default()
        };
        let model = ct2rs::sys::Whisper::new(model_dir, config).map_err(|e| broken("model", &e))?;
        let tokenizer = tokenizers::Tokenizer::from_file(model_dir.join("tokenizer.json"))
            .map_err(|e| broken("tokenizer", &e))?;
        let id = |token: &str| {
            tokenizer
                .token_to_id(token)
                .map(|id| id as usize)
                .ok_or_else(|| broken("tokenizer", &format!("no {token} token")))
        };
        let ids = Ids {
            eot: id("<|endoftext|>")?,
            sot: id("<|startoftranscript|>")?,
            sot_prev: id("<|startofprev|>")?,
            transcribe: id("<|transcribe|>")?,
            translate: id("<|translate|>")?,
            // The timestamp tokens follow <|notimestamps|> (tokenizer.json does not list them).
            timestamp_begin: id("<|notimestamps|>")? + 1,
        };
        let languages = if model.is_multilingual() {
            // The language tokens follow <|startoftranscript|>: <|en|>, <|zh|>, <|de|>, …
            (1..=model.num_languages())
                .filter_map(|i| tokenizer.id_to_token((ids.sot + i) as u32))
                .filter_map(|t| Some(t.strip_prefix("<|")?.strip_suffix("|>")?.to_owned()))
                .collect()
        } else {
            vec!["en".to_owned()]
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
            model,
            tokenizer,
            ids,
            languages,
            name,
            model_dir: model_dir.to_path_buf(),
        })
    }

    /// Loads the model from [`default_model_dir`].
    pub fn load_default() -> Result<Self, EngineError> {
        Self::load(&default_model_dir()?)
    }

    /// The directory the model was loaded from.
    pub fn model_dir(&self) -> &Path {
        &self.model_dir
    }

    /// The Whisper language codes the model speaks, e.g. `["en"]` for `tiny.en`.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// The Whisper language code for a request's `language`, or `None` when the model cannot speak it.
    fn whisper_language(&self, request_language: &str) -> Option<&str> {
        let primary = request_language
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let code = LANGUAGE_ALIASES
            .iter()
            .find(|(bcp47, _)| *bcp47 == primary)
            .map_or(primary.as_str(), |(_, whisper)| whisper);
        self.languages
            .iter()
            .find(|l| l.as_str() == code)
            .map(String::as_str)
    }

    /// The model's own language identification on the first 30 s of `audio` (16 kHz mono): Whisper language
    /// codes with their probabilities, likeliest first. An English-only model answers `[("en", 1.0)]`.
    pub fn detect_language(&self, audio: &[i16]) -> Result<Vec<(String, f32)>, EngineError> {
        if self.languages.len() == 1 {
            return Ok(vec![(self.languages[0].clone(), 1.0)]);
        }
        let samples: Vec<f32> = audio.iter().map(|&s| f32::from(s) / 32_768.0).collect();
        let features = Features::compute(&samples, self.model.n_mels());
        let mut window = features.window(0, features.content_frames());
        guard(|| {
            let view = self.view(&mut window)?;
            let results = self
                .model
                .detect_language(&view)
                .map_err(|e| format!("{e:#}"))?;
            let first = results.into_iter().next().unwrap_or_default();
            Ok(first
                .iter()
                .filter_map(|r| parse_detection(&format!("{r:?}")))
                .collect())
        })
    }

    /// A storage view over one window of features.
    fn view<'a>(&self, window: &'a mut [f32]) -> Result<StorageView<'a>, String> {
        let shape = [1, self.model.n_mels(), mel::WINDOW_FRAMES];
        StorageView::new(&shape, window, ct2rs::Device::default()).map_err(|e| format!("{e:#}"))
    }

    /// Transcribes (or, with [`Task::Translate`], translates into English) 16 kHz mono samples in `language` (a
    /// Whisper code the model speaks).
    fn transcribe(
        &self,
        samples: &[f32],
        language: &str,
        prefix: Option<&str>,
        effort: Effort,
        task: Task,
    ) -> Result<Vec<decode::Segment>, EngineError> {
        let sot_sequence = if self.languages.len() > 1 {
            let language_id = self
                .tokenizer
                .token_to_id(&format!("<|{language}|>"))
                .ok_or_else(|| EngineError::new(format!("no <|{language}|> token")))?;
            let task = match task {
                Task::Transcribe => self.ids.transcribe,
                Task::Translate => self.ids.translate,
            };
            vec![self.ids.sot, language_id as usize, task]
        } else {
            vec![self.ids.sot]
        };
        let specials = Specials {
            eot: self.ids.eot,
            sot_prev: self.ids.sot_prev,
            timestamp_begin: self.ids.timestamp_begin,
            sot_sequence,
        };
        // As faster-whisper's `prefix`: the text, with the leading space Whisper writes words with.
        let prefix: Vec<usize> = match prefix.map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => self
                .tokenizer
                .encode(format!(" {text}"), false)
                .map_err(|e| EngineError::new(format!("cannot tokenize the previous text: {e}")))?
                .get_ids()
                .iter()
                .map(|&id| id as usize)
                .filter(|&id| id < self.ids.eot)
                .take(decode::MAX_LENGTH / 2 - 1)
                .collect(),
            None => Vec::new(),
        };
        let features = Features::compute(samples, self.model.n_mels());
        guard(|| decode::transcribe(self, &features, &specials, &prefix, effort))
    }
}

impl WhisperRecognizer {
    /// The vocabulary entry of a token id. Timestamp tokens (`<|0.00|>` … `<|30.00|>`, which follow
    /// `<|notimestamps|>`) are in CTranslate2's vocabulary but not in `tokenizer.json`, so they are written
    /// out here.
    fn token_text(&self, id: usize) -> Result<String, String> {
        if let Some(step) = id.checked_sub(self.ids.timestamp_begin) {
            return Ok(format!("<|{:.2}|>", step as f64 * 0.02));
        }
        self.tokenizer
            .id_to_token(id as u32)
            .ok_or_else(|| format!("token id {id} is not in the vocabulary"))
    }
}

/// Runs engine code, turning its errors and panics into [`EngineError`]s.
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, EngineError> {
    panic::catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| EngineError::new("the Whisper engine panicked"))?
        .map_err(|e| EngineError::new(format!("Whisper failed: {e}")))
}

/// Reads `DetectionResult { language: "<|de|>", probability: 0.97 }`: ct2rs 0.10 keeps the fields of its
/// detection results private and offers only their `Debug` form.
fn parse_detection(debug: &str) -> Option<(String, f32)> {
    let after = |key: &str| Some(&debug[debug.find(key)? + key.len()..]);
    let language = after("language: \"<|")?.split("|>").next()?.to_owned();
    let probability = after("probability: ")?
        .trim_end_matches([' ', '}'])
        .parse()
        .ok()?;
    Some((language, probability))
}

impl Model for WhisperRecognizer {
    type Encoded = StorageView<'static>;

    fn encode(&self, mut window: Vec<f32>) -> Result<Self::Encoded, String> {
        let view = self.view(&mut window)?;
        self.model
            .encode(&view, false)
            .map_err(|e| format!("{e:#}"))
    }

    fn generate(
        &self,
        encoded: &Self::Encoded,
        prompt: &[usize],
        search: Search,
    ) -> Result<Generated, String> {
        let prompt: Vec<String> = prompt
            .iter()
            .map(|&id| self.token_text(id))
            .collect::<Result<_, _>>()?;
        let mut options = WhisperOptions {
            length_penalty: 1.0,
            repetition_penalty: 1.0,
            no_repeat_ngram_size: 0,
            max_length: decode::MAX_LENGTH,
            return_scores: true,
            return_no_speech_prob: true,
            max_initial_timestamp_index: decode::MAX_INITIAL_TIMESTAMP_INDEX,
            suppress_blank: true,
            suppress_tokens: vec![-1],
            ..WhisperOptions::default()
        };
        match search {
            Search::Beam(beams) => {
                options.beam_size = beams;
                options.patience = 1.0;
                options.num_hypotheses = 1;
            }
            Search::Sample {
                temperature,
                best_of,
            } => {
                options.beam_size = 1;
                options.num_hypotheses = best_of;
                options.sampling_topk = 0;
                options.sampling_temperature = temperature;
            }
        }
        let result = self
            .model
            .generate(encoded, &[prompt], &options)
            .map_err(|e| format!("{e:#}"))?
            .into_iter()
            .next()
            .ok_or("the model gave no result")?;
        Ok(Generated {
            tokens: result.sequences_ids.into_iter().next().unwrap_or_default(),
            score: result.scores.first().copied().unwrap_or(f32::NEG_INFINITY),
            no_speech_prob: result.no_speech_prob,
        })
    }

    fn text(&self, tokens: &[usize]) -> Result<String, String> {
        let ids: Vec<u32> = tokens.iter().map(|&t| t as u32).collect();
        self.tokenizer
            .decode(&ids, false)
            .map_err(|e| format!("cannot decode tokens: {e}"))
    }
}

impl Recognizer for WhisperRecognizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn speaks(&self, language: &str) -> bool {
        self.whisper_language(language).is_some()
    }

    fn detect_language(&self, audio: &[i16]) -> Result<Vec<(String, f32)>, EngineError> {
        WhisperRecognizer::detect_language(self, audio)
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
        // The previous phrase, when the two fit one window: Whisper hears the sentence as it was begun, with
        // the previous phrase's text as the forced beginning of its answer, and writes only what follows (a
        // fragment decoded alone comes back shouted or closed too early: "ASK NOT!"). First with the previous
        // text's closing punctuation left out, so that the sentence can go on ("Americans" → "ask not"); when
        // the model then writes nothing more, with the text as written (a new sentence begins); when it still
        // writes nothing, the audio is heard alone.
        let previous = input
            .previous
            .filter(|p| !p.text.trim().is_empty())
            .filter(|p| {
                2 * PAD_SAMPLES + p.audio.len() + input.audio.len() + input.following.len()
                    <= WINDOW_SAMPLES
            });
        let mut tries: Vec<(&[i16], Option<&str>)> = Vec::with_capacity(3);
        if let Some(p) = previous {
            let text = p.text.trim();
            let open = text.trim_end_matches(['.', '!', '?', '。', '！', '？']);
            if !open.is_empty() && open != text {
                tries.push((p.audio, Some(open)));
            }
            tries.push((p.audio, Some(text)));
        }
        tries.push((&[], None));
        let effort = if input.draft {
            // A hypothesis: the first try only.
            tries.truncate(1);
            Effort::Draft
        } else {
            Effort::Full
        };
        let mut segments = Vec::new();
        for (before, prefix) in tries {
            segments = self.transcribe(
                &padded(before, input.audio, input.following),
                language,
                prefix,
                effort,
                Task::Transcribe,
            )?;
            if segments.iter().any(|s| !s.text.trim().is_empty()) {
                break;
            }
        }
        let text: String = segments.iter().map(|s| s.text.as_str()).collect();
        let avg_logprob = if segments.is_empty() {
            f64::NEG_INFINITY
        } else {
            segments.iter().map(|s| s.avg_logprob).sum::<f64>() / segments.len() as f64
        };
        Ok(clean_transcript(&text, avg_logprob.exp(), &energy))
    }

    /// Whisper's own translate task (`<|lang|><|translate|>`), on the segment alone: English text for speech in
    /// any language the model speaks. English-only models cannot translate (`None`).
    fn translate_to_english(
        &self,
        input: RecognitionInput<'_>,
    ) -> Result<Option<Transcript>, EngineError> {
        if self.languages.len() <= 1 {
            return Ok(None);
        }
        if input.sample_rate != SAMPLE_RATE {
            return Err(EngineError::new(format!(
                "Whisper needs 16 kHz audio, got {} Hz",
                input.sample_rate
            )));
        }
        let Some(language) = self.whisper_language(input.language) else {
            return Ok(None);
        };
        let energy = Energy::measure(input.audio);
        if energy.voiced_seconds < MIN_VOICED_SECONDS {
            return Ok(Some(Transcript::NoMatch));
        }
        let effort = if input.draft {
            Effort::Draft
        } else {
            Effort::Full
        };
        let audio = padded(&[], input.audio, input.following);
        let mut segments = self.transcribe(&audio, language, None, effort, Task::Translate)?;
        let mut text: String = segments.iter().map(|s| s.text.as_str()).collect();
        if language != "en" && !sounds_english(&text) {
            // The translate task sometimes writes the speech down as spoken instead ("Der Zug fährt morgen früh
            // nach Berlin."): then its answer is made to begin in English, with "The".
            segments = self.transcribe(&audio, language, Some("The"), effort, Task::Translate)?;
            let rest: String = segments.iter().map(|s| s.text.as_str()).collect();
            text = format!("The {}", rest.trim_start());
        }
        let avg_logprob = if segments.is_empty() {
            f64::NEG_INFINITY
        } else {
            segments.iter().map(|s| s.avg_logprob).sum::<f64>() / segments.len() as f64
        };
        Ok(Some(clean_transcript(&text, avg_logprob.exp(), &energy)))
    }
}

/// Whether `text` reads as English: it has one of English's commonest words (an English sentence of more than a
/// couple of words nearly always does; German, French and Spanish ones nearly never).
fn sounds_english(text: &str) -> bool {
    const COMMON: [&str; 24] = [
        "the", "a", "an", "to", "of", "in", "is", "and", "i", "you", "it", "for", "on", "at",
        "with", "this", "that", "my", "we", "are", "be", "will", "can", "please",
    ];
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.len() <= 2 || words.iter().any(|w| COMMON.contains(&w.as_str()))
}

/// `before`, `audio` and `after`, as Whisper's input (floats), with [`PAD_SAMPLES`] of silence on both sides
/// (`after`, the real audio that followed the phrase, keeps a tight cut from changing how its last word is heard:
/// "ask not" cut right after "not" came back "asked not"). A segment
/// cut tightly by a voice-activity detector loses its first word far less often when Whisper hears a moment of
/// quiet before it.
fn padded(before: &[i16], audio: &[i16], after: &[i16]) -> Vec<f32> {
    let pad = std::iter::repeat_n(0.0f32, PAD_SAMPLES);
    pad.clone()
        .chain(
            before
                .iter()
                .chain(audio)
                .chain(after)
                .map(|&s| f32::from(s) / 32_768.0),
        )
        .chain(pad)
        .collect()
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
fn clean_transcript(raw: &str, confidence: f64, energy: &Energy) -> Transcript {
    let text = strip_annotations(raw);
    // A phrase heard after the previous one's text sometimes begins with the mark that closed that one
    // (". Los niños juegan…"): a phrase never begins with a closing mark.
    let text = text.trim_start_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | '。' | '，' | '！' | '？'
            )
    });
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
        confidence: if confidence.is_finite() {
            confidence.clamp(0.0, 1.0)
        } else {
            0.0
        },
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

    #[test]
    fn english_is_told_from_what_the_translate_task_failed_to_translate() {
        assert!(sounds_english("I would like to order a cup of coffee."));
        assert!(sounds_english("Children play in the garden."));
        assert!(sounds_english("Hello."));
        assert!(!sounds_english("Der Zug fährt morgen früh nach Berlin."));
        assert!(!sounds_english("Le train part demain matin pour Paris."));
        assert!(!sounds_english("El tren sale mañana por la mañana."));
    }
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
            confidence: 0.9,
        }
    }

    #[test]
    fn hallucination_rules() {
        assert_eq!(clean_transcript(".. ..", 0.9, &loud()), Transcript::NoMatch);
        assert_eq!(clean_transcript("", 0.9, &loud()), Transcript::NoMatch);
        assert_eq!(
            clean_transcript(" [BLANK_AUDIO]", 0.9, &loud()),
            Transcript::NoMatch
        );
        assert_eq!(
            clean_transcript("(upbeat music)", 0.9, &loud()),
            Transcript::NoMatch
        );
        assert_eq!(clean_transcript(" you", 0.9, &quiet()), Transcript::NoMatch);
        assert_eq!(
            clean_transcript(" Thank you.", 0.9, &quiet()),
            Transcript::NoMatch
        );
        assert_eq!(
            clean_transcript(" Thank you.", 0.9, &loud()),
            text("Thank you.")
        );
        assert_eq!(
            clean_transcript(" Hello there.", 0.9, &quiet()),
            text("Hello there.")
        );
        assert_eq!(
            clean_transcript(" (music) Hello,  world. [laughs", 0.9, &loud()),
            text("Hello, world.")
        );
        assert_eq!(
            clean_transcript(". Los niños juegan.", 0.9, &loud()),
            text("Los niños juegan.")
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
        if std::env::var_os("SPEECH_EMULATOR_MODEL_DIR").is_none()
            && std::env::var_os("SPEECH_EMULATOR_MODEL").is_none()
        {
            let dir = dir.expect("the default model is known");
            assert!(
                dir.ends_with("speech-emulator/whisper-base"),
                "{}",
                dir.display()
            );
        }
    }

    #[test]
    fn detection_results_are_read_from_their_debug_form() {
        assert_eq!(
            parse_detection(r#"DetectionResult { language: "<|de|>", probability: 0.97 }"#),
            Some(("de".to_owned(), 0.97))
        );
        assert_eq!(parse_detection("DetectionResult { }"), None);
        assert_eq!(
            parse_detection(r#"DetectionResult { language: "<|de|>", probability: x }"#),
            None
        );
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
