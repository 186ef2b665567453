//! The token machine (see [`TokenMachine`]).

use std::time::{Duration, Instant};

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};

use crate::auth::token::{build_token_request, parse_token_response, Token};
use crate::auth::SubscriptionKey;
use crate::endpoint::{Endpoint, HostFamily};
use crate::error::{parse_error_response, Error, Misuse, NoAnswer, Service};

/// Timing of the token machine. Start from [`TokenConfig::default`] and change fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenConfig {
    /// How long a token is used before a refresh starts (default 9 minutes, as Microsoft recommends).
    pub reuse_for: Duration,
    /// How long a token is valid after it arrives (default 10 minutes). Never served past this.
    pub lifetime: Duration,
    /// When the token's `exp` claim says it expires sooner than `lifetime`, refresh this long before `exp`
    /// (default 60 s).
    pub exp_margin: Duration,
    /// The first wait after a failed fetch (default 1 s); it doubles with each further failure.
    pub backoff_initial: Duration,
    /// The longest wait between attempts (default 60 s).
    pub backoff_max: Duration,
    /// The longest `Retry-After` honoured (default 10 minutes); longer values are cut to this.
    pub max_retry_after: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            reuse_for: Duration::from_secs(9 * 60),
            lifetime: Duration::from_secs(10 * 60),
            exp_margin: Duration::from_secs(60),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(10 * 60),
        }
    }
}

/// The scope a Microsoft Entra token for Speech is asked for.
pub const ENTRA_SCOPE: &str = "https://cognitiveservices.azure.com/.default";

/// How long before an Entra token's expiry its refresh starts (5 minutes, as the Azure SDKs do; but never
/// earlier than half-way through its remaining lifetime).
pub const ENTRA_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// What the driver must do next.
#[derive(Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // one per token fetch: boxing the request would only add an allocation
pub enum AuthAction {
    /// Send this request (`POST` to the token service, empty body) and report the outcome with
    /// [`TokenMachine::handle_token_response`] (any status) or [`TokenMachine::handle_fetch_failed`] (no answer:
    /// connection error, timeout). Exactly one of the two must follow, once. The key header is marked sensitive.
    FetchToken(Request<()>),
    /// Ask the caller's Microsoft Entra token source for a token for `scope` and report it with
    /// [`TokenMachine::handle_entra_token`] (the token and its expiry), or the source's failure with
    /// [`TokenMachine::handle_entra_failure`]. Exactly one of the two must follow, once.
    FetchEntraToken {
        /// The scope to ask for ([`ENTRA_SCOPE`]).
        scope: &'static str,
    },
}

/// Where a machine's tokens come from, and how they go on the wire.
#[derive(Debug)]
enum Source {
    /// The token service, with this key.
    Sts { uri: Uri, key: HeaderValue },
    /// The caller's Entra token source; sent as `Bearer aad#<resource id>#<token>` on the speech hosts, or as a
    /// plain `Bearer <token>` (fast transcription, custom domains' REST APIs).
    Entra { resource_id: Option<String> },
}

/// The outcome of [`TokenMachine::authorize`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorize {
    /// The auth header was added; send the request. The id names the token used, for
    /// [`TokenMachine::invalidate_token`] if the service refuses it.
    Ready(TokenId),
    /// No token yet: a fetch is queued or in flight. Drain [`TokenMachine::poll_action`], complete the fetch,
    /// then authorize again. Nothing was added to the request.
    Pending,
}

/// Identifies one token served by a machine (they are numbered from 1 as they arrive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(u64);

impl TokenId {
    /// The id reported for static credentials, which have no token lifecycle.
    pub const STATIC: TokenId = TokenId(0);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fetch {
    /// Nothing planned.
    Idle,
    /// A fetch waits to be taken with `poll_action`.
    Queued,
    /// The driver is performing a fetch.
    InFlight,
    /// The last fetch failed; no new one before `until` (`None`: beyond what `Instant` can represent).
    Backoff { until: Option<Instant> },
}

#[derive(Debug)]
struct Cached {
    token: Token,
    id: TokenId,
    header: HeaderValue,
    /// Refresh point (`None`: beyond what `Instant` can represent).
    refresh_at: Option<Instant>,
    /// Never served at or after this (`None`: beyond what `Instant` can represent).
    expires_at: Option<Instant>,
    /// Served at least once: only used tokens are refreshed proactively.
    used: bool,
}

impl Cached {
    fn valid_at(&self, now: Instant) -> bool {
        !reached(self.expires_at, now)
    }
}

/// The token lifecycle for a subscription key, as a sans-IO state machine.
///
/// ```text
///             demand, authorize, invalidate               poll_action()
///  ┌──────┐ ─────────────────────────────▶ ┌────────┐ ─────────────────▶ ┌──────────┐
///  │ Idle │                                │ Queued │                    │ InFlight │
///  └──────┘ ◀──────────────────────────────────────── 200 + valid JWT ── └──────────┘
///     ▲                                        ▲                              │
///     │ backoff over,                          │ backoff over,                │ error status, malformed
///     │ no token wanted                        │ a token wanted               │ body, handle_fetch_failed
///     │                  ┌─────────┐ ──────────┘                              │
///     └───────────────── │ Backoff │ ◀────────────────────────────────────────┘
///                        └─────────┘
/// ```
///
/// Token timeline (defaults): a token arriving at `t` is served from `t`; at `t + 9 min` (the *refresh* point) one
/// refresh starts if the token has been used, while the old token is still served; at `t + 10 min` (*expiry*)
/// the old token is never served again. When the token's `exp` claim (compared with the wall-clock seconds the
/// caller passes) says it expires sooner, expiry moves to 1 s before `exp` (the caller's whole seconds may lag the
/// true time by up to 1 s) and the refresh point to 60 s before `exp` (but not earlier than half-way through the
/// remaining lifetime, so that short-lived tokens do not cause a fetch loop). An `exp` that is already past by the
/// caller's clock means the clocks disagree; it is ignored and the 10-minute rule applies.
///
/// Inputs arrive through `handle_*` and the demand calls ([`TokenMachine::authorize`],
/// [`TokenMachine::current_token`], [`TokenMachine::handle_demand`], [`TokenMachine::invalidate`]); outputs leave
/// through [`TokenMachine::poll_action`] and [`TokenMachine::poll_timeout`]. After any input, drain `poll_action`
/// until `None`. Time is always a parameter; the machine never reads a clock.
///
/// Guarantees:
/// * at most one fetch is queued or in flight, whatever the number of demands or invalidations;
/// * a token is never served at or after its expiry;
/// * while a refresh runs (or backs off) the previous token is served until it expires (stale-while-refresh);
/// * after a failure, no fetch starts before the backoff ends (1 s, 2 s, 4 s … 60 s, shortened by up to half by
///   the caller's jitter; at least `Retry-After` when a 429 carries one), and only while someone still wants a
///   token;
/// * a token is only added to requests for hosts of the endpoint's [`HostFamily`].
///
/// A `401` or `403` from the token service (wrong key, key for another region, quota, network rules) is not
/// treated as permanent, because the caller may fix the key's resource without restarting: the machine backs off
/// as for any failure, and [`TokenMachine::last_error`] (also inside [`Error::TokenUnavailable`]) carries the
/// [`ServiceError`](crate::ServiceError) with its hint at once, so the caller can report "wrong key" immediately
/// rather than retry blindly.
#[derive(Debug)]
pub struct TokenMachine {
    config: TokenConfig,
    family: HostFamily,
    source: Source,
    token: Option<Cached>,
    fetch: Fetch,
    /// Someone wants a new token (none valid, a refresh is due, or the token was invalidated).
    demand: bool,
    /// Consecutive failures since the last success.
    failures: u32,
    last_error: Option<Error>,
    next_id: u64,
    fetches_started: u64,
}

impl TokenMachine {
    /// A machine for `key` at `endpoint`'s token service, with the default timing.
    ///
    /// # Errors
    ///
    /// Whatever building the token URI refuses (e.g. [`Misuse::InsecureScheme`]).
    pub fn new(endpoint: &Endpoint, key: SubscriptionKey) -> Result<Self, Error> {
        Self::with_config(endpoint, key, TokenConfig::default())
    }

    /// A machine with custom timing. `reuse_for` is cut to `lifetime` and `backoff_initial` to `backoff_max`
    /// when larger.
    pub fn with_config(
        endpoint: &Endpoint,
        key: SubscriptionKey,
        mut config: TokenConfig,
    ) -> Result<Self, Error> {
        config.reuse_for = config.reuse_for.min(config.lifetime);
        config.backoff_initial = config.backoff_initial.min(config.backoff_max);
        Ok(TokenMachine {
            config,
            family: endpoint.host_family(),
            source: Source::Sts {
                uri: endpoint.token_uri()?,
                key: key.header_value().clone(),
            },
            token: None,
            fetch: Fetch::Idle,
            demand: false,
            failures: 0,
            last_error: None,
            next_id: 1,
            fetches_started: 0,
        })
    }

    /// A machine for Microsoft Entra tokens from the caller's token source, for `endpoint`'s hosts: the same
    /// lifecycle as for keys (one fetch at a time, refresh ahead while the old token is served, backoff, drop
    /// after a 401, never an expired token), with each token's own expiry deciding its lifetime. With a
    /// `resource_id` the tokens go as `Bearer aad#<resource id>#<token>` (the speech hosts); without, as a
    /// plain `Bearer <token>` (fast transcription). The refresh starts [`ENTRA_REFRESH_MARGIN`] before expiry,
    /// or half-way for short-lived tokens. Of `config`, the backoff settings apply; `lifetime` is the fallback
    /// for a token whose expiry is already past by the caller's clock (the clocks disagree).
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidValue`] for a resource id that is empty or holds `#`.
    pub fn entra(
        endpoint: &Endpoint,
        resource_id: Option<&str>,
        mut config: TokenConfig,
    ) -> Result<Self, Error> {
        if let Some(id) = resource_id {
            if id.trim().is_empty() || id.contains('#') {
                return Err(Misuse::InvalidValue {
                    name: "Entra resource id",
                    reason: "the full ARM id of the Speech resource, without '#', was expected"
                        .to_owned(),
                }
                .into());
            }
        }
        config.backoff_initial = config.backoff_initial.min(config.backoff_max);
        config.exp_margin = ENTRA_REFRESH_MARGIN;
        config.reuse_for = config.lifetime;
        Ok(TokenMachine {
            config,
            family: endpoint.host_family(),
            source: Source::Entra {
                resource_id: resource_id.map(|id| id.trim().to_owned()),
            },
            token: None,
            fetch: Fetch::Idle,
            demand: false,
            failures: 0,
            last_error: None,
            next_id: 1,
            fetches_started: 0,
        })
    }

    /// Whether this machine's tokens come from an Entra token source.
    pub fn is_entra(&self) -> bool {
        matches!(self.source, Source::Entra { .. })
    }

    /// The timing in use.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// The hosts this machine's tokens may be sent to.
    pub fn host_family(&self) -> &HostFamily {
        &self.family
    }

    // -----------------------------------------------------------------------------------------------------------
    // Demand

    /// Add `Authorization: Bearer <token>` to `request` if a token can be served at `now`.
    ///
    /// Counts as a demand: without a valid token, a fetch is queued (unless one is already queued or in flight,
    /// or the machine is backing off); past the refresh point, the token is served and one refresh is queued.
    ///
    /// # Errors
    ///
    /// * [`Misuse::TokenHostMismatch`] when the request's URI is not a host of this machine's family (nothing is
    ///   added, nothing is fetched);
    /// * [`Error::TokenUnavailable`] when there is no valid token and the machine is backing off after a failure;
    ///   it carries the failure and the time until the next attempt.
    pub fn authorize<B>(
        &mut self,
        now: Instant,
        request: &mut Request<B>,
    ) -> Result<Authorize, Error> {
        let uri = request.uri().clone();
        self.authorize_headers(now, &uri, request.headers_mut())
    }

    /// Like [`TokenMachine::authorize`], on request parts.
    pub fn authorize_parts(
        &mut self,
        now: Instant,
        parts: &mut http::request::Parts,
    ) -> Result<Authorize, Error> {
        let uri = parts.uri.clone();
        self.authorize_headers(now, &uri, &mut parts.headers)
    }

    fn authorize_headers(
        &mut self,
        now: Instant,
        uri: &Uri,
        headers: &mut HeaderMap,
    ) -> Result<Authorize, Error> {
        if !self.family.contains(uri) {
            return Err(Misuse::TokenHostMismatch {
                issued_for: self.family.to_string(),
                host: uri
                    .authority()
                    .map_or_else(|| uri.to_string(), |a| a.to_string()),
            }
            .into());
        }
        match self.serve(now)? {
            Some(cached) => {
                headers.insert(AUTHORIZATION, cached.header.clone());
                Ok(Authorize::Ready(cached.id))
            }
            None => Ok(Authorize::Pending),
        }
    }

    /// The token to use at `now`, for callers that place it themselves. A demand, like
    /// [`TokenMachine::authorize`] but without the host check: `Ok(None)` means a fetch is queued or in flight
    /// (drain [`TokenMachine::poll_action`] and ask again).
    ///
    /// # Errors
    ///
    /// [`Error::TokenUnavailable`] when the machine is backing off and no valid token is left.
    pub fn current_token(&mut self, now: Instant) -> Result<Option<&Token>, Error> {
        Ok(self.serve(now)?.map(|c| &c.token))
    }

    /// Announce that a token will be needed soon (e.g. at start-up), so that the fetch starts early. Equivalent to
    /// [`TokenMachine::current_token`] with the result ignored.
    pub fn handle_demand(&mut self, now: Instant) {
        // The result only reports the state; a failure stays visible through last_error().
        let _ = self.serve(now);
    }

    /// The token that would be served at `now`, without counting as a demand or changing anything.
    pub fn peek_token(&self, now: Instant) -> Option<&Token> {
        self.token
            .as_ref()
            .filter(|c| c.valid_at(now))
            .map(|c| &c.token)
    }

    fn serve(&mut self, now: Instant) -> Result<Option<&Cached>, Error> {
        self.handle_timeout(now);
        let valid = self.token.as_ref().is_some_and(|c| c.valid_at(now));
        if valid {
            if let Some(c) = self.token.as_mut() {
                c.used = true;
                if reached(c.refresh_at, now) {
                    self.demand = true;
                }
            }
            self.maybe_start(now);
            return Ok(self.token.as_ref());
        }
        self.demand = true;
        self.maybe_start(now);
        match self.fetch {
            Fetch::Queued | Fetch::InFlight | Fetch::Idle => Ok(None),
            Fetch::Backoff { until } => Err(Error::TokenUnavailable {
                last_error: self.last_error.clone().map(Box::new),
                retry_in: until.map(|u| u.saturating_duration_since(now)),
            }),
        }
    }

    /// The service refused the current token (a 401 on a request that carried it): drop it and fetch a new one.
    /// If a fetch is already queued or in flight, no second one starts; while backing off, the fetch starts when
    /// the backoff ends. Then authorize and resend the request once; a second 401 means the key or endpoint is
    /// wrong.
    pub fn invalidate(&mut self, now: Instant) {
        self.token = None;
        self.demand = true;
        self.handle_timeout(now);
        self.maybe_start(now);
    }

    /// Like [`TokenMachine::invalidate`], but only when `rejected` is still the current token: a 401 for a request
    /// sent with an older token does not throw away the newer one.
    pub fn invalidate_token(&mut self, now: Instant, rejected: TokenId) {
        if self.token.as_ref().is_some_and(|c| c.id == rejected) {
            self.invalidate(now);
        } else {
            self.handle_timeout(now);
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Outputs

    /// The next thing the driver must do, or `None`. Call after every input until it returns `None`. Returns at
    /// most one [`AuthAction::FetchToken`] until its outcome is reported.
    pub fn poll_action(&mut self) -> Option<AuthAction> {
        if self.fetch != Fetch::Queued {
            return None;
        }
        self.fetch = Fetch::InFlight;
        self.demand = false;
        self.fetches_started = self.fetches_started.saturating_add(1);
        Some(match &self.source {
            Source::Sts { uri, key } => {
                AuthAction::FetchToken(build_token_request(uri.clone(), key.clone()))
            }
            Source::Entra { .. } => AuthAction::FetchEntraToken { scope: ENTRA_SCOPE },
        })
    }

    /// When the machine next needs [`TokenMachine::handle_timeout`]: the refresh point of a used token, or the end
    /// of a backoff while someone wants a token. `None` when no deadline is pending. The value may lie in the past
    /// (then call `handle_timeout` at once); it never moves earlier unless an input arrives.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.fetch {
            // A failed refresh of a token in use keeps `demand` set (see `fail`), so demand alone decides.
            Fetch::Backoff { until } if self.demand => until,
            Fetch::Backoff { .. } => None,
            Fetch::Idle => self
                .token
                .as_ref()
                .filter(|c| c.used)
                .and_then(|c| c.refresh_at),
            Fetch::Queued | Fetch::InFlight => None,
        }
    }

    /// Time has passed: drop an expired token, start a due refresh or end a backoff. Harmless to call at any
    /// time.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(c) = &self.token {
            if !c.valid_at(now) {
                self.token = None;
            } else if c.used && reached(c.refresh_at, now) {
                self.demand = true;
            }
        }
        self.maybe_start(now);
    }

    fn maybe_start(&mut self, now: Instant) {
        match self.fetch {
            Fetch::Backoff { until } if reached(until, now) => {
                self.fetch = if self.demand {
                    Fetch::Queued
                } else {
                    Fetch::Idle
                };
            }
            Fetch::Idle if self.demand => self.fetch = Fetch::Queued,
            _ => {}
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Fetch outcomes

    /// The token service answered the fetch from [`AuthAction::FetchToken`].
    ///
    /// `wall_clock_unix_secs` is the caller's wall-clock time in seconds since the Unix epoch (compared with the
    /// token's `exp` claim and an HTTP-date `Retry-After`); `jitter` is a random value in `0..1` from the caller,
    /// used only if this answer is a failure. `body` is the complete response body (at most
    /// [`MAX_TOKEN_BODY`](crate::auth::token::MAX_TOKEN_BODY) bytes are accepted for a token).
    ///
    /// A `200` with a well-formed JWT stores the token and clears the failure count. Anything else (an error
    /// status, a malformed body) keeps any still-valid old token, records [`TokenMachine::last_error`] and backs
    /// off.
    ///
    /// # Errors
    ///
    /// Only [`Misuse::InvalidState`] when no fetch is in flight (the answer is ignored).
    pub fn handle_token_response(
        &mut self,
        now: Instant,
        wall_clock_unix_secs: u64,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        jitter: f64,
    ) -> Result<(), Error> {
        self.expect_in_flight("handle_token_response")?;
        if status == StatusCode::OK {
            match parse_token_response(body).and_then(|t| t.bearer_header_value().map(|h| (t, h))) {
                Ok((token, header)) => {
                    self.store(now, wall_clock_unix_secs, token, header);
                    return Ok(());
                }
                Err(e) => self.fail(now, Some(e), jitter, None),
            }
        } else {
            let err = parse_error_response(Service::Token, status, headers, body);
            let retry_after = err
                .retry_after()
                .map(|r| r.delay_from(wall_clock_unix_secs));
            self.fail(now, Some(err), jitter, retry_after);
        }
        Ok(())
    }

    /// The caller's Entra token source gave `access_token`, which expires at `expires_on_unix` (seconds since
    /// the Unix epoch, as the source reports it), answering [`AuthAction::FetchEntraToken`]. `wall_clock_unix_secs`
    /// is the caller's wall clock. The token is served until 1 s before its expiry and refreshed
    /// [`ENTRA_REFRESH_MARGIN`] before (half-way for short-lived tokens). A token that cannot go in a header
    /// counts as a failure of the source.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidState`] when no Entra fetch is in flight.
    pub fn handle_entra_token(
        &mut self,
        now: Instant,
        wall_clock_unix_secs: u64,
        access_token: &str,
        expires_on_unix: u64,
        jitter: f64,
    ) -> Result<(), Error> {
        self.expect_entra_in_flight()?;
        let Source::Entra { resource_id } = &self.source else {
            return Err(Misuse::InvalidState("handle_entra_token on a key's token machine").into());
        };
        let token = access_token.trim();
        let value = match resource_id {
            Some(id) => format!("Bearer aad#{id}#{token}"),
            None => format!("Bearer {token}"),
        };
        let header = if token.is_empty() {
            Err(Misuse::Missing("Entra access token").into())
        } else {
            crate::header::checked_secret("Authorization", &value)
        };
        match header {
            Ok(header) => {
                let token = Token::opaque(token, Some(expires_on_unix));
                self.store(now, wall_clock_unix_secs, token, header);
            }
            Err(e) => self.fail(now, Some(e), jitter, None),
        }
        Ok(())
    }

    /// The caller's Entra token source failed (`message` says how: no credential found, the identity endpoint
    /// refused, …). Keeps any still-valid token and backs off; [`TokenMachine::last_error`] carries the message.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidState`] when no Entra fetch is in flight.
    pub fn handle_entra_failure(
        &mut self,
        now: Instant,
        jitter: f64,
        message: &str,
    ) -> Result<(), Error> {
        self.expect_entra_in_flight()?;
        let error = Error::TokenSource {
            message: crate::error::clean_message(message)
                .unwrap_or_else(|| "the Entra token source failed".to_owned()),
        };
        self.fail(now, Some(error), jitter, None);
        Ok(())
    }

    fn expect_entra_in_flight(&self) -> Result<(), Error> {
        if self.fetch == Fetch::InFlight && self.is_entra() {
            return Ok(());
        }
        Err(Misuse::InvalidState(
            "handle_entra_token/handle_entra_failure without an Entra fetch in flight: report each \
             FetchEntraToken from poll_action once",
        )
        .into())
    }

    /// The fetch got no answer (connection refused, TLS failure, timeout, reset). Keeps any still-valid old token
    /// and backs off; [`TokenMachine::last_error`] becomes `None` ("the token service could not be reached").
    /// `jitter` is a random value in `0..1` from the caller.
    ///
    /// # Errors
    ///
    /// Only [`Misuse::InvalidState`] when no fetch is in flight.
    pub fn handle_fetch_failed(&mut self, now: Instant, jitter: f64) -> Result<(), Error> {
        self.expect_in_flight("handle_fetch_failed")?;
        self.fail(now, None, jitter, None);
        Ok(())
    }

    /// Report that the fetch got no answer, with the transport's account of why ([`NoAnswer`]). Like
    /// [`TokenMachine::handle_fetch_failed`], and the cause is kept as [`TokenMachine::last_error`], so that
    /// [`Error::TokenUnavailable`] says what happened ("DNS lookup of westus.api.cognitive.microsoft.com failed",
    /// "could not connect to …: connection refused").
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidState`] when no fetch is in flight.
    pub fn handle_fetch_error(
        &mut self,
        now: Instant,
        jitter: f64,
        cause: NoAnswer,
    ) -> Result<(), Error> {
        self.expect_in_flight("handle_fetch_failed")?;
        self.fail(now, Some(Error::Transport(cause)), jitter, None);
        Ok(())
    }

    fn expect_in_flight(&self, call: &'static str) -> Result<(), Error> {
        if self.fetch == Fetch::InFlight {
            return Ok(());
        }
        Err(Misuse::InvalidState(match call {
            "handle_token_response" => {
                "handle_token_response without a fetch in flight: report each FetchToken from poll_action once"
            }
            _ => "handle_fetch_failed without a fetch in flight: report each FetchToken from poll_action once",
        })
        .into())
    }

    fn store(&mut self, now: Instant, wall: u64, token: Token, header: HeaderValue) {
        let cfg = self.config;
        let mut lifetime = cfg.lifetime;
        let mut reuse = cfg.reuse_for;
        if let (true, Some(exp)) = (self.is_entra(), token.expires_at_unix()) {
            // An Entra token lives as long as its source says (typically an hour or more): its expiry decides
            // both points, whatever the key-token defaults.
            if exp > wall {
                let remaining = Duration::from_secs(exp - wall);
                let safe = remaining.saturating_sub(Duration::from_secs(1));
                lifetime = safe;
                reuse = remaining
                    .saturating_sub(cfg.exp_margin)
                    .max(remaining / 2)
                    .min(safe);
            }
        } else if let Some(exp) = token.expires_at_unix() {
            // An exp already past by the caller's clock means the clocks disagree: the service just issued the
            // token. Ignore the claim then (claims are never relied upon), otherwise let it shorten the lifetime.
            if exp > wall {
                let remaining = Duration::from_secs(exp - wall);
                // `wall` is whole seconds, up to 1 s behind the true time: expire 1 s early so that the token is
                // never served at or after `exp`.
                let safe = remaining.saturating_sub(Duration::from_secs(1));
                if safe < lifetime {
                    lifetime = safe;
                    let half = remaining / 2;
                    reuse = reuse
                        .min(remaining.saturating_sub(cfg.exp_margin).max(half))
                        .min(safe);
                }
            }
        }
        let id = TokenId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        self.token = Some(Cached {
            token,
            id,
            header,
            refresh_at: now.checked_add(reuse),
            expires_at: now.checked_add(lifetime),
            used: false,
        });
        self.fetch = Fetch::Idle;
        self.demand = false;
        self.failures = 0;
        self.last_error = None;
    }

    fn fail(&mut self, now: Instant, err: Option<Error>, jitter: f64, at_least: Option<Duration>) {
        self.failures = self.failures.saturating_add(1);
        let mut delay = backoff_delay(&self.config, self.failures, jitter);
        if let Some(ra) = at_least {
            delay = delay.max(ra.min(self.config.max_retry_after));
        }
        self.fetch = Fetch::Backoff {
            until: now.checked_add(delay),
        };
        self.last_error = err;
        // A still-valid token that is in use keeps needing its refresh.
        if self
            .token
            .as_ref()
            .is_some_and(|c| c.valid_at(now) && c.used)
        {
            self.demand = true;
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Introspection

    /// The last fetch failure: the service's answer (with status, message and hint), a malformed body, or the
    /// transport's failure when it was reported with [`TokenMachine::handle_fetch_error`]. `None` after a success,
    /// before any failure, and after [`TokenMachine::handle_fetch_failed`].
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }

    /// Consecutive failed fetches since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    /// Whether a fetch has been handed out and not yet answered.
    pub fn is_fetching(&self) -> bool {
        self.fetch == Fetch::InFlight
    }

    /// How many fetches have been handed out in total.
    pub fn fetches_started(&self) -> u64 {
        self.fetches_started
    }

    /// When the current token stops being served, if there is one and that instant is representable.
    pub fn token_expires_at(&self) -> Option<Instant> {
        self.token.as_ref().and_then(|c| c.expires_at)
    }

    /// When the current token's refresh is due, if there is one and that instant is representable.
    pub fn token_refresh_at(&self) -> Option<Instant> {
        self.token.as_ref().and_then(|c| c.refresh_at)
    }
}

/// `deadline` has been reached at `now`. `None` stands for an instant beyond what `Instant` represents.
fn reached(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|d| now >= d)
}

/// The wait after the `failures`-th consecutive failure: `backoff_initial · 2^(failures-1)`, capped at
/// `backoff_max`, then shortened by up to half: `jitter` 0 keeps the full delay, values towards 1 approach half of
/// it. Jitter outside `0..=1` (or NaN) is clamped.
pub(crate) fn backoff_delay(config: &TokenConfig, failures: u32, jitter: f64) -> Duration {
    let exp = failures.saturating_sub(1).min(32);
    let nominal = config
        .backoff_initial
        .checked_mul(1u32 << exp.min(31))
        .unwrap_or(config.backoff_max)
        .min(config.backoff_max);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let factor = 1.0 - jitter / 2.0;
    Duration::try_from_secs_f64(nominal.as_secs_f64() * factor)
        .unwrap_or(nominal)
        .min(nominal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap() {
        let cfg = TokenConfig::default();
        let secs: Vec<u64> = (1..=9)
            .map(|n| backoff_delay(&cfg, n, 0.0).as_secs())
            .collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff_delay(&cfg, u32::MAX, 0.0), Duration::from_secs(60));
        assert_eq!(backoff_delay(&cfg, 3, 1.0), Duration::from_secs(2));
        assert_eq!(backoff_delay(&cfg, 3, 0.5), Duration::from_secs(3));
        assert_eq!(backoff_delay(&cfg, 3, f64::NAN), Duration::from_secs(4));
        assert_eq!(backoff_delay(&cfg, 3, -7.0), Duration::from_secs(4));
        assert_eq!(backoff_delay(&cfg, 3, 7.0), Duration::from_secs(2));
        let huge = TokenConfig {
            backoff_initial: Duration::MAX,
            backoff_max: Duration::MAX,
            ..cfg
        };
        assert!(backoff_delay(&huge, 40, 0.3) <= Duration::MAX);
    }
}
