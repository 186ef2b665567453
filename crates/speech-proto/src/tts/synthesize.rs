//! Text-to-speech: the SSML builder, every output format, and the synthesis request builder.
//!
//! ```
//! use speech_proto::synthesize::{Break, OutputFormat, Prosody, Ssml, SynthesisRequest, VoiceSegment};
//! use speech_proto::Endpoint;
//! use std::time::Duration;
//!
//! let ssml = Ssml::new("en-US").voice(
//!     VoiceSegment::new("en-US-AvaNeural")
//!         .text("Fish & chips <today>")
//!         .pause(Break::Time(Duration::from_millis(300)))
//!         .prosody(Prosody::new().rate("-10%"), "slowly"),
//! );
//! assert_eq!(
//!     ssml.to_xml()?,
//!     "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">\
//!      <voice name=\"en-US-AvaNeural\">Fish &amp; chips &lt;today&gt;<break time=\"300ms\"/>\
//!      <prosody rate=\"-10%\">slowly</prosody></voice></speak>"
//! );
//!
//! let format: OutputFormat = "Audio-24khz-48kbitrate-mono-mp3".parse()?;
//! let request = SynthesisRequest::new(&ssml, format, "my-app/1.0")?;
//! let head = request.build(&Endpoint::region("westus")?)?;
//! assert_eq!(head.uri(), "https://westus.tts.speech.microsoft.com/cognitiveservices/v1");
//! assert_eq!(head.headers()["x-microsoft-outputformat"], "audio-24khz-48kbitrate-mono-mp3");
//! assert_eq!(head.headers()["content-length"], request.body().len().to_string().as_str());
//! # Ok::<(), speech_proto::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request};

use crate::endpoint::Endpoint;
use crate::error::{Error, Misuse};
use crate::header::checked_value;
use crate::stt::short::BodyLength;

/// The most `voice` elements one SSML document may hold (the service counts `voice` and `audio` together).
pub const MAX_VOICE_ELEMENTS: usize = 50;

/// `User-Agent` must be shorter than this many characters.
pub const MAX_USER_AGENT_LEN: usize = 255;

/// The header that names the output format.
pub const OUTPUT_FORMAT_HEADER: &str = "x-microsoft-outputformat";

/// The SSML namespace.
pub const SSML_NAMESPACE: &str = "http://www.w3.org/2001/10/synthesis";

/// An SSML document: a `speak` element with one or more `voice` segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssml {
    lang: String,
    voices: Vec<VoiceSegment>,
}

/// One `voice` element and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceSegment {
    name: String,
    content: Vec<Content>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Content {
    Text(String),
    Break(Break),
    Prosody(Prosody, String),
}

/// A pause (`break` element).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Break {
    /// A pause of this length (`time="500ms"`; the service caps it at 20 s).
    Time(Duration),
    /// A pause of a relative strength (`strength="medium"`).
    Strength(BreakStrength),
}

/// The strength of a [`Break`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakStrength {
    /// No pause.
    None,
    /// `x-weak`.
    ExtraWeak,
    /// `weak`.
    Weak,
    /// `medium`.
    Medium,
    /// `strong`.
    Strong,
    /// `x-strong`.
    ExtraStrong,
}

impl BreakStrength {
    fn as_str(self) -> &'static str {
        match self {
            BreakStrength::None => "none",
            BreakStrength::ExtraWeak => "x-weak",
            BreakStrength::Weak => "weak",
            BreakStrength::Medium => "medium",
            BreakStrength::Strong => "strong",
            BreakStrength::ExtraStrong => "x-strong",
        }
    }
}

/// Prosody attributes for a stretch of text (`prosody` element). Values are passed as written in SSML, e.g.
/// rate `"+10%"`, `"slow"`, `"1.2"`; pitch `"-2st"`, `"high"`; volume `"+20%"`, `"soft"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Prosody {
    rate: Option<String>,
    pitch: Option<String>,
    volume: Option<String>,
}

impl Prosody {
    /// No attributes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Speaking rate.
    pub fn rate(mut self, rate: impl Into<String>) -> Self {
        self.rate = Some(rate.into());
        self
    }

    /// Baseline pitch.
    pub fn pitch(mut self, pitch: impl Into<String>) -> Self {
        self.pitch = Some(pitch.into());
        self
    }

    /// Volume.
    pub fn volume(mut self, volume: impl Into<String>) -> Self {
        self.volume = Some(volume.into());
        self
    }

    fn attributes(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("rate", &self.rate),
            ("pitch", &self.pitch),
            ("volume", &self.volume),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }
}

impl VoiceSegment {
    /// A `voice` element for this voice (its `ShortName`, e.g. `en-US-AvaNeural`, or its long `Name`).
    pub fn new(name: impl Into<String>) -> Self {
        VoiceSegment {
            name: name.into(),
            content: Vec::new(),
        }
    }

    /// Text to speak (escaped when written).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.content.push(Content::Text(text.into()));
        self
    }

    /// A pause.
    pub fn pause(mut self, pause: Break) -> Self {
        self.content.push(Content::Break(pause));
        self
    }

    /// Text spoken with prosody attributes.
    pub fn prosody(mut self, prosody: Prosody, text: impl Into<String>) -> Self {
        self.content.push(Content::Prosody(prosody, text.into()));
        self
    }
}

impl Ssml {
    /// A document in language `lang` (`xml:lang`, e.g. `en-US`).
    pub fn new(lang: impl Into<String>) -> Self {
        Ssml {
            lang: lang.into(),
            voices: Vec::new(),
        }
    }

    /// A document with one voice saying `text`.
    pub fn simple(
        lang: impl Into<String>,
        voice: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Ssml::new(lang).voice(VoiceSegment::new(voice).text(text))
    }

    /// Append a `voice` segment.
    pub fn voice(mut self, voice: VoiceSegment) -> Self {
        self.voices.push(voice);
        self
    }

    /// Validate and write the document.
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] for an empty language or voice name or a document without voices;
    /// [`Misuse::InvalidValue`] for more than [`MAX_VOICE_ELEMENTS`] voices, a language that is not a BCP 47
    /// tag, an empty prosody value, or any text or value holding a control character other than tab, line feed
    /// and carriage return (XML 1.0 cannot carry them) or U+FFFE/U+FFFF.
    pub fn to_xml(&self) -> Result<String, Error> {
        if self.lang.is_empty() {
            return Err(Misuse::Missing("xml:lang").into());
        }
        if !self
            .lang
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Misuse::InvalidValue {
                name: "xml:lang",
                reason: "must be a BCP 47 locale such as en-US (letters, digits and hyphens)"
                    .to_owned(),
            }
            .into());
        }
        if self.voices.is_empty() {
            return Err(Misuse::Missing("voice").into());
        }
        if self.voices.len() > MAX_VOICE_ELEMENTS {
            return Err(Misuse::InvalidValue {
                name: "voice",
                reason: format!(
                    "{} voice elements; the service takes at most {MAX_VOICE_ELEMENTS} per document",
                    self.voices.len()
                ),
            }
            .into());
        }
        let mut out = String::with_capacity(128);
        out.push_str("<speak version=\"1.0\" xmlns=\"");
        out.push_str(SSML_NAMESPACE);
        out.push_str("\" xml:lang=\"");
        out.push_str(&self.lang);
        out.push_str("\">");
        for v in &self.voices {
            if v.name.is_empty() {
                return Err(Misuse::Missing("voice name").into());
            }
            check_xml_chars("voice name", &v.name)?;
            out.push_str("<voice name=\"");
            escape_attr(&v.name, &mut out);
            out.push_str("\">");
            for c in &v.content {
                match c {
                    Content::Text(t) => {
                        check_xml_chars("text", t)?;
                        escape_text(t, &mut out);
                    }
                    Content::Break(Break::Time(d)) => {
                        out.push_str("<break time=\"");
                        out.push_str(&d.as_millis().to_string());
                        out.push_str("ms\"/>");
                    }
                    Content::Break(Break::Strength(s)) => {
                        out.push_str("<break strength=\"");
                        out.push_str(s.as_str());
                        out.push_str("\"/>");
                    }
                    Content::Prosody(p, t) => {
                        out.push_str("<prosody");
                        for (k, value) in p.attributes() {
                            if value.is_empty() {
                                return Err(Misuse::InvalidValue {
                                    name: "prosody",
                                    reason: format!("the {k} value is empty"),
                                }
                                .into());
                            }
                            check_xml_chars("prosody", value)?;
                            out.push(' ');
                            out.push_str(k);
                            out.push_str("=\"");
                            escape_attr(value, &mut out);
                            out.push('"');
                        }
                        out.push('>');
                        check_xml_chars("text", t)?;
                        escape_text(t, &mut out);
                        out.push_str("</prosody>");
                    }
                }
            }
            out.push_str("</voice>");
        }
        out.push_str("</speak>");
        Ok(out)
    }
}

/// Refuse characters XML 1.0 cannot carry (and other control characters, which no voice speaks).
fn check_xml_chars(name: &'static str, s: &str) -> Result<(), Error> {
    match s.char_indices().find(|(_, c)| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    }) {
        None => Ok(()),
        Some((at, c)) => Err(Misuse::InvalidValue {
            name,
            reason: format!(
                "holds the control character U+{:04X} at byte {at}; XML 1.0 cannot carry it",
                u32::from(c)
            ),
        }
        .into()),
    }
}

/// Escape character data: `&`, `<`, `>`, and `\r` (which an XML parser would otherwise turn into `\n`).
fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Escape an attribute value: the text escapes, both quotes, and tab/line feed (which attribute-value
/// normalisation would turn into spaces).
fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// The container (file or stream structure) of an [`OutputFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Container {
    /// A RIFF/WAVE file (header, then samples).
    Riff,
    /// Headerless samples: the caller must know the rate, bits and encoding.
    Raw,
    /// MP3 frames.
    Mp3,
    /// An Ogg stream.
    Ogg,
    /// A WebM stream.
    Webm,
    /// Opus packets without a container.
    Opus,
    /// An AMR-WB stream.
    Amr,
    /// A SILK stream.
    Silk,
    /// A FLAC stream.
    Flac,
    /// A G.722 stream.
    G722,
}

/// The audio codec of an [`OutputFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Signed little-endian integer PCM.
    Pcm,
    /// G.711 A-law.
    ALaw,
    /// G.711 µ-law.
    MuLaw,
    /// MPEG-1/2 Layer III.
    Mp3,
    /// Opus.
    Opus,
    /// AMR wideband.
    AmrWb,
    /// SILK.
    Silk,
    /// FLAC.
    Flac,
    /// G.722.
    G722,
}

#[derive(Clone, Copy)]
struct FormatInfo {
    name: &'static str,
    container: Container,
    codec: Codec,
    sample_rate: u32,
    bits: Option<u16>,
    bitrate: Option<u32>,
    streaming: bool,
    documented: bool,
}

macro_rules! output_formats {
    ($( $(#[$meta:meta])* $variant:ident = $name:literal, $container:ident, $codec:ident, $rate:expr,
        $bits:expr, $bitrate:expr, $streaming:expr, $documented:expr; )*) => {
        /// An audio format for synthesis (`X-Microsoft-OutputFormat`).
        ///
        /// Every format of the service's documentation, plus four it does not list (marked UNCONFIRMED: the
        /// JavaScript SDK knows them, the REST docs do not). [`as_str`](Self::as_str) gives the header value;
        /// [`FromStr`] reads it back, ignoring ASCII case.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum OutputFormat {
            $( $(#[$meta])* #[doc = concat!("\n\n`", $name, "`")] $variant, )*
        }

        impl OutputFormat {
            /// Every format, in the order of the documentation (streaming, non-streaming, then unconfirmed).
            pub const ALL: &'static [OutputFormat] = &[$(OutputFormat::$variant),*];

            fn info(self) -> FormatInfo {
                match self {
                    $(OutputFormat::$variant => FormatInfo {
                        name: $name,
                        container: Container::$container,
                        codec: Codec::$codec,
                        sample_rate: $rate,
                        bits: $bits,
                        bitrate: $bitrate,
                        streaming: $streaming,
                        documented: $documented,
                    },)*
                }
            }
        }
    };
}

output_formats! {
    /// AMR-WB, 16 kHz.
    AmrWb16000Hz = "amr-wb-16000hz", Amr, AmrWb, 16_000, None, None, true, true;
    /// Opus packets, 16 kHz, 32 kbps.
    Audio16Khz16Bit32KbpsMonoOpus = "audio-16khz-16bit-32kbps-mono-opus", Opus, Opus, 16_000, Some(16), Some(32_000), true, true;
    /// MP3, 16 kHz, 32 kbps.
    Audio16Khz32KBitRateMonoMp3 = "audio-16khz-32kbitrate-mono-mp3", Mp3, Mp3, 16_000, None, Some(32_000), true, true;
    /// MP3, 16 kHz, 64 kbps.
    Audio16Khz64KBitRateMonoMp3 = "audio-16khz-64kbitrate-mono-mp3", Mp3, Mp3, 16_000, None, Some(64_000), true, true;
    /// MP3, 16 kHz, 128 kbps.
    Audio16Khz128KBitRateMonoMp3 = "audio-16khz-128kbitrate-mono-mp3", Mp3, Mp3, 16_000, None, Some(128_000), true, true;
    /// Opus packets, 24 kHz, 24 kbps.
    Audio24Khz16Bit24KbpsMonoOpus = "audio-24khz-16bit-24kbps-mono-opus", Opus, Opus, 24_000, Some(16), Some(24_000), true, true;
    /// Opus packets, 24 kHz, 48 kbps.
    Audio24Khz16Bit48KbpsMonoOpus = "audio-24khz-16bit-48kbps-mono-opus", Opus, Opus, 24_000, Some(16), Some(48_000), true, true;
    /// MP3, 24 kHz, 48 kbps.
    Audio24Khz48KBitRateMonoMp3 = "audio-24khz-48kbitrate-mono-mp3", Mp3, Mp3, 24_000, None, Some(48_000), true, true;
    /// MP3, 24 kHz, 96 kbps.
    Audio24Khz96KBitRateMonoMp3 = "audio-24khz-96kbitrate-mono-mp3", Mp3, Mp3, 24_000, None, Some(96_000), true, true;
    /// MP3, 24 kHz, 160 kbps.
    Audio24Khz160KBitRateMonoMp3 = "audio-24khz-160kbitrate-mono-mp3", Mp3, Mp3, 24_000, None, Some(160_000), true, true;
    /// MP3, 48 kHz, 96 kbps.
    Audio48Khz96KBitRateMonoMp3 = "audio-48khz-96kbitrate-mono-mp3", Mp3, Mp3, 48_000, None, Some(96_000), true, true;
    /// MP3, 48 kHz, 192 kbps.
    Audio48Khz192KBitRateMonoMp3 = "audio-48khz-192kbitrate-mono-mp3", Mp3, Mp3, 48_000, None, Some(192_000), true, true;
    /// Ogg/Opus, 16 kHz.
    Ogg16Khz16BitMonoOpus = "ogg-16khz-16bit-mono-opus", Ogg, Opus, 16_000, Some(16), None, true, true;
    /// Ogg/Opus, 24 kHz.
    Ogg24Khz16BitMonoOpus = "ogg-24khz-16bit-mono-opus", Ogg, Opus, 24_000, Some(16), None, true, true;
    /// Ogg/Opus, 48 kHz.
    Ogg48Khz16BitMonoOpus = "ogg-48khz-16bit-mono-opus", Ogg, Opus, 48_000, Some(16), None, true, true;
    /// Headerless A-law, 8 kHz.
    Raw8Khz8BitMonoALaw = "raw-8khz-8bit-mono-alaw", Raw, ALaw, 8_000, Some(8), Some(64_000), true, true;
    /// Headerless µ-law, 8 kHz.
    Raw8Khz8BitMonoMuLaw = "raw-8khz-8bit-mono-mulaw", Raw, MuLaw, 8_000, Some(8), Some(64_000), true, true;
    /// Headerless 16-bit PCM, 8 kHz.
    Raw8Khz16BitMonoPcm = "raw-8khz-16bit-mono-pcm", Raw, Pcm, 8_000, Some(16), Some(128_000), true, true;
    /// Headerless 16-bit PCM, 16 kHz.
    Raw16Khz16BitMonoPcm = "raw-16khz-16bit-mono-pcm", Raw, Pcm, 16_000, Some(16), Some(256_000), true, true;
    /// SILK, 16 kHz.
    Raw16Khz16BitMonoTrueSilk = "raw-16khz-16bit-mono-truesilk", Silk, Silk, 16_000, Some(16), None, true, true;
    /// Headerless 16-bit PCM, 22.05 kHz.
    Raw22050Hz16BitMonoPcm = "raw-22050hz-16bit-mono-pcm", Raw, Pcm, 22_050, Some(16), Some(352_800), true, true;
    /// Headerless 16-bit PCM, 24 kHz.
    Raw24Khz16BitMonoPcm = "raw-24khz-16bit-mono-pcm", Raw, Pcm, 24_000, Some(16), Some(384_000), true, true;
    /// SILK, 24 kHz.
    Raw24Khz16BitMonoTrueSilk = "raw-24khz-16bit-mono-truesilk", Silk, Silk, 24_000, Some(16), None, true, true;
    /// Headerless 16-bit PCM, 44.1 kHz.
    Raw44100Hz16BitMonoPcm = "raw-44100hz-16bit-mono-pcm", Raw, Pcm, 44_100, Some(16), Some(705_600), true, true;
    /// Headerless 16-bit PCM, 48 kHz.
    Raw48Khz16BitMonoPcm = "raw-48khz-16bit-mono-pcm", Raw, Pcm, 48_000, Some(16), Some(768_000), true, true;
    /// WebM/Opus, 16 kHz.
    Webm16Khz16BitMonoOpus = "webm-16khz-16bit-mono-opus", Webm, Opus, 16_000, Some(16), None, true, true;
    /// WebM/Opus, 24 kHz, 24 kbps.
    Webm24Khz16Bit24KbpsMonoOpus = "webm-24khz-16bit-24kbps-mono-opus", Webm, Opus, 24_000, Some(16), Some(24_000), true, true;
    /// WebM/Opus, 24 kHz.
    Webm24Khz16BitMonoOpus = "webm-24khz-16bit-mono-opus", Webm, Opus, 24_000, Some(16), None, true, true;
    /// WAV with A-law, 8 kHz.
    Riff8Khz8BitMonoALaw = "riff-8khz-8bit-mono-alaw", Riff, ALaw, 8_000, Some(8), Some(64_000), false, true;
    /// WAV with µ-law, 8 kHz.
    Riff8Khz8BitMonoMuLaw = "riff-8khz-8bit-mono-mulaw", Riff, MuLaw, 8_000, Some(8), Some(64_000), false, true;
    /// WAV with 16-bit PCM, 8 kHz.
    Riff8Khz16BitMonoPcm = "riff-8khz-16bit-mono-pcm", Riff, Pcm, 8_000, Some(16), Some(128_000), false, true;
    /// WAV with 16-bit PCM, 22.05 kHz.
    Riff22050Hz16BitMonoPcm = "riff-22050hz-16bit-mono-pcm", Riff, Pcm, 22_050, Some(16), Some(352_800), false, true;
    /// WAV with 16-bit PCM, 24 kHz (the documentation's sample request uses it).
    Riff24Khz16BitMonoPcm = "riff-24khz-16bit-mono-pcm", Riff, Pcm, 24_000, Some(16), Some(384_000), false, true;
    /// WAV with 16-bit PCM, 44.1 kHz.
    Riff44100Hz16BitMonoPcm = "riff-44100hz-16bit-mono-pcm", Riff, Pcm, 44_100, Some(16), Some(705_600), false, true;
    /// WAV with 16-bit PCM, 48 kHz.
    Riff48Khz16BitMonoPcm = "riff-48khz-16bit-mono-pcm", Riff, Pcm, 48_000, Some(16), Some(768_000), false, true;
    /// WAV with 16-bit PCM, 16 kHz. UNCONFIRMED: in the 2019 docs and the JS SDK's default, not in today's list.
    Riff16Khz16BitMonoPcm = "riff-16khz-16bit-mono-pcm", Riff, Pcm, 16_000, Some(16), Some(256_000), false, false;
    /// G.722, 16 kHz, 64 kbps. UNCONFIRMED: JS SDK only.
    G722Mono16Khz64Kbps = "g722-16khz-64kbps", G722, G722, 16_000, None, Some(64_000), true, false;
    /// FLAC, 24 kHz. UNCONFIRMED: JS SDK only.
    Audio24Khz16BitMonoFlac = "audio-24khz-16bit-mono-flac", Flac, Flac, 24_000, Some(16), None, true, false;
    /// FLAC, 48 kHz. UNCONFIRMED: JS SDK only.
    Audio48Khz16BitMonoFlac = "audio-48khz-16bit-mono-flac", Flac, Flac, 48_000, Some(16), None, true, false;
}

impl OutputFormat {
    /// The header value, e.g. `riff-24khz-16bit-mono-pcm`.
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The container.
    pub fn container(self) -> Container {
        self.info().container
    }

    /// The codec.
    pub fn codec(self) -> Codec {
        self.info().codec
    }

    /// Samples per second.
    pub fn sample_rate(self) -> u32 {
        self.info().sample_rate
    }

    /// Bits per sample as the name states them (for Opus, SILK and FLAC the nominal depth of the decoded
    /// PCM); `None` when the name does not say.
    pub fn bits_per_sample(self) -> Option<u16> {
        self.info().bits
    }

    /// Bits per second: from the name for compressed formats that state it, computed for PCM, A-law and
    /// µ-law; `None` for variable-rate formats.
    pub fn bitrate(self) -> Option<u32> {
        self.info().bitrate
    }

    /// Whether the body starts with a RIFF/WAV header.
    pub fn is_riff(self) -> bool {
        self.container() == Container::Riff
    }

    /// Whether the body is headerless samples ([`Container::Raw`]), which need the rate, bits and codec from
    /// elsewhere to be played.
    pub fn is_raw(self) -> bool {
        self.container() == Container::Raw
    }

    /// Whether the documentation lists the format as streaming (its bytes can be played as they arrive; RIFF
    /// formats are "non-streaming" because the header carries sizes).
    pub fn is_streaming(self) -> bool {
        self.info().streaming
    }

    /// Whether the current REST documentation lists the format (the other four are UNCONFIRMED).
    pub fn is_documented(self) -> bool {
        self.info().documented
    }

    /// A usual file extension for the format (`wav`, `pcm`, `mp3`, `ogg`, `webm`, `opus`, …).
    pub fn file_extension(self) -> &'static str {
        match (self.container(), self.codec()) {
            (Container::Riff, _) => "wav",
            (Container::Raw, Codec::ALaw) => "alaw",
            (Container::Raw, Codec::MuLaw) => "mulaw",
            (Container::Raw, _) => "pcm",
            (Container::Mp3, _) => "mp3",
            (Container::Ogg, _) => "ogg",
            (Container::Webm, _) => "webm",
            (Container::Opus, _) => "opus",
            (Container::Amr, _) => "amr",
            (Container::Silk, _) => "silk",
            (Container::Flac, _) => "flac",
            (Container::G722, _) => "g722",
        }
    }
}

impl Default for OutputFormat {
    /// `riff-24khz-16bit-mono-pcm`, the format of the documentation's sample request.
    fn default() -> Self {
        OutputFormat::Riff24Khz16BitMonoPcm
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutputFormat {
    type Err = Error;

    /// Read a header value, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Error> {
        OutputFormat::ALL
            .iter()
            .copied()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Misuse::InvalidValue {
                    name: "output format",
                    reason: format!(
                        "{s:?} is not an output format the service knows (e.g. riff-24khz-16bit-mono-pcm, \
                         audio-24khz-48kbitrate-mono-mp3, ogg-24khz-16bit-mono-opus)"
                    ),
                }
                .into()
            })
    }
}

/// A synthesis request: the body (SSML) and what goes in the headers, except the auth header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthesisRequest {
    body: String,
    format: OutputFormat,
    user_agent: String,
    deployment_id: Option<String>,
}

impl SynthesisRequest {
    /// A request to speak `ssml` in `format`. `user_agent` names the application (required by the service,
    /// fewer than 255 characters).
    ///
    /// # Errors
    ///
    /// The SSML's validation errors ([`Ssml::to_xml`]).
    pub fn new(
        ssml: &Ssml,
        format: OutputFormat,
        user_agent: impl Into<String>,
    ) -> Result<Self, Error> {
        Ok(Self::from_body(ssml.to_xml()?, format, user_agent))
    }

    /// A request with a body written elsewhere: SSML from a file, or plain text for a custom neural voice. The
    /// body is sent as given.
    pub fn from_body(
        body: impl Into<String>,
        format: OutputFormat,
        user_agent: impl Into<String>,
    ) -> Self {
        SynthesisRequest {
            body: body.into(),
            format,
            user_agent: user_agent.into(),
            deployment_id: None,
        }
    }

    /// Send to a custom voice deployment (`voice` host, `deploymentId` query parameter).
    pub fn deployment_id(mut self, id: impl Into<String>) -> Self {
        self.deployment_id = Some(id.into());
        self
    }

    /// The output format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The body to send.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body to send, owned.
    pub fn into_body(self) -> String {
        self.body
    }

    /// Build the request head: `POST` to the synthesis path (on the custom-voice host with `deploymentId` when
    /// set), with `Content-Type: application/ssml+xml`, `X-Microsoft-OutputFormat`, `User-Agent` and
    /// `Content-Length`. [`BodyLength::Known`] is also put in the request's extensions.
    ///
    /// # Errors
    ///
    /// [`Misuse::Missing`] for an empty body, user agent or deployment id; [`Misuse::InvalidValue`] for a user
    /// agent of 255 characters or more; [`Misuse::InvalidHeaderValue`] for a user agent with control or
    /// non-ASCII characters; the endpoint's own errors.
    pub fn build(&self, endpoint: &Endpoint) -> Result<Request<()>, Error> {
        if self.body.is_empty() {
            return Err(Misuse::Missing("ssml").into());
        }
        if self.user_agent.is_empty() {
            return Err(Misuse::Missing("User-Agent").into());
        }
        if self.user_agent.chars().count() >= MAX_USER_AGENT_LEN {
            return Err(Misuse::InvalidValue {
                name: "User-Agent",
                reason: format!("must be shorter than {MAX_USER_AGENT_LEN} characters"),
            }
            .into());
        }
        let user_agent = checked_value("User-Agent", &self.user_agent)?;
        let uri = match &self.deployment_id {
            None => endpoint.synthesis_uri()?,
            Some(id) => endpoint.custom_voice_synthesis_uri(id)?,
        };
        let len = self.body.len() as u64;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/ssml+xml"),
            )
            .header(
                OUTPUT_FORMAT_HEADER,
                HeaderValue::from_static(self.format.as_str()),
            )
            .header(USER_AGENT, user_agent)
            .header(CONTENT_LENGTH, HeaderValue::from(len))
            .body(())
            .map_err(|e| {
                Error::from(Misuse::InvalidValue {
                    name: "request",
                    reason: e.to_string(),
                })
            })?;
        request.extensions_mut().insert(BodyLength::Known(len));
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let xml = Ssml::new("en-US")
            .voice(
                VoiceSegment::new("a\"b'c<d>&e")
                    .text("1 < 2 && 3 > 2 \"q\" 'a'\r\n")
                    .prosody(Prosody::new().rate("+10%").pitch("x\"y\tz"), "<&>"),
            )
            .to_xml()
            .unwrap();
        assert_eq!(
            xml,
            "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">\
             <voice name=\"a&quot;b&apos;c&lt;d&gt;&amp;e\">1 &lt; 2 &amp;&amp; 3 &gt; 2 \"q\" 'a'&#13;\n\
             <prosody rate=\"+10%\" pitch=\"x&quot;y&#9;z\">&lt;&amp;&gt;</prosody></voice></speak>"
        );
    }

    #[test]
    fn breaks_and_several_voices() {
        let xml = Ssml::new("de-DE")
            .voice(
                VoiceSegment::new("de-DE-KatjaNeural")
                    .text("Hallo")
                    .pause(Break::Strength(BreakStrength::ExtraStrong)),
            )
            .voice(
                VoiceSegment::new("de-DE-ConradNeural")
                    .pause(Break::Time(Duration::from_secs(2)))
                    .text("Tschüß"),
            )
            .to_xml()
            .unwrap();
        assert!(xml.contains(
            "<voice name=\"de-DE-KatjaNeural\">Hallo<break strength=\"x-strong\"/></voice>"
        ));
        assert!(xml
            .contains("<voice name=\"de-DE-ConradNeural\"><break time=\"2000ms\"/>Tschüß</voice>"));
        assert_eq!(
            Ssml::simple("en-US", "v", "t"),
            Ssml::new("en-US").voice(VoiceSegment::new("v").text("t"))
        );
    }

    #[test]
    fn validation() {
        let miss = |s: Ssml| s.to_xml().unwrap_err();
        assert_eq!(
            miss(Ssml::new("en-US")),
            Error::Misuse(Misuse::Missing("voice"))
        );
        assert_eq!(
            miss(Ssml::simple("", "v", "t")),
            Error::Misuse(Misuse::Missing("xml:lang"))
        );
        assert_eq!(
            miss(Ssml::simple("en-US", "", "t")),
            Error::Misuse(Misuse::Missing("voice name"))
        );
        assert!(matches!(
            miss(Ssml::simple("en US\"", "v", "t")),
            Error::Misuse(Misuse::InvalidValue {
                name: "xml:lang",
                ..
            })
        ));
        let mut many = Ssml::new("en-US");
        for i in 0..MAX_VOICE_ELEMENTS {
            many = many.voice(VoiceSegment::new(format!("v{i}")).text("x"));
        }
        assert!(many.to_xml().is_ok());
        let err = miss(many.voice(VoiceSegment::new("one-too-many")));
        assert!(
            matches!(&err, Error::Misuse(Misuse::InvalidValue { name: "voice", reason }) if reason.contains("51"))
        );
        for bad in [
            "a\u{0}b",
            "bell\u{7}",
            "esc\u{1b}",
            "c1\u{85}",
            "nonchar\u{FFFE}",
            "\u{FFFF}",
        ] {
            let err = miss(Ssml::simple("en-US", "v", bad));
            assert!(
                matches!(&err, Error::Misuse(Misuse::InvalidValue { name: "text", reason }) if reason.contains("U+")),
                "{bad:?}: {err:?}"
            );
            let err = miss(Ssml::simple("en-US", bad, "t"));
            assert!(matches!(
                err,
                Error::Misuse(Misuse::InvalidValue {
                    name: "voice name",
                    ..
                })
            ));
            let err = miss(
                Ssml::new("en-US")
                    .voice(VoiceSegment::new("v").prosody(Prosody::new().rate(bad), "t")),
            );
            assert!(matches!(
                err,
                Error::Misuse(Misuse::InvalidValue {
                    name: "prosody",
                    ..
                })
            ));
        }
        let err = miss(
            Ssml::new("en-US").voice(VoiceSegment::new("v").prosody(Prosody::new().pitch(""), "t")),
        );
        assert!(matches!(
            err,
            Error::Misuse(Misuse::InvalidValue {
                name: "prosody",
                ..
            })
        ));
        assert!(Ssml::simple("en-US", "v", "tab\tnl\ncr\r").to_xml().is_ok());
    }

    #[test]
    fn output_formats_round_trip_and_know_themselves() {
        assert_eq!(OutputFormat::ALL.len(), 28 + 7 + 4);
        let streaming = OutputFormat::ALL
            .iter()
            .filter(|f| f.is_streaming() && f.is_documented())
            .count();
        let riff = OutputFormat::ALL
            .iter()
            .filter(|f| !f.is_streaming() && f.is_documented())
            .count();
        assert_eq!((streaming, riff), (28, 7));
        let mut names = std::collections::HashSet::new();
        for &f in OutputFormat::ALL {
            assert!(names.insert(f.as_str()), "duplicate {f}");
            assert_eq!(f.as_str().parse::<OutputFormat>().unwrap(), f);
            assert_eq!(
                f.as_str()
                    .to_ascii_uppercase()
                    .parse::<OutputFormat>()
                    .unwrap(),
                f
            );
            assert_eq!(f.to_string(), f.as_str());
            assert_eq!(f.is_riff(), f.as_str().starts_with("riff-"), "{f}");
            assert_eq!(f.is_riff(), !f.is_streaming(), "{f}");
            if f.is_raw() {
                assert!(f.as_str().starts_with("raw-"), "{f}");
            }
            // The rate in the name matches.
            let rate = f.sample_rate();
            let in_name = if rate % 1000 == 0 && rate != 44_100 {
                format!("-{}khz", rate / 1000)
            } else {
                format!("-{rate}hz")
            };
            assert!(
                f.as_str().contains(&in_name) || f.as_str() == "amr-wb-16000hz",
                "{f}: {in_name}"
            );
            if let Some(bits) = f.bits_per_sample() {
                assert!(f.as_str().contains(&format!("-{bits}bit-")), "{f}");
            }
            if matches!(f.codec(), Codec::Pcm | Codec::ALaw | Codec::MuLaw) {
                let bits = u32::from(f.bits_per_sample().unwrap());
                assert_eq!(f.bitrate(), Some(rate * bits), "{f}");
            }
        }
        assert!(!OutputFormat::Riff16Khz16BitMonoPcm.is_documented());
        assert_eq!(
            OutputFormat::Audio24Khz160KBitRateMonoMp3.bitrate(),
            Some(160_000)
        );
        assert_eq!(OutputFormat::Raw8Khz8BitMonoMuLaw.codec(), Codec::MuLaw);
        assert_eq!(
            OutputFormat::Raw16Khz16BitMonoTrueSilk.container(),
            Container::Silk
        );
        assert_eq!(
            OutputFormat::Webm24Khz16BitMonoOpus.file_extension(),
            "webm"
        );
        assert_eq!(OutputFormat::default().file_extension(), "wav");
        assert!(matches!(
            "riff-16khz-16kbps-mono-siren".parse::<OutputFormat>(),
            Err(Error::Misuse(Misuse::InvalidValue {
                name: "output format",
                ..
            }))
        ));
    }

    #[test]
    fn request_head() {
        let ep = Endpoint::region("westeurope").unwrap();
        let req = SynthesisRequest::new(
            &Ssml::simple("en-US", "en-US-AvaNeural", "Hi"),
            OutputFormat::Ogg24Khz16BitMonoOpus,
            "app",
        )
        .unwrap();
        let head = req.build(&ep).unwrap();
        assert_eq!(head.method(), Method::POST);
        assert_eq!(
            head.uri(),
            "https://westeurope.tts.speech.microsoft.com/cognitiveservices/v1"
        );
        assert_eq!(head.headers()["content-type"], "application/ssml+xml");
        assert_eq!(
            head.headers()["x-microsoft-outputformat"],
            "ogg-24khz-16bit-mono-opus"
        );
        assert_eq!(head.headers()["user-agent"], "app");
        assert_eq!(
            head.headers()["content-length"],
            req.body().len().to_string().as_str()
        );
        assert_eq!(
            head.extensions().get::<BodyLength>(),
            Some(&BodyLength::Known(req.body().len() as u64))
        );
        assert!(head.headers().get("authorization").is_none());

        let custom = req.clone().deployment_id("dep-1").build(&ep).unwrap();
        assert_eq!(
            custom.uri(),
            "https://westeurope.voice.speech.microsoft.com/cognitiveservices/v1?deploymentId=dep-1"
        );
        assert_eq!(
            req.clone().deployment_id("").build(&ep).unwrap_err(),
            Error::Misuse(Misuse::Missing("deploymentId"))
        );
    }

    #[test]
    fn user_agent_rules() {
        let ep = Endpoint::region("westus").unwrap();
        let ssml = Ssml::simple("en-US", "v", "t");
        let ua = |ua: &str| {
            SynthesisRequest::new(&ssml, OutputFormat::default(), ua)
                .unwrap()
                .build(&ep)
        };
        assert_eq!(
            ua("").unwrap_err(),
            Error::Misuse(Misuse::Missing("User-Agent"))
        );
        assert!(ua(&"a".repeat(254)).is_ok());
        assert!(matches!(
            ua(&"a".repeat(255)).unwrap_err(),
            Error::Misuse(Misuse::InvalidValue {
                name: "User-Agent",
                ..
            })
        ));
        assert_eq!(
            ua("app\r\nX-Evil: 1").unwrap_err(),
            Error::Misuse(Misuse::InvalidHeaderValue {
                header: "User-Agent"
            })
        );
        let empty = SynthesisRequest::from_body("", OutputFormat::default(), "app");
        assert_eq!(
            empty.build(&ep).unwrap_err(),
            Error::Misuse(Misuse::Missing("ssml"))
        );
        let plain = SynthesisRequest::from_body(
            "plain text for a custom voice",
            OutputFormat::default(),
            "app",
        );
        assert_eq!(plain.body(), "plain text for a custom voice");
        assert_eq!(plain.format(), OutputFormat::Riff24Khz16BitMonoPcm);
        assert_eq!(plain.into_body(), "plain text for a custom voice");
    }
}
