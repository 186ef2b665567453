//! `azure_identity`'s own `AzureCliCredential`, unchanged, as an async client's Entra token source on async-std
//! (feature `azure-core`; no tokio anywhere): it runs the emulator's `az` stand-in, and the client renews its
//! tokens before they expire.

mod common;

use std::ffi::{OsStr, OsString};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_identity::{AzureCliCredential, AzureCliCredentialOptions, Executor};
use common::{emulator_builder, quick_retry, speech_wav};
use speech_async::speech_proto::recognize::RecognitionRequest;
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::{runtime, AzureCredential, Client};

const RESOURCE: &str =
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";

/// Runs the Azure CLI's commands on the `blocking` pool with the stand-in's directory first on `PATH` (no change
/// to this process's environment).
#[derive(Debug)]
struct StandInPath(OsString);

#[async_trait::async_trait]
impl Executor for StandInPath {
    async fn run(&self, program: &OsStr, args: &[&OsStr]) -> std::io::Result<std::process::Output> {
        let mut command = std::process::Command::new(program);
        command.args(args).env("PATH", &self.0);
        blocking::unblock(move || command.output()).await
    }
}

#[test]
fn azure_cli_credential_on_async_std_renews_its_tokens() {
    let emu = emulator_builder()
        .entra_resource_id(RESOURCE)
        .entra_token_lifetime(Duration::from_secs(4))
        .start_blocking()
        .expect("emulator");
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
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra_token_source(RESOURCE).expect("credential"),
    )
    .runtime(runtime::AsyncStd)
    .retry(quick_retry(4))
    .entra_token_source(AzureCredential::new(credential))
    .build()
    .expect("client");
    let wav = Arc::new(speech_wav(300));
    let started = Instant::now();
    let done: u32 = async_std::task::block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (client, wav) = (client.clone(), wav.clone());
                async_std::task::spawn(async move {
                    let mut n = 0;
                    while started.elapsed() < Duration::from_secs(7) {
                        client
                            .recognize_bytes(&wav, &RecognitionRequest::new("en-US"))
                            .await
                            .unwrap_or_else(|e| panic!("a request failed: {e}"));
                        n += 1;
                        async_std::task::sleep(Duration::from_millis(200)).await;
                    }
                    n
                })
            })
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await;
        }
        sum
    });
    let issued = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/entra-test/token")
        .count();
    println!("{done} requests; {issued} tokens issued through `az`");
    assert!(emu.requests().iter().all(|r| r.status != Some(401)));
    // 7 s of 4 s tokens, each renewed half-way.
    assert!((2..=5).contains(&issued), "{issued} tokens issued");
}
