//! The two small traits behind which recognition and synthesis engines sit.
//!
//! The server only ever talks to [`Recognizer`] and [`Synthesizer`]. Deterministic engines (for protocol tests,
//! no model, no system packages) and the real offline engines (Whisper through CTranslate2, flite/Pico/espeak-ng)
//! implement them. Both traits are blocking: the server calls them from `tokio::task::spawn_blocking`.

use std::fmt;

/// Mono 16-bit PCM audio at a given sample rate.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Pcm {
    /// Samples per second.
    pub sample_rate: u32,
    /// Signed 16-bit samples, one channel.
    pub samples: Vec<i16>,
}

impl Pcm {
    /// Length of the audio in seconds.
    pub fn duration_secs(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.samples.len() as f64 / f64::from(self.sample_rate)
        }
    }

    /// The same audio at `sample_rate`, resampled by `speech-audio` (band-limited, delay-free); a copy when the
    /// rate is already right. Empty when either rate is 0.
    pub fn resampled(&self, sample_rate: u32) -> Pcm {
        if sample_rate == self.sample_rate {
            return self.clone();
        }
        Pcm {
            sample_rate,
            samples: speech_audio::resample::resample(&self.samples, self.sample_rate, sample_rate)
                .unwrap_or_default(),
        }
    }
}

/// What a recognizer is asked to transcribe.
#[derive(Clone, Copy, Debug)]
pub struct RecognitionInput<'a> {
    /// The speech segment to transcribe: 16 kHz mono PCM, already cut to the service's limit and to the
    /// stretch the voice-activity detector found (leading and trailing silence removed).
    pub audio: &'a [i16],
    /// Sample rate of `audio` (always 16 000 today).
    pub sample_rate: u32,
    /// The BCP-47 `language` query parameter of the request, e.g. `en-US`.
    pub language: &'a str,
    /// The phrase just before this audio in the same recording, when there is one: context that lets an
    /// engine continue a sentence as it was begun instead of hearing a fragment alone. `None` for the first
    /// phrase or a lone request.
    pub previous: Option<Preceding<'a>>,
    /// The audio just after `audio` in the same recording, as it was heard (the start of the pause that ended
    /// the phrase; at most [`FOLLOWING_SAMPLES`]), when the service has it: a phrase cut tightly after its last
    /// word is heard as it ended. Empty when there is none.
    pub following: &'a [i16],
    /// A hypothesis on an utterance still being spoken, which the final phrase will replace: an engine may
    /// answer faster and less carefully (Whisper: one greedy pass instead of beam search and fallback). `false`
    /// for every final phrase.
    pub draft: bool,
}

/// The most audio after a phrase that a service hands over as [`RecognitionInput::following`]: 0.3 s at 16 kHz.
/// (A phrase ends after half a second of pause, so that much has always been heard when it is recognized.)
pub const FOLLOWING_SAMPLES: usize = 4_800;

/// The phrase before the audio to recognize: its audio and the text the engine wrote for it.
#[derive(Clone, Copy, Debug)]
pub struct Preceding<'a> {
    /// Its audio, at the input's rate, up to where the input's audio begins: the pause between them included
    /// (its length matters to how a sentence is heard to go on), or as silence of the same length.
    pub audio: &'a [i16],
    /// Its text, as the engine wrote it.
    pub text: &'a str,
}

/// A recognizer's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Transcript {
    /// Words were recognized. `text` is the display form (capitals, punctuation, digits), as Whisper writes it;
    /// the server derives the Lexical / ITN / MaskedITN / Display forms from it.
    Text {
        /// Display-form text.
        text: String,
        /// Confidence in 0.0..=1.0.
        confidence: f64,
    },
    /// Sound was heard but no words of the language matched (`RecognitionStatus: NoMatch`).
    NoMatch,
    /// Only noise was heard (`RecognitionStatus: BabbleTimeout`).
    Babble,
}

/// A speech-to-text engine.
pub trait Recognizer: Send + Sync + 'static {
    /// A short name for logs, e.g. `"whisper-base"` or `"scripted"`.
    fn name(&self) -> &str;
    /// Whether the engine can recognize speech in `language` (a request's BCP-47 locale, e.g. `de-DE`). The
    /// server answers a locale it cannot speak as the service answers an unsupported language, before it
    /// reads the audio. Every locale, unless the engine says otherwise.
    fn speaks(&self, language: &str) -> bool {
        let _ = language;
        true
    }
    /// The engine's own identification of the language of `audio` (16 kHz mono speech): language codes
    /// (`en`, `de`, …) with their probabilities, likeliest first. Empty (the default) when the engine cannot
    /// tell; fast transcription then assumes `en-US`.
    fn detect_language(&self, audio: &[i16]) -> Result<Vec<(String, f32)>, EngineError> {
        let _ = audio;
        Ok(Vec::new())
    }
    /// Transcribe one speech segment. Blocking; may take seconds for real engines.
    fn recognize(&self, input: RecognitionInput<'_>) -> Result<Transcript, EngineError>;
    /// Translate one speech segment in `input.language` into English text (speech translation's only offline
    /// target). `Ok(None)`, the default, when the engine cannot translate; the server then answers as the
    /// service answers an unsupported language pair.
    fn translate_to_english(
        &self,
        input: RecognitionInput<'_>,
    ) -> Result<Option<Transcript>, EngineError> {
        let _ = input;
        Ok(None)
    }
}

/// What a synthesizer is asked to speak.
#[derive(Clone, Copy, Debug)]
pub struct SynthesisInput<'a> {
    /// Plain text (the server has already parsed and validated the SSML).
    pub text: &'a str,
    /// The locale of the voice, e.g. `en-US`, `de-DE`.
    pub locale: &'a str,
    /// The local engine voice the Azure voice maps to, e.g. `"slt"`, `"rms"` (flite) or `"de"` (an espeak-ng
    /// code; German is spoken by Pico when it is installed, whatever the code).
    pub engine_voice: &'a str,
    /// Speaking-rate multiplier from `<prosody rate>`; 1.0 is the default speed.
    pub rate: f64,
}

/// A text-to-speech engine. Returns mono PCM at the engine's native rate; the server resamples and encodes it
/// into the requested `X-Microsoft-OutputFormat`.
pub trait Synthesizer: Send + Sync + 'static {
    /// A short name for logs, e.g. `"flite"` or `"tone"`.
    fn name(&self) -> &str;
    /// Synthesize one stretch of text. Blocking.
    fn synthesize(&self, input: SynthesisInput<'_>) -> Result<Pcm, EngineError>;
    /// The phonemes of `text` in `locale`, in IPA, when the engine can say them (visemes are made from them).
    /// `None` (the default) when it cannot; the server then guesses from the letters.
    fn phonemes(&self, text: &str, locale: &str) -> Option<String> {
        let _ = (text, locale);
        None
    }
}

/// An engine failure (model missing, program not installed, program failed). Answered with a 500.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineError {
    /// What went wrong and how to fix it, e.g. "flite is not installed: run scripts/setup.sh".
    pub message: String,
}

impl EngineError {
    /// Build an error from a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}
