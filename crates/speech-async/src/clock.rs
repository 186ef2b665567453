//! The client's clock: the runtime's `now()` (the one place the time is read) plus the wall-clock seconds and
//! jitter the core takes as values.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use speech_proto::call::{Moment, WallClock};

use crate::unversioned::Runtime;

/// The client's clock. Wall-clock seconds (a token's `exp`, an HTTP-date `Retry-After`) are derived from the
/// runtime's instant, anchored to the system time once when the client is built, so that a virtual clock moves
/// both.
#[derive(Clone)]
pub(crate) struct Clock {
    runtime: Arc<dyn Runtime>,
    wall: WallClock,
    jitter: Arc<Jitter>,
}

impl Clock {
    pub(crate) fn new(runtime: Arc<dyn Runtime>) -> Self {
        let anchor = runtime.now();
        let anchor_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let wall = WallClock::new(anchor, anchor_unix);
        Clock {
            runtime,
            wall,
            jitter: Arc::new(Jitter::new()),
        }
    }

    pub(crate) fn runtime(&self) -> &dyn Runtime {
        &*self.runtime
    }

    /// The current instant.
    pub(crate) fn now(&self) -> Instant {
        self.runtime.now()
    }

    /// A value in `0..1` for the core's backoff jitter.
    pub(crate) fn jitter(&self) -> f64 {
        self.jitter.next()
    }

    /// 128 bits that differ across calls and processes (a multipart boundary; nothing secret).
    pub(crate) fn entropy(&self) -> u128 {
        (u128::from(self.jitter.bits()) << 64) | u128::from(self.jitter.bits())
    }

    /// The time of an input to the core: the instant, wall-clock seconds and jitter.
    pub(crate) fn moment(&self) -> Moment {
        self.wall.moment(self.now(), self.jitter())
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// Jitter from SipHash with the per-process random keys of [`RandomState`] over a counter: cheap, spread out,
/// different across processes. Not for anything secret.
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
        self.state.hash_one(n)
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
}
