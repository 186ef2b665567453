//! A client for the run: Azure from the options, or the embedded emulator.

use std::sync::Arc;

use speech_emulator::EmulatorHandle;
use speech_proto::{Credential, Endpoint};
use speech_ureq::{Client, ClientBuilder, EntraTokenSource};

use crate::cli::GlobalArgs;
use crate::config::{resolve, Target};
use crate::embedded::{self, Needs};
use crate::exit::Failure;

/// The `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("speech-cli/", env!("CARGO_PKG_VERSION"));

/// How long a read from the embedded emulator may wait: its engine runs on this machine.
const EMBEDDED_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// The client of one run, and the embedded emulator it talks to, if any (kept alive as long as the client).
pub(crate) struct Session {
    /// The client, shared by every worker thread.
    pub(crate) client: Client,
    /// Where requests go.
    pub(crate) endpoint: Endpoint,
    /// The embedded emulator, when no credentials were given: held so that it lives as long as the client
    /// (dropping it stops it).
    _embedded: Option<EmulatorHandle>,
    /// What authenticates the requests, for messages (never the secret itself).
    pub(crate) credential_source: &'static str,
}

impl Session {
    /// Build the session for a command: resolve the target, start the embedded emulator with the engines the
    /// command `needs` when no credentials are set, and build the client (`configure` adds command-specific
    /// settings).
    pub(crate) fn open(
        global: &GlobalArgs,
        needs: Needs,
        configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Session, Failure> {
        Self::open_target(global, resolve(global)?, needs, configure)
    }

    /// [`Session::open`] with an already resolved target.
    pub(crate) fn open_target(
        global: &GlobalArgs,
        target: Target,
        needs: Needs,
        configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Session, Failure> {
        Self::open_with_source(global, target, needs, None, configure)
    }

    /// [`Session::open_target`], with the Entra token source given (`doctor` watches the tokens it hands out)
    /// instead of made from the target.
    pub(crate) fn open_with_source(
        global: &GlobalArgs,
        target: Target,
        needs: Needs,
        source: Option<Arc<dyn EntraTokenSource>>,
        configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Session, Failure> {
        let mut entra_source = source;
        let (endpoint, credential, credential_source, embedded) = match target {
            Target::Remote {
                endpoint,
                credential,
                credential_source,
                entra,
            } => {
                if let (None, Some(entra)) = (&entra_source, entra) {
                    entra_source = Some(entra.build()?);
                }
                (endpoint, credential, credential_source, None)
            }
            Target::Embedded => {
                let emu = embedded::start_for_command(needs)?;
                let endpoint = Endpoint::base_url(emu.base_url())?;
                let credential = Credential::key(emu.key())?;
                (
                    endpoint,
                    credential,
                    "the embedded emulator's key",
                    Some(emu),
                )
            }
        };
        let has_key = matches!(credential, Credential::SubscriptionKey(_));
        let is_entra = matches!(
            credential,
            Credential::Entra { .. } | Credential::EntraTokenSource { .. }
        );
        let mut builder = Client::builder(endpoint.clone(), credential)
            .auth_mode(global.auth_mode())
            .user_agent(USER_AGENT);
        if let Some(source) = entra_source {
            builder = builder.entra_token_source(source);
        }
        if embedded.is_some() {
            // The embedded emulator listens on this machine's loopback, which no proxy from the environment
            // (HTTPS_PROXY, ALL_PROXY) can reach.
            builder = builder.proxy_from_env(false);
            // Its offline engine answers a request once it has recognized it, sharing this machine's cores
            // with every other request in flight: on a small machine with several files at once that takes
            // longer than the 30 s read timeout meant for the service.
            builder = builder.read_timeout(EMBEDDED_READ_TIMEOUT);
        }
        let client = configure(builder)
            .build()
            .map_err(|e| Failure::from_client(Some("cannot set up the client"), &e))?;
        if global.verbose {
            eprintln!(
                "speech: endpoint {endpoint}; credential: {credential_source}; auth: {}",
                if has_key {
                    match global.auth_mode() {
                        speech_proto::AuthMode::Key => "key sent as Ocp-Apim-Subscription-Key",
                        _ => "key exchanged for bearer tokens",
                    }
                } else if is_entra {
                    "Microsoft Entra token sent as aad#<resource id>#<token>"
                } else {
                    "bearer token"
                }
            );
        }
        Ok(Session {
            client,
            endpoint,
            _embedded: embedded,
            credential_source,
        })
    }

    /// With `--verbose`, say how many tokens the run fetched.
    pub(crate) fn finish(&self, global: &GlobalArgs) {
        if global.verbose {
            eprintln!(
                "speech: token fetches in this run: {}",
                self.client.token_fetches()
            );
        }
    }
}
