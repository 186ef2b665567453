//! Audio: a push-style WAV header parser, a check of what the service needs, and a leading-silence meter.

use std::fmt;

/// Why a WAV header could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WavError {
    /// The input does not start with `RIFF` (or `RIFX`/`RF64`, which the service does not take).
    NotRiff,
    /// The RIFF form type is not `WAVE`.
    NotWave,
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::NotRiff => f.write_str("not a WAV file: it does not start with a RIFF header"),
            WavError::NotWave => f.write_str("not a WAV file: the RIFF form type is not WAVE"),
        }
    }
}

impl std::error::Error for WavError {}

/// One way in which audio does not meet what the service needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioProblem {
    /// The sample rate is not 16 000 Hz.
    SampleRate {
        /// The file's sample rate.
        found: u32,
    },
}

impl fmt::Display for AudioProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioProblem::SampleRate { found } => {
                write!(f, "the sample rate is {found} Hz; the service needs 16000 Hz")
            }
        }
    }
}
