//! The token service: `POST /sts/v1.0/issueToken`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;

const STS: &str = "/sts/v1.0/issueToken";

fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[tokio::test]
async fn issues_a_signed_jwt_with_claims() {
    let emu = builder()
        .region("northeurope")
        .start()
        .await
        .expect("start");
    let r = Req::post(STS)
        .key(KEY)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/jwt; charset=us-ascii")
    );
    let token = r.text();
    assert_eq!(token.matches('.').count(), 2, "{token}");
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap_or(""))
            .expect("b64"),
    )
    .expect("JSON header");
    assert_eq!(header["alg"], "HS256");
    let c = claims(&token);
    assert_eq!(c["region"], "northeurope");
    assert_eq!(c["aud"], "urn:ms.speechservices.northeurope");
    let exp = c["exp"].as_u64().expect("numeric exp");
    // Default lifetime: 10 minutes.
    assert!(exp >= now() + 590 && exp <= now() + 601, "exp {exp}");
    assert!(!token.contains(KEY));
}

#[tokio::test]
async fn lifetime_is_configurable() {
    let emu = builder()
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .expect("start");
    let r = Req::post(STS).key(KEY).send(emu.addr()).await;
    let exp = claims(&r.text())["exp"].as_u64().expect("exp");
    assert!(exp <= now() + 61 && exp >= now() + 50, "exp {exp}");
}

#[tokio::test]
async fn wrong_or_missing_key_is_401_with_gateway_json() {
    let emu = emulator().await;
    let r = Req::post(STS).key("wrong").send(emu.addr()).await;
    assert_eq!(r.status, 401);
    let body = r.json();
    assert_eq!(body["error"]["code"], "401");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m
            .starts_with("Access denied due to invalid subscription key or wrong API endpoint.")));
    let r = Req::post(STS).send(emu.addr()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "401");
    // Bearer tokens are not accepted by the token service.
    let token = emu.issue_token();
    let r = Req::post(STS).bearer(&token).send(emu.addr()).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn length_required_without_content_length_or_chunking() {
    let emu = emulator().await;
    let r = Req::post(STS).key(KEY).no_length().send(emu.addr()).await;
    assert_eq!(r.status, 411);
    assert!(r.text().contains("Length Required"));
    // Chunked (with an empty body) is fine.
    let r = Req::post(STS).key(KEY).chunked(16).send(emu.addr()).await;
    assert_eq!(r.status, 200);
    // A form body is read and ignored.
    let r = Req::post(STS).key(KEY).body("a=b").send(emu.addr()).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn several_keys_and_keep_alive() {
    let emu = builder().key("second").start().await.expect("start");
    let mut tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("connect");
    for key in [KEY, "second", KEY] {
        let r = Req::post(STS).key(key).send_on(&mut tcp).await;
        assert_eq!(r.status, 200, "{key}");
    }
    assert_eq!(emu.keys().len(), 2);
}

#[tokio::test]
async fn lower_case_path_and_wrong_method() {
    let emu = emulator().await;
    let r = Req::post("/sts/v1.0/issuetoken")
        .key(KEY)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let r = Req::get(STS).key(KEY).send(emu.addr()).await;
    assert_eq!(r.status, 405);
    let r = Req::get("/no/such/thing").key(KEY).send(emu.addr()).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "404");
}
