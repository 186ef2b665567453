//! Cardinal numbers and ordinals spelled out in German, French and Spanish, as lower-case lexical words.
//!
//! Every function takes values below 10^12 (a caller spells longer numbers digit by digit) and returns whole
//! words, none empty and none containing a space:
//! - German writes a number below a million as one word (`eintausendneunhundertneunundneunzig`, with `ein` for
//!   a leading one: `einhundert`, `eintausend`); `Million` and `Milliarde` are nouns and separate words
//!   (`eine million`, `zwei millionen`).
//! - French uses the traditional spelling: a hyphen between tens and units below a hundred, except where `et`
//!   joins them (`vingt-deux`, `quatre-vingt-un`, but `vingt et un`, `soixante et onze`); `cent`, `mille`,
//!   `million` and `milliard` are separate words (`deux cent un`). `vingt` and `cent` take an `s` when multiplied
//!   and last (`quatre-vingts`, `deux cents`, but `quatre-vingt-un`, `deux cent mille`); `mille` never does.
//!   With `septante` (Belgium and Switzerland), 70 and 90 are `septante` and `nonante`; 80 stays `quatre-vingts`.
//! - Spanish: `veintiuno`, `dieciséis`, `cien` but `ciento uno`, `quinientos`; `uno` shortens to `un` before
//!   `mil` and `millón` (`veintiún mil`, `un millón`); 10^9 is `mil millones` (long scale).

/// German numbers below twenty, as said alone (`eins`).
const DE_ONES: [&str; 20] = [
    "null",
    "eins",
    "zwei",
    "drei",
    "vier",
    "fünf",
    "sechs",
    "sieben",
    "acht",
    "neun",
    "zehn",
    "elf",
    "zwölf",
    "dreizehn",
    "vierzehn",
    "fünfzehn",
    "sechzehn",
    "siebzehn",
    "achtzehn",
    "neunzehn",
];
const DE_TENS: [&str; 10] = [
    "", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig",
];

/// French numbers below seventeen.
const FR_ONES: [&str; 17] = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
    "douze", "treize", "quatorze", "quinze", "seize",
];

/// Spanish numbers below thirty (each one word).
const ES_ONES: [&str; 30] = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
];
const ES_TENS: [&str; 10] = [
    "",
    "",
    "veinte",
    "treinta",
    "cuarenta",
    "cincuenta",
    "sesenta",
    "setenta",
    "ochenta",
    "noventa",
];
const ES_HUNDREDS: [&str; 10] = [
    "",
    "ciento",
    "doscientos",
    "trescientos",
    "cuatrocientos",
    "quinientos",
    "seiscientos",
    "setecientos",
    "ochocientos",
    "novecientos",
];

const THOUSAND: u64 = 1_000;
const MILLION: u64 = 1_000_000;
const BILLION: u64 = 1_000_000_000;

/// The German word for one digit (`null`, `eins`, …).
pub(super) fn german_digit(d: u32) -> &'static str {
    DE_ONES.get(d as usize).copied().unwrap_or("")
}

/// The French word for one digit (`zéro`, `un`, …).
pub(super) fn french_digit(d: u32) -> &'static str {
    FR_ONES.get(d as usize).copied().unwrap_or("")
}

/// The Spanish word for one digit (`cero`, `uno`, …).
pub(super) fn spanish_digit(d: u32) -> &'static str {
    ES_ONES.get(d as usize).copied().unwrap_or("")
}

/// `n` (below 10^12) in German words: `einundzwanzig`, `eine million zweihunderttausend`.
pub(super) fn german(n: u64) -> Vec<String> {
    if n == 0 {
        return vec!["null".into()];
    }
    let mut words = Vec::new();
    for (scale, one, many) in [
        (BILLION, "milliarde", "milliarden"),
        (MILLION, "million", "millionen"),
    ] {
        let count = n / scale % THOUSAND;
        if count == 1 {
            words.push("eine".into());
            words.push(one.into());
        } else if count > 1 {
            words.push(german_below_thousand(count, false));
            words.push(many.into());
        }
    }
    let rest = n % MILLION;
    if rest > 0 {
        let mut word = String::new();
        let thousands = rest / THOUSAND;
        if thousands > 0 {
            word.push_str(&german_below_thousand(thousands, false));
            word.push_str("tausend");
        }
        if rest % THOUSAND > 0 {
            word.push_str(&german_below_thousand(rest % THOUSAND, true));
        }
        words.push(word);
    }
    words
}

/// `n` in 1..=999 as one German word. A final one is `eins` when `alone` (`einhunderteins`) and `ein` before
/// a scale word (`einhunderteintausend`).
fn german_below_thousand(n: u64, alone: bool) -> String {
    let unit = |d: u64| if d == 1 { "ein" } else { DE_ONES[d as usize] };
    let mut word = String::new();
    let hundreds = n / 100 % 10;
    let rest = n % 100;
    if hundreds > 0 {
        word.push_str(unit(hundreds));
        word.push_str("hundert");
    }
    if rest == 1 {
        word.push_str(if alone { "eins" } else { "ein" });
    } else if rest < 20 {
        if rest > 0 {
            word.push_str(DE_ONES[rest as usize]);
        }
    } else {
        if rest % 10 > 0 {
            word.push_str(unit(rest % 10));
            word.push_str("und");
        }
        word.push_str(DE_TENS[(rest / 10) as usize]);
    }
    word
}

/// `n` (below 10^12) in French words: `vingt et un`, `quatre-vingts`, `deux cent mille`. `septante` selects the
/// Belgian and Swiss `septante` and `nonante`.
pub(super) fn french(n: u64, septante: bool) -> Vec<String> {
    if n == 0 {
        return vec!["zéro".into()];
    }
    let mut words = Vec::new();
    for (scale, one, many) in [
        (BILLION, "milliard", "milliards"),
        (MILLION, "million", "millions"),
    ] {
        let count = n / scale % THOUSAND;
        if count > 0 {
            // `vingt` and `cent` keep their plural before a noun: `quatre-vingts millions`.
            french_below_thousand(count, true, septante, &mut words);
            words.push(if count == 1 { one } else { many }.into());
        }
    }
    let thousands = n / THOUSAND % THOUSAND;
    if thousands > 0 {
        if thousands > 1 {
            french_below_thousand(thousands, false, septante, &mut words);
        }
        words.push("mille".into());
    }
    let rest = n % THOUSAND;
    if rest > 0 {
        french_below_thousand(rest, true, septante, &mut words);
    }
    words
}

/// `n` in 1..=999 in French words. `plural`: `cent` and `vingt` are last (or followed by a noun) and take their
/// plural `s` when multiplied.
fn french_below_thousand(n: u64, plural: bool, septante: bool, out: &mut Vec<String>) {
    let hundreds = n / 100 % 10;
    let rest = n % 100;
    if hundreds > 1 {
        out.push(FR_ONES[hundreds as usize].into());
    }
    if hundreds > 0 {
        out.push(
            if hundreds > 1 && rest == 0 && plural {
                "cents"
            } else {
                "cent"
            }
            .into(),
        );
    }
    if rest > 0 {
        let below = french_below_hundred(rest, plural, septante);
        out.extend(below.split(' ').map(String::from));
    }
}

/// `n` in 1..=99 in French; several words are separated by spaces (`vingt et un`).
fn french_below_hundred(n: u64, plural: bool, septante: bool) -> String {
    if n < 17 {
        return FR_ONES[n as usize].into();
    }
    if n < 20 {
        return format!("dix-{}", FR_ONES[(n - 10) as usize]);
    }
    let (tens, units) = (n / 10, n % 10);
    let simple = |base: &str| match units {
        0 => base.to_owned(),
        1 => format!("{base} et un"),
        u => format!("{base}-{}", FR_ONES[u as usize]),
    };
    match tens {
        2 => simple("vingt"),
        3 => simple("trente"),
        4 => simple("quarante"),
        5 => simple("cinquante"),
        6 => simple("soixante"),
        7 if septante => simple("septante"),
        9 if septante => simple("nonante"),
        7 if units == 1 => "soixante et onze".into(),
        7 => format!(
            "soixante-{}",
            french_below_hundred(10 + units, plural, septante)
        ),
        8 if units == 0 => if plural {
            "quatre-vingts"
        } else {
            "quatre-vingt"
        }
        .into(),
        8 => format!("quatre-vingt-{}", FR_ONES[units as usize]),
        _ => format!(
            "quatre-vingt-{}",
            french_below_hundred(10 + units, plural, septante)
        ),
    }
}

/// The French ordinal of a cardinal's words (`vingt et un` → `vingt et unième`, `cinq` → `cinquième`); the
/// cardinal 1 is `premier`, or `première` when `feminine`.
pub(super) fn french_ordinal(cardinal: &mut [String], feminine: bool) {
    if let [only] = cardinal {
        if only == "un" {
            *only = if feminine { "première" } else { "premier" }.into();
            return;
        }
    }
    let Some(last) = cardinal.last_mut() else {
        return;
    };
    let (head, tail) = match last.rsplit_once('-') {
        Some((head, tail)) => (format!("{head}-"), tail.to_owned()),
        None => (String::new(), last.clone()),
    };
    let stem = match tail.as_str() {
        "cinq" => "cinqu".to_owned(),
        "neuf" => "neuv".to_owned(),
        t => {
            let t = t.strip_suffix('s').unwrap_or(t);
            t.strip_suffix('e').unwrap_or(t).to_owned()
        }
    };
    *last = format!("{head}{stem}ième");
}

/// `n` (below 10^12) in Spanish words: `veintiuno`, `ciento uno`, `dos millones`.
pub(super) fn spanish(n: u64) -> Vec<String> {
    if n == 0 {
        return vec!["cero".into()];
    }
    let mut words = Vec::new();
    let millions = n / MILLION;
    if millions > 0 {
        spanish_below_million(millions, true, &mut words);
        words.push(if millions == 1 { "millón" } else { "millones" }.into());
    }
    spanish_below_million(n % MILLION, false, &mut words);
    words
}

/// `n` below a million in Spanish words (nothing for 0). `apocope`: a final `uno` becomes `un` (before a noun).
fn spanish_below_million(n: u64, apocope: bool, out: &mut Vec<String>) {
    let thousands = n / THOUSAND;
    if thousands > 1 {
        spanish_below_thousand(thousands, true, out);
    }
    if thousands > 0 {
        out.push("mil".into());
    }
    if n % THOUSAND > 0 {
        spanish_below_thousand(n % THOUSAND, apocope, out);
    }
}

/// `n` in 1..=999 in Spanish words.
fn spanish_below_thousand(n: u64, apocope: bool, out: &mut Vec<String>) {
    if n == 100 {
        out.push("cien".into());
        return;
    }
    let hundreds = (n / 100 % 10) as usize;
    let rest = (n % 100) as usize;
    if hundreds > 0 {
        out.push(ES_HUNDREDS[hundreds].into());
    }
    if rest >= 30 {
        out.push(ES_TENS[rest / 10].into());
        if rest % 10 > 0 {
            out.push("y".into());
            out.push(ES_ONES[rest % 10].into());
        }
    } else if rest > 0 {
        out.push(ES_ONES[rest].into());
    }
    if apocope {
        if let Some(last) = out.last_mut() {
            match last.as_str() {
                "uno" => *last = "un".into(),
                "veintiuno" => *last = "veintiún".into(),
                _ => {}
            }
        }
    }
}

/// The Spanish ordinal of `n` in 1..=10 (`primero`, `segunda`, `décimo`), or `None`. `apocope` gives the
/// shortened `primer` and `tercer` (written `1er`, `3er`).
pub(super) fn spanish_ordinal(n: u64, feminine: bool, apocope: bool) -> Option<String> {
    const ORDINALS: [&str; 10] = [
        "primero", "segundo", "tercero", "cuarto", "quinto", "sexto", "séptimo", "octavo",
        "noveno", "décimo",
    ];
    let masculine = *ORDINALS.get(usize::try_from(n).ok()?.checked_sub(1)?)?;
    let stem = masculine.strip_suffix('o').unwrap_or(masculine);
    Some(if feminine {
        format!("{stem}a")
    } else if apocope && (n == 1 || n == 3) {
        stem.to_owned()
    } else {
        masculine.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de(n: u64) -> String {
        german(n).join(" ")
    }
    fn fr(n: u64) -> String {
        french(n, false).join(" ")
    }
    fn es(n: u64) -> String {
        spanish(n).join(" ")
    }

    #[test]
    fn german_cardinals() {
        for (n, words) in [
            (0, "null"),
            (1, "eins"),
            (7, "sieben"),
            (10, "zehn"),
            (11, "elf"),
            (16, "sechzehn"),
            (17, "siebzehn"),
            (21, "einundzwanzig"),
            (30, "dreißig"),
            (71, "einundsiebzig"),
            (80, "achtzig"),
            (81, "einundachtzig"),
            (91, "einundneunzig"),
            (99, "neunundneunzig"),
            (100, "einhundert"),
            (101, "einhunderteins"),
            (200, "zweihundert"),
            (201, "zweihunderteins"),
            (1000, "eintausend"),
            (1001, "eintausendeins"),
            (1999, "eintausendneunhundertneunundneunzig"),
            (2024, "zweitausendvierundzwanzig"),
            (21_000, "einundzwanzigtausend"),
            (101_000, "einhunderteintausend"),
            (1_000_000, "eine million"),
            (2_000_000, "zwei millionen"),
            (
                1_234_567,
                "eine million zweihundertvierunddreißigtausendfünfhundertsiebenundsechzig",
            ),
            (
                999_999_999,
                "neunhundertneunundneunzig millionen neunhundertneunundneunzigtausendneunhundertneunundneunzig",
            ),
            (1_000_000_000, "eine milliarde"),
            (2_000_001_000, "zwei milliarden eintausend"),
        ] {
            assert_eq!(de(n), words, "{n}");
        }
    }

    #[test]
    fn french_cardinals() {
        for (n, words) in [
            (0, "zéro"),
            (1, "un"),
            (7, "sept"),
            (10, "dix"),
            (11, "onze"),
            (16, "seize"),
            (17, "dix-sept"),
            (21, "vingt et un"),
            (30, "trente"),
            (71, "soixante et onze"),
            (72, "soixante-douze"),
            (77, "soixante-dix-sept"),
            (80, "quatre-vingts"),
            (81, "quatre-vingt-un"),
            (90, "quatre-vingt-dix"),
            (91, "quatre-vingt-onze"),
            (99, "quatre-vingt-dix-neuf"),
            (100, "cent"),
            (101, "cent un"),
            (180, "cent quatre-vingts"),
            (200, "deux cents"),
            (201, "deux cent un"),
            (1000, "mille"),
            (1001, "mille un"),
            (1999, "mille neuf cent quatre-vingt-dix-neuf"),
            (2024, "deux mille vingt-quatre"),
            (21_000, "vingt et un mille"),
            (80_000, "quatre-vingt mille"),
            (200_000, "deux cent mille"),
            (1_000_000, "un million"),
            (2_000_000, "deux millions"),
            (80_000_000, "quatre-vingts millions"),
            (200_000_000, "deux cents millions"),
            (1_000_000_000, "un milliard"),
        ] {
            assert_eq!(fr(n), words, "{n}");
        }
        let be = |n| french(n, true).join(" ");
        assert_eq!(be(70), "septante");
        assert_eq!(be(71), "septante et un");
        assert_eq!(be(75), "septante-cinq");
        assert_eq!(be(80), "quatre-vingts");
        assert_eq!(be(91), "nonante et un");
        assert_eq!(be(99), "nonante-neuf");
    }

    #[test]
    fn french_ordinals() {
        let ord = |n, feminine| {
            let mut words = french(n, false);
            french_ordinal(&mut words, feminine);
            words.join(" ")
        };
        assert_eq!(ord(1, false), "premier");
        assert_eq!(ord(1, true), "première");
        assert_eq!(ord(2, false), "deuxième");
        assert_eq!(ord(4, false), "quatrième");
        assert_eq!(ord(5, false), "cinquième");
        assert_eq!(ord(9, false), "neuvième");
        assert_eq!(ord(21, false), "vingt et unième");
        assert_eq!(ord(80, false), "quatre-vingtième");
        assert_eq!(ord(99, false), "quatre-vingt-dix-neuvième");
        assert_eq!(ord(200, false), "deux centième");
        assert_eq!(ord(1000, false), "millième");
        assert_eq!(ord(2_000_000, false), "deux millionième");
    }

    #[test]
    fn spanish_cardinals() {
        for (n, words) in [
            (0, "cero"),
            (1, "uno"),
            (7, "siete"),
            (10, "diez"),
            (11, "once"),
            (16, "dieciséis"),
            (17, "diecisiete"),
            (21, "veintiuno"),
            (22, "veintidós"),
            (30, "treinta"),
            (71, "setenta y uno"),
            (80, "ochenta"),
            (81, "ochenta y uno"),
            (91, "noventa y uno"),
            (99, "noventa y nueve"),
            (100, "cien"),
            (101, "ciento uno"),
            (200, "doscientos"),
            (201, "doscientos uno"),
            (500, "quinientos"),
            (1000, "mil"),
            (1001, "mil uno"),
            (1999, "mil novecientos noventa y nueve"),
            (2024, "dos mil veinticuatro"),
            (21_000, "veintiún mil"),
            (100_000, "cien mil"),
            (201_000, "doscientos un mil"),
            (1_000_000, "un millón"),
            (2_000_000, "dos millones"),
            (21_000_000, "veintiún millones"),
            (1_000_001, "un millón uno"),
            (1_000_000_000, "mil millones"),
            (2_500_000_000, "dos mil quinientos millones"),
        ] {
            assert_eq!(es(n), words, "{n}");
        }
    }

    #[test]
    fn spanish_ordinals() {
        assert_eq!(spanish_ordinal(1, false, false).as_deref(), Some("primero"));
        assert_eq!(spanish_ordinal(1, false, true).as_deref(), Some("primer"));
        assert_eq!(spanish_ordinal(3, false, true).as_deref(), Some("tercer"));
        assert_eq!(spanish_ordinal(2, true, false).as_deref(), Some("segunda"));
        assert_eq!(spanish_ordinal(7, false, false).as_deref(), Some("séptimo"));
        assert_eq!(spanish_ordinal(10, true, false).as_deref(), Some("décima"));
        assert_eq!(spanish_ordinal(0, false, false), None);
        assert_eq!(spanish_ordinal(11, false, false), None);
    }

    #[test]
    fn words_are_single_and_non_empty() {
        for n in (0..2_000u64).chain([999_999_999_999, 100_100_100_100, 1_001_001_001]) {
            for words in [german(n), french(n, false), french(n, true), spanish(n)] {
                assert!(!words.is_empty(), "{n}");
                for w in &words {
                    assert!(!w.is_empty() && !w.contains(' '), "{n}: {words:?}");
                }
            }
        }
    }
}
