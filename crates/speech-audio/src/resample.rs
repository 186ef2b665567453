//! Band-limited resampling of mono audio, the one resampler of the workspace: the decoder's way to 16 kHz and the
//! synthesizer's way to each output rate (8, 16, 22.05, 24, 44.1 and 48 kHz).
//!
//! [`Resampler`] is `rubato`'s FFT resampler (a windowed-sinc low-pass, so nothing above the lower of the two
//! Nyquist frequencies survives as an alias) fed as a stream: push samples as they come, take what is ready, and
//! [`Resampler::finish`] at the end. Its delay is removed and its tail trimmed, so the output is exactly
//! `ceil(input_len × to / from)` samples, aligned with the input. Memory stays constant whatever the length: one
//! chunk of input and one of output. [`resample`] does it for a whole buffer.
//!
//! ```
//! use speech_audio::resample::resample;
//!
//! let second_at_24k = vec![0i16; 24_000];
//! let second_at_16k = resample(&second_at_24k, 24_000, 16_000).expect("valid rates");
//! assert_eq!(second_at_16k.len(), 16_000);
//! ```

use std::fmt;

use rubato::{FftFixedIn, Resampler as _};

/// Input frames per resampler chunk.
const CHUNK: usize = 4_096;

/// The highest rate taken (the highest of common audio hardware, twice over).
pub const MAX_RATE: u32 = 768_000;

/// Why a resampler could not be made or run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResampleError {
    /// A rate of 0 or above [`MAX_RATE`].
    Rate(u32),
    /// `rubato` refused the conversion or failed in it.
    Failed(String),
}

impl fmt::Display for ResampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rate(rate) => write!(f, "cannot resample at {rate} Hz"),
            Self::Failed(why) => write!(f, "resampling failed: {why}"),
        }
    }
}

impl std::error::Error for ResampleError {}

/// A stream conversion from one sample rate to another (mono).
pub struct Resampler {
    /// `None` when the rates are equal: samples pass through.
    inner: Option<FftFixedIn<f32>>,
    from: u32,
    to: u32,
    /// Input waiting for a whole chunk.
    pending: Vec<f32>,
    /// Output samples still to drop: the resampler's delay.
    delay: usize,
    /// Input frames taken, and output frames given out (to trim the tail exactly).
    frames_in: u64,
    frames_out: u64,
}

impl fmt::Debug for Resampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A conversion from `from` Hz to `to` Hz.
    ///
    /// # Errors
    ///
    /// [`ResampleError::Rate`] for a rate of 0 or above [`MAX_RATE`].
    pub fn new(from: u32, to: u32) -> Result<Resampler, ResampleError> {
        for rate in [from, to] {
            if rate == 0 || rate > MAX_RATE {
                return Err(ResampleError::Rate(rate));
            }
        }
        let inner = if from == to {
            None
        } else {
            Some(
                FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1)
                    .map_err(|e| ResampleError::Failed(e.to_string()))?,
            )
        };
        let delay = inner.as_ref().map_or(0, |r| r.output_delay());
        Ok(Resampler {
            inner,
            from,
            to,
            pending: Vec::new(),
            delay,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// The input rate.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// The output rate.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Takes `input` (full scale ±1.0; NaN and infinities count as silence, louder samples are clipped) and
    /// returns the output that is ready, as 16-bit samples. Empty until a whole chunk of input has arrived.
    ///
    /// # Errors
    ///
    /// [`ResampleError::Failed`] when `rubato` fails (it does not on the sizes used here).
    pub fn push(&mut self, input: &[f32]) -> Result<Vec<i16>, ResampleError> {
        self.pending.extend(input.iter().copied().map(finite));
        let Some(inner) = self.inner.as_mut() else {
            self.frames_in += self.pending.len() as u64;
            let out: Vec<i16> = self.pending.drain(..).map(to_i16).collect();
            self.frames_out += out.len() as u64;
            return Ok(out);
        };
        let mut out = Vec::new();
        loop {
            let needed = inner.input_frames_next();
            if self.pending.len() < needed {
                break;
            }
            let chunk: Vec<f32> = self.pending.drain(..needed).collect();
            let output = inner
                .process(&[chunk], None)
                .map_err(|e| ResampleError::Failed(e.to_string()))?;
            self.frames_in += needed as u64;
            let samples = output.into_iter().next().unwrap_or_default();
            let skip = self.delay.min(samples.len());
            self.delay -= skip;
            out.extend(samples[skip..].iter().copied().map(to_i16));
        }
        self.frames_out += out.len() as u64;
        Ok(out)
    }

    /// [`push`](Self::push) for 16-bit samples.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub fn push_i16(&mut self, input: &[i16]) -> Result<Vec<i16>, ResampleError> {
        let input: Vec<f32> = input.iter().map(|&s| f32::from(s) / 32_768.0).collect();
        self.push(&input)
    }

    /// The end of the input: what is left, so that the whole output is `ceil(input × to / from)` samples. The
    /// resampler is then ready for a new stream of input (with its filter state carried over).
    ///
    /// # Errors
    ///
    /// [`ResampleError::Failed`] when `rubato` fails.
    pub fn finish(&mut self) -> Result<Vec<i16>, ResampleError> {
        let total_in = self.frames_in + self.pending.len() as u64;
        let expected = (total_in * u64::from(self.to)).div_ceil(u64::from(self.from));
        let mut out = Vec::new();
        if let Some(inner) = self.inner.as_mut() {
            // Silence after the end pushes the last real samples (and the delay) out of the filter.
            while self.frames_out + (out.len() as u64) < expected {
                let needed = inner.input_frames_next();
                let mut chunk = std::mem::take(&mut self.pending);
                chunk.resize(needed.max(chunk.len()), 0.0);
                let output = inner
                    .process(&[chunk], None)
                    .map_err(|e| ResampleError::Failed(e.to_string()))?;
                let samples = output.into_iter().next().unwrap_or_default();
                if samples.is_empty() {
                    break;
                }
                let skip = self.delay.min(samples.len());
                self.delay -= skip;
                out.extend(samples[skip..].iter().copied().map(to_i16));
            }
        } else {
            out.extend(self.pending.drain(..).map(to_i16));
        }
        let room = expected.saturating_sub(self.frames_out);
        out.truncate(usize::try_from(room).unwrap_or(usize::MAX));
        self.frames_out += out.len() as u64;
        Ok(out)
    }
}

/// Resamples a whole buffer of mono 16-bit audio from `from` Hz to `to` Hz: `ceil(len × to / from)` samples
/// (the input itself when the rates are equal).
///
/// # Errors
///
/// As [`Resampler::new`].
pub fn resample(samples: &[i16], from: u32, to: u32) -> Result<Vec<i16>, ResampleError> {
    if from == to {
        return Ok(samples.to_vec());
    }
    let mut resampler = Resampler::new(from, to)?;
    let mut out =
        Vec::with_capacity((samples.len() as u64 * u64::from(to) / u64::from(from)) as usize + 1);
    for chunk in samples.chunks(CHUNK * 4) {
        out.extend(resampler.push_i16(chunk)?);
    }
    out.extend(resampler.finish()?);
    Ok(out)
}

/// A sample the resampler can take: NaN and infinities (float WAV can hold them) become silence, and values
/// beyond full scale are clipped.
pub(crate) fn finite(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Full scale ±1.0 to 16-bit.
pub(crate) fn to_i16(x: f32) -> i16 {
    (x * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, freq: f64, secs: f64, amplitude: f64) -> Vec<i16> {
        let n = (f64::from(rate) * secs) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                (amplitude * (2.0 * std::f64::consts::PI * freq * t).sin()).round() as i16
            })
            .collect()
    }

    fn rms(s: &[i16]) -> f64 {
        (s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
    }

    /// The frequency of a steady tone from its rising zero crossings, interpolated between samples.
    pub(crate) fn frequency(samples: &[i16], rate: u32) -> f64 {
        let mut first: Option<f64> = None;
        let mut last = 0.0;
        let mut count = 0usize;
        for i in 1..samples.len() {
            let (a, b) = (f64::from(samples[i - 1]), f64::from(samples[i]));
            if a < 0.0 && b >= 0.0 {
                let at = (i - 1) as f64 + (-a) / (b - a);
                if first.is_none() {
                    first = Some(at);
                } else {
                    count += 1;
                }
                last = at;
            }
        }
        match first {
            Some(first) if count > 0 => count as f64 * f64::from(rate) / (last - first),
            _ => 0.0,
        }
    }

    #[test]
    fn every_output_rate_keeps_length_frequency_and_level() {
        for from in [16_000, 22_050, 24_000, 48_000] {
            let input = tone(from, 1_000.0, 1.0, 10_000.0);
            for to in [8_000, 16_000, 22_050, 24_000, 44_100, 48_000] {
                let out = resample(&input, from, to).expect("resamples");
                let expected = (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from));
                assert_eq!(out.len() as u64, expected, "{from} -> {to}");
                let middle = &out[out.len() / 10..out.len() * 9 / 10];
                let f = frequency(middle, to);
                assert!((f - 1_000.0).abs() < 10.0, "{from} -> {to}: {f} Hz");
                let level = rms(middle);
                assert!(
                    (6_800.0..7_350.0).contains(&level),
                    "{from} -> {to}: rms {level}"
                );
            }
        }
    }

    #[test]
    fn the_output_is_aligned_with_the_input() {
        // A click at 0.5 s stays at 0.5 s.
        let mut input = vec![0i16; 24_000];
        input[12_000] = 30_000;
        let out = resample(&input, 24_000, 16_000).expect("resamples");
        let peak = out
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.unsigned_abs())
            .map(|(i, _)| i)
            .unwrap_or(0);
        assert!((7_998..=8_002).contains(&peak), "{peak}");
    }

    #[test]
    fn what_the_target_rate_cannot_carry_is_removed() {
        // 6 kHz at 16 kHz is above 8 kHz's Nyquist frequency: nothing of it survives.
        let input = tone(16_000, 6_000.0, 1.0, 10_000.0);
        let out = resample(&input, 16_000, 8_000).expect("resamples");
        assert!(rms(&out[800..7_200]) < 100.0, "{}", rms(&out));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(resample(&[], 24_000, 16_000), Ok(Vec::new()));
        assert_eq!(resample(&[5, 6], 16_000, 16_000), Ok(vec![5, 6]));
        assert_eq!(resample(&[1], 0, 16_000), Err(ResampleError::Rate(0)));
        assert_eq!(
            resample(&[1], 16_000, 1_000_000),
            Err(ResampleError::Rate(1_000_000))
        );
        assert_eq!(resample(&[1_000], 8_000, 48_000).map(|s| s.len()), Ok(6));
        // Streamed in uneven pieces, the output is the same as at once.
        let input = tone(22_050, 440.0, 0.7, 8_000.0);
        let whole = resample(&input, 22_050, 16_000).expect("resamples");
        let mut r = Resampler::new(22_050, 16_000).expect("valid rates");
        let mut pieces = Vec::new();
        for chunk in input.chunks(777) {
            pieces.extend(r.push_i16(chunk).expect("resamples"));
        }
        pieces.extend(r.finish().expect("resamples"));
        assert_eq!(pieces, whole);
    }
}
