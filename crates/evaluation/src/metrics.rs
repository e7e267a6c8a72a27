//! Discrimination and calibration of predicted probabilities against 0/1 outcomes.
//!
//! Every function takes plain slices: `y` holds outcomes (exactly 0 or 1), `p` predicted
//! probabilities in `[0, 1]`, and `lp` the model's linear predictor (log-odds) where the
//! metric is defined on the logit scale. Nothing is stored between calls and nothing
//! depends on hashing or randomness, so the same input always gives bit-identical output.
//! The definitions, formulas and references are in `docs/evaluation.md`.
//!
//! Input is checked, never trusted: mismatched lengths, empty input, outcomes other than
//! 0/1, non-finite values and probabilities outside `[0, 1]` are reported as
//! [`MetricsError`], as is a statistic that does not exist for the data (one outcome
//! class, separation in a calibration regression, a smoother window of zero width).

use std::convert::Infallible;

use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use thiserror::Error;

use recontact_model::solver::{
    logistic_terms, maximize, Convergence, Indefinite, Objective, Point, Settings, SolverError,
};
use recontact_stats::distributions::{chi_square_sf, logit, normal_quantile, two_sided_normal_p};

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricsError {
    /// Outcomes and predictions are not the same length.
    #[error("{outcomes} outcomes but {predictions} predictions")]
    LengthMismatch {
        /// Number of outcomes.
        outcomes: usize,
        /// Number of predictions (or linear predictors).
        predictions: usize,
    },
    /// No observations at all.
    #[error("no observations")]
    Empty,
    /// An outcome that is not exactly 0 or 1.
    #[error("outcome {value} at index {index} is not 0 or 1")]
    NotBinary {
        /// Zero-based position.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Every outcome is the same, so the metric (which compares the classes) is undefined.
    #[error("every outcome is {value}: the metric needs both events and non-events")]
    OneClass {
        /// The only outcome value present.
        value: u8,
    },
    /// An interval needs at least two observations in each class.
    #[error("{events} events and {non_events} non-events: at least two of each are needed")]
    TooFewPerClass {
        /// Number of events.
        events: usize,
        /// Number of non-events.
        non_events: usize,
    },
    /// A prediction or linear predictor that is NaN or infinite.
    #[error("prediction {value} at index {index} is not finite")]
    NonFinite {
        /// Zero-based position.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A probability outside `[0, 1]`.
    #[error("probability {value} at index {index} is outside [0, 1]")]
    ProbabilityOutOfRange {
        /// Zero-based position.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// An argument other than the data is out of its range (bins, groups, level).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The outcome classes are separated by the linear predictor, so the maximum-likelihood
    /// calibration slope does not exist (it is infinite).
    #[error("the linear predictor separates the outcomes (complete: {complete}): the calibration slope does not exist")]
    Separation {
        /// Whether the separation is complete (no shared value at the boundary).
        complete: bool,
    },
    /// The data do not determine the statistic (for example constant predictions).
    #[error("{0}")]
    Degenerate(String),
    /// A Newton iteration did not reach the convergence tolerance.
    #[error("{what} did not converge in {iterations} iterations")]
    NotConverged {
        /// Which fit.
        what: &'static str,
        /// Iterations run.
        iterations: usize,
    },
}

/// How a binned calibration table groups the predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Binning {
    /// Groups of (as nearly as ties allow) equal size after sorting by the prediction.
    EqualMass,
    /// Intervals `[0, 1/b), [1/b, 2/b), …, [(b-1)/b, 1]` of the prediction.
    EqualWidth,
}

/// One group of a binned calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    /// Observations in the bin.
    pub n: usize,
    /// Mean predicted probability.
    pub mean_predicted: f64,
    /// Observed event rate.
    pub observed: f64,
    /// Lower limit of the Wilson score 95% interval of the observed rate.
    pub ci_low: f64,
    /// Upper limit of the Wilson score 95% interval of the observed rate.
    pub ci_high: f64,
}

/// The c-statistic with its DeLong standard error and confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AucInterval {
    /// Area under the ROC curve (ties counted half).
    pub auc: f64,
    /// DeLong standard error.
    pub se: f64,
    /// Lower confidence limit, `auc - z se`, truncated at 0.
    pub ci_low: f64,
    /// Upper confidence limit, `auc + z se`, truncated at 1.
    pub ci_high: f64,
}

/// A maximum-likelihood estimate with its Wald 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WaldEstimate {
    /// The estimate.
    pub estimate: f64,
    /// Standard error from the inverse observed information.
    pub std_error: f64,
    /// Lower Wald 95% limit.
    pub ci_low: f64,
    /// Upper Wald 95% limit.
    pub ci_high: f64,
}

impl WaldEstimate {
    /// An estimate with its standard error and the Wald 95% interval
    /// `estimate ± z₀.₉₇₅ · std_error`.
    ///
    /// ```rust
    /// use recontact_evaluation::metrics::WaldEstimate;
    /// let w = WaldEstimate::new(0.5, 0.1);
    /// // 0.5 - scipy.stats.norm.ppf(0.975) * 0.1 = 0.3040036015459946
    /// assert!((w.ci_low - 0.304_003_601_545_994_6).abs() < 1e-15);
    /// assert_eq!((w.estimate, w.std_error), (0.5, 0.1));
    /// ```
    pub fn new(estimate: f64, std_error: f64) -> Self {
        let z = normal_quantile(0.975);
        WaldEstimate {
            estimate,
            std_error,
            ci_low: estimate - z * std_error,
            ci_high: estimate + z * std_error,
        }
    }
}

/// The Hosmer–Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HosmerLemeshow {
    /// Σ over groups and both outcome classes of (observed − expected)² / expected.
    pub statistic: f64,
    /// Degrees of freedom, `g − 2`.
    pub df: usize,
    /// Upper χ² tail probability of the statistic.
    pub p_value: f64,
}

/// Spiegelhalter's z-test of calibration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spiegelhalter {
    /// The z statistic.
    pub z: f64,
    /// Its two-sided normal p-value.
    pub p_value: f64,
}

/// Smoothed (loess) calibration summaries of Austin & Steyerberg (2019).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoessCalibration {
    /// Integrated calibration index: mean |smoothed − predicted|.
    pub ici: f64,
    /// Median of |smoothed − predicted|.
    pub e50: f64,
    /// 90th percentile (R type 7) of |smoothed − predicted|.
    pub e90: f64,
    /// Largest |smoothed − predicted|.
    pub emax: f64,
    /// The smoothed calibration curve, `(predicted, smoothed observed)`, on at most 100
    /// points: every distinct prediction when there are at most 100, otherwise 100 equally
    /// spaced points from the smallest to the largest prediction.
    pub curve: Vec<(f64, f64)>,
    /// How the curve was evaluated: [`LoessSurface::Exact`] or
    /// [`LoessSurface::Interpolated`].
    pub surface: LoessSurface,
}

/// A binned calibration table with its expected calibration error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinnedCalibration {
    /// Σ n_k / N · |observed_k − mean_predicted_k| over non-empty bins.
    pub ece: f64,
    /// The non-empty bins in order of increasing prediction.
    pub bins: Vec<Bin>,
}

/// Expected calibration error under both binnings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EceSummary {
    /// Equal-mass bins.
    pub equal_mass: BinnedCalibration,
    /// Equal-width bins.
    pub equal_width: BinnedCalibration,
}

/// Everything [`evaluate`] reports about a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Observations.
    pub n: usize,
    /// Events (outcomes equal to 1).
    pub events: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// DeLong 95% interval of the AUC, `[low, high]`.
    pub auc_ci: [f64; 2],
    /// Somers' D_xy = 2 (AUC − 1/2).
    pub dxy: f64,
    /// Mean negative log-likelihood.
    pub log_loss: f64,
    /// Mean squared error of the probabilities.
    pub brier: f64,
    /// 1 − Brier / (ȳ (1 − ȳ)).
    pub scaled_brier: f64,
    /// Calibration-in-the-large: intercept with the linear predictor as offset.
    pub calibration_intercept: WaldEstimate,
    /// Σ y / Σ p.
    pub observed_expected: f64,
    /// Slope of the logistic recalibration on the linear predictor.
    pub calibration_slope: WaldEstimate,
    /// Binned calibration tables and their expected calibration errors.
    pub ece: EceSummary,
    /// Hosmer–Lemeshow test with 10 groups.
    pub hosmer_lemeshow: HosmerLemeshow,
    /// Spiegelhalter's z-test.
    pub spiegelhalter: Spiegelhalter,
    /// Integrated calibration index (loess).
    pub ici: f64,
    /// Median absolute calibration error (loess).
    pub e50: f64,
    /// 90th percentile absolute calibration error (loess).
    pub e90: f64,
    /// Largest absolute calibration error (loess).
    pub emax: f64,
    /// The smoother's settings, in words.
    pub smoother: String,
    /// How the loess curve was evaluated: `exact` or `interpolated`.
    pub loess_surface: LoessSurface,
    /// ROC curve points `(fpr, tpr)` from `(0, 0)`.
    pub roc: Vec<(f64, f64)>,
    /// The loess calibration curve `(predicted, smoothed observed)`.
    pub calibration_curve: Vec<(f64, f64)>,
}

/// What [`evaluate`] reports as its `smoother` for the exact surface.
pub const SMOOTHER: &str = "loess of y on p: span 0.75, degree 2, family gaussian, tricube \
weights, surface direct (exact local fit at every point, no interpolation); R loess defaults \
except surface";

/// What [`evaluate`] reports as its `smoother` for the interpolated surface.
pub const SMOOTHER_INTERPOLATED: &str = "loess of y on p: span 0.75, degree 2, family gaussian, \
tricube weights, surface interpolated (exact local fits at 129 rank-spaced and 129 \
value-spaced vertices, cubic Hermite interpolation between them, each vertex's slope that \
of the parabola through it and its neighbours)";

/// The `smoother` text for a resolved surface.
fn smoother(surface: LoessSurface) -> &'static str {
    match surface {
        LoessSurface::Interpolated => SMOOTHER_INTERPOLATED,
        LoessSurface::Exact | LoessSurface::Auto => SMOOTHER,
    }
}

/// Mean score (gradient of the log-likelihood divided by n) at which the calibration
/// fits' Newton iterations stop.
pub const SCORE_TOLERANCE: f64 = 1e-12;
/// Newton iterations at most for the calibration fits.
pub const MAX_ITERATIONS: usize = 100;
/// Probabilities are clipped to `[EPS, 1 - EPS]` inside the log loss only.
pub const LOG_LOSS_EPS: f64 = 1e-15;
/// Loess span (R's default).
const LOESS_SPAN: f64 = 0.75;
/// At most this many points on the returned calibration curve.
const CURVE_POINTS: usize = 100;

// ---------------------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------------------

fn check_lengths(y: &[f64], other: &[f64]) -> Result<(), MetricsError> {
    if y.len() != other.len() {
        return Err(MetricsError::LengthMismatch {
            outcomes: y.len(),
            predictions: other.len(),
        });
    }
    if y.is_empty() {
        return Err(MetricsError::Empty);
    }
    Ok(())
}

/// Checks the outcomes and returns the number of events.
fn check_outcomes(y: &[f64]) -> Result<usize, MetricsError> {
    let mut events = 0;
    for (index, &value) in y.iter().enumerate() {
        if value == 1.0 {
            events += 1;
        } else if value != 0.0 {
            return Err(MetricsError::NotBinary { index, value });
        }
    }
    Ok(events)
}

fn check_finite(values: &[f64]) -> Result<(), MetricsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(MetricsError::NonFinite {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

fn check_probabilities(p: &[f64]) -> Result<(), MetricsError> {
    check_finite(p)?;
    match p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        Some(index) => Err(MetricsError::ProbabilityOutOfRange {
            index,
            value: p[index],
        }),
        None => Ok(()),
    }
}

pub(crate) fn need_both_classes(n: usize, events: usize) -> Result<(), MetricsError> {
    if events == 0 {
        Err(MetricsError::OneClass { value: 0 })
    } else if events == n {
        Err(MetricsError::OneClass { value: 1 })
    } else {
        Ok(())
    }
}

/// Outcomes and probabilities checked together; returns the number of events.
pub(crate) fn check_y_p(y: &[f64], p: &[f64]) -> Result<usize, MetricsError> {
    check_lengths(y, p)?;
    let events = check_outcomes(y)?;
    check_probabilities(p)?;
    Ok(events)
}

/// Outcomes and linear predictors checked together; returns the number of events.
pub(crate) fn check_y_lp(y: &[f64], lp: &[f64]) -> Result<usize, MetricsError> {
    check_lengths(y, lp)?;
    let events = check_outcomes(y)?;
    check_finite(lp)?;
    Ok(events)
}

// ---------------------------------------------------------------------------------------
// Discrimination
// ---------------------------------------------------------------------------------------

/// The positions of `values` in ascending (or descending) order, ties in position
/// order: the order a stable sort of the positions gives.
///
/// The pairs (value, position) are sorted instead, which keeps each comparison's data
/// together: a stable sort of positions that looks each value up was a quarter of
/// `evaluate`'s time at 2M rows, this one is several times faster. Positions break
/// ties, so the unstable sort gives the stable order exactly.
pub(crate) fn sorted_order(values: &[f64], descending: bool) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
    keyed.sort_unstable_by(|a, b| {
        let by_value = a.0.total_cmp(&b.0);
        let by_value = if descending {
            by_value.reverse()
        } else {
            by_value
        };
        by_value.then(a.1.cmp(&b.1))
    });
    keyed.into_iter().map(|(_, k)| k).collect()
}

/// One-based midranks: tied values share the mean of the ranks they occupy.
pub(crate) fn midranks(values: &[f64]) -> Vec<f64> {
    let order = sorted_order(values, false);
    let mut ranks = vec![0.0; values.len()];
    assign_midranks(values, &order, &mut ranks);
    ranks
}

/// Writes into `ranks[i]`, for each position `i` in `order` (ascending by value), the
/// midrank of `values[i]` among the values at the positions `order` lists. Positions not
/// listed are left alone, so one sort of all rows ranks any subset of them in its order.
fn assign_midranks(values: &[f64], order: &[usize], ranks: &mut [f64]) {
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Mean of the one-based ranks start+1 ..= end.
        let rank = (start + end + 1) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = rank;
        }
        start = end;
    }
}

/// Area under the ROC curve (the c-statistic): the probability that a random event has a
/// higher prediction than a random non-event, ties counted one half.
///
/// Computed from midranks (the Mann–Whitney form) in O(n log n). No direction is chosen:
/// a model that ranks backwards gets an AUC below 1/2.
///
/// ```rust
/// use recontact_evaluation::metrics::{auc, MetricsError};
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // sklearn.metrics.roc_auc_score(y, p) = 0.92
/// assert!((auc(&y, &p)? - 0.92).abs() < 1e-15);
/// // One class only: there is no pair to rank.
/// assert_eq!(auc(&[1.0, 1.0], &[0.2, 0.7]), Err(MetricsError::OneClass { value: 1 }));
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn auc(y: &[f64], p: &[f64]) -> Result<f64, MetricsError> {
    let events = check_y_p(y, p)?;
    need_both_classes(y.len(), events)?;
    let ranks = midranks(p);
    let rank_sum: f64 = ranks
        .iter()
        .zip(y)
        .filter(|&(_, &y)| y == 1.0)
        .map(|(r, _)| r)
        .sum();
    let m = events as f64;
    let n = (y.len() - events) as f64;
    Ok((rank_sum - m * (m + 1.0) / 2.0) / (m * n))
}

/// Somers' rank correlation `D_xy = 2 (AUC − 1/2)` between predictions and outcomes.
///
/// ```rust
/// use recontact_evaluation::metrics::dxy;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // scipy.stats.somersd(y, p).statistic = 0.84
/// assert!((dxy(&y, &p)? - 0.84).abs() < 1e-15);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn dxy(y: &[f64], p: &[f64]) -> Result<f64, MetricsError> {
    Ok(2.0 * (auc(y, p)? - 0.5))
}

/// The AUC with DeLong's (1988) standard error, by the fast midrank algorithm of Sun & Xu
/// (2014), and a normal interval at `level` on the AUC scale truncated to `[0, 1]`, as
/// pROC's `ci.auc(method = "delong")` reports it.
///
/// Needs at least two events and two non-events (the structural components' variances
/// use `n − 1` denominators).
///
/// ```rust
/// use recontact_evaluation::metrics::delong;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let interval = delong(&y, &p, 0.95)?;
/// // numpy, DeLong's placements by direct pairwise comparison (ddof=1 variances):
/// // auc 0.92, se 0.09380831519646858, 0.92 - scipy.stats.norm.ppf(0.975) * se = 0.73613908076454
/// assert!((interval.auc - 0.92).abs() < 1e-15);
/// assert!((interval.se - 0.093_808_315_196_468_58).abs() < 1e-15);
/// assert!((interval.ci_low - 0.736_139_080_764_54).abs() < 1e-14);
/// // 0.92 + 1.96 se = 1.10 is truncated to 1.
/// assert_eq!(interval.ci_high, 1.0);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn delong(y: &[f64], p: &[f64], level: f64) -> Result<AucInterval, MetricsError> {
    delong_sorted(y, p, &sorted_order(p, false), level)
}

/// [`delong`] with `order`, the positions of `p` in ascending order ([`sorted_order`]).
fn delong_sorted(
    y: &[f64],
    p: &[f64],
    order: &[usize],
    level: f64,
) -> Result<AucInterval, MetricsError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(MetricsError::InvalidArgument(format!(
            "the confidence level must lie in (0, 1), got {level}"
        )));
    }
    let events = check_y_p(y, p)?;
    let non_events = y.len() - events;
    need_both_classes(y.len(), events)?;
    if events < 2 || non_events < 2 {
        return Err(MetricsError::TooFewPerClass { events, non_events });
    }
    // Midranks among all rows (tz) and within the row's own class (tx for events, ty for
    // non-events), all from the one sort: a class's rows keep their order in it.
    let mut all = vec![0.0; p.len()];
    assign_midranks(p, order, &mut all);
    let mut within = vec![0.0; p.len()];
    for class in [1.0, 0.0] {
        let members: Vec<usize> = order.iter().copied().filter(|&i| y[i] == class).collect();
        assign_midranks(p, &members, &mut within);
    }
    let m = events as f64;
    let n = non_events as f64;

    // Structural components, in row order: V10 per event (share of non-events it beats),
    // V01 per non-event (share of events that beat it).
    let v10: Vec<f64> = (0..p.len())
        .filter(|&i| y[i] == 1.0)
        .map(|i| (all[i] - within[i]) / n)
        .collect();
    let v01: Vec<f64> = (0..p.len())
        .filter(|&i| y[i] == 0.0)
        .map(|i| 1.0 - (all[i] - within[i]) / m)
        .collect();
    let auc = v10.iter().sum::<f64>() / m;
    let s10 = sample_variance(&v10);
    let s01 = sample_variance(&v01);
    let se = (s10 / m + s01 / n).sqrt();
    let z = normal_quantile(0.5 + level / 2.0);
    Ok(AucInterval {
        auc,
        se,
        ci_low: (auc - z * se).max(0.0),
        ci_high: (auc + z * se).min(1.0),
    })
}

/// Variance with the `n − 1` denominator, by two passes for accuracy.
pub(crate) fn sample_variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
}

/// The ROC curve as `(false positive rate, true positive rate)` points, one per distinct
/// prediction from the highest down, starting at `(0, 0)` and ending at `(1, 1)`: what
/// scikit-learn's `roc_curve(y, p, drop_intermediate=False)` returns.
///
/// ```rust
/// use recontact_evaluation::metrics::roc_curve;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let curve = roc_curve(&y, &p)?;
/// // fpr, tpr = sklearn.metrics.roc_curve(y, p, drop_intermediate=False)[:2]
/// let fpr = [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.4, 0.4, 0.6, 0.8, 1.0];
/// let tpr = [0.0, 0.2, 0.4, 0.6, 0.8, 0.8, 0.8, 1.0, 1.0, 1.0, 1.0];
/// assert_eq!(curve.len(), fpr.len());
/// for (&(f, t), (rf, rt)) in curve.iter().zip(fpr.iter().zip(tpr)) {
///     assert!((f - rf).abs() < 1e-15 && (t - rt).abs() < 1e-15);
/// }
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn roc_curve(y: &[f64], p: &[f64]) -> Result<Vec<(f64, f64)>, MetricsError> {
    let events = check_y_p(y, p)?;
    roc_curve_sorted(y, p, &sorted_order(p, false), events)
}

/// [`roc_curve`] with `order`, the positions of `p` in ascending order: walked from the
/// end, tie by tie (the counts at a tie's end do not depend on the order within it).
fn roc_curve_sorted(
    y: &[f64],
    p: &[f64],
    order: &[usize],
    events: usize,
) -> Result<Vec<(f64, f64)>, MetricsError> {
    need_both_classes(y.len(), events)?;
    let non_events = (y.len() - events) as f64;
    let events = events as f64;
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate().rev() {
        if y[i] == 1.0 {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = k == 0 || p[order[k - 1]] != p[i];
        if last_of_tie {
            points.push((fp / non_events, tp / events));
        }
    }
    Ok(points)
}

// ---------------------------------------------------------------------------------------
// Overall performance
// ---------------------------------------------------------------------------------------

/// Mean negative log-likelihood (cross-entropy) of the outcomes under `p`.
///
/// Probabilities are clipped to `[1e-15, 1 − 1e-15]` here only, so a confident wrong
/// prediction costs about 34.5 rather than infinity (as scikit-learn's `log_loss` with its
/// former default `eps=1e-15`; scikit-learn 1.9 clips at the machine epsilon instead).
///
/// ```rust
/// use recontact_evaluation::metrics::log_loss;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // sklearn.metrics.log_loss(y, p) = 0.45321448797056113
/// assert!((log_loss(&y, &p)? - 0.453_214_487_970_561_13).abs() < 1e-15);
/// // A prediction of 0 counts as 1e-15: sklearn.metrics.log_loss([1, 0], [1e-15, 0.5])
/// // = 17.615961787735316
/// assert!((log_loss(&[1.0, 0.0], &[0.0, 0.5])? - 17.615_961_787_735_316).abs() < 1e-13);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn log_loss(y: &[f64], p: &[f64]) -> Result<f64, MetricsError> {
    check_y_p(y, p)?;
    let total: f64 = y
        .iter()
        .zip(p)
        .map(|(&y, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y == 1.0 {
                -libm::log(p)
            } else {
                -libm::log(1.0 - p)
            }
        })
        .sum();
    Ok(total / y.len() as f64)
}

/// Brier score: the mean squared difference between prediction and outcome.
///
/// ```rust
/// use recontact_evaluation::metrics::brier;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // sklearn.metrics.brier_score_loss(y, p) = 0.14175
/// assert!((brier(&y, &p)? - 0.141_75).abs() < 1e-15);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn brier(y: &[f64], p: &[f64]) -> Result<f64, MetricsError> {
    check_y_p(y, p)?;
    let total: f64 = y.iter().zip(p).map(|(y, p)| (p - y) * (p - y)).sum();
    Ok(total / y.len() as f64)
}

/// Scaled Brier score `1 − Brier / (ȳ (1 − ȳ))`: the Brier score relative to that of
/// predicting the event rate for everyone (1 is perfect, 0 is no better than the rate).
///
/// ```rust
/// use recontact_evaluation::metrics::scaled_brier;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // sklearn.metrics.d2_brier_score(y, p) = 0.43300000000000005
/// assert!((scaled_brier(&y, &p)? - 0.433).abs() < 1e-15);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn scaled_brier(y: &[f64], p: &[f64]) -> Result<f64, MetricsError> {
    let events = check_y_p(y, p)?;
    need_both_classes(y.len(), events)?;
    let rate = events as f64 / y.len() as f64;
    Ok(1.0 - brier(y, p)? / (rate * (1.0 - rate)))
}

// ---------------------------------------------------------------------------------------
// Calibration on the logit scale
// ---------------------------------------------------------------------------------------

/// The weighted log-likelihood of a logistic model with linear predictor `c + b·x` and
/// its score and information in `(c, b)`, from one pass over the rows (with `b = 0` and
/// no `x` it is the intercept-only model).
#[derive(Debug, Clone, Copy)]
struct CalibrationPass {
    log_likelihood: f64,
    score: [f64; 2],
    /// `[i_cc, i_cb, i_bb]`.
    information: [f64; 3],
}

impl CalibrationPass {
    /// The pass at `c + b·x[i] + offset[i]` for each row (`x` or `offset` may be empty,
    /// for terms that are absent).
    fn at(y: &[f64], w: &Weights, x: &[f64], offset: &[f64], (c, b): (f64, f64)) -> Self {
        let mut pass = CalibrationPass {
            log_likelihood: 0.0,
            score: [0.0; 2],
            information: [0.0; 3],
        };
        for (i, &y) in y.iter().enumerate() {
            let xi = x.get(i).copied().unwrap_or(0.0);
            let eta = c + b * xi + offset.get(i).copied().unwrap_or(0.0);
            let (p, log_partition) = logistic_terms(eta);
            let weight = w.at(i);
            let (variance, residual) = (weight * p * (1.0 - p), weight * (y - p));
            pass.log_likelihood += weight * (y * eta - log_partition);
            pass.score[0] += residual;
            pass.score[1] += residual * xi;
            pass.information[0] += variance;
            pass.information[1] += variance * xi;
            pass.information[2] += variance * xi * xi;
        }
        pass
    }
}

/// Frequency weights of the calibration fits: given per row, or 1 for every row.
struct Weights<'a>(Option<&'a [f64]>);

impl Weights<'_> {
    fn at(&self, i: usize) -> f64 {
        self.0.map_or(1.0, |w| w[i])
    }
}

/// The objective of a calibration fit: the weighted logistic log-likelihood of
/// `c + b·x[i] + offset[i]` in `(c)` when there is no `x` (the intercept with the linear
/// predictor as offset) or in `(c, b)` (the slope), each evaluation one
/// [`CalibrationPass`] over the rows: no design is built.
struct CalibrationFit<'a> {
    y: &'a [f64],
    w: &'a Weights<'a>,
    /// The covariate, or empty.
    x: &'a [f64],
    /// The offset, or empty.
    offset: &'a [f64],
}

/// A calibration fit's log-likelihood, score and information at one point, for one
/// coefficient (the intercept) or two (intercept and slope) as `beta` has: whatever
/// computes the sums, in memory or in an SQL engine, gives them in this form to
/// [`fit_calibration`].
///
/// ```
/// use nalgebra::DVector;
/// use recontact_evaluation::metrics::CalibrationPoint;
/// use recontact_model::solver::Point;
///
/// let two = DVector::from_column_slice(&[0.1, 0.9]);
/// let point = CalibrationPoint::new(two, -3.5, [0.2, -0.1], [2.0, 0.5, 1.5]);
/// assert_eq!(point.information()[(1, 0)], 0.5);
/// let one = CalibrationPoint::new(DVector::zeros(1), -3.5, [0.2, 0.0], [2.0, 0.0, 0.0]);
/// assert_eq!(one.gradient().len(), 1);
/// ```
pub struct CalibrationPoint {
    beta: DVector<f64>,
    log_likelihood: f64,
    gradient: DVector<f64>,
    information: DMatrix<f64>,
}

impl CalibrationPoint {
    /// The point at `beta`: the score (∂ℓ/∂a, ∂ℓ/∂b) and the information's
    /// (I_aa, I_ab, I_bb); only the first of each counts when `beta` has one coefficient.
    ///
    /// ```
    /// use nalgebra::DVector;
    /// use recontact_evaluation::metrics::CalibrationPoint;
    /// use recontact_model::solver::Point;
    ///
    /// let point = CalibrationPoint::new(DVector::zeros(2), -1.0, [0.5, 0.25], [2.0, 0.5, 1.5]);
    /// assert_eq!(point.gradient()[1], 0.25);
    /// assert_eq!(point.information()[(0, 1)], point.information()[(1, 0)]);
    /// ```
    pub fn new(
        beta: DVector<f64>,
        log_likelihood: f64,
        score: [f64; 2],
        [i_aa, i_ab, i_bb]: [f64; 3],
    ) -> Self {
        let (gradient, information) = if beta.len() == 1 {
            (
                DVector::from_element(1, score[0]),
                DMatrix::from_element(1, 1, i_aa),
            )
        } else {
            (
                DVector::from_column_slice(&score),
                DMatrix::from_row_slice(2, 2, &[i_aa, i_ab, i_ab, i_bb]),
            )
        };
        CalibrationPoint {
            beta,
            log_likelihood,
            gradient,
            information,
        }
    }
}

impl Objective for CalibrationFit<'_> {
    type Point = CalibrationPoint;
    type Error = Infallible;

    fn dimension(&self) -> usize {
        if self.x.is_empty() {
            1
        } else {
            2
        }
    }

    fn evaluate(&self, beta: DVector<f64>) -> Result<CalibrationPoint, Infallible> {
        let slope = beta.get(1).copied().unwrap_or(0.0);
        let pass = CalibrationPass::at(self.y, self.w, self.x, self.offset, (beta[0], slope));
        Ok(CalibrationPoint::new(
            beta,
            pass.log_likelihood,
            pass.score,
            pass.information,
        ))
    }
}

impl Point for CalibrationPoint {
    fn beta(&self) -> &DVector<f64> {
        &self.beta
    }

    fn objective(&self) -> f64 {
        self.log_likelihood
    }

    fn gradient(&self) -> &DVector<f64> {
        &self.gradient
    }

    fn information(&self) -> &DMatrix<f64> {
        &self.information
    }
}

/// Which calibration coefficient [`fit_calibration`] fits, with what its start and
/// stopping bounds need of the rows (frequency-weighted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CalibrationCoefficient {
    /// Calibration-in-the-large: `c` in `logit P(y = 1) = c + lp`, over rows of total
    /// weight `n`.
    Intercept {
        /// The total weight of the rows.
        n: f64,
    },
    /// The calibration slope: `b` in `logit P(y = 1) = a + b x`, x the linear predictor
    /// centred at its mean, over rows of total weight `n` with `events` events and x's
    /// root mean square `rms`.
    Slope {
        /// The total weight of the rows.
        n: f64,
        /// The total weight of the events.
        events: f64,
        /// √(Σ w x² / n).
        rms: f64,
    },
}

/// The calibration intercept or slope, with its Wald standard error, from an objective
/// giving the log-likelihood, score and information of the rows at each point (one
/// coefficient for the intercept, two for the slope): the start, stopping bounds and
/// degeneracy checks of [`calibration_in_the_large`] and [`calibration_slope`], by
/// [`solve_calibration`]. The fits in memory and those an SQL engine sums both end here.
///
/// ```rust
/// use std::convert::Infallible;
/// use nalgebra::DVector;
/// use recontact_evaluation::metrics::{fit_calibration, CalibrationCoefficient, CalibrationPoint};
/// use recontact_model::solver::Objective;
/// // Three rows with lp = 0, two events: the intercept is logit(2/3) = ln 2.
/// struct Rows;
/// impl Objective for Rows {
///     type Point = CalibrationPoint;
///     type Error = Infallible;
///     fn dimension(&self) -> usize { 1 }
///     fn evaluate(&self, b: DVector<f64>) -> Result<CalibrationPoint, Infallible> {
///         let p = 1.0 / (1.0 + (-b[0]).exp());
///         let ll = 2.0 * p.ln() + (1.0 - p).ln();
///         Ok(CalibrationPoint::new(b, ll, [2.0 - 3.0 * p, 0.0], [3.0 * p * (1.0 - p), 0.0, 0.0]))
///     }
/// }
/// let fit = fit_calibration(&Rows, CalibrationCoefficient::Intercept { n: 3.0 })
///     .map_err(|_| "no fit")?;
/// assert!((fit.estimate - 2f64.ln()).abs() < 1e-9);
/// assert!((fit.std_error - 1.5f64.sqrt()).abs() < 1e-6); // 1 / √(3 · 2/3 · 1/3)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_calibration<O>(
    objective: &O,
    coefficient: CalibrationCoefficient,
) -> Result<WaldEstimate, CalibrationFailure<O::Error>>
where
    O: Objective<Point = CalibrationPoint>,
    O::Error: std::fmt::Display,
{
    let failed = |e: MetricsError| CalibrationFailure::Metrics(e);
    match coefficient {
        CalibrationCoefficient::Intercept { n } => {
            const WHAT: &str = "calibration intercept";
            let degenerate =
                || MetricsError::Degenerate(format!("{WHAT}: every fitted probability is 0 or 1"));
            let bounds = vec![SCORE_TOLERANCE * n];
            let point = solve_calibration(objective, DVector::zeros(1), bounds, WHAT, &degenerate)?;
            let information = point.information[(0, 0)];
            if information.is_nan() || information <= 0.0 {
                return Err(failed(degenerate()));
            }
            Ok(WaldEstimate::new(point.beta[0], 1.0 / information.sqrt()))
        }
        CalibrationCoefficient::Slope { n, events, rms } => {
            const WHAT: &str = "calibration slope";
            let singular =
                || MetricsError::Degenerate(format!("{WHAT}: the information matrix is singular"));
            let start = DVector::from_column_slice(&[logit(events / n), 0.0]);
            let bounds = vec![SCORE_TOLERANCE * n, SCORE_TOLERANCE * n * rms];
            let point = solve_calibration(objective, start, bounds, WHAT, &singular)?;
            let i = &point.information;
            let (i00, i01, i11) = (i[(0, 0)], i[(0, 1)], i[(1, 1)]);
            let det = i00 * i11 - i01 * i01;
            if det.is_nan() || det <= 0.0 {
                return Err(failed(singular()));
            }
            Ok(WaldEstimate::new(point.beta[1], (i00 / det).sqrt()))
        }
    }
}

/// A calibration fit of rows in memory, which cannot fail but by its numbers.
fn in_memory(
    fit: Result<WaldEstimate, CalibrationFailure<Infallible>>,
) -> Result<WaldEstimate, MetricsError> {
    fit.map_err(|f| match f {
        CalibrationFailure::Metrics(e) => e,
        CalibrationFailure::Objective(never) => match never {},
    })
}

/// Why a calibration fit by [`solve_calibration`] stopped without an answer.
#[derive(Debug)]
pub enum CalibrationFailure<E> {
    /// The objective could not be evaluated (a store's query failed).
    Objective(E),
    /// The fit is degenerate or did not converge.
    Metrics(MetricsError),
}

/// The calibration fits' maximum of `objective` from `start`, by the one Newton driver,
/// stopping when each score component is within its bound (a mean score of
/// [`SCORE_TOLERANCE`]) within [`MAX_ITERATIONS`]; an information that is not finite or
/// not positive definite on the way is `degenerate()`. Shared by the calibration fits in
/// memory and those whose sums an SQL engine computes, so both stop by the same rule.
///
/// ```rust
/// use std::convert::Infallible;
/// use nalgebra::{DMatrix, DVector};
/// use recontact_evaluation::metrics::{solve_calibration, MetricsError};
/// use recontact_model::solver::{Objective, Point};
/// // The concave −(b − 2)²: its maximum at 2.
/// struct Parabola;
/// struct At(DVector<f64>, f64, DVector<f64>, DMatrix<f64>);
/// impl Point for At {
///     fn beta(&self) -> &DVector<f64> { &self.0 }
///     fn objective(&self) -> f64 { self.1 }
///     fn gradient(&self) -> &DVector<f64> { &self.2 }
///     fn information(&self) -> &DMatrix<f64> { &self.3 }
/// }
/// impl Objective for Parabola {
///     type Point = At;
///     type Error = Infallible;
///     fn dimension(&self) -> usize { 1 }
///     fn evaluate(&self, b: DVector<f64>) -> Result<At, Infallible> {
///         let d = b[0] - 2.0;
///         Ok(At(b, -d * d, DVector::from_element(1, -2.0 * d), DMatrix::from_element(1, 1, 2.0)))
///     }
/// }
/// let degenerate = || MetricsError::Degenerate("flat".into());
/// let point = solve_calibration(&Parabola, DVector::zeros(1), vec![1e-12], "parabola", &degenerate)
///     .map_err(|_| "no maximum")?;
/// assert!((point.beta()[0] - 2.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn solve_calibration<O>(
    objective: &O,
    start: DVector<f64>,
    bounds: Vec<f64>,
    what: &'static str,
    degenerate: &dyn Fn() -> MetricsError,
) -> Result<O::Point, CalibrationFailure<O::Error>>
where
    O: Objective,
    O::Error: std::fmt::Display,
{
    let free: Vec<usize> = (0..start.len()).collect();
    let settings = Settings {
        max_iterations: MAX_ITERATIONS,
        convergence: Convergence::Score { bounds },
        indefinite: Indefinite::Refuse,
    };
    let solution = maximize(objective, start, &free, &settings).map_err(|error| match error {
        SolverError::Objective(e) => CalibrationFailure::Objective(e),
        SolverError::NotFinite { .. } | SolverError::NotPositiveDefinite { .. } => {
            CalibrationFailure::Metrics(degenerate())
        }
        other => CalibrationFailure::Metrics(MetricsError::Degenerate(format!("{what}: {other}"))),
    })?;
    if !solution.converged {
        return Err(CalibrationFailure::Metrics(MetricsError::NotConverged {
            what,
            iterations: solution.iterations,
        }));
    }
    Ok(solution.point)
}

/// Checks the outcomes, linear predictors and weights of a calibration fit and returns
/// the weights with the sum of weights and of weighted events, which must both be
/// positive and differ (both classes need weight).
fn check_calibration_input<'a>(
    y: &[f64],
    lp: &[f64],
    weights: Option<&'a [f64]>,
) -> Result<(Weights<'a>, f64, f64), MetricsError> {
    let events = check_y_lp(y, lp)?;
    let Some(w) = weights else {
        need_both_classes(y.len(), events)?;
        return Ok((Weights(None), y.len() as f64, events as f64));
    };
    check_lengths(y, w)?;
    check_finite(w)?;
    if let Some(index) = w.iter().position(|&v| v < 0.0) {
        return Err(MetricsError::InvalidArgument(format!(
            "weight {} at index {index} is negative; frequency weights are 0 or more",
            w[index]
        )));
    }
    let total: f64 = w.iter().sum();
    let weighted_events: f64 = y.iter().zip(w).map(|(y, w)| y * w).sum();
    if weighted_events <= 0.0 {
        return Err(MetricsError::OneClass { value: 0 });
    }
    if weighted_events >= total {
        return Err(MetricsError::OneClass { value: 1 });
    }
    Ok((Weights(Some(w)), total, weighted_events))
}

/// Calibration-in-the-large: the intercept `a` of `logit P(y = 1) = a + lp` with `lp` as
/// an offset (slope fixed at 1), by Newton's method, with its Wald 95% interval.
///
/// Zero for a model whose predictions are right on average; positive when the model
/// under-predicts. Needs both outcome classes (otherwise `a` is infinite).
///
/// ```
/// use recontact_evaluation::metrics::calibration_in_the_large;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let lp = [-1.2, -0.4, 0.3, -0.8, 1.1, 0.2, 0.5, -0.1, 1.6, -1.5];
/// # let w = [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0];
/// // statsmodels 0.15: GLM(y, ones, Binomial(), offset=lp).fit(tol=1e-14)
/// let fit = calibration_in_the_large(&y, &lp)?;
/// assert!((fit.estimate - 0.03392104700984758).abs() < 1e-9 && (fit.std_error - 0.6925046609672383).abs() < 1e-9);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn calibration_in_the_large(y: &[f64], lp: &[f64]) -> Result<WaldEstimate, MetricsError> {
    weighted_calibration_in_the_large(y, lp, None)
}

/// [`calibration_in_the_large`] with frequency weights: row i counts `weights[i]` times
/// (as GLM's `freq_weights`), so the standard error uses Σ w, not the row count.
///
/// ```
/// use recontact_evaluation::metrics::weighted_calibration_in_the_large;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let lp = [-1.2, -0.4, 0.3, -0.8, 1.1, 0.2, 0.5, -0.1, 1.6, -1.5];
/// # let w = [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0];
/// // statsmodels 0.15: GLM(y, ones, Binomial(), offset=lp, freq_weights=w).fit(tol=1e-14)
/// let fit = weighted_calibration_in_the_large(&y, &lp, Some(&w))?;
/// assert!((fit.estimate - -0.20611008689648505).abs() < 1e-9 && (fit.std_error - 0.5696722640342023).abs() < 1e-9);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn weighted_calibration_in_the_large(
    y: &[f64],
    lp: &[f64],
    weights: Option<&[f64]>,
) -> Result<WaldEstimate, MetricsError> {
    let (w, n, _) = check_calibration_input(y, lp, weights)?;
    let fit = CalibrationFit {
        y,
        w: &w,
        x: &[],
        offset: lp,
    };
    in_memory(fit_calibration(
        &fit,
        CalibrationCoefficient::Intercept { n },
    ))
}

/// Observed over expected events, `Σ y / Σ p` (1 when the predictions are right on
/// average).
///
/// ```rust
/// use recontact_evaluation::metrics::observed_expected;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // numpy: y.sum() / p.sum() = 5 / 4.45 = 1.1235955056179774
/// assert!((observed_expected(&y, &p)? - 1.123_595_505_617_977_4).abs() < 1e-15);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn observed_expected(y: &[f64], p: &[f64]) -> Result<f64, MetricsError> {
    let events = check_y_p(y, p)?;
    let expected: f64 = p.iter().sum();
    if expected <= 0.0 {
        return Err(MetricsError::Degenerate(
            "observed/expected: every prediction is 0".to_string(),
        ));
    }
    Ok(events as f64 / expected)
}

/// The calibration slope: `b` in the logistic regression `logit P(y = 1) = a + b lp`,
/// fitted by Newton's method, with its Wald 95% interval.
///
/// 1 when the spread of the predictions is right; below 1 when they are too extreme
/// (overfitting). The regression is fitted on `lp` centred at its mean, which changes
/// only the intercept, for a better-conditioned information matrix. When the linear
/// predictor separates the outcomes the slope is infinite and [`MetricsError::Separation`]
/// is returned; a numerically constant `lp` (see [`CONSTANT_LP_TOLERANCE`]) gives
/// [`MetricsError::Degenerate`].
///
/// ```
/// use recontact_evaluation::metrics::calibration_slope;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let lp = [-1.2, -0.4, 0.3, -0.8, 1.1, 0.2, 0.5, -0.1, 1.6, -1.5];
/// # let w = [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0];
/// // statsmodels 0.15: GLM(y, [1, lp], Binomial()).fit(tol=1e-14), the slope
/// let fit = calibration_slope(&y, &lp)?;
/// assert!((fit.estimate - 2.82638392027356).abs() < 1e-9 && (fit.std_error - 1.7949766843410517).abs() < 1e-9);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn calibration_slope(y: &[f64], lp: &[f64]) -> Result<WaldEstimate, MetricsError> {
    weighted_calibration_slope(y, lp, None)
}

/// [`calibration_slope`] with frequency weights: row i counts `weights[i]` times (as
/// GLM's `freq_weights`); rows of weight 0 take no part.
///
/// ```
/// use recontact_evaluation::metrics::weighted_calibration_slope;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let lp = [-1.2, -0.4, 0.3, -0.8, 1.1, 0.2, 0.5, -0.1, 1.6, -1.5];
/// # let w = [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0];
/// // statsmodels 0.15: GLM(y, [1, lp], Binomial(), freq_weights=w).fit(tol=1e-14), the slope
/// let fit = weighted_calibration_slope(&y, &lp, Some(&w))?;
/// // (the two fits stop at different points within their tolerances: agreement to 1e-7)
/// assert!((fit.estimate - 2.6924536248168893).abs() < 1e-9 && (fit.std_error - 1.3531157508746463).abs() < 1e-7);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn weighted_calibration_slope(
    y: &[f64],
    lp: &[f64],
    weights: Option<&[f64]>,
) -> Result<WaldEstimate, MetricsError> {
    let (w, n, events) = check_calibration_input(y, lp, weights)?;
    check_overlap(y, lp, &w)?;
    let mean = (0..lp.len()).map(|i| w.at(i) * lp[i]).sum::<f64>() / n;
    let x: Vec<f64> = lp.iter().map(|v| v - mean).collect();
    let rms = ((0..x.len()).map(|i| w.at(i) * x[i] * x[i]).sum::<f64>() / n).sqrt();
    let fit = CalibrationFit {
        y,
        w: &w,
        x: &x,
        offset: &[],
    };
    in_memory(fit_calibration(
        &fit,
        CalibrationCoefficient::Slope { n, events, rms },
    ))
}

/// A linear predictor whose spread (largest minus smallest value over the rows with
/// weight) is at most this times max(1, largest |lp|) is numerically constant: the
/// calibration slope is refused rather than estimated.
///
/// Why: a linear predictor is a sum of products rounded to about 1e-16 of its
/// magnitude, so a spread within a few hundred rounding steps of the magnitude is
/// rounding, not ranking, and a slope fitted to it is noise divided by noise (a refit
/// whose slope coefficients are 1e-17 gives calibration slopes of 1e14). The floor of 1
/// is the logit scale's own unit: predictions differing by less than 1e-10 on it differ
/// by less than 2.5e-11 in probability, which no outcome data can calibrate.
pub const CONSTANT_LP_TOLERANCE: f64 = 1e-10;

/// With one covariate and an intercept, the maximum-likelihood slope exists exactly when
/// the covariate ranges of the two classes overlap in more than a single point, and is
/// meaningful only when the covariate is not constant up to rounding.
fn check_overlap(y: &[f64], x: &[f64], w: &Weights) -> Result<(), MetricsError> {
    let (mut min0, mut max0, mut min1, mut max1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (i, (&y, &x)) in y.iter().zip(x).enumerate() {
        if w.at(i) <= 0.0 {
            continue;
        }
        if y == 1.0 {
            min1 = min1.min(x);
            max1 = max1.max(x);
        } else {
            min0 = min0.min(x);
            max0 = max0.max(x);
        }
    }
    slope_exists((min0, max0), (min1, max1))
}

/// Whether the calibration slope exists and is meaningful, from the range `(min, max)`
/// of the linear predictor among the non-events and among the events (rows with weight):
/// the classes must overlap in more than one point, and the predictor must not be
/// numerically constant (see [`CONSTANT_LP_TOLERANCE`]). [`calibration_slope`]'s check.
///
/// ```rust
/// use recontact_evaluation::metrics::{slope_exists, MetricsError};
/// assert!(slope_exists((-1.0, 0.5), (0.0, 2.0)).is_ok());
/// assert_eq!(slope_exists((-1.0, 0.0), (0.5, 2.0)), Err(MetricsError::Separation { complete: true }));
/// ```
pub fn slope_exists(
    (min0, max0): (f64, f64),
    (min1, max1): (f64, f64),
) -> Result<(), MetricsError> {
    let (lowest, highest) = (min0.min(min1), max0.max(max1));
    let spread = highest - lowest;
    let magnitude = lowest.abs().max(highest.abs());
    if spread <= CONSTANT_LP_TOLERANCE * magnitude.max(1.0) {
        return Err(MetricsError::Degenerate(format!(
            "calibration slope: the linear predictor is numerically constant (its values \
             span {spread:e} at magnitude {magnitude:e}; a slope needs a spread above \
             {CONSTANT_LP_TOLERANCE:e} × max(1, |lp|))"
        )));
    }
    if max0 <= min1 {
        return Err(MetricsError::Separation {
            complete: max0 < min1,
        });
    }
    if max1 <= min0 {
        return Err(MetricsError::Separation {
            complete: max1 < min0,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Binned calibration and tests
// ---------------------------------------------------------------------------------------

/// Wilson score interval of a proportion `x / n` at 95%.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    let z = normal_quantile(0.975);
    let z2 = z * z;
    let centre = (x + z2 / 2.0) / (n + z2);
    let half = z * (x * (n - x) / n + z2 / 4.0).sqrt() / (n + z2);
    (centre - half, centre + half)
}

/// Indices of the observations in each group (empty groups included), for `b` groups;
/// `order` is the ascending order of `p` when the caller has it.
fn group_indices(
    p: &[f64],
    b: usize,
    binning: Binning,
    order: Option<&[usize]>,
) -> Vec<Vec<usize>> {
    let n = p.len();
    let mut groups = vec![Vec::new(); b];
    match binning {
        Binning::EqualMass => {
            let sorted;
            let order = match order {
                Some(order) => order,
                None => {
                    sorted = sorted_order(p, false);
                    &sorted
                }
            };
            let mut start = 0;
            for (k, group) in groups.iter_mut().enumerate() {
                let mut end = if k + 1 == b { n } else { (k + 1) * n / b };
                // A run of tied predictions is never split: it goes wholly to the lower
                // group, so the table does not depend on row order.
                while end > 0 && end < n && p[order[end - 1]] == p[order[end]] {
                    end += 1;
                }
                let end = end.max(start);
                group.extend_from_slice(&order[start..end]);
                start = end;
            }
        }
        Binning::EqualWidth => {
            for (i, &value) in p.iter().enumerate() {
                // p in [0, 1] was checked, so the index is in 0..=b; 1 joins the last bin.
                let k = ((value * b as f64).floor() as usize).min(b - 1);
                groups[k].push(i);
            }
        }
    }
    groups
}

/// A binned calibration table: `b` groups of predictions, each with its size, mean
/// prediction, observed event rate and Wilson score 95% interval of that rate.
///
/// Equal-mass bins sort the predictions and cut them into `b` groups of sizes
/// `⌊kN/b⌋ − ⌊(k−1)N/b⌋`, except that a run of tied predictions is never split (it goes
/// wholly to the lower group), so groups next to large ties are bigger and a later group
/// may be empty. Equal-width bins are `[0, 1/b), …, [(b−1)/b, 1]` (prediction times b,
/// rounded down). Empty bins are left out.
///
/// ```rust
/// use recontact_evaluation::metrics::{bins, Binning};
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let table = bins(&y, &p, 4, Binning::EqualWidth)?;
/// // sklearn.calibration.calibration_curve(y, p, n_bins=4) (no prediction on an edge):
/// // prob_true [0, 0.25, 1, 1], prob_pred [0.15, 0.375, 0.61667, 0.8], counts 2, 4, 3, 1
/// let sizes: Vec<usize> = table.iter().map(|b| b.n).collect();
/// assert_eq!(sizes, [2, 4, 3, 1]);
/// assert!((table[1].observed - 0.25).abs() < 1e-15);
/// assert!((table[2].mean_predicted - 0.616_666_666_666_666_6).abs() < 1e-15);
/// // statsmodels proportion_confint(1, 4, method="wilson")
/// //   = (0.0455872608097006, 0.6993581574175982)
/// assert!((table[1].ci_low - 0.045_587_260_809_700_6).abs() < 1e-15);
/// assert!((table[1].ci_high - 0.699_358_157_417_598_2).abs() < 1e-15);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn bins(y: &[f64], p: &[f64], b: usize, binning: Binning) -> Result<Vec<Bin>, MetricsError> {
    check_y_p(y, p)?;
    bins_sorted(y, p, b, binning, None)
}

/// [`bins`] of checked data, with the ascending order of `p` when the caller has it.
fn bins_sorted(
    y: &[f64],
    p: &[f64],
    b: usize,
    binning: Binning,
    order: Option<&[usize]>,
) -> Result<Vec<Bin>, MetricsError> {
    if b == 0 {
        return Err(MetricsError::InvalidArgument(
            "the number of bins must be at least 1".to_string(),
        ));
    }
    Ok(group_indices(p, b, binning, order)
        .into_iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            let events: f64 = group.iter().map(|&i| y[i]).sum();
            let predicted: f64 = group.iter().map(|&i| p[i]).sum();
            Bin::from_sums(group.len(), events, predicted)
        })
        .collect())
}

impl Bin {
    /// A bin of `n` observations (at least 1) from its number of events and the sum of
    /// its predictions, with the Wilson interval: what [`bins`] makes of each group.
    ///
    /// ```rust
    /// use recontact_evaluation::metrics::Bin;
    /// let bin = Bin::from_sums(4, 1.0, 1.5);
    /// assert_eq!((bin.observed, bin.mean_predicted), (0.25, 0.375));
    /// // statsmodels proportion_confint(1, 4, method="wilson")[0] = 0.0455872608097006
    /// assert!((bin.ci_low - 0.045_587_260_809_700_6).abs() < 1e-15);
    /// ```
    pub fn from_sums(n: usize, events: f64, predicted: f64) -> Bin {
        let size = n as f64;
        let (ci_low, ci_high) = wilson(events, size);
        Bin {
            n,
            mean_predicted: predicted / size,
            observed: events / size,
            ci_low,
            ci_high,
        }
    }
}

impl BinnedCalibration {
    /// The table of `bins` (the non-empty ones, in order) with its expected calibration
    /// error.
    ///
    /// ```rust
    /// use recontact_evaluation::metrics::{Bin, BinnedCalibration};
    /// let table = BinnedCalibration::from_bins(vec![Bin::from_sums(2, 0.0, 0.3), Bin::from_sums(2, 2.0, 1.7)]);
    /// // (2 |0 - 0.15| + 2 |1 - 0.85|) / 4
    /// assert!((table.ece - 0.15).abs() < 1e-15);
    /// ```
    pub fn from_bins(bins: Vec<Bin>) -> BinnedCalibration {
        BinnedCalibration {
            ece: ece_from_bins(&bins),
            bins,
        }
    }
}

/// Expected calibration error of a binned table, `Σ n_k / N · |observed_k −
/// mean_predicted_k|` (N the total of the bins' sizes); 0 for no bins.
fn ece_from_bins(bins: &[Bin]) -> f64 {
    let total: usize = bins.iter().map(|b| b.n).sum();
    if total == 0 {
        return 0.0;
    }
    bins.iter()
        .map(|b| b.n as f64 * (b.observed - b.mean_predicted).abs())
        .sum::<f64>()
        / total as f64
}

/// Expected calibration error over `b` bins of the given kind (see [`bins`]).
///
/// ```rust
/// use recontact_evaluation::metrics::{ece, Binning};
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// // numpy from sklearn.calibration.calibration_curve(y, p, n_bins=4) and the bin
/// // counts: sum(n_k / 10 * |prob_true_k - prob_pred_k|) = 0.215
/// assert!((ece(&y, &p, 4, Binning::EqualWidth)? - 0.215).abs() < 1e-15);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn ece(y: &[f64], p: &[f64], b: usize, binning: Binning) -> Result<f64, MetricsError> {
    Ok(ece_from_bins(&bins(y, p, b, binning)?))
}

/// R's default (type 7) quantile of sorted values, in R's own arithmetic:
/// `(1 − h) x[lo] + h x[hi]`, and exactly `x[lo]` when the neighbours are equal.
pub(crate) fn quantile_r7(sorted: &[f64], prob: f64) -> f64 {
    quantile_type7(sorted.len(), prob, |k| sorted[k])
}

/// The zero-based ranks R's type-7 quantile at `prob` of `n` values interpolates
/// between, `(lo, hi)`: what [`quantile_type7`] asks `order_statistic` for.
///
/// ```rust
/// use recontact_evaluation::metrics::type7_ranks;
/// assert_eq!(type7_ranks(11, 0.25), (2, 3));
/// assert_eq!(type7_ranks(5, 0.5), (2, 2));
/// ```
pub fn type7_ranks(n: usize, prob: f64) -> (usize, usize) {
    let index = (n.max(1) - 1) as f64 * prob;
    (
        index.floor() as usize,
        (index.ceil() as usize).min(n.max(1) - 1),
    )
}

/// R's default (type 7) quantile at `prob` of `n` values (at least one) known through
/// `order_statistic(k)`, the k-th smallest (zero-based; only the ranks of
/// [`type7_ranks`] are asked for): `(1 − h) x[lo] + h x[hi]`, and exactly `x[lo]` when
/// the two are equal, in R's own arithmetic.
///
/// ```rust
/// use recontact_evaluation::metrics::quantile_type7;
/// let sorted = [1.0, 2.0, 4.0, 8.0];
/// // numpy.quantile([1, 2, 4, 8], 0.5) = 3.0
/// assert_eq!(quantile_type7(4, 0.5, |k| sorted[k]), 3.0);
/// ```
pub fn quantile_type7(n: usize, prob: f64, order_statistic: impl Fn(usize) -> f64) -> f64 {
    let index = (n - 1) as f64 * prob;
    let (lo, hi) = type7_ranks(n, prob);
    let h = index - lo as f64;
    let (low, high) = (order_statistic(lo), order_statistic(hi));
    if h > 0.0 && high != low {
        (1.0 - h) * low + h * high
    } else {
        low
    }
}

/// [`quantile_r7`] of unsorted `values` by selection, in O(n): the two order statistics
/// the interpolation needs are found without sorting (a sort of the 2M absolute errors
/// was a tenth of the loess calibration's time). `values` is reordered.
fn selected_quantile_r7(values: &mut [f64], prob: f64) -> f64 {
    let index = (values.len() - 1) as f64 * prob;
    let lo = index.floor() as usize;
    let hi = (index.ceil() as usize).min(values.len() - 1);
    let (_, &mut low, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let high = if hi > lo {
        above.iter().copied().min_by(f64::total_cmp).unwrap_or(low)
    } else {
        low
    };
    let h = index - lo as f64;
    if h > 0.0 && high != low {
        (1.0 - h) * low + h * high
    } else {
        low
    }
}

/// The Hosmer–Lemeshow test with `g` groups at quantiles of the predicted risk, exactly
/// as R's `ResourceSelection::hoslem.test(y, p, g)`: breaks are the distinct type-7
/// quantiles of `p` at `0, 1/g, …, 1`, groups are `[b0, b1], (b1, b2], …` (R's
/// `cut(include.lowest = TRUE)`), the statistic sums (observed − expected)² / expected
/// over the groups and both outcome classes, and `df = g − 2` whatever the number of
/// distinct breaks.
///
/// One difference: a group that receives no observation (possible when interpolated
/// breaks fall between two tied values) is skipped, where R would return NaN. A group
/// whose expected count in a class is 0 (all its predictions exactly 0 or 1) is
/// [`MetricsError::Degenerate`].
///
/// ```rust
/// use recontact_evaluation::metrics::hosmer_lemeshow;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let test = hosmer_lemeshow(&y, &p, 3)?;
/// // numpy, hoslem.test's rule: breaks numpy.quantile(p, [0, 1/3, 2/3, 1]), groups
/// // [b0, b1], (b1, b2], (b2, b3]: statistic 1.5034512510785167,
/// // scipy.stats.chi2.sf(1.5034512510785167, 1) = 0.2201410932765942
/// assert_eq!(test.df, 1);
/// assert!((test.statistic - 1.503_451_251_078_516_7).abs() < 1e-13);
/// assert!((test.p_value - 0.220_141_093_276_594_2).abs() < 1e-13);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn hosmer_lemeshow(y: &[f64], p: &[f64], g: usize) -> Result<HosmerLemeshow, MetricsError> {
    check_y_p(y, p)?;
    let mut sorted = p.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    hosmer_lemeshow_sorted(y, p, &sorted, g)
}

/// [`hosmer_lemeshow`] of checked data, with `sorted`, the values of `p` in ascending
/// order.
fn hosmer_lemeshow_sorted(
    y: &[f64],
    p: &[f64],
    sorted: &[f64],
    g: usize,
) -> Result<HosmerLemeshow, MetricsError> {
    let breaks = hosmer_lemeshow_breaks(g, |prob| quantile_r7(sorted, prob))?;
    let groups = breaks.len() - 1;
    let mut sums = vec![(0usize, 0.0, 0.0); groups];
    for (&y, &p) in y.iter().zip(p) {
        let k = hosmer_lemeshow_group(&breaks, p);
        sums[k].0 += 1;
        sums[k].1 += y;
        sums[k].2 += p;
    }
    HosmerLemeshow::from_groups(&sums, g)
}

/// The breaks of the Hosmer–Lemeshow groups: the distinct type-7 quantiles of the
/// predictions at `0, 1/g, …, 1`, from `quantile(prob)` (at least two, else the test is
/// [`MetricsError::Degenerate`]); `g` is at least 3.
///
/// ```rust
/// use recontact_evaluation::metrics::{hosmer_lemeshow_breaks, hosmer_lemeshow_group, quantile_type7};
/// let sorted = [0.1, 0.2, 0.35, 0.4, 0.8];
/// let breaks = hosmer_lemeshow_breaks(4, |prob| quantile_type7(5, prob, |k| sorted[k]))?;
/// assert_eq!(breaks, [0.1, 0.2, 0.35, 0.4, 0.8]);
/// // Groups [b0, b1], (b1, b2], …: 0.2 is in the first, 0.3 in the second.
/// assert_eq!((hosmer_lemeshow_group(&breaks, 0.2), hosmer_lemeshow_group(&breaks, 0.3)), (0, 1));
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn hosmer_lemeshow_breaks(
    g: usize,
    quantile: impl Fn(f64) -> f64,
) -> Result<Vec<f64>, MetricsError> {
    if g < 3 {
        return Err(MetricsError::InvalidArgument(format!(
            "Hosmer-Lemeshow needs at least 3 groups (df = g - 2), got {g}"
        )));
    }
    let mut breaks: Vec<f64> = hosmer_lemeshow_probabilities(g)
        .into_iter()
        .map(quantile)
        .collect();
    breaks.dedup();
    if breaks.len() < 2 {
        return Err(MetricsError::Degenerate(
            "Hosmer-Lemeshow: every prediction is the same, so there are no groups".to_string(),
        ));
    }
    Ok(breaks)
}

/// The probabilities at which [`hosmer_lemeshow_breaks`] takes quantiles for `g` groups.
///
/// ```rust
/// use recontact_evaluation::metrics::hosmer_lemeshow_probabilities;
/// assert_eq!(hosmer_lemeshow_probabilities(4), [0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn hosmer_lemeshow_probabilities(g: usize) -> Vec<f64> {
    // R: seq(0, 1, 1/g) is k * (1/g), capped at 1.
    let step = 1.0 / g as f64;
    (0..=g).map(|k| (k as f64 * step).min(1.0)).collect()
}

/// The group of a prediction `p` among the groups `[b0, b1], (b1, b2], …` of `breaks`
/// (zero-based; see [`hosmer_lemeshow_breaks`]).
///
/// ```rust
/// use recontact_evaluation::metrics::hosmer_lemeshow_group;
/// assert_eq!(hosmer_lemeshow_group(&[0.0, 0.5, 1.0], 0.5), 0);
/// assert_eq!(hosmer_lemeshow_group(&[0.0, 0.5, 1.0], 0.6), 1);
/// ```
pub fn hosmer_lemeshow_group(breaks: &[f64], p: f64) -> usize {
    breaks.partition_point(|&b| b < p).max(1) - 1
}

impl HosmerLemeshow {
    /// The test from each group's `(observations, observed events, expected events)`
    /// (groups without observations are skipped), with `df = g − 2`.
    ///
    /// ```rust
    /// use recontact_evaluation::metrics::HosmerLemeshow;
    /// let test = HosmerLemeshow::from_groups(&[(4, 1.0, 1.0), (4, 3.0, 2.0), (0, 0.0, 0.0)], 3)?;
    /// // (3 - 2)²/2 + (1 - 2)²/2 = 1 on 1 df
    /// assert_eq!((test.statistic, test.df), (1.0, 1));
    /// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
    /// ```
    pub fn from_groups(
        groups: &[(usize, f64, f64)],
        g: usize,
    ) -> Result<HosmerLemeshow, MetricsError> {
        if g < 3 {
            return Err(MetricsError::InvalidArgument(format!(
                "Hosmer-Lemeshow needs at least 3 groups (df = g - 2), got {g}"
            )));
        }
        let mut statistic = 0.0;
        for &(count, o1, e1) in groups.iter().filter(|group| group.0 > 0) {
            let n = count as f64;
            let (o0, e0) = (n - o1, n - e1);
            if !(e1 > 0.0 && e0 > 0.0) {
                return Err(MetricsError::Degenerate(
                    "Hosmer-Lemeshow: a group expects no events or no non-events".to_string(),
                ));
            }
            statistic += (o1 - e1) * (o1 - e1) / e1 + (o0 - e0) * (o0 - e0) / e0;
        }
        let df = g - 2;
        Ok(HosmerLemeshow {
            statistic,
            df,
            p_value: chi_square_sf(statistic, df as f64),
        })
    }
}

/// Spiegelhalter's (1986) z-test that the predictions are the true probabilities:
/// `z = Σ (y − p)(1 − 2p) / sqrt(Σ (1 − 2p)² p (1 − p))`, two-sided normal p-value, as
/// `rms::val.prob` reports `S:z` and `S:p`.
///
/// ```rust
/// use recontact_evaluation::metrics::spiegelhalter;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let test = spiegelhalter(&y, &p)?;
/// // numpy: z = sum((y - p) (1 - 2p)) / sqrt(sum((1 - 2p)^2 p (1 - p))) = -1.152759192086843,
/// // 2 * scipy.stats.norm.sf(1.152759192086843) = 0.24900923835637634
/// assert!((test.z + 1.152_759_192_086_843).abs() < 1e-14);
/// assert!((test.p_value - 0.249_009_238_356_376_34).abs() < 1e-14);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn spiegelhalter(y: &[f64], p: &[f64]) -> Result<Spiegelhalter, MetricsError> {
    check_y_p(y, p)?;
    let (mut numerator, mut variance) = (0.0, 0.0);
    for (&y, &p) in y.iter().zip(p) {
        let c = 1.0 - 2.0 * p;
        numerator += (y - p) * c;
        variance += c * c * p * (1.0 - p);
    }
    Spiegelhalter::from_sums(numerator, variance)
}

impl Spiegelhalter {
    /// The test from its two sums, `Σ (y − p)(1 − 2p)` and `Σ (1 − 2p)² p (1 − p)`.
    ///
    /// ```rust
    /// use recontact_evaluation::metrics::Spiegelhalter;
    /// let test = Spiegelhalter::from_sums(-0.5, 0.25)?;
    /// assert_eq!(test.z, -1.0);
    /// // 2 * scipy.stats.norm.sf(1) = 0.31731050786291415
    /// assert!((test.p_value - 0.317_310_507_862_914_15).abs() < 1e-14);
    /// assert!(Spiegelhalter::from_sums(0.0, 0.0).is_err());
    /// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
    /// ```
    pub fn from_sums(numerator: f64, variance: f64) -> Result<Spiegelhalter, MetricsError> {
        if variance.is_nan() || variance <= 0.0 {
            return Err(MetricsError::Degenerate(
                "Spiegelhalter: every prediction is 0, 1/2 or 1, so z has no variance".to_string(),
            ));
        }
        let z = numerator / variance.sqrt();
        Ok(Spiegelhalter {
            z,
            p_value: two_sided_normal_p(z),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Loess calibration
// ---------------------------------------------------------------------------------------

/// Local quadratic regression with tricube weights, computed exactly at each requested
/// point as R's `loess(surface = "direct")` does (netlib `dloess`, routine `ehg127`).
struct Loess {
    /// Predictors, sorted, so each window is a contiguous range.
    x: Vec<f64>,
    /// Responses in the same order.
    y: Vec<f64>,
    /// Neighbours in each window: `floor(n · span + 1e-5)` as R's C code computes it.
    q: usize,
}

/// Below this ratio of smallest to largest eigenvalue of the equilibrated local Gram
/// matrix, the fast normal-equation solve could lose more than about 1e-10 and the local
/// fit is redone by the SVD of the weighted design, as netlib does.
const LOESS_GRAM_RCOND: f64 = 1e-6;

impl Loess {
    #[cfg(test)]
    fn new(x: &[f64], y: &[f64]) -> Result<Loess, MetricsError> {
        Loess::sorted(x, y, &sorted_order(x, false))
    }

    /// [`Loess::new`] with `order`, the ascending order of `x`.
    fn sorted(x: &[f64], y: &[f64], order: &[usize]) -> Result<Loess, MetricsError> {
        let q = ((x.len() as f64 * LOESS_SPAN + 1e-5).floor() as usize).min(x.len());
        if q == 0 {
            return Err(MetricsError::InvalidArgument(
                "loess: too few observations for span 0.75".to_string(),
            ));
        }
        Ok(Loess {
            x: order.iter().map(|&i| x[i]).collect(),
            y: order.iter().map(|&i| y[i]).collect(),
            q,
        })
    }

    /// The distance from `x0` to its `q`-th nearest predictor, found in O(log n): in
    /// sorted data the `q` nearest are `q` consecutive values, the window `i..i + q`
    /// where the distance to its left end stops exceeding the one to its right end.
    /// `x - x0` and `x0 - x` round alike, so this is exactly the `q`-th smallest
    /// `|x - x0|` (a test compares it with a selection over all distances).
    fn window_radius(&self, x0: f64) -> f64 {
        let (x, q) = (&self.x, self.q);
        let starts = x.len() - q + 1;
        let right_reaches = |i: usize| x[i + q - 1] - x0 >= x0 - x[i];
        let (mut lo, mut hi) = (0, starts);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if right_reaches(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let right = (lo < starts).then(|| x[lo + q - 1] - x0);
        let left = (lo > 0).then(|| x0 - x[lo - 1]);
        match (left, right) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => 0.0,
        }
    }

    /// The fitted value at `x0`.
    fn at(&self, x0: f64) -> Result<f64, MetricsError> {
        let h = self.window_radius(x0);
        if h <= 0.0 {
            return Err(MetricsError::Degenerate(format!(
                "loess: at least {} predictions equal {x0}, so the smoothing window has zero width",
                self.q
            )));
        }
        // A superset of the points closer than h; the exact test is on |x - x0| / h.
        let start = self.x.partition_point(|&x| x < x0 - h);
        let end = self.x.partition_point(|&x| x <= x0 + h);
        let window = start..end;

        // Weighted moments in t = (x - x0) / h, which lies in (-1, 1), so the powers of t
        // are of similar size and the equilibrated Gram matrix is well conditioned except
        // in windows with (nearly) fewer than three distinct x.
        let (mut s, mut r) = ([0.0; 5], [0.0; 3]);
        // One division, then a product per point (a division per point cost about 7 %
        // of evaluate's time at 200k rows).
        let inverse = 1.0 / h;
        for i in window.clone() {
            let t = (self.x[i] - x0) * inverse;
            let a = t.abs();
            if a < 1.0 {
                let c = 1.0 - a * a * a;
                let w = c * c * c;
                let (t2, y) = (t * t, self.y[i]);
                s[0] += w;
                s[1] += w * t;
                s[2] += w * t2;
                s[3] += w * t2 * t;
                s[4] += w * t2 * t2;
                r[0] += w * y;
                r[1] += w * y * t;
                r[2] += w * y * t2;
            }
        }
        let scale = [s[0].sqrt(), s[2].sqrt(), s[4].sqrt()];
        if scale.iter().all(|&v| v > 0.0) {
            let gram = nalgebra::Matrix3::from_fn(|i, j| s[i + j] / (scale[i] * scale[j]));
            let eigen = gram.symmetric_eigen();
            let largest = eigen.eigenvalues.max();
            let smallest = eigen.eigenvalues.min();
            if smallest > LOESS_GRAM_RCOND * largest {
                let rhs = nalgebra::Vector3::from_fn(|i, _| r[i] / scale[i]);
                let projected = eigen.eigenvectors.transpose() * rhs;
                let value: f64 = (0..3)
                    .map(|k| eigen.eigenvectors[(0, k)] * projected[k] / eigen.eigenvalues[k])
                    .sum();
                return Ok(value / scale[0]);
            }
        }
        self.exact_at(x0, h, window)
    }

    /// The local fit by the SVD of the weighted, column-equilibrated design, with
    /// singular directions dropped as netlib does (a pseudo-inverse for windows with fewer
    /// than three distinct x, where R warns "pseudoinverse used").
    fn exact_at(
        &self,
        x0: f64,
        h: f64,
        window: std::ops::Range<usize>,
    ) -> Result<f64, MetricsError> {
        // Rows are scaled by the square root of the tricube weight, so least squares on
        // them is the weighted fit; points at distance h or more have weight 0.
        let rows: Vec<(f64, f64, f64)> = window
            .filter_map(|i| {
                let d = self.x[i] - x0;
                let a = d.abs() / h;
                (a < 1.0).then(|| {
                    let c = 1.0 - a * a * a;
                    (libm::sqrt(c * c * c), d, self.y[i])
                })
            })
            .collect();
        let mut design = DMatrix::from_fn(rows.len(), 3, |i, j| {
            let (w, d, _) = rows[i];
            match j {
                0 => w,
                1 => w * d,
                _ => w * d * d,
            }
        });
        let response: Vec<f64> = rows.iter().map(|&(w, _, y)| w * y).collect();
        let mut norms = [1.0; 3];
        for (j, norm) in norms.iter_mut().enumerate() {
            let length = design.column(j).norm();
            if length > 0.0 {
                *norm = length;
                design.column_mut(j).scale_mut(1.0 / length);
            }
        }
        let svd = design.svd(true, true);
        let (Some(u), Some(v_t)) = (svd.u.as_ref(), svd.v_t.as_ref()) else {
            return Err(MetricsError::Degenerate(
                "loess: singular value decomposition failed".to_string(),
            ));
        };
        let sigma = &svd.singular_values;
        let largest = sigma.iter().copied().fold(0.0, f64::max);
        let tolerance = largest * 100.0 * f64::EPSILON;
        let mut value = 0.0;
        for (k, &s) in sigma.iter().enumerate() {
            if s > tolerance {
                let projection: f64 = u.column(k).iter().zip(&response).map(|(u, r)| u * r).sum();
                value += v_t[(k, 0)] * projection / s;
            }
        }
        Ok(value / norms[0])
    }
}

/// How [`loess_calibration_with`] evaluates the loess curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoessSurface {
    /// [`LoessSurface::Exact`] up to [`AUTO_EXACT_ROWS`] observations, otherwise
    /// [`LoessSurface::Interpolated`].
    Auto,
    /// An exact local fit at every distinct prediction, as R's `loess(surface =
    /// "direct")`: time grows as (distinct predictions) × n.
    Exact,
    /// Exact local fits at a few hundred vertices, cubic Hermite interpolation between
    /// them (each vertex's slope that of the parabola through it and its neighbours), the
    /// idea of R's default `surface = "interpolate"` in one dimension, with more vertices:
    /// time grows as n.
    Interpolated,
}

impl LoessSurface {
    /// The surface used for `n` observations: `Auto` resolved, the others as they are.
    pub fn resolve(self, n: usize) -> LoessSurface {
        match self {
            LoessSurface::Auto if n <= AUTO_EXACT_ROWS => LoessSurface::Exact,
            LoessSurface::Auto => LoessSurface::Interpolated,
            other => other,
        }
    }
}

/// Up to this many observations, [`LoessSurface::Auto`] fits exactly (at most about
/// 10⁸ tricube weights); beyond it, the exact cost grows with the square of n.
pub const AUTO_EXACT_ROWS: usize = 10_000;

/// Vertices of the interpolated surface: this many at equally spaced ranks of the
/// distinct predictions (dense where predictions are), and as many equally spaced in
/// value (so sparse tails get vertices too).
const LOESS_VERTICES: usize = 129;

/// Loess-smoothed calibration (Austin & Steyerberg 2019) with the surface that
/// [`LoessSurface::Auto`] picks for `y.len()` observations; see [`loess_calibration_with`].
///
/// ```rust
/// use recontact_evaluation::metrics::{loess_calibration, LoessSurface};
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let smooth = loess_calibration(&y, &p)?;
/// // numpy: at each p, numpy.polyfit(p - p0, y, 2, w=sqrt(tricube)) over the 7 nearest
/// // (floor(0.75 n)); |fit - p0| has mean 0.19314367679507943, max 0.4348485642413781
/// assert!((smooth.ici - 0.193_143_676_795_079_43).abs() < 1e-12);
/// assert!((smooth.emax - 0.434_848_564_241_378_1).abs() < 1e-12);
/// assert_eq!(smooth.surface, LoessSurface::Exact);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn loess_calibration(y: &[f64], p: &[f64]) -> Result<LoessCalibration, MetricsError> {
    loess_calibration_with(y, p, LoessSurface::Auto)
}

/// Loess-smoothed calibration (Austin & Steyerberg 2019): the outcome is smoothed on the
/// prediction with R's `loess` defaults (span 0.75, degree 2, gaussian family, tricube
/// weights), evaluated as `surface` says. ICI is the mean of |smoothed − predicted| over
/// the observations, E50 and E90 its median and 90th percentile (R type 7), Emax its
/// maximum.
///
/// Fails when three quarters or more of the predictions share one value (the smoothing
/// window would have zero width, as in R).
///
/// ```rust
/// use recontact_evaluation::metrics::{loess_calibration_with, LoessSurface};
///
/// let n = 600;
/// let p: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
/// // Outcomes at rate p by a golden-ratio sequence: a calibrated sample, no random generator.
/// let y: Vec<f64> = (0..n)
///     .map(|i| f64::from(u8::from((i as f64 * 0.618_033_988_749_895).fract() < p[i])))
///     .collect();
/// let exact = loess_calibration_with(&y, &p, LoessSurface::Exact)?;
/// // numpy, a quadratic numpy.polyfit with tricube weights at every point: ICI 0.0029176727935460328
/// assert!((exact.ici - 0.002_917_672_793_546_032_8).abs() < 1e-12);
/// let fast = loess_calibration_with(&y, &p, LoessSurface::Interpolated)?;
/// assert_eq!(fast.surface, LoessSurface::Interpolated);
/// assert!((fast.ici - exact.ici).abs() < 1e-5);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn loess_calibration_with(
    y: &[f64],
    p: &[f64],
    surface: LoessSurface,
) -> Result<LoessCalibration, MetricsError> {
    check_y_p(y, p)?;
    loess_calibration_sorted(y, p, &sorted_order(p, false), surface)
}

/// [`loess_calibration_with`] of checked data, with `order`, the ascending order of `p`.
fn loess_calibration_sorted(
    y: &[f64],
    p: &[f64],
    order: &[usize],
    surface: LoessSurface,
) -> Result<LoessCalibration, MetricsError> {
    let loess = Loess::sorted(p, y, order)?;
    let mut distinct = loess.x.clone();
    distinct.dedup();
    let surface = match surface.resolve(y.len()) {
        // With few distinct predictions, fitting at each is as cheap as at vertices.
        LoessSurface::Interpolated if distinct.len() > 2 * LOESS_VERTICES => {
            Surface::interpolated(&loess, &distinct)?
        }
        _ => Surface::Exact(&loess),
    };
    let smoothed = surface.values(&distinct)?;
    // The loess holds the predictions sorted: walk them beside the distinct values
    // rather than search for each (a binary search per row was a tenth of the time).
    let mut k = 0;
    let mut errors: Vec<f64> = loess
        .x
        .iter()
        .map(|&value| {
            while distinct[k] < value {
                k += 1;
            }
            (smoothed[k] - value).abs()
        })
        .collect();
    let ici = errors.iter().sum::<f64>() / errors.len() as f64;
    let curve = if distinct.len() <= CURVE_POINTS {
        distinct.iter().copied().zip(smoothed).collect()
    } else {
        let grid = equally_spaced(distinct[0], distinct[distinct.len() - 1], CURVE_POINTS);
        let values = surface.values(&grid)?;
        grid.into_iter().zip(values).collect()
    };
    Ok(LoessCalibration {
        ici,
        e50: selected_quantile_r7(&mut errors, 0.5),
        e90: selected_quantile_r7(&mut errors, 0.9),
        emax: errors.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        curve,
        surface: surface.kind(),
    })
}

/// `count` equally spaced points from `lo` to `hi`, both included exactly.
fn equally_spaced(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|k| {
            if k + 1 == count {
                hi
            } else {
                lo + (hi - lo) * k as f64 / (count - 1) as f64
            }
        })
        .collect()
}

/// A loess curve ready to be evaluated.
enum Surface<'a> {
    Exact(&'a Loess),
    /// Sorted vertices with the local fit's value and slope at each.
    Interpolated(Vec<(f64, f64, f64)>),
}

impl<'a> Surface<'a> {
    fn interpolated(loess: &'a Loess, distinct: &[f64]) -> Result<Surface<'a>, MetricsError> {
        use rayon::prelude::*;
        let last = distinct.len() - 1;
        let mut at: Vec<f64> = (0..LOESS_VERTICES)
            .map(|k| distinct[k * last / (LOESS_VERTICES - 1)])
            .chain(equally_spaced(distinct[0], distinct[last], LOESS_VERTICES))
            .collect();
        at.sort_by(f64::total_cmp);
        at.dedup();
        // Each vertex's fit is independent of the others: the result does not depend on
        // the thread count.
        let vertices = at
            .par_iter()
            .map(|&x| loess.at(x).map(|value| (x, value)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Surface::Interpolated(with_slopes(&vertices)))
    }

    /// The curve at each of `points` (sorted).
    fn values(&self, points: &[f64]) -> Result<Vec<f64>, MetricsError> {
        match self {
            Surface::Exact(loess) => points.iter().map(|&x| loess.at(x)).collect(),
            Surface::Interpolated(vertices) => {
                Ok(points.iter().map(|&x| hermite(vertices, x)).collect())
            }
        }
    }

    fn kind(&self) -> LoessSurface {
        match self {
            Surface::Exact(_) => LoessSurface::Exact,
            Surface::Interpolated(_) => LoessSurface::Interpolated,
        }
    }
}

/// Each vertex's slope from its value and its neighbours' (the derivative of the
/// parabola through three consecutive vertices; at the ends, of the first or last three).
///
/// The local fit's own slope, which R's surface uses, is not the derivative of the loess
/// curve (the window moves with x); on the test data of this module it left errors of
/// 2e-5 in E50 where these slopes leave under 1e-6.
fn with_slopes(vertices: &[(f64, f64)]) -> Vec<(f64, f64, f64)> {
    let n = vertices.len();
    if n < 3 {
        let slope = if n == 2 {
            (vertices[1].1 - vertices[0].1) / (vertices[1].0 - vertices[0].0)
        } else {
            0.0
        };
        return vertices.iter().map(|&(x, g)| (x, g, slope)).collect();
    }
    // The derivative at x[at] of the parabola through vertices k - 1, k, k + 1.
    let parabola_slope = |k: usize, at: usize| {
        let ((x0, g0), (x1, g1), (x2, g2)) = (vertices[k - 1], vertices[k], vertices[k + 1]);
        let x = vertices[at].0;
        g0 * (2.0 * x - x1 - x2) / ((x0 - x1) * (x0 - x2))
            + g1 * (2.0 * x - x0 - x2) / ((x1 - x0) * (x1 - x2))
            + g2 * (2.0 * x - x0 - x1) / ((x2 - x0) * (x2 - x1))
    };
    (0..n)
        .map(|k| {
            let slope = match k {
                0 => parabola_slope(1, 0),
                k if k == n - 1 => parabola_slope(n - 2, n - 1),
                k => parabola_slope(k, k),
            };
            (vertices[k].0, vertices[k].1, slope)
        })
        .collect()
}

/// The cubic Hermite interpolant through `vertices` (sorted `(x, value, slope)`, the
/// first and last at the data's extremes) at `x`.
fn hermite(vertices: &[(f64, f64, f64)], x: f64) -> f64 {
    let k = vertices
        .partition_point(|v| v.0 <= x)
        .clamp(1, vertices.len() - 1);
    let ((a, ga, sa), (b, gb, sb)) = (vertices[k - 1], vertices[k]);
    let width = b - a;
    let t = (x - a) / width;
    let (t2, t3) = (t * t, t * t * t);
    (2.0 * t3 - 3.0 * t2 + 1.0) * ga
        + (t3 - 2.0 * t2 + t) * width * sa
        + (3.0 * t2 - 2.0 * t3) * gb
        + (t3 - t2) * width * sb
}

// ---------------------------------------------------------------------------------------
// Everything at once
// ---------------------------------------------------------------------------------------

/// Every metric of this module for one set of predictions.
///
/// `lp` is the model's linear predictor for the calibration intercept and slope; when it
/// is `None`, `logit(p)` is used (which fails for predictions of exactly 0 or 1). `bins`
/// is the number of bins of both ECE tables; the AUC interval and Wald intervals are at
/// 95%, Hosmer–Lemeshow uses 10 groups. The loess curve's surface is
/// [`LoessSurface::Auto`]; [`evaluate_with`] chooses it.
///
/// ```rust
/// use recontact_evaluation::metrics::evaluate;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let all = evaluate(&y, &p, None, 4)?;
/// // sklearn.metrics.roc_auc_score(y, p) = 0.92; brier_score_loss(y, p) = 0.14175
/// assert!((all.auc - 0.92).abs() < 1e-15 && (all.brier - 0.141_75).abs() < 1e-15);
/// // statsmodels Logit(y, add_constant(logit(p))): slope 3.4784889245708124, se 2.2866954520434843
/// assert!((all.calibration_slope.estimate - 3.478_488_924_570_812_4).abs() < 1e-8);
/// assert!((all.calibration_slope.std_error - 2.286_695_452_043_484_3).abs() < 1e-8);
/// assert_eq!(all.ece.equal_width.bins.len(), 4);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn evaluate(
    y: &[f64],
    p: &[f64],
    lp: Option<&[f64]>,
    bins: usize,
) -> Result<Evaluation, MetricsError> {
    evaluate_with(y, p, lp, bins, LoessSurface::Auto)
}

/// [`evaluate`] with the loess curve evaluated as `surface` says.
///
/// ```rust
/// use recontact_evaluation::metrics::{evaluate_with, LoessSurface};
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let p = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let all = evaluate_with(&y, &p, None, 4, LoessSurface::Exact)?;
/// assert_eq!(all.loess_surface, LoessSurface::Exact);
/// // numpy, quadratic numpy.polyfit with tricube weights over the 7 nearest: ICI 0.19314367679507943
/// assert!((all.ici - 0.193_143_676_795_079_43).abs() < 1e-12);
/// // statsmodels GLM(y, 1, Binomial, offset=logit(p)): intercept 0.26905614811006084
/// assert!((all.calibration_intercept.estimate - 0.269_056_148_110_060_84).abs() < 1e-8);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn evaluate_with(
    y: &[f64],
    p: &[f64],
    lp: Option<&[f64]>,
    bins: usize,
    surface: LoessSurface,
) -> Result<Evaluation, MetricsError> {
    let events = check_y_p(y, p)?;
    need_both_classes(y.len(), events)?;
    let derived: Vec<f64>;
    let lp = match lp {
        Some(lp) => lp,
        None => {
            derived = p.iter().map(|&p| logit(p)).collect();
            &derived
        }
    };
    check_y_lp(y, lp)?;
    // One sort serves every measure that needs the predictions in order (six sorts of
    // the 2M predictions were a fifth of evaluate's time).
    let order = sorted_order(p, false);
    let sorted: Vec<f64> = order.iter().map(|&i| p[i]).collect();
    let order = order.as_slice();
    // The measures are independent: computed side by side on the rayon pool, each the
    // same way whatever the thread count, and their errors taken in this fixed order.
    let ((interval, roc), ((equal_mass, equal_width), (smooth, (intercept, slope)))) = rayon::join(
        || {
            rayon::join(
                || delong_sorted(y, p, order, 0.95),
                || roc_curve_sorted(y, p, order, events),
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || bins_sorted(y, p, bins, Binning::EqualMass, Some(order)),
                        || bins_sorted(y, p, bins, Binning::EqualWidth, None),
                    )
                },
                || {
                    rayon::join(
                        || loess_calibration_sorted(y, p, order, surface),
                        || {
                            rayon::join(
                                || calibration_in_the_large(y, lp),
                                || calibration_slope(y, lp),
                            )
                        },
                    )
                },
            )
        },
    );
    let (interval, equal_mass, equal_width, smooth) =
        (interval?, equal_mass?, equal_width?, smooth?);
    let (calibration_intercept, calibration_slope) = (intercept?, slope?);
    let hosmer_lemeshow = hosmer_lemeshow_sorted(y, p, &sorted, 10)?;
    let roc = roc?;
    Ok(Evaluation {
        n: y.len(),
        events,
        auc: interval.auc,
        auc_ci: [interval.ci_low, interval.ci_high],
        dxy: 2.0 * (interval.auc - 0.5),
        log_loss: log_loss(y, p)?,
        brier: brier(y, p)?,
        scaled_brier: scaled_brier(y, p)?,
        calibration_intercept,
        observed_expected: observed_expected(y, p)?,
        calibration_slope,
        ece: EceSummary {
            equal_mass: BinnedCalibration {
                ece: ece_from_bins(&equal_mass),
                bins: equal_mass,
            },
            equal_width: BinnedCalibration {
                ece: ece_from_bins(&equal_width),
                bins: equal_width,
            },
        },
        hosmer_lemeshow,
        spiegelhalter: spiegelhalter(y, p)?,
        ici: smooth.ici,
        e50: smooth.e50,
        e90: smooth.e90,
        emax: smooth.emax,
        smoother: smoother(smooth.surface).to_string(),
        loess_surface: smooth.surface,
        roc,
        calibration_curve: smooth.curve,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midranks_share_ties() {
        assert_eq!(midranks(&[0.3, 0.1, 0.3, 0.2]), [3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn auc_counts_ties_half() {
        // Pairs (event, non-event): (0.8,0.2) win, (0.8,0.5) win, (0.5,0.2) win,
        // (0.5,0.5) tie -> (3 + 0.5) / 4.
        let y = [1.0, 1.0, 0.0, 0.0];
        let p = [0.8, 0.5, 0.2, 0.5];
        assert_eq!(auc(&y, &p).unwrap(), 0.875);
        assert_eq!(dxy(&y, &p).unwrap(), 0.75);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            auc(&[1.0, 0.0], &[0.5]),
            Err(MetricsError::LengthMismatch {
                outcomes: 2,
                predictions: 1
            })
        );
        assert_eq!(auc(&[], &[]), Err(MetricsError::Empty));
        assert_eq!(
            auc(&[1.0, 1.0], &[0.2, 0.3]),
            Err(MetricsError::OneClass { value: 1 })
        );
        assert_eq!(
            brier(&[1.0, 2.0], &[0.2, 0.3]),
            Err(MetricsError::NotBinary {
                index: 1,
                value: 2.0
            })
        );
        assert!(matches!(
            brier(&[1.0, 0.0], &[0.2, f64::NAN]),
            Err(MetricsError::NonFinite { index: 1, .. })
        ));
        assert_eq!(
            brier(&[1.0, 0.0], &[1.2, 0.3]),
            Err(MetricsError::ProbabilityOutOfRange {
                index: 0,
                value: 1.2
            })
        );
        assert_eq!(
            calibration_slope(&[0.0, 0.0, 1.0, 1.0], &[-1.0, 0.0, 0.0, 2.0]),
            Err(MetricsError::Separation { complete: false })
        );
        assert_eq!(
            calibration_slope(&[0.0, 0.0, 1.0, 1.0], &[-1.0, 0.0, 1.0, 2.0]),
            Err(MetricsError::Separation { complete: true })
        );
        assert!(matches!(
            calibration_slope(&[0.0, 1.0, 1.0], &[0.5, 0.5, 0.5]),
            Err(MetricsError::Degenerate(_))
        ));
        assert!(matches!(
            hosmer_lemeshow(&[0.0, 1.0, 1.0], &[0.2, 0.4, 0.6], 2),
            Err(MetricsError::InvalidArgument(_))
        ));
        assert_eq!(
            delong(&[1.0, 0.0, 0.0], &[0.9, 0.1, 0.2], 0.95),
            Err(MetricsError::TooFewPerClass {
                events: 1,
                non_events: 2
            })
        );
    }

    #[test]
    fn log_loss_clips_only_inside() {
        // A confident wrong prediction costs -ln(1e-15), not infinity.
        let value = log_loss(&[1.0], &[0.0]).unwrap();
        assert!((value - 34.538776394910684).abs() < 1e-12, "{value}");
        assert_eq!(brier(&[1.0], &[0.0]).unwrap(), 1.0);
    }

    #[test]
    fn equal_mass_bins_keep_ties_together() {
        let p = [0.1, 0.2, 0.2, 0.2, 0.3, 0.4];
        let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let table = bins(&y, &p, 3, Binning::EqualMass).unwrap();
        let sizes: Vec<usize> = table.iter().map(|b| b.n).collect();
        // Cut points 2 and 4 fall inside the run of 0.2s (positions 1..=3), which moves
        // the first cut to 4; the second cut is already there, so the middle bin is empty.
        assert_eq!(sizes, [4, 2]);
    }

    #[test]
    fn equal_width_bins_close_the_last_interval() {
        let p = [0.0, 0.5, 1.0];
        let y = [0.0, 1.0, 1.0];
        let table = bins(&y, &p, 2, Binning::EqualWidth).unwrap();
        let sizes: Vec<usize> = table.iter().map(|b| b.n).collect();
        assert_eq!(sizes, [1, 2]);
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels 0.15.0 proportion_confint(3, 10, alpha=0.05, method="wilson")
        let (lo, hi) = wilson(3.0, 10.0);
        assert!((lo - 0.10779126740630104).abs() < 1e-14, "{lo}");
        assert!((hi - 0.6032218525388546).abs() < 1e-14, "{hi}");
    }

    #[test]
    fn r_type7_quantiles() {
        let sorted = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_r7(&sorted, 0.0), 1.0);
        assert_eq!(quantile_r7(&sorted, 0.5), 3.0);
        assert_eq!(quantile_r7(&sorted, 1.0), 8.0);
    }

    #[test]
    fn loess_fast_path_agrees_with_the_svd_path() {
        let x: Vec<f64> = (1..=300)
            .map(|i| (f64::from(i) * 0.618_033_988_749_895).fract() * 0.9 + 0.05)
            .collect();
        let y: Vec<f64> = (1..=300)
            .map(|i| f64::from(u8::from((f64::from(i) * 0.414_213_56).fract() < 0.4)))
            .collect();
        let loess = Loess::new(&x, &y).unwrap();
        for &x0 in &[0.05, 0.2, 0.5, 0.77, 0.95, 1.2] {
            let fast = loess.at(x0).unwrap();
            let h = {
                let mut d: Vec<f64> = x.iter().map(|x| (x - x0).abs()).collect();
                d.sort_by(f64::total_cmp);
                d[loess.q - 1]
            };
            let exact = loess.exact_at(x0, h, 0..x.len()).unwrap();
            assert!((fast - exact).abs() < 1e-12, "{x0}: {fast} vs {exact}");
        }
    }

    #[test]
    fn loess_uses_the_pseudo_inverse_in_a_window_of_one_value() {
        // At 0.1 the 18 nearest of 24 points reach 0.2 exactly, so only the ten 0.1s have
        // positive weight: the local fit is their mean.
        let mut x = vec![0.1; 10];
        x.extend([0.2; 10]);
        x.extend([0.9; 4]);
        let y: Vec<f64> = (0..24).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
        let loess = Loess::new(&x, &y).unwrap();
        let value = loess.at(0.1).unwrap();
        let mean = y[..10].iter().sum::<f64>() / 10.0;
        assert!((value - mean).abs() < 1e-12, "{value} vs {mean}");
    }

    #[test]
    fn loess_reproduces_a_quadratic() {
        // A local quadratic fit is exact for a quadratic response.
        let x: Vec<f64> = (0..40).map(|i| f64::from(i) / 39.0).collect();
        let y: Vec<f64> = x.iter().map(|x| 0.2 + 0.3 * x - 0.1 * x * x).collect();
        let loess = Loess::new(&x, &y).unwrap();
        for (&x, &y) in x.iter().zip(&y) {
            assert!((loess.at(x).unwrap() - y).abs() < 1e-12);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_window_radius_is_the_qth_smallest_distance(
            x in proptest::collection::vec(
                proptest::prop_oneof![0.0f64..1.0, proptest::sample::select(vec![0.0, 0.25, 0.5, 1.0])],
                1..60,
            ),
            x0 in proptest::prop_oneof![-0.5f64..1.5, proptest::sample::select(vec![0.0, 0.25, 0.5, 1.0])],
        ) {
            let y = vec![0.0; x.len()];
            let Ok(loess) = Loess::new(&x, &y) else {
                return Ok(()); // too few points for the span
            };
            let mut d: Vec<f64> = x.iter().map(|x| (x - x0).abs()).collect();
            d.sort_by(f64::total_cmp);
            proptest::prop_assert_eq!(loess.window_radius(x0).to_bits(), d[loess.q - 1].to_bits());
        }
    }

    /// Predictions and outcomes of a miscalibrated model: the true risk is a logistic
    /// curve of the prediction's logit with slope 0.8 and intercept 0.2.
    fn miscalibrated(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let lp = 3.0 * uniform() - 2.0;
                let p = 1.0 / (1.0 + (-lp).exp());
                let risk = 1.0 / (1.0 + (-(0.2 + 0.8 * lp)).exp());
                (f64::from(u8::from(uniform() < risk)), p)
            })
            .unzip()
    }

    #[test]
    fn the_interpolated_surface_gives_the_exact_summaries_to_2e_5() {
        let (y, p) = miscalibrated(5_000);
        let exact = loess_calibration_with(&y, &p, LoessSurface::Exact).unwrap();
        let fast = loess_calibration_with(&y, &p, LoessSurface::Interpolated).unwrap();
        assert_eq!(exact.surface, LoessSurface::Exact);
        assert_eq!(fast.surface, LoessSurface::Interpolated);
        for (what, a, b) in [
            ("ici", exact.ici, fast.ici),
            ("e50", exact.e50, fast.e50),
            ("e90", exact.e90, fast.e90),
            ("emax", exact.emax, fast.emax),
        ] {
            assert!((a - b).abs() < 2e-5, "{what}: exact {a}, interpolated {b}");
        }
        let worst = exact
            .curve
            .iter()
            .zip(&fast.curve)
            .map(|((_, a), (_, b))| (a - b).abs())
            .fold(0.0, f64::max);
        // The exact curve of 5,000 binary outcomes wiggles by about 1e-4 between points
        // (each point entering or leaving a window bends it); the interpolant is smooth.
        // Measured: summaries within 8.2e-6, the curve within 1.0e-4.
        assert!(worst < 5e-4, "the curves differ by up to {worst}");
    }

    #[test]
    fn auto_fits_exactly_up_to_its_row_limit() {
        assert_eq!(
            LoessSurface::Auto.resolve(AUTO_EXACT_ROWS),
            LoessSurface::Exact
        );
        assert_eq!(
            LoessSurface::Auto.resolve(AUTO_EXACT_ROWS + 1),
            LoessSurface::Interpolated
        );
        assert_eq!(LoessSurface::Exact.resolve(1 << 30), LoessSurface::Exact);
    }
}

#[cfg(test)]
mod order_tests {
    proptest::proptest! {
        #[test]
        fn the_sorted_order_is_the_stable_sort_of_positions(
            values in proptest::collection::vec(
                proptest::prop_oneof![0.0f64..1.0, proptest::sample::select(vec![0.0, -0.0, 0.5, 1.0])],
                0..80,
            ),
            descending in proptest::bool::ANY,
        ) {
            let mut stable: Vec<usize> = (0..values.len()).collect();
            if descending {
                stable.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
            } else {
                stable.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
            }
            proptest::prop_assert_eq!(super::sorted_order(&values, descending), stable);
        }
    }
}
