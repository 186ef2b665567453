//! The shared suite on async-std, raw transport.

mod common;

use std::future::Future;
use std::sync::Arc;

use common::Flavor;
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::unversioned::Runtime;
use speech_async::{runtime, Client, ClientBuilder};

struct AsyncStdRaw;

impl Flavor for AsyncStdRaw {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        async_std::task::block_on(f)
    }
    fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(runtime::AsyncStd)
    }
    fn builder(
        &self,
        endpoint: Endpoint,
        credential: Credential,
        ca: Option<&str>,
    ) -> ClientBuilder {
        let builder = Client::builder(endpoint, credential).runtime(runtime::AsyncStd);
        match ca {
            Some(ca) => builder.add_root_certificate_pem(ca),
            None => builder,
        }
    }
}

crate::suite!(AsyncStdRaw);

#[test]
fn connections_are_reused() {
    common::suite::connections_are_reused(&AsyncStdRaw);
}

#[test]
fn a_stalled_answer_hits_the_io_timeout() {
    common::suite::a_stalled_answer_hits_the_io_timeout(&AsyncStdRaw);
}

/// Keyless authentication on async-std (once, not per runtime: the token machine is the core's, the same on
/// every runtime): a Microsoft Entra token source against the emulator's test issuer.
mod entra {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use speech_async::speech_proto::recognize::RecognitionRequest;
    use speech_async::speech_proto::{Credential, Endpoint};
    use speech_async::unversioned::BoxFuture;
    use speech_async::{
        runtime, Client, EntraAccessToken, EntraTokenResult, EntraTokenSource, ErrorKind,
    };
    use speech_emulator::EmulatorHandle;

    use crate::common::{emulator_builder, quick_retry, speech_wav};

    const RESOURCE: &str =
        "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";

    struct Issuer {
        emu: Arc<EmulatorHandle>,
        scope: Option<&'static str>,
        fail_first: u32,
        calls: AtomicU32,
    }

    impl EntraTokenSource for Issuer {
        fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, EntraTokenResult> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                if n < self.fail_first {
                    return Err("the identity endpoint is not reachable".into());
                }
                let (token, expires_on) = self.emu.entra_token(self.scope.unwrap_or(scope));
                Ok(EntraAccessToken { token, expires_on })
            })
        }
    }

    fn setup(
        lifetime: Duration,
        scope: Option<&'static str>,
        fail_first: u32,
    ) -> (Arc<EmulatorHandle>, Client) {
        let emu = Arc::new(
            emulator_builder()
                .entra_resource_id(RESOURCE)
                .entra_token_lifetime(lifetime)
                .start_blocking()
                .expect("emulator"),
        );
        let client = Client::builder(
            Endpoint::base_url(emu.base_url()).expect("url"),
            Credential::entra_token_source(RESOURCE).expect("credential"),
        )
        .runtime(runtime::AsyncStd)
        .retry(quick_retry(4))
        .entra_token_source(Issuer {
            emu: emu.clone(),
            scope,
            fail_first,
            calls: AtomicU32::new(0),
        })
        .build()
        .expect("client");
        (emu, client)
    }

    #[test]
    fn sixteen_tasks_for_ninety_seconds_on_twenty_second_tokens() {
        let (emu, client) = setup(Duration::from_secs(20), None, 0);
        let wav = Arc::new(speech_wav(300));
        let started = Instant::now();
        let done: u32 = async_std::task::block_on(async {
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    let (client, wav) = (client.clone(), wav.clone());
                    async_std::task::spawn(async move {
                        let request = RecognitionRequest::new("en-US");
                        let mut n = 0u32;
                        while started.elapsed() < Duration::from_secs(90) {
                            client
                                .recognize_bytes(&wav, &request)
                                .await
                                .unwrap_or_else(|e| panic!("a request failed: {e}"));
                            n += 1;
                            async_std::task::sleep(Duration::from_millis(250)).await;
                        }
                        n
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await;
            }
            total
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
        assert!((5..=12).contains(&fetches), "{fetches} fetches");
    }

    #[test]
    fn a_failing_source_is_waited_for_and_a_wrong_scope_names_the_roles() {
        let (_emu, client) = setup(Duration::from_secs(3_600), None, 2);
        let request = RecognitionRequest::new("en-US");
        let started = Instant::now();
        async_std::task::block_on(client.recognize_bytes(&speech_wav(300), &request))
            .expect("recognized once the source answers");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(1_400) && waited < Duration::from_secs(10),
            "{waited:?}"
        );
        assert_eq!(client.token_fetches(), 3);

        let (_emu, client) = setup(
            Duration::from_secs(3_600),
            Some("https://management.azure.com/.default"),
            0,
        );
        let e = async_std::task::block_on(client.recognize_bytes(&speech_wav(300), &request))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        let hint = e.hint().expect("a hint").to_string();
        assert!(hint.contains("Cognitive Services Speech User"), "{hint}");
    }
}
