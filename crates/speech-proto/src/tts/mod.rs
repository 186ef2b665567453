//! Text-to-speech: [`synthesize`] (SSML, output formats, the synthesis request), [`stream`] (synthesis over
//! WebSocket, with word boundaries, bookmarks and visemes) and [`voices`] (the voices list).

pub mod stream;
pub mod synthesize;
pub mod voices;
