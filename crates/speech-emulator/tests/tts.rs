//! Text-to-speech (`POST /cognitiveservices/v1`) and the voices list.

mod common;

use std::sync::Arc;

use common::*;
use speech_emulator::engine::{EngineError, Pcm, SynthesisInput, Synthesizer};
use speech_emulator::engines::tone::ToneSynthesizer;

const SSML: &str = r#"<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US"><voice name="en-US-JennyNeural">Hello from the emulator.</voice></speak>"#;

fn tts(format: &str, ssml: &str) -> Req {
    Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", format)
        .header("User-Agent", "speech-emulator-tests")
        .body(ssml)
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[tokio::test]
async fn riff_audio_is_streamed_chunked() {
    let emu = emulator().await;
    let r = tts("riff-24khz-16bit-mono-pcm", SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.chunked,
        "audio is streamed with chunked transfer encoding"
    );
    assert!(r.complete);
    assert!(
        r.header("content-type")
            .is_some_and(|ct| ct.starts_with("audio/")),
        "{:?}",
        r.header("content-type")
    );
    let b = &r.body;
    assert_eq!(&b[..4], b"RIFF");
    assert_eq!(&b[8..12], b"WAVE");
    assert_eq!(le_u32(b, 24), 24_000);
    // The tone engine's length rule: "Hello from the emulator." = 5+4+3+9 chars * 60 ms + 3 gaps * 40 ms.
    let expected = ToneSynthesizer::expected_samples("Hello from the emulator.", 1.0);
    let data_len = (b.len() - 44) / 2;
    assert_eq!(data_len, expected);
}

#[tokio::test]
async fn raw_formats_resample_and_custom_domain_path() {
    let emu = emulator().await;
    let r = Req::post("/tts/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml; charset=utf-8")
        .header("X-Microsoft-OutputFormat", "raw-16khz-16bit-mono-pcm")
        .header("User-Agent", "t")
        .body(SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let samples_24k = ToneSynthesizer::expected_samples("Hello from the emulator.", 1.0);
    let samples = r.body.len() / 2;
    let expected = samples_24k * 2 / 3;
    assert!(samples.abs_diff(expected) <= 1, "{samples} vs {expected}");
    // Long voice names, bearer tokens, several segments.
    let token = emu.issue_token();
    let ssml = r#"<speak version='1.0' xml:lang='en-US'><voice name='Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)'>One.</voice><voice name='en-US-GuyNeural'>Two.</voice></speak>"#;
    let r = Req::post("/cognitiveservices/v1")
        .bearer(&token)
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "raw-24khz-16bit-mono-pcm")
        .header("User-Agent", "t")
        .body(ssml)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let expected = ToneSynthesizer::expected_samples("One.", 1.0)
        + ToneSynthesizer::expected_samples("Two.", 1.0);
    assert_eq!(r.body.len() / 2, expected);
}

#[tokio::test]
async fn header_checks() {
    let emu = emulator().await;
    // 415 unless application/ssml+xml.
    let r = Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "text/plain")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .header("User-Agent", "t")
        .body(SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 415);
    // User-Agent missing, or 255 characters and more.
    let no_ua = Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .body(SSML);
    assert_eq!(no_ua.send(emu.addr()).await.status, 400);
    let long = Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .header("User-Agent", &"u".repeat(255))
        .body(SSML);
    assert_eq!(long.send(emu.addr()).await.status, 400);
    let ok = Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .header("User-Agent", &"u".repeat(254))
        .body(SSML);
    assert_eq!(ok.send(emu.addr()).await.status, 200);
    // Output format missing or unknown.
    let no_format = Req::post("/cognitiveservices/v1")
        .key(KEY)
        .header("Content-Type", "application/ssml+xml")
        .header("User-Agent", "t")
        .body(SSML);
    assert_eq!(no_format.send(emu.addr()).await.status, 400);
    let r = tts("riff-96khz-64bit-mono-pcm", SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("riff-96khz-64bit-mono-pcm"));
    // Credentials.
    let r = Req::post("/cognitiveservices/v1")
        .key("wrong")
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .header("User-Agent", "t")
        .body(SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 401);
    let r = Req::post("/cognitiveservices/v1")
        .header("Content-Type", "application/ssml+xml")
        .header("X-Microsoft-OutputFormat", "riff-24khz-16bit-mono-pcm")
        .header("User-Agent", "t")
        .body(SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn unsupported_formats_are_400_naming_them() {
    let emu = emulator().await;
    let unsupported: Vec<&str> = speech_emulator::formats::output_formats()
        .iter()
        .filter(|f| !f.supported())
        .map(|f| f.name)
        .collect();
    assert!(!unsupported.is_empty());
    for name in unsupported {
        let r = tts(name, SSML).send(emu.addr()).await;
        assert_eq!(r.status, 400, "{name}");
        assert!(r.text().contains(name), "{name}: {}", r.text());
    }
    for format in speech_emulator::formats::output_formats()
        .iter()
        .filter(|f| f.supported())
    {
        let r = tts(format.name, SSML).send(emu.addr()).await;
        assert_eq!(r.status, 200, "{}: {}", format.name, r.text());
        assert!(!r.body.is_empty(), "{}", format.name);
        assert_eq!(
            r.header("content-type"),
            Some(format.content_type()),
            "{}",
            format.name
        );
    }
}

#[tokio::test]
async fn ssml_and_voice_errors() {
    let emu = emulator().await;
    for bad in [
        "not xml at all",
        "<speak version='1.0' xml:lang='en-US'><voice name='en-US-JennyNeural'>unclosed</speak>",
        "<speak version='1.0' xml:lang='en-US'></speak>",
    ] {
        let r = tts("riff-24khz-16bit-mono-pcm", bad).send(emu.addr()).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(!r.body.is_empty(), "SSML errors carry a message: {bad}");
    }
    let unknown = "<speak version='1.0' xml:lang='en-US'><voice name='en-US-NobodyNeural'>Hi.</voice></speak>";
    let r = tts("riff-24khz-16bit-mono-pcm", unknown)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.is_empty(), "unknown voice: empty body, as observed");
    let r = tts("riff-24khz-16bit-mono-pcm", "")
        .body(vec![0xff, 0xfe, 0x00])
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 400);
}

struct Failing;

impl Synthesizer for Failing {
    fn name(&self) -> &str {
        "failing"
    }
    fn synthesize(&self, _input: SynthesisInput<'_>) -> Result<Pcm, EngineError> {
        Err(EngineError::new(
            "flite is not installed: run scripts/setup.sh",
        ))
    }
}

#[tokio::test]
async fn engine_failure_is_500() {
    let emu = builder()
        .synthesizer(Arc::new(Failing))
        .start()
        .await
        .expect("start");
    let r = tts("riff-24khz-16bit-mono-pcm", SSML)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 500);
    assert!(r.text().contains("flite is not installed"));
}

#[tokio::test]
async fn voices_list() {
    let emu = emulator().await;
    for path in [
        "/cognitiveservices/voices/list",
        "/tts/cognitiveservices/voices/list",
    ] {
        let r = Req::get(path).key(KEY).send(emu.addr()).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let voices = r.json();
        let list = voices.as_array().expect("array");
        assert!(!list.is_empty());
        assert!(list.iter().any(|v| v["ShortName"] == "en-US-JennyNeural"));
        assert!(list
            .iter()
            .all(|v| v["Name"].is_string() && v["Locale"].is_string()));
        assert_eq!(r.body, speech_emulator::voices::list_json().into_bytes());
    }
    let token = emu.issue_token();
    let r = Req::get("/cognitiveservices/voices/list")
        .bearer(&token)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let r = Req::get("/cognitiveservices/voices/list")
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 403);
    let r = Req::get("/cognitiveservices/voices/list")
        .key("nope")
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 401);
}
