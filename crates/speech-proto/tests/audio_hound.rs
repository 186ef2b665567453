//! Differential test: WAV files written by `hound` (plain PCM, IEEE float, WAVE_FORMAT_EXTENSIBLE) must parse
//! to the spec and data length `hound` itself reads back.

use std::io::Cursor;

use proptest::prelude::*;
use speech_proto::audio::{
    check_for_recognition, AudioProblem, WavCodec, WavHeaderParser, WavStatus,
};

fn write(spec: hound::WavSpec, bytes_per_sample: Option<u16>, frames: u32) -> Vec<u8> {
    let mut cursor = Cursor::new(Vec::new());
    {
        let mut w = match bytes_per_sample {
            Some(b) => hound::WavWriter::new_with_spec_ex(
                &mut cursor,
                hound::WavSpecEx {
                    spec,
                    bytes_per_sample: b,
                },
            ),
            None => hound::WavWriter::new(&mut cursor, spec),
        }
        .unwrap();
        for i in 0..frames * u32::from(spec.channels) {
            match (spec.sample_format, spec.bits_per_sample) {
                (hound::SampleFormat::Float, _) => w.write_sample((i as f32 * 0.01).sin()).unwrap(),
                (_, 8) => w.write_sample(((i % 200) as i16 - 100) as i8).unwrap(),
                (_, 16) => w.write_sample((i % 60_000) as i16).unwrap(),
                (_, bits) => w
                    .write_sample(((i * 7919) % (1 << (bits - 1))) as i32)
                    .unwrap(),
            }
        }
        w.finalize().unwrap();
    }
    cursor.into_inner()
}

fn check(file: &[u8], pieces: usize) {
    let reader = hound::WavReader::new(Cursor::new(file)).unwrap();
    let spec = reader.spec();

    let mut parser = WavHeaderParser::new();
    let mut consumed = 0;
    let step = (file.len() / pieces).max(1);
    let header = loop {
        let end = (consumed + step).min(file.len());
        match parser.push(&file[consumed..end]).unwrap() {
            WavStatus::Partial(n) => consumed += n,
            WavStatus::Complete {
                header,
                consumed: n,
            } => {
                consumed += n;
                break header;
            }
        }
    };
    let f = header.format;
    assert_eq!(consumed as u64, header.data_offset);
    assert_eq!(f.channels, spec.channels);
    assert_eq!(f.sample_rate, spec.sample_rate);
    assert_eq!(
        f.valid_bits_per_sample.unwrap_or(f.bits_per_sample),
        spec.bits_per_sample
    );
    let expected_codec = match spec.sample_format {
        hound::SampleFormat::Int => WavCodec::Pcm,
        hound::SampleFormat::Float => WavCodec::IeeeFloat,
    };
    assert_eq!(f.codec, expected_codec);
    let bytes_per_sample = u64::from(f.block_align / f.channels);
    assert_eq!(
        header.data_len,
        Some(u64::from(reader.len()) * bytes_per_sample)
    );
    assert_eq!(
        header.data_offset + header.data_len.unwrap(),
        file.len() as u64
    );
    let secs = f64::from(reader.duration()) / f64::from(spec.sample_rate);
    let ours = header.duration().unwrap().as_secs_f64();
    assert!((ours - secs).abs() < 1e-6, "{ours} vs {secs}");
}

#[test]
fn hound_files_of_every_shape() {
    for rate in [8000, 16_000, 22_050, 44_100, 48_000] {
        for channels in [1u16, 2, 3, 6] {
            for (bits, format) in [
                (8, hound::SampleFormat::Int),
                (16, hound::SampleFormat::Int),
                (24, hound::SampleFormat::Int),
                (32, hound::SampleFormat::Int),
                (32, hound::SampleFormat::Float),
            ] {
                let spec = hound::WavSpec {
                    channels,
                    sample_rate: rate,
                    bits_per_sample: bits,
                    sample_format: format,
                };
                for frames in [0, 1, 333] {
                    let file = write(spec, None, frames);
                    for pieces in [1, 3, 17, file.len()] {
                        check(&file, pieces);
                    }
                }
            }
        }
    }
}

#[test]
fn hound_24_bit_in_4_byte_containers() {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let file = write(spec, Some(4), 100);
    check(&file, 5);
    let mut p = WavHeaderParser::new();
    let WavStatus::Complete { header, .. } = p.push(&file).unwrap() else {
        panic!("incomplete")
    };
    assert!(header.format.extensible);
    assert_eq!(header.format.bits_per_sample, 32);
    assert_eq!(header.format.valid_bits_per_sample, Some(24));
    assert_eq!(header.format.block_align, 8);
}

#[test]
fn hound_16k_mono_passes_the_recognition_check_and_others_are_explained() {
    let good = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let file = write(good, None, 16_000 * 2);
    let mut p = WavHeaderParser::new();
    let WavStatus::Complete { header, .. } = p.push(&file).unwrap() else {
        panic!("incomplete")
    };
    let info = check_for_recognition(&header, false).unwrap();
    assert_eq!(info.duration, Some(std::time::Duration::from_secs(2)));
    assert!(info.notes.is_empty());

    let bad = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let file = write(bad, None, 10);
    let mut p = WavHeaderParser::new();
    let WavStatus::Complete { header, .. } = p.push(&file).unwrap() else {
        panic!("incomplete")
    };
    assert_eq!(
        check_for_recognition(&header, false).unwrap_err(),
        vec![
            AudioProblem::SampleRate { found: 44_100 },
            AudioProblem::Channels { found: 2 },
            AudioProblem::BitsPerSample { found: 24 },
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hound_random_specs(
        rate in 1u32..200_000,
        channels in 1u16..9,
        kind in 0usize..5,
        frames in 0u32..50,
        pieces in 1usize..40,
    ) {
        let (bits, format) = [
            (8, hound::SampleFormat::Int),
            (16, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ][kind];
        let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: bits, sample_format: format };
        let file = write(spec, None, frames);
        check(&file, pieces);
    }
}
