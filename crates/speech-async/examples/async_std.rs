//! Recognize `examples/audio/jfk.wav` and synthesize a sentence with speech-async on async-std.
//!
//! With `SPEECH_KEY` and `SPEECH_REGION` set, this talks to Azure; otherwise it starts the local emulator
//! (whose deterministic recognizer answers a fixed sentence).
//!
//! `cargo run -p speech-async --example async_std --features async-std`

use std::error::Error;

use futures_util::StreamExt;
use speech_async::speech_proto::recognize::RecognitionRequest;
use speech_async::speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
use speech_async::speech_proto::{Credential, Endpoint};
use speech_async::{runtime, Client};

const JFK: &[u8] = include_bytes!("../../../examples/audio/jfk.wav");

fn main() -> Result<(), Box<dyn Error>> {
    // Keep the emulator (if any) alive until the end.
    let (endpoint, credential, _emulator) =
        match (std::env::var("SPEECH_KEY"), std::env::var("SPEECH_REGION")) {
            (Ok(key), Ok(region)) => (Endpoint::region(&region)?, Credential::key(&key)?, None),
            _ => {
                let emulator = speech_emulator::Emulator::builder().start_blocking()?;
                println!(
                    "SPEECH_KEY/SPEECH_REGION not set: using the local emulator at {}",
                    emulator.base_url()
                );
                (
                    Endpoint::base_url(emulator.base_url())?,
                    Credential::key(emulator.key())?,
                    Some(emulator),
                )
            }
        };
    let client = Client::builder(endpoint, credential)
        .runtime(runtime::AsyncStd)
        .build()?;
    async_std::task::block_on(run(client))
}

async fn run(client: Client) -> Result<(), Box<dyn Error>> {
    // Speech to text: stream the file up (chunked), as any `futures_io::AsyncRead` would be.
    let result = client
        .recognize(JFK, &RecognitionRequest::new("en-US"))
        .await?;
    println!(
        "recognized: {}",
        result.display_text().unwrap_or("<nothing>")
    );

    // Text to speech: audio chunks as they arrive.
    let ssml = Ssml::simple(
        "en-US",
        "en-US-AvaNeural",
        "Ask not what your country can do for you.",
    );
    let request = SynthesisRequest::new(
        &ssml,
        OutputFormat::Riff16Khz16BitMonoPcm,
        "speech-async-example/1.0",
    )?;
    let mut audio = client.synthesize(&request).await?;
    let (mut chunks, mut bytes) = (0, 0);
    while let Some(chunk) = audio.next().await {
        chunks += 1;
        bytes += chunk?.len();
    }
    println!(
        "synthesized {bytes} bytes of {} in {chunks} chunks",
        audio.format().as_str()
    );
    println!("token fetches: {}", client.token_fetches());
    Ok(())
}
