//! A sans-IO HTTP/1.1 client codec, so that any byte stream (any async runtime, a device loop) can carry
//! the protocol.
//!
//! The codec turns an `http::Request<()>` head into bytes, frames a request body (as is for `Content-Length`,
//! chunked with vectored, copy-free output otherwise), parses response heads through `httparse`, decodes
//! response bodies (`Content-Length`, chunked, or delimited by the peer closing) and says whether the
//! connection may carry another request. It never reads or writes a socket, never reads a clock, and every
//! byte it buffers is under a cap in [`Limits`].
//!
//! The blocking adapter does not use this module: ureq frames bodies itself (STYLE rule 12, anti-pattern 10).
//!
//! **Drive an exchange with [`Exchange`]**: it holds the order of the steps below as a typestate (write the
//! head → wait for `100 Continue` → write the body → read the head → read the body → keep-alive), so that no
//! driver writes it by hand. The functions below are the pieces it is built from, for drivers with needs of
//! their own.
//!
//! # When to call what
//!
//! 1. **Send the head.** [`write_request_head`] appends the head to a `Vec<u8>`; write all of it.
//! 2. **Decide the body framing.** [`request_body`] reads it from the head's own `Content-Length` /
//!    `Transfer-Encoding`: [`RequestBody::Empty`], [`RequestBody::Length`] (send exactly that many raw bytes)
//!    or [`RequestBody::Chunked`].
//! 3. **With `Expect: 100-continue`** ([`expects_continue`]): before sending the body, read a head with
//!    [`try_parse_response_head`]. A `100 Continue` ([`ResponseHead::is_continue`]) means "send the body now";
//!    other interim heads ([`ResponseHead::is_interim`]: `102`, `103`) are skipped; a final status means the server answered without wanting the body: skip step 4 and go to 6 with that
//!    head. (How long to wait for the `100` before sending anyway is the driver's timer, not the codec's.)
//! 4. **Send a chunked body.** For each non-empty piece of payload, [`encode_chunk`] gives three slices
//!    `[size line, payload, CRLF]` for a vectored write (the payload is not copied); or [`write_chunk`] copies
//!    one chunk into a caller buffer. End the body with [`LAST_CHUNK`].
//! 5. **Read the response head.** Keep reading into your buffer and call [`try_parse_response_head`] (or a
//!    [`ResponseHeadParser`], which never rescans bytes) until it returns a head. Skip any interim (`1xx`)
//!    heads by discarding their `consumed` bytes and parsing again.
//! 6. **Read the body.** [`response_body_kind`] tells how the body is delimited; build a [`BodyDecoder`] and
//!    feed it the bytes after the head with [`BodyDecoder::decode`] until [`BodyDecoder::is_done`]. When the
//!    peer closes the connection, call [`BodyDecoder::finish`]: it completes a close-delimited body and
//!    reports a truncated one.
//! 7. **Reuse or close.** [`keep_alive`] says whether the connection can carry the next request.
//!
//! # Walkthrough (exact bytes)
//!
//! ```
//! use speech_proto::wire::{
//!     encode_chunk, keep_alive, request_body, response_body_kind, try_parse_response_head, BodyDecoder,
//!     BodyKind, ChunkHeader, Limits, RequestBody, LAST_CHUNK,
//! };
//!
//! let request = http::Request::post("https://westus.stt.speech.microsoft.com/speech/recognition?language=en-US")
//!     .header("transfer-encoding", "chunked")
//!     .header("expect", "100-continue")
//!     .body(())?;
//!
//! // 1. The head.
//! let mut out = Vec::new();
//! speech_proto::wire::write_request_head(&request, &mut out)?;
//! assert_eq!(
//!     out,
//!     b"POST /speech/recognition?language=en-US HTTP/1.1\r\n\
//!       host: westus.stt.speech.microsoft.com\r\n\
//!       transfer-encoding: chunked\r\n\
//!       expect: 100-continue\r\n\
//!       \r\n"
//! );
//!
//! // 3. The interim answer.
//! let limits = Limits::default();
//! let (consumed, interim) = try_parse_response_head(b"HTTP/1.1 100 Continue\r\n\r\n", &limits)?
//!     .expect("a complete head");
//! assert_eq!(consumed, 25);
//! assert!(interim.is_interim());
//!
//! // 4. The body, as vectored writes; then the last chunk.
//! assert_eq!(request_body(&request)?, RequestBody::Chunked);
//! let mut header = ChunkHeader::new();
//! let [size, payload, crlf] = encode_chunk(&mut header, b"RIFF....WAVE").expect("non-empty payload");
//! assert_eq!([size, payload, crlf].concat(), b"c\r\nRIFF....WAVE\r\n");
//! assert_eq!(LAST_CHUNK, b"0\r\n\r\n");
//!
//! // 5. The final head, and 6. its chunked body.
//! let input: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n";
//! let (consumed, head) = try_parse_response_head(input, &limits)?.expect("a complete head");
//! let kind = response_body_kind(&http::Method::POST, &head)?;
//! assert_eq!(kind, BodyKind::Chunked);
//! let mut decoder = BodyDecoder::new(kind, limits);
//! let mut body = [0u8; 64];
//! let decoded = decoder.decode(&input[consumed..], &mut body)?;
//! assert_eq!(&body[..decoded.produced], b"hello");
//! assert_eq!(consumed + decoded.consumed, input.len());
//! assert!(decoder.is_done());
//!
//! // 7. The connection can carry the next request.
//! assert!(keep_alive(&request, &head, &decoder));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors
//!
//! Every function returns the crate's [`Error`](crate::Error); the codec's own failures are
//! [`Error::Wire`](crate::Error::Wire)`(`[`WireError`]`)`, which keeps `httparse`'s error typed. A peer that
//! breaks the framing ([`WireError::is_peer_fault`]) is treated like a broken connection: the connection must
//! be closed, and resending the request on a new one may succeed. Caller mistakes
//! ([`WireError::InvalidRequestHead`], [`WireError::InsufficientSize`]) are not retryable.

use std::fmt;

mod chunk;
mod decode;
pub(crate) mod error;
mod exchange;
mod request;
mod response;

pub use chunk::{
    chunk_header, encode_chunk, max_payload_for, write_chunk, ChunkHeader, CHUNK_END, LAST_CHUNK,
};
pub use decode::{keep_alive, BodyDecoder, Decoded};
pub use error::WireError;
pub use exchange::{state, AfterContinue, AfterHead, Exchange};
pub use request::{expects_continue, request_body, write_request_head, RequestBody};
pub use response::{
    response_body_kind, try_parse_response_head, BodyKind, ResponseHead, ResponseHeadParser,
};

/// Caps on everything the codec buffers or accepts from the peer. Going over a cap is an error, never a
/// reallocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest response head (status line, headers and the blank line), in bytes. Default 64 KiB.
    pub max_head_bytes: usize,
    /// The most header fields in a response head, and the most trailer fields after a chunked body.
    /// Default 100.
    pub max_headers: usize,
    /// The longest chunk-size line, extensions and CRLF included, in bytes. Default 4 KiB.
    pub max_chunk_line: usize,
    /// The longest trailer section after a chunked body (the final blank line included), in bytes.
    /// Default 16 KiB.
    pub max_trailer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_chunk_line: 4 * 1024,
            max_trailer_bytes: 16 * 1024,
        }
    }
}

/// `Err(Error::Wire(e))`.
fn fail<T>(e: WireError) -> Result<T, crate::Error> {
    Err(crate::Error::Wire(e))
}

/// Header names whose values `Debug` may print; every other value is shown as `<redacted>` (STYLE rule 19:
/// an allowlist, not a denylist).
const DEBUG_VISIBLE_HEADERS: [&str; 14] = [
    "connection",
    "content-length",
    "content-type",
    "date",
    "expect",
    "keep-alive",
    "retry-after",
    "server",
    "trailer",
    "transfer-encoding",
    "x-requestid",
    "x-request-id",
    "apim-request-id",
    "content-encoding",
];

/// `Debug` for a header map that prints every name but only the allowlisted values.
struct DebugHeaders<'a>(&'a http::HeaderMap);

impl fmt::Debug for DebugHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if DEBUG_VISIBLE_HEADERS.contains(&name.as_str()) && !value.is_sensitive() {
                map.entry(&name.as_str(), value);
            } else {
                map.entry(&name.as_str(), &format_args!("<redacted>"));
            }
        }
        map.finish()
    }
}

/// Whether any comma-separated element of any `name` header equals `token` (ASCII case-insensitive).
fn has_token(headers: &http::HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let l = Limits::default();
        assert_eq!(
            (
                l.max_head_bytes,
                l.max_headers,
                l.max_chunk_line,
                l.max_trailer_bytes
            ),
            (65_536, 100, 4096, 16_384)
        );
    }

    #[test]
    fn display_and_fault() {
        assert_eq!(
            WireError::Truncated { missing: Some(7) }.to_string(),
            "the connection closed before the end of the body: expected 7 more bytes"
        );
        assert!(WireError::Truncated { missing: None }
            .to_string()
            .contains("chunked body ended before the last chunk"));
        assert!(WireError::BadHead(httparse::Error::Status)
            .to_string()
            .contains("invalid response status"));
        assert!(WireError::BadHead(httparse::Error::Version).is_peer_fault());
        assert!(!WireError::InsufficientSize { required: 6 }.is_peer_fault());
        assert!(!WireError::InvalidRequestHead("x").is_peer_fault());
    }

    #[test]
    fn tokens() {
        let mut h = http::HeaderMap::new();
        h.append("connection", "Keep-Alive, Upgrade".parse().unwrap());
        h.append("connection", " CLOSE ".parse().unwrap());
        assert!(has_token(&h, http::header::CONNECTION, "close"));
        assert!(has_token(&h, http::header::CONNECTION, "keep-alive"));
        assert!(!has_token(&h, http::header::CONNECTION, "te"));
    }

    #[test]
    fn debug_redacts() {
        let mut h = http::HeaderMap::new();
        h.insert("content-type", "audio/wav".parse().unwrap());
        h.insert("set-cookie", "session=secret".parse().unwrap());
        let s = format!("{:?}", DebugHeaders(&h));
        assert!(s.contains("audio/wav"), "{s}");
        assert!(!s.contains("secret"), "{s}");
        assert!(s.contains("set-cookie"), "{s}");
    }
}
