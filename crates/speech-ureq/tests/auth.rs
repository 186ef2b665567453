//! Credentials and the shared token: one fetch for many threads, refresh before expiry, refetch after a 401,
//! wrong keys, bearer and Entra credentials.

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use speech_ureq::speech_proto::{Credential, Endpoint, Error as ProtoError};
use speech_ureq::{AuthMode, Client, Error, ErrorKind};

const VOICES_PATH: &str = "/cognitiveservices/voices/list";

#[test]
fn thirty_two_threads_share_one_token_fetch() {
    let emu = emulator();
    let client = client(&emu);
    let start = Arc::new(Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                client.voices().map(|v| v.len())
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().unwrap() > 0);
    }
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 1);
    let voices = seen(&emu, VOICES_PATH);
    assert_eq!(voices.len(), 32);
    assert!(voices
        .iter()
        .all(|r| r.status == Some(200) && r.header("authorization") == Some("Bearer ***")));
}

#[test]
fn the_token_is_refreshed_before_it_expires() {
    let emu = emulator_builder()
        .token_lifetime(Duration::from_secs(4))
        .start_blocking()
        .unwrap();
    let client = client(&emu);
    let began = Instant::now();
    let mut calls = 0;
    // Keep working across two token lifetimes.
    while began.elapsed() < Duration::from_secs(9) {
        client.voices().unwrap();
        calls += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(calls >= 20);
    let fetches = client.token_fetches();
    assert!(fetches >= 3, "{fetches} fetches over 9 s of 4 s tokens");
    assert_eq!(seen(&emu, TOKEN_PATH).len() as u64, fetches);
    // Refreshed in time: the service never saw an expired token.
    let refused: Vec<_> = seen(&emu, VOICES_PATH)
        .into_iter()
        .filter(|r| r.status != Some(200))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn a_rejected_token_is_dropped_and_refetched_once() {
    // A clock that stands still: the client believes its 2-second token is fresh, the emulator (on real time)
    // says it expired. The 401 makes the client drop it, fetch a new one and resend.
    let emu = emulator_builder()
        .token_lifetime(Duration::from_secs(2))
        .start_blocking()
        .unwrap();
    let frozen = Instant::now();
    let client = client_builder(&emu)
        .no_retry()
        .clock(Arc::new(move || frozen))
        .build()
        .unwrap();
    client.voices().unwrap();
    std::thread::sleep(Duration::from_millis(3100));
    client.voices().unwrap();
    assert_eq!(client.token_fetches(), 2);
    let statuses: Vec<_> = emu
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    let expect = |p: &str, s: u16| (p.to_owned(), Some(s));
    assert_eq!(
        statuses,
        vec![
            expect(TOKEN_PATH, 200),
            expect(VOICES_PATH, 200),
            expect(VOICES_PATH, 401),
            expect(TOKEN_PATH, 200),
            expect(VOICES_PATH, 200),
        ]
    );
}

#[test]
fn a_wrong_key_is_reported_from_the_token_service_at_once() {
    let emu = emulator();
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).unwrap(),
        Credential::key("wrong-key").unwrap(),
    )
    .proxy_from_env(false)
    .retry(quick_retry(4))
    .build()
    .unwrap();
    let err = client.voices().unwrap_err();
    assert!(
        matches!(err, Error::Proto(ProtoError::TokenUnavailable { .. })),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(err.hint().is_some());
    let text = err.to_string();
    assert!(text.contains("Access denied"), "{text}");
    assert!(!text.contains("wrong-key"));
    // Not retried: a refused key needs a fix, not patience.
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 1);
    assert!(seen(&emu, VOICES_PATH).is_empty());
    assert!(matches!(
        client.token(),
        Err(Error::Proto(ProtoError::TokenUnavailable { .. }))
    ));
}

#[test]
fn a_wrong_key_sent_as_is_gets_401_from_the_speech_host() {
    let emu = emulator();
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).unwrap(),
        Credential::key("wrong-key").unwrap(),
    )
    .auth_mode(AuthMode::Key)
    .proxy_from_env(false)
    .build()
    .unwrap();
    let err = client.voices().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_retryable());
    assert_eq!(
        seen(&emu, VOICES_PATH).len(),
        1,
        "a static key is not retried"
    );
}

#[test]
fn token_follows_the_auth_mode() {
    let emu = emulator();
    let client = client(&emu);
    let token = client.token().unwrap();
    assert!(token.expires_at_unix().is_some());
    assert_eq!(format!("{token:?}"), "Token(***)");
    client.voices().unwrap();
    assert_eq!(client.token().unwrap(), token, "the shared token is reused");
    assert_eq!(client.token_fetches(), 1);

    let keyed = key_client(&emu);
    keyed.token().unwrap();
    keyed.token().unwrap();
    assert_eq!(
        keyed.token_fetches(),
        2,
        "AuthMode::Key fetches a fresh one each time"
    );

    let bearer = Client::builder(
        Endpoint::base_url(emu.base_url()).unwrap(),
        Credential::token(token.expose_secret()).unwrap(),
    )
    .proxy_from_env(false)
    .build()
    .unwrap();
    assert!(!bearer.voices().unwrap().is_empty());
    let err = bearer.token().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Usage);
    assert_eq!(bearer.token_fetches(), 0);
}

#[test]
fn entra_credentials_are_sent_as_they_are() {
    let resource =
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a";
    let emu = emulator_builder()
        .entra_resource_id(resource)
        .start_blocking()
        .unwrap();
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).unwrap(),
        Credential::entra(resource, "entra-access-token").unwrap(),
    )
    .proxy_from_env(false)
    .build()
    .unwrap();
    assert!(!client.voices().unwrap().is_empty());
    assert_eq!(client.token_fetches(), 0);
    let dbg = format!("{client:?}");
    assert!(
        !dbg.contains("entra-access-token") && dbg.contains("Entra"),
        "{dbg}"
    );

    let other = Client::builder(
        Endpoint::base_url(emu.base_url()).unwrap(),
        Credential::entra("/subscriptions/other", "entra-access-token").unwrap(),
    )
    .proxy_from_env(false)
    .build()
    .unwrap();
    assert_eq!(other.voices().unwrap_err().kind(), ErrorKind::Auth);
}

#[test]
fn clones_share_the_token_and_the_count() {
    let emu = emulator();
    let a = client(&emu);
    let b = a.clone();
    a.voices().unwrap();
    b.voices().unwrap();
    assert_eq!(a.token_fetches(), 1);
    assert_eq!(b.token_fetches(), 1);
    // A separate client has its own token.
    let c = client(&emu);
    c.voices().unwrap();
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 2);
}

#[test]
fn a_token_service_whose_name_does_not_resolve_is_named_in_the_error() {
    // `.invalid` never resolves (RFC 6761).
    let endpoint = Endpoint::base_url("http://speech-test.invalid:5000")
        .unwrap()
        .allow_insecure_http(true);
    let client = Client::builder(endpoint, Credential::key(KEY).unwrap())
        .proxy_from_env(false)
        .build()
        .unwrap();
    let err = client.voices().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("DNS lookup of speech-test.invalid failed"),
        "{text}"
    );
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        client.token_fetches(),
        1,
        "a name that does not resolve is not retried"
    );
}
