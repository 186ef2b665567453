//! Speech synthesis by running the system's `flite`, `pico2wave` and `espeak-ng` programs.
//!
//! - English voices `slt`, `rms`, `awb` and `kal` are spoken by `flite -voice <v> -t TEXT -o FILE` (BSD-style
//!   licence, 8 or 16 kHz). Whisper recognises flite's voices nearly perfectly, which makes round trips exact.
//! - German, French, Spanish and Italian voices (by the voice's locale: `de-*`, `fr-*`, `es-*`, `it-*`) are
//!   spoken by SVOX Pico, `pico2wave -l <de-DE|fr-FR|es-ES|it-IT> -w FILE` with the text on standard input
//!   (16 kHz, one female voice per language; Debian's `libttspico-utils`, in its non-free archive). Whisper hears
//!   Pico's voices about as well as a person's; espeak-ng's formant voices in these languages it often cannot
//!   (word error rates of 27–100 % were measured, against 0–8 % with Pico). Pico reads a few markup tags inside
//!   its text, some of which name files (`<genfile>`, `<play>`), so `<` and `>` in the text become `‹` and `›`
//!   before Pico sees it; the speaking rate is Pico's own `<speed level>` tag.
//! - Every other engine voice is an espeak-ng voice code (`de`, `fr`, `cmn`, `en-gb`, …) and is spoken by
//!   `espeak-ng -v <code> -s <wpm> -w FILE -- TEXT` (22 050 Hz). The default speed is 150 words per minute, a
//!   little slower than espeak-ng's own 175, because recognisers hear it much better.
//!   espeak-ng speaks an unknown voice code with its default voice rather than failing, so the mapping from
//!   Azure voices to codes has to use codes that `espeak-ng --voices` lists. Voices Pico would speak fall back to
//!   espeak-ng when `pico2wave` is not installed.
//! - When flite is not installed, English voices fall back to Pico (`en-US`, or `en-GB` for `en-GB`), then to
//!   espeak-ng (`en-us` or `en-gb`).
//!
//! The programs are run directly (never through a shell) and never linked, so espeak-ng's GPL does not reach this
//! crate. The text goes in as one argument per chunk (Pico: on standard input): control characters become spaces,
//! and text longer than [`MAX_CHUNK_CHARS`] is split at sentence or word boundaries and the chunks' audio is
//! joined. Each run is killed if it takes longer than [`RUN_TIMEOUT`].
//!
//! Install the programs with `scripts/setup.sh`.

use std::env;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::engine::{EngineError, Pcm, SynthesisInput, Synthesizer};

/// The longest piece of text handed to one run of a program, in characters.
pub const MAX_CHUNK_CHARS: usize = 1000;

/// The longest one run of a program may take before it is killed.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest WAV file a program may produce (about 50 minutes of 22 kHz audio).
const MAX_WAV_BYTES: u64 = 128 * 1024 * 1024;

/// The most text (in bytes) kept from a failed program's standard error for the error message.
const MAX_STDERR_BYTES: u64 = 2048;

/// espeak-ng's speed at rate 1.0, in words per minute.
const ESPEAK_DEFAULT_WPM: f64 = 150.0;

/// The engine voices flite speaks.
const FLITE_VOICES: &[&str] = &["slt", "rms", "awb", "kal"];

const SETUP_HINT: &str = "run scripts/setup.sh";

/// Pico's speaking speed at rate 1.0 (its `<speed level>`; 100 is its normal speed).
const PICO_DEFAULT_SPEED: f64 = 100.0;

/// A [`Synthesizer`] that runs `flite` (English), `pico2wave` (German, French, Spanish, Italian) and `espeak-ng`
/// (every other language) as programs.
#[derive(Clone, Debug)]
pub struct SystemTts {
    flite: Option<PathBuf>,
    pico: Option<PathBuf>,
    espeak_ng: Option<PathBuf>,
}

impl SystemTts {
    /// Finds `flite`, `pico2wave` and `espeak-ng` on `PATH`. Succeeds when at least one is there; a voice whose
    /// programs are all missing then fails with an error that names them.
    pub fn detect() -> Result<Self, EngineError> {
        let tts = Self::from_paths(find_on_path("flite"), find_on_path("espeak-ng"))
            .with_pico(find_on_path("pico2wave"));
        if tts.flite.is_none() && tts.pico.is_none() && tts.espeak_ng.is_none() {
            return Err(EngineError::new(format!(
                "none of flite, pico2wave and espeak-ng is installed (searched PATH): {SETUP_HINT}"
            )));
        }
        Ok(tts)
    }

    /// Uses the given programs (`None` for one that is not installed), for installs outside `PATH`. Pico is not
    /// used unless [`with_pico`](Self::with_pico) names it.
    pub fn from_paths(flite: Option<PathBuf>, espeak_ng: Option<PathBuf>) -> Self {
        Self {
            flite,
            pico: None,
            espeak_ng,
        }
    }

    /// Uses `pico2wave` at this path (`None`: not installed) for the languages Pico speaks.
    #[must_use]
    pub fn with_pico(mut self, pico2wave: Option<PathBuf>) -> Self {
        self.pico = pico2wave;
        self
    }

    /// The `flite` program in use, if any.
    pub fn flite(&self) -> Option<&Path> {
        self.flite.as_deref()
    }

    /// The `pico2wave` program in use, if any.
    pub fn pico(&self) -> Option<&Path> {
        self.pico.as_deref()
    }

    /// The `espeak-ng` program in use, if any.
    pub fn espeak_ng(&self) -> Option<&Path> {
        self.espeak_ng.as_deref()
    }

    /// Decides which program speaks `input`, with its voice and speed arguments.
    fn plan(&self, input: &SynthesisInput<'_>) -> Result<Run, EngineError> {
        let rate = sanitize_rate(input.rate);
        let voice = input.engine_voice;
        if FLITE_VOICES.contains(&voice) {
            if let Some(flite) = &self.flite {
                return Ok(Run::Flite {
                    program: flite.clone(),
                    voice: voice.to_owned(),
                    duration_stretch: 1.0 / rate,
                });
            }
            let british = input.locale.eq_ignore_ascii_case("en-GB");
            if let Some(pico) = &self.pico {
                return Ok(Run::Pico {
                    program: pico.clone(),
                    language: if british { "en-GB" } else { "en-US" },
                    speed: pico_speed(rate),
                });
            }
            let espeak = self.espeak_ng.clone().ok_or_else(|| {
                EngineError::new(format!(
                    "voice {voice:?} needs flite (or pico2wave or espeak-ng as a fallback), and none is \
                     installed: {SETUP_HINT}"
                ))
            })?;
            let code = if british { "en-gb" } else { "en-us" };
            return Ok(Run::Espeak {
                program: espeak,
                voice: code.to_owned(),
                wpm: espeak_wpm(rate),
            });
        }
        if voice.is_empty()
            || voice.starts_with('-')
            || !voice
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
        {
            return Err(EngineError::new(format!(
                "invalid espeak-ng voice code {voice:?}"
            )));
        }
        if let (Some(pico), Some(language)) = (&self.pico, pico_language(input.locale)) {
            return Ok(Run::Pico {
                program: pico.clone(),
                language,
                speed: pico_speed(rate),
            });
        }
        let espeak = self.espeak_ng.clone().ok_or_else(|| {
            let programs = if pico_language(input.locale).is_some() {
                "pico2wave or espeak-ng, and neither is"
            } else {
                "espeak-ng, which is not"
            };
            EngineError::new(format!(
                "voice {voice:?} ({}) needs {programs} installed: {SETUP_HINT}",
                input.locale
            ))
        })?;
        Ok(Run::Espeak {
            program: espeak,
            voice: voice.to_owned(),
            wpm: espeak_wpm(rate),
        })
    }
}

impl Synthesizer for SystemTts {
    fn name(&self) -> &str {
        match (&self.flite, &self.pico, &self.espeak_ng) {
            (Some(_), Some(_), Some(_)) => "flite+pico2wave+espeak-ng",
            (Some(_), Some(_), None) => "flite+pico2wave",
            (Some(_), None, Some(_)) => "flite+espeak-ng",
            (Some(_), None, None) => "flite",
            (None, Some(_), Some(_)) => "pico2wave+espeak-ng",
            (None, Some(_), None) => "pico2wave",
            (None, None, _) => "espeak-ng",
        }
    }

    fn synthesize(&self, input: SynthesisInput<'_>) -> Result<Pcm, EngineError> {
        let run = self.plan(&input)?;
        let text = clean_text(input.text);
        let mut pcm = Pcm {
            sample_rate: 0,
            samples: Vec::new(),
        };
        for chunk in chunks(&text, MAX_CHUNK_CHARS) {
            let part = run.speak(chunk)?;
            if pcm.sample_rate != 0 && part.sample_rate != pcm.sample_rate {
                return Err(EngineError::new(format!(
                    "{} changed its sample rate between chunks ({} Hz, then {} Hz)",
                    run.program_name(),
                    pcm.sample_rate,
                    part.sample_rate
                )));
            }
            pcm.sample_rate = part.sample_rate;
            pcm.samples.extend_from_slice(&part.samples);
        }
        if pcm.sample_rate == 0 {
            // Nothing to say: no run happened. Report the program's usual rate with no samples.
            pcm.sample_rate = run.native_rate();
        }
        Ok(pcm)
    }

    /// espeak-ng's IPA for `text` (`-q --ipa`), when espeak-ng is installed and knows the language.
    fn phonemes(&self, text: &str, locale: &str) -> Option<String> {
        let program = self.espeak_ng.as_ref()?;
        let primary = locale.split('-').next()?.to_ascii_lowercase();
        if primary.is_empty() || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let voice = if primary == "en" {
            "en-us".to_owned()
        } else {
            primary
        };
        let out = tempfile::Builder::new()
            .prefix("speech-emulator-ipa-")
            .tempfile()
            .ok()?;
        let mut command = Command::new(program);
        command
            .arg("-q")
            .arg("--ipa")
            .arg("-v")
            .arg(&voice)
            .arg(format!("--phonout={}", out.path().display()))
            .arg("--")
            .arg(clean_text(text));
        run_with_timeout(&mut command, "espeak-ng", None).ok()?;
        let mut ipa = String::new();
        out.reopen()
            .ok()?
            .take(64 * 1024)
            .read_to_string(&mut ipa)
            .ok()?;
        Some(ipa.trim().to_owned())
    }
}

/// One planned program invocation (without the text).
#[derive(Clone, Debug)]
enum Run {
    Flite {
        program: PathBuf,
        voice: String,
        duration_stretch: f64,
    },
    Pico {
        program: PathBuf,
        /// One of the languages Pico ships: `de-DE`, `fr-FR`, `es-ES`, `it-IT`, `en-US`, `en-GB`.
        language: &'static str,
        /// Pico's `<speed level>` (100 is normal).
        speed: u32,
    },
    Espeak {
        program: PathBuf,
        voice: String,
        wpm: u32,
    },
}

impl Run {
    fn program_name(&self) -> &'static str {
        match self {
            Run::Flite { .. } => "flite",
            Run::Pico { .. } => "pico2wave",
            Run::Espeak { .. } => "espeak-ng",
        }
    }

    fn native_rate(&self) -> u32 {
        match self {
            Run::Flite { voice, .. } if voice == "kal" => 8_000,
            Run::Flite { .. } | Run::Pico { .. } => 16_000,
            Run::Espeak { .. } => 22_050,
        }
    }

    /// Runs the program on one chunk of text and reads the WAV it wrote.
    fn speak(&self, text: &str) -> Result<Pcm, EngineError> {
        let name = self.program_name();
        let wav = tempfile::Builder::new()
            .prefix("speech-emulator-tts-")
            .suffix(".wav")
            .tempfile()
            .map_err(|e| {
                EngineError::new(format!("cannot create a temporary file for {name}: {e}"))
            })?;
        let mut stdin = None;
        let mut command = match self {
            Run::Flite {
                program,
                voice,
                duration_stretch,
            } => {
                let mut c = Command::new(program);
                c.arg("-voice")
                    .arg(voice)
                    .arg("--setf")
                    .arg(format!("duration_stretch={duration_stretch:.3}"))
                    .arg("-t")
                    .arg(text)
                    .arg("-o")
                    .arg(wav.path());
                c
            }
            Run::Pico {
                program,
                language,
                speed,
            } => {
                stdin = Some(pico_text(text, *speed));
                let mut c = Command::new(program);
                c.arg("-l").arg(language).arg("-w").arg(wav.path());
                c
            }
            Run::Espeak {
                program,
                voice,
                wpm,
            } => {
                let mut c = Command::new(program);
                c.arg("-v")
                    .arg(voice)
                    .arg("-s")
                    .arg(wpm.to_string())
                    .arg("-w")
                    .arg(wav.path())
                    .arg("--")
                    .arg(text);
                c
            }
        };
        run_with_timeout(&mut command, name, stdin.as_deref())?;
        let mut file = wav
            .reopen()
            .map_err(|e| EngineError::new(format!("cannot read the audio {name} wrote: {e}")))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > MAX_WAV_BYTES {
            return Err(EngineError::new(format!(
                "{name} wrote {len} bytes of audio, more than the {MAX_WAV_BYTES}-byte limit"
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.by_ref()
            .take(MAX_WAV_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| EngineError::new(format!("cannot read the audio {name} wrote: {e}")))?;
        parse_wav(&bytes).map_err(|e| EngineError::new(format!("{name} wrote a bad WAV file: {e}")))
    }
}

/// Runs a command with `input` (or nothing) on its standard input, discarding its standard output, and kills it
/// after [`RUN_TIMEOUT`]. A non-zero exit becomes an error that quotes the start of its standard error.
fn run_with_timeout(
    command: &mut Command,
    name: &str,
    input: Option<&str>,
) -> Result<(), EngineError> {
    let stdin = match input {
        None => Stdio::null(),
        Some(text) => {
            // A file rather than a pipe: the child reads it at its own pace and nothing here can block on it.
            let mut file = tempfile::tempfile().map_err(|e| {
                EngineError::new(format!("cannot create a temporary file for {name}: {e}"))
            })?;
            std::io::Write::write_all(&mut file, text.as_bytes())
                .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
                .map_err(|e| EngineError::new(format!("cannot write {name}'s input: {e}")))?;
            Stdio::from(file)
        }
    };
    let mut stderr = tempfile::tempfile()
        .map_err(|e| EngineError::new(format!("cannot create a temporary file for {name}: {e}")))?;
    let stderr_for_child = stderr
        .try_clone()
        .map_err(|e| EngineError::new(format!("cannot set up {name}'s standard error: {e}")))?;
    let mut child = command
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr_for_child))
        .spawn()
        .map_err(|e| EngineError::new(format!("cannot run {name}: {e}: {SETUP_HINT}")))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                // Best effort: the process may have exited in between.
                let _ = child.kill();
                let _ = child.wait();
                return Err(EngineError::new(format!(
                    "{name} did not finish within {} s and was killed",
                    RUN_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(EngineError::new(format!("cannot wait for {name}: {e}"))),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut message = String::new();
    if stderr.seek(SeekFrom::Start(0)).is_ok() {
        let mut raw = Vec::new();
        let _ = stderr.take(MAX_STDERR_BYTES).read_to_end(&mut raw);
        message = String::from_utf8_lossy(&raw).trim().to_owned();
    }
    Err(EngineError::new(format!(
        "{name} failed ({status}){}{message}",
        if message.is_empty() { "" } else { ": " }
    )))
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// A usable rate multiplier: non-finite or non-positive rates mean the default speed, and the rest is held to
/// 0.25–4.0 (Azure's own `<prosody rate>` range is 0.5–2.0).
fn sanitize_rate(rate: f64) -> f64 {
    if rate.is_finite() && rate > 0.0 {
        rate.clamp(0.25, 4.0)
    } else {
        1.0
    }
}

/// espeak-ng's `-s` for a rate multiplier, within the 80–450 words per minute it accepts.
fn espeak_wpm(rate: f64) -> u32 {
    // ok: the value is clamped to 80..=450, so the cast cannot truncate.
    (ESPEAK_DEFAULT_WPM * rate).round().clamp(80.0, 450.0) as u32
}

/// The Pico language for a voice's locale, by its language subtag: German, French, Spanish and Italian (any
/// region) are spoken by Pico's de-DE, fr-FR, es-ES and it-IT voices. English is not: flite speaks it.
fn pico_language(locale: &str) -> Option<&'static str> {
    let language = locale.split(['-', '_']).next().unwrap_or_default();
    [
        ("de", "de-DE"),
        ("fr", "fr-FR"),
        ("es", "es-ES"),
        ("it", "it-IT"),
    ]
    .into_iter()
    .find(|(code, _)| language.eq_ignore_ascii_case(code))
    .map(|(_, pico)| pico)
}

/// Pico's `<speed level>` for a rate multiplier, within the 20–500 it accepts.
fn pico_speed(rate: f64) -> u32 {
    // ok: the value is clamped to 20..=500, so the cast cannot truncate.
    (PICO_DEFAULT_SPEED * rate).round().clamp(20.0, 500.0) as u32
}

/// The text Pico reads: its markup characters neutralised (Pico's tags can name files to write or play), and the
/// speed as Pico's own tag when it is not the default.
fn pico_text(text: &str, speed: u32) -> String {
    let plain: String = text
        .chars()
        .map(|c| match c {
            '<' => '\u{2039}',
            '>' => '\u{203a}',
            c => c,
        })
        .collect();
    if f64::from(speed) == PICO_DEFAULT_SPEED {
        plain
    } else {
        format!("<speed level=\"{speed}\">{plain}</speed>")
    }
}

/// Replaces control characters (including newlines and tabs) with spaces and collapses runs of whitespace.
fn clean_text(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits text into pieces of at most `max_chars` characters, preferring to cut after sentence punctuation,
/// then at a space, and cutting inside a word only when a single word is longer than `max_chars`.
fn chunks(text: &str, max_chars: usize) -> Vec<&str> {
    let max_chars = max_chars.max(1);
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // Byte offset just past the first `max_chars` characters (or the whole rest).
        let limit = rest
            .char_indices()
            .nth(max_chars)
            .map_or(rest.len(), |(i, _)| i);
        if limit == rest.len() {
            out.push(rest);
            break;
        }
        let head = &rest[..limit];
        let sentence_end = head
            .char_indices()
            .filter(|&(i, c)| {
                matches!(c, '.' | '!' | '?' | ';' | '\u{3002}')
                    && head[i + c.len_utf8()..].starts_with(' ')
            })
            .map(|(i, c)| i + c.len_utf8())
            .next_back();
        let word_end = if rest[limit..].starts_with(' ') {
            Some(limit)
        } else {
            head.rfind(' ').filter(|&i| i > 0)
        };
        let cut = sentence_end.or(word_end).unwrap_or(limit);
        let (piece, tail) = rest.split_at(cut);
        let piece = piece.trim();
        if !piece.is_empty() {
            out.push(piece);
        }
        rest = tail.trim_start();
    }
    out
}

/// Reads 16-bit PCM WAV bytes into mono [`Pcm`] at the file's own rate.
///
/// Lenient where programs are sloppy: a `data` chunk whose size runs past the end of the file (espeak-ng's
/// streaming placeholder sizes) is read to the end, an odd trailing byte is ignored, and several channels are
/// averaged into one. Strict about the rest: RIFF/WAVE, a `fmt ` chunk before `data`, PCM (or extensible PCM),
/// 16 bits per sample.
fn parse_wav(bytes: &[u8]) -> Result<Pcm, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut format: Option<(u16, u16, u32, u16)> = None;
    let mut pos = 12usize;
    while let Some(header) = bytes.get(pos..pos.saturating_add(8)) {
        let id = &header[0..4];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body_start = pos + 8;
        let body_end = body_start.saturating_add(size).min(bytes.len());
        let body = &bytes[body_start..body_end];
        match id {
            b"fmt " => {
                if body.len() < 16 {
                    return Err("the fmt chunk is too short".into());
                }
                let tag = u16::from_le_bytes([body[0], body[1]]);
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                format = Some((tag, channels, rate, bits));
            }
            b"data" => {
                let (tag, channels, rate, bits) =
                    format.ok_or("the data chunk comes before the fmt chunk")?;
                if tag != 1 && tag != 0xFFFE {
                    return Err(format!("format tag {tag} is not PCM"));
                }
                if bits != 16 {
                    return Err(format!("{bits} bits per sample (expected 16)"));
                }
                if channels == 0 || rate == 0 {
                    return Err(format!("{channels} channels at {rate} Hz"));
                }
                let frame = usize::from(channels) * 2;
                let samples = body
                    .chunks_exact(frame)
                    .map(|f| {
                        let sum: i32 = f
                            .chunks_exact(2)
                            .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
                            .sum();
                        // ok: the mean of i16 values is within i16's range.
                        (sum / i32::from(channels)) as i16
                    })
                    .collect();
                return Ok(Pcm {
                    sample_rate: rate,
                    samples,
                });
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        pos = body_start.saturating_add(size).saturating_add(size & 1);
    }
    Err("no data chunk".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tts() -> SystemTts {
        match SystemTts::detect() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn input<'a>(text: &'a str, locale: &'a str, voice: &'a str, rate: f64) -> SynthesisInput<'a> {
        SynthesisInput {
            text,
            locale,
            engine_voice: voice,
            rate,
        }
    }

    fn require(program: Option<&Path>, name: &str) {
        assert!(
            program.is_some(),
            "{name} is not installed: run scripts/setup.sh before these tests"
        );
    }

    fn rms(samples: &[i16]) -> f64 {
        let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        (sum / samples.len().max(1) as f64).sqrt()
    }

    #[test]
    fn flite_speaks_english_at_16_khz() {
        let t = tts();
        require(t.flite(), "flite");
        let pcm = t
            .synthesize(input("Hello world, this is a test.", "en-US", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pcm.sample_rate, 16_000);
        let secs = pcm.duration_secs();
        assert!((0.8..5.0).contains(&secs), "{secs} s");
        assert!(
            rms(&pcm.samples) > 300.0,
            "too quiet: {}",
            rms(&pcm.samples)
        );
    }

    /// How much longer `text` takes at `rate` than at the default speed.
    fn duration_ratio(t: &SystemTts, text: &str, locale: &str, voice: &str, rate: f64) -> f64 {
        let normal = t
            .synthesize(input(text, locale, voice, 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        let changed = t
            .synthesize(input(text, locale, voice, rate))
            .unwrap_or_else(|e| panic!("{e}"));
        changed.duration_secs() / normal.duration_secs()
    }

    #[test]
    fn flite_rate_changes_duration() {
        let t = tts();
        require(t.flite(), "flite");
        let text = "The quick brown fox jumps over the lazy dog.";
        let ratio = duration_ratio(&t, text, "en-US", "rms", 2.0);
        assert!((0.35..0.7).contains(&ratio), "fast/normal = {ratio}");
    }

    #[test]
    fn espeak_speaks_german_at_22_khz_and_rate_changes_duration() {
        let t = tts();
        require(t.espeak_ng(), "espeak-ng");
        let t = SystemTts::from_paths(None, t.espeak_ng().map(Path::to_path_buf));
        let text = "Guten Morgen, wie geht es Ihnen heute?";
        let normal = t
            .synthesize(input(text, "de-DE", "de", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(normal.sample_rate, 22_050);
        assert!(rms(&normal.samples) > 300.0);
        let ratio = duration_ratio(&t, text, "de-DE", "de", 0.5);
        assert!((1.4..2.6).contains(&ratio), "slow/normal = {ratio}");
    }

    #[test]
    fn pico_speaks_german_french_spanish_and_italian_at_16_khz() {
        let t = tts();
        require(t.pico(), "pico2wave");
        for (locale, voice, text) in [
            ("de-DE", "de", "Guten Morgen, wie geht es Ihnen heute?"),
            ("de-CH", "de", "Guten Morgen."),
            ("fr-FR", "fr", "Bonjour, comment allez-vous ?"),
            ("es-MX", "es-419", "Buenos días."),
            ("it-IT", "it", "Buongiorno a tutti."),
        ] {
            let pcm = t
                .synthesize(input(text, locale, voice, 1.0))
                .unwrap_or_else(|e| panic!("{locale}: {e}"));
            assert_eq!(pcm.sample_rate, 16_000, "{locale}");
            assert!(
                pcm.duration_secs() > 0.5,
                "{locale}: {} s",
                pcm.duration_secs()
            );
            assert!(rms(&pcm.samples) > 300.0, "{locale}: too quiet");
        }
    }

    #[test]
    fn pico_rate_changes_duration() {
        let t = tts();
        require(t.pico(), "pico2wave");
        let text = "Der Zug fährt morgen früh nach Berlin.";
        let ratio = duration_ratio(&t, text, "de-DE", "de", 0.5);
        assert!((1.4..2.6).contains(&ratio), "slow/normal = {ratio}");
    }

    #[test]
    fn pico_markup_in_the_text_is_spoken_not_obeyed() {
        let t = tts();
        require(t.pico(), "pico2wave");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let target = dir.path().join("written.wav");
        let text = format!(
            "Vorher <genfile file=\"{}\">mitten</genfile> <speed level=\"500\">nachher</speed>",
            target.display()
        );
        let pcm = t
            .synthesize(input(&text, "de-DE", "de", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(pcm.duration_secs() > 1.0, "{} s", pcm.duration_secs());
        assert!(!target.exists(), "Pico obeyed a <genfile> tag in the text");
        assert_eq!(pico_text("a<b>c", 100), "a\u{2039}b\u{203a}c");
        assert_eq!(
            pico_text("<x>", 150),
            "<speed level=\"150\">\u{2039}x\u{203a}</speed>"
        );
    }

    #[test]
    fn pico_languages_and_speeds() {
        assert_eq!(pico_language("de-DE"), Some("de-DE"));
        assert_eq!(pico_language("de-AT"), Some("de-DE"));
        assert_eq!(pico_language("FR-ca"), Some("fr-FR"));
        assert_eq!(pico_language("es-MX"), Some("es-ES"));
        assert_eq!(pico_language("it_IT"), Some("it-IT"));
        for other in ["en-US", "en-GB", "nl-NL", "ca-ES", "", "d"] {
            assert_eq!(pico_language(other), None, "{other}");
        }
        assert_eq!(pico_speed(sanitize_rate(1.0)), 100);
        assert_eq!(pico_speed(sanitize_rate(0.5)), 50);
        assert_eq!(pico_speed(sanitize_rate(0.1)), 25);
        assert_eq!(pico_speed(sanitize_rate(f64::NAN)), 100);
        assert_eq!(pico_speed(4.0), 400);
        assert_eq!(pico_speed(9.0), 500);
    }

    #[test]
    fn german_falls_back_to_espeak_without_pico() {
        let t = tts();
        require(t.espeak_ng(), "espeak-ng");
        let no_pico = SystemTts::from_paths(
            t.flite().map(Path::to_path_buf),
            t.espeak_ng().map(Path::to_path_buf),
        );
        let pcm = no_pico
            .synthesize(input("Hallo.", "de-DE", "de", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pcm.sample_rate, 22_050);
    }

    #[test]
    fn english_falls_back_to_pico_without_flite() {
        let t = tts();
        require(t.pico(), "pico2wave");
        let no_flite = SystemTts::from_paths(None, None).with_pico(t.pico().map(Path::to_path_buf));
        assert_eq!(no_flite.name(), "pico2wave");
        let pcm = no_flite
            .synthesize(input("Hello there.", "en-GB", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pcm.sample_rate, 16_000);
        assert!(pcm.duration_secs() > 0.3);
    }

    #[test]
    fn english_falls_back_to_espeak_without_flite() {
        let t = tts();
        require(t.espeak_ng(), "espeak-ng");
        let no_flite = SystemTts::from_paths(None, t.espeak_ng().map(Path::to_path_buf));
        assert_eq!(no_flite.name(), "espeak-ng");
        let pcm = no_flite
            .synthesize(input("Hello there.", "en-GB", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pcm.sample_rate, 22_050);
        assert!(pcm.duration_secs() > 0.3);
    }

    #[test]
    fn text_that_looks_like_options_is_spoken_not_parsed() {
        let t = tts();
        require(t.espeak_ng(), "espeak-ng");
        let pcm = t
            .synthesize(input("--version -w /tmp/x", "fr-FR", "fr", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(pcm.duration_secs() > 0.5, "{} s", pcm.duration_secs());
        let flite = t
            .synthesize(input("-o /dev/null", "en-US", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(flite.duration_secs() > 0.5);
    }

    #[test]
    fn long_text_is_chunked_and_joined() {
        let t = tts();
        require(t.flite(), "flite");
        let sentence = "This sentence is repeated to make a long text. ";
        let text = sentence.repeat(50); // about 2 400 characters: three chunks
        assert!(chunks(&clean_text(&text), MAX_CHUNK_CHARS).len() >= 3);
        let one = t
            .synthesize(input(sentence, "en-US", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        let all = t
            .synthesize(input(&text, "en-US", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        let ratio = all.duration_secs() / one.duration_secs();
        assert!((40.0..60.0).contains(&ratio), "{ratio}");
    }

    #[test]
    fn empty_text_gives_no_samples() {
        let t = tts();
        let pcm = t
            .synthesize(input(" \n\t\u{7} ", "en-US", "slt", 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(pcm.samples.is_empty());
        assert!(pcm.sample_rate > 0);
    }

    #[test]
    fn bad_voice_codes_are_refused() {
        let t = tts();
        for voice in ["", "-x", "de; rm", "de de"] {
            let err = t.synthesize(input("hi", "de-DE", voice, 1.0));
            assert!(err.is_err(), "{voice:?}");
        }
    }

    #[test]
    fn missing_programs_say_how_to_fix_it() {
        let none = SystemTts::from_paths(None, None);
        let err = none
            .synthesize(input("hi", "en-US", "slt", 1.0))
            .map_or_else(|e| e, |pcm| panic!("{} samples", pcm.samples.len()));
        assert!(err.message.contains("scripts/setup.sh"), "{err}");
        let err = none
            .synthesize(input("hallo", "de-DE", "de", 1.0))
            .map_or_else(|e| e, |pcm| panic!("{} samples", pcm.samples.len()));
        assert!(err.message.contains("pico2wave or espeak-ng"), "{err}");
        let err = none
            .synthesize(input("hallo", "nl-NL", "nl", 1.0))
            .map_or_else(|e| e, |pcm| panic!("{} samples", pcm.samples.len()));
        assert!(err.message.contains("needs espeak-ng"), "{err}");
        let missing = SystemTts::from_paths(Some("/nonexistent/flite".into()), None);
        let err = missing
            .synthesize(input("hi", "en-US", "slt", 1.0))
            .map_or_else(|e| e, |pcm| panic!("{} samples", pcm.samples.len()));
        assert!(err.message.contains("cannot run flite"), "{err}");
    }

    #[test]
    fn program_failure_is_reported_with_stderr() {
        // `ls` rejects flite's options: it exits non-zero and says why on standard error.
        let ls = find_on_path("ls").expect("ls is on PATH");
        let broken = SystemTts::from_paths(Some(ls), None);
        match broken.synthesize(input("hello", "en-US", "slt", 1.0)) {
            Ok(pcm) => panic!("ls made {} samples", pcm.samples.len()),
            Err(e) => {
                assert!(e.message.starts_with("flite failed (exit status: "), "{e}");
                assert!(e.message.contains("option"), "{e}");
            }
        }
    }

    #[test]
    fn rates() {
        assert_eq!(espeak_wpm(sanitize_rate(1.0)), 150);
        assert_eq!(espeak_wpm(sanitize_rate(2.0)), 300);
        assert_eq!(espeak_wpm(sanitize_rate(0.1)), 80);
        assert_eq!(espeak_wpm(sanitize_rate(f64::NAN)), 150);
        assert_eq!(espeak_wpm(sanitize_rate(-1.0)), 150);
        assert_eq!(espeak_wpm(sanitize_rate(f64::INFINITY)), 150);
    }

    #[test]
    fn cleaning_and_chunking() {
        assert_eq!(clean_text("a\u{0}b\nc\t\td\u{1b}[0m"), "a b c d [0m");
        assert_eq!(chunks("", 10), Vec::<&str>::new());
        assert_eq!(
            chunks("One. Two three. Four", 12),
            vec!["One.", "Two three.", "Four"]
        );
        assert_eq!(chunks("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(chunks("aa bb cc", 5), vec!["aa bb", "cc"]);
        let multibyte = "äöü ".repeat(10);
        for piece in chunks(&multibyte, 7) {
            assert!(piece.chars().count() <= 7);
        }
    }

    fn wav(fmt: &[u8], data_size: u32, data: &[u8]) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WAVE".to_vec();
        v.extend_from_slice(b"fmt ");
        v.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        v.extend_from_slice(fmt);
        v.extend_from_slice(b"LIST\x03\0\0\0abc\0"); // odd-sized chunk with a pad byte
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_size.to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    fn fmt(channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let mut f = 1u16.to_le_bytes().to_vec();
        f.extend_from_slice(&channels.to_le_bytes());
        f.extend_from_slice(&rate.to_le_bytes());
        f.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        f.extend_from_slice(&(channels * 2).to_le_bytes());
        f.extend_from_slice(&bits.to_le_bytes());
        f
    }

    #[test]
    fn wav_parsing() {
        let data = [1u8, 0, 2, 0, 0xff, 0xff];
        let pcm = parse_wav(&wav(&fmt(1, 22_050, 16), 6, &data)).expect("valid");
        assert_eq!(
            pcm,
            Pcm {
                sample_rate: 22_050,
                samples: vec![1, 2, -1]
            }
        );
        // espeak-ng's streaming placeholder size: read to the end, drop the odd byte.
        let pcm =
            parse_wav(&wav(&fmt(1, 22_050, 16), 0x7fff_f000, &[1, 0, 2, 0, 9])).expect("lenient");
        assert_eq!(pcm.samples, vec![1, 2]);
        // Stereo is averaged.
        let pcm = parse_wav(&wav(
            &fmt(2, 16_000, 16),
            8,
            &[10, 0, 20, 0, 0, 0x80, 0, 0x80],
        ))
        .expect("stereo");
        assert_eq!(pcm.samples, vec![15, i16::MIN]);
        assert!(parse_wav(&wav(&fmt(1, 16_000, 8), 2, &[0, 0])).is_err());
        assert!(parse_wav(&wav(&fmt(0, 16_000, 16), 2, &[0, 0])).is_err());
        assert!(parse_wav(b"RIFF\0\0\0\0WAVE").is_err());
        assert!(parse_wav(b"RIFX").is_err());
        assert!(parse_wav(b"").is_err());
        let mut no_fmt = b"RIFF\0\0\0\0WAVEdata\x02\0\0\0\0\0".to_vec();
        assert!(parse_wav(&no_fmt).is_err());
        no_fmt.truncate(14);
        assert!(parse_wav(&no_fmt).is_err());
    }

    #[test]
    fn wav_parsing_never_panics_on_truncations() {
        let full = wav(&fmt(2, 16_000, 16), 8, &[1, 2, 3, 4, 5, 6, 7, 8]);
        for end in 0..full.len() {
            let _ = parse_wav(&full[..end]);
        }
    }
}
