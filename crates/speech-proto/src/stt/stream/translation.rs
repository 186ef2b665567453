//! Speech translation's messages (spec part 2.5), read tolerantly, as both of Microsoft's SDKs read them:
//!
//! * V1 (`/speech/translation/cognitiveservices/v1`): `translation.hypothesis` and `translation.phrase`, whose
//!   translations sit in a `Translation` object (or, as the historic protocol document shows them, at the top
//!   level); `translation.synthesis.end` after a translation's audio.
//! * V2 (`/stt/speech/universal/v2`): `translation.response`, a `SpeechHypothesis` or `SpeechPhrase` with the
//!   translations at the top level; `audio.start` / `audio.end` around a translation's audio, matched by
//!   `X-StreamId`.
//!
//! A translation's text is read from `Text`, else `DisplayText`; a phrase's from `DisplayText`, else `Text`, else
//! the first `NBest` entry's `Display`. Offsets take numbers or numeric strings. Unknown fields are ignored.

use serde::Deserialize;

use crate::stt::short::{opt_ticks, vec_or_null, NBest, RecognitionStatus};

/// Whether the translation of a result succeeded (`TranslationStatus`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TranslationStatus {
    /// The texts are there.
    Success,
    /// The translation failed; the recognition stands. `FailureReason` says why (e.g. an unsupported pair).
    Error,
    /// A value this crate does not know, kept as sent.
    Other(String),
}

impl TranslationStatus {
    /// Map the service's text (ASCII-case-insensitive) to a status.
    pub fn from_text(s: &str) -> Self {
        if s.eq_ignore_ascii_case("Success") {
            TranslationStatus::Success
        } else if s.eq_ignore_ascii_case("Error") {
            TranslationStatus::Error
        } else {
            TranslationStatus::Other(s.to_owned())
        }
    }
}

/// One target language's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranslatedText {
    /// The target language as the service names it (`de`, `zh-Hans`, `en`).
    pub language: String,
    /// The translation.
    pub text: String,
}

/// The translations of one hypothesis or phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Whether it succeeded.
    pub status: TranslationStatus,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// One text per target language, in the service's order.
    pub texts: Vec<TranslatedText>,
}

impl Translation {
    /// The failure as a typed error ([`StreamError::TranslationFailed`](crate::StreamError::TranslationFailed),
    /// with a hint) when the status is not `Success`; `None` when the translation succeeded.
    pub fn error(&self) -> Option<crate::Error> {
        (self.status != TranslationStatus::Success).then(|| {
            crate::StreamError::TranslationFailed {
                reason: self.failure_reason.clone().unwrap_or_default(),
            }
            .into()
        })
    }

    /// The text for `language` (ASCII-case-insensitive; `de` also matches a `de-DE` answer and the other way
    /// round).
    pub fn text(&self, language: &str) -> Option<&str> {
        let primary = |l: &str| l.split('-').next().unwrap_or(l).to_ascii_lowercase();
        self.texts
            .iter()
            .find(|t| t.language.eq_ignore_ascii_case(language))
            .or_else(|| {
                self.texts
                    .iter()
                    .find(|t| primary(&t.language) == primary(language))
            })
            .map(|t| t.text.as_str())
    }
}

/// A translated hypothesis (not final) or phrase (final).
#[derive(Clone, Debug, PartialEq)]
pub struct TranslationResult {
    /// The recognition's outcome (phrases; `None` for hypotheses and when absent).
    pub status: Option<RecognitionStatus>,
    /// What was recognized, in the spoken language.
    pub text: String,
    /// Where it starts, from the start of the turn's audio, in ticks.
    pub offset_ticks: Option<u64>,
    /// How long it is, in ticks.
    pub duration_ticks: Option<u64>,
    /// The spoken language, when the service says (`PrimaryLanguage.Language`).
    pub language: Option<String>,
    /// The translations; `None` when the message had none (a phrase that is not `Success`).
    pub translation: Option<Translation>,
}

/// How a translation's synthesized audio ended (`translation.synthesis.end`, `audio.end`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SynthesisEnd {
    /// All its audio was sent.
    Success,
    /// It failed; the reason, as the service gave it.
    Error(String),
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTranslation {
    #[serde(default)]
    translation_status: Option<String>,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default, deserialize_with = "vec_or_null")]
    translations: Vec<RawText>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawText {
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    display_text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawLanguage {
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawResult {
    #[serde(default, rename = "RecognitionStatus")]
    status: Option<RecognitionStatus>,
    #[serde(default)]
    display_text: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default, rename = "NBest", deserialize_with = "vec_or_null")]
    nbest: Vec<NBest>,
    #[serde(default, deserialize_with = "opt_ticks")]
    offset: Option<u64>,
    #[serde(default, deserialize_with = "opt_ticks")]
    duration: Option<u64>,
    #[serde(default)]
    primary_language: Option<RawLanguage>,
    #[serde(default)]
    translation: Option<RawTranslation>,
    #[serde(flatten)]
    top: RawTranslation,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawResponse {
    #[serde(default)]
    speech_phrase: Option<RawResult>,
    #[serde(default)]
    speech_hypothesis: Option<RawResult>,
    #[serde(flatten)]
    top: RawTranslation,
}

#[derive(Deserialize)]
struct RawSynthesisEnd {
    #[serde(default, rename = "SynthesisStatus")]
    synthesis_status: Option<String>,
    #[serde(default, rename = "Status")]
    status: Option<String>,
    #[serde(default, rename = "FailureReason")]
    failure_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawAudioStart {
    #[serde(default, rename = "TranslationLanguage")]
    language: Option<String>,
}

impl RawTranslation {
    fn is_empty(&self) -> bool {
        self.translation_status.is_none()
            && self.failure_reason.is_none()
            && self.translations.is_empty()
    }

    fn into_translation(self) -> Translation {
        Translation {
            // Texts without a status (a hypothesis from an older service) count as a success.
            status: self
                .translation_status
                .as_deref()
                .map_or(TranslationStatus::Success, TranslationStatus::from_text),
            failure_reason: self.failure_reason,
            texts: self
                .translations
                .into_iter()
                .filter_map(|t| {
                    Some(TranslatedText {
                        language: t.language?,
                        text: t.text.or(t.display_text).unwrap_or_default(),
                    })
                })
                .collect(),
        }
    }
}

impl RawResult {
    /// The result, its translations from its own `Translation` object, else from `outer` (V2's top level), else
    /// from its own top level (V1 as the historic document shows it).
    fn into_result(self, outer: Option<RawTranslation>) -> TranslationResult {
        let translation = self
            .translation
            .or(outer.filter(|t| !t.is_empty()))
            .or((!self.top.is_empty()).then_some(self.top))
            .map(RawTranslation::into_translation);
        TranslationResult {
            status: self.status,
            text: self
                .display_text
                .or(self.text)
                .or_else(|| self.nbest.into_iter().next().and_then(|n| n.display))
                .unwrap_or_default(),
            offset_ticks: self.offset,
            duration_ticks: self.duration,
            language: self.primary_language.and_then(|l| l.language),
            translation,
        }
    }
}

/// A V1 `translation.hypothesis` or `translation.phrase` body.
pub(crate) fn parse_v1(body: &[u8]) -> Result<TranslationResult, serde_json::Error> {
    let raw: RawResult = serde_json::from_slice(body)?;
    Ok(raw.into_result(None))
}

/// A V2 `translation.response` body: a hypothesis (`false`) or phrase (`true`) with its translations; `None`
/// when it holds neither (the SDKs ignore such a message).
pub(crate) fn parse_v2(
    body: &[u8],
) -> Result<Option<(bool, TranslationResult)>, serde_json::Error> {
    let raw: RawResponse = serde_json::from_slice(body)?;
    Ok(match (raw.speech_phrase, raw.speech_hypothesis) {
        (Some(phrase), _) => Some((true, phrase.into_result(Some(raw.top)))),
        (None, Some(hypothesis)) => Some((false, hypothesis.into_result(Some(raw.top)))),
        (None, None) => None,
    })
}

/// A `translation.synthesis.end` or `audio.end` body; `None` when it says no status.
pub(crate) fn parse_synthesis_end(body: &[u8]) -> Result<Option<SynthesisEnd>, serde_json::Error> {
    let raw: RawSynthesisEnd = serde_json::from_slice(body)?;
    Ok(raw.synthesis_status.or(raw.status).map(|s| {
        if s.eq_ignore_ascii_case("Success") {
            SynthesisEnd::Success
        } else {
            SynthesisEnd::Error(raw.failure_reason.unwrap_or(s))
        }
    }))
}

/// An `audio.start` body: the target language whose audio follows.
pub(crate) fn parse_audio_start(body: &[u8]) -> Result<Option<String>, serde_json::Error> {
    let raw: RawAudioStart = serde_json::from_slice(body)?;
    Ok(raw.language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_bodies_as_the_sdks_read_them() {
        let h = parse_v1(
            r#"{"Duration":11900000,"Offset":"2731600000","Text":"what was",
                 "Translation":{"TranslationStatus":"Success","Translations":[{"Language":"de","Text":"Was war"},
                 {"Language":"zh-Hans","Text":"如何"}]}}"#
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(h.text, "what was");
        assert_eq!(h.offset_ticks, Some(2_731_600_000));
        assert_eq!(h.status, None);
        let t = h.translation.unwrap();
        assert_eq!(t.status, TranslationStatus::Success);
        assert!(t.error().is_none());
        assert_eq!(t.text("de"), Some("Was war"));
        assert_eq!(t.text("DE-de"), Some("Was war"));
        assert_eq!(t.text("zh-Hans"), Some("如何"));
        assert_eq!(t.text("fr"), None);

        let failed = parse_v1(
            br#"{"Duration":22200000,"Offset":200000,"RecognitionStatus":"Success","Text":"Welcome.",
                 "Translation":{"FailureReason":"Translation call failed: 400 (Bad Request).","TranslationStatus":"Error"}}"#,
        )
        .unwrap();
        assert_eq!(failed.status, Some(RecognitionStatus::Success));
        let t = failed.translation.unwrap();
        assert_eq!(t.status, TranslationStatus::Error);
        let e = t.error().unwrap();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("400 (Bad Request)"), "{e}");
        assert!(e.hint().is_some());
        assert!(t.failure_reason.unwrap().contains("400"));
        assert!(t.texts.is_empty());

        // The historic document's flat shape, and a phrase with no translation at all.
        let flat = parse_v1(
            br#"{"RecognitionStatus":"Success","Text":"Hi.","TranslationStatus":"Success",
                 "Translations":[{"Language":"fr","DisplayText":"Salut."}]}"#,
        )
        .unwrap();
        assert_eq!(flat.translation.unwrap().text("fr"), Some("Salut."));
        let none = parse_v1(br#"{"RecognitionStatus":"NoMatch","Offset":0}"#).unwrap();
        assert_eq!(none.status, Some(RecognitionStatus::NoMatch));
        assert_eq!(none.translation, None);
    }

    #[test]
    fn v2_responses() {
        let (is_final, p) = parse_v2(
            br#"{"Extensions":["TranslationSourceRef","SpeechPhrase"],
                 "SpeechPhrase":{"Id":"7841","RecognitionStatus":"Success","DisplayText":"Umbrella.",
                   "Offset":17200000,"Duration":3200000,"PrimaryLanguage":{"Language":"en-US","Confidence":"Low"}},
                 "TranslationStatus":"Success",
                 "Translations":[{"Id":"a","DisplayText":"Paraguas.","Language":"es"},
                                 {"Id":"b","DisplayText":"Parapluie.","Language":"fr"}]}"#,
        )
        .unwrap()
        .unwrap();
        assert!(is_final);
        assert_eq!(p.text, "Umbrella.");
        assert_eq!(p.language.as_deref(), Some("en-US"));
        assert_eq!(p.duration_ticks, Some(3_200_000));
        let t = p.translation.unwrap();
        assert_eq!(
            (t.text("es"), t.text("fr")),
            (Some("Paraguas."), Some("Parapluie."))
        );

        let (is_final, h) = parse_v2(
            br#"{"SpeechHypothesis":{"Text":"hello","Offset":7300000,"Duration":4000000},
                 "TranslationStatus":"Success","Translations":[{"Language":"de","DisplayText":"hallo"}]}"#,
        )
        .unwrap()
        .unwrap();
        assert!(!is_final);
        assert_eq!(h.translation.unwrap().text("de"), Some("hallo"));

        // A detailed phrase: the text from NBest.
        let (_, d) = parse_v2(
            br#"{"SpeechPhrase":{"RecognitionStatus":"Success","NBest":[{"Display":"Hi there."}]},
                 "TranslationStatus":"Success","Translations":[]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(d.text, "Hi there.");
        assert_eq!(parse_v2(br#"{"Extensions":[]}"#).unwrap(), None);
    }

    #[test]
    fn synthesis_ends_and_audio_starts() {
        assert_eq!(
            parse_synthesis_end(br#"{"SynthesisStatus":"Success"}"#).unwrap(),
            Some(SynthesisEnd::Success)
        );
        assert_eq!(
            parse_synthesis_end(br#"{"Status":"Error","FailureReason":"Voice not found."}"#)
                .unwrap(),
            Some(SynthesisEnd::Error("Voice not found.".into()))
        );
        assert_eq!(
            parse_synthesis_end(br#"{"Status":"Unknown"}"#).unwrap(),
            Some(SynthesisEnd::Error("Unknown".into()))
        );
        assert_eq!(parse_synthesis_end(b"{}").unwrap(), None);
        assert_eq!(
            parse_audio_start(br#"{"TranslationLanguage":"de"}"#).unwrap(),
            Some("de".into())
        );
    }

    #[test]
    fn hostile_bodies_are_errors_not_panics() {
        for body in [
            &br#"{"Text":5}"#[..],
            br#"{"Translation":{"Translations":"x"}}"#,
            br#"{"Translation":{"Translations":[{"Language":1}]}}"#,
            br#"{"Offset":"soon"}"#,
            br#"{"SpeechPhrase":[]}"#,
            b"[]",
            b"",
        ] {
            assert!(
                parse_v1(body).is_err() || parse_v2(body).is_err(),
                "{body:?}"
            );
        }
    }
}
