//! Streaming recognition over WebSocket on any runtime: [`Client::listen`] gives an [`AudioSink`] (a
//! `futures_io::AsyncWrite` of raw PCM) and an [`EventStream`] (a `Stream` of [`StreamEvent`]s).
//!
//! The protocol is the core's ([`StreamSession`]); this module moves frames between it and an
//! [async-tungstenite](async_tungstenite) WebSocket over the runtime's TCP (rustls for `wss`), reads the clock,
//! and authorizes each handshake with the client's own token machine. There is no background task: polling the
//! event stream drives the session (sending audio, reading the service), so it works on any executor — keep
//! polling it while audio is written.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use async_tungstenite::tungstenite::{self, Message};
use async_tungstenite::WebSocketStream;
use event_listener::Event;
use futures_util::future::{select, Either};
use futures_util::{Stream, StreamExt};
use http::Request;
use rustls::pki_types::ServerName;
use speech_proto::auth::TokenId;
use speech_proto::call::AuthStep;
use speech_proto::stt::stream::frame::Timestamp;
use speech_proto::stt::stream::{
    Action, ConnectFailure, StreamEvent, StreamRequest, StreamSession, StreamSettings,
};
use speech_proto::{NoAnswer, TransportFailure};

use crate::client::Client;
use crate::error::Error;
use crate::unversioned::{BoxConnection, Target};

/// The largest message or frame read from the service (4 MiB).
const MAX_MESSAGE: usize = 4 << 20;

struct State {
    session: StreamSession,
    /// The writer waiting for room in the session's buffer.
    writer: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    /// Audio arrived, or the audio ended: the driver has something to send.
    audio: Event,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wake the writer (the session may have room again).
    fn wake_writer(&self) {
        if let Some(w) = self.lock().writer.take() {
            w.wake();
        }
    }
}

/// Where a streaming session's audio goes: raw PCM (16-bit little-endian, the request's rate and channels,
/// 16 kHz mono by default), as a `futures_io::AsyncWrite`. A write waits while the session holds as much audio as
/// it may ([`StreamSettings::max_buffered`]); `close` (or [`finish`](AudioSink::finish), or dropping the sink)
/// says the audio is over.
pub struct AudioSink {
    shared: Arc<Shared>,
}

impl AudioSink {
    /// No more audio: the session ends once the service has answered for all of it.
    pub fn finish(&mut self) {
        self.shared.lock().session.finish_audio();
        self.shared.audio.notify(usize::MAX);
    }
}

impl futures_io::AsyncWrite for AudioSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut state = self.shared.lock();
        if state.session.is_ended() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the streaming session has ended",
            )));
        }
        let n = state.session.push_audio(buf);
        if n == 0 {
            state.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        drop(state);
        self.shared.audio.notify(usize::MAX);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.finish();
        Poll::Ready(Ok(()))
    }
}

impl Drop for AudioSink {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The events of a streaming session, in order, ending with [`StreamEvent::SessionEnded`]. Polling it drives the
/// session; dropping it stops the session.
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = StreamEvent> + Send>>,
}

impl Stream for EventStream {
    type Item = StreamEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

fn wall() -> Timestamp {
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
    /// Start streaming recognition: returns where to write the audio and the events. Poll the events (that is
    /// what drives the session) while writing.
    ///
    /// ```no_run
    /// # #[cfg(feature = "smol")]
    /// # fn main() -> Result<(), speech_async::Error> {
    /// use futures_util::{AsyncWriteExt, StreamExt};
    /// use speech_async::speech_proto::stt::stream::{StreamEvent, StreamRequest, StreamSettings};
    /// # use speech_async::speech_proto::{Credential, Endpoint};
    /// # let client = speech_async::Client::builder(Endpoint::region("westus")?, Credential::key("k")?)
    /// #     .runtime(speech_async::runtime::Smol)
    /// #     .build()?;
    /// # let pcm: Vec<u8> = Vec::new();
    /// smol::block_on(async {
    ///     let (mut audio, mut events) = client.listen(StreamRequest::new("en-US"), StreamSettings::default())?;
    ///     let writer = async move {
    ///         let _ = audio.write_all(&pcm).await; // 16 kHz mono s16le
    ///         let _ = audio.close().await;
    ///     };
    ///     let reader = async {
    ///         while let Some(event) = events.next().await {
    ///             if let StreamEvent::Phrase(p) = event {
    ///                 println!("{}", p.display_text().unwrap_or_default());
    ///             }
    ///         }
    ///     };
    ///     futures_util::join!(writer, reader);
    ///     Ok(())
    /// })
    /// # }
    /// # #[cfg(not(feature = "smol"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    ///
    /// A request whose language or audio format cannot be used. Everything after that (the handshake's
    /// status, closes, a lost connection that could not be re-established) arrives as the last event,
    /// [`StreamEvent::SessionEnded`] with [`EndReason::Error`](speech_proto::stt::stream::EndReason::Error).
    pub fn listen(
        &self,
        request: StreamRequest,
        settings: StreamSettings,
    ) -> Result<(AudioSink, EventStream), Error> {
        let seed = (u128::from(self.inner.clock.jitter().to_bits()) << 64)
            ^ u128::from(wall().0)
            ^ (Arc::as_ptr(&self.inner) as usize as u128);
        let session = StreamSession::new(self.inner.endpoint.clone(), request, settings, seed)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                session,
                writer: None,
            }),
            audio: Event::new(),
        });
        let driver = Driver {
            client: self.clone(),
            shared: shared.clone(),
            socket: None,
            token: None,
            ready: VecDeque::new(),
            done: false,
        };
        let events = futures_util::stream::unfold(driver, |mut d| async move {
            let event = d.next_event().await?;
            Some((event, d))
        });
        Ok((
            AudioSink { shared },
            EventStream {
                inner: Box::pin(events),
            },
        ))
    }

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

struct Driver {
    client: Client,
    shared: Arc<Shared>,
    socket: Option<Socket>,
    token: Option<TokenId>,
    ready: VecDeque<StreamEvent>,
    done: bool,
}

impl Driver {
    fn take_events(&mut self) {
        let mut state = self.shared.lock();
        while let Some(e) = state.session.poll_event() {
            self.ready.push_back(e);
        }
    }

    /// Drive the session until it has an event.
    async fn next_event(&mut self) -> Option<StreamEvent> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                if matches!(e, StreamEvent::SessionEnded(_)) {
                    self.done = true;
                }
                return Some(e);
            }
            if self.done {
                return None;
            }
            let clock = self.client.inner.clock.clone();
            // Listen before looking, so that audio written in between is not missed.
            let listener = self.shared.audio.listen();
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
