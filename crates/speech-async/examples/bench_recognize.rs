//! Throughput benchmark of speech-async on tokio: N recognitions of one WAV file, at most J in flight, over one
//! [`speech_async::Client`] (one connection pool) on one current-thread tokio runtime.
//!
//! The file is read into memory once and sent with [`Client::recognize_bytes`] (known length, key sent on
//! every request: no token exchange). Each recognition counts as a success when it comes back with
//! `RecognitionStatus: Success`; the program prints one summary line and exits non-zero if any failed:
//!
//! ```text
//! bench_recognize: n=1000 j=8 ok=1000 failed=0 seconds=1.234567 per_second=810.0
//! ```
//!
//! `scripts/bench.sh` runs it against a local `speech-emulator --deterministic`, next to curl and the `speech`
//! CLI. Arguments (each falls back to an environment variable, then to a default):
//!
//! `bench_recognize [ENDPOINT [KEY [FILE [N [J]]]]]`
//!
//! | argument | variable         | default                   |
//! |----------|------------------|---------------------------|
//! | ENDPOINT | `BENCH_ENDPOINT` | `http://127.0.0.1:5000`   |
//! | KEY      | `BENCH_KEY`      | `emulator-key`            |
//! | FILE     | `BENCH_FILE`     | `examples/audio/jfk.wav`  |
//! | N        | `BENCH_N`        | `1000`                    |
//! | J        | `BENCH_J`        | `8`                       |
//!
//! `cargo run --release -p speech-async --features tokio --example bench_recognize -- http://127.0.0.1:5000 emulator-key a.wav 1000 8`
//!
//! [`Client::recognize_bytes`]: speech_async::Client::recognize_bytes

use std::process::ExitCode;

#[cfg(feature = "tokio")]
fn main() -> ExitCode {
    match bench::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench_recognize: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "tokio"))]
fn main() -> ExitCode {
    eprintln!("bench_recognize: build with `--features tokio`");
    ExitCode::from(2)
}

#[cfg(feature = "tokio")]
mod bench {
    use std::error::Error;
    use std::process::ExitCode;
    use std::time::Instant;

    use futures_util::stream::{self, StreamExt};
    use speech_async::speech_proto::recognize::RecognitionRequest;
    use speech_async::speech_proto::{Credential, Endpoint};
    use speech_async::{runtime, AuthMode, Client};

    /// The `i`-th argument, else the environment variable `var`, else `default`.
    fn setting(args: &[String], i: usize, var: &str, default: &str) -> String {
        args.get(i)
            .cloned()
            .or_else(|| std::env::var(var).ok())
            .unwrap_or_else(|| default.to_owned())
    }

    fn count(args: &[String], i: usize, var: &str, default: &str) -> Result<usize, Box<dyn Error>> {
        let text = setting(args, i, var, default);
        match text.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{var}: expected a positive number, got {text:?}").into()),
        }
    }

    pub(super) fn run() -> Result<ExitCode, Box<dyn Error>> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let endpoint = setting(&args, 0, "BENCH_ENDPOINT", "http://127.0.0.1:5000");
        let key = setting(&args, 1, "BENCH_KEY", "emulator-key");
        let file = setting(&args, 2, "BENCH_FILE", "examples/audio/jfk.wav");
        let n = count(&args, 3, "BENCH_N", "1000")?;
        let j = count(&args, 4, "BENCH_J", "8")?;

        let audio = std::fs::read(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = Client::builder(Endpoint::base_url(&endpoint)?, Credential::key(&key)?)
            .auth_mode(AuthMode::Key)
            .runtime(runtime::Tokio)
            .build()?;
        let request = RecognitionRequest::new("en-US");

        let (ok, failed, seconds) = runtime.block_on(async {
            let started = Instant::now();
            let mut answers = stream::iter(0..n)
                .map(|_| client.recognize_bytes(&audio, &request))
                .buffer_unordered(j);
            let (mut ok, mut failed) = (0usize, 0usize);
            while let Some(answer) = answers.next().await {
                match answer {
                    Ok(r) if r.is_success() => ok += 1,
                    Ok(r) => {
                        failed += 1;
                        if failed <= 5 {
                            eprintln!("bench_recognize: not a success: {:?}", r.status);
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        if failed <= 5 {
                            eprintln!("bench_recognize: {e}");
                        }
                    }
                }
            }
            (ok, failed, started.elapsed().as_secs_f64())
        });

        println!(
            "bench_recognize: n={n} j={j} ok={ok} failed={failed} seconds={seconds:.6} per_second={:.1}",
            n as f64 / seconds
        );
        Ok(if failed == 0 && ok == n {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
