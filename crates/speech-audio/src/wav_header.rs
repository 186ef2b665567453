//! WAV files whose sizes do not hold, made readable: a writer that streams cannot know the sizes and writes 0 or
//! `0xFFFFFFFF`, a recording cut short declares more data than it has, and a tool that appends chunks forgets to
//! grow the RIFF size. symphonia's WAV reader refuses all of these but the `0xFFFFFFFF` pair ffmpeg writes, so
//! before probing, the header of a RIFF/WAVE input is read up to its `data` chunk and its two sizes are set to
//! what the input really holds. One more repair: an A-law or µ-law `fmt ` chunk of 16 bytes (many writers leave
//! out the empty extension that symphonia insists on) gets its two-byte `cbSize` of 0. Nothing else changes.

use std::io::{Cursor, Read, Seek, SeekFrom};

use symphonia::core::io::{MediaSource, ReadOnlySource};

/// How many header bytes before the `data` chunk are read at most; a header larger than this is passed on as
/// it is (symphonia decides).
const MAX_HEADER: usize = 1 << 20;

/// `source`, with the RIFF and `data` sizes of a RIFF/WAVE header corrected; any other input unchanged.
pub(crate) fn repair(mut source: Box<dyn MediaSource>) -> std::io::Result<Box<dyn MediaSource>> {
    let total = source.byte_len();
    let seekable = source.is_seekable();
    let mut head = Vec::with_capacity(64);
    let wave =
        read_up_to(&mut source, &mut head, 12)? && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE";
    let data_header = if wave {
        find_data_chunk(&mut source, &mut head)?
    } else {
        None
    };
    if let Some((at, inserted)) = data_header {
        patch_sizes(&mut head, at, total.map(|total| total + inserted));
    } else if seekable {
        // Nothing to change: hand back the source itself, rewound, so that it stays seekable.
        source.seek(SeekFrom::Start(0))?;
        return Ok(source);
    }
    Ok(Box::new(ReadOnlySource::new(
        Cursor::new(head).chain(source),
    )))
}

/// Reads until `head` holds `len` bytes; `false` when the input ends first.
fn read_up_to(source: &mut impl Read, head: &mut Vec<u8>, len: usize) -> std::io::Result<bool> {
    let missing = len.saturating_sub(head.len());
    let read = source.take(missing as u64).read_to_end(head)?;
    Ok(read == missing)
}

/// Walks the chunks after the 12-byte RIFF header, reading them into `head`, up to and including the `data`
/// chunk's 8-byte header: the offset of that header and how many bytes were inserted before it, or `None` when
/// there is none within [`MAX_HEADER`].
fn find_data_chunk(
    source: &mut impl Read,
    head: &mut Vec<u8>,
) -> std::io::Result<Option<(usize, u64)>> {
    let mut inserted = 0;
    loop {
        let at = head.len();
        if !read_up_to(source, head, at + 8)? {
            return Ok(None);
        }
        if &head[at..at + 4] == b"data" {
            return Ok(Some((at, inserted)));
        }
        let len =
            u32::from_le_bytes([head[at + 4], head[at + 5], head[at + 6], head[at + 7]]) as usize;
        let end = (at + 8).saturating_add(len).saturating_add(len & 1);
        if end > MAX_HEADER || !read_up_to(source, head, end)? {
            return Ok(None);
        }
        let g711 = matches!(head[at + 8..at + 10], [6 | 7, 0]);
        if &head[at..at + 4] == b"fmt " && len == 16 && g711 {
            head[at + 4..at + 8].copy_from_slice(&18u32.to_le_bytes());
            head.extend_from_slice(&[0, 0]);
            inserted += 2;
        }
    }
}

/// Sets the sizes of the header in `head` (whose `data` chunk header starts at `data_at`) to what an input of
/// `total` bytes holds; with no known total, a size that cannot be right becomes `0xFFFFFFFF` ("to the end").
fn patch_sizes(head: &mut [u8], data_at: usize, total: Option<u64>) {
    let read_u32 = |head: &[u8], at: usize| {
        u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]])
    };
    let data_start = (data_at + 8) as u64;
    let declared = read_u32(head, data_at + 4);
    let data_len = match total {
        Some(total) => {
            let present = total.saturating_sub(data_start);
            if declared == 0 || u64::from(declared) > present {
                u32::try_from(present).unwrap_or(u32::MAX)
            } else {
                declared
            }
        }
        None if declared == 0 => u32::MAX,
        None => declared,
    };
    let riff_len = match total {
        // Chunks after the data are kept: the RIFF size covers the whole input.
        Some(total) => u32::try_from(total.saturating_sub(8)).unwrap_or(u32::MAX),
        None if data_len == u32::MAX => u32::MAX,
        None => {
            let needed = (data_start - 8).saturating_add(u64::from(data_len));
            u32::try_from(needed)
                .unwrap_or(u32::MAX)
                .max(read_u32(head, 4))
        }
    };
    // symphonia takes a data chunk as long as the RIFF chunk only in the ffmpeg form: both 0xFFFFFFFF.
    let (riff_len, data_len) = if data_len == u32::MAX {
        (u32::MAX, u32::MAX)
    } else {
        (riff_len, data_len)
    };
    head[4..8].copy_from_slice(&riff_len.to_le_bytes());
    head[data_at + 4..data_at + 8].copy_from_slice(&data_len.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(riff_len: u32, data_len: u32, data: &[u8]) -> Vec<u8> {
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&riff_len.to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&[1, 0, 1, 0, 0x80, 0x3E, 0, 0, 0, 0x7D, 0, 0, 2, 0, 16, 0]);
        out.extend_from_slice(b"junk\x05\0\0\0odd!!\0"); // odd-sized, padded
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    fn repaired(bytes: Vec<u8>, known_length: bool) -> Vec<u8> {
        let source: Box<dyn MediaSource> = if known_length {
            Box::new(Cursor::new(bytes))
        } else {
            Box::new(ReadOnlySource::new(Cursor::new(bytes)))
        };
        let mut out = Vec::new();
        repair(source)
            .expect("in memory")
            .read_to_end(&mut out)
            .expect("in memory");
        out
    }

    fn sizes(bytes: &[u8]) -> (u32, u32) {
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        (u32_at(4), u32_at(bytes.len() - 4))
    }

    #[test]
    fn sizes_become_what_the_input_holds() {
        let data = [1u8, 2, 3, 4];
        let right = wav(36 + 14 + 4, 4, &data);
        for (riff, data_len) in [(0, 0), (u32::MAX, u32::MAX), (36, 1_000_000), (0, 4)] {
            let fixed = repaired(wav(riff, data_len, &data), true);
            assert_eq!(fixed, right, "{riff} {data_len}");
        }
        // Right sizes are kept, byte for byte.
        assert_eq!(repaired(right.clone(), true), right);
        assert_eq!(repaired(right.clone(), false), right);
    }

    #[test]
    fn without_a_length_unknown_sizes_run_to_the_end() {
        let fixed = repaired(wav(0, 0, &[1, 2]), false);
        assert_eq!(sizes(&fixed[..fixed.len() - 2]), (u32::MAX, u32::MAX));
        // A data size that is merely too large cannot be told from a short read; the RIFF size grows to fit it.
        let fixed = repaired(wav(36, 1000, &[1, 2]), false);
        assert_eq!(sizes(&fixed[..fixed.len() - 2]), (36 + 14 + 1000, 1000));
    }

    #[test]
    fn a_short_g711_format_chunk_gets_its_empty_extension() {
        let mut mulaw = wav(36 + 14 + 2, 2, &[0xFF, 0x7F]);
        mulaw[20] = 7;
        let fixed = repaired(mulaw.clone(), true);
        assert_eq!(fixed.len(), mulaw.len() + 2);
        assert_eq!(&fixed[16..20], &18u32.to_le_bytes());
        assert_eq!(&fixed[36..38], &[0, 0]);
        assert_eq!(&fixed[38..], &mulaw[36..]);
        assert_eq!(sizes(&fixed[..fixed.len() - 2]), (36 + 14 + 2 + 2, 2));
        // PCM keeps its 16-byte chunk.
        let pcm = wav(36 + 14 + 2, 2, &[1, 2]);
        assert_eq!(repaired(pcm.clone(), true), pcm);
    }

    #[test]
    fn other_inputs_pass_unchanged() {
        for bytes in [
            b"OggS\0\x02".to_vec(),
            b"RIFF\0\0\0\0AVI LIST\x04\0\0\0junk".to_vec(),
            b"RIFF\0\0".to_vec(),
            b"RIFF\0\0\0\0WAVEfmt \xff\xff\xff\x7f".to_vec(), // a chunk larger than any header
            Vec::new(),
        ] {
            assert_eq!(repaired(bytes.clone(), true), bytes);
            assert_eq!(repaired(bytes.clone(), false), bytes);
        }
    }
}
