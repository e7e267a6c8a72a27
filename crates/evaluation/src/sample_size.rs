//! Minimum sample size for developing a logistic prediction model, by the criteria of
//! Riley et al. (Statistics in Medicine 2019, Part II; BMJ 2020), as R's `pmsampsize`
//! computes them for a binary outcome (`type = "b"`).
//!
//! Three criteria, each giving a sample size; the largest wins:
//!
//! 1. expected uniform shrinkage of the predictor effects at least `S` (default 0.9):
//!    `n = P / ((S − 1) ln(1 − R²cs / S))`;
//! 2. a difference of at most 0.05 between apparent and adjusted Nagelkerke R²: the same
//!    formula with `S = R²cs / (R²cs + 0.05 · max R²cs)`, where
//!    `max R²cs = 1 − exp(2 (φ ln φ + (1 − φ) ln(1 − φ)))` is the largest Cox–Snell R²
//!    possible at outcome proportion φ;
//! 3. the overall risk estimated within ±0.05 (95%): `n = (1.96 / 0.05)² φ (1 − φ)`.
//!
//! Each n is rounded up. See `docs/evaluation.md` for the derivation of the worked example.

use serde::Serialize;
use thiserror::Error;

/// Why a sample size could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SampleSizeError {
    /// No candidate predictor parameters.
    #[error("the number of candidate predictor parameters must be at least 1")]
    NoParameters,
    /// The anticipated outcome proportion is not strictly between 0 and 1.
    #[error("the outcome prevalence must lie in (0, 1), got {0}")]
    Prevalence(f64),
    /// The anticipated Cox–Snell R² is not strictly between 0 and 1.
    #[error("the Cox-Snell R-squared must lie in (0, 1), got {0}")]
    RSquared(f64),
    /// The anticipated Cox–Snell R² exceeds what the prevalence allows.
    #[error("the Cox-Snell R-squared {r2cs} exceeds its maximum {max} at this prevalence")]
    RSquaredAboveMaximum {
        /// The anticipated value.
        r2cs: f64,
        /// The largest value possible at the prevalence.
        max: f64,
    },
    /// The target shrinkage is not above R²cs and below 1, so criterion 1 is undefined.
    #[error("the target shrinkage must lie in (R-squared, 1), got {0}")]
    Shrinkage(f64),
}

/// How intermediate quantities are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// No rounding before the final ceiling of each n (the published formulas).
    Exact,
    /// As `pmsampsize` 1.0.x does: max R²cs rounded to 2 decimals and criterion 2's
    /// shrinkage to 3 decimals before the sample size is computed from them.
    Pmsampsize,
}

/// Settings of [`riley_with`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RileyOptions {
    /// Target expected shrinkage of criterion 1 (0.9 in Riley et al. and `pmsampsize`).
    pub shrinkage: f64,
    /// Rounding of intermediate quantities.
    pub rounding: Rounding,
}

impl Default for RileyOptions {
    fn default() -> Self {
        RileyOptions {
            shrinkage: 0.9,
            rounding: Rounding::Exact,
        }
    }
}

/// The sample size one criterion asks for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criterion {
    /// Minimum number of participants (rounded up).
    pub n: u64,
    /// Expected shrinkage attached to the criterion, as `pmsampsize` reports it (criterion
    /// 3, which is not about shrinkage, gets the larger of criteria 1 and 2).
    pub shrinkage: f64,
    /// Expected events, `n · prevalence` (not rounded).
    pub events: f64,
    /// Events per candidate predictor parameter (not rounded).
    pub epp: f64,
}

/// The minimum sample size and how each criterion contributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleSize {
    /// Candidate predictor parameters.
    pub parameters: usize,
    /// Anticipated outcome proportion.
    pub prevalence: f64,
    /// Anticipated Cox–Snell R².
    pub r2cs: f64,
    /// Largest Cox–Snell R² possible at the prevalence (rounded as the options say).
    pub max_r2cs: f64,
    /// The anticipated Nagelkerke R², `r2cs / max_r2cs`.
    pub nagelkerke_r2: f64,
    /// Criterion 1: small overfitting (expected shrinkage at least the target).
    pub criterion1: Criterion,
    /// Criterion 2: small optimism in the Nagelkerke R² (at most 0.05).
    pub criterion2: Criterion,
    /// Criterion 3: overall risk within ±0.05.
    pub criterion3: Criterion,
    /// The minimum sample size, the largest of the three.
    pub n: u64,
    /// Expected shrinkage at that size (the larger of criteria 1 and 2, as `pmsampsize`).
    pub shrinkage: f64,
    /// Expected events at that size, `n · prevalence`.
    pub events: f64,
    /// Events per candidate predictor parameter at that size.
    pub epp: f64,
}

/// Riley et al.'s minimum sample size for a binary outcome with the default target
/// shrinkage 0.9 and no intermediate rounding.
///
/// `parameters` is the number of candidate predictor parameters (not predictors),
/// `prevalence` the anticipated outcome proportion and `r2cs` the anticipated
/// (adjusted) Cox–Snell R² of the new model.
///
/// ```rust
/// use recontact_evaluation::sample_size::{riley, SampleSizeError};
///
/// // pmsampsize(type = "b", rsquared = 0.288, parameters = 24, prevalence = 0.174), the
/// // help page's example; numpy: 24 / ((0.9 - 1) * log(1 - 0.288 / 0.9)) = 622.31 -> 623,
/// // criterion 2 661.10 -> 662, criterion 3 (1.96 / 0.05)**2 * 0.174 * 0.826 = 220.85 -> 221
/// let size = riley(24, 0.174, 0.288)?;
/// assert_eq!((size.criterion1.n, size.criterion2.n, size.criterion3.n), (623, 662, 221));
/// assert_eq!(size.n, 662);
/// // numpy: 1 - exp(2 (0.174 log 0.174 + 0.826 log 0.826)) = 0.6032086677670352
/// assert!((size.max_r2cs - 0.603_208_667_767_035_2).abs() < 1e-15);
/// assert_eq!(riley(24, 1.2, 0.288), Err(SampleSizeError::Prevalence(1.2)));
/// # Ok::<(), SampleSizeError>(())
/// ```
pub fn riley(parameters: usize, prevalence: f64, r2cs: f64) -> Result<SampleSize, SampleSizeError> {
    riley_with(parameters, prevalence, r2cs, RileyOptions::default())
}

/// [`riley`] with a chosen target shrinkage and rounding convention.
///
/// ```rust
/// use recontact_evaluation::sample_size::{riley_with, RileyOptions, Rounding};
///
/// let options = RileyOptions { shrinkage: 0.9, rounding: Rounding::Pmsampsize };
/// let size = riley_with(24, 0.174, 0.288, options)?;
/// // pmsampsize 1.0.x rounds max R2cs to 0.60 and criterion 2's shrinkage to
/// // round(0.288 / (0.288 + 0.05 * 0.60), 3) = 0.906; numpy:
/// // 24 / ((0.906 - 1) * log(1 - 0.288 / 0.906)) = 667.41 -> 668 (its tests/test_bin.R)
/// assert_eq!((size.criterion2.shrinkage, size.n), (0.906, 668));
/// # Ok::<(), recontact_evaluation::sample_size::SampleSizeError>(())
/// ```
pub fn riley_with(
    parameters: usize,
    prevalence: f64,
    r2cs: f64,
    options: RileyOptions,
) -> Result<SampleSize, SampleSizeError> {
    if parameters == 0 {
        return Err(SampleSizeError::NoParameters);
    }
    if !(prevalence > 0.0 && prevalence < 1.0) {
        return Err(SampleSizeError::Prevalence(prevalence));
    }
    if !(r2cs > 0.0 && r2cs < 1.0) {
        return Err(SampleSizeError::RSquared(r2cs));
    }
    let target = options.shrinkage;
    if !(target > r2cs && target < 1.0) {
        return Err(SampleSizeError::Shrinkage(target));
    }
    let round = |x: f64, digits: i32| match options.rounding {
        Rounding::Exact => x,
        Rounding::Pmsampsize => {
            let scale = 10f64.powi(digits);
            (x * scale).round() / scale
        }
    };
    let phi = prevalence;
    // Null log-likelihood per observation of an intercept-only model.
    let null_per_obs = phi * phi.ln() + (1.0 - phi) * (1.0 - phi).ln();
    let max_r2cs = round(1.0 - (2.0 * null_per_obs).exp(), 2);
    if r2cs > max_r2cs {
        return Err(SampleSizeError::RSquaredAboveMaximum {
            r2cs,
            max: max_r2cs,
        });
    }
    let p = parameters as f64;
    let for_shrinkage = |s: f64| (p / ((s - 1.0) * (1.0 - r2cs / s).ln())).ceil() as u64;
    let criterion = |n: u64, shrinkage: f64| {
        let events = n as f64 * phi;
        Criterion {
            n,
            shrinkage,
            events,
            epp: events / p,
        }
    };

    let criterion1 = criterion(for_shrinkage(target), target);
    let s2 = round(r2cs / (r2cs + 0.05 * max_r2cs), 3);
    let criterion2 = criterion(for_shrinkage(s2), s2);
    let shrinkage = target.max(s2);
    let n3 = ((1.96f64 / 0.05).powi(2) * phi * (1.0 - phi)).ceil() as u64;
    let criterion3 = criterion(n3, shrinkage);
    let n = criterion1.n.max(criterion2.n).max(criterion3.n);
    let events = n as f64 * phi;
    Ok(SampleSize {
        parameters,
        prevalence,
        r2cs,
        max_r2cs,
        nagelkerke_r2: r2cs / max_r2cs,
        criterion1,
        criterion2,
        criterion3,
        n,
        shrinkage,
        events,
        epp: events / p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_impossible_inputs() {
        assert_eq!(riley(0, 0.2, 0.1), Err(SampleSizeError::NoParameters));
        assert_eq!(riley(5, 1.0, 0.1), Err(SampleSizeError::Prevalence(1.0)));
        assert_eq!(riley(5, 0.2, 0.0), Err(SampleSizeError::RSquared(0.0)));
        assert!(matches!(
            riley(5, 0.05, 0.5),
            Err(SampleSizeError::RSquaredAboveMaximum { .. })
        ));
        let options = RileyOptions {
            shrinkage: 0.2,
            rounding: Rounding::Exact,
        };
        assert_eq!(
            riley_with(5, 0.2, 0.3, options),
            Err(SampleSizeError::Shrinkage(0.2))
        );
    }
}
