//! The streaming-recognition WebSocket endpoints, driven by a plain WebSocket client (tungstenite) that writes the
//! speech messages by hand: the handshake's checks, strict frame validation with the spec's close codes and
//! reasons, the turn's messages in order, a second turn on the same connection, InitialSilenceTimeout, and the
//! connection's lifetime and idle timeout.

mod common;

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::Value;
use speech_emulator::engine::{EngineError, RecognitionInput, Recognizer, Transcript};
use speech_emulator::{EmulatorHandle, RecognitionMode};
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::{Message, WebSocket};

const RID: &str = "0123456789ABCDEF0123456789ABCDEF";
const RID2: &str = "FEDCBA9876543210FEDCBA9876543210";
const CONN: &str = "A140CAF92F71469FA41C72C7B5849253";

type Socket = WebSocket<TcpStream>;

fn start(builder: speech_emulator::EmulatorBuilder) -> EmulatorHandle {
    builder.start_blocking().expect("emulator")
}

/// The handshake's answer: the socket, or the refusal's status.
fn open(
    emu: &EmulatorHandle,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> Result<Socket, u16> {
    let url = format!(
        "{}{path_and_query}",
        emu.base_url().replace("http://", "ws://")
    );
    let mut request =
        tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    let addr = emu.base_url().trim_start_matches("http://").to_owned();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    match tungstenite::client(request, tcp) {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => {
            Err(r.status().as_u16())
        }
        Err(e) => panic!("handshake: {e}"),
    }
}

fn connect(emu: &EmulatorHandle) -> Socket {
    open(
        emu,
        "/speech/universal/v2?language=en-US&format=simple",
        &[("Ocp-Apim-Subscription-Key", KEY), ("X-ConnectionId", CONN)],
    )
    .expect("handshake")
}

fn text(path: &str, request_id: Option<&str>, body: &str) -> Message {
    let mut t = format!("Path: {path}\r\n");
    if let Some(id) = request_id {
        t.push_str(&format!("X-RequestId: {id}\r\n"));
    }
    t.push_str("X-Timestamp: 2026-07-13T10:00:00.000Z\r\nContent-Type: application/json\r\n\r\n");
    t.push_str(body);
    Message::Text(t.into())
}

fn binary(headers: &str, payload: &[u8]) -> Message {
    let mut b = (headers.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(headers.as_bytes());
    b.extend_from_slice(payload);
    Message::Binary(b.into())
}

fn audio(request_id: &str, content_type: Option<&str>, payload: &[u8]) -> Message {
    let mut h = format!(
        "Path: audio\r\nX-RequestId: {request_id}\r\nX-Timestamp: 2026-07-13T10:00:00.000Z\r\n"
    );
    if let Some(ct) = content_type {
        h.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    binary(&h, payload)
}

fn riff(rate: u32, channels: u16) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
    h.extend_from_slice(&(2 * channels).to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data\0\0\0\0");
    h
}

fn pcm(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// The close the server sends next (other messages skipped): (code, reason).
fn close_of(socket: &mut Socket) -> (u16, String) {
    loop {
        match socket.read() {
            Ok(Message::Close(Some(f))) => return (u16::from(f.code), f.reason.to_string()),
            Ok(Message::Close(None)) => return (1005, String::new()),
            Ok(_) => continue,
            Err(e) => panic!("no close frame: {e}"),
        }
    }
}

/// A service message: (path, X-RequestId, body).
fn service_message(m: &Message) -> (String, String, Value) {
    let Message::Text(t) = m else {
        panic!("not text: {m:?}")
    };
    let (head, body) = t.split_once("\r\n\r\n").expect("a blank line");
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).expect("JSON")
    };
    (header("path"), header("x-requestid"), body)
}

/// Read service messages until `turn.end`.
fn read_turn(socket: &mut Socket) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    loop {
        let m = socket.read().expect("a message");
        if matches!(m, Message::Close(_)) {
            panic!("closed mid-turn: {m:?}; so far {out:?}");
        }
        if !m.is_text() {
            continue;
        }
        let msg = service_message(&m);
        let end = msg.0 == "turn.end";
        out.push(msg);
        if end {
            return out;
        }
    }
}

/// Speech the voice-activity detector hears, and silence.
fn spoken() -> Vec<i16> {
    speech_emulator::fixtures::speak(&[
        (Duration::from_millis(400), "Good morning everyone."),
        (Duration::from_millis(1_000), "Let us begin the meeting."),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
    .samples
}

#[test]
fn the_handshake_checks_credentials_connection_id_language_and_format() {
    let emu = start(builder());
    let key = ("Ocp-Apim-Subscription-Key", KEY);
    let conn = ("X-ConnectionId", CONN);
    let v2 = "/speech/universal/v2";
    assert_eq!(
        open(&emu, v2, &[conn]).err(),
        Some(403),
        "no credential (the legacy service's answer)"
    );
    assert_eq!(
        open(&emu, v2, &[("Ocp-Apim-Subscription-Key", "wrong"), conn]).err(),
        Some(401)
    );
    assert_eq!(open(&emu, v2, &[key]).err(), Some(400), "no X-ConnectionId");
    assert_eq!(
        open(&emu, v2, &[key, ("X-ConnectionId", "not-a-uuid")]).err(),
        Some(400)
    );
    // A dashed UUID, or the query-string mirror, are taken.
    assert!(open(
        &emu,
        v2,
        &[
            key,
            ("X-ConnectionId", "a140caf9-2f71-469f-a41c-72c7b5849253")
        ]
    )
    .is_ok());
    assert!(open(&emu, &format!("{v2}?X-ConnectionId={CONN}"), &[key]).is_ok());
    // v1 paths need the language; v2 may take it from speech.context.
    let v1 = "/speech/recognition/conversation/cognitiveservices/v1";
    assert_eq!(open(&emu, v1, &[key, conn]).err(), Some(400));
    assert!(open(&emu, &format!("{v1}?language=en-US"), &[key, conn]).is_ok());
    assert!(open(&emu, &format!("/stt{v1}?language=en-US"), &[key, conn]).is_ok());
    assert!(open(&emu, &format!("/stt{v2}"), &[key, conn]).is_ok());
    assert_eq!(
        open(&emu, &format!("{v2}?format=verbose"), &[key, conn]).err(),
        Some(400)
    );
    assert_eq!(
        open(&emu, &format!("{v2}?profanity=some"), &[key, conn]).err(),
        Some(400)
    );
    assert_eq!(
        open(&emu, "/speech/universal/v3", &[key, conn]).err(),
        Some(404)
    );
    // A token from the emulator's token service works too.
    let token = sts_token(&emu);
    assert!(open(
        &emu,
        v2,
        &[("Authorization", &format!("Bearer {token}")), conn]
    )
    .is_ok());

    // An engine that speaks only English: other languages are refused, at the handshake or in speech.context.
    let emu = start(builder().recognizer(Arc::new(EnglishOnly)));
    assert_eq!(
        open(&emu, &format!("{v2}?language=xx-XX"), &[key, conn]).err(),
        Some(400)
    );
    let mut s = open(&emu, v2, &[key, conn]).unwrap();
    s.send(text(
        "speech.context",
        Some(RID),
        r#"{"phraseDetection":{"language":"xx-XX"}}"#,
    ))
    .unwrap();
    assert_eq!(close_of(&mut s), (1007, "Unsupported language.".to_owned()));
}

/// A token from the emulator's token service (a plain HTTP/1.1 exchange).
fn sts_token(emu: &EmulatorHandle) -> String {
    use std::io::{Read, Write};
    let mut tcp = TcpStream::connect(emu.base_url().trim_start_matches("http://")).unwrap();
    write!(
        tcp,
        "POST /sts/v1.0/issueToken HTTP/1.1\r\nHost: localhost\r\nOcp-Apim-Subscription-Key: {KEY}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer.split_once("\r\n\r\n").unwrap().1.trim().to_owned()
}

struct EnglishOnly;

impl Recognizer for EnglishOnly {
    fn name(&self) -> &str {
        "english-only"
    }
    fn speaks(&self, language: &str) -> bool {
        language.eq_ignore_ascii_case("en-US")
    }
    fn recognize(&self, _: RecognitionInput<'_>) -> Result<Transcript, EngineError> {
        Ok(Transcript::Text {
            text: "Hello.".into(),
            confidence: 0.9,
        })
    }
}

#[test]
fn broken_messages_close_with_the_specs_codes_and_reasons() {
    let emu = start(builder());
    let cases: Vec<(Message, u16, &str)> = vec![
        (
            Message::Text("Path: speech.context\r\nno separator".into()),
            1007,
            "Text message contains no header separator.",
        ),
        (
            Message::Text("X-RequestId: 0123456789ABCDEF0123456789ABCDEF\r\n\r\n{}".into()),
            1002,
            "Missing/Empty header. Path",
        ),
        (
            text("speech.context", None, "{}"),
            1002,
            "Missing/Empty header. X-RequestId",
        ),
        (
            text(
                "speech.context",
                Some("01234567-89AB-CDEF-0123-456789ABCDEF"),
                "{}",
            ),
            1002,
            "Invalid request. X-RequestId header not specified in no-dash UUID format.",
        ),
        (
            text("speech.context", Some(RID), "not json"),
            1007,
            "Could not deserialize speech context",
        ),
        (
            Message::Binary(vec![0x00].into()),
            1007,
            "Binary message has invalid header size prefix.",
        ),
        (
            binary("Path: audio\r\n", b"").map_prefix(900),
            1007,
            "Binary message has invalid header size prefix.",
        ),
        (
            Message::Binary([&[0x23, 0x28][..], &[b'a'; 9000][..]].concat().into()),
            1007,
            "Binary message has invalid header size prefix.",
        ),
        (
            binary("Path: audio\r\nX-RequestId: \u{e9}\r\n", b""),
            1007,
            "Binary message headers decoding into UTF-8 failed.",
        ),
        (
            audio(RID, Some("audio/x-wav"), b"not a RIFF header"),
            1007,
            "Unsupported audio format.",
        ),
        (
            audio(RID, Some("audio/x-wav"), &riff(8_000, 1)),
            1007,
            "Unsupported audio format.",
        ),
        (
            audio(RID, Some("audio/x-wav"), &riff(16_000, 2)),
            1007,
            "Unsupported audio format.",
        ),
    ];
    for (message, code, reason) in cases {
        let mut s = connect(&emu);
        let shown = format!("{message:?}");
        s.send(message).unwrap();
        assert_eq!(
            close_of(&mut s),
            (code, reason.to_owned()),
            "{}",
            &shown[..shown.len().min(120)]
        );
    }
    // A text frame that is not UTF-8: the WebSocket layer closes (1007); the emulator keeps serving.
    let mut s = connect(&emu);
    let frame = Frame::message(vec![0xff, 0xfe, 0x0d, 0x0a], OpCode::Data(Data::Text), true);
    s.send(Message::Frame(frame)).unwrap();
    assert_eq!(
        close_of(&mut s),
        (1007, "Text message decoding into UTF-8 failed.".to_owned())
    );
    // A message over the 1 MiB cap.
    let mut s = connect(&emu);
    s.send(text("speech.context", Some(RID), &"a".repeat(2 << 20)))
        .unwrap();
    assert_eq!(close_of(&mut s), (1009, "Message is too large.".to_owned()));
    // Unknown paths are ignored: the connection goes on.
    let mut s = connect(&emu);
    s.send(text("speech.agent", Some(RID), "{}")).unwrap();
    s.send(text("telemetry", Some(RID), "{}")).unwrap();
    s.send(text("speech.config", None, "{}")).unwrap();
    s.send(text("speech.context", Some(RID), "{}")).unwrap();
    s.send(audio(RID, Some("audio/x-wav"), &riff(16_000, 1)))
        .unwrap();
    let (path, id, _) = service_message(&s.read().unwrap());
    assert_eq!((path.as_str(), id.as_str()), ("turn.start", RID));
}

trait MapPrefix {
    fn map_prefix(self, declared: u16) -> Message;
}

impl MapPrefix for Message {
    /// The same binary message with another header length.
    fn map_prefix(self, declared: u16) -> Message {
        let Message::Binary(b) = self else {
            unreachable!()
        };
        let mut b = b.to_vec();
        b[..2].copy_from_slice(&declared.to_be_bytes());
        Message::Binary(b.into())
    }
}

#[test]
fn a_turn_in_order_then_another_on_the_same_connection() {
    let emu = start(builder());
    let mut s = connect(&emu);
    let samples = spoken();
    s.send(text(
        "speech.config",
        None,
        r#"{"context":{"system":{"name":"test"}}}"#,
    ))
    .unwrap();
    for (id, samples) in [(RID, &samples[..]), (RID2, &samples[..samples.len() / 2])] {
        s.send(text(
            "speech.context",
            Some(id),
            r#"{"phraseDetection":{"mode":"Conversation","language":"en-US"}}"#,
        ))
        .unwrap();
        s.send(audio(id, Some("audio/x-wav"), &riff(16_000, 1)))
            .unwrap();
        for piece in samples.chunks(1_600) {
            s.send(audio(id, None, &pcm(piece))).unwrap();
        }
        s.send(audio(id, None, &[])).unwrap();
        let turn = read_turn(&mut s);
        let paths: Vec<&str> = turn.iter().map(|(p, _, _)| p.as_str()).collect();
        assert!(turn.iter().all(|(_, rid, _)| rid == id), "{turn:?}");
        assert_eq!(paths.first(), Some(&"turn.start"), "{paths:?}");
        assert_eq!(
            &paths[paths.len() - 2..],
            ["speech.endDetected", "turn.end"],
            "{paths:?}"
        );
        let phrases: Vec<&Value> = turn
            .iter()
            .filter(|(p, _, _)| p == "speech.phrase")
            .map(|(_, _, b)| b)
            .collect();
        assert!(!phrases.is_empty(), "{paths:?}");
        // Each phrase follows a startDetected; offsets are from the turn's start, in ticks.
        let first = paths.iter().position(|p| *p == "speech.phrase").unwrap();
        assert!(
            paths[..first].contains(&"speech.startDetected"),
            "{paths:?}"
        );
        let offset = phrases[0]["Offset"].as_u64().unwrap();
        assert!(
            (3_000_000..6_000_000).contains(&offset),
            "the first sentence starts at 0.4 s: {offset}"
        );
        assert_eq!(phrases[0]["RecognitionStatus"], "Success");
    }
    // The first turn's id may not come back.
    s.send(audio(RID, None, &pcm(&[0; 160]))).unwrap();
    assert_eq!(
        close_of(&mut s),
        (
            1002,
            "Invalid request. Reuse of request identifiers is not allowed.".to_owned()
        )
    );
}

#[test]
fn initial_silence_ends_an_interactive_turn() {
    let emu = start(
        builder().initial_silence_timeout(RecognitionMode::Interactive, Duration::from_secs(2)),
    );
    let mut s = open(
        &emu,
        "/speech/recognition/interactive/cognitiveservices/v1?language=en-US",
        &[("Ocp-Apim-Subscription-Key", KEY), ("X-ConnectionId", CONN)],
    )
    .unwrap();
    s.send(text("speech.context", Some(RID), "{}")).unwrap();
    s.send(audio(RID, Some("audio/x-wav"), &riff(16_000, 1)))
        .unwrap();
    for _ in 0..30 {
        s.send(audio(RID, None, &pcm(&[0; 1_600]))).unwrap();
    }
    let turn = read_turn(&mut s);
    let phrase = turn
        .iter()
        .find(|(p, _, _)| p == "speech.phrase")
        .expect("a phrase");
    assert_eq!(phrase.2["RecognitionStatus"], "InitialSilenceTimeout");
    assert_eq!(phrase.2["Offset"], 0);
}

#[test]
fn connections_end_at_their_lifetime_and_when_idle() {
    let emu = start(builder().stream_connection_lifetime(Duration::from_millis(400)));
    let mut s = connect(&emu);
    assert_eq!(
        close_of(&mut s),
        (1000, "Connection lifetime exceeded.".to_owned())
    );
    let emu = start(builder().stream_idle_timeout(Duration::from_millis(300)));
    let mut s = connect(&emu);
    assert_eq!(close_of(&mut s), (1000, "Idle timeout.".to_owned()));
}
