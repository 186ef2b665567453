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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use event_listener::Event;
use http::Request;
use speech_proto::call::{AuthStep, Moment, TokenAnswer};
use speech_proto::{Auth, AuthAction, NoAnswer};

use crate::clock::Clock;
use crate::entra::{EntraAccessToken, EntraTokenSource};
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
    /// Where Entra tokens come from, for a credential that takes them from a source.
    entra: Option<Arc<dyn EntraTokenSource>>,
}

/// A fetch the machine handed out.
#[allow(clippy::large_enum_variant)] // one per fetch, moved straight into its future
enum Job {
    /// A token-service request.
    Sts(Request<()>),
    /// A token from the Entra source, for this scope.
    Entra(&'static str),
}

/// How a fetch ended.
enum Outcome {
    Sts(FetchOutcome),
    Entra(Result<EntraAccessToken, String>),
}

/// A token refresh handed to the task that noticed it is due; run it alongside the request (it is reported to
/// the machine when it completes, and as a failed fetch if it is dropped unfinished).
pub(crate) type Refresh<'a> = BoxFuture<'a, ()>;

impl SharedAuth {
    pub(crate) fn new(auth: Auth) -> Self {
        Self::with_entra(auth, None)
    }

    pub(crate) fn with_entra(auth: Auth, entra: Option<Arc<dyn EntraTokenSource>>) -> Self {
        SharedAuth {
            auth: Mutex::new(auth),
            changed: Event::new(),
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
        self.changed.notify(usize::MAX);
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
                let job = match auth.poll_action() {
                    Some(AuthAction::FetchToken(request)) => Some(Job::Sts(request)),
                    Some(AuthAction::FetchEntraToken { scope }) => Some(Job::Entra(scope)),
                    _ => None,
                };
                match (answer, job) {
                    // Served, and a refresh is due: the caller runs it alongside its request.
                    (AuthStep::Done, Some(job)) => {
                        return Some(Box::pin(self.perform(clock, fetch, job)));
                    }
                    // Nothing to serve until this fetch completes: perform it now, then step again.
                    (_, Some(job)) => Next::Fetch(job),
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
        job: Job,
    ) -> impl Future<Output = ()> + Send + 'a {
        let mut guard = FetchGuard {
            shared: self,
            clock,
            armed: true,
        };
        async move {
            let outcome = match job {
                Job::Sts(request) => Outcome::Sts(fetch.fetch(request).await),
                Job::Entra(scope) => Outcome::Entra(match &self.entra {
                    Some(source) => source.get_token(scope).await.map_err(|e| e.to_string()),
                    None => Err("the client has no Entra token source".to_owned()),
                }),
            };
            guard.report(Some(outcome));
        }
    }
}

/// What a demand does once the lock is released.
// Short-lived, one per loop turn: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Next {
    Fetch(Job),
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
    fn report(&mut self, outcome: Option<Outcome>) {
        {
            let mut auth = self.shared.lock();
            let at = self.clock.moment();
            // The only error is InvalidState (no fetch in flight), which the machine's own state rules out here.
            let _ = match outcome {
                Some(Outcome::Sts(Ok(answer))) => answer.report(at, &mut auth),
                Some(Outcome::Sts(Err(cause))) => auth.handle_fetch_error(at.now, at.jitter, cause),
                Some(Outcome::Entra(Ok(token))) => auth.handle_entra_token(
                    at.now,
                    at.unix_secs,
                    &token.token,
                    token.expires_on,
                    at.jitter,
                ),
                Some(Outcome::Entra(Err(message))) => {
                    auth.handle_entra_failure(at.now, at.jitter, &message)
                }
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
