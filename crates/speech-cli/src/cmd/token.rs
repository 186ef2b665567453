//! `speech token [--decode]`: fetch a bearer token with the key (or, with `--auth entra`, from the Entra token
//! source) and print it, or its claims and expiry.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use speech_proto::token::seconds_until;
use speech_proto::Token;

use crate::cli::{GlobalArgs, OutputArg, TokenArgs};
use crate::config::{resolve, Target};
use crate::embedded::Needs;
use crate::exit::{Code, Failure};
use crate::output::{emit, emit_line};
use crate::session::Session;

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic Gregorian calendar, UTC).
pub(crate) fn utc(unix: u64) -> String {
    speech_proto::stt::stream::frame::Timestamp(unix.saturating_mul(1000)).to_seconds_string()
}

/// The expiry line: `2024-01-01T00:10:00Z (in 600 s)` or `… (expired 5 s ago)`.
pub(crate) fn expiry_text(exp: u64, now: u64) -> String {
    match seconds_until(exp, now) {
        left if left > 0 => format!("{} (in {left} s)", utc(exp)),
        left => format!("{} (expired {} s ago)", utc(exp), left.unsigned_abs()),
    }
}

fn decoded(token: &Token) -> Value {
    let now = now_unix();
    let exp = token.expires_at_unix();
    json!({
        "claims": token.payload().map(Value::Object),
        "expires_at_unix": exp,
        "expires_at": exp.map(utc),
        "expires_in_s": token.expires_in(now),
    })
}

/// The claims, one per line, and the expiry.
fn decoded_text(token: &Token) -> String {
    let mut out = String::new();
    match token.payload() {
        Some(map) => {
            out.push_str("claims:\n");
            for (name, value) in &map {
                let _ = match value {
                    Value::String(s) => writeln!(out, "  {name}: {s}"),
                    other => writeln!(out, "  {name}: {other}"),
                };
            }
        }
        None => out.push_str("claims: (the token's payload is not a JSON object)\n"),
    }
    let _ = match token.expires_at_unix() {
        Some(exp) => writeln!(out, "expires: {}", expiry_text(exp, now_unix())),
        None => writeln!(
            out,
            "expires: unknown (no exp claim; tokens live 10 minutes)"
        ),
    };
    out
}

/// Run `token`.
pub(crate) fn run(global: &GlobalArgs, args: &TokenArgs) -> Result<ExitCode, Failure> {
    let target = resolve(global)?;
    // A token given with --token is shown as it is: there is no key to fetch another with.
    let token = match &target {
        Target::Remote {
            credential_source, ..
        } if *credential_source == crate::config::TOKEN_SOURCE => {
            let text = global
                .token
                .as_ref()
                .map(|t| t.expose())
                .unwrap_or_default();
            Token::from_jwt(text).map_err(|e| {
                Failure::new(
                    Code::Input,
                    format!("the token from --token/SPEECH_TOKEN is not a JWT: {e}"),
                )
            })?
        }
        // Keyless: the token the source gives (what the client would send after aad#<resource id>#).
        Target::Remote {
            entra: Some(source),
            ..
        } => {
            let given = source
                .build()?
                .get_token(speech_proto::auth::ENTRA_SCOPE)
                .map_err(|e| {
                    Failure::new(Code::Auth, format!("the Entra token source gave no token: {e}"))
                        .with_hint(format!(
                            "run the token command yourself to see what it says; with the Azure CLI, sign in with \
                             `az login` and use --token-command \"{}\"",
                            crate::config::AZ_TOKEN_COMMAND
                        ))
                })?;
            Token::from_jwt(&given.token).map_err(|e| {
                Failure::new(
                    Code::Input,
                    format!("the Entra token source gave a token that is not a JWT: {e}"),
                )
            })?
        }
        _ => {
            let session = Session::open_target(global, target, Needs::Nothing, |b| b)?;
            let token = session
                .client
                .token()
                .map_err(|e| Failure::from_client(None, &e))?;
            session.finish(global);
            token
        }
    };
    match (global.output, args.decode) {
        (OutputArg::Text | OutputArg::Srt | OutputArg::Vtt, false) => {
            emit_line(token.expose_secret())
        }
        (OutputArg::Json, false) => emit_line(json!({ "token": token.expose_secret() })),
        (OutputArg::Json, true) => emit_line(decoded(&token)),
        (OutputArg::Text | OutputArg::Srt | OutputArg::Vtt, true) => emit(&decoded_text(&token)),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_600), "2023-11-14T22:23:20Z");
        assert_eq!(utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn expiry_both_ways() {
        assert_eq!(expiry_text(100, 40), "1970-01-01T00:01:40Z (in 60 s)");
        assert_eq!(
            expiry_text(100, 105),
            "1970-01-01T00:01:40Z (expired 5 s ago)"
        );
    }
}
