//! The emulator's voices: real Azure neural voice names with the fields of the voices list (spec §3.7, §3.8), each
//! mapped to a local engine voice (flite `slt`/`rms` for English, an espeak-ng language for the others; German,
//! French, Spanish and Italian voices are spoken by Pico instead when it is installed, see
//! [`system_tts`](crate::engines::system_tts)).
//!
//! The names, locales, genders and local names are those of the public Azure voices; style lists, sample rates and
//! words-per-minute values follow the service's documented examples where there is one (Jenny, Jenny Multilingual,
//! Yunxi, Orla) and are representative elsewhere.

use serde::Serialize;

/// The prefix of every long voice name: `Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`.
pub const LONG_NAME_PREFIX: &str = "Microsoft Server Speech Text to Speech Voice (";

/// One voice of the voices list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voice {
    /// Long form, e.g. `Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`.
    pub name: &'static str,
    /// E.g. `Jenny`.
    pub display_name: &'static str,
    /// The name in the voice's own language and script, e.g. `晓晓`.
    pub local_name: &'static str,
    /// The value used in SSML, e.g. `en-US-JennyNeural`.
    pub short_name: &'static str,
    /// `Female` or `Male`.
    pub gender: &'static str,
    /// BCP-47 locale, e.g. `en-US`.
    pub locale: &'static str,
    /// E.g. `English (United States)`.
    pub locale_name: &'static str,
    /// The voice model's native rate (serialized as a string, as the service does).
    pub sample_rate_hz: u32,
    /// `Neural`.
    pub voice_type: &'static str,
    /// `GA`.
    pub status: &'static str,
    /// Speaking speed, for estimating output length (serialized as a string, as the service does).
    pub words_per_minute: u32,
    /// Speaking styles for `mstts:express-as` (`StyleList`, absent when empty).
    pub styles: &'static [&'static str],
    /// Role-play characters (`RolePlayList`, absent when empty).
    pub role_plays: &'static [&'static str],
    /// Further locales a multilingual voice speaks (`SecondaryLocaleList`, absent when empty).
    pub secondary_locales: &'static [&'static str],
    /// `ExtendedPropertyMap: {"IsHighQuality48K": "True"}` when set.
    pub high_quality_48k: bool,
    /// The local engine voice: flite `slt` (English female) or `rms` (English male), else an espeak-ng language
    /// (which Pico's voice replaces for German, French, Spanish and Italian when it is installed).
    pub engine_voice: &'static str,
}

const NONE: &[&str] = &[];

/// Styles of en-US-JennyNeural as the service documents them (spec §3.8 source S3).
const JENNY_STYLES: &[&str] = &[
    "assistant",
    "chat",
    "customerservice",
    "newscast",
    "angry",
    "cheerful",
    "sad",
    "excited",
    "friendly",
    "terrified",
    "shouting",
    "unfriendly",
    "whispering",
    "hopeful",
];
const GUY_STYLES: &[&str] = &[
    "newscast",
    "angry",
    "cheerful",
    "sad",
    "excited",
    "friendly",
    "terrified",
    "shouting",
    "unfriendly",
    "whispering",
    "hopeful",
];
const ARIA_STYLES: &[&str] = &[
    "chat",
    "customerservice",
    "narration-professional",
    "newscast-casual",
    "newscast-formal",
    "cheerful",
    "empathetic",
    "angry",
    "sad",
    "excited",
    "friendly",
    "terrified",
    "shouting",
    "unfriendly",
    "whispering",
    "hopeful",
];
const DAVIS_STYLES: &[&str] = &[
    "chat",
    "angry",
    "cheerful",
    "excited",
    "friendly",
    "hopeful",
    "sad",
    "shouting",
    "terrified",
    "unfriendly",
    "whispering",
];
const XIAOXIAO_STYLES: &[&str] = &[
    "assistant",
    "chat",
    "customerservice",
    "newscast",
    "affectionate",
    "angry",
    "calm",
    "cheerful",
    "disgruntled",
    "fearful",
    "gentle",
    "lyrical",
    "sad",
    "serious",
    "poetry-reading",
    "friendly",
    "chat-casual",
    "whispering",
    "sorry",
    "excited",
];
/// Styles of zh-CN-YunxiNeural as the service documents them (S3).
const YUNXI_STYLES: &[&str] = &[
    "narration-relaxed",
    "embarrassed",
    "fearful",
    "cheerful",
    "disgruntled",
    "serious",
    "angry",
    "sad",
    "depressed",
    "chat",
    "assistant",
    "newscast",
];
const YUNXI_ROLES: &[&str] = &["Narrator", "YoungAdultMale", "Boy"];
const XIAOXIAO_ROLES: &[&str] = &[
    "YoungAdultFemale",
    "OlderAdultFemale",
    "Girl",
    "SeniorFemale",
];
/// Secondary locales of en-US-JennyMultilingualNeural as the service documents them (S3).
const JENNY_MULTILINGUAL_LOCALES: &[&str] = &[
    "de-DE", "en-AU", "en-CA", "en-GB", "es-ES", "es-MX", "fr-CA", "fr-FR", "it-IT", "ja-JP",
    "ko-KR", "pt-BR", "zh-CN",
];

macro_rules! voice {
    (
        $locale:literal, $short:literal, $display:literal, $local:literal, $gender:literal, $locale_name:literal,
        $rate:literal, $wpm:literal, $engine:literal
        $(, styles = $styles:expr)? $(, roles = $roles:expr)? $(, secondary = $secondary:expr)? $(, hq48k = $hq:literal)?
    ) => {
        Voice {
            name: concat!("Microsoft Server Speech Text to Speech Voice (", $locale, ", ", $short, ")"),
            display_name: $display,
            local_name: $local,
            short_name: concat!($locale, "-", $short),
            gender: $gender,
            locale: $locale,
            locale_name: $locale_name,
            sample_rate_hz: $rate,
            voice_type: "Neural",
            status: "GA",
            words_per_minute: $wpm,
            styles: { let _s: &[&str] = NONE; $( let _s = $styles; )? _s },
            role_plays: { let _r: &[&str] = NONE; $( let _r = $roles; )? _r },
            secondary_locales: { let _l: &[&str] = NONE; $( let _l = $secondary; )? _l },
            high_quality_48k: { let _h = false; $( let _h = $hq; )? _h },
            engine_voice: $engine,
        }
    };
}

static VOICES: &[Voice] = &[
    voice!(
        "en-US",
        "JennyNeural",
        "Jenny",
        "Jenny",
        "Female",
        "English (United States)",
        24000,
        152,
        "slt",
        styles = JENNY_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "JennyMultilingualNeural",
        "Jenny Multilingual",
        "Jenny Multilingual",
        "Female",
        "English (United States)",
        24000,
        190,
        "slt",
        secondary = JENNY_MULTILINGUAL_LOCALES
    ),
    voice!(
        "en-US",
        "GuyNeural",
        "Guy",
        "Guy",
        "Male",
        "English (United States)",
        24000,
        154,
        "rms",
        styles = GUY_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "AriaNeural",
        "Aria",
        "Aria",
        "Female",
        "English (United States)",
        24000,
        150,
        "slt",
        styles = ARIA_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "DavisNeural",
        "Davis",
        "Davis",
        "Male",
        "English (United States)",
        24000,
        154,
        "rms",
        styles = DAVIS_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "AvaNeural",
        "Ava",
        "Ava",
        "Female",
        "English (United States)",
        48000,
        154,
        "slt"
    ),
    voice!(
        "en-US",
        "AndrewNeural",
        "Andrew",
        "Andrew",
        "Male",
        "English (United States)",
        48000,
        146,
        "rms"
    ),
    voice!(
        "en-US",
        "EmmaNeural",
        "Emma",
        "Emma",
        "Female",
        "English (United States)",
        48000,
        152,
        "slt"
    ),
    voice!(
        "en-US",
        "BrianNeural",
        "Brian",
        "Brian",
        "Male",
        "English (United States)",
        48000,
        152,
        "rms"
    ),
    voice!(
        "en-US",
        "ChristopherNeural",
        "Christopher",
        "Christopher",
        "Male",
        "English (United States)",
        24000,
        149,
        "rms"
    ),
    voice!(
        "en-GB",
        "SoniaNeural",
        "Sonia",
        "Sonia",
        "Female",
        "English (United Kingdom)",
        48000,
        148,
        "slt",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "en-GB",
        "RyanNeural",
        "Ryan",
        "Ryan",
        "Male",
        "English (United Kingdom)",
        48000,
        150,
        "rms",
        styles = &["cheerful", "chat"]
    ),
    voice!(
        "de-DE",
        "KatjaNeural",
        "Katja",
        "Katja",
        "Female",
        "German (Germany)",
        48000,
        134,
        "de"
    ),
    voice!(
        "de-DE",
        "ConradNeural",
        "Conrad",
        "Conrad",
        "Male",
        "German (Germany)",
        48000,
        129,
        "de",
        styles = &["cheerful"]
    ),
    voice!(
        "fr-FR",
        "DeniseNeural",
        "Denise",
        "Denise",
        "Female",
        "French (France)",
        48000,
        150,
        "fr-fr",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "fr-FR",
        "HenriNeural",
        "Henri",
        "Henri",
        "Male",
        "French (France)",
        48000,
        154,
        "fr-fr",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "es-ES",
        "ElviraNeural",
        "Elvira",
        "Elvira",
        "Female",
        "Spanish (Spain)",
        48000,
        156,
        "es"
    ),
    voice!(
        "es-ES",
        "AlvaroNeural",
        "Alvaro",
        "Álvaro",
        "Male",
        "Spanish (Spain)",
        48000,
        159,
        "es",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "it-IT",
        "ElsaNeural",
        "Elsa",
        "Elsa",
        "Female",
        "Italian (Italy)",
        48000,
        149,
        "it"
    ),
    voice!(
        "it-IT",
        "DiegoNeural",
        "Diego",
        "Diego",
        "Male",
        "Italian (Italy)",
        48000,
        146,
        "it"
    ),
    voice!(
        "ja-JP",
        "NanamiNeural",
        "Nanami",
        "七海",
        "Female",
        "Japanese (Japan)",
        48000,
        319,
        "ja",
        styles = &["chat", "customerservice", "cheerful"]
    ),
    voice!(
        "ja-JP",
        "KeitaNeural",
        "Keita",
        "圭太",
        "Male",
        "Japanese (Japan)",
        48000,
        322,
        "ja"
    ),
    voice!(
        "zh-CN",
        "XiaoxiaoNeural",
        "Xiaoxiao",
        "晓晓",
        "Female",
        "Chinese (Mandarin, Simplified)",
        48000,
        285,
        "cmn",
        styles = XIAOXIAO_STYLES,
        roles = XIAOXIAO_ROLES
    ),
    voice!(
        "zh-CN",
        "YunxiNeural",
        "Yunxi",
        "云希",
        "Male",
        "Chinese (Mandarin, Simplified)",
        24000,
        293,
        "cmn",
        styles = YUNXI_STYLES,
        roles = YUNXI_ROLES
    ),
    voice!(
        "pt-BR",
        "FranciscaNeural",
        "Francisca",
        "Francisca",
        "Female",
        "Portuguese (Brazil)",
        48000,
        151,
        "pt-br",
        styles = &["calm"]
    ),
    voice!(
        "pt-BR",
        "AntonioNeural",
        "Antonio",
        "Antônio",
        "Male",
        "Portuguese (Brazil)",
        48000,
        145,
        "pt-br"
    ),
    voice!(
        "nl-NL",
        "ColetteNeural",
        "Colette",
        "Colette",
        "Female",
        "Dutch (Netherlands)",
        48000,
        144,
        "nl"
    ),
    voice!(
        "nl-NL",
        "MaartenNeural",
        "Maarten",
        "Maarten",
        "Male",
        "Dutch (Netherlands)",
        48000,
        141,
        "nl"
    ),
    voice!(
        "ko-KR",
        "SunHiNeural",
        "Sun-Hi",
        "선히",
        "Female",
        "Korean (Korea)",
        48000,
        276,
        "ko"
    ),
    voice!(
        "ko-KR",
        "InJoonNeural",
        "InJoon",
        "인준",
        "Male",
        "Korean (Korea)",
        48000,
        278,
        "ko"
    ),
    voice!(
        "ru-RU",
        "SvetlanaNeural",
        "Svetlana",
        "Светлана",
        "Female",
        "Russian (Russia)",
        48000,
        124,
        "ru"
    ),
    voice!(
        "ru-RU",
        "DmitryNeural",
        "Dmitry",
        "Дмитрий",
        "Male",
        "Russian (Russia)",
        48000,
        122,
        "ru"
    ),
    voice!(
        "hi-IN",
        "SwaraNeural",
        "Swara",
        "स्वरा",
        "Female",
        "Hindi (India)",
        48000,
        127,
        "hi"
    ),
    voice!(
        "hi-IN",
        "MadhurNeural",
        "Madhur",
        "मधुर",
        "Male",
        "Hindi (India)",
        48000,
        125,
        "hi"
    ),
    voice!(
        "el-GR",
        "AthinaNeural",
        "Athina",
        "Αθηνά",
        "Female",
        "Greek (Greece)",
        48000,
        142,
        "el"
    ),
    voice!(
        "ga-IE",
        "OrlaNeural",
        "Orla",
        "Orla",
        "Female",
        "Irish (Ireland)",
        24000,
        139,
        "ga"
    ),
];

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
