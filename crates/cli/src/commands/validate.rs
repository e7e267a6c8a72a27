//! `recontact validate`: cross-validated and optimism-corrected performance of the whole
//! modelling procedure (encoding and fit repeated in every fold and resample).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use recontact_scoring::progress;
use recontact_scoring::validate::{
    validate_reporting, Corrected, MeanSd, ResampleFailure, ValidateError, Validation,
    ValidationOptions, DEFAULT_BOOTSTRAP, DEFAULT_FOLDS, DEFAULT_SEED, DEFAULT_STABILITY_THRESHOLD,
};

use super::{bounded, open_unit};
use crate::output;
use crate::progress::Progress;
use crate::report::figure::{self, FigurePath};
use crate::report::validation_plots::{calibration_curve_svg, stability_svg};
use crate::Failure;

use super::conventions::{plural, DataArg, OutArg};
use super::spec_args::{read_data, FitOptionArgs, SpecArgs};

/// Estimate how well the modelling procedure predicts new data: stratified k-fold
/// cross-validation and bootstrap optimism correction of AUC, Dxy, Brier score,
/// calibration slope and calibration intercept; from the same resamples, the calibration
/// curve corrected for overfitting (as rms's calibrate) and the stability of the
/// predictions (Riley & Collins 2023).
///
/// Every fold and resample learns the encoding (levels, knots) and fits again. Without
/// --spec or term flags, the default re-contact spec is used. Results depend on the seed
/// only, never on the number of threads (RAYON_NUM_THREADS).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact validate data/recontact_outcomes.csv\n  \
recontact validate my.csv --spec my_spec.toml --folds 5 --bootstrap 500 --seed 7\n  \
recontact validate my_outcomes.csv --plot calibration.svg --stability-plot stability.svg --stability-threshold 0.2\n  \
recontact validate my.csv --outcome y --numeric age --categorical region --format json -o validation.json")]
pub struct Args {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    out: OutArg,
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
    /// Threshold of the classification instability index: an individual is classified
    /// positive when its predicted risk is at least T.
    #[arg(long, value_name = "T", default_value_t = DEFAULT_STABILITY_THRESHOLD, value_parser = open_unit)]
    stability_threshold: f64,
    /// Write the overfitting-corrected calibration curve (apparent, bias-corrected,
    /// ideal) to this file: its extension chooses SVG, PNG or PDF.
    #[arg(long, value_name = "FILE.svg|png|pdf", value_parser = figure::parse_path)]
    plot: Option<FigurePath>,
    /// Write the stability figure (prediction, calibration and MAPE instability) to this
    /// file: its extension chooses SVG, PNG or PDF.
    #[arg(long, value_name = "FILE.svg|png|pdf", value_parser = figure::parse_path)]
    stability_plot: Option<FigurePath>,
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
    /// JSON with `cross_validation`, `bootstrap_validation`, `calibration_curve` and
    /// `stability`.
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
    let mut inputs = vec![("", args.data.path())];
    inputs.extend(args.model_spec.file().map(|s| ("--spec", s)));
    // The table or JSON goes to --out or standard output, so no figure may be there too.
    let mut outputs = vec![args.out.entry()];
    outputs.extend(args.plot.as_ref().map(|p| ("--plot", p.path.as_path())));
    outputs.extend(
        args.stability_plot
            .as_ref()
            .map(|p| ("--stability-plot", p.path.as_path())),
    );
    output::check_distinct(&inputs, &outputs)?;
    if (args.plot.is_some() || args.stability_plot.is_some()) && args.bootstrap == 0 {
        return Err(Failure::Usage(
            "--plot and --stability-plot draw results of the bootstrap: they need \
             --bootstrap 1 or more"
                .into(),
        ));
    }
    let (_, spec) = args.model_spec.load()?;
    let data = read_data(args.data.path(), &spec, args.drop_invalid, args.quiet)?;
    // Wald intervals play no part in validation; the level only has to be valid.
    let options = args.fitting.options(0.95);
    let settings = ValidationOptions {
        folds: args.folds,
        bootstrap: args.bootstrap,
        seed: args.seed,
        stability_threshold: args.stability_threshold,
    };
    let result = validate_with_progress(&spec, &data, options, settings, args.quiet)
        .map_err(|e| failure(&data.source_name, e))?;
    // Files first: a run that cannot write them fails before printing a result.
    write_figures(&args, &data.source_name, &result)?;
    let text = match args.format {
        Format::Table => render_table(&data.source_name, &result),
        Format::Json => {
            serde_json::to_string_pretty(&result).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    args.out.write(text.as_bytes())
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

/// Draws and writes the figures asked for, all or none.
fn write_figures(args: &Args, source: &str, result: &Validation) -> Result<(), Failure> {
    let name = Path::new(source)
        .file_name()
        .map_or_else(|| source.to_string(), |n| n.to_string_lossy().into_owned());
    let mut files = Vec::new();
    if let Some(path) = &args.plot {
        let Some(curve) = &result.calibration_curve else {
            let reason = result.calibration_curve_unavailable.as_deref();
            return Err(Failure::Data(format!(
                "{source}: no calibration curve to draw for --plot: {}",
                reason.unwrap_or("no resample could be evaluated")
            )));
        };
        let title = format!(
            "Calibration corrected for overfitting: {name}, B = {}",
            result.bootstrap
        );
        let svg = calibration_curve_svg(curve, &title).map_err(draw_failure)?;
        files.push(figure::write(path, &svg)?);
    }
    if let Some(path) = &args.stability_plot {
        let Some(stability) = &result.stability else {
            return Err(Failure::Data(format!(
                "{source}: no stability results to draw for --stability-plot: no resample \
                 could be evaluated"
            )));
        };
        let svg = stability_svg(stability, result.calibration_curve.as_ref(), &name)
            .map_err(draw_failure)?;
        files.push(figure::write(path, &svg)?);
    }
    output::commit_all(files)
}

fn draw_failure(e: String) -> Failure {
    Failure::Io(format!("cannot draw the figure: {e}"))
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
    render_curve_and_stability(&mut out, v);
    out
}

/// The calibration-curve errors and the stability measures as text.
fn render_curve_and_stability(out: &mut String, v: &Validation) {
    if let Some(c) = &v.calibration_curve {
        *out += &format!(
            "\ncalibration curve corrected for overfitting (lowess, as rms calibrate; \
             n = {} within the grid)\n",
            c.observations
        );
        *out += &format!(
            "  {:<34}{:>10}\n",
            "mean absolute error",
            number(c.mean_absolute_error)
        );
        *out += &format!(
            "  {:<34}{:>10}\n",
            "mean squared error",
            number(c.mean_squared_error)
        );
        *out += &format!(
            "  {:<34}{:>10}\n",
            "0.9 quantile of absolute error",
            number(c.quantile_90_absolute_error)
        );
    } else if let Some(reason) = &v.calibration_curve_unavailable {
        *out +=
            &format!("\ncalibration curve corrected for overfitting: not available: {reason}\n");
    }
    if let Some(s) = &v.stability {
        *out += &format!(
            "\nstability over {} (Riley & Collins)\n",
            plural(s.resamples_used, "bootstrap model")
        );
        *out += &format!(
            "  {:<34}{:>10}\n",
            "mean absolute prediction error",
            number(s.mape)
        );
        *out += &format!(
            "  {:<34}{:>10}\n",
            "largest individual MAPE",
            number(s.max_individual_ape)
        );
        *out += &format!(
            "  {:<34}{:>10}\n",
            format!("classification instability at {}", s.threshold),
            number(s.classification_instability)
        );
    }
}
