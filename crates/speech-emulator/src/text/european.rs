//! German, French and Spanish: the ITN words of a transcript and their spelled-out lexical form. The rules are
//! described in the module documentation of [`crate::text`].

use super::chars::{
    digits_at, is_apostrophe, is_digit_at, is_hyphen, is_ignorable, is_separator, lowercase,
};
use super::numbers;

/// Stands, inside an ITN word, for a space that groups digits (`1 000`). It only ever sits between two ASCII
/// digits, and it is removed from the `ITN` text.
const GROUP: char = '\u{202F}';

/// A language with spelled-out numbers besides English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Language {
    /// German (`de`).
    German,
    /// French (`fr`); `septante`: Belgian and Swiss French, which say `septante` and `nonante`.
    French {
        /// 70 is `septante` and 90 `nonante`.
        septante: bool,
    },
    /// Spanish (`es`); `comma_groups`: the regions that write `1,500.50` (Mexico, the United States, Central
    /// America, the Caribbean), where a comma before exactly three digits groups thousands.
    Spanish {
        /// `,ddd` groups thousands.
        comma_groups: bool,
    },
}

impl Language {
    fn is_french(self) -> bool {
        matches!(self, Language::French { .. })
    }

    fn comma_groups(self) -> bool {
        matches!(self, Language::Spanish { comma_groups: true })
    }

    fn cardinal(self, n: u64) -> Vec<String> {
        match self {
            Language::German => numbers::german(n),
            Language::French { septante } => numbers::french(n, septante),
            Language::Spanish { .. } => numbers::spanish(n),
        }
    }

    fn digit(self, d: u32) -> &'static str {
        match self {
            Language::German => numbers::german_digit(d),
            Language::French { .. } => numbers::french_digit(d),
            Language::Spanish { .. } => numbers::spanish_digit(d),
        }
    }

    /// The word for a decimal comma (`3,5`).
    fn comma(self) -> &'static str {
        match self {
            Language::German => "komma",
            Language::French { .. } => "virgule",
            Language::Spanish { .. } => "coma",
        }
    }

    /// The word for a decimal point (`3.5`, as written in Mexico or by English habit).
    fn point(self) -> &'static str {
        match self {
            Language::German => "punkt",
            Language::French { .. } => "point",
            Language::Spanish { .. } => "punto",
        }
    }

    fn percent(self) -> &'static [&'static str] {
        match self {
            Language::German => &["prozent"],
            Language::French { .. } => &["pour", "cent"],
            Language::Spanish { .. } => &["por", "ciento"],
        }
    }

    /// The spoken form of a common written abbreviation (already lower case, its period removed).
    fn abbreviation(self, word: &str) -> Option<&'static str> {
        Some(match (self, word) {
            (Language::German, "dr") => "doktor",
            (Language::German, "prof") => "professor",
            (Language::German, "nr") => "nummer",
            (Language::German, "str") => "straße",
            (Language::German, "bzw") => "beziehungsweise",
            (Language::German, "usw") => "und so weiter",
            (Language::German, "evtl") => "eventuell",
            (Language::German, "ggf") => "gegebenenfalls",
            (Language::German, "ca") => "circa",
            (Language::German, "mio") => "millionen",
            (Language::German, "mrd") => "milliarden",
            (Language::French { .. }, "mme") => "madame",
            (Language::French { .. }, "mmes") => "mesdames",
            (Language::French { .. }, "mlle") => "mademoiselle",
            (Language::French { .. }, "mlles") => "mesdemoiselles",
            (Language::French { .. }, "dr") => "docteur",
            (Language::French { .. }, "pr") => "professeur",
            (Language::French { .. }, "st") => "saint",
            (Language::French { .. }, "ste") => "sainte",
            (Language::French { .. }, "cie") => "compagnie",
            (Language::French { .. }, "etc") => "et cetera",
            (Language::Spanish { .. }, "sr") => "señor",
            (Language::Spanish { .. }, "sra") => "señora",
            (Language::Spanish { .. }, "srta") => "señorita",
            (Language::Spanish { .. }, "dr") => "doctor",
            (Language::Spanish { .. }, "dra") => "doctora",
            (Language::Spanish { .. }, "ud") => "usted",
            (Language::Spanish { .. }, "uds") => "ustedes",
            (Language::Spanish { .. }, "etc") => "etcétera",
            (Language::Spanish { .. }, "nº") => "número",
            _ => return None,
        })
    }
}

/// The ITN words and the lexical words of a display-form transcript.
pub(super) fn words(display: &str, lang: Language) -> (Vec<String>, Vec<String>) {
    let itn = itn_words(display, lang);
    let lexical = lexical_words(&itn, lang);
    let itn = itn.into_iter().map(|w| w.replace(GROUP, "")).collect();
    (itn, lexical)
}

/// How a white-space character is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Glue {
    /// It separates words.
    None,
    /// It groups the digits of a number (`1 000`).
    Group,
    /// It separates a number from its percent sign (`5 %`), and is dropped.
    Drop,
}

/// Splits the transcript into ITN words: lower case, punctuation removed except apostrophes between letters,
/// number joiners between digits, `%` after a number and (in French) hyphens inside spelled-out numbers.
fn itn_words(display: &str, lang: Language) -> Vec<String> {
    let chars: Vec<char> = display.chars().collect();
    let glue = glue(&chars, lang);
    let mut out = Vec::new();
    let mut token = Vec::new();
    for (&c, &g) in chars.iter().zip(&glue) {
        match g {
            Glue::Group => token.push(GROUP),
            Glue::Drop => {}
            Glue::None if c.is_whitespace() => {
                token_words(&token, lang, &mut out);
                token.clear();
            }
            Glue::None => token.push(c),
        }
    }
    token_words(&token, lang, &mut out);
    out
}

/// Marks the white space that belongs to a number: the white space between a number and a percent sign, and a
/// single space that groups digits. A grouping space is a no-break, narrow no-break or thin space in every
/// language, and in French an ordinary space too; it follows one to three digits (not starting with `0`, and
/// not the fraction of a decimal) or an earlier group, and precedes exactly three digits.
fn glue(chars: &[char], lang: Language) -> Vec<Glue> {
    let mut glue = vec![Glue::None; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        let Some(before) = start.checked_sub(1) else {
            continue;
        };
        if !chars[before].is_ascii_digit() {
            continue;
        }
        if chars.get(i) == Some(&'%') {
            glue[start..i].fill(Glue::Drop);
            continue;
        }
        let grouping_space = match chars[start] {
            '\u{A0}' | '\u{202F}' | '\u{2009}' => true,
            ' ' => lang.is_french(),
            _ => false,
        };
        let group_follows = (i..i + 3).all(|k| is_digit_at(chars, k)) && !is_digit_at(chars, i + 3);
        if i - start != 1 || !grouping_space || !group_follows {
            continue;
        }
        // The digits before the space: one to three of them, starting a number or following a group.
        let mut lead = before;
        while lead > 0 && chars[lead - 1].is_ascii_digit() {
            lead -= 1;
        }
        let lead_len = before + 1 - lead;
        let follows_group = lead > 0 && glue[lead - 1] == Glue::Group;
        let after_joined_digits = lead >= 2
            && matches!(chars[lead - 1], '.' | ',' | ':' | '-' | '/')
            && chars[lead - 2].is_ascii_digit();
        let starts_number = lead_len <= 3 && chars[lead] != '0' && !after_joined_digits;
        if follows_group || starts_number {
            glue[start] = Glue::Group;
        }
    }
    glue
}

fn is_ordinal_indicator(c: char) -> bool {
    c == 'º' || c == 'ª'
}

/// Splits one white-space-separated token (grouping spaces already replaced by [`GROUP`]) into ITN words.
fn token_words(chars: &[char], lang: Language, out: &mut Vec<String>) {
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let digit_before = prev.is_some_and(|p| p.is_ascii_digit());
        let digit_after = next.is_some_and(|n| n.is_ascii_digit());
        let letters_around =
            prev.is_some_and(char::is_alphabetic) && next.is_some_and(char::is_alphabetic);
        let keep = if c == GROUP || c.is_alphanumeric() {
            Some(c)
        } else if is_ignorable(c) {
            continue;
        } else if is_apostrophe(c) {
            letters_around.then_some('\'')
        } else if is_hyphen(c) {
            (digit_before && digit_after || lang.is_french() && letters_around).then_some('-')
        } else if matches!(c, '.' | ',' | ':' | '/') {
            let ordinal = c == '.' && next.is_some_and(is_ordinal_indicator);
            (digit_before && (digit_after || ordinal)).then_some(c)
        } else if c == '%' {
            digit_before.then_some('%')
        } else if is_separator(c) {
            None
        } else {
            // Combining marks, zero-width joiners and other characters that belong to a word.
            Some(c)
        };
        match keep {
            Some(k) => word.push(k),
            None => push_word(std::mem::take(&mut word), lang, out),
        }
    }
    push_word(word, lang, out);
}

/// Lower-cases and adds one ITN word. A French word with hyphens between letters stays whole only when it is a
/// spelled-out number (`quatre-vingt-dix`); otherwise its parts become words (`peut-être` → `peut être`).
fn push_word(word: String, lang: Language, out: &mut Vec<String>) {
    if !word.chars().any(char::is_alphanumeric) {
        return;
    }
    let word = lowercase(&word, false);
    if lang.is_french() && word.contains('-') {
        let parts = split_letter_hyphens(&word);
        if parts.len() > 1 && !is_french_number_compound(&parts) {
            out.extend(
                parts
                    .into_iter()
                    .filter(|p| p.chars().any(char::is_alphanumeric)),
            );
            return;
        }
    }
    out.push(word);
}

/// Splits a word at the hyphens that sit between two letters (not at those between digits).
fn split_letter_hyphens(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut parts = vec![String::new()];
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if c == '-' && between_letters {
            parts.push(String::new());
        } else if let Some(part) = parts.last_mut() {
            part.push(c);
        }
    }
    parts
}

/// Whether hyphen-joined parts spell a French number (`dix-sept`, `vingt-et-un`, `quatre-vingt-dixième`).
fn is_french_number_compound(parts: &[String]) -> bool {
    const NUMBER_WORDS: &[&str] = &[
        "un",
        "une",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
        "treize",
        "quatorze",
        "quinze",
        "seize",
        "vingt",
        "vingts",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
        "septante",
        "huitante",
        "octante",
        "nonante",
        "cent",
        "cents",
        "mille",
        "et",
    ];
    let Some((last, head)) = parts.split_last() else {
        return false;
    };
    let is_number = |p: &String| NUMBER_WORDS.contains(&p.as_str());
    let last_ok =
        is_number(last) || last.ends_with("ième") || last.ends_with("ièmes") || last == "unième";
    head.first().is_some_and(|first| first != "et") && head.iter().all(is_number) && last_ok
}

/// Spells the ITN words out as lexical words.
fn lexical_words(itn: &[String], lang: Language) -> Vec<String> {
    let mut out = Vec::new();
    let mut k = 0;
    while let Some(word) = itn.get(k) {
        k += 1;
        // French clock times written `10 h 30`: the `h` is `heures`, and two digits after it are the minutes.
        let hours = k
            .checked_sub(2)
            .and_then(|p| itn.get(p))
            .and_then(|p| hour_value(p));
        if let (true, "h", Some(hours)) = (lang.is_french(), word.as_str(), hours) {
            push_french_hours_unit(hours, &mut out);
            if let Some(minutes) = itn.get(k).and_then(|m| minute_value(m)) {
                if minutes > 0 {
                    out.extend(lang.cardinal(minutes));
                }
                k += 1;
            }
            continue;
        }
        // German clock times before `Uhr`: `10.30 Uhr` and `10:30 Uhr` are `zehn uhr dreißig`, `1 Uhr` is
        // `ein uhr`.
        let before_uhr = itn.get(k).is_some_and(|next| next == "uhr");
        if let (Language::German, true, Some((hours, minutes))) = (lang, before_uhr, clock(word)) {
            match hours {
                1 => out.push("ein".into()),
                h => out.extend(lang.cardinal(h)),
            }
            out.push("uhr".into());
            out.extend(
                minutes
                    .filter(|&m| m > 0)
                    .map(|m| lang.cardinal(m))
                    .unwrap_or_default(),
            );
            k += 1;
            continue;
        }
        word_lexical(word, lang, &mut out);
        // A number before a scale noun agrees with it: German `1 Million` → `eine million`, Spanish `31 mil` →
        // `treinta y un mil`, `21 millones` → `veintiún millones`.
        let next = itn.get(k).map(String::as_str);
        if word.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(last) = out.last_mut() {
                let agreed = match (lang, last.as_str(), next) {
                    (Language::German, "eins", Some(n)) if GERMAN_SCALES.contains(&n) => "eine",
                    (Language::Spanish { .. }, "uno", Some(n)) if SPANISH_SCALES.contains(&n) => {
                        "un"
                    }
                    (Language::Spanish { .. }, "veintiuno", Some(n))
                        if SPANISH_SCALES.contains(&n) =>
                    {
                        "veintiún"
                    }
                    _ => continue,
                };
                *last = agreed.into();
            }
        }
    }
    out
}

/// German scale nouns (and their abbreviations), feminine: `eine million`.
const GERMAN_SCALES: &[&str] = &[
    "million",
    "millionen",
    "mio",
    "milliarde",
    "milliarden",
    "mrd",
    "billion",
    "billionen",
];

/// Spanish scale words, before which `uno` is `un`.
const SPANISH_SCALES: &[&str] = &["mil", "millón", "millones", "billón", "billones"];

/// A clock time `h`, `h.mm`, `h:mm` (hours up to 24): the hours and the minutes.
fn clock(word: &str) -> Option<(u64, Option<u64>)> {
    match word.split_once(['.', ':']) {
        Some((hours, minutes)) => Some((hour_value(hours)?, Some(minute_value(minutes)?))),
        None => Some((hour_value(word)?, None)),
    }
}

/// The value of a one- or two-digit hour (0 ..= 24).
fn hour_value(word: &str) -> Option<u64> {
    let ok = (1..=2).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit());
    word.parse().ok().filter(|&h| ok && h <= 24)
}

/// The value of two digits that can be minutes (00 ..= 59).
fn minute_value(word: &str) -> Option<u64> {
    let ok = word.len() == 2 && word.bytes().all(|b| b.is_ascii_digit());
    word.parse().ok().filter(|&m| ok && m < 60)
}

/// After an hour's cardinal (already in `out`): `une heure`, `vingt et une heures`, `dix heures`.
fn push_french_hours_unit(hours: u64, out: &mut Vec<String>) {
    if let Some(last) = out.last_mut().filter(|w| *w == "un") {
        *last = "une".into();
    }
    out.push(if hours <= 1 { "heure" } else { "heures" }.into());
}

/// A character of a lexical word: anything in an ITN word but numbers and the characters that join them.
fn is_letter(c: char) -> bool {
    !c.is_numeric() && !matches!(c, '\'' | '-' | '.' | ',' | ':' | '/' | '%' | GROUP)
}

/// Spells one ITN word out as lexical words.
fn word_lexical(word: &str, lang: Language, out: &mut Vec<String>) {
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            i = spell_number(&chars, i, lang, out);
        } else if is_letter(c) {
            let start = i;
            while i < chars.len()
                && (is_letter(chars[i])
                    || (matches!(chars[i], '\'' | '-')
                        && i > start
                        && chars.get(i + 1).is_some_and(|&n| is_letter(n))))
            {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if run.chars().any(char::is_alphabetic) {
                match lang.abbreviation(&run) {
                    Some(spoken) => out.extend(spoken.split(' ').map(String::from)),
                    None => out.push(run),
                }
            }
        } else {
            // Joiners not inside a number, and numeric characters that are not ASCII digits (`²`, `½`).
            i += 1;
        }
    }
}

/// Whether three digits start at `chars[i]`, and no fourth.
fn group_at(chars: &[char], i: usize) -> bool {
    (i..i + 3).all(|k| is_digit_at(chars, k)) && !is_digit_at(chars, i + 3)
}

/// The value of an integer to spell as a cardinal, or `None` to spell it digit by digit: when it has a leading
/// zero, more than nine digits without thousands separators, or more than twelve with them.
fn cardinal_value(int: &str, grouped: bool) -> Option<u64> {
    let too_long = int.len() > if grouped { 12 } else { 9 };
    if int.is_empty() || too_long || int.len() > 1 && int.starts_with('0') {
        None
    } else {
        int.parse().ok()
    }
}

fn push_digits(digits: &str, lang: Language, out: &mut Vec<String>) {
    for d in digits.chars().filter_map(|c| c.to_digit(10)) {
        out.push(lang.digit(d).into());
    }
}

fn push_integer(int: &str, grouped: bool, lang: Language, out: &mut Vec<String>) {
    match cardinal_value(int, grouped) {
        Some(n) => out.extend(lang.cardinal(n)),
        None => push_digits(int, lang, out),
    }
}

/// The digits after a decimal separator. German reads them one by one (`drei komma eins vier`); French and
/// Spanish read leading zeros one by one and then up to three digits as a number (`trois virgule quatorze`,
/// `tres coma cero cinco`), and longer fractions digit by digit.
fn push_fraction(frac: &str, lang: Language, out: &mut Vec<String>) {
    if lang == Language::German {
        return push_digits(frac, lang, out);
    }
    let rest = frac.trim_start_matches('0');
    push_digits(&frac[..frac.len() - rest.len()], lang, out);
    if rest.len() <= 3 {
        if let Ok(n) = rest.parse() {
            out.extend(lang.cardinal(n));
        }
    } else {
        push_digits(rest, lang, out);
    }
}

/// Spells the number starting at `chars[i]` (an ASCII digit) and returns the index after it.
fn spell_number(chars: &[char], i: usize, lang: Language, out: &mut Vec<String>) -> usize {
    let mut int = String::new();
    let mut i = digits_at(chars, i, &mut int);
    // Thousands groups: `.ddd` or a grouping space (or `,ddd` where commas group), after a first group of one
    // to three digits. English-style `1,000,000` is recognised everywhere when there are at least two comma
    // groups (`1,000` alone is one point zero zero zero, except where commas group).
    let mut grouped = false;
    let mut group_sep = None;
    if int.len() <= 3 && !int.starts_with('0') {
        let two_comma_groups = chars.get(i + 4) == Some(&',') && group_at(chars, i + 5);
        let sep = chars.get(i).copied().filter(|&c| {
            c == '.' || c == GROUP || c == ',' && (lang.comma_groups() || two_comma_groups)
        });
        if let Some(sep) = sep.filter(|_| group_at(chars, i + 1)) {
            while chars.get(i) == Some(&sep) && group_at(chars, i + 1) {
                i = digits_at(chars, i + 1, &mut int);
            }
            grouped = true;
            group_sep = Some(sep);
        }
    }

    let mut words = Vec::new();
    let mut plain = false;
    match chars.get(i) {
        Some(&sep @ (',' | '.')) if is_digit_at(chars, i + 1) && group_sep != Some(sep) => {
            let mut frac = String::new();
            i = digits_at(chars, i + 1, &mut frac);
            push_integer(&int, grouped, lang, &mut words);
            words.push(
                if sep == ',' {
                    lang.comma()
                } else {
                    lang.point()
                }
                .into(),
            );
            push_fraction(&frac, lang, &mut words);
        }
        Some(':') if int.len() <= 2 && is_minutes(chars, i + 1) => {
            let minutes: String = chars[i + 1..i + 3].iter().collect();
            i += 3;
            push_integer(&int, false, lang, &mut words);
            if minutes != "00" {
                push_integer(&minutes, false, lang, &mut words);
            }
        }
        Some('-') if is_digit_at(chars, i + 1) => {
            // Digit groups joined by hyphens: a range of two numbers of the same length (`30-40`,
            // `1990-2000`) as two cardinals, anything else (phone numbers, codes) digit by digit.
            let mut groups = vec![int.clone()];
            while chars.get(i) == Some(&'-') && is_digit_at(chars, i + 1) {
                let mut group = String::new();
                i = digits_at(chars, i + 1, &mut group);
                groups.push(group);
            }
            let range = match groups.as_slice() {
                [from, to] if !grouped && from.len() == to.len() && from.len() <= 4 => {
                    matches!(
                        (cardinal_value(from, false), cardinal_value(to, false)),
                        (Some(a), Some(b)) if a < b
                    )
                }
                _ => false,
            };
            for group in &groups {
                if range {
                    push_integer(group, false, lang, &mut words);
                } else {
                    push_digits(group, lang, &mut words);
                }
            }
        }
        _ => {
            push_integer(&int, grouped, lang, &mut words);
            plain = true;
        }
    }
    if plain {
        let value = cardinal_value(&int, grouped);
        if let Some(next) = ordinal(chars, i, value, lang, &mut words) {
            out.extend(words);
            return next;
        }
        if let Some(next) = french_clock_time(chars, i, &int, lang, &mut words) {
            out.extend(words);
            return next;
        }
    }
    if chars.get(i) == Some(&'%') {
        if lang == Language::German && words == ["eins"] {
            words[0] = "ein".into();
        }
        words.extend(lang.percent().iter().map(|w| String::from(*w)));
        i += 1;
    }
    out.extend(words);
    i
}

/// Whether two digits start at `chars[i]`, and no third.
fn is_minutes(chars: &[char], i: usize) -> bool {
    is_digit_at(chars, i) && is_digit_at(chars, i + 1) && !is_digit_at(chars, i + 2)
}

/// An ordinal suffix at `chars[i]`, after an integer whose cardinal is in `words`: French `1er`, `1re`, `2e`,
/// `2ème`, `2nd`; Spanish `1º`, `1.ª`, `1er`, `3ro`, `2da`. Replaces `words` by the ordinal and returns the index
/// after the suffix. Spanish ordinal indicators after numbers above ten are dropped and the cardinal is kept
/// (`20º` is more often a temperature than `vigésimo`).
fn ordinal(
    chars: &[char],
    i: usize,
    value: Option<u64>,
    lang: Language,
    words: &mut Vec<String>,
) -> Option<usize> {
    let mut end = i;
    while chars
        .get(end)
        .is_some_and(|c| c.is_alphabetic() && !is_ordinal_indicator(*c))
    {
        end += 1;
    }
    let suffix: String = chars[i..end].iter().collect();
    match lang {
        Language::German => None,
        Language::French { .. } => {
            let value = value?;
            let (stem, plural) = match suffix.strip_suffix('s') {
                Some(stem) => (stem, true),
                None => (suffix.as_str(), false),
            };
            match stem {
                "er" if value == 1 => *words = vec!["premier".into()],
                "re" | "ère" if value == 1 => *words = vec!["première".into()],
                "nd" if value == 2 => *words = vec!["second".into()],
                "nde" if value == 2 => *words = vec!["seconde".into()],
                "e" | "è" | "ème" | "eme" => numbers::french_ordinal(words, false),
                _ => return None,
            }
            if plural {
                if let Some(last) = words.last_mut() {
                    last.push('s');
                }
            }
            Some(end)
        }
        Language::Spanish { .. } => {
            let indicator = match (chars.get(i), chars.get(i + 1)) {
                (Some('.'), Some(&c)) if is_ordinal_indicator(c) => Some((c, i + 2)),
                (Some(&c), _) if is_ordinal_indicator(c) => Some((c, i + 1)),
                _ => None,
            };
            if let Some((c, after)) = indicator {
                if let Some(o) = value.and_then(|v| numbers::spanish_ordinal(v, c == 'ª', false)) {
                    *words = vec![o];
                }
                return Some(after);
            }
            let value = value?;
            let masculine = numbers::spanish_ordinal(value, false, false)?;
            let feminine = numbers::spanish_ordinal(value, true, false)?;
            let short = numbers::spanish_ordinal(value, false, true)?;
            let ordinal = if suffix == "er" && short != masculine {
                short
            } else if suffix.chars().count() == 2 && masculine.ends_with(&suffix) {
                masculine
            } else if suffix.chars().count() == 2 && feminine.ends_with(&suffix) {
                feminine
            } else {
                return None;
            };
            *words = vec![ordinal];
            Some(end)
        }
    }
}

/// A French clock time written `10h`, `10h30` at `chars[i]` (the `h`), after the hour whose cardinal is in
/// `words`: `dix heures trente`. Returns the index after it.
fn french_clock_time(
    chars: &[char],
    i: usize,
    int: &str,
    lang: Language,
    words: &mut Vec<String>,
) -> Option<usize> {
    let hours = hour_value(int).filter(|_| lang.is_french() && chars.get(i) == Some(&'h'))?;
    let mut minutes = String::new();
    let end = digits_at(chars, i + 1, &mut minutes);
    let ends_word = !chars.get(end).is_some_and(|c| c.is_alphanumeric());
    if !(minutes.is_empty() || minutes.len() == 2) || !ends_word {
        return None;
    }
    push_french_hours_unit(hours, words);
    if let Ok(m) = minutes.parse::<u64>() {
        if m > 0 {
            words.extend(lang.cardinal(m));
        }
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use crate::text::{derive_forms_in, Profanity, TextForms};

    fn forms(s: &str, lang: &str) -> TextForms {
        derive_forms_in(s, lang, Profanity::Raw)
    }
    fn de(s: &str) -> String {
        forms(s, "de-DE").lexical
    }
    fn fr(s: &str) -> String {
        forms(s, "fr-FR").lexical
    }
    fn es(s: &str) -> String {
        forms(s, "es-ES").lexical
    }

    #[test]
    fn german_sentence() {
        let f = forms("Ich habe 21 Äpfel gekauft.", "de-DE");
        assert_eq!(f.lexical, "ich habe einundzwanzig äpfel gekauft");
        assert_eq!(f.itn, "ich habe 21 äpfel gekauft");
        assert_eq!(f.masked_itn, "ich habe 21 äpfel gekauft");
        assert_eq!(f.display, "Ich habe 21 Äpfel gekauft.");
        let f = forms("„Straße“ – ÜBER   alles!", "de");
        assert_eq!(f.lexical, "straße über alles");
        assert_eq!(f.display, "„Straße“ – ÜBER alles!");
    }

    #[test]
    fn german_numbers_in_text() {
        for (n, words) in [
            ("0", "null"),
            ("1", "eins"),
            ("7", "sieben"),
            ("10", "zehn"),
            ("11", "elf"),
            ("16", "sechzehn"),
            ("17", "siebzehn"),
            ("21", "einundzwanzig"),
            ("30", "dreißig"),
            ("71", "einundsiebzig"),
            ("80", "achtzig"),
            ("81", "einundachtzig"),
            ("91", "einundneunzig"),
            ("99", "neunundneunzig"),
            ("100", "einhundert"),
            ("101", "einhunderteins"),
            ("200", "zweihundert"),
            ("201", "zweihunderteins"),
            ("1000", "eintausend"),
            ("1.000", "eintausend"),
            ("1001", "eintausendeins"),
            ("1999", "eintausendneunhundertneunundneunzig"),
            ("2024", "zweitausendvierundzwanzig"),
            ("1000000", "eine million"),
            ("1.000.000", "eine million"),
            ("1\u{202F}000\u{202F}000", "eine million"),
            ("2.000.000", "zwei millionen"),
            ("2\u{A0}000\u{A0}000", "zwei millionen"),
            ("1.000.000.000", "eine milliarde"),
            ("1,000,000", "eine million"),
        ] {
            assert_eq!(de(n), words, "{n}");
        }
        // An ordinary space does not group digits in German.
        assert_eq!(de("2 000"), "zwei null null null");
        assert_eq!(forms("1.000 Euro", "de").itn, "1.000 euro");
    }

    #[test]
    fn german_decimals_percent_digits() {
        assert_eq!(de("3,5"), "drei komma fünf");
        assert_eq!(de("3,14"), "drei komma eins vier");
        assert_eq!(
            de("1.234,5"),
            "eintausendzweihundertvierunddreißig komma fünf"
        );
        assert_eq!(de("3.5"), "drei punkt fünf");
        assert_eq!(de("5 %"), "fünf prozent");
        assert_eq!(de("5%"), "fünf prozent");
        assert_eq!(de("1 %"), "ein prozent");
        assert_eq!(de("12,5\u{A0}%"), "zwölf komma fünf prozent");
        assert_eq!(forms("Um 5 % gestiegen.", "de").itn, "um 5% gestiegen");
        assert_eq!(de("007"), "null null sieben");
        assert_eq!(de("0"), "null");
        assert_eq!(
            de("1234567890"),
            "eins zwei drei vier fünf sechs sieben acht neun null"
        );
        assert_eq!(de("123456789"), "einhundertdreiundzwanzig millionen vierhundertsechsundfünfzigtausendsiebenhundertneunundachtzig");
        assert_eq!(de("030-1234"), "null drei null eins zwei drei vier");
        assert_eq!(de("30-40 Prozent"), "dreißig vierzig prozent");
        assert_eq!(de("1990-2000"), "eintausendneunhundertneunzig zweitausend");
        assert_eq!(de("555-1234"), "fünf fünf fünf eins zwei drei vier");
        assert_eq!(de("40-30"), "vier null drei null");
        assert_eq!(de("1 Million, 2 Mio."), "eine million zwei millionen");
        assert_eq!(de("10:30"), "zehn dreißig");
        assert_eq!(de("9:05"), "neun null fünf");
        assert_eq!(de("9:00 Uhr"), "neun uhr");
        assert_eq!(de("um 10.30 Uhr"), "um zehn uhr dreißig");
        assert_eq!(de("um 10:05 Uhr"), "um zehn uhr fünf");
        assert_eq!(de("um 1 Uhr"), "um ein uhr");
        assert_eq!(de("um 21.00 Uhr"), "um einundzwanzig uhr");
        assert_eq!(forms("um 10.30 Uhr", "de").itn, "um 10.30 uhr");
        assert_eq!(de("10.30 Euro"), "zehn punkt drei null euro");
        assert_eq!(de("mp3"), "mp drei");
        assert_eq!(de("m²"), "m");
    }

    #[test]
    fn german_words() {
        assert_eq!(de("E-Mail"), "e mail");
        assert_eq!(de("Dr. Müller, Nr. 5"), "doktor müller nummer fünf");
        assert_eq!(de("Geht’s?"), "geht's");
        assert_eq!(de("'zitiert'"), "zitiert");
        assert_eq!(forms("GROẞ", "de").lexical, "groß");
    }

    #[test]
    fn french_sentence() {
        let f = forms("L’homme a 21 ans aujourd'hui, n'est-ce pas ?", "fr-FR");
        assert_eq!(
            f.lexical,
            "l'homme a vingt et un ans aujourd'hui n'est ce pas"
        );
        assert_eq!(f.itn, "l'homme a 21 ans aujourd'hui n'est ce pas");
        assert_eq!(f.display, "L’homme a 21 ans aujourd'hui, n'est-ce pas ?");
        assert_eq!(fr("« Bonjour ! » dit-il…"), "bonjour dit il");
        assert_eq!(fr("Peut-être"), "peut être");
    }

    #[test]
    fn french_numbers_in_text() {
        for (n, words) in [
            ("0", "zéro"),
            ("1", "un"),
            ("7", "sept"),
            ("10", "dix"),
            ("11", "onze"),
            ("16", "seize"),
            ("17", "dix-sept"),
            ("21", "vingt et un"),
            ("30", "trente"),
            ("71", "soixante et onze"),
            ("80", "quatre-vingts"),
            ("81", "quatre-vingt-un"),
            ("91", "quatre-vingt-onze"),
            ("99", "quatre-vingt-dix-neuf"),
            ("100", "cent"),
            ("101", "cent un"),
            ("200", "deux cents"),
            ("201", "deux cent un"),
            ("1000", "mille"),
            ("1 000", "mille"),
            ("1\u{202F}000", "mille"),
            ("1\u{A0}000", "mille"),
            ("1.000", "mille"),
            ("1001", "mille un"),
            ("1999", "mille neuf cent quatre-vingt-dix-neuf"),
            ("2024", "deux mille vingt-quatre"),
            ("1 000 000", "un million"),
            ("2 000 000", "deux millions"),
            ("2\u{202F}000\u{202F}000", "deux millions"),
            ("3 000 €", "trois mille"),
        ] {
            assert_eq!(fr(n), words, "{n}");
        }
        let f = forms("J'ai 3 000 euros et 1 234,5 litres.", "fr");
        assert_eq!(f.itn, "j'ai 3000 euros et 1234,5 litres");
        assert_eq!(
            f.lexical,
            "j'ai trois mille euros et mille deux cent trente-quatre virgule cinq litres"
        );
        // Telephone numbers in pairs, and a group of two digits is not a thousands group.
        assert_eq!(
            fr("01 23 45 67 89"),
            "zéro un vingt-trois quarante-cinq soixante-sept quatre-vingt-neuf"
        );
        assert_eq!(fr("entre 10 et 20"), "entre dix et vingt");
        assert_eq!(forms("septante", "fr-BE").lexical, "septante");
        assert_eq!(forms("71", "fr-BE").lexical, "septante et un");
        assert_eq!(forms("91", "fr-ch").lexical, "nonante et un");
        assert_eq!(forms("91", "fr-CA").lexical, "quatre-vingt-onze");
    }

    #[test]
    fn french_decimals_percent_ordinals_times() {
        assert_eq!(fr("3,5"), "trois virgule cinq");
        assert_eq!(fr("3,14"), "trois virgule quatorze");
        assert_eq!(fr("3,05"), "trois virgule zéro cinq");
        assert_eq!(fr("5 %"), "cinq pour cent");
        assert_eq!(fr("5%"), "cinq pour cent");
        assert_eq!(fr("5\u{202F}%"), "cinq pour cent");
        assert_eq!(forms("Une hausse de 5 %.", "fr").itn, "une hausse de 5%");
        assert_eq!(fr("007"), "zéro zéro sept");
        assert_eq!(fr("le 1er mai"), "le premier mai");
        assert_eq!(fr("la 1re fois"), "la première fois");
        assert_eq!(fr("le 2e"), "le deuxième");
        assert_eq!(fr("le 21ème siècle"), "le vingt et unième siècle");
        assert_eq!(fr("la 2nde"), "la seconde");
        assert_eq!(fr("10h30"), "dix heures trente");
        assert_eq!(fr("à 1h"), "à une heure");
        assert_eq!(fr("à 21 h 05"), "à vingt et une heures cinq");
        assert_eq!(fr("Mme Dupont"), "madame dupont");
    }

    #[test]
    fn french_hyphens_in_spelled_numbers_stay() {
        let f = forms("Quatre-vingt-dix-neuf moutons, dix-sept chèvres.", "fr");
        assert_eq!(f.lexical, "quatre-vingt-dix-neuf moutons dix-sept chèvres");
        assert_eq!(f.itn, "quatre-vingt-dix-neuf moutons dix-sept chèvres");
        assert_eq!(fr("vingt-et-un"), "vingt-et-un");
        assert_eq!(fr("le vingt-deuxième"), "le vingt-deuxième");
        assert_eq!(fr("est-ce"), "est ce");
        assert_eq!(fr("et-un"), "et un");
    }

    #[test]
    fn spanish_sentence() {
        let f = forms("¿Tienes 16 años? ¡Qué bien!", "es-MX");
        assert_eq!(f.lexical, "tienes dieciséis años qué bien");
        assert_eq!(f.itn, "tienes 16 años qué bien");
        assert_eq!(f.display, "¿Tienes 16 años? ¡Qué bien!");
    }

    #[test]
    fn spanish_numbers_in_text() {
        for (n, words) in [
            ("0", "cero"),
            ("1", "uno"),
            ("7", "siete"),
            ("10", "diez"),
            ("11", "once"),
            ("16", "dieciséis"),
            ("17", "diecisiete"),
            ("21", "veintiuno"),
            ("30", "treinta"),
            ("71", "setenta y uno"),
            ("80", "ochenta"),
            ("81", "ochenta y uno"),
            ("91", "noventa y uno"),
            ("99", "noventa y nueve"),
            ("100", "cien"),
            ("101", "ciento uno"),
            ("200", "doscientos"),
            ("201", "doscientos uno"),
            ("500", "quinientos"),
            ("1000", "mil"),
            ("1.000", "mil"),
            ("1001", "mil uno"),
            ("1999", "mil novecientos noventa y nueve"),
            ("2024", "dos mil veinticuatro"),
            ("1.000.000", "un millón"),
            ("2000000", "dos millones"),
            ("2.000.000", "dos millones"),
            ("2\u{202F}000\u{202F}000", "dos millones"),
        ] {
            assert_eq!(es(n), words, "{n}");
        }
        assert_eq!(es("3,5"), "tres coma cinco");
        assert_eq!(es("3,25"), "tres coma veinticinco");
        assert_eq!(es("3.5"), "tres punto cinco");
        assert_eq!(es("5 %"), "cinco por ciento");
        assert_eq!(es("5%"), "cinco por ciento");
        assert_eq!(es("007"), "cero cero siete");
        assert_eq!(es("31 mil"), "treinta y un mil");
        assert_eq!(es("21 millones"), "veintiún millones");
        assert_eq!(es("1 millón"), "un millón");
        assert_eq!(es("1 casa"), "uno casa");
        // Spain groups with points only; the Americas that write `1,500.50` group with commas too.
        assert_eq!(es("1,500"), "uno coma quinientos");
        let mx = |s: &str| forms(s, "es-MX").lexical;
        assert_eq!(mx("$1,500.50"), "mil quinientos punto cincuenta");
        assert_eq!(mx("1,500"), "mil quinientos");
        assert_eq!(mx("1.500"), "mil quinientos");
        assert_eq!(mx("3,5"), "tres coma cinco");
        assert_eq!(mx("2.000.000"), "dos millones");
        assert_eq!(
            es("12345678901"),
            "uno dos tres cuatro cinco seis siete ocho nueve cero uno"
        );
    }

    #[test]
    fn spanish_ordinals_and_abbreviations() {
        assert_eq!(es("el 1º de mayo"), "el primero de mayo");
        assert_eq!(es("la 2.ª vez"), "la segunda vez");
        assert_eq!(es("el 1er piso"), "el primer piso");
        assert_eq!(es("el 3er día"), "el tercer día");
        assert_eq!(es("5to grado"), "quinto grado");
        assert_eq!(es("la 1ra vez"), "la primera vez");
        assert_eq!(es("hace 20º"), "hace veinte");
        assert_eq!(es("5km"), "cinco km");
        assert_eq!(es("Sr. García"), "señor garcía");
        assert_eq!(forms("el 1.º", "es").itn, "el 1.º");
    }

    #[test]
    fn profanity_applies_in_every_language() {
        let f = derive_forms_in("Das ist shit, 5 %.", "de-DE", Profanity::Masked);
        assert_eq!(f.display, "Das ist ****, 5 %.");
        assert_eq!(f.masked_itn, "das ist **** 5%");
        assert_eq!(f.itn, "das ist shit 5%");
        assert_eq!(f.lexical, "das ist shit fünf prozent");
        let f = derive_forms_in("c'est damn", "fr-FR", Profanity::Removed);
        assert_eq!(f.display, "C'est");
        assert_eq!(f.masked_itn, "c'est");
    }
}
