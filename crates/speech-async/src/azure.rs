//! [`AzureCredential`]: any credential of the Azure SDK for Rust as the client's Entra token source (feature
//! `azure-core`).

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;

use crate::entra::{EntraAccessToken, EntraTokenResult, EntraTokenSource};
use crate::unversioned::BoxFuture;

/// Any [`azure_core::credentials::TokenCredential`] — every credential of `azure_identity`
/// (`ManagedIdentityCredential`, `WorkloadIdentityCredential`, `ClientSecretCredential`, `AzureCliCredential`,
/// `DeveloperToolsCredential`, …) — as an [`EntraTokenSource`]. The client asks it for a token for
/// `https://cognitiveservices.azure.com/.default` when it needs one and renews it before it expires.
///
/// The credential's future is awaited on the client's own runtime. This feature brings in no runtime: a
/// credential that calls an identity endpoint does so through its own HTTP client, which for `azure_identity`'s
/// default (reqwest) needs Tokio. On async-std or smol, give the credential a transport of that runtime
/// (`ClientOptions::transport`), or use one that needs none, such as `AzureCliCredential` with
/// `azure_identity`'s default features off (it runs `az` on a thread of its own).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// # use std::sync::Arc;
/// # #[derive(Debug)] struct ManagedIdentity;
/// # #[async_trait::async_trait]
/// # impl azure_core::credentials::TokenCredential for ManagedIdentity {
/// #     async fn get_token(&self, _: &[&str], _: Option<azure_core::credentials::TokenRequestOptions<'_>>)
/// #         -> azure_core::Result<azure_core::credentials::AccessToken> {
/// #         Err(azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, "an example"))
/// #     }
/// # }
/// use speech_async::speech_proto::{Credential, Endpoint};
/// use speech_async::{AzureCredential, Client};
///
/// // e.g. azure_identity::ManagedIdentityCredential::new(None)?
/// let credential = Arc::new(ManagedIdentity);
/// let client = Client::builder(
///     Endpoint::from_url("https://my-speech.cognitiveservices.azure.com/")?,
///     Credential::entra_token_source(
///         "/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/my-speech",
///     )?,
/// )
/// .entra_token_source(AzureCredential::new(credential));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AzureCredential {
    credential: Arc<dyn TokenCredential>,
}

impl AzureCredential {
    /// Wrap a credential.
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential { credential }
    }
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("credential", &self.credential)
            .finish()
    }
}

impl EntraTokenSource for AzureCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, EntraTokenResult> {
        Box::pin(async move {
            let token = self.credential.get_token(&[scope], None).await?;
            Ok(EntraAccessToken {
                token: token.token.secret().to_owned(),
                // A time before 1970 counts as expired.
                expires_on: u64::try_from(token.expires_on.unix_timestamp()).unwrap_or(0),
            })
        })
    }
}
