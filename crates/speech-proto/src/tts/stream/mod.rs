//! Synthesis over the Speech WebSocket protocol (spec part 1), sans IO: audio as it is made, with word,
//! punctuation and sentence boundaries, bookmarks and visemes beside it, several syntheses on one connection.
//!
//! * [`request`]: what a client sends — the handshake ([`request::handshake`]), `speech.config`,
//!   `synthesis.context` ([`SpeakRequest`], [`MetadataOptions`]) and `ssml`.
//! * [`metadata`]: the service's `audio.metadata` entries, read tolerantly.
//! * [`session`]: [`SynthesisSession`], the state machine of a synthesizer's connection — turns and their
//!   request ids, audio frames matched to their stream, events with text offsets into the input, the
//!   connection's lifetime, retries before any audio came, close codes as typed errors.
//!
//! The speech message framing is shared with recognition ([`crate::stt::stream::frame`]); WebSocket framing
//! (RFC 6455) is the driver's, through the [`Session`](crate::ws::Session) trait.

pub mod metadata;
pub mod request;
pub mod session;

pub use metadata::BoundaryKind;
pub use request::{riff_header, MetadataOptions, SpeakRequest, SynthesisPath};
pub use session::{
    is_last, transcript_of, Boundary, Collector, Synthesis, SynthesisEvent, SynthesisSession,
    SynthesisSettings,
};
