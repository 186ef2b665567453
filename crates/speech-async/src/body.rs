//! Request bodies (where the bytes come from, and whether they can be sent again), the audio check before an
//! upload, and the synthesis stream.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::AsyncRead;
use futures_util::{AsyncReadExt, Stream, StreamExt};
use http::HeaderMap;
use speech_proto::audio::UploadCheck;
use speech_proto::call::BodyPlan;
use speech_proto::synthesize::OutputFormat;

use crate::error::Error;

/// How much is read from the caller's reader at a time (while peeking at the header and while uploading).
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// The caller's audio reader.
pub(crate) type DynRead<'a> = dyn AsyncRead + Send + Unpin + 'a;
/// The caller's audio stream.
pub(crate) type DynStream<'a> = dyn Stream<Item = io::Result<Bytes>> + Send + Unpin + 'a;

/// The request body of one call. Pieces taken are counted per attempt, and the caller's own read error is kept
/// (so that it is reported as [`Error::Io`], not as a transport failure).
pub(crate) struct Upload<'a> {
    source: Source<'a>,
    /// Bytes sent before and after the source's (a multipart body's framing), and where the attempt is.
    prefix: &'a [u8],
    suffix: &'a [u8],
    stage: Stage,
    taken: u64,
    source_error: Option<io::Error>,
}

/// Which part of a framed body comes next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Prefix,
    Source,
    Done,
}

enum Source<'a> {
    /// No body (GET).
    Empty,
    /// Bytes in memory; `pos` is how far the current attempt got.
    Bytes { bytes: &'a [u8], pos: usize },
    /// The caller's reader, behind the bytes already read from it to check its header.
    Reader {
        peeked: Vec<u8>,
        peeked_sent: bool,
        rest: &'a mut DynRead<'a>,
        buf: Box<[u8]>,
    },
    /// A file, opened anew (on the blocking thread pool) for each attempt, so that it can be sent again.
    File {
        path: std::path::PathBuf,
        open: Option<blocking::Unblock<std::fs::File>>,
        buf: Box<[u8]>,
    },
    /// The caller's stream, behind the pieces already taken from it to check its header.
    Stream {
        peeked: VecDeque<Bytes>,
        rest: &'a mut DynStream<'a>,
        current: Bytes,
    },
}

impl<'a> Upload<'a> {
    pub(crate) fn empty() -> Self {
        Self::new(Source::Empty)
    }

    pub(crate) fn bytes(bytes: &'a [u8]) -> Self {
        Self::new(Source::Bytes { bytes, pos: 0 })
    }

    /// A reader; `peeked` are the bytes already read from it, sent first.
    pub(crate) fn reader(peeked: Vec<u8>, rest: &'a mut DynRead<'a>) -> Self {
        Self::new(Source::Reader {
            peeked,
            peeked_sent: false,
            rest,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
        })
    }

    /// A stream; `peeked` are the pieces already taken from it, sent first.
    pub(crate) fn stream(peeked: VecDeque<Bytes>, rest: &'a mut DynStream<'a>) -> Self {
        Self::new(Source::Stream {
            peeked,
            rest,
            current: Bytes::new(),
        })
    }

    /// A file, read from its start for each attempt.
    pub(crate) fn file(path: std::path::PathBuf) -> Self {
        Self::new(Source::File {
            path,
            open: None,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
        })
    }

    fn new(source: Source<'a>) -> Self {
        Upload {
            source,
            prefix: &[],
            suffix: &[],
            stage: Stage::Source,
            taken: 0,
            source_error: None,
        }
    }

    /// The same body between `prefix` and `suffix` (a multipart body around the audio).
    pub(crate) fn framed(mut self, prefix: &'a [u8], suffix: &'a [u8]) -> Self {
        self.prefix = prefix;
        self.suffix = suffix;
        self.stage = Stage::Prefix;
        self
    }

    /// Whether the body has a frame around its source.
    fn is_framed(&self) -> bool {
        !self.prefix.is_empty() || !self.suffix.is_empty()
    }

    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self.source, Source::Empty)
    }

    /// The whole body, when it is in memory (sent in one piece, e.g. as a `reqwest::Body` of bytes).
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn in_memory(&self) -> Option<&'a [u8]> {
        if self.is_framed() {
            return None;
        }
        match self.source {
            Source::Bytes { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// The body plan the core's call machine decides retries by.
    pub(crate) fn plan(&self) -> BodyPlan {
        match self.source {
            Source::Empty => BodyPlan::Empty,
            Source::Bytes { .. } | Source::File { .. } => BodyPlan::Replayable,
            Source::Reader { .. } | Source::Stream { .. } => BodyPlan::Stream,
        }
    }

    /// Bytes taken from the source in the current attempt.
    pub(crate) fn taken(&self) -> u64 {
        self.taken
    }

    /// Go back to the start for a new attempt. A reader or stream is only resent when nothing was taken from it
    /// (the retry decision makes sure of that), so it stays where it is.
    pub(crate) fn rewind(&mut self) {
        match &mut self.source {
            Source::Bytes { pos, .. } => *pos = 0,
            Source::File { open, .. } => *open = None,
            _ => {}
        }
        self.stage = if self.is_framed() {
            Stage::Prefix
        } else {
            Stage::Source
        };
        self.taken = 0;
    }

    /// The error the caller's source returned during the last attempt, if any.
    pub(crate) fn take_source_error(&mut self) -> Option<io::Error> {
        self.source_error.take()
    }

    /// The next piece of the body; empty at the end. The piece borrows the caller's bytes (in memory, or a
    /// stream's `Bytes`) or this upload's read buffer: nothing is copied on the way to the connection.
    pub(crate) async fn next_piece(&mut self) -> io::Result<&[u8]> {
        match self.stage {
            Stage::Prefix => {
                self.stage = Stage::Source;
                if !self.prefix.is_empty() {
                    self.taken += self.prefix.len() as u64;
                    return Ok(self.prefix);
                }
            }
            Stage::Done => return Ok(&[]),
            Stage::Source => {}
        }
        self.next_source_piece().await
    }

    /// The next piece of the source itself.
    async fn next_source_piece(&mut self) -> io::Result<&[u8]> {
        let result = match &mut self.source {
            Source::Empty => Ok(&[][..]),
            Source::Bytes { bytes, pos } => {
                let rest = bytes.get(*pos..).unwrap_or_default();
                *pos = bytes.len();
                Ok(rest)
            }
            Source::Reader {
                peeked,
                peeked_sent,
                rest,
                buf,
            } => {
                if !*peeked_sent && !peeked.is_empty() {
                    *peeked_sent = true;
                    Ok(&peeked[..])
                } else {
                    *peeked_sent = true;
                    loop {
                        match rest.read(buf).await {
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Err(e) => break Err(e),
                            Ok(n) => break Ok(&buf[..n.min(buf.len())]),
                        }
                    }
                }
            }
            Source::File { path, open, buf } => {
                if open.is_none() {
                    let path = path.clone();
                    match blocking::unblock(move || std::fs::File::open(path)).await {
                        Ok(file) => *open = Some(blocking::Unblock::new(file)),
                        Err(e) => {
                            let kind = e.kind();
                            self.source_error = Some(e);
                            return Err(io::Error::new(kind, "opening the audio file failed"));
                        }
                    }
                }
                match open.as_mut() {
                    Some(file) => loop {
                        match file.read(buf).await {
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            Err(e) => break Err(e),
                            Ok(n) => break Ok(&buf[..n.min(buf.len())]),
                        }
                    },
                    None => Ok(&[][..]),
                }
            }
            Source::Stream {
                peeked,
                rest,
                current,
            } => {
                let next = match peeked.pop_front() {
                    Some(piece) => Ok(Some(piece)),
                    None => loop {
                        match rest.next().await {
                            // Empty items are not the end of the stream; skip them.
                            Some(Ok(piece)) if piece.is_empty() => continue,
                            Some(Ok(piece)) => break Ok(Some(piece)),
                            Some(Err(e)) => break Err(e),
                            None => break Ok(None),
                        }
                    },
                };
                match next {
                    Ok(piece) => {
                        *current = piece.unwrap_or_default();
                        Ok(&current[..])
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            // The source's end: the frame's end follows, when there is one.
            Ok(piece)
                if piece.is_empty() && (!self.prefix.is_empty() || !self.suffix.is_empty()) =>
            {
                self.stage = Stage::Done;
                self.taken += self.suffix.len() as u64;
                Ok(self.suffix)
            }
            Ok(piece) => {
                self.taken += piece.len() as u64;
                Ok(piece)
            }
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
/// Reads in pieces of 16 KiB and keeps only what it read: at most the core parser's header search window plus
/// one piece.
pub(crate) async fn peek_and_check_reader(
    source: &mut DynRead<'_>,
    pronunciation_assessment: bool,
) -> Result<Vec<u8>, Error> {
    let mut check = UploadCheck::new(pronunciation_assessment);
    let mut peeked = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = match source.read(&mut chunk).await {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        };
        let piece = chunk.get(..n).unwrap_or_default();
        peeked.extend_from_slice(piece);
        if check.push(piece)?.is_some() {
            return Ok(peeked);
        }
    }
}

/// Like [`peek_and_check_reader`], for a stream: the pieces taken, to be sent first.
pub(crate) async fn peek_and_check_stream(
    source: &mut DynStream<'_>,
    pronunciation_assessment: bool,
) -> Result<VecDeque<Bytes>, Error> {
    let mut check = UploadCheck::new(pronunciation_assessment);
    let mut peeked = VecDeque::new();
    loop {
        let piece = match source.next().await {
            Some(Ok(piece)) if piece.is_empty() => continue,
            Some(Ok(piece)) => piece,
            Some(Err(e)) => return Err(Error::Io(e)),
            None => Bytes::new(),
        };
        let done = check.push(&piece)?.is_some();
        if !piece.is_empty() {
            peeked.push_back(piece);
        }
        if done {
            return Ok(peeked);
        }
    }
}

/// Synthesized audio, as it arrives from the service: a [`Stream`] of `Bytes` chunks.
///
/// Nothing is buffered beyond one read from the connection. A response that ends early (a connection closed
/// before the last chunk or before `Content-Length` bytes) ends the stream with an error, never silently. The
/// bytes are in the requested [`OutputFormat`]: a `riff-*` format starts with a WAV header, the others are raw
/// streams.
pub struct SynthesisStream {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>,
    format: OutputFormat,
    headers: HeaderMap,
}

impl SynthesisStream {
    pub(crate) fn new(
        inner: Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>,
        format: OutputFormat,
        headers: HeaderMap,
    ) -> Self {
        SynthesisStream {
            inner,
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

    /// Read the rest of the audio into one buffer.
    ///
    /// # Errors
    ///
    /// The first error of the stream (a broken or truncated answer).
    pub async fn collect_bytes(mut self) -> Result<Vec<u8>, Error> {
        let mut all = Vec::new();
        while let Some(piece) = self.next().await {
            all.extend_from_slice(&piece?);
        }
        Ok(all)
    }
}

impl Stream for SynthesisStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
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
    use futures_util::FutureExt;

    /// Every source here is in memory: the futures complete on their first poll.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        f.now_or_never()
            .expect("in-memory futures are ready at once")
    }

    /// A reader that hands out its bytes in the given piece sizes (then whatever is left), at once.
    struct Pieces {
        data: Vec<u8>,
        sizes: Vec<usize>,
        at: usize,
    }

    impl AsyncRead for Pieces {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let size = if self.sizes.is_empty() {
                buf.len()
            } else {
                self.sizes.remove(0).max(1)
            };
            let n = size.min(buf.len()).min(self.data.len() - self.at);
            let at = self.at;
            buf[..n].copy_from_slice(&self.data[at..at + n]);
            self.at += n;
            Poll::Ready(Ok(n))
        }
    }

    proptest::proptest! {
        /// However the audio arrives in reads, a framed body is the frame's start, the audio and the frame's
        /// end, counted exactly, and it ends with an empty piece.
        #[test]
        fn a_framed_body_is_the_same_bytes_however_it_is_read(
            prefix in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            audio in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3_000),
            suffix in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
            sizes in proptest::collection::vec(1usize..700, 0..20),
        ) {
            let expected: Vec<u8> = [prefix.clone(), audio.clone(), suffix.clone()].concat();
            let mut source = Pieces { data: audio, sizes, at: 0 };
            let mut upload = Upload::reader(Vec::new(), &mut source).framed(&prefix, &suffix);
            upload.rewind();
            let mut body = Vec::new();
            loop {
                let piece = block_on(upload.next_piece()).expect("a piece");
                if piece.is_empty() {
                    break;
                }
                body.extend_from_slice(piece);
            }
            proptest::prop_assert_eq!(&body, &expected);
            proptest::prop_assert_eq!(upload.taken(), expected.len() as u64);
            proptest::prop_assert!(block_on(upload.next_piece()).expect("the end").is_empty());
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

    async fn drain(upload: &mut Upload<'_>) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let piece = upload.next_piece().await.unwrap();
            if piece.is_empty() {
                return all;
            }
            all.extend_from_slice(piece);
        }
    }

    #[test]
    fn a_checked_reader_is_sent_whole() {
        block_on(async {
            let file = wav(16_000, 1, 16_000);
            let mut source = &file[..];
            let peeked = peek_and_check_reader(&mut source, false).await.unwrap();
            assert!(peeked.len() >= 44);
            let mut upload = Upload::reader(peeked, &mut source);
            // Nothing taken yet: the core may still send it (BodyState::NotSent).
            assert_eq!((upload.plan(), upload.taken()), (BodyPlan::Stream, 0));
            assert_eq!(drain(&mut upload).await, file);
            // Taken: the core never sends it again (BodyState::NotReplayable).
            assert_eq!(upload.plan(), BodyPlan::Stream);
            assert!(upload.taken() > 0);
        });
    }

    #[test]
    fn a_checked_stream_is_sent_whole_in_its_own_pieces() {
        block_on(async {
            let file = wav(16_000, 1, 1000);
            let pieces: Vec<io::Result<Bytes>> = file
                .chunks(7)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            let mut stream = futures_util::stream::iter(pieces);
            let peeked = peek_and_check_stream(&mut stream, false).await.unwrap();
            assert_eq!(peeked.len(), 7, "44 header bytes in pieces of 7");
            let mut upload = Upload::stream(peeked, &mut stream);
            let mut sizes = Vec::new();
            let mut all = Vec::new();
            loop {
                let piece = upload.next_piece().await.unwrap();
                if piece.is_empty() {
                    break;
                }
                sizes.push(piece.len());
                all.extend_from_slice(piece);
            }
            assert_eq!(all, file);
            assert!(sizes.iter().all(|&n| n <= 7));
        });
    }

    #[test]
    fn the_check_refuses_what_the_service_would_mishear() {
        block_on(async {
            let file = wav(44_100, 2, 100);
            let err = peek_and_check_reader(&mut &file[..], false)
                .await
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("44100 Hz") && text.contains("2 channels"),
                "{text}"
            );
            let err = peek_and_check_reader(&mut &b"ID3\x04rest of an mp3"[..], false)
                .await
                .unwrap_err();
            assert!(matches!(
                err,
                Error::Proto(speech_proto::Error::MalformedWav(_))
            ));
        });
    }

    #[test]
    fn bytes_rewind_and_source_errors_are_kept() {
        block_on(async {
            let mut upload = Upload::bytes(b"abcdef");
            assert_eq!(drain(&mut upload).await, b"abcdef");
            upload.rewind();
            assert_eq!(drain(&mut upload).await, b"abcdef");
            assert_eq!(upload.plan(), BodyPlan::Replayable);

            let mut failing = futures_util::stream::iter(vec![Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "secret.wav",
            ))]);
            let mut upload = Upload::stream(VecDeque::new(), &mut failing);
            let err = upload.next_piece().await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
            assert_eq!(
                upload.take_source_error().unwrap().to_string(),
                "secret.wav"
            );
        });
    }
}
