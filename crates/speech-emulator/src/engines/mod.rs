//! Engines behind the [`Recognizer`](crate::engine::Recognizer) and [`Synthesizer`](crate::engine::Synthesizer)
//! traits.
//!
//! * [`scripted::ScriptedRecognizer`] and [`tone::ToneSynthesizer`] are deterministic: no model, no system
//!   package, the same answer every run. They are the defaults of [`Emulator::builder`](crate::Emulator::builder)
//!   and are meant for protocol tests.
//! * `whisper::WhisperRecognizer` (feature `whisper`) and [`system_tts::SystemTts`] are real offline engines,
//!   used by the `speech-emulator` binary and the CLI when they are available.

pub mod scripted;
pub mod tone;

pub mod system_tts;
#[cfg(whisper_engine)]
pub mod whisper;
