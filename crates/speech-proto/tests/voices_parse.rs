//! The voices-list parser on the documented shapes (current, SDK-typed and 2019), and on arbitrary input.

use proptest::prelude::*;
use speech_proto::voices::{__fuzz_voices, parse_voices, Gender, VoiceStatus, VoiceType};

/// The shape of the current documentation's sample (string-typed numbers, every optional field).
const CURRENT: &str = r#"[
  {
    "Name": "Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)",
    "DisplayName": "Jenny",
    "LocalName": "Jenny",
    "ShortName": "en-US-JennyNeural",
    "Gender": "Female",
    "Locale": "en-US",
    "LocaleName": "English (United States)",
    "StyleList": ["assistant", "chat", "customerservice", "newscast", "angry", "cheerful"],
    "SampleRateHertz": "24000",
    "VoiceType": "Neural",
    "Status": "GA",
    "ExtendedPropertyMap": {"IsHighQuality48K": "True"},
    "WordsPerMinute": "152"
  },
  {
    "Name": "Microsoft Server Speech Text to Speech Voice (zh-CN, YunxiNeural)",
    "DisplayName": "Yunxi",
    "LocalName": "云希",
    "ShortName": "zh-CN-YunxiNeural",
    "Gender": "Male",
    "Locale": "zh-CN",
    "LocaleName": "Chinese (Mandarin, Simplified)",
    "StyleList": ["narration-relaxed", "embarrassed"],
    "SampleRateHertz": "24000",
    "VoiceType": "Neural",
    "Status": "GA",
    "RolePlayList": ["Narrator", "YoungAdultMale", "Boy"],
    "WordsPerMinute": "293"
  },
  {
    "Name": "Microsoft Server Speech Text to Speech Voice (en-US, AndrewMultilingualNeural)",
    "DisplayName": "Andrew Multilingual",
    "LocalName": "Andrew Multilingual",
    "ShortName": "en-US-AndrewMultilingualNeural",
    "Gender": "Male",
    "Locale": "en-US",
    "LocaleName": "English (United States)",
    "SecondaryLocaleList": ["de-DE", "fr-FR", "ja-JP"],
    "SampleRateHertz": "48000",
    "VoiceType": "NeuralHD",
    "Status": "Preview",
    "VoiceTag": {"TailoredScenarios": ["Chat", "Narration"], "VoicePersonalities": ["Warm", "Confident"], "Source": ["x"]},
    "WordsPerMinute": 145
  }
]"#;

/// A 2019-style list (K4): eight fields, `Standard` voices, 16 kHz.
const OLD: &str = r#"[{"Name":"Microsoft Server Speech Text to Speech Voice (en-US, ZiraRUS)","ShortName":"en-US-ZiraRUS",
"Gender":"Female","Locale":"en-US","SampleRateHertz":"16000","VoiceType":"Standard"}]"#;

#[test]
fn current_documented_shape() {
    let voices = parse_voices(CURRENT.as_bytes()).unwrap();
    assert_eq!(voices.len(), 3);
    let jenny = &voices[0];
    assert_eq!(
        jenny.name,
        "Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)"
    );
    assert_eq!(jenny.display_name.as_deref(), Some("Jenny"));
    assert_eq!(jenny.short_name, "en-US-JennyNeural");
    assert_eq!(jenny.gender, Some(Gender::Female));
    assert_eq!(
        jenny.locale_name.as_deref(),
        Some("English (United States)")
    );
    assert_eq!(jenny.sample_rate_hertz, Some(24_000));
    assert_eq!(jenny.words_per_minute, Some(152));
    assert_eq!(jenny.voice_type, Some(VoiceType::Neural));
    assert_eq!(jenny.status, Some(VoiceStatus::Ga));
    assert!(jenny.has_style("Cheerful"));
    assert!(!jenny.has_style("whispering"));
    assert!(jenny.is_high_quality_48k());
    assert!(jenny.secondary_locale_list.is_empty());
    assert_eq!(jenny.voice_tag, None);

    let yunxi = &voices[1];
    assert_eq!(yunxi.local_name.as_deref(), Some("云希"));
    assert_eq!(yunxi.role_play_list, ["Narrator", "YoungAdultMale", "Boy"]);
    assert!(!yunxi.is_high_quality_48k());

    let andrew = &voices[2];
    assert_eq!(andrew.voice_type, Some(VoiceType::NeuralHd));
    assert_eq!(andrew.status, Some(VoiceStatus::Preview));
    assert_eq!(andrew.words_per_minute, Some(145));
    assert!(andrew.speaks("en-us") && andrew.speaks("ja-JP") && !andrew.speaks("es-ES"));
    let tag = andrew.voice_tag.as_ref().unwrap();
    assert_eq!(tag.tailored_scenarios, ["Chat", "Narration"]);
    assert_eq!(tag.voice_personalities, ["Warm", "Confident"]);
    assert_eq!(tag.other["Source"][0], "x");
}

#[test]
fn old_list_and_unknown_values() {
    let v = &parse_voices(OLD.as_bytes()).unwrap()[0];
    assert_eq!(v.voice_type, Some(VoiceType::Standard));
    assert_eq!(v.sample_rate_hertz, Some(16_000));
    assert_eq!(
        (
            v.display_name.as_ref(),
            v.status.as_ref(),
            v.words_per_minute
        ),
        (None, None, None)
    );

    let v = &parse_voices(
        br#"[{"Name":"n","ShortName":"s","Locale":"l","Gender":"Nonbinary","VoiceType":"Neural2","Status":"Beta"}]"#,
    )
    .unwrap()[0];
    assert_eq!(v.gender, Some(Gender::Other("Nonbinary".into())));
    assert_eq!(v.voice_type, Some(VoiceType::Other("Neural2".into())));
    assert_eq!(v.status, Some(VoiceStatus::Other("Beta".into())));
}

proptest! {
    #[test]
    fn voices_parser_never_panics(data in prop::collection::vec(any::<u8>(), 0..400)) {
        __fuzz_voices(&data);
    }

    #[test]
    fn voices_parser_never_panics_on_json_like_text(s in r#"\[(\{("[A-Za-z]{1,16}":("[^"\\]{0,8}"|-?[0-9.e]{1,6}|\[\]|\{\}|null|true),?){0,6}\},?){0,3}\]"#) {
        __fuzz_voices(s.as_bytes());
    }

    #[test]
    fn numbers_or_numeric_strings(rate in any::<u32>(), as_string in any::<bool>()) {
        let value = if as_string { format!("\"{rate}\"") } else { rate.to_string() };
        let body = format!(r#"[{{"Name":"n","ShortName":"s","Locale":"l","SampleRateHertz":{value},"WordsPerMinute":{value}}}]"#);
        let v = &parse_voices(body.as_bytes()).unwrap()[0];
        prop_assert_eq!(v.sample_rate_hertz, Some(rate));
        prop_assert_eq!(v.words_per_minute, Some(rate));
    }
}
