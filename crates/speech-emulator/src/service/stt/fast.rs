//! `POST /speechtotext/transcriptions:transcribe?api-version=…`: fast transcription, written from the protocol
//! notes (`api-spec-fast-and-streaming.md`, part A).
//!
//! Steps, in order; the first failing one answers:
//! 1. the endpoint is switched off (`EmulatorBuilder::fast_transcription(false)`, a region without it) →
//!    `404 {"error":{"code":"NotFound",…}}` (the service's answer there is not documented; this is the
//!    emulator's choice, and what the CLI's fallback recognizes);
//! 2. credentials: the key (`Ocp-Apim-Subscription-Key`), or `Authorization: Bearer <Entra token>` (plain, not
//!    `aad#…`) when an Entra resource id is configured → else `401`/`403`. A token issued for a key is
//!    refused: the service does not document taking one here;
//! 3. `api-version`: `2024-11-15` or `2025-10-15` → else `400` (`InvalidRequest`);
//! 4. `Content-Type: multipart/form-data; boundary=…` → else `415` (`UnsupportedMediaType`);
//! 5. the body, at most 300 MB (a setting) → else `413`; read with the audio timeout between bytes;
//! 6. the form, parsed strictly ([`super::multipart`]): only the parts `definition` (optional; JSON, with or
//!    without a part `Content-Type`) and `audio` (required; any part headers), in any order → else `400`;
//! 7. the definition's fields and rules (below) → else `400` (`InvalidArgument`, with an inner code);
//! 8. the audio: WAV, MP3, FLAC, Ogg (Vorbis, Opus), decoded by `speech-audio` → else `400`; longer than
//!    2 hours → `400`;
//! 9. recognition, phrase by phrase: the audio is cut at pauses by `speech-audio`'s segmenter (a voice-activity
//!    detector) and each piece goes to the recognizer in the file's locale.
//!
//! Error bodies take the shape of the version asked for: `{"error":{"code","message","innererror"}}`
//! (Azure.Core, the 2025-10-15 TypeSpec) or the older top-level `{"code","message","innerError"}`.
//!
//! # The definition
//!
//! Known fields: `locales` (locale strings the recognizer speaks; none or several: the recognizer's own
//! language identification picks one for the whole file among them), `diarization` (`enabled`, `maxSpeakers`
//! 2–35), `channels` (0 and/or 1, once each; not with diarization over two channels), `profanityFilterMode`
//! (`None`, `Masked`, `Removed`, `Tags`), `models` (locale → URI; accepted and not used: the emulator has no
//! custom models), `phraseList` (`{"phrases":[…]}`, 2025-10-15 only; accepted, not used). Any other field is
//! refused, so that a misspelt one does not pass silently; `audioUrl` and `enhancedMode` are refused with a
//! message saying the emulator does not offer them.
//!
//! # Approximations
//!
//! - **Word timings**: the recognizer gives none, so a phrase's time is spread over its words by their length
//!   in characters.
//! - **Diarization**: each phrase's median pitch (autocorrelation on voiced frames) is taken; phrases are
//!   grouped where the sorted pitches leave a gap of more than a third of an octave, into at most
//!   `maxSpeakers` groups, numbered from 0 in order of first appearance. This tells apart voices of clearly
//!   different pitch (a man and a woman), not two similar voices.
//! - **Channels**: the emulator mixes channels; `channels` with a mono file is accepted (channel 0), with a
//!   file of several channels it is refused with a message saying so.
//! - `Tags` profanity mode keeps the words as they are (no tags).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};
use speech_audio::decode::Decoder;
use speech_audio::segment::Segmenter;

use super::multipart;
use crate::engine::{Preceding, RecognitionInput, Transcript, FOLLOWING_SAMPLES};
use crate::service::common::body::{closing, read_body, BodyError};
use crate::service::common::{early, is_locale, query_pairs};
use crate::state::AppState;
use crate::text::{self, Profanity};

/// The API versions served.
const VERSIONS: [&str; 2] = ["2024-11-15", "2025-10-15"];

/// The longest audio taken.
const MAX_AUDIO_SECONDS: u64 = 2 * 60 * 60;

/// Samples per second of the recognition.
const RATE: u32 = 16_000;

/// Which error shape to answer in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{"error":{…}}` (2025-10-15).
    AzureCore,
    /// Top-level `{"code","message","innerError"}` (2024-11-15 and earlier).
    Legacy,
}

fn error(status: StatusCode, shape: Shape, code: &str, inner: &str, message: &str) -> Response {
    let body = match shape {
        Shape::AzureCore => json!({"error": {"code": code, "message": message,
                                             "innererror": {"code": inner, "message": message}}}),
        Shape::Legacy => {
            json!({"code": code, "message": message, "innerError": {"code": inner, "message": message}})
        }
    };
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// What the definition asks for.
#[derive(Debug)]
struct Definition {
    locales: Vec<String>,
    max_speakers: Option<u32>,
    channels: Vec<u32>,
    profanity: Profanity,
}

/// Checks the definition JSON against the rules; the error is the message (and inner code) of the 400.
fn definition(
    json_text: &[u8],
    version: &str,
    speaks: &dyn Fn(&str) -> bool,
) -> Result<Definition, (&'static str, String)> {
    let invalid = |inner: &'static str, m: String| Err((inner, m));
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(json_text) else {
        return invalid(
            "InvalidRequestBodyFormat",
            "The definition is not a JSON object.".into(),
        );
    };
    let mut out = Definition {
        locales: Vec::new(),
        max_speakers: None,
        channels: Vec::new(),
        profanity: Profanity::Masked,
    };
    for (key, value) in &map {
        match (key.as_str(), value) {
            ("locales", Value::Array(items)) => {
                for item in items {
                    let Value::String(locale) = item else {
                        return invalid("InvalidParameter", "locales must hold strings.".into());
                    };
                    if !is_locale(locale) || !speaks(locale) {
                        return invalid(
                            "InvalidLocale",
                            format!("The locale '{locale}' is not supported."),
                        );
                    }
                    out.locales.push(locale.clone());
                }
            }
            ("diarization", Value::Object(d)) => {
                let mut enabled = true;
                let mut max = None;
                for (k, v) in d {
                    match (k.as_str(), v) {
                        ("enabled", Value::Bool(b)) => enabled = *b,
                        ("maxSpeakers", Value::Number(n)) => {
                            match n.as_u64().filter(|n| (2..=35).contains(n)) {
                                Some(n) => max = Some(n as u32),
                                None => {
                                    return invalid(
                                        "InvalidParameterValue",
                                        format!("maxSpeakers must be an integer greater than 1 and less than 36, not {n}."),
                                    )
                                }
                            }
                        }
                        _ => {
                            return invalid(
                                "InvalidParameter",
                                format!("Unknown or malformed diarization field '{k}'."),
                            )
                        }
                    }
                }
                if enabled {
                    out.max_speakers = Some(max.unwrap_or(35));
                }
            }
            ("channels", Value::Array(items)) => {
                for item in items {
                    match item.as_u64() {
                        Some(c @ (0 | 1)) if !out.channels.contains(&(c as u32)) => {
                            out.channels.push(c as u32);
                        }
                        _ => {
                            return invalid(
                                "InvalidChannels",
                                "channels must list 0 and/or 1, each at most once.".into(),
                            )
                        }
                    }
                }
            }
            ("profanityFilterMode", Value::String(mode)) => {
                out.profanity = match mode.to_ascii_lowercase().as_str() {
                    "none" | "tags" => Profanity::Raw,
                    "masked" => Profanity::Masked,
                    "removed" => Profanity::Removed,
                    _ => {
                        return invalid(
                            "InvalidParameterValue",
                            format!("profanityFilterMode '{mode}' is not one of None, Masked, Removed, Tags."),
                        )
                    }
                };
            }
            ("models", Value::Object(models)) => {
                for (locale, uri) in models {
                    let ok_uri = uri.as_str().is_some_and(|u| !u.trim().is_empty());
                    if !is_locale(locale) || !ok_uri {
                        return invalid(
                            "InvalidParameter",
                            format!("models maps locales to model URIs; '{locale}' does not."),
                        );
                    }
                }
            }
            ("phraseList", Value::Object(list)) if version == "2025-10-15" => {
                let phrases_ok = list.iter().all(|(k, v)| match (k.as_str(), v) {
                    ("phrases", Value::Array(p)) => p.iter().all(Value::is_string),
                    ("biasingWeight", Value::Number(_)) => true,
                    _ => false,
                });
                if !phrases_ok {
                    return invalid(
                        "InvalidParameter",
                        "phraseList must be {\"phrases\": [strings]}.".into(),
                    );
                }
            }
            ("audioUrl" | "enhancedMode", _) => {
                return invalid(
                    "InvalidParameter",
                    format!(
                        "The emulator does not offer '{key}'; send the audio in the 'audio' part."
                    ),
                )
            }
            ("locales" | "diarization" | "channels" | "profanityFilterMode" | "models", _) => {
                return invalid(
                    "InvalidParameter",
                    format!("The definition field '{key}' has the wrong type."),
                )
            }
            _ => {
                return invalid(
                    "InvalidParameter",
                    format!("Unknown definition field '{key}' for api-version {version}."),
                )
            }
        }
    }
    if out.max_speakers.is_some() && out.channels.len() > 1 {
        return invalid(
            "InvalidChannels",
            "Diarization is not supported for more than one channel.".into(),
        );
    }
    Ok(out)
}

/// Steps 1 to 4, before any body byte is read: the version, the error shape and the `Content-Type`, or the
/// answer.
#[allow(clippy::result_large_err)] // once per request; not worth a box
fn check_request(
    state: &AppState,
    parts: &http::request::Parts,
) -> Result<(String, Shape, String), Response> {
    let version = query_pairs(parts.uri.query().unwrap_or(""))
        .into_iter()
        .rev()
        .find(|(n, _)| n == "api-version")
        .map(|(_, v)| v);
    let shape = if version.as_deref() == Some("2024-11-15") {
        Shape::Legacy
    } else {
        Shape::AzureCore
    };
    if !state.fast_transcription {
        return Err(error(
            StatusCode::NOT_FOUND,
            shape,
            "NotFound",
            "NotFound",
            "Fast transcription is not available for this resource in this region.",
        ));
    }
    state
        .auth
        .check_fast(&parts.headers)
        .map_err(IntoResponse::into_response)?;
    let version = match version {
        Some(v) if VERSIONS.contains(&v.as_str()) => v,
        Some(v) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                shape,
                "InvalidRequest",
                "InvalidParameterValue",
                &format!("The api-version '{v}' is not supported; use 2024-11-15 or 2025-10-15."),
            ))
        }
        None => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                shape,
                "InvalidRequest",
                "InvalidParameter",
                "The api-version query parameter is required.",
            ))
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if let Err(e) = multipart::boundary(&content_type) {
        let multipart = content_type
            .to_ascii_lowercase()
            .starts_with("multipart/form-data");
        let (status, code) = if multipart {
            (StatusCode::BAD_REQUEST, "InvalidRequest")
        } else {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType")
        };
        return Err(error(
            status,
            shape,
            code,
            "InvalidPayload",
            &format!("{e}."),
        ));
    }
    Ok((version, shape, content_type))
}

/// The endpoint.
pub(crate) async fn transcribe(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (version, shape, content_type) = match check_request(&state, &parts) {
        Ok(checked) => checked,
        Err(response) => return early(&state, &parts.headers, body, response).await,
    };
    let body = match read_body(
        body,
        state.audio_timeout,
        state.max_fast_body_bytes,
        usize::try_from(state.max_fast_body_bytes).unwrap_or(usize::MAX),
    )
    .await
    {
        Ok(body) => body,
        Err(e) => {
            return closing(match e {
                BodyError::Timeout => StatusCode::REQUEST_TIMEOUT.into_response(),
                BodyError::Unreadable => error(
                    StatusCode::BAD_REQUEST,
                    shape,
                    "InvalidRequest",
                    "InvalidPayload",
                    "The request body could not be read.",
                ),
                BodyError::TooLarge => error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    shape,
                    "InvalidRequest",
                    "InvalidPayload",
                    "The audio file is larger than 300 MB.",
                ),
            })
        }
    };
    let worker = state.clone();
    let job = move || run(&worker, &version, shape, &content_type, &body);
    match tokio::task::spawn_blocking(job).await {
        Ok(response) => response,
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            shape,
            "InternalServerError",
            "UnexpectedError",
            "Transcription failed.",
        ),
    }
}

/// Parse the form, check the definition, decode and recognize. Blocking.
fn run(state: &AppState, version: &str, shape: Shape, content_type: &str, body: &[u8]) -> Response {
    let bad = |inner: &str, message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            shape,
            "InvalidArgument",
            inner,
            message,
        )
    };
    let parts = match multipart::parse(content_type, body) {
        Ok(parts) => parts,
        Err(e) => {
            return bad(
                "InvalidPayload",
                &format!("The multipart body is malformed: {e}."),
            )
        }
    };
    if let Some(other) = parts
        .iter()
        .find(|p| p.name != "definition" && p.name != "audio")
    {
        return bad(
            "InvalidPayload",
            &format!(
                "Unknown form part '{}'; send 'definition' and 'audio'.",
                other.name
            ),
        );
    }
    let speaks = |l: &str| state.recognizer.speaks(l);
    let definition_json = parts
        .iter()
        .find(|p| p.name == "definition")
        .map_or(&b"{}"[..], |p| p.data);
    let definition = match definition(definition_json, version, &speaks) {
        Ok(d) => d,
        Err((inner, message)) => return bad(inner, &message),
    };
    let Some(audio) = parts.iter().find(|p| p.name == "audio") else {
        return bad("EmptyRequest", "The 'audio' part is missing.");
    };
    let samples = match decode(audio.data, !definition.channels.is_empty()) {
        Ok(samples) => samples,
        Err(message) => return bad("InvalidPayload", &message),
    };
    if samples.len() as u64 > MAX_AUDIO_SECONDS * u64::from(RATE) {
        return bad(
            "InvalidParameterValue",
            "The audio is longer than 120 minutes.",
        );
    }
    match transcribe_samples(state, &definition, &samples) {
        Ok(value) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            value.to_string(),
        )
            .into_response(),
        Err(message) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            shape,
            "InternalServerError",
            "UnexpectedError",
            &message,
        ),
    }
}

/// The audio at 16 kHz mono; the error is the 400's message.
fn decode(audio: &[u8], separate_channels: bool) -> Result<Vec<i16>, String> {
    let not_audio = |e: &dyn std::fmt::Display| {
        format!("The audio could not be decoded (WAV, MP3, FLAC and Ogg are supported): {e}.")
    };
    let mut decoder =
        Decoder::open(std::io::Cursor::new(audio.to_vec()), None).map_err(|e| not_audio(&e))?;
    if separate_channels && decoder.info().channels > 1 {
        return Err(
            "The emulator mixes channels and cannot transcribe them separately; omit 'channels'."
                .into(),
        );
    }
    let mut samples = Vec::new();
    while let Some(chunk) = decoder.next_chunk().map_err(|e| not_audio(&e))? {
        samples.extend(chunk);
        if samples.len() as u64 > (MAX_AUDIO_SECONDS + 1) * u64::from(RATE) {
            break;
        }
    }
    Ok(samples)
}

/// The file's locale: the only candidate, or the recognizer's identification among the candidates (or among
/// all when there are none).
fn locale_of(state: &AppState, candidates: &[String], speech: &[i16]) -> String {
    if let [only] = candidates {
        return only.clone();
    }
    let detected = state.recognizer.detect_language(speech).unwrap_or_default();
    let primary = |l: &str| l.split('-').next().unwrap_or("").to_ascii_lowercase();
    if !candidates.is_empty() {
        return detected
            .iter()
            .find_map(|(code, _)| candidates.iter().find(|c| primary(c) == *code))
            .unwrap_or(&candidates[0])
            .clone();
    }
    detected
        .first()
        .map_or("en-US", |(code, _)| major_locale(code))
        .to_owned()
}

/// The locale the service reports for a language (its "major locale").
fn major_locale(code: &str) -> &'static str {
    match code {
        "de" => "de-DE",
        "fr" => "fr-FR",
        "es" => "es-ES",
        "it" => "it-IT",
        "pt" => "pt-BR",
        "nl" => "nl-NL",
        "ja" => "ja-JP",
        "zh" => "zh-CN",
        "ko" => "ko-KR",
        "hi" => "hi-IN",
        "ru" => "ru-RU",
        "pl" => "pl-PL",
        "sv" => "sv-SE",
        "tr" => "tr-TR",
        "ar" => "ar-SA",
        _ => "en-US",
    }
}

/// Cut, recognize, time the words, tell the speakers apart.
fn transcribe_samples(
    state: &AppState,
    definition: &Definition,
    samples: &[i16],
) -> Result<Value, String> {
    let mut segmenter = Segmenter::new();
    let mut segments = Vec::new();
    for chunk in samples.chunks(16_000) {
        segmenter.push(chunk);
        while let Some(s) = segmenter.pop() {
            segments.push(s);
        }
    }
    segments.extend(segmenter.finish());
    let speech: Vec<i16> = segments
        .iter()
        .flat_map(|s| s.samples.iter().copied())
        .take(30 * RATE as usize)
        .collect();
    let locale = locale_of(state, &definition.locales, &speech);
    let mut phrases: Vec<(u64, u64, String, f64, Option<f64>)> = Vec::new();
    // Each phrase is heard after the one before it (from its start to the new phrase's, the pause included), as
    // one decode of the whole file would hear it.
    let mut previous: Option<(u64, String)> = None;
    for (i, segment) in segments.iter().enumerate() {
        // The start of the pause after the phrase, as heard (never into the next phrase).
        let following_end = (segment.end() as usize + FOLLOWING_SAMPLES).min(
            segments
                .get(i + 1)
                .map_or(samples.len(), |s| s.start as usize),
        );
        let transcript = state
            .recognizer
            .recognize(RecognitionInput {
                audio: &segment.samples,
                sample_rate: RATE,
                language: &locale,
                previous: previous.as_ref().map(|(start, text)| Preceding {
                    audio: samples
                        .get(*start as usize..segment.start as usize)
                        .unwrap_or_default(),
                    text,
                }),
                following: samples
                    .get(segment.end() as usize..following_end)
                    .unwrap_or_default(),
                draft: false,
            })
            .map_err(|e| format!("Recognition engine failed: {e}"))?;
        let Transcript::Text { text, confidence } = transcript else {
            continue;
        };
        if !text.trim().is_empty() {
            previous = Some((segment.start, text.clone()));
        }
        let display = text::derive_forms_in(&text, &locale, definition.profanity).display;
        if display.trim().is_empty() {
            continue;
        }
        let offset_ms = segment.start * 1000 / u64::from(RATE);
        let duration_ms = segment.samples.len() as u64 * 1000 / u64::from(RATE);
        let pitch = definition
            .max_speakers
            .and_then(|_| median_pitch(&segment.samples));
        phrases.push((offset_ms, duration_ms, display, confidence, pitch));
    }
    let speakers = definition.max_speakers.map(|max| {
        let pitches: Vec<Option<f64>> = phrases.iter().map(|p| p.4).collect();
        speakers_by_pitch(&pitches, max as usize)
    });
    let channel = (!definition.channels.is_empty()).then_some(0);
    let mut out = Vec::new();
    for (i, (offset, duration, text, confidence, _)) in phrases.iter().enumerate() {
        let mut phrase = Map::new();
        if let Some(c) = channel {
            phrase.insert("channel".into(), json!(c));
        }
        if let Some(speakers) = &speakers {
            phrase.insert("speaker".into(), json!(speakers[i]));
        }
        phrase.insert("offsetMilliseconds".into(), json!(offset));
        phrase.insert("durationMilliseconds".into(), json!(duration));
        phrase.insert("text".into(), json!(text));
        phrase.insert("words".into(), words(text, *offset, *duration));
        phrase.insert("locale".into(), json!(locale));
        let confidence = if confidence.is_finite() {
            confidence.clamp(0.0, 1.0)
        } else {
            0.0
        };
        phrase.insert("confidence".into(), json!(confidence));
        out.push(Value::Object(phrase));
    }
    let combined_text = phrases
        .iter()
        .map(|p| p.2.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut combined = Map::new();
    if let Some(c) = channel {
        combined.insert("channel".into(), json!(c));
    }
    combined.insert("text".into(), json!(combined_text));
    Ok(json!({
        "durationMilliseconds": samples.len() as u64 * 1000 / u64::from(RATE),
        "combinedPhrases": [Value::Object(combined)],
        "phrases": out,
    }))
}

/// A phrase's words, its time spread over them by their length in characters (the recognizer gives no word
/// timings).
fn words(text: &str, offset_ms: u64, duration_ms: u64) -> Value {
    let words: Vec<&str> = text.split_whitespace().collect();
    let total: u64 = words
        .iter()
        .map(|w| w.chars().count() as u64)
        .sum::<u64>()
        .max(1);
    let mut at = 0u64;
    let mut out = Vec::new();
    for w in words {
        let len = w.chars().count() as u64;
        let start = offset_ms + at * duration_ms / total;
        at += len;
        let end = offset_ms + at * duration_ms / total;
        out.push(
            json!({"text": w, "offsetMilliseconds": start, "durationMilliseconds": end - start}),
        );
    }
    Value::Array(out)
}

/// The median pitch of the voiced frames of 16 kHz speech, in Hz (autocorrelation at 8 kHz, 40 ms frames;
/// 60–400 Hz). `None` when no frame is clearly voiced.
fn median_pitch(samples: &[i16]) -> Option<f64> {
    let x: Vec<f64> = samples
        .chunks_exact(2)
        .map(|p| (f64::from(p[0]) + f64::from(p[1])) / 2.0)
        .collect();
    const FRAME: usize = 320;
    const MIN_LAG: usize = 20; // 400 Hz at 8 kHz
    const MAX_LAG: usize = 134; // 60 Hz
    let mut pitches = Vec::new();
    let mut start = 0;
    while start + FRAME + MAX_LAG <= x.len() {
        let frame = &x[start..start + FRAME + MAX_LAG];
        let energy: f64 = frame[..FRAME].iter().map(|v| v * v).sum();
        if energy / FRAME as f64 > 500.0 * 500.0 {
            let mut best = (0.0, 0);
            for lag in MIN_LAG..=MAX_LAG {
                let mut dot = 0.0;
                let mut e2 = 0.0;
                for i in 0..FRAME {
                    dot += frame[i] * frame[i + lag];
                    e2 += frame[i + lag] * frame[i + lag];
                }
                let r = dot / (energy * e2).sqrt().max(1.0);
                if r > best.0 {
                    best = (r, lag);
                }
            }
            if best.0 > 0.6 {
                pitches.push(8_000.0 / best.1 as f64);
            }
        }
        start += FRAME;
    }
    if pitches.len() < 3 {
        return None;
    }
    pitches.sort_by(f64::total_cmp);
    Some(pitches[pitches.len() / 2])
}

/// Speaker numbers for phrases by their pitch: groups split where the sorted log-pitches leave a gap of more
/// than a third of an octave (at most `max` groups: the largest gaps), numbered in order of first appearance.
/// A phrase without a pitch joins the speaker of the phrase before it.
fn speakers_by_pitch(pitches: &[Option<f64>], max: usize) -> Vec<u32> {
    let mut logs: Vec<f64> = pitches.iter().flatten().map(|p| p.log2()).collect();
    logs.sort_by(f64::total_cmp);
    let mut gaps: Vec<(f64, f64)> = logs
        .windows(2)
        .map(|w| (w[1] - w[0], (w[0] + w[1]) / 2.0))
        .filter(|(gap, _)| *gap > 1.0 / 3.0)
        .collect();
    gaps.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut cuts: Vec<f64> = gaps
        .iter()
        .take(max.saturating_sub(1))
        .map(|g| g.1)
        .collect();
    cuts.sort_by(f64::total_cmp);
    let mut numbers: Vec<Option<u32>> = vec![None; cuts.len() + 1];
    let mut next = 0u32;
    let mut last = 0u32;
    pitches
        .iter()
        .map(|p| {
            let Some(p) = p else {
                return last;
            };
            let group = cuts.iter().filter(|c| p.log2() > **c).count();
            let number = *numbers[group].get_or_insert_with(|| {
                next += 1;
                next - 1
            });
            last = number;
            number
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(json: &str, version: &str) -> Result<Definition, (&'static str, String)> {
        definition(json.as_bytes(), version, &|l| l != "xx-XX")
    }

    #[test]
    fn definitions_as_documented_and_as_microsofts_client_writes_them() {
        for ok in [
            r#"{"locales":["en-US"]}"#,
            r#"{"locales":["en-US","ja-JP"]}"#,
            r#"{"locales":[]}"#,
            r#"{"locales":["en-US"],"diarization":{"maxSpeakers":2,"enabled":true}}"#,
            r#"{"diarization":{"maxSpeakers":2}}"#,
            r#"{"locales":["en-US"],"channels":[0,1]}"#,
            r#"{"locales":["en-US"],"phraseList":{"phrases":["Contoso","Jessie","Rehaan"]}}"#,
            r#"{"profanityFilterMode":"Removed","models":{"en-US":"https://x/models/1"}}"#,
            "{}",
        ] {
            assert!(def(ok, "2025-10-15").is_ok(), "{ok}");
        }
        let d = def(r#"{"diarization":{"maxSpeakers":3}}"#, "2025-10-15").unwrap();
        assert_eq!(d.max_speakers, Some(3));
        for bad in [
            r#"{"locales":["xx-XX"]}"#,
            r#"{"locales":"en-US"}"#,
            r#"{"diarization":{"maxSpeakers":1}}"#,
            r#"{"diarization":{"maxSpeakers":36}}"#,
            r#"{"diarization":{"maxSpeakers":2},"channels":[0,1]}"#,
            r#"{"channels":[2]}"#,
            r#"{"channels":[0,0]}"#,
            r#"{"profanityFilterMode":"Hidden"}"#,
            r#"{"Locales":["en-US"]}"#,
            r#"{"audioUrl":"https://example.com/a.wav"}"#,
            "[]",
            "not json",
        ] {
            assert!(def(bad, "2025-10-15").is_err(), "{bad}");
        }
        assert!(def(r#"{"phraseList":{"phrases":["a"]}}"#, "2024-11-15").is_err());
    }

    #[test]
    fn words_share_the_phrase_time_by_length() {
        let w = words("Hi there.", 1_000, 900);
        assert_eq!(
            w,
            json!([{"text": "Hi", "offsetMilliseconds": 1000, "durationMilliseconds": 225},
                   {"text": "there.", "offsetMilliseconds": 1225, "durationMilliseconds": 675}])
        );
    }

    #[test]
    fn pitch_of_a_pulse_train_and_speakers_by_pitch() {
        let pulses = |hz: f64| -> Vec<i16> {
            (0..16_000)
                .map(|i| {
                    let t = i as f64 / 16_000.0;
                    let phase = (t * hz).fract();
                    (8_000.0
                        * (-phase * 8.0).exp()
                        * (2.0 * std::f64::consts::PI * 3.0 * phase).sin())
                        as i16
                })
                .collect()
        };
        let low = median_pitch(&pulses(110.0)).unwrap();
        let high = median_pitch(&pulses(190.0)).unwrap();
        assert!((low - 110.0).abs() < 6.0, "{low}");
        assert!((high - 190.0).abs() < 10.0, "{high}");
        assert_eq!(median_pitch(&[0; 16_000]), None);
        let pitches = [
            Some(190.0),
            Some(112.0),
            None,
            Some(185.0),
            Some(105.0),
            Some(200.0),
        ];
        assert_eq!(speakers_by_pitch(&pitches, 2), vec![0, 1, 1, 0, 1, 0]);
        assert_eq!(speakers_by_pitch(&pitches, 35), vec![0, 1, 1, 0, 1, 0]);
        // One voice: one speaker.
        assert_eq!(
            speakers_by_pitch(&[Some(120.0), Some(130.0), Some(115.0)], 2),
            vec![0, 0, 0]
        );
    }
}
