//! The audio module's error and value types, a leaf that imports nothing from the crate (the crate's
//! [`Error`](crate::Error) wraps them, and the parser in [`crate::audio`] produces them).

use std::fmt;
use std::time::Duration;

/// The sample rate the recognition service needs, in Hz.
pub const RECOGNITION_SAMPLE_RATE: u32 = 16_000;

/// The `sox` command that converts any audio file into what the recognition service needs.
pub const SOX_CONVERT: &str = "sox in.wav -r 16000 -c 1 -b 16 -e signed-integer out.wav";

const TAG_PCM: u16 = 0x0001;
const TAG_IEEE_FLOAT: u16 = 0x0003;
const TAG_ALAW: u16 = 0x0006;
const TAG_MULAW: u16 = 0x0007;
pub(crate) const TAG_EXTENSIBLE: u16 = 0xFFFE;

/// Why a WAV header could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WavError {
    /// The input does not start with `RIFF`. When the first bytes match another known format (Ogg, MP3, FLAC,
    /// JSON, base64 text, …), `looks_like` names it.
    NotRiff {
        /// What the input looks like instead, e.g. `"Ogg audio"`, when it could be recognised.
        looks_like: Option<&'static str>,
    },
    /// The RIFF form type is not `WAVE` (e.g. `AVI `).
    NotWave {
        /// The four form-type bytes found.
        form_type: [u8; 4],
    },
    /// The `fmt ` chunk is shorter than the 16 bytes every WAV format needs.
    FmtTooShort {
        /// The chunk's declared size.
        len: u32,
    },
    /// The `fmt ` chunk has impossible values.
    BadFmt {
        /// What is wrong, e.g. `"zero channels"`.
        reason: &'static str,
    },
    /// The `data` chunk came before any `fmt ` chunk, so the samples cannot be interpreted.
    MissingFmt,
    /// A chunk id is not four printable ASCII characters: the file is corrupt (or a chunk's size is wrong).
    BadChunkId {
        /// Byte offset of the chunk header in the file.
        offset: u64,
        /// The four bytes found.
        id: [u8; 4],
    },
    /// No `data` chunk within the header search window.
    HeaderTooLong {
        /// The window, in bytes from the start of the file.
        limit: u64,
    },
    /// The input ended before the `data` chunk header (reported by [`WavHeaderParser::finish`](crate::audio::WavHeaderParser::finish)).
    Truncated {
        /// How many bytes had been read.
        offset: u64,
    },
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::NotRiff { looks_like: Some(what) } => write!(
                f,
                "not a WAV file: it looks like {what}; the service takes WAV (16 kHz, mono, 16-bit PCM) or \
                 Ogg/Opus as raw file bytes (convert with `{SOX_CONVERT}`)"
            ),
            WavError::NotRiff { looks_like: None } => write!(
                f,
                "not a WAV file: it does not start with a RIFF header; the service takes WAV (16 kHz, mono, \
                 16-bit PCM) or Ogg/Opus as raw file bytes (convert with `{SOX_CONVERT}`)"
            ),
            WavError::NotWave { form_type } => write!(
                f,
                "not a WAV file: the RIFF form type is {:?}, not \"WAVE\"",
                String::from_utf8_lossy(form_type)
            ),
            WavError::FmtTooShort { len } => {
                write!(f, "broken WAV header: the fmt chunk has {len} bytes, at least 16 are needed")
            }
            WavError::BadFmt { reason } => write!(f, "broken WAV header: {reason}"),
            WavError::MissingFmt => {
                f.write_str("broken WAV header: the data chunk comes before any fmt chunk")
            }
            WavError::BadChunkId { offset, id } => write!(
                f,
                "broken WAV header: bytes {id:02x?} at offset {offset} are not a chunk id (corrupt file or a \
                 wrong chunk size)"
            ),
            WavError::HeaderTooLong { limit } => {
                write!(f, "no data chunk in the first {limit} bytes of the WAV file")
            }
            WavError::Truncated { offset } => write!(
                f,
                "the WAV file ends after {offset} bytes, before the start of its data chunk"
            ),
        }
    }
}

impl std::error::Error for WavError {}

/// The sample encoding named by a `fmt ` chunk (for `WAVE_FORMAT_EXTENSIBLE`, by its sub-format GUID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WavCodec {
    /// Integer PCM (`WAVE_FORMAT_PCM`, tag 1).
    Pcm,
    /// IEEE floating point (tag 3).
    IeeeFloat,
    /// G.711 A-law (tag 6).
    ALaw,
    /// G.711 µ-law (tag 7).
    MuLaw,
    /// Any other format tag (ADPCM, MP3-in-WAV, …). `0xFFFE` means an extensible header whose sub-format
    /// GUID is not a `KSDATAFORMAT_SUBTYPE_*` one.
    Other(u16),
}

impl WavCodec {
    pub(crate) fn from_tag(tag: u16) -> WavCodec {
        match tag {
            TAG_PCM => WavCodec::Pcm,
            TAG_IEEE_FLOAT => WavCodec::IeeeFloat,
            TAG_ALAW => WavCodec::ALaw,
            TAG_MULAW => WavCodec::MuLaw,
            other => WavCodec::Other(other),
        }
    }
}

impl fmt::Display for WavCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavCodec::Pcm => f.write_str("PCM"),
            WavCodec::IeeeFloat => f.write_str("IEEE float"),
            WavCodec::ALaw => f.write_str("A-law"),
            WavCodec::MuLaw => f.write_str("µ-law"),
            WavCodec::Other(0x0002) => f.write_str("Microsoft ADPCM"),
            WavCodec::Other(0x0011) => f.write_str("IMA ADPCM"),
            WavCodec::Other(0x0055) => f.write_str("MP3"),
            WavCodec::Other(tag) => write!(f, "format tag 0x{tag:04x}"),
        }
    }
}

/// One way in which audio does not meet what the recognition service needs. `Display` says what is wrong and
/// how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioProblem {
    /// The samples are not integer PCM.
    Codec {
        /// The file's encoding.
        found: WavCodec,
    },
    /// The sample rate is not 16 000 Hz.
    SampleRate {
        /// The file's sample rate.
        found: u32,
    },
    /// The audio is not mono.
    Channels {
        /// The file's channel count.
        found: u16,
    },
    /// The samples are not 16-bit.
    BitsPerSample {
        /// The file's bits per sample.
        found: u16,
    },
    /// The audio is longer than the service takes; it would silently ignore the rest.
    TooLong {
        /// The audio's length.
        duration: Duration,
        /// The limit that applies (60 s, or 30 s with pronunciation assessment).
        limit: Duration,
    },
    /// The `data` chunk is empty.
    Empty,
    /// The audio starts with a long silence (see [`LeadingSilenceMeter`](crate::audio::LeadingSilenceMeter)).
    LeadingSilence {
        /// How long the leading silence lasts.
        duration: Duration,
    },
}

impl fmt::Display for AudioProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioProblem::Codec { found } => write!(
                f,
                "the samples are {found}; the service needs 16-bit integer PCM and will hear noise or \
                 silence: convert with `{SOX_CONVERT}`"
            ),
            AudioProblem::SampleRate { found } => write!(
                f,
                "the sample rate is {found} Hz; the service needs {RECOGNITION_SAMPLE_RATE} Hz: convert with \
                 `{SOX_CONVERT}`"
            ),
            AudioProblem::Channels { found } => write!(
                f,
                "the audio has {found} channels; the service needs mono (1 channel): convert with \
                 `{SOX_CONVERT}`"
            ),
            AudioProblem::BitsPerSample { found } => write!(
                f,
                "the samples are {found}-bit; the service needs 16-bit: convert with `{SOX_CONVERT}`"
            ),
            AudioProblem::TooLong { duration, limit } => write!(
                f,
                "the audio lasts {:.1} s; the service takes at most {} s per request{} and silently ignores \
                 the rest: split it (e.g. `sox in.wav part.wav trim 0 {} : newfile : restart`) or use batch \
                 transcription",
                duration.as_secs_f64(),
                limit.as_secs(),
                if *limit < Duration::from_secs(60) {
                    " with pronunciation assessment"
                } else {
                    ""
                },
                limit.as_secs(),
            ),
            AudioProblem::Empty => f.write_str(
                "the file holds no samples; the service will answer InitialSilenceTimeout or an empty \
                 result: check the recording",
            ),
            AudioProblem::LeadingSilence { duration } => write!(
                f,
                "{:.1} s of leading silence: the service may answer InitialSilenceTimeout (it stops waiting \
                 for speech after about 5 s): trim it with `sox in.wav out.wav silence 1 0.1 1%`",
                duration.as_secs_f64()
            ),
        }
    }
}
