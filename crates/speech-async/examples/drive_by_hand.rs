//! Drive the sans-IO core by hand: token exchange, a chunked recognition upload with `Expect: 100-continue`,
//! and the HTTP/1.1 wire codec — over a plain blocking `std::net::TcpStream`, with no adapter at all.
//!
//! This is the living spec of what `speech-ureq` and `speech-async` do: every decision (the token lifecycle,
//! framing, parsing, error classification) is a call into `speech_proto`; this file only moves bytes and reads
//! the clock. It runs against the local emulator (plain HTTP on loopback).
//!
//! `cargo run -p speech-async --example drive_by_hand`

use std::error::Error;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Request, StatusCode};
use speech_proto::recognize::{parse_recognition, RecognitionRequest};
use speech_proto::wire::{self, BodyDecoder, Limits, RequestBody, ResponseHead};
use speech_proto::{parse_error_response, Auth, AuthAction, AuthMode, Authorize, Credential};
use speech_proto::{Endpoint, Service};

const JFK: &[u8] = include_bytes!("../../../examples/audio/jfk.wav");

fn main() -> Result<(), Box<dyn Error>> {
    let emulator = speech_emulator::Emulator::builder().start_blocking()?;
    let endpoint = Endpoint::base_url(emulator.base_url())?;
    let mut auth = Auth::new(&endpoint, Credential::key(emulator.key())?, AuthMode::Token)?;

    // 1. Build the request head: chunked upload, and wait for `100 Continue` before sending audio.
    let request = RecognitionRequest::new("en-US").expect_continue(true);
    let mut head = request.build(&endpoint)?;

    // 2. Authorize; while the machine says Pending, perform the fetches it hands out (the drain rule: after each
    //    handle_*, poll until None) and ask again.
    loop {
        match auth.authorize(Instant::now(), &mut head)? {
            Authorize::Ready(_) => break,
            Authorize::Pending => {
                while let Some(AuthAction::FetchToken(fetch)) = auth.poll_action() {
                    let now = Instant::now();
                    match exchange(&fetch, &[]) {
                        Ok((status, headers, body)) => auth.handle_token_response(
                            now,
                            unix_now(),
                            status,
                            &headers,
                            &body,
                            0.5,
                        )?,
                        Err(e) => {
                            eprintln!("token fetch failed: {e}");
                            auth.handle_fetch_failed(now, 0.5)?;
                        }
                    }
                }
            }
        }
    }

    // 3. Send it, and hand the answer to the core's parsers.
    let (status, headers, body) = exchange(&head, JFK)?;
    if status.is_success() {
        let result = parse_recognition(&body)?;
        println!(
            "recognized: {}",
            result.display_text().unwrap_or("<nothing>")
        );
    } else {
        let error = parse_error_response(Service::Recognition, status, &headers, &body);
        println!("the service said no: {error}");
    }
    Ok(())
}

/// One request on a new connection: the head, the body framed as the head says (after `100 Continue` when
/// asked), then the answer's head and body through the codec.
fn exchange(
    request: &Request<()>,
    body: &[u8],
) -> Result<(StatusCode, HeaderMap, Vec<u8>), Box<dyn Error>> {
    let uri = request.uri();
    let host = uri.host().ok_or("the URI has no host")?;
    let port = uri.port_u16().unwrap_or(80);
    let mut stream = TcpStream::connect((host, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let limits = Limits::default();
    let mut input = Vec::new();

    let mut out = Vec::new();
    wire::write_request_head(request, &mut out)?;
    stream.write_all(&out)?;

    let framing = wire::request_body(request)?;
    let mut early = None;
    if wire::expects_continue(request) {
        // The driver decides how long to wait for `100 Continue`: a second, then the body goes anyway.
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        match read_head(&mut stream, &mut input, &limits) {
            Ok(head) if head.is_interim() => {}
            Ok(head) => early = Some(head),
            Err(e) if is_timeout(&*e) => {}
            Err(e) => return Err(e),
        }
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    }
    if early.is_none() {
        match framing {
            RequestBody::Empty => {}
            RequestBody::Length(_) => stream.write_all(body)?,
            RequestBody::Chunked => {
                for piece in body.chunks(4096) {
                    let mut header = wire::chunk_header(piece.len());
                    if let Some(parts) = wire::encode_chunk(&mut header, piece) {
                        for part in parts {
                            stream.write_all(part)?;
                        }
                    }
                }
                stream.write_all(wire::LAST_CHUNK)?;
            }
        }
    }

    let head = match early {
        Some(head) => head,
        None => loop {
            let head = read_head(&mut stream, &mut input, &limits)?;
            if !head.is_interim() {
                break head;
            }
        },
    };
    let kind = wire::response_body_kind(request.method(), &head)?;
    let mut decoder = BodyDecoder::new(kind, limits);
    let mut answer = Vec::new();
    let mut scratch = [0u8; 16 * 1024];
    while !decoder.is_done() {
        if !input.is_empty() {
            let decoded = decoder.decode(&input, &mut scratch)?;
            answer.extend_from_slice(&scratch[..decoded.produced]);
            input.drain(..decoded.consumed);
            if decoded.consumed > 0 || decoded.produced > 0 {
                continue;
            }
        }
        let n = stream.read(&mut scratch)?;
        if n == 0 {
            decoder.finish()?;
            break;
        }
        input.extend_from_slice(&scratch[..n]);
    }
    Ok((head.status, head.headers, answer))
}

/// Read until the codec parses a head (interim or final); the bytes after it stay in `input`.
fn read_head(
    stream: &mut TcpStream,
    input: &mut Vec<u8>,
    limits: &Limits,
) -> Result<ResponseHead, Box<dyn Error>> {
    let mut scratch = [0u8; 4096];
    loop {
        if let Some((consumed, head)) = wire::try_parse_response_head(input, limits)? {
            input.drain(..consumed);
            return Ok(head);
        }
        let n = stream.read(&mut scratch)?;
        if n == 0 {
            return Err("the connection closed before the answer".into());
        }
        input.extend_from_slice(&scratch[..n]);
    }
}

fn is_timeout(e: &(dyn Error + 'static)) -> bool {
    e.downcast_ref::<io::Error>().is_some_and(|e| {
        matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        )
    })
}

/// The wall-clock seconds the core compares with a token's `exp`.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
