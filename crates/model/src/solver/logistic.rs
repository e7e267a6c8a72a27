//! The dense-design logistic objective: a design matrix in memory, outcomes, frequency
//! weights, an offset, a Gaussian (L2 or prior) penalty and Firth's bias reduction, with
//! its log-likelihood, gradient and Fisher information computed by blocks of rows in
//! parallel. The fit drives it on its scaled design; anyone may drive it on their own.

use nalgebra::{DMatrix, DVector};

use super::{logistic_terms, Objective, Point, ProblemError};
use crate::error::FitError;

/// A logistic regression on a design held in memory: maximises
/// Σ wᵢ (yᵢ ηᵢ − ln(1 + e^ηᵢ)) with ηᵢ = xᵢᵀβ + offsetᵢ, minus a Gaussian penalty
/// ½ (β − center)ᵀ precision (β − center) when one is given, plus Firth's ½ ln |XᵀWX|
/// when asked for. Built with [`Logistic::new`] and the `with_` methods; solved with
/// [`super::maximize`] (see the module's example).
#[derive(Debug, Clone)]
pub struct Logistic<'a> {
    pub(crate) x: &'a DMatrix<f64>,
    pub(crate) y: &'a [f64],
    pub(crate) w: PerRow<'a>,
    pub(crate) offset: PerRow<'a>,
    /// A Gaussian penalty −½ (β − center)ᵀ precision (β − center), on the scaled
    /// coefficients: the L2 penalty (center 0) or a prior centred on earlier weights.
    pub(crate) penalty: Penalty,
    pub(crate) firth: bool,
}

/// A value per row: given, or the same for every row (so that unit weights and a zero
/// offset take no memory).
#[derive(Debug, Clone, Copy)]
pub(crate) enum PerRow<'a> {
    Each(&'a [f64]),
    All(f64),
}

impl<'a> PerRow<'a> {
    /// The given values, or `value` for every row.
    pub(crate) fn or(given: Option<&'a [f64]>, value: f64) -> PerRow<'a> {
        given.map_or(PerRow::All(value), PerRow::Each)
    }

    pub(crate) fn at(&self, i: usize) -> f64 {
        match self {
            PerRow::Each(values) => values[i],
            PerRow::All(value) => *value,
        }
    }
}

/// A Gaussian penalty on the scaled coefficients: its precision and its centre.
pub(crate) type Penalty = Option<(DMatrix<f64>, DVector<f64>)>;

/// The logistic objective at one coefficient vector.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticPoint {
    /// The coefficients.
    pub beta: DVector<f64>,
    /// The largest |logit| of a row with positive weight: large ones hint at separation.
    pub largest_logit: f64,
    /// The log-likelihood Σ wᵢ (yᵢ ηᵢ − ln(1 + e^ηᵢ)), without any penalty.
    pub log_likelihood: f64,
    /// The objective maximised: the log-likelihood with the penalties.
    pub objective: f64,
    /// The objective's gradient in β.
    pub gradient: DVector<f64>,
    /// The objective's negative Hessian (the Fisher information, plus the penalties').
    pub information: DMatrix<f64>,
}

/// Rows per unit of parallel work. Partial sums are formed per block and added in block
/// order, so every result is the same whatever the number of threads.
pub(crate) const ROWS_PER_BLOCK: usize = 8192;

/// Rows whose design values (a few KiB per column) stay in cache for all the products.
const ROWS_PER_TILE: usize = 512;

/// Adds Xᵀ diag(w) X over `rows` to `upper` (the upper triangle, row-major p × p) for a
/// column-major n × p design `data`; `weights` holds the rows' weights.
fn add_cross_product(
    data: &[f64],
    n: usize,
    rows: std::ops::Range<usize>,
    weights: &[f64],
    upper: &mut [f64],
) {
    let p = upper.len().isqrt();
    let mut weighted = [0.0; ROWS_PER_TILE];
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + ROWS_PER_TILE).min(rows.end);
        let count = end - start;
        let tile_weights = &weights[start - rows.start..end - rows.start];
        for j in 0..p {
            let column_j = &data[j * n + start..j * n + end];
            for (slot, (&value, &w)) in weighted.iter_mut().zip(column_j.iter().zip(tile_weights)) {
                *slot = value * w;
            }
            for k in j..p {
                let column_k = &data[k * n + start..k * n + end];
                upper[j * p + k] += dot(&weighted[..count], column_k);
            }
        }
        start = end;
    }
}

/// Σ aᵢ bᵢ with eight running sums, so that the additions overlap; their order is fixed.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0; 8];
    for (a, b) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for lane in 0..8 {
            sums[lane] += a[lane] * b[lane];
        }
    }
    let tail = a.len().min(b.len()) / 8 * 8;
    let mut sum =
        ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    for (a, b) in a[tail..].iter().zip(&b[tail..]) {
        sum += a * b;
    }
    sum
}

/// The symmetric matrix whose upper triangle `upper` holds.
fn symmetric(p: usize, upper: &[f64]) -> DMatrix<f64> {
    DMatrix::from_fn(p, p, |a, b| {
        if a <= b {
            upper[a * p + b]
        } else {
            upper[b * p + a]
        }
    })
}

/// Xᵀ diag(w) X, the information matrix's core: blocks of rows in parallel, without
/// copying the design, only the upper triangle computed.
pub(crate) fn weighted_cross_product(x: &DMatrix<f64>, weights: &[f64]) -> DMatrix<f64> {
    use rayon::prelude::*;
    let (n, p) = x.shape();
    let data = x.as_slice();
    let partials: Vec<Vec<f64>> = (0..n.div_ceil(ROWS_PER_BLOCK))
        .into_par_iter()
        .map(|block| {
            let rows = block * ROWS_PER_BLOCK..((block + 1) * ROWS_PER_BLOCK).min(n);
            let mut upper = vec![0.0; p * p];
            add_cross_product(data, n, rows.clone(), &weights[rows], &mut upper);
            upper
        })
        .collect();
    let mut upper = vec![0.0; p * p];
    for partial in &partials {
        add_to(&mut upper, partial);
    }
    symmetric(p, &upper)
}

/// The upper triangle (row-major p × p) of Xᵀ diag(w) X on this thread alone, for a
/// caller that is itself one of several workers.
pub(crate) fn cross_product_upper(x: &DMatrix<f64>, weights: &[f64]) -> Vec<f64> {
    let (n, p) = x.shape();
    let mut upper = vec![0.0; p * p];
    add_cross_product(x.as_slice(), n, 0..n, weights, &mut upper);
    upper
}

/// Adds `part` to `total`, element by element.
pub(crate) fn add_to(total: &mut [f64], part: &[f64]) {
    for (sum, value) in total.iter_mut().zip(part) {
        *sum += value;
    }
}

/// One block's share of the log-likelihood, its gradient and Xᵀ W X.
pub(crate) struct BlockSums {
    largest_logit: f64,
    log_likelihood: f64,
    gradient: Vec<f64>,
    upper: Vec<f64>,
}

impl BlockSums {
    /// The sums of blocks, added in their order.
    pub(crate) fn total(p: usize, partials: &[BlockSums]) -> BlockSums {
        let mut total = BlockSums {
            largest_logit: 0.0,
            log_likelihood: 0.0,
            gradient: vec![0.0; p],
            upper: vec![0.0; p * p],
        };
        for partial in partials {
            total.largest_logit = total.largest_logit.max(partial.largest_logit);
            total.log_likelihood += partial.log_likelihood;
            add_to(&mut total.gradient, &partial.gradient);
            add_to(&mut total.upper, &partial.upper);
        }
        total
    }

    /// The largest |logit|, the log-likelihood, the gradient and the information.
    pub(crate) fn into_parts(self) -> (f64, f64, DVector<f64>, DMatrix<f64>) {
        let p = self.gradient.len();
        (
            self.largest_logit,
            self.log_likelihood,
            DVector::from_vec(self.gradient),
            symmetric(p, &self.upper),
        )
    }
}

impl Logistic<'_> {
    /// The objective, its gradient and information at β (errors only for Firth, whose
    /// penalty needs a positive definite Fisher information).
    pub(crate) fn evaluate(&self, beta: DVector<f64>) -> Result<LogisticPoint, FitError> {
        if self.firth {
            return self.evaluate_firth(beta);
        }
        let (largest_logit, log_likelihood, gradient, fisher) = self.likelihood_parts(&beta);
        let mut state = LogisticPoint {
            beta,
            largest_logit,
            log_likelihood,
            objective: log_likelihood,
            gradient,
            information: fisher,
        };
        self.add_penalty(&mut state);
        Ok(state)
    }

    /// The largest |logit|, the log-likelihood, its gradient and the Fisher information
    /// at β, in one pass over the design by blocks of rows in parallel.
    pub(crate) fn likelihood_parts(
        &self,
        beta: &DVector<f64>,
    ) -> (f64, f64, DVector<f64>, DMatrix<f64>) {
        use rayon::prelude::*;
        let n = self.x.nrows();
        let partials: Vec<BlockSums> = (0..n.div_ceil(ROWS_PER_BLOCK))
            .into_par_iter()
            .map(|block| {
                let start = block * ROWS_PER_BLOCK;
                self.block_sums(beta, start..(start + ROWS_PER_BLOCK).min(n))
            })
            .collect();
        BlockSums::total(self.x.ncols(), &partials).into_parts()
    }

    /// One block of rows' share of the log-likelihood, its gradient and Xᵀ W X.
    pub(crate) fn block_sums(
        &self,
        beta: &DVector<f64>,
        rows: std::ops::Range<usize>,
    ) -> BlockSums {
        let (n, p) = self.x.shape();
        let data = self.x.as_slice();
        let start = rows.start;
        let mut eta: Vec<f64> = rows.clone().map(|i| self.offset.at(i)).collect();
        for j in 0..p {
            let (column, b) = (&data[j * n + rows.start..j * n + rows.end], beta[j]);
            for (e, x) in eta.iter_mut().zip(column) {
                *e += x * b;
            }
        }
        let largest_logit = eta
            .iter()
            .zip(rows.clone())
            .filter(|&(_, i)| self.w.at(i) > 0.0)
            .fold(0.0f64, |m, (e, _)| m.max(e.abs()));
        let mut log_likelihood = 0.0;
        let mut curvature = vec![0.0; eta.len()];
        let mut residual = vec![0.0; eta.len()];
        for (i, &e) in eta.iter().enumerate() {
            let (y, w) = (self.y[start + i], self.w.at(start + i));
            let (p, softplus) = logistic_terms(e);
            log_likelihood += w * (y * e - softplus);
            curvature[i] = w * p * (1.0 - p);
            residual[i] = w * (y - p);
        }
        let gradient = (0..p)
            .map(|j| dot(&data[j * n + rows.start..j * n + rows.end], &residual))
            .collect();
        let mut upper = vec![0.0; p * p];
        add_cross_product(data, n, rows, &curvature, &mut upper);
        BlockSums {
            largest_logit,
            log_likelihood,
            gradient,
            upper,
        }
    }

    /// Adds the Gaussian penalty, if any, to a state's objective, gradient and information.
    fn add_penalty(&self, state: &mut LogisticPoint) {
        add_penalty(&self.penalty, state);
    }

    /// The state with Firth's penalty, which needs every row's hat value.
    fn evaluate_firth(&self, beta: DVector<f64>) -> Result<LogisticPoint, FitError> {
        let n = self.y.len();
        let mut eta = self.x * &beta;
        for (i, e) in eta.iter_mut().enumerate() {
            *e += self.offset.at(i);
        }
        let mut log_likelihood = 0.0;
        let mut p = vec![0.0; n];
        let mut curvature = vec![0.0; n];
        let mut residual = vec![0.0; n];
        for i in 0..n {
            let e = eta[i];
            let w = self.w.at(i);
            let (probability, softplus) = logistic_terms(e);
            log_likelihood += w * (self.y[i] * e - softplus);
            p[i] = probability;
            curvature[i] = w * p[i] * (1.0 - p[i]);
            residual[i] = w * (self.y[i] - p[i]);
        }
        let fisher = weighted_cross_product(self.x, &curvature);
        let mut objective = log_likelihood;
        let mut information = fisher.clone();
        if self.firth {
            let cholesky = fisher.clone().cholesky().ok_or_else(|| {
                FitError::Singular("the Fisher information is not positive definite".into())
            })?;
            let l = cholesky.l();
            objective += l.diagonal().iter().map(|d| d.ln()).sum::<f64>();
            // Hat diagonal h_i = W_i x_i' (X'WX)^-1 x_i, from L^-1 X'.
            let solved = l
                .solve_lower_triangular(&self.x.transpose())
                .ok_or_else(|| FitError::Singular("triangular solve failed".into()))?;
            let mut augmented = vec![0.0; n];
            for i in 0..n {
                let h = curvature[i] * solved.column(i).norm_squared();
                residual[i] += h * (0.5 - p[i]);
                augmented[i] = h * p[i] * (1.0 - p[i]);
            }
            information += weighted_cross_product(self.x, &augmented);
        }
        let gradient = self.x.tr_mul(&DVector::from_vec(residual));
        let largest_logit = eta
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.w.at(i) > 0.0)
            .fold(0.0f64, |m, (_, e)| m.max(e.abs()));
        let mut state = LogisticPoint {
            beta,
            largest_logit,
            log_likelihood,
            objective,
            gradient,
            information,
        };
        self.add_penalty(&mut state);
        Ok(state)
    }
}

/// Adds a Gaussian penalty, if any, to a state's objective, gradient and information.
pub(crate) fn add_penalty(penalty: &Penalty, state: &mut LogisticPoint) {
    if let Some((precision, center)) = penalty {
        let deviation = &state.beta - center;
        let pulled = precision * &deviation;
        state.objective -= 0.5 * deviation.dot(&pulled);
        state.gradient -= pulled;
        state.information += precision;
    }
}
impl<'a> Logistic<'a> {
    /// The logistic regression of outcomes `y` (in `[0, 1]`, one per row) on the design
    /// `x` (rows × columns, used as given: no column is scaled or added), with unit
    /// weights, no offset, no penalty and no bias reduction.
    ///
    /// ```rust
    /// use nalgebra::DMatrix;
    /// use recontact_model::solver::{Logistic, ProblemError};
    ///
    /// let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.5, 1.0, -1.0, 1.0, 2.0]);
    /// assert!(Logistic::new(&x, &[0.0, 1.0, 1.0]).is_ok());
    /// assert_eq!(
    ///     Logistic::new(&x, &[0.0, 1.0]).unwrap_err(),
    ///     ProblemError::Length { what: "outcomes", expected: 3, found: 2 }
    /// );
    /// ```
    pub fn new(x: &'a DMatrix<f64>, y: &'a [f64]) -> Result<Self, ProblemError> {
        same_length("outcomes", x.nrows(), y.len())?;
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(ProblemError::NotFinite {
                what: "design value",
                row: index % x.nrows(),
                value: x.as_slice()[index],
            });
        }
        if let Some(row) = y.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(ProblemError::Outcome { row, value: y[row] });
        }
        Ok(Logistic {
            x,
            y,
            w: PerRow::All(1.0),
            offset: PerRow::All(0.0),
            penalty: None,
            firth: false,
        })
    }

    /// With frequency weights: row i counts `weights[i]` times (0 or more, finite).
    ///
    /// ```rust
    /// use nalgebra::DMatrix;
    /// use recontact_model::solver::{Logistic, ProblemError};
    ///
    /// let x = DMatrix::from_element(2, 1, 1.0);
    /// let problem = Logistic::new(&x, &[0.0, 1.0]).unwrap();
    /// assert_eq!(
    ///     problem.with_weights(&[1.0, -2.0]).unwrap_err(),
    ///     ProblemError::NegativeWeight { row: 1, value: -2.0 }
    /// );
    /// ```
    pub fn with_weights(mut self, weights: &'a [f64]) -> Result<Self, ProblemError> {
        same_length("weights", self.x.nrows(), weights.len())?;
        finite("weight", weights)?;
        if let Some(row) = weights.iter().position(|&v| v < 0.0) {
            return Err(ProblemError::NegativeWeight {
                row,
                value: weights[row],
            });
        }
        self.w = PerRow::Each(weights);
        Ok(self)
    }

    /// With an offset: a known term added to every row's linear predictor.
    ///
    /// ```rust
    /// use nalgebra::DMatrix;
    /// use recontact_model::solver::{Logistic, ProblemError};
    ///
    /// let x = DMatrix::from_element(2, 1, 1.0);
    /// let problem = Logistic::new(&x, &[0.0, 1.0]).unwrap();
    /// assert!(matches!(
    ///     problem.with_offset(&[0.0, f64::NAN]),
    ///     Err(ProblemError::NotFinite { what: "offset", row: 1, .. })
    /// ));
    /// ```
    pub fn with_offset(mut self, offset: &'a [f64]) -> Result<Self, ProblemError> {
        same_length("offsets", self.x.nrows(), offset.len())?;
        finite("offset", offset)?;
        self.offset = PerRow::Each(offset);
        Ok(self)
    }

    /// With the L2 penalty λ/2 · Σ βⱼ² on every coefficient but the first when
    /// `intercept` (column 0 is then the intercept, as in the fit). Replaces any
    /// penalty given before.
    ///
    /// ```rust
    /// use nalgebra::DMatrix;
    /// use recontact_model::solver::{Logistic, ProblemError};
    ///
    /// let x = DMatrix::from_element(2, 1, 1.0);
    /// let problem = Logistic::new(&x, &[0.0, 1.0]).unwrap();
    /// assert_eq!(problem.with_l2(-1.0, true).unwrap_err(), ProblemError::Penalty(-1.0));
    /// ```
    pub fn with_l2(self, lambda: f64, intercept: bool) -> Result<Self, ProblemError> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(ProblemError::Penalty(lambda));
        }
        let p = self.x.ncols();
        let first = usize::from(intercept);
        let diagonal = DVector::from_fn(p, |j, _| if j < first { 0.0 } else { lambda });
        self.with_gaussian_penalty(DMatrix::from_diagonal(&diagonal), DVector::zeros(p))
    }

    /// With the Gaussian penalty ½ (β − center)ᵀ precision (β − center): a prior with
    /// that mean and precision (symmetric, positive semi-definite, columns × columns).
    /// Replaces any penalty given before.
    ///
    /// ```rust
    /// use nalgebra::{DMatrix, DVector};
    /// use recontact_model::solver::{Logistic, ProblemError};
    ///
    /// let x = DMatrix::from_element(2, 1, 1.0);
    /// let problem = Logistic::new(&x, &[0.0, 1.0]).unwrap();
    /// let wrong = problem.with_gaussian_penalty(DMatrix::identity(2, 2), DVector::zeros(2));
    /// assert_eq!(
    ///     wrong.unwrap_err(),
    ///     ProblemError::Length { what: "penalty rows and columns", expected: 1, found: 2 }
    /// );
    /// ```
    pub fn with_gaussian_penalty(
        mut self,
        precision: DMatrix<f64>,
        center: DVector<f64>,
    ) -> Result<Self, ProblemError> {
        let p = self.x.ncols();
        same_length("penalty rows and columns", p, precision.nrows())?;
        same_length("penalty rows and columns", p, precision.ncols())?;
        same_length("penalty centre values", p, center.len())?;
        finite("penalty centre value", center.as_slice())?;
        finite("penalty precision value", precision.as_slice())?;
        self.penalty = Some((precision, center));
        Ok(self)
    }

    /// With (or without) Firth's bias reduction: the objective gains ½ ln |XᵀWX|, whose
    /// maximum exists even when the outcome is separated.
    ///
    /// ```rust
    /// use nalgebra::DMatrix;
    /// use recontact_model::solver::{maximize, Logistic, Settings};
    ///
    /// // Completely separated: no maximum-likelihood estimate, but a Firth one.
    /// let x = DMatrix::from_row_slice(4, 2, &[1.0, -1.0, 1.0, -0.5, 1.0, 0.5, 1.0, 1.0]);
    /// let y = [0.0, 0.0, 1.0, 1.0];
    /// let problem = Logistic::new(&x, &y).unwrap().with_firth(true);
    /// let solution = maximize(&problem, nalgebra::DVector::zeros(2), &[0, 1], &Settings::default())
    ///     .unwrap();
    /// assert!(solution.converged);
    /// assert!(solution.point.beta[1] > 0.0 && solution.point.beta[1].is_finite());
    /// ```
    pub fn with_firth(mut self, firth: bool) -> Self {
        self.firth = firth;
        self
    }
}

/// `found` values where `expected` are needed.
fn same_length(what: &'static str, expected: usize, found: usize) -> Result<(), ProblemError> {
    if expected == found {
        Ok(())
    } else {
        Err(ProblemError::Length {
            what,
            expected,
            found,
        })
    }
}

/// Refuses a value that is NaN or infinite.
fn finite(what: &'static str, values: &[f64]) -> Result<(), ProblemError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(ProblemError::NotFinite {
            what,
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}

impl Objective for Logistic<'_> {
    type Point = LogisticPoint;
    type Error = FitError;

    fn dimension(&self) -> usize {
        self.x.ncols()
    }

    fn evaluate(&self, beta: DVector<f64>) -> Result<LogisticPoint, FitError> {
        Logistic::evaluate(self, beta)
    }
}

impl Point for LogisticPoint {
    fn beta(&self) -> &DVector<f64> {
        &self.beta
    }

    fn objective(&self) -> f64 {
        self.objective
    }

    fn gradient(&self) -> &DVector<f64> {
        &self.gradient
    }

    fn information(&self) -> &DMatrix<f64> {
        &self.information
    }
}
