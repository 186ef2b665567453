//! Real-world audio for speech services, in and out: decode what people record (WAV of any PCM width, IEEE
//! float, A-law and µ-law; MP3; FLAC; Ogg/Vorbis; Ogg/Opus; AAC in M4A/MP4; anything else through `ffmpeg`
//! when it is on `PATH`), mix it down to one channel, resample it to 16 kHz with a band-limited resampler, and
//! cut it into segments at the speaker's pauses; and encode speech in the formats the synthesis service
//! answers with. The client crates, the CLI and the emulator all use it: one implementation of each.
//!
//! No protocol knowledge and no IO beyond [`std::io::Read`] (and, for formats nothing here decodes, an
//! `ffmpeg` child process): the client crates put these pieces in front of
//! the speech services.
//!
//! Features: `opus` (Ogg/Opus in and out through libopus, built from the source the `opus` crate bundles) and
//! `ffmpeg` (the `ffmpeg` fallback; no build-time cost), both on by default; `mp3` (MP3 output through LAME,
//! LGPL-3.0), off by default.
//!
//! - [`decode`]: [`decode::Decoder`] hands out 16 kHz mono 16-bit PCM chunk by chunk, in constant memory,
//!   whatever the length of the recording;
//! - [`resample`]: [`resample::Resampler`], the band-limited resampler (rubato) the decoder uses, for any
//!   rate to any rate, streaming;
//! - [`segment`]: [`segment::Segmenter`] cuts 16 kHz speech into utterances of bounded length, each with its
//!   start in the recording, with a voice-activity detector ([`segment::EarshotVad`] by default);
//! - [`encode`]: linear PCM, A-law and µ-law (raw or RIFF), MP3 and Ogg/Opus, for synthesis output;
//!   [`g711`] holds the A-law and µ-law tables.
//!
//! ```no_run
//! use speech_audio::decode::Decoder;
//! use speech_audio::segment::Segmenter;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let file = std::fs::File::open("meeting.mp3")?;
//! let mut decoder = Decoder::open_file(file, Some("mp3"))?;
//! let mut segmenter = Segmenter::new();
//! let mut segments = Vec::new();
//! while let Some(pcm) = decoder.next_chunk()? {
//!     segmenter.push(&pcm);
//!     while let Some(segment) = segmenter.pop() {
//!         segments.push(segment);
//!     }
//! }
//! segments.extend(segmenter.finish());
//! for s in &segments {
//!     println!("{:?} + {:?}", s.offset(), s.duration());
//! }
//! # Ok(())
//! # }
//! ```

pub mod decode;
pub mod encode;
mod error;
#[cfg(feature = "ffmpeg")]
mod ffmpeg;
pub mod g711;
pub mod resample;
pub mod segment;
mod wav_header;

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/`) and the corpus replay test. Not part of the API.
#[doc(hidden)]
pub mod __fuzz {
    use crate::decode::Decoder;
    use crate::segment::Segmenter;

    /// At most this many output samples are decoded per input (10 minutes at 16 kHz).
    const MAX_SAMPLES: usize = 16_000 * 600;

    /// Decodes arbitrary bytes to the end (or to the cap) and segments the result, once as a stream and once
    /// from memory (seekable, its length known: WAV sizes are set to what the bytes hold, an Ogg stream's end
    /// is read first): errors are fine, panics and runaway allocations are not.
    pub fn decode(data: &[u8]) {
        if let Ok(decoder) = Decoder::open(std::io::Cursor::new(data.to_vec()), None) {
            drain(decoder, true);
        }
        if let Ok(decoder) = Decoder::open_bytes(data.to_vec(), None) {
            drain(decoder, false);
        }
    }

    fn drain(mut decoder: Decoder, segment: bool) {
        let mut segmenter = Segmenter::new();
        let mut total = 0usize;
        while let Ok(Some(chunk)) = decoder.next_chunk() {
            total += chunk.len();
            if segment {
                segmenter.push(&chunk);
                while segmenter.pop().is_some() {}
            }
            if total > MAX_SAMPLES {
                break;
            }
        }
        let _ = segmenter.finish();
    }
}
