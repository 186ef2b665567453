//! Request bodies (where the bytes come from, and whether they can be sent again) and the synthesis stream.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use http::HeaderMap;
use speech_proto::audio::UploadCheck;
use speech_proto::call::BodyPlan;
use speech_proto::synthesize::OutputFormat;

use crate::error::Error;

/// How much is read from the caller's source at a time while looking for the WAV header.
const PEEK_CHUNK: usize = 4096;

/// The request body of one call. Reads count the bytes taken in the current attempt and keep the caller's own
/// read error (so that it is reported as [`Error::Io`], not as a transport failure).
pub(crate) struct Upload<'a> {
    source: Source<'a>,
    /// Bytes sent before and after the source's (a multipart body's framing), and how far each got.
    prefix: &'a [u8],
    suffix: &'a [u8],
    prefix_pos: usize,
    suffix_pos: usize,
    source_done: bool,
    taken: u64,
    source_error: Option<io::Error>,
}

enum Source<'a> {
    /// No body (GET).
    Empty,
    /// Bytes in memory; `pos` is how far the current attempt got.
    Bytes { bytes: &'a [u8], pos: usize },
    /// A file, rewound before each attempt.
    File(File),
    /// The caller's stream, behind the bytes already read from it to check its header.
    Stream {
        peeked: io::Cursor<Vec<u8>>,
        rest: &'a mut dyn Read,
    },
}

impl<'a> Upload<'a> {
    pub(crate) fn empty() -> Self {
        Self::new(Source::Empty)
    }

    pub(crate) fn bytes(bytes: &'a [u8]) -> Self {
        Self::new(Source::Bytes { bytes, pos: 0 })
    }

    pub(crate) fn file(file: File) -> Self {
        Self::new(Source::File(file))
    }

    /// A stream; `peeked` are the bytes already read from it, sent first.
    pub(crate) fn stream(peeked: Vec<u8>, rest: &'a mut dyn Read) -> Self {
        Self::new(Source::Stream {
            peeked: io::Cursor::new(peeked),
            rest,
        })
    }

    fn new(source: Source<'a>) -> Self {
        Upload {
            source,
            prefix: &[],
            suffix: &[],
            prefix_pos: 0,
            suffix_pos: 0,
            source_done: false,
            taken: 0,
            source_error: None,
        }
    }

    /// The same body between `prefix` and `suffix` (a multipart body around the audio).
    pub(crate) fn framed(mut self, prefix: &'a [u8], suffix: &'a [u8]) -> Self {
        self.prefix = prefix;
        self.suffix = suffix;
        self
    }

    /// The body plan the core's call machine decides retries by.
    pub(crate) fn plan(&self) -> BodyPlan {
        match self.source {
            Source::Empty => BodyPlan::Empty,
            Source::Bytes { .. } | Source::File(_) => BodyPlan::Replayable,
            Source::Stream { .. } => BodyPlan::Stream,
        }
    }

    /// Bytes read from the source in the current attempt.
    pub(crate) fn taken(&self) -> u64 {
        self.taken
    }

    /// Go back to the start for a new attempt. A stream is only resent when nothing was taken from it
    /// (the retry decision makes sure of that), so it stays where it is.
    pub(crate) fn rewind(&mut self) -> io::Result<()> {
        match &mut self.source {
            Source::Bytes { pos, .. } => *pos = 0,
            Source::File(f) => {
                f.seek(SeekFrom::Start(0))?;
            }
            Source::Empty | Source::Stream { .. } => {}
        }
        self.prefix_pos = 0;
        self.suffix_pos = 0;
        self.source_done = false;
        self.taken = 0;
        Ok(())
    }

    /// The error the caller's source returned during the last attempt, if any.
    pub(crate) fn take_source_error(&mut self) -> Option<io::Error> {
        self.source_error.take()
    }
}

impl Read for Upload<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(rest) = self.prefix.get(self.prefix_pos..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.prefix_pos += n;
            self.taken += n as u64;
            return Ok(n);
        }
        if self.source_done {
            let rest = self.suffix.get(self.suffix_pos..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.suffix_pos += n;
            self.taken += n as u64;
            return Ok(n);
        }
        let result = match &mut self.source {
            Source::Empty => Ok(0),
            Source::Bytes { bytes, pos } => {
                let rest = bytes.get(*pos..).unwrap_or_default();
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
            Source::File(f) => f.read(buf),
            Source::Stream { peeked, rest } => match peeked.read(buf)? {
                0 => rest.read(buf),
                n => Ok(n),
            },
        };
        match result {
            Ok(0) if !buf.is_empty() && !self.suffix.is_empty() => {
                self.source_done = true;
                self.read(buf)
            }
            Ok(n) => {
                self.taken += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let kind = e.kind();
                self.source_error = Some(e);
                Err(io::Error::new(kind, "reading the audio source failed"))
            }
        }
    }
}

/// Read the WAV header from `source` and check it for recognition (the core's [`UploadCheck`]). Returns every
/// byte read (the header and whatever part of the samples came with the last read), to be sent in front of the
/// rest of the source.
///
/// Reads in pieces of 4 KiB and keeps only what it read: at most the core parser's header search window
/// ([`DEFAULT_MAX_HEADER_LEN`](speech_proto::audio::DEFAULT_MAX_HEADER_LEN)) plus one piece.
pub(crate) fn peek_and_check_wav(
    source: &mut dyn Read,
    pronunciation_assessment: bool,
) -> Result<Vec<u8>, Error> {
    let mut check = UploadCheck::new(pronunciation_assessment);
    let mut peeked = Vec::new();
    let mut chunk = [0u8; PEEK_CHUNK];
    loop {
        let n = match source.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        peeked.extend_from_slice(&chunk[..n]);
        if check.push(&chunk[..n])?.is_some() {
            return Ok(peeked);
        }
    }
}

/// Synthesized audio, read as it arrives from the service.
///
/// A `Read` over the response body: nothing is buffered beyond ureq's own read buffer. A response that ends
/// early (a connection closed before the last chunk or before `Content-Length` bytes) is an error
/// ([`io::ErrorKind::UnexpectedEof`] or another), never a silent truncation. The bytes are in the requested
/// [`OutputFormat`]: a `riff-*` format starts with a WAV header, the others are raw streams.
pub struct SynthesisStream {
    reader: ureq::BodyReader<'static>,
    format: OutputFormat,
    headers: HeaderMap,
}

impl SynthesisStream {
    pub(crate) fn new(body: ureq::Body, format: OutputFormat, headers: HeaderMap) -> Self {
        SynthesisStream {
            reader: body.into_reader(),
            format,
            headers,
        }
    }

    /// The format of the audio (the one requested).
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The response headers (e.g. `Content-Type`, a request id).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl Read for SynthesisStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl fmt::Debug for SynthesisStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SynthesisStream")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reader that hands out its bytes in the given piece sizes (then whatever is left).
    struct Pieces {
        data: Vec<u8>,
        sizes: Vec<usize>,
        at: usize,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = if self.sizes.is_empty() {
                buf.len()
            } else {
                self.sizes.remove(0).max(1)
            };
            let n = size.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    proptest! {
        /// However the audio arrives in reads, and whatever buffers the sender reads into, a framed body is
        /// the frame's start, the audio and the frame's end, counted exactly; and a rewound file gives the same
        /// bytes again.
        #[test]
        fn a_framed_body_is_the_same_bytes_however_it_is_read(
            prefix in proptest::collection::vec(any::<u8>(), 0..300),
            audio in proptest::collection::vec(any::<u8>(), 0..3_000),
            suffix in proptest::collection::vec(any::<u8>(), 0..100),
            sizes in proptest::collection::vec(1usize..700, 0..20),
            buffer in 1usize..1_000,
        ) {
            let expected: Vec<u8> = [prefix.clone(), audio.clone(), suffix.clone()].concat();
            let read_all = |upload: &mut Upload<'_>| {
                let mut out = Vec::new();
                let mut buf = vec![0u8; buffer];
                loop {
                    let n = upload.read(&mut buf).expect("read");
                    if n == 0 {
                        break;
                    }
                    out.extend_from_slice(&buf[..n]);
                }
                out
            };
            let mut source = Pieces { data: audio.clone(), sizes, at: 0 };
            let mut upload = Upload::stream(Vec::new(), &mut source).framed(&prefix, &suffix);
            let body = read_all(&mut upload);
            prop_assert_eq!(&body, &expected);
            prop_assert_eq!(upload.taken(), expected.len() as u64);

            let mut file = tempfile::tempfile().expect("a file");
            std::io::Write::write_all(&mut file, &audio).expect("write");
            let mut upload = Upload::file(file).framed(&prefix, &suffix);
            upload.rewind().expect("rewind");
            prop_assert_eq!(read_all(&mut upload), expected.clone());
            upload.rewind().expect("rewind");
            prop_assert_eq!(read_all(&mut upload), expected);
        }
    }

    fn wav(rate: u32, channels: u16, samples: usize) -> Vec<u8> {
        let mut f = Vec::new();
        let data = (samples * 2 * usize::from(channels)) as u32;
        f.extend_from_slice(b"RIFF");
        f.extend_from_slice(&(36 + data).to_le_bytes());
        f.extend_from_slice(b"WAVEfmt ");
        f.extend_from_slice(&16u32.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&channels.to_le_bytes());
        f.extend_from_slice(&rate.to_le_bytes());
        f.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
        f.extend_from_slice(&(2 * channels).to_le_bytes());
        f.extend_from_slice(&16u16.to_le_bytes());
        f.extend_from_slice(b"data");
        f.extend_from_slice(&data.to_le_bytes());
        f.resize(f.len() + data as usize, 7);
        f
    }

    /// A reader that hands out one byte at a time and counts what was taken.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.get(self.1) {
                Some(b) if !buf.is_empty() => {
                    buf[0] = *b;
                    self.1 += 1;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn peeking_takes_only_the_header_and_the_stream_is_sent_whole() {
        let file = wav(16_000, 1, 16_000);
        let mut source = Trickle(&file, 0);
        let peeked = peek_and_check_wav(&mut source, false).unwrap();
        assert_eq!(peeked.len(), 44, "one byte at a time: exactly the header");
        assert_eq!(source.1, 44);
        let mut upload = Upload::stream(peeked, &mut source);
        // Nothing taken yet: the core may still send it (BodyState::NotSent).
        assert_eq!((upload.plan(), upload.taken()), (BodyPlan::Stream, 0));
        let mut sent = Vec::new();
        upload.read_to_end(&mut sent).unwrap();
        assert_eq!(sent, file);
        // Taken: the core never sends it again (BodyState::NotReplayable).
        assert_eq!(upload.plan(), BodyPlan::Stream);
        assert!(upload.taken() > 0);
    }

    #[test]
    fn peeking_refuses_what_the_service_would_mishear() {
        let file = wav(44_100, 2, 100);
        let err = peek_and_check_wav(&mut &file[..], false).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("44100 Hz") && text.contains("2 channels") && text.contains("sox"),
            "{text}"
        );
        let err = peek_and_check_wav(&mut &b"ID3\x04rest of an mp3"[..], false).unwrap_err();
        assert!(matches!(
            err,
            Error::Proto(speech_proto::Error::MalformedWav(_))
        ));
        let long = wav(16_000, 1, 16_000 * 31);
        assert!(peek_and_check_wav(&mut &long[..], false).is_ok());
        assert!(matches!(
            peek_and_check_wav(&mut &long[..], true),
            Err(Error::Proto(speech_proto::Error::Audio(_)))
        ));
    }

    #[test]
    fn bytes_rewind_and_source_errors_are_kept() {
        let mut upload = Upload::bytes(b"abcdef");
        let mut buf = [0u8; 4];
        assert_eq!(upload.read(&mut buf).unwrap(), 4);
        upload.rewind().unwrap();
        let mut all = Vec::new();
        upload.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abcdef");
        assert_eq!(upload.plan(), BodyPlan::Replayable);

        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "secret.wav",
                ))
            }
        }
        let mut failing = Failing;
        let mut upload = Upload::stream(Vec::new(), &mut failing);
        let err = upload.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            upload.take_source_error().unwrap().to_string(),
            "secret.wav"
        );
        assert!(upload.take_source_error().is_none());
    }
}
