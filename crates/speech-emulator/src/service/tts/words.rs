//! What synthesis over WebSocket needs to tell the truth about its audio: the text cut into words, punctuation and
//! sentences (with their byte offsets), and Azure's viseme ids for a word's phonemes.
//!
//! The audio offsets themselves come from how the audio is made (`websocket`): every word (or, without word
//! events, every sentence or stretch between bookmarks) is rendered on its own and the renderings are joined, so
//! the place of each is known by construction rather than estimated.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Punctuation,
}

/// A word or a punctuation mark of a segment's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    /// Byte range in the text.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether a sentence ends after it.
    pub(crate) ends_sentence: bool,
}

fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '…'
            | '¡'
            | '¿'
            | '。'
            | '，'
            | '、'
            | '！'
            | '？'
            | '«'
            | '»'
            | '"'
            | '“'
            | '”'
            | '„'
            | '('
            | ')'
            | '–'
            | '—'
    )
}

fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？')
}

/// Cut `text` into words and punctuation marks. A word is a run of characters that are neither whitespace nor
/// punctuation (an apostrophe or hyphen inside a word stays in it; a full stop between digits too, as in 3.14).
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let digit_around = |j: usize| {
            j > 0
                && chars[j - 1].1.is_ascii_digit()
                && chars.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit())
        };
        if is_punctuation(c) && !digit_around(i) {
            let end = at + c.len_utf8();
            // A sentence ends at its mark when a space, a closing quote or the end follows.
            let next = chars.get(i + 1).map(|(_, n)| *n);
            let sentence =
                ends_sentence(c) && next.is_none_or(|n| n.is_whitespace() || !n.is_alphanumeric());
            tokens.push(Token {
                kind: Kind::Punctuation,
                start: at,
                end,
                ends_sentence: sentence,
            });
            i += 1;
            continue;
        }
        let start = at;
        let mut j = i;
        while j < chars.len() {
            let c = chars[j].1;
            if c.is_whitespace() || (is_punctuation(c) && !digit_around(j)) {
                break;
            }
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |(at, _)| *at);
        tokens.push(Token {
            kind: Kind::Word,
            start,
            end,
            ends_sentence: false,
        });
        i = j;
    }
    // Several marks in a row ("?!", "..."): the sentence ends after the last.
    for k in 0..tokens.len().saturating_sub(1) {
        if tokens[k].ends_sentence
            && tokens[k + 1].kind == Kind::Punctuation
            && tokens[k + 1].start == tokens[k].end
        {
            tokens[k].ends_sentence = false;
            tokens[k + 1].ends_sentence = true;
        }
    }
    if let Some(last) = tokens.last_mut() {
        last.ends_sentence = true;
    }
    tokens
}

/// Azure's viseme ids (0–21, the table Microsoft documents for en-US) for a word's phonemes in IPA, as espeak-ng
/// writes them. Stress and length marks are skipped; a symbol the table lacks takes the id of its nearest kin.
pub(crate) fn visemes_of_ipa(ipa: &str) -> Vec<u16> {
    const PAIRS: [(&str, u16); 8] = [
        ("aʊ", 9),
        ("ɔɪ", 10),
        ("aɪ", 11),
        ("tʃ", 16),
        ("dʒ", 16),
        ("eɪ", 4),
        ("oʊ", 8),
        ("əʊ", 8),
    ];
    let mut out = Vec::new();
    let mut rest = ipa;
    'outer: while let Some(c) = rest.chars().next() {
        for (pair, id) in PAIRS {
            if let Some(after) = rest.strip_prefix(pair) {
                out.push(id);
                rest = after;
                continue 'outer;
            }
        }
        rest = &rest[c.len_utf8()..];
        if let Some(id) = viseme_of_phone(c) {
            out.push(id);
        }
    }
    out
}

fn viseme_of_phone(c: char) -> Option<u16> {
    Some(match c {
        'æ' | 'ə' | 'ʌ' | 'ɐ' => 1,
        'ɑ' | 'a' | 'ɒ' => 2,
        'ɔ' => 3,
        'ɛ' | 'ʊ' | 'e' | 'œ' => 4,
        'ɝ' | 'ɜ' | 'ɚ' => 5,
        'j' | 'i' | 'ɪ' | 'y' | 'ʏ' => 6,
        'w' | 'u' | 'ɯ' => 7,
        'o' | 'ø' => 8,
        'h' | 'x' | 'ç' | 'χ' => 12,
        'ɹ' | 'r' | 'ʁ' | 'ʀ' | 'ɾ' => 13,
        'l' | 'ʎ' | 'ɫ' => 14,
        's' | 'z' => 15,
        'ʃ' | 'ʒ' => 16,
        'ð' => 17,
        'f' | 'v' | 'β' => 18,
        'd' | 't' | 'n' | 'θ' | 'ɲ' => 19,
        'k' | 'g' | 'ɡ' | 'ŋ' | 'q' | 'c' => 20,
        'p' | 'b' | 'm' => 21,
        _ => return None,
    })
}

/// Viseme ids from a word's letters, for when no phonemizer is installed: a rough guide to the mouth.
pub(crate) fn visemes_of_letters(word: &str) -> Vec<u16> {
    word.chars()
        .filter_map(|c| match c.to_lowercase().next().unwrap_or(c) {
            'a' | 'à' | 'á' | 'â' | 'ä' => Some(2),
            'e' | 'é' | 'è' | 'ê' => Some(4),
            'i' | 'í' | 'î' | 'y' => Some(6),
            'o' | 'ó' | 'ô' | 'ö' => Some(8),
            'u' | 'ú' | 'ü' | 'w' => Some(7),
            'j' => Some(16),
            'x' => Some(15),
            c => viseme_of_phone(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, tokens: &[Token]) -> Vec<&'a str> {
        tokens.iter().map(|t| &text[t.start..t.end]).collect()
    }

    #[test]
    fn words_punctuation_and_sentences() {
        let text = "Hello, world! It's 3.14 o'clock... Bye";
        let tokens = tokenize(text);
        assert_eq!(
            texts(text, &tokens),
            ["Hello", ",", "world", "!", "It's", "3.14", "o'clock", ".", ".", ".", "Bye"]
        );
        let ends: Vec<bool> = tokens.iter().map(|t| t.ends_sentence).collect();
        assert_eq!(
            ends,
            [false, false, false, true, false, false, false, false, false, true, true]
        );
        assert_eq!(tokens[1].kind, Kind::Punctuation);
        assert!(tokenize("   ").is_empty());
        let german = "Grüße aus Köln. Schön!";
        assert_eq!(
            texts(german, &tokenize(german)),
            ["Grüße", "aus", "Köln", ".", "Schön", "!"]
        );
    }

    #[test]
    fn visemes_from_phonemes_and_letters() {
        // espeak-ng's IPA for "hello world".
        assert_eq!(
            visemes_of_ipa("həlˈoʊ wˈɜːld"),
            [12, 1, 14, 8, 7, 5, 14, 19]
        );
        assert_eq!(visemes_of_ipa("tʃˈaɪ"), [16, 11]);
        assert_eq!(visemes_of_letters("Bom"), [21, 8, 21]);
        assert!(visemes_of_ipa("ˈː").is_empty());
    }
}
