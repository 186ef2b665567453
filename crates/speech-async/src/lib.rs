//! An async client for the Azure Speech REST APIs — speech-to-text for short audio, text-to-speech, the voices
//! list and the token service — on any runtime, driven by the sans-IO core [`speech_proto`].
//!
//! Every protocol decision is the core's: request heads, HTTP/1.1 framing ([`speech_proto::wire`]), the token
//! lifecycle, audio checks, answer parsing, error classification and whether to retry
//! ([`speech_proto::retry`]). This crate moves bytes and keeps time: it is the async twin of `speech-ureq`,
//! with the same calls, as futures.
//!
//! * **No runtime by default.** Pick one with a feature — `async-std`, `smol` or `tokio` — and pass it to
//!   [`ClientBuilder::runtime`] ([`runtime::AsyncStd`], [`runtime::Smol`], [`runtime::Tokio`]), or bring your
//!   own through [`unversioned::Runtime`] (a clock, a timer and a connector). The clock is read only there, so
//!   tests can run on virtual time.
//! * **Two transports.** *Raw* (always available): the core's HTTP/1.1 codec over the runtime's TCP
//!   connections, TLS by rustls (ring, Mozilla roots), a small pool of idle connections per host,
//!   `Expect: 100-continue` honoured, chunked uploads written with vectored writes straight from the caller's
//!   bytes. *reqwest* (feature `reqwest`): for tokio programs that already own a `reqwest::Client`
//!   ([`ClientBuilder::reqwest`]).
//! * [`Client::recognize`] streams audio up from any `futures_io::AsyncRead`, [`Client::recognize_stream`] from
//!   a `Stream` of `Bytes`, [`Client::recognize_bytes`] sends bytes in memory with their length (and can resend
//!   them); a WAV header is checked before anything is sent.
//! * [`Client::transcribe`] takes a recording of any format and length (decoded and cut at pauses on the
//!   `blocking` thread pool) and recognizes the pieces concurrently; [`Client::fast_transcribe`] sends a whole
//!   file to the fast-transcription API in one request (speakers, word timings). Both give a
//!   [`Transcript`](speech_proto::stt::Transcript) with subtitles.
//! * [`Client::listen`] streams audio over the WebSocket protocol (async-tungstenite on the runtime's TCP): an
//!   [`AudioSink`] to write PCM into and an [`EventStream`] of hypotheses and phrases; polling the stream drives
//!   the session.
//! * [`Client::synthesize`] returns a [`SynthesisStream`] of audio chunks as they arrive.
//! * The token (for a subscription key with [`AuthMode::Token`], the default, or from an
//!   [`EntraTokenSource`] for keyless use) is fetched by one task at a time and shared by every clone; the
//!   others keep using the still-valid token while it is refreshed.
//! * Errors: one [`Error`], with [`Error::kind`] for exit codes and [`Error::hint`] for the likely causes.
//! * **Keyless** (Microsoft Entra ID): with
//!   [`Credential::entra_token_source`](speech_proto::Credential::entra_token_source), tokens come from an
//!   [`EntraTokenSource`] — a few lines of your own, or, with the `azure-core` feature, any `azure_identity`
//!   credential through `AzureCredential` — and are renewed before they expire.
//!
//! # Features
//!
//! * `async-std`, `smol`, `tokio`: that runtime's TCP and timers ([`runtime`]). Each brings in its runtime only.
//! * `reqwest`: the reqwest transport; brings in reqwest and tokio.
//! * `azure-core`: `AzureCredential`. Brings in `azure_core` without its default features: no tokio and no
//!   HTTP client (`cargo tree -p speech-async --no-default-features --features async-std,azure-core` shows
//!   none). Needs Rust 1.88.
//!
//! # Example
//!
//! Against the emulator (`speech-emulator`, a local stand-in for the service), on smol; for Azure use
//! `Endpoint::region("westus")?` and your key.
//!
//! ```
//! # #[cfg(feature = "smol")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::StreamExt;
//! use speech_async::speech_proto::recognize::{RecognitionRequest, RecognitionStatus};
//! use speech_async::speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
//! use speech_async::speech_proto::{Credential, Endpoint};
//! use speech_async::{runtime, Client};
//!
//! let emulator = speech_emulator::Emulator::builder().start_blocking()?;
//! smol::block_on(async {
//!     let client = Client::builder(Endpoint::base_url(emulator.base_url())?, Credential::key(emulator.key())?)
//!         .runtime(runtime::Smol)
//!         .build()?;
//!
//!     // Text to speech, chunk by chunk as it arrives.
//!     let ssml = Ssml::simple("en-US", "en-US-AvaNeural", "Hello there");
//!     let request = SynthesisRequest::new(&ssml, OutputFormat::Riff16Khz16BitMonoPcm, "my-app/1.0")?;
//!     let mut audio = client.synthesize(&request).await?;
//!     let mut wav = Vec::new();
//!     while let Some(chunk) = audio.next().await {
//!         wav.extend_from_slice(&chunk?);
//!     }
//!     assert!(wav.starts_with(b"RIFF"));
//!
//!     // Speech to text (the emulator's scripted recognizer answers with a fixed sentence).
//!     let result = client.recognize_bytes(&wav, &RecognitionRequest::new("en-US")).await?;
//!     assert_eq!(result.status, Some(RecognitionStatus::Success));
//!
//!     // The voices list, and the one token the client fetched for all of the above.
//!     assert!(!client.voices().await?.is_empty());
//!     assert_eq!(client.token_fetches(), 1);
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "smol"))]
//! # fn main() {}
//! ```

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
pub mod runtime;
mod stream;
mod synthesis;
mod transcribe;
mod transport;
pub mod unversioned;
mod ws;

pub use speech_audio;
pub use speech_proto;

#[cfg(feature = "azure-core")]
pub use azure::AzureCredential;
pub use body::SynthesisStream;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_CONTINUE_TIMEOUT,
    DEFAULT_FAST_TRANSCRIPTION_TIMEOUT, DEFAULT_IO_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use entra::{EntraAccessToken, EntraTokenResult, EntraTokenSource};
pub use error::{Error, ErrorKind};
pub use speech_proto::retry::RetryPolicy;
pub use speech_proto::AuthMode;
pub use stream::{AudioSink, EventStream};
pub use synthesis::{SynthesisEvents, Synthesizer};
