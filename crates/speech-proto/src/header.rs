//! Checks for header values the caller supplies.
//!
//! A key, token, language, user agent or any other caller-supplied string that ends up in a header must not
//! carry CR, LF or other control characters: they would let one value smuggle in further headers or split the
//! request. Such values are refused with [`Misuse::InvalidHeaderValue`] and never sent.

use http::HeaderValue;

use crate::error::{Error, Misuse};

/// Build a header value from caller-supplied text, refusing anything outside visible ASCII and space/tab
/// (no CR, LF, NUL or other control characters; no bytes above 0x7E).
///
/// `header` names the header the value is meant for; it appears in the error, the value never does (it may be
/// a secret).
pub(crate) fn checked_value(header: &'static str, value: &str) -> Result<HeaderValue, Error> {
    let ok = value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    if !ok || value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Err(Misuse::InvalidHeaderValue { header }.into());
    }
    HeaderValue::from_str(value).map_err(|_| Misuse::InvalidHeaderValue { header }.into())
}

/// Like [`checked_value`], and marks the value sensitive so that `http`'s own `Debug` hides it.
pub(crate) fn checked_secret(header: &'static str, value: &str) -> Result<HeaderValue, Error> {
    let mut v = checked_value(header, value)?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            "a\r\nX-Evil: 1",
            "a\nb",
            "a\rb",
            "nul\0",
            "bell\x07",
            "del\x7f",
            "é",
            " lead",
            "trail ",
        ] {
            let err = checked_value("User-Agent", bad).unwrap_err();
            assert_eq!(
                err,
                Error::Misuse(Misuse::InvalidHeaderValue {
                    header: "User-Agent"
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn visible_ascii_is_accepted() {
        let v = checked_value("X-Test", "en-US; q=0.9\tx").unwrap();
        assert_eq!(v.to_str().unwrap(), "en-US; q=0.9\tx");
        assert!(checked_secret("Authorization", "Bearer abc")
            .unwrap()
            .is_sensitive());
    }
}
