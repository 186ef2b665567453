//! Whether to send a failed request again, and when: the retry decision, as a pure function.
//!
//! A driver sends a request; when it fails, the driver describes the attempt in an [`Attempt`] and follows
//! the [`RetryDecision`] that [`decide`] returns. The driver only sleeps and resends; every rule lives here:
//!
//! * **401 with a token the token machine fetched** → [`RetryDecision::Reauthorize`], once per call: the token
//!   may have expired or been revoked, so the driver drops it
//!   ([`Auth::invalidate_token`](crate::Auth::invalidate_token)), authorizes again (which fetches a new one) and
//!   resends. This is part of the token protocol, not of the retry budget: it happens even with
//!   [`RetryPolicy::none`]. A second 401 is final (the key or the endpoint is wrong).
//! * **429** → wait `Retry-After` when the answer carried one (give up when it asks for longer than
//!   [`RetryPolicy::max_retry_after`]: the caller is better told at once), otherwise the backoff.
//! * **408, 500, 502, 503, 504, and transport failures** (no connection, connection broken, timed out) → the
//!   backoff: `base_delay · 2^(n-1)`, capped at `max_delay`, shortened by up to half by the caller's jitter; at
//!   least `Retry-After` when a 5xx carried one. A response that broke HTTP/1.1 framing or was cut short
//!   ([`Error::Wire`] from the peer) counts as a broken connection.
//! * **No token available** ([`Error::TokenUnavailable`]): the token machine is backing off after a failed
//!   fetch. Wait until its next attempt when the failure can pass (no answer, 429, 5xx); give up when the token
//!   service refused the key (401, 403, 400), which needs the caller to fix the key or the endpoint.
//! * Everything else (caller misuse, other 4xx, malformed bodies, bad audio) → [`RetryDecision::GiveUp`].
//!
//! Every retry needs the body to be sent again: only when it can be replayed ([`BodyState::Replayable`]: bytes in
//! memory, a file that can be rewound) or was never read ([`BodyState::NotSent`]: the service answered before
//! `100 Continue`, or the request has no body). A stream that was partly sent is gone
//! ([`BodyState::NotReplayable`]) and its failure is final. Every request of this API may be repeated without
//! harm (recognition and synthesis have no side effects but billing; the voices list and the token service are
//! plain reads), so the body is the only thing that decides.
//!
//! ```
//! use std::time::Duration;
//! use http::{HeaderMap, StatusCode};
//! use speech_proto::retry::{decide, Attempt, BodyState, Failure, RetryDecision, RetryPolicy};
//! use speech_proto::{parse_error_response, Service};
//!
//! let policy = RetryPolicy::default();
//! let mut headers = HeaderMap::new();
//! headers.insert("retry-after", "2".parse().unwrap());
//! let throttled = parse_error_response(Service::Synthesis, StatusCode::TOO_MANY_REQUESTS, &headers, b"");
//! let attempt = Attempt::new(1, Failure::Error(&throttled), BodyState::Replayable);
//! assert_eq!(decide(&policy, &attempt, 0.5, 1_700_000_000), RetryDecision::RetryAfter(Duration::from_secs(2)));
//!
//! // The same answer for a stream that was partly sent: it cannot be sent again.
//! let attempt = Attempt::new(1, Failure::Error(&throttled), BodyState::NotReplayable);
//! assert_eq!(decide(&policy, &attempt, 0.5, 1_700_000_000), RetryDecision::GiveUp);
//! ```

use std::time::Duration;

use http::StatusCode;

use crate::error::Error;
pub use crate::error::TransportFailure;

/// How often and how patiently to retry. Start from [`RetryPolicy::default`] or [`RetryPolicy::none`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// The most attempts per call, the first one included (default 4; 1 means no retries). The one
    /// [`RetryDecision::Reauthorize`] per call does not count.
    pub max_attempts: u32,
    /// The first backoff delay (default 500 ms); it doubles with each further attempt.
    pub base_delay: Duration,
    /// The longest backoff delay (default 8 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` (or token-service backoff) waited for (default 60 s). A longer one is not
    /// waited for: the call fails at once with the answer, which carries the delay.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry (one attempt). A 401 for a fetched token is still answered with one
    /// [`RetryDecision::Reauthorize`].
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Set [`max_attempts`](Self::max_attempts) (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Set [`base_delay`](Self::base_delay) and [`max_delay`](Self::max_delay).
    #[must_use]
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// Set [`max_retry_after`](Self::max_retry_after).
    #[must_use]
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The backoff before attempt `attempt + 1`, after `attempt` failed ones: `base_delay · 2^(attempt-1)`,
    /// capped at `max_delay`, then shortened by up to half: `jitter` 0 keeps the full delay, values towards 1
    /// approach half of it. Jitter outside `0..=1` (or NaN) is clamped.
    pub fn backoff_delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        let nominal = self
            .base_delay
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        // Through f64 seconds; a value that does not convert back (near Duration::MAX) keeps the nominal delay.
        Duration::try_from_secs_f64(nominal.as_secs_f64() * (1.0 - jitter / 2.0))
            .map_or(nominal, |d| d.min(nominal))
    }
}

/// What became of the request body during the failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyState {
    /// The body can be sent again from the start (bytes in memory, a file that can be rewound).
    Replayable,
    /// Part of a streamed body was consumed; it cannot be sent again.
    NotReplayable,
    /// No body byte was taken (no body, or the answer came before the body was read): resending is possible.
    NotSent,
}

impl BodyState {
    fn can_resend(self) -> bool {
        !matches!(self, BodyState::NotReplayable)
    }
}

/// Why an attempt failed.
#[derive(Clone, Copy, Debug)]
pub enum Failure<'a> {
    /// The core's error: a service answer (parsed with [`parse_error_response`](crate::parse_error_response)),
    /// [`Error::TokenUnavailable`] from authorizing, a malformed body, caller misuse.
    Error(&'a Error),
    /// No answer.
    Transport(TransportFailure),
}

/// One failed attempt, described for [`decide`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// How many attempts of this call have been made, this one included (1 after the first).
    pub number: u32,
    /// Why it failed.
    pub failure: Failure<'a>,
    /// What became of the body.
    pub body: BodyState,
    /// The request carried a token the token machine fetched (not a key, a caller's bearer token or Entra).
    pub fetched_token: bool,
    /// This call has already been answered with [`RetryDecision::Reauthorize`] once.
    pub reauthorized: bool,
}

impl<'a> Attempt<'a> {
    /// Attempt `number` failed with `failure`; no fetched token, not reauthorized yet.
    pub fn new(number: u32, failure: Failure<'a>, body: BodyState) -> Self {
        Attempt {
            number,
            failure,
            body,
            fetched_token: false,
            reauthorized: false,
        }
    }

    /// Set [`fetched_token`](Self::fetched_token).
    #[must_use]
    pub fn fetched_token(mut self, fetched: bool) -> Self {
        self.fetched_token = fetched;
        self
    }

    /// Set [`reauthorized`](Self::reauthorized).
    #[must_use]
    pub fn reauthorized(mut self, reauthorized: bool) -> Self {
        self.reauthorized = reauthorized;
        self
    }
}

/// What the driver does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Drop the rejected token ([`Auth::invalidate_token`](crate::Auth::invalidate_token) with the id the
    /// request was authorized with), authorize again (a new token is fetched) and resend at once.
    Reauthorize,
    /// Sleep this long, then authorize and resend (rewinding a replayable body).
    RetryAfter(Duration),
    /// Report the failure to the caller.
    GiveUp,
}

/// Decide what follows a failed attempt. Pure: `jitter` (a random value in `0..1`) and the caller's wall-clock
/// time (`now_unix_secs`, for an HTTP-date `Retry-After`) arrive as values. The rules are in the
/// [module docs](self).
pub fn decide(
    policy: &RetryPolicy,
    attempt: &Attempt<'_>,
    jitter: f64,
    now_unix_secs: u64,
) -> RetryDecision {
    if !attempt.body.can_resend() {
        return RetryDecision::GiveUp;
    }
    let error = match attempt.failure {
        Failure::Transport(t) if !t.can_pass() => return RetryDecision::GiveUp,
        Failure::Transport(_) => None,
        Failure::Error(e) => Some(e),
    };
    if let Some(e) = error {
        if e.status() == Some(StatusCode::UNAUTHORIZED)
            && matches!(e, Error::Service(_))
            && attempt.fetched_token
            && !attempt.reauthorized
        {
            return RetryDecision::Reauthorize;
        }
    }
    if attempt.number >= policy.max_attempts {
        return RetryDecision::GiveUp;
    }
    let backoff = policy.backoff_delay(attempt.number, jitter);
    let Some(e) = error else {
        return RetryDecision::RetryAfter(backoff);
    };
    match e {
        Error::Service(s) if s.is_retryable() => {
            let asked = s.retry_after.map(|r| r.delay_from(now_unix_secs));
            match asked {
                Some(d) if d > policy.max_retry_after => RetryDecision::GiveUp,
                // 429 with Retry-After: exactly what the service asked for.
                Some(d) if s.status == StatusCode::TOO_MANY_REQUESTS => {
                    RetryDecision::RetryAfter(d)
                }
                Some(d) => RetryDecision::RetryAfter(d.max(backoff)),
                None => RetryDecision::RetryAfter(backoff),
            }
        }
        Error::TokenUnavailable {
            last_error,
            retry_in,
        } => {
            // The token service refused the key (or answered something unparseable): waiting cannot fix it.
            let passes = last_error.as_deref().is_none_or(Error::is_retryable);
            match *retry_in {
                _ if !passes => RetryDecision::GiveUp,
                Some(d) if d > policy.max_retry_after => RetryDecision::GiveUp,
                Some(d) => RetryDecision::RetryAfter(d),
                None => RetryDecision::GiveUp,
            }
        }
        // A response that broke HTTP/1.1 framing or was cut short: like a broken connection.
        Error::Wire(w) if w.is_peer_fault() => RetryDecision::RetryAfter(backoff),
        _ => RetryDecision::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{parse_error_response, Misuse, Service};
    use http::HeaderMap;

    const NOW: u64 = 1_700_000_000;

    fn answer(status: u16, retry_after: Option<&str>) -> Error {
        let mut headers = HeaderMap::new();
        if let Some(v) = retry_after {
            headers.insert("retry-after", v.parse().unwrap());
        }
        parse_error_response(
            Service::Recognition,
            StatusCode::from_u16(status).unwrap(),
            &headers,
            b"",
        )
    }

    fn decide_error(e: &Error, number: u32, body: BodyState) -> RetryDecision {
        decide(
            &RetryPolicy::default(),
            &Attempt::new(number, Failure::Error(e), body),
            0.0,
            NOW,
        )
    }

    #[test]
    fn io_error_kinds_map_to_transport_classes() {
        use std::io::ErrorKind as K;
        let class = TransportFailure::from_io_kind;
        assert_eq!(class(K::ConnectionRefused), TransportFailure::Connect);
        assert_eq!(class(K::TimedOut), TransportFailure::TimedOut);
        assert_eq!(class(K::ConnectionReset), TransportFailure::Broken);
        assert_eq!(class(K::UnexpectedEof), TransportFailure::Broken);
        assert_eq!(class(K::InvalidData), TransportFailure::Permanent);
        assert_eq!(class(K::PermissionDenied), TransportFailure::Permanent);
    }

    #[test]
    fn a_name_that_does_not_resolve_is_a_dns_failure() {
        let dns = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(TransportFailure::from_io_error(&dns), TransportFailure::Dns);
        assert!(!TransportFailure::Dns.can_pass());
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            TransportFailure::from_io_error(&refused),
            TransportFailure::Connect
        );
        let a = Attempt::new(
            1,
            Failure::Transport(TransportFailure::Dns),
            BodyState::NotSent,
        );
        assert_eq!(
            decide(&RetryPolicy::default(), &a, 0.0, NOW),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_shortens_by_up_to_half() {
        let p = RetryPolicy::default();
        let ms = |a, j| p.backoff_delay(a, j).as_millis();
        assert_eq!(
            [ms(1, 0.0), ms(2, 0.0), ms(3, 0.0), ms(4, 0.0), ms(5, 0.0)],
            [500, 1000, 2000, 4000, 8000]
        );
        assert_eq!(ms(6, 0.0), 8000);
        assert_eq!(ms(u32::MAX, 0.0), 8000);
        assert_eq!(ms(0, 0.0), 500);
        assert_eq!(ms(1, 1.0), 250);
        assert_eq!(ms(2, 0.5), 750);
        assert_eq!(ms(1, f64::NAN), 500);
        assert_eq!(ms(1, -3.0), 500);
        assert_eq!(ms(1, 7.0), 250);
        let huge = RetryPolicy::default().backoff(Duration::MAX, Duration::MAX);
        assert_eq!(huge.backoff_delay(40, 0.0), Duration::MAX);
    }

    #[test]
    fn retryable_answers_back_off_until_attempts_run_out() {
        for status in [408, 500, 502, 503, 504] {
            let e = answer(status, None);
            assert_eq!(
                decide_error(&e, 1, BodyState::Replayable),
                RetryDecision::RetryAfter(Duration::from_millis(500)),
                "{status}"
            );
            assert_eq!(
                decide_error(&e, 3, BodyState::NotSent),
                RetryDecision::RetryAfter(Duration::from_secs(2))
            );
            assert_eq!(
                decide_error(&e, 4, BodyState::Replayable),
                RetryDecision::GiveUp
            );
        }
    }

    #[test]
    fn a_partly_sent_stream_is_never_resent() {
        for e in [answer(503, None), answer(429, Some("1")), answer(401, None)] {
            let a =
                Attempt::new(1, Failure::Error(&e), BodyState::NotReplayable).fetched_token(true);
            assert_eq!(
                decide(&RetryPolicy::default(), &a, 0.0, NOW),
                RetryDecision::GiveUp
            );
        }
        for t in [
            TransportFailure::Broken,
            TransportFailure::TimedOut,
            TransportFailure::Connect,
        ] {
            let a = Attempt::new(1, Failure::Transport(t), BodyState::NotReplayable);
            assert_eq!(
                decide(&RetryPolicy::default(), &a, 0.0, NOW),
                RetryDecision::GiveUp
            );
        }
    }

    #[test]
    fn other_client_errors_and_misuse_are_final() {
        for status in [400, 403, 404, 411, 413, 415] {
            assert_eq!(
                decide_error(&answer(status, Some("1")), 1, BodyState::Replayable),
                RetryDecision::GiveUp,
                "{status}"
            );
        }
        let misuse = Error::from(Misuse::Missing("language"));
        assert_eq!(
            decide_error(&misuse, 1, BodyState::NotSent),
            RetryDecision::GiveUp
        );
        let malformed = Error::LimitExceeded {
            what: "x",
            limit: 1,
        };
        assert_eq!(
            decide_error(&malformed, 1, BodyState::Replayable),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn unauthorized_reauthorizes_once_and_only_for_fetched_tokens() {
        let e = answer(401, None);
        let p = RetryPolicy::none();
        let a = Attempt::new(1, Failure::Error(&e), BodyState::Replayable).fetched_token(true);
        assert_eq!(decide(&p, &a, 0.0, NOW), RetryDecision::Reauthorize);
        let a = a.reauthorized(true);
        assert_eq!(decide(&p, &a, 0.0, NOW), RetryDecision::GiveUp);
        let a = Attempt::new(1, Failure::Error(&e), BodyState::NotSent);
        assert_eq!(
            decide(&RetryPolicy::default(), &a, 0.0, NOW),
            RetryDecision::GiveUp,
            "a static key or bearer is not refetched"
        );
        let a = Attempt::new(1, Failure::Error(&e), BodyState::NotSent).fetched_token(true);
        assert_eq!(decide(&p, &a, 0.0, NOW), RetryDecision::Reauthorize);
    }

    #[test]
    fn throttling_honours_retry_after_up_to_the_cap() {
        assert_eq!(
            decide_error(&answer(429, Some("3")), 1, BodyState::Replayable),
            RetryDecision::RetryAfter(Duration::from_secs(3))
        );
        // Shorter than the backoff: still what the service asked for.
        assert_eq!(
            decide_error(&answer(429, Some("0")), 3, BodyState::Replayable),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
        assert_eq!(
            decide_error(&answer(429, None), 2, BodyState::Replayable),
            RetryDecision::RetryAfter(Duration::from_secs(1))
        );
        assert_eq!(
            decide_error(&answer(429, Some("61")), 1, BodyState::Replayable),
            RetryDecision::GiveUp
        );
        // An HTTP date, against the caller's clock.
        let date = "Tue, 14 Nov 2023 22:13:25 GMT"; // 1_700_000_005
        assert_eq!(
            decide_error(&answer(429, Some(date)), 1, BodyState::Replayable),
            RetryDecision::RetryAfter(Duration::from_secs(5))
        );
        // A 503 with Retry-After: at least that, at least the backoff.
        assert_eq!(
            decide_error(&answer(503, Some("2")), 1, BodyState::Replayable),
            RetryDecision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            decide_error(&answer(503, Some("0")), 2, BodyState::Replayable),
            RetryDecision::RetryAfter(Duration::from_secs(1))
        );
    }

    #[test]
    fn transport_failures() {
        let p = RetryPolicy::default();
        for t in [
            TransportFailure::Connect,
            TransportFailure::Broken,
            TransportFailure::TimedOut,
        ] {
            let a = Attempt::new(2, Failure::Transport(t), BodyState::Replayable);
            assert_eq!(
                decide(&p, &a, 1.0, NOW),
                RetryDecision::RetryAfter(Duration::from_millis(500))
            );
            let a = Attempt::new(4, Failure::Transport(t), BodyState::Replayable);
            assert_eq!(decide(&p, &a, 1.0, NOW), RetryDecision::GiveUp);
        }
        let a = Attempt::new(
            1,
            Failure::Transport(TransportFailure::Permanent),
            BodyState::NotSent,
        );
        assert_eq!(decide(&p, &a, 0.0, NOW), RetryDecision::GiveUp);
        let a = Attempt::new(
            1,
            Failure::Transport(TransportFailure::Connect),
            BodyState::NotSent,
        );
        assert_eq!(
            decide(&RetryPolicy::none(), &a, 0.0, NOW),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn token_unavailable_waits_only_when_the_failure_can_pass() {
        let unavailable =
            |last: Option<Error>, retry_in: Option<Duration>| Error::TokenUnavailable {
                last_error: last.map(Box::new),
                retry_in,
            };
        let d = Some(Duration::from_secs(2));
        let wait = RetryDecision::RetryAfter(Duration::from_secs(2));
        assert_eq!(
            decide_error(&unavailable(None, d), 1, BodyState::NotSent),
            wait
        );
        assert_eq!(
            decide_error(
                &unavailable(Some(answer(503, None)), d),
                1,
                BodyState::NotSent
            ),
            wait
        );
        assert_eq!(
            decide_error(
                &unavailable(Some(answer(429, None)), d),
                1,
                BodyState::NotSent
            ),
            wait
        );
        for refused in [401, 403, 400] {
            assert_eq!(
                decide_error(
                    &unavailable(Some(answer(refused, None)), d),
                    1,
                    BodyState::NotSent
                ),
                RetryDecision::GiveUp
            );
        }
        assert_eq!(
            decide_error(
                &unavailable(None, Some(Duration::from_secs(61))),
                1,
                BodyState::NotSent
            ),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide_error(&unavailable(None, None), 1, BodyState::NotSent),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide_error(&unavailable(None, d), 4, BodyState::NotSent),
            RetryDecision::GiveUp
        );
        // A 401 from the token service (inside TokenUnavailable) is not a rejected fetched token.
        let refused = unavailable(Some(answer(401, None)), d);
        let a = Attempt::new(1, Failure::Error(&refused), BodyState::NotSent).fetched_token(true);
        assert_eq!(
            decide(&RetryPolicy::default(), &a, 0.0, NOW),
            RetryDecision::GiveUp
        );
    }
}
