//! Reading request bodies, shared by the speech-to-text and text-to-speech handlers.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use http_body_util::BodyExt;

/// Why a request body could not be read. Each handler answers in its own host's error shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// No bytes arrived within the timeout between frames (answered `408`).
    Timeout,
    /// The client broke the body off or framed it wrongly (answered `400`).
    Unreadable,
    /// More than the limit arrived (answered `413`).
    TooLarge,
}

/// Read `body` frame by frame, waiting at most `timeout` for each frame, refusing more than `limit` bytes in
/// all, and keeping only the first `keep` bytes (the rest is read and dropped, so that a client streaming more
/// than is heard still gets its answer).
pub(crate) async fn read_body(
    mut body: Body,
    timeout: Duration,
    limit: u64,
    keep: usize,
) -> Result<Vec<u8>, BodyError> {
    let mut kept = Vec::new();
    let mut total = 0u64;
    loop {
        let frame = match tokio::time::timeout(timeout, body.frame()).await {
            Err(_) => return Err(BodyError::Timeout),
            Ok(None) => return Ok(kept),
            Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            total += data.len() as u64;
            if total > limit {
                drain(body, timeout).await;
                return Err(BodyError::TooLarge);
            }
            let room = keep.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
}

/// The most of an over-long body read and dropped before the `413` (64 MiB).
const MAX_DRAIN: u64 = 64 << 20;

/// Read and drop the rest of a body that is over its limit (up to [`MAX_DRAIN`], within the timeout between
/// frames), as servers do with a lingering close: closing a connection with unread bytes in it resets it, often
/// before the client has read the answer.
async fn drain(mut body: Body, timeout: Duration) {
    let mut drained = 0u64;
    while drained < MAX_DRAIN {
        match tokio::time::timeout(timeout, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                drained += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            _ => return,
        }
    }
}

/// An answer to a request whose body was not read to the end: the connection cannot be reused.
pub(crate) fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
