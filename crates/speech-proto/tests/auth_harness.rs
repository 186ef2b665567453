//! A deterministic virtual-time harness for the token machine (quinn-proto's `Pair`/`drive` idea): a
//! `FakeServer` answers `AuthAction::FetchToken` with scripted replies, and `drive` jumps virtual time to
//! `poll_timeout()`. Every `now` comes from the harness; the only real clock read is the base instant.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use proptest::prelude::*;
use speech_proto::auth::{
    Auth, AuthAction, AuthMode, Authorize, Credential, SubscriptionKey, TokenConfig, TokenId,
    TokenMachine,
};
use speech_proto::{Endpoint, Error, Misuse};

const WALL0: u64 = 1_700_000_000;
const MIN: u64 = 60;
const STT: &str = "https://westus.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[derive(Clone, Debug)]
enum Reply {
    /// 200 with a fresh JWT; `exp` relative to the wall clock at answer time (None: no exp claim).
    Token { exp_in: Option<i64> },
    /// An error status with a body and an optional Retry-After.
    Status(u16, &'static str, Option<&'static str>),
    /// No answer at all.
    Transport,
}

/// What the server knows about a token it issued, to check what the machine serves.
#[derive(Clone, Copy, Debug)]
struct Issued {
    at: Instant,
    exp: Option<u64>,
}

struct FakeServer {
    script: VecDeque<Reply>,
    /// (virtual time, request) of every fetch received.
    requests: Vec<(Instant, Request<()>)>,
    issued: HashMap<String, Issued>,
    serial: u64,
}

impl FakeServer {
    fn new(script: impl IntoIterator<Item = Reply>) -> Self {
        FakeServer {
            script: script.into_iter().collect(),
            requests: Vec::new(),
            issued: HashMap::new(),
            serial: 0,
        }
    }

    fn jwt(&mut self, at: Instant, wall: u64, exp_in: Option<i64>) -> String {
        self.serial += 1;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let exp = exp_in.map(|d| (wall as i64 + d) as u64);
        let payload = match exp {
            Some(e) => format!(r#"{{"n":{},"region":"westus","exp":{e}}}"#, self.serial),
            None => format!(r#"{{"n":{}}}"#, self.serial),
        };
        let jwt = format!(
            "{}.{}.sig{}",
            b64(r#"{"alg":"ES256","typ":"JWT"}"#),
            b64(&payload),
            self.serial
        );
        self.issued.insert(jwt.clone(), Issued { at, exp });
        jwt
    }
}

struct Harness {
    auth: TokenMachine,
    t0: Instant,
    now: Instant,
    server: FakeServer,
    jitter: f64,
    /// Fetches handed out and not answered yet (the harness answers at once unless `hold` is set).
    pending: Option<Request<()>>,
    hold: bool,
}

impl Harness {
    fn new(script: impl IntoIterator<Item = Reply>) -> Self {
        Self::with(
            Endpoint::region("westus").unwrap(),
            TokenConfig::default(),
            script,
        )
    }

    fn with(
        endpoint: Endpoint,
        config: TokenConfig,
        script: impl IntoIterator<Item = Reply>,
    ) -> Self {
        let key = SubscriptionKey::new("test-key").unwrap();
        let t0 = Instant::now();
        Harness {
            auth: TokenMachine::with_config(&endpoint, key, config).unwrap(),
            t0,
            now: t0,
            server: FakeServer::new(script),
            jitter: 0.0,
            pending: None,
            hold: false,
        }
    }

    fn at(&self, d: Duration) -> Instant {
        self.t0 + d
    }

    fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    fn wall(&self) -> u64 {
        WALL0 + self.elapsed().as_secs()
    }

    /// Drain poll_action; answer each fetch from the script unless holding.
    fn step(&mut self) {
        while let Some(action) = self.auth.poll_action() {
            let AuthAction::FetchToken(req) = action else {
                unreachable!()
            };
            assert!(
                self.pending.is_none(),
                "a second fetch was handed out while one is in flight"
            );
            self.server.requests.push((self.now, clone_head(&req)));
            self.pending = Some(req);
            if !self.hold {
                self.answer();
            }
        }
    }

    fn answer(&mut self) {
        let req = self.pending.take().expect("no fetch in flight");
        assert_eq!(req.method(), http::Method::POST);
        let reply = self
            .server
            .script
            .pop_front()
            .expect("script ran out of replies");
        let (now, wall, jitter) = (self.now, self.wall(), self.jitter);
        match reply {
            Reply::Token { exp_in } => {
                let jwt = self.server.jwt(now, wall, exp_in);
                self.auth
                    .handle_token_response(
                        now,
                        wall,
                        StatusCode::OK,
                        &HeaderMap::new(),
                        jwt.as_bytes(),
                        jitter,
                    )
                    .unwrap();
            }
            Reply::Status(code, body, retry_after) => {
                let mut headers = HeaderMap::new();
                if let Some(ra) = retry_after {
                    headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static(ra));
                }
                self.auth
                    .handle_token_response(
                        now,
                        wall,
                        StatusCode::from_u16(code).unwrap(),
                        &headers,
                        body.as_bytes(),
                        jitter,
                    )
                    .unwrap();
            }
            Reply::Transport => self.auth.handle_fetch_failed(now, jitter).unwrap(),
        }
        self.step();
    }

    /// Jump to the next deadline (if any and not in the past), handle it, and step.
    fn drive(&mut self) -> bool {
        match self.auth.poll_timeout() {
            Some(t) => {
                if t > self.now {
                    self.now = t;
                }
                self.auth.handle_timeout(self.now);
                self.step();
                true
            }
            None => false,
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.auth.handle_timeout(self.now);
        self.step();
    }

    fn set_time(&mut self, d: Duration) {
        self.now = self.t0 + d;
        self.auth.handle_timeout(self.now);
        self.step();
    }

    /// Authorize a request to `uri`; returns the served token text on Ready.
    fn authorize_uri(&mut self, uri: &str) -> Result<Option<String>, Error> {
        let mut req = Request::new(());
        *req.uri_mut() = uri.parse::<Uri>().unwrap();
        let r = self.auth.authorize(self.now, &mut req);
        self.step();
        match r? {
            Authorize::Ready(_) => {
                let v = req.headers()["authorization"].to_str().unwrap();
                let jwt = v.strip_prefix("Bearer ").unwrap().to_owned();
                self.check_served(&jwt);
                Ok(Some(jwt))
            }
            Authorize::Pending => {
                assert!(req.headers().get("authorization").is_none());
                Ok(None)
            }
        }
    }

    fn authorize(&mut self) -> Result<Option<String>, Error> {
        self.authorize_uri(STT)
    }

    fn token_id(&mut self) -> TokenId {
        let mut req = Request::new(());
        *req.uri_mut() = STT.parse().unwrap();
        match self.auth.authorize(self.now, &mut req).unwrap() {
            Authorize::Ready(id) => id,
            Authorize::Pending => panic!("no token"),
        }
    }

    /// The invariant: a served token is never expired at `now`.
    fn check_served(&self, jwt: &str) {
        let issued = self.server.issued[jwt];
        assert!(
            self.now < issued.at + secs(10 * MIN),
            "served a token past its 10-minute lifetime"
        );
        if let Some(exp) = issued.exp {
            let wall_at_issue = WALL0 + (issued.at - self.t0).as_secs();
            if exp > wall_at_issue {
                assert!(self.wall() < exp, "served a token past its exp claim");
            }
        }
    }

    fn fetch_times(&self) -> Vec<Duration> {
        self.server
            .requests
            .iter()
            .map(|(t, _)| *t - self.t0)
            .collect()
    }
}

fn clone_head(req: &Request<()>) -> Request<()> {
    let mut r = Request::new(());
    *r.method_mut() = req.method().clone();
    *r.uri_mut() = req.uri().clone();
    *r.headers_mut() = req.headers().clone();
    r
}

fn ok() -> Reply {
    Reply::Token { exp_in: Some(600) }
}

// ---------------------------------------------------------------------------------------------------------------

#[test]
fn first_use_fetches_exactly_once() {
    let mut h = Harness::new([ok()]);
    h.hold = true;
    assert_eq!(h.authorize().unwrap(), None);
    assert_eq!(h.server.requests.len(), 1);
    // Demands while the fetch is in flight never start a second one.
    for _ in 0..5 {
        assert_eq!(h.authorize().unwrap(), None);
        h.auth.handle_demand(h.now);
        assert!(h.auth.current_token(h.now).unwrap().is_none());
        h.step();
    }
    assert_eq!(h.server.requests.len(), 1);
    assert!(h.auth.is_fetching());
    h.answer();
    let token = h.authorize().unwrap().expect("token after the fetch");
    assert_eq!(h.authorize().unwrap(), Some(token));
    assert_eq!(h.server.requests.len(), 1);
    assert_eq!(h.auth.fetches_started(), 1);

    // The fetch request: POST issueToken with the key and Content-Length: 0.
    let (_, req) = &h.server.requests[0];
    assert_eq!(
        req.uri(),
        "https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken"
    );
    assert_eq!(req.headers()["ocp-apim-subscription-key"], "test-key");
    assert_eq!(req.headers()["content-length"], "0");
}

#[test]
fn refresh_at_nine_minutes_and_stale_while_refresh() {
    let mut h = Harness::new([ok(), ok()]);
    assert!(h.authorize().unwrap().is_none());
    let first = h.authorize().unwrap().unwrap();
    assert_eq!(h.auth.poll_timeout(), Some(h.at(secs(9 * MIN))));
    // The token's exp is 10 minutes after issue; it is served until 1 s before (whole-second wall clock).
    assert_eq!(h.auth.token_expires_at(), Some(h.at(secs(10 * MIN - 1))));

    // Nothing happens before the refresh point.
    h.set_time(secs(9 * MIN - 1));
    assert_eq!(h.server.requests.len(), 1);
    assert_eq!(h.authorize().unwrap().as_ref(), Some(&first));

    // At 9 minutes exactly one refresh starts; hold its answer.
    h.hold = true;
    assert!(h.drive());
    assert_eq!(h.fetch_times(), [secs(0), secs(9 * MIN)]);
    // The old token is still served while the refresh runs …
    for t in [9 * MIN, 9 * MIN + 30, 10 * MIN - 2] {
        h.set_time(secs(t));
        assert_eq!(h.authorize().unwrap().as_ref(), Some(&first), "at {t}s");
    }
    assert_eq!(
        h.server.requests.len(),
        2,
        "no second refresh during the first"
    );
    // … and never at or after its expiry.
    h.set_time(secs(10 * MIN - 1));
    assert_eq!(h.authorize().unwrap(), None);
    assert!(h.auth.peek_token(h.now).is_none());
    assert_eq!(h.server.requests.len(), 2);
    h.answer();
    let second = h.authorize().unwrap().unwrap();
    assert_ne!(first, second);
    // The new token (arrived at 9:59) is refreshed 9 minutes after it arrived.
    assert_eq!(h.auth.poll_timeout(), Some(h.at(secs(19 * MIN - 1))));
}

#[test]
fn refresh_answered_in_time_replaces_the_token() {
    let mut h = Harness::new([ok(), ok()]);
    h.authorize().unwrap();
    let first = h.authorize().unwrap().unwrap();
    assert!(h.drive());
    assert_eq!(h.elapsed(), secs(9 * MIN));
    let second = h.authorize().unwrap().unwrap();
    assert_ne!(first, second);
    assert_eq!(h.auth.token_expires_at(), Some(h.at(secs(19 * MIN - 1))));
}

#[test]
fn unused_tokens_are_not_refreshed() {
    let mut h = Harness::new([ok(), ok()]);
    h.auth.handle_demand(h.now);
    h.step();
    assert_eq!(h.server.requests.len(), 1);
    // Fetched for a demand but never served: no timer, no background refresh.
    assert_eq!(h.auth.poll_timeout(), None);
    h.set_time(secs(60 * MIN));
    assert_eq!(h.server.requests.len(), 1);
    // A later demand fetches anew (the first token expired long ago).
    assert_eq!(h.authorize().unwrap(), None);
    assert_eq!(h.server.requests.len(), 2);
    assert!(h.authorize().unwrap().is_some());
}

#[test]
fn exp_earlier_than_nine_minutes_is_honoured() {
    // exp 5 minutes ahead: refresh 60 s before exp, never served at exp.
    let mut h = Harness::new([
        Reply::Token {
            exp_in: Some(5 * MIN as i64),
        },
        ok(),
    ]);
    h.authorize().unwrap();
    let first = h.authorize().unwrap().unwrap();
    // Expiry 1 s before exp: the caller's whole wall-clock seconds may lag the true time by up to 1 s.
    assert_eq!(h.auth.token_expires_at(), Some(h.at(secs(5 * MIN - 1))));
    assert_eq!(h.auth.poll_timeout(), Some(h.at(secs(4 * MIN))));
    h.hold = true;
    assert!(h.drive());
    assert_eq!(h.fetch_times(), [secs(0), secs(4 * MIN)]);
    h.set_time(secs(5 * MIN - 2));
    assert_eq!(h.authorize().unwrap(), Some(first));
    h.set_time(secs(5 * MIN - 1));
    assert_eq!(h.authorize().unwrap(), None);
}

#[test]
fn short_lived_tokens_refresh_half_way() {
    let mut h = Harness::new([Reply::Token { exp_in: Some(30) }]);
    h.authorize().unwrap();
    h.authorize().unwrap().unwrap();
    assert_eq!(h.auth.token_expires_at(), Some(h.at(secs(29))));
    assert_eq!(h.auth.poll_timeout(), Some(h.at(secs(15))));
}

#[test]
fn exp_past_by_the_callers_clock_is_ignored() {
    // The caller's clock is ahead of the service's: the claim cannot be right; use the 10-minute rule.
    let mut h = Harness::new([
        Reply::Token {
            exp_in: Some(-3600),
        },
        Reply::Token { exp_in: None },
    ]);
    h.authorize().unwrap();
    h.authorize().unwrap().unwrap();
    assert_eq!(h.auth.token_expires_at(), Some(h.at(secs(10 * MIN))));
    // No exp claim at all: same rule.
    h.auth.invalidate(h.now);
    h.step();
    h.authorize().unwrap().unwrap();
    assert_eq!(h.auth.token_refresh_at(), Some(h.at(secs(9 * MIN))));
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let mut script: Vec<Reply> = (0..10).map(|_| Reply::Status(500, "oops", None)).collect();
    script.push(ok());
    let mut h = Harness::new(script);
    let mut waits = Vec::new();
    assert_eq!(h.authorize().unwrap(), None);
    for _ in 0..10 {
        // Each failure: authorize reports TokenUnavailable with the wait, and no fetch starts early.
        let err = h.authorize().unwrap_err();
        let Error::TokenUnavailable {
            last_error,
            retry_in,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            last_error.as_ref().unwrap().status(),
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        );
        assert!(err.is_retryable());
        waits.push(retry_in.unwrap());
        let before = h.server.requests.len();
        h.advance(retry_in.unwrap() - Duration::from_millis(1));
        assert_eq!(
            h.server.requests.len(),
            before,
            "fetch before the backoff ended"
        );
        assert!(h.drive());
        assert_eq!(h.server.requests.len(), before + 1);
    }
    let expected: Vec<Duration> = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
        .into_iter()
        .map(secs)
        .collect();
    assert_eq!(waits, expected);
    assert!(h.authorize().unwrap().is_some());
    assert_eq!(h.auth.consecutive_failures(), 0);
    assert!(h.auth.last_error().is_none());
}

#[test]
fn jitter_shortens_the_backoff_by_up_to_half() {
    for (jitter, expected) in [
        (0.5, [750u64, 1500, 3000, 6000]),
        (0.999, [500, 1001, 2002, 4004]),
        (0.0, [1000, 2000, 4000, 8000]),
    ] {
        let script: Vec<Reply> = (0..4).map(|_| Reply::Transport).collect();
        let mut h = Harness::new(script);
        h.jitter = jitter;
        h.authorize().unwrap();
        let mut gaps = Vec::new();
        for _ in 0..3 {
            h.auth.handle_demand(h.now);
            assert!(h.drive());
        }
        let times = h.fetch_times();
        for w in times.windows(2) {
            gaps.push((w[1] - w[0]).as_millis() as u64);
        }
        for (gap, want) in gaps.iter().zip(expected) {
            assert!(
                gap.abs_diff(want) <= 1,
                "jitter {jitter}: gap {gap} ms, want {want} ms"
            );
        }
        // Transport failures leave no service error behind.
        assert!(h.auth.last_error().is_none());
    }
}

#[test]
fn retry_after_is_honoured_on_429() {
    let mut h = Harness::new([Reply::Status(429, "", Some("30")), ok()]);
    h.authorize().unwrap();
    let err = h.authorize().unwrap_err();
    assert!(
        matches!(err, Error::TokenUnavailable { retry_in: Some(d), .. } if d == secs(30)),
        "{err:?}"
    );
    assert!(h.drive());
    assert_eq!(h.fetch_times(), [secs(0), secs(30)]);
    assert!(h.authorize().unwrap().is_some());
}

#[test]
fn wrong_key_is_reported_at_once_and_keeps_backing_off() {
    let body = r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}"#;
    let mut h = Harness::new([
        Reply::Status(401, body, None),
        Reply::Status(401, body, None),
    ]);
    h.authorize().unwrap();
    let err = h.authorize().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(err.message().unwrap().contains("invalid subscription key"));
    assert!(err.hint().unwrap().fix.contains("Keys and Endpoint"));
    assert!(err.to_string().contains("invalid subscription key"));
    assert_eq!(
        h.auth.last_error().unwrap().status(),
        Some(StatusCode::UNAUTHORIZED)
    );
    // Backoff continues (the caller may fix the key's resource), one fetch per backoff.
    assert!(h.drive());
    assert_eq!(h.fetch_times(), [secs(0), secs(1)]);
}

#[test]
fn malformed_token_body_is_a_failure() {
    let mut h = Harness::new([
        Reply::Status(200, "", None),
        Reply::Status(200, "not-a-jwt", None),
        ok(),
    ]);
    h.authorize().unwrap();
    let err = h.authorize().unwrap_err();
    let Error::TokenUnavailable {
        last_error: Some(inner),
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(matches!(**inner, Error::MalformedResponse(ref m) if m.what == "token response"));
    assert!(h.drive());
    assert!(h.authorize().is_err());
    assert!(h.drive());
    assert!(h.authorize().unwrap().is_some());
    assert_eq!(h.fetch_times(), [secs(0), secs(1), secs(3)]);
}

#[test]
fn failed_refresh_keeps_serving_until_expiry_then_retries() {
    let mut h = Harness::new([ok(), Reply::Transport, Reply::Transport, ok()]);
    h.authorize().unwrap();
    let first = h.authorize().unwrap().unwrap();
    assert!(h.drive()); // 9:00 refresh fails
    assert!(h.drive()); // 9:01 retry fails (the token is in use, so it retries by itself)
    assert_eq!(h.fetch_times(), [secs(0), secs(540), secs(541)]);
    assert_eq!(h.authorize().unwrap(), Some(first));
    assert!(h.drive()); // 9:03 succeeds
    assert_eq!(h.elapsed(), secs(543));
    assert_ne!(h.authorize().unwrap(), None);
}

#[test]
fn invalidate_causes_exactly_one_refetch() {
    let mut h = Harness::new([ok(), ok(), ok()]);
    h.authorize().unwrap();
    let first = h.authorize().unwrap().unwrap();
    h.advance(secs(60));
    h.hold = true;
    // Two requests came back 401 with the same token.
    h.auth.invalidate(h.now);
    h.step();
    h.auth.invalidate(h.now);
    h.step();
    assert_eq!(h.server.requests.len(), 2);
    // The rejected token is never served again.
    assert_eq!(h.authorize().unwrap(), None);
    // Invalidate while the fetch is in flight: still no second fetch.
    h.auth.invalidate(h.now);
    h.step();
    assert_eq!(h.server.requests.len(), 2);
    h.answer();
    let second = h.authorize().unwrap().unwrap();
    assert_ne!(first, second);
    assert_eq!(h.server.requests.len(), 2);
}

#[test]
fn invalidate_token_ignores_stale_ids() {
    let mut h = Harness::new([ok(), ok(), ok()]);
    h.authorize().unwrap();
    let old_id = h.token_id();
    h.auth.invalidate_token(h.now, old_id);
    h.step();
    assert_eq!(h.server.requests.len(), 2);
    let new_id = h.token_id();
    assert_ne!(old_id, new_id);
    // A late 401 for a request sent with the old token does not drop the new one.
    h.auth.invalidate_token(h.now, old_id);
    h.step();
    assert_eq!(h.server.requests.len(), 2);
    assert_eq!(h.token_id(), new_id);
}

#[test]
fn invalidate_during_backoff_waits_for_it() {
    let mut h = Harness::new([Reply::Transport, ok()]);
    h.authorize().unwrap();
    h.auth.invalidate(h.now);
    h.step();
    assert_eq!(h.server.requests.len(), 1);
    assert_eq!(h.auth.poll_timeout(), Some(h.at(secs(1))));
    assert!(h.drive());
    assert_eq!(h.fetch_times(), [secs(0), secs(1)]);
}

#[test]
fn wrong_host_family_is_refused() {
    let mut h = Harness::new([ok()]);
    for uri in [
        "https://eastus.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1",
        "https://my-resource.cognitiveservices.azure.com/stt/speech/recognition/conversation/cognitiveservices/v1",
        "https://westus.stt.speech.azure.us/x",
        "http://westus.stt.speech.microsoft.com/x",
    ] {
        let err = h.authorize_uri(uri).unwrap_err();
        assert!(matches!(err, Error::Misuse(Misuse::TokenHostMismatch { .. })), "{uri}: {err:?}");
    }
    assert!(
        h.server.requests.is_empty(),
        "a refused request does not fetch"
    );
    // The same machine serves its own family: token host, tts host.
    h.authorize_uri("https://westus.tts.speech.microsoft.com/cognitiveservices/v1")
        .unwrap();
    assert!(h
        .authorize_uri("https://westus.tts.speech.microsoft.com/cognitiveservices/v1")
        .unwrap()
        .is_some());
    let err = h
        .authorize_uri("https://eastus.tts.speech.microsoft.com/cognitiveservices/v1")
        .unwrap_err();
    assert!(err.to_string().contains("region westus"), "{err}");

    // Custom-domain tokens only go to that custom host.
    let mut h = Harness::with(
        Endpoint::custom_domain("my-resource").unwrap(),
        TokenConfig::default(),
        [ok()],
    );
    h.authorize_uri("https://my-resource.cognitiveservices.azure.com/tts/cognitiveservices/v1")
        .unwrap();
    assert!(
        h.server.requests[0].1.uri()
            == "https://my-resource.cognitiveservices.azure.com/sts/v1.0/issueToken"
    );
    assert!(h
        .authorize_uri("https://westus.tts.speech.microsoft.com/cognitiveservices/v1")
        .is_err());

    // Government: the token host differs in suffix from the speech hosts, yet they are one family.
    let mut h = Harness::with(
        Endpoint::us_government("usgovvirginia").unwrap(),
        TokenConfig::default(),
        [ok()],
    );
    h.authorize_uri("https://usgovvirginia.stt.speech.azure.us/x")
        .unwrap();
    assert_eq!(
        h.server.requests[0].1.uri(),
        "https://usgovvirginia.api.cognitive.microsoft.us/sts/v1.0/issueToken"
    );
    assert!(h
        .authorize_uri("https://usgovvirginia.stt.speech.azure.us/x")
        .unwrap()
        .is_some());
}

#[test]
fn stray_answers_are_misuse() {
    let mut h = Harness::new([]);
    let err = h
        .auth
        .handle_token_response(
            h.now,
            WALL0,
            StatusCode::OK,
            &HeaderMap::new(),
            b"a.b.c",
            0.0,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Misuse(Misuse::InvalidState(_))));
    assert!(matches!(
        h.auth.handle_fetch_failed(h.now, 0.0),
        Err(Error::Misuse(Misuse::InvalidState(_)))
    ));
    // A queued fetch that was not yet handed out is not in flight either.
    h.auth.handle_demand(h.now);
    assert!(h.auth.handle_fetch_failed(h.now, 0.0).is_err());
    assert!(h.auth.poll_action().is_some());
    assert!(h.auth.poll_action().is_none());
    assert!(h.auth.handle_fetch_failed(h.now, 0.0).is_ok());
}

#[test]
fn authorize_parts_and_sensitive_header() {
    let mut h = Harness::new([ok()]);
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.uri = STT.parse().unwrap();
    assert_eq!(
        h.auth.authorize_parts(h.now, &mut parts).unwrap(),
        Authorize::Pending
    );
    h.step();
    assert!(matches!(
        h.auth.authorize_parts(h.now, &mut parts).unwrap(),
        Authorize::Ready(_)
    ));
    assert!(parts.headers["authorization"].is_sensitive());
    assert!(parts.headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with("Bearer "));
    assert!(
        !format!("{:?}", h.auth).contains("eyJ"),
        "Debug of the machine hides tokens"
    );
}

#[test]
fn custom_config_lifetime() {
    let mut config = TokenConfig::default();
    config.reuse_for = secs(50);
    config.lifetime = secs(60);
    let mut h = Harness::with(
        Endpoint::region("westus").unwrap(),
        config,
        [Reply::Token { exp_in: None }],
    );
    h.authorize().unwrap();
    h.authorize().unwrap().unwrap();
    assert_eq!(h.auth.poll_timeout(), Some(h.at(secs(50))));
    assert_eq!(h.auth.token_expires_at(), Some(h.at(secs(60))));
}

#[test]
fn far_future_instants_do_not_overflow() {
    // Find an instant near the end of what Instant can represent.
    let mut far = Instant::now();
    let mut step = Duration::from_secs(u64::MAX / 2);
    while step > Duration::from_secs(1) {
        if let Some(t) = far.checked_add(step) {
            far = t;
        } else {
            step /= 2;
        }
    }
    let key = SubscriptionKey::new("k").unwrap();
    let mut m = TokenMachine::new(&Endpoint::region("westus").unwrap(), key).unwrap();
    let mut req = Request::new(());
    *req.uri_mut() = STT.parse().unwrap();
    assert_eq!(m.authorize(far, &mut req).unwrap(), Authorize::Pending);
    assert!(m.poll_action().is_some());
    m.handle_fetch_failed(far, 0.3).unwrap();
    m.handle_timeout(far);
    let _ = m.poll_timeout();
    assert!(m.authorize(far, &mut req).is_err());
    // Back to a normal instant: time going backwards is tolerated too.
    let near = Instant::now();
    m.handle_timeout(near);
    let _ = m.authorize(near, &mut req);
}

#[test]
fn static_auth_never_fetches() {
    let ep = Endpoint::region("westus").unwrap();
    let now = Instant::now();
    let mut auth = Auth::new(&ep, Credential::key("k").unwrap(), AuthMode::Key).unwrap();
    let mut req = Request::new(());
    *req.uri_mut() = ep.voices_list_uri().unwrap();
    assert_eq!(
        auth.authorize(now, &mut req).unwrap(),
        Authorize::Ready(TokenId::STATIC)
    );
    assert_eq!(req.headers()["ocp-apim-subscription-key"], "k");
    assert!(auth.poll_action().is_none());
    assert!(auth.poll_timeout().is_none());
    assert!(!auth.invalidate(now));
    assert!(auth.handle_fetch_failed(now, 0.0).is_err());
    assert!(auth.token_machine().is_none());

    // Entra and caller tokens are sent as they are, whatever the mode.
    for mode in [AuthMode::Key, AuthMode::Token] {
        let cred = Credential::entra(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a",
            "entra-tok",
        )
        .unwrap();
        let mut auth = Auth::new(&ep, cred, mode).unwrap();
        let mut req = Request::new(());
        auth.authorize(now, &mut req).unwrap();
        assert_eq!(
            req.headers()["authorization"],
            "Bearer aad#/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a#entra-tok"
        );
        assert!(auth.poll_action().is_none());
    }
}

#[test]
fn auth_with_token_mode_drives_like_the_machine() {
    let ep = Endpoint::region("westus").unwrap();
    let t0 = Instant::now();
    let mut auth = Auth::new(&ep, Credential::key("k").unwrap(), AuthMode::Token).unwrap();
    let mut req = Request::new(());
    *req.uri_mut() = STT.parse().unwrap();
    assert_eq!(auth.authorize(t0, &mut req).unwrap(), Authorize::Pending);
    let Some(AuthAction::FetchToken(fetch)) = auth.poll_action() else {
        panic!()
    };
    assert_eq!(fetch.headers()["ocp-apim-subscription-key"], "k");
    let mut server = FakeServer::new([]);
    let jwt = server.jwt(t0, WALL0, Some(600));
    auth.handle_token_response(
        t0,
        WALL0,
        StatusCode::OK,
        &HeaderMap::new(),
        jwt.as_bytes(),
        0.0,
    )
    .unwrap();
    assert!(matches!(
        auth.authorize(t0, &mut req).unwrap(),
        Authorize::Ready(_)
    ));
    assert_eq!(
        req.headers()["authorization"],
        format!("Bearer {jwt}").as_str()
    );
    assert!(
        req.headers().get("ocp-apim-subscription-key").is_none(),
        "the key stays off the speech host"
    );
    assert_eq!(auth.timeout_in(t0), Some(secs(9 * MIN)));
    assert!(auth.invalidate(t0));
    assert!(auth.poll_action().is_some());
}

// ---------------------------------------------------------------------------------------------------------------
// Random operation sequences

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    AnswerOk(Option<i64>),
    AnswerStatus(u16, Option<&'static str>),
    TransportFail(f64),
    Invalidate,
    Demand,
    Authorize,
    Timeout,
    Poll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..700_000).prop_map(Op::Advance),
        2 => proptest::option::of(-100i64..1200).prop_map(Op::AnswerOk),
        1 => (prop::sample::select(vec![400u16, 401, 403, 408, 429, 500, 503]),
              proptest::option::of(prop::sample::select(vec!["0", "5", "120", "Sun, 06 Nov 1994 08:49:37 GMT", "junk"])))
            .prop_map(|(s, ra)| Op::AnswerStatus(s, ra)),
        1 => (0.0f64..1.0).prop_map(Op::TransportFail),
        1 => Just(Op::Invalidate),
        1 => Just(Op::Demand),
        3 => Just(Op::Authorize),
        2 => Just(Op::Timeout),
        2 => Just(Op::Poll),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_for_any_sequence(ops in proptest::collection::vec(op(), 1..80)) {
        let mut h = Harness::new([]);
        h.hold = true;
        for op in ops {
            let before = h.auth.poll_timeout();
            let mut input = true;
            match op {
                Op::Advance(ms) => {
                    h.now += Duration::from_millis(ms);
                    input = false; // time passing alone is not an input
                }
                Op::AnswerOk(exp_in) => {
                    if h.pending.is_some() {
                        h.server.script.push_back(Reply::Token { exp_in });
                        h.answer();
                    }
                }
                Op::AnswerStatus(code, ra) => {
                    if h.pending.is_some() {
                        h.server.script.push_back(Reply::Status(code, "{\"Message\":\"x\"}", ra));
                        h.answer();
                    }
                }
                Op::TransportFail(j) => {
                    if h.pending.is_some() {
                        h.jitter = j;
                        h.server.script.push_back(Reply::Transport);
                        h.answer();
                    } else {
                        prop_assert!(h.auth.handle_fetch_failed(h.now, j).is_err());
                    }
                }
                Op::Invalidate => {
                    h.auth.invalidate(h.now);
                    h.step();
                }
                Op::Demand => {
                    h.auth.handle_demand(h.now);
                    h.step();
                }
                Op::Authorize => {
                    // check_served asserts the expiry invariant on every served token.
                    match h.authorize() {
                        Ok(_) => {}
                        Err(Error::TokenUnavailable { retry_in, .. }) => {
                            prop_assert!(h.pending.is_none(), "unavailable while a fetch is in flight");
                            prop_assert!(retry_in.is_some());
                        }
                        Err(e) => prop_assert!(false, "unexpected error {:?}", e),
                    }
                }
                Op::Timeout => {
                    if let Some(t) = h.auth.poll_timeout() {
                        if t > h.now {
                            h.now = t;
                        }
                    }
                    h.auth.handle_timeout(h.now);
                    h.step();
                }
                Op::Poll => {
                    // Pure outputs: draining again and asking for the deadline change nothing.
                    h.step();
                    let again = h.auth.poll_timeout();
                    prop_assert_eq!(again, h.auth.poll_timeout());
                    input = false;
                }
            }
            let after = h.auth.poll_timeout();
            if !input {
                prop_assert_eq!(before, after, "poll_timeout moved without an input");
            }
            // At most one fetch in flight: the harness asserts in step(); the machine agrees.
            prop_assert_eq!(h.auth.is_fetching(), h.pending.is_some());
            // A peeked token is never expired.
            if let Some(t) = h.auth.peek_token(h.now) {
                h.check_served(t.expose_secret());
            }
            // handle_timeout before the deadline does not move it earlier.
            if let Some(deadline) = h.auth.poll_timeout() {
                if deadline > h.now {
                    h.auth.handle_timeout(h.now);
                    prop_assert_eq!(h.auth.poll_timeout(), Some(deadline));
                    prop_assert!(h.auth.poll_action().is_none());
                }
            }
        }
    }
}
