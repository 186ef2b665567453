//! `POST /sts/v1.0/issueToken`: exchange a subscription key for a 10-minute JWT.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use http_body_util::BodyExt;

use crate::state::AppState;

/// The largest request body read (the documented body is empty).
const MAX_BODY: usize = 64 * 1024;

const LENGTH_REQUIRED: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n\
<HTML><HEAD><TITLE>Length Required</TITLE>\r\n\
<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n\
<BODY><h2>Length Required</h2>\r\n<hr><p>HTTP Error 411. The request must be chunked or have a content length.</p>\r\n\
</BODY></HTML>\r\n";

/// The token endpoint. Checks, in order: a body length is declared (`411` otherwise, as observed: spec
/// §1.2), the subscription key (`401` with the gateway's JSON body), then answers `200` with the token as
/// the whole body (`Content-Type: application/jwt; charset=us-ascii`).
pub(crate) async fn issue(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if !headers.contains_key(header::CONTENT_LENGTH)
        && !headers.contains_key(header::TRANSFER_ENCODING)
    {
        return (
            StatusCode::LENGTH_REQUIRED,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=us-ascii"),
                ),
                (header::CONNECTION, HeaderValue::from_static("close")),
            ],
            LENGTH_REQUIRED,
        )
            .into_response();
    }
    let key = match state.auth.check_sts(headers) {
        Ok(key) => key.to_vec(),
        Err(denied) => return denied.into_response(),
    };
    // The body is ignored, but read (up to a cap) so that the connection can be reused.
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    if limited.collect().await.is_err() {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONNECTION, HeaderValue::from_static("close"))],
        )
            .into_response();
    }
    let token = state.auth.mint(&key);
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/jwt; charset=us-ascii"),
        )],
        token,
    )
        .into_response()
}
