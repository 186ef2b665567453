//! Sans-IO protocol core for the Azure Speech REST APIs: speech-to-text for short audio, text-to-speech, the
//! voices list and the token service.
//!
//! Every protocol decision lives here, once, as plain values and state machines with no IO, no clock, no
//! threads, no async and no randomness. Thin drivers (`speech-ureq` for blocking code, `speech-async` for any
//! runtime, or your own event loop) move the bytes, read the clock and feed the results back.
//!
//! # In scope
//!
//! The crate is laid out by service, so that each new one has its place:
//!
//! * **Endpoints** ([`endpoint`]): public regions, US Government (with its split token host), China, custom
//!   domains (service label moved into the path) and any base URL (containers, the emulator), with
//!   plain-`http` refused for non-loopback hosts unless opted in.
//! * **Credentials and tokens** ([`auth`], [`auth::token`]): subscription keys, caller-supplied bearer tokens,
//!   Microsoft Entra ID (`aad#<resource>#<token>`), and the [`TokenMachine`] that exchanges a key for
//!   10-minute tokens: one fetch at a time, refresh at 9 minutes while the old token is still served, backoff
//!   with caller-supplied jitter, drop-and-refetch after a 401, and tokens only ever sent to the host family
//!   that issued them.
//! * **One call machine for every exchange** ([`call`]): the authorized head, the body plan, the body cap of
//!   the service, classification of the answer, the retry decision ([`retry`]: attempts, one
//!   re-authorization after a 401, `Retry-After`, backoff with the caller's jitter, never resending a stream
//!   that was partly sent, an overall deadline) and the end.
//! * **Services**: short-audio recognition ([`stt::short`], also at [`recognize`]), synthesis and SSML
//!   ([`tts::synthesize`]), the voices list ([`tts::voices`]), as `http::Request<()>` heads that HTTP clients
//!   built on the `http` crate take as they are, and parsers for complete, size-capped bodies.
//! * **Audio checks** ([`audio`]): a push-style WAV header parser and the checks that catch audio the service
//!   would hear as silence before a byte is sent.
//! * **Errors** ([`error`]): one [`Error`] enum that tells caller misuse from service answers; every service
//!   answer carries its status, message, request id, `Retry-After`, whether a retry can help, and a
//!   troubleshooting [`Hint`]; a request that got no answer says why ([`NoAnswer`]).
//! * **The WebSocket handshake head** ([`ws`]) for callers who bring their own WebSocket library.
//! * **An HTTP/1.1 client codec** ([`wire`]) for transports that only move bytes: the order of an exchange as
//!   a typestate ([`wire::Exchange`]), request heads, chunked framing without copying the payload,
//!   `100 Continue`, response heads through `httparse`, body decoding (length, chunked, close) and the
//!   keep-alive decision, with a cap on everything buffered.
//!
//! No module imports a module that imports it back: error types are leaves, limits live with what they limit.
//!
//! # Out of scope
//!
//! * Sockets, TLS, DNS, proxies, connection pools: the driver's job.
//! * Reading clocks and generating randomness: `now: Instant`, wall-clock seconds and jitter arrive as
//!   parameters ([`call::Moment`]; `scripts/check-sans-io.sh` fails the build on any clock read, IO or
//!   randomness in `src/`).
//! * Timeouts for the driver's own IO: the driver decides how long to wait and reports what happened
//!   ([`call::Call::handle_transport_failed`], [`Auth::handle_fetch_error`]).
//! * The Speech WebSocket message protocol, batch transcription, speech translation and custom-model
//!   management.
//!
//! # Run loop
//!
//! Every call follows quinn-proto's shape: inputs through `handle_*(now, ..)`, outputs through `poll_*()`,
//! named after the driver's next duty. A driver:
//!
//! 1. builds a request head (e.g. [`recognize::RecognitionRequest::build`]) and a [`call::Call`] for it
//!    (e.g. [`call::Call::recognition`]);
//! 2. polls [`call::Call::poll_output`] until `None`, doing each duty:
//!    * [`call::Output::Authorize`]: locks its shared [`Auth`] and calls [`call::Call::handle_authorize`];
//!      while that says [`call::AuthStep::Pending`], drains [`Auth::poll_action`], performs each
//!      [`AuthAction::FetchToken`] as a call of its own ([`call::Call::token_fetch`]) and reports it
//!      ([`call::TokenAnswer::report`], or [`Auth::handle_fetch_error`] when there was no answer);
//!    * [`call::Output::Send`]: sends the head and the body, and reports the answer's head
//!      ([`call::Call::handle_head`]) or the failure ([`call::Call::handle_transport_failed`]);
//!    * [`call::Output::ReadBody`]: reads at most `limit` bytes of the body and reports them
//!      ([`call::Call::handle_body`]);
//!    * [`call::Output::Wait`]: sleeps, then calls [`call::Call::handle_timeout`];
//!    * [`call::Output::Done`], [`call::Output::Stream`], [`call::Output::Failed`]: the end.
//!
//! The token machine never has more than one fetch in flight, never serves a token at or after its expiry,
//! and its `poll_timeout` never moves earlier without an input. Its states are drawn in [`TokenMachine`]'s
//! docs. Static credentials (a key with [`AuthMode::Key`], a bearer token, Entra) go through the same calls:
//! they are always ready, never ask for a fetch and have no timeout.
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
pub mod proxy;
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
    ServiceError, StreamError, TransportFailure,
};
/// Short-audio recognition (the module's home is [`stt::short`]; this path stays for existing code).
pub use stt::short as recognize;
pub use token::Token;
pub use tts::{synthesize, voices};

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
