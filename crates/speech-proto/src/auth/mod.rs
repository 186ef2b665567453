//! Credentials, and the token machine that exchanges a key for tokens.
//!
//! Three credentials:
//!
//! * [`Credential::SubscriptionKey`]: a resource key. Sent as it is (`Ocp-Apim-Subscription-Key`, works with every
//!   endpoint form) with [`AuthMode::Key`], or exchanged for 10-minute bearer tokens by a [`TokenMachine`] with
//!   [`AuthMode::Token`].
//! * [`Credential::AuthorizationToken`]: a bearer token the caller got elsewhere (e.g. from their own backend).
//!   Sent as `Authorization: Bearer <token>`; refreshing it is the caller's job.
//! * [`Credential::Entra`]: a Microsoft Entra ID access token (scope `https://cognitiveservices.azure.com/.default`)
//!   plus the resource's ARM id, sent directly as `Authorization: Bearer aad#<resource_id>#<token>`; no token
//!   service is involved.
//!
//! [`Auth`] wraps any of them behind one interface, so that a driver never branches on the credential: it calls
//! [`Auth::authorize`] on every request, drains [`Auth::poll_action`], and sleeps until [`Auth::poll_timeout`].
//!
//! Secrets are newtypes whose `Debug` and `Display` print `***`, and whose header values are marked sensitive.

pub mod entra;
mod machine;
pub mod token;

use std::fmt;
use std::time::{Duration, Instant};

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};

/// The header that carries a subscription key.
pub const SUBSCRIPTION_KEY_HEADER: &str = "ocp-apim-subscription-key";

pub use machine::{
    AuthAction, Authorize, TokenConfig, TokenId, TokenMachine, ENTRA_REFRESH_MARGIN, ENTRA_SCOPE,
};

use crate::endpoint::Endpoint;
use crate::error::{Error, Misuse, NoAnswer};
use crate::header::checked_secret;

/// A Speech resource key. `Debug` prints `SubscriptionKey(***)`, `Display` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriptionKey(HeaderValue);

impl SubscriptionKey {
    /// Wrap a key. Surrounding whitespace (a trailing newline from a file or an environment variable) is trimmed.
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] for an empty key; [`Misuse::InvalidHeaderValue`] for a key with control characters or
    /// non-ASCII characters.
    pub fn new(key: &str) -> Result<Self, Error> {
        let key = key.trim();
        if key.is_empty() {
            return Err(Misuse::Missing("subscription key").into());
        }
        Ok(SubscriptionKey(checked_secret(
            "Ocp-Apim-Subscription-Key",
            key,
        )?))
    }

    /// The key text, for callers that must place it themselves. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        // ok: the value passed checked_value, so it is visible ASCII and to_str cannot fail.
        self.0.to_str().unwrap_or_default()
    }

    /// The header value (marked sensitive).
    pub(crate) fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

/// A bearer token the caller obtained elsewhere. `Debug` prints `AuthorizationToken(***)`, `Display` prints
/// `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationToken(HeaderValue);

impl AuthorizationToken {
    /// Wrap a token. A leading `Bearer ` is tolerated and removed; whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] for an empty token, [`Misuse::InvalidHeaderValue`] for one with control or
    /// non-ASCII characters.
    pub fn new(token: &str) -> Result<Self, Error> {
        let mut token = token.trim();
        if let Some(scheme) = token.get(..6).filter(|s| s.eq_ignore_ascii_case("bearer")) {
            let rest = &token[scheme.len()..];
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                token = rest.trim_start();
            }
        }
        if token.is_empty() {
            return Err(Misuse::Missing("authorization token").into());
        }
        checked_secret("Authorization", token)?;
        Ok(AuthorizationToken(checked_secret(
            "Authorization",
            &format!("Bearer {token}"),
        )?))
    }

    /// The `Authorization` header value (`Bearer <token>`, marked sensitive).
    pub(crate) fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

/// A Microsoft Entra ID access token for the scope `https://cognitiveservices.azure.com/.default`. `Debug` prints
/// `EntraToken(***)`, `Display` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct EntraToken(String);

impl EntraToken {
    /// Wrap an Entra access token (whitespace trimmed).
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] when empty, [`Misuse::InvalidHeaderValue`] for control or non-ASCII characters.
    pub fn new(token: &str) -> Result<Self, Error> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Misuse::Missing("Entra access token").into());
        }
        checked_secret("Authorization", token)?;
        Ok(EntraToken(token.to_owned()))
    }
}

macro_rules! redacted {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "(***)"))
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("***")
            }
        }
    )*};
}
redacted!(SubscriptionKey, AuthorizationToken, EntraToken);

/// A Microsoft Entra access token and when it expires, as a token source gives it (see the adapters'
/// `EntraTokenSource`). `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct EntraAccessToken {
    /// The access token (a JWT).
    pub token: String,
    /// When it expires, in seconds since the Unix epoch (Entra's `expires_on`).
    pub expires_on: u64,
}

impl fmt::Debug for EntraAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraAccessToken")
            .field("token", &"***")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// How a request proves it may use the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// A resource key.
    SubscriptionKey(SubscriptionKey),
    /// A bearer token obtained elsewhere.
    AuthorizationToken(AuthorizationToken),
    /// A Microsoft Entra ID token for the resource `resource_id` (the full ARM id,
    /// `/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/…`). The resource needs
    /// a custom domain.
    Entra {
        /// The resource's ARM id.
        resource_id: String,
        /// The Entra access token.
        token: EntraToken,
    },
    /// Microsoft Entra ID tokens for the resource `resource_id`, asked of the client's token source whenever one
    /// is needed and renewed before they expire ([`TokenMachine::entra`]). The client needs the source (see the
    /// adapters' builders); the resource needs a custom domain.
    EntraTokenSource {
        /// The resource's ARM id.
        resource_id: String,
    },
}

impl Credential {
    /// What kind of credential this is, for `Debug` output and logs (never the secret): e.g.
    /// "subscription key, exchanged for tokens" with [`AuthMode::Token`].
    pub fn describe(&self, mode: AuthMode) -> &'static str {
        match (self, mode) {
            (Credential::SubscriptionKey(_), AuthMode::Token) => {
                "subscription key, exchanged for tokens"
            }
            (Credential::SubscriptionKey(_), _) => "subscription key, sent as is",
            (Credential::AuthorizationToken(_), _) => "bearer token",
            (Credential::Entra { .. }, _) => "Microsoft Entra ID token",
            (Credential::EntraTokenSource { .. }, _) => {
                "Microsoft Entra ID tokens from a token source, renewed before they expire"
            }
        }
    }

    /// Microsoft Entra ID tokens from the client's token source for the resource `resource_id` (its full ARM
    /// id), renewed before they expire.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidValue`] for a resource id that is empty or holds `#`.
    pub fn entra_token_source(resource_id: &str) -> Result<Self, Error> {
        let resource_id = resource_id.trim();
        if resource_id.is_empty() || resource_id.contains('#') {
            return Err(Misuse::InvalidValue {
                name: "Entra resource id",
                reason: "the full ARM id of the Speech resource (/subscriptions/…/accounts/…), without '#', was \
                         expected"
                    .to_owned(),
            }
            .into());
        }
        Ok(Credential::EntraTokenSource {
            resource_id: resource_id.to_owned(),
        })
    }

    /// Whether the client must be given an Entra token source for this credential.
    pub fn needs_token_source(&self) -> bool {
        matches!(self, Credential::EntraTokenSource { .. })
    }

    /// A key credential (see [`SubscriptionKey::new`]).
    pub fn key(key: &str) -> Result<Self, Error> {
        Ok(Credential::SubscriptionKey(SubscriptionKey::new(key)?))
    }

    /// A bearer-token credential (see [`AuthorizationToken::new`]).
    pub fn token(token: &str) -> Result<Self, Error> {
        Ok(Credential::AuthorizationToken(AuthorizationToken::new(
            token,
        )?))
    }

    /// An Entra credential; checks the resource id (non-empty, no `#`, header-safe) and the token.
    pub fn entra(resource_id: &str, token: &str) -> Result<Self, Error> {
        let cred = Credential::Entra {
            resource_id: resource_id.trim().to_owned(),
            token: EntraToken::new(token)?,
        };
        cred.static_header()?;
        Ok(cred)
    }

    /// The header this credential adds on fast transcription ([`crate::stt::fast`]), whose host takes a key as
    /// it is and an Entra token as a plain `Authorization: Bearer <token>` (not the `aad#resource#token` form
    /// of the speech hosts); a bearer token obtained elsewhere goes as it is. The value is marked sensitive.
    pub fn fast_transcription_header(&self) -> Result<(HeaderName, HeaderValue), Error> {
        match self {
            Credential::Entra { token, .. } => Ok((
                AUTHORIZATION,
                checked_secret("Authorization", &format!("Bearer {}", token.0))?,
            )),
            other => other.static_header(),
        }
    }

    /// The header this credential adds when sent as it is (no token exchange): `Ocp-Apim-Subscription-Key` for a
    /// key, `Authorization: Bearer …` for the others. The value is marked sensitive.
    pub fn static_header(&self) -> Result<(HeaderName, HeaderValue), Error> {
        match self {
            Credential::SubscriptionKey(k) => Ok((
                HeaderName::from_static(SUBSCRIPTION_KEY_HEADER),
                k.header_value().clone(),
            )),
            Credential::AuthorizationToken(t) => Ok((AUTHORIZATION, t.header_value().clone())),
            Credential::Entra { resource_id, token } => {
                if resource_id.is_empty() {
                    return Err(Misuse::Missing("Entra resource id").into());
                }
                if resource_id.contains('#') {
                    return Err(Misuse::InvalidValue {
                        name: "Entra resource id",
                        reason: "it must not contain '#' (the full ARM id of the Speech resource was expected)"
                            .to_owned(),
                    }
                    .into());
                }
                let value = checked_secret(
                    "Authorization",
                    &format!("Bearer aad#{resource_id}#{}", token.0),
                )?;
                Ok((AUTHORIZATION, value))
            }
            Credential::EntraTokenSource { .. } => Err(Misuse::InvalidState(
                "an Entra token source has no fixed header: its tokens come from the token machine",
            )
            .into()),
        }
    }
}

/// What to do with a key credential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// Send the key on every request (`Ocp-Apim-Subscription-Key`). Works with every endpoint form; no token
    /// service round trip.
    #[default]
    Key,
    /// Exchange the key for bearer tokens with a [`TokenMachine`] and send `Authorization: Bearer <token>`.
    /// Keeps the key off the speech hosts.
    Token,
}

/// Any credential behind one interface: static headers, or a [`TokenMachine`] for [`AuthMode::Token`] with a key.
///
/// Driving it is the same in both cases (static credentials simply never ask for a fetch): call
/// [`Auth::authorize`] before each request; on [`Authorize::Pending`], drain [`Auth::poll_action`], perform each
/// [`AuthAction::FetchToken`] and feed its outcome back with [`Auth::handle_token_response`] or
/// [`Auth::handle_fetch_failed`]; call [`Auth::handle_timeout`] when [`Auth::poll_timeout`] passes; after a 401,
/// call [`Auth::invalidate`] and, if it returns `true`, authorize and send the request once more.
#[derive(Debug)]
pub struct Auth {
    inner: Inner,
    /// Token requests made for this client outside the machine (see [`Auth::count_fetches`]).
    external_fetches: u64,
}

#[derive(Debug)]
enum Inner {
    Static(HeaderName, HeaderValue),
    Machine(Box<TokenMachine>),
}

impl Auth {
    /// Set up authentication for `endpoint`. `mode` matters only for a key credential: [`AuthMode::Token`] puts a
    /// [`TokenMachine`] (with [`TokenConfig::default`]) in front of it. Tokens and Entra credentials are sent as
    /// they are.
    pub fn new(endpoint: &Endpoint, credential: Credential, mode: AuthMode) -> Result<Self, Error> {
        Self::with_config(endpoint, credential, mode, TokenConfig::default())
    }

    /// Like [`Auth::new`], with a token-machine configuration.
    pub fn with_config(
        endpoint: &Endpoint,
        credential: Credential,
        mode: AuthMode,
        config: TokenConfig,
    ) -> Result<Self, Error> {
        let inner = match (credential, mode) {
            (Credential::SubscriptionKey(key), AuthMode::Token) => {
                Inner::Machine(Box::new(TokenMachine::with_config(endpoint, key, config)?))
            }
            (Credential::EntraTokenSource { resource_id }, _) => Inner::Machine(Box::new(
                TokenMachine::entra(endpoint, Some(&resource_id), config)?,
            )),
            (other, _) => {
                let (name, value) = other.static_header()?;
                Inner::Static(name, value)
            }
        };
        Ok(Auth {
            inner,
            external_fetches: 0,
        })
    }

    /// Authentication for fast transcription: the credential's
    /// [`Credential::fast_transcription_header`] on every request (a key is never exchanged for tokens there:
    /// the service does not document taking them).
    ///
    /// # Errors
    ///
    /// [`Misuse`] errors for a credential whose header cannot be built.
    pub fn for_fast_transcription(
        endpoint: &Endpoint,
        credential: &Credential,
        config: TokenConfig,
    ) -> Result<Self, Error> {
        let inner = match credential {
            // Fast transcription takes the plain bearer: a machine of its own, asking the same source.
            Credential::EntraTokenSource { .. } => {
                Inner::Machine(Box::new(TokenMachine::entra(endpoint, None, config)?))
            }
            other => {
                let (name, value) = other.fast_transcription_header()?;
                Inner::Static(name, value)
            }
        };
        Ok(Auth {
            inner,
            external_fetches: 0,
        })
    }

    /// See [`TokenMachine::handle_entra_token`]. For static credentials and key machines this is
    /// [`Misuse::InvalidState`].
    pub fn handle_entra_token(
        &mut self,
        now: Instant,
        wall_clock_unix_secs: u64,
        access_token: &str,
        expires_on_unix: u64,
        jitter: f64,
    ) -> Result<(), Error> {
        match &mut self.inner {
            Inner::Machine(m) => m.handle_entra_token(
                now,
                wall_clock_unix_secs,
                access_token,
                expires_on_unix,
                jitter,
            ),
            Inner::Static(..) => Err(Misuse::InvalidState(
                "no Entra fetch is in flight for a static credential",
            )
            .into()),
        }
    }

    /// See [`TokenMachine::handle_entra_failure`]. For static credentials this is [`Misuse::InvalidState`].
    pub fn handle_entra_failure(
        &mut self,
        now: Instant,
        jitter: f64,
        message: &str,
    ) -> Result<(), Error> {
        match &mut self.inner {
            Inner::Machine(m) => m.handle_entra_failure(now, jitter, message),
            Inner::Static(..) => Err(Misuse::InvalidState(
                "no Entra fetch is in flight for a static credential",
            )
            .into()),
        }
    }

    /// Everything a client checks once, when it is built, so that a refused endpoint or credential fails then
    /// rather than on the first call: applies the caller's plain-`http` choice (`None` keeps the endpoint's
    /// own), builds every URI of the endpoint (a plain-`http` endpoint on the network is refused here), and sets
    /// up the `Auth`. Returns the endpoint as the client will use it.
    ///
    /// # Errors
    ///
    /// [`Misuse`] errors for an endpoint or credential that cannot be used.
    pub fn for_client(
        endpoint: Endpoint,
        allow_insecure_http: Option<bool>,
        credential: &Credential,
        mode: AuthMode,
        config: TokenConfig,
    ) -> Result<(Endpoint, Auth), Error> {
        let endpoint = match allow_insecure_http {
            Some(allow) => endpoint.allow_insecure_http(allow),
            None => endpoint,
        };
        endpoint.token_uri()?;
        endpoint.voices_list_uri()?;
        let auth = Auth::with_config(&endpoint, credential.clone(), mode, config)?;
        Ok((endpoint, auth))
    }

    /// The token machine, when this credential uses one.
    pub fn token_machine(&self) -> Option<&TokenMachine> {
        match &self.inner {
            Inner::Machine(m) => Some(m),
            Inner::Static(..) => None,
        }
    }

    /// The token machine, mutably.
    pub fn token_machine_mut(&mut self) -> Option<&mut TokenMachine> {
        match &mut self.inner {
            Inner::Machine(m) => Some(m),
            Inner::Static(..) => None,
        }
    }

    /// Add the auth header to `request`. See [`TokenMachine::authorize`]; static credentials always return
    /// [`Authorize::Ready`].
    pub fn authorize<B>(
        &mut self,
        now: Instant,
        request: &mut Request<B>,
    ) -> Result<Authorize, Error> {
        match &mut self.inner {
            Inner::Static(name, value) => {
                request.headers_mut().insert(name.clone(), value.clone());
                Ok(Authorize::Ready(TokenId::STATIC))
            }
            Inner::Machine(m) => m.authorize(now, request),
        }
    }

    /// Authorize a request the call machine does not run (a WebSocket handshake): `Ok(Some(id))` when the header
    /// was added, `Ok(None)` while a token is being fetched (drain [`Auth::poll_action`], perform it, ask again),
    /// and [`Error::TokenUnavailable`] when the last fetch failed and the machine is waiting out its backoff —
    /// rather than waiting, the caller reports that (a streaming session retries the connection later).
    pub fn authorize_now<B>(
        &mut self,
        now: Instant,
        request: &mut Request<B>,
    ) -> Result<Option<TokenId>, Error> {
        match self.authorize(now, request)? {
            Authorize::Ready(id) => Ok(Some(id)),
            Authorize::Pending => match self.last_error() {
                Some(e) if !self.is_fetching() && self.poll_timeout().is_some() => {
                    Err(Error::TokenUnavailable {
                        last_error: Some(Box::new(e.clone())),
                        retry_in: self.timeout_in(now),
                    })
                }
                _ => Ok(None),
            },
        }
    }

    /// Like [`Auth::authorize`], on request parts.
    pub fn authorize_parts(
        &mut self,
        now: Instant,
        parts: &mut http::request::Parts,
    ) -> Result<Authorize, Error> {
        match &mut self.inner {
            Inner::Static(name, value) => {
                parts.headers.insert(name.clone(), value.clone());
                Ok(Authorize::Ready(TokenId::STATIC))
            }
            Inner::Machine(m) => m.authorize_parts(now, parts),
        }
    }

    /// The next thing the driver must do; `None` when there is nothing (always for static credentials).
    pub fn poll_action(&mut self) -> Option<AuthAction> {
        match &mut self.inner {
            Inner::Static(..) => None,
            Inner::Machine(m) => m.poll_action(),
        }
    }

    /// When to call [`Auth::handle_timeout`] next; `None` for static credentials.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.inner {
            Inner::Static(..) => None,
            Inner::Machine(m) => m.poll_timeout(),
        }
    }

    /// See [`TokenMachine::handle_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Inner::Machine(m) = &mut self.inner {
            m.handle_timeout(now);
        }
    }

    /// See [`TokenMachine::handle_token_response`]. For static credentials there is never a fetch in flight, so
    /// this is [`Misuse::InvalidState`].
    pub fn handle_token_response(
        &mut self,
        now: Instant,
        wall_clock_unix_secs: u64,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        jitter: f64,
    ) -> Result<(), Error> {
        match &mut self.inner {
            Inner::Static(..) => Err(Misuse::InvalidState(
                "no token fetch is in flight for a static credential",
            )
            .into()),
            Inner::Machine(m) => {
                m.handle_token_response(now, wall_clock_unix_secs, status, headers, body, jitter)
            }
        }
    }

    /// See [`TokenMachine::handle_fetch_failed`].
    pub fn handle_fetch_failed(&mut self, now: Instant, jitter: f64) -> Result<(), Error> {
        match &mut self.inner {
            Inner::Static(..) => Err(Misuse::InvalidState(
                "no token fetch is in flight for a static credential",
            )
            .into()),
            Inner::Machine(m) => m.handle_fetch_failed(now, jitter),
        }
    }

    /// See [`TokenMachine::handle_fetch_error`].
    pub fn handle_fetch_error(
        &mut self,
        now: Instant,
        jitter: f64,
        cause: NoAnswer,
    ) -> Result<(), Error> {
        match &mut self.inner {
            Inner::Static(..) => Err(Misuse::InvalidState(
                "no token fetch is in flight for a static credential",
            )
            .into()),
            Inner::Machine(m) => m.handle_fetch_error(now, jitter, cause),
        }
    }

    /// Whether this credential is exchanged for tokens by a [`TokenMachine`].
    pub fn uses_tokens(&self) -> bool {
        self.token_machine().is_some()
    }

    /// Whether a token fetch has been handed out (by [`Auth::poll_action`]) and not yet reported.
    pub fn is_fetching(&self) -> bool {
        self.token_machine().is_some_and(TokenMachine::is_fetching)
    }

    /// How many token fetches have been handed out; 0 for static credentials.
    pub fn fetches_started(&self) -> u64 {
        self.token_machine()
            .map_or(0, TokenMachine::fetches_started)
    }

    /// Count `n` token requests made on this client's behalf outside its machine (e.g. one-off fetches for a
    /// caller's token while the client sends its key), so that [`Auth::fetches`] reports every one.
    pub fn count_fetches(&mut self, n: u64) {
        self.external_fetches = self.external_fetches.saturating_add(n);
    }

    /// Every token request made for this client: the machine's and those counted with
    /// [`Auth::count_fetches`].
    pub fn fetches(&self) -> u64 {
        self.fetches_started().saturating_add(self.external_fetches)
    }

    /// Report that the service refused the credential (401). Returns whether a new token will be fetched (then
    /// authorize and resend once); `false` for static credentials, whose 401 is final until the caller changes
    /// the credential.
    pub fn invalidate(&mut self, now: Instant) -> bool {
        match &mut self.inner {
            Inner::Static(..) => false,
            Inner::Machine(m) => {
                m.invalidate(now);
                true
            }
        }
    }

    /// Like [`Auth::invalidate`], but only if the rejected token is still the current one (see
    /// [`TokenMachine::invalidate_token`]).
    pub fn invalidate_token(&mut self, now: Instant, rejected: TokenId) -> bool {
        match &mut self.inner {
            Inner::Static(..) => false,
            Inner::Machine(m) => {
                m.invalidate_token(now, rejected);
                true
            }
        }
    }

    /// The last token-fetch failure, while it is current (see [`TokenMachine::last_error`]).
    pub fn last_error(&self) -> Option<&Error> {
        self.token_machine().and_then(TokenMachine::last_error)
    }

    /// How long until the machine's next deadline, from `now` (zero when it has passed); `None` when there is
    /// none. A convenience for drivers that sleep with a duration.
    pub fn timeout_in(&self, now: Instant) -> Option<Duration> {
        self.poll_timeout()
            .map(|t| t.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let k = SubscriptionKey::new("  abcdef0123456789\n").unwrap();
        assert_eq!(format!("{k:?}"), "SubscriptionKey(***)");
        assert_eq!(format!("{k}"), "***");
        assert_eq!(k.expose_secret(), "abcdef0123456789");
        let c = Credential::entra(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a",
            "eyJ.x.y",
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("eyJ"), "{dbg}");
        assert!(dbg.contains("EntraToken(***)"));
        let t = Credential::token("Bearer eyJtok.a.b").unwrap();
        assert!(!format!("{t:?}").contains("eyJtok"));
    }

    #[test]
    fn constructors_refuse_header_injection() {
        assert!(matches!(
            SubscriptionKey::new("abc\r\nX-Evil: 1"),
            Err(Error::Misuse(Misuse::InvalidHeaderValue { .. }))
        ));
        assert!(matches!(
            SubscriptionKey::new(" \n"),
            Err(Error::Misuse(Misuse::Missing(_)))
        ));
        assert!(matches!(
            AuthorizationToken::new("a\nb"),
            Err(Error::Misuse(Misuse::InvalidHeaderValue { .. }))
        ));
        assert!(matches!(
            AuthorizationToken::new("Bearer "),
            Err(Error::Misuse(Misuse::Missing(_)))
        ));
        assert!(matches!(
            AuthorizationToken::new("bearer"),
            Err(Error::Misuse(Misuse::Missing(_)))
        ));
        assert!(matches!(
            AuthorizationToken::new("abcdeé€x"),
            Err(Error::Misuse(Misuse::InvalidHeaderValue { .. }))
        ));
        let t = AuthorizationToken::new("BEARER  tok").unwrap();
        assert_eq!(t.header_value(), "Bearer tok");
        let t = AuthorizationToken::new("Bearertok").unwrap();
        assert_eq!(t.header_value(), "Bearer Bearertok");
        assert!(matches!(
            EntraToken::new("a\rb"),
            Err(Error::Misuse(Misuse::InvalidHeaderValue { .. }))
        ));
        assert!(
            Credential::entra("id\n", "tok").is_ok(),
            "trailing newline trimmed"
        );
        assert!(matches!(
            Credential::entra("a\nb", "tok"),
            Err(Error::Misuse(Misuse::InvalidHeaderValue { .. }))
        ));
        assert!(matches!(
            Credential::entra("a#b", "tok"),
            Err(Error::Misuse(Misuse::InvalidValue { .. }))
        ));
        assert!(matches!(
            Credential::entra("", "tok"),
            Err(Error::Misuse(Misuse::Missing(_)))
        ));
    }

    #[test]
    fn static_headers() {
        let (n, v) = Credential::key("k1").unwrap().static_header().unwrap();
        assert_eq!(n, "ocp-apim-subscription-key");
        assert_eq!(v, "k1");
        assert!(v.is_sensitive());
        let (n, v) = Credential::token("tok").unwrap().static_header().unwrap();
        assert_eq!(
            (n.as_str(), v.to_str().unwrap()),
            ("authorization", "Bearer tok")
        );
        let (n, v) = Credential::entra("/subscriptions/s/x", "ent")
            .unwrap()
            .static_header()
            .unwrap();
        assert_eq!(
            (n.as_str(), v.to_str().unwrap()),
            ("authorization", "Bearer aad#/subscriptions/s/x#ent")
        );
        assert!(v.is_sensitive());
    }
}
