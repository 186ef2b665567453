//! Criterion benchmarks for the `speech` workspace (see `benches/`). Every benchmark measures one of our code
//! paths next to an alternative doing the same job, in the same run, so that the comparison survives a noisy
//! machine. Run them with `cargo bench -p speech-benches`.
//!
//! This library only holds the inputs the benchmarks share.

/// A 16 kHz mono 16-bit WAV file of `samples` samples, with a `LIST` chunk before `fmt ` as sox writes it.
pub fn wav_with_list_chunk(samples: usize) -> Vec<u8> {
    let list: &[u8] = b"INFOISFT\x0e\x00\x00\x00SoX (v14.4.2)\x00";
    let data_len = (samples * 2) as u32;
    let mut out = Vec::with_capacity(64 + list.len() + samples * 2);
    out.extend_from_slice(b"RIFF");
    let riff_len = 4 + (8 + list.len() as u32) + (8 + 16) + (8 + data_len);
    out.extend_from_slice(&riff_len.to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"LIST");
    out.extend_from_slice(&(list.len() as u32).to_le_bytes());
    out.extend_from_slice(list);
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend((0..samples).flat_map(|i| ((i as i16).wrapping_mul(37)).to_le_bytes()));
    out
}

/// A detailed recognition result with `nbest` hypotheses, shaped like the service's answers.
pub fn detailed_result(nbest: usize) -> Vec<u8> {
    let entries: Vec<String> = (0..nbest)
        .map(|i| {
            format!(
                r#"{{"Confidence":0.9{i},"Lexical":"remind me to buy five pencils number {i}","ITN":"remind me to buy 5 pencils number {i}","MaskedITN":"remind me to buy 5 pencils number {i}","Display":"Remind me to buy 5 pencils, number {i}."}}"#
            )
        })
        .collect();
    format!(
        r#"{{"RecognitionStatus":"Success","Offset":22500000,"Duration":21000000,"SNR":38.2,"NBest":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_parse() {
        let wav = wav_with_list_chunk(16);
        let header = speech_proto::audio::parse_wav_header(&wav)
            .expect("valid wav")
            .expect("complete header");
        assert_eq!(header.data_len, Some(32));
        let rec =
            speech_proto::recognize::parse_recognition(&detailed_result(5)).expect("valid json");
        assert_eq!(rec.nbest.len(), 5);
    }
}
