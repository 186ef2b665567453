//! Why the segmenter's default detector is `earshot` and not an energy gate: both cut the same recordings, and
//! the test measures how well each finds the sentences.
//!
//! - Three minutes of flite speech (42 sentences after pauses of 0.6–3 s), clean, and again with a steady
//!   noise floor (white noise at about −36 dBFS and a 50 Hz hum: a laptop microphone in a quiet room), and
//!   again with someone typing (a key click every 180–300 ms, in the pauses too).
//! - The five LibriVox sentences of Debian's `pocketsphinx-testdata` (a real reader, real room noise) joined
//!   with pauses of 0.7–2 s.
//!
//! For each: the share of sentences with a segment starting within 0.5 s of the sentence (what subtitles need),
//! and the number of segments per sentence (1.0 is ideal; more means utterances split mid-sentence, fewer means
//! sentences run together). The gate is a fair one: it adapts to the noise floor, as an energy gate must.
//! The test fails if the gate measures better than earshot, which would mean the default should change.
//!
//! Measured (found / segments per sentence), earshot then the gate: clean 100 % / 1.00 and 100 % / 1.00;
//! noise floor 100 % / 1.02 and 100 % / 1.00; typing 100 % / 1.02 and 12 % / 0.33 (the clicks hold the gate
//! open, so sentences run together); LibriVox 100 % / 1.00 both. On steady noise the two are alike; on
//! noise that comes and goes only the neural detector still hears the pauses.

use std::path::Path;
use std::time::Duration;

use speech_audio::segment::{EarshotVad, Segment, Segmenter, SegmenterConfig, Vad, FRAME};
use speech_emulator::fixtures::{speak, SENTENCES};

/// An adaptive energy gate: speech when a frame's RMS is 4× (12 dB) above the running noise floor, the floor
/// being the lowest frame RMS of the last second, floored at a level of digital silence.
struct EnergyGate {
    recent: std::collections::VecDeque<f64>,
}

impl EnergyGate {
    fn new() -> EnergyGate {
        EnergyGate {
            recent: std::collections::VecDeque::new(),
        }
    }
}

impl Vad for EnergyGate {
    fn is_speech(&mut self, frame: &[i16]) -> bool {
        let rms =
            (frame.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / frame.len() as f64).sqrt();
        self.recent.push_back(rms);
        if self.recent.len() > 62 {
            self.recent.pop_front();
        }
        let floor = self.recent.iter().copied().fold(f64::INFINITY, f64::min);
        rms > (floor * 4.0).max(100.0)
    }
}

/// Cuts 16 kHz audio with a detector.
fn cut(samples: &[i16], vad: impl Vad) -> Vec<Segment> {
    let mut segmenter = Segmenter::with_vad(SegmenterConfig::default(), vad);
    let mut out = Vec::new();
    for chunk in samples.chunks(FRAME * 10) {
        segmenter.push(chunk);
        while let Some(s) = segmenter.pop() {
            out.push(s);
        }
    }
    out.extend(segmenter.finish());
    out
}

/// (share of sentence starts found, segments per sentence).
fn score(segments: &[Segment], starts: &[Duration]) -> (f64, f64) {
    let found = starts
        .iter()
        .filter(|start| {
            segments
                .iter()
                .any(|s| s.offset().abs_diff(**start) <= Duration::from_millis(500))
        })
        .count();
    (
        found as f64 / starts.len() as f64,
        segments.len() as f64 / starts.len() as f64,
    )
}

/// Adds white noise (deterministic) and a 50 Hz hum.
fn noisy(samples: &[i16]) -> Vec<i16> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    samples
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let white = (state % 1_001) as f64 - 500.0;
            let hum = 300.0 * (2.0 * std::f64::consts::PI * 50.0 * i as f64 / 16_000.0).sin();
            (f64::from(s) + white + hum).clamp(-32_768.0, 32_767.0) as i16
        })
        .collect()
}

/// Adds typing: a key click (a 15 ms burst of decaying noise, peak about −18 dBFS) every 180–300 ms.
fn typing(samples: &[i16]) -> Vec<i16> {
    let mut out = samples.to_vec();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut at = 0usize;
    while at < out.len() {
        for i in 0..240 {
            let Some(s) = out.get_mut(at + i) else { break };
            let decay = (-(i as f64) / 60.0).exp();
            let noise = (next() % 8_001) as f64 - 4_000.0;
            *s = (f64::from(*s) + noise * decay).clamp(-32_768.0, 32_767.0) as i16;
        }
        at += 2_880 + (next() % 1_920) as usize;
    }
    out
}

/// The LibriVox sentences joined with pauses, and where each reader's sentence starts.
fn librivox() -> (Vec<i16>, Vec<Duration>) {
    let dir = Path::new("/usr/share/pocketsphinx/test/data/librivox");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 5);
    let mut samples = Vec::new();
    let mut starts = Vec::new();
    for (path, pause_ms) in names.iter().zip([700usize, 1_500, 900, 2_000, 1_200]) {
        samples.extend(std::iter::repeat_n(0i16, pause_ms * 16));
        let mut reader = hound::WavReader::open(path).expect("a clip");
        let clip: Vec<i16> = reader
            .samples::<i16>()
            .map(|s| s.expect("a sample"))
            .collect();
        let lead = clip
            .iter()
            .position(|s| s.unsigned_abs() > 2_000)
            .unwrap_or(0);
        starts.push(Duration::from_secs_f64(
            (samples.len() + lead) as f64 / 16_000.0,
        ));
        samples.extend(clip);
    }
    samples.extend(std::iter::repeat_n(0i16, 16_000));
    (samples, starts)
}

#[test]
fn earshot_finds_the_sentences_at_least_as_well_as_an_energy_gate() {
    let script: Vec<(Duration, &str)> = SENTENCES
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                Duration::from_millis([600, 1_200, 3_000, 800, 2_000, 1_500][i % 6]),
                *s,
            )
        })
        .collect();
    let spoken = speak(&script).unwrap_or_else(|e| panic!("{e}"));
    let (book, book_starts) = librivox();
    let recordings = [
        (
            "flite, clean",
            spoken.samples.clone(),
            spoken.starts.clone(),
        ),
        (
            "flite, noise floor",
            noisy(&spoken.samples),
            spoken.starts.clone(),
        ),
        (
            "flite, typing",
            typing(&spoken.samples),
            spoken.starts.clone(),
        ),
        ("LibriVox joined", book, book_starts),
    ];
    println!(
        "{:<20} {:>22} {:>22}",
        "", "earshot found / segs", "energy gate found / segs"
    );
    let mut totals = [(0.0, 0.0); 2];
    for (label, samples, starts) in &recordings {
        let earshot = score(&cut(samples, EarshotVad::default()), starts);
        let gate = score(&cut(samples, EnergyGate::new()), starts);
        println!(
            "{label:<20} {:>13.0} % / {:>4.2} {:>15.0} % / {:>4.2}",
            earshot.0 * 100.0,
            earshot.1,
            gate.0 * 100.0,
            gate.1
        );
        totals[0].0 += earshot.0;
        totals[0].1 += (earshot.1 - 1.0).abs();
        totals[1].0 += gate.0;
        totals[1].1 += (gate.1 - 1.0).abs();
        assert!(
            earshot.0 >= 0.95,
            "{label}: earshot found {:.0} %",
            earshot.0 * 100.0
        );
    }
    let [(earshot_found, earshot_off), (gate_found, gate_off)] = totals;
    assert!(
        earshot_found > gate_found || (earshot_found == gate_found && earshot_off <= gate_off),
        "the energy gate measures better (found {gate_found:.2} vs {earshot_found:.2}, off by \
         {gate_off:.2} vs {earshot_off:.2} segments per sentence): make it the default"
    );
}
