//! `recontact score`: a probability for every row of a CSV, streaming.

use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use recontact_scoring::batch::{BatchScorer, Limit, OptionError};
use recontact_scoring::parquet::{CsvToParquet, ParquetText};
use recontact_scoring::{BatchError, BatchOptions, Model, OnInvalid};

use crate::output::{self, Output};
use crate::{input, Failure};

/// Score a CSV of cases: every input column passes through unchanged, the probability
/// and the logit are appended.
///
/// Without --model the embedded default model is used (fitted on the synthetic data in
/// data/; its weights are for demonstration, not estimates from real outcomes).
/// Without FILE the CSV is read from standard input; on a terminal a hint says so.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact score data/recontact_outcomes.csv > scored.csv\n  \
recontact score cases.csv --model my_model.json -o scored.csv\n  \
cat cases.csv | recontact score - --explain\n  \
recontact score cases.csv -o scored.csv --on-invalid skip --rejects rejects.csv\n  \
recontact score cases.csv -o scored.parquet\n  \
recontact score scored.csv --model other.json --column p2 --logit-column logit2 -o both.csv")]
pub struct Args {
    /// The CSV to score, or `-` for standard input (the default); a name ending in
    /// `.parquet` is read as Parquet.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// The CSV to score, as FILE.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with = "file")]
    data: Option<PathBuf>,
    /// A model file from `recontact fit` (default: the embedded default model).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Where to write the scored CSV (atomically), or `-` for standard output; a name
    /// ending in `.parquet` writes Parquet, the input's columns with their types.
    #[arg(long, short = 'o', value_name = "OUT|-")]
    out: Option<PathBuf>,
    /// Name of the appended probability column.
    #[arg(long, value_name = "NAME", default_value = "p_success")]
    column: String,
    /// Name of the appended logit column (with --explain, the reference logit is
    /// reference_NAME).
    #[arg(long, value_name = "NAME", default_value = "logit")]
    logit_column: String,
    /// What to do with an invalid row: stop (fail) or set it aside (skip).
    #[arg(long, value_enum, default_value_t = Invalid::Fail)]
    on_invalid: Invalid,
    /// Where skipped rows go, with their line and reasons (needed with --on-invalid skip).
    #[arg(long, value_name = "FILE", required_if_eq("on_invalid", "skip"))]
    rejects: Option<PathBuf>,
    /// Append the reference row's logit and each term's contribution against it:
    /// βⱼ·(xⱼ − rⱼ) summed over the term's design columns, as `advise` reports them.
    #[arg(long)]
    explain: bool,
    /// What the contribution columns' names start with, before the term.
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "contribution_",
        requires = "explain"
    )]
    explain_prefix: String,
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

/// The hint printed when the CSV is read from a terminal, where a silent wait would
/// look like a hang.
const TERMINAL_HINT: &str = "reading CSV from standard input (a terminal): pipe a file, \
give FILE, or type the rows and end with Ctrl-D";

/// Runs the command.
pub fn run(mut args: Args) -> Result<(), Failure> {
    let (flag, csv) = match (args.file.take(), args.data.take()) {
        (_, Some(data)) => ("--data", data),
        (file, None) => ("", file.unwrap_or_else(|| PathBuf::from("-"))),
    };
    let mut inputs = vec![(flag, csv.as_path())];
    inputs.extend(args.model.as_deref().map(|m| ("--model", m)));
    let mut outputs = vec![match &args.out {
        Some(out) => ("-o", out.as_path()),
        None => ("", Path::new("-")),
    }];
    outputs.extend(args.rejects.as_deref().map(|r| ("--rejects", r)));
    output::check_distinct(&inputs, &outputs)?;
    let model = super::model_or_default(args.model.as_deref())?;
    let on_invalid = match args.on_invalid {
        Invalid::Fail => OnInvalid::Fail,
        Invalid::Skip => OnInvalid::Skip,
    };
    let scorer = BatchScorer::new(&model)
        .column(args.column.clone())
        .logit_column(args.logit_column.clone())
        .explain(args.explain)
        .explain_prefix(args.explain_prefix.clone())
        .on_invalid(on_invalid)
        .max_record_bytes(args.max_record_bytes)
        .max_columns(args.max_columns);
    // Unusable options and names that clash among themselves are a usage error, found
    // before any input is read.
    scorer
        .check()
        .map_err(|error| Failure::Usage(usage(&error)))?;
    if csv.as_os_str() == "-" && !args.quiet && std::io::stdin().is_terminal() {
        eprintln!("{TERMINAL_HINT}");
    }
    let options = scorer.options().clone();
    score(&csv, args, &model, options)
}

/// An option error in words, with the flag that sets the option.
fn usage(error: &BatchError) -> String {
    match error {
        BatchError::Options(OptionError::EmptyName(holds)) => {
            format!("{error}: give it a name with {} NAME", holds.flag())
        }
        BatchError::Options(OptionError::ZeroLimit(limit)) => {
            let flag = match limit {
                Limit::MaxRecordBytes => "--max-record-bytes",
                Limit::MaxColumns => "--max-columns",
            };
            format!("{error}: give {flag} a limit of 1 or more")
        }
        _ => error.to_string(),
    }
}

/// Where the scored rows go: CSV as scored, or Parquet made from it.
enum Target {
    Csv(Output),
    Parquet(Box<CsvToParquet<Output>>),
}

impl std::io::Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::Csv(output) => output.write(buf),
            Target::Parquet(output) => output.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::Csv(output) => output.flush(),
            Target::Parquet(output) => output.flush(),
        }
    }
}

/// The output for `-o`: Parquet when its name ends in `.parquet`, its passed-through
/// columns typed as the input's when that is Parquet too.
fn target(
    csv: &Path,
    out: Option<&Path>,
    model: &Model,
    options: &BatchOptions,
) -> Result<Target, Failure> {
    let output = Output::open(out)?;
    if !out.is_some_and(input::is_parquet) {
        return Ok(Target::Csv(output));
    }
    let passed = if input::is_parquet(csv) {
        let name = csv.display().to_string();
        let file = std::fs::File::open(csv)
            .map_err(|e| Failure::Io(format!("{name}: cannot open: {e}")))?;
        let schema = ParquetText::new(file).schema();
        Some(schema.map_err(|e| Failure::Data(format!("{name}: {e}")))?)
    } else {
        None
    };
    let appended = BatchScorer::with_options(model, options.clone())
        .check()
        .map_or(0, |columns| columns.len());
    Ok(Target::Parquet(Box::new(CsvToParquet::new(
        output, passed, appended,
    ))))
}

fn score(csv: &Path, args: Args, model: &Model, options: BatchOptions) -> Result<(), Failure> {
    let input = input::open(csv).map_err(Failure::Io)?;
    // A Parquet file's bytes are not the text read: no byte count to show progress by.
    let size = std::fs::metadata(csv)
        .ok()
        .filter(|m| m.is_file() && !input::is_parquet(csv))
        .map(|m| m.len());
    let reader = BufReader::with_capacity(1 << 18, input.reader);
    let mut output = target(csv, args.out.as_deref(), model, &options)?;
    let out_name = args
        .out
        .as_deref()
        .map_or("standard output".to_string(), |p| p.display().to_string());
    let mut rejects = args
        .rejects
        .as_deref()
        .map(|path| Output::open(Some(path)))
        .transpose()?;
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(size));
    let progress = |rows: u64, bytes: u64| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{rows} rows"));
            if size.is_some() {
                bar.set_position(bytes);
            } else {
                bar.tick();
            }
        }
    };
    let mut scorer = BatchScorer::with_options(model, options).progress(progress);
    if let Some(rejects) = rejects.as_mut() {
        scorer = scorer.rejects(rejects);
    }
    let result = scorer.run(&input.name, reader, &mut output);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match result {
        Ok(report) => report,
        Err(BatchError::Write {
            target: "output",
            error,
        }) => return Err(Failure::from_write(error, &out_name)),
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
    let output = match output {
        Target::Csv(output) => output,
        Target::Parquet(output) => output
            .finish()
            .map_err(|e| Failure::from_write(e, &out_name))?,
    };
    // Both files or neither: a failed output must not leave its rejects behind.
    output::commit_all([Some(output), rejects].into_iter().flatten().collect())?;
    if !args.quiet {
        eprintln!("scored {}, rejected {}", report.scored, report.rejected);
    }
    Ok(())
}
