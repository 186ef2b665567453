//! Speech-to-text: [`short`], recognition of short audio (up to 60 s per request) over REST; [`segmented`],
//! the settings for transcribing long recordings in short-audio segments; [`fast`], fast transcription (a
//! whole file in one request, with speakers and word timings); and [`transcript`], a whole recording's timed
//! transcript, which both fill, with its subtitles.
//!
//! [`stream`] is streaming recognition over WebSocket. Each speech-to-text service gets its own module here, so that their
//! requests, parsers and limits live together.

pub mod fast;
pub mod segmented;
pub mod short;
pub mod stream;
pub mod transcript;

pub use fast::FastTranscriptionOptions;
pub use segmented::{Progress, TranscribeOptions};
pub use transcript::{Cue, CueLimits, Phrase, TimedWord, Transcript};
