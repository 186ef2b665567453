//! A long recording in a format the service does not take, through the main job with the real offline engine:
//! about three minutes of flite speech (42 sentences after pauses of 0.6–3 s), as 44.1 kHz stereo MP3, comes
//! back from `speech transcribe --output srt` (no credentials: the embedded emulator, Whisper base) with
//! WER ≤ 10 % against the script, and every sentence starts a cue within 0.5 s of where it starts in the audio.
//!
//! The expensive scenario of the any-audio work: it runs once, here.

#![cfg(feature = "whisper")]

mod common;

use std::time::{Duration, Instant};

use common::{run, speech, strict_srt};
use speech_emulator::fixtures::{speak, SENTENCES};
use speech_emulator::text::word_errors;

/// The pauses before the sentences, in turn.
const PAUSES_MS: [u64; 6] = [600, 1_200, 3_000, 800, 2_000, 1_500];

/// 16 kHz mono to 44.1 kHz stereo (linear interpolation: the decoder's band-limited resampler takes it back).
fn to_44k_stereo(samples: &[i16]) -> (Vec<i16>, Vec<i16>) {
    let n = samples.len() * 441 / 160;
    let channel: Vec<i16> = (0..n)
        .map(|i| {
            let x = i as f64 * 160.0 / 441.0;
            let j = x as usize;
            let frac = x - j as f64;
            let a = f64::from(samples[j.min(samples.len() - 1)]);
            let b = f64::from(samples[(j + 1).min(samples.len() - 1)]);
            (a + (b - a) * frac).round() as i16
        })
        .collect();
    (channel.clone(), channel)
}

/// MP3 (LAME, 128 kbit/s CBR) of 44.1 kHz stereo.
fn mp3(left: &[i16], right: &[i16]) -> Vec<u8> {
    use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushNoGap, Quality};
    let mut builder = Builder::new().expect("LAME");
    builder.set_num_channels(2).expect("channels");
    builder.set_sample_rate(44_100).expect("rate");
    builder.set_brate(Bitrate::Kbps128).expect("bit rate");
    builder.set_quality(Quality::Good).expect("quality");
    let mut encoder = builder.build().expect("encoder");
    let mut out = Vec::new();
    for (l, r) in left.chunks(1152 * 16).zip(right.chunks(1152 * 16)) {
        out.reserve(mp3lame_encoder::max_required_buffer_size(l.len()));
        encoder
            .encode_to_vec(DualPcm { left: l, right: r }, &mut out)
            .expect("encode");
    }
    out.reserve(mp3lame_encoder::max_required_buffer_size(0));
    encoder.flush_to_vec::<FlushNoGap>(&mut out).expect("flush");
    out
}

#[test]
fn three_minutes_of_mp3_come_back_as_timed_subtitles() {
    let script: Vec<(Duration, &str)> = SENTENCES
        .iter()
        .enumerate()
        .map(|(i, s)| (Duration::from_millis(PAUSES_MS[i % PAUSES_MS.len()]), *s))
        .collect();
    let spoken = speak(&script).unwrap_or_else(|e| panic!("{e}"));
    let length = spoken.duration();
    assert!(length >= Duration::from_secs(180), "{length:?}");
    let (left, right) = to_44k_stereo(&spoken.samples);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("meeting.mp3");
    std::fs::write(&path, mp3(&left, &right)).expect("write the MP3");

    let started = Instant::now();
    let r = run(speech().args(["transcribe", "--output", "srt"]).arg(&path));
    let elapsed = started.elapsed();
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("embedded offline emulator"), "{r:?}");
    let cues = strict_srt(&r.stdout);

    let heard: Vec<&str> = cues.iter().map(|(_, _, text)| text.as_str()).collect();
    let reference: Vec<&str> = script.iter().map(|(_, s)| *s).collect();
    let (errors, words) = word_errors(&reference.join(" "), &heard.join(" "), "en-US");
    let wer = errors as f64 / words as f64;
    println!(
        "{:.0} s of MP3 in {:.1} s: {} cues, WER {:.1} % ({errors}/{words})",
        length.as_secs_f64(),
        elapsed.as_secs_f64(),
        cues.len(),
        wer * 100.0
    );
    assert!(wer <= 0.10, "WER {:.1} %:\n{}", wer * 100.0, r.stdout);

    for (start, text) in spoken.starts.iter().zip(&reference) {
        let at = start.as_secs_f64();
        assert!(
            cues.iter().any(|(cue, _, _)| (cue - at).abs() <= 0.5),
            "no cue starts within 0.5 s of {at:.2} s ({text:?}):\n{}",
            r.stdout
        );
    }
}
