//! The core's [`Auth`] shared by every clone of a client: a mutex around the state machine and a condvar for
//! the threads that wait for the first token.
//!
//! Rules, all from the core: at most one fetch runs (the machine hands out one `FetchToken` at a time); a
//! thread that finds a fetch queued performs it (without holding the lock) and reports the outcome; threads
//! with a still-valid token never wait; a thread without one waits only while a fetch is in flight (the
//! machine's own [`Auth::is_fetching`]). There is no background thread: the refresh point and the end of a
//! backoff are noticed on the next call.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::Request;
use speech_proto::call::{AuthStep, Moment, TokenAnswer};
use speech_proto::{Auth, AuthAction, NoAnswer};

use crate::clock::Clock;
use crate::entra::EntraTokenSource;

/// A token service answer, or why there was none.
pub(crate) type FetchOutcome = Result<TokenAnswer, NoAnswer>;

pub(crate) struct SharedAuth {
    auth: Mutex<Auth>,
    changed: Condvar,
    /// Where Entra tokens come from, for a credential that takes them from a source.
    entra: Option<Arc<dyn EntraTokenSource>>,
}

impl SharedAuth {
    pub(crate) fn new(auth: Auth) -> Self {
        Self::with_entra(auth, None)
    }

    pub(crate) fn with_entra(auth: Auth, entra: Option<Arc<dyn EntraTokenSource>>) -> Self {
        SharedAuth {
            auth: Mutex::new(auth),
            changed: Condvar::new(),
            entra,
        }
    }

    /// Whether the credential is exchanged for tokens.
    pub(crate) fn uses_tokens(&self) -> bool {
        self.lock().uses_tokens()
    }

    /// Token requests sent so far (the machine's and those counted with [`SharedAuth::count_fetches`]).
    pub(crate) fn fetches(&self) -> u64 {
        self.lock().fetches()
    }

    /// The service refused the token `id` (a streaming handshake's 401/403): drop it, so that the next
    /// authorization fetches a fresh one.
    pub(crate) fn invalidate_token(
        &self,
        now: std::time::Instant,
        id: speech_proto::auth::TokenId,
    ) {
        self.lock().invalidate_token(now, id);
        self.changed.notify_all();
    }

    /// Count token requests made outside the shared machine.
    pub(crate) fn count_fetches(&self, n: u64) {
        self.lock().count_fetches(n);
    }

    fn lock(&self) -> MutexGuard<'_, Auth> {
        // A panic while holding the lock cannot leave the machine half-updated in a way that matters more than
        // losing the client: keep going with its state.
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Take an authorization step (the call's [`handle_authorize`](speech_proto::call::Call::handle_authorize))
    /// until it is done: perform any fetch the machine hands out (one thread at a time), and wait while another
    /// thread performs one.
    pub(crate) fn authorize(
        &self,
        clock: &Clock,
        fetch: &dyn Fn(Request<()>) -> FetchOutcome,
        mut step: impl FnMut(&mut Auth, Moment) -> AuthStep,
    ) {
        let mut auth = self.lock();
        loop {
            let answer = step(&mut auth, clock.moment());
            // A fetch may be queued whatever the answer: the first token, a due refresh (served stale meanwhile),
            // a refetch after a 401. This thread performs it, then steps again (the fresh token is better).
            match auth.poll_action() {
                Some(AuthAction::FetchToken(request)) => {
                    drop(auth);
                    auth = self.perform(clock, fetch, request);
                    continue;
                }
                Some(AuthAction::FetchEntraToken { scope }) => {
                    drop(auth);
                    auth = self.perform_entra(clock, scope);
                    continue;
                }
                _ => {}
            }
            auth = match answer {
                AuthStep::Done => return,
                AuthStep::Pending if auth.is_fetching() => self
                    .changed
                    .wait(auth)
                    .unwrap_or_else(PoisonError::into_inner),
                // Pending with no fetch queued or in flight: the machine's guarantees rule this out. Wait a
                // little rather than spin, and ask again.
                _ => {
                    self.changed
                        .wait_timeout(auth, Duration::from_millis(10))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// Perform one fetch without holding the lock, report it, wake the waiters. A panic during the fetch is
    /// reported as a failed fetch (by the guard), so that waiters are never stranded.
    fn perform(
        &self,
        clock: &Clock,
        fetch: &dyn Fn(Request<()>) -> FetchOutcome,
        request: Request<()>,
    ) -> MutexGuard<'_, Auth> {
        let mut guard = FetchGuard {
            shared: self,
            clock,
            armed: true,
        };
        let outcome = fetch(request);
        let mut auth = self.lock();
        let at = clock.moment();
        // The only error is InvalidState (no fetch in flight), which the machine's own state rules out here.
        let _ = match outcome {
            Ok(answer) => answer.report(at, &mut auth),
            Err(cause) => auth.handle_fetch_error(at.now, at.jitter, cause),
        };
        guard.armed = false;
        self.changed.notify_all();
        auth
    }
}

impl SharedAuth {
    /// Ask the Entra token source without holding the lock, report it, wake the waiters (a panic in the source
    /// is reported as a failed fetch by the guard).
    fn perform_entra(&self, clock: &Clock, scope: &str) -> MutexGuard<'_, Auth> {
        let mut guard = FetchGuard {
            shared: self,
            clock,
            armed: true,
        };
        let outcome = match &self.entra {
            Some(source) => source.get_token(scope).map_err(|e| e.to_string()),
            None => Err("the client has no Entra token source".to_owned()),
        };
        let mut auth = self.lock();
        let at = clock.moment();
        // The only error is InvalidState (no fetch in flight), which the machine's own state rules out here.
        let _ = match outcome {
            Ok(token) => auth.handle_entra_token(
                at.now,
                at.unix_secs,
                &token.token,
                token.expires_on,
                at.jitter,
            ),
            Err(message) => auth.handle_entra_failure(at.now, at.jitter, &message),
        };
        guard.armed = false;
        self.changed.notify_all();
        auth
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
            let mut auth = self.shared.lock();
            let _ = auth.handle_fetch_failed(self.clock.now(), self.clock.jitter());
            self.shared.changed.notify_all();
        }
    }
}
