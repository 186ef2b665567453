//! A strict `multipart/form-data` parser (RFC 7578 on RFC 2046), for the fast-transcription endpoint and for
//! tests that check what a client sends.
//!
//! Strict means: the `Content-Type` names a boundary of 1–70 allowed characters; the body starts with the
//! first delimiter (an empty preamble, or one CRLF before it); every line break is CRLF; every part has a
//! `Content-Disposition: form-data; name="…"` header (and optionally `filename`), header lines are
//! `Name: value` with no folding, at most 16 headers of at most 1 KiB each; part names are unique; the body
//! ends with the close delimiter `--boundary--`, optionally followed by one CRLF and nothing else. Anything
//! else is an error that says what was wrong, for a `400` answer.

use std::fmt;

/// One part of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename`, when there is one.
    pub filename: Option<String>,
    /// Its `Content-Type`, when it has one.
    pub content_type: Option<String>,
    /// Its content.
    pub data: &'a [u8],
}

/// Why a body is not a well-formed form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultipartError(pub String);

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MultipartError {}

fn err<T>(message: impl Into<String>) -> Result<T, MultipartError> {
    Err(MultipartError(message.into()))
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let media = params.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return err(format!(
            "the Content-Type is {media:?}, not multipart/form-data"
        ));
    }
    let Some(value) = params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim())
    }) else {
        return err("the Content-Type has no boundary parameter");
    };
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
    if value.is_empty() || value.len() > 70 || !value.chars().all(allowed) || value.ends_with(' ') {
        return err(format!(
            "the boundary {value:?} is not a valid boundary (1 to 70 characters of RFC 2046)"
        ));
    }
    Ok(value.to_owned())
}

/// Parses a whole `multipart/form-data` body (see the module documentation for what is refused).
pub fn parse<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, MultipartError> {
    let boundary = boundary(content_type)?;
    let delimiter = format!("--{boundary}");
    let inner = format!("\r\n--{boundary}");
    let finder = memchr::memmem::Finder::new(inner.as_bytes());
    let mut rest = body.strip_prefix(b"\r\n").unwrap_or(body);
    rest = match rest.strip_prefix(delimiter.as_bytes()) {
        Some(r) => r,
        None => return err("the body does not start with the boundary"),
    };
    let mut parts: Vec<Part<'a>> = Vec::new();
    loop {
        // After a delimiter: `--` ends the form, CRLF starts a part.
        if let Some(after) = rest.strip_prefix(b"--") {
            if !(after.is_empty() || after == b"\r\n") {
                return err("bytes after the closing boundary");
            }
            break;
        }
        rest = match rest.strip_prefix(b"\r\n") {
            Some(r) => r,
            None => return err("a boundary line is not followed by CRLF"),
        };
        let Some(header_end) = memchr::memmem::find(rest, b"\r\n\r\n") else {
            return err("a part's headers do not end (no empty line)");
        };
        let headers = &rest[..header_end];
        let content = &rest[header_end + 4..];
        let Some(end) = finder.find(content) else {
            return err("a part does not end with the boundary (the form is cut off)");
        };
        let part = part(headers, &content[..end])?;
        if parts.iter().any(|p| p.name == part.name) {
            return err(format!("the part {:?} appears twice", part.name));
        }
        parts.push(part);
        rest = &content[end + inner.len()..];
    }
    Ok(parts)
}

fn part<'a>(headers: &[u8], data: &'a [u8]) -> Result<Part<'a>, MultipartError> {
    let Ok(headers) = std::str::from_utf8(headers) else {
        return err("a part's headers are not UTF-8");
    };
    let lines: Vec<&str> = headers.split("\r\n").collect();
    if lines.len() > 16 {
        return err("a part has more than 16 headers");
    }
    let mut disposition = None;
    let mut content_type = None;
    for line in lines {
        if line.len() > 1024 {
            return err("a part header is longer than 1 KiB");
        }
        if line.contains('\n') || line.contains('\r') {
            return err("a bare CR or LF in a part's headers");
        }
        if line.starts_with([' ', '\t']) {
            return err("a folded part header");
        }
        let Some((name, value)) = line.split_once(':') else {
            return err(format!("a part header line without a colon: {line:?}"));
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-disposition" if disposition.is_none() => disposition = Some(value),
            "content-type" if content_type.is_none() => content_type = Some(value.to_owned()),
            "content-disposition" | "content-type" => {
                return err(format!("a part has two {name} headers"))
            }
            _ => {}
        }
    }
    let Some(disposition) = disposition else {
        return err("a part has no Content-Disposition");
    };
    // Parameters are separated by `;` outside quoted strings (a file name may hold a `;`).
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in disposition.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                pieces.push(&disposition[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&disposition[start..]);
    let mut params = pieces.into_iter();
    if !params
        .next()
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("form-data"))
    {
        return err(format!(
            "a part's Content-Disposition is not form-data: {disposition:?}"
        ));
    }
    let (mut name, mut filename) = (None, None);
    for param in params {
        let Some((key, value)) = param.split_once('=') else {
            return err(format!(
                "a malformed Content-Disposition parameter: {param:?}"
            ));
        };
        let value = value.trim();
        let Some(value) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
            return err(format!(
                "the Content-Disposition parameter {key:?} is not quoted"
            ));
        };
        if value.contains('"') {
            return err("a quote inside a Content-Disposition parameter");
        }
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(value.to_owned()),
            "filename" => filename = Some(value.to_owned()),
            _ => {}
        }
    }
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return err("a part has no name");
    };
    Ok(Part {
        name,
        filename,
        content_type,
        data,
    })
}

/// The round-trip check of the `multipart_roundtrip` fuzz target (and of its corpus replay): `data` is cut
/// into a definition, a file name, 16 bytes of boundary entropy and the audio; `encode` (the client's encoder,
/// passed in so that this parser stays independent of it) gives the `Content-Type`, the bytes before the audio
/// and the bytes after it. The body must parse into exactly the definition and the audio, with the file name
/// as the encoder wrote it. Panics when it does not (that is the finding). Audio that holds the delimiter
/// itself cannot be framed by any multipart encoder and is skipped.
#[doc(hidden)]
pub fn __fuzz_roundtrip(
    data: &[u8],
    encode: impl Fn(&str, &str, u128) -> (String, Vec<u8>, Vec<u8>),
) {
    // A length byte, then that many bytes.
    let take = |data: &[u8]| -> (Vec<u8>, Vec<u8>) {
        let n = data
            .first()
            .map_or(0, |b| usize::from(*b))
            .min(data.len().saturating_sub(1));
        (
            data.get(1..1 + n).unwrap_or_default().to_vec(),
            data.get(1 + n..).unwrap_or_default().to_vec(),
        )
    };
    let (definition, rest) = take(data);
    let (filename, rest) = take(&rest);
    let definition = String::from_utf8_lossy(&definition).into_owned();
    let filename = String::from_utf8_lossy(&filename).into_owned();
    let mut seed = [0u8; 16];
    for (slot, b) in seed.iter_mut().zip(&rest) {
        *slot = *b;
    }
    let audio = rest.get(16..).unwrap_or_default();
    let (content_type, preamble, epilogue) =
        encode(&definition, &filename, u128::from_le_bytes(seed));
    let Ok(boundary) = boundary(&content_type) else {
        panic!("the encoder's Content-Type has no valid boundary: {content_type:?}");
    };
    if memchr::memmem::find(audio, format!("\r\n--{boundary}").as_bytes()).is_some() {
        return;
    }
    let mut body = preamble;
    body.extend_from_slice(audio);
    body.extend_from_slice(&epilogue);
    let parts = parse(&content_type, &body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0].name, "definition");
    assert_eq!(parts[0].data, definition.as_bytes());
    assert_eq!(parts[1].name, "audio");
    assert_eq!(parts[1].data, audio);
    let written = parts[1].filename.as_deref().unwrap_or_default();
    assert!(
        !written.contains(['"', '\r', '\n']),
        "the file name was written as {written:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=b0und";

    #[test]
    fn a_well_formed_form() {
        let body = b"--b0und\r\nContent-Disposition: form-data; name=\"definition\"\r\n\
            Content-Type: application/json\r\n\r\n{}\r\n--b0und\r\n\
            Content-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\r\n\
            RIFF\r\n--b0un\r\n--b0und--\r\n";
        let parts = parse(CT, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "definition");
        assert_eq!(parts[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(parts[0].data, b"{}");
        assert_eq!(parts[1].filename.as_deref(), Some("a.wav"));
        assert_eq!(parts[1].content_type, None);
        // Content may hold anything but the delimiter itself.
        assert_eq!(parts[1].data, b"RIFF\r\n--b0un" as &[u8]);
        // A body whose content holds the delimiter is cut there, and what follows is refused.
        let body = b"--b0und\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0und-y\r\n--b0und--";
        assert!(parse(CT, body).is_err());
    }

    #[test]
    fn what_is_refused() {
        let good_part = "--b0und\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
        for (content_type, body) in [
            ("application/json", format!("{good_part}--b0und--")),
            ("multipart/form-data", format!("{good_part}--b0und--")),
            (
                "multipart/form-data; boundary=",
                format!("{good_part}--b0und--"),
            ),
            (CT, format!("junk{good_part}--b0und--")),
            (CT, good_part.to_owned()),
            (CT, format!("{good_part}--b0und--trailing")),
            (CT, format!("{good_part}{good_part}--b0und--")),
            (
                CT,
                "--b0und\r\nContent-Type: text/plain\r\n\r\nx\r\n--b0und--".to_owned(),
            ),
            (
                CT,
                "--b0und\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b0und--"
                    .to_owned(),
            ),
            (
                CT,
                "--b0und\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b0und--"
                    .to_owned(),
            ),
            (
                CT,
                "--b0und\r\nContent-Disposition: form-data; name=\"a\"\n\nx\r\n--b0und--"
                    .to_owned(),
            ),
            (
                CT,
                "--b0und\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0und--"
                    .to_owned(),
            ),
        ] {
            assert!(
                parse(content_type, body.as_bytes()).is_err(),
                "{content_type} {body:?}"
            );
        }
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").unwrap(),
            "a b"
        );
    }
}
