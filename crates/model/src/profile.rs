//! Profile-likelihood confidence intervals: for each coefficient βⱼ, the values t where
//! 2·(ℓ_max − ℓ_profile(t)) = χ²₁(level), with ℓ_profile(t) the (penalised, for Firth)
//! log-likelihood maximised over the other coefficients with βⱼ held at t.
//!
//! Each side is found by bracketing (steps out from the estimate, doubling) and Brent's
//! method on the bracket; every evaluation is a constrained Newton fit warm-started from
//! the previous one. A side that does not close, or whose work exceeds the bound
//! [`MAX_PROFILE_FITS`], is reported as unbounded with a note saying why.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use crate::error::FitError;
use crate::fit::{newton, FittedModel, Problem, State};
use recontact_stats::distributions::chi_square_quantile;

/// How the confidence intervals of the coefficients are formed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalKind {
    /// estimate ± z · standard error.
    #[default]
    Wald,
    /// Where the profile (penalised) log-likelihood falls χ²₁(level)/2 below its maximum.
    Profile,
}

impl IntervalKind {
    /// The name written in model files and printed by `summary`.
    pub fn name(self) -> &'static str {
        match self {
            IntervalKind::Wald => "wald",
            IntervalKind::Profile => "profile",
        }
    }
}

/// One coefficient's profile-likelihood interval. A side that does not close is `None`
/// (JSON `null`): unbounded, with a note saying why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInterval {
    /// The design column's name.
    pub term: String,
    /// The lower limit, or `None` when the interval is unbounded below.
    pub low: Option<f64>,
    /// The upper limit, or `None` when the interval is unbounded above.
    pub high: Option<f64>,
    /// Why a side is unbounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Constrained fits at most per side of an interval (bracketing and root-finding together).
pub const MAX_PROFILE_FITS: usize = 100;

/// Doublings of the step out from the estimate before a side is called unbounded: the
/// last step is 2³⁰ Wald half-widths away.
const MAX_DOUBLINGS: usize = 30;

/// A side whose profile rises by less than this over a doubling of the distance has
/// levelled off below the threshold: the likelihood is flat out to infinity there.
const LEVELLED_OFF: f64 = 1e-7;

/// The profile intervals of every coefficient of a converged fit, on the original scale.
pub(crate) fn profile_intervals(
    problem: &Problem<'_>,
    fitted: &FittedModel,
    scaled_beta: &DVector<f64>,
    scales: &[f64],
) -> Result<Vec<ProfileInterval>, FitError> {
    let profiler = Profiler {
        problem,
        estimate: scaled_beta,
        maximum: problem.evaluate(scaled_beta.clone())?.objective,
        threshold: chi_square_quantile(fitted.options.level, 1.0),
        options: &fitted.options,
    };
    let intervals = fitted
        .estimates
        .iter()
        .enumerate()
        .map(|(j, estimate)| {
            let step = estimate.std_error * scales[j] * profiler.threshold.sqrt();
            let mut notes = Vec::new();
            let mut side = |direction: f64| match profiler.bound(j, direction, step) {
                Ok(t) => Some(t / scales[j]),
                Err(note) => {
                    let which = if direction < 0.0 { "lower" } else { "upper" };
                    notes.push(format!("{which} limit unbounded: {note}"));
                    None
                }
            };
            let low = side(-1.0);
            let high = side(1.0);
            ProfileInterval {
                term: estimate.term.clone(),
                low,
                high,
                notes,
            }
        })
        .collect();
    Ok(intervals)
}

/// What profiling one fit needs.
struct Profiler<'a> {
    problem: &'a Problem<'a>,
    /// The estimate, on the scaled design.
    estimate: &'a DVector<f64>,
    /// The (penalised) log-likelihood at the estimate.
    maximum: f64,
    /// χ²₁(level).
    threshold: f64,
    options: &'a crate::fit::FitOptions,
}

impl Profiler<'_> {
    /// 2·(ℓ_max − ℓ_profile(t)) − χ²₁ with βⱼ = t, and the maximising coefficients, from
    /// the warm start `from`; an error names why the constrained fit failed.
    fn excess(&self, j: usize, t: f64, from: &DVector<f64>) -> Result<(f64, DVector<f64>), String> {
        let mut start = from.clone();
        start[j] = t;
        let free: Vec<usize> = (0..start.len()).filter(|&k| k != j).collect();
        let evaluate = |beta: DVector<f64>| Ok(self.state_or_worst(beta));
        let state = if free.is_empty() {
            self.problem.evaluate(start).map_err(|e| e.to_string())?
        } else {
            let solution =
                newton(&evaluate, start, &free, self.options).map_err(|e| e.to_string())?;
            if !solution.converged {
                return Err(format!(
                    "the fit with the coefficient held at {t} did not converge in {} \
                     iterations",
                    solution.iterations
                ));
            }
            solution.state
        };
        let excess = 2.0 * (self.maximum - state.objective) - self.threshold;
        if excess.is_nan() {
            return Err(format!("the profile log-likelihood at {t} is not a number"));
        }
        Ok((excess, state.beta))
    }

    /// The state at `beta`, or one that Newton's step-halving treats as worse than any
    /// other when it cannot be evaluated (a Firth information that is singular that far
    /// out): a NaN objective makes the step shrink; a NaN gradient at the start of a fit
    /// stops it with an error.
    fn state_or_worst(&self, beta: DVector<f64>) -> State {
        match self.problem.evaluate(beta.clone()) {
            Ok(state) => state,
            Err(_) => {
                let p = beta.len();
                State {
                    beta,
                    largest_logit: f64::INFINITY,
                    log_likelihood: f64::NAN,
                    objective: f64::NAN,
                    gradient: DVector::from_element(p, f64::NAN),
                    information: nalgebra::DMatrix::from_element(p, p, f64::NAN),
                }
            }
        }
    }

    /// The limit on the side `direction` (−1 or +1) of coefficient `j` (scaled), starting
    /// `step` away; an error says why the side does not close.
    fn bound(&self, j: usize, direction: f64, step: f64) -> Result<f64, String> {
        let mut fits = 0usize;
        let mut warm = self.estimate.clone();
        let mut inside = (self.estimate[j], -self.threshold);
        let mut distance = step;
        let outside = loop {
            let t = self.estimate[j] + direction * distance;
            fits += 1;
            let (excess, beta) = self.excess(j, t, &warm)?;
            if excess > 0.0 {
                break (t, excess);
            }
            let risen = excess - inside.1;
            if fits > 3 && risen < LEVELLED_OFF {
                return Err(format!(
                    "the profile log-likelihood levels off within the threshold as the \
                     coefficient grows (still {:.3e} short of it at {t})",
                    -excess
                ));
            }
            if fits > MAX_DOUBLINGS {
                return Err(format!(
                    "the profile log-likelihood stays within the threshold out to {t}"
                ));
            }
            inside = (t, excess);
            warm = beta;
            distance *= 2.0;
        };
        let tolerance = 1e-12 * (self.estimate[j].abs() + step);
        let mut evaluate = |t: f64| {
            fits += 1;
            if fits > MAX_PROFILE_FITS {
                return Err(format!(
                    "the limit was not found within {MAX_PROFILE_FITS} constrained fits"
                ));
            }
            let (excess, beta) = self.excess(j, t, &warm)?;
            warm = beta;
            Ok(excess)
        };
        brent(&mut evaluate, inside, outside, tolerance)
    }
}

/// A root of `f` between `a` and `b` (where f has opposite signs, given with them), by
/// Brent's method: inverse quadratic interpolation or the secant while they shrink the
/// bracket fast enough, bisection otherwise. `f` bounds its own work by failing.
fn brent(
    f: &mut dyn FnMut(f64) -> Result<f64, String>,
    (mut a, mut fa): (f64, f64),
    (mut b, mut fb): (f64, f64),
    tolerance: f64,
) -> Result<f64, String> {
    let (mut c, mut fc) = (a, fa);
    let mut step = b - a;
    let mut previous_step = step;
    loop {
        if (fb > 0.0) == (fc > 0.0) {
            (c, fc) = (a, fa);
            step = b - a;
            previous_step = step;
        }
        if fc.abs() < fb.abs() {
            (a, fa) = (b, fb);
            (b, fb) = (c, fc);
            (c, fc) = (a, fa);
        }
        let slack = 2.0 * f64::EPSILON * b.abs() + 0.5 * tolerance;
        let half = 0.5 * (c - b);
        if half.abs() <= slack || fb == 0.0 {
            return Ok(b);
        }
        if previous_step.abs() >= slack && fa.abs() > fb.abs() {
            let (p, q) = interpolation(a, fa, b, fb, c, fc, half);
            if 2.0 * p < (3.0 * half * q - (slack * q).abs()).min((previous_step * q).abs()) {
                previous_step = step;
                step = p / q;
            } else {
                step = half;
                previous_step = half;
            }
        } else {
            step = half;
            previous_step = half;
        }
        (a, fa) = (b, fb);
        b += if step.abs() > slack {
            step
        } else {
            slack.copysign(half)
        };
        fb = f(b)?;
    }
}

/// The step p/q (with p ≥ 0) to the root of the secant through (a, b), or of the inverse
/// quadratic through (a, b, c) when the three differ.
fn interpolation(a: f64, fa: f64, b: f64, fb: f64, c: f64, fc: f64, half: f64) -> (f64, f64) {
    let s = fb / fa;
    let (p, q) = if a == c {
        (2.0 * half * s, 1.0 - s)
    } else {
        let (ratio_a, ratio_b) = (fa / fc, fb / fc);
        (
            s * (2.0 * half * ratio_a * (ratio_a - ratio_b) - (b - a) * (ratio_b - 1.0)),
            (ratio_a - 1.0) * (ratio_b - 1.0) * (s - 1.0),
        )
    };
    if p > 0.0 {
        (p, -q)
    } else {
        (-p, q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_a_cubic_root_to_the_tolerance() {
        // x³ − 2x − 5 = 0 has its real root at 2.0945514815423265 (Newton's classic).
        let mut calls = 0;
        let mut f = |x: f64| {
            calls += 1;
            Ok(x * x * x - 2.0 * x - 5.0)
        };
        let root = brent(&mut f, (2.0, -1.0), (3.0, 16.0), 1e-14).unwrap();
        assert!((root - 2.094_551_481_542_326_5).abs() < 1e-13, "{root}");
        assert!(calls < 20, "{calls} evaluations");
    }

    #[test]
    fn a_bound_whose_constrained_fit_does_not_converge_is_reported_with_its_reason() {
        use crate::fit::{FitOptions, PerRow};
        use nalgebra::DMatrix;
        let values = [0.5, 1.5, -0.3, 2.2, 0.9, -1.1, 1.7, 0.1, -0.6, 1.2];
        let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
        let x = DMatrix::from_fn(10, 2, |i, j| if j == 0 { 1.0 } else { values[i] });
        let problem = Problem {
            x: &x,
            y: &y,
            w: PerRow::All(1.0),
            offset: PerRow::All(0.0),
            penalty: None,
            firth: false,
        };
        let options = FitOptions::default();
        let evaluate = |beta| problem.evaluate(beta);
        let solution = newton(&evaluate, DVector::zeros(2), &[0, 1], &options).unwrap();
        assert!(solution.converged);
        let estimate = solution.state.beta.clone();
        let mut profiler = Profiler {
            problem: &problem,
            estimate: &estimate,
            maximum: solution.state.objective,
            threshold: chi_square_quantile(0.95, 1.0),
            options: &options,
        };
        assert!(profiler.bound(1, 1.0, 1.0).is_ok());
        let starved = FitOptions {
            max_iterations: 1,
            ..options
        };
        profiler.options = &starved;
        let reason = profiler.bound(1, 1.0, 1.0).unwrap_err();
        assert!(
            reason.contains("did not converge in 1 iterations"),
            "{reason}"
        );
    }

    #[test]
    fn brent_passes_on_the_failure_of_an_evaluation() {
        let mut f = |_: f64| Err("no".to_string());
        assert_eq!(
            brent(&mut f, (0.0, -1.0), (1.0, 1.0), 1e-12),
            Err("no".into())
        );
    }
}
