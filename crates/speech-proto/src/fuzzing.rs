//! Entry points for the cargo-fuzz targets in `fuzz/` (each target is a one-line call into this module) and
//! for the stable replay of their corpora (`tests/fuzz_corpus.rs`). Not part of the public API.
//!
//! Every function takes arbitrary bytes and must never panic, loop forever or allocate without bound. Where a
//! function also checks a property (the WAV parser: any split of the input parses like the whole), a panic
//! means the property was broken.

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::error::Service;

/// The WAV header parser, fed in two pieces and compared with a one-piece parse; then the silence meter.
pub fn wav_header(data: &[u8]) {
    crate::audio::__fuzz_wav_header(data);
}

/// The recognition-result parser and the helpers on its result.
pub fn recognition_json(data: &[u8]) {
    crate::recognize::__fuzz_recognition(data);
}

/// The voices-list parser and the helpers on its result.
pub fn voices_json(data: &[u8]) {
    crate::voices::__fuzz_voices(data);
}

/// The error-answer parser. Byte 0 picks the service, bytes 1–2 the status (big-endian; values that are not
/// a valid status become 500), byte 3 whether a `Retry-After` header is present and which form it has; the
/// rest is the body. Every accessor of the resulting error is exercised, including `Display` and the hint.
pub fn error_body(data: &[u8]) {
    let service = match data.first().copied().unwrap_or(0) % 4 {
        0 => Service::Token,
        1 => Service::Recognition,
        2 => Service::Synthesis,
        _ => Service::Voices,
    };
    let status = match data.get(1..3) {
        Some(&[hi, lo]) => StatusCode::from_u16(u16::from_be_bytes([hi, lo]))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut headers = HeaderMap::new();
    let body = data.get(3..).unwrap_or_default();
    match body.first().copied().unwrap_or(0) % 4 {
        1 => {
            headers.insert("retry-after", HeaderValue::from_static("7"));
        }
        2 => {
            headers.insert(
                "retry-after",
                HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
            );
        }
        3 => {
            if let Ok(v) = HeaderValue::from_bytes(body.get(1..17).unwrap_or_default()) {
                headers.insert("retry-after", v.clone());
                headers.insert("x-requestid", v);
            }
        }
        _ => {}
    }
    let err = crate::error::parse_error_response(service, status, &headers, body);
    let _ = (
        err.to_string(),
        err.is_retryable(),
        err.hint(),
        err.retry_after(),
        err.request_id(),
        err.message(),
    );
}

/// The token-response parser and the claims of a token it accepts.
pub fn token_response(data: &[u8]) {
    if let Ok(token) = crate::token::parse_token_response(data) {
        let _ = (
            token.claims(),
            token.expires_at_unix(),
            format!("{token:?}"),
        );
    }
}
