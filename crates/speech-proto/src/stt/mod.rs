//! Speech-to-text. Today: [`short`], recognition of short audio (up to 60 s per request) over REST.
//!
//! Each speech-to-text service gets its own module here (fast transcription and streaming recognition come
//! next), so that their requests, parsers and limits live together.

pub mod short;
