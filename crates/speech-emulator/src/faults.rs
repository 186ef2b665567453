//! Limits and injected faults, settable on the builder and at run time through [`Faults`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http::StatusCode;

#[derive(Clone, Debug, Default)]
struct Quota {
    limit: u32,
    window: Duration,
    window_start: Option<Instant>,
    used: u32,
}

#[derive(Clone, Debug, Default)]
struct State {
    latency: Duration,
    quota: Option<Quota>,
    max_concurrency: Option<usize>,
    fail_remaining: u32,
    fail_status: Option<StatusCode>,
    reset_after: Option<u64>,
    stall_remaining: u32,
    truncate_remaining: u32,
    stream_drop: Option<(u32, Duration)>,
    stream_close: Option<(u32, u16, String)>,
}

/// A handle to the emulator's limits and injected faults. Cheap to clone; every clone drives the same
/// emulator.
///
/// Every request (on every endpoint, including unknown paths) goes through these steps, in this order:
///
/// 1. **latency**: wait [`Faults::set_latency`] before anything else;
/// 2. **concurrency cap** ([`Faults::set_max_concurrency`]): more requests in flight than the cap →
///    `429` with `Retry-After: 1`;
/// 3. **quota** ([`Faults::set_quota`]): more than N requests in the current window → `429` with
///    `Retry-After` = the whole seconds left in the window (at least 1). The window starts at the first
///    request counted in it. Requests answered 429 are not counted;
/// 4. **stall** ([`Faults::stall_next`]): the request is accepted and never answered (the connection stays
///    open until the client gives up or the emulator shuts down); it keeps its concurrency slot;
/// 5. **fail** ([`Faults::fail_next`]): answered with the given status and a short plain-text body;
/// 6. **reset** ([`Faults::reset_after_body_bytes`]): the emulator reads the request body until it has N
///    bytes (or the body ends), then resets the TCP connection (RST) without answering;
/// 7. the endpoint runs; with **truncate** ([`Faults::truncate_next`]) its response is sent with chunked
///    framing, cut after half of its body bytes, before the terminating chunk, and the connection is closed.
///
/// The 429 body is `{"error":{"code":"429","message":"Rate limit is exceeded. Try again in N seconds."}}`,
/// the shape of the service's gateway errors (the real 429 body of the speech hosts is not documented).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
    in_flight: Arc<AtomicUsize>,
}

/// What the emulator does with a request after latency, the caps and the quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Answer 429 with this `Retry-After` (seconds).
    Throttle(u64),
    /// Never answer.
    Stall,
    /// Answer with this status.
    Fail(StatusCode),
    /// Reset the connection after this many body bytes.
    Reset(u64),
    /// Run the endpoint; truncate its response when `truncate`.
    Proceed {
        /// Cut the response.
        truncate: bool,
    },
}

/// Holds one concurrency slot until dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    in_flight: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a plain assignment; a poisoned lock still holds a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Delay every request by `latency` before handling it (0 turns it off).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Allow at most `requests` requests per `window`; further ones get `429` + `Retry-After` until the
    /// window ends. Replaces any previous quota and starts a fresh window.
    pub fn set_quota(&self, requests: u32, window: Duration) {
        self.lock().quota = Some(Quota {
            limit: requests,
            window,
            window_start: None,
            used: 0,
        });
    }

    /// Remove the quota.
    pub fn clear_quota(&self) {
        self.lock().quota = None;
    }

    /// Allow at most `max` requests in flight at once (`None` for no cap); more get `429` +
    /// `Retry-After: 1`.
    pub fn set_max_concurrency(&self, max: Option<usize>) {
        self.lock().max_concurrency = max;
    }

    /// Answer the next `n` requests with `status` (meant for 500, 502 and 503, but any status works).
    pub fn fail_next(&self, n: u32, status: StatusCode) {
        let mut state = self.lock();
        state.fail_remaining = n;
        state.fail_status = Some(status);
    }

    /// Reset the connection of the next request after reading `bytes` bytes of its body (or at the end of
    /// the body when it is shorter), without answering.
    pub fn reset_after_body_bytes(&self, bytes: u64) {
        self.lock().reset_after = Some(bytes);
    }

    /// Accept the next `n` requests and never answer them.
    pub fn stall_next(&self, n: u32) {
        self.lock().stall_remaining = n;
    }

    /// Cut the responses of the next `n` requests halfway, before the terminating chunk, and close the
    /// connection.
    pub fn truncate_next(&self, n: u32) {
        self.lock().truncate_remaining = n;
    }

    /// Streaming recognition: drop each of the next `n` WebSocket connections (no close frame, as a network
    /// failure would) once it has received `after` of audio, mid-turn. Synthesis over WebSocket: drop each of
    /// the next `n` connections once it has sent its first audio (`after` is not used).
    pub fn drop_next_streams(&self, n: u32, after: Duration) {
        self.lock().stream_drop = Some((n, after));
    }

    /// Streaming recognition: close each of the next `n` WebSocket connections with `code` and `reason` when its
    /// first audio arrives — e.g. `4429` or `1007` `"Throttled due to too many requests"` (the service's
    /// throttling closes), `1011` (a server error).
    pub fn close_next_streams(&self, n: u32, code: u16, reason: &str) {
        self.lock().stream_close = Some((n, code, reason.to_owned()));
    }

    /// Streaming: whether (and after how much audio) this new connection is to be dropped.
    pub(crate) fn take_stream_drop(&self) -> Option<Duration> {
        let mut state = self.lock();
        match state.stream_drop.as_mut() {
            Some((n, after)) if *n > 0 => {
                *n -= 1;
                Some(*after)
            }
            _ => None,
        }
    }

    /// Streaming: the close this new connection gets at its first audio, if any.
    pub(crate) fn take_stream_close(&self) -> Option<(u16, String)> {
        let mut state = self.lock();
        match state.stream_close.as_mut() {
            Some((n, code, reason)) if *n > 0 => {
                *n -= 1;
                Some((*code, reason.clone()))
            }
            _ => None,
        }
    }

    /// Turn every limit and pending fault off.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    /// How many requests are in flight right now (including stalled ones).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub(crate) fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// Take a concurrency slot, or say how long to wait.
    pub(crate) fn enter(&self) -> Result<Slot, u64> {
        let max = self.lock().max_concurrency;
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        let slot = Slot {
            in_flight: self.in_flight.clone(),
        };
        match max {
            Some(max) if now > max => Err(1),
            _ => Ok(slot),
        }
    }

    /// Decide what happens to a request that holds a concurrency slot.
    pub(crate) fn decide(&self, now: Instant) -> Action {
        let mut state = self.lock();
        if let Some(quota) = &mut state.quota {
            let start = *quota.window_start.get_or_insert(now);
            let elapsed = now.saturating_duration_since(start);
            if elapsed >= quota.window {
                quota.window_start = Some(now);
                quota.used = 0;
            }
            if quota.used >= quota.limit {
                let start = quota.window_start.unwrap_or(now);
                let left = quota
                    .window
                    .saturating_sub(now.saturating_duration_since(start));
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                return Action::Throttle(secs.max(1));
            }
            quota.used += 1;
        }
        if state.stall_remaining > 0 {
            state.stall_remaining -= 1;
            return Action::Stall;
        }
        if state.fail_remaining > 0 {
            state.fail_remaining -= 1;
            if let Some(status) = state.fail_status {
                return Action::Fail(status);
            }
        }
        if let Some(bytes) = state.reset_after.take() {
            return Action::Reset(bytes);
        }
        let truncate = state.truncate_remaining > 0;
        if truncate {
            state.truncate_remaining -= 1;
        }
        Action::Proceed { truncate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_faults_in_order() {
        let f = Faults::default();
        let t = Instant::now();
        f.stall_next(1);
        f.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
        f.reset_after_body_bytes(10);
        f.truncate_next(1);
        assert_eq!(f.decide(t), Action::Stall);
        assert_eq!(f.decide(t), Action::Fail(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(f.decide(t), Action::Fail(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(f.decide(t), Action::Reset(10));
        assert_eq!(f.decide(t), Action::Proceed { truncate: true });
        assert_eq!(f.decide(t), Action::Proceed { truncate: false });
    }

    #[test]
    fn quota_windows() {
        let f = Faults::default();
        let t = Instant::now();
        f.set_quota(2, Duration::from_secs(10));
        assert_eq!(f.decide(t), Action::Proceed { truncate: false });
        assert_eq!(
            f.decide(t + Duration::from_secs(1)),
            Action::Proceed { truncate: false }
        );
        assert_eq!(
            f.decide(t + Duration::from_millis(2500)),
            Action::Throttle(8)
        );
        assert_eq!(
            f.decide(t + Duration::from_millis(9999)),
            Action::Throttle(1)
        );
        assert_eq!(
            f.decide(t + Duration::from_secs(10)),
            Action::Proceed { truncate: false }
        );
        f.clear_quota();
        for _ in 0..10 {
            assert_eq!(f.decide(t), Action::Proceed { truncate: false });
        }
    }

    #[test]
    fn concurrency_slots() {
        let f = Faults::default();
        f.set_max_concurrency(Some(1));
        let a = f.enter();
        assert!(a.is_ok());
        assert_eq!(f.enter().err(), Some(1));
        assert_eq!(f.in_flight(), 1);
        drop(a);
        assert_eq!(f.in_flight(), 0);
        assert!(f.enter().is_ok());
        f.clear();
        assert_eq!(f.latency(), Duration::ZERO);
    }
}
