//! The command line: global options and subcommands (clap derive).
//!
//! Secrets (`--key`, `--token`) come from flags or the environment; `hide_env_values` keeps their values out
//! of `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Transcribe, synthesize, list voices, fetch tokens and troubleshoot Azure Speech (REST).
///
/// Credentials come from the options below or the environment (SPEECH_KEY with SPEECH_REGION or
/// SPEECH_ENDPOINT, or SPEECH_TOKEN; keyless: --auth entra with SPEECH_ENDPOINT, SPEECH_RESOURCE_ID and
/// SPEECH_TOKEN_COMMAND). With none of them set, `speech` runs against an embedded offline
/// emulator of the service and says so on stderr.
#[derive(Debug, Parser)]
#[command(
    name = "speech",
    version,
    propagate_version = true,
    max_term_width = 110
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options accepted before or after the subcommand.
#[derive(Clone, Debug, Default, Args)]
pub(crate) struct GlobalArgs {
    /// The resource's endpoint URL as the portal shows it (https://<name>.cognitiveservices.azure.com/,
    /// https://<region>.api.cognitive.microsoft.com/), or any base URL (a container, the emulator).
    #[arg(long, global = true, env = "SPEECH_ENDPOINT", value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// The resource's region, e.g. westeurope (used when no endpoint is given).
    #[arg(long, global = true, env = "SPEECH_REGION", value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// The resource key (Key 1 or Key 2). Never printed.
    #[arg(
        long,
        global = true,
        env = "SPEECH_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub(crate) key: Option<Secret>,
    /// A bearer token obtained elsewhere (instead of a key). Never printed, except by `speech token`.
    #[arg(
        long,
        global = true,
        env = "SPEECH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub(crate) token: Option<Secret>,
    /// Send the key itself on every request (`key`), exchange it for 10-minute bearer tokens (`token`), or use
    /// Microsoft Entra ID without a key (`entra`: needs --endpoint, --resource-id and --token-command).
    #[arg(long, global = true, value_enum, default_value_t = AuthArg::Token, value_name = "MODE")]
    pub(crate) auth: AuthArg,
    /// With --auth entra: the Speech resource's ARM id, as the portal shows it under Properties → Resource ID
    /// (/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/…).
    #[arg(long, global = true, env = "SPEECH_RESOURCE_ID", value_name = "ID")]
    pub(crate) resource_id: Option<String>,
    /// With --auth entra: a command that prints an Entra access token, run whenever one is needed (tokens are
    /// renewed before they expire), e.g. "az account get-access-token --resource
    /// https://cognitiveservices.azure.com --query accessToken -o tsv". It may print the token alone or the JSON
    /// of `az account get-access-token -o json`.
    #[arg(
        long,
        global = true,
        env = "SPEECH_TOKEN_COMMAND",
        value_name = "COMMAND"
    )]
    pub(crate) token_command: Option<String>,
    /// Output for people (`text`) or for programs (`json`).
    #[arg(long, global = true, value_enum, default_value_t = OutputArg::Text, value_name = "FORMAT")]
    pub(crate) output: OutputArg,
    /// Say more on stderr: the endpoint, the auth mode, token fetches.
    #[arg(long, short = 'v', global = true)]
    pub(crate) verbose: bool,
}

/// A key or token from the command line or the environment. `Debug` prints `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// The secret text. Keep it out of output.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// `--auth`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuthArg {
    /// Send the key as `Ocp-Apim-Subscription-Key`.
    Key,
    /// Exchange the key for bearer tokens at the token service.
    #[default]
    Token,
    /// Microsoft Entra ID tokens (keyless), from --token-command (or a static --token), sent as
    /// `aad#<resource id>#<token>`.
    Entra,
}

/// `--output`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    /// For people.
    #[default]
    Text,
    /// For programs.
    Json,
    /// SubRip subtitles (`transcribe` only; other commands print text).
    Srt,
    /// WebVTT subtitles (`transcribe` only; other commands print text).
    Vtt,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Transcribe audio files of any length: WAV, MP3, FLAC, Ogg (Vorbis, Opus), AAC/M4A, and more with ffmpeg.
    Transcribe(TranscribeArgs),
    /// Recognize speech live over the streaming (WebSocket) API: a file of any format, or raw 16 kHz mono
    /// 16-bit PCM from stdin (`-`), e.g. `arecord -f S16_LE -r 16000 -c 1 -t raw | speech listen -`.
    Listen(ListenArgs),
    /// Translate speech live over the streaming (WebSocket) API: recognize a file (or raw 16 kHz mono 16-bit PCM
    /// from stdin, `-`) in one language and print each phrase with its translations.
    Translate(TranslateArgs),
    /// Speak text (or an SSML file) and write the audio to a file or stdout.
    Synthesize(SynthesizeArgs),
    /// List the voices the service offers.
    Voices(VoicesArgs),
    /// Fetch a bearer token with the key (with --auth entra: from the token command) and print it.
    Token(TokenArgs),
    /// Check the configuration, the key, the token and an audio file, and say how to fix what is wrong.
    Doctor(DoctorArgs),
    /// Run the local offline emulator of the service in the foreground.
    Emulator(EmulatorArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// The audio: a file (WAV, MP3, FLAC, Ogg, AAC/M4A, and more with ffmpeg), or `-` for raw 16 kHz mono
    /// 16-bit little-endian PCM on stdin.
    #[arg(value_name = "FILE|-")]
    pub(crate) input: PathBuf,
    /// The language spoken (BCP 47 locale).
    #[arg(long, short = 'l', default_value = "en-US", value_name = "LOCALE")]
    pub(crate) language: String,
    /// Send the audio at real time (as a microphone would); by default a file goes as fast as the service
    /// takes it.
    #[arg(long)]
    pub(crate) realtime: bool,
    /// Simple phrases, or detailed ones (NBest with lexical, ITN and display forms).
    #[arg(long, value_enum, default_value_t = FormatArg::Simple)]
    pub(crate) format: FormatArg,
    /// What the service does with profanity (default: masked).
    #[arg(long, value_enum)]
    pub(crate) profanity: Option<ProfanityArg>,
    /// `conversation` and `dictation` go on until the audio ends; `interactive` stops after one phrase.
    #[arg(long, value_enum, default_value_t = ModeArg::Conversation)]
    pub(crate) mode: ModeArg,
}

#[derive(Debug, Args)]
pub(crate) struct TranslateArgs {
    /// The audio: a file (WAV, MP3, FLAC, Ogg, AAC/M4A, and more with ffmpeg), or `-` for raw 16 kHz mono
    /// 16-bit little-endian PCM on stdin.
    #[arg(value_name = "FILE|-")]
    pub(crate) input: PathBuf,
    /// The language spoken (BCP 47 locale, e.g. es-ES).
    #[arg(long, value_name = "LOCALE")]
    pub(crate) from: String,
    /// A language to translate into (e.g. en, de, zh-Hans); repeat it for several. The offline emulator
    /// translates into English only.
    #[arg(long, required = true, value_name = "LANGUAGE")]
    pub(crate) to: Vec<String>,
    /// Send the audio at real time (as a microphone would); by default a file goes as fast as the service
    /// takes it.
    #[arg(long)]
    pub(crate) realtime: bool,
    /// What the service does with profanity (default: masked).
    #[arg(long, value_enum)]
    pub(crate) profanity: Option<ProfanityArg>,
    /// With `--output srt|vtt`: write one subtitle file per target language here, `<name>.<language>.srt`
    /// (default: with one target, the subtitles go to stdout; with several, to the current directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TranscribeArgs {
    /// Audio files to transcribe.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// The language spoken (BCP 47 locale). Repeat it to name candidates, or say `auto`: fast transcription
    /// then identifies the language itself (short audio takes exactly one).
    #[arg(long, short = 'l', default_value = "en-US", value_name = "LOCALE")]
    pub(crate) language: Vec<String>,
    /// Which API: `short` (the short-audio API; long files are cut at pauses), `fast` (fast transcription:
    /// one request per file, speakers, word timings), or `auto`: files up to 60 s go to short audio, longer
    /// ones to fast transcription, falling back to short audio where fast transcription is not offered.
    #[arg(long, value_enum, default_value_t = ApiArg::Auto)]
    pub(crate) api: ApiArg,
    /// Tell up to N speakers apart (2–35; fast transcription).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=35))]
    pub(crate) speakers: Option<u32>,
    /// Transcribe these channels separately, e.g. `--channels 0,1` (fast transcription).
    #[arg(long, value_delimiter = ',', value_name = "N,N")]
    pub(crate) channels: Vec<u32>,
    /// Result format: display text only, or the n-best hypotheses with lexical/ITN forms.
    #[arg(long, value_enum, default_value_t = FormatArg::Simple)]
    pub(crate) format: FormatArg,
    /// What the service does with profanity (service default: masked).
    #[arg(long, value_enum)]
    pub(crate) profanity: Option<ProfanityArg>,
    /// Recognition mode.
    #[arg(long, value_enum, default_value_t = ModeArg::Conversation)]
    pub(crate) mode: ModeArg,
    /// Files transcribed at once (default: min(4, number of files)).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) jobs: Option<u16>,
    /// Send each file's bytes as they are, in one request (no check, no decoding, no cutting: the service
    /// hears at most 60 s).
    #[arg(long)]
    pub(crate) force: bool,
    /// Where `--output srt|vtt` writes `<name>.srt` / `<name>.vtt` when several files are given (default: the
    /// current directory). With one file the subtitles go to stdout.
    #[arg(long, value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
}

/// `--api` of `transcribe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApiArg {
    /// Short audio for files up to 60 s, fast transcription for longer ones.
    Auto,
    /// The short-audio API (long files cut at pauses and stitched).
    Short,
    /// Fast transcription (one request per file).
    Fast,
}

/// `--format` of `transcribe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// Display text.
    Simple,
    /// N-best hypotheses.
    Detailed,
}

/// `--profanity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfanityArg {
    /// Replaced with asterisks.
    Masked,
    /// Dropped.
    Removed,
    /// Kept.
    Raw,
}

/// `--mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModeArg {
    /// Conversation.
    Conversation,
    /// Short commands.
    Interactive,
    /// Dictation.
    Dictation,
}

#[derive(Debug, Args)]
pub(crate) struct SynthesizeArgs {
    /// The text to speak.
    #[arg(
        value_name = "TEXT",
        required_unless_present = "ssml",
        conflicts_with = "ssml"
    )]
    pub(crate) text: Option<String>,
    /// Send this SSML document instead of TEXT (as it is; `--voice` is then ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) ssml: Option<PathBuf>,
    /// The voice's short name (see `speech voices`).
    #[arg(long, default_value = "en-US-JennyNeural", value_name = "NAME")]
    pub(crate) voice: String,
    /// The audio format (X-Microsoft-OutputFormat), e.g. riff-24khz-16bit-mono-pcm, audio-24khz-48kbitrate-mono-mp3.
    #[arg(
        long,
        default_value = "riff-24khz-16bit-mono-pcm",
        value_name = "OUTPUT_FORMAT"
    )]
    pub(crate) format: String,
    /// Where to write the audio; `-` for stdout.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub(crate) out: PathBuf,
    /// Write the events to FILE, one JSON object per line: word, punctuation and sentence boundaries,
    /// bookmarks and visemes with their offset_ms, duration_ms, text and text_offset (WebSocket API).
    #[arg(long, value_name = "FILE")]
    pub(crate) events: Option<PathBuf>,
    /// Write captions of the spoken audio to FILE (.srt or .vtt), timed from the word boundaries (WebSocket
    /// API).
    #[arg(long, value_name = "FILE")]
    pub(crate) subtitles: Option<PathBuf>,
    /// Which API: `websocket` streams audio with events, `rest` is one HTTP request; `auto` (the default) uses
    /// the WebSocket when --events or --subtitles asks for events.
    #[arg(long, value_enum, default_value_t = SynthesisApiArg::Auto)]
    pub(crate) api: SynthesisApiArg,
}

/// `--api` of `synthesize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SynthesisApiArg {
    /// WebSocket when events are asked for, else REST.
    Auto,
    /// The REST endpoint (`/cognitiveservices/v1`).
    Rest,
    /// The WebSocket endpoint, with events.
    Websocket,
}

#[derive(Debug, Args)]
pub(crate) struct VoicesArgs {
    /// Only voices that speak this locale (e.g. en-GB), or this language (e.g. en).
    #[arg(long, value_name = "LOCALE")]
    pub(crate) locale: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// Print the token's claims and expiry instead of the token.
    #[arg(long)]
    pub(crate) decode: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Also check this audio file for recognition.
    #[arg(long, value_name = "FILE")]
    pub(crate) audio: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Loopback port to listen on; 0 picks a free one. (The global `--key` sets the key it accepts, default
    /// `emulator-key`; `--region` the region named in its tokens.)
    #[arg(long, default_value_t = 5000)]
    pub(crate) port: u16,
    /// With the global --resource-id (which makes the emulator take Microsoft Entra tokens for that resource from
    /// its test issuer): write a stand-in for the Azure CLI into DIR, an `az` (a Python 3 script) whose
    /// `az account get-access-token` prints the emulator's test tokens. Put DIR first on PATH to run keyless
    /// tools offline.
    #[arg(long, value_name = "DIR")]
    pub(crate) az_stand_in: Option<std::path::PathBuf>,
}

impl From<ModeArg> for speech_proto::recognize::Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Conversation => Self::Conversation,
            ModeArg::Interactive => Self::Interactive,
            ModeArg::Dictation => Self::Dictation,
        }
    }
}

impl From<FormatArg> for speech_proto::recognize::ResultFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Simple => Self::Simple,
            FormatArg::Detailed => Self::Detailed,
        }
    }
}

impl From<ProfanityArg> for speech_proto::recognize::Profanity {
    fn from(p: ProfanityArg) -> Self {
        match p {
            ProfanityArg::Masked => Self::Masked,
            ProfanityArg::Removed => Self::Removed,
            ProfanityArg::Raw => Self::Raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let before =
            Cli::try_parse_from(["speech", "--output", "json", "--region", "westus", "voices"])
                .expect("parses");
        let after =
            Cli::try_parse_from(["speech", "voices", "--output", "json", "--region", "westus"])
                .expect("parses");
        for cli in [before, after] {
            assert_eq!(cli.global.output, OutputArg::Json);
            assert_eq!(cli.global.region.as_deref(), Some("westus"));
        }
    }

    #[test]
    fn synthesize_needs_text_or_ssml_but_not_both() {
        assert!(Cli::try_parse_from(["speech", "synthesize", "-o", "x.wav"]).is_err());
        assert!(
            Cli::try_parse_from(["speech", "synthesize", "hi", "--ssml", "a.xml", "-o", "x"])
                .is_err()
        );
        assert!(
            Cli::try_parse_from(["speech", "synthesize", "--ssml", "a.xml", "-o", "x"]).is_ok()
        );
        assert!(Cli::try_parse_from(["speech", "synthesize", "hi", "-o", "-"]).is_ok());
    }

    #[test]
    fn jobs_must_be_positive() {
        assert!(Cli::try_parse_from(["speech", "transcribe", "a.wav", "--jobs", "0"]).is_err());
        assert!(Cli::try_parse_from(["speech", "transcribe", "a.wav", "--jobs", "3"]).is_ok());
    }
}
