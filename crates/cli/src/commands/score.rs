//! `recontact score`: a probability for every row of a CSV, streaming.

use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use recontact_scoring::{score_csv, BatchError, BatchOptions, Model, OnInvalid};

use crate::output::{self, Output};
use crate::{input, Failure};

/// Score a CSV of cases: every input column passes through unchanged, the probability
/// and the logit are appended.
///
/// Without --model the embedded default model is used (fitted on the synthetic data in
/// data/; its weights are for demonstration, not estimates from real outcomes).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact score data/recontact_outcomes.csv > scored.csv\n  \
recontact score cases.csv --model my_model.json -o scored.csv\n  \
cat cases.csv | recontact score - --explain\n  \
recontact score cases.csv -o scored.csv --on-invalid skip --rejects rejects.csv")]
pub struct Args {
    /// The CSV to score, or `-` for standard input.
    #[arg(value_name = "CSV|-", default_value = "-")]
    csv: PathBuf,
    /// A model file from `recontact fit` (default: the embedded default model).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Where to write the scored CSV (atomically), or `-` for standard output.
    #[arg(long, short = 'o', value_name = "OUT|-")]
    out: Option<PathBuf>,
    /// Name of the appended probability column.
    #[arg(long, value_name = "NAME", default_value = "p_success")]
    column: String,
    /// What to do with an invalid row: stop (fail) or set it aside (skip).
    #[arg(long, value_enum, default_value_t = Invalid::Fail)]
    on_invalid: Invalid,
    /// Where skipped rows go, with their line and reasons (needed with --on-invalid skip).
    #[arg(long, value_name = "FILE", required_if_eq("on_invalid", "skip"))]
    rejects: Option<PathBuf>,
    /// Append each term's contribution to the logit.
    #[arg(long)]
    explain: bool,
    /// Longest record (line) accepted, in bytes; longer input stops the run.
    #[arg(long, value_name = "BYTES", default_value_t = recontact_scoring::lines::DEFAULT_MAX_RECORD_BYTES)]
    max_record_bytes: usize,
    /// Most columns accepted in the header.
    #[arg(long, value_name = "N", default_value_t = recontact_scoring::lines::DEFAULT_MAX_COLUMNS)]
    max_columns: usize,
    /// Print nothing on standard error but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// What to do with invalid rows.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Invalid {
    /// Stop at the first invalid row.
    Fail,
    /// Write invalid rows to --rejects and go on.
    Skip,
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(bytes) => ProgressBar::new(bytes).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    bar
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut inputs = vec![("", args.csv.as_path())];
    inputs.extend(args.model.as_deref().map(|m| ("--model", m)));
    let mut outputs = vec![match &args.out {
        Some(out) => ("-o", out.as_path()),
        None => ("", Path::new("-")),
    }];
    outputs.extend(args.rejects.as_deref().map(|r| ("--rejects", r)));
    output::check_distinct(&inputs, &outputs)?;
    let model = super::model_or_default(args.model.as_deref())?;
    score(args, &model)
}

fn score(args: Args, model: &Model) -> Result<(), Failure> {
    let input = input::open(&args.csv).map_err(Failure::Io)?;
    let size = std::fs::metadata(&args.csv)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let reader = BufReader::with_capacity(1 << 18, input.reader);
    let mut output = Output::open(args.out.as_deref())?;
    let mut rejects = args
        .rejects
        .as_deref()
        .map(|path| Output::open(Some(path)))
        .transpose()?;
    let options = BatchOptions {
        column: args.column.clone(),
        explain: args.explain,
        on_invalid: match args.on_invalid {
            Invalid::Fail => OnInvalid::Fail,
            Invalid::Skip => OnInvalid::Skip,
        },
        max_record_bytes: args.max_record_bytes,
        max_columns: args.max_columns,
    };
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(size));
    let mut progress = |rows: u64, bytes: u64| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{rows} rows"));
            if size.is_some() {
                bar.set_position(bytes);
            } else {
                bar.tick();
            }
        }
    };
    let result = score_csv(
        &input.name,
        reader,
        &mut output,
        rejects.as_mut(),
        model,
        &options,
        &mut progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(report) => report,
        Err(BatchError::Write {
            target: "output",
            error,
        }) => return Err(output.write_failure(error)),
        Err(BatchError::Write {
            target: "rejects",
            error,
        }) => {
            let target = args.rejects.as_deref().unwrap_or(Path::new("rejects"));
            return Err(Failure::from_write(error, &target.display().to_string()));
        }
        Err(BatchError::Read { source_name, error })
            if error.kind() == std::io::ErrorKind::InvalidData =>
        {
            return Err(Failure::Data(format!("{source_name}: {error}")));
        }
        Err(error @ (BatchError::Read { .. } | BatchError::Write { .. })) => {
            return Err(Failure::Io(error.to_string()));
        }
        Err(error) => return Err(Failure::Data(error.to_string())),
    };
    // Both files or neither: a failed output must not leave its rejects behind.
    output::commit_all([Some(output), rejects].into_iter().flatten().collect())?;
    if !args.quiet {
        eprintln!("scored {}, rejected {}", report.scored, report.rejected);
    }
    Ok(())
}
