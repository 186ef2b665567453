//! What every handler shares: the emulator's configuration and its live parts (credentials, engines, faults,
//! the request log). Imported by the router and the handlers alike; imports none of them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::auth::Authority;
use crate::engine::{Recognizer, Synthesizer};
use crate::faults::Faults;
use crate::log::RequestLog;

/// The three recognition modes of the speech-to-text path (`/speech/recognition/{mode}/cognitiveservices/v1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecognitionMode {
    /// `interactive`: short commands.
    Interactive,
    /// `conversation`: people talking to each other.
    Conversation,
    /// `dictation`: full sentences.
    Dictation,
}

impl RecognitionMode {
    /// The path segment, e.g. `"conversation"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Conversation => "conversation",
            Self::Dictation => "dictation",
        }
    }

    /// The mode named by a path segment (exact, lower case as the service writes it).
    pub fn from_path(segment: &str) -> Option<Self> {
        match segment {
            "interactive" => Some(Self::Interactive),
            "conversation" => Some(Self::Conversation),
            "dictation" => Some(Self::Dictation),
            _ => None,
        }
    }

    /// The default initial-silence timeout: 5 s for interactive, 15 s for conversation and dictation
    /// (the Speech SDK maintainers' figures, spec §2.10).
    pub fn default_initial_silence_timeout(self) -> Duration {
        match self {
            Self::Interactive => Duration::from_secs(5),
            Self::Conversation | Self::Dictation => Duration::from_secs(15),
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Self::Interactive => 0,
            Self::Conversation => 1,
            Self::Dictation => 2,
        }
    }
}

/// Everything the request handlers share.
pub(crate) struct AppState {
    pub(crate) auth: Authority,
    pub(crate) recognizer: Arc<dyn Recognizer>,
    pub(crate) synthesizer: Arc<dyn Synthesizer>,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) audio_timeout: Duration,
    pub(crate) initial_silence: [Duration; 3],
    pub(crate) max_body_bytes: u64,
    pub(crate) fast_transcription: bool,
    pub(crate) max_fast_body_bytes: u64,
    pub(crate) entra_token_lifetime: Duration,
    pub(crate) stream_lifetime: Duration,
    pub(crate) stream_idle_timeout: Duration,
    pub(crate) shutdown: watch::Receiver<bool>,
}
