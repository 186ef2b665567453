//! The token service (`issueToken`): the request, the response parser and the [`Token`] it yields.
//!
//! A subscription key is exchanged for a bearer token with `POST /sts/v1.0/issueToken`, an empty body,
//! `Content-Length: 0` (without it the service answers 411) and the key in `Ocp-Apim-Subscription-Key`. The `200`
//! answer is the token itself in compact JWT form, not JSON. The token is opaque: its claims are read when they
//! decode (`exp`, `region`, `aud`) and used only to plan a refresh, never required.
//!
//! Most callers do not use this module directly: [`TokenMachine`](crate::auth::TokenMachine) builds the request,
//! parses the answer and decides when to fetch.
//!
//! ```
//! use speech_proto::auth::SubscriptionKey;
//! use speech_proto::token::{parse_token_response, token_request};
//! use speech_proto::Endpoint;
//!
//! let endpoint = Endpoint::region("westus")?;
//! let request = token_request(&endpoint, &SubscriptionKey::new("0123456789abcdef")?)?;
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.uri(), "https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken");
//! assert_eq!(request.headers()["content-length"], "0");
//!
//! // {"alg":"HS256","typ":"JWT"} . {"exp":1700000600,"region":"westus"} . signature
//! let body = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDA2MDAsInJlZ2lvbiI6Indlc3R1cyJ9.c2ln\r\n";
//! let token = parse_token_response(body)?;
//! assert_eq!(token.expires_at_unix(), Some(1_700_000_600));
//! assert_eq!(token.claims().region.as_deref(), Some("westus"));
//! assert_eq!(format!("{token:?}"), "Token(***)");
//! # Ok::<(), speech_proto::Error>(())
//! ```

use std::fmt;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Method, Request};
use serde_json::Value;

use crate::auth::SubscriptionKey;
pub use crate::auth::SUBSCRIPTION_KEY_HEADER;
use crate::endpoint::Endpoint;
use crate::error::{Error, MalformedResponse};
use crate::header::checked_secret;

/// The largest token response body accepted (16 KiB). Real tokens are under 1 KiB.
pub const MAX_TOKEN_BODY: usize = 16 * 1024;

const WHAT: &str = "token response";

/// base64url, padding optional (JWTs have none, but tolerate it), trailing bits tolerated.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A bearer token from the token service. A secret: `Debug` prints `Token(***)`, and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    value: String,
    claims: TokenClaims,
}

/// The claims read from a token's payload, when it decodes. None of them is required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenClaims {
    /// `exp`: when the token expires, in seconds since the Unix epoch.
    pub exp: Option<u64>,
    /// `region`: the region the token was issued for.
    pub region: Option<String>,
    /// `aud`: the audience (e.g. `urn:ms.speechservices.westus`); the first one when the claim is a list.
    pub audience: Option<String>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    /// Parse a token from its compact JWT text (surrounding whitespace is trimmed). Same rules as
    /// [`parse_token_response`].
    pub fn from_jwt(jwt: &str) -> Result<Self, Error> {
        parse_token_response(jwt.as_bytes())
    }

    /// A token given by the caller's token source (an Entra access token): its claims are read when it is a
    /// JWT; `exp`, when given, is the expiry the source reported, which wins over the claim.
    pub(crate) fn opaque(value: &str, exp: Option<u64>) -> Token {
        let mut token = parse_token_response(value.as_bytes()).unwrap_or_else(|_| Token {
            value: value.to_owned(),
            claims: TokenClaims::default(),
        });
        if exp.is_some() {
            token.claims.exp = exp;
        }
        token
    }

    /// The token text, for callers that must place it themselves (e.g. a WebSocket library's own header
    /// API). Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        &self.value
    }

    /// The claims that could be read.
    pub fn claims(&self) -> &TokenClaims {
        &self.claims
    }

    /// Every claim of the token's payload, decoded, for display (e.g. `speech token --decode`); `None` when
    /// the payload does not decode to a JSON object. The service does not document its claims: do not make
    /// decisions on them beyond [`claims`](Self::claims).
    pub fn payload(&self) -> Option<serde_json::Map<String, Value>> {
        let payload = self.value.split('.').nth(1)?;
        match serde_json::from_slice::<Value>(&B64URL.decode(payload).ok()?).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The `exp` claim: when the token expires, in seconds since the Unix epoch.
    pub fn expires_at_unix(&self) -> Option<u64> {
        self.claims.exp
    }

    /// Whether the token can still be used at `now_unix_secs` (wall clock), by its `exp` claim: see
    /// [`TokenValidity`].
    pub fn validity(&self, now_unix_secs: u64) -> TokenValidity {
        match self.expires_at_unix() {
            Some(exp) if exp <= now_unix_secs => TokenValidity::Expired { exp },
            Some(exp) => TokenValidity::Valid { exp },
            None => TokenValidity::Unknown,
        }
    }

    /// Seconds from `now_unix_secs` until the `exp` claim: negative once it has passed; `None` without the claim.
    pub fn expires_in(&self, now_unix_secs: u64) -> Option<i64> {
        self.expires_at_unix()
            .map(|exp| seconds_until(exp, now_unix_secs))
    }

    /// The region named in the token's claims when it is not the region of `endpoint` (a token of one region is
    /// refused by another's hosts): `Some((claimed, endpoint_region))`. `None` when they agree, when the token
    /// claims the `global` region, or when either side names no region (custom domains, base URLs, tokens without
    /// the claim).
    pub fn region_mismatch<'a>(&'a self, endpoint: &'a Endpoint) -> Option<(&'a str, &'a str)> {
        let claimed = self.claims().region.as_deref()?;
        let (_, region) = endpoint.region_name()?;
        let agrees = claimed.eq_ignore_ascii_case(region) || claimed.eq_ignore_ascii_case("global");
        (!agrees).then_some((claimed, region))
    }

    /// The `Authorization` header value, `Bearer <token>`, marked sensitive.
    pub fn bearer_header_value(&self) -> Result<HeaderValue, Error> {
        checked_secret("Authorization", &format!("Bearer {}", self.value))
    }
}

/// Seconds from `now_unix_secs` until `exp_unix_secs` (negative once it has passed), saturating.
pub fn seconds_until(exp_unix_secs: u64, now_unix_secs: u64) -> i64 {
    let diff = i128::from(exp_unix_secs) - i128::from(now_unix_secs);
    i64::try_from(diff).unwrap_or(if diff < 0 { i64::MIN } else { i64::MAX })
}

/// Whether a token can be used now, by its `exp` claim (see [`Token::validity`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenValidity {
    /// `exp` has passed.
    Expired {
        /// The `exp` claim (Unix seconds).
        exp: u64,
    },
    /// `exp` is still ahead.
    Valid {
        /// The `exp` claim (Unix seconds).
        exp: u64,
    },
    /// The token carries no `exp` claim: it cannot be checked before use.
    Unknown,
}

/// The token request: `POST <token URI>` with `Ocp-Apim-Subscription-Key`, `Content-Length: 0` and
/// `Content-Type: application/x-www-form-urlencoded` (as Microsoft's samples send). The body is empty.
pub fn token_request(endpoint: &Endpoint, key: &SubscriptionKey) -> Result<Request<()>, Error> {
    let uri = endpoint.token_uri()?;
    Ok(build_token_request(uri, key.header_value().clone()))
}

/// Infallible assembly from validated parts (used by the token machine for every fetch).
pub(crate) fn build_token_request(uri: http::Uri, key: HeaderValue) -> Request<()> {
    let mut req = Request::new(());
    *req.method_mut() = Method::POST;
    *req.uri_mut() = uri;
    let h = req.headers_mut();
    h.insert(HeaderName::from_static(SUBSCRIPTION_KEY_HEADER), key);
    h.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    req
}

/// Parse the body of a `200` token answer.
///
/// The trimmed body must be a compact JWT: three base64url segments joined by two dots, with a non-empty
/// header segment that decodes to a JSON object and a non-empty payload segment. The payload's `exp`, `region` and
/// `aud` are read when it decodes to a JSON object; nothing else is required of it. The error never contains the
/// body (it may be a token).
///
/// # Errors
///
/// [`Error::LimitExceeded`] for a body over [`MAX_TOKEN_BODY`]; [`Error::MalformedResponse`] (`what` is
/// `"token response"`) for an empty or malformed body.
pub fn parse_token_response(body: &[u8]) -> Result<Token, Error> {
    if body.len() > MAX_TOKEN_BODY {
        return Err(Error::LimitExceeded {
            what: "token response body (bytes)",
            limit: MAX_TOKEN_BODY,
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| malformed("the body is not UTF-8 text; expected a JWT"))?;
    let jwt = text.trim();
    if jwt.is_empty() {
        return Err(malformed("the body is empty; expected a JWT"));
    }
    let segments: Vec<&str> = jwt.split('.').collect();
    if segments.len() != 3 {
        return Err(malformed(&format!(
            "expected a compact JWT (three base64url segments joined by two dots), found {} segment(s)",
            segments.len()
        )));
    }
    let is_b64url = |s: &str| {
        s.trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if let Some(i) = segments.iter().position(|s| !is_b64url(s)) {
        return Err(malformed(&format!(
            "JWT segment {} holds characters outside the base64url alphabet",
            i + 1
        )));
    }
    if segments[0].is_empty() || segments[1].is_empty() {
        return Err(malformed("the JWT header or payload segment is empty"));
    }
    let header = B64URL
        .decode(segments[0])
        .map_err(|_| malformed("the JWT header segment is not valid base64url"))?;
    match serde_json::from_slice::<Value>(&header) {
        Ok(Value::Object(_)) => {}
        _ => return Err(malformed("the JWT header does not decode to a JSON object")),
    }
    let claims = B64URL
        .decode(segments[1])
        .ok()
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .map(|v| read_claims(&v))
        .unwrap_or_default();
    Ok(Token {
        value: jwt.to_owned(),
        claims,
    })
}

fn read_claims(payload: &Value) -> TokenClaims {
    let Value::Object(map) = payload else {
        return TokenClaims::default();
    };
    let exp = match map.get("exp") {
        Some(Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        }),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let short_text = |v: &Value| match v {
        Value::String(s) if s.len() <= 256 => Some(s.clone()),
        _ => None,
    };
    let region = map.get("region").and_then(short_text);
    let audience = match map.get("aud") {
        Some(Value::Array(list)) => list.first().and_then(short_text),
        Some(v) => short_text(v),
        None => None,
    };
    TokenClaims {
        exp,
        region,
        audience,
    }
}

fn malformed(detail: &str) -> Error {
    MalformedResponse {
        what: WHAT,
        detail: detail.to_owned(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_holds_every_claim() {
        // {"alg":"HS256","typ":"JWT"} . {"exp":1700000600,"region":"westus"} . sig
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDA2MDAsInJlZ2lvbiI6Indlc3R1cyJ9.c2ln";
        let payload = Token::from_jwt(jwt).unwrap().payload().unwrap();
        assert_eq!(payload["exp"], 1_700_000_600);
        assert_eq!(payload["region"], "westus");
        // A payload that is JSON but not an object ("[]") is accepted as opaque, with no claims to show.
        let opaque = Token::from_jwt("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.W10.c2ln").unwrap();
        assert!(opaque.payload().is_none());
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            b64(r#"{"alg":"ES256","kid":"key1","typ":"JWT"}"#),
            b64(payload)
        )
    }

    #[test]
    fn claims_are_read_when_present() {
        let t = parse_token_response(
            jwt(r#"{"region":"westus","aud":"urn:ms.speechservices.westus","exp":1746110762.0}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(t.expires_at_unix(), Some(1_746_110_762));
        assert_eq!(t.claims().region.as_deref(), Some("westus"));
        assert_eq!(
            t.claims().audience.as_deref(),
            Some("urn:ms.speechservices.westus")
        );
    }

    #[test]
    fn claims_are_optional() {
        for payload in [
            "{}",
            "[1]",
            r#"{"exp":-5}"#,
            r#"{"exp":"soon"}"#,
            r#"{"aud":["a","b"]}"#,
        ] {
            let t = parse_token_response(jwt(payload).as_bytes()).unwrap();
            assert_eq!(t.expires_at_unix(), None, "{payload}");
        }
        // A payload that is not even JSON still yields a token: claims are never required.
        let t =
            parse_token_response(format!("{}.bm90LWpzb24.x", b64(r#"{"typ":"JWT"}"#)).as_bytes())
                .unwrap();
        assert_eq!(t.claims(), &TokenClaims::default());
        let t = parse_token_response(jwt(r#"{"exp":"1700000000","aud":["a","b"]}"#).as_bytes())
            .unwrap();
        assert_eq!(t.expires_at_unix(), Some(1_700_000_000));
        assert_eq!(t.claims().audience.as_deref(), Some("a"));
    }

    #[test]
    fn malformed_bodies_are_refused_without_echoing_them() {
        let secretish = format!("{}.{}", b64(r#"{"typ":"JWT"}"#), "SECRETPAYLOAD");
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"  \r\n".to_vec(),
            b"not a token".to_vec(),
            secretish.clone().into_bytes(),
            format!("{secretish}.a.b").into_bytes(),
            format!("{}.e30.sig", b64("not json")).into_bytes(),
            format!("{}.e30.sig", b64("[1,2]")).into_bytes(),
            b".e30.sig".to_vec(),
            format!("{}..sig", b64("{}")).into_bytes(),
            format!("{}.e3+0.sig", b64("{}")).into_bytes(),
            b"\xff\xfe.a.b".to_vec(),
            br#"{"error":{"code":"401"}}"#.to_vec(),
        ];
        for body in cases {
            let err = parse_token_response(&body).unwrap_err();
            let Error::MalformedResponse(m) = &err else {
                panic!("{body:?}: {err:?}");
            };
            assert_eq!(m.what, "token response");
            assert!(!format!("{err}{err:?}").contains("SECRETPAYLOAD"));
        }
    }

    #[test]
    fn oversized_body_is_refused() {
        let body = vec![b'a'; MAX_TOKEN_BODY + 1];
        assert_eq!(
            parse_token_response(&body),
            Err(Error::LimitExceeded {
                what: "token response body (bytes)",
                limit: MAX_TOKEN_BODY
            })
        );
    }

    #[test]
    fn bearer_value_is_sensitive() {
        let t = Token::from_jwt(&jwt("{}")).unwrap();
        let v = t.bearer_header_value().unwrap();
        assert!(v.is_sensitive());
        assert_eq!(v.to_str().unwrap(), format!("Bearer {}", t.expose_secret()));
    }
}
