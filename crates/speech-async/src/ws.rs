//! The WebSocket driver shared by streaming recognition and synthesis: it moves frames between a sans-IO
//! [`Session`] of the core and an [async-tungstenite](async_tungstenite) WebSocket over the runtime's TCP (rustls
//! for `wss`), reads the clock, and authorizes each handshake with the client's own token machine. There is no
//! background task: polling [`Driver::next_event`] drives the session, so it works on any executor.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::Duration;

use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use async_tungstenite::tungstenite::{self, Message};
use async_tungstenite::WebSocketStream;
use event_listener::Event;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use http::Request;
use rustls::pki_types::ServerName;
use speech_proto::auth::TokenId;
use speech_proto::call::AuthStep;
use speech_proto::stt::stream::frame::Timestamp;
use speech_proto::ws::{Action, ConnectFailure, Session};
use speech_proto::{NoAnswer, TransportFailure};

use crate::client::Client;
use crate::unversioned::{BoxConnection, Target};

/// The largest message or frame read from the service (4 MiB).
const MAX_MESSAGE: usize = 4 << 20;

/// A session shared between its driver and the caller's side (the audio writer, the synthesizer).
pub(crate) struct Shared<S> {
    state: Mutex<State<S>>,
    /// New input for the driver (audio, the end of audio, a synthesis).
    pub(crate) input: Event,
}

pub(crate) struct State<S> {
    pub(crate) session: S,
    /// A writer waiting for room in the session's buffer.
    pub(crate) writer: Option<Waker>,
}

impl<S> Shared<S> {
    pub(crate) fn new(session: S) -> Arc<Self> {
        Arc::new(Shared {
            state: Mutex::new(State {
                session,
                writer: None,
            }),
            input: Event::new(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wake the writer (the session may have room again).
    fn wake_writer(&self) {
        if let Some(w) = self.lock().writer.take() {
            w.wake();
        }
    }
}

pub(crate) fn wall() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    )
}

fn no_answer(failure: TransportFailure, uri: &http::Uri, detail: impl ToString) -> NoAnswer {
    NoAnswer::new(failure, uri, detail.to_string())
}

impl Client {
    /// Add the credential to a handshake, fetching a token first when one is needed.
    async fn authorize_handshake(
        &self,
        request: &mut Request<()>,
    ) -> Result<TokenId, speech_proto::Error> {
        let inner = &*self.inner;
        let mut outcome: Option<Result<TokenId, speech_proto::Error>> = None;
        let refresh = inner
            .auth
            .authorize(&inner.clock, self, |auth, at| {
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
            })
            .await;
        // A refresh ahead of expiry: the token in hand is still valid; finish the refresh before moving on.
        if let Some(refresh) = refresh {
            refresh.await;
        }
        outcome.unwrap_or(Err(speech_proto::Error::TokenUnavailable {
            last_error: None,
            retry_in: None,
        }))
    }
}

type Socket = WebSocketStream<BoxConnection>;

/// Drives a session: polling [`next_event`](Driver::next_event) sends, reads and waits as the session asks.
pub(crate) struct Driver<S: Session> {
    client: Client,
    pub(crate) shared: Arc<Shared<S>>,
    socket: Option<Socket>,
    token: Option<TokenId>,
    ready: VecDeque<S::Event>,
    done: bool,
}

impl<S: Session> Driver<S> {
    pub(crate) fn new(client: &Client, shared: Arc<Shared<S>>) -> Self {
        Driver {
            client: client.clone(),
            shared,
            socket: None,
            token: None,
            ready: VecDeque::new(),
            done: false,
        }
    }

    fn take_events(&mut self) {
        let mut state = self.shared.lock();
        while let Some(e) = state.session.poll_event() {
            self.ready.push_back(e);
        }
    }

    /// Drive the session until it has an event.
    pub(crate) async fn next_event(&mut self) -> Option<S::Event> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Some(e);
            }
            if self.done {
                return None;
            }
            if self.shared.lock().session.is_ended() {
                self.take_events();
                self.done = self.ready.is_empty();
                continue;
            }
            let clock = self.client.inner.clock.clone();
            // Listen before looking, so that audio written in between is not missed.
            let listener = self.shared.input.listen();
            let action = self.shared.lock().session.poll_action(clock.now(), wall());
            if let Some(action) = action {
                self.act(action).await;
                self.take_events();
                self.shared.wake_writer();
                continue;
            }
            self.take_events();
            if !self.ready.is_empty() {
                continue;
            }
            // Wait for the service, new audio, or the session's next deadline.
            let deadline = self.shared.lock().session.poll_timeout();
            let wait = deadline.map_or(Duration::from_secs(3600), |d| {
                d.saturating_duration_since(clock.now())
            });
            let sleep = clock.runtime().sleep(wait);
            let wake = select(Box::pin(listener), sleep);
            match self.socket.as_mut() {
                Some(socket) => match select(socket.next(), wake).await {
                    Either::Left((message, _)) => self.received(message),
                    Either::Right(_) => {}
                },
                None => {
                    wake.await;
                }
            }
            let now = clock.now();
            self.shared
                .lock()
                .session
                .handle_timeout(now, clock.jitter());
            self.take_events();
            self.shared.wake_writer();
        }
    }

    fn received(&mut self, message: Option<Result<Message, tungstenite::Error>>) {
        let clock = &self.client.inner.clock;
        let mut state = self.shared.lock();
        let session = &mut state.session;
        match message {
            Some(Ok(Message::Text(text))) => {
                session.handle_text(clock.now(), text.as_bytes(), clock.jitter())
            }
            Some(Ok(Message::Binary(data))) => {
                session.handle_binary(clock.now(), &data, clock.jitter())
            }
            Some(Ok(Message::Close(frame))) => {
                let close = frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                });
                self.socket = None;
                session.handle_closed(clock.now(), Some(close), clock.jitter());
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                self.socket = None;
                session.handle_closed(clock.now(), None, clock.jitter());
            }
        }
    }

    async fn act(&mut self, action: Action) {
        let clock = self.client.inner.clock.clone();
        match action {
            Action::Connect(request) => {
                let result = self.connect(request).await;
                let mut state = self.shared.lock();
                match result {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        state.session.handle_connected(clock.now(), wall());
                    }
                    Err(failure) => {
                        state
                            .session
                            .handle_connect_failed(clock.now(), failure, clock.jitter())
                    }
                }
            }
            Action::RefreshCredential => {
                if let Some(id) = self.token.take() {
                    self.client.inner.auth.invalidate_token(clock.now(), id);
                }
            }
            Action::SendText(text) => self.send(Message::Text(text.into())).await,
            Action::SendBinary(data) => self.send(Message::Binary(data.into())).await,
            Action::Close { code, reason } => {
                if let Some(mut socket) = self.socket.take() {
                    let close = socket.close(Some(CloseFrame {
                        code: CloseCode::from(code),
                        reason: reason.into(),
                    }));
                    let limit = clock.runtime().sleep(Duration::from_millis(500));
                    let _ = select(Box::pin(close), limit).await;
                }
            }
            _ => {}
        }
    }

    async fn send(&mut self, message: Message) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        if socket.send(message).await.is_err() {
            self.socket = None;
            let clock = &self.client.inner.clock;
            self.shared
                .lock()
                .session
                .handle_closed(clock.now(), None, clock.jitter());
        }
    }

    /// Authorize the handshake, open TCP (and TLS) through the runtime, and shake hands.
    async fn connect(&mut self, mut request: Request<()>) -> Result<Socket, ConnectFailure> {
        let token = self
            .client
            .authorize_handshake(&mut request)
            .await
            .map_err(ConnectFailure::Credential)?;
        self.token = Some(token);
        let inner = &*self.client.inner;
        let clock = &inner.clock;
        let uri = request.uri().clone();
        let tls = uri.scheme_str() == Some("wss");
        let host = uri
            .host()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_owned();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let target = Target {
            host: host.clone(),
            port,
        };
        let connect = clock.runtime().connect(&target);
        let limit = clock.runtime().sleep(inner.connect_timeout);
        let tcp = match select(connect, limit).await {
            Either::Left((Ok(tcp), _)) => tcp,
            Either::Left((Err(e), _)) => {
                return Err(ConnectFailure::Transport(no_answer(
                    TransportFailure::Connect,
                    &uri,
                    e,
                )));
            }
            Either::Right(_) => {
                return Err(ConnectFailure::Transport(no_answer(
                    TransportFailure::TimedOut,
                    &uri,
                    "connecting timed out",
                )));
            }
        };
        let conn: BoxConnection = if tls {
            let name = ServerName::try_from(host.clone()).map_err(|e| {
                ConnectFailure::Transport(no_answer(TransportFailure::Permanent, &uri, e))
            })?;
            let connector = futures_rustls::TlsConnector::from(inner.ws_tls.clone());
            match connector.connect(name, tcp).await {
                Ok(stream) => Box::new(stream),
                Err(e) => {
                    return Err(ConnectFailure::Transport(no_answer(
                        TransportFailure::Permanent,
                        &uri,
                        e,
                    )))
                }
            }
        } else {
            tcp
        };
        let mut config = WebSocketConfig::default();
        config.max_message_size = Some(MAX_MESSAGE);
        config.max_frame_size = Some(MAX_MESSAGE);
        let handshake = async_tungstenite::client_async_with_config(request, conn, Some(config));
        let limit = clock.runtime().sleep(inner.connect_timeout);
        match select(Box::pin(handshake), limit).await {
            Either::Left((Ok((socket, _)), _)) => Ok(socket),
            Either::Left((Err(tungstenite::Error::Http(response)), _)) => {
                let (parts, body) = response.into_parts();
                Err(ConnectFailure::Status {
                    status: parts.status,
                    headers: parts.headers,
                    body: body.unwrap_or_default(),
                })
            }
            Either::Left((Err(e), _)) => {
                let failure = match &e {
                    tungstenite::Error::Io(_) | tungstenite::Error::ConnectionClosed => {
                        TransportFailure::Broken
                    }
                    _ => TransportFailure::Permanent,
                };
                Err(ConnectFailure::Transport(no_answer(failure, &uri, e)))
            }
            Either::Right(_) => Err(ConnectFailure::Transport(no_answer(
                TransportFailure::TimedOut,
                &uri,
                "the WebSocket handshake timed out",
            ))),
        }
    }
}
