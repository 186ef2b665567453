//! Shared helpers for the end-to-end tests: the emulator, WAV builders, odd-sized readers, and the [`Flavor`]
//! (runtime + transport) each test binary instantiates the suite with.
#![allow(dead_code, unreachable_pub)] // every test binary uses a different subset

pub mod suite;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_io::AsyncRead;
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::unversioned::{BoxConnection, BoxFuture, Runtime, Target};
use speech_async::{ClientBuilder, RetryPolicy};
use speech_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, LoggedRequest};

pub const KEY: &str = "test-key";
pub const SR: u32 = 16_000;
pub const TOKEN_PATH: &str = "/sts/v1.0/issueToken";
pub const VOICES_PATH: &str = "/cognitiveservices/voices/list";
pub const TTS_PATH: &str = "/cognitiveservices/v1";
pub const STT_PATH: &str = "/speech/recognition/conversation/cognitiveservices/v1";

/// A runtime and a transport: what differs between the test binaries.
pub trait Flavor: Sync {
    /// Run a future to completion on this runtime.
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    /// The runtime the client uses (for sleeping in tests, and to wrap in a frozen clock).
    fn runtime(&self) -> Arc<dyn Runtime>;
    /// A client builder for `endpoint` with this flavor's transport; `ca` is a PEM CA to trust (TLS tests).
    fn builder(
        &self,
        endpoint: Endpoint,
        credential: Credential,
        ca: Option<&str>,
    ) -> ClientBuilder;
    /// Whether the transport waits for `100 Continue` (reqwest does not: it sends the body at once).
    fn honours_expect(&self) -> bool {
        true
    }
}

pub fn emulator_builder() -> EmulatorBuilder {
    Emulator::builder().key(KEY)
}

pub fn emulator() -> EmulatorHandle {
    emulator_builder()
        .start_blocking()
        .expect("emulator starts")
}

/// A client builder for `emu` with the test key and quick retries.
pub fn client_builder(flavor: &impl Flavor, emu: &EmulatorHandle) -> ClientBuilder {
    let ca = emu.ca_cert_pem();
    flavor
        .builder(
            Endpoint::base_url(emu.base_url()).expect("emulator URL"),
            Credential::key(KEY).expect("key"),
            ca.as_deref(),
        )
        .retry(quick_retry(4))
}

pub fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .backoff(Duration::from_millis(20), Duration::from_millis(100))
}

/// The requests the emulator saw on `path`.
pub fn seen(emu: &EmulatorHandle, path: &str) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

pub fn silence(ms: u32) -> Vec<i16> {
    vec![0; (SR as u64 * ms as u64 / 1000) as usize]
}

pub fn tone(ms: u32, hz: f64) -> Vec<i16> {
    let n = (SR as u64 * ms as u64 / 1000) as usize;
    (0..n)
        .map(|k| {
            (8000.0 * (2.0 * std::f64::consts::PI * hz * k as f64 / f64::from(SR)).sin()) as i16
        })
        .collect()
}

/// A canonical 44-byte-header PCM WAV file.
pub fn wav_with(samples: &[i16], rate: u32, channels: u16) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
    out.extend_from_slice(&(2 * channels).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// 200 ms of silence, `speech_ms` of a 440 Hz tone, 200 ms of silence, as 16 kHz mono WAV.
pub fn speech_wav(speech_ms: u32) -> Vec<u8> {
    let mut s = silence(200);
    s.extend(tone(speech_ms, 440.0));
    s.extend(silence(200));
    wav_with(&s, SR, 1)
}

/// The piece sizes of the odd uploads, in turn.
pub const ODD_SIZES: [usize; 4] = [1, 7, 333, 4097];

/// An `AsyncRead` that hands out 1, 7, 333, 4097, 1, 7, … bytes per read, and counts its reads.
pub struct OddPieces {
    data: Vec<u8>,
    pos: usize,
    reads: usize,
}

impl OddPieces {
    pub fn new(data: Vec<u8>) -> Self {
        OddPieces {
            data,
            pos: 0,
            reads: 0,
        }
    }
}

impl AsyncRead for OddPieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let size = ODD_SIZES[self.reads % ODD_SIZES.len()];
        let n = (self.data.len() - self.pos).min(size).min(buf.len());
        let pos = self.pos;
        buf[..n].copy_from_slice(&self.data[pos..pos + n]);
        self.pos += n;
        self.reads += 1;
        Poll::Ready(Ok(n))
    }
}

/// The same pieces as a stream of `Bytes`.
pub fn odd_stream(
    data: &[u8],
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + Unpin {
    let mut pieces = Vec::new();
    let (mut pos, mut i) = (0, 0);
    while pos < data.len() {
        let n = ODD_SIZES[i % ODD_SIZES.len()].min(data.len() - pos);
        pieces.push(Ok(Bytes::copy_from_slice(&data[pos..pos + n])));
        pos += n;
        i += 1;
    }
    futures_util::stream::iter(pieces)
}

/// A runtime whose clock stands still (timers and connections are the wrapped runtime's): the client believes
/// its tokens stay fresh.
pub struct FrozenClock {
    pub inner: Arc<dyn Runtime>,
    pub at: Instant,
}

impl Runtime for FrozenClock {
    fn now(&self) -> Instant {
        self.at
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.inner.sleep(duration)
    }
    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
        self.inner.connect(target)
    }
}

/// A runtime that counts the connections it opens.
pub struct CountingConnects {
    pub inner: Arc<dyn Runtime>,
    pub count: Arc<Mutex<usize>>,
}

impl Runtime for CountingConnects {
    fn now(&self) -> Instant {
        self.inner.now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.inner.sleep(duration)
    }
    fn connect(&self, target: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
        *self.count.lock().unwrap() += 1;
        self.inner.connect(target)
    }
}
