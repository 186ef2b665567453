//! The SSML the text-to-speech endpoint accepts (spec §3.3), reduced to what the engines need: which voice says
//! which text at which speaking rate.
//!
//! Rules, as the service applies them:
//! - the root is `<speak>` with `version="1.0"` and `xml:lang`; `xmlns` is optional (Microsoft's own REST sample
//!   omits it) but, when present, must be `http://www.w3.org/2001/10/synthesis`;
//! - `<speak>` holds only `<voice>` and `<mstts:backgroundaudio>` elements; text or `<prosody>` directly inside it
//!   is an error;
//! - at least one `<voice>`, each with a non-empty `name`; at most 50 `<voice>` plus `<audio>` elements;
//! - inside a voice every element is accepted and its text kept, with these meanings: `prosody rate` changes the
//!   speaking rate, `sub` is spoken as its `alias`, `break`, `mstts:silence`, `s` and `p` separate words;
//! - entities (`&amp;` … and numeric references) are decoded and whitespace is collapsed;
//! - documents over [`MAX_SSML_BYTES`], DOCTYPE declarations and nesting deeper than [`MAX_DEPTH`] are refused.

use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Largest SSML document accepted, in bytes (the service documents 64 KB per turn for its WebSocket path, §3.6).
pub const MAX_SSML_BYTES: usize = 64 * 1024;
/// Most `<voice>` plus `<audio>` elements in one document (spec §3.6).
pub const MAX_VOICE_ELEMENTS: usize = 50;
/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// The SSML namespace; the only `xmlns` value accepted on `<speak>`.
pub const SSML_NAMESPACE: &str = "http://www.w3.org/2001/10/synthesis";

/// Slowest and fastest speaking-rate multipliers the service renders (Azure documents 0.5x to 2x).
const RATE_RANGE: (f64, f64) = (0.5, 2.0);

/// A parsed SSML document.
#[derive(Clone, Debug, PartialEq)]
pub struct Speak {
    /// The `xml:lang` of `<speak>`, e.g. `en-US`.
    pub lang: String,
    /// Stretches of text in document order. A voice yields one segment per change of speaking rate; a voice
    /// without any text yields one segment with empty `text`, so that its name is still checked.
    pub segments: Vec<Segment>,
}

/// One stretch of text spoken by one voice at one rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// The `name` attribute of the enclosing `<voice>` as written (a ShortName or the long Name form).
    pub voice: String,
    /// The text to speak, entities decoded and whitespace collapsed to single spaces.
    pub text: String,
    /// Speaking-rate multiplier (1.0 = default), from the enclosing `<prosody rate>` elements, within 0.5..=2.0.
    pub rate: f64,
    /// The `<bookmark mark="…"/>` elements in it: the byte offset in `text` where the next word starts (or its
    /// length, at the end), and the mark's name.
    pub bookmarks: Vec<(usize, String)>,
}

/// Stands in the collected text for a bookmark until whitespace is collapsed (a private-use character; any in
/// the document's own text is spoken as a space).
const MARK: char = '\u{E000}';

/// Why an SSML document was refused. `Display` says exactly what is wrong (the server answers 400 with it).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SsmlError {
    /// The document is larger than [`MAX_SSML_BYTES`].
    TooLarge {
        /// Size of the document in bytes.
        len: usize,
    },
    /// The document is empty or only whitespace, comments and declarations.
    Empty,
    /// The XML is not well-formed.
    Xml {
        /// Byte offset near the problem.
        position: u64,
        /// The XML parser's description.
        message: String,
    },
    /// A `<!DOCTYPE …>` declaration (refused: SSML needs none, and it could define entities).
    Doctype,
    /// The root element is not `<speak>`.
    RootNotSpeak {
        /// The root element's name.
        found: String,
    },
    /// A required attribute is missing or empty.
    MissingAttribute {
        /// The element.
        element: String,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute has a value the service does not accept.
    InvalidAttribute {
        /// The element.
        element: String,
        /// The attribute.
        attribute: String,
        /// The value found.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// `<speak>` contains an element other than `<voice>` or `<mstts:backgroundaudio>`.
    NotAllowedInSpeak {
        /// The element's name.
        element: String,
    },
    /// `<speak>` contains text outside any `<voice>`.
    TextInSpeak {
        /// The start of the text.
        text: String,
    },
    /// A `<voice>` inside another `<voice>`.
    NestedVoice,
    /// No `<voice>` element at all.
    NoVoice,
    /// More than [`MAX_VOICE_ELEMENTS`] `<voice>` and `<audio>` elements.
    TooManyVoices {
        /// How many were found before giving up.
        count: usize,
    },
    /// Elements nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The document ended while an element was still open.
    Unclosed {
        /// The innermost open element.
        element: String,
    },
    /// Something other than whitespace or comments after `</speak>`.
    ContentAfterRoot,
}

impl fmt::Display for SsmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len } => write!(
                f,
                "SSML document is {len} bytes; the limit is {MAX_SSML_BYTES} bytes (64 KiB)"
            ),
            Self::Empty => f.write_str("SSML document is empty: expected a <speak> element"),
            Self::Xml { position, message } => {
                write!(f, "SSML is not well-formed XML (near byte {position}): {message}")
            }
            Self::Doctype => f.write_str("SSML must not contain a <!DOCTYPE> declaration"),
            Self::RootNotSpeak { found } => {
                write!(f, "the root element of SSML must be <speak>, found <{found}>")
            }
            Self::MissingAttribute { element, attribute } => {
                write!(f, "<{element}> is missing the required attribute {attribute}")
            }
            Self::InvalidAttribute {
                element,
                attribute,
                value,
                expected,
            } => write!(
                f,
                "<{element}> has an invalid {attribute}=\"{value}\": expected {expected}"
            ),
            Self::NotAllowedInSpeak { element } => write!(
                f,
                "<speak> may contain only <voice> and <mstts:backgroundaudio> elements, found <{element}>; put it inside a <voice>"
            ),
            Self::TextInSpeak { text } => write!(
                f,
                "text directly inside <speak> must be inside a <voice> element: \"{text}\""
            ),
            Self::NestedVoice => f.write_str("a <voice> element cannot contain another <voice>"),
            Self::NoVoice => f.write_str("SSML must contain at least one <voice name=\"…\"> element"),
            Self::TooManyVoices { count } => write!(
                f,
                "SSML has {count} <voice> and <audio> elements; the limit is {MAX_VOICE_ELEMENTS}"
            ),
            Self::TooDeep => write!(f, "SSML elements are nested deeper than {MAX_DEPTH} levels"),
            Self::Unclosed { element } => {
                write!(f, "SSML ends before <{element}> is closed")
            }
            Self::ContentAfterRoot => f.write_str("SSML has content after the closing </speak>"),
        }
    }
}

impl std::error::Error for SsmlError {}

/// What an open element means for the text inside it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Frame {
    Speak,
    /// `mstts:backgroundaudio` under speak: its content (if any) is ignored.
    Ignored,
    Voice,
    /// Any element inside a voice; `rate` is the speaking rate in force inside it, `mute` hides its text
    /// (the content of a `sub` whose alias was spoken instead), `boundary` marks elements that separate words.
    Inner {
        rate: f64,
        mute: bool,
        boundary: bool,
    },
}

struct Builder {
    lang: Option<String>,
    segments: Vec<Segment>,
    stack: Vec<Frame>,
    voice_elements: usize,
    voices: usize,
    /// The open voice: its name, the text collected for the current rate, that rate, and whether it produced a
    /// segment yet.
    voice: Option<OpenVoice>,
    root_closed: bool,
    /// Byte offset of the event being handled, for error messages.
    position: u64,
}

struct OpenVoice {
    name: String,
    text: String,
    rate: f64,
    produced: bool,
    /// The names of the bookmarks whose [`MARK`]s are in `text`, in order.
    marks: Vec<String>,
}

/// Parse and validate an SSML document.
pub fn parse(ssml: &str) -> Result<Speak, SsmlError> {
    if ssml.len() > MAX_SSML_BYTES {
        return Err(SsmlError::TooLarge { len: ssml.len() });
    }
    let mut reader = Reader::from_str(ssml);
    {
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
    }
    let mut b = Builder {
        lang: None,
        segments: Vec::new(),
        stack: Vec::new(),
        voice_elements: 0,
        voices: 0,
        voice: None,
        root_closed: false,
        position: 0,
    };
    loop {
        let position = reader.buffer_position();
        b.position = position;
        let event = reader.read_event().map_err(|e| SsmlError::Xml {
            position,
            message: e.to_string(),
        })?;
        let xml_err = |e: &dyn fmt::Display| SsmlError::Xml {
            position,
            message: e.to_string(),
        };
        match event {
            Event::Start(e) => b.start(&e)?,
            Event::End(_) => b.end(),
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| xml_err(&e))?;
                b.text(&text)?;
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|e| xml_err(&e))?;
                b.text(&text)?;
            }
            Event::DocType(_) => return Err(SsmlError::Doctype),
            Event::Empty(e) => {
                // Not produced with expand_empty_elements, but handled the same way for safety.
                b.start(&e)?;
                b.end();
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = b.stack.last() {
        let element = match open {
            Frame::Speak => "speak",
            Frame::Voice => "voice",
            Frame::Ignored | Frame::Inner { .. } => "an element inside <speak>",
        };
        return Err(SsmlError::Unclosed {
            element: element.to_owned(),
        });
    }
    let Some(lang) = b.lang else {
        return Err(SsmlError::Empty);
    };
    if b.voices == 0 {
        return Err(SsmlError::NoVoice);
    }
    Ok(Speak {
        lang,
        segments: b.segments,
    })
}

fn name_of(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn local_name_of(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// The attributes of an element, unescaped, keyed by their qualified name.
fn attributes(e: &BytesStart<'_>, position: u64) -> Result<Vec<(String, String)>, SsmlError> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| SsmlError::Xml {
            position,
            message: format!("in <{}>: {err}", name_of(e)),
        })?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|err| SsmlError::Xml {
                position,
                message: format!("in attribute {key} of <{}>: {err}", name_of(e)),
            })?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Elements that separate words (their edges become spaces).
fn is_boundary(local: &str) -> bool {
    matches!(
        local,
        "s" | "p" | "break" | "silence" | "bookmark" | "audio" | "voice"
    )
}

impl Builder {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), SsmlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SsmlError::TooDeep);
        }
        let local = local_name_of(e);
        let parent = self.stack.last().copied();
        let frame = match parent {
            None => {
                if self.root_closed {
                    return Err(SsmlError::ContentAfterRoot);
                }
                if local != "speak" {
                    return Err(SsmlError::RootNotSpeak { found: name_of(e) });
                }
                self.open_speak(e)?;
                Frame::Speak
            }
            Some(Frame::Speak) => match local.as_str() {
                "voice" => {
                    self.open_voice(e)?;
                    Frame::Voice
                }
                "backgroundaudio" => Frame::Ignored,
                _ => {
                    return Err(SsmlError::NotAllowedInSpeak {
                        element: name_of(e),
                    })
                }
            },
            Some(Frame::Ignored) => Frame::Ignored,
            Some(Frame::Voice) | Some(Frame::Inner { .. }) => {
                if local == "voice" {
                    return Err(SsmlError::NestedVoice);
                }
                if local == "audio" {
                    self.count_voice_element()?;
                }
                let (rate, mute) = match parent {
                    Some(Frame::Inner { rate, mute, .. }) => (rate, mute),
                    _ => (1.0, false),
                };
                let attrs = attributes(e, self.position)?;
                let rate = match (local.as_str(), attr(&attrs, "rate")) {
                    ("prosody", Some(value)) => parse_rate(value, rate)?,
                    _ => rate,
                };
                let mut mute = mute;
                let boundary = is_boundary(&local);
                if boundary {
                    self.push_text(" ", rate, mute);
                }
                if local == "bookmark" && !mute {
                    if let (Some(mark), Some(voice)) = (attr(&attrs, "mark"), self.voice.as_mut()) {
                        voice.text.push(MARK);
                        voice.text.push(' ');
                        voice.marks.push(mark.to_owned());
                    }
                }
                if local == "sub" {
                    if let Some(alias) = attr(&attrs, "alias") {
                        self.push_text(alias, rate, mute);
                        mute = true;
                    }
                }
                Frame::Inner {
                    rate,
                    mute,
                    boundary,
                }
            }
        };
        self.stack.push(frame);
        Ok(())
    }

    fn end(&mut self) {
        // quick-xml checks that end tags match their start tags, so the stack is never empty here.
        let Some(frame) = self.stack.pop() else {
            return;
        };
        match frame {
            Frame::Speak => self.root_closed = true,
            Frame::Voice => self.close_voice(),
            Frame::Inner {
                rate,
                mute,
                boundary: true,
            } => self.push_text(" ", rate, mute),
            Frame::Inner { .. } => {}
            Frame::Ignored => {}
        }
    }

    fn text(&mut self, text: &str) -> Result<(), SsmlError> {
        match self.stack.last().copied() {
            None => {
                if text.trim().is_empty() {
                    Ok(())
                } else if self.root_closed {
                    Err(SsmlError::ContentAfterRoot)
                } else {
                    // quick-xml reports text before the root as an event; say it the service's way.
                    Err(SsmlError::RootNotSpeak {
                        found: "text".into(),
                    })
                }
            }
            Some(Frame::Speak) => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    Ok(())
                } else {
                    Err(SsmlError::TextInSpeak {
                        text: trimmed.chars().take(40).collect(),
                    })
                }
            }
            Some(Frame::Ignored) => Ok(()),
            Some(Frame::Voice) => {
                self.push_text(text, 1.0, false);
                Ok(())
            }
            Some(Frame::Inner { rate, mute, .. }) => {
                self.push_text(text, rate, mute);
                Ok(())
            }
        }
    }

    fn open_speak(&mut self, e: &BytesStart<'_>) -> Result<(), SsmlError> {
        let attrs = attributes(e, self.position)?;
        match attr(&attrs, "version") {
            None => {
                return Err(SsmlError::MissingAttribute {
                    element: "speak".into(),
                    attribute: "version=\"1.0\"",
                })
            }
            Some(v) if v.trim() == "1.0" => {}
            Some(v) => {
                return Err(SsmlError::InvalidAttribute {
                    element: "speak".into(),
                    attribute: "version".into(),
                    value: v.to_owned(),
                    expected: "1.0",
                })
            }
        }
        let lang = attr(&attrs, "xml:lang").map(str::trim).unwrap_or("");
        if lang.is_empty() {
            return Err(SsmlError::MissingAttribute {
                element: "speak".into(),
                attribute: "xml:lang",
            });
        }
        if let Some(ns) = attr(&attrs, "xmlns") {
            if ns.trim() != SSML_NAMESPACE {
                return Err(SsmlError::InvalidAttribute {
                    element: "speak".into(),
                    attribute: "xmlns".into(),
                    value: ns.to_owned(),
                    expected: "http://www.w3.org/2001/10/synthesis",
                });
            }
        }
        self.lang = Some(lang.to_owned());
        Ok(())
    }

    fn count_voice_element(&mut self) -> Result<(), SsmlError> {
        self.voice_elements += 1;
        if self.voice_elements > MAX_VOICE_ELEMENTS {
            return Err(SsmlError::TooManyVoices {
                count: self.voice_elements,
            });
        }
        Ok(())
    }

    fn open_voice(&mut self, e: &BytesStart<'_>) -> Result<(), SsmlError> {
        self.count_voice_element()?;
        let attrs = attributes(e, self.position)?;
        let name = attr(&attrs, "name").map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Err(SsmlError::MissingAttribute {
                element: "voice".into(),
                attribute: "name",
            });
        }
        self.voices += 1;
        self.voice = Some(OpenVoice {
            name: name.to_owned(),
            text: String::new(),
            rate: 1.0,
            produced: false,
            marks: Vec::new(),
        });
        Ok(())
    }

    /// Append text spoken at `rate`; a change of rate closes the current segment.
    fn push_text(&mut self, text: &str, rate: f64, mute: bool) {
        if mute {
            return;
        }
        let Some(voice) = self.voice.as_mut() else {
            return;
        };
        if voice.rate != rate {
            if !text.trim().is_empty() {
                Self::flush(&mut self.segments, voice);
                voice.rate = rate;
            } else {
                // Pure whitespace at a rate change still separates words.
                voice.text.push(' ');
                return;
            }
        }
        if text.contains(MARK) {
            voice.text.push_str(&text.replace(MARK, " "));
        } else {
            voice.text.push_str(text);
        }
    }

    /// Move the collected text of `voice` into a segment, if it has any words.
    fn flush(segments: &mut Vec<Segment>, voice: &mut OpenVoice) {
        let mut text = String::with_capacity(voice.text.len());
        let mut bookmarks = Vec::new();
        let mut names = voice.marks.drain(..);
        for word in voice.text.split_whitespace() {
            if word.len() == MARK.len_utf8() && word.starts_with(MARK) {
                bookmarks.push((text.len(), names.next().unwrap_or_default()));
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(word);
        }
        drop(names);
        voice.text.clear();
        // A bookmark before a space points at the word after it.
        for (at, _) in &mut bookmarks {
            if text.as_bytes().get(*at) == Some(&b' ') {
                *at += 1;
            }
        }
        if !text.is_empty() || !bookmarks.is_empty() {
            segments.push(Segment {
                voice: voice.name.clone(),
                text,
                rate: voice.rate,
                bookmarks,
            });
            voice.produced = true;
        }
    }

    fn close_voice(&mut self) {
        if let Some(mut voice) = self.voice.take() {
            Self::flush(&mut self.segments, &mut voice);
            if !voice.produced {
                self.segments.push(Segment {
                    voice: voice.name,
                    text: String::new(),
                    rate: 1.0,
                    bookmarks: Vec::new(),
                });
            }
        }
    }
}

/// Read a `prosody rate` value relative to the rate in force (`current`): the keywords `x-slow` … `x-fast` and
/// `default` (absolute), `+20%` / `-10%` (relative change), `80%` (percentage of the current rate) and a plain
/// number such as `1.5` (multiplier of the current rate). The result is kept within 0.5..=2.0.
fn parse_rate(value: &str, current: f64) -> Result<f64, SsmlError> {
    let v = value.trim();
    let invalid = || {
        SsmlError::InvalidAttribute {
        element: "prosody".into(),
        attribute: "rate".into(),
        value: value.to_owned(),
        expected: "x-slow, slow, medium, fast, x-fast, default, a relative change like +20% or -10%, or a multiplier like 1.5",
    }
    };
    let rate = match v.to_ascii_lowercase().as_str() {
        "x-slow" => 0.5,
        "slow" => 0.64,
        "medium" | "default" => 1.0,
        "fast" => 1.55,
        "x-fast" => 2.0,
        _ => {
            if let Some(number) = v.strip_suffix('%') {
                let n: f64 = number.trim().parse().map_err(|_| invalid())?;
                if number.starts_with('+') || number.starts_with('-') {
                    current * (1.0 + n / 100.0)
                } else {
                    current * n / 100.0
                }
            } else {
                let n: f64 = v.parse().map_err(|_| invalid())?;
                if v.starts_with('+') || v.starts_with('-') {
                    // A signed plain number is a relative change in the SSML spec; Azure's docs only show
                    // multipliers and percentages, so accept it as a relative change of the multiplier.
                    current + n
                } else {
                    current * n
                }
            }
        }
    };
    if !rate.is_finite() || rate <= 0.0 {
        return Err(invalid());
    }
    Ok(rate.clamp(RATE_RANGE.0, RATE_RANGE.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(voice: &str, text: &str, rate: f64) -> Segment {
        Segment {
            bookmarks: Vec::new(),
            voice: voice.into(),
            text: text.into(),
            rate,
        }
    }

    fn speak(inner: &str) -> String {
        format!(
            "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xmlns:mstts=\"https://www.w3.org/2001/mstts\" xml:lang=\"en-US\">{inner}</speak>"
        )
    }

    #[test]
    fn the_documented_minimal_shape() {
        let doc = "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">\n  <voice name=\"en-US-AvaNeural\">Text to speak.</voice>\n</speak>";
        let parsed = parse(doc).expect("valid");
        assert_eq!(parsed.lang, "en-US");
        assert_eq!(
            parsed.segments,
            vec![seg("en-US-AvaNeural", "Text to speak.", 1.0)]
        );
    }

    #[test]
    fn microsofts_rest_sample_without_xmlns() {
        let doc = "<speak version='1.0' xml:lang='en-US'><voice xml:lang='en-US' xml:gender='Male'\n    name='en-US-ChristopherNeural'>\n        I'm excited to try text to speech!\n</voice></speak>";
        let parsed = parse(doc).expect("valid");
        assert_eq!(
            parsed.segments,
            vec![seg(
                "en-US-ChristopherNeural",
                "I'm excited to try text to speech!",
                1.0
            )]
        );
        // And the 2019 sample's long voice name is kept as written.
        let doc = "<speak version='1.0' xml:lang='en-US'><voice name='Microsoft Server Speech Text to Speech Voice (en-US, ZiraRUS)'>Hi</voice></speak>";
        assert_eq!(
            parse(doc).expect("valid").segments[0].voice,
            "Microsoft Server Speech Text to Speech Voice (en-US, ZiraRUS)"
        );
    }

    #[test]
    fn bookmarks_point_at_the_next_word() {
        let doc = speak(
            "<voice name=\"v\"><bookmark mark='start'/>One <bookmark mark=\"two\"/> two\u{E000}three<bookmark mark='end'/></voice>",
        );
        let parsed = parse(&doc).expect("valid");
        let s = &parsed.segments[0];
        assert_eq!(s.text, "One two three");
        assert_eq!(
            s.bookmarks,
            vec![
                (0, "start".to_owned()),
                (4, "two".to_owned()),
                (13, "end".to_owned())
            ]
        );
        let only = parse(&speak("<voice name=\"v\"><bookmark mark='m'/></voice>")).expect("valid");
        assert_eq!(only.segments[0].bookmarks, vec![(0, "m".to_owned())]);
    }

    #[test]
    fn entities_and_whitespace() {
        let doc = speak("<voice name=\"v\">  Tom &amp; Jerry &lt;3 &quot;cheese&quot; &apos;n&apos; &#72;&#x69;\n\n\t!  </voice>");
        assert_eq!(
            parse(&doc).expect("valid").segments[0].text,
            "Tom & Jerry <3 \"cheese\" 'n' Hi !"
        );
        let doc = speak("<voice name=\"v\"><![CDATA[a < b]]></voice>");
        assert_eq!(parse(&doc).expect("valid").segments[0].text, "a < b");
        let doc = speak("<voice name=\"a &amp; b\">x</voice>");
        assert_eq!(parse(&doc).expect("valid").segments[0].voice, "a & b");
        // An undefined entity is an XML error.
        let err = parse(&speak("<voice name=\"v\">&nbsp;</voice>")).unwrap_err();
        assert!(matches!(err, SsmlError::Xml { .. }), "{err:?}");
        // A bare ampersand is too.
        assert!(matches!(
            parse(&speak("<voice name=\"v\">A & B</voice>")),
            Err(SsmlError::Xml { .. })
        ));
    }

    #[test]
    fn inner_elements_keep_their_text() {
        let doc = speak(
            "<voice name=\"en-US-JennyNeural\"><mstts:express-as style=\"cheerful\">Hello</mstts:express-as>\
             <break time=\"500ms\"/>world.<s>One</s><s>two</s><p>three</p>\
             <say-as interpret-as=\"cardinal\">42</say-as> <sub alias=\"World Wide Web\">WWW</sub> \
             <phoneme alphabet=\"ipa\" ph=\"təˈmeɪtoʊ\">tomato</phoneme> <emphasis>really</emphasis> \
             <lang xml:lang=\"de-DE\">danke</lang><mstts:silence type=\"Sentenceboundary\" value=\"200ms\"/>\
             <bookmark mark=\"m\"/>end <unknown-thing>kept</unknown-thing></voice>",
        );
        let parsed = parse(&doc).expect("valid");
        let text = "Hello world. One two three 42 World Wide Web tomato really danke end kept";
        let mut expected = seg("en-US-JennyNeural", text, 1.0);
        expected.bookmarks = vec![(text.find("end").unwrap(), "m".to_owned())];
        assert_eq!(parsed.segments, vec![expected]);
    }

    #[test]
    fn prosody_rates() {
        for (value, expected) in [
            ("x-slow", 0.5),
            ("slow", 0.64),
            ("medium", 1.0),
            ("default", 1.0),
            ("fast", 1.55),
            ("x-fast", 2.0),
            ("X-FAST", 2.0),
            ("+20%", 1.2),
            ("-10%", 0.9),
            ("+0%", 1.0),
            ("80%", 0.8),
            ("1.5", 1.5),
            ("0.75", 0.75),
            ("5", 2.0),
            ("-90%", 0.5),
            (" +50.00% ", 1.5),
        ] {
            let doc = speak(&format!(
                "<voice name=\"v\"><prosody rate=\"{value}\">x</prosody></voice>"
            ));
            let segments = parse(&doc).expect(value).segments;
            assert_eq!(segments.len(), 1);
            assert!(
                (segments[0].rate - expected).abs() < 1e-9,
                "{value}: {}",
                segments[0].rate
            );
        }
        for bad in ["fastest", "", "%", "abc%", "0", "-100%", "NaN", "inf"] {
            let doc = speak(&format!(
                "<voice name=\"v\"><prosody rate=\"{bad}\">x</prosody></voice>"
            ));
            let err = parse(&doc).unwrap_err();
            assert!(
                matches!(err, SsmlError::InvalidAttribute { .. }),
                "{bad}: {err:?}"
            );
            assert!(err.to_string().contains("rate"), "{err}");
        }
    }

    #[test]
    fn rate_changes_split_segments_and_nest() {
        let doc = speak(
            "<voice name=\"a\">Normal <prosody rate=\"x-slow\" pitch=\"+5%\" volume=\"loud\">slow \
             <prosody rate=\"200%\">nested</prosody></prosody> back</voice>\
             <voice name=\"b\"><prosody rate=\"1.5\">fast only</prosody></voice><voice name=\"c\"/>",
        );
        let parsed = parse(&doc).expect("valid");
        assert_eq!(
            parsed.segments,
            vec![
                seg("a", "Normal", 1.0),
                seg("a", "slow", 0.5),
                seg("a", "nested back", 1.0),
                seg("b", "fast only", 1.5),
                seg("c", "", 1.0),
            ]
        );
    }

    #[test]
    fn speak_attribute_errors() {
        let cases: [(&str, &str); 6] = [
            ("<speak xml:lang=\"en-US\"><voice name=\"v\">x</voice></speak>", "version"),
            ("<speak version=\"1.1\" xml:lang=\"en-US\"><voice name=\"v\">x</voice></speak>", "version=\"1.1\""),
            ("<speak version=\"1.0\"><voice name=\"v\">x</voice></speak>", "xml:lang"),
            ("<speak version=\"1.0\" xml:lang=\" \"><voice name=\"v\">x</voice></speak>", "xml:lang"),
            ("<speak version=\"1.0\" xml:lang=\"en-US\" xmlns=\"urn:other\"><voice name=\"v\">x</voice></speak>", "xmlns"),
            ("<speek version=\"1.0\" xml:lang=\"en-US\"><voice name=\"v\">x</voice></speek>", "<speek>"),
        ];
        for (doc, needle) in cases {
            let err = parse(doc).unwrap_err();
            assert!(err.to_string().contains(needle), "{doc}: {err}");
        }
    }

    #[test]
    fn structure_errors() {
        let err = parse(&speak("Hello <voice name=\"v\">x</voice>")).unwrap_err();
        assert_eq!(
            err,
            SsmlError::TextInSpeak {
                text: "Hello".into()
            }
        );
        let err = parse(&speak(
            "<prosody rate=\"fast\"><voice name=\"v\">x</voice></prosody>",
        ))
        .unwrap_err();
        assert_eq!(
            err,
            SsmlError::NotAllowedInSpeak {
                element: "prosody".into()
            }
        );
        assert!(err.to_string().contains("<prosody>"));
        assert_eq!(parse(&speak("")).unwrap_err(), SsmlError::NoVoice);
        assert_eq!(
            parse(&speak("<voice>x</voice>")).unwrap_err(),
            SsmlError::MissingAttribute {
                element: "voice".into(),
                attribute: "name"
            }
        );
        assert!(matches!(
            parse(&speak("<voice name=\"\">x</voice>")),
            Err(SsmlError::MissingAttribute { .. })
        ));
        assert_eq!(
            parse(&speak(
                "<voice name=\"a\"><voice name=\"b\">x</voice></voice>"
            ))
            .unwrap_err(),
            SsmlError::NestedVoice
        );
        assert_eq!(parse("").unwrap_err(), SsmlError::Empty);
        assert_eq!(parse("  <!-- nothing -->  ").unwrap_err(), SsmlError::Empty);
        assert_eq!(
            parse("<?xml version=\"1.0\"?>").unwrap_err(),
            SsmlError::Empty
        );
        assert!(matches!(
            parse("just text"),
            Err(SsmlError::RootNotSpeak { .. })
        ));
        let err = parse(&format!("{}<speak/>", speak("<voice name=\"v\">x</voice>"))).unwrap_err();
        assert_eq!(err, SsmlError::ContentAfterRoot);
        assert_eq!(
            parse(&format!(
                "{} trailing",
                speak("<voice name=\"v\">x</voice>")
            ))
            .unwrap_err(),
            SsmlError::ContentAfterRoot
        );
        let unclosed = "<speak version=\"1.0\" xml:lang=\"en-US\"><voice name=\"v\">x";
        assert!(parse(unclosed).is_err());
        let mismatched = speak("<voice name=\"v\">x</prosody>");
        assert!(matches!(parse(&mismatched), Err(SsmlError::Xml { .. })));
        let doctype = format!(
            "<!DOCTYPE speak [<!ENTITY e \"boom\">]>{}",
            speak("<voice name=\"v\">&e;</voice>")
        );
        assert_eq!(parse(&doctype).unwrap_err(), SsmlError::Doctype);
        let duplicate = "<speak version=\"1.0\" version=\"1.0\" xml:lang=\"en-US\"><voice name=\"v\">x</voice></speak>";
        assert!(matches!(parse(duplicate), Err(SsmlError::Xml { .. })));
    }

    #[test]
    fn background_audio_is_ignored() {
        let doc = speak(
            "<mstts:backgroundaudio src=\"https://example.com/a.wav\" volume=\"0.7\"/><voice name=\"v\">x</voice>",
        );
        assert_eq!(
            parse(&doc).expect("valid").segments,
            vec![seg("v", "x", 1.0)]
        );
    }

    #[test]
    fn fifty_voice_and_audio_elements_at_most() {
        let fifty: String = (0..50)
            .map(|i| format!("<voice name=\"v{i}\">w{i}</voice>"))
            .collect();
        assert_eq!(parse(&speak(&fifty)).expect("valid").segments.len(), 50);
        let fifty_one = format!("{fifty}<voice name=\"x\">y</voice>");
        assert_eq!(
            parse(&speak(&fifty_one)).unwrap_err(),
            SsmlError::TooManyVoices { count: 51 }
        );
        let with_audio = format!(
            "{}<voice name=\"x\"><audio src=\"a.wav\">fallback</audio></voice>",
            &fifty[..fifty.len() - "<voice name=\"v49\">w49</voice>".len()]
        );
        assert_eq!(
            parse(&speak(&with_audio)).unwrap_err(),
            SsmlError::TooManyVoices { count: 51 }
        );
        assert!(SsmlError::TooManyVoices { count: 51 }
            .to_string()
            .contains("50"));
    }

    #[test]
    fn size_and_depth_limits() {
        let big = speak(&format!(
            "<voice name=\"v\">{}</voice>",
            "a".repeat(MAX_SSML_BYTES)
        ));
        let err = parse(&big).unwrap_err();
        assert_eq!(err, SsmlError::TooLarge { len: big.len() });
        assert!(err.to_string().contains("65536"));
        let deep = speak(&format!(
            "<voice name=\"v\">{}x{}</voice>",
            "<s>".repeat(MAX_DEPTH),
            "</s>".repeat(MAX_DEPTH)
        ));
        assert_eq!(parse(&deep).unwrap_err(), SsmlError::TooDeep);
        let ok = speak(&format!(
            "<voice name=\"v\">{}x{}</voice>",
            "<s>".repeat(10),
            "</s>".repeat(10)
        ));
        assert_eq!(parse(&ok).expect("valid").segments[0].text, "x");
    }

    #[test]
    fn sub_without_alias_keeps_its_text() {
        let doc = speak("<voice name=\"v\"><sub>as written</sub></voice>");
        assert_eq!(parse(&doc).expect("valid").segments[0].text, "as written");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parse_never_panics(input in ".{0,300}") {
            let _ = parse(&input);
        }

        #[test]
        fn parse_never_panics_on_ssml_like_input(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<speak version=\"1.0\" xml:lang=\"en-US\">".to_string()),
                    Just("</speak>".to_string()),
                    Just("<voice name=\"v\">".to_string()),
                    Just("</voice>".to_string()),
                    Just("<prosody rate=\"+20%\">".to_string()),
                    Just("</prosody>".to_string()),
                    Just("<sub alias=\"x\">".to_string()),
                    Just("<break/>".to_string()),
                    Just("&amp;".to_string()),
                    Just("&#x1F600;".to_string()),
                    Just("<![CDATA[".to_string()),
                    Just("]]>".to_string()),
                    "[a-z <>&;\"'/=]{0,12}",
                ],
                0..24,
            )
        ) {
            let doc: String = parts.concat();
            if let Ok(speak) = parse(&doc) {
                for s in speak.segments {
                    prop_assert!((0.5..=2.0).contains(&s.rate));
                    prop_assert_eq!(s.text.trim(), s.text.as_str());
                }
            }
        }
    }
}
