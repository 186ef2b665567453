//! Decoding and resampling: a 10-minute 44.1 kHz stereo MP3 (flite speech with pauses, LAME 128 kbit/s) to
//! 16 kHz mono 16-bit PCM, by `speech_audio::decode::Decoder` (symphonia + rubato's FFT resampler) and by
//! `ffmpeg -threads 1` doing the same conversion into a pipe, in the same run. Both use one core.
//!
//! Throughput is in seconds of audio: criterion's `elem/s` is the speed in multiples of real time (the goal is
//! ≥ 100×). Needs flite (for the speech) and, for the comparison, ffmpeg: `bash scripts/setup.sh` installs
//! both. Without ffmpeg the comparison is skipped with a message.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use speech_audio::decode::Decoder;
use speech_emulator::fixtures::{mp3_stereo, resample_linear, speak, SENTENCES};

/// The recording's length in seconds.
const SECONDS: usize = 600;

/// Ten minutes of speech as a 44.1 kHz stereo MP3 file.
fn ten_minute_mp3(dir: &Path) -> std::path::PathBuf {
    let script: Vec<(Duration, &str)> = SENTENCES
        .iter()
        .enumerate()
        .map(|(i, s)| (Duration::from_millis(600 + 300 * (i as u64 % 5)), *s))
        .collect();
    let spoken = speak(&script).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    let mut samples: Vec<i16> = spoken
        .samples
        .iter()
        .copied()
        .cycle()
        .take(16_000 * SECONDS)
        .collect();
    samples.shrink_to_fit();
    let channel = resample_linear(&samples, 16_000, 44_100);
    // Slightly different channels, as a real stereo recording has.
    let right: Vec<i16> = channel.iter().map(|&s| s / 2 + s / 4).collect();
    let mp3 = mp3_stereo(44_100, &channel, &right).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("ten-minutes.mp3");
    std::fs::write(&path, mp3).expect("write the MP3");
    path
}

/// Our decoder: the number of 16 kHz samples.
fn speech_audio(path: &Path) -> usize {
    let file = std::fs::File::open(path).expect("open");
    let mut decoder = Decoder::open_file(file, Some("mp3")).expect("an MP3");
    let mut n = 0;
    while let Some(chunk) = decoder.next_chunk().expect("decodes") {
        n += black_box(chunk).len();
    }
    n
}

/// ffmpeg, one thread, into a pipe: the number of 16 kHz samples.
fn ffmpeg(path: &Path) -> usize {
    let mut child = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-threads",
            "1",
            "-i",
        ])
        .arg(path)
        .args(["-ac", "1", "-ar", "16000", "-f", "s16le", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ffmpeg");
    let mut out = child.stdout.take().expect("piped");
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0;
    loop {
        match out.read(&mut buffer).expect("read") {
            0 => break,
            n => bytes += n,
        }
    }
    assert!(child.wait().expect("wait").success());
    bytes / 2
}

fn has_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = ten_minute_mp3(dir.path());
    let ours = speech_audio(&path);
    assert!(
        ours.abs_diff(16_000 * SECONDS) < 16_000,
        "{ours} samples for {SECONDS} s"
    );

    let mut group = c.benchmark_group("decode_resample_10min_mp3");
    group.throughput(Throughput::Elements(SECONDS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(40));
    group.bench_function("speech_audio::Decoder (symphonia + rubato)", |b| {
        b.iter(|| speech_audio(&path))
    });
    if has_ffmpeg() {
        let theirs = ffmpeg(&path);
        assert!(theirs.abs_diff(ours) < 16_000, "ffmpeg {theirs} vs {ours}");
        group.bench_function("ffmpeg -threads 1 (alternative)", |b| {
            b.iter(|| ffmpeg(&path))
        });
    } else {
        eprintln!("ffmpeg is not installed (scripts/setup.sh installs it): no comparison");
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
