//! `speech-emulator`: run the local Azure Speech stand-in until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use speech_emulator::engine::{Recognizer, Synthesizer};
use speech_emulator::engines::scripted::ScriptedRecognizer;
use speech_emulator::engines::system_tts::SystemTts;
use speech_emulator::engines::tone::ToneSynthesizer;
use speech_emulator::Emulator;

/// A local, offline stand-in for the Azure Speech REST service (token, speech-to-text, text-to-speech,
/// voices list).
#[derive(Debug, Parser)]
#[command(name = "speech-emulator", version)]
struct Args {
    /// Loopback port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 5000)]
    port: u16,
    /// Accepted subscription key (repeat for several). Default: `emulator-key`.
    #[arg(long = "key", env = "SPEECH_EMULATOR_KEY", value_delimiter = ',')]
    keys: Vec<String>,
    /// Region named in issued tokens.
    #[arg(long, default_value = "westus")]
    region: String,
    /// Serve HTTPS with a generated certificate for localhost (see --ca-cert-out).
    #[arg(long)]
    tls: bool,
    /// With --tls, write the CA certificate (PEM) that clients must trust to this file.
    #[arg(long, value_name = "PATH", requires = "tls")]
    ca_cert_out: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 600)]
    token_lifetime_secs: u64,
    /// Accept `Authorization: Bearer aad#<this resource id>#<token>`.
    #[arg(long, value_name = "RESOURCE_ID")]
    entra_resource_id: Option<String>,
    /// Use the deterministic engines (scripted recognizer, tone synthesizer) even when real ones exist.
    #[arg(long)]
    deterministic: bool,
}

#[cfg(whisper_engine)]
fn real_recognizer() -> Result<Arc<dyn Recognizer>, String> {
    use speech_emulator::engines::whisper::WhisperRecognizer;
    WhisperRecognizer::load_default()
        .map(|r| Arc::new(r) as Arc<dyn Recognizer>)
        .map_err(|e| e.to_string())
}

#[cfg(not(whisper_engine))]
fn real_recognizer() -> Result<Arc<dyn Recognizer>, String> {
    Err("built without the `whisper` feature".to_owned())
}

fn engines(deterministic: bool) -> (Arc<dyn Recognizer>, Arc<dyn Synthesizer>) {
    if deterministic {
        eprintln!("speech-emulator: deterministic engines (scripted recognizer, tone synthesizer)");
        return (
            Arc::new(ScriptedRecognizer::new()),
            Arc::new(ToneSynthesizer::new()),
        );
    }
    let recognizer = match real_recognizer() {
        Ok(r) => {
            eprintln!("speech-emulator: speech-to-text engine: {}", r.name());
            r
        }
        Err(why) => {
            eprintln!(
                "speech-emulator: speech-to-text engine: scripted (no real recognizer: {why})"
            );
            Arc::new(ScriptedRecognizer::new())
        }
    };
    let synthesizer: Arc<dyn Synthesizer> = match SystemTts::detect() {
        Ok(s) => {
            eprintln!("speech-emulator: text-to-speech engine: {}", s.name());
            Arc::new(s)
        }
        Err(why) => {
            eprintln!(
                "speech-emulator: text-to-speech engine: tone (no system synthesizer: {why})"
            );
            Arc::new(ToneSynthesizer::new())
        }
    };
    (recognizer, synthesizer)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let (recognizer, synthesizer) = engines(args.deterministic);
    let mut builder = Emulator::builder()
        .port(args.port)
        .region(args.region)
        .tls(args.tls)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .recognizer(recognizer)
        .synthesizer(synthesizer);
    for key in args.keys {
        builder = builder.key(key);
    }
    if let Some(id) = args.entra_resource_id {
        builder = builder.entra_resource_id(id);
    }
    let emu = match builder.start().await {
        Ok(emu) => emu,
        Err(e) => {
            eprintln!("speech-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&args.ca_cert_out, emu.ca_cert_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!("speech-emulator: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!(
            "speech-emulator: CA certificate written to {}",
            path.display()
        );
    }
    // The key printed is the emulator's own test key, which the user chose or the documented default.
    println!(
        "speech-emulator listening on {} (region {}, key {})",
        emu.base_url(),
        emu.region(),
        emu.key()
    );
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("speech-emulator: cannot listen for Ctrl-C; stopping");
    }
    emu.shutdown();
    emu.stopped().await;
    ExitCode::SUCCESS
}
