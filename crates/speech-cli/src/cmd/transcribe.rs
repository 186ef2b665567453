//! `speech transcribe FILE...`: files in parallel over one client (one token for the whole run), results in
//! input order.
//!
//! Which API hears a file (`--api`, default `auto`): files up to 60 s go to the short-audio API, longer
//! ones (and any file when `--speakers`, `--channels`, several `--language`s or `--language auto` ask for
//! what only it offers) to fast transcription, in one request per file; where the service says fast
//! transcription is not offered, the file goes to the short-audio API instead, with one line on stderr.
//!
//! On the short-audio API, a file that is already what it takes (16 kHz mono 16-bit PCM WAV, or Ogg/Opus, of at
//! most 60 s), and any file with `--force`, is sent byte for byte in one request, as before. Anything else —
//! MP3, FLAC, M4A, Ogg/Vorbis, WAV of another rate, width or codec, recordings longer than a minute — is
//! decoded, cut at the speaker's pauses and recognized segment by segment
//! (`Client::transcribe`), and the answers are stitched onto the file's timeline.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use indicatif::{ProgressBar, ProgressStyle};
use speech_proto::audio::{parse_wav_header, WavCodec};
use speech_proto::recognize::{
    AudioContentType, Recognition, RecognitionRequest, RecognitionStatus,
};
use speech_proto::stt::fast::{FastTranscriptionOptions, ProfanityFilterMode};
use speech_proto::stt::{TranscribeOptions, Transcript};
use speech_ureq::Client;

use crate::cli::{ApiArg, FormatArg, GlobalArgs, OutputArg, ProfanityArg, TranscribeArgs};
use crate::embedded::Needs;
use crate::exit::Failure;
use crate::output::recognition_json;
use crate::session::Session;

/// The default number of files in flight.
const DEFAULT_JOBS: usize = 4;

/// The locales asked for; empty for `--language auto`.
fn locales(args: &TranscribeArgs) -> Vec<String> {
    args.language
        .iter()
        .filter(|l| !l.eq_ignore_ascii_case("auto"))
        .cloned()
        .collect()
}

/// Whether the options ask for what only fast transcription offers.
fn needs_fast(args: &TranscribeArgs) -> bool {
    args.speakers.is_some() || !args.channels.is_empty() || locales(args).len() != 1
}

/// The options' combinations that cannot work, as usage errors.
fn check_args(args: &TranscribeArgs) -> Result<(), Failure> {
    let auto = args.language.iter().any(|l| l.eq_ignore_ascii_case("auto"));
    if auto && args.language.len() > 1 {
        return Err(Failure::usage(
            "--language auto cannot be combined with other languages",
        ));
    }
    if args.api == ApiArg::Short && needs_fast(args) {
        return Err(Failure::usage(
            "--speakers, --channels, several --language values and --language auto need fast transcription",
        )
        .with_hint("use --api fast (or auto), or give one --language"));
    }
    if args.force && args.api == ApiArg::Fast {
        return Err(Failure::usage(
            "--force sends a file to the short-audio API as it is; it does not go with --api fast",
        ));
    }
    Ok(())
}

/// The fast-transcription options of the command line.
fn fast_options(args: &TranscribeArgs) -> FastTranscriptionOptions {
    let mut options = FastTranscriptionOptions::new();
    options.locales = locales(args);
    options.max_speakers = args.speakers;
    options.channels.clone_from(&args.channels);
    options.profanity = args.profanity.map(|p| match p {
        ProfanityArg::Masked => ProfanityFilterMode::Masked,
        ProfanityArg::Removed => ProfanityFilterMode::Removed,
        ProfanityArg::Raw => ProfanityFilterMode::None,
    });
    options
}

fn request(args: &TranscribeArgs) -> RecognitionRequest {
    let language = locales(args)
        .into_iter()
        .next()
        .unwrap_or_else(|| "en-US".to_owned());
    let mut r = RecognitionRequest::new(language)
        .mode(args.mode.into())
        .format(args.format.into());
    if let Some(p) = args.profanity {
        r = r.profanity(p.into());
    }
    r
}

/// What one file gave: one answer (sent as it is), or a transcript of its segments.
enum Heard {
    /// The file went up in one request (with the audio's length, when its WAV header gives it).
    Whole(Recognition, Option<std::time::Duration>),
    /// The file was decoded and cut into segments.
    Segmented(Transcript),
}

impl Heard {
    /// The answer as a transcript on the file's timeline.
    fn transcript(&self) -> Transcript {
        match self {
            Heard::Segmented(t) => t.clone(),
            Heard::Whole(r, length) => {
                let mut t = Transcript::new(*length);
                t.push_segment(std::time::Duration::ZERO, r);
                t
            }
        }
    }
}

/// What happened to one file.
type Outcome = Result<Heard, Failure>;

/// The longest audio the short-audio API hears in one request.
const ONE_REQUEST: u64 = 60 * 32_000;

/// The WAV header at the start of the file, if it has one.
fn wav_header_of(path: &Path) -> Option<std::io::Result<speech_proto::audio::WavHeader>> {
    let mut head = Vec::with_capacity(4096);
    if let Err(e) = File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head)) {
        return Some(Err(e));
    }
    parse_wav_header(&head).ok().flatten().map(Ok)
}

/// The length of a WAV file's audio, from its header.
fn wav_length(path: &Path) -> Option<std::time::Duration> {
    let header = wav_header_of(path)?.ok()?;
    let bytes_per_second = u64::from(header.format.byte_rate);
    let data = header.data_len?;
    (bytes_per_second > 0)
        .then(|| std::time::Duration::from_secs_f64(data as f64 / bytes_per_second as f64))
}

/// Whether the file is a WAV the service takes as it is: 16 kHz mono 16-bit PCM of at most 60 s.
fn is_service_ready_wav(path: &Path) -> bool {
    match wav_header_of(path) {
        None => false,
        Some(Err(_)) => true, // the upload reports the error
        Some(Ok(h)) => {
            h.format.codec == WavCodec::Pcm
                && h.format.sample_rate == 16_000
                && h.format.channels == 1
                && h.format.bits_per_sample == 16
                && h.data_len.is_some_and(|len| len <= ONE_REQUEST)
        }
    }
}

/// Whether the file starts like an Ogg stream (sent as `audio/ogg; codecs=opus`; WAV otherwise).
fn is_ogg(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"OggS")
}

/// Whether the file is Ogg/Opus the service takes as it is: at most 60 s. (Longer Opus, Ogg/Vorbis and an
/// Ogg file that will not open are decoded instead, which says what is wrong with them.)
fn is_service_ready_ogg(path: &Path) -> bool {
    is_ogg(path)
        && File::open(path)
            .map_err(speech_audio::decode::DecodeError::Io)
            .and_then(|file| speech_audio::decode::Decoder::open_file(file, Some("ogg")))
            .is_ok_and(|decoder| {
                let info = decoder.info();
                info.codec == "opus"
                    && info
                        .duration
                        .is_some_and(|d| d <= std::time::Duration::from_secs(60))
            })
}

/// The length of a file's audio, when its header or container says.
fn audio_length(path: &Path) -> Option<std::time::Duration> {
    wav_length(path).or_else(|| {
        let file = File::open(path).ok()?;
        speech_audio::decode::Decoder::open_file(file, None)
            .ok()?
            .info()
            .duration
    })
}

/// Which API hears a file.
fn goes_fast(args: &TranscribeArgs, path: &Path) -> bool {
    match args.api {
        ApiArg::Fast => true,
        ApiArg::Short => false,
        ApiArg::Auto if args.force => false,
        ApiArg::Auto if needs_fast(args) => true,
        // A length this client cannot read (a format only ffmpeg or the service decodes): the short-audio
        // path, which decodes what it can and says clearly what it cannot.
        ApiArg::Auto => audio_length(path).is_some_and(|d| d > std::time::Duration::from_secs(60)),
    }
}

/// One file: through fast transcription or the short-audio API, as `--api` says.
fn transcribe_file(
    client: &Client,
    path: &Path,
    args: &TranscribeArgs,
    request: &RecognitionRequest,
    progress: &ProgressBar,
) -> Outcome {
    if !goes_fast(args, path) {
        return transcribe_one(client, path, request, args.force, progress);
    }
    let name = path.display().to_string();
    match client.fast_transcribe(path, &fast_options(args)) {
        Ok(transcript) => Ok(Heard::Segmented(transcript)),
        Err(e)
            // Only when nothing was asked that short audio cannot give (speakers, channels, identification).
            if args.api == ApiArg::Auto
                && !needs_fast(args)
                && e.as_proto()
                    .is_some_and(speech_proto::Error::is_fast_transcription_unavailable) =>
        {
            let status = e.status().map_or_else(String::new, |s| format!(" ({s})"));
            eprintln!(
                "speech: {name}: fast transcription is not offered here{status}; transcribing in short-audio \
                 segments instead"
            );
            transcribe_one(client, path, request, args.force, progress)
        }
        Err(e) => Err(Failure::from_client(Some(&name), &e)),
    }
}

fn transcribe_one(
    client: &Client,
    path: &Path,
    request: &RecognitionRequest,
    force: bool,
    progress: &ProgressBar,
) -> Outcome {
    let name = path.display().to_string();
    if !force && !is_service_ready_ogg(path) && !is_service_ready_wav(path) {
        let options = TranscribeOptions::new(request.clone());
        return client
            .transcribe_with_progress(path, &options, |p| {
                if let Some(total) = p.total {
                    progress.set_length(total.as_secs().max(1));
                }
                progress.set_position(p.recognized.as_secs());
            })
            .map(Heard::Segmented)
            .map_err(|e| Failure::from_client(Some(&name), &e));
    }
    let result = if is_ogg(path) {
        let request = request.clone().content_type(AudioContentType::OggOpus);
        client.recognize_file(path, &request)
    } else {
        client.recognize_file(path, request)
    };
    result
        .map(|r| Heard::Whole(r, wav_length(path)))
        .map_err(|e| {
            let failure = Failure::from_client(Some(&name), &e);
            match e.as_proto() {
                Some(speech_proto::Error::Audio(_) | speech_proto::Error::MalformedWav(_)) => {
                    failure.with_hint(format!(
                        "{}; or pass --force to send the file as it is",
                        crate::audio_check::convert_fix(path)
                    ))
                }
                _ => failure,
            }
        })
}

/// Run `transcribe`.
pub(crate) fn run(global: &GlobalArgs, args: &TranscribeArgs) -> Result<ExitCode, Failure> {
    check_args(args)?;
    let session = Session::open(global, Needs::Recognition, |b| b.check_audio(!args.force))?;
    let request = request(args);
    let files: &[PathBuf] = &args.files;
    let jobs = args
        .jobs
        .map_or(DEFAULT_JOBS, usize::from)
        .min(files.len())
        .max(1);
    let several = files.len() > 1;

    // One long file: a bar in seconds of audio recognized; several files: a bar in files.
    let seconds = if !several && std::io::stderr().is_terminal() {
        let pb = ProgressBar::new(1);
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} s {msg}")
        {
            pb.set_style(style.progress_chars("=> "));
        }
        pb
    } else {
        ProgressBar::hidden()
    };
    let progress = if several && std::io::stderr().is_terminal() {
        let pb = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} files {msg}")
        {
            pb.set_style(style.progress_chars("=> "));
        }
        pb
    } else {
        ProgressBar::hidden()
    };

    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let mut first_failure: Option<Failure> = None;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, client, request, seconds) = (&next, &session.client, &request, &seconds);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let outcome = transcribe_file(client, path, args, request, seconds);
                if tx.send((i, outcome)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Print in input order as soon as the prefix is complete.
        let mut pending: Vec<Option<Outcome>> = (0..files.len()).map(|_| None).collect();
        let mut printed = 0;
        for (i, outcome) in rx {
            if let Some(slot) = pending.get_mut(i) {
                *slot = Some(outcome);
            }
            progress.inc(1);
            while let Some(Some(outcome)) = pending.get_mut(printed).map(Option::take) {
                let file = &files[printed];
                seconds.finish_and_clear();
                progress.suspend(|| print_outcome(global.output, args, file, several, &outcome));
                if let Err(f) = outcome {
                    first_failure.get_or_insert(f);
                }
                printed += 1;
            }
        }
    });
    progress.finish_and_clear();
    session.finish(global);
    Ok(first_failure.map_or(ExitCode::SUCCESS, |f| f.code.exit_code()))
}

fn print_outcome(
    output: OutputArg,
    args: &TranscribeArgs,
    path: &Path,
    several: bool,
    outcome: &Outcome,
) {
    let file = path.display().to_string();
    let detailed = args.format == FormatArg::Detailed;
    let mut stdout = std::io::stdout().lock();
    match outcome {
        Ok(heard) => {
            if let Heard::Whole(r, _) = heard {
                if let Some(hint) = r.hint() {
                    let status = r
                        .status
                        .as_ref()
                        .map_or("no RecognitionStatus", RecognitionStatus::as_str);
                    eprintln!("speech: {file}: {status}\n  hint: {hint}");
                }
            }
            let transcript = heard.transcript();
            let _ = match output {
                OutputArg::Json => writeln!(
                    stdout,
                    "{}",
                    heard_json(&file, heard, &transcript, detailed)
                ),
                OutputArg::Text => {
                    let text = transcript.text();
                    if several {
                        writeln!(stdout, "{file}: {text}")
                    } else {
                        writeln!(stdout, "{text}")
                    }
                }
                OutputArg::Srt | OutputArg::Vtt => {
                    let (document, extension) = if output == OutputArg::Srt {
                        (transcript.to_srt(), "srt")
                    } else {
                        (transcript.to_webvtt(), "vtt")
                    };
                    if several {
                        let dir = args
                            .output_dir
                            .clone()
                            .unwrap_or_else(|| PathBuf::from("."));
                        let stem = path.file_stem().map_or_else(
                            || "transcript".into(),
                            |s| s.to_string_lossy().into_owned(),
                        );
                        let target = dir.join(format!("{stem}.{extension}"));
                        match std::fs::write(&target, document) {
                            Ok(()) => writeln!(stdout, "{}", target.display()),
                            Err(e) => {
                                eprintln!("speech: {file}: cannot write {}: {e}", target.display());
                                Ok(())
                            }
                        }
                    } else {
                        write!(stdout, "{document}")
                    }
                }
            };
        }
        Err(f) => {
            f.report();
            if output == OutputArg::Json {
                let mut line = serde_json::json!({
                    "file": file,
                    "status": null,
                    "text": null,
                    "offset_ms": null,
                    "duration_ms": null,
                    "error": f.to_json(),
                });
                if detailed {
                    line["nbest"] = serde_json::json!([]);
                }
                let _ = writeln!(stdout, "{line}");
            }
        }
    }
    let _ = stdout.flush();
}

/// The JSON line of one file: the fields of one answer (`status`, `text`, `offset_ms`, `duration_ms`, `nbest`
/// with `--format detailed`), then `duration_s` (the audio's length, when known) and `phrases` on the file's
/// timeline. For a segmented file, `status` is `Success` when any phrase has text (`InitialSilenceTimeout`
/// when no speech was found), `text` joins the phrases, and `offset_ms` / `duration_ms` span them.
fn heard_json(
    file: &str,
    heard: &Heard,
    transcript: &Transcript,
    detailed: bool,
) -> serde_json::Value {
    let mut line = match heard {
        Heard::Whole(r, _) => recognition_json(file, r, detailed),
        Heard::Segmented(t) => {
            let spoken: Vec<_> = t.phrases.iter().filter(|p| !p.text.is_empty()).collect();
            let status = if spoken.is_empty() {
                // No speech found at all: what the service answers for silence.
                t.phrases
                    .first()
                    .map_or("InitialSilenceTimeout", |p| p.status.as_str())
            } else {
                "Success"
            };
            let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let offset = spoken.first().map(|p| p.offset);
            let end = spoken.last().map(|p| p.end());
            let mut line = serde_json::json!({
                "file": file,
                "status": status,
                "text": t.text(),
                "offset_ms": offset.map(ms),
                "duration_ms": offset.zip(end).map(|(o, e)| ms(e.saturating_sub(o))),
            });
            if detailed {
                line["nbest"] = serde_json::json!([]);
            }
            line
        }
    };
    let rendered = transcript.to_json();
    line["duration_s"] = rendered
        .get("duration_s")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    line["phrases"] = rendered
        .get("phrases")
        .cloned()
        .unwrap_or_else(|| serde_json::json!([]));
    line
}
