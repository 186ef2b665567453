//! The error of decoding, shared by the decoder and the `ffmpeg` fallback (which import each other's types
//! through this module only).

use std::fmt;

/// Why audio could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// Reading the input failed.
    Io(std::io::Error),
    /// The container or codec is not one this crate decodes. `what` names what was recognised, when anything
    /// was (e.g. `"Opus"`), so that the message can say how to convert it.
    Unsupported {
        /// What was recognised, or a description of the input.
        what: String,
    },
    /// The file is damaged or not what it claims to be.
    Malformed {
        /// What went wrong.
        reason: String,
    },
}

/// What the probe says when no container it reads was found.
pub(crate) const UNKNOWN_CONTAINER: &str = "not a WAV, MP3, FLAC, Ogg, MP4/M4A or Matroska file";

impl DecodeError {
    /// Whether no container this crate reads was recognised at all (a truncated header, or another format), as
    /// opposed to a container it reads holding a codec it does not decode (e.g. a WAV file of ADPCM).
    pub fn is_unknown_container(&self) -> bool {
        matches!(self, DecodeError::Unsupported { what } if what == UNKNOWN_CONTAINER)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Io(e) => write!(f, "cannot read the audio: {e}"),
            DecodeError::Unsupported { what } => write!(
                f,
                "unsupported audio format ({what}): WAV, MP3, FLAC, Ogg (Vorbis{opus}) and AAC/M4A are decoded{via} \
                 or convert the file first: `ffmpeg -i INPUT -ar 16000 -ac 1 OUTPUT.wav`",
                opus = if cfg!(feature = "opus") { ", Opus" } else { "" },
                via = if cfg!(feature = "ffmpeg") {
                    ", and other formats through ffmpeg when it is on PATH: install ffmpeg (`apt install ffmpeg`, \
                     `brew install ffmpeg`, `winget install ffmpeg`)"
                } else {
                    ";"
                },
            ),
            DecodeError::Malformed { reason } => write!(f, "the audio is damaged: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for DecodeError {
    fn from(e: std::io::Error) -> Self {
        DecodeError::Io(e)
    }
}
