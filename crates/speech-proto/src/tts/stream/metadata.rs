//! The service's `audio.metadata` messages (spec part 1.7): word, punctuation and sentence boundaries,
//! bookmarks, visemes and the end of the session, read tolerantly.
//!
//! The body is `{"Metadata":[{"Type":…,"Data":{…}}, …]}`; one message may carry several entries. Entries of an
//! unknown `Type`, or without the fields their type needs, come back as [`Metadata::Other`] and are ignored by
//! the session; a body that is not such an object is a [`MetadataError`]. Offsets and durations are 100-ns ticks
//! from the start of the synthesis' audio.
//!
//! ```
//! use speech_proto::tts::stream::metadata::{parse_metadata, BoundaryKind, Metadata};
//!
//! let body = br#"{"Metadata":[{"Type":"WordBoundary","Data":{"Offset":500000,"Duration":3000000,
//!     "text":{"Text":"Hello","Length":5,"BoundaryType":"WordBoundary"}}}]}"#;
//! let entries = parse_metadata(body)?;
//! assert_eq!(entries, vec![Metadata::Boundary {
//!     kind: BoundaryKind::Word,
//!     offset_ticks: 500_000,
//!     duration_ticks: 3_000_000,
//!     text: "Hello".to_owned(),
//! }]);
//! # Ok::<(), speech_proto::tts::stream::metadata::MetadataError>(())
//! ```

use std::fmt;

use serde_json::Value;

/// The most entries read from one message; the rest are dropped.
pub const MAX_ENTRIES: usize = 4096;

/// The longest boundary text or bookmark name kept, in bytes (longer ones are cut at a character boundary).
pub const MAX_TEXT: usize = 4096;

/// What a boundary marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundaryKind {
    /// A word.
    Word,
    /// A punctuation mark.
    Punctuation,
    /// A sentence.
    Sentence,
}

impl BoundaryKind {
    /// The name the service uses (`WordBoundary`, `PunctuationBoundary`, `SentenceBoundary`).
    pub fn as_str(self) -> &'static str {
        match self {
            BoundaryKind::Word => "WordBoundary",
            BoundaryKind::Punctuation => "PunctuationBoundary",
            BoundaryKind::Sentence => "SentenceBoundary",
        }
    }
}

/// One entry of an `audio.metadata` message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Metadata {
    /// `WordBoundary` (with `BoundaryType` word or punctuation) or `SentenceBoundary`.
    Boundary {
        /// Word, punctuation or sentence.
        kind: BoundaryKind,
        /// Where it starts in the audio.
        offset_ticks: u64,
        /// How long it is spoken.
        duration_ticks: u64,
        /// The text, as in the input.
        text: String,
    },
    /// `Bookmark`: a `<bookmark mark="…"/>` was reached.
    Bookmark {
        /// Where, in the audio.
        offset_ticks: u64,
        /// The mark's name.
        name: String,
    },
    /// `Viseme`: the mouth position at an instant.
    Viseme {
        /// Where, in the audio.
        offset_ticks: u64,
        /// Azure's viseme id (0–21).
        id: u16,
        /// A chunk of the 3D animation, when the SSML asked for one.
        animation_chunk: Option<String>,
        /// Whether this is the last entry of an animation (absent: `true`, as the native SDK reads it).
        is_last_animation: bool,
    },
    /// `SessionEnd`: the synthesis' audio is this long.
    SessionEnd {
        /// The audio's length.
        offset_ticks: u64,
    },
    /// Any other entry (`TalkingAvatarSignal`, a type this crate does not know, or one missing its fields).
    Other {
        /// Its `Type`, cut to 64 characters.
        kind: String,
    },
}

/// Why an `audio.metadata` body could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataError {
    /// It is not JSON.
    NotJson,
    /// It is JSON but has no `Metadata` array.
    NoMetadataArray,
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataError::NotJson => f.write_str("an audio.metadata message that is not JSON"),
            MetadataError::NoMetadataArray => {
                f.write_str("an audio.metadata message without its Metadata array")
            }
        }
    }
}

impl std::error::Error for MetadataError {}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn ticks(data: &Value, name: &str) -> Option<u64> {
    let v = data.get(name)?;
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

fn entry(e: &Value) -> Metadata {
    let kind = e.get("Type").and_then(Value::as_str).unwrap_or_default();
    let other = || Metadata::Other {
        kind: cut(kind, 64),
    };
    let Some(data) = e.get("Data") else {
        return other();
    };
    let offset = ticks(data, "Offset");
    match kind {
        "WordBoundary" | "SentenceBoundary" => {
            let Some(text) = data.get("text") else {
                return other();
            };
            let (Some(offset_ticks), Some(word)) =
                (offset, text.get("Text").and_then(Value::as_str))
            else {
                return other();
            };
            let boundary = text
                .get("BoundaryType")
                .and_then(Value::as_str)
                .unwrap_or(kind);
            let kind = match boundary {
                "PunctuationBoundary" => BoundaryKind::Punctuation,
                "SentenceBoundary" => BoundaryKind::Sentence,
                _ if kind == "SentenceBoundary" => BoundaryKind::Sentence,
                _ => BoundaryKind::Word,
            };
            Metadata::Boundary {
                kind,
                offset_ticks,
                duration_ticks: ticks(data, "Duration").unwrap_or(0),
                text: cut(word, MAX_TEXT),
            }
        }
        "Bookmark" => match (offset, data.get("Bookmark").and_then(Value::as_str)) {
            (Some(offset_ticks), Some(name)) => Metadata::Bookmark {
                offset_ticks,
                name: cut(name, MAX_TEXT),
            },
            _ => other(),
        },
        "Viseme" => {
            let id = data
                .get("VisemeId")
                .and_then(Value::as_u64)
                .and_then(|id| u16::try_from(id).ok());
            match (offset, id) {
                (Some(offset_ticks), Some(id)) => Metadata::Viseme {
                    offset_ticks,
                    id,
                    animation_chunk: data
                        .get("AnimationChunk")
                        .and_then(Value::as_str)
                        .filter(|c| !c.is_empty())
                        .map(|c| cut(c, 1 << 20)),
                    is_last_animation: data
                        .get("IsLastAnimation")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                },
                _ => other(),
            }
        }
        "SessionEnd" => match offset {
            Some(offset_ticks) => Metadata::SessionEnd { offset_ticks },
            None => other(),
        },
        _ => other(),
    }
}

/// Read an `audio.metadata` body. At most [`MAX_ENTRIES`] entries are read.
///
/// # Errors
///
/// [`MetadataError`] when the body is not JSON or has no `Metadata` array. Entries that cannot be read are
/// [`Metadata::Other`], never an error.
pub fn parse_metadata(body: &[u8]) -> Result<Vec<Metadata>, MetadataError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| MetadataError::NotJson)?;
    let entries = value
        .get("Metadata")
        .and_then(Value::as_array)
        .ok_or(MetadataError::NoMetadataArray)?;
    Ok(entries.iter().take(MAX_ENTRIES).map(entry).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_read() {
        let body = r#"{"Metadata":[
            {"Type":"WordBoundary","Data":{"Offset":1,"Duration":2,"text":{"Text":",","Length":1,"BoundaryType":"PunctuationBoundary"}}},
            {"Type":"SentenceBoundary","Data":{"Offset":3,"Duration":4,"text":{"Text":"Hi there.","Length":9,"BoundaryType":"SentenceBoundary"}}},
            {"Type":"Bookmark","Data":{"Offset":5,"Bookmark":"slide2"}},
            {"Type":"Viseme","Data":{"Offset":6,"VisemeId":21,"IsLastAnimation":false,"AnimationChunk":"{}"}},
            {"Type":"Viseme","Data":{"Offset":7,"VisemeId":3}},
            {"Type":"SessionEnd","Data":{"Offset":8}},
            {"Type":"TalkingAvatarSignal","Data":{}},
            {"Type":"WordBoundary","Data":{"Offset":1}},
            {"Data":{}},
            5
        ]}"#;
        let m = parse_metadata(body.as_bytes()).unwrap();
        assert_eq!(
            m[0],
            Metadata::Boundary {
                kind: BoundaryKind::Punctuation,
                offset_ticks: 1,
                duration_ticks: 2,
                text: ",".to_owned()
            }
        );
        assert!(matches!(
            &m[1],
            Metadata::Boundary { kind: BoundaryKind::Sentence, text, .. } if text == "Hi there."
        ));
        assert_eq!(
            m[2],
            Metadata::Bookmark {
                offset_ticks: 5,
                name: "slide2".to_owned()
            }
        );
        assert_eq!(
            m[3],
            Metadata::Viseme {
                offset_ticks: 6,
                id: 21,
                animation_chunk: Some("{}".to_owned()),
                is_last_animation: false
            }
        );
        assert!(matches!(
            m[4],
            Metadata::Viseme {
                id: 3,
                is_last_animation: true,
                animation_chunk: None,
                ..
            }
        ));
        assert_eq!(m[5], Metadata::SessionEnd { offset_ticks: 8 });
        assert!(matches!(&m[6], Metadata::Other { kind } if kind == "TalkingAvatarSignal"));
        assert!(matches!(&m[7], Metadata::Other { .. }));
        assert!(matches!(&m[8], Metadata::Other { kind } if kind.is_empty()));
        assert!(matches!(&m[9], Metadata::Other { .. }));
    }

    #[test]
    fn bad_bodies_are_errors() {
        assert_eq!(parse_metadata(b"nope"), Err(MetadataError::NotJson));
        assert_eq!(parse_metadata(b"{}"), Err(MetadataError::NoMetadataArray));
        assert_eq!(
            parse_metadata(b"{\"Metadata\":{}}"),
            Err(MetadataError::NoMetadataArray)
        );
        assert_eq!(parse_metadata(b"{\"Metadata\":[]}"), Ok(Vec::new()));
    }

    #[test]
    fn long_texts_are_cut_at_a_character() {
        let long = "é".repeat(MAX_TEXT);
        let body = format!(
            r#"{{"Metadata":[{{"Type":"Bookmark","Data":{{"Offset":0,"Bookmark":"{long}"}}}}]}}"#
        );
        let m = parse_metadata(body.as_bytes()).unwrap();
        let Metadata::Bookmark { name, .. } = &m[0] else {
            panic!("{m:?}")
        };
        assert!(name.len() <= MAX_TEXT && name.chars().all(|c| c == 'é'));
    }
}
