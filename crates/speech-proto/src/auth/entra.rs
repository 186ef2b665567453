//! Microsoft Entra ID facts a driver or a troubleshooting tool needs beside the token machine: the audience a
//! Speech token must carry, the shape of a resource id, and reading a token from the output of a command such as
//! `az account get-access-token`.
//!
//! ```
//! use speech_proto::auth::entra::{EntraResourceId, ENTRA_AUDIENCE};
//! use speech_proto::auth::EntraAccessToken;
//!
//! let id = EntraResourceId::parse(
//!     "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg\
//!      /providers/Microsoft.CognitiveServices/accounts/my-speech",
//! )?;
//! assert_eq!(id.account(), "my-speech");
//!
//! // `az account get-access-token -o json` prints the token with its expiry (Unix seconds).
//! let out = r#"{"accessToken": "eyJ0eXAi.eyJhdWQi.c2ln", "expires_on": 1767261600, "tokenType": "Bearer"}"#;
//! let token = EntraAccessToken::from_tool_output(out)?;
//! assert_eq!(token.expires_on, 1_767_261_600);
//! assert_eq!(ENTRA_AUDIENCE, "https://cognitiveservices.azure.com");
//! # Ok::<(), speech_proto::Error>(())
//! ```

use std::fmt;

use serde_json::Value;

use crate::auth::token::{Token, TokenValidity};
use crate::auth::EntraAccessToken;
use crate::error::{Error, Misuse};

/// The audience (`aud` claim) of an Entra token issued for the scope
/// [`ENTRA_SCOPE`](crate::auth::ENTRA_SCOPE).
pub const ENTRA_AUDIENCE: &str = "https://cognitiveservices.azure.com";

/// The roles that let an Entra identity use a Speech resource, for messages.
pub const SPEECH_ROLES: &str =
    "Cognitive Services Speech User or Cognitive Services Speech Contributor";

/// The most output read from a token command (64 KiB); Entra tokens are a few KiB.
pub const MAX_TOOL_OUTPUT: usize = 64 * 1024;

/// A Speech resource's ARM id, `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.CognitiveServices/
/// accounts/<name>`, as the portal shows it under Properties → Resource ID.
#[derive(Clone, PartialEq, Eq)]
pub struct EntraResourceId {
    text: String,
    subscription: std::ops::Range<usize>,
    resource_group: std::ops::Range<usize>,
    account: std::ops::Range<usize>,
}

impl fmt::Debug for EntraResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EntraResourceId").field(&self.text).finish()
    }
}

impl EntraResourceId {
    /// Check the shape of a resource id (surrounding whitespace trimmed; the fixed segments are compared without
    /// regard to case, as ARM does).
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidValue`] naming what differs from the expected shape.
    pub fn parse(id: &str) -> Result<Self, Error> {
        let text = id.trim();
        let invalid = |reason: String| -> Error {
            Misuse::InvalidValue {
                name: "Entra resource id",
                reason,
            }
            .into()
        };
        if text.contains('#') || text.chars().any(|c| c.is_control() || c == ' ') {
            return Err(invalid(
                "it holds '#', spaces or control characters; copy Properties → Resource ID from the portal".into(),
            ));
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(invalid(format!(
                "{text:?} does not start with /subscriptions/: the full ARM id (/subscriptions/<id>/resourceGroups/\
                 <group>/providers/Microsoft.CognitiveServices/accounts/<name>) is expected, not the resource's name"
            )));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        const SHAPE: [&str; 8] = [
            "subscriptions",
            "",
            "resourceGroups",
            "",
            "providers",
            "Microsoft.CognitiveServices",
            "accounts",
            "",
        ];
        let fits = segments.len() == SHAPE.len()
            && SHAPE.iter().zip(&segments).all(|(want, got)| {
                !got.is_empty() && (want.is_empty() || want.eq_ignore_ascii_case(got))
            });
        if !fits {
            return Err(invalid(format!(
                "{text:?} is not of the form /subscriptions/<id>/resourceGroups/<group>/providers/\
                 Microsoft.CognitiveServices/accounts/<name>"
            )));
        }
        let range = |i: usize| {
            let start = 1 + segments[..i].iter().map(|s| s.len() + 1).sum::<usize>();
            start..start + segments[i].len()
        };
        Ok(EntraResourceId {
            subscription: range(1),
            resource_group: range(3),
            account: range(7),
            text: text.to_owned(),
        })
    }

    /// The whole id.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The subscription id.
    pub fn subscription(&self) -> &str {
        &self.text[self.subscription.clone()]
    }

    /// The resource group.
    pub fn resource_group(&self) -> &str {
        &self.text[self.resource_group.clone()]
    }

    /// The resource's (account's) name.
    pub fn account(&self) -> &str {
        &self.text[self.account.clone()]
    }

    /// Whether the subscription id has the GUID form Azure gives subscriptions (8-4-4-4-12 hex digits).
    pub fn subscription_is_guid(&self) -> bool {
        let s = self.subscription();
        let groups: Vec<&str> = s.split('-').collect();
        groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

impl fmt::Display for EntraResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl EntraAccessToken {
    /// Read a token from what a token command printed on stdout:
    ///
    /// * JSON, as `az account get-access-token -o json` prints it: the token under `accessToken` (or
    ///   `access_token`, or `token`), the expiry under `expires_on` in Unix seconds (a number or a string of
    ///   digits), else from the token's own `exp` claim;
    /// * or the token alone (`az account get-access-token --query accessToken -o tsv`), whose expiry is its `exp`
    ///   claim.
    ///
    /// # Errors
    ///
    /// [`Error::TokenSource`] when the output is empty, longer than [`MAX_TOOL_OUTPUT`], JSON without a token,
    /// or a token with no readable expiry. The message never holds the token.
    pub fn from_tool_output(output: &str) -> Result<EntraAccessToken, Error> {
        let fail = |message: &str| Error::TokenSource {
            message: message.to_owned(),
        };
        if output.len() > MAX_TOOL_OUTPUT {
            return Err(fail(
                "the token command printed more than 64 KiB; a token was expected",
            ));
        }
        let text = output.trim();
        if text.is_empty() {
            return Err(fail("the token command printed nothing"));
        }
        let (token, expires_on) = if text.starts_with('{') {
            let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
                return Err(fail("the token command printed JSON that does not parse"));
            };
            let token = ["accessToken", "access_token", "token"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .ok_or_else(|| {
                    fail("the token command printed JSON without an accessToken, access_token or token field")
                })?;
            let expires_on = match map.get("expires_on") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            (token.trim().to_owned(), expires_on)
        } else {
            (text.to_owned(), None)
        };
        if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(
                "the token command's output is not one token (it is empty or holds spaces or several lines)",
            ));
        }
        let expires_on = expires_on
            .or_else(|| Token::opaque(&token, None).expires_at_unix())
            .ok_or_else(|| {
                fail(
                    "the token command gave a token with no expiry (neither expires_on in JSON output nor an exp \
                     claim in the token)",
                )
            })?;
        Ok(EntraAccessToken { token, expires_on })
    }
}

/// What can be told about an Entra token before using it: see [`inspect_entra_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntraTokenFacts {
    /// Whether it has expired, by its `exp` claim.
    pub validity: TokenValidity,
    /// The `aud` claim, when the token is a JWT that has one.
    pub audience: Option<String>,
}

impl EntraTokenFacts {
    /// Whether the audience is the one the Speech service expects ([`ENTRA_AUDIENCE`], with or without a trailing
    /// slash); `None` when the token names none.
    pub fn audience_fits(&self) -> Option<bool> {
        self.audience.as_deref().map(|aud| {
            aud.trim_end_matches('/')
                .eq_ignore_ascii_case(ENTRA_AUDIENCE)
        })
    }
}

/// Read the expiry and audience of an Entra token at `now_unix_secs` (wall clock). The claims are read, not
/// verified: only the service can tell whether it accepts the token.
pub fn inspect_entra_token(token: &str, now_unix_secs: u64) -> EntraTokenFacts {
    let token = Token::opaque(token.trim(), None);
    EntraTokenFacts {
        validity: token.validity(now_unix_secs),
        audience: token.claims().audience.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn jwt(payload: &str) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            b64.encode(payload)
        )
    }

    #[test]
    fn resource_ids() {
        let id = EntraResourceId::parse(
            " /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/my-rg/providers/\
             microsoft.cognitiveservices/accounts/speech1 ",
        )
        .unwrap();
        assert_eq!(id.subscription(), "11111111-2222-3333-4444-555555555555");
        assert_eq!(id.resource_group(), "my-rg");
        assert_eq!(id.account(), "speech1");
        assert!(id.subscription_is_guid());
        let loose = EntraResourceId::parse(
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech",
        )
        .unwrap();
        assert!(!loose.subscription_is_guid());

        for bad in [
            "",
            "speech1",
            "subscriptions/x/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/accounts/a",
            "/subscriptions/x/resourceGroups//providers/Microsoft.CognitiveServices/accounts/a",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/extra",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a#b",
            "/subscriptions/x/resourceGroups/r g/providers/Microsoft.CognitiveServices/accounts/a",
        ] {
            let e = EntraResourceId::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Usage, "{bad:?}");
        }
    }

    #[test]
    fn tool_output_forms() {
        let t = jwt(r#"{"aud":"https://cognitiveservices.azure.com","exp":1800000000}"#);
        // The token alone: the expiry comes from its claim.
        let got = EntraAccessToken::from_tool_output(&format!("{t}\n")).unwrap();
        assert_eq!(
            (got.token.as_str(), got.expires_on),
            (t.as_str(), 1_800_000_000)
        );
        // az's JSON: expires_on wins over the claim; as a string too.
        for json in [
            format!(r#"{{"accessToken":"{t}","expires_on":1700000000,"tokenType":"Bearer"}}"#),
            format!(r#"{{"access_token":"{t}","expires_on":"1700000000"}}"#),
        ] {
            let got = EntraAccessToken::from_tool_output(&json).unwrap();
            assert_eq!(
                (got.token.as_str(), got.expires_on),
                (t.as_str(), 1_700_000_000)
            );
        }
        // JSON without expires_on (azd): the claim.
        let got =
            EntraAccessToken::from_tool_output(&format!(r#"{{"token":"{t}","expiresOn":"x"}}"#))
                .unwrap();
        assert_eq!(got.expires_on, 1_800_000_000);
    }

    #[test]
    fn tool_output_errors_never_show_the_token() {
        let secret = "opaque-SECRET-token";
        for out in [
            String::new(),
            " \n".into(),
            secret.into(),
            format!("{secret}\n{secret}"),
            format!(r#"{{"accessToken":"{secret}"}}"#),
            format!(r#"{{"nothing":"{secret}"}}"#),
            format!(r#"{{"accessToken":"{secret}""#),
            "x".repeat(MAX_TOOL_OUTPUT + 1),
        ] {
            let e = EntraAccessToken::from_tool_output(&out).unwrap_err();
            assert!(matches!(e, Error::TokenSource { .. }), "{e:?}");
            assert!(!e.to_string().contains(secret), "{e}");
        }
    }

    #[test]
    fn facts_of_a_token() {
        let t = jwt(r#"{"aud":"https://cognitiveservices.azure.com/","exp":1800000000}"#);
        let f = inspect_entra_token(&t, 1_700_000_000);
        assert_eq!(f.validity, TokenValidity::Valid { exp: 1_800_000_000 });
        assert_eq!(f.audience_fits(), Some(true));
        let f = inspect_entra_token(&t, 1_900_000_000);
        assert!(matches!(f.validity, TokenValidity::Expired { .. }));
        let graph = jwt(r#"{"aud":"https://graph.microsoft.com","exp":1800000000}"#);
        assert_eq!(inspect_entra_token(&graph, 0).audience_fits(), Some(false));
        let opaque = inspect_entra_token("not-a-jwt", 0);
        assert_eq!(opaque.validity, TokenValidity::Unknown);
        assert_eq!(opaque.audience_fits(), None);
    }
}
