//! Speech-to-text: `POST /speech/recognition/{mode}/cognitiveservices/v1`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use speech_emulator::engine::{EngineError, RecognitionInput, Recognizer, Transcript};
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_emulator::RecognitionMode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn text(t: &str) -> Transcript {
    Transcript::Text {
        text: t.to_owned(),
        confidence: 0.87,
    }
}

/// Offsets and durations the voice-activity detector measures: it decides per 16 ms frame, so they are within
/// two frames (32 ms, 320 000 ticks) of where the test audio's tone starts and ends.
#[track_caller]
fn assert_ticks(actual: Option<u64>, expected: u64) {
    let actual = actual.expect("a number of ticks");
    assert!(
        actual.abs_diff(expected) <= 320_000,
        "{actual} ticks, expected {expected} (± 32 ms)"
    );
}

async fn with_recognizer() -> (speech_emulator::EmulatorHandle, Arc<ScriptedRecognizer>) {
    let rec = Arc::new(ScriptedRecognizer::new());
    let emu = builder()
        .recognizer(rec.clone())
        .start()
        .await
        .expect("start");
    (emu, rec)
}

#[tokio::test]
async fn simple_success_shape() {
    let (emu, rec) = with_recognizer().await;
    rec.push(text("My voice is my passport, verify me."));
    let r = stt("language=en-US", speech_wav(500, 1000))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body = r.json();
    let obj = body.as_object().expect("object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["DisplayText", "Duration", "Offset", "RecognitionStatus"]
    );
    assert_eq!(body["RecognitionStatus"], "Success");
    assert_eq!(body["DisplayText"], "My voice is my passport, verify me.");
    // 500 ms of silence, then 1 s of tone: ticks of 100 ns, as numbers.
    assert_ticks(body["Offset"].as_u64(), 5_000_000);
    assert_ticks(body["Duration"].as_u64(), 10_000_000);
    // The recognizer got the voiced stretch and 500 ms of the audio around it on each side (all there is: 500 ms
    // before, 200 ms after): the detector's edge falls after soft onsets, which the recognizer needs to hear.
    let calls = rec.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].samples, 8_000 + 16_000 + 3_200);
    assert_eq!(calls[0].language, "en-US");
}

#[tokio::test]
async fn detailed_shape_and_text_forms() {
    let (emu, rec) = with_recognizer().await;
    rec.push(text("I have 2 dogs."));
    let r = stt("language=en-US&format=detailed", speech_wav(300, 800))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["RecognitionStatus"], "Success");
    assert_ticks(body["Offset"].as_u64(), 3_000_000);
    assert_ticks(body["Duration"].as_u64(), 8_000_000);
    let best = &body["NBest"][0];
    assert_eq!(best["Confidence"].as_f64(), Some(0.87));
    assert_eq!(best["Lexical"], "i have two dogs");
    assert_eq!(best["ITN"], "i have 2 dogs");
    assert_eq!(best["MaskedITN"], "i have 2 dogs");
    assert_eq!(best["Display"], "I have 2 dogs.");
    assert_eq!(body["NBest"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn profanity_modes() {
    let (emu, rec) = with_recognizer().await;
    rec.push(text("Damn it."));
    let r = stt("language=en-US&profanity=masked", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.json()["DisplayText"], "**** it.");
    rec.push(text("Damn it."));
    let r = stt("language=en-US&profanity=raw", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.json()["DisplayText"], "Damn it.");
    rec.push(text("Damn it."));
    let r = stt("language=en-US&profanity=removed", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.json()["DisplayText"], "It.");
    // Nothing but profanity, removed: no speech result.
    rec.push(text("Damn!"));
    let r = stt("language=en-US&profanity=removed", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    let body = r.json();
    assert_eq!(body["RecognitionStatus"], "NoMatch");
    assert!(body.get("DisplayText").is_none());
}

#[tokio::test]
async fn no_match_and_babble_from_the_engine() {
    let (emu, rec) = with_recognizer().await;
    rec.push(Transcript::NoMatch);
    let body = stt("language=en-US", speech_wav(200, 600))
        .send(emu.addr())
        .await
        .json();
    assert_eq!(body["RecognitionStatus"], "NoMatch");
    assert_ticks(body["Offset"].as_u64(), 2_000_000);
    assert_ticks(body["Duration"].as_u64(), 6_000_000);
    assert!(body.get("DisplayText").is_none());
    rec.push(Transcript::Babble);
    let body = stt("language=en-US&format=detailed", speech_wav(200, 600))
        .send(emu.addr())
        .await
        .json();
    assert_eq!(body["RecognitionStatus"], "BabbleTimeout");
    assert_eq!(body["Duration"].as_u64(), Some(0));
    assert!(body.get("NBest").is_none());
}

#[tokio::test]
async fn silence_noise_and_late_speech() {
    let (emu, rec) = with_recognizer().await;
    // Only silence (3 s, shorter than the 15 s conversation timeout): listened to all of it.
    let body = stt("language=en-US", wav(&silence(3000)))
        .send(emu.addr())
        .await
        .json();
    assert_eq!(body["RecognitionStatus"], "InitialSilenceTimeout");
    assert_eq!(body["Offset"].as_u64(), Some(30_000_000));
    assert_eq!(body["Duration"].as_u64(), Some(0));
    assert!(body.get("DisplayText").is_none());
    // Noise: BabbleTimeout.
    let mut audio = silence(100);
    audio.extend(noise(2000));
    let body = stt("language=en-US", wav(&audio))
        .send(emu.addr())
        .await
        .json();
    assert_eq!(body["RecognitionStatus"], "BabbleTimeout");
    assert_eq!(body["Duration"].as_u64(), Some(0));
    // Interactive mode gives up after 5 s of leading silence.
    let r = Req::post(&stt_path("interactive", "language=en-US"))
        .key(KEY)
        .header("Content-Type", WAV_CT)
        .body(speech_wav(6000, 500))
        .send(emu.addr())
        .await;
    let body = r.json();
    assert_eq!(body["RecognitionStatus"], "InitialSilenceTimeout");
    assert_eq!(body["Offset"].as_u64(), Some(50_000_000));
    // The same audio in conversation mode (15 s) is heard.
    let body = stt("language=en-US", speech_wav(6000, 500))
        .send(emu.addr())
        .await
        .json();
    assert_eq!(body["RecognitionStatus"], "Success");
    assert_eq!(body["Offset"].as_u64(), Some(60_000_000));
    // The engine was asked only when there was speech.
    assert_eq!(rec.calls().len(), 1);
}

#[tokio::test]
async fn configurable_initial_silence_timeout_and_modes() {
    let emu = builder()
        .initial_silence_timeout(RecognitionMode::Dictation, Duration::from_secs(1))
        .start()
        .await
        .expect("start");
    let r = Req::post(&stt_path("dictation", "language=en-US"))
        .key(KEY)
        .header("Content-Type", WAV_CT)
        .body(speech_wav(2000, 500))
        .send(emu.addr())
        .await;
    let body = r.json();
    assert_eq!(body["RecognitionStatus"], "InitialSilenceTimeout");
    assert_eq!(body["Offset"].as_u64(), Some(10_000_000));
    // The custom-domain prefix and the interactive mode.
    let r = Req::post(&format!(
        "/stt{}",
        stt_path("interactive", "language=de-DE")
    ))
    .key(KEY)
    .header("Content-Type", WAV_CT)
    .body(speech_wav(100, 500))
    .send(emu.addr())
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["RecognitionStatus"], "Success");
    let r = Req::post(&stt_path("shouting", "language=en-US"))
        .key(KEY)
        .header("Content-Type", WAV_CT)
        .body(speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn query_validation() {
    let emu = emulator().await;
    for query in [
        "",
        "format=simple",
        "language=",
        "language=english",
        "language=en-US&cid=bad%20id",
    ] {
        let r = stt(query, speech_wav(100, 300)).send(emu.addr()).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(
            r.json(),
            serde_json::json!({"Message": "Invalid CID or language"}),
            "{query}"
        );
    }
    for query in [
        "language=en-US&format=verbose",
        "language=en-US&profanity=bleep",
    ] {
        let r = stt(query, speech_wav(100, 300)).send(emu.addr()).await;
        assert_eq!(r.status, 400, "{query}");
        assert!(r.json()["Message"].is_string(), "{query}");
    }
    let r = stt(
        "language=en-US&cid=0f4a2e71-1b3c-4e3f-9d5a-2c6b7a8e9f01&format=DETAILED&profanity=Raw",
        speech_wav(100, 300),
    )
    .send(emu.addr())
    .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["NBest"].is_array());
}

#[tokio::test]
async fn content_type_and_body_checks() {
    let emu = emulator().await;
    let unsupported = serde_json::json!({"Message": "Unsupported audio format"});
    for ct in [
        "application/json",
        "audio/mpeg",
        "audio/wav; samplerate=44100",
        "audio/ogg; codecs=vorbis",
    ] {
        let r = Req::post(&stt_path("conversation", "language=en-US"))
            .key(KEY)
            .header("Content-Type", ct)
            .body(speech_wav(100, 300))
            .send(emu.addr())
            .await;
        assert_eq!(r.status, 400, "{ct}");
        assert_eq!(r.json(), unsupported, "{ct}");
    }
    let r = Req::post(&stt_path("conversation", "language=en-US"))
        .key(KEY)
        .body(speech_wav(100, 300))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 400, "no content type");
    // Bodies that are not audio: JSON, base64 of a WAV, empty.
    let b64 = STANDARD.encode(speech_wav(100, 300));
    for body in [
        br#"{"audio":"AAAA"}"#.to_vec(),
        b64.into_bytes(),
        Vec::new(),
    ] {
        let r = stt("language=en-US", body).send(emu.addr()).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json(), unsupported);
    }
    // Real audio that is not what the service takes (44.1 kHz stereo WAV): heard as silence.
    let stereo = wav_with(&tone(2000, 440.0), 44_100, 2);
    let r = stt("language=en-US", stereo).send(emu.addr()).await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["RecognitionStatus"], "InitialSilenceTimeout");
    assert_eq!(body["Duration"].as_u64(), Some(0));
}

#[tokio::test]
async fn wav_declared_as_ogg_is_misheard() {
    let emu = emulator().await;
    let r = Req::post(&stt_path("conversation", "language=en-US"))
        .key(KEY)
        .header("Content-Type", "audio/ogg; codecs=opus")
        .body(speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["RecognitionStatus"], "InitialSilenceTimeout");
}

#[tokio::test]
async fn only_the_first_60_seconds_are_heard() {
    let (emu, rec) = with_recognizer().await;
    let mut audio = silence(1000);
    audio.extend(tone(70_000, 300.0));
    let body = stt("language=en-US", wav(&audio))
        .send(emu.addr())
        .await
        .json();
    assert_eq!(body["RecognitionStatus"], "Success");
    assert_ticks(body["Offset"].as_u64(), 10_000_000);
    assert_ticks(body["Duration"].as_u64(), 590_000_000);
    // The 59 s of tone within the first 60 s, and the 500 ms of silence before it (the tone's start within a
    // 16 ms frame); nothing after the cut.
    let heard = rec.calls()[0].samples;
    assert!(heard.abs_diff(59 * 16_000 + 8_000) <= 256, "{heard}");
}

fn pron_header(json: &str) -> String {
    STANDARD.encode(json)
}

#[tokio::test]
async fn pronunciation_assessment() {
    let (emu, rec) = with_recognizer().await;
    rec.push(text("Good morning."));
    let header = pron_header(
        r#"{"ReferenceText":"Good morning.","GradingSystem":"HundredMark","Granularity":"Word","Dimension":"Comprehensive","EnableMiscue":"True"}"#,
    );
    let r = stt("language=en-US&format=detailed", speech_wav(200, 1000))
        .header("Pronunciation-Assessment", &header)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    let best = &body["NBest"][0];
    for score in [
        "AccuracyScore",
        "FluencyScore",
        "CompletenessScore",
        "PronScore",
    ] {
        assert_eq!(best[score].as_f64(), Some(100.0), "{score}: {body}");
    }
    let words = best["Words"].as_array().expect("Words");
    assert_eq!(words.len(), 2);
    assert_eq!(words[0]["Word"], "good");
    assert_eq!(words[0]["ErrorType"], "None");
    assert_ticks(words[0]["Offset"].as_u64(), 2_000_000);
    assert!(words[0]["Duration"].as_u64().is_some_and(|d| d > 0));
    assert_eq!(words[0]["Confidence"].as_f64(), Some(0.0));
    assert!(words[1]["AccuracyScore"].is_number());

    // A miscue: a word left out, five-point grading.
    rec.push(text("Good."));
    let header = pron_header(r#"{"ReferenceText":"Good morning","EnableMiscue":true}"#);
    let body = stt("language=en-US&format=detailed", speech_wav(200, 1000))
        .header("Pronunciation-Assessment", &header)
        .send(emu.addr())
        .await
        .json();
    let best = &body["NBest"][0];
    assert_eq!(best["CompletenessScore"].as_f64(), Some(2.5));
    let kinds: Vec<&str> = best["Words"]
        .as_array()
        .map(|w| w.iter().filter_map(|w| w["ErrorType"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kinds, ["None", "Omission"]);

    // With assessment only the first 30 s are heard.
    let mut audio = silence(500);
    audio.extend(tone(40_000, 300.0));
    let body = stt("language=en-US&format=detailed", wav(&audio))
        .header(
            "Pronunciation-Assessment",
            &pron_header(r#"{"ReferenceText":"x"}"#),
        )
        .send(emu.addr())
        .await
        .json();
    assert_ticks(body["Duration"].as_u64(), 295_000_000);

    // Broken headers.
    for bad in [
        "not base64!",
        &pron_header("{}"),
        &pron_header(r#"{"ReferenceText":"x","Granularity":"Letter"}"#),
    ] {
        let r = stt("language=en-US", speech_wav(100, 300))
            .header("Pronunciation-Assessment", bad)
            .send(emu.addr())
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["Message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Invalid Pronunciation-Assessment header")));
    }
}

struct Broken;

impl Recognizer for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn recognize(&self, _input: RecognitionInput<'_>) -> Result<Transcript, EngineError> {
        Err(EngineError::new("model missing: run scripts/setup.sh"))
    }
}

#[tokio::test]
async fn engine_failure_is_500() {
    let emu = builder()
        .recognizer(Arc::new(Broken))
        .start()
        .await
        .expect("start");
    let r = stt("language=en-US", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 500);
    assert!(r.json()["Message"]
        .as_str()
        .is_some_and(|m| m.contains("model missing")));
}

/// An English-only engine that says it has been called.
struct EnglishOnly(std::sync::atomic::AtomicUsize);

impl Recognizer for EnglishOnly {
    fn name(&self) -> &str {
        "english-only"
    }
    fn speaks(&self, language: &str) -> bool {
        language.to_ascii_lowercase().starts_with("en")
    }
    fn recognize(&self, _input: RecognitionInput<'_>) -> Result<Transcript, EngineError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(text("Hello."))
    }
}

#[tokio::test]
async fn a_language_the_engine_cannot_speak_is_refused_before_the_audio() {
    let engine = Arc::new(EnglishOnly(Default::default()));
    let emu = builder()
        .recognizer(engine.clone())
        .start()
        .await
        .expect("start");
    let r = stt("language=de-DE", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({"Message": "Invalid CID or language"})
    );
    assert_eq!(engine.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    let r = stt("language=en-GB", speech_wav(100, 500))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["DisplayText"], "Hello.");
    assert_eq!(engine.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn auth_by_key_token_and_entra() {
    let resource = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";
    let emu = builder()
        .entra_resource_id(resource)
        .start()
        .await
        .expect("start");
    let path = stt_path("conversation", "language=en-US");
    let req = |r: Req| r.header("Content-Type", WAV_CT).body(speech_wav(100, 400));

    // Token from the token service, then used as a bearer.
    let token = Req::post("/sts/v1.0/issueToken")
        .key(KEY)
        .send(emu.addr())
        .await
        .text();
    let r = req(Req::post(&path).bearer(&token)).send(emu.addr()).await;
    assert_eq!(r.status, 200);
    // Entra.
    let r = req(Req::post(&path).bearer(&format!("aad#{resource}#eyJhbGciOi.entra.token")))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    let r = req(Req::post(&path).bearer("aad#/subscriptions/other#eyJ"))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 401);
    // Garbage bearer, wrong key: 401 with the gateway JSON.
    let r = req(Req::post(&path).bearer("not.a.token"))
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "401");
    let r = req(Req::post(&path).key("wrong")).send(emu.addr()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "401");
    // Nothing: 403.
    let r = req(Req::post(&path)).send(emu.addr()).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "403");
    // Credentials are checked before the query.
    let r = Req::post(&stt_path("conversation", ""))
        .key("wrong")
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn entra_tokens_from_the_test_issuer_expire_and_must_be_for_cognitive_services() {
    let resource = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";
    let emu = builder()
        .entra_resource_id(resource)
        .entra_token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .expect("start");
    let path = stt_path("conversation", "language=en-US");
    let send = |token: &str| {
        Req::post(&path)
            .header("Content-Type", WAV_CT)
            .body(speech_wav(100, 400))
            .bearer(&format!("aad#{resource}#{token}"))
    };
    // From the issuer's endpoint, as azure_identity asks: a form with the scope.
    let issued = Req::post("/entra-test/token")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(&b"grant_type=client_credentials&client_id=x&scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default"[..])
        .send(emu.addr())
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let answer = issued.json();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 2);
    let token = answer["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(send(&token).send(emu.addr()).await.status, 200);
    // The same token as a plain bearer on fast transcription's host is checked the same way; as a token
    // service token on the speech hosts it is not one.
    let r = Req::post(&path)
        .header("Content-Type", WAV_CT)
        .body(speech_wav(100, 400))
        .bearer(&token)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 401);

    // Another scope: 401 naming the audience and the Speech roles.
    let (management, _) = emu.entra_token("https://management.azure.com/.default");
    let r = send(&management).send(emu.addr()).await;
    assert_eq!(r.status, 401);
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("cognitiveservices.azure.com/.default"),
        "{message}"
    );
    assert!(
        message.contains("Cognitive Services Speech User"),
        "{message}"
    );

    // Expired: 401 saying so.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let r = send(&token).send(emu.addr()).await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("expired"), "{}", r.text());

    // A JWT from elsewhere: 401. No scope: the issuer's 400.
    let foreign =
        "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzLmF6dXJlLmNvbSJ9.c2ln";
    assert_eq!(send(foreign).send(emu.addr()).await.status, 401);
    let r = Req::post("/entra-test/token")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(&b"grant_type=client_credentials"[..])
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");
}

#[tokio::test]
async fn expired_and_foreign_tokens_are_401() {
    let expired = builder()
        .token_lifetime(Duration::ZERO)
        .start()
        .await
        .expect("start");
    let token = Req::post("/sts/v1.0/issueToken")
        .key(KEY)
        .send(expired.addr())
        .await
        .text();
    // With a valid key as well, the key wins.
    let r = stt("language=en-US", speech_wav(100, 300))
        .header("Authorization", &format!("Bearer {token}"))
        .send(expired.addr())
        .await;
    assert_eq!(r.status, 200);
    let r = Req::post(&stt_path("conversation", "language=en-US"))
        .bearer(&token)
        .header("Content-Type", WAV_CT)
        .body(speech_wav(100, 300))
        .send(expired.addr())
        .await;
    assert_eq!(r.status, 401);
    assert!(r.json()["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("expired")));

    // A token of another emulator is not accepted.
    let other = emulator().await;
    let foreign = other.issue_token();
    let r = Req::post(&stt_path("conversation", "language=en-US"))
        .bearer(&foreign)
        .header("Content-Type", WAV_CT)
        .body(speech_wav(100, 300))
        .send(expired.addr())
        .await;
    assert_eq!(r.status, 401);
}

// ---------------------------------------------------------------------------------------------------------
// Framing: chunked, 100-continue, timeouts, caps
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn chunked_upload_with_expect_100_continue() {
    let emu = emulator().await;
    let req = stt("language=en-US", speech_wav(300, 700))
        .header("Expect", "100-continue")
        .chunked(1000);
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&req.head_bytes()).await.expect("head");
    // The server answers 100 Continue before a single body byte is sent.
    let mut first = Vec::new();
    let mut buf = [0u8; 256];
    while !first.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::io::AsyncReadExt::read(&mut tcp, &mut buf)
            .await
            .expect("read");
        assert!(n > 0, "connection closed before 100 Continue");
        first.extend_from_slice(&buf[..n]);
    }
    assert!(
        first.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{:?}",
        String::from_utf8_lossy(&first)
    );
    tcp.write_all(&req.body_bytes()).await.expect("body");
    let r = read_response(&mut tcp).await.expect("response");
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["RecognitionStatus"], "Success");
    assert_ticks(body["Offset"].as_u64(), 3_000_000);
    assert_ticks(body["Duration"].as_u64(), 7_000_000);
    // The log counts body bytes, not chunk framing.
    assert_eq!(
        emu.requests()[0].body_len,
        speech_wav(300, 700).len() as u64
    );
}

#[tokio::test]
async fn rejected_request_gets_no_100_continue() {
    let emu = emulator().await;
    let req = Req::post(&stt_path("conversation", "language=en-US"))
        .key("wrong")
        .header("Content-Type", WAV_CT)
        .header("Expect", "100-continue")
        .chunked(1000)
        .body(speech_wav(100, 100));
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&req.head_bytes()).await.expect("head");
    let r = read_response(&mut tcp).await.expect("response");
    assert!(r.interim.is_empty());
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn chunked_upload_with_tiny_chunks_equals_length_upload() {
    let emu = emulator().await;
    let audio = speech_wav(250, 900);
    let a = stt("language=en-US&format=detailed", audio.clone())
        .send(emu.addr())
        .await;
    let b = stt("language=en-US&format=detailed", audio)
        .chunked(7)
        .send(emu.addr())
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json(), b.json());
}

#[tokio::test]
async fn streaming_wav_sizes_are_tolerated() {
    let emu = emulator().await;
    let mut audio = speech_wav(200, 600);
    audio[4..8].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    audio[40..44].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    let r = stt("language=en-US", audio)
        .chunked(4096)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["RecognitionStatus"], "Success");
}

#[tokio::test]
async fn no_audio_is_408() {
    let emu = builder()
        .audio_timeout(Duration::from_millis(300))
        .start()
        .await
        .expect("start");
    // Headers announce a chunked body, then nothing comes.
    let req = stt("language=en-US", Vec::new())
        .chunked(10)
        .header("Expect", "100-continue");
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&req.head_bytes()).await.expect("head");
    let r = read_response(&mut tcp).await.expect("response");
    assert_eq!(r.interim, [100]);
    assert_eq!(r.status, 408);
    assert!(r.body.is_empty());
    // A body that stops half way.
    let body = speech_wav(100, 300);
    let req = stt("language=en-US", body.clone());
    let mut tcp = TcpStream::connect(emu.addr()).await.expect("connect");
    tcp.write_all(&req.head_bytes()).await.expect("head");
    tcp.write_all(&body[..body.len() / 2])
        .await
        .expect("half body");
    let r = read_response(&mut tcp).await.expect("response");
    assert_eq!(r.status, 408);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let emu = builder()
        .max_body_bytes(10_000)
        .start()
        .await
        .expect("start");
    let r = stt("language=en-US", speech_wav(100, 1000))
        .chunked(4096)
        .send(emu.addr())
        .await;
    assert_eq!(r.status, 413);
    assert!(r.json()["Message"].is_string());
}
