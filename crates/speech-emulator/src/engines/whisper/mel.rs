//! Whisper's log-mel features, computed as Whisper (and faster-whisper's `FeatureExtractor`) computes them.
//!
//! 1. 160 samples of silence are appended (faster-whisper's default `padding`);
//! 2. short-time Fourier transform: 400-sample periodic Hann window, hop 160, centred frames (the signal is
//!    reflect-padded by 200 samples on each side); the last frame is dropped;
//! 3. power spectrum (201 bins) through 80 triangular mel filters (Slaney scale and area normalisation, as
//!    librosa's `filters.mel(sr=16000, n_fft=400, n_mels=80)`);
//! 4. `log10` (floored at 1e-10), clamped to at most 8 below the loudest value of the *whole* clip, then
//!    scaled as `(x + 4) / 4`.
//!
//! `ct2rs`' own `Whisper::generate` computes its features with a streaming STFT instead: no centring, a
//! per-frame normalisation, and the 30-second window padded with zeros in feature space; the model hears
//! something slightly different from what it was trained on, which costs accuracy.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

/// Samples per second Whisper works at.
pub(crate) const SAMPLE_RATE: usize = 16_000;
/// FFT size (25 ms).
const N_FFT: usize = 400;
/// Hop between frames (10 ms): one feature frame per 160 samples.
pub(crate) const HOP: usize = 160;
/// Power-spectrum bins of a real FFT of `N_FFT` points.
const BINS: usize = N_FFT / 2 + 1;
/// Frames in one 30-second window, the encoder's fixed input.
pub(crate) const WINDOW_FRAMES: usize = 3_000;

/// Log-mel features, `n_mels` rows of `frames` values each (row-major, as the encoder takes them).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Features {
    n_mels: usize,
    frames: usize,
    values: Vec<f32>,
}

impl Features {
    /// Computes the features of `samples` (16 kHz mono, in -1.0..=1.0).
    pub(crate) fn compute(samples: &[f32], n_mels: usize) -> Features {
        let mut padded = Vec::with_capacity(samples.len() + HOP + N_FFT);
        padded.extend_from_slice(samples);
        padded.extend(std::iter::repeat_n(0.0, HOP));
        let signal = reflect_pad(&padded, N_FFT / 2);
        // Frames of the centred STFT, minus the last one (as Whisper drops it).
        let frames = (signal.len() - N_FFT) / HOP;
        let filters = MelFilters::new(n_mels);
        let window: Vec<f32> = (0..N_FFT)
            .map(|i| {
                let phase = 2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        let fft = FftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        let mut buffer = vec![Complex::new(0.0f32, 0.0); N_FFT];
        let mut scratch = vec![Complex::new(0.0f32, 0.0); fft.get_inplace_scratch_len()];
        let mut power = [0.0f32; BINS];
        let mut values = vec![0.0f32; n_mels * frames];
        for frame in 0..frames {
            let start = frame * HOP;
            for ((slot, &x), &w) in buffer
                .iter_mut()
                .zip(&signal[start..start + N_FFT])
                .zip(&window)
            {
                *slot = Complex::new(x * w, 0.0);
            }
            fft.process_with_scratch(&mut buffer, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buffer) {
                *p = c.norm_sqr();
            }
            for mel in 0..n_mels {
                values[mel * frames + frame] = filters.apply(mel, &power);
            }
        }
        let mut max = f32::NEG_INFINITY;
        for v in &mut values {
            *v = v.max(1e-10).log10();
            max = max.max(*v);
        }
        for v in &mut values {
            *v = (v.max(max - 8.0) + 4.0) / 4.0;
        }
        Features {
            n_mels,
            frames,
            values,
        }
    }

    /// How many frames of the clip hold audio (faster-whisper's `content_frames`: all but the padding's).
    pub(crate) fn content_frames(&self) -> usize {
        self.frames.saturating_sub(1)
    }

    /// The encoder's input for the 30-second window starting at frame `seek`: `len` frames of the clip,
    /// padded with zeros (in feature space, as faster-whisper's `pad_or_trim`) to [`WINDOW_FRAMES`].
    pub(crate) fn window(&self, seek: usize, len: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; self.n_mels * WINDOW_FRAMES];
        let start = seek.min(self.frames);
        let len = len.min(WINDOW_FRAMES).min(self.frames - start);
        for mel in 0..self.n_mels {
            let row = &self.values[mel * self.frames..(mel + 1) * self.frames];
            out[mel * WINDOW_FRAMES..mel * WINDOW_FRAMES + len]
                .copy_from_slice(&row[start..start + len]);
        }
        out
    }
}

/// `signal` with `pad` samples mirrored on each side, excluding the edge sample (numpy's `mode="reflect"`),
/// reflecting back and forth when the signal is shorter than the padding.
fn reflect_pad(signal: &[f32], pad: usize) -> Vec<f32> {
    let n = signal.len();
    if n < 2 {
        let edge = signal.first().copied().unwrap_or(0.0);
        return vec![edge; n + 2 * pad];
    }
    let period = 2 * (n - 1);
    let at = |i: isize| -> f32 {
        let m = i.rem_euclid(period as isize) as usize;
        signal[if m < n { m } else { period - m }]
    };
    let pad = pad as isize;
    (-pad..n as isize + pad).map(at).collect()
}

/// Triangular mel filters over the power-spectrum bins, each stored as its non-zero stretch.
struct MelFilters {
    /// Per filter: the first bin it covers and its weights from there.
    filters: Vec<(usize, Vec<f32>)>,
}

impl MelFilters {
    /// librosa's `filters.mel(sr=16000, n_fft=400, n_mels)` with the Slaney mel scale and `norm="slaney"`,
    /// written after faster-whisper's `get_mel_filters`.
    fn new(n_mels: usize) -> MelFilters {
        const F_SP: f64 = 200.0 / 3.0;
        const MIN_LOG_HZ: f64 = 1_000.0;
        const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;
        // The mel value of 8 kHz (the Nyquist frequency) on this scale.
        const MAX_MEL: f64 = 45.245_640_471_924_965;
        let log_step = 6.4f64.ln() / 27.0;
        let hz = |mel: f64| {
            if mel >= MIN_LOG_MEL {
                MIN_LOG_HZ * (log_step * (mel - MIN_LOG_MEL)).exp()
            } else {
                F_SP * mel
            }
        };
        let points: Vec<f64> = (0..n_mels + 2)
            .map(|i| hz(MAX_MEL * i as f64 / (n_mels + 1) as f64))
            .collect();
        let bin_hz = |bin: usize| bin as f64 * SAMPLE_RATE as f64 / N_FFT as f64;
        let filters = (0..n_mels)
            .map(|m| {
                let (lo, centre, hi) = (points[m], points[m + 1], points[m + 2]);
                let norm = 2.0 / (hi - lo);
                let weights: Vec<(usize, f32)> = (0..BINS)
                    .filter_map(|bin| {
                        let f = bin_hz(bin);
                        let rising = (f - lo) / (centre - lo);
                        let falling = (hi - f) / (hi - centre);
                        let w = rising.min(falling).max(0.0) * norm;
                        (w > 0.0).then_some((bin, w as f32))
                    })
                    .collect();
                let first = weights.first().map_or(0, |&(bin, _)| bin);
                (first, weights.into_iter().map(|(_, w)| w).collect())
            })
            .collect();
        MelFilters { filters }
    }

    fn apply(&self, mel: usize, power: &[f32; BINS]) -> f32 {
        let (first, weights) = &self.filters[mel];
        weights
            .iter()
            .zip(&power[*first..])
            .map(|(w, p)| w * p)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_padding_matches_numpy() {
        // np.pad([1, 2, 3, 4], 2, mode="reflect") == [3, 2, 1, 2, 3, 4, 3, 2]
        assert_eq!(
            reflect_pad(&[1.0, 2.0, 3.0, 4.0], 2),
            vec![3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]
        );
        // Longer than the signal: reflects back and forth.
        // np.pad([1, 2, 3], 4, mode="reflect") == [1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]
        assert_eq!(
            reflect_pad(&[1.0, 2.0, 3.0], 4),
            vec![1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0]
        );
        assert_eq!(reflect_pad(&[5.0], 1), vec![5.0; 3]);
        assert_eq!(reflect_pad(&[], 1), vec![0.0; 2]);
    }

    #[test]
    fn frame_count_and_window_padding() {
        // faster-whisper: 1 s of audio → 101 frames, 100 of content.
        let f = Features::compute(&vec![0.1; 16_000], 80);
        assert_eq!((f.frames, f.content_frames()), (101, 100));
        let w = f.window(0, f.content_frames());
        assert_eq!(w.len(), 80 * WINDOW_FRAMES);
        assert_ne!(w[99], 0.0);
        assert_eq!(w[100], 0.0);
        // No audio at all still gives one (padding) frame and no content, and nothing panics.
        let empty = Features::compute(&[], 80);
        assert_eq!(empty.content_frames(), 0);
        assert_eq!(empty.window(5, 10).len(), 80 * WINDOW_FRAMES);
    }

    #[test]
    fn a_tone_lands_in_its_mel_band() {
        // 1 kHz sine at half scale: the loudest filter is the one centred nearest 1 kHz (mel 15 on this
        // scale; the 82 filter points are 45.2456 / 81 = 0.5586 mel apart, so filter 26 of 80), and values
        // stay in Whisper's range (at most 8 below the max, scaled by 1/4).
        let tone: Vec<f32> = (0..16_000)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1_000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let f = Features::compute(&tone, 80);
        let frame = 50;
        let loudest = (0..80)
            .max_by(|&a, &b| {
                f.values[a * f.frames + frame].total_cmp(&f.values[b * f.frames + frame])
            })
            .expect("80 filters");
        assert!((25..=27).contains(&loudest), "loudest filter {loudest}");
        let max = f.values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let min = f.values.iter().copied().fold(f32::INFINITY, f32::min);
        assert!((max - min - 2.0).abs() < 1e-4, "range {min}..{max}");
    }

    #[test]
    fn filters_match_faster_whisper() {
        // (filter, first bin, non-zero bins, sum of weights, largest weight), printed by faster-whisper's
        // `FeatureExtractor.get_mel_filters(16000, 400, 80)`.
        let expected: [(usize, usize, usize, f64, f64); 5] = [
            (0, 1, 1, 0.024_862_594, 0.024_862_594),
            (1, 1, 2, 0.024_862_594, 0.022_871_772),
            (10, 10, 2, 0.024_862_594, 0.019_908_219),
            (40, 42, 3, 0.026_664_861, 0.014_735_566),
            (79, 186, 14, 0.024_925_340, 0.003_164_712),
        ];
        let filters = MelFilters::new(80);
        for (m, first, len, sum, max) in expected {
            let (got_first, weights) = &filters.filters[m];
            assert_eq!((*got_first, weights.len()), (first, len), "filter {m}");
            let got_sum: f64 = weights.iter().map(|&w| f64::from(w)).sum();
            let got_max = weights.iter().copied().fold(0.0f32, f32::max) as f64;
            assert!((got_sum - sum).abs() < 1e-6, "filter {m}: sum {got_sum}");
            assert!((got_max - max).abs() < 1e-6, "filter {m}: max {got_max}");
        }
    }

    #[test]
    fn features_match_faster_whisper() {
        // 1 s of a decaying 440 Hz tone; values printed by faster-whisper's `FeatureExtractor()(x)`.
        let x: Vec<f32> = (0..16_000)
            .map(|i| {
                let t = f64::from(i) / 16_000.0;
                (0.5 * (2.0 * std::f64::consts::PI * 440.0 * t).sin() * (-t).exp()) as f32
            })
            .collect();
        let f = Features::compute(&x, 80);
        assert_eq!((f.n_mels, f.frames), (80, 101));
        let at = |mel: usize, frame: usize| f.values[mel * f.frames + frame];
        let mean = f.values.iter().sum::<f32>() / f.values.len() as f32;
        for (got, want) in [
            (at(0, 0), 0.983_267_1),
            (at(10, 50), 1.240_167_1),
            (at(79, 100), -0.449_353_7),
            (mean, -0.448_634_5),
        ] {
            assert!((got - want).abs() < 1e-3, "{got} != {want}");
        }
    }
}
