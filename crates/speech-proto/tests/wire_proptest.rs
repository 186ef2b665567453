//! Properties of the HTTP/1.1 codec (`speech_proto::wire`):
//!
//! 1. any response (random status, headers, interim `100 Continue`, body framed by length, chunks with
//!    extensions and trailers, or connection close) parses to the same head and body however it is split into
//!    reads and whatever output buffer sizes the driver uses, and both agree with the model that built it;
//! 2. chunked encoding ([`encode_chunk`] and [`write_chunk`]) followed by decoding is the identity;
//! 3. arbitrary bytes never panic the head parser or the body decoder, and split feeding agrees with one-shot
//!    feeding on them too.

use http::{HeaderMap, Method, StatusCode, Version};
use proptest::prelude::*;
use speech_proto::wire::{
    encode_chunk, max_payload_for, response_body_kind, try_parse_response_head, write_chunk,
    BodyDecoder, BodyKind, ChunkHeader, Limits, ResponseHead, ResponseHeadParser, LAST_CHUNK,
};
use speech_proto::Error;

#[derive(Clone, Debug)]
enum Framing {
    Length,
    Chunked {
        sizes: Vec<usize>,
        exts: Vec<Option<String>>,
        upper_hex: bool,
        trailers: Vec<(String, String)>,
    },
    Close,
}

#[derive(Clone, Debug)]
struct Model {
    head_method: bool,
    interim: bool,
    http10: bool,
    status: u16,
    headers: Vec<(String, String)>,
    framing: Framing,
    body: Vec<u8>,
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("X-RequestId".to_owned()),
        Just("Content-Type".to_owned()),
        Just("server".to_owned()),
        Just("X-Dup".to_owned()),
        "x-[a-z0-9-]{1,12}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    // httparse trims surrounding whitespace, so the model's values have none.
    "([!-~]([ !-~]{0,24}[!-~])?)?"
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::Length),
        Just(Framing::Close),
        (
            prop::collection::vec(1usize..70, 1..8),
            prop::collection::vec(
                prop::option::of(prop_oneof![
                    Just(";a=b".to_owned()),
                    Just(";q=\"x;y\\\"z\"".to_owned()),
                    Just(" ; name".to_owned()),
                    "(;[a-z]{1,6}(=[a-z0-9]{0,6})?){1,3}",
                ]),
                1..8
            ),
            any::<bool>(),
            prop::collection::vec((header_name(), header_value()), 0..4),
        )
            .prop_map(|(sizes, exts, upper_hex, trailers)| Framing::Chunked {
                sizes,
                exts,
                upper_hex,
                trailers,
            }),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::bool::weighted(0.1),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::sample::select(vec![
            200u16, 201, 204, 206, 304, 400, 401, 404, 429, 500, 503,
        ]),
        prop::collection::vec((header_name(), header_value()), 0..6),
        framing(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(
            |(head_method, interim, http10, status, headers, framing, body)| {
                // HTTP/1.0 answers cannot be chunked (the codec refuses that as faulty framing).
                let http10 = http10 && !matches!(framing, Framing::Chunked { .. });
                Model {
                    head_method,
                    interim,
                    http10,
                    status,
                    headers,
                    framing,
                    body,
                }
            },
        )
}

impl Model {
    fn method(&self) -> Method {
        if self.head_method {
            Method::HEAD
        } else {
            Method::GET
        }
    }

    fn has_body(&self) -> bool {
        !self.head_method && !matches!(self.status, 204 | 304)
    }

    /// The response on the wire, and how long it is (what follows it is the next response's).
    fn wire(&self) -> (Vec<u8>, usize) {
        let mut w = Vec::new();
        if self.interim {
            w.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let minor = if self.http10 { 0 } else { 1 };
        w.extend_from_slice(
            format!("HTTP/1.{minor} {} Whatever It Says\r\n", self.status).as_bytes(),
        );
        for (n, v) in &self.headers {
            w.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        match &self.framing {
            Framing::Length => {
                w.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes())
            }
            Framing::Chunked { .. } => w.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            Framing::Close => {}
        }
        w.extend_from_slice(b"\r\n");
        if !self.has_body() {
            return (w.clone(), w.len());
        }
        match &self.framing {
            Framing::Length | Framing::Close => w.extend_from_slice(&self.body),
            Framing::Chunked {
                sizes,
                exts,
                upper_hex,
                trailers,
            } => {
                let mut rest = &self.body[..];
                let mut i = 0;
                while !rest.is_empty() {
                    let n = sizes[i % sizes.len()].min(rest.len());
                    let ext = exts[i % exts.len()].as_deref().unwrap_or("");
                    let size = if *upper_hex {
                        format!("{n:X}")
                    } else {
                        format!("{n:x}")
                    };
                    w.extend_from_slice(format!("{size}{ext}\r\n").as_bytes());
                    w.extend_from_slice(&rest[..n]);
                    w.extend_from_slice(b"\r\n");
                    rest = &rest[n..];
                    i += 1;
                }
                let ext = exts[0].as_deref().unwrap_or("");
                w.extend_from_slice(format!("0{ext}\r\n").as_bytes());
                for (n, v) in trailers {
                    w.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
                }
                w.extend_from_slice(b"\r\n");
            }
        }
        let len = w.len();
        (w, len)
    }

    fn trailers(&self) -> Option<HeaderMap> {
        match &self.framing {
            Framing::Chunked { trailers, .. } if !trailers.is_empty() && self.has_body() => {
                let mut map = HeaderMap::new();
                for (n, v) in trailers {
                    map.append(
                        http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                        v.parse().unwrap(),
                    );
                }
                Some(map)
            }
            _ => None,
        }
    }
}

/// What a driver saw: the interim statuses, the final head, the body, the trailers and what was left in its
/// read buffer.
#[derive(Debug, PartialEq)]
struct Seen {
    interim: Vec<u16>,
    head: Option<ResponseHead>,
    body: Vec<u8>,
    done: bool,
    trailers: Option<HeaderMap>,
    left: Vec<u8>,
    error: Option<Error>,
}

/// Drive the codec the way a connection driver does: reads of `pieces` sizes appended to one buffer, the head
/// parser (stateful or not) until a final head, then the body decoder with outputs of `outs` sizes; the peer
/// closes after the last read.
fn drive(
    method: &Method,
    input: &[u8],
    pieces: &[usize],
    outs: &[usize],
    stateful: bool,
    limits: Limits,
) -> Seen {
    let mut seen = Seen {
        interim: Vec::new(),
        head: None,
        body: Vec::new(),
        done: false,
        trailers: None,
        left: Vec::new(),
        error: None,
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut parser = ResponseHeadParser::new();
    let mut decoder: Option<BodyDecoder> = None;
    let mut out = vec![0u8; 4096];
    let mut out_i = 0;
    let mut pos = 0;
    let mut piece_i = 0;
    let result = (|| -> Result<(), Error> {
        loop {
            let eof = pos == input.len();
            if !eof {
                let n = pieces[piece_i % pieces.len()].max(1).min(input.len() - pos);
                piece_i += 1;
                buf.extend_from_slice(&input[pos..pos + n]);
                pos += n;
            }
            loop {
                if let Some(dec) = decoder.as_mut() {
                    let o = outs[out_i % outs.len()].max(1);
                    out_i += 1;
                    let d = dec.decode(&buf, &mut out[..o])?;
                    seen.body.extend_from_slice(&out[..d.produced]);
                    buf.drain(..d.consumed);
                    if d.consumed == 0 && d.produced == 0 {
                        break;
                    }
                    continue;
                }
                let parsed = if stateful {
                    parser.parse(&buf, &limits)?
                } else {
                    try_parse_response_head(&buf, &limits)?
                };
                let Some((n, head)) = parsed else { break };
                buf.drain(..n);
                if head.is_interim() {
                    seen.interim.push(head.status.as_u16());
                    continue;
                }
                decoder = Some(BodyDecoder::new(response_body_kind(method, &head)?, limits));
                seen.head = Some(head);
            }
            if eof {
                if let Some(dec) = decoder.as_mut() {
                    dec.finish()?;
                }
                return Ok(());
            }
        }
    })();
    seen.error = result.err();
    if seen.error.is_some() {
        // How much body came out before the failing call depends on where the reads were cut.
        seen.body.clear();
        buf.clear();
    }
    if let Some(dec) = &decoder {
        seen.done = dec.is_done();
        seen.trailers = dec.trailers().cloned();
    }
    seen.left = buf;
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_split_parses_like_the_model(
        m in model(),
        pieces in prop::collection::vec(1usize..40, 1..12),
        outs in prop::collection::vec(1usize..50, 1..8),
        stateful in any::<bool>(),
    ) {
        let (mut wire, len) = m.wire();
        let pipelined = !matches!(m.framing, Framing::Close) || !m.has_body();
        if pipelined {
            wire.extend_from_slice(b"HTTP/1.1 200 OK\r\n"); // the start of a next response
        }
        let limits = Limits::default();
        let whole = drive(&m.method(), &wire, &[wire.len()], &[4096], false, limits);
        let split = drive(&m.method(), &wire, &pieces, &outs, stateful, limits);
        prop_assert_eq!(&split, &whole);

        prop_assert_eq!(whole.error.as_ref(), None);
        prop_assert_eq!(whole.interim, if m.interim { vec![100] } else { vec![] });
        let head = whole.head.as_ref().expect("a final head");
        prop_assert_eq!(head.status, StatusCode::from_u16(m.status).unwrap());
        prop_assert_eq!(head.version, if m.http10 { Version::HTTP_10 } else { Version::HTTP_11 });
        for (n, v) in &m.headers {
            prop_assert!(head.headers.get_all(n.as_str()).iter().any(|x| x == v.as_str()), "{n}: {v}");
        }
        let body: &[u8] = if m.has_body() { &m.body } else { &[] };
        prop_assert_eq!(&whole.body, body);
        prop_assert!(whole.done);
        prop_assert_eq!(&whole.trailers, &m.trailers());
        prop_assert_eq!(whole.left.as_slice(), &wire[len..]);
    }

    #[test]
    fn vectored_chunks_decode_to_the_payload(
        payload in prop::collection::vec(any::<u8>(), 0..2000),
        sizes in prop::collection::vec(1usize..300, 1..10),
        pieces in prop::collection::vec(1usize..100, 1..10),
        outs in prop::collection::vec(1usize..100, 1..10),
    ) {
        let mut wire = Vec::new();
        let mut header = ChunkHeader::new();
        let mut rest = &payload[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            i += 1;
            let parts = encode_chunk(&mut header, &rest[..n]).expect("non-empty");
            for part in parts {
                wire.extend_from_slice(part);
            }
            rest = &rest[n..];
        }
        prop_assert!(encode_chunk(&mut header, &[]).is_none());
        wire.extend_from_slice(LAST_CHUNK);
        prop_assert_eq!(decode_chunked(&wire, &pieces, &outs), Ok(payload));
    }

    #[test]
    fn copied_chunks_decode_to_the_payload(
        payload in prop::collection::vec(any::<u8>(), 0..2000),
        out_sizes in prop::collection::vec(0usize..300, 1..10),
        pieces in prop::collection::vec(1usize..100, 1..10),
        outs in prop::collection::vec(1usize..100, 1..10),
    ) {
        let mut wire = Vec::new();
        let mut rest = &payload[..];
        let mut i = 0;
        let mut buf = [0u8; 300];
        while !rest.is_empty() {
            let size = out_sizes[i % out_sizes.len()];
            i += 1;
            match write_chunk(rest, &mut buf[..size]) {
                Ok((consumed, written)) => {
                    prop_assert!(consumed > 0 && written <= size);
                    prop_assert_eq!(consumed, max_payload_for(size).min(rest.len()));
                    wire.extend_from_slice(&buf[..written]);
                    rest = &rest[consumed..];
                }
                Err(Error::Wire(speech_proto::wire::WireError::InsufficientSize { required })) => {
                    prop_assert!(size < required);
                    prop_assert_eq!(max_payload_for(size), 0);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
            if i > 10_000 {
                // Every out size in the list is too small; nothing more to learn.
                prop_assert!(out_sizes.iter().all(|&s| max_payload_for(s) == 0));
                return Ok(());
            }
        }
        wire.extend_from_slice(LAST_CHUNK);
        prop_assert_eq!(decode_chunked(&wire, &pieces, &outs), Ok(payload));
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..600),
        pieces in prop::collection::vec(1usize..64, 1..8),
        outs in prop::collection::vec(1usize..64, 1..8),
        small in any::<bool>(),
    ) {
        let limits = if small {
            Limits { max_head_bytes: 64, max_headers: 3, max_chunk_line: 12, max_trailer_bytes: 24 }
        } else {
            Limits::default()
        };
        let one = try_parse_response_head(&data, &limits);
        let mut parser = ResponseHeadParser::new();
        let mut end = 0;
        let mut i = 0;
        let split = loop {
            end = (end + pieces[i % pieces.len()]).min(data.len());
            i += 1;
            match parser.parse(&data[..end], &limits) {
                Ok(None) if end < data.len() => continue,
                other => break other,
            }
        };
        prop_assert_eq!(split, one);
        for kind in [BodyKind::Chunked, BodyKind::Length(300), BodyKind::CloseDelimited] {
            let whole = drive_body(kind, limits, &data, &[data.len().max(1)], &[4096]);
            let split = drive_body(kind, limits, &data, &pieces, &outs);
            prop_assert_eq!(split, whole);
        }
    }

    #[test]
    fn chunk_like_noise_never_panics(
        parts in prop::collection::vec(prop_oneof![
            Just(b"\r\n".to_vec()), Just(b"\n".to_vec()), Just(b"\r".to_vec()), Just(b"0".to_vec()),
            Just(b"5".to_vec()), Just(b"ffff".to_vec()), Just(b";".to_vec()), Just(b"x: y".to_vec()),
            prop::collection::vec(any::<u8>(), 0..4),
        ], 0..40),
        pieces in prop::collection::vec(1usize..16, 1..8),
        outs in prop::collection::vec(1usize..16, 1..8),
    ) {
        let data = parts.concat();
        let limits = Limits { max_chunk_line: 10, max_trailer_bytes: 20, max_headers: 2, ..Limits::default() };
        let whole = drive_body(BodyKind::Chunked, limits, &data, &[data.len().max(1)], &[4096]);
        let split = drive_body(BodyKind::Chunked, limits, &data, &pieces, &outs);
        prop_assert_eq!(split, whole);
    }
}

/// (result, body, consumed, done, trailers) of decoding `data` fed in `pieces` with outputs of `outs` sizes,
/// then `finish`. After an error, how much was consumed and produced depends on where the reads were cut
/// (the failing call reports no counts), so only the error is kept.
type BodyRun = (Result<(), Error>, Vec<u8>, usize, bool, Option<HeaderMap>);

fn drive_body(
    kind: BodyKind,
    limits: Limits,
    data: &[u8],
    pieces: &[usize],
    outs: &[usize],
) -> BodyRun {
    let mut dec = BodyDecoder::new(kind, limits);
    let mut body = Vec::new();
    let mut consumed = 0;
    let mut out = vec![0u8; 4096];
    let mut oi = 0;
    let mut pos = 0;
    let mut pi = 0;
    let result = (|| {
        while pos < data.len() {
            let n = pieces[pi % pieces.len()].min(data.len() - pos);
            pi += 1;
            let mut piece = &data[pos..pos + n];
            pos += n;
            while !piece.is_empty() {
                let o = outs[oi % outs.len()];
                oi += 1;
                let d = dec.decode(piece, &mut out[..o])?;
                body.extend_from_slice(&out[..d.produced]);
                consumed += d.consumed;
                piece = &piece[d.consumed..];
                if d.consumed == 0 && d.produced == 0 {
                    assert!(dec.is_done(), "no progress before the end");
                    return dec.finish();
                }
            }
        }
        dec.finish()
    })();
    let trailers = dec.trailers().cloned();
    if result.is_err() {
        return (result, Vec::new(), 0, dec.is_done(), trailers);
    }
    (result, body, consumed, dec.is_done(), trailers)
}

fn decode_chunked(wire: &[u8], pieces: &[usize], outs: &[usize]) -> Result<Vec<u8>, Error> {
    let (result, body, consumed, done, trailers) =
        drive_body(BodyKind::Chunked, Limits::default(), wire, pieces, outs);
    result?;
    assert!(done);
    assert_eq!(consumed, wire.len());
    assert_eq!(trailers, None);
    Ok(body)
}
