//! Every error example of the protocol spec (§1.6, §2.11, §3.5) through `parse_error_response`, plus the
//! classification (`is_retryable`, `hint`) and the Display texts.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use speech_proto::error::{MAX_ERROR_BODY, MAX_ERROR_MESSAGE_CHARS};
use speech_proto::{parse_error_response, Error, Misuse, RetryAfter, Service, ServiceError};

fn parse(service: Service, status: u16, headers: &[(&str, &str)], body: &[u8]) -> ServiceError {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    match parse_error_response(service, StatusCode::from_u16(status).unwrap(), &map, body) {
        Error::Service(e) => *e,
        other => panic!("not a service error: {other:?}"),
    }
}

const STS_401: &str = r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#;

#[test]
fn s1_6_token_service_401_json() {
    let e = parse(
        Service::Token,
        401,
        &[("apim-request-id", "6f0c7c1e-1a2b")],
        STS_401.as_bytes(),
    );
    assert_eq!(e.status, StatusCode::UNAUTHORIZED);
    assert_eq!(e.code.as_deref(), Some("401"));
    assert!(e
        .message
        .as_deref()
        .unwrap()
        .starts_with("Access denied due to invalid subscription key"));
    assert_eq!(e.request_id.as_deref(), Some("6f0c7c1e-1a2b"));
    assert!(!e.is_retryable());
    let hint = e.hint().unwrap();
    assert!(hint.causes.iter().any(|c| c.contains("another region")));
    let text = e.to_string();
    assert!(
        text.contains("token service answered 401 Unauthorized"),
        "{text}"
    );
    assert!(text.contains("Access denied"), "{text}");
    assert!(text.contains("request id 6f0c7c1e-1a2b"), "{text}");
    assert!(text.contains("Fix:"), "{text}");
}

#[test]
fn s1_6_code_as_number_is_accepted() {
    let e = parse(
        Service::Token,
        401,
        &[],
        br#"{"error":{"code":401,"message":"Access denied"}}"#,
    );
    assert_eq!(e.code.as_deref(), Some("401"));
    assert_eq!(e.message.as_deref(), Some("Access denied"));
}

#[test]
fn s1_6_apim_quota_403() {
    let body = br#"{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 01:02:03."}"#;
    let e = parse(Service::Token, 403, &[], body);
    assert_eq!(e.code.as_deref(), Some("403"));
    assert_eq!(
        e.message.as_deref(),
        Some("Out of call volume quota. Quota will be replenished in 01:02:03.")
    );
    assert!(!e.is_retryable());
    assert!(e.hint().unwrap().causes.iter().any(|c| c.contains("quota")));
}

#[test]
fn s1_6_411_html_page() {
    let body = b"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Length Required</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Length Required</h2>\r\n<hr><p>HTTP Error 411. The request must be chunked or have a content length.</p>\r\n</BODY></HTML>\r\n";
    let e = parse(Service::Token, 411, &[], body);
    assert_eq!(e.code, None);
    assert_eq!(
        e.message.as_deref(),
        Some("Length Required Length Required HTTP Error 411. The request must be chunked or have a content length.")
    );
    assert!(e.hint().unwrap().fix.contains("Content-Length: 0"));
    assert!(!e.is_retryable());
}

#[test]
fn s2_11_missing_language_400() {
    let e = parse(
        Service::Recognition,
        400,
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("server", "Kestrel"),
        ],
        br#"{"Message": "Invalid CID or language"}"#,
    );
    assert_eq!(e.message.as_deref(), Some("Invalid CID or language"));
    assert_eq!(e.code, None);
    let hint = e.hint().unwrap();
    assert!(hint.causes[0].contains("language"));
    assert!(hint
        .fix
        .contains("audio/wav; codecs=audio/pcm; samplerate=16000"));
}

#[test]
fn s2_11_unsupported_audio_format() {
    let e = parse(
        Service::Recognition,
        400,
        &[],
        br#"{"Message":"Unsupported audio format"}"#,
    );
    assert_eq!(e.message.as_deref(), Some("Unsupported audio format"));
    assert!(e
        .hint()
        .unwrap()
        .causes
        .iter()
        .any(|c| c.contains("raw audio")));
    let e = parse(
        Service::Recognition,
        400,
        &[],
        br#"{"message":"lower case too"}"#,
    );
    assert_eq!(e.message.as_deref(), Some("lower case too"));
}

#[test]
fn s2_11_statuses_and_empty_bodies() {
    for (status, retryable) in [
        (401, false),
        (403, false),
        (408, true),
        (415, false),
        (429, true),
        (502, true),
    ] {
        let e = parse(Service::Recognition, status, &[], b"");
        assert_eq!(e.message, None, "{status}");
        assert_eq!(e.is_retryable(), retryable, "{status}");
        assert!(e.hint().is_some(), "{status}");
        assert!(e.to_string().contains("(empty body)"), "{}", e);
    }
    assert!(parse(Service::Recognition, 408, &[], b"")
        .hint()
        .unwrap()
        .causes[0]
        .contains("no audio"));
    assert!(parse(Service::Recognition, 415, &[], b"")
        .hint()
        .unwrap()
        .fix
        .contains("audio/wav"));
}

#[test]
fn s3_5_synthesis_errors() {
    // I8: 400 with an empty body for an unknown voice.
    let e = parse(Service::Synthesis, 400, &[], b"");
    assert_eq!(e.message, None);
    let hint = e.hint().unwrap();
    assert!(hint.causes.iter().any(|c| c.contains("voice")));
    assert!(hint.causes.iter().any(|c| c.contains("User-Agent")));
    // I14: invalid SSML structure as a plain-text 500.
    let body = b"Node [speak] with type [RootSpeak] should not contain node [prosody] with type [Prosody]\n";
    let e = parse(Service::Synthesis, 500, &[], body);
    assert_eq!(
        e.message.as_deref(),
        Some("Node [speak] with type [RootSpeak] should not contain node [prosody] with type [Prosody]")
    );
    assert!(e.is_retryable());
    assert!(e.hint().unwrap().causes[0].contains("SSML"));
    // 415: wrong Content-Type.
    assert!(parse(Service::Synthesis, 415, &[], b"")
        .hint()
        .unwrap()
        .fix
        .contains("application/ssml+xml"));
    // 413 (historic), 429, 502, 503.
    assert!(!parse(Service::Synthesis, 413, &[], b"").is_retryable());
    for s in [429, 502, 503] {
        assert!(parse(Service::Synthesis, s, &[], b"").is_retryable(), "{s}");
    }
}

#[test]
fn request_id_headers_in_order() {
    let e = parse(
        Service::Voices,
        500,
        &[
            ("x-request-id", "c"),
            ("apim-request-id", "b"),
            ("X-RequestId", "a"),
        ],
        b"",
    );
    assert_eq!(e.request_id.as_deref(), Some("a"));
    let e = parse(
        Service::Voices,
        500,
        &[("x-request-id", "c"), ("apim-request-id", "b")],
        b"",
    );
    assert_eq!(e.request_id.as_deref(), Some("b"));
    let e = parse(Service::Voices, 500, &[("x-request-id", "c")], b"");
    assert_eq!(e.request_id.as_deref(), Some("c"));
    let e = parse(Service::Voices, 500, &[], b"");
    assert_eq!(e.request_id, None);
}

#[test]
fn retry_after_seconds_and_date() {
    let e = parse(Service::Synthesis, 429, &[("retry-after", "7")], b"");
    assert_eq!(
        e.retry_after,
        Some(RetryAfter::Delay(Duration::from_secs(7)))
    );
    let e = parse(
        Service::Synthesis,
        429,
        &[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")],
        b"",
    );
    assert_eq!(
        e.retry_after,
        Some(RetryAfter::At {
            unix_secs: 784_111_777
        })
    );
    assert_eq!(
        e.retry_after.unwrap().delay_from(784_111_770),
        Duration::from_secs(7)
    );
    assert_eq!(
        e.retry_after.unwrap().delay_from(784_111_999),
        Duration::ZERO
    );
    let e = parse(Service::Synthesis, 429, &[("retry-after", "later")], b"");
    assert_eq!(e.retry_after, None);
    let err = Error::from(e);
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert!(err.hint().unwrap().fix.contains("Retry-After"));
}

#[test]
fn other_json_shapes_and_non_matching_json() {
    let e = parse(
        Service::Voices,
        400,
        &[],
        br#"{"error":"invalid_request","error_description":"bad header"}"#,
    );
    assert_eq!(e.message.as_deref(), Some("bad header"));
    let e = parse(Service::Voices, 400, &[], br#"{"error":"just text"}"#);
    assert_eq!(e.message.as_deref(), Some("just text"));
    // JSON of an unknown shape is kept as text.
    let e = parse(Service::Voices, 400, &[], br#"{"foo":1}"#);
    assert_eq!(e.message.as_deref(), Some(r#"{"foo":1}"#));
    // Broken JSON is kept as text too.
    let e = parse(Service::Voices, 400, &[], br#"{"Message": "cut"#);
    assert_eq!(e.message.as_deref(), Some(r#"{"Message": "cut"#));
}

#[test]
fn lossy_utf8_and_caps() {
    let e = parse(Service::Synthesis, 500, &[], b"bad \xff\xfe bytes");
    assert_eq!(e.message.as_deref(), Some("bad \u{fffd}\u{fffd} bytes"));
    let huge = vec![b'x'; MAX_ERROR_BODY * 4];
    let e = parse(Service::Synthesis, 500, &[], &huge);
    let msg = e.message.unwrap();
    assert_eq!(msg.chars().count(), MAX_ERROR_MESSAGE_CHARS + 1);
    assert!(msg.ends_with('…'));
}

#[test]
fn retryable_classification() {
    for s in [408, 429, 500, 502, 503, 504] {
        assert!(
            parse(Service::Recognition, s, &[], b"").is_retryable(),
            "{s}"
        );
    }
    for s in [400, 401, 403, 404, 411, 413, 415] {
        assert!(
            !parse(Service::Recognition, s, &[], b"").is_retryable(),
            "{s}"
        );
    }
    assert!(!Error::Misuse(Misuse::Missing("language")).is_retryable());
    let unavailable = Error::TokenUnavailable {
        last_error: Some(Box::new(
            parse(Service::Token, 401, &[], STS_401.as_bytes()).into(),
        )),
        retry_in: Some(Duration::from_secs(4)),
    };
    assert!(unavailable.is_retryable());
    assert_eq!(unavailable.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(unavailable
        .hint()
        .unwrap()
        .fix
        .contains("Keys and Endpoint"));
    let text = unavailable.to_string();
    assert!(text.contains("no authorization token"), "{text}");
    assert!(text.contains("next attempt in 4.0 s"), "{text}");
    let unreachable = Error::TokenUnavailable {
        last_error: None,
        retry_in: None,
    };
    assert!(unreachable.to_string().contains("could not be reached"));
    assert!(unreachable.hint().is_some());
}

#[test]
fn misuse_messages_say_how_to_fix() {
    let cases: Vec<(Misuse, &str)> = vec![
        (Misuse::InvalidRegion("West US".into()), "westus"),
        (Misuse::InvalidResourceName("a.b".into()), "my-resource"),
        (
            Misuse::InsecureScheme {
                host: "10.0.0.1".into(),
            },
            "allow_insecure_http",
        ),
        (
            Misuse::InvalidHeaderValue {
                header: "User-Agent",
            },
            "User-Agent",
        ),
        (Misuse::Missing("language"), "language"),
        (
            Misuse::TokenHostMismatch {
                issued_for: "region westus (public cloud)".into(),
                host: "eastus.stt.speech.microsoft.com".into(),
            },
            "key authentication",
        ),
    ];
    for (m, needle) in cases {
        let text = Error::from(m.clone()).to_string();
        assert!(text.contains(needle), "{text}");
        assert!(Error::from(m).is_misuse());
    }
}

#[test]
fn std_error_source_chain() {
    use std::error::Error as _;
    let inner: Error = parse(Service::Token, 403, &[], b"").into();
    let outer = Error::TokenUnavailable {
        last_error: Some(Box::new(inner.clone())),
        retry_in: None,
    };
    assert_eq!(outer.source().unwrap().to_string(), inner.to_string());
}

proptest! {
    #[test]
    fn never_panics_on_any_bytes(status in 400u16..600, body in proptest::collection::vec(any::<u8>(), 0..2048),
                                 ra in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&ra) {
            headers.insert(http::header::RETRY_AFTER, v.clone());
            headers.insert("x-requestid", v);
        }
        for service in [Service::Token, Service::Recognition, Service::Synthesis, Service::Voices] {
            let e = parse_error_response(service, StatusCode::from_u16(status).unwrap(), &headers, &body);
            let text = e.to_string();
            prop_assert!(!text.is_empty());
            if let Some(m) = e.message() {
                prop_assert!(m.chars().count() <= MAX_ERROR_MESSAGE_CHARS + 1);
                prop_assert!(!m.chars().any(char::is_control));
            }
        }
    }

    #[test]
    fn json_message_round_trips(msg in "[ -~]{1,200}") {
        let body = serde_json::json!({"Message": msg}).to_string();
        let e = parse(Service::Recognition, 400, &[], body.as_bytes());
        let expected: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
        prop_assert_eq!(e.message, (!expected.is_empty()).then_some(expected));
    }
}
