//! `POST /speech/recognition/{mode}/cognitiveservices/v1` (and `/stt/…`): speech-to-text for short audio.
//!
//! Steps, in order; the first failing one answers:
//! 1. credentials (see `auth`): 401 / 403;
//! 2. query: `language` must be present and look like a locale (`en-US`), `cid` (when present) like an
//!    endpoint id (letters, digits, `-`; at most 64) → else `400 {"Message":"Invalid CID or language"}`;
//!    a language the recognizer cannot speak (`Recognizer::speaks`) is answered the same way, as the service
//!    answers an unsupported locale;
//!    `format` must be `simple`/`detailed` and `profanity` `masked`/`removed`/`raw` (case-insensitive) →
//!    else `400 {"Message":"Invalid …"}`;
//! 3. `Content-Type` must declare WAV/PCM (`audio/wav`, optional `codecs=audio/pcm`, optional
//!    `samplerate=16000`) or Ogg/Opus (`audio/ogg`, optional `codecs=opus`) → else
//!    `400 {"Message":"Unsupported audio format"}`;
//! 4. a `Pronunciation-Assessment` header must decode → else `400 {"Message":"Invalid Pronunciation-Assessment header: …"}`;
//! 5. only now is the body read (so `Expect: 100-continue` is answered only for requests that passed the
//!    checks). No body bytes for the audio timeout (before the first one or between two) → `408` with an
//!    empty body; more than the body cap → `413`;
//! 6. the audio is decoded: not audio at all → `400 {"Message":"Unsupported audio format"}`; audio of
//!    another codec than declared, or WAV that is not 16 kHz mono 16-bit → what the service hears is not
//!    speech: `InitialSilenceTimeout`;
//! 7. only the first 60 s (30 s with pronunciation assessment) are heard;
//! 8. `speech-audio`'s segmenter (its voice-activity detector, the one every path uses) finds the speech
//!    ([`hear`]); silence, or speech that starts later than the mode's initial-silence timeout →
//!    `InitialSilenceTimeout`; sound that is not speech (noise) → `BabbleTimeout`;
//! 9. the recognizer gets the speech with [`CONTEXT_MS`] of the audio around it on each side (the detector
//!    decides per 16 ms frame and marks soft onsets such as a /k/ burst or an /f/ late, and Whisper needs them
//!    to hear the first word; `Offset`/`Duration` stay the detector's); its answer becomes `Success` (text forms from
//!    `text::derive_forms_in`, in the request's language), `NoMatch` or `BabbleTimeout`; a failing engine → `500 {"Message":…}`.
//!
//! `Offset`/`Duration` are 100-ns ticks. On `InitialSilenceTimeout` and `BabbleTimeout`, `Offset` is how far
//! the service listened (the timeout, or the whole audio when shorter) and `Duration` is 0. For audio of the
//! wrong codec the length is estimated from the body size as 16 kHz 16-bit PCM.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use speech_audio::segment::{EarshotVad, Segmenter, SegmenterConfig, FRAME};

use super::pron::{self, PronParams};
use super::upload::{self, DeclaredAudio, Upload};
use crate::engine::{RecognitionInput, Transcript};
use crate::service::common::body::{closing, read_body, BodyError};
use crate::service::common::{early, is_locale, message, not_found, query_pairs};
use crate::state::{AppState, RecognitionMode};
use crate::text::{self, Profanity};

/// At most this many body bytes are kept for decoding (over 4 minutes of 16 kHz 16-bit audio); the rest
/// is read and dropped, since only the first 60 s are heard anyway.
const KEEP_BYTES: usize = 8 * 1024 * 1024;
/// Audio heard per request, in seconds.
const MAX_AUDIO_SECS: u32 = 60;
/// Audio heard per request with pronunciation assessment, in seconds.
const MAX_AUDIO_SECS_PRON: u32 = 30;
/// The recognition sample rate.
const RATE: u32 = 16_000;

/// How much of the audio around the detected speech the recognizer also hears, in milliseconds on each side.
/// Measured with Whisper base: with none, the first word of two of 18 German/French/Spanish sentences was lost
/// ("Kannst" → "Anst", "Quisiera" → "Y si era"), which faster-whisper, given the whole clip, hears; with 500 ms,
/// 1 s or the whole clip the answers equal faster-whisper's on those sentences and on the 118 words of recorded
/// English (250 ms lost one of those). Flite's English lost one word more per hundred with any context than
/// with none (2/101 against 1/101, 2/129 against 0/129), within the tests' bounds.
const CONTEXT_MS: u32 = 500;

const INVALID_CID_OR_LANGUAGE: &str = "Invalid CID or language";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Simple,
    Detailed,
}

#[derive(Clone, Debug)]
struct Params {
    language: String,
    format: OutputFormat,
    profanity: Profanity,
}

fn is_endpoint_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The checked query; the error is the message of the 400 answer.
fn params(query: Option<&str>) -> Result<Params, &'static str> {
    let pairs = query_pairs(query.unwrap_or(""));
    // The last occurrence of a parameter wins.
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let invalid = || INVALID_CID_OR_LANGUAGE;
    let language = match get("language") {
        Some(l) if is_locale(l) => l.to_owned(),
        _ => return Err(invalid()),
    };
    match get("cid") {
        None | Some("") => {}
        Some(cid) if is_endpoint_id(cid) => {}
        Some(_) => return Err(invalid()),
    }
    let format = match get("format") {
        None => OutputFormat::Simple,
        Some(f) if f.eq_ignore_ascii_case("simple") => OutputFormat::Simple,
        Some(f) if f.eq_ignore_ascii_case("detailed") => OutputFormat::Detailed,
        Some(_) => return Err("Invalid format: use simple or detailed"),
    };
    let profanity = match get("profanity") {
        None => Profanity::Masked,
        Some(p) => {
            Profanity::parse(p).ok_or("Invalid profanity option: use masked, removed or raw")?
        }
    };
    Ok(Params {
        language,
        format,
        profanity,
    })
}

/// The audio the `Content-Type` declares, or `None` when it declares nothing the service takes: the codec
/// variants are `upload::DeclaredAudio::from_content_type`'s; a `samplerate` parameter other than 16000 is
/// refused too.
fn declared_audio(headers: &HeaderMap) -> Option<DeclaredAudio> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let other_rate = value.split(';').skip(1).any(|param| {
        param.split_once('=').is_some_and(|(name, rate)| {
            name.trim().eq_ignore_ascii_case("samplerate")
                && rate.trim().trim_matches('"') != "16000"
        })
    });
    if other_rate {
        return None;
    }
    DeclaredAudio::from_content_type(value)
}

/// Read the audio: the audio timeout between frames, the body cap, the first `KEEP_BYTES` kept.
async fn read_audio(state: &AppState, body: Body) -> Result<Vec<u8>, Response> {
    read_body(body, state.audio_timeout, state.max_body_bytes, KEEP_BYTES)
        .await
        .map_err(|e| {
            closing(match e {
                BodyError::Timeout => StatusCode::REQUEST_TIMEOUT.into_response(),
                BodyError::Unreadable => message(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read",
                ),
                BodyError::TooLarge => message(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The request body is too large",
                ),
            })
        })
}

/// Steps 1 to 4: the credential, the query, the declared audio and the pronunciation header, checked before any
/// body byte is read. The error is the answer itself (once per request; not worth a box).
#[allow(clippy::result_large_err)]
fn check_request(
    auth: &crate::auth::Authority,
    recognizer: &dyn crate::engine::Recognizer,
    parts: &http::request::Parts,
) -> Result<(Params, DeclaredAudio, Option<PronParams>), Response> {
    if let Err(denied) = auth.check_speech(&parts.headers) {
        return Err(denied.into_response());
    }
    let params = match params(parts.uri.query()) {
        Ok(p) if !recognizer.speaks(&p.language) => {
            return Err(message(StatusCode::BAD_REQUEST, INVALID_CID_OR_LANGUAGE))
        }
        Ok(p) => p,
        Err(reason) => return Err(message(StatusCode::BAD_REQUEST, reason)),
    };
    let Some(declared) = declared_audio(&parts.headers) else {
        return Err(message(StatusCode::BAD_REQUEST, "Unsupported audio format"));
    };
    let pron = match parts.headers.get("pronunciation-assessment") {
        None => None,
        Some(value) => match pron::parse_header(value.as_bytes()) {
            Ok(p) => Some(p),
            Err(reason) => {
                return Err(message(
                    StatusCode::BAD_REQUEST,
                    &format!("Invalid Pronunciation-Assessment header: {reason}"),
                ))
            }
        },
    };
    Ok((params, declared, pron))
}

/// The speech-to-text endpoint.
pub(crate) async fn recognize(
    State(state): State<Arc<AppState>>,
    Path(mode): Path<String>,
    request: Request,
) -> Response {
    let Some(mode) = RecognitionMode::from_path(&mode) else {
        return not_found().await;
    };
    let (parts, body) = request.into_parts();
    let checked = check_request(&state.auth, state.recognizer.as_ref(), &parts);
    let (params, declared, pron) = match checked {
        Ok(checked) => checked,
        Err(response) => return early(&state, &parts.headers, body, response).await,
    };
    let audio = match read_audio(&state, body).await {
        Ok(audio) => audio,
        Err(response) => return response,
    };
    let timeout_ticks = state.initial_silence[mode.index()].as_nanos() / 100;
    let job = Job {
        params,
        pron,
        declared,
        timeout_ticks: u64::try_from(timeout_ticks).unwrap_or(u64::MAX),
    };
    let worker = state.clone();
    match tokio::task::spawn_blocking(move || job.run(&worker, &audio)).await {
        Ok(response) => response,
        Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Recognition failed"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecognitionResult {
    recognition_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_text: Option<String>,
    offset: u64,
    duration: u64,
    #[serde(rename = "NBest", skip_serializing_if = "Option::is_none")]
    n_best: Option<Vec<NBest>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NBest {
    confidence: f64,
    lexical: String,
    #[serde(rename = "ITN")]
    itn: String,
    #[serde(rename = "MaskedITN")]
    masked_itn: String,
    display: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    accuracy_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fluency_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completeness_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pron_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prosody_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    words: Option<Vec<pron::WordScore>>,
}

fn result(status: &'static str, offset: u64, duration: u64) -> RecognitionResult {
    RecognitionResult {
        recognition_status: status,
        display_text: None,
        offset,
        duration,
        n_best: None,
    }
}

fn json(result: &RecognitionResult) -> Response {
    match serde_json::to_string(result) {
        Ok(body) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Recognition failed"),
    }
}

struct Job {
    params: Params,
    pron: Option<PronParams>,
    declared: DeclaredAudio,
    timeout_ticks: u64,
}

impl Job {
    /// Decode, cut, detect, recognize. Blocking.
    fn run(self, state: &AppState, body: &[u8]) -> Response {
        let upload = match upload::decode_upload(self.declared, body) {
            Ok(upload) => upload,
            Err(_) => return message(StatusCode::BAD_REQUEST, "Unsupported audio format"),
        };
        let pcm = match upload {
            Upload::Audio(pcm) => pcm,
            Upload::Misheard { .. } => {
                let heard = ticks(body.len() / 2, RATE);
                return json(&result(
                    "InitialSilenceTimeout",
                    heard.min(self.timeout_ticks),
                    0,
                ));
            }
        };
        let limit = if self.pron.is_some() {
            MAX_AUDIO_SECS_PRON
        } else {
            MAX_AUDIO_SECS
        };
        let rate = if pcm.sample_rate == 0 {
            RATE
        } else {
            pcm.sample_rate
        };
        let keep = pcm.samples.len().min((limit * rate) as usize);
        let samples = &pcm.samples[..keep];
        let listened = ticks(samples.len(), rate).min(self.timeout_ticks);
        let (start, end, pause_ratio) = match hear(samples) {
            Heard::Silence => return json(&result("InitialSilenceTimeout", listened, 0)),
            Heard::Noise { start } => {
                let status = if ticks(start, rate) > self.timeout_ticks {
                    "InitialSilenceTimeout"
                } else {
                    "BabbleTimeout"
                };
                return json(&result(status, listened, 0));
            }
            Heard::Speech {
                start,
                end,
                pause_ratio,
            } => (start, end, pause_ratio),
        };
        let offset = ticks(start, rate);
        if offset > self.timeout_ticks {
            return json(&result("InitialSilenceTimeout", self.timeout_ticks, 0));
        }
        let duration = ticks(end - start, rate);
        // ok: at most 500 ms of samples at any u32 rate fits in usize.
        let context = (u64::from(CONTEXT_MS) * u64::from(rate) / 1000) as usize;
        let heard = start.saturating_sub(context)..end.saturating_add(context).min(samples.len());
        let transcript = state.recognizer.recognize(RecognitionInput {
            audio: &samples[heard],
            sample_rate: rate,
            language: &self.params.language,
            previous: None,
            following: &[],
            draft: false,
        });
        let (text, confidence) = match transcript {
            Err(e) => {
                return message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("Recognition engine failed: {e}"),
                )
            }
            Ok(Transcript::NoMatch) => return json(&result("NoMatch", offset, duration)),
            Ok(Transcript::Babble) => return json(&result("BabbleTimeout", listened, 0)),
            Ok(Transcript::Text { text, confidence }) => (text, confidence),
        };
        let forms = text::derive_forms_in(&text, &self.params.language, self.params.profanity);
        if forms.display.trim().is_empty() {
            // Spec §2.2: with profanity=removed and nothing but profanity, no speech result comes back.
            return json(&result("NoMatch", offset, duration));
        }
        let mut answer = result("Success", offset, duration);
        answer.display_text = Some(forms.display.clone());
        if self.params.format == OutputFormat::Detailed {
            let assessment = self
                .pron
                .as_ref()
                .map(|p| pron::assess(p, &forms.lexical, offset, duration, pause_ratio));
            let confidence = if confidence.is_finite() {
                confidence.clamp(0.0, 1.0)
            } else {
                0.0
            };
            answer.n_best = Some(vec![NBest {
                confidence,
                lexical: forms.lexical,
                itn: forms.itn,
                masked_itn: forms.masked_itn,
                display: forms.display,
                accuracy_score: assessment.as_ref().map(|a| a.accuracy),
                fluency_score: assessment.as_ref().map(|a| a.fluency),
                completeness_score: assessment.as_ref().map(|a| a.completeness),
                pron_score: assessment.as_ref().map(|a| a.pron),
                prosody_score: assessment.as_ref().and_then(|a| a.prosody),
                words: assessment.and_then(|a| a.words),
            }]);
        }
        json(&answer)
    }
}

/// What the service hears in the audio.
#[derive(Clone, Debug, PartialEq)]
enum Heard {
    /// No sound at all.
    Silence,
    /// Sound, but no speech (noise), from sample `start` on.
    Noise {
        /// The first sample of the first loud frame.
        start: usize,
    },
    /// Speech in `start..end` (sample indices).
    Speech {
        /// The first sample of the first speech frame.
        start: usize,
        /// One past the last sample of the last speech frame.
        end: usize,
        /// The share of the stretch that is not speech, 0.0..=1.0 (pauses between words).
        pause_ratio: f64,
    },
}

/// The shortest run of speech frames that counts (48 ms): a click or a burst of noise does not.
const MIN_SPEECH_RUN: usize = 3 * FRAME;
/// The level from which a frame is sound (a quiet voice): quieter frames are neither speech nor noise.
const MIN_LEVEL_DBFS: f64 = -40.0;

/// Finds the speech in 16 kHz mono audio with `speech-audio`'s segmenter and its detector (frames below
/// [`MIN_LEVEL_DBFS`] are not speech), told to cut at every frame that is not speech and to keep no guard: the
/// segments are the runs of speech frames, exactly. Runs shorter than [`MIN_SPEECH_RUN`] are dropped; the
/// speech is the stretch from the first run left to the last. Without any, a frame at the level means noise.
fn hear(samples: &[i16]) -> Heard {
    let config = SegmenterConfig {
        min_pause: Duration::from_millis(16),
        max_segment: Duration::from_secs(u64::from(MAX_AUDIO_SECS) + 1),
        min_cut_pause: Duration::from_millis(16),
        guard: Duration::ZERO,
    };
    let vad = EarshotVad::default().with_min_level(MIN_LEVEL_DBFS);
    let mut segmenter = Segmenter::with_vad(config, vad);
    segmenter.push(samples);
    let runs: Vec<(usize, usize)> = segmenter
        .finish()
        .into_iter()
        .filter(|run| run.samples.len() >= MIN_SPEECH_RUN)
        .map(|run| (run.start as usize, run.samples.len()))
        .collect();
    match (runs.first(), runs.last()) {
        (Some(&(start, _)), Some(&(last, len))) => {
            let end = (last + len).min(samples.len());
            let speech: usize = runs.iter().map(|&(_, len)| len).sum();
            Heard::Speech {
                start,
                end,
                pause_ratio: 1.0 - speech as f64 / (end - start).max(1) as f64,
            }
        }
        _ => {
            // Noise: as long a run of frames at the level as speech needs.
            let min_rms = 32_768.0 * 10f64.powf(MIN_LEVEL_DBFS / 20.0);
            let loud: Vec<bool> = samples
                .chunks(FRAME)
                .map(|frame| {
                    let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
                    (energy / frame.len() as f64).sqrt() >= min_rms
                })
                .collect();
            let run = MIN_SPEECH_RUN / FRAME;
            match loud.windows(run).position(|w| w.iter().all(|&l| l)) {
                Some(frame) => Heard::Noise {
                    start: frame * FRAME,
                },
                None => Heard::Silence,
            }
        }
    }
}

/// Samples to 100-ns ticks.
fn ticks(samples: usize, sample_rate: u32) -> u64 {
    if sample_rate == 0 {
        return 0;
    }
    (samples as u128 * 10_000_000 / u128::from(sample_rate)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: u32 = 16_000;

    fn tone(ms: u32, hz: f64, amp: f64) -> Vec<i16> {
        let n = (SR * ms / 1000) as usize;
        (0..n)
            .map(|k| {
                (amp * (2.0 * std::f64::consts::PI * hz * k as f64 / f64::from(SR)).sin()) as i16
            })
            .collect()
    }

    fn silence(ms: u32) -> Vec<i16> {
        vec![0; (SR * ms / 1000) as usize]
    }

    /// Deterministic white-ish noise (xorshift).
    fn noise(ms: u32, amp: i16) -> Vec<i16> {
        let mut x: u32 = 0x1234_5678;
        (0..(SR * ms / 1000))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                ((x % (2 * amp as u32 + 1)) as i32 - i32::from(amp)) as i16
            })
            .collect()
    }

    #[test]
    fn silence_and_empty() {
        assert_eq!(hear(&[]), Heard::Silence);
        assert_eq!(hear(&silence(2000)), Heard::Silence);
        // A quiet hum is silence too.
        assert_eq!(hear(&tone(1000, 300.0, 200.0)), Heard::Silence);
    }

    #[test]
    fn speech_boundaries() {
        let mut audio = silence(500);
        audio.extend(tone(300, 440.0, 8000.0));
        audio.extend(silence(200));
        audio.extend(tone(300, 300.0, 8000.0));
        audio.extend(silence(700));
        match hear(&audio) {
            Heard::Speech {
                start,
                end,
                pause_ratio,
            } => {
                // Within a frame or two of the truth (the detector decides per 16 ms frame).
                assert!(start.abs_diff(8000) <= 2 * FRAME, "{start}");
                assert!(end.abs_diff(8000 + 16 * 800) <= 2 * FRAME, "{end}");
                assert!((pause_ratio - 0.25).abs() < 0.1, "{pause_ratio}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn clicks_are_ignored() {
        let mut audio = silence(500);
        audio.extend(tone(20, 440.0, 8000.0));
        audio.extend(silence(500));
        assert_eq!(hear(&audio), Heard::Silence);
    }

    #[test]
    fn noise_is_babble() {
        let mut audio = silence(100);
        audio.extend(noise(1000, 8000));
        match hear(&audio) {
            Heard::Noise { start } => assert!(start.abs_diff(1600) <= FRAME, "{start}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn ticks_math() {
        assert_eq!(ticks(16_000, 16_000), 10_000_000);
        assert_eq!(ticks(1, 0), 0);
    }

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            h.insert(header::CONTENT_TYPE, v);
        }
        h
    }

    #[test]
    fn content_types() {
        let wav = Some(DeclaredAudio::WavPcm);
        let ogg = Some(DeclaredAudio::OggOpus);
        let cases = [
            ("audio/wav; codecs=audio/pcm; samplerate=16000", wav),
            ("audio/wav", wav),
            ("Audio/WAV; codec=\"audio/pcm\"; samplerate=16000", wav),
            ("audio/x-wav;samplerate=16000", wav),
            ("audio/ogg; codecs=opus", ogg),
            ("audio/ogg", ogg),
            ("audio/wav; samplerate=44100", None),
            ("audio/wav; codecs=audio/mp3", None),
            ("audio/ogg; codecs=vorbis", None),
            ("audio/mpeg", None),
            ("application/json", None),
        ];
        for (ct, expected) in cases {
            assert_eq!(declared_audio(&headers(ct)), expected, "{ct}");
        }
        assert!(declared_audio(&HeaderMap::new()).is_none());
    }

    #[test]
    fn query_parsing() {
        assert!(params(Some("language=en-US")).is_ok());
        assert!(params(Some("language=zh-Hans-CN&format=Detailed&profanity=RAW")).is_ok());
        assert!(params(None).is_err());
        assert!(params(Some("language=")).is_err());
        assert!(params(Some("language=english")).is_err());
        assert!(params(Some("language=en-US&format=verbose")).is_err());
        assert!(params(Some("language=en-US&profanity=hidden")).is_err());
        assert!(params(Some("language=en-US&cid=not%20an%20id")).is_err());
        assert!(params(Some(
            "language=en-US&cid=0f4a2e71-1b3c-4e3f-9d5a-2c6b7a8e9f01"
        ))
        .is_ok());
        assert!(params(Some("LANGUAGE=de-DE&cid=")).is_ok());
        let p = params(Some("language=en-US&format=detailed&profanity=removed"))
            .unwrap_or_else(|_| panic!("valid query"));
        assert_eq!(p.format, OutputFormat::Detailed);
        assert_eq!(p.profanity, Profanity::Removed);
    }
}
