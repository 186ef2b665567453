//! Detailed recognition result parsing: `speech_proto::recognize::parse_recognition` (typed, tolerant of
//! numbers-as-strings) against `serde_json::from_slice::<serde_json::Value>` (untyped; the floor any JSON
//! parse pays) on the same body.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let body = speech_benches::detailed_result(5);
    let mut group = c.benchmark_group("detailed_result");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("speech_proto::parse_recognition", |b| {
        b.iter(|| speech_proto::recognize::parse_recognition(black_box(&body)))
    });
    group.bench_function("serde_json::Value (alternative)", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
