//! The shared suite on tokio (multi-threaded), raw transport.

mod common;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use common::Flavor;
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::unversioned::Runtime;
use speech_async::{runtime, Client, ClientBuilder};

struct TokioRaw;

fn tokio_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

impl Flavor for TokioRaw {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        tokio_runtime().block_on(f)
    }
    fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(runtime::Tokio)
    }
    fn builder(
        &self,
        endpoint: Endpoint,
        credential: Credential,
        ca: Option<&str>,
    ) -> ClientBuilder {
        let builder = Client::builder(endpoint, credential).runtime(runtime::Tokio);
        match ca {
            Some(ca) => builder.add_root_certificate_pem(ca),
            None => builder,
        }
    }
}

crate::suite!(TokioRaw);

#[test]
fn connections_are_reused() {
    common::suite::connections_are_reused(&TokioRaw);
}

#[test]
fn a_stalled_answer_hits_the_io_timeout() {
    common::suite::a_stalled_answer_hits_the_io_timeout(&TokioRaw);
}

/// Calls return `Send` futures: they can be spawned on a multi-threaded runtime.
#[test]
fn futures_can_be_spawned() {
    let emu = common::emulator();
    let client = common::client_builder(&TokioRaw, &emu).build().unwrap();
    let handle = tokio_runtime().spawn(async move {
        let audio = common::speech_wav(300);
        client
            .recognize_stream(
                common::odd_stream(&audio),
                &speech_async::speech_proto::recognize::RecognitionRequest::new("en-US"),
            )
            .await
    });
    let result = tokio_runtime().block_on(handle).unwrap().unwrap();
    assert!(result.is_success());
}
