//! The service's endpoints, one module per endpoint family, laid out as the service (and `speech-proto`) is.
//!
//! | Method | Path | Module |
//! |---|---|---|
//! | `POST` | `/sts/v1.0/issueToken` | [`token`] |
//! | `POST` | `/entra-test/token` (a test Entra ID issuer) | [`entra`] |
//! | `POST` | `/speech/recognition/{mode}/cognitiveservices/v1` (also under `/stt`) | [`stt::short`] |
//! | `GET` (WebSocket) | `/speech/recognition/{mode}/cognitiveservices/v1`, `/speech/universal/v2` (also under `/stt`), `/speech/translation/cognitiveservices/v1` | [`stt::stream`] (recognition and translation) |
//! | `POST` | `/speechtotext/transcriptions:transcribe` | [`stt::fast`] |
//! | `POST` | `/cognitiveservices/v1` (also under `/tts`) | [`tts::rest`] |
//! | `GET` (WebSocket) | `/cognitiveservices/websocket/v1` (also under `/tts`) | [`tts::websocket`] |
//! | `GET` | `/cognitiveservices/voices/list` (also under `/tts`) | [`tts::voices`] |
//!
//! Each handler imports the shared state ([`crate::state`]) and the helpers of [`common`]; no handler imports
//! another, and nothing here imports the router ([`crate::server`]).

pub(crate) mod common;
pub(crate) mod entra;
pub(crate) mod stt;
pub(crate) mod token;
pub(crate) mod tts;
