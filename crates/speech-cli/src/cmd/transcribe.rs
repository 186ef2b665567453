//! `speech transcribe FILE...`: files in parallel over one client (one token for the whole run), results in
//! input order.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use indicatif::{ProgressBar, ProgressStyle};
use speech_proto::recognize::{
    AudioContentType, Mode, Profanity, Recognition, RecognitionRequest, RecognitionStatus,
    ResultFormat,
};
use speech_ureq::Client;

use crate::cli::{FormatArg, GlobalArgs, ModeArg, OutputArg, ProfanityArg, TranscribeArgs};
use crate::embedded::Needs;
use crate::exit::Failure;
use crate::output::recognition_json;
use crate::session::Session;

/// The default number of files in flight.
const DEFAULT_JOBS: usize = 4;

fn request(args: &TranscribeArgs) -> RecognitionRequest {
    let mut r = RecognitionRequest::new(args.language.clone())
        .mode(match args.mode {
            ModeArg::Conversation => Mode::Conversation,
            ModeArg::Interactive => Mode::Interactive,
            ModeArg::Dictation => Mode::Dictation,
        })
        .format(match args.format {
            FormatArg::Simple => ResultFormat::Simple,
            FormatArg::Detailed => ResultFormat::Detailed,
        });
    if let Some(p) = args.profanity {
        r = r.profanity(match p {
            ProfanityArg::Masked => Profanity::Masked,
            ProfanityArg::Removed => Profanity::Removed,
            ProfanityArg::Raw => Profanity::Raw,
        });
    }
    r
}

/// What happened to one file.
type Outcome = Result<Recognition, Failure>;

/// Whether the file starts like an Ogg stream (sent as `audio/ogg; codecs=opus`; WAV otherwise).
fn is_ogg(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"OggS")
}

fn transcribe_one(client: &Client, path: &Path, request: &RecognitionRequest) -> Outcome {
    let name = path.display().to_string();
    let result = if is_ogg(path) {
        let request = request.clone().content_type(AudioContentType::OggOpus);
        client.recognize_file(path, &request)
    } else {
        client.recognize_file(path, request)
    };
    result.map_err(|e| {
        let failure = Failure::from_client(Some(&name), &e);
        match e.as_proto() {
            Some(speech_proto::Error::Audio(_) | speech_proto::Error::MalformedWav(_)) => failure
                .with_hint(format!(
                    "{}; or pass --force to send the file as it is",
                    crate::audio_check::convert_fix(path)
                )),
            _ => failure,
        }
    })
}

/// Run `transcribe`.
pub(crate) fn run(global: &GlobalArgs, args: &TranscribeArgs) -> Result<ExitCode, Failure> {
    let session = Session::open(global, Needs::Recognition, |b| b.check_audio(!args.force))?;
    let request = request(args);
    let files: &[PathBuf] = &args.files;
    let jobs = args
        .jobs
        .map_or(DEFAULT_JOBS, usize::from)
        .min(files.len())
        .max(1);
    let several = files.len() > 1;
    let detailed = args.format == FormatArg::Detailed;

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
            let (next, client, request) = (&next, &session.client, &request);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let outcome = transcribe_one(client, path, request);
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
                let file = files[printed].display().to_string();
                progress
                    .suspend(|| print_outcome(global.output, &file, several, detailed, &outcome));
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

fn print_outcome(output: OutputArg, file: &str, several: bool, detailed: bool, outcome: &Outcome) {
    let mut stdout = std::io::stdout().lock();
    match outcome {
        Ok(r) => {
            if let Some(hint) = r.hint() {
                let status = r
                    .status
                    .as_ref()
                    .map_or("no RecognitionStatus", RecognitionStatus::as_str);
                eprintln!("speech: {file}: {status}\n  hint: {hint}");
            }
            let _ = match output {
                OutputArg::Json => writeln!(stdout, "{}", recognition_json(file, r, detailed)),
                OutputArg::Text => {
                    let text = r.display_text().unwrap_or_default();
                    if several {
                        writeln!(stdout, "{file}: {text}")
                    } else {
                        writeln!(stdout, "{text}")
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
