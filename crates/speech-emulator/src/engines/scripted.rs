//! A deterministic recognizer whose answers are registered by the test.
//!
//! How [`ScriptedRecognizer`] picks its answer for a speech segment, first match wins:
//!
//! 1. the **queue** of next answers ([`ScriptedRecognizer::push`]), consumed in order, one per recognition;
//! 2. the answer registered for the request's **language** ([`ScriptedRecognizer::set_for_language`]),
//!    compared case-insensitively (`en-us` matches `en-US`);
//! 3. the **default** answer ([`ScriptedRecognizer::set_default`]), initially
//!    [`ScriptedRecognizer::DEFAULT_TEXT`] with confidence [`ScriptedRecognizer::DEFAULT_CONFIDENCE`].
//!
//! The recognizer is only asked when the server's voice-activity detector heard something that is not
//! silence or noise: silent audio answers `InitialSilenceTimeout` without consulting it. Every call is
//! recorded ([`ScriptedRecognizer::calls`]) so that a test can check what the server passed on (for example
//! that audio longer than 60 s was cut).
//!
//! ```
//! use speech_emulator::engine::Transcript;
//! use speech_emulator::engines::scripted::ScriptedRecognizer;
//!
//! let rec = ScriptedRecognizer::new();
//! rec.push(Transcript::NoMatch);
//! rec.set_for_language("de-DE", Transcript::Text { text: "Guten Tag.".into(), confidence: 0.9 });
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::engine::{EngineError, RecognitionInput, Recognizer, Transcript};

/// At most this many calls are remembered; older ones are dropped first.
const MAX_CALLS: usize = 10_000;
/// At most this many answers can wait in the queue.
const MAX_QUEUE: usize = 100_000;

/// One recognition the server asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecognizerCall {
    /// The `language` query parameter of the request.
    pub language: String,
    /// How many samples the server passed (the voiced stretch, after the 60 s / 30 s cut).
    pub samples: usize,
    /// Sample rate of those samples.
    pub sample_rate: u32,
}

struct Script {
    default: Transcript,
    queue: VecDeque<Transcript>,
    by_language: HashMap<String, Transcript>,
    english: HashMap<String, Transcript>,
    calls: VecDeque<RecognizerCall>,
}

/// A recognizer that answers what the test registered. See the [module docs](self) for the rules.
pub struct ScriptedRecognizer {
    script: Mutex<Script>,
}

impl ScriptedRecognizer {
    /// The default transcript's display text.
    pub const DEFAULT_TEXT: &'static str = "The quick brown fox jumps over the lazy dog.";
    /// The default transcript's confidence.
    pub const DEFAULT_CONFIDENCE: f64 = 0.95;

    /// A recognizer that answers [`Self::DEFAULT_TEXT`] until told otherwise.
    pub fn new() -> Self {
        Self::with_default(Transcript::Text {
            text: Self::DEFAULT_TEXT.to_owned(),
            confidence: Self::DEFAULT_CONFIDENCE,
        })
    }

    /// A recognizer with another default answer.
    pub fn with_default(default: Transcript) -> Self {
        Self {
            script: Mutex::new(Script {
                default,
                queue: VecDeque::new(),
                by_language: HashMap::new(),
                english: HashMap::new(),
                calls: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Script> {
        // A panic while holding this lock cannot leave the script half-updated: every update is one assignment.
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replace the default answer.
    pub fn set_default(&self, transcript: Transcript) {
        self.lock().default = transcript;
    }

    /// Queue an answer for the next recognition (answers are used in the order they were pushed). The queue
    /// holds at most 100,000 answers; further pushes are ignored.
    pub fn push(&self, transcript: Transcript) {
        let mut script = self.lock();
        if script.queue.len() < MAX_QUEUE {
            script.queue.push_back(transcript);
        }
    }

    /// Answer `transcript` for every request whose `language` is `language` (case-insensitive), unless the
    /// queue has an answer.
    pub fn set_for_language(&self, language: &str, transcript: Transcript) {
        self.lock()
            .by_language
            .insert(language.to_ascii_lowercase(), transcript);
    }

    /// Translate speech in `language` (case-insensitive) into English as `transcript`
    /// ([`Recognizer::translate_to_english`]). Without one, the recognizer cannot translate from that language.
    pub fn set_english_for(&self, language: &str, transcript: Transcript) {
        self.lock()
            .english
            .insert(language.to_ascii_lowercase(), transcript);
    }

    /// Forget the queue and the per-language answers (the default stays).
    pub fn clear(&self) {
        let mut script = self.lock();
        script.queue.clear();
        script.by_language.clear();
        script.english.clear();
    }

    /// How many queued answers are left.
    pub fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// The recognitions asked for so far, oldest first (the last 10,000).
    pub fn calls(&self) -> Vec<RecognizerCall> {
        self.lock().calls.iter().cloned().collect()
    }
}

impl Default for ScriptedRecognizer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ScriptedRecognizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let script = self.lock();
        f.debug_struct("ScriptedRecognizer")
            .field("default", &script.default)
            .field("queued", &script.queue.len())
            .field("languages", &script.by_language.len())
            .field("calls", &script.calls.len())
            .finish()
    }
}

impl Recognizer for ScriptedRecognizer {
    fn name(&self) -> &str {
        "scripted"
    }

    fn translate_to_english(
        &self,
        input: RecognitionInput<'_>,
    ) -> Result<Option<Transcript>, EngineError> {
        Ok(self
            .lock()
            .english
            .get(&input.language.to_ascii_lowercase())
            .cloned())
    }

    fn recognize(&self, input: RecognitionInput<'_>) -> Result<Transcript, EngineError> {
        let mut script = self.lock();
        if script.calls.len() >= MAX_CALLS {
            script.calls.pop_front();
        }
        script.calls.push_back(RecognizerCall {
            language: input.language.to_owned(),
            samples: input.audio.len(),
            sample_rate: input.sample_rate,
        });
        if let Some(next) = script.queue.pop_front() {
            return Ok(next);
        }
        if let Some(answer) = script.by_language.get(&input.language.to_ascii_lowercase()) {
            return Ok(answer.clone());
        }
        Ok(script.default.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(audio: &'a [i16], language: &'a str) -> RecognitionInput<'a> {
        RecognitionInput {
            audio,
            sample_rate: 16_000,
            language,
            previous: None,
            following: &[],
            draft: false,
        }
    }

    fn text(t: &str) -> Transcript {
        Transcript::Text {
            text: t.to_owned(),
            confidence: 0.5,
        }
    }

    #[test]
    fn queue_then_language_then_default() {
        let rec = ScriptedRecognizer::new();
        rec.push(text("first"));
        rec.push(Transcript::NoMatch);
        rec.set_for_language("de-DE", text("Hallo."));
        let audio = [0i16; 10];
        assert_eq!(
            rec.recognize(input(&audio, "en-US")).ok(),
            Some(text("first"))
        );
        assert_eq!(
            rec.recognize(input(&audio, "de-de")).ok(),
            Some(Transcript::NoMatch)
        );
        assert_eq!(
            rec.recognize(input(&audio, "de-de")).ok(),
            Some(text("Hallo."))
        );
        let default = rec.recognize(input(&audio, "en-US")).ok();
        assert_eq!(
            default,
            Some(Transcript::Text {
                text: ScriptedRecognizer::DEFAULT_TEXT.to_owned(),
                confidence: ScriptedRecognizer::DEFAULT_CONFIDENCE
            })
        );
        let calls = rec.calls();
        assert_eq!(calls.len(), 4);
        assert_eq!(calls[1].language, "de-de");
        assert_eq!(calls[0].samples, 10);
        assert_eq!(rec.queued(), 0);
    }

    #[test]
    fn clear_keeps_default() {
        let rec = ScriptedRecognizer::with_default(Transcript::Babble);
        rec.push(text("x"));
        rec.set_for_language("en-US", text("y"));
        rec.clear();
        let audio = [0i16; 1];
        assert_eq!(
            rec.recognize(input(&audio, "en-US")).ok(),
            Some(Transcript::Babble)
        );
        rec.set_default(text("z"));
        assert_eq!(rec.recognize(input(&audio, "en-US")).ok(), Some(text("z")));
        assert!(format!("{rec:?}").contains("calls: 2"));
    }
}
