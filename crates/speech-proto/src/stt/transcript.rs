//! A timed transcript of a whole recording, and its renderings as subtitles (SRT, WebVTT) and JSON.
//!
//! The short-audio API answers one phrase per request of at most 60 s, so a client that transcribes a long
//! recording cuts it into segments, recognizes each one and puts the answers back onto the recording's
//! timeline: [`Transcript::push_segment`] takes a segment's start in the recording and the service's
//! [`Recognition`] for it, and shifts the result's offset by the segment's start. Fast transcription fills the
//! same type with speakers, channels, word timings and locales.
//!
//! Pure: no IO, no clock. Rendering never fails; text is tidied (line breaks and runs of whitespace become
//! one space) and escaped as each format needs.
//!
//! # Subtitles
//!
//! [`Transcript::cues`] cuts the recognized phrases into cues following common subtitle conventions
//! ([`CueLimits`]: at most 2 lines of at most 42 characters and at most 7 s on screen), breaking only
//! between words. Where the service gave no word timings, a word's time within its phrase is interpolated from
//! its share of the phrase's characters. Cues never overlap: a cue that would start before the previous one
//! ends (overlapping speakers) starts when it ends. Phrases without text (`NoMatch`, silence) make no cue.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::short::{NBest, Recognition, RecognitionStatus};

/// A transcript on the recording's timeline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    /// The length of the recording, when known.
    pub duration: Option<Duration>,
    /// The phrases, in order of their offsets.
    pub phrases: Vec<Phrase>,
}

/// One recognized phrase.
#[derive(Clone, Debug, PartialEq)]
pub struct Phrase {
    /// Where the phrase starts in the recording.
    pub offset: Duration,
    /// How long it lasts.
    pub duration: Duration,
    /// The display text (empty when nothing was recognized).
    pub text: String,
    /// The service's status for the phrase's request.
    pub status: RecognitionStatus,
    /// The confidence of the best hypothesis, when the detailed format gave one.
    pub confidence: Option<f64>,
    /// The hypotheses of the detailed format (empty for the simple format).
    pub nbest: Vec<NBest>,
    /// Who spoke, when the service tells speakers apart (fast transcription's diarization).
    pub speaker: Option<u32>,
    /// The audio channel, for multi-channel recordings.
    pub channel: Option<u32>,
    /// The words with their times on the recording's timeline, when the service gives them.
    pub words: Vec<TimedWord>,
    /// The phrase's language, when the service identified it.
    pub locale: Option<String>,
}

/// A word with its times.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedWord {
    /// The word as displayed.
    pub text: String,
    /// Where it starts in the recording.
    pub offset: Duration,
    /// How long it lasts.
    pub duration: Duration,
    /// Confidence 0.0–1.0, when given.
    pub confidence: Option<f64>,
}

impl Phrase {
    /// A phrase with only the essentials; the optional parts empty.
    pub fn new(
        offset: Duration,
        duration: Duration,
        text: impl Into<String>,
        status: RecognitionStatus,
    ) -> Phrase {
        Phrase {
            offset,
            duration,
            text: text.into(),
            status,
            confidence: None,
            nbest: Vec::new(),
            speaker: None,
            channel: None,
            words: Vec::new(),
            locale: None,
        }
    }

    /// Where the phrase ends.
    pub fn end(&self) -> Duration {
        self.offset.saturating_add(self.duration)
    }
}

/// Limits on subtitle cues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CueLimits {
    /// Characters per line.
    pub line_chars: usize,
    /// Lines per cue.
    pub lines: usize,
    /// Longest time on screen.
    pub max_duration: Duration,
}

impl Default for CueLimits {
    /// 2 lines of 42 characters, 7 s.
    fn default() -> Self {
        CueLimits {
            line_chars: 42,
            lines: 2,
            max_duration: Duration::from_secs(7),
        }
    }
}

/// One subtitle cue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    /// When it appears.
    pub start: Duration,
    /// When it disappears (after `start`).
    pub end: Duration,
    /// Its lines (at least one; each within the limits unless a single word is longer than a line). With a
    /// speaker, the lines leave room for the speaker's label, which the renderings put in front of the first.
    pub lines: Vec<String>,
    /// Who speaks, as the service numbers speakers (rendered as `Speaker <n + 1>`).
    pub speaker: Option<u32>,
}

/// The label of a speaker in subtitles: the service numbers speakers from 0, people from 1.
fn speaker_label(speaker: u32) -> String {
    format!("Speaker {}", u64::from(speaker) + 1)
}

impl Transcript {
    /// An empty transcript of a recording of `duration` (when known).
    pub fn new(duration: Option<Duration>) -> Transcript {
        Transcript {
            duration,
            phrases: Vec::new(),
        }
    }

    /// Adds the service's answer for a segment that starts at `segment_start` in the recording: the result's
    /// offset (relative to the segment) is shifted onto the recording's timeline. A result without an offset
    /// is taken to start with the segment; without a duration, to last no time. Phrases stay ordered by
    /// offset.
    pub fn push_segment(&mut self, segment_start: Duration, recognition: &Recognition) {
        let ticks = |t: Option<u64>| t.map_or(Duration::ZERO, ticks_to_duration);
        let offset = segment_start.saturating_add(ticks(recognition.offset_ticks));
        let status = recognition
            .status
            .clone()
            .unwrap_or_else(|| RecognitionStatus::Other(String::new()));
        let text = if status == RecognitionStatus::Success {
            recognition.display_text().map(tidy).unwrap_or_default()
        } else {
            String::new()
        };
        let mut phrase = Phrase::new(offset, ticks(recognition.duration_ticks), text, status);
        phrase.confidence = recognition.best().and_then(|b| b.confidence);
        phrase.nbest.clone_from(&recognition.nbest);
        self.push(phrase);
    }

    /// Adds a phrase, keeping the phrases ordered by offset (a phrase with the same offset as another goes
    /// after it).
    pub fn push(&mut self, phrase: Phrase) {
        let at = self.phrases.partition_point(|p| p.offset <= phrase.offset);
        self.phrases.insert(at, phrase);
    }

    /// The recognized text: the phrases' display texts joined by spaces.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for phrase in self.phrases.iter().filter(|p| !p.text.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&phrase.text);
        }
        out
    }

    /// The subtitle cues of the transcript (see the module documentation).
    pub fn cues(&self, limits: &CueLimits) -> Vec<Cue> {
        let line_chars = limits.line_chars.max(1);
        let lines = limits.lines.max(1);
        let mut cues = Vec::new();
        for phrase in &self.phrases {
            // Room for the speaker's label on every line: `<v Speaker 2>` (four characters around the label) is
            // its longest form, `[Speaker 2] ` the other.
            let line_chars = match phrase.speaker {
                Some(s) => line_chars
                    .saturating_sub(speaker_label(s).len() + 4)
                    .max(12),
                None => line_chars,
            };
            let words = timed_words(phrase);
            let mut current: Vec<&TimedWord> = Vec::new();
            for word in &words {
                if !current.is_empty() {
                    let mut candidate: Vec<&str> =
                        current.iter().map(|w| w.text.as_str()).collect();
                    candidate.push(&word.text);
                    let start = current[0].offset;
                    let too_long = word
                        .offset
                        .saturating_add(word.duration)
                        .saturating_sub(start)
                        > limits.max_duration;
                    if too_long || break_lines(&candidate, line_chars, lines).is_none() {
                        cues.push(cue_of(&current, line_chars, lines, phrase.speaker));
                        current.clear();
                    }
                }
                current.push(word);
            }
            if !current.is_empty() {
                cues.push(cue_of(&current, line_chars, lines, phrase.speaker));
            }
        }
        cues.sort_by_key(|c| c.start);
        let mut previous_end = Duration::ZERO;
        for cue in &mut cues {
            cue.start = cue.start.max(previous_end);
            cue.end = cue.end.max(cue.start + Duration::from_millis(1));
            previous_end = cue.end;
        }
        cues
    }

    /// The transcript as SubRip (`.srt`) subtitles with the default [`CueLimits`]: numbered cues from 1,
    /// `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line after each; a cue whose speaker is known starts with
    /// `[Speaker n] `.
    pub fn to_srt(&self) -> String {
        let mut out = String::new();
        for (i, cue) in self.cues(&CueLimits::default()).iter().enumerate() {
            let _ = write!(
                out,
                "{}\n{} --> {}\n",
                i + 1,
                timestamp(cue.start, ','),
                timestamp(cue.end, ',')
            );
            for (j, line) in cue.lines.iter().enumerate() {
                if let (0, Some(speaker)) = (j, cue.speaker) {
                    let _ = write!(out, "[{}] ", speaker_label(speaker));
                }
                out.push_str(&line.replace("-->", "->"));
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }

    /// The transcript as WebVTT (`.vtt`) subtitles with the default [`CueLimits`]: the `WEBVTT` header, then
    /// cues `HH:MM:SS.mmm --> HH:MM:SS.mmm` with `&`, `<` and `>` escaped; a cue whose speaker is known is a
    /// voice span, `<v Speaker n>…`.
    pub fn to_webvtt(&self) -> String {
        let mut out = String::from("WEBVTT\n\n");
        for cue in self.cues(&CueLimits::default()) {
            let _ = writeln!(
                out,
                "{} --> {}",
                timestamp(cue.start, '.'),
                timestamp(cue.end, '.')
            );
            for (j, line) in cue.lines.iter().enumerate() {
                if let (0, Some(speaker)) = (j, cue.speaker) {
                    let _ = write!(out, "<v {}>", speaker_label(speaker));
                }
                let escaped = line
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                out.push_str(&escaped);
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }

    /// The transcript as a JSON value: `duration_s` (when known), `text`, and `phrases`, each with
    /// `offset_ms`, `duration_ms`, `text`, `status`, and, when known, `confidence`, `speaker`, `channel`,
    /// `locale`, `words` (`text`, `offset_ms`, `duration_ms`, `confidence`) and `nbest` (`confidence`,
    /// `lexical`, `itn`, `masked_itn`, `display`).
    pub fn to_json(&self) -> Value {
        let phrases: Vec<Value> = self.phrases.iter().map(phrase_json).collect();
        let mut out = Map::new();
        if let Some(d) = self.duration {
            out.insert("duration_s".into(), json!(d.as_secs_f64()));
        }
        out.insert("text".into(), json!(self.text()));
        out.insert("phrases".into(), Value::Array(phrases));
        Value::Object(out)
    }
}

fn phrase_json(p: &Phrase) -> Value {
    let mut o = Map::new();
    o.insert("offset_ms".into(), json!(millis(p.offset)));
    o.insert("duration_ms".into(), json!(millis(p.duration)));
    o.insert("text".into(), json!(p.text));
    o.insert("status".into(), json!(p.status.as_str()));
    let mut optional = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            o.insert(key.into(), v);
        }
    };
    optional("confidence", p.confidence.map(|c| json!(c)));
    optional("speaker", p.speaker.map(|s| json!(s)));
    optional("channel", p.channel.map(|c| json!(c)));
    optional("locale", p.locale.as_ref().map(|l| json!(l)));
    optional(
        "words",
        (!p.words.is_empty()).then(|| {
            p.words
                .iter()
                .map(|w| {
                    json!({
                        "text": w.text,
                        "offset_ms": millis(w.offset),
                        "duration_ms": millis(w.duration),
                        "confidence": w.confidence,
                    })
                })
                .collect()
        }),
    );
    optional(
        "nbest",
        (!p.nbest.is_empty()).then(|| {
            p.nbest
                .iter()
                .map(|n| {
                    json!({
                        "confidence": n.confidence,
                        "lexical": n.lexical,
                        "itn": n.itn,
                        "masked_itn": n.masked_itn,
                        "display": n.display,
                    })
                })
                .collect()
        }),
    );
    Value::Object(o)
}

/// Whole milliseconds of a duration (saturating).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::new(ticks / 10_000_000, (ticks % 10_000_000) as u32 * 100)
}

/// Line breaks and runs of whitespace become one space; the ends are trimmed.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The words of a phrase with times: the service's word timings when it gave them, else the phrase's time
/// shared out by characters (each word gets its characters plus one for the space after it).
fn timed_words(phrase: &Phrase) -> Vec<TimedWord> {
    if !phrase.words.is_empty() {
        return phrase
            .words
            .iter()
            .filter(|w| !w.text.trim().is_empty())
            .map(|w| TimedWord {
                text: tidy(&w.text),
                ..w.clone()
            })
            .collect();
    }
    let words: Vec<&str> = phrase.text.split_whitespace().collect();
    let weights: Vec<u128> = words
        .iter()
        .map(|w| w.chars().count() as u128 + 1)
        .collect();
    let total: u128 = weights.iter().sum::<u128>().max(1);
    let span = phrase.duration.as_nanos();
    // Integer shares, so that the last word ends exactly where the phrase does.
    let at = |cumulative: u128| {
        let nanos = span * cumulative / total;
        phrase.offset.saturating_add(Duration::new(
            u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
            (nanos % 1_000_000_000) as u32,
        ))
    };
    let mut cumulative = 0u128;
    words
        .iter()
        .zip(&weights)
        .map(|(w, weight)| {
            let start = at(cumulative);
            cumulative += weight;
            TimedWord {
                text: (*w).to_owned(),
                offset: start,
                duration: at(cumulative).saturating_sub(start),
                confidence: None,
            }
        })
        .collect()
}

/// A cue of these words (times from the first word's start to the last word's end).
fn cue_of(words: &[&TimedWord], line_chars: usize, lines: usize, speaker: Option<u32>) -> Cue {
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let lines = break_lines(&texts, line_chars, lines).unwrap_or_else(|| vec![texts.join(" ")]);
    let start = words.first().map_or(Duration::ZERO, |w| w.offset);
    let end = words
        .last()
        .map_or(start, |w| w.offset.saturating_add(w.duration));
    Cue {
        start,
        end,
        lines,
        speaker,
    }
}

/// Breaks words into at most `max_lines` lines of at most `line_chars` characters, as evenly as possible;
/// `None` when they do not fit. A single word longer than a line fits only alone in its cue.
fn break_lines(words: &[&str], line_chars: usize, max_lines: usize) -> Option<Vec<String>> {
    let len = |ws: &[&str]| -> usize {
        ws.iter().map(|w| w.chars().count()).sum::<usize>() + ws.len().saturating_sub(1)
    };
    if words.is_empty() {
        return Some(Vec::new());
    }
    if words.len() == 1 {
        return Some(vec![words[0].to_owned()]);
    }
    if len(words) <= line_chars {
        return Some(vec![words.join(" ")]);
    }
    if max_lines < 2 {
        return None;
    }
    // Two lines (the conventional maximum; more lines are laid out greedily after the first break).
    let best = (1..words.len())
        .filter(|&split| len(&words[..split]) <= line_chars)
        .filter_map(|split| {
            let rest = break_lines(&words[split..], line_chars, max_lines - 1)?;
            let longest = rest
                .iter()
                .map(|l| l.chars().count())
                .chain([len(&words[..split])])
                .max()
                .unwrap_or(0);
            Some((longest, split, rest))
        })
        .min_by_key(|(longest, split, _)| (*longest, *split))?;
    let (_, split, rest) = best;
    let mut lines = vec![words[..split].join(" ")];
    lines.extend(rest);
    Some(lines)
}

/// `HH:MM:SS<sep>mmm` (hours may exceed 99).
fn timestamp(d: Duration, separator: char) -> String {
    let ms = millis(d);
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1_000 % 60,
        ms % 1_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn success(offset_ms: u64, duration_ms: u64, text: &str) -> Recognition {
        Recognition {
            status: Some(RecognitionStatus::Success),
            display_text: Some(text.to_owned()),
            offset_ticks: Some(offset_ms * 10_000),
            duration_ticks: Some(duration_ms * 10_000),
            ..Recognition::default()
        }
    }

    #[test]
    fn segments_are_shifted_onto_the_recording_and_kept_in_order() {
        let mut t = Transcript::new(Some(Duration::from_secs(100)));
        t.push_segment(Duration::from_secs(60), &success(500, 2_000, "Second."));
        t.push_segment(Duration::from_secs(0), &success(250, 1_000, "First."));
        t.push_segment(
            Duration::from_secs(30),
            &Recognition {
                status: Some(RecognitionStatus::NoMatch),
                offset_ticks: Some(0),
                duration_ticks: Some(0),
                ..Recognition::default()
            },
        );
        let offsets: Vec<Duration> = t.phrases.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, vec![ms(250), ms(30_000), ms(60_500)]);
        assert_eq!(t.phrases[2].duration, ms(2_000));
        assert_eq!(t.text(), "First. Second.");
        assert_eq!(t.phrases[1].text, "");
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(ms(0), ','), "00:00:00,000");
        assert_eq!(timestamp(ms(3_723_004), '.'), "01:02:03.004");
        assert_eq!(
            timestamp(Duration::from_secs(100 * 3600), ','),
            "100:00:00,000"
        );
    }

    #[test]
    fn srt_and_webvtt_documents() {
        let mut t = Transcript::default();
        t.push_segment(ms(1_000), &success(0, 2_000, "Hello <world> & you."));
        t.push_segment(ms(4_000), &success(0, 1_500, "Bye\nnow."));
        assert_eq!(
            t.to_srt(),
            "1\n00:00:01,000 --> 00:00:03,000\nHello <world> & you.\n\n\
             2\n00:00:04,000 --> 00:00:05,500\nBye now.\n\n"
        );
        assert_eq!(
            t.to_webvtt(),
            "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello &lt;world&gt; &amp; you.\n\n\
             00:00:04.000 --> 00:00:05.500\nBye now.\n\n"
        );
        assert_eq!(Transcript::default().to_srt(), "");
        assert_eq!(Transcript::default().to_webvtt(), "WEBVTT\n\n");
    }

    #[test]
    fn long_phrases_are_cut_at_words_within_the_limits() {
        let text =
            "And so my fellow Americans, ask not what your country can do for you, ask what you \
                    can do for your country, and the world will listen to what we say here today.";
        let mut t = Transcript::default();
        t.push_segment(ms(0), &success(0, 11_000, text));
        let limits = CueLimits::default();
        let cues = t.cues(&limits);
        assert!(cues.len() >= 2, "{cues:?}");
        let mut words = Vec::new();
        let mut previous_end = Duration::ZERO;
        for cue in &cues {
            assert!(cue.lines.len() <= 2, "{cue:?}");
            assert!(cue.lines.iter().all(|l| l.chars().count() <= 42), "{cue:?}");
            assert!(cue.end - cue.start <= limits.max_duration, "{cue:?}");
            assert!(cue.start >= previous_end && cue.end > cue.start, "{cue:?}");
            previous_end = cue.end;
            words.extend(
                cue.lines
                    .iter()
                    .flat_map(|l| l.split(' ').map(str::to_owned)),
            );
        }
        assert_eq!(words.join(" "), text);
        assert_eq!(cues[0].start, ms(0));
        assert_eq!(cues.last().map(|c| c.end), Some(ms(11_000)));
    }

    #[test]
    fn speakers_are_labelled_from_1_and_lines_leave_room_for_the_label() {
        let mut t = Transcript::default();
        // Pairs of words that make lines of exactly 30 characters: one more than the room the longest label
        // (`<v Speaker 1>`, 13 characters) leaves in 42.
        let text = "aaaaaaaaa bbbbbbbbbbbbbbbbbbbb aaaaaaaaa bbbbbbbbbbbbbbbbbbbb aaaaaaaaa bbbbbbbbbbbbbbbbbbbb";
        let mut a = Phrase::new(ms(0), ms(6_000), text, RecognitionStatus::Success);
        a.speaker = Some(0);
        t.push(a);
        let mut b = Phrase::new(ms(5_000), ms(1_000), "Yes.", RecognitionStatus::Success);
        b.speaker = Some(1);
        t.push(b);
        let srt = t.to_srt();
        assert!(srt.contains("\n[Speaker 1] aaaaaaaaa"), "{srt}");
        assert!(srt.contains("\n[Speaker 2] Yes.\n"), "{srt}");
        assert!(srt.lines().all(|l| l.chars().count() <= 42), "{srt}");
        let vtt = t.to_webvtt();
        assert!(vtt.contains("\n<v Speaker 1>aaaaaaaaa"), "{vtt}");
        assert!(vtt.contains("\n<v Speaker 2>Yes.\n"), "{vtt}");
        assert!(vtt.lines().all(|l| l.chars().count() <= 42), "{vtt}");
    }

    #[test]
    fn a_short_time_limit_splits_by_time() {
        let mut t = Transcript::default();
        t.push_segment(
            ms(0),
            &success(
                0,
                20_000,
                "one two three four five six seven eight nine ten",
            ),
        );
        let cues = t.cues(&CueLimits {
            max_duration: Duration::from_secs(5),
            ..CueLimits::default()
        });
        assert!(cues.len() >= 4, "{cues:?}");
        assert!(cues
            .iter()
            .all(|c| c.end - c.start <= Duration::from_secs(5)));
    }

    #[test]
    fn overlapping_phrases_do_not_overlap_as_cues_and_word_timings_are_used() {
        let mut t = Transcript::default();
        let mut a = Phrase::new(
            ms(0),
            ms(3_000),
            "Speaker one talks.",
            RecognitionStatus::Success,
        );
        a.speaker = Some(1);
        let mut b = Phrase::new(ms(2_000), ms(2_000), "Two.", RecognitionStatus::Success);
        b.words = vec![TimedWord {
            text: "Two.".into(),
            offset: ms(2_500),
            duration: ms(500),
            confidence: Some(0.9),
        }];
        t.push(b);
        t.push(a);
        let cues = t.cues(&CueLimits::default());
        assert_eq!(cues.len(), 2);
        assert_eq!((cues[0].start, cues[0].end), (ms(0), ms(3_000)));
        assert_eq!((cues[1].start, cues[1].end), (ms(3_000), ms(3_001)));
        let json = t.to_json();
        assert_eq!(json["phrases"][0]["speaker"], 1);
        assert_eq!(json["phrases"][1]["words"][0]["offset_ms"], 2_500);
        assert!(json.get("duration_s").is_none());
    }

    #[test]
    fn json_shape() {
        let mut t = Transcript::new(Some(ms(12_500)));
        let mut r = success(100, 900, "Hi.");
        r.nbest = vec![NBest {
            confidence: Some(0.8),
            lexical: Some("hi".into()),
            display: Some("Hi.".into()),
            ..NBest::default()
        }];
        t.push_segment(ms(1_000), &r);
        assert_eq!(
            t.to_json(),
            json!({
                "duration_s": 12.5,
                "text": "Hi.",
                "phrases": [{
                    "offset_ms": 1_100, "duration_ms": 900, "text": "Hi.", "status": "Success",
                    "confidence": 0.8,
                    "nbest": [{"confidence": 0.8, "lexical": "hi", "itn": null, "masked_itn": null,
                               "display": "Hi."}],
                }],
            })
        );
    }

    proptest::proptest! {
        /// Stitching keeps every phrase, orders them by offset, shifts each offset by exactly its segment's
        /// start, and the cues it renders never overlap.
        #[test]
        fn stitching_shifts_exactly_and_keeps_order(
            segments in proptest::collection::vec((0u64..3_600_000, 0u64..60_000, 0u64..60_000), 0..30),
            order_seed in proptest::prelude::any::<u64>(),
        ) {
            let mut shuffled: Vec<(usize, &(u64, u64, u64))> = segments.iter().enumerate().collect();
            // A deterministic shuffle from the seed.
            let mut state = order_seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut t = Transcript::default();
            for (i, &(start_ms, offset_ms, duration_ms)) in &shuffled {
                t.push_segment(ms(start_ms), &success(offset_ms, duration_ms, &format!("phrase {i}")));
            }
            proptest::prop_assert_eq!(t.phrases.len(), segments.len());
            proptest::prop_assert!(t.phrases.windows(2).all(|w| w[0].offset <= w[1].offset));
            for (i, &(start_ms, offset_ms, duration_ms)) in segments.iter().enumerate() {
                let phrase = t
                    .phrases
                    .iter()
                    .find(|p| p.text == format!("phrase {i}"))
                    .expect("every phrase is kept");
                proptest::prop_assert_eq!(phrase.offset, ms(start_ms + offset_ms));
                proptest::prop_assert_eq!(phrase.duration, ms(duration_ms));
            }
            let cues = t.cues(&CueLimits::default());
            proptest::prop_assert!(cues.windows(2).all(|w| w[0].end <= w[1].start));
            proptest::prop_assert!(cues.iter().all(|c| c.end > c.start));
        }
    }

    #[test]
    fn a_word_longer_than_a_line_stands_alone() {
        let long = "x".repeat(60);
        let mut t = Transcript::default();
        t.push_segment(ms(0), &success(0, 3_000, &format!("a {long} b")));
        let cues = t.cues(&CueLimits::default());
        let lines: Vec<&str> = cues
            .iter()
            .flat_map(|c| c.lines.iter().map(String::as_str))
            .collect();
        assert!(lines.contains(&long.as_str()), "{cues:?}");
    }
}
