//! `speech voices [--locale L]`: the voices list as a table or JSON.

use std::process::ExitCode;

use speech_proto::voices::Voice;

use crate::cli::{GlobalArgs, OutputArg, VoicesArgs};
use crate::embedded::Needs;
use crate::exit::Failure;
use crate::output::{emit, emit_line, voice_json, voice_matches, voices_table};
use crate::session::Session;

/// Run `voices`.
pub(crate) fn run(global: &GlobalArgs, args: &VoicesArgs) -> Result<ExitCode, Failure> {
    let session = Session::open(global, Needs::Nothing, |b| b)?;
    let voices = session
        .client
        .voices()
        .map_err(|e| Failure::from_client(None, &e))?;
    session.finish(global);
    let locale = args
        .locale
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let selected: Vec<&Voice> = voices
        .iter()
        .filter(|v| locale.is_none_or(|l| voice_matches(v, l)))
        .collect();
    match global.output {
        OutputArg::Json => emit_line(serde_json::Value::Array(
            selected.iter().map(|v| voice_json(v)).collect(),
        )),
        OutputArg::Text | OutputArg::Srt | OutputArg::Vtt => {
            if selected.is_empty() {
                match locale {
                    Some(l) => eprintln!(
                        "speech: none of the {} voices speaks {l:?}; list them all with `speech voices`",
                        voices.len()
                    ),
                    None => eprintln!("speech: the service listed no voices"),
                }
            } else {
                emit(&voices_table(&selected));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
