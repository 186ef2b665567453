//! Recordings for tests: real synthesized speech with pauses of known length, so that a test knows where
//! each sentence starts (voice-activity detectors and recognizers need speech, not tones).

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::{EngineError, SynthesisInput, Synthesizer};
use crate::engines::system_tts::SystemTts;

/// A file of this repository (`examples/audio/jfk.wav`, `scripts/…`, `fuzz/corpus/…`), for tests and examples.
///
/// Found from the crate directory that cargo and nextest give a test when they run it (`CARGO_MANIFEST_DIR`;
/// every crate sits in `crates/<name>`), else from where this crate was compiled: the target directory is shared
/// between clones (`scripts/env.sh`), so a test binary may have been compiled in another clone than the one it
/// runs in, and must read the files of the one it runs in.
pub fn repo_path(relative: &str) -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    crate_dir.join("../..").join(relative)
}

/// A tool `scripts/setup.sh` installs for the tests under the cache directory (`$SPEECH_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/speech-rs`, else `~/.cache/speech-rs`): a virtualenv of one of Microsoft's Python clients
/// (`venv-speech-sdk`, …), the aligners' (`venv-aligners`), or the Speech SDK for JavaScript
/// (`npm-speech-sdk`). The path, whether or not it exists.
pub fn tool_dir(name: &str) -> PathBuf {
    std::env::var_os("SPEECH_CACHE_DIR")
        .map_or_else(
            || {
                let base = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                    || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
                    PathBuf::from,
                );
                base.join("speech-rs")
            },
            PathBuf::from,
        )
        .join(name)
}

/// The Python of the virtualenv [`tool_dir`]`(venv)`, or what to run when it is missing (`package` names what
/// `scripts/setup.sh` installs there).
///
/// # Errors
///
/// A message naming the missing interpreter and the setup script.
pub fn venv_python(venv: &str, package: &str) -> Result<PathBuf, String> {
    let python = tool_dir(venv).join("bin/python");
    if python.exists() {
        Ok(python)
    } else {
        Err(format!(
            "{} is missing: run scripts/setup.sh (it installs {package})",
            python.display()
        ))
    }
}

/// A sentence to translate and the English content words its translation should hold (`|` separates words
/// that count alike).
pub type TranslationCase = (&'static str, &'static [&'static str]);

/// Sentences for the speech-translation tests, per language: the locale, the engine voice that speaks it (Pico's
/// language code) and three sentences with the English content words each translation should hold.
pub const TRANSLATION_SENTENCES: [(&str, &str, [TranslationCase; 3]); 3] = [
    (
        "de-DE",
        "de",
        [
            (
                "Ich möchte eine Tasse Kaffee bestellen.",
                &["cup", "coffee", "order|like|want"],
            ),
            (
                "Der Zug fährt morgen früh nach Berlin.",
                &["train", "tomorrow", "morning", "berlin"],
            ),
            (
                "Die Kinder spielen im Garten hinter dem Haus.",
                &["children|kids", "play|playing", "garden", "house"],
            ),
        ],
    ),
    (
        "fr-FR",
        "fr",
        [
            (
                "Je voudrais une tasse de café.",
                &["cup", "coffee", "like|want"],
            ),
            (
                "Le train part demain matin pour Paris.",
                &["train", "tomorrow", "morning", "paris"],
            ),
            (
                "Les enfants jouent dans le jardin.",
                &["children|kids", "play|playing", "garden"],
            ),
        ],
    ),
    (
        "es-ES",
        "es",
        [
            (
                "Quisiera una taza de café, por favor.",
                &["cup", "coffee", "please"],
            ),
            (
                "El tren sale mañana por la mañana para Madrid.",
                &["train", "tomorrow", "morning", "madrid"],
            ),
            (
                "Los niños juegan en el parque después de la escuela.",
                &["children|kids", "play|playing", "park", "school"],
            ),
        ],
    ),
];

/// How many of `words` (each a `|`-separated set of words that count alike) the English `text` holds, as
/// whole words, ignoring case and punctuation.
pub fn content_words_found(text: &str, words: &[&str]) -> usize {
    let heard: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    words
        .iter()
        .filter(|w| w.split('|').any(|alt| heard.iter().any(|h| h == alt)))
        .count()
}

/// A script spoken by the system synthesizer, at 16 kHz mono.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spoken {
    /// The recording: each sentence after its pause, then one second of silence.
    pub samples: Vec<i16>,
    /// Where each sentence's voice starts (the synthesizer's own lead-in silence excluded).
    pub starts: Vec<Duration>,
}

impl Spoken {
    /// The recording's length.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / 16_000.0)
    }
}

/// Speaks `script` — pairs of (silence before, English sentence) — with flite's `slt` voice. Needs flite
/// (`scripts/setup.sh` installs it); the error says so when it is missing.
pub fn speak(script: &[(Duration, &str)]) -> Result<Spoken, EngineError> {
    let voiced: Vec<(Duration, &str, &str)> = script
        .iter()
        .map(|(pause, text)| (*pause, "slt", *text))
        .collect();
    speak_as(&voiced)
}

/// Speaks `script` — triples of (silence before, flite voice, English sentence) — for dialogues: flite's
/// 16 kHz voices are `slt` (a woman), `rms` and `awb` (men).
pub fn speak_as(script: &[(Duration, &str, &str)]) -> Result<Spoken, EngineError> {
    let tts = SystemTts::detect()?;
    if tts.flite().is_none() {
        return Err(EngineError::new(
            "flite is not installed: run scripts/setup.sh",
        ));
    }
    let mut samples = Vec::new();
    let mut starts = Vec::new();
    for (pause, voice, text) in script {
        samples.extend(std::iter::repeat_n(
            0i16,
            (pause.as_secs_f64() * 16_000.0) as usize,
        ));
        let pcm = tts.synthesize(SynthesisInput {
            text,
            locale: "en-US",
            engine_voice: voice,
            rate: 1.0,
        })?;
        if pcm.sample_rate != 16_000 {
            return Err(EngineError::new(format!(
                "flite answered at {} Hz, not 16 kHz",
                pcm.sample_rate
            )));
        }
        let lead = pcm
            .samples
            .iter()
            .position(|s| s.unsigned_abs() > 500)
            .unwrap_or(0);
        starts.push(Duration::from_secs_f64(
            (samples.len() + lead) as f64 / 16_000.0,
        ));
        samples.extend(pcm.samples);
    }
    samples.extend(std::iter::repeat_n(0i16, 16_000));
    Ok(Spoken { samples, starts })
}

/// Plain English sentences for long test recordings (no numbers, no names the recognizer might spell
/// differently).
pub const SENTENCES: &[&str] = &[
    "The meeting will start in a few minutes.",
    "Please take a seat and make yourself comfortable.",
    "We have a lot of ground to cover today.",
    "First we will look at the results from last month.",
    "Sales were higher than we expected in the spring.",
    "The new office opened on time and under budget.",
    "Our team in the north had a very good quarter.",
    "Customers like the faster delivery of their orders.",
    "We still need to improve the quality of our support.",
    "Some calls took much too long to answer.",
    "The plan is to hire more people for the help desk.",
    "Training for the new staff begins next week.",
    "Let us now turn to the budget for the coming year.",
    "Costs for travel went down after the change in policy.",
    "We will spend more on research and development.",
    "The board wants a clear report by the end of the month.",
    "Each team should send its numbers to the finance group.",
    "Please keep your answers short and to the point.",
    "The website will get a fresh design in the summer.",
    "Mobile users are now the largest group of visitors.",
    "We should test every page on small screens.",
    "The old servers will be turned off in the autumn.",
    "Moving to the cloud saves us time and money.",
    "Security remains our most important concern.",
    "Every laptop must have the latest updates installed.",
    "Passwords should be long and hard to guess.",
    "We will run a short drill to practice our response.",
    "The next topic is the plan for the summer party.",
    "Everyone is welcome to bring their families along.",
    "There will be food, music and games for the children.",
    "The party takes place in the park near the river.",
    "If it rains we will move everything indoors.",
    "Please let us know if you can help with the setup.",
    "We are looking for volunteers to welcome the guests.",
    "That brings us to the end of the main points.",
    "Are there any questions from the room at this time?",
    "Thank you all for your hard work this year.",
    "The notes from this meeting will be shared tomorrow.",
    "Our next meeting is planned for the first week of next month.",
    "Have a good afternoon and see you soon.",
    "The coffee machine on the second floor is fixed.",
    "Remember to turn off the lights when you leave.",
];

/// `samples` at `from` Hz, at `to` Hz by linear interpolation (crude, but speech stays speech; the
/// decoders under test resample with a band-limited filter).
pub fn resample_linear(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if samples.is_empty() || from == 0 || to == 0 {
        return Vec::new();
    }
    let n = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let step = f64::from(from) / f64::from(to);
    (0..n)
        .map(|i| {
            let x = i as f64 * step;
            let j = x as usize;
            let frac = x - j as f64;
            let a = f64::from(samples[j.min(samples.len() - 1)]);
            let b = f64::from(samples[(j + 1).min(samples.len() - 1)]);
            (a + (b - a) * frac).round() as i16
        })
        .collect()
}

/// An MP3 (LAME, 128 kbit/s CBR, no VBR tag) of stereo audio at `rate` Hz, as a phone or recorder writes
/// one. Errors are LAME's, as text. (With the default `mp3` feature.)
#[cfg(feature = "mp3")]
pub fn mp3_stereo(rate: u32, left: &[i16], right: &[i16]) -> Result<Vec<u8>, EngineError> {
    use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushNoGap, Quality};
    let lame =
        |what: &str, e: &dyn std::fmt::Display| EngineError::new(format!("LAME {what}: {e}"));
    let mut builder = Builder::new().ok_or_else(|| EngineError::new("LAME: no encoder"))?;
    builder
        .set_num_channels(2)
        .map_err(|e| lame("channels", &e))?;
    builder
        .set_sample_rate(rate)
        .map_err(|e| lame("rate", &e))?;
    builder
        .set_brate(Bitrate::Kbps128)
        .map_err(|e| lame("bit rate", &e))?;
    builder
        .set_to_write_vbr_tag(false)
        .map_err(|e| lame("VBR tag", &e))?;
    builder
        .set_quality(Quality::Good)
        .map_err(|e| lame("quality", &e))?;
    let mut encoder = builder.build().map_err(|e| lame("setup", &e))?;
    let mut out = Vec::new();
    for (l, r) in left.chunks(1152 * 16).zip(right.chunks(1152 * 16)) {
        out.reserve(mp3lame_encoder::max_required_buffer_size(l.len()));
        encoder
            .encode_to_vec(DualPcm { left: l, right: r }, &mut out)
            .map_err(|e| lame("encode", &e))?;
    }
    out.reserve(mp3lame_encoder::max_required_buffer_size(0));
    encoder
        .flush_to_vec::<FlushNoGap>(&mut out)
        .map_err(|e| lame("flush", &e))?;
    Ok(out)
}

/// Three lines of a phone call between a woman (`slt`) and a man (`rms`), after pauses of 0.6, 0.9 and 0.9 s:
/// a short recording with two clearly different voices, for diarization tests.
pub fn short_dialogue() -> Result<Spoken, EngineError> {
    speak_as(&[
        (
            Duration::from_millis(600),
            "slt",
            "Good afternoon, how can I help you?",
        ),
        (
            Duration::from_millis(900),
            "rms",
            "I would like to change my address.",
        ),
        (
            Duration::from_millis(900),
            "slt",
            "Of course, what is the new one?",
        ),
    ])
}
