//! What several services share: reading query strings and forms, the locale check, and the answers given before
//! a request's body is read. Imports the shared state, never a service.

pub(crate) mod body;
#[cfg(test)]
pub(crate) mod tone;
pub(crate) mod ws;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

use crate::auth;
use crate::state::AppState;
use body::read_body;

/// The answer to a path no endpoint serves.
pub(crate) async fn not_found() -> Response {
    auth::error_json(StatusCode::NOT_FOUND, "Resource not found")
}

/// A `{"Message": …}` answer, the shape the `stt` host uses for its 400s (spec §2.11).
pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    let body = serde_json::json!({ "Message": text }).to_string();
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

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Query pairs, names lower-cased; a pair that does not decode is kept with an empty value.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(name)
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                percent_decode(value).unwrap_or_default(),
            )
        })
        .collect()
}

pub(crate) fn is_locale(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest: Vec<&str> = parts.collect();
    primary_ok
        && (1..=3).contains(&rest.len())
        && rest
            .iter()
            .all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// An answer given before the body was read. A client that sent `Expect: 100-continue` waits for it and sends no
/// body (hyper sends no `100 Continue` for a body that is never read). Any other client is already sending the
/// body, and closing a connection with unread bytes in it resets it, often before the client has read the
/// answer; so the body is drained first (up to the body cap, within the audio timeout), as servers do with a
/// lingering close.
pub(crate) async fn early(
    state: &AppState,
    headers: &http::HeaderMap,
    body: Body,
    response: Response,
) -> Response {
    let waits_for_continue = headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if !waits_for_continue {
        let _ = read_body(body, state.audio_timeout, state.max_body_bytes, 0).await;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Db+c"), Some("a-b c".to_owned()));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }
}
