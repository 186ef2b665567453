//! Tunnels through HTTP proxies (`CONNECT`, RFC 9110 §9.3.6), for the connections an HTTP client library does not
//! open itself: the streaming recognition WebSocket.
//!
//! The driver opens TCP to the proxy, writes [`connect_request`], reads until [`read_connect_answer`] says the
//! answer is complete, and then speaks TLS and the WebSocket handshake to the service through the same connection,
//! as if it were connected to the service directly. A proxy that refuses is a typed [`TunnelError`] whose
//! [`failure`](TunnelError::failure) says whether another attempt can pass, and whose text says what to fix.
//!
//! ```
//! use speech_proto::proxy::{connect_request, read_connect_answer, ProxyCredentials};
//!
//! let request = connect_request("westus.stt.speech.microsoft.com", 443, None)?;
//! assert!(request.starts_with(b"CONNECT westus.stt.speech.microsoft.com:443 HTTP/1.1\r\n"));
//!
//! // The proxy's answer arrives in pieces; `None` means "read more".
//! let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
//! assert_eq!(read_connect_answer(&answer[..20])?, None);
//! assert_eq!(read_connect_answer(answer)?, Some(answer.len()));
//!
//! let refused = read_connect_answer(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
//! assert!(refused.is_err_and(|e| e.to_string().contains("user:password@")));
//! # let _ = ProxyCredentials::new("user", "secret");
//! # Ok::<(), speech_proto::proxy::TunnelError>(())
//! ```

use std::fmt;

use base64::Engine as _;

use crate::error::TransportFailure;

/// The longest proxy answer head read before giving up on it, in bytes.
pub const MAX_CONNECT_ANSWER: usize = 16 * 1024;

/// The most header lines a proxy's answer may have.
const MAX_HEADERS: usize = 64;

/// A user name and password for a proxy's `Basic` authentication. Neither appears in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyCredentials {
    user: String,
    password: String,
}

impl ProxyCredentials {
    /// Credentials as they appear in a proxy URL's `user:password@` (percent-encoding already decoded).
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        ProxyCredentials {
            user: user.into(),
            password: password.into(),
        }
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }
}

impl fmt::Debug for ProxyCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyCredentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Why no tunnel was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TunnelError {
    /// The target host cannot be written into a request line (empty, or with spaces or control characters), or
    /// the credentials hold a control character. Nothing was sent.
    InvalidTarget(String),
    /// The proxy answered with another status than 2xx.
    Refused {
        /// The proxy's status.
        status: u16,
        /// Its reason phrase (at most 200 characters, control characters removed).
        reason: String,
    },
    /// The answer is not an HTTP/1.x response head.
    Malformed(String),
    /// The answer head is longer than [`MAX_CONNECT_ANSWER`].
    TooLong,
}

impl TunnelError {
    /// The class of failure, for the retry decision: a proxy that cannot reach the service right now (502, 503,
    /// 504) or is throttling (429) → [`TransportFailure::Connect`] (another attempt may pass); anything else →
    /// [`TransportFailure::Permanent`].
    pub fn failure(&self) -> TransportFailure {
        match self {
            TunnelError::Refused {
                status: 429 | 502 | 503 | 504,
                ..
            } => TransportFailure::Connect,
            _ => TransportFailure::Permanent,
        }
    }
}

impl fmt::Display for TunnelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TunnelError::InvalidTarget(what) => write!(f, "cannot ask the proxy for a tunnel: {what}"),
            TunnelError::Refused { status: 407, reason } => write!(
                f,
                "the proxy wants credentials (407 {reason}): give them in the proxy URL, \
                 http://user:password@host:port"
            ),
            TunnelError::Refused { status, reason } if (500..600).contains(status) => write!(
                f,
                "the proxy could not open a tunnel to the service ({status} {reason}): check that the proxy \
                 reaches the internet, or exclude the service's host from the proxy with NO_PROXY"
            ),
            TunnelError::Refused { status, reason } => write!(
                f,
                "the proxy refused a tunnel to the service ({status} {reason}): the proxy must allow CONNECT to \
                 port 443 of the Speech host"
            ),
            TunnelError::Malformed(what) => {
                write!(f, "the proxy's answer to CONNECT is not HTTP: {what}")
            }
            TunnelError::TooLong => write!(
                f,
                "the proxy's answer to CONNECT is longer than {MAX_CONNECT_ANSWER} bytes"
            ),
        }
    }
}

impl std::error::Error for TunnelError {}

/// The request that asks an HTTP proxy for a tunnel to `host:port`, with `Proxy-Authorization: Basic` when
/// `credentials` are given. An IPv6 address is written in brackets.
pub fn connect_request(
    host: &str,
    port: u16,
    credentials: Option<&ProxyCredentials>,
) -> Result<Vec<u8>, TunnelError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.is_empty()
        || bare
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'/' || b >= 0x80)
    {
        return Err(TunnelError::InvalidTarget(format!(
            "the host {host:?} is not a host name or address"
        )));
    }
    let authority = if bare.contains(':') {
        format!("[{bare}]:{port}")
    } else {
        format!("{bare}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(c) = credentials {
        if c.user
            .chars()
            .chain(c.password.chars())
            .any(char::is_control)
            || c.user.contains(':')
        {
            // Not echoed: the password is a secret.
            return Err(TunnelError::InvalidTarget(
                "the proxy credentials hold a control character (or the user name a ':')"
                    .to_owned(),
            ));
        }
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.user, c.password));
        request.push_str("Proxy-Authorization: Basic ");
        request.push_str(&token);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    Ok(request.into_bytes())
}

/// Reads the proxy's answer to [`connect_request`] from the start of `received`:
/// - `Ok(None)`: the head is not complete yet; read more and call again with everything received;
/// - `Ok(Some(n))`: the proxy opened the tunnel (a 2xx status); its head is the first `n` bytes, and any bytes
///   after them already belong to the tunnel;
/// - `Err`: the proxy refused, or the answer is not HTTP, or its head is longer than [`MAX_CONNECT_ANSWER`].
pub fn read_connect_answer(received: &[u8]) -> Result<Option<usize>, TunnelError> {
    let window = &received[..received.len().min(MAX_CONNECT_ANSWER)];
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(window) {
        Ok(httparse::Status::Partial) if received.len() >= MAX_CONNECT_ANSWER => {
            Err(TunnelError::TooLong)
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(len)) => {
            let status = response.code.unwrap_or(0);
            if (200..300).contains(&status) {
                Ok(Some(len))
            } else {
                let reason: String = response
                    .reason
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                Err(TunnelError::Refused { status, reason })
            }
        }
        Err(httparse::Error::TooManyHeaders) => Err(TunnelError::Malformed(format!(
            "more than {MAX_HEADERS} header lines"
        ))),
        Err(e) => Err(TunnelError::Malformed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn requests() {
        let r = connect_request("westus.stt.speech.microsoft.com", 443, None);
        assert_eq!(
            r.as_deref().map(text),
            Ok("CONNECT westus.stt.speech.microsoft.com:443 HTTP/1.1\r\n\
                Host: westus.stt.speech.microsoft.com:443\r\n\r\n")
        );
        let r = connect_request("::1", 8443, None);
        assert_eq!(
            r.as_deref().map(text),
            Ok("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n")
        );
        let r = connect_request("[::1]", 80, None);
        assert!(r
            .as_deref()
            .map(text)
            .is_ok_and(|t| t.starts_with("CONNECT [::1]:80 ")));
        let alice = ProxyCredentials::new("alice", "open sesame");
        let r = connect_request("h.example", 443, Some(&alice));
        // base64("alice:open sesame")
        assert!(r.as_deref().map(text).is_ok_and(
            |t| t.contains("\r\nProxy-Authorization: Basic YWxpY2U6b3BlbiBzZXNhbWU=\r\n")
        ));
        assert!(!format!("{alice:?}").contains("sesame"));
    }

    #[test]
    fn hostile_targets_and_credentials_are_refused_before_anything_is_sent() {
        for host in ["", "a b", "h\r\nX-Evil: 1", "h/x", "h\u{0}", "hé"] {
            assert!(
                matches!(
                    connect_request(host, 443, None),
                    Err(TunnelError::InvalidTarget(_))
                ),
                "{host:?}"
            );
        }
        for (user, password) in [("a\r\nb", "s3cret"), ("a", "s3cret\n"), ("a:b", "s3cret")] {
            let err = connect_request("h", 1, Some(&ProxyCredentials::new(user, password)));
            assert!(
                matches!(err, Err(TunnelError::InvalidTarget(_))),
                "{user:?}"
            );
            let shown = err.map_or_else(|e| format!("{e} {e:?}"), |_| String::new());
            assert!(!shown.contains("s3cret"), "{shown}");
        }
    }

    #[test]
    fn answers() {
        let ok = b"HTTP/1.1 200 Connection established\r\nProxy-Agent: x\r\n\r\n\x16\x03";
        assert_eq!(read_connect_answer(ok), Ok(Some(ok.len() - 2)));
        assert_eq!(
            read_connect_answer(b"HTTP/1.0 200 OK\r\n\r\n"),
            Ok(Some(19))
        );
        for n in 0..ok.len() - 2 {
            assert_eq!(read_connect_answer(&ok[..n]), Ok(None), "{n}");
        }
        let refused = read_connect_answer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            refused,
            Err(TunnelError::Refused {
                status: 403,
                reason: "Forbidden".into()
            })
        );
        assert_eq!(
            refused.map_err(|e| e.failure()),
            Err(TransportFailure::Permanent)
        );
        let bad_gateway = read_connect_answer(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        assert_eq!(
            bad_gateway.as_ref().map_err(TunnelError::failure),
            Err(TransportFailure::Connect)
        );
        assert!(bad_gateway
            .map_err(|e| e.to_string())
            .is_err_and(|m| m.contains("NO_PROXY")));
        assert!(matches!(
            read_connect_answer(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"),
            Err(TunnelError::Malformed(_))
        ));
    }

    #[test]
    fn endless_or_hostile_answers_end_with_an_error() {
        let mut long = b"HTTP/1.1 200 OK\r\n".to_vec();
        while long.len() < MAX_CONNECT_ANSWER + 10 {
            long.extend_from_slice(b"X: y\r\n");
        }
        assert!(read_connect_answer(&long).is_err());
        let mut endless = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        endless.resize(MAX_CONNECT_ANSWER + 1, b'a');
        assert_eq!(read_connect_answer(&endless), Err(TunnelError::TooLong));
        let reason = read_connect_answer(b"HTTP/1.1 400 \x07bad\x1b[31m\r\n\r\n");
        assert!(reason.is_err());
        for bytes in [
            &b"\xff\xfe"[..],
            b"HTTP/1.1 2000 X\r\n\r\n",
            b"\r\n\r\n",
            b"HTTP/9",
        ] {
            let _ = read_connect_answer(bytes);
        }
    }
}
