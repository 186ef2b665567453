//! The streaming session on virtual time against a simulated service that speaks the wire protocol (frames
//! encoded and decoded by the codec, as a real connection would carry them): turns, absolute offsets across turns
//! and connections, reconnects mid-turn with replay (no phrase lost or repeated), the connection's lifetime,
//! handshake statuses and close codes, pacing, hostile frames.
//!
//! The audio is synthetic: phrases are runs of a constant non-zero sample value (the phrase's number), separated
//! by silence; the simulated service "recognizes" a run as `phrase <value>` with exact offsets.

use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};
use proptest::prelude::*;
use speech_proto::stt::stream::frame::{
    decode_binary, decode_text, encode_service_text, Timestamp,
};
use speech_proto::stt::stream::{
    Action, ConnectFailure, EndReason, Pacing, ReconnectReason, StreamEvent, StreamRequest,
    StreamSession, StreamSettings,
};
use speech_proto::{Endpoint, Error, ErrorKind, StreamError};

const SR: usize = 16_000;
const MS: usize = SR / 1000;

/// Audio: for each `(value, speech_ms, pause_ms)`, `speech_ms` of samples equal to `value`, then `pause_ms` of
/// zeros. Returns the PCM bytes and the truth: (value, start_ms, end_ms).
fn audio(phrases: &[(i16, usize, usize)]) -> (Vec<u8>, Vec<(i16, usize, usize)>) {
    let mut samples = Vec::new();
    let mut truth = Vec::new();
    for &(value, speech, pause) in phrases {
        let start = samples.len() / MS;
        samples.extend(std::iter::repeat_n(value, speech * MS));
        truth.push((value, start, start + speech));
        samples.extend(std::iter::repeat_n(0i16, pause * MS));
    }
    (
        samples.iter().flat_map(|s| s.to_le_bytes()).collect(),
        truth,
    )
}

/// The simulated service, one connection at a time.
#[derive(Default)]
struct Service {
    /// The current turn's id and its samples since its RIFF header.
    turn: Option<String>,
    samples: Vec<i16>,
    /// Where the open phrase (a run of one value) began, in samples of this turn, and where the last phrase ended.
    scanned: usize,
    /// Audio bytes received on this connection; the connection is dropped past `drop_after` (bytes).
    received: usize,
    drop_after: Option<usize>,
    /// Messages to the client.
    out: Vec<String>,
    /// Every audio chunk's `X-RequestId` and whether a `Content-Type` came with the RIFF header.
    header_content_types: Vec<Option<String>>,
    end_of_audio: usize,
    hypotheses: bool,
}

impl Service {
    fn send(&mut self, path: &str, body: String) {
        let id = self.turn.clone().unwrap_or_default();
        self.out.push(encode_service_text(path, &id, &body));
    }

    /// Emit phrases for runs that are followed by 200 ms of silence (or all of them at the end).
    fn scan(&mut self, final_: bool) {
        let s = &self.samples;
        let mut i = self.scanned;
        let mut phrases = Vec::new();
        while i < s.len() {
            if s[i] == 0 {
                i += 1;
                continue;
            }
            let value = s[i];
            let start = i;
            let mut end = i;
            while end < s.len() && s[end] == value {
                end += 1;
            }
            let closed = end + 200 * MS <= s.len() || (final_ && end <= s.len());
            if !closed {
                if self.hypotheses && end > start {
                    phrases.push((value, start, end, false));
                }
                break;
            }
            phrases.push((value, start, end, true));
            i = end;
            self.scanned = end;
        }
        let ticks = |samples: usize| samples as u64 * 10_000_000 / SR as u64;
        for (value, start, end, done) in phrases {
            if done {
                self.send(
                    "speech.startDetected",
                    format!(r#"{{"Offset":{}}}"#, ticks(start)),
                );
                self.send(
                    "speech.phrase",
                    format!(
                        r#"{{"RecognitionStatus":"Success","DisplayText":"phrase {value}","Offset":{},"Duration":"{}"}}"#,
                        ticks(start),
                        ticks(end - start)
                    ),
                );
            } else {
                self.send(
                    "speech.hypothesis",
                    format!(
                        r#"{{"Text":"phrase","Offset":{},"Duration":{}}}"#,
                        ticks(start),
                        ticks(end - start)
                    ),
                );
            }
        }
    }

    /// Take one client message. Returns false when the connection drops here.
    fn take(&mut self, action: &Action) -> bool {
        match action {
            Action::SendText(t) => {
                let m = decode_text(t.as_bytes()).expect("the client's text frames decode");
                assert!(m.request_id().is_some_and(|id| id.len() == 32), "{t}");
                assert!(
                    m.header("x-timestamp").is_some_and(|t| t.ends_with('Z')),
                    "{t}"
                );
                if m.path() == Some("speech.context") {
                    self.turn = m.request_id().map(str::to_owned);
                    self.samples.clear();
                    self.scanned = 0;
                }
            }
            Action::SendBinary(b) => {
                let m = decode_binary(b).expect("the client's binary frames decode");
                assert_eq!(m.path(), Some("audio"));
                assert_eq!(
                    m.request_id(),
                    self.turn.as_deref(),
                    "audio of the current turn"
                );
                if m.body.starts_with(b"RIFF") {
                    self.header_content_types
                        .push(m.content_type().map(str::to_owned));
                    self.send("turn.start", r#"{"context":{"serviceTag":"tag"}}"#.into());
                } else if m.body.is_empty() {
                    self.end_of_audio += 1;
                    self.scan(true);
                    self.send("speech.endDetected", String::new());
                    self.send("turn.end", "{}".into());
                } else {
                    assert!(m.body.len() <= 8192);
                    self.received += m.body.len();
                    self.samples.extend(
                        m.body
                            .chunks_exact(2)
                            .map(|c| i16::from_le_bytes([c[0], c[1]])),
                    );
                    self.scan(false);
                    if self.drop_after.is_some_and(|d| self.received >= d) {
                        return false;
                    }
                }
            }
            _ => {}
        }
        true
    }
}

/// Drive a session to its end on virtual time. `connect` decides each handshake's fate (`Some`: it fails so);
/// `drop_after` drops each connection after that many audio bytes.
struct Run {
    events: Vec<StreamEvent>,
    connects: usize,
    refreshes: usize,
    header_content_types: Vec<Option<String>>,
    end_of_audio: usize,
    elapsed: Duration,
}

fn drive(
    pcm: &[u8],
    request: StreamRequest,
    settings: StreamSettings,
    drop_after: Option<usize>,
    mut connect: impl FnMut(usize) -> Option<ConnectFailure>,
    feed_per_step: usize,
) -> Run {
    let start = Instant::now();
    let mut now = start;
    let endpoint = Endpoint::base_url("http://127.0.0.1:5000").unwrap();
    let mut s = StreamSession::new(endpoint, request, settings, 42).unwrap();
    let mut service: Option<Service> = None;
    let mut run = Run {
        events: Vec::new(),
        connects: 0,
        refreshes: 0,
        header_content_types: Vec::new(),
        end_of_audio: 0,
        elapsed: Duration::ZERO,
    };
    let mut fed = 0;
    for _step in 0..2_000_000 {
        // Audio arrives as a live source would: `feed_per_step` bytes per step.
        if fed < pcm.len() {
            let n = s.push_audio(&pcm[fed..(fed + feed_per_step).min(pcm.len())]);
            fed += n;
            if fed == pcm.len() {
                s.finish_audio();
            }
        }
        let mut progressed = false;
        while let Some(action) = s.poll_action(now, Timestamp(1_783_936_800_000)) {
            progressed = true;
            match &action {
                Action::Connect(req) => {
                    assert!(req.headers().contains_key("x-connectionid"));
                    assert!(!req.uri().to_string().to_ascii_lowercase().contains("key"));
                    run.connects += 1;
                    match connect(run.connects) {
                        None => {
                            let svc = Service {
                                drop_after,
                                hypotheses: true,
                                ..Service::default()
                            };
                            service = Some(svc);
                            s.handle_connected(now, Timestamp(0));
                        }
                        Some(f) => s.handle_connect_failed(now, f, 0.5),
                    }
                }
                Action::RefreshCredential => run.refreshes += 1,
                Action::Close { .. } => {
                    if let Some(svc) = service.take() {
                        run.header_content_types.extend(svc.header_content_types);
                        run.end_of_audio += svc.end_of_audio;
                    }
                }
                Action::SendText(_) | Action::SendBinary(_) => {
                    let svc = service.as_mut().expect("messages go on an open connection");
                    if !svc.take(&action) {
                        let svc = service.take().unwrap();
                        run.header_content_types.extend(svc.header_content_types);
                        run.end_of_audio += svc.end_of_audio;
                        s.handle_closed(now, Some((1000, "connection lifetime".into())), 0.5);
                        continue;
                    }
                    for frame in std::mem::take(&mut svc.out) {
                        s.handle_text(now, frame.as_bytes(), 0.5);
                    }
                }
                _ => {}
            }
        }
        while let Some(e) = s.poll_event() {
            run.events.push(e);
        }
        if s.is_ended() {
            run.elapsed = now - start;
            return run;
        }
        // Advance time: to the next timeout, or by 10 ms when waiting for audio.
        let next = s
            .poll_timeout()
            .map_or(now + Duration::from_millis(10), |t| t.max(now));
        now = if fed < pcm.len() {
            (now + Duration::from_millis(10)).min(next.max(now + Duration::from_millis(1)))
        } else if progressed {
            now
        } else {
            next.max(now + Duration::from_millis(1))
        };
        s.handle_timeout(now, 0.5);
    }
    panic!("the session did not end; events so far: {:?}", run.events);
}

/// The phrases of a run: (text, offset ms, duration ms).
fn phrases(run: &Run) -> Vec<(String, u128, u128)> {
    run.events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Phrase(r) => Some((
                r.display_text.clone().unwrap_or_default(),
                r.offset().unwrap().as_millis(),
                r.duration().unwrap().as_millis(),
            )),
            _ => None,
        })
        .collect()
}

fn expected(truth: &[(i16, usize, usize)]) -> Vec<(String, u128, u128)> {
    truth
        .iter()
        .map(|&(v, s, e)| (format!("phrase {v}"), s as u128, (e - s) as u128))
        .collect()
}

fn ended(run: &Run) -> &EndReason {
    match run.events.last() {
        Some(StreamEvent::SessionEnded(r)) => r,
        other => panic!("the last event is {other:?}"),
    }
}

fn unpaced() -> StreamSettings {
    let mut s = StreamSettings::default();
    s.pacing = Pacing::unlimited();
    s
}

#[test]
fn every_phrase_once_with_absolute_offsets_and_hypotheses_first() {
    let (pcm, truth) = audio(&[(1, 800, 500), (2, 1200, 700), (3, 500, 400)]);
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        unpaced(),
        None,
        |_| None,
        3200,
    );
    assert_eq!(phrases(&run), expected(&truth));
    assert_eq!(ended(&run), &EndReason::EndOfAudio);
    assert_eq!(run.connects, 1);
    assert_eq!(run.end_of_audio, 1);
    // The turn's RIFF header carried Content-Type: audio/x-wav.
    assert_eq!(run.header_content_types, [Some("audio/x-wav".to_owned())]);
    // Order: connected, turn started, a hypothesis before the first phrase, …, turn ended, session ended.
    assert!(matches!(run.events[0], StreamEvent::Connected { .. }));
    assert!(matches!(run.events[1], StreamEvent::TurnStarted { .. }));
    let first_hypothesis = run
        .events
        .iter()
        .position(|e| matches!(e, StreamEvent::Hypothesis { .. }))
        .unwrap();
    let first_phrase = run
        .events
        .iter()
        .position(|e| matches!(e, StreamEvent::Phrase(_)))
        .unwrap();
    assert!(first_hypothesis < first_phrase);
    assert!(matches!(
        run.events[run.events.len() - 2],
        StreamEvent::TurnEnded
    ));
}

#[test]
fn connections_dropped_mid_turn_lose_and_repeat_nothing() {
    // 20 phrases; every connection is dropped after 2.5 s of audio, mid-phrase or mid-pause.
    let spec: Vec<(i16, usize, usize)> = (1..=20)
        .map(|v| (v, 400 + 37 * v as usize, 300 + 11 * v as usize))
        .collect();
    let (pcm, truth) = audio(&spec);
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        unpaced(),
        Some(2500 * MS * 2),
        |_| None,
        3200,
    );
    assert_eq!(phrases(&run), expected(&truth));
    assert_eq!(ended(&run), &EndReason::EndOfAudio);
    assert!(run.connects >= 8, "{} connections", run.connects);
    let reconnects = run
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                StreamEvent::Reconnecting {
                    reason: ReconnectReason::Lost(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(reconnects, run.connects - 1);
}

#[test]
fn the_connection_lifetime_moves_to_a_new_connection_at_a_pause() {
    // Real-time pacing, 30 s connections, 100 s of audio.
    let spec: Vec<(i16, usize, usize)> = (1..=40).map(|v| (v, 1500, 1000)).collect();
    let (pcm, truth) = audio(&spec);
    let mut settings = StreamSettings::default();
    settings.pacing = Pacing::realtime();
    settings.connection_lifetime = Duration::from_secs(30);
    // A live source: 10 ms of audio per 10 ms step.
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        settings,
        None,
        |_| None,
        10 * MS * 2,
    );
    assert_eq!(phrases(&run), expected(&truth));
    let rotations = run
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                StreamEvent::Reconnecting {
                    reason: ReconnectReason::Lifetime,
                    ..
                }
            )
        })
        .count();
    assert_eq!(rotations, 3, "100 s on 30 s connections");
    assert_eq!(run.connects, 4);
    // Paced at 1× (the audio arrives at 1× too; what a reconnect replays goes up at once): the session took
    // about as long as the audio.
    let audio_len = Duration::from_millis((pcm.len() / 2 / MS) as u64);
    assert!(
        run.elapsed + Duration::from_millis(100) >= audio_len
            && run.elapsed < audio_len + Duration::from_secs(3),
        "{:?}",
        run.elapsed
    );
}

#[test]
fn handshake_statuses() {
    let (pcm, truth) = audio(&[(1, 500, 300)]);
    let status = |code: u16| ConnectFailure::Status {
        status: StatusCode::from_u16(code).unwrap(),
        headers: HeaderMap::new(),
        body: Vec::new(),
    };
    // 401 once: the credential is refreshed and the next handshake succeeds.
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        unpaced(),
        None,
        |n| if n == 1 { Some(status(401)) } else { None },
        3200,
    );
    assert_eq!(phrases(&run), expected(&truth));
    assert_eq!((run.connects, run.refreshes), (2, 1));
    // 401 twice: an auth error with the hint.
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        unpaced(),
        None,
        |_| Some(status(401)),
        3200,
    );
    let EndReason::Error(e) = ended(&run) else {
        panic!()
    };
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.hint().is_some());
    // 503 three times, then a connection: backoff, then the phrases.
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        unpaced(),
        None,
        |n| if n <= 3 { Some(status(503)) } else { None },
        3200,
    );
    assert_eq!(phrases(&run), expected(&truth));
    assert!(
        run.elapsed >= Duration::from_millis(500),
        "{:?}",
        run.elapsed
    );
    // 400 and 404: at once, with a hint naming the fix.
    for code in [400, 404] {
        let run = drive(
            &pcm,
            StreamRequest::new("en-US"),
            unpaced(),
            None,
            |_| Some(status(code)),
            3200,
        );
        let EndReason::Error(e) = ended(&run) else {
            panic!()
        };
        assert_eq!(e.status().map(|s| s.as_u16()), Some(code));
        assert!(e.hint().is_some(), "{code}");
        assert_eq!(run.connects, 1);
    }
    // Always 503: gives up after the attempts.
    let run = drive(
        &pcm,
        StreamRequest::new("en-US"),
        unpaced(),
        None,
        |_| Some(status(503)),
        3200,
    );
    let EndReason::Error(e) = ended(&run) else {
        panic!()
    };
    assert_eq!(e.kind(), ErrorKind::Service);
    assert_eq!(run.connects, 5);
}

#[test]
fn close_codes_are_typed_errors_with_hints() {
    for (code, reason, retry, kind) in [
        (1000, "", true, ErrorKind::Network),
        (
            1002,
            "Missing/Empty header. X-RequestId",
            false,
            ErrorKind::Usage,
        ),
        (1003, "", false, ErrorKind::Usage),
        (1006, "", true, ErrorKind::Network),
        (
            1007,
            "Unsupported audio format.",
            false,
            ErrorKind::InvalidInput,
        ),
        (
            1007,
            "Throttled due to too many requests",
            true,
            ErrorKind::Throttled,
        ),
        (
            1007,
            "Quota exceeded. Cid:  SessionId: x",
            true,
            ErrorKind::Throttled,
        ),
        (1011, "", true, ErrorKind::Service),
        (1013, "ResourceExhausted", true, ErrorKind::Throttled),
        (4000, "", false, ErrorKind::Usage),
        (4429, "The request is throttled", true, ErrorKind::Throttled),
    ] {
        let e: Error = StreamError::Closed {
            code,
            reason: reason.into(),
        }
        .into();
        assert_eq!(e.is_retryable(), retry, "{code} {reason}");
        assert_eq!(e.kind(), kind, "{code} {reason}");
        if code != 1000 {
            assert!(e.hint().is_some(), "{code}");
        }
        assert!(e.to_string().contains(&code.to_string()));
    }
}

#[test]
fn a_fatal_close_ends_the_session_and_hostile_frames_never_panic() {
    let endpoint = Endpoint::base_url("http://127.0.0.1:5000").unwrap();
    let now = Instant::now();
    let mut s =
        StreamSession::new(endpoint.clone(), StreamRequest::new("en-US"), unpaced(), 1).unwrap();
    assert!(matches!(
        s.poll_action(now, Timestamp(0)),
        Some(Action::Connect(_))
    ));
    s.handle_connected(now, Timestamp(0));
    while s.poll_action(now, Timestamp(0)).is_some() {}
    s.handle_closed(now, Some((1007, "Unsupported audio format.".into())), 0.5);
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let Some(StreamEvent::SessionEnded(EndReason::Error(e))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(s.is_ended());

    // Hostile frames: each is ignored (another turn, unknown path) or drops the connection to reconnect.
    let mut s = StreamSession::new(endpoint, StreamRequest::new("en-US"), unpaced(), 2).unwrap();
    let _ = s.poll_action(now, Timestamp(0));
    s.handle_connected(now, Timestamp(0));
    while s.poll_action(now, Timestamp(0)).is_some() {}
    let hostile: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"Path: turn.start\r\nno separator".to_vec(),
        format!("Path: x\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000)).into_bytes(),
        b"Path: turn.start\r\n\xff\xfe\r\n\r\n".to_vec(),
        b"X-RequestId: 00\r\nPath: no.such.path\r\n\r\n{".to_vec(),
        b"Path: speech.phrase\r\n\r\n{}".to_vec(), // no X-RequestId: not for this turn
        b"X-RequestId: FFFF\r\nPath: speech.phrase\r\n\r\n{}".to_vec(),
    ];
    for f in &hostile {
        s.handle_text(now, f, 0.5);
        s.handle_binary(now, f, 0.5);
    }
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        events.iter().all(|e| !matches!(e, StreamEvent::Phrase(_))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::Reconnecting { .. })),
        "{events:?}"
    );
}

#[test]
fn interactive_mode_ends_after_one_phrase() {
    let (pcm, truth) = audio(&[(7, 600, 400), (8, 600, 400)]);
    let request = StreamRequest::new("en-US").mode(speech_proto::stt::short::Mode::Interactive);
    let run = drive(&pcm, request, unpaced(), None, |_| None, pcm.len());
    assert_eq!(ended(&run), &EndReason::SingleShot);
    assert_eq!(phrases(&run)[0], expected(&truth)[0]);
}

#[test]
fn a_silent_service_counts_as_a_broken_connection() {
    let endpoint = Endpoint::base_url("http://127.0.0.1:5000").unwrap();
    let t0 = Instant::now();
    let mut s = StreamSession::new(endpoint, StreamRequest::new("en-US"), unpaced(), 3).unwrap();
    s.push_audio(&[1; 6400]);
    let _ = s.poll_action(t0, Timestamp(0));
    s.handle_connected(t0, Timestamp(0));
    while s.poll_action(t0, Timestamp(0)).is_some() {}
    // Audio went up, and no turn.start came back.
    let deadline = s
        .poll_timeout()
        .expect("a deadline for the service's answer");
    assert_eq!(deadline, t0 + Duration::from_secs(30));
    s.handle_timeout(deadline, 0.5);
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            StreamEvent::Reconnecting {
                reason: ReconnectReason::Lost(Error::Stream(StreamError::ServiceSilent { .. })),
                ..
            }
        )),
        "{events:?}"
    );
    assert!(matches!(
        s.poll_action(deadline, Timestamp(0)),
        Some(Action::Close { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the phrases, the feeding and where connections drop: every phrase exactly once, in order, at its
    /// offset.
    #[test]
    fn no_phrase_lost_or_repeated(
        spec in prop::collection::vec((1i16..500, 200usize..1500, 250usize..900), 1..12),
        drop_ms in prop::option::of(3200usize..6000),
        feed in prop::sample::select(vec![320usize, 3200, 64_000]),
    ) {
        let (pcm, truth) = audio(&spec);
        let run = drive(&pcm, StreamRequest::new("en-US"), unpaced(), drop_ms.map(|d| d * MS * 2), |_| None, feed);
        prop_assert_eq!(phrases(&run), expected(&truth));
        prop_assert_eq!(ended(&run), &EndReason::EndOfAudio);
    }
}
