//! `recontact validate`: cross-validated and optimism-corrected performance of the whole
//! modelling procedure (encoding and fit repeated in every fold and resample).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use recontact_scoring::progress;
use recontact_scoring::validate::{
    validate_reporting, Corrected, MeanSd, ResampleFailure, ValidateError, Validation,
    ValidationOptions, DEFAULT_BOOTSTRAP, DEFAULT_FOLDS, DEFAULT_SEED,
};

use super::bounded;
use crate::progress::Progress;
use crate::Failure;

use super::spec_args::{read_data, FitOptionArgs, SpecArgs};

/// Estimate how well the modelling procedure predicts new data: stratified k-fold
/// cross-validation and bootstrap optimism correction of AUC, Dxy, Brier score,
/// calibration slope and calibration intercept.
///
/// Every fold and resample learns the encoding (levels, knots) and fits again. Without
/// --spec or term flags, the default re-contact spec is used. Results depend on the seed
/// only, never on the number of threads (RAYON_NUM_THREADS).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact validate --data data/recontact_outcomes.csv\n  \
recontact validate --data my.csv --spec my_spec.toml --folds 5 --bootstrap 500 --seed 7\n  \
recontact validate --data my.csv --outcome y --numeric age --categorical region --format json")]
pub struct Args {
    /// The outcome data (CSV), or `-` for standard input.
    #[arg(long, value_name = "CSV|-")]
    data: PathBuf,
    // Boxed: the spec flags would make this the largest of the command variants.
    #[command(flatten)]
    model_spec: Box<SpecArgs>,
    #[command(flatten)]
    fitting: FitOptionArgs,
    /// Folds of stratified cross-validation (0 skips it).
    #[arg(long, value_name = "K", default_value_t = DEFAULT_FOLDS, value_parser = bounded(0, 1_000))]
    folds: usize,
    /// Bootstrap resamples for the optimism correction (0 skips it).
    #[arg(long, value_name = "B", default_value_t = DEFAULT_BOOTSTRAP, value_parser = bounded(0, 100_000))]
    bootstrap: usize,
    /// Seed of the fold assignment and the resamples.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Leave out rows with missing or invalid values and report them (default: stop).
    #[arg(long)]
    drop_invalid: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Print nothing on standard error but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// How the results are printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with `cross_validation` and `bootstrap_validation`.
    Json,
}

fn failure(source_name: &str, error: ValidateError) -> Failure {
    match error {
        ValidateError::Fit(e) => super::fit_failure_in(source_name)(e),
        ValidateError::Folds { .. } => Failure::Usage(error.to_string()),
        other => Failure::Data(other.to_string()),
    }
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let (_, spec) = args.model_spec.load()?;
    let data = read_data(&args.data, &spec, args.drop_invalid, args.quiet)?;
    // Wald intervals play no part in validation; the level only has to be valid.
    let options = args.fitting.options(0.95);
    let settings = ValidationOptions {
        folds: args.folds,
        bootstrap: args.bootstrap,
        seed: args.seed,
    };
    let result = validate_with_progress(&spec, &data, options, settings, args.quiet)
        .map_err(|e| failure(&data.source_name, e))?;
    let text = match args.format {
        Format::Table => render_table(&data.source_name, &result),
        Format::Json => {
            serde_json::to_string_pretty(&result).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    super::print(text.as_bytes())
}

/// Validates with a bar over the folds, then one over the resamples (unless `quiet`).
fn validate_with_progress(
    spec: &recontact_scoring::Spec,
    data: &recontact_scoring::Dataset,
    options: recontact_scoring::fit::FitOptions,
    settings: ValidationOptions,
    quiet: bool,
) -> Result<Validation, recontact_scoring::validate::ValidateError> {
    let total = (settings.folds + settings.bootstrap) as u64;
    let bar = Progress::counter(quiet, total, "folds and resamples fitted");
    // Folds and resamples are counted apart by the library; the bar shows their sum.
    let folds = AtomicU64::new(0);
    let resamples = AtomicU64::new(0);
    let report = |progress: progress::Progress| {
        let counter = match progress.stage {
            progress::Stage::Folds => &folds,
            progress::Stage::Resamples => &resamples,
        };
        counter.fetch_max(progress.done, Ordering::Relaxed);
        bar.set_done(folds.load(Ordering::Relaxed) + resamples.load(Ordering::Relaxed));
    };
    let result = validate_reporting(spec, data, options, settings, &report);
    bar.finish();
    result
}

/// A value with four decimals; a statistic that does not exist as `-`.
fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "-".to_string()
    }
}

const MEASURES: [&str; 5] = [
    "AUC",
    "Dxy",
    "Brier score",
    "calibration slope",
    "calibration intercept",
];

/// Failures listed in the table before the rest are only counted.
const LISTED_FAILURES: usize = 5;

fn list_failures(out: &mut String, what: &str, failures: &[ResampleFailure]) {
    for f in failures.iter().take(LISTED_FAILURES) {
        *out += &format!("  {what} {} failed: {}\n", f.index, f.reason);
    }
    if failures.len() > LISTED_FAILURES {
        *out += &format!(
            "  … and {} more (all in --format json)\n",
            failures.len() - LISTED_FAILURES
        );
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The results as aligned text.
pub fn render_table(source: &str, v: &Validation) -> String {
    let mut out = format!(
        "validation of {source}: {}, {}\n\
         every fold and resample learns the encoding and fits the model again\n",
        plural(v.n, "observation"),
        plural(v.events, "event"),
    );
    if let Some(cv) = &v.cross_validation {
        out += &format!(
            "\n{}-fold stratified cross-validation (seed {}): {} evaluated, {} failed\n",
            v.folds, v.seed, cv.evaluated_folds, cv.failed_folds
        );
        out += &format!("  {:<24}{:>10}{:>10}\n", "measure", "mean", "sd");
        let rows: [&MeanSd; 5] = [
            &cv.auc,
            &cv.dxy,
            &cv.brier,
            &cv.calibration_slope,
            &cv.calibration_intercept,
        ];
        for (name, m) in MEASURES.iter().zip(rows) {
            out += &format!("  {name:<24}{:>10}{:>10}\n", number(m.mean), number(m.sd));
        }
        if cv.unscored_rows > 0 {
            out += &format!(
                "  {} in {} could not be scored: their category level is missing from the \
                 training part\n",
                plural(cv.unscored_rows, "held-out row"),
                plural(cv.folds_with_unscored_rows, "fold"),
            );
        }
        list_failures(&mut out, "fold", &cv.failures);
    }
    if let Some(bv) = &v.bootstrap_validation {
        out += &format!(
            "\nbootstrap optimism correction ({}, seed {}): {} evaluated, {} failed\n",
            plural(v.bootstrap, "resample"),
            v.seed,
            bv.evaluated_resamples,
            bv.failed_resamples
        );
        out += &format!(
            "  {:<24}{:>10}{:>10}{:>11}\n",
            "measure", "apparent", "optimism", "corrected"
        );
        let rows: [&Corrected; 5] = [
            &bv.auc,
            &bv.dxy,
            &bv.brier,
            &bv.calibration_slope,
            &bv.calibration_intercept,
        ];
        for (name, c) in MEASURES.iter().zip(rows) {
            out += &format!(
                "  {name:<24}{:>10}{:>10}{:>11}\n",
                number(c.apparent),
                number(c.optimism),
                number(c.corrected)
            );
        }
        if bv.unscored_rows > 0 {
            out += &format!(
                "  {} of the original data could not be scored (summed over {}): their \
                 category level is missing from the resample\n",
                plural(bv.unscored_rows, "row"),
                plural(bv.resamples_with_unscored_rows, "resample"),
            );
        }
        list_failures(&mut out, "resample", &bv.failures);
    }
    out
}
