//! The two ways a request reaches the service: the core's HTTP/1.1 codec over the runtime's connections
//! ([`raw`]), or a caller's `reqwest::Client` (`reqwest`). Both take the core's `http::Request<()>` head and an
//! [`Upload`], and give back the status, the headers and a body read piece by piece.

use std::error::Error as StdError;
use std::io;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use speech_proto::retry::TransportFailure;

use crate::body::Upload;

pub(crate) mod raw;
#[cfg(feature = "reqwest")]
pub(crate) mod reqwest;

/// A failure that produced no (complete) answer, classified for the core's retry decision.
#[derive(Debug)]
pub(crate) struct TransportError {
    pub(crate) source: Box<dyn StdError + Send + Sync>,
    pub(crate) failure: TransportFailure,
}

impl TransportError {
    pub(crate) fn io(e: io::Error) -> Self {
        let failure = TransportFailure::from_io_error(&e);
        TransportError {
            source: Box::new(e),
            failure,
        }
    }

    /// The codec's error (or the core's refusal of a head): a peer that broke HTTP/1.1 framing is a broken
    /// connection; anything else will not change on another attempt.
    pub(crate) fn proto(e: speech_proto::Error) -> Self {
        let failure = match &e {
            speech_proto::Error::Wire(w) if w.is_peer_fault() => TransportFailure::Broken,
            _ => TransportFailure::Permanent,
        };
        TransportError {
            source: Box::new(e),
            failure,
        }
    }

    pub(crate) fn timed_out(what: &'static str) -> Self {
        TransportError {
            source: Box::new(io::Error::new(io::ErrorKind::TimedOut, what)),
            failure: TransportFailure::TimedOut,
        }
    }
}

/// Where requests go.
pub(crate) enum Transport {
    Raw(raw::Raw),
    #[cfg(feature = "reqwest")]
    Reqwest(::reqwest::Client),
}

/// An answer whose head has arrived.
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: ResponseBody,
}

/// The body of an answer, read piece by piece.
pub(crate) enum ResponseBody {
    Raw(Box<raw::Body>),
    #[cfg(feature = "reqwest")]
    Reqwest(::reqwest::Response),
}

impl ResponseBody {
    /// The next piece of the body; `None` at its end. An answer cut short is an error.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        match self {
            ResponseBody::Raw(body) => body.chunk().await,
            #[cfg(feature = "reqwest")]
            ResponseBody::Reqwest(response) => response.chunk().await.map_err(reqwest::classify),
        }
    }

    /// Read the body into `into`, at most `limit` bytes (the core's cap and one more, so that its parser sees an
    /// oversized body). What arrived before a failure stays in `into`.
    pub(crate) async fn read_limited(
        &mut self,
        into: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), TransportError> {
        while into.len() < limit {
            let Some(piece) = self.chunk().await? else {
                break;
            };
            let room = limit.saturating_sub(into.len());
            into.extend_from_slice(piece.get(..room.min(piece.len())).unwrap_or_default());
        }
        Ok(())
    }
}

impl Transport {
    /// Send one request with its body and wait for the answer's head.
    pub(crate) async fn send(
        &self,
        request: Request<()>,
        upload: &mut Upload<'_>,
    ) -> Result<Response, TransportError> {
        match self {
            Transport::Raw(raw) => raw.send(request, upload).await,
            #[cfg(feature = "reqwest")]
            Transport::Reqwest(client) => reqwest::send(client, request, upload).await,
        }
    }
}
