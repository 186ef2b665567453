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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use event_listener::Event;
use http::{HeaderMap, Request, StatusCode};
use speech_proto::auth::TokenId;
use speech_proto::{Auth, AuthAction, Authorize, Error as ProtoError, Token};

use crate::clock::Clock;
use crate::unversioned::BoxFuture;

/// A token service answer (status, headers, complete body), or `None` when there was no answer.
pub(crate) type FetchOutcome = Option<(StatusCode, HeaderMap, Vec<u8>)>;

/// Performs token requests (the client, through its transport).
pub(crate) trait FetchToken: Sync {
    /// Send one token request and read the answer.
    fn fetch(&self, request: Request<()>) -> BoxFuture<'_, FetchOutcome>;
}

/// The fetcher a demand uses.
pub(crate) type Fetcher<'a> = &'a dyn FetchToken;

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
    changed: Event,
    fetches: AtomicU64,
    uses_machine: bool,
}

struct State {
    auth: Auth,
    /// A fetch handed out by the machine is being performed by some task.
    fetching: bool,
}

/// A token refresh handed to the task that noticed it is due; run it alongside the request (it is reported to
/// the machine when it completes, and as a failed fetch if it is dropped unfinished).
pub(crate) type Refresh<'a> = BoxFuture<'a, ()>;

impl SharedAuth {
    pub(crate) fn new(auth: Auth) -> Self {
        let uses_machine = auth.token_machine().is_some();
        SharedAuth {
            state: Mutex::new(State {
                auth,
                fetching: false,
            }),
            changed: Event::new(),
            fetches: AtomicU64::new(0),
            uses_machine,
        }
    }

    /// Whether the credential is exchanged for tokens.
    pub(crate) fn uses_machine(&self) -> bool {
        self.uses_machine
    }

    /// Token requests sent so far (including one-off fetches counted with [`SharedAuth::count_fetch`]).
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Count a token request made outside the shared machine.
    pub(crate) fn count_fetch(&self) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is a few calls into the machine; a panic in one leaves a state the machine
        // itself considers consistent. Keep going with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Add the auth header to `request`, fetching a token first when there is none. When a refresh is due, the
    /// request is authorized with the still-valid token and the refresh is returned, to be run alongside.
    pub(crate) async fn authorize<'a>(
        &'a self,
        clock: &'a Clock,
        fetch: Fetcher<'a>,
        request: &mut Request<()>,
    ) -> Result<(Authorized, Option<Refresh<'a>>), ProtoError> {
        let fetched = self.uses_machine;
        self.demand(clock, fetch, |auth, now| {
            Ok(match auth.authorize(now, request)? {
                Authorize::Ready(id) => Some(Authorized { id, fetched }),
                Authorize::Pending => None,
            })
        })
        .await
    }

    /// The token the machine serves now, fetching one when there is none. `None` for static credentials.
    pub(crate) async fn current_token<'a>(
        &'a self,
        clock: &'a Clock,
        fetch: Fetcher<'a>,
    ) -> Result<(Option<Token>, Option<Refresh<'a>>), ProtoError> {
        if !self.uses_machine {
            return Ok((None, None));
        }
        self.demand(clock, fetch, |auth, now| match auth.token_machine_mut() {
            Some(m) => Ok(m.current_token(now)?.cloned().map(Some)),
            // Not reachable (uses_machine was checked), but harmless: no token to give.
            None => Ok(Some(None)),
        })
        .await
    }

    /// The service refused the token `rejected` (a 401): drop it, so that the next demand fetches a new one.
    pub(crate) fn invalidate(&self, clock: &Clock, rejected: TokenId) {
        self.lock().auth.invalidate_token(clock.now(), rejected);
    }

    /// Make a demand on the machine until it yields a value: perform the fetch it hands out when there is no
    /// usable token (one task at a time), wait while another task performs one, hand a due refresh back.
    async fn demand<'a, T>(
        &'a self,
        clock: &'a Clock,
        fetch: Fetcher<'a>,
        mut ask: impl FnMut(&mut Auth, Instant) -> Result<Option<T>, ProtoError>,
    ) -> Result<(T, Option<Refresh<'a>>), ProtoError> {
        loop {
            // Decide under the lock; act (await) after it is released.
            let next = {
                let mut state = self.lock();
                let answer = ask(&mut state.auth, clock.now());
                let action = state.auth.poll_action();
                match (answer, action) {
                    // Served, and a refresh is due: the caller runs it alongside its request.
                    (Ok(Some(value)), Some(AuthAction::FetchToken(request))) => {
                        state.fetching = true;
                        Next::Alongside(value, request)
                    }
                    // Nothing to serve until this fetch completes: perform it now, then ask again.
                    (_, Some(AuthAction::FetchToken(request))) => {
                        state.fetching = true;
                        Next::Fetch(request)
                    }
                    (Ok(Some(value)), _) => return Ok((value, None)),
                    (Err(e), _) => return Err(e),
                    // Another task is fetching: wait for it (the listener is registered under the lock, so the
                    // notification cannot be missed).
                    (Ok(None), _) if state.fetching => Next::Wait(self.changed.listen()),
                    // Pending with no fetch queued or in flight: the machine's guarantees rule this out. Wait a
                    // little rather than spin, and ask again.
                    (Ok(None), _) => Next::Pause,
                }
            };
            match next {
                Next::Alongside(value, request) => {
                    return Ok((value, Some(Box::pin(self.perform(clock, fetch, request)))));
                }
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
        self.count_fetch();
        let mut guard = FetchGuard {
            shared: self,
            clock,
            armed: true,
        };
        async move {
            let outcome = fetch.fetch(request).await;
            guard.report(outcome);
        }
    }
}

/// What a demand does once the lock is released.
enum Next<T> {
    Alongside(T, Request<()>),
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
    fn report(&mut self, outcome: FetchOutcome) {
        let clock = self.clock;
        {
            let mut state = self.shared.lock();
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
