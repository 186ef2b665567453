//! `speech emulator [--port P] [--key K] [--resource-id ID [--az-stand-in DIR]]`: the local offline service in
//! the foreground, until Ctrl-C; with a resource id it also takes Microsoft Entra tokens from its test issuer.

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
    let resource_id = match global
        .resource_id
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(id) => Some(
            speech_proto::auth::entra::EntraResourceId::parse(id)
                .map_err(|e| Failure::usage(format!("the resource id cannot be used: {e}")))?,
        ),
        None if args.az_stand_in.is_some() => {
            return Err(Failure::usage("--az-stand-in needs --resource-id: the emulator takes Entra tokens only for one")
                .with_hint("add --resource-id /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.CognitiveServices/accounts/<name>"));
        }
        None => None,
    };
    let emu = embedded::start_with(
        recognizer,
        synthesizer,
        args.port,
        key,
        region,
        resource_id.as_ref().map(|id| id.as_str()),
    )?;
    let az = match &args.az_stand_in {
        Some(dir) => Some(emu.write_az_stand_in(dir).map_err(|e| {
            Failure::usage(format!(
                "cannot write the az stand-in into {}: {e}",
                dir.display()
            ))
        })?),
        None => None,
    };
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
    if let Some(id) = &resource_id {
        let _ = writeln!(
            out,
            "Microsoft Entra: tokens for the resource {id} from POST {} (form: scope=https://cognitiveservices.azure.com/.default)",
            emu.entra_token_url()
        );
        let command = match &az {
            Some(az) => format!(
                "{} account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv",
                az.display()
            ),
            None => "<a command that prints a token from that URL; see --az-stand-in>".to_owned(),
        };
        let _ = writeln!(
            out,
            "keyless: speech --endpoint {} --auth entra --resource-id {id} --token-command \"{command}\" <command>",
            emu.base_url()
        );
    }
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
