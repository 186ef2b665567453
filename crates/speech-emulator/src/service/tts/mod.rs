//! Text to speech: synthesis over REST and the voices list, with the SSML parser they read requests with and the
//! output formats synthesis encodes to.

pub mod formats;
pub(crate) mod rest;
pub mod ssml;
pub mod voices;
