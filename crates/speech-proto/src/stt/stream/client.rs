//! What a client sends (spec part B.5): `speech.config`, `speech.context`, the turn's RIFF header and audio, the
//! end of audio; and the handshake request (B.1–B.3).

use http::Request;
use serde_json::{json, Value};

use crate::endpoint::{Endpoint, HostKind};
use crate::error::{Error, Misuse};
use crate::stt::short::{Mode, Profanity, ResultFormat};
use crate::ws::websocket_handshake;

use super::frame::{encode_binary, encode_text, Timestamp};

/// The universal v2 path (what Microsoft's SDKs use today; `/stt` is prepended on a custom domain).
pub const UNIVERSAL_V2_PATH: &str = "/speech/universal/v2";

/// Which WebSocket path a session connects to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StreamPath {
    /// `/speech/universal/v2`: the mode travels in `speech.context`.
    #[default]
    UniversalV2,
    /// `/speech/recognition/{mode}/cognitiveservices/v1`: the mode is the path.
    ModeV1,
}

/// Speech translation's V2 path on a regional host (`/stt` is the host's label on a custom domain).
pub const TRANSLATION_V2_PATH: &str = "/stt/speech/universal/v2";

/// Speech translation's V1 path, on the region's `s2s` host.
pub const TRANSLATION_V1_PATH: &str = "/speech/translation/cognitiveservices/v1";

/// Which protocol a translation session speaks (spec part 2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TranslationPath {
    /// `/stt/speech/universal/v2`, what Microsoft's SDKs use today: the target languages travel in
    /// `speech.context`, results come as `translation.response`.
    #[default]
    UniversalV2,
    /// `/speech/translation/cognitiveservices/v1` on the `s2s` host: the target languages travel in the query,
    /// results come as `translation.hypothesis` and `translation.phrase`.
    V1,
}

/// What a translation session translates into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Translate {
    pub(crate) targets: Vec<String>,
    pub(crate) voice: Option<String>,
    pub(crate) path: TranslationPath,
}

/// The PCM audio a session streams: 16-bit little-endian samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PcmFormat {
    /// Samples per second (16 000 for the service's default model).
    pub sample_rate: u32,
    /// Channels (1).
    pub channels: u16,
}

impl Default for PcmFormat {
    fn default() -> Self {
        PcmFormat {
            sample_rate: 16_000,
            channels: 1,
        }
    }
}

impl PcmFormat {
    /// Bytes per second of audio.
    pub fn bytes_per_second(&self) -> u64 {
        u64::from(self.sample_rate) * u64::from(self.channels) * 2
    }

    /// Bytes per sample frame (all channels).
    pub fn block_align(&self) -> u64 {
        u64::from(self.channels) * 2
    }

    /// The byte position of `ticks` (100 ns) of audio, rounded down to a whole sample frame.
    pub fn bytes_at_ticks(&self, ticks: u64) -> u64 {
        let bytes = u128::from(ticks) * u128::from(self.bytes_per_second()) / 10_000_000;
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        bytes - bytes % self.block_align()
    }

    /// The audio time, in ticks, of `bytes`.
    pub fn ticks_at_bytes(&self, bytes: u64) -> u64 {
        let ticks = u128::from(bytes) * 10_000_000 / u128::from(self.bytes_per_second().max(1));
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// The 44-byte RIFF header the turn's first audio message carries, with RIFF and data sizes 0 (a stream of
    /// unknown length), as Microsoft's SDKs send it.
    pub fn riff_header(&self) -> [u8; 44] {
        let mut h = [0u8; 44];
        h[0..4].copy_from_slice(b"RIFF");
        h[8..16].copy_from_slice(b"WAVEfmt ");
        h[16..20].copy_from_slice(&16u32.to_le_bytes());
        h[20..22].copy_from_slice(&1u16.to_le_bytes());
        h[22..24].copy_from_slice(&self.channels.to_le_bytes());
        h[24..28].copy_from_slice(&self.sample_rate.to_le_bytes());
        let byte_rate = u32::try_from(self.bytes_per_second()).unwrap_or(u32::MAX);
        h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
        h[32..34].copy_from_slice(&(self.channels * 2).to_le_bytes());
        h[34..36].copy_from_slice(&16u16.to_le_bytes());
        h[36..40].copy_from_slice(b"data");
        h
    }
}

/// What is recognized and how: the handshake's query and the `speech.context` of every turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRequest {
    pub(crate) language: String,
    pub(crate) mode: Mode,
    pub(crate) format: ResultFormat,
    pub(crate) profanity: Option<Profanity>,
    pub(crate) path: StreamPath,
    pub(crate) audio: PcmFormat,
    pub(crate) translate: Option<Translate>,
}

impl StreamRequest {
    /// Streaming recognition of `language` (a BCP 47 tag such as `en-US`): conversation mode (continuous),
    /// simple results, the universal v2 path, 16 kHz mono PCM.
    pub fn new(language: impl Into<String>) -> Self {
        StreamRequest {
            language: language.into(),
            mode: Mode::Conversation,
            format: ResultFormat::Simple,
            profanity: None,
            path: StreamPath::UniversalV2,
            audio: PcmFormat::default(),
            translate: None,
        }
    }

    /// Translate what is recognized into `language` too (`en`, `de`, `zh-Hans`, …); call it once per target
    /// language. A session with targets is a translation session: its phrases come with their translations.
    pub fn translate_to(mut self, language: impl Into<String>) -> Self {
        let language = language.into();
        let t = self.translate.get_or_insert_with(Translate::default);
        if !t.targets.iter().any(|l| l.eq_ignore_ascii_case(&language)) {
            t.targets.push(language);
        }
        self
    }

    /// Speak each translation with this voice (e.g. `en-US-AvaNeural`): the service then sends its audio.
    pub fn translation_voice(mut self, voice: impl Into<String>) -> Self {
        self.translate.get_or_insert_with(Translate::default).voice = Some(voice.into());
        self
    }

    /// The translation protocol (default: [`TranslationPath::UniversalV2`]).
    pub fn translation_path(mut self, path: TranslationPath) -> Self {
        self.translate.get_or_insert_with(Translate::default).path = path;
        self
    }

    /// The target languages, empty when this is not a translation session.
    pub fn targets(&self) -> &[String] {
        self.translate
            .as_ref()
            .map_or(&[], |t| t.targets.as_slice())
    }

    /// Whether this is a translation session.
    pub fn is_translation(&self) -> bool {
        self.translate.is_some()
    }

    /// The recognition mode: `Interactive` recognizes one phrase and ends; `Conversation` and `Dictation` go on
    /// until the audio ends.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Simple (display text) or detailed (NBest) phrases.
    pub fn format(mut self, format: ResultFormat) -> Self {
        self.format = format;
        self
    }

    /// What the service does with profanity (its default: masked).
    pub fn profanity(mut self, profanity: Profanity) -> Self {
        self.profanity = Some(profanity);
        self
    }

    /// The path to connect to.
    pub fn path(mut self, path: StreamPath) -> Self {
        self.path = path;
        self
    }

    /// The PCM format of the audio to be streamed.
    pub fn audio(mut self, audio: PcmFormat) -> Self {
        self.audio = audio;
        self
    }

    /// The language.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The recognition mode.
    pub fn recognition_mode(&self) -> Mode {
        self.mode
    }

    /// The PCM format.
    pub fn pcm(&self) -> PcmFormat {
        self.audio
    }

    /// Whether the session ends after one phrase (interactive mode).
    pub fn is_single_shot(&self) -> bool {
        self.mode == Mode::Interactive
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        let tag = |name: &'static str, l: &str| {
            if l.is_empty()
                || l.len() > 35
                || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(Error::from(Misuse::InvalidValue {
                    name,
                    reason: format!("{l:?} is not a BCP 47 language tag such as en-US"),
                }));
            }
            Ok(())
        };
        tag("language", &self.language)?;
        if let Some(t) = &self.translate {
            if t.targets.is_empty() {
                return Err(Misuse::Missing("target language").into());
            }
            for target in &t.targets {
                tag("target language", target)?;
            }
            if let Some(v) = &t.voice {
                if v.trim().is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
                    return Err(Misuse::InvalidValue {
                        name: "translation voice",
                        reason: format!("{v:?} is not a voice name such as en-US-AvaNeural"),
                    }
                    .into());
                }
            }
        }
        if self.audio.sample_rate == 0 || self.audio.channels == 0 || self.audio.channels > 8 {
            return Err(Misuse::InvalidValue {
                name: "audio format",
                reason: "a sample rate above 0 and 1–8 channels are needed".to_owned(),
            }
            .into());
        }
        Ok(())
    }

    fn url_path(&self) -> &'static str {
        match self.path {
            StreamPath::UniversalV2 => UNIVERSAL_V2_PATH,
            StreamPath::ModeV1 => self.mode.path(),
        }
    }

    /// The handshake request: `GET` on the path with `language`, `format` (and `profanity`), `X-ConnectionId`,
    /// and the caller's `Sec-WebSocket-Key`. Add the credential with
    /// [`Auth::authorize`](crate::auth::Auth::authorize); it goes in headers, never in the URL.
    ///
    /// # Errors
    ///
    /// What [`websocket_handshake`] refuses, and a language or audio format that cannot be used.
    pub fn handshake(
        &self,
        endpoint: &Endpoint,
        sec_websocket_key: &str,
        connection_id: &str,
    ) -> Result<Request<()>, Error> {
        self.check()?;
        if let Some(t) = &self.translate {
            return self.translation_handshake(t, endpoint, sec_websocket_key, connection_id);
        }
        let mut query = vec![
            ("language", self.language.as_str()),
            ("format", self.format.as_str()),
        ];
        if let Some(p) = self.profanity {
            query.push(("profanity", p.as_str()));
        }
        websocket_handshake(
            endpoint,
            HostKind::SpeechToText,
            self.url_path(),
            &query,
            sec_websocket_key,
            connection_id,
        )
    }

    /// V2: `/stt/speech/universal/v2` with `from`, the targets comma-joined in one `to` (as the JavaScript SDK
    /// sends them; the service reads `speech.context`). V1: the `s2s` host, one `to` per target (as the native
    /// SDKs send them), and `features=texttospeech&voice=…` for a voice.
    fn translation_handshake(
        &self,
        t: &Translate,
        endpoint: &Endpoint,
        sec_websocket_key: &str,
        connection_id: &str,
    ) -> Result<Request<()>, Error> {
        let joined = t.targets.join(",");
        let mut query = vec![("from", self.language.as_str())];
        let (host, path) = match t.path {
            TranslationPath::UniversalV2 => {
                query.push(("to", joined.as_str()));
                // A custom domain puts the host's label (`/stt`) in front of the path itself.
                let path = if endpoint.custom_domain_name().is_some() {
                    UNIVERSAL_V2_PATH
                } else {
                    TRANSLATION_V2_PATH
                };
                (HostKind::SpeechToText, path)
            }
            TranslationPath::V1 => {
                query.extend(t.targets.iter().map(|l| ("to", l.as_str())));
                if let Some(v) = &t.voice {
                    query.push(("features", "texttospeech"));
                    query.push(("voice", v.as_str()));
                }
                (HostKind::SpeechTranslation, TRANSLATION_V1_PATH)
            }
        };
        query.push(("format", self.format.as_str()));
        if let Some(p) = self.profanity {
            query.push(("profanity", p.as_str()));
        }
        websocket_handshake(
            endpoint,
            host,
            path,
            &query,
            sec_websocket_key,
            connection_id,
        )
    }

    /// The `speech.config` body.
    pub fn config_body(&self) -> String {
        json!({
            "context": {
                "system": {
                    "name": "speech-rs",
                    "version": env!("CARGO_PKG_VERSION"),
                    "build": "Rust",
                    "lang": "Rust",
                },
                "os": {"platform": std::env::consts::OS, "name": "unknown", "version": "unknown"},
                "audio": {"source": {
                    "bitspersample": 16,
                    "channelcount": self.audio.channels,
                    "connectivity": "Unknown",
                    "manufacturer": "speech-rs",
                    "model": "Stream",
                    "samplerate": self.audio.sample_rate,
                    "type": "Stream",
                }},
            },
            "recognition": self.mode.as_str(),
        })
        .to_string()
    }

    /// The `speech.context` body of a turn.
    pub fn context_body(&self) -> String {
        let mode = match self.mode {
            Mode::Conversation => "Conversation",
            Mode::Interactive => "Interactive",
            Mode::Dictation => "Dictation",
        };
        let mut enrichment = serde_json::Map::new();
        if let Some(p) = self.profanity {
            let p = match p {
                Profanity::Masked => "Masked",
                Profanity::Removed => "Removed",
                Profanity::Raw => "Raw",
            };
            enrichment.insert("profanity".to_owned(), Value::from(p));
        }
        let phrase_output = match self.format {
            ResultFormat::Simple => json!({}),
            ResultFormat::Detailed => {
                json!({"format": "Detailed", "detailed": {"options": ["WordTimings"]}})
            }
        };
        let mut context = json!({
            "phraseDetection": {"mode": mode, "language": self.language, "enrichment": enrichment},
            "phraseOutput": phrase_output,
        });
        if let Some(t) = &self.translate {
            // As the JavaScript SDK asks (spec part 2.4): translate hypotheses and phrases, into every target,
            // spoken by the voice when there is one.
            let action = if t.voice.is_some() {
                "Synthesize"
            } else {
                "None"
            };
            context["phraseDetection"]["onSuccess"] = json!({"action": "Translate"});
            context["phraseDetection"]["onInterim"] = json!({"action": "Translate"});
            context["translation"] = json!({
                "onPassthrough": {"action": action},
                "onSuccess": {"action": action},
                "output": {"includePassThroughResults": true, "interimResults": {"mode": "Always"}},
                "targetLanguages": t.targets,
            });
            if let Some(voice) = &t.voice {
                let voices: serde_json::Map<String, Value> = t
                    .targets
                    .iter()
                    .map(|l| (l.clone(), Value::from(voice.as_str())))
                    .collect();
                context["synthesis"] = json!({"defaultVoices": voices});
            }
        }
        context.to_string()
    }
}

/// `speech.config`, once per connection.
pub fn config_message(request: &StreamRequest, request_id: &str, at: Timestamp) -> String {
    encode_text(
        "speech.config",
        request_id,
        at,
        Some("application/json"),
        &request.config_body(),
    )
}

/// `speech.context`, before each turn's audio.
pub fn context_message(request: &StreamRequest, request_id: &str, at: Timestamp) -> String {
    encode_text(
        "speech.context",
        request_id,
        at,
        Some("application/json"),
        &request.context_body(),
    )
}

/// The turn's first audio message: `Content-Type: audio/x-wav` and the RIFF header alone.
pub fn audio_header_message(request: &StreamRequest, request_id: &str, at: Timestamp) -> Vec<u8> {
    encode_binary(
        "audio",
        request_id,
        at,
        Some("audio/x-wav"),
        &[],
        &request.audio.riff_header(),
    )
}

/// An audio message with PCM (empty `pcm`: the end of audio).
pub fn audio_message(request_id: &str, at: Timestamp, pcm: &[u8]) -> Vec<u8> {
    encode_binary("audio", request_id, at, None, &[], pcm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::stream::frame::{decode_binary, decode_text};

    #[test]
    fn handshake_paths_and_query() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let r = StreamRequest::new("en-US");
        let req = r
            .handshake(&Endpoint::region("westus").unwrap(), key, "ABC")
            .unwrap();
        assert_eq!(
            req.uri(),
            "wss://westus.stt.speech.microsoft.com/speech/universal/v2?language=en-US&format=simple"
        );
        assert_eq!(req.headers()["x-connectionid"], "ABC");
        let req = r
            .clone()
            .path(StreamPath::ModeV1)
            .mode(Mode::Interactive)
            .format(ResultFormat::Detailed)
            .profanity(Profanity::Raw)
            .handshake(&Endpoint::custom_domain("my-res").unwrap(), key, "ABC")
            .unwrap();
        assert_eq!(
            req.uri(),
            "wss://my-res.cognitiveservices.azure.com/stt/speech/recognition/interactive/cognitiveservices/v1?\
             language=en-US&format=detailed&profanity=raw"
        );
        let req = r
            .handshake(
                &Endpoint::base_url("http://127.0.0.1:5000").unwrap(),
                key,
                "ABC",
            )
            .unwrap();
        assert_eq!(
            req.uri(),
            "ws://127.0.0.1:5000/speech/universal/v2?language=en-US&format=simple"
        );
        assert!(StreamRequest::new("en US")
            .handshake(&Endpoint::region("westus").unwrap(), key, "A")
            .is_err());
    }

    #[test]
    fn messages_as_the_sdk_sends_them() {
        let r = StreamRequest::new("de-DE").profanity(Profanity::Removed);
        let m = decode_text(context_message(&r, "R1", Timestamp(0)).as_bytes()).unwrap();
        let v: Value = serde_json::from_slice(&m.body).unwrap();
        assert_eq!(v["phraseDetection"]["mode"], "Conversation");
        assert_eq!(v["phraseDetection"]["language"], "de-DE");
        assert_eq!(v["phraseDetection"]["enrichment"]["profanity"], "Removed");
        let m = decode_text(config_message(&r, "R1", Timestamp(0)).as_bytes()).unwrap();
        let v: Value = serde_json::from_slice(&m.body).unwrap();
        assert_eq!(v["recognition"], "conversation");
        assert_eq!(v["context"]["audio"]["source"]["samplerate"], 16000);

        let h = decode_binary(&audio_header_message(&r, "R1", Timestamp(0))).unwrap();
        assert_eq!(h.content_type(), Some("audio/x-wav"));
        assert_eq!(h.body.len(), 44);
        assert_eq!(&h.body[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(h.body[24..28].try_into().unwrap()),
            16_000
        );
        assert_eq!(u32::from_le_bytes(h.body[40..44].try_into().unwrap()), 0);
        let a = decode_binary(&audio_message("R1", Timestamp(0), &[1, 2, 3, 4])).unwrap();
        assert_eq!(a.content_type(), None);
        assert_eq!(a.body, [1, 2, 3, 4]);
    }

    #[test]
    fn translation_handshakes_and_context() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let uri =
            |r: &StreamRequest, e: &Endpoint| r.handshake(e, key, "ABC").unwrap().uri().to_string();
        let region = Endpoint::region("westus").unwrap();
        let r = StreamRequest::new("es-ES")
            .translate_to("en")
            .translate_to("fr")
            .translate_to("EN");
        assert_eq!(r.targets(), ["en", "fr"]);
        assert_eq!(
            uri(&r, &region),
            "wss://westus.stt.speech.microsoft.com/stt/speech/universal/v2?from=es-ES&to=en%2Cfr&format=simple"
        );
        assert_eq!(
            uri(&r, &Endpoint::custom_domain("my-res").unwrap()),
            "wss://my-res.cognitiveservices.azure.com/stt/speech/universal/v2?from=es-ES&to=en%2Cfr&format=simple"
        );
        assert_eq!(
            uri(&r, &Endpoint::base_url("http://127.0.0.1:5000").unwrap()),
            "ws://127.0.0.1:5000/stt/speech/universal/v2?from=es-ES&to=en%2Cfr&format=simple"
        );
        let v1 = r
            .clone()
            .translation_path(TranslationPath::V1)
            .translation_voice("en-US-AvaNeural");
        assert_eq!(
            uri(&v1, &region),
            "wss://westus.s2s.speech.microsoft.com/speech/translation/cognitiveservices/v1?from=es-ES&to=en&to=fr&\
             features=texttospeech&voice=en-US-AvaNeural&format=simple"
        );

        let v: Value = serde_json::from_str(&r.context_body()).unwrap();
        assert_eq!(v["phraseDetection"]["onSuccess"]["action"], "Translate");
        assert_eq!(v["phraseDetection"]["language"], "es-ES");
        assert_eq!(v["translation"]["targetLanguages"], json!(["en", "fr"]));
        assert_eq!(v["translation"]["onSuccess"]["action"], "None");
        assert!(v.get("synthesis").is_none());
        let v: Value = serde_json::from_str(&v1.context_body()).unwrap();
        assert_eq!(v["translation"]["onSuccess"]["action"], "Synthesize");
        assert_eq!(v["synthesis"]["defaultVoices"]["fr"], "en-US-AvaNeural");
        // Plain recognition says nothing of translation.
        let v: Value = serde_json::from_str(&StreamRequest::new("en-US").context_body()).unwrap();
        assert!(v.get("translation").is_none() && v["phraseDetection"].get("onSuccess").is_none());

        for bad in [
            StreamRequest::new("es-ES").translate_to("en US"),
            StreamRequest::new("es-ES").translation_voice("en-US-AvaNeural"),
            StreamRequest::new("es-ES")
                .translate_to("en")
                .translation_voice("a\r\nb"),
        ] {
            assert!(matches!(
                bad.handshake(&region, key, "A"),
                Err(Error::Misuse(_))
            ));
        }
    }

    #[test]
    fn ticks_and_bytes() {
        let f = PcmFormat::default();
        assert_eq!(f.bytes_at_ticks(10_000_000), 32_000);
        assert_eq!(f.bytes_at_ticks(3), 0);
        assert_eq!(f.bytes_at_ticks(10_001), 32);
        assert_eq!(f.ticks_at_bytes(32_000), 10_000_000);
        let stereo = PcmFormat {
            sample_rate: 16_000,
            channels: 2,
        };
        assert_eq!(stereo.bytes_at_ticks(10_001) % 4, 0);
    }
}
