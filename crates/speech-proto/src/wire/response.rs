//! The response side: heads through `httparse`, how the body is delimited, and whether the connection can be
//! reused.

use std::fmt;

use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use httparse::Status;

use super::{fail, DebugHeaders, Limits, WireError};
use crate::error::Error;

/// A parsed response head: status, version and header fields (the reason phrase is dropped).
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: StatusCode,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// The header fields, in the order received (names lower-cased by `http`).
    pub headers: HeaderMap,
}

impl ResponseHead {
    /// Whether this is an interim answer (`1xx` other than `101`), such as `100 Continue`: a final head follows
    /// on the same connection. Drop the head's bytes and parse again.
    ///
    /// `101 Switching Protocols` is not interim for this codec: no HTTP/1.1 follows it on the connection
    /// (its body kind is [`BodyKind::Empty`] and the connection is not kept alive).
    pub fn is_interim(&self) -> bool {
        self.status.is_informational() && self.status != StatusCode::SWITCHING_PROTOCOLS
    }

    /// Whether this is `100 Continue`: the only interim head that releases a body held back by
    /// `Expect: 100-continue`. Other interim heads (`102`, `103`) are skipped; the driver's timer decides when
    /// to send the body anyway.
    pub fn is_continue(&self) -> bool {
        self.status == StatusCode::CONTINUE
    }
}

/// Prints every header name but only the values of a short allowlist (content type, lengths, request ids, …);
/// other values may be secrets (cookies, tokens) and show as `<redacted>`.
impl fmt::Debug for ResponseHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseHead")
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &DebugHeaders(&self.headers))
            .finish()
    }
}

/// Parse a response head from the start of `input` (push-style, through `httparse`).
///
/// * `Ok(None)`: no complete head yet. Read more bytes, append them to the same buffer and call again with all
///   of it.
/// * `Ok(Some((consumed, head)))`: a complete head, `consumed` bytes long; the body (or the next head) starts at
///   `input[consumed..]`. An interim head such as `100 Continue` is returned like any other: check
///   [`ResponseHead::is_interim`], drop `consumed` bytes and call again for the final head.
///
/// Cost: each call scans the buffered bytes (up to [`Limits::max_head_bytes`]) for the blank line that ends a
/// head before handing them to `httparse`, so calling again over a growing buffer rescans it: quadratic in the
/// number of calls, bounded by the cap (at most 64 KiB per call by default). [`ResponseHeadParser`] remembers
/// where it stopped and scans every byte once.
///
/// # Errors
///
/// * [`WireError::HeadTooLarge`]: `input` is longer than `max_head_bytes` and holds no complete head within
///   them (a head that fits is accepted however many body bytes follow it);
/// * [`WireError::TooManyHeaders`]: more than `max_headers` fields;
/// * [`WireError::BadHead`]: `httparse` refused the bytes (its error is kept); a status below 100 is
///   [`httparse::Error::Status`], a field `http` cannot hold is [`httparse::Error::HeaderName`] or
///   [`httparse::Error::HeaderValue`].
pub fn try_parse_response_head(
    input: &[u8],
    limits: &Limits,
) -> Result<Option<(usize, ResponseHead)>, Error> {
    let mut scanned = 0;
    parse_head(input, limits, &mut scanned)
}

/// A response-head parser that remembers how far it has scanned, so that feeding it a growing buffer costs
/// linear time (the anti-pattern it avoids: re-parsing from scratch on every partial read).
///
/// Contract: between calls, `input` must start at the same byte and only grow (append what you read). After it
/// returns a head it starts over, so the next call may pass the bytes after that head (`&input[consumed..]`,
/// e.g. after an interim `100 Continue`). Call [`ResponseHeadParser::reset`] before parsing from an unrelated
/// buffer. Errors are the same as [`try_parse_response_head`]'s.
#[derive(Clone, Debug, Default)]
pub struct ResponseHeadParser {
    scanned: usize,
}

impl ResponseHeadParser {
    /// A parser at the start of a head.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse the head at the start of `input`; see [`try_parse_response_head`] for the results.
    pub fn parse(
        &mut self,
        input: &[u8],
        limits: &Limits,
    ) -> Result<Option<(usize, ResponseHead)>, Error> {
        let result = parse_head(input, limits, &mut self.scanned);
        if !matches!(result, Ok(None)) {
            self.scanned = 0;
        }
        result
    }

    /// Forget how far the parser got (for a new connection or buffer).
    pub fn reset(&mut self) {
        self.scanned = 0;
    }
}

fn parse_head(
    input: &[u8],
    limits: &Limits,
    scanned: &mut usize,
) -> Result<Option<(usize, ResponseHead)>, Error> {
    let window = &input[..input.len().min(limits.max_head_bytes)];
    let mut from = (*scanned).min(window.len());
    // httparse runs only where a blank line could end the head, so a partial head costs a byte scan.
    while let Some(end) = find_blank_line(window, from) {
        match parse_complete(&window[..end], limits)? {
            Some(found) => return Ok(Some(found)),
            // The blank line was one of the empty lines httparse skips before a status line.
            None => from = end - 1,
        }
    }
    // A blank line is at most 3 bytes ("\n\r\n"); resume where one could still start.
    *scanned = window.len().saturating_sub(2);
    if input.len() > limits.max_head_bytes {
        return fail(WireError::HeadTooLarge {
            limit: limits.max_head_bytes,
        });
    }
    Ok(None)
}

/// The end (exclusive) of the first line break followed by an empty line (`\n\n` or `\n\r\n`) at or after
/// `from`. Every complete head ends with one, whatever line endings httparse accepted.
fn find_blank_line(window: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(off) = window.get(i..)?.iter().position(|&b| b == b'\n') {
        let at = i + off;
        match window.get(at + 1..) {
            Some([b'\n', ..]) => return Some(at + 2),
            Some([b'\r', b'\n', ..]) => return Some(at + 3),
            _ => {}
        }
        i = at + 1;
    }
    None
}

/// Run `f` on `n` empty header slots: on the stack up to 128, on the heap above.
pub(super) fn with_header_slots<'b, R>(
    n: usize,
    f: impl FnOnce(&mut [httparse::Header<'b>]) -> R,
) -> R {
    const STACK: usize = 128;
    if n <= STACK {
        let mut slots = [httparse::EMPTY_HEADER; STACK];
        f(&mut slots[..n])
    } else {
        let mut slots = vec![httparse::EMPTY_HEADER; n];
        f(&mut slots)
    }
}

fn parse_complete(bytes: &[u8], limits: &Limits) -> Result<Option<(usize, ResponseHead)>, Error> {
    with_header_slots(limits.max_headers, |slots| {
        let mut response = httparse::Response::new(slots);
        let consumed = match response.parse(bytes) {
            Ok(Status::Complete(n)) => n,
            Ok(Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return fail(WireError::TooManyHeaders {
                    limit: limits.max_headers,
                })
            }
            Err(e) => return fail(WireError::BadHead(e)),
        };
        let version = match response.version {
            Some(0) => Version::HTTP_10,
            Some(1) => Version::HTTP_11,
            _ => return fail(WireError::BadHead(httparse::Error::Version)),
        };
        let status = response
            .code
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or(Error::Wire(WireError::BadHead(httparse::Error::Status)))?;
        let headers = header_map(response.headers, limits.max_headers)?;
        Ok(Some((
            consumed,
            ResponseHead {
                status,
                version,
                headers,
            },
        )))
    })
}

/// Convert httparse's fields into a `HeaderMap`; `BadHead` for a field `http` cannot hold.
pub(super) fn header_map(
    fields: &[httparse::Header<'_>],
    limit: usize,
) -> Result<HeaderMap, WireError> {
    let too_many = |_| WireError::TooManyHeaders { limit };
    let mut map = HeaderMap::try_with_capacity(fields.len()).map_err(too_many)?;
    for field in fields {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| WireError::BadHead(httparse::Error::HeaderName))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| WireError::BadHead(httparse::Error::HeaderValue))?;
        map.try_append(name, value).map_err(too_many)?;
    }
    Ok(map)
}

/// How a response body is delimited (RFC 9112 §6.3), from [`response_body_kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: the answer to `HEAD`, a `1xx`, `204` or `304`, or a successful `CONNECT`.
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding` with `chunked` as the last coding.
    Chunked,
    /// Neither: the body ends when the server closes the connection (the connection cannot be reused).
    CloseDelimited,
}

/// How the body of the response `head` to a `request_method` request is delimited.
///
/// Call it once per final head, and build a [`BodyDecoder`](super::BodyDecoder) from the result. `HEAD` answers, `1xx`, `204` and
/// `304` have no body whatever their headers say; `Transfer-Encoding` whose last coding is `chunked` means
/// [`BodyKind::Chunked`]; `Transfer-Encoding` without `chunked` means [`BodyKind::CloseDelimited`] (the body
/// keeps that coding: this codec removes only the chunked framing); `Content-Length` means
/// [`BodyKind::Length`]; nothing means [`BodyKind::CloseDelimited`].
///
/// # Errors
///
/// * [`WireError::ConflictingFraming`]: both `Transfer-Encoding` and `Content-Length`;
/// * [`WireError::BadContentLength`]: a `Content-Length` that is not a decimal number, or values that disagree;
/// * [`WireError::BadTransferEncoding`]: `Transfer-Encoding` in an HTTP/1.0 answer, `chunked` twice or not last,
///   or no coding at all.
pub fn response_body_kind(request_method: &Method, head: &ResponseHead) -> Result<BodyKind, Error> {
    let status = head.status;
    if request_method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || (request_method == Method::CONNECT && status.is_success())
    {
        return Ok(BodyKind::Empty);
    }
    let headers = &head.headers;
    let has_te = headers.contains_key(TRANSFER_ENCODING);
    let has_cl = headers.contains_key(CONTENT_LENGTH);
    if has_te {
        if has_cl {
            return fail(WireError::ConflictingFraming);
        }
        if head.version == Version::HTTP_10 {
            return fail(WireError::BadTransferEncoding);
        }
        let mut codings = 0usize;
        let mut chunked = 0usize;
        let mut last_is_chunked = false;
        for coding in headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.as_bytes().split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
        {
            codings += 1;
            last_is_chunked = coding.eq_ignore_ascii_case(b"chunked");
            chunked += usize::from(last_is_chunked);
        }
        return match (codings, chunked, last_is_chunked) {
            (0, _, _) => fail(WireError::BadTransferEncoding),
            (_, 1, true) => Ok(BodyKind::Chunked),
            (_, 0, _) => Ok(BodyKind::CloseDelimited),
            _ => fail(WireError::BadTransferEncoding),
        };
    }
    if has_cl {
        return match content_length(headers) {
            Some(n) => Ok(BodyKind::Length(n)),
            None => fail(WireError::BadContentLength),
        };
    }
    Ok(BodyKind::CloseDelimited)
}

/// The one value of every `Content-Length` field (comma lists allowed when all elements agree); `None` when
/// there is none, or a value is not a decimal number that fits in `u64`, or values disagree.
pub(super) fn content_length(headers: &HeaderMap) -> Option<u64> {
    let mut found = None;
    for element in headers
        .get_all(CONTENT_LENGTH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
    {
        let digits = element.trim_ascii();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = std::str::from_utf8(digits).ok()?.parse::<u64>().ok()?;
        match found {
            Some(m) if m != n => return None,
            _ => found = Some(n),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    // keep_alive judges a finished body, so it lives with the body decoder; its tests stay here with the heads.
    use super::*;
    use crate::wire::{keep_alive, BodyDecoder};
    use http::Request;

    fn parse(input: &[u8]) -> Result<Option<(usize, ResponseHead)>, Error> {
        try_parse_response_head(input, &Limits::default())
    }

    fn wire_err(r: Result<Option<(usize, ResponseHead)>, Error>) -> WireError {
        match r {
            Err(Error::Wire(e)) => e,
            other => panic!("expected a wire error, got {other:?}"),
        }
    }

    #[test]
    fn complete_head() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-RequestId: abc\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n{}";
        let (n, head) = parse(input).unwrap().unwrap();
        assert_eq!(n, input.len() - 2);
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.version, Version::HTTP_11);
        assert_eq!(head.headers["content-type"], "application/json");
        let dups: Vec<_> = head.headers.get_all("x-dup").iter().collect();
        assert_eq!(dups, ["1", "2"]);
        assert!(!head.is_interim());
    }

    #[test]
    fn every_prefix_is_partial() {
        let input = b"\r\nHTTP/1.0 404 Not Found\nServer: x\n\n";
        for end in 0..input.len() {
            assert!(parse(&input[..end]).unwrap().is_none(), "{end}");
        }
        let (n, head) = parse(input).unwrap().unwrap();
        assert_eq!(n, input.len());
        assert_eq!(head.version, Version::HTTP_10);
        assert_eq!(head.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn no_reason_phrase_and_interim() {
        let (n, head) = parse(b"HTTP/1.1 100\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(n, 16);
        assert!(head.is_interim());
        let (_, head) = parse(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!head.is_interim());
    }

    #[test]
    fn bad_heads_keep_httparse_error() {
        assert_eq!(
            wire_err(parse(b"HTTP/2.0 200 OK\r\n\r\n")),
            WireError::BadHead(httparse::Error::Version)
        );
        assert_eq!(
            wire_err(parse(b"HTTP/1.1 099 Low\r\n\r\n")),
            WireError::BadHead(httparse::Error::Status)
        );
        assert_eq!(
            wire_err(parse(b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")),
            WireError::BadHead(httparse::Error::HeaderName)
        );
        // An error that shows before the blank line is still reported only once a blank line arrives, or when
        // the cap is reached.
        assert!(parse(b"XTTP/1.1 200 OK\r\n").unwrap().is_none());
    }

    #[test]
    fn caps() {
        let limits = Limits {
            max_head_bytes: 40,
            max_headers: 2,
            ..Limits::default()
        };
        let head = b"HTTP/1.1 200 OK\r\na: 1\r\nb: 2\r\n\r\n"; // 31 bytes
        let (n, _) = try_parse_response_head(head, &limits).unwrap().unwrap();
        assert_eq!(n, 31);
        // A head that fits is accepted whatever follows.
        let mut long = head.to_vec();
        long.extend_from_slice(&[b'x'; 100]);
        assert!(try_parse_response_head(&long, &limits).unwrap().is_some());
        // Too many fields.
        assert_eq!(
            wire_err(try_parse_response_head(
                b"HTTP/1.1 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n",
                &limits
            )),
            WireError::TooManyHeaders { limit: 2 }
        );
        // 40 bytes without an end: still waiting; 41: too large.
        let open = [b"HTTP/1.1 200 OK\r\nx: ".as_slice(), &[b'y'; 20]].concat();
        assert_eq!(open.len(), 40);
        assert!(try_parse_response_head(&open, &limits).unwrap().is_none());
        let mut more = open.clone();
        more.push(b'y');
        assert_eq!(
            wire_err(try_parse_response_head(&more, &limits)),
            WireError::HeadTooLarge { limit: 40 }
        );
        // A large max_headers uses heap slots.
        let many = Limits {
            max_headers: 1000,
            ..Limits::default()
        };
        let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..500 {
            input.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
        }
        input.extend_from_slice(b"\r\n");
        let (_, head) = try_parse_response_head(&input, &many).unwrap().unwrap();
        assert_eq!(head.headers.len(), 500);
    }

    #[test]
    fn stateful_parser_matches_and_resumes() {
        let input =
            b"\n\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nServer: s\r\n\r\n";
        let limits = Limits::default();
        for step in 1..=input.len() {
            let mut parser = ResponseHeadParser::new();
            let mut heads = Vec::new();
            let mut start = 0;
            let mut end = 0;
            while start < input.len() {
                end = (end + step).min(input.len());
                if let Some((n, head)) = parser.parse(&input[start..end], &limits).unwrap() {
                    heads.push(head.status.as_u16());
                    start += n;
                    end = start;
                } else if end == input.len() {
                    panic!("step {step}: no head in {:?}", &input[start..]);
                }
            }
            assert_eq!(heads, [100, 204], "step {step}");
        }
    }

    #[test]
    fn blank_line_scan() {
        assert_eq!(find_blank_line(b"a\r\n\r\n", 0), Some(5));
        assert_eq!(find_blank_line(b"a\n\n", 0), Some(3));
        assert_eq!(find_blank_line(b"a\n\r", 0), None);
        assert_eq!(find_blank_line(b"a\n\rb\n\n", 0), Some(6));
        assert_eq!(find_blank_line(b"a\n\n", 9), None);
    }

    fn head(version: Version, status: u16, headers: &[(&str, &str)]) -> ResponseHead {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        ResponseHead {
            status: StatusCode::from_u16(status).unwrap(),
            version,
            headers: map,
        }
    }

    #[test]
    fn body_kinds() {
        let v11 = Version::HTTP_11;
        let get = Method::GET;
        let kind = |m: &Method, h: &ResponseHead| response_body_kind(m, h);
        let cl = [("content-length", "12")];
        assert_eq!(
            kind(&get, &head(v11, 200, &cl)).unwrap(),
            BodyKind::Length(12)
        );
        assert_eq!(
            kind(&Method::HEAD, &head(v11, 200, &cl)).unwrap(),
            BodyKind::Empty
        );
        for s in [100, 101, 204, 304] {
            assert_eq!(
                kind(&get, &head(v11, s, &cl)).unwrap(),
                BodyKind::Empty,
                "{s}"
            );
        }
        assert_eq!(
            kind(&Method::CONNECT, &head(v11, 200, &[])).unwrap(),
            BodyKind::Empty
        );
        assert_eq!(
            kind(&get, &head(v11, 200, &[])).unwrap(),
            BodyKind::CloseDelimited
        );
        let te = |v: &str| kind(&get, &head(v11, 200, &[("transfer-encoding", v)]));
        assert_eq!(te("chunked").unwrap(), BodyKind::Chunked);
        assert_eq!(te("gzip, CHUNKED").unwrap(), BodyKind::Chunked);
        assert_eq!(te("gzip").unwrap(), BodyKind::CloseDelimited);
        for bad in ["chunked, gzip", "chunked, chunked", " , "] {
            assert_eq!(te(bad), fail(WireError::BadTransferEncoding), "{bad}");
        }
        assert_eq!(
            kind(
                &get,
                &head(Version::HTTP_10, 200, &[("transfer-encoding", "chunked")])
            ),
            fail(WireError::BadTransferEncoding)
        );
        assert_eq!(
            kind(
                &get,
                &head(
                    v11,
                    200,
                    &[("transfer-encoding", "chunked"), ("content-length", "1")]
                )
            ),
            fail(WireError::ConflictingFraming)
        );
        for bad in ["", "x", "1 2", "-1", "+1", "18446744073709551616", "1,2"] {
            assert_eq!(
                kind(&get, &head(v11, 200, &[("content-length", bad)])),
                fail(WireError::BadContentLength),
                "{bad:?}"
            );
        }
        assert_eq!(
            kind(
                &get,
                &head(
                    v11,
                    200,
                    &[("content-length", "7, 7"), ("content-length", "7")]
                )
            )
            .unwrap(),
            BodyKind::Length(7)
        );
    }

    #[test]
    fn keep_alive_rules() {
        let v11 = Version::HTTP_11;
        let get = Request::get("http://h/").body(()).unwrap();
        let done = |kind| BodyDecoder::new(kind, Limits::default());
        let h = head(v11, 200, &[("content-length", "0")]);
        assert!(keep_alive(&get, &h, &done(BodyKind::Length(0))));
        assert!(
            !keep_alive(&get, &h, &done(BodyKind::Length(1))),
            "body not read"
        );
        assert!(!keep_alive(&get, &h, &done(BodyKind::CloseDelimited)));
        let close = head(v11, 200, &[("connection", "close")]);
        assert!(!keep_alive(&get, &close, &done(BodyKind::Empty)));
        let req_close = Request::get("http://h/")
            .header("connection", "Close")
            .body(())
            .unwrap();
        assert!(!keep_alive(&req_close, &h, &done(BodyKind::Empty)));
        let h10 = head(Version::HTTP_10, 200, &[]);
        assert!(!keep_alive(&get, &h10, &done(BodyKind::Empty)));
        let h10ka = head(Version::HTTP_10, 200, &[("connection", "keep-alive")]);
        assert!(keep_alive(&get, &h10ka, &done(BodyKind::Empty)));
        assert!(!keep_alive(
            &get,
            &head(v11, 101, &[]),
            &done(BodyKind::Empty)
        ));
        let expect = Request::post("http://h/")
            .header("expect", "100-continue")
            .body(())
            .unwrap();
        assert!(keep_alive(&expect, &h, &done(BodyKind::Empty)));
        assert!(!keep_alive(
            &expect,
            &head(v11, 417, &[]),
            &done(BodyKind::Empty)
        ));
        let connect = Request::connect("h:443").body(()).unwrap();
        assert!(!keep_alive(
            &connect,
            &head(v11, 200, &[]),
            &done(BodyKind::Empty)
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let h = head(
            Version::HTTP_11,
            200,
            &[("set-cookie", "s=secret"), ("content-length", "3")],
        );
        let s = format!("{h:?}");
        assert!(
            !s.contains("secret") && s.contains("\"3\"") && s.contains("set-cookie"),
            "{s}"
        );
    }
}
