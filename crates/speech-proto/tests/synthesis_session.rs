//! The synthesis session (`speech_proto::tts::stream::SynthesisSession`) driven by hand: scripted service frames,
//! closes, handshake failures and timeouts, at instants the test chooses.

use std::time::{Duration, Instant};

use http::StatusCode;
use speech_proto::stt::stream::frame::{decode_text, encode_binary, encode_text, Timestamp};
use speech_proto::tts::stream::{
    BoundaryKind, SpeakRequest, SynthesisEvent, SynthesisSession, SynthesisSettings,
};
use speech_proto::ws::{Action, ConnectFailure};
use speech_proto::{Endpoint, Error, NoAnswer, StreamError};

const T: Timestamp = Timestamp(0);

fn session() -> (SynthesisSession, Instant) {
    let ep = Endpoint::base_url("http://127.0.0.1:9").unwrap();
    (
        SynthesisSession::new(ep, SynthesisSettings::default(), 7),
        Instant::now(),
    )
}

fn text_frame(path: &str, id: &str, body: &str) -> Vec<u8> {
    encode_text(path, id, T, Some("application/json"), body).into_bytes()
}

fn audio_frame(id: &str, stream: &str, pcm: &[u8]) -> Vec<u8> {
    encode_binary("audio", id, T, None, &[("X-StreamId", stream)], pcm)
}

fn drain(s: &mut SynthesisSession, now: Instant) -> Vec<Action> {
    std::iter::from_fn(|| s.poll_action(now, T)).collect()
}

fn events(s: &mut SynthesisSession) -> Vec<SynthesisEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Connects and returns the request id of the synthesis sent.
fn connect_and_send(s: &mut SynthesisSession, now: Instant, expect_config: bool) -> String {
    let actions = drain(s, now);
    let start = if let [Action::Connect(req)] = actions.as_slice() {
        assert!(req
            .uri()
            .path()
            .ends_with("/tts/cognitiveservices/websocket/v1"));
        s.handle_connected(now, T);
        drain(s, now)
    } else {
        actions
    };
    let texts: Vec<String> = start
        .into_iter()
        .map(|a| match a {
            Action::SendText(t) => t,
            other => panic!("{other:?}"),
        })
        .collect();
    let paths: Vec<&str> = texts
        .iter()
        .map(|t| t.lines().next().unwrap().trim_start_matches("Path: "))
        .collect();
    if expect_config {
        assert_eq!(paths, ["speech.config", "synthesis.context", "ssml"]);
    } else {
        assert_eq!(paths, ["synthesis.context", "ssml"]);
    }
    let m = decode_text(texts.last().unwrap().as_bytes()).unwrap();
    m.request_id().unwrap().to_owned()
}

fn metadata(entries: &str) -> String {
    format!("{{\"Metadata\":[{entries}]}}")
}

#[test]
fn two_syntheses_on_one_connection_with_audio_and_events() {
    let (mut s, now) = session();
    let text = "Hello, world. Bye.";
    s.speak(SpeakRequest::text("en-US", "en-US-AvaNeural", text).unwrap())
        .unwrap();
    s.speak(
        SpeakRequest::ssml("<speak><voice name='v'>Hi <bookmark mark='m'/>there</voice></speak>")
            .unwrap(),
    )
    .unwrap();
    let id = connect_and_send(&mut s, now, true);
    s.handle_text(now, &text_frame("turn.start", &id, "{\"context\":{}}"), 0.5);
    s.handle_text(
        now,
        &text_frame(
            "response",
            &id,
            r#"{"audio":{"type":"inline","streamId":"S1"}}"#,
        ),
        0.5,
    );
    s.handle_binary(now, &audio_frame(&id, "S1", &[1, 2, 3, 4]), 0.5);
    s.handle_binary(now, &audio_frame(&id, "OTHER", &[9, 9]), 0.5);
    s.handle_binary(now, &audio_frame("0000", "S1", &[9, 9]), 0.5);
    s.handle_text(
        now,
        &text_frame(
            "audio.metadata",
            &id,
            &metadata(
                r#"{"Type":"WordBoundary","Data":{"Offset":500000,"Duration":3000000,"text":{"Text":"Hello","Length":5,"BoundaryType":"WordBoundary"}}},
                   {"Type":"WordBoundary","Data":{"Offset":3500000,"Duration":100000,"text":{"Text":",","Length":1,"BoundaryType":"PunctuationBoundary"}}},
                   {"Type":"SentenceBoundary","Data":{"Offset":500000,"Duration":9000000,"text":{"Text":"Bye.","Length":4,"BoundaryType":"SentenceBoundary"}}},
                   {"Type":"Viseme","Data":{"Offset":600000,"VisemeId":4}},
                   {"Type":"SessionEnd","Data":{"Offset":20000000}}"#,
            ),
        ),
        0.5,
    );
    s.handle_text(now, &text_frame("turn.end", &id, "{}"), 0.5);
    let ev = events(&mut s);
    assert!(matches!(&ev[0], SynthesisEvent::Connected { .. }));
    assert_eq!(
        ev[1],
        SynthesisEvent::Started {
            request_id: id.clone()
        }
    );
    assert_eq!(ev[2], SynthesisEvent::Audio(vec![1, 2, 3, 4]));
    let SynthesisEvent::Boundary(hello) = &ev[3] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (hello.kind, hello.text_offset),
        (BoundaryKind::Word, Some(0))
    );
    assert_eq!(hello.offset, Duration::from_millis(50));
    assert_eq!(hello.duration, Duration::from_millis(300));
    let SynthesisEvent::Boundary(comma) = &ev[4] else {
        panic!()
    };
    assert_eq!(
        (comma.kind, comma.text_offset),
        (BoundaryKind::Punctuation, Some(5))
    );
    let SynthesisEvent::Boundary(bye) = &ev[5] else {
        panic!()
    };
    assert_eq!(
        (bye.kind, bye.text_offset),
        (BoundaryKind::Sentence, Some(14))
    );
    assert_eq!(
        ev[6],
        SynthesisEvent::Viseme {
            offset: Duration::from_millis(60),
            id: 4,
            animation: None
        }
    );
    assert_eq!(
        ev[7],
        SynthesisEvent::Completed {
            request_id: id.clone(),
            audio_duration: Some(Duration::from_secs(2)),
            audio_bytes: 4
        }
    );
    assert_eq!(ev.len(), 8);
    // The second synthesis: same connection, no speech.config, a new request id.
    let id2 = connect_and_send(&mut s, now, false);
    assert_ne!(id, id2);
    s.handle_text(now, &text_frame("turn.start", &id2, "{}"), 0.5);
    s.handle_text(
        now,
        &text_frame(
            "audio.metadata",
            &id2,
            &metadata(r#"{"Type":"WordBoundary","Data":{"Offset":1,"Duration":1,"text":{"Text":"there","Length":5,"BoundaryType":"WordBoundary"}}},
                         {"Type":"Bookmark","Data":{"Offset":2,"Bookmark":"m"}}"#),
        ),
        0.5,
    );
    // Audio after `response` named stream S1 on this connection still needs that stream id.
    s.handle_binary(now, &audio_frame(&id2, "S1", &[5, 6]), 0.5);
    s.handle_text(now, &text_frame("turn.end", &id2, "{}"), 0.5);
    let ev = events(&mut s);
    let SynthesisEvent::Boundary(there) = &ev[1] else {
        panic!("{ev:?}")
    };
    let ssml = "<speak><voice name='v'>Hi <bookmark mark='m'/>there</voice></speak>";
    assert_eq!(there.text_offset, ssml.find("there"));
    assert_eq!(
        ev[2],
        SynthesisEvent::Bookmark {
            offset: Duration::from_nanos(200),
            name: "m".to_owned()
        }
    );
    assert_eq!(ev[3], SynthesisEvent::Audio(vec![5, 6]));
    assert!(matches!(
        ev[4],
        SynthesisEvent::Completed { audio_bytes: 2, .. }
    ));
    assert_eq!(s.connections(), 1);
    // Closing: the connection is closed and the session ends.
    s.close();
    assert!(matches!(
        drain(&mut s, now).as_slice(),
        [Action::Close { code: 1000, .. }]
    ));
    assert!(s.is_ended());
    assert!(s.speak(SpeakRequest::ssml("<speak/>").unwrap()).is_err());
}

#[test]
fn a_refused_ssml_fails_that_synthesis_and_the_next_reconnects() {
    let (mut s, now) = session();
    s.speak(SpeakRequest::ssml("<speak>a & b</speak>").unwrap())
        .unwrap();
    s.speak(SpeakRequest::ssml("<speak>ok</speak>").unwrap())
        .unwrap();
    let _ = connect_and_send(&mut s, now, true);
    s.handle_closed(
        now,
        Some((
            1007,
            "Invalid char '&' at position 8 found in SSML.".to_owned(),
        )),
        0.5,
    );
    let ev = events(&mut s);
    let SynthesisEvent::Failed(e) = ev.last().unwrap() else {
        panic!("{ev:?}")
    };
    assert!(
        matches!(e, Error::Stream(StreamError::SynthesisRefused { reason }) if reason.contains("position 8"))
    );
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("position 8"), "{e}");
    // The next synthesis opens a new connection and sends speech.config again.
    let _ = connect_and_send(&mut s, now, true);
    assert_eq!(s.connections(), 2);
}

#[test]
fn a_drop_before_audio_retries_with_a_new_id_and_after_audio_fails() {
    let (mut s, now) = session();
    s.speak(SpeakRequest::ssml("<speak>one</speak>").unwrap())
        .unwrap();
    let id = connect_and_send(&mut s, now, true);
    s.handle_closed(now, None, 0.0);
    let ev = events(&mut s);
    let SynthesisEvent::Reconnecting { after, .. } = ev.last().unwrap() else {
        panic!("{ev:?}")
    };
    let later = now + *after;
    assert!(drain(&mut s, now).is_empty(), "waits for the backoff");
    let id2 = connect_and_send(&mut s, later, true);
    assert_ne!(id, id2);
    s.handle_text(later, &text_frame("turn.start", &id2, "{}"), 0.5);
    s.handle_binary(later, &audio_frame(&id2, "x", &[1, 2]), 0.5);
    s.handle_closed(later, None, 0.5);
    let ev = events(&mut s);
    let SynthesisEvent::Failed(e) = ev.last().unwrap() else {
        panic!("{ev:?}")
    };
    assert!(matches!(
        e,
        Error::Stream(StreamError::Closed { code: 1006, .. })
    ));
    assert!(!s.is_busy());
}

#[test]
fn silence_times_out_and_handshake_statuses_are_typed() {
    let (mut s, now) = session();
    s.speak(SpeakRequest::ssml("<speak>one</speak>").unwrap())
        .unwrap();
    let _ = connect_and_send(&mut s, now, true);
    let due = s.poll_timeout().unwrap();
    assert_eq!(due, now + Duration::from_secs(30));
    s.handle_timeout(due, 0.0);
    assert!(matches!(
        drain(&mut s, due).first(),
        Some(Action::Close { .. })
    ));
    assert!(matches!(
        events(&mut s).last(),
        Some(SynthesisEvent::Reconnecting {
            reason: Error::Stream(StreamError::ServiceSilent { .. }),
            ..
        })
    ));
    // 401: one fresh credential, then the failure.
    let (mut s, now) = session();
    s.speak(SpeakRequest::ssml("<speak>one</speak>").unwrap())
        .unwrap();
    let status = |code: u16| ConnectFailure::Status {
        status: StatusCode::from_u16(code).unwrap(),
        headers: http::HeaderMap::new(),
        body: Vec::new(),
    };
    assert!(matches!(
        drain(&mut s, now).as_slice(),
        [Action::Connect(_)]
    ));
    s.handle_connect_failed(now, status(401), 0.0);
    assert!(matches!(
        drain(&mut s, now).as_slice(),
        [Action::RefreshCredential, Action::Connect(_)]
    ));
    s.handle_connect_failed(now, status(401), 0.0);
    let ev = events(&mut s);
    assert!(
        matches!(ev.last(), Some(SynthesisEvent::Failed(e)) if e.kind() == speech_proto::ErrorKind::Auth),
        "{ev:?}"
    );
    // A refused connection is retried, then fails.
    s.speak(SpeakRequest::ssml("<speak>two</speak>").unwrap())
        .unwrap();
    let uri: http::Uri = "ws://127.0.0.1:9/".parse().unwrap();
    let mut at = now;
    for _ in 0..3 {
        assert!(matches!(drain(&mut s, at).as_slice(), [Action::Connect(_)]));
        s.handle_connect_failed(
            at,
            ConnectFailure::Transport(NoAnswer::new(
                speech_proto::TransportFailure::Connect,
                &uri,
                "refused".to_owned(),
            )),
            0.0,
        );
        at += Duration::from_secs(60);
    }
    assert!(matches!(
        events(&mut s).last(),
        Some(SynthesisEvent::Failed(Error::Transport(_)))
    ));
}

#[test]
fn hostile_frames_never_panic_and_break_the_connection() {
    let (mut s, now) = session();
    s.speak(SpeakRequest::ssml("<speak>one</speak>").unwrap())
        .unwrap();
    let id = connect_and_send(&mut s, now, true);
    s.handle_text(now, &text_frame("audio.metadata", "FFFF", "not json"), 0.5);
    s.handle_binary(now, &[0xff], 0.5);
    assert!(s.is_busy());
    s.handle_text(now, &text_frame("audio.metadata", &id, "not json"), 0.5);
    assert!(matches!(
        drain(&mut s, now).first(),
        Some(Action::Close { code: 1002, .. })
    ));
    assert!(matches!(
        events(&mut s).last(),
        Some(SynthesisEvent::Reconnecting { .. })
    ));
}

#[test]
fn an_old_connection_is_replaced_before_the_next_synthesis() {
    let (mut s, now) = session();
    s.speak(SpeakRequest::ssml("<speak>one</speak>").unwrap())
        .unwrap();
    let id = connect_and_send(&mut s, now, true);
    s.handle_text(now, &text_frame("turn.end", &id, "{}"), 0.5);
    let later = now + Duration::from_secs(10 * 60);
    s.speak(SpeakRequest::ssml("<speak>two</speak>").unwrap())
        .unwrap();
    assert!(matches!(
        drain(&mut s, later).as_slice(),
        [Action::Close { code: 1000, .. }, Action::Connect(_)]
    ));
}
