//! The token request (spec §1.2) and response (§1.3, §1.5) on every endpoint form.

use base64::Engine as _;
use proptest::prelude::*;
use speech_proto::auth::SubscriptionKey;
use speech_proto::token::{parse_token_response, token_request, MAX_TOKEN_BODY};
use speech_proto::{Endpoint, Error};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[test]
fn s1_2_request_shape() {
    let key = SubscriptionKey::new("0123456789abcdef0123456789abcdef").unwrap();
    for (endpoint, uri) in [
        (
            Endpoint::region("westus").unwrap(),
            "https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken",
        ),
        (
            Endpoint::custom_domain("my-resource").unwrap(),
            "https://my-resource.cognitiveservices.azure.com/sts/v1.0/issueToken",
        ),
        (
            Endpoint::us_government("usgovvirginia").unwrap(),
            "https://usgovvirginia.api.cognitive.microsoft.us/sts/v1.0/issueToken",
        ),
        (
            Endpoint::base_url("http://localhost:5000").unwrap(),
            "http://localhost:5000/sts/v1.0/issueToken",
        ),
    ] {
        let req = token_request(&endpoint, &key).unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.uri(), uri);
        let h = req.headers();
        assert_eq!(
            h["ocp-apim-subscription-key"],
            "0123456789abcdef0123456789abcdef"
        );
        assert!(h["ocp-apim-subscription-key"].is_sensitive());
        assert_eq!(h["content-length"], "0");
        assert_eq!(h["content-type"], "application/x-www-form-urlencoded");
        assert_eq!(h.len(), 3);
        // http's Debug of a sensitive value does not print it.
        assert!(!format!("{req:?}").contains("0123456789abcdef"));
    }
}

#[test]
fn token_request_refuses_insecure_remote_base() {
    let key = SubscriptionKey::new("k").unwrap();
    let err =
        token_request(&Endpoint::base_url("http://speech.example").unwrap(), &key).unwrap_err();
    assert!(matches!(
        err,
        Error::Misuse(speech_proto::Misuse::InsecureScheme { .. })
    ));
}

#[test]
fn s1_5_observed_token_shapes() {
    // 2025 STS token shape (C2): ES256 header, region/aud/exp claims.
    let header = r#"{"alg":"ES256","kid":"key1","typ":"JWT"}"#;
    let payload = r#"{"region":"global","subscription-id":"0123","product-id":"TextTranslator.S3","cognitive-services-endpoint":"https://api.cognitive.microsoft.com/internal/v1.0/","azure-resource-id":"/subscriptions/x","scope":"https://api.microsofttranslator.com/","aud":"urn:ms.microsofttranslator","exp":1746110762,"iss":"urn:ms.cognitiveservices"}"#;
    let jwt = format!("{}.{}.MEUCIQDx_sig-part", b64(header), b64(payload));
    let t = parse_token_response(format!("{jwt}\n").as_bytes()).unwrap();
    assert_eq!(t.expose_secret(), jwt);
    assert_eq!(t.expires_at_unix(), Some(1_746_110_762));
    assert_eq!(t.claims().region.as_deref(), Some("global"));
    assert_eq!(
        t.claims().audience.as_deref(),
        Some("urn:ms.microsofttranslator")
    );
    // 2017 Bing token shape (S13): HS256, no region, aud urn:ms.speech.
    let payload = r#"{"scope":"https://speech.platform.bing.com","iss":"urn:ms.cognitiveservices","aud":"urn:ms.speech","exp":1493429169}"#;
    let jwt = format!(
        "{}.{}.c2ln",
        b64(r#"{"typ":"JWT","alg":"HS256"}"#),
        b64(payload)
    );
    let t = parse_token_response(jwt.as_bytes()).unwrap();
    assert_eq!(t.expires_at_unix(), Some(1_493_429_169));
    assert_eq!(t.claims().region, None);
    assert_eq!(format!("{t:?}"), "Token(***)");
}

#[test]
fn s1_3_bodies_that_are_not_tokens() {
    for body in [
        &b""[..],
        b"\r\n",
        br#"{"error":{"code":"401","message":"Access denied"}}"#,
        b"<html><body>Error</body></html>",
        b"abc.def",
    ] {
        let err = parse_token_response(body).unwrap_err();
        match err {
            Error::MalformedResponse(m) => assert_eq!(m.what, "token response"),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        parse_token_response(&vec![b'a'; MAX_TOKEN_BODY + 1]),
        Err(Error::LimitExceeded {
            limit: MAX_TOKEN_BODY,
            ..
        })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_parse_without_panic(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(t) = parse_token_response(&body) {
            prop_assert_eq!(t.expose_secret().matches('.').count(), 2);
            prop_assert!(t.bearer_header_value().is_ok());
        }
    }

    #[test]
    fn any_jwt_with_json_header_parses(claims in proptest::collection::btree_map("[a-z]{1,8}", 0u64..u64::MAX, 0..6),
                                       sig in "[A-Za-z0-9_-]{0,40}") {
        let payload = serde_json::to_string(&claims).unwrap();
        let jwt = format!("{}.{}.{sig}", b64(r#"{"alg":"HS256"}"#), b64(&payload));
        let t = parse_token_response(jwt.as_bytes()).unwrap();
        prop_assert_eq!(t.expires_at_unix(), claims.get("exp").copied());
    }
}
