//! Recordings for tests: real synthesized speech with pauses of known length, so that a test knows where
//! each sentence starts (voice-activity detectors and recognizers need speech, not tones).

use std::time::Duration;

use crate::engine::{EngineError, SynthesisInput, Synthesizer};
use crate::engines::system_tts::SystemTts;

/// A script spoken by the system synthesizer, at 16 kHz mono.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spoken {
    /// The recording: each sentence after its pause, then one second of silence.
    pub samples: Vec<i16>,
    /// Where each sentence's voice starts (the synthesizer's own lead-in silence excluded).
    pub starts: Vec<Duration>,
}

impl Spoken {
    /// The recording's length.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / 16_000.0)
    }
}

/// Speaks `script` — pairs of (silence before, English sentence) — with flite's `slt` voice. Needs flite
/// (`scripts/setup.sh` installs it); the error says so when it is missing.
pub fn speak(script: &[(Duration, &str)]) -> Result<Spoken, EngineError> {
    let tts = SystemTts::detect()?;
    if tts.flite().is_none() {
        return Err(EngineError::new(
            "flite is not installed: run scripts/setup.sh",
        ));
    }
    let mut samples = Vec::new();
    let mut starts = Vec::new();
    for (pause, text) in script {
        samples.extend(std::iter::repeat_n(
            0i16,
            (pause.as_secs_f64() * 16_000.0) as usize,
        ));
        let pcm = tts.synthesize(SynthesisInput {
            text,
            locale: "en-US",
            engine_voice: "slt",
            rate: 1.0,
        })?;
        if pcm.sample_rate != 16_000 {
            return Err(EngineError::new(format!(
                "flite answered at {} Hz, not 16 kHz",
                pcm.sample_rate
            )));
        }
        let lead = pcm
            .samples
            .iter()
            .position(|s| s.unsigned_abs() > 500)
            .unwrap_or(0);
        starts.push(Duration::from_secs_f64(
            (samples.len() + lead) as f64 / 16_000.0,
        ));
        samples.extend(pcm.samples);
    }
    samples.extend(std::iter::repeat_n(0i16, 16_000));
    Ok(Spoken { samples, starts })
}
