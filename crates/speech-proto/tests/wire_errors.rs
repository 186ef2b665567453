//! How the codec's errors classify through the crate's `Error`: peer faults are network-class and retryable
//! like a broken connection (and `retry::decide` backs off for them); caller misuse is neither.

use std::error::Error as _;
use std::time::Duration;

use speech_proto::retry::{decide, Attempt, BodyState, Failure, RetryDecision, RetryPolicy};
use speech_proto::wire::{
    try_parse_response_head, write_chunk, BodyDecoder, BodyKind, Limits, WireError,
};
use speech_proto::{Error, ErrorKind};

fn peer_faults() -> Vec<Error> {
    let mut truncated = BodyDecoder::new(BodyKind::Length(3), Limits::default());
    vec![
        try_parse_response_head(b"HTTP/9.9 200 OK\r\n\r\n", &Limits::default()).unwrap_err(),
        truncated.finish().unwrap_err(),
        Error::from(WireError::HeadTooLarge { limit: 1 }),
        Error::from(WireError::ConflictingFraming),
        Error::from(WireError::BadChunkSize),
    ]
}

fn misuse() -> Vec<Error> {
    let mut tiny = [0u8; 2];
    vec![
        write_chunk(b"x", &mut tiny).unwrap_err(),
        speech_proto::wire::write_request_head(
            &http::Request::get("/no-authority").body(()).unwrap(),
            &mut Vec::new(),
        )
        .unwrap_err(),
    ]
}

#[test]
fn peer_faults_are_retryable_network_errors() {
    let policy = RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_secs(1));
    for e in peer_faults() {
        assert!(matches!(e, Error::Wire(_)), "{e:?}");
        assert_eq!(e.kind(), ErrorKind::Network, "{e}");
        assert!(e.is_retryable(), "{e}");
        assert!(!e.is_misuse(), "{e}");
        assert!(e.source().is_some(), "{e}");
        let attempt = Attempt::new(1, Failure::Error(&e), BodyState::Replayable);
        assert_eq!(
            decide(&policy, &attempt, 0.0, 0),
            RetryDecision::RetryAfter(Duration::from_millis(100)),
            "{e}"
        );
        // A stream that was partly sent cannot be resent, whatever the error.
        let attempt = Attempt::new(1, Failure::Error(&e), BodyState::NotReplayable);
        assert_eq!(decide(&policy, &attempt, 0.0, 0), RetryDecision::GiveUp);
    }
}

#[test]
fn misuse_is_final() {
    for e in misuse() {
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        assert!(!e.is_retryable(), "{e}");
        assert!(e.is_misuse(), "{e}");
        let attempt = Attempt::new(1, Failure::Error(&e), BodyState::Replayable);
        assert_eq!(
            decide(&RetryPolicy::default(), &attempt, 0.0, 0),
            RetryDecision::GiveUp
        );
    }
    assert_eq!(
        misuse()[0],
        Error::Wire(WireError::InsufficientSize { required: 6 })
    );
    assert_eq!(
        misuse()[0].to_string(),
        "the output buffer is too small: at least 6 bytes are needed"
    );
}

#[test]
fn httparse_cause_is_kept_typed() {
    let e = try_parse_response_head(b"HTTP/9.9 200 OK\r\n\r\n", &Limits::default()).unwrap_err();
    assert_eq!(e, Error::Wire(WireError::BadHead(httparse::Error::Version)));
    let source = e
        .source()
        .and_then(|s| s.source())
        .expect("httparse error as the source");
    assert_eq!(source.to_string(), "invalid HTTP version");
}

#[test]
fn the_crates_own_requests_write_as_heads() {
    use speech_proto::recognize::{BodyLength, RecognitionRequest};
    use speech_proto::wire::{expects_continue, request_body, write_request_head, RequestBody};

    let endpoint = speech_proto::Endpoint::region("westus").unwrap();
    for (length, want) in [
        (BodyLength::Chunked, RequestBody::Chunked),
        (BodyLength::Known(32_044), RequestBody::Length(32_044)),
    ] {
        let request = RecognitionRequest::new("en-US")
            .body_length(length)
            .build(&endpoint)
            .unwrap();
        assert_eq!(request_body(&request).unwrap(), want);
        // Chunked recognition always asks for 100-continue (a known length only on request).
        assert_eq!(expects_continue(&request), want == RequestBody::Chunked);
        let mut head = Vec::new();
        write_request_head(&request, &mut head).unwrap();
        let text = String::from_utf8(head).unwrap();
        assert!(
            text.starts_with(
                "POST /speech/recognition/conversation/cognitiveservices/v1?language=en-US&format=simple HTTP/1.1\r\n\
                 host: westus.stt.speech.microsoft.com\r\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("\r\n\r\n") && text.matches("\r\n\r\n").count() == 1,
            "{text}"
        );
    }
}
