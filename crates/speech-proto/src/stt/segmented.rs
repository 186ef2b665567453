//! Settings for transcribing a recording of any length through the short-audio API: the recording is decoded,
//! cut at the speaker's pauses into segments no longer than the service takes, the segments are recognized
//! (several at a time) and their results are put back onto the recording's timeline as a
//! [`Transcript`](super::Transcript).
//!
//! The adapters do the decoding and cutting (with `speech-audio`) and the sending; this module holds what they
//! share: the request every segment is sent with, how many are in flight, and the segment limits, which
//! follow the service's (at most 60 s of audio per request, 30 s with pronunciation assessment).

use std::time::Duration;

use super::short::RecognitionRequest;

/// The longest segment sent by default: under the service's 60 s, with room for the guard silence.
pub const DEFAULT_MAX_SEGMENT: Duration = Duration::from_secs(55);

/// How a recording is transcribed segment by segment (see the module documentation).
#[derive(Clone, Debug)]
pub struct TranscribeOptions {
    /// The request each segment is sent with (language, format, profanity, mode, …).
    pub request: RecognitionRequest,
    /// Segments recognized at the same time (default 4; at least 1).
    pub concurrency: usize,
    /// A pause at least this long ends a segment (default 500 ms).
    pub min_pause: Duration,
    /// The longest segment (default [`DEFAULT_MAX_SEGMENT`]); never more than the request allows
    /// ([`RecognitionRequest::max_audio`]: 60 s, 30 s with pronunciation assessment).
    pub max_segment: Duration,
    /// A segment that must be cut without a `min_pause` pause is cut in its longest pause when that is at
    /// least this long (default 200 ms), and hard otherwise.
    pub min_cut_pause: Duration,
}

impl TranscribeOptions {
    /// The defaults, with segments sent as `request`.
    pub fn new(request: RecognitionRequest) -> TranscribeOptions {
        TranscribeOptions {
            request,
            concurrency: 4,
            min_pause: Duration::from_millis(500),
            max_segment: DEFAULT_MAX_SEGMENT,
            min_cut_pause: Duration::from_millis(200),
        }
    }

    /// Sets how many segments are recognized at the same time (at least 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets the pause that ends a segment.
    pub fn min_pause(mut self, pause: Duration) -> Self {
        self.min_pause = pause;
        self
    }

    /// Sets the longest segment (capped by what the request allows; see [`TranscribeOptions::segment_limit`]).
    pub fn max_segment(mut self, max: Duration) -> Self {
        self.max_segment = max;
        self
    }

    /// The longest segment actually sent: [`TranscribeOptions::max_segment`], but no more than the service
    /// hears of one request (so 55 s by default, 30 s with pronunciation assessment), and at least 1 s.
    pub fn segment_limit(&self) -> Duration {
        self.max_segment
            .min(self.request.max_audio())
            .max(Duration::from_secs(1))
    }

    /// Segments in flight (at least 1).
    pub fn in_flight(&self) -> usize {
        self.concurrency.max(1)
    }
}

/// How far a transcription has come, for progress reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Audio decoded so far.
    pub decoded: Duration,
    /// Audio whose segments have all been recognized (the recording up to the end of the last segment
    /// recognized with every earlier one).
    pub recognized: Duration,
    /// The recording's length, when its container says.
    pub total: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::short::PronunciationAssessment;

    #[test]
    fn the_segment_limit_follows_the_request() {
        let o = TranscribeOptions::new(RecognitionRequest::new("en-US"));
        assert_eq!(o.segment_limit(), Duration::from_secs(55));
        let pa = RecognitionRequest::new("en-US")
            .pronunciation_assessment(PronunciationAssessment::new("hello"));
        let o = TranscribeOptions::new(pa);
        assert_eq!(o.segment_limit(), Duration::from_secs(30));
        let o = TranscribeOptions::new(RecognitionRequest::new("en-US"))
            .max_segment(Duration::from_millis(10))
            .concurrency(0);
        assert_eq!(o.segment_limit(), Duration::from_secs(1));
        assert_eq!(o.in_flight(), 1);
    }
}
