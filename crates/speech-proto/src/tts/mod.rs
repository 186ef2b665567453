//! Text-to-speech: [`synthesize`] (SSML, output formats, the synthesis request) and [`voices`] (the voices
//! list).

pub mod synthesize;
pub mod voices;
