//! Speech-to-text for short audio: the request builder and the result parser.
//!
//! [`RecognitionRequest`] builds the `http::Request<()>` head of a recognition call (path, query, content type,
//! body framing, the `Pronunciation-Assessment` header). It adds no auth header: the auth layer does. The body
//! is the raw audio file; [`BodyLength`] (also stored in the request's extensions) says how it is framed.
//!
//! [`parse_recognition`] reads a complete `200 OK` body. Every recognition outcome arrives with status 200, so
//! look at [`Recognition::status`]: `NoMatch`, `InitialSilenceTimeout` and `BabbleTimeout` come with a
//! [`Hint`] that names the likely cause.
//!
//! ```
//! use speech_proto::recognize::{parse_recognition, AudioContentType, BodyLength, RecognitionRequest,
//!     RecognitionStatus};
//! use speech_proto::Endpoint;
//!
//! let endpoint = Endpoint::region("westus")?;
//! let request = RecognitionRequest::new("en-US")
//!     .body_length(BodyLength::Known(32_044))
//!     .build(&endpoint)?;
//! assert_eq!(
//!     request.uri(),
//!     "https://westus.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US&format=simple"
//! );
//! assert_eq!(request.headers()["content-type"], "audio/wav; codecs=audio/pcm; samplerate=16000");
//!
//! let result = parse_recognition(br#"{"RecognitionStatus":"Success","DisplayText":"Hello.","Offset":6600000,"Duration":32100000}"#)?;
//! assert_eq!(result.status, Some(RecognitionStatus::Success));
//! assert_eq!(result.display_text(), Some("Hello."));
//! assert_eq!(result.offset(), Some(std::time::Duration::from_millis(660)));
//! # Ok::<(), speech_proto::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, EXPECT, TRANSFER_ENCODING};
use http::{HeaderValue, Method, Request};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use crate::endpoint::{Endpoint, HostKind};
use crate::error::{Error, Hint, MalformedResponse, Misuse};
use crate::header::checked_value;

/// The most audio one request may carry; the service ignores the rest without an error.
pub const MAX_AUDIO: Duration = Duration::from_secs(60);

/// The most audio one request may carry with pronunciation assessment.
pub const MAX_AUDIO_WITH_PRONUNCIATION: Duration = Duration::from_secs(30);

/// The largest recognition result body [`parse_recognition`] accepts (1 MiB). Real results are a few KiB.
pub const MAX_RESULT_BODY: usize = 1 << 20;

/// The header that carries the pronunciation-assessment parameters.
pub const PRONUNCIATION_ASSESSMENT_HEADER: &str = "pronunciation-assessment";

/// The longest language tag accepted (BCP 47 allows 35 characters for the tags the service knows).
const MAX_LANGUAGE_LEN: usize = 35;

/// The recognition mode, which picks the path and how the service segments speech.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Human-to-human conversation (the only mode the current docs show).
    #[default]
    Conversation,
    /// Short commands of 2–3 s (used by the SDK; not in the current REST docs).
    Interactive,
    /// Dictated full sentences of 5–8 s (used by the SDK; not in the current REST docs).
    Dictation,
}

impl Mode {
    /// The path segment: `conversation`, `interactive` or `dictation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Conversation => "conversation",
            Mode::Interactive => "interactive",
            Mode::Dictation => "dictation",
        }
    }

    /// The request path, `/speech/recognition/{mode}/cognitiveservices/v1`.
    pub fn path(self) -> &'static str {
        match self {
            Mode::Conversation => "/speech/recognition/conversation/cognitiveservices/v1",
            Mode::Interactive => "/speech/recognition/interactive/cognitiveservices/v1",
            Mode::Dictation => "/speech/recognition/dictation/cognitiveservices/v1",
        }
    }
}

/// The shape of the result (`format` query parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ResultFormat {
    /// `DisplayText` only.
    #[default]
    Simple,
    /// `NBest` hypotheses with lexical, ITN, masked-ITN and display forms (and pronunciation scores).
    Detailed,
}

impl ResultFormat {
    /// The query value: `simple` or `detailed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultFormat::Simple => "simple",
            ResultFormat::Detailed => "detailed",
        }
    }
}

/// What the service does with profanity (`profanity` query parameter; the service default is `masked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profanity {
    /// Replaced with asterisks.
    Masked,
    /// Dropped. Audio that holds only profanity then gives no result.
    Removed,
    /// Kept as spoken.
    Raw,
}

impl Profanity {
    /// The query value: `masked`, `removed` or `raw`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profanity::Masked => "masked",
            Profanity::Removed => "removed",
            Profanity::Raw => "raw",
        }
    }
}

/// The audio container and codec of the body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioContentType {
    /// A WAV file with 16-bit PCM, 16 kHz, mono.
    #[default]
    WavPcm16k,
    /// An Ogg/Opus stream (16 kHz, mono).
    OggOpus,
}

impl AudioContentType {
    /// The `Content-Type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            AudioContentType::WavPcm16k => "audio/wav; codecs=audio/pcm; samplerate=16000",
            AudioContentType::OggOpus => "audio/ogg; codecs=opus",
        }
    }
}

/// How a request body is framed. Built requests carry it in their extensions
/// (`request.extensions().get::<BodyLength>()`), so an adapter can hand the body to its HTTP client without
/// parsing headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyLength {
    /// The length is not known up front: `Transfer-Encoding: chunked` (and, for recognition,
    /// `Expect: 100-continue`). End the body promptly with the final empty chunk: the service answers only
    /// after it.
    Chunked,
    /// Exactly this many bytes: `Content-Length`.
    Known(u64),
}

/// The pronunciation-assessment scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GradingSystem {
    /// 0–5 (the service default).
    #[default]
    FivePoint,
    /// 0–100.
    HundredMark,
}

/// How fine-grained the assessment is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// Down to phonemes (the service default).
    #[default]
    Phoneme,
    /// Down to words.
    Word,
    /// The whole text only.
    FullText,
}

/// Which scores the assessment computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Accuracy only (the service default).
    #[default]
    Basic,
    /// Adds fluency, completeness and error types.
    Comprehensive,
}

/// The parameters of the `Pronunciation-Assessment` header.
///
/// The header value is the standard base64 (with padding) of a JSON object with PascalCase keys and the
/// booleans written as the strings `"True"`/`"False"`, as in the service's documentation:
///
/// ```
/// use speech_proto::recognize::{Dimension, GradingSystem, PronunciationAssessment};
///
/// let mut pa = PronunciationAssessment::new("Good morning.");
/// pa.grading_system = GradingSystem::HundredMark;
/// pa.dimension = Dimension::Comprehensive;
/// pa.enable_prosody = true;
/// assert_eq!(
///     pa.to_json()?,
///     r#"{"ReferenceText":"Good morning.","GradingSystem":"HundredMark","Granularity":"Phoneme","Dimension":"Comprehensive","EnableMiscue":"False","EnableProsodyAssessment":"True"}"#
/// );
/// # Ok::<(), speech_proto::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PronunciationAssessment {
    /// The text the speaker was asked to say (required, not empty).
    pub reference_text: String,
    /// The scale of the scores.
    pub grading_system: GradingSystem,
    /// How fine-grained the assessment is.
    pub granularity: Granularity,
    /// Which scores are computed.
    pub dimension: Dimension,
    /// Compare against the reference text to flag omitted and inserted words.
    pub enable_miscue: bool,
    /// Add a prosody score (`EnableProsodyAssessment`); sent only when `true`.
    pub enable_prosody: bool,
    /// A GUID naming a custom point system.
    pub scenario_id: Option<String>,
}

impl PronunciationAssessment {
    /// Parameters with the service defaults (five-point scale, phoneme granularity, basic dimension).
    pub fn new(reference_text: impl Into<String>) -> Self {
        PronunciationAssessment {
            reference_text: reference_text.into(),
            grading_system: GradingSystem::default(),
            granularity: Granularity::default(),
            dimension: Dimension::default(),
            enable_miscue: false,
            enable_prosody: false,
            scenario_id: None,
        }
    }

    /// The JSON object (before base64).
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] for an empty reference text; [`Misuse::InvalidValue`] for a scenario id that is not
    /// a GUID.
    pub fn to_json(&self) -> Result<String, Error> {
        if self.reference_text.is_empty() {
            return Err(Misuse::Missing("ReferenceText").into());
        }
        let tf = |b: bool| if b { "True" } else { "False" };
        let mut fields: Vec<(&str, &str)> = vec![
            ("ReferenceText", &self.reference_text),
            (
                "GradingSystem",
                match self.grading_system {
                    GradingSystem::FivePoint => "FivePoint",
                    GradingSystem::HundredMark => "HundredMark",
                },
            ),
            (
                "Granularity",
                match self.granularity {
                    Granularity::Phoneme => "Phoneme",
                    Granularity::Word => "Word",
                    Granularity::FullText => "FullText",
                },
            ),
            (
                "Dimension",
                match self.dimension {
                    Dimension::Basic => "Basic",
                    Dimension::Comprehensive => "Comprehensive",
                },
            ),
            ("EnableMiscue", tf(self.enable_miscue)),
        ];
        if self.enable_prosody {
            fields.push(("EnableProsodyAssessment", "True"));
        }
        if let Some(id) = &self.scenario_id {
            if !is_guid(id) {
                return Err(Misuse::InvalidValue {
                    name: "ScenarioId",
                    reason: "must be a GUID such as 00000000-0000-0000-0000-000000000000"
                        .to_owned(),
                }
                .into());
            }
            fields.push(("ScenarioId", id));
        }
        // Written by hand (all values are strings) so the key order follows the documentation's examples.
        let mut out = String::from("{");
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::Value::from(*key).to_string());
            out.push(':');
            out.push_str(&serde_json::Value::from(*value).to_string());
        }
        out.push('}');
        Ok(out)
    }

    /// The header value: standard base64 with padding of [`to_json`](Self::to_json).
    pub fn header_value(&self) -> Result<String, Error> {
        Ok(base64::engine::general_purpose::STANDARD.encode(self.to_json()?))
    }
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A recognition request: everything but the audio bytes and the auth header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecognitionRequest {
    language: String,
    mode: Mode,
    format: ResultFormat,
    profanity: Option<Profanity>,
    cid: Option<String>,
    pronunciation: Option<PronunciationAssessment>,
    content_type: AudioContentType,
    body_length: BodyLength,
    expect_continue: bool,
}

impl RecognitionRequest {
    /// A request for `language` (a BCP 47 tag such as `en-US`), in conversation mode, simple format, WAV
    /// audio sent chunked.
    pub fn new(language: impl Into<String>) -> Self {
        RecognitionRequest {
            language: language.into(),
            mode: Mode::default(),
            format: ResultFormat::default(),
            profanity: None,
            cid: None,
            pronunciation: None,
            content_type: AudioContentType::default(),
            body_length: BodyLength::Chunked,
            expect_continue: false,
        }
    }

    /// The recognition mode (path).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The result format.
    pub fn format(mut self, format: ResultFormat) -> Self {
        self.format = format;
        self
    }

    /// The profanity option; when not set, the parameter is left out (the service masks).
    pub fn profanity(mut self, profanity: Profanity) -> Self {
        self.profanity = Some(profanity);
        self
    }

    /// A custom speech endpoint id (`cid`).
    pub fn cid(mut self, cid: impl Into<String>) -> Self {
        self.cid = Some(cid.into());
        self
    }

    /// Ask for pronunciation assessment. Also switches to the detailed format, where the scores appear.
    /// The audio limit becomes [`MAX_AUDIO_WITH_PRONUNCIATION`].
    pub fn pronunciation_assessment(mut self, pa: PronunciationAssessment) -> Self {
        self.pronunciation = Some(pa);
        self.format = ResultFormat::Detailed;
        self
    }

    /// The body's container and codec.
    pub fn content_type(mut self, content_type: AudioContentType) -> Self {
        self.content_type = content_type;
        self
    }

    /// How the body is framed (default [`BodyLength::Chunked`], which the service recommends).
    pub fn body_length(mut self, body_length: BodyLength) -> Self {
        self.body_length = body_length;
        self
    }

    /// Send `Expect: 100-continue` with a known-length body too (it is always sent with a chunked body).
    pub fn expect_continue(mut self, expect: bool) -> Self {
        self.expect_continue = expect;
        self
    }

    /// The body's container and codec (see [`RecognitionRequest::content_type`]). A driver checks a WAV header
    /// before sending only for [`AudioContentType::WavPcm16k`].
    pub fn audio_content_type(&self) -> AudioContentType {
        self.content_type
    }

    /// Whether pronunciation assessment was asked for (then the audio limit is
    /// [`MAX_AUDIO_WITH_PRONUNCIATION`]; pass this to [`check_for_recognition`](crate::audio::check_for_recognition)).
    pub fn has_pronunciation_assessment(&self) -> bool {
        self.pronunciation.is_some()
    }

    /// The audio limit that applies to this request.
    pub fn max_audio(&self) -> Duration {
        if self.pronunciation.is_some() {
            MAX_AUDIO_WITH_PRONUNCIATION
        } else {
            MAX_AUDIO
        }
    }

    /// Build the request head: `POST` to the speech-to-text host with `language`, `format` and (when set)
    /// `profanity` and `cid` in the query, and the `Content-Type`, `Accept`, body framing and (when set)
    /// `Pronunciation-Assessment` headers. The [`BodyLength`] is also put in the request's extensions.
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`]`("language")` for an empty language; [`Misuse::InvalidValue`] for a language that
    /// is not a BCP 47 tag or an empty `cid`; the pronunciation-assessment errors of
    /// [`PronunciationAssessment::to_json`]; the endpoint's own errors.
    pub fn build(&self, endpoint: &Endpoint) -> Result<Request<()>, Error> {
        if self.language.is_empty() {
            return Err(Misuse::Missing("language").into());
        }
        if self.language.len() > MAX_LANGUAGE_LEN
            || !self
                .language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Misuse::InvalidValue {
                name: "language",
                reason: "must be a BCP 47 locale such as en-US (letters, digits and hyphens)"
                    .to_owned(),
            }
            .into());
        }
        let mut query: Vec<(&str, &str)> = vec![
            ("language", &self.language),
            ("format", self.format.as_str()),
        ];
        if let Some(p) = self.profanity {
            query.push(("profanity", p.as_str()));
        }
        if let Some(cid) = &self.cid {
            if cid.is_empty() {
                return Err(Misuse::InvalidValue {
                    name: "cid",
                    reason: "must not be empty (leave it unset instead)".to_owned(),
                }
                .into());
            }
            query.push(("cid", cid));
        }
        let uri = endpoint.uri(HostKind::SpeechToText, self.mode.path(), &query)?;
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static(self.content_type.as_str()),
            )
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        match self.body_length {
            BodyLength::Chunked => {
                builder = builder
                    .header(TRANSFER_ENCODING, HeaderValue::from_static("chunked"))
                    .header(EXPECT, HeaderValue::from_static("100-continue"));
            }
            BodyLength::Known(n) => {
                builder = builder.header(CONTENT_LENGTH, HeaderValue::from(n));
                if self.expect_continue {
                    builder = builder.header(EXPECT, HeaderValue::from_static("100-continue"));
                }
            }
        }
        if let Some(pa) = &self.pronunciation {
            let value = checked_value("Pronunciation-Assessment", &pa.header_value()?)?;
            builder = builder.header(PRONUNCIATION_ASSESSMENT_HEADER, value);
        }
        let mut request = builder.body(()).map_err(|e| {
            Error::from(Misuse::InvalidValue {
                name: "request",
                reason: e.to_string(),
            })
        })?;
        request.extensions_mut().insert(self.body_length);
        Ok(request)
    }
}

/// The `RecognitionStatus` of a result. All arrive with HTTP 200.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecognitionStatus {
    /// Speech was recognised.
    Success,
    /// Speech was heard, but no words of the target language matched.
    NoMatch,
    /// Only silence at the start; the service stopped waiting for speech.
    InitialSilenceTimeout,
    /// Only noise at the start; the service stopped waiting for speech.
    BabbleTimeout,
    /// The service failed internally; retrying may help.
    Error,
    /// A value this crate does not know, kept as sent.
    Other(String),
}

impl RecognitionStatus {
    /// Map the service's text (exact or ASCII-case-insensitive) to a status; anything else is kept in
    /// [`RecognitionStatus::Other`].
    pub fn from_text(s: &str) -> Self {
        const KNOWN: [(&str, RecognitionStatus); 5] = [
            ("Success", RecognitionStatus::Success),
            ("NoMatch", RecognitionStatus::NoMatch),
            (
                "InitialSilenceTimeout",
                RecognitionStatus::InitialSilenceTimeout,
            ),
            ("BabbleTimeout", RecognitionStatus::BabbleTimeout),
            ("Error", RecognitionStatus::Error),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map_or_else(
                || RecognitionStatus::Other(s.to_owned()),
                |(_, st)| st.clone(),
            )
    }

    /// The status as the service writes it.
    pub fn as_str(&self) -> &str {
        match self {
            RecognitionStatus::Success => "Success",
            RecognitionStatus::NoMatch => "NoMatch",
            RecognitionStatus::InitialSilenceTimeout => "InitialSilenceTimeout",
            RecognitionStatus::BabbleTimeout => "BabbleTimeout",
            RecognitionStatus::Error => "Error",
            RecognitionStatus::Other(s) => s,
        }
    }

    /// What a non-success status means and the likely fix; `None` for `Success` and unknown values.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            RecognitionStatus::NoMatch => Some(Hint {
                causes: &[
                    "the speech is in another language than the `language` parameter",
                    "the audio is too quiet or distorted to make out words",
                ],
                fix: "set `language` to the language actually spoken (e.g. en-GB vs en-US) and check the \
                      recording",
            }),
            RecognitionStatus::InitialSilenceTimeout => Some(Hint {
                causes: &[
                    "the audio starts with a long silence",
                    "the codec or sample rate is not what the Content-Type says (e.g. 44.1 kHz, stereo, MP3 \
                     bytes labelled WAV), so the service hears silence",
                    "the body is empty",
                ],
                fix: "send 16 kHz mono 16-bit PCM WAV (`sox in.wav -r 16000 -c 1 -b 16 -e signed-integer \
                      out.wav`) and trim leading silence",
            }),
            RecognitionStatus::BabbleTimeout => Some(Hint {
                causes: &["the audio starts with noise and no speech"],
                fix: "record closer to the microphone or in a quieter place, or denoise the audio",
            }),
            RecognitionStatus::Error => Some(Hint {
                causes: &["an internal service error"],
                fix: "retry the request",
            }),
            RecognitionStatus::Success | RecognitionStatus::Other(_) => None,
        }
    }
}

impl fmt::Display for RecognitionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RecognitionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(RecognitionStatus::from_text(&s))
    }
}

/// A recognition result (`200 OK` body).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recognition {
    /// The outcome. `None` when the body had no `RecognitionStatus` at all (an empty object `{}` has been
    /// reported for empty audio): treat it as "no result".
    #[serde(rename = "RecognitionStatus", default)]
    pub status: Option<RecognitionStatus>,
    /// The display form (simple format; sometimes present in detailed results too).
    #[serde(default)]
    pub display_text: Option<String>,
    /// Where the recognised speech starts, in 100-ns ticks.
    #[serde(default, rename = "Offset", deserialize_with = "opt_ticks")]
    pub offset_ticks: Option<u64>,
    /// The length of the recognised speech, in 100-ns ticks.
    #[serde(default, rename = "Duration", deserialize_with = "opt_ticks")]
    pub duration_ticks: Option<u64>,
    /// The signal-to-noise ratio, when reported.
    #[serde(default, rename = "SNR", deserialize_with = "opt_f64")]
    pub snr: Option<f64>,
    /// The hypotheses of the detailed format, in the service's order (which is not always by confidence;
    /// index 0 is the service's choice).
    #[serde(default, rename = "NBest", deserialize_with = "vec_or_null")]
    pub nbest: Vec<NBest>,
}

/// One hypothesis of a detailed result, with pronunciation scores when they were asked for.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NBest {
    /// 0.0–1.0.
    #[serde(default, deserialize_with = "opt_f64")]
    pub confidence: Option<f64>,
    /// The words as recognised (lower case, no punctuation).
    #[serde(default)]
    pub lexical: Option<String>,
    /// The inverse-text-normalised form ("two hundred" → "200").
    #[serde(default, rename = "ITN")]
    pub itn: Option<String>,
    /// The ITN form with profanity masked.
    #[serde(default, rename = "MaskedITN")]
    pub masked_itn: Option<String>,
    /// The display form, with punctuation and capitals.
    #[serde(default)]
    pub display: Option<String>,
    /// Pronunciation accuracy.
    #[serde(default, deserialize_with = "opt_f64")]
    pub accuracy_score: Option<f64>,
    /// Fluency.
    #[serde(default, deserialize_with = "opt_f64")]
    pub fluency_score: Option<f64>,
    /// Completeness.
    #[serde(default, deserialize_with = "opt_f64")]
    pub completeness_score: Option<f64>,
    /// The overall pronunciation score.
    #[serde(default, deserialize_with = "opt_f64")]
    pub pron_score: Option<f64>,
    /// Prosody (only with prosody assessment).
    #[serde(default, deserialize_with = "opt_f64")]
    pub prosody_score: Option<f64>,
    /// Per-word details (pronunciation assessment).
    #[serde(default, deserialize_with = "vec_or_null")]
    pub words: Vec<Word>,
}

/// One word of a pronunciation-assessed hypothesis.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Word {
    /// The word.
    #[serde(default)]
    pub word: Option<String>,
    /// Where it starts, in 100-ns ticks.
    #[serde(default, rename = "Offset", deserialize_with = "opt_ticks")]
    pub offset_ticks: Option<u64>,
    /// Its length, in 100-ns ticks.
    #[serde(default, rename = "Duration", deserialize_with = "opt_ticks")]
    pub duration_ticks: Option<u64>,
    /// Confidence (often 0.0 in assessed results).
    #[serde(default, deserialize_with = "opt_f64")]
    pub confidence: Option<f64>,
    /// Pronunciation accuracy.
    #[serde(default, deserialize_with = "opt_f64")]
    pub accuracy_score: Option<f64>,
    /// How the word differs from the reference text.
    #[serde(default)]
    pub error_type: Option<ErrorType>,
    /// Syllables, as sent (`Syllable`, `Grapheme`, `Offset`, `Duration`, `AccuracyScore`).
    #[serde(default)]
    pub syllables: Option<serde_json::Value>,
    /// Phonemes, as sent (`Phoneme`, `Offset`, `Duration`, `AccuracyScore`).
    #[serde(default)]
    pub phonemes: Option<serde_json::Value>,
    /// Prosody feedback, as sent (`Prosody.Break`, `Prosody.Intonation`).
    #[serde(default)]
    pub feedback: Option<serde_json::Value>,
}

/// How a word differs from the reference text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorType {
    /// Spoken as expected.
    None,
    /// In the reference text but not spoken.
    Omission,
    /// Spoken but not in the reference text.
    Insertion,
    /// Spoken wrongly.
    Mispronunciation,
    /// A value this crate does not know (e.g. prosody's `UnexpectedBreak`), kept as sent.
    Other(String),
}

impl<'de> Deserialize<'de> for ErrorType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(match &*s {
            "None" => ErrorType::None,
            "Omission" => ErrorType::Omission,
            "Insertion" => ErrorType::Insertion,
            "Mispronunciation" => ErrorType::Mispronunciation,
            other => ErrorType::Other(other.to_owned()),
        })
    }
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::new(ticks / 10_000_000, (ticks % 10_000_000) as u32 * 100)
}

impl Recognition {
    /// `DisplayText`, else the display form of the first hypothesis.
    pub fn display_text(&self) -> Option<&str> {
        self.display_text
            .as_deref()
            .or_else(|| self.nbest.first().and_then(|n| n.display.as_deref()))
    }

    /// The first hypothesis (the service's choice, not necessarily the highest confidence).
    pub fn best(&self) -> Option<&NBest> {
        self.nbest.first()
    }

    /// Whether the status is `Success`.
    pub fn is_success(&self) -> bool {
        self.status == Some(RecognitionStatus::Success)
    }

    /// Where the recognised speech starts in the audio.
    pub fn offset(&self) -> Option<Duration> {
        self.offset_ticks.map(ticks_to_duration)
    }

    /// How long the recognised speech lasts.
    pub fn duration(&self) -> Option<Duration> {
        self.duration_ticks.map(ticks_to_duration)
    }

    /// What a non-success status means and the likely fix. A missing status (`{}`) gets the empty-audio hint.
    pub fn hint(&self) -> Option<Hint> {
        match &self.status {
            Some(s) => s.hint(),
            None => Some(Hint {
                causes: &["the body had no RecognitionStatus: the audio was probably empty"],
                fix: "check that the request carried the audio bytes",
            }),
        }
    }
}

impl Word {
    /// Where the word starts in the audio.
    pub fn offset(&self) -> Option<Duration> {
        self.offset_ticks.map(ticks_to_duration)
    }

    /// How long the word lasts.
    pub fn duration(&self) -> Option<Duration> {
        self.duration_ticks.map(ticks_to_duration)
    }
}

/// Parse a complete recognition result body (at most [`MAX_RESULT_BODY`] bytes).
///
/// Numbers may arrive as JSON numbers or numeric strings; unknown fields are ignored; an unknown status is
/// kept as [`RecognitionStatus::Other`]; `{}` gives a result whose `status` is `None`.
///
/// # Errors
///
/// [`Error::LimitExceeded`] for a body over the cap; [`Error::MalformedResponse`] for anything that is not a
/// JSON object of the expected shape.
pub fn parse_recognition(body: &[u8]) -> Result<Recognition, Error> {
    if body.len() > MAX_RESULT_BODY {
        return Err(Error::LimitExceeded {
            what: "recognition result body",
            limit: MAX_RESULT_BODY,
        });
    }
    // A derived struct would also accept a JSON array (fields by position); only an object is a result.
    if let Some(b) = body.iter().find(|b| !b.is_ascii_whitespace()) {
        if *b != b'{' {
            return Err(MalformedResponse {
                what: "recognition result",
                detail: "expected a JSON object".to_owned(),
            }
            .into());
        }
    }
    serde_json::from_slice(body).map_err(|e| {
        MalformedResponse {
            what: "recognition result",
            detail: e.to_string(),
        }
        .into()
    })
}

/// Fuzzing entry: parse `data` as a recognition result and use the helpers. Never panics.
#[doc(hidden)]
pub fn __fuzz_recognition(data: &[u8]) {
    if let Ok(r) = parse_recognition(data) {
        let _ = (
            r.display_text(),
            r.offset(),
            r.duration(),
            r.hint(),
            r.best(),
        );
        for n in &r.nbest {
            for w in &n.words {
                let _ = (w.offset(), w.duration());
            }
        }
    }
}

// ---- lenient number helpers: a JSON number or a numeric string ----

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrText<'a> {
    U(u64),
    F(f64),
    #[serde(borrow)]
    S(std::borrow::Cow<'a, str>),
}

/// `Offset`/`Duration`: a non-negative integer, or a numeric string; a fractional value is rounded.
pub(crate) fn opt_ticks<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(v) = Option::<NumOrText<'de>>::deserialize(d)? else {
        return Ok(None);
    };
    let from_f64 = |f: f64| {
        if f.is_finite() && (0.0..1.8e19).contains(&f) {
            Ok(f.round() as u64)
        } else {
            Err(de::Error::custom(format_args!("{f} is not a tick count")))
        }
    };
    match v {
        NumOrText::U(u) => Ok(Some(u)),
        NumOrText::F(f) => from_f64(f).map(Some),
        NumOrText::S(s) => {
            let t = s.trim();
            match t.parse::<u64>() {
                Ok(u) => Ok(Some(u)),
                Err(_) => match t.parse::<f64>() {
                    Ok(f) => from_f64(f).map(Some),
                    Err(_) => Err(de::Error::custom(format_args!("{t:?} is not a tick count"))),
                },
            }
        }
    }
}

/// Scores and confidences: a number, or a numeric string.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let Some(v) = Option::<NumOrText<'de>>::deserialize(d)? else {
        return Ok(None);
    };
    match v {
        NumOrText::U(u) => Ok(Some(u as f64)),
        NumOrText::F(f) => Ok(Some(f)),
        NumOrText::S(s) => {
            let t = s.trim();
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Some(f)),
                _ => Err(de::Error::custom(format_args!("{t:?} is not a number"))),
            }
        }
    }
}

pub(crate) fn vec_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::region("westus").unwrap()
    }

    #[test]
    fn language_is_required() {
        let err = RecognitionRequest::new("").build(&endpoint()).unwrap_err();
        assert_eq!(err, Error::Misuse(Misuse::Missing("language")));
        for bad in [
            "en_US",
            "en US",
            "en-US&format=detailed",
            "x".repeat(40).as_str(),
        ] {
            let err = RecognitionRequest::new(bad).build(&endpoint()).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Misuse(Misuse::InvalidValue {
                        name: "language",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn chunked_request_head() {
        let req = RecognitionRequest::new("de-DE")
            .mode(Mode::Interactive)
            .format(ResultFormat::Detailed)
            .profanity(Profanity::Raw)
            .cid("abc-123")
            .build(&endpoint())
            .unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(
            req.uri(),
            "https://westus.stt.speech.microsoft.com/speech/recognition/interactive/cognitiveservices/v1\
             ?language=de-DE&format=detailed&profanity=raw&cid=abc-123"
        );
        let h = req.headers();
        assert_eq!(
            h["content-type"],
            "audio/wav; codecs=audio/pcm; samplerate=16000"
        );
        assert_eq!(h["transfer-encoding"], "chunked");
        assert_eq!(h["expect"], "100-continue");
        assert_eq!(h["accept"], "application/json");
        assert!(h.get("content-length").is_none());
        assert!(h.get("authorization").is_none() && h.get("ocp-apim-subscription-key").is_none());
        assert_eq!(
            req.extensions().get::<BodyLength>(),
            Some(&BodyLength::Chunked)
        );
    }

    #[test]
    fn known_length_request_head() {
        let base = RecognitionRequest::new("en-US")
            .mode(Mode::Dictation)
            .content_type(AudioContentType::OggOpus)
            .body_length(BodyLength::Known(1234));
        let req = base.build(&endpoint()).unwrap();
        assert!(req
            .uri()
            .path()
            .ends_with("/dictation/cognitiveservices/v1"));
        let h = req.headers();
        assert_eq!(h["content-type"], "audio/ogg; codecs=opus");
        assert_eq!(h["content-length"], "1234");
        assert!(h.get("transfer-encoding").is_none());
        assert!(h.get("expect").is_none());
        let req = base.expect_continue(true).build(&endpoint()).unwrap();
        assert_eq!(req.headers()["expect"], "100-continue");
        assert_eq!(
            req.extensions().get::<BodyLength>(),
            Some(&BodyLength::Known(1234))
        );
    }

    #[test]
    fn pronunciation_header_is_base64_of_the_documented_json() {
        let mut pa = PronunciationAssessment::new("Good morning.");
        pa.grading_system = GradingSystem::HundredMark;
        pa.granularity = Granularity::FullText;
        pa.dimension = Dimension::Comprehensive;
        pa.enable_miscue = true;
        pa.scenario_id = Some("0f3a1b2c-0000-4000-8000-00aa00389b71".to_owned());
        let rr = RecognitionRequest::new("en-US").pronunciation_assessment(pa.clone());
        assert_eq!(rr.max_audio(), Duration::from_secs(30));
        let req = rr.build(&endpoint()).unwrap();
        assert!(req.uri().query().unwrap().contains("format=detailed"));
        let value = req.headers()["pronunciation-assessment"].to_str().unwrap();
        assert!(value.ends_with('=') || value.len() % 4 == 0);
        let json = base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "ReferenceText": "Good morning.",
                "GradingSystem": "HundredMark",
                "Granularity": "FullText",
                "Dimension": "Comprehensive",
                "EnableMiscue": "True",
                "ScenarioId": "0f3a1b2c-0000-4000-8000-00aa00389b71",
            })
        );
        // Unicode and quotes survive.
        let pa = PronunciationAssessment::new("\"Grüß\" dich\n");
        let json = base64::engine::general_purpose::STANDARD
            .decode(pa.header_value().unwrap())
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["ReferenceText"], "\"Grüß\" dich\n");
        assert_eq!(v["EnableMiscue"], "False");
        assert!(v.get("EnableProsodyAssessment").is_none());
        // Errors.
        let err = RecognitionRequest::new("en-US")
            .pronunciation_assessment(PronunciationAssessment::new(""))
            .build(&endpoint())
            .unwrap_err();
        assert_eq!(err, Error::Misuse(Misuse::Missing("ReferenceText")));
        let mut pa = PronunciationAssessment::new("x");
        pa.scenario_id = Some("not-a-guid".into());
        assert!(matches!(
            pa.to_json(),
            Err(Error::Misuse(Misuse::InvalidValue {
                name: "ScenarioId",
                ..
            }))
        ));
    }

    #[test]
    fn status_text_round_trips() {
        for s in [
            "Success",
            "NoMatch",
            "InitialSilenceTimeout",
            "BabbleTimeout",
            "Error",
            "EndOfDictation",
        ] {
            assert_eq!(RecognitionStatus::from_text(s).as_str(), s);
        }
        assert_eq!(
            RecognitionStatus::from_text("success"),
            RecognitionStatus::Success
        );
        assert_eq!(
            RecognitionStatus::from_text("TooManyRequests"),
            RecognitionStatus::Other("TooManyRequests".into())
        );
        assert!(RecognitionStatus::Success.hint().is_none());
        let h = RecognitionStatus::NoMatch.hint().unwrap();
        assert!(h.to_string().contains("language"));
        let h = RecognitionStatus::InitialSilenceTimeout.hint().unwrap();
        assert!(h.causes.iter().any(|c| c.contains("silence")));
        assert!(h.causes.iter().any(|c| c.contains("sample rate")));
        assert!(RecognitionStatus::BabbleTimeout.hint().unwrap().causes[0].contains("noise"));
    }

    #[test]
    fn numbers_as_strings_and_bad_numbers() {
        let r = parse_recognition(br#"{"Offset":"12","Duration":3.0,"SNR":"38.5"}"#).unwrap();
        assert_eq!(
            (r.offset_ticks, r.duration_ticks, r.snr),
            (Some(12), Some(3), Some(38.5))
        );
        assert_eq!(r.status, None);
        for bad in [
            &br#"{"Offset":"abc"}"#[..],
            br#"{"Offset":-1}"#,
            br#"{"Offset":true}"#,
            br#"{"NBest":[{"Confidence":"high"}]}"#,
            br#"{"RecognitionStatus":5}"#,
            b"[]",
            b"",
            b"{",
        ] {
            let err = parse_recognition(bad).unwrap_err();
            assert!(
                matches!(&err, Error::MalformedResponse(m) if m.what == "recognition result"),
                "{:?}: {err:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let big = vec![b' '; MAX_RESULT_BODY + 1];
        assert_eq!(
            parse_recognition(&big),
            Err(Error::LimitExceeded {
                what: "recognition result body",
                limit: MAX_RESULT_BODY
            })
        );
    }

    #[test]
    fn ticks_convert_exactly() {
        assert_eq!(ticks_to_duration(32_100_000), Duration::from_millis(3210));
        assert_eq!(ticks_to_duration(1), Duration::from_nanos(100));
        assert_eq!(ticks_to_duration(u64::MAX).as_secs(), u64::MAX / 10_000_000);
    }
}
