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

use crate::server::AppState;

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
    let scope = crate::stt::query_pairs(&form)
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
