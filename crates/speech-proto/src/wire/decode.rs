//! The response body decoder: `Content-Length`, chunked (RFC 9112 §7.1) and close-delimited bodies.

use std::fmt;

use http::header::CONNECTION;
use http::{HeaderMap, Method, Request, StatusCode, Version};

use super::has_token;
use super::response::{header_map, with_header_slots, BodyKind, ResponseHead};
use super::{fail, DebugHeaders, Limits, WireError};
use crate::error::Error;

/// What one [`BodyDecoder::decode`] call did: `consumed` bytes of input were used (drop them), `produced` bytes
/// of body were written to the start of the output buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Input bytes used; never fed again.
    pub consumed: usize,
    /// Body bytes written to `out[..produced]`.
    pub produced: usize,
}

/// Decodes one response body, push-style, from caller buffers into caller buffers.
///
/// Build it from [`response_body_kind`](super::response_body_kind) with the bytes after the head, then call
/// [`decode`](BodyDecoder::decode) with whatever input you have until [`is_done`](BodyDecoder::is_done); call
/// [`finish`](BodyDecoder::finish) when the peer closes the connection. The decoder keeps only bounded state:
/// a partial chunk-size line (at most [`Limits::max_chunk_line`] bytes) and a partial trailer section (at most
/// [`Limits::max_trailer_bytes`]). After an error it stays failed and returns the same error.
pub struct BodyDecoder {
    kind: BodyKind,
    limits: Limits,
    state: State,
    /// A chunk-size line or trailer section split across inputs (empty otherwise).
    partial: Vec<u8>,
    /// Where the current trailer line starts in `partial`.
    line_start: usize,
    trailers: Option<HeaderMap>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// `Content-Length` body with this many bytes left (never zero).
    Length(u64),
    /// Close-delimited body; everything is body until [`BodyDecoder::finish`].
    UntilClose,
    /// Chunked: reading a chunk-size line.
    SizeLine,
    /// Chunked: this many data bytes left in the current chunk (never zero).
    Data(u64),
    /// Chunked: the CR after a chunk's data.
    DataCr,
    /// Chunked: the LF after a chunk's data.
    DataLf,
    /// Chunked: the trailer section after the last chunk.
    Trailers,
    /// The body is complete.
    Done,
    /// A framing error; every later call returns it.
    Failed(WireError),
}

impl BodyDecoder {
    /// A decoder for a body of `kind`, with the caps of `limits` ([`BodyKind::Empty`] and
    /// [`BodyKind::Length`]`(0)` are done from the start).
    pub fn new(kind: BodyKind, limits: Limits) -> Self {
        let state = match kind {
            BodyKind::Empty | BodyKind::Length(0) => State::Done,
            BodyKind::Length(n) => State::Length(n),
            BodyKind::Chunked => State::SizeLine,
            BodyKind::CloseDelimited => State::UntilClose,
        };
        BodyDecoder {
            kind,
            limits,
            state,
            partial: Vec::new(),
            line_start: 0,
            trailers: None,
        }
    }

    /// The kind of body this decoder was built for.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Decode from `input` into `out`: returns how much input was consumed (drop it; it is never needed again)
    /// and how much body was written to `out[..produced]`.
    ///
    /// Call it whenever you have input, until [`is_done`](BodyDecoder::is_done). Chunk framing is removed
    /// (extensions skipped), trailers are parsed and kept ([`trailers`](BodyDecoder::trailers)). Partial
    /// framing lines are kept inside the decoder, so all of `input` can be consumed even when it ends in the
    /// middle of a line.
    ///
    /// Progress: while not done, with non-empty `input` and `out` at least one byte is consumed or produced.
    /// An empty `out` is allowed (framing is still consumed). Once done, nothing more is consumed: bytes after
    /// the body belong to the next response.
    ///
    /// # Errors
    ///
    /// Chunked framing that breaks RFC 9112 ([`WireError::BadChunkSize`], [`WireError::BadChunkEnd`],
    /// [`WireError::BadTrailers`], [`WireError::TooManyHeaders`]) or goes over a cap
    /// ([`WireError::ChunkLineTooLong`], [`WireError::TrailersTooLarge`]). The decoder then stays failed; close
    /// the connection. Body bytes this call wrote to `out` before it met the error are not reported: the body
    /// is broken anyway.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<Decoded, Error> {
        let mut d = Decoded::default();
        loop {
            let rest = &input[d.consumed..];
            let step = match self.state {
                State::Done => break,
                State::Failed(e) => return fail(e),
                State::Length(left) => {
                    let n = copy(rest, &mut out[d.produced..], left);
                    self.state = match left - n as u64 {
                        0 => State::Done,
                        left => State::Length(left),
                    };
                    (n, n)
                }
                State::UntilClose => {
                    let n = copy(rest, &mut out[d.produced..], u64::MAX);
                    (n, n)
                }
                State::Data(left) => {
                    let n = copy(rest, &mut out[d.produced..], left);
                    self.state = match left - n as u64 {
                        0 => State::DataCr,
                        left => State::Data(left),
                    };
                    (n, n)
                }
                State::DataCr | State::DataLf => {
                    let Some(&b) = rest.first() else { break };
                    self.state = match (self.state, b) {
                        (State::DataCr, b'\r') => State::DataLf,
                        (State::DataLf, b'\n') => State::SizeLine,
                        _ => return self.failed(WireError::BadChunkEnd),
                    };
                    (1, 0)
                }
                State::SizeLine => match self.size_line(rest) {
                    Ok(n) => (n, 0),
                    Err(e) => return self.failed(e),
                },
                State::Trailers => match self.trailer_bytes(rest) {
                    Ok(n) => (n, 0),
                    Err(e) => return self.failed(e),
                },
            };
            if step == (0, 0) {
                break;
            }
            d.consumed += step.0;
            d.produced += step.1;
        }
        Ok(d)
    }

    /// Whether the whole body has been decoded (for a close-delimited body: after [`finish`](Self::finish)).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Tell the decoder that the peer closed the connection (a read returned end of stream).
    ///
    /// `Ok` completes a close-delimited body and is a no-op once the body is done. Otherwise the body was cut
    /// short: [`WireError::Truncated`] with the missing byte count of a `Content-Length` body, or without one
    /// for a chunked body whose last chunk never came (a failed decoder returns its error).
    pub fn finish(&mut self) -> Result<(), Error> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            State::Failed(e) => fail(e),
            State::Length(n) => fail(WireError::Truncated { missing: Some(n) }),
            State::SizeLine | State::Data(_) | State::DataCr | State::DataLf | State::Trailers => {
                fail(WireError::Truncated { missing: None })
            }
        }
    }

    /// The trailer fields of a chunked body, once it is done and if it carried at least one.
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    fn failed<T>(&mut self, e: WireError) -> Result<T, Error> {
        self.state = State::Failed(e);
        self.partial = Vec::new();
        fail(e)
    }

    /// Consume bytes of a chunk-size line; on its LF, parse it (through httparse) and move on.
    fn size_line(&mut self, rest: &[u8]) -> Result<usize, WireError> {
        if rest.is_empty() {
            return Ok(0);
        }
        let limit = self.limits.max_chunk_line;
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            // The line needs at least one more byte (its LF): refuse as soon as it cannot fit.
            if self.partial.len() + rest.len() >= limit {
                return Err(WireError::ChunkLineTooLong { limit });
            }
            self.partial.extend_from_slice(rest);
            return Ok(rest.len());
        };
        let piece = &rest[..=lf];
        if self.partial.len() + piece.len() > limit {
            return Err(WireError::ChunkLineTooLong { limit });
        }
        let size = if self.partial.is_empty() {
            parse_size_line(piece)?
        } else {
            self.partial.extend_from_slice(piece);
            let size = parse_size_line(&self.partial)?;
            self.partial.clear();
            size
        };
        self.state = if size == 0 {
            State::Trailers
        } else {
            State::Data(size)
        };
        Ok(piece.len())
    }

    /// Consume bytes of the trailer section, line by line; on its empty line, parse it and finish.
    fn trailer_bytes(&mut self, rest: &[u8]) -> Result<usize, WireError> {
        if rest.is_empty() {
            return Ok(0);
        }
        // The usual case, no trailers: the empty line in one piece needs no buffering.
        if self.partial.is_empty() {
            let empty = if rest.starts_with(b"\r\n") {
                2
            } else if rest.starts_with(b"\n") {
                1
            } else {
                0
            };
            if empty > 0 {
                self.state = State::Done;
                return Ok(empty);
            }
        }
        let limit = self.limits.max_trailer_bytes;
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            if self.partial.len() + rest.len() >= limit {
                return Err(WireError::TrailersTooLarge { limit });
            }
            self.partial.extend_from_slice(rest);
            return Ok(rest.len());
        };
        let piece = &rest[..=lf];
        if self.partial.len() + piece.len() > limit {
            return Err(WireError::TrailersTooLarge { limit });
        }
        self.partial.extend_from_slice(piece);
        let line = &self.partial[self.line_start..];
        if line == b"\n" || line == b"\r\n" {
            if self.line_start > 0 {
                let trailers = parse_trailers(&self.partial, self.limits.max_headers)?;
                self.trailers = (!trailers.is_empty()).then_some(trailers);
            }
            self.partial = Vec::new();
            self.line_start = 0;
            self.state = State::Done;
        } else {
            self.line_start = self.partial.len();
        }
        Ok(piece.len())
    }
}

/// Copy as much as input, output and `left` allow; returns the count.
fn copy(input: &[u8], out: &mut [u8], left: u64) -> usize {
    let n = input
        .len()
        .min(out.len())
        .min(usize::try_from(left).unwrap_or(usize::MAX));
    out[..n].copy_from_slice(&input[..n]);
    n
}

/// The size of a complete chunk-size line (ending in LF), through `httparse::parse_chunk_size`: it must take
/// the whole line, so a line ending in a bare LF or with bytes after its CRLF is refused, and it must start
/// with a hex digit (httparse reads an empty size as zero, which would end the body early).
fn parse_size_line(line: &[u8]) -> Result<u64, WireError> {
    if !line.first().is_some_and(u8::is_ascii_hexdigit) {
        return Err(WireError::BadChunkSize);
    }
    match httparse::parse_chunk_size(line) {
        Ok(httparse::Status::Complete((n, size))) if n == line.len() => Ok(size),
        _ => Err(WireError::BadChunkSize),
    }
}

/// Parse a complete trailer section (ending in its empty line) through `httparse::parse_headers`.
fn parse_trailers(section: &[u8], max_fields: usize) -> Result<HeaderMap, WireError> {
    with_header_slots(max_fields, |slots| {
        match httparse::parse_headers(section, slots) {
            Ok(httparse::Status::Complete((_, fields))) => {
                header_map(fields, max_fields).map_err(|e| match e {
                    WireError::BadHead(e) => WireError::BadTrailers(e),
                    other => other,
                })
            }
            // The section ends in an empty line, so httparse cannot ask for more; treat it as a bad line end.
            Ok(httparse::Status::Partial) => Err(WireError::BadTrailers(httparse::Error::NewLine)),
            Err(httparse::Error::TooManyHeaders) => {
                Err(WireError::TooManyHeaders { limit: max_fields })
            }
            Err(e) => Err(WireError::BadTrailers(e)),
        }
    })
}

/// Prints the state and the trailer names (trailer values only from the allowlist).
impl fmt::Debug for BodyDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyDecoder")
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("buffered", &self.partial.len())
            .field("trailers", &self.trailers.as_ref().map(DebugHeaders))
            .finish()
    }
}

/// Whether the connection can carry another request after this exchange.
///
/// Call it when the exchange is over (the decoder is done, or you are giving up on the body). `true` only when
/// all of these hold:
/// * the body was read to its end ([`BodyDecoder::is_done`]) and was not close-delimited;
/// * neither the request nor the response carries `Connection: close`;
/// * the response is HTTP/1.1, or HTTP/1.0 with `Connection: keep-alive`;
/// * the response did not switch protocols (`101`, or a successful `CONNECT`);
/// * the request did not carry `Expect: 100-continue` with a final status other than `2xx`. Such an answer
///   may have come before the body was sent, and the codec cannot know whether the driver then skipped the body
///   or sent it: the server may still be waiting for the body, or read it as the next request. The rule costs a
///   reconnect only after error answers.
///
/// Beyond what this function can see: a driver that stopped sending a request body early (the server answered
/// while the upload was still running) must close the connection whatever this returns.
pub fn keep_alive(request: &Request<()>, head: &ResponseHead, body: &BodyDecoder) -> bool {
    if !body.is_done() || body.kind() == BodyKind::CloseDelimited {
        return false;
    }
    if has_token(request.headers(), CONNECTION, "close")
        || has_token(&head.headers, CONNECTION, "close")
    {
        return false;
    }
    if head.status == StatusCode::SWITCHING_PROTOCOLS
        || (request.method() == Method::CONNECT && head.status.is_success())
    {
        return false;
    }
    if super::request::expects_continue(request) && !head.status.is_success() {
        return false;
    }
    match head.version {
        Version::HTTP_11 => true,
        Version::HTTP_10 => has_token(&head.headers, CONNECTION, "keep-alive"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode all of `input` in pieces of `step` bytes into outputs of `out_len` bytes.
    fn decode_all(
        kind: BodyKind,
        limits: Limits,
        input: &[u8],
        step: usize,
        out_len: usize,
    ) -> (Result<(), Error>, Vec<u8>, usize, BodyDecoder) {
        let mut dec = BodyDecoder::new(kind, limits);
        let mut body = Vec::new();
        let mut out = vec![0u8; out_len];
        let mut consumed = 0;
        for piece in input.chunks(step.max(1)) {
            let mut piece = piece;
            while !piece.is_empty() {
                match dec.decode(piece, &mut out) {
                    Ok(d) => {
                        body.extend_from_slice(&out[..d.produced]);
                        consumed += d.consumed;
                        piece = &piece[d.consumed..];
                        if d == Decoded::default() {
                            assert!(dec.is_done() || out_len == 0, "no progress");
                            return (Ok(()), body, consumed, dec);
                        }
                    }
                    Err(e) => return (Err(e), body, consumed, dec),
                }
            }
        }
        (Ok(()), body, consumed, dec)
    }

    fn wire(r: Result<(), Error>) -> WireError {
        match r {
            Err(Error::Wire(e)) => e,
            other => panic!("expected a wire error, got {other:?}"),
        }
    }

    #[test]
    fn chunked_every_split() {
        let input = b"5;name=\"v;x\"\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0;last\r\nExpires: never\r\nX-Checksum: abc\r\n\r\nNEXT";
        let body_end = input.len() - 4;
        for step in 1..=input.len() {
            for out_len in [1, 3, 64] {
                let (r, body, consumed, dec) =
                    decode_all(BodyKind::Chunked, Limits::default(), input, step, out_len);
                r.unwrap();
                assert_eq!(body, b"hello 0123456789", "step {step} out {out_len}");
                assert_eq!(consumed, body_end);
                assert!(dec.is_done());
                let t = dec.trailers().expect("trailers");
                assert_eq!(t["expires"], "never");
                assert_eq!(t["x-checksum"], "abc");
            }
        }
    }

    #[test]
    fn framing_consumed_with_empty_out() {
        let mut dec = BodyDecoder::new(BodyKind::Chunked, Limits::default());
        let d = dec.decode(b"3\r\nabc\r\n0\r\n\r\n", &mut []).unwrap();
        assert_eq!(
            d,
            Decoded {
                consumed: 3,
                produced: 0
            }
        );
        let mut out = [0u8; 3];
        let d = dec.decode(b"abc\r\n0\r\n\r\n", &mut out).unwrap();
        assert_eq!(
            d,
            Decoded {
                consumed: 10,
                produced: 3
            }
        );
        assert!(dec.is_done());
        assert_eq!(dec.trailers(), None);
        assert_eq!(dec.decode(b"more", &mut out).unwrap(), Decoded::default());
    }

    #[test]
    fn chunked_errors() {
        let limits = Limits {
            max_chunk_line: 8,
            max_trailer_bytes: 16,
            max_headers: 1,
            ..Limits::default()
        };
        let cases: &[(&[u8], WireError)] = &[
            (b"x\r\n", WireError::BadChunkSize),
            (b"5\n", WireError::BadChunkSize),
            (b"\r\n", WireError::BadChunkSize),
            (b"-1\r\n", WireError::BadChunkSize),
            (b";x\r\n", WireError::BadChunkSize),
            (b" 1\r\n", WireError::BadChunkSize),
            (
                b"10000000000000000\r\n",
                WireError::ChunkLineTooLong { limit: 8 },
            ),
            (b"1;aaaaaaaa", WireError::ChunkLineTooLong { limit: 8 }),
            (b"1\r\nab", WireError::BadChunkEnd),
            (b"1\r\na\rx", WireError::BadChunkEnd),
            (
                b"0\r\nx: 1\r\ny: 2\r\n\r\n",
                WireError::TooManyHeaders { limit: 1 },
            ),
            (
                b"0\r\nbad line\r\n\r\n",
                WireError::BadTrailers(httparse::Error::HeaderName),
            ),
            (
                b"0\r\nx: 0123456789ab\r\n\r\n",
                WireError::TrailersTooLarge { limit: 16 },
            ),
        ];
        for (input, want) in cases {
            for step in 1..=input.len() {
                let (r, _, _, mut dec) = decode_all(BodyKind::Chunked, limits, input, step, 4);
                assert_eq!(
                    wire(r),
                    *want,
                    "{:?} step {step}",
                    String::from_utf8_lossy(input)
                );
                // Failed stays failed.
                assert_eq!(
                    wire(dec.decode(b"0\r\n\r\n", &mut [0; 4]).map(|_| ())),
                    *want
                );
                assert_eq!(wire(dec.finish()), *want);
            }
        }
        // httparse's 16-hex-digit cap applies with a long enough line.
        let (r, ..) = decode_all(
            BodyKind::Chunked,
            Limits::default(),
            b"10000000000000000\r\n",
            100,
            4,
        );
        assert_eq!(wire(r), WireError::BadChunkSize);
        // Exactly at the caps is fine.
        let (r, ..) = decode_all(
            BodyKind::Chunked,
            limits,
            b"1;aaaa\r\nz\r\n0\r\nx: 012345678\r\n\r\n",
            1,
            4,
        );
        r.unwrap();
    }

    #[test]
    fn length_and_close() {
        let (r, body, consumed, mut dec) =
            decode_all(BodyKind::Length(5), Limits::default(), b"hello world", 2, 3);
        r.unwrap();
        assert_eq!((body.as_slice(), consumed), (&b"hello"[..], 5));
        assert!(dec.is_done());
        dec.finish().unwrap();

        let mut dec = BodyDecoder::new(BodyKind::Length(10), Limits::default());
        let mut out = [0u8; 16];
        assert_eq!(dec.decode(b"abc", &mut out).unwrap().produced, 3);
        assert_eq!(
            wire(dec.finish()),
            WireError::Truncated { missing: Some(7) }
        );

        let mut dec = BodyDecoder::new(BodyKind::CloseDelimited, Limits::default());
        assert_eq!(dec.decode(b"abc", &mut out).unwrap().produced, 3);
        assert!(!dec.is_done());
        dec.finish().unwrap();
        assert!(dec.is_done());
        assert_eq!(dec.decode(b"x", &mut out).unwrap(), Decoded::default());

        let mut dec = BodyDecoder::new(BodyKind::Chunked, Limits::default());
        dec.decode(b"5\r\nab", &mut out).unwrap();
        assert_eq!(wire(dec.finish()), WireError::Truncated { missing: None });

        let mut dec = BodyDecoder::new(BodyKind::Empty, Limits::default());
        assert!(dec.is_done());
        assert_eq!(dec.decode(b"x", &mut out).unwrap(), Decoded::default());
        dec.finish().unwrap();
        assert!(BodyDecoder::new(BodyKind::Length(0), Limits::default()).is_done());
    }

    #[test]
    fn debug_shows_no_trailer_secrets() {
        let mut dec = BodyDecoder::new(BodyKind::Chunked, Limits::default());
        dec.decode(b"0\r\nx-token: secret\r\n\r\n", &mut [])
            .unwrap();
        let s = format!("{dec:?}");
        assert!(s.contains("x-token") && !s.contains("secret"), "{s}");
    }
}
