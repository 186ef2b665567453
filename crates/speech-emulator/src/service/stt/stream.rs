//! Streaming recognition over WebSocket, written from the protocol description (spec part B) alone.
//!
//! Paths: `/speech/universal/v2` and `/speech/recognition/{interactive,conversation,dictation}/cognitiveservices/v1`,
//! each also under `/stt` (custom domains).
//!
//! **Handshake** (B.1–B.3): the credential as on the REST endpoints (`Ocp-Apim-Subscription-Key`, an STS bearer,
//! an Entra bearer), then `X-ConnectionId` (header, or the `X-ConnectionId`/`connectionId` query the JavaScript SDK
//! mirrors it in): 32 hex digits, dashes allowed, else `400`; `language` (required on v1 paths, optional on v2
//! where `speech.context` may carry it): a locale the engine speaks, else `400`. The `USP` subprotocol is agreed
//! when asked for.
//!
//! **Messages** (B.4–B.5), checked strictly: text frames need the blank line after their headers (else close 1007
//! "Text message contains no header separator."), `Path` (1002 "Missing/Empty header. Path"), and an `X-RequestId`
//! of 32 hex digits without dashes (1002), except `speech.config`, which may come without one; a request id whose
//! turn has ended may not come back (1002 "Invalid request. Reuse of request identifiers is not allowed.").
//! Binary frames need a header length that fits (1007 "Binary message has invalid header size prefix."), ASCII
//! headers (1007), `Path: audio` and the turn's request id. A turn's first audio is a RIFF header of 16-bit PCM at
//! 16 kHz mono (1007 "Unsupported audio format." otherwise); an empty audio message ends the turn's audio.
//! `speech.context` must be a JSON object (1007 "Could not deserialize speech context"). Unknown paths are ignored.
//!
//! **Answers** (B.6–B.8), per turn: `turn.start`; `speech.startDetected` when the voice-activity detector hears
//! speech; `speech.hypothesis` from the real engine on the growing utterance (at 0.5 s, then every 0.8 s of new audio,
//! as fast as the engine keeps up);
//! `speech.phrase` at each end of utterance (a pause of 500 ms); with no speech in the first
//! `InitialSilenceTimeout` of audio, a phrase with that status; at the end of audio, the last phrases,
//! `speech.endDetected` and `turn.end`. Interactive mode ends the turn after its first phrase. Offsets are from the
//! start of the turn's audio, in 100-ns ticks. The connection stays open for further turns.
//!
//! **Translation** (spec part 2): a turn whose `speech.context` has a `translation` section
//! (`targetLanguages`), or any turn on `/speech/translation/cognitiveservices/v1` (targets in `to`, repeated or
//! comma-joined; the spoken language in `from`), is translated. Each phrase comes as one message with its
//! translations: V2 `translation.response` with a `SpeechPhrase` and top-level `TranslationStatus` and
//! `Translations`; V1 `translation.phrase` with a `Translation` object. No hypotheses are sent. The offline engine
//! translates into English only (Whisper's translate task): an English target gets the translation of the audio;
//! any other target makes the phrase's `TranslationStatus` `Error`, its `FailureReason` naming the pair ("…
//! offline translation is into English only"), with the English texts still given.
//!
//! **Lifetime**: the connection is closed (1000) after the configured lifetime (10 minutes by default) and after
//! the idle timeout (180 s without a message).
//!
//! **Faults** (`Faults::drop_next_streams`, `Faults::close_next_streams`): a connection dropped without a close
//! frame mid-turn, or closed with a given code and reason (e.g. throttling: 4429, or 1007 "Throttled due to too
//! many requests") at its first audio.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{json, Value};
use speech_audio::segment::{Segment, Segmenter};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::engine::{Preceding, RecognitionInput, Transcript, FOLLOWING_SAMPLES};
use crate::service::common::query_pairs;
use crate::service::common::ws::{
    close, connection_id, hex_id, parse_binary, parse_text, with_query_credentials, ClientMessage,
    Violation,
};
use crate::state::AppState;
use crate::text::Profanity;

const RATE: u32 = 16_000;
/// The open utterance's length at its first hypothesis (0.5 s)…
const HYPOTHESIS_FIRST: usize = RATE as usize / 2;
/// …and the new audio after which the next one is computed (0.8 s).
const HYPOTHESIS_EVERY: usize = RATE as usize * 8 / 10;
/// The largest message taken (1 MiB); a larger one is closed with 1009.
pub(crate) const MAX_MESSAGE: usize = 1 << 20;
/// The WebSocket layer's own cap (16 MiB): messages up to it are read whole, so that the 1009 close above is
/// clean; a larger one breaks the connection.
const MAX_WEBSOCKET_MESSAGE: usize = 16 << 20;

/// The recognition mode of a connection or turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Interactive,
    Conversation,
    Dictation,
}

impl Mode {
    fn from_path(path: &str) -> Option<Option<Mode>> {
        let path = path.strip_prefix("/stt").unwrap_or(path);
        match path {
            "/speech/universal/v2" => Some(None),
            "/speech/recognition/interactive/cognitiveservices/v1" => Some(Some(Mode::Interactive)),
            "/speech/recognition/conversation/cognitiveservices/v1" => {
                Some(Some(Mode::Conversation))
            }
            "/speech/recognition/dictation/cognitiveservices/v1" => Some(Some(Mode::Dictation)),
            _ => None,
        }
    }

    fn from_context(name: &str) -> Mode {
        match name.to_ascii_lowercase().as_str() {
            "interactive" => Mode::Interactive,
            "dictation" => Mode::Dictation,
            _ => Mode::Conversation,
        }
    }
}

/// Whether a target language is English (`en`, `en-US`, …): the one the offline engine translates into.
fn is_english(language: &str) -> bool {
    language
        .split('-')
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("en"))
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, message.to_owned()).into_response()
}

/// What the handshake settled.
#[derive(Clone, Debug)]
struct Params {
    mode: Option<Mode>,
    language: Option<String>,
    detailed: bool,
    profanity: Profanity,
    /// The V1 translation path: its target languages (from the query).
    translation_v1: Option<Vec<String>>,
}

/// Speech translation's V1 path.
const TRANSLATION_V1_PATH: &str = "/speech/translation/cognitiveservices/v1";

fn profanity(name: &str) -> Option<Profanity> {
    match name.to_ascii_lowercase().as_str() {
        "masked" => Some(Profanity::Masked),
        "removed" => Some(Profanity::Removed),
        "raw" => Some(Profanity::Raw),
        _ => None,
    }
}

/// The WebSocket endpoints: the handshake's checks, then the connection.
pub(crate) async fn handshake(
    State(state): State<Arc<AppState>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let translation_v1 = parts.uri.path() == TRANSLATION_V1_PATH;
    let Some(mode) = Mode::from_path(parts.uri.path()).or(translation_v1.then_some(None)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let query = query_pairs(parts.uri.query().unwrap_or_default());
    if let Err(denied) = state
        .auth
        .check_speech(&with_query_credentials(&parts.headers, &query))
    {
        return denied.into_response();
    }
    let q = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    match connection_id(&parts.headers, &query) {
        Some(id) if hex_id(&id, true) => {}
        Some(_) => {
            return bad_request("Invalid X-ConnectionId: a UUID (32 hex digits) is expected.")
        }
        None => return bad_request("Missing X-ConnectionId."),
    }
    let language = q("language")
        .or_else(|| q("from"))
        .filter(|l| !l.trim().is_empty());
    let translation_v1 = translation_v1.then(|| {
        query
            .iter()
            .filter(|(n, _)| n == "to")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    if translation_v1.as_ref().is_some_and(Vec::is_empty) {
        return bad_request("Missing target language (to).");
    }
    match &language {
        Some(l) if !state.recognizer.speaks(l) => {
            return bad_request("Unsupported language.");
        }
        None if mode.is_some() => return bad_request("Missing language."),
        _ => {}
    }
    let detailed = match q("format")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("simple") => false,
        Some("detailed") => true,
        Some(_) => return bad_request("Invalid format: simple or detailed is expected."),
    };
    let profanity = match q("profanity") {
        None => Profanity::Masked,
        Some(p) => match profanity(&p) {
            Some(p) => p,
            None => return bad_request("Invalid profanity: masked, removed or raw is expected."),
        },
    };
    let Ok(ws) = ws else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "A WebSocket upgrade is expected.",
        )
            .into_response();
    };
    let params = Params {
        mode,
        language,
        detailed,
        profanity,
        translation_v1,
    };
    ws.protocols(["USP"])
        .max_message_size(MAX_WEBSOCKET_MESSAGE)
        .max_frame_size(MAX_WEBSOCKET_MESSAGE)
        .on_upgrade(move |socket| async move {
            Connection::new(state, params).run(socket).await;
        })
}

/// The PCM a RIFF header declares: `(sample rate, channels, bits, offset of the data)`; `None` when it is not
/// a PCM WAV header.
fn riff_pcm(data: &[u8]) -> Option<(u32, u16, u16, usize)> {
    if data.len() < 12 || &data[0..4] != b"RIFF" || &data[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    let mut fmt = None;
    while at + 8 <= data.len() {
        let id = &data[at..at + 4];
        let size = u32::from_le_bytes(data[at + 4..at + 8].try_into().ok()?) as usize;
        let body = at + 8;
        if id == b"fmt " && body + 16 <= data.len() {
            let tag = u16::from_le_bytes([data[body], data[body + 1]]);
            let channels = u16::from_le_bytes([data[body + 2], data[body + 3]]);
            let rate = u32::from_le_bytes(data[body + 4..body + 8].try_into().ok()?);
            let bits = u16::from_le_bytes([data[body + 14], data[body + 15]]);
            if tag != 1 && tag != 0xFFFE {
                return None;
            }
            fmt = Some((rate, channels, bits));
        }
        if id == b"data" {
            let (rate, channels, bits) = fmt?;
            return Some((rate, channels, bits, body));
        }
        at = body.checked_add(size + size % 2)?;
    }
    None
}

fn ticks(samples: u64) -> u64 {
    samples * 10_000_000 / u64::from(RATE)
}

/// A recognition running on the blocking pool: for a phrase (final) or a hypothesis.
/// What a job heard: the transcript, and for a translated phrase its English translation (`None` inside when the
/// engine cannot translate).
type JobResult = (Transcript, Option<Option<Transcript>>);

struct Job {
    handle: JoinHandle<Result<JobResult, String>>,
    segment_start: u64,
    segment_len: u64,
    final_: bool,
    turn: u64,
}

/// One turn's state.
struct Turn {
    /// A counter, to tell results of an old turn from this one's.
    number: u64,
    id: String,
    mode: Mode,
    language: String,
    detailed: bool,
    profanity: Profanity,
    header_seen: bool,
    segmenter: Segmenter,
    /// Finished utterances not yet recognized.
    pending: VecDeque<Segment>,
    /// The start of the open utterance for which `speech.startDetected` was sent.
    started_at: Option<u64>,
    /// Length of the open utterance at its last hypothesis.
    hypothesized_len: usize,
    speech_heard: bool,
    silence_timed_out: bool,
    end_of_audio: bool,
    /// The turn is over for the client (interactive, after its phrase): later audio is ignored.
    done: bool,
    initial_silence: Duration,
    /// The utterance whose final result is being recognized.
    final_audio: Option<Segment>,
    /// The turn's last phrase (its audio, and its text as the engine wrote it): the context of the next one.
    previous: Option<(Segment, String)>,
    /// The turn's audio as it came, for the next phrase's context.
    heard: Heard,
    /// A translation turn's target languages.
    targets: Option<Vec<String>>,
}

/// The most audio a turn keeps for context: the longest phrase (55 s) and the 30 s of pause the context may
/// hold, with room.
const HEARD_CAP: usize = RATE as usize * 120;

/// A turn's audio as it came, from sample `from` of the turn on: at most [`HEARD_CAP`] samples, and nothing
/// before the last phrase's start. The last phrase and the pause after it are given to the engine as they were
/// heard, as the fast-transcription path does.
#[derive(Debug, Default)]
struct Heard {
    samples: VecDeque<i16>,
    from: u64,
}

impl Heard {
    /// Keeps `samples`, just heard.
    fn push(&mut self, samples: &[i16]) {
        self.samples.extend(samples.iter().copied());
        let excess = self.samples.len().saturating_sub(HEARD_CAP);
        self.samples.drain(..excess);
        self.from += excess as u64;
    }

    /// Forgets what was heard before sample `start` of the turn.
    fn forget_before(&mut self, start: u64) {
        let drop = start
            .saturating_sub(self.from)
            .min(self.samples.len() as u64);
        self.samples.drain(..drop as usize);
        self.from += drop;
    }

    /// The audio from sample `from` to sample `to` of the turn, if all of it is still kept.
    fn between(&self, from: u64, to: u64) -> Option<Vec<i16>> {
        let len = usize::try_from(to.checked_sub(from)?).ok()?;
        let audio = self.starting_at(from, len);
        (len > 0 && audio.len() == len).then_some(audio)
    }

    /// Up to `max` samples from sample `from` of the turn on: as many as have been heard and are kept.
    fn starting_at(&self, from: u64, max: usize) -> Vec<i16> {
        let Some(start) = from
            .checked_sub(self.from)
            .and_then(|s| usize::try_from(s).ok())
        else {
            return Vec::new();
        };
        self.samples.iter().skip(start).take(max).copied().collect()
    }
}

struct Connection {
    state: Arc<AppState>,
    params: Params,
    /// Injected faults: drop the connection after this much audio; close it at the first audio.
    drop_after: Option<u64>,
    close_at_audio: Option<(u16, String)>,
    /// Audio samples received on this connection.
    received: u64,
    used_ids: HashSet<String>,
    turn: Option<Turn>,
    turns: u64,
    job: Option<Job>,
}

impl Connection {
    fn new(state: Arc<AppState>, params: Params) -> Self {
        let drop_after = state
            .faults
            .take_stream_drop()
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX) * u64::from(RATE) / 1000);
        let close_at_audio = state.faults.take_stream_close();
        Connection {
            state,
            params,
            drop_after,
            close_at_audio,
            received: 0,
            used_ids: HashSet::new(),
            turn: None,
            turns: 0,
            job: None,
        }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let lifetime = tokio::time::sleep(self.state.stream_lifetime);
        tokio::pin!(lifetime);
        let mut shutdown = self.state.shutdown.clone();
        let mut idle_deadline = Instant::now() + self.state.stream_idle_timeout;
        loop {
            if self.job.is_none() {
                self.job = self.next_job();
            }
            let job_done = async {
                match self.job.as_mut() {
                    Some(job) => (&mut job.handle).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = socket.recv() => {
                    idle_deadline = Instant::now() + self.state.stream_idle_timeout;
                    let too_large = match &message {
                        Some(Ok(Message::Text(t))) => t.len() > MAX_MESSAGE,
                        Some(Ok(Message::Binary(b))) => b.len() > MAX_MESSAGE,
                        _ => false,
                    };
                    if too_large {
                        close(&mut socket, 1009, "Message is too large.").await;
                        return;
                    }
                    let outcome = match message {
                        Some(Ok(Message::Text(text))) => match parse_text(text.as_str()) {
                            Ok(m) => self.on_message(m),
                            Err(v) => Err(v),
                        },
                        Some(Ok(Message::Binary(data))) => match parse_binary(&data) {
                            Ok(m) => {
                                if m.path.eq_ignore_ascii_case("audio") {
                                    if let Some((code, reason)) = self.close_at_audio.take() {
                                        close(&mut socket, code, reason).await;
                                        return;
                                    }
                                    self.received += m.body.len() as u64 / 2;
                                    if self.drop_after.is_some_and(|d| self.received >= d) {
                                        // Gone without a close frame, as a network failure.
                                        return;
                                    }
                                }
                                self.on_message(m)
                            }
                            Err(v) => Err(v),
                        },
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(Vec::new()),
                        // The client closes: send the close reply the WebSocket layer queued, then stop.
                        Some(Ok(Message::Close(_))) => {
                            let _ = futures_util::SinkExt::flush(&mut socket).await;
                            return;
                        }
                        None => return,
                        // The WebSocket layer refused the frame (a text frame that is not UTF-8, a message over
                        // the size cap): say so with the legacy reason where there is one, then stop.
                        Some(Err(e)) => {
                            let text = e.to_string().to_ascii_lowercase();
                            if text.contains("utf") {
                                close(&mut socket, 1007, "Text message decoding into UTF-8 failed.").await;
                            } else if text.contains("size") || text.contains("too long") || text.contains("too big") {
                                close(&mut socket, 1009, "Message is too large.").await;
                            }
                            return;
                        }
                    };
                    match outcome {
                        Ok(out) => {
                            for text in out {
                                if socket.send(Message::Text(text.into())).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Err(Violation(code, reason)) => {
                            close(&mut socket, code, reason).await;
                            return;
                        }
                    }
                }
                result = job_done => {
                    let job = self.job.take();
                    let out = match (job, result) {
                        (Some(job), Ok(Ok(result))) => self.on_result(&job, result),
                        (Some(job), _) => self.on_result(&job, (Transcript::NoMatch, None)),
                        (None, _) => Vec::new(),
                    };
                    for text in out {
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                }
                _ = &mut lifetime => {
                    close(&mut socket, 1000, "Connection lifetime exceeded.").await;
                    return;
                }
                _ = tokio::time::sleep_until(idle_deadline) => {
                    close(&mut socket, 1000, "Idle timeout.").await;
                    return;
                }
                _ = shutdown.changed() => {
                    close(&mut socket, 1001, "The service is shutting down.").await;
                    return;
                }
            }
        }
    }

    fn frame(&self, path: &str, body: Value) -> String {
        let id = self.turn.as_ref().map_or("", |t| t.id.as_str());
        format!("X-RequestId:{id}\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n{body}")
    }

    /// A client message: the answers to send, or the violation to close with.
    fn on_message(&mut self, m: ClientMessage) -> Result<Vec<String>, Violation> {
        let path = m.path.to_ascii_lowercase();
        if let Some(id) = &m.request_id {
            let current = self
                .turn
                .as_ref()
                .is_some_and(|t| t.id.eq_ignore_ascii_case(id));
            if !current && self.used_ids.contains(&id.to_ascii_uppercase()) && path != "telemetry" {
                return Err(Violation(
                    1002,
                    "Invalid request. Reuse of request identifiers is not allowed.",
                ));
            }
        }
        match path.as_str() {
            "speech.config" => Ok(Vec::new()),
            "speech.context" => {
                let context: Value = serde_json::from_slice(&m.body)
                    .ok()
                    .filter(Value::is_object)
                    .ok_or(Violation(1007, "Could not deserialize speech context"))?;
                let id = m.request_id.unwrap_or_default();
                self.begin_turn(&id, Some(&context))?;
                Ok(Vec::new())
            }
            "audio" => self.on_audio(&m),
            _ => Ok(Vec::new()),
        }
    }

    fn begin_turn(&mut self, id: &str, context: Option<&Value>) -> Result<(), Violation> {
        if let Some(old) = self.turn.take() {
            self.used_ids.insert(old.id.to_ascii_uppercase());
        }
        let detection = context.and_then(|c| c.get("phraseDetection"));
        let mode = self.params.mode.unwrap_or_else(|| {
            detection
                .and_then(|d| d.get("mode"))
                .and_then(Value::as_str)
                .map_or(Mode::Conversation, Mode::from_context)
        });
        let language = detection
            .and_then(|d| d.get("language"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.params.language.clone())
            .unwrap_or_else(|| "en-US".to_owned());
        if !self.state.recognizer.speaks(&language) {
            return Err(Violation(1007, "Unsupported language."));
        }
        let detailed = self.params.detailed
            || context
                .and_then(|c| c.pointer("/phraseOutput/format"))
                .and_then(Value::as_str)
                .is_some_and(|f| f.eq_ignore_ascii_case("detailed"));
        let initial_silence = detection
            .and_then(|d| d.get("initialSilenceTimeout"))
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
            .unwrap_or(
                self.state.initial_silence[match mode {
                    Mode::Interactive => 0,
                    Mode::Conversation => 1,
                    Mode::Dictation => 2,
                }],
            );
        let profanity = detection
            .and_then(|d| d.pointer("/enrichment/profanity"))
            .and_then(Value::as_str)
            .and_then(profanity)
            .unwrap_or(self.params.profanity);
        let targets = context
            .and_then(|c| c.pointer("/translation/targetLanguages"))
            .and_then(Value::as_array)
            .map(|targets| {
                targets
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .or_else(|| self.params.translation_v1.clone());
        if targets.as_ref().is_some_and(Vec::is_empty) {
            return Err(Violation(1007, "Missing target languages."));
        }
        self.turns += 1;
        self.turn = Some(Turn {
            number: self.turns,
            id: id.to_owned(),
            mode,
            language,
            detailed,
            profanity,
            header_seen: false,
            segmenter: Segmenter::new(),
            pending: VecDeque::new(),
            started_at: None,
            hypothesized_len: 0,
            speech_heard: false,
            silence_timed_out: false,
            end_of_audio: false,
            done: false,
            initial_silence,
            final_audio: None,
            previous: None,
            heard: Heard::default(),
            targets,
        });
        Ok(())
    }

    fn on_audio(&mut self, m: &ClientMessage) -> Result<Vec<String>, Violation> {
        let id = m.request_id.clone().unwrap_or_default();
        let is_current = self
            .turn
            .as_ref()
            .is_some_and(|t| t.id.eq_ignore_ascii_case(&id));
        if !is_current {
            // Audio without a speech.context (the legacy protocol): the audio opens the turn.
            self.begin_turn(&id, None)?;
        }
        let mut out = Vec::new();
        let Some(turn) = self.turn.as_mut() else {
            return Ok(out);
        };
        if turn.done || turn.end_of_audio {
            return Ok(out);
        }
        let mut payload = &m.body[..];
        if !turn.header_seen {
            let Some((rate, channels, bits, data_at)) = riff_pcm(payload) else {
                return Err(Violation(1007, "Unsupported audio format."));
            };
            if rate != RATE || channels != 1 || bits != 16 {
                return Err(Violation(1007, "Unsupported audio format."));
            }
            if let Some(ct) = &m.content_type {
                if !ct.to_ascii_lowercase().starts_with("audio/x-wav")
                    && !ct.to_ascii_lowercase().starts_with("audio/wav")
                {
                    return Err(Violation(1007, "Unsupported audio format."));
                }
            }
            turn.header_seen = true;
            payload = &payload[(data_at + 8).min(payload.len())..];
            out.push(self.frame(
                "turn.start",
                json!({"context": {"serviceTag": format!("{:032X}", self.turns.wrapping_mul(0x9E37_79B9_7F4A_7C15))}}),
            ));
        }
        let Some(turn) = self.turn.as_mut() else {
            return Ok(out);
        };
        if m.body.is_empty() {
            turn.end_of_audio = true;
            turn.pending.extend(turn.segmenter.finish());
            out.extend(self.maybe_end_turn());
            return Ok(out);
        }
        let samples: Vec<i16> = payload
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        turn.segmenter.push(&samples);
        turn.heard.push(&samples);
        while let Some(s) = turn.segmenter.pop() {
            turn.pending.push_back(s);
        }
        let open = turn.segmenter.in_progress();
        let onset = turn
            .pending
            .front()
            .map(|s| s.start)
            .or(open.as_ref().map(|s| s.start));
        if let Some(start) = onset {
            turn.speech_heard = true;
            if turn.started_at.is_none_or(|at| at < start) {
                turn.started_at = Some(start);
                out.push(self.frame("speech.startDetected", json!({"Offset": ticks(start)})));
            }
        }
        let Some(turn) = self.turn.as_mut() else {
            return Ok(out);
        };
        let heard = turn.segmenter.samples_seen();
        let limit = u64::try_from(turn.initial_silence.as_millis()).unwrap_or(u64::MAX)
            * u64::from(RATE)
            / 1000;
        if !turn.speech_heard && !turn.silence_timed_out && heard >= limit {
            turn.silence_timed_out = true;
            out.push(self.phrase_frame(
                json!({"RecognitionStatus": "InitialSilenceTimeout", "Offset": 0, "Duration": ticks(heard)}),
                None,
            ));
            out.push(self.frame("speech.endDetected", json!({"Offset": ticks(heard)})));
            out.push(self.frame("turn.end", json!({})));
            if let Some(turn) = self.turn.as_mut() {
                turn.done = true;
            }
        }
        Ok(out)
    }

    /// After the end of audio, once every utterance has its phrase: `speech.endDetected` and `turn.end`.
    fn maybe_end_turn(&mut self) -> Vec<String> {
        let Some(turn) = self.turn.as_mut() else {
            return Vec::new();
        };
        let busy = self
            .job
            .as_ref()
            .is_some_and(|j| j.final_ && j.turn == turn.number);
        if turn.done || !turn.end_of_audio || !turn.pending.is_empty() || busy {
            return Vec::new();
        }
        turn.done = true;
        let end = turn.segmenter.samples_seen();
        vec![
            self.frame("speech.endDetected", json!({"Offset": ticks(end)})),
            self.frame("turn.end", json!({})),
        ]
    }

    /// The next recognition: a finished utterance first, else a hypothesis on the open one when it grew enough.
    fn next_job(&mut self) -> Option<Job> {
        let turn = self.turn.as_mut()?;
        if turn.done {
            return None;
        }
        let (segment, final_) = match turn.pending.pop_front() {
            Some(s) => (s, true),
            // A translation turn sends no hypotheses.
            None if turn.targets.is_some() => return None,
            None => {
                let open = turn.segmenter.in_progress()?;
                let due = if turn.hypothesized_len == 0 {
                    HYPOTHESIS_FIRST
                } else {
                    turn.hypothesized_len + HYPOTHESIS_EVERY
                };
                if open.samples.len() < due {
                    return None;
                }
                turn.hypothesized_len = open.samples.len();
                (open, false)
            }
        };
        if final_ {
            turn.hypothesized_len = 0;
        }
        let recognizer = self.state.recognizer.clone();
        let language = turn.language.clone();
        // The previous phrase and the pause after it (at most 30 s of it), up to this one: as heard, or, when
        // that is no longer kept, the phrase and the pause as silence.
        let previous = turn.previous.as_ref().map(|(before, text)| {
            let pause = segment
                .start
                .saturating_sub(before.end())
                .min(u64::from(RATE) * 30);
            let audio = turn
                .heard
                .between(before.start, before.end() + pause)
                .unwrap_or_else(|| {
                    let mut audio = before.samples.clone();
                    audio.resize(audio.len() + pause as usize, 0);
                    audio
                });
            (audio, text.clone())
        });
        // After a final phrase, the start of the pause that ended it, as heard (a phrase ends after 500 ms of
        // pause, so the 0.3 s asked for has come; at the end of the audio, what there is).
        let following = if final_ {
            turn.heard.starting_at(segment.end(), FOLLOWING_SAMPLES)
        } else {
            Vec::new()
        };
        if final_ {
            turn.final_audio = Some(segment.clone());
        }
        let (start, len) = (segment.start, segment.samples.len() as u64);
        let translate = turn
            .targets
            .as_ref()
            .is_some_and(|t| t.iter().any(|l| is_english(l)));
        let handle = tokio::task::spawn_blocking(move || {
            let input = RecognitionInput {
                audio: &segment.samples,
                sample_rate: RATE,
                language: &language,
                previous: previous
                    .as_ref()
                    .map(|(audio, text)| Preceding { audio, text }),
                following: &following,
                draft: !final_,
            };
            let transcript = recognizer.recognize(input).map_err(|e| e.to_string())?;
            let english = if translate && matches!(transcript, Transcript::Text { .. }) {
                let input = RecognitionInput {
                    previous: None,
                    ..input
                };
                Some(
                    recognizer
                        .translate_to_english(input)
                        .map_err(|e| e.to_string())?,
                )
            } else {
                None
            };
            Ok((transcript, english))
        });
        Some(Job {
            handle,
            segment_start: start,
            segment_len: len,
            final_,
            turn: turn.number,
        })
    }

    /// A final phrase's message: `speech.phrase`, or in a translation turn the V2 `translation.response` or V1
    /// `translation.phrase` with the translations (`english`: the English translation, when the engine made one).
    fn phrase_frame(&self, body: Value, english: Option<Option<&str>>) -> String {
        let Some(turn) = self.turn.as_ref() else {
            return self.frame("speech.phrase", body);
        };
        let Some(targets) = &turn.targets else {
            return self.frame("speech.phrase", body);
        };
        let v1 = self.params.translation_v1.is_some();
        let mut translation = None;
        if body["RecognitionStatus"] == "Success" {
            let mut texts = Vec::new();
            let mut refused = Vec::new();
            for target in targets {
                match english.flatten() {
                    Some(text) if is_english(target) => {
                        let key = if v1 { "Text" } else { "DisplayText" };
                        texts.push(json!({"Language": target, key: text}));
                    }
                    _ => refused.push(target.as_str()),
                }
            }
            let mut t = json!({"TranslationStatus": "Success", "Translations": texts});
            if !refused.is_empty() {
                let why = if english == Some(None) {
                    "this offline engine cannot translate"
                } else {
                    "offline translation is into English only"
                };
                t["TranslationStatus"] = json!("Error");
                t["FailureReason"] = json!(format!(
                    "Unsupported language pair {} to {}: {why}.",
                    turn.language,
                    refused.join(", ")
                ));
            }
            translation = Some(t);
        }
        if v1 {
            let mut body = body;
            if let Some(display) = body.get("DisplayText").cloned() {
                body["Text"] = display;
            }
            if let Some(t) = translation {
                body["Translation"] = t;
            }
            self.frame("translation.phrase", body)
        } else {
            let mut message = json!({"SpeechPhrase": body});
            if let Some(Value::Object(t)) = translation {
                for (k, v) in t {
                    message[k] = v;
                }
            }
            self.frame("translation.response", message)
        }
    }

    fn on_result(&mut self, job: &Job, (transcript, english): JobResult) -> Vec<String> {
        let Some(turn) = self.turn.as_mut() else {
            return Vec::new();
        };
        if turn.number != job.turn || turn.done {
            return Vec::new();
        }
        if job.final_ {
            let audio = turn.final_audio.take();
            if let (Some(audio), Transcript::Text { text, .. }) = (audio, &transcript) {
                if !text.trim().is_empty() {
                    turn.heard.forget_before(audio.start);
                    turn.previous = Some((audio, text.clone()));
                }
            }
        }
        let Some(turn) = self.turn.as_ref() else {
            return Vec::new();
        };
        let (offset, duration) = (ticks(job.segment_start), ticks(job.segment_len));
        let mut out = Vec::new();
        if !job.final_ {
            if let Transcript::Text { text, .. } = transcript {
                let forms = crate::text::derive_forms_in(&text, &turn.language, turn.profanity);
                out.push(self.frame(
                    "speech.hypothesis",
                    json!({"Text": forms.lexical, "Offset": offset, "Duration": duration}),
                ));
            }
            return out;
        }
        let body = match transcript {
            Transcript::Text { text, confidence } if !text.trim().is_empty() => {
                let forms = crate::text::derive_forms_in(&text, &turn.language, turn.profanity);
                if turn.detailed {
                    json!({
                        "RecognitionStatus": "Success", "Offset": offset, "Duration": duration,
                        "DisplayText": forms.display,
                        "NBest": [{"Confidence": confidence, "Lexical": forms.lexical, "ITN": forms.itn,
                                   "MaskedITN": forms.masked_itn, "Display": forms.display}],
                    })
                } else {
                    json!({"RecognitionStatus": "Success", "DisplayText": forms.display, "Offset": offset, "Duration": duration})
                }
            }
            Transcript::Babble => {
                json!({"RecognitionStatus": "BabbleTimeout", "Offset": offset, "Duration": duration})
            }
            _ => json!({"RecognitionStatus": "NoMatch", "Offset": offset, "Duration": duration}),
        };
        let english = english.map(|e| match e {
            Some(Transcript::Text { text, .. }) => Some(text),
            _ => None,
        });
        let interactive = turn.mode == Mode::Interactive;
        out.push(self.phrase_frame(body, english.as_ref().map(|e| e.as_deref())));
        if interactive {
            let end = job.segment_start + job.segment_len;
            out.push(self.frame("speech.endDetected", json!({"Offset": ticks(end)})));
            out.push(self.frame("turn.end", json!({})));
            if let Some(turn) = self.turn.as_mut() {
                turn.done = true;
            }
            return out;
        }
        out.extend(self.maybe_end_turn());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heard_audio_is_kept_from_the_last_phrase_on_and_capped() {
        let mut heard = Heard::default();
        heard.push(&[1, 2, 3, 4, 5]);
        heard.push(&[6, 7]);
        assert_eq!(heard.between(1, 4), Some(vec![2, 3, 4]));
        assert_eq!(heard.between(0, 7), Some(vec![1, 2, 3, 4, 5, 6, 7]));
        assert_eq!(heard.between(5, 8), None, "not heard yet");
        assert_eq!(heard.between(4, 4), None, "empty");
        heard.forget_before(3);
        assert_eq!(heard.between(2, 4), None, "forgotten");
        assert_eq!(heard.between(3, 7), Some(vec![4, 5, 6, 7]));
        heard.forget_before(100);
        assert_eq!(heard.between(7, 8), None);
        heard.push(&[8]);
        assert_eq!(heard.between(7, 8), Some(vec![8]));
        heard.push(&[9, 10]);
        assert_eq!(heard.starting_at(8, 5), vec![9, 10], "what there is");
        assert_eq!(heard.starting_at(7, 2), vec![8, 9]);
        assert_eq!(heard.starting_at(2, 2), Vec::<i16>::new(), "forgotten");
        assert_eq!(heard.starting_at(20, 2), Vec::<i16>::new(), "not heard yet");

        let mut long = Heard::default();
        long.push(&vec![0; HEARD_CAP]);
        long.push(&[9; 10]);
        assert_eq!(long.samples.len(), HEARD_CAP);
        assert_eq!(long.from, 10);
        let end = HEARD_CAP as u64 + 10;
        assert_eq!(long.between(end - 1, end), Some(vec![9]));
        assert_eq!(long.between(0, 20), None);
    }
}
