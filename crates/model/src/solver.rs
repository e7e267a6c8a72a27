//! The one Newton–Raphson driver behind every logistic fit: the model fit (in memory and
//! by passes over a source), its null model and profile likelihoods, the calibration
//! intercept and slope, and the recalibrations of an update.
//!
//! An [`Objective`] gives, at a coefficient vector, a [`Point`]: the objective (a
//! log-likelihood, possibly penalised), its gradient and its information (the negative
//! Hessian). [`maximize`] iterates Newton steps over the coefficients it is told are
//! free, the others held at their starting values:
//!
//! - the step solves information · step = gradient by Cholesky; an information that is
//!   not positive definite is either solved by singular value decomposition (its
//!   iterations are listed in [`Solution::pseudo_inverse_steps`]) or refused, as
//!   [`Settings::indefinite`] says; a non-finite information or gradient is refused;
//! - a step that lowers the objective by more than rounding ([`ROUNDING_SLACK`] of its
//!   size) is halved, at most [`MAX_HALVINGS`] times; when no fraction of it helps the
//!   iterations stop, converged if the gradient part of the rule holds;
//! - [`Settings::convergence`] says when to stop, tested at the start and after each step.
//!
//! [`Logistic`] is the objective of a design held in memory; [`log_likelihood`] and
//! [`logistic_terms`] give the one stable form of Σ wᵢ (yᵢ ηᵢ − ln(1 + e^ηᵢ)) that every
//! objective sums.
//!
//! # Example
//!
//! A weighted logistic regression with an offset and an L2 penalty λ = 0.5 on the slope
//! (not the intercept). Reference: statsmodels 0.15,
//! `GLM(y, X, family=Binomial(), freq_weights=w, offset=o).fit_regularized(alpha=[0, 0.5 / 8],
//! L1_wt=0, cnvrg_tol=1e-12)` (its penalty is divided by the 8 rows, not by Σ w) gives
//! (−0.479859, 0.425428), within 1e-5 of the root of the penalised score equations,
//! (−0.4798524, 0.4254280), which the example checks.
//!
//! ```rust
//! use nalgebra::{DMatrix, DVector};
//! use recontact_model::solver::{maximize, Logistic, Settings};
//!
//! let slope = [-1.5, -0.8, -0.3, 0.0, 0.4, 0.9, 1.3, 2.0];
//! let x = DMatrix::from_fn(8, 2, |i, j| if j == 0 { 1.0 } else { slope[i] });
//! let y = [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
//! let w = [1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0];
//! let o = [0.1, -0.2, 0.0, 0.3, -0.1, 0.2, 0.0, -0.3];
//! let problem = Logistic::new(&x, &y)?
//!     .with_weights(&w)?
//!     .with_offset(&o)?
//!     .with_l2(0.5, true)?;
//! let solution = maximize(&problem, DVector::zeros(2), &[0, 1], &Settings::default())?;
//! assert!(solution.converged);
//! let beta = &solution.point.beta;
//! assert!((beta[0] - -0.479_852_4).abs() < 1e-7, "{beta}");
//! assert!((beta[1] - 0.425_428_0).abs() < 1e-7, "{beta}");
//! assert!((beta[0] - -0.479_859).abs() < 1e-5 && (beta[1] - 0.425_428).abs() < 1e-5);
//! // The penalised score equations: Σ wᵢ (yᵢ − pᵢ) xᵢ = λ β (no penalty on the intercept).
//! for j in 0..2 {
//!     let score: f64 = (0..8)
//!         .map(|i| {
//!             let p = 1.0 / (1.0 + (-(beta[0] + beta[1] * slope[i] + o[i])).exp());
//!             w[i] * (y[i] - p) * x[(i, j)]
//!         })
//!         .sum();
//!     let pull = if j == 0 { 0.0 } else { 0.5 * beta[j] };
//!     assert!((score - pull).abs() < 1e-9, "{score} against {pull}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use nalgebra::{DMatrix, DVector};
use thiserror::Error;

use crate::error::FitError;

mod logistic;

pub(crate) use logistic::{
    add_penalty, add_to, cross_product_upper, weighted_cross_product, BlockSums, Penalty, PerRow,
    ROWS_PER_BLOCK,
};
pub use logistic::{Logistic, LogisticPoint};

/// A step that lowers the objective by more than this times max(1, |objective|) is
/// halved: smaller decreases are rounding in the sums, not overshooting.
pub const ROUNDING_SLACK: f64 = 1e-13;

/// Halvings of a step at most: the last tries 2⁻³⁰ ≈ 1e-9 of it.
pub const MAX_HALVINGS: usize = 30;

/// The probability 1 / (1 + e^−η) and the log-partition ln(1 + e^η) of a linear
/// predictor, from one exponential e^−|η|: the terms of every logistic log-likelihood
/// here, a row contributing w (y η − ln(1 + e^η)).
///
/// The probability equals [`recontact_stats::distributions::logistic`] exactly. The
/// log-partition is e^η below −37, max(η, 0) + ln(1 + e^−|η|) up to 18, η + e^−η up to
/// 33.3 and η beyond (each exact to double precision), so no η overflows; it equals
/// [`recontact_stats::distributions::log1p_exp`] to rounding. One exponential, not two,
/// because every pass of every fit needs both at every row.
///
/// ```rust
/// use recontact_model::solver::logistic_terms;
///
/// let (p, log_partition) = logistic_terms(0.0);
/// assert_eq!(p, 0.5);
/// assert!((log_partition - 2f64.ln()).abs() < 1e-16);
/// let (p, log_partition) = logistic_terms(800.0);
/// assert_eq!((p, log_partition), (1.0, 800.0));
/// let (p, log_partition) = logistic_terms(-800.0);
/// assert_eq!((p, log_partition), (0.0, 0.0));
/// ```
pub fn logistic_terms(eta: f64) -> (f64, f64) {
    let e = libm::exp(-eta.abs());
    let p = if eta >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    let log_partition = if eta <= -37.0 {
        e
    } else if eta <= 18.0 {
        eta.max(0.0) + libm::log1p(e)
    } else if eta <= 33.3 {
        eta + e
    } else {
        eta
    };
    (p, log_partition)
}

/// Σ wᵢ (yᵢ ηᵢ − ln(1 + e^ηᵢ)) over the rows, with the terms of [`logistic_terms`]
/// (unit weights when `w` is `None`).
///
/// # Panics
///
/// When `eta` or `w` has fewer values than `y`.
///
/// ```rust
/// use recontact_model::solver::log_likelihood;
///
/// // Two rows at η = 0 (each −ln 2), the second counted twice.
/// let l = log_likelihood(&[0.0, 1.0], Some(&[1.0, 2.0]), &[0.0, 0.0]);
/// assert!((l - -3.0 * 2f64.ln()).abs() < 1e-15);
/// ```
pub fn log_likelihood(y: &[f64], w: Option<&[f64]>, eta: &[f64]) -> f64 {
    y.iter()
        .enumerate()
        .map(|(i, &y)| w.map_or(1.0, |w| w[i]) * (y * eta[i] - logistic_terms(eta[i]).1))
        .sum()
}

/// What the driver reads of an objective at one coefficient vector.
pub trait Point {
    /// The coefficients.
    fn beta(&self) -> &DVector<f64>;
    /// The objective maximised (NaN when it cannot be computed there: a step to such a
    /// point is halved).
    fn objective(&self) -> f64;
    /// Its gradient.
    fn gradient(&self) -> &DVector<f64>;
    /// Its information: the negative Hessian (for a log-likelihood, expected or observed).
    fn information(&self) -> &DMatrix<f64>;
}

/// A concave objective of a coefficient vector.
pub trait Objective {
    /// What an evaluation gives (the objective, gradient and information, and whatever
    /// else the caller wants from the same pass).
    type Point: Point;
    /// Why an evaluation failed.
    type Error;
    /// The number of coefficients.
    fn dimension(&self) -> usize;
    /// The objective, gradient and information at `beta`.
    fn evaluate(&self, beta: DVector<f64>) -> Result<Self::Point, Self::Error>;
}

/// When the iterations have converged.
#[derive(Debug, Clone, PartialEq)]
pub enum Convergence {
    /// The relative change of the objective between iterations, |Δf| / (|f| + 0.05),
    /// below `tolerance`, the largest free gradient component below `gradient`, and,
    /// when `step` is given, the Newton step still to go within `step` × max(1, |βⱼ|) in
    /// every free component (an information that is not positive definite gives no step
    /// to measure, so the iterations go on). Never at the start, which has no change.
    Change {
        /// Relative change of the objective.
        tolerance: f64,
        /// Largest absolute free gradient component.
        gradient: f64,
        /// Relative size of the remaining step, if it is tested.
        step: Option<f64>,
    },
    /// Each free gradient component, in the order of the free coefficients, at most its
    /// bound in absolute value (tested at the start too).
    Score {
        /// One bound per free coefficient.
        bounds: Vec<f64>,
    },
}

impl Convergence {
    /// Whether the rule holds at `point` after a step that changed the objective by
    /// `relative_change` (infinite at the start).
    fn holds<P: Point>(&self, point: &P, free: &[usize], relative_change: f64) -> bool {
        match self {
            Convergence::Change {
                tolerance, step, ..
            } => {
                relative_change < *tolerance
                    && self.gradient_holds(point, free)
                    && step.is_none_or(|step| remaining_step_is_small(point, free, step))
            }
            Convergence::Score { .. } => self.gradient_holds(point, free),
        }
    }

    /// Whether the rule's condition on the gradient holds: what is left to ask when no
    /// step improves the objective.
    fn gradient_holds<P: Point>(&self, point: &P, free: &[usize]) -> bool {
        let gradient = point.gradient();
        match self {
            Convergence::Change {
                gradient: bound, ..
            } => free_vector(gradient, free).amax() < *bound,
            Convergence::Score { bounds } => free
                .iter()
                .zip(bounds)
                .all(|(&j, bound)| gradient[j].abs() <= *bound),
        }
    }
}

/// What to do with an information matrix that is not positive definite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indefinite {
    /// Solve the step by singular value decomposition (singular values below 1e-12
    /// dropped) and go on.
    PseudoInverse,
    /// Stop with [`SolverError::NotPositiveDefinite`].
    Refuse,
}

/// How [`maximize`] iterates.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Newton steps at most.
    pub max_iterations: usize,
    /// When to stop.
    pub convergence: Convergence,
    /// What to do with an information that is not positive definite.
    pub indefinite: Indefinite,
}

impl Default for Settings {
    /// The fit's defaults: 100 steps; relative change below 1e-10 and gradient below
    /// 1e-6; the pseudo-inverse for an indefinite information.
    fn default() -> Self {
        Settings {
            max_iterations: 100,
            convergence: Convergence::Change {
                tolerance: 1e-10,
                gradient: 1e-6,
                step: None,
            },
            indefinite: Indefinite::PseudoInverse,
        }
    }
}

/// Where the iterations ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution<P> {
    /// The last point accepted.
    pub point: P,
    /// Newton steps taken (counting a last one that no halving made acceptable).
    pub iterations: usize,
    /// Whether the convergence rule holds at `point`.
    pub converged: bool,
    /// The last full Newton step computed (zero when none was): the direction along
    /// which an unbounded objective grows.
    pub last_step: DVector<f64>,
    /// The relative change of the objective at the last step (0 when no fraction of the
    /// last step improved it, infinite when no step was taken).
    pub relative_change: f64,
    /// The iterations whose step was solved by the pseudo-inverse.
    pub pseudo_inverse_steps: Vec<usize>,
}

/// Why [`maximize`] stopped without a solution.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SolverError<E> {
    /// The objective could not be evaluated.
    #[error("{0}")]
    Objective(#[source] E),
    /// A vector or matrix has the wrong size for the objective.
    #[error("{what} has {found} values where the objective has {expected} coefficients")]
    Dimension {
        /// Which.
        what: &'static str,
        /// The objective's dimension.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A free coefficient's index is not below the dimension.
    #[error("free coefficient {index} is out of range for {dimension} coefficients")]
    FreeIndex {
        /// The index given.
        index: usize,
        /// The objective's dimension.
        dimension: usize,
    },
    /// The score rule has not one bound per free coefficient.
    #[error("{bounds} score bounds for {free} free coefficients")]
    ScoreBounds {
        /// Bounds given.
        bounds: usize,
        /// Free coefficients.
        free: usize,
    },
    /// The information or the gradient has a NaN or infinite value.
    #[error(
        "the information matrix or the gradient is not finite at iteration {iteration}: \
         the data's values are too extreme for this model"
    )]
    NotFinite {
        /// The iteration (1 for the first step).
        iteration: usize,
    },
    /// The information is not positive definite and [`Indefinite::Refuse`] was asked for.
    #[error("the information matrix is not positive definite at iteration {iteration}")]
    NotPositiveDefinite {
        /// The iteration.
        iteration: usize,
    },
    /// The singular value decomposition could not solve for the step.
    #[error("{reason}")]
    Decomposition {
        /// The iteration.
        iteration: usize,
        /// What the decomposition said.
        reason: &'static str,
    },
}

impl From<SolverError<FitError>> for FitError {
    fn from(error: SolverError<FitError>) -> FitError {
        match error {
            SolverError::Objective(error) => error,
            other => FitError::Singular(other.to_string()),
        }
    }
}

/// Maximises `objective` over the coefficients listed in `free`, the others held at
/// their values in `start`, by Newton's method with step-halving (see the module's
/// documentation for the rules and an example).
///
/// ```rust
/// use nalgebra::{DMatrix, DVector};
/// use recontact_model::solver::{maximize, Logistic, Settings};
///
/// // The intercept-only model: the estimate is the logit of the event rate, 1/4.
/// let x = DMatrix::from_element(4, 1, 1.0);
/// let problem = Logistic::new(&x, &[0.0, 0.0, 0.0, 1.0]).unwrap();
/// let solution = maximize(&problem, DVector::zeros(1), &[0], &Settings::default()).unwrap();
/// assert!((solution.point.beta[0] - (1.0f64 / 3.0).ln()).abs() < 1e-12);
/// ```
pub fn maximize<O>(
    objective: &O,
    start: DVector<f64>,
    free: &[usize],
    settings: &Settings,
) -> Result<Solution<O::Point>, SolverError<O::Error>>
where
    O: Objective + ?Sized,
{
    check_setup(objective.dimension(), &start, free, settings)?;
    let evaluate = |beta: DVector<f64>| {
        let point = objective.evaluate(beta).map_err(SolverError::Objective)?;
        check_point(objective.dimension(), &point)?;
        Ok(point)
    };
    let mut point = evaluate(start)?;
    let p = point.beta().len();
    let mut solution = Solution {
        point: (),
        iterations: 0,
        converged: false,
        last_step: DVector::zeros(p),
        relative_change: f64::INFINITY,
        pseudo_inverse_steps: Vec::new(),
    };
    let rule = &settings.convergence;
    loop {
        if rule.holds(&point, free, solution.relative_change) {
            solution.converged = true;
            return Ok(solution.with(point));
        }
        if solution.iterations == settings.max_iterations {
            return Ok(solution.with(point));
        }
        solution.iterations += 1;
        let iteration = solution.iterations;
        let (step, pseudo_inverse) = newton_step(&point, free, settings.indefinite, iteration)?;
        if pseudo_inverse {
            solution.pseudo_inverse_steps.push(iteration);
        }
        match halve(&evaluate, &point, &step)? {
            Some(next) => {
                solution.relative_change =
                    (next.objective() - point.objective()).abs() / (next.objective().abs() + 0.05);
                solution.last_step = step;
                point = next;
            }
            None => {
                // No fraction of the step improves the objective: the estimate is as good
                // as floating point allows, or the problem is degenerate; the gradient
                // tells which.
                solution.converged = rule.gradient_holds(&point, free);
                solution.last_step = step;
                solution.relative_change = 0.0;
                return Ok(solution.with(point));
            }
        }
    }
}

impl Solution<()> {
    /// The solution at `point`.
    fn with<P>(self, point: P) -> Solution<P> {
        Solution {
            point,
            iterations: self.iterations,
            converged: self.converged,
            last_step: self.last_step,
            relative_change: self.relative_change,
            pseudo_inverse_steps: self.pseudo_inverse_steps,
        }
    }
}

/// Refuses a start, free set or score rule that does not fit the objective.
fn check_setup<E>(
    dimension: usize,
    start: &DVector<f64>,
    free: &[usize],
    settings: &Settings,
) -> Result<(), SolverError<E>> {
    if start.len() != dimension {
        return Err(SolverError::Dimension {
            what: "the start",
            expected: dimension,
            found: start.len(),
        });
    }
    if let Some(&index) = free.iter().find(|&&j| j >= dimension) {
        return Err(SolverError::FreeIndex { index, dimension });
    }
    if let Convergence::Score { bounds } = &settings.convergence {
        if bounds.len() != free.len() {
            return Err(SolverError::ScoreBounds {
                bounds: bounds.len(),
                free: free.len(),
            });
        }
    }
    Ok(())
}

/// Refuses a point whose coefficients, gradient or information have the wrong size.
fn check_point<P: Point, E>(dimension: usize, point: &P) -> Result<(), SolverError<E>> {
    let information = point.information();
    let sizes = [
        ("a point's coefficients", point.beta().len()),
        ("a point's gradient", point.gradient().len()),
        ("a point's information rows", information.nrows()),
        ("a point's information columns", information.ncols()),
    ];
    match sizes.iter().find(|(_, found)| *found != dimension) {
        Some(&(what, found)) => Err(SolverError::Dimension {
            what,
            expected: dimension,
            found,
        }),
        None => Ok(()),
    }
}

/// The components of `vector` listed in `free`.
fn free_vector(vector: &DVector<f64>, free: &[usize]) -> DVector<f64> {
    DVector::from_fn(free.len(), |a, _| vector[free[a]])
}

/// The rows and columns of `matrix` listed in `free`.
fn free_matrix(matrix: &DMatrix<f64>, free: &[usize]) -> DMatrix<f64> {
    DMatrix::from_fn(free.len(), free.len(), |a, b| matrix[(free[a], free[b])])
}

/// The full Newton step from `point` (zero in the fixed coefficients) and whether it
/// needed the pseudo-inverse.
fn newton_step<P: Point, E>(
    point: &P,
    free: &[usize],
    indefinite: Indefinite,
    iteration: usize,
) -> Result<(DVector<f64>, bool), SolverError<E>> {
    let information = free_matrix(point.information(), free);
    let gradient = free_vector(point.gradient(), free);
    if information
        .iter()
        .chain(gradient.iter())
        .any(|v| !v.is_finite())
    {
        // A decomposition of non-finite numbers has no meaning (nalgebra's SVD panics).
        return Err(SolverError::NotFinite { iteration });
    }
    let (reduced, pseudo_inverse) = match (information.clone().cholesky(), indefinite) {
        (Some(cholesky), _) => (cholesky.solve(&gradient), false),
        (None, Indefinite::Refuse) => return Err(SolverError::NotPositiveDefinite { iteration }),
        (None, Indefinite::PseudoInverse) => {
            let solved = information
                .svd(true, true)
                .solve(&gradient, 1e-12)
                .map_err(|reason| SolverError::Decomposition { iteration, reason })?;
            (solved, true)
        }
    };
    let mut step = DVector::zeros(point.beta().len());
    for (a, &j) in free.iter().enumerate() {
        step[j] = reduced[a];
    }
    Ok((step, pseudo_inverse))
}

/// The point a step from `point` reaches: the full step unless it lowers the objective
/// (or makes it NaN), then halved until it does not, [`MAX_HALVINGS`] times at most;
/// `None` when no fraction of it helps.
fn halve<P: Point, E>(
    evaluate: &dyn Fn(DVector<f64>) -> Result<P, SolverError<E>>,
    point: &P,
    step: &DVector<f64>,
) -> Result<Option<P>, SolverError<E>> {
    let current = point.objective();
    let slack = ROUNDING_SLACK * current.abs().max(1.0);
    let worse = |next: &P| next.objective().is_nan() || next.objective() < current - slack;
    let mut next = evaluate(point.beta() + step)?;
    let mut scale = 1.0;
    for _ in 0..MAX_HALVINGS {
        if !worse(&next) {
            return Ok(Some(next));
        }
        scale *= 0.5;
        next = evaluate(point.beta() + step * scale)?;
    }
    Ok((!worse(&next)).then_some(next))
}

/// Whether the Newton step from `point` over the `free` coefficients is within
/// `tolerance` × max(1, |βⱼ|) in every component. An information matrix that is not
/// positive definite gives no step to measure, so the iterations go on.
fn remaining_step_is_small<P: Point>(point: &P, free: &[usize], tolerance: f64) -> bool {
    let gradient = free_vector(point.gradient(), free);
    let beta = point.beta();
    free_matrix(point.information(), free)
        .cholesky()
        .is_some_and(|cholesky| {
            let step = cholesky.solve(&gradient);
            step.iter()
                .zip(free)
                .all(|(d, &j)| d.abs() <= tolerance * beta[j].abs().max(1.0))
        })
}

/// Why a [`Logistic`] problem cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProblemError {
    /// A per-row (or per-column) input has the wrong length.
    #[error("{found} {what} where {expected} are needed")]
    Length {
        /// Which input.
        what: &'static str,
        /// The length needed.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A value is NaN or infinite.
    #[error("{what} {value} at position {row} is not finite")]
    NotFinite {
        /// Which input.
        what: &'static str,
        /// The row (or position) of the value.
        row: usize,
        /// The value.
        value: f64,
    },
    /// An outcome outside `[0, 1]`.
    #[error("outcome {value} at row {row} is not in [0, 1]")]
    Outcome {
        /// The row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A negative frequency weight.
    #[error("weight {value} at row {row} is negative")]
    NegativeWeight {
        /// The row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// An L2 penalty that is negative or not finite.
    #[error("the L2 penalty must be 0 or more and finite, got {0}")]
    Penalty(f64),
}
