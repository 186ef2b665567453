//! [`WireError`], a leaf that imports nothing from the crate (the crate's [`Error`](crate::Error) wraps it).

use std::fmt;

/// What went wrong in the HTTP/1.1 codec.
///
/// Most variants are the peer's fault (a response that breaks HTTP/1.1 framing, or goes over a cap in
/// [`Limits`](super::Limits)): close the connection; resending on a new one may succeed. [`WireError::InvalidRequestHead`] and
/// [`WireError::InsufficientSize`] are the caller's; see [`WireError::is_peer_fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The response head does not parse; `httparse`'s reason is kept as it is. An invalid status code (below
    /// 100) is reported as [`httparse::Error::Status`].
    BadHead(httparse::Error),
    /// The buffered input went over [`Limits::max_head_bytes`](super::Limits::max_head_bytes) without a complete response head.
    HeadTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The response head (or the trailer section) has more fields than [`Limits::max_headers`](super::Limits::max_headers).
    TooManyHeaders {
        /// The cap, in fields.
        limit: usize,
    },
    /// A chunk-size line is not a hexadecimal size (with optional extensions) ended by CRLF.
    BadChunkSize,
    /// The data of a chunk is not followed by CRLF.
    BadChunkEnd,
    /// A chunk-size line is longer than [`Limits::max_chunk_line`](super::Limits::max_chunk_line).
    ChunkLineTooLong {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The trailer section after a chunked body is longer than [`Limits::max_trailer_bytes`](super::Limits::max_trailer_bytes).
    TrailersTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The trailer section after a chunked body does not parse.
    BadTrailers(httparse::Error),
    /// A response's `Content-Length` is not a decimal number, or several values disagree.
    BadContentLength,
    /// A response carries both `Transfer-Encoding` and `Content-Length` (a sign of request smuggling or
    /// response splitting; RFC 9112 §6.3 asks to treat it as an error).
    ConflictingFraming,
    /// A response's `Transfer-Encoding` cannot be honoured: it is sent with HTTP/1.0 (RFC 9112 §6.1 calls that
    /// faulty framing), applies `chunked` more than once, or has an empty coding.
    BadTransferEncoding,
    /// The connection closed before the end of the body.
    Truncated {
        /// For a `Content-Length` body, how many bytes were still expected; `None` for a chunked body, whose
        /// last chunk never came.
        missing: Option<u64>,
    },
    /// The output buffer cannot hold even the smallest unit of output. Retry with at least `required` bytes.
    InsufficientSize {
        /// The smallest output buffer that makes progress, in bytes.
        required: usize,
    },
    /// The request cannot be written as an HTTP/1.1 head; the reason says why. The request was not sent.
    InvalidRequestHead(&'static str),
    /// The caller's body for a `Content-Length` request ran longer or shorter than the length the head
    /// announced. The request is broken: close the connection.
    BodyLengthMismatch {
        /// The announced length.
        declared: u64,
        /// The bytes offered so far (more than `declared`, or fewer at the end).
        offered: u64,
    },
}

impl WireError {
    /// Whether the peer caused this error (bad framing, a cap exceeded, a truncated body), as opposed to the
    /// caller ([`WireError::InvalidRequestHead`], [`WireError::InsufficientSize`]).
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            WireError::InvalidRequestHead(_)
                | WireError::InsufficientSize { .. }
                | WireError::BodyLengthMismatch { .. }
        )
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BodyLengthMismatch { declared, offered } => write!(
                f,
                "the request body is not the {declared} bytes its Content-Length announced ({offered} offered)"
            ),
            WireError::BadHead(e) => write!(f, "malformed HTTP response head: {e}"),
            WireError::HeadTooLarge { limit } => write!(
                f,
                "the HTTP response head is larger than the limit of {limit} bytes"
            ),
            WireError::TooManyHeaders { limit } => write!(
                f,
                "the HTTP response has more than {limit} header (or trailer) fields"
            ),
            WireError::BadChunkSize => f.write_str("malformed chunk-size line in a chunked body"),
            WireError::BadChunkEnd => {
                f.write_str("the data of a chunk in a chunked body is not followed by CRLF")
            }
            WireError::ChunkLineTooLong { limit } => write!(
                f,
                "a chunk-size line in a chunked body is longer than the limit of {limit} bytes"
            ),
            WireError::TrailersTooLarge { limit } => write!(
                f,
                "the trailers of a chunked body are larger than the limit of {limit} bytes"
            ),
            WireError::BadTrailers(e) => write!(f, "malformed trailers after a chunked body: {e}"),
            WireError::BadContentLength => {
                f.write_str("the response's Content-Length is invalid or has conflicting values")
            }
            WireError::ConflictingFraming => f.write_str(
                "the response carries both Transfer-Encoding and Content-Length; its length is ambiguous",
            ),
            WireError::BadTransferEncoding => f.write_str(
                "the response's Transfer-Encoding cannot be honoured (HTTP/1.0, chunked twice, or an empty coding)",
            ),
            WireError::Truncated {
                missing: Some(n),
            } => write!(
                f,
                "the connection closed before the end of the body: expected {n} more bytes"
            ),
            WireError::Truncated { missing: None } => f.write_str(
                "the connection closed before the end of the body: the chunked body ended before the last chunk",
            ),
            WireError::InsufficientSize { required } => write!(
                f,
                "the output buffer is too small: at least {required} bytes are needed"
            ),
            WireError::InvalidRequestHead(why) => {
                write!(f, "the request cannot be written as HTTP/1.1: {why}")
            }
        }
    }
}

impl std::error::Error for WireError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WireError::BadHead(e) | WireError::BadTrailers(e) => Some(e),
            _ => None,
        }
    }
}
