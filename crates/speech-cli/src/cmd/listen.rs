//! `speech listen FILE|-`: streaming recognition over the service's WebSocket API, with live partial results.
//!
//! A file is decoded (any format `transcribe` takes) to 16 kHz mono and streamed as it is decoded; `-` reads raw
//! 16 kHz mono s16le PCM from stdin until it ends. On a terminal, the current hypothesis is redrawn in place and
//! each final phrase printed on its own line with its time; `--output json` prints one event per line;
//! `--output srt|vtt` writes the phrases as subtitles at the end.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Value};
use speech_proto::stt::short::RecognitionStatus;
use speech_proto::stt::stream::{EndReason, Pacing, StreamEvent, StreamRequest, StreamSettings};
use speech_proto::stt::Transcript;

use crate::cli::{FormatArg, GlobalArgs, ListenArgs, OutputArg};
use crate::embedded::Needs;
use crate::exit::{Code, Failure};
use crate::session::Session;

fn request(args: &ListenArgs) -> StreamRequest {
    let mut r = StreamRequest::new(args.language.clone())
        .mode(args.mode.into())
        .format(args.format.into());
    if let Some(p) = args.profanity {
        r = r.profanity(p.into());
    }
    r
}

/// `HH:MM:SS.mmm`.
pub(crate) fn clock(d: Duration) -> String {
    let ms = d.as_millis();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Where the audio comes from: samples as they are decoded, or raw PCM from stdin.
enum Input {
    File(Box<speech_audio::decode::Decoder>),
    Stdin(std::io::Stdin),
}

impl Input {
    fn open(path: &std::path::Path) -> Result<Input, Failure> {
        if path.as_os_str() == "-" {
            return Ok(Input::Stdin(std::io::stdin()));
        }
        let file = std::fs::File::open(path)
            .map_err(|e| Failure::new(Code::Input, format!("{}: {e}", path.display())))?;
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_owned);
        speech_audio::decode::Decoder::open_file(file, extension.as_deref())
            .map(|d| Input::File(Box::new(d)))
            .map_err(|e| Failure::new(Code::Input, format!("{}: {e}", path.display())))
    }

    /// The next piece of PCM bytes; `None` at the end.
    fn next(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self {
            Input::File(decoder) => match decoder.next_chunk() {
                Ok(Some(samples)) => {
                    Ok(Some(samples.iter().flat_map(|s| s.to_le_bytes()).collect()))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Input::Stdin(stdin) => {
                let mut buf = vec![0u8; 3_200];
                let n = stdin.lock().read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    return Ok(None);
                }
                buf.truncate(n);
                Ok(Some(buf))
            }
        }
    }
}

/// The JSON line of an event (`None` for events that are not printed).
fn event_json(event: &StreamEvent, detailed: bool) -> Option<Value> {
    Some(match event {
        StreamEvent::Hypothesis {
            text,
            offset,
            duration,
        } => {
            json!({"event": "hypothesis", "text": text, "offset_ms": ms(*offset), "duration_ms": ms(*duration)})
        }
        StreamEvent::Phrase(p) => {
            let status = p.status.as_ref().map_or("", RecognitionStatus::as_str);
            let mut v = json!({
                "event": "phrase",
                "status": status,
                "text": p.display_text().unwrap_or_default(),
                "offset_ms": p.offset().map(ms).unwrap_or(0),
                "duration_ms": p.duration().map(ms).unwrap_or(0),
            });
            if detailed {
                v["nbest"] = p
                    .nbest
                    .iter()
                    .map(|n| {
                        json!({"confidence": n.confidence, "lexical": n.lexical, "itn": n.itn,
                               "masked_itn": n.masked_itn, "display": n.display})
                    })
                    .collect();
            }
            v
        }
        _ => return None,
    })
}

/// A streaming session under way: the session (finish it at the end), its events, and the thread feeding it
/// the audio (its error, when reading the input failed).
pub(crate) struct Started {
    pub(crate) session: Session,
    pub(crate) events: speech_ureq::Events,
    pub(crate) feeder: std::thread::JoinHandle<Result<(), String>>,
}

/// Open `path`, start a streaming session of `request` (`listen`'s or `translate`'s), and feed it the audio on
/// a thread: as fast as it is read, or with `realtime` at 1× (reading at that pace too, so that the session's
/// buffer does not fill ahead of its pacing).
pub(crate) fn start(
    global: &GlobalArgs,
    path: &std::path::Path,
    request: StreamRequest,
    realtime: bool,
    what: &str,
) -> Result<Started, Failure> {
    let mut input = Input::open(path)?;
    let session = Session::open(global, Needs::Recognition, |b| b)?;
    let mut settings = StreamSettings::default();
    // Without --realtime, audio goes as fast as it comes: a file as fast as the service takes it, a pipe from a
    // microphone at the microphone's own pace.
    settings.pacing = if realtime {
        Pacing::realtime()
    } else {
        Pacing::unlimited()
    };
    let (mut writer, events) = session
        .client
        .listen(request, settings)
        .map_err(|e| Failure::from_client(Some(what), &e))?;
    let feeder = std::thread::spawn(move || -> Result<(), String> {
        let started = std::time::Instant::now();
        let mut sent: u64 = 0;
        while let Some(pcm) = input.next()? {
            if realtime {
                let due = Duration::from_micros(sent * 1_000_000 / 32_000);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            sent += pcm.len() as u64;
            if writer.write_all(&pcm).is_err() {
                // The session ended (its reason comes with the events).
                return Ok(());
            }
        }
        writer.finish();
        Ok(())
    });
    Ok(Started {
        session,
        events,
        feeder,
    })
}

/// Run `listen`.
pub(crate) fn run(global: &GlobalArgs, args: &ListenArgs) -> Result<ExitCode, Failure> {
    let Started {
        session,
        events,
        feeder,
    } = start(
        global,
        &args.input,
        request(args),
        args.realtime,
        "cannot start listening",
    )?;

    let output = global.output;
    let detailed = args.format == FormatArg::Detailed;
    let terminal = std::io::stdout().is_terminal();
    let mut stdout = std::io::stdout().lock();
    let mut transcript = Transcript::new(None);
    let mut drawn = false;
    let mut end = None;
    for event in events {
        match (&event, output) {
            (StreamEvent::SessionEnded(reason), _) => {
                end = Some(reason.clone());
            }
            (_, OutputArg::Json) => {
                if let Some(v) = event_json(&event, detailed) {
                    let _ = writeln!(stdout, "{v}");
                    let _ = stdout.flush();
                }
            }
            (StreamEvent::Hypothesis { text, offset, .. }, OutputArg::Text) if terminal => {
                let line = format!("[{}] {text}…", clock(*offset));
                let width = 100;
                let shown: String = line.chars().take(width).collect();
                let _ = write!(stdout, "\r\x1b[2K{shown}");
                let _ = stdout.flush();
                drawn = true;
            }
            (StreamEvent::Phrase(p), OutputArg::Text) => {
                if drawn {
                    let _ = write!(stdout, "\r\x1b[2K");
                    drawn = false;
                }
                if p.status == Some(RecognitionStatus::Success) {
                    let text = p.display_text().unwrap_or_default();
                    let _ = writeln!(stdout, "[{}] {text}", clock(p.offset().unwrap_or_default()));
                    let _ = stdout.flush();
                }
            }
            (StreamEvent::Reconnecting { reason, after }, _) if global.verbose => {
                eprintln!(
                    "speech: reconnecting in {:.1} s: {reason:?}",
                    after.as_secs_f64()
                );
            }
            _ => {}
        }
        if let StreamEvent::Phrase(p) = &event {
            transcript.push_segment(Duration::ZERO, p);
        }
    }
    if drawn {
        let _ = write!(stdout, "\r\x1b[2K");
    }
    let fed = feeder
        .join()
        .unwrap_or_else(|_| Err("the audio reader panicked".to_owned()));
    let reason = end.unwrap_or(EndReason::Error(speech_proto::Error::Stream(
        speech_proto::StreamError::Closed {
            code: 1006,
            reason: "the session stopped without an end".to_owned(),
        },
    )));
    let reason_text = match &reason {
        EndReason::EndOfAudio => "end_of_audio".to_owned(),
        EndReason::SingleShot => "single_shot".to_owned(),
        EndReason::Error(e) => format!("error: {}", e.summary()),
        _ => "other".to_owned(),
    };
    match output {
        OutputArg::Json => {
            let _ = writeln!(stdout, "{}", json!({"event": "end", "reason": reason_text}));
        }
        OutputArg::Srt => {
            let _ = write!(stdout, "{}", transcript.to_srt());
        }
        OutputArg::Vtt => {
            let _ = write!(stdout, "{}", transcript.to_webvtt());
        }
        OutputArg::Text => {}
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
    match reason {
        EndReason::Error(e) => Err(Failure::from_client(
            Some("streaming recognition"),
            &speech_ureq::Error::from(e),
        )),
        _ => Ok(ExitCode::SUCCESS),
    }
}
