//! [`AzureCredential`]: any credential of the Azure SDK for Rust as the client's Entra token source (feature
//! `azure-core`).

use std::fmt;
use std::sync::{Arc, OnceLock};

use azure_core::credentials::TokenCredential;

use crate::entra::{EntraAccessToken, EntraTokenSource};

/// Any [`azure_core::credentials::TokenCredential`] — every credential of `azure_identity`
/// (`ManagedIdentityCredential`, `WorkloadIdentityCredential`, `ClientSecretCredential`, `AzureCliCredential`,
/// `DeveloperToolsCredential`, …) — as an [`EntraTokenSource`]. The client asks it for a token for
/// `https://cognitiveservices.azure.com/.default` when it needs one and renews it before it expires.
///
/// The credential's future runs on a current-thread Tokio runtime that this source owns, on a thread of its own
/// (so that it works from any thread, even one inside another runtime): credentials that call an identity
/// endpoint do so through reqwest, which needs Tokio. The runtime is made at the first fetch.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use std::sync::Arc;
/// # #[derive(Debug)] struct ManagedIdentity;
/// # #[async_trait::async_trait]
/// # impl azure_core::credentials::TokenCredential for ManagedIdentity {
/// #     async fn get_token(&self, _: &[&str], _: Option<azure_core::credentials::TokenRequestOptions<'_>>)
/// #         -> azure_core::Result<azure_core::credentials::AccessToken> {
/// #         Err(azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, "an example"))
/// #     }
/// # }
/// use speech_ureq::speech_proto::{Credential, Endpoint};
/// use speech_ureq::{AzureCredential, Client};
///
/// // e.g. azure_identity::ManagedIdentityCredential::new(None)?
/// let credential = Arc::new(ManagedIdentity);
/// let client = Client::builder(
///     Endpoint::from_url("https://my-speech.cognitiveservices.azure.com/")?,
///     Credential::entra_token_source(
///         "/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/my-speech",
///     )?,
/// )
/// .entra_token_source(AzureCredential::new(credential))
/// .build()?;
/// # Ok(()) }
/// ```
pub struct AzureCredential {
    credential: Arc<dyn TokenCredential>,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
}

impl AzureCredential {
    /// Wrap a credential.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential {
            credential,
            runtime: OnceLock::new(),
        }
    }
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl EntraTokenSource for AzureCredential {
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
        let runtime = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        format!("cannot start the runtime the Azure credential runs on: {e}")
                    })
            })
            .as_ref()
            .map_err(|e| e.clone())?;
        let credential = &self.credential;
        let token = std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(credential.get_token(&[scope], None)))
                .join()
        })
        .map_err(|_| "the Azure credential panicked")??;
        Ok(from_azure(&token))
    }
}

/// The token and its expiry (a time before 1970 counts as expired).
fn from_azure(token: &azure_core::credentials::AccessToken) -> EntraAccessToken {
    EntraAccessToken {
        token: token.token.secret().to_owned(),
        expires_on: u64::try_from(token.expires_on.unix_timestamp()).unwrap_or(0),
    }
}
