//! Shared helpers for the end-to-end tests: an in-process emulator, a client for it, WAV builders.
#![allow(dead_code, unreachable_pub)] // every test binary uses a different subset

use std::io::{self, Read};
use std::time::Duration;

use speech_emulator::{Emulator, EmulatorBuilder, EmulatorHandle, LoggedRequest};
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::{AuthMode, Client, ClientBuilder, RetryPolicy};

pub const KEY: &str = "test-key";
pub const SR: u32 = 16_000;
pub const TOKEN_PATH: &str = "/sts/v1.0/issueToken";

pub fn emulator_builder() -> EmulatorBuilder {
    Emulator::builder().key(KEY)
}

pub fn emulator() -> EmulatorHandle {
    emulator_builder()
        .start_blocking()
        .expect("emulator starts")
}

/// A client for `emu` with the test key, no proxy from the environment, and quick retries.
pub fn client_builder(emu: &EmulatorHandle) -> ClientBuilder {
    Client::builder(
        Endpoint::base_url(emu.base_url()).expect("emulator URL"),
        Credential::key(KEY).expect("key"),
    )
    .proxy_from_env(false)
    .retry(quick_retry(4))
}

pub fn client(emu: &EmulatorHandle) -> Client {
    client_builder(emu).build().expect("client builds")
}

pub fn key_client(emu: &EmulatorHandle) -> Client {
    client_builder(emu)
        .auth_mode(AuthMode::Key)
        .build()
        .expect("client builds")
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

/// A reader that hands out at most `piece` bytes per read, so that a body is sent in many pieces.
pub struct Pieces {
    data: Vec<u8>,
    pos: usize,
    piece: usize,
}

impl Pieces {
    pub fn new(data: Vec<u8>, piece: usize) -> Self {
        Pieces {
            data,
            pos: 0,
            piece,
        }
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.data.len() - self.pos).min(self.piece).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
