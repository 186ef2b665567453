//! Encoding mono 16-bit PCM for speech synthesis output: linear PCM, A-law and µ-law, bare ([`raw`]) or in a
//! RIFF/WAVE file ([`riff`]); MP3 through LAME ([`mp3`], with the `mp3` feature); Opus in Ogg through libopus
//! with the `ogg` crate's page writer ([`ogg_opus`], with the `opus` feature).
//!
//! The samples must already be at the rate the output names: resample them first
//! ([`crate::resample::resample`]).
//!
//! ```
//! use speech_audio::encode::{riff, Encoding};
//!
//! let wav = riff(Encoding::Pcm16, 16_000, &[0i16; 160]).expect("fits a RIFF file");
//! assert_eq!(wav.len(), 44 + 320);
//! assert_eq!(&wav[..4], b"RIFF");
//! ```

use std::fmt;

use crate::g711::{linear_to_alaw, linear_to_ulaw};

/// How each sample of [`raw`] and [`riff`] output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// Signed 16-bit little-endian linear PCM.
    Pcm16,
    /// ITU-T G.711 A-law, 8 bits per sample.
    ALaw,
    /// ITU-T G.711 µ-law, 8 bits per sample.
    MuLaw,
}

impl Encoding {
    /// The WAVE format tag (1 PCM, 6 A-law, 7 µ-law) and the bits per sample.
    fn wave_format(self) -> (u16, u16) {
        match self {
            Encoding::Pcm16 => (1, 16),
            Encoding::ALaw => (6, 8),
            Encoding::MuLaw => (7, 8),
        }
    }
}

/// Why audio could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The audio does not fit the container (a RIFF file holds at most 4 GiB).
    TooLong {
        /// The encoded audio's size.
        bytes: u64,
    },
    /// The codec does not take this rate or bit rate.
    Unsupported(String),
    /// The encoder library failed.
    Encoder(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { bytes } => write!(f, "{bytes} bytes of audio do not fit a RIFF file"),
            Self::Unsupported(what) => f.write_str(what),
            Self::Encoder(why) => write!(f, "the encoder failed: {why}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// The samples alone, each as `encoding` writes it.
pub fn raw(encoding: Encoding, samples: &[i16]) -> Vec<u8> {
    match encoding {
        Encoding::ALaw => samples.iter().map(|&s| linear_to_alaw(s)).collect(),
        Encoding::MuLaw => samples.iter().map(|&s| linear_to_ulaw(s)).collect(),
        Encoding::Pcm16 => samples.iter().flat_map(|s| s.to_le_bytes()).collect(),
    }
}

/// A mono RIFF/WAVE file: a 44-byte header with the real sizes (format tag 1 for PCM, 6 for A-law, 7 for µ-law),
/// then the samples.
///
/// # Errors
///
/// [`EncodeError::TooLong`] when the data does not fit a RIFF file.
pub fn riff(encoding: Encoding, sample_rate: u32, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
    let (tag, bits) = encoding.wave_format();
    let block_align = bits / 8;
    let data_bytes = samples.len() as u64 * u64::from(block_align);
    let data_len = u32::try_from(data_bytes)
        .ok()
        .filter(|len| *len <= u32::MAX - 36)
        .ok_or(EncodeError::TooLong { bytes: data_bytes })?;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(
        &sample_rate
            .saturating_mul(u32::from(block_align))
            .to_le_bytes(),
    );
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(&raw(encoding, samples));
    Ok(out)
}

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

/// Constant-bit-rate mono MP3 at `sample_rate`, `kbps` kbit/s, by LAME (no Xing/LAME tag, so the stream can be
/// sent as it is produced).
///
/// # Errors
///
/// [`EncodeError::Unsupported`] for a bit rate MP3 does not have; [`EncodeError::Encoder`] when LAME refuses
/// the settings or fails.
#[cfg(feature = "mp3")]
pub fn mp3(sample_rate: u32, kbps: u32, samples: &[i16]) -> Result<Vec<u8>, EncodeError> {
    use mp3lame_encoder::{Builder, FlushGap, Mode, MonoPcm, Quality, VbrMode};
    let lame = |what: &str, e: &dyn fmt::Display| EncodeError::Encoder(format!("LAME {what}: {e}"));
    let bitrate = lame_bitrate(kbps)
        .ok_or_else(|| EncodeError::Unsupported(format!("MP3 has no {kbps} kbit/s bit rate")))?;
    let mut builder = Builder::new()
        .ok_or_else(|| EncodeError::Encoder("LAME could not allocate an encoder".into()))?;
    builder
        .set_num_channels(1)
        .map_err(|e| lame("channels", &e))?;
    builder
        .set_sample_rate(sample_rate)
        .map_err(|e| lame("input rate", &e))?;
    builder
        .set_output_sample_rate(std::num::NonZeroU32::new(sample_rate))
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

/// Opus packets of 20 ms.
#[cfg(feature = "opus")]
const OPUS_FRAME_MS: u32 = 20;
/// Audio packets per Ogg page (about one page per second).
#[cfg(feature = "opus")]
const PACKETS_PER_PAGE: usize = 50;
/// The serial number of the Ogg streams written (any value is valid; a fixed one keeps output reproducible).
#[cfg(feature = "opus")]
const OGG_SERIAL: u32 = 0x5350_4545; // "SPEE"

/// Mono Opus in Ogg (RFC 7845) at `sample_rate` (8, 12, 16, 24 or 48 kHz), 20 ms packets, at `kbps` kbit/s
/// (libopus's choice when `None`). The `OpusHead` names the rate and the encoder's look-ahead as pre-skip; the
/// last page's granule position ends the stream exactly at the last input sample.
///
/// # Errors
///
/// [`EncodeError::Encoder`] when libopus refuses the rate or bit rate, or fails.
#[cfg(feature = "opus")]
pub fn ogg_opus(
    sample_rate: u32,
    kbps: Option<u32>,
    samples: &[i16],
) -> Result<Vec<u8>, EncodeError> {
    use ogg::writing::{PacketWriteEndInfo, PacketWriter};

    let opus_err = |what: &str, e: opus::Error| EncodeError::Encoder(format!("Opus {what}: {e}"));
    let mut encoder =
        opus::Encoder::new(sample_rate, opus::Channels::Mono, opus::Application::Audio)
            .map_err(|e| opus_err("setup", e))?;
    if let Some(kbps) = kbps {
        let bits = i32::try_from(kbps.saturating_mul(1000)).unwrap_or(i32::MAX);
        encoder
            .set_bitrate(opus::Bitrate::Bits(bits))
            .map_err(|e| opus_err("bit rate", e))?;
    }
    let lookahead = u64::try_from(
        encoder
            .get_lookahead()
            .map_err(|e| opus_err("lookahead", e))?,
    )
    .unwrap_or(0);
    // Granule positions count 48 kHz samples.
    let to_48k = 48_000 / u64::from(sample_rate);
    let pre_skip = lookahead * to_48k;
    let frame = (sample_rate * OPUS_FRAME_MS / 1000) as usize;

    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&u16::try_from(pre_skip).unwrap_or(u16::MAX).to_le_bytes());
    head.extend_from_slice(&sample_rate.to_le_bytes()); // the input's rate
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family
    let vendor = format!("speech-audio (libopus {})", opus::version());
    let mut tags = Vec::new();
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor.as_bytes());
    tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments

    let io = |e: std::io::Error| EncodeError::Encoder(format!("Ogg: {e}"));
    let mut ogg = PacketWriter::new(Vec::with_capacity(samples.len() / 4 + 256));
    ogg.write_packet(head, OGG_SERIAL, PacketWriteEndInfo::EndPage, 0)
        .map_err(io)?;
    ogg.write_packet(tags, OGG_SERIAL, PacketWriteEndInfo::EndPage, 0)
        .map_err(io)?;

    // The look-ahead's worth of silence after the end brings the last real samples out of the encoder.
    let frames = (samples.len() + lookahead as usize).div_ceil(frame).max(1);
    let end_granule = pre_skip + samples.len() as u64 * to_48k;
    let mut pcm = vec![0i16; frame];
    let mut packet = vec![0u8; 4000];
    for index in 0..frames {
        let start = index * frame;
        pcm.fill(0);
        if start < samples.len() {
            let end = (start + frame).min(samples.len());
            pcm[..end - start].copy_from_slice(&samples[start..end]);
        }
        let len = encoder
            .encode(&pcm, &mut packet)
            .map_err(|e| opus_err("encoding", e))?;
        let last = index + 1 == frames;
        let (end_info, granule) = if last {
            (PacketWriteEndInfo::EndStream, end_granule)
        } else {
            let granule = ((index as u64 + 1) * frame as u64 * to_48k).min(end_granule);
            let end_of_page = (index + 1) % PACKETS_PER_PAGE == 0;
            let info = if end_of_page {
                PacketWriteEndInfo::EndPage
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            (info, granule)
        };
        ogg.write_packet(packet[..len].to_vec(), OGG_SERIAL, end_info, granule)
            .map_err(io)?;
    }
    Ok(ogg.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::{alaw_to_linear, ulaw_to_linear};
    use crate::resample::resample;

    /// Every rate of the service's output formats.
    const RATES: [u32; 6] = [8_000, 16_000, 22_050, 24_000, 44_100, 48_000];

    /// One second of a 1 kHz tone at 24 kHz, the synthesizers' usual rate.
    fn tone_24k() -> Vec<i16> {
        (0..24_000)
            .map(|i| {
                (10_000.0 * (2.0 * std::f64::consts::PI * 1_000.0 * f64::from(i) / 24_000.0).sin())
                    as i16
            })
            .collect()
    }

    /// The frequency of a steady tone in the middle 80 % of `samples`, from rising zero crossings.
    fn frequency(samples: &[i16], rate: u32) -> f64 {
        let body = &samples[samples.len() / 10..samples.len() * 9 / 10];
        let crossings: Vec<f64> = (1..body.len())
            .filter(|&i| body[i - 1] < 0 && body[i] >= 0)
            .map(|i| {
                let (a, b) = (f64::from(body[i - 1]), f64::from(body[i]));
                (i - 1) as f64 + (-a) / (b - a)
            })
            .collect();
        let span = crossings[crossings.len() - 1] - crossings[0];
        (crossings.len() - 1) as f64 * f64::from(rate) / span
    }

    fn within_one_percent(f: f64) -> bool {
        (f - 1_000.0).abs() <= 10.0
    }

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Reads a RIFF file back with hound (PCM) or by its header (A-law, µ-law): (rate, channels, samples).
    fn read_riff(bytes: &[u8]) -> (u32, u16, Vec<i16>) {
        let tag = u16_at(bytes, 20);
        if tag == 1 {
            let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).expect("hound parses");
            let spec = reader.spec();
            assert_eq!(spec.bits_per_sample, 16);
            let samples = reader
                .into_samples::<i16>()
                .map(|s| s.expect("sample"))
                .collect();
            return (spec.sample_rate, spec.channels, samples);
        }
        assert_eq!(&bytes[36..40], b"data");
        assert_eq!(u32_at(bytes, 40) as usize, bytes.len() - 44);
        let law: fn(u8) -> i16 = if tag == 6 {
            alaw_to_linear
        } else {
            ulaw_to_linear
        };
        let samples = bytes[44..].iter().map(|&c| law(c)).collect();
        (u32_at(bytes, 24), u16_at(bytes, 22), samples)
    }

    #[test]
    fn riff_and_raw_at_every_rate_decode_back_to_the_tone() {
        let tone = tone_24k();
        for rate in RATES {
            let samples = resample(&tone, 24_000, rate).expect("resamples");
            assert_eq!(samples.len() as u32, rate, "one second at {rate} Hz");
            for encoding in [Encoding::Pcm16, Encoding::ALaw, Encoding::MuLaw] {
                let wav = riff(encoding, rate, &samples).expect("encodes");
                assert_eq!(u32_at(&wav, 4) as usize, wav.len() - 8);
                let (read_rate, channels, decoded) = read_riff(&wav);
                assert_eq!((read_rate, channels), (rate, 1), "{encoding:?} at {rate}");
                assert_eq!(decoded.len(), samples.len(), "{encoding:?} at {rate}");
                let f = frequency(&decoded, rate);
                assert!(within_one_percent(f), "{encoding:?} at {rate}: {f} Hz");
                // Without the header, the same bytes.
                assert_eq!(raw(encoding, &samples), wav[44..], "{encoding:?} at {rate}");
            }
        }
    }

    #[test]
    fn riff_headers_are_byte_exact() {
        let wav = riff(Encoding::Pcm16, 16_000, &[0, 1, -1, 0x1234, i16::MIN]).expect("encodes");
        let mut expected = Vec::new();
        expected.extend_from_slice(b"RIFF");
        expected.extend_from_slice(&(36u32 + 10).to_le_bytes());
        expected.extend_from_slice(b"WAVEfmt ");
        expected.extend_from_slice(&[16, 0, 0, 0, 1, 0, 1, 0]);
        expected.extend_from_slice(&16_000u32.to_le_bytes());
        expected.extend_from_slice(&32_000u32.to_le_bytes());
        expected.extend_from_slice(&[2, 0, 16, 0]);
        expected.extend_from_slice(b"data");
        expected.extend_from_slice(&10u32.to_le_bytes());
        expected.extend_from_slice(&[0, 0, 1, 0, 0xFF, 0xFF, 0x34, 0x12, 0x00, 0x80]);
        assert_eq!(wav, expected);
        let alaw = riff(Encoding::ALaw, 8_000, &[0; 4]).expect("encodes");
        assert_eq!(
            (u16_at(&alaw, 20), u16_at(&alaw, 32), u16_at(&alaw, 34)),
            (6, 1, 8)
        );
        assert_eq!(u32_at(&alaw, 28), 8_000, "byte rate");
        let mulaw = riff(Encoding::MuLaw, 8_000, &[0; 4]).expect("encodes");
        assert_eq!(u16_at(&mulaw, 20), 7);
        assert_eq!(&mulaw[44..], [0xFF; 4]);
    }

    /// Walks MPEG audio frames from the start to the end: (rate, kbps, frames).
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
            assert_eq!((h[0], h[1] & 0xE0), (0xFF, 0xE0), "frame sync at {pos}");
            let version = (h[1] >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
            assert_eq!((h[1] >> 1) & 0x03, 0x01, "layer III");
            let bitrate_index = usize::from(h[2] >> 4);
            let rate_index = usize::from((h[2] >> 2) & 0x03);
            let padding = usize::from((h[2] >> 1) & 0x01);
            assert_eq!(h[3] >> 6, 3, "mono");
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

    /// Decodes an MP3 with symphonia at its own rate: (rate, channels, samples).
    #[cfg(feature = "mp3")]
    fn read_mp3(bytes: Vec<u8>) -> (u32, usize, Vec<i16>) {
        use symphonia::core::audio::SampleBuffer;
        use symphonia::core::codecs::DecoderOptions;
        use symphonia::core::formats::FormatOptions;
        use symphonia::core::io::MediaSourceStream;
        use symphonia::core::meta::MetadataOptions;
        use symphonia::core::probe::Hint;
        let stream =
            MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
        let mut hint = Hint::new();
        hint.with_extension("mp3");
        let probed = symphonia::default::get_probe()
            .format(
                &hint,
                stream,
                &FormatOptions::default(),
                &MetadataOptions::default(),
            )
            .expect("an MP3");
        let mut format = probed.format;
        let track = format.default_track().expect("a track").clone();
        let mut decoder = symphonia::default::get_codecs()
            .make(&track.codec_params, &DecoderOptions::default())
            .expect("a decoder");
        let rate = track.codec_params.sample_rate.expect("a rate");
        let mut channels = 0;
        let mut samples = Vec::new();
        while let Ok(packet) = format.next_packet() {
            let decoded = decoder.decode(&packet).expect("decodes");
            channels = decoded.spec().channels.count();
            let mut buffer = SampleBuffer::<i16>::new(decoded.capacity() as u64, *decoded.spec());
            buffer.copy_interleaved_ref(decoded);
            samples.extend_from_slice(buffer.samples());
        }
        (rate, channels, samples)
    }

    #[test]
    #[cfg(feature = "mp3")]
    fn mp3_at_every_rate_and_bit_rate_of_the_service_decodes_back_to_the_tone() {
        let tone = tone_24k();
        for (rate, kbps) in [
            (16_000, 32),
            (16_000, 64),
            (16_000, 128),
            (24_000, 48),
            (24_000, 96),
            (24_000, 160),
            (48_000, 96),
            (48_000, 192),
        ] {
            let samples = resample(&tone, 24_000, rate).expect("resamples");
            let bytes = mp3(rate, kbps, &samples).expect("encodes");
            let (frame_rate, frame_kbps, frames) = walk_mp3(&bytes);
            assert_eq!((frame_rate, frame_kbps), (rate, kbps));
            let per_frame = if rate >= 32_000 { 1152 } else { 576 };
            let (read_rate, channels, decoded) = read_mp3(bytes);
            assert_eq!((read_rate, channels), (rate, 1));
            // LAME adds its encoder delay and pads the last frame: a few frames over one second.
            assert!(
                (frames * per_frame).abs_diff(decoded.len()) <= per_frame,
                "{rate}/{kbps}"
            );
            let extra = decoded.len() as i64 - i64::from(rate);
            assert!(
                (0..=3 * per_frame as i64).contains(&extra),
                "{rate}/{kbps}: {extra} samples over"
            );
            let f = frequency(&decoded, rate);
            assert!(within_one_percent(f), "{rate}/{kbps}: {f} Hz");
        }
        assert!(matches!(
            mp3(16_000, 33, &[0; 10]),
            Err(EncodeError::Unsupported(_))
        ));
    }

    #[test]
    #[cfg(feature = "opus")]
    fn ogg_opus_at_every_rate_of_the_service_decodes_back_to_the_tone() {
        let tone = tone_24k();
        for (rate, kbps) in [
            (16_000, None),
            (16_000, Some(32)),
            (24_000, None),
            (24_000, Some(24)),
            (24_000, Some(48)),
            (48_000, None),
        ] {
            let samples = resample(&tone, 24_000, rate).expect("resamples");
            let bytes = ogg_opus(rate, kbps, &samples).expect("encodes");
            // An independent Ogg reader (the `ogg` crate's) and libopus at the stream's own rate.
            let mut reader = ogg::PacketReader::new(std::io::Cursor::new(&bytes));
            let head = reader.read_packet_expected().expect("head");
            assert!(
                head.data.starts_with(b"OpusHead") && head.first_in_stream() && head.last_in_page()
            );
            assert_eq!(head.data[9], 1, "mono");
            assert_eq!(u32_at(&head.data, 12), rate);
            let tags = reader.read_packet_expected().expect("tags");
            assert!(tags.data.starts_with(b"OpusTags") && tags.last_in_page());
            let mut decoder = opus::Decoder::new(rate, opus::Channels::Mono).expect("a decoder");
            let mut out = vec![0i16; 5760];
            let mut decoded = Vec::new();
            let mut last = None;
            while let Some(packet) = reader.read_packet().expect("valid pages") {
                let n = decoder
                    .decode(&packet.data, &mut out, false)
                    .expect("valid Opus");
                decoded.extend_from_slice(&out[..n]);
                last = Some(packet);
            }
            let last = last.expect("audio packets");
            assert!(last.last_in_stream());
            let pre_skip = u64::from(u16_at(&head.data, 10));
            assert_eq!(
                last.absgp_page(),
                pre_skip + 48_000,
                "{rate}: one second after the pre-skip"
            );
            // Trimmed as a player trims it: the pre-skip at the start, the end at the last granule.
            let to_rate = |granule: u64| (granule * u64::from(rate) / 48_000) as usize;
            let audio = &decoded[to_rate(pre_skip)..to_rate(pre_skip + 48_000)];
            assert_eq!(audio.len() as u32, rate);
            let f = frequency(audio, rate);
            assert!(within_one_percent(f), "{rate}/{kbps:?}: {f} Hz");
        }
    }
}
