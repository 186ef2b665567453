//! Speech-to-text against the emulator: every way to send audio, every result shape, the audio checks and
//! the service's refusals.

mod common;

use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use speech_emulator::engine::Transcript;
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_ureq::speech_proto::audio::{AudioProblem, WavError};
use speech_ureq::speech_proto::recognize::{
    AudioContentType, BodyLength, RecognitionRequest, RecognitionStatus, ResultFormat,
};
use speech_ureq::speech_proto::{Error as ProtoError, Misuse};
use speech_ureq::{Error, ErrorKind};

const STT_PATH: &str = "/speech/recognition/conversation/cognitiveservices/v1";

fn stt_requests(emu: &speech_emulator::EmulatorHandle) -> Vec<speech_emulator::LoggedRequest> {
    seen(emu, STT_PATH)
}

#[test]
fn a_stream_goes_up_chunked_once_framed() {
    let recognizer = Arc::new(ScriptedRecognizer::new());
    recognizer.push(Transcript::Text {
        text: "Streamed up.".into(),
        confidence: 0.9,
    });
    let emu = emulator_builder()
        .recognizer(recognizer.clone())
        .start_blocking()
        .unwrap();
    let client = client(&emu);
    let audio = speech_wav(1000);
    let result = client
        .recognize(
            Pieces::new(audio.clone(), 1000),
            &RecognitionRequest::new("en-US"),
        )
        .unwrap();
    assert_eq!(result.status, Some(RecognitionStatus::Success));
    assert_eq!(result.display_text(), Some("Streamed up."));

    // The core's head said chunked and 100-continue; ureq framed the body once: the emulator decoded exactly
    // the file's bytes (a second framing would have added chunk-size lines and broken the WAV).
    let logged = stt_requests(&emu);
    assert_eq!(logged.len(), 1);
    let r = &logged[0];
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("expect"), Some("100-continue"));
    assert_eq!(r.body_len, audio.len() as u64);
    assert_eq!(r.status, Some(200));
    assert_eq!(
        r.header("authorization"),
        Some("Bearer ***"),
        "a token, not the key"
    );
    assert_eq!(r.header("ocp-apim-subscription-key"), None);
    // The recognizer heard the voiced second (the tone), not noise, with the emulator's 500 ms of context on
    // either side where the file has it; the service timed the speech itself at one second.
    let calls = recognizer.calls();
    assert_eq!(calls.len(), 1);
    let heard = calls[0].samples;
    assert!((16_000..=32_000).contains(&heard), "{heard} samples");
    let duration = result.duration().map_or(0.0, |d| d.as_secs_f64());
    assert!((duration - 1.0).abs() < 0.1, "{duration} s");
}

#[test]
fn files_and_bytes_go_up_with_their_length() {
    let emu = emulator();
    let client = client(&emu);
    let audio = speech_wav(800);
    let dir = std::env::temp_dir().join(format!("speech-ureq-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hello.wav");
    std::fs::write(&path, &audio).unwrap();

    let from_file = client
        .recognize_file(&path, &RecognitionRequest::new("en-US"))
        .unwrap();
    let from_bytes = client
        .recognize_bytes(&audio, &RecognitionRequest::new("en-US"))
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_file.status, Some(RecognitionStatus::Success));
    assert_eq!(from_file, from_bytes);
    for r in stt_requests(&emu) {
        assert_eq!(
            r.header("content-length"),
            Some(audio.len().to_string().as_str())
        );
        assert_eq!(r.header("transfer-encoding"), None);
        assert_eq!(r.body_len, audio.len() as u64);
    }
    assert_eq!(client.token_fetches(), 1);

    let missing = client
        .recognize_file(
            "/nonexistent/speech-ureq.wav",
            &RecognitionRequest::new("en-US"),
        )
        .unwrap_err();
    assert!(matches!(missing, Error::Io(ref e) if e.kind() == io::ErrorKind::NotFound));
    assert_eq!(missing.kind(), ErrorKind::InvalidInput);
}

#[test]
fn detailed_results_and_key_auth() {
    let emu = emulator();
    let client = key_client(&emu);
    let result = client
        .recognize_bytes(
            &speech_wav(800),
            &RecognitionRequest::new("en-US").format(ResultFormat::Detailed),
        )
        .unwrap();
    let best = result.best().expect("an NBest entry");
    assert!(best.confidence.is_some());
    assert!(best.lexical.is_some());
    assert_eq!(client.token_fetches(), 0, "the key is sent as it is");
    let r = &stt_requests(&emu)[0];
    assert_eq!(r.header("ocp-apim-subscription-key"), Some("***"));
    assert_eq!(r.header("authorization"), None);
    assert!(seen(&emu, TOKEN_PATH).is_empty());
}

#[test]
fn no_match_and_silence_are_results_not_errors() {
    let recognizer = Arc::new(ScriptedRecognizer::new());
    recognizer.push(Transcript::NoMatch);
    let emu = emulator_builder()
        .recognizer(recognizer)
        .start_blocking()
        .unwrap();
    let client = client(&emu);
    let request = RecognitionRequest::new("en-US");
    let no_match = client.recognize_bytes(&speech_wav(500), &request).unwrap();
    assert_eq!(no_match.status, Some(RecognitionStatus::NoMatch));
    assert!(no_match.hint().is_some());
    let silent = client
        .recognize_bytes(&wav_with(&silence(1500), SR, 1), &request)
        .unwrap();
    assert_eq!(
        silent.status,
        Some(RecognitionStatus::InitialSilenceTimeout)
    );
    assert!(silent.hint().is_some());
}

#[test]
fn misuse_is_refused_before_anything_is_sent() {
    let emu = emulator();
    let client = client(&emu);
    let err = client
        .recognize_bytes(&speech_wav(300), &RecognitionRequest::new(""))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Proto(ProtoError::Misuse(Misuse::Missing("language")))
    ));
    assert_eq!(err.kind(), ErrorKind::Usage);
    // Not even the stream is touched.
    let mut untouched = Pieces::new(speech_wav(300), 100);
    assert!(client
        .recognize(&mut untouched, &RecognitionRequest::new("en US"))
        .is_err());
    let mut rest = Vec::new();
    untouched.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, speech_wav(300));
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn wrong_audio_is_refused_before_upload_unless_the_check_is_off() {
    let emu = emulator();
    let client = client(&emu);
    let cd_audio = wav_with(&vec![0i16; 44_100 * 2], 44_100, 2);
    let request = RecognitionRequest::new("en-US");
    for err in [
        client.recognize_bytes(&cd_audio, &request).unwrap_err(),
        client
            .recognize(Pieces::new(cd_audio.clone(), 4096), &request)
            .unwrap_err(),
    ] {
        let Error::Proto(ProtoError::Audio(problems)) = &err else {
            panic!("{err:?}")
        };
        assert!(problems.contains(&AudioProblem::SampleRate { found: 44_100 }));
        assert!(problems.contains(&AudioProblem::Channels { found: 2 }));
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let text = err.to_string();
        assert!(text.contains("44100 Hz") && text.contains("sox"), "{text}");
    }
    // MP3 bytes are not WAV: named, not sent.
    let mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00 not really an mp3 but it starts like one".to_vec();
    let err = client.recognize_bytes(&mp3, &request).unwrap_err();
    assert!(matches!(
        err,
        Error::Proto(ProtoError::MalformedWav(WavError::NotRiff { .. }))
    ));
    // Over 60 s.
    let long = wav_with(&silence(61_000), SR, 1);
    let err = client.recognize_bytes(&long, &request).unwrap_err();
    assert!(
        matches!(&err, Error::Proto(ProtoError::Audio(p)) if matches!(p[..], [AudioProblem::TooLong { .. }]))
    );
    assert!(emu.requests().is_empty());

    // With the check off the audio goes up, and the service hears silence (as the real one does).
    let unchecked = client_builder(&emu).check_audio(false).build().unwrap();
    let result = unchecked.recognize_bytes(&cd_audio, &request).unwrap();
    assert_eq!(
        result.status,
        Some(RecognitionStatus::InitialSilenceTimeout)
    );
    // And bytes that are not audio at all get the service's 400, with its hint.
    let err = unchecked.recognize_bytes(&mp3, &request).unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.hint().is_some());
    assert!(
        err.to_string().contains("Unsupported audio format"),
        "{err}"
    );
    // Ogg/Opus requests are not WAV-checked.
    let ogg = client
        .recognize_bytes(
            b"OggS not really",
            &RecognitionRequest::new("en-US").content_type(AudioContentType::OggOpus),
        )
        .unwrap_err();
    assert_eq!(ogg.status().map(|s| s.as_u16()), Some(400));
}

/// Hands out the WAV header, then stalls past the emulator's audio timeout, then ends.
struct Stalling {
    head: Vec<u8>,
    stalled: bool,
}

impl Read for Stalling {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.head.is_empty() {
            let n = self.head.len().min(buf.len());
            buf[..n].copy_from_slice(&self.head[..n]);
            self.head.drain(..n);
            return Ok(n);
        }
        if !self.stalled {
            self.stalled = true;
            std::thread::sleep(Duration::from_millis(1200));
        }
        Ok(0)
    }
}

#[test]
fn a_stalled_upload_gets_the_request_timeout() {
    let emu = emulator_builder()
        .audio_timeout(Duration::from_millis(300))
        .start_blocking()
        .unwrap();
    let client = client(&emu);
    let audio = speech_wav(300);
    let err = client
        .recognize(
            Stalling {
                head: audio[..1000].to_vec(),
                stalled: false,
            },
            &RecognitionRequest::new("en-US"),
        )
        .unwrap_err();
    // The emulator answered 408 and closed; the body was partly sent, so nothing was resent.
    assert_eq!(stt_requests(&emu).len(), 1);
    assert_eq!(stt_requests(&emu)[0].status, Some(408));
    // The reader ended the body after its stall; the final chunk still went out (the server had only half-closed)
    // and the answer waiting in the socket was read.
    assert_eq!(err.status().map(|s| s.as_u16()), Some(408), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Service);
    assert!(err.hint().is_some());
}

#[test]
fn a_body_over_the_service_limit_gets_413() {
    let emu = emulator_builder()
        .max_body_bytes(1000)
        .start_blocking()
        .unwrap();
    let client = client(&emu);
    let err = client
        .recognize_bytes(&speech_wav(500), &RecognitionRequest::new("en-US"))
        .unwrap_err();
    let logged = stt_requests(&emu);
    assert!(logged.iter().all(|r| r.status == Some(413)), "{logged:?}");
    // The whole (small) body was in the socket before the emulator answered, so the answer arrives whole.
    assert_eq!(err.status().map(|s| s.as_u16()), Some(413), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(logged.len(), 1, "413 is not retried");
}

#[test]
fn a_known_length_stream_is_sent_with_content_length() {
    let emu = emulator();
    let client = client(&emu);
    let audio = speech_wav(400);
    let request =
        RecognitionRequest::new("en-US").body_length(BodyLength::Known(audio.len() as u64));
    let result = client
        .recognize(Pieces::new(audio.clone(), 333), &request)
        .unwrap();
    assert_eq!(result.status, Some(RecognitionStatus::Success));
    let r = &stt_requests(&emu)[0];
    assert_eq!(
        r.header("content-length"),
        Some(audio.len().to_string().as_str())
    );
    assert_eq!(r.body_len, audio.len() as u64);
}
