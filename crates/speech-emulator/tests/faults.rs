//! Limits and injected faults.

mod common;

use std::time::{Duration, Instant};

use common::*;
use speech_emulator::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn token_req() -> Req {
    Req::post("/sts/v1.0/issueToken").key(KEY)
}

#[tokio::test]
async fn latency_delays_answers() {
    let emu = builder()
        .latency(Duration::from_millis(200))
        .start()
        .await
        .expect("start");
    let started = Instant::now();
    let r = token_req().send(emu.addr()).await;
    assert_eq!(r.status, 200);
    // A lower bound only: the answer cannot come before the injected delay.
    assert!(started.elapsed() >= Duration::from_millis(200));
    emu.faults().set_latency(Duration::ZERO);
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
}

#[tokio::test]
async fn quota_answers_429_with_retry_after() {
    let emu = builder()
        .quota(2, Duration::from_secs(60))
        .start()
        .await
        .expect("start");
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
    let r = stt("language=en-US", speech_wav(100, 300))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let r = token_req().send(emu.addr()).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(r.json()["error"]["code"], "429");
    // Every endpoint counts.
    let r = Req::get("/cognitiveservices/voices/list")
        .key(KEY)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 429);
    emu.faults().clear_quota();
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
    // A new quota starts a fresh window.
    emu.faults().set_quota(1, Duration::from_secs(3600));
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
    let r = token_req().send(emu.addr()).await;
    assert_eq!(r.status, 429);
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry > 3000, "{retry}");
}

#[tokio::test]
async fn concurrency_cap_answers_429() {
    let emu = builder().max_concurrency(1).start().await.expect("start");
    // Hold the only slot with a stalled request.
    emu.faults().stall_next(1);
    let mut held = TcpStream::connect(emu.addr()).await.expect("connect");
    held.write_all(&token_req().bytes()).await.expect("write");
    let faults = emu.faults();
    eventually(|| faults.in_flight() == 1).await;
    let r = token_req().send(emu.addr()).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1"));
    // Lift the cap: requests go through while the stalled one still hangs.
    emu.faults().set_max_concurrency(None);
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
    drop(held);
}

#[tokio::test]
async fn fail_next_answers_5xx_then_recovers() {
    let emu = emulator().await;
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        emu.faults().fail_next(2, status);
        for _ in 0..2 {
            let r = token_req().send(emu.addr()).await;
            assert_eq!(r.status, status.as_u16());
        }
        assert_eq!(token_req().send(emu.addr()).await.status, 200);
    }
    // Faults apply to every endpoint, before credentials are looked at.
    emu.faults().fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
    let r = stt("language=en-US", speech_wav(100, 300))
        .key("wrong")
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 503);
    let log = emu.requests();
    assert_eq!(log.last().and_then(|l| l.status), Some(503));
}

#[tokio::test]
async fn reset_after_body_bytes() {
    let emu = emulator().await;
    emu.faults().reset_after_body_bytes(1000);
    let body = speech_wav(100, 1000);
    let req = stt("language=en-US", body.clone());
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&req.head_bytes()).await.expect("head");
    // Send in pieces; the server resets (RST) after reading 1000 body bytes, without answering.
    let mut write_failed = false;
    for piece in body.chunks(500) {
        if tcp.write_all(piece).await.is_err() {
            write_failed = true;
            break;
        }
    }
    let mut buf = Vec::new();
    let read = tcp.read_to_end(&mut buf).await;
    assert!(
        buf.is_empty(),
        "no response expected, got {:?}",
        String::from_utf8_lossy(&buf)
    );
    let reset = matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset);
    assert!(
        write_failed || reset,
        "expected a connection reset, got {read:?}"
    );
    // One-shot: the next request is answered.
    let r = stt("language=en-US", speech_wav(100, 300))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let log = emu.requests();
    assert_eq!(log[0].status, None);
    assert!(log[0].body_len >= 1000);
}

#[tokio::test]
async fn reset_with_zero_bytes_drops_the_connection_at_once() {
    let emu = emulator().await;
    emu.faults().reset_after_body_bytes(0);
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&token_req().bytes()).await.expect("write");
    let mut buf = Vec::new();
    let read = tcp.read_to_end(&mut buf).await;
    assert!(buf.is_empty());
    assert_eq!(
        read.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
}

#[tokio::test]
async fn stall_never_answers() {
    let emu = emulator().await;
    emu.faults().stall_next(1);
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&token_req().bytes()).await.expect("write");
    let mut buf = [0u8; 64];
    // The client gives up waiting: nothing arrives.
    let read = tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut buf)).await;
    assert!(read.is_err(), "expected no answer, got {read:?}");
    // Other requests are served meanwhile.
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
    // Shutdown cuts the stalled connection.
    emu.shutdown();
    emu.stopped().await;
    let mut rest = Vec::new();
    let end = tcp.read_to_end(&mut rest).await;
    assert!(rest.is_empty(), "{end:?}");
}

#[tokio::test]
async fn truncated_response_has_no_terminating_chunk() {
    let emu = emulator().await;
    emu.faults().truncate_next(1);
    let req = stt("language=en-US&format=detailed", speech_wav(100, 500));
    let r = req.send(emu.addr()).await;
    assert_eq!(r.status, 200);
    assert!(r.chunked);
    assert!(!r.complete, "terminating chunk must be missing");
    let full = req.send(emu.addr()).await;
    assert!(full.complete);
    assert!(!r.body.is_empty() && r.body.len() < full.body.len());
    assert!(full.body.starts_with(&r.body));

    // TTS audio too.
    emu.faults().truncate_next(1);
    let tts = Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .header("User-Agent", "faults-test")
        .body(r#"<speak version="1.0" xml:lang="en-US"><voice name="en-US-JennyNeural">Cut me short please.</voice></speak>"#);
    let cut = tts.send(emu.addr()).await;
    assert_eq!(cut.status, 200);
    assert!(!cut.complete);
    let whole = tts.send(emu.addr()).await;
    assert!(whole.complete);
    assert!(cut.body.len() < whole.body.len());
}

#[tokio::test]
async fn clear_turns_everything_off() {
    let emu = builder()
        .quota(0, Duration::from_secs(60))
        .start()
        .await
        .expect("start");
    assert_eq!(token_req().send(emu.addr()).await.status, 429);
    emu.faults().fail_next(5, StatusCode::BAD_GATEWAY);
    emu.faults().clear();
    assert_eq!(token_req().send(emu.addr()).await.status, 200);
}
