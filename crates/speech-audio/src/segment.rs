//! Cutting 16 kHz mono speech into segments that follow the speaker's pauses, for services that take one
//! utterance of limited length per request (the short-audio API: at most 60 s, one phrase per answer).
//!
//! Push PCM in with [`Segmenter::push`], take finished segments with [`Segmenter::pop`], and call
//! [`Segmenter::finish`] at the end of the audio. A voice-activity detector ([`Vad`]; by default
//! [`EarshotVad`], a neural detector in pure Rust) marks each 16 ms frame as speech or not. Then:
//!
//! - a pause of at least [`SegmenterConfig::min_pause`] (500 ms) ends a segment, so that each segment
//!   carries about one utterance;
//! - no segment is longer than [`SegmenterConfig::max_segment`] (55 s): a longer stretch without such a pause
//!   is cut in the middle of its longest pause, when that pause is at least [`SegmenterConfig::min_cut_pause`]
//!   (200 ms) long, and otherwise hard at the limit;
//! - leading and trailing silence is not part of a segment, except [`SegmenterConfig::guard`] (96 ms) on each
//!   side, which keeps word onsets and endings that the detector, deciding per frame, marks late;
//! - each segment knows where it starts in the original audio ([`Segment::start`], in samples).
//!
//! Memory stays bounded whatever the length of the audio: the segment being built (at most the limit) and
//! the guard.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::decode::{DecodeError, Decoder};

/// Samples per second the segmenter works at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Samples per voice-activity frame (16 ms at 16 kHz).
pub const FRAME: usize = 256;

/// A voice-activity detector: says whether a frame of [`FRAME`] samples at 16 kHz holds speech.
pub trait Vad {
    /// Whether `frame` (exactly [`FRAME`] samples) holds speech. Called once per frame, in order.
    fn is_speech(&mut self, frame: &[i16]) -> bool;
}

/// The default detector: `earshot`'s neural voice-activity detector (pure Rust, about 3,600× real time), with
/// a frame counted as speech when its score is at least the threshold.
pub struct EarshotVad {
    detector: earshot::Detector,
    threshold: f32,
    /// Frames with a lower RMS (in 16-bit sample units) are not speech.
    min_rms: f64,
}

impl EarshotVad {
    /// A detector with the given score threshold (0.0–1.0; `earshot` suggests 0.5).
    pub fn new(threshold: f32) -> EarshotVad {
        EarshotVad {
            detector: earshot::Detector::default(),
            threshold,
            min_rms: 0.0,
        }
    }

    /// Frames quieter than `dbfs` (their RMS against full scale, 32 768) are not speech, whatever the
    /// network's score: only sound above that level counts, and speech ends where the voice falls below it
    /// rather than after the network's hangover (about 100 ms). −40 dBFS is a quiet voice.
    ///
    /// ```
    /// use speech_audio::segment::{EarshotVad, Vad, FRAME};
    ///
    /// let mut vad = EarshotVad::default().with_min_level(-40.0);
    /// assert!(!vad.is_speech(&[0; FRAME]));
    /// ```
    pub fn with_min_level(mut self, dbfs: f64) -> EarshotVad {
        self.min_rms = 32_768.0 * 10f64.powf(dbfs / 20.0);
        self
    }
}

impl Default for EarshotVad {
    /// Threshold 0.5.
    fn default() -> Self {
        EarshotVad::new(0.5)
    }
}

impl std::fmt::Debug for EarshotVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarshotVad")
            .field("threshold", &self.threshold)
            .field("min_rms", &self.min_rms)
            .finish_non_exhaustive()
    }
}

impl Vad for EarshotVad {
    fn is_speech(&mut self, frame: &[i16]) -> bool {
        // Every frame goes through the network, so that its state follows the audio.
        let score = self.detector.predict_i16(frame);
        score >= self.threshold && (self.min_rms <= 0.0 || rms(frame) >= self.min_rms)
    }
}

/// The root-mean-square level of a frame, in 16-bit sample units (0 for an empty one).
fn rms(frame: &[i16]) -> f64 {
    if frame.is_empty() {
        return 0.0;
    }
    let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (energy / frame.len() as f64).sqrt()
}

/// The segmenter's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// A pause at least this long ends a segment (default 500 ms).
    pub min_pause: Duration,
    /// No segment is longer (default 55 s; use 30 s with pronunciation assessment).
    pub max_segment: Duration,
    /// When a segment must be cut without a `min_pause` pause, the shortest pause it may be cut in
    /// (default 200 ms); without one it is cut hard at `max_segment`.
    pub min_cut_pause: Duration,
    /// Silence kept before the first and after the last speech frame of a segment (default 96 ms).
    pub guard: Duration,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig {
            min_pause: Duration::from_millis(500),
            max_segment: Duration::from_secs(55),
            min_cut_pause: Duration::from_millis(200),
            guard: Duration::from_millis(96),
        }
    }
}

/// A stretch of speech cut from the audio.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where it starts in the original audio, in samples at 16 kHz.
    pub start: u64,
    /// Its samples (16 kHz mono).
    pub samples: Vec<i16>,
}

impl Segment {
    /// Where it starts in the original audio.
    pub fn offset(&self) -> Duration {
        samples_to_duration(self.start)
    }

    /// Its length.
    pub fn duration(&self) -> Duration {
        samples_to_duration(self.samples.len() as u64)
    }

    /// Where it ends in the original audio, in samples.
    pub fn end(&self) -> u64 {
        self.start + self.samples.len() as u64
    }
}

/// A length of time as samples at 16 kHz.
fn frames_of(d: Duration) -> usize {
    let samples = d.as_micros() * u128::from(SAMPLE_RATE) / 1_000_000;
    usize::try_from(samples / FRAME as u128).unwrap_or(usize::MAX)
}

fn samples_to_duration(samples: u64) -> Duration {
    Duration::from_micros(samples * 1_000_000 / u64::from(SAMPLE_RATE))
}

/// Cuts pushed audio into segments (see the module documentation).
#[derive(Debug)]
pub struct Segmenter<V: Vad = EarshotVad> {
    vad: V,
    min_pause: usize,
    max_frames: usize,
    min_cut_pause: usize,
    guard: usize,
    /// Samples not yet making a whole frame.
    partial: Vec<i16>,
    /// Index of the next frame to be classified.
    next_frame: u64,
    /// The last `guard` frames of silence before a segment starts (kept for the leading guard).
    before: VecDeque<Vec<i16>>,
    /// The segment being built: its first frame's index and its frames, each with its speech flag.
    current: Option<Building>,
    /// Finished segments, oldest first.
    ready: VecDeque<Segment>,
}

#[derive(Debug)]
struct Building {
    first_frame: u64,
    frames: Vec<(bool, Vec<i16>)>,
    /// Frames of silence at the end.
    trailing_silence: usize,
}

impl Segmenter<EarshotVad> {
    /// A segmenter with the default settings and detector.
    pub fn new() -> Self {
        Segmenter::with_vad(SegmenterConfig::default(), EarshotVad::default())
    }
}

impl Default for Segmenter<EarshotVad> {
    fn default() -> Self {
        Segmenter::new()
    }
}

impl<V: Vad> Segmenter<V> {
    /// A segmenter with these settings and this detector.
    pub fn with_vad(config: SegmenterConfig, vad: V) -> Self {
        let max_frames = frames_of(config.max_segment).max(1);
        Segmenter {
            vad,
            min_pause: frames_of(config.min_pause).max(1),
            max_frames,
            min_cut_pause: frames_of(config.min_cut_pause).max(1),
            guard: frames_of(config.guard).min(max_frames / 4),
            partial: Vec::with_capacity(FRAME),
            next_frame: 0,
            before: VecDeque::new(),
            current: None,
            ready: VecDeque::new(),
        }
    }

    /// Takes more 16 kHz mono samples.
    pub fn push(&mut self, mut samples: &[i16]) {
        if !self.partial.is_empty() {
            let take = (FRAME - self.partial.len()).min(samples.len());
            self.partial.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.partial.len() == FRAME {
                let frame = std::mem::take(&mut self.partial);
                self.frame(frame);
            }
        }
        let mut chunks = samples.chunks_exact(FRAME);
        for frame in &mut chunks {
            self.frame(frame.to_vec());
        }
        self.partial.extend_from_slice(chunks.remainder());
    }

    /// The next finished segment, oldest first.
    pub fn pop(&mut self) -> Option<Segment> {
        self.ready.pop_front()
    }

    /// The segment being built — speech has started and no pause long enough to end it has come yet — as it
    /// stands: where it starts (in samples) and its samples so far. For live partial results.
    pub fn in_progress(&self) -> Option<Segment> {
        let building = self.current.as_ref()?;
        Some(Segment {
            start: building.first_frame * FRAME as u64,
            samples: building
                .frames
                .iter()
                .flat_map(|(_, f)| f.iter().copied())
                .collect(),
        })
    }

    /// Samples classified so far (whole frames).
    pub fn samples_seen(&self) -> u64 {
        self.next_frame * FRAME as u64
    }

    /// Ends the audio: the last (partial) frame is classified and the segment being built is finished.
    /// Returns every segment not yet popped.
    pub fn finish(&mut self) -> Vec<Segment> {
        if !self.partial.is_empty() {
            let mut frame = std::mem::take(&mut self.partial);
            let real = frame.len();
            frame.resize(FRAME, 0);
            let speech = self.vad.is_speech(&frame);
            frame.truncate(real);
            self.classified(speech, frame);
        }
        if let Some(building) = self.current.take() {
            self.close(building);
        }
        self.ready.drain(..).collect()
    }

    fn frame(&mut self, frame: Vec<i16>) {
        let speech = self.vad.is_speech(&frame);
        self.classified(speech, frame);
    }

    fn classified(&mut self, speech: bool, frame: Vec<i16>) {
        let index = self.next_frame;
        self.next_frame += 1;
        match self.current.as_mut() {
            None if speech => {
                let lead: Vec<(bool, Vec<i16>)> =
                    self.before.drain(..).map(|f| (false, f)).collect();
                let first_frame = index - lead.len() as u64;
                let mut frames = lead;
                frames.push((true, frame));
                self.current = Some(Building {
                    first_frame,
                    frames,
                    trailing_silence: 0,
                });
            }
            None => {
                if self.guard > 0 {
                    if self.before.len() == self.guard {
                        self.before.pop_front();
                    }
                    self.before.push_back(frame);
                }
            }
            Some(building) => {
                building.frames.push((speech, frame));
                building.trailing_silence = if speech {
                    0
                } else {
                    building.trailing_silence + 1
                };
                if building.trailing_silence >= self.min_pause {
                    if let Some(building) = self.current.take() {
                        self.close(building);
                    }
                } else if building.frames.len() >= self.max_frames {
                    self.cut_long();
                }
            }
        }
    }

    /// The segment being built reached the limit: cut it in its longest pause (or hard), keep the rest.
    fn cut_long(&mut self) {
        let Some(mut building) = self.current.take() else {
            return;
        };
        // The longest run of silence strictly inside the segment (after its first speech frame).
        let first_speech = building
            .frames
            .iter()
            .position(|(speech, _)| *speech)
            .unwrap_or(0);
        let (mut best_start, mut best_len) = (0usize, 0usize);
        let mut run_start = None;
        for (i, (speech, _)) in building.frames.iter().enumerate().skip(first_speech) {
            match (speech, run_start) {
                (false, None) => run_start = Some(i),
                (true, Some(start)) => {
                    if i - start > best_len {
                        (best_start, best_len) = (start, i - start);
                    }
                    run_start = None;
                }
                _ => {}
            }
        }
        let cut = if best_len >= self.min_cut_pause {
            best_start + best_len / 2
        } else {
            building.frames.len()
        };
        let rest: Vec<(bool, Vec<i16>)> = building.frames.split_off(cut);
        let rest_first = building.first_frame + cut as u64;
        self.close(building);
        // The rest starts a new segment at its first speech frame (its leading silence, up to the guard,
        // stays with it).
        let Some(speech_at) = rest.iter().position(|(speech, _)| *speech) else {
            self.before = rest
                .into_iter()
                .map(|(_, f)| f)
                .rev()
                .take(self.guard)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return;
        };
        let from = speech_at.saturating_sub(self.guard);
        let trailing_silence = rest.iter().rev().take_while(|(s, _)| !*s).count();
        self.current = Some(Building {
            first_frame: rest_first + from as u64,
            frames: rest.into_iter().skip(from).collect(),
            trailing_silence,
        });
    }

    /// Emits a segment: its frames from the first to the last speech frame, with up to `guard` frames of
    /// silence on each side.
    fn close(&mut self, building: Building) {
        let Building {
            first_frame,
            frames,
            ..
        } = building;
        let Some(first_speech) = frames.iter().position(|(speech, _)| *speech) else {
            return;
        };
        let last_speech = frames
            .iter()
            .rposition(|(speech, _)| *speech)
            .unwrap_or(first_speech);
        let from = first_speech.saturating_sub(self.guard);
        let to = (last_speech + 1 + self.guard).min(frames.len());
        let start = (first_frame + from as u64) * FRAME as u64;
        let samples: Vec<i16> = frames[from..to]
            .iter()
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        // Frames after the segment's end are silence: they may lead the next segment.
        self.before = frames[to..]
            .iter()
            .rev()
            .take(self.guard)
            .map(|(_, f)| f.clone())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        self.ready.push_back(Segment { start, samples });
    }
}

/// A recording decoded and cut into segments, as an iterator that decodes only as far as the next segment
/// needs (so it can run on a blocking thread and feed a bounded queue).
pub struct Segments<V: Vad = EarshotVad> {
    decoder: Decoder,
    segmenter: Segmenter<V>,
    ready: VecDeque<Segment>,
    finished: bool,
    decoded: Arc<AtomicU64>,
}

impl<V: Vad> Segments<V> {
    /// Segments of what `decoder` decodes, cut by `segmenter`.
    pub fn new(decoder: Decoder, segmenter: Segmenter<V>) -> Self {
        Segments {
            decoder,
            segmenter,
            ready: VecDeque::new(),
            finished: false,
            decoded: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A counter of the samples (at 16 kHz) decoded so far, readable from another thread while the iterator
    /// runs.
    pub fn decoded_samples(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.decoded)
    }

    /// The recording's length, when its container says.
    pub fn total(&self) -> Option<Duration> {
        self.decoder.info().duration
    }
}

impl<V: Vad> Iterator for Segments<V> {
    type Item = Result<Segment, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(segment) = self.ready.pop_front() {
                return Some(Ok(segment));
            }
            if self.finished {
                return None;
            }
            match self.decoder.next_chunk() {
                Ok(Some(pcm)) => {
                    self.decoded.fetch_add(pcm.len() as u64, Ordering::Relaxed);
                    self.segmenter.push(&pcm);
                    while let Some(segment) = self.segmenter.pop() {
                        self.ready.push_back(segment);
                    }
                }
                Ok(None) => {
                    self.finished = true;
                    self.ready.extend(self.segmenter.finish());
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<V: Vad> std::fmt::Debug for Segments<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segments")
            .field("decoder", &self.decoder)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A frame is speech when any of its samples is not zero.
    struct NonZero;

    impl Vad for NonZero {
        fn is_speech(&mut self, frame: &[i16]) -> bool {
            frame.iter().any(|&s| s != 0)
        }
    }

    /// Audio from a pattern of (speech?, frames) runs; speech frames hold 1000.
    fn audio(pattern: &[(bool, usize)]) -> Vec<i16> {
        pattern
            .iter()
            .flat_map(|&(speech, frames)| {
                std::iter::repeat_n(if speech { 1000 } else { 0 }, frames * FRAME)
            })
            .collect()
    }

    fn segment(audio: &[i16], config: SegmenterConfig, chunk: usize) -> Vec<Segment> {
        let mut s = Segmenter::with_vad(config, NonZero);
        let mut out = Vec::new();
        for piece in audio.chunks(chunk.max(1)) {
            s.push(piece);
            while let Some(seg) = s.pop() {
                out.push(seg);
            }
        }
        out.extend(s.finish());
        out
    }

    fn no_guard() -> SegmenterConfig {
        SegmenterConfig {
            guard: Duration::ZERO,
            ..SegmenterConfig::default()
        }
    }

    #[test]
    fn pauses_of_half_a_second_end_segments_and_shorter_ones_do_not() {
        // 1 frame = 16 ms: 32 frames = 512 ms, 20 frames = 320 ms.
        let a = audio(&[
            (false, 10),
            (true, 50),
            (false, 20),
            (true, 30),
            (false, 32),
            (true, 40),
            (false, 5),
        ]);
        let segs = segment(&a, no_guard(), 1000);
        assert_eq!(
            segs.len(),
            2,
            "{:?}",
            segs.iter()
                .map(|s| (s.start, s.samples.len()))
                .collect::<Vec<_>>()
        );
        assert_eq!(segs[0].start, 10 * FRAME as u64);
        assert_eq!(segs[0].samples.len(), 100 * FRAME);
        assert_eq!(segs[1].start, (10 + 100 + 32) * FRAME as u64);
        assert_eq!(segs[1].samples.len(), 40 * FRAME);
    }

    #[test]
    fn guards_keep_a_little_silence_around_speech() {
        let a = audio(&[(false, 20), (true, 10), (false, 40)]);
        let segs = segment(&a, SegmenterConfig::default(), 333);
        assert_eq!(segs.len(), 1);
        // 96 ms = 6 frames on each side.
        assert_eq!(segs[0].start, 14 * FRAME as u64);
        assert_eq!(segs[0].samples.len(), 22 * FRAME);
    }

    #[test]
    fn long_speech_is_cut_in_its_longest_pause_or_hard() {
        let config = SegmenterConfig {
            max_segment: Duration::from_millis(1_600), // 100 frames
            ..no_guard()
        };
        // 60 frames of speech, a 15-frame (240 ms) pause, 60 more: cut in the pause.
        let a = audio(&[(true, 60), (false, 15), (true, 60)]);
        let segs = segment(&a, config, 4096);
        assert_eq!(segs.len(), 2);
        assert_eq!((segs[0].start, segs[0].samples.len()), (0, 60 * FRAME));
        assert_eq!(segs[1].start, 75 * FRAME as u64);
        // No pause of 200 ms: hard cuts at the limit.
        let a = audio(&[(true, 250)]);
        let segs = segment(&a, config, 4096);
        let lens: Vec<usize> = segs.iter().map(|s| s.samples.len() / FRAME).collect();
        assert_eq!(lens, vec![100, 100, 50]);
    }

    #[test]
    fn silence_gives_no_segment_and_a_partial_last_frame_counts() {
        assert!(segment(&vec![0; 16_000], SegmenterConfig::default(), 1000).is_empty());
        assert!(segment(&[], SegmenterConfig::default(), 1).is_empty());
        let mut a = vec![0i16; 10 * FRAME];
        a.extend([500i16; 100]);
        let segs = segment(&a, no_guard(), 7);
        assert_eq!(segs.len(), 1);
        assert_eq!(
            (segs[0].start, segs[0].samples.len()),
            (10 * FRAME as u64, 100)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Segments never overlap, never exceed the limit, hold every speech sample, and the way the audio
        /// is pushed in does not matter.
        #[test]
        fn segments_cover_speech_within_limits(
            runs in proptest::collection::vec((any::<bool>(), 1usize..80), 0..40),
            guard_ms in prop_oneof![Just(0u64), Just(96)],
            chunk in 1usize..5000,
        ) {
            let config = SegmenterConfig {
                max_segment: Duration::from_millis(1_600),
                guard: Duration::from_millis(guard_ms),
                ..SegmenterConfig::default()
            };
            let a = audio(&runs);
            let segs = segment(&a, config, chunk);
            let whole = segment(&a, config, usize::MAX);
            prop_assert_eq!(&segs, &whole);
            let max = frames_of(config.max_segment) * FRAME;
            let mut previous_end = 0u64;
            for s in &segs {
                prop_assert!(s.start >= previous_end, "overlap");
                prop_assert!(!s.samples.is_empty() && s.samples.len() <= max);
                prop_assert_eq!(&a[s.start as usize..s.end() as usize], &s.samples[..]);
                previous_end = s.end();
            }
            for (i, &sample) in a.iter().enumerate() {
                if sample != 0 {
                    prop_assert!(
                        segs.iter().any(|s| (s.start..s.end()).contains(&(i as u64))),
                        "speech sample {} is in no segment", i
                    );
                }
            }
        }
    }
}
