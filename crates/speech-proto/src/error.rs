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

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::audio::{AudioProblem, WavError};

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
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Token => "token service",
            Service::Recognition => "speech-to-text",
            Service::Synthesis => "text-to-speech",
            Service::Voices => "voices list",
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
}

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
            RetryAfter::At { unix_secs } => Duration::from_secs(unix_secs.saturating_sub(now_unix_secs)),
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
