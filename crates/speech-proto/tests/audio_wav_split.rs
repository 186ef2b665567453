//! Property tests of the WAV header parser and the silence meter: any split of the input gives the same result,
//! and no input makes them panic.

use proptest::prelude::*;
use speech_proto::audio::{
    __fuzz_wav_header, LeadingSilenceMeter, WavCodec, WavError, WavFormat, WavHeader,
    WavHeaderParser, WavStatus,
};

const KS_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

#[derive(Clone, Debug)]
struct Spec {
    tag: u16,
    extensible_sub: Option<u16>,
    channels: u16,
    rate: u32,
    bits: u16,
    valid_bits: u16,
    fmt_extra: usize,
    before_fmt: Vec<([u8; 4], Vec<u8>)>,
    after_fmt: Vec<([u8; 4], Vec<u8>)>,
    fact: Option<u32>,
    riff_size: u8,
    data_size: u8,
    data: Vec<u8>,
}

fn chunk_id() -> impl Strategy<Value = [u8; 4]> {
    prop::array::uniform4(0x20u8..0x7f).prop_filter("not a chunk the parser reads", |id| {
        !matches!(id, b"data" | b"fmt " | b"fact")
    })
}

fn chunks() -> impl Strategy<Value = Vec<([u8; 4], Vec<u8>)>> {
    prop::collection::vec(
        (chunk_id(), prop::collection::vec(any::<u8>(), 0..90)),
        0..4,
    )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            prop::sample::select(vec![1u16, 3, 6, 7, 2, 0x55]),
            prop::option::of(prop::sample::select(vec![1u16, 3, 6, 7, 0x92])),
        ),
        (
            1u16..9,
            prop::sample::select(vec![
                8000u32, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 1,
            ]),
        ),
        (prop::sample::select(vec![8u16, 16, 24, 32, 4]), 0u16..33),
        0usize..5,
        (chunks(), chunks()),
        prop::option::of(any::<u32>()),
        (0u8..3, 0u8..3),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(
            |(
                (tag, ext),
                (channels, rate),
                (bits, valid_bits),
                fmt_extra,
                (before_fmt, after_fmt),
                fact,
                (riff_size, data_size),
                data,
            )| Spec {
                tag,
                extensible_sub: ext,
                channels,
                rate,
                bits,
                valid_bits,
                fmt_extra,
                before_fmt,
                after_fmt,
                fact,
                riff_size,
                data_size,
                data,
            },
        )
}

fn push_chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// The file, and the header the parser must report (computed independently of the parser).
fn build(s: &Spec) -> (Vec<u8>, WavHeader) {
    let align = s.channels * s.bits.div_ceil(8);
    let byte_rate = s.rate.wrapping_mul(u32::from(align));
    let mut fmt = Vec::new();
    let tag = if s.extensible_sub.is_some() {
        0xFFFE
    } else {
        s.tag
    };
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&s.channels.to_le_bytes());
    fmt.extend_from_slice(&s.rate.to_le_bytes());
    fmt.extend_from_slice(&byte_rate.to_le_bytes());
    fmt.extend_from_slice(&align.to_le_bytes());
    fmt.extend_from_slice(&s.bits.to_le_bytes());
    let (codec, valid, mask) = match s.extensible_sub {
        Some(sub) => {
            fmt.extend_from_slice(&22u16.to_le_bytes());
            fmt.extend_from_slice(&s.valid_bits.to_le_bytes());
            fmt.extend_from_slice(&3u32.to_le_bytes());
            fmt.extend_from_slice(&sub.to_le_bytes());
            fmt.extend_from_slice(&KS_TAIL);
            let codec = match sub {
                1 => WavCodec::Pcm,
                3 => WavCodec::IeeeFloat,
                6 => WavCodec::ALaw,
                7 => WavCodec::MuLaw,
                other => WavCodec::Other(other),
            };
            (codec, (s.valid_bits != 0).then_some(s.valid_bits), Some(3))
        }
        None => {
            let codec = match s.tag {
                1 => WavCodec::Pcm,
                3 => WavCodec::IeeeFloat,
                6 => WavCodec::ALaw,
                7 => WavCodec::MuLaw,
                other => WavCodec::Other(other),
            };
            (codec, None, None)
        }
    };
    fmt.extend(std::iter::repeat_n(0xAB, s.fmt_extra));

    let mut body = b"WAVE".to_vec();
    for (id, c) in &s.before_fmt {
        push_chunk(&mut body, id, c);
    }
    push_chunk(&mut body, b"fmt ", &fmt);
    if let Some(n) = s.fact {
        push_chunk(&mut body, b"fact", &n.to_le_bytes());
    }
    for (id, c) in &s.after_fmt {
        push_chunk(&mut body, id, c);
    }
    let data_offset = 8 + body.len() as u64 + 8;
    let real_riff = (body.len() + 8 + s.data.len()) as u32;
    let riff = [real_riff, 0, u32::MAX][usize::from(s.riff_size)];
    let data_field = [s.data.len() as u32, 0, u32::MAX][usize::from(s.data_size)];
    body.extend_from_slice(b"data");
    body.extend_from_slice(&data_field.to_le_bytes());
    body.extend_from_slice(&s.data);
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&riff.to_le_bytes());
    file.extend_from_slice(&body);

    let riff_known = riff != 0 && riff != u32::MAX;
    let data_len = match data_field {
        u32::MAX => None,
        0 if !riff_known || u64::from(riff) + 8 > data_offset => None,
        n => Some(u64::from(n)),
    };
    let header = WavHeader {
        format: WavFormat {
            codec,
            channels: s.channels,
            sample_rate: s.rate,
            bits_per_sample: s.bits,
            block_align: align,
            byte_rate,
            valid_bits_per_sample: valid,
            channel_mask: mask,
            extensible: s.extensible_sub.is_some(),
        },
        data_offset,
        data_len,
        fact_frames: s.fact,
    };
    (file, header)
}

/// Feed `file` in the given pieces; return the header, the bytes consumed, and the bytes left over.
fn feed(file: &[u8], cuts: &[usize]) -> (Result<WavHeader, WavError>, usize) {
    let mut p = WavHeaderParser::new();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (file.len() + 1)).collect();
    bounds.sort_unstable();
    bounds.push(file.len());
    let mut start = 0;
    let mut consumed = 0;
    for end in bounds {
        match p.push(&file[start..end]) {
            Ok(WavStatus::Partial(n)) => {
                assert_eq!(n, end - start, "Partial must consume everything");
                consumed += n;
            }
            Ok(WavStatus::Complete {
                header,
                consumed: n,
            }) => {
                assert!(n <= end - start);
                return (Ok(header), consumed + n);
            }
            Err(e) => return (Err(e), consumed),
        }
        start = end;
    }
    (p.finish(), consumed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_split_of_a_wav_header_parses_identically(s in spec(), cuts in prop::collection::vec(any::<usize>(), 1..4)) {
        let (file, expected) = build(&s);
        let (whole, consumed_whole) = feed(&file, &[]);
        let (split, consumed_split) = feed(&file, &cuts);
        prop_assert_eq!(&whole, &split);
        prop_assert_eq!(consumed_whole, consumed_split);
        prop_assert_eq!(whole, Ok(expected));
        prop_assert_eq!(consumed_whole as u64, expected.data_offset);
        prop_assert_eq!(&file[consumed_whole..], &s.data[..]);
    }

    #[test]
    fn truncated_headers_ask_for_more_then_report_truncation(s in spec(), cut in any::<usize>()) {
        let (file, expected) = build(&s);
        let end = cut % (expected.data_offset as usize);
        let mut p = WavHeaderParser::new();
        prop_assert_eq!(p.push(&file[..end]), Ok(WavStatus::Partial(end)));
        prop_assert_eq!(p.finish(), Err(WavError::Truncated { offset: end as u64 }));
    }

    #[test]
    fn wav_parser_never_panics_on_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..300)) {
        __fuzz_wav_header(&data);
        let mut riff = b"RIFF\xff\xff\xff\xffWAVE".to_vec();
        riff.extend_from_slice(&data);
        __fuzz_wav_header(&riff);
        let mut with_fmt = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        with_fmt.extend_from_slice(&data);
        __fuzz_wav_header(&with_fmt);
    }

    #[test]
    fn silence_meter_is_split_invariant(
        quiet in 0usize..4000,
        level in 0i16..2000,
        loud in prop::collection::vec(any::<i16>(), 0..400),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut pcm: Vec<u8> = (0..quiet).flat_map(|i| (if i % 3 == 0 { level } else { -level / 2 }).to_le_bytes()).collect();
        pcm.extend(loud.iter().flat_map(|s| s.to_le_bytes()));
        let mut whole = LeadingSilenceMeter::for_recognition();
        whole.push(&pcm);
        let mut split = LeadingSilenceMeter::for_recognition();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (pcm.len() + 1)).collect();
        bounds.sort_unstable();
        bounds.push(pcm.len());
        let mut start = 0;
        for end in bounds {
            split.push(&pcm[start..end]);
            start = end;
        }
        prop_assert_eq!(whole.found_sound(), split.found_sound());
        prop_assert_eq!(whole.leading_silence(), split.leading_silence());
        // Never more silence than audio.
        let audio = std::time::Duration::from_nanos((pcm.len() / 2) as u64 * 1_000_000_000 / 16_000);
        prop_assert!(whole.leading_silence() <= audio);
    }
}
