//! Synthesis, voices, TLS, and the service's faults: throttling, 5xx, resets, stalls, truncated answers.

mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use speech_emulator::StatusCode;
use speech_ureq::speech_proto::recognize::{RecognitionRequest, RecognitionStatus};
use speech_ureq::speech_proto::retry::TransportFailure;
use speech_ureq::speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::{Client, Error, ErrorKind};

const TTS_PATH: &str = "/cognitiveservices/v1";
const VOICES_PATH: &str = "/cognitiveservices/voices/list";
const STT_PATH: &str = "/speech/recognition/conversation/cognitiveservices/v1";

fn synthesis(format: OutputFormat) -> SynthesisRequest {
    let ssml = Ssml::simple("en-US", "en-US-AvaNeural", "Hello from the emulator");
    SynthesisRequest::new(&ssml, format, "speech-ureq-tests").unwrap()
}

fn read_all(client: &Client, format: OutputFormat) -> Vec<u8> {
    let mut stream = client.synthesize(&synthesis(format)).unwrap();
    assert_eq!(stream.format(), format);
    let mut audio = Vec::new();
    stream.read_to_end(&mut audio).unwrap();
    audio
}

#[test]
fn synthesis_streams_every_container() {
    let emu = emulator();
    let client = client(&emu);
    let riff = read_all(&client, OutputFormat::Riff24Khz16BitMonoPcm);
    assert!(riff.starts_with(b"RIFF") && &riff[8..12] == b"WAVE");
    let raw = read_all(&client, OutputFormat::Raw24Khz16BitMonoPcm);
    assert!(!raw.starts_with(b"RIFF"));
    assert_eq!(raw.len() % 2, 0);
    // The same speech, with and without the header.
    assert_eq!(riff.len() - raw.len(), 44);
    let mp3 = read_all(&client, OutputFormat::Audio24Khz48KBitRateMonoMp3);
    assert!(mp3.len() > 100);
    assert!(mp3.starts_with(b"ID3") || (mp3[0] == 0xFF && mp3[1] & 0xE0 == 0xE0));
    let logged = seen(&emu, TTS_PATH);
    assert_eq!(logged.len(), 3);
    assert!(logged
        .iter()
        .all(|r| r.header("user-agent") == Some("speech-ureq-tests")));
    assert_eq!(
        logged[2].header("x-microsoft-outputformat"),
        Some("audio-24khz-48kbitrate-mono-mp3")
    );
    assert_eq!(client.token_fetches(), 1);
}

#[test]
fn synthesis_refusals_are_typed() {
    let emu = emulator();
    let client = client(&emu);
    let unknown = Ssml::simple("en-US", "xx-XX-NobodyNeural", "Hello");
    let request =
        SynthesisRequest::new(&unknown, OutputFormat::Riff24Khz16BitMonoPcm, "t").unwrap();
    let err = client.synthesize(&request).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.hint().is_some());
    // Misuse from the core: nothing is sent.
    let empty = SynthesisRequest::from_body("", OutputFormat::Riff24Khz16BitMonoPcm, "t");
    assert_eq!(
        client.synthesize(&empty).unwrap_err().kind(),
        ErrorKind::Usage
    );
    assert_eq!(seen(&emu, TTS_PATH).len(), 1);
}

#[test]
fn a_truncated_synthesis_answer_is_an_error_not_a_short_file() {
    let emu = emulator();
    let client = client(&emu);
    let whole = read_all(&client, OutputFormat::Raw24Khz16BitMonoPcm);
    emu.faults().truncate_next(1);
    let mut stream = client
        .synthesize(&synthesis(OutputFormat::Raw24Khz16BitMonoPcm))
        .unwrap();
    let mut audio = Vec::new();
    let err = stream.read_to_end(&mut audio).unwrap_err();
    assert!(
        audio.len() < whole.len(),
        "{} of {}",
        audio.len(),
        whole.len()
    );
    assert!(!err.to_string().is_empty());
    // The client goes on working on a new connection.
    assert_eq!(read_all(&client, OutputFormat::Raw24Khz16BitMonoPcm), whole);
}

#[test]
fn voices_list() {
    let emu = emulator();
    let voices = client(&emu).voices().unwrap();
    assert!(
        voices.iter().any(|v| v.short_name == "en-US-AvaNeural"),
        "{voices:?}"
    );
    assert!(voices.iter().all(|v| !v.locale.is_empty()));
}

#[test]
fn throttling_is_waited_out_as_the_service_says() {
    let emu = emulator();
    let client = client(&emu);
    client.voices().unwrap(); // the token
    emu.faults().set_quota(1, Duration::from_secs(1));
    client.voices().unwrap(); // uses the window's one request
    client.voices().unwrap(); // 429 Retry-After: 1, then success
    emu.faults().clear();
    let statuses: Vec<_> = seen(&emu, VOICES_PATH).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(200), Some(200), Some(429), Some(200)]);
}

#[test]
fn throttling_a_stream_before_its_body_is_read_is_retried() {
    let emu = emulator();
    let client = client(&emu);
    client.voices().unwrap();
    emu.faults().set_max_concurrency(Some(0));
    let busy = std::thread::spawn({
        let faults = emu.faults();
        move || {
            std::thread::sleep(Duration::from_millis(300));
            faults.set_max_concurrency(None);
        }
    });
    let audio = speech_wav(500);
    // Each 429 carries Retry-After: 1; the client (4 attempts) waits it out.
    let result = client
        .recognize(
            Pieces::new(audio.clone(), 512),
            &RecognitionRequest::new("en-US"),
        )
        .unwrap();
    busy.join().unwrap();
    assert_eq!(result.status, Some(RecognitionStatus::Success));
    let logged = seen(&emu, STT_PATH);
    assert!(logged.len() >= 2, "{logged:?}");
    assert!(logged[..logged.len() - 1]
        .iter()
        .all(|r| r.status == Some(429) && r.body_len == 0));
    assert_eq!(logged.last().unwrap().body_len, audio.len() as u64);
}

#[test]
fn server_errors_are_retried_until_attempts_run_out() {
    let emu = emulator();
    let client = client(&emu);
    client.voices().unwrap();
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        emu.faults().fail_next(2, status);
        assert!(!client.voices().unwrap().is_empty());
        let r = client.recognize_bytes(&speech_wav(300), &RecognitionRequest::new("en-US"));
        assert_eq!(r.unwrap().status, Some(RecognitionStatus::Success));
    }
    let stt: Vec<_> = seen(&emu, STT_PATH).iter().map(|r| r.status).collect();
    assert_eq!(stt, vec![Some(200); 3]);
    // 2 failures + 1 success, three times.
    assert_eq!(seen(&emu, VOICES_PATH).len(), 1 + 3 * 3);

    emu.faults().fail_next(10, StatusCode::SERVICE_UNAVAILABLE);
    let keyed = client_builder(&emu)
        .auth_mode(speech_ureq::AuthMode::Key)
        .retry(quick_retry(3))
        .build()
        .unwrap();
    let err = keyed.voices().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.kind(), ErrorKind::Service);
    assert!(err.is_retryable());
    emu.faults().clear();
    let exhausted: Vec<_> = seen(&emu, VOICES_PATH)
        .iter()
        .rev()
        .take(3)
        .map(|r| r.status)
        .collect();
    assert_eq!(exhausted, vec![Some(503); 3]);
}

#[test]
fn a_reset_mid_upload_resends_bytes_but_not_a_stream() {
    let emu = emulator();
    let client = client(&emu);
    client.voices().unwrap(); // the token first: the fault hits the next request
    let audio = speech_wav(1000);
    emu.faults().reset_after_body_bytes(5000);
    let result = client
        .recognize_bytes(&audio, &RecognitionRequest::new("en-US"))
        .unwrap();
    assert_eq!(result.status, Some(RecognitionStatus::Success));
    let logged = seen(&emu, STT_PATH);
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0].status, None);
    assert_eq!(logged[1].body_len, audio.len() as u64);

    emu.faults().reset_after_body_bytes(5000);
    let err = client
        .recognize(Pieces::new(audio, 1000), &RecognitionRequest::new("en-US"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert_eq!(
        seen(&emu, STT_PATH).len(),
        3,
        "a partly sent stream is not resent"
    );
}

#[test]
fn a_stalled_answer_hits_the_read_timeout() {
    let emu = emulator();
    let client = client_builder(&emu)
        .read_timeout(Duration::from_millis(300))
        .no_retry()
        .build()
        .unwrap();
    client.voices().unwrap();
    emu.faults().stall_next(1);
    let err = client.voices().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                failure: TransportFailure::TimedOut,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.is_retryable());
    // With retries, the next attempt gets through.
    emu.faults().stall_next(1);
    let patient = client_builder(&emu)
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert!(!patient.voices().unwrap().is_empty());
}

#[test]
fn nothing_listening_is_a_network_error() {
    let emu = emulator();
    let base = emu.base_url().to_owned();
    emu.shutdown();
    drop(emu);
    let client = Client::builder(
        Endpoint::base_url(&base).unwrap(),
        Credential::key(KEY).unwrap(),
    )
    .proxy_from_env(false)
    .retry(quick_retry(2))
    .build()
    .unwrap();
    let err = client.voices().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert!(
        err.hint().is_some(),
        "the token service could not be reached: {err}"
    );
    let keyed = Client::builder(
        Endpoint::base_url(&base).unwrap(),
        Credential::key(KEY).unwrap(),
    )
    .auth_mode(speech_ureq::AuthMode::Key)
    .proxy_from_env(false)
    .retry(quick_retry(2))
    .build()
    .unwrap();
    let err = keyed.voices().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                failure: TransportFailure::Connect,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_explicit_proxy_is_used() {
    let emu = emulator();
    // A proxy that is not there: the request must fail to connect instead of reaching the emulator.
    let client = client_builder(&emu)
        .proxy(Some("http://127.0.0.1:9".to_owned()))
        .no_retry()
        .auth_mode(speech_ureq::AuthMode::Key)
        .build()
        .unwrap();
    assert_eq!(client.voices().unwrap_err().kind(), ErrorKind::Network);
    assert!(emu.requests().is_empty());
}

#[test]
fn tls_with_the_emulators_ca() {
    let emu = emulator_builder().tls(true).start_blocking().unwrap();
    assert!(emu.base_url().starts_with("https://"));
    let ca = emu.ca_cert_pem().expect("a CA with TLS");
    let client = client_builder(&emu)
        .add_root_certificate_pem(&ca)
        .build()
        .unwrap();
    let result = client
        .recognize(
            Pieces::new(speech_wav(500), 700),
            &RecognitionRequest::new("en-US"),
        )
        .unwrap();
    assert_eq!(result.status, Some(RecognitionStatus::Success));
    assert!(!read_all(&client, OutputFormat::Riff24Khz16BitMonoPcm).is_empty());

    // Without the CA, the certificate is refused, and that is not retried.
    let untrusting = client_builder(&emu).no_retry().build().unwrap();
    let err = untrusting.voices().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    let keyed = client_builder(&emu)
        .auth_mode(speech_ureq::AuthMode::Key)
        .retry(quick_retry(4))
        .build()
        .unwrap();
    let err = keyed.voices().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                failure: TransportFailure::Permanent,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn retry_waits_go_through_the_swappable_sleep_on_virtual_time() {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    let emu = emulator();
    let base = Instant::now();
    let offset = Arc::new(Mutex::new(Duration::ZERO));
    let slept = Arc::new(Mutex::new(Vec::new()));
    let client = client_builder(&emu)
        .retry(speech_ureq::RetryPolicy::default())
        .clock({
            let offset = offset.clone();
            Arc::new(move || base + *offset.lock().unwrap())
        })
        .sleep({
            let (offset, slept) = (offset.clone(), slept.clone());
            // Virtual time: a wait moves the clock instead of blocking the thread.
            Arc::new(move |d| {
                *offset.lock().unwrap() += d;
                slept.lock().unwrap().push(d);
            })
        })
        .build()
        .unwrap();
    client.voices().unwrap(); // the token
    emu.faults().fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    client.voices().unwrap();
    let slept = slept.lock().unwrap().clone();
    // The default backoff: 500 ms, then 1 s, each shortened by at most half by the jitter.
    assert_eq!(slept.len(), 2, "{slept:?}");
    assert!(
        (Duration::from_millis(250)..=Duration::from_millis(500)).contains(&slept[0]),
        "{slept:?}"
    );
    assert!(
        (Duration::from_millis(500)..=Duration::from_secs(1)).contains(&slept[1]),
        "{slept:?}"
    );
    assert_eq!(*offset.lock().unwrap(), slept[0] + slept[1]);
    let statuses: Vec<_> = seen(&emu, VOICES_PATH).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(200), Some(503), Some(503), Some(200)]);
}
