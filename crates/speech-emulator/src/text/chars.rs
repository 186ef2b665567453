//! Character classes shared by the languages' rules: what separates words, what is ignored, which scripts are
//! written without spaces.

/// An apostrophe: ASCII `'` or the typographic `’` (U+2019). Both are written `'` in `Lexical` and `ITN`.
pub(super) fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// A hyphen: ASCII `-`, or the Unicode hyphen (U+2010) and non-breaking hyphen (U+2011). Dashes are not hyphens.
pub(super) fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// Invisible formatting characters that are dropped without separating words: the soft hyphen, direction marks
/// and embeddings, the word joiner and the byte-order mark.
pub(super) fn is_ignorable(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD | 0x200E | 0x200F | 0x202A..=0x202E | 0x2060 | 0x2066..=0x2069 | 0xFEFF
    )
}

/// Whether `c` separates words: white space, control characters, and punctuation and symbols of the scripts
/// in use. Letters, digits, combining marks (Devanagari virama, Thai tone marks, Arabic harakat, …) and the
/// zero-width (non-)joiners are word characters. Rust's standard library has no general-category tables, so the
/// non-ASCII punctuation and symbols are listed here by block; a character missing from the list stays part of
/// its word, which is harmless.
pub(super) fn is_separator(c: char) -> bool {
    if c.is_alphanumeric() {
        return false;
    }
    if c.is_whitespace() || c.is_control() {
        return true;
    }
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        c as u32,
        // Latin-1 punctuation and symbols: ¡ « » ¿ · ° × ÷ … (ª º ² ½ are alphanumeric and returned above).
        0x00A1..=0x00BF | 0x00D7 | 0x00F7
        // Greek question mark and ano teleia; Armenian, Hebrew, Arabic and Syriac punctuation.
        | 0x037E | 0x0387 | 0x055A..=0x055F | 0x0589 | 0x058A | 0x05BE | 0x05C0 | 0x05C3 | 0x05C6
        | 0x0606..=0x060F | 0x061B..=0x061F | 0x066A..=0x066D | 0x06D4 | 0x0700..=0x070D
        // Indic dandas and abbreviation sign, Sinhala, Thai, Tibetan (not the tsheg, which joins syllables),
        // Myanmar, Georgian, Ethiopic, Khmer and Mongolian punctuation.
        | 0x0964 | 0x0965 | 0x0970 | 0x0DF4 | 0x0E3F | 0x0E4F | 0x0E5A | 0x0E5B | 0x0F04..=0x0F0A
        | 0x0F0D..=0x0F14 | 0x104A..=0x104F | 0x10FB | 0x1360..=0x1368 | 0x17D4..=0x17D6
        | 0x17D8..=0x17DB | 0x1800..=0x180A
        // General punctuation (dashes, quotes, bullets, ‰, ‹ ›, the zero-width space), super- and subscript
        // signs, currency, letterlike symbols, arrows, mathematical and technical symbols, box drawing, shapes,
        // dingbats and supplemental punctuation.
        | 0x200B | 0x2010..=0x2027 | 0x2030..=0x205E | 0x207A..=0x207E | 0x208A..=0x208E
        | 0x20A0..=0x20CF | 0x2100..=0x214F | 0x2190..=0x2BFF | 0x2CF9..=0x2CFF | 0x2E00..=0x2E7F
        // CJK symbols and punctuation (。、「」〜 …; the iteration marks are letters), the katakana middle dot.
        | 0x3000..=0x303F | 0x30A0 | 0x30FB
        // Vertical, compatibility and small forms, full-width punctuation (，！？：（）), full-width symbols.
        | 0xFE10..=0xFE19 | 0xFE30..=0xFE6B | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40
        | 0xFF5B..=0xFF65 | 0xFFE0..=0xFFEE
        // Emoji and other pictographs.
        | 0x1F000..=0x1FAFF
    )
}

/// Whether `c` belongs to a script written without spaces between words: Han, kana, Thai, Lao, Tibetan,
/// Myanmar and Khmer.
pub(super) fn is_spaceless_script(c: char) -> bool {
    matches!(
        c as u32,
        0x0E00..=0x0FFF // Thai, Lao, Tibetan
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x2E80..=0x2FDF // CJK radicals
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x31F0..=0x31FF // Katakana extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF66..=0xFF9F // half-width katakana
        | 0x20000..=0x3134F // CJK extensions B and later
    )
}

/// Lower-cases a word. `turkic` selects the Turkish and Azerbaijani mapping of the dotted and dotless i
/// (`I` → `ı`, `İ` → `i`) instead of the default one (`I` → `i`, `İ` → `i̇`).
pub(super) fn lowercase(word: &str, turkic: bool) -> String {
    if turkic && word.contains(['I', '\u{130}']) {
        word.replace('I', "ı")
            .replace('\u{130}', "i")
            .to_lowercase()
    } else {
        word.to_lowercase()
    }
}

/// Appends the ASCII digits starting at `chars[i]` to `into`; returns the index after them.
pub(super) fn digits_at(chars: &[char], mut i: usize, into: &mut String) -> usize {
    while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
        into.push(c);
        i += 1;
    }
    i
}

/// Whether `chars[i]` exists and is an ASCII digit.
pub(super) fn is_digit_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        for c in [
            '.', ',', '!', '?', '"', '«', '»', '¿', '¡', '„', '“', '—', '…', '。', '、', '，',
            '！', '？', '「', '」', '・', '،', '؟', '।', '\u{200B}', '€', '😀',
        ] {
            assert!(is_separator(c), "{c:?} separates words");
        }
        for c in [
            'a', 'Ä', 'ß', 'º', '7', '²', '々', '語', 'ก', '\u{0E48}', '\u{094D}', '\u{0301}',
            '\u{200C}', '\u{200D}', '\u{0F0B}',
        ] {
            assert!(!is_separator(c), "{c:?} is a word character");
        }
    }

    #[test]
    fn turkic_lowercase() {
        assert_eq!(lowercase("İSTANBUL", true), "istanbul");
        assert_eq!(lowercase("IŞIK", true), "ışık");
        assert_eq!(lowercase("Istanbul", false), "istanbul");
        assert_eq!(lowercase("ÄPFEL", false), "äpfel");
    }
}
