//! Start, log, Debug, shutdown, the blocking variant and the binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use speech_emulator::{Emulator, StartError};
use tokio::net::TcpStream;

#[tokio::test]
async fn request_log_masks_secrets() {
    let emu = emulator().await;
    let token = emu.issue_token();
    stt("language=en-US&format=detailed", speech_wav(100, 300))
        .header("X-Custom", "private")
        .send(emu.addr())
        .await;
    Req::get("/cognitiveservices/voices/list")
        .bearer(&token)
        .send(emu.addr())
        .await;
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "POST");
    assert_eq!(
        log[0].path,
        "/speech/recognition/conversation/cognitiveservices/v1"
    );
    assert_eq!(
        log[0].query.as_deref(),
        Some("language=en-US&format=detailed")
    );
    assert_eq!(log[0].header("Ocp-Apim-Subscription-Key"), Some("***"));
    assert_eq!(log[0].header("x-custom"), Some("***"));
    assert_eq!(log[0].header("content-type"), Some(WAV_CT));
    assert_eq!(log[0].body_len, speech_wav(100, 300).len() as u64);
    assert_eq!(log[0].status, Some(200));
    assert_eq!(log[1].header("authorization"), Some("Bearer ***"));
    assert_eq!(log[1].seq, 1);
    let printed = format!("{log:?} {emu:?}");
    assert!(
        !printed.contains(KEY) && !printed.contains(&token),
        "{printed}"
    );
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let emu = emulator().await;
    let addr = emu.addr();
    assert_eq!(
        Req::post("/sts/v1.0/issueToken")
            .key(KEY)
            .send(addr)
            .await
            .status,
        200
    );
    // An idle keep-alive connection does not hold shutdown up.
    let _idle = TcpStream::connect(addr).await.expect("connect");
    emu.shutdown();
    emu.stopped().await;
    assert!(TcpStream::connect(addr).await.is_err());
    emu.shutdown(); // idempotent
}

#[tokio::test]
async fn invalid_settings_and_busy_port() {
    let empty_key = Emulator::builder().key("").start().await;
    assert!(matches!(empty_key, Err(StartError::Config(_))));
    let bad_region = Emulator::builder().region("West US").start().await;
    assert!(matches!(bad_region, Err(StartError::Config(_))));
    let emu = emulator().await;
    let busy = Emulator::builder().port(emu.addr().port()).start().await;
    let err = busy.expect_err("port in use");
    assert!(matches!(err, StartError::Bind { .. }));
    assert!(err.to_string().contains("cannot listen"));
    // Default key.
    let default = Emulator::builder().start().await.expect("start");
    assert_eq!(default.key(), "emulator-key");
    assert_eq!(default.region(), "westus");
    assert!(default.base_url().starts_with("http://127.0.0.1:"));
}

#[test]
fn blocking_variant_serves_and_joins_on_drop() {
    let emu = builder().start_blocking().expect("start");
    let addr = emu.addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let status = runtime.block_on(async {
        Req::post("/sts/v1.0/issueToken")
            .key(KEY)
            .send(addr)
            .await
            .status
    });
    assert_eq!(status, 200);
    drop(emu);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn binary_prints_its_url_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_speech-emulator"))
        .args([
            "--port",
            "0",
            "--key",
            "bin-key",
            "--region",
            "eastus",
            "--deterministic",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read line");
    let result = std::panic::catch_unwind(|| {
        assert!(
            line.starts_with("speech-emulator listening on http://127.0.0.1:"),
            "{line}"
        );
        assert!(line.contains("(region eastus, key bin-key)"), "{line}");
        let url = line
            .split_whitespace()
            .nth(3)
            .expect("URL")
            .trim_start_matches("http://")
            .to_owned();
        let addr: std::net::SocketAddr = url.parse().expect("address");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        runtime.block_on(async {
            let r = Req::post("/sts/v1.0/issueToken")
                .key("bin-key")
                .send(addr)
                .await;
            assert_eq!(r.status, 200);
            let r = tokio::time::timeout(
                Duration::from_secs(30),
                Req::post(&stt_path("conversation", "language=en-US"))
                    .key("bin-key")
                    .header("Content-Type", WAV_CT)
                    .body(speech_wav(100, 300))
                    .send(addr),
            )
            .await
            .expect("answer");
            assert_eq!(r.status, 200);
        });
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
