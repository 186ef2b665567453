//! The client and its builder: the driving loop around the core.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_io::AsyncRead;
use futures_util::future::join;
use futures_util::Stream;
use http::header::USER_AGENT;
use http::{HeaderValue, Request};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use speech_proto::auth::TokenConfig;
use speech_proto::call::{Call, Fault, Finished, Output, TokenSource};
use speech_proto::recognize::{AudioContentType, BodyLength, Recognition, RecognitionRequest};
use speech_proto::retry::RetryPolicy;
use speech_proto::synthesize::SynthesisRequest;
use speech_proto::voices::{voices_request, Voice};
use speech_proto::{Auth, AuthMode, Credential, Endpoint, Misuse, Token};

use crate::auth::{FetchOutcome, FetchToken, SharedAuth};
use crate::body::{peek_and_check_reader, peek_and_check_stream, SynthesisStream, Upload};
use crate::clock::Clock;
use crate::entra::EntraTokenSource;
use crate::error::Error;
use crate::transport::raw::{Raw, Timeouts};
use crate::transport::{Response, ResponseBody, Transport, TransportError};
use crate::unversioned::{BoxFuture, Runtime};

/// The `User-Agent` of requests that do not set their own (synthesis requests carry the caller's).
pub const DEFAULT_USER_AGENT: &str = concat!("speech-async/", env!("CARGO_PKG_VERSION"));

/// The default connect timeout (10 s, TLS handshake included; raw transport).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default timeout for each read from or write to the connection (30 s; raw transport): how long the
/// service may stay silent, e.g. while it recognizes the audio.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The default wait for `100 Continue` before a body is sent anyway (1 s; raw transport).
pub const DEFAULT_CONTINUE_TIMEOUT: Duration = Duration::from_secs(1);

/// The default timeout for each read of a fast transcription's answer (30 minutes; raw transport): the service
/// answers when the whole file is transcribed, and says nothing until then.
pub const DEFAULT_FAST_TRANSCRIPTION_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// An async client for the Azure Speech REST APIs, on any runtime.
///
/// Cheap to clone (an `Arc` inside); clones share the connections and the token. `Send + Sync`, and every call
/// returns a `Send` future: share one client between tasks. Every call runs on the core's call machine
/// ([`speech_proto::call::Call`]), which decides authorization (a token fetched when needed, one task at a time),
/// what the answer means and when to retry; the client only sends, reads, locks and sleeps.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    transport: Transport,
    /// The same transport with fast transcription's long read timeout.
    pub(crate) fast_transport: Transport,
    /// Fast transcription's own authentication (the key as it is, Entra as a plain bearer).
    pub(crate) fast_auth: SharedAuth,
    pub(crate) endpoint: Endpoint,
    credential: Credential,
    token_config: TokenConfig,
    pub(crate) auth: SharedAuth,
    pub(crate) retry: RetryPolicy,
    check_audio: bool,
    user_agent: HeaderValue,
    pub(crate) clock: Clock,
    /// TLS and the connect timeout of streaming (WebSocket) connections.
    pub(crate) ws_tls: Arc<rustls::ClientConfig>,
    pub(crate) connect_timeout: Duration,
}

/// Settings for a [`Client`]; start with [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    endpoint: Endpoint,
    credential: Credential,
    auth_mode: AuthMode,
    token_config: TokenConfig,
    timeouts: Timeouts,
    fast_io_timeout: Duration,
    max_idle_per_host: usize,
    user_agent: String,
    retry: RetryPolicy,
    allow_insecure_http: Option<bool>,
    root_certs_pem: Vec<String>,
    check_audio: bool,
    runtime: Option<Arc<dyn Runtime>>,
    #[cfg(feature = "reqwest")]
    reqwest: Option<reqwest::Client>,
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
    /// The runtime: its clock, timers and connections (see [`crate::runtime`], or bring your own
    /// [`Runtime`]). Required, except with [`reqwest`](Self::reqwest), which implies
    /// [`runtime::Tokio`](crate::runtime::Tokio).
    pub fn runtime(mut self, runtime: impl Runtime) -> Self {
        self.runtime = Some(Arc::new(runtime));
        self
    }

    /// Send requests with this `reqwest::Client` (its pool, TLS settings, proxies) instead of the raw transport.
    /// TLS trust, proxies and timeouts are then the reqwest client's settings: the raw-transport settings of
    /// this builder (timeouts, root certificates, pool size) do not apply. Timers come from
    /// [`runtime::Tokio`](crate::runtime::Tokio) unless [`runtime`](Self::runtime) says otherwise.
    #[cfg(feature = "reqwest")]
    pub fn reqwest(mut self, client: reqwest::Client) -> Self {
        self.reqwest = Some(client);
        self
    }

    /// How a subscription key is used: [`AuthMode::Token`] (the default here) exchanges it for 10-minute bearer
    /// tokens, so that the key only ever goes to the token service; [`AuthMode::Key`] sends the key on every
    /// request. Ignored for other credentials.
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
        self.timeouts.connect = timeout;
        self
    }

    /// How long each read or write on the connection may wait (default [`DEFAULT_IO_TIMEOUT`]). This bounds the
    /// wait for an answer and every pause while a [`SynthesisStream`] is read.
    pub fn io_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.io = timeout;
        self
    }

    /// How long each read of a fast transcription's answer may wait (default
    /// [`DEFAULT_FAST_TRANSCRIPTION_TIMEOUT`], 30 minutes; raw transport — with
    /// [`reqwest`](Self::reqwest), the `reqwest::Client`'s own timeouts apply): the service says nothing until
    /// the whole file is transcribed.
    pub fn fast_transcription_timeout(mut self, timeout: Duration) -> Self {
        self.fast_io_timeout = timeout;
        self
    }

    /// How long to wait for `100 Continue` after a head with `Expect: 100-continue` before sending the body
    /// anyway (default [`DEFAULT_CONTINUE_TIMEOUT`]).
    pub fn continue_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.continue_wait = timeout;
        self
    }

    /// How many idle connections to keep per host (default 8; 0 turns reuse off).
    pub fn max_idle_per_host(mut self, max: usize) -> Self {
        self.max_idle_per_host = max;
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

    /// Allow plain `http://` to hosts that are not loopback (see [`Endpoint::allow_insecure_http`]); when not
    /// called, the endpoint's own setting applies. Loopback (the emulator) never needs it.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = Some(allow);
        self
    }

    /// Trust the certificates of this PEM text (e.g. the emulator's CA). Once any is added, **only** the added
    /// certificates are trusted, not the built-in Mozilla roots. Raw transport only (configure a
    /// `reqwest::Client` yourself).
    pub fn add_root_certificate_pem(mut self, pem: &str) -> Self {
        self.root_certs_pem.push(pem.to_owned());
        self
    }

    /// Check a WAV upload's header before sending it (default `true`): audio the service would hear as silence
    /// or noise is refused with [`speech_proto::Error::Audio`], and a file that is not WAV with
    /// [`speech_proto::Error::MalformedWav`], before a byte is sent. Only for [`AudioContentType::WavPcm16k`]
    /// requests.
    pub fn check_audio(mut self, check: bool) -> Self {
        self.check_audio = check;
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
    /// the network without [`allow_insecure_http`](Self::allow_insecure_http)); [`Error::Config`] without a
    /// runtime, or for a certificate PEM or user agent that cannot be used.
    pub fn build(self) -> Result<Client, Error> {
        let (endpoint, auth) = Auth::for_client(
            self.endpoint,
            self.allow_insecure_http,
            &self.credential,
            self.auth_mode,
            self.token_config,
        )?;
        if self.credential.needs_token_source() && self.entra.is_none() {
            return Err(Error::Config(
                "an Entra token-source credential needs ClientBuilder::entra_token_source"
                    .to_owned(),
            ));
        }
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".to_owned()))?;

        #[cfg(feature = "reqwest")]
        let runtime = match (self.runtime, &self.reqwest) {
            (Some(runtime), _) => Some(runtime),
            (None, Some(_)) => Some(Arc::new(crate::runtime::Tokio) as Arc<dyn Runtime>),
            (None, None) => None,
        };
        #[cfg(not(feature = "reqwest"))]
        let runtime = self.runtime;
        let runtime = runtime.ok_or_else(|| {
            Error::Config(
                "no runtime: call ClientBuilder::runtime (enable the async-std, smol or tokio feature \
                 for a built-in one)"
                    .to_owned(),
            )
        })?;
        let clock = Clock::new(runtime);
        let ws = (tls_config(&self.root_certs_pem)?, self.timeouts.connect);

        #[cfg(feature = "reqwest")]
        if let Some(client) = self.reqwest {
            if !self.root_certs_pem.is_empty() {
                return Err(Error::Config(
                    "root certificates are a raw-transport setting; add them to the reqwest::Client"
                        .to_owned(),
                ));
            }
            return Client::from_parts(
                (
                    Transport::Reqwest(client.clone()),
                    Transport::Reqwest(client),
                ),
                endpoint,
                self.credential,
                self.token_config,
                auth,
                self.retry,
                self.check_audio,
                user_agent,
                clock,
                self.entra,
                ws,
            );
        }

        let tls = tls_config(&self.root_certs_pem)?;
        let raw = Raw::new(clock.clone(), tls, self.timeouts, self.max_idle_per_host);
        let fast = Transport::Raw(raw.with_io_timeout(self.fast_io_timeout));
        Client::from_parts(
            (Transport::Raw(raw), fast),
            endpoint,
            self.credential,
            self.token_config,
            auth,
            self.retry,
            self.check_audio,
            user_agent,
            clock,
            self.entra,
            ws,
        )
    }
}

/// rustls with the ring provider, HTTP/1.1 by ALPN, and the Mozilla roots (or only the given certificates).
fn tls_config(root_certs_pem: &[String]) -> Result<Arc<rustls::ClientConfig>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    if root_certs_pem.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        for pem in root_certs_pem {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| Error::Config(format!("root certificate PEM: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| Error::Config(format!("root certificate: {e}")))?;
            }
        }
        if roots.is_empty() {
            return Err(Error::Config(
                "root certificate PEM: no CERTIFICATE section found".to_owned(),
            ));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
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
            timeouts: Timeouts {
                connect: DEFAULT_CONNECT_TIMEOUT,
                io: DEFAULT_IO_TIMEOUT,
                continue_wait: DEFAULT_CONTINUE_TIMEOUT,
            },
            fast_io_timeout: DEFAULT_FAST_TRANSCRIPTION_TIMEOUT,
            max_idle_per_host: 8,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            allow_insecure_http: None,
            root_certs_pem: Vec::new(),
            check_audio: true,
            runtime: None,
            #[cfg(feature = "reqwest")]
            reqwest: None,
            entra: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn from_parts(
        (transport, fast_transport): (Transport, Transport),
        endpoint: Endpoint,
        credential: Credential,
        token_config: TokenConfig,
        auth: Auth,
        retry: RetryPolicy,
        check_audio: bool,
        user_agent: HeaderValue,
        clock: Clock,
        entra: Option<Arc<dyn EntraTokenSource>>,
        (ws_tls, connect_timeout): (Arc<rustls::ClientConfig>, Duration),
    ) -> Result<Client, Error> {
        let fast_auth = SharedAuth::with_entra(
            Auth::for_fast_transcription(&endpoint, &credential, token_config)?,
            entra.clone(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                fast_transport,
                fast_auth,
                endpoint,
                credential,
                token_config,
                auth: SharedAuth::with_entra(auth, entra),
                retry,
                check_audio,
                user_agent,
                clock,
                ws_tls,
                connect_timeout,
            }),
        })
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Recognize speech in audio read from `audio` (sent as it is read, chunked unless `request` says
    /// otherwise; at most 60 s are heard).
    ///
    /// With [`check_audio`](ClientBuilder::check_audio) on (the default) and a WAV request, only the header
    /// bytes are read first and checked; they are then sent in front of the rest. A reader that was partly
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
    pub async fn recognize(
        &self,
        audio: impl AsyncRead + Send + Unpin,
        request: &RecognitionRequest,
    ) -> Result<Recognition, Error> {
        let mut audio = audio;
        request.build(&self.inner.endpoint)?;
        let peeked = if self.checks_audio(request) {
            peek_and_check_reader(&mut audio, request.has_pronunciation_assessment()).await?
        } else {
            Vec::new()
        };
        let mut upload = Upload::reader(peeked, &mut audio);
        self.recognize_upload(request, &mut upload).await
    }

    /// Recognize speech in audio from a stream of byte pieces (each sent as one chunk, as it arrives, without
    /// being copied); otherwise as [`Client::recognize`].
    ///
    /// # Errors
    ///
    /// As [`Client::recognize`]; [`Error::Io`] carries the stream's own error.
    pub async fn recognize_stream(
        &self,
        audio: impl Stream<Item = io::Result<Bytes>> + Send + Unpin,
        request: &RecognitionRequest,
    ) -> Result<Recognition, Error> {
        let mut audio = audio;
        request.build(&self.inner.endpoint)?;
        let peeked = if self.checks_audio(request) {
            peek_and_check_stream(&mut audio, request.has_pronunciation_assessment()).await?
        } else {
            Default::default()
        };
        let mut upload = Upload::stream(peeked, &mut audio);
        self.recognize_upload(request, &mut upload).await
    }

    /// Recognize speech in audio held in memory (sent with its length, so it can be resent on a retry; checked
    /// first, see [`Client::recognize`]).
    ///
    /// # Errors
    ///
    /// As [`Client::recognize`].
    pub async fn recognize_bytes(
        &self,
        audio: &[u8],
        request: &RecognitionRequest,
    ) -> Result<Recognition, Error> {
        let request = request
            .clone()
            .body_length(BodyLength::Known(audio.len() as u64));
        request.build(&self.inner.endpoint)?;
        if self.checks_audio(&request) {
            peek_and_check_reader(&mut &audio[..], request.has_pronunciation_assessment()).await?;
        }
        let mut upload = Upload::bytes(audio);
        self.recognize_upload(&request, &mut upload).await
    }

    fn checks_audio(&self, request: &RecognitionRequest) -> bool {
        self.inner.check_audio && request.audio_content_type() == AudioContentType::WavPcm16k
    }

    async fn recognize_upload(
        &self,
        request: &RecognitionRequest,
        upload: &mut Upload<'_>,
    ) -> Result<Recognition, Error> {
        let call = Call::recognition(
            request.build(&self.inner.endpoint)?,
            upload.plan(),
            self.inner.retry,
        );
        self.drive(&self.inner.transport, &self.inner.auth, call, upload)
            .await
            .and_then(value)
    }

    /// Synthesize speech. The answer streams: the returned [`SynthesisStream`] yields audio chunks as the
    /// service sends them, and ends with an error if the answer breaks off.
    ///
    /// # Errors
    ///
    /// The request's own errors (empty SSML, a bad user agent), service answers (400 for invalid SSML or an
    /// unknown voice, 401, 429 …) and transport failures, all before the first audio byte.
    pub async fn synthesize(&self, request: &SynthesisRequest) -> Result<SynthesisStream, Error> {
        let call = Call::synthesis(request.build(&self.inner.endpoint)?, self.inner.retry);
        let mut upload = Upload::bytes(request.body().as_bytes());
        match self
            .drive(&self.inner.transport, &self.inner.auth, call, &mut upload)
            .await?
        {
            Finished::Stream(Response { headers, body, .. }) => Ok(SynthesisStream::new(
                Box::pin(body_stream(body)),
                request.format(),
                headers,
            )),
            Finished::Value(()) => Err(no_output()),
        }
    }

    /// The voices the resource offers.
    ///
    /// # Errors
    ///
    /// Service answers, transport failures, or a list that does not parse.
    pub async fn voices(&self) -> Result<Vec<Voice>, Error> {
        let call = Call::voices(voices_request(&self.inner.endpoint)?, self.inner.retry);
        self.drive(
            &self.inner.transport,
            &self.inner.auth,
            call,
            &mut Upload::empty(),
        )
        .await
        .and_then(value)
    }

    /// A bearer token from the token service.
    ///
    /// * A subscription key with [`AuthMode::Token`]: the token the client currently uses for its own requests
    ///   (fetched when there is none or it is due for a refresh; shared with every clone).
    /// * A subscription key with [`AuthMode::Key`]: a new one is fetched on every call (and not kept).
    /// * A bearer-token or Entra credential: [`speech_proto::Misuse::InvalidState`] (there is no key to
    ///   exchange).
    ///
    /// Every token request counts in [`Client::token_fetches`]. Failures are retried as for other calls.
    ///
    /// # Errors
    ///
    /// [`speech_proto::Error::TokenUnavailable`] (carrying the token service's answer, e.g. 401 for a wrong
    /// key, or why it could not be reached), or the misuse above.
    pub async fn token(&self) -> Result<Token, Error> {
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
                let result = self
                    .drive(&inner.transport, &once, call, &mut Upload::empty())
                    .await;
                inner.auth.count_fetches(once.fetches());
                result.and_then(value)
            }
            _ => self
                .drive(&inner.transport, &inner.auth, call, &mut Upload::empty())
                .await
                .and_then(value),
        }
    }

    /// How many token requests this client (all its clones together) has sent. For tests and `--verbose`.
    pub fn token_fetches(&self) -> u64 {
        self.inner.auth.fetches()
    }

    fn add_user_agent(&self, request: &mut Request<()>) {
        request
            .headers_mut()
            .entry(USER_AGENT)
            .or_insert_with(|| self.inner.user_agent.clone());
    }

    /// Perform one token request through the core's call machine: the answer (any status, capped body), or why
    /// there was none.
    async fn fetch_token(&self, request: Request<()>) -> FetchOutcome {
        let uri = request.uri().clone();
        let call = Call::token_fetch(request);
        self.drive(
            &self.inner.transport,
            &self.inner.auth,
            call,
            &mut Upload::empty(),
        )
        .await
        .and_then(value)
        .map_err(|e| e.no_answer(&uri))
    }

    /// The driving loop of every call: do what the core's call machine asks (authorize, send, read, sleep) and
    /// feed the results back, until it ends. The only decisions here are the transport's: how to send and read.
    pub(crate) async fn drive<T: Send>(
        &self,
        transport: &Transport,
        auth: &SharedAuth,
        mut call: Call<T>,
        upload: &mut Upload<'_>,
    ) -> Result<Finished<T, Response>, Error> {
        let inner = &*self.inner;
        let clock = &inner.clock;
        let mut response: Option<Response> = None;
        let mut transport_error: Option<TransportError> = None;
        // A due token refresh, run alongside the request that noticed it (which uses the still-valid token).
        let mut refresh = None;
        while let Some(output) = call.poll_output() {
            match output {
                Output::Authorize => {
                    refresh = auth
                        .authorize(clock, self, |auth, at| call.handle_authorize(at, auth))
                        .await;
                }
                Output::Send(mut head) => {
                    self.add_user_agent(&mut head);
                    upload.rewind();
                    let send = transport.send(head, upload);
                    let sent = match refresh.take() {
                        Some(refresh) => join(send, refresh).await.0,
                        None => send.await,
                    };
                    if let Some(e) = upload.take_source_error() {
                        return Err(Error::Io(e));
                    }
                    let at = clock.moment();
                    match sent {
                        Ok(answer) => {
                            call.handle_head(at, answer.status, &answer.headers, upload.taken());
                            response = Some(answer);
                        }
                        Err(e) => {
                            call.handle_transport_failed(at, e.failure, upload.taken());
                            transport_error = Some(e);
                        }
                    }
                }
                Output::ReadBody { limit } => {
                    let Some(mut answer) = response.take() else {
                        break;
                    };
                    let mut bytes = Vec::new();
                    let read = answer.body.read_limited(&mut bytes, limit).await;
                    let at = clock.moment();
                    match read {
                        Ok(()) => call.handle_body(at, &bytes),
                        Err(e) => {
                            call.handle_body_broken(at, e.failure, &bytes);
                            transport_error = Some(e);
                        }
                    }
                }
                Output::Wait(until) => {
                    let left = until.saturating_duration_since(clock.now());
                    clock.runtime().sleep(left).await;
                    call.handle_timeout(clock.moment());
                }
                Output::Done(value) => return Ok(Finished::Value(value)),
                Output::Stream => match response.take() {
                    Some(answer) => return Ok(Finished::Stream(answer)),
                    None => break,
                },
                Output::Failed(Fault::Error(e)) => return Err(Error::Proto(e)),
                Output::Failed(Fault::Transport(_)) => match transport_error.take() {
                    Some(t) => return Err(t.into()),
                    None => break,
                },
            }
        }
        Err(no_output())
    }
}

impl FetchToken for Client {
    fn fetch(&self, request: Request<()>) -> BoxFuture<'_, FetchOutcome> {
        Box::pin(self.fetch_token(request))
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

/// A response body as a stream of pieces, ending after the first error.
fn body_stream(body: ResponseBody) -> impl Stream<Item = Result<Bytes, Error>> + Send {
    futures_util::stream::unfold(Some(body), |state| async move {
        let mut body = state?;
        match body.chunk().await {
            Ok(Some(piece)) => Some((Ok(piece), Some(body))),
            Ok(None) => None,
            Err(e) => Some((Err(e.into()), None)),
        }
    })
}

impl From<TransportError> for Error {
    fn from(t: TransportError) -> Self {
        Error::Transport {
            source: t.source,
            failure: t.failure,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.inner.auth.uses_tokens() {
            AuthMode::Token
        } else {
            AuthMode::Key
        };
        let transport = match self.inner.transport {
            Transport::Raw(_) => "raw",
            #[cfg(feature = "reqwest")]
            Transport::Reqwest(_) => "reqwest",
        };
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("auth", &self.inner.credential.describe(mode))
            .field("transport", &transport)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;

    use futures_util::FutureExt;
    use speech_proto::retry::TransportFailure;

    use crate::unversioned::{BoxConnection, Target};

    /// A deterministic runtime: time moves only by the sleeps asked for (each completes at once), and nothing
    /// accepts connections.
    struct Refusing {
        start: Instant,
        slept: Mutex<Duration>,
        connects: Arc<AtomicUsize>,
    }

    impl Refusing {
        fn new(connects: Arc<AtomicUsize>) -> Self {
            Refusing {
                start: Instant::now(),
                slept: Mutex::new(Duration::ZERO),
                connects,
            }
        }
    }

    impl Runtime for Refusing {
        fn now(&self) -> Instant {
            self.start + *self.slept.lock().unwrap()
        }
        fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
            *self.slept.lock().unwrap() += duration;
            Box::pin(std::future::ready(()))
        }
        fn connect(&self, _: &Target) -> BoxFuture<'static, io::Result<BoxConnection>> {
            self.connects.fetch_add(1, Ordering::Relaxed);
            Box::pin(std::future::ready(Err(
                io::ErrorKind::ConnectionRefused.into()
            )))
        }
    }

    fn assert_send_sync<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>(_: &T) {}

    fn westus() -> Endpoint {
        Endpoint::region("westus").unwrap()
    }

    #[test]
    fn client_is_send_sync_its_futures_are_send_and_debug_hides_secrets() {
        assert_send_sync::<Client>();
        let key = "0123456789abcdef0123456789abcdef";
        let client = Client::builder(westus(), Credential::key(key).unwrap())
            .runtime(Refusing::new(Arc::default()))
            .build()
            .unwrap();
        let dbg = format!("{client:?}");
        assert!(!dbg.contains(key), "{dbg}");
        assert!(dbg.contains("westus") && dbg.contains("raw"), "{dbg}");
        let builder = Client::builder(westus(), Credential::token("eyJsecret.a.b").unwrap());
        assert!(!format!("{builder:?}").contains("eyJsecret"));

        let request = RecognitionRequest::new("en-US");
        assert_send(&client.voices());
        assert_send(&client.token());
        assert_send(&client.recognize(&b""[..], &request));
        assert_send(&client.recognize_bytes(b"", &request));
        let stream = futures_util::stream::empty::<io::Result<Bytes>>();
        assert_send(&client.recognize_stream(stream, &request));
    }

    #[test]
    fn build_refuses_bad_settings() {
        let key = || Credential::key("k").unwrap();
        let err = Client::builder(westus(), key()).build().unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("runtime")),
            "{err}"
        );
        let err = Client::builder(
            Endpoint::base_url("http://speech.internal:5000").unwrap(),
            key(),
        )
        .runtime(Refusing::new(Arc::default()))
        .build()
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Proto(speech_proto::Error::Misuse(Misuse::InsecureScheme { .. }))
        ));
        let err = Client::builder(westus(), key())
            .runtime(Refusing::new(Arc::default()))
            .add_root_certificate_pem("not a certificate")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert_eq!(err.kind(), crate::ErrorKind::Usage);
    }

    #[test]
    fn a_refused_connection_is_retried_as_the_policy_says_then_reported() {
        let connects = Arc::new(AtomicUsize::new(0));
        let client = Client::builder(westus(), Credential::key("k").unwrap())
            .auth_mode(AuthMode::Key)
            .runtime(Refusing::new(connects.clone()))
            .retry(RetryPolicy::default().max_attempts(3))
            .build()
            .unwrap();
        let err = client
            .voices()
            .now_or_never()
            .expect("virtual sleeps complete at once")
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Transport {
                    failure: TransportFailure::Connect,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.kind(), crate::ErrorKind::Network);
        assert_eq!(connects.load(Ordering::Relaxed), 3);
        assert_eq!(client.token_fetches(), 0);
    }

    #[test]
    fn a_token_service_out_of_reach_is_reported_without_a_request() {
        let connects = Arc::new(AtomicUsize::new(0));
        let client = Client::builder(westus(), Credential::key("k").unwrap())
            .runtime(Refusing::new(connects.clone()))
            .no_retry()
            .build()
            .unwrap();
        let err = client
            .recognize_bytes(b"not a wav", &RecognitionRequest::new("en-US"))
            .now_or_never()
            .expect("nothing to wait for")
            .unwrap_err();
        // The audio check refuses it before anything else happens.
        assert!(
            matches!(err, Error::Proto(speech_proto::Error::MalformedWav(_))),
            "{err:?}"
        );
        assert_eq!(connects.load(Ordering::Relaxed), 0);
        let err = client
            .voices()
            .now_or_never()
            .expect("no waits")
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Proto(speech_proto::Error::TokenUnavailable { .. })
            ),
            "{err:?}"
        );
        assert_eq!(client.token_fetches(), 1);
        assert_eq!(connects.load(Ordering::Relaxed), 1);
    }
}
