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

/// The tool's name, recorded in the provenance of every model file it writes.
pub const TOOL: &str = "recontact";

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

#[cfg(test)]
mod convention {
    //! The command-line convention of docs/cli.md ("Conventions"), checked on every
    //! subcommand's clap definition.

    use clap::CommandFactory;

    /// Commands that read a data file: a positional `FILE` and a hidden `--data` alias.
    const READS_DATA: &[&str] = &[
        "check", "fit", "validate", "evaluate", "anova", "compare", "update", "advise", "score",
    ];
    /// Commands that read no data file (models, flags or nothing).
    const READS_NO_DATA: &[&str] = &[
        "scorecard",
        "export",
        "simulate",
        "sample-size",
        "summary",
        "completions",
    ];
    /// Commands that print results, which `--format` chooses the form of.
    const PRINTS_RESULTS: &[&str] = &[
        "check",
        "fit",
        "validate",
        "evaluate",
        "anova",
        "compare",
        "update",
        "scorecard",
        "sample-size",
        "summary",
        // Its `--format` chooses the artefact (sql, pmml).
        "export",
        // Plain words or JSON: its table is text for a person.
        "advise",
    ];
    /// Commands whose output is an artefact with one form (CSV rows, a completion script).
    const PRINTS_ARTEFACT: &[&str] = &["simulate", "completions", "score"];
    /// Commands without a main output for `-o/--out` to name: none today, every other
    /// command takes `-o/--out FILE`.
    const NO_MAIN_OUTPUT: &[&str] = &[];
    /// Not yet brought into line (their data and output arguments are being changed
    /// with their own work); to be emptied when they adopt `DataArg` and `OutArg`.
    const NOT_YET: &[&str] = &[];

    fn argument<'a>(command: &'a clap::Command, id: &str) -> Option<&'a clap::Arg> {
        command.get_arguments().find(|a| a.get_id() == id)
    }

    #[test]
    fn every_subcommand_is_classified() {
        for sub in crate::Cli::command().get_subcommands() {
            let name = sub.get_name();
            if NOT_YET.contains(&name) {
                continue;
            }
            assert!(
                READS_DATA.contains(&name) != READS_NO_DATA.contains(&name),
                "{name}: decide whether it reads data (READS_DATA or READS_NO_DATA)"
            );
            assert!(
                PRINTS_RESULTS.contains(&name) != PRINTS_ARTEFACT.contains(&name),
                "{name}: decide whether it prints results (PRINTS_RESULTS or PRINTS_ARTEFACT)"
            );
        }
    }

    #[test]
    fn every_subcommand_follows_the_convention() {
        let cli = crate::Cli::command();
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            if NOT_YET.contains(&name) {
                continue;
            }
            let quiet = argument(sub, "quiet").unwrap_or_else(|| panic!("{name}: no --quiet"));
            assert_eq!(quiet.get_long(), Some("quiet"), "{name}");
            assert_eq!(quiet.get_short(), Some('q'), "{name}: -q");
            if READS_DATA.contains(&name) {
                let file = argument(sub, "file").unwrap_or_else(|| panic!("{name}: no FILE"));
                assert!(file.is_positional(), "{name}: FILE is positional");
                assert_eq!(
                    file.get_value_names().map(|v| v[0].as_str()),
                    Some("FILE"),
                    "{name}"
                );
                let data = argument(sub, "data").unwrap_or_else(|| panic!("{name}: no --data"));
                assert_eq!(data.get_long(), Some("data"), "{name}");
                assert!(
                    data.is_hide_set(),
                    "{name}: --data is the undocumented alias"
                );
            }
            if PRINTS_RESULTS.contains(&name) {
                let format = argument(sub, "format");
                assert!(
                    format.is_some_and(|f| f.get_long() == Some("format")),
                    "{name}: --format"
                );
            }
            if !NO_MAIN_OUTPUT.contains(&name) {
                let out = argument(sub, "out").unwrap_or_else(|| panic!("{name}: no --out"));
                assert_eq!(out.get_long(), Some("out"), "{name}");
                assert_eq!(out.get_short(), Some('o'), "{name}: -o");
            }
        }
    }

    #[test]
    fn table_and_json_where_results_are_data() {
        // Every results command but scorecard (table/csv/...) and export (sql/pmml)
        // offers exactly these two forms at least.
        let cli = crate::Cli::command();
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            if NOT_YET.contains(&name) || !PRINTS_RESULTS.contains(&name) {
                continue;
            }
            if name == "export" {
                continue;
            }
            let format = argument(sub, "format").expect("checked above");
            let values = format.get_possible_values();
            let accepts = |wanted: &str| values.iter().any(|v| v.matches(wanted, false));
            let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
            assert!(
                accepts("table") && accepts("json"),
                "{name}: --format table|json, got {names:?}"
            );
        }
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        crate::Cli::command().debug_assert();
    }
}
