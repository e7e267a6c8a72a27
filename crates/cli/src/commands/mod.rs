//! One module per subcommand: its arguments and how its results are printed.

pub mod advise;
pub mod anova;
pub mod check;
pub mod compare;
pub mod completions;
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
        _ => Failure::Data(error.to_string()),
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
