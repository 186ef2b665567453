//! The emulator serves Microsoft's own Speech SDKs' `TranslationRecognizer` unchanged, each from the throwaway
//! environment `scripts/setup.sh` makes: `azure-cognitiveservices-speech` 1.53.0 for Python
//! (`SpeechTranslationConfig(host=…)`, `scripts/speech-sdk-translate.py`) and `microsoft-cognitiveservices-speech-sdk`
//! 1.52.0 for JavaScript on Node.js (`SpeechTranslationConfig.fromHost`, `scripts/speech-sdk-translate.js`), over
//! the universal v2 path, with the real engines: Spanish, French and German sentences spoken by Pico, recognized
//! and translated into English by Whisper. Recognize-once gives the first sentence and continuous recognition
//! every sentence, each `TranslatedSpeech` with its source text and an English translation that carries the
//! meaning: at least 80 % of the expected English content words over all sentences, for each SDK (`|` separates
//! words that count alike). Each language's share is printed; Whisper `base` translates "Je voudrais une tasse de
//! café." as "I will give you a cup of coffee.", so French alone stays under 80 % (7 of 9 words).

#![cfg(whisper_engine)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use speech_emulator::engine::{SynthesisInput, Synthesizer};
use speech_emulator::engines::system_tts::SystemTts;
use speech_emulator::engines::whisper::WhisperRecognizer;
use speech_emulator::Emulator;

/// Write `sentences` spoken by Pico, each after `pause_ms` of silence, then a second of silence, as a 16 kHz WAV.
fn speak(tts: &SystemTts, locale: &str, voice: &str, sentences: &[&str], path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec).unwrap();
    for sentence in sentences {
        for _ in 0..16_000 * 6 / 10 {
            wav.write_sample(0i16).unwrap();
        }
        let pcm = tts
            .synthesize(SynthesisInput {
                text: sentence,
                locale,
                engine_voice: voice,
                rate: 1.0,
            })
            .unwrap()
            .resampled(16_000);
        for s in pcm.samples {
            wav.write_sample(s).unwrap();
        }
    }
    for _ in 0..16_000 {
        wav.write_sample(0i16).unwrap();
    }
    wav.finalize().unwrap();
}

/// Content words found in a result's English translation, and how many were expected.
fn score(result: &Value, words: &[&str]) -> (usize, usize) {
    let english = result["translations"]["en"].as_str().unwrap_or_default();
    (
        speech_emulator::fixtures::content_words_found(english, words),
        words.len(),
    )
}

fn run(mut command: Command, host: &str, locale: &str, once: &Path, continuous: &Path) -> Value {
    let output = command
        .args([host, "sdk-key", locale, "en"])
        .arg(once)
        .arg(continuous)
        .output()
        .expect("the SDK's script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn microsofts_sdks_translate_spanish_french_and_german_into_english() {
    let tts = SystemTts::detect().expect("flite, Pico or espeak-ng: run scripts/setup.sh");
    assert!(
        tts.pico().is_some(),
        "pico2wave is not installed: run scripts/setup.sh"
    );
    let recognizer = WhisperRecognizer::load_default().unwrap_or_else(|e| panic!("{e}"));
    let emu = Emulator::builder()
        .key("sdk-key")
        .recognizer(Arc::new(recognizer))
        .start_blocking()
        .expect("emulator starts");
    let host = emu.base_url().replace("http://", "ws://");
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    // Content words found and expected, per SDK.
    let mut totals = [(0, 0), (0, 0)];
    for (locale, voice, sentences) in speech_emulator::fixtures::TRANSLATION_SENTENCES {
        // The first sentence alone, then the first and the last: two phrases.
        let sentences = [sentences[0], sentences[2]];
        let once = dir.path().join(format!("{locale}-once.wav"));
        let continuous = dir.path().join(format!("{locale}-continuous.wav"));
        speak(&tts, locale, voice, &[sentences[0].0], &once);
        speak(
            &tts,
            locale,
            voice,
            &[sentences[0].0, sentences[1].0],
            &continuous,
        );

        let python = Command::new(common::venv_python(
            "venv-speech-sdk",
            "azure-cognitiveservices-speech",
        ));
        let mut python = python;
        python.arg(speech_emulator::fixtures::repo_path(
            "scripts/speech-sdk-translate.py",
        ));
        let mut node = Command::new("node");
        node.env("NODE_PATH", common::speech_sdk_js_modules()).arg(
            speech_emulator::fixtures::repo_path("scripts/speech-sdk-translate.js"),
        );
        for (n, (sdk, command)) in [("python", python), ("javascript", node)]
            .into_iter()
            .enumerate()
        {
            let out = run(command, &host, locale, &once, &continuous);
            println!("{sdk} {locale}: {out}");
            let mut results = vec![(&out["once"], sentences[0].1)];
            let continuous = out["continuous"].as_array().cloned().unwrap_or_default();
            if continuous.len() != 2 {
                failures.push(format!(
                    "{sdk} {locale}: {} continuous results",
                    continuous.len()
                ));
                continue;
            }
            for (r, (_, words)) in continuous.iter().zip(&sentences) {
                results.push((r, words));
            }
            let (mut found, mut expected) = (0, 0);
            for (r, words) in results {
                assert!(
                    r["reason"]
                        .as_str()
                        .is_some_and(|s| s.ends_with("TranslatedSpeech")),
                    "{sdk} {locale}: {r}"
                );
                assert!(!r["text"].as_str().unwrap_or_default().is_empty(), "{r}");
                let (hits, of) = score(r, words);
                found += hits;
                expected += of;
            }
            // Offsets increase across the continuous results.
            assert!(
                continuous[1]["offset"].as_u64() > continuous[0]["offset"].as_u64(),
                "{sdk} {locale}: {continuous:?}"
            );
            println!("{sdk} {locale}: {found} of {expected} content words");
            totals[n].0 += found;
            totals[n].1 += expected;
        }
    }
    for (sdk, (found, expected)) in ["python", "javascript"].iter().zip(totals) {
        println!("{sdk}: {found} of {expected} content words in all");
        if found * 10 < expected * 8 {
            failures.push(format!("{sdk}: {found} of {expected} content words"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
