//! `recontact`: how likely is re-contacting an employer after declining an interview
//! to succeed, why, and what can still be changed.
//!
//! This binary only parses arguments and prints; the work is done by
//! `recontact-domain` and `recontact-scoring`.

#![forbid(unsafe_code)]

mod commands;
mod input;
mod output;
mod progress;
mod report;
mod writeback;

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for invalid data (bad rows, bad header, bad model).
const EXIT_DATA: u8 = 1;
/// Exit code for unusable arguments or spec (clap uses 2 for its own usage errors).
const EXIT_USAGE: u8 = 2;
/// Exit code for a file that cannot be opened, read or written.
const EXIT_IO: u8 = 3;

/// Why a command failed, which decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The input is there but not valid: exit 1. The message is already printed when empty.
    Data(String),
    /// A file could not be opened, read or written: exit 3.
    Io(String),
    /// The arguments or the spec are unusable: exit 2, as for any usage error.
    Usage(String),
    /// The reader of an output went away (`recontact … | head`): stop quietly, exit 0.
    Closed,
}

impl Failure {
    /// Maps a write error, treating a closed pipe (`recontact … | head`) as a quiet stop.
    pub fn from_write(error: io::Error, what: &str) -> Failure {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Io(format!("{what}: cannot write: {error}"))
        }
    }
}

#[derive(Parser)]
#[command(
    name = "recontact",
    version,
    about = "Estimate how likely re-contacting an employer after declining an interview is to succeed",
    long_about = "Estimate how likely re-contacting an employer or recruiter after declining an \
interview is to succeed, with a logistic scoring model calibrated on CSV outcome data.\n\n\
Exit codes: 0 success, 1 invalid data, 2 usage error, 3 file cannot be read or written."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Score(commands::score::Args),
    Advise(Box<commands::advise::Args>),
    Scorecard(commands::scorecard::Args),
    Export(commands::export::Args),
    Check(commands::check::Args),
    Simulate(commands::simulate::Args),
    Fit(Box<commands::fit::Args>),
    Validate(commands::validate::Args),
    SampleSize(commands::sample_size::Args),
    Summary(commands::summary::Args),
    Evaluate(commands::evaluate::Args),
    Anova(commands::anova::Args),
    Compare(commands::compare::Args),
    Update(Box<commands::update::Args>),
    Completions(commands::completions::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Score(args) => commands::score::run(args),
        Command::Advise(args) => commands::advise::run(*args),
        Command::Scorecard(args) => commands::scorecard::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Fit(args) => commands::fit::run(*args),
        Command::Validate(args) => commands::validate::run(args),
        Command::SampleSize(args) => commands::sample_size::run(args),
        Command::Summary(args) => commands::summary::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Anova(args) => commands::anova::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Update(args) => commands::update::run(*args),
        Command::Completions(args) => commands::completions::run(args),
    };
    match result {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Data(message)) => {
            print_error(&message);
            ExitCode::from(EXIT_DATA)
        }
        Err(Failure::Io(message)) => {
            print_error(&message);
            ExitCode::from(EXIT_IO)
        }
        Err(Failure::Usage(message)) => {
            print_error(&message);
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Prints each line of a message as its own `error:` line (nothing for an empty message).
fn print_error(message: &str) {
    for line in message.lines() {
        eprintln!("error: {line}");
    }
}
