//! ITU-T G.711 A-law and µ-law, after the reference implementation (Sun Microsystems' `g711.c`): the
//! synthesizer's `*-alaw` and `*-mulaw` output formats, and checking them.

const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];

fn segment(value: i32, table: &[i32; 8]) -> usize {
    table.iter().position(|&end| value <= end).unwrap_or(8)
}

/// Encode one 16-bit linear sample as G.711 A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 3;
    let mask: i32 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg = segment(pcm, &SEG_AEND);
    let value = if seg >= 8 {
        0x7F
    } else {
        let quant = if seg < 2 {
            (pcm >> 1) & 0x0F
        } else {
            (pcm >> seg) & 0x0F
        };
        ((seg as i32) << 4) | quant
    };
    // ok: every value above fits in 7 bits and the mask in 8 bits.
    ((value ^ mask) & 0xFF) as u8
}

/// Encode one 16-bit linear sample as G.711 µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 8159;
    let mut pcm = i32::from(sample) >> 2;
    let mask: i32 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    pcm = pcm.min(CLIP) + (BIAS >> 2);
    let seg = segment(pcm, &SEG_UEND);
    let value = if seg >= 8 {
        0x7F
    } else {
        ((seg as i32) << 4) | ((pcm >> (seg + 1)) & 0x0F)
    };
    ((value ^ mask) & 0xFF) as u8
}

/// Decode one G.711 A-law byte to 16-bit linear.
pub fn alaw_to_linear(code: u8) -> i16 {
    let a = i32::from(code ^ 0x55);
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    let v = if a & 0x80 != 0 { t } else { -t };
    // ok: |t| <= 32256.
    v as i16
}

/// Decode one G.711 µ-law byte to 16-bit linear.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let u = i32::from(!code);
    let mut t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    let v = if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 };
    // ok: |v| <= 32124.
    v as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_known_values() {
        // Values of the ITU-T G.711 / Sun reference implementation.
        let alaw = [
            (0i16, 0xD5u8),
            (-1, 0x55),
            (15, 0xD5),
            (16, 0xD4),
            (-16, 0x55),
            (-17, 0x54),
            (1000, 0xFA),
            (-1000, 0x7A),
            (32767, 0xAA),
            (-32768, 0x2A),
        ];
        for (x, code) in alaw {
            assert_eq!(linear_to_alaw(x), code, "A-law of {x}");
        }
        let ulaw = [
            (0i16, 0xFFu8),
            (-1, 0x7E),
            (-5, 0x7E),
            (4, 0xFE),
            (1000, 0xCE),
            (-1000, 0x4E),
            (32767, 0x80),
            (-32768, 0x00),
        ];
        for (x, code) in ulaw {
            assert_eq!(linear_to_ulaw(x), code, "µ-law of {x}");
        }
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
    }

    fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
        bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    #[test]
    fn g711_matches_the_reference_on_every_input() {
        // FNV-1a digests of CPython's audioop (an independent G.711 implementation) over every 16-bit input:
        // lin2alaw / lin2ulaw of -32768..=32767, and alaw2lin / ulaw2lin (little-endian) of every code.
        let all = i16::MIN..=i16::MAX;
        assert_eq!(
            fnv1a(all.clone().map(linear_to_alaw)),
            0xf030_666e_b780_cf25
        );
        assert_eq!(fnv1a(all.map(linear_to_ulaw)), 0xd5ee_23f7_d0ff_ae91);
        assert_eq!(
            fnv1a((0..=255u8).flat_map(|c| alaw_to_linear(c).to_le_bytes())),
            0x693a_40ca_62a3_d2a5
        );
        assert_eq!(
            fnv1a((0..=255u8).flat_map(|c| ulaw_to_linear(c).to_le_bytes())),
            0xb91e_65d6_8481_a1a8
        );
    }

    #[test]
    fn g711_round_trips_every_code() {
        // Decoding then re-encoding is the identity on every code (except µ-law's negative zero 0x7F -> 0).
        for code in 0..=255u8 {
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
            if code != 0x7F {
                assert_eq!(
                    linear_to_ulaw(ulaw_to_linear(code)),
                    code,
                    "µ-law {code:#04x}"
                );
            }
        }
        // And the quantization error is within half a step of the segment.
        for x in (i16::MIN..=i16::MAX).step_by(7) {
            let a = i32::from(alaw_to_linear(linear_to_alaw(x)));
            let u = i32::from(ulaw_to_linear(linear_to_ulaw(x)));
            let x = i32::from(x);
            assert!((a - x).abs() <= 1024.max(x.abs() / 16), "A-law {x} -> {a}");
            assert!((u - x).abs() <= 1024.max(x.abs() / 16), "µ-law {x} -> {u}");
        }
    }
}
