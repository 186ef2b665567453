//! `GET /cognitiveservices/voices/list` (and `/tts/…`): the voices list. The emulator's voices are real Azure
//! neural voice names with the fields of the voices list (spec §3.7, §3.8), each mapped to a local engine voice (flite `slt`/`rms` for English, an espeak-ng language for the others; German,
//! French, Spanish and Italian voices are spoken by Pico instead when it is installed, see
//! [`system_tts`](crate::engines::system_tts)).
//!
//! The names, locales, genders and local names are those of the public Azure voices; style lists, sample rates and
//! words-per-minute values follow the service's documented examples where there is one (Jenny, Jenny Multilingual,
//! Yunxi, Orla) and are representative elsewhere.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use crate::state::AppState;

mod catalogue;

pub use catalogue::{Voice, LONG_NAME_PREFIX};

use catalogue::VOICES;

/// Every voice, grouped by locale.
pub fn all() -> &'static [Voice] {
    VOICES
}

/// Find a voice by its ShortName (`en-US-JennyNeural`, any ASCII case) or its long Name
/// (`Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`, any ASCII case and spacing inside the
/// parentheses). Surrounding whitespace is ignored.
pub fn find(name: &str) -> Option<&'static Voice> {
    let name = name.trim();
    if let Some(voice) = VOICES
        .iter()
        .find(|v| v.short_name.eq_ignore_ascii_case(name))
    {
        return Some(voice);
    }
    let prefix = name.get(..LONG_NAME_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(LONG_NAME_PREFIX) {
        return None;
    }
    let inner = name[LONG_NAME_PREFIX.len()..].strip_suffix(')')?;
    let (locale, short) = inner.split_once(',')?;
    let (locale, short) = (locale.trim(), short.trim());
    VOICES.iter().find(|v| {
        v.locale.eq_ignore_ascii_case(locale)
            && v.short_name.len() == v.locale.len() + 1 + short.len()
            && v.short_name[v.locale.len() + 1..].eq_ignore_ascii_case(short)
    })
}

/// The serialized form of one voice, with the service's field names and order; absent optional fields are
/// omitted and `SampleRateHertz`/`WordsPerMinute` are strings, as the service sends them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VoiceJson<'a> {
    name: &'a str,
    display_name: &'a str,
    local_name: &'a str,
    short_name: &'a str,
    gender: &'a str,
    locale: &'a str,
    locale_name: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    style_list: &'a [&'a str],
    sample_rate_hertz: String,
    voice_type: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_property_map: Option<ExtendedProperties>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    secondary_locale_list: &'a [&'a str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    role_play_list: &'a [&'a str],
    words_per_minute: String,
}

#[derive(Serialize)]
struct ExtendedProperties {
    #[serde(rename = "IsHighQuality48K")]
    is_high_quality_48k: &'static str,
}

impl Voice {
    fn as_json(&self) -> VoiceJson<'_> {
        VoiceJson {
            name: self.name,
            display_name: self.display_name,
            local_name: self.local_name,
            short_name: self.short_name,
            gender: self.gender,
            locale: self.locale,
            locale_name: self.locale_name,
            style_list: self.styles,
            sample_rate_hertz: self.sample_rate_hz.to_string(),
            voice_type: self.voice_type,
            status: self.status,
            extended_property_map: self.high_quality_48k.then_some(ExtendedProperties {
                is_high_quality_48k: "True",
            }),
            secondary_locale_list: self.secondary_locales,
            role_play_list: self.role_plays,
            words_per_minute: self.words_per_minute.to_string(),
        }
    }
}

/// The body of `GET /cognitiveservices/voices/list`: a JSON array of every voice.
pub fn list_json() -> String {
    let voices: Vec<VoiceJson<'_>> = VOICES.iter().map(Voice::as_json).collect();
    // ok: serializing plain strings and slices cannot fail.
    serde_json::to_string(&voices).unwrap_or_else(|_| "[]".to_owned())
}

/// The voices list.
pub(crate) async fn list(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if let Err(denied) = state.auth.check_speech(request.headers()) {
        return denied.into_response();
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        list_json(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn enough_voices_and_locales() {
        assert!(all().len() >= 20);
        let locales: BTreeSet<&str> = all().iter().map(|v| v.locale).collect();
        assert!(locales.len() >= 8, "{locales:?}");
        for v in all() {
            assert_eq!(
                v.name,
                format!(
                    "Microsoft Server Speech Text to Speech Voice ({}, {})",
                    v.locale,
                    &v.short_name[v.locale.len() + 1..]
                )
            );
            assert!(
                v.short_name.starts_with(&format!("{}-", v.locale))
                    && v.short_name.ends_with("Neural")
            );
            assert!(matches!(v.gender, "Female" | "Male"), "{}", v.short_name);
            assert!(matches!(v.sample_rate_hz, 24_000 | 48_000));
            assert!(
                !v.display_name.is_empty() && !v.local_name.is_empty() && !v.locale_name.is_empty()
            );
            assert!(v.words_per_minute > 0);
        }
        let short: BTreeSet<&str> = all().iter().map(|v| v.short_name).collect();
        assert_eq!(short.len(), all().len(), "short names are unique");
        // Non-Latin local names where the real voices have them.
        assert_eq!(
            find("zh-CN-XiaoxiaoNeural").map(|v| v.local_name),
            Some("晓晓")
        );
        assert_eq!(
            find("ja-JP-NanamiNeural").map(|v| v.local_name),
            Some("七海")
        );
    }

    #[test]
    fn find_by_short_and_long_name() {
        let jenny = find("en-US-JennyNeural").expect("Jenny");
        assert_eq!(jenny.display_name, "Jenny");
        assert_eq!(find("EN-us-jennyneural"), Some(jenny));
        assert_eq!(find("  en-US-JennyNeural "), Some(jenny));
        assert_eq!(
            find("Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)"),
            Some(jenny)
        );
        assert_eq!(
            find("microsoft server speech text to speech voice (EN-US,JennyNeural)"),
            Some(jenny)
        );
        let yunxi = find("Microsoft Server Speech Text to Speech Voice (zh-CN, YunxiNeural)")
            .expect("Yunxi");
        assert_eq!(yunxi.short_name, "zh-CN-YunxiNeural");
        assert_eq!(
            find("Microsoft Server Speech Text to Speech Voice (en-GB, JennyNeural)"),
            None
        );
        assert_eq!(
            find("Microsoft Server Speech Text to Speech Voice (en-US, ZiraRUS)"),
            None
        );
        assert_eq!(
            find("Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural"),
            None
        );
        assert_eq!(find("en-US-NobodyNeural"), None);
        assert_eq!(find(""), None);
        assert_eq!(find("JennyNeural"), None);
        assert_eq!(
            find("Microsoft Server Speech Text to Speech Voice (ж"),
            None
        );
        for v in all() {
            assert_eq!(find(v.short_name), Some(v));
            assert_eq!(find(v.name), Some(v));
        }
    }

    #[test]
    fn list_json_has_the_documented_shape() {
        let json: serde_json::Value = serde_json::from_str(&list_json()).expect("valid JSON");
        let list = json.as_array().expect("an array");
        assert_eq!(list.len(), all().len());
        for (item, v) in list.iter().zip(all()) {
            let obj = item.as_object().expect("object");
            for key in [
                "Name",
                "DisplayName",
                "LocalName",
                "ShortName",
                "Gender",
                "Locale",
                "LocaleName",
                "VoiceType",
                "Status",
            ] {
                assert!(obj[key].is_string(), "{key}");
            }
            assert_eq!(
                obj["SampleRateHertz"],
                serde_json::Value::String(v.sample_rate_hz.to_string())
            );
            assert_eq!(
                obj["WordsPerMinute"],
                serde_json::Value::String(v.words_per_minute.to_string())
            );
            assert_eq!(obj["VoiceType"], "Neural");
            assert_eq!(obj["Status"], "GA");
            assert_eq!(obj.contains_key("StyleList"), !v.styles.is_empty());
            assert_eq!(obj.contains_key("RolePlayList"), !v.role_plays.is_empty());
            assert_eq!(
                obj.contains_key("SecondaryLocaleList"),
                !v.secondary_locales.is_empty()
            );
            assert_eq!(obj.contains_key("ExtendedPropertyMap"), v.high_quality_48k);
        }
        let jenny = list
            .iter()
            .find(|v| v["ShortName"] == "en-US-JennyNeural")
            .expect("Jenny");
        assert_eq!(
            jenny,
            &serde_json::json!({
                "Name": "Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)",
                "DisplayName": "Jenny",
                "LocalName": "Jenny",
                "ShortName": "en-US-JennyNeural",
                "Gender": "Female",
                "Locale": "en-US",
                "LocaleName": "English (United States)",
                "StyleList": ["assistant", "chat", "customerservice", "newscast", "angry", "cheerful", "sad",
                    "excited", "friendly", "terrified", "shouting", "unfriendly", "whispering", "hopeful"],
                "SampleRateHertz": "24000",
                "VoiceType": "Neural",
                "Status": "GA",
                "ExtendedPropertyMap": {"IsHighQuality48K": "True"},
                "WordsPerMinute": "152"
            })
        );
        let yunxi = list
            .iter()
            .find(|v| v["ShortName"] == "zh-CN-YunxiNeural")
            .expect("Yunxi");
        assert_eq!(yunxi["LocalName"], "云希");
        assert_eq!(
            yunxi["RolePlayList"],
            serde_json::json!(["Narrator", "YoungAdultMale", "Boy"])
        );
        // Non-ASCII survives serialization as characters.
        assert!(list_json().contains("七海"));
    }

    #[test]
    fn every_engine_voice_exists() {
        let output = std::process::Command::new("espeak-ng")
            .arg("--voices")
            .output()
            .expect("espeak-ng is installed (scripts/setup.sh installs it)");
        assert!(output.status.success());
        let listing = String::from_utf8_lossy(&output.stdout);
        // Columns: Pty Language Age/Gender VoiceName File Other Languages
        let languages: BTreeSet<&str> = listing
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().nth(1))
            .collect();
        for v in all() {
            match v.engine_voice {
                "slt" => assert!(
                    v.locale.starts_with("en-") && v.gender == "Female",
                    "{}",
                    v.short_name
                ),
                "rms" => assert!(
                    v.locale.starts_with("en-") && v.gender == "Male",
                    "{}",
                    v.short_name
                ),
                code => {
                    assert!(
                        languages.contains(code),
                        "espeak-ng has no voice {code} for {}",
                        v.short_name
                    );
                    assert!(!v.locale.starts_with("en-"), "{}", v.short_name);
                }
            }
        }
    }
}
