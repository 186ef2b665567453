//! The HTTP/1.1 codec driven by hand over a real loopback socket (`std::net`), against a scripted server that
//! checks the request bytes exactly and answers in small, separately flushed pieces: `Expect: 100-continue`
//! with a chunked upload and a chunked answer with trailers, then a `Content-Length` exchange on the same
//! connection, then a close-delimited answer.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use speech_proto::wire::{
    encode_chunk, expects_continue, keep_alive, request_body, response_body_kind,
    write_request_head, BodyDecoder, ChunkHeader, Limits, RequestBody, ResponseHead,
    ResponseHeadParser, LAST_CHUNK,
};

/// Read from `stream` until `buf` ends with `end`.
fn read_until(stream: &mut TcpStream, buf: &mut Vec<u8>, end: &[u8]) {
    let mut byte = [0u8; 1];
    while !buf.ends_with(end) {
        let n = stream.read(&mut byte).expect("server read");
        assert_eq!(
            n,
            1,
            "client closed early; got {:?}",
            String::from_utf8_lossy(buf)
        );
        buf.push(byte[0]);
    }
}

/// Write `pieces` one by one, flushing each, so the client sees many short reads.
fn send(stream: &mut TcpStream, pieces: &[&[u8]]) {
    for piece in pieces {
        stream.write_all(piece).expect("server write");
        stream.flush().expect("server flush");
    }
}

fn server(listener: TcpListener) {
    let (mut s, _) = listener.accept().expect("accept");
    s.set_nodelay(true).expect("nodelay");

    // 1. Expect: 100-continue, chunked upload.
    let mut head = Vec::new();
    read_until(&mut s, &mut head, b"\r\n\r\n");
    let port = s.local_addr().expect("addr").port();
    assert_eq!(
        String::from_utf8(head).unwrap(),
        format!(
            "POST /speech?language=en-US HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\
             transfer-encoding: chunked\r\nexpect: 100-continue\r\n\r\n"
        )
    );
    send(&mut s, &[b"HTTP/1.1 100 Cont", b"inue\r\n\r\n"]);
    let mut body = Vec::new();
    read_until(&mut s, &mut body, b"0\r\n\r\n");
    assert_eq!(body, b"4\r\nRIFF\r\n11\r\n0123456789abcdefg\r\n0\r\n\r\n");
    send(
        &mut s,
        &[
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-",
            b"Encoding: chunked\r\n\r\n7;ext=\"a\"\r\n{\"ok\":",
            b"1\r\n1\r",
            b"\n}\r\n0\r\nX-Trailer: t\r\n",
            b"\r\n",
        ],
    );

    // 2. Same connection: a Content-Length answer.
    let mut head = Vec::new();
    read_until(&mut s, &mut head, b"\r\n\r\n");
    assert!(head.starts_with(b"GET /voices HTTP/1.1\r\n"));
    send(
        &mut s,
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe", b"llo"],
    );

    // 3. Same connection: an answer delimited by closing it.
    let mut head = Vec::new();
    read_until(&mut s, &mut head, b"\r\n\r\n");
    send(
        &mut s,
        &[
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil",
            b" close",
        ],
    );
}

/// Read one final response (skipping interim heads unless `stop_at_interim`) and its body; `buf` holds bytes
/// read past the previous response.
fn exchange(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    method: &http::Method,
    stop_at_interim: bool,
) -> (ResponseHead, Vec<u8>, BodyDecoder) {
    let limits = Limits::default();
    let mut parser = ResponseHeadParser::new();
    let mut read = [0u8; 7]; // small reads on purpose
    let head = loop {
        if let Some((n, head)) = parser.parse(buf, &limits).expect("valid head") {
            buf.drain(..n);
            if head.is_interim() && !stop_at_interim {
                continue;
            }
            break head;
        }
        let n = stream.read(&mut read).expect("client read");
        assert!(n > 0, "server closed before the head");
        buf.extend_from_slice(&read[..n]);
    };
    if head.is_interim() {
        return (
            head,
            Vec::new(),
            BodyDecoder::new(speech_proto::wire::BodyKind::Empty, limits),
        );
    }
    let mut decoder = BodyDecoder::new(response_body_kind(method, &head).expect("framing"), limits);
    let mut body = Vec::new();
    let mut out = [0u8; 3];
    loop {
        let d = decoder.decode(buf, &mut out).expect("valid body");
        body.extend_from_slice(&out[..d.produced]);
        buf.drain(..d.consumed);
        if decoder.is_done() {
            break;
        }
        if d.consumed > 0 || d.produced > 0 {
            continue;
        }
        let n = stream.read(&mut read).expect("client read");
        if n == 0 {
            decoder.finish().expect("complete body");
            break;
        }
        buf.extend_from_slice(&read[..n]);
    }
    (head, body, decoder)
}

#[test]
fn three_exchanges_over_one_loopback_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = thread::spawn(move || server(listener));
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buf = Vec::new();

    // 1.
    let request = http::Request::post(format!("http://{addr}/speech?language=en-US"))
        .header("transfer-encoding", "chunked")
        .header("expect", "100-continue")
        .body(())
        .unwrap();
    assert_eq!(request_body(&request).unwrap(), RequestBody::Chunked);
    let mut head = Vec::new();
    write_request_head(&request, &mut head).unwrap();
    stream.write_all(&head).unwrap();
    assert!(expects_continue(&request));
    let (interim, ..) = exchange(&mut stream, &mut buf, request.method(), true);
    assert_eq!(interim.status, 100);
    let mut header = ChunkHeader::new();
    for payload in [&b"RIFF"[..], b"0123456789abcdefg"] {
        for part in encode_chunk(&mut header, payload).unwrap() {
            stream.write_all(part).unwrap();
        }
    }
    stream.write_all(LAST_CHUNK).unwrap();
    let (head1, body, decoder) = exchange(&mut stream, &mut buf, request.method(), false);
    assert_eq!(head1.status, 200);
    assert_eq!(body, b"{\"ok\":1}");
    assert_eq!(decoder.trailers().unwrap()["x-trailer"], "t");
    assert!(keep_alive(&request, &head1, &decoder));

    // 2.
    let request = http::Request::get(format!("http://{addr}/voices"))
        .body(())
        .unwrap();
    let mut head = Vec::new();
    write_request_head(&request, &mut head).unwrap();
    stream.write_all(&head).unwrap();
    let (head2, body, decoder) = exchange(&mut stream, &mut buf, request.method(), false);
    assert_eq!(body, b"hello");
    assert!(keep_alive(&request, &head2, &decoder));

    // 3.
    let mut head = Vec::new();
    write_request_head(&request, &mut head).unwrap();
    stream.write_all(&head).unwrap();
    let (head3, body, decoder) = exchange(&mut stream, &mut buf, request.method(), false);
    assert_eq!(body, b"until close");
    assert!(decoder.is_done());
    assert!(!keep_alive(&request, &head3, &decoder));
    assert!(buf.is_empty());
    server.join().expect("server checks passed");
}
