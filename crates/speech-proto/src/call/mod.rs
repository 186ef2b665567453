//! One call to the service, with its retries, as a state machine: [`Call`].
//!
//! Every REST exchange of this crate runs on it: a token fetch, a recognition, a synthesis, the voices list,
//! and serving the current token to a caller who asks for it. The call owns every decision of the exchange; the
//! driver only moves bytes, locks the shared [`Auth`], and sleeps:
//!
//! * the **authorized head** to send, built anew for each attempt (a rejected token is dropped first);
//! * the **body plan** ([`BodyPlan`]): none, bytes that can be sent again, or a stream the driver reads from,
//!   with how much of it was taken (reported with each outcome);
//! * the **body cap** of the service, for the answer (a recognition result, the voices list, a token, an error);
//! * the **classification** of the answer: success → the typed result ([`Output::Done`]) or a body to hand to
//!   the caller as it arrives ([`Output::Stream`]); an error status → the typed service error;
//! * the **retry decision** ([`retry::decide`]): the attempt count, one re-authorization after a 401 for a fetched
//!   token, `Retry-After`, capped backoff with the caller's jitter, never resending a stream that was partly
//!   taken, never waiting past the call's deadline;
//! * the **end**: [`Output::Done`], [`Output::Stream`] or [`Output::Failed`].
//!
//! Time arrives with every input as a [`Moment`] (the monotonic instant, wall-clock seconds for HTTP-date
//! `Retry-After`s and token `exp` claims, and a jitter value in `0..1`); nothing here reads a clock.
//!
//! # Run loop
//!
//! ```text
//!            ┌────────────────────── Wait(until) ◄─────────────┐ retry
//!            ▼                                                  │
//!   new ─► Authorize ─► Send(head) ─► handle_head ─► ReadBody ─► handle_body ─► Done(value)
//!            │  ▲           │              │                                    Failed(error)
//!            │  └─ 401, once┘              └─► Stream (success, streamed answer)
//!            └─► (Pending: perform the Auth's FetchToken, ask again)
//! ```
//!
//! 1. Poll [`Call::poll_output`] until `None`, doing each duty:
//!    * [`Output::Authorize`]: lock the shared [`Auth`] and call [`Call::handle_authorize`]; while it says
//!      [`AuthStep::Pending`], drain [`Auth::poll_action`] (perform the token fetch, itself a [`Call`] made by
//!      [`Call::token_fetch`], or wait for the thread or task performing it) and ask again;
//!    * [`Output::Send`]: send the head and the body (from the start: rewind replayable bodies), then report the
//!      answer's final head with [`Call::handle_head`] or the failure with [`Call::handle_transport_failed`];
//!    * [`Output::ReadBody`]: read the answer's body, at most `limit` bytes, and report it with
//!      [`Call::handle_body`] (or what arrived with [`Call::handle_body_broken`] when the read fails);
//!    * [`Output::Wait`]: sleep until the instant, then call [`Call::handle_timeout`];
//!    * [`Output::Done`], [`Output::Stream`], [`Output::Failed`]: the end.
//! 2. When `poll_output` returns `None`, the call waits for the input its last output asked for.
//!
#![doc = include_str!("../../docs/call.md")]

pub mod retry;

use std::fmt;
use std::time::{Duration, Instant};

use http::{HeaderMap, Request, StatusCode};

use crate::auth::token::{Token, MAX_TOKEN_BODY};
use crate::auth::{Auth, Authorize, TokenId};
use crate::error::{
    parse_error_response, Error, Misuse, Service, TransportFailure, MAX_ERROR_BODY,
};
use crate::stt::short::{parse_recognition, Recognition, MAX_RESULT_BODY};
use crate::tts::voices::{parse_voices, Voice, MAX_VOICES_BODY};
use retry::{Attempt, BodyState, Failure, RetryDecision, RetryPolicy};

/// The time of an input: the monotonic instant, the wall clock in whole Unix seconds (for an HTTP-date
/// `Retry-After` or a token's `exp`), and a random value in `0..1` for backoff jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    /// The monotonic time.
    pub now: Instant,
    /// Wall-clock seconds since the Unix epoch.
    pub unix_secs: u64,
    /// A random value in `0..1` (0 keeps backoff delays at their full length).
    pub jitter: f64,
}

impl Moment {
    /// A moment.
    pub fn new(now: Instant, unix_secs: u64, jitter: f64) -> Self {
        Moment {
            now,
            unix_secs,
            jitter,
        }
    }
}

/// Wall-clock seconds derived from a monotonic clock: anchored once (an instant and the system time at it, read
/// by the driver), so that a driver with a virtual clock moves both together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallClock {
    anchor: Instant,
    anchor_unix: Duration,
}

impl WallClock {
    /// Anchor: at `anchor`, the system time was `anchor_unix` since the Unix epoch (keep its fraction, so that
    /// derived whole seconds are the true floor).
    pub fn new(anchor: Instant, anchor_unix: Duration) -> Self {
        WallClock {
            anchor,
            anchor_unix,
        }
    }

    /// Whole seconds since the Unix epoch at `now`.
    pub fn unix_secs(&self, now: Instant) -> u64 {
        let unix = match now.checked_duration_since(self.anchor) {
            Some(d) => self.anchor_unix.saturating_add(d),
            None => self
                .anchor_unix
                .saturating_sub(self.anchor.duration_since(now)),
        };
        unix.as_secs()
    }

    /// The [`Moment`] of an input at `now`, with the driver's `jitter`.
    pub fn moment(&self, now: Instant, jitter: f64) -> Moment {
        Moment::new(now, self.unix_secs(now), jitter)
    }
}

/// How a call ended well, as a driver returns it: the call's value, or (for [`Output::Stream`]) the driver's
/// answer body `B`, which is the caller's.
#[derive(Debug)]
pub enum Finished<T, B> {
    /// [`Output::Done`]'s value.
    Value(T),
    /// [`Output::Stream`]: the answer whose body the caller reads.
    Stream(B),
}

impl<T, B> Finished<T, B> {
    /// The value; `None` for a stream.
    pub fn value(self) -> Option<T> {
        match self {
            Finished::Value(value) => Some(value),
            Finished::Stream(_) => None,
        }
    }

    /// The stream; `None` for a value.
    pub fn stream(self) -> Option<B> {
        match self {
            Finished::Stream(body) => Some(body),
            Finished::Value(_) => None,
        }
    }
}

/// Where a caller's request for a token (a client's `token()`) is served from, by the credential: the
/// client's own token machine when it uses one; a one-off machine for a key sent as it is (a new token each
/// time, not kept); none for a bearer token or Entra (the caller holds the token already:
/// [`Misuse::InvalidState`]). Drive [`Call::current_token`] with the `Auth` it names.
#[derive(Debug)]
pub enum TokenSource {
    /// The client's shared [`Auth`] (it exchanges its key for tokens).
    Shared,
    /// A one-off [`Auth`] with a token machine for this key.
    OneOff(Auth),
}

impl TokenSource {
    /// The source for a client whose shared `Auth` does (`shared_uses_tokens`) or does not use a token machine.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidState`] for a bearer-token or Entra credential.
    pub fn of(
        shared_uses_tokens: bool,
        endpoint: &crate::Endpoint,
        credential: &crate::Credential,
        config: crate::auth::TokenConfig,
    ) -> Result<Self, Error> {
        if shared_uses_tokens {
            return Ok(TokenSource::Shared);
        }
        match credential {
            crate::Credential::SubscriptionKey(_) => Ok(TokenSource::OneOff(Auth::with_config(
                endpoint,
                credential.clone(),
                crate::AuthMode::Token,
                config,
            )?)),
            _ => Err(Misuse::InvalidState(
                "token(): the credential is already a bearer token (or Entra); there is no key to exchange",
            )
            .into()),
        }
    }
}

/// Where the request body comes from, as far as retrying is concerned. The driver owns the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyPlan {
    /// No body.
    Empty,
    /// Bytes that can be sent again from the start (in memory, a file that can be rewound).
    Replayable,
    /// A stream the driver reads from once: resent only while nothing was taken from it.
    Stream,
}

/// What [`Call::handle_authorize`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthStep {
    /// The step is over: poll the call for what follows (the head to send, a wait, the end).
    Done,
    /// No token yet: a fetch is queued in the [`Auth`] or in flight. Perform it (or wait for whoever does), then
    /// call [`Call::handle_authorize`] again.
    Pending,
}

/// Why a call ended without a result.
#[derive(Debug)]
pub enum Fault {
    /// The core's error: a service answer, no token, a malformed body, caller misuse.
    Error(Error),
    /// The last attempt got no answer; the driver holds the transport's own error for it.
    Transport(TransportFailure),
}

/// The driver's next duty. See the [module docs](self) for the loop.
pub enum Output<T> {
    /// Lock the shared [`Auth`] and call [`Call::handle_authorize`].
    Authorize,
    /// Send this head and the body (from its start), then report [`Call::handle_head`] or
    /// [`Call::handle_transport_failed`].
    Send(Request<()>),
    /// Read the answer's body, at most `limit` bytes (a longer body is refused by the call), then report it with
    /// [`Call::handle_body`] or [`Call::handle_body_broken`].
    ReadBody {
        /// The most bytes to read: the service's cap and one byte more, so that an oversized body is seen.
        limit: usize,
    },
    /// Sleep until this instant, then call [`Call::handle_timeout`].
    Wait(Instant),
    /// The call succeeded with this value.
    Done(T),
    /// The call succeeded and its body is the caller's: hand the answer's body over as it arrives (synthesis).
    Stream,
    /// The call failed.
    Failed(Fault),
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Authorize => f.write_str("Authorize"),
            // The head may carry a key or a token: only its target is shown.
            Output::Send(head) => write!(f, "Send({} {})", head.method(), head.uri()),
            Output::ReadBody { limit } => write!(f, "ReadBody {{ limit: {limit} }}"),
            Output::Wait(until) => write!(f, "Wait({until:?})"),
            Output::Done(_) => f.write_str("Done(..)"),
            Output::Stream => f.write_str("Stream"),
            Output::Failed(fault) => write!(f, "Failed({fault:?})"),
        }
    }
}

/// A token service answer: any status, with its complete (capped) body. Report it to the [`Auth`] with
/// [`TokenAnswer::report`].
#[derive(Debug)]
pub struct TokenAnswer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, at most the token body cap and one byte.
    pub body: Vec<u8>,
}

impl TokenAnswer {
    /// Report this answer to the [`Auth`] whose [`crate::AuthAction::FetchToken`] it answers.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidState`] when no fetch is in flight.
    pub fn report(&self, at: Moment, auth: &mut Auth) -> Result<(), Error> {
        auth.handle_token_response(
            at.now,
            at.unix_secs,
            self.status,
            &self.headers,
            &self.body,
            at.jitter,
        )
    }
}

/// What the success answer becomes.
enum Expect<T> {
    /// Read the body (capped) and parse it; error statuses are service errors.
    Parsed {
        cap: usize,
        parse: fn(&[u8]) -> Result<T, Error>,
    },
    /// Hand the body to the caller.
    Streamed,
    /// Read the body (capped) whatever the status, and give it back (a token fetch).
    Raw {
        cap: usize,
        wrap: fn(TokenAnswer) -> T,
    },
    /// No request: serve the token machine's current token.
    CurrentToken(fn(Token) -> T),
}

enum State {
    /// `Output::Authorize` was handed out; waiting for `handle_authorize`.
    Authorizing,
    /// `Output::Send` was handed out; waiting for the head or a failure.
    Sending,
    /// `Output::ReadBody` was handed out; waiting for the body.
    Reading {
        status: StatusCode,
        headers: HeaderMap,
    },
    /// Waiting until the instant.
    Waiting(Instant),
    /// The end was handed out (or is queued).
    Ended,
}

/// One call to the service with its retries. See the [module docs](self).
pub struct Call<T> {
    service: Service,
    head: Option<Request<()>>,
    body: BodyPlan,
    expect: Expect<T>,
    policy: RetryPolicy,
    deadline: Option<Instant>,
    /// Attempts made, the current one included (a re-authorization does not count).
    attempt: u32,
    reauthorized: bool,
    /// The token of the current attempt, and whether the token machine fetched it.
    token: Option<(TokenId, bool)>,
    /// A token the service refused, to drop before authorizing again.
    rejected: Option<TokenId>,
    /// Bytes of the body taken in the current attempt.
    taken: u64,
    /// The output queued by the last [`Call::handle_authorize`] has not been polled yet.
    authorized_unpolled: bool,
    state: State,
    out: Option<Output<T>>,
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("service", &self.service)
            .field("attempt", &self.attempt)
            .field("reauthorized", &self.reauthorized)
            .finish_non_exhaustive()
    }
}

impl Call<Recognition> {
    /// A recognition ([`crate::stt::short::RecognitionRequest::build`]'s head) with its audio: the result is parsed
    /// from a body of at most [`MAX_RESULT_BODY`] bytes.
    pub fn recognition(head: Request<()>, body: BodyPlan, policy: RetryPolicy) -> Self {
        Call::new(
            Service::Recognition,
            Some(head),
            body,
            Expect::Parsed {
                cap: MAX_RESULT_BODY,
                parse: parse_recognition,
            },
            policy,
        )
    }
}

impl Call<crate::stt::Transcript> {
    /// A fast transcription ([`crate::stt::fast::FastTranscriptionOptions::request`]'s head) with its multipart
    /// body: the transcript is parsed from a body of at most [`crate::stt::fast::MAX_FAST_BODY`] bytes. Drive it
    /// with the [`Auth::for_fast_transcription`] of the client's credential.
    pub fn fast_transcription(head: Request<()>, body: BodyPlan, policy: RetryPolicy) -> Self {
        Call::new(
            Service::FastTranscription,
            Some(head),
            body,
            Expect::Parsed {
                cap: crate::stt::fast::MAX_FAST_BODY,
                parse: crate::stt::fast::parse_fast_transcription,
            },
            policy,
        )
    }
}

impl Call<Vec<Voice>> {
    /// The voices list ([`crate::tts::voices::voices_request`]'s head), parsed from at most [`MAX_VOICES_BODY`] bytes.
    pub fn voices(head: Request<()>, policy: RetryPolicy) -> Self {
        Call::new(
            Service::Voices,
            Some(head),
            BodyPlan::Empty,
            Expect::Parsed {
                cap: MAX_VOICES_BODY,
                parse: parse_voices,
            },
            policy,
        )
    }
}

impl Call<()> {
    /// A synthesis ([`crate::tts::synthesize::SynthesisRequest::build`]'s head; the SSML body can be sent again): on
    /// success the call ends with [`Output::Stream`] and the audio is the caller's.
    pub fn synthesis(head: Request<()>, policy: RetryPolicy) -> Self {
        Call::new(
            Service::Synthesis,
            Some(head),
            BodyPlan::Replayable,
            Expect::Streamed,
            policy,
        )
    }
}

impl Call<TokenAnswer> {
    /// Perform the [`crate::AuthAction::FetchToken`] an [`Auth`] handed out: one attempt, no authorization (the
    /// head carries the key), any status read with its body (at most [`MAX_TOKEN_BODY`] bytes). The token machine
    /// does its own backoff: report [`Output::Done`] with [`TokenAnswer::report`] and a failure with
    /// [`Auth::handle_fetch_error`].
    pub fn token_fetch(head: Request<()>) -> Self {
        let mut call = Call::new(
            Service::Token,
            Some(head),
            BodyPlan::Empty,
            Expect::Raw {
                cap: MAX_TOKEN_BODY,
                wrap: |answer| answer,
            },
            RetryPolicy::none(),
        );
        // Nothing to authorize: the head is sent as it is.
        call.state = State::Sending;
        call.out = call.head.take().map(Output::Send);
        call
    }
}

impl Call<Token> {
    /// Serve the token machine's current token to a caller who asks for it (fetching one when there is none),
    /// retrying a failed fetch as `policy` says. [`Output::Authorize`] is the only duty besides waiting; a
    /// credential without a token machine fails with [`Misuse::InvalidState`].
    pub fn current_token(policy: RetryPolicy) -> Self {
        Call::new(
            Service::Token,
            None,
            BodyPlan::Empty,
            Expect::CurrentToken(|token| token),
            policy,
        )
    }
}

impl<T> Call<T> {
    fn new(
        service: Service,
        head: Option<Request<()>>,
        body: BodyPlan,
        expect: Expect<T>,
        policy: RetryPolicy,
    ) -> Self {
        Call {
            service,
            head,
            body,
            expect,
            policy,
            deadline: None,
            attempt: 1,
            reauthorized: false,
            token: None,
            rejected: None,
            taken: 0,
            authorized_unpolled: false,
            state: State::Authorizing,
            out: Some(Output::Authorize),
        }
    }

    /// Never wait for a retry past `deadline`: a retry that would start later fails the call with the last
    /// failure instead. `None` (the default) sets no deadline. The driver's own timeouts bound each attempt.
    #[must_use]
    pub fn deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Which service this call is for.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Attempts made so far, the current one included (a re-authorization after a 401 does not count).
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The driver's next duty; `None` while the call waits for the input its last output asked for. Call it after
    /// creating the call and after every `handle_*`, until `None`.
    pub fn poll_output(&mut self) -> Option<Output<T>> {
        self.authorized_unpolled = false;
        self.out.take()
    }

    /// When the current wait ends (while the call waits for a retry).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Waiting(until) => Some(until),
            _ => None,
        }
    }

    /// Authorize the attempt through `auth` (locked by the driver), after [`Output::Authorize`]. A token the
    /// service refused in the last attempt is dropped first. Returns [`AuthStep::Pending`] while a token fetch
    /// is needed; a token that cannot be had ([`Error::TokenUnavailable`]) goes to the retry decision.
    ///
    /// Called again before its answer was polled (a driver that performed a refresh the `Auth` handed out
    /// alongside a still-valid token), it takes the step again, so that the fresh token is the one sent.
    pub fn handle_authorize(&mut self, at: Moment, auth: &mut Auth) -> AuthStep {
        if self.authorized_unpolled && self.out.is_some() {
            // Asked again before the last answer was polled (a token fetch completed meanwhile, e.g. a refresh
            // while the old token was served): take the step again, so that the freshest token is used.
            self.out = None;
            self.token = None;
            self.state = State::Authorizing;
        }
        if !matches!(self.state, State::Authorizing) || self.out.is_some() {
            return AuthStep::Done;
        }
        let step = self.authorize(at, auth);
        self.authorized_unpolled = step == AuthStep::Done;
        step
    }

    fn authorize(&mut self, at: Moment, auth: &mut Auth) -> AuthStep {
        if let Some(rejected) = self.rejected.take() {
            auth.invalidate_token(at.now, rejected);
        }
        let fetched = auth.uses_tokens();
        if let Expect::CurrentToken(wrap) = self.expect {
            let served = match auth.token_machine_mut() {
                Some(machine) => machine.current_token(at.now).map(|t| t.cloned()),
                None => Err(Error::from(Misuse::InvalidState(
                    "token(): this credential has no token machine",
                ))),
            };
            match served {
                Ok(Some(token)) => self.end(Output::Done(wrap(token))),
                Ok(None) => return AuthStep::Pending,
                Err(e) => self.fail(at, Fault::Error(e)),
            }
            return AuthStep::Done;
        }
        let Some(template) = self.head.as_ref() else {
            self.end(Output::Failed(Fault::Error(
                Misuse::InvalidState("the call has no request to authorize").into(),
            )));
            return AuthStep::Done;
        };
        let mut head = copy_head(template);
        match auth.authorize(at.now, &mut head) {
            Ok(Authorize::Ready(id)) => {
                self.token = Some((id, fetched));
                self.taken = 0;
                self.state = State::Sending;
                self.out = Some(Output::Send(head));
            }
            Ok(Authorize::Pending) => return AuthStep::Pending,
            Err(e) => {
                self.token = None;
                self.taken = 0;
                self.fail(at, Fault::Error(e));
            }
        }
        AuthStep::Done
    }

    /// The answer's final head arrived (interim `1xx` heads are the transport's business), after `body_taken`
    /// bytes of the body were read from the driver's source in this attempt.
    pub fn handle_head(
        &mut self,
        at: Moment,
        status: StatusCode,
        headers: &HeaderMap,
        body_taken: u64,
    ) {
        let _ = at;
        if !matches!(self.state, State::Sending) {
            return;
        }
        self.taken = body_taken;
        let read = |cap: usize| Output::ReadBody {
            limit: cap.saturating_add(1),
        };
        let (next, out) = match &self.expect {
            Expect::Raw { cap, .. } => (true, read(*cap)),
            _ if !status.is_success() => (true, read(MAX_ERROR_BODY)),
            Expect::Parsed { cap, .. } => (true, read(*cap)),
            Expect::Streamed => (false, Output::Stream),
            // Serving the current token sends no request, so it never reaches `Sending`.
            Expect::CurrentToken(_) => return,
        };
        if next {
            self.state = State::Reading {
                status,
                headers: headers.clone(),
            };
            self.out = Some(out);
        } else {
            self.end(out);
        }
    }

    /// The answer's body, complete (at most the `limit` of [`Output::ReadBody`]).
    pub fn handle_body(&mut self, at: Moment, body: &[u8]) {
        let State::Reading { status, headers } = std::mem::replace(&mut self.state, State::Ended)
        else {
            return;
        };
        match &self.expect {
            Expect::Raw { cap, wrap } => {
                let mut body = body.to_vec();
                body.truncate(cap.saturating_add(1));
                let wrap = *wrap;
                self.end(Output::Done(wrap(TokenAnswer {
                    status,
                    headers,
                    body,
                })));
            }
            _ if !status.is_success() => {
                let body = body.get(..MAX_ERROR_BODY).unwrap_or(body);
                let error = parse_error_response(self.service, status, &headers, body);
                self.fail(at, Fault::Error(error));
            }
            Expect::Parsed { parse, .. } => match parse(body) {
                Ok(value) => self.end(Output::Done(value)),
                Err(e) => self.fail(at, Fault::Error(e)),
            },
            Expect::Streamed | Expect::CurrentToken(_) => {}
        }
    }

    /// Reading the answer's body failed after `partial` arrived. An error answer is still worth what arrived of
    /// it (the status is the answer); a broken success body is a broken connection.
    pub fn handle_body_broken(&mut self, at: Moment, failure: TransportFailure, partial: &[u8]) {
        let error_answer = matches!(
            (&self.state, &self.expect),
            (State::Reading { status, .. }, Expect::Parsed { .. } | Expect::Streamed)
                if !status.is_success()
        );
        if error_answer {
            self.handle_body(at, partial);
        } else if matches!(self.state, State::Reading { .. }) {
            self.fail(at, Fault::Transport(failure));
        }
    }

    /// The attempt got no answer (connecting, sending or reading the head failed), after `body_taken` bytes of
    /// the body were read from the driver's source.
    pub fn handle_transport_failed(
        &mut self,
        at: Moment,
        failure: TransportFailure,
        body_taken: u64,
    ) {
        if !matches!(self.state, State::Sending) {
            return;
        }
        self.taken = body_taken;
        self.fail(at, Fault::Transport(failure));
    }

    /// Time passed: after [`Output::Wait`], the next attempt starts once `at.now` reaches its instant (an early
    /// call hands the same wait out again).
    pub fn handle_timeout(&mut self, at: Moment) {
        if let State::Waiting(until) = self.state {
            if at.now >= until {
                self.attempt = self.attempt.saturating_add(1);
                self.state = State::Authorizing;
                self.out = Some(Output::Authorize);
            } else {
                self.out = Some(Output::Wait(until));
            }
        }
    }

    fn end(&mut self, out: Output<T>) {
        self.state = State::Ended;
        self.out = Some(out);
    }

    /// The attempt failed: follow the retry decision.
    fn fail(&mut self, at: Moment, fault: Fault) {
        let body = match self.body {
            BodyPlan::Empty => BodyState::NotSent,
            BodyPlan::Replayable => BodyState::Replayable,
            BodyPlan::Stream if self.taken == 0 => BodyState::NotSent,
            BodyPlan::Stream => BodyState::NotReplayable,
        };
        let failure = match &fault {
            Fault::Error(e) => Failure::Error(e),
            Fault::Transport(t) => Failure::Transport(*t),
        };
        let (id, fetched) = self.token.unwrap_or((TokenId::STATIC, false));
        let attempt = Attempt::new(self.attempt, failure, body)
            .fetched_token(fetched)
            .reauthorized(self.reauthorized);
        match retry::decide(&self.policy, &attempt, at.jitter, at.unix_secs) {
            RetryDecision::Reauthorize if self.token.is_some() => {
                self.reauthorized = true;
                self.rejected = Some(id);
                self.state = State::Authorizing;
                self.out = Some(Output::Authorize);
            }
            RetryDecision::RetryAfter(delay) => {
                let until = at.now.checked_add(delay);
                match until {
                    Some(until) if self.deadline.is_none_or(|d| until <= d) => {
                        self.state = State::Waiting(until);
                        self.out = Some(Output::Wait(until));
                    }
                    _ => self.end(Output::Failed(fault)),
                }
            }
            _ => self.end(Output::Failed(fault)),
        }
    }
}

/// A copy of a request head (`http::Request` is not `Clone`: extensions are not copied, and the core sets
/// none).
fn copy_head(head: &Request<()>) -> Request<()> {
    let mut copy = Request::new(());
    *copy.method_mut() = head.method().clone();
    *copy.uri_mut() = head.uri().clone();
    *copy.version_mut() = head.version();
    *copy.headers_mut() = head.headers().clone();
    copy
}
