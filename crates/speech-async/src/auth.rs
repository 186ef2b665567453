//! The core's [`Auth`] shared by every clone of a client and every task: a mutex around the state machine and
//! an [`Event`] for the tasks that wait for a token.
//!
//! Rules, all from the core: at most one fetch runs (the machine hands out one `FetchToken` at a time). A task
//! that finds the first token (or a replacement for an expired or rejected one) queued performs the fetch and
//! the others wait for it. A task that finds a *refresh* queued (the token is past its refresh point but still
//! valid) takes it along: it sends its own request with the still-valid token and performs the refresh at the
//! same time ([`Refresh`]), so nobody waits for a refresh. There is no background task: the refresh point and
//! the end of a backoff are noticed on the next call.
//!
//! The lock is a blocking one on purpose: it is never held across an `.await` (each critical section is a few
//! calls into the machine), and a fetch cancelled mid-flight (its future dropped) must be reported to the
//! machine synchronously, from `Drop`, so that waiters are never stranded.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use event_listener::Event;
use http::Request;
use speech_proto::call::{AuthStep, Moment, TokenAnswer};
use speech_proto::{Auth, AuthAction, NoAnswer};

use crate::clock::Clock;
use crate::unversioned::BoxFuture;

/// A token service answer, or why there was none.
pub(crate) type FetchOutcome = Result<TokenAnswer, NoAnswer>;

/// Performs token requests (the client, through its transport).
pub(crate) trait FetchToken: Sync {
    /// Send one token request and read the answer.
    fn fetch(&self, request: Request<()>) -> BoxFuture<'_, FetchOutcome>;
}

/// The fetcher a demand uses.
pub(crate) type Fetcher<'a> = &'a dyn FetchToken;

pub(crate) struct SharedAuth {
    auth: Mutex<Auth>,
    changed: Event,
}

/// A token refresh handed to the task that noticed it is due; run it alongside the request (it is reported to
/// the machine when it completes, and as a failed fetch if it is dropped unfinished).
pub(crate) type Refresh<'a> = BoxFuture<'a, ()>;

impl SharedAuth {
    pub(crate) fn new(auth: Auth) -> Self {
        SharedAuth {
            auth: Mutex::new(auth),
            changed: Event::new(),
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

    /// Count token requests made outside the shared machine.
    pub(crate) fn count_fetches(&self, n: u64) {
        self.lock().count_fetches(n);
    }

    fn lock(&self) -> MutexGuard<'_, Auth> {
        // Every critical section is a few calls into the machine; a panic in one leaves a state the machine
        // itself considers consistent. Keep going with it.
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Take an authorization step (the call's [`handle_authorize`](speech_proto::call::Call::handle_authorize))
    /// until it is done: perform the fetch the machine hands out when there is no usable token (one task at a
    /// time), wait while another task performs one, and hand a due refresh back to run alongside the request.
    pub(crate) async fn authorize<'a>(
        &'a self,
        clock: &'a Clock,
        fetch: Fetcher<'a>,
        mut step: impl FnMut(&mut Auth, Moment) -> AuthStep,
    ) -> Option<Refresh<'a>> {
        loop {
            // Decide under the lock; act (await) after it is released.
            let next = {
                let mut auth = self.lock();
                let answer = step(&mut auth, clock.moment());
                let action = auth.poll_action();
                match (answer, action) {
                    // Served, and a refresh is due: the caller runs it alongside its request.
                    (AuthStep::Done, Some(AuthAction::FetchToken(request))) => {
                        return Some(Box::pin(self.perform(clock, fetch, request)));
                    }
                    // Nothing to serve until this fetch completes: perform it now, then step again.
                    (_, Some(AuthAction::FetchToken(request))) => Next::Fetch(request),
                    (AuthStep::Done, _) => return None,
                    // Another task is fetching: wait for it (the listener is registered under the lock, so the
                    // notification cannot be missed).
                    (AuthStep::Pending, _) if auth.is_fetching() => {
                        Next::Wait(self.changed.listen())
                    }
                    // Pending with no fetch queued or in flight: the machine's guarantees rule this out. Wait a
                    // little rather than spin, and ask again.
                    (AuthStep::Pending, _) => Next::Pause,
                }
            };
            match next {
                Next::Fetch(request) => self.perform(clock, fetch, request).await,
                Next::Wait(listener) => listener.await,
                Next::Pause => clock.runtime().sleep(Duration::from_millis(10)).await,
            }
        }
    }

    /// Perform one fetch (without holding the lock), report it, wake the waiters. The guard is armed before the
    /// future is first polled, so a fetch dropped at any point is reported as failed.
    fn perform<'a>(
        &'a self,
        clock: &'a Clock,
        fetch: Fetcher<'a>,
        request: Request<()>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let mut guard = FetchGuard {
            shared: self,
            clock,
            armed: true,
        };
        async move {
            let outcome = fetch.fetch(request).await;
            guard.report(Some(outcome));
        }
    }
}

/// What a demand does once the lock is released.
// Short-lived, one per loop turn: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Next {
    Fetch(Request<()>),
    Wait(event_listener::EventListener),
    Pause,
}

struct FetchGuard<'a> {
    shared: &'a SharedAuth,
    clock: &'a Clock,
    armed: bool,
}

impl FetchGuard<'_> {
    /// Report the fetch's outcome (`None`: dropped unfinished) and wake the waiters.
    fn report(&mut self, outcome: Option<FetchOutcome>) {
        {
            let mut auth = self.shared.lock();
            let at = self.clock.moment();
            // The only error is InvalidState (no fetch in flight), which the machine's own state rules out here.
            let _ = match outcome {
                Some(Ok(answer)) => answer.report(at, &mut auth),
                Some(Err(cause)) => auth.handle_fetch_error(at.now, at.jitter, cause),
                None => auth.handle_fetch_failed(at.now, at.jitter),
            };
        }
        self.armed = false;
        self.shared.changed.notify(usize::MAX);
    }
}

impl Drop for FetchGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.report(None);
        }
    }
}
