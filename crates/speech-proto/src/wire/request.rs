//! The request side: the head's bytes, its body framing, and `Expect: 100-continue`.

use http::header::{CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING};
use http::{Method, Request, Version};

use super::{fail, WireError};
use crate::error::Error;

/// How the body of a request is delimited, read from its own head by [`request_body`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestBody {
    /// No body: the head has neither `Content-Length` nor `Transfer-Encoding`. Send nothing after the head.
    Empty,
    /// `Content-Length: n`: send exactly `n` raw bytes after the head (zero means no body).
    Length(u64),
    /// `Transfer-Encoding: chunked`: send chunks ([`encode_chunk`](super::encode_chunk) or
    /// [`write_chunk`](super::write_chunk)), then [`LAST_CHUNK`](super::LAST_CHUNK).
    Chunked,
}

/// Append the HTTP/1.1 head of `request` to `out`: `METHOD origin-form HTTP/1.1\r\n`, a `Host` field from the
/// URI's authority (unless the request carries its own `Host`), every header of the request in the map's order,
/// then the blank line.
///
/// Call it once per request, before any body bytes; write all of `out` to the connection. The head is written
/// as given: the request must already carry its body framing (`Content-Length`, or `Transfer-Encoding:
/// chunked`), as the request builders of this crate do. [`request_body`] reads that framing back.
///
/// # Errors
///
/// [`WireError::InvalidRequestHead`] (and `out` is left as it was) when:
/// * the version is not HTTP/1.1, or the method is `CONNECT` (authority-form is not supported);
/// * the URI has no authority and the request no `Host` header, or the authority carries user info
///   (credentials belong in headers, not in a request line);
/// * the path or query contains a space or a control character, or a header name or value contains CR, LF or
///   NUL (none of these can come from a checked `http::Uri`/`HeaderValue`, but unchecked constructors exist);
/// * the framing headers are contradictory or invalid (see [`request_body`]).
pub fn write_request_head(request: &Request<()>, out: &mut Vec<u8>) -> Result<(), Error> {
    request_body(request)?;
    if request.version() != Version::HTTP_11 {
        return fail(WireError::InvalidRequestHead(
            "only HTTP/1.1 requests can be written",
        ));
    }
    if request.method() == Method::CONNECT {
        return fail(WireError::InvalidRequestHead(
            "CONNECT (authority-form) requests are not supported",
        ));
    }
    let uri = request.uri();
    let has_host = request.headers().contains_key(HOST);
    let host = match uri.authority() {
        Some(a) if a.as_str().contains('@') => {
            return fail(WireError::InvalidRequestHead(
                "the URI carries user info; send credentials in headers",
            ))
        }
        Some(a) => Some(a.as_str()),
        None if has_host => None,
        None => {
            return fail(WireError::InvalidRequestHead(
                "the URI has no authority and the request no Host header",
            ))
        }
    };
    let path = match uri.path() {
        "" => "/",
        p => p,
    };
    let query = uri.query();
    let target_ok = |s: &str| s.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !target_ok(path) || !query.is_none_or(target_ok) {
        return fail(WireError::InvalidRequestHead(
            "the request target contains a space or a control character",
        ));
    }
    for (name, value) in request.headers() {
        if !field_ok(name.as_str(), value.as_bytes()) {
            return fail(WireError::InvalidRequestHead(
                "a header name or value contains CR, LF, NUL or a separator",
            ));
        }
    }

    let method = request.method().as_str();
    let mut len = method.len() + path.len() + query.map_or(0, |q| q.len() + 1) + 13 + 2;
    if !has_host {
        len += host.map_or(0, |h| h.len() + 8);
    }
    for (name, value) in request.headers() {
        len += name.as_str().len() + value.len() + 4;
    }
    out.reserve(len);
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    if let Some(q) = query {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if let (false, Some(host)) = (has_host, host) {
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in request.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Whether a header field can be written as `name: value\r\n` without splitting the head: a non-empty name
/// without CR, LF, NUL, `:` or whitespace, and a value without CR, LF or NUL.
fn field_ok(name: &str, value: &[u8]) -> bool {
    let no_breaks = |b: &[u8]| !b.iter().any(|&c| matches!(c, b'\r' | b'\n' | 0));
    !name.is_empty()
        && no_breaks(name.as_bytes())
        && !name.contains([':', ' ', '\t'])
        && no_breaks(value)
}

/// How the body of `request` is delimited, from its head's `Content-Length` and `Transfer-Encoding`.
///
/// Call it after building the request, to know what to send after the head (see [`RequestBody`]).
///
/// # Errors
///
/// [`WireError::InvalidRequestHead`] when the head has both `Content-Length` and `Transfer-Encoding`, when
/// `Transfer-Encoding` is anything but `chunked` (this codec applies no other coding), or when the
/// `Content-Length` values are not one decimal number.
pub fn request_body(request: &Request<()>) -> Result<RequestBody, Error> {
    let headers = request.headers();
    let has_te = headers.contains_key(TRANSFER_ENCODING);
    let has_cl = headers.contains_key(CONTENT_LENGTH);
    if has_te && has_cl {
        return fail(WireError::InvalidRequestHead(
            "the request has both Content-Length and Transfer-Encoding",
        ));
    }
    if has_te {
        let mut codings = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.as_bytes().split(|&b| b == b','))
            .map(<[u8]>::trim_ascii);
        let only_chunked = codings
            .next()
            .is_some_and(|c| c.eq_ignore_ascii_case(b"chunked"))
            && codings.next().is_none();
        if !only_chunked {
            return fail(WireError::InvalidRequestHead(
                "the request's Transfer-Encoding is not exactly \"chunked\"",
            ));
        }
        return Ok(RequestBody::Chunked);
    }
    if has_cl {
        return match super::response::content_length(headers) {
            Some(n) => Ok(RequestBody::Length(n)),
            None => fail(WireError::InvalidRequestHead(
                "the request's Content-Length is not one decimal number",
            )),
        };
    }
    Ok(RequestBody::Empty)
}

/// Whether `request` carries `Expect: 100-continue`: then wait for the server's interim `100 Continue` (or a
/// timeout of the driver's choosing) before sending the body, and be ready for a final answer instead.
pub fn expects_continue(request: &Request<()>) -> bool {
    super::has_token(request.headers(), EXPECT, "100-continue")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn head(request: &Request<()>) -> Result<String, Error> {
        let mut out = b"prefix|".to_vec();
        write_request_head(request, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn invalid(request: &Request<()>) -> &'static str {
        let mut out = b"keep".to_vec();
        match write_request_head(request, &mut out) {
            Err(Error::Wire(WireError::InvalidRequestHead(why))) => {
                assert_eq!(out, b"keep", "out must be left as it was");
                why
            }
            other => panic!("expected InvalidRequestHead, got {other:?}"),
        }
    }

    #[test]
    fn byte_exact_heads() {
        let r = Request::get("http://127.0.0.1:5000").body(()).unwrap();
        assert_eq!(
            head(&r).unwrap(),
            "prefix|GET / HTTP/1.1\r\nhost: 127.0.0.1:5000\r\n\r\n"
        );

        let r = Request::post("https://[::1]:8443/sts/v1.0/issueToken?a=b&c=%20")
            .header("ocp-apim-subscription-key", "k")
            .header("content-length", "0")
            .body(())
            .unwrap();
        assert_eq!(
            head(&r).unwrap(),
            "prefix|POST /sts/v1.0/issueToken?a=b&c=%20 HTTP/1.1\r\nhost: [::1]:8443\r\n\
             ocp-apim-subscription-key: k\r\ncontent-length: 0\r\n\r\n"
        );

        // A Host header of the caller's wins, and keeps its place.
        let r = Request::get("http://a.example/x")
            .header("accept", "*/*")
            .header("host", "b.example")
            .header("accept", "text/plain")
            .body(())
            .unwrap();
        assert_eq!(
            head(&r).unwrap(),
            "prefix|GET /x HTTP/1.1\r\naccept: */*\r\naccept: text/plain\r\nhost: b.example\r\n\r\n"
        );

        // Origin-form URIs are fine with a Host header.
        let r = Request::get("/only/path?q")
            .header("host", "h")
            .body(())
            .unwrap();
        assert_eq!(
            head(&r).unwrap(),
            "prefix|GET /only/path?q HTTP/1.1\r\nhost: h\r\n\r\n"
        );
        // An empty query is kept.
        let r = Request::get("http://h/p?").body(()).unwrap();
        assert_eq!(
            head(&r).unwrap(),
            "prefix|GET /p? HTTP/1.1\r\nhost: h\r\n\r\n"
        );
    }

    #[test]
    fn refused_heads() {
        let r = Request::get("/no/authority").body(()).unwrap();
        assert!(invalid(&r).contains("no authority"));
        let r = Request::get("http://user:pw@h/").body(()).unwrap();
        let why = invalid(&r);
        assert!(why.contains("user info") && !why.contains("pw"));
        let r = Request::get("http://h/")
            .version(Version::HTTP_10)
            .body(())
            .unwrap();
        assert!(invalid(&r).contains("HTTP/1.1"));
        let r = Request::get("http://h/")
            .version(Version::HTTP_2)
            .body(())
            .unwrap();
        assert!(invalid(&r).contains("HTTP/1.1"));
        let r = Request::connect("http://h:443").body(()).unwrap();
        assert!(invalid(&r).contains("CONNECT"));
        let r = Request::post("http://h/")
            .header("content-length", "5")
            .header("transfer-encoding", "chunked")
            .body(())
            .unwrap();
        assert!(invalid(&r).contains("both"));
    }

    #[test]
    fn field_guard() {
        // `http` refuses these already; the guard is for values built with unchecked constructors.
        assert!(field_ok("x-a", b"v\tw \x80"));
        assert!(field_ok("x-a", b""));
        for (n, v) in [
            ("x-a", &b"a\r\nb: c"[..]),
            ("x-a", b"a\nb"),
            ("x-a", b"a\0"),
            ("", b"v"),
            ("x\r\ny", b"v"),
            ("x:y", b"v"),
            ("x y", b"v"),
        ] {
            assert!(!field_ok(n, v), "{n:?} {v:?}");
        }
    }

    #[test]
    fn body_framing() {
        let b = |pairs: &[(&str, &str)]| {
            let mut r = Request::post("http://h/");
            for (n, v) in pairs {
                r = r.header(*n, *v);
            }
            request_body(&r.body(()).unwrap())
        };
        assert_eq!(b(&[]).unwrap(), RequestBody::Empty);
        assert_eq!(
            b(&[("content-length", "42")]).unwrap(),
            RequestBody::Length(42)
        );
        assert_eq!(
            b(&[("content-length", "42"), ("content-length", "42")]).unwrap(),
            RequestBody::Length(42)
        );
        assert_eq!(
            b(&[("transfer-encoding", "Chunked")]).unwrap(),
            RequestBody::Chunked
        );
        for bad in [
            &[("content-length", "4x")][..],
            &[("content-length", "1"), ("content-length", "2")],
            &[("content-length", "")],
            &[("content-length", "-1")],
            &[("transfer-encoding", "gzip, chunked")],
            &[("transfer-encoding", "gzip")],
            &[("transfer-encoding", "chunked"), ("content-length", "1")],
        ] {
            assert!(
                matches!(b(bad), Err(Error::Wire(WireError::InvalidRequestHead(_)))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn expect_continue() {
        let r = Request::post("http://h/")
            .header("expect", "100-Continue")
            .body(())
            .unwrap();
        assert!(expects_continue(&r));
        let r = Request::post("http://h/").body(()).unwrap();
        assert!(!expects_continue(&r));
    }
}
