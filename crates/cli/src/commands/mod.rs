//! One module per subcommand: its arguments and how its results are printed.

pub mod advise;
pub mod check;
pub mod completions;
pub mod fit;
pub mod score;
pub mod scorecard;
pub mod simulate;
pub mod summary;

use recontact_scoring::FitError;

use crate::Failure;

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
        _ => Failure::Data(error.to_string()),
    }
}
