//! Microsoft Entra ID tokens from a source of the caller's: [`EntraTokenSource`].

pub use speech_proto::auth::EntraAccessToken;

/// Where a client gets Microsoft Entra tokens when its credential is
/// [`Credential::entra_token_source`](speech_proto::Credential::entra_token_source): asked for a token for a
/// scope (`https://cognitiveservices.azure.com/.default`) whenever the client needs one — the first request,
/// a few minutes before the current token expires, after a `401` — by one thread at a time, while the other
/// threads keep using the still-valid token. A failure is retried with backoff; its message reaches the
/// caller's error.
///
/// A few lines wrap any way of getting tokens, e.g. the Azure CLI:
///
/// ```no_run
/// use speech_ureq::{EntraAccessToken, EntraTokenSource};
///
/// struct AzureCli;
///
/// impl EntraTokenSource for AzureCli {
///     fn get_token(
///         &self,
///         scope: &str,
///     ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
///         let resource = scope.trim_end_matches("/.default");
///         let out = std::process::Command::new("az")
///             .args(["account", "get-access-token", "--resource", resource])
///             .args(["--query", "[accessToken,expires_on]", "-o", "tsv"])
///             .output()?;
///         let text = String::from_utf8(out.stdout)?;
///         let mut lines = text.lines();
///         let token = lines.next().ok_or("no token")?.to_owned();
///         let expires_on: u64 = lines.next().ok_or("no expiry")?.trim().parse()?;
///         Ok(EntraAccessToken { token, expires_on })
///     }
/// }
/// ```
pub trait EntraTokenSource: Send + Sync {
    /// A token for `scope`, or why there is none.
    ///
    /// # Errors
    ///
    /// Whatever kept the source from giving a token; the client backs off and asks again.
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>>;
}
