//! `POST /cognitiveservices/v1` (and `/tts/…`): text-to-speech (REST).
//!
//! Synthesis checks, in order; the first failing one answers:
//! 1. credentials (see `auth`): 401 / 403;
//! 2. `Content-Type` must be `application/ssml+xml` (parameters such as `charset` allowed) → else `415`;
//! 3. `User-Agent` must be present, non-empty and shorter than 255 characters → else `400`;
//! 4. `X-Microsoft-OutputFormat` must name a known format → else `400`; a known format this emulator cannot
//!    encode → `400` naming it;
//! 5. the body (at most 1 MiB → else `413`; no bytes for the audio timeout → `408`) must be UTF-8 SSML that
//!    `ssml::parse` accepts → else `400` with the parser's message as plain text;
//! 6. every voice must be known (`voices::find`) → else `400` with an empty body (as observed, spec I8);
//! 7. each voice segment is synthesized, the audio joined (cut at 10 minutes, as the service does) and
//!    encoded in the requested format, then streamed back with chunked transfer encoding.
//!
//! An engine failure answers `500` with a plain-text message.

use std::io;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};

use super::formats::{self, CodecError};
use super::{ssml, voices};
use crate::engine::{Pcm, SynthesisInput};
use crate::service::common::body::{closing, read_body, BodyError};
use crate::state::AppState;

/// The largest SSML body accepted.
const MAX_SSML: usize = 1024 * 1024;
/// The longest audio returned, in seconds.
const MAX_AUDIO_SECS: u64 = 600;
/// Size of the chunks the audio is streamed in.
const CHUNK: usize = 16 * 1024;

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        message.into(),
    )
        .into_response()
}

/// Read the SSML document: the audio timeout between frames, at most `MAX_SSML` bytes.
async fn read_ssml(state: &AppState, body: Body) -> Result<Vec<u8>, Response> {
    read_body(body, state.audio_timeout, MAX_SSML as u64, MAX_SSML)
        .await
        .map_err(|e| {
            closing(match e {
                BodyError::Timeout => StatusCode::REQUEST_TIMEOUT.into_response(),
                BodyError::Unreadable => text(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read",
                ),
                BodyError::TooLarge => text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The SSML document is larger than 1 MiB",
                ),
            })
        })
}

/// The synthesis endpoint.
pub(crate) async fn synthesize(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if let Err(denied) = state.auth.check_speech(headers) {
        return denied.into_response();
    }
    let is_ssml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/ssml+xml"));
    if !is_ssml {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    match headers.get(header::USER_AGENT).map(|v| v.as_bytes().len()) {
        None | Some(0) => {
            return text(StatusCode::BAD_REQUEST, "The User-Agent header is required")
        }
        Some(n) if n >= 255 => {
            return text(
                StatusCode::BAD_REQUEST,
                "The User-Agent header must be shorter than 255 characters",
            )
        }
        Some(_) => {}
    }
    let Some(name) = headers.get("x-microsoft-outputformat") else {
        return text(
            StatusCode::BAD_REQUEST,
            "The X-Microsoft-OutputFormat header is required",
        );
    };
    let name = String::from_utf8_lossy(name.as_bytes()).trim().to_owned();
    let Some(format) = formats::output_format(&name) else {
        return text(
            StatusCode::BAD_REQUEST,
            format!("Unknown X-Microsoft-OutputFormat: {name}"),
        );
    };
    if !format.supported() {
        return unsupported(format.name);
    }
    let body = match read_ssml(&state, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Ok(document) = String::from_utf8(body) else {
        return text(StatusCode::BAD_REQUEST, "The SSML document is not UTF-8");
    };
    let speak = match ssml::parse(&document) {
        Ok(speak) => speak,
        Err(e) => return text(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let mut work = Vec::with_capacity(speak.segments.len());
    for segment in speak.segments {
        let Some(voice) = voices::find(&segment.voice) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        work.push((voice, segment));
    }
    let worker = state.clone();
    let job = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Failure> {
        let mut joined = Pcm::default();
        for (voice, segment) in &work {
            let pcm = worker
                .synthesizer
                .synthesize(SynthesisInput {
                    text: &segment.text,
                    locale: voice.locale,
                    engine_voice: voice.engine_voice,
                    rate: segment.rate,
                })
                .map_err(|e| Failure::Engine(e.to_string()))?;
            if joined.sample_rate == 0 {
                joined.sample_rate = pcm.sample_rate;
            }
            let pcm = pcm.resampled(joined.sample_rate);
            joined.samples.extend_from_slice(&pcm.samples);
            let cap = (MAX_AUDIO_SECS * u64::from(joined.sample_rate)) as usize;
            if joined.samples.len() >= cap {
                joined.samples.truncate(cap);
                break;
            }
        }
        if joined.sample_rate == 0 {
            joined.sample_rate = format.sample_rate;
        }
        formats::encode(format, &joined).map_err(|e| match e {
            CodecError::Unsupported { format } => Failure::Unsupported(format),
            other => Failure::Encoding(other.to_string()),
        })
    });
    let audio = match job.await {
        Ok(Ok(audio)) => audio,
        Ok(Err(Failure::Engine(e))) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Synthesis engine failed: {e}"),
            )
        }
        Ok(Err(Failure::Unsupported(format))) => return unsupported(&format),
        Ok(Err(Failure::Encoding(e))) => return text(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "Synthesis failed"),
    };
    let audio = Bytes::from(audio);
    let chunks: Vec<Result<Bytes, io::Error>> = (0..audio.len())
        .step_by(CHUNK)
        .map(|at| Ok(audio.slice(at..(at + CHUNK).min(audio.len()))))
        .collect();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        )],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response()
}

/// Why the blocking synthesis job produced no audio.
enum Failure {
    Engine(String),
    Unsupported(String),
    Encoding(String),
}

fn unsupported(format: &str) -> Response {
    text(
        StatusCode::BAD_REQUEST,
        format!("The output format {format} is not supported by this emulator"),
    )
}
