//! Maximum-likelihood fitting of the logistic model by Newton–Raphson (IRLS), with
//! optional L2 penalty or Firth's bias reduction, and the inference that follows.
//!
//! Numerics: every non-intercept design column is divided by its root mean square
//! before fitting, so columns on wildly different scales (a count next to a salary)
//! give a well-conditioned information matrix; estimates and covariance are mapped
//! back to the original scale at the end. The log-likelihood uses a stable softplus,
//! so no logit, however large, overflows.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::encoding::Encoding;
use crate::error::{Alias, FitError, FitOptionsError};
use crate::profile::{IntervalKind, ProfileInterval};
use crate::robust::{ClusterSummary, Clusters, CovarianceType};
pub(crate) use crate::solver::{
    add_penalty, add_to, cross_product_upper, weighted_cross_product, BlockSums,
    Logistic as Problem, LogisticPoint as State, Penalty, PerRow, ROWS_PER_BLOCK,
};
use crate::solver::{maximize, Convergence, Indefinite, Objective, Settings};
use crate::spec::Spec;
use recontact_stats::distributions::{chi_square_sf, normal_quantile, two_sided_normal_p};

/// Settings of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitOptions {
    /// L2 penalty λ on the coefficients (never the intercept): the fit maximises
    /// log-likelihood − λ/2 · Σ β². Zero for plain maximum likelihood.
    pub l2: f64,
    /// Firth's bias-reduced (Jeffreys-penalised) likelihood.
    pub firth: bool,
    /// Newton iterations at most.
    pub max_iterations: usize,
    /// Convergence: relative change of the (penalised) deviance between iterations.
    pub tolerance: f64,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Which covariance the standard errors, Wald intervals and every later use read
    /// (`model` when a model file predates the field).
    #[serde(default)]
    pub covariance_type: CovarianceType,
    /// Wald or profile-likelihood intervals (`wald` when a model file predates the field).
    #[serde(default)]
    pub interval: IntervalKind,
}

impl FitOptions {
    /// Refuses every value the fit cannot use, before any data are read: an L2 penalty
    /// that is negative or not finite, a confidence level outside (0, 1), a tolerance
    /// that is negative or not finite, no iterations, a robust covariance with
    /// Firth's penalty, profile intervals of an L2-penalised fit. Every fit calls it
    /// first; a caller may call it earlier, before reading the data.
    ///
    /// ```rust
    /// use recontact_model::error::FitOptionsError;
    /// use recontact_model::{CovarianceType, FitOptions};
    ///
    /// assert_eq!(FitOptions::default().check(), Ok(()));
    /// let bad = FitOptions { l2: f64::NAN, ..FitOptions::default() };
    /// assert!(matches!(bad.check(), Err(FitOptionsError::L2Penalty(_))));
    /// let bad = FitOptions { level: 1.0, ..FitOptions::default() };
    /// assert_eq!(bad.check(), Err(FitOptionsError::Level(1.0)));
    /// let bad = FitOptions { max_iterations: 0, ..FitOptions::default() };
    /// assert_eq!(bad.check(), Err(FitOptionsError::NoIterations));
    /// let bad = FitOptions {
    ///     firth: true,
    ///     covariance_type: CovarianceType::Hc1,
    ///     ..FitOptions::default()
    /// };
    /// assert_eq!(bad.check(), Err(FitOptionsError::RobustWithFirth(CovarianceType::Hc1)));
    /// ```
    pub fn check(&self) -> Result<(), FitOptionsError> {
        if !(self.l2 >= 0.0 && self.l2.is_finite()) {
            return Err(FitOptionsError::L2Penalty(self.l2));
        }
        check_level(self.level)?;
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return Err(FitOptionsError::Tolerance(self.tolerance));
        }
        if self.max_iterations == 0 {
            return Err(FitOptionsError::NoIterations);
        }
        if self.firth && !self.covariance_type.is_model() {
            return Err(FitOptionsError::RobustWithFirth(self.covariance_type));
        }
        if self.interval == IntervalKind::Profile && self.l2 > 0.0 {
            return Err(FitOptionsError::ProfileWithL2);
        }
        Ok(())
    }
}

/// A confidence level must lie strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<(), FitOptionsError> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(FitOptionsError::Level(level))
    }
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            l2: 0.0,
            firth: false,
            max_iterations: 100,
            tolerance: 1e-10,
            level: 0.95,
            covariance_type: CovarianceType::Model,
            interval: IntervalKind::Wald,
        }
    }
}

/// Convergence also needs the largest gradient component (on the scaled design) below this.
const GRADIENT_TOLERANCE: f64 = 1e-6;

/// Firth fits also need the Newton step from the estimate, which to first order is its
/// distance from the root, below this times max(1, |βⱼ|) in every free component (scaled
/// design). Under separation the penalised likelihood is so flat along the separating
/// direction that the gradient falls below [`GRADIENT_TOLERANCE`] while the estimate is
/// still 1e-5 (relative) from the root. logistf bounds the last step instead (`xconv`,
/// 1e-5 absolute by default, with `gconv` and `lconv`); bounding the step still to go
/// leaves the estimate within about this much of the root.
const FIRTH_STEP_TOLERANCE: f64 = 1e-9;

/// Something worth knowing that did not stop a fit. It displays as the sentence a
/// model file stores in its `warnings`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FitWarning {
    /// The information matrix was not positive definite at a Newton iteration, so the
    /// step was solved by singular value decomposition.
    NotPositiveDefinite {
        /// The iteration, from 1.
        iteration: usize,
    },
    /// A fit by passes over a file, which cannot check for separation, ended with some
    /// logits beyond ±15.
    LargeLogits {
        /// The largest |logit| of a row.
        largest: f64,
    },
}

impl std::fmt::Display for FitWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitWarning::NotPositiveDefinite { iteration } => write!(
                f,
                "the information matrix was not positive definite at iteration {iteration}; \
                 the Newton step was solved by singular value decomposition"
            ),
            FitWarning::LargeLogits { largest } => write!(
                f,
                "some rows have a logit beyond ±15 (the largest is {largest:.1}): the outcome \
                 may be nearly separated; a streaming fit cannot check, an in-memory fit can"
            ),
        }
    }
}

/// One coefficient with its inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    /// The design column's name.
    pub term: String,
    /// The estimate on the logit scale.
    pub estimate: f64,
    /// Standard error from the fit's covariance ([`FitOptions::covariance_type`]).
    pub std_error: f64,
    /// Wald z = estimate / standard error.
    pub z: f64,
    /// Two-sided p-value of z.
    pub p_value: f64,
    /// Lower Wald confidence limit (from the same covariance).
    pub ci_low: f64,
    /// Upper Wald confidence limit.
    pub ci_high: f64,
}

/// Everything a researcher reports about a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitStatistics {
    /// `ml`, `l2` or `firth`.
    pub method: String,
    /// Log-likelihood at the estimate (without any penalty).
    pub log_likelihood: f64,
    /// Log-likelihood of the intercept-only model (with the same offset and weights).
    pub null_log_likelihood: f64,
    /// The penalised log-likelihood maximised (Firth or L2), when a penalty is used.
    pub penalized_log_likelihood: Option<f64>,
    /// Likelihood-ratio χ² against the null model (penalised likelihoods for Firth, as logistf).
    pub lr_chi2: f64,
    /// Its degrees of freedom: coefficients besides the intercept.
    pub lr_df: usize,
    /// Its p-value.
    pub lr_p_value: f64,
    /// −2 log-likelihood + 2k.
    pub aic: f64,
    /// −2 log-likelihood + k ln(n).
    pub bic: f64,
    /// 1 − ℓ / ℓ₀.
    pub mcfadden_r2: f64,
    /// Cox–Snell R² rescaled to reach 1.
    pub nagelkerke_r2: f64,
    /// Observations: the sum of the frequency weights (the row count without weights).
    pub n: f64,
    /// Rows used.
    pub rows: usize,
    /// Successes (weighted).
    pub events: f64,
    /// Newton iterations.
    pub iterations: usize,
    /// Whether both convergence criteria were met.
    pub converged: bool,
}

/// The log-likelihoods a fit's statistics are built from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Likelihoods {
    /// The fitted model's log-likelihood.
    pub model: f64,
    /// The intercept-only (null) model's log-likelihood on the same rows.
    pub null: f64,
    /// The penalised log-likelihood, when the fit was penalised.
    pub penalized: Option<f64>,
    /// The likelihood-ratio chi-square against the null model.
    pub lr_chi2: f64,
}

impl FitStatistics {
    /// Statistics of a fit with `parameters = (estimated, of which intercepts)` on data
    /// with `size = (sum of weights, rows, weighted events)`.
    ///
    /// ```rust
    /// use recontact_model::fit::{FitStatistics, Likelihoods};
    /// // y ~ x + g on 12 rows with 6 events; statsmodels 0.15: GLM.from_formula(
    /// //   "y ~ x + C(g)", d, family=Binomial()).fit(): llf, llnull, aic, pseudo_rsquared()
    /// let (l, l0) = (-6.328398367947233, -8.317766166719345);
    /// let likelihoods = Likelihoods { model: l, null: l0, penalized: None, lr_chi2: 2.0 * (l - l0) };
    /// let statistics = FitStatistics::new("ml", likelihoods, (4, 1), (12.0, 12, 6.0), (6, true));
    /// assert_eq!(statistics.lr_df, 3);
    /// assert!((statistics.aic - 20.656796735894467).abs() < 1e-12);
    /// assert!((statistics.bic - (-2.0 * l + 4.0 * 12f64.ln())).abs() < 1e-12);
    /// assert!((statistics.mcfadden_r2 - 0.23917092148272656).abs() < 1e-12);
    /// // Cox-Snell 0.2821978462570498 rescaled by 1 - exp(2 llnull / n)
    /// assert!((statistics.nagelkerke_r2 - 0.3762637950093997).abs() < 1e-12);
    /// // scipy 1.17: chi2.sf(3.9787355975442242, 3)
    /// assert!((statistics.lr_p_value - 0.2637694751675632).abs() < 1e-12);
    /// ```
    pub fn new(
        method: &str,
        likelihoods: Likelihoods,
        (parameters, intercepts): (usize, usize),
        (total, rows, events): (f64, usize, f64),
        (iterations, converged): (usize, bool),
    ) -> FitStatistics {
        let Likelihoods {
            model: l,
            null: l0,
            penalized,
            lr_chi2,
        } = likelihoods;
        let k = parameters as f64;
        let lr_df = parameters.saturating_sub(intercepts);
        FitStatistics {
            method: method.to_string(),
            log_likelihood: l,
            null_log_likelihood: l0,
            penalized_log_likelihood: penalized,
            lr_chi2,
            lr_df,
            lr_p_value: if lr_df > 0 {
                chi_square_sf(lr_chi2.max(0.0), lr_df as f64)
            } else {
                1.0
            },
            aic: -2.0 * l + 2.0 * k,
            bic: -2.0 * l + k * total.ln(),
            mcfadden_r2: 1.0 - l / l0,
            nagelkerke_r2: (1.0 - (2.0 * (l0 - l) / total).exp())
                / (1.0 - (2.0 * l0 / total).exp()),
            n: total,
            rows,
            events,
            iterations,
            converged,
        }
    }
}

/// Estimates with standard errors, Wald z, p and intervals at `level`.
///
/// ```rust
/// use nalgebra::DMatrix;
/// use recontact_model::fit::estimates;
/// let names = ["intercept".to_string(), "x".to_string()];
/// let covariance = DMatrix::from_row_slice(2, 2, &[0.04, 0.01, 0.01, 0.25]);
/// let rows = estimates(&names, &[0.5, -1.2], &covariance, 0.95);
/// assert_eq!((rows[1].term.as_str(), rows[1].std_error, rows[1].z), ("x", 0.5, -2.4));
/// // scipy 1.17: 2 * norm.sf(2.5), 2 * norm.sf(2.4), 0.5 - norm.ppf(0.975) * 0.2
/// assert!((rows[0].p_value - 0.012419330651552265).abs() < 1e-13);
/// assert!((rows[1].p_value - 0.016395071849192262).abs() < 1e-13);
/// assert!((rows[0].ci_low - 0.10800720309198919).abs() < 1e-12);
/// assert!((rows[1].ci_high - -0.22001800772997293).abs() < 1e-12);
/// ```
pub fn estimates(
    names: &[String],
    beta: &[f64],
    covariance: &DMatrix<f64>,
    level: f64,
) -> Vec<Estimate> {
    let quantile = normal_quantile(1.0 - (1.0 - level) / 2.0);
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let std_error = covariance[(j, j)].sqrt();
            let z = beta[j] / std_error;
            Estimate {
                term: name.clone(),
                estimate: beta[j],
                std_error,
                z,
                p_value: two_sided_normal_p(z),
                ci_low: beta[j] - quantile * std_error,
                ci_high: beta[j] + quantile * std_error,
            }
        })
        .collect()
}

pub use crate::solver::log_likelihood;

/// A fitted model: the frozen encoding, coefficients, covariance and statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedModel {
    /// How rows become design columns.
    pub encoding: Encoding,
    /// Coefficients with inference, in design-column order.
    pub estimates: Vec<Estimate>,
    /// Covariance of the coefficients, original scale: the inverse information, or the
    /// robust sandwich that [`FitOptions::covariance_type`] asks for.
    pub covariance: DMatrix<f64>,
    /// Fit statistics.
    pub statistics: FitStatistics,
    /// The options used.
    pub options: FitOptions,
    /// Things worth knowing that did not stop the fit.
    pub warnings: Vec<FitWarning>,
    /// The cluster column, when the covariance is cluster-robust.
    pub cluster: Option<ClusterSummary>,
    /// Profile-likelihood intervals, one per coefficient, when they were asked for.
    pub profile_intervals: Option<Vec<ProfileInterval>>,
}

impl FittedModel {
    /// The coefficients, in design-column order.
    pub fn coefficients(&self) -> Vec<f64> {
        self.estimates.iter().map(|e| e.estimate).collect()
    }
}

/// A Gaussian prior on the coefficients (original scale), for shrinking a refit
/// toward earlier weights: the fit maximises ℓ(β) − ½ (β − mean)ᵀ precision (β − mean).
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianPrior {
    /// The prior mean, one value per design column.
    pub mean: Vec<f64>,
    /// The prior precision (inverse covariance), design columns × design columns.
    pub precision: DMatrix<f64>,
}

/// Where Newton's method ended, in the fit's terms.
pub(crate) struct Solution {
    pub(crate) state: State,
    pub(crate) iterations: usize,
    pub(crate) converged: bool,
    pub(crate) last_step: DVector<f64>,
    pub(crate) relative_change: f64,
    pub(crate) warnings: Vec<FitWarning>,
}

/// The solver's rules for a fit with these options: relative change below the
/// tolerance, gradient below [`GRADIENT_TOLERANCE`] and, for Firth, the remaining step
/// below [`FIRTH_STEP_TOLERANCE`]; an indefinite information solved by pseudo-inverse.
pub(crate) fn solver_settings(options: &FitOptions) -> Settings {
    Settings {
        max_iterations: options.max_iterations,
        convergence: Convergence::Change {
            tolerance: options.tolerance,
            gradient: GRADIENT_TOLERANCE,
            step: options.firth.then_some(FIRTH_STEP_TOLERANCE),
        },
        indefinite: Indefinite::PseudoInverse,
    }
}

/// An objective given as a function of the coefficients (a pass over a source, or a
/// problem whose failures count as the worst objective).
struct Evaluator<'a> {
    evaluate: &'a dyn Fn(DVector<f64>) -> Result<State, FitError>,
    dimension: usize,
}

impl Objective for Evaluator<'_> {
    type Point = State;
    type Error = FitError;

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn evaluate(&self, beta: DVector<f64>) -> Result<State, FitError> {
        (self.evaluate)(beta)
    }
}

/// Maximises the objective `evaluate` gives over the coefficients listed in `free`, the
/// others held at their values in `start`, by the one Newton driver
/// ([`crate::solver::maximize`]) with the fit's rules.
pub(crate) fn newton(
    evaluate: &dyn Fn(DVector<f64>) -> Result<State, FitError>,
    start: DVector<f64>,
    free: &[usize],
    options: &FitOptions,
) -> Result<Solution, FitError> {
    let objective = Evaluator {
        evaluate,
        dimension: start.len(),
    };
    let solution = maximize(&objective, start, free, &solver_settings(options))?;
    let warnings = solution
        .pseudo_inverse_steps
        .iter()
        .map(|&iteration| FitWarning::NotPositiveDefinite { iteration })
        .collect();
    Ok(Solution {
        state: solution.point,
        iterations: solution.iterations,
        converged: solution.converged,
        last_step: solution.last_step,
        relative_change: solution.relative_change,
        warnings,
    })
}

/// One unpenalised Newton–Raphson step of the logistic log-likelihood from `beta`, for
/// a design `x` (rows × columns, used as given: no scaling) and 0/1 outcomes `y`:
/// the next coefficients. The building block of [`fit`], public only so that the
/// benchmarks can time it: hidden from the documentation and not part of the API.
#[doc(hidden)]
pub fn newton_step(
    x: &DMatrix<f64>,
    y: &[f64],
    beta: &DVector<f64>,
) -> Result<DVector<f64>, FitError> {
    if y.len() != x.nrows() || beta.len() != x.ncols() {
        return Err(FitError::Shape {
            rows: x.nrows(),
            outcomes: y.len(),
            columns: x.ncols(),
            coefficients: beta.len(),
        });
    }
    let problem = Problem {
        x,
        y,
        w: PerRow::All(1.0),
        offset: PerRow::All(0.0),
        penalty: None,
        firth: false,
    };
    let (_, _, gradient, information) = problem.likelihood_parts(beta);
    let step = information
        .cholesky()
        .map(|c| c.solve(&gradient))
        .ok_or_else(|| {
            FitError::Singular("the information matrix is not positive definite".into())
        })?;
    Ok(beta + step)
}

/// R's `glm.fit` calls a design column aliased when, in the QR decomposition with
/// LINPACK `dqrdc2`'s limited pivoting of the weighted design, its norm orthogonal to the
/// columns kept before it is below this times its own norm: `glm.fit` passes
/// `tol = min(1e-7, epsilon / 1000)`, 1e-11 with the default `epsilon = 1e-8`.
const ALIAS_TOLERANCE: f64 = 1e-11;

/// The squared relative residual (the squared pivot of the Cholesky factor of the
/// correlation-scaled cross-product matrix) above which every column of a `p`-column
/// design is certainly kept by [`ALIAS_TOLERANCE`].
///
/// Why this bound: Cholesky is backward stable, so the computed pivots are exact for a
/// Gram matrix perturbed by about p·ε (ε = 2.2e-16) in correlation units. A column whose
/// true relative residual is below 1e-11 (squared 1e-22) can then show a computed
/// squared pivot of at most about p²·ε / τ when every earlier pivot is at least τ (the
/// projection coefficients grow as 1/√τ). With τ = max(1e-6, 1e-7·p) that is at most
/// 2.2e-8 against τ = 1e-6 up to 10 columns and p·2.2e-9 against τ = 1e-7·p beyond, so
/// a design whose pivots all exceed τ has no aliased column. The exact rule runs only
/// when some column lies within about 1e-3 (in norm) of the span of the earlier ones.
fn alias_screen(p: usize) -> f64 {
    (1e-7 * p as f64).max(1e-6)
}

/// Whether the weighted cross-product matrix alone shows that no column is aliased: every
/// pivot of its correlation-scaled Cholesky factor, in column order, is above
/// [`alias_screen`]. False means the exact rule ([`aliases_by_rank`]) must decide.
pub(crate) fn clearly_full_rank(gram: &DMatrix<f64>) -> bool {
    let p = gram.ncols();
    let threshold = alias_screen(p);
    let diagonal: Vec<f64> = (0..p).map(|j| gram[(j, j)]).collect();
    if diagonal.iter().any(|&d| !(d > 0.0 && d.is_finite())) {
        return false;
    }
    let mut lower = DMatrix::<f64>::zeros(p, p);
    for j in 0..p {
        let row = |i: usize| gram[(i, j)] / (diagonal[i] * diagonal[j]).sqrt();
        let pivot_square = row(j) - (0..j).map(|k| lower[(j, k)].powi(2)).sum::<f64>();
        if pivot_square.is_nan() || pivot_square <= threshold {
            return false;
        }
        let pivot = pivot_square.sqrt();
        lower[(j, j)] = pivot;
        for i in j + 1..p {
            let dot: f64 = (0..j).map(|k| lower[(i, k)] * lower[(j, k)]).sum();
            lower[(i, j)] = (row(i) - dot) / pivot;
        }
    }
    true
}

/// The triangular factor R (X = QR, at most p × p) of diag(√w) X: a Householder QR of
/// each fixed block of rows in parallel, then the blocks' factors stacked onto the
/// running one and reduced in block order, so R is the same whatever the thread count.
/// XᵀWX = RᵀR, so R carries every column's norm and residual norms as the design does.
pub(crate) fn weighted_triangular_factor(x: &DMatrix<f64>, weights: &[f64]) -> DMatrix<f64> {
    use rayon::prelude::*;
    let (n, p) = x.shape();
    let factors: Vec<DMatrix<f64>> = (0..n.div_ceil(ROWS_PER_BLOCK))
        .into_par_iter()
        .map(|block| {
            let start = block * ROWS_PER_BLOCK;
            let rows = (start + ROWS_PER_BLOCK).min(n) - start;
            triangular_factor(DMatrix::from_fn(rows, p, |i, j| {
                x[(start + i, j)] * weights[start + i].sqrt()
            }))
        })
        .collect();
    factors
        .into_iter()
        .fold(DMatrix::zeros(0, p), |running, factor| {
            stack_triangular(running, &factor)
        })
}

/// The R of a QR decomposition of `rows` (Householder, nalgebra): min(rows, p) × p.
fn triangular_factor(rows: DMatrix<f64>) -> DMatrix<f64> {
    if rows.nrows() == 0 {
        return rows;
    }
    rows.qr().r()
}

/// The triangular factor of `running` stacked over `next`, both triangular factors of
/// parts of the same design.
pub(crate) fn stack_triangular(running: DMatrix<f64>, next: &DMatrix<f64>) -> DMatrix<f64> {
    let p = next.ncols();
    let (a, b) = (running.nrows(), next.nrows());
    triangular_factor(DMatrix::from_fn(a + b, p, |i, j| {
        if i < a {
            running[(i, j)]
        } else {
            next[(i - a, j)]
        }
    }))
}

/// Names the aliased design columns by `dqrdc2`'s limited pivoting, applied to the
/// triangular factor R of the weighted design (the same decisions as on the design, up
/// to rounding, since orthogonal transformations keep norms). Columns are taken in
/// order; one whose norm orthogonal to the columns kept so far is below
/// [`ALIAS_TOLERANCE`] times its own norm is aliased (moved to the end, in `dqrdc2`), and
/// reported with the kept columns that make it up. nalgebra's QR pivots by largest norm
/// (or not at all), not in this limited way, so the elimination is written out here.
pub(crate) fn aliases_by_rank(r: &DMatrix<f64>, names: &[String]) -> Vec<Alias> {
    let (m, p) = r.shape();
    let norms: Vec<f64> = (0..p).map(|j| r.column(j).norm()).collect();
    let mut work = r.clone();
    // `kept[a]` is the original index of the column in position a of the triangle.
    let mut kept: Vec<usize> = Vec::new();
    let mut found = Vec::new();
    for j in 0..p {
        let l = kept.len();
        let remaining = if l < m {
            work.view((l, j), (m - l, 1)).norm()
        } else {
            0.0
        };
        let scale = if norms[j] > 0.0 { norms[j] } else { 1.0 };
        if remaining.is_nan() || remaining < ALIAS_TOLERANCE * scale {
            found.push(Alias {
                term: names[j].clone(),
                of: combination(&work, &kept, j, &norms, names),
            });
            continue;
        }
        householder_eliminate(&mut work, l, j);
        kept.push(j);
    }
    found
}

/// Applies the Householder reflection that zeroes column `column` below row `row` to
/// every column of `work`.
fn householder_eliminate(work: &mut DMatrix<f64>, row: usize, column: usize) {
    let m = work.nrows();
    let mut v: Vec<f64> = (row..m).map(|i| work[(i, column)]).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let alpha = if v[0] >= 0.0 { -norm } else { norm };
    v[0] -= alpha;
    let v_square: f64 = v.iter().map(|x| x * x).sum();
    if v_square == 0.0 {
        return;
    }
    for j in 0..work.ncols() {
        let dot: f64 = (row..m).map(|i| v[i - row] * work[(i, j)]).sum();
        let factor = 2.0 * dot / v_square;
        for i in row..m {
            work[(i, j)] -= factor * v[i - row];
        }
    }
}

/// The kept columns that column `j` is a combination of: its least-squares coefficients
/// on them (back substitution in the triangle), counted when their contribution is above
/// 1e-6 of the column's norm. Empty for a column of zeros.
fn combination(
    work: &DMatrix<f64>,
    kept: &[usize],
    j: usize,
    norms: &[f64],
    names: &[String],
) -> Vec<String> {
    if norms[j] == 0.0 {
        return Vec::new();
    }
    let l = kept.len();
    let mut coefficients = vec![0.0; l];
    for a in (0..l).rev() {
        let known: f64 = (a + 1..l)
            .map(|b| work[(a, kept[b])] * coefficients[b])
            .sum();
        coefficients[a] = (work[(a, j)] - known) / work[(a, kept[a])];
    }
    kept.iter()
        .zip(&coefficients)
        .filter(|&(&k, c)| c.abs() * norms[k] > 1e-6 * norms[j])
        .map(|(&k, _)| names[k].clone())
        .collect()
}

/// Looks for a direction along which the likelihood grows without bound.
fn separation(
    x: &DMatrix<f64>,
    y: &[f64],
    w: &[f64],
    candidates: &[&DVector<f64>],
    names: &[String],
    intercept: bool,
) -> Option<FitError> {
    for direction in candidates {
        let margins = x * *direction;
        let largest = margins.amax();
        if largest.is_nan() || largest <= 0.0 {
            continue;
        }
        let mut strict = 0usize;
        let mut used = 0usize;
        let mut separated = true;
        for i in 0..y.len() {
            if w[i] <= 0.0 {
                continue;
            }
            used += 1;
            let signed = (2.0 * y[i] - 1.0) * margins[i] / largest;
            if signed < -1e-7 {
                separated = false;
                break;
            }
            if signed > 1e-7 {
                strict += 1;
            }
        }
        if separated && strict > 0 {
            let start = usize::from(intercept);
            let biggest = direction.rows(start, direction.len() - start).amax();
            let terms = (start..direction.len())
                .filter(|&j| direction[j].abs() >= 0.05 * biggest)
                .map(|j| names[j].clone())
                .collect::<Vec<_>>();
            let terms = if terms.is_empty() {
                vec!["intercept".to_string()]
            } else {
                terms
            };
            return Some(FitError::Separation {
                complete: strict == used,
                terms,
            });
        }
    }
    None
}

/// Fits the model a spec describes to a data set. The options are checked first
/// ([`FitOptions::check`]), before the data are looked at.
///
/// ```rust
/// use recontact_model::{fit, read_dataset, FitError, FitOptions, InvalidRows, SpecConfig};
/// let config = SpecConfig::from_toml(
///     "spec.toml",
///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
/// )?;
/// let spec = config.clone().check()?;
/// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
/// let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let fitted = fit(&spec, &data, FitOptions::default())?;
/// // statsmodels 0.15: Logit(y, add_constant(x)).fit().params
/// assert!((fitted.coefficients()[1] - 1.214_027_6).abs() < 1e-6);
/// let bad = FitOptions { level: 1.5, ..FitOptions::default() };
/// assert!(matches!(fit(&spec, &data, bad), Err(FitError::Options(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit(spec: &Spec, data: &Dataset, options: FitOptions) -> Result<FittedModel, FitError> {
    options.check()?;
    check_outcome(data)?;
    let encoding = Encoding::learn(spec, data)?;
    fit_encoded(encoding, data, options, None)
}

/// Like [`fit`], but frees each term column of `data` once it is in the design matrix
/// (see [`Encoding::design_releasing`]): the way to fit data that fill much of memory.
/// Afterwards `data` keeps its outcome, weights, offset and provenance, which is all
/// [`crate::Model::new`] needs.
///
/// ```rust
/// use recontact_model::{fit, fit_releasing, read_dataset, FitOptions, InvalidRows, SpecConfig};
/// let config = SpecConfig::from_toml(
///     "spec.toml",
///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
/// )?;
/// let spec = config.clone().check()?;
/// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
/// let mut data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let in_full = fit(&spec, &data, FitOptions::default())?;
/// let released = fit_releasing(&spec, &mut data, FitOptions::default())?;
/// assert_eq!(released.coefficients(), in_full.coefficients());
/// assert!(data.columns.is_empty());
/// assert_eq!(data.len(), 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_releasing(
    spec: &Spec,
    data: &mut Dataset,
    options: FitOptions,
) -> Result<FittedModel, FitError> {
    fit_releasing_clustered(spec, data, options, None)
}

/// Like [`fit_releasing`], with the rows' clusters for a cluster-robust covariance
/// ([`CovarianceType::Cluster`] needs them; the other covariances ignore them).
///
/// ```rust
/// use recontact_model::{
///     fit_releasing_clustered, read_dataset, Clusters, CovarianceType, FitOptions, InvalidRows,
///     SpecConfig,
/// };
/// let config = SpecConfig::from_toml(
///     "spec.toml",
///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
/// )?;
/// let spec = config.clone().check()?.with_cluster_column("site")?;
/// let csv = "y,x,site\n0,1,a\n0,2,b\n1,3,c\n0,4,a\n1,5,b\n1,6,c\n0,2,a\n1,4,b\n";
/// let mut data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let clusters = Clusters::from_dataset(&data, "site")?;
/// let options = FitOptions { covariance_type: CovarianceType::Cluster, ..FitOptions::default() };
/// let fitted = fit_releasing_clustered(&spec, &mut data, options, Some(&clusters))?;
/// let cluster = fitted.cluster.expect("a cluster-robust fit names its clusters");
/// assert_eq!((cluster.column.as_str(), cluster.clusters), ("site", 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_releasing_clustered(
    spec: &Spec,
    data: &mut Dataset,
    options: FitOptions,
    clusters: Option<&Clusters>,
) -> Result<FittedModel, FitError> {
    options.check()?;
    crate::inference::check_inference_options(&options, data.weights.is_some(), false)?;
    check_outcome(data)?;
    let encoding = Encoding::learn(spec, data)?;
    let design = encoding.design_releasing(data)?;
    fit_design(encoding, design, data, options, (None, clusters))
}

/// A one-sided outcome is the clearest thing to say about such data, before any
/// complaint about levels the few rows happen to lack.
fn check_outcome(data: &Dataset) -> Result<(), FitError> {
    if data.is_empty() {
        return Err(FitError::NoRows);
    }
    let weight = |i: usize| data.weights.as_ref().map_or(1.0, |w| w[i]);
    let total: f64 = (0..data.len()).map(weight).sum();
    let events: f64 = (0..data.len()).map(|i| weight(i) * data.outcome[i]).sum();
    if total > 0.0 && (events == 0.0 || events == total) {
        return Err(FitError::ConstantOutcome(u8::from(events > 0.0)));
    }
    Ok(())
}

/// Fits with a given encoding (levels and knots already fixed, as when a model is
/// re-estimated on new data), optionally shrunk toward a Gaussian prior.
///
/// ```rust
/// use recontact_model::{fit, fit_encoded, read_dataset, FitOptions, InvalidRows, SpecConfig};
/// let config = SpecConfig::from_toml(
///     "spec.toml",
///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
/// )?;
/// let spec = config.clone().check()?;
/// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
/// let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let first = fit(&spec, &data, FitOptions::default())?;
/// let again = fit_encoded(first.encoding.clone(), &data, FitOptions::default(), None)?;
/// assert_eq!(again.coefficients(), first.coefficients());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_encoded(
    encoding: Encoding,
    data: &Dataset,
    options: FitOptions,
    prior: Option<&GaussianPrior>,
) -> Result<FittedModel, FitError> {
    options.check()?;
    crate::inference::check_inference_options(&options, data.weights.is_some(), prior.is_some())?;
    if data.is_empty() {
        return Err(FitError::NoRows);
    }
    let raw = encoding.design(data)?;
    fit_design(encoding, raw, data, options, (prior, None))
}

/// Fits a design matrix to the outcome (weights, offset) of `data`, optionally shrunk
/// toward a prior, with the rows' clusters for a cluster-robust covariance.
fn fit_design(
    encoding: Encoding,
    raw: DMatrix<f64>,
    data: &Dataset,
    options: FitOptions,
    (prior, clusters): (Option<&GaussianPrior>, Option<&Clusters>),
) -> Result<FittedModel, FitError> {
    let names = encoding.names();
    let n = data.len();
    let y = &data.outcome;
    let w = PerRow::or(data.weights.as_deref(), 1.0);
    let offset = PerRow::or(data.offset.as_deref(), 0.0);
    let total: f64 = (0..n).map(|i| w.at(i)).sum();
    let events: f64 = y.iter().enumerate().map(|(i, y)| y * w.at(i)).sum();
    // Unit weights as a vector only while they are needed.
    let weights_vector = || data.weights.clone().unwrap_or_else(|| vec![1.0; n]);
    check_totals(total, events)?;

    // Scale each non-intercept column by its root mean square.
    let p = raw.ncols();
    let mut x = raw;
    let squares: Vec<f64> = (0..p).map(|j| x.column(j).norm_squared()).collect();
    check_squares(&squares, &names)?;
    let scales = column_scales(&squares, n, encoding.intercept);
    for (j, scale) in scales.iter().enumerate() {
        if *scale != 1.0 {
            x.column_mut(j).scale_mut(1.0 / scale);
        }
    }

    // The Gram matrix screens; only a design with a nearly dependent column pays for the
    // QR factor that R's rank rule needs.
    let weights = weights_vector();
    if !clearly_full_rank(&weighted_cross_product(&x, &weights)) {
        let aliased = aliases_by_rank(&weighted_triangular_factor(&x, &weights), &names);
        if !aliased.is_empty() {
            return Err(FitError::Collinear(aliased));
        }
    }
    drop(weights);
    let problem = Problem {
        x: &x,
        y,
        w,
        offset,
        penalty: penalty(prior, &options, &scales, encoding.intercept)?,
        firth: options.firth,
    };
    let start = starting_point(p, encoding.intercept, total, events);
    let all: Vec<usize> = (0..p).collect();
    let solution = newton(
        &|beta| problem.evaluate(beta),
        start.clone(),
        &all,
        &options,
    )?;

    let penalised = options.firth || options.l2 > 0.0 || prior.is_some();
    if !penalised && (!solution.converged || solution.state.largest_logit > 15.0) {
        let candidates = [&solution.last_step, &solution.state.beta];
        let w = weights_vector();
        if let Some(error) = separation(&x, y, &w, &candidates, &names, encoding.intercept) {
            return Err(error);
        }
    }

    // The null model: the same design with every coefficient but the intercept held at
    // zero. For plain and L2 fits this is the intercept-only model; for Firth fits the
    // penalty keeps the full design's information, as logistf's likelihood-ratio test does.
    let unpenalised = Problem {
        penalty: None,
        ..problem
    };
    let null = if !encoding.intercept {
        unpenalised.evaluate(DVector::zeros(p))?
    } else if options.firth {
        newton(&|beta| unpenalised.evaluate(beta), start, &[0], &options)?.state
    } else {
        // The other coefficients are zero: the intercept's column alone gives the same
        // likelihood without the full design's information matrix at every step.
        let intercept = DMatrix::from_column_slice(n, 1, x.column(0).as_slice());
        let null_problem = Problem {
            x: &intercept,
            ..unpenalised
        };
        let start = DVector::from_element(1, start[0]);
        newton(&|beta| null_problem.evaluate(beta), start, &[0], &options)?.state
    };
    let fitted = conclude(
        encoding,
        solution,
        null,
        &scales,
        (options, prior.is_some()),
        (total, n, events),
    )?;
    crate::inference::finish(fitted, &problem, &scales, clusters)
}

/// A fit needs weight on both outcomes.
pub(crate) fn check_totals(total: f64, events: f64) -> Result<(), FitError> {
    if total <= 0.0 {
        return Err(FitError::NoRows);
    }
    if events == 0.0 || events == total {
        return Err(FitError::ConstantOutcome(u8::from(events > 0.0)));
    }
    Ok(())
}

/// Refuses design columns whose sum of squares is not finite: values so large (1e200)
/// that their squares overflow cannot be scaled, and every later sum would be infinite.
pub(crate) fn check_squares(squares: &[f64], names: &[String]) -> Result<(), FitError> {
    match squares.iter().position(|s| !s.is_finite()) {
        Some(j) => Err(FitError::ValuesTooLarge {
            term: names.get(j).map_or("?", String::as_str).to_string(),
        }),
        None => Ok(()),
    }
}

/// Each design column's root mean square (from its sum of squares over `n` rows), by
/// which it is divided while fitting; 1 for the intercept and for degenerate columns.
pub(crate) fn column_scales(squares: &[f64], n: usize, intercept: bool) -> Vec<f64> {
    let first = usize::from(intercept);
    squares
        .iter()
        .enumerate()
        .map(|(j, square)| {
            let rms = (square / n as f64).sqrt();
            if j >= first && rms > 0.0 && rms.is_finite() {
                rms
            } else {
                1.0
            }
        })
        .collect()
}

/// Zero, but the intercept at the logit of the event rate.
pub(crate) fn starting_point(p: usize, intercept: bool, total: f64, events: f64) -> DVector<f64> {
    let mut start = DVector::zeros(p);
    if intercept {
        start[0] = (events / (total - events)).ln();
    }
    start
}

/// The Gaussian penalty on the scaled coefficients: the prior's, or L2's.
pub(crate) fn penalty(
    prior: Option<&GaussianPrior>,
    options: &FitOptions,
    scales: &[f64],
    intercept: bool,
) -> Result<Penalty, FitError> {
    let p = scales.len();
    Ok(match prior {
        Some(prior) => {
            if prior.mean.len() != p || prior.precision.nrows() != p || prior.precision.ncols() != p
            {
                return Err(FitError::PriorSize {
                    values: prior.mean.len(),
                    columns: p,
                });
            }
            Some((
                DMatrix::from_fn(p, p, |a, b| {
                    prior.precision[(a, b)] / (scales[a] * scales[b])
                }),
                DVector::from_fn(p, |j, _| prior.mean[j] * scales[j]),
            ))
        }
        None if options.l2 > 0.0 => {
            let first = usize::from(intercept);
            let diagonal = DVector::from_fn(p, |j, _| {
                if j < first {
                    0.0
                } else {
                    options.l2 / (scales[j] * scales[j])
                }
            });
            Some((DMatrix::from_diagonal(&diagonal), DVector::zeros(p)))
        }
        None => None,
    })
}

/// The fitted model from the solution and the null model's state (both on the scaled
/// design): estimates and covariance on the original scale, and the statistics.
pub(crate) fn conclude(
    encoding: Encoding,
    solution: Solution,
    null: State,
    scales: &[f64],
    (options, has_prior): (FitOptions, bool),
    (total, n, events): (f64, usize, f64),
) -> Result<FittedModel, FitError> {
    if !solution.converged {
        return Err(FitError::NotConverged {
            iterations: solution.iterations,
            relative_change: solution.relative_change,
            gradient_norm: solution.state.gradient.amax(),
        });
    }
    let p = scales.len();
    let inverse = solution
        .state
        .information
        .clone()
        .cholesky()
        .map(|c| c.inverse())
        .ok_or_else(|| {
            FitError::Singular("the information matrix is not positive definite".into())
        })?;
    // The Firth penalty was computed on the scaled design; on the original scale
    // ½ log|X'WX| is larger by Σ ln(scale).
    let log_scale: f64 = if options.firth {
        scales.iter().map(|s| s.ln()).sum()
    } else {
        0.0
    };
    let covariance = DMatrix::from_fn(p, p, |a, b| inverse[(a, b)] / (scales[a] * scales[b]));
    let beta: Vec<f64> = (0..p).map(|j| solution.state.beta[j] / scales[j]).collect();
    let null_objective = null.objective + log_scale;
    let estimates = estimates(&encoding.names(), &beta, &covariance, options.level);
    let penalised = options.firth || options.l2 > 0.0 || has_prior;
    let penalised_objective = solution.state.objective + log_scale;
    let l = solution.state.log_likelihood;
    let l0 = null.log_likelihood;
    let lr_chi2 = if options.firth {
        2.0 * (penalised_objective - null_objective)
    } else {
        2.0 * (l - l0)
    };
    let method = if has_prior {
        "prior"
    } else if options.firth {
        "firth"
    } else if options.l2 > 0.0 {
        "l2"
    } else {
        "ml"
    };
    let statistics = FitStatistics::new(
        method,
        Likelihoods {
            model: l,
            null: l0,
            penalized: penalised.then_some(penalised_objective),
            lr_chi2,
        },
        (p, usize::from(encoding.intercept)),
        (total, n, events),
        (solution.iterations, solution.converged),
    );
    Ok(FittedModel {
        encoding,
        estimates,
        covariance,
        statistics,
        options,
        warnings: solution.warnings,
        cluster: None,
        profile_intervals: None,
    })
}
