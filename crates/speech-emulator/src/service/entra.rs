//! `POST /entra-test/token`: a stand-in for Microsoft Entra ID's token endpoint, for tests of keyless
//! authentication. It answers an OAuth 2.0 client-credentials request (`application/x-www-form-urlencoded`
//! with a `scope`, as `azure_identity` and `az account get-access-token` ask for) with
//! `{"token_type":"Bearer","expires_in":…,"ext_expires_in":…,"access_token":…}`. The token is a JWT signed by
//! this emulator, whose `aud` is the scope's resource and whose `exp` follows the configured lifetime
//! (`EmulatorBuilder::entra_token_lifetime`, default one hour).
//!
//! The speech endpoints then take it (`Authorization: Bearer aad#<resource id>#<token>` on the speech hosts, a
//! plain `Bearer <token>` on fast transcription) while it is unexpired and for
//! `https://cognitiveservices.azure.com`; an expired one, or one for another scope, is answered `401` with a
//! message that says which and how to fix it. No client secret is checked: this is a test issuer.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use http_body_util::BodyExt;

use crate::state::AppState;

/// The largest form read.
const MAX_BODY: usize = 16 * 1024;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": error, "error_description": description}).to_string();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// The token endpoint.
pub(crate) async fn token(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let limited = http_body_util::Limited::new(request.into_body(), MAX_BODY);
    let Ok(body) = limited.collect().await.map(|b| b.to_bytes()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body is too large.",
        );
    };
    let form = String::from_utf8_lossy(&body);
    let scope = crate::service::common::query_pairs(&form)
        .into_iter()
        .find(|(name, _)| name == "scope")
        .map(|(_, value)| value);
    let Some(scope) = scope.filter(|s| !s.trim().is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'scope'.",
        );
    };
    let lifetime = state.entra_token_lifetime;
    let (token, _) = state.auth.mint_entra(scope.trim(), lifetime);
    let body = serde_json::json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": token,
    })
    .to_string();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// The `az` stand-in: a Python 3 script answering `az account get-access-token` from the issuer at `{URL}`.
const AZ_STAND_IN: &str = r#"#!/usr/bin/env python3
# A stand-in for the Azure CLI's `az account get-access-token`, written by speech-emulator: it answers with test
# Entra tokens from the emulator's issuer at the URL below (valid only against that emulator).
import json, sys, time, urllib.parse, urllib.request

URL = "{URL}"
args = sys.argv[1:]
if args[:2] != ["account", "get-access-token"]:
    sys.exit("az (speech-emulator stand-in): only `az account get-access-token` is emulated")

def opt(*names):
    for name in names:
        if name in args and args.index(name) + 1 < len(args):
            return args[args.index(name) + 1]
    return None

resource = opt("--resource") or "https://management.core.windows.net/"
scope = opt("--scope") or resource.rstrip("/") + "/.default"
form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scope}).encode()
with urllib.request.urlopen(URL, form) as answer:
    issued = json.load(answer)
token = {
    "accessToken": issued["access_token"],
    "expires_on": int(time.time()) + int(issued["expires_in"]),
    "tokenType": "Bearer",
}
if opt("--query") == "accessToken" and opt("-o", "--output") == "tsv":
    print(token["accessToken"])
else:
    print(json.dumps(token, indent=2))
"#;

/// Write the `az` stand-in for the issuer at `url` into `dir` (see `EmulatorHandle::write_az_stand_in`).
pub(crate) fn write_az_stand_in(
    dir: &std::path::Path,
    url: &str,
) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join("az");
    std::fs::write(&path, AZ_STAND_IN.replace("{URL}", url))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(path)
}
