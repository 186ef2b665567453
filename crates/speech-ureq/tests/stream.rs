//! Streaming recognition over loopback WebSocket against the emulator (its deterministic recognizer: these tests
//! are about the protocol; the real engine's accuracy is the CLI's test): phrases at each pause with absolute
//! offsets, hypotheses before them, reconnects forced by the connection's lifetime with no phrase lost or
//! repeated and the token renewed, handshake refusals as typed errors.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;
use speech_emulator::fixtures::{speak, Spoken};
use speech_emulator::EmulatorHandle;
use speech_ureq::speech_proto::stt::short::RecognitionStatus;
use speech_ureq::speech_proto::stt::stream::{
    EndReason, Pacing, ReconnectReason, StreamEvent, StreamRequest, StreamSettings,
};
use speech_ureq::Client;

fn sentences(n: usize) -> Spoken {
    const TEXT: [&str; 6] = [
        "Good morning everyone.",
        "Let us begin the meeting.",
        "The weather is fine today.",
        "Please open the window.",
        "We will meet again tomorrow.",
        "Thank you for coming.",
    ];
    let script: Vec<(Duration, &str)> = (0..n)
        .map(|i| {
            (
                Duration::from_millis(if i == 0 { 600 } else { 1_300 }),
                TEXT[i % TEXT.len()],
            )
        })
        .collect();
    speak(&script).unwrap_or_else(|e| panic!("{e}"))
}

fn pcm(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Stream `audio` (written in 100 ms pieces from another thread) and collect the events.
fn run(client: &Client, audio: Vec<u8>, settings: StreamSettings) -> Vec<StreamEvent> {
    let (mut writer, events) = client
        .listen(StreamRequest::new("en-US"), settings)
        .expect("listen");
    let feeder = std::thread::spawn(move || {
        for piece in audio.chunks(3_200) {
            if writer.write_all(piece).is_err() {
                return;
            }
        }
        writer.finish();
    });
    let events: Vec<StreamEvent> = events.collect();
    feeder.join().expect("feeder");
    events
}

fn phrases(events: &[StreamEvent]) -> Vec<(Duration, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Phrase(p) if p.status == Some(RecognitionStatus::Success) => Some((
                p.offset().unwrap_or_default(),
                p.display_text.clone().unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

fn end_reason(events: &[StreamEvent]) -> &EndReason {
    match events.last() {
        Some(StreamEvent::SessionEnded(r)) => r,
        other => panic!("the last event is {other:?}"),
    }
}

/// Every sentence once, at its place (within 0.5 s).
fn assert_sentences(events: &[StreamEvent], spoken: &Spoken) {
    let got = phrases(events);
    let offsets: Vec<Duration> = got.iter().map(|(o, _)| *o).collect();
    assert_eq!(
        got.len(),
        spoken.starts.len(),
        "{got:?} for sentences at {:?}",
        spoken.starts
    );
    for (o, truth) in offsets.iter().zip(&spoken.starts) {
        let diff = if o > truth { *o - *truth } else { *truth - *o };
        assert!(
            diff <= Duration::from_millis(500),
            "a phrase at {o:?}, the sentence at {truth:?}"
        );
    }
}

fn unpaced() -> StreamSettings {
    let mut s = StreamSettings::default();
    s.pacing = Pacing::unlimited();
    s
}

#[test]
fn phrases_at_each_pause_with_hypotheses_first() {
    let emu = emulator();
    let spoken = sentences(3);
    let events = run(&client(&emu), pcm(&spoken.samples), unpaced());
    assert_eq!(end_reason(&events), &EndReason::EndOfAudio, "{events:?}");
    assert_sentences(&events, &spoken);
    let first_hypothesis = events
        .iter()
        .position(|e| matches!(e, StreamEvent::Hypothesis { .. }));
    let first_phrase = events
        .iter()
        .position(|e| matches!(e, StreamEvent::Phrase(_)));
    assert!(
        first_hypothesis.is_some() && first_hypothesis < first_phrase,
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Connected { .. }))
            .count(),
        1
    );
    // One handshake, on the v2 path, answered 101; the key went in a header, not the URL.
    let handshakes = seen(&emu, "/speech/universal/v2");
    assert_eq!(handshakes.len(), 1);
    assert_eq!(handshakes[0].status, Some(101));
    let query = handshakes[0]
        .query
        .clone()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        !query.contains("key") && query.contains("language=en-us"),
        "{query}"
    );
}

/// Connections that live 4 s (the service's ~10 minutes, shortened) while 20 s of audio are streamed at real
/// time: the session reconnects each time, replays what no phrase covered, and every sentence comes once. The
/// STS tokens live 6 s: each reconnect is authorized with a token that is still valid.
#[test]
fn short_connection_lifetimes_lose_and_repeat_no_phrase() {
    let emu: EmulatorHandle = emulator_builder()
        .stream_connection_lifetime(Duration::from_secs(4))
        .token_lifetime(Duration::from_secs(6))
        .start_blocking()
        .expect("emulator");
    let spoken = sentences(8);
    let mut settings = StreamSettings::default();
    settings.pacing = Pacing::realtime();
    let client = client(&emu);
    let started = Instant::now();
    let events = run(&client, pcm(&spoken.samples), settings);
    assert_eq!(end_reason(&events), &EndReason::EndOfAudio, "{events:?}");
    assert_sentences(&events, &spoken);
    let lost = events
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
    let audio = spoken.duration();
    assert!(
        lost >= (audio.as_secs() / 4 - 1) as usize,
        "{lost} reconnects in {audio:?}"
    );
    assert!(
        started.elapsed() >= audio,
        "paced at real time: {:?}",
        started.elapsed()
    );
    // No handshake was refused: tokens were renewed before they expired.
    assert!(
        emu.requests().iter().all(|r| r.status != Some(401)),
        "a 401"
    );
    assert!(
        client.token_fetches() >= 2,
        "{} token fetches",
        client.token_fetches()
    );
}

#[test]
fn a_wrong_key_is_an_auth_error_with_a_hint() {
    let emu = emulator();
    let client = Client::builder(
        speech_ureq::speech_proto::Endpoint::base_url(emu.base_url()).expect("url"),
        speech_ureq::speech_proto::Credential::key("wrong-key").expect("key"),
    )
    .auth_mode(speech_ureq::AuthMode::Key)
    .proxy_from_env(false)
    .build()
    .expect("client");
    let events = run(&client, pcm(&sentences(1).samples), unpaced());
    let EndReason::Error(e) = end_reason(&events) else {
        panic!("{events:?}")
    };
    assert_eq!(speech_ureq::speech_proto::ErrorKind::Auth, e.kind(), "{e}");
    assert!(e.hint().is_some(), "{e}");
    assert!(!e.to_string().contains("wrong-key"));
}

/// Injected faults: a throttling close (4429) at the first audio, then a connection dropped mid-turn without a
/// close frame: the session backs off, reconnects, replays, and every sentence comes once. A close that says the
/// audio is wrong (1007 "Unsupported audio format.") ends the session with a typed error instead.
#[test]
fn throttling_and_dropped_connections_are_survived_and_bad_audio_is_not() {
    let emu = emulator();
    emu.faults()
        .close_next_streams(1, 4429, "The request is throttled");
    emu.faults().drop_next_streams(2, Duration::from_secs(3));
    let spoken = sentences(4);
    let events = run(&client(&emu), pcm(&spoken.samples), unpaced());
    assert_eq!(end_reason(&events), &EndReason::EndOfAudio, "{events:?}");
    assert_sentences(&events, &spoken);
    let lost: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Reconnecting {
                reason: ReconnectReason::Lost(e),
                ..
            } => Some(e.to_string()),
            _ => None,
        })
        .collect();
    assert!(lost.len() >= 2, "{lost:?}");
    assert!(lost[0].contains("4429"), "{lost:?}");
    assert!(lost[1].contains("1006"), "{lost:?}");

    emu.faults()
        .close_next_streams(1, 1007, "Unsupported audio format.");
    let events = run(&client(&emu), pcm(&spoken.samples), unpaced());
    let EndReason::Error(e) = end_reason(&events) else {
        panic!("{events:?}")
    };
    assert_eq!(
        e.kind(),
        speech_ureq::speech_proto::ErrorKind::InvalidInput,
        "{e}"
    );
    assert!(e.to_string().contains("Unsupported audio format."), "{e}");
    assert!(e.hint().is_some());
}

/// A minimal HTTP proxy on loopback that opens `CONNECT` tunnels (or refuses every one with `refusal`), and keeps
/// the request heads it was sent.
struct ConnectProxy {
    url: String,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

fn connect_proxy(credentials: &str, refusal: Option<&'static str>) -> ConnectProxy {
    use std::io::Read;
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(head.clone());
                if let Some(answer) = refusal {
                    let _ = client.write_all(answer.as_bytes());
                    return;
                }
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let Ok(upstream) = TcpStream::connect(&target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (Ok(mut client_reader), Ok(mut upstream_writer)) =
                    (client.try_clone(), upstream.try_clone())
                else {
                    return;
                };
                let up = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_reader, &mut upstream_writer);
                    let _ = upstream_writer.shutdown(Shutdown::Write);
                });
                let (mut upstream_reader, mut client_writer) = (upstream, client);
                let _ = std::io::copy(&mut upstream_reader, &mut client_writer);
                let _ = client_writer.shutdown(Shutdown::Write);
                let _ = up.join();
            });
        }
    });
    ConnectProxy {
        url: format!("http://{credentials}{addr}"),
        heads,
    }
}

fn client_via(emu: &EmulatorHandle, proxy: &ConnectProxy) -> Client {
    client_builder(emu)
        .auth_mode(speech_ureq::AuthMode::Key)
        .proxy(Some(proxy.url.clone()))
        .build()
        .expect("client builds")
}

/// Streaming goes through the client's HTTP proxy as a `CONNECT` tunnel, with the proxy's credentials, and the
/// speech comes back as without it. A proxy that wants other credentials ends the session with an error that says
/// how to give them, and never shows the password.
#[test]
fn streaming_goes_through_an_http_proxy() {
    let emu = emulator();
    let proxy = connect_proxy("alice:s3cret%21@", None);
    let spoken = sentences(2);
    let events = run(&client_via(&emu, &proxy), pcm(&spoken.samples), unpaced());
    assert_eq!(end_reason(&events), &EndReason::EndOfAudio, "{events:?}");
    assert_sentences(&events, &spoken);
    let heads = proxy
        .heads
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let authority = emu.addr().to_string();
    assert!(
        heads[0].starts_with(&format!(
            "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        )),
        "{heads:?}"
    );
    // base64("alice:s3cret!"): the password as decoded from the URL.
    assert!(
        heads[0].contains("\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0IQ==\r\n"),
        "{heads:?}"
    );

    let refusing = connect_proxy(
        "alice:s3cret@",
        Some("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"),
    );
    let events = run(
        &client_via(&emu, &refusing),
        pcm(&sentences(1).samples),
        unpaced(),
    );
    let EndReason::Error(e) = end_reason(&events) else {
        panic!("{events:?}")
    };
    let message = e.to_string();
    assert!(message.contains("user:password@"), "{message}");
    assert!(
        !message.contains("s3cret") && !format!("{e:?}").contains("s3cret"),
        "{e:?}"
    );
    assert!(!e.is_retryable(), "{e}");
    assert_eq!(
        refusing
            .heads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len(),
        1,
        "a refusal that another attempt will not change is not retried"
    );
}
