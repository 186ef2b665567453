//! What a client sends to synthesize over WebSocket (spec part 1.2–1.4): the handshake, `speech.config` once per
//! connection, and per synthesis `synthesis.context` (output format, which events) and `ssml`.

use http::Request;
use serde_json::json;

use crate::endpoint::{Endpoint, HostKind};
use crate::error::{Error, Misuse};
use crate::stt::stream::frame::{encode_text, Timestamp};
use crate::synthesize::{Codec, OutputFormat, Ssml};
use crate::ws::websocket_handshake;

/// The synthesis WebSocket path that Microsoft's SDKs use today (JavaScript ≥ 1.44, the native SDK).
pub const CURRENT_PATH: &str = "/tts/cognitiveservices/websocket/v1";

/// The older synthesis WebSocket path (JavaScript ≤ 1.43, Azure's own demo page; every host serves it).
pub const LEGACY_PATH: &str = crate::endpoint::SYNTHESIS_WEBSOCKET_PATH;

/// Which WebSocket path a synthesizer connects to. On a custom domain both are
/// `/tts/cognitiveservices/websocket/v1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SynthesisPath {
    /// `/tts/cognitiveservices/websocket/v1`.
    #[default]
    Current,
    /// `/cognitiveservices/websocket/v1`.
    Legacy,
}

/// The handshake request for a synthesis connection on `endpoint` (the `tts` host): `GET` on the path with
/// `X-ConnectionId` and the caller's `Sec-WebSocket-Key`. Add the credential with
/// [`Auth::authorize`](crate::auth::Auth::authorize).
///
/// # Errors
///
/// What [`websocket_handshake`] refuses.
pub fn handshake(
    endpoint: &Endpoint,
    path: SynthesisPath,
    sec_websocket_key: &str,
    connection_id: &str,
) -> Result<Request<()>, Error> {
    // A custom domain puts the host's label (`/tts`) in front of the path itself.
    let path = match path {
        _ if endpoint.custom_domain_name().is_some() => LEGACY_PATH,
        SynthesisPath::Current => CURRENT_PATH,
        SynthesisPath::Legacy => LEGACY_PATH,
    };
    websocket_handshake(
        endpoint,
        HostKind::TextToSpeech,
        path,
        &[],
        sec_websocket_key,
        connection_id,
    )
}

/// Which events a synthesis asks for (`synthesis.context`'s `metadataOptions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MetadataOptions {
    /// Word boundaries: where each word starts in the audio, and for how long it is spoken.
    pub word_boundary: bool,
    /// Punctuation boundaries.
    pub punctuation_boundary: bool,
    /// Sentence boundaries.
    pub sentence_boundary: bool,
    /// Bookmarks (`<bookmark mark="…"/>` in the SSML).
    pub bookmarks: bool,
    /// Visemes: the mouth position as the audio goes, for lip-sync.
    pub visemes: bool,
}

impl Default for MetadataOptions {
    /// Words, punctuation, sentences and bookmarks; no visemes (they are many).
    fn default() -> Self {
        MetadataOptions {
            word_boundary: true,
            punctuation_boundary: true,
            sentence_boundary: true,
            bookmarks: true,
            visemes: false,
        }
    }
}

impl MetadataOptions {
    /// Every event, visemes included.
    pub fn all() -> Self {
        MetadataOptions {
            visemes: true,
            ..MetadataOptions::default()
        }
    }

    /// No events: only the audio.
    pub fn none() -> Self {
        MetadataOptions {
            word_boundary: false,
            punctuation_boundary: false,
            sentence_boundary: false,
            bookmarks: false,
            visemes: false,
        }
    }
}

/// What text offsets in events point into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OffsetsInto {
    /// The SSML document (hits inside tags are skipped).
    Ssml,
    /// The plain text the caller gave.
    Text(String),
}

/// One synthesis: the SSML, the output format and the events wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeakRequest {
    pub(crate) ssml: String,
    pub(crate) offsets: OffsetsInto,
    pub(crate) format: OutputFormat,
    pub(crate) metadata: MetadataOptions,
}

/// The largest SSML document sent (64 KiB, the service's limit per synthesis).
pub const MAX_SSML: usize = 64 * 1024;

impl SpeakRequest {
    /// Speak an SSML document, as written. Events' text offsets are byte offsets into it (a word found inside
    /// a tag is skipped, as Microsoft's SDKs do).
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] for an empty document, [`Misuse::InvalidValue`] for one over [`MAX_SSML`] bytes.
    pub fn ssml(ssml: impl Into<String>) -> Result<Self, Error> {
        let ssml = ssml.into();
        if ssml.trim().is_empty() {
            return Err(Misuse::Missing("SSML").into());
        }
        if ssml.len() > MAX_SSML {
            return Err(Misuse::InvalidValue {
                name: "SSML",
                reason: format!(
                    "{} bytes; the service takes at most {MAX_SSML} per synthesis",
                    ssml.len()
                ),
            }
            .into());
        }
        Ok(SpeakRequest {
            ssml,
            offsets: OffsetsInto::Ssml,
            format: OutputFormat::default(),
            metadata: MetadataOptions::default(),
        })
    }

    /// Speak a built [`Ssml`] document.
    ///
    /// # Errors
    ///
    /// What [`Ssml::to_xml`] and [`SpeakRequest::ssml`] refuse.
    pub fn from_ssml(ssml: &Ssml) -> Result<Self, Error> {
        SpeakRequest::ssml(ssml.to_xml()?)
    }

    /// Speak plain `text` with `voice` (e.g. `en-US-AvaMultilingualNeural`) in `lang` (e.g. `en-US`). Events'
    /// text offsets are byte offsets into `text`.
    ///
    /// # Errors
    ///
    /// What [`Ssml::to_xml`] refuses (an empty voice or language, control characters), and a document over
    /// [`MAX_SSML`].
    pub fn text(
        lang: impl Into<String>,
        voice: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Self, Error> {
        let text = text.into();
        let mut request = SpeakRequest::from_ssml(&Ssml::simple(lang, voice, text.clone()))?;
        request.offsets = OffsetsInto::Text(text);
        Ok(request)
    }

    /// The output format (default: [`OutputFormat::default`]). For a `riff-*` format the service is asked for
    /// the matching `raw-*` one, as Microsoft's SDKs do; audio events carry the raw audio, and
    /// [`riff_header`] makes the header for the whole.
    pub fn format(mut self, format: OutputFormat) -> Self {
        self.format = format;
        self
    }

    /// The events wanted (default: [`MetadataOptions::default`]).
    pub fn metadata(mut self, metadata: MetadataOptions) -> Self {
        self.metadata = metadata;
        self
    }

    /// The SSML sent.
    pub fn ssml_text(&self) -> &str {
        &self.ssml
    }

    /// The output format asked for.
    pub fn output_format(&self) -> OutputFormat {
        self.format
    }

    /// The events asked for.
    pub fn metadata_options(&self) -> MetadataOptions {
        self.metadata
    }

    /// The input that text offsets point into.
    pub fn offsets_input(&self) -> &str {
        match &self.offsets {
            OffsetsInto::Ssml => &self.ssml,
            OffsetsInto::Text(t) => t,
        }
    }

    /// The format the service is asked for: `raw-*` for `riff-*`.
    pub fn wire_format(&self) -> OutputFormat {
        wire_format(self.format)
    }

    /// The `synthesis.context` body.
    pub fn context_body(&self) -> String {
        let m = self.metadata;
        json!({
            "synthesis": {
                "audio": {
                    "metadataOptions": {
                        "bookmarkEnabled": m.bookmarks,
                        "punctuationBoundaryEnabled": m.punctuation_boundary,
                        "sentenceBoundaryEnabled": m.sentence_boundary,
                        "sessionEndEnabled": true,
                        "visemeEnabled": m.visemes,
                        "wordBoundaryEnabled": m.word_boundary,
                    },
                    "outputFormat": self.wire_format().as_str(),
                },
                "language": {"autoDetection": false},
            }
        })
        .to_string()
    }
}

/// The format to ask the service for: the `raw-*` twin of a `riff-*` format, any other as it is.
pub fn wire_format(format: OutputFormat) -> OutputFormat {
    if format.is_riff() {
        if let Ok(raw) = format.as_str().replacen("riff-", "raw-", 1).parse() {
            return raw;
        }
    }
    format
}

/// The 44-byte RIFF header for `data_len` bytes of `format`'s audio, when it is a `riff-*` format of PCM,
/// µ-law or A-law (what Microsoft's SDKs put in front of the raw audio they asked for); `None` otherwise.
pub fn riff_header(format: OutputFormat, data_len: u64) -> Option<[u8; 44]> {
    if !format.is_riff() {
        return None;
    }
    let (tag, bits) = match format.codec() {
        Codec::Pcm => (1u16, format.bits_per_sample().unwrap_or(16)),
        Codec::MuLaw => (7, 8),
        Codec::ALaw => (6, 8),
        _ => return None,
    };
    let mut h = crate::audio::pcm16_mono_wav_header(format.sample_rate(), data_len);
    let block = bits / 8;
    h[20..22].copy_from_slice(&tag.to_le_bytes());
    h[28..32].copy_from_slice(&(format.sample_rate() * u32::from(block)).to_le_bytes());
    h[32..34].copy_from_slice(&block.to_le_bytes());
    h[34..36].copy_from_slice(&bits.to_le_bytes());
    Some(h)
}

/// The `speech.config` body: who is calling.
pub fn config_body() -> String {
    json!({
        "context": {
            "system": {
                "name": "speech-rs",
                "version": env!("CARGO_PKG_VERSION"),
                "build": "Rust",
                "lang": "Rust",
            },
            "os": {"platform": std::env::consts::OS, "name": "unknown", "version": "unknown"},
        }
    })
    .to_string()
}

pub(crate) fn config_message(request_id: &str, wall: Timestamp) -> String {
    encode_text(
        "speech.config",
        request_id,
        wall,
        Some("application/json"),
        &config_body(),
    )
}

pub(crate) fn context_message(request: &SpeakRequest, request_id: &str, wall: Timestamp) -> String {
    encode_text(
        "synthesis.context",
        request_id,
        wall,
        Some("application/json"),
        &request.context_body(),
    )
}

pub(crate) fn ssml_message(request: &SpeakRequest, request_id: &str, wall: Timestamp) -> String {
    encode_text(
        "ssml",
        request_id,
        wall,
        Some("application/ssml+xml"),
        &request.ssml,
    )
}

/// The byte offset of `needle` in `haystack` at or after `from`; in SSML, a hit inside a tag (`<…>`) is
/// skipped. `None` when it is not there.
pub(crate) fn find_text(
    haystack: &str,
    needle: &str,
    from: usize,
    skip_tags: bool,
) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    let mut at = from;
    loop {
        let rest = haystack.get(at..)?;
        let hit = at + rest.find(needle)?;
        if !skip_tags || !inside_tag(haystack, hit) {
            return Some(hit);
        }
        at = hit + haystack[hit..].chars().next().map_or(1, char::len_utf8);
    }
}

fn inside_tag(s: &str, at: usize) -> bool {
    let before = &s.as_bytes()[..at];
    match (
        before.iter().rposition(|b| *b == b'<'),
        before.iter().rposition(|b| *b == b'>'),
    ) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_paths() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let uri = |ep: &Endpoint, p| handshake(ep, p, key, "c").unwrap().uri().to_string();
        let region = Endpoint::region("westus").unwrap();
        assert_eq!(
            uri(&region, SynthesisPath::Current),
            "wss://westus.tts.speech.microsoft.com/tts/cognitiveservices/websocket/v1"
        );
        assert_eq!(
            uri(&region, SynthesisPath::Legacy),
            "wss://westus.tts.speech.microsoft.com/cognitiveservices/websocket/v1"
        );
        let domain = Endpoint::custom_domain("my-res").unwrap();
        for p in [SynthesisPath::Current, SynthesisPath::Legacy] {
            assert_eq!(
                uri(&domain, p),
                "wss://my-res.cognitiveservices.azure.com/tts/cognitiveservices/websocket/v1"
            );
        }
        let sovereign = Endpoint::us_government("usgovvirginia").unwrap();
        assert!(uri(&sovereign, SynthesisPath::Current)
            .starts_with("wss://usgovvirginia.tts.speech.azure.us/"));
        let local = Endpoint::base_url("http://127.0.0.1:5000").unwrap();
        assert_eq!(
            uri(&local, SynthesisPath::Current),
            "ws://127.0.0.1:5000/tts/cognitiveservices/websocket/v1"
        );
    }

    #[test]
    fn riff_formats_go_raw_and_get_their_header_back() {
        let riff: OutputFormat = "riff-24khz-16bit-mono-pcm".parse().unwrap();
        assert_eq!(wire_format(riff).as_str(), "raw-24khz-16bit-mono-pcm");
        let mp3: OutputFormat = "audio-24khz-48kbitrate-mono-mp3".parse().unwrap();
        assert_eq!(wire_format(mp3), mp3);
        assert!(riff_header(mp3, 10).is_none());
        let h = riff_header(riff, 48_000).unwrap();
        let parsed = crate::audio::parse_wav_header(&h).unwrap().unwrap();
        assert_eq!(parsed.format.sample_rate, 24_000);
        let mulaw: OutputFormat = "riff-8khz-8bit-mono-mulaw".parse().unwrap();
        assert_eq!(wire_format(mulaw).as_str(), "raw-8khz-8bit-mono-mulaw");
        let h = riff_header(mulaw, 8_000).unwrap();
        assert_eq!(u16::from_le_bytes([h[20], h[21]]), 7);
        assert_eq!(u16::from_le_bytes([h[34], h[35]]), 8);
        assert_eq!(u32::from_le_bytes([h[28], h[29], h[30], h[31]]), 8_000);
    }

    #[test]
    fn context_asks_for_the_events_and_the_wire_format() {
        let r = SpeakRequest::text("en-US", "en-US-AvaNeural", "Hi & bye")
            .unwrap()
            .format("riff-16khz-16bit-mono-pcm".parse().unwrap())
            .metadata(MetadataOptions::all());
        let v: serde_json::Value = serde_json::from_str(&r.context_body()).unwrap();
        let audio = &v["synthesis"]["audio"];
        assert_eq!(audio["outputFormat"], "raw-16khz-16bit-mono-pcm");
        assert_eq!(audio["metadataOptions"]["visemeEnabled"], true);
        assert_eq!(audio["metadataOptions"]["wordBoundaryEnabled"], true);
        assert_eq!(r.offsets_input(), "Hi & bye");
        assert!(r.ssml_text().contains("Hi &amp; bye"));
        assert!(SpeakRequest::ssml("  ").is_err());
        assert!(SpeakRequest::ssml("x".repeat(MAX_SSML + 1)).is_err());
    }

    #[test]
    fn text_is_found_outside_tags() {
        let ssml = "<speak><voice name='en-US-Guy'>Guy said hi</voice></speak>";
        let at = find_text(ssml, "Guy", 0, true).unwrap();
        assert_eq!(&ssml[at..at + 11], "Guy said hi");
        assert_eq!(find_text(ssml, "Guy", 0, false), Some(26));
        assert_eq!(find_text(ssml, "nope", 0, true), None);
        assert_eq!(find_text("ab", "b", 5, true), None);
        assert_eq!(find_text("éé", "é", 1, false), None);
    }
}
