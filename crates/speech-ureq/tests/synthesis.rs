//! Synthesis over WebSocket against the emulator, over real loopback sockets: a three-sentence SSML with a
//! bookmark gives its audio and every event, the first audio before the synthesis ends; two syntheses share one
//! connection; refused SSML is a typed error; a connection dropped mid-synthesis fails that synthesis and the
//! next one reconnects.

mod common;

use std::time::{Duration, Instant};

use common::*;
use speech_ureq::speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
use speech_ureq::speech_proto::tts::stream::{
    BoundaryKind, MetadataOptions, SpeakRequest, SynthesisEvent, SynthesisSettings,
};
use speech_ureq::speech_proto::{Error as ProtoError, StreamError};
use speech_ureq::Error;

const WS_PATH: &str = "/tts/cognitiveservices/websocket/v1";

fn three_sentences() -> String {
    "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>\
     <voice name='en-US-AvaNeural'>The first sentence is here. The second one, with a comma. \
     <bookmark mark='third'/>And the third ends it.</voice></speak>"
        .to_owned()
}

#[test]
fn three_sentences_with_a_bookmark_give_audio_and_every_event() {
    let emu = emulator();
    let client = client(&emu);
    let mut synthesizer = client.synthesizer(SynthesisSettings::default()).unwrap();
    let ssml = three_sentences();
    let request = SpeakRequest::ssml(ssml.clone())
        .unwrap()
        .format(OutputFormat::Raw16Khz16BitMonoPcm)
        .metadata(MetadataOptions::all());
    let start = Instant::now();
    let mut first_audio = None;
    let mut events = Vec::new();
    let mut audio = Vec::new();
    for event in synthesizer.speak(request).unwrap() {
        if let SynthesisEvent::Audio(chunk) = &event {
            first_audio.get_or_insert_with(|| start.elapsed());
            audio.extend_from_slice(chunk);
        }
        events.push(event);
    }
    let whole = start.elapsed();
    let Some(SynthesisEvent::Completed {
        audio_duration,
        audio_bytes,
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*audio_bytes, audio.len() as u64);
    let seconds = audio.len() as f64 / 32_000.0;
    assert!(seconds > 2.0, "{seconds} s of audio");
    let said = audio_duration.unwrap().as_secs_f64();
    assert!(
        (said - seconds).abs() < 0.01,
        "SessionEnd {said} s, audio {seconds} s"
    );

    let boundaries: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            SynthesisEvent::Boundary(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    let words: Vec<&str> = boundaries
        .iter()
        .filter(|b| b.kind == BoundaryKind::Word)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        words,
        "The first sentence is here The second one with a comma And the third ends it"
            .split(' ')
            .collect::<Vec<_>>()
    );
    // Word offsets increase, lie inside the audio, and their text is found in the SSML, in order.
    let mut last = Duration::ZERO;
    let mut last_text = 0;
    for b in boundaries.iter().filter(|b| b.kind == BoundaryKind::Word) {
        assert!(b.offset >= last, "{b:?}");
        assert!(b.offset + b.duration <= Duration::from_secs_f64(seconds));
        assert!(b.duration > Duration::from_millis(50), "{b:?}");
        let at = b.text_offset.expect("found in the SSML");
        assert!(at >= last_text && ssml[at..].starts_with(&b.text));
        last = b.offset;
        last_text = at;
    }
    let sentences: Vec<&str> = boundaries
        .iter()
        .filter(|b| b.kind == BoundaryKind::Sentence)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        sentences,
        [
            "The first sentence is here.",
            "The second one, with a comma.",
            "And the third ends it."
        ]
    );
    assert_eq!(
        boundaries
            .iter()
            .filter(|b| b.kind == BoundaryKind::Punctuation)
            .count(),
        4
    );
    // The bookmark sits where "And" starts.
    let and = boundaries.iter().find(|b| b.text == "And").unwrap();
    let bookmark = events
        .iter()
        .find_map(|e| match e {
            SynthesisEvent::Bookmark { offset, name } => Some((*offset, name.clone())),
            _ => None,
        })
        .expect("the bookmark fired");
    assert_eq!(bookmark, (and.offset, "third".to_owned()));
    let visemes = events
        .iter()
        .filter(|e| matches!(e, SynthesisEvent::Viseme { id, .. } if *id <= 21))
        .count();
    assert!(visemes > 20, "{visemes} visemes");
    // Audio as it is made: the first sentence's audio comes before the last sentence's events.
    let first_audio_at = events
        .iter()
        .position(|e| matches!(e, SynthesisEvent::Audio(_)))
        .unwrap();
    let last_sentence_at = events
        .iter()
        .position(
            |e| matches!(e, SynthesisEvent::Boundary(b) if b.text == "And the third ends it."),
        )
        .unwrap();
    assert!(first_audio_at < last_sentence_at);

    // The same text over REST, for the time to the whole body.
    let rest = SynthesisRequest::new(
        &Ssml::simple(
            "en-US",
            "en-US-AvaNeural",
            "The first sentence is here. The second one, with a comma. And the third ends it.",
        ),
        OutputFormat::Raw16Khz16BitMonoPcm,
        "speech-ureq-tests/1.0",
    )
    .unwrap();
    let start = Instant::now();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut client.synthesize(&rest).unwrap(), &mut body).unwrap();
    let rest_whole = start.elapsed();
    eprintln!(
        "time to first audio over WebSocket {:?} (whole synthesis {:?}, with every event); REST, whole body {:?}",
        first_audio.unwrap(),
        whole,
        rest_whole
    );
}

#[test]
fn two_syntheses_share_a_connection_and_refusals_are_typed() {
    let emu = emulator();
    let client = client(&emu);
    let mut synthesizer = client.synthesizer(SynthesisSettings::default()).unwrap();
    for text in ["One.", "Two."] {
        let done = synthesizer
            .speak_collect(
                SpeakRequest::text("en-US", "en-US-AvaNeural", text)
                    .unwrap()
                    .format(OutputFormat::Riff24Khz16BitMonoPcm),
            )
            .unwrap();
        assert!(done.audio.starts_with(b"RIFF") && done.audio.len() > 44 + 4_800);
        let words: Vec<_> = done
            .events
            .iter()
            .filter_map(|e| match e {
                SynthesisEvent::Boundary(b) if b.kind == BoundaryKind::Word => {
                    Some((b.text.clone(), b.text_offset))
                }
                _ => None,
            })
            .collect();
        assert_eq!(words, [(text.trim_end_matches('.').to_owned(), Some(0))]);
    }
    assert_eq!(seen(&emu, WS_PATH).len(), 1, "one connection for both");

    let bad = "<speak version='1.0' xml:lang='en-US'><voice name='en-US-AvaNeural'>Fish & chips</voice></speak>";
    let err = synthesizer
        .speak_collect(SpeakRequest::ssml(bad).unwrap())
        .unwrap_err();
    match &err {
        Error::Proto(ProtoError::Stream(StreamError::SynthesisRefused { reason })) => {
            assert!(reason.contains("position"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let unknown =
        "<speak version='1.0' xml:lang='en-US'><voice name='xx-XX-Nobody'>Hi</voice></speak>";
    let err = synthesizer
        .speak_collect(SpeakRequest::ssml(unknown).unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("Unsupported voice xx-XX-Nobody"),
        "{err}"
    );
    // And the synthesizer goes on, on a new connection.
    synthesizer
        .speak_collect(SpeakRequest::text("en-US", "en-US-AvaNeural", "Still here.").unwrap())
        .unwrap();
    assert_eq!(seen(&emu, WS_PATH).len(), 3);
}

#[test]
fn a_connection_dropped_mid_synthesis_fails_it_and_the_next_reconnects() {
    let emu = emulator();
    let client = client(&emu);
    let mut synthesizer = client.synthesizer(SynthesisSettings::default()).unwrap();
    emu.faults().drop_next_streams(1, Duration::ZERO);
    let request = SpeakRequest::ssml(three_sentences()).unwrap();
    let err = synthesizer.speak_collect(request.clone()).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Proto(ProtoError::Stream(StreamError::Closed { code: 1006, .. }))
        ),
        "{err:?}"
    );
    let done = synthesizer.speak_collect(request).unwrap();
    assert!(done.audio.len() > 32_000);
    assert_eq!(seen(&emu, WS_PATH).len(), 2);
}

#[test]
fn a_wrong_key_fails_the_synthesis_with_an_auth_error() {
    let emu = emulator();
    let client = speech_ureq::Client::builder(
        speech_ureq::speech_proto::Endpoint::base_url(emu.base_url()).unwrap(),
        speech_ureq::speech_proto::Credential::key("wrong").unwrap(),
    )
    .proxy_from_env(false)
    .auth_mode(speech_ureq::AuthMode::Key)
    .build()
    .unwrap();
    let mut synthesizer = client.synthesizer(SynthesisSettings::default()).unwrap();
    let err = synthesizer
        .speak_collect(SpeakRequest::text("en-US", "en-US-AvaNeural", "Hi.").unwrap())
        .unwrap_err();
    assert_eq!(err.kind(), speech_ureq::ErrorKind::Auth, "{err}");
}
