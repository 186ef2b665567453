//! A deterministic synthesizer: one sine tone per word, whose length follows the text.
//!
//! Rules (stable, so that tests can compute the expected length):
//! * output is mono 16-bit PCM at [`ToneSynthesizer::SAMPLE_RATE`] (24 kHz, the service's native rate);
//! * every whitespace-separated word becomes a tone of [`ToneSynthesizer::MS_PER_CHAR`] ms per character
//!   (Unicode scalar values), followed by a gap of [`ToneSynthesizer::GAP_MS`] ms of silence, except after
//!   the last word;
//! * the tone's pitch depends only on the word (200 Hz to 950 Hz in 50 Hz steps); amplitude is a third of
//!   full scale with 5 ms fades, so the tone has no clicks;
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

/// FNV-1a over the lower-cased word: a pitch that does not change between runs or platforms.
fn pitch_hz(word: &str) -> f64 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in word.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    200.0 + f64::from(hash % 16) * 50.0
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
            let hz = pitch_hz(word);
            for k in 0..n {
                if samples.len() >= cap {
                    break;
                }
                let edge = k.min(n - 1 - k);
                let gain = if edge < fade {
                    edge as f64 / fade as f64
                } else {
                    1.0
                };
                let value = amplitude * gain * (2.0 * PI * hz * k as f64 / sr).sin();
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

    #[test]
    fn capped_at_ten_minutes() {
        let long = "word ".repeat(40_000);
        let pcm = synth(&long, 0.25);
        assert_eq!(pcm.samples.len(), 600 * 24_000);
    }
}
