//! The shared suite on smol, raw transport.

mod common;

use std::future::Future;
use std::sync::Arc;

use common::Flavor;
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::unversioned::Runtime;
use speech_async::{runtime, Client, ClientBuilder};

struct SmolRaw;

impl Flavor for SmolRaw {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        smol::block_on(f)
    }
    fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(runtime::Smol)
    }
    fn builder(
        &self,
        endpoint: Endpoint,
        credential: Credential,
        ca: Option<&str>,
    ) -> ClientBuilder {
        let builder = Client::builder(endpoint, credential).runtime(runtime::Smol);
        match ca {
            Some(ca) => builder.add_root_certificate_pem(ca),
            None => builder,
        }
    }
}

crate::suite!(SmolRaw);

#[test]
fn connections_are_reused() {
    common::suite::connections_are_reused(&SmolRaw);
}

#[test]
fn a_stalled_answer_hits_the_io_timeout() {
    common::suite::a_stalled_answer_hits_the_io_timeout(&SmolRaw);
}
