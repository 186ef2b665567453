//! The reqwest transport: the core's request heads sent with the caller's `reqwest::Client` (its pool, TLS,
//! proxies and HTTP/2), the upload streamed with `reqwest::Body::wrap_stream`.

use std::error::Error as StdError;
use std::io;

use bytes::Bytes;
use futures_util::future::{select, Either};
use futures_util::SinkExt;
use http::header::EXPECT;
use http::Request;
use speech_proto::retry::TransportFailure;

use super::{Response, ResponseBody, TransportError};
use crate::body::Upload;

/// How many pieces of a streamed upload may wait for reqwest at a time.
const PIPE_DEPTH: usize = 2;

pub(crate) async fn send(
    client: &reqwest::Client,
    request: Request<()>,
    upload: &mut Upload<'_>,
) -> Result<Response, TransportError> {
    let (mut parts, ()) = request.into_parts();
    // hyper sends the body without waiting for `100 Continue`; the header would only make the server send an
    // interim answer nobody waits for.
    parts.headers.remove(EXPECT);
    let streamed = !upload.is_empty() && upload.in_memory().is_none();
    let (body, pipe) = match upload.in_memory() {
        _ if upload.is_empty() => (reqwest::Body::from(Bytes::new()), None),
        // In memory: one copy into reqwest's body, so that it can be sent with its length.
        Some(bytes) => (reqwest::Body::from(Bytes::copy_from_slice(bytes)), None),
        None => {
            // reqwest wants a 'static stream; the caller's reader is borrowed. A small bounded pipe carries the
            // pieces, filled by `pump` below while the request runs.
            let (tx, rx) = futures_channel::mpsc::channel::<io::Result<Bytes>>(PIPE_DEPTH);
            (reqwest::Body::wrap_stream(rx), Some(tx))
        }
    };
    let request = reqwest::Request::try_from(Request::from_parts(parts, body)).map_err(classify)?;
    let response = client.execute(request);
    let response = match pipe {
        Some(tx) if streamed => {
            let pump = pump(upload, tx);
            let response = std::pin::pin!(response);
            let pump = std::pin::pin!(pump);
            match select(response, pump).await {
                Either::Left((response, _)) => response,
                Either::Right(((), response)) => response.await,
            }
        }
        _ => response.await,
    }
    .map_err(classify)?;
    Ok(Response {
        status: response.status(),
        headers: response.headers().clone(),
        body: ResponseBody::Reqwest(response),
    })
}

/// Move the upload into the pipe until it ends, fails (the error goes down the pipe, which fails the request;
/// the upload keeps the original) or reqwest stops reading.
async fn pump(upload: &mut Upload<'_>, mut tx: futures_channel::mpsc::Sender<io::Result<Bytes>>) {
    loop {
        let item = match upload.next_piece().await {
            Ok([]) => return,
            Ok(piece) => Ok(Bytes::copy_from_slice(piece)),
            Err(e) => Err(e),
        };
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}

/// Sort reqwest's errors into the classes the core's retry decision knows: by the IO error underneath when
/// there is one, else by what reqwest says it was doing.
pub(crate) fn classify(e: reqwest::Error) -> TransportError {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    let mut io_failure = None;
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            let failure = TransportFailure::from_io_error(io);
            // `Other` says nothing, unless the text names a DNS failure.
            if io.kind() != io::ErrorKind::Other || failure == TransportFailure::Dns {
                io_failure = Some(failure);
            }
            break;
        }
        source = s.source();
    }
    let failure = if e.is_timeout() {
        TransportFailure::TimedOut
    } else if let Some(failure) = io_failure {
        failure
    } else if e.is_connect() {
        TransportFailure::Connect
    } else if e.is_request() || e.is_body() {
        // hyper's "connection closed before message completed" and friends.
        TransportFailure::Broken
    } else {
        TransportFailure::Permanent
    };
    TransportError {
        source: Box::new(e),
        failure,
    }
}
