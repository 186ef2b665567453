//! Fast transcription: a whole recording (up to 2 hours, up to 300 MB; WAV, MP3, Ogg, FLAC and more) in one
//! multipart upload, answered synchronously with timed phrases, word timings, and, on request, who spoke.
//!
//! The pieces, all sans-IO:
//!
//! - [`FastTranscriptionOptions`]: the `definition` (locales, diarization, channels, profanity, phrase list,
//!   custom models) and the API version; [`FastTranscriptionOptions::definition`] serializes it with unset
//!   fields left out, after checking the service's rules;
//! - [`Multipart`]: the body as a preamble, the audio streamed through untouched, and an epilogue, with the
//!   exact `Content-Length` when the audio's length is known;
//! - [`FastTranscriptionOptions::request`]: the request head for an [`Endpoint`] (regional
//!   `https://<region>.api.cognitive.microsoft.com/speechtotext/transcriptions:transcribe?api-version=…`, custom
//!   domain, or a base URL), run on the [call machine](crate::call) with
//!   [`Call::fast_transcription`](crate::call::Call::fast_transcription);
//! - [`parse_fast_transcription`]: the answer into the same [`Transcript`] as the short-audio path, with
//!   speakers, channels, words and locales.
//!
//! Authentication differs from the speech hosts: the key goes as it is (`Ocp-Apim-Subscription-Key`), and an
//! Entra token as a plain `Bearer` (not the `aad#resource#token` form); whether the service takes a token
//! issued for a key here is not documented, so a key is never exchanged for one
//! ([`crate::auth::Credential::fast_transcription_header`]).
//!
//! Protocol facts: `api-spec-fast-and-streaming.md`, part A. Where the service's behaviour is unconfirmed (the
//! older `offset`/`duration` field names, error shapes), the parser accepts every shape listed there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderValue, Method, Request};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::endpoint::Endpoint;
pub use crate::endpoint::{ApiVersion, FAST_TRANSCRIPTION_PATH};
use crate::error::{Error, MalformedResponse, Misuse};
use crate::stt::short::RecognitionStatus;
use crate::stt::transcript::{Phrase, TimedWord, Transcript};

/// The largest answer the core reads (a two-hour recording with word timings is a few megabytes).
pub const MAX_FAST_BODY: usize = 32 * 1024 * 1024;

/// The longest recording the service takes.
pub const MAX_AUDIO_DURATION: Duration = Duration::from_secs(2 * 60 * 60);

/// The largest file the service takes (the 2026 documentation; earlier limits were 200 and 250 MB).
pub const MAX_AUDIO_BYTES: u64 = 300 * 1024 * 1024;

/// How profanity appears in the text (`profanityFilterMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfanityFilterMode {
    /// As spoken.
    None,
    /// Replaced by asterisks (the service's default).
    Masked,
    /// Left out.
    Removed,
    /// Wrapped in profanity tags.
    Tags,
}

impl ProfanityFilterMode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfanityFilterMode::None => "None",
            ProfanityFilterMode::Masked => "Masked",
            ProfanityFilterMode::Removed => "Removed",
            ProfanityFilterMode::Tags => "Tags",
        }
    }
}

/// What to ask of fast transcription: the `definition` part of the request, and the API version.
///
/// ```
/// use speech_proto::stt::fast::FastTranscriptionOptions;
/// let options = FastTranscriptionOptions::new().locale("en-US").speakers(2);
/// assert_eq!(
///     options.definition().unwrap(),
///     r#"{"diarization":{"maxSpeakers":2},"locales":["en-US"]}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FastTranscriptionOptions {
    /// Candidate locales: one fixes the language, several let the service identify it among them, none
    /// leaves it to automatic identification.
    pub locales: Vec<String>,
    /// Ask for diarization with at most this many speakers (2–35).
    pub max_speakers: Option<u32>,
    /// Channels to transcribe separately (`[0]`, `[1]` or `[0, 1]`); empty mixes the channels to one.
    pub channels: Vec<u32>,
    /// How profanity appears (unset: the service's default, masked).
    pub profanity: Option<ProfanityFilterMode>,
    /// Words and names the recognizer should expect (API version 2025-10-15).
    pub phrase_list: Vec<String>,
    /// Custom models: locale → model URI.
    pub models: BTreeMap<String, String>,
    /// The API version (default 2025-10-15).
    pub api_version: ApiVersion,
}

impl FastTranscriptionOptions {
    /// Automatic language identification, no diarization, the service's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a candidate locale (e.g. `"en-US"`).
    #[must_use]
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locales.push(locale.into());
        self
    }

    /// Asks for diarization with at most `max` speakers (2–35).
    #[must_use]
    pub fn speakers(mut self, max: u32) -> Self {
        self.max_speakers = Some(max);
        self
    }

    /// Transcribes these channels separately.
    #[must_use]
    pub fn channels(mut self, channels: impl IntoIterator<Item = u32>) -> Self {
        self.channels = channels.into_iter().collect();
        self
    }

    /// Sets how profanity appears.
    #[must_use]
    pub fn profanity(mut self, mode: ProfanityFilterMode) -> Self {
        self.profanity = Some(mode);
        self
    }

    /// Adds a phrase the recognizer should expect.
    #[must_use]
    pub fn phrase(mut self, phrase: impl Into<String>) -> Self {
        self.phrase_list.push(phrase.into());
        self
    }

    /// Uses a custom model for a locale.
    #[must_use]
    pub fn model(mut self, locale: impl Into<String>, uri: impl Into<String>) -> Self {
        self.models.insert(locale.into(), uri.into());
        self
    }

    /// Selects the API version.
    #[must_use]
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }

    /// The `definition` JSON: unset fields left out, keys in a stable order.
    ///
    /// # Errors
    ///
    /// [`Misuse::InvalidValue`] for what the service refuses: a malformed locale, `maxSpeakers` outside
    /// 2–35, a channel other than 0 or 1 (or one twice), diarization with two separate channels, a phrase list
    /// with API version 2024-11-15, an empty phrase or model URI.
    pub fn definition(&self) -> Result<String, Error> {
        let invalid = |name: &'static str, reason: String| -> Error {
            Misuse::InvalidValue { name, reason }.into()
        };
        let mut out = Map::new();
        for locale in self.locales.iter().chain(self.models.keys()) {
            if !is_locale(locale) {
                return Err(invalid(
                    "locale",
                    format!("{locale:?} is not a locale such as en-US"),
                ));
            }
        }
        if let Some(max) = self.max_speakers {
            if !(2..=35).contains(&max) {
                return Err(invalid(
                    "maxSpeakers",
                    format!("{max}: the service takes 2 to 35 speakers"),
                ));
            }
            if self.channels.len() > 1 {
                return Err(invalid(
                    "diarization",
                    "the service does not diarize two separate channels; mix them (no channels) or pick one"
                        .into(),
                ));
            }
            // 2025-10-15 sets `enabled` itself from `maxSpeakers` (read-only there); 2024-11-15 needs it.
            let diarization = match self.api_version {
                ApiVersion::V2024_11_15 => json!({"enabled": true, "maxSpeakers": max}),
                ApiVersion::V2025_10_15 => json!({"maxSpeakers": max}),
            };
            out.insert("diarization".into(), diarization);
        }
        if !self.channels.is_empty() {
            let mut seen = [false; 2];
            for &c in &self.channels {
                let Some(slot) = seen.get_mut(c as usize) else {
                    return Err(invalid(
                        "channels",
                        format!("{c}: only channels 0 and 1 can be transcribed"),
                    ));
                };
                if std::mem::replace(slot, true) {
                    return Err(invalid("channels", format!("channel {c} is listed twice")));
                }
            }
            out.insert("channels".into(), json!(self.channels));
        }
        if !self.locales.is_empty() {
            out.insert("locales".into(), json!(self.locales));
        }
        if !self.models.is_empty() {
            if let Some((locale, _)) = self.models.iter().find(|(_, uri)| uri.trim().is_empty()) {
                return Err(invalid(
                    "models",
                    format!("the model for {locale} has no URI"),
                ));
            }
            out.insert("models".into(), json!(self.models));
        }
        if let Some(mode) = self.profanity {
            out.insert("profanityFilterMode".into(), json!(mode.as_str()));
        }
        if !self.phrase_list.is_empty() {
            if self.api_version == ApiVersion::V2024_11_15 {
                return Err(invalid(
                    "phraseList",
                    "the phrase list needs API version 2025-10-15".into(),
                ));
            }
            if self.phrase_list.iter().any(|p| p.trim().is_empty()) {
                return Err(invalid("phraseList", "a phrase is empty".into()));
            }
            out.insert("phraseList".into(), json!({"phrases": self.phrase_list}));
        }
        Ok(Value::Object(out).to_string())
    }

    /// The request head for `endpoint`, for a body framed by `multipart` around audio of `audio_len` bytes:
    /// `Content-Length` when the length is known, `Transfer-Encoding: chunked` when it is not. The credential's header is the
    /// [call machine](crate::call)'s business.
    ///
    /// # Errors
    ///
    /// Endpoint errors ([`Endpoint::fast_transcription_uri`]); [`Error::LimitExceeded`] for audio larger than
    /// the service takes ([`MAX_AUDIO_BYTES`]), before anything is sent.
    pub fn request(
        &self,
        endpoint: &Endpoint,
        multipart: &Multipart,
        audio_len: Option<u64>,
    ) -> Result<Request<()>, Error> {
        if audio_len.is_some_and(|len| len > MAX_AUDIO_BYTES) {
            return Err(Error::LimitExceeded {
                what: "fast transcription audio file",
                limit: MAX_AUDIO_BYTES as usize,
            });
        }
        let uri = endpoint.fast_transcription_uri(self.api_version)?;
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, multipart.content_type());
        builder = match audio_len {
            Some(len) => builder.header(CONTENT_LENGTH, multipart.body_len(len)),
            None => builder.header(TRANSFER_ENCODING, "chunked"),
        };
        builder.body(()).map_err(|e| {
            Misuse::InvalidValue {
                name: "request",
                reason: e.to_string(),
            }
            .into()
        })
    }
}

/// Whether `s` looks like a locale: letters, digits and dashes, starting with a letter, at most 35 characters.
fn is_locale(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The multipart body of a fast-transcription request, around the audio:
/// `definition` (JSON) first, then `audio`, as Microsoft's client writes them.
///
/// The driver sends [`Multipart::preamble`], then the audio bytes untouched, then [`Multipart::epilogue`].
/// The boundary comes from 128 bits of the driver's randomness, so that it cannot be guessed from the audio;
/// it never occurs in the parts' headers or the definition.
#[derive(Clone, PartialEq, Eq)]
pub struct Multipart {
    boundary: String,
    preamble: Vec<u8>,
    epilogue: Vec<u8>,
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("boundary", &self.boundary)
            .field("preamble_len", &self.preamble.len())
            .finish_non_exhaustive()
    }
}

impl Multipart {
    /// The body around the audio for `definition` (from [`FastTranscriptionOptions::definition`]) and an audio
    /// file called `filename` (a name for the service; quotes and line breaks in it are replaced), with a
    /// boundary made from `entropy` (pass random bits).
    pub fn new(definition: &str, filename: &str, entropy: u128) -> Multipart {
        let filename: String = filename
            .chars()
            .map(|c| match c {
                '"' | '\\' | '\r' | '\n' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .collect();
        let filename = if filename.trim().is_empty() {
            "audio".to_owned()
        } else {
            filename
        };
        let mut entropy = entropy;
        let boundary = loop {
            let candidate = format!("speech-rs-{entropy:032x}");
            if !definition.contains(&candidate) && !filename.contains(&candidate) {
                break candidate;
            }
            entropy = entropy.rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834;
        };
        let mut preamble = String::new();
        let _ = write!(
            preamble,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"definition\"\r\n\
             Content-Type: application/json\r\n\r\n{definition}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        );
        let epilogue = format!("\r\n--{boundary}--\r\n");
        Multipart {
            boundary,
            preamble: preamble.into_bytes(),
            epilogue: epilogue.into_bytes(),
        }
    }

    /// The boundary.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The request's `Content-Type`: `multipart/form-data; boundary=…`.
    pub fn content_type(&self) -> HeaderValue {
        HeaderValue::try_from(format!("multipart/form-data; boundary={}", self.boundary))
            .unwrap_or_else(|_| HeaderValue::from_static("multipart/form-data"))
    }

    /// What goes before the audio.
    pub fn preamble(&self) -> &[u8] {
        &self.preamble
    }

    /// What goes after the audio.
    pub fn epilogue(&self) -> &[u8] {
        &self.epilogue
    }

    /// The body's length around `audio_len` bytes of audio.
    pub fn body_len(&self, audio_len: u64) -> u64 {
        (self.preamble.len() + self.epilogue.len()) as u64 + audio_len
    }
}

/// A time in milliseconds, as the service writes it (an integer; a fraction or a negative value is tolerated
/// and clamped).
#[derive(Deserialize)]
#[serde(transparent)]
struct Millis(f64);

impl Millis {
    fn duration(&self) -> Duration {
        if self.0.is_finite() && self.0 > 0.0 {
            Duration::from_secs_f64((self.0 / 1000.0).min(1e9))
        } else {
            Duration::ZERO
        }
    }
}

#[derive(Deserialize)]
struct WireResult {
    #[serde(rename = "durationMilliseconds", alias = "duration", default)]
    duration: Option<Millis>,
    phrases: Vec<WirePhrase>,
}

#[derive(Deserialize)]
struct WirePhrase {
    #[serde(rename = "offsetMilliseconds", alias = "offset")]
    offset: Millis,
    #[serde(rename = "durationMilliseconds", alias = "duration")]
    duration: Millis,
    text: String,
    #[serde(default)]
    channel: Option<i64>,
    #[serde(default)]
    speaker: Option<i64>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    confidence: Option<f64>,
    #[serde(default)]
    words: Option<Vec<WireWord>>,
}

#[derive(Deserialize)]
struct WireWord {
    text: String,
    #[serde(rename = "offsetMilliseconds", alias = "offset")]
    offset: Millis,
    #[serde(rename = "durationMilliseconds", alias = "duration")]
    duration: Millis,
    #[serde(default)]
    confidence: Option<f64>,
}

/// Parses a fast-transcription answer into a [`Transcript`]: phrases sorted by offset (then channel), each
/// with its speaker, channel, words and locale when given; the recording's length from
/// `durationMilliseconds`. Accepts the older `offset`/`duration` names, ignores unknown fields, and needs
/// only each phrase's and word's text and times.
///
/// # Errors
///
/// [`Error::LimitExceeded`] above [`MAX_FAST_BODY`] bytes; [`Error::MalformedResponse`] for anything else
/// that is not such an answer. Never panics.
pub fn parse_fast_transcription(body: &[u8]) -> Result<Transcript, Error> {
    if body.len() > MAX_FAST_BODY {
        return Err(Error::LimitExceeded {
            what: "fast transcription result body",
            limit: MAX_FAST_BODY,
        });
    }
    if body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b != b'{')
    {
        return Err(MalformedResponse {
            what: "fast transcription result",
            detail: "expected a JSON object".to_owned(),
        }
        .into());
    }
    let wire: WireResult = serde_json::from_slice(body).map_err(|e| MalformedResponse {
        what: "fast transcription result",
        detail: e.to_string(),
    })?;
    let non_negative = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
    let mut phrases: Vec<Phrase> = wire
        .phrases
        .into_iter()
        .map(|p| {
            let mut phrase = Phrase::new(
                p.offset.duration(),
                p.duration.duration(),
                p.text.trim(),
                RecognitionStatus::Success,
            );
            phrase.confidence = p.confidence.filter(|c| c.is_finite());
            phrase.speaker = non_negative(p.speaker);
            phrase.channel = non_negative(p.channel);
            phrase.locale = p.locale.filter(|l| !l.is_empty());
            phrase.words = p
                .words
                .unwrap_or_default()
                .into_iter()
                .map(|w| TimedWord {
                    text: w.text,
                    offset: w.offset.duration(),
                    duration: w.duration.duration(),
                    confidence: w.confidence.filter(|c| c.is_finite()),
                })
                .collect();
            phrase
        })
        .collect();
    // The service may group phrases by channel; the transcript is in time order.
    phrases.sort_by_key(|p| (p.offset, p.channel));
    Ok(Transcript {
        duration: wire.duration.map(|d| d.duration()),
        phrases,
    })
}

/// Fuzzing entry: parse `data` as a fast-transcription answer and render what came out. Never panics.
#[doc(hidden)]
pub fn __fuzz_fast_transcription(data: &[u8]) {
    if let Ok(t) = parse_fast_transcription(data) {
        let _ = (t.to_srt(), t.to_webvtt(), t.to_json(), t.text());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_leaves_unset_fields_out_and_checks_the_rules() {
        assert_eq!(FastTranscriptionOptions::new().definition().unwrap(), "{}");
        let all = FastTranscriptionOptions::new()
            .locale("en-US")
            .locale("de-DE")
            .speakers(3)
            .profanity(ProfanityFilterMode::Removed)
            .phrase("Contoso")
            .model("en-US", "https://example.com/models/1");
        assert_eq!(
            all.definition().unwrap(),
            r#"{"diarization":{"maxSpeakers":3},"locales":["en-US","de-DE"],"models":{"en-US":"https://example.com/models/1"},"phraseList":{"phrases":["Contoso"]},"profanityFilterMode":"Removed"}"#
        );
        let old = FastTranscriptionOptions::new()
            .speakers(2)
            .api_version(ApiVersion::V2024_11_15);
        assert_eq!(
            old.definition().unwrap(),
            r#"{"diarization":{"enabled":true,"maxSpeakers":2}}"#
        );
        for bad in [
            FastTranscriptionOptions::new().speakers(1),
            FastTranscriptionOptions::new().speakers(36),
            FastTranscriptionOptions::new().channels([0, 2]),
            FastTranscriptionOptions::new().channels([1, 1]),
            FastTranscriptionOptions::new().channels([0, 1]).speakers(2),
            FastTranscriptionOptions::new().locale("en US"),
            FastTranscriptionOptions::new().locale("\"}"),
            FastTranscriptionOptions::new()
                .phrase("x")
                .api_version(ApiVersion::V2024_11_15),
            FastTranscriptionOptions::new().phrase(" "),
            FastTranscriptionOptions::new().model("en-US", ""),
        ] {
            assert!(matches!(bad.definition(), Err(Error::Misuse(_))), "{bad:?}");
        }
        assert_eq!(
            FastTranscriptionOptions::new()
                .channels([0, 1])
                .definition()
                .unwrap(),
            r#"{"channels":[0,1]}"#
        );
    }

    #[test]
    fn multipart_frames_the_audio_and_counts_its_length() {
        let m = Multipart::new(r#"{"locales":["en-US"]}"#, "call \"1\".wav", 0xABCD);
        assert_eq!(m.boundary(), "speech-rs-0000000000000000000000000000abcd");
        let mut body = m.preamble().to_vec();
        body.extend_from_slice(b"RIFF");
        body.extend_from_slice(m.epilogue());
        assert_eq!(m.body_len(4), body.len() as u64);
        let text = String::from_utf8(body).unwrap();
        assert_eq!(
            text,
            "--speech-rs-0000000000000000000000000000abcd\r\n\
             Content-Disposition: form-data; name=\"definition\"\r\n\
             Content-Type: application/json\r\n\r\n\
             {\"locales\":[\"en-US\"]}\r\n\
             --speech-rs-0000000000000000000000000000abcd\r\n\
             Content-Disposition: form-data; name=\"audio\"; filename=\"call _1_.wav\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\
             RIFF\r\n\
             --speech-rs-0000000000000000000000000000abcd--\r\n"
        );
        assert_eq!(
            m.content_type(),
            "multipart/form-data; boundary=speech-rs-0000000000000000000000000000abcd"
        );
        // A definition that holds the would-be boundary gets another one.
        let sneaky = format!("{{\"x\":\"speech-rs-{:032x}\"}}", 7u128);
        let m = Multipart::new(&sneaky, "a.wav", 7);
        assert!(!sneaky.contains(m.boundary()));
        assert!(!String::from_utf8_lossy(m.preamble())
            .replace(&format!("--{}", m.boundary()), "")
            .contains(m.boundary()));
    }

    #[test]
    fn the_documented_diarization_answer_becomes_a_transcript() {
        let body = br#"{"durationMilliseconds": 182439,
 "combinedPhrases": [{"channel": 0, "text": "Good afternoon. Hi there."}],
 "phrases": [
  {"channel": 0, "speaker": 0, "offsetMilliseconds": 5040, "durationMilliseconds": 400, "text": "Hi there.",
   "words": [{"text": "Hi", "offsetMilliseconds": 5040, "durationMilliseconds": 240},
             {"text": "there.", "offsetMilliseconds": 5280, "durationMilliseconds": 160}],
   "locale": "en-US", "confidence": 0.93616915},
  {"channel": 0, "speaker": 1, "offsetMilliseconds": 960, "durationMilliseconds": 640, "text": "Good afternoon.",
   "words": [{"text": "Good", "offsetMilliseconds": 960, "durationMilliseconds": 240},
             {"text": "afternoon.", "offsetMilliseconds": 1200, "durationMilliseconds": 400}],
   "locale": "en-US", "confidence": 0.93616915, "somethingNew": {"x": 1}}]}"#;
        let t = parse_fast_transcription(body).unwrap();
        assert_eq!(t.duration, Some(Duration::from_millis(182_439)));
        assert_eq!(t.phrases.len(), 2);
        let first = &t.phrases[0];
        assert_eq!(first.text, "Good afternoon.");
        assert_eq!(first.offset, Duration::from_millis(960));
        assert_eq!(first.duration, Duration::from_millis(640));
        assert_eq!((first.speaker, first.channel), (Some(1), Some(0)));
        assert_eq!(first.locale.as_deref(), Some("en-US"));
        assert_eq!(first.confidence, Some(0.93616915));
        assert_eq!(
            first.words,
            vec![
                TimedWord {
                    text: "Good".into(),
                    offset: Duration::from_millis(960),
                    duration: Duration::from_millis(240),
                    confidence: None
                },
                TimedWord {
                    text: "afternoon.".into(),
                    offset: Duration::from_millis(1_200),
                    duration: Duration::from_millis(400),
                    confidence: None
                },
            ]
        );
        assert_eq!(t.phrases[1].speaker, Some(0));
        assert_eq!(t.text(), "Good afternoon. Hi there.");
    }

    #[test]
    fn the_older_names_and_missing_optionals_are_accepted() {
        let t = parse_fast_transcription(
            br#"{"duration": 2000, "phrases": [{"offset": 40, "duration": 320, "text": "Weather",
                "words": null}]}"#,
        )
        .unwrap();
        assert_eq!(t.duration, Some(Duration::from_secs(2)));
        assert_eq!(t.phrases[0].offset, Duration::from_millis(40));
        assert_eq!(t.phrases[0].speaker, None);
        assert!(t.phrases[0].words.is_empty());
        let t = parse_fast_transcription(br#"{"phrases": []}"#).unwrap();
        assert_eq!((t.duration, t.phrases.len()), (None, 0));
    }

    #[test]
    fn what_is_not_an_answer_is_malformed() {
        for body in [
            &b""[..],
            b"[]",
            b"{}",
            b"{\"phrases\": [{\"text\": \"no times\"}]}",
            b"{\"phrases\": [{\"offsetMilliseconds\": 1, \"durationMilliseconds\": 2}]}",
            b"{\"phrases\": \"no\"}",
            b"<html>",
        ] {
            assert!(
                matches!(
                    parse_fast_transcription(body),
                    Err(Error::MalformedResponse(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
