//! Microsoft Entra ID tokens from a source of the caller's: [`EntraTokenSource`].

pub use speech_proto::auth::EntraAccessToken;

/// Where a client gets Microsoft Entra tokens when its credential is
/// [`Credential::entra_token_source`](speech_proto::Credential::entra_token_source): asked for a token for a
/// scope (`https://cognitiveservices.azure.com/.default`) whenever the client needs one — the first request,
/// a few minutes before the current token expires, after a `401` — by one thread at a time, while the other
/// threads keep using the still-valid token. A failure is retried with backoff; its message reaches the
/// caller's error.
///
/// A few lines wrap any way of getting tokens, e.g. the Azure CLI:
///
/// ```no_run
/// use speech_ureq::{EntraAccessToken, EntraTokenSource};
///
/// struct AzureCli;
///
/// impl EntraTokenSource for AzureCli {
///     fn get_token(
///         &self,
///         scope: &str,
///     ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
///         let resource = scope.trim_end_matches("/.default");
///         let out = std::process::Command::new("az")
///             .args(["account", "get-access-token", "--resource", resource])
///             .args(["--query", "[accessToken,expires_on]", "-o", "tsv"])
///             .output()?;
///         let text = String::from_utf8(out.stdout)?;
///         let mut lines = text.lines();
///         let token = lines.next().ok_or("no token")?.to_owned();
///         let expires_on: u64 = lines.next().ok_or("no expiry")?.trim().parse()?;
///         Ok(EntraAccessToken { token, expires_on })
///     }
/// }
/// ```
pub trait EntraTokenSource: Send + Sync {
    /// A token for `scope`, or why there is none.
    ///
    /// # Errors
    ///
    /// Whatever kept the source from giving a token; the client backs off and asks again.
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>>;
}

impl<T: EntraTokenSource + ?Sized> EntraTokenSource for Box<T> {
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
        (**self).get_token(scope)
    }
}

impl<T: EntraTokenSource + ?Sized> EntraTokenSource for std::sync::Arc<T> {
    fn get_token(
        &self,
        scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
        (**self).get_token(scope)
    }
}

/// Tokens from a command line the user names, run through the shell (`sh -c` on Unix, `cmd /C` on Windows) each
/// time a token is needed: typically `az account get-access-token --resource https://cognitiveservices.azure.com
/// --query accessToken -o tsv`. The command prints the token alone (its expiry is read from its `exp` claim) or
/// the JSON of `az account get-access-token -o json` (see
/// [`EntraAccessToken::from_tool_output`]). A non-zero exit fails with the command's stderr (its last lines);
/// the token never appears in errors, and of the command line only the program's name does (its arguments may
/// hold a secret).
///
/// ```no_run
/// use speech_ureq::speech_proto::{Credential, Endpoint};
/// use speech_ureq::{Client, TokenCommand};
///
/// let client = Client::builder(
///     Endpoint::from_url("https://my-speech.cognitiveservices.azure.com/")?,
///     Credential::entra_token_source(
///         "/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/my-speech",
///     )?,
/// )
/// .entra_token_source(TokenCommand::new(
///     "az account get-access-token --resource https://cognitiveservices.azure.com -o json",
/// ))
/// .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TokenCommand {
    command: String,
}

impl std::fmt::Debug for TokenCommand {
    /// Only the program's name: the rest of a command line may hold a secret (a client secret, a password).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCommand")
            .field("program", &self.program())
            .finish_non_exhaustive()
    }
}

impl TokenCommand {
    /// A source that runs `command` through the shell.
    pub fn new(command: impl Into<String>) -> Self {
        TokenCommand {
            command: command.into(),
        }
    }

    /// The command line.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The program the command line starts with, for messages (its arguments may hold secrets and are never
    /// shown).
    pub fn program(&self) -> &str {
        self.command.split_whitespace().next().unwrap_or_default()
    }
}

impl EntraTokenSource for TokenCommand {
    fn get_token(
        &self,
        _scope: &str,
    ) -> Result<EntraAccessToken, Box<dyn std::error::Error + Send + Sync>> {
        use std::io::Read as _;
        use std::process::{Command, Stdio};

        let mut shell = if cfg!(windows) {
            let mut c = Command::new("cmd");
            c.arg("/C");
            c
        } else {
            let mut c = Command::new("sh");
            c.arg("-c");
            c
        };
        let mut child = shell
            .arg(&self.command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run the token command ({}): {e}", self.program()))?;
        // Read stderr on another thread so that a chatty command cannot block on a full pipe.
        let (Some(mut stderr), Some(stdout)) = (child.stderr.take(), child.stdout.take()) else {
            return Err("the token command's output pipes could not be opened".into());
        };
        let errs = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf);
            buf
        });
        let mut out = Vec::new();
        let limit = speech_proto::auth::entra::MAX_TOOL_OUTPUT as u64 + 1;
        let read = stdout.take(limit).read_to_end(&mut out);
        if out.len() as u64 >= limit {
            let _ = child.kill();
        }
        let status = child.wait()?;
        let errs = errs.join().unwrap_or_default();
        read?;
        if !status.success() {
            let errs = String::from_utf8_lossy(&errs);
            let tail: Vec<&str> = errs.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = tail[tail.len().saturating_sub(3)..].join(" / ");
            return Err(format!(
                "the token command ({}) failed ({status}){}",
                self.program(),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {tail}")
                }
            )
            .into());
        }
        let text = String::from_utf8(out).map_err(|_| {
            format!(
                "the token command ({}) printed bytes that are not UTF-8",
                self.program()
            )
        })?;
        EntraAccessToken::from_tool_output(&text).map_err(|e| {
            let message = match e {
                speech_proto::Error::TokenSource { message } => message,
                other => other.to_string(),
            };
            format!("{message} (command {})", self.program()).into()
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_token_commands_arguments_never_show() {
        let command = TokenCommand::new("sh -c 'echo oops >&2; exit 3' --client-secret hunter2");
        assert!(!format!("{command:?}").contains("hunter2"));
        let e = command.get_token("scope").unwrap_err().to_string();
        assert!(e.contains("oops") && e.contains("(sh)"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = TokenCommand::new("echo not-a-token --secret hunter2")
            .get_token("s")
            .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
