//! The text-to-speech output formats (`X-Microsoft-OutputFormat`): [`output_formats`] lists every documented format
//! name (spec §3.4) plus `riff-16khz-16bit-mono-pcm`, the JS SDK's default, and [`encode`] resamples synthesized
//! [`Pcm`] to the format's rate and encodes it with `speech-audio` (PCM, A-law and µ-law, bare for `raw-*` or in
//! a RIFF/WAVE file for `riff-*`; MP3 through LAME with the default `mp3` feature; Ogg/Opus through libopus).
//! WebM, AMR-WB, SILK and Azure's header-less raw Opus stream are listed but not encodable
//! ([`OutputFormat::supported`] is `false`).

use std::fmt;

use speech_audio::encode;

use crate::engine::Pcm;

/// The byte layout around the encoded audio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Container {
    /// A RIFF/WAVE file: 44-byte header, then the samples.
    Riff,
    /// Header-less samples (`raw-*` PCM, A-law, µ-law).
    Raw,
    /// A sequence of MPEG-1/2 Layer III frames.
    Mp3,
    /// An Ogg stream (RFC 3533) carrying Opus (RFC 7845).
    Ogg,
    /// A WebM (Matroska) file carrying Opus.
    Webm,
    /// Azure's header-less Opus packet stream (`audio-*-opus`); its framing is not documented.
    RawOpus,
    /// AMR-WB storage format.
    Amr,
    /// Skype SILK frames (`*-truesilk`).
    Silk,
}

/// The codec of the audio samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// Signed 16-bit little-endian linear PCM.
    Pcm16,
    /// ITU-T G.711 A-law, 8 bits per sample.
    ALaw,
    /// ITU-T G.711 µ-law, 8 bits per sample.
    MuLaw,
    /// MPEG Layer III.
    Mp3,
    /// Opus (RFC 6716).
    Opus,
    /// AMR wide-band.
    AmrWb,
    /// SILK.
    Silk,
}

/// One value of the `X-Microsoft-OutputFormat` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputFormat {
    /// The header value, as documented (lower case).
    pub name: &'static str,
    /// Samples per second of the output audio.
    pub sample_rate: u32,
    /// The layout around the samples.
    pub container: Container,
    /// The codec.
    pub encoding: Encoding,
    /// `true` for the documented "streaming" formats (no header that needs the total length), `false` for `riff-*`.
    pub streaming: bool,
    /// The nominal bit rate in kbit/s where the name states one (`…-32kbitrate-…`, `…-24kbps-…`).
    pub bitrate_kbps: Option<u32>,
    /// `false` for names outside today's documented list (only `riff-16khz-16bit-mono-pcm`, which the JS SDK
    /// uses by default and which is probably still accepted; spec §3.4, UNCONFIRMED).
    pub documented: bool,
}

const fn fmt(
    name: &'static str,
    sample_rate: u32,
    container: Container,
    encoding: Encoding,
    bitrate_kbps: Option<u32>,
) -> OutputFormat {
    OutputFormat {
        name,
        sample_rate,
        container,
        encoding,
        streaming: !matches!(container, Container::Riff),
        bitrate_kbps,
        documented: true,
    }
}

use Container as C;
use Encoding as E;

static FORMATS: [OutputFormat; 36] = [
    // Streaming (spec §3.4, in the documented order).
    fmt("amr-wb-16000hz", 16_000, C::Amr, E::AmrWb, None),
    fmt(
        "audio-16khz-16bit-32kbps-mono-opus",
        16_000,
        C::RawOpus,
        E::Opus,
        Some(32),
    ),
    fmt(
        "audio-16khz-32kbitrate-mono-mp3",
        16_000,
        C::Mp3,
        E::Mp3,
        Some(32),
    ),
    fmt(
        "audio-16khz-64kbitrate-mono-mp3",
        16_000,
        C::Mp3,
        E::Mp3,
        Some(64),
    ),
    fmt(
        "audio-16khz-128kbitrate-mono-mp3",
        16_000,
        C::Mp3,
        E::Mp3,
        Some(128),
    ),
    fmt(
        "audio-24khz-16bit-24kbps-mono-opus",
        24_000,
        C::RawOpus,
        E::Opus,
        Some(24),
    ),
    fmt(
        "audio-24khz-16bit-48kbps-mono-opus",
        24_000,
        C::RawOpus,
        E::Opus,
        Some(48),
    ),
    fmt(
        "audio-24khz-48kbitrate-mono-mp3",
        24_000,
        C::Mp3,
        E::Mp3,
        Some(48),
    ),
    fmt(
        "audio-24khz-96kbitrate-mono-mp3",
        24_000,
        C::Mp3,
        E::Mp3,
        Some(96),
    ),
    fmt(
        "audio-24khz-160kbitrate-mono-mp3",
        24_000,
        C::Mp3,
        E::Mp3,
        Some(160),
    ),
    fmt(
        "audio-48khz-96kbitrate-mono-mp3",
        48_000,
        C::Mp3,
        E::Mp3,
        Some(96),
    ),
    fmt(
        "audio-48khz-192kbitrate-mono-mp3",
        48_000,
        C::Mp3,
        E::Mp3,
        Some(192),
    ),
    fmt("ogg-16khz-16bit-mono-opus", 16_000, C::Ogg, E::Opus, None),
    fmt("ogg-24khz-16bit-mono-opus", 24_000, C::Ogg, E::Opus, None),
    fmt("ogg-48khz-16bit-mono-opus", 48_000, C::Ogg, E::Opus, None),
    fmt("raw-8khz-8bit-mono-alaw", 8_000, C::Raw, E::ALaw, None),
    fmt("raw-8khz-8bit-mono-mulaw", 8_000, C::Raw, E::MuLaw, None),
    fmt("raw-8khz-16bit-mono-pcm", 8_000, C::Raw, E::Pcm16, None),
    fmt("raw-16khz-16bit-mono-pcm", 16_000, C::Raw, E::Pcm16, None),
    fmt(
        "raw-16khz-16bit-mono-truesilk",
        16_000,
        C::Silk,
        E::Silk,
        None,
    ),
    fmt("raw-22050hz-16bit-mono-pcm", 22_050, C::Raw, E::Pcm16, None),
    fmt("raw-24khz-16bit-mono-pcm", 24_000, C::Raw, E::Pcm16, None),
    fmt(
        "raw-24khz-16bit-mono-truesilk",
        24_000,
        C::Silk,
        E::Silk,
        None,
    ),
    fmt("raw-44100hz-16bit-mono-pcm", 44_100, C::Raw, E::Pcm16, None),
    fmt("raw-48khz-16bit-mono-pcm", 48_000, C::Raw, E::Pcm16, None),
    fmt("webm-16khz-16bit-mono-opus", 16_000, C::Webm, E::Opus, None),
    fmt(
        "webm-24khz-16bit-24kbps-mono-opus",
        24_000,
        C::Webm,
        E::Opus,
        Some(24),
    ),
    fmt("webm-24khz-16bit-mono-opus", 24_000, C::Webm, E::Opus, None),
    // Non-streaming.
    fmt("riff-8khz-8bit-mono-alaw", 8_000, C::Riff, E::ALaw, None),
    fmt("riff-8khz-8bit-mono-mulaw", 8_000, C::Riff, E::MuLaw, None),
    fmt("riff-8khz-16bit-mono-pcm", 8_000, C::Riff, E::Pcm16, None),
    fmt(
        "riff-22050hz-16bit-mono-pcm",
        22_050,
        C::Riff,
        E::Pcm16,
        None,
    ),
    fmt("riff-24khz-16bit-mono-pcm", 24_000, C::Riff, E::Pcm16, None),
    fmt(
        "riff-44100hz-16bit-mono-pcm",
        44_100,
        C::Riff,
        E::Pcm16,
        None,
    ),
    fmt("riff-48khz-16bit-mono-pcm", 48_000, C::Riff, E::Pcm16, None),
    // Outside today's list, but the JS SDK's default (spec §3.4, UNCONFIRMED).
    OutputFormat {
        documented: false,
        ..fmt("riff-16khz-16bit-mono-pcm", 16_000, C::Riff, E::Pcm16, None)
    },
];

/// Every output format the emulator knows: the 28 streaming and 7 non-streaming names of spec §3.4, then
/// `riff-16khz-16bit-mono-pcm`. The siren formats are not offered (the SDK marks them unsupported by the service).
pub fn output_formats() -> &'static [OutputFormat] {
    &FORMATS
}

/// Look a format up by its `X-Microsoft-OutputFormat` value, ignoring ASCII case and surrounding whitespace.
pub fn output_format(name: &str) -> Option<&'static OutputFormat> {
    let name = name.trim();
    FORMATS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

impl OutputFormat {
    /// The `Content-Type` the emulator answers with. The service's own values are UNCONFIRMED (spec §3.4), and
    /// clients must not depend on them.
    pub fn content_type(&self) -> &'static str {
        match (self.container, self.encoding) {
            (Container::Riff, _) => "audio/x-wav",
            (Container::Raw, _) => "application/octet-stream",
            (Container::Mp3, _) => "audio/mpeg",
            (Container::Ogg, _) => "audio/ogg; codecs=opus",
            (Container::Webm, _) => "audio/webm; codecs=opus",
            (Container::RawOpus, _) => "audio/opus",
            (Container::Amr, _) => "audio/AMR-WB",
            (Container::Silk, _) => "audio/SILK",
        }
    }

    /// Whether [`encode`] can produce this format. `false` for WebM, AMR-WB, SILK and the header-less raw Opus
    /// stream (`audio-*-opus`, whose framing Azure does not document).
    pub fn supported(&self) -> bool {
        match self.container {
            Container::Riff | Container::Raw | Container::Ogg => true,
            // LAME is LGPL; it is linked only with the (default) `mp3` feature.
            Container::Mp3 => cfg!(feature = "mp3"),
            _ => false,
        }
    }

    /// Bytes per second of the uncompressed formats (PCM, A-law, µ-law), `None` for the compressed ones.
    pub fn bytes_per_second(&self) -> Option<u32> {
        match self.encoding {
            Encoding::Pcm16 => Some(self.sample_rate * 2),
            Encoding::ALaw | Encoding::MuLaw => Some(self.sample_rate),
            _ => None,
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Why [`encode`] produced no audio.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The emulator cannot encode this format (see [`OutputFormat::supported`]).
    Unsupported {
        /// The format name.
        format: String,
    },
    /// The encoder failed or the output would not fit the container (e.g. a RIFF file over 4 GiB).
    Other(String),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { format } => write!(
                f,
                "the emulator cannot encode the output format {format} (it supports riff-*, raw-* PCM/A-law/µ-law, \
                 audio-*-mp3 and ogg-*-opus)"
            ),
            Self::Other(message) => write!(f, "audio encoding failed: {message}"),
        }
    }
}

impl std::error::Error for CodecError {}

/// Resample `pcm` to the format's rate and encode it.
///
/// `riff-*` output carries a 44-byte RIFF/WAVE header with the real sizes (format tag 1 for PCM, 6 for A-law, 7 for
/// µ-law); `raw-*` output is the bare samples. Formats with `supported() == false` give
/// [`CodecError::Unsupported`].
pub fn encode(format: &OutputFormat, pcm: &Pcm) -> Result<Vec<u8>, CodecError> {
    if !format.supported() {
        return Err(CodecError::Unsupported {
            format: format.name.to_owned(),
        });
    }
    let audio = pcm.resampled(format.sample_rate);
    let other = |e: encode::EncodeError| CodecError::Other(e.to_string());
    let samples = match format.encoding {
        Encoding::ALaw => Some(encode::Encoding::ALaw),
        Encoding::MuLaw => Some(encode::Encoding::MuLaw),
        Encoding::Pcm16 => Some(encode::Encoding::Pcm16),
        _ => None,
    };
    match (format.container, samples) {
        (Container::Raw, Some(encoding)) => Ok(encode::raw(encoding, &audio.samples)),
        (Container::Riff, Some(encoding)) => {
            encode::riff(encoding, format.sample_rate, &audio.samples).map_err(other)
        }
        #[cfg(feature = "mp3")]
        (Container::Mp3, _) => encode::mp3(
            format.sample_rate,
            format.bitrate_kbps.unwrap_or(64),
            &audio.samples,
        )
        .map_err(other),
        (Container::Ogg, _) => {
            encode::ogg_opus(format.sample_rate, format.bitrate_kbps, &audio.samples).map_err(other)
        }
        _ => Err(CodecError::Unsupported {
            format: format.name.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::common::tone::{frequency, sine};

    fn u32_at(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }

    // --- format table -----------------------------------------------------------------------------------------

    const DOCUMENTED: [&str; 35] = [
        "amr-wb-16000hz",
        "audio-16khz-16bit-32kbps-mono-opus",
        "audio-16khz-32kbitrate-mono-mp3",
        "audio-16khz-64kbitrate-mono-mp3",
        "audio-16khz-128kbitrate-mono-mp3",
        "audio-24khz-16bit-24kbps-mono-opus",
        "audio-24khz-16bit-48kbps-mono-opus",
        "audio-24khz-48kbitrate-mono-mp3",
        "audio-24khz-96kbitrate-mono-mp3",
        "audio-24khz-160kbitrate-mono-mp3",
        "audio-48khz-96kbitrate-mono-mp3",
        "audio-48khz-192kbitrate-mono-mp3",
        "ogg-16khz-16bit-mono-opus",
        "ogg-24khz-16bit-mono-opus",
        "ogg-48khz-16bit-mono-opus",
        "raw-8khz-8bit-mono-alaw",
        "raw-8khz-8bit-mono-mulaw",
        "raw-8khz-16bit-mono-pcm",
        "raw-16khz-16bit-mono-pcm",
        "raw-16khz-16bit-mono-truesilk",
        "raw-22050hz-16bit-mono-pcm",
        "raw-24khz-16bit-mono-pcm",
        "raw-24khz-16bit-mono-truesilk",
        "raw-44100hz-16bit-mono-pcm",
        "raw-48khz-16bit-mono-pcm",
        "webm-16khz-16bit-mono-opus",
        "webm-24khz-16bit-24kbps-mono-opus",
        "webm-24khz-16bit-mono-opus",
        "riff-8khz-8bit-mono-alaw",
        "riff-8khz-8bit-mono-mulaw",
        "riff-8khz-16bit-mono-pcm",
        "riff-22050hz-16bit-mono-pcm",
        "riff-24khz-16bit-mono-pcm",
        "riff-44100hz-16bit-mono-pcm",
        "riff-48khz-16bit-mono-pcm",
    ];

    #[test]
    fn every_documented_name_round_trips() {
        for name in DOCUMENTED {
            let f = output_format(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(f.name, name);
            assert!(f.documented);
            assert_eq!(output_format(&name.to_ascii_uppercase()), Some(f));
            assert_eq!(output_format(&format!("  {name} ")), Some(f));
        }
        assert_eq!(output_formats().len(), 36);
        let sdk_default = output_format("RIFF-16khz-16bit-mono-PCM").expect("SDK default");
        assert!(!sdk_default.documented && sdk_default.supported());
        for f in output_formats() {
            assert_eq!(output_format(f.name), Some(f));
            assert!(!f.name.contains("siren"));
            // The name states the rate.
            let rate_token = match f.sample_rate {
                22_050 => "22050hz".to_string(),
                44_100 => "44100hz".to_string(),
                16_000 if f.name.starts_with("amr") => "16000hz".to_string(),
                r => format!("{}khz", r / 1000),
            };
            assert!(
                f.name.contains(&rate_token),
                "{} vs {}",
                f.name,
                f.sample_rate
            );
            assert_eq!(f.streaming, !f.name.starts_with("riff-"));
        }
        assert_eq!(output_formats().iter().filter(|f| f.streaming).count(), 28);
        assert!(output_format("riff-16khz-16kbps-mono-siren").is_none());
        assert!(output_format("").is_none());
    }

    #[test]
    fn unsupported_formats_say_so() {
        let pcm = sine(24_000, 440.0, 0.1, 8000.0);
        for f in output_formats() {
            let unsupported = matches!(
                f.container,
                Container::Webm | Container::Amr | Container::Silk | Container::RawOpus
            ) || (f.container == Container::Mp3 && !cfg!(feature = "mp3"));
            assert_eq!(f.supported(), !unsupported, "{}", f.name);
            if unsupported {
                let err = encode(f, &pcm).unwrap_err();
                assert_eq!(
                    err,
                    CodecError::Unsupported {
                        format: f.name.into()
                    }
                );
                assert!(err.to_string().contains(f.name));
            }
        }
    }

    #[test]
    fn riff_pcm_parses_with_hound() {
        let pcm = sine(24_000, 440.0, 0.5, 10_000.0);
        for name in [
            "riff-8khz-16bit-mono-pcm",
            "riff-16khz-16bit-mono-pcm",
            "riff-22050hz-16bit-mono-pcm",
            "riff-24khz-16bit-mono-pcm",
            "riff-44100hz-16bit-mono-pcm",
            "riff-48khz-16bit-mono-pcm",
        ] {
            let f = output_format(name).expect("known");
            let bytes = encode(f, &pcm).expect("encodes");
            let expected_len = (12_000u64 * u64::from(f.sample_rate)).div_ceil(24_000) as u32;
            assert_eq!(bytes.len() as u32, 44 + expected_len * 2, "{name}");
            assert_eq!(u32_at(&bytes, 4), Some(bytes.len() as u32 - 8));
            let reader = hound::WavReader::new(std::io::Cursor::new(&bytes)).expect("hound parses");
            let spec = reader.spec();
            assert_eq!(spec.sample_rate, f.sample_rate);
            assert_eq!(spec.channels, 1);
            assert_eq!(spec.bits_per_sample, 16);
            assert_eq!(spec.sample_format, hound::SampleFormat::Int);
            assert_eq!(reader.len(), expected_len);
            let samples: Vec<i16> = reader
                .into_samples::<i16>()
                .map(|s| s.expect("sample"))
                .collect();
            let decoded = Pcm {
                sample_rate: f.sample_rate,
                samples,
            };
            assert!((frequency(&decoded) - 440.0).abs() < 2.0, "{name}");
        }
    }

    #[test]
    fn raw_pcm_is_headerless_little_endian() {
        let pcm = Pcm {
            sample_rate: 16_000,
            samples: vec![0, 1, -1, 0x1234, i16::MIN],
        };
        let bytes = encode(
            output_format("raw-16khz-16bit-mono-pcm").expect("known"),
            &pcm,
        )
        .expect("encodes");
        assert_eq!(bytes, [0, 0, 1, 0, 0xFF, 0xFF, 0x34, 0x12, 0x00, 0x80]);
    }

    /// Every container the emulator encodes decodes back through `speech-audio` at the format's rate, as long as
    /// it was and at its pitch. (How each is written, frame by frame and page by page, is tested where it is
    /// written: `speech_audio::encode`.)
    #[test]
    fn every_encoded_container_decodes_back_at_its_rate() {
        let pcm = sine(24_000, 440.0, 1.0, 10_000.0);
        for f in output_formats().iter().filter(|f| {
            f.supported()
                && matches!(
                    f.container,
                    Container::Riff | Container::Mp3 | Container::Ogg
                )
        }) {
            let bytes = encode(f, &pcm).expect("encodes");
            let mut decoder = speech_audio::decode::Decoder::open_bytes(bytes, None)
                .unwrap_or_else(|e| panic!("{}: {e}", f.name));
            // Opus always decodes at 48 kHz; the rate it was made from is in its header (checked where the
            // header is written).
            if f.container != Container::Ogg {
                assert_eq!(decoder.info().sample_rate, f.sample_rate, "{}", f.name);
            }
            let mut samples = Vec::new();
            while let Some(chunk) = decoder.next_chunk().expect("decodes") {
                samples.extend(chunk);
            }
            let decoded = Pcm {
                sample_rate: 16_000,
                samples,
            };
            let seconds = decoded.duration_secs();
            assert!((0.99..1.1).contains(&seconds), "{}: {seconds} s", f.name);
            assert!((frequency(&decoded) - 440.0).abs() < 3.0, "{}", f.name);
        }
    }
}
