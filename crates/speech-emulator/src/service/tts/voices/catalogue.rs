//! The voices themselves: one entry per public Azure voice the emulator speaks, with its styles and roles.

/// The prefix of every long voice name: `Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`.
pub const LONG_NAME_PREFIX: &str = "Microsoft Server Speech Text to Speech Voice (";

/// One voice of the voices list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voice {
    /// Long form, e.g. `Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)`.
    pub name: &'static str,
    /// E.g. `Jenny`.
    pub display_name: &'static str,
    /// The name in the voice's own language and script, e.g. `晓晓`.
    pub local_name: &'static str,
    /// The value used in SSML, e.g. `en-US-JennyNeural`.
    pub short_name: &'static str,
    /// `Female` or `Male`.
    pub gender: &'static str,
    /// BCP-47 locale, e.g. `en-US`.
    pub locale: &'static str,
    /// E.g. `English (United States)`.
    pub locale_name: &'static str,
    /// The voice model's native rate (serialized as a string, as the service does).
    pub sample_rate_hz: u32,
    /// `Neural`.
    pub voice_type: &'static str,
    /// `GA`.
    pub status: &'static str,
    /// Speaking speed, for estimating output length (serialized as a string, as the service does).
    pub words_per_minute: u32,
    /// Speaking styles for `mstts:express-as` (`StyleList`, absent when empty).
    pub styles: &'static [&'static str],
    /// Role-play characters (`RolePlayList`, absent when empty).
    pub role_plays: &'static [&'static str],
    /// Further locales a multilingual voice speaks (`SecondaryLocaleList`, absent when empty).
    pub secondary_locales: &'static [&'static str],
    /// `ExtendedPropertyMap: {"IsHighQuality48K": "True"}` when set.
    pub high_quality_48k: bool,
    /// The local engine voice: flite `slt` (English female) or `rms` (English male), else an espeak-ng language
    /// (which Pico's voice replaces for German, French, Spanish and Italian when it is installed).
    pub engine_voice: &'static str,
}

const NONE: &[&str] = &[];

/// Styles of en-US-JennyNeural as the service documents them (spec §3.8 source S3).
const JENNY_STYLES: &[&str] = &[
    "assistant",
    "chat",
    "customerservice",
    "newscast",
    "angry",
    "cheerful",
    "sad",
    "excited",
    "friendly",
    "terrified",
    "shouting",
    "unfriendly",
    "whispering",
    "hopeful",
];
const GUY_STYLES: &[&str] = &[
    "newscast",
    "angry",
    "cheerful",
    "sad",
    "excited",
    "friendly",
    "terrified",
    "shouting",
    "unfriendly",
    "whispering",
    "hopeful",
];
const ARIA_STYLES: &[&str] = &[
    "chat",
    "customerservice",
    "narration-professional",
    "newscast-casual",
    "newscast-formal",
    "cheerful",
    "empathetic",
    "angry",
    "sad",
    "excited",
    "friendly",
    "terrified",
    "shouting",
    "unfriendly",
    "whispering",
    "hopeful",
];
const DAVIS_STYLES: &[&str] = &[
    "chat",
    "angry",
    "cheerful",
    "excited",
    "friendly",
    "hopeful",
    "sad",
    "shouting",
    "terrified",
    "unfriendly",
    "whispering",
];
const XIAOXIAO_STYLES: &[&str] = &[
    "assistant",
    "chat",
    "customerservice",
    "newscast",
    "affectionate",
    "angry",
    "calm",
    "cheerful",
    "disgruntled",
    "fearful",
    "gentle",
    "lyrical",
    "sad",
    "serious",
    "poetry-reading",
    "friendly",
    "chat-casual",
    "whispering",
    "sorry",
    "excited",
];
/// Styles of zh-CN-YunxiNeural as the service documents them (S3).
const YUNXI_STYLES: &[&str] = &[
    "narration-relaxed",
    "embarrassed",
    "fearful",
    "cheerful",
    "disgruntled",
    "serious",
    "angry",
    "sad",
    "depressed",
    "chat",
    "assistant",
    "newscast",
];
const YUNXI_ROLES: &[&str] = &["Narrator", "YoungAdultMale", "Boy"];
const XIAOXIAO_ROLES: &[&str] = &[
    "YoungAdultFemale",
    "OlderAdultFemale",
    "Girl",
    "SeniorFemale",
];
/// Secondary locales of en-US-JennyMultilingualNeural as the service documents them (S3).
const JENNY_MULTILINGUAL_LOCALES: &[&str] = &[
    "de-DE", "en-AU", "en-CA", "en-GB", "es-ES", "es-MX", "fr-CA", "fr-FR", "it-IT", "ja-JP",
    "ko-KR", "pt-BR", "zh-CN",
];

macro_rules! voice {
    (
        $locale:literal, $short:literal, $display:literal, $local:literal, $gender:literal, $locale_name:literal,
        $rate:literal, $wpm:literal, $engine:literal
        $(, styles = $styles:expr)? $(, roles = $roles:expr)? $(, secondary = $secondary:expr)? $(, hq48k = $hq:literal)?
    ) => {
        Voice {
            name: concat!("Microsoft Server Speech Text to Speech Voice (", $locale, ", ", $short, ")"),
            display_name: $display,
            local_name: $local,
            short_name: concat!($locale, "-", $short),
            gender: $gender,
            locale: $locale,
            locale_name: $locale_name,
            sample_rate_hz: $rate,
            voice_type: "Neural",
            status: "GA",
            words_per_minute: $wpm,
            styles: { let _s: &[&str] = NONE; $( let _s = $styles; )? _s },
            role_plays: { let _r: &[&str] = NONE; $( let _r = $roles; )? _r },
            secondary_locales: { let _l: &[&str] = NONE; $( let _l = $secondary; )? _l },
            high_quality_48k: { let _h = false; $( let _h = $hq; )? _h },
            engine_voice: $engine,
        }
    };
}

pub(super) static VOICES: &[Voice] = &[
    voice!(
        "en-US",
        "JennyNeural",
        "Jenny",
        "Jenny",
        "Female",
        "English (United States)",
        24000,
        152,
        "slt",
        styles = JENNY_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "JennyMultilingualNeural",
        "Jenny Multilingual",
        "Jenny Multilingual",
        "Female",
        "English (United States)",
        24000,
        190,
        "slt",
        secondary = JENNY_MULTILINGUAL_LOCALES
    ),
    voice!(
        "en-US",
        "GuyNeural",
        "Guy",
        "Guy",
        "Male",
        "English (United States)",
        24000,
        154,
        "rms",
        styles = GUY_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "AriaNeural",
        "Aria",
        "Aria",
        "Female",
        "English (United States)",
        24000,
        150,
        "slt",
        styles = ARIA_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "DavisNeural",
        "Davis",
        "Davis",
        "Male",
        "English (United States)",
        24000,
        154,
        "rms",
        styles = DAVIS_STYLES,
        hq48k = true
    ),
    voice!(
        "en-US",
        "AvaNeural",
        "Ava",
        "Ava",
        "Female",
        "English (United States)",
        48000,
        154,
        "slt"
    ),
    voice!(
        "en-US",
        "AndrewNeural",
        "Andrew",
        "Andrew",
        "Male",
        "English (United States)",
        48000,
        146,
        "rms"
    ),
    voice!(
        "en-US",
        "EmmaNeural",
        "Emma",
        "Emma",
        "Female",
        "English (United States)",
        48000,
        152,
        "slt"
    ),
    voice!(
        "en-US",
        "BrianNeural",
        "Brian",
        "Brian",
        "Male",
        "English (United States)",
        48000,
        152,
        "rms"
    ),
    voice!(
        "en-US",
        "ChristopherNeural",
        "Christopher",
        "Christopher",
        "Male",
        "English (United States)",
        24000,
        149,
        "rms"
    ),
    voice!(
        "en-GB",
        "SoniaNeural",
        "Sonia",
        "Sonia",
        "Female",
        "English (United Kingdom)",
        48000,
        148,
        "slt",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "en-GB",
        "RyanNeural",
        "Ryan",
        "Ryan",
        "Male",
        "English (United Kingdom)",
        48000,
        150,
        "rms",
        styles = &["cheerful", "chat"]
    ),
    voice!(
        "de-DE",
        "KatjaNeural",
        "Katja",
        "Katja",
        "Female",
        "German (Germany)",
        48000,
        134,
        "de"
    ),
    voice!(
        "de-DE",
        "ConradNeural",
        "Conrad",
        "Conrad",
        "Male",
        "German (Germany)",
        48000,
        129,
        "de",
        styles = &["cheerful"]
    ),
    voice!(
        "fr-FR",
        "DeniseNeural",
        "Denise",
        "Denise",
        "Female",
        "French (France)",
        48000,
        150,
        "fr-fr",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "fr-FR",
        "HenriNeural",
        "Henri",
        "Henri",
        "Male",
        "French (France)",
        48000,
        154,
        "fr-fr",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "es-ES",
        "ElviraNeural",
        "Elvira",
        "Elvira",
        "Female",
        "Spanish (Spain)",
        48000,
        156,
        "es"
    ),
    voice!(
        "es-ES",
        "AlvaroNeural",
        "Alvaro",
        "Álvaro",
        "Male",
        "Spanish (Spain)",
        48000,
        159,
        "es",
        styles = &["cheerful", "sad"]
    ),
    voice!(
        "it-IT",
        "ElsaNeural",
        "Elsa",
        "Elsa",
        "Female",
        "Italian (Italy)",
        48000,
        149,
        "it"
    ),
    voice!(
        "it-IT",
        "DiegoNeural",
        "Diego",
        "Diego",
        "Male",
        "Italian (Italy)",
        48000,
        146,
        "it"
    ),
    voice!(
        "ja-JP",
        "NanamiNeural",
        "Nanami",
        "七海",
        "Female",
        "Japanese (Japan)",
        48000,
        319,
        "ja",
        styles = &["chat", "customerservice", "cheerful"]
    ),
    voice!(
        "ja-JP",
        "KeitaNeural",
        "Keita",
        "圭太",
        "Male",
        "Japanese (Japan)",
        48000,
        322,
        "ja"
    ),
    voice!(
        "zh-CN",
        "XiaoxiaoNeural",
        "Xiaoxiao",
        "晓晓",
        "Female",
        "Chinese (Mandarin, Simplified)",
        48000,
        285,
        "cmn",
        styles = XIAOXIAO_STYLES,
        roles = XIAOXIAO_ROLES
    ),
    voice!(
        "zh-CN",
        "YunxiNeural",
        "Yunxi",
        "云希",
        "Male",
        "Chinese (Mandarin, Simplified)",
        24000,
        293,
        "cmn",
        styles = YUNXI_STYLES,
        roles = YUNXI_ROLES
    ),
    voice!(
        "pt-BR",
        "FranciscaNeural",
        "Francisca",
        "Francisca",
        "Female",
        "Portuguese (Brazil)",
        48000,
        151,
        "pt-br",
        styles = &["calm"]
    ),
    voice!(
        "pt-BR",
        "AntonioNeural",
        "Antonio",
        "Antônio",
        "Male",
        "Portuguese (Brazil)",
        48000,
        145,
        "pt-br"
    ),
    voice!(
        "nl-NL",
        "ColetteNeural",
        "Colette",
        "Colette",
        "Female",
        "Dutch (Netherlands)",
        48000,
        144,
        "nl"
    ),
    voice!(
        "nl-NL",
        "MaartenNeural",
        "Maarten",
        "Maarten",
        "Male",
        "Dutch (Netherlands)",
        48000,
        141,
        "nl"
    ),
    voice!(
        "ko-KR",
        "SunHiNeural",
        "Sun-Hi",
        "선히",
        "Female",
        "Korean (Korea)",
        48000,
        276,
        "ko"
    ),
    voice!(
        "ko-KR",
        "InJoonNeural",
        "InJoon",
        "인준",
        "Male",
        "Korean (Korea)",
        48000,
        278,
        "ko"
    ),
    voice!(
        "ru-RU",
        "SvetlanaNeural",
        "Svetlana",
        "Светлана",
        "Female",
        "Russian (Russia)",
        48000,
        124,
        "ru"
    ),
    voice!(
        "ru-RU",
        "DmitryNeural",
        "Dmitry",
        "Дмитрий",
        "Male",
        "Russian (Russia)",
        48000,
        122,
        "ru"
    ),
    voice!(
        "hi-IN",
        "SwaraNeural",
        "Swara",
        "स्वरा",
        "Female",
        "Hindi (India)",
        48000,
        127,
        "hi"
    ),
    voice!(
        "hi-IN",
        "MadhurNeural",
        "Madhur",
        "मधुर",
        "Male",
        "Hindi (India)",
        48000,
        125,
        "hi"
    ),
    voice!(
        "el-GR",
        "AthinaNeural",
        "Athina",
        "Αθηνά",
        "Female",
        "Greek (Greece)",
        48000,
        142,
        "el"
    ),
    voice!(
        "ga-IE",
        "OrlaNeural",
        "Orla",
        "Orla",
        "Female",
        "Irish (Ireland)",
        24000,
        139,
        "ga"
    ),
];
