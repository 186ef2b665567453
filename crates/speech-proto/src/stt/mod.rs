//! Speech-to-text. Today: [`short`], recognition of short audio (up to 60 s per request) over REST, and
//! [`transcript`], a whole recording's timed transcript built from many results, with its subtitles.
//!
//! Each speech-to-text service gets its own module here (fast transcription and streaming recognition come
//! next), so that their requests, parsers and limits live together.

pub mod segmented;
pub mod short;
pub mod transcript;

pub use segmented::{Progress, TranscribeOptions};
pub use transcript::{Cue, CueLimits, Phrase, TimedWord, Transcript};
