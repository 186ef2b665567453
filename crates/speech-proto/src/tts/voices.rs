//! The voices list: request builder and parser.
//!
//! The list is a JSON array of voice objects. Only `Name`, `ShortName` and `Locale` are required; every other
//! field is optional (old lists carried eight fields, new ones add more each year). Numbers may be JSON
//! numbers or numeric strings (`"SampleRateHertz": "24000"`), and unknown enum values are kept as text. An
//! optional field of an unexpected type is dropped rather than failing the whole list.
//!
//! ```
//! use speech_proto::voices::{parse_voices, voices_request, Gender, VoiceType};
//! use speech_proto::Endpoint;
//!
//! let request = voices_request(&Endpoint::region("eastus")?)?;
//! assert_eq!(request.uri(), "https://eastus.tts.speech.microsoft.com/cognitiveservices/voices/list");
//!
//! let voices = parse_voices(br#"[{"Name":"Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)",
//!     "ShortName":"en-US-JennyNeural","Gender":"Female","Locale":"en-US","SampleRateHertz":"24000",
//!     "VoiceType":"Neural","Status":"GA","WordsPerMinute":"152"}]"#)?;
//! assert_eq!(voices[0].short_name, "en-US-JennyNeural");
//! assert_eq!(voices[0].gender, Some(Gender::Female));
//! assert_eq!(voices[0].voice_type, Some(VoiceType::Neural));
//! assert_eq!(voices[0].sample_rate_hertz, Some(24_000));
//! # Ok::<(), speech_proto::Error>(())
//! ```

use http::header::ACCEPT;
use http::{HeaderValue, Method, Request};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::error::{Error, MalformedResponse, Misuse};

/// The largest voices-list body [`parse_voices`] accepts (8 MiB; the full list is about 1–2 MiB).
pub const MAX_VOICES_BODY: usize = 8 << 20;

/// The voices-list request head: `GET` on the text-to-speech host, `Accept: application/json`. No auth header
/// (the auth layer adds it) and no body.
///
/// # Errors
///
/// The endpoint's own errors.
pub fn voices_request(endpoint: &Endpoint) -> Result<Request<()>, Error> {
    Request::builder()
        .method(Method::GET)
        .uri(endpoint.voices_list_uri()?)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .body(())
        .map_err(|e| {
            Misuse::InvalidValue {
                name: "request",
                reason: e.to_string(),
            }
            .into()
        })
}

/// A voice's gender.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Gender {
    /// `Female`.
    Female,
    /// `Male`.
    Male,
    /// `Neutral`.
    Neutral,
    /// Any other value, kept as sent.
    Other(String),
}

/// A voice's technology.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VoiceType {
    /// `Neural`.
    Neural,
    /// `NeuralHD`.
    NeuralHd,
    /// `Standard` (old, non-neural voices).
    Standard,
    /// Any other value, kept as sent.
    Other(String),
}

/// A voice's release status.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VoiceStatus {
    /// `GA`: generally available.
    Ga,
    /// `Preview`.
    Preview,
    /// `Deprecated`.
    Deprecated,
    /// Any other value, kept as sent.
    Other(String),
}

fn pick<T: Clone>(s: &str, known: &[(&str, T)], other: fn(String) -> T) -> T {
    known
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map_or_else(|| other(s.to_owned()), |(_, v)| v.clone())
}

impl Gender {
    fn from_text(s: &str) -> Self {
        pick(
            s,
            &[
                ("Female", Gender::Female),
                ("Male", Gender::Male),
                ("Neutral", Gender::Neutral),
            ],
            Gender::Other,
        )
    }
}

impl VoiceType {
    fn from_text(s: &str) -> Self {
        pick(
            s,
            &[
                ("Neural", VoiceType::Neural),
                ("NeuralHD", VoiceType::NeuralHd),
                ("Standard", VoiceType::Standard),
            ],
            VoiceType::Other,
        )
    }
}

impl VoiceStatus {
    fn from_text(s: &str) -> Self {
        pick(
            s,
            &[
                ("GA", VoiceStatus::Ga),
                ("Preview", VoiceStatus::Preview),
                ("Deprecated", VoiceStatus::Deprecated),
            ],
            VoiceStatus::Other,
        )
    }
}

/// The `VoiceTag` object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoiceTag {
    /// `TailoredScenarios`, e.g. `Chat`, `Narration`.
    pub tailored_scenarios: Vec<String>,
    /// `VoicePersonalities`, e.g. `Warm`, `Confident`.
    pub voice_personalities: Vec<String>,
    /// Every other member, as sent.
    pub other: Map<String, Value>,
}

/// One voice of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Voice {
    /// The long name, e.g. `Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`.
    pub name: String,
    /// The display name, e.g. `Jenny`.
    pub display_name: Option<String>,
    /// The name in the voice's own language (may be non-Latin).
    pub local_name: Option<String>,
    /// The name to use in SSML, e.g. `en-US-JennyNeural`.
    pub short_name: String,
    /// The gender.
    pub gender: Option<Gender>,
    /// The locale, e.g. `en-US`.
    pub locale: String,
    /// The locale's name, e.g. `English (United States)`.
    pub locale_name: Option<String>,
    /// Speaking styles (`cheerful`, `newscast`, …).
    pub style_list: Vec<String>,
    /// The native sample rate.
    pub sample_rate_hertz: Option<u32>,
    /// The technology.
    pub voice_type: Option<VoiceType>,
    /// The release status.
    pub status: Option<VoiceStatus>,
    /// Extra properties, e.g. `{"IsHighQuality48K": "True"}`.
    pub extended_property_map: Option<Map<String, Value>>,
    /// Typical speaking rate, to estimate output length.
    pub words_per_minute: Option<u32>,
    /// Further locales a multilingual voice speaks.
    pub secondary_locale_list: Vec<String>,
    /// Roles the voice can play (`Narrator`, `YoungAdultMale`, …).
    pub role_play_list: Vec<String>,
    /// Scenarios and personalities.
    pub voice_tag: Option<VoiceTag>,
}

impl Voice {
    /// Whether the voice speaks `locale` (its own or a secondary one), ignoring ASCII case.
    pub fn speaks(&self, locale: &str) -> bool {
        self.locale.eq_ignore_ascii_case(locale)
            || self
                .secondary_locale_list
                .iter()
                .any(|l| l.eq_ignore_ascii_case(locale))
    }

    /// Whether the voice has the speaking style `style`, ignoring ASCII case.
    pub fn has_style(&self, style: &str) -> bool {
        self.style_list
            .iter()
            .any(|s| s.eq_ignore_ascii_case(style))
    }

    /// Whether `ExtendedPropertyMap.IsHighQuality48K` is `"True"` (or `true`).
    pub fn is_high_quality_48k(&self) -> bool {
        match self
            .extended_property_map
            .as_ref()
            .and_then(|m| m.get("IsHighQuality48K"))
        {
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            Some(Value::Bool(b)) => *b,
            _ => false,
        }
    }
}

/// The wire shape: required fields strict, the rest kept as JSON and read leniently.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVoice {
    name: String,
    short_name: String,
    locale: String,
    #[serde(default)]
    display_name: Option<Value>,
    #[serde(default)]
    local_name: Option<Value>,
    #[serde(default)]
    gender: Option<Value>,
    #[serde(default)]
    locale_name: Option<Value>,
    #[serde(default)]
    style_list: Option<Value>,
    #[serde(default)]
    sample_rate_hertz: Option<Value>,
    #[serde(default)]
    voice_type: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    extended_property_map: Option<Value>,
    #[serde(default)]
    words_per_minute: Option<Value>,
    #[serde(default)]
    secondary_locale_list: Option<Value>,
    #[serde(default)]
    role_play_list: Option<Value>,
    #[serde(default)]
    voice_tag: Option<Value>,
}

fn text(v: Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A non-negative integer from a JSON number or a numeric string (fractions rounded).
fn count(v: Option<Value>) -> Option<u32> {
    let f = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (f.is_finite() && (0.0..=f64::from(u32::MAX)).contains(&f)).then(|| f.round() as u32)
}

impl From<RawVoice> for Voice {
    fn from(r: RawVoice) -> Self {
        let voice_tag = match r.voice_tag {
            Some(Value::Object(mut m)) => Some(VoiceTag {
                tailored_scenarios: strings(m.remove("TailoredScenarios").as_ref()),
                voice_personalities: strings(m.remove("VoicePersonalities").as_ref()),
                other: m,
            }),
            _ => None,
        };
        Voice {
            name: r.name,
            display_name: text(r.display_name),
            local_name: text(r.local_name),
            short_name: r.short_name,
            gender: text(r.gender).map(|s| Gender::from_text(&s)),
            locale: r.locale,
            locale_name: text(r.locale_name),
            style_list: strings(r.style_list.as_ref()),
            sample_rate_hertz: count(r.sample_rate_hertz),
            voice_type: text(r.voice_type).map(|s| VoiceType::from_text(&s)),
            status: text(r.status).map(|s| VoiceStatus::from_text(&s)),
            extended_property_map: match r.extended_property_map {
                Some(Value::Object(m)) => Some(m),
                _ => None,
            },
            words_per_minute: count(r.words_per_minute),
            secondary_locale_list: strings(r.secondary_locale_list.as_ref()),
            role_play_list: strings(r.role_play_list.as_ref()),
            voice_tag,
        }
    }
}

/// Parse a complete voices-list body (at most [`MAX_VOICES_BODY`] bytes), keeping the service's order.
///
/// # Errors
///
/// [`Error::LimitExceeded`] for a body over the cap; [`Error::MalformedResponse`] for a body that is not a JSON
/// array of objects each with string `Name`, `ShortName` and `Locale`.
pub fn parse_voices(body: &[u8]) -> Result<Vec<Voice>, Error> {
    if body.len() > MAX_VOICES_BODY {
        return Err(Error::LimitExceeded {
            what: "voices list body",
            limit: MAX_VOICES_BODY,
        });
    }
    let raw: Vec<RawVoice> = serde_json::from_slice(body).map_err(|e| {
        Error::from(MalformedResponse {
            what: "voices list",
            detail: e.to_string(),
        })
    })?;
    Ok(raw.into_iter().map(Voice::from).collect())
}

/// Fuzzing entry: parse `data` as a voices list and use the helpers. Never panics.
#[doc(hidden)]
pub fn __fuzz_voices(data: &[u8]) {
    if let Ok(voices) = parse_voices(data) {
        for v in &voices {
            let _ = (
                v.speaks("en-US"),
                v.has_style("chat"),
                v.is_high_quality_48k(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_optional_fields() {
        let v = parse_voices(
            br#"[{"Name":"n","ShortName":"s","Locale":"xx-YY","Gender":7,"SampleRateHertz":"abc",
                "WordsPerMinute":152.4,"StyleList":["chat",3,null,"calm"],"ExtendedPropertyMap":"x",
                "VoiceTag":[],"Status":"Retired","VoiceType":"neuralhd","Extra":{"a":1}}]"#,
        )
        .unwrap();
        let v = &v[0];
        assert_eq!(v.gender, None);
        assert_eq!(v.sample_rate_hertz, None);
        assert_eq!(v.words_per_minute, Some(152));
        assert_eq!(v.style_list, ["chat", "calm"]);
        assert_eq!(v.extended_property_map, None);
        assert_eq!(v.voice_tag, None);
        assert_eq!(v.status, Some(VoiceStatus::Other("Retired".into())));
        assert_eq!(v.voice_type, Some(VoiceType::NeuralHd));
    }

    #[test]
    fn required_fields_and_caps() {
        for bad in [
            &br#"[{"Name":"n","Locale":"en-US"}]"#[..],
            br#"[{"Name":"n","ShortName":5,"Locale":"en-US"}]"#,
            br#"{"Name":"n"}"#,
            br#"[1]"#,
            b"",
        ] {
            assert!(
                matches!(
                    parse_voices(bad),
                    Err(Error::MalformedResponse(MalformedResponse {
                        what: "voices list",
                        ..
                    }))
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_voices(b"[]").unwrap(), vec![]);
        assert_eq!(
            parse_voices(&vec![b' '; MAX_VOICES_BODY + 1]),
            Err(Error::LimitExceeded {
                what: "voices list body",
                limit: MAX_VOICES_BODY
            })
        );
    }

    #[test]
    fn request_head() {
        let req = voices_request(&Endpoint::custom_domain("my-res").unwrap()).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(
            req.uri(),
            "https://my-res.cognitiveservices.azure.com/tts/cognitiveservices/voices/list"
        );
        assert_eq!(req.headers()["accept"], "application/json");
        assert!(req.headers().get("authorization").is_none());
    }
}
