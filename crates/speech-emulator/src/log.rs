//! The log of requests the emulator received, with secrets masked.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};

/// At most this many requests are kept; the oldest are dropped first.
pub(crate) const MAX_LOGGED: usize = 10_000;

/// Headers whose values are recorded as sent. Every other header is recorded by name with the value `***`
/// (`Authorization` keeps its scheme: `Bearer ***`).
const VERBATIM: &[&str] = &[
    "accept",
    "accept-encoding",
    "connection",
    "content-length",
    "content-type",
    "expect",
    "host",
    "pronunciation-assessment",
    "transfer-encoding",
    "user-agent",
    "x-connectionid",
    "x-microsoft-outputformat",
    "x-requestid",
];

/// One request as the emulator received it. Secrets never appear: the values of `Ocp-Apim-Subscription-Key`,
/// `Authorization` and every header outside a fixed allowlist are replaced by `***`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Position in arrival order, starting at 0.
    pub seq: u64,
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path, e.g. `/sts/v1.0/issueToken`.
    pub path: String,
    /// The raw query string, if any (e.g. `language=en-US&format=detailed`).
    pub query: Option<String>,
    /// Header names (lower case) and values, masked as described above, in the order received.
    pub headers: Vec<(String, String)>,
    /// How many body bytes the emulator read.
    pub body_len: u64,
    /// The status answered, or `None` while the request is in flight, or when it was never answered (a
    /// stalled request, a reset connection).
    pub status: Option<u16>,
}

impl LoggedRequest {
    /// The (masked) value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A live entry: the head is fixed, the body length and status are filled in as the request runs.
pub(crate) struct Slot {
    head: LoggedRequest,
    body_len: AtomicU64,
    status: AtomicU16,
}

impl Slot {
    pub(crate) fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    fn snapshot(&self) -> LoggedRequest {
        let status = self.status.load(Ordering::Relaxed);
        LoggedRequest {
            body_len: self.body_len.load(Ordering::Relaxed),
            status: (status != 0).then_some(status),
            ..self.head.clone()
        }
    }
}

fn mask(name: &str, value: &[u8]) -> String {
    if VERBATIM.contains(&name) {
        return String::from_utf8_lossy(value).into_owned();
    }
    if name == "authorization" {
        if let Some(scheme) = value
            .split(|&b| b == b' ')
            .next()
            .filter(|s| s.len() < value.len())
        {
            if scheme.eq_ignore_ascii_case(b"bearer") {
                return "Bearer ***".to_owned();
            }
        }
    }
    "***".to_owned()
}

/// The query with the values of the credentials the JavaScript SDK mirrors into it (`Ocp-Apim-Subscription-Key`,
/// `Authorization`) replaced by `***`.
fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _))
                if name.eq_ignore_ascii_case("ocp-apim-subscription-key")
                    || name.eq_ignore_ascii_case("authorization") =>
            {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The emulator's request log.
#[derive(Default)]
pub(crate) struct RequestLog {
    entries: Mutex<VecDeque<Arc<Slot>>>,
    next_seq: AtomicU64,
}

impl RequestLog {
    /// Record a new request and return its live entry.
    pub(crate) fn start(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            head: LoggedRequest {
                seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
                method: method.to_owned(),
                path: path.to_owned(),
                query: query.map(mask_query),
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), mask(n.as_str(), v.as_bytes())))
                    .collect(),
                body_len: 0,
                status: None,
            },
            body_len: AtomicU64::new(0),
            status: AtomicU16::new(0),
        });
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_LOGGED {
            entries.pop_front();
        }
        entries.push_back(slot.clone());
        slot
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.iter().map(|s| s.snapshot()).collect()
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A request body that counts the bytes read into its log entry.
pub(crate) struct CountingBody {
    inner: Body,
    slot: Arc<Slot>,
}

impl CountingBody {
    pub(crate) fn wrap(inner: Body, slot: Arc<Slot>) -> Body {
        Body::new(Self { inner, slot })
    }
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.slot
                    .body_len
                    .fetch_add(data.len() as u64, Ordering::Relaxed);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn secrets_are_masked() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "ocp-apim-subscription-key",
            HeaderValue::from_static("secret-key"),
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer eyJ.secret.token"),
        );
        headers.insert("x-custom", HeaderValue::from_static("whatever"));
        headers.insert("content-type", HeaderValue::from_static("audio/wav"));
        let log = RequestLog::default();
        let slot = log.start("POST", "/x", Some("a=b"), &headers);
        slot.set_status(200);
        let entries = log.snapshot();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.header("Ocp-Apim-Subscription-Key"), Some("***"));
        assert_eq!(e.header("authorization"), Some("Bearer ***"));
        assert_eq!(e.header("x-custom"), Some("***"));
        assert_eq!(e.header("content-type"), Some("audio/wav"));
        assert_eq!(e.status, Some(200));
        assert_eq!(e.query.as_deref(), Some("a=b"));
        assert_eq!(
            mask_query(
                "Ocp-Apim-Subscription-Key=secret&X-ConnectionId=1&authorization=Bearer%20t"
            ),
            "Ocp-Apim-Subscription-Key=***&X-ConnectionId=1&authorization=***"
        );
        let debug = format!("{entries:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert_eq!(mask("authorization", b"Bearer"), "***");
        assert_eq!(mask("authorization", b"Basic abc"), "***");
        log.clear();
        assert!(log.snapshot().is_empty());
    }

    #[test]
    fn log_is_capped() {
        let log = RequestLog::default();
        for _ in 0..MAX_LOGGED + 5 {
            log.start("GET", "/", None, &HeaderMap::new());
        }
        let entries = log.snapshot();
        assert_eq!(entries.len(), MAX_LOGGED);
        assert_eq!(entries[0].seq, 5);
    }
}
