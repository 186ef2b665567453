//! Credentials: subscription keys, the tokens this emulator issues, and Entra (`aad#…`) bearers.
//!
//! Order of checks on the speech endpoints:
//! 1. `Ocp-Apim-Subscription-Key` present → it must be one of the emulator's keys (else 401). A valid key
//!    wins even when an `Authorization` header is present as well.
//! 2. `Authorization` present → it must be `Bearer <token>` where the token is either a JWT issued by this
//!    emulator (HMAC-SHA256 with a secret drawn at start; expired → 401) or, when an Entra resource id is
//!    configured, `aad#<that resource id>#<any non-empty token>` (resource id compared case-insensitively).
//! 3. Neither → 403 (spec §2.11: "key or token missing").
//!
//! Bodies: the token service's JSON shape `{"error":{"code":"401","message":"…"}}` (observed on the STS,
//! spec §1.6). The bodies of 401/403 on the speech hosts are not documented; the emulator uses the same
//! shape, with `code` `"401"` or `"403"`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

/// The message of the observed STS 401 body.
pub(crate) const INVALID_KEY: &str = "Access denied due to invalid subscription key or wrong API endpoint. \
Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";
const MISSING_KEY: &str = "Access denied due to missing subscription key. \
Make sure to include subscription key when making requests to an API.";
const MISSING_CREDENTIALS: &str =
    "Access denied due to missing subscription key or authorization token. \
Send Ocp-Apim-Subscription-Key or Authorization: Bearer.";
const INVALID_TOKEN: &str =
    "Access denied due to invalid authorization token or wrong API endpoint. \
Make sure to use a token issued for this resource.";
const EXPIRED_TOKEN: &str = "Access denied due to an expired authorization token. \
Tokens are valid for 10 minutes: fetch a new one from the token service.";
const INVALID_ENTRA: &str = "Access denied due to an invalid Microsoft Entra token or resource id.";
const EXPIRED_ENTRA: &str = "Access denied due to an expired Microsoft Entra token: get a new one.";
const WRONG_AUDIENCE_ENTRA: &str =
    "Access denied: the Microsoft Entra token is not for Cognitive Services \
(its audience must be https://cognitiveservices.azure.com: ask for the scope \
https://cognitiveservices.azure.com/.default), or its identity lacks a Speech role on the resource \
(Cognitive Services Speech User or Cognitive Services Speech Contributor).";

/// The issuer of the emulator's test Entra tokens (`EmulatorHandle::entra_token_url`).
pub(crate) const ENTRA_ISSUER: &str =
    "https://login.emulator.invalid/00000000-0000-0000-0000-000000000000/v2.0";
/// The audience Speech takes.
pub(crate) const COGNITIVE_SERVICES_AUDIENCE: &str = "https://cognitiveservices.azure.com";
const FAST_CREDENTIALS: &str = "Access denied: fast transcription takes the resource key \
(Ocp-Apim-Subscription-Key) or a Microsoft Entra token (Authorization: Bearer <token>).";

/// The gateway-style JSON error answer.
pub(crate) fn error_json(status: StatusCode, message: &str) -> Response {
    let body =
        serde_json::json!({"error": {"code": status.as_str(), "message": message}}).to_string();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A refused credential: the status (401 or 403) and the message of the JSON body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Denied {
    pub(crate) status: StatusCode,
    pub(crate) message: &'static str,
}

impl Denied {
    fn new(status: StatusCode, message: &'static str) -> Self {
        Self { status, message }
    }
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        error_json(self.status, self.message)
    }
}

/// Keys, the signing secret and the accepted Entra resource.
pub(crate) struct Authority {
    keys: Vec<String>,
    secret: [u8; 32],
    region: String,
    token_lifetime: Duration,
    entra_resource_id: Option<String>,
}

/// The credential a request presents.
enum Presented<'h> {
    /// A key this emulator accepts.
    Key,
    /// `Authorization: Bearer <token>`.
    Bearer(&'h str),
    /// An `Authorization` header of another scheme.
    Other,
}

/// Why a bearer JWT was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenError {
    Invalid,
    Expired,
    /// An Entra token for another audience (another scope).
    WrongAudience,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Compare without an early exit on the first differing byte.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Authority {
    pub(crate) fn new(
        keys: Vec<String>,
        secret: [u8; 32],
        region: String,
        token_lifetime: Duration,
        entra_resource_id: Option<String>,
    ) -> Self {
        Self {
            keys,
            secret,
            region,
            token_lifetime,
            entra_resource_id,
        }
    }

    pub(crate) fn is_key(&self, candidate: &[u8]) -> bool {
        // Check every key so that the time taken does not depend on which one matched.
        self.keys
            .iter()
            .fold(false, |found, key| ct_eq(key.as_bytes(), candidate) | found)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // ok: HMAC accepts keys of any length, so new_from_slice cannot fail.
        Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length")
    }

    /// Issue a token for `key` (already checked), valid for the configured lifetime from now.
    pub(crate) fn mint(&self, key: &[u8]) -> String {
        let exp = unix_now().saturating_add(self.token_lifetime.as_secs());
        let digest = Sha256::digest(key);
        let subscription: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let mut jti = [0u8; 8];
        // A token id only makes tokens distinct; on the (never seen) failure of the OS RNG it stays zero.
        let _ = getrandom::fill(&mut jti);
        let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "region": self.region,
            "subscription-id": subscription,
            "product-id": "SpeechServices.S0",
            "cognitive-services-endpoint": "https://api.cognitive.microsoft.com/internal/v1.0/",
            "azure-resource-id": "",
            "scope": "speechservices",
            "aud": format!("urn:ms.speechservices.{}", self.region),
            "iss": "urn:ms.cognitiveservices",
            "exp": exp,
            "jti": jti,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Issue a test Entra access token for `scope` (e.g. `https://cognitiveservices.azure.com/.default`), valid
    /// for `lifetime`: a JWT with the scope's resource as `aud`, signed by this emulator. Returns it with its
    /// `exp`.
    pub(crate) fn mint_entra(&self, scope: &str, lifetime: Duration) -> (String, u64) {
        let now = unix_now();
        let exp = now.saturating_add(lifetime.as_secs().max(1));
        let audience = scope.trim_end_matches("/.default");
        let mut jti = [0u8; 8];
        let _ = getrandom::fill(&mut jti);
        let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": ENTRA_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "oid": "11111111-1111-1111-1111-111111111111",
            "tid": "00000000-0000-0000-0000-000000000000",
            "uti": jti,
        });
        (self.sign(&claims), exp)
    }

    /// A compact JWT of `claims`, signed with HS256 and this emulator's secret.
    fn sign(&self, claims: &serde_json::Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Check an Entra token: a JWT must be one this emulator issued, unexpired and for Cognitive Services. A
    /// token that is not a JWT (no JSON header) is taken as it is: tests that need no lifecycle pass any
    /// string.
    pub(crate) fn verify_entra(&self, token: &str) -> Result<(), TokenError> {
        let is_jwt = token.split('.').count() == 3
            && token
                .split('.')
                .next()
                .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
                .is_some_and(|h| serde_json::from_slice::<serde_json::Value>(&h).is_ok());
        if !is_jwt {
            return Ok(());
        }
        let claims = self.claims(token)?;
        if claims.get("iss").and_then(serde_json::Value::as_str) != Some(ENTRA_ISSUER) {
            return Err(TokenError::Invalid);
        }
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_u64)
            .ok_or(TokenError::Invalid)?;
        if unix_now() >= exp {
            return Err(TokenError::Expired);
        }
        if claims.get("aud").and_then(serde_json::Value::as_str)
            != Some(COGNITIVE_SERVICES_AUDIENCE)
        {
            return Err(TokenError::WrongAudience);
        }
        Ok(())
    }

    /// The claims of a JWT signed with this emulator's secret.
    fn claims(&self, token: &str) -> Result<serde_json::Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Invalid)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Invalid)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Invalid)?;
        serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid)
    }

    /// Check a JWT issued by [`Self::mint`] (an Entra test token is not one).
    pub(crate) fn verify(&self, token: &str) -> Result<(), TokenError> {
        let claims = self.claims(token)?;
        if claims.get("iss").and_then(serde_json::Value::as_str) != Some("urn:ms.cognitiveservices")
        {
            return Err(TokenError::Invalid);
        }
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_u64)
            .ok_or(TokenError::Invalid)?;
        if unix_now() >= exp {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    fn check_entra(&self, value: &str) -> Result<(), Denied> {
        let invalid = Denied::new(StatusCode::UNAUTHORIZED, INVALID_ENTRA);
        let Some(expected) = &self.entra_resource_id else {
            return Err(invalid);
        };
        let Some((resource, token)) = value
            .strip_prefix("aad#")
            .and_then(|rest| rest.split_once('#'))
        else {
            return Err(invalid);
        };
        if !resource.eq_ignore_ascii_case(expected) || token.trim().is_empty() {
            return Err(invalid);
        }
        self.entra_token(token)
    }

    /// The checks of an Entra access token itself (see [`Self::verify_entra`]), as answers.
    fn entra_token(&self, token: &str) -> Result<(), Denied> {
        match self.verify_entra(token) {
            Ok(()) => Ok(()),
            Err(TokenError::Expired) => Err(Denied::new(StatusCode::UNAUTHORIZED, EXPIRED_ENTRA)),
            Err(TokenError::WrongAudience) => {
                Err(Denied::new(StatusCode::UNAUTHORIZED, WRONG_AUDIENCE_ENTRA))
            }
            Err(TokenError::Invalid) => Err(Denied::new(StatusCode::UNAUTHORIZED, INVALID_ENTRA)),
        }
    }

    /// The credential a request presents, the key already checked: the answer for a wrong key or none.
    fn presented<'h>(&self, headers: &'h HeaderMap) -> Result<Presented<'h>, Denied> {
        if let Some(key) = headers.get("ocp-apim-subscription-key") {
            return if self.is_key(key.as_bytes()) {
                Ok(Presented::Key)
            } else {
                Err(Denied::new(StatusCode::UNAUTHORIZED, INVALID_KEY))
            };
        }
        let Some(authorization) = headers.get(header::AUTHORIZATION) else {
            return Err(Denied::new(StatusCode::FORBIDDEN, MISSING_CREDENTIALS));
        };
        Ok(authorization
            .to_str()
            .unwrap_or("")
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map_or(Presented::Other, |(_, token)| {
                Presented::Bearer(token.trim())
            }))
    }

    /// Check the credentials of a request to a speech endpoint (STT, TTS, voices).
    pub(crate) fn check_speech(&self, headers: &HeaderMap) -> Result<(), Denied> {
        let token = match self.presented(headers)? {
            Presented::Key => return Ok(()),
            Presented::Other => return Err(Denied::new(StatusCode::UNAUTHORIZED, INVALID_TOKEN)),
            Presented::Bearer(token) => token,
        };
        if token.starts_with("aad#") {
            return self.check_entra(token);
        }
        match self.verify(token) {
            Ok(()) => Ok(()),
            Err(TokenError::Expired) => Err(Denied::new(StatusCode::UNAUTHORIZED, EXPIRED_TOKEN)),
            Err(TokenError::Invalid | TokenError::WrongAudience) => {
                Err(Denied::new(StatusCode::UNAUTHORIZED, INVALID_TOKEN))
            }
        }
    }

    /// Check the credentials of a fast-transcription request: the key, or a plain Entra bearer
    /// (`Bearer <token>`, not `aad#…`) when an Entra resource id is configured. A token issued by the token
    /// service is refused: the service does not document taking one there.
    pub(crate) fn check_fast(&self, headers: &HeaderMap) -> Result<(), Denied> {
        let token = match self.presented(headers)? {
            Presented::Key => return Ok(()),
            Presented::Other => "",
            Presented::Bearer(token) => token,
        };
        let entra = self.entra_resource_id.is_some()
            && !token.is_empty()
            && !token.starts_with("aad#")
            && self.verify(token).is_err();
        if entra {
            self.entra_token(token)
        } else {
            Err(Denied::new(StatusCode::UNAUTHORIZED, FAST_CREDENTIALS))
        }
    }

    /// Check the credentials of a token request: only a subscription key is accepted. Returns the key.
    pub(crate) fn check_sts<'h>(&self, headers: &'h HeaderMap) -> Result<&'h [u8], Denied> {
        match headers.get("ocp-apim-subscription-key") {
            None => Err(Denied::new(StatusCode::UNAUTHORIZED, MISSING_KEY)),
            Some(key) if self.is_key(key.as_bytes()) => Ok(key.as_bytes()),
            Some(_) => Err(Denied::new(StatusCode::UNAUTHORIZED, INVALID_KEY)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(lifetime: u64) -> Authority {
        Authority::new(
            vec!["k1".into(), "k2".into()],
            [7; 32],
            "westus".into(),
            Duration::from_secs(lifetime),
            Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a".into()),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                *name,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        map
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let a = authority(600);
        // A key long enough that it cannot turn up in the token's random parts by chance ("k1" did, in about
        // one run in twenty).
        let key = "k1-a-distinctive-subscription-key-0123456789";
        let token = a.mint(key.as_bytes());
        assert_eq!(token.matches('.').count(), 2);
        assert_eq!(a.verify(&token), Ok(()));
        let payload = token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .unwrap_or_default();
        let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
        assert_eq!(claims["region"], "westus");
        assert_eq!(claims["aud"], "urn:ms.speechservices.westus");
        assert!(claims["exp"].as_u64().unwrap_or(0) >= unix_now() + 599);
        assert!(!token.contains(key));

        let expired = authority(0).mint(b"k1");
        assert_eq!(a.verify(&expired), Err(TokenError::Expired));

        let other = Authority::new(
            vec!["k1".into()],
            [8; 32],
            "westus".into(),
            Duration::from_secs(600),
            None,
        );
        assert_eq!(a.verify(&other.mint(b"k1")), Err(TokenError::Invalid));
        assert_eq!(a.verify("a.b"), Err(TokenError::Invalid));
        assert_eq!(a.verify("a.b.c.d"), Err(TokenError::Invalid));
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 3, 'A');
        assert_eq!(a.verify(&tampered), Err(TokenError::Invalid));
    }

    #[test]
    fn speech_auth_order() {
        let a = authority(600);
        let status = |h: &HeaderMap| a.check_speech(h).err().map(|d| d.status);
        assert_eq!(
            status(&headers(&[("ocp-apim-subscription-key", "k2")])),
            None
        );
        assert_eq!(
            status(&headers(&[("ocp-apim-subscription-key", "nope")])),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(status(&headers(&[])), Some(StatusCode::FORBIDDEN));
        let token = a.mint(b"k1");
        assert_eq!(
            status(&headers(&[("authorization", &format!("Bearer {token}"))])),
            None
        );
        assert_eq!(
            status(&headers(&[("authorization", &format!("bearer {token}"))])),
            None
        );
        assert_eq!(
            status(&headers(&[("authorization", &format!("Basic {token}"))])),
            Some(StatusCode::UNAUTHORIZED)
        );
        let aad = "Bearer aad#/SUBSCRIPTIONS/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a#eyJ0";
        assert_eq!(status(&headers(&[("authorization", aad)])), None);
        let wrong = "Bearer aad#/subscriptions/x#eyJ0";
        assert_eq!(
            status(&headers(&[("authorization", wrong)])),
            Some(StatusCode::UNAUTHORIZED)
        );
        let empty = "Bearer aad#/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a#";
        assert_eq!(
            status(&headers(&[("authorization", empty)])),
            Some(StatusCode::UNAUTHORIZED)
        );
        // A valid key wins over a bad bearer.
        assert_eq!(
            status(&headers(&[
                ("ocp-apim-subscription-key", "k1"),
                ("authorization", "Bearer junk")
            ])),
            None
        );
    }

    #[test]
    fn sts_takes_keys_only() {
        let a = authority(600);
        assert!(a
            .check_sts(&headers(&[("ocp-apim-subscription-key", "k1")]))
            .is_ok());
        assert!(a
            .check_sts(&headers(&[("ocp-apim-subscription-key", "k3")]))
            .is_err());
        assert!(a
            .check_sts(&headers(&[("authorization", "Bearer x")]))
            .is_err());
        assert!(!a.is_key(b"k"));
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd") && !ct_eq(b"ab", b"abc"));
    }
}
