//! Streaming recognition with the real offline engine, once, at real time: the three-minute recording of
//! `long_audio.rs` streamed at 1× through the blocking client (`speech-ureq`, what `speech listen` runs on) to
//! an emulator whose connections live 30 s and whose tokens live 45 s, with Whisper tiny.en (English suffices;
//! the default model is measured in the note).
//!
//! Checked: every sentence comes back as a final phrase, at its place (within 0.5 s), with WER ≤ 10 %; the
//! reconnects lose and repeat nothing; no handshake is refused (each reconnect is authorized with a renewed
//! token); and the first hypothesis arrives within 1.5 s of the first speech onset. How that is measured: the
//! audio is written at 1× from the moment the session starts (T0), so the first sentence's first sample goes out
//! at T0 + its start in the recording; the latency is the wall time of the first `Hypothesis` event minus that.

#![cfg(feature = "whisper")]

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use speech_emulator::engines::whisper::{model_dir, WhisperRecognizer};
use speech_emulator::text::word_errors;
use speech_emulator::Emulator;
use speech_ureq::speech_proto::stt::short::RecognitionStatus;
use speech_ureq::speech_proto::stt::stream::{
    EndReason, Pacing, ReconnectReason, StreamEvent, StreamRequest, StreamSettings,
};
use speech_ureq::speech_proto::{Credential, Endpoint};
use speech_ureq::Client;

#[test]
fn three_minutes_at_real_time_with_thirty_second_connections() {
    let (script, spoken) = common::three_minute_recording();
    let model = model_dir("tiny.en").unwrap_or_else(|e| panic!("{e}"));
    let recognizer = WhisperRecognizer::load(&model).unwrap_or_else(|e| panic!("{e}"));
    let emu = Emulator::builder()
        .key(common::KEY)
        .recognizer(Arc::new(recognizer))
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

    let events: Vec<&StreamEvent> = timed.iter().map(|(_, e)| e).collect();
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::SessionEnded(EndReason::EndOfAudio))
        ),
        "{:?}",
        events.last()
    );
    let phrases: Vec<(Duration, String)> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Phrase(p) if p.status == Some(RecognitionStatus::Success) => Some((
                p.offset().unwrap_or_default(),
                p.display_text().unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect();
    let heard: Vec<&str> = phrases.iter().map(|(_, t)| t.as_str()).collect();
    let (errors, words) = word_errors(&script.join(" "), &heard.join(" "), "en-US");
    let wer = errors as f64 / words as f64;
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
        "{:.0} s of audio in {:.1} s at 1×: {} phrases for {} sentences, WER {:.1} % ({errors}/{words}), {} \
         connections ({reconnects} reconnects), {} token fetches; first hypothesis {:?} after the first onset",
        spoken.duration().as_secs_f64(),
        elapsed.as_secs_f64(),
        phrases.len(),
        script.len(),
        wer * 100.0,
        reconnects + 1,
        client.token_fetches(),
        latency,
    );
    assert!(wer <= 0.10, "WER {:.1} %: {heard:#?}", wer * 100.0);
    // Every sentence starts a phrase within 0.5 s, and no phrase is repeated (offsets strictly increase).
    for (start, sentence) in spoken.starts.iter().zip(&script) {
        let near = phrases.iter().any(|(o, _)| {
            let d = if o > start { *o - *start } else { *start - *o };
            d <= Duration::from_millis(500)
        });
        assert!(
            near,
            "no phrase within 0.5 s of {start:?} ({sentence:?}): {phrases:#?}"
        );
    }
    assert!(
        phrases.windows(2).all(|w| w[0].0 < w[1].0),
        "phrases out of order or repeated: {phrases:#?}"
    );
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
    let latency = latency.expect("a hypothesis");
    assert!(
        latency <= Duration::from_millis(1_500),
        "first hypothesis {latency:?} after the onset"
    );
}
