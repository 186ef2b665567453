//! The WebSocket driver shared by streaming recognition and synthesis: one thread per session that moves frames
//! between a sans-IO [`Session`] of the core and a [tungstenite] WebSocket over TCP (rustls for `wss`), reads
//! the clock, and authorizes each handshake with the client's own token machine (the same token as the REST
//! calls). Through the client's `http://` proxy (set or from the environment, with `NO_PROXY`), each connection
//! is a `CONNECT` tunnel ([`speech_proto::proxy`]).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::Request;
use speech_proto::auth::TokenId;
use speech_proto::call::AuthStep;
use speech_proto::proxy::{connect_request, read_connect_answer, ProxyCredentials, TunnelError};
use speech_proto::stt::stream::frame::Timestamp;
use speech_proto::ws::{Action, ConnectFailure, Session};
use speech_proto::{NoAnswer, TransportFailure};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

use crate::client::Client;
use crate::error::Error;

/// How long the driver waits on the socket before looking at the session again (new audio, timeouts).
const POLL: Duration = Duration::from_millis(20);

/// The largest message or frame read from the service (4 MiB).
const MAX_MESSAGE: usize = 4 << 20;

pub(crate) struct State<S: Session> {
    pub(crate) session: S,
    pub(crate) events: VecDeque<S::Event>,
    /// The event iterator was dropped: stop.
    pub(crate) cancelled: bool,
    /// The driver thread has exited.
    pub(crate) stopped: bool,
}

pub(crate) struct Shared<S: Session> {
    state: Mutex<State<S>>,
    pub(crate) changed: Condvar,
}

impl<S: Session> Shared<S> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A TCP or TLS stream.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

fn wall() -> Timestamp {
    Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    )
}

/// Asks the HTTP proxy at the other end of `tcp` for a tunnel to `host:port` and reads its answer (the core's
/// [`speech_proto::proxy`] builds and judges them).
fn open_tunnel(
    tcp: &mut TcpStream,
    host: &str,
    port: u16,
    proxy: &ureq::Proxy,
) -> Result<(), (TransportFailure, String)> {
    let credentials = proxy
        .username()
        .map(|user| ProxyCredentials::new(user, proxy.password().unwrap_or_default()));
    let tunnel_error = |e: TunnelError| (e.failure(), e.to_string());
    let io_error = |e: io::Error| (TransportFailure::from_io_kind(e.kind()), e.to_string());
    let request = connect_request(host, port, credentials.as_ref()).map_err(tunnel_error)?;
    tcp.write_all(&request).map_err(io_error)?;
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = tcp.read(&mut buf).map_err(io_error)?;
        if n == 0 {
            return Err((
                TransportFailure::Broken,
                "the proxy closed the connection before answering CONNECT".to_owned(),
            ));
        }
        received.extend_from_slice(&buf[..n]);
        if let Some(head) = read_connect_answer(&received).map_err(tunnel_error)? {
            // The service speaks only after the client (TLS or the handshake): nothing may follow the head yet.
            if head != received.len() {
                return Err((
                    TransportFailure::Permanent,
                    "the proxy sent data after its answer to CONNECT".to_owned(),
                ));
            }
            return Ok(());
        }
    }
}

fn no_answer(failure: TransportFailure, uri: &http::Uri, detail: impl ToString) -> NoAnswer {
    NoAnswer::new(failure, uri, detail.to_string())
}

impl Client {
    /// Add the credential to a handshake, fetching a token first when one is needed.
    fn authorize_handshake(
        &self,
        request: &mut Request<()>,
    ) -> Result<TokenId, speech_proto::Error> {
        let inner = &*self.inner;
        let fetch = |r: Request<()>| self.fetch_token(r);
        let mut outcome: Option<Result<TokenId, speech_proto::Error>> = None;
        inner.auth.authorize(&inner.clock, &fetch, |auth, at| {
            match auth.authorize_now(at.now, request) {
                Ok(Some(id)) => {
                    outcome = Some(Ok(id));
                    AuthStep::Done
                }
                Ok(None) => AuthStep::Pending,
                Err(e) => {
                    outcome = Some(Err(e));
                    AuthStep::Done
                }
            }
        });
        outcome.unwrap_or(Err(speech_proto::Error::TokenUnavailable {
            last_error: None,
            retry_in: None,
        }))
    }
}

/// Start a driver thread named `name` for `session`; the returned state is shared with it.
pub(crate) fn spawn<S: Session + Send + 'static>(
    client: &Client,
    session: S,
    name: &str,
) -> Result<Arc<Shared<S>>, Error>
where
    S::Event: Send,
{
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            session,
            events: VecDeque::new(),
            cancelled: false,
            stopped: false,
        }),
        changed: Condvar::new(),
    });
    let driver = Driver {
        client: client.clone(),
        shared: shared.clone(),
        socket: None,
        token: None,
    };
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || driver.run())
        .map_err(|e| Error::Config(format!("cannot start the WebSocket thread: {e}")))?;
    Ok(shared)
}

struct Driver<S: Session> {
    client: Client,
    shared: Arc<Shared<S>>,
    socket: Option<WebSocket<Conn>>,
    token: Option<TokenId>,
}

impl<S: Session> Driver<S> {
    fn run(mut self) {
        let clock = self.client.inner.clock.clone();
        loop {
            let now = clock.now();
            // Do what the session asks.
            let action = {
                let mut state = self.shared.lock();
                if state.cancelled && !state.session.is_ended() {
                    drop(state);
                    self.close(1000, "Normal closure by client");
                    break;
                }
                state.session.poll_action(now, wall())
            };
            if let Some(action) = action {
                self.act(action, now);
                self.publish();
                continue;
            }
            self.publish();
            if self.shared.lock().session.is_ended() {
                break;
            }
            // Wait for the service (or, with no connection, for audio or the next deadline).
            let deadline = self.shared.lock().session.poll_timeout();
            let wait =
                deadline.map_or(POLL, |d| d.saturating_duration_since(clock.now()).min(POLL));
            match self.socket.as_mut() {
                Some(_) => self.read(wait),
                None => {
                    let state = self.shared.lock();
                    let _ = self
                        .shared
                        .changed
                        .wait_timeout(state, wait.max(Duration::from_millis(1)));
                }
            }
            let now = clock.now();
            self.shared
                .lock()
                .session
                .handle_timeout(now, clock.jitter());
            self.publish();
        }
        self.publish();
        let mut state = self.shared.lock();
        state.stopped = true;
        drop(state);
        self.shared.changed.notify_all();
    }

    /// Move the session's events to the iterator's queue and wake the waiters.
    fn publish(&self) {
        let mut state = self.shared.lock();
        while let Some(e) = state.session.poll_event() {
            state.events.push_back(e);
        }
        drop(state);
        self.shared.changed.notify_all();
    }

    fn act(&mut self, action: Action, now: Instant) {
        let clock = self.client.inner.clock.clone();
        match action {
            Action::Connect(request) => {
                let result = self.connect(request);
                let mut state = self.shared.lock();
                let at = clock.now();
                match result {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        state.session.handle_connected(at, wall());
                    }
                    Err(failure) => {
                        state
                            .session
                            .handle_connect_failed(at, failure, clock.jitter())
                    }
                }
            }
            Action::RefreshCredential => {
                if let Some(id) = self.token.take() {
                    self.client.inner.auth.invalidate_token(now, id);
                }
            }
            Action::SendText(text) => self.send(Message::Text(text.into())),
            Action::SendBinary(data) => self.send(Message::Binary(data.into())),
            Action::Close { code, reason } => self.close(code, reason),
            _ => {}
        }
    }

    fn send(&mut self, message: Message) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if socket.send(message).is_err() {
            self.socket = None;
            let clock = &self.client.inner.clock;
            self.shared
                .lock()
                .session
                .handle_closed(clock.now(), None, clock.jitter());
        }
    }

    fn close(&mut self, code: u16, reason: &'static str) {
        if let Some(mut socket) = self.socket.take() {
            let _ = socket.close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            }));
            // Read until the service answers the close (briefly), so that it is a clean close.
            let _ = socket
                .get_ref()
                .tcp()
                .set_read_timeout(Some(Duration::from_millis(200)));
            for _ in 0..10 {
                match socket.read() {
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
    }

    /// Read what the service sends for up to `wait`.
    fn read(&mut self, wait: Duration) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        let _ = socket
            .get_ref()
            .tcp()
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let clock = &self.client.inner.clock;
        loop {
            let Some(socket) = self.socket.as_mut() else {
                return;
            };
            match socket.read() {
                Ok(Message::Text(text)) => {
                    self.shared.lock().session.handle_text(
                        clock.now(),
                        text.as_bytes(),
                        clock.jitter(),
                    );
                }
                Ok(Message::Binary(data)) => {
                    self.shared
                        .lock()
                        .session
                        .handle_binary(clock.now(), &data, clock.jitter());
                }
                Ok(Message::Close(frame)) => {
                    let close = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    // Answer the close, then forget the connection.
                    let _ = socket.flush();
                    self.socket = None;
                    self.shared.lock().session.handle_closed(
                        clock.now(),
                        Some(close.unwrap_or((1005, String::new()))),
                        clock.jitter(),
                    );
                    return;
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return;
                }
                Err(_) => {
                    self.socket = None;
                    self.shared
                        .lock()
                        .session
                        .handle_closed(clock.now(), None, clock.jitter());
                    return;
                }
            }
            // More may be waiting: read on without blocking long.
            let _ = self.socket.as_ref().map(|s| {
                s.get_ref()
                    .tcp()
                    .set_read_timeout(Some(Duration::from_millis(1)))
            });
        }
    }

    /// Authorize the handshake, open TCP (and TLS), and shake hands.
    #[allow(clippy::result_large_err)] // once per connection attempt: not worth a box
    fn connect(&mut self, mut request: Request<()>) -> Result<WebSocket<Conn>, ConnectFailure> {
        let token = self
            .client
            .authorize_handshake(&mut request)
            .map_err(ConnectFailure::Credential)?;
        self.token = Some(token);
        let uri = request.uri().clone();
        let tls = uri.scheme_str() == Some("wss");
        let host = uri
            .host()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_owned();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let timeout = self.client.inner.connect_timeout;
        // The REST calls' proxy, unless NO_PROXY names the host: TCP goes to the proxy, which opens a tunnel.
        let proxy = self
            .client
            .inner
            .proxy
            .as_ref()
            .filter(|p| !p.is_no_proxy(&uri));
        if let Some(p) = proxy {
            if p.protocol() != ureq::ProxyProtocol::Http {
                return Err(ConnectFailure::Transport(no_answer(
                    TransportFailure::Permanent,
                    &uri,
                    format!(
                        "streaming recognition goes through http:// (CONNECT) proxies only, and the proxy is \
                         {:?}: use an http:// proxy, or name the Speech host in NO_PROXY",
                        p.protocol()
                    ),
                )));
            }
        }
        let (dial_host, dial_port) = match proxy {
            Some(p) => (p.host().trim_matches(['[', ']']).to_owned(), p.port()),
            None => (host.clone(), port),
        };
        let via = match proxy {
            Some(_) => format!(" (the proxy {dial_host}:{dial_port})"),
            None => String::new(),
        };
        let addrs: Vec<_> = (dial_host.as_str(), dial_port)
            .to_socket_addrs()
            .map_err(|e| {
                ConnectFailure::Transport(no_answer(
                    TransportFailure::Dns,
                    &uri,
                    format!("{e}{via}"),
                ))
            })?
            .collect();
        let mut last = None;
        let mut tcp = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let mut tcp = tcp.ok_or_else(|| {
            let detail = last.map_or("no address".to_owned(), |e| e.to_string());
            ConnectFailure::Transport(no_answer(
                TransportFailure::Connect,
                &uri,
                format!("{detail}{via}"),
            ))
        })?;
        let _ = tcp.set_nodelay(true);
        let _ = tcp.set_read_timeout(Some(self.client.inner.read_timeout));
        let _ = tcp.set_write_timeout(Some(self.client.inner.read_timeout));
        if let Some(p) = proxy {
            open_tunnel(&mut tcp, &host, port, p).map_err(|(failure, detail)| {
                ConnectFailure::Transport(no_answer(failure, &uri, format!("{detail}{via}")))
            })?;
        }
        let conn = if tls {
            let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| {
                ConnectFailure::Transport(no_answer(TransportFailure::Permanent, &uri, e))
            })?;
            let connection = rustls::ClientConnection::new(self.client.inner.ws_tls.clone(), name)
                .map_err(|e| {
                    ConnectFailure::Transport(no_answer(TransportFailure::Permanent, &uri, e))
                })?;
            Conn::Tls(Box::new(rustls::StreamOwned::new(connection, tcp)))
        } else {
            Conn::Plain(tcp)
        };
        let mut config = tungstenite::protocol::WebSocketConfig::default();
        config.max_message_size = Some(MAX_MESSAGE);
        config.max_frame_size = Some(MAX_MESSAGE);
        match tungstenite::client::client_with_config(request, conn, Some(config)) {
            Ok((socket, _response)) => Ok(socket),
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
                let (parts, body) = response.into_parts();
                Err(ConnectFailure::Status {
                    status: parts.status,
                    headers: parts.headers,
                    body: body.unwrap_or_default(),
                })
            }
            Err(tungstenite::HandshakeError::Failure(e)) => {
                let failure = match &e {
                    tungstenite::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => {
                        TransportFailure::TimedOut
                    }
                    tungstenite::Error::Io(_) | tungstenite::Error::ConnectionClosed => {
                        TransportFailure::Broken
                    }
                    tungstenite::Error::Tls(_) => TransportFailure::Permanent,
                    _ => TransportFailure::Permanent,
                };
                Err(ConnectFailure::Transport(no_answer(failure, &uri, e)))
            }
            Err(tungstenite::HandshakeError::Interrupted(_)) => {
                Err(ConnectFailure::Transport(no_answer(
                    TransportFailure::TimedOut,
                    &uri,
                    "the WebSocket handshake timed out",
                )))
            }
        }
    }
}
