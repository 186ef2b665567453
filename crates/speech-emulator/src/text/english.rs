//! English: the ITN words of a transcript and their spelled-out lexical form. The rules are described in the
//! module documentation of [`crate::text`].

use super::chars::{digits_at, is_apostrophe, is_digit_at};

/// The ITN words and the lexical words of an English display-form transcript.
pub(super) fn words(display: &str) -> (Vec<String>, Vec<String>) {
    let mut itn_words = Vec::new();
    for token in display.split_whitespace() {
        itn_words_of(token, &mut itn_words);
    }
    let mut lexical_words = Vec::new();
    for word in &itn_words {
        lexical_words_of(word, &mut lexical_words);
    }
    (itn_words, lexical_words)
}

/// Characters that hold a number together when they sit between two digits.
fn is_number_joiner(c: char) -> bool {
    matches!(c, '.' | ',' | ':' | '-' | '/')
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
