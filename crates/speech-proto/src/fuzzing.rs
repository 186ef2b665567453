//! Entry points for the cargo-fuzz targets in `fuzz/` (each target is a one-line call into this module) and
//! for the stable replay of their corpora (`tests/fuzz_corpus.rs`). Not part of the public API.
//!
//! Every function takes arbitrary bytes and must never panic, loop forever or allocate without bound. Where a
//! function also checks a property (the WAV parser: any split of the input parses like the whole), a panic
//! means the property was broken.

use http::{HeaderMap, HeaderValue, StatusCode};

use crate::error::Service;

/// The WAV header parser, fed in two pieces and compared with a one-piece parse; then the silence meter.
pub fn wav_header(data: &[u8]) {
    crate::audio::__fuzz_wav_header(data);
}

/// The recognition-result parser and the helpers on its result.
pub fn recognition_json(data: &[u8]) {
    crate::stt::short::__fuzz_recognition(data);
}

/// The fast-transcription answer parser, and the transcript's renderings (SRT, WebVTT, JSON).
pub fn fast_transcription_json(data: &[u8]) {
    crate::stt::fast::__fuzz_fast_transcription(data);
}

/// The voices-list parser and the helpers on its result.
pub fn voices_json(data: &[u8]) {
    crate::tts::voices::__fuzz_voices(data);
}

/// The error-answer parser. Byte 0 picks the service, bytes 1–2 the status (big-endian; values that are not
/// a valid status become 500), byte 3 whether a `Retry-After` header is present and which form it has; the
/// rest is the body. Every accessor of the resulting error is exercised, including `Display` and the hint.
pub fn error_body(data: &[u8]) {
    let service = match data.first().copied().unwrap_or(0) % 4 {
        0 => Service::Token,
        1 => Service::Recognition,
        2 => Service::Synthesis,
        _ => Service::Voices,
    };
    let status = match data.get(1..3) {
        Some(&[hi, lo]) => StatusCode::from_u16(u16::from_be_bytes([hi, lo]))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut headers = HeaderMap::new();
    let body = data.get(3..).unwrap_or_default();
    match body.first().copied().unwrap_or(0) % 4 {
        1 => {
            headers.insert("retry-after", HeaderValue::from_static("7"));
        }
        2 => {
            headers.insert(
                "retry-after",
                HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
            );
        }
        3 => {
            if let Ok(v) = HeaderValue::from_bytes(body.get(1..17).unwrap_or_default()) {
                headers.insert("retry-after", v.clone());
                headers.insert("x-requestid", v);
            }
        }
        _ => {}
    }
    let err = crate::error::parse_error_response(service, status, &headers, body);
    let _ = (
        err.to_string(),
        err.is_retryable(),
        err.hint(),
        err.retry_after(),
        err.request_id(),
        err.message(),
    );
}

/// The token-response parser and the claims of a token it accepts.
pub fn token_response(data: &[u8]) {
    if let Ok(token) = crate::auth::token::parse_token_response(data) {
        let _ = (
            token.claims(),
            token.expires_at_unix(),
            format!("{token:?}"),
        );
    }
}

/// The HTTP/1.1 response-head parser (`wire::try_parse_response_head`). Byte 0 picks the limits (bit 0: small
/// caps) and the read size for a second, split parse through `wire::ResponseHeadParser` over growing prefixes,
/// which must agree with the one-shot parse; the rest is the input. A parsed head then goes through
/// `response_body_kind` (GET, HEAD, POST), `keep_alive` and `Debug`.
pub fn response_head(data: &[u8]) {
    use crate::wire::{
        keep_alive, response_body_kind, try_parse_response_head, BodyDecoder, Limits,
        ResponseHeadParser,
    };
    let (ctl, input) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let limits = if ctl & 1 == 1 {
        Limits {
            max_head_bytes: 256,
            max_headers: 4,
            ..Limits::default()
        }
    } else {
        Limits::default()
    };
    let step = usize::from(ctl >> 1).max(1);
    let one = try_parse_response_head(input, &limits);
    let mut parser = ResponseHeadParser::new();
    let mut end = 0;
    let split = loop {
        end = (end + step).min(input.len());
        match parser.parse(&input[..end], &limits) {
            Ok(None) if end < input.len() => continue,
            other => break other,
        }
    };
    assert_eq!(split, one, "a split parse differs from the one-shot parse");
    match one {
        Ok(Some((consumed, head))) => {
            assert!(consumed <= input.len() && consumed <= limits.max_head_bytes);
            let _ = (format!("{head:?}"), head.is_interim());
            for method in [http::Method::GET, http::Method::HEAD, http::Method::POST] {
                if let Ok(kind) = response_body_kind(&method, &head) {
                    let decoder = BodyDecoder::new(kind, limits);
                    let request = http::Request::builder()
                        .method(method)
                        .uri("http://h/")
                        .body(())
                        .unwrap_or_default();
                    let _ = keep_alive(&request, &head, &decoder);
                }
            }
        }
        Ok(None) => assert!(input.len() <= limits.max_head_bytes),
        Err(e) => {
            let _ = (e.to_string(), e.kind(), e.is_retryable());
        }
    }
}

/// The chunked body decoder (`wire::BodyDecoder`). Byte 0 picks the limits (bit 0: small caps), byte 1 the
/// read size and byte 2 the output size of a split decode, which must agree with a one-shot decode; the rest
/// is the input. A body that decodes completely is re-encoded with `wire::write_chunk` (output size from byte
/// 2) and must decode to itself.
pub fn chunked_decoder(data: &[u8]) {
    use crate::wire::{write_chunk, BodyKind, Limits, LAST_CHUNK};
    let ctl = |i: usize| data.get(i).copied().unwrap_or(0);
    let input = data.get(3..).unwrap_or_default();
    let limits = if ctl(0) & 1 == 1 {
        Limits {
            max_chunk_line: 16,
            max_trailer_bytes: 64,
            max_headers: 3,
            ..Limits::default()
        }
    } else {
        Limits::default()
    };
    let step = usize::from(ctl(1)).max(1);
    let out_len = usize::from(ctl(2)).max(1);
    let whole = decode_in_pieces(
        BodyKind::Chunked,
        limits,
        input,
        input.len().max(1),
        1 << 16,
    );
    let split = decode_in_pieces(BodyKind::Chunked, limits, input, step, out_len);
    assert_eq!(
        split, whole,
        "a split decode differs from the one-shot decode"
    );
    let (Ok(()), body, ..) = whole else { return };
    let mut wire = Vec::with_capacity(body.len() + 64);
    let mut buf = vec![0u8; out_len.max(6)];
    let mut rest = &body[..];
    while !rest.is_empty() {
        match write_chunk(rest, &mut buf) {
            Ok((consumed, written)) => {
                wire.extend_from_slice(&buf[..written]);
                rest = &rest[consumed..];
            }
            Err(e) => panic!("write_chunk into {} bytes: {e}", buf.len()),
        }
    }
    wire.extend_from_slice(LAST_CHUNK);
    let again = decode_in_pieces(BodyKind::Chunked, Limits::default(), &wire, step, out_len);
    assert_eq!(again.0, Ok(()));
    assert_eq!(again.1, body, "re-encoded body decodes differently");
}

/// The outcome of decoding `input` in reads of `step` bytes into outputs of `out_len` bytes, then `finish`:
/// (result, body, consumed, done, trailers). After an error only the error is kept: how much came out before
/// it depends on where the reads were cut.
type BodyRun = (
    Result<(), crate::Error>,
    Vec<u8>,
    usize,
    bool,
    Option<HeaderMap>,
);

fn decode_in_pieces(
    kind: crate::wire::BodyKind,
    limits: crate::wire::Limits,
    input: &[u8],
    step: usize,
    out_len: usize,
) -> BodyRun {
    let mut decoder = crate::wire::BodyDecoder::new(kind, limits);
    let mut body = Vec::new();
    let mut out = vec![0u8; out_len];
    let mut consumed = 0;
    let result = (|| {
        for piece in input.chunks(step) {
            let mut piece = piece;
            while !piece.is_empty() {
                let d = decoder.decode(piece, &mut out)?;
                body.extend_from_slice(&out[..d.produced]);
                consumed += d.consumed;
                piece = &piece[d.consumed..];
                if d.consumed == 0 && d.produced == 0 {
                    assert!(decoder.is_done(), "the decoder made no progress");
                    return decoder.finish();
                }
            }
        }
        decoder.finish()
    })();
    let (done, trailers) = (decoder.is_done(), decoder.trailers().cloned());
    match result {
        Ok(()) => (result, body, consumed, done, trailers),
        Err(_) => (result, Vec::new(), 0, done, trailers),
    }
}

/// A streaming session with an open connection whose first turn has begun (its header sent), and that turn's
/// `X-RequestId`, for feeding service messages. `now` comes from the caller (the core reads no clock).
fn open_stream_session(now: std::time::Instant) -> (crate::stt::stream::StreamSession, String) {
    open_session_for(now, crate::stt::stream::StreamRequest::new("en-US"))
}

/// A session for `request`, connected, with audio sent; its turn's request id.
fn open_session_for(
    now: std::time::Instant,
    request: crate::stt::stream::StreamRequest,
) -> (crate::stt::stream::StreamSession, String) {
    use crate::stt::stream::frame::{decode_text, Timestamp};
    use crate::stt::stream::{Action, StreamSession, StreamSettings};
    let endpoint = crate::Endpoint::base_url("http://127.0.0.1:5000").expect("a loopback URL");
    let mut s = StreamSession::new(endpoint, request, StreamSettings::default(), 7)
        .expect("a valid request");
    s.push_audio(&[1; 9600]);
    let _ = s.poll_action(now, Timestamp(0));
    s.handle_connected(now, Timestamp(0));
    let mut turn = String::new();
    while let Some(a) = s.poll_action(now, Timestamp(0)) {
        if let Action::SendText(t) = a {
            if let Ok(m) = decode_text(t.as_bytes()) {
                turn = m.request_id().unwrap_or_default().to_owned();
            }
        }
    }
    (s, turn)
}

fn drain_stream_session(s: &mut crate::stt::stream::StreamSession, now: std::time::Instant) {
    while let Some(e) = s.poll_event() {
        let _ = format!("{e:?}");
    }
    let mut n = 0;
    while s
        .poll_action(now, crate::stt::stream::frame::Timestamp(0))
        .is_some()
        && n < 10_000
    {
        n += 1;
    }
    let _ = (s.poll_timeout(), s.free_capacity(), s.is_ended());
}

/// The speech WebSocket message codec. Byte 0 bit 0 picks a text or a binary frame; the rest is the frame. A
/// frame that decodes must end with its body, and re-encoded (text: as the service writes it; binary: as a
/// client does) it must decode to the same path, request id and body. Then the frame goes to a streaming
/// session with an open connection, as if the service had sent it, at `now` (the caller's clock).
pub fn stream_frame(data: &[u8], now: std::time::Instant) {
    use crate::stt::stream::frame::{
        decode_binary, decode_text, encode_binary, encode_service_text, Timestamp,
    };
    let (ctl, frame) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let binary = ctl & 1 == 1;
    let decoded = if binary {
        decode_binary(frame)
    } else {
        decode_text(frame)
    };
    match decoded {
        Ok(m) => {
            assert!(frame.ends_with(&m.body), "the body is the frame's tail");
            let path = m.path().unwrap_or_default();
            let id = m.request_id().unwrap_or("none");
            let plain = |s: &str| !s.contains(['\r', '\n']) && !s.contains(':');
            if plain(path) && plain(id) {
                let again = if binary {
                    decode_binary(&encode_binary(
                        path,
                        id,
                        Timestamp(0),
                        m.content_type(),
                        &[],
                        &m.body,
                    ))
                } else {
                    let body = String::from_utf8_lossy(&m.body);
                    decode_text(encode_service_text(path, id, &body).as_bytes())
                };
                let again = again.expect("a re-encoded message decodes");
                assert_eq!(again.path(), Some(path));
                assert_eq!(again.body, m.body);
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.close_reason(), e.close_code());
        }
    }
    let (mut s, _) = open_stream_session(now);
    if binary {
        s.handle_binary(now, frame, 0.5);
    } else {
        s.handle_text(now, frame, 0.5);
    }
    drain_stream_session(&mut s, now);
}

/// The service messages' bodies: byte 0 picks the path (turn.start, speech.startDetected, speech.hypothesis,
/// speech.fragment, speech.phrase, speech.endDetected, turn.end, another), the rest is the body. The message is
/// parsed, then sent to a streaming session for its current turn, twice, at `now` (the caller's clock).
pub fn stream_service_json(data: &[u8], now: std::time::Instant) {
    use crate::stt::stream::frame::{decode_text, encode_service_text};
    const PATHS: [&str; 8] = [
        "turn.start",
        "speech.startDetected",
        "speech.hypothesis",
        "speech.fragment",
        "speech.phrase",
        "speech.endDetected",
        "turn.end",
        "speech.keyword",
    ];
    let (ctl, body) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let path = PATHS[usize::from(ctl) % PATHS.len()];
    let body = String::from_utf8_lossy(body);
    let (mut s, turn) = open_stream_session(now);
    let text = encode_service_text(path, &turn, &body);
    if let Ok(m) = decode_text(text.as_bytes()) {
        let _ = format!(
            "{:?}",
            crate::stt::stream::service::parse_service_message(&m)
        );
    }
    s.handle_text(now, text.as_bytes(), 0.5);
    s.handle_text(now, text.as_bytes(), 0.5);
    drain_stream_session(&mut s, now);
}

/// Speech translation's messages: byte 0 picks the path (`translation.hypothesis`, `translation.phrase`,
/// `translation.response`, `audio.start`, `audio.end`, `translation.synthesis.end`) and whether the frame carries
/// an `X-StreamId`; the rest is the body. The message is parsed, and what it says is read whole; then it goes to
/// a translation session (with a voice) for its current turn, at `now` (the caller's clock), followed by a
/// binary `audio` frame on stream 3.
pub fn translation_json(data: &[u8], now: std::time::Instant) {
    use crate::stt::stream::frame::{decode_text, encode_service_text};
    use crate::stt::stream::service::{parse_service_message, ServiceMessage};
    const PATHS: [&str; 6] = [
        "translation.hypothesis",
        "translation.phrase",
        "translation.response",
        "audio.start",
        "audio.end",
        "translation.synthesis.end",
    ];
    let (ctl, body) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let path = PATHS[usize::from(ctl) % PATHS.len()];
    let body = String::from_utf8_lossy(body);
    let request = crate::stt::stream::StreamRequest::new("es-ES")
        .translate_to("en")
        .translate_to("de")
        .translation_voice("en-US-AvaNeural");
    let (mut s, turn) = open_session_for(now, request);
    let mut text = encode_service_text(path, &turn, &body);
    if ctl & 0x80 != 0 {
        text = text.replacen("\r\n", "\r\nX-StreamId:3\r\n", 1);
    }
    if let Ok(m) = decode_text(text.as_bytes()) {
        match parse_service_message(&m) {
            Ok(ServiceMessage::TranslationHypothesis(r) | ServiceMessage::TranslationPhrase(r)) => {
                if let Some(t) = &r.translation {
                    for l in ["de", "en-US", ""] {
                        let _ = t.text(l);
                    }
                }
                let _ = format!("{r:?}");
            }
            other => {
                let _ = format!("{other:?}");
            }
        }
    }
    s.handle_text(now, text.as_bytes(), 0.5);
    let audio = crate::stt::stream::frame::encode_binary(
        "audio",
        &turn,
        crate::stt::stream::frame::Timestamp(0),
        None,
        &[("X-StreamId", "3")],
        b"RIFF",
    );
    s.handle_binary(now, &audio, 0.5);
    drain_stream_session(&mut s, now);
}

/// A synthesis session with an open connection and a synthesis sent (asking for every event), and that
/// synthesis' request id.
fn open_synthesis_session(
    now: std::time::Instant,
) -> (crate::tts::stream::SynthesisSession, String) {
    use crate::stt::stream::frame::{decode_text, Timestamp};
    use crate::tts::stream::{MetadataOptions, SpeakRequest, SynthesisSession, SynthesisSettings};
    use crate::ws::Action;
    let endpoint = crate::Endpoint::base_url("http://127.0.0.1:5000").expect("a loopback URL");
    let mut s = SynthesisSession::new(endpoint, SynthesisSettings::default(), 7);
    let request = SpeakRequest::text("en-US", "en-US-AvaNeural", "Hello, world. Bye.")
        .expect("a valid request")
        .metadata(MetadataOptions::all());
    let _ = s.speak(request);
    let _ = s.poll_action(now, Timestamp(0));
    s.handle_connected(now, Timestamp(0));
    let mut id = String::new();
    while let Some(a) = s.poll_action(now, Timestamp(0)) {
        if let Action::SendText(t) = a {
            if let Ok(m) = decode_text(t.as_bytes()) {
                id = m.request_id().unwrap_or_default().to_owned();
            }
        }
    }
    (s, id)
}

fn drain_synthesis_session(s: &mut crate::tts::stream::SynthesisSession, now: std::time::Instant) {
    while let Some(e) = s.poll_event() {
        let _ = format!("{e:?}");
    }
    let mut n = 0;
    while s
        .poll_action(now, crate::stt::stream::frame::Timestamp(0))
        .is_some()
        && n < 10_000
    {
        n += 1;
    }
    let _ = (s.poll_timeout(), s.is_busy(), s.is_ended());
}

/// Synthesis frames from a hostile service. Byte 0 bit 0 picks a text or a binary frame, bit 1 whether the
/// frame's `X-RequestId` is replaced by the synthesis' own (so that it reaches the turn); the rest is the frame.
/// It goes to a synthesis session under way, at `now`, then `turn.end` follows: nothing panics, and the
/// synthesis ends (completed, failed, or retried) with its audio and events in order.
pub fn synthesis_frame(data: &[u8], now: std::time::Instant) {
    use crate::stt::stream::frame::encode_service_text;
    let (ctl, frame) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let (mut s, id) = open_synthesis_session(now);
    let frame = if ctl & 2 == 2 {
        let text = String::from_utf8_lossy(frame).replace("{id}", &id);
        text.into_bytes()
    } else {
        frame.to_vec()
    };
    if ctl & 1 == 1 {
        s.handle_binary(now, &frame, 0.5);
    } else {
        s.handle_text(now, &frame, 0.5);
    }
    s.handle_text(
        now,
        encode_service_text("turn.end", &id, "{}").as_bytes(),
        0.5,
    );
    drain_synthesis_session(&mut s, now);
}

/// `audio.metadata` bodies: parsed, then sent twice to a synthesis under way (boundaries look up their text
/// in the input; visemes join their animation), then its `turn.end`, at `now`.
pub fn synthesis_metadata(data: &[u8], now: std::time::Instant) {
    use crate::stt::stream::frame::encode_service_text;
    let _ = format!("{:?}", crate::tts::stream::metadata::parse_metadata(data));
    let (mut s, id) = open_synthesis_session(now);
    let text = encode_service_text("audio.metadata", &id, &String::from_utf8_lossy(data));
    s.handle_text(now, text.as_bytes(), 0.5);
    s.handle_text(now, text.as_bytes(), 0.5);
    s.handle_text(
        now,
        encode_service_text("turn.end", &id, "{}").as_bytes(),
        0.5,
    );
    drain_synthesis_session(&mut s, now);
}

/// The proxy's answer to `CONNECT`, read as a driver reads it: growing (a byte at a time for short inputs), then
/// whole. Properties: a
/// complete head never claims more bytes than were received; once an answer is decided (complete or refused), more
/// bytes do not change it; a prefix that is decided gives the whole input's decision.
pub fn proxy_answer(data: &[u8]) {
    use crate::proxy::read_connect_answer;
    let whole = read_connect_answer(data);
    if let Ok(Some(n)) = whole {
        assert!(
            n <= data.len(),
            "a head of {n} bytes in {} received",
            data.len()
        );
    }
    let _ = whole.as_ref().map_err(|e| (e.to_string(), e.failure()));
    let limit = data.len().min(crate::proxy::MAX_CONNECT_ANSWER + 1);
    // At most about 256 prefixes, so that a long input costs no more than a few hundred parses.
    for end in (0..limit).step_by((limit / 256).max(1)) {
        match read_connect_answer(&data[..end]) {
            Ok(None) => {}
            decided => {
                assert_eq!(
                    decided, whole,
                    "{end} bytes decided otherwise than all of them"
                );
                break;
            }
        }
    }
}
