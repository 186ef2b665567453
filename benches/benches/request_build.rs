//! Recognition request building: `speech_proto::recognize::RecognitionRequest::build` (validates every
//! value, percent-encodes the query, checks header values) against building the same `http::Request` by hand
//! with `format!` and no checks.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use speech_proto::endpoint::Endpoint;
use speech_proto::recognize::{BodyLength, RecognitionRequest, ResultFormat};

fn bench(c: &mut Criterion) {
    let endpoint = Endpoint::region("westeurope").expect("valid region");
    let request = RecognitionRequest::new("en-US")
        .format(ResultFormat::Detailed)
        .body_length(BodyLength::Chunked);
    let mut group = c.benchmark_group("recognition_request");
    group.bench_function("speech_proto::RecognitionRequest::build", |b| {
        b.iter(|| black_box(&request).build(black_box(&endpoint)))
    });
    group.bench_function("hand-written http::Request (alternative)", |b| {
        b.iter(|| {
            let region = black_box("westeurope");
            let language = black_box("en-US");
            http::Request::post(format!(
                "https://{region}.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language={language}&format=detailed"
            ))
            .header("Accept", "application/json")
            .header("Content-Type", "audio/wav; codecs=audio/pcm; samplerate=16000")
            .header("Transfer-Encoding", "chunked")
            .header("Expect", "100-continue")
            .body(())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
