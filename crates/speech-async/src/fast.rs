//! Fast transcription: a whole recording in one multipart upload ([`Client::fast_transcribe`]).

use futures_io::AsyncRead;
use speech_audio::decode::Source;
use speech_proto::call::Call;
use speech_proto::stt::fast::{FastTranscriptionOptions, Multipart};
use speech_proto::stt::Transcript;

use crate::body::Upload;
use crate::client::value;
use crate::{Client, Error};

impl Client {
    /// Transcribes a whole recording with the fast-transcription API: one request, answered with timed
    /// phrases, word timings and, with [`FastTranscriptionOptions::speakers`], who spoke — on the same
    /// [`Transcript`] as [`Client::transcribe`].
    ///
    /// The file goes up as it is (WAV, MP3, FLAC, Ogg and whatever else the service decodes; at most 2 hours
    /// and 300 MB), streamed inside the multipart body. A file is sent with its length, read on the `blocking`
    /// thread pool, and sent again when a retry is due; a [`Source::Reader`] is sent chunked and only retried
    /// while nothing of it was read (it is read on the thread pool too). The answer may take minutes: reads
    /// wait up to [`fast_transcription_timeout`](crate::ClientBuilder::fast_transcription_timeout).
    ///
    /// Authentication: a key goes as it is (never exchanged for a token: the service does not document taking
    /// them here), an Entra token as a plain bearer. A region without fast transcription answers with an error
    /// whose hint says so ([`Error::hint`]).
    ///
    /// # Errors
    ///
    /// [`speech_proto::Misuse`] for options the service would refuse
    /// ([`FastTranscriptionOptions::definition`]); [`Error::Io`] when the audio cannot be read;
    /// [`speech_proto::Error::LimitExceeded`] for a file over 300 MB; service answers and transport failures.
    pub async fn fast_transcribe(
        &self,
        source: impl Into<Source>,
        options: &FastTranscriptionOptions,
    ) -> Result<Transcript, Error> {
        let definition = options.definition()?;
        let entropy = self.inner.clock.entropy();
        match source.into() {
            Source::File(path) => {
                let probe = path.clone();
                let len = blocking::unblock(move || std::fs::metadata(probe).map(|m| m.len()))
                    .await
                    .map_err(Error::Io)?;
                let name = path
                    .file_name()
                    .map_or_else(|| "audio".into(), |n| n.to_string_lossy().into_owned());
                let multipart = Multipart::new(&definition, &name, entropy);
                let head = options.request(&self.inner.endpoint, &multipart, Some(len))?;
                let upload = Upload::file(path).framed(multipart.preamble(), multipart.epilogue());
                self.fast_upload(head, upload).await
            }
            Source::Reader { reader, extension } => {
                let name = extension.map_or_else(|| "audio".to_owned(), |e| format!("audio.{e}"));
                let multipart = Multipart::new(&definition, &name, entropy);
                let head = options.request(&self.inner.endpoint, &multipart, None)?;
                let mut reader = blocking::Unblock::new(reader);
                let reader: &mut (dyn AsyncRead + Send + Unpin) = &mut reader;
                let upload = Upload::reader(Vec::new(), reader)
                    .framed(multipart.preamble(), multipart.epilogue());
                self.fast_upload(head, upload).await
            }
        }
    }

    async fn fast_upload(
        &self,
        head: http::Request<()>,
        mut upload: Upload<'_>,
    ) -> Result<Transcript, Error> {
        let inner = &*self.inner;
        let call = Call::fast_transcription(head, upload.plan(), inner.retry);
        self.drive(&inner.fast_transport, &inner.fast_auth, call, &mut upload)
            .await
            .and_then(value)
    }
}
