//! `speech translate FILE|- --from LOCALE --to LANGUAGE…`: speech translation over the service's WebSocket API.
//!
//! The audio is read as `listen` reads it. Each phrase prints with its time, the recognized text and one line per
//! target language; `--output json` prints one object per phrase (`offset_ms`, `duration_ms`, `text`,
//! `translations: {language: text}`, and `error` when a translation failed); `--output srt|vtt` writes one
//! subtitle file per target language. A translation that failed (a language pair the service does not
//! translate; the emulator translates into English only) is reported once on stderr, and the command exits
//! with its error after printing everything else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Map, Value};
use speech_proto::stt::short::RecognitionStatus;
use speech_proto::stt::stream::translation::TranslationResult;
use speech_proto::stt::stream::{EndReason, StreamEvent, StreamRequest};
use speech_proto::stt::{Phrase, Transcript};

use super::listen::{clock, ms, start, Started};
use crate::cli::{GlobalArgs, OutputArg, TranslateArgs};
use crate::exit::{Code, Failure};

fn request(args: &TranslateArgs) -> StreamRequest {
    let mut r = StreamRequest::new(args.from.clone());
    for target in &args.to {
        r = r.translate_to(target.clone());
    }
    if let Some(p) = args.profanity {
        r = r.profanity(p.into());
    }
    r
}

fn offset(r: &TranslationResult) -> Duration {
    Duration::from_nanos(r.offset_ticks.unwrap_or(0).saturating_mul(100))
}

fn duration(r: &TranslationResult) -> Duration {
    Duration::from_nanos(r.duration_ticks.unwrap_or(0).saturating_mul(100))
}

/// The translation into `target`, when there is one.
fn text_in<'a>(r: &'a TranslationResult, target: &str) -> Option<&'a str> {
    r.translation.as_ref()?.text(target)
}

/// Where the subtitles of `target` go: `None` for stdout.
fn subtitle_path(args: &TranslateArgs, target: &str, extension: &str) -> Option<PathBuf> {
    if args.output_dir.is_none() && args.to.len() == 1 {
        return None;
    }
    let stem = if args.input.as_os_str() == "-" {
        "stdin".to_owned()
    } else {
        args.input
            .file_stem()
            .map_or_else(|| "audio".to_owned(), |s| s.to_string_lossy().into_owned())
    };
    let dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    Some(dir.join(format!("{stem}.{target}.{extension}")))
}

/// Run `translate`.
pub(crate) fn run(global: &GlobalArgs, args: &TranslateArgs) -> Result<ExitCode, Failure> {
    let Started {
        session,
        events,
        feeder,
    } = start(
        global,
        &args.input,
        request(args),
        args.realtime,
        "cannot start translating",
    )?;

    let output = global.output;
    let mut stdout = std::io::stdout().lock();
    let mut transcripts: Vec<Transcript> = args.to.iter().map(|_| Transcript::new(None)).collect();
    let mut refused: Option<speech_proto::Error> = None;
    let mut end = None;
    for event in events {
        match event {
            StreamEvent::SessionEnded(reason) => end = Some(reason),
            StreamEvent::Translated(r) if r.status == Some(RecognitionStatus::Success) => {
                if let Some(e) = r.translation.as_ref().and_then(|t| t.error()) {
                    if refused.is_none() {
                        eprintln!("speech: {}", e.summary());
                        refused = Some(e);
                    }
                }
                match output {
                    OutputArg::Json => {
                        let translations: Map<String, Value> = args
                            .to
                            .iter()
                            .filter_map(|t| Some((t.clone(), Value::from(text_in(&r, t)?))))
                            .collect();
                        let mut v = json!({
                            "offset_ms": ms(offset(&r)),
                            "duration_ms": ms(duration(&r)),
                            "text": r.text,
                            "translations": translations,
                        });
                        if let Some(e) = r
                            .translation
                            .as_ref()
                            .and_then(|t| t.failure_reason.clone())
                        {
                            v["error"] = Value::from(e);
                        }
                        let _ = writeln!(stdout, "{v}");
                    }
                    OutputArg::Text => {
                        let _ = writeln!(stdout, "[{}] {}", clock(offset(&r)), r.text);
                        for target in &args.to {
                            if let Some(text) = text_in(&r, target) {
                                let _ = writeln!(stdout, "    {target}: {text}");
                            }
                        }
                    }
                    OutputArg::Srt | OutputArg::Vtt => {}
                }
                let _ = stdout.flush();
                for (target, transcript) in args.to.iter().zip(&mut transcripts) {
                    if let Some(text) = text_in(&r, target) {
                        transcript.push(Phrase::new(
                            offset(&r),
                            duration(&r),
                            text,
                            RecognitionStatus::Success,
                        ));
                    }
                }
            }
            StreamEvent::Reconnecting { reason, after } if global.verbose => {
                eprintln!(
                    "speech: reconnecting in {:.1} s: {reason:?}",
                    after.as_secs_f64()
                );
            }
            _ => {}
        }
    }
    let fed = feeder
        .join()
        .unwrap_or_else(|_| Err("the audio reader panicked".to_owned()));
    if let OutputArg::Srt | OutputArg::Vtt = output {
        let extension = if output == OutputArg::Srt {
            "srt"
        } else {
            "vtt"
        };
        for (target, transcript) in args.to.iter().zip(&transcripts) {
            let text = if output == OutputArg::Srt {
                transcript.to_srt()
            } else {
                transcript.to_webvtt()
            };
            match subtitle_path(args, target, extension) {
                None => {
                    let _ = write!(stdout, "{text}");
                }
                Some(path) => {
                    if transcript.phrases.is_empty() {
                        continue;
                    }
                    std::fs::write(&path, text).map_err(|e| {
                        Failure::new(Code::Usage, format!("cannot write {}: {e}", path.display()))
                    })?;
                    eprintln!("speech: wrote {}", path.display());
                }
            }
        }
    }
    let _ = stdout.flush();
    drop(stdout);
    session.finish(global);
    if let Err(e) = fed {
        return Err(Failure::new(
            Code::Input,
            format!("{}: {e}", args.input.display()),
        ));
    }
    match end {
        Some(EndReason::Error(e)) => Err(Failure::from_client(
            Some("speech translation"),
            &speech_ureq::Error::from(e),
        )),
        None => Err(Failure::new(
            Code::Service,
            "the translation session stopped without an end",
        )),
        Some(_) => match refused {
            Some(e) => Err(Failure::from_client(
                Some("speech translation"),
                &speech_ureq::Error::from(e),
            )),
            None => Ok(ExitCode::SUCCESS),
        },
    }
}
