//! [`StreamSession`]: one streaming recognition, sans IO, across as many WebSocket connections as it takes.
//!
//! The driver owns the sockets and the clock. It loops:
//!
//! 1. [`poll_action`](StreamSession::poll_action): connect (a handshake request to authorize and open), send a
//!    text or binary message, close, or refresh the credential;
//! 2. reports what happened: [`handle_connected`](StreamSession::handle_connected),
//!    [`handle_connect_failed`](StreamSession::handle_connect_failed), [`handle_text`](StreamSession::handle_text),
//!    [`handle_closed`](StreamSession::handle_closed), [`handle_timeout`](StreamSession::handle_timeout) at
//!    [`poll_timeout`](StreamSession::poll_timeout);
//! 3. drains [`poll_event`](StreamSession::poll_event).
//!
//! Audio goes in with [`push_audio`](StreamSession::push_audio) (raw PCM in the request's format) and
//! [`finish_audio`](StreamSession::finish_audio). The session keeps every byte not yet covered by a final phrase:
//! when a connection ends early — the service's ~10-minute limit, a dropped connection, a close the spec says to
//! retry — it reconnects (asking for a fresh credential each time) and replays that audio in a new turn, so no
//! phrase is lost or repeated. Before the connection's own lifetime runs out
//! ([`StreamSettings::connection_lifetime`]) it ends the turn at a pause between phrases and reconnects.
//!
//! Offsets in events are absolute: from the first byte of audio pushed, whatever turn or connection carried it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::endpoint::Endpoint;
use crate::error::{parse_error_response, Error, Service, StreamError};
use crate::retry::RetryPolicy;
use crate::stt::short::{Recognition, RecognitionStatus};

use super::client::{
    audio_header_message, audio_message, config_message, context_message, PcmFormat, StreamRequest,
};
use super::frame::{decode_binary, decode_text, Timestamp};
use super::service::{parse_service_message, ServiceMessage};
use super::translation::{SynthesisEnd, TranslationResult};
pub use crate::ws::{Action, ConnectFailure};
use crate::ws::{Ids, Session};

/// How fast audio goes up: a burst at the start of each connection, then a multiple of real time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pacing {
    /// Audio sent at once when a connection opens (Microsoft's SDKs: 5 s).
    pub burst: Duration,
    /// After the burst, this many seconds of audio per second (SDKs: 2.0); `None`: as fast as the connection
    /// takes it.
    pub rate: Option<f64>,
}

impl Pacing {
    /// As fast as the connection takes it (files, tests).
    pub fn unlimited() -> Self {
        Pacing {
            burst: Duration::ZERO,
            rate: None,
        }
    }

    /// Real time (1×), no burst: as a microphone would.
    pub fn realtime() -> Self {
        Pacing {
            burst: Duration::ZERO,
            rate: Some(1.0),
        }
    }
}

impl Default for Pacing {
    /// What Microsoft's SDKs do: 5 s at once, then 2× real time.
    fn default() -> Self {
        Pacing {
            burst: Duration::from_secs(5),
            rate: Some(2.0),
        }
    }
}

/// The session's settings.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StreamSettings {
    /// Audio pacing (default: [`Pacing::default`]). Audio replayed after a reconnect goes up unpaced, to catch
    /// up.
    pub pacing: Pacing,
    /// Audio per message (default 100 ms; at most 8 KiB, the legacy service's limit).
    pub chunk: Duration,
    /// How long a connection is used before the session moves to a new one at a pause between phrases (default
    /// 9 min; the service ends connections at about 10 min).
    pub connection_lifetime: Duration,
    /// How long after the lifetime the session waits for a pause before it ends the turn anyway (default 30 s).
    pub rotation_grace: Duration,
    /// How long the service may stay silent while it owes an answer (the turn's start, or the last phrases
    /// after the end of audio) before the connection counts as broken (default 30 s).
    pub service_timeout: Duration,
    /// Reconnection attempts in a row without a phrase in between, and their backoff (default: 5 attempts,
    /// 0.5 s doubling to 8 s).
    pub reconnect: RetryPolicy,
    /// The most audio held: not yet sent, or sent but not yet covered by a final phrase (default 5 min).
    /// [`push_audio`](StreamSession::push_audio) takes no more.
    pub max_buffered: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            pacing: Pacing::default(),
            chunk: Duration::from_millis(100),
            connection_lifetime: Duration::from_secs(9 * 60),
            rotation_grace: Duration::from_secs(30),
            service_timeout: Duration::from_secs(30),
            reconnect: RetryPolicy::default().max_attempts(5),
            max_buffered: Duration::from_secs(300),
        }
    }
}

/// Why a session moved to a new connection.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ReconnectReason {
    /// The connection reached [`StreamSettings::connection_lifetime`].
    Lifetime,
    /// The service closed the connection, or it broke.
    Lost(Error),
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EndReason {
    /// All the audio was recognized ([`finish_audio`](StreamSession::finish_audio), then the last turn ended).
    EndOfAudio,
    /// Interactive mode: the one phrase was recognized.
    SingleShot,
    /// It failed.
    Error(Error),
}

/// What happened, in order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A connection opened (the first, or a reconnect).
    Connected {
        /// Its `X-ConnectionId`.
        connection_id: String,
    },
    /// `turn.start`.
    TurnStarted {
        /// The turn's `X-RequestId`.
        request_id: String,
        /// The service's tag, for support cases.
        service_tag: Option<String>,
    },
    /// Speech began.
    SpeechStarted {
        /// Where, from the start of the audio.
        offset: Duration,
    },
    /// What has been heard so far of the current phrase.
    Hypothesis {
        /// The text.
        text: String,
        /// Where the phrase starts.
        offset: Duration,
        /// How long it is so far.
        duration: Duration,
    },
    /// A final phrase, its offsets (and those of its words) from the start of the audio.
    Phrase(Recognition),
    /// The service heard the end of speech.
    SpeechEnded {
        /// Where, when it said.
        offset: Option<Duration>,
    },
    /// `turn.end`.
    TurnEnded,
    /// A translation session: what has been heard so far and its translations (offsets from the start of the
    /// audio).
    Translating(TranslationResult),
    /// A translation session: a final phrase and its translations (offsets from the start of the audio). Its
    /// `translation` says whether translating it succeeded; a failed translation does not end the session.
    Translated(TranslationResult),
    /// A translation session with a voice: a piece of a translation's audio.
    TranslationAudio {
        /// The target language it speaks, when the service said (V2 `audio.start`).
        language: Option<String>,
        /// The audio, in the service's format.
        audio: Vec<u8>,
    },
    /// A translation's audio is complete, or failed (which does not end the session).
    TranslationAudioEnded {
        /// The target language, when the service said.
        language: Option<String>,
        /// How it ended.
        end: SynthesisEnd,
    },
    /// The session is moving to a new connection.
    Reconnecting {
        /// Why.
        reason: ReconnectReason,
        /// After how long.
        after: Duration,
    },
    /// The session is over; nothing follows.
    SessionEnded(EndReason),
}

/// The translation audio streams a session keeps track of at once (the service uses about ten).
const MAX_AUDIO_STREAMS: usize = 16;

fn ticks(d: u64) -> Duration {
    Duration::from_nanos(d.saturating_mul(100))
}

#[derive(Clone, Debug)]
struct Turn {
    id: String,
    /// The absolute byte where this turn's audio begins.
    base: u64,
    /// The absolute byte up to which audio has been sent in this turn.
    sent: u64,
    header_sent: bool,
    end_sent: bool,
    started: bool,
    /// Speech started (or a hypothesis came) since the last phrase.
    speech_open: bool,
    /// The service said to stop sending audio.
    end_detected: bool,
    /// `acked` when the turn began, to see whether it made progress.
    acked_at_start: u64,
}

#[derive(Clone, Debug)]
struct Open {
    since: Instant,
    pacing_start: Instant,
    /// Audio payload bytes sent on this connection.
    sent_bytes: u64,
    /// Bytes this connection replays (sent before on an earlier one): they go up without pacing, to catch up.
    replay_credit: u64,
    last_heard: Instant,
    /// Waiting for `turn.end` since this instant (the service owes an answer).
    owed_since: Option<Instant>,
    turn: Turn,
    /// The lifetime has passed; since when.
    rotate_since: Option<Instant>,
    /// Translation audio streams announced by `audio.start`: stream id and language (the latest few).
    audio_streams: VecDeque<(String, Option<String>)>,
    /// The turn was ended to move to a new connection.
    rotating: bool,
}

#[derive(Clone, Debug)]
enum Conn {
    /// Not connected; connect at this instant.
    Idle { at: Option<Instant> },
    /// The driver is opening the connection.
    Connecting,
    /// Open.
    Open(Box<Open>),
    /// Over.
    Done,
}

/// One streaming recognition: see the [module documentation](self).
#[derive(Debug)]
pub struct StreamSession {
    request: StreamRequest,
    endpoint: Endpoint,
    settings: StreamSettings,
    ids: Ids,
    /// Audio from absolute byte `buf_start` up to `pushed`.
    buf: VecDeque<u8>,
    buf_start: u64,
    pushed: u64,
    /// The end of the audio covered by final phrases.
    acked: u64,
    /// The furthest byte ever sent, on any connection.
    high_water: u64,
    input_done: bool,
    conn: Conn,
    connection_id: String,
    attempts: u32,
    refreshed: bool,
    last_error: Option<Error>,
    events: VecDeque<StreamEvent>,
    actions: VecDeque<Action>,
    connections: u32,
    /// The wall-clock time last given, for messages queued outside `poll_action`.
    wall: Timestamp,
}

impl StreamSession {
    /// A session for `request` on `endpoint`. `seed` is random (the core has no randomness): connection and
    /// request ids and WebSocket keys derive from it.
    ///
    /// # Errors
    ///
    /// A request whose language or audio format cannot be used.
    pub fn new(
        endpoint: Endpoint,
        request: StreamRequest,
        settings: StreamSettings,
        seed: u128,
    ) -> Result<Self, Error> {
        request.check()?;
        Ok(StreamSession {
            request,
            endpoint,
            settings,
            ids: Ids::new(seed),
            buf: VecDeque::new(),
            buf_start: 0,
            pushed: 0,
            acked: 0,
            high_water: 0,
            input_done: false,
            conn: Conn::Idle { at: None },
            connection_id: String::new(),
            attempts: 0,
            refreshed: false,
            last_error: None,
            events: VecDeque::new(),
            actions: VecDeque::new(),
            connections: 0,
            wall: Timestamp(0),
        })
    }

    /// The request.
    pub fn request(&self) -> &StreamRequest {
        &self.request
    }

    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// Whether the session is over (its [`StreamEvent::SessionEnded`] was queued).
    pub fn is_ended(&self) -> bool {
        matches!(self.conn, Conn::Done)
    }

    /// Audio bytes pushed so far.
    pub fn audio_pushed(&self) -> u64 {
        self.pushed
    }

    fn cap_bytes(&self) -> u64 {
        let pcm = self.request.pcm();
        pcm.bytes_at_ticks(
            u64::try_from(self.settings.max_buffered.as_nanos() / 100).unwrap_or(u64::MAX),
        )
    }

    /// How many more bytes [`push_audio`](Self::push_audio) takes now.
    pub fn free_capacity(&self) -> usize {
        let held = self.pushed - self.buf_start.max(self.acked.min(self.pushed));
        usize::try_from(self.cap_bytes().saturating_sub(held)).unwrap_or(usize::MAX)
    }

    /// Add raw PCM audio (16-bit little-endian, the request's rate and channels). Returns how many bytes were
    /// taken: fewer than given when [`StreamSettings::max_buffered`] is reached (push the rest once phrases have
    /// come), none after [`finish_audio`](Self::finish_audio) or the end of the session.
    pub fn push_audio(&mut self, pcm: &[u8]) -> usize {
        if self.input_done || self.is_ended() {
            return 0;
        }
        self.drop_acked();
        let n = pcm.len().min(self.free_capacity());
        self.buf.extend(&pcm[..n]);
        self.pushed += n as u64;
        n
    }

    /// No more audio: the session ends once the service has answered for all of it.
    pub fn finish_audio(&mut self) {
        self.input_done = true;
    }

    fn drop_acked(&mut self) {
        let keep_from = self.acked.min(self.pushed);
        if keep_from > self.buf_start {
            let n = usize::try_from(keep_from - self.buf_start)
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            self.buf.drain(..n);
            self.buf_start += n as u64;
        }
    }

    fn chunk_bytes(&self) -> u64 {
        let pcm = self.request.pcm();
        let by_time = pcm.bytes_at_ticks(
            u64::try_from(self.settings.chunk.as_nanos() / 100).unwrap_or(u64::MAX),
        );
        let cap = 8192 - 8192 % pcm.block_align();
        by_time.clamp(pcm.block_align(), cap)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<StreamEvent> {
        self.events.pop_front()
    }

    fn end(&mut self, reason: EndReason) {
        if self.is_ended() {
            return;
        }
        if matches!(self.conn, Conn::Open(_) | Conn::Connecting) {
            self.actions.push_back(Action::Close {
                code: 1000,
                reason: "Normal closure by client",
            });
        }
        self.conn = Conn::Done;
        self.events.push_back(StreamEvent::SessionEnded(reason));
    }

    /// The connection is gone (or must go): reconnect after a backoff, or end the session when the attempts in a
    /// row are used up.
    fn lost(&mut self, now: Instant, error: Error, jitter: f64) {
        if self.is_ended() {
            return;
        }
        self.attempts += 1;
        if self.attempts >= self.settings.reconnect.max_attempts {
            self.end(EndReason::Error(error));
            return;
        }
        let after = self.settings.reconnect.backoff_delay(self.attempts, jitter);
        self.last_error = Some(error.clone());
        self.conn = Conn::Idle {
            at: Some(now + after),
        };
        self.events.push_back(StreamEvent::Reconnecting {
            reason: ReconnectReason::Lost(error),
            after,
        });
    }

    /// What to do now. `wall` is the wall-clock time for `X-Timestamp`.
    pub fn poll_action(&mut self, now: Instant, wall: Timestamp) -> Option<Action> {
        self.wall = wall;
        let chunk = self.chunk_bytes();
        if let Some(a) = self.actions.pop_front() {
            return Some(a);
        }
        match &mut self.conn {
            Conn::Done | Conn::Connecting => None,
            Conn::Idle { at } => {
                if at.is_some_and(|at| now < at) {
                    return None;
                }
                if self.input_done && self.acked >= self.pushed && self.connections > 0 {
                    // Everything was recognized before the connection went.
                    self.end(EndReason::EndOfAudio);
                    return self.actions.pop_front();
                }
                self.connection_id = self.ids.next_id();
                let key = self.ids.next_key();
                match self
                    .request
                    .handshake(&self.endpoint, &key, &self.connection_id)
                {
                    Ok(request) => {
                        self.conn = Conn::Connecting;
                        Some(Action::Connect(request))
                    }
                    Err(e) => {
                        self.end(EndReason::Error(e));
                        self.actions.pop_front()
                    }
                }
            }
            Conn::Open(open) => {
                let turn = &mut open.turn;
                if !turn.header_sent {
                    turn.header_sent = true;
                    return Some(Action::SendBinary(audio_header_message(
                        &self.request,
                        &turn.id,
                        wall,
                    )));
                }
                if turn.end_sent || turn.end_detected {
                    return None;
                }
                // Moving to a new connection: end the turn at a pause between phrases (or once the grace is
                // over), before sending more audio.
                let rotate_now = open.rotate_since.is_some_and(|since| {
                    !turn.speech_open || now >= since + self.settings.rotation_grace
                });
                let available = self.pushed - turn.sent;
                let take = if available >= chunk {
                    chunk
                } else if self.input_done {
                    available
                } else {
                    0
                };
                if take == 0 || rotate_now {
                    if self.input_done || rotate_now {
                        turn.end_sent = true;
                        open.rotating = rotate_now && !(self.input_done && available == 0);
                        open.owed_since = Some(now);
                        return Some(Action::SendBinary(audio_message(&turn.id, wall, &[])));
                    }
                    return None;
                }
                if let Some(rate) = self.settings.pacing.rate {
                    let bps = self.request.pcm().bytes_per_second() as f64;
                    let elapsed = now
                        .saturating_duration_since(open.pacing_start)
                        .as_secs_f64();
                    let allowed = self.settings.pacing.burst.as_secs_f64() * bps
                        + open.replay_credit as f64
                        + elapsed * rate * bps;
                    if (open.sent_bytes + take) as f64 > allowed + chunk as f64 {
                        return None;
                    }
                }
                let from = usize::try_from(turn.sent - self.buf_start).unwrap_or(usize::MAX);
                let to = from.saturating_add(usize::try_from(take).unwrap_or(usize::MAX));
                let pcm: Vec<u8> = self.buf.range(from..to).copied().collect();
                turn.sent += take;
                open.sent_bytes += take;
                self.high_water = self.high_water.max(turn.sent);
                if !turn.started && open.owed_since.is_none() {
                    open.owed_since = Some(now);
                }
                Some(Action::SendBinary(audio_message(&turn.id, wall, &pcm)))
            }
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) (and [`poll_action`](Self::poll_action)) at the
    /// latest: a reconnect, the next paced audio, the connection's lifetime, the service's silence.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.conn {
            Conn::Idle { at } => *at,
            Conn::Open(open) => {
                let mut t: Option<Instant> = None;
                let mut at = |i: Instant| t = Some(t.map_or(i, |t| t.min(i)));
                if let Some(since) = open.owed_since {
                    at(since.max(open.last_heard) + self.settings.service_timeout);
                }
                match open.rotate_since {
                    None => at(open.since + self.settings.connection_lifetime),
                    Some(since) if !open.turn.end_sent => at(since + self.settings.rotation_grace),
                    Some(_) => {}
                }
                if let Some(rate) = self.settings.pacing.rate {
                    let turn = &open.turn;
                    if !turn.end_sent
                        && !turn.end_detected
                        && self.pushed - turn.sent >= self.chunk_bytes()
                    {
                        let bps = self.request.pcm().bytes_per_second() as f64;
                        let ahead = (open.sent_bytes as f64
                            - open.replay_credit as f64
                            - self.settings.pacing.burst.as_secs_f64() * bps)
                            / (rate * bps);
                        if ahead > 0.0 {
                            at(open.pacing_start + Duration::from_secs_f64(ahead));
                        }
                    }
                }
                t
            }
            _ => None,
        }
    }

    /// Time has passed: the connection's lifetime, the service's silence.
    pub fn handle_timeout(&mut self, now: Instant, jitter: f64) {
        let Conn::Open(open) = &mut self.conn else {
            return;
        };
        if open.rotate_since.is_none() && now >= open.since + self.settings.connection_lifetime {
            open.rotate_since = Some(now);
        }
        if let Some(since) = open.owed_since {
            let waited = now.saturating_duration_since(since.max(open.last_heard));
            if waited >= self.settings.service_timeout {
                self.actions.push_back(Action::Close {
                    code: 1000,
                    reason: "The service did not answer",
                });
                self.lost(now, StreamError::ServiceSilent { waited }.into(), jitter);
            }
        }
    }

    /// The handshake succeeded: the connection is open.
    pub fn handle_connected(&mut self, now: Instant, wall: Timestamp) {
        if !matches!(self.conn, Conn::Connecting) {
            return;
        }
        self.connections += 1;
        self.refreshed = false;
        let turn = self.new_turn();
        self.actions.push_back(Action::SendText(config_message(
            &self.request,
            &turn.id,
            wall,
        )));
        self.actions.push_back(Action::SendText(context_message(
            &self.request,
            &turn.id,
            wall,
        )));
        self.events.push_back(StreamEvent::Connected {
            connection_id: self.connection_id.clone(),
        });
        self.conn = Conn::Open(Box::new(Open {
            since: now,
            pacing_start: now,
            sent_bytes: 0,
            replay_credit: self.high_water.saturating_sub(self.acked),
            last_heard: now,
            owed_since: None,
            turn,
            rotate_since: None,
            audio_streams: VecDeque::new(),
            rotating: false,
        }));
    }

    fn new_turn(&mut self) -> Turn {
        Turn {
            id: self.ids.next_id(),
            base: self.acked,
            sent: self.acked,
            header_sent: false,
            end_sent: false,
            started: false,
            speech_open: false,
            end_detected: false,
            acked_at_start: self.acked,
        }
    }

    /// The handshake failed. A 401/403 asks once for a fresh credential ([`Action::RefreshCredential`]) and
    /// tries again; 400 and 404 end the session (the request cannot succeed); 408, 429 and 5xx, and no answer
    /// that another attempt may change (refused, broken, timed out), retry with backoff; a TLS or DNS failure
    /// ends it.
    pub fn handle_connect_failed(&mut self, now: Instant, failure: ConnectFailure, jitter: f64) {
        if !matches!(self.conn, Conn::Connecting) {
            return;
        }
        match failure {
            ConnectFailure::Status {
                status,
                headers,
                body,
            } => {
                let error =
                    parse_error_response(Service::StreamingRecognition, status, &headers, &body);
                match status.as_u16() {
                    401 | 403 if !self.refreshed => {
                        self.refreshed = true;
                        self.actions.push_back(Action::RefreshCredential);
                        self.conn = Conn::Idle { at: None };
                    }
                    408 | 429 | 500..=599 => self.lost(now, error, jitter),
                    _ => self.end(EndReason::Error(error)),
                }
            }
            ConnectFailure::Transport(e) if !e.failure.can_pass() => {
                self.end(EndReason::Error(Error::Transport(e)))
            }
            ConnectFailure::Transport(e) => self.lost(now, Error::Transport(e), jitter),
            ConnectFailure::Credential(e) if e.is_retryable() => self.lost(now, e, jitter),
            ConnectFailure::Credential(e) => self.end(EndReason::Error(e)),
        }
    }

    /// A binary frame from the service (speech recognition sends none): checked and ignored.
    /// A binary frame from the service: a translation's audio (V1 `translation.synthesis`, V2 `audio` with the
    /// `X-StreamId` of an `audio.start`) for this turn becomes [`StreamEvent::TranslationAudio`]; other binary
    /// messages are ignored, and a frame that breaks the framing counts as a broken connection.
    pub fn handle_binary(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        let message = match decode_binary(frame) {
            Ok(m) => m,
            Err(e) => return self.protocol_broken(now, StreamError::Frame(e).into(), jitter),
        };
        let Conn::Open(open) = &mut self.conn else {
            return;
        };
        open.last_heard = now;
        let for_this_turn = message
            .request_id()
            .is_some_and(|id| id.eq_ignore_ascii_case(&open.turn.id));
        let path = message.path().unwrap_or_default().to_ascii_lowercase();
        if !for_this_turn
            || !self.request.is_translation()
            || !matches!(path.as_str(), "translation.synthesis" | "audio")
            || message.body.is_empty()
        {
            return;
        }
        let language = message.header("x-streamid").and_then(|id| {
            open.audio_streams
                .iter()
                .find(|(s, _)| s == id)
                .and_then(|(_, l)| l.clone())
        });
        self.events.push_back(StreamEvent::TranslationAudio {
            language,
            audio: message.body,
        });
    }

    fn protocol_broken(&mut self, now: Instant, error: Error, jitter: f64) {
        if let Conn::Open(_) = self.conn {
            self.actions.push_back(Action::Close {
                code: 1002,
                reason: "Protocol error",
            });
            self.lost(now, error, jitter);
        }
    }

    /// A text frame from the service. Messages for another turn (another `X-RequestId`, or none) and unknown
    /// paths are ignored; a frame that breaks the framing, or a known message whose body does not parse, counts
    /// as a broken connection (reconnect and replay).
    pub fn handle_text(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        let message = match decode_text(frame) {
            Ok(m) => m,
            Err(e) => return self.protocol_broken(now, StreamError::Frame(e).into(), jitter),
        };
        let Conn::Open(open) = &mut self.conn else {
            return;
        };
        open.last_heard = now;
        let for_this_turn = message
            .request_id()
            .is_some_and(|id| id.eq_ignore_ascii_case(&open.turn.id));
        if !for_this_turn {
            return;
        }
        let parsed = match parse_service_message(&message) {
            Ok(m) => m,
            Err(e) => return self.protocol_broken(now, e, jitter),
        };
        let pcm = self.request.pcm();
        let base_ticks = pcm.ticks_at_bytes(open.turn.base);
        match parsed {
            ServiceMessage::TurnStart { service_tag } => {
                open.turn.started = true;
                if !open.turn.end_sent {
                    open.owed_since = None;
                }
                self.events.push_back(StreamEvent::TurnStarted {
                    request_id: open.turn.id.clone(),
                    service_tag,
                });
            }
            ServiceMessage::SpeechStartDetected { offset_ticks } => {
                open.turn.speech_open = true;
                self.events.push_back(StreamEvent::SpeechStarted {
                    offset: ticks(base_ticks + offset_ticks),
                });
            }
            ServiceMessage::Hypothesis(h) => {
                open.turn.speech_open = true;
                self.events.push_back(StreamEvent::Hypothesis {
                    text: h.text,
                    offset: ticks(base_ticks + h.offset_ticks.unwrap_or(0)),
                    duration: ticks(h.duration_ticks.unwrap_or(0)),
                });
            }
            ServiceMessage::Phrase(mut r) => {
                open.turn.speech_open = false;
                let end = covered_until(&open.turn, pcm, r.offset_ticks, r.duration_ticks);
                self.final_heard(end, r.status == Some(RecognitionStatus::Success));
                shift(&mut r, base_ticks);
                self.events.push_back(StreamEvent::Phrase(r));
                self.drop_acked();
            }
            ServiceMessage::SpeechEndDetected { offset_ticks } => {
                if self.request.is_single_shot() {
                    open.turn.end_detected = true;
                }
                self.events.push_back(StreamEvent::SpeechEnded {
                    offset: offset_ticks.map(|o| ticks(base_ticks + o)),
                });
            }
            ServiceMessage::TurnEnd => {
                self.events.push_back(StreamEvent::TurnEnded);
                self.turn_ended();
            }
            ServiceMessage::TranslationHypothesis(mut r) if self.request.is_translation() => {
                open.turn.speech_open = true;
                r.offset_ticks = Some(base_ticks + r.offset_ticks.unwrap_or(0));
                self.events.push_back(StreamEvent::Translating(r));
            }
            ServiceMessage::TranslationPhrase(mut r) if self.request.is_translation() => {
                // As a recognition's phrase: the audio it covers is acknowledged.
                open.turn.speech_open = false;
                let end = covered_until(&open.turn, pcm, r.offset_ticks, r.duration_ticks);
                self.final_heard(end, r.status == Some(RecognitionStatus::Success));
                r.offset_ticks = Some(base_ticks + r.offset_ticks.unwrap_or(0));
                self.events.push_back(StreamEvent::Translated(r));
                self.drop_acked();
            }
            ServiceMessage::TranslationAudioStart {
                stream_id: Some(id),
                language,
            } if self.request.is_translation() => {
                if open.audio_streams.len() >= MAX_AUDIO_STREAMS {
                    open.audio_streams.pop_front();
                }
                open.audio_streams.push_back((id, language));
            }
            ServiceMessage::TranslationAudioEnd { stream_id, end }
                if self.request.is_translation() =>
            {
                let language = stream_id.and_then(|id| {
                    let at = open.audio_streams.iter().position(|(s, _)| *s == id)?;
                    open.audio_streams.remove(at).and_then(|(_, l)| l)
                });
                self.events
                    .push_back(StreamEvent::TranslationAudioEnded { language, end });
            }
            // A recognition ignores translation messages.
            ServiceMessage::TranslationHypothesis(_)
            | ServiceMessage::TranslationPhrase(_)
            | ServiceMessage::TranslationAudioStart { .. }
            | ServiceMessage::TranslationAudioEnd { .. }
            | ServiceMessage::Other { .. } => {}
        }
    }

    /// A final phrase covered the audio up to the absolute byte `end`: it is acknowledged (a reconnect does not
    /// replay it), and a success resets the reconnect attempts.
    fn final_heard(&mut self, end: u64, success: bool) {
        self.acked = self.acked.max(end);
        if success {
            self.attempts = 0;
        }
    }

    fn turn_ended(&mut self) {
        let Conn::Open(open) = &mut self.conn else {
            return;
        };
        let turn = &open.turn;
        // A turn that ended without a phrase covered nothing the service will ever recognize: move past the
        // audio it received, so that a turn never repeats without progress.
        if self.acked == turn.acked_at_start && turn.sent > self.acked && turn.end_sent {
            self.acked = turn.sent;
        }
        if self.request.is_single_shot() {
            self.end(EndReason::SingleShot);
            return;
        }
        if self.input_done && turn.end_sent && turn.sent >= self.pushed {
            self.end(EndReason::EndOfAudio);
            return;
        }
        if open.rotating || open.rotate_since.is_some() {
            self.actions.push_back(Action::Close {
                code: 1000,
                reason: "Normal closure by client",
            });
            self.conn = Conn::Idle { at: None };
            self.events.push_back(StreamEvent::Reconnecting {
                reason: ReconnectReason::Lifetime,
                after: Duration::ZERO,
            });
            return;
        }
        // The service ended the turn early (its end-of-speech detection): a new turn on the same connection,
        // from the end of the last phrase.
        let turn = self.new_turn();
        let Conn::Open(open) = &mut self.conn else {
            return;
        };
        self.actions.push_back(Action::SendText(context_message(
            &self.request,
            &turn.id,
            self.wall,
        )));
        open.owed_since = None;
        open.turn = turn;
    }

    /// The connection closed: with the service's close frame `(code, reason)`, or without one (it broke). A
    /// close the spec says to retry (1000 while audio is still owed, 1001, 1006, 1011, 1013, 4429, or 1007 for
    /// throttling) reconnects and replays; the others (1002, 1003, 1007, 1008, 4000, …) end the session with a
    /// [`StreamError::Closed`].
    pub fn handle_closed(&mut self, now: Instant, close: Option<(u16, String)>, jitter: f64) {
        if !matches!(self.conn, Conn::Open(_) | Conn::Connecting) {
            return;
        }
        let (code, reason) = close.unwrap_or((1006, String::new()));
        let error: Error = StreamError::Closed { code, reason }.into();
        if error.is_retryable() {
            self.lost(now, error, jitter);
        } else {
            self.end(EndReason::Error(error));
        }
    }

    /// The last error that made the session reconnect, if any.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }
}

impl Session for StreamSession {
    type Event = StreamEvent;

    fn poll_action(&mut self, now: Instant, wall: Timestamp) -> Option<Action> {
        StreamSession::poll_action(self, now, wall)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        StreamSession::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant, jitter: f64) {
        StreamSession::handle_timeout(self, now, jitter)
    }
    fn handle_connected(&mut self, now: Instant, wall: Timestamp) {
        StreamSession::handle_connected(self, now, wall)
    }
    fn handle_connect_failed(&mut self, now: Instant, failure: ConnectFailure, jitter: f64) {
        StreamSession::handle_connect_failed(self, now, failure, jitter)
    }
    fn handle_text(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        StreamSession::handle_text(self, now, frame, jitter)
    }
    fn handle_binary(&mut self, now: Instant, frame: &[u8], jitter: f64) {
        StreamSession::handle_binary(self, now, frame, jitter)
    }
    fn handle_closed(&mut self, now: Instant, close: Option<(u16, String)>, jitter: f64) {
        StreamSession::handle_closed(self, now, close, jitter)
    }
    fn poll_event(&mut self) -> Option<StreamEvent> {
        StreamSession::poll_event(self)
    }
    fn is_ended(&self) -> bool {
        StreamSession::is_ended(self)
    }
}

/// The absolute byte where a phrase of `turn` at `offset` for `duration` (ticks from the turn's start) ends, at
/// most what the turn has sent.
fn covered_until(turn: &Turn, pcm: PcmFormat, offset: Option<u64>, duration: Option<u64>) -> u64 {
    let end_ticks = offset.unwrap_or(0) + duration.unwrap_or(0);
    (turn.base + pcm.bytes_at_ticks(end_ticks)).min(turn.sent)
}

/// Make a phrase's offsets (and its words') absolute.
fn shift(r: &mut Recognition, base_ticks: u64) {
    if let Some(o) = r.offset_ticks.as_mut() {
        *o += base_ticks;
    }
    for n in &mut r.nbest {
        for w in &mut n.words {
            if let Some(o) = w.offset_ticks.as_mut() {
                *o += base_ticks;
            }
        }
    }
}
