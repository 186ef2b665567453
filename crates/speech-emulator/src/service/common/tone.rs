//! Test signals and measurements shared by the services' unit tests.

use crate::engine::Pcm;

/// `secs` seconds of a `freq` Hz sine at `rate` Hz, peak `amp`.
pub(crate) fn sine(rate: u32, freq: f64, secs: f64, amp: f64) -> Pcm {
    let n = (f64::from(rate) * secs) as usize;
    Pcm {
        sample_rate: rate,
        samples: (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect(),
    }
}

/// The root-mean-square level of `s` (0 when empty).
pub(crate) fn rms(s: &[i16]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    (s.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / s.len() as f64).sqrt()
}

/// A frequency estimate from upward zero crossings, ignoring the first and last tenth.
pub(crate) fn frequency(pcm: &Pcm) -> f64 {
    let s = &pcm.samples;
    let margin = s.len() / 10;
    let body = &s[margin..s.len() - margin];
    let crossings: Vec<usize> = (1..body.len())
        .filter(|&i| body[i - 1] < 0 && body[i] >= 0)
        .collect();
    let first = crossings[0];
    let last = crossings[crossings.len() - 1];
    (crossings.len() - 1) as f64 * f64::from(pcm.sample_rate) / (last - first) as f64
}
