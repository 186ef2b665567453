//! `speech doctor --audio FILE`: what the service will make of an audio file, with the fix for each problem.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use speech_proto::audio::{
    check_for_recognition, convert_commands, Silence, SilenceScan, WavError, WavHeader,
    WavHeaderParser, WavStatus, DEFAULT_MAX_HEADER_LEN,
};

use crate::exit::Code;
use crate::report::{Finding, Level};

/// A path as one POSIX shell word: as it is when it is made of safe characters, else in single quotes.
pub(crate) fn shell_word(path: &Path) -> String {
    let s = path.display().to_string();
    let safe = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%')
        });
    if safe {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The conversion commands, with the file's own name filled in.
pub(crate) fn convert_fix(path: &Path) -> String {
    convert_commands(&shell_word(path))
}

const CHECK: &str = "audio";

/// Inspect an audio file: container, codec, rate, channels, bits, duration and leading silence.
pub(crate) fn inspect(path: &Path) -> Vec<Finding> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return vec![Finding::new(
                CHECK,
                Level::Problem(Code::Usage),
                format!("cannot read {}: {e}", path.display()),
            )
            .with_fix("check the path and the file's permissions")];
        }
    };
    match inspect_reader(path, file) {
        Ok(findings) => findings,
        Err(e) => vec![Finding::new(
            CHECK,
            Level::Problem(Code::Usage),
            format!("cannot read {}: {e}", path.display()),
        )],
    }
}

fn inspect_reader(path: &Path, mut file: impl Read) -> io::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut parser = WavHeaderParser::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    // Read until the header is complete; keep the sample bytes that came with the last piece.
    let (header, mut first_samples) = loop {
        let n = read_some(&mut file, &mut buf)?;
        total += n as u64;
        if n == 0 {
            match parser.finish() {
                Ok(h) => break (h, Vec::new()),
                Err(e) => return Ok(vec![not_wav(path, &e)]),
            }
        }
        match parser.push(&buf[..n]) {
            Ok(WavStatus::Partial(_)) => {
                if parser.consumed() > DEFAULT_MAX_HEADER_LEN {
                    return Ok(vec![not_wav(
                        path,
                        &WavError::HeaderTooLong {
                            limit: DEFAULT_MAX_HEADER_LEN,
                        },
                    )]);
                }
            }
            Ok(WavStatus::Complete { header, consumed }) => {
                break (header, buf[consumed..n].to_vec())
            }
            Err(e) => return Ok(vec![not_wav(path, &e)]),
        }
    };
    findings.push(Finding::new(CHECK, Level::Ok, describe(&header)));

    match check_for_recognition(&header, false) {
        Ok(info) => {
            for note in info.notes {
                findings.push(Finding::new(CHECK, Level::Warning, note.to_string()));
            }
            findings.push(Finding::new(
                CHECK,
                Level::Ok,
                "the format is what the service needs (16 kHz, mono, 16-bit PCM WAV)",
            ));
        }
        Err(problems) => {
            for p in problems {
                findings.push(
                    Finding::new(CHECK, Level::Problem(Code::Input), p.to_string())
                        .with_fix(convert_fix(path)),
                );
            }
        }
    }

    // Leading silence, over what the service listens to (the core's scan decides the window and the verdict).
    if let Some(mut scan) = SilenceScan::for_header(&header) {
        scan.push(&first_samples);
        first_samples.clear();
        while scan.wants_more() {
            let n = read_some(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            scan.push(&buf[..n]);
        }
        let report = scan.report();
        if let Some((declared, data_read)) = report.cut_short {
            findings.push(
                Finding::new(
                    CHECK,
                    Level::Warning,
                    format!(
                        "the header announces {declared} bytes of samples but the file ends after {data_read}: \
                         it was cut short (total {total} bytes)"
                    ),
                )
                .with_fix("re-export or re-record the file"),
            );
        }
        match report.silence {
            Silence::NoSound { heard } => findings.push(
                Finding::new(
                    CHECK,
                    Level::Problem(Code::Input),
                    format!(
                        "no sound above about -40 dBFS in the first {:.1} s: the service will answer \
                         InitialSilenceTimeout",
                        heard.as_secs_f64()
                    ),
                )
                .with_fix("check the recording level and that the right input (microphone, channel) was recorded"),
            ),
            Silence::StartsLate(p) => {
                findings.push(Finding::new(CHECK, Level::Warning, p.to_string()).with_fix(
                    format!(
                        "trim it: `sox {} out.wav silence 1 0.1 1%`",
                        shell_word(path)
                    ),
                ))
            }
            Silence::StartsAfter(leading) => findings.push(Finding::new(
                CHECK,
                Level::Ok,
                format!(
                    "sound starts after {:.2} s of leading silence",
                    leading.as_secs_f64()
                ),
            )),
            _ => {}
        }
    }
    Ok(findings)
}

/// Read into `buf`, retrying on interruption; 0 means the end.
fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn not_wav(path: &Path, e: &WavError) -> Finding {
    if let WavError::NotRiff {
        looks_like: Some(what),
    } = e
    {
        if what.starts_with("Ogg") {
            return Finding::new(
                CHECK,
                Level::Warning,
                "an Ogg file: the service takes Ogg/Opus (16 kHz mono), which doctor cannot inspect further",
            )
            .with_fix(format!(
                "if the service answers InitialSilenceTimeout or 400, {}",
                convert_fix(path)
            ));
        }
    }
    Finding::new(CHECK, Level::Problem(Code::Input), e.to_string()).with_fix(convert_fix(path))
}

fn describe(h: &WavHeader) -> String {
    let f = &h.format;
    let duration = match h.duration() {
        Some(d) => format_duration(d),
        None => "unknown length".to_owned(),
    };
    format!(
        "WAV, {} {}-bit, {} Hz, {} channel{}, {}",
        f.codec,
        f.valid_bits_per_sample.unwrap_or(f.bits_per_sample),
        f.sample_rate,
        f.channels,
        if f.channels == 1 { "" } else { "s" },
        duration
    )
}

fn format_duration(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data_len = (samples.len() * 2) as u32;
        let mut f = Vec::new();
        f.extend_from_slice(b"RIFF");
        f.extend_from_slice(&(36 + data_len).to_le_bytes());
        f.extend_from_slice(b"WAVEfmt ");
        f.extend_from_slice(&16u32.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&channels.to_le_bytes());
        f.extend_from_slice(&rate.to_le_bytes());
        f.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        f.extend_from_slice(&(channels * 2).to_le_bytes());
        f.extend_from_slice(&16u16.to_le_bytes());
        f.extend_from_slice(b"data");
        f.extend_from_slice(&data_len.to_le_bytes());
        for s in samples {
            f.extend_from_slice(&s.to_le_bytes());
        }
        f
    }

    fn tone(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| if i % 8 < 4 { 8000 } else { -8000 })
            .collect()
    }

    fn worst(findings: &[Finding]) -> Level {
        findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok)
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word(Path::new("a/b-c_d.wav")), "a/b-c_d.wav");
        assert_eq!(shell_word(Path::new("my file.wav")), "'my file.wav'");
        assert_eq!(shell_word(Path::new("it's.wav")), r"'it'\''s.wav'");
    }

    #[test]
    fn good_file_is_all_ok() {
        let mut s = vec![0i16; 1600];
        s.extend(tone(16_000));
        let f = inspect_reader(Path::new("a.wav"), &wav(16_000, 1, &s)[..]).unwrap();
        assert_eq!(worst(&f), Level::Ok, "{f:?}");
        assert!(
            f[0].message.contains("16000 Hz, 1 channel, 1.10 s"),
            "{}",
            f[0].message
        );
        assert!(
            f.iter().any(|x| x.message.contains("after 0.10 s")),
            "{f:?}"
        );
    }

    #[test]
    fn stereo_44k_is_an_input_problem_with_the_commands() {
        let f = inspect_reader(Path::new("in.wav"), &wav(44_100, 2, &tone(44_100))[..]).unwrap();
        assert_eq!(worst(&f), Level::Problem(Code::Input));
        let problems: Vec<&Finding> = f
            .iter()
            .filter(|x| x.level == Level::Problem(Code::Input))
            .collect();
        assert_eq!(problems.len(), 2, "{f:?}");
        for p in problems {
            let fix = p.fix.as_deref().unwrap();
            assert!(fix.contains("sox in.wav -r 16000 -c 1 -b 16"), "{fix}");
            assert!(
                fix.contains("ffmpeg -i in.wav -ar 16000 -ac 1 -c:a pcm_s16le out.wav"),
                "{fix}"
            );
        }
    }

    #[test]
    fn silence_and_leading_silence() {
        let f = inspect_reader(Path::new("s.wav"), &wav(16_000, 1, &vec![0; 32_000])[..]).unwrap();
        assert_eq!(worst(&f), Level::Problem(Code::Input));
        assert!(f
            .iter()
            .any(|x| x.message.contains("InitialSilenceTimeout")));

        let mut s = vec![0i16; 16_000 * 4];
        s.extend(tone(1600));
        let f = inspect_reader(Path::new("s.wav"), &wav(16_000, 1, &s)[..]).unwrap();
        assert_eq!(worst(&f), Level::Warning, "{f:?}");
        assert!(f.iter().any(|x| x
            .fix
            .as_deref()
            .unwrap_or_default()
            .contains("silence 1 0.1 1%")));
    }

    #[test]
    fn mp3_and_ogg_are_named() {
        let f =
            inspect_reader(Path::new("a.mp3"), &b"ID3\x04\x00\x00\x00\x00\x00\x00"[..]).unwrap();
        assert_eq!(worst(&f), Level::Problem(Code::Input));
        assert!(f[0].message.contains("MP3"));
        let f = inspect_reader(
            Path::new("a.ogg"),
            &b"OggS\x00\x02\x00\x00\x00\x00\x00\x00"[..],
        )
        .unwrap();
        assert_eq!(worst(&f), Level::Warning);
    }

    #[test]
    fn truncated_and_empty_input() {
        let f = inspect_reader(Path::new("e.wav"), &b""[..]).unwrap();
        assert_eq!(worst(&f), Level::Problem(Code::Input));
        let full = wav(16_000, 1, &tone(100));
        let f = inspect_reader(Path::new("t.wav"), &full[..20]).unwrap();
        assert_eq!(worst(&f), Level::Problem(Code::Input));
    }
}
