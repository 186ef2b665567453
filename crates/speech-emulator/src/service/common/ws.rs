//! What the WebSocket endpoints share (recognition and synthesis): the client's messages, strictly parsed
//! (spec B.4: a header block, a blank line or a length prefix, a body), the handshake's connection id and
//! credentials (headers, or the query the JavaScript SDK mirrors them in), and a clean close.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use http::{HeaderMap, HeaderName, HeaderValue};

/// The largest header block of a binary message.
pub(crate) const MAX_HEADER_BLOCK: usize = 8192;

/// Whether `id` is 32 hex digits (with dashes between them when `dashes`).
pub(crate) fn hex_id(id: &str, dashes: bool) -> bool {
    let digits: String = if dashes {
        id.chars().filter(|c| *c != '-').collect()
    } else {
        id.to_owned()
    };
    digits.len() == 32 && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The handshake's `X-ConnectionId`: the header, else the `X-ConnectionId` or `connectionId` query the
/// JavaScript SDK mirrors it in.
pub(crate) fn connection_id(headers: &HeaderMap, query: &[(String, String)]) -> Option<String> {
    let q = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    headers
        .get("x-connectionid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| q("x-connectionid"))
        .or_else(|| q("connectionid"))
}

/// The handshake's headers, with the credential from the query when no header carries one: a browser, or
/// Node ≥ 22's WebSocket, cannot set headers, so the JavaScript SDK sends `Ocp-Apim-Subscription-Key` or
/// `Authorization` in the query (spec part 1.2).
pub(crate) fn with_query_credentials(headers: &HeaderMap, query: &[(String, String)]) -> HeaderMap {
    let mut headers = headers.clone();
    for name in ["ocp-apim-subscription-key", "authorization"] {
        if headers.contains_key(name) {
            return headers;
        }
    }
    for name in ["ocp-apim-subscription-key", "authorization"] {
        let value = query.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers
}

/// A message that breaks the protocol: the connection is closed with this code and reason.
#[derive(Debug)]
pub(crate) struct Violation(pub(crate) u16, pub(crate) &'static str);

/// A client message, strictly parsed.
#[derive(Debug)]
pub(crate) struct ClientMessage {
    pub(crate) path: String,
    pub(crate) request_id: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

fn header_lines(block: &str) -> Result<Vec<(String, String)>, Violation> {
    let mut headers = Vec::new();
    for line in block.split("\r\n").filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(Violation(1007, "Message contains a malformed header line."));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(headers)
}

fn client_message(
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<ClientMessage, Violation> {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let path = get("path")
        .filter(|p| !p.is_empty())
        .ok_or(Violation(1002, "Missing/Empty header. Path"))?;
    let request_id = get("x-requestid").filter(|p| !p.is_empty());
    if let Some(id) = &request_id {
        if !hex_id(id, false) {
            return Err(Violation(
                1002,
                "Invalid request. X-RequestId header not specified in no-dash UUID format.",
            ));
        }
    } else if !path.eq_ignore_ascii_case("speech.config") {
        return Err(Violation(1002, "Missing/Empty header. X-RequestId"));
    }
    Ok(ClientMessage {
        path,
        request_id,
        content_type: get("content-type"),
        body,
    })
}

pub(crate) fn parse_text(text: &str) -> Result<ClientMessage, Violation> {
    if text.is_empty() {
        return Err(Violation(1007, "Text message contains no data."));
    }
    let Some((block, body)) = text.split_once("\r\n\r\n") else {
        return Err(Violation(
            1007,
            "Text message contains no header separator.",
        ));
    };
    client_message(header_lines(block)?, body.as_bytes().to_vec())
}

pub(crate) fn parse_binary(data: &[u8]) -> Result<ClientMessage, Violation> {
    let Some((prefix, rest)) = data.split_first_chunk::<2>() else {
        return Err(Violation(
            1007,
            "Binary message has invalid header size prefix.",
        ));
    };
    let len = usize::from(u16::from_be_bytes(*prefix));
    if len > rest.len() || len > MAX_HEADER_BLOCK {
        return Err(Violation(
            1007,
            "Binary message has invalid header size prefix.",
        ));
    }
    let (block, payload) = rest.split_at(len);
    if !block.is_ascii() {
        return Err(Violation(
            1007,
            "Binary message headers decoding into UTF-8 failed.",
        ));
    }
    let block = std::str::from_utf8(block)
        .map_err(|_| Violation(1007, "Binary message headers decoding into UTF-8 failed."))?;
    client_message(header_lines(block)?, payload.to_vec())
}

/// Close with `code` and `reason`, then wait (up to a second) for the client's close reply, reading and dropping
/// what it still sends, so that the client reads the close frame rather than a reset connection.
pub(crate) async fn close(socket: &mut WebSocket, code: u16, reason: impl Into<Utf8Bytes>) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}
