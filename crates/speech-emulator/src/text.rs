//! Azure's four text forms (`Lexical`, `ITN`, `MaskedITN`, `Display`), derived from one display-form transcript.
//!
//! Recognizers return what a person would write ("My number is 555-1234."), which is what Whisper produces and
//! what Azure calls the display form. The service's detailed answer also carries:
//!
//! | form | rule here |
//! |---|---|
//! | `Lexical` | lower case, no punctuation, every number spelled out as words (see below). Profanity is kept. |
//! | `ITN` | lower case, no punctuation, numbers kept as digits. Profanity is kept. |
//! | `MaskedITN` | `ITN` with the profanity mode applied. |
//! | `Display` | the transcript, whitespace tidied, with the profanity mode applied. |
//!
//! Punctuation means sentence punctuation: apostrophes inside words (`don't`) stay, and so do the characters
//! that hold a number together (`3.5`, `1,000`, `10:30`, `555-1234`, `$5`, `5%`). Other characters inside a
//! token separate words (`well-known` → `well known`).
//!
//! Numbers in `Lexical`:
//! - integers as cardinals: `42` → `forty two`, `2024` → `two thousand twenty four`, `1,000,000` →
//!   `one million`. Digit by digit when the number has a leading zero (`007` → `zero zero seven`), or five or
//!   more digits without thousands separators: Whisper writes quantities as `10,000` but phone numbers, codes
//!   and ZIP codes as `5551234` (→ `five five five one two three four`);
//! - digit groups joined by hyphens (phone numbers, codes) digit by digit: `555-1234` →
//!   `five five five one two three four`;
//! - decimals: `3.5` → `three point five`;
//! - ordinals: `1st` → `first`, `21st` → `twenty first`;
//! - percentages: `5%` → `five percent`;
//! - dollars: `$1` → `one dollar`, `$5.50` → `five dollars fifty cents`;
//! - clock times: `10:30` → `ten thirty`, `7:05` → `seven oh five`, `9:00` → `nine o'clock`;
//! - digits inside words: `mp3` → `mp three`.
//!
//! The functions here are total: any input, however odd, gives some answer and never panics.

/// How profanity is treated: the `profanity` query parameter of the recognition request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profanity {
    /// Each letter of a profane word becomes `*` (the service's default).
    #[default]
    Masked,
    /// Profane words are dropped.
    Removed,
    /// Profane words are kept as they are.
    Raw,
}

impl Profanity {
    /// Parses the query value, case-insensitively: `masked`, `removed` or `raw`.
    pub fn parse(s: &str) -> Option<Profanity> {
        if s.eq_ignore_ascii_case("masked") {
            Some(Profanity::Masked)
        } else if s.eq_ignore_ascii_case("removed") {
            Some(Profanity::Removed)
        } else if s.eq_ignore_ascii_case("raw") {
            Some(Profanity::Raw)
        } else {
            None
        }
    }

    /// The query value: `masked`, `removed` or `raw`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profanity::Masked => "masked",
            Profanity::Removed => "removed",
            Profanity::Raw => "raw",
        }
    }
}

/// The four forms of one recognized phrase, as in a detailed `NBest` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextForms {
    /// The words as spoken: lower case, no punctuation, numbers spelled out.
    pub lexical: String,
    /// Inverse-text-normalised form: lower case, no punctuation, numbers as digits.
    pub itn: String,
    /// `itn` with the profanity mode applied.
    pub masked_itn: String,
    /// The display form (capitals, punctuation, digits) with the profanity mode applied. Empty when every word
    /// was profane and the mode is [`Profanity::Removed`]; the service then returns no speech result.
    pub display: String,
}

/// A deliberately small list of English swear words, enough to exercise the three profanity modes.
const PROFANITY: &[&str] = &[
    "asshole", "bastard", "bitch", "crap", "damn", "damned", "dammit", "fuck", "fucked", "fucker",
    "fucking", "shit", "shitty",
];

/// Whether a word (any case, surrounding punctuation already removed) is on the profanity list.
pub fn is_profane(word: &str) -> bool {
    let lower = word.to_lowercase().replace('\u{2019}', "'");
    PROFANITY.contains(&lower.as_str())
}

/// Derives the four text forms from a display-form transcript. Total: never panics.
pub fn derive_forms(display: &str, profanity: Profanity) -> TextForms {
    let mut itn_words = Vec::new();
    for token in display.split_whitespace() {
        itn_words_of(token, &mut itn_words);
    }
    let mut lexical_words = Vec::new();
    for word in &itn_words {
        lexical_words_of(word, &mut lexical_words);
    }
    let masked_itn: Vec<String> = itn_words
        .iter()
        .filter_map(|w| apply_profanity(w, profanity))
        .collect();
    TextForms {
        lexical: lexical_words.join(" "),
        itn: itn_words.join(" "),
        masked_itn: masked_itn.join(" "),
        display: display_with_profanity(display, profanity),
    }
}

/// Masks, drops or keeps one bare word according to the mode.
fn apply_profanity(word: &str, profanity: Profanity) -> Option<String> {
    if !is_profane(word) {
        return Some(word.to_owned());
    }
    match profanity {
        Profanity::Raw => Some(word.to_owned()),
        Profanity::Removed => None,
        Profanity::Masked => Some(mask(word)),
    }
}

fn mask(word: &str) -> String {
    word.chars()
        .map(|c| if c.is_alphanumeric() { '*' } else { c })
        .collect()
}

/// The display text with whitespace collapsed and the profanity mode applied to each token's core (the token
/// without its leading and trailing punctuation).
fn display_with_profanity(display: &str, profanity: Profanity) -> String {
    let mut out: Vec<String> = Vec::new();
    for token in display.split_whitespace() {
        let core = token.trim_matches(|c: char| !c.is_alphanumeric());
        if core.is_empty() || !is_profane(core) || profanity == Profanity::Raw {
            out.push(token.to_owned());
            continue;
        }
        match profanity {
            Profanity::Masked => out.push(token.replacen(core, &mask(core), 1)),
            Profanity::Removed => {
                // Keep sentence punctuation that followed the dropped word ("Oh, damn!" -> "Oh!").
                let trailing = token
                    .rsplit_once(core)
                    .map(|(_, rest)| rest)
                    .unwrap_or_default();
                if let (false, Some(prev)) = (trailing.is_empty(), out.last_mut()) {
                    let kept = prev.trim_end_matches(|c: char| !c.is_alphanumeric()).len();
                    prev.truncate(kept);
                    prev.push_str(trailing);
                }
            }
            Profanity::Raw => {}
        }
    }
    capitalize_first(&out.join(" "))
}

/// Azure's display form starts with a capital letter; Whisper sometimes starts in lower case.
fn capitalize_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

/// Characters that hold a number together when they sit between two digits.
fn is_number_joiner(c: char) -> bool {
    matches!(c, '.' | ',' | ':' | '-' | '/')
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Splits one whitespace-separated display token into ITN words: lower case, punctuation removed except
/// apostrophes between letters, number joiners between digits, `$` before a digit and `%` after one.
fn itn_words_of(token: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = token.chars().collect();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let keep = if c.is_alphanumeric() {
            true
        } else if is_apostrophe(c) {
            prev.is_some_and(char::is_alphabetic) && next.is_some_and(char::is_alphabetic)
        } else if is_number_joiner(c) {
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit())
        } else if c == '$' {
            next.is_some_and(|n| n.is_ascii_digit())
        } else if c == '%' {
            prev.is_some_and(|p| p.is_ascii_digit())
        } else {
            false
        };
        if keep {
            if is_apostrophe(c) {
                word.push('\'');
            } else {
                word.extend(c.to_lowercase());
            }
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
}

/// Spells one ITN word out as lexical words.
fn lexical_words_of(word: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            i = spell_number(&chars, i + 1, true, out);
        } else if c.is_ascii_digit() {
            i = spell_number(&chars, i, false, out);
        } else if is_letter(c) {
            let start = i;
            while i < chars.len()
                && (is_letter(chars[i])
                    || (chars[i] == '\''
                        && chars.get(i + 1).is_some_and(|&n| is_letter(n))
                        && i > start))
            {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            out.push(expand_abbreviation(&run).unwrap_or(&run).to_owned());
        } else {
            // `$`, `%` and joiners not attached to a number, and numeric characters that are not ASCII digits.
            i += 1;
        }
    }
}

/// A letter for the lexical form. Numeric letters (Roman numerals such as `Ⅻ`) are left out, so that the
/// lexical form never holds a numeric character.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

fn expand_abbreviation(word: &str) -> Option<&'static str> {
    Some(match word {
        "mr" => "mister",
        "mrs" => "missus",
        "dr" => "doctor",
        "vs" => "versus",
        _ => return None,
    })
}

fn digits_at(chars: &[char], mut i: usize, into: &mut String) -> usize {
    while let Some(&c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
        into.push(c);
        i += 1;
    }
    i
}

fn is_digit_at(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
}

/// Spells the number starting at `chars[i]` (an ASCII digit) and returns the index after it.
fn spell_number(chars: &[char], i: usize, dollars: bool, out: &mut Vec<String>) -> usize {
    let mut int = String::new();
    let mut i = digits_at(chars, i, &mut int);
    // Thousands groups: ",ddd" not followed by another digit.
    let mut grouped = false;
    while chars.get(i) == Some(&',')
        && (1..=3).all(|k| is_digit_at(chars, i + k))
        && !is_digit_at(chars, i + 4)
    {
        i = digits_at(chars, i + 1, &mut int);
        grouped = true;
    }

    let mut words: Vec<String> = Vec::new();
    let mut ordinal_ok = false;
    match chars.get(i) {
        Some('.') if is_digit_at(chars, i + 1) => {
            let mut frac = String::new();
            i = digits_at(chars, i + 1, &mut frac);
            if dollars && frac.len() == 2 {
                push_integer(&int, &mut words);
                words.push(if int == "1" { "dollar" } else { "dollars" }.into());
                if frac != "00" {
                    push_integer(frac.trim_start_matches('0'), &mut words);
                    words.push(if frac == "01" { "cent" } else { "cents" }.into());
                }
                out.extend(words);
                return percent_suffix(chars, i, out);
            }
            push_integer(&int, &mut words);
            words.push("point".into());
            push_digits(&frac, &mut words);
        }
        Some(':')
            if int.len() <= 2
                && is_digit_at(chars, i + 1)
                && is_digit_at(chars, i + 2)
                && !is_digit_at(chars, i + 3) =>
        {
            let mut minutes = String::new();
            i = digits_at(chars, i + 1, &mut minutes);
            push_integer(&int, &mut words);
            if minutes == "00" {
                words.push("o'clock".into());
            } else if let Some(m) = minutes.strip_prefix('0') {
                words.push("oh".into());
                push_digits(m, &mut words);
            } else {
                push_integer(&minutes, &mut words);
            }
        }
        Some('-') if is_digit_at(chars, i + 1) => {
            push_digits(&int, &mut words);
            while chars.get(i) == Some(&'-') && is_digit_at(chars, i + 1) {
                let mut group = String::new();
                i = digits_at(chars, i + 1, &mut group);
                push_digits(&group, &mut words);
            }
        }
        _ if int.len() >= 5 && !grouped && !dollars => push_digits(&int, &mut words),
        _ => {
            push_integer(&int, &mut words);
            ordinal_ok = !dollars;
        }
    }
    if dollars {
        words.push(if int == "1" { "dollar" } else { "dollars" }.into());
    }
    if ordinal_ok {
        let suffix: String = chars.iter().skip(i).take(2).collect();
        let after_is_letter = chars.get(i + 2).is_some_and(|&c| is_letter(c));
        if matches!(suffix.as_str(), "st" | "nd" | "rd" | "th") && !after_is_letter {
            if let Some(last) = words.last_mut() {
                *last = ordinal_of(last);
            }
            out.extend(words);
            return i + 2;
        }
    }
    out.extend(words);
    percent_suffix(chars, i, out)
}

fn percent_suffix(chars: &[char], i: usize, out: &mut Vec<String>) -> usize {
    if chars.get(i) == Some(&'%') {
        out.push("percent".into());
        i + 1
    } else {
        i
    }
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// Spells each digit of an ASCII-digit string.
fn push_digits(digits: &str, out: &mut Vec<String>) {
    for d in digits.chars().filter_map(|c| c.to_digit(10)) {
        out.push(ONES[d as usize].into());
    }
}

/// Spells an ASCII-digit string as a cardinal; digit by digit when it has a leading zero or is too long.
fn push_integer(digits: &str, out: &mut Vec<String>) {
    if digits.is_empty() {
        return;
    }
    let value = if digits.len() > 1 && digits.starts_with('0') || digits.len() > 15 {
        None
    } else {
        digits.parse::<u64>().ok()
    };
    match value {
        Some(n) => push_cardinal(n, out),
        None => push_digits(digits, out),
    }
}

/// Spells `n` (below 10^15) as a cardinal: `forty two`, `one thousand two hundred`.
fn push_cardinal(n: u64, out: &mut Vec<String>) {
    if n == 0 {
        out.push("zero".into());
        return;
    }
    const SCALES: [(u64, &str); 4] = [
        (1_000_000_000_000, "trillion"),
        (1_000_000_000, "billion"),
        (1_000_000, "million"),
        (1_000, "thousand"),
    ];
    let mut rest = n;
    for (scale, name) in SCALES {
        let count = rest / scale;
        if count > 0 {
            push_below_thousand(count % 1000, out);
            out.push(name.into());
            rest %= scale;
        }
    }
    push_below_thousand(rest, out);
}

fn push_below_thousand(n: u64, out: &mut Vec<String>) {
    let hundreds = (n / 100 % 10) as usize;
    let rest = (n % 100) as usize;
    if hundreds > 0 {
        out.push(ONES[hundreds].into());
        out.push("hundred".into());
    }
    if rest >= 20 {
        out.push(TENS[rest / 10].into());
        if rest % 10 > 0 {
            out.push(ONES[rest % 10].into());
        }
    } else if rest > 0 {
        out.push(ONES[rest].into());
    }
}

/// The ordinal of a cardinal's last word: `one` → `first`, `twenty` → `twentieth`, `hundred` → `hundredth`.
fn ordinal_of(word: &str) -> String {
    match word {
        "one" => "first".into(),
        "two" => "second".into(),
        "three" => "third".into(),
        "five" => "fifth".into(),
        "eight" => "eighth".into(),
        "nine" => "ninth".into(),
        "twelve" => "twelfth".into(),
        w => match w.strip_suffix('y') {
            Some(stem) => format!("{stem}ieth"),
            None => format!("{w}th"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_starts_with_a_capital() {
        let forms = derive_forms("and so, my fellow Americans", Profanity::Masked);
        assert_eq!(forms.display, "And so, my fellow Americans");
        assert_eq!(forms.lexical, "and so my fellow americans");
        assert_eq!(derive_forms("über", Profanity::Raw).display, "Über");
        assert_eq!(derive_forms("", Profanity::Raw).display, "");
    }
    use proptest::prelude::*;

    fn lex(s: &str) -> String {
        derive_forms(s, Profanity::Raw).lexical
    }

    #[test]
    fn parse_profanity_modes() {
        assert_eq!(Profanity::parse("masked"), Some(Profanity::Masked));
        assert_eq!(Profanity::parse("REMOVED"), Some(Profanity::Removed));
        assert_eq!(Profanity::parse("Raw"), Some(Profanity::Raw));
        assert_eq!(Profanity::parse("none"), None);
        assert_eq!(Profanity::parse(""), None);
        for p in [Profanity::Masked, Profanity::Removed, Profanity::Raw] {
            assert_eq!(Profanity::parse(p.as_str()), Some(p));
        }
        assert_eq!(Profanity::default(), Profanity::Masked);
    }

    #[test]
    fn plain_sentence() {
        let f = derive_forms("Find a funny movie to watch.", Profanity::Masked);
        assert_eq!(f.lexical, "find a funny movie to watch");
        assert_eq!(f.itn, "find a funny movie to watch");
        assert_eq!(f.masked_itn, "find a funny movie to watch");
        assert_eq!(f.display, "Find a funny movie to watch.");
    }

    #[test]
    fn phone_number() {
        let f = derive_forms("My phone number is 555-1234.", Profanity::Masked);
        assert_eq!(
            f.lexical,
            "my phone number is five five five one two three four"
        );
        assert_eq!(f.itn, "my phone number is 555-1234");
    }

    #[test]
    fn cardinals() {
        assert_eq!(lex("42"), "forty two");
        assert_eq!(lex("0"), "zero");
        assert_eq!(lex("7"), "seven");
        assert_eq!(lex("13"), "thirteen");
        assert_eq!(lex("100"), "one hundred");
        assert_eq!(lex("1,000"), "one thousand");
        assert_eq!(lex("2024"), "two thousand twenty four");
        assert_eq!(
            lex("1,234,567"),
            "one million two hundred thirty four thousand five hundred sixty seven"
        );
        assert_eq!(lex("1,000,000,000,000"), "one trillion");
        assert_eq!(lex("9999"), "nine thousand nine hundred ninety nine");
        assert_eq!(lex("5551234"), "five five five one two three four");
        assert_eq!(lex("$10000"), "ten thousand dollars");
        assert_eq!(lex("007"), "zero zero seven");
        assert_eq!(
            lex("1234567890123456"),
            "one two three four five six seven eight nine zero one two three four five six"
        );
    }

    #[test]
    fn decimals_percent_dollars() {
        assert_eq!(lex("3.5"), "three point five");
        assert_eq!(lex("0.25"), "zero point two five");
        assert_eq!(lex("5%"), "five percent");
        assert_eq!(lex("12.5%"), "twelve point five percent");
        assert_eq!(lex("$5"), "five dollars");
        assert_eq!(lex("$1"), "one dollar");
        assert_eq!(lex("$5.50"), "five dollars fifty cents");
        assert_eq!(lex("$1.01"), "one dollar one cent");
        assert_eq!(lex("$20.00"), "twenty dollars");
        assert_eq!(lex("$1,500"), "one thousand five hundred dollars");
        assert_eq!(
            derive_forms("It costs $5.", Profanity::Raw).itn,
            "it costs $5"
        );
        assert_eq!(derive_forms("Up 5%.", Profanity::Raw).itn, "up 5%");
    }

    #[test]
    fn ordinals() {
        assert_eq!(lex("1st"), "first");
        assert_eq!(lex("2nd"), "second");
        assert_eq!(lex("3rd"), "third");
        assert_eq!(lex("4th"), "fourth");
        assert_eq!(lex("12th"), "twelfth");
        assert_eq!(lex("20th"), "twentieth");
        assert_eq!(lex("21st"), "twenty first");
        assert_eq!(lex("100th"), "one hundredth");
        assert_eq!(lex("the 5th of May"), "the fifth of may");
        // Not an ordinal suffix: the letters carry on.
        assert_eq!(lex("4three"), "four three");
        assert_eq!(lex("3stars"), "three stars");
    }

    #[test]
    fn times_and_mixed_tokens() {
        assert_eq!(lex("10:30"), "ten thirty");
        assert_eq!(lex("7:05"), "seven oh five");
        assert_eq!(lex("9:00"), "nine o'clock");
        assert_eq!(lex("mp3"), "mp three");
        assert_eq!(lex("Mr. Smith"), "mister smith");
        assert_eq!(lex("1,2,3"), "one two three");
    }

    #[test]
    fn apostrophes_and_separators() {
        let f = derive_forms(
            "I don\u{2019}t know, it's well-known... 'quoted'",
            Profanity::Raw,
        );
        assert_eq!(f.itn, "i don't know it's well known quoted");
        assert_eq!(f.lexical, "i don't know it's well known quoted");
    }

    #[test]
    fn profanity_masked() {
        let f = derive_forms("Oh damn, that's shit!", Profanity::Masked);
        assert_eq!(f.display, "Oh ****, that's ****!");
        assert_eq!(f.masked_itn, "oh **** that's ****");
        assert_eq!(f.itn, "oh damn that's shit");
        assert_eq!(f.lexical, "oh damn that's shit");
    }

    #[test]
    fn profanity_removed() {
        let f = derive_forms("Oh, damn!  That is   crap.", Profanity::Removed);
        assert_eq!(f.display, "Oh! That is.");
        assert_eq!(f.masked_itn, "oh that is");
        assert_eq!(f.itn, "oh damn that is crap");
        let only = derive_forms("Damn.", Profanity::Removed);
        assert_eq!(only.display, "");
        assert_eq!(only.masked_itn, "");
    }

    #[test]
    fn profanity_raw() {
        let f = derive_forms("Damn it.", Profanity::Raw);
        assert_eq!(f.display, "Damn it.");
        assert_eq!(f.masked_itn, "damn it");
        // Whole words only.
        assert!(!is_profane("scrappy"));
        assert!(is_profane("DAMN"));
    }

    #[test]
    fn whitespace_and_empty() {
        let f = derive_forms("  Hello \n\t world.  ", Profanity::Masked);
        assert_eq!(f.display, "Hello world.");
        assert_eq!(f.lexical, "hello world");
        assert_eq!(derive_forms("", Profanity::Masked), TextForms::default());
        assert_eq!(derive_forms("... !!", Profanity::Masked).lexical, "");
    }

    #[test]
    fn odd_unicode() {
        let f = derive_forms("Chapter \u{216B} \u{0663} İstanbul ½", Profanity::Masked);
        assert!(!f.lexical.chars().any(char::is_numeric), "{}", f.lexical);
        assert!(f.lexical.contains("chapter"));
    }

    proptest! {
        #[test]
        fn total_and_lexical_has_no_digits(s in any::<String>(), mode in 0..3u8) {
            let p = [Profanity::Masked, Profanity::Removed, Profanity::Raw][mode as usize];
            let f = derive_forms(&s, p);
            prop_assert!(!f.lexical.chars().any(char::is_numeric), "lexical {:?}", f.lexical);
            prop_assert!(!f.itn.chars().any(|c| c.is_whitespace() && c != ' '));
            prop_assert!(!f.lexical.contains("  ") && !f.itn.contains("  "));
        }

        #[test]
        fn numbery_strings_never_panic(s in "[0-9$%.,:/\\-a-z' ]{0,40}") {
            let f = derive_forms(&s, Profanity::Masked);
            prop_assert!(!f.lexical.chars().any(|c| c.is_ascii_digit()), "lexical {:?}", f.lexical);
        }
    }
}
