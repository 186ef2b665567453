//! Synthesis over WebSocket (spec part 1), as Microsoft's SDKs speak it: `/tts/cognitiveservices/websocket/v1`
//! and `/cognitiveservices/websocket/v1`.
//!
//! **Handshake** (1.2): the credential as on the REST endpoints, in headers or in the query the JavaScript SDK
//! mirrors them in; `X-ConnectionId` is optional (Node ≥ 22 sends it only in the query) but, when given, must be
//! 32 hex digits (`400`). The `USP` subprotocol is agreed when asked for.
//!
//! **Messages** (1.4), parsed as strictly as recognition's: `speech.config` (any JSON, once or never),
//! `synthesis.context` (a JSON object: `outputFormat` and the `*Enabled` flags, as booleans or the strings
//! `"true"`/`"false"`; else close 1007), `ssml` with the same `X-RequestId`, `synthesis.control`
//! `{"action":"stop"}`; other paths are ignored. One synthesis at a time: an `ssml` while one runs is closed with
//! 1002, and a request id may not be reused (1002).
//!
//! **Refusals** (1.9) close with 1007 and a reason under 100 characters: SSML that does not parse (the reason
//! names the byte position), an unknown voice, an unknown or unsupported output format.
//!
//! **Answers** (1.5–1.8), per synthesis: `turn.start`, `response` (with the stream id every `audio` frame
//! carries), then piece by piece the `audio.metadata` asked for (`SentenceBoundary`, `WordBoundary` with
//! `BoundaryType` word or punctuation, `Bookmark`, `Viseme`) and the piece's audio, then `SessionEnd` and
//! `turn.end`. Offsets are 100-ns ticks from the start of the synthesis' audio.
//!
//! **Timing tells the truth**: the audio is made piece by piece — each word on its own when word, punctuation or
//! viseme events are asked for, else each sentence (split at bookmarks) — with its leading and trailing silence
//! cut and known pauses between pieces, so every boundary's offset and duration is where that piece is in the
//! audio sent. Visemes come from the engine's phonemes (espeak-ng's IPA; the letters when it is missing), spread
//! over their word. `raw-*` audio is sent as it is made: sentence by sentence when sentence boundaries are asked
//! for (a `SentenceBoundary` comes before its sentence and gives its length), else word by word when words are
//! made one by one (the SDKs' default: first audio after the first word); other formats are encoded whole at
//! the end.
//!
//! **Faults**: `Faults::drop_next_streams` drops a connection (no close frame) after its first audio frame.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::formats::{self, Container, OutputFormat};
use super::words::{self, Kind};
use super::{ssml, voices};
use crate::engine::{Pcm, SynthesisInput};
use crate::service::common::query_pairs;
use crate::service::common::ws::{
    close, connection_id, hex_id, parse_binary, parse_text, with_query_credentials, ClientMessage,
    Violation,
};
use crate::state::AppState;

/// The largest message taken (1 MiB); the WebSocket layer's own cap is larger so that this one closes cleanly.
const MAX_MESSAGE: usize = 1 << 20;
const MAX_WEBSOCKET_MESSAGE: usize = 16 << 20;
/// The longest audio of one synthesis (10 minutes, as the service).
const MAX_AUDIO_SECS: u64 = 600;
/// Audio bytes per binary frame.
const AUDIO_FRAME: usize = 8 * 1024;
/// Pauses between pieces, in milliseconds: between words, after a comma-like mark, after a sentence.
const WORD_GAP_MS: u64 = 60;
const CLAUSE_PAUSE_MS: u64 = 150;
const SENTENCE_PAUSE_MS: u64 = 300;

/// The handshake.
pub(crate) async fn handshake(
    State(state): State<Arc<AppState>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let query = query_pairs(parts.uri.query().unwrap_or_default());
    if let Err(denied) = state
        .auth
        .check_speech(&with_query_credentials(&parts.headers, &query))
    {
        return denied.into_response();
    }
    if let Some(id) = connection_id(&parts.headers, &query) {
        if !hex_id(&id, true) {
            return (
                StatusCode::BAD_REQUEST,
                "Invalid X-ConnectionId: a UUID (32 hex digits) is expected.",
            )
                .into_response();
        }
    }
    let Ok(ws) = ws else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "A WebSocket upgrade is expected.",
        )
            .into_response();
    };
    ws.protocols(["USP"])
        .max_message_size(MAX_WEBSOCKET_MESSAGE)
        .max_frame_size(MAX_WEBSOCKET_MESSAGE)
        .on_upgrade(move |socket| async move {
            Connection::new(state).run(socket).await;
        })
}

/// Which events a synthesis asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    word: bool,
    punctuation: bool,
    sentence: bool,
    bookmark: bool,
    viseme: bool,
    session_end: bool,
}

fn flag(options: Option<&Value>, name: &str) -> bool {
    match options.and_then(|o| o.get(name)) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A `synthesis.context`: the format asked for and the events.
#[derive(Clone, Debug)]
struct Context {
    id: String,
    format: Option<String>,
    flags: Flags,
}

fn read_context(id: String, body: &[u8]) -> Result<Context, Violation> {
    let value: Value = serde_json::from_slice(body)
        .ok()
        .filter(Value::is_object)
        .ok_or(Violation(1007, "Could not deserialize synthesis context"))?;
    let audio = value.pointer("/synthesis/audio");
    let options = audio.and_then(|a| a.get("metadataOptions"));
    Ok(Context {
        id,
        format: audio
            .and_then(|a| a.get("outputFormat"))
            .and_then(Value::as_str)
            .map(|s| s.chars().take(64).collect()),
        flags: Flags {
            word: flag(options, "wordBoundaryEnabled"),
            punctuation: flag(options, "punctuationBoundaryEnabled"),
            sentence: flag(options, "sentenceBoundaryEnabled"),
            bookmark: flag(options, "bookmarkEnabled"),
            viseme: flag(options, "visemeEnabled"),
            session_end: flag(options, "sessionEndEnabled"),
        },
    })
}

/// What the synthesis job hands the connection.
enum Out {
    Text(String),
    Binary(Vec<u8>),
    Close(u16, &'static str),
}

struct Running {
    rx: mpsc::Receiver<Out>,
    cancel: Arc<AtomicBool>,
    id: String,
}

struct Connection {
    state: Arc<AppState>,
    /// Injected fault: drop the connection (no close frame) once it has sent audio.
    drop_at_audio: bool,
    context: Option<Context>,
    running: Option<Running>,
    used_ids: HashSet<String>,
}

fn random_hex() -> String {
    let mut b = [0u8; 16];
    // Only an identifier; zeros if the OS RNG ever failed.
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn text_frame(id: &str, path: &str, body: &str) -> String {
    format!("X-RequestId:{id}\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n{body}")
}

fn audio_frame(id: &str, content_type: &str, stream: &str, payload: &[u8]) -> Vec<u8> {
    let headers = format!(
        "X-RequestId:{id}\r\nContent-Type:{content_type}\r\nX-StreamId:{stream}\r\nPath:audio\r\n"
    );
    let mut out = Vec::with_capacity(2 + headers.len() + payload.len());
    out.extend_from_slice(
        &u16::try_from(headers.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(headers.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// Why a connection is closed: its code and reason (under 100 characters, as the service's).
#[derive(Debug)]
struct Refuse(u16, String);

impl Refuse {
    fn new(code: u16, text: String) -> Self {
        Refuse(code, text.chars().take(99).collect())
    }
}

impl From<Violation> for Refuse {
    fn from(Violation(code, text): Violation) -> Self {
        Refuse(code, text.to_owned())
    }
}

impl Connection {
    fn new(state: Arc<AppState>) -> Self {
        Connection {
            drop_at_audio: state.faults.take_stream_drop().is_some(),
            state,
            context: None,
            running: None,
            used_ids: HashSet::new(),
        }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let lifetime = tokio::time::sleep(self.state.stream_lifetime);
        tokio::pin!(lifetime);
        let mut shutdown = self.state.shutdown.clone();
        let mut idle_deadline = Instant::now() + self.state.stream_idle_timeout;
        loop {
            let idle = self.running.is_none();
            let job = async {
                match self.running.as_mut() {
                    Some(r) => r.rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                out = job => {
                    idle_deadline = Instant::now() + self.state.stream_idle_timeout;
                    let sent = match out {
                        Some(Out::Text(text)) => socket.send(Message::Text(text.into())).await,
                        Some(Out::Binary(data)) => {
                            let sent = socket.send(Message::Binary(data.into())).await;
                            if self.drop_at_audio {
                                // Gone without a close frame, as a network failure.
                                return;
                            }
                            sent
                        }
                        Some(Out::Close(code, why)) => {
                            close(&mut socket, code, why).await;
                            return;
                        }
                        None => {
                            self.running = None;
                            Ok(())
                        }
                    };
                    if sent.is_err() {
                        return;
                    }
                }
                message = socket.recv() => {
                    idle_deadline = Instant::now() + self.state.stream_idle_timeout;
                    let parsed = match message {
                        Some(Ok(Message::Text(text))) if text.len() > MAX_MESSAGE => {
                            Err(Violation(1009, "Message is too large."))
                        }
                        Some(Ok(Message::Binary(data))) if data.len() > MAX_MESSAGE => {
                            Err(Violation(1009, "Message is too large."))
                        }
                        Some(Ok(Message::Text(text))) => parse_text(text.as_str()).map(Some),
                        Some(Ok(Message::Binary(data))) => parse_binary(&data).map(|_| None),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(None),
                        Some(Ok(Message::Close(_))) => {
                            let _ = futures_util::SinkExt::flush(&mut socket).await;
                            return;
                        }
                        None | Some(Err(_)) => return,
                    };
                    let outcome = match parsed {
                        Ok(Some(m)) => self.on_message(m),
                        Ok(None) => Ok(()),
                        Err(v) => Err(Refuse::from(v)),
                    };
                    if let Err(Refuse(code, why)) = outcome {
                        close(&mut socket, code, why).await;
                        return;
                    }
                }
                _ = &mut lifetime => {
                    close(&mut socket, 1000, "Connection lifetime exceeded.").await;
                    return;
                }
                _ = tokio::time::sleep_until(idle_deadline), if idle => {
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

    fn on_message(&mut self, m: ClientMessage) -> Result<(), Refuse> {
        let path = m.path.to_ascii_lowercase();
        let id = m.request_id.clone().unwrap_or_default();
        let upper = id.to_ascii_uppercase();
        let running = self
            .running
            .as_ref()
            .is_some_and(|r| r.id.eq_ignore_ascii_case(&id));
        if !running && self.used_ids.contains(&upper) && path != "telemetry" {
            return Err(Violation(
                1002,
                "Invalid request. Reuse of request identifiers is not allowed.",
            )
            .into());
        }
        match path.as_str() {
            "synthesis.context" => {
                self.context = Some(read_context(id, &m.body).map_err(Refuse::from)?);
                Ok(())
            }
            "ssml" => {
                if self.running.is_some() {
                    return Err(Violation(
                        1002,
                        "Invalid request. A synthesis is already in progress on this connection.",
                    )
                    .into());
                }
                let context = self
                    .context
                    .take()
                    .filter(|c| c.id.eq_ignore_ascii_case(&id));
                self.used_ids.insert(upper);
                self.start(id, context, &m.body)
            }
            "synthesis.control" => {
                let stop = serde_json::from_slice::<Value>(&m.body)
                    .ok()
                    .and_then(|v| v.get("action").and_then(Value::as_str).map(str::to_owned))
                    .is_some_and(|a| a.eq_ignore_ascii_case("stop"));
                if let (true, Some(r)) = (stop, self.running.as_ref()) {
                    r.cancel.store(true, Ordering::Relaxed);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Check an `ssml` message and start its synthesis.
    fn start(&mut self, id: String, context: Option<Context>, body: &[u8]) -> Result<(), Refuse> {
        let flags = context.as_ref().map(|c| c.flags).unwrap_or_default();
        let format_name = context
            .and_then(|c| c.format)
            .unwrap_or_else(|| "raw-16khz-16bit-mono-pcm".to_owned());
        let format = formats::output_format(&format_name)
            .filter(|f| f.supported())
            .ok_or_else(|| {
                Refuse::new(1007, format!("Unsupported output format {format_name}."))
            })?;
        let document = std::str::from_utf8(body)
            .map_err(|_| Refuse::new(1007, "SSML is not UTF-8.".to_owned()))?;
        let speak = ssml::parse(document).map_err(|e| {
            Refuse::new(
                1007,
                match &e {
                    ssml::SsmlError::Xml { position, message } => {
                        format!("Invalid SSML at position {position}: {message}")
                    }
                    other => format!("Invalid SSML: {other}"),
                },
            )
        })?;
        let mut work = Vec::with_capacity(speak.segments.len());
        for segment in speak.segments {
            let Some(voice) = voices::find(&segment.voice) else {
                return Err(Refuse::new(
                    1007,
                    format!("Unsupported voice {}.", segment.voice),
                ));
            };
            work.push((voice, segment));
        }
        let (tx, rx) = mpsc::channel(64);
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            state: self.state.clone(),
            id: id.clone(),
            stream: random_hex(),
            format,
            flags,
            tx,
            cancel: cancel.clone(),
            total: 0,
            whole: Vec::new(),
        };
        tokio::task::spawn_blocking(move || job.run(work));
        self.running = Some(Running { rx, cancel, id });
        Ok(())
    }
}

/// One synthesis, on the blocking pool: it sends its messages to the connection as it makes them.
struct Job {
    state: Arc<AppState>,
    id: String,
    stream: String,
    format: &'static OutputFormat,
    flags: Flags,
    tx: mpsc::Sender<Out>,
    cancel: Arc<AtomicBool>,
    /// Samples made so far (at the format's rate).
    total: u64,
    /// The audio, for formats encoded whole at the end.
    whole: Vec<i16>,
}

/// Why a job stopped early.
enum Stop {
    /// The connection is gone.
    Gone,
    /// The engine failed.
    Engine,
    /// Stopped by the client, or the audio reached its cap.
    Done,
}

/// A piece of a sentence, rendered: its audio and its events (offsets from the sentence's start, in samples).
struct Rendered {
    samples: Vec<i16>,
    events: Vec<(u64, Value)>,
}

impl Job {
    fn rate(&self) -> u32 {
        self.format.sample_rate
    }

    fn ticks(&self, samples: u64) -> u64 {
        samples * 10_000_000 / u64::from(self.rate().max(1))
    }

    fn send(&self, out: Out) -> Result<(), Stop> {
        self.tx.blocking_send(out).map_err(|_| Stop::Gone)
    }

    fn metadata(&self, entry: Value) -> Result<(), Stop> {
        self.send(Out::Text(text_frame(
            &self.id,
            "audio.metadata",
            &json!({ "Metadata": [entry] }).to_string(),
        )))
    }

    fn run(mut self, work: Vec<(&'static voices::Voice, ssml::Segment)>) {
        let tag = random_hex();
        let started = self
            .send(Out::Text(text_frame(
                &self.id,
                "turn.start",
                &json!({"context": {"serviceTag": tag}}).to_string(),
            )))
            .and_then(|()| {
                self.send(Out::Text(text_frame(
                    &self.id,
                    "response",
                    &json!({"context": {"serviceTag": tag}, "audio": {"type": "inline", "streamId": self.stream}})
                        .to_string(),
                )))
            });
        if started.is_err() {
            return;
        }
        let mut outcome = Ok(());
        for (voice, segment) in &work {
            outcome = self.segment(voice, segment);
            if outcome.is_err() {
                break;
            }
        }
        match outcome {
            Err(Stop::Gone) => return,
            Err(Stop::Engine) => {
                let _ = self.send(Out::Close(1011, "Synthesis failed."));
                return;
            }
            Ok(()) | Err(Stop::Done) => {}
        }
        if self.format.container != Container::Raw {
            let pcm = Pcm {
                sample_rate: self.rate(),
                samples: std::mem::take(&mut self.whole),
            };
            let Ok(audio) = formats::encode(self.format, &pcm) else {
                let _ = self.send(Out::Close(1011, "Synthesis failed."));
                return;
            };
            if self.send_audio(&audio).is_err() {
                return;
            }
        }
        if self.flags.session_end {
            let end = json!({"Type": "SessionEnd", "Data": {"Offset": self.ticks(self.total)}});
            if self.metadata(end).is_err() {
                return;
            }
        }
        let _ = self.send(Out::Text(text_frame(&self.id, "turn.end", "{}")));
    }

    fn send_audio(&self, audio: &[u8]) -> Result<(), Stop> {
        for chunk in audio.chunks(AUDIO_FRAME) {
            self.send(Out::Binary(audio_frame(
                &self.id,
                self.format.content_type(),
                &self.stream,
                chunk,
            )))?;
        }
        Ok(())
    }

    /// Speak one stretch with the engine, at the format's rate, without its leading and trailing silence.
    fn render(&self, voice: &voices::Voice, rate: f64, text: &str) -> Result<Vec<i16>, Stop> {
        let pcm = self
            .state
            .synthesizer
            .synthesize(SynthesisInput {
                text,
                locale: voice.locale,
                engine_voice: voice.engine_voice,
                rate,
            })
            .map_err(|_| Stop::Engine)?;
        let mut samples = pcm.resampled(self.rate()).samples;
        trim_silence(&mut samples, self.rate());
        Ok(samples)
    }

    fn silence(&self, ms: u64) -> Vec<i16> {
        vec![0; usize::try_from(u64::from(self.rate()) * ms / 1000).unwrap_or(0)]
    }

    fn segment(&mut self, voice: &voices::Voice, segment: &ssml::Segment) -> Result<(), Stop> {
        let text = segment.text.as_str();
        let tokens = words::tokenize(text);
        let per_word = self.flags.word || self.flags.punctuation || self.flags.viseme;
        let mut marks = segment.bookmarks.iter().peekable();
        let mut sentence = Rendered {
            samples: Vec::new(),
            events: Vec::new(),
        };
        let mut sentence_start: Option<usize> = None;
        // Tokens of the current sentence not rendered yet (sentence mode).
        let mut pending: Option<(usize, usize)> = None;
        for token in &tokens {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(Stop::Done);
            }
            while let Some((at, name)) = marks.next_if(|(at, _)| *at <= token.start) {
                let _ = at;
                self.flush_pending(voice, segment, &mut pending, &mut sentence)?;
                if self.flags.bookmark {
                    let offset = sentence.samples.len() as u64;
                    sentence.events.push((
                        offset,
                        json!({"Type": "Bookmark", "Data": {"Offset": 0, "Bookmark": name}}),
                    ));
                }
            }
            sentence_start.get_or_insert(token.start);
            let word = &text[token.start..token.end];
            if per_word {
                match token.kind {
                    Kind::Word => {
                        let samples = self.render(voice, segment.rate, word)?;
                        let offset = sentence.samples.len() as u64;
                        let len = samples.len() as u64;
                        if self.flags.word {
                            sentence
                                .events
                                .push((offset, boundary("WordBoundary", word, 0, len)));
                        }
                        if self.flags.viseme {
                            self.visemes(voice, word, offset, len, &mut sentence.events);
                        }
                        sentence.samples.extend_from_slice(&samples);
                        sentence.samples.extend(self.silence(WORD_GAP_MS));
                        if !self.flags.sentence {
                            // No sentence boundary waits for the sentence's length: the word goes now.
                            self.send_spoken(&mut sentence)?;
                        }
                    }
                    Kind::Punctuation => {
                        if self.flags.punctuation {
                            let offset = sentence.samples.len() as u64;
                            sentence
                                .events
                                .push((offset, boundary("PunctuationBoundary", word, 0, 0)));
                        }
                        if !token.ends_sentence {
                            sentence.samples.extend(self.silence(CLAUSE_PAUSE_MS));
                        }
                    }
                }
            } else {
                let range = pending.get_or_insert((token.start, token.end));
                range.1 = token.end;
            }
            if token.ends_sentence {
                self.flush_pending(voice, segment, &mut pending, &mut sentence)?;
                let start = sentence_start.take().unwrap_or(token.start);
                self.emit_sentence(&text[start..token.end], &mut sentence)?;
                if self.total >= MAX_AUDIO_SECS * u64::from(self.rate()) {
                    return Err(Stop::Done);
                }
            }
        }
        for (_, name) in marks {
            if self.flags.bookmark {
                self.metadata(json!({"Type": "Bookmark", "Data": {"Offset": self.ticks(self.total), "Bookmark": name}}))?;
            }
        }
        Ok(())
    }

    /// Render the pending tokens of a sentence (sentence mode) as one stretch.
    fn flush_pending(
        &self,
        voice: &voices::Voice,
        segment: &ssml::Segment,
        pending: &mut Option<(usize, usize)>,
        sentence: &mut Rendered,
    ) -> Result<(), Stop> {
        if let Some((from, to)) = pending.take() {
            let samples = self.render(voice, segment.rate, &segment.text[from..to])?;
            sentence.samples.extend_from_slice(&samples);
            sentence.samples.extend(self.silence(WORD_GAP_MS));
        }
        Ok(())
    }

    /// The visemes of a word spoken from `offset` for `len` samples: its phonemes' ids spread evenly over it,
    /// then silence (0) at its end.
    fn visemes(
        &self,
        voice: &voices::Voice,
        word: &str,
        offset: u64,
        len: u64,
        events: &mut Vec<(u64, Value)>,
    ) {
        let ids = self
            .state
            .synthesizer
            .phonemes(word, voice.locale)
            .map(|ipa| words::visemes_of_ipa(&ipa))
            .filter(|ids| !ids.is_empty())
            .unwrap_or_else(|| words::visemes_of_letters(word));
        let n = ids.len().max(1) as u64;
        for (k, id) in ids.into_iter().enumerate() {
            let at = offset + len * k as u64 / n;
            events.push((at, viseme(id)));
        }
        events.push((offset + len, viseme(0)));
    }

    /// The length of `samples` without their trailing silence.
    fn spoken_len(samples: &[i16]) -> usize {
        samples.len() - samples.iter().rev().take_while(|&&s| s == 0).count()
    }

    /// Send what a sentence has spoken so far (its events and audio), keeping the silence after it, which may
    /// yet become the pause after the sentence.
    fn send_spoken(&mut self, sentence: &mut Rendered) -> Result<(), Stop> {
        let spoken = Self::spoken_len(&sentence.samples);
        let rest = sentence.samples.split_off(spoken);
        let done = std::mem::replace(&mut sentence.samples, rest);
        self.send_rendered(done, &mut sentence.events)
    }

    /// Send `events` (offsets relative to `samples`) in time order, then `samples`.
    fn send_rendered(
        &mut self,
        samples: Vec<i16>,
        events: &mut Vec<(u64, Value)>,
    ) -> Result<(), Stop> {
        let base = self.total;
        events.sort_by_key(|(at, _)| *at);
        for (at, mut entry) in events.drain(..) {
            let data = &mut entry["Data"];
            data["Offset"] = json!(self.ticks(base + at));
            if let Some(duration) = data.get("Duration").and_then(Value::as_u64) {
                data["Duration"] = json!(self.ticks(duration));
            }
            self.metadata(entry)?;
        }
        self.total += samples.len() as u64;
        if self.format.container == Container::Raw {
            let pcm = Pcm {
                sample_rate: self.rate(),
                samples,
            };
            let audio = formats::encode(self.format, &pcm).map_err(|_| Stop::Engine)?;
            self.send_audio(&audio)?;
        } else {
            self.whole.extend_from_slice(&samples);
        }
        Ok(())
    }

    /// Send a rendered sentence: its boundary, its events in time order, and its audio; then the pause after it.
    fn emit_sentence(&mut self, text: &str, sentence: &mut Rendered) -> Result<(), Stop> {
        // Trailing silence after the last piece is the pause after the sentence, not part of it.
        let spoken = Self::spoken_len(&sentence.samples) as u64;
        sentence.samples.truncate(spoken as usize);
        sentence.samples.extend(self.silence(SENTENCE_PAUSE_MS));
        let base = self.total;
        if self.flags.sentence && spoken > 0 {
            self.metadata(json!({"Type": "SentenceBoundary", "Data": {
                "Offset": self.ticks(base),
                "Duration": self.ticks(spoken),
                "text": {"Text": text, "Length": text.chars().count(), "BoundaryType": "SentenceBoundary"},
            }}))?;
        }
        let samples = std::mem::take(&mut sentence.samples);
        self.send_rendered(samples, &mut sentence.events)
    }
}

/// A boundary entry; `Offset` is filled in when the sentence is sent, `Duration` is in samples until then.
fn boundary(kind: &str, text: &str, offset: u64, duration: u64) -> Value {
    json!({"Type": "WordBoundary", "Data": {
        "Offset": offset,
        "Duration": duration,
        "text": {"Text": text, "Length": text.chars().count(), "BoundaryType": kind},
    }})
}

fn viseme(id: u16) -> Value {
    json!({"Type": "Viseme", "Data": {"Offset": 0, "VisemeId": id, "IsLastAnimation": true}})
}

/// Cut leading and trailing silence (below 1/50 of the peak), keeping 10 ms on each side.
fn trim_silence(samples: &mut Vec<i16>, rate: u32) {
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if peak == 0 {
        samples.clear();
        return;
    }
    let threshold = (peak / 50).max(64);
    let loud = |s: &i16| s.unsigned_abs() > threshold;
    let margin = rate as usize / 100;
    let first = samples
        .iter()
        .position(loud)
        .unwrap_or(0)
        .saturating_sub(margin);
    let last = samples
        .iter()
        .rposition(loud)
        .map_or(samples.len(), |i| (i + margin + 1).min(samples.len()));
    samples.truncate(last);
    samples.drain(..first);
    // The last sample of a piece is never exactly 0, so that the sentence's pause is told from its speech.
    if let Some(s) = samples.last_mut() {
        if *s == 0 {
            *s = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_booleans_or_strings() {
        let c = read_context(
            "A".into(),
            br#"{"synthesis":{"audio":{"metadataOptions":{"wordBoundaryEnabled":"true","visemeEnabled":true,"bookmarkEnabled":"false"},"outputFormat":"raw-24khz-16bit-mono-pcm"}}}"#,
        )
        .unwrap();
        assert!(c.flags.word && c.flags.viseme && !c.flags.bookmark && !c.flags.sentence);
        assert_eq!(c.format.as_deref(), Some("raw-24khz-16bit-mono-pcm"));
        assert!(read_context("A".into(), b"[1]").is_err());
        assert!(read_context("A".into(), b"{}").is_ok());
    }

    #[test]
    fn silence_is_trimmed_with_a_margin() {
        let mut s = vec![0i16; 1000];
        s.extend([1000i16; 100]);
        s.extend([0i16; 1000]);
        trim_silence(&mut s, 16_000);
        assert_eq!(s.len(), 100 + 2 * 160);
        assert_eq!(*s.last().unwrap(), 1);
        let mut quiet = vec![0i16; 10];
        trim_silence(&mut quiet, 16_000);
        assert!(quiet.is_empty());
    }

    #[test]
    fn frames_carry_the_headers_the_sdks_need() {
        let f = audio_frame("ID", "audio/x-wav", "S", &[1, 2]);
        let len = usize::from(u16::from_be_bytes([f[0], f[1]]));
        let head = std::str::from_utf8(&f[2..2 + len]).unwrap();
        assert_eq!(
            head,
            "X-RequestId:ID\r\nContent-Type:audio/x-wav\r\nX-StreamId:S\r\nPath:audio\r\n"
        );
        assert_eq!(&f[2 + len..], &[1, 2]);
        assert!(text_frame("ID", "turn.end", "{}").ends_with("Path:turn.end\r\n\r\n{}"));
        assert!(Refuse::new(1007, "x".repeat(300)).1.len() < 100);
    }
}
