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
//! [`derive_forms_in`] takes the request's language (its BCP-47 locale, matched on the primary subtag,
//! case-insensitively: `de-DE`, `de_AT` and `DE` are all German); [`derive_forms`] is the English rules. What
//! each language gets:
//!
//! | language | `Lexical` | `ITN` |
//! |---|---|---|
//! | English (`en`) | numbers, ordinals, percentages, dollars, clock times and `Mr.`/`Mrs.`/`Dr.`/`vs.` spelled out | numbers as written |
//! | German (`de`), French (`fr`), Spanish (`es`) | cardinals, decimals, percentages, a few abbreviations, French and Spanish ordinals and clock times (`10.30 Uhr`, `10 h 30`) spelled out | numbers as written (grouping spaces removed, `5 %` → `5%`) |
//! | Chinese, Cantonese, Wu (`zh`, `yue`, `wuu`), Japanese (`ja`), Thai (`th`), Lao (`lo`), Khmer (`km`), Burmese (`my`), Tibetan (`bo`) | the text as it is, punctuation removed, numbers as digits | the same |
//! | every other language | the words lower-cased, punctuation removed, numbers as digits (Turkish and Azerbaijani lower-case `I` to `ı`) | the same |
//!
//! `Display` and `MaskedITN` are built the same way in every language. The profanity list is English only: an
//! English swear word is masked in any language, and no other language's swear words are.
//!
//! # Words and punctuation
//!
//! Punctuation means sentence punctuation: apostrophes inside words (`don't`, French `l'homme`, `aujourd'hui`)
//! stay, written `'`, and so do the characters that hold a number together (`3.5`, `1,000`, `10:30`,
//! `555-1234`, `5%`, and in English `$5`). Other punctuation and symbols separate words: `well-known` →
//! `well known`, `peut-être` → `peut être` (but French numbers written with hyphens, `quatre-vingt-dix`, stay one
//! word). Lower case is Unicode-aware (`Äpfel` → `äpfel`, `GROẞ` → `groß`, `ΟΔΟΣ` → `οδος` with a final sigma).
//! Beyond ASCII, punctuation is recognised by Unicode block (`« » ¿ ¡ „ “ … 。 、 ， ！ ？ 「 」 ، ؟ ।` and many
//! more); combining marks such as the Devanagari virama or Thai tone marks stay inside their words.
//!
//! In Chinese, Japanese, Thai and the other scripts written without spaces, the text is kept as it is (no case
//! change): punctuation is removed and the words on either side of it run together (`東京、大阪` → `東京大阪`)
//! unless neither side is of such a script (`iPhone,iPad` → `iPhone iPad`). The service segments such text into
//! words with spaces between them in `Lexical`; that needs a dictionary and is not done here.
//!
//! # English numbers in `Lexical`
//!
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
//! # German, French and Spanish numbers in `Lexical`
//!
//! - integers as cardinals up to 999 999 999 999:
//!   - German writes a number below a million as one word: `21` → `einundzwanzig`, `100` → `einhundert`,
//!     `1999` → `eintausendneunhundertneunundneunzig`; `Million` and `Milliarde` are separate words
//!     (`eine million`, `zwei millionen`);
//!   - French uses the traditional spelling: hyphens between tens and units below a hundred except where `et`
//!     joins them, spaces everywhere else: `21` → `vingt et un`, `71` → `soixante et onze`, `80` →
//!     `quatre-vingts`, `81` → `quatre-vingt-un`, `200` → `deux cents`, `201` → `deux cent un`, `1000` →
//!     `mille`. Belgian and Swiss French (`fr-BE`, `fr-CH`) say `septante` and `nonante` (`71` →
//!     `septante et un`); 80 stays `quatre-vingts` there (Swiss `huitante` is regional);
//!   - Spanish: `21` → `veintiuno`, `16` → `dieciséis`, `100` → `cien`, `101` → `ciento uno`, `500` →
//!     `quinientos`, `21000` → `veintiún mil`, `2000000` → `dos millones`, 10^9 → `mil millones`;
//! - digit by digit: a leading zero (`007` → `null null sieben`), more than nine digits without thousands
//!   separators, and digit groups joined by hyphens (`030-1234`, `555-1234`) unless they are a range of two
//!   numbers of the same length, read as two cardinals (`30-40` → `dreißig vierzig`, `1990-2000`; the spoken
//!   `bis` / `à` / `a` is not supplied);
//! - thousands separators: `.` (`1.000`), and a no-break, narrow no-break (U+202F) or thin space; in French an
//!   ordinary space too (`1 000`). A separator groups exactly three digits after one to three leading ones, so
//!   French telephone numbers in pairs (`01 23 45`) stay separate numbers. English-style `1,000,000` is
//!   recognised when it has at least two comma groups. Spanish of the regions that write `1,500.50` (`es-MX`,
//!   `es-US`, `es-GT`, `es-HN`, `es-SV`, `es-NI`, `es-PA`, `es-DO`, `es-PR`) also groups with a comma before
//!   exactly three digits (`1,500` → `mil quinientos`, and `1.500` too). In `ITN` the grouping spaces are
//!   removed (`3 000` → `3000`, since `ITN` words are separated by spaces); `1.000` stays as written;
//! - decimals with a comma: `3,5` → `drei komma fünf` / `trois virgule cinq` / `tres coma cinco`; a point that
//!   is not a thousands separator is a decimal point (`3.5` → `drei punkt fünf` / `trois point cinq` /
//!   `tres punto cinco`, as written in Mexico). German reads the decimals digit by digit (`3,14` →
//!   `drei komma eins vier`); French and Spanish read leading zeros one by one and then up to three digits as a
//!   number (`3,14` → `trois virgule quatorze`, `3,05` → `tres coma cero cinco`);
//! - percentages, with or without a space before the sign: `5 %` → `fünf prozent` (`1 %` → `ein prozent`) /
//!   `cinq pour cent` / `cinco por ciento`; `ITN` writes `5%`;
//! - ordinals: French `1er` → `premier`, `1re` → `première`, `2e`/`2ème` → `deuxième`, `21e` →
//!   `vingt et unième`, `2nd` → `second`; Spanish `1º`/`1.º` → `primero`, `2ª` → `segunda`, `1er` → `primer`,
//!   `3ro` → `tercero`, `5ta` → `quinta`, 1 to 10 only (`20º` is more often a temperature: `veinte`). German
//!   ordinals (`3.`) cannot be told from a number ending a sentence and are read as cardinals;
//! - clock times: German `10:30 Uhr` and `10.30 Uhr` → `zehn uhr dreißig`, `1 Uhr` → `ein uhr`; French `10h30`
//!   and `10 h 30` → `dix heures trente`, `1 h` → `une heure`; otherwise hours and minutes as numbers: `10:30` →
//!   `zehn dreißig` / `dix trente` / `diez treinta`, `9:05` → `neun null fünf`, `9:00` → `neun`;
//! - a number before a scale noun agrees with it: `1 Million` → `eine million`, `31 mil` →
//!   `treinta y un mil`, `21 millones` → `veintiún millones`;
//! - a few abbreviations: German `Dr.`, `Prof.`, `Nr.`, `Str.`, `bzw.`, `usw.`, `evtl.`, `ggf.`, `ca.`, `Mio.`,
//!   `Mrd.`; French `Mme`, `Mlle`, `Dr`, `Pr`, `St`, `Ste`, `Cie`, `etc.`; Spanish `Sr.`, `Sra.`, `Srta.`, `Dr.`,
//!   `Dra.`, `Ud.`, `Uds.`, `etc.`, `nº`.
//!
//! # Where this only approximates the service
//!
//! - Numbers are bare cardinals whatever noun follows (scale nouns aside): German `1 Katze` → `eins katze`
//!   (the service says `eine`), Spanish `1 casa` → `uno casa`. `1999` is `eintausendneunhundertneunundneunzig`
//!   even as a year (`neunzehnhundert…`). German postal codes and phone numbers without a leading zero are
//!   read as cardinals.
//! - Currency signs other than English `$` (`€`, `£`, `$` in Spanish) and units (`km`, `m²`) are not spoken:
//!   `€` is punctuation, `km` stays `km`; dotted abbreviations of several letters (`z.B.`, `M.`) are read
//!   letter by letter.
//! - Numbers written as words are not turned into digits in `ITN` (`einundzwanzig` stays), in any language.
//! - The other ~95 languages get no spelled-out numbers: `Lexical` equals `ITN` and keeps digits, where the
//!   service would spell them out; text without spaces is not split into words.
//! - In Spain (and the Spanish regions not listed above) `1,500` is `uno coma quinientos`; an ordinary space
//!   groups digits in French only, so the RAE's `10 000` is read as two numbers in Spanish, and so is German
//!   `10 000`. French `page 12 345` is read as one number.
//!
//! The functions here are total: any input and any language tag, however odd, give some answer and never panic.

mod chars;
mod english;
mod european;
mod numbers;
mod other;

use european::Language as European;
use other::Script;

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

/// How far a transcript is from a reference, in words: `(errors, reference_words)`, where `errors` is the
/// word-level edit distance (substitutions, insertions, deletions) between the two texts' `Lexical` words in
/// `language`, so that `"10 meters"` matches `"ten meters"` and punctuation and case do not count. The word
/// error rate is `errors / reference_words`. Used to measure the offline recognizer.
pub fn word_errors(reference: &str, hypothesis: &str, language: &str) -> (usize, usize) {
    let words = |text: &str| {
        derive_forms_in(text, language, Profanity::Raw)
            .lexical
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (reference, hypothesis) = (words(reference), words(hypothesis));
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let substitution = diagonal + usize::from(r != h);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    (row[hypothesis.len()], reference.len())
}

/// Derives the four text forms from an English display-form transcript: `derive_forms_in(display, "en-US",
/// profanity)`. Total: never panics.
pub fn derive_forms(display: &str, profanity: Profanity) -> TextForms {
    derive_forms_in(display, "en-US", profanity)
}

/// Derives the four text forms from a display-form transcript in `language`, the request's BCP-47 locale
/// (`en-US`, `de-DE`, `fr-FR`, `es-MX`, `ja-JP`, …), matched on its primary subtag case-insensitively. See the
/// [module documentation](self) for what each language gets. Total: never panics, whatever the text and tag.
pub fn derive_forms_in(display: &str, language: &str, profanity: Profanity) -> TextForms {
    let rules = Rules::of(language);
    let (itn_words, lexical_words) = match rules {
        Rules::English => english::words(display),
        Rules::European(lang) => european::words(display, lang),
        Rules::Other(script) => {
            let words = other::words(display, script);
            (words.clone(), words)
        }
    };
    let masked_itn: Vec<String> = itn_words
        .iter()
        .filter_map(|w| apply_profanity(w, profanity))
        .collect();
    let turkic = matches!(rules, Rules::Other(Script { turkic: true, .. }));
    TextForms {
        lexical: lexical_words.join(" "),
        itn: itn_words.join(" "),
        masked_itn: masked_itn.join(" "),
        display: display_with_profanity(display, profanity, turkic),
    }
}

/// Which rules a language tag selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rules {
    English,
    European(European),
    Other(Script),
}

impl Rules {
    fn of(tag: &str) -> Rules {
        let mut subtags = tag.trim().split(['-', '_']);
        let primary = subtags.next().unwrap_or_default().to_ascii_lowercase();
        let has_region = |region: &str| {
            tag.trim()
                .split(['-', '_'])
                .skip(1)
                .any(|s| s.eq_ignore_ascii_case(region))
        };
        match primary.as_str() {
            "en" => Rules::English,
            "de" => Rules::European(European::German),
            "fr" => Rules::European(European::French {
                septante: has_region("BE") || has_region("CH"),
            }),
            "es" => Rules::European(European::Spanish {
                comma_groups: ["MX", "US", "GT", "HN", "SV", "NI", "PA", "DO", "PR"]
                    .iter()
                    .any(|r| has_region(r)),
            }),
            "zh" | "yue" | "wuu" | "ja" | "th" | "lo" | "km" | "my" | "bo" => {
                Rules::Other(Script {
                    spaceless: true,
                    turkic: false,
                })
            }
            "tr" | "az" => Rules::Other(Script {
                spaceless: false,
                turkic: true,
            }),
            _ => Rules::Other(Script::default()),
        }
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
fn display_with_profanity(display: &str, profanity: Profanity, turkic: bool) -> String {
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
    capitalize_first(&out.join(" "), turkic)
}

/// Azure's display form starts with a capital letter; Whisper sometimes starts in lower case. In Turkish and
/// Azerbaijani the capital of `i` is `İ`.
fn capitalize_first(text: &str, turkic: bool) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some('i') if turkic => std::iter::once('\u{130}').chain(chars).collect(),
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text.to_owned(),
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

#[cfg(test)]
mod word_error_tests {
    use super::word_errors;

    #[test]
    fn counts_substitutions_insertions_and_deletions_on_lexical_words() {
        assert_eq!(
            word_errors("go forward ten meters", "Go forward 10 meters.", "en-US"),
            (0, 4)
        );
        assert_eq!(
            word_errors("ten of clubs", "10 of clothes", "en-US"),
            (1, 3)
        );
        assert_eq!(word_errors("a b c", "a c", "en"), (1, 3));
        assert_eq!(word_errors("a b", "a x b y", "en"), (2, 2));
        assert_eq!(word_errors("", "hello", "en"), (1, 0));
        assert_eq!(
            word_errors("Ich habe 21 Äpfel", "ich habe einundzwanzig äpfel", "de-DE"),
            (0, 4)
        );
    }
}

#[cfg(test)]
mod language_tests {
    use super::*;
    use proptest::prelude::*;

    /// Language tags: the supported ones, in any case and with or without a region, and arbitrary strings.
    fn language_tag() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "en-US", "de-DE", "fr-FR", "fr-BE", "fr-CH", "es-ES", "es-MX", "ja-JP", "zh-CN",
                "th-TH", "tr-TR", "ar-EG", "hi-IN", "ru-RU", "", "-", "_",
            ])
            .prop_map(String::from),
            "[a-zA-Z]{0,3}([-_][a-zA-Z0-9]{0,8}){0,3}",
            any::<String>(),
        ]
    }

    fn profanity() -> impl Strategy<Value = Profanity> {
        prop::sample::select(vec![Profanity::Masked, Profanity::Removed, Profanity::Raw])
    }

    fn assert_well_formed(f: &TextForms) -> Result<(), TestCaseError> {
        for form in [&f.lexical, &f.itn, &f.masked_itn, &f.display] {
            prop_assert!(!form.contains("  "), "double space in {:?}", form);
            prop_assert!(!form.starts_with(' ') && !form.ends_with(' '), "{:?}", form);
            prop_assert!(
                !form.chars().any(|c| c.is_whitespace() && c != ' '),
                "{:?}",
                form
            );
        }
        Ok(())
    }

    #[test]
    fn english_is_derive_forms() {
        for s in ["It costs $5.50, Mr. Smith!", "21st", "Ich habe 21 Äpfel."] {
            assert_eq!(
                derive_forms_in(s, "en-US", Profanity::Masked),
                derive_forms(s, Profanity::Masked)
            );
        }
    }

    proptest! {
        #[test]
        fn total_in_every_language(s in any::<String>(), lang in language_tag(), p in profanity()) {
            let f = derive_forms_in(&s, &lang, p);
            assert_well_formed(&f)?;
        }

        #[test]
        fn total_on_numbery_text(
            s in "[0-9 .,:%/\\-'’hernoadtºª€\u{A0}\u{202F}\u{2009}]{0,40}",
            lang in prop::sample::select(vec!["de-DE", "fr-FR", "fr-CH", "es-ES", "es-MX"]),
        ) {
            let f = derive_forms_in(&s, lang, Profanity::Masked);
            assert_well_formed(&f)?;
            prop_assert!(!f.lexical.chars().any(char::is_numeric), "lexical {:?}", f.lexical);
        }

        #[test]
        fn spelled_out_languages_have_no_numerals_in_lexical(
            s in any::<String>(),
            lang in prop::sample::select(vec!["de", "fr", "fr-BE", "es"]),
        ) {
            let f = derive_forms_in(&s, lang, Profanity::Raw);
            prop_assert!(!f.lexical.chars().any(char::is_numeric), "lexical {:?}", f.lexical);
            prop_assert!(!f.itn.contains('\u{202F}'), "itn {:?}", f.itn);
        }

        #[test]
        fn integers_round_trip_through_words(n in 0u64..1_000_000_000) {
            // Every integer is spelled without digits, and its ITN keeps it.
            for lang in ["de-DE", "fr-FR", "es-ES"] {
                let f = derive_forms_in(&n.to_string(), lang, Profanity::Raw);
                prop_assert_eq!(&f.itn, &n.to_string());
                prop_assert!(!f.lexical.is_empty() && !f.lexical.chars().any(|c| c.is_ascii_digit()));
            }
        }
    }
}
