//! Every language without rules of its own: the words of the transcript with punctuation removed and numbers
//! kept as digits, used for both `Lexical` and `ITN`. The rules are described in the module documentation of
//! [`crate::text`].

use super::chars::{is_apostrophe, is_ignorable, is_separator, is_spaceless_script, lowercase};

/// How the words of a language are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Script {
    /// Written without spaces between words (Chinese, Japanese, Thai, …): the text is kept as it is (no case
    /// change), and removed punctuation does not split words.
    pub(super) spaceless: bool,
    /// Turkish and Azerbaijani: `I` lower-cases to `ı` and `İ` to `i`.
    pub(super) turkic: bool,
}

/// The words of a display-form transcript.
pub(super) fn words(display: &str, script: Script) -> Vec<String> {
    let mut out = Vec::new();
    for token in display.split_whitespace() {
        token_words(token, script, &mut out);
    }
    out
}

/// Characters that hold a number together when they sit between two digits, including the Arabic decimal
/// and thousands separators.
fn is_number_joiner(c: char) -> bool {
    matches!(c, '.' | ',' | ':' | '-' | '/' | '\u{066B}' | '\u{066C}')
}

/// Percent signs: ASCII, Arabic and full-width.
fn is_percent(c: char) -> bool {
    matches!(c, '%' | '\u{066A}' | '\u{FF05}')
}

fn token_words(token: &str, script: Script, out: &mut Vec<String>) {
    let chars: Vec<char> = token.chars().collect();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let keep = if c.is_alphanumeric() {
            Some(c)
        } else if is_ignorable(c) {
            continue;
        } else if is_apostrophe(c) {
            (prev.is_some_and(char::is_alphabetic) && next.is_some_and(char::is_alphabetic))
                .then_some('\'')
        } else if is_number_joiner(c) {
            (prev.is_some_and(char::is_numeric) && next.is_some_and(char::is_numeric)).then_some(c)
        } else if is_percent(c) {
            prev.is_some_and(char::is_numeric).then_some(c)
        } else if is_separator(c) {
            None
        } else {
            // Combining marks (virama, vowel signs, tone marks), zero-width joiners.
            Some(c)
        };
        match keep {
            Some(k) => word.push(k),
            // In a script without spaces, punctuation between two characters of that script just goes
            // (`東京、大阪` → `東京大阪`); it still separates two words of other scripts (`iPhone,iPad`).
            None if script.spaceless
                && (prev.is_some_and(is_spaceless_script)
                    || next.is_some_and(is_spaceless_script)) => {}
            None => push_word(std::mem::take(&mut word), script, out),
        }
    }
    push_word(word, script, out);
}

fn push_word(word: String, script: Script, out: &mut Vec<String>) {
    if !word.chars().any(char::is_alphanumeric) {
        return;
    }
    out.push(if script.spaceless {
        word
    } else {
        lowercase(&word, script.turkic)
    });
}

#[cfg(test)]
mod tests {
    use crate::text::{derive_forms_in, Profanity, TextForms};

    fn forms(s: &str, lang: &str) -> TextForms {
        derive_forms_in(s, lang, Profanity::Masked)
    }

    #[test]
    fn spaceless_scripts_keep_their_text() {
        let f = forms("今日は、いい天気ですね。", "ja-JP");
        assert_eq!(f.lexical, "今日はいい天気ですね");
        assert_eq!(f.itn, "今日はいい天気ですね");
        assert_eq!(f.masked_itn, "今日はいい天気ですね");
        assert_eq!(f.display, "今日は、いい天気ですね。");
        let f = forms("你好，世界！我有3个苹果？", "zh-CN");
        assert_eq!(f.lexical, "你好世界我有3个苹果");
        assert_eq!(forms("「東京」・大阪", "ja").itn, "東京大阪");
        assert_eq!(forms("我用 iPhone,iPad。", "zh").itn, "我用 iPhone iPad");
        assert_eq!(forms("价格是3.5元", "zh-CN").itn, "价格是3.5元");
        // Thai: tone marks and vowel signs stay; the spaces between phrases stay.
        let f = forms("สวัสดีครับ ยินดีที่ได้รู้จัก", "th-TH");
        assert_eq!(f.lexical, "สวัสดีครับ ยินดีที่ได้รู้จัก");
        assert_eq!(forms("粤语，你好", "yue-CN").itn, "粤语你好");
    }

    #[test]
    fn other_languages_lower_case_without_punctuation() {
        let f = forms("L'uomo ha 21 anni, vero?", "it-IT");
        assert_eq!(f.lexical, "l'uomo ha 21 anni vero");
        assert_eq!(f.itn, "l'uomo ha 21 anni vero");
        assert_eq!(f.display, "L'uomo ha 21 anni, vero?");
        assert_eq!(
            forms("Ik heb 3,5 kilo — 50%!", "nl-NL").lexical,
            "ik heb 3,5 kilo 50%"
        );
        assert_eq!(forms("Привет, МИР!", "ru-RU").lexical, "привет мир");
        // A final capital sigma lower-cases to the final form.
        assert_eq!(
            forms("ΟΔΟΣ.", "el-GR").lexical,
            "\u{3BF}\u{3B4}\u{3BF}\u{3C2}"
        );
        assert_eq!(forms("Ελλάδα; ΝΑΙ.", "el").itn, "ελλάδα ναι");
        assert_eq!(
            forms("İstanbul'da IŞIK var.", "tr-TR").lexical,
            "istanbul'da ışık var"
        );
        assert_eq!(forms("istanbul", "tr-TR").display, "İstanbul");
        assert_eq!(forms("Istanbul", "en-US").lexical, "istanbul");
        // Devanagari: the virama stays inside its word; the danda goes.
        assert_eq!(forms("नमस्ते, आप कैसे हैं।", "hi-IN").lexical, "नमस्ते आप कैसे हैं");
        // Arabic comma and question mark; Arabic-Indic digits with their decimal separator.
        assert_eq!(
            forms("مرحبا، كيف حالك؟ ٣٫٥", "ar-EG").itn,
            "مرحبا كيف حالك ٣٫٥"
        );
        assert_eq!(forms("Soft\u{AD}hyphen", "nl").itn, "softhyphen");
        assert_eq!(forms("Xin chào! 2024", "vi-VN").lexical, "xin chào 2024");
    }

    #[test]
    fn language_tags_match_case_insensitively_on_the_primary_subtag() {
        for tag in ["de", "DE", "de-DE", "de_AT", "De-ch", " de-DE "] {
            assert_eq!(forms("21", tag).lexical, "einundzwanzig", "{tag:?}");
        }
        for tag in ["en", "EN-gb", "en-US"] {
            assert_eq!(forms("21", tag).lexical, "twenty one", "{tag:?}");
        }
        for tag in ["", "xx", "und", "-", "deu", "😀", "d\u{0301}e"] {
            assert_eq!(forms("21 Äpfel.", tag).lexical, "21 äpfel", "{tag:?}");
        }
    }
}
