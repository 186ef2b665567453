//! The builder, the handle, the accept loop and the per-request gate (log + limits + faults).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::auth::{self, Authority};
use crate::engine::{Recognizer, Synthesizer};
use crate::engines::scripted::ScriptedRecognizer;
use crate::engines::tone::ToneSynthesizer;
use crate::faults::{Action, Faults};
use crate::log::{CountingBody, LoggedRequest, RequestLog};
use crate::{stt, tls, token, tts};

/// How long a connection may take for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The three recognition modes of the speech-to-text path (`/speech/recognition/{mode}/cognitiveservices/v1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecognitionMode {
    /// `interactive`: short commands.
    Interactive,
    /// `conversation`: people talking to each other.
    Conversation,
    /// `dictation`: full sentences.
    Dictation,
}

impl RecognitionMode {
    /// The path segment, e.g. `"conversation"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Conversation => "conversation",
            Self::Dictation => "dictation",
        }
    }

    /// The mode named by a path segment (exact, lower case as the service writes it).
    pub fn from_path(segment: &str) -> Option<Self> {
        match segment {
            "interactive" => Some(Self::Interactive),
            "conversation" => Some(Self::Conversation),
            "dictation" => Some(Self::Dictation),
            _ => None,
        }
    }

    /// The default initial-silence timeout: 5 s for interactive, 15 s for conversation and dictation
    /// (the Speech SDK maintainers' figures, spec §2.10).
    pub fn default_initial_silence_timeout(self) -> Duration {
        match self {
            Self::Interactive => Duration::from_secs(5),
            Self::Conversation | Self::Dictation => Duration::from_secs(15),
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Self::Interactive => 0,
            Self::Conversation => 1,
            Self::Dictation => 2,
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The listening socket could not be opened.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// The TLS certificate or configuration could not be built.
    Tls(String),
    /// A builder setting is invalid (e.g. an empty key or region).
    Config(String),
    /// The runtime thread of [`EmulatorBuilder::start_blocking`] could not be started.
    Runtime(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Self::Tls(msg) => f.write_str(msg),
            Self::Config(msg) => write!(f, "invalid emulator setting: {msg}"),
            Self::Runtime(e) => write!(f, "cannot start the emulator's runtime: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } | Self::Runtime(source) => Some(source),
            Self::Tls(_) | Self::Config(_) => None,
        }
    }
}

/// Entry point: `Emulator::builder()`.
#[derive(Debug)]
pub struct Emulator {
    _private: (),
}

impl Emulator {
    /// A builder with the defaults: one key `emulator-key`, region `westus`, 10-minute tokens, the
    /// deterministic engines, plain HTTP on a free loopback port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Settings of an emulator. Every setting has a default; see [`Emulator::builder`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    keys: Vec<String>,
    region: String,
    token_lifetime: Duration,
    recognizer: Option<Arc<dyn Recognizer>>,
    synthesizer: Option<Arc<dyn Synthesizer>>,
    tls: bool,
    entra_resource_id: Option<String>,
    port: u16,
    audio_timeout: Duration,
    initial_silence: [Duration; 3],
    max_body_bytes: u64,
    fast_transcription: bool,
    max_fast_body_bytes: u64,
    entra_token_lifetime: Duration,
    stream_lifetime: Duration,
    stream_idle_timeout: Duration,
    latency: Duration,
    quota: Option<(u32, Duration)>,
    max_concurrency: Option<usize>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            region: "westus".to_owned(),
            token_lifetime: Duration::from_secs(600),
            recognizer: None,
            synthesizer: None,
            tls: false,
            entra_resource_id: None,
            port: 0,
            audio_timeout: Duration::from_secs(10),
            initial_silence: [
                RecognitionMode::Interactive.default_initial_silence_timeout(),
                RecognitionMode::Conversation.default_initial_silence_timeout(),
                RecognitionMode::Dictation.default_initial_silence_timeout(),
            ],
            max_body_bytes: 64 * 1024 * 1024,
            fast_transcription: true,
            max_fast_body_bytes: 300 * 1024 * 1024,
            entra_token_lifetime: Duration::from_secs(60 * 60),
            stream_lifetime: Duration::from_secs(10 * 60),
            stream_idle_timeout: Duration::from_secs(180),
            latency: Duration::ZERO,
            quota: None,
            max_concurrency: None,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .field("region", &self.region)
            .field("token_lifetime", &self.token_lifetime)
            .field(
                "recognizer",
                &self.recognizer.as_ref().map(|r| r.name().to_owned()),
            )
            .field(
                "synthesizer",
                &self.synthesizer.as_ref().map(|s| s.name().to_owned()),
            )
            .field("tls", &self.tls)
            .field("entra", &self.entra_resource_id.is_some())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl EmulatorBuilder {
    /// Accept this subscription key. Call it several times to accept several keys; without any call the
    /// emulator accepts the single key `emulator-key`.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// The region named in issued tokens (`region` and `aud` claims). Default `westus`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Lifetime of issued tokens (whole seconds; 0 issues tokens that are already expired). Default 10 min.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The speech-to-text engine. Default: a fresh [`ScriptedRecognizer`].
    pub fn recognizer(mut self, recognizer: Arc<dyn Recognizer>) -> Self {
        self.recognizer = Some(recognizer);
        self
    }

    /// The text-to-speech engine. Default: [`ToneSynthesizer`].
    pub fn synthesizer(mut self, synthesizer: Arc<dyn Synthesizer>) -> Self {
        self.synthesizer = Some(synthesizer);
        self
    }

    /// Serve HTTPS with a freshly generated certificate for `localhost` and `127.0.0.1`, signed by a
    /// throw-away CA whose certificate [`EmulatorHandle::ca_cert_pem`] returns.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Accept `Authorization: Bearer aad#<resource_id>#<token>` for this resource id (any non-empty token).
    pub fn entra_resource_id(mut self, resource_id: impl Into<String>) -> Self {
        self.entra_resource_id = Some(resource_id.into());
        self
    }

    /// The loopback port to listen on; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long speech-to-text waits for request body bytes (before the first, and between any two)
    /// before answering `408`. Default 10 s.
    pub fn audio_timeout(mut self, timeout: Duration) -> Self {
        self.audio_timeout = timeout;
        self
    }

    /// How much leading silence a recognition mode tolerates before `InitialSilenceTimeout`. Defaults:
    /// [`RecognitionMode::default_initial_silence_timeout`].
    pub fn initial_silence_timeout(mut self, mode: RecognitionMode, timeout: Duration) -> Self {
        self.initial_silence[mode.index()] = timeout;
        self
    }

    /// The largest speech-to-text request body accepted; a larger one is answered `413`. Default 64 MiB.
    /// (Only the first 60 s of audio are heard whatever the size.)
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Whether fast transcription is offered (default: yes). Without it, its endpoint answers `404` as a
    /// region without the feature would (the emulator's reading; the service's answer is not documented).
    pub fn fast_transcription(mut self, offered: bool) -> Self {
        self.fast_transcription = offered;
        self
    }

    /// The largest fast-transcription request body accepted; a larger one is answered `413`. Default 300 MB,
    /// the service's limit.
    pub fn max_fast_body_bytes(mut self, bytes: u64) -> Self {
        self.max_fast_body_bytes = bytes;
        self
    }

    /// The lifetime of the test Entra tokens the emulator issues (`POST /entra-test/token`,
    /// [`EmulatorHandle::entra_token`]); default one hour, as Entra's. Whole seconds, at least 1.
    pub fn entra_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.entra_token_lifetime = lifetime;
        self
    }

    /// How long a streaming-recognition WebSocket connection lives before the emulator closes it (code 1000,
    /// "Connection lifetime exceeded."), whatever is going on; default 10 minutes, as the service's.
    pub fn stream_connection_lifetime(mut self, lifetime: Duration) -> Self {
        self.stream_lifetime = lifetime;
        self
    }

    /// How long a streaming-recognition connection may go without a message from the client before the emulator
    /// closes it (code 1000, "Idle timeout."); default 180 s, the legacy service's.
    pub fn stream_idle_timeout(mut self, timeout: Duration) -> Self {
        self.stream_idle_timeout = timeout;
        self
    }

    /// Delay every request (see [`Faults::set_latency`]).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// At most `requests` requests per `window` (see [`Faults::set_quota`]).
    pub fn quota(mut self, requests: u32, window: Duration) -> Self {
        self.quota = Some((requests, window));
        self
    }

    /// At most `max` requests in flight (see [`Faults::set_max_concurrency`]).
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = Some(max);
        self
    }

    /// Start serving on the current tokio runtime. The server runs as a spawned task until
    /// [`EmulatorHandle::shutdown`] or until the handle is dropped.
    pub async fn start(self) -> Result<EmulatorHandle, StartError> {
        let (handle, server) = self.prepare().await?;
        tokio::spawn(server);
        Ok(handle)
    }

    /// Start serving on a runtime of its own, on a new thread: for blocking tests and programs without
    /// tokio. [`EmulatorHandle::shutdown`] (or dropping the handle) stops the server and joins the thread.
    pub fn start_blocking(self) -> Result<EmulatorHandle, StartError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("speech-emulator".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("speech-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(StartError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match self.prepare().await {
                        Ok((handle, server)) => {
                            if tx.send(Ok(handle)).is_ok() {
                                server.await;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
                // Engines may still be busy in spawn_blocking; do not wait for them forever.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(StartError::Runtime)?;
        match rx.recv() {
            Ok(Ok(handle)) => {
                *handle.thread.lock().unwrap_or_else(PoisonError::into_inner) = Some(thread);
                Ok(handle)
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(StartError::Runtime(io::Error::other(
                    "the emulator thread stopped while starting",
                )))
            }
        }
    }

    async fn prepare(
        self,
    ) -> Result<(EmulatorHandle, impl Future<Output = ()> + Send + 'static), StartError> {
        let keys = if self.keys.is_empty() {
            vec!["emulator-key".to_owned()]
        } else {
            self.keys
        };
        if keys
            .iter()
            .any(|k| k.is_empty() || HeaderValue::from_str(k).is_err())
        {
            return Err(StartError::Config(
                "a key is empty or not a valid header value".into(),
            ));
        }
        if self.region.is_empty()
            || !self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(StartError::Config(
                "the region must be lower-case letters and digits".into(),
            ));
        }
        if let Some(id) = &self.entra_resource_id {
            if id.is_empty() || id.contains('#') {
                return Err(StartError::Config(
                    "the Entra resource id must be non-empty and without '#'".into(),
                ));
            }
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| StartError::Config(format!("no randomness for the token secret: {e}")))?;

        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let tls = if self.tls {
            Some(tls::generate().map_err(StartError::Tls)?)
        } else {
            None
        };
        let base_url = match tls {
            Some(_) => format!("https://localhost:{}", local.port()),
            None => format!("http://{local}"),
        };

        let faults = Faults::default();
        faults.set_latency(self.latency);
        if let Some((requests, window)) = self.quota {
            faults.set_quota(requests, window);
        }
        faults.set_max_concurrency(self.max_concurrency);

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let state = Arc::new(AppState {
            auth: Authority::new(
                keys.clone(),
                secret,
                self.region.clone(),
                self.token_lifetime,
                self.entra_resource_id,
            ),
            recognizer: self
                .recognizer
                .unwrap_or_else(|| Arc::new(ScriptedRecognizer::new())),
            synthesizer: self
                .synthesizer
                .unwrap_or_else(|| Arc::new(ToneSynthesizer::new())),
            faults,
            log: RequestLog::default(),
            audio_timeout: self.audio_timeout,
            initial_silence: self.initial_silence,
            max_body_bytes: self.max_body_bytes,
            fast_transcription: self.fast_transcription,
            max_fast_body_bytes: self.max_fast_body_bytes,
            entra_token_lifetime: self.entra_token_lifetime,
            stream_lifetime: self.stream_lifetime,
            stream_idle_timeout: self.stream_idle_timeout,
            shutdown: shutdown_rx.clone(),
        });
        let router = router(state.clone());
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        let server = async move {
            accept_loop(listener, router, acceptor, shutdown_rx).await;
            let _ = stopped_tx.send(true);
        };
        let handle = EmulatorHandle {
            state,
            addr: local,
            base_url,
            keys,
            region: self.region,
            ca_pem: tls.map(|t| t.ca_pem),
            shutdown_tx,
            stopped_rx,
            thread: Mutex::new(None),
        };
        Ok((handle, server))
    }
}

/// Everything the request handlers share.
pub(crate) struct AppState {
    pub(crate) auth: Authority,
    pub(crate) recognizer: Arc<dyn Recognizer>,
    pub(crate) synthesizer: Arc<dyn Synthesizer>,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) audio_timeout: Duration,
    pub(crate) initial_silence: [Duration; 3],
    pub(crate) max_body_bytes: u64,
    pub(crate) fast_transcription: bool,
    pub(crate) max_fast_body_bytes: u64,
    pub(crate) entra_token_lifetime: Duration,
    pub(crate) stream_lifetime: Duration,
    pub(crate) stream_idle_timeout: Duration,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// A running emulator. Dropping it shuts the emulator down.
pub struct EmulatorHandle {
    state: Arc<AppState>,
    addr: SocketAddr,
    base_url: String,
    keys: Vec<String>,
    region: String,
    ca_pem: Option<String>,
    shutdown_tx: watch::Sender<bool>,
    stopped_rx: watch::Receiver<bool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("region", &self.region)
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .field("tls", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// The base URL to point clients at: `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of the emulator's test Entra token endpoint (`POST`, a form with `scope`; see the crate
    /// README): where a token source for keyless tests gets its tokens.
    pub fn entra_token_url(&self) -> String {
        format!("{}/entra-test/token", self.base_url)
    }

    /// Write a stand-in for the Azure CLI into `dir` (an executable `az`, a Python 3 script) that answers
    /// `az account get-access-token` — with `--resource` or `--scope`, `-o json` or `--query accessToken -o tsv`
    /// — with test Entra tokens from this emulator's issuer ([`entra_token_url`](Self::entra_token_url)). Put
    /// `dir` first on `PATH`, and keyless tools (`speech --auth entra --token-command "az …"`, `azure_identity`'s
    /// `AzureCliCredential`) run offline against the emulator. Needs `python3` on `PATH`; on Windows, run it as
    /// `python az`. Returns the script's path.
    ///
    /// # Errors
    ///
    /// The file could not be written.
    pub fn write_az_stand_in(&self, dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        crate::entra::write_az_stand_in(dir, &self.entra_token_url())
    }

    /// A test Entra access token for `scope`, as the token endpoint would issue it now (the configured
    /// lifetime), with its expiry in seconds since the Unix epoch.
    pub fn entra_token(&self, scope: &str) -> (String, u64) {
        self.state
            .auth
            .mint_entra(scope, self.state.entra_token_lifetime)
    }

    /// The first accepted subscription key.
    pub fn key(&self) -> &str {
        // ok: `prepare` always stores at least one key.
        self.keys.first().map(String::as_str).unwrap_or_default()
    }

    /// Every accepted subscription key.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The region named in issued tokens.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Issue a token as `POST /sts/v1.0/issueToken` would, without a request (for tests that need one).
    pub fn issue_token(&self) -> String {
        self.state.auth.mint(self.key().as_bytes())
    }

    /// The requests received so far, oldest first (the last 10,000), with secrets masked.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Forget the requests logged so far.
    pub fn clear_requests(&self) {
        self.state.log.clear();
    }

    /// The limits and injected faults, changeable while the emulator runs.
    pub fn faults(&self) -> Faults {
        self.state.faults.clone()
    }

    /// With TLS, the PEM certificate of the CA that signed the server certificate: add it to the client's
    /// trusted roots. `None` without TLS.
    pub fn ca_cert_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }

    /// Stop accepting connections, let requests in flight finish (up to 5 s; stalled requests are cut at
    /// once) and close every connection. Idempotent. With [`EmulatorBuilder::start_blocking`] this waits
    /// until the server thread has ended; with [`EmulatorBuilder::start`] it only signals, and
    /// [`Self::stopped`] waits.
    pub fn shutdown(&self) {
        self.shutdown_tx.send_replace(true);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }

    /// Wait until the server has stopped (after [`Self::shutdown`]).
    pub async fn stopped(&self) {
        let mut rx = self.stopped_rx.clone();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Per-connection controls, handed to every request of the connection as an extension.
#[derive(Clone)]
pub(crate) struct ConnCtx {
    kill: Arc<Notify>,
}

impl ConnCtx {
    /// Reset the connection (RST) at once.
    pub(crate) fn kill(&self) {
        self.kill.notify_one();
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sts/v1.0/issueToken", post(token::issue))
        .route("/sts/v1.0/issuetoken", post(token::issue))
        .route(
            "/speech/recognition/{mode}/cognitiveservices/v1",
            post(stt::recognize).get(crate::stream::handshake),
        )
        .route(
            "/stt/speech/recognition/{mode}/cognitiveservices/v1",
            post(stt::recognize).get(crate::stream::handshake),
        )
        .route("/speech/universal/v2", get(crate::stream::handshake))
        .route("/stt/speech/universal/v2", get(crate::stream::handshake))
        .route("/entra-test/token", post(crate::entra::token))
        .route(
            "/speechtotext/transcriptions:transcribe",
            post(crate::fast::transcribe),
        )
        .route("/cognitiveservices/v1", post(tts::synthesize))
        .route("/tts/cognitiveservices/v1", post(tts::synthesize))
        .route("/cognitiveservices/voices/list", get(tts::voices))
        .route("/tts/cognitiveservices/voices/list", get(tts::voices))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

pub(crate) async fn not_found() -> Response {
    auth::error_json(StatusCode::NOT_FOUND, "Resource not found")
}

fn request_id() -> HeaderValue {
    let mut b = [0u8; 16];
    // Only an identifier for correlation; zeros if the OS RNG ever failed.
    let _ = getrandom::fill(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let id = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static(
        "00000000-0000-0000-0000-000000000000",
    ))
}

fn throttled(retry_after: u64) -> Response {
    let mut response = auth::error_json(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Rate limit is exceeded. Try again in {retry_after} seconds."),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

/// The gate every request passes: log entry, latency, concurrency cap, quota, injected faults.
async fn gate(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let slot = state.log.start(
        request.method().as_str(),
        request.uri().path(),
        request.uri().query(),
        request.headers(),
    );
    let ctx = request.extensions().get::<ConnCtx>().cloned();
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, CountingBody::wrap(body, slot.clone()));

    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut response = match state.faults.enter() {
        Err(retry_after) => throttled(retry_after),
        Ok(_in_flight) => match state.faults.decide(Instant::now()) {
            Action::Throttle(retry_after) => throttled(retry_after),
            Action::Stall => {
                let mut shutdown = state.shutdown.clone();
                let _ = shutdown.wait_for(|stop| *stop).await;
                return hang_up(ctx).await;
            }
            Action::Fail(status) => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                format!("Injected fault: {status}"),
            )
                .into_response(),
            Action::Reset(bytes) => {
                let mut body = request.into_body();
                let mut read = 0u64;
                while read < bytes {
                    match tokio::time::timeout(state.audio_timeout, body.frame()).await {
                        Ok(Some(Ok(frame))) => {
                            read += frame.data_ref().map_or(0, |d| d.len() as u64);
                        }
                        _ => break,
                    }
                }
                return hang_up(ctx).await;
            }
            Action::Proceed { truncate } => {
                let response = next.run(request).await;
                if truncate {
                    slot.set_status(response.status().as_u16());
                    let mut cut = truncated(response).await;
                    cut.headers_mut().insert("apim-request-id", request_id());
                    return cut;
                }
                response
            }
        },
    };
    slot.set_status(response.status().as_u16());
    response
        .headers_mut()
        .insert("apim-request-id", request_id());
    response
}

/// Reset the connection and never answer.
async fn hang_up(ctx: Option<ConnCtx>) -> Response {
    match ctx {
        Some(ctx) => {
            ctx.kill();
            std::future::pending().await
        }
        // Not reachable through the emulator's own accept loop, which always adds the context.
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Send half of the body with chunked framing, then fail the body so that the connection is closed
/// without the terminating chunk.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let half = bytes.slice(..bytes.len() / 2);
    let stream = futures_util::stream::unfold(Some(half), |pending| async move {
        match pending {
            Some(half) => Some((Ok::<Bytes, io::Error>(half), None)),
            None => {
                // Give the connection a turn to flush what it has buffered before failing the body.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "injected truncation",
                    )),
                    None,
                ))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    if !*shutdown.borrow() {
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _peer)) => {
                        connections.spawn(serve_connection(tcp, router.clone(), tls.clone(), shutdown.clone()));
                    }
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = shutdown.changed() => break,
            }
        }
    }
    drop(listener);
    let grace = tokio::time::sleep(SHUTDOWN_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            next = connections.join_next() => if next.is_none() { break },
            _ = &mut grace => {
                connections.abort_all();
                while connections.join_next().await.is_some() {}
                break;
            }
        }
    }
}

async fn serve_connection(
    tcp: TcpStream,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    // Keep a second descriptor of the socket so that an injected reset can set SO_LINGER=0 on it after the
    // connection (and with it the first descriptor) is gone.
    let Ok(std_tcp) = tcp.into_std() else { return };
    let Ok(keeper) = std_tcp.try_clone() else {
        return;
    };
    let Ok(tcp) = TcpStream::from_std(std_tcp) else {
        return;
    };
    match tls {
        None => drive(tcp, router, keeper, shutdown).await,
        Some(acceptor) => {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
            let stream = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(stream)) => stream,
                    _ => return,
                },
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            drive(stream, router, keeper, shutdown).await;
        }
    }
}

async fn drive<I>(
    io: I,
    router: Router,
    keeper: std::net::TcpStream,
    mut shutdown: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let ctx = ConnCtx { kill: kill.clone() };
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ctx.clone());
        let router = router.clone();
        async move { Ok::<_, Infallible>(router.oneshot(request).await.into_response()) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut draining = *shutdown.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = kill.notified() => {
                let _ = socket2::SockRef::from(&keeper).set_linger(Some(Duration::ZERO));
                return;
            }
            _ = shutdown.changed(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
