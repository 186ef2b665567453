//! Starting an emulator: [`Emulator::builder`], its settings, and the [`EmulatorHandle`] of a running one.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::HeaderValue;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::Authority;
use crate::engine::{Recognizer, Synthesizer};
use crate::engines::scripted::ScriptedRecognizer;
use crate::engines::tone::ToneSynthesizer;
use crate::faults::Faults;
use crate::log::{LoggedRequest, RequestLog};
use crate::server::{accept_loop, router};
use crate::state::{AppState, RecognitionMode};
use crate::tls;

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
        crate::service::entra::write_az_stand_in(dir, &self.entra_token_url())
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
