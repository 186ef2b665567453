//! Microsoft Entra ID tokens from a source of the caller's: [`EntraTokenSource`].

pub use speech_proto::auth::EntraAccessToken;

use crate::unversioned::BoxFuture;

/// What an [`EntraTokenSource`] answers: a token, or why there is none.
pub type EntraTokenResult = Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>>;

/// Where an async client gets Microsoft Entra tokens when its credential is
/// [`Credential::entra_token_source`](speech_proto::Credential::entra_token_source): asked for a token for a
/// scope (`https://cognitiveservices.azure.com/.default`) whenever the client needs one — the first request,
/// a few minutes before the current token expires, after a `401` — by one task at a time, while the other
/// tasks keep using the still-valid token. A failure is retried with backoff; its message reaches the caller's
/// error. The future may run on any runtime the client runs on; a source that blocks should hand its work to
/// a thread (e.g. `blocking::unblock`).
///
/// ```
/// use speech_async::unversioned::BoxFuture;
/// use speech_async::{EntraAccessToken, EntraTokenResult, EntraTokenSource};
///
/// /// A fixed token (a source in a few lines; a real one asks Entra, e.g. through `azure_identity`).
/// struct Fixed(String, u64);
///
/// impl EntraTokenSource for Fixed {
///     fn get_token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, EntraTokenResult> {
///         Box::pin(async move {
///             Ok(EntraAccessToken { token: self.0.clone(), expires_on: self.1 })
///         })
///     }
/// }
/// ```
pub trait EntraTokenSource: Send + Sync {
    /// A token for `scope`, or why there is none.
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, EntraTokenResult>;
}
