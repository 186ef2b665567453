//! `speech synthesize TEXT -o OUT`: speak text (or an SSML file) and stream the audio to a file or stdout.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use speech_proto::synthesize::{OutputFormat, Ssml, SynthesisRequest};
use speech_proto::tts::stream::{
    riff_header, transcript_of, BoundaryKind, MetadataOptions, SpeakRequest, SynthesisEvent,
    SynthesisSettings,
};

use crate::cli::{GlobalArgs, OutputArg, SynthesisApiArg as ApiArg, SynthesizeArgs};
use crate::embedded::Needs;
use crate::exit::{Code, Failure};
use crate::output::emit_line;
use crate::session::{Session, USER_AGENT};

/// The largest SSML file read (the emulator takes 1 MiB; the service documents no REST limit).
const MAX_SSML_BYTES: u64 = 4 << 20;

/// The SSML language of a voice: `en-US` for `en-US-JennyNeural` (everything before the last `-`), or the
/// locale in the long form `Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`.
pub(crate) fn voice_language(voice: &str) -> Option<&str> {
    if let Some(inner) = voice
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(','))
    {
        let lang = inner.0.trim();
        return (!lang.is_empty()).then_some(lang);
    }
    voice
        .rsplit_once('-')
        .map(|(lang, _)| lang)
        .filter(|l| !l.is_empty() && l.contains('-'))
}

fn read_ssml(path: &Path) -> Result<String, Failure> {
    let name = path.display();
    let file = File::open(path)
        .map_err(|e| Failure::usage(format!("cannot read the SSML file {name}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_SSML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::usage(format!("cannot read the SSML file {name}: {e}")))?;
    if bytes.len() as u64 > MAX_SSML_BYTES {
        return Err(Failure::new(
            Code::Input,
            format!(
                "the SSML file {name} is larger than {} MiB",
                MAX_SSML_BYTES >> 20
            ),
        )
        .with_hint("split the text into several requests"));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Failure::new(
            Code::Input,
            format!("the SSML file {name} is not UTF-8: {e}"),
        )
        .with_hint("save the file as UTF-8")
    })?;
    if text.trim().is_empty() {
        return Err(Failure::new(
            Code::Input,
            format!("the SSML file {name} is empty"),
        ));
    }
    Ok(text)
}

fn build_request(args: &SynthesizeArgs) -> Result<SynthesisRequest, Failure> {
    let format: OutputFormat = args.format.parse().map_err(|e: speech_proto::Error| {
        Failure::usage(e.to_string())
            .with_hint("see the output formats in `speech synthesize --help`")
    })?;
    match (&args.ssml, &args.text) {
        (Some(path), _) => Ok(SynthesisRequest::from_body(
            read_ssml(path)?,
            format,
            USER_AGENT,
        )),
        (None, Some(text)) => {
            let ssml = Ssml::simple(language_of(&args.voice)?, args.voice.clone(), text.clone());
            SynthesisRequest::new(&ssml, format, USER_AGENT)
                .map_err(|e| Failure::new(Code::Input, format!("cannot build the SSML: {e}")))
        }
        (None, None) => Err(Failure::usage("give the TEXT to speak, or --ssml FILE")),
    }
}

/// Copy the audio, telling a failure to read (the network) from a failure to write (the local file).
fn copy(mut from: impl Read, to: &mut impl Write) -> Result<u64, (Code, io::Error)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((Code::Service, e)),
        };
        to.write_all(&buf[..n]).map_err(|e| (Code::Usage, e))?;
        total += n as u64;
    }
    to.flush().map_err(|e| (Code::Usage, e))?;
    Ok(total)
}

/// One event as a line of the `--events` file.
fn event_json(event: &SynthesisEvent) -> Option<serde_json::Value> {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    Some(match event {
        SynthesisEvent::Boundary(b) => serde_json::json!({
            "type": match b.kind {
                BoundaryKind::Word => "word",
                BoundaryKind::Punctuation => "punctuation",
                BoundaryKind::Sentence => "sentence",
            },
            "offset_ms": ms(b.offset),
            "duration_ms": ms(b.duration),
            "text": b.text,
            "text_offset": b.text_offset,
        }),
        SynthesisEvent::Bookmark { offset, name } => serde_json::json!({
            "type": "bookmark", "offset_ms": ms(*offset), "duration_ms": 0.0, "text": name, "text_offset": null,
        }),
        SynthesisEvent::Viseme { offset, id, .. } => serde_json::json!({
            "type": "viseme", "offset_ms": ms(*offset), "duration_ms": 0.0, "text": "", "text_offset": null,
            "viseme_id": id,
        }),
        _ => return None,
    })
}

/// The language of a voice's short name (`en-US` of `en-US-JennyNeural`), for SSML made from plain text.
fn language_of(voice: &str) -> Result<&str, Failure> {
    voice_language(voice).ok_or_else(|| {
        Failure::usage(format!(
            "cannot tell the language of the voice {voice:?}: expected a short name such as en-US-JennyNeural"
        ))
        .with_hint("pick a short name from `speech voices`")
    })
}

fn speak_request(args: &SynthesizeArgs, format: OutputFormat) -> Result<SpeakRequest, Failure> {
    let request = match (&args.ssml, &args.text) {
        (Some(path), _) => SpeakRequest::ssml(read_ssml(path)?),
        (None, Some(text)) => {
            SpeakRequest::text(language_of(&args.voice)?, args.voice.clone(), text.clone())
        }
        (None, None) => return Err(Failure::usage("give the TEXT to speak, or --ssml FILE")),
    }
    .map_err(|e| Failure::new(Code::Input, format!("cannot build the request: {e}")))?;
    let metadata = if args.events.is_some() {
        MetadataOptions::all()
    } else {
        MetadataOptions::default()
    };
    Ok(request.format(format).metadata(metadata))
}

/// Synthesize over WebSocket: audio written as it arrives, events and captions written at the end.
fn run_websocket(
    global: &GlobalArgs,
    args: &SynthesizeArgs,
    format: OutputFormat,
) -> Result<ExitCode, Failure> {
    let request = speak_request(args, format)?;
    let to_stdout = args.out.as_os_str() == "-";
    let session = Session::open(global, Needs::Synthesis, |b| b)?;
    let mut synthesizer = session
        .client
        .synthesizer(SynthesisSettings::default())
        .map_err(|e| Failure::from_client(None, &e))?;
    let part = part_path(&args.out);
    let mut sink: Box<dyn Write> = if to_stdout {
        Box::new(io::stdout().lock())
    } else {
        Box::new(io::BufWriter::new(File::create(&part).map_err(|e| {
            Failure::usage(format!("cannot write {}: {e}", part.display()))
        })?))
    };
    // A RIFF header first: sizes unknown yet (patched in a file at the end; a stream reads to its end).
    if riff_header(format, 0).is_some() {
        let header = riff_header(format, u64::from(u32::MAX - 36)).unwrap_or([0; 44]);
        sink.write_all(&header)
            .map_err(|e| Failure::usage(format!("cannot write the audio: {e}")))?;
    }
    let mut written = 0u64;
    let mut events = Vec::new();
    let mut failure = None;
    for event in synthesizer
        .speak(request)
        .map_err(|e| Failure::from_client(None, &e))?
    {
        match event {
            SynthesisEvent::Audio(chunk) => {
                if let Err(e) = sink.write_all(&chunk).and_then(|()| sink.flush()) {
                    failure = Some(Failure::usage(format!("cannot write the audio: {e}")));
                    break;
                }
                written += chunk.len() as u64;
            }
            SynthesisEvent::Failed(e) => {
                failure = Some(Failure::from_client(None, &speech_ureq::Error::from(e)));
            }
            other => events.push(other),
        }
    }
    drop(sink);
    if let Some(failure) = failure {
        let _ = std::fs::remove_file(&part);
        return Err(failure);
    }
    if !to_stdout {
        if let Some(header) = riff_header(format, written) {
            use std::io::{Seek, SeekFrom};
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(&part)
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", part.display())))?;
            file.seek(SeekFrom::Start(0))
                .and_then(|_| file.write_all(&header))
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", part.display())))?;
            written += 44;
        }
        std::fs::rename(&part, &args.out)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", args.out.display())))?;
    }
    if let Some(path) = &args.events {
        let mut lines = String::new();
        for line in events.iter().filter_map(event_json) {
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        std::fs::write(path, lines)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.subtitles {
        let transcript = transcript_of(&events);
        let vtt = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("vtt"));
        let text = if vtt {
            transcript.to_webvtt()
        } else {
            transcript.to_srt()
        };
        std::fs::write(path, text)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    session.finish(global);
    match global.output {
        OutputArg::Json if !to_stdout => emit_line(serde_json::json!({
            "file": args.out.display().to_string(),
            "bytes": written,
            "format": format.as_str(),
            "events": events.len(),
        })),
        _ if !to_stdout => eprintln!(
            "speech: wrote {written} bytes of {} to {} ({} events, over WebSocket)",
            format.as_str(),
            args.out.display(),
            events.len()
        ),
        _ => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn part_path(out: &Path) -> PathBuf {
    let mut part = PathBuf::from(out);
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    part.set_file_name(name);
    part
}

/// Run `synthesize`.
pub(crate) fn run(global: &GlobalArgs, args: &SynthesizeArgs) -> Result<ExitCode, Failure> {
    let to_stdout = args.out.as_os_str() == "-";
    if !to_stdout {
        if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(Failure::usage(format!(
                    "cannot write {}: the directory {} does not exist",
                    args.out.display(),
                    dir.display()
                )));
            }
        }
    }
    let wants_events = args.events.is_some() || args.subtitles.is_some();
    let websocket = match args.api {
        ApiArg::Websocket => true,
        ApiArg::Auto => wants_events,
        ApiArg::Rest if wants_events => {
            return Err(Failure::usage(
                "--events and --subtitles need the WebSocket API: drop --api rest",
            ))
        }
        ApiArg::Rest => false,
    };
    if websocket {
        let format: OutputFormat = args.format.parse().map_err(|e: speech_proto::Error| {
            Failure::usage(e.to_string())
                .with_hint("see the output formats in `speech synthesize --help`")
        })?;
        return run_websocket(global, args, format);
    }
    let request = build_request(args)?;
    if !to_stdout {
        if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(Failure::usage(format!(
                    "cannot write {}: the directory {} does not exist",
                    args.out.display(),
                    dir.display()
                )));
            }
        }
    }
    let session = Session::open(global, Needs::Synthesis, |b| b)?;
    let stream = session
        .client
        .synthesize(&request)
        .map_err(|e| Failure::from_client(None, &e))?;
    let written = if to_stdout {
        let mut out = io::stdout().lock();
        copy(stream, &mut out)
            .map_err(|(code, e)| Failure::new(code, format!("the audio stream failed: {e}")))?
    } else {
        write_file(&args.out, stream)?
    };
    session.finish(global);
    let format = request.format();
    match global.output {
        OutputArg::Json if !to_stdout => emit_line(serde_json::json!({
            "file": args.out.display().to_string(),
            "bytes": written,
            "format": format.as_str(),
        })),
        _ if !to_stdout => eprintln!(
            "speech: wrote {written} bytes of {} to {}",
            format.as_str(),
            args.out.display()
        ),
        _ => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Stream into `OUT.part` next to the target and rename it on success, so that a failed run never leaves a
/// half-written file under the name asked for.
fn write_file(out: &Path, stream: impl Read) -> Result<u64, Failure> {
    let part = part_path(out);
    let mut file = File::create(&part)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", part.display())))?;
    let result = copy(stream, &mut file);
    drop(file);
    match result {
        Ok(n) => {
            std::fs::rename(&part, out).map_err(|e| {
                let _ = std::fs::remove_file(&part);
                Failure::usage(format!("cannot write {}: {e}", out.display()))
            })?;
            Ok(n)
        }
        Err((code, e)) => {
            let _ = std::fs::remove_file(&part);
            Err(Failure::new(
                code,
                match code {
                    Code::Usage => format!("cannot write {}: {e}", part.display()),
                    _ => format!(
                        "the audio stream failed after the service accepted the request: {e}"
                    ),
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_of_a_voice() {
        assert_eq!(voice_language("en-US-JennyNeural"), Some("en-US"));
        assert_eq!(
            voice_language("iu-Latn-CA-TaqqiqNeural"),
            Some("iu-Latn-CA")
        );
        assert_eq!(
            voice_language("Microsoft Server Speech Text to Speech Voice (de-DE, KatjaNeural)"),
            Some("de-DE")
        );
        assert_eq!(voice_language("Jenny"), None);
        assert_eq!(voice_language("en-Jenny"), None);
    }

    #[test]
    fn copy_tells_read_from_write_failures() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            }
        }
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert_eq!(copy(Broken, &mut Vec::new()).unwrap_err().0, Code::Service);
        assert_eq!(copy(&b"abc"[..], &mut Full).unwrap_err().0, Code::Usage);
        let mut v = Vec::new();
        assert_eq!(copy(&b"abc"[..], &mut v).unwrap(), 3);
    }
}
