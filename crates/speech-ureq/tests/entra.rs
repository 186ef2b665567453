//! Keyless authentication: a Microsoft Entra token source against the emulator's test issuer, whose tokens
//! expire. The client asks the source for a token when it needs one, renews it before it expires, and keeps
//! serving the old one meanwhile.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use speech_emulator::EmulatorHandle;
use speech_ureq::speech_proto::recognize::RecognitionRequest;
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::{Client, EntraAccessToken, EntraTokenSource, ErrorKind, TokenCommand};

const RESOURCE: &str =
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";

/// Tokens from the emulator's issuer, for `scope` (or another scope, to test a wrong one); the first
/// `fail_first` calls fail.
struct Issuer {
    emu: Arc<EmulatorHandle>,
    scope: Option<&'static str>,
    fail_first: u32,
    calls: AtomicU32,
}

impl EntraTokenSource for Issuer {
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.fail_first {
            return Err(format!("the identity endpoint is not reachable (call {})", n + 1).into());
        }
        let (token, expires_on) = self.emu.entra_token(self.scope.unwrap_or(scope));
        Ok(EntraAccessToken { token, expires_on })
    }
}

fn emulator_with_entra(lifetime: Duration) -> Arc<EmulatorHandle> {
    Arc::new(
        emulator_builder()
            .entra_resource_id(RESOURCE)
            .entra_token_lifetime(lifetime)
            .start_blocking()
            .expect("emulator"),
    )
}

fn entra_client(emu: &Arc<EmulatorHandle>, source: Issuer) -> Client {
    Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .proxy_from_env(false)
    .retry(quick_retry(4))
    .entra_token_source(source)
    .build()
    .expect("client")
}

/// Tokens living 20 s, 16 threads recognizing for 90 s: no request is refused, and the source is asked about
/// once per token lifetime (a refresh half-way through each).
#[test]
fn sixteen_threads_for_ninety_seconds_on_twenty_second_tokens() {
    let emu = emulator_with_entra(Duration::from_secs(20));
    let client = entra_client(
        &emu,
        Issuer {
            emu: emu.clone(),
            scope: None,
            fail_first: 0,
            calls: AtomicU32::new(0),
        },
    );
    let wav = speech_wav(300);
    let request = RecognitionRequest::new("en-US");
    let started = Instant::now();
    let run_for = Duration::from_secs(90);
    let done: u32 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0u32;
                    while started.elapsed() < run_for {
                        client
                            .recognize_bytes(&wav, &request)
                            .unwrap_or_else(|e| panic!("a request failed: {e}"));
                        n += 1;
                        std::thread::sleep(Duration::from_millis(250));
                    }
                    n
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a thread"))
            .sum()
    });
    let refused = emu
        .requests()
        .iter()
        .filter(|r| r.status == Some(401))
        .count();
    let fetches = client.token_fetches();
    println!("{done} requests in 90 s; {fetches} tokens fetched; {refused} refused");
    assert_eq!(refused, 0);
    assert!(done >= 16 * 90, "{done} requests");
    // 90 s of 20 s tokens refreshed at 10 s: about 9 fetches; never one per request.
    assert!((5..=12).contains(&fetches), "{fetches} fetches");
}

#[test]
fn a_source_that_fails_twice_is_waited_for_and_then_used() {
    let emu = emulator_with_entra(Duration::from_secs(3_600));
    let client = entra_client(
        &emu,
        Issuer {
            emu: emu.clone(),
            scope: None,
            fail_first: 2,
            calls: AtomicU32::new(0),
        },
    );
    let started = Instant::now();
    let result = client
        .recognize_bytes(&speech_wav(300), &RecognitionRequest::new("en-US"))
        .expect("recognized once the source answers");
    let waited = started.elapsed();
    assert!(result.display_text().is_some());
    // The backoff after two failures is 1 s and then 2 s (jitter shortens each by up to half).
    assert!(waited >= Duration::from_millis(1_400), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    assert_eq!(client.token_fetches(), 3);
}

#[test]
fn a_wrongly_scoped_token_is_a_typed_error_naming_the_speech_roles() {
    let emu = emulator_with_entra(Duration::from_secs(3_600));
    let client = entra_client(
        &emu,
        Issuer {
            emu: emu.clone(),
            scope: Some("https://management.azure.com/.default"),
            fail_first: 0,
            calls: AtomicU32::new(0),
        },
    );
    let e = client
        .recognize_bytes(&speech_wav(300), &RecognitionRequest::new("en-US"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e}");
    let hint = e.hint().expect("a hint").to_string();
    assert!(hint.contains("Cognitive Services Speech User"), "{hint}");
    assert!(
        hint.contains("cognitiveservices.azure.com/.default"),
        "{hint}"
    );
    // The 401 dropped the token and the client asked once more before giving up.
    assert_eq!(client.token_fetches(), 2);

    // A token-source credential without a source is a build error.
    let e = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .build()
    .unwrap_err();
    assert!(e.to_string().contains("entra_token_source"), "{e}");
}

/// `TokenCommand` runs the user's command (here the emulator's `az` stand-in, as
/// `az account get-access-token … --query accessToken -o tsv`) and runs it again before the token expires.
#[test]
fn a_token_command_is_run_again_before_its_token_expires() {
    let emu = emulator_with_entra(Duration::from_secs(4));
    let dir = tempfile::tempdir().expect("dir");
    let az = emu.write_az_stand_in(dir.path()).expect("az stand-in");
    let command = format!(
        "{} account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv",
        az.display()
    );
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .proxy_from_env(false)
    .retry(quick_retry(4))
    .entra_token_source(TokenCommand::new(command))
    .build()
    .expect("client");
    let wav = speech_wav(300);
    let started = Instant::now();
    let mut done = 0;
    while started.elapsed() < Duration::from_secs(7) {
        client
            .recognize_bytes(&wav, &RecognitionRequest::new("en-US"))
            .unwrap_or_else(|e| panic!("a request failed: {e}"));
        done += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let issued = seen(&emu, "/entra-test/token").len();
    let refused = emu
        .requests()
        .iter()
        .filter(|r| r.status == Some(401))
        .count();
    println!("{done} requests, {issued} tokens issued, {refused} refused");
    assert_eq!(refused, 0);
    // 7 s of 4 s tokens, each renewed half-way: 3 or 4 runs of the command.
    assert!((2..=5).contains(&issued), "{issued} tokens issued");
    assert_eq!(client.token_fetches() as usize, issued);
}

/// A failing command's own message (the last lines of its stderr) reaches the caller, as an auth error.
#[test]
fn a_failing_token_command_says_why() {
    let emu = emulator_with_entra(Duration::from_secs(3_600));
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .proxy_from_env(false)
    .retry(quick_retry(1))
    .entra_token_source(TokenCommand::new(
        "echo 'ERROR: Please run az login to setup account.' >&2; exit 1",
    ))
    .build()
    .expect("client");
    let e = client
        .recognize_bytes(&speech_wav(300), &RecognitionRequest::new("en-US"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("Please run az login"), "{e}");
    assert!(e.to_string().contains("exit status: 1"), "{e}");
}
