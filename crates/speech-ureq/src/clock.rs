//! The one place the client reads a clock, and its cheap source of jitter.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use speech_proto::call::{Moment, WallClock};

/// A monotonic clock, swappable for tests.
pub(crate) type ClockFn = Arc<dyn Fn() -> Instant + Send + Sync>;

/// A sleep, swappable for tests (so that virtual-time tests do not wait for real).
pub(crate) type SleepFn = Arc<dyn Fn(Duration) + Send + Sync>;

/// The client's clock. The monotonic instant comes from the (swappable) clock function; the wall-clock seconds
/// the core needs (a token's `exp`, an HTTP-date `Retry-After`) are derived from it, anchored once when the
/// client is built, so that a test clock moves both.
#[derive(Clone)]
pub(crate) struct Clock {
    now: ClockFn,
    sleep: SleepFn,
    wall: WallClock,
    jitter: Arc<Jitter>,
}

impl Clock {
    pub(crate) fn new(now: ClockFn, sleep: SleepFn) -> Self {
        let anchor = now();
        let anchor_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let wall = WallClock::new(anchor, anchor_unix);
        Clock {
            now,
            sleep,
            wall,
            jitter: Arc::new(Jitter::new()),
        }
    }

    /// The current instant.
    pub(crate) fn now(&self) -> Instant {
        (self.now)()
    }

    /// The wall-clock seconds since the Unix epoch at `now`.
    #[cfg(test)]
    pub(crate) fn unix_secs(&self, now: Instant) -> u64 {
        self.wall.unix_secs(now)
    }

    /// 128 bits that differ across calls, threads and processes (a multipart boundary; nothing secret).
    pub(crate) fn entropy(&self) -> u128 {
        (u128::from(self.jitter.bits()) << 64) | u128::from(self.jitter.bits())
    }

    /// A value in `0..1` for the core's backoff jitter.
    pub(crate) fn jitter(&self) -> f64 {
        self.jitter.next()
    }

    /// The time of an input to the core: the instant, wall-clock seconds and jitter.
    pub(crate) fn moment(&self) -> Moment {
        self.wall.moment(self.now(), self.jitter())
    }

    /// Sleep (through the swappable sleep) until `until` on this clock.
    pub(crate) fn sleep_until(&self, until: Instant) {
        let left = until.saturating_duration_since(self.now());
        if !left.is_zero() {
            (self.sleep)(left);
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// Jitter from SipHash with the per-process random keys of [`RandomState`] over a counter: cheap, spread out,
/// different across processes and threads. Not for anything secret.
struct Jitter {
    state: RandomState,
    counter: AtomicU64,
}

impl Jitter {
    fn new() -> Self {
        Jitter {
            state: RandomState::new(),
            counter: AtomicU64::new(0),
        }
    }

    fn bits(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.state.hash_one((n, std::thread::current().id()))
    }

    fn next(&self) -> f64 {
        // The top 53 bits as a fraction in [0, 1).
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_in_range_and_varies() {
        let j = Jitter::new();
        let values: Vec<f64> = (0..1000).map(|_| j.next()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        assert!((300..700).contains(&low), "{low} of 1000 below 0.5");
    }

    #[test]
    fn wall_clock_follows_the_clock_function() {
        let base = Instant::now();
        let offset = Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let o = offset.clone();
        let clock = Clock::new(
            Arc::new(move || base + *o.lock().unwrap()),
            Arc::new(std::thread::sleep),
        );
        let t0 = clock.now();
        let w0 = clock.unix_secs(t0);
        *offset.lock().unwrap() = Duration::from_secs(90);
        let t1 = clock.now();
        assert_eq!(t1 - t0, Duration::from_secs(90));
        assert_eq!(clock.unix_secs(t1), w0 + 90);
        if let Some(before) = t0.checked_sub(Duration::from_secs(5)) {
            let w = clock.unix_secs(before);
            assert!(w == w0 - 5 || w == w0 - 6, "{w} vs {w0}");
        }
    }
}
