//! A blocking client for the Azure Speech APIs — speech-to-text (short audio, fast transcription, streaming over
//! WebSocket), text-to-speech, the voices list and the token service — on [ureq] 3, driven by the sans-IO core
//! [`speech_proto`].
//!
//! Every protocol decision is the core's: request heads, the token lifecycle, audio checks, answer parsing,
//! error classification and whether to retry ([`speech_proto::retry`]). This crate moves bytes: it hands the
//! core's `http::Request`s to one [`ureq::Agent`] (connection reuse, rustls TLS, proxies) with a reader for
//! the body (ureq frames it, `Content-Length` or chunked, as the core's head says), reads answers up to the
//! core's caps, sleeps when the core says wait, and reads the clock in one swappable place.
//!
//! * [`Client::recognize`] streams audio up from any [`Read`](std::io::Read) (only the WAV header is read
//!   ahead, to check it); [`Client::recognize_file`] and [`Client::recognize_bytes`] send with a length and
//!   can be resent.
//! * [`Client::transcribe`] takes a recording of any format and length, cuts it at the speaker's pauses and
//!   recognizes the pieces concurrently; [`Client::fast_transcribe`] sends a whole file to the
//!   fast-transcription API in one request (speakers, word timings). Both give a
//!   [`Transcript`](speech_proto::stt::Transcript) with subtitles.
//! * [`Client::listen`] streams audio over the WebSocket protocol (tungstenite) and gives live [`Events`]:
//!   hypotheses while the person speaks, a phrase at each pause, across as many connections as it takes.
//! * [`Client::synthesize`] returns a [`SynthesisStream`] that yields audio as it arrives.
//! * The token (for a subscription key with [`AuthMode::Token`], the default, or from an
//!   [`EntraTokenSource`] for keyless use) is fetched by one thread at a time and shared by every clone; the
//!   others keep using the still-valid token while it is refreshed.
//! * Errors: one [`Error`], with [`Error::kind`] for exit codes, [`Error::hint`] for the likely causes and the
//!   fix, and `Display` that says both.
//!
//! # Example
//!
//! Against the emulator (`speech-emulator`, a local stand-in for the service); for Azure use
//! `Endpoint::region("westus")?` and your key.
//!
//! ```
//! use std::io::Read;
//! use speech_ureq::speech_proto::recognize::{RecognitionRequest, RecognitionStatus};
//! use speech_ureq::speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
//! use speech_ureq::speech_proto::{Credential, Endpoint};
//! use speech_ureq::Client;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = speech_emulator::Emulator::builder().start_blocking()?;
//! let client = Client::builder(Endpoint::base_url(emulator.base_url())?, Credential::key(emulator.key())?)
//!     .build()?;
//!
//! // Text to speech, read as it arrives.
//! let ssml = Ssml::simple("en-US", "en-US-AvaNeural", "Hello there");
//! let request = SynthesisRequest::new(&ssml, OutputFormat::Riff16Khz16BitMonoPcm, "my-app/1.0")?;
//! let mut wav = Vec::new();
//! client.synthesize(&request)?.read_to_end(&mut wav)?;
//! assert!(wav.starts_with(b"RIFF"));
//!
//! // Speech to text (the emulator's scripted recognizer answers with a fixed sentence).
//! let result = client.recognize_bytes(&wav, &RecognitionRequest::new("en-US"))?;
//! assert_eq!(result.status, Some(RecognitionStatus::Success));
//! println!("{}", result.display_text().unwrap_or_default());
//!
//! // The voices list, and the token the client fetched once and used for all of the above.
//! assert!(!client.voices()?.is_empty());
//! assert_eq!(client.token_fetches(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Settings worth knowing
//!
//! [`ClientBuilder`]: timeouts (connect 10 s, each read 30 s, none overall by default), the retry policy
//! (4 attempts with backoff; `Retry-After` honoured up to 60 s), proxies (explicit, or from the environment
//! by default), extra root certificates (to trust the emulator's TLS), and the audio check.
//!
//! # Keyless (Microsoft Entra ID)
//!
//! With [`Credential::entra_token_source`](speech_proto::Credential::entra_token_source) the client asks an
//! [`EntraTokenSource`] for tokens and renews them before they expire: implement the trait in a few lines,
//! run a command ([`TokenCommand`], e.g. the Azure CLI), or, with the `azure-core` feature, use any
//! `azure_identity` credential through `AzureCredential`.
//!
//! # Features
//!
//! * `azure-core` (off by default): `AzureCredential`. Brings in `azure_core` (without its default features)
//!   and tokio, whose current-thread runtime runs the credential. Needs Rust 1.88.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
#[cfg(feature = "azure-core")]
mod azure;
mod body;
mod client;
mod clock;
mod entra;
mod error;
mod fast;
mod stream;
mod synthesis;
mod transcribe;
mod ws;

pub use speech_audio;
pub use speech_proto;

#[cfg(feature = "azure-core")]
pub use azure::AzureCredential;
pub use body::SynthesisStream;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_FAST_TRANSCRIPTION_TIMEOUT,
    DEFAULT_READ_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use entra::{EntraAccessToken, EntraTokenSource, TokenCommand};
pub use error::{Error, ErrorKind};
pub use speech_proto::retry::RetryPolicy;
pub use speech_proto::AuthMode;
pub use stream::{AudioWriter, Events};
pub use synthesis::{SynthesisEvents, Synthesizer};

/// The workspace README's Rust example, compiled as a doctest so that it keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
