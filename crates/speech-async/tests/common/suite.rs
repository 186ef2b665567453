//! The end-to-end scenarios, written once and run on every runtime and transport (see the `suite!` macro at
//! the bottom, used by `tests/async_std.rs`, `tests/smol.rs`, `tests/tokio_raw.rs` and
//! `tests/tokio_reqwest.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use http::StatusCode;
use speech_async::speech_proto::recognize::{RecognitionRequest, RecognitionStatus};
use speech_async::speech_proto::retry::TransportFailure;
use speech_async::speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
use speech_async::speech_proto::{Credential, Endpoint, Error as ProtoError};
use speech_async::{AuthMode, Error, ErrorKind};

use super::*;

fn synthesis(text: &str) -> SynthesisRequest {
    let ssml = Ssml::simple("en-US", "en-US-AvaNeural", text);
    SynthesisRequest::new(
        &ssml,
        OutputFormat::Riff16Khz16BitMonoPcm,
        "speech-async-tests/1.0",
    )
    .expect("synthesis request")
}

fn statuses(emu: &EmulatorHandle, path: &str) -> Vec<Option<u16>> {
    seen(emu, path).iter().map(|r| r.status).collect()
}

/// Recognition, streamed synthesis, voices and the token, with one token fetch for all of them.
pub fn every_call_once(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    flavor.block_on(async {
        let audio = speech_wav(800);
        let result = client
            .recognize_bytes(&audio, &RecognitionRequest::new("en-US"))
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
        assert!(!result.display_text().unwrap_or_default().is_empty());

        let mut stream = client
            .synthesize(&synthesis("Hello from every runtime."))
            .await
            .unwrap();
        assert_eq!(stream.format(), OutputFormat::Riff16Khz16BitMonoPcm);
        let mut wav = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = stream.next().await {
            wav.extend_from_slice(&chunk.unwrap());
            chunks += 1;
        }
        assert!(chunks >= 1);
        assert!(
            wav.starts_with(b"RIFF") && wav.len() > 44,
            "{} bytes",
            wav.len()
        );

        let voices = client.voices().await.unwrap();
        assert!(voices.iter().any(|v| v.speaks("en-US")));

        let token = client.token().await.unwrap();
        assert!(!token.expose_secret().is_empty());
    });
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 1);
    assert_eq!(statuses(&emu, STT_PATH), vec![Some(200)]);
    assert_eq!(statuses(&emu, TTS_PATH), vec![Some(200)]);
    // The recognition went up with its length.
    assert_eq!(
        seen(&emu, STT_PATH)[0].body_len,
        speech_wav(800).len() as u64
    );
}

/// A reader and a stream handing out 1, 7, 333 and 4097 bytes at a time go up chunked and arrive whole.
pub fn chunked_upload_in_odd_pieces(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    let audio = speech_wav(1500);
    flavor.block_on(async {
        let request = RecognitionRequest::new("en-US");
        let result = client
            .recognize(OddPieces::new(audio.clone()), &request)
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
        let result = client
            .recognize_stream(odd_stream(&audio), &request)
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
    });
    let logged = seen(&emu, STT_PATH);
    assert_eq!(logged.len(), 2);
    for r in logged {
        assert_eq!(r.status, Some(200));
        assert_eq!(r.body_len, audio.len() as u64);
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    }
}

/// TLS against the emulator's HTTPS mode, trusting its CA; without the CA the certificate is refused (and that
/// is not retried).
pub fn tls_with_the_emulators_ca(flavor: &impl Flavor) {
    let emu = emulator_builder().tls(true).start_blocking().unwrap();
    assert!(emu.base_url().starts_with("https://"));
    let client = client_builder(flavor, &emu).build().unwrap();
    flavor.block_on(async {
        let result = client
            .recognize(
                OddPieces::new(speech_wav(500)),
                &RecognitionRequest::new("en-US"),
            )
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
        let wav = client
            .synthesize(&synthesis("Secure."))
            .await
            .unwrap()
            .collect_bytes()
            .await
            .unwrap();
        assert!(wav.starts_with(b"RIFF"));
    });
    let untrusting = flavor
        .builder(
            Endpoint::base_url(emu.base_url()).unwrap(),
            Credential::key(KEY).unwrap(),
            None,
        )
        .auth_mode(AuthMode::Key)
        .retry(quick_retry(4))
        .build()
        .unwrap();
    let before = emu.requests().len();
    let err = flavor.block_on(untrusting.voices()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert_eq!(emu.requests().len(), before, "no request got through");
}

/// 200 recognitions at once on one client: one token fetch, seen once by the emulator.
pub fn two_hundred_concurrent_recognitions_share_one_token_fetch(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    let audio = speech_wav(300);
    let request = RecognitionRequest::new("en-US");
    let results = flavor.block_on(futures_util::future::join_all((0..200).map(|i| {
        let client = client.clone();
        let (audio, request) = (&audio, &request);
        async move {
            if i % 2 == 0 {
                client.recognize_bytes(audio, request).await
            } else {
                client
                    .recognize(OddPieces::new(audio.clone()), request)
                    .await
            }
        }
    })));
    for result in results {
        assert_eq!(result.unwrap().status, Some(RecognitionStatus::Success));
    }
    assert_eq!(client.token_fetches(), 1);
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 1);
    let stt = statuses(&emu, STT_PATH);
    assert_eq!(stt.len(), 200);
    assert!(stt.iter().all(|s| *s == Some(200)), "{stt:?}");
}

/// Short-lived tokens: the client notices the expiry and fetches a new one, and the service never sees an
/// expired token.
pub fn a_token_expiring_mid_run_is_replaced(flavor: &impl Flavor) {
    let emu = emulator_builder()
        .token_lifetime(Duration::from_secs(2))
        .start_blocking()
        .unwrap();
    let client = client_builder(flavor, &emu).build().unwrap();
    let runtime = flavor.runtime();
    flavor.block_on(async {
        client.voices().await.unwrap();
        runtime.sleep(Duration::from_millis(2500)).await;
        client.voices().await.unwrap();
        let result = client
            .recognize(
                OddPieces::new(speech_wav(300)),
                &RecognitionRequest::new("en-US"),
            )
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
    });
    let fetches = client.token_fetches();
    assert!(fetches >= 2, "{fetches}");
    assert_eq!(seen(&emu, TOKEN_PATH).len() as u64, fetches);
    assert!(statuses(&emu, VOICES_PATH).iter().all(|s| *s == Some(200)));
}

/// A clock that stands still: the client believes its 2-second token is fresh, the emulator says it expired.
/// The 401 makes the client drop it, fetch a new one and resend — once.
pub fn a_rejected_token_is_refetched_once(flavor: &impl Flavor) {
    let emu = emulator_builder()
        .token_lifetime(Duration::from_secs(2))
        .start_blocking()
        .unwrap();
    let frozen = FrozenClock {
        inner: flavor.runtime(),
        at: Instant::now(),
    };
    let client = client_builder(flavor, &emu)
        .runtime(frozen)
        .no_retry()
        .build()
        .unwrap();
    let runtime = flavor.runtime();
    flavor.block_on(async {
        client.voices().await.unwrap();
        runtime.sleep(Duration::from_millis(3100)).await;
        client.voices().await.unwrap();
    });
    assert_eq!(client.token_fetches(), 2);
    let order: Vec<_> = emu
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    let expect = |p: &str, s: u16| (p.to_owned(), Some(s));
    assert_eq!(
        order,
        vec![
            expect(TOKEN_PATH, 200),
            expect(VOICES_PATH, 200),
            expect(VOICES_PATH, 401),
            expect(TOKEN_PATH, 200),
            expect(VOICES_PATH, 200),
        ]
    );
}

/// A wrong key: refused by the token service at once (not retried), or — sent as is — by the speech host.
pub fn a_wrong_key_is_a_401(flavor: &impl Flavor) {
    let emu = emulator();
    let endpoint = || Endpoint::base_url(emu.base_url()).unwrap();
    let wrong = || Credential::key("wrong-key").unwrap();
    let client = flavor
        .builder(endpoint(), wrong(), None)
        .retry(quick_retry(4))
        .build()
        .unwrap();
    let err = flavor.block_on(client.voices()).unwrap_err();
    assert!(
        matches!(err, Error::Proto(ProtoError::TokenUnavailable { .. })),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(!err.to_string().contains("wrong-key"));
    assert_eq!(seen(&emu, TOKEN_PATH).len(), 1);
    assert!(seen(&emu, VOICES_PATH).is_empty());

    let keyed = flavor
        .builder(endpoint(), wrong(), None)
        .auth_mode(AuthMode::Key)
        .retry(quick_retry(4))
        .build()
        .unwrap();
    // With `Expect: 100-continue`, the 401 comes before the body, which is then never sent.
    let audio = speech_wav(300);
    let request = RecognitionRequest::new("en-US").expect_continue(true);
    let err = flavor
        .block_on(keyed.recognize(OddPieces::new(audio.clone()), &request))
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_retryable());
    let logged = seen(&emu, STT_PATH);
    assert_eq!(logged.len(), 1, "a static key is not retried");
    if flavor.honours_expect() {
        assert_eq!(logged[0].body_len, 0, "the body waited for 100 Continue");
    }
    // And with the right key, the body follows the 100 Continue.
    let good = client_builder(flavor, &emu).build().unwrap();
    let result = flavor
        .block_on(good.recognize(OddPieces::new(audio.clone()), &request))
        .unwrap();
    assert_eq!(result.status, Some(RecognitionStatus::Success));
    assert_eq!(seen(&emu, STT_PATH)[1].body_len, audio.len() as u64);
}

/// A 429 is waited out and retried; with no retries it is the answer, typed.
pub fn throttling_is_retried(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    flavor.block_on(async {
        client.voices().await.unwrap();
        emu.faults().fail_next(1, StatusCode::TOO_MANY_REQUESTS);
        client.voices().await.unwrap();
        // Retry-After: 1 from a quota, honoured as the service says.
        emu.faults().set_quota(1, Duration::from_secs(1));
        let result = client
            .recognize_bytes(&speech_wav(300), &RecognitionRequest::new("en-US"))
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
        client.voices().await.unwrap();
        emu.faults().clear();
    });
    assert_eq!(
        statuses(&emu, VOICES_PATH),
        vec![Some(200), Some(429), Some(200), Some(429), Some(200)]
    );
    let impatient = client_builder(flavor, &emu).no_retry().build().unwrap();
    flavor.block_on(async {
        // The token fetch is the first request: let it through first.
        impatient.token().await.unwrap();
        emu.faults().fail_next(1, StatusCode::TOO_MANY_REQUESTS);
        let err = impatient.voices().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Throttled);
        assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    });
}

/// A synthesis answer cut halfway ends the stream with an error, never a short file.
pub fn a_truncated_synthesis_is_an_error(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    flavor.block_on(async {
        client.token().await.unwrap();
        emu.faults().truncate_next(1);
        let stream = client
            .synthesize(&synthesis("This answer is cut."))
            .await
            .unwrap();
        let err = stream.collect_bytes().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    });
}

/// A connection reset mid-upload: bytes in memory are sent again, a partly sent stream is not.
pub fn a_reset_mid_upload_resends_bytes_but_not_a_stream(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    let audio = speech_wav(1000);
    flavor.block_on(async {
        client.token().await.unwrap(); // the token first: the fault hits the next request
        emu.faults().reset_after_body_bytes(5000);
        let result = client
            .recognize_bytes(&audio, &RecognitionRequest::new("en-US"))
            .await
            .unwrap();
        assert_eq!(result.status, Some(RecognitionStatus::Success));
        let logged = seen(&emu, STT_PATH);
        assert_eq!(logged.len(), 2);
        assert_eq!(logged[0].status, None);
        assert_eq!(logged[1].body_len, audio.len() as u64);

        emu.faults().reset_after_body_bytes(5000);
        let err = client
            .recognize(
                OddPieces::new(audio.clone()),
                &RecognitionRequest::new("en-US"),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
        assert_eq!(
            seen(&emu, STT_PATH).len(),
            3,
            "a partly sent stream is not resent"
        );
    });
}

/// A service that never answers hits the IO timeout, which is retryable (raw transport: reqwest has its own
/// timeouts).
pub fn a_stalled_answer_hits_the_io_timeout(flavor: &impl Flavor) {
    let emu = emulator();
    let client = client_builder(flavor, &emu)
        .io_timeout(Duration::from_millis(300))
        .no_retry()
        .build()
        .unwrap();
    flavor.block_on(async {
        client.voices().await.unwrap();
        emu.faults().stall_next(1);
        let err = client.voices().await.unwrap_err();
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
        assert!(err.is_retryable());
        // With retries, the next attempt gets through.
        emu.faults().stall_next(1);
        let patient = client_builder(flavor, &emu)
            .io_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        assert!(!patient.voices().await.unwrap().is_empty());
    });
}

/// Sequential calls reuse one connection (raw transport only: reqwest's pool is its own business).
pub fn connections_are_reused(flavor: &impl Flavor) {
    let emu = emulator();
    let count = Arc::new(Mutex::new(0));
    let client = client_builder(flavor, &emu)
        .runtime(CountingConnects {
            inner: flavor.runtime(),
            count: count.clone(),
        })
        .build()
        .unwrap();
    flavor.block_on(async {
        for _ in 0..5 {
            client.voices().await.unwrap();
        }
        let wav = client
            .synthesize(&synthesis("Reuse."))
            .await
            .unwrap()
            .collect_bytes()
            .await
            .unwrap();
        client
            .recognize_bytes(&wav, &RecognitionRequest::new("en-US"))
            .await
            .unwrap();
    });
    assert_eq!(
        *count.lock().unwrap(),
        1,
        "token, 5 voices, synthesis, recognition on one connection"
    );
}

/// `fast_transcribe`: a file (sent with its length, replayable) and a reader (sent chunked) go up inside a
/// strict multipart body; the emulator's phrases, words and speakers come back as a transcript. The key goes
/// as it is: no token is fetched.
pub fn a_recording_is_fast_transcribed_in_one_request(flavor: &impl Flavor) {
    use speech_async::speech_audio::decode::Source;
    use speech_async::speech_proto::stt::fast::FastTranscriptionOptions;
    use speech_emulator::engine::Transcript;
    use speech_emulator::engines::scripted::ScriptedRecognizer;

    let spoken = speech_emulator::fixtures::short_dialogue().unwrap_or_else(|e| panic!("{e}"));
    let wav = wav_with(&spoken.samples, 16_000, 1);
    let dir = std::env::temp_dir().join(format!("speech-async-fast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{}.wav",
        std::any::type_name_of_val(flavor).replace("::", "_")
    ));
    std::fs::write(&path, &wav).unwrap();

    let recognizer = Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(Transcript::Text {
        text: "Words heard.".into(),
        confidence: 0.9,
    });
    let emu = emulator_builder()
        .recognizer(recognizer)
        .start_blocking()
        .unwrap();
    let client = client_builder(flavor, &emu).build().unwrap();
    let options = FastTranscriptionOptions::new().locale("en-US").speakers(2);
    let from_file = flavor
        .block_on(client.fast_transcribe(path.as_path(), &options))
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&path);
    let from_reader = flavor
        .block_on(client.fast_transcribe(
            Source::reader(std::io::Cursor::new(wav), Some("wav")),
            &options,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_file, from_reader);
    assert_eq!(from_file.phrases.len(), 3, "{from_file:?}");
    let speakers: Vec<Option<u32>> = from_file.phrases.iter().map(|p| p.speaker).collect();
    assert_eq!(speakers, vec![Some(0), Some(1), Some(0)]);
    for (phrase, start) in from_file.phrases.iter().zip(&spoken.starts) {
        assert!(
            phrase.offset.abs_diff(*start) <= Duration::from_millis(300),
            "{phrase:?}"
        );
        assert_eq!(phrase.words.len(), 2);
    }
    assert_eq!(client.token_fetches(), 0);
    assert_eq!(
        seen(&emu, "/speechtotext/transcriptions:transcribe").len(),
        2
    );
}

/// `transcribe`: a 48 kHz stereo WAV with three spoken sentences between pauses is decoded (on the blocking
/// pool), cut at its pauses, recognized two segments at a time and stitched onto its timeline in order.
pub fn a_recording_is_cut_at_pauses_and_stitched(flavor: &impl Flavor) {
    use speech_async::speech_proto::stt::TranscribeOptions;
    use speech_emulator::engine::Transcript;
    use speech_emulator::engines::scripted::ScriptedRecognizer;

    let script = [
        (Duration::from_millis(800), "The first sentence is short."),
        (
            Duration::from_millis(1_500),
            "Then a second one follows after a pause.",
        ),
        (
            Duration::from_millis(2_000),
            "And the third one ends the recording.",
        ),
    ];
    let spoken = speech_emulator::fixtures::speak(&script).unwrap_or_else(|e| panic!("{e}"));
    let dir = std::env::temp_dir().join(format!("speech-async-transcribe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{}.wav",
        std::any::type_name_of_val(flavor).replace("::", "_")
    ));
    // 48 kHz stereo: each sample three times, on both channels.
    let stereo: Vec<i16> = spoken.samples.iter().flat_map(|&s| [s; 6]).collect();
    std::fs::write(&path, wav_with(&stereo, 48_000, 2)).unwrap();

    let recognizer = Arc::new(ScriptedRecognizer::new());
    recognizer.set_default(Transcript::Text {
        text: "Heard.".into(),
        confidence: 0.9,
    });
    let emu = emulator_builder()
        .recognizer(recognizer)
        .start_blocking()
        .unwrap();
    let client = client_builder(flavor, &emu).build().unwrap();
    let options = TranscribeOptions::new(RecognitionRequest::new("en-US")).concurrency(2);
    let reports = Mutex::new(0usize);
    let transcript = flavor
        .block_on(
            client.transcribe_with_progress(path.as_path(), &options, |_| {
                *reports.lock().unwrap() += 1;
            }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&path);
    assert_eq!(seen(&emu, STT_PATH).len(), 3);
    assert_eq!(transcript.text(), "Heard. Heard. Heard.");
    for (phrase, start) in transcript.phrases.iter().zip(&spoken.starts) {
        assert!(
            phrase.offset.abs_diff(*start) <= Duration::from_millis(500),
            "a sentence at {start:?}, its phrase at {:?}",
            phrase.offset
        );
    }
    let length = transcript.duration.expect("length");
    assert!(length.abs_diff(spoken.duration()) < Duration::from_millis(20));
    assert!(*reports.lock().unwrap() >= 3);

    // Not audio: a decoding error, and nothing is sent.
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not audio").unwrap();
    let err = flavor
        .block_on(client.transcribe(text.as_path(), &options))
        .expect_err("text is not audio");
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let _ = std::fs::remove_file(&text);
    assert_eq!(seen(&emu, STT_PATH).len(), 3);
}

/// Streaming recognition over WebSocket: six sentences at 8× real time to an emulator whose connections live
/// 0.5 s (the service's ~10 minutes, shortened): every sentence once as a final phrase, at its place, with
/// hypotheses, across several connections (what they did not cover is replayed). Then over TLS, and a wrong key.
pub fn streaming_recognition_across_short_connections(flavor: &impl Flavor) {
    use futures_util::AsyncWriteExt;
    use speech_async::speech_proto::stt::stream::{
        EndReason, Pacing, StreamEvent, StreamRequest, StreamSettings,
    };

    let spoken = speech_emulator::fixtures::speak(&[
        (Duration::from_millis(600), "Good morning everyone."),
        (Duration::from_millis(1_300), "Let us begin the meeting."),
        (Duration::from_millis(1_300), "The weather is fine today."),
        (Duration::from_millis(1_300), "Please open the window."),
        (Duration::from_millis(1_300), "We will meet again tomorrow."),
        (Duration::from_millis(1_300), "Thank you for coming."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let pcm: Vec<u8> = spoken
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let listen = |client: &speech_async::Client, pacing: Pacing| {
        let mut settings = StreamSettings::default();
        settings.pacing = pacing;
        let (mut audio, events) = client
            .listen(StreamRequest::new("en-US"), settings)
            .expect("listen");
        let pcm = pcm.clone();
        flavor.block_on(async move {
            let writer = async move {
                for piece in pcm.chunks(3_200) {
                    if audio.write_all(piece).await.is_err() {
                        return;
                    }
                }
                let _ = audio.close().await;
            };
            let (_, events) = futures_util::join!(writer, events.collect::<Vec<StreamEvent>>());
            events
        })
    };
    let phrases = |events: &[StreamEvent]| -> Vec<Duration> {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Phrase(p) if p.status == Some(RecognitionStatus::Success) => {
                    p.offset()
                }
                _ => None,
            })
            .collect()
    };

    let emu = emulator_builder()
        .stream_connection_lifetime(Duration::from_millis(500))
        .start_blocking()
        .unwrap();
    let client = client_builder(flavor, &emu).build().unwrap();
    let pacing = Pacing {
        burst: Duration::ZERO,
        rate: Some(8.0),
    };
    let events = listen(&client, pacing);
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::SessionEnded(EndReason::EndOfAudio))
        ),
        "{events:?}"
    );
    let offsets = phrases(&events);
    assert_eq!(
        offsets.len(),
        spoken.starts.len(),
        "{offsets:?} for {:?}",
        spoken.starts
    );
    for (o, start) in offsets.iter().zip(&spoken.starts) {
        assert!(
            o.abs_diff(*start) <= Duration::from_millis(500),
            "{o:?} for {start:?}"
        );
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, StreamEvent::Hypothesis { .. })));
    let connections = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Connected { .. }))
        .count();
    assert!(connections >= 3, "{connections} connections");

    // TLS with the emulator's CA (the raw transport's settings; reqwest clients take no root certificates).
    if flavor.honours_expect() {
        let emu = emulator_builder().tls(true).start_blocking().unwrap();
        let client = client_builder(flavor, &emu).build().unwrap();
        let events = listen(&client, Pacing::unlimited());
        assert_eq!(phrases(&events).len(), spoken.starts.len(), "{events:?}");
    }

    // A wrong key: the handshake's 401, as an auth error with a hint.
    let client = flavor
        .builder(
            Endpoint::base_url(emu.base_url()).unwrap(),
            Credential::key("wrong-key").unwrap(),
            None,
        )
        .auth_mode(AuthMode::Key)
        .build()
        .unwrap();
    let events = listen(&client, Pacing::unlimited());
    let Some(StreamEvent::SessionEnded(EndReason::Error(e))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(e.kind(), speech_async::speech_proto::ErrorKind::Auth, "{e}");
    assert!(e.hint().is_some());
}

/// Synthesis over WebSocket: a three-sentence SSML with a bookmark gives its audio and every event, the first
/// audio before the last sentence's events; a second synthesis reuses the connection; a refused SSML is typed.
pub fn synthesis_over_websocket(flavor: &impl Flavor) {
    use speech_async::speech_proto::tts::stream::{
        BoundaryKind, MetadataOptions, SpeakRequest, SynthesisEvent, SynthesisSettings,
    };
    use speech_async::speech_proto::StreamError;
    let emu = emulator();
    let client = client_builder(flavor, &emu).build().unwrap();
    let ssml = "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>\
                <voice name='en-US-AvaNeural'>The first sentence is here. The second one, with a comma. \
                <bookmark mark='third'/>And the third ends it.</voice></speak>";
    flavor.block_on(async {
        let mut synthesizer = client.synthesizer(SynthesisSettings::default());
        let request = SpeakRequest::ssml(ssml)
            .unwrap()
            .format(OutputFormat::Raw16Khz16BitMonoPcm)
            .metadata(MetadataOptions::all());
        let events: Vec<SynthesisEvent> = synthesizer.speak(request).unwrap().collect().await;
        let audio: usize = events
            .iter()
            .map(|e| match e {
                SynthesisEvent::Audio(a) => a.len(),
                _ => 0,
            })
            .sum();
        assert!(audio > 64_000, "{audio} bytes");
        assert!(matches!(events.last(), Some(SynthesisEvent::Completed { .. })), "{events:?}");
        let words = events
            .iter()
            .filter(|e| matches!(e, SynthesisEvent::Boundary(b) if b.kind == BoundaryKind::Word))
            .count();
        assert_eq!(words, 16);
        assert!(events
            .iter()
            .any(|e| matches!(e, SynthesisEvent::Bookmark { name, .. } if name == "third")));
        assert!(events.iter().any(|e| matches!(e, SynthesisEvent::Viseme { .. })));
        let first_audio = events.iter().position(|e| matches!(e, SynthesisEvent::Audio(_)));
        let last_sentence = events.iter().position(
            |e| matches!(e, SynthesisEvent::Boundary(b) if b.text == "And the third ends it."),
        );
        assert!(first_audio < last_sentence, "audio as it is made");
        let again = synthesizer
            .speak_collect(SpeakRequest::text("en-US", "en-US-AvaNeural", "Again.").unwrap())
            .await
            .unwrap();
        assert!(again.audio.starts_with(b"RIFF"));
        let bad = "<speak version='1.0' xml:lang='en-US'><voice name='en-US-AvaNeural'>a & b</voice></speak>";
        let err = synthesizer
            .speak_collect(SpeakRequest::ssml(bad).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Proto(ProtoError::Stream(StreamError::SynthesisRefused { .. }))),
            "{err:?}"
        );
    });
    assert_eq!(seen(&emu, "/tts/cognitiveservices/websocket/v1").len(), 1);
}

/// Speech translation (the scripted engine hears Spanish and translates it into English): every phrase once as
/// `Translated`, with its English text, at its place; a second target the emulator cannot translate into makes
/// each phrase's translation an error naming the pair, and the session goes on to the end of the audio.
pub fn translation_into_english_and_a_refused_target(flavor: &impl Flavor) {
    use futures_util::AsyncWriteExt;
    use speech_async::speech_proto::stt::stream::translation::TranslationStatus;
    use speech_async::speech_proto::stt::stream::{
        EndReason, Pacing, StreamEvent, StreamRequest, StreamSettings,
    };
    use speech_emulator::engine::Transcript;
    use speech_emulator::engines::scripted::ScriptedRecognizer;

    let spoken = speech_emulator::fixtures::speak(&[
        (Duration::from_millis(600), "Good morning everyone."),
        (Duration::from_millis(1_300), "Let us begin the meeting."),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let pcm: Vec<u8> = spoken
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let recognizer = ScriptedRecognizer::new();
    let text = |t: &str| Transcript::Text {
        text: t.to_owned(),
        confidence: 0.9,
    };
    recognizer.set_for_language("es-ES", text("Hola, ¿qué tal?"));
    recognizer.set_english_for("es-ES", text("Hello, how are you?"));
    let emu = emulator_builder()
        .recognizer(Arc::new(recognizer))
        .start_blocking()
        .unwrap();
    let client = client_builder(flavor, &emu).build().unwrap();
    for (request, status) in [
        (
            StreamRequest::new("es-ES").translate_to("en"),
            TranslationStatus::Success,
        ),
        (
            StreamRequest::new("es-ES")
                .translate_to("en")
                .translate_to("fr"),
            TranslationStatus::Error,
        ),
    ] {
        let mut settings = StreamSettings::default();
        settings.pacing = Pacing::unlimited();
        let (mut audio, events) = client.listen(request, settings).expect("listen");
        let pcm = pcm.clone();
        let events = flavor.block_on(async move {
            let writer = async move {
                for piece in pcm.chunks(3_200) {
                    if audio.write_all(piece).await.is_err() {
                        return;
                    }
                }
                let _ = audio.close().await;
            };
            let (_, events) = futures_util::join!(writer, events.collect::<Vec<StreamEvent>>());
            events
        });
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
        assert_eq!(translated.len(), spoken.starts.len(), "{events:?}");
        for (r, start) in translated.iter().zip(&spoken.starts) {
            assert_eq!(r.text, "Hola, ¿qué tal?");
            let offset = Duration::from_nanos(r.offset_ticks.unwrap() * 100);
            assert!(
                offset.abs_diff(*start) < Duration::from_millis(300),
                "{offset:?} vs {start:?}"
            );
            let t = r.translation.as_ref().unwrap();
            assert_eq!(t.text("en"), Some("Hello, how are you?"));
            assert_eq!(t.status, status);
            if status == TranslationStatus::Error {
                assert!(
                    t.failure_reason
                        .as_deref()
                        .is_some_and(|f| f.contains("es-ES to fr")),
                    "{t:?}"
                );
            }
        }
    }
}

/// Instantiate every scenario as a `#[test]` for one flavor.
#[macro_export]
macro_rules! suite {
    ($flavor:expr) => {
        #[test]
        fn synthesis_over_websocket() {
            common::suite::synthesis_over_websocket(&$flavor);
        }
        #[test]
        fn every_call_once() {
            common::suite::every_call_once(&$flavor);
        }
        #[test]
        fn chunked_upload_in_odd_pieces() {
            common::suite::chunked_upload_in_odd_pieces(&$flavor);
        }
        #[test]
        fn tls_with_the_emulators_ca() {
            common::suite::tls_with_the_emulators_ca(&$flavor);
        }
        #[test]
        fn two_hundred_concurrent_recognitions_share_one_token_fetch() {
            common::suite::two_hundred_concurrent_recognitions_share_one_token_fetch(&$flavor);
        }
        #[test]
        fn a_token_expiring_mid_run_is_replaced() {
            common::suite::a_token_expiring_mid_run_is_replaced(&$flavor);
        }
        #[test]
        fn a_rejected_token_is_refetched_once() {
            common::suite::a_rejected_token_is_refetched_once(&$flavor);
        }
        #[test]
        fn a_wrong_key_is_a_401() {
            common::suite::a_wrong_key_is_a_401(&$flavor);
        }
        #[test]
        fn throttling_is_retried() {
            common::suite::throttling_is_retried(&$flavor);
        }
        #[test]
        fn a_reset_mid_upload_resends_bytes_but_not_a_stream() {
            common::suite::a_reset_mid_upload_resends_bytes_but_not_a_stream(&$flavor);
        }
        #[test]
        fn a_recording_is_fast_transcribed_in_one_request() {
            common::suite::a_recording_is_fast_transcribed_in_one_request(&$flavor);
        }
        #[test]
        fn a_recording_is_cut_at_pauses_and_stitched() {
            common::suite::a_recording_is_cut_at_pauses_and_stitched(&$flavor);
        }
        #[test]
        fn streaming_recognition_across_short_connections() {
            common::suite::streaming_recognition_across_short_connections(&$flavor);
        }
        #[test]
        fn a_truncated_synthesis_is_an_error() {
            common::suite::a_truncated_synthesis_is_an_error(&$flavor);
        }
        #[test]
        fn translation_into_english_and_a_refused_target() {
            common::suite::translation_into_english_and_a_refused_target(&$flavor);
        }
    };
}
