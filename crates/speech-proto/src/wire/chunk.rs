//! Chunked framing of a request body (RFC 9112 §7.1): `<hex size>\r\n<data>\r\n` per chunk, `0\r\n\r\n` at the
//! end. No chunk extensions and no trailers are sent.

use super::{fail, WireError};
use crate::error::Error;

/// The CRLF that ends the data of every chunk.
pub const CHUNK_END: &[u8] = b"\r\n";

/// The last chunk and the end of the (empty) trailer section: send it once, after the last data chunk, to end a
/// chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The size line of one chunk, `"<hex size>\r\n"`, held inline (no allocation): at most 16 hex digits and CRLF.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    buf: [u8; ChunkHeader::MAX_LEN],
    len: u8,
}

impl ChunkHeader {
    /// The longest size line: 16 hex digits (a 64-bit size) and CRLF.
    pub const MAX_LEN: usize = 18;

    /// An empty header (no bytes), to be filled by [`encode_chunk`].
    pub fn new() -> Self {
        ChunkHeader {
            buf: [0; Self::MAX_LEN],
            len: 0,
        }
    }

    /// The bytes of the size line.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl Default for ChunkHeader {
    fn default() -> Self {
        Self::new()
    }
}

impl AsRef<[u8]> for ChunkHeader {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for ChunkHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChunkHeader({:?})",
            String::from_utf8_lossy(self.as_bytes())
        )
    }
}

/// How many hex digits `n` takes (at least one).
fn hex_digits(n: u64) -> usize {
    (64 - n.leading_zeros() as usize).div_ceil(4).max(1)
}

/// The size line for a chunk of `len` bytes: lower-case hex without leading zeros, then CRLF.
///
/// `chunk_header(0)` is `"0\r\n"`, the start of the *last* chunk: a data chunk is never empty. To end a body,
/// send [`LAST_CHUNK`].
pub fn chunk_header(len: usize) -> ChunkHeader {
    // usize is at most 64 bits on every supported target.
    let n = len as u64;
    let digits = hex_digits(n);
    let mut header = ChunkHeader::new();
    for i in 0..digits {
        let nibble = ((n >> (4 * (digits - 1 - i))) & 0xf) as usize;
        header.buf[i] = b"0123456789abcdef"[nibble];
    }
    header.buf[digits] = b'\r';
    header.buf[digits + 1] = b'\n';
    header.len = (digits + 2) as u8; // at most 18
    header
}

/// Frame one non-empty chunk for a vectored write: `[size line, payload, CRLF]`. The payload is not copied;
/// `header` only holds the size line.
///
/// Returns `None` for an empty payload, which must not be framed: a zero-size chunk is the last chunk and
/// would end the body. Send [`LAST_CHUNK`] when the body is complete.
///
/// Write the three slices in order, completely (a short vectored write continues where it stopped). Any
/// payload size is allowed; callers usually keep chunks to what one read of the source gives.
pub fn encode_chunk<'a>(header: &'a mut ChunkHeader, payload: &'a [u8]) -> Option<[&'a [u8]; 3]> {
    if payload.is_empty() {
        return None;
    }
    *header = chunk_header(payload.len());
    let header: &'a ChunkHeader = header;
    Some([header.as_bytes(), payload, CHUNK_END])
}

/// The smallest output buffer [`write_chunk`] can use: one payload byte with its framing (`"1\r\n" x "\r\n"`).
const MIN_CHUNK_OUTPUT: usize = 6;

/// The largest payload one [`write_chunk`] call can frame into an output buffer of `out_len` bytes: `out_len`
/// minus the size line and the CRLF. Zero when not even one byte fits (`out_len < 6`).
///
/// Use it to size reads from the body source so that every read fits one chunk.
pub fn max_payload_for(out_len: usize) -> usize {
    let Some(avail) = out_len.checked_sub(4) else {
        return 0;
    };
    // The fewest size digits d such that the payload avail - d fits in d hex digits; fewer digits leave more
    // room for payload.
    (1..=16)
        .map(|d| (d, avail.saturating_sub(d)))
        .find(|&(d, n)| hex_digits(n as u64) <= d)
        .map_or(0, |(_, n)| n)
}

/// Frame as much of `payload` as fits into `out` as one chunk (size line, payload, CRLF), copying it.
///
/// Returns `(payload_consumed, bytes_written)`; write `out[..bytes_written]` to the connection and call again
/// with `&payload[payload_consumed..]` until all of it is consumed. An empty payload writes nothing and returns
/// `(0, 0)` (a zero-size chunk would end the body; send [`LAST_CHUNK`] for that).
///
/// # Errors
///
/// [`WireError::InsufficientSize`] when `out` cannot hold even one payload byte with its framing (fewer than 6
/// bytes); nothing is written. Size buffers up front with [`max_payload_for`].
pub fn write_chunk(payload: &[u8], out: &mut [u8]) -> Result<(usize, usize), Error> {
    if payload.is_empty() {
        return Ok((0, 0));
    }
    let n = max_payload_for(out.len()).min(payload.len());
    if n == 0 {
        return fail(WireError::InsufficientSize {
            required: MIN_CHUNK_OUTPUT,
        });
    }
    let header = chunk_header(n);
    let h = header.as_bytes();
    let total = h.len() + n + CHUNK_END.len();
    // Within bounds: max_payload_for guarantees h.len() + n + 2 <= out.len().
    let Some(dst) = out.get_mut(..total) else {
        return fail(WireError::InsufficientSize { required: total });
    };
    dst[..h.len()].copy_from_slice(h);
    dst[h.len()..h.len() + n].copy_from_slice(&payload[..n]);
    dst[h.len() + n..].copy_from_slice(CHUNK_END);
    Ok((n, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        for (len, want) in [
            (0usize, "0\r\n"),
            (1, "1\r\n"),
            (15, "f\r\n"),
            (16, "10\r\n"),
            (4096, "1000\r\n"),
            (0xdead_beef, "deadbeef\r\n"),
        ] {
            assert_eq!(chunk_header(len).as_ref(), want.as_bytes(), "{len}");
        }
        #[cfg(target_pointer_width = "64")]
        assert_eq!(chunk_header(usize::MAX).as_bytes(), b"ffffffffffffffff\r\n");
        assert_eq!(ChunkHeader::new().as_bytes(), b"");
        assert_eq!(
            format!("{:?}", chunk_header(10)),
            "ChunkHeader(\"a\\r\\n\")"
        );
    }

    #[test]
    fn vectored() {
        let mut h = ChunkHeader::default();
        assert_eq!(encode_chunk(&mut h, b""), None);
        let parts = encode_chunk(&mut h, b"0123456789abcdefX").unwrap();
        assert_eq!(parts.concat(), b"11\r\n0123456789abcdefX\r\n");
    }

    #[test]
    fn max_payload_is_tight() {
        for out_len in 0..20_000usize {
            let n = max_payload_for(out_len);
            if n == 0 {
                assert!(out_len < MIN_CHUNK_OUTPUT, "{out_len}");
                continue;
            }
            // n fits, n + 1 does not.
            assert!(
                chunk_header(n).as_bytes().len() + n + 2 <= out_len,
                "{out_len}"
            );
            assert!(
                chunk_header(n + 1).as_bytes().len() + n + 1 + 2 > out_len,
                "{out_len}"
            );
        }
        #[cfg(target_pointer_width = "64")]
        assert_eq!(max_payload_for(usize::MAX), usize::MAX - 4 - 16);
    }

    #[test]
    fn copying() {
        let mut out = [0u8; 9];
        assert_eq!(write_chunk(b"hello world", &mut out).unwrap(), (4, 9));
        assert_eq!(&out, b"4\r\nhell\r\n");
        assert_eq!(write_chunk(b"", &mut out).unwrap(), (0, 0));
        let mut small = [0u8; 5];
        assert_eq!(
            write_chunk(b"x", &mut small),
            Err(Error::Wire(WireError::InsufficientSize { required: 6 }))
        );
        let mut six = [0u8; 6];
        assert_eq!(write_chunk(b"xy", &mut six).unwrap(), (1, 6));
        assert_eq!(&six, b"1\r\nx\r\n");
        // 21 bytes: 16 payload bytes need 2 digits (22), so 15 with one digit.
        let mut out = [0u8; 21];
        assert_eq!(write_chunk(&[7; 100], &mut out).unwrap(), (15, 20));
        assert_eq!(&out[..4], b"f\r\n\x07");
    }
}
