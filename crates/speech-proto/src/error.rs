//! The crate's one error type.
//!
//! [`Error`] tells three families apart, so that callers and adapters can react without string matching:
//!
//! * **caller misuse** ([`Error::Misuse`]): the request could not be built from what the caller gave (a bad
//!   region, a header value with a line break, a missing language). Retrying the same call cannot help.
//! * **service answers** ([`Error::Service`]): the service (or a proxy in front of it) answered with an error
//!   status. [`ServiceError`] carries the status, the service's own message from whichever body shape it used,
//!   the request id when present, `Retry-After` when present, whether a retry can help, and a troubleshooting
//!   [`Hint`].
//! * **bad input from outside** ([`Error::MalformedResponse`], [`Error::MalformedWav`], [`Error::Audio`],
//!   [`Error::LimitExceeded`]): a body that does not parse, a WAV header that is broken, audio the service would
//!   hear wrongly, or something larger than the cap the core allows itself to buffer.
//! * **the HTTP/1.1 codec** ([`Error::Wire`]): a peer that broke HTTP/1.1 framing or a cap (like a broken
//!   connection: retryable on a new one), or a request the codec cannot write (misuse).

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};

use crate::audio::problems::{AudioProblem, WavError};
use crate::wire::error::WireError;

/// Which REST surface an answer came from. Hints and body parsing depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// The token service (`/sts/v1.0/issueToken`).
    Token,
    /// Speech-to-text for short audio.
    Recognition,
    /// Text-to-speech synthesis.
    Synthesis,
    /// The voices list.
    Voices,
    /// Fast transcription (`/speechtotext/transcriptions:transcribe`).
    FastTranscription,
    /// Streaming recognition: the WebSocket handshake.
    StreamingRecognition,
    /// Synthesis over WebSocket: the handshake.
    StreamingSynthesis,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Token => "token service",
            Service::Recognition => "speech-to-text",
            Service::Synthesis => "text-to-speech",
            Service::Voices => "voices list",
            Service::FastTranscription => "fast transcription",
            Service::StreamingRecognition => "streaming speech-to-text (WebSocket)",
            Service::StreamingSynthesis => "text-to-speech (WebSocket)",
        })
    }
}

/// Everything that can go wrong in `speech-proto`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The caller asked for something that cannot be built or sent. Retrying cannot help.
    Misuse(Misuse),
    /// The service answered with an error status.
    Service(Box<ServiceError>),
    /// A response body (token, recognition result, voices list) did not have the expected shape.
    MalformedResponse(MalformedResponse),
    /// A WAV header could not be parsed.
    MalformedWav(WavError),
    /// The audio parses, but the service would hear it wrongly (wrong rate, channels, codec, too long).
    Audio(Vec<AudioProblem>),
    /// Something is larger than the cap the core allows itself to buffer.
    LimitExceeded {
        /// What was too large, e.g. `"recognition result body"`.
        what: &'static str,
        /// The cap, in bytes (or items, as `what` says).
        limit: usize,
    },
    /// No token can be served now: the token service failed and the machine is backing off, or the
    /// credential cannot produce one. Carries the last failure when there was one.
    TokenUnavailable {
        /// The failure that caused the back-off, when there was one.
        last_error: Option<Box<Error>>,
        /// How long until the next fetch attempt, when one is planned.
        retry_in: Option<Duration>,
    },
    /// No answer came: the connection could not be made, broke or timed out (see [`NoAnswer`]).
    Transport(NoAnswer),
    /// The caller's Microsoft Entra token source could not give a token (no credential found, the identity
    /// endpoint refused, a token command failed).
    TokenSource {
        /// What the source said.
        message: String,
    },
    /// The HTTP/1.1 codec ([`crate::wire`]) failed: the peer broke the framing or went over a cap (close the
    /// connection; a new one may work), or the caller asked for something the codec cannot do.
    Wire(WireError),
    /// Streaming recognition over WebSocket failed after the handshake: a close, a broken frame, a silent
    /// service ([`StreamError`]).
    Stream(StreamError),
}

/// How a streaming-recognition connection failed after its handshake (handshake statuses are
/// [`Error::Service`] with [`Service::StreamingRecognition`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StreamError {
    /// A frame from the service broke the speech message framing.
    Frame(crate::stt::stream::frame::FrameError),
    /// The service closed the connection with this code and reason (1006: no close frame, the connection broke).
    Closed {
        /// The WebSocket close code.
        code: u16,
        /// The close reason, as sent.
        reason: String,
    },
    /// The service owed an answer (the turn's start, or the phrases after the end of audio) and sent nothing
    /// for this long.
    ServiceSilent {
        /// How long.
        waited: std::time::Duration,
    },
    /// The synthesis service closed the connection with 1007: it refused the request (bad SSML, an unknown
    /// voice, an output format it does not make). The reason is the service's, e.g. `Invalid char '&' at
    /// position 189 found in SSML.`
    SynthesisRefused {
        /// The close reason, as sent.
        reason: String,
    },
    /// A phrase was recognized but not translated (`TranslationStatus: Error`): an unsupported language pair,
    /// or the translation service failing. The recognition stands and the session goes on; see
    /// [`Translation::error`](crate::stt::stream::translation::Translation::error).
    TranslationFailed {
        /// The service's `FailureReason`, e.g. `Unsupported language pair es-ES to fr: …`.
        reason: String,
    },
}

impl StreamError {
    /// Whether a 1007 close is the service throttling (its reason says so).
    pub(crate) fn is_throttling(reason: &str) -> bool {
        let r = reason.to_ascii_lowercase();
        r.contains("throttl")
            || r.contains("too many requests")
            || r.contains("toomanyrequests")
            || r.contains("quota")
    }

    /// The class of the failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StreamError::Frame(_) | StreamError::ServiceSilent { .. } => ErrorKind::Network,
            StreamError::SynthesisRefused { .. } | StreamError::TranslationFailed { .. } => {
                ErrorKind::InvalidInput
            }
            StreamError::Closed { code, reason } => match code {
                1007 if Self::is_throttling(reason) => ErrorKind::Throttled,
                1007 => ErrorKind::InvalidInput,
                1002 | 1003 | 4000 => ErrorKind::Usage,
                1008 => ErrorKind::Auth,
                1013 | 4429 => ErrorKind::Throttled,
                1011 | 1012 => ErrorKind::Service,
                _ => ErrorKind::Network,
            },
        }
    }

    /// Whether a new connection may succeed (the session reconnects and replays): a broken frame, a silent
    /// service, and the closes 1000, 1001, 1006, 1011, 1012, 1013, 4429 and a 1007 for throttling. Not 1002,
    /// 1003, 1007 (unsupported audio, bad parameters), 1008 or 4000.
    pub fn is_retryable(&self) -> bool {
        match self {
            StreamError::Frame(_) | StreamError::ServiceSilent { .. } => true,
            StreamError::SynthesisRefused { .. } | StreamError::TranslationFailed { .. } => false,
            StreamError::Closed { code, reason } => match code {
                1000 | 1001 | 1006 | 1011 | 1012 | 1013 | 4429 => true,
                1007 => Self::is_throttling(reason),
                _ => false,
            },
        }
    }

    fn hint(&self) -> Option<Hint> {
        Some(match self {
            StreamError::Frame(_) => STREAM_FRAME,
            StreamError::ServiceSilent { .. } => STREAM_SILENT,
            StreamError::SynthesisRefused { .. } => SYNTHESIS_REFUSED,
            StreamError::TranslationFailed { .. } => TRANSLATION_FAILED,
            StreamError::Closed { code, reason } => match code {
                1007 if Self::is_throttling(reason) => STREAM_THROTTLED,
                1013 | 4429 => STREAM_THROTTLED,
                1007 => STREAM_BAD_AUDIO,
                1002 | 1003 | 4000 => STREAM_PROTOCOL,
                1006 => STREAM_ABNORMAL,
                1008 => UNAUTHORIZED,
                1011 | 1012 => SERVER_ERROR,
                _ => return None,
            },
        })
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Frame(e) => {
                write!(f, "the speech service sent a broken WebSocket message: {e}")
            }
            StreamError::Closed { code, reason } if reason.is_empty() => {
                write!(
                    f,
                    "the speech service closed the WebSocket connection (code {code})"
                )
            }
            StreamError::Closed { code, reason } => {
                write!(
                    f,
                    "the speech service closed the WebSocket connection (code {code}): {reason}"
                )
            }
            StreamError::SynthesisRefused { reason } if reason.is_empty() => {
                f.write_str("the speech service refused the synthesis (WebSocket close 1007)")
            }
            StreamError::SynthesisRefused { reason } => write!(
                f,
                "the speech service refused the synthesis (WebSocket close 1007): {reason}"
            ),
            StreamError::TranslationFailed { reason } if reason.is_empty() => {
                f.write_str("the speech service did not translate the phrase")
            }
            StreamError::TranslationFailed { reason } => {
                write!(
                    f,
                    "the speech service did not translate the phrase: {reason}"
                )
            }
            StreamError::ServiceSilent { waited } => write!(
                f,
                "the speech service sent nothing for {:.1} s while it owed an answer",
                waited.as_secs_f64()
            ),
        }
    }
}

impl From<StreamError> for Error {
    fn from(e: StreamError) -> Self {
        Error::Stream(e)
    }
}

/// A failure that produced no answer from the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportFailure {
    /// No connection could be made (refused, unreachable). Nothing was sent.
    Connect,
    /// The connection broke (reset, closed early, a truncated answer).
    Broken,
    /// A connect, read or overall timeout passed.
    TimedOut,
    /// Anything that another attempt will not change: a TLS certificate problem, a proxy misconfiguration, a
    /// protocol violation.
    Permanent,
    /// The host name did not resolve (DNS). Another attempt will not change it soon.
    Dns,
}

impl TransportFailure {
    /// Whether another attempt can succeed: yes for [`Connect`](Self::Connect), [`Broken`](Self::Broken) and
    /// [`TimedOut`](Self::TimedOut); no for [`Permanent`](Self::Permanent) and [`Dns`](Self::Dns).
    pub fn can_pass(self) -> bool {
        matches!(
            self,
            TransportFailure::Connect | TransportFailure::Broken | TransportFailure::TimedOut
        )
    }

    /// The class of a failed IO operation on the connection, by its [`std::io::ErrorKind`] (the value only: no
    /// IO happens here). Shared by every driver, so that the same socket error is retried the same way
    /// whichever adapter saw it: refused or unreachable → [`Connect`](Self::Connect); timed out or would
    /// block → [`TimedOut`](Self::TimedOut); reset, aborted, closed early, a broken pipe → [`Broken`](Self::Broken);
    /// anything else → [`Permanent`](Self::Permanent).
    pub fn from_io_kind(kind: std::io::ErrorKind) -> Self {
        use std::io::ErrorKind as K;
        match kind {
            K::ConnectionRefused | K::AddrNotAvailable => TransportFailure::Connect,
            K::TimedOut | K::WouldBlock => TransportFailure::TimedOut,
            K::ConnectionReset
            | K::ConnectionAborted
            | K::BrokenPipe
            | K::UnexpectedEof
            | K::NotConnected
            | K::WriteZero
            | K::Interrupted => TransportFailure::Broken,
            _ => TransportFailure::Permanent,
        }
    }
}

impl TransportFailure {
    /// The class of a failed IO operation, by its kind ([`TransportFailure::from_io_kind`]), except that a host
    /// name that did not resolve is [`Dns`](Self::Dns): the standard library reports that with no kind of its
    /// own, as "failed to lookup address information" (glibc and musl) or "No such host is known" (Windows).
    /// Only the value is looked at; no IO happens here.
    pub fn from_io_error(e: &std::io::Error) -> Self {
        let text = e.to_string();
        let dns = [
            "failed to lookup address information",
            "No such host is known",
            "nodename nor servname",
        ];
        if dns.iter().any(|d| text.contains(d)) {
            return TransportFailure::Dns;
        }
        TransportFailure::from_io_kind(e.kind())
    }
}

impl fmt::Display for TransportFailure {
    /// What happened, for people: "could not connect to the service", "the request timed out", ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::Connect => "could not connect to the service",
            TransportFailure::Broken => "the connection to the service broke",
            TransportFailure::TimedOut => "the request timed out",
            TransportFailure::Dns => "the service's host name did not resolve (DNS)",
            TransportFailure::Permanent => "the request failed",
        })
    }
}

/// A request that got no answer: what failed, on which host, and the transport's own description of it.
///
/// Drivers build it from their transport library's error (see [`NoAnswer::new`]); the token machine keeps it as
/// the cause of [`Error::TokenUnavailable`], so that "no token" says why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoAnswer {
    /// The class of the failure.
    pub failure: TransportFailure,
    /// The host the request was for, when known.
    pub host: Option<String>,
    /// The transport's own words (e.g. "connection refused (os error 111)"); may be empty.
    pub detail: String,
}

impl NoAnswer {
    /// A failure of class `failure` on a request to `uri`, described by the transport as `detail`.
    pub fn new(failure: TransportFailure, uri: &http::Uri, detail: impl Into<String>) -> Self {
        NoAnswer {
            failure,
            host: uri.host().map(str::to_owned),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.host.as_deref().unwrap_or("the host");
        match self.failure {
            TransportFailure::Dns => write!(f, "DNS lookup of {host} failed"),
            TransportFailure::Connect => write!(f, "could not connect to {host}"),
            TransportFailure::TimedOut => write!(f, "{host} did not answer in time"),
            TransportFailure::Broken => write!(f, "the connection to {host} broke"),
            TransportFailure::Permanent => write!(f, "the request to {host} failed"),
        }?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for NoAnswer {}

/// Ways a caller can misuse the API. Each names the offending input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misuse {
    /// A region string is not of the shape `[a-z0-9]+`.
    InvalidRegion(String),
    /// A custom-domain resource name is not a valid DNS label.
    InvalidResourceName(String),
    /// A base URL could not be parsed or has a part the endpoint cannot use (query, fragment, user info).
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Plain `http://` to a host that is not loopback, without the caller's explicit opt-in.
    InsecureScheme {
        /// The host that would have been contacted without TLS.
        host: String,
    },
    /// A value the caller supplied for a header contains CR, LF or another control character (or is not
    /// visible ASCII where the header requires it). It was not sent.
    InvalidHeaderValue {
        /// The header the value was meant for.
        header: &'static str,
    },
    /// A required parameter is missing or empty.
    Missing(&'static str),
    /// A parameter has a value the service does not accept.
    InvalidValue {
        /// The parameter.
        name: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// A bearer token from one host family was about to be sent to a host of another family.
    TokenHostMismatch {
        /// The host family the token came from.
        issued_for: String,
        /// The host it was about to be sent to.
        host: String,
    },
    /// A call was made in a state that does not allow it (for example answering a fetch that was not asked for).
    InvalidState(&'static str),
}

/// An error status from the service, with everything the answer told us.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceError {
    /// Which surface answered.
    pub service: Service,
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code from the body, when the body carried one (e.g. the token service's `"401"`).
    pub code: Option<String>,
    /// The service's own message, from whichever body shape it used; `None` for an empty body.
    pub message: Option<String>,
    /// The request id from the response headers, when present (`X-RequestId`, `apim-request-id`, …).
    pub request_id: Option<String>,
    /// `Retry-After`, when the answer carried one.
    pub retry_after: Option<RetryAfter>,
}

/// The value of a `Retry-After` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Delay(Duration),
    /// `Retry-After: <HTTP-date>`, as seconds since the Unix epoch. Convert with [`RetryAfter::delay_from`].
    At {
        /// Seconds since 1970-01-01T00:00:00Z.
        unix_secs: u64,
    },
}

impl RetryAfter {
    /// How long to wait, given the caller's wall-clock time as seconds since the Unix epoch (the core never
    /// reads a clock). A date in the past gives zero.
    pub fn delay_from(self, now_unix_secs: u64) -> Duration {
        match self {
            RetryAfter::Delay(d) => d,
            RetryAfter::At { unix_secs } => {
                Duration::from_secs(unix_secs.saturating_sub(now_unix_secs))
            }
        }
    }
}

/// A response body that did not have the expected shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedResponse {
    /// What was being parsed, e.g. `"token response"`, `"recognition result"`, `"voices list"`.
    pub what: &'static str,
    /// Why it was refused (for JSON, the parser's message with line and column).
    pub detail: String,
}

/// A troubleshooting hint: the likely causes of an error and the fix, from the service's troubleshooting guide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Likely causes, most likely first.
    pub causes: &'static [&'static str],
    /// What to do about it.
    pub fix: &'static str,
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("likely causes: ")?;
        for (i, cause) in self.causes.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(cause)?;
        }
        write!(f, ". Fix: {}", self.fix)
    }
}

impl From<Misuse> for Error {
    fn from(m: Misuse) -> Self {
        Error::Misuse(m)
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

impl From<MalformedResponse> for Error {
    fn from(e: MalformedResponse) -> Self {
        Error::MalformedResponse(e)
    }
}

impl From<WavError> for Error {
    fn from(e: WavError) -> Self {
        Error::MalformedWav(e)
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<httparse::Error> for MalformedResponse {
    fn from(e: httparse::Error) -> Self {
        MalformedResponse {
            what: "HTTP response head",
            detail: e.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Display and std::error::Error

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Misuse(m) => m.fmt(f),
            Error::Service(e) => e.fmt(f),
            Error::MalformedResponse(e) => e.fmt(f),
            Error::MalformedWav(e) => write!(f, "malformed WAV file: {e}"),
            Error::Audio(problems) => {
                f.write_str("the audio does not meet what the service needs: ")?;
                if problems.is_empty() {
                    f.write_str("(no details)")?;
                }
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    p.fmt(f)?;
                }
                Ok(())
            }
            Error::LimitExceeded { what, limit } => write!(
                f,
                "{what} is larger than the limit of {limit}; it was refused rather than buffered without bound"
            ),
            Error::TokenUnavailable { last_error, retry_in } => {
                f.write_str("no authorization token is available")?;
                match last_error {
                    Some(e) => write!(f, ": the last token fetch failed: {e}")?,
                    None => f.write_str(": the token service could not be reached")?,
                }
                match retry_in {
                    Some(d) => write!(f, " (next attempt in {:.1} s)", d.as_secs_f64()),
                    None => Ok(()),
                }
            }
            Error::Wire(e) => e.fmt(f),
            Error::Transport(e) => e.fmt(f),
            Error::Stream(e) => e.fmt(f),
            Error::TokenSource { message } => {
                write!(f, "the Microsoft Entra token source gave no token: {message}")
            }
        }
    }
}

/// An [`Error`]'s message without its troubleshooting hint, for programs that show the hint apart (see
/// [`Error::summary`]).
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a>(&'a Error);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Service(e) => e.fmt_answer(f),
            Error::TokenUnavailable {
                last_error: Some(e),
                retry_in,
            } => {
                write!(
                    f,
                    "no authorization token is available: the last token fetch failed: {}",
                    e.summary()
                )?;
                match retry_in {
                    Some(d) => write!(f, " (next attempt in {:.1} s)", d.as_secs_f64()),
                    None => Ok(()),
                }
            }
            other => other.fmt(f),
        }
    }
}

impl Error {
    /// The message without the troubleshooting hint that `Display` appends to service answers: for output that
    /// shows [`Error::hint`] on its own line.
    pub fn summary(&self) -> Summary<'_> {
        Summary(self)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Misuse(m) => Some(m),
            Error::Service(e) => Some(&**e),
            Error::MalformedResponse(e) => Some(e),
            Error::MalformedWav(e) => Some(e),
            Error::Wire(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::TokenUnavailable {
                last_error: Some(e),
                ..
            } => Some(&**e),
            _ => None,
        }
    }
}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misuse::InvalidRegion(r) => write!(
                f,
                "invalid region {r:?}: a region identifier is lower-case letters and digits only, e.g. \"westus\" \
                 (see the resource's Keys and Endpoint page)"
            ),
            Misuse::InvalidResourceName(n) => write!(
                f,
                "invalid custom-domain resource name {n:?}: give only the subdomain (letters, digits and '-'), e.g. \
                 \"my-resource\" for https://my-resource.cognitiveservices.azure.com"
            ),
            Misuse::InvalidUrl { url, reason } => write!(f, "invalid endpoint URL {url:?}: {reason}"),
            Misuse::InsecureScheme { host } => write!(
                f,
                "refusing plain http:// to {host}: keys and tokens would cross the network unencrypted; use \
                 https://, or opt in with Endpoint::allow_insecure_http(true) on a trusted network"
            ),
            Misuse::InvalidHeaderValue { header } => write!(
                f,
                "the value given for the {header} header contains a line break, a control character, a non-ASCII \
                 character or leading/trailing whitespace; it was not sent"
            ),
            Misuse::Missing(what) => write!(f, "{what} is required but was missing or empty"),
            Misuse::InvalidValue { name, reason } => write!(f, "invalid {name}: {reason}"),
            Misuse::TokenHostMismatch { issued_for, host } => write!(
                f,
                "refusing to send a token issued for {issued_for} to {host}: a token works only with the hosts of \
                 the endpoint that issued it; use the same endpoint for both, or key authentication"
            ),
            Misuse::InvalidState(what) => write!(f, "API misuse: {what}"),
        }
    }
}

impl std::error::Error for Misuse {}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_answer(f)?;
        if let Some(hint) = self.hint() {
            write!(f, ". {hint}")?;
        }
        Ok(())
    }
}

impl ServiceError {
    /// What the service answered, without the hint.
    fn fmt_answer(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} answered {}", self.service, self.status.as_u16())?;
        if let Some(reason) = self.status.canonical_reason() {
            write!(f, " {reason}")?;
        }
        match (&self.code, &self.message) {
            (Some(code), Some(msg)) if code.as_str() != self.status.as_str() => {
                write!(f, ": [{code}] {msg}")?
            }
            (_, Some(msg)) => write!(f, ": {msg}")?,
            (Some(code), None) if code.as_str() != self.status.as_str() => write!(f, ": [{code}]")?,
            _ => f.write_str(" (empty body)")?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(ra) = self.retry_after {
            match ra {
                RetryAfter::Delay(d) => write!(f, " (retry after {} s)", d.as_secs())?,
                RetryAfter::At { unix_secs } => write!(f, " (retry after unix time {unix_secs})")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

impl fmt::Display for MalformedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {}: {}", self.what, self.detail)
    }
}

impl std::error::Error for MalformedResponse {}

// ---------------------------------------------------------------------------------------------------------------
// Classification and accessors

/// The broad class of an [`Error`]: what the caller should do about it (fix the call, the credential, the
/// input; wait; or retry later). Command-line tools map it to exit codes. Adapters use the same classes for
/// their own failures (a connection that got no answer is [`ErrorKind::Network`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The call or the client's settings are wrong: fix the program or the command line.
    Usage,
    /// The service (or the token service) refused the credential: 401, 403.
    Auth,
    /// The input is wrong: audio the service would mishear, a broken WAV file, or the service's 400, 411, 413
    /// or 415.
    InvalidInput,
    /// The service throttled the call (429).
    Throttled,
    /// The service failed (5xx, 408) or answered with a body that does not parse or is too large.
    Service,
    /// No answer at all: connection, TLS or timeout (also a token fetch that got no answer).
    Network,
}

impl ErrorKind {
    /// The class of an error status.
    pub fn of_status(status: StatusCode) -> ErrorKind {
        match status.as_u16() {
            401 | 403 => ErrorKind::Auth,
            429 => ErrorKind::Throttled,
            408 => ErrorKind::Service,
            400..=499 => ErrorKind::InvalidInput,
            _ => ErrorKind::Service,
        }
    }
}

impl Error {
    /// Whether this is the service saying that fast transcription is not offered here (the region or the
    /// resource's tier): `404` from the fast-transcription endpoint, or an answer whose code says the feature
    /// is not supported or not available. The service does not document this answer; a client that sees it
    /// can transcribe in short-audio segments instead.
    pub fn is_fast_transcription_unavailable(&self) -> bool {
        let Error::Service(e) = self else {
            return false;
        };
        if e.service != Service::FastTranscription {
            return false;
        }
        let lower = |text: &Option<String>| text.as_deref().map(str::to_ascii_lowercase);
        let code_says = lower(&e.code)
            .is_some_and(|c| c.contains("notsupported") || c.contains("notavailable"));
        let message_says = lower(&e.message).is_some_and(|m| m.contains("not available"));
        e.status == StatusCode::NOT_FOUND
            || (matches!(e.status.as_u16(), 400 | 403) && (code_says || message_says))
    }

    /// The broad class of this error (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Misuse(_) => ErrorKind::Usage,
            Error::MalformedWav(_) | Error::Audio(_) => ErrorKind::InvalidInput,
            Error::MalformedResponse(_) | Error::LimitExceeded { .. } => ErrorKind::Service,
            Error::Service(e) => ErrorKind::of_status(e.status),
            Error::TokenUnavailable { last_error, .. } => {
                match (self.status(), last_error.as_deref()) {
                    (Some(status), _) => ErrorKind::of_status(status),
                    // The Entra token source failed: a sign-in or identity problem, not the network's.
                    (None, Some(e @ Error::TokenSource { .. })) => e.kind(),
                    (None, _) => ErrorKind::Network,
                }
            }
            Error::Wire(e) if e.is_peer_fault() => ErrorKind::Network,
            Error::Wire(_) => ErrorKind::Usage,
            Error::Transport(_) => ErrorKind::Network,
            Error::TokenSource { .. } => ErrorKind::Auth,
            Error::Stream(e) => e.kind(),
        }
    }

    /// Whether the same request may succeed if sent again later (after `Retry-After` or a backoff).
    ///
    /// Yes for service answers 408, 429, 500, 502, 503 and 504, for [`Error::TokenUnavailable`] (the token
    /// machine is backing off and will try again) and for [`Error::TokenSource`] (the Entra token source is asked
    /// again after the backoff). No for caller misuse, malformed bodies, bad audio and the
    /// other 4xx answers (400, 401, 403, 411, 413, 415, …), which need a change first.
    ///
    /// [`Error::Wire`] errors the peer caused (a truncated body, broken framing, a cap exceeded) are retryable
    /// like a broken connection: close it, and resend on a new one. The codec's misuse errors
    /// ([`WireError::InvalidRequestHead`], [`WireError::InsufficientSize`]) are not.
    ///
    /// A 401 for a request that carried a token *fetched by the token machine* is the one exception the caller
    /// handles without retry policy of its own: report it with
    /// [`TokenMachine::invalidate`](crate::auth::TokenMachine::invalidate), which drops the token and fetches a
    /// new one exactly once; resend the request once with the new token. A second 401 means the key or the
    /// endpoint is wrong.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.is_retryable(),
            Error::TokenUnavailable { .. } => true,
            // The token machine asks the source again after its backoff.
            Error::TokenSource { .. } => true,
            Error::Wire(e) => e.is_peer_fault(),
            Error::Transport(e) => e.failure.can_pass(),
            Error::Stream(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// The troubleshooting hint (likely causes and the fix), for service answers and for a token that is not
    /// available because its fetch failed.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Error::Service(e) => e.hint(),
            Error::TokenUnavailable { last_error, .. } => match last_error.as_deref() {
                Some(Error::Transport(_)) | None => Some(TOKEN_UNREACHABLE),
                Some(e) => e.hint(),
            },
            Error::TokenSource { .. } => Some(TOKEN_SOURCE),
            Error::Stream(e) => e.hint(),
            _ => None,
        }
    }

    /// The service answer, when this is one (directly or as the cause of [`Error::TokenUnavailable`]).
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            Error::TokenUnavailable {
                last_error: Some(e),
                ..
            } => e.service_error(),
            _ => None,
        }
    }

    /// The HTTP status of a service answer.
    pub fn status(&self) -> Option<StatusCode> {
        self.service_error().map(|e| e.status)
    }

    /// `Retry-After` of a service answer, when it carried one.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.service_error().and_then(|e| e.retry_after)
    }

    /// The request id of a service answer, when it carried one.
    pub fn request_id(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.request_id.as_deref())
    }

    /// The service's own message, when its answer carried one.
    pub fn message(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.message.as_deref())
    }

    /// Whether this is caller misuse (fix the call; retrying cannot help).
    pub fn is_misuse(&self) -> bool {
        match self {
            Error::Misuse(_) => true,
            Error::Wire(e) => !e.is_peer_fault(),
            _ => false,
        }
    }
}

impl ServiceError {
    /// Whether resending may succeed: 408, 429, 500, 502, 503, 504. See [`Error::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        matches!(self.status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// The likely causes and the fix for this status on this service, from the service's troubleshooting guide.
    /// `None` for statuses the guide does not cover.
    pub fn hint(&self) -> Option<Hint> {
        hint_for(self.service, self.status)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Hints

const TOKEN_UNREACHABLE: Hint = Hint {
    causes: &[
        "the token service could not be reached (DNS, proxy, firewall or TLS problem)",
        "the endpoint names the wrong region or custom domain",
    ],
    fix: "check the network path to the endpoint's token host and the region or custom domain; the token machine \
          retries with backoff",
};

const TRANSLATION_FAILED: Hint = Hint {
    causes: &[
        "the service does not translate between these two languages (the reason names the pair)",
        "a target language code it does not know (targets are language codes such as en, de, zh-Hans)",
        "the emulator translates into English only",
        "the translation service failed for this phrase",
    ],
    fix: "use a target language the service lists for speech translation (or English with the emulator); the \
          recognized text is in the result either way",
};

const SYNTHESIS_REFUSED: Hint = Hint {
    causes: &[
        "the SSML is not valid at the position the reason names (a bare & or <, an unclosed element)",
        "the voice is unknown to this resource's region",
        "the output format is one the service does not make",
    ],
    fix: "fix what the reason names (escape & < > in text; `speech voices` lists the voices) and send it again",
};

const STREAM_FRAME: Hint = Hint {
    causes: &["something between this client and the service (a proxy, a load balancer) altered the WebSocket \
               messages, or the endpoint is not the Speech service"],
    fix: "check that the endpoint is the resource's own; the session reconnects and replays the audio not yet \
          recognized",
};

const STREAM_SILENT: Hint = Hint {
    causes: &[
        "the connection stalled (a proxy that buffers WebSocket traffic, a network drop without a close)",
        "the service is overloaded",
    ],
    fix: "the session reconnects and replays the audio not yet recognized; if it keeps happening, check proxies \
          and firewalls for WebSocket support",
};

const STREAM_THROTTLED: Hint = Hint {
    causes: &[
        "more concurrent real-time recognitions than the resource allows (F0: 1, S0: 100 by default)",
        "the free (F0) tier's quota is used up",
    ],
    fix: "retry after a pause; lower the number of concurrent sessions, or raise the resource's limits (S0, a \
          quota increase request)",
};

const STREAM_BAD_AUDIO: Hint = Hint {
    causes: &[
        "the audio is not what the RIFF header says, or not PCM the service takes (16-bit, 16 kHz mono is safest)",
        "a parameter is invalid (an unknown custom endpoint id, an unsupported language for the path)",
    ],
    fix: "stream 16-bit PCM at 16 kHz mono after its RIFF header; check the language and endpoint id",
};

const STREAM_PROTOCOL: Hint = Hint {
    causes: &["the client broke the speech WebSocket protocol (a missing Path or X-RequestId header, a reused \
               request id): a bug in the client"],
    fix: "report it with the close reason; retrying the same session will not help",
};

const STREAM_ABNORMAL: Hint = Hint {
    causes: &[
        "the network dropped the connection without a close frame",
        "the credential was refused or expired while connecting (the SDKs report failed handshakes as 1006)",
    ],
    fix: "the session reconnects with a fresh token and replays the audio not yet recognized; if it keeps \
          happening, check the key or token, and proxies and firewalls for WebSocket support",
};

const TOKEN_SOURCE: Hint = Hint {
    causes: &[
        "no one is signed in to the tool the token source asks (`az login` / `azd auth login` not run, or expired)",
        "the tool is not installed or not on PATH, or the token command is mistyped",
        "the managed or workload identity is not assigned to this machine, or its endpoint is unreachable",
    ],
    fix: "run the token command (e.g. `az account get-access-token --resource https://cognitiveservices.azure.com`) \
          yourself to see what it says; sign in, or assign the identity; the client asks the source again after a \
          backoff",
};

const UNAUTHORIZED_TOKEN_SERVICE: Hint = Hint {
    causes: &[
        "the subscription key is wrong or was regenerated",
        "the key belongs to another region or another resource than the endpoint",
    ],
    fix: "copy Key 1 or Key 2 and the Location/Region from the resource's Keys and Endpoint page; with a custom \
          domain use that resource's own endpoint",
};

const UNAUTHORIZED: Hint = Hint {
    causes: &[
        "the subscription key is wrong or was regenerated",
        "the key or token belongs to another region or resource than the endpoint",
        "the token expired (tokens live 10 minutes) or was issued by another host family (region vs custom domain)",
        "a Microsoft Entra token was issued for another scope than https://cognitiveservices.azure.com/.default, or \
         its identity has no Speech role on the resource (Cognitive Services Speech User or Contributor)",
    ],
    fix: "check the key and that the endpoint's region or custom domain is the resource's; fetch a new token \
          (the token machine does this after invalidate()); for Entra, ask for the scope \
          https://cognitiveservices.azure.com/.default and assign the identity the Cognitive Services Speech \
          User role on the resource",
};

const FORBIDDEN: Hint = Hint {
    causes: &[
        "no key or token was sent",
        "the free (F0) tier's quota is used up",
        "network rules (firewall, private endpoint, 'selected networks') block this client",
        "the token expired (some service versions answer 403 instead of 401)",
        "a Microsoft Entra identity has no Speech role on the resource (Cognitive Services Speech User or \
         Contributor), or the resource has no custom domain",
    ],
    fix: "send Ocp-Apim-Subscription-Key or Authorization: Bearer; check the pricing tier's quota and the \
          resource's Networking settings; fetch a new token; for Entra, assign the identity the Cognitive Services \
          Speech User role on the resource and use its custom-domain endpoint",
};

const BAD_REQUEST_STREAM: Hint = Hint {
    causes: &[
        "the language query parameter is missing or not a locale the service recognizes (or not on this path)",
        "X-ConnectionId is missing or not a UUID",
        "another query parameter is invalid",
    ],
    fix: "send language=<locale> (e.g. en-US) and an X-ConnectionId of 32 hex digits",
};

const NOT_FOUND_STREAM: Hint = Hint {
    causes: &["the WebSocket path is not one the service serves (e.g. a v1 path with a typo, or /stt/ on a \
               regional host that does not take it)"],
    fix: "use /speech/universal/v2 or /speech/recognition/{interactive|conversation|dictation}/cognitiveservices/v1 \
          on <region>.stt.speech.microsoft.com, with /stt in front on a custom domain",
};

const BAD_REQUEST_RECOGNITION: Hint = Hint {
    causes: &[
        "the language query parameter is missing or not a supported locale (or cid names an unknown custom \
         endpoint)",
        "the audio is not 16 kHz 16-bit mono PCM WAV or OGG/Opus",
        "the Content-Type does not match the audio",
        "the body is not the raw audio bytes (e.g. base64 text or JSON)",
    ],
    fix: "send language=<locale> (e.g. en-US) and the raw bytes of a 16 kHz 16-bit mono PCM WAV with \
          Content-Type: audio/wav; codecs=audio/pcm; samplerate=16000 (or OGG/Opus with audio/ogg; codecs=opus)",
};

const BAD_REQUEST_SYNTHESIS: Hint = Hint {
    causes: &[
        "the SSML is invalid (unescaped &, < or >; no <voice>; missing version or xml:lang)",
        "the voice name is unknown or not offered in this region",
        "X-Microsoft-OutputFormat names an unsupported format",
        "the User-Agent header is missing or 255 characters or longer",
    ],
    fix: "build the SSML with escaping, pick a ShortName from the voices list of this region, use a documented \
          output format and a short User-Agent",
};

const BAD_REQUEST_TOKEN: Hint = Hint {
    causes: &[
        "the resource uses a private endpoint or custom domain whose networking is not set to 'All networks', \
         which blocks token issuance",
    ],
    fix: "use key authentication (AuthMode::Key) against the custom domain, or allow all networks",
};

const BAD_REQUEST: Hint = Hint {
    causes: &[
        "a required header or parameter is missing, empty or invalid (often an over-long header)",
    ],
    fix: "check the request headers and query parameters against the API reference",
};

const REQUEST_TIMEOUT: Hint = Hint {
    causes: &[
        "no audio reached the service before its timeout",
        "the upload was too slow or stalled",
    ],
    fix: "send the audio in the request body right away and end a chunked body with its final empty chunk; \
          check the network's upload speed",
};

const LENGTH_REQUIRED: Hint = Hint {
    causes: &["the request had neither Content-Length nor chunked encoding (issueToken needs Content-Length: 0)"],
    fix: "send Content-Length: 0 with the token request (the core's token request does)",
};

const PAYLOAD_TOO_LARGE: Hint = Hint {
    causes: &["the request body is too large"],
    fix: "send at most 60 s of audio (30 s with pronunciation assessment), or split long SSML into several \
          requests",
};

const UNSUPPORTED_MEDIA_SYNTHESIS: Hint = Hint {
    causes: &["the Content-Type is not application/ssml+xml"],
    fix: "send Content-Type: application/ssml+xml",
};

const UNSUPPORTED_MEDIA_RECOGNITION: Hint = Hint {
    causes: &["the Content-Type is not one the service accepts for short audio"],
    fix: "send Content-Type: audio/wav; codecs=audio/pcm; samplerate=16000 (or audio/ogg; codecs=opus)",
};

const UNSUPPORTED_MEDIA: Hint = Hint {
    causes: &["the Content-Type does not match what this API takes"],
    fix: "check the Content-Type header against the API reference",
};

const TOO_MANY_REQUESTS: Hint = Hint {
    causes: &[
        "the request rate or concurrency is over the resource's quota (F0: 1 concurrent recognition, 20 syntheses \
         per minute)",
        "the service is still scaling up after a sudden rise in load",
    ],
    fix: "wait as long as Retry-After says (or back off exponentially with jitter), ramp load up gradually, \
          spread load over resources, or raise the quota",
};

const SERVER_ERROR: Hint = Hint {
    causes: &["a problem on the service side or in the network in front of it"],
    fix: "retry with exponential backoff; if it persists, check Azure status and report the request id",
};

const SERVER_ERROR_SYNTHESIS: Hint = Hint {
    causes: &[
        "the SSML structure is invalid (e.g. <prosody> directly under <speak>; the message names the node)",
        "a problem on the service side",
    ],
    fix: "check the SSML against the message; if it is valid, retry with exponential backoff",
};

const BAD_REQUEST_FAST: Hint = Hint {
    causes: &[
        "the definition breaks a rule (a locale the service does not support, maxSpeakers outside 2-35, \
         channels other than 0 and 1, diarization with two separate channels)",
        "the audio is in a format the service cannot decode, or longer than 2 hours",
        "the multipart body is malformed (the boundary, the part names `definition` and `audio`)",
    ],
    fix: "check the message: it names the field; send WAV, MP3, FLAC or Ogg audio of at most 2 hours",
};

const NOT_FOUND_FAST: Hint = Hint {
    causes: &[
        "fast transcription is not available in this region (or for this resource)",
        "the endpoint is not the resource's (a custom domain or region of another resource)",
    ],
    fix: "use a region that offers fast transcription (e.g. eastus, westeurope), or transcribe the file in \
          short-audio segments instead",
};

const PAYLOAD_TOO_LARGE_FAST: Hint = Hint {
    causes: &["the file is larger than the service takes (300 MB) or longer than 2 hours"],
    fix: "split the recording, or compress it (e.g. MP3 or Opus instead of WAV)",
};

fn hint_for(service: Service, status: StatusCode) -> Option<Hint> {
    Some(match (status.as_u16(), service) {
        (400, Service::FastTranscription) => BAD_REQUEST_FAST,
        (404, Service::FastTranscription) => NOT_FOUND_FAST,
        (413, Service::FastTranscription) => PAYLOAD_TOO_LARGE_FAST,
        (400, Service::Recognition) => BAD_REQUEST_RECOGNITION,
        (400, Service::Synthesis) => BAD_REQUEST_SYNTHESIS,
        (400, Service::Token) => BAD_REQUEST_TOKEN,
        (400, Service::StreamingRecognition) => BAD_REQUEST_STREAM,
        (404, Service::StreamingRecognition) => NOT_FOUND_STREAM,
        (400, _) => BAD_REQUEST,
        (401, Service::Token) => UNAUTHORIZED_TOKEN_SERVICE,
        (401, _) => UNAUTHORIZED,
        (403, _) => FORBIDDEN,
        (408, _) => REQUEST_TIMEOUT,
        (411, _) => LENGTH_REQUIRED,
        (413, _) => PAYLOAD_TOO_LARGE,
        (415, Service::Synthesis) => UNSUPPORTED_MEDIA_SYNTHESIS,
        (415, Service::Recognition) => UNSUPPORTED_MEDIA_RECOGNITION,
        (415, _) => UNSUPPORTED_MEDIA,
        (429, _) => TOO_MANY_REQUESTS,
        (500, Service::Synthesis) => SERVER_ERROR_SYNTHESIS,
        (500..=599, _) => SERVER_ERROR,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing error answers

/// How much of an error body [`parse_error_response`] looks at (64 KiB); the rest is ignored.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The longest service message kept, in characters; longer messages are cut and end in `…`.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 1024;

/// The longest request id kept, in bytes; longer values are dropped.
const MAX_REQUEST_ID: usize = 256;

/// The request-id headers, in order of preference.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-requestid", "apim-request-id", "x-request-id"];

/// Turn an error answer (any status the caller does not treat as success) into an [`Error::Service`].
///
/// Understands the body shapes seen in the wild: the token service's `{"error":{"code":"401","message":"…"}}`
/// (code as string or number), speech-to-text's `{"Message":"…"}` (or `message`), the API gateway's
/// `{"statusCode":403,"message":"…"}`, an empty body (no message), and plain text or HTML (kept as text,
/// tags stripped, whitespace collapsed, at most [`MAX_ERROR_MESSAGE_CHARS`] characters, invalid UTF-8 replaced).
/// Only the first [`MAX_ERROR_BODY`] bytes are looked at. The request id comes from `X-RequestId`,
/// `apim-request-id` or `X-Request-Id`; `Retry-After` is read as delta-seconds or an HTTP date.
///
/// Never panics, whatever the bytes.
pub fn parse_error_response(
    service: Service,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let body = &body[..body.len().min(MAX_ERROR_BODY)];
    let (code, message) = parse_error_body(body);
    ServiceError {
        service,
        status,
        code,
        message,
        request_id: request_id(headers),
        retry_after: headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| parse_retry_after(v.as_bytes())),
    }
    .into()
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        let v = headers.get(*name)?.to_str().ok()?.trim();
        (!v.is_empty() && v.len() <= MAX_REQUEST_ID).then(|| v.to_owned())
    })
}

/// Parse a `Retry-After` value: delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).
/// Returns `None` for anything else.
pub fn parse_retry_after(value: &[u8]) -> Option<RetryAfter> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        // A value too large for u64 is "very long": saturate instead of refusing.
        let secs = text.parse::<u64>().unwrap_or(u64::MAX);
        return Some(RetryAfter::Delay(Duration::from_secs(secs)));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    let unix_secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Some(RetryAfter::At { unix_secs })
}

/// (code, message) from an error body.
fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return (None, None);
    }
    if trimmed.starts_with('{') {
        if let Ok(serde_json::Value::Object(map)) =
            serde_json::from_str::<serde_json::Value>(trimmed)
        {
            if let Some(found) = from_json_object(&map) {
                return found;
            }
        }
    }
    let looks_html = {
        let head: String = trimmed
            .chars()
            .take(256)
            .collect::<String>()
            .to_ascii_lowercase();
        head.starts_with('<')
            && (head.contains("<html") || head.contains("<!doctype") || head.contains("<body"))
    };
    let plain = if looks_html {
        strip_tags(trimmed)
    } else {
        trimmed.to_owned()
    };
    (None, clean_message(&plain))
}

fn from_json_object(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Option<(Option<String>, Option<String>)> {
    use serde_json::Value;
    let text_of = |v: &Value| match v {
        Value::String(s) => clean_message(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let get = |m: &serde_json::Map<String, Value>, keys: &[&str]| {
        keys.iter().find_map(|k| m.get(*k)).and_then(text_of)
    };
    // {"error":{"code":"401","message":"..."}} or {"error":"..."}
    match map.get("error") {
        Some(Value::Object(inner)) => {
            let code = get(inner, &["code", "Code"]);
            let message = get(inner, &["message", "Message"]);
            if code.is_some() || message.is_some() {
                return Some((code, message));
            }
        }
        Some(v @ Value::String(_)) => {
            let message =
                get(map, &["message", "Message", "error_description"]).or_else(|| text_of(v));
            return Some((None, message));
        }
        _ => {}
    }
    let message = get(map, &["Message", "message"]);
    let code = get(map, &["statusCode", "code", "Code"]);
    if code.is_some() || message.is_some() {
        return Some((code, message));
    }
    None
}

/// Drop `<…>` tags and collapse whitespace: enough to make a proxy's HTML error page readable.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Trim, replace control characters, collapse runs of whitespace and cap the length. `None` when nothing is left.
pub(crate) fn clean_message(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = 0usize;
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if chars + usize::from(pending_space) >= MAX_ERROR_MESSAGE_CHARS {
            out.push('…');
            break;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_message_collapses_and_caps() {
        assert_eq!(
            clean_message("  a \r\n\t b\u{1b}[31m "),
            Some("a b [31m".to_owned())
        );
        assert_eq!(clean_message(" \n "), None);
        let long = "x".repeat(5000);
        let m = clean_message(&long).unwrap();
        assert_eq!(m.chars().count(), MAX_ERROR_MESSAGE_CHARS + 1);
        assert!(m.ends_with('…'));
        let spaced = "x ".repeat(5000);
        let m = clean_message(&spaced).unwrap();
        assert!(m.chars().count() <= MAX_ERROR_MESSAGE_CHARS + 1);
        assert!(m.ends_with('…'));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(b"120"),
            Some(RetryAfter::Delay(Duration::from_secs(120)))
        );
        assert_eq!(
            parse_retry_after(b" 0 "),
            Some(RetryAfter::Delay(Duration::ZERO))
        );
        assert_eq!(
            parse_retry_after(b"99999999999999999999999"),
            Some(RetryAfter::Delay(Duration::from_secs(u64::MAX)))
        );
        assert_eq!(
            parse_retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(RetryAfter::At {
                unix_secs: 1_445_412_480
            })
        );
        for bad in [&b""[..], b"-1", b"1.5", b"soon", b"\xff\xfe"] {
            assert_eq!(parse_retry_after(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hints_cover_the_guide() {
        for s in [400, 401, 403, 408, 411, 413, 415, 429, 500, 502, 503] {
            let st = StatusCode::from_u16(s).unwrap();
            for svc in [
                Service::Token,
                Service::Recognition,
                Service::Synthesis,
                Service::Voices,
            ] {
                assert!(hint_for(svc, st).is_some(), "{s} {svc:?}");
            }
        }
        assert!(hint_for(Service::Recognition, StatusCode::IM_A_TEAPOT).is_none());
    }
}
