//! The service's messages (spec part B.6), read tolerantly: numbers or numeric strings for offsets, an empty
//! body or `{}` where nothing is needed, unknown fields ignored, unknown paths kept as
//! [`ServiceMessage::Other`].

use serde::Deserialize;

use crate::error::{Error, MalformedResponse};
use crate::stt::short::{opt_ticks, parse_recognition, Recognition};

use super::frame::Message;
use super::translation::{
    parse_audio_start, parse_synthesis_end, parse_v1, parse_v2, SynthesisEnd, TranslationResult,
};

/// A message from the service, its body read.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ServiceMessage {
    /// `turn.start`: the first message of a turn.
    TurnStart {
        /// `context.serviceTag`: the id to quote in a support case.
        service_tag: Option<String>,
    },
    /// `speech.startDetected`: speech began, at this offset from the start of the turn's audio (100-ns ticks).
    SpeechStartDetected {
        /// The offset, in ticks.
        offset_ticks: u64,
    },
    /// `speech.hypothesis` or `speech.fragment`: what has been heard so far of the current phrase (not final).
    Hypothesis(Hypothesis),
    /// `speech.phrase`: the final result of one phrase.
    Phrase(Recognition),
    /// `speech.endDetected`: the service heard the end of speech; stop sending audio for this turn.
    SpeechEndDetected {
        /// The offset, in ticks, when given.
        offset_ticks: Option<u64>,
    },
    /// `turn.end`: the last message of a turn.
    TurnEnd,
    /// `translation.hypothesis` (V1), or `translation.response` with a `SpeechHypothesis` (V2): what has been
    /// heard so far and its translations.
    TranslationHypothesis(TranslationResult),
    /// `translation.phrase` (V1), or `translation.response` with a `SpeechPhrase` (V2): a final phrase and its
    /// translations.
    TranslationPhrase(TranslationResult),
    /// `audio.start` (V2): the audio of the translation into `language` follows, on `stream_id`.
    TranslationAudioStart {
        /// The `X-StreamId` its audio frames carry.
        stream_id: Option<String>,
        /// The target language.
        language: Option<String>,
    },
    /// `translation.synthesis.end` (V1) or `audio.end` (V2): a translation's audio is complete, or failed.
    TranslationAudioEnd {
        /// The `X-StreamId` (V2).
        stream_id: Option<String>,
        /// How it ended.
        end: SynthesisEnd,
    },
    /// Any other path (keyword, synthesis messages): to be ignored.
    Other {
        /// The path.
        path: String,
    },
}

/// An interim result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Hypothesis {
    /// The text heard so far.
    #[serde(default)]
    pub text: String,
    /// Where the phrase starts, from the start of the turn's audio, in ticks.
    #[serde(default, rename = "Offset", deserialize_with = "opt_ticks")]
    pub offset_ticks: Option<u64>,
    /// How long it is so far, in ticks.
    #[serde(default, rename = "Duration", deserialize_with = "opt_ticks")]
    pub duration_ticks: Option<u64>,
}

#[derive(Deserialize)]
struct OffsetBody {
    #[serde(default, rename = "Offset", deserialize_with = "opt_ticks")]
    offset: Option<u64>,
}

#[derive(Deserialize)]
struct TurnStartBody {
    #[serde(default)]
    context: Option<TurnContext>,
}

#[derive(Deserialize)]
struct TurnContext {
    #[serde(default, rename = "serviceTag")]
    service_tag: Option<String>,
}

fn malformed(path: &str, detail: impl Into<String>) -> Error {
    MalformedResponse {
        what: "speech service message",
        detail: format!("{path}: {}", detail.into()),
    }
    .into()
}

/// A body that should be a JSON object, an empty body counting as `{}`.
fn object<'a>(path: &str, body: &'a [u8]) -> Result<&'a [u8], Error> {
    let trimmed = body.trim_ascii();
    let body: &[u8] = if trimmed.is_empty() { b"{}" } else { trimmed };
    if body.first() != Some(&b'{') {
        return Err(malformed(path, "the body is not a JSON object"));
    }
    Ok(body)
}

/// Read a JSON body, an empty body counting as `{}`.
fn json<'a, T: Deserialize<'a>>(path: &str, body: &'a [u8]) -> Result<T, Error> {
    serde_json::from_slice(object(path, body)?).map_err(|e| malformed(path, e.to_string()))
}

/// Read a decoded text message from the service.
///
/// # Errors
///
/// [`Error::MalformedResponse`] when a known path's body is not the JSON it should be (a `speech.startDetected`
/// without `Offset`, a `speech.phrase` that does not parse); never for an unknown path.
pub fn parse_service_message(message: &Message) -> Result<ServiceMessage, Error> {
    let path = message.path().unwrap_or_default();
    let body = &message.body;
    Ok(match path.to_ascii_lowercase().as_str() {
        "turn.start" => {
            let b: TurnStartBody = json(path, body)?;
            ServiceMessage::TurnStart {
                service_tag: b.context.and_then(|c| c.service_tag),
            }
        }
        "speech.startdetected" => {
            let b: OffsetBody = json(path, body)?;
            ServiceMessage::SpeechStartDetected {
                offset_ticks: b.offset.ok_or_else(|| malformed(path, "no Offset"))?,
            }
        }
        "speech.hypothesis" | "speech.fragment" => ServiceMessage::Hypothesis(json(path, body)?),
        "speech.phrase" => {
            let trimmed = body.trim_ascii();
            ServiceMessage::Phrase(
                parse_recognition(if trimmed.is_empty() { b"{}" } else { trimmed })
                    .map_err(|e| malformed(path, e.to_string()))?,
            )
        }
        "speech.enddetected" => {
            let b: OffsetBody = json(path, body)?;
            ServiceMessage::SpeechEndDetected {
                offset_ticks: b.offset,
            }
        }
        "turn.end" => ServiceMessage::TurnEnd,
        "translation.hypothesis" => ServiceMessage::TranslationHypothesis(
            parse_v1(object(path, body)?).map_err(|e| malformed(path, e.to_string()))?,
        ),
        "translation.phrase" => ServiceMessage::TranslationPhrase(
            parse_v1(object(path, body)?).map_err(|e| malformed(path, e.to_string()))?,
        ),
        "translation.response" => {
            match parse_v2(object(path, body)?).map_err(|e| malformed(path, e.to_string()))? {
                Some((true, phrase)) => ServiceMessage::TranslationPhrase(phrase),
                Some((false, hypothesis)) => ServiceMessage::TranslationHypothesis(hypothesis),
                // Neither a phrase nor a hypothesis: the SDKs ignore it.
                None => ServiceMessage::Other {
                    path: path.to_owned(),
                },
            }
        }
        "audio.start" => ServiceMessage::TranslationAudioStart {
            stream_id: message.header("x-streamid").map(str::to_owned),
            language: parse_audio_start(object(path, body)?)
                .map_err(|e| malformed(path, e.to_string()))?,
        },
        "translation.synthesis.end" | "audio.end" => ServiceMessage::TranslationAudioEnd {
            stream_id: message.header("x-streamid").map(str::to_owned),
            end: parse_synthesis_end(object(path, body)?)
                .map_err(|e| malformed(path, e.to_string()))?
                .ok_or_else(|| malformed(path, "no SynthesisStatus or Status"))?,
        },
        _ => ServiceMessage::Other {
            path: path.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::short::RecognitionStatus;
    use crate::stt::stream::frame::{decode_text, encode_service_text};

    fn parse(path: &str, body: &str) -> Result<ServiceMessage, Error> {
        parse_service_message(
            &decode_text(encode_service_text(path, "R", body).as_bytes()).unwrap(),
        )
    }

    #[test]
    fn every_service_message() {
        assert_eq!(
            parse("turn.start", r#"{"context":{"serviceTag":"7B33"}}"#).unwrap(),
            ServiceMessage::TurnStart {
                service_tag: Some("7B33".into())
            }
        );
        assert_eq!(
            parse("speech.startDetected", r#"{"Offset":"7300000"}"#).unwrap(),
            ServiceMessage::SpeechStartDetected {
                offset_ticks: 7_300_000
            }
        );
        let ServiceMessage::Hypothesis(h) = parse(
            "speech.hypothesis",
            r#"{"Text":"my voice is","Offset":7300000,"Duration":9600000,"Id":"x"}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            (h.text.as_str(), h.offset_ticks, h.duration_ticks),
            ("my voice is", Some(7_300_000), Some(9_600_000))
        );
        assert!(matches!(
            parse("speech.fragment", r#"{"Text":"a"}"#).unwrap(),
            ServiceMessage::Hypothesis(_)
        ));
        let ServiceMessage::Phrase(p) = parse(
            "speech.phrase",
            r#"{"RecognitionStatus":"Success","DisplayText":"My voice is my passport.","Offset":7300000,"Duration":32100000}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(p.status, Some(RecognitionStatus::Success));
        assert_eq!(p.display_text.as_deref(), Some("My voice is my passport."));
        assert_eq!(
            parse("speech.endDetected", "").unwrap(),
            ServiceMessage::SpeechEndDetected { offset_ticks: None }
        );
        assert_eq!(parse("turn.end", "").unwrap(), ServiceMessage::TurnEnd);
        assert_eq!(parse("turn.end", "{}").unwrap(), ServiceMessage::TurnEnd);
        assert_eq!(
            parse("keyword.phrase", "not json").unwrap(),
            ServiceMessage::Other {
                path: "keyword.phrase".into()
            }
        );
    }

    #[test]
    fn broken_bodies_are_errors() {
        for (path, body) in [
            ("speech.startDetected", "{}"),
            ("speech.startDetected", r#"{"Offset":"soon"}"#),
            ("speech.hypothesis", "[1,2]"),
            ("speech.phrase", r#"{"RecognitionStatus":"#),
            ("turn.start", "null"),
            ("translation.phrase", "not json"),
            ("translation.response", r#"{"SpeechPhrase":{"Offset":"x"}}"#),
            ("audio.end", "{}"),
            ("translation.synthesis.end", r#"{"SynthesisStatus":1}"#),
        ] {
            assert!(
                matches!(parse(path, body), Err(Error::MalformedResponse(_))),
                "{path} {body}"
            );
        }
    }
}
