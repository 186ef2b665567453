//! The shared suite on tokio with the reqwest transport.

mod common;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use common::Flavor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::unversioned::Runtime;
use speech_async::{runtime, Client, ClientBuilder};

struct TokioReqwest;

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

/// rustls (ring) trusting only `ca`, or the Mozilla roots.
fn tls(ca: Option<&str>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots
                    .add(cert.expect("a PEM certificate"))
                    .expect("a usable CA");
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl Flavor for TokioReqwest {
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
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls(ca))
            .no_proxy()
            .build()
            .expect("a reqwest client");
        Client::builder(endpoint, credential).reqwest(http)
    }
    fn honours_expect(&self) -> bool {
        false
    }
}

crate::suite!(TokioReqwest);
