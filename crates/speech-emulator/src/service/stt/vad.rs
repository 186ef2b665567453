//! A small energy-based voice-activity detector.
//!
//! The audio is cut into 10 ms frames. A frame is *loud* when its RMS is at least [`ENERGY_THRESHOLD`]
//! (about −40 dBFS). Sound starts at the first run of [`MIN_RUN_FRAMES`] loud frames and ends after the last
//! such run; isolated clicks are ignored.
//!
//! The sound is classed as *noise* (the service's `BabbleTimeout`) rather than speech when its loud frames
//! have, on average, a zero-crossing rate above [`NOISE_ZCR`] crossings per sample and a steady level (the
//! coefficient of variation of their RMS is below [`NOISE_RMS_CV`]): hiss and white noise do, voiced speech
//! and tones do not.

/// Frame length in milliseconds.
pub(crate) const FRAME_MS: u32 = 10;
/// RMS (in sample units of 16-bit audio) from which a frame counts as loud: about −40 dBFS.
pub(crate) const ENERGY_THRESHOLD: f64 = 320.0;
/// How many loud frames in a row make a sound.
pub(crate) const MIN_RUN_FRAMES: usize = 3;
/// Mean zero-crossing rate (per sample) above which steady sound counts as noise.
pub(crate) const NOISE_ZCR: f64 = 0.3;
/// Coefficient of variation of frame RMS below which sound counts as steady.
pub(crate) const NOISE_RMS_CV: f64 = 0.3;

/// What the detector heard.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Heard {
    /// No sound at all.
    Silence,
    /// Steady, noise-like sound starting at sample `start`.
    Noise {
        /// First sample of the noise.
        start: usize,
    },
    /// Speech-like sound in `start..end` (sample indices).
    Speech {
        /// First sample of the voiced stretch.
        start: usize,
        /// One past the last sample of the voiced stretch.
        end: usize,
        /// Share of quiet frames inside the stretch, 0.0..=1.0 (pauses between words).
        pause_ratio: f64,
    },
}

struct Frame {
    rms: f64,
    zcr: f64,
}

fn frames(samples: &[i16], sample_rate: u32) -> (usize, Vec<Frame>) {
    let len = ((sample_rate * FRAME_MS) / 1000).max(1) as usize;
    let frames = samples
        .chunks(len)
        .map(|chunk| {
            let energy: f64 = chunk.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
            let crossings = chunk
                .windows(2)
                .filter(|w| (w[0] >= 0) != (w[1] >= 0))
                .count();
            Frame {
                rms: (energy / chunk.len() as f64).sqrt(),
                zcr: crossings as f64 / chunk.len() as f64,
            }
        })
        .collect();
    (len, frames)
}

/// Analyse mono 16-bit audio.
pub(crate) fn analyze(samples: &[i16], sample_rate: u32) -> Heard {
    let (frame_len, frames) = frames(samples, sample_rate);
    let loud: Vec<bool> = frames.iter().map(|f| f.rms >= ENERGY_THRESHOLD).collect();
    // Runs of at least MIN_RUN_FRAMES loud frames.
    let mut first: Option<usize> = None;
    let mut last_end: usize = 0;
    let mut i = 0;
    while i < loud.len() {
        if loud[i] {
            let start = i;
            while i < loud.len() && loud[i] {
                i += 1;
            }
            if i - start >= MIN_RUN_FRAMES {
                first.get_or_insert(start);
                last_end = i;
            }
        } else {
            i += 1;
        }
    }
    let Some(first) = first else {
        return Heard::Silence;
    };
    let stretch = &frames[first..last_end];
    let loud_frames: Vec<&Frame> = stretch
        .iter()
        .filter(|f| f.rms >= ENERGY_THRESHOLD)
        .collect();
    let n = loud_frames.len() as f64;
    let mean_zcr = loud_frames.iter().map(|f| f.zcr).sum::<f64>() / n;
    let mean_rms = loud_frames.iter().map(|f| f.rms).sum::<f64>() / n;
    let var_rms = loud_frames
        .iter()
        .map(|f| (f.rms - mean_rms).powi(2))
        .sum::<f64>()
        / n;
    let cv = var_rms.sqrt() / mean_rms;
    let start = first * frame_len;
    if mean_zcr > NOISE_ZCR && cv < NOISE_RMS_CV {
        return Heard::Noise { start };
    }
    let end = (last_end * frame_len).min(samples.len());
    let pause_ratio = 1.0 - n / stretch.len() as f64;
    Heard::Speech {
        start,
        end,
        pause_ratio,
    }
}

/// Samples to 100-ns ticks.
pub(crate) fn ticks(samples: usize, sample_rate: u32) -> u64 {
    if sample_rate == 0 {
        return 0;
    }
    (samples as u128 * 10_000_000 / u128::from(sample_rate)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: u32 = 16_000;

    fn tone(ms: u32, hz: f64, amp: f64) -> Vec<i16> {
        let n = (SR * ms / 1000) as usize;
        (0..n)
            .map(|k| {
                (amp * (2.0 * std::f64::consts::PI * hz * k as f64 / f64::from(SR)).sin()) as i16
            })
            .collect()
    }

    fn silence(ms: u32) -> Vec<i16> {
        vec![0; (SR * ms / 1000) as usize]
    }

    /// Deterministic white-ish noise (xorshift).
    fn noise(ms: u32, amp: i16) -> Vec<i16> {
        let mut x: u32 = 0x1234_5678;
        (0..(SR * ms / 1000))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                ((x % (2 * amp as u32 + 1)) as i32 - i32::from(amp)) as i16
            })
            .collect()
    }

    #[test]
    fn silence_and_empty() {
        assert_eq!(analyze(&[], SR), Heard::Silence);
        assert_eq!(analyze(&silence(2000), SR), Heard::Silence);
        // Quiet hum below the threshold is silence too.
        assert_eq!(analyze(&tone(1000, 300.0, 200.0), SR), Heard::Silence);
    }

    #[test]
    fn speech_boundaries() {
        let mut audio = silence(500);
        audio.extend(tone(300, 440.0, 8000.0));
        audio.extend(silence(200));
        audio.extend(tone(300, 300.0, 8000.0));
        audio.extend(silence(700));
        match analyze(&audio, SR) {
            Heard::Speech {
                start,
                end,
                pause_ratio,
            } => {
                assert_eq!(start, 8000);
                assert_eq!(end, 8000 + 16 * 800);
                assert!((pause_ratio - 0.25).abs() < 0.02, "{pause_ratio}");
                assert_eq!(ticks(start, SR), 5_000_000);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn clicks_are_ignored() {
        let mut audio = silence(500);
        audio.extend(tone(20, 440.0, 8000.0));
        audio.extend(silence(500));
        assert_eq!(analyze(&audio, SR), Heard::Silence);
    }

    #[test]
    fn noise_is_babble() {
        let mut audio = silence(100);
        audio.extend(noise(1000, 8000));
        assert_eq!(analyze(&audio, SR), Heard::Noise { start: 1600 });
    }

    #[test]
    fn ticks_math() {
        assert_eq!(ticks(16_000, 16_000), 10_000_000);
        assert_eq!(ticks(1, 0), 0);
    }
}
