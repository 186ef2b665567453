//! `speech`: transcribe, synthesize, list voices, fetch tokens and troubleshoot Azure Speech (REST) from the
//! command line; with no credentials, against an embedded offline emulator of the service.
//!
//! Exit codes: 0 success; 2 usage or configuration; 3 authentication or authorization (401, 403); 4 invalid
//! input (audio, SSML, 400, 415); 5 throttled after retries (429); 6 service or network failure.

mod audio_check;
mod cli;
mod cmd;
mod config;
mod embedded;
mod exit;
mod output;
mod report;
mod session;

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // clap prints usage errors and exits 2 itself (0 for --help and --version).
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let key_from_env = matches
        .subcommand()
        .and_then(|(_, sub)| sub.value_source("key"))
        .or_else(|| matches.value_source("key"))
        == Some(ValueSource::EnvVariable);
    let g = &cli.global;
    let result = match &cli.command {
        Command::Transcribe(args) => cmd::transcribe::run(g, args),
        Command::Listen(args) => cmd::listen::run(g, args),
        Command::Translate(args) => cmd::translate::run(g, args),
        Command::Synthesize(args) => cmd::synthesize::run(g, args),
        Command::Voices(args) => cmd::voices::run(g, args),
        Command::Token(args) => cmd::token::run(g, args),
        Command::Doctor(args) => cmd::doctor::run(g, args),
        Command::Emulator(args) => cmd::emulator::run(g, args, key_from_env),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            failure.report();
            failure.code.exit_code()
        }
    }
}
