//! The subcommands.

pub(crate) mod doctor;
pub(crate) mod emulator;
pub(crate) mod listen;
pub(crate) mod synthesize;
pub(crate) mod token;
pub(crate) mod transcribe;
pub(crate) mod translate;
pub(crate) mod voices;
