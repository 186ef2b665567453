//! The spec's own curl commands, run as a subprocess against the emulator.

mod common;

use std::process::Command;

use common::*;
use speech_emulator::EmulatorHandle;

fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "30",
            "--write-out",
            "\n%{http_code}",
        ])
        .args(args)
        .output()
        .expect("curl is installed (apt-get install curl)");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("status line");
    (code.trim().parse().expect("status"), body.to_owned())
}

fn start() -> EmulatorHandle {
    builder().start_blocking().expect("start")
}

#[test]
fn token_with_content_length_zero() {
    let emu = start();
    let url = format!("{}/sts/v1.0/issueToken", emu.base_url());
    // Spec §1.2 / S2 sample.
    let (code, token) = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        &format!("Ocp-Apim-Subscription-Key: {KEY}"),
        "-H",
        "Content-type: application/x-www-form-urlencoded",
        "-H",
        "Content-Length: 0",
    ]);
    assert_eq!(code, 200);
    assert_eq!(token.matches('.').count(), 2);
    let (code, body) = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        "Ocp-Apim-Subscription-Key: wrong",
        "-H",
        "Content-Length: 0",
    ]);
    assert_eq!(code, 401);
    assert!(body.contains("\"code\":\"401\""));
}

#[test]
fn recognition_with_chunked_upload_and_expect() {
    let emu = start();
    let dir = std::env::temp_dir().join(format!("speech-emulator-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("file.wav");
    std::fs::write(&file, speech_wav(400, 1200)).expect("write wav");
    let url = format!(
        "{}/speech/recognition/conversation/cognitiveservices/v1?language=en-US&format=detailed",
        emu.base_url()
    );
    let (code, body) = curl(&[
        "-X",
        "POST",
        &url,
        "-H",
        &format!("Ocp-Apim-Subscription-Key: {KEY}"),
        "-H",
        "Content-Type: audio/wav; codecs=audio/pcm; samplerate=16000",
        "-H",
        "Transfer-Encoding: chunked",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &format!("@{}", file.display()),
    ]);
    assert_eq!(code, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(json["RecognitionStatus"], "Success");
    assert_eq!(json["Offset"].as_u64(), Some(4_000_000));
    assert_eq!(json["Duration"].as_u64(), Some(12_000_000));
    assert!(json["NBest"][0]["Display"].is_string());
    let logged = emu.requests();
    assert_eq!(logged[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(logged[0].header("expect"), Some("100-continue"));
    assert_eq!(logged[0].header("ocp-apim-subscription-key"), Some("***"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn synthesis_and_voices_over_https() {
    let emu = builder().tls(true).start_blocking().expect("start");
    let dir = std::env::temp_dir().join(format!("speech-emulator-curl-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, emu.ca_cert_pem().expect("CA")).expect("write CA");
    let ca = ca.display().to_string();
    let (code, body) = curl(&[
        "--cacert",
        &ca,
        &format!("{}/cognitiveservices/voices/list", emu.base_url()),
        "-H",
        &format!("Ocp-Apim-Subscription-Key: {KEY}"),
    ]);
    assert_eq!(code, 200);
    assert!(body.starts_with('['));
    let out = dir.join("out.wav");
    let (code, _) = curl(&[
        "--cacert",
        &ca,
        "-X",
        "POST",
        &format!("{}/cognitiveservices/v1", emu.base_url()),
        "-H",
        &format!("Ocp-Apim-Subscription-Key: {KEY}"),
        "-H",
        "Content-Type: application/ssml+xml",
        "-H",
        "X-Microsoft-OutputFormat: riff-24khz-16bit-mono-pcm",
        "-H",
        "User-Agent: curl",
        "--data-raw",
        "<speak version='1.0' xml:lang='en-US'><voice name='en-US-AvaNeural'>Hello curl.</voice></speak>",
        "--output",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 200);
    let audio = std::fs::read(&out).expect("audio file");
    assert_eq!(&audio[..4], b"RIFF");
    let _ = std::fs::remove_dir_all(&dir);
}
