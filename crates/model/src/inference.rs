//! The inference that follows a converged fit, when it is not the classical one: a robust
//! covariance in place of the inverse information, and profile-likelihood intervals.

use nalgebra::{DMatrix, DVector};

use crate::error::FitError;
use crate::fit::{estimates, FitOptions, FittedModel, Problem};
use crate::profile::{profile_intervals, IntervalKind};
use crate::robust::{fitted_probabilities, sandwich, ClusterSummary, Clusters, SandwichInput};

/// Refuses the combinations of options and data whose inference is not defined here
/// beyond what [`FitOptions::check`] refuses: a robust covariance with frequency weights
/// or with a prior, profile intervals of a prior-penalised fit.
pub(crate) fn check_inference_options(
    options: &FitOptions,
    has_weights: bool,
    has_prior: bool,
) -> Result<(), FitError> {
    let robust = !options.covariance_type.is_model();
    if robust && has_weights {
        return Err(FitError::RobustWithWeights(options.covariance_type));
    }
    if robust && has_prior {
        return Err(FitError::RobustWithPrior(options.covariance_type));
    }
    if options.interval == IntervalKind::Profile && has_prior {
        return Err(FitError::ProfileWithPrior);
    }
    Ok(())
}

/// The fit with its robust covariance (standard errors, z, p and Wald intervals
/// recomputed from it) and its profile intervals, as its options ask.
pub(crate) fn finish(
    mut fitted: FittedModel,
    problem: &Problem<'_>,
    scales: &[f64],
    clusters: Option<&Clusters>,
) -> Result<FittedModel, FitError> {
    let p = scales.len();
    let beta = fitted.coefficients();
    let scaled_beta = DVector::from_fn(p, |j, _| beta[j] * scales[j]);
    if !fitted.options.covariance_type.is_model() {
        let kind = fitted.options.covariance_type;
        let bread = DMatrix::from_fn(p, p, |a, b| {
            fitted.covariance[(a, b)] * scales[a] * scales[b]
        });
        let probabilities = fitted_probabilities(problem.x, &scaled_beta, |i| problem.offset.at(i));
        let input = SandwichInput {
            x: problem.x,
            y: problem.y,
            fitted: &probabilities,
            bread: &bread,
        };
        let scaled = sandwich(kind, &input, clusters)?;
        let covariance = DMatrix::from_fn(p, p, |a, b| scaled[(a, b)] / (scales[a] * scales[b]));
        let names = fitted.encoding.names();
        fitted.estimates = estimates(&names, &beta, &covariance, fitted.options.level);
        fitted.covariance = covariance;
        if kind == crate::robust::CovarianceType::Cluster {
            fitted.cluster = clusters.map(|c| ClusterSummary {
                column: c.column.clone(),
                clusters: c.count,
            });
        }
    }
    if fitted.options.interval == IntervalKind::Profile {
        let intervals = profile_intervals(problem, &fitted, &scaled_beta, scales)?;
        fitted.profile_intervals = Some(intervals);
    }
    Ok(fitted)
}
