//! Audio: a push-style WAV header parser, a check of what the service needs, and a leading-silence meter.
//!
//! The short-audio recognition service takes WAV (PCM, 16-bit, 16 kHz, mono) or Ogg/Opus. Audio in any other shape
//! is not refused with an error: the service hears silence or noise and answers `NoMatch` or
//! `InitialSilenceTimeout`. This module lets a client find out before sending a byte:
//!
//! * [`WavHeaderParser`] reads a WAV header from input split anywhere, consumes exactly the header bytes and
//!   says where the samples start ([`WavHeader::data_offset`]) and how many there are ([`WavHeader::data_len`]).
//!   Input that is not WAV is named when it can be recognised ([`WavError::NotRiff`]).
//! * [`check_for_recognition`] lists every way a header differs from what the service needs, each with the fix.
//! * [`LeadingSilenceMeter`] measures leading silence in PCM samples fed in any splits.
//!
//! ```
//! use speech_proto::audio::{check_for_recognition, WavHeaderParser, WavStatus};
//!
//! # let file = {
//! #     let mut f = Vec::new();
//! #     f.extend_from_slice(b"RIFF"); f.extend_from_slice(&(36u32 + 32_000).to_le_bytes());
//! #     f.extend_from_slice(b"WAVEfmt "); f.extend_from_slice(&16u32.to_le_bytes());
//! #     for v in [1u16, 1] { f.extend_from_slice(&v.to_le_bytes()); }
//! #     for v in [16_000u32, 32_000] { f.extend_from_slice(&v.to_le_bytes()); }
//! #     for v in [2u16, 16] { f.extend_from_slice(&v.to_le_bytes()); }
//! #     f.extend_from_slice(b"data"); f.extend_from_slice(&32_000u32.to_le_bytes());
//! #     f.resize(f.len() + 32_000, 0);
//! #     f
//! # };
//! let mut parser = WavHeaderParser::new();
//! let mut pos = 0;
//! let header = loop {
//!     // Feed whatever arrived; here, 7 bytes at a time.
//!     let piece = &file[pos..(pos + 7).min(file.len())];
//!     match parser.push(piece)? {
//!         WavStatus::Partial(consumed) => pos += consumed,
//!         WavStatus::Complete { header, consumed } => {
//!             pos += consumed;
//!             break header;
//!         }
//!     }
//! };
//! assert_eq!(pos as u64, header.data_offset); // the samples start here
//! let info = check_for_recognition(&header, false).expect("16 kHz mono 16-bit PCM");
//! assert_eq!(info.duration, Some(std::time::Duration::from_secs(1)));
//! # Ok::<(), speech_proto::audio::WavError>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Misuse};

pub(crate) mod problems;
use problems::TAG_EXTENSIBLE;
pub use problems::{AudioProblem, WavCodec, WavError, RECOGNITION_SAMPLE_RATE, SOX_CONVERT};

/// How far into a file the parser looks for the `data` chunk by default (1 MiB). Skipping costs no memory;
/// the cap only bounds how much of a non-WAV or broken file is read before giving up.
pub const DEFAULT_MAX_HEADER_LEN: u64 = 1 << 20;

/// The largest `fmt ` chunk prefix the parser keeps: `WAVE_FORMAT_EXTENSIBLE` is 40 bytes.
const FMT_KEEP: usize = 40;

/// The GUID tail shared by every `KSDATAFORMAT_SUBTYPE_*` of a `WAVE_FORMAT_EXTENSIBLE` header: the first two
/// bytes of the GUID are the format tag, the rest is `-0000-0010-8000-00aa00389b71`.
const KSDATAFORMAT_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// What a `fmt ` chunk says about the samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WavFormat {
    /// The sample encoding.
    pub codec: WavCodec,
    /// Interleaved channels (never zero).
    pub channels: u16,
    /// Frames per second (never zero).
    pub sample_rate: u32,
    /// Bits per sample as stored (the container size for `WAVE_FORMAT_EXTENSIBLE`).
    pub bits_per_sample: u16,
    /// Bytes per frame (all channels).
    pub block_align: u16,
    /// The declared average bytes per second.
    pub byte_rate: u32,
    /// `WAVE_FORMAT_EXTENSIBLE` only: the bits of each sample that carry signal, when not zero.
    pub valid_bits_per_sample: Option<u16>,
    /// `WAVE_FORMAT_EXTENSIBLE` only: the speaker-position mask.
    pub channel_mask: Option<u32>,
    /// Whether the chunk is `WAVE_FORMAT_EXTENSIBLE` (format tag `0xFFFE`).
    pub extensible: bool,
}

/// A parsed WAV header: the format and where the samples are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WavHeader {
    /// The `fmt ` chunk.
    pub format: WavFormat,
    /// Byte offset of the first sample from the start of the file (just past the `data` chunk header).
    pub data_offset: u64,
    /// The `data` chunk's length in bytes; `None` when the header does not say (a streaming writer left the
    /// placeholder `0xFFFFFFFF`, or `0` while the RIFF size shows more bytes follow).
    pub data_len: Option<u64>,
    /// The frame count from a `fact` chunk, when one came before `data`.
    pub fact_frames: Option<u32>,
}

impl WavHeader {
    /// The audio's length, computed from [`data_len`](Self::data_len), the frame size and the sample rate.
    /// `None` when the length is unknown or the header gives no usable frame size.
    pub fn duration(&self) -> Option<Duration> {
        let len = u128::from(self.data_len?);
        let f = &self.format;
        let bytes_per_sec = if f.block_align > 0 {
            u128::from(f.block_align) * u128::from(f.sample_rate)
        } else {
            u128::from(f.byte_rate)
        };
        if bytes_per_sec == 0 {
            return None;
        }
        let nanos = len * 1_000_000_000 / bytes_per_sec;
        Some(Duration::from_nanos(
            u64::try_from(nanos).unwrap_or(u64::MAX),
        ))
    }
}

/// What [`WavHeaderParser::push`] made of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WavStatus {
    /// The header is not complete yet. All of the input was consumed (the number is its length); push the
    /// next bytes, never these again.
    Partial(usize),
    /// The header is complete. The first `consumed` bytes of this input belonged to it; the rest (if any) are
    /// the first sample bytes.
    Complete {
        /// The header.
        header: WavHeader,
        /// How many bytes of this input belonged to the header.
        consumed: usize,
    },
}

/// What the parser does with the bytes it collects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Riff,
    ChunkHeader,
    Fmt { size: u32 },
    Fact { size: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Collect `need` bytes into the internal buffer, then act on them.
    Collect {
        need: usize,
        purpose: Purpose,
    },
    /// Skip this many bytes (a chunk body and its pad byte).
    Skip {
        remaining: u64,
    },
    Done(WavHeader),
    Failed(WavError),
}

/// A push parser for WAV headers.
///
/// Feed it the file's bytes in pieces of any size with [`push`](Self::push). It consumes every byte it is
/// given until the header is complete, and then reports exactly how many bytes of the last input belonged to
/// the header; the caller never re-feeds bytes. Its state is a few fields and a 40-byte buffer (for the `fmt `
/// chunk and for chunk headers split across pushes): skipped chunks (`LIST`, `bext`, `JUNK`, …) cost nothing.
/// It reads at most [`DEFAULT_MAX_HEADER_LEN`] bytes (or the limit from [`with_limit`](Self::with_limit))
/// before the `data` chunk.
///
/// After an error it keeps returning that error; after completion it keeps returning the header with
/// `consumed: 0`.
#[derive(Clone, Debug)]
pub struct WavHeaderParser {
    state: State,
    buf: [u8; FMT_KEEP],
    buf_len: usize,
    /// Bytes consumed from the start of the file.
    offset: u64,
    limit: u64,
    riff_size: u32,
    format: Option<WavFormat>,
    fact_frames: Option<u32>,
}

impl Default for WavHeaderParser {
    fn default() -> Self {
        Self::new()
    }
}

impl WavHeaderParser {
    /// A parser at the start of a file, with the default header search window.
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_MAX_HEADER_LEN)
    }

    /// A parser that gives up with [`WavError::HeaderTooLong`] when the `data` chunk would start more than
    /// `limit` bytes into the file.
    pub fn with_limit(limit: u64) -> Self {
        WavHeaderParser {
            state: State::Collect {
                need: 12,
                purpose: Purpose::Riff,
            },
            buf: [0; FMT_KEEP],
            buf_len: 0,
            offset: 0,
            limit,
            riff_size: 0,
            format: None,
            fact_frames: None,
        }
    }

    /// How many bytes of the file the parser has consumed so far.
    pub fn consumed(&self) -> u64 {
        self.offset
    }

    /// Push the next bytes of the file. See [`WavStatus`] for what `consumed` means.
    ///
    /// An empty input is allowed and changes nothing. Call [`finish`](Self::finish) when the input ends.
    pub fn push(&mut self, input: &[u8]) -> Result<WavStatus, WavError> {
        match self.run(input) {
            Ok(status) => Ok(status),
            Err(e) => {
                self.state = State::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// Tell the parser the input has ended. Returns the header when it was complete, otherwise the reason it
    /// is not: a short non-WAV input is still named ([`WavError::NotRiff`]), anything else is
    /// [`WavError::Truncated`].
    pub fn finish(&self) -> Result<WavHeader, WavError> {
        match &self.state {
            State::Done(h) => Ok(*h),
            State::Failed(e) => Err(e.clone()),
            State::Collect {
                purpose: Purpose::Riff,
                ..
            } => {
                let got = &self.buf[..self.buf_len];
                let n = got.len().min(4);
                if got[..n] != b"RIFF"[..n] {
                    Err(WavError::NotRiff {
                        looks_like: sniff(got),
                    })
                } else {
                    Err(WavError::Truncated {
                        offset: self.offset,
                    })
                }
            }
            _ => Err(WavError::Truncated {
                offset: self.offset,
            }),
        }
    }

    fn run(&mut self, input: &[u8]) -> Result<WavStatus, WavError> {
        let mut pos = 0usize;
        loop {
            match self.state.clone() {
                State::Done(header) => {
                    return Ok(WavStatus::Complete {
                        header,
                        consumed: pos,
                    })
                }
                State::Failed(e) => return Err(e),
                State::Skip { remaining } => {
                    let avail = (input.len() - pos) as u64;
                    let n = remaining.min(avail);
                    pos += n as usize; // n <= avail, which came from a usize
                    self.offset += n;
                    if n < remaining {
                        self.state = State::Skip {
                            remaining: remaining - n,
                        };
                        return Ok(WavStatus::Partial(pos));
                    }
                    self.state = State::Collect {
                        need: 8,
                        purpose: Purpose::ChunkHeader,
                    };
                }
                State::Collect { need, purpose } => {
                    let take = (need - self.buf_len).min(input.len() - pos);
                    self.buf[self.buf_len..self.buf_len + take]
                        .copy_from_slice(&input[pos..pos + take]);
                    self.buf_len += take;
                    pos += take;
                    self.offset += take as u64;
                    if self.buf_len < need {
                        return Ok(WavStatus::Partial(pos));
                    }
                    self.buf_len = 0;
                    self.state = self.act(purpose)?;
                }
            }
        }
    }

    /// Act on a full buffer; returns the next state.
    fn act(&mut self, purpose: Purpose) -> Result<State, WavError> {
        match purpose {
            Purpose::Riff => {
                let b = &self.buf[..12];
                if &b[..4] != b"RIFF" {
                    return Err(WavError::NotRiff {
                        looks_like: sniff(b),
                    });
                }
                if &b[8..12] != b"WAVE" {
                    return Err(WavError::NotWave {
                        form_type: [b[8], b[9], b[10], b[11]],
                    });
                }
                self.riff_size = le32(&b[4..8]);
                Ok(State::Collect {
                    need: 8,
                    purpose: Purpose::ChunkHeader,
                })
            }
            Purpose::ChunkHeader => {
                let header_at = self.offset - 8;
                let id = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
                let size = le32(&self.buf[4..8]);
                if !id.iter().all(|b| (0x20..0x7f).contains(b)) {
                    return Err(WavError::BadChunkId {
                        offset: header_at,
                        id,
                    });
                }
                if &id == b"data" {
                    let format = self.format.ok_or(WavError::MissingFmt)?;
                    let header = WavHeader {
                        format,
                        data_offset: self.offset,
                        data_len: self.data_len(size),
                        fact_frames: self.fact_frames,
                    };
                    return Ok(State::Done(header));
                }
                let body = u64::from(size) + u64::from(size & 1);
                if self.offset + body > self.limit {
                    return Err(WavError::HeaderTooLong { limit: self.limit });
                }
                match &id {
                    b"fmt " if self.format.is_none() => {
                        if size < 16 {
                            return Err(WavError::FmtTooShort { len: size });
                        }
                        Ok(State::Collect {
                            need: fmt_keep(size),
                            purpose: Purpose::Fmt { size },
                        })
                    }
                    b"fact" if size >= 4 => Ok(State::Collect {
                        need: 4,
                        purpose: Purpose::Fact { size },
                    }),
                    _ => Ok(State::Skip { remaining: body }),
                }
            }
            Purpose::Fmt { size } => {
                self.format = Some(parse_fmt(&self.buf[..fmt_keep(size)], size)?);
                let kept = u64::from(size).min(FMT_KEEP as u64);
                Ok(State::Skip {
                    remaining: u64::from(size) - kept + u64::from(size & 1),
                })
            }
            Purpose::Fact { size } => {
                self.fact_frames = Some(le32(&self.buf[..4]));
                Ok(State::Skip {
                    remaining: u64::from(size) - 4 + u64::from(size & 1),
                })
            }
        }
    }

    /// The data length the `data` chunk's size field stands for.
    fn data_len(&self, size: u32) -> Option<u64> {
        let riff_known = self.riff_size != 0 && self.riff_size != u32::MAX;
        match size {
            u32::MAX => None,
            // A writer that could not seek back leaves 0. A real empty data chunk ends the RIFF form.
            0 if !riff_known || u64::from(self.riff_size) + 8 > self.offset => None,
            n => Some(u64::from(n)),
        }
    }
}

/// A canonical 44-byte WAV header for `data_len` bytes of 16-bit mono PCM at `sample_rate` (what the
/// short-audio API takes at 16 000 Hz). `data_len` above `u32::MAX - 36` is clamped (such a file cannot be
/// described by a RIFF header).
pub fn pcm16_mono_wav_header(sample_rate: u32, data_len: u64) -> [u8; 44] {
    let data_len = u32::try_from(data_len)
        .unwrap_or(u32::MAX)
        .min(u32::MAX - 36);
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&sample_rate.saturating_mul(2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes()); // block align
    h[34..36].copy_from_slice(&16u16.to_le_bytes()); // bits per sample
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// A whole WAV file (canonical header, then the samples little-endian) of 16-bit mono PCM.
pub fn pcm16_mono_wav(sample_rate: u32, samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(&pcm16_mono_wav_header(
        sample_rate,
        samples.len() as u64 * 2,
    ));
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Parse a whole WAV header from one buffer: a convenience over [`WavHeaderParser`] for a file already in
/// memory. Returns `Ok(None)` when the buffer ends before the `data` chunk header.
///
/// Do not call this again and again on a growing buffer (that re-parses from the start each time); use a
/// [`WavHeaderParser`] and push only the new bytes.
pub fn parse_wav_header(file: &[u8]) -> Result<Option<WavHeader>, WavError> {
    match WavHeaderParser::new().push(file)? {
        WavStatus::Complete { header, .. } => Ok(Some(header)),
        WavStatus::Partial(_) => Ok(None),
    }
}

/// How many bytes of a `fmt ` chunk of `size` bytes the parser keeps.
fn fmt_keep(size: u32) -> usize {
    usize::try_from(size).map_or(FMT_KEEP, |s| s.min(FMT_KEEP))
}

fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Parse the kept prefix of a `fmt ` chunk (`b.len() >= 16`, `b.len() == min(size, 40)`).
fn parse_fmt(b: &[u8], size: u32) -> Result<WavFormat, WavError> {
    let tag = le16(&b[0..2]);
    let mut format = WavFormat {
        codec: WavCodec::from_tag(tag),
        channels: le16(&b[2..4]),
        sample_rate: le32(&b[4..8]),
        byte_rate: le32(&b[8..12]),
        block_align: le16(&b[12..14]),
        bits_per_sample: le16(&b[14..16]),
        valid_bits_per_sample: None,
        channel_mask: None,
        extensible: false,
    };
    if format.channels == 0 {
        return Err(WavError::BadFmt {
            reason: "the fmt chunk says zero channels",
        });
    }
    if format.sample_rate == 0 {
        return Err(WavError::BadFmt {
            reason: "the fmt chunk says a sample rate of 0 Hz",
        });
    }
    if tag == TAG_EXTENSIBLE {
        if size < 40 || le16(&b[16..18]) < 22 {
            return Err(WavError::BadFmt {
                reason: "a WAVE_FORMAT_EXTENSIBLE fmt chunk needs 40 bytes",
            });
        }
        let valid = le16(&b[18..20]);
        format.valid_bits_per_sample = (valid != 0).then_some(valid);
        format.channel_mask = Some(le32(&b[20..24]));
        format.extensible = true;
        format.codec = if b[26..40] == KSDATAFORMAT_TAIL {
            WavCodec::from_tag(le16(&b[24..26]))
        } else {
            WavCodec::Other(TAG_EXTENSIBLE)
        };
    }
    Ok(format)
}

/// Name the format of a non-RIFF input from its first bytes.
fn sniff(b: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| b.starts_with(magic);
    if starts(b"RIFX") {
        return Some("a big-endian RIFX file (the service needs little-endian RIFF/WAVE)");
    }
    if starts(b"RF64") || starts(b"BW64") {
        return Some("an RF64/BW64 (64-bit WAV) file");
    }
    if starts(b"OggS") {
        return Some("Ogg audio (send Ogg/Opus with Content-Type `audio/ogg; codecs=opus`)");
    }
    if starts(b"ID3") {
        return Some("MP3 audio (an ID3 tag)");
    }
    if b.len() >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0 {
        // MPEG frame sync; layer bits 00 mean an ADTS (AAC) stream.
        return Some(if b[1] & 0x06 == 0 {
            "AAC audio (ADTS)"
        } else {
            "MP3 audio (an MPEG frame header)"
        });
    }
    if starts(b"fLaC") {
        return Some("FLAC audio");
    }
    if b.len() >= 8 && &b[4..8] == b"ftyp" {
        return Some("an MP4/M4A file");
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("WebM/Matroska");
    }
    if starts(b"#!AMR") {
        return Some("AMR audio");
    }
    if starts(b"FORM") {
        return Some("AIFF audio");
    }
    if starts(b"caff") {
        return Some("a Core Audio (CAF) file");
    }
    if starts(b"UklGR") {
        return Some("base64 text of a WAV file (decode it and send the raw bytes)");
    }
    let text = b.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(b);
    let first = text.iter().find(|c| !c.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') => return Some("JSON text (send the raw audio bytes, not JSON)"),
        Some(b'<') => return Some("XML or HTML text"),
        _ => {}
    }
    let base64ish =
        |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_');
    if b.len() >= 8 && b.iter().all(base64ish) {
        return Some("base64 text (decode it and send the raw bytes)");
    }
    None
}

impl From<Vec<AudioProblem>> for Error {
    fn from(problems: Vec<AudioProblem>) -> Self {
        Error::Audio(problems)
    }
}

/// Something worth knowing about audio that is not a problem.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioNote {
    /// The header does not give the data length (a streaming writer), so the length limit could not be
    /// checked.
    UnknownLength {
        /// The limit that applies.
        limit: Duration,
    },
    /// The format is PCM but written as `WAVE_FORMAT_EXTENSIBLE`; the documented format is plain PCM.
    Extensible,
}

impl fmt::Display for AudioNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioNote::UnknownLength { limit } => write!(
                f,
                "the header does not say how long the audio is; the service stops listening after {} s",
                limit.as_secs()
            ),
            AudioNote::Extensible => write!(
                f,
                "the header is WAVE_FORMAT_EXTENSIBLE; the documented format is plain PCM: if the service \
                 answers InitialSilenceTimeout, rewrite it with `{SOX_CONVERT}`"
            ),
        }
    }
}

/// What [`check_for_recognition`] learned about audio that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioInfo {
    /// The audio's length, when the header gives it.
    pub duration: Option<Duration>,
    /// Things worth telling the user that do not stop the request.
    pub notes: Vec<AudioNote>,
}

/// Check a WAV header against what the recognition service needs: 16 kHz, mono, 16-bit integer PCM, at most
/// 60 s of audio (30 s with pronunciation assessment). Returns every problem at once, each naming what is
/// wrong and the fix.
pub fn check_for_recognition(
    header: &WavHeader,
    pronunciation_assessment: bool,
) -> Result<AudioInfo, Vec<AudioProblem>> {
    let f = &header.format;
    let limit = if pronunciation_assessment {
        crate::stt::short::MAX_AUDIO_WITH_PRONUNCIATION
    } else {
        crate::stt::short::MAX_AUDIO
    };
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    if f.codec != WavCodec::Pcm {
        problems.push(AudioProblem::Codec { found: f.codec });
    } else if f.extensible {
        notes.push(AudioNote::Extensible);
    }
    if f.sample_rate != RECOGNITION_SAMPLE_RATE {
        problems.push(AudioProblem::SampleRate {
            found: f.sample_rate,
        });
    }
    if f.channels != 1 {
        problems.push(AudioProblem::Channels { found: f.channels });
    }
    let bits = f.valid_bits_per_sample.unwrap_or(f.bits_per_sample);
    if f.bits_per_sample != 16 || bits != 16 {
        problems.push(AudioProblem::BitsPerSample { found: bits });
    }
    let duration = header.duration();
    match (header.data_len, duration) {
        (Some(0), _) => problems.push(AudioProblem::Empty),
        (_, Some(d)) if d > limit => problems.push(AudioProblem::TooLong { duration: d, limit }),
        (None, _) => notes.push(AudioNote::UnknownLength { limit }),
        _ => {}
    }
    if problems.is_empty() {
        Ok(AudioInfo { duration, notes })
    } else {
        Err(problems)
    }
}

/// The audio check before a recognition upload, fed with the first pieces of the audio as the driver reads
/// them: the WAV header parser, then [`check_for_recognition`] once the header is complete.
///
/// A driver that streams the caller's audio reads ahead only until [`UploadCheck::push`] returns `Some`, keeps
/// the bytes it read (they go in front of the rest) and refuses the upload on an error, before a byte is sent.
/// Both adapters use it, so the same audio is refused the same way whichever one sends it.
///
/// ```
/// use speech_proto::audio::UploadCheck;
///
/// let mut wav = b"RIFF\x24\x7d\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data\0\x7d\0\0".to_vec();
/// wav.resize(44 + 32_000, 0); // one second of 16 kHz mono 16-bit PCM
/// let mut check = UploadCheck::new(false);
/// assert!(check.push(&wav[..20])?.is_none()); // not complete yet: read more
/// let info = check.push(&wav[20..4096])?.expect("the header is complete and acceptable");
/// assert_eq!(info.duration, Some(std::time::Duration::from_secs(1)));
/// # Ok::<(), speech_proto::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UploadCheck {
    parser: WavHeaderParser,
    pronunciation_assessment: bool,
}

impl UploadCheck {
    /// A check for a recognition request, with the shorter limit when it asks for pronunciation assessment.
    pub fn new(pronunciation_assessment: bool) -> Self {
        UploadCheck {
            parser: WavHeaderParser::new(),
            pronunciation_assessment,
        }
    }

    /// Push the next piece read from the audio; an empty piece means the audio ended.
    ///
    /// `Ok(None)`: the header is not complete yet; read and push more. `Ok(Some(info))`: the header is complete
    /// and the service will hear the audio; stop reading ahead and send. Once `Some` has been returned, further
    /// pushes are not needed.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedWav`] when the bytes are not a WAV file (or end before the header does), and
    /// [`Error::Audio`] with every problem at once when the service would mishear the audio.
    pub fn push(&mut self, piece: &[u8]) -> Result<Option<AudioInfo>, Error> {
        let header = if piece.is_empty() {
            self.parser.finish()?
        } else {
            match self.parser.push(piece)? {
                WavStatus::Partial(_) => return Ok(None),
                WavStatus::Complete { header, .. } => header,
            }
        };
        check_for_recognition(&header, self.pronunciation_assessment)
            .map(Some)
            .map_err(Error::Audio)
    }
}

/// The default RMS level (on the 16-bit scale) below which a 10 ms frame counts as silence: 328, about
/// −40 dBFS.
pub const DEFAULT_SILENCE_THRESHOLD: u16 = 328;

/// How much leading silence is worth a warning by default. The service's initial-silence timeout is about 5 s
/// in interactive mode.
pub const LEADING_SILENCE_WARNING: Duration = Duration::from_secs(3);

/// Measures the leading silence of 16-bit little-endian PCM fed in pieces of any size (odd splits included).
///
/// The audio is cut into 10 ms frames (all channels together); the first frame whose RMS reaches the
/// threshold ends the silence. The state is a few integers, whatever the input length.
///
/// ```
/// use speech_proto::audio::LeadingSilenceMeter;
///
/// let mut meter = LeadingSilenceMeter::new(16_000, 1).unwrap();
/// meter.push(&vec![0u8; 2 * 16_000]); // 1 s of digital silence
/// let loud: Vec<u8> = (0..320).flat_map(|i| if i % 2 == 0 { 8000i16 } else { -8000 }.to_le_bytes()).collect();
/// meter.push(&loud);
/// assert!(meter.found_sound());
/// assert_eq!(meter.leading_silence(), std::time::Duration::from_secs(1));
/// ```
#[derive(Clone, Debug)]
pub struct LeadingSilenceMeter {
    sample_rate: u32,
    /// Samples (all channels) per 10 ms frame.
    frame_samples: u64,
    /// Frames (per channel) per 10 ms frame.
    frame_len: u64,
    threshold: u16,
    pending: Option<u8>,
    sum_sq: u64,
    in_frame: u64,
    silent_frames: u64,
    found: bool,
}

impl LeadingSilenceMeter {
    /// A meter for interleaved PCM with this rate and channel count, with [`DEFAULT_SILENCE_THRESHOLD`].
    pub fn new(sample_rate: u32, channels: u16) -> Result<Self, Error> {
        if sample_rate == 0 {
            return Err(Misuse::InvalidValue {
                name: "sample_rate",
                reason: "must not be zero".into(),
            }
            .into());
        }
        if channels == 0 {
            return Err(Misuse::InvalidValue {
                name: "channels",
                reason: "must not be zero".into(),
            }
            .into());
        }
        let frame_len = u64::from(sample_rate).div_ceil(100);
        Ok(LeadingSilenceMeter {
            sample_rate,
            frame_samples: frame_len * u64::from(channels),
            frame_len,
            threshold: DEFAULT_SILENCE_THRESHOLD,
            pending: None,
            sum_sq: 0,
            in_frame: 0,
            silent_frames: 0,
            found: false,
        })
    }

    /// A meter for the format the recognition service needs (16 kHz mono).
    pub fn for_recognition() -> Self {
        LeadingSilenceMeter {
            sample_rate: RECOGNITION_SAMPLE_RATE,
            frame_samples: 160,
            frame_len: 160,
            threshold: DEFAULT_SILENCE_THRESHOLD,
            pending: None,
            sum_sq: 0,
            in_frame: 0,
            silent_frames: 0,
            found: false,
        }
    }

    /// Use another RMS threshold (on the 16-bit scale, 0–32767).
    pub fn with_threshold(mut self, rms: u16) -> Self {
        self.threshold = rms;
        self
    }

    /// Feed the next PCM bytes. Once sound has been found, further input is ignored.
    pub fn push(&mut self, mut pcm: &[u8]) {
        if self.found {
            return;
        }
        if let Some(lo) = self.pending.take() {
            match pcm.split_first() {
                Some((&hi, rest)) => {
                    self.sample(i16::from_le_bytes([lo, hi]));
                    pcm = rest;
                }
                None => {
                    self.pending = Some(lo);
                    return;
                }
            }
        }
        let mut pairs = pcm.chunks_exact(2);
        for pair in &mut pairs {
            if self.found {
                return;
            }
            self.sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        if let [lo] = pairs.remainder() {
            if !self.found {
                self.pending = Some(*lo);
            }
        }
    }

    fn sample(&mut self, s: i16) {
        let v = u64::from(s.unsigned_abs());
        self.sum_sq += v * v;
        self.in_frame += 1;
        if self.in_frame == self.frame_samples {
            let t = u64::from(self.threshold);
            // mean square >= threshold², without a division or a square root.
            if self.sum_sq >= t * t * self.frame_samples {
                self.found = true;
            } else {
                self.silent_frames += 1;
            }
            self.sum_sq = 0;
            self.in_frame = 0;
        }
    }

    /// Whether a frame above the threshold has been seen.
    pub fn found_sound(&self) -> bool {
        self.found
    }

    /// The silence before the first loud frame; while none has been seen, the silence so far (complete
    /// frames only).
    pub fn leading_silence(&self) -> Duration {
        let frames = u128::from(self.silent_frames) * u128::from(self.frame_len);
        let nanos = frames * 1_000_000_000 / u128::from(self.sample_rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// [`AudioProblem::LeadingSilence`] when the leading silence is at least `warn_after` (for example
    /// [`LEADING_SILENCE_WARNING`]).
    pub fn problem(&self, warn_after: Duration) -> Option<AudioProblem> {
        let duration = self.leading_silence();
        (duration >= warn_after).then_some(AudioProblem::LeadingSilence { duration })
    }
}

/// The commands (sox and ffmpeg) that convert `input`, a file name already quoted for the shell, into what the
/// recognition service needs (16 kHz mono 16-bit PCM WAV, written to `out.wav`).
///
/// ```
/// let fix = speech_proto::audio::convert_commands("talk.mp3");
/// assert!(fix.contains("sox talk.mp3 -r 16000 -c 1 -b 16 -e signed-integer out.wav"));
/// assert!(fix.contains("ffmpeg -i talk.mp3 -ar 16000 -ac 1 -c:a pcm_s16le out.wav"));
/// ```
pub fn convert_commands(input: &str) -> String {
    format!(
        "convert it: `sox {input} -r 16000 -c 1 -b 16 -e signed-integer out.wav` or \
         `ffmpeg -i {input} -ar 16000 -ac 1 -c:a pcm_s16le out.wav`"
    )
}

/// A scan of the start of a WAV file's samples for sound, over the stretch the recognition service listens to
/// (the first 60 s, or the whole file when shorter), for a report before anything is sent.
///
/// Push the sample bytes that follow the header while [`wants_more`](Self::wants_more), then take the
/// [`report`](Self::report).
///
/// ```
/// use speech_proto::audio::{parse_wav_header, Silence, SilenceScan};
///
/// let mut wav = b"RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\
///                 \x00\x7d\x00\x00\x02\x00\x10\x00data\x00\x7d\x00\x00".to_vec();
/// let header = parse_wav_header(&wav)?.expect("a complete header");
/// let mut scan = SilenceScan::for_header(&header).expect("16-bit PCM");
/// scan.push(&vec![0u8; 32_000]); // one second of digital silence
/// assert!(!scan.wants_more());
/// assert!(matches!(scan.report().silence, Silence::NoSound { .. }));
/// # Ok::<(), speech_proto::audio::WavError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SilenceScan {
    meter: LeadingSilenceMeter,
    /// Sample bytes to meter at most.
    limit: u64,
    fed: u64,
    read: u64,
    declared: Option<u64>,
}

/// What a [`SilenceScan`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SilenceReport {
    /// The header announced more sample bytes than the file holds: `(announced, found)`.
    pub cut_short: Option<(u64, u64)>,
    /// The verdict on the leading silence.
    pub silence: Silence,
}

/// The leading silence of a recording, as the service will hear it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Silence {
    /// No sound above the threshold (about -40 dBFS) in what the service listens to: it will answer
    /// `InitialSilenceTimeout`.
    NoSound {
        /// How much silence was heard.
        heard: Duration,
    },
    /// Sound starts, but late enough to risk `InitialSilenceTimeout` ([`LEADING_SILENCE_WARNING`] or more).
    StartsLate(AudioProblem),
    /// Sound starts after this much silence.
    StartsAfter(Duration),
}

impl SilenceScan {
    /// A scan for a WAV file with this header; `None` when its samples are not 16-bit PCM (the service would
    /// not hear them as speech anyway: [`check_for_recognition`] says so) or the header announces none.
    pub fn for_header(header: &WavHeader) -> Option<Self> {
        let f = header.format;
        if f.codec != WavCodec::Pcm || f.bits_per_sample != 16 || header.data_len == Some(0) {
            return None;
        }
        let meter = LeadingSilenceMeter::new(f.sample_rate, f.channels).ok()?;
        let bytes_per_sec = u64::from(f.sample_rate) * u64::from(f.channels) * 2;
        let heard = bytes_per_sec.saturating_mul(crate::stt::short::MAX_AUDIO.as_secs());
        Some(SilenceScan {
            meter,
            limit: header.data_len.unwrap_or(u64::MAX).min(heard),
            fed: 0,
            read: 0,
            declared: header.data_len,
        })
    }

    /// Push the next sample bytes (what follows the header, in order). Bytes past what the service listens to
    /// are counted but not metered.
    pub fn push(&mut self, samples: &[u8]) {
        self.read = self.read.saturating_add(samples.len() as u64);
        let left = usize::try_from(self.limit.saturating_sub(self.fed)).unwrap_or(usize::MAX);
        let take = left.min(samples.len());
        self.meter.push(samples.get(..take).unwrap_or_default());
        self.fed = self.fed.saturating_add(take as u64);
    }

    /// Whether more samples can change the report (no sound found yet, and the service would still listen).
    pub fn wants_more(&self) -> bool {
        self.fed < self.limit && !self.meter.found_sound()
    }

    /// The report, from what was pushed (call at the end of the file, or once [`wants_more`](Self::wants_more)
    /// is `false`).
    pub fn report(&self) -> SilenceReport {
        let cut_short = match self.declared {
            Some(declared) if !self.meter.found_sound() && self.read < declared.min(self.limit) => {
                Some((declared, self.read))
            }
            _ => None,
        };
        let silence = if !self.meter.found_sound() {
            Silence::NoSound {
                heard: self.meter.leading_silence(),
            }
        } else if let Some(problem) = self.meter.problem(LEADING_SILENCE_WARNING) {
            Silence::StartsLate(problem)
        } else {
            Silence::StartsAfter(self.meter.leading_silence())
        };
        SilenceReport { cut_short, silence }
    }
}

/// Fuzzing entry: parse `data` as a WAV file fed in two pieces split at a point derived from the first and
/// last bytes (a valid file always starts with `R`, so the first byte alone would fix the split), check that
/// the result equals a one-piece parse, and meter the samples that follow. Panics only if a split changes the
/// result, which would be a parser bug.
#[doc(hidden)]
pub fn __fuzz_wav_header(data: &[u8]) {
    let split = match (data.first(), data.last()) {
        (Some(&first), Some(&last)) => {
            (usize::from(first) * 31 + usize::from(last)) % (data.len() + 1)
        }
        _ => 0,
    };
    let (a, b) = data.split_at(split);
    let mut parser = WavHeaderParser::new();
    let mut rest: &[u8] = &[];
    let pieces = match parser.push(a) {
        Ok(WavStatus::Complete { consumed, .. }) => {
            rest = &a[consumed..];
            Ok(())
        }
        Ok(WavStatus::Partial(_)) => match parser.push(b) {
            Ok(WavStatus::Complete { consumed, .. }) => {
                rest = &b[consumed..];
                Ok(())
            }
            Ok(WavStatus::Partial(_)) => Ok(()),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let split_result = pieces.and_then(|()| parser.finish());
    let mut whole = WavHeaderParser::new();
    let whole_result = whole.push(data).and_then(|_| whole.finish());
    assert_eq!(split_result, whole_result, "a split changed the parse");
    if let Ok(h) = split_result {
        let _ = check_for_recognition(&h, data.len() % 2 == 0);
        let _ = h.duration();
        if let Ok(mut meter) = LeadingSilenceMeter::new(h.format.sample_rate, h.format.channels) {
            meter.push(rest);
            let _ = meter.problem(LEADING_SILENCE_WARNING);
        }
    }
}

#[cfg(test)]
mod wav_writer_tests {
    use super::*;

    #[test]
    fn written_wav_parses_back_as_the_canonical_format() {
        let wav = pcm16_mono_wav(16_000, &[1, -2, 3]);
        assert_eq!(wav.len(), 50);
        let header = parse_wav_header(&wav)
            .expect("a valid header")
            .expect("a complete header");
        assert_eq!(header.format.sample_rate, 16_000);
        assert_eq!(header.format.channels, 1);
        assert_eq!(header.format.bits_per_sample, 16);
        assert_eq!(&wav[44..], &[1, 0, 0xFE, 0xFF, 3, 0]);
        assert_eq!(
            &pcm16_mono_wav_header(8_000, u64::MAX)[40..44],
            &(u32::MAX - 36).to_le_bytes()
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_upload_check_reads_only_the_header_and_refuses_misheard_audio() {
        let mut good = Vec::new();
        good.extend_from_slice(b"RIFF");
        good.extend_from_slice(&(36u32 + 3200).to_le_bytes());
        good.extend_from_slice(b"WAVEfmt ");
        for v in [
            16u32.to_le_bytes(),
            [1, 0, 1, 0],
            16_000u32.to_le_bytes(),
            32_000u32.to_le_bytes(),
            [2, 0, 16, 0],
        ] {
            good.extend_from_slice(&v);
        }
        good.extend_from_slice(b"data");
        good.extend_from_slice(&3200u32.to_le_bytes());
        good.resize(44 + 3200, 0);
        let mut check = UploadCheck::new(false);
        for (i, b) in good.iter().enumerate().take(44) {
            let done = check.push(std::slice::from_ref(b)).unwrap();
            assert_eq!(done.is_some(), i == 43, "byte {i}");
        }

        let mut stereo = good.clone();
        stereo[22] = 2;
        let err = UploadCheck::new(false).push(&stereo).unwrap_err();
        assert!(
            matches!(&err, Error::Audio(p) if p.contains(&AudioProblem::Channels { found: 2 })),
            "{err:?}"
        );

        let err = UploadCheck::new(false)
            .push(b"ID3\x04 an mp3 file")
            .unwrap_err();
        assert!(matches!(err, Error::MalformedWav(_)), "{err:?}");
        // Audio that ends inside the header.
        let mut check = UploadCheck::new(false);
        assert!(check.push(&good[..20]).unwrap().is_none());
        assert!(matches!(check.push(b""), Err(Error::MalformedWav(_))));
    }

    use super::*;

    /// Build a WAV file: RIFF header, the given chunks, then `data` with `data` bytes.
    fn wav(
        riff_size: Option<u32>,
        chunks: &[(&[u8; 4], Vec<u8>)],
        data_size: u32,
        data: &[u8],
    ) -> Vec<u8> {
        let mut body = Vec::new();
        for (id, c) in chunks {
            body.extend_from_slice(&id[..]);
            body.extend_from_slice(&(c.len() as u32).to_le_bytes());
            body.extend_from_slice(c);
            if c.len() % 2 == 1 {
                body.push(0);
            }
        }
        body.extend_from_slice(b"data");
        body.extend_from_slice(&data_size.to_le_bytes());
        body.extend_from_slice(data);
        let mut f = b"RIFF".to_vec();
        let size = riff_size.unwrap_or(4 + body.len() as u32);
        f.extend_from_slice(&size.to_le_bytes());
        f.extend_from_slice(b"WAVE");
        f.extend_from_slice(&body);
        f
    }

    fn fmt_pcm(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let align = channels * bits.div_ceil(8);
        let mut c = Vec::new();
        c.extend_from_slice(&tag.to_le_bytes());
        c.extend_from_slice(&channels.to_le_bytes());
        c.extend_from_slice(&rate.to_le_bytes());
        c.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        c.extend_from_slice(&align.to_le_bytes());
        c.extend_from_slice(&bits.to_le_bytes());
        c
    }

    fn fmt_ext(sub: u16, channels: u16, rate: u32, container: u16, valid: u16) -> Vec<u8> {
        let mut c = fmt_pcm(TAG_EXTENSIBLE, channels, rate, container);
        c.extend_from_slice(&22u16.to_le_bytes());
        c.extend_from_slice(&valid.to_le_bytes());
        c.extend_from_slice(&4u32.to_le_bytes());
        c.extend_from_slice(&sub.to_le_bytes());
        c.extend_from_slice(&KSDATAFORMAT_TAIL);
        c
    }

    fn parse_all(f: &[u8]) -> Result<WavHeader, WavError> {
        let mut p = WavHeaderParser::new();
        p.push(f)?;
        p.finish()
    }

    #[test]
    fn canonical_16k_mono() {
        let f = wav(
            None,
            &[(b"fmt ", fmt_pcm(1, 1, 16_000, 16))],
            32_000,
            &[0; 32_000],
        );
        let h = parse_all(&f).unwrap();
        assert_eq!(h.data_offset, 44);
        assert_eq!(h.data_len, Some(32_000));
        assert_eq!(h.format.codec, WavCodec::Pcm);
        assert_eq!(h.format.block_align, 2);
        assert_eq!(h.duration(), Some(Duration::from_secs(1)));
        let info = check_for_recognition(&h, false).unwrap();
        assert_eq!(info.duration, Some(Duration::from_secs(1)));
        assert!(info.notes.is_empty());
    }

    #[test]
    fn complete_reports_exact_consumption_and_then_stays_complete() {
        let f = wav(
            None,
            &[(b"fmt ", fmt_pcm(1, 1, 16_000, 16))],
            4,
            &[1, 2, 3, 4],
        );
        let mut p = WavHeaderParser::new();
        match p.push(&f).unwrap() {
            WavStatus::Complete { header, consumed } => {
                assert_eq!(consumed, 44);
                assert_eq!(header.data_offset, 44);
                assert_eq!(&f[consumed..], &[1, 2, 3, 4]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p.push(b"more").unwrap(),
            WavStatus::Complete { consumed: 0, .. }
        ));
        assert_eq!(p.consumed(), 44);
    }

    #[test]
    fn every_split_point_gives_the_same_header() {
        let f = wav(
            None,
            &[
                (b"LIST", b"INFOISFT\x05\0\0\0Lavf\0".to_vec()),
                (b"fmt ", fmt_ext(1, 1, 16_000, 16, 16)),
                (b"fact", vec![0x10, 0, 0, 0]),
                (b"odd ", vec![1, 2, 3]),
            ],
            6,
            &[0; 6],
        );
        let whole = parse_all(&f).unwrap();
        assert_eq!(whole.fact_frames, Some(16));
        for i in 0..=f.len() {
            for j in i..=f.len() {
                let mut p = WavHeaderParser::new();
                let mut consumed = 0;
                for piece in [&f[..i], &f[i..j], &f[j..]] {
                    match p.push(piece).unwrap() {
                        WavStatus::Partial(n) => {
                            assert_eq!(n, piece.len());
                            consumed += n
                        }
                        WavStatus::Complete {
                            header,
                            consumed: n,
                        } => {
                            assert_eq!(header, whole);
                            consumed += n;
                            break;
                        }
                    }
                }
                assert_eq!(consumed as u64, whole.data_offset, "split {i}/{j}");
                assert_eq!(p.finish().unwrap(), whole);
            }
        }
    }

    #[test]
    fn extensible_subformats() {
        for (sub, codec) in [
            (1, WavCodec::Pcm),
            (3, WavCodec::IeeeFloat),
            (6, WavCodec::ALaw),
            (7, WavCodec::MuLaw),
            (0x55, WavCodec::Other(0x55)),
        ] {
            let f = wav(None, &[(b"fmt ", fmt_ext(sub, 2, 48_000, 32, 24))], 0, &[]);
            let h = parse_all(&f).unwrap();
            assert_eq!(h.format.codec, codec);
            assert!(h.format.extensible);
            assert_eq!(h.format.valid_bits_per_sample, Some(24));
            assert_eq!(h.format.channel_mask, Some(4));
            assert_eq!(h.format.bits_per_sample, 32);
        }
        let mut c = fmt_ext(1, 1, 16_000, 16, 16);
        c[30] ^= 0xFF; // not the KSDATAFORMAT GUID
        let h = parse_all(&wav(None, &[(b"fmt ", c)], 0, &[])).unwrap();
        assert_eq!(h.format.codec, WavCodec::Other(0xFFFE));
        let short = fmt_pcm(TAG_EXTENSIBLE, 1, 16_000, 16);
        assert!(matches!(
            parse_all(&wav(None, &[(b"fmt ", short)], 0, &[])),
            Err(WavError::BadFmt { .. })
        ));
    }

    #[test]
    fn streaming_sizes() {
        let fmt = [(b"fmt ", fmt_pcm(1, 1, 16_000, 16))];
        // 0xFFFFFFFF data size: unknown.
        assert_eq!(
            parse_all(&wav(Some(u32::MAX), &fmt, u32::MAX, &[]))
                .unwrap()
                .data_len,
            None
        );
        // 0 data size with a RIFF size placeholder: unknown.
        assert_eq!(
            parse_all(&wav(Some(0), &fmt, 0, &[])).unwrap().data_len,
            None
        );
        assert_eq!(
            parse_all(&wav(Some(u32::MAX), &fmt, 0, &[]))
                .unwrap()
                .data_len,
            None
        );
        // 0 data size while the RIFF size says more follows: unknown.
        assert_eq!(
            parse_all(&wav(Some(36 + 1000), &fmt, 0, &[]))
                .unwrap()
                .data_len,
            None
        );
        // A real empty data chunk.
        let h = parse_all(&wav(None, &fmt, 0, &[])).unwrap();
        assert_eq!(h.data_len, Some(0));
        assert_eq!(
            check_for_recognition(&h, false),
            Err(vec![AudioProblem::Empty])
        );
        // A real length with a streaming RIFF size.
        assert_eq!(
            parse_all(&wav(Some(u32::MAX), &fmt, 10, &[]))
                .unwrap()
                .data_len,
            Some(10)
        );
    }

    #[test]
    fn odd_chunks_are_padded() {
        let f = wav(
            None,
            &[(b"junk", vec![9; 5]), (b"fmt ", fmt_pcm(1, 1, 16_000, 16))],
            2,
            &[0, 0],
        );
        let h = parse_all(&f).unwrap();
        assert_eq!(h.data_offset, 12 + 8 + 6 + 8 + 16 + 8);
        // An odd-sized fmt chunk (18 bytes + cbSize, 19 here) is padded as well.
        let mut c = fmt_pcm(1, 1, 16_000, 16);
        c.extend_from_slice(&[0, 0, 0]);
        let h = parse_all(&wav(None, &[(b"fmt ", c)], 2, &[0, 0])).unwrap();
        assert_eq!(h.data_offset, 12 + 8 + 20 + 8);
        assert_eq!(h.format.sample_rate, 16_000);
    }

    #[test]
    fn errors() {
        let fmt = (b"fmt ", fmt_pcm(1, 1, 16_000, 16));
        assert_eq!(
            parse_all(&wav(None, &[], 0, &[])),
            Err(WavError::MissingFmt)
        );
        assert_eq!(
            parse_all(&wav(None, &[(b"fmt ", vec![1; 14])], 0, &[])),
            Err(WavError::FmtTooShort { len: 14 })
        );
        assert_eq!(
            parse_all(&wav(None, &[(b"fmt ", fmt_pcm(1, 0, 16_000, 16))], 0, &[])),
            Err(WavError::BadFmt {
                reason: "the fmt chunk says zero channels"
            })
        );
        assert!(matches!(
            parse_all(&wav(None, &[(b"fmt ", fmt_pcm(1, 1, 0, 16))], 0, &[])),
            Err(WavError::BadFmt { .. })
        ));
        assert_eq!(
            parse_all(&wav(None, &[(b"\0\x01ab", vec![]), fmt.clone()], 0, &[])),
            Err(WavError::BadChunkId {
                offset: 12,
                id: [0, 1, b'a', b'b']
            })
        );
        let mut f = wav(None, std::slice::from_ref(&fmt), 0, &[]);
        f[8..12].copy_from_slice(b"AVI ");
        assert_eq!(
            parse_all(&f),
            Err(WavError::NotWave {
                form_type: *b"AVI "
            })
        );
        let f = wav(None, &[(b"LIST", vec![0; 2000]), fmt.clone()], 0, &[]);
        let mut p = WavHeaderParser::with_limit(1000);
        assert_eq!(
            p.push(&f[..30]),
            Err(WavError::HeaderTooLong { limit: 1000 })
        );
        assert_eq!(
            p.push(&f[30..]),
            Err(WavError::HeaderTooLong { limit: 1000 })
        );
        assert!(WavHeaderParser::with_limit(3000).push(&f).is_ok());
        let f = wav(None, &[fmt], 0, &[]);
        let mut p = WavHeaderParser::new();
        p.push(&f[..30]).unwrap();
        assert_eq!(p.finish(), Err(WavError::Truncated { offset: 30 }));
        assert!(WavError::Truncated { offset: 30 }
            .to_string()
            .contains("30 bytes"));
    }

    #[test]
    fn sniffs_other_formats() {
        let cases: &[(&[u8], &str)] = &[
            (b"OggS\0\x02\0\0\0\0\0\0\0\0", "Ogg"),
            (b"ID3\x04\0\0\0\0\0\0\0\0", "MP3"),
            (&[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0], "MP3"),
            (&[0xFF, 0xF1, 0x50, 0x80, 0, 0, 0, 0, 0, 0, 0, 0], "AAC"),
            (b"fLaC\0\0\0\x22\0\0\0\0", "FLAC"),
            (b"\0\0\0\x20ftypM4A ", "MP4"),
            (&[0x1A, 0x45, 0xDF, 0xA3, 1, 0, 0, 0, 0, 0, 0, 0], "WebM"),
            (b"  {\"audio\": \"", "JSON"),
            (b"[1,2,3,4,5,6,7", "JSON"),
            (b"<html><body>", "HTML"),
            (b"UklGRiQAAABXQVZF", "base64 text of a WAV"),
            (b"T2dnUwACAAAAAAAA", "base64 text"),
            (b"RIFX\0\0\0\0WAVE", "RIFX"),
            (b"RF64\xff\xff\xff\xffWAVE", "RF64"),
        ];
        for (bytes, name) in cases {
            let err = WavHeaderParser::new().push(bytes).unwrap_err();
            match &err {
                WavError::NotRiff {
                    looks_like: Some(l),
                } => assert!(l.contains(name), "{l} vs {name}"),
                other => panic!("{bytes:?}: {other:?}"),
            }
            assert!(err.to_string().contains(name));
        }
        assert_eq!(
            WavHeaderParser::new().push(&[0x12; 12]),
            Err(WavError::NotRiff { looks_like: None })
        );
        // Short inputs are named by finish().
        let mut p = WavHeaderParser::new();
        assert_eq!(p.push(b"{}").unwrap(), WavStatus::Partial(2));
        assert!(
            matches!(p.finish(), Err(WavError::NotRiff { looks_like: Some(l) }) if l.contains("JSON"))
        );
        let mut p = WavHeaderParser::new();
        p.push(b"RIF").unwrap();
        assert_eq!(p.finish(), Err(WavError::Truncated { offset: 3 }));
    }

    #[test]
    fn check_lists_every_problem_with_its_fix() {
        let f = wav(
            None,
            &[(b"fmt ", fmt_pcm(3, 2, 44_100, 32))],
            44_100 * 8 * 61,
            &[],
        );
        let h = parse_all(&f).unwrap();
        let problems = check_for_recognition(&h, false).unwrap_err();
        assert_eq!(
            problems,
            vec![
                AudioProblem::Codec {
                    found: WavCodec::IeeeFloat
                },
                AudioProblem::SampleRate { found: 44_100 },
                AudioProblem::Channels { found: 2 },
                AudioProblem::BitsPerSample { found: 32 },
                AudioProblem::TooLong {
                    duration: Duration::from_secs(61),
                    limit: Duration::from_secs(60)
                },
            ]
        );
        assert_eq!(
            problems[1].to_string(),
            "the sample rate is 44100 Hz; the service needs 16000 Hz: convert with \
             `sox in.wav -r 16000 -c 1 -b 16 -e signed-integer out.wav`"
        );
        for p in &problems {
            assert!(p.to_string().contains("sox"), "{p}");
        }
    }

    #[test]
    fn pronunciation_limit_is_30_seconds() {
        let fmt = [(b"fmt ", fmt_pcm(1, 1, 16_000, 16))];
        let h = parse_all(&wav(None, &fmt, 32_000 * 45, &[])).unwrap();
        assert!(check_for_recognition(&h, false).is_ok());
        let problems = check_for_recognition(&h, true).unwrap_err();
        assert_eq!(
            problems,
            vec![AudioProblem::TooLong {
                duration: Duration::from_secs(45),
                limit: Duration::from_secs(30)
            }]
        );
        assert!(problems[0].to_string().contains("pronunciation assessment"));
        // Unknown length: a note, not a problem.
        let h = parse_all(&wav(Some(u32::MAX), &fmt, u32::MAX, &[])).unwrap();
        let info = check_for_recognition(&h, true).unwrap();
        assert_eq!(info.duration, None);
        assert_eq!(
            info.notes,
            vec![AudioNote::UnknownLength {
                limit: Duration::from_secs(30)
            }]
        );
        // Extensible PCM: a note.
        let h = parse_all(&wav(
            None,
            &[(b"fmt ", fmt_ext(1, 1, 16_000, 16, 16))],
            2,
            &[0, 0],
        ))
        .unwrap();
        assert_eq!(
            check_for_recognition(&h, false).unwrap().notes,
            vec![AudioNote::Extensible]
        );
        // Extensible with 12 valid bits in a 16-bit container.
        let h = parse_all(&wav(
            None,
            &[(b"fmt ", fmt_ext(1, 1, 16_000, 16, 12))],
            2,
            &[0, 0],
        ))
        .unwrap();
        assert_eq!(
            check_for_recognition(&h, false),
            Err(vec![AudioProblem::BitsPerSample { found: 12 }])
        );
    }

    fn tone(samples: usize, amplitude: i16) -> Vec<u8> {
        (0..samples)
            .flat_map(|i| if i % 2 == 0 { amplitude } else { -amplitude }.to_le_bytes())
            .collect()
    }

    #[test]
    fn silence_meter_any_split() {
        // 4.8 s of low noise (below the threshold), then a tone.
        let mut pcm = tone(16_000 * 48 / 10, 100);
        pcm.extend(tone(1600, 5000));
        for step in [1, 2, 3, 7, 160, 319, 4096, pcm.len()] {
            let mut m = LeadingSilenceMeter::for_recognition();
            for piece in pcm.chunks(step) {
                m.push(piece);
            }
            assert!(m.found_sound(), "step {step}");
            assert_eq!(
                m.leading_silence(),
                Duration::from_millis(4800),
                "step {step}"
            );
            let p = m.problem(LEADING_SILENCE_WARNING).unwrap();
            assert_eq!(p.to_string().split(' ').next(), Some("4.8"));
        }
        // A lower threshold hears the noise at once.
        let mut m = LeadingSilenceMeter::for_recognition().with_threshold(50);
        m.push(&pcm);
        assert_eq!(m.leading_silence(), Duration::ZERO);
        assert_eq!(m.problem(LEADING_SILENCE_WARNING), None);
    }

    #[test]
    fn silence_meter_stereo_and_odd_rates() {
        let mut m = LeadingSilenceMeter::new(22_050, 2).unwrap();
        m.push(&vec![0; 221 * 2 * 2 * 10]); // ten frames of 221 stereo samples
        assert!(!m.found_sound());
        assert_eq!(
            m.leading_silence(),
            Duration::from_nanos(2210 * 1_000_000_000 / 22_050)
        );
        assert!(LeadingSilenceMeter::new(0, 1).is_err());
        assert!(LeadingSilenceMeter::new(16_000, 0).is_err());
    }

    #[test]
    fn fuzz_entry_on_samples() {
        let f = wav(
            None,
            &[(b"fmt ", fmt_pcm(1, 1, 16_000, 16))],
            4,
            &[0, 0, 1, 1],
        );
        for i in 0..=255u8 {
            let mut d = f.clone();
            *d.last_mut().unwrap() = i; // moves the split point
            __fuzz_wav_header(&d);
            __fuzz_wav_header(&f[..usize::from(i).min(f.len())]);
        }
    }
    #[test]
    fn silence_scan_reports_the_start_of_sound_and_a_cut_file() {
        let header = |data_len: u32| {
            let mut h =
                b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data"
                    .to_vec();
            h.extend_from_slice(&data_len.to_le_bytes());
            parse_wav_header(&h).unwrap().unwrap()
        };
        // 0.5 s of silence, then sound: starts after 0.5 s.
        let mut scan = SilenceScan::for_header(&header(64_000)).unwrap();
        scan.push(&[0u8; 16_000]);
        assert!(scan.wants_more());
        scan.push(&tone(16_000, 8000));
        assert!(!scan.wants_more());
        assert_eq!(
            scan.report(),
            SilenceReport {
                cut_short: None,
                silence: Silence::StartsAfter(Duration::from_millis(500))
            }
        );
        // 4 s of silence, then sound: late.
        let mut scan = SilenceScan::for_header(&header(200_000)).unwrap();
        scan.push(&vec![0u8; 128_000]);
        scan.push(&tone(1_600, 8000));
        assert!(matches!(scan.report().silence, Silence::StartsLate(_)));
        // Silence, and the file ends before the samples the header announced.
        let mut scan = SilenceScan::for_header(&header(64_000)).unwrap();
        scan.push(&[0u8; 1000]);
        let report = scan.report();
        assert_eq!(report.cut_short, Some((64_000, 1000)));
        assert!(matches!(report.silence, Silence::NoSound { .. }));
        // Only the first 60 s are metered, however long the file.
        let mut scan = SilenceScan::for_header(&header(u32::MAX - 64)).unwrap();
        scan.push(&vec![0u8; 32_000 * 61]);
        assert!(!scan.wants_more());
        assert_eq!(
            scan.report().silence,
            Silence::NoSound {
                heard: Duration::from_secs(60)
            }
        );
        // Not 16-bit PCM: nothing to scan (the format check already refuses it).
        let mut float =
            b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x03\0\x01\0\x80\x3e\0\0\0\xfa\0\0\x04\0\x20\0data"
                .to_vec();
        float.extend_from_slice(&64_000u32.to_le_bytes());
        let float = parse_wav_header(&float).unwrap().unwrap();
        assert_eq!(float.format.codec, WavCodec::IeeeFloat);
        assert!(SilenceScan::for_header(&float).is_none());
    }
}
