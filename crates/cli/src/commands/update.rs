//! `recontact update`: recalibrate or revise a model on new outcome data.

use std::path::PathBuf;

use recontact_scoring::update::{update, Method, PriorStrength, UpdateOptions, UpdateReport};
use recontact_scoring::{read_dataset_for, sha256_hex, FitOptions, InvalidRows};

use super::conventions::{plural, DataArg};
use crate::output::{self, Output};
use crate::progress::Progress;
use crate::report::p_value;
use crate::{input, Failure};

/// Update a model on new outcome data, from recalibrating its intercept to
/// re-estimating every weight, or let the closed testing procedure choose.
///
/// Only the old model file is read, never its training data. See docs/updating.md.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact update new.csv --model old.json --out new.json\n  \
recontact update new.csv --model old.json --method slope --out new.json --format json\n  \
recontact update new.csv --model old.json --method prior --prior-factor 0.5 --out new.json\n  \
recontact update new.csv --model old.json --method extend --spec extended.toml --out new.json")]
pub struct Args {
    /// The model to update.
    #[arg(long, value_name = "OLD.json")]
    model: PathBuf,
    // The new outcome data (CSV), or `-` for standard input.
    #[command(flatten)]
    data: DataArg,
    /// The update: auto (closed testing), intercept, slope, refit, prior or extend.
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    method: MethodArg,
    /// An extended spec (the old terms plus new ones), for extend, or for auto to consider it.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Level of the closed testing procedure's likelihood-ratio tests.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true, value_parser = super::open_unit)]
    alpha: f64,
    /// For prior: precision = factor × inverse of the old covariance.
    #[arg(
        long,
        value_name = "F",
        default_value_t = 1.0,
        conflicts_with = "prior_sd",
        allow_negative_numbers = true,
        value_parser = super::positive
    )]
    prior_factor: f64,
    /// For prior: the same standard deviation for every coefficient instead.
    #[arg(long, value_name = "SD", allow_negative_numbers = true, value_parser = super::positive)]
    prior_sd: Option<f64>,
    /// Leave out rows with missing or invalid values and report them.
    #[arg(long)]
    drop_invalid: bool,
    /// Print nothing on standard error but errors: no progress, no message.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Where to write the updated model (atomically).
    #[arg(long, short = 'o', value_name = "NEW.json")]
    out: PathBuf,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// The update to make.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    /// Choose by the closed testing procedure.
    Auto,
    /// Recalibration in the large.
    Intercept,
    /// Logistic recalibration.
    Slope,
    /// Re-estimate every coefficient.
    Refit,
    /// Re-estimate, shrunk toward the old weights.
    Prior,
    /// Re-estimate with the terms of --spec.
    Extend,
}

/// How the report is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with chosen, tests, candidates, coefficients, calibration.
    Json,
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

fn render(report: &UpdateReport) -> String {
    let mut out = format!("Update chosen: {}\n", report.chosen.name());
    if !report.tests.is_empty() {
        out += "\nClosed testing procedure (likelihood-ratio tests)\n";
        out += &format!(
            "  {:<24} {:>10} {:>4} {:>10}\n",
            "comparison", "LR", "df", "p"
        );
        for t in &report.tests {
            out += &format!(
                "  {:<24} {:>10.3} {:>4} {:>10}\n",
                t.comparison,
                t.lr,
                t.df,
                p_value(t.p_value)
            );
        }
    }
    out += "\nLog-likelihood on the new data\n";
    for c in &report.candidates {
        out += &format!(
            "  {:<10} {:>14.4}  ({} estimated)\n",
            c.model,
            c.log_likelihood,
            plural(c.parameters, "parameter")
        );
    }
    let width = report
        .coefficients
        .iter()
        .map(|c| c.term.len())
        .max()
        .unwrap_or(4)
        .max(4);
    out += &format!(
        "\n{:<width$}  {:>10} {:>21}  {:>10} {:>21}\n",
        "term", "old", "old 95% CI", "new", "new 95% CI"
    );
    for c in &report.coefficients {
        let ci = |e: &Option<recontact_scoring::fit::Estimate>| {
            e.as_ref().map_or_else(
                || "-".to_string(),
                |e| format!("[{:.4}, {:.4}]", e.ci_low, e.ci_high),
            )
        };
        out += &format!(
            "{:<width$}  {:>10} {:>21}  {:>10} {:>21}\n",
            c.term,
            number(c.old.as_ref().map(|e| e.estimate)),
            ci(&c.old),
            number(c.new.as_ref().map(|e| e.estimate)),
            ci(&c.new)
        );
    }
    out += "\nCalibration on the new data      intercept (95% CI)              slope (95% CI)\n";
    for (name, cal) in [
        ("original", &report.calibration_original),
        ("updated", &report.calibration_updated),
    ] {
        out += &format!(
            "  {:<30} {:>8.4} [{:.4}, {:.4}]   {:>8.4} [{:.4}, {:.4}]\n",
            name,
            cal.intercept.estimate,
            cal.intercept.ci_low,
            cal.intercept.ci_high,
            cal.slope.estimate,
            cal.slope.ci_low,
            cal.slope.ci_high
        );
    }
    out += &format!("\nnew data: n = {}, events = {}\n", report.n, report.events);
    out
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut inputs = vec![("--model", args.model.as_path()), ("", args.data.path())];
    inputs.extend(args.spec.as_deref().map(|s| ("--spec", s)));
    // The report goes to standard output, so the model cannot.
    let outputs = [("", std::path::Path::new("-")), ("--out", &args.out)];
    output::check_distinct(&inputs, &outputs)?;
    let name = args.model.display().to_string();
    let (old, bytes) = super::summary::load_with_bytes(&args.model)?;

    let extension = match &args.spec {
        Some(path) => {
            let config = super::spec_args::read_spec_file(path)?;
            let named = |e: recontact_scoring::SpecError| {
                Failure::Usage(format!("{}: {e}", path.display()))
            };
            Some(config.check().map_err(named)?)
        }
        None => None,
    };
    let read_spec = match &extension {
        Some(spec) => spec.clone(),
        None => old
            .spec
            .clone()
            .check()
            .map_err(|e| Failure::Data(format!("{name}: {e}")))?,
    };
    let progress = Progress::spinner(args.quiet, "reading the new data");
    let input = input::open(args.data.path()).map_err(Failure::Io)?;
    let invalid = if args.drop_invalid {
        InvalidRows::Drop
    } else {
        InvalidRows::Fail
    };
    let data = read_dataset_for(
        &input.name,
        input.reader,
        &read_spec,
        invalid,
        Some(&old.encoding),
    )
    .map_err(super::fit_failure)?;

    let options = UpdateOptions {
        method: match args.method {
            MethodArg::Auto => Method::Auto,
            MethodArg::Intercept => Method::Intercept,
            MethodArg::Slope => Method::Slope,
            MethodArg::Refit => Method::Refit,
            MethodArg::Prior => Method::Prior,
            MethodArg::Extend => Method::Extend,
        },
        alpha: args.alpha,
        prior: match args.prior_sd {
            Some(sd) => PriorStrength::StandardDeviation(sd),
            None => PriorStrength::CovarianceFactor(args.prior_factor),
        },
        fit: FitOptions::default(),
    };
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(Failure::Usage(format!(
            "--alpha must lie in (0, 1), got {}",
            args.alpha
        )));
    }
    progress.stage("fitting the updated models");
    let updated = update(
        &old,
        &sha256_hex(&bytes),
        &data,
        extension.as_ref(),
        options,
    )
    .map_err(|e| match e {
        recontact_scoring::update::UpdateError::Fit { stage, source } => {
            Failure::Data(format!("{stage}: {}", super::fit_message(&source)))
        }
        other => Failure::Data(other.to_string()),
    })?;
    progress.finish();

    let target = args.out.display().to_string();
    let mut out = Output::open(Some(&args.out))?;
    std::io::Write::write_all(&mut out, updated.model.to_json().as_bytes())
        .map_err(|e| out.write_failure(e))?;
    out.commit()?;
    let text = match args.format {
        Format::Table => render(&updated.report),
        Format::Json => {
            serde_json::to_string_pretty(&updated.report)
                .map_err(|e| Failure::Data(e.to_string()))?
                + "\n"
        }
    };
    super::print(text.as_bytes())?;
    if !args.quiet {
        eprintln!("updated model written to {target}");
    }
    Ok(())
}
