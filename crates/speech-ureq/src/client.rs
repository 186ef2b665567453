//! The client and its builder: the driving loop around the core.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use speech_proto::auth::TokenConfig;
use speech_proto::call::{BodyPlan, Call, Fault, Finished, Output, TokenSource};
use speech_proto::recognize::{AudioContentType, BodyLength, Recognition, RecognitionRequest};
use speech_proto::retry::{RetryPolicy, TransportFailure};
use speech_proto::synthesize::SynthesisRequest;
use speech_proto::voices::{voices_request, Voice};
use speech_proto::{Auth, AuthMode, Credential, Endpoint, Misuse, Token};
use ureq::config::Config;
use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Proxy, SendBody};

use crate::auth::{FetchOutcome, SharedAuth};
use crate::body::{peek_and_check_wav, SynthesisStream, Upload};
use crate::clock::{Clock, ClockFn, SleepFn};
use crate::entra::EntraTokenSource;
use crate::error::Error;

/// The `User-Agent` of requests that do not set their own (synthesis requests carry the caller's).
pub const DEFAULT_USER_AGENT: &str = concat!("speech-ureq/", env!("CARGO_PKG_VERSION"));

/// The default connect timeout (10 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default timeout for each read from the connection (30 s): how long the service may stay silent, e.g.
/// while it recognizes the audio.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The default timeout for each read of a fast transcription's answer (30 minutes): the service answers when
/// the whole file is transcribed, and says nothing until then.
pub const DEFAULT_FAST_TRANSCRIPTION_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A blocking client for the Azure Speech REST APIs.
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool and the token. `Send + Sync`: share one
/// client between threads. Every call runs on the core's call machine ([`speech_proto::call::Call`]), which
/// decides authorization (a token fetched when needed, one thread at a time), what the answer means and when to
/// retry; the client only sends with ureq, reads, locks and sleeps.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) agent: Agent,
    /// The same settings with the long read timeout of fast transcription.
    pub(crate) fast_agent: Agent,
    /// Fast transcription's own authentication (the key as it is, Entra as a plain bearer).
    pub(crate) fast_auth: SharedAuth,
    pub(crate) endpoint: Endpoint,
    credential: Credential,
    token_config: TokenConfig,
    pub(crate) auth: SharedAuth,
    pub(crate) retry: RetryPolicy,
    check_audio: bool,
    pub(crate) clock: Clock,
    /// TLS for streaming connections (the same roots as the REST calls).
    pub(crate) ws_tls: Arc<rustls::ClientConfig>,
    /// The proxy of the REST calls, which streaming connections go through too (as a `CONNECT` tunnel).
    pub(crate) proxy: Option<Proxy>,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

/// Settings for a [`Client`]; start with [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    endpoint: Endpoint,
    credential: Credential,
    auth_mode: AuthMode,
    token_config: TokenConfig,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    fast_read_timeout: Option<Duration>,
    timeout: Option<Duration>,
    user_agent: String,
    retry: RetryPolicy,
    proxy: Option<String>,
    proxy_from_env: bool,
    allow_insecure_http: Option<bool>,
    root_certs_pem: Vec<String>,
    check_audio: bool,
    clock: Option<ClockFn>,
    sleep: Option<SleepFn>,
    entra: Option<Arc<dyn EntraTokenSource>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.credential.describe(self.auth_mode))
            .field("retry", &self.retry)
            .field("check_audio", &self.check_audio)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// How a subscription key is used: [`AuthMode::Token`] (the default here) exchanges it for 10-minute bearer
    /// tokens, so that the key only ever goes to the token service; [`AuthMode::Key`] sends the key on every
    /// request (no token round trip; works with every endpoint form). Ignored for other credentials.
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// The token machine's timing (see [`TokenConfig`]); the default follows Microsoft's advice (reuse for
    /// 9 minutes, never past 10 or the token's `exp`).
    pub fn token_config(mut self, config: TokenConfig) -> Self {
        self.token_config = config;
        self
    }

    /// How long to wait for a connection, TLS included (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long each read from the connection may wait (default [`DEFAULT_READ_TIMEOUT`]). This bounds the
    /// wait for an answer and every pause while a [`SynthesisStream`] is read.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// How long each read of a fast transcription's answer may wait (default
    /// [`DEFAULT_FAST_TRANSCRIPTION_TIMEOUT`], 30 minutes): the service says nothing until the whole file is
    /// transcribed.
    pub fn fast_transcription_timeout(mut self, timeout: Duration) -> Self {
        self.fast_read_timeout = Some(timeout);
        self
    }

    /// The longest one attempt may take, from connecting to the last byte of the answer (including the time a
    /// [`SynthesisStream`] is being read); none by default. Retries start a new attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The `User-Agent` of token, recognition and voices requests (default [`DEFAULT_USER_AGENT`]). Synthesis
    /// requests carry the one in their [`SynthesisRequest`].
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = user_agent.to_owned();
        self
    }

    /// When to retry (default [`RetryPolicy::default`]: up to 4 attempts).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Never retry ([`RetryPolicy::none`]). A 401 for a token the client fetched is still answered by fetching
    /// a new token and resending once: that is the token protocol, not a retry.
    pub fn no_retry(self) -> Self {
        self.retry(RetryPolicy::none())
    }

    /// Send every request through this proxy (`http://host:port`, `https://…`, `socks5://…`, with
    /// `user:password@` when needed); `None` to clear an explicit proxy. An explicit proxy wins over the
    /// environment. Streaming recognition ([`Client::listen`]) goes through it too, as a `CONNECT` tunnel, when it
    /// is an `http://` proxy; with another kind its connections fail with an error that says so.
    pub fn proxy(mut self, proxy: Option<String>) -> Self {
        self.proxy = proxy;
        self
    }

    /// Read the proxy from the environment when none is set explicitly (default `true`), with ureq's
    /// `Proxy::try_from_env`: the first of `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` (or their lower-case forms)
    /// that parses, whatever the scheme of the target, and `NO_PROXY`/`no_proxy` as a comma-separated list of
    /// exact host names (`localhost`, `127.0.0.1`), suffixes (`.example.com`, `*.example.com`), prefixes
    /// (`10.1.`) or `*`. Entries are not trimmed (write `a,b`, not `a, b`), and there is no CIDR or port
    /// matching.
    pub fn proxy_from_env(mut self, from_env: bool) -> Self {
        self.proxy_from_env = from_env;
        self
    }

    /// Allow plain `http://` to hosts that are not loopback (see [`Endpoint::allow_insecure_http`]); when not
    /// called, the endpoint's own setting applies. Loopback (the emulator) never needs it.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = Some(allow);
        self
    }

    /// Trust the certificates of this PEM text (e.g. the emulator's CA). Once any is added, **only** the added
    /// certificates are trusted, not the built-in Mozilla roots: this is for private CAs, test servers and
    /// TLS-intercepting proxies, not for widening the public set.
    pub fn add_root_certificate_pem(mut self, pem: &str) -> Self {
        self.root_certs_pem.push(pem.to_owned());
        self
    }

    /// Check a WAV file's header before sending it (default `true`): audio the service would hear as silence
    /// or noise (not 16 kHz, not mono, not 16-bit PCM, longer than 60 s, or 30 s with pronunciation assessment)
    /// is refused with [`speech_proto::Error::Audio`] naming the problem and the fix, and a file that is not
    /// WAV with [`speech_proto::Error::MalformedWav`], before a byte is sent. Only for
    /// [`AudioContentType::WavPcm16k`] requests.
    pub fn check_audio(mut self, check: bool) -> Self {
        self.check_audio = check;
        self
    }

    /// The clock: the one place the client reads the time (default `Instant::now`). Wall-clock seconds, which
    /// the core compares with a token's `exp` and an HTTP-date `Retry-After`, are derived from it (anchored to
    /// the system time once, at [`build`](Self::build)), so a test clock moves both. Retry waits go through
    /// [`sleep`](Self::sleep).
    pub fn clock(mut self, clock: Arc<dyn Fn() -> Instant + Send + Sync>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How the client waits between attempts (default `std::thread::sleep`). A test on virtual time passes a
    /// function that advances its [`clock`](Self::clock) instead of sleeping.
    pub fn sleep(mut self, sleep: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Where Microsoft Entra tokens come from, for a
    /// [`Credential::entra_token_source`](speech_proto::Credential::entra_token_source) credential (required
    /// with it, ignored otherwise). See [`EntraTokenSource`].
    pub fn entra_token_source(mut self, source: impl EntraTokenSource + 'static) -> Self {
        self.entra = Some(Arc::new(source));
        self
    }

    /// Build the client.
    ///
    /// # Errors
    ///
    /// [`Error::Proto`] when the credential cannot be used with the endpoint (e.g. a plain-`http` endpoint on
    /// the network without [`allow_insecure_http`](Self::allow_insecure_http)); [`Error::Config`] for a proxy
    /// URL or certificate PEM that cannot be used.
    pub fn build(self) -> Result<Client, Error> {
        let (endpoint, auth) = Auth::for_client(
            self.endpoint,
            self.allow_insecure_http,
            &self.credential,
            self.auth_mode,
            self.token_config,
        )?;

        let mut tls = TlsConfig::builder();
        if !self.root_certs_pem.is_empty() {
            let mut certs = Vec::new();
            for pem in &self.root_certs_pem {
                for item in ureq::tls::parse_pem(pem.as_bytes()) {
                    match item {
                        Ok(PemItem::Certificate(c)) => certs.push(c),
                        Ok(_) => {}
                        Err(e) => return Err(Error::Config(format!("root certificate PEM: {e}"))),
                    }
                }
            }
            if certs.is_empty() {
                return Err(Error::Config(
                    "root certificate PEM: no CERTIFICATE section found".to_owned(),
                ));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        let proxy = match (&self.proxy, self.proxy_from_env) {
            (Some(url), _) => {
                // The URL is not echoed: it may hold a password.
                Some(Proxy::new(url).map_err(|e| Error::Config(format!("the proxy URL: {e}")))?)
            }
            (None, true) => Proxy::try_from_env(),
            (None, false) => None,
        };
        let tls_config = tls.build();
        let config = |read_timeout: Duration| {
            Config::builder()
                // The core classifies every answer; ureq must hand back 4xx/5xx as responses.
                .http_status_as_error(false)
                // A redirect would carry the key header to another host; the core treats 3xx as an error answer.
                .max_redirects(0)
                .max_redirects_will_error(false)
                .accept_encoding("")
                .user_agent(self.user_agent.as_str())
                .timeout_connect(Some(
                    self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                ))
                .timeout_per_read(Some(read_timeout))
                .timeout_per_call(self.timeout)
                .tls_config(tls_config.clone())
                .proxy(proxy.clone())
                .build()
        };
        let agent =
            Agent::new_with_config(config(self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT)));
        let fast_agent = Agent::new_with_config(config(
            self.fast_read_timeout
                .unwrap_or(DEFAULT_FAST_TRANSCRIPTION_TIMEOUT),
        ));
        if self.credential.needs_token_source() && self.entra.is_none() {
            return Err(Error::Config(
                "an Entra token-source credential needs ClientBuilder::entra_token_source"
                    .to_owned(),
            ));
        }
        let fast_auth = SharedAuth::with_entra(
            Auth::for_fast_transcription(&endpoint, &self.credential, self.token_config)?,
            self.entra.clone(),
        );
        let ws_tls = websocket_tls(&self.root_certs_pem)?;
        let clock = Clock::new(
            self.clock.unwrap_or_else(|| Arc::new(Instant::now)),
            self.sleep.unwrap_or_else(|| Arc::new(std::thread::sleep)),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                fast_agent,
                fast_auth,
                endpoint,
                credential: self.credential,
                token_config: self.token_config,
                auth: SharedAuth::with_entra(auth, self.entra),
                retry: self.retry,
                check_audio: self.check_audio,
                clock,
                ws_tls,
                proxy,
                connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                read_timeout: self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT),
            }),
        })
    }
}

/// The rustls configuration of streaming connections: Mozilla's roots (webpki-roots) and the extra roots given.
fn websocket_tls(pems: &[String]) -> Result<Arc<rustls::ClientConfig>, Error> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in pems {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::Config(format!("root certificate PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Config(format!("root certificate: {e}")))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Config(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

impl Client {
    /// Settings for a client of the resource at `endpoint`, authenticated with `credential`.
    pub fn builder(endpoint: Endpoint, credential: Credential) -> ClientBuilder {
        ClientBuilder {
            endpoint,
            credential,
            auth_mode: AuthMode::Token,
            token_config: TokenConfig::default(),
            connect_timeout: None,
            read_timeout: None,
            fast_read_timeout: None,
            timeout: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            proxy: None,
            proxy_from_env: true,
            allow_insecure_http: None,
            root_certs_pem: Vec::new(),
            check_audio: true,
            clock: None,
            sleep: None,
            entra: None,
        }
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Recognize speech in audio streamed from `audio` (sent as it is read, chunked unless `request` says
    /// otherwise; at most 60 s are heard).
    ///
    /// With [`check_audio`](ClientBuilder::check_audio) on (the default) and a WAV request, only the header
    /// bytes are read first and checked; they are then sent in front of the rest. A stream that was partly
    /// sent cannot be sent again, so a failure after the upload started is final (a `429` or `401` answered
    /// before the body was read is still retried).
    ///
    /// `NoMatch`, `InitialSilenceTimeout` and `BabbleTimeout` are results, not errors: look at
    /// [`Recognition::status`] and [`Recognition::hint`].
    ///
    /// # Errors
    ///
    /// See [`Error`]: [`Error::Io`] when `audio` fails, [`speech_proto::Error::Audio`] /
    /// [`speech_proto::Error::MalformedWav`] for refused audio, service answers, transport failures.
    pub fn recognize<R: Read + Send>(
        &self,
        audio: R,
        request: &RecognitionRequest,
    ) -> Result<Recognition, Error> {
        let mut audio = audio;
        request.build(&self.inner.endpoint)?;
        let peeked = if self.checks_audio(request) {
            peek_and_check_wav(&mut audio, request.has_pronunciation_assessment())?
        } else {
            Vec::new()
        };
        let mut upload = Upload::stream(peeked, &mut audio);
        self.recognize_upload(request, &mut upload)
    }

    /// Recognize speech in a file (sent with its length; checked first, see [`Client::recognize`]). The file
    /// is read again from the start for a retry.
    ///
    /// # Errors
    ///
    /// As [`Client::recognize`]; [`Error::Io`] when the file cannot be opened or read.
    pub fn recognize_file(
        &self,
        path: impl AsRef<Path>,
        request: &RecognitionRequest,
    ) -> Result<Recognition, Error> {
        let mut file = File::open(path.as_ref())?;
        let len = file.metadata()?.len();
        let request = request.clone().body_length(BodyLength::Known(len));
        request.build(&self.inner.endpoint)?;
        if self.checks_audio(&request) {
            peek_and_check_wav(&mut file, request.has_pronunciation_assessment())?;
        }
        let mut upload = Upload::file(file);
        self.recognize_upload(&request, &mut upload)
    }

    /// Recognize speech in audio held in memory (sent with its length; checked first, see
    /// [`Client::recognize`]).
    ///
    /// # Errors
    ///
    /// As [`Client::recognize`].
    pub fn recognize_bytes(
        &self,
        audio: &[u8],
        request: &RecognitionRequest,
    ) -> Result<Recognition, Error> {
        let request = request
            .clone()
            .body_length(BodyLength::Known(audio.len() as u64));
        request.build(&self.inner.endpoint)?;
        if self.checks_audio(&request) {
            peek_and_check_wav(&mut &audio[..], request.has_pronunciation_assessment())?;
        }
        let mut upload = Upload::bytes(audio);
        self.recognize_upload(&request, &mut upload)
    }

    fn checks_audio(&self, request: &RecognitionRequest) -> bool {
        self.inner.check_audio && request.audio_content_type() == AudioContentType::WavPcm16k
    }

    fn recognize_upload(
        &self,
        request: &RecognitionRequest,
        upload: &mut Upload<'_>,
    ) -> Result<Recognition, Error> {
        let call = Call::recognition(
            request.build(&self.inner.endpoint)?,
            upload.plan(),
            self.inner.retry,
        );
        self.drive(&self.inner.agent, &self.inner.auth, call, upload)
            .and_then(value)
    }

    /// Synthesize speech. The answer streams: the returned reader yields audio as the service sends it, and
    /// reports an error if the answer ends early.
    ///
    /// # Errors
    ///
    /// The request's own errors (empty SSML, a bad user agent), service answers (400 for invalid SSML or an
    /// unknown voice, 401, 429 …) and transport failures, all before the first audio byte.
    pub fn synthesize(&self, request: &SynthesisRequest) -> Result<SynthesisStream, Error> {
        let call = Call::synthesis(request.build(&self.inner.endpoint)?, self.inner.retry);
        let mut upload = Upload::bytes(request.body().as_bytes());
        match self.drive(&self.inner.agent, &self.inner.auth, call, &mut upload)? {
            Finished::Stream(response) => {
                let (parts, body) = response.into_parts();
                Ok(SynthesisStream::new(body, request.format(), parts.headers))
            }
            Finished::Value(()) => Err(no_output()),
        }
    }

    /// The voices the resource offers.
    ///
    /// # Errors
    ///
    /// Service answers, transport failures, or a list that does not parse.
    pub fn voices(&self) -> Result<Vec<Voice>, Error> {
        let call = Call::voices(voices_request(&self.inner.endpoint)?, self.inner.retry);
        self.drive(
            &self.inner.agent,
            &self.inner.auth,
            call,
            &mut Upload::empty(),
        )
        .and_then(value)
    }

    /// A bearer token from the token service.
    ///
    /// * A subscription key with [`AuthMode::Token`]: the token the client currently uses for its own requests
    ///   (fetched when there is none or it is due for a refresh; shared with every clone).
    /// * A subscription key with [`AuthMode::Key`]: the client does not use tokens itself, so a new one is
    ///   fetched from the token service on every call (and not kept).
    /// * A bearer-token or Entra credential: there is no key to exchange; this is
    ///   [`speech_proto::Misuse::InvalidState`] (the caller already holds the token).
    ///
    /// Every token request counts in [`Client::token_fetches`]. Failures are retried as for other calls.
    ///
    /// # Errors
    ///
    /// [`speech_proto::Error::TokenUnavailable`] (carrying the token service's answer, e.g. 401 for a wrong
    /// key, or why it could not be reached), or the misuse above.
    pub fn token(&self) -> Result<Token, Error> {
        let inner = &self.inner;
        let call = Call::current_token(inner.retry);
        let source = TokenSource::of(
            inner.auth.uses_tokens(),
            &inner.endpoint,
            &inner.credential,
            inner.token_config,
        )?;
        match source {
            TokenSource::OneOff(auth) => {
                let once = SharedAuth::new(auth);
                let result = self.drive(&inner.agent, &once, call, &mut Upload::empty());
                inner.auth.count_fetches(once.fetches());
                result.and_then(value)
            }
            _ => self
                .drive(&inner.agent, &inner.auth, call, &mut Upload::empty())
                .and_then(value),
        }
    }

    /// How many token requests this client (all its clones together) has sent. For tests and `--verbose`.
    pub fn token_fetches(&self) -> u64 {
        self.inner.auth.fetches()
    }

    /// Perform one token request through the core's call machine: the answer (any status, capped body), or why
    /// there was none.
    pub(crate) fn fetch_token(&self, request: Request<()>) -> FetchOutcome {
        let uri = request.uri().clone();
        let call = Call::token_fetch(request);
        self.drive(
            &self.inner.agent,
            &self.inner.auth,
            call,
            &mut Upload::empty(),
        )
        .and_then(value)
        .map_err(|e| e.no_answer(&uri))
    }

    /// The driving loop of every call: do what the core's call machine asks (authorize, send, read, sleep) and
    /// feed the results back, until it ends. The only decisions here are ureq's: how to send and read.
    pub(crate) fn drive<T>(
        &self,
        agent: &Agent,
        auth: &SharedAuth,
        mut call: Call<T>,
        upload: &mut Upload<'_>,
    ) -> Result<Finished<T, Response<ureq::Body>>, Error> {
        let inner = &*self.inner;
        let clock = &inner.clock;
        let fetch = |request: Request<()>| self.fetch_token(request);
        let mut response: Option<Response<ureq::Body>> = None;
        let mut transport_error: Option<ureq::Error> = None;
        while let Some(output) = call.poll_output() {
            match output {
                Output::Authorize => {
                    auth.authorize(clock, &fetch, |auth, at| call.handle_authorize(at, auth));
                }
                Output::Send(head) => {
                    upload.rewind()?;
                    let sent = if upload.plan() == BodyPlan::Empty {
                        agent.run(head.map(|()| SendBody::none()))
                    } else {
                        agent.run(head.map(|()| SendBody::from_reader(upload)))
                    };
                    if let Some(e) = upload.take_source_error() {
                        return Err(Error::Io(e));
                    }
                    let at = clock.moment();
                    match sent {
                        Ok(answer) => {
                            call.handle_head(at, answer.status(), answer.headers(), upload.taken());
                            response = Some(answer);
                        }
                        Err(e) => {
                            call.handle_transport_failed(at, classify(&e), upload.taken());
                            transport_error = Some(e);
                        }
                    }
                }
                Output::ReadBody { limit } => {
                    let Some(answer) = response.take() else {
                        break;
                    };
                    let mut bytes = Vec::new();
                    let read = answer
                        .into_body()
                        .into_reader()
                        .take(limit as u64)
                        .read_to_end(&mut bytes);
                    let at = clock.moment();
                    match read {
                        Ok(_) => call.handle_body(at, &bytes),
                        Err(e) => {
                            let e = ureq::Error::from(e);
                            call.handle_body_broken(at, classify(&e), &bytes);
                            transport_error = Some(e);
                        }
                    }
                }
                Output::Wait(until) => {
                    clock.sleep_until(until);
                    call.handle_timeout(clock.moment());
                }
                Output::Done(value) => return Ok(Finished::Value(value)),
                Output::Stream => match response.take() {
                    Some(answer) => return Ok(Finished::Stream(answer)),
                    None => break,
                },
                Output::Failed(Fault::Error(e)) => return Err(Error::Proto(e)),
                Output::Failed(Fault::Transport(failure)) => match transport_error.take() {
                    Some(source) => return Err(Error::Transport { source, failure }),
                    None => break,
                },
            }
        }
        Err(no_output())
    }
}

/// The value of a call that never streams (recognition, voices, tokens).
pub(crate) fn value<T, B>(finished: Finished<T, B>) -> Result<T, Error> {
    finished.value().ok_or_else(no_output)
}

/// The call machine stopped without an end: a bug in this driver, reported rather than hidden.
fn no_output() -> Error {
    Error::Proto(Misuse::InvalidState("the call machine stopped without a result").into())
}

/// Sort ureq's errors into the classes the core's retry decision knows.
fn classify(e: &ureq::Error) -> TransportFailure {
    match e {
        ureq::Error::Timeout(_) => TransportFailure::TimedOut,
        ureq::Error::ConnectionFailed => TransportFailure::Connect,
        ureq::Error::HostNotFound => TransportFailure::Dns,
        ureq::Error::Io(io) => TransportFailure::from_io_error(io),
        // A peer that stops speaking HTTP mid-answer (a cut chunked body) is a broken connection.
        ureq::Error::Protocol(_) => TransportFailure::Broken,
        _ => TransportFailure::Permanent,
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.inner.auth.uses_tokens() {
            AuthMode::Token
        } else {
            AuthMode::Key
        };
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("auth", &self.inner.credential.describe(mode))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn assert_send_sync<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn client_is_send_sync_clone_and_debug_hides_secrets() {
        assert_send_sync::<Client>();
        assert_send::<SynthesisStream>();
        assert_send::<Error>();
        let key = "0123456789abcdef0123456789abcdef";
        let client = Client::builder(
            Endpoint::region("westus").unwrap(),
            Credential::key(key).unwrap(),
        )
        .proxy_from_env(false)
        .build()
        .unwrap();
        let dbg = format!("{client:?}");
        assert!(!dbg.contains(key), "{dbg}");
        assert!(
            dbg.contains("westus") && dbg.contains("exchanged for tokens"),
            "{dbg}"
        );
        let builder = Client::builder(
            Endpoint::region("westus").unwrap(),
            Credential::token("eyJsecret.a.b").unwrap(),
        );
        assert!(!format!("{builder:?}").contains("eyJsecret"));
        assert_eq!(client.token_fetches(), 0);
    }

    #[test]
    fn build_refuses_bad_settings() {
        let endpoint = || Endpoint::base_url("http://speech.internal:5000").unwrap();
        let key = || Credential::key("k").unwrap();
        let err = Client::builder(endpoint(), key()).build().unwrap_err();
        assert!(matches!(
            err,
            Error::Proto(speech_proto::Error::Misuse(Misuse::InsecureScheme { .. }))
        ));
        assert!(Client::builder(endpoint(), key())
            .allow_insecure_http(true)
            .proxy_from_env(false)
            .build()
            .is_ok());
        let err = Client::builder(Endpoint::region("westus").unwrap(), key())
            .add_root_certificate_pem("not a certificate")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert_eq!(err.kind(), crate::ErrorKind::Usage);
        let err = Client::builder(Endpoint::region("westus").unwrap(), key())
            .proxy(Some("http://user:hunter2@[::1".to_owned()))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn transport_classes() {
        use ureq::Error as U;
        assert_eq!(classify(&U::ConnectionFailed), TransportFailure::Connect);
        assert_eq!(
            classify(&U::Io(io::ErrorKind::ConnectionRefused.into())),
            TransportFailure::Connect
        );
        assert_eq!(
            classify(&U::Io(io::ErrorKind::ConnectionReset.into())),
            TransportFailure::Broken
        );
        assert_eq!(
            classify(&U::Timeout(ureq::Timeout::Global)),
            TransportFailure::TimedOut
        );
        assert_eq!(classify(&U::HostNotFound), TransportFailure::Dns);
        assert_eq!(
            classify(&U::Tls("bad certificate")),
            TransportFailure::Permanent
        );
    }
}
