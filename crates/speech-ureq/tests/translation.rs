//! Speech translation against the emulator, over real loopback sockets, with the deterministic engines (the
//! scripted recognizer hears Spanish and translates it into English): every phrase comes once as
//! [`StreamEvent::Translated`] with the recognized text, its English translation and its offset in the audio,
//! on the V2 path (targets in `speech.context`) and the V1 path (targets in the query); a second target the
//! emulator cannot translate into makes each phrase's translation an error naming the pair (typed:
//! `StreamError::TranslationFailed`, with a hint), with the English text still there, and the session goes on.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use speech_emulator::engine::Transcript;
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_emulator::fixtures::speak;
use speech_ureq::speech_proto::stt::stream::translation::TranslationStatus;
use speech_ureq::speech_proto::stt::stream::{
    EndReason, Pacing, StreamEvent, StreamRequest, StreamSettings, TranslationPath,
};
use speech_ureq::speech_proto::{Error as ProtoError, ErrorKind, StreamError};

fn text(t: &str) -> Transcript {
    Transcript::Text {
        text: t.to_owned(),
        confidence: 0.9,
    }
}

fn translate(request: StreamRequest) -> (Vec<StreamEvent>, Vec<Duration>) {
    let recognizer = ScriptedRecognizer::new();
    recognizer.set_for_language("es-ES", text("Hola, ¿qué tal?"));
    recognizer.set_english_for("es-ES", text("Hello, how are you?"));
    let emu = emulator_builder()
        .recognizer(Arc::new(recognizer))
        .start_blocking()
        .expect("emulator starts");
    let spoken = speak(&[
        (Duration::from_millis(600), "Good morning everyone."),
        (Duration::from_millis(1_300), "Let us begin the meeting."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let mut settings = StreamSettings::default();
    settings.pacing = Pacing::unlimited();
    let (mut writer, events) = client(&emu).listen(request, settings).expect("listen");
    let audio: Vec<u8> = spoken
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let feeder = std::thread::spawn(move || {
        for piece in audio.chunks(3_200) {
            if writer.write_all(piece).is_err() {
                return;
            }
        }
        writer.finish();
    });
    let events: Vec<StreamEvent> = events.collect();
    feeder.join().unwrap();
    (events, spoken.starts)
}

fn check(events: &[StreamEvent], starts: &[Duration], status: TranslationStatus) {
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::SessionEnded(EndReason::EndOfAudio))
        ),
        "{events:?}"
    );
    let translated: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Translated(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(translated.len(), starts.len(), "{events:?}");
    for (r, start) in translated.iter().zip(starts) {
        assert_eq!(r.text, "Hola, ¿qué tal?");
        let offset = Duration::from_nanos(r.offset_ticks.unwrap() * 100);
        assert!(
            offset.abs_diff(*start) < Duration::from_millis(300),
            "{offset:?} vs {start:?}"
        );
        let t = r.translation.as_ref().expect("translations");
        assert_eq!(t.text("en"), Some("Hello, how are you?"), "{t:?}");
        assert_eq!(t.status, status, "{t:?}");
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::Phrase(_) | StreamEvent::Hypothesis { .. })),
        "a translation session reports translations only: {events:?}"
    );
}

#[test]
fn spanish_is_translated_into_english_on_the_v2_path() {
    let (events, starts) = translate(StreamRequest::new("es-ES").translate_to("en"));
    check(&events, &starts, TranslationStatus::Success);
}

#[test]
fn the_v1_path_carries_the_targets_in_the_query() {
    let (events, starts) = translate(
        StreamRequest::new("es-ES")
            .translate_to("en-US")
            .translation_path(TranslationPath::V1),
    );
    check(&events, &starts, TranslationStatus::Success);
}

#[test]
fn a_target_the_emulator_cannot_translate_into_is_an_error_naming_the_pair() {
    let (events, starts) = translate(
        StreamRequest::new("es-ES")
            .translate_to("en")
            .translate_to("fr"),
    );
    check(&events, &starts, TranslationStatus::Error);
    let error = events
        .iter()
        .find_map(|e| match e {
            StreamEvent::Translated(r) => r.translation.as_ref()?.error(),
            _ => None,
        })
        .expect("a typed error");
    assert!(
        matches!(
            &error,
            ProtoError::Stream(StreamError::TranslationFailed { reason })
                if reason.contains("es-ES to fr") && reason.contains("into English only")
        ),
        "{error}"
    );
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.hint().is_some());
}
