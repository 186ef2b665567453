//! Decoding any supported recording to 16 kHz mono 16-bit PCM, chunk by chunk.
//!
//! [`Decoder`] reads the container and codec with `symphonia` (pure Rust: WAV with every PCM width, IEEE
//! float, A-law and µ-law, and `WAVE_FORMAT_EXTENSIBLE`; MP3; FLAC; Ogg/Vorbis; AAC in M4A/MP4; Matroska/WebM
//! with those codecs) and, with the default `opus` feature, Ogg/Opus of any length with libopus (mono or
//! stereo streams; libopus decodes them straight to 16 kHz mono), mixes the channels down to one (their mean), and resamples to 16 kHz with `rubato`'s
//! FFT resampler (band-limited: no aliasing from the 44.1/48 kHz content above 8 kHz). Memory stays constant:
//! one packet and one resampler chunk at a time.
//!
//! A file in a format none of these know (WMA, AMR, ALAC, …) is converted by `ffmpeg` when it is on `PATH`
//! (the default `ffmpeg` feature; see [`Source::open`]).
//!
//! Errors are typed ([`DecodeError`]): a format nothing here decodes is [`DecodeError::Unsupported`] with
//! what was recognised (e.g. `"WMA (ASF container)"`); a broken file is [`DecodeError::Malformed`]. Nothing
//! panics on any input, and a file whose packets will not decode stops with an error rather than looping.
//! `symphonia` itself can panic on hostile headers (the `audio_decoder` fuzz target found a zero time base
//! within seconds): every call into it is guarded, and a panic there ends the decoding with
//! [`DecodeError::Malformed`].

use std::fmt;
use std::io::Read;
use std::time::Duration;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

pub use crate::error::DecodeError;
use crate::error::UNKNOWN_CONTAINER;
use crate::resample::{finite, Resampler};

/// The sample rate of the decoder's output.
pub const OUTPUT_RATE: u32 = 16_000;

/// Packets in a row that may fail to decode before the file is given up as broken.
const MAX_BAD_PACKETS: usize = 64;

/// The codec behind a [`Decoder`].
enum Codec {
    /// Everything symphonia decodes itself.
    Symphonia(Box<dyn symphonia::core::codecs::Decoder>),
    /// Opus (symphonia demuxes the Ogg stream but has no Opus decoder).
    #[cfg(feature = "opus")]
    Opus(OpusCodec),
}

/// libopus, decoding any mono or stereo Opus stream straight to 16 kHz mono.
#[cfg(feature = "opus")]
struct OpusCodec {
    decoder: opus::Decoder,
    /// Output samples still to drop: the stream's pre-skip (the encoder's look-ahead).
    skip: u64,
    /// Output samples still to hand out, when the stream's end is known (a seekable input, whose last page the
    /// demuxer read): the last page's granule position cuts off the end of the last packet.
    left: Option<u64>,
    /// One packet's output (at most 120 ms).
    buffer: Vec<f32>,
}

#[cfg(feature = "opus")]
impl OpusCodec {
    /// The most audio one Opus packet holds: 120 ms.
    const MAX_PACKET_SAMPLES: usize = OUTPUT_RATE as usize * 120 / 1000;

    fn new(params: &symphonia::core::codecs::CodecParameters) -> Result<OpusCodec, DecodeError> {
        let channels = params.channels.map_or(1, |c| c.count());
        if channels > 2 {
            // Channel mapping family 1 (surround) packs several Opus streams per packet.
            return Err(DecodeError::Unsupported {
                what: format!("Opus with {channels} channels (a multistream file)"),
            });
        }
        let decoder = opus::Decoder::new(OUTPUT_RATE, opus::Channels::Mono).map_err(|e| {
            DecodeError::Malformed {
                reason: format!("cannot start the Opus decoder: {e}"),
            }
        })?;
        // The demuxer counts at 48 kHz, as Ogg/Opus does.
        let at_output_rate = |frames: u64| frames.saturating_mul(u64::from(OUTPUT_RATE)) / 48_000;
        let delay = params.delay.map_or(0, u64::from);
        let left = params
            .n_frames
            .zip(params.padding)
            .map(|(frames, padding)| {
                at_output_rate(
                    frames
                        .saturating_sub(delay)
                        .saturating_sub(u64::from(padding)),
                )
            });
        Ok(OpusCodec {
            decoder,
            skip: at_output_rate(delay),
            left,
            buffer: vec![0.0; OpusCodec::MAX_PACKET_SAMPLES],
        })
    }

    /// Decodes one packet, appending its samples to `out`, less the pre-skip at the start of the stream and
    /// what lies past its end.
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) -> Result<(), String> {
        let n = self
            .decoder
            .decode_float(packet, &mut self.buffer, false)
            .map_err(|e| format!("Opus: {e}"))?;
        let samples = &self.buffer[..n.min(self.buffer.len())];
        let start = usize::try_from(self.skip)
            .unwrap_or(usize::MAX)
            .min(samples.len());
        self.skip -= start as u64;
        let mut end = samples.len();
        if let Some(left) = &mut self.left {
            end = end.min(start.saturating_add(usize::try_from(*left).unwrap_or(usize::MAX)));
            *left -= (end - start) as u64;
        }
        out.extend(samples[start..end].iter().copied().map(finite));
        Ok(())
    }
}

/// Where a recording comes from.
pub enum Source {
    /// A file (seekable; its extension is the format hint).
    File(std::path::PathBuf),
    /// Any reader, with an optional format hint (a file extension such as `"mp3"`).
    Reader {
        /// The bytes.
        reader: Box<dyn Read + Send + Sync>,
        /// The format hint.
        extension: Option<String>,
    },
}

impl Source {
    /// A reader with a format hint.
    pub fn reader(reader: impl Read + Send + Sync + 'static, extension: Option<&str>) -> Source {
        Source::Reader {
            reader: Box::new(reader),
            extension: extension.map(str::to_owned),
        }
    }

    /// Opens the source for decoding.
    ///
    /// A file in a format nothing in this crate decodes goes through `ffmpeg` when it is on `PATH` (with the
    /// default `ffmpeg` feature); without ffmpeg it is [`DecodeError::Unsupported`], naming the format when
    /// its first bytes tell (WMA, AMR, ALAC, …).
    pub fn open(self) -> Result<Decoder, DecodeError> {
        match self {
            Source::File(path) => open_path(&path, std::ffi::OsStr::new("ffmpeg")),
            Source::Reader { reader, extension } => Decoder::open(reader, extension.as_deref()),
        }
    }
}

/// Opens a file, falling back on `ffmpeg` (the program named) for what symphonia and libopus cannot decode.
pub(crate) fn open_path(
    path: &std::path::Path,
    ffmpeg: &std::ffi::OsStr,
) -> Result<Decoder, DecodeError> {
    let extension = path.extension().map(|e| e.to_string_lossy().into_owned());
    let file = std::fs::File::open(path)?;
    let mut head = [0u8; 64];
    let head_len = (&file).take(64).read(&mut head)?;
    let sniffed = sniff(&head[..head_len]);
    let unsupported = |e: DecodeError| match (e, sniffed) {
        (DecodeError::Unsupported { what }, Some(format)) => DecodeError::Unsupported {
            what: if what == UNKNOWN_CONTAINER {
                format.to_owned()
            } else {
                format!("{format}: {what}")
            },
        },
        (e, _) => e,
    };
    use std::io::Seek;
    let mut file = file;
    file.rewind()?;
    match Decoder::open_file(file, extension.as_deref()) {
        // A container this crate reads, which it could not even open: damaged, not another format.
        Err(DecodeError::Unsupported { what })
            if what == UNKNOWN_CONTAINER && sniff_ours(&head[..head_len]).is_some() =>
        {
            Err(DecodeError::Malformed {
                reason: format!(
                    "it starts like {} but does not decode",
                    sniff_ours(&head[..head_len]).unwrap_or("audio")
                ),
            })
        }
        #[cfg(feature = "ffmpeg")]
        Err(e @ DecodeError::Unsupported { .. }) => match crate::ffmpeg::spawn(path, ffmpeg) {
            Err(DecodeError::Io(io)) if io.kind() == std::io::ErrorKind::NotFound => {
                Err(unsupported(e))
            }
            Err(other) => Err(other),
            Ok((wav, conversion)) => match Decoder::open(wav, Some("wav")) {
                Ok(decoder) => Ok(decoder.with_conversion(conversion)),
                // ffmpeg wrote no WAV: it could not read the file. Its own words say why.
                Err(_) => Err(conversion.unreadable()),
            },
        },
        other => {
            let _ = ffmpeg;
            other.map_err(unsupported)
        }
    }
}

/// Names the formats this crate decodes itself from a file's first bytes.
fn sniff_ours(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if head.starts_with(b"RIFF") && at(8, b"WAVE") {
        Some("a WAV file")
    } else if head.starts_with(b"fLaC") {
        Some("a FLAC file")
    } else if head.starts_with(b"OggS") {
        Some("an Ogg file")
    } else if head.starts_with(b"ID3") {
        Some("an MP3 file (ID3 tag)")
    } else {
        None
    }
}

fn unknown_container() -> DecodeError {
    DecodeError::Unsupported {
        what: UNKNOWN_CONTAINER.into(),
    }
}

/// Names a format from a file's first bytes, for the formats this crate does not decode itself.
fn sniff(head: &[u8]) -> Option<&'static str> {
    const ASF: [u8; 16] = [
        0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE,
        0x6C,
    ];
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if head.starts_with(&ASF) {
        Some("WMA (ASF container)")
    } else if head.starts_with(b"#!AMR-WB\n") {
        Some("AMR-WB")
    } else if head.starts_with(b"#!AMR") {
        Some("AMR")
    } else if at(4, b"ftyp3g") {
        Some("3GPP (usually AMR)")
    } else if head.starts_with(b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        Some("AIFF")
    } else if head.starts_with(b"caff") {
        Some("Core Audio (CAF)")
    } else if head.starts_with(b"MAC ") {
        Some("Monkey's Audio (APE)")
    } else if head.starts_with(b"wvpk") {
        Some("WavPack")
    } else if head.starts_with(b".snd") {
        Some("Sun/NeXT AU")
    } else if head.starts_with(b"fLaC") || head.starts_with(b"OggS") || head.starts_with(b"RIFF") {
        None
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("Matroska/WebM")
    } else if at(4, b"ftyp") {
        Some("MP4/M4A")
    } else {
        None
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => f.debug_tuple("File").field(path).finish(),
            Source::Reader { extension, .. } => f
                .debug_struct("Reader")
                .field("extension", extension)
                .finish_non_exhaustive(),
        }
    }
}

impl From<std::path::PathBuf> for Source {
    fn from(path: std::path::PathBuf) -> Source {
        Source::File(path)
    }
}

impl From<&std::path::Path> for Source {
    fn from(path: &std::path::Path) -> Source {
        Source::File(path.to_path_buf())
    }
}

impl From<&str> for Source {
    /// A file path.
    fn from(path: &str) -> Source {
        Source::File(path.into())
    }
}

/// What the input is, as the decoder found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    /// The codec's short name, e.g. `"mp3"`, `"pcm_s16le"`, `"flac"`.
    pub codec: String,
    /// The input's sample rate.
    pub sample_rate: u32,
    /// The input's channel count.
    pub channels: usize,
    /// The input's length, when the container says.
    pub duration: Option<Duration>,
}

/// Decodes a recording to 16 kHz mono PCM (see the module documentation).
pub struct Decoder {
    format: Box<dyn FormatReader>,
    codec: Codec,
    track_id: u32,
    info: SourceInfo,
    /// Mono samples of the last packet, waiting for the resampler.
    pending: Vec<f32>,
    /// To 16 kHz (passing samples through when the codec gives 16 kHz already).
    resampler: Resampler,
    done: bool,
    /// The ffmpeg process producing the input, when it comes through ffmpeg.
    #[cfg(feature = "ffmpeg")]
    conversion: Option<crate::ffmpeg::Conversion>,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// Opens a file (seekable: containers such as M4A that keep their index at the end work). `extension` is
    /// a hint (`"mp3"`, `"m4a"`, …); the content decides.
    pub fn open_file(file: std::fs::File, extension: Option<&str>) -> Result<Decoder, DecodeError> {
        Decoder::open_source(Box::new(file), extension)
    }

    /// Opens any reader (not seekable: formats that need seeking to find their index fail with
    /// [`DecodeError::Malformed`]).
    pub fn open<R: Read + Send + Sync + 'static>(
        reader: R,
        extension: Option<&str>,
    ) -> Result<Decoder, DecodeError> {
        Decoder::open_source(Box::new(ReadOnlySource::new(reader)), extension)
    }

    /// Opens a recording held in memory (seekable, and its length known: a WAV file whose sizes a streaming
    /// writer left as 0 or `0xFFFFFFFF`, or that was cut short, decodes to exactly what it holds).
    pub fn open_bytes(bytes: Vec<u8>, extension: Option<&str>) -> Result<Decoder, DecodeError> {
        Decoder::open_source(Box::new(std::io::Cursor::new(bytes)), extension)
    }

    fn open_source(
        source: Box<dyn MediaSource>,
        extension: Option<&str>,
    ) -> Result<Decoder, DecodeError> {
        guarded(|| Decoder::open_unguarded(source, extension))
    }

    fn open_unguarded(
        source: Box<dyn MediaSource>,
        extension: Option<&str>,
    ) -> Result<Decoder, DecodeError> {
        let source = crate::wav_header::repair(source)?;
        let stream = MediaSourceStream::new(source, Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext);
        }
        let probed = symphonia::default::get_probe()
            .format(
                &hint,
                stream,
                &FormatOptions::default(),
                &MetadataOptions::default(),
            )
            .map_err(|e| match e {
                // Scanning to the end without finding a container this crate reads.
                SymphoniaError::Unsupported(_) => unknown_container(),
                SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                    unknown_container()
                }
                e => classify(
                    e,
                    "the container is not one of WAV, MP3, FLAC, Ogg, MP4/M4A, Matroska",
                ),
            })?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| DecodeError::Malformed {
                reason: "no audio track".into(),
            })?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let codec_name = symphonia::default::get_codecs()
            .get_codec(params.codec)
            .map_or_else(
                || unsupported_codec_name(&params).to_lowercase(),
                |d| d.short_name.to_owned(),
            );
        let codec = make_codec(&params)?;
        let sample_rate = params.sample_rate.ok_or_else(|| DecodeError::Malformed {
            reason: "the audio track has no sample rate".into(),
        })?;
        if sample_rate == 0 || sample_rate > 768_000 {
            return Err(DecodeError::Malformed {
                reason: format!("sample rate {sample_rate} Hz"),
            });
        }
        let channels = params.channels.map_or(1, |c| c.count()).max(1);
        let duration = params
            .n_frames
            .map(|frames| Duration::from_secs_f64(frames as f64 / f64::from(sample_rate)));
        let rate = match codec {
            #[cfg(feature = "opus")]
            Codec::Opus(_) => OUTPUT_RATE,
            Codec::Symphonia(_) => sample_rate,
        };
        let resampler = Resampler::new(rate, OUTPUT_RATE).map_err(|e| DecodeError::Malformed {
            reason: format!("cannot resample {sample_rate} Hz: {e}"),
        })?;
        Ok(Decoder {
            format,
            codec,
            track_id,
            info: SourceInfo {
                codec: codec_name,
                sample_rate,
                channels,
                duration,
            },
            pending: Vec::new(),
            resampler,
            done: false,
            #[cfg(feature = "ffmpeg")]
            conversion: None,
        })
    }

    /// What the input is.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// This decoder reads what an ffmpeg conversion writes; it owns the process from now on.
    #[cfg(feature = "ffmpeg")]
    pub(crate) fn with_conversion(mut self, conversion: crate::ffmpeg::Conversion) -> Decoder {
        self.info.codec = "ffmpeg".into();
        self.conversion = Some(conversion);
        self
    }

    /// The next chunk of 16 kHz mono PCM, or `None` at the end of the audio.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<i16>>, DecodeError> {
        loop {
            if let Some(chunk) = guarded(|| self.take_ready())? {
                return Ok(Some(chunk));
            }
            if self.done {
                let tail = guarded(|| self.flush())?;
                #[cfg(feature = "ffmpeg")]
                if tail.is_none() {
                    if let Some(mut conversion) = self.conversion.take() {
                        conversion.finish()?;
                    }
                }
                return Ok(tail);
            }
            if let Err(e) = guarded(|| self.decode_packet()) {
                // A decoder that failed (or panicked) is not asked again.
                self.done = true;
                self.pending.clear();
                return Err(e);
            }
        }
    }

    /// Decodes one more packet into `pending` (mono), or marks the end.
    fn decode_packet(&mut self) -> Result<(), DecodeError> {
        let mut bad_packets = 0usize;
        loop {
            let packet = match self.format.next_packet() {
                Ok(p) => p,
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    self.done = true;
                    return Ok(());
                }
                Err(SymphoniaError::ResetRequired) => {
                    self.done = true;
                    return Ok(());
                }
                Err(e) => return Err(classify(e, "cannot read the next packet")),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match &mut self.codec {
                Codec::Symphonia(decoder) => match decoder.decode(&packet) {
                    Ok(decoded) => {
                        let spec = *decoded.spec();
                        let channels = spec.channels.count().max(1);
                        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
                        buffer.copy_interleaved_ref(decoded);
                        let scale = 1.0 / channels as f32;
                        self.pending.extend(
                            buffer
                                .samples()
                                .chunks_exact(channels)
                                .map(|frame| finite(frame.iter().sum::<f32>() * scale)),
                        );
                        Ok(())
                    }
                    Err(SymphoniaError::DecodeError(reason)) => Err(reason.to_owned()),
                    Err(e) => return Err(classify(e, "cannot decode a packet")),
                },
                #[cfg(feature = "opus")]
                Codec::Opus(opus) => opus.decode(&packet.data, &mut self.pending),
            };
            match decoded {
                Ok(()) => return Ok(()),
                Err(reason) => {
                    bad_packets += 1;
                    if bad_packets >= MAX_BAD_PACKETS {
                        return Err(DecodeError::Malformed {
                            reason: format!(
                                "{bad_packets} packets in a row do not decode: {reason}"
                            ),
                        });
                    }
                }
            }
        }
    }

    /// Output from what is pending, when there is enough of it.
    fn take_ready(&mut self) -> Result<Option<Vec<i16>>, DecodeError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let out = self
            .resampler
            .push(&self.pending)
            .map_err(|e| DecodeError::Malformed {
                reason: e.to_string(),
            })?;
        self.pending.clear();
        Ok((!out.is_empty()).then_some(out))
    }

    /// At the end: what is left in the resampler, trimmed to the input's exact length.
    fn flush(&mut self) -> Result<Option<Vec<i16>>, DecodeError> {
        let out = self
            .resampler
            .finish()
            .map_err(|e| DecodeError::Malformed {
                reason: e.to_string(),
            })?;
        Ok((!out.is_empty()).then_some(out))
    }
}

/// The decoder for a track's codec.
fn make_codec(params: &symphonia::core::codecs::CodecParameters) -> Result<Codec, DecodeError> {
    #[cfg(feature = "opus")]
    if params.codec == symphonia::core::codecs::CODEC_TYPE_OPUS {
        return OpusCodec::new(params).map(Codec::Opus);
    }
    symphonia::default::get_codecs()
        .make(params, &DecoderOptions::default())
        .map(Codec::Symphonia)
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => DecodeError::Unsupported {
                what: unsupported_codec_name(params),
            },
            other => classify(other, "cannot start the decoder"),
        })
}

/// Runs decoder code, turning a panic inside it into [`DecodeError::Malformed`].
fn guarded<T>(f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(DecodeError::Malformed {
            reason: "the decoder gave up on this input (a damaged or hostile header)".into(),
        })
    })
}

/// Maps a symphonia error to ours.
fn classify(e: SymphoniaError, context: &str) -> DecodeError {
    match e {
        SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Malformed {
                reason: format!("{context}: the file ends too early"),
            }
        }
        SymphoniaError::IoError(io) => DecodeError::Io(io),
        SymphoniaError::Unsupported(what) => DecodeError::Unsupported {
            what: format!("{context}: {what}"),
        },
        SymphoniaError::DecodeError(reason) => DecodeError::Malformed {
            reason: format!("{context}: {reason}"),
        },
        SymphoniaError::SeekError(_) | SymphoniaError::ResetRequired => DecodeError::Malformed {
            reason: context.to_owned(),
        },
        SymphoniaError::LimitError(what) => DecodeError::Malformed {
            reason: format!("{context}: {what}"),
        },
    }
}

/// A name for a codec symphonia recognised but cannot decode (Opus in Ogg, for one).
fn unsupported_codec_name(params: &symphonia::core::codecs::CodecParameters) -> String {
    use symphonia::core::codecs::{CODEC_TYPE_OPUS, CODEC_TYPE_SPEEX, CODEC_TYPE_WAVPACK};
    match params.codec {
        c if c == CODEC_TYPE_OPUS => "Opus".into(),
        c if c == CODEC_TYPE_SPEEX => "Speex".into(),
        c if c == CODEC_TYPE_WAVPACK => "WavPack".into(),
        c => format!("codec {c}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A WAV file in memory.
    fn wav(rate: u32, channels: u16, frames: &[Vec<i16>]) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("writer");
        for frame in frames {
            for &s in frame {
                writer.write_sample(s).expect("sample");
            }
        }
        writer.finalize().expect("finalize");
        cursor.into_inner()
    }

    fn decode_all(bytes: Vec<u8>, ext: &str) -> Result<(SourceInfo, Vec<i16>), DecodeError> {
        let mut d = Decoder::open(std::io::Cursor::new(bytes), Some(ext))?;
        let mut out = Vec::new();
        while let Some(chunk) = d.next_chunk()? {
            out.extend(chunk);
        }
        Ok((d.info().clone(), out))
    }

    /// How often the signal changes sign: twice its frequency per second of a pure tone.
    pub(crate) fn zero_crossings(samples: &[i16]) -> usize {
        samples
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count()
    }

    fn sine(rate: u32, hz: f64, seconds: f64, amplitude: f64) -> Vec<i16> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                (amplitude * (2.0 * std::f64::consts::PI * hz * t).sin() * 32_767.0) as i16
            })
            .collect()
    }

    #[test]
    fn sixteen_khz_mono_passes_through_exactly() {
        let samples = sine(16_000, 440.0, 0.5, 0.5);
        let frames: Vec<Vec<i16>> = samples.iter().map(|&s| vec![s]).collect();
        let (info, out) = decode_all(wav(16_000, 1, &frames), "wav").expect("decodes");
        assert_eq!((info.sample_rate, info.channels), (16_000, 1));
        assert_eq!(out, samples);
    }

    #[test]
    fn stereo_48k_is_mixed_down_and_resampled_to_the_right_length_and_pitch() {
        let left = sine(48_000, 440.0, 2.0, 0.4);
        let frames: Vec<Vec<i16>> = left.iter().map(|&s| vec![s, s]).collect();
        let (info, out) = decode_all(wav(48_000, 2, &frames), "wav").expect("decodes");
        assert_eq!((info.sample_rate, info.channels), (48_000, 2));
        assert_eq!(out.len(), 32_000, "2 s at 16 kHz");
        // Zero crossings of a 440 Hz tone over the middle second: about 880.
        let middle = &out[8_000..24_000];
        let crossings = zero_crossings(middle);
        assert!((870..=890).contains(&crossings), "{crossings}");
        let peak = middle.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!((12_000..=14_500).contains(&peak), "{peak}");
    }

    #[test]
    fn a_tone_above_8_khz_does_not_alias_into_the_output() {
        let tone = sine(44_100, 10_000.0, 1.0, 0.5);
        let frames: Vec<Vec<i16>> = tone.iter().map(|&s| vec![s]).collect();
        let (_, out) = decode_all(wav(44_100, 1, &frames), "wav").expect("decodes");
        let rms = (out[2_000..14_000]
            .iter()
            .map(|&s| f64::from(s).powi(2))
            .sum::<f64>()
            / 12_000.0)
            .sqrt();
        // A linear interpolator would fold 10 kHz to 6 kHz at nearly full level (~11 500 RMS).
        assert!(rms < 200.0, "aliased energy: RMS {rms}");
    }

    #[test]
    fn non_finite_float_samples_become_silence() {
        // 32-bit float WAV at 48 kHz holding NaN, infinities and values beyond full scale.
        let samples: Vec<f32> = (0..4_800)
            .map(|i| match i % 4 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => 7.5,
                _ => 0.25,
            })
            .collect();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut cursor = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("writer");
        for s in samples {
            writer.write_sample(s).expect("sample");
        }
        writer.finalize().expect("finalize");
        let (_, out) = decode_all(cursor.into_inner(), "wav").expect("decodes");
        assert_eq!(out.len(), 1_600);
    }

    /// An Ogg/Opus file (48 kHz encoder, 20 ms packets) of interleaved samples.
    #[cfg(feature = "opus")]
    fn ogg_opus(channels: u8, interleaved: &[i16]) -> Vec<u8> {
        use ogg::writing::{PacketWriteEndInfo, PacketWriter};
        let layout = if channels == 1 {
            opus::Channels::Mono
        } else {
            opus::Channels::Stereo
        };
        let mut encoder =
            opus::Encoder::new(48_000, layout, opus::Application::Voip).expect("encoder");
        let pre_skip = u16::try_from(encoder.get_lookahead().expect("lookahead")).expect("u16");
        let mut head = b"OpusHead".to_vec();
        head.push(1);
        head.push(channels);
        head.extend(pre_skip.to_le_bytes());
        head.extend(48_000u32.to_le_bytes());
        head.extend(0u16.to_le_bytes());
        head.push(0);
        let mut tags = b"OpusTags".to_vec();
        tags.extend(4u32.to_le_bytes());
        tags.extend(b"test");
        tags.extend(0u32.to_le_bytes());
        let mut out = Vec::new();
        let mut writer = PacketWriter::new(&mut out);
        writer
            .write_packet(head, 7, PacketWriteEndInfo::EndPage, 0)
            .expect("head");
        writer
            .write_packet(tags, 7, PacketWriteEndInfo::EndPage, 0)
            .expect("tags");
        let frame = 960 * usize::from(channels);
        // As real encoders do, feed the look-ahead's worth of silence at the end to flush the encoder.
        let mut flushed = interleaved.to_vec();
        flushed.resize(
            interleaved.len() + usize::from(pre_skip) * usize::from(channels),
            0,
        );
        let frames: Vec<&[i16]> = flushed.chunks(frame).collect();
        let end = u64::from(pre_skip) + (interleaved.len() / usize::from(channels)) as u64;
        let mut granule = 0u64;
        for (i, chunk) in frames.iter().enumerate() {
            let mut padded = chunk.to_vec();
            padded.resize(frame, 0);
            let packet = encoder.encode_vec(&padded, 4_000).expect("encode");
            granule = (granule + 960).min(end);
            let end = if i + 1 == frames.len() {
                PacketWriteEndInfo::EndStream
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            writer
                .write_packet(packet, 7, end, granule)
                .expect("packet");
        }
        out
    }

    #[cfg(feature = "opus")]
    #[test]
    fn ogg_opus_stereo_is_decoded_to_16_khz_mono_at_the_right_length_and_pitch() {
        let tone = sine(48_000, 440.0, 3.0, 0.4);
        let interleaved: Vec<i16> = tone.iter().flat_map(|&s| [s, s]).collect();
        let (info, out) = decode_all(ogg_opus(2, &interleaved), "ogg").expect("decodes");
        assert_eq!(
            (info.codec.as_str(), info.sample_rate, info.channels),
            ("opus", 48_000, 2)
        );
        // 3 s at 16 kHz, plus at most the last packet's padding (20 ms).
        assert!((48_000..=48_320).contains(&out.len()), "{}", out.len());
        let middle = &out[16_000..32_000];
        let crossings = zero_crossings(middle);
        assert!((870..=890).contains(&crossings), "{crossings}");
        let peak = middle.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!((10_000..=16_000).contains(&peak), "{peak}");
    }

    #[cfg(feature = "opus")]
    #[test]
    fn damaged_opus_packets_are_an_error_or_noise_never_a_panic() {
        let tone = sine(48_000, 300.0, 1.0, 0.4);
        let mut bytes = ogg_opus(1, &tone);
        // Flip bytes in the audio pages (past the two header pages).
        let len = bytes.len();
        for i in (len / 3..len).step_by(7) {
            bytes[i] ^= 0x5A;
        }
        let _ = decode_all(bytes, "ogg");
    }

    #[test]
    fn garbage_and_truncated_input_are_errors_not_panics() {
        for bytes in [
            Vec::new(),
            b"not audio at all".to_vec(),
            b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec(),
            vec![0xFF; 4096],
        ] {
            let result = decode_all(bytes.clone(), "wav");
            assert!(
                result.is_err() || result.as_ref().is_ok_and(|(_, out)| out.is_empty()),
                "{bytes:?}"
            );
        }
        let mut truncated = wav(16_000, 1, &vec![vec![1000i16]; 1000]);
        truncated.truncate(100);
        let _ = decode_all(truncated, "wav");
    }
}
