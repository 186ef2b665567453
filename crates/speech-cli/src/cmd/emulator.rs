//! `speech emulator [--port P] [--key K]`: the local offline service in the foreground, until Ctrl-C.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{EmulatorArgs, GlobalArgs};
use crate::embedded::{self, Needs};
use crate::exit::Failure;

/// Run `emulator`. `key_from_env` says that the key came from `SPEECH_KEY` rather than `--key`: it may be a
/// real Azure key, so it is not printed.
pub(crate) fn run(
    global: &GlobalArgs,
    args: &EmulatorArgs,
    key_from_env: bool,
) -> Result<ExitCode, Failure> {
    let key = global
        .key
        .as_ref()
        .map(|k| k.expose().trim())
        .filter(|k| !k.is_empty());
    let region = global
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let (recognizer, synthesizer) = embedded::engines(Needs::Whatever)?;
    eprintln!("speech: speech-to-text engine: {}", recognizer.name());
    eprintln!("speech: text-to-speech engine: {}", synthesizer.name());
    let emu = embedded::start_with(recognizer, synthesizer, args.port, key, region)?;
    let shown_key = if key_from_env {
        "(the value of SPEECH_KEY)"
    } else {
        emu.key()
    };
    let mut out = std::io::stdout().lock();
    // The key printed is the emulator's own: the documented default or the one given with --key.
    let _ = writeln!(
        out,
        "speech emulator listening on {} (region {})",
        emu.base_url(),
        emu.region()
    );
    let _ = writeln!(out, "key: {shown_key}");
    let _ = writeln!(
        out,
        "use it with: speech --endpoint {} --key {shown_key} <command>   (Ctrl-C stops it)",
        emu.base_url()
    );
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
