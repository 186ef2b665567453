//! A local, faithful stand-in for the Azure Speech REST service, for tests, CI and offline use.
//!
//! It is written from the protocol specification alone and shares no code with the `speech-*` client
//! crates, so that a misunderstanding in a client is caught instead of mirrored.
//!
//! # Endpoints
//!
//! | Method | Path | What |
//! |---|---|---|
//! | `POST` | `/sts/v1.0/issueToken` | token service: key → 10-minute JWT |
//! | `POST` | `/speech/recognition/{interactive,conversation,dictation}/cognitiveservices/v1` (also under `/stt`) | speech-to-text for short audio |
//! | `POST` | `/cognitiveservices/v1` (also under `/tts`) | text-to-speech |
//! | `GET` | `/cognitiveservices/voices/list` (also under `/tts`) | the voices list |
//!
//! The checks and answers of each endpoint are described in the crate's README. Recognition and synthesis
//! come from engines behind the [`engine::Recognizer`] and [`engine::Synthesizer`] traits: by default the
//! deterministic [`engines::scripted::ScriptedRecognizer`] and [`engines::tone::ToneSynthesizer`].
//!
//! # Starting one in a test
//!
//! ```
//! use std::sync::Arc;
//! use speech_emulator::engine::Transcript;
//! use speech_emulator::engines::scripted::ScriptedRecognizer;
//! use speech_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let recognizer = Arc::new(ScriptedRecognizer::new());
//! recognizer.push(Transcript::Text { text: "Hello there.".into(), confidence: 0.9 });
//! let emu = Emulator::builder()
//!     .key("test-key")
//!     .recognizer(recognizer.clone())
//!     .start()
//!     .await?;
//!
//! // Point a client at emu.base_url() with key emu.key(). Here: a token request over a plain socket.
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let mut tcp = tokio::net::TcpStream::connect(emu.addr()).await?;
//! tcp.write_all(
//!     b"POST /sts/v1.0/issueToken HTTP/1.1\r\nHost: localhost\r\nOcp-Apim-Subscription-Key: test-key\r\n\
//!       Content-Length: 0\r\nConnection: close\r\n\r\n",
//! )
//! .await?;
//! let mut answer = String::new();
//! tcp.read_to_string(&mut answer).await?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK"));
//!
//! // What the emulator saw, with the key masked.
//! let seen = emu.requests();
//! assert_eq!(seen[0].path, "/sts/v1.0/issueToken");
//! assert_eq!(seen[0].header("ocp-apim-subscription-key"), Some("***"));
//!
//! // Faults can be scripted at run time.
//! emu.faults().fail_next(1, speech_emulator::StatusCode::SERVICE_UNAVAILABLE);
//! emu.shutdown();
//! emu.stopped().await;
//! # Ok(())
//! # }
//! ```
//!
//! Blocking programs use [`EmulatorBuilder::start_blocking`], which runs the server on a thread of its own.

pub mod engine;
pub mod engines;
pub mod fixtures;
pub mod text;

mod auth;
mod emulator;
mod faults;
mod log;
mod server;
mod service;
mod state;
mod tls;

pub use emulator::{Emulator, EmulatorBuilder, EmulatorHandle, StartError};
pub use faults::Faults;
pub use http::StatusCode;
pub use log::LoggedRequest;
pub use service::stt::multipart;
pub use service::tts::{formats, ssml, voices};
pub use state::RecognitionMode;
