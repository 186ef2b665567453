//! Where requests go and with which credential: Azure (from flags or the environment) or the embedded
//! emulator.

use speech_proto::auth::entra::EntraResourceId;
use speech_proto::{AuthMode, Credential, Endpoint};
use speech_ureq::{EntraTokenSource, TokenCommand};

use crate::cli::{AuthArg, GlobalArgs, Secret};
use crate::exit::{Code, Failure};

/// The environment variables `speech` reads, for messages.
pub(crate) const CREDENTIALS_HELP: &str = "set SPEECH_KEY (or --key) with SPEECH_REGION (or --region) or \
     SPEECH_ENDPOINT (or --endpoint); the portal shows them on the resource's Keys and Endpoint page";

/// `credential_source` of a bearer token given by the user.
pub(crate) const TOKEN_SOURCE: &str = "--token/SPEECH_TOKEN";

/// `credential_source` of a key given by the user.
pub(crate) const KEY_SOURCE: &str = "--key/SPEECH_KEY";

/// `credential_source` of Entra tokens from `--token-command`.
pub(crate) const TOKEN_COMMAND_SOURCE: &str =
    "--token-command/SPEECH_TOKEN_COMMAND (Microsoft Entra)";

/// The command that prints an Entra token for Speech with the Azure CLI, for messages.
pub(crate) const AZ_TOKEN_COMMAND: &str =
    "az account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv";

/// Where `--auth entra` gets its tokens.
#[derive(Clone, Debug)]
pub(crate) enum EntraSource {
    /// `--token-command`: run through the shell whenever a token is needed.
    Command(String),
    /// `azure_identity`'s developer-tools chain (the Azure CLI, then the Azure Developer CLI).
    #[cfg(feature = "azure-identity")]
    DeveloperTools,
}

impl EntraSource {
    /// The token source for the client.
    pub(crate) fn build(&self) -> Result<std::sync::Arc<dyn EntraTokenSource>, Failure> {
        match self {
            EntraSource::Command(command) => {
                Ok(std::sync::Arc::new(TokenCommand::new(command.clone())))
            }
            #[cfg(feature = "azure-identity")]
            EntraSource::DeveloperTools => {
                let credential =
                    azure_identity::DeveloperToolsCredential::new(None).map_err(|e| {
                        Failure::new(
                            Code::Auth,
                            format!("cannot set up the Azure developer-tools credential: {e}"),
                        )
                    })?;
                Ok(std::sync::Arc::new(speech_ureq::AzureCredential::new(
                    credential,
                )))
            }
        }
    }
}

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
        /// Where Entra tokens come from, for `--auth entra` without a static token.
        entra: Option<EntraSource>,
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
            // Entra credentials carry their own tokens: the mode only matters for keys.
            AuthArg::Token | AuthArg::Entra => AuthMode::Token,
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
    if global.auth == AuthArg::Entra {
        return resolve_entra(global, endpoint, region, key, token);
    }
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
        entra: None,
    })
}

/// `--auth entra`: the endpoint (a custom domain), the resource id, and a token command (or a static token).
fn resolve_entra(
    global: &GlobalArgs,
    endpoint: Option<&str>,
    region: Option<&str>,
    key: Option<&str>,
    token: Option<&str>,
) -> Result<Target, Failure> {
    if key.is_some() {
        return Err(Failure::usage(
            "--auth entra authenticates with Microsoft Entra ID, but a key is set (--key/SPEECH_KEY)",
        )
        .with_hint("unset SPEECH_KEY for keyless use, or drop --auth entra to use the key"));
    }
    let endpoint = match (endpoint, region) {
        (Some(url), _) => endpoint_from_url(url)?,
        (None, Some(region)) => endpoint_from_region(region)?,
        (None, None) => {
            return Err(Failure::usage("--auth entra needs the resource's endpoint").with_hint(
                "pass its custom-domain endpoint: --endpoint https://<custom-domain>.cognitiveservices.azure.com/ \
                 (SPEECH_ENDPOINT); Entra needs the resource to have a custom domain",
            ));
        }
    };
    const RESOURCE_ID_HINT: &str =
        "copy Properties → Resource ID from the resource's page in the portal, or run \
         `az cognitiveservices account show -n <name> -g <group> --query id -o tsv`";
    let resource_id = given(&global.resource_id).ok_or_else(|| {
        Failure::usage("--auth entra needs the resource id (--resource-id/SPEECH_RESOURCE_ID)")
            .with_hint(RESOURCE_ID_HINT)
    })?;
    let resource_id = EntraResourceId::parse(resource_id).map_err(|e| {
        Failure::usage(format!("the resource id cannot be used: {e}")).with_hint(RESOURCE_ID_HINT)
    })?;
    if let Some(token) = token {
        let credential = Credential::entra(resource_id.as_str(), token).map_err(|e| {
            Failure::usage(format!(
                "the token from --token/SPEECH_TOKEN cannot be used: {e}"
            ))
        })?;
        return Ok(Target::Remote {
            endpoint,
            credential,
            credential_source: TOKEN_SOURCE,
            entra: None,
        });
    }
    let credential = Credential::entra_token_source(resource_id.as_str())
        .map_err(|e| Failure::usage(format!("the resource id cannot be used: {e}")))?;
    let (entra, credential_source) = match given(&global.token_command) {
        Some(command) => (
            EntraSource::Command(command.to_owned()),
            TOKEN_COMMAND_SOURCE,
        ),
        #[cfg(feature = "azure-identity")]
        None => (
            EntraSource::DeveloperTools,
            "the Azure developer tools (az, then azd; Microsoft Entra)",
        ),
        #[cfg(not(feature = "azure-identity"))]
        None => {
            return Err(Failure::new(
                Code::Usage,
                "--auth entra needs a command that prints an Entra token (--token-command/SPEECH_TOKEN_COMMAND)",
            )
            .with_hint(format!(
                "with the Azure CLI signed in (`az login`): --token-command \"{AZ_TOKEN_COMMAND}\"; a build with \
                 the azure-identity feature asks the Azure CLI by itself"
            )));
        }
    };
    Ok(Target::Remote {
        endpoint,
        credential,
        credential_source,
        entra: Some(entra),
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
