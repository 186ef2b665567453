//! Streaming recognition with the real offline engine (Whisper tiny.en: English suffices; the default model is
//! measured by hand with `SPEECH_LISTEN_TEST_MODEL=base`), the three-minute recording of `long_audio.rs`:
//!
//! - once at real time, through the blocking client (`speech-ureq`, what `speech listen` runs on), to an
//!   emulator whose connections live 30 s and whose tokens live 45 s;
//! - through the async client (`speech-async`) on async-std, its first-class runtime, as fast as the service
//!   takes the audio. Each real-engine scenario runs once: the same streaming session on smol, tokio and
//!   reqwest is the async suite's (`speech-async/tests/common/suite.rs`, with the deterministic engine).
//!
//! Checked: every sentence comes back as a final phrase, at its place (within 0.5 s), with WER ≤ 10 %; the
//! reconnects lose and repeat nothing; no handshake is refused (each reconnect is authorized with a renewed
//! token); and the first hypothesis arrives while the first sentence is spoken (the target, 1.5 s after the onset,
//! is printed; the assertion allows 3 s for a loaded machine). How that is measured: the
//! audio is written at 1× from the moment the session starts (T0), so the first sentence's first sample goes out
//! at T0 + its start in the recording; the latency is the wall time of the first `Hypothesis` event minus that.
//!
//! The test command (`scripts/test.sh`, nextest) starts the real-time run first and runs it beside up to two other
//! real-engine tests (`.config/nextest.toml`): the latency bound below leaves room for that.

#![cfg(whisper_engine)]

mod common;

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use speech_emulator::engines::whisper::{model_dir, WhisperRecognizer};
use speech_emulator::fixtures::Spoken;
use speech_emulator::text::word_errors;
use speech_emulator::Emulator;
use speech_ureq::speech_proto::stt::short::RecognitionStatus;
use speech_ureq::speech_proto::stt::stream::{
    EndReason, Pacing, ReconnectReason, StreamEvent, StreamRequest, StreamSettings,
};
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::Client;

/// The engine, loaded once for the tests of this file (they run at the same time).
fn engine() -> Arc<WhisperRecognizer> {
    static ENGINE: OnceLock<Arc<WhisperRecognizer>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            // SPEECH_LISTEN_TEST_MODEL=base measures the default model instead (by hand: it is slower).
            let name =
                std::env::var("SPEECH_LISTEN_TEST_MODEL").unwrap_or_else(|_| "tiny.en".to_owned());
            let model = model_dir(&name).unwrap_or_else(|e| panic!("{e}"));
            Arc::new(WhisperRecognizer::load(&model).unwrap_or_else(|e| panic!("{e}")))
        })
        .clone()
}

/// The recording, made once.
fn recording() -> &'static (Vec<&'static str>, Spoken) {
    static RECORDING: OnceLock<(Vec<&'static str>, Spoken)> = OnceLock::new();
    RECORDING.get_or_init(common::three_minute_recording)
}

/// The final phrases of `events`: (offset, text).
fn phrases(events: &[StreamEvent]) -> Vec<(Duration, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Phrase(p) if p.status == Some(RecognitionStatus::Success) => Some((
                p.offset().unwrap_or_default(),
                p.display_text().unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// WER ≤ 10 %, a phrase within 0.5 s of every sentence, none repeated; returns the WER.
fn check(label: &str, events: &[StreamEvent]) -> f64 {
    let (script, spoken) = recording();
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::SessionEnded(EndReason::EndOfAudio))
        ),
        "{label}: {:?}",
        events.last()
    );
    let phrases = phrases(events);
    let heard: Vec<&str> = phrases.iter().map(|(_, t)| t.as_str()).collect();
    let (errors, words) = word_errors(&script.join(" "), &heard.join(" "), "en-US");
    let wer = errors as f64 / words as f64;
    println!(
        "{label}: {} phrases for {} sentences, WER {:.1} % ({errors}/{words})",
        phrases.len(),
        script.len(),
        wer * 100.0
    );
    assert!(wer <= 0.10, "{label}: WER {:.1} %: {heard:#?}", wer * 100.0);
    for (start, sentence) in spoken.starts.iter().zip(script) {
        let near = phrases
            .iter()
            .any(|(o, _)| o.abs_diff(*start) <= Duration::from_millis(500));
        assert!(
            near,
            "{label}: no phrase within 0.5 s of {start:?} ({sentence:?}): {phrases:#?}"
        );
    }
    assert!(
        phrases.windows(2).all(|w| w[0].0 < w[1].0),
        "{label}: phrases out of order or repeated: {phrases:#?}"
    );
    wer
}

#[test]
fn three_minutes_at_real_time_with_thirty_second_connections() {
    let (script, spoken) = recording();
    let emu = Emulator::builder()
        .key(common::KEY)
        .recognizer(engine())
        .stream_connection_lifetime(Duration::from_secs(30))
        .token_lifetime(Duration::from_secs(45))
        .start_blocking()
        .expect("emulator");
    let client = Client::builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::key(common::KEY).expect("key"),
    )
    .proxy_from_env(false)
    .build()
    .expect("client");
    let mut settings = StreamSettings::default();
    settings.pacing = Pacing::realtime();
    let (mut writer, events) = client
        .listen(StreamRequest::new("en-US"), settings)
        .expect("listen");
    let t0 = Instant::now();
    let pcm: Vec<u8> = spoken
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let feeder = std::thread::spawn(move || {
        // 100 ms at a time, at 1×, as a microphone would.
        for (i, piece) in pcm.chunks(3_200).enumerate() {
            let due = t0 + Duration::from_millis(100 * i as u64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if writer.write_all(piece).is_err() {
                return;
            }
        }
        writer.finish();
    });
    let mut first_hypothesis = None;
    let mut timed: Vec<(Duration, StreamEvent)> = Vec::new();
    for event in events {
        if first_hypothesis.is_none() && matches!(event, StreamEvent::Hypothesis { .. }) {
            first_hypothesis = Some(t0.elapsed());
        }
        timed.push((t0.elapsed(), event));
    }
    feeder.join().expect("feeder");
    let elapsed = t0.elapsed();

    let events: Vec<StreamEvent> = timed.into_iter().map(|(_, e)| e).collect();
    let wer = check("blocking, 1x", &events);
    let reconnects = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                StreamEvent::Reconnecting {
                    reason: ReconnectReason::Lost(_),
                    ..
                }
            )
        })
        .count();
    let onset = spoken.starts[0];
    let latency = first_hypothesis.map(|t| t.saturating_sub(onset));
    println!(
        "{:.0} s of audio in {:.1} s at 1×: WER {:.1} %, {} connections ({reconnects} reconnects), {} token \
         fetches; first hypothesis {:?} after the first onset",
        spoken.duration().as_secs_f64(),
        elapsed.as_secs_f64(),
        wer * 100.0,
        reconnects + 1,
        client.token_fetches(),
        latency,
    );
    let _ = script;
    // 30 s connections over three minutes: the connection was replaced mid-file, several times.
    assert!(reconnects >= 5, "{reconnects} reconnects");
    // No handshake was refused, and tokens were renewed along the way.
    assert!(
        emu.requests().iter().all(|r| r.status != Some(401)),
        "a 401"
    );
    assert!(
        client.token_fetches() >= 4,
        "{} token fetches",
        client.token_fetches()
    );
    // The target is 1.5 s (met when this test runs alone: the line above prints it). What is asserted is the
    // design, with room for a loaded machine (other real-engine tests and processes share its two cores):
    // the first hypothesis comes while the first sentence (4–5 s) is still being spoken, not after it ends.
    let latency = latency.expect("a hypothesis");
    assert!(
        latency <= Duration::from_secs(3),
        "first hypothesis {latency:?} after the onset"
    );
}

/// The same recording on an async runtime, as fast as the service takes it.
fn async_run(
    label: &str,
    builder: impl FnOnce(Endpoint, Credential) -> speech_async::ClientBuilder,
    block_on: impl FnOnce(
        std::pin::Pin<Box<dyn std::future::Future<Output = Vec<StreamEvent>> + Send>>,
    ) -> Vec<StreamEvent>,
) {
    let (_, spoken) = recording();
    let emu = Emulator::builder()
        .key(common::KEY)
        .recognizer(engine())
        .start_blocking()
        .expect("emulator");
    let client = builder(
        Endpoint::base_url(emu.base_url()).expect("url"),
        Credential::key(common::KEY).expect("key"),
    )
    .build()
    .expect("client");
    let mut settings = StreamSettings::default();
    settings.pacing = Pacing::unlimited();
    let (mut audio, events) = client
        .listen(StreamRequest::new("en-US"), settings)
        .expect("listen");
    let pcm: Vec<u8> = spoken
        .samples
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let started = Instant::now();
    let events = block_on(Box::pin(async move {
        use futures_util::{AsyncWriteExt, StreamExt};
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
    }));
    println!("{label}: {:.1} s", started.elapsed().as_secs_f64());
    check(label, &events);
}

#[test]
fn three_minutes_on_async_std() {
    async_run(
        "async-std",
        |e, c| speech_async::Client::builder(e, c).runtime(speech_async::runtime::AsyncStd),
        async_std::task::block_on,
    );
}
