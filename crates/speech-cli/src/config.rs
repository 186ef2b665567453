//! Where requests go and with which credential: Azure (from flags or the environment) or the embedded
//! emulator.

use speech_proto::{AuthMode, Credential, Endpoint};

use crate::cli::{AuthArg, GlobalArgs, Secret};
use crate::exit::Failure;

/// The environment variables `speech` reads, for messages.
pub(crate) const CREDENTIALS_HELP: &str = "set SPEECH_KEY (or --key) with SPEECH_REGION (or --region) or \
     SPEECH_ENDPOINT (or --endpoint); the portal shows them on the resource's Keys and Endpoint page";

/// `credential_source` of a bearer token given by the user.
pub(crate) const TOKEN_SOURCE: &str = "--token/SPEECH_TOKEN";

/// `credential_source` of a key given by the user.
pub(crate) const KEY_SOURCE: &str = "--key/SPEECH_KEY";

/// What the options and environment ask for.
#[derive(Debug)]
pub(crate) enum Target {
    /// An Azure resource (or any service at an explicit endpoint).
    Remote {
        /// Where.
        endpoint: Endpoint,
        /// With what.
        credential: Credential,
        /// Where the credential came from, for messages (`"--key/SPEECH_KEY"`, `"--token/SPEECH_TOKEN"`).
        credential_source: &'static str,
    },
    /// Nothing at all was given: the embedded emulator.
    Embedded,
}

/// A non-empty, trimmed value (an environment variable set to an empty string counts as unset).
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn given_secret(v: &Option<Secret>) -> Option<&str> {
    v.as_ref()
        .map(|s| s.expose().trim())
        .filter(|s| !s.is_empty())
}

impl GlobalArgs {
    /// The auth mode for a key.
    pub(crate) fn auth_mode(&self) -> AuthMode {
        match self.auth {
            AuthArg::Key => AuthMode::Key,
            AuthArg::Token => AuthMode::Token,
        }
    }
}

/// Decide the target from the global options.
///
/// # Errors
///
/// A usage failure when the options are incomplete (a key without a region or endpoint, or the reverse) or
/// malformed (a region that is not `[a-z0-9]+`, an endpoint URL that cannot be used, a key with control
/// characters). Messages never contain the key or the token.
pub(crate) fn resolve(global: &GlobalArgs) -> Result<Target, Failure> {
    let endpoint = given(&global.endpoint);
    let region = given(&global.region);
    let key = given_secret(&global.key);
    let token = given_secret(&global.token);
    if endpoint.is_none() && region.is_none() && key.is_none() && token.is_none() {
        return Ok(Target::Embedded);
    }
    let (credential, credential_source) = match (token, key) {
        (Some(token), _) => (
            Credential::token(token).map_err(|e| {
                Failure::usage(format!("the token from --token/SPEECH_TOKEN cannot be used: {e}"))
            })?,
            TOKEN_SOURCE,
        ),
        (None, Some(key)) => (
            Credential::key(key).map_err(|e| {
                Failure::usage(format!("the key from --key/SPEECH_KEY cannot be used: {e}"))
                    .with_hint("copy Key 1 or Key 2 from the resource's Keys and Endpoint page, without quotes")
            })?,
            KEY_SOURCE,
        ),
        (None, None) => {
            return Err(Failure::usage(
                "an endpoint or region is set, but no key or token: nothing to authenticate with",
            )
            .with_hint(CREDENTIALS_HELP));
        }
    };
    let endpoint = match (endpoint, region) {
        (Some(url), _) => endpoint_from_url(url)?,
        (None, Some(region)) => endpoint_from_region(region)?,
        (None, None) => {
            return Err(Failure::usage(format!(
                "a {} is set, but neither a region nor an endpoint: the key alone does not say where the resource is",
                if token.is_some() { "token" } else { "key" }
            ))
            .with_hint(CREDENTIALS_HELP));
        }
    };
    Ok(Target::Remote {
        endpoint,
        credential,
        credential_source,
    })
}

/// `--endpoint`: a portal URL or any base URL.
pub(crate) fn endpoint_from_url(url: &str) -> Result<Endpoint, Failure> {
    if !url.contains("://") {
        return Err(
            Failure::usage(format!("the endpoint {url:?} is not a URL (no scheme)")).with_hint(
                if speech_proto::Endpoint::region(url).is_ok() {
                    "it looks like a region: pass it with --region (SPEECH_REGION) instead"
                } else {
                    "give the full URL, e.g. https://<resource-name>.cognitiveservices.azure.com/"
                },
            ),
        );
    }
    Endpoint::from_url(url).map_err(|e| {
        Failure::usage(format!("the endpoint cannot be used: {e}")).with_hint(
            "use the Endpoint shown on the resource's Keys and Endpoint page, e.g. \
             https://<resource-name>.cognitiveservices.azure.com/ or https://<region>.api.cognitive.microsoft.com/",
        )
    })
}

/// `--region`: public cloud, or a US Government / China region by its prefix.
pub(crate) fn endpoint_from_region(region: &str) -> Result<Endpoint, Failure> {
    if region.contains("://") || region.contains('.') {
        return Err(Failure::usage(format!(
            "the region {region:?} looks like a URL or host name"
        ))
        .with_hint(
            "pass URLs with --endpoint (SPEECH_ENDPOINT); --region takes a name such as westeurope",
        ));
    }
    Endpoint::region_in_its_cloud(region).map_err(|e| {
        Failure::usage(format!("the region cannot be used: {e}")).with_hint(
            "use the Location/Region identifier from the resource's Keys and Endpoint page, e.g. westeurope \
             (lower case, no spaces)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use speech_proto::endpoint::Cloud;

    fn args(
        endpoint: Option<&str>,
        region: Option<&str>,
        key: Option<&str>,
        token: Option<&str>,
    ) -> GlobalArgs {
        GlobalArgs {
            endpoint: endpoint.map(str::to_owned),
            region: region.map(str::to_owned),
            key: key.map(|k| Secret::from(k.to_owned())),
            token: token.map(|t| Secret::from(t.to_owned())),
            ..GlobalArgs::default()
        }
    }

    #[test]
    fn nothing_given_means_embedded() {
        assert!(matches!(
            resolve(&args(None, None, None, None)),
            Ok(Target::Embedded)
        ));
        // Empty environment variables count as unset.
        assert!(matches!(
            resolve(&args(Some(""), Some(" "), Some(""), None)),
            Ok(Target::Embedded)
        ));
    }

    #[test]
    fn key_with_region_or_endpoint() {
        match resolve(&args(None, Some("westeurope"), Some("k3y"), None)) {
            Ok(Target::Remote { endpoint, .. }) => {
                assert_eq!(endpoint.region_name().map(|(_, r)| r), Some("westeurope"))
            }
            other => panic!("{other:?}"),
        }
        match resolve(&args(
            Some("https://my-res.cognitiveservices.azure.com/"),
            None,
            Some("k3y"),
            None,
        )) {
            Ok(Target::Remote { endpoint, .. }) => {
                assert_eq!(endpoint.custom_domain_name(), Some("my-res"))
            }
            other => panic!("{other:?}"),
        }
        match resolve(&args(None, Some("usgovvirginia"), Some("k3y"), None)) {
            Ok(Target::Remote { endpoint, .. }) => {
                assert_eq!(
                    endpoint.region_name(),
                    Some((Cloud::UsGovernment, "usgovvirginia"))
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn incomplete_or_malformed_settings_are_usage_errors_without_the_key() {
        let secret = "SECRET-4f1c9e";
        for a in [
            args(None, None, Some(secret), None),
            args(None, Some("westeurope"), None, None),
            args(None, Some("West Europe"), Some(secret), None),
            args(
                None,
                Some("https://westeurope.api.cognitive.microsoft.com"),
                Some(secret),
                None,
            ),
            args(Some("westeurope"), None, Some(secret), None),
            args(Some("ftp://x"), None, Some(secret), None),
            args(None, Some("westeurope"), Some("bad\u{7}key"), None),
        ] {
            let f = resolve(&a).unwrap_err();
            assert_eq!(f.code, crate::exit::Code::Usage, "{a:?}");
            assert!(!f.to_string().contains(secret));
            assert!(f.hint.is_some(), "{f}");
        }
    }
}
