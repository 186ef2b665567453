//! Sans-IO protocol core for the Azure Speech REST APIs: speech-to-text for short audio, text-to-speech, the
//! voices list and the token service.
//!
//! Every protocol decision lives here, once, as plain values and state machines with no IO, no clock, no
//! threads, no async and no randomness. Thin drivers (`speech-ureq` for blocking code, `speech-async` for any
//! runtime, or your own event loop) move the bytes, read the clock and feed the results back.
//!
//! # In scope
//!
//! * **Endpoints** ([`endpoint`]): public regions, US Government (with its split token host), China, custom
//!   domains (service label moved into the path) and any base URL (containers, the emulator), with
//!   plain-`http` refused for non-loopback hosts unless opted in.
//! * **Credentials and tokens** ([`auth`], [`token`]): subscription keys, caller-supplied bearer tokens,
//!   Microsoft Entra ID (`aad#<resource>#<token>`), and the [`TokenMachine`] that exchanges a key for
//!   10-minute tokens: one fetch at a time, refresh at 9 minutes while the old token is still served, backoff
//!   with caller-supplied jitter, drop-and-refetch after a 401, and tokens only ever sent to the host family
//!   that issued them.
//! * **Requests and results**: recognition ([`recognize`]), synthesis and SSML ([`synthesize`]), the voices list
//!   ([`voices`]), as `http::Request<()>` heads that HTTP clients built on the `http` crate take as they
//!   are, and parsers for complete, size-capped bodies.
//! * **Audio checks** ([`audio`]): a push-style WAV header parser and the checks that catch audio the service
//!   would hear as silence before a byte is sent.
//! * **Errors** ([`error`]): one [`Error`] enum that tells caller misuse from service answers; every service
//!   answer carries its status, message, request id, `Retry-After`, whether a retry can help, and a
//!   troubleshooting [`Hint`].
//! * **The WebSocket handshake head** ([`ws`]) for callers who bring their own WebSocket library.
//! * **An HTTP/1.1 client codec** ([`wire`]) for transports that only move bytes: request heads, chunked
//!   framing without copying the payload, `100 Continue`, response heads through `httparse`, body decoding
//!   (length, chunked, close) and the keep-alive decision, with a cap on everything buffered.
//!
//! # Out of scope
//!
//! * Sockets, TLS, DNS, proxies, connection pools: the driver's job.
//! * Reading clocks and generating randomness: `now: Instant`, wall-clock seconds and jitter arrive as
//!   parameters (`scripts/check-sans-io.sh` fails the build on any clock read, IO or randomness in `src/`).
//! * Timeouts for the driver's own IO: the driver decides how long to wait and reports a failed fetch with
//!   [`TokenMachine::handle_fetch_failed`].
//! * The Speech WebSocket message protocol, batch transcription, speech translation and custom-model
//!   management.
//!
//! # Run loop
//!
//! The token machine (and [`Auth`], which wraps every credential behind the same calls) follows
//! quinn-proto's shape: inputs through `handle_*(now, ..)`, outputs through `poll_*()`. A driver:
//!
//! 1. builds a request head (e.g. [`recognize::RecognitionRequest::build`]);
//! 2. calls [`Auth::authorize`]`(now, &mut request)`:
//!    * [`Authorize::Ready`]: the auth header was added; go to 5;
//!    * [`Authorize::Pending`]: a token fetch is queued or in flight; go to 3 (or wait for the thread that
//!      performs it);
//!    * `Err(`[`Error::TokenUnavailable`]`)`: fetches are failing and backing off; fail the request or wait
//!      the `retry_in` it carries;
//! 3. drains [`Auth::poll_action`] until `None`, performing each [`AuthAction::FetchToken`] and reporting its
//!    outcome with [`Auth::handle_token_response`] (any status, complete body) or
//!    [`Auth::handle_fetch_failed`] (no answer), then goes back to 2;
//! 4. meanwhile sleeps until [`Auth::poll_timeout`], calls [`Auth::handle_timeout`]`(now)` and drains
//!    `poll_action` again (this is how the 9-minute refresh and the end of a backoff happen);
//! 5. sends the request and parses the answer: the module's parser on success, [`parse_error_response`]
//!    otherwise. On a 401 with a machine-fetched token it calls [`Auth::invalidate`] and, when that returns
//!    `true`, goes back to 2 once; other errors say through [`Error::is_retryable`] whether resending can
//!    help.
//!
//! The token machine never has more than one fetch in flight, never serves a token at or after its expiry,
//! and its `poll_timeout` never moves earlier without an input. Its states are drawn in [`TokenMachine`]'s
//! docs.
//!
//! Static credentials (a key with [`AuthMode::Key`], a bearer token, Entra) go through the same calls: they are
//! always `Ready`, never ask for a fetch and have no timeout.
//!
#![doc = include_str!("../docs/walkthrough.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audio;
pub mod auth;
pub mod call;
pub mod endpoint;
pub mod error;
mod header;
pub mod stt;
pub mod tts;
pub mod wire;
pub mod ws;

#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;

pub use auth::token;
pub use auth::{Auth, AuthAction, AuthMode, Authorize, Credential, TokenMachine};
pub use call::retry;
pub use endpoint::{Endpoint, HostFamily, HostKind};
pub use error::{
    parse_error_response, Error, ErrorKind, Hint, Misuse, NoAnswer, RetryAfter, Service,
    ServiceError, TransportFailure,
};
/// Short-audio recognition (the module's home is [`stt::short`]; this path stays for existing code).
pub use stt::short as recognize;
pub use token::Token;
pub use tts::{synthesize, voices};

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
