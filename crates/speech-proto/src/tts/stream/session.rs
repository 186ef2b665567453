//! [`SynthesisSession`]: syntheses over one WebSocket connection, one after another, sans IO.
//!
//! The driver runs it through the [`Session`] trait like a recognition session (connect, send, read, close, at
//! the times it asks). [`speak`](SynthesisSession::speak) queues a synthesis; each runs as its own turn with its
//! own `X-RequestId`: `synthesis.context` and `ssml` go up (after `speech.config`, once per connection), and the
//! service answers `turn.start`, `response`, binary `audio` and `audio.metadata` messages, then `turn.end`. Every
//! synthesis' events end with [`SynthesisEvent::Completed`] or [`SynthesisEvent::Failed`].
//!
//! The connection stays open between syntheses and is replaced before the next one once it is older than
//! [`SynthesisSettings::connection_lifetime`] (the service closes connections at about 10 minutes). A synthesis
//! whose connection fails before any of its audio came is tried again on a new connection (with a new request
//! id, as the native SDK does); one that fails after audio came is [`Failed`](SynthesisEvent::Failed), and the
//! next synthesis connects anew. Close 1007 (the service refused the SSML, the voice or the format) is
//! [`StreamError::SynthesisRefused`] with the service's reason.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::error::{parse_error_response, Error, Service, StreamError};
use crate::retry::RetryPolicy;
use crate::stt::stream::frame::{decode_binary, decode_text, FrameError, Timestamp};
use crate::ws::{Action, ConnectFailure, Ids, Session};

use super::metadata::{parse_metadata, BoundaryKind, Metadata};
use super::request::{
    config_message, context_message, find_text, handshake, ssml_message, OffsetsInto, SpeakRequest,
    SynthesisPath,
};

/// A synthesis session's settings.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SynthesisSettings {
    /// The WebSocket path (default: [`SynthesisPath::Current`]).
    pub path: SynthesisPath,
    /// How long a connection is used for new syntheses (default 9 min; the service ends connections at about
    /// 10 min).
    pub connection_lifetime: Duration,
    /// How long the service may stay silent while a synthesis is under way before the connection counts as
    /// broken (default 30 s).
    pub service_timeout: Duration,
    /// Connection attempts for one synthesis, and their backoff (default: 3 attempts, 0.5 s doubling).
    pub reconnect: RetryPolicy,
    /// Syntheses queued at most (default 64): [`speak`](SynthesisSession::speak) refuses more.
    pub max_queued: usize,
}

impl Default for SynthesisSettings {
    fn default() -> Self {
        SynthesisSettings {
            path: SynthesisPath::Current,
            connection_lifetime: Duration::from_secs(9 * 60),
            service_timeout: Duration::from_secs(30),
            reconnect: RetryPolicy::default().max_attempts(3),
            max_queued: 64,
        }
    }
}

/// A word, punctuation or sentence boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Boundary {
    /// Word, punctuation or sentence.
    pub kind: BoundaryKind,
    /// Where it starts in this synthesis' audio.
    pub offset: Duration,
    /// How long it is spoken.
    pub duration: Duration,
    /// The text, as in the input.
    pub text: String,
    /// Its byte offset in the input (the plain text of [`SpeakRequest::text`], else the SSML), found as
    /// Microsoft's SDKs find it: the next occurrence after the last boundary of the same kind. `None` when the
    /// input does not hold it as the service wrote it (e.g. it is escaped in the SSML).
    pub text_offset: Option<usize>,
}

/// What happened, in order. The events of one synthesis run from [`Started`](SynthesisEvent::Started) (or
/// straight to [`Failed`](SynthesisEvent::Failed)) to [`Completed`](SynthesisEvent::Completed) or `Failed`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SynthesisEvent {
    /// A connection opened.
    Connected {
        /// Its `X-ConnectionId`.
        connection_id: String,
    },
    /// The service started the synthesis (`turn.start`).
    Started {
        /// Its `X-RequestId`.
        request_id: String,
    },
    /// Audio, as it is made, in the wire format ([`SpeakRequest::wire_format`]).
    Audio(Vec<u8>),
    /// A word, punctuation or sentence boundary.
    Boundary(Boundary),
    /// A bookmark was reached.
    Bookmark {
        /// Where, in this synthesis' audio.
        offset: Duration,
        /// The mark's name.
        name: String,
    },
    /// A viseme: the mouth position from this instant on.
    Viseme {
        /// Where, in this synthesis' audio.
        offset: Duration,
        /// Azure's viseme id (0–21).
        id: u16,
        /// The animation (the chunks up to the last one, joined), when the SSML asked for one.
        animation: Option<String>,
    },
    /// The synthesis is complete (`turn.end`).
    Completed {
        /// Its `X-RequestId`.
        request_id: String,
        /// The audio's length, as the service said (`SessionEnd`).
        audio_duration: Option<Duration>,
        /// Audio bytes received.
        audio_bytes: u64,
    },
    /// The synthesis failed; the session goes on with the next one.
    Failed(Error),
    /// The synthesis is tried again on a new connection (no audio of it had come).
    Reconnecting {
        /// Why.
        reason: Error,
        /// After how long.
        after: Duration,
    },
}

fn ticks(t: u64) -> Duration {
    Duration::from_nanos(t.saturating_mul(100))
}

#[derive(Debug)]
struct Current {
    request: SpeakRequest,
    id: String,
    sent: bool,
    started: bool,
    audio_bytes: u64,
    audio_duration: Option<Duration>,
    attempts: u32,
    refreshed: bool,
    word_cursor: usize,
    sentence_cursor: usize,
    animation: String,
}

#[derive(Debug)]
struct Open {
    since: Instant,
    last_heard: Instant,
    config_sent: bool,
    stream_id: Option<String>,
    /// Waiting for the service since this instant.
    owed_since: Option<Instant>,
}

#[derive(Debug)]
enum Conn {
    Idle { at: Option<Instant> },
    Connecting,
    Open(Open),
    Done,
}

/// Syntheses over one connection: see the [module documentation](self).
#[derive(Debug)]
pub struct SynthesisSession {
    endpoint: Endpoint,
    settings: SynthesisSettings,
    ids: Ids,
    queue: VecDeque<SpeakRequest>,
    current: Option<Current>,
    conn: Conn,
    closing: bool,
    events: VecDeque<SynthesisEvent>,
    actions: VecDeque<Action>,
    connections: u32,
    /// The id of the connection being opened, or open.
    connection_id: String,
}

impl SynthesisSession {
    /// A session on `endpoint`. `seed` is random (the core has no randomness): connection and request ids and
    /// WebSocket keys derive from it.
    pub fn new(endpoint: Endpoint, settings: SynthesisSettings, seed: u128) -> Self {
        SynthesisSession {
            endpoint,
            settings,
            ids: Ids::new(seed),
            queue: VecDeque::new(),
            current: None,
            conn: Conn::Idle { at: None },
            closing: false,
            events: VecDeque::new(),
            actions: VecDeque::new(),
            connections: 0,
            connection_id: String::new(),
        }
    }

    /// Queue a synthesis.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidValue`](crate::error::Misuse::InvalidValue) when
    /// [`SynthesisSettings::max_queued`] are waiting, or after [`close`](Self::close).
    pub fn speak(&mut self, request: SpeakRequest) -> Result<(), Error> {
        if self.closing || self.is_ended() {
            return Err(crate::error::Misuse::InvalidValue {
                name: "synthesis",
                reason: "the synthesizer is closed".to_owned(),
            }
            .into());
        }
        if self.queue.len() >= self.settings.max_queued {
            return Err(crate::error::Misuse::InvalidValue {
                name: "synthesis",
                reason: format!("{} syntheses are already queued", self.queue.len()),
            }
            .into());
        }
        self.queue.push_back(request);
        Ok(())
    }

    /// No more syntheses: the session ends (closing its connection) once the queued ones are done.
    pub fn close(&mut self) {
        self.closing = true;
    }

    /// Whether a synthesis is under way or queued.
    pub fn is_busy(&self) -> bool {
        self.current.is_some() || !self.queue.is_empty()
    }

    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// Whether the session is over.
    pub fn is_ended(&self) -> bool {
        matches!(self.conn, Conn::Done)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SynthesisEvent> {
        self.events.pop_front()
    }

    fn new_current(&mut self, request: SpeakRequest) -> Current {
        Current {
            request,
            id: self.ids.next_id(),
            sent: false,
            started: false,
            audio_bytes: 0,
            audio_duration: None,
            attempts: 0,
            refreshed: false,
            word_cursor: 0,
            sentence_cursor: 0,
            animation: String::new(),
        }
    }

    fn close_connection(&mut self, code: u16, reason: &'static str) {
        if matches!(self.conn, Conn::Open(_) | Conn::Connecting) {
            self.actions.push_back(Action::Close { code, reason });
        }
    }

    /// What to do now. `wall` is the wall-clock time for `X-Timestamp`.
    pub fn poll_action(&mut self, now: Instant, wall: Timestamp) -> Option<Action> {
        if let Some(a) = self.actions.pop_front() {
            return Some(a);
        }
        if self.current.is_none() {
            if let Some(request) = self.queue.pop_front() {
                self.current = Some(self.new_current(request));
            }
        }
        let Some(current) = self.current.as_mut() else {
            if self.closing && !self.is_ended() {
                self.close_connection(1000, "Normal closure by client");
                self.conn = Conn::Done;
                return self.actions.pop_front();
            }
            return None;
        };
        match &mut self.conn {
            Conn::Done | Conn::Connecting => None,
            Conn::Idle { at } => {
                if at.is_some_and(|at| now < at) {
                    return None;
                }
                let connection_id = self.ids.next_id();
                let key = self.ids.next_key();
                match handshake(&self.endpoint, self.settings.path, &key, &connection_id) {
                    Ok(request) => {
                        self.conn = Conn::Connecting;
                        self.connection_id = connection_id;
                        Some(Action::Connect(request))
                    }
                    Err(e) => {
                        self.current = None;
                        self.events.push_back(SynthesisEvent::Failed(e));
                        None
                    }
                }
            }
            Conn::Open(open) => {
                if current.sent {
                    return None;
                }
                if now >= open.since + self.settings.connection_lifetime {
                    // Too old for a new synthesis: move to a new connection first.
                    self.close_connection(1000, "Normal closure by client");
                    self.conn = Conn::Idle { at: None };
                    return self.actions.pop_front();
                }
                current.sent = true;
                open.owed_since = Some(now);
                if !open.config_sent {
                    open.config_sent = true;
                    self.actions
                        .push_back(Action::SendText(config_message(&current.id, wall)));
                }
                self.actions.push_back(Action::SendText(context_message(
                    &current.request,
                    &current.id,
                    wall,
                )));
                self.actions.push_back(Action::SendText(ssml_message(
                    &current.request,
                    &current.id,
                    wall,
                )));
                self.actions.pop_front()
            }
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) at the latest: a reconnect, the service's silence.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.conn {
            Conn::Idle { at } if self.is_busy() => *at,
            Conn::Open(open) => open
                .owed_since
                .map(|since| since.max(open.last_heard) + self.settings.service_timeout),
            _ => None,
        }
    }

    /// Time has passed: the service's silence.
    pub fn handle_timeout(&mut self, now: Instant, jitter: f64) {
        let Conn::Open(open) = &self.conn else {
            return;
        };
        if let Some(since) = open.owed_since {
            let waited = now.saturating_duration_since(since.max(open.last_heard));
            if waited >= self.settings.service_timeout {
                self.close_connection(1000, "The service did not answer");
                self.lost(now, StreamError::ServiceSilent { waited }.into(), jitter);
            }
        }
    }

    /// The handshake succeeded.
    pub fn handle_connected(&mut self, now: Instant, _wall: Timestamp) {
        if !matches!(self.conn, Conn::Connecting) {
            return;
        }
        self.connections += 1;
        self.conn = Conn::Open(Open {
            since: now,
            last_heard: now,
            config_sent: false,
            stream_id: None,
            owed_since: None,
        });
        self.events.push_back(SynthesisEvent::Connected {
            connection_id: self.connection_id.clone(),
        });
    }

    /// The handshake failed. A 401/403 asks once for a fresh credential and tries again; 408, 429 and 5xx, and
    /// no answer that another attempt may change, retry with backoff; anything else fails the synthesis.
    pub fn handle_connect_failed(&mut self, now: Instant, failure: ConnectFailure, jitter: f64) {
        if !matches!(self.conn, Conn::Connecting) {
            return;
        }
        self.conn = Conn::Idle { at: None };
        let error = match failure {
            ConnectFailure::Status {
                status,
                headers,
                body,
            } => {
                let error =
                    parse_error_response(Service::StreamingSynthesis, status, &headers, &body);
                match status.as_u16() {
                    401 | 403 => {
                        if let Some(current) = self.current.as_mut().filter(|c| !c.refreshed) {
                            current.refreshed = true;
                            self.actions.push_back(Action::RefreshCredential);
                            return;
                        }
                        return self.fail(error);
                    }
                    408 | 429 | 500..=599 => error,
                    _ => return self.fail(error),
                }
            }
            ConnectFailure::Transport(e) if !e.failure.can_pass() => {
                return self.fail(Error::Transport(e))
            }
            ConnectFailure::Transport(e) => Error::Transport(e),
            ConnectFailure::Credential(e) if e.is_retryable() => e,
            ConnectFailure::Credential(e) => return self.fail(e),
        };
        self.retry(now, error, jitter);
    }

    /// The current synthesis failed: report it, and forget the connection's state for the next one.
    fn fail(&mut self, error: Error) {
        if self.current.take().is_some() {
            self.events.push_back(SynthesisEvent::Failed(error));
        }
    }

    /// Try the current synthesis again on a new connection, with a new request id, or fail it when its
    /// attempts are used up.
    fn retry(&mut self, now: Instant, error: Error, jitter: f64) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        current.attempts += 1;
        if current.attempts >= self.settings.reconnect.max_attempts {
            return self.fail(error);
        }
        let after = self
            .settings
            .reconnect
            .backoff_delay(current.attempts, jitter);
        current.id = self.ids.next_id();
        current.sent = false;
        current.started = false;
        self.conn = Conn::Idle {
            at: Some(now + after),
        };
        self.events.push_back(SynthesisEvent::Reconnecting {
            reason: error,
            after,
        });
    }

    /// The connection is gone. The synthesis under way is tried again when none of its audio came and the
    /// error may pass; otherwise it fails.
    fn lost(&mut self, now: Instant, error: Error, jitter: f64) {
        if self.is_ended() {
            return;
        }
        self.conn = Conn::Idle { at: None };
        match &self.current {
            Some(c) if c.sent && c.audio_bytes == 0 && error.is_retryable() => {
                self.retry(now, error, jitter)
            }
            Some(c) if c.sent => self.fail(error),
            _ => {}
        }
    }

    fn protocol_broken(&mut self, now: Instant, error: FrameError, jitter: f64) {
        if matches!(self.conn, Conn::Open(_)) {
            self.close_connection(1002, "Protocol error");
            self.lost(now, StreamError::Frame(error).into(), jitter);
        }
    }

    /// The connection closed: with the service's close frame `(code, reason)`, or without one (it broke).
    /// 1007 is [`StreamError::SynthesisRefused`]; any close during a synthesis ends it (1000 too: the service
    /// owed its `turn.end`).
    pub fn handle_closed(&mut self, now: Instant, close: Option<(u16, String)>, jitter: f64) {
        if !matches!(self.conn, Conn::Open(_) | Conn::Connecting) {
            return;
        }
        let (code, reason) = close.unwrap_or((1006, String::new()));
        let error: Error = if code == 1007 && !StreamError::is_throttling(&reason) {
            StreamError::SynthesisRefused { reason }.into()
        } else {
            StreamError::Closed { code, reason }.into()
        };
        self.lost(now, error, jitter);
    }

    /// A binary frame: audio of the synthesis under way (others are ignored).
    pub fn handle_binary(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        let message = match decode_binary(frame) {
            Ok(m) => m,
            Err(e) => return self.protocol_broken(now, e, jitter),
        };
        let (Conn::Open(open), Some(current)) = (&mut self.conn, self.current.as_mut()) else {
            return;
        };
        open.last_heard = now;
        let ours = message
            .request_id()
            .is_some_and(|id| id.eq_ignore_ascii_case(&current.id));
        if !ours
            || !current.sent
            || !message
                .path()
                .is_some_and(|p| p.eq_ignore_ascii_case("audio"))
        {
            return;
        }
        // When the service named the stream, audio of another stream is not this synthesis'.
        if let (Some(want), Some(got)) = (&open.stream_id, message.header("x-streamid")) {
            if !want.eq_ignore_ascii_case(got) {
                return;
            }
        }
        if message.body.is_empty() {
            return;
        }
        current.audio_bytes += message.body.len() as u64;
        self.events.push_back(SynthesisEvent::Audio(message.body));
    }

    /// A text frame: the turn's messages (others are ignored). A frame that breaks the framing, or
    /// `audio.metadata` that does not parse, counts as a broken connection.
    pub fn handle_text(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        let message = match decode_text(frame) {
            Ok(m) => m,
            Err(e) => return self.protocol_broken(now, e, jitter),
        };
        let (Conn::Open(open), Some(current)) = (&mut self.conn, self.current.as_mut()) else {
            return;
        };
        open.last_heard = now;
        let ours = message
            .request_id()
            .is_some_and(|id| id.eq_ignore_ascii_case(&current.id));
        if !ours || !current.sent {
            return;
        }
        let path = message.path().unwrap_or_default().to_ascii_lowercase();
        match path.as_str() {
            "turn.start" if !current.started => {
                current.started = true;
                self.events.push_back(SynthesisEvent::Started {
                    request_id: current.id.clone(),
                });
            }
            "response" => {
                let stream = serde_json::from_slice::<Value>(&message.body)
                    .ok()
                    .and_then(|v| {
                        v.get("audio")?
                            .get("streamId")?
                            .as_str()
                            .map(|s| s.chars().take(128).collect::<String>())
                    });
                if stream.is_some() {
                    open.stream_id = stream;
                }
            }
            "audio.metadata" => match parse_metadata(&message.body) {
                Ok(entries) => {
                    for entry in entries {
                        if let Some(event) = metadata_event(current, entry) {
                            self.events.push_back(event);
                        }
                    }
                }
                Err(_) => self.protocol_broken(now, FrameError::MissingHeader("Metadata"), jitter),
            },
            "turn.end" => {
                open.owed_since = None;
                let Some(current) = self.current.take() else {
                    return;
                };
                self.events.push_back(SynthesisEvent::Completed {
                    request_id: current.id,
                    audio_duration: current.audio_duration,
                    audio_bytes: current.audio_bytes,
                });
            }
            _ => {}
        }
    }
}

/// The event for one metadata entry, with its text offset found in the input.
fn metadata_event(current: &mut Current, entry: Metadata) -> Option<SynthesisEvent> {
    let skip_tags = matches!(current.request.offsets, OffsetsInto::Ssml);
    Some(match entry {
        Metadata::Boundary {
            kind,
            offset_ticks,
            duration_ticks,
            text,
        } => {
            let input = current.request.offsets_input();
            let cursor = match kind {
                BoundaryKind::Sentence => &mut current.sentence_cursor,
                _ => &mut current.word_cursor,
            };
            let text_offset = find_text(input, &text, *cursor, skip_tags);
            if let Some(at) = text_offset {
                *cursor = at + text.len();
            }
            SynthesisEvent::Boundary(Boundary {
                kind,
                offset: ticks(offset_ticks),
                duration: ticks(duration_ticks),
                text,
                text_offset,
            })
        }
        Metadata::Bookmark { offset_ticks, name } => SynthesisEvent::Bookmark {
            offset: ticks(offset_ticks),
            name,
        },
        Metadata::Viseme {
            offset_ticks,
            id,
            animation_chunk,
            is_last_animation,
        } => {
            if let Some(chunk) = animation_chunk {
                if current.animation.len() + chunk.len() <= 16 << 20 {
                    current.animation.push_str(&chunk);
                }
            }
            if !is_last_animation {
                return None;
            }
            let animation = std::mem::take(&mut current.animation);
            SynthesisEvent::Viseme {
                offset: ticks(offset_ticks),
                id,
                animation: (!animation.is_empty()).then_some(animation),
            }
        }
        Metadata::SessionEnd { offset_ticks } => {
            current.audio_duration = Some(ticks(offset_ticks));
            return None;
        }
        _ => return None,
    })
}

/// The most audio a [`Collector`] keeps (64 MiB: ten minutes, the service's cap, at 48 kHz 16-bit is 55 MiB).
pub const MAX_COLLECTED_AUDIO: usize = 64 << 20;

/// A whole synthesis, collected: the audio (with its RIFF header for a `riff-*` format) and the events.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Synthesis {
    /// The synthesis' `X-RequestId`.
    pub request_id: String,
    /// The audio, in the format asked for.
    pub audio: Vec<u8>,
    /// The events other than audio ([`SynthesisEvent::Boundary`], [`Bookmark`](SynthesisEvent::Bookmark),
    /// [`Viseme`](SynthesisEvent::Viseme)), in order.
    pub events: Vec<SynthesisEvent>,
    /// The audio's length, as the service said.
    pub audio_duration: Option<Duration>,
}

/// Collects one synthesis' events into a [`Synthesis`], for drivers' "speak and wait" calls.
#[derive(Debug)]
pub struct Collector {
    format: crate::synthesize::OutputFormat,
    audio: Vec<u8>,
    events: Vec<SynthesisEvent>,
    overflow: bool,
}

impl Collector {
    /// A collector for a synthesis of `request`.
    pub fn new(request: &SpeakRequest) -> Self {
        Collector {
            format: request.output_format(),
            audio: Vec::new(),
            events: Vec::new(),
            overflow: false,
        }
    }

    /// Take the next event of the synthesis; the result once it is over.
    ///
    /// # Errors
    ///
    /// The synthesis' failure, or [`Misuse::InvalidValue`](crate::error::Misuse::InvalidValue) when its audio
    /// is over [`MAX_COLLECTED_AUDIO`] (use the events instead, and write the audio as it comes).
    pub fn push(&mut self, event: SynthesisEvent) -> Option<Result<Synthesis, Error>> {
        match event {
            SynthesisEvent::Audio(chunk) => {
                if self.audio.len() + chunk.len() > MAX_COLLECTED_AUDIO {
                    self.overflow = true;
                } else {
                    self.audio.extend_from_slice(&chunk);
                }
            }
            SynthesisEvent::Completed {
                request_id,
                audio_duration,
                ..
            } => {
                if self.overflow {
                    return Some(Err(crate::error::Misuse::InvalidValue {
                        name: "synthesis",
                        reason: format!(
                            "its audio is over {MAX_COLLECTED_AUDIO} bytes: take the events and write the audio as it comes"
                        ),
                    }
                    .into()));
                }
                let mut audio = std::mem::take(&mut self.audio);
                if let Some(header) = super::request::riff_header(self.format, audio.len() as u64) {
                    audio.splice(0..0, header);
                }
                return Some(Ok(Synthesis {
                    request_id,
                    audio,
                    events: std::mem::take(&mut self.events),
                    audio_duration,
                }));
            }
            SynthesisEvent::Failed(e) => return Some(Err(e)),
            e @ (SynthesisEvent::Boundary(_)
            | SynthesisEvent::Bookmark { .. }
            | SynthesisEvent::Viseme { .. }) => self.events.push(e),
            _ => {}
        }
        None
    }
}

/// Whether `event` ends a synthesis.
pub fn is_last(event: &SynthesisEvent) -> bool {
    matches!(
        event,
        SynthesisEvent::Completed { .. } | SynthesisEvent::Failed(_)
    )
}

/// The spoken audio as a [`Transcript`](crate::stt::Transcript), for captions: a phrase per sentence boundary
/// (its text and times) with the word boundaries inside it as its timed words, so that
/// [`to_srt`](crate::stt::Transcript::to_srt) and [`to_webvtt`](crate::stt::Transcript::to_webvtt) cut cues at
/// sentences and between words. A word keeps the punctuation that follows it in its sentence (and what opens
/// the sentence before it), so that cues read as the text does. Without sentence boundaries, the words make one
/// phrase.
pub fn transcript_of(events: &[SynthesisEvent]) -> crate::stt::Transcript {
    use crate::stt::{Phrase, TimedWord, Transcript};
    let boundaries = || {
        events.iter().filter_map(|e| match e {
            SynthesisEvent::Boundary(b) => Some(b),
            _ => None,
        })
    };
    let words: Vec<&Boundary> = boundaries()
        .filter(|b| b.kind == BoundaryKind::Word)
        .collect();
    let timed = |from: Duration, to: Duration| -> Vec<TimedWord> {
        words
            .iter()
            .filter(|w| w.offset >= from && w.offset < to)
            .map(|w| TimedWord {
                text: w.text.clone(),
                offset: w.offset,
                duration: w.duration,
                confidence: None,
            })
            .collect()
    };
    let status = || crate::stt::short::RecognitionStatus::Success;
    let mut transcript = Transcript::new(None);
    let sentences: Vec<&Boundary> = boundaries()
        .filter(|b| b.kind == BoundaryKind::Sentence)
        .collect();
    if sentences.is_empty() {
        if let (Some(first), Some(last)) = (words.first(), words.last()) {
            let end = last.offset + last.duration;
            let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
            let mut phrase =
                Phrase::new(first.offset, end - first.offset, text.join(" "), status());
            phrase.words = timed(first.offset, end + Duration::from_nanos(1));
            transcript.push(phrase);
        }
        return transcript;
    }
    for s in sentences {
        let mut phrase = Phrase::new(s.offset, s.duration, s.text.clone(), status());
        phrase.words = timed(s.offset, s.offset + s.duration + Duration::from_nanos(1));
        punctuate(&s.text, &mut phrase.words);
        transcript.push(phrase);
    }
    transcript
}

/// Give each of a sentence's `words` its punctuation from `sentence`: the marks right before it (`¿`, an
/// opening quote), right after it (`,`, `?`), and the marks standing alone after it (` -- `). Words are found
/// in order; a word the sentence does not hold (as written) keeps its own text.
fn punctuate(sentence: &str, words: &mut [crate::stt::TimedWord]) {
    let is_mark = |c: char| !c.is_whitespace() && !c.is_alphanumeric();
    let mut from = 0;
    for w in words.iter_mut() {
        if w.text.is_empty() {
            continue;
        }
        let Some(at) = sentence
            .get(from..)
            .and_then(|rest| rest.find(w.text.as_str()))
            .map(|at| from + at)
        else {
            continue;
        };
        let before = &sentence[from..at];
        let start = at - before.len() + before.trim_end_matches(is_mark).len();
        let mut end = at + w.text.len();
        end += sentence[end..].len() - sentence[end..].trim_start_matches(is_mark).len();
        // Marks standing alone (` -- `) until the next word.
        loop {
            let rest = &sentence[end..];
            let token_start = rest.len() - rest.trim_start().len();
            let token = rest[token_start..]
                .split(char::is_whitespace)
                .next()
                .unwrap_or_default();
            if token.is_empty() || !token.chars().all(is_mark) {
                break;
            }
            end += token_start + token.len();
        }
        w.text = sentence[start..end].to_owned();
        from = end;
    }
}

impl Session for SynthesisSession {
    type Event = SynthesisEvent;

    fn poll_action(&mut self, now: Instant, wall: Timestamp) -> Option<Action> {
        SynthesisSession::poll_action(self, now, wall)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        SynthesisSession::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant, jitter: f64) {
        SynthesisSession::handle_timeout(self, now, jitter)
    }
    fn handle_connected(&mut self, now: Instant, wall: Timestamp) {
        SynthesisSession::handle_connected(self, now, wall)
    }
    fn handle_connect_failed(&mut self, now: Instant, failure: ConnectFailure, jitter: f64) {
        SynthesisSession::handle_connect_failed(self, now, failure, jitter)
    }
    fn handle_text(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        SynthesisSession::handle_text(self, now, frame, jitter)
    }
    fn handle_binary(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        SynthesisSession::handle_binary(self, now, frame, jitter)
    }
    fn handle_closed(&mut self, now: Instant, close: Option<(u16, String)>, jitter: f64) {
        SynthesisSession::handle_closed(self, now, close, jitter)
    }
    fn poll_event(&mut self) -> Option<SynthesisEvent> {
        SynthesisSession::poll_event(self)
    }
    fn is_ended(&self) -> bool {
        SynthesisSession::is_ended(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boundary(
        kind: BoundaryKind,
        text: &str,
        offset_ms: u64,
        duration_ms: u64,
    ) -> SynthesisEvent {
        SynthesisEvent::Boundary(Boundary {
            kind,
            offset: Duration::from_millis(offset_ms),
            duration: Duration::from_millis(duration_ms),
            text: text.to_owned(),
            text_offset: None,
        })
    }

    fn words_of(events: &[SynthesisEvent]) -> Vec<Vec<String>> {
        transcript_of(events)
            .phrases
            .iter()
            .map(|p| p.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    #[test]
    fn caption_words_keep_their_punctuation() {
        use BoundaryKind::{Punctuation, Sentence, Word};
        let events = [
            boundary(Sentence, "¿Qué tal, amigo?", 0, 1000),
            boundary(Word, "Qué", 0, 200),
            boundary(Word, "tal", 300, 200),
            boundary(Punctuation, ",", 500, 0),
            boundary(Word, "amigo", 600, 300),
            boundary(Sentence, "Say \"hi\" -- twice!", 1500, 900),
            boundary(Word, "Say", 1500, 200),
            boundary(Word, "hi", 1800, 200),
            boundary(Word, "twice", 2100, 300),
        ];
        assert_eq!(
            words_of(&events),
            [
                vec!["¿Qué", "tal,", "amigo?"],
                vec!["Say", "\"hi\" --", "twice!"]
            ]
        );
        let timed = transcript_of(&events);
        assert_eq!(
            timed.phrases[1].words[1].offset,
            Duration::from_millis(1800)
        );
    }

    #[test]
    fn words_the_sentence_does_not_hold_keep_their_text() {
        use BoundaryKind::{Sentence, Word};
        let events = [
            boundary(Sentence, "Fish and chips. 你好世界。", 0, 2000),
            boundary(Word, "Fish", 0, 200),
            boundary(Word, "&", 300, 100),
            boundary(Word, "chips", 500, 300),
            boundary(Word, "", 900, 10),
            boundary(Word, "你好", 1000, 300),
            boundary(Word, "世界", 1400, 300),
        ];
        assert_eq!(
            words_of(&events),
            [vec!["Fish", "&", "chips.", "", "你好", "世界。"]]
        );
    }

    proptest::proptest! {
        #[test]
        fn punctuating_never_panics_and_keeps_every_word(
            sentence in "[ a-c,.¿?\"你好-]{0,40}",
            words in proptest::collection::vec("[a-c你好,]{0,3}", 0..8),
        ) {
            let mut timed: Vec<crate::stt::TimedWord> = words
                .iter()
                .map(|text| crate::stt::TimedWord {
                    text: text.clone(),
                    offset: Duration::ZERO,
                    duration: Duration::ZERO,
                    confidence: None,
                })
                .collect();
            punctuate(&sentence, &mut timed);
            for (word, timed) in words.iter().zip(&timed) {
                proptest::prop_assert!(timed.text.contains(word.as_str()));
            }
        }
    }
}
