//! The last resort for formats no decoder in this crate knows (WMA, AMR, ALAC, APE, …): when `ffmpeg` is on
//! `PATH`, it converts the file to 16 kHz mono 16-bit WAV on a pipe, which the decoder then reads like any
//! other WAV. Only files (a path ffmpeg can open) take this route. The child process is killed and reaped
//! when the decoder is dropped; its exit status is checked at the end of the audio, so that a file ffmpeg
//! gives up on halfway is an error, not a silently shortened transcript.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use crate::error::DecodeError;

/// What ffmpeg says on stderr is kept up to this many bytes (it prints little at `-loglevel error`).
const STDERR_CAP: u64 = 16 * 1024;

/// A running ffmpeg conversion: the process and the thread collecting its complaints.
pub(crate) struct Conversion {
    child: Child,
    stderr: Option<JoinHandle<String>>,
}

impl Conversion {
    /// Waits for ffmpeg after its output ended: an error with its message when it failed.
    pub(crate) fn finish(&mut self) -> Result<(), DecodeError> {
        let status = self.child.wait()?;
        let message = self.message();
        if status.success() {
            Ok(())
        } else {
            Err(DecodeError::Malformed {
                reason: format!("ffmpeg could not decode it ({status}): {message}"),
            })
        }
    }

    /// The error for a conversion that wrote no WAV: ffmpeg could not read the file; its own words say why.
    pub(crate) fn unreadable(mut self) -> DecodeError {
        let _ = self.child.wait();
        DecodeError::Malformed {
            reason: format!("ffmpeg could not decode it: {}", self.message()),
        }
    }

    /// What ffmpeg printed (once).
    fn message(&mut self) -> String {
        let text = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let text = text.trim();
        if text.is_empty() {
            "it printed nothing".to_owned()
        } else {
            text.lines().collect::<Vec<_>>().join("; ")
        }
    }
}

impl Drop for Conversion {
    fn drop(&mut self) {
        // Kill is a no-op error when it already exited; wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts converting `path` with `program` (ffmpeg): the pipe its WAV comes out of, and the process.
/// `Err(Io(NotFound))` means there is no ffmpeg.
pub(crate) fn spawn(
    path: &Path,
    program: &OsStr,
) -> Result<(ChildStdout, Conversion), DecodeError> {
    let mut child = Command::new(program)
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-vn",
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
            "-",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| DecodeError::Malformed {
        reason: "ffmpeg's output pipe is missing".into(),
    })?;
    // stderr is drained on its own thread, so that a chatty ffmpeg never blocks on a full pipe.
    let stderr = child.stderr.take().map(|pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut limited = pipe.take(STDERR_CAP);
            let _ = limited.read_to_string(&mut text);
            // Whatever is left is read and dropped.
            let _ = std::io::copy(&mut limited.into_inner(), &mut std::io::sink());
            text
        })
    });
    Ok((stdout, Conversion { child, stderr }))
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::Path;

    use crate::decode::{open_path, DecodeError};

    /// Makes `name` in `dir` with ffmpeg (installed by `scripts/setup.sh`) from its own tone generator.
    fn ffmpeg_makes(dir: &Path, name: &str, codec: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        let status = std::process::Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg("sine=frequency=440:duration=3:sample_rate=44100")
            .args(["-c:a", codec, "-y"])
            .arg(&path)
            .status()
            .expect("ffmpeg runs (scripts/setup.sh installs it)");
        assert!(status.success());
        path
    }

    fn decode(path: &Path, ffmpeg: &str) -> Result<(String, Vec<i16>), DecodeError> {
        let mut decoder = open_path(path, OsStr::new(ffmpeg))?;
        let mut out = Vec::new();
        while let Some(chunk) = decoder.next_chunk()? {
            out.extend(chunk);
        }
        Ok((decoder.info().codec.clone(), out))
    }

    #[test]
    fn wma_is_decoded_through_ffmpeg_at_the_right_length_and_pitch() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let wma = ffmpeg_makes(dir.path(), "tone.wma", "wmav2");
        let (codec, out) = decode(&wma, "ffmpeg").expect("decodes");
        assert_eq!(codec, "ffmpeg");
        // 3 s at 16 kHz, give or take the codec's padding.
        assert!((47_000..=50_000).contains(&out.len()), "{}", out.len());
        let middle = &out[16_000..32_000];
        let crossings = crate::decode::tests::zero_crossings(middle);
        assert!((870..=890).contains(&crossings), "{crossings}");
    }

    #[test]
    fn without_ffmpeg_wma_is_unsupported_and_named_with_the_fix() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let wma = ffmpeg_makes(dir.path(), "tone.wma", "wmav2");
        let err = decode(&wma, "/nonexistent/ffmpeg").expect_err("no decoder");
        assert!(
            matches!(&err, DecodeError::Unsupported { what } if what.starts_with("WMA")),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("install"), "{message}");
        assert!(message.contains("ffmpeg -i INPUT"), "{message}");
    }

    #[test]
    fn a_file_ffmpeg_cannot_read_is_malformed_with_its_words() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("broken.wma");
        let mut bytes = vec![
            0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62,
            0xCE, 0x6C,
        ];
        bytes.extend(std::iter::repeat_n(0x42, 4_000));
        std::fs::write(&path, bytes).expect("written");
        let err = decode(&path, "ffmpeg").expect_err("not audio");
        assert!(
            matches!(&err, DecodeError::Malformed { reason } if reason.starts_with("ffmpeg could not decode it")),
            "{err:?}"
        );
    }
}
