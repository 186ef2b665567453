//! The WebSocket opening handshake request, for callers who bring their own WebSocket library.
//!
//! Only the request head is built here (RFC 6455 §4.1): `GET` on the speech host's WebSocket path with `Host`,
//! `Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13`, the caller's `Sec-WebSocket-Key`
//! (base64 of 16 random bytes: the core has no randomness) and `X-ConnectionId`. Add the auth header like on any
//! other request, with [`Auth::authorize`](crate::auth::Auth::authorize) (the host-family check applies to `wss://`
//! URIs too). The framing and the Speech WebSocket message protocol are out of scope.
//!
//! ```
//! use speech_proto::endpoint::HostKind;
//! use speech_proto::ws::{websocket_handshake, RECOGNITION_WEBSOCKET_PATH};
//! use speech_proto::Endpoint;
//!
//! let endpoint = Endpoint::region("westus")?;
//! let request = websocket_handshake(
//!     &endpoint,
//!     HostKind::SpeechToText,
//!     RECOGNITION_WEBSOCKET_PATH,
//!     &[("language", "en-US")],
//!     "dGhlIHNhbXBsZSBub25jZQ==",
//!     "0123456789abcdef0123456789abcdef",
//! )?;
//! assert_eq!(
//!     request.uri(),
//!     "wss://westus.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
//! );
//! assert_eq!(request.headers()["upgrade"], "websocket");
//! # Ok::<(), speech_proto::Error>(())
//! ```

use std::time::Instant;

use base64::Engine as _;
use http::header::{CONNECTION, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};

use crate::endpoint::{Endpoint, HostKind};
use crate::error::{Error, Misuse, NoAnswer};
use crate::header::checked_value;
use crate::stt::stream::frame::Timestamp;

pub use crate::endpoint::SYNTHESIS_WEBSOCKET_PATH;

/// The speech-to-text WebSocket path (conversation mode), on the `stt` host.
pub const RECOGNITION_WEBSOCKET_PATH: &str =
    "/speech/recognition/conversation/cognitiveservices/v1";

/// The header that names the connection; the SDK sends a GUID without dashes.
pub const CONNECTION_ID_HEADER: &str = "x-connectionid";

/// The longest connection id accepted.
const MAX_CONNECTION_ID: usize = 128;

/// Build the WebSocket handshake request for `path` on `host` of `endpoint`, with `query` appended.
///
/// The scheme is `wss`, or `ws` for a plain-`http` base URL (loopback, or with
/// [`Endpoint::allow_insecure_http`]).
///
/// # Errors
///
/// * [`Misuse::InvalidValue`] when `sec_websocket_key` is not the base64 encoding of 16 bytes, or for a bad path;
/// * [`Misuse::Missing`] / [`Misuse::InvalidHeaderValue`] for an empty, over-long or header-unsafe
///   `connection_id`;
/// * whatever [`Endpoint::websocket_uri`] refuses.
pub fn websocket_handshake(
    endpoint: &Endpoint,
    host: HostKind,
    path: &str,
    query: &[(&str, &str)],
    sec_websocket_key: &str,
    connection_id: &str,
) -> Result<Request<()>, Error> {
    let key_ok = sec_websocket_key.len() == 24
        && base64::engine::general_purpose::STANDARD
            .decode(sec_websocket_key)
            .is_ok_and(|k| k.len() == 16);
    if !key_ok {
        return Err(Misuse::InvalidValue {
            name: "Sec-WebSocket-Key",
            reason: "it must be the base64 encoding of 16 random bytes (24 characters)".to_owned(),
        }
        .into());
    }
    if connection_id.is_empty() {
        return Err(Misuse::Missing("X-ConnectionId").into());
    }
    if connection_id.len() > MAX_CONNECTION_ID {
        return Err(Misuse::InvalidValue {
            name: "X-ConnectionId",
            reason: format!("longer than {MAX_CONNECTION_ID} characters"),
        }
        .into());
    }
    let connection_id = checked_value("X-ConnectionId", connection_id)?;
    let key = checked_value("Sec-WebSocket-Key", sec_websocket_key)?;

    let mut req = Request::new(());
    *req.method_mut() = Method::GET;
    *req.uri_mut() = endpoint.websocket_uri(host, path, query)?;
    let authority = req
        .uri()
        .authority()
        .map(|a| HeaderValue::from_str(a.as_str()))
        .transpose()
        .map_err(|_| Misuse::InvalidValue {
            name: "host",
            reason: "the endpoint's host cannot go in a Host header".to_owned(),
        })?;
    let h = req.headers_mut();
    if let Some(authority) = authority {
        h.insert(http::header::HOST, authority);
    }
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    h.insert(SEC_WEBSOCKET_KEY, key);
    h.insert(HeaderName::from_static(CONNECTION_ID_HEADER), connection_id);
    Ok(req)
}

/// What the driver should do next.
#[derive(Debug)]
#[non_exhaustive]
pub enum Action {
    /// Open a WebSocket connection with this handshake request (authorize it first, e.g. with
    /// [`Auth::authorize`](crate::auth::Auth::authorize)), then report
    /// [`handle_connected`](Session::handle_connected) or
    /// [`handle_connect_failed`](Session::handle_connect_failed).
    Connect(Request<()>),
    /// The last handshake was refused with 401/403: drop the cached token, so that the next `Connect` is
    /// authorized with a fresh one.
    RefreshCredential,
    /// Send a text frame.
    SendText(String),
    /// Send a binary frame.
    SendBinary(Vec<u8>),
    /// Close the connection with this code and reason, then report
    /// [`handle_closed`](Session::handle_closed) (or not: the session has moved on).
    Close {
        /// The close code (1000).
        code: u16,
        /// The reason.
        reason: &'static str,
    },
}

/// Why a handshake did not give a WebSocket.
#[derive(Clone, Debug)]
pub enum ConnectFailure {
    /// The service answered with this status instead of `101`.
    Status {
        /// The status.
        status: StatusCode,
        /// Its headers.
        headers: HeaderMap,
        /// Its body (or the start of it).
        body: Vec<u8>,
    },
    /// No answer: the connection could not be made or broke.
    Transport(NoAnswer),
    /// No credential to connect with (the token could not be fetched): retried when the error says so.
    Credential(Error),
}

/// Ids from the driver's seed: unique per session (a counter), 32 upper-case hex digits, as the SDKs send.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    seed: u128,
    n: u64,
}

impl Ids {
    pub(crate) fn new(seed: u128) -> Self {
        Ids { seed, n: 0 }
    }

    pub(crate) fn next_raw(&mut self) -> u128 {
        self.n += 1;
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let hi = mix((self.seed >> 64) as u64 ^ self.n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let lo = mix(self.seed as u64 ^ self.n);
        (u128::from(hi) << 64) | u128::from(lo)
    }

    pub(crate) fn next_id(&mut self) -> String {
        format!("{:032X}", self.next_raw())
    }

    /// A `Sec-WebSocket-Key`: base64 of 16 bytes.
    pub(crate) fn next_key(&mut self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.next_raw().to_be_bytes())
    }
}

/// A sans-IO WebSocket session of the Speech protocol (streaming recognition, synthesis): what a driver needs
/// to run one. The driver owns the socket and the clock and loops: do what
/// [`poll_action`](Session::poll_action) says and report the outcome; read the socket until
/// [`poll_timeout`](Session::poll_timeout), handing each frame to [`handle_text`](Session::handle_text) or
/// [`handle_binary`](Session::handle_binary) and a close to [`handle_closed`](Session::handle_closed); call
/// [`handle_timeout`](Session::handle_timeout); drain [`poll_event`](Session::poll_event). `jitter` is a random
/// number in `0.0..1.0` for backoffs; `wall` the wall-clock time for `X-Timestamp`.
pub trait Session {
    /// What the session reports.
    type Event;
    /// What to do now.
    fn poll_action(&mut self, now: Instant, wall: Timestamp) -> Option<Action>;
    /// When to call [`handle_timeout`](Session::handle_timeout) at the latest.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Time has passed.
    fn handle_timeout(&mut self, now: Instant, jitter: f64);
    /// The handshake of the last [`Action::Connect`] succeeded.
    fn handle_connected(&mut self, now: Instant, wall: Timestamp);
    /// The handshake of the last [`Action::Connect`] failed.
    fn handle_connect_failed(&mut self, now: Instant, failure: ConnectFailure, jitter: f64);
    /// A text frame arrived.
    fn handle_text(&mut self, now: Instant, frame: &[u8], jitter: f64);
    /// A binary frame arrived.
    fn handle_binary(&mut self, now: Instant, frame: &[u8], jitter: f64);
    /// The connection closed: with the peer's `(code, reason)`, or without a close frame (it broke).
    fn handle_closed(&mut self, now: Instant, close: Option<(u16, String)>, jitter: f64);
    /// The next event, if any.
    fn poll_event(&mut self) -> Option<Self::Event>;
    /// Whether the session is over: nothing more will be asked of the driver.
    fn is_ended(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    #[test]
    fn synthesis_handshake_on_tts_host() {
        let ep = Endpoint::china("chinaeast2").unwrap();
        let req = websocket_handshake(
            &ep,
            HostKind::TextToSpeech,
            SYNTHESIS_WEBSOCKET_PATH,
            &[],
            KEY,
            "abc",
        )
        .unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(
            req.uri(),
            "wss://chinaeast2.tts.speech.azure.cn/cognitiveservices/websocket/v1"
        );
        let h = req.headers();
        assert_eq!(h["connection"], "Upgrade");
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["sec-websocket-version"], "13");
        assert_eq!(h["sec-websocket-key"], KEY);
        assert_eq!(h["x-connectionid"], "abc");
        assert_eq!(h["host"], "chinaeast2.tts.speech.azure.cn");
        assert_eq!(h.len(), 6);
    }

    #[test]
    fn custom_domain_and_loopback_schemes() {
        let ep = Endpoint::custom_domain("my-res").unwrap();
        let req = websocket_handshake(
            &ep,
            HostKind::SpeechToText,
            RECOGNITION_WEBSOCKET_PATH,
            &[],
            KEY,
            "c",
        )
        .unwrap();
        assert_eq!(
            req.uri(),
            "wss://my-res.cognitiveservices.azure.com/stt/speech/recognition/conversation/cognitiveservices/v1"
        );
        let ep = Endpoint::base_url("http://localhost:5000").unwrap();
        let req = websocket_handshake(
            &ep,
            HostKind::TextToSpeech,
            SYNTHESIS_WEBSOCKET_PATH,
            &[],
            KEY,
            "c",
        )
        .unwrap();
        assert_eq!(
            req.uri(),
            "ws://localhost:5000/cognitiveservices/websocket/v1"
        );
        let ep = Endpoint::base_url("https://container.example:8443").unwrap();
        let req = websocket_handshake(
            &ep,
            HostKind::TextToSpeech,
            SYNTHESIS_WEBSOCKET_PATH,
            &[],
            KEY,
            "c",
        )
        .unwrap();
        assert_eq!(
            req.uri(),
            "wss://container.example:8443/cognitiveservices/websocket/v1"
        );
        let ep = Endpoint::base_url("http://10.0.0.5:5000").unwrap();
        assert!(matches!(
            websocket_handshake(
                &ep,
                HostKind::TextToSpeech,
                SYNTHESIS_WEBSOCKET_PATH,
                &[],
                KEY,
                "c"
            ),
            Err(Error::Misuse(Misuse::InsecureScheme { .. }))
        ));
        let ep = ep.allow_insecure_http(true);
        let req = websocket_handshake(
            &ep,
            HostKind::TextToSpeech,
            SYNTHESIS_WEBSOCKET_PATH,
            &[],
            KEY,
            "c",
        )
        .unwrap();
        assert_eq!(
            req.uri(),
            "ws://10.0.0.5:5000/cognitiveservices/websocket/v1"
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        let ep = Endpoint::region("westus").unwrap();
        let hs = |key: &str, id: &str| {
            websocket_handshake(
                &ep,
                HostKind::TextToSpeech,
                SYNTHESIS_WEBSOCKET_PATH,
                &[],
                key,
                id,
            )
        };
        for key in [
            "",
            "short",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZXg=",
            "dGhlIHNhbXBsZSBub25j\r\n==",
        ] {
            assert!(
                matches!(
                    hs(key, "c"),
                    Err(Error::Misuse(Misuse::InvalidValue { .. }))
                ),
                "{key:?}"
            );
        }
        assert!(matches!(
            hs(KEY, ""),
            Err(Error::Misuse(Misuse::Missing(_)))
        ));
        assert!(matches!(
            hs(KEY, "a\r\nb"),
            Err(Error::Misuse(Misuse::InvalidHeaderValue { .. }))
        ));
        assert!(matches!(
            hs(KEY, &"a".repeat(129)),
            Err(Error::Misuse(Misuse::InvalidValue { .. }))
        ));
    }
}
