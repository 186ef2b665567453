//! Text to speech: synthesis over REST and over WebSocket (with word, sentence and bookmark events and visemes)
//! and the voices list, with the SSML parser they read requests with and the
//! output formats synthesis encodes to.

pub mod formats;
pub(crate) mod rest;
pub mod ssml;
pub mod voices;
pub(crate) mod websocket;
mod words;
