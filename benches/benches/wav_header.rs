//! WAV header parsing: `speech_proto::audio::parse_wav_header` against `hound::WavReader::new` on the same
//! bytes (hound also reads the header and positions itself at the samples).
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;
use std::io::Cursor;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let wav = speech_benches::wav_with_list_chunk(1600);
    let header_len = 44 + 8 + 22;
    let mut group = c.benchmark_group("wav_header");
    group.throughput(Throughput::Bytes(header_len as u64));
    group.bench_function("speech_proto::parse_wav_header", |b| {
        b.iter(|| speech_proto::audio::parse_wav_header(black_box(&wav)))
    });
    group.bench_function("speech_proto::WavHeaderParser (3 pushes)", |b| {
        b.iter(|| {
            let mut parser = speech_proto::audio::WavHeaderParser::new();
            let (a, rest) = wav.split_at(7);
            let (b2, c2) = rest.split_at(30);
            let _ = parser.push(black_box(a));
            let _ = parser.push(black_box(b2));
            parser.push(black_box(c2))
        })
    });
    group.bench_function("hound::WavReader::new (alternative)", |b| {
        b.iter(|| hound::WavReader::new(Cursor::new(black_box(&wav[..]))).map(|r| r.spec()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
