//! [`Client::transcribe`]: a recording of any format and length through the short-audio API.
//!
//! The calling thread decodes the recording (`speech_audio::decode`) and cuts it at the speaker's pauses
//! (`speech_audio::segment`); [`TranscribeOptions::concurrency`] worker threads recognize the segments over
//! this one client (one connection pool, one token), each as a WAV body of known length; the results are put
//! back onto the recording's timeline as a [`Transcript`]. Memory stays bounded: at most `concurrency`
//! segments wait for a worker, besides the ones being sent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use speech_audio::decode::Source;
use speech_audio::segment::{
    EarshotVad, Segment, Segmenter, SegmenterConfig, Segments, SAMPLE_RATE,
};
use speech_proto::audio::pcm16_mono_wav;
use speech_proto::stt::short::Recognition;
use speech_proto::stt::{Progress, TranscribeOptions, Transcript};

use crate::{Client, Error};

/// A finished segment: its place in the order, its span in samples, and the service's answer.
type Done = (usize, u64, u64, Result<Recognition, Error>);

fn samples_to_duration(samples: u64) -> Duration {
    Duration::from_micros(samples * 1_000_000 / u64::from(SAMPLE_RATE))
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
    /// first failure of a segment's recognition (the other segments in flight finish, none is started after
    /// it).
    pub fn transcribe(
        &self,
        source: impl Into<Source>,
        options: &TranscribeOptions,
    ) -> Result<Transcript, Error> {
        self.transcribe_with_progress(source, options, |_| {})
    }

    /// [`Client::transcribe`], calling `progress` (on the calling thread) as audio is decoded and segments
    /// come back.
    ///
    /// # Errors
    ///
    /// As [`Client::transcribe`].
    pub fn transcribe_with_progress(
        &self,
        source: impl Into<Source>,
        options: &TranscribeOptions,
        mut progress: impl FnMut(Progress),
    ) -> Result<Transcript, Error> {
        let config = SegmenterConfig {
            min_pause: options.min_pause,
            max_segment: options.segment_limit(),
            min_cut_pause: options.min_cut_pause,
            ..SegmenterConfig::default()
        };
        let decoder = source.into().open().map_err(decode_error)?;
        let mut segments =
            Segments::new(decoder, Segmenter::with_vad(config, EarshotVad::default()));
        let total = segments.total();
        let decoded_samples = segments.decoded_samples();
        let workers = options.in_flight();
        let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Segment)>(workers);
        let job_rx = Mutex::new(job_rx);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let cancelled = AtomicBool::new(false);
        let mut results = Results::default();
        let mut failure: Option<Error> = None;
        let decoded = || decoded_samples.load(Ordering::Relaxed);

        std::thread::scope(|scope| {
            for _ in 0..workers {
                let (job_rx, done_tx, cancelled) = (&job_rx, done_tx.clone(), &cancelled);
                scope.spawn(move || loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((index, segment)) = job else { return };
                    if cancelled.load(Ordering::SeqCst) {
                        continue;
                    }
                    let wav = pcm16_mono_wav(SAMPLE_RATE, &segment.samples);
                    let answer = self.recognize_bytes(&wav, &options.request);
                    if done_tx
                        .send((index, segment.start, segment.end(), answer))
                        .is_err()
                    {
                        return;
                    }
                });
            }
            drop(done_tx);

            let mut report = |results: &Results| {
                progress(Progress {
                    decoded: samples_to_duration(decoded()),
                    recognized: samples_to_duration(results.recognized_until()),
                    total,
                });
            };
            let outcome: Result<(), Error> = (|| {
                for (index, segment) in segments.by_ref().enumerate() {
                    let segment = segment.map_err(decode_error)?;
                    for done in done_rx.try_iter() {
                        results.take(done)?;
                    }
                    results.expect(index);
                    job_tx
                        .send((index, segment))
                        .map_err(|_| Error::Config("the transcription workers stopped".into()))?;
                    report(&results);
                }
                Ok(())
            })();
            if let Err(e) = outcome {
                cancelled.store(true, Ordering::SeqCst);
                failure = Some(e);
            }
            drop(job_tx);
            for done in done_rx.iter() {
                if let Err(e) = results.take(done) {
                    cancelled.store(true, Ordering::SeqCst);
                    failure.get_or_insert(e);
                }
                report(&results);
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let decoded = decoded();
        let mut transcript = Transcript::new(Some(samples_to_duration(decoded)));
        for (start, recognition) in results.into_answers() {
            transcript.push_segment(samples_to_duration(start), &recognition);
        }
        progress(Progress {
            decoded: samples_to_duration(decoded),
            recognized: samples_to_duration(decoded),
            total,
        });
        Ok(transcript)
    }
}

fn decode_error(e: speech_audio::decode::DecodeError) -> Error {
    match e {
        speech_audio::decode::DecodeError::Io(io) => Error::Io(io),
        other => Error::Decode(other),
    }
}

/// The answers so far, by segment number.
#[derive(Default)]
struct Results {
    /// Per segment: its span and answer, once it came back.
    slots: Vec<Option<(u64, u64, Recognition)>>,
}

impl Results {
    fn expect(&mut self, index: usize) {
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || None);
        }
    }

    fn take(&mut self, (index, start, end, answer): Done) -> Result<(), Error> {
        let recognition = answer?;
        self.expect(index);
        self.slots[index] = Some((start, end, recognition));
        Ok(())
    }

    /// The end (in samples) of the last segment recognized together with every earlier one.
    fn recognized_until(&self) -> u64 {
        self.slots
            .iter()
            .map_while(|slot| slot.as_ref().map(|(_, end, _)| *end))
            .last()
            .unwrap_or(0)
    }

    fn into_answers(self) -> impl Iterator<Item = (u64, Recognition)> {
        self.slots
            .into_iter()
            .flatten()
            .map(|(start, _, recognition)| (start, recognition))
    }
}
