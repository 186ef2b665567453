//! Drive the sans-IO core by hand: a token exchange and a chunked recognition upload with
//! `Expect: 100-continue`, over a plain blocking `std::net::TcpStream`, with no adapter at all.
//!
//! This is the living spec of what `speech-ureq` and `speech-async` do. Every decision is a call into
//! `speech_proto`: the call machine ([`speech_proto::call::Call`]) decides authorization, retries and what the
//! answer means; the token machine decides when to fetch a token; the wire [`Exchange`] decides the order and
//! framing of the HTTP/1.1 exchange. This file only moves bytes, reads the clock and sleeps. It runs against
//! the local emulator (plain HTTP on loopback).
//!
//! `cargo run -p speech-async --example drive_by_hand`

use std::error::Error;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Request, StatusCode};
use speech_proto::call::{AuthStep, BodyPlan, Call, Fault, Moment, Output};
use speech_proto::recognize::RecognitionRequest;
use speech_proto::retry::{RetryPolicy, TransportFailure};
use speech_proto::wire::{AfterContinue, AfterHead, Exchange, Limits};
use speech_proto::{Auth, AuthAction, AuthMode, Credential, Endpoint, NoAnswer};

const JFK: &[u8] = include_bytes!("../../../examples/audio/jfk.wav");

fn main() -> Result<(), Box<dyn Error>> {
    let emulator = speech_emulator::Emulator::builder().start_blocking()?;
    let endpoint = Endpoint::base_url(emulator.base_url())?;
    let mut auth = Auth::new(&endpoint, Credential::key(emulator.key())?, AuthMode::Token)?;

    // A recognition: chunked upload, and wait for `100 Continue` before sending audio. The audio is in memory,
    // so the call may send it again on a retry.
    let head = RecognitionRequest::new("en-US")
        .expect_continue(true)
        .build(&endpoint)?;
    let call = Call::recognition(head, BodyPlan::Replayable, RetryPolicy::default());
    match run(call, &mut auth, JFK) {
        Ok(result) => println!(
            "recognized: {}",
            result.display_text().unwrap_or("<nothing>")
        ),
        Err(e) => println!("the call failed: {e}"),
    }
    Ok(())
}

/// The driving loop: do what the call machine asks until it ends (the drain rule: after each `handle_*`, poll
/// until `None`).
fn run<T>(mut call: Call<T>, auth: &mut Auth, body: &[u8]) -> Result<T, Box<dyn Error>> {
    let mut answer = None;
    let mut last_failure = None;
    while let Some(output) = call.poll_output() {
        match output {
            // Authorize; while a token fetch is needed, perform it (itself a call) and report it.
            Output::Authorize => loop {
                let step = call.handle_authorize(moment(), auth);
                let Some(AuthAction::FetchToken(fetch)) = auth.poll_action() else {
                    if step == AuthStep::Done {
                        break;
                    }
                    std::thread::sleep(auth.timeout_in(Instant::now()).unwrap_or_default());
                    auth.handle_timeout(Instant::now());
                    continue;
                };
                let uri = fetch.uri().clone();
                let at = moment();
                match run(Call::token_fetch(fetch), auth, &[]) {
                    Ok(token_answer) => token_answer.report(at, auth)?,
                    Err(e) => {
                        let cause = NoAnswer::new(TransportFailure::Broken, &uri, e.to_string());
                        auth.handle_fetch_error(at.now, at.jitter, cause)?;
                    }
                }
            },
            Output::Send(head) => match exchange(head, body) {
                Ok((status, headers, bytes)) => {
                    call.handle_head(moment(), status, &headers, body.len() as u64);
                    answer = Some(bytes);
                }
                Err(e) => {
                    let failure = match e.downcast_ref::<io::Error>() {
                        Some(io) => TransportFailure::from_io_error(io),
                        None => TransportFailure::Permanent,
                    };
                    call.handle_transport_failed(moment(), failure, body.len() as u64);
                    last_failure = Some(e);
                }
            },
            Output::ReadBody { limit } => {
                let mut bytes = answer.take().unwrap_or_default();
                bytes.truncate(limit);
                call.handle_body(moment(), &bytes);
            }
            Output::Wait(until) => {
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
                call.handle_timeout(moment());
            }
            Output::Done(value) => return Ok(value),
            Output::Stream => return Err("a streamed answer: not for this example".into()),
            Output::Failed(Fault::Error(e)) => return Err(e.into()),
            Output::Failed(Fault::Transport(failure)) => {
                return Err(match last_failure {
                    Some(e) => format!("{failure:?}: {e}").into(),
                    None => format!("{failure:?}").into(),
                })
            }
        }
    }
    Err("the call stopped without a result".into())
}

/// The time of an input: the instant, wall-clock seconds, and jitter (fixed here; use a random value in 0..1).
fn moment() -> Moment {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Moment::new(Instant::now(), unix, 0.5)
}

/// One request on a new connection, in the order the wire [`Exchange`] allows: the head; the body (after
/// `100 Continue` when asked, or after a second without an answer); then the answer's head and body.
fn exchange(
    request: Request<()>,
    body: &[u8],
) -> Result<(StatusCode, HeaderMap, Vec<u8>), Box<dyn Error>> {
    let uri = request.uri();
    let host = uri.host().ok_or("the URI has no host")?;
    let mut stream = TcpStream::connect((host, uri.port_u16().unwrap_or(80)))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut input = Vec::new();
    let mut scratch = [0u8; 16 * 1024];

    let exchange = Exchange::new(request, Limits::default())?;
    let mut out = Vec::new();
    exchange.write_head(&mut out)?;
    stream.write_all(&out)?;

    let mut sending = match exchange.proceed() {
        AfterHead::SendBody(sending) => sending,
        AfterHead::RecvHead(receiving) => return finish(&mut stream, input, receiving),
        AfterHead::AwaitContinue(mut waiting) => {
            // The driver decides how long to wait for `100 Continue`: a second, then the body goes anyway.
            stream.set_read_timeout(Some(Duration::from_secs(1)))?;
            while !waiting.can_proceed() {
                match stream.read(&mut scratch) {
                    Ok(0) => return Err("the connection closed before the answer".into()),
                    Ok(n) => input.extend_from_slice(&scratch[..n]),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    Err(e) => return Err(e.into()),
                }
                let consumed = waiting.try_read(&input)?;
                input.drain(..consumed);
            }
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            match waiting.proceed()? {
                AfterContinue::SendBody(sending) => sending,
                AfterContinue::Answered(answer) => return read_body(&mut stream, input, answer),
            }
        }
    };
    for piece in body.chunks(4096) {
        for part in sending.write(piece)? {
            stream.write_all(part)?;
        }
    }
    stream.write_all(sending.finish()?)?;
    finish(&mut stream, input, sending.proceed())
}

/// Read the final head, then the body.
fn finish(
    stream: &mut TcpStream,
    mut input: Vec<u8>,
    mut receiving: Exchange<speech_proto::wire::state::RecvHead>,
) -> Result<(StatusCode, HeaderMap, Vec<u8>), Box<dyn Error>> {
    let mut scratch = [0u8; 16 * 1024];
    loop {
        let consumed = receiving.try_read(&input)?;
        input.drain(..consumed);
        if receiving.can_proceed() {
            return read_body(stream, input, receiving.proceed()?);
        }
        let n = stream.read(&mut scratch)?;
        if n == 0 {
            return Err("the connection closed before the answer".into());
        }
        input.extend_from_slice(&scratch[..n]);
    }
}

/// Read the answer's body through the exchange's decoder.
fn read_body(
    stream: &mut TcpStream,
    mut input: Vec<u8>,
    mut answer: Exchange<speech_proto::wire::state::RecvBody>,
) -> Result<(StatusCode, HeaderMap, Vec<u8>), Box<dyn Error>> {
    let mut body = Vec::new();
    let mut scratch = [0u8; 16 * 1024];
    while !answer.is_done() {
        if !input.is_empty() {
            let decoded = answer.read(&input, &mut scratch)?;
            body.extend_from_slice(&scratch[..decoded.produced]);
            input.drain(..decoded.consumed);
            if decoded.consumed > 0 || decoded.produced > 0 {
                continue;
            }
        }
        let n = stream.read(&mut scratch)?;
        if n == 0 {
            answer.peer_closed()?;
            break;
        }
        input.extend_from_slice(&scratch[..n]);
    }
    let head = answer.head();
    Ok((head.status, head.headers.clone(), body))
}
