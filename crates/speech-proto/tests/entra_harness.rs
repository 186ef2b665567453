//! The Microsoft Entra token lifecycle of [`TokenMachine::entra`], driven in virtual time: a scripted token
//! source answers each [`AuthAction::FetchEntraToken`], and time only moves when the test says so. Then a
//! property test holds the machine's invariants over any sequence of demands, answers, failures, 401s and time.

use std::time::{Duration, Instant};

use http::header::AUTHORIZATION;
use http::Request;
use proptest::prelude::*;
use speech_proto::auth::{AuthAction, Authorize, TokenConfig, TokenMachine, ENTRA_SCOPE};
use speech_proto::{Endpoint, Error};

const RESOURCE: &str =
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a";

/// A machine, the virtual clock (monotonic and wall), and a request to the endpoint's speech host.
struct Harness {
    machine: TokenMachine,
    start: Instant,
    now: Instant,
    /// The wall clock at `start`, in seconds.
    wall0: u64,
    /// Tokens handed to the machine: (text, expiry in wall seconds).
    issued: Vec<(String, u64)>,
    /// A fetch was handed out and not answered.
    in_flight: bool,
}

impl Harness {
    fn new(resource: Option<&str>) -> Harness {
        let endpoint = Endpoint::custom_domain("my-speech").expect("endpoint");
        let start = Instant::now();
        Harness {
            machine: TokenMachine::entra(&endpoint, resource, TokenConfig::default())
                .expect("a machine"),
            start,
            now: start,
            wall0: 1_700_000_000,
            issued: Vec::new(),
            in_flight: false,
        }
    }

    fn wall(&self) -> u64 {
        self.wall0 + (self.now - self.start).as_secs()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.machine.handle_timeout(self.now);
    }

    /// Authorize a request; the header it got, or `None` while pending.
    fn authorize(&mut self) -> Result<Option<String>, Error> {
        let mut request = Request::post("https://my-speech.cognitiveservices.azure.com/stt/x")
            .body(())
            .expect("request");
        match self.machine.authorize(self.now, &mut request)? {
            Authorize::Ready(_) => Ok(Some(
                request.headers()[AUTHORIZATION]
                    .to_str()
                    .expect("ascii")
                    .to_owned(),
            )),
            Authorize::Pending => Ok(None),
        }
    }

    /// Take the fetch the machine hands out, if any.
    fn take_fetch(&mut self) -> bool {
        match self.machine.poll_action() {
            Some(AuthAction::FetchEntraToken { scope }) => {
                assert_eq!(scope, ENTRA_SCOPE);
                assert!(!self.in_flight, "a second fetch while one is in flight");
                self.in_flight = true;
                true
            }
            Some(other) => panic!("unexpected action {other:?}"),
            None => false,
        }
    }

    /// Answer the fetch in flight with a token that lives `lifetime` from now.
    fn give(&mut self, lifetime: Duration) {
        assert!(self.in_flight);
        let token = format!("entra-token-{}", self.issued.len() + 1);
        let exp = self.wall() + lifetime.as_secs();
        self.machine
            .handle_entra_token(self.now, self.wall(), &token, exp, 0.0)
            .expect("in flight");
        self.issued.push((token, exp));
        self.in_flight = false;
    }

    fn refuse(&mut self) {
        assert!(self.in_flight);
        self.machine
            .handle_entra_failure(
                self.now,
                0.0,
                "ManagedIdentityCredential: no identity endpoint",
            )
            .expect("in flight");
        self.in_flight = false;
    }
}

#[test]
fn tokens_are_fetched_on_demand_refreshed_ahead_and_never_served_expired() {
    let mut h = Harness::new(Some(RESOURCE));
    // No token yet: pending, and one fetch however many ask.
    assert_eq!(h.authorize().unwrap(), None);
    assert_eq!(h.authorize().unwrap(), None);
    assert!(h.take_fetch());
    assert!(!h.take_fetch());
    h.give(Duration::from_secs(3_600));
    let first = h.authorize().unwrap().expect("a token");
    assert_eq!(first, format!("Bearer aad#{RESOURCE}#entra-token-1"));

    // Served as it is until 5 minutes before its expiry; then one refresh, the old token still served.
    h.advance(Duration::from_secs(3_600 - 301));
    assert_eq!(h.authorize().unwrap().as_deref(), Some(first.as_str()));
    assert!(!h.take_fetch());
    h.advance(Duration::from_secs(2));
    assert_eq!(h.authorize().unwrap().as_deref(), Some(first.as_str()));
    assert!(h.take_fetch());
    assert_eq!(h.authorize().unwrap().as_deref(), Some(first.as_str()));

    // The source fails: backoff (1 s, 2 s, …), the old token served meanwhile.
    h.refuse();
    assert_eq!(h.authorize().unwrap().as_deref(), Some(first.as_str()));
    assert!(!h.take_fetch());
    h.advance(Duration::from_millis(999));
    assert!(!h.take_fetch());
    h.advance(Duration::from_millis(1));
    assert!(h.take_fetch());
    h.refuse();
    h.advance(Duration::from_millis(1_999));
    assert!(!h.take_fetch());
    h.advance(Duration::from_millis(1));
    assert!(h.take_fetch());
    h.give(Duration::from_secs(3_600));
    let second = h.authorize().unwrap().expect("the new token");
    assert_eq!(second, format!("Bearer aad#{RESOURCE}#entra-token-2"));

    // A 401 drops it and fetches once.
    let mut request = Request::post("https://my-speech.cognitiveservices.azure.com/stt/x")
        .body(())
        .unwrap();
    let Authorize::Ready(id) = h.machine.authorize(h.now, &mut request).unwrap() else {
        panic!("a token")
    };
    h.machine.invalidate_token(h.now, id);
    h.machine.invalidate_token(h.now, id);
    assert!(h.take_fetch());
    assert!(!h.take_fetch());
    assert_eq!(
        h.authorize().unwrap(),
        None,
        "the refused token is not served"
    );
    h.give(Duration::from_secs(3_600));

    // Left alone past its expiry, a token is never served; the failure is reported with its message.
    h.advance(Duration::from_secs(3_600));
    assert_eq!(h.authorize().unwrap(), None);
    assert!(h.take_fetch());
    h.refuse();
    let e = h.authorize().unwrap_err();
    assert!(
        e.to_string().contains("no identity endpoint"),
        "the source's words: {e}"
    );
}

#[test]
fn short_lived_tokens_refresh_half_way_and_plain_bearers_have_no_resource() {
    let mut h = Harness::new(None);
    assert_eq!(h.authorize().unwrap(), None);
    assert!(h.take_fetch());
    h.give(Duration::from_secs(20));
    assert_eq!(
        h.authorize().unwrap().as_deref(),
        Some("Bearer entra-token-1")
    );
    // A 20-second token: refreshed at 10 s, not 5 minutes early (which would be a fetch loop).
    h.advance(Duration::from_secs(9));
    h.authorize().unwrap();
    assert!(!h.take_fetch());
    h.advance(Duration::from_secs(1));
    h.authorize().unwrap();
    assert!(h.take_fetch());
    // Never served in its last second.
    h.advance(Duration::from_secs(9));
    assert_eq!(h.authorize().unwrap(), None);
}

#[test]
fn what_the_machine_refuses() {
    let endpoint = Endpoint::custom_domain("my-speech").unwrap();
    assert!(TokenMachine::entra(&endpoint, Some(""), TokenConfig::default()).is_err());
    assert!(TokenMachine::entra(&endpoint, Some("a#b"), TokenConfig::default()).is_err());
    let mut h = Harness::new(Some(RESOURCE));
    // Answers without a fetch in flight are misuse.
    assert!(h
        .machine
        .handle_entra_token(h.now, h.wall(), "t", h.wall() + 60, 0.0)
        .is_err());
    assert!(h.machine.handle_entra_failure(h.now, 0.0, "x").is_err());
    // A token with a line break is the source's failure, not a header.
    h.authorize().unwrap();
    assert!(h.take_fetch());
    h.machine
        .handle_entra_token(h.now, h.wall(), "bad\r\ntoken", h.wall() + 60, 0.0)
        .unwrap();
    h.in_flight = false;
    assert!(h.authorize().is_err());
    // Another host is refused outright.
    let mut other = Request::get("https://westus.stt.speech.microsoft.com/x")
        .body(())
        .unwrap();
    assert!(h.machine.authorize(h.now, &mut other).is_err());
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    Authorize,
    Give(u64),
    Refuse,
    Invalidate,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..200_000).prop_map(Op::Advance),
        Just(Op::Authorize),
        (1u64..7_200).prop_map(Op::Give),
        Just(Op::Refuse),
        Just(Op::Invalidate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever happens: at most one fetch at a time; a token served is one the source gave, in the `aad#`
    /// form, and never at or after its expiry; a wanted token is fetched (no demand is dropped).
    #[test]
    fn invariants_hold_for_any_sequence(ops in proptest::collection::vec(op(), 1..80)) {
        let mut h = Harness::new(Some(RESOURCE));
        for op in ops {
            match op {
                Op::Advance(ms) => h.advance(Duration::from_millis(ms)),
                Op::Authorize => match h.authorize() {
                    Ok(Some(header)) => {
                        let token = header
                            .strip_prefix(&format!("Bearer aad#{RESOURCE}#"))
                            .expect("the aad# form");
                        let (_, exp) = h
                            .issued
                            .iter()
                            .find(|(t, _)| t == token)
                            .expect("a token the source gave");
                        prop_assert!(h.wall() < *exp, "served at or after its expiry");
                    }
                    Ok(None) => {
                        // Pending: a fetch is queued or in flight.
                        prop_assert!(h.in_flight || h.take_fetch() || h.machine.is_fetching());
                    }
                    Err(Error::TokenUnavailable { .. }) => {}
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                },
                Op::Give(secs) => {
                    if h.in_flight || h.take_fetch() {
                        h.give(Duration::from_secs(secs));
                    }
                }
                Op::Refuse => {
                    if h.in_flight || h.take_fetch() {
                        h.refuse();
                    }
                }
                Op::Invalidate => h.machine.invalidate(h.now),
            }
            // At most one fetch: a second poll hands out nothing while one is in flight.
            if h.in_flight {
                prop_assert!(h.machine.poll_action().is_none());
            }
        }
    }
}
