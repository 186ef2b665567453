//! Output shapes: recognition results and voices as JSON, the voices table.

use std::io::Write as _;

use serde_json::{json, Number, Value};
use speech_proto::recognize::{NBest, Recognition};
use speech_proto::voices::{Gender, Voice, VoiceStatus, VoiceType};

/// Write to stdout. A closed pipe (`speech voices | head -1`) is not an error worth a panic: the rest is
/// dropped.
pub(crate) fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// [`emit`] with a line break.
pub(crate) fn emit_line(text: impl std::fmt::Display) {
    emit(&format!("{text}\n"));
}

/// 100-ns ticks as milliseconds: an integer when exact, else a fraction.
pub(crate) fn ticks_to_ms(ticks: Option<u64>) -> Value {
    match ticks {
        None => Value::Null,
        Some(t) if t % 10_000 == 0 => Value::Number(Number::from(t / 10_000)),
        Some(t) => Number::from_f64(t as f64 / 10_000.0).map_or(Value::Null, Value::Number),
    }
}

fn nbest_json(n: &NBest) -> Value {
    let mut v = json!({
        "confidence": n.confidence,
        "lexical": n.lexical,
        "itn": n.itn,
        "masked_itn": n.masked_itn,
        "display": n.display,
    });
    if let Value::Object(map) = &mut v {
        for (name, score) in [
            ("accuracy_score", n.accuracy_score),
            ("fluency_score", n.fluency_score),
            ("completeness_score", n.completeness_score),
            ("pron_score", n.pron_score),
            ("prosody_score", n.prosody_score),
        ] {
            if let Some(s) = score {
                map.insert(name.to_owned(), json!(s));
            }
        }
    }
    v
}

/// One line of `transcribe --output json`: `file`, `status` (as sent, or null), `text`, `offset_ms`,
/// `duration_ms`, and with `detailed` the `nbest` list in the service's order.
pub(crate) fn recognition_json(file: &str, r: &Recognition, detailed: bool) -> Value {
    let mut v = json!({
        "file": file,
        "status": r.status.as_ref().map(|s| s.as_str()),
        "text": r.display_text(),
        "offset_ms": ticks_to_ms(r.offset_ticks),
        "duration_ms": ticks_to_ms(r.duration_ticks),
    });
    if let Value::Object(map) = &mut v {
        if detailed {
            map.insert(
                "nbest".to_owned(),
                Value::Array(r.nbest.iter().map(nbest_json).collect()),
            );
        }
        if let Some(snr) = r.snr {
            map.insert("snr".to_owned(), json!(snr));
        }
    }
    v
}

/// A gender as the service writes it.
pub(crate) fn gender_str(g: &Gender) -> &str {
    match g {
        Gender::Female => "Female",
        Gender::Male => "Male",
        Gender::Neutral => "Neutral",
        Gender::Other(s) => s,
        _ => "",
    }
}

/// A voice type as the service writes it.
pub(crate) fn voice_type_str(t: &VoiceType) -> &str {
    match t {
        VoiceType::Neural => "Neural",
        VoiceType::NeuralHd => "NeuralHD",
        VoiceType::Standard => "Standard",
        VoiceType::Other(s) => s,
        _ => "",
    }
}

fn status_str(s: &VoiceStatus) -> &str {
    match s {
        VoiceStatus::Ga => "GA",
        VoiceStatus::Preview => "Preview",
        VoiceStatus::Deprecated => "Deprecated",
        VoiceStatus::Other(s) => s,
        _ => "",
    }
}

/// One voice for `voices --output json`.
pub(crate) fn voice_json(v: &Voice) -> Value {
    json!({
        "name": v.name,
        "short_name": v.short_name,
        "display_name": v.display_name,
        "local_name": v.local_name,
        "locale": v.locale,
        "locale_name": v.locale_name,
        "gender": v.gender.as_ref().map(gender_str),
        "voice_type": v.voice_type.as_ref().map(voice_type_str),
        "status": v.status.as_ref().map(status_str),
        "sample_rate_hz": v.sample_rate_hertz,
        "words_per_minute": v.words_per_minute,
        "styles": v.style_list,
        "secondary_locales": v.secondary_locale_list,
        "roles": v.role_play_list,
    })
}

/// Whether a voice matches `--locale`: its locale or a secondary one (`en-GB`), or, for a bare language
/// (`en`), any locale of that language. Case-insensitive.
pub(crate) fn voice_matches(v: &Voice, locale: &str) -> bool {
    if v.speaks(locale) {
        return true;
    }
    !locale.contains('-')
        && std::iter::once(&v.locale)
            .chain(&v.secondary_locale_list)
            .any(|l| {
                l.split('-')
                    .next()
                    .is_some_and(|lang| lang.eq_ignore_ascii_case(locale))
            })
}

/// The voices table: short name, locale, gender, type, styles; columns padded to their widest cell.
pub(crate) fn voices_table(voices: &[&Voice]) -> String {
    let header = ["SHORT NAME", "LOCALE", "GENDER", "TYPE", "STYLES"];
    let rows: Vec<[String; 5]> = voices
        .iter()
        .map(|v| {
            [
                v.short_name.clone(),
                v.locale.clone(),
                v.gender.as_ref().map(gender_str).unwrap_or("-").to_owned(),
                v.voice_type
                    .as_ref()
                    .map(voice_type_str)
                    .unwrap_or("-")
                    .to_owned(),
                if v.style_list.is_empty() {
                    "-".to_owned()
                } else {
                    v.style_list.join(",")
                },
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == cells.len() - 1 {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use speech_proto::recognize::parse_recognition;
    use speech_proto::voices::parse_voices;

    #[test]
    fn ticks_become_milliseconds() {
        assert_eq!(ticks_to_ms(Some(6_600_000)), json!(660));
        assert_eq!(ticks_to_ms(Some(15_000)), json!(1.5));
        assert_eq!(ticks_to_ms(None), Value::Null);
    }

    #[test]
    fn detailed_result_keeps_the_service_order() {
        let r = parse_recognition(
            br#"{"RecognitionStatus":"Success","Offset":"1000000","Duration":20000000,"NBest":[
                {"Confidence":0.5,"Lexical":"b","ITN":"b","MaskedITN":"b","Display":"B."},
                {"Confidence":0.9,"Lexical":"a","ITN":"a","MaskedITN":"a","Display":"A."}]}"#,
        )
        .unwrap();
        let v = recognition_json("x.wav", &r, true);
        assert_eq!(v["file"], "x.wav");
        assert_eq!(v["status"], "Success");
        assert_eq!(v["text"], "B.");
        assert_eq!(v["offset_ms"], 100);
        assert_eq!(v["duration_ms"], 2000);
        assert_eq!(v["nbest"][0]["display"], "B.");
        assert_eq!(v["nbest"][1]["confidence"], 0.9);
        assert_eq!(v["nbest"][1]["masked_itn"], "a");
        assert!(recognition_json("x.wav", &r, false).get("nbest").is_none());
    }

    #[test]
    fn empty_result_has_nulls() {
        let r = parse_recognition(b"{}").unwrap();
        let v = recognition_json("x.wav", &r, false);
        assert_eq!(v["status"], Value::Null);
        assert_eq!(v["text"], Value::Null);
        assert_eq!(v["offset_ms"], Value::Null);
    }

    #[test]
    fn unknown_status_is_kept_as_sent() {
        let r = parse_recognition(br#"{"RecognitionStatus":"TooManyCats"}"#).unwrap();
        assert_eq!(recognition_json("f", &r, false)["status"], "TooManyCats");
    }

    fn sample_voices() -> Vec<Voice> {
        parse_voices(
            br#"[{"Name":"n1","ShortName":"en-US-JennyNeural","Locale":"en-US","Gender":"Female",
                  "VoiceType":"Neural","SampleRateHertz":"24000","WordsPerMinute":"152","StyleList":["chat","sad"]},
                 {"Name":"n2","ShortName":"de-DE-ConradNeural","Locale":"de-DE","Gender":"Male",
                  "SecondaryLocaleList":["en-GB"]}]"#,
        )
        .unwrap()
    }

    #[test]
    fn voice_json_has_the_documented_fields() {
        let voices = sample_voices();
        let v = voice_json(&voices[0]);
        for field in [
            "name",
            "short_name",
            "display_name",
            "local_name",
            "locale",
            "gender",
            "voice_type",
            "sample_rate_hz",
            "words_per_minute",
            "styles",
        ] {
            assert!(v.get(field).is_some(), "{field}");
        }
        assert_eq!(v["sample_rate_hz"], 24_000);
        assert_eq!(v["words_per_minute"], 152);
        assert_eq!(v["styles"], json!(["chat", "sad"]));
        assert_eq!(voice_json(&voices[1])["words_per_minute"], Value::Null);
    }

    #[test]
    fn locale_filter() {
        let voices = sample_voices();
        assert!(voice_matches(&voices[0], "en-us"));
        assert!(voice_matches(&voices[0], "en"));
        assert!(!voice_matches(&voices[0], "en-GB"));
        assert!(voice_matches(&voices[1], "en-GB"));
        assert!(voice_matches(&voices[1], "EN"));
        assert!(!voice_matches(&voices[1], "fr"));
    }

    #[test]
    fn table_aligns_columns() {
        let voices = sample_voices();
        let refs: Vec<&Voice> = voices.iter().collect();
        let t = voices_table(&refs);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("SHORT NAME"));
        let col = lines[0].find("LOCALE").unwrap();
        assert!(lines[1][col..].starts_with("en-US "), "{t}");
        assert!(lines[2][col..].starts_with("de-DE "), "{t}");
        assert!(lines[1].ends_with("chat,sad"));
        assert!(lines[2].ends_with('-'));
    }
}
