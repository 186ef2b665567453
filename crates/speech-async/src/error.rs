//! The client's error type.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use http::StatusCode;
use speech_proto::retry::TransportFailure;
use speech_proto::Hint;

/// Everything a [`Client`](crate::Client) call can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The core's error: caller misuse (an empty language, a bad header value), a service answer (status,
    /// message, request id, hint), a malformed body, audio the service would hear wrongly, or no token.
    Proto(speech_proto::Error),
    /// No answer from the service: the connection failed, broke, timed out, TLS failed, or the peer broke
    /// HTTP/1.1 framing.
    Transport {
        /// What happened: an [`io::Error`] (connection, TLS, timeout), a [`speech_proto::Error`] (an answer that
        /// breaks HTTP/1.1 framing: [`speech_proto::Error::Wire`]) or, with the `reqwest` transport, a
        /// `reqwest::Error`; downcast to look closer.
        source: Box<dyn StdError + Send + Sync>,
        /// How the failure was classified for the retry decision.
        failure: TransportFailure,
    },
    /// Reading the caller's audio (a reader or a stream) failed.
    Io(io::Error),
    /// The recording given to [`Client::transcribe`](crate::Client::transcribe) could not be decoded: a
    /// format none of the decoders knows, or a damaged file.
    Decode(speech_audio::decode::DecodeError),
    /// The client could not be built from its settings (no runtime, an unusable certificate).
    Config(String),
}

/// The broad class of an [`Error`], for exit codes and for "what do I do now" messages. The core decides
/// the class of its own errors; this crate adds only its transport, IO and settings failures.
pub use speech_proto::ErrorKind;

impl Error {
    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Usage,
            Error::Io(_) | Error::Decode(_) => ErrorKind::InvalidInput,
            Error::Transport { .. } => ErrorKind::Network,
            Error::Proto(e) => e.kind(),
        }
    }

    /// The HTTP status of the service's answer (also when the token service gave it), if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Proto(e) => e.status(),
            _ => None,
        }
    }

    /// Whether the same call may succeed later. The client has already retried as its
    /// [`RetryPolicy`](speech_proto::retry::RetryPolicy) allows, so `true` here means "try again later".
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Proto(e) => e.is_retryable(),
            Error::Transport { failure, .. } => failure.can_pass(),
            Error::Io(_) | Error::Decode(_) | Error::Config(_) => false,
        }
    }

    /// The troubleshooting hint (likely causes and the fix) of a service answer or a missing token.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Error::Proto(e) => e.hint(),
            _ => None,
        }
    }

    /// What a token fetch that failed with this error reports to the token machine (the transport's own
    /// words, so that "no token" says why).
    pub(crate) fn no_answer(&self, uri: &http::Uri) -> speech_proto::NoAnswer {
        match self {
            Error::Transport { source, failure } => {
                speech_proto::NoAnswer::new(*failure, uri, source.to_string())
            }
            other => {
                speech_proto::NoAnswer::new(TransportFailure::Permanent, uri, other.to_string())
            }
        }
    }

    /// The core's error, when this is one.
    pub fn as_proto(&self) -> Option<&speech_proto::Error> {
        match self {
            Error::Proto(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The core's Display already ends with the hint of a service answer.
            Error::Proto(e) => e.fmt(f),
            Error::Transport { source, failure } => write!(f, "{failure}: {source}"),
            Error::Io(e) => write!(f, "could not read the audio: {e}"),
            Error::Decode(e) => e.fmt(f),
            Error::Config(msg) => write!(f, "invalid client settings: {msg}"),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Proto(e) => Some(e),
            Error::Transport { source, .. } => Some(&**source),
            Error::Io(e) => Some(e),
            Error::Decode(e) => Some(e),
            Error::Config(_) => None,
        }
    }
}

impl From<speech_proto::Error> for Error {
    fn from(e: speech_proto::Error) -> Self {
        Error::Proto(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use speech_proto::{parse_error_response, Misuse, Service};

    fn answer(status: u16) -> Error {
        Error::Proto(parse_error_response(
            Service::Recognition,
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            br#"{"Message":"nope"}"#,
        ))
    }

    #[test]
    fn kinds_and_retryability() {
        assert_eq!(answer(401).kind(), ErrorKind::Auth);
        assert_eq!(answer(429).kind(), ErrorKind::Throttled);
        assert!(answer(429).is_retryable());
        assert_eq!(
            Error::Proto(Misuse::Missing("language").into()).kind(),
            ErrorKind::Usage
        );
        let broken = Error::Transport {
            source: Box::new(io::Error::from(io::ErrorKind::ConnectionReset)),
            failure: TransportFailure::Broken,
        };
        assert_eq!(broken.kind(), ErrorKind::Network);
        assert!(broken.is_retryable());
        assert!(broken
            .to_string()
            .starts_with("the connection to the service broke"));
        assert!(StdError::source(&broken).is_some());
        assert_eq!(Error::Config("x".into()).kind(), ErrorKind::Usage);
        assert!(!Error::Io(io::ErrorKind::NotFound.into()).is_retryable());
    }
}
