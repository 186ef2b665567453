//! [`Client::transcribe`]: a recording of any format and length through the short-audio API, on any runtime.
//!
//! Decoding and cutting at pauses (`speech_audio`) are CPU work: they run on the `blocking` crate's thread
//! pool, which needs no runtime, and hand segments over through a queue of [`TranscribeOptions::concurrency`]
//! places. Up to that many segments are recognized at the same time over this one client (one connection
//! pool, one token); their answers are taken in order and stitched onto the recording's timeline as a
//! [`Transcript`]. Memory stays bounded whatever the length of the recording.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use speech_audio::decode::{DecodeError, Source};
use speech_audio::segment::{EarshotVad, Segmenter, SegmenterConfig, Segments, SAMPLE_RATE};
use speech_proto::audio::pcm16_mono_wav;
use speech_proto::stt::{Progress, TranscribeOptions, Transcript};

use crate::{Client, Error};

fn samples_to_duration(samples: u64) -> Duration {
    Duration::from_micros(samples * 1_000_000 / u64::from(SAMPLE_RATE))
}

fn decode_error(e: DecodeError) -> Error {
    match e {
        DecodeError::Io(io) => Error::Io(io),
        other => Error::Decode(other),
    }
}

impl Client {
    /// Transcribes a recording of any supported format (WAV of any PCM width, float, A-law, µ-law; MP3; FLAC;
    /// Ogg/Vorbis; AAC/M4A) and any length: decoded, cut at pauses, recognized segment by segment (several at
    /// a time) with `options.request`, and stitched into one [`Transcript`] on the recording's timeline.
    /// `recognize*` stays the raw short-audio call.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] for a recording that cannot be decoded, [`Error::Io`] when it cannot be read, and the
    /// first failure of a segment's recognition.
    pub async fn transcribe(
        &self,
        source: impl Into<Source>,
        options: &TranscribeOptions,
    ) -> Result<Transcript, Error> {
        self.transcribe_with_progress(source, options, |_| {}).await
    }

    /// [`Client::transcribe`], calling `progress` as segments come back.
    ///
    /// # Errors
    ///
    /// As [`Client::transcribe`].
    pub async fn transcribe_with_progress(
        &self,
        source: impl Into<Source>,
        options: &TranscribeOptions,
        mut progress: impl FnMut(Progress),
    ) -> Result<Transcript, Error> {
        let source = source.into();
        let config = SegmenterConfig {
            min_pause: options.min_pause,
            max_segment: options.segment_limit(),
            min_cut_pause: options.min_cut_pause,
            ..SegmenterConfig::default()
        };
        let segments = blocking::unblock(move || {
            source.open().map(|decoder| {
                Segments::new(decoder, Segmenter::with_vad(config, EarshotVad::default()))
            })
        })
        .await
        .map_err(decode_error)?;
        let total = segments.total();
        let decoded = segments.decoded_samples();
        let in_flight = options.in_flight();
        let mut answers = blocking::Unblock::with_capacity(in_flight, segments)
            .map(|segment| async move {
                let segment = segment.map_err(decode_error)?;
                let wav = pcm16_mono_wav(SAMPLE_RATE, &segment.samples);
                let recognition = self.recognize_bytes(&wav, &options.request).await?;
                Ok::<_, Error>((segment.start, segment.end(), recognition))
            })
            .buffered(in_flight);
        let mut transcript = Transcript::new(None);
        while let Some(answer) = answers.next().await {
            let (start, end, recognition) = answer?;
            transcript.push_segment(samples_to_duration(start), &recognition);
            progress(Progress {
                decoded: samples_to_duration(decoded.load(Ordering::Relaxed)),
                recognized: samples_to_duration(end),
                total,
            });
        }
        let length = samples_to_duration(decoded.load(Ordering::Relaxed));
        transcript.duration = Some(length);
        progress(Progress {
            decoded: length,
            recognized: length,
            total,
        });
        Ok(transcript)
    }
}
