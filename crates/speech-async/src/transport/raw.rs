//! The raw transport: the core's HTTP/1.1 codec ([`speech_proto::wire`]) over the runtime's connections, TLS by
//! rustls, and a small pool of idle connections per host.
//!
//! This file only moves bytes and keeps time; the codec decides the framing, parses heads and bodies and says
//! whether a connection can carry the next request.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::{select, Either};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use http::{Request, Uri};
use rustls::pki_types::ServerName;
use speech_proto::retry::TransportFailure;
use speech_proto::wire::state::{AwaitContinue, RecvBody, RecvHead, SendBody};
use speech_proto::wire::{AfterContinue, AfterHead, Exchange, Limits};

use super::{Response, ResponseBody, TransportError};
use crate::body::Upload;
use crate::clock::Clock;
use crate::unversioned::{BoxConnection, Target};

/// How much is read from a connection at a time.
const READ_CHUNK: usize = 16 * 1024;
/// The largest piece of body handed out at once.
const MAX_PIECE: usize = 64 * 1024;

/// Timeouts of the raw transport.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    /// Connecting, TLS handshake included.
    pub(crate) connect: Duration,
    /// Each read or write on the connection.
    pub(crate) io: Duration,
    /// How long to wait for `100 Continue` before sending the body anyway.
    pub(crate) continue_wait: Duration,
}

pub(crate) struct Raw {
    clock: Clock,
    tls: Arc<rustls::ClientConfig>,
    pool: Arc<Pool>,
    timeouts: Timeouts,
    limits: Limits,
}

impl Raw {
    /// The same transport (sharing its connections) with another read/write timeout: fast transcription's
    /// answer comes only when the whole file is transcribed.
    pub(crate) fn with_io_timeout(&self, io: Duration) -> Raw {
        Raw {
            clock: self.clock.clone(),
            tls: self.tls.clone(),
            pool: self.pool.clone(),
            timeouts: Timeouts {
                io,
                ..self.timeouts
            },
            limits: self.limits,
        }
    }

    pub(crate) fn new(
        clock: Clock,
        tls: Arc<rustls::ClientConfig>,
        timeouts: Timeouts,
        max_idle_per_host: usize,
    ) -> Self {
        Raw {
            clock,
            tls,
            pool: Arc::new(Pool {
                idle: Mutex::new(HashMap::new()),
                max_idle_per_host,
            }),
            timeouts,
            limits: Limits::default(),
        }
    }

    /// Send `request` (its head, then the body from `upload` framed as the head says) and read the answer's head.
    /// The order of the exchange, and every rule of it, is the core's [`Exchange`] typestate; this only moves
    /// the bytes and runs the timers.
    pub(crate) async fn send(
        &self,
        request: Request<()>,
        upload: &mut Upload<'_>,
    ) -> Result<Response, TransportError> {
        let key = Key::of(request.uri())?;
        let exchange = Exchange::new(request, self.limits).map_err(TransportError::proto)?;
        let mut head = Vec::with_capacity(512);
        exchange
            .write_head(&mut head)
            .map_err(TransportError::proto)?;

        let mut conn = self.connection(&key).await?;
        let (clock, io) = (&self.clock, self.timeouts.io);
        let mut input = Input::default();
        timed(clock, io, "writing the request", conn.write_all(&head)).await?;
        let receiving = match exchange.proceed() {
            AfterHead::RecvHead(receiving) => receiving,
            AfterHead::SendBody(sending) => self.send_body(&mut conn, sending, upload).await?,
            AfterHead::AwaitContinue(mut waiting) => {
                timed(clock, io, "writing the request", conn.flush()).await?;
                self.await_continue(&mut conn, &mut input, &mut waiting)
                    .await?;
                match waiting.proceed().map_err(TransportError::proto)? {
                    AfterContinue::SendBody(sending) => {
                        self.send_body(&mut conn, sending, upload).await?
                    }
                    // The service answered before it wanted the body (a 401, a 429): it is not sent.
                    AfterContinue::Answered(answer) => {
                        return Ok(self.response(answer, conn, input, key))
                    }
                }
            }
        };
        timed(clock, io, "writing the request", conn.flush()).await?;
        let answer = read_head(clock, io, &mut conn, &mut input, receiving).await?;
        Ok(self.response(answer, conn, input, key))
    }

    fn response(
        &self,
        exchange: Exchange<RecvBody>,
        conn: BoxConnection,
        input: Input,
        key: Key,
    ) -> Response {
        let (status, headers) = (exchange.head().status, exchange.head().headers.clone());
        let body = Body {
            conn: Some(conn),
            input,
            exchange,
            key,
            pool: self.pool.clone(),
            clock: self.clock.clone(),
            io_timeout: self.timeouts.io,
        };
        Response {
            status,
            headers,
            body: ResponseBody::Raw(Box::new(body)),
        }
    }

    /// Wait up to the continue timeout for `100 Continue` or a final answer; when it passes first, the body is
    /// sent anyway.
    async fn await_continue(
        &self,
        conn: &mut BoxConnection,
        input: &mut Input,
        waiting: &mut Exchange<AwaitContinue>,
    ) -> Result<(), TransportError> {
        let deadline = self.clock.now() + self.timeouts.continue_wait;
        loop {
            let consumed = waiting
                .try_read(input.data())
                .map_err(TransportError::proto)?;
            input.consume(consumed);
            if waiting.can_proceed() {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(self.clock.now());
            if left.is_zero() {
                return Ok(());
            }
            match input.fill(&self.clock, left, conn).await {
                Ok(0) => return Err(closed_early()),
                Ok(_) => {}
                Err(e) if e.failure == TransportFailure::TimedOut => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Send the body from `upload`, each piece as one vectored write of what the exchange frames (the caller's
    /// bytes are not copied).
    async fn send_body(
        &self,
        conn: &mut BoxConnection,
        mut sending: Exchange<SendBody>,
        upload: &mut Upload<'_>,
    ) -> Result<Exchange<RecvHead>, TransportError> {
        let (clock, io) = (&self.clock, self.timeouts.io);
        loop {
            let piece = upload.next_piece().await.map_err(TransportError::io)?;
            if piece.is_empty() {
                let last = sending.finish().map_err(TransportError::proto)?;
                timed(clock, io, "writing the body", conn.write_all(last)).await?;
                return Ok(sending.proceed());
            }
            let parts = sending.write(piece).map_err(TransportError::proto)?;
            timed(
                clock,
                io,
                "writing the body",
                write_all_vectored(conn, parts),
            )
            .await?;
        }
    }

    /// An idle pooled connection to `key` that is still open, or a new one.
    async fn connection(&self, key: &Key) -> Result<BoxConnection, TransportError> {
        if let Some(conn) = self.pool.take(key, self.clock.now()) {
            return Ok(conn);
        }
        let target = Target {
            host: key.host.clone(),
            port: key.port,
        };
        let limit = self.timeouts.connect;
        let tcp = timed(
            &self.clock,
            limit,
            "connecting",
            self.clock.runtime().connect(&target),
        )
        .await?;
        if !key.tls {
            return Ok(tcp);
        }
        let name = ServerName::try_from(key.host.clone())
            .map_err(|e| TransportError::io(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
        let connector = futures_rustls::TlsConnector::from(self.tls.clone());
        let tls = timed(
            &self.clock,
            limit,
            "the TLS handshake",
            connector.connect(name, tcp),
        )
        .await?;
        Ok(Box::new(tls))
    }
}

/// Read until the final response head arrives (the exchange skips interim heads).
async fn read_head(
    clock: &Clock,
    io: Duration,
    conn: &mut BoxConnection,
    input: &mut Input,
    mut receiving: Exchange<RecvHead>,
) -> Result<Exchange<RecvBody>, TransportError> {
    loop {
        let consumed = receiving
            .try_read(input.data())
            .map_err(TransportError::proto)?;
        input.consume(consumed);
        if receiving.can_proceed() {
            return receiving.proceed().map_err(TransportError::proto);
        }
        if input.fill(clock, io, conn).await? == 0 {
            return Err(closed_early());
        }
    }
}

fn closed_early() -> TransportError {
    TransportError::io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection closed before the answer",
    ))
}

/// Run `fut`, or fail with a timeout after `limit` on the runtime's clock.
async fn timed<T>(
    clock: &Clock,
    limit: Duration,
    what: &'static str,
    fut: impl Future<Output = io::Result<T>>,
) -> Result<T, TransportError> {
    let sleep = clock.runtime().sleep(limit);
    let fut = std::pin::pin!(fut);
    match select(fut, sleep).await {
        Either::Left((result, _)) => result.map_err(TransportError::io),
        Either::Right(((), _)) => Err(TransportError::timed_out(what)),
    }
}

/// Write every byte of `parts` with vectored writes.
async fn write_all_vectored(conn: &mut BoxConnection, parts: [&[u8]; 3]) -> io::Result<()> {
    let mut slices = parts.map(IoSlice::new);
    let mut bufs = &mut slices[..];
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        let n = conn.write_vectored(bufs).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut bufs, n);
    }
    Ok(())
}

/// Bytes read from the connection and not yet consumed by the codec. Bounded: the codec consumes as it goes and
/// fails past its caps (head size, chunk-line length, trailers), so at most one read more than a cap is held.
#[derive(Default)]
struct Input {
    buf: Vec<u8>,
    start: usize,
}

impl Input {
    fn data(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Read once more from `conn` (within `limit`); the number of bytes read, 0 at the end of the stream.
    async fn fill(
        &mut self,
        clock: &Clock,
        limit: Duration,
        conn: &mut BoxConnection,
    ) -> Result<usize, TransportError> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let result = timed(
            clock,
            limit,
            "waiting for the answer",
            conn.read(&mut self.buf[old..]),
        )
        .await;
        let n = *result.as_ref().unwrap_or(&0);
        self.buf.truncate(old + n);
        result
    }
}

/// The body of an answer on a raw connection. When it has been read to its end and the codec says the
/// connection can carry another request, the connection goes back to the pool; otherwise it is closed when
/// this is dropped.
pub(crate) struct Body {
    conn: Option<BoxConnection>,
    input: Input,
    exchange: Exchange<RecvBody>,
    key: Key,
    pool: Arc<Pool>,
    clock: Clock,
    io_timeout: Duration,
}

impl Body {
    /// The next piece of the body; `None` at its end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        loop {
            if self.exchange.is_done() {
                self.release();
                return Ok(None);
            }
            let Some(conn) = self.conn.as_mut() else {
                return Ok(None);
            };
            let data = self.input.data();
            if !data.is_empty() {
                // The decoder never produces more than it consumes.
                let mut out = vec![0u8; data.len().min(MAX_PIECE)];
                let decoded = self
                    .exchange
                    .read(data, &mut out)
                    .map_err(TransportError::proto)?;
                self.input.consume(decoded.consumed);
                if decoded.produced > 0 {
                    out.truncate(decoded.produced);
                    return Ok(Some(Bytes::from(out)));
                }
                if decoded.consumed > 0 || self.exchange.is_done() {
                    continue;
                }
            }
            if self.input.fill(&self.clock, self.io_timeout, conn).await? == 0 {
                // The peer closed: the end of a close-delimited body, or a truncated one.
                self.conn = None;
                self.exchange.peer_closed().map_err(TransportError::proto)?;
                return Ok(None);
            }
        }
    }

    fn release(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.input.data().is_empty() && self.exchange.keep_alive() {
                self.pool.put(self.key.clone(), conn, self.clock.now());
            }
        }
    }
}

/// Idle connections, a few per host.
pub(crate) struct Pool {
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
    max_idle_per_host: usize,
}

struct Idle {
    conn: BoxConnection,
    since: Instant,
}

/// Idle connections older than this are closed rather than reused: servers and middleboxes drop idle
/// connections after a while (often 60 s or more), and a request on a connection closed under it fails.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

impl Pool {
    fn take(&self, key: &Key, now: Instant) -> Option<BoxConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(key)?;
        while let Some(mut entry) = list.pop() {
            let age = now.saturating_duration_since(entry.since);
            if age < MAX_IDLE_AGE && still_open(&mut entry.conn) {
                return Some(entry.conn);
            }
        }
        None
    }

    fn put(&self, key: Key, conn: BoxConnection, now: Instant) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.entry(key).or_default();
        if list.len() < self.max_idle_per_host {
            list.push(Idle { conn, since: now });
        }
    }
}

/// Whether an idle connection is still open: a read that would block means it is; an end of stream, an error or
/// unexpected bytes mean it is not.
fn still_open(conn: &mut BoxConnection) -> bool {
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    let mut byte = [0u8; 1];
    matches!(
        Pin::new(&mut **conn).poll_read(&mut cx, &mut byte),
        Poll::Pending
    )
}

/// Which connections can carry a request: same scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    tls: bool,
    host: String,
    port: u16,
}

impl Key {
    fn of(uri: &Uri) -> Result<Key, TransportError> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(TransportError::io(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "only http and https URIs can be sent",
                )))
            }
        };
        let Some(host) = uri.host() else {
            return Err(TransportError::io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the URI has no host",
            )));
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        Ok(Key { tls, host, port })
    }
}
