//! Speech to text: short audio (REST), fast transcription (REST, multipart) and streaming recognition
//! (WebSocket), with what only they use (the uploaded audio, pronunciation assessment, the multipart form).

pub(crate) mod fast;
pub mod multipart;
pub(crate) mod pron;
pub(crate) mod short;
pub(crate) mod stream;
pub(crate) mod upload;
