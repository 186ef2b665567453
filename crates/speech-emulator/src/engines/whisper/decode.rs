//! The transcription loop, after faster-whisper's `WhisperModel.generate_segments` with its default settings.
//!
//! For each 30-second window of features, starting at `seek`:
//! 1. the prompt is `<|startofprev|>` + the text tokens decoded so far (when there are any), then the start
//!    sequence (`<|startoftranscript|><|lang|><|transcribe|>` for multilingual models, `<|startoftranscript|>`
//!    alone for English-only ones). Timestamps are predicted (no `<|notimestamps|>`), with the first one at
//!    most 1 s into the window;
//! 2. beam search (5 beams) at temperature 0; when the answer is too repetitive (zlib compression ratio
//!    above 2.4) or too unlikely (average log-probability below -1), sampling again at temperature 0.2, 0.4 …
//!    1.0 with 5 candidates, unless the model says the window holds no speech; when every try fails, the
//!    likeliest answer that was not too repetitive wins;
//! 3. a window whose no-speech probability is above 0.6 and whose answer is not likely (average
//!    log-probability not above -1) is skipped: silence gives no words;
//! 4. the answer is cut into segments at its timestamp pairs and `seek` moves to the last complete segment's
//!    end (or to the window's end);
//! 5. the prompt stops carrying earlier text after a window decoded at a temperature above 0.5.
//!
//! A draft ([`Effort::Draft`], for a hypothesis on an utterance still being spoken, which the final phrase will
//! replace) takes one greedy pass instead of steps 2's beam search and fallback.
//!
//! Word-level timestamps, voice-activity filtering and hallucination-silence skipping are faster-whisper
//! options that are off by default, and are not done here.

use super::mel::{Features, WINDOW_FRAMES};

/// Beams for the temperature-0 try.
pub(crate) const BEAM_SIZE: usize = 5;
/// Candidates sampled at each temperature above 0.
const BEST_OF: usize = 5;
/// The fallback temperatures, in order.
const TEMPERATURES: [f32; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
/// Answers more compressible than this are taken as repetition loops.
const COMPRESSION_RATIO_THRESHOLD: f64 = 2.4;
/// Answers with a lower average log-probability per token are retried.
const LOG_PROB_THRESHOLD: f64 = -1.0;
/// A window whose `<|nospeech|>` probability is above this (and whose answer is unlikely) is silence.
const NO_SPEECH_THRESHOLD: f32 = 0.6;
/// Earlier text stops being part of the prompt after a try above this temperature.
const PROMPT_RESET_ON_TEMPERATURE: f32 = 0.5;
/// The model's longest sequence, prompt included.
pub(crate) const MAX_LENGTH: usize = 448;
/// The latest first timestamp, as an index of 20 ms steps (1 s).
pub(crate) const MAX_INITIAL_TIMESTAMP_INDEX: usize = 50;
/// Seconds per timestamp step.
const TIME_PRECISION: f64 = 0.02;
/// Feature frames per timestamp step (the encoder halves the frame rate).
const INPUT_STRIDE: usize = 2;
/// Seconds per feature frame.
const SECONDS_PER_FRAME: f64 = 0.01;

/// How carefully a clip is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effort {
    /// faster-whisper's defaults: beam search, then temperature fallback (step 2).
    Full,
    /// One greedy pass, taken whatever it scores: a hypothesis, which the final phrase replaces.
    Draft,
}

/// The special tokens the loop needs, as ids of the model's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Specials {
    /// `<|endoftext|>`: ids at or above it are not text.
    pub(crate) eot: usize,
    /// `<|startofprev|>`.
    pub(crate) sot_prev: usize,
    /// `<|0.00|>`: ids at or above it are timestamps.
    pub(crate) timestamp_begin: usize,
    /// The start sequence for the requested language.
    pub(crate) sot_sequence: Vec<usize>,
}

/// How one decoding try is asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Search {
    /// Beam search with this many beams.
    Beam(usize),
    /// Sampling at a temperature, keeping the best of this many candidates.
    Sample {
        /// Sampling temperature.
        temperature: f32,
        /// Candidates.
        best_of: usize,
    },
}

/// What the model answered for one try.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Generated {
    /// The best sequence, without the prompt.
    pub(crate) tokens: Vec<usize>,
    /// Its score: the sum of token log-probabilities divided by the length (length penalty 1).
    pub(crate) score: f32,
    /// Probability of `<|nospeech|>` after the start sequence.
    pub(crate) no_speech_prob: f32,
}

/// The model, as the loop uses it.
pub(crate) trait Model {
    /// The encoder's output, held between tries on the same window.
    type Encoded;
    /// Encodes one 30-second window of features (`n_mels × WINDOW_FRAMES`, row-major).
    fn encode(&self, window: Vec<f32>) -> Result<Self::Encoded, String>;
    /// Decodes after `prompt`.
    fn generate(
        &self,
        encoded: &Self::Encoded,
        prompt: &[usize],
        search: Search,
    ) -> Result<Generated, String>;
    /// The text of some tokens (ids below `<|endoftext|>` only).
    fn text(&self, tokens: &[usize]) -> Result<String, String>;
}

/// One stretch of decoded text, on the clip's timeline.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Segment {
    /// Start in seconds.
    pub(crate) start: f64,
    /// End in seconds.
    pub(crate) end: f64,
    /// The text, as Whisper writes it (leading space included).
    pub(crate) text: String,
    /// The window's average log-probability per token.
    pub(crate) avg_logprob: f64,
}

/// Transcribes the whole clip, window by window.
///
/// `prefix` is the text of the clip's beginning, already known, as tokens (faster-whisper's `prefix`): the first
/// window's answer is forced to start with it (after `<|0.00|>`), and only what the model writes after it is
/// returned. With a prefix, the clip is the previous phrase's audio followed by the new phrase's: the model
/// hears the sentence as it was begun, and writes its continuation.
pub(crate) fn transcribe<M: Model>(
    model: &M,
    features: &Features,
    specials: &Specials,
    prefix: &[usize],
    effort: Effort,
) -> Result<Vec<Segment>, String> {
    let content_frames = features.content_frames();
    let mut seek = 0usize;
    let mut all_tokens: Vec<usize> = Vec::new();
    let mut prefix = prefix.to_vec();
    let mut prompt_reset_since = 0usize;
    let mut out = Vec::new();
    while seek < content_frames {
        let time_offset = seek as f64 * SECONDS_PER_FRAME;
        let segment_size = WINDOW_FRAMES.min(content_frames - seek);
        let encoded = model.encode(features.window(seek, segment_size))?;
        let mut prompt = prompt(specials, &all_tokens[prompt_reset_since..]);
        let forced = std::mem::take(&mut prefix);
        if !forced.is_empty() {
            prompt.push(specials.timestamp_begin);
            prompt.extend_from_slice(&forced);
        }
        let mut best = generate_with_fallback(model, &encoded, &prompt, specials.eot, effort)?;
        // The answer goes on from the prefix: it is put back in front (unless the model's answer holds it), so
        // that the timestamps pair up, and its text is left out of what is returned.
        let mut prefix_text_left = forced.len();
        if !forced.is_empty() {
            let mut head = vec![specials.timestamp_begin];
            head.extend_from_slice(&forced);
            if best.tokens.starts_with(&forced) {
                best.tokens.insert(0, specials.timestamp_begin);
            } else if !best.tokens.starts_with(&head) {
                head.append(&mut best.tokens);
                best.tokens = head;
            }
        }
        if best.no_speech_prob > NO_SPEECH_THRESHOLD && best.avg_logprob <= LOG_PROB_THRESHOLD {
            seek += segment_size;
            continue;
        }
        let split = split_by_timestamps(
            &best.tokens,
            specials.timestamp_begin,
            time_offset,
            segment_size,
            seek,
        );
        // Never stand still: a model that answers a lone `<|0.00|>` pair would otherwise loop forever.
        seek = split.seek.max(seek + 1);
        for piece in split.pieces {
            let mut text_tokens: Vec<usize> = piece
                .tokens
                .iter()
                .copied()
                .filter(|&t| t < specials.eot)
                .collect();
            let known = prefix_text_left.min(text_tokens.len());
            prefix_text_left -= known;
            text_tokens.drain(..known);
            let text = model.text(&text_tokens)?;
            if piece.start == piece.end || text.trim().is_empty() {
                continue;
            }
            all_tokens.extend_from_slice(&piece.tokens);
            out.push(Segment {
                start: piece.start,
                end: piece.end,
                text,
                avg_logprob: best.avg_logprob,
            });
        }
        if best.temperature > PROMPT_RESET_ON_TEMPERATURE {
            prompt_reset_since = all_tokens.len();
        }
    }
    Ok(out)
}

/// The prompt for a window: earlier tokens (at most half the model's length) and the start sequence.
fn prompt(specials: &Specials, previous: &[usize]) -> Vec<usize> {
    let mut prompt = Vec::new();
    if !previous.is_empty() {
        prompt.push(specials.sot_prev);
        let keep = previous.len().min(MAX_LENGTH / 2 - 1);
        prompt.extend_from_slice(&previous[previous.len() - keep..]);
    }
    prompt.extend_from_slice(&specials.sot_sequence);
    prompt
}

/// One decoding try and the numbers the fallback rule looks at.
#[derive(Clone, Debug, PartialEq)]
struct Try {
    tokens: Vec<usize>,
    avg_logprob: f64,
    no_speech_prob: f32,
    compression_ratio: f64,
    temperature: f32,
}

impl Try {
    fn needs_fallback(&self) -> bool {
        let too_repetitive = self.compression_ratio > COMPRESSION_RATIO_THRESHOLD;
        let too_unlikely = self.avg_logprob < LOG_PROB_THRESHOLD;
        let silence = self.no_speech_prob > NO_SPEECH_THRESHOLD && too_unlikely;
        (too_repetitive || too_unlikely) && !silence
    }
}

/// Step 2 of the module documentation (one greedy try for a draft).
fn generate_with_fallback<M: Model>(
    model: &M,
    encoded: &M::Encoded,
    prompt: &[usize],
    eot: usize,
    effort: Effort,
) -> Result<Try, String> {
    let mut tries: Vec<Try> = Vec::with_capacity(TEMPERATURES.len());
    for temperature in TEMPERATURES {
        let search = if effort == Effort::Draft {
            Search::Beam(1)
        } else if temperature > 0.0 {
            Search::Sample {
                temperature,
                best_of: BEST_OF,
            }
        } else {
            Search::Beam(BEAM_SIZE)
        };
        let generated = model.generate(encoded, prompt, search)?;
        let len = generated.tokens.len() as f64;
        // faster-whisper: the score is normalised by the length; the average counts the end token too.
        let avg_logprob = f64::from(generated.score) * len / (len + 1.0);
        let text_tokens: Vec<usize> = generated
            .tokens
            .iter()
            .copied()
            .filter(|&t| t < eot)
            .collect();
        let text = model.text(&text_tokens)?;
        let attempt = Try {
            compression_ratio: compression_ratio(text.trim()),
            tokens: generated.tokens,
            avg_logprob,
            no_speech_prob: generated.no_speech_prob,
            temperature,
        };
        if effort == Effort::Draft || !attempt.needs_fallback() {
            return Ok(attempt);
        }
        tries.push(attempt);
    }
    Ok(pick_after_fallback(tries))
}

/// When every try needed a fallback: the likeliest one that was not too repetitive, else the likeliest one;
/// it keeps the temperature of the last try (as faster-whisper reports it).
fn pick_after_fallback(tries: Vec<Try>) -> Try {
    let last_temperature = tries.last().map_or(0.0, |t| t.temperature);
    let (not_repetitive, repetitive): (Vec<Try>, Vec<Try>) = tries
        .into_iter()
        .partition(|t| t.compression_ratio <= COMPRESSION_RATIO_THRESHOLD);
    let pool = if not_repetitive.is_empty() {
        repetitive
    } else {
        not_repetitive
    };
    let mut best = pool
        .into_iter()
        .reduce(|a, b| if b.avg_logprob > a.avg_logprob { b } else { a })
        .unwrap_or(Try {
            tokens: Vec::new(),
            avg_logprob: f64::NEG_INFINITY,
            no_speech_prob: 1.0,
            compression_ratio: 0.0,
            temperature: 0.0,
        });
    best.temperature = last_temperature;
    best
}

/// The zlib compression ratio of a text (bytes in / bytes out), as faster-whisper computes it.
pub(crate) fn compression_ratio(text: &str) -> f64 {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let compressed = encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    if compressed.is_empty() {
        return 0.0;
    }
    text.len() as f64 / compressed.len() as f64
}

/// A stretch of tokens between timestamps.
#[derive(Clone, Debug, PartialEq)]
struct Piece {
    start: f64,
    end: f64,
    tokens: Vec<usize>,
}

/// The pieces of one window's answer and where the next window starts.
#[derive(Clone, Debug, PartialEq)]
struct Split {
    pieces: Vec<Piece>,
    seek: usize,
}

/// Step 4 of the module documentation (faster-whisper's `_split_segments_by_timestamps`).
fn split_by_timestamps(
    tokens: &[usize],
    timestamp_begin: usize,
    time_offset: f64,
    segment_size: usize,
    seek: usize,
) -> Split {
    let is_ts = |t: usize| t >= timestamp_begin;
    let position = |t: usize| t.saturating_sub(timestamp_begin);
    let single_timestamp_ending =
        tokens.len() >= 2 && !is_ts(tokens[tokens.len() - 2]) && is_ts(tokens[tokens.len() - 1]);
    let consecutive: Vec<usize> = (1..tokens.len())
        .filter(|&i| is_ts(tokens[i]) && is_ts(tokens[i - 1]))
        .collect();
    let segment_duration = segment_size as f64 * SECONDS_PER_FRAME;
    if consecutive.is_empty() {
        let duration = match tokens.iter().rev().find(|&&t| is_ts(t)) {
            Some(&last) if last != timestamp_begin => position(last) as f64 * TIME_PRECISION,
            _ => segment_duration,
        };
        return Split {
            pieces: vec![Piece {
                start: time_offset,
                end: time_offset + duration,
                tokens: tokens.to_vec(),
            }],
            seek: seek + segment_size,
        };
    }
    let mut slices = consecutive;
    if single_timestamp_ending {
        slices.push(tokens.len());
    }
    let mut pieces = Vec::with_capacity(slices.len());
    let mut last_slice = 0;
    for &current in &slices {
        let sliced = &tokens[last_slice..current];
        if let (Some(&first), Some(&last)) = (sliced.first(), sliced.last()) {
            pieces.push(Piece {
                start: time_offset + position(first) as f64 * TIME_PRECISION,
                end: time_offset + position(last) as f64 * TIME_PRECISION,
                tokens: sliced.to_vec(),
            });
        }
        last_slice = current;
    }
    let seek = if single_timestamp_ending {
        seek + segment_size
    } else {
        seek + position(tokens[last_slice - 1]) * INPUT_STRIDE
    };
    Split { pieces, seek }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    const TS: usize = 50_364; // <|0.00|> of the multilingual vocabulary
    const EOT: usize = 50_257;

    fn ts(seconds: f64) -> usize {
        TS + (seconds / TIME_PRECISION).round() as usize
    }

    #[test]
    fn compression_ratio_is_zlibs() {
        // Python: len(b) / len(zlib.compress(b)) for b = b"hello world" → 11 / 19.
        assert!((compression_ratio("hello world") - 11.0 / 19.0).abs() < 1e-9);
        // A repetition loop compresses well.
        let loop_text = "I'm sorry. ".repeat(30);
        assert!(compression_ratio(&loop_text) > COMPRESSION_RATIO_THRESHOLD);
        assert!(compression_ratio("") < 1.0);
    }

    #[test]
    fn split_at_timestamp_pairs() {
        // <|0.00|> Hello <|1.00|><|1.20|> world <|2.00|> : two pieces, the window ends complete.
        let tokens = [ts(0.0), 1, ts(1.0), ts(1.2), 2, ts(2.0)];
        let split = split_by_timestamps(&tokens, TS, 30.0, 3_000, 3_000);
        assert_eq!(split.pieces.len(), 2);
        assert_eq!((split.pieces[0].start, split.pieces[0].end), (30.0, 31.0));
        assert!((split.pieces[1].start - 31.2).abs() < 1e-9);
        assert!((split.pieces[1].end - 32.0).abs() < 1e-9);
        assert_eq!(split.seek, 6_000);

        // An unfinished last piece: seek moves to the last complete pair (1.00 s = 100 frames).
        let tokens = [ts(0.0), 1, ts(1.0), ts(1.0), 2];
        let split = split_by_timestamps(&tokens, TS, 0.0, 3_000, 0);
        assert_eq!(split.pieces.len(), 1);
        assert_eq!(split.seek, 100);

        // No pair: one piece up to the last timestamp, seek past the window.
        let tokens = [ts(0.0), 1, 2, ts(1.5)];
        let split = split_by_timestamps(&tokens, TS, 0.0, 500, 0);
        assert_eq!(split.pieces.len(), 1);
        assert!((split.pieces[0].end - 1.5).abs() < 1e-9);
        assert_eq!(split.seek, 500);
        // No timestamp at all: the piece spans the window's content.
        let split = split_by_timestamps(&[1, 2], TS, 0.0, 500, 0);
        assert_eq!((split.pieces[0].end, split.seek), (5.0, 500));
        let split = split_by_timestamps(&[], TS, 0.0, 500, 0);
        assert_eq!(split.seek, 500);
    }

    /// A model that answers from a script, one answer per `generate` call.
    struct Scripted {
        answers: RefCell<Vec<Generated>>,
        searches: RefCell<Vec<(Vec<usize>, Search)>>,
    }

    impl Scripted {
        fn new(mut answers: Vec<Generated>) -> Scripted {
            answers.reverse();
            Scripted {
                answers: RefCell::new(answers),
                searches: RefCell::new(Vec::new()),
            }
        }
    }

    impl Model for Scripted {
        type Encoded = ();
        fn encode(&self, window: Vec<f32>) -> Result<(), String> {
            assert_eq!(window.len(), 80 * WINDOW_FRAMES);
            Ok(())
        }
        fn generate(&self, _: &(), prompt: &[usize], search: Search) -> Result<Generated, String> {
            self.searches.borrow_mut().push((prompt.to_vec(), search));
            self.answers
                .borrow_mut()
                .pop()
                .ok_or_else(|| "no more answers".to_owned())
        }
        fn text(&self, tokens: &[usize]) -> Result<String, String> {
            assert!(
                tokens.iter().all(|&t| t < EOT),
                "special token in {tokens:?}"
            );
            Ok(tokens.iter().map(|t| format!(" w{t}")).collect())
        }
    }

    fn specials() -> Specials {
        Specials {
            eot: EOT,
            sot_prev: 50_361,
            timestamp_begin: TS,
            sot_sequence: vec![50_258, 50_259, 50_359],
        }
    }

    fn answer(tokens: Vec<usize>, score: f32, no_speech_prob: f32) -> Generated {
        Generated {
            tokens,
            score,
            no_speech_prob,
        }
    }

    #[test]
    fn a_clear_answer_is_taken_at_temperature_zero() {
        let features = Features::compute(&vec![0.1; 32_000], 80); // 2 s
        let model = Scripted::new(vec![answer(vec![ts(0.0), 7, 8, ts(1.8)], -0.2, 0.01)]);
        let segments =
            transcribe(&model, &features, &specials(), &[], Effort::Full).expect("decoded");
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0].text, " w7 w8");
        assert!((segments[0].end - 1.8).abs() < 1e-9);
        let searches = model.searches.borrow();
        assert_eq!(searches.len(), 1);
        assert_eq!(searches[0], (specials().sot_sequence, Search::Beam(5)));
    }

    #[test]
    fn a_draft_is_one_greedy_pass_even_when_unlikely() {
        let features = Features::compute(&vec![0.1; 32_000], 80);
        // An answer that would fall back at full effort.
        let model = Scripted::new(vec![answer(vec![ts(0.0), 1, ts(1.0)], -2.0, 0.1)]);
        let segments =
            transcribe(&model, &features, &specials(), &[], Effort::Draft).expect("decoded");
        assert_eq!(segments[0].text, " w1");
        let searches = model.searches.borrow();
        assert_eq!(
            searches.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            vec![Search::Beam(1)]
        );
    }

    #[test]
    fn unlikely_answers_fall_back_and_silence_gives_nothing() {
        let features = Features::compute(&vec![0.1; 32_000], 80);
        // Too unlikely at 0.0 and 0.2, fine at 0.4.
        let model = Scripted::new(vec![
            answer(vec![ts(0.0), 1, ts(1.0)], -2.0, 0.1),
            answer(vec![ts(0.0), 2, ts(1.0)], -1.5, 0.1),
            answer(vec![ts(0.0), 3, ts(1.0)], -0.5, 0.1),
        ]);
        let segments =
            transcribe(&model, &features, &specials(), &[], Effort::Full).expect("decoded");
        assert_eq!(segments[0].text, " w3");
        let searches = model.searches.borrow();
        assert_eq!(
            searches.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            vec![
                Search::Beam(5),
                Search::Sample {
                    temperature: 0.2,
                    best_of: 5
                },
                Search::Sample {
                    temperature: 0.4,
                    best_of: 5
                },
            ]
        );

        // The model hears no speech and is unsure of its words: no fallback, no segment.
        let model = Scripted::new(vec![answer(vec![ts(0.0), 1, ts(1.0)], -1.5, 0.9)]);
        assert!(
            transcribe(&model, &features, &specials(), &[], Effort::Full)
                .expect("decoded")
                .is_empty()
        );
        assert_eq!(model.searches.borrow().len(), 1);
    }

    #[test]
    fn long_audio_moves_window_by_window_with_the_earlier_text_as_prompt() {
        // 40 s: a first window ending in an unfinished piece at 25 s, then the rest.
        let features = Features::compute(&vec![0.1; 40 * 16_000], 80);
        let model = Scripted::new(vec![
            answer(vec![ts(0.0), 5, ts(25.0), ts(25.0), 6], -0.3, 0.0),
            answer(vec![ts(0.0), 9, ts(10.0)], -0.3, 0.0),
        ]);
        let segments =
            transcribe(&model, &features, &specials(), &[], Effort::Full).expect("decoded");
        assert_eq!(
            segments
                .iter()
                .map(|s| (s.text.as_str(), s.start))
                .collect::<Vec<_>>(),
            vec![(" w5", 0.0), (" w9", 25.0)]
        );
        let searches = model.searches.borrow();
        let mut second_prompt = vec![50_361, ts(0.0), 5, ts(25.0)];
        second_prompt.extend(specials().sot_sequence);
        assert_eq!(searches[1].0, second_prompt);
    }

    #[test]
    fn a_prefix_is_forced_and_left_out_of_the_answer() {
        let features = Features::compute(&vec![0.1; 32_000], 80);
        // The model writes only the continuation, ending in a timestamp.
        let model = Scripted::new(vec![answer(vec![7, ts(1.8)], -0.2, 0.01)]);
        let segments =
            transcribe(&model, &features, &specials(), &[3, 4], Effort::Full).expect("decoded");
        assert_eq!(segments.len(), 1);
        assert_eq!(
            segments[0].text, " w7",
            "the prefix is not part of the answer"
        );
        assert!((segments[0].end - 1.8).abs() < 1e-9);
        let mut prompt = specials().sot_sequence;
        prompt.extend([ts(0.0), 3, 4]);
        assert_eq!(model.searches.borrow()[0].0, prompt);

        // A model that repeats the prefix in its answer: the prefix is still left out, once.
        let model = Scripted::new(vec![answer(vec![ts(0.0), 3, 4, 7, ts(1.8)], -0.2, 0.01)]);
        let segments =
            transcribe(&model, &features, &specials(), &[3, 4], Effort::Full).expect("decoded");
        assert_eq!(segments[0].text, " w7");
        // Nothing after the prefix: no text.
        let model = Scripted::new(vec![answer(vec![ts(1.8)], -0.2, 0.01)]);
        assert!(
            transcribe(&model, &features, &specials(), &[3, 4], Effort::Full)
                .expect("decoded")
                .is_empty()
        );
    }

    #[test]
    fn every_try_failing_keeps_the_likeliest_not_repetitive_one() {
        let base = |avg, cr, temperature| Try {
            tokens: vec![],
            avg_logprob: avg,
            no_speech_prob: 0.0,
            compression_ratio: cr,
            temperature,
        };
        let picked = pick_after_fallback(vec![
            base(-1.5, 1.0, 0.0),
            base(-0.1, 3.0, 0.2),
            base(-1.2, 1.1, 0.4),
        ]);
        assert_eq!((picked.avg_logprob, picked.temperature), (-1.2, 0.4));
        assert_eq!(pick_after_fallback(vec![]).tokens, Vec::<usize>::new());
    }
}
