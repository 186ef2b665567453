//! Every URL table of the protocol spec (`reference/api-spec.md` §1.1, §2.1, §3.1, §5.6, §5.7), reproduced
//! exactly from the endpoint builders.

use speech_proto::endpoint::{Cloud, HostKind, SYNTHESIS_WEBSOCKET_PATH};
use speech_proto::{Endpoint, Error, Misuse};

const CONVERSATION: &str = "/speech/recognition/conversation/cognitiveservices/v1";
const INTERACTIVE: &str = "/speech/recognition/interactive/cognitiveservices/v1";
const DICTATION: &str = "/speech/recognition/dictation/cognitiveservices/v1";

fn uri(e: &Endpoint, kind: HostKind, path: &str, query: &[(&str, &str)]) -> String {
    e.uri(kind, path, query).unwrap().to_string()
}

// §1.1 Token endpoints -----------------------------------------------------------------------------------------

#[test]
fn s1_1_token_endpoints() {
    assert_eq!(
        Endpoint::region("westus").unwrap().token_uri().unwrap(),
        "https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken"
    );
    assert_eq!(
        Endpoint::custom_domain("my-resource")
            .unwrap()
            .token_uri()
            .unwrap(),
        "https://my-resource.cognitiveservices.azure.com/sts/v1.0/issueToken"
    );
    for region in ["usgovarizona", "usgovvirginia"] {
        assert_eq!(
            Endpoint::us_government(region)
                .unwrap()
                .token_uri()
                .unwrap()
                .to_string(),
            format!("https://{region}.api.cognitive.microsoft.us/sts/v1.0/issueToken")
        );
    }
    for region in ["chinaeast2", "chinanorth2", "chinanorth3"] {
        assert_eq!(
            Endpoint::china(region)
                .unwrap()
                .token_uri()
                .unwrap()
                .to_string(),
            format!("https://{region}.api.cognitive.azure.cn/sts/v1.0/issueToken")
        );
    }
}

#[test]
fn s1_1_legacy_global_token_endpoint_is_not_offered() {
    // No region means no endpoint: the global host cannot be reached by leaving the region out …
    assert_eq!(
        Endpoint::region(""),
        Err(Error::Misuse(Misuse::InvalidRegion(String::new())))
    );
    // … nor through a URL.
    for url in [
        "https://api.cognitive.microsoft.com",
        "https://api.cognitive.microsoft.com/sts/v1.0/issueToken",
        "https://API.Cognitive.Microsoft.com/",
        "https://speech.platform.bing.com",
    ] {
        for result in [Endpoint::from_url(url), Endpoint::base_url(url)] {
            assert!(
                matches!(result, Err(Error::Misuse(Misuse::InvalidUrl { .. }))),
                "{url}: {result:?}"
            );
        }
    }
}

// §2.1 Speech-to-text hosts and paths --------------------------------------------------------------------------

#[test]
fn s2_1_speech_to_text_hosts() {
    let q = [("language", "en-US")];
    assert_eq!(
        uri(&Endpoint::region("westus").unwrap(), HostKind::SpeechToText, CONVERSATION, &[]),
        "https://westus.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1"
    );
    assert_eq!(
        uri(&Endpoint::us_government("usgovvirginia").unwrap(), HostKind::SpeechToText, CONVERSATION, &q),
        "https://usgovvirginia.stt.speech.azure.us/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
    );
    assert_eq!(
        uri(&Endpoint::china("chinaeast2").unwrap(), HostKind::SpeechToText, CONVERSATION, &q),
        "https://chinaeast2.stt.speech.azure.cn/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
    );
    assert_eq!(
        uri(&Endpoint::custom_domain("my-resource").unwrap(), HostKind::SpeechToText, CONVERSATION, &[]),
        "https://my-resource.cognitiveservices.azure.com/stt/speech/recognition/conversation/cognitiveservices/v1"
    );
}

#[test]
fn s2_1_three_recognition_modes() {
    let e = Endpoint::region("westus").unwrap();
    for (path, mode) in [
        (INTERACTIVE, "interactive"),
        (CONVERSATION, "conversation"),
        (DICTATION, "dictation"),
    ] {
        assert_eq!(
            uri(&e, HostKind::SpeechToText, path, &[]),
            format!("https://westus.stt.speech.microsoft.com/speech/recognition/{mode}/cognitiveservices/v1")
        );
    }
}

// §3.1 Text-to-speech hosts -------------------------------------------------------------------------------------

#[test]
fn s3_1_text_to_speech_hosts() {
    let e = Endpoint::region("westus").unwrap();
    assert_eq!(
        e.synthesis_uri().unwrap(),
        "https://westus.tts.speech.microsoft.com/cognitiveservices/v1"
    );
    assert_eq!(
        e.voices_list_uri().unwrap(),
        "https://westus.tts.speech.microsoft.com/cognitiveservices/voices/list"
    );
    assert_eq!(
        e.custom_voice_synthesis_uri("0123-abcd").unwrap(),
        "https://westus.voice.speech.microsoft.com/cognitiveservices/v1?deploymentId=0123-abcd"
    );
    let gov = Endpoint::us_government("usgovarizona").unwrap();
    assert_eq!(
        gov.synthesis_uri().unwrap(),
        "https://usgovarizona.tts.speech.azure.us/cognitiveservices/v1"
    );
    assert_eq!(
        gov.voices_list_uri().unwrap(),
        "https://usgovarizona.tts.speech.azure.us/cognitiveservices/voices/list"
    );
    let cn = Endpoint::china("chinanorth3").unwrap();
    assert_eq!(
        cn.synthesis_uri().unwrap(),
        "https://chinanorth3.tts.speech.azure.cn/cognitiveservices/v1"
    );
    assert_eq!(
        cn.voices_list_uri().unwrap(),
        "https://chinanorth3.tts.speech.azure.cn/cognitiveservices/voices/list"
    );
    let cd = Endpoint::custom_domain("my-resource").unwrap();
    assert_eq!(
        cd.synthesis_uri().unwrap(),
        "https://my-resource.cognitiveservices.azure.com/tts/cognitiveservices/v1"
    );
    assert_eq!(
        cd.voices_list_uri().unwrap(),
        "https://my-resource.cognitiveservices.azure.com/tts/cognitiveservices/voices/list"
    );
    assert_eq!(
        cd.custom_voice_synthesis_uri("dep").unwrap(),
        "https://my-resource.cognitiveservices.azure.com/voice/cognitiveservices/v1?deploymentId=dep"
    );
    assert!(matches!(
        e.custom_voice_synthesis_uri(""),
        Err(Error::Misuse(Misuse::Missing("deploymentId")))
    ));
}

// §5.6 Every listed region gives valid URIs ----------------------------------------------------------------------

const PUBLIC_REGIONS: [&str; 33] = [
    "southafricanorth",
    "eastasia",
    "southeastasia",
    "australiaeast",
    "centralindia",
    "japaneast",
    "japanwest",
    "koreacentral",
    "canadacentral",
    "canadaeast",
    "northeurope",
    "westeurope",
    "francecentral",
    "germanywestcentral",
    "italynorth",
    "norwayeast",
    "swedencentral",
    "switzerlandnorth",
    "switzerlandwest",
    "uksouth",
    "ukwest",
    "uaenorth",
    "brazilsouth",
    "qatarcentral",
    "centralus",
    "eastus",
    "eastus2",
    "northcentralus",
    "southcentralus",
    "westcentralus",
    "westus",
    "westus2",
    "westus3",
];

#[test]
fn s5_6_every_region_gives_valid_uris() {
    let all = PUBLIC_REGIONS
        .iter()
        .map(|r| {
            (
                Cloud::Public,
                *r,
                "api.cognitive.microsoft.com",
                "speech.microsoft.com",
            )
        })
        .chain(["usgovarizona", "usgovvirginia"].iter().map(|r| {
            (
                Cloud::UsGovernment,
                *r,
                "api.cognitive.microsoft.us",
                "speech.azure.us",
            )
        }))
        .chain(
            ["chinaeast2", "chinanorth2", "chinanorth3"]
                .iter()
                .map(|r| {
                    (
                        Cloud::China,
                        *r,
                        "api.cognitive.azure.cn",
                        "speech.azure.cn",
                    )
                }),
        );
    let mut count = 0;
    for (cloud, region, token_suffix, speech_suffix) in all {
        let e = Endpoint::regional(cloud, region).unwrap();
        let token = e.token_uri().unwrap();
        assert_eq!(
            token.host(),
            Some(format!("{region}.{token_suffix}").as_str())
        );
        assert_eq!(token.scheme_str(), Some("https"));
        let stt = e
            .uri(
                HostKind::SpeechToText,
                CONVERSATION,
                &[("language", "en-US")],
            )
            .unwrap();
        assert_eq!(
            stt.host(),
            Some(format!("{region}.stt.{speech_suffix}").as_str())
        );
        assert_eq!(
            e.synthesis_uri().unwrap().host(),
            Some(format!("{region}.tts.{speech_suffix}").as_str())
        );
        // Round trip through the portal URL form.
        assert_eq!(
            Endpoint::from_url(&format!("https://{region}.{token_suffix}/")).unwrap(),
            e
        );
        assert_eq!(
            e.host_family(),
            Endpoint::regional(cloud, region).unwrap().host_family()
        );
        count += 1;
    }
    assert_eq!(count, 38);
}

#[test]
fn s5_6_regions_validated_by_shape_only() {
    // New regions work without an update.
    assert!(Endpoint::region("newregion9").is_ok());
    assert!(Endpoint::region(&"a".repeat(64)).is_ok());
    for bad in [
        "",
        "West US",
        "westus.",
        "WESTUS",
        "west-us",
        "west_us",
        "westus\n",
        "é",
        &"a".repeat(65),
    ] {
        assert!(
            matches!(
                Endpoint::region(bad),
                Err(Error::Misuse(Misuse::InvalidRegion(_)))
            ),
            "{bad:?}"
        );
    }
}

// §5.7 Custom-domain mapping ------------------------------------------------------------------------------------

#[test]
fn s5_7_custom_domain_mapping() {
    let region = Endpoint::region("westeurope").unwrap();
    let custom = Endpoint::custom_domain("contoso").unwrap();
    let q = [("language", "en-US")];
    assert_eq!(
        uri(&region, HostKind::SpeechToText, CONVERSATION, &q),
        "https://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
    );
    assert_eq!(
        uri(&custom, HostKind::SpeechToText, CONVERSATION, &q),
        "https://contoso.cognitiveservices.azure.com/stt/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
    );
    assert_eq!(
        region.voices_list_uri().unwrap(),
        "https://westeurope.tts.speech.microsoft.com/cognitiveservices/voices/list"
    );
    assert_eq!(
        custom.voices_list_uri().unwrap(),
        "https://contoso.cognitiveservices.azure.com/tts/cognitiveservices/voices/list"
    );
}

#[test]
fn custom_domain_names() {
    assert_eq!(
        Endpoint::custom_domain("My-Res1")
            .unwrap()
            .custom_domain_name(),
        Some("my-res1")
    );
    for bad in ["", "-a", "a-", "a.b", "a b", "https://x", &"a".repeat(64)] {
        assert!(
            matches!(
                Endpoint::custom_domain(bad),
                Err(Error::Misuse(Misuse::InvalidResourceName(_)))
            ),
            "{bad:?}"
        );
    }
}

// Base URLs (containers, emulator) -------------------------------------------------------------------------------

#[test]
fn base_url_puts_paths_under_the_base_without_labels() {
    let e = Endpoint::base_url("http://localhost:5000").unwrap();
    assert_eq!(
        e.token_uri().unwrap(),
        "http://localhost:5000/sts/v1.0/issueToken"
    );
    assert_eq!(
        uri(
            &e,
            HostKind::SpeechToText,
            CONVERSATION,
            &[("language", "en-US")]
        ),
        "http://localhost:5000/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
    );
    assert_eq!(
        e.voices_list_uri().unwrap(),
        "http://localhost:5000/cognitiveservices/voices/list"
    );
    let e = Endpoint::base_url("https://proxy.example/speech/").unwrap();
    assert_eq!(
        e.synthesis_uri().unwrap(),
        "https://proxy.example/speech/cognitiveservices/v1"
    );
    let e = Endpoint::base_url("HTTP://LocalHost:5000/").unwrap();
    assert_eq!(
        e.token_uri().unwrap(),
        "http://localhost:5000/sts/v1.0/issueToken"
    );
}

#[test]
fn plain_http_only_for_loopback_or_opt_in() {
    for ok in [
        "http://localhost:5000",
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://[::1]:5000",
        "http://emu.localhost",
    ] {
        assert!(Endpoint::base_url(ok).unwrap().token_uri().is_ok(), "{ok}");
    }
    for remote in [
        "http://10.0.0.7:5000",
        "http://speech.example.com",
        "http://[2001:db8::1]",
        "http://localhost.evil.com",
    ] {
        let e = Endpoint::base_url(remote).unwrap();
        let err = e.token_uri().unwrap_err();
        assert!(
            matches!(err, Error::Misuse(Misuse::InsecureScheme { .. })),
            "{remote}: {err:?}"
        );
        assert!(err.to_string().contains("allow_insecure_http"));
        assert!(e.allow_insecure_http(true).token_uri().is_ok(), "{remote}");
    }
}

#[test]
fn base_url_refusals() {
    for (url, reason_part) in [
        ("localhost:5000", ""),
        ("ftp://host", "scheme"),
        ("https://user:pw@host", "user info"),
        ("https://host/?a=b", "query"),
        ("https://host/#frag", "fragment"),
        ("/relative", ""),
        ("", ""),
        ("https://", ""),
    ] {
        let err = Endpoint::base_url(url).unwrap_err();
        let Error::Misuse(Misuse::InvalidUrl { reason, .. }) = &err else {
            panic!("{url}: {err:?}");
        };
        assert!(reason.contains(reason_part), "{url}: {reason}");
        assert!(!err.to_string().contains("pw@"), "no credentials in errors");
    }
}

#[test]
fn from_url_recognises_portal_forms() {
    assert_eq!(
        Endpoint::from_url("https://my-resource.cognitiveservices.azure.com/").unwrap(),
        Endpoint::custom_domain("my-resource").unwrap()
    );
    assert_eq!(
        Endpoint::from_url("https://westus.api.cognitive.microsoft.com/").unwrap(),
        Endpoint::region("westus").unwrap()
    );
    assert_eq!(
        Endpoint::from_url("https://westus2.stt.speech.microsoft.com").unwrap(),
        Endpoint::region("westus2").unwrap()
    );
    assert_eq!(
        Endpoint::from_url("https://usgovvirginia.api.cognitive.microsoft.us").unwrap(),
        Endpoint::us_government("usgovvirginia").unwrap()
    );
    assert_eq!(
        Endpoint::from_url("https://usgovvirginia.tts.speech.azure.us").unwrap(),
        Endpoint::us_government("usgovvirginia").unwrap()
    );
    assert_eq!(
        Endpoint::from_url("https://chinanorth2.api.cognitive.azure.cn/").unwrap(),
        Endpoint::china("chinanorth2").unwrap()
    );
    // Anything else is a base URL.
    assert_eq!(
        Endpoint::from_url("http://localhost:5000").unwrap(),
        Endpoint::base_url("http://localhost:5000").unwrap()
    );
    assert_eq!(
        Endpoint::from_url("https://westus.api.cognitive.microsoft.com:8443")
            .unwrap()
            .token_uri()
            .unwrap(),
        "https://westus.api.cognitive.microsoft.com:8443/sts/v1.0/issueToken"
    );
}

#[test]
fn websocket_uris() {
    let e = Endpoint::us_government("usgovvirginia").unwrap();
    assert_eq!(
        e.websocket_uri(HostKind::TextToSpeech, SYNTHESIS_WEBSOCKET_PATH, &[])
            .unwrap(),
        "wss://usgovvirginia.tts.speech.azure.us/cognitiveservices/websocket/v1"
    );
}

#[test]
fn host_families() {
    let west = Endpoint::region("westus").unwrap();
    let fam = west.host_family();
    for ok in [
        "https://westus.stt.speech.microsoft.com/x",
        "https://westus.tts.speech.microsoft.com/cognitiveservices/v1",
        "https://westus.voice.speech.microsoft.com/cognitiveservices/v1",
        "https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken",
        "wss://westus.stt.speech.microsoft.com/x",
        "https://WESTUS.STT.speech.microsoft.com/x",
    ] {
        assert!(fam.contains(&ok.parse().unwrap()), "{ok}");
    }
    for bad in [
        "https://eastus.stt.speech.microsoft.com/x",
        "http://westus.stt.speech.microsoft.com/x",
        "https://westus.stt.speech.azure.us/x",
        "https://westus.stt.speech.microsoft.com:444/x",
        "https://my-resource.cognitiveservices.azure.com/stt/x",
        "https://evil.westus.stt.speech.microsoft.com/x",
        "/relative",
    ] {
        assert!(!fam.contains(&bad.parse().unwrap()), "{bad}");
    }
    assert_ne!(
        fam,
        Endpoint::us_government("westus").unwrap().host_family()
    );
    assert_ne!(fam, Endpoint::region("eastus").unwrap().host_family());

    let cd = Endpoint::custom_domain("my-resource")
        .unwrap()
        .host_family();
    assert!(cd.contains(
        &"https://my-resource.cognitiveservices.azure.com/stt/x"
            .parse()
            .unwrap()
    ));
    assert!(!cd.contains(
        &"https://other.cognitiveservices.azure.com/stt/x"
            .parse()
            .unwrap()
    ));
    assert!(!cd.contains(&"https://westus.stt.speech.microsoft.com/x".parse().unwrap()));

    let base = Endpoint::base_url("http://localhost:5000/prefix")
        .unwrap()
        .host_family();
    assert!(base.contains(&"http://localhost:5000/anything".parse().unwrap()));
    assert!(base.contains(&"ws://localhost:5000/anything".parse().unwrap()));
    assert!(!base.contains(&"http://localhost:5001/anything".parse().unwrap()));
    assert!(!base.contains(&"https://localhost:5000/anything".parse().unwrap()));
    assert_eq!(base.to_string(), "http://localhost:5000");
}

#[test]
fn s5_6_known_regions_are_the_listed_ones() {
    let mut expected: Vec<&str> = PUBLIC_REGIONS
        .iter()
        .copied()
        .chain([
            "usgovarizona",
            "usgovvirginia",
            "chinaeast2",
            "chinanorth2",
            "chinanorth3",
        ])
        .collect();
    let mut known = speech_proto::endpoint::KNOWN_REGIONS.to_vec();
    expected.sort_unstable();
    known.sort_unstable();
    assert_eq!(known, expected);
}

// Part 2, A.1: fast transcription ------------------------------------------------------------------------------

#[test]
fn a1_fast_transcription_endpoints() {
    use speech_proto::stt::fast::ApiVersion;
    let v = ApiVersion::default();
    assert_eq!(
        Endpoint::region("westus")
            .unwrap()
            .fast_transcription_uri(v)
            .unwrap(),
        "https://westus.api.cognitive.microsoft.com/speechtotext/transcriptions:transcribe?api-version=2025-10-15"
    );
    assert_eq!(
        Endpoint::custom_domain("my-resource")
            .unwrap()
            .fast_transcription_uri(ApiVersion::V2024_11_15)
            .unwrap(),
        "https://my-resource.cognitiveservices.azure.com/speechtotext/transcriptions:transcribe?api-version=2024-11-15"
    );
    assert_eq!(
        Endpoint::base_url("http://localhost:5000")
            .unwrap()
            .fast_transcription_uri(v)
            .unwrap(),
        "http://localhost:5000/speechtotext/transcriptions:transcribe?api-version=2025-10-15"
    );
}
