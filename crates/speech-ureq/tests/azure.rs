//! The Azure SDK's credentials as the client's Entra token source (feature `azure-core`): `azure_identity`'s own
//! `AzureCliCredential`, unchanged, running the emulator's `az` stand-in, and a credential of our own.

mod common;

use std::ffi::{OsStr, OsString};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_identity::{AzureCliCredential, AzureCliCredentialOptions, Executor};
use common::*;
use speech_emulator::EmulatorHandle;
use speech_ureq::speech_proto::recognize::RecognitionRequest;
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::{AzureCredential, Client};

const RESOURCE: &str =
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";

/// Runs the Azure CLI's commands with the stand-in's directory first on `PATH` (no change to this process's
/// environment, which other tests share).
#[derive(Debug)]
struct StandInPath(OsString);

#[async_trait::async_trait]
impl Executor for StandInPath {
    async fn run(&self, program: &OsStr, args: &[&OsStr]) -> std::io::Result<std::process::Output> {
        std::process::Command::new(program)
            .args(args)
            .env("PATH", &self.0)
            .output()
    }
}

fn emulator(lifetime: Duration) -> EmulatorHandle {
    emulator_builder()
        .entra_resource_id(RESOURCE)
        .entra_token_lifetime(lifetime)
        .start_blocking()
        .expect("emulator")
}

fn client(emu: &EmulatorHandle, credential: Arc<dyn TokenCredential>) -> Client {
    Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .proxy_from_env(false)
    .retry(quick_retry(4))
    .entra_token_source(AzureCredential::new(credential))
    .build()
    .expect("client")
}

/// Recognize on 4 threads for `run_for`; every request must succeed.
fn recognize_for(client: &Client, run_for: Duration) -> u32 {
    let wav = speech_wav(300);
    let started = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    while started.elapsed() < run_for {
                        client
                            .recognize_bytes(&wav, &RecognitionRequest::new("en-US"))
                            .unwrap_or_else(|e| panic!("a request failed: {e}"));
                        n += 1;
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    })
}

#[test]
fn azure_identity_azure_cli_credential_renews_its_tokens() {
    let emu = emulator(Duration::from_secs(4));
    let dir = tempfile::tempdir().expect("dir");
    emu.write_az_stand_in(dir.path()).expect("az stand-in");
    let mut path = OsString::from(dir.path());
    if let Some(rest) = std::env::var_os("PATH") {
        path.push(":");
        path.push(rest);
    }
    let credential = AzureCliCredential::new(Some(AzureCliCredentialOptions {
        executor: Some(Arc::new(StandInPath(path))),
        ..Default::default()
    }))
    .expect("credential");
    let client = client(&emu, credential);
    let done = recognize_for(&client, Duration::from_secs(7));
    let issued = seen(&emu, "/entra-test/token").len();
    println!("{done} requests; {issued} tokens issued through `az`");
    assert!(emu.requests().iter().all(|r| r.status != Some(401)));
    assert!((2..=5).contains(&issued), "{issued} tokens issued");
}

/// A credential of our own: the scope asked for is Speech's, and a failure's message reaches the caller.
#[derive(Debug)]
struct Issuer {
    emu: Arc<EmulatorHandle>,
    scopes: std::sync::Mutex<Vec<String>>,
    fail: bool,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl TokenCredential for Issuer {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.scopes
            .lock()
            .expect("lock")
            .extend(scopes.iter().map(|s| (*s).to_owned()));
        if self.fail {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "ManagedIdentityCredential: no identity endpoint is reachable from this machine",
            ));
        }
        let (token, exp) = self.emu.entra_token(scopes[0]);
        let expires_on =
            azure_core::time::OffsetDateTime::from_unix_timestamp(exp as i64).expect("time");
        Ok(AccessToken::new(token, expires_on))
    }
}

#[test]
fn any_token_credential_is_asked_for_the_speech_scope() {
    let emu = Arc::new(emulator(Duration::from_secs(3_600)));
    let issuer = Arc::new(Issuer {
        emu: emu.clone(),
        scopes: Default::default(),
        fail: false,
        calls: AtomicU32::new(0),
    });
    let client = client(&emu, issuer.clone());
    assert!(recognize_for(&client, Duration::from_secs(1)) > 0);
    assert_eq!(issuer.calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        *issuer.scopes.lock().expect("lock"),
        ["https://cognitiveservices.azure.com/.default"]
    );

    let failing = Arc::new(Issuer {
        emu: emu.clone(),
        scopes: Default::default(),
        fail: true,
        calls: AtomicU32::new(0),
    });
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .proxy_from_env(false)
    .retry(quick_retry(1))
    .entra_token_source(AzureCredential::new(failing))
    .build()
    .expect("client");
    let e = client
        .recognize_bytes(&speech_wav(300), &RecognitionRequest::new("en-US"))
        .unwrap_err();
    assert_eq!(e.kind(), speech_ureq::ErrorKind::Auth, "{e}");
    assert!(
        e.to_string().contains("no identity endpoint is reachable"),
        "{e}"
    );
}
