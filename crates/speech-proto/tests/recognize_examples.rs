//! Every recognition response example of the spec (§2.12, 1–9) and the documentation samples (§2.7, §2.8).

use std::time::Duration;

use speech_proto::recognize::{parse_recognition, ErrorType, Recognition, RecognitionStatus};

fn parse(json: &str) -> Recognition {
    parse_recognition(json.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{json}"))
}

#[test]
fn example_1_curl_quickstart() {
    let r = parse(
        r#"{"RecognitionStatus":"Success","DisplayText":"My voice is my passport, verify me.","Offset":6600000,"Duration":32100000}"#,
    );
    assert_eq!(r.status, Some(RecognitionStatus::Success));
    assert!(r.is_success());
    assert_eq!(
        r.display_text(),
        Some("My voice is my passport, verify me.")
    );
    assert_eq!(r.offset(), Some(Duration::from_millis(660)));
    assert_eq!(r.duration(), Some(Duration::from_millis(3210)));
    assert!(r.nbest.is_empty());
    assert_eq!(r.hint(), None);
}

#[test]
fn example_2_java_comment() {
    let r = parse(
        r#"{"RecognitionStatus":"Success","DisplayText":"Conversation.","Offset":4500000,"Duration":10600000}"#,
    );
    assert_eq!(r.display_text(), Some("Conversation."));
    assert_eq!(r.offset_ticks, Some(4_500_000));
    assert_eq!(r.duration(), Some(Duration::from_millis(1060)));
}

#[test]
fn examples_3_and_4_initial_silence_timeout() {
    for (json, offset) in [
        (
            r#"{"RecognitionStatus":"InitialSilenceTimeout","Offset":20000000,"Duration":0}"#,
            2,
        ),
        (
            r#"{"RecognitionStatus":"InitialSilenceTimeout","Offset":50000000,"Duration":0}"#,
            5,
        ),
    ] {
        let r = parse(json);
        assert_eq!(r.status, Some(RecognitionStatus::InitialSilenceTimeout));
        assert!(!r.is_success());
        assert_eq!(r.display_text(), None);
        assert_eq!(r.offset(), Some(Duration::from_secs(offset)));
        assert_eq!(r.duration(), Some(Duration::ZERO));
        let hint = r.hint().expect("a hint for InitialSilenceTimeout");
        let text = hint.to_string();
        assert!(text.contains("silence"), "{text}");
        assert!(text.contains("sample rate"), "{text}");
        assert!(text.contains("16 kHz mono"), "{text}");
    }
}

#[test]
fn example_5_bing_detailed() {
    let r = parse(
        r#"{"RecognitionStatus":"Success","Offset":22500000,"Duration":21000000,"NBest":[{"Confidence":0.941552162,
        "Lexical":"find a funny movie to watch","ITN":"find a funny movie to watch",
        "MaskedITN":"find a funny movie to watch","Display":"Find a funny movie to watch."}]}"#,
    );
    assert_eq!(r.display_text, None);
    assert_eq!(r.display_text(), Some("Find a funny movie to watch."));
    let best = r.best().unwrap();
    assert_eq!(best.confidence, Some(0.941552162));
    assert_eq!(best.lexical.as_deref(), Some("find a funny movie to watch"));
    assert_eq!(best.itn.as_deref(), Some("find a funny movie to watch"));
    assert_eq!(
        best.masked_itn.as_deref(),
        Some("find a funny movie to watch")
    );
    assert!(best.words.is_empty());
    assert_eq!(best.pron_score, None);
}

#[test]
fn example_6_kotlin_pronunciation() {
    let r = parse(
        r#"{"RecognitionStatus":"Success","Offset":5100000,"Duration":6800000,"DisplayText":"Ship.","SNR":38.2,
        "NBest":[{"Confidence":0.959,"Lexical":"ship","ITN":"ship","MaskedITN":"ship","Display":"Ship.",
          "AccuracyScore":99.0,"FluencyScore":100.0,"CompletenessScore":100.0,"PronScore":99.4,
          "Words":[{"Word":"ship","Offset":5100000,"Duration":6800000,"Confidence":0.0,"AccuracyScore":99.0,
            "ErrorType":"None",
            "Syllables":[{"Syllable":"ship","Grapheme":"ship","Offset":5100000,"Duration":6800000,"AccuracyScore":99.0}],
            "Phonemes":[{"Phoneme":"ʃ","Offset":5100000,"Duration":2100000,"AccuracyScore":100.0},
                        {"Phoneme":"ɪ","Offset":7300000,"Duration":1900000,"AccuracyScore":98.0},
                        {"Phoneme":"p","Offset":9300000,"Duration":2600000,"AccuracyScore":99.0}]}]}]}"#,
    );
    assert_eq!(r.snr, Some(38.2));
    assert_eq!(r.display_text(), Some("Ship."));
    let best = r.best().unwrap();
    assert_eq!(
        (
            best.accuracy_score,
            best.fluency_score,
            best.completeness_score,
            best.pron_score,
            best.prosody_score
        ),
        (Some(99.0), Some(100.0), Some(100.0), Some(99.4), None)
    );
    let w = &best.words[0];
    assert_eq!(w.word.as_deref(), Some("ship"));
    assert_eq!(w.confidence, Some(0.0));
    assert_eq!(w.error_type, Some(ErrorType::None));
    assert_eq!(w.offset(), Some(Duration::from_millis(510)));
    assert_eq!(w.duration(), Some(Duration::from_millis(680)));
    let syllables = w.syllables.as_ref().unwrap().as_array().unwrap();
    assert_eq!(syllables[0]["Grapheme"], "ship");
    let phonemes: Vec<&str> = w
        .phonemes
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Phoneme"].as_str().unwrap())
        .collect();
    assert_eq!(phonemes, ["ʃ", "ɪ", "p"]);
    assert_eq!(w.feedback, None);
}

#[test]
fn example_7_php_mispronunciation_with_escaped_ipa() {
    let r = parse(
        r#"{"RecognitionStatus":"Success","Offset":1000000,"Duration":9000000,
        "NBest":[{"Confidence":0.87,"Lexical":"hello","ITN":"hello","MaskedITN":"hello","Display":"Hello.",
          "AccuracyScore":82,"FluencyScore":63,"CompletenessScore":85,"PronScore":71.2,
          "Words":[{"Word":"Hello","Offset":1000000,"Duration":9000000,"AccuracyScore":55,
            "ErrorType":"Mispronunciation",
            "Syllables":[{"Syllable":"h\u025b","Offset":1000000,"Duration":3000000,"AccuracyScore":40},
                         {"Syllable":"lo\u028a","Offset":4000000,"Duration":6000000,"AccuracyScore":70}],
            "Phonemes":[{"Phoneme":"h","AccuracyScore":60},{"Phoneme":"\u025b","AccuracyScore":20},
                        {"Phoneme":"l","AccuracyScore":90},{"Phoneme":"o\u028a","AccuracyScore":70}]}]}]}"#,
    );
    let best = r.best().unwrap();
    assert_eq!(best.accuracy_score, Some(82.0));
    assert_eq!(best.fluency_score, Some(63.0));
    assert_eq!(best.completeness_score, Some(85.0));
    assert_eq!(best.pron_score, Some(71.2));
    let w = &best.words[0];
    assert_eq!(w.error_type, Some(ErrorType::Mispronunciation));
    assert_eq!(w.accuracy_score, Some(55.0));
    assert_eq!(w.syllables.as_ref().unwrap()[0]["Syllable"], "hɛ");
    assert_eq!(w.phonemes.as_ref().unwrap()[3]["Phoneme"], "oʊ");
}

#[test]
fn example_8_doc_prosody() {
    let r = parse(
        r#"{"RecognitionStatus":"Success","Offset":700000,"Duration":8400000,"DisplayText":"Good morning.","SNR":38.76819,
        "NBest":[{"Confidence":0.98503506,"Lexical":"good morning","ITN":"good morning","MaskedITN":"good morning",
          "Display":"Good morning.","AccuracyScore":100.0,"FluencyScore":100.0,"ProsodyScore":87.8,
          "CompletenessScore":100.0,"PronScore":95.1,
          "Words":[{"Word":"good","Offset":700000,"Duration":2600000,"Confidence":0.0,"AccuracyScore":100.0,
              "ErrorType":"None",
              "Feedback":{"Prosody":{"Break":{"ErrorTypes":["None"],"BreakLength":0},
                "Intonation":{"ErrorTypes":[],"Monotone":{"Confidence":0.0,"WordPitchSlopeConfidence":0.0,
                  "SyllablePitchDeltaConfidence":0.91385907}}}}},
            {"Word":"morning","Offset":3400000,"Duration":5700000,"Confidence":0.0,"AccuracyScore":100.0,
              "ErrorType":"None",
              "Feedback":{"Prosody":{"Break":{"ErrorTypes":["UnexpectedBreak"],"UnexpectedBreak":{"Confidence":3.5e-3},
                "MissingBreak":{"Confidence":1.0},"BreakLength":0},
                "Intonation":{"ErrorTypes":["Monotone"],"Monotone":{"Confidence":0.71}}}}}]}]}"#,
    );
    assert_eq!(r.offset(), Some(Duration::from_millis(70)));
    assert_eq!(r.duration(), Some(Duration::from_millis(840)));
    assert_eq!(r.snr, Some(38.76819));
    let best = r.best().unwrap();
    assert_eq!(best.prosody_score, Some(87.8));
    assert_eq!(best.words.len(), 2);
    let fb = best.words[1].feedback.as_ref().unwrap();
    assert_eq!(fb["Prosody"]["Break"]["ErrorTypes"][0], "UnexpectedBreak");
    assert_eq!(fb["Prosody"]["Intonation"]["Monotone"]["Confidence"], 0.71);
}

#[test]
fn example_9_empty_object_is_no_result() {
    let r = parse("{}");
    assert_eq!(r.status, None);
    assert_eq!(r.display_text(), None);
    assert_eq!(r.offset(), None);
    assert!(!r.is_success());
    assert!(r.hint().unwrap().causes[0].contains("empty"));
    // Whitespace around it too.
    assert_eq!(parse(" \n{ }\n").status, None);
}

#[test]
fn doc_sample_simple_with_string_ticks() {
    let r = parse(
        r#"{
  "RecognitionStatus": "Success",
  "DisplayText": "Remind me to buy 5 pencils.",
  "Offset": "1236645672289",
  "Duration": "1236645672289"
}"#,
    );
    assert_eq!(r.offset_ticks, Some(1_236_645_672_289));
    assert_eq!(r.duration_ticks, Some(1_236_645_672_289));
    assert_eq!(r.offset(), Some(Duration::new(123_664, 567_228_900)));
    assert_eq!(r.display_text(), Some("Remind me to buy 5 pencils."));
}

#[test]
fn doc_sample_detailed_keeps_service_order() {
    let r = parse(
        r#"{
  "RecognitionStatus": "Success",
  "Offset": "1236645672289",
  "Duration": "1236645672289",
  "NBest": [
    {
      "Confidence": 0.9052885,
      "Display": "What's the weather like?",
      "ITN": "what's the weather like",
      "Lexical": "what's the weather like",
      "MaskedITN": "what's the weather like"
    },
    {
      "Confidence": 0.92459863,
      "Display": "what is the weather like",
      "ITN": "what is the weather like",
      "Lexical": "what is the weather like",
      "MaskedITN": "what is the weather like"
    }
  ]
}"#,
    );
    let confidences: Vec<f64> = r.nbest.iter().map(|n| n.confidence.unwrap()).collect();
    assert_eq!(confidences, [0.9052885, 0.92459863]);
    assert_eq!(r.display_text(), Some("What's the weather like?"));
    assert_eq!(
        r.best().unwrap().display.as_deref(),
        Some("What's the weather like?")
    );
}

#[test]
fn doc_sample_pronunciation_with_string_confidence() {
    let r = parse(
        r#"{
  "RecognitionStatus": "Success",
  "Offset": "400000",
  "Duration": "11000000",
  "NBest": [
      {
        "Confidence" : "0.87",
        "Lexical" : "good morning",
        "ITN" : "good morning",
        "MaskedITN" : "good morning",
        "Display" : "Good morning.",
        "PronScore" : 84.4,
        "AccuracyScore" : 100.0,
        "FluencyScore" : 74.0,
        "CompletenessScore" : 100.0,
        "Words": [
            {
              "Word" : "Good",
              "AccuracyScore" : 100.0,
              "ErrorType" : "None",
              "Offset" : 500000,
              "Duration" : 2700000
            },
            {
              "Word" : "morning",
              "AccuracyScore" : 100.0,
              "ErrorType" : "None",
              "Offset" : 5300000,
              "Duration" : 900000
            }
        ]
      }
  ]
}"#,
    );
    let best = r.best().unwrap();
    assert_eq!(best.confidence, Some(0.87));
    assert_eq!(best.pron_score, Some(84.4));
    assert_eq!(best.fluency_score, Some(74.0));
    assert_eq!(r.offset(), Some(Duration::from_millis(40)));
    let words: Vec<_> = best
        .words
        .iter()
        .map(|w| (w.word.as_deref().unwrap(), w.offset_ticks.unwrap()))
        .collect();
    assert_eq!(words, [("Good", 500_000), ("morning", 5_300_000)]);
}

#[test]
fn unknown_status_and_fields_are_tolerated() {
    let r = parse(
        r#"{"RecognitionStatus":"EndOfDictation","Id":"abc","Channel":0,"NewField":{"x":[1,2]},"Offset":1,
        "NBest":[{"Confidence":1,"Unknown":true,"Words":[{"Word":"x","ErrorType":"UnexpectedBreak","Extra":null}]}]}"#,
    );
    assert_eq!(
        r.status,
        Some(RecognitionStatus::Other("EndOfDictation".into()))
    );
    assert_eq!(r.status.as_ref().unwrap().to_string(), "EndOfDictation");
    assert_eq!(r.hint(), None);
    assert_eq!(r.nbest[0].confidence, Some(1.0));
    assert_eq!(
        r.nbest[0].words[0].error_type,
        Some(ErrorType::Other("UnexpectedBreak".into()))
    );
    // Nulls count as absent.
    let r =
        parse(r#"{"RecognitionStatus":"NoMatch","Offset":null,"DisplayText":null,"NBest":null}"#);
    assert_eq!(
        (r.offset_ticks, r.display_text(), r.nbest.len()),
        (None, None, 0)
    );
    assert!(r.hint().unwrap().to_string().contains("language"));
    let r = parse(r#"{"RecognitionStatus":"BabbleTimeout"}"#);
    assert!(r.hint().unwrap().to_string().contains("noise"));
}
