//! The speech messages inside WebSocket frames (spec part B.4): a header block and a body.
//!
//! * **Text frames**: `Name: value\r\n` lines, a blank line, then the body (JSON or nothing).
//! * **Binary frames**: a big-endian `u16` header length, the header block (the same lines, no blank line), then
//!   the payload (audio; empty for the end of audio).
//!
//! Encoding writes what Microsoft's SDKs write (`Path`, `X-RequestId`, `X-Timestamp`, then `Content-Type`).
//! Decoding is tolerant as the spec asks: header names in any case and order, a space after the colon or none,
//! values trimmed, the body is everything after the *first* blank line. Every buffer has a cap, and a broken
//! frame is a [`FrameError`] whose [`close_reason`](FrameError::close_reason) is the reason text the legacy
//! service closes with (code 1007), never a panic.
//!
//! ```
//! use speech_proto::stt::stream::frame::{decode_text, encode_text, Timestamp};
//!
//! let text = encode_text("speech.config", "0123456789ABCDEF0123456789ABCDEF", Timestamp(0), Some("application/json"), "{}");
//! assert!(text.starts_with("Path: speech.config\r\nX-RequestId: 0123456789ABCDEF0123456789ABCDEF\r\n"));
//! let message = decode_text(text.as_bytes())?;
//! assert_eq!(message.path(), Some("speech.config"));
//! assert_eq!(message.header("x-timestamp"), Some("1970-01-01T00:00:00.000Z"));
//! assert_eq!(message.body, b"{}");
//! # Ok::<(), speech_proto::stt::stream::frame::FrameError>(())
//! ```

use std::fmt;

/// The largest header block accepted or written (8 KiB, the legacy service's limit).
pub const MAX_HEADER_BLOCK: usize = 8 * 1024;

/// The largest text message accepted (4 MiB): detailed results with word timings of a long phrase are large, but
/// not that large.
pub const MAX_TEXT_MESSAGE: usize = 4 << 20;

/// The largest binary message accepted (1 MiB): audio goes in 100 ms chunks of a few KiB.
pub const MAX_BINARY_MESSAGE: usize = 1 << 20;

/// The most header lines accepted in one message.
pub const MAX_HEADERS: usize = 64;

/// Milliseconds since the Unix epoch, written as `X-Timestamp` (`2026-07-13T10:00:00.123Z`). The core has no
/// clock: the driver gives the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`: the time without its milliseconds (proleptic Gregorian calendar, UTC).
    pub fn to_seconds_string(self) -> String {
        let (date, time) = self.civil();
        format!("{date}T{time}Z")
    }

    /// (`YYYY-MM-DD`, `HH:MM:SS`).
    fn civil(self) -> (String, String) {
        let secs = self.0 / 1000;
        let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
        let rem = secs % 86_400;
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        (
            format!("{year:04}-{month:02}-{day:02}"),
            format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
        )
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as `X-Timestamp` wants it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, time) = self.civil();
        write!(f, "{date}T{time}.{:03}Z", self.0 % 1000)
    }
}

/// Why a frame is not a speech message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame is empty.
    Empty,
    /// A text frame has no blank line between headers and body.
    NoHeaderSeparator,
    /// A text frame is not UTF-8.
    NotUtf8,
    /// A binary frame is shorter than its two-byte length prefix, or the prefix says more than the frame holds.
    BadHeaderLengthPrefix {
        /// The length the prefix gives (0 when there was no prefix).
        declared: usize,
        /// The bytes after the prefix.
        available: usize,
    },
    /// The header block is larger than [`MAX_HEADER_BLOCK`] or has more than [`MAX_HEADERS`] lines.
    HeadersTooLarge {
        /// Its size in bytes.
        size: usize,
    },
    /// The header block is not ASCII text.
    HeadersNotText,
    /// A header line has no `:`.
    MalformedHeaderLine {
        /// The line, cut to 64 characters.
        line: String,
    },
    /// A message is larger than its cap ([`MAX_TEXT_MESSAGE`] or [`MAX_BINARY_MESSAGE`]).
    TooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        cap: usize,
    },
    /// A required header is missing or empty (`Path`, or `X-RequestId` where the protocol needs it).
    MissingHeader(&'static str),
}

impl FrameError {
    /// The WebSocket close code the service uses for this error: 1002 (protocol error) for a missing header,
    /// 1009 (message too big) for a message over its cap, 1007 (invalid payload) for the rest.
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::MissingHeader(_) => 1002,
            FrameError::TooLarge { .. } => 1009,
            _ => 1007,
        }
    }

    /// The close reason, in the legacy service's words where it has them (spec B.4, B.10).
    pub fn close_reason(&self) -> String {
        match self {
            FrameError::Empty => "Text message contains no data.".to_owned(),
            FrameError::NoHeaderSeparator => {
                "Text message contains no header separator.".to_owned()
            }
            FrameError::NotUtf8 => "Text message decoding into UTF-8 failed.".to_owned(),
            FrameError::BadHeaderLengthPrefix { .. } => {
                "Binary message has invalid header size prefix.".to_owned()
            }
            FrameError::HeadersTooLarge { .. } => {
                "Binary message has invalid header size.".to_owned()
            }
            FrameError::HeadersNotText => {
                "Binary message headers decoding into UTF-8 failed.".to_owned()
            }
            FrameError::MalformedHeaderLine { .. } => {
                "Message has a malformed header line.".to_owned()
            }
            FrameError::TooLarge { .. } => "Message is too large.".to_owned(),
            FrameError::MissingHeader(name) => format!("Missing/Empty header. {name}"),
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Empty => f.write_str("an empty message"),
            FrameError::NoHeaderSeparator => {
                f.write_str("a text message without the blank line that ends its headers")
            }
            FrameError::NotUtf8 => f.write_str("a text message that is not UTF-8"),
            FrameError::BadHeaderLengthPrefix {
                declared,
                available,
            } => write!(
                f,
                "a binary message whose header length prefix ({declared}) does not fit its {available} bytes"
            ),
            FrameError::HeadersTooLarge { size } => write!(
                f,
                "a header block of {size} bytes or more than {MAX_HEADERS} lines (the cap is {MAX_HEADER_BLOCK} bytes)"
            ),
            FrameError::HeadersNotText => f.write_str("a header block that is not ASCII text"),
            FrameError::MalformedHeaderLine { line } => write!(f, "a header line without ':' ({line:?})"),
            FrameError::TooLarge { size, cap } => {
                write!(f, "a message of {size} bytes, over the {cap}-byte cap")
            }
            FrameError::MissingHeader(name) => write!(f, "a message without its {name} header"),
        }
    }
}

impl std::error::Error for FrameError {}

/// A decoded message: its headers (in the order sent) and its body or payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// `(name, value)` pairs, names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (text frames: the bytes after the first blank line) or payload (binary frames).
    pub body: Vec<u8>,
}

impl Message {
    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Path`, when present and not empty.
    pub fn path(&self) -> Option<&str> {
        self.header("path").filter(|p| !p.is_empty())
    }

    /// `X-RequestId`, when present and not empty.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-requestid").filter(|p| !p.is_empty())
    }

    /// `Content-Type`, when present.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The body as text (lossy for invalid UTF-8, which text frames cannot hold).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

fn parse_header_block(block: &str) -> Result<Vec<(String, String)>, FrameError> {
    let mut headers = Vec::new();
    for line in block.split("\r\n").flat_map(|l| l.split('\n')) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(FrameError::MalformedHeaderLine {
                line: line.chars().take(64).collect(),
            });
        };
        if headers.len() == MAX_HEADERS {
            return Err(FrameError::HeadersTooLarge { size: block.len() });
        }
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(headers)
}

/// Decode a text frame's bytes (the WebSocket library normally has checked them to be UTF-8; they are checked
/// again here). The message needs a `Path`.
///
/// # Errors
///
/// A [`FrameError`]: empty, not UTF-8, over [`MAX_TEXT_MESSAGE`], no blank line, a header block over
/// [`MAX_HEADER_BLOCK`], a line without `:`, or no `Path`.
pub fn decode_text(frame: &[u8]) -> Result<Message, FrameError> {
    if frame.is_empty() {
        return Err(FrameError::Empty);
    }
    if frame.len() > MAX_TEXT_MESSAGE {
        return Err(FrameError::TooLarge {
            size: frame.len(),
            cap: MAX_TEXT_MESSAGE,
        });
    }
    let text = std::str::from_utf8(frame).map_err(|_| FrameError::NotUtf8)?;
    let split = memchr_crlfcrlf(text.as_bytes())
        .map(|i| (i, i + 4))
        .or_else(|| text.find("\n\n").map(|i| (i, i + 2)));
    let Some((end, body_start)) = split else {
        return Err(if text.len() > MAX_HEADER_BLOCK {
            FrameError::HeadersTooLarge { size: text.len() }
        } else {
            FrameError::NoHeaderSeparator
        });
    };
    if end > MAX_HEADER_BLOCK {
        return Err(FrameError::HeadersTooLarge { size: end });
    }
    let headers = parse_header_block(&text[..end])?;
    let message = Message {
        headers,
        body: frame[body_start..].to_vec(),
    };
    if message.path().is_none() {
        return Err(FrameError::MissingHeader("Path"));
    }
    Ok(message)
}

fn memchr_crlfcrlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Decode a binary frame: the length prefix, the header block, the payload. The message needs a `Path`.
///
/// # Errors
///
/// A [`FrameError`]: empty, over [`MAX_BINARY_MESSAGE`], a prefix that does not fit, a header block over
/// [`MAX_HEADER_BLOCK`] or not ASCII, a line without `:`, or no `Path`.
pub fn decode_binary(frame: &[u8]) -> Result<Message, FrameError> {
    if frame.is_empty() {
        return Err(FrameError::Empty);
    }
    if frame.len() > MAX_BINARY_MESSAGE {
        return Err(FrameError::TooLarge {
            size: frame.len(),
            cap: MAX_BINARY_MESSAGE,
        });
    }
    let Some((prefix, rest)) = frame.split_first_chunk::<2>() else {
        return Err(FrameError::BadHeaderLengthPrefix {
            declared: 0,
            available: frame.len(),
        });
    };
    let declared = usize::from(u16::from_be_bytes(*prefix));
    if declared > MAX_HEADER_BLOCK {
        return Err(FrameError::HeadersTooLarge { size: declared });
    }
    if declared > rest.len() {
        return Err(FrameError::BadHeaderLengthPrefix {
            declared,
            available: rest.len(),
        });
    }
    let (block, payload) = rest.split_at(declared);
    if !block.is_ascii() {
        return Err(FrameError::HeadersNotText);
    }
    let block = std::str::from_utf8(block).map_err(|_| FrameError::HeadersNotText)?;
    let message = Message {
        headers: parse_header_block(block)?,
        body: payload.to_vec(),
    };
    if message.path().is_none() {
        return Err(FrameError::MissingHeader("Path"));
    }
    Ok(message)
}

/// The header lines a client writes: `Path`, `X-RequestId`, `X-Timestamp`, then `Content-Type` when given,
/// then `extra`.
fn header_lines(
    path: &str,
    request_id: &str,
    timestamp: Timestamp,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
) -> String {
    let mut out =
        format!("Path: {path}\r\nX-RequestId: {request_id}\r\nX-Timestamp: {timestamp}\r\n");
    if let Some(ct) = content_type {
        out.push_str("Content-Type: ");
        out.push_str(ct);
        out.push_str("\r\n");
    }
    for (name, value) in extra {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out
}

/// A text message: the header lines, a blank line, the body. Values come from this crate (paths, hex ids,
/// timestamps, fixed content types) and hold no line breaks.
pub fn encode_text(
    path: &str,
    request_id: &str,
    timestamp: Timestamp,
    content_type: Option<&str>,
    body: &str,
) -> String {
    let mut out = header_lines(path, request_id, timestamp, content_type, &[]);
    out.push_str("\r\n");
    out.push_str(body);
    out
}

/// A binary message: the big-endian header length, the header lines, the payload.
pub fn encode_binary(
    path: &str,
    request_id: &str,
    timestamp: Timestamp,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
    payload: &[u8],
) -> Vec<u8> {
    let headers = header_lines(path, request_id, timestamp, content_type, extra);
    // The header lines are a few hundred bytes at most: well under u16::MAX.
    let len = u16::try_from(headers.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(2 + headers.len() + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&headers.as_bytes()[..usize::from(len)]);
    out.extend_from_slice(payload);
    out
}

/// A service-style text message (no space after the colon, `X-RequestId` first, as observed), for emulators
/// and tests.
pub fn encode_service_text(path: &str, request_id: &str, body: &str) -> String {
    format!("X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RID: &str = "9C1F0000000000000000000000000000";

    #[test]
    fn timestamps() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_783_936_800_123).to_string(),
            "2026-07-13T10:00:00.123Z"
        );
        assert_eq!(
            Timestamp(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn text_round_trip_and_service_style() {
        let t = encode_text(
            "speech.context",
            RID,
            Timestamp(5),
            Some("application/json"),
            "{\"a\":\"\r\n\r\nb\"}",
        );
        let m = decode_text(t.as_bytes()).unwrap();
        assert_eq!(m.path(), Some("speech.context"));
        assert_eq!(m.request_id(), Some(RID));
        // The body is everything after the first blank line, even one that holds another.
        assert_eq!(m.body_text(), "{\"a\":\"\r\n\r\nb\"}");

        let s = encode_service_text("speech.hypothesis", RID, "{\"Text\":\"preço\"}");
        let m = decode_text(s.as_bytes()).unwrap();
        assert_eq!(m.header("PATH"), Some("speech.hypothesis"));
        assert_eq!(m.content_type(), Some("application/json; charset=utf-8"));
        assert_eq!(m.body_text(), "{\"Text\":\"preço\"}");
        // No body at all.
        let m = decode_text(b"Path:turn.end\r\nX-RequestId:x\r\n\r\n").unwrap();
        assert!(m.body.is_empty());
    }

    #[test]
    fn binary_round_trip_and_end_of_audio() {
        let b = encode_binary(
            "audio",
            RID,
            Timestamp(0),
            Some("audio/x-wav"),
            &[("X-StreamId", "1")],
            b"RIFF....",
        );
        let declared = usize::from(u16::from_be_bytes([b[0], b[1]]));
        assert!(b[2..2 + declared].ends_with(b"X-StreamId: 1\r\n"));
        let m = decode_binary(&b).unwrap();
        assert_eq!(m.path(), Some("audio"));
        assert_eq!(m.content_type(), Some("audio/x-wav"));
        assert_eq!(m.header("x-streamid"), Some("1"));
        assert_eq!(m.body, b"RIFF....");
        let end = encode_binary("audio", RID, Timestamp(0), None, &[], &[]);
        assert!(decode_binary(&end).unwrap().body.is_empty());
    }

    #[test]
    fn hostile_frames_are_errors_with_the_legacy_reasons() {
        assert_eq!(decode_text(b""), Err(FrameError::Empty));
        assert_eq!(
            decode_text(b"Path: x\r\nno separator"),
            Err(FrameError::NoHeaderSeparator)
        );
        assert_eq!(
            decode_text(b"Path: x\r\n\xff\r\n\r\n"),
            Err(FrameError::NotUtf8)
        );
        assert_eq!(
            decode_text(b"X-RequestId: 1\r\n\r\n{}"),
            Err(FrameError::MissingHeader("Path"))
        );
        assert!(matches!(
            decode_text(b"Path x\r\n\r\n"),
            Err(FrameError::MalformedHeaderLine { .. })
        ));
        let huge = format!("Path: x\r\nX-Pad: {}\r\n\r\n", "a".repeat(MAX_HEADER_BLOCK));
        assert!(matches!(
            decode_text(huge.as_bytes()),
            Err(FrameError::HeadersTooLarge { .. })
        ));
        let many: String = (0..=MAX_HEADERS)
            .map(|i| format!("H{i}: v\r\n"))
            .collect::<String>()
            + "Path: x\r\n\r\n";
        assert!(matches!(
            decode_text(many.as_bytes()),
            Err(FrameError::HeadersTooLarge { .. })
        ));

        assert_eq!(
            decode_binary(&[0]),
            Err(FrameError::BadHeaderLengthPrefix {
                declared: 0,
                available: 1
            })
        );
        assert_eq!(
            decode_binary(&[0, 200, b'P']),
            Err(FrameError::BadHeaderLengthPrefix {
                declared: 200,
                available: 1
            })
        );
        assert!(matches!(
            decode_binary(&[0xff, 0xff, 0]),
            Err(FrameError::HeadersTooLarge { .. })
        ));
        let mut non_ascii = vec![0, 9];
        non_ascii.extend_from_slice(b"Path: \xc3\xa9\r\n");
        assert_eq!(
            decode_binary(&non_ascii[..11]),
            Err(FrameError::HeadersNotText)
        );
        for e in [
            FrameError::Empty,
            FrameError::NotUtf8,
            FrameError::MissingHeader("X-RequestId"),
        ] {
            assert!(!e.close_reason().is_empty());
            assert!([1002, 1007, 1009].contains(&e.close_code()));
        }
        assert_eq!(
            FrameError::MissingHeader("X-RequestId").close_reason(),
            "Missing/Empty header. X-RequestId"
        );
    }
}
