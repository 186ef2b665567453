//! The audio of a speech-to-text upload, as the service hears it: [`DeclaredAudio::from_content_type`] reads the
//! request's `Content-Type`, and [`decode_upload`] decodes the body with `speech-audio` and says what the service
//! makes of it: 16 kHz mono PCM ([`Upload::Audio`]), noise or silence ([`Upload::Misheard`]: the bytes are a
//! different container than declared, or a WAV that is not 16 kHz mono 16-bit PCM), or not audio at all
//! ([`DecodeError::Unsupported`]).

use std::fmt;

use speech_audio::decode::{DecodeError as AudioError, Decoder};

use crate::engine::Pcm;

/// The audio type a speech-to-text request declares in its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeclaredAudio {
    /// `audio/wav; codecs=audio/pcm; samplerate=16000` (and its tolerated variants).
    WavPcm,
    /// `audio/ogg; codecs=opus`.
    OggOpus,
}

impl DeclaredAudio {
    /// Read a `Content-Type` value. Accepts the documented values and the variants seen in the wild (spec §2.3):
    /// `audio/wav` alone, `audio/x-wav`/`audio/wave`, the singular `codec=`, quoted values, any case and spacing.
    /// `None` for anything else, including a WAV type that names a codec other than PCM.
    pub(crate) fn from_content_type(ct: &str) -> Option<DeclaredAudio> {
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
pub(crate) enum Upload {
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
pub(crate) enum DecodeError {
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
pub(crate) const UPLOAD_SAMPLE_RATE: u32 = 16_000;
/// Decoding of compressed (Opus) uploads stops after this many seconds of audio, far past the service's 60 s.
pub(crate) const MAX_DECODED_SECONDS: u32 = 600;

/// Decode an uploaded body that was declared as `declared`, with `speech-audio`; what is checked here is only what
/// the service makes of it.
///
/// Never panics; memory use is bounded by the body size (WAV) or by [`MAX_DECODED_SECONDS`] (Opus).
pub(crate) fn decode_upload(declared: DeclaredAudio, body: &[u8]) -> Result<Upload, DecodeError> {
    let sniffed = sniff(body);
    if matches!(sniffed, Sniffed::Riff) && !is_wave(body) {
        return Err(DecodeError::Unsupported(match body.get(8..12) {
            Some(form) => format!(
                "the body is a RIFF file of type '{}', not WAVE",
                String::from_utf8_lossy(form).escape_debug()
            ),
            None => format!(
                "the body is {} bytes, too short for a WAV header",
                body.len()
            ),
        }));
    }
    match (declared, sniffed) {
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
            let _wave = open(body, "wav")?;
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

/// Opens `body` with `speech-audio`'s decoder. A codec it does not know inside a WAV file is still audio (the
/// service hears noise); anything else it refuses is not audio at all.
fn open(body: &[u8], extension: &str) -> Result<Result<Decoder, String>, DecodeError> {
    let error = match Decoder::open_bytes(body.to_vec(), Some(extension)) {
        Ok(decoder) => return Ok(Ok(decoder)),
        Err(error) => error,
    };
    let known_container = !error.is_unknown_container();
    match error {
        AudioError::Unsupported { what }
            if known_container && extension == "wav" && is_wave(body) =>
        {
            Ok(Err(what))
        }
        other => Err(DecodeError::Unsupported(other.to_string())),
    }
}

/// A RIFF file of form `WAVE`.
fn is_wave(body: &[u8]) -> bool {
    body.get(8..12) == Some(b"WAVE")
}

/// A readable name for `speech-audio`'s codec names (`pcm_alaw` → "A-law").
fn codec_label(codec: &str) -> String {
    match codec {
        "pcm_s16le" => "16-bit PCM".into(),
        "pcm_u8" | "pcm_s8" => "8-bit PCM".into(),
        "pcm_s24le" | "pcm_u24le" => "24-bit PCM".into(),
        "pcm_s32le" | "pcm_u32le" => "32-bit PCM".into(),
        "pcm_alaw" => "A-law".into(),
        "pcm_mulaw" => "µ-law".into(),
        "pcm_f32le" | "pcm_f64le" => "IEEE float".into(),
        c if c.starts_with("adpcm") => "ADPCM".into(),
        c if c.starts_with("pcm_") => format!("PCM ({})", &c[4..]),
        other => other.to_owned(),
    }
}

/// Reads the rest of a decoder's output, at most `cap` samples.
fn read_all(mut decoder: Decoder, cap: usize) -> Vec<i16> {
    let mut samples = Vec::new();
    // A stream that breaks off halfway is what arrived: the service decodes what it has.
    while let Ok(Some(chunk)) = decoder.next_chunk() {
        let room = cap.saturating_sub(samples.len());
        samples.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if samples.len() >= cap {
            break;
        }
    }
    samples
}

fn decode_wav(body: &[u8]) -> Result<Upload, DecodeError> {
    let decoder = match open(body, "wav")? {
        Ok(decoder) => decoder,
        Err(codec) => {
            return Ok(Upload::Misheard {
                reason: format!(
                    "WAV audio is not what the service expects (16000 Hz, mono, 16-bit PCM): encoding {codec} \
                     (expected PCM)"
                ),
            })
        }
    };
    let info = decoder.info();
    let mut problems = Vec::new();
    if info.codec != "pcm_s16le" {
        problems.push(format!(
            "encoding {} (expected 16-bit PCM)",
            codec_label(&info.codec)
        ));
    }
    if info.sample_rate != UPLOAD_SAMPLE_RATE {
        problems.push(format!(
            "sample rate {} Hz (expected 16000 Hz)",
            info.sample_rate
        ));
    }
    if info.channels != 1 {
        problems.push(format!("{} channels (expected 1, mono)", info.channels));
    }
    if !problems.is_empty() {
        return Ok(Upload::Misheard {
            reason: format!(
                "WAV audio is not what the service expects (16000 Hz, mono, 16-bit PCM): {}",
                problems.join("; ")
            ),
        });
    }
    // 16 kHz mono 16-bit in: the decoder hands the samples out as they are.
    Ok(Upload::Audio(Pcm {
        sample_rate: UPLOAD_SAMPLE_RATE,
        samples: read_all(decoder, body.len() / 2),
    }))
}

/// The first packet of the first logical stream of an Ogg body, read by the `ogg` crate (pages checked).
fn first_ogg_packet(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut reader = ogg::PacketReader::new(std::io::Cursor::new(body));
    match reader.read_packet() {
        Ok(Some(packet)) => Ok(packet.data),
        _ => Err(DecodeError::Unsupported(
            "truncated or garbled Ogg header: no complete page with a valid checksum".into(),
        )),
    }
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
    match first_ogg_packet(body) {
        Ok(first) => format!("Ogg/{}", identify_ogg_codec(&first)),
        Err(_) => "Ogg".into(),
    }
}

fn decode_ogg_opus(body: &[u8]) -> Result<Upload, DecodeError> {
    let head = first_ogg_packet(body)?;
    let codec = identify_ogg_codec(&head);
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
    let (version, channels, family) = (head[8], head[9], head[18]);
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
    let decoder = match open(body, "ogg")? {
        Ok(decoder) => decoder,
        Err(what) => return Err(DecodeError::Unsupported(what)),
    };
    let cap = (UPLOAD_SAMPLE_RATE as usize * MAX_DECODED_SECONDS as usize)
        .min(body.len().saturating_mul(1920));
    Ok(Upload::Audio(Pcm {
        sample_rate: UPLOAD_SAMPLE_RATE,
        samples: read_all(decoder, cap),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::common::tone::{frequency, rms, sine};
    use proptest::prelude::*;

    /// The tail of the `KSDATAFORMAT_SUBTYPE_*` GUIDs after their first two bytes.
    const KSDATAFORMAT_TAIL: [u8; 14] = [
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ];

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

    fn ogg_opus(pcm: &Pcm) -> Vec<u8> {
        speech_audio::encode::ogg_opus(pcm.sample_rate, None, &pcm.samples).expect("encodes")
    }

    /// An Ogg stream of one page holding `packet`, written by the `ogg` crate.
    fn ogg_page(packet: &[u8], serial: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = ogg::writing::PacketWriter::new(&mut out);
        writer
            .write_packet(
                packet.to_vec(),
                serial,
                ogg::writing::PacketWriteEndInfo::EndStream,
                0,
            )
            .expect("writes to memory");
        drop(writer);
        out
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
    fn good_wav_is_heard_sample_for_sample() {
        let body = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let pcm = audio(decode_upload(DeclaredAudio::WavPcm, &body));
        assert_eq!(
            pcm,
            Pcm {
                sample_rate: 16_000,
                samples: SAMPLES.to_vec()
            }
        );
        // A whole second of speech-like signal passes through unchanged too (no resampler in the way).
        let tone = sine(16_000, 440.0, 1.0, 12_000.0);
        let body = wav(1, 1, 16_000, 16, &le(&tone.samples));
        assert_eq!(audio(decode_upload(DeclaredAudio::WavPcm, &body)), tone);
    }

    #[test]
    fn extensible_wav_with_list_chunk_and_odd_padding() {
        let mut body = Vec::new();
        body.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        // An odd-sized chunk (padded to even) before fmt.
        body.extend_from_slice(b"junk");
        body.extend_from_slice(&5u32.to_le_bytes());
        body.extend_from_slice(b"odd!!\0");
        body.extend_from_slice(b"fmt ");
        body.extend_from_slice(&40u32.to_le_bytes());
        body.extend_from_slice(&0xFFFEu16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&16_000u32.to_le_bytes());
        let byte_rate_at = body.len();
        body.extend_from_slice(&32_000u32.to_le_bytes());
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend_from_slice(&16u16.to_le_bytes());
        body.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        body.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        body.extend_from_slice(&4u32.to_le_bytes()); // channel mask
        let subformat_at = body.len();
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

        // The same with an IEEE-float sub-format (and 32-bit samples) is misheard.
        let mut float = body.clone();
        float[subformat_at] = 3;
        float[byte_rate_at..byte_rate_at + 4].copy_from_slice(&64_000u32.to_le_bytes());
        float[byte_rate_at + 4] = 4; // block align
        float[byte_rate_at + 6] = 32; // bits per sample
        float[byte_rate_at + 10] = 32; // valid bits
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &float));
        assert!(reason.contains("IEEE float"), "{reason}");
    }

    #[test]
    fn streaming_data_sizes_run_to_the_end() {
        // A writer that streams cannot know the sizes: 0 or u32::MAX ("until the end").
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
        assert!(!reason.contains("encoding"), "{reason}");
        let eight_bit = wav(1, 1, 16_000, 8, &[128; 100]);
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &eight_bit));
        assert!(
            reason.contains("8-bit PCM") && !reason.contains("sample rate"),
            "{reason}"
        );
        let mulaw = wav(7, 1, 8_000, 8, &[0xFF; 100]);
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &mulaw));
        assert!(
            reason.contains("µ-law") && reason.contains("8000 Hz"),
            "{reason}"
        );
        let alaw = wav(6, 1, 16_000, 8, &[0xD5; 100]);
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &alaw));
        assert!(reason.contains("A-law"), "{reason}");
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
    fn ogg_opus_round_trips() {
        let pcm = sine(16_000, 600.0, 1.5, 10_000.0);
        let bytes = ogg_opus(&pcm);
        let heard = audio(decode_upload(DeclaredAudio::OggOpus, &bytes));
        assert_eq!(heard.sample_rate, 16_000);
        assert_eq!(heard.samples.len(), 24_000, "trimmed to the end granule");
        assert!((frequency(&heard) - 600.0).abs() < 2.0);
        let level = rms(&heard.samples[1600..22_400]) / rms(&pcm.samples);
        assert!((0.8..1.2).contains(&level), "level {level}");
        // Labelled WAV, the same bytes are misheard.
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &bytes));
        assert!(
            reason.contains("Ogg/Opus") && reason.contains("WAV"),
            "{reason}"
        );
    }

    #[test]
    fn non_audio_is_unsupported_and_says_what_it_is() {
        let good = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let b64 = {
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
            assert!(why.contains("'AVI '") && why.contains("not WAVE"), "{why}");
            let why = unsupported(decode_upload(declared, b"RIFF\x24\0"));
            assert!(why.contains("too short"), "{why}");
            let why = unsupported(decode_upload(declared, &[0x00, 0x01, 0x02, 0x03, 0x04]));
            assert!(why.contains("00 01 02 03"), "{why}");
        }
        assert!(DecodeError::Unsupported("x".into())
            .to_string()
            .contains("unsupported audio format"));
    }

    #[test]
    fn garbled_wav_headers_are_unsupported() {
        // What is wrong is worded by speech-audio's WAV reader; here the verdict is checked: not audio.
        let good = wav(1, 1, 16_000, 16, &le(&SAMPLES));
        let mut no_fmt = good.clone();
        no_fmt[12..16].copy_from_slice(b"junk");
        let mut zero_channels = good.clone();
        zero_channels[22] = 0;
        let mut short_fmt = good.clone();
        short_fmt[16..20].copy_from_slice(&8u32.to_le_bytes());
        for (what, body) in [
            ("no fmt chunk", no_fmt),
            ("0 channels", zero_channels),
            ("an 8-byte fmt chunk", short_fmt),
        ] {
            let why = unsupported(decode_upload(DeclaredAudio::WavPcm, &body));
            assert!(!why.is_empty(), "{what}");
        }
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
        // 1.5 s: two pages of audio (50 packets, then 25), so that a stream cut inside the second holds the first.
        let body = ogg_opus(&sine(16_000, 600.0, 1.5, 10_000.0));
        let first_page = 27 + 1 + 19;
        let mut longest = 0;
        for cut in 0..body.len() {
            match decode_upload(DeclaredAudio::OggOpus, &body[..cut]) {
                Ok(Upload::Audio(pcm)) => {
                    assert!(cut >= first_page, "{cut}");
                    assert!(
                        pcm.samples.len() >= longest,
                        "more bytes never give less audio"
                    );
                    longest = pcm.samples.len();
                }
                Err(DecodeError::Unsupported(_)) => {}
                other => panic!("{cut}: {other:?}"),
            }
            let _ = decode_upload(DeclaredAudio::WavPcm, &body[..cut]);
        }
        // Cut before its last page, a stream has no end granule: its packets are heard whole, the encoder's
        // look-ahead of silence after the speech included (at most one 20 ms packet more).
        assert!((15_000..=24_000 + 320).contains(&longest), "{longest}");
        // Whole, it ends exactly where the speech did.
        assert_eq!(
            audio(decode_upload(DeclaredAudio::OggOpus, &body))
                .samples
                .len(),
            24_000
        );
    }

    #[test]
    fn ogg_with_another_codec_is_misheard() {
        let vorbis = ogg_page(b"\x01vorbis\0\0\0\0\x01\x80\xbb\0\0", 7);
        let reason = misheard(decode_upload(DeclaredAudio::OggOpus, &vorbis));
        assert!(reason.contains("Vorbis"), "{reason}");
        let reason = misheard(decode_upload(DeclaredAudio::WavPcm, &vorbis));
        assert!(reason.contains("Ogg/Vorbis"), "{reason}");
        // A corrupted checksum on the only page: not a valid Ogg stream.
        let mut bad = vorbis.clone();
        bad[30] ^= 0xFF;
        assert!(unsupported(decode_upload(DeclaredAudio::OggOpus, &bad)).contains("checksum"));
        // Multichannel Opus cannot be heard as mono speech.
        let mut head = b"OpusHead\x01\x06\x38\x01\x80\x3e\0\0\0\0\x01".to_vec();
        head.extend_from_slice(&[4, 2, 0, 1, 2, 3, 4, 5]);
        let reason = misheard(decode_upload(DeclaredAudio::OggOpus, &ogg_page(&head, 9)));
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
                ogg_opus(&sine(16_000, 440.0, 0.1, 8000.0))
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
