//! Streaming recognition over the Speech WebSocket protocol (spec part B), sans IO: live hypotheses while the
//! person speaks, a final phrase at each pause, audio of any length.
//!
//! * [`frame`]: the speech messages inside WebSocket text and binary frames (encode and decode, with caps).
//! * [`client`]: what a client sends — the handshake request ([`StreamRequest::handshake`]), `speech.config`,
//!   `speech.context`, the RIFF header, audio, the end of audio.
//! * [`service`]: the service's messages, read tolerantly; [`translation`]: speech translation's.
//! * [`session`]: [`StreamSession`], the state machine of one recognition across connections — turns and
//!   their request ids, offsets made absolute, pacing, the connection's lifetime, reconnects that replay the
//!   audio not yet covered by a final phrase, close codes and handshake statuses as typed errors.
//!
//! WebSocket framing itself (RFC 6455) is the driver's, from a WebSocket library; this module owns the speech
//! protocol above it.

pub mod client;
pub mod frame;
pub mod service;
pub mod session;
pub mod translation;

pub use client::{PcmFormat, StreamPath, StreamRequest, TranslationPath};
pub use session::{
    Action, ConnectFailure, EndReason, Pacing, ReconnectReason, StreamEvent, StreamSession,
    StreamSettings,
};
