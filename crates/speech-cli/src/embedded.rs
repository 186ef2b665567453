//! The embedded emulator: what `speech` talks to when no Azure credentials are set, and what
//! `speech emulator` serves.
//!
//! Only real engines answer users: Whisper (with the `whisper` feature and its model installed) for
//! recognition, flite/Pico/espeak-ng for synthesis. When one is missing, its place is taken by an engine that
//! refuses with a message saying how to get the real one; the deterministic test engines are never used here.

use std::sync::Arc;

use speech_emulator::engine::{
    EngineError, Pcm, RecognitionInput, Recognizer, SynthesisInput, Synthesizer, Transcript,
};
use speech_emulator::engines::system_tts::SystemTts;
use speech_emulator::{Emulator, EmulatorHandle};

use crate::exit::Failure;

/// What the command about to run needs from the embedded emulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Speech-to-text: a real recognizer, or the command fails with exit code 2.
    Recognition,
    /// Text-to-speech: a real synthesizer, or the command fails with exit code 2.
    Synthesis,
    /// Only the token service and the voices list.
    Nothing,
    /// Everything that is available (for `speech emulator`); missing engines refuse their requests.
    Whatever,
}

/// A recognizer that refuses, with the reason and the fix (answered by the emulator as a 500).
struct Unavailable {
    why: String,
}

impl Recognizer for Unavailable {
    fn name(&self) -> &str {
        "unavailable"
    }
    fn recognize(&self, _input: RecognitionInput<'_>) -> Result<Transcript, EngineError> {
        Err(EngineError::new(self.why.clone()))
    }
}

impl Synthesizer for Unavailable {
    fn name(&self) -> &str {
        "unavailable"
    }
    fn synthesize(&self, _input: SynthesisInput<'_>) -> Result<Pcm, EngineError> {
        Err(EngineError::new(self.why.clone()))
    }
}

/// Why this build has no offline recognizer, and how to get one.
#[cfg(not(whisper_engine))]
pub(crate) const NO_RECOGNIZER: &str = "this build of speech has no offline speech recognizer";

/// How to get recognition when this build has none.
#[cfg(not(whisper_engine))]
pub(crate) const RECOGNIZER_FIX: &str = "run `bash scripts/setup.sh --main-job` (the model and the prebuilt \
     CTranslate2) and rebuild with `cargo build -p speech-cli --features whisper`, or run `bash scripts/transcribe.sh FILE`, or set Azure credentials \
     (SPEECH_KEY with SPEECH_REGION or SPEECH_ENDPOINT) to use the service";

/// The real recognizer, or why there is none.
#[cfg(whisper_engine)]
fn real_recognizer() -> Result<Arc<dyn Recognizer>, Failure> {
    use speech_emulator::engines::whisper::WhisperRecognizer;
    WhisperRecognizer::load_default()
        .map(|r| Arc::new(r) as Arc<dyn Recognizer>)
        .map_err(|e| {
            Failure::usage(format!("the offline speech recognizer cannot start: {e}")).with_hint(
                "run `bash scripts/setup.sh` to install the model, or set Azure credentials (SPEECH_KEY with \
                 SPEECH_REGION or SPEECH_ENDPOINT) to use the service",
            )
        })
}

/// The real recognizer, or why there is none.
#[cfg(not(whisper_engine))]
fn real_recognizer() -> Result<Arc<dyn Recognizer>, Failure> {
    Err(Failure::usage(NO_RECOGNIZER).with_hint(RECOGNIZER_FIX))
}

fn real_synthesizer() -> Result<Arc<dyn Synthesizer>, Failure> {
    SystemTts::detect()
        .map(|s| Arc::new(s) as Arc<dyn Synthesizer>)
        .map_err(|e| {
            Failure::usage(format!("no offline speech synthesizer: {e}")).with_hint(
                "install flite, pico2wave or espeak-ng (`bash scripts/setup.sh` does), or set Azure credentials \
                 (SPEECH_KEY with SPEECH_REGION or SPEECH_ENDPOINT) to use the service",
            )
        })
}

/// A recognizer and a synthesizer.
pub(crate) type Engines = (Arc<dyn Recognizer>, Arc<dyn Synthesizer>);

/// The engines for `needs`: the real ones it requires (or a failure), and refusing stand-ins for the rest.
/// Loading Whisper takes a moment, so it is loaded only when recognition may be asked for.
pub(crate) fn engines(needs: Needs) -> Result<Engines, Failure> {
    let refuse = |f: Failure| Unavailable {
        why: match f.hint {
            Some(h) => format!("{}; {h}", f.message),
            None => f.message,
        },
    };
    let recognizer: Arc<dyn Recognizer> = match needs {
        Needs::Recognition => real_recognizer()?,
        Needs::Whatever => real_recognizer().unwrap_or_else(|f| Arc::new(refuse(f))),
        Needs::Synthesis | Needs::Nothing => Arc::new(Unavailable {
            why: "recognition is not enabled in this embedded emulator".to_owned(),
        }),
    };
    let synthesizer: Arc<dyn Synthesizer> = match needs {
        Needs::Synthesis => real_synthesizer()?,
        Needs::Whatever => real_synthesizer().unwrap_or_else(|f| Arc::new(refuse(f))),
        Needs::Recognition | Needs::Nothing => Arc::new(Unavailable {
            why: "synthesis is not enabled in this embedded emulator".to_owned(),
        }),
    };
    Ok((recognizer, synthesizer))
}

/// Start an emulator on a loopback port with the engines for `needs`.
pub(crate) fn start(
    needs: Needs,
    port: u16,
    key: Option<&str>,
    region: Option<&str>,
) -> Result<EmulatorHandle, Failure> {
    let (recognizer, synthesizer) = engines(needs)?;
    start_with(recognizer, synthesizer, port, key, region, None)
}

/// Start an emulator on a loopback port with these engines.
pub(crate) fn start_with(
    recognizer: Arc<dyn Recognizer>,
    synthesizer: Arc<dyn Synthesizer>,
    port: u16,
    key: Option<&str>,
    region: Option<&str>,
    entra_resource_id: Option<&str>,
) -> Result<EmulatorHandle, Failure> {
    let mut builder = Emulator::builder()
        .port(port)
        .recognizer(recognizer)
        .synthesizer(synthesizer);
    if let Some(id) = entra_resource_id {
        builder = builder.entra_resource_id(id);
    }
    if let Some(key) = key {
        builder = builder.key(key);
    }
    if let Some(region) = region {
        builder = builder.region(region);
    }
    builder
        .start_blocking()
        .map_err(|e| Failure::usage(format!("cannot start the embedded emulator: {e}")))
}

/// Start the embedded emulator for a command and print the one-line notice on stderr.
pub(crate) fn start_for_command(needs: Needs) -> Result<EmulatorHandle, Failure> {
    let emu = start(needs, 0, None, None)?;
    eprintln!(
        "speech: no Azure credentials (SPEECH_KEY with SPEECH_REGION or SPEECH_ENDPOINT): using the embedded \
         offline emulator at {}. Set them to use Azure.",
        emu.base_url()
    );
    Ok(emu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusing_engines_say_why() {
        let (recognizer, synthesizer) = engines(Needs::Nothing).expect("no engine needed");
        let err = recognizer
            .recognize(RecognitionInput {
                audio: &[0; 16],
                sample_rate: 16_000,
                language: "en-US",
                previous: None,
                following: &[],
                draft: false,
            })
            .unwrap_err();
        assert!(err.message.contains("not enabled"));
        let err = synthesizer
            .synthesize(SynthesisInput {
                text: "hi",
                locale: "en-US",
                engine_voice: "slt",
                rate: 1.0,
            })
            .unwrap_err();
        assert!(err.message.contains("not enabled"));
    }

    #[cfg(not(whisper_engine))]
    #[test]
    fn recognition_without_whisper_is_a_usage_failure_with_the_fix() {
        let f = engines(Needs::Recognition)
            .err()
            .expect("no recognizer in this build");
        assert_eq!(f.code, crate::exit::Code::Usage);
        assert!(f.message.contains("no offline speech recognizer"));
        assert!(f
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("--features whisper"));
    }
}
