//! The order of one HTTP/1.1 exchange as a typestate (after ureq-proto's `Call<State>`): [`Exchange`].

use std::fmt;

use http::Request;

use super::decode::{keep_alive, BodyDecoder, Decoded};
use super::request::{expects_continue, request_body, write_request_head, RequestBody};
use super::response::{response_body_kind, ResponseHead, ResponseHeadParser};
use super::{chunk, fail, Limits, WireError};
use crate::error::{Error, Misuse};

/// The states of an [`Exchange`]. Each is a marker type; the methods available depend on it.
pub mod state {
    /// Write the request head.
    #[derive(Debug)]
    pub struct SendHead;
    /// The head asked for `100 Continue`: wait for it (or for an early final answer) before the body.
    #[derive(Debug)]
    pub struct AwaitContinue;
    /// Write the request body.
    #[derive(Debug)]
    pub struct SendBody;
    /// Read the response head.
    #[derive(Debug)]
    pub struct RecvHead;
    /// Read the response body: the final head and the body's decoder.
    #[derive(Debug)]
    pub struct RecvBody {
        pub(super) head: super::ResponseHead,
        pub(super) decoder: super::BodyDecoder,
    }
}

use state::{AwaitContinue, RecvBody, RecvHead, SendBody, SendHead};

/// One request and its answer on a connection, in the only order HTTP/1.1 allows:
///
/// ```text
///  SendHead ──► AwaitContinue ──(100 Continue, or the driver's timer)──► SendBody ──► RecvHead ──► RecvBody
///     │               └──(a final answer first: the body is never sent)─────────────────────────────┘  ▲
///     └──(no body)──────────────────────────────────────────────────────────────► RecvHead ─────────────┘
/// ```
///
/// Each state is a type: the compiler keeps a driver from writing the body before the head, or reading the
/// answer's body before its head. `proceed` moves on; where the flow branches it returns an enum. The
/// exchange owns every rule of the order: only `100 Continue` releases a held-back body (other interim heads
/// are skipped); a `Content-Length` body may not run long or short; chunked framing; interim heads before
/// the final one are skipped; the answer's body is delimited as its head says; and [`Exchange::keep_alive`]
/// decides whether the connection can carry the next request (never after an early answer or a body that was
/// cut off). The driver moves the bytes and runs the timer for `100 Continue`.
///
/// ```
/// use speech_proto::wire::{AfterContinue, AfterHead, Exchange, Limits};
///
/// let request = http::Request::post("http://127.0.0.1:5000/speech?language=en-US")
///     .header("transfer-encoding", "chunked")
///     .header("expect", "100-continue")
///     .body(())?;
/// let exchange = Exchange::new(request, Limits::default())?;
/// let mut out = Vec::new();
/// exchange.write_head(&mut out)?;
/// let AfterHead::AwaitContinue(mut waiting) = exchange.proceed() else { unreachable!() };
///
/// // The server says go on (a 103 Early Hints first is skipped).
/// let input = b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n";
/// assert_eq!(waiting.try_read(input)?, input.len());
/// assert!(waiting.can_proceed());
/// let AfterContinue::SendBody(mut sending) = waiting.proceed()? else { unreachable!() };
/// assert_eq!(sending.write(b"RIFF")?.concat(), b"4\r\nRIFF\r\n");
/// assert_eq!(sending.finish()?, b"0\r\n\r\n");
///
/// let mut receiving = sending.proceed();
/// let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
/// let consumed = receiving.try_read(answer)?;
/// let mut body = receiving.proceed()?;
/// assert_eq!(body.head().status, 200);
/// let mut out = [0u8; 8];
/// let decoded = body.read(&answer[consumed..], &mut out)?;
/// assert_eq!(&out[..decoded.produced], b"{}");
/// assert!(body.is_done() && body.keep_alive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Exchange<S> {
    request: Request<()>,
    framing: RequestBody,
    limits: Limits,
    parser: ResponseHeadParser,
    /// A `100 Continue` arrived.
    continued: bool,
    /// Body bytes offered so far.
    offered: u64,
    /// The body was ended properly ([`Exchange::finish`]).
    finished: bool,
    /// The final head arrived before the body was sent: the body was skipped.
    answered_early: bool,
    chunk_header: chunk::ChunkHeader,
    head: Option<ResponseHead>,
    state: S,
}

impl<S> fmt::Debug for Exchange<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The request may carry a key or a token: only its target is shown.
        f.debug_struct("Exchange")
            .field("state", &std::any::type_name::<S>().rsplit("::").next())
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

impl<S> Exchange<S> {
    fn into_state<T>(self, state: T) -> Exchange<T> {
        Exchange {
            request: self.request,
            framing: self.framing,
            limits: self.limits,
            parser: self.parser,
            continued: self.continued,
            offered: self.offered,
            finished: self.finished,
            answered_early: self.answered_early,
            chunk_header: self.chunk_header,
            head: self.head,
            state,
        }
    }

    /// The request head.
    pub fn request(&self) -> &Request<()> {
        &self.request
    }

    /// Parse one response head from `input`, skipping interim heads other than `100 Continue` (which sets
    /// `continued`). Returns the bytes consumed; a final head is stored.
    fn read_heads(&mut self, mut input: &[u8], stop_at_continue: bool) -> Result<usize, Error> {
        let mut consumed = 0;
        while self.head.is_none() {
            let Some((n, head)) = self.parser.parse(input, &self.limits)? else {
                break;
            };
            consumed += n;
            input = input.get(n..).unwrap_or_default();
            if head.is_continue() {
                self.continued = true;
                if stop_at_continue {
                    break;
                }
            } else if !head.is_interim() {
                self.head = Some(head);
            }
        }
        Ok(consumed)
    }

    /// Into the body-reading state with the stored head.
    fn into_recv_body(mut self) -> Result<Exchange<RecvBody>, Error> {
        let Some(head) = self.head.take() else {
            return Err(Misuse::InvalidState("no response head has been read yet").into());
        };
        let kind = response_body_kind(self.request.method(), &head)?;
        let decoder = BodyDecoder::new(kind, self.limits);
        Ok(self.into_state(RecvBody { head, decoder }))
    }
}

/// Where [`Exchange<SendHead>::proceed`] leads.
// Moved once per exchange, never stored: boxing a variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AfterHead {
    /// The head asked for `100 Continue` and there is a body: wait for it.
    AwaitContinue(Exchange<AwaitContinue>),
    /// Send the body.
    SendBody(Exchange<SendBody>),
    /// No body: read the answer.
    RecvHead(Exchange<RecvHead>),
}

/// Where [`Exchange<AwaitContinue>::proceed`] leads.
// Moved once per exchange, never stored: boxing a variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum AfterContinue {
    /// Send the body (`100 Continue` came, or the driver's timer ran out).
    SendBody(Exchange<SendBody>),
    /// The server answered before it wanted the body: the body is never sent; read the answer's body.
    Answered(Exchange<RecvBody>),
}

impl Exchange<SendHead> {
    /// Start an exchange for `request` (its head; the body framing comes from its own `Content-Length` or
    /// `Transfer-Encoding`).
    ///
    /// # Errors
    ///
    /// [`WireError::InvalidRequestHead`] for a head the codec cannot send.
    pub fn new(request: Request<()>, limits: Limits) -> Result<Self, Error> {
        let framing = request_body(&request)?;
        Ok(Exchange {
            request,
            framing,
            limits,
            parser: ResponseHeadParser::new(),
            continued: false,
            offered: 0,
            finished: false,
            answered_early: false,
            chunk_header: chunk::ChunkHeader::new(),
            head: None,
            state: SendHead,
        })
    }

    /// Append the request head to `out`; write all of it, then [`proceed`](Self::proceed).
    ///
    /// # Errors
    ///
    /// [`WireError::InvalidRequestHead`] for a head the codec cannot send.
    pub fn write_head(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        write_request_head(&self.request, out)
    }

    /// The head is written: wait for `100 Continue`, send the body, or read the answer.
    pub fn proceed(self) -> AfterHead {
        let has_body = !matches!(self.framing, RequestBody::Empty | RequestBody::Length(0));
        if !has_body {
            let mut next = self;
            next.finished = true;
            AfterHead::RecvHead(next.into_state(RecvHead))
        } else if expects_continue(&self.request) {
            AfterHead::AwaitContinue(self.into_state(AwaitContinue))
        } else {
            AfterHead::SendBody(self.into_state(SendBody))
        }
    }
}

impl Exchange<AwaitContinue> {
    /// Feed bytes read from the connection; returns how many were consumed (the rest belongs to the answer and
    /// must be kept). Stops after `100 Continue` or a final head; other interim heads are skipped.
    ///
    /// # Errors
    ///
    /// The codec's errors for a head that breaks HTTP/1.1 or goes over a cap.
    pub fn try_read(&mut self, input: &[u8]) -> Result<usize, Error> {
        self.read_heads(input, true)
    }

    /// Whether `100 Continue` or a final answer arrived. Call [`proceed`](Self::proceed) then, or when the
    /// driver's own timer for `100 Continue` runs out (the body is sent anyway).
    pub fn can_proceed(&self) -> bool {
        self.continued || self.head.is_some()
    }

    /// Send the body, or read the early answer.
    ///
    /// # Errors
    ///
    /// The codec's errors for an answer whose body framing cannot be determined.
    pub fn proceed(mut self) -> Result<AfterContinue, Error> {
        if self.head.is_some() {
            self.answered_early = true;
            return self.into_recv_body().map(AfterContinue::Answered);
        }
        Ok(AfterContinue::SendBody(self.into_state(SendBody)))
    }
}

impl Exchange<SendBody> {
    /// Frame the next piece of the body for a vectored write of the three slices (empty slices write
    /// nothing): as it is for `Content-Length`, `[size line, piece, CRLF]` for chunked. The piece is not copied;
    /// an empty piece writes nothing (end the body with [`finish`](Self::finish)).
    ///
    /// # Errors
    ///
    /// [`WireError::BodyLengthMismatch`] when the pieces run past the announced `Content-Length`.
    pub fn write<'a>(&'a mut self, piece: &'a [u8]) -> Result<[&'a [u8]; 3], Error> {
        self.offered = self.offered.saturating_add(piece.len() as u64);
        match self.framing {
            RequestBody::Length(declared) if self.offered > declared => {
                fail(WireError::BodyLengthMismatch {
                    declared,
                    offered: self.offered,
                })
            }
            RequestBody::Chunked => {
                self.chunk_header = chunk::chunk_header(piece.len());
                Ok(chunk::encode_chunk(&mut self.chunk_header, piece).unwrap_or([&[]; 3]))
            }
            _ => Ok([piece, &[], &[]]),
        }
    }

    /// End the body: the bytes to write last (the last chunk, or nothing for `Content-Length`). Then
    /// [`proceed`](Self::proceed).
    ///
    /// # Errors
    ///
    /// [`WireError::BodyLengthMismatch`] when fewer bytes than the announced `Content-Length` were offered.
    pub fn finish(&mut self) -> Result<&'static [u8], Error> {
        match self.framing {
            RequestBody::Length(declared) if self.offered != declared => {
                fail(WireError::BodyLengthMismatch {
                    declared,
                    offered: self.offered,
                })
            }
            RequestBody::Chunked => {
                self.finished = true;
                Ok(chunk::LAST_CHUNK)
            }
            _ => {
                self.finished = true;
                Ok(b"")
            }
        }
    }

    /// Read the answer. Without [`finish`](Self::finish) first (the server answered while the upload was
    /// running, or the body failed), the connection will not be kept alive.
    pub fn proceed(self) -> Exchange<RecvHead> {
        self.into_state(RecvHead)
    }
}

impl Exchange<RecvHead> {
    /// Feed bytes read from the connection; returns how many were consumed (the rest is the start of the
    /// answer's body and must be kept). Interim heads are skipped.
    ///
    /// # Errors
    ///
    /// The codec's errors for a head that breaks HTTP/1.1 or goes over a cap.
    pub fn try_read(&mut self, input: &[u8]) -> Result<usize, Error> {
        self.read_heads(input, false)
    }

    /// Whether the final head has arrived.
    pub fn can_proceed(&self) -> bool {
        self.head.is_some()
    }

    /// Read the answer's body.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidState`] before the final head arrived; the codec's errors for an answer whose body
    /// framing cannot be determined.
    pub fn proceed(self) -> Result<Exchange<RecvBody>, Error> {
        self.into_recv_body()
    }
}

impl Exchange<RecvBody> {
    /// The answer's final head.
    pub fn head(&self) -> &ResponseHead {
        &self.state.head
    }

    /// Decode body bytes from `input` into `out` (see [`BodyDecoder::decode`]).
    ///
    /// # Errors
    ///
    /// The codec's errors for a body that breaks its framing or goes over a cap.
    pub fn read(&mut self, input: &[u8], out: &mut [u8]) -> Result<Decoded, Error> {
        self.state.decoder.decode(input, out)
    }

    /// Whether the body has ended.
    pub fn is_done(&self) -> bool {
        self.state.decoder.is_done()
    }

    /// The peer closed the connection: the end of a close-delimited body, or a truncated one.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when the body was cut short.
    pub fn peer_closed(&mut self) -> Result<(), Error> {
        self.state.decoder.finish()
    }

    /// Whether the connection can carry the next request: the body was read to its end, the request's body
    /// was sent whole (not skipped after an early answer, not cut off), and [`keep_alive`] agrees.
    pub fn keep_alive(&self) -> bool {
        self.finished
            && !self.answered_early
            && keep_alive(&self.request, &self.state.head, &self.state.decoder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::post("http://h/p");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn no_body_goes_straight_to_the_answer() {
        let e = Exchange::new(
            Request::get("http://h/").body(()).unwrap(),
            Limits::default(),
        )
        .unwrap();
        let AfterHead::RecvHead(mut r) = e.proceed() else {
            panic!()
        };
        assert!(!r.can_proceed());
        let input = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(r.try_read(input).unwrap(), input.len());
        let body = r.proceed().unwrap();
        assert!(body.is_done() && body.keep_alive());
    }

    #[test]
    fn an_early_answer_skips_the_body_and_the_connection() {
        let e = Exchange::new(
            post(&[("transfer-encoding", "chunked"), ("expect", "100-continue")]),
            Limits::default(),
        )
        .unwrap();
        let AfterHead::AwaitContinue(mut w) = e.proceed() else {
            panic!()
        };
        let input = b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(w.try_read(input).unwrap(), input.len());
        assert!(w.can_proceed());
        let AfterContinue::Answered(body) = w.proceed().unwrap() else {
            panic!()
        };
        assert_eq!(body.head().status, 401);
        assert!(body.is_done());
        assert!(!body.keep_alive(), "the server may still expect the body");
    }

    #[test]
    fn only_100_releases_the_body_and_the_timer_sends_it_anyway() {
        let e = Exchange::new(
            post(&[("content-length", "3"), ("expect", "100-continue")]),
            Limits::default(),
        )
        .unwrap();
        let AfterHead::AwaitContinue(mut w) = e.proceed() else {
            panic!()
        };
        assert_eq!(w.try_read(b"HTTP/1.1 103 Early Hints\r\n\r\n").unwrap(), 28);
        assert!(!w.can_proceed(), "103 does not release the body");
        // The driver's timer ran out: send anyway.
        let AfterContinue::SendBody(mut s) = w.proceed().unwrap() else {
            panic!()
        };
        assert_eq!(s.write(b"ab").unwrap().concat(), b"ab");
        assert!(matches!(
            s.finish(),
            Err(Error::Wire(WireError::BodyLengthMismatch {
                declared: 3,
                offered: 2
            }))
        ));
        assert!(s.write(b"cd").is_err(), "past the announced length");
    }

    #[test]
    fn a_body_cut_off_is_not_kept_alive() {
        let e =
            Exchange::new(post(&[("transfer-encoding", "chunked")]), Limits::default()).unwrap();
        let AfterHead::SendBody(mut s) = e.proceed() else {
            panic!()
        };
        assert_eq!(s.write(b"").unwrap().concat(), b"");
        let _ = s.write(b"abc").unwrap();
        let mut r = s.proceed();
        let input = b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n";
        r.try_read(input).unwrap();
        let body = r.proceed().unwrap();
        assert!(body.is_done());
        assert!(!body.keep_alive());
    }
}
