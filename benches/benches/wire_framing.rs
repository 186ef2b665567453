//! Chunked body framing in `speech_proto::wire`, each next to a plain memcpy of the same bytes in the same run:
//!
//! * encoding 1 MiB of audio in 8 KiB chunks with `write_chunk` (copies into a caller buffer) and with
//!   `encode_chunk` (vectored: size line, payload, CRLF; the gather copy stands in for the kernel's `writev`),
//!   against copying the payload itself;
//! * decoding the same body with `BodyDecoder` in one call and in 4 KiB reads, against copying the encoded
//!   bytes.
//!
//! Throughput is in payload bytes, so the numbers compare directly.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use speech_proto::wire::{
    chunk_header, encode_chunk, write_chunk, BodyDecoder, BodyKind, ChunkHeader, Limits, LAST_CHUNK,
};

const PAYLOAD: usize = 1 << 20;
const CHUNK: usize = 8 * 1024;
const READ: usize = 4 * 1024;

fn payload() -> Vec<u8> {
    (0..PAYLOAD as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn chunked(payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::with_capacity(payload.len() + payload.len() / CHUNK * 8 + 8);
    for piece in payload.chunks(CHUNK) {
        wire.extend_from_slice(chunk_header(piece.len()).as_bytes());
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(LAST_CHUNK);
    wire
}

fn encode(c: &mut Criterion) {
    let payload = payload();
    let wire_len = chunked(&payload).len();
    let mut out = vec![0u8; wire_len];
    let mut group = c.benchmark_group("wire_framing/encode");
    group.throughput(Throughput::Bytes(PAYLOAD as u64));
    group.bench_function("memcpy of the payload (baseline)", |b| {
        b.iter(|| {
            let mut pos = 0;
            for piece in black_box(&payload).chunks(CHUNK) {
                out[pos..pos + piece.len()].copy_from_slice(piece);
                pos += piece.len();
            }
            black_box(&out[..pos]);
        })
    });
    group.bench_function("write_chunk (copying)", |b| {
        b.iter(|| {
            let mut pos = 0;
            for piece in black_box(&payload).chunks(CHUNK) {
                let (consumed, written) =
                    write_chunk(piece, &mut out[pos..]).expect("the buffer fits the body");
                debug_assert_eq!(consumed, piece.len());
                pos += written;
            }
            out[pos..pos + LAST_CHUNK.len()].copy_from_slice(LAST_CHUNK);
            black_box(&out[..pos]);
        })
    });
    group.bench_function("encode_chunk (vectored, gathered)", |b| {
        let mut header = ChunkHeader::new();
        b.iter(|| {
            let mut pos = 0;
            for piece in black_box(&payload).chunks(CHUNK) {
                let parts = encode_chunk(&mut header, piece).expect("non-empty piece");
                for part in parts {
                    out[pos..pos + part.len()].copy_from_slice(part);
                    pos += part.len();
                }
            }
            out[pos..pos + LAST_CHUNK.len()].copy_from_slice(LAST_CHUNK);
            black_box(&out[..pos]);
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let payload = payload();
    let wire = chunked(&payload);
    let mut out = vec![0u8; wire.len()];
    let mut group = c.benchmark_group("wire_framing/decode");
    group.throughput(Throughput::Bytes(PAYLOAD as u64));
    group.bench_function("memcpy of the encoded body (baseline)", |b| {
        b.iter(|| {
            let mut pos = 0;
            for piece in black_box(&wire).chunks(READ) {
                out[pos..pos + piece.len()].copy_from_slice(piece);
                pos += piece.len();
            }
            black_box(&out[..pos]);
        })
    });
    group.bench_function("BodyDecoder::decode (one call)", |b| {
        b.iter(|| {
            let mut decoder = BodyDecoder::new(BodyKind::Chunked, Limits::default());
            let d = decoder
                .decode(black_box(&wire), &mut out)
                .expect("valid body");
            assert!(decoder.is_done());
            black_box(&out[..d.produced]);
        })
    });
    group.bench_function("BodyDecoder::decode (4 KiB reads)", |b| {
        b.iter(|| {
            let mut decoder = BodyDecoder::new(BodyKind::Chunked, Limits::default());
            let mut produced = 0;
            for piece in black_box(&wire).chunks(READ) {
                let d = decoder
                    .decode(piece, &mut out[produced..])
                    .expect("valid body");
                debug_assert_eq!(d.consumed, piece.len());
                produced += d.produced;
            }
            assert!(decoder.is_done());
            black_box(&out[..produced]);
        })
    });
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
