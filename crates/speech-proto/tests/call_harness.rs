//! A deterministic virtual-time harness for the call machine: a scripted service answers every
//! `Output::Send` (token fetches included, which run as calls of their own), `Output::Wait` jumps virtual time,
//! and a transcript records what the driver was asked to do. Every `now` comes from the harness.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use proptest::prelude::*;
use speech_proto::call::{AuthStep, BodyPlan, Call, Fault, Moment, Output};
use speech_proto::recognize::{Recognition, RecognitionRequest};
use speech_proto::retry::RetryPolicy;
use speech_proto::{
    Auth, AuthAction, AuthMode, Credential, Endpoint, Error, NoAnswer, TransportFailure,
};

const WALL0: u64 = 1_700_000_000;
const OK_BODY: &[u8] =
    br#"{"RecognitionStatus":"Success","DisplayText":"Hi.","Offset":0,"Duration":1000000}"#;

/// One scripted answer of the service to a speech-to-text attempt.
#[derive(Clone, Debug)]
enum Reply {
    /// A status, a `Retry-After` value, and how many body bytes the driver had taken when the head arrived.
    Status(u16, Option<&'static str>, u64),
    /// No answer, after the driver had taken this many body bytes.
    Transport(TransportFailure, u64),
}

/// What the driver did, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    /// A token fetch was sent.
    Fetch,
    /// A recognition attempt was sent, with this token (0 for the key) at this virtual second.
    Send { token: u32, at: u64 },
    /// The driver slept this long.
    Wait(Duration),
}

struct Harness {
    t0: Instant,
    now: Instant,
    auth: Auth,
    tokens_issued: u32,
    /// Token fetches fail while this is above 0 (counting down).
    token_outage: u32,
    script: VecDeque<Reply>,
    events: Vec<Event>,
}

fn jwt(n: u32) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.sig",
        b64(r#"{"alg":"ES256","typ":"JWT"}"#),
        b64(&format!(r#"{{"n":{n},"region":"westus"}}"#))
    )
}

fn endpoint() -> Endpoint {
    Endpoint::region("westus").unwrap()
}

impl Harness {
    fn new(mode: AuthMode, script: impl IntoIterator<Item = Reply>) -> Self {
        let t0 = Instant::now();
        Harness {
            t0,
            now: t0,
            auth: Auth::new(&endpoint(), Credential::key("k").unwrap(), mode).unwrap(),
            tokens_issued: 0,
            token_outage: 0,
            script: script.into_iter().collect(),
            events: Vec::new(),
        }
    }

    fn at(&self) -> Moment {
        let secs = (self.now - self.t0).as_secs();
        Moment::new(self.now, WALL0 + secs, 0.0)
    }

    fn secs(&self) -> u64 {
        (self.now - self.t0).as_secs()
    }

    /// Perform a token fetch as a driver does: a call of its own, reported to the Auth.
    fn fetch(&mut self, head: Request<()>) {
        self.events.push(Event::Fetch);
        let uri = head.uri().clone();
        let mut call = Call::token_fetch(head);
        let at = self.at();
        loop {
            match call.poll_output() {
                Some(Output::Send(_)) if self.token_outage > 0 => {
                    self.token_outage -= 1;
                    call.handle_transport_failed(at, TransportFailure::Connect, 0);
                }
                Some(Output::Send(_)) => call.handle_head(at, StatusCode::OK, &HeaderMap::new(), 0),
                Some(Output::ReadBody { .. }) => {
                    self.tokens_issued += 1;
                    call.handle_body(at, jwt(self.tokens_issued).as_bytes());
                }
                Some(Output::Done(answer)) => {
                    answer.report(at, &mut self.auth).unwrap();
                    return;
                }
                Some(Output::Failed(Fault::Transport(failure))) => {
                    let cause = NoAnswer::new(failure, &uri, "connection refused");
                    self.auth
                        .handle_fetch_error(at.now, at.jitter, cause)
                        .unwrap();
                    return;
                }
                other => panic!("token fetch: unexpected {other:?}"),
            }
        }
    }

    /// Drive `call` to its end, answering from the script. Returns the end.
    fn drive<T>(&mut self, mut call: Call<T>) -> Result<T, Fault> {
        let mut status = StatusCode::OK;
        for _ in 0..1000 {
            let Some(output) = call.poll_output() else {
                panic!("the call stopped without an end");
            };
            match output {
                Output::Authorize => loop {
                    let step = call.handle_authorize(self.at(), &mut self.auth);
                    match self.auth.poll_action() {
                        Some(AuthAction::FetchToken(head)) => self.fetch(head),
                        _ if step == AuthStep::Done => break,
                        _ => {
                            // A fetch failed and the machine backs off: a driver waits for its timeout.
                            let until =
                                self.auth.poll_timeout().expect("pending without a timeout");
                            self.now = self.now.max(until);
                            self.auth.handle_timeout(self.now);
                        }
                    }
                },
                Output::Send(head) => {
                    let token = head
                        .headers()
                        .get("authorization")
                        .map(|v| {
                            let v = v.to_str().unwrap();
                            (1..=self.tokens_issued)
                                .find(|n| v.ends_with(&jwt(*n)))
                                .expect("a token the server issued")
                        })
                        .unwrap_or(0);
                    self.events.push(Event::Send {
                        token,
                        at: self.secs(),
                    });
                    let reply = self
                        .script
                        .pop_front()
                        .unwrap_or(Reply::Status(200, None, 0));
                    match reply {
                        Reply::Status(code, ra, taken) => {
                            status = StatusCode::from_u16(code).unwrap();
                            let mut headers = HeaderMap::new();
                            if let Some(ra) = ra {
                                headers.insert("retry-after", HeaderValue::from_static(ra));
                            }
                            call.handle_head(self.at(), status, &headers, taken);
                        }
                        Reply::Transport(failure, taken) => {
                            call.handle_transport_failed(self.at(), failure, taken)
                        }
                    }
                }
                Output::ReadBody { limit } => {
                    assert!(limit > 1);
                    let body: &[u8] = if status.is_success() { OK_BODY } else { b"" };
                    call.handle_body(self.at(), body);
                }
                Output::Wait(until) => {
                    self.events.push(Event::Wait(until - self.now));
                    assert_eq!(call.poll_timeout(), Some(until));
                    if until > self.now {
                        // An early timeout hands the same wait out again.
                        call.handle_timeout(self.at());
                        assert!(matches!(call.poll_output(), Some(Output::Wait(u)) if u == until));
                    }
                    self.now = until;
                    call.handle_timeout(self.at());
                }
                Output::Done(value) => return Ok(value),
                Output::Stream => panic!("recognition does not stream"),
                Output::Failed(fault) => return Err(fault),
            }
        }
        panic!("the call did not end in 1000 steps")
    }
}

fn recognition(body: BodyPlan, policy: RetryPolicy) -> Call<Recognition> {
    let head = RecognitionRequest::new("en-US").build(&endpoint()).unwrap();
    Call::recognition(head, body, policy)
}

fn sends(events: &[Event]) -> Vec<(u32, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Send { token, at } => Some((*token, *at)),
            _ => None,
        })
        .collect()
}

fn status_of(fault: &Fault) -> Option<u16> {
    match fault {
        Fault::Error(e) => e.status().map(|s| s.as_u16()),
        Fault::Transport(_) => None,
    }
}

#[test]
fn unauthorized_refetches_once_and_resends() {
    let mut h = Harness::new(AuthMode::Token, [Reply::Status(401, None, 10)]);
    let result = h.drive(recognition(BodyPlan::Replayable, RetryPolicy::none()));
    assert_eq!(result.unwrap().display_text.as_deref(), Some("Hi."));
    assert_eq!(
        h.events,
        [
            Event::Fetch,
            Event::Send { token: 1, at: 0 },
            Event::Fetch,
            Event::Send { token: 2, at: 0 },
        ]
    );
}

#[test]
fn a_refresh_performed_before_sending_puts_the_fresh_token_on_the_request() {
    let mut h = Harness::new(AuthMode::Token, []);
    assert!(h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .is_ok());
    // Past the 9-minute refresh point, before the 10-minute expiry: the old token is still valid, and a
    // refresh is handed out with it. The driver performs it first; the request then carries the new token.
    h.now += Duration::from_secs(9 * 60 + 30);
    assert!(h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .is_ok());
    assert_eq!(
        h.events,
        [
            Event::Fetch,
            Event::Send { token: 1, at: 0 },
            Event::Fetch,
            Event::Send { token: 2, at: 570 },
        ]
    );
}

#[test]
fn a_second_unauthorized_is_final_and_a_static_key_is_not_refetched() {
    let mut h = Harness::new(
        AuthMode::Token,
        [Reply::Status(401, None, 0), Reply::Status(401, None, 0)],
    );
    let fault = h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .unwrap_err();
    assert_eq!(status_of(&fault), Some(401));
    assert_eq!(sends(&h.events), [(1, 0), (2, 0)]);

    let mut h = Harness::new(AuthMode::Key, [Reply::Status(401, None, 0)]);
    let fault = h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .unwrap_err();
    assert_eq!(status_of(&fault), Some(401));
    assert_eq!(h.events, [Event::Send { token: 0, at: 0 }]);
}

#[test]
fn unauthorized_on_a_partly_taken_stream_is_final() {
    let mut h = Harness::new(AuthMode::Token, [Reply::Status(401, None, 4096)]);
    let fault = h
        .drive(recognition(BodyPlan::Stream, RetryPolicy::default()))
        .unwrap_err();
    assert_eq!(status_of(&fault), Some(401));
    assert_eq!(sends(&h.events).len(), 1);
    // Answered before the body was read (Expect: 100-continue): the stream is still whole, so it is resent.
    let mut h = Harness::new(AuthMode::Token, [Reply::Status(401, None, 0)]);
    assert!(h
        .drive(recognition(BodyPlan::Stream, RetryPolicy::default()))
        .is_ok());
    assert_eq!(sends(&h.events), [(1, 0), (2, 0)]);
}

#[test]
fn throttling_waits_retry_after_in_seconds_and_as_an_http_date() {
    let mut h = Harness::new(AuthMode::Key, [Reply::Status(429, Some("3"), 0)]);
    assert!(h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .is_ok());
    assert_eq!(
        h.events,
        [
            Event::Send { token: 0, at: 0 },
            Event::Wait(Duration::from_secs(3)),
            Event::Send { token: 0, at: 3 },
        ]
    );
    // 1_700_000_005 as an HTTP date: 5 s after the harness's wall clock at t0.
    let mut h = Harness::new(
        AuthMode::Key,
        [Reply::Status(429, Some("Tue, 14 Nov 2023 22:13:25 GMT"), 0)],
    );
    assert!(h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .is_ok());
    assert_eq!(sends(&h.events), [(0, 0), (0, 5)]);
    // Longer than the policy waits for: the answer at once.
    let mut h = Harness::new(AuthMode::Key, [Reply::Status(429, Some("600"), 0)]);
    let fault = h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .unwrap_err();
    assert_eq!(status_of(&fault), Some(429));
    assert_eq!(sends(&h.events).len(), 1);
}

#[test]
fn server_errors_back_off_exponentially_until_attempts_run_out() {
    let mut h = Harness::new(
        AuthMode::Key,
        [500, 502, 503, 504].map(|s| Reply::Status(s, None, 0)),
    );
    let fault = h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .unwrap_err();
    assert_eq!(status_of(&fault), Some(504));
    let waits: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Wait(d) => Some(d.as_millis()),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [500, 1000, 2000]);
    assert_eq!(sends(&h.events).len(), 4, "the policy's 4 attempts");
}

#[test]
fn transport_failures_resend_what_can_be_resent() {
    let broken = |taken| Reply::Transport(TransportFailure::Broken, taken);
    // Replayable bytes: resent after the backoff, even after they were sent.
    let mut h = Harness::new(AuthMode::Key, [broken(4096)]);
    assert!(h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .is_ok());
    assert_eq!(sends(&h.events).len(), 2);
    // A stream nothing was taken from (the connection failed first): resent.
    let mut h = Harness::new(
        AuthMode::Key,
        [Reply::Transport(TransportFailure::Connect, 0)],
    );
    assert!(h
        .drive(recognition(BodyPlan::Stream, RetryPolicy::default()))
        .is_ok());
    assert_eq!(sends(&h.events).len(), 2);
    // A stream partly taken: gone, the failure is final.
    let mut h = Harness::new(AuthMode::Key, [broken(1)]);
    let fault = h
        .drive(recognition(BodyPlan::Stream, RetryPolicy::default()))
        .unwrap_err();
    assert!(matches!(fault, Fault::Transport(TransportFailure::Broken)));
    assert_eq!(sends(&h.events).len(), 1);
    // Something another attempt will not change (a name that does not resolve): final at once.
    let mut h = Harness::new(AuthMode::Key, [Reply::Transport(TransportFailure::Dns, 0)]);
    assert!(h
        .drive(recognition(BodyPlan::Replayable, RetryPolicy::default()))
        .is_err());
    assert_eq!(sends(&h.events).len(), 1);
}

#[test]
fn the_deadline_ends_the_waiting() {
    let mut h = Harness::new(
        AuthMode::Key,
        [503, 503, 503].map(|s| Reply::Status(s, None, 0)),
    );
    let deadline = h.t0 + Duration::from_millis(1200);
    let call = recognition(BodyPlan::Replayable, RetryPolicy::default()).deadline(Some(deadline));
    let fault = h.drive(call).unwrap_err();
    assert_eq!(status_of(&fault), Some(503));
    // 500 ms fits before the deadline; the next 1 s wait would end after it.
    assert_eq!(sends(&h.events).len(), 2);
    assert!(h.now <= deadline);
}

#[test]
fn a_token_fetch_that_gets_no_answer_says_why() {
    let mut h = Harness::new(AuthMode::Token, []);
    h.token_outage = 100;
    let fault = h
        .drive(recognition(
            BodyPlan::Replayable,
            RetryPolicy::default().max_retry_after(Duration::from_secs(600)),
        ))
        .unwrap_err();
    let Fault::Error(e) = fault else {
        panic!("{fault:?}")
    };
    assert!(matches!(e, Error::TokenUnavailable { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(
            "could not connect to westus.api.cognitive.microsoft.com: connection refused"
        ),
        "{text}"
    );
    assert!(e.hint().is_some());
    assert!(sends(&h.events).is_empty());
}

#[test]
fn the_current_token_is_served_and_refetched_after_an_outage() {
    let mut h = Harness::new(AuthMode::Token, []);
    h.token_outage = 1;
    let token = h
        .drive(Call::current_token(RetryPolicy::default()))
        .unwrap();
    assert!(token.expose_secret().ends_with(&jwt(1)));
    // The failed fetch is the machine's to back off from (1 s); the call waits for it, then asks again.
    assert_eq!(
        h.events,
        [
            Event::Fetch,
            Event::Wait(Duration::from_secs(1)),
            Event::Fetch
        ]
    );
    let mut h = Harness::new(AuthMode::Key, []);
    let fault = h
        .drive(Call::current_token(RetryPolicy::default()))
        .unwrap_err();
    assert!(matches!(fault, Fault::Error(Error::Misuse(_))), "{fault:?}");
}

fn reply() -> impl Strategy<Value = Reply> {
    let taken = prop_oneof![Just(0u64), 1u64..100_000];
    let status = prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(408),
        Just(429),
        Just(500),
        Just(503)
    ];
    let retry_after = prop_oneof![
        Just(None),
        Just(Some("0")),
        Just(Some("2")),
        Just(Some("90")),
        Just(Some("Tue, 14 Nov 2023 22:13:25 GMT"))
    ];
    let failure = prop_oneof![
        Just(TransportFailure::Connect),
        Just(TransportFailure::Broken),
        Just(TransportFailure::TimedOut),
        Just(TransportFailure::Permanent),
        Just(TransportFailure::Dns)
    ];
    prop_oneof![
        (status, retry_after, taken.clone()).prop_map(|(s, r, t)| Reply::Status(s, r, t)),
        (failure, taken).prop_map(|(f, t)| Reply::Transport(f, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any sequence of answers and failures: the attempts never exceed the cap (plus the one re-authorization),
    /// a partly taken stream is never sent again, and no wait ends after the deadline.
    #[test]
    fn retries_keep_their_promises(
        script in prop::collection::vec(reply(), 0..12),
        max_attempts in 1u32..6,
        plan in prop_oneof![Just(BodyPlan::Empty), Just(BodyPlan::Replayable), Just(BodyPlan::Stream)],
        token_mode in any::<bool>(),
        deadline_ms in prop_oneof![Just(None), (0u64..20_000).prop_map(Some)],
    ) {
        let mode = if token_mode { AuthMode::Token } else { AuthMode::Key };
        let mut h = Harness::new(mode, script.clone());
        let deadline = deadline_ms.map(|ms| h.t0 + Duration::from_millis(ms));
        let policy = RetryPolicy::default().max_attempts(max_attempts);
        let call = recognition(plan, policy).deadline(deadline);
        let _ = h.drive(call);
        let sent = sends(&h.events).len();
        prop_assert!(sent as u32 <= max_attempts + 1, "{sent} sends for {max_attempts} attempts");
        if let Some(deadline) = deadline {
            prop_assert!(h.now <= deadline, "waited past the deadline");
        }
        // After an attempt whose stream was partly taken, nothing more is sent.
        if plan == BodyPlan::Stream {
            let taken_at = script.iter().take(sent).position(|r| match r {
                Reply::Status(code, _, taken) => *code != 200 && *taken > 0,
                Reply::Transport(_, taken) => *taken > 0,
            });
            if let Some(i) = taken_at {
                prop_assert_eq!(sent, i + 1, "a partly taken stream was sent again");
            }
        }
    }
}

#[test]
fn the_wall_clock_follows_the_monotonic_clock_both_ways() {
    use speech_proto::call::WallClock;
    let t0 = Instant::now();
    let wall = WallClock::new(t0, Duration::from_millis(1_700_000_000_500));
    assert_eq!(wall.unix_secs(t0), 1_700_000_000);
    assert_eq!(wall.unix_secs(t0 + Duration::from_secs(90)), 1_700_000_090);
    if let Some(before) = t0.checked_sub(Duration::from_secs(5)) {
        assert_eq!(wall.unix_secs(before), 1_699_999_995);
    }
    let m = wall.moment(t0 + Duration::from_millis(600), 0.25);
    assert_eq!((m.unix_secs, m.jitter), (1_700_000_001, 0.25));
}
