//! Property tests of the recognition parser and request builder.

use proptest::prelude::*;
use speech_proto::recognize::{
    __fuzz_recognition, parse_recognition, PronunciationAssessment, RecognitionRequest,
    RecognitionStatus,
};
use speech_proto::{Endpoint, Error, Misuse};

use base64::Engine as _;

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        __fuzz_recognition(&data);
    }

    #[test]
    fn parser_never_panics_on_json_like_text(
        s in r#"\{("(RecognitionStatus|DisplayText|Offset|Duration|SNR|NBest|Confidence|Words|X)":("[^"\\]{0,8}"|-?[0-9.eE+]{1,8}|\[(\{\}|\{"Word":1\}|1)?\]|\{\}|null|true),?){0,8}\}"#
    ) {
        __fuzz_recognition(s.as_bytes());
    }

    #[test]
    fn ticks_as_numbers_or_strings_agree(ticks in any::<u64>(), conf in 0.0f64..1.0) {
        let a = parse_recognition(format!(r#"{{"Offset":{ticks},"NBest":[{{"Confidence":{conf}}}]}}"#).as_bytes()).unwrap();
        let b = parse_recognition(format!(r#"{{"Offset":"{ticks}","NBest":[{{"Confidence":"{conf}"}}]}}"#).as_bytes()).unwrap();
        prop_assert_eq!(a.offset_ticks, Some(ticks));
        prop_assert_eq!(b.offset_ticks, Some(ticks));
        // serde_json's number parser (without `float_roundtrip`) may be one ulp off the exact value that
        // `str::parse` gives for the string form.
        for r in [&a, &b] {
            let c = r.nbest[0].confidence.unwrap();
            prop_assert!((c - conf).abs() <= f64::EPSILON * conf.abs().max(1.0), "{} vs {}", c, conf);
        }
        let d = a.offset().unwrap();
        prop_assert_eq!(d.as_secs(), ticks / 10_000_000);
        prop_assert_eq!(u64::from(d.subsec_nanos()), (ticks % 10_000_000) * 100);
    }

    #[test]
    fn unknown_statuses_are_kept_as_text(status in "[A-Za-z]{1,24}") {
        let r = parse_recognition(format!(r#"{{"RecognitionStatus":"{status}"}}"#).as_bytes()).unwrap();
        let parsed = r.status.unwrap();
        prop_assert!(parsed.as_str().eq_ignore_ascii_case(&status));
        if matches!(parsed, RecognitionStatus::Other(_)) {
            prop_assert_eq!(parsed.as_str(), status.as_str());
        }
    }

    #[test]
    fn pronunciation_header_round_trips(reference in "\\PC{1,60}") {
        let pa = PronunciationAssessment::new(reference.clone());
        let req = RecognitionRequest::new("en-US")
            .pronunciation_assessment(pa)
            .build(&Endpoint::region("westus").unwrap())
            .unwrap();
        let value = req.headers()["pronunciation-assessment"].to_str().unwrap();
        let json = base64::engine::general_purpose::STANDARD.decode(value).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(v["ReferenceText"].as_str(), Some(reference.as_str()));
    }

    #[test]
    fn query_values_cannot_inject_parameters(cid in "[ -~]{1,30}") {
        let req = RecognitionRequest::new("en-US").cid(cid.clone()).build(&Endpoint::region("westus").unwrap());
        let req = req.unwrap();
        let query = req.uri().query().unwrap();
        // Exactly the three parameters, whatever the cid holds.
        prop_assert_eq!(query.split('&').count(), 3, "{}", query);
        prop_assert!(query.starts_with("language=en-US&format=simple&cid="));
    }
}

#[test]
fn empty_language_is_misuse() {
    let err = RecognitionRequest::new("")
        .build(&Endpoint::region("westus").unwrap())
        .unwrap_err();
    assert_eq!(err, Error::Misuse(Misuse::Missing("language")));
}
