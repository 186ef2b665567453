//! The `Pronunciation-Assessment` header and an approximate scorer.
//!
//! The header is base64 of a JSON object (spec §2.6). The emulator decodes and validates it exactly, but its
//! scores are an **approximation**: it has no phoneme model. It aligns the recognized words with the
//! reference text (word-level edit distance) and scores:
//!
//! * per word: `AccuracyScore` 100 for a match, the characters' similarity (0–100) for a substitution
//!   (`ErrorType` `Mispronunciation` below 60, else `None`), 0 for an omitted word (`Omission`); with
//!   `EnableMiscue`, extra spoken words are listed as `Insertion` (accuracy 0), without it omissions are not
//!   listed and extra words are listed with `ErrorType` `None` and accuracy 50;
//! * `AccuracyScore`: the mean accuracy of the listed spoken words;
//! * `CompletenessScore`: the share of reference words that were spoken (matched or substituted);
//! * `FluencyScore`: 100 × the share of voiced frames inside the speech stretch (pauses lower it);
//! * `PronScore`: 0.6 × accuracy + 0.2 × fluency + 0.2 × completeness;
//! * `ProsodyScore` (only with `EnableProsodyAssessment`): the mean of accuracy and fluency;
//! * `GradingSystem` `FivePoint` divides every score by 20; scores are rounded to one decimal.
//!
//! Word `Offset`/`Duration` share the voiced stretch among the spoken words in proportion to their length;
//! omitted words get the offset of the next spoken word and duration 0; word `Confidence` is 0.0 as in the
//! real service's answers. `Granularity` `FullText` leaves out `Words`; `Phoneme` gives the same as `Word`
//! (no `Syllables`/`Phonemes`). `Dimension` does not change the answer. `ScenarioId` is accepted and ignored.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Serialize;

/// The largest header value accepted, in bytes.
const MAX_HEADER: usize = 16 * 1024;

/// `GradingSystem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Grading {
    FivePoint,
    HundredMark,
}

/// `Granularity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Granularity {
    Phoneme,
    Word,
    FullText,
}

/// The decoded header.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PronParams {
    pub(crate) reference_text: String,
    pub(crate) grading: Grading,
    pub(crate) granularity: Granularity,
    pub(crate) miscue: bool,
    pub(crate) prosody: bool,
}

fn field<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'a serde_json::Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn flag(obj: &serde_json::Map<String, serde_json::Value>, name: &str) -> Result<bool, String> {
    match field(obj, name) {
        None | Some(serde_json::Value::Null) => Ok(false),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(serde_json::Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(serde_json::Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(format!("{name} must be True or False")),
    }
}

fn choice<T: Copy>(
    obj: &serde_json::Map<String, serde_json::Value>,
    name: &str,
    default: T,
    values: &[(&str, T)],
) -> Result<T, String> {
    match field(obj, name) {
        None | Some(serde_json::Value::Null) => Ok(default),
        Some(serde_json::Value::String(s)) => values
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown {name} value")),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// Decode a `Pronunciation-Assessment` header value. The error is a short reason for the 400 answer.
pub(crate) fn parse_header(value: &[u8]) -> Result<PronParams, String> {
    if value.len() > MAX_HEADER {
        return Err("header too long".into());
    }
    let trimmed = value.trim_ascii();
    let json = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(trimmed).ok())
        .ok_or_else(|| "header is not base64".to_owned())?;
    let parsed: serde_json::Value = serde_json::from_slice(&json)
        .map_err(|_| "header is not base64 of a JSON object".to_owned())?;
    let serde_json::Value::Object(obj) = parsed else {
        return Err("header is not base64 of a JSON object".into());
    };
    let reference_text = match field(&obj, "ReferenceText") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err("ReferenceText must be a string".into()),
        None => return Err("ReferenceText is required".into()),
    };
    let grading = choice(
        &obj,
        "GradingSystem",
        Grading::FivePoint,
        &[
            ("FivePoint", Grading::FivePoint),
            ("HundredMark", Grading::HundredMark),
        ],
    )?;
    let granularity = choice(
        &obj,
        "Granularity",
        Granularity::Phoneme,
        &[
            ("Phoneme", Granularity::Phoneme),
            ("Word", Granularity::Word),
            ("FullText", Granularity::FullText),
        ],
    )?;
    choice(
        &obj,
        "Dimension",
        (),
        &[("Basic", ()), ("Comprehensive", ())],
    )?;
    Ok(PronParams {
        reference_text,
        grading,
        granularity,
        miscue: flag(&obj, "EnableMiscue")?,
        prosody: flag(&obj, "EnableProsodyAssessment")?,
    })
}

/// One entry of `Words[]` in the REST shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WordScore {
    pub(crate) word: String,
    pub(crate) offset: u64,
    pub(crate) duration: u64,
    pub(crate) confidence: f64,
    pub(crate) accuracy_score: f64,
    pub(crate) error_type: &'static str,
}

/// The scores for one NBest entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Assessment {
    pub(crate) accuracy: f64,
    pub(crate) fluency: f64,
    pub(crate) completeness: f64,
    pub(crate) pron: f64,
    pub(crate) prosody: Option<f64>,
    pub(crate) words: Option<Vec<WordScore>>,
}

fn normalize(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn char_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    1.0 - prev[b.len()] as f64 / longest as f64
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Match(usize, usize),
    Sub(usize, usize),
    Omit(usize),
    Insert(usize),
}

/// Word-level alignment (Levenshtein with backtracking). Inputs are capped by the caller.
fn align(reference: &[String], spoken: &[String]) -> Vec<Op> {
    let (n, m) = (reference.len(), spoken.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(reference[i - 1] != spoken[j - 1]);
            d[i][j] = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
        }
    }
    let (mut i, mut j) = (n, m);
    let mut ops = Vec::with_capacity(n.max(m));
    while i > 0 || j > 0 {
        if i > 0 && j > 0 {
            let cost = usize::from(reference[i - 1] != spoken[j - 1]);
            if d[i][j] == d[i - 1][j - 1] + cost {
                ops.push(if cost == 0 {
                    Op::Match(i - 1, j - 1)
                } else {
                    Op::Sub(i - 1, j - 1)
                });
                i -= 1;
                j -= 1;
                continue;
            }
        }
        if i > 0 && d[i][j] == d[i - 1][j] + 1 {
            ops.push(Op::Omit(i - 1));
            i -= 1;
        } else {
            ops.push(Op::Insert(j - 1));
            j -= 1;
        }
    }
    ops.reverse();
    ops
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Longest reference or spoken text, in words, that is aligned; beyond it words are ignored.
const MAX_WORDS: usize = 500;

/// Score `lexical` (the recognized words) against the reference text. `offset`/`duration` are the voiced
/// stretch in ticks, `pause_ratio` the share of quiet frames inside it.
pub(crate) fn assess(
    params: &PronParams,
    lexical: &str,
    offset: u64,
    duration: u64,
    pause_ratio: f64,
) -> Assessment {
    let mut reference = normalize(&params.reference_text);
    let mut spoken = normalize(lexical);
    reference.truncate(MAX_WORDS);
    spoken.truncate(MAX_WORDS);
    // An empty reference text means "unscripted": compare the speech with itself.
    let reference = if reference.is_empty() {
        spoken.clone()
    } else {
        reference
    };
    let ops = align(&reference, &spoken);

    let total_chars: usize = spoken.iter().map(|w| w.chars().count().max(1)).sum();
    let mut starts = Vec::with_capacity(spoken.len());
    let mut cursor = 0usize;
    for w in &spoken {
        let len = w.chars().count().max(1);
        let start =
            offset + (duration as u128 * cursor as u128 / total_chars.max(1) as u128) as u64;
        let end = offset
            + (duration as u128 * (cursor + len) as u128 / total_chars.max(1) as u128) as u64;
        starts.push((start, end - start));
        cursor += len;
    }
    let timing = |j: usize| starts.get(j).copied().unwrap_or((offset + duration, 0));

    let mut words = Vec::new();
    let mut spoken_scores = Vec::new();
    let mut covered = 0usize;
    let mut next_spoken = 0usize;
    for op in ops {
        match op {
            Op::Match(i, j) => {
                covered += 1;
                next_spoken = j + 1;
                spoken_scores.push(100.0);
                words.push((reference[i].clone(), timing(j), 100.0, "None"));
            }
            Op::Sub(i, j) => {
                covered += 1;
                next_spoken = j + 1;
                let acc = 100.0 * char_similarity(&reference[i], &spoken[j]);
                spoken_scores.push(acc);
                let kind = if acc < 60.0 {
                    "Mispronunciation"
                } else {
                    "None"
                };
                words.push((reference[i].clone(), timing(j), acc, kind));
            }
            Op::Omit(i) => {
                if params.miscue {
                    let (start, _) = timing(next_spoken);
                    words.push((reference[i].clone(), (start, 0), 0.0, "Omission"));
                }
            }
            Op::Insert(j) => {
                next_spoken = j + 1;
                let (acc, kind) = if params.miscue {
                    (0.0, "Insertion")
                } else {
                    (50.0, "None")
                };
                spoken_scores.push(acc);
                words.push((spoken[j].clone(), timing(j), acc, kind));
            }
        }
    }
    let accuracy = if spoken_scores.is_empty() {
        0.0
    } else {
        spoken_scores.iter().sum::<f64>() / spoken_scores.len() as f64
    };
    let completeness = if reference.is_empty() {
        100.0
    } else {
        100.0 * covered as f64 / reference.len() as f64
    };
    let fluency = if spoken.is_empty() {
        0.0
    } else {
        100.0 * (1.0 - pause_ratio.clamp(0.0, 1.0))
    };
    let pron = 0.6 * accuracy + 0.2 * fluency + 0.2 * completeness;
    let scale = match params.grading {
        Grading::FivePoint => 0.05,
        Grading::HundredMark => 1.0,
    };
    let s = |x: f64| round1(x * scale);
    let words = match params.granularity {
        Granularity::FullText => None,
        Granularity::Word | Granularity::Phoneme => Some(
            words
                .into_iter()
                .map(|(word, (offset, duration), acc, kind)| WordScore {
                    word,
                    offset,
                    duration,
                    confidence: 0.0,
                    accuracy_score: s(acc),
                    error_type: kind,
                })
                .collect(),
        ),
    };
    Assessment {
        accuracy: s(accuracy),
        fluency: s(fluency),
        completeness: s(completeness),
        pron: s(pron),
        prosody: params.prosody.then(|| s((accuracy + fluency) / 2.0)),
        words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Vec<u8> {
        STANDARD.encode(json).into_bytes()
    }

    #[test]
    fn parses_documented_example() {
        let p = parse_header(&header(
            r#"{"ReferenceText":"Good morning.","GradingSystem":"HundredMark","Granularity":"Word","Dimension":"Comprehensive","EnableMiscue":"True"}"#,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.reference_text, "Good morning.");
        assert_eq!(p.grading, Grading::HundredMark);
        assert_eq!(p.granularity, Granularity::Word);
        assert!(p.miscue);
        assert!(!p.prosody);
        let d = parse_header(&header(
            r#"{"referencetext":"x","EnableProsodyAssessment":true}"#,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.grading, Grading::FivePoint);
        assert_eq!(d.granularity, Granularity::Phoneme);
        assert!(d.prosody);
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(parse_header(b"%%%").is_err());
        assert!(parse_header(&header("[1,2]")).is_err());
        assert!(parse_header(&header(r#"{"GradingSystem":"FivePoint"}"#)).is_err());
        assert!(parse_header(&header(
            r#"{"ReferenceText":"a","GradingSystem":"TenPoint"}"#
        ))
        .is_err());
        assert!(parse_header(&header(r#"{"ReferenceText":"a","EnableMiscue":"maybe"}"#)).is_err());
        assert!(parse_header(&vec![b'A'; MAX_HEADER + 1]).is_err());
    }

    fn params(reference: &str, miscue: bool) -> PronParams {
        PronParams {
            reference_text: reference.into(),
            grading: Grading::HundredMark,
            granularity: Granularity::Word,
            miscue,
            prosody: false,
        }
    }

    #[test]
    fn perfect_reading() {
        let a = assess(
            &params("Good morning.", false),
            "good morning",
            1_000,
            10_000,
            0.0,
        );
        assert_eq!(
            (a.accuracy, a.fluency, a.completeness, a.pron),
            (100.0, 100.0, 100.0, 100.0)
        );
        let words = a.words.unwrap_or_default();
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].word, "good");
        assert_eq!(words[0].offset, 1_000);
        assert_eq!(words[0].duration, 3_636); // 4 of 11 letters
        assert_eq!(words[1].offset, 4_636);
        assert_eq!(words[1].error_type, "None");
        assert_eq!(a.prosody, None);
    }

    #[test]
    fn miscues() {
        let a = assess(
            &params("the cat sat on the mat", true),
            "the cat sat the mat today",
            0,
            6_000,
            0.5,
        );
        let words = a.words.clone().unwrap_or_default();
        let kinds: Vec<&str> = words.iter().map(|w| w.error_type).collect();
        assert!(kinds.contains(&"Omission"), "{kinds:?}");
        assert!(kinds.contains(&"Insertion"), "{kinds:?}");
        assert_eq!(a.completeness, 83.3);
        assert_eq!(a.fluency, 50.0);
        // Without miscue, omissions are not listed and insertions are plain words.
        let b = assess(
            &params("the cat sat on the mat", false),
            "the cat sat the mat today",
            0,
            6_000,
            0.5,
        );
        let kinds: Vec<&str> = b
            .words
            .unwrap_or_default()
            .iter()
            .map(|w| w.error_type)
            .collect();
        assert!(!kinds.contains(&"Omission") && !kinds.contains(&"Insertion"));
    }

    #[test]
    fn five_point_and_full_text() {
        let mut p = params("hello", false);
        p.grading = Grading::FivePoint;
        p.granularity = Granularity::FullText;
        p.prosody = true;
        let a = assess(&p, "hello", 0, 100, 0.0);
        assert_eq!(a.accuracy, 5.0);
        assert_eq!(a.prosody, Some(5.0));
        assert!(a.words.is_none());
        let silent = assess(&params("hello", false), "", 0, 0, 0.0);
        assert_eq!(silent.completeness, 0.0);
        assert_eq!(silent.accuracy, 0.0);
    }

    #[test]
    fn similarity() {
        assert_eq!(char_similarity("mat", "mat"), 1.0);
        assert!((char_similarity("mat", "mad") - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(char_similarity("", ""), 1.0);
    }
}
