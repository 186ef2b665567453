//! `Client::fast_transcribe`: the documented exchange (spec part A.8) in both directions, and round trips
//! against the emulator's fast-transcription endpoint.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use speech_emulator::engine::Transcript as EngineTranscript;
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_emulator::fixtures::{speak, speak_as};
use speech_ureq::speech_proto::stt::fast::{ApiVersion, FastTranscriptionOptions};
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::{Client, Error, ErrorKind};

/// The diarization answer of the documentation (F1), as published, cut to two phrases.
const DOCUMENTED_ANSWER: &str = r#"{"durationMilliseconds": 182439,
 "combinedPhrases": [{"channel": 0, "text": "Good afternoon. This is Sam. Thank you for calling Contoso. How can I help? Hi there."}],
 "phrases": [
  {"channel": 0, "speaker": 1, "offsetMilliseconds": 960, "durationMilliseconds": 640, "text": "Good afternoon.",
   "words": [{"text": "Good", "offsetMilliseconds": 960, "durationMilliseconds": 240},
             {"text": "afternoon.", "offsetMilliseconds": 1200, "durationMilliseconds": 400}],
   "locale": "en-US", "confidence": 0.93616915},
  {"channel": 0, "speaker": 0, "offsetMilliseconds": 5040, "durationMilliseconds": 400, "text": "Hi there.",
   "words": [{"text": "Hi", "offsetMilliseconds": 5040, "durationMilliseconds": 240},
             {"text": "there.", "offsetMilliseconds": 5280, "durationMilliseconds": 160}],
   "locale": "en-US", "confidence": 0.93616915}]}"#;

/// One HTTP/1.1 request as a server reads it: the request line, the headers, the body (by Content-Length).
struct Captured {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A one-shot server: reads one request and answers it with `answer` (200, JSON).
fn capture_once(answer: &'static str) -> (String, std::thread::JoinHandle<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("request line");
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).expect("header");
            let h = h.trim_end_matches("\r\n").to_owned();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').expect("a header line");
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().expect("a length"))
            .expect("Content-Length (the file's length is known)");
        let mut body = vec![0; len];
        reader.read_exact(&mut body).expect("the body");
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{answer}",
            answer.len()
        )
        .expect("answer");
        Captured {
            line: line.trim_end().to_owned(),
            headers,
            body,
        }
    });
    (url, handle)
}

#[test]
fn the_documented_exchange_in_both_directions() {
    let (url, server) = capture_once(DOCUMENTED_ANSWER);
    let client = Client::builder(
        Endpoint::base_url(&url).expect("url"),
        Credential::key(KEY).expect("key"),
    )
    .proxy_from_env(false)
    .build()
    .expect("client");
    let dir = tempfile::tempdir().expect("dir");
    let audio = dir.path().join("call.wav");
    let wav = speech_wav(1_000);
    std::fs::write(&audio, &wav).expect("write");
    let options = FastTranscriptionOptions::new().locale("en-US").speakers(2);
    let transcript = client
        .fast_transcribe(audio.as_path(), &options)
        .expect("transcribed");
    let request = server.join().expect("the server");

    // The request, as the spec documents it, parsed by the emulator's strict multipart parser.
    assert_eq!(
        request.line,
        "POST /speechtotext/transcriptions:transcribe?api-version=2025-10-15 HTTP/1.1"
    );
    assert_eq!(request.header("ocp-apim-subscription-key"), Some(KEY));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("accept"), Some("application/json"));
    let content_type = request.header("content-type").expect("a Content-Type");
    let parts = speech_emulator::multipart::parse(content_type, &request.body).expect("strict");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].name, "definition");
    assert_eq!(parts[0].content_type.as_deref(), Some("application/json"));
    let definition: serde_json::Value = serde_json::from_slice(parts[0].data).expect("JSON");
    assert_eq!(
        definition,
        serde_json::json!({"locales": ["en-US"], "diarization": {"maxSpeakers": 2}})
    );
    assert_eq!(parts[1].name, "audio");
    assert_eq!(parts[1].filename.as_deref(), Some("call.wav"));
    assert_eq!(parts[1].data, &wav[..], "the audio goes through untouched");

    // The documented answer, parsed into the transcript.
    assert_eq!(transcript.duration, Some(Duration::from_millis(182_439)));
    assert_eq!(transcript.text(), "Good afternoon. Hi there.");
    let [first, second] = &transcript.phrases[..] else {
        panic!("{transcript:?}")
    };
    assert_eq!((first.speaker, first.channel), (Some(1), Some(0)));
    assert_eq!(first.offset, Duration::from_millis(960));
    assert_eq!(first.words.len(), 2);
    assert_eq!(first.words[1].offset, Duration::from_millis(1_200));
    assert_eq!(second.speaker, Some(0));
    assert_eq!(second.locale.as_deref(), Some("en-US"));
}

#[test]
fn a_recording_comes_back_phrase_by_phrase_with_words() {
    let recognizer = std::sync::Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(EngineTranscript::Text {
        text: "Heard that sentence.".into(),
        confidence: 0.8,
    });
    let emu = emulator_builder()
        .recognizer(recognizer)
        .start_blocking()
        .expect("emulator");
    let spoken = speak(&[
        (Duration::from_millis(600), "Good morning everyone."),
        (Duration::from_millis(1_500), "Let us begin the meeting."),
        (Duration::from_millis(2_000), "Thank you for coming."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("meeting.wav");
    std::fs::write(&path, wav_with(&spoken.samples, SR, 1)).expect("write");

    // Key credential: sent as it is, no token fetched (the clients default to exchanging keys).
    let client = client(&emu);
    let options = FastTranscriptionOptions::new().locale("en-US");
    let t = client
        .fast_transcribe(path.as_path(), &options)
        .expect("transcribed");
    assert_eq!(client.token_fetches(), 0);
    assert_eq!(t.phrases.len(), 3, "{t:?}");
    for (phrase, start) in t.phrases.iter().zip(&spoken.starts) {
        assert!(
            phrase.offset.abs_diff(*start) <= Duration::from_millis(300),
            "{phrase:?} vs {start:?}"
        );
        assert_eq!(phrase.text, "Heard that sentence.");
        assert_eq!(phrase.locale.as_deref(), Some("en-US"));
        assert_eq!(phrase.speaker, None);
        assert_eq!(phrase.words.len(), 3);
        assert_eq!(phrase.words[0].offset, phrase.offset);
        assert!(phrase.words[2].offset + phrase.words[2].duration <= phrase.end());
    }
    let d = t.duration.expect("a duration");
    assert!(
        d.abs_diff(spoken.duration()) <= Duration::from_millis(50),
        "{d:?}"
    );

    // The same from a reader (sent chunked), with the older API version.
    let file = std::fs::File::open(&path).expect("open");
    let source = speech_ureq::speech_audio::decode::Source::reader(file, Some("wav"));
    let t2 = client
        .fast_transcribe(
            source,
            &FastTranscriptionOptions::new()
                .locale("en-US")
                .api_version(ApiVersion::V2024_11_15),
        )
        .expect("transcribed");
    assert_eq!(t2.phrases.len(), 3);
    let requests = seen(&emu, "/speechtotext/transcriptions:transcribe");
    assert_eq!(requests.len(), 2);
    assert!(requests[1]
        .query
        .as_deref()
        .is_some_and(|q| q.contains("api-version=2024-11-15")));
}

#[test]
fn two_voices_come_back_as_two_speakers() {
    let recognizer = std::sync::Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(EngineTranscript::Text {
        text: "Words.".into(),
        confidence: 0.8,
    });
    let emu = emulator_builder()
        .recognizer(recognizer)
        .start_blocking()
        .expect("emulator");
    let lines = [
        ("slt", "Good afternoon, how can I help you today?"),
        ("rms", "Hello, I would like to change my delivery address."),
        ("slt", "Of course. What is the new address?"),
        ("rms", "It is twelve Market Street in the old town."),
        ("slt", "Thank you, the change is done."),
        ("rms", "Great, thank you very much."),
    ];
    let script: Vec<(Duration, &str, &str)> = lines
        .iter()
        .map(|(voice, text)| (Duration::from_millis(800), *voice, *text))
        .collect();
    let spoken = speak_as(&script).unwrap_or_else(|e| panic!("{e}"));
    let t = client(&emu)
        .fast_transcribe(
            speech_ureq::speech_audio::decode::Source::reader(
                std::io::Cursor::new(wav_with(&spoken.samples, SR, 1)),
                Some("wav"),
            ),
            &FastTranscriptionOptions::new().locale("en-US").speakers(2),
        )
        .expect("transcribed");
    assert_eq!(t.phrases.len(), lines.len(), "{t:?}");
    let speakers: Vec<u32> = t
        .phrases
        .iter()
        .map(|p| p.speaker.expect("a speaker"))
        .collect();
    assert_eq!(speakers, vec![0, 1, 0, 1, 0, 1], "{t:?}");
}

#[test]
fn refusals_are_typed_errors_with_hints() {
    let emu = emulator_builder()
        .fast_transcription(false)
        .start_blocking()
        .expect("emulator");
    let wav = speech_wav(500);
    let reader = || {
        speech_ureq::speech_audio::decode::Source::reader(std::io::Cursor::new(wav.clone()), None)
    };
    let options = FastTranscriptionOptions::new().locale("en-US");
    let e = client(&emu)
        .fast_transcribe(reader(), &options)
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404), "{e}");
    assert!(e.to_string().contains("not available"), "{e}");
    assert!(
        e.hint().is_some_and(|h| h.to_string().contains("region")),
        "{e}"
    );

    let emu = emulator();
    // A wrong key: 401, not retried into a token fetch.
    let wrong = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::key("wrong-key").expect("key"),
    )
    .proxy_from_env(false)
    .build()
    .expect("client");
    let e = wrong.fast_transcribe(reader(), &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    // Options the service refuses never leave the client.
    let e = client(&emu)
        .fast_transcribe(reader(), &FastTranscriptionOptions::new().speakers(40))
        .unwrap_err();
    assert!(matches!(e, Error::Proto(_)), "{e}");
    // Not audio: the emulator's 400 with its message.
    let e = client(&emu)
        .fast_transcribe(
            speech_ureq::speech_audio::decode::Source::reader(
                std::io::Cursor::new(b"not audio at all".to_vec()),
                None,
            ),
            &options,
        )
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e}");
    assert!(e.to_string().contains("could not be decoded"), "{e}");
}

#[test]
fn a_file_is_sent_again_after_a_failure_and_a_reader_is_not() {
    let emu = emulator();
    let client = client_builder(&emu)
        .retry(quick_retry(4))
        .build()
        .expect("client");
    let options = FastTranscriptionOptions::new().locale("en-US");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("a.wav");
    std::fs::write(&path, speech_wav(800)).expect("write");

    // A file: 503, then a throttle with Retry-After, then the answer.
    emu.faults()
        .fail_next(1, speech_emulator::StatusCode::SERVICE_UNAVAILABLE);
    emu.faults().set_quota(1, Duration::from_millis(300));
    let t = client
        .fast_transcribe(path.as_path(), &options)
        .expect("transcribed after retries");
    assert!(!t.phrases.is_empty());
    emu.faults().clear_quota();
    let statuses: Vec<Option<u16>> = seen(&emu, "/speechtotext/transcriptions:transcribe")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses.first(), Some(&Some(503)), "{statuses:?}");
    assert!(statuses.contains(&Some(429)), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&Some(200)), "{statuses:?}");

    // A reader that was read: the failure is final.
    emu.faults().reset_after_body_bytes(100);
    let before = seen(&emu, "/speechtotext/transcriptions:transcribe").len();
    let e = client
        .fast_transcribe(
            speech_ureq::speech_audio::decode::Source::reader(
                std::io::Cursor::new(speech_wav(800)),
                Some("wav"),
            ),
            &options,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert_eq!(
        seen(&emu, "/speechtotext/transcriptions:transcribe").len(),
        before + 1,
        "a stream that was partly sent is not sent again"
    );
}

#[test]
fn an_entra_token_goes_as_a_plain_bearer_and_limits_are_answered() {
    let resource = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech";
    let emu = emulator_builder()
        .entra_resource_id(resource)
        .max_fast_body_bytes(64 * 1024)
        .start_blocking()
        .expect("emulator");
    // A token from the emulator's test issuer, for Cognitive Services.
    let (token, _) = emu.entra_token("https://cognitiveservices.azure.com/.default");
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::entra(resource, &token).expect("entra"),
    )
    .proxy_from_env(false)
    .build()
    .expect("client");
    let options = FastTranscriptionOptions::new().locale("en-US");
    let small = speech_ureq::speech_audio::decode::Source::reader(
        std::io::Cursor::new(speech_wav(500)),
        Some("wav"),
    );
    // The emulator takes only a plain `Bearer <token>` here and refuses the speech hosts' `aad#…` form.
    client
        .fast_transcribe(small, &options)
        .expect("a plain Entra bearer is taken");
    assert_eq!(client.token_fetches(), 0);

    // Over the body cap: 413, with the size limit in the message.
    let big = speech_ureq::speech_audio::decode::Source::reader(
        std::io::Cursor::new(speech_wav(5_000)),
        Some("wav"),
    );
    let e = client.fast_transcribe(big, &options).unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(413), "{e}");
    assert!(
        e.hint().is_some_and(|h| h.to_string().contains("300 MB")),
        "{e}"
    );
}
