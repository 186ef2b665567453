//! `speech doctor [--audio FILE]`: the service's troubleshooting guide as a program.
//!
//! Checks, in order (later ones depend on earlier ones): the configuration (endpoint or region shape,
//! credentials), the key (by fetching a token) or, with `--auth entra`, the Entra setup (a custom domain, the
//! resource id's shape, a token from the source with its expiry and audience), the token (by listing voices, the
//! smallest authenticated request, whose 401/403 names the Speech roles), and the audio file. Each finding says ok, warning or problem, with the concrete fix.

use std::process::ExitCode;

use std::sync::{Arc, Mutex};

use speech_proto::auth::entra::{inspect_entra_token, EntraResourceId, ENTRA_AUDIENCE};
use speech_proto::auth::{EntraAccessToken, ENTRA_SCOPE};
use speech_proto::{AuthMode, Endpoint};
use speech_ureq::EntraTokenSource;

use crate::audio_check;
use crate::cli::{AuthArg, DoctorArgs, GlobalArgs, OutputArg};
use crate::cmd::token::{expiry_text, now_unix};
use crate::config::{
    resolve, EntraSource, Target, AZ_TOKEN_COMMAND, CREDENTIALS_HELP, TOKEN_SOURCE,
};
use crate::embedded::Needs;
use crate::exit::{Code, Failure};
use crate::output::{emit, emit_line};
use crate::report::{self, Finding, Level};
use crate::session::Session;
use speech_proto::token::TokenValidity;
use speech_ureq::speech_proto::endpoint::KNOWN_REGIONS;

fn problem(check: &'static str, f: &Failure) -> Finding {
    let finding = Finding::new(check, Level::Problem(f.code), f.message.clone());
    match &f.hint {
        Some(h) => finding.with_fix(h.clone()),
        None => finding,
    }
}

/// The configuration checks. Returns the target when the network checks can run.
fn check_config(global: &GlobalArgs, findings: &mut Vec<Finding>) -> Option<Target> {
    const CHECK: &str = "config";
    let key = global
        .key
        .as_ref()
        .map(|k| k.expose().trim())
        .unwrap_or_default();
    if key.starts_with("http://") || key.starts_with("https://") {
        findings.push(
            Finding::new(CHECK, Level::Problem(Code::Usage), "the key looks like a URL, not a key")
                .with_fix("put the endpoint in SPEECH_ENDPOINT (--endpoint) and Key 1 or Key 2 in SPEECH_KEY (--key)"),
        );
        return None;
    }
    let target = match resolve(global) {
        Ok(t) => t,
        Err(f) => {
            findings.push(problem(CHECK, &f));
            return None;
        }
    };
    match &target {
        Target::Embedded => findings.push(
            Finding::new(
                CHECK,
                Level::Warning,
                "no Azure credentials are set: checking the embedded offline emulator instead of Azure",
            )
            .with_fix(CREDENTIALS_HELP),
        ),
        Target::Remote {
            endpoint,
            credential_source,
            ..
        } => {
            if let Err(e) = endpoint.voices_list_uri() {
                findings.push(problem(CHECK, &Failure::from(e)));
                return None;
            }
            findings.push(Finding::new(
                CHECK,
                Level::Ok,
                format!("endpoint: {endpoint}; credential from {credential_source}"),
            ));
            let region_given = global.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let endpoint_given = global.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
            if let (Some(region), Some(_)) = (region_given, endpoint_given) {
                let differs = endpoint
                    .region_name()
                    .is_none_or(|(_, r)| !r.eq_ignore_ascii_case(region));
                if differs {
                    findings.push(
                        Finding::new(
                            CHECK,
                            Level::Warning,
                            format!("both an endpoint and the region {region:?} are set: the endpoint is used"),
                        )
                        .with_fix("unset SPEECH_REGION (or drop --region) to avoid confusion"),
                    );
                }
            }
            if global.auth == AuthArg::Entra {
                check_entra_config(global, endpoint, findings);
            }
            if let Some((_, region)) = endpoint.region_name() {
                if !KNOWN_REGIONS.contains(&region) {
                    findings.push(
                        Finding::new(
                            CHECK,
                            Level::Warning,
                            format!("{region:?} is not among the regions known to offer Speech (as of 2025-11)"),
                        )
                        .with_fix(
                            "check the spelling against the Location/Region on the resource's Keys and Endpoint \
                             page (e.g. westeurope, eastus2)",
                        ),
                    );
                }
            }
        }
    }
    Some(target)
}

/// `--auth entra`: the endpoint should be the resource's custom domain, and the resource id should be one.
fn check_entra_config(global: &GlobalArgs, endpoint: &Endpoint, findings: &mut Vec<Finding>) {
    const CHECK: &str = "entra";
    let resource_id = global
        .resource_id
        .as_deref()
        .and_then(|id| EntraResourceId::parse(id).ok());
    match (endpoint.custom_domain_name(), endpoint.region_name()) {
        (Some(domain), _) => {
            findings.push(Finding::new(
                CHECK,
                Level::Ok,
                format!("the endpoint is the custom domain {domain:?}, which Entra authentication needs"),
            ));
            if let Some(id) = &resource_id {
                if !id.account().eq_ignore_ascii_case(domain) {
                    findings.push(
                        Finding::new(
                            CHECK,
                            Level::Warning,
                            format!(
                                "the resource id names the resource {:?}, the custom domain is {domain:?}",
                                id.account()
                            ),
                        )
                        .with_fix(
                            "a custom domain may differ from the resource's name; if they are different resources, \
                             take both from the same resource's page (Keys and Endpoint, Properties → Resource ID)",
                        ),
                    );
                }
            }
        }
        (None, Some(_)) => findings.push(
            Finding::new(
                CHECK,
                Level::Warning,
                "Entra authentication needs the resource to have a custom domain, and the endpoint is a regional one",
            )
            .with_fix(
                "give the resource a custom domain (Networking in the portal; it cannot be undone) and pass it: \
                 --endpoint https://<custom-domain>.cognitiveservices.azure.com/",
            ),
        ),
        // A container or the emulator: it decides.
        (None, None) => {}
    }
    if let Some(id) = &resource_id {
        findings.push(Finding::new(
            CHECK,
            Level::Ok,
            format!(
                "the resource id has the expected shape (resource {:?} in group {:?})",
                id.account(),
                id.resource_group()
            ),
        ));
        if !id.subscription_is_guid() {
            findings.push(
                Finding::new(
                    CHECK,
                    Level::Warning,
                    format!(
                        "the subscription {:?} in the resource id is not a GUID",
                        id.subscription()
                    ),
                )
                .with_fix("copy Properties → Resource ID from the resource's page in the portal"),
            );
        }
    }
}

/// What can be told about an Entra token before the service sees it: its expiry and its audience. False when
/// the token cannot be used.
fn check_entra_token(
    token: &str,
    expires_on: Option<u64>,
    from: &str,
    findings: &mut Vec<Finding>,
) -> bool {
    const CHECK: &str = "entra";
    let now = now_unix();
    let facts = inspect_entra_token(token, now);
    let exp = expires_on.or(match facts.validity {
        TokenValidity::Valid { exp } | TokenValidity::Expired { exp } => Some(exp),
        _ => None,
    });
    let mut usable = true;
    match exp {
        Some(exp) if exp <= now => {
            usable = false;
            findings.push(
                Finding::new(
                    CHECK,
                    Level::Problem(Code::Auth),
                    format!("the Entra token from {from} expired at {}", expiry_text(exp, now)),
                )
                .with_fix("get a new one (Entra tokens live about an hour); --token-command renews them by itself"),
            );
        }
        Some(exp) => findings.push(Finding::new(
            CHECK,
            Level::Ok,
            format!(
                "an Entra token from {from}, valid until {}",
                expiry_text(exp, now)
            ),
        )),
        None => findings.push(Finding::new(
            CHECK,
            Level::Warning,
            format!(
                "the Entra token from {from} carries no expiry: it cannot be checked before use"
            ),
        )),
    }
    match (facts.audience_fits(), facts.audience) {
        (Some(true), _) => findings.push(Finding::new(
            CHECK,
            Level::Ok,
            format!("the token's audience is {ENTRA_AUDIENCE}"),
        )),
        (Some(false), Some(audience)) => {
            usable = false;
            findings.push(
                Finding::new(
                    CHECK,
                    Level::Problem(Code::Auth),
                    format!(
                        "the token's audience is {audience:?}, not {ENTRA_AUDIENCE}: it was issued for another scope"
                    ),
                )
                .with_fix(format!(
                    "ask for the scope {ENTRA_SCOPE}, e.g. --token-command \"{AZ_TOKEN_COMMAND}\""
                )),
            );
        }
        _ => findings.push(Finding::new(
            CHECK,
            Level::Warning,
            "the token is not a JWT with an audience: the service decides",
        )),
    }
    usable
}

/// The token a source gave first, then the source: `doctor` looks at a token before the client uses it, without
/// running the token command twice.
struct Prefetched {
    first: Mutex<Option<EntraAccessToken>>,
    source: Arc<dyn EntraTokenSource>,
}

impl EntraTokenSource for Prefetched {
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
        let first = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match first {
            Some(token) => Ok(token),
            None => self.source.get_token(scope),
        }
    }
}

/// Ask the Entra token source once and look at the token. `None` when the checks cannot go on.
fn check_entra_source(
    entra: &EntraSource,
    credential_source: &str,
    findings: &mut Vec<Finding>,
) -> Option<Arc<dyn EntraTokenSource>> {
    let source = match entra.build() {
        Ok(s) => s,
        Err(f) => {
            findings.push(problem("entra", &f));
            return None;
        }
    };
    match source.get_token(ENTRA_SCOPE) {
        Ok(token) => {
            if !check_entra_token(
                &token.token,
                Some(token.expires_on),
                credential_source,
                findings,
            ) {
                return None;
            }
            Some(Arc::new(Prefetched {
                first: Mutex::new(Some(token)),
                source,
            }))
        }
        Err(e) => {
            findings.push(
                Finding::new(
                    "entra",
                    Level::Problem(Code::Auth),
                    format!("the Entra token source ({credential_source}) gave no token: {e}"),
                )
                .with_fix(format!(
                    "run the command yourself to see what it says; with the Azure CLI, sign in (`az login`) and \
                     use --token-command \"{AZ_TOKEN_COMMAND}\""
                )),
            );
            None
        }
    }
}

fn check_service(global: &GlobalArgs, target: Target, findings: &mut Vec<Finding>) {
    let mut source = None;
    if let Target::Remote {
        entra: Some(entra),
        credential_source,
        ..
    } = &target
    {
        source = check_entra_source(entra, credential_source, findings);
        if source.is_none() {
            return;
        }
    }
    let session = match Session::open_with_source(global, target, Needs::Nothing, source, |b| b) {
        Ok(s) => s,
        Err(f) => {
            findings.push(problem("config", &f));
            return;
        }
    };
    let what_is_checked;
    if global.auth == AuthArg::Entra {
        what_is_checked = "Entra token";
        if session.credential_source == TOKEN_SOURCE {
            let text = global
                .token
                .as_ref()
                .map(|t| t.expose())
                .unwrap_or_default();
            if !check_entra_token(text, None, TOKEN_SOURCE, findings) {
                return;
            }
        }
    } else if session.credential_source == TOKEN_SOURCE {
        what_is_checked = "token";
        let text = global
            .token
            .as_ref()
            .map(|t| t.expose())
            .unwrap_or_default();
        match speech_proto::Token::from_jwt(text) {
            Ok(token) => match token.validity(now_unix()) {
                TokenValidity::Expired { exp } => findings.push(
                    Finding::new(
                        "key",
                        Level::Problem(Code::Auth),
                        format!("the token from {TOKEN_SOURCE} expired at {}", expiry_text(exp, now_unix())),
                    )
                    .with_fix("fetch a new one (tokens live 10 minutes): `speech token` with the key"),
                ),
                TokenValidity::Valid { exp } => findings.push(Finding::new(
                    "key",
                    Level::Ok,
                    format!("no key given; the token expires at {}", expiry_text(exp, now_unix())),
                )),
                _ => findings.push(Finding::new(
                    "key",
                    Level::Warning,
                    "no key given, and the token carries no expiry: it cannot be checked before use",
                )),
            },
            Err(e) => findings.push(Finding::new(
                "key",
                Level::Warning,
                format!("the token is not a JWT ({e}); the service decides"),
            )),
        }
    } else if global.auth_mode() == AuthMode::Key {
        what_is_checked = "key";
        findings.push(Finding::new(
            "key",
            Level::Ok,
            "auth mode key: the key is sent with every request (the next check tries it)",
        ));
    } else {
        what_is_checked = "token";
        match session.client.token() {
            Ok(token) => {
                let mut msg = "the key works: the token service issued a token".to_owned();
                if let Some(exp) = token.expires_at_unix() {
                    msg.push_str(&format!(", valid until {}", expiry_text(exp, now_unix())));
                }
                findings.push(Finding::new("key", Level::Ok, msg));
                if let Some((claimed, region)) = token.region_mismatch(&session.endpoint) {
                    findings.push(
                        Finding::new(
                            "key",
                            Level::Warning,
                            format!("the token was issued for region {claimed:?}, the endpoint is {region:?}"),
                        )
                        .with_fix("use the region of the resource the key belongs to"),
                    );
                }
            }
            Err(e) => {
                findings.push(problem(
                    "key",
                    &Failure::from_client(Some("fetching a token with the key"), &e),
                ));
                return;
            }
        }
    }
    match session.client.voices() {
        Ok(voices) => findings.push(Finding::new(
            "token",
            Level::Ok,
            format!(
                "the service accepted the {what_is_checked}: the voices list has {} voices",
                voices.len()
            ),
        )),
        Err(e) => findings.push(problem(
            "token",
            &Failure::from_client(
                Some("listing voices (the smallest authenticated request)"),
                &e,
            ),
        )),
    }
    session.finish(global);
}

/// Run `doctor`.
pub(crate) fn run(global: &GlobalArgs, args: &DoctorArgs) -> Result<ExitCode, Failure> {
    let mut findings = Vec::new();
    if let Some(target) = check_config(global, &mut findings) {
        check_service(global, target, &mut findings);
    }
    if let Some(path) = &args.audio {
        findings.extend(audio_check::inspect(path));
    }
    match global.output {
        OutputArg::Text | OutputArg::Srt | OutputArg::Vtt => emit(&report::text(&findings)),
        OutputArg::Json => emit_line(report::json(&findings)),
    }
    Ok(report::exit_code(&findings).map_or(ExitCode::SUCCESS, Code::exit_code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Secret;

    fn global(endpoint: Option<&str>, region: Option<&str>, key: Option<&str>) -> GlobalArgs {
        GlobalArgs {
            endpoint: endpoint.map(str::to_owned),
            region: region.map(str::to_owned),
            key: key.map(|k| Secret::from(k.to_owned())),
            ..GlobalArgs::default()
        }
    }

    fn levels(findings: &[Finding]) -> Vec<Level> {
        findings.iter().map(|f| f.level).collect()
    }

    #[test]
    fn a_region_typo_is_a_warning() {
        let mut f = Vec::new();
        assert!(check_config(&global(None, Some("westeurop"), Some("k")), &mut f).is_some());
        assert_eq!(levels(&f), [Level::Ok, Level::Warning]);
        assert!(f[1].message.contains("westeurop"));
        assert!(f[1].fix.is_some());

        let mut f = Vec::new();
        assert!(check_config(&global(None, Some("westeurope"), Some("k")), &mut f).is_some());
        assert_eq!(levels(&f), [Level::Ok]);
    }

    #[test]
    fn a_key_that_is_a_url_stops_the_checks() {
        let mut f = Vec::new();
        let g = global(
            None,
            Some("westeurope"),
            Some("https://westeurope.api.cognitive.microsoft.com/"),
        );
        assert!(check_config(&g, &mut f).is_none());
        assert_eq!(levels(&f), [Level::Problem(Code::Usage)]);
    }

    #[test]
    fn endpoint_and_another_region_is_a_warning() {
        let mut f = Vec::new();
        let g = global(
            Some("https://eastus.api.cognitive.microsoft.com/"),
            Some("westus"),
            Some("k"),
        );
        assert!(check_config(&g, &mut f).is_some());
        assert_eq!(levels(&f), [Level::Ok, Level::Warning]);
        assert!(f[0].message.contains("eastus"), "{}", f[0].message);

        let mut f = Vec::new();
        let g = global(
            Some("https://eastus.api.cognitive.microsoft.com/"),
            Some("eastus"),
            Some("k"),
        );
        assert!(check_config(&g, &mut f).is_some());
        assert_eq!(levels(&f), [Level::Ok]);
    }

    #[test]
    fn plain_http_to_a_remote_host_is_a_configuration_problem() {
        let mut f = Vec::new();
        assert!(check_config(
            &global(Some("http://speech.example.com"), None, Some("k")),
            &mut f
        )
        .is_none());
        assert_eq!(levels(&f), [Level::Problem(Code::Usage)]);
        assert!(f[0].message.contains("http"), "{}", f[0].message);
    }
}
