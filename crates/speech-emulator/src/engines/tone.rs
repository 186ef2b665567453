//! A deterministic synthesizer: one sung vowel per word, whose length follows the text.
//!
//! Rules (stable, so that tests can compute the expected length):
//! * output is mono 16-bit PCM at [`ToneSynthesizer::SAMPLE_RATE`] (24 kHz, the service's native rate);
//! * every whitespace-separated word becomes a tone of [`ToneSynthesizer::MS_PER_CHAR`] ms per character
//!   (Unicode scalar values), followed by a gap of [`ToneSynthesizer::GAP_MS`] ms of silence, except after
//!   the last word;
//! * the tone is voiced, as a vowel is: a pulse train at a pitch that depends only on the word (180 Hz to
//!   255 Hz in 5 Hz steps, falling by a tenth over the word), shaped by the three formants of one of five
//!   vowels (/a e i o u/, also chosen by the word). Voice-activity detectors — the emulator's own included —
//!   take it for speech, where a pure sine is heard as speech only some of the time;
//! * the peak of each word is a third of full scale, with 5 ms fades, so the tone has no clicks;
//! * `rate` divides every duration (2.0 is twice as fast); it is clamped to 0.25..=4.0, and a rate that is
//!   not a finite number counts as 1.0;
//! * empty or whitespace-only text gives no samples; output stops at 10 minutes (the service's cap).

use std::f64::consts::PI;

use crate::engine::{EngineError, Pcm, SynthesisInput, Synthesizer};

/// The deterministic tone synthesizer. See the [module docs](self) for its rules.
#[derive(Clone, Debug, Default)]
pub struct ToneSynthesizer {
    _private: (),
}

impl ToneSynthesizer {
    /// Output sample rate in Hz.
    pub const SAMPLE_RATE: u32 = 24_000;
    /// Tone length per character of a word, in milliseconds, at rate 1.0.
    pub const MS_PER_CHAR: u32 = 60;
    /// Silence between two words, in milliseconds, at rate 1.0.
    pub const GAP_MS: u32 = 40;
    /// The longest output, in seconds.
    pub const MAX_SECS: u32 = 600;

    /// A tone synthesizer.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many samples [`Synthesizer::synthesize`] returns for `text` at `rate` (before the 10-minute cap).
    pub fn expected_samples(text: &str, rate: f64) -> usize {
        let rate = clamp_rate(rate);
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut total = 0usize;
        for (i, word) in words.iter().enumerate() {
            total += tone_samples(word.chars().count(), rate);
            if i + 1 < words.len() {
                total += ms_to_samples(f64::from(Self::GAP_MS), rate);
            }
        }
        total
    }
}

fn clamp_rate(rate: f64) -> f64 {
    if rate.is_finite() {
        rate.clamp(0.25, 4.0)
    } else {
        1.0
    }
}

fn ms_to_samples(ms: f64, rate: f64) -> usize {
    // ok: positive, bounded (a word of u32::MAX chars is impossible in a request body we accept).
    (ms / rate * f64::from(ToneSynthesizer::SAMPLE_RATE) / 1000.0).round() as usize
}

fn tone_samples(chars: usize, rate: f64) -> usize {
    ms_to_samples(chars as f64 * f64::from(ToneSynthesizer::MS_PER_CHAR), rate)
}

/// FNV-1a over the lower-cased word: a voice that does not change between runs or platforms.
fn word_hash(word: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in word.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The pitch a word starts at: 180 Hz to 255 Hz in 5 Hz steps.
fn pitch_hz(word: &str) -> f64 {
    180.0 + f64::from(word_hash(word) % 16) * 5.0
}

/// The first three formants (centre and bandwidth, Hz) of /a/, /e/, /i/, /o/ and /u/ (Peterson and Barney's
/// averages, rounded).
const VOWELS: [[(f64, f64); 3]; 5] = [
    [(730.0, 90.0), (1090.0, 110.0), (2440.0, 170.0)],
    [(530.0, 60.0), (1840.0, 100.0), (2480.0, 170.0)],
    [(270.0, 60.0), (2290.0, 100.0), (3010.0, 170.0)],
    [(570.0, 70.0), (840.0, 80.0), (2410.0, 170.0)],
    [(300.0, 60.0), (870.0, 80.0), (2240.0, 170.0)],
];

/// The vowel a word is sung on (an index into [`VOWELS`]).
fn vowel(word: &str) -> usize {
    (word_hash(word) >> 4) as usize % VOWELS.len()
}

/// `n` samples of `word`'s vowel: a pulse train whose pitch falls from [`pitch_hz`] by a tenth, through one
/// two-pole resonator per formant; the peak is 1.0 (or all zeros for `n == 0`).
fn voiced(word: &str, n: usize) -> Vec<f64> {
    let sr = f64::from(ToneSynthesizer::SAMPLE_RATE);
    let start_hz = pitch_hz(word);
    let mut out = vec![0.0f64; n];
    let mut phase = 0.0f64;
    for (k, sample) in out.iter_mut().enumerate() {
        phase += start_hz * (1.0 - 0.1 * k as f64 / n as f64) / sr;
        if phase >= 1.0 {
            phase -= 1.0;
            *sample = 1.0;
        }
    }
    for &(centre, bandwidth) in &VOWELS[vowel(word)] {
        let r = (-PI * bandwidth / sr).exp();
        let a1 = -2.0 * r * (2.0 * PI * centre / sr).cos();
        let a2 = r * r;
        let (mut y1, mut y2) = (0.0f64, 0.0f64);
        for sample in out.iter_mut() {
            let y = (1.0 - r) * *sample - a1 * y1 - a2 * y2;
            y2 = y1;
            y1 = y;
            *sample = y;
        }
    }
    let peak = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak > 0.0 {
        out.iter_mut().for_each(|v| *v /= peak);
    }
    out
}

impl Synthesizer for ToneSynthesizer {
    fn name(&self) -> &str {
        "tone"
    }

    fn synthesize(&self, input: SynthesisInput<'_>) -> Result<Pcm, EngineError> {
        let rate = clamp_rate(input.rate);
        let sr = f64::from(Self::SAMPLE_RATE);
        let cap = (Self::MAX_SECS * Self::SAMPLE_RATE) as usize;
        let fade = (0.005 * sr) as usize;
        let amplitude = f64::from(i16::MAX) / 3.0;
        let words: Vec<&str> = input.text.split_whitespace().collect();
        let mut samples: Vec<i16> =
            Vec::with_capacity(Self::expected_samples(input.text, rate).min(cap));
        for (i, word) in words.iter().enumerate() {
            let n = tone_samples(word.chars().count(), rate);
            let voice = voiced(word, n.min(cap.saturating_sub(samples.len())));
            for (k, v) in voice.iter().enumerate() {
                let edge = k.min(n - 1 - k);
                let gain = if edge < fade {
                    edge as f64 / fade as f64
                } else {
                    1.0
                };
                let value = amplitude * gain * v;
                samples.push(value.round() as i16);
            }
            if i + 1 < words.len() {
                let gap = ms_to_samples(f64::from(Self::GAP_MS), rate);
                let room = cap.saturating_sub(samples.len());
                samples.extend(std::iter::repeat_n(0i16, gap.min(room)));
            }
            if samples.len() >= cap {
                break;
            }
        }
        Ok(Pcm {
            sample_rate: Self::SAMPLE_RATE,
            samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synth(text: &str, rate: f64) -> Pcm {
        ToneSynthesizer::new()
            .synthesize(SynthesisInput {
                text,
                locale: "en-US",
                engine_voice: "tone",
                rate,
            })
            .unwrap_or_default()
    }

    #[test]
    fn length_follows_text() {
        let pcm = synth("Hello world", 1.0);
        assert_eq!(pcm.sample_rate, 24_000);
        // 10 chars * 60 ms + one 40 ms gap = 640 ms.
        assert_eq!(pcm.samples.len(), 24 * 640);
        assert_eq!(
            pcm.samples.len(),
            ToneSynthesizer::expected_samples("Hello world", 1.0)
        );
        assert!(synth("Hello world, again", 1.0).samples.len() > pcm.samples.len());
        assert_eq!(synth("Hello world", 2.0).samples.len(), 24 * 320);
        assert!(synth("   ", 1.0).samples.is_empty());
        assert_eq!(synth("ab", f64::NAN).samples.len(), 24 * 120);
    }

    #[test]
    fn deterministic_and_audible() {
        let a = synth("Testing tones", 1.0);
        let b = synth("Testing tones", 1.0);
        assert_eq!(a, b);
        let peak = a
            .samples
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(peak > 10_000, "peak {peak}");
        // Fades: the first and last samples of a tone are (near) zero.
        assert!(a.samples[0].unsigned_abs() < 100);
        assert_ne!(pitch_hz("testing"), pitch_hz("tones"));
    }

    /// What the synthesizer says is heard as speech by the detector every path of the emulator uses (earshot,
    /// through speech-audio, at 16 kHz), from the first words on: at most the detector's first three frames
    /// (48 ms, its warm-up) of each phrase, and one frame in ten overall, are missed.
    #[test]
    fn heard_as_speech() {
        use speech_audio::segment::{EarshotVad, Vad, FRAME};
        let phrases = [
            "Hello there",
            "Hello",
            "I am",
            "Testing tones",
            "The quick brown fox jumps over the lazy dog",
            "Words heard.",
            "zero one two three four five six seven eight nine ten",
        ];
        for text in phrases {
            let pcm = synth(text, 1.0);
            let at_16k = speech_audio::resample::resample(&pcm.samples, 24_000, 16_000)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut vad = EarshotVad::default();
            let heard: Vec<bool> = at_16k
                .chunks_exact(FRAME)
                .map(|frame| vad.is_speech(frame))
                .collect();
            let missed_after_warm_up = heard.iter().skip(3).filter(|s| !**s).count();
            assert!(
                missed_after_warm_up * 10 <= heard.len(),
                "{text:?}: {missed_after_warm_up} of {} frames not speech",
                heard.len()
            );
        }
        // Every pitch with every vowel, each once, alone as a five-letter word (the first such word found).
        let mut voices = std::collections::HashSet::new();
        for i in 0..10_000 {
            let word = format!("w{i:04}");
            if !voices.insert((word_hash(&word) % 16, vowel(&word))) {
                continue;
            }
            let pcm = synth(&word, 1.0);
            let at_16k = speech_audio::resample::resample(&pcm.samples, 24_000, 16_000)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut vad = EarshotVad::default();
            let speech = at_16k
                .chunks_exact(FRAME)
                .filter(|frame| vad.is_speech(frame))
                .count();
            assert!(
                speech >= 14,
                "{word:?} ({} Hz, vowel {}): {speech} of 18 frames",
                pitch_hz(&word),
                vowel(&word)
            );
        }
        assert_eq!(
            voices.len(),
            16 * VOWELS.len(),
            "every pitch with every vowel"
        );
    }

    #[test]
    fn capped_at_ten_minutes() {
        let long = "word ".repeat(40_000);
        let pcm = synth(&long, 0.25);
        assert_eq!(pcm.samples.len(), 600 * 24_000);
    }
}
