//! 1,000 concurrent connections against the deterministic engines (loopback only, bounded).

mod common;

use std::sync::Arc;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Barrier;

const CONNECTIONS: usize = 1000;

/// Make sure the test process may hold both ends of every connection.
fn raise_fd_limit() {
    let wanted = (CONNECTIONS as u64) * 2 + 256;
    if let Ok((soft, hard)) = rlimit::Resource::NOFILE.get() {
        if soft < wanted {
            let _ = rlimit::Resource::NOFILE.set(wanted.min(hard), hard);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_connections() {
    raise_fd_limit();
    let emu = emulator().await;
    let addr = emu.addr();
    let audio = Arc::new(speech_wav(100, 300));
    // Every client connects first; only when all 1,000 sockets are open do they send their requests.
    let barrier = Arc::new(Barrier::new(CONNECTIONS));
    let mut tasks = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let barrier = barrier.clone();
        let audio = audio.clone();
        tasks.push(tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.expect("connect");
            barrier.wait().await;
            let req = match i % 3 {
                0 => Req::post("/sts/v1.0/issueToken").key(KEY),
                1 => stt("language=en-US", audio.to_vec()),
                _ => Req::get("/cognitiveservices/voices/list").key(KEY),
            };
            tcp.write_all(&req.bytes()).await.expect("write");
            let r = read_response(&mut tcp).await.expect("response");
            (i, r.status, r.complete)
        }));
    }
    let mut ok = 0;
    for task in tasks {
        let (i, status, complete) = task.await.expect("client task");
        assert_eq!(status, 200, "connection {i}");
        assert!(complete, "connection {i}");
        ok += 1;
    }
    assert_eq!(ok, CONNECTIONS);
    assert_eq!(emu.requests().len(), CONNECTIONS);
    assert!(emu.requests().iter().all(|r| r.status == Some(200)));
}
