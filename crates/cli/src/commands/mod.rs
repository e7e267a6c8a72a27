//! One module per subcommand: its arguments and how its results are printed.

pub mod advise;
pub mod anova;
pub mod check;
pub mod compare;
pub mod completions;
pub mod conventions;
pub mod engine_args;
pub mod evaluate;
pub mod export;
pub mod fit;
pub mod sample_size;
pub mod score;
pub mod scorecard;
pub mod simulate;
pub mod spec_args;
pub mod summary;
pub mod update;
pub mod validate;

use recontact_scoring::FitError;

use crate::output::Output;
use crate::Failure;

/// A parser of whole-number flags from `low` to `high`: every size a user can reach has
/// a bound, and a value beyond it is a usage error naming the range, not an allocation
/// that aborts.
pub fn bounded(low: u64, high: u64) -> impl clap::builder::TypedValueParser<Value = usize> {
    use clap::builder::TypedValueParser;
    clap::value_parser!(u64)
        .range(low..=high)
        .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

/// Parses a flag's number that must lie strictly between 0 and 1 (a level, a
/// probability), so that a bad value is a usage error (exit 2) naming the range.
pub fn open_unit(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| v > 0.0 && v < 1.0,
        "a number strictly between 0 and 1",
    )
}

/// Parses a flag's number that must be finite and greater than 0.
pub fn positive(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| v.is_finite() && v > 0.0,
        "a finite number greater than 0",
    )
}

/// Parses a flag's number that must be finite and 0 or more.
pub fn non_negative(text: &str) -> Result<f64, String> {
    number_where(
        text,
        |v| v.is_finite() && v >= 0.0,
        "a finite number, 0 or more",
    )
}

fn number_where(text: &str, allowed: impl Fn(f64) -> bool, what: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if allowed(v) => Ok(v),
        _ => Err(format!("expected {what}, got `{text}`")),
    }
}

/// The rows of `reader` (named `source_name`) read through `model`'s spec and encoding,
/// every row valid; a spec the model file holds that no longer checks names the model.
pub fn read_for_model<R: std::io::Read>(
    model: &recontact_scoring::Model,
    model_name: &str,
    source_name: &str,
    reader: R,
) -> Result<recontact_scoring::Dataset, Failure> {
    let spec = checked_model_spec(model, model_name)?;
    recontact_scoring::read_dataset_for(
        source_name,
        reader,
        &spec,
        recontact_scoring::InvalidRows::Fail,
        Some(&model.encoding),
    )
    .map_err(fit_failure)
}

/// The spec `model` holds, checked; one that no longer checks names the model file.
fn checked_model_spec(
    model: &recontact_scoring::Model,
    model_name: &str,
) -> Result<recontact_scoring::Spec, Failure> {
    model
        .spec
        .clone()
        .check()
        .map_err(|e| Failure::Data(format!("{model_name}: the model's specification: {e}")))
}

/// The outcome and `model`'s linear predictor for every row of `reader` (named
/// `source_name`), every row valid; a spec the model file holds that no longer checks
/// names the model.
pub fn predict_for_model<R: std::io::Read>(
    model: &recontact_scoring::Model,
    model_name: &str,
    source_name: &str,
    reader: R,
) -> Result<recontact_scoring::predict::SourcePredictions, Failure> {
    let spec = checked_model_spec(model, model_name)?;
    recontact_scoring::predict::predict_source(model, &spec, source_name, reader)
        .map_err(fit_failure_in(source_name))
}

/// A fitting error as this tool says it: the library's message, with the remedy named by
/// this tool's flags where the library names its options.
pub fn fit_message(error: &FitError) -> String {
    use recontact_scoring::error::FitOptionsError;
    match error {
        FitError::InvalidRowsCounted {
            rows,
            rows_read,
            reasons,
        } => {
            let counts: Vec<String> = reasons.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            format!(
                "{rows} of {rows_read} rows have invalid values ({}); rerun with --drop-invalid \
                 to leave them out and count them, or mend them",
                counts.join("; ")
            )
        }
        FitError::DesignTooLarge { rows, columns } => format!(
            "the design matrix of {rows} rows × {columns} columns needs {:.0} MiB, which cannot \
             be allocated here; use fewer terms or levels, or fit --streaming",
            error.design_mebibytes()
        ),
        FitError::Separation { terms, .. } => format!(
            "{} separation: the outcome is predicted perfectly by {}, so some estimates are \
             infinite; refit with --firth (bias-reduced) or --l2 <penalty>, or merge categories",
            error.separation_kind().unwrap_or_default(),
            terms.join(", ")
        ),
        FitError::NotConverged {
            iterations,
            relative_change,
            gradient_norm,
        } => format!(
            "did not converge in {iterations} iterations: last deviance change \
             {relative_change:e}, gradient norm {gradient_norm:e}; try more iterations, --l2, \
             or --firth"
        ),
        FitError::Options(FitOptionsError::RobustWithFirth(kind)) => format!(
            "a robust covariance ({}) is not defined for a Firth fit; use the model covariance \
             with --firth, or fit without --firth",
            kind.name()
        ),
        other => other.to_string(),
    }
}

/// Maps a fitting error to an exit: unreadable input is an I/O failure, the rest is data.
pub fn fit_failure(error: FitError) -> Failure {
    match &error {
        FitError::Data(errors)
            if errors
                .iter()
                .any(|e| matches!(e.problem, recontact_scoring::DataProblem::Io(_))) =>
        {
            Failure::Io(error.to_string())
        }
        FitError::Data(errors)
            if errors.len() >= recontact_scoring::data::MAX_LISTED
                && errors.iter().all(|e| e.line.is_some_and(|line| line > 1)) =>
        {
            Failure::Data(format!(
                "{error}\nstopped at the first {} problems; `recontact check` with the same \
                 spec or model lists them all with a count",
                errors.len()
            ))
        }
        _ => Failure::Data(fit_message(&error)),
    }
}

/// [`fit_failure`] for fitting the data read from `source_name`: an error about the
/// model as a whole (collinear terms, separation, no rows left) names the file it was
/// fitted on, as every error about a row does.
pub fn fit_failure_in(source_name: &str) -> impl Fn(FitError) -> Failure + '_ {
    move |error| match error {
        FitError::Data(_) => fit_failure(error),
        other => Failure::Data(format!("{source_name}: {}", fit_message(&other))),
    }
}

/// Writes a command's text to standard output; a closed pipe ends the run quietly.
///
/// Every command's results go through here or through [`Output`], which share one rule
/// for standard output: a broken pipe is [`Failure::Closed`], exit 0 and no message.
pub fn print(text: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = Output::stdout();
    stdout
        .write_all(text)
        .map_err(|e| stdout.write_failure(e))?;
    stdout.commit()
}

/// The model in `path`, or the embedded default model.
pub fn model_or_default(
    path: Option<&std::path::Path>,
) -> Result<recontact_scoring::Model, Failure> {
    match path {
        Some(path) => summary::load(path),
        None => recontact_domain::default_model().map_err(|e| Failure::Data(e.to_string())),
    }
}
