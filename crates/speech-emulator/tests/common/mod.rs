//! Shared helpers for the emulator's end-to-end tests: a plain HTTP/1.1 client over raw sockets (so that
//! framing is exact and visible), WAV builders and a TLS connector.
#![allow(dead_code, unreachable_pub)] // every test binary uses a different subset

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use speech_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub const KEY: &str = "test-key";
pub const WAV_CT: &str = "audio/wav; codecs=audio/pcm; samplerate=16000";
pub const SR: u32 = 16_000;

/// An emulator with the test key and otherwise default settings.
pub async fn emulator() -> EmulatorHandle {
    builder().start().await.expect("emulator starts")
}

pub fn builder() -> EmulatorBuilder {
    Emulator::builder().key(KEY)
}

/// A parsed HTTP response.
#[derive(Debug, Default)]
pub struct HttpResponse {
    /// Interim (1xx) statuses received before the final one.
    pub interim: Vec<u16>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the body was chunked.
    pub chunked: bool,
    /// Whether the body was complete (terminating chunk, full length, or close-delimited end).
    pub complete: bool,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }
}

/// A request under construction.
#[derive(Clone, Debug)]
pub struct Req {
    head: String,
    body: Vec<u8>,
    framing: Framing,
}

#[derive(Clone, Copy, Debug)]
enum Framing {
    Length,
    Chunked(usize),
    None,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            head: format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n"),
            body: Vec::new(),
            framing: Framing::Length,
        }
    }

    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.head.push_str(&format!("{name}: {value}\r\n"));
        self
    }

    pub fn key(self, key: &str) -> Self {
        self.header("Ocp-Apim-Subscription-Key", key)
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Send the body with chunked transfer encoding, in chunks of `size` bytes.
    pub fn chunked(mut self, size: usize) -> Self {
        self.framing = Framing::Chunked(size.max(1));
        self
    }

    /// Send neither Content-Length nor Transfer-Encoding (and no body).
    pub fn no_length(mut self) -> Self {
        self.framing = Framing::None;
        self
    }

    /// The request head only (through the blank line).
    pub fn head_bytes(&self) -> Vec<u8> {
        let mut head = self.head.clone();
        match self.framing {
            Framing::Length => head.push_str(&format!("Content-Length: {}\r\n", self.body.len())),
            Framing::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
            Framing::None => {}
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The framed body.
    pub fn body_bytes(&self) -> Vec<u8> {
        match self.framing {
            Framing::Length => self.body.clone(),
            Framing::Chunked(size) => chunk(&self.body, size),
            Framing::None => Vec::new(),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut all = self.head_bytes();
        all.extend(self.body_bytes());
        all
    }

    /// Send on a new connection and read one response.
    pub async fn send(&self, addr: SocketAddr) -> HttpResponse {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        self.send_on(&mut tcp).await
    }

    /// Send on an existing connection and read one response.
    pub async fn send_on<S: AsyncRead + AsyncWrite + Unpin>(&self, stream: &mut S) -> HttpResponse {
        stream
            .write_all(&self.bytes())
            .await
            .expect("write request");
        read_response(stream).await.expect("read response")
    }
}

/// Chunked framing of `body`, `size` bytes per chunk, with the terminating chunk.
pub fn chunk(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(size.max(1)) {
        out.extend(format!("{:x}\r\n", piece.len()).into_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

struct Reader<'a, S> {
    stream: &'a mut S,
    buf: Vec<u8>,
    eof: bool,
}

impl<S: AsyncRead + Unpin> Reader<'_, S> {
    async fn fill(&mut self) -> io::Result<bool> {
        let mut tmp = [0u8; 16 * 1024];
        let n = self.stream.read(&mut tmp).await?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(true)
    }

    async fn line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..pos]).into_owned();
                self.buf.drain(..pos + 2);
                return Ok(Some(line));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    async fn exact(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        while self.buf.len() < n {
            if !self.fill().await? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf.drain(..n).collect()))
    }
}

/// Read one response (after any interim 1xx responses). A body cut short is returned with
/// `complete == false`; an error is returned only when not even a status line arrived.
pub async fn read_response<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<HttpResponse> {
    let mut reader = Reader {
        stream,
        buf: Vec::new(),
        eof: false,
    };
    let mut response = HttpResponse::default();
    loop {
        let head_end = loop {
            if let Some(pos) = reader.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            if reader.buf.len() > 64 * 1024 || !reader.fill().await? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "no complete response head",
                ));
            }
        };
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        parsed
            .parse(&reader.buf[..head_end])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let status = parsed.code.unwrap_or(0);
        let list: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        reader.buf.drain(..head_end);
        if (100..200).contains(&status) {
            response.interim.push(status);
            continue;
        }
        response.status = status;
        response.headers = list;
        break;
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    response.chunked = chunked;
    if chunked {
        loop {
            let Some(size_line) = reader.line().await.ok().flatten() else {
                return Ok(response);
            };
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if size == 0 {
                // Trailers, then the blank line.
                while let Ok(Some(line)) = reader.line().await {
                    if line.is_empty() {
                        response.complete = true;
                        break;
                    }
                }
                return Ok(response);
            }
            match reader.exact(size + 2).await {
                Ok(Some(data)) => response.body.extend_from_slice(&data[..size]),
                _ => {
                    response.body.extend_from_slice(&reader.buf);
                    return Ok(response);
                }
            }
        }
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len
            .trim()
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        match reader.exact(len).await {
            Ok(Some(data)) => {
                response.body = data;
                response.complete = true;
            }
            _ => response.body = std::mem::take(&mut reader.buf),
        }
    } else {
        while reader.fill().await.unwrap_or(false) {}
        response.body = std::mem::take(&mut reader.buf);
        response.complete = reader.eof;
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------------------
// Audio
// ---------------------------------------------------------------------------------------------------------

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

/// Deterministic white noise.
pub fn noise(ms: u32) -> Vec<i16> {
    let mut x: u32 = 0x9e37_79b9;
    (0..(SR as u64 * ms as u64 / 1000))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ((x % 16_001) as i32 - 8000) as i16
        })
        .collect()
}

/// A canonical 44-byte-header WAV file.
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

pub fn wav(samples: &[i16]) -> Vec<u8> {
    wav_with(samples, SR, 1)
}

/// `lead_ms` of silence, `speech_ms` of a 440 Hz tone, 200 ms of silence.
pub fn speech_wav(lead_ms: u32, speech_ms: u32) -> Vec<u8> {
    let mut s = silence(lead_ms);
    s.extend(tone(speech_ms, 440.0));
    s.extend(silence(200));
    wav(&s)
}

pub fn stt_path(mode: &str, query: &str) -> String {
    format!("/speech/recognition/{mode}/cognitiveservices/v1?{query}")
}

/// A recognition request with the test key and the WAV content type.
pub fn stt(query: &str, body: Vec<u8>) -> Req {
    Req::post(&stt_path("conversation", query))
        .key(KEY)
        .header("Content-Type", WAV_CT)
        .header("Accept", "application/json")
        .body(body)
}

// ---------------------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------------------

pub fn tls_connector(ca_pem: Option<&str>) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(cert.expect("PEM certificate")).expect("add root");
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Wait (bounded) until `cond` holds.
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within 10 s");
}

/// The Python of a virtualenv `scripts/setup.sh` made (see [`speech_emulator::fixtures::venv_python`]).
pub fn venv_python(venv: &str, package: &str) -> std::path::PathBuf {
    speech_emulator::fixtures::venv_python(venv, package)
        .unwrap_or_else(|missing| panic!("{missing}"))
}

/// The `node_modules` of the Speech SDK for JavaScript that `scripts/setup.sh` installs (`npm ci` from
/// `scripts/js/package-lock.json`).
pub fn speech_sdk_js_modules() -> std::path::PathBuf {
    let modules = speech_emulator::fixtures::tool_dir("npm-speech-sdk").join("node_modules");
    assert!(
        modules
            .join("microsoft-cognitiveservices-speech-sdk")
            .exists(),
        "{} is missing: run scripts/setup.sh (it installs microsoft-cognitiveservices-speech-sdk)",
        modules.display()
    );
    modules
}
