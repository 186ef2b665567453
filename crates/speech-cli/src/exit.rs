//! Exit codes and the one failure type every subcommand returns.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 2 | usage or configuration |
//! | 3 | authentication or authorization (401, 403) |
//! | 4 | invalid input (audio, SSML, 400, 415) |
//! | 5 | throttled after retries (429) |
//! | 6 | service or network failure |
//!
//! A [`Failure`] carries only text that was checked to hold no secret: messages are built from the client's
//! errors, whose `Display` never prints keys or tokens.

use std::fmt;
use std::process::ExitCode;

use speech_ureq::{Error as ClientError, ErrorKind};

/// Why `speech` stopped, as an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Code {
    /// 2: usage or configuration.
    Usage = 2,
    /// 3: authentication or authorization.
    Auth = 3,
    /// 4: invalid input.
    Input = 4,
    /// 5: throttled after retries.
    Throttled = 5,
    /// 6: service or network failure.
    Service = 6,
}

impl Code {
    /// The process exit code.
    pub(crate) fn exit_code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// A short name for JSON output.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Code::Usage => "usage",
            Code::Auth => "auth",
            Code::Input => "invalid_input",
            Code::Throttled => "throttled",
            Code::Service => "service",
        }
    }

    /// The code for a client error.
    pub(crate) fn of(error: &ClientError) -> Code {
        Code::of_kind(error.kind())
    }

    /// The code for a class of error (the core decides the class).
    pub(crate) fn of_kind(kind: ErrorKind) -> Code {
        match kind {
            ErrorKind::Usage => Code::Usage,
            ErrorKind::Auth => Code::Auth,
            ErrorKind::InvalidInput => Code::Input,
            ErrorKind::Throttled => Code::Throttled,
            ErrorKind::Service | ErrorKind::Network => Code::Service,
            // A kind added later: the generic failure code.
            _ => Code::Service,
        }
    }
}

/// A failure: its exit code, what went wrong, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The exit code.
    pub(crate) code: Code,
    /// What went wrong (one line, no secret).
    pub(crate) message: String,
    /// How to fix it, when known.
    pub(crate) hint: Option<String>,
    /// The HTTP status, for service answers.
    pub(crate) status: Option<u16>,
}

impl Failure {
    /// A failure with a message and no hint.
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: None,
            status: None,
        }
    }

    /// A usage or configuration failure.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }

    /// Add a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A failure from a client error, with `context` (e.g. the file name) in front of the message.
    pub(crate) fn from_client(context: Option<&str>, error: &ClientError) -> Self {
        let text = match error.as_proto() {
            // The client has already retried: say what the token service answered, without the machine's
            // "next attempt in …", which no one will wait for.
            Some(speech_proto::Error::TokenUnavailable {
                last_error: Some(last),
                ..
            }) => format!("could not get a token: {}", last.summary()),
            Some(speech_proto::Error::TokenUnavailable {
                last_error: None, ..
            }) => "could not get a token: the token service could not be reached".to_owned(),
            // The core's message without the hint, which is printed once, on its own line.
            Some(e) => e.summary().to_string(),
            None => error.to_string(),
        };
        let message = match context {
            Some(c) => format!("{c}: {text}"),
            None => text,
        };
        let hint = error.hint().map(|h| h.to_string());
        Failure {
            code: Code::of(error),
            message,
            hint,
            status: error.status().map(|s| s.as_u16()),
        }
    }

    /// Print to stderr: `speech: <message>` and, on the next line, `  hint: <hint>`.
    pub(crate) fn report(&self) {
        eprintln!("{self}");
    }

    /// The JSON object for `--output json` (`kind`, `exit_code`, `status`, `message`, `hint`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.code.name(),
            "exit_code": self.code as u8,
            "status": self.status,
            "message": self.message,
            "hint": self.hint,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "speech: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl From<speech_proto::Error> for Failure {
    /// Errors of the core raised before any request (bad endpoint, bad key shape, bad output format): usage.
    fn from(e: speech_proto::Error) -> Self {
        let mut f = Failure::new(Code::of_kind(e.kind()), e.summary().to_string());
        if let Some(h) = e.hint() {
            f.hint = Some(h.to_string());
        }
        f.status = e.status().map(|s| s.as_u16());
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(Code::Usage as u8, 2);
        assert_eq!(Code::Auth as u8, 3);
        assert_eq!(Code::Input as u8, 4);
        assert_eq!(Code::Throttled as u8, 5);
        assert_eq!(Code::Service as u8, 6);
    }

    #[test]
    fn display_puts_the_hint_on_its_own_line() {
        let f = Failure::usage("no credentials").with_hint("set SPEECH_KEY");
        assert_eq!(
            f.to_string(),
            "speech: no credentials\n  hint: set SPEECH_KEY"
        );
        assert_eq!(f.to_json()["exit_code"], 2);
        assert_eq!(f.to_json()["kind"], "usage");
    }

    #[test]
    fn core_errors_map_to_codes() {
        let bad_region = speech_proto::Endpoint::region("West US").unwrap_err();
        assert_eq!(Failure::from(bad_region).code, Code::Usage);
        let audio = speech_proto::Error::Audio(vec![speech_proto::audio::AudioProblem::Empty]);
        assert_eq!(Failure::from(audio).code, Code::Input);
    }
}
