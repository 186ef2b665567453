//! The core's [`Auth`] shared by every clone of a client: a mutex around the state machine and a condvar for
//! the threads that wait for the first token.
//!
//! Rules, all from the core: at most one fetch runs (the machine hands out one `FetchToken` at a time); a
//! thread that finds a fetch queued performs it (without holding the lock) and reports the outcome; threads
//! with a still-valid token never wait; a thread without one waits only while a fetch is in flight. There is
//! no background thread: the refresh point and the end of a backoff are noticed on the next call (every
//! demand calls the machine's `handle_timeout` first).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http::{HeaderMap, Request, StatusCode};
use speech_proto::auth::TokenId;
use speech_proto::{Auth, AuthAction, Authorize, Error as ProtoError};

use crate::clock::Clock;

/// A token service answer (status, headers, complete body), or `None` when there was no answer.
pub(crate) type FetchOutcome = Option<(StatusCode, HeaderMap, Vec<u8>)>;

/// How a request was authorized.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Authorized {
    /// The token used (for a targeted invalidation after a 401).
    pub(crate) id: TokenId,
    /// Whether it came from the token machine.
    pub(crate) fetched: bool,
}

pub(crate) struct SharedAuth {
    state: Mutex<State>,
    changed: Condvar,
    fetches: AtomicU64,
    uses_machine: bool,
}

struct State {
    auth: Auth,
    /// A fetch handed out by the machine is being performed by some thread.
    fetching: bool,
}

impl SharedAuth {
    pub(crate) fn new(auth: Auth) -> Self {
        let uses_machine = auth.token_machine().is_some();
        SharedAuth {
            state: Mutex::new(State {
                auth,
                fetching: false,
            }),
            changed: Condvar::new(),
            fetches: AtomicU64::new(0),
            uses_machine,
        }
    }

    /// Whether the credential is exchanged for tokens.
    pub(crate) fn uses_machine(&self) -> bool {
        self.uses_machine
    }

    /// Token requests sent so far (all of them, including one-off fetches counted with
    /// [`SharedAuth::count_fetch`]).
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Count a token request made outside the shared machine.
    pub(crate) fn count_fetch(&self) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the machine half-updated in a way that matters more than
        // losing the client: keep going with its state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Add the auth header to `request`, fetching a token first when there is none.
    pub(crate) fn authorize<B>(
        &self,
        clock: &Clock,
        fetch: &dyn Fn(Request<()>) -> FetchOutcome,
        request: &mut Request<B>,
    ) -> Result<Authorized, ProtoError> {
        let fetched = self.uses_machine;
        self.demand(clock, fetch, |auth, now| {
            Ok(match auth.authorize(now, request)? {
                Authorize::Ready(id) => Some(Authorized { id, fetched }),
                Authorize::Pending => None,
            })
        })
    }

    /// The token the machine serves now, fetching one when there is none. `None` for static credentials.
    pub(crate) fn current_token(
        &self,
        clock: &Clock,
        fetch: &dyn Fn(Request<()>) -> FetchOutcome,
    ) -> Result<Option<speech_proto::Token>, ProtoError> {
        if !self.uses_machine {
            return Ok(None);
        }
        self.demand(clock, fetch, |auth, now| {
            match auth.token_machine_mut() {
                Some(m) => Ok(m.current_token(now)?.cloned().map(Some)),
                // Not reachable (uses_machine was checked), but harmless: no token to give.
                None => Ok(Some(None)),
            }
        })
    }

    /// The service refused the token `rejected` (a 401): drop it, so that the next demand fetches a new one.
    pub(crate) fn invalidate(&self, clock: &Clock, rejected: TokenId) {
        let mut state = self.lock();
        state.auth.invalidate_token(clock.now(), rejected);
    }

    /// Make a demand on the machine until it yields a value: perform any fetch it hands out (one thread at a
    /// time), wait while another thread performs one, and return the machine's errors.
    fn demand<T>(
        &self,
        clock: &Clock,
        fetch: &dyn Fn(Request<()>) -> FetchOutcome,
        mut ask: impl FnMut(&mut Auth, Instant) -> Result<Option<T>, ProtoError>,
    ) -> Result<T, ProtoError> {
        let mut state = self.lock();
        loop {
            let answer = ask(&mut state.auth, clock.now());
            // A fetch may be queued whatever the answer: the first token, a due refresh (served stale meanwhile),
            // a refetch after a 401. This thread performs it.
            if let Some(AuthAction::FetchToken(request)) = state.auth.poll_action() {
                state.fetching = true;
                drop(state);
                state = self.perform(clock, fetch, request);
                // Ask again, even if the answer was a (stale) token: the fresh one is better, and the fetch took
                // time during which the stale one may have expired.
                continue;
            }
            match answer {
                Ok(Some(value)) => return Ok(value),
                Err(e) => return Err(e),
                Ok(None) if state.fetching => {
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Ok(None) => {
                    // Pending with no fetch queued or in flight: the machine's guarantees rule this out. Wait a
                    // little rather than spin, and ask again.
                    state = self
                        .changed
                        .wait_timeout(state, Duration::from_millis(10))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }

    /// Perform one fetch without holding the lock, report it, wake the waiters. A panic during the fetch is
    /// reported as a failed fetch (by the guard), so that waiters are never stranded.
    fn perform(
        &self,
        clock: &Clock,
        fetch: &dyn Fn(Request<()>) -> FetchOutcome,
        request: Request<()>,
    ) -> MutexGuard<'_, State> {
        self.count_fetch();
        let mut guard = FetchGuard {
            shared: self,
            clock,
            armed: true,
        };
        let outcome = fetch(request);
        let mut state = self.lock();
        let now = clock.now();
        let jitter = clock.jitter();
        // The only error is InvalidState (no fetch in flight), which `fetching` rules out.
        let _ = match outcome {
            Some((status, headers, body)) => state.auth.handle_token_response(
                now,
                clock.unix_secs(now),
                status,
                &headers,
                &body,
                jitter,
            ),
            None => state.auth.handle_fetch_failed(now, jitter),
        };
        state.fetching = false;
        guard.armed = false;
        self.changed.notify_all();
        state
    }
}

struct FetchGuard<'a> {
    shared: &'a SharedAuth,
    clock: &'a Clock,
    armed: bool,
}

impl Drop for FetchGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.shared.lock();
            let _ = state
                .auth
                .handle_fetch_failed(self.clock.now(), self.clock.jitter());
            state.fetching = false;
            self.shared.changed.notify_all();
        }
    }
}
