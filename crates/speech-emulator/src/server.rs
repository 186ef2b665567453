//! The router (every endpoint's path → its handler in [`crate::service`]), the gate every request passes (log,
//! latency, limits, injected faults) and the accept loop (plain or TLS connections, resets, graceful shutdown).

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
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

use crate::auth;
use crate::faults::Action;
use crate::log::CountingBody;
use crate::service::common::not_found;
use crate::service::{entra, stt, token, tts};
use crate::state::AppState;

/// How long a connection may take for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/sts/v1.0/issueToken", post(token::issue))
        .route("/sts/v1.0/issuetoken", post(token::issue))
        .route(
            "/speech/recognition/{mode}/cognitiveservices/v1",
            post(stt::short::recognize).get(stt::stream::handshake),
        )
        .route(
            "/stt/speech/recognition/{mode}/cognitiveservices/v1",
            post(stt::short::recognize).get(stt::stream::handshake),
        )
        .route("/speech/universal/v2", get(stt::stream::handshake))
        .route("/stt/speech/universal/v2", get(stt::stream::handshake))
        .route(
            "/speech/translation/cognitiveservices/v1",
            get(stt::stream::handshake),
        )
        .route("/entra-test/token", post(entra::token))
        .route(
            "/speechtotext/transcriptions:transcribe",
            post(stt::fast::transcribe),
        )
        .route("/cognitiveservices/v1", post(tts::rest::synthesize))
        .route("/tts/cognitiveservices/v1", post(tts::rest::synthesize))
        .route(
            "/cognitiveservices/websocket/v1",
            get(tts::websocket::handshake),
        )
        .route(
            "/tts/cognitiveservices/websocket/v1",
            get(tts::websocket::handshake),
        )
        .route("/cognitiveservices/voices/list", get(tts::voices::list))
        .route("/tts/cognitiveservices/voices/list", get(tts::voices::list))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
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

pub(crate) async fn accept_loop(
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
