//! Every SSML document the builder writes parses with an independent XML parser (`quick-xml`) back to the
//! exact text and attribute values it was given.

use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::Reader;
use speech_proto::synthesize::{Break, Prosody, Ssml, VoiceSegment};
use speech_proto::{Error, Misuse};

/// Characters XML 1.0 can carry (and the builder accepts): no control characters but tab, LF and CR, no
/// U+FFFE/U+FFFF. Markup characters and whitespace are drawn often.
fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>().prop_filter("XML 1.0 character", |c| {
            (!c.is_control() || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
        }),
        2 => prop::sample::select(vec!['&', '<', '>', '"', '\'', '\r', '\n', '\t', ' ', ';', '#', ']']),
    ]
}

fn xml_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(xml_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

#[derive(Debug, Default, PartialEq)]
struct Parsed {
    lang: String,
    voice_name: String,
    voice_text: String,
    prosody_rate: String,
    prosody_pitch: String,
    prosody_text: String,
    breaks: usize,
}

fn parse(xml: &str) -> Parsed {
    let mut reader = Reader::from_str(xml);
    let mut out = Parsed::default();
    let mut stack: Vec<String> = Vec::new();
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{e}: {xml}")) {
            Event::Empty(e) if e.name().as_ref() == b"break" => out.breaks += 1,
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                for a in e.attributes() {
                    let a = a.unwrap();
                    let value = a.unescape_value().unwrap().into_owned();
                    match (name.as_str(), a.key.as_ref()) {
                        ("speak", b"xml:lang") => out.lang = value,
                        ("speak", b"version") => assert_eq!(value, "1.0"),
                        ("speak", b"xmlns") => {
                            assert_eq!(value, "http://www.w3.org/2001/10/synthesis")
                        }
                        ("voice", b"name") => out.voice_name = value,
                        ("prosody", b"rate") => out.prosody_rate = value,
                        ("prosody", b"pitch") => out.prosody_pitch = value,
                        (el, key) => panic!(
                            "unexpected attribute {:?} on {el}",
                            String::from_utf8_lossy(key)
                        ),
                    }
                }
                stack.push(name);
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                let text = t.unescape().unwrap();
                match stack.last().map(String::as_str) {
                    Some("voice") => out.voice_text.push_str(&text),
                    Some("prosody") => out.prosody_text.push_str(&text),
                    other => panic!("text {text:?} under {other:?}"),
                }
            }
            Event::Eof => break,
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(stack.is_empty());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn ssml_round_trips_through_an_xml_parser(
        name in xml_string(20).prop_filter("non-empty", |s| !s.is_empty()),
        text_a in xml_string(40),
        text_b in xml_string(40),
        prosody_text in xml_string(40),
        rate in xml_string(12).prop_filter("non-empty", |s| !s.is_empty()),
        pitch in xml_string(12).prop_filter("non-empty", |s| !s.is_empty()),
        pause_ms in 0u64..20_000,
    ) {
        let ssml = Ssml::new("en-US").voice(
            VoiceSegment::new(name.clone())
                .text(text_a.clone())
                .pause(Break::Time(std::time::Duration::from_millis(pause_ms)))
                .text(text_b.clone())
                .prosody(Prosody::new().rate(rate.clone()).pitch(pitch.clone()), prosody_text.clone()),
        );
        let xml = ssml.to_xml().unwrap();
        let parsed = parse(&xml);
        prop_assert_eq!(parsed, Parsed {
            lang: "en-US".into(),
            voice_name: name,
            voice_text: text_a + &text_b,
            prosody_rate: rate,
            prosody_pitch: pitch,
            prosody_text,
            breaks: 1,
        });
    }

    #[test]
    fn forbidden_characters_are_refused(
        before in xml_string(10),
        after in xml_string(10),
        bad in prop_oneof![
            (0u32..0x20).prop_filter("not tab, LF, CR", |c| !matches!(c, 9 | 10 | 13)),
            0x7fu32..0xa0,
            Just(0xFFFEu32),
            Just(0xFFFFu32),
        ],
    ) {
        let text = format!("{before}{}{after}", char::from_u32(bad).unwrap());
        let err = Ssml::simple("en-US", "v", text).to_xml().unwrap_err();
        prop_assert!(
            matches!(&err, Error::Misuse(Misuse::InvalidValue { name: "text", reason }) if reason.contains(&format!("U+{bad:04X}"))),
            "{:?}", err
        );
    }
}
