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

use base64::Engine as _;
use http::header::{CONNECTION, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use http::{HeaderName, HeaderValue, Method, Request};

use crate::endpoint::{Endpoint, HostKind};
use crate::error::{Error, Misuse};
use crate::header::checked_value;

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
