//! A translation session on virtual time against a scripted service speaking the wire protocol: V2
//! `translation.response` hypotheses and phrases become [`StreamEvent::Translating`] and
//! [`StreamEvent::Translated`] with offsets from the start of the audio; a voice's audio (`audio.start`, binary
//! `audio` on its stream id, `audio.end`) becomes [`StreamEvent::TranslationAudio`] and
//! [`StreamEvent::TranslationAudioEnded`] naming the language; a failed translation is a result, not the end;
//! V1 messages work the same; a plain recognition ignores all of it.

use std::time::Instant;

use speech_proto::stt::stream::frame::{
    decode_text, encode_binary, encode_service_text, Timestamp,
};
use speech_proto::stt::stream::translation::{SynthesisEnd, TranslationStatus};
use speech_proto::stt::stream::{
    Action, Pacing, StreamEvent, StreamRequest, StreamSession, StreamSettings, TranslationPath,
};
use speech_proto::Endpoint;

/// A session connected on `path`, with a second of audio sent; its turn's request id.
fn connected(request: StreamRequest, path: &str) -> (StreamSession, String, Instant) {
    let request_is_translation = request.is_translation();
    let now = Instant::now();
    let mut settings = StreamSettings::default();
    settings.pacing = Pacing::unlimited();
    let endpoint = Endpoint::base_url("http://127.0.0.1:5000").unwrap();
    let mut s = StreamSession::new(endpoint, request, settings, 3).unwrap();
    let Some(Action::Connect(handshake)) = s.poll_action(now, Timestamp(0)) else {
        panic!("connects first")
    };
    assert_eq!(handshake.uri().path(), path);
    s.handle_connected(now, Timestamp(0));
    s.push_audio(&vec![1u8; 32_000]);
    let mut id = String::new();
    let mut context = None;
    while let Some(a) = s.poll_action(now, Timestamp(0)) {
        if let Action::SendText(t) = a {
            let m = decode_text(t.as_bytes()).unwrap();
            if m.path() == Some("speech.context") {
                id = m.request_id().unwrap().to_owned();
                context = Some(serde_json::from_slice::<serde_json::Value>(&m.body).unwrap());
            }
        }
    }
    let context = context.expect("speech.context sent");
    assert_eq!(context.get("translation").is_some(), request_is_translation);
    (s, id, now)
}

fn text(
    s: &mut StreamSession,
    now: Instant,
    id: &str,
    path: &str,
    body: &str,
    stream: Option<&str>,
) {
    let mut frame = encode_service_text(path, id, body);
    if let Some(stream) = stream {
        frame = frame.replacen("\r\n", &format!("\r\nX-StreamId:{stream}\r\n"), 1);
    }
    s.handle_text(now, frame.as_bytes(), 0.5);
}

fn audio(
    s: &mut StreamSession,
    now: Instant,
    id: &str,
    path: &str,
    stream: Option<&str>,
    data: &[u8],
) {
    let headers: Vec<(&str, &str)> = stream.map(|s| ("X-StreamId", s)).into_iter().collect();
    let frame = encode_binary(path, id, Timestamp(0), Some("audio/x-wav"), &headers, data);
    s.handle_binary(now, &frame, 0.5);
}

fn events(s: &mut StreamSession) -> Vec<StreamEvent> {
    std::iter::from_fn(|| s.poll_event())
        .filter(|e| !matches!(e, StreamEvent::Connected { .. }))
        .collect()
}

#[test]
fn v2_results_and_a_voice_become_events_with_absolute_offsets() {
    let request = StreamRequest::new("es-ES")
        .translate_to("en")
        .translate_to("de")
        .translation_voice("en-US-AvaNeural");
    let (mut s, id, now) = connected(request, "/stt/speech/universal/v2");
    text(
        &mut s,
        now,
        &id,
        "turn.start",
        r#"{"context":{"serviceTag":"T"}}"#,
        None,
    );
    text(
        &mut s,
        now,
        &id,
        "translation.response",
        r#"{"SpeechHypothesis":{"Text":"hola","Offset":1000000,"Duration":2000000},"TranslationStatus":"Success",
            "Translations":[{"Language":"en","DisplayText":"hello"},{"Language":"de","DisplayText":"hallo"}]}"#,
        None,
    );
    text(
        &mut s,
        now,
        &id,
        "translation.response",
        r#"{"SpeechPhrase":{"RecognitionStatus":"Success","DisplayText":"Hola.","Offset":1000000,"Duration":5000000},
            "TranslationStatus":"Success",
            "Translations":[{"Language":"en","DisplayText":"Hello."},{"Language":"de","DisplayText":"Hallo."}]}"#,
        None,
    );
    text(
        &mut s,
        now,
        &id,
        "audio.start",
        r#"{"TranslationLanguage":"en"}"#,
        Some("7"),
    );
    audio(&mut s, now, &id, "audio", Some("7"), b"RIFFaudio");
    audio(&mut s, now, &id, "audio", Some("7"), b"");
    audio(&mut s, now, "OTHER", "audio", Some("7"), b"not ours");
    text(
        &mut s,
        now,
        &id,
        "audio.end",
        r#"{"Status":"Success"}"#,
        Some("7"),
    );
    text(
        &mut s,
        now,
        &id,
        "translation.response",
        r#"{"SpeechPhrase":{"RecognitionStatus":"Success","DisplayText":"Adios.","Offset":7000000,"Duration":2000000},
            "TranslationStatus":"Error","FailureReason":"Unsupported pair es-ES to de."}"#,
        None,
    );
    text(
        &mut s,
        now,
        &id,
        "audio.end",
        r#"{"Status":"Error","FailureReason":"Voice busy."}"#,
        None,
    );
    let got = events(&mut s);
    let mut it = got
        .iter()
        .filter(|e| !matches!(e, StreamEvent::TurnStarted { .. }));
    let Some(StreamEvent::Translating(h)) = it.next() else {
        panic!("{got:?}")
    };
    assert_eq!(h.text, "hola");
    assert_eq!(h.translation.as_ref().unwrap().text("de"), Some("hallo"));
    let Some(StreamEvent::Translated(p)) = it.next() else {
        panic!("{got:?}")
    };
    assert_eq!(
        (p.text.as_str(), p.offset_ticks, p.duration_ticks),
        ("Hola.", Some(1_000_000), Some(5_000_000))
    );
    let t = p.translation.as_ref().unwrap();
    assert_eq!(
        (t.status.clone(), t.text("en")),
        (TranslationStatus::Success, Some("Hello."))
    );
    assert_eq!(
        it.next(),
        Some(&StreamEvent::TranslationAudio {
            language: Some("en".into()),
            audio: b"RIFFaudio".to_vec()
        })
    );
    assert_eq!(
        it.next(),
        Some(&StreamEvent::TranslationAudioEnded {
            language: Some("en".into()),
            end: SynthesisEnd::Success
        })
    );
    let Some(StreamEvent::Translated(failed)) = it.next() else {
        panic!("{got:?}")
    };
    let t = failed.translation.as_ref().unwrap();
    assert_eq!(t.status, TranslationStatus::Error);
    assert!(t.failure_reason.as_deref().unwrap().contains("es-ES to de"));
    assert_eq!(
        it.next(),
        Some(&StreamEvent::TranslationAudioEnded {
            language: None,
            end: SynthesisEnd::Error("Voice busy.".into())
        })
    );
    assert_eq!(it.next(), None, "{got:?}");
    assert!(!s.is_ended());
}

#[test]
fn v1_messages_and_a_plain_recognition_ignoring_them() {
    let request = StreamRequest::new("de-DE")
        .translate_to("en")
        .translation_path(TranslationPath::V1);
    let (mut s, id, now) = connected(request, "/speech/translation/cognitiveservices/v1");
    text(
        &mut s,
        now,
        &id,
        "translation.hypothesis",
        r#"{"Text":"guten","Offset":500000,"Duration":100,"Translation":{"TranslationStatus":"Success",
            "Translations":[{"Language":"en","Text":"good"}]}}"#,
        None,
    );
    text(
        &mut s,
        now,
        &id,
        "translation.phrase",
        r#"{"RecognitionStatus":"Success","Text":"Guten Tag.","Offset":500000,"Duration":9000000,
            "Translation":{"TranslationStatus":"Success","Translations":[{"Language":"en","Text":"Good day."}]}}"#,
        None,
    );
    audio(&mut s, now, &id, "translation.synthesis", None, b"RIFFx");
    text(
        &mut s,
        now,
        &id,
        "translation.synthesis.end",
        r#"{"SynthesisStatus":"Success"}"#,
        None,
    );
    let got = events(&mut s);
    let kinds: Vec<&str> = got
        .iter()
        .map(|e| match e {
            StreamEvent::Translating(_) => "translating",
            StreamEvent::Translated(p) => {
                assert_eq!(
                    p.translation.as_ref().unwrap().text("en"),
                    Some("Good day.")
                );
                "translated"
            }
            StreamEvent::TranslationAudio { language: None, .. } => "audio",
            StreamEvent::TranslationAudioEnded {
                end: SynthesisEnd::Success,
                ..
            } => "audio end",
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["translating", "translated", "audio", "audio end"]);

    // The same messages mean nothing to a recognition.
    let (mut s, id, now) = connected(StreamRequest::new("de-DE"), "/speech/universal/v2");
    text(
        &mut s,
        now,
        &id,
        "translation.phrase",
        r#"{"RecognitionStatus":"Success","Text":"x"}"#,
        None,
    );
    audio(&mut s, now, &id, "translation.synthesis", None, b"RIFFx");
    assert_eq!(events(&mut s), []);
}
