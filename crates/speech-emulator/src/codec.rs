//! Audio in and out of the emulator: the text-to-speech output formats (`X-Microsoft-OutputFormat`) and their
//! encoders, a band-limited resampler, and the decoder for uploaded speech-to-text audio.
//!
//! Output: [`output_formats`] lists every documented format name (spec §3.4) plus `riff-16khz-16bit-mono-pcm`, the
//! JS SDK's default. [`encode`] resamples synthesized [`Pcm`] to the format's rate and encodes it: PCM, A-law and
//! µ-law (headerless `raw-*` or with a RIFF/WAVE header for `riff-*`), MP3 through the LAME library bundled in the
//! `mp3lame-encoder` crate, and Ogg/Opus through libopus (bundled by the `opus` crate) with our own Ogg page writer.
//! WebM, AMR-WB, SILK and Azure's header-less raw Opus stream are listed but not encodable
//! ([`OutputFormat::supported`] is `false`).
//!
//! Input: [`DeclaredAudio::from_content_type`] reads the STT request's `Content-Type`, and [`decode_upload`] turns
//! the body into 16 kHz mono PCM, or says that the service would hear only noise ([`Upload::Misheard`]: the
//! bytes are a different container than declared, or a WAV that is not 16 kHz mono 16-bit PCM), or that the body is
//! not audio at all ([`DecodeError::Unsupported`]).

use std::f64::consts::PI;
use std::fmt;

use crate::engine::Pcm;

// ---------------------------------------------------------------------------------------------------------------
// Output formats
// ---------------------------------------------------------------------------------------------------------------

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
    let audio = resample(pcm, format.sample_rate);
    match (format.container, format.encoding) {
        (Container::Raw, encoding) => Ok(encode_samples(encoding, &audio.samples)),
        (Container::Riff, encoding) => {
            let data = encode_samples(encoding, &audio.samples);
            riff_file(encoding, format.sample_rate, data)
        }
        #[cfg(feature = "mp3")]
        (Container::Mp3, _) => encode_mp3(
            format.sample_rate,
            format.bitrate_kbps.unwrap_or(64),
            &audio.samples,
        ),
        (Container::Ogg, _) => {
            encode_ogg_opus(format.sample_rate, format.bitrate_kbps, &audio.samples)
        }
        _ => Err(CodecError::Unsupported {
            format: format.name.to_owned(),
        }),
    }
}

fn encode_samples(encoding: Encoding, samples: &[i16]) -> Vec<u8> {
    match encoding {
        Encoding::ALaw => samples.iter().map(|&s| linear_to_alaw(s)).collect(),
        Encoding::MuLaw => samples.iter().map(|&s| linear_to_ulaw(s)).collect(),
        _ => samples.iter().flat_map(|s| s.to_le_bytes()).collect(),
    }
}

/// Prepend a 44-byte RIFF/WAVE header to `data`.
fn riff_file(
    encoding: Encoding,
    sample_rate: u32,
    mut data: Vec<u8>,
) -> Result<Vec<u8>, CodecError> {
    let (tag, bits): (u16, u16) = match encoding {
        Encoding::ALaw => (6, 8),
        Encoding::MuLaw => (7, 8),
        _ => (1, 16),
    };
    let data_len = u32::try_from(data.len())
        .ok()
        .filter(|len| *len <= u32::MAX - 36)
        .ok_or_else(|| {
            CodecError::Other(format!(
                "{} bytes of audio do not fit a RIFF file",
                data.len()
            ))
        })?;
    let block_align = bits / 8;
    let mut out = Vec::with_capacity(44 + data.len() + 1);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.append(&mut data);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// G.711 (after the ITU-T reference / Sun Microsystems g711.c)
// ---------------------------------------------------------------------------------------------------------------

const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];

fn segment(value: i32, table: &[i32; 8]) -> usize {
    table.iter().position(|&end| value <= end).unwrap_or(8)
}

/// Encode one 16-bit linear sample as G.711 A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 3;
    let mask: i32 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg = segment(pcm, &SEG_AEND);
    let value = if seg >= 8 {
        0x7F
    } else {
        let quant = if seg < 2 {
            (pcm >> 1) & 0x0F
        } else {
            (pcm >> seg) & 0x0F
        };
        ((seg as i32) << 4) | quant
    };
    // ok: every value above fits in 7 bits and the mask in 8 bits.
    ((value ^ mask) & 0xFF) as u8
}

/// Encode one 16-bit linear sample as G.711 µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 8159;
    let mut pcm = i32::from(sample) >> 2;
    let mask: i32 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    pcm = pcm.min(CLIP) + (BIAS >> 2);
    let seg = segment(pcm, &SEG_UEND);
    let value = if seg >= 8 {
        0x7F
    } else {
        ((seg as i32) << 4) | ((pcm >> (seg + 1)) & 0x0F)
    };
    ((value ^ mask) & 0xFF) as u8
}

/// Decode one G.711 A-law byte to 16-bit linear.
pub fn alaw_to_linear(code: u8) -> i16 {
    let a = i32::from(code ^ 0x55);
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    let v = if a & 0x80 != 0 { t } else { -t };
    // ok: |t| <= 32256.
    v as i16
}

/// Decode one G.711 µ-law byte to 16-bit linear.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let u = i32::from(!code);
    let mut t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    let v = if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 };
    // ok: |v| <= 32124.
    v as i16
}

// ---------------------------------------------------------------------------------------------------------------
// Resampler: windowed-sinc (Kaiser), polyphase over the reduced rate ratio
// ---------------------------------------------------------------------------------------------------------------

/// Zero crossings of the sinc kernel on each side, at the lower of the two rates.
const ZERO_CROSSINGS: f64 = 16.0;
/// Kaiser window shape; ~80 dB stop-band attenuation.
const KAISER_BETA: f64 = 8.0;
/// Pass band edge as a fraction of the lower Nyquist frequency.
const PASSBAND: f64 = 0.94;
/// Largest number of filter phases kept in a table; beyond it, taps are computed per output sample.
const MAX_TABLE_PHASES: u64 = 2048;

/// Resample mono 16-bit PCM to `rate` with a band-limited (windowed-sinc) filter, which removes everything above
/// the lower of the two Nyquist frequencies. The output has `ceil(len * rate / sample_rate)` samples.
///
/// An input with `sample_rate == rate` is returned unchanged. An input or target rate of 0 gives an empty result.
pub fn resample(pcm: &Pcm, rate: u32) -> Pcm {
    if pcm.sample_rate == rate {
        return pcm.clone();
    }
    if pcm.sample_rate == 0 || rate == 0 || pcm.samples.is_empty() {
        return Pcm {
            sample_rate: rate,
            samples: Vec::new(),
        };
    }
    let g = gcd(u64::from(pcm.sample_rate), u64::from(rate));
    let up = u64::from(rate) / g; // output samples per `down` input samples
    let down = u64::from(pcm.sample_rate) / g;
    let scale = (f64::from(rate) / f64::from(pcm.sample_rate)).min(1.0); // < 1 when downsampling
    let cutoff = PASSBAND * scale; // in cycles per input sample, relative to the input Nyquist (sinc argument scale)
    let half_width = ZERO_CROSSINGS / scale; // kernel half length in input samples
    let half_taps = half_width.ceil() as i64; // ok: at most 16 * 48000 / 1
    let taps = (2 * half_taps) as usize;

    let kernel = |phase: u64, out: &mut [f64]| {
        // Output position = i + phase/up input samples; tap j multiplies x[i + j], j in (-half_taps, half_taps].
        let frac = phase as f64 / up as f64;
        let mut sum = 0.0;
        for (slot, j) in out.iter_mut().zip(-half_taps + 1..=half_taps) {
            let t = j as f64 - frac;
            let w = if t.abs() >= half_width {
                0.0
            } else {
                cutoff * sinc(cutoff * t) * kaiser(t / half_width)
            };
            *slot = w;
            sum += w;
        }
        if sum.abs() > f64::EPSILON {
            for slot in out.iter_mut() {
                *slot /= sum;
            }
        }
    };

    let table: Option<Vec<f64>> = (up <= MAX_TABLE_PHASES).then(|| {
        let mut table = vec![0.0; up as usize * taps];
        for (phase, row) in table.chunks_mut(taps).enumerate() {
            kernel(phase as u64, row);
        }
        table
    });

    let input = &pcm.samples;
    let len = input.len() as u128;
    let out_len = ((len * u128::from(up)).div_ceil(u128::from(down))) as usize;
    let mut samples = Vec::with_capacity(out_len);
    let mut scratch = vec![0.0; taps];
    for n in 0..out_len as u64 {
        let pos = u128::from(n) * u128::from(down);
        let base = (pos / u128::from(up)) as i64;
        let phase = (pos % u128::from(up)) as u64;
        let coeffs: &[f64] = match &table {
            Some(table) => &table[phase as usize * taps..(phase as usize + 1) * taps],
            None => {
                kernel(phase, &mut scratch);
                &scratch
            }
        };
        let first = base - half_taps + 1;
        let mut acc = 0.0;
        for (k, c) in coeffs.iter().enumerate() {
            let idx = first + k as i64;
            if idx >= 0 {
                if let Some(&x) = input.get(idx as usize) {
                    acc += f64::from(x) * c;
                }
            }
        }
        samples.push(acc.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16);
    }
    Pcm {
        sample_rate: rate,
        samples,
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Kaiser window at `x` in [-1, 1].
fn kaiser(x: f64) -> f64 {
    let arg = (1.0 - x * x).max(0.0).sqrt();
    bessel_i0(KAISER_BETA * arg) / bessel_i0(KAISER_BETA)
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / f64::from(k * k);
        sum += term;
        if term < sum * 1e-16 {
            break;
        }
    }
    sum
}

// ---------------------------------------------------------------------------------------------------------------
// MP3 (LAME)
// ---------------------------------------------------------------------------------------------------------------

#[cfg(feature = "mp3")]
fn lame_bitrate(kbps: u32) -> Option<mp3lame_encoder::Bitrate> {
    use mp3lame_encoder::Bitrate as B;
    Some(match kbps {
        8 => B::Kbps8,
        16 => B::Kbps16,
        24 => B::Kbps24,
        32 => B::Kbps32,
        40 => B::Kbps40,
        48 => B::Kbps48,
        64 => B::Kbps64,
        80 => B::Kbps80,
        96 => B::Kbps96,
        112 => B::Kbps112,
        128 => B::Kbps128,
        160 => B::Kbps160,
        192 => B::Kbps192,
        224 => B::Kbps224,
        256 => B::Kbps256,
        320 => B::Kbps320,
        _ => return None,
    })
}

/// Constant-bit-rate mono MP3 at `rate` (no Xing/LAME tag, so the stream can be sent as it is produced).
#[cfg(feature = "mp3")]
fn encode_mp3(rate: u32, kbps: u32, samples: &[i16]) -> Result<Vec<u8>, CodecError> {
    use mp3lame_encoder::{Builder, FlushGap, Mode, MonoPcm, Quality, VbrMode};
    let lame = |what: &str, e: &dyn fmt::Display| CodecError::Other(format!("LAME {what}: {e}"));
    let bitrate = lame_bitrate(kbps)
        .ok_or_else(|| CodecError::Other(format!("MP3 has no {kbps} kbit/s bit rate")))?;
    let mut builder = Builder::new()
        .ok_or_else(|| CodecError::Other("LAME could not allocate an encoder".into()))?;
    builder
        .set_num_channels(1)
        .map_err(|e| lame("channels", &e))?;
    builder
        .set_sample_rate(rate)
        .map_err(|e| lame("input rate", &e))?;
    builder
        .set_output_sample_rate(std::num::NonZeroU32::new(rate))
        .map_err(|e| lame("output rate", &e))?;
    builder.set_mode(Mode::Mono).map_err(|e| lame("mode", &e))?;
    builder
        .set_vbr_mode(VbrMode::Off)
        .map_err(|e| lame("VBR mode", &e))?;
    builder
        .set_brate(bitrate)
        .map_err(|e| lame("bit rate", &e))?;
    builder
        .set_to_write_vbr_tag(false)
        .map_err(|e| lame("VBR tag", &e))?;
    builder
        .set_quality(Quality::Good)
        .map_err(|e| lame("quality", &e))?;
    let mut encoder = builder.build().map_err(|e| lame("setup", &e))?;

    const CHUNK: usize = 1152 * 8;
    let mut out = Vec::with_capacity(samples.len() / 4 + 8192);
    for chunk in samples.chunks(CHUNK) {
        out.reserve(mp3lame_encoder::max_required_buffer_size(chunk.len()));
        encoder
            .encode_to_vec(MonoPcm(chunk), &mut out)
            .map_err(|e| lame("encoding", &e))?;
    }
    out.reserve(mp3lame_encoder::max_required_buffer_size(0));
    encoder
        .flush_to_vec::<FlushGap>(&mut out)
        .map_err(|e| lame("flush", &e))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Ogg (RFC 3533) pages and Opus (RFC 7845) mapping
// ---------------------------------------------------------------------------------------------------------------

/// CRC-32 of Ogg pages: polynomial 0x04C11DB7, no reflection, initial value 0, no final XOR.
fn ogg_crc(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut r = (i as u32) << 24;
            for _ in 0..8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04C1_1DB7
                } else {
                    r << 1
                };
            }
            *slot = r;
        }
        table
    });
    data.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ table[((crc >> 24) as u8 ^ b) as usize]
    })
}

/// Writes one logical Ogg stream; every page holds whole packets only.
struct OggWriter {
    out: Vec<u8>,
    serial: u32,
    sequence: u32,
}

impl OggWriter {
    /// Packets must each be shorter than 255 * 255 bytes and, together, need at most 255 lacing values.
    fn page(&mut self, packets: &[&[u8]], granule: u64, first: bool, last: bool) {
        let start = self.out.len();
        let mut lacing = Vec::new();
        for packet in packets {
            lacing.extend(std::iter::repeat_n(255u8, packet.len() / 255));
            lacing.push((packet.len() % 255) as u8);
        }
        debug_assert!(lacing.len() <= 255);
        self.out.extend_from_slice(b"OggS");
        self.out.push(0); // version
        self.out
            .push((u8::from(first) * 0x02) | (u8::from(last) * 0x04));
        self.out.extend_from_slice(&granule.to_le_bytes());
        self.out.extend_from_slice(&self.serial.to_le_bytes());
        self.out.extend_from_slice(&self.sequence.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]); // CRC, filled below
        self.out.push(lacing.len() as u8);
        self.out.extend_from_slice(&lacing);
        for packet in packets {
            self.out.extend_from_slice(packet);
        }
        let crc = ogg_crc(&self.out[start..]);
        self.out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
        self.sequence += 1;
    }
}

fn lacing_len(packet: &[u8]) -> usize {
    packet.len() / 255 + 1
}

const OPUS_FRAME_MS: u32 = 20;
/// Stream serial number of the Ogg streams we write (any value is valid; a fixed one keeps output reproducible).
const OGG_SERIAL: u32 = 0x5350_4545; // "SPEE"

/// Mono Opus in Ogg at `rate` (8, 12, 16, 24 or 48 kHz), 20 ms packets, about one page per second.
fn encode_ogg_opus(rate: u32, kbps: Option<u32>, samples: &[i16]) -> Result<Vec<u8>, CodecError> {
    let opus_err = |what: &str, e: opus::Error| CodecError::Other(format!("Opus {what}: {e}"));
    let mut encoder = opus::Encoder::new(rate, opus::Channels::Mono, opus::Application::Audio)
        .map_err(|e| opus_err("setup", e))?;
    if let Some(kbps) = kbps {
        encoder
            .set_bitrate(opus::Bitrate::Bits(kbps as i32 * 1000))
            .map_err(|e| opus_err("bit rate", e))?;
    }
    let lookahead = u64::try_from(
        encoder
            .get_lookahead()
            .map_err(|e| opus_err("lookahead", e))?,
    )
    .unwrap_or(0);
    let to_48k = 48_000 / u64::from(rate);
    let pre_skip = lookahead * to_48k;
    let frame = (rate * OPUS_FRAME_MS / 1000) as usize;

    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&(pre_skip.min(u64::from(u16::MAX)) as u16).to_le_bytes());
    head.extend_from_slice(&rate.to_le_bytes()); // original input rate
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family
    let vendor = format!("speech-emulator (libopus {})", opus::version());
    let mut tags = Vec::new();
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor.as_bytes());
    tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments

    let mut ogg = OggWriter {
        out: Vec::with_capacity(samples.len() / 4 + 256),
        serial: OGG_SERIAL,
        sequence: 0,
    };
    ogg.page(&[&head], 0, true, false);
    ogg.page(&[&tags], 0, false, false);

    // Feed the lookahead's worth of extra silence so that the last real samples come out of the encoder.
    let total_in = samples.len() + lookahead as usize;
    let frames = total_in.div_ceil(frame).max(1);
    let end_granule = pre_skip + samples.len() as u64 * to_48k;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut pending_lacing = 0usize;
    let mut pcm_frame = vec![0i16; frame];
    let mut packet = vec![0u8; 4000];
    for index in 0..frames {
        let start = index * frame;
        pcm_frame.fill(0);
        if start < samples.len() {
            let end = (start + frame).min(samples.len());
            pcm_frame[..end - start].copy_from_slice(&samples[start..end]);
        }
        let len = encoder
            .encode(&pcm_frame, &mut packet)
            .map_err(|e| opus_err("encoding", e))?;
        let data = packet[..len].to_vec();
        let last = index + 1 == frames;
        if pending_lacing + lacing_len(&data) > 255 || pending.len() >= 50 {
            let granule = (index as u64 * frame as u64 * to_48k).min(end_granule.max(pre_skip));
            let refs: Vec<&[u8]> = pending.iter().map(Vec::as_slice).collect();
            ogg.page(&refs, granule, false, false);
            pending.clear();
            pending_lacing = 0;
        }
        pending_lacing += lacing_len(&data);
        pending.push(data);
        if last {
            let refs: Vec<&[u8]> = pending.iter().map(Vec::as_slice).collect();
            ogg.page(&refs, end_granule, false, true);
        }
    }
    Ok(ogg.out)
}

// ---------------------------------------------------------------------------------------------------------------
// Uploaded STT audio
// ---------------------------------------------------------------------------------------------------------------

/// The audio type a speech-to-text request declares in its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclaredAudio {
    /// `audio/wav; codecs=audio/pcm; samplerate=16000` (and its tolerated variants).
    WavPcm,
    /// `audio/ogg; codecs=opus`.
    OggOpus,
}

impl DeclaredAudio {
    /// Read a `Content-Type` value. Accepts the documented values and the variants seen in the wild (spec §2.3):
    /// `audio/wav` alone, `audio/x-wav`/`audio/wave`, the singular `codec=`, quoted values, any case and spacing.
    /// `None` for anything else, including a WAV type that names a codec other than PCM.
    pub fn from_content_type(ct: &str) -> Option<DeclaredAudio> {
        let mut parts = ct.split(';');
        let media = unquote(parts.next()?.trim()).to_ascii_lowercase();
        let mut codec: Option<String> = None;
        for param in parts {
            let param = param.trim();
            if param.is_empty() {
                continue;
            }
            let (key, value) = param.split_once('=')?;
            let key = key.trim().to_ascii_lowercase();
            let value = unquote(value.trim()).trim().to_ascii_lowercase();
            if key == "codecs" || key == "codec" {
                codec = Some(value);
            }
        }
        match media.as_str() {
            "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => match codec.as_deref()
            {
                None | Some("audio/pcm") | Some("pcm") => Some(DeclaredAudio::WavPcm),
                Some(_) => None,
            },
            "audio/ogg" => match codec.as_deref() {
                None | Some("opus") | Some("audio/opus") => Some(DeclaredAudio::OggOpus),
                Some(_) => None,
            },
            _ => None,
        }
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(s)
}

/// What the service would make of an uploaded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upload {
    /// The declared codec, decoded to 16 kHz mono 16-bit PCM.
    Audio(Pcm),
    /// Real audio, but not what was declared or not 16 kHz mono 16-bit PCM: the service would hear noise or
    /// silence (and answer `InitialSilenceTimeout`/`NoMatch`). `reason` says exactly what is wrong.
    Misheard {
        /// E.g. "WAV audio is not what the service expects (16000 Hz, mono, 16-bit PCM): sample rate 44100 Hz
        /// (expected 16000 Hz); 2 channels (expected 1)".
        reason: String,
    },
}

/// Why an uploaded body is not audio at all (the service answers `Unsupported audio format`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// What the body is instead, or what is broken in its header.
    Unsupported(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(what) => write!(f, "unsupported audio format: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The rate every decoded upload has.
pub const UPLOAD_SAMPLE_RATE: u32 = 16_000;
/// Decoding of compressed (Opus) uploads stops after this many seconds of audio, far past the service's 60 s.
pub const MAX_DECODED_SECONDS: u32 = 600;

/// Decode an uploaded body that was declared as `declared`.
///
/// Never panics; memory use is bounded by the body size (WAV) or by [`MAX_DECODED_SECONDS`] (Opus).
pub fn decode_upload(declared: DeclaredAudio, body: &[u8]) -> Result<Upload, DecodeError> {
    match (declared, sniff(body)) {
        (DeclaredAudio::WavPcm, Sniffed::Riff) => decode_wav(body),
        (DeclaredAudio::WavPcm, Sniffed::Ogg) => Ok(Upload::Misheard {
            reason: format!(
                "the body is an Ogg stream ({}), but Content-Type declares WAV/PCM",
                ogg_codec_name(body)
            ),
        }),
        (DeclaredAudio::OggOpus, Sniffed::Ogg) => decode_ogg_opus(body),
        (DeclaredAudio::OggOpus, Sniffed::Riff) => {
            // Only call it misheard audio if it really is a WAV file; other RIFF types are not audio at all.
            parse_wav(body)?;
            Ok(Upload::Misheard {
                reason: "the body is a WAV file, but Content-Type declares Ogg/Opus".into(),
            })
        }
        (_, Sniffed::Other(what)) => Err(DecodeError::Unsupported(what)),
    }
}

enum Sniffed {
    Riff,
    Ogg,
    Other(String),
}

fn sniff(body: &[u8]) -> Sniffed {
    if body.starts_with(b"RIFF") || body.starts_with(b"RF64") {
        return Sniffed::Riff;
    }
    if body.starts_with(b"OggS") {
        return Sniffed::Ogg;
    }
    Sniffed::Other(describe_non_audio(body))
}

/// Say what a body that is neither RIFF nor Ogg looks like.
fn describe_non_audio(body: &[u8]) -> String {
    if body.is_empty() {
        return "the body is empty (no audio was sent)".into();
    }
    for magic in [&b"RIFF"[..], b"RF64", b"OggS"] {
        if body.len() < magic.len() && magic.starts_with(body) {
            return format!(
                "the body is {} bytes, too short for an audio header",
                body.len()
            );
        }
    }
    // Text: valid UTF-8 without control characters other than whitespace.
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|t| !t.chars().any(|c| c.is_control() && !c.is_whitespace()));
    let trimmed = text.map(str::trim_start);
    if let Some(t) = trimmed {
        if t.starts_with('{') || t.starts_with('[') {
            return "the body is JSON text, not raw audio bytes (send the WAV/Ogg file itself)"
                .into();
        }
        // Base64 bodies may be wrapped into lines, but never contain spaces.
        let compact: Vec<u8> = t
            .trim_end()
            .bytes()
            .filter(|b| !matches!(b, b'\r' | b'\n'))
            .collect();
        if compact.len() >= 8
            && compact
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        {
            let hint = if compact.starts_with(b"UklGR") {
                " (it decodes to a RIFF header)"
            } else if compact.starts_with(b"T2dnU") {
                " (it decodes to an Ogg header)"
            } else {
                ""
            };
            return format!(
                "the body is base64 text{hint}, not raw audio bytes (send the decoded bytes)"
            );
        }
    }
    if body.starts_with(b"ID3") || (body.len() >= 2 && body[0] == 0xFF && body[1] & 0xE0 == 0xE0) {
        return "the body is MP3 audio; the service accepts only WAV/PCM and Ogg/Opus".into();
    }
    if body.starts_with(b"fLaC") {
        return "the body is FLAC audio; the service accepts only WAV/PCM and Ogg/Opus".into();
    }
    if body.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return "the body is a WebM/Matroska file; the service accepts only WAV/PCM and Ogg/Opus"
            .into();
    }
    if body.len() >= 8 && &body[4..8] == b"ftyp" {
        return "the body is an MP4/M4A file; the service accepts only WAV/PCM and Ogg/Opus".into();
    }
    if text.is_some() {
        return "the body is text, not audio".into();
    }
    let head: Vec<String> = body.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!(
        "the body starts with bytes {} and is neither a WAV file nor an Ogg stream",
        head.join(" ")
    )
}

/// The `fmt ` chunk of a WAV file (format tag already resolved through WAVE_FORMAT_EXTENSIBLE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WavFormat {
    tag: u16,
    channels: u16,
    sample_rate: u32,
    bits_per_sample: u16,
}

struct ParsedWav<'a> {
    format: WavFormat,
    data: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn printable_id(id: &[u8]) -> String {
    id.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// The tail of the KSDATAFORMAT_SUBTYPE_* GUIDs after the two format-tag bytes.
const KSDATAFORMAT_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

fn parse_wav(body: &[u8]) -> Result<ParsedWav<'_>, DecodeError> {
    let bad = |what: String| Err(DecodeError::Unsupported(what));
    if body.len() < 12 {
        return bad(format!("truncated WAV header: only {} bytes", body.len()));
    }
    if &body[8..12] != b"WAVE" {
        return bad(format!(
            "the body is a RIFF file of type '{}', not WAVE",
            printable_id(&body[8..12])
        ));
    }
    let mut format: Option<WavFormat> = None;
    let mut pos = 12usize;
    loop {
        let Some(header) = body.get(pos..pos + 8) else {
            return bad(match format {
                None => "truncated WAV header: no 'fmt ' chunk".into(),
                Some(_) => "truncated WAV header: no 'data' chunk".into(),
            });
        };
        let id = &header[..4];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if !id.iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
            return bad(format!(
                "garbled WAV header: chunk id bytes {:02x} {:02x} {:02x} {:02x} at offset {pos}",
                id[0], id[1], id[2], id[3]
            ));
        }
        let content = pos + 8;
        let remaining = body.len() - content;
        match id {
            b"fmt " => {
                if size < 16 {
                    return bad(format!(
                        "garbled WAV header: 'fmt ' chunk of {size} bytes (at least 16 needed)"
                    ));
                }
                if (size as usize) > remaining {
                    return bad(format!(
                        "truncated WAV header: 'fmt ' chunk declares {size} bytes, {remaining} present"
                    ));
                }
                let f = &body[content..content + size as usize];
                let mut tag = u16_at(f, 0).unwrap_or(0);
                let channels = u16_at(f, 2).unwrap_or(0);
                let sample_rate = u32_at(f, 4).unwrap_or(0);
                let bits_per_sample = u16_at(f, 14).unwrap_or(0);
                if tag == 0xFFFE {
                    // WAVE_FORMAT_EXTENSIBLE: cbSize, valid bits, channel mask, then the sub-format GUID.
                    match f.get(24..40) {
                        Some(guid) if guid[2..] == KSDATAFORMAT_TAIL => tag = u16::from_le_bytes([guid[0], guid[1]]),
                        Some(_) => tag = 0xFFFE,
                        None => {
                            return bad(format!(
                                "garbled WAV header: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk of {size} bytes (40 needed)"
                            ))
                        }
                    }
                }
                if channels == 0 {
                    return bad("garbled WAV header: 0 channels".into());
                }
                format = Some(WavFormat {
                    tag,
                    channels,
                    sample_rate,
                    bits_per_sample,
                });
            }
            b"data" => {
                let Some(format) = format else {
                    return bad("garbled WAV header: 'data' chunk before the 'fmt ' chunk".into());
                };
                // 0 and 0xFFFFFFFF are what streaming writers put before they know the length: the data runs to
                // the end of the body. A shorter body than declared is a cut stream: take what is there.
                let len = match size {
                    0 | u32::MAX => remaining,
                    n => (n as usize).min(remaining),
                };
                return Ok(ParsedWav {
                    format,
                    data: &body[content..content + len],
                });
            }
            _ => {
                let skip = size as usize + (size as usize & 1);
                if skip > remaining {
                    return bad(format!(
                        "truncated WAV header: chunk '{}' declares {size} bytes, {remaining} present before any data",
                        printable_id(id)
                    ));
                }
            }
        }
        pos = content + size as usize + (size as usize & 1);
    }
}

fn format_tag_name(tag: u16) -> String {
    match tag {
        1 => "PCM".into(),
        2 => "Microsoft ADPCM".into(),
        3 => "IEEE float".into(),
        6 => "A-law".into(),
        7 => "µ-law".into(),
        0x11 => "IMA ADPCM".into(),
        0x55 => "MP3".into(),
        0xFFFE => "an unknown WAVE_FORMAT_EXTENSIBLE sub-format".into(),
        other => format!("format tag 0x{other:04x}"),
    }
}

fn decode_wav(body: &[u8]) -> Result<Upload, DecodeError> {
    let wav = parse_wav(body)?;
    let f = wav.format;
    let mut problems = Vec::new();
    if f.tag != 1 {
        problems.push(format!(
            "encoding {} (expected PCM)",
            format_tag_name(f.tag)
        ));
    }
    if f.sample_rate != UPLOAD_SAMPLE_RATE {
        problems.push(format!(
            "sample rate {} Hz (expected 16000 Hz)",
            f.sample_rate
        ));
    }
    if f.channels != 1 {
        problems.push(format!("{} channels (expected 1, mono)", f.channels));
    }
    if f.bits_per_sample != 16 {
        problems.push(format!(
            "{} bits per sample (expected 16)",
            f.bits_per_sample
        ));
    }
    if !problems.is_empty() {
        return Ok(Upload::Misheard {
            reason: format!(
                "WAV audio is not what the service expects (16000 Hz, mono, 16-bit PCM): {}",
                problems.join("; ")
            ),
        });
    }
    let samples = wav
        .data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    Ok(Upload::Audio(Pcm {
        sample_rate: UPLOAD_SAMPLE_RATE,
        samples,
    }))
}

/// One logical Ogg stream's packets, with the granule position of the page where each packet ends.
struct OggPackets {
    packets: Vec<(Vec<u8>, u64)>,
}

/// Read the pages of the first logical stream. Fails only when not even one valid page is present; a cut or
/// garbled tail ends the stream (the service decodes what arrived).
fn read_ogg(body: &[u8]) -> Result<OggPackets, DecodeError> {
    let mut packets = Vec::new();
    let mut partial: Vec<u8> = Vec::new();
    let mut serial: Option<u32> = None;
    let mut pos = 0usize;
    let mut pages = 0usize;
    while let Some(header) = body.get(pos..pos + 27) {
        if &header[..4] != b"OggS" || header[4] != 0 {
            break;
        }
        let flags = header[5];
        let granule = u64::from_le_bytes(header[6..14].try_into().unwrap_or([0; 8]));
        let page_serial = u32::from_le_bytes(header[14..18].try_into().unwrap_or([0; 4]));
        let stored_crc = u32::from_le_bytes(header[22..26].try_into().unwrap_or([0; 4]));
        let nsegs = usize::from(header[26]);
        let Some(lacing) = body.get(pos + 27..pos + 27 + nsegs) else {
            break;
        };
        let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let page_end = pos + 27 + nsegs + body_len;
        let Some(page) = body.get(pos..page_end) else {
            break;
        };
        let mut check = page.to_vec();
        check[22..26].fill(0);
        if ogg_crc(&check) != stored_crc {
            break;
        }
        pages += 1;
        let ours = *serial.get_or_insert(page_serial) == page_serial;
        if ours {
            if flags & 0x01 == 0 {
                partial.clear(); // a packet left open by the previous page was lost
            }
            let mut at = pos + 27 + nsegs;
            for &l in lacing {
                let l = usize::from(l);
                partial.extend_from_slice(&body[at..at + l]);
                at += l;
                if l < 255 {
                    packets.push((std::mem::take(&mut partial), granule));
                }
            }
        }
        pos = page_end;
    }
    if pages == 0 {
        return Err(DecodeError::Unsupported(
            "truncated or garbled Ogg header: no complete page with a valid checksum".into(),
        ));
    }
    Ok(OggPackets { packets })
}

fn identify_ogg_codec(first_packet: &[u8]) -> &'static str {
    if first_packet.starts_with(b"OpusHead") {
        "Opus"
    } else if first_packet.starts_with(b"\x01vorbis") {
        "Vorbis"
    } else if first_packet.starts_with(b"\x7fFLAC") {
        "FLAC"
    } else if first_packet.starts_with(b"Speex   ") {
        "Speex"
    } else {
        "an unknown codec"
    }
}

/// The codec name of an Ogg body, for messages ("Ogg/Opus", "Ogg/Vorbis", …).
fn ogg_codec_name(body: &[u8]) -> String {
    match read_ogg(body) {
        Ok(ogg) => match ogg.packets.first() {
            Some((first, _)) => format!("Ogg/{}", identify_ogg_codec(first)),
            None => "Ogg".into(),
        },
        Err(_) => "Ogg".into(),
    }
}

fn decode_ogg_opus(body: &[u8]) -> Result<Upload, DecodeError> {
    let ogg = read_ogg(body)?;
    let mut packets = ogg.packets.iter();
    let Some((head, _)) = packets.next() else {
        return Err(DecodeError::Unsupported(
            "truncated Ogg stream: the first packet (the codec header) is incomplete".into(),
        ));
    };
    let codec = identify_ogg_codec(head);
    if codec != "Opus" {
        return Ok(Upload::Misheard {
            reason: format!("the Ogg stream carries {codec}, not Opus as Content-Type declares"),
        });
    }
    if head.len() < 19 {
        return Err(DecodeError::Unsupported(format!(
            "garbled OpusHead: {} bytes (at least 19 needed)",
            head.len()
        )));
    }
    let version = head[8];
    let channels = head[9];
    let pre_skip = u64::from(u16::from_le_bytes([head[10], head[11]]));
    let family = head[18];
    if version & 0xF0 != 0 {
        return Err(DecodeError::Unsupported(format!(
            "OpusHead version {version} is not supported"
        )));
    }
    if channels == 0 {
        return Err(DecodeError::Unsupported(
            "garbled OpusHead: 0 channels".into(),
        ));
    }
    if family != 0 || channels > 2 {
        return Ok(Upload::Misheard {
            reason: format!(
                "Opus stream with channel mapping family {family} and {channels} channels (expected mono)"
            ),
        });
    }
    let mut decoder = opus::Decoder::new(UPLOAD_SAMPLE_RATE, opus::Channels::Mono)
        .map_err(|e| DecodeError::Unsupported(format!("Opus decoder: {e}")))?;
    let cap = (UPLOAD_SAMPLE_RATE as usize * MAX_DECODED_SECONDS as usize)
        .min(body.len().saturating_mul(1920));
    let mut samples: Vec<i16> = Vec::new();
    let mut frame = vec![0i16; 5760];
    let mut last_granule: Option<u64> = None;
    for (index, (packet, granule)) in packets.enumerate() {
        if index == 0 && packet.starts_with(b"OpusTags") {
            continue;
        }
        if packet.is_empty() {
            continue;
        }
        // A packet the decoder rejects is skipped, as a lost packet would be.
        if let Ok(n) = decoder.decode(packet, &mut frame, false) {
            let room = cap.saturating_sub(samples.len());
            samples.extend_from_slice(&frame[..n.min(room).min(frame.len())]);
        }
        if *granule != u64::MAX {
            last_granule = Some(*granule);
        }
        if samples.len() >= cap {
            break;
        }
    }
    // Pre-skip and the end granule are counted at 48 kHz.
    let skip = usize::try_from(pre_skip.div_ceil(3)).unwrap_or(usize::MAX);
    if let Some(end) = last_granule.filter(|g| *g >= pre_skip) {
        let keep = usize::try_from((end - pre_skip) / 3).unwrap_or(usize::MAX);
        samples.truncate(skip.saturating_add(keep));
    }
    samples.drain(..skip.min(samples.len()));
    Ok(Upload::Audio(Pcm {
        sample_rate: UPLOAD_SAMPLE_RATE,
        samples,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sine(rate: u32, freq: f64, secs: f64, amp: f64) -> Pcm {
        let n = (f64::from(rate) * secs) as usize;
        Pcm {
            sample_rate: rate,
            samples: (0..n)
                .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as i16)
                .collect(),
        }
    }

    fn rms(s: &[i16]) -> f64 {
        if s.is_empty() {
            return 0.0;
        }
        (s.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / s.len() as f64).sqrt()
    }

    /// Frequency estimate from upward zero crossings, ignoring the edges.
    fn frequency(pcm: &Pcm) -> f64 {
        let s = &pcm.samples;
        let margin = s.len() / 10;
        let body = &s[margin..s.len() - margin];
        let crossings: Vec<usize> = (1..body.len())
            .filter(|&i| body[i - 1] < 0 && body[i] >= 0)
            .collect();
        let first = crossings[0];
        let last = crossings[crossings.len() - 1];
        (crossings.len() - 1) as f64 * f64::from(pcm.sample_rate) / (last - first) as f64
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

    // --- PCM / RIFF ---------------------------------------------------------------------------------------------

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

    #[test]
    fn riff_alaw_and_mulaw_headers() {
        let pcm = sine(8_000, 300.0, 0.25, 12_000.0);
        for (name, tag, law) in [
            (
                "riff-8khz-8bit-mono-alaw",
                6u16,
                linear_to_alaw as fn(i16) -> u8,
            ),
            ("riff-8khz-8bit-mono-mulaw", 7, linear_to_ulaw),
        ] {
            let bytes = encode(output_format(name).expect("known"), &pcm).expect("encodes");
            assert_eq!(&bytes[..4], b"RIFF");
            assert_eq!(u32_at(&bytes, 4), Some(36 + 2000));
            assert_eq!(&bytes[8..16], b"WAVEfmt ");
            assert_eq!(u32_at(&bytes, 16), Some(16));
            assert_eq!(u16_at(&bytes, 20), Some(tag));
            assert_eq!(u16_at(&bytes, 22), Some(1));
            assert_eq!(u32_at(&bytes, 24), Some(8000));
            assert_eq!(u32_at(&bytes, 28), Some(8000)); // byte rate
            assert_eq!(u16_at(&bytes, 32), Some(1)); // block align
            assert_eq!(u16_at(&bytes, 34), Some(8));
            assert_eq!(&bytes[36..40], b"data");
            assert_eq!(u32_at(&bytes, 40), Some(2000));
            let expected: Vec<u8> = pcm.samples.iter().map(|&s| law(s)).collect();
            assert_eq!(&bytes[44..], &expected[..]);
            // Our own upload parser reads the header and names the encoding.
            match decode_upload(DeclaredAudio::WavPcm, &bytes).expect("is a WAV") {
                Upload::Misheard { reason } => {
                    assert!(
                        reason.contains(if tag == 6 { "A-law" } else { "µ-law" }),
                        "{reason}"
                    );
                    assert!(
                        reason.contains("8000 Hz") && reason.contains("8 bits"),
                        "{reason}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    // --- G.711 --------------------------------------------------------------------------------------------------

    #[test]
    fn g711_known_values() {
        // Values of the ITU-T G.711 / Sun reference implementation.
        let alaw = [
            (0i16, 0xD5u8),
            (-1, 0x55),
            (15, 0xD5),
            (16, 0xD4),
            (-16, 0x55),
            (-17, 0x54),
            (1000, 0xFA),
            (-1000, 0x7A),
            (32767, 0xAA),
            (-32768, 0x2A),
        ];
        for (x, code) in alaw {
            assert_eq!(linear_to_alaw(x), code, "A-law of {x}");
        }
        let ulaw = [
            (0i16, 0xFFu8),
            (-1, 0x7E),
            (-5, 0x7E),
            (4, 0xFE),
            (1000, 0xCE),
            (-1000, 0x4E),
            (32767, 0x80),
            (-32768, 0x00),
        ];
        for (x, code) in ulaw {
            assert_eq!(linear_to_ulaw(x), code, "µ-law of {x}");
        }
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
    }

    fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
        bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    #[test]
    fn g711_matches_the_reference_on_every_input() {
        // FNV-1a digests of CPython's audioop (an independent G.711 implementation) over every 16-bit input:
        // lin2alaw / lin2ulaw of -32768..=32767, and alaw2lin / ulaw2lin (little-endian) of every code.
        let all = i16::MIN..=i16::MAX;
        assert_eq!(
            fnv1a(all.clone().map(linear_to_alaw)),
            0xf030_666e_b780_cf25
        );
        assert_eq!(fnv1a(all.map(linear_to_ulaw)), 0xd5ee_23f7_d0ff_ae91);
        assert_eq!(
            fnv1a((0..=255u8).flat_map(|c| alaw_to_linear(c).to_le_bytes())),
            0x693a_40ca_62a3_d2a5
        );
        assert_eq!(
            fnv1a((0..=255u8).flat_map(|c| ulaw_to_linear(c).to_le_bytes())),
            0xb91e_65d6_8481_a1a8
        );
    }

    #[test]
    fn g711_round_trips_every_code() {
        // Decoding then re-encoding is the identity on every code (except µ-law's negative zero 0x7F -> 0).
        for code in 0..=255u8 {
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
            if code != 0x7F {
                assert_eq!(
                    linear_to_ulaw(ulaw_to_linear(code)),
                    code,
                    "µ-law {code:#04x}"
                );
            }
        }
        // And the quantization error is within half a step of the segment.
        for x in (i16::MIN..=i16::MAX).step_by(7) {
            let a = i32::from(alaw_to_linear(linear_to_alaw(x)));
            let u = i32::from(ulaw_to_linear(linear_to_ulaw(x)));
            let x = i32::from(x);
            assert!((a - x).abs() <= 1024.max(x.abs() / 16), "A-law {x} -> {a}");
            assert!((u - x).abs() <= 1024.max(x.abs() / 16), "µ-law {x} -> {u}");
        }
    }

    // --- resampler ----------------------------------------------------------------------------------------------

    #[test]
    fn resampler_keeps_frequency_and_level() {
        for (from, to) in [
            (24_000, 16_000),
            (24_000, 48_000),
            (24_000, 8_000),
            (24_000, 44_100),
            (24_000, 22_050),
            (16_000, 24_000),
            (48_000, 16_000),
            (44_100, 16_000),
            (22_050, 24_000),
        ] {
            let input = sine(from, 1000.0, 0.5, 12_000.0);
            let out = resample(&input, to);
            assert_eq!(out.sample_rate, to);
            assert_eq!(
                out.samples.len(),
                (input.samples.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize
            );
            let f = frequency(&out);
            assert!((f - 1000.0).abs() < 2.0, "{from}->{to}: {f} Hz");
            let margin = out.samples.len() / 10;
            let level = rms(&out.samples[margin..out.samples.len() - margin]) / rms(&input.samples);
            assert!((level - 1.0).abs() < 0.03, "{from}->{to}: level {level}");
        }
    }

    #[test]
    fn resampler_removes_what_the_target_rate_cannot_carry() {
        // 7 kHz cannot exist at 8 kHz (Nyquist 4 kHz): a naive decimator would alias it to 1 kHz.
        let input = sine(24_000, 7000.0, 0.5, 12_000.0);
        let out = resample(&input, 8_000);
        let margin = out.samples.len() / 10;
        let level = rms(&out.samples[margin..out.samples.len() - margin]) / rms(&input.samples);
        assert!(level < 0.01, "aliased level {level}");
    }

    #[test]
    fn resampler_edge_cases() {
        let pcm = sine(16_000, 500.0, 0.01, 1000.0);
        assert_eq!(resample(&pcm, 16_000), pcm);
        assert!(resample(&pcm, 0).samples.is_empty());
        let empty = Pcm {
            sample_rate: 16_000,
            samples: vec![],
        };
        assert_eq!(
            resample(&empty, 48_000),
            Pcm {
                sample_rate: 48_000,
                samples: vec![]
            }
        );
        let zero_rate = Pcm {
            sample_rate: 0,
            samples: vec![1, 2, 3],
        };
        assert!(resample(&zero_rate, 16_000).samples.is_empty());
        // A ratio with many phases (computed per sample instead of tabulated) still works.
        let odd = resample(&sine(44_101, 1000.0, 0.2, 12_000.0), 16_000);
        assert!((frequency(&odd) - 1000.0).abs() < 3.0);
        // Full-scale square waves clip instead of wrapping around.
        let square = Pcm {
            sample_rate: 8_000,
            samples: (0..800)
                .map(|i| if i % 40 < 20 { i16::MAX } else { i16::MIN })
                .collect(),
        };
        let up = resample(&square, 48_000);
        assert!(up.samples.contains(&i16::MAX) && up.samples.contains(&i16::MIN));
    }

    // --- MP3 ----------------------------------------------------------------------------------------------------

    /// Walk MPEG audio frames from the start to the end of `bytes`; return (version-specific rate, kbps, frames).
    #[cfg(feature = "mp3")]
    fn walk_mp3(bytes: &[u8]) -> (u32, u32, usize) {
        const BITRATES_V1: [u32; 16] = [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0,
        ];
        const BITRATES_V2: [u32; 16] = [
            0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0,
        ];
        let mut pos = 0;
        let mut frames = 0;
        let mut seen = None;
        while pos < bytes.len() {
            let h = &bytes[pos..pos + 4];
            assert_eq!(h[0], 0xFF, "frame sync at {pos}");
            assert_eq!(h[1] & 0xE0, 0xE0, "frame sync at {pos}");
            let version = (h[1] >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
            assert_eq!((h[1] >> 1) & 0x03, 0x01, "layer III");
            let bitrate_index = usize::from(h[2] >> 4);
            let rate_index = usize::from((h[2] >> 2) & 0x03);
            let padding = usize::from((h[2] >> 1) & 0x01);
            let channel_mode = h[3] >> 6;
            assert_eq!(channel_mode, 3, "mono");
            let (kbps, rate) = match version {
                3 => (
                    BITRATES_V1[bitrate_index],
                    [44_100, 48_000, 32_000][rate_index],
                ),
                2 => (
                    BITRATES_V2[bitrate_index],
                    [22_050, 24_000, 16_000][rate_index],
                ),
                0 => (
                    BITRATES_V2[bitrate_index],
                    [11_025, 12_000, 8_000][rate_index],
                ),
                _ => panic!("reserved version"),
            };
            let len = if version == 3 {
                144 * kbps * 1000 / rate
            } else {
                72 * kbps * 1000 / rate
            } as usize
                + padding;
            if let Some(previous) = seen {
                assert_eq!(previous, (rate, kbps), "constant rate and bit rate");
            }
            seen = Some((rate, kbps));
            pos += len;
            frames += 1;
        }
        assert_eq!(pos, bytes.len(), "frames end exactly at the end");
        let (rate, kbps) = seen.expect("at least one frame");
        (rate, kbps, frames)
    }

    #[test]
    #[cfg(feature = "mp3")]
    fn mp3_frames_have_the_named_rate_and_bitrate() {
        let pcm = sine(24_000, 440.0, 1.0, 10_000.0);
        for f in output_formats()
            .iter()
            .filter(|f| f.container == Container::Mp3)
        {
            let bytes = encode(f, &pcm).expect("encodes");
            let (rate, kbps, frames) = walk_mp3(&bytes);
            assert_eq!(rate, f.sample_rate, "{}", f.name);
            assert_eq!(Some(kbps), f.bitrate_kbps, "{}", f.name);
            let per_frame = if rate >= 32_000 { 1152 } else { 576 };
            let duration = (frames * per_frame) as f64 / f64::from(rate);
            assert!((1.0..1.3).contains(&duration), "{}: {duration} s", f.name);
        }
    }

    // --- Ogg/Opus -----------------------------------------------------------------------------------------------

    #[test]
    fn ogg_crc_matches_the_reference_check_value() {
        // CRC-32/MPEG-2 without the final inversion and with init 0 ("CRC-32/OGG"): check value of "123456789".
        assert_eq!(ogg_crc(b"123456789"), 0x89A1_897F);
    }

    #[test]
    fn ogg_opus_is_read_by_an_independent_ogg_reader() {
        let pcm = sine(24_000, 440.0, 2.0, 10_000.0);
        for f in output_formats()
            .iter()
            .filter(|f| f.container == Container::Ogg)
        {
            let bytes = encode(f, &pcm).expect("encodes");
            let mut reader = ogg::PacketReader::new(std::io::Cursor::new(&bytes));
            let head = reader.read_packet_expected().expect("head");
            assert!(
                head.data.starts_with(b"OpusHead") && head.first_in_stream() && head.last_in_page()
            );
            assert_eq!(head.data[9], 1, "mono");
            assert_eq!(u32_at(&head.data, 12), Some(f.sample_rate));
            let tags = reader.read_packet_expected().expect("tags");
            assert!(tags.data.starts_with(b"OpusTags") && tags.last_in_page());
            let mut decoder = opus::Decoder::new(48_000, opus::Channels::Mono).expect("decoder");
            let mut out = vec![0i16; 5760];
            let mut decoded = Vec::new();
            let mut last = None;
            while let Some(p) = reader.read_packet().expect("valid pages") {
                let n = decoder
                    .decode(&p.data, &mut out, false)
                    .expect("valid Opus");
                decoded.extend_from_slice(&out[..n]);
                last = Some(p);
            }
            let last = last.expect("audio packets");
            assert!(last.last_in_stream());
            let pre_skip = u64::from(u16_at(&head.data, 10).expect("pre-skip"));
            assert_eq!(
                last.absgp_page(),
                pre_skip + 96_000,
                "{}: 2 s at 48 kHz after the pre-skip",
                f.name
            );
            let audio = Pcm {
                sample_rate: 48_000,
                samples: decoded[pre_skip as usize..].to_vec(),
            };
            assert!((frequency(&audio) - 440.0).abs() < 2.0, "{}", f.name);
        }
    }

    #[test]
    fn ogg_opus_round_trips_through_decode_upload() {
        let pcm = sine(16_000, 600.0, 1.5, 10_000.0);
        let bytes = encode(
            output_format("ogg-16khz-16bit-mono-opus").expect("known"),
            &pcm,
        )
        .expect("encodes");
        match decode_upload(DeclaredAudio::OggOpus, &bytes).expect("decodes") {
            Upload::Audio(audio) => {
                assert_eq!(audio.sample_rate, 16_000);
                assert_eq!(audio.samples.len(), 24_000, "trimmed to the end granule");
                assert!((frequency(&audio) - 600.0).abs() < 2.0);
                let level = rms(&audio.samples[1600..22_400]) / rms(&pcm.samples);
                assert!((0.8..1.2).contains(&level), "level {level}");
            }
            other => panic!("{other:?}"),
        }
        // Labelled WAV, the same bytes are misheard.
        match decode_upload(DeclaredAudio::WavPcm, &bytes).expect("is audio") {
            Upload::Misheard { reason } => assert!(
                reason.contains("Ogg/Opus") && reason.contains("WAV"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
    }

    // --- uploads ------------------------------------------------------------------------------------------------

    fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        let align = channels * bits / 8;
        out.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        out.extend_from_slice(&align.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    fn le(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    fn audio(upload: Result<Upload, DecodeError>) -> Pcm {
        match upload {
            Ok(Upload::Audio(pcm)) => pcm,
            other => panic!("expected audio, got {other:?}"),
        }
    }

    fn misheard(upload: Result<Upload, DecodeError>) -> String {
        match upload {
            Ok(Upload::Misheard { reason }) => reason,
            other => panic!("expected misheard, got {other:?}"),
        }
    }

    fn unsupported(upload: Result<Upload, DecodeError>) -> String {
        match upload {
            Err(DecodeError::Unsupported(why)) => why,
            other => panic!("expected unsupported, got {other:?}"),
        }
    }

    const SAMPLES: [i16; 6] = [0, 1000, -1000, i16::MAX, i16::MIN, 7];

    #[test]
    fn content_types() {
        use DeclaredAudio::*;
        for (ct, expected) in [
            (
                "audio/wav; codecs=audio/pcm; samplerate=16000",
                Some(WavPcm),
            ),
            ("audio/wav; codec=audio/pcm; samplerate=16000", Some(WavPcm)),
            (
                "audio/wav; codec=\"audio/pcm\"; samplerate=16000",
                Some(WavPcm),
            ),
            ("Audio/WAV;CODECS=Audio/PCM;SampleRate=16000", Some(WavPcm)),
            (
                "  audio/wav  ;  codecs = audio/pcm ;samplerate = 16000 ; ",
                Some(WavPcm),
            ),
            ("audio/wav", Some(WavPcm)),
            ("audio/x-wav", Some(WavPcm)),
            ("\"audio/wav\"", Some(WavPcm)),
            ("audio/ogg; codecs=opus", Some(OggOpus)),
            ("audio/ogg;codecs=\"opus\"", Some(OggOpus)),
            ("AUDIO/OGG", Some(OggOpus)),
            ("audio/wav; codecs=audio/mp3", None),
            ("audio/ogg; codecs=vorbis", None),
            ("audio/mpeg", None),
            ("application/json", None),
            ("audio/wav; garbage", None),
            ("", None),
        ] {
            assert_eq!(DeclaredAudio::from_content_type(ct), expected, "{ct:?}");
        }
    }

    #[test]
    fn good_wav() {
        let body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let pcm = audio(decode_upload(DeclaredAudio::WavPcm, &body));
        assert_eq!(
            pcm,
            Pcm {
                sample_rate: 16_000,
                samples: SAMPLES.to_vec()
            }
        );
    }

    #[test]
    fn extensible_wav_with_list_chunk_and_odd_padding() {
        let mut body = Vec::new();
        body.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        // An odd-sized LIST chunk (padded to even) before fmt.
        body.extend_from_slice(b"LIST");
        body.extend_from_slice(&5u32.to_le_bytes());
        body.extend_from_slice(b"INFO!\0");
        body.extend_from_slice(b"fmt ");
        body.extend_from_slice(&40u32.to_le_bytes());
        body.extend_from_slice(&0xFFFEu16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&16_000u32.to_le_bytes());
        body.extend_from_slice(&32_000u32.to_le_bytes());
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend_from_slice(&16u16.to_le_bytes());
        body.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        body.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        body.extend_from_slice(&4u32.to_le_bytes()); // channel mask
        body.extend_from_slice(&1u16.to_le_bytes()); // KSDATAFORMAT_SUBTYPE_PCM
        body.extend_from_slice(&KSDATAFORMAT_TAIL);
        body.extend_from_slice(b"fact");
        body.extend_from_slice(&4u32.to_le_bytes());
        body.extend_from_slice(&6u32.to_le_bytes());
        body.extend_from_slice(b"data");
        body.extend_from_slice(&12u32.to_le_bytes());
        body.extend_from_slice(&le(&SAMPLES));
        body.extend_from_slice(b"LIST\x04\0\0\0junk"); // chunks after data are ignored
        let pcm = audio(decode_upload(DeclaredAudio::WavPcm, &body));
        assert_eq!(pcm.samples, SAMPLES);

        // The same with an IEEE-float sub-format is misheard.
        let float_at = body.len() - 12 - 8 - 12 - 16 - 12;
        let mut float = body.clone();
        float[float_at] = 3;
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &float));
        assert!(reason.contains("IEEE float"), "{reason}");
    }

    #[test]
    fn streaming_data_sizes_run_to_the_end() {
        for declared in [0u32, u32::MAX] {
            let mut body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
            body[4..8].copy_from_slice(&declared.to_le_bytes());
            body[40..44].copy_from_slice(&declared.to_le_bytes());
            assert_eq!(
                audio(decode_upload(DeclaredAudio::WavPcm, &body)).samples,
                SAMPLES
            );
        }
        // Longer than what arrived: take what is there (an odd trailing byte is dropped).
        let mut body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        body[40..44].copy_from_slice(&1_000_000u32.to_le_bytes());
        body.pop();
        assert_eq!(
            audio(decode_upload(DeclaredAudio::WavPcm, &body)).samples,
            SAMPLES[..5]
        );
        // Shorter than what arrived: only the declared data.
        let mut body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        body[40..44].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(
            audio(decode_upload(DeclaredAudio::WavPcm, &body)).samples,
            SAMPLES[..2]
        );
    }

    #[test]
    fn wrong_wav_formats_are_misheard_with_every_problem_named() {
        let stereo = wav(1, 2, 44_100, 16, &[0; 400]);
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &stereo));
        assert!(reason.contains("sample rate 44100 Hz"), "{reason}");
        assert!(reason.contains("2 channels"), "{reason}");
        assert!(!reason.contains("bits"), "{reason}");
        let eight_bit = wav(1, 1, 16_000, 8, &[128; 100]);
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &eight_bit));
        assert!(
            reason.contains("8 bits per sample") && !reason.contains("sample rate"),
            "{reason}"
        );
        let mulaw = wav(7, 1, 8_000, 8, &[0xFF; 100]);
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &mulaw));
        assert!(
            reason.contains("µ-law") && reason.contains("8000 Hz"),
            "{reason}"
        );
    }

    #[test]
    fn wav_labelled_ogg_is_misheard() {
        let body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let reason = misheard(decode_upload(DeclaredAudio::OggOpus, &body));
        assert!(
            reason.contains("WAV") && reason.contains("Ogg/Opus"),
            "{reason}"
        );
    }

    #[test]
    fn non_audio_is_unsupported() {
        let good = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let b64 = {
            // Minimal base64 encoder for the test body.
            const A: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = String::new();
            for c in good.chunks(3) {
                let n = (u32::from(c[0]) << 16)
                    | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                    | u32::from(*c.get(2).unwrap_or(&0));
                for i in 0..4 {
                    if i <= c.len() {
                        s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                    } else {
                        s.push('=');
                    }
                }
            }
            s
        };
        for declared in [DeclaredAudio::WavPcm, DeclaredAudio::OggOpus] {
            let why = unsupported(decode_upload(declared, b"{\"audio\": \"UklGRg==\"}"));
            assert!(why.contains("JSON"), "{why}");
            let why = unsupported(decode_upload(declared, b64.as_bytes()));
            assert!(why.contains("base64") && why.contains("RIFF"), "{why}");
            let why = unsupported(decode_upload(
                declared,
                b"ID3\x04\0\0\0\0\0\0\xff\xfb\x90\x64",
            ));
            assert!(why.contains("MP3"), "{why}");
            let why = unsupported(decode_upload(
                declared,
                &[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0],
            ));
            assert!(why.contains("MP3"), "{why}");
            let why = unsupported(decode_upload(declared, b""));
            assert!(why.contains("empty"), "{why}");
            let why = unsupported(decode_upload(declared, b"fLaC\0\0\0\x22"));
            assert!(why.contains("FLAC"), "{why}");
            let why = unsupported(decode_upload(declared, b"RIFF\x24\0\0\0AVI LIST"));
            assert!(why.contains("AVI"), "{why}");
            let why = unsupported(decode_upload(declared, &[0x00, 0x01, 0x02, 0x03, 0x04]));
            assert!(why.contains("00 01 02 03"), "{why}");
        }
        assert!(DecodeError::Unsupported("x".into())
            .to_string()
            .contains("unsupported audio format"));
    }

    #[test]
    fn garbled_wav_headers_are_unsupported() {
        let good = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let mut no_fmt = good.clone();
        no_fmt[12..16].copy_from_slice(b"junk");
        // The 'junk' chunk (16 bytes) is skipped, then 'data' comes before any 'fmt '.
        assert!(unsupported(decode_upload(DeclaredAudio::WavPcm, &no_fmt))
            .contains("before the 'fmt '"));
        let mut binary_id = good.clone();
        binary_id[36..40].copy_from_slice(&[0, 1, 2, 3]);
        assert!(unsupported(decode_upload(DeclaredAudio::WavPcm, &binary_id)).contains("garbled"));
        let mut zero_channels = good.clone();
        zero_channels[22] = 0;
        assert!(
            unsupported(decode_upload(DeclaredAudio::WavPcm, &zero_channels))
                .contains("0 channels")
        );
        let mut short_fmt = good;
        short_fmt[16..20].copy_from_slice(&8u32.to_le_bytes());
        assert!(unsupported(decode_upload(DeclaredAudio::WavPcm, &short_fmt)).contains("8 bytes"));
    }

    #[test]
    fn every_truncation_of_a_wav_is_handled() {
        let body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        for cut in 0..=body.len() {
            let result = decode_upload(DeclaredAudio::WavPcm, &body[..cut]);
            if cut < 44 {
                assert!(
                    matches!(result, Err(DecodeError::Unsupported(_))),
                    "{cut}: {result:?}"
                );
            } else {
                assert_eq!(audio(result).samples, SAMPLES[..(cut - 44) / 2], "{cut}");
            }
            // Never a panic, whichever way it is labelled.
            let _ = decode_upload(DeclaredAudio::OggOpus, &body[..cut]);
        }
    }

    #[test]
    fn every_truncation_of_an_ogg_is_handled() {
        let pcm = sine(16_000, 600.0, 0.3, 10_000.0);
        let body = encode(
            output_format("ogg-16khz-16bit-mono-opus").expect("known"),
            &pcm,
        )
        .expect("encodes");
        let first_page = 27 + 1 + 19;
        let mut longest = 0;
        for cut in 0..=body.len() {
            let result = decode_upload(DeclaredAudio::OggOpus, &body[..cut]);
            match result {
                Ok(Upload::Audio(pcm)) => {
                    assert!(cut >= first_page, "{cut}");
                    assert!(
                        pcm.samples.len() >= longest,
                        "more bytes never give less audio"
                    );
                    longest = pcm.samples.len();
                }
                Err(DecodeError::Unsupported(_)) => assert!(cut < first_page, "{cut}"),
                other => panic!("{cut}: {other:?}"),
            }
            let _ = decode_upload(DeclaredAudio::WavPcm, &body[..cut]);
        }
        assert_eq!(longest, 4800);
    }

    #[test]
    fn ogg_with_another_codec_is_misheard() {
        let mut ogg = OggWriter {
            out: Vec::new(),
            serial: 7,
            sequence: 0,
        };
        ogg.page(&[b"\x01vorbis\0\0\0\0\x01\x80\xbb\0\0"], 0, true, true);
        let reason = misheard(decode_upload(DeclaredAudio::OggOpus, &ogg.out));
        assert!(reason.contains("Vorbis"), "{reason}");
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &ogg.out));
        assert!(reason.contains("Ogg/Vorbis"), "{reason}");
        // A corrupted checksum on the only page: not a valid Ogg stream.
        let mut bad = ogg.out.clone();
        bad[30] ^= 0xFF;
        assert!(unsupported(decode_upload(DeclaredAudio::OggOpus, &bad)).contains("checksum"));
        // Multichannel Opus cannot be heard as mono speech.
        let mut head = b"OpusHead\x01\x06\x38\x01\x80\x3e\0\0\0\0\x01".to_vec();
        head.extend_from_slice(&[4, 2, 0, 1, 2, 3, 4, 5]);
        let mut ogg = OggWriter {
            out: Vec::new(),
            serial: 9,
            sequence: 0,
        };
        ogg.page(&[&head], 0, true, true);
        let reason = misheard(decode_upload(DeclaredAudio::OggOpus, &ogg.out));
        assert!(
            reason.contains("family 1") && reason.contains("6 channels"),
            "{reason}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decode_upload_never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode_upload(DeclaredAudio::WavPcm, &body);
            let _ = decode_upload(DeclaredAudio::OggOpus, &body);
        }

        #[test]
        fn decode_upload_never_panics_on_mutated_headers(
            flips in proptest::collection::vec((0usize..64, any::<u8>()), 1..8),
            ogg in any::<bool>(),
        ) {
            let mut body = if ogg {
                encode(output_format("ogg-16khz-16bit-mono-opus").expect("known"), &sine(16_000, 440.0, 0.1, 8000.0))
                    .expect("encodes")
            } else {
                wav(1, 1, 16_000, 16, &le(&SAMPLES))
            };
            for (at, byte) in flips {
                if let Some(slot) = body.get_mut(at) {
                    *slot = byte;
                }
            }
            let _ = decode_upload(DeclaredAudio::WavPcm, &body);
            let _ = decode_upload(DeclaredAudio::OggOpus, &body);
        }

        #[test]
        fn content_type_parsing_never_panics(ct in ".{0,80}") {
            let _ = DeclaredAudio::from_content_type(&ct);
        }
    }
}
