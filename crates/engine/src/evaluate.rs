//! A model evaluated inside an engine: every measure of [`metrics::evaluate_with`] that is
//! a sum, a rank or an order statistic computed by the engine over all the rows, and the
//! few that need the rows themselves (the loess calibration curve with ICI, E50, E90 and
//! Emax, and the ROC curve's points) from a deterministic sample of at most
//! [`EvaluateOptions::sample_rows`] rows, said so in [`EngineEvaluation::sample`].
//!
//! The rows are those `recontact evaluate` reads from a file: every column the model
//! reads checked as the CSV reader checks it (a category's levels are the model's), each
//! row with a problem counted under its reason and refused, or dropped when asked.
//! Frequency weights count a row that many times, as the in-memory evaluation expands
//! them (a weight that is not a whole number is refused).
//!
//! What each query computes:
//!
//! - one count of the rows and of each problem;
//! - one aggregate of sums: n, events, log loss (probabilities clipped to
//!   [1e-15, 1 − 1e-15]), Brier, Σ p for observed/expected, Spiegelhalter's two sums, the
//!   linear predictor's range in each class, and the treated events and non-events at
//!   each threshold of the decision curve;
//! - the AUC by the rank-sum and DeLong's interval exactly: the rows grouped by their
//!   prediction, each group's events and non-events with the cumulative counts of the
//!   other class below it (window functions), whose placement values are DeLong's;
//! - the exact order statistics (the cumulative counts of the grouped predictions) that
//!   the Hosmer–Lemeshow breaks (R's type-7 quantiles) and the equal-mass bins need, then
//!   one grouped query per table (Hosmer–Lemeshow, equal-mass, equal-width);
//! - the calibration intercept and slope by the calibration fits' own Newton driver and
//!   stopping rule, one aggregate per evaluation;
//! - the sample: the rows in order of (p, y, lp), the k-th of the n (weighted) positions
//!   taken for k = 0, n/N, 2n/N, … (position ⌈k·n/N⌉ rounded as integers): a systematic
//!   sample along the predictions, the same on every run; all the rows when n ≤ N.
//!
//! Engines sum in any order: the sums agree with the in-memory ones to rounding (1e-9
//! relative is what the tests hold them to); counts and ranks are exact.

mod calibration;
mod queries;

use std::collections::BTreeMap;

use recontact_evaluation::decision_curve::{
    decision_curve_from_counts, default_thresholds, DecisionCurveRow,
};
use recontact_evaluation::metrics::{
    self, loess_calibration_with, roc_curve, AucInterval, Bin, BinnedCalibration, EceSummary,
    Evaluation, HosmerLemeshow, LoessSurface, MetricsError, Spiegelhalter,
};
use recontact_model::data::DroppedRows;
use recontact_model::error::{FitError, SpecError};
use recontact_model::model::Model;
use recontact_model::spec::{Spec, SpecConfig, TermConfig};
use recontact_model::{EncodedTerm, InvalidRows};
use recontact_stats::distributions::normal_quantile;

use crate::connection::Connection;
use crate::fit::{PushdownError, SqlRows};
use queries::Scored;

/// The sample's size unless asked otherwise.
pub const DEFAULT_SAMPLE_ROWS: usize = 100_000;

/// The largest sample that may be asked for: its rows cross to this process.
pub const MAX_SAMPLE_ROWS: usize = 500_000;

/// The most bins a binned calibration table may have.
pub const MAX_BINS: usize = 1_000;

/// The most thresholds a decision curve may have.
pub const MAX_THRESHOLDS: usize = 1_000;

/// The measures taken from the sample, by their keys in [`Evaluation`].
pub const FROM_SAMPLE: [&str; 6] = ["ici", "e50", "e90", "emax", "calibration_curve", "roc"];

/// How to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluateOptions {
    /// Bins of both binned calibration tables, 1 to [`MAX_BINS`].
    pub bins: usize,
    /// The decision curve's thresholds, each strictly between 0 and 1, at most
    /// [`MAX_THRESHOLDS`].
    pub thresholds: Vec<f64>,
    /// How the loess curve of the sample is evaluated.
    pub surface: LoessSurface,
    /// Rows in the sample, 1 to [`MAX_SAMPLE_ROWS`].
    pub sample_rows: usize,
    /// Whether rows with problems are refused (counted in the error) or dropped.
    pub invalid: InvalidRows,
}

impl Default for EvaluateOptions {
    /// 10 bins, the thresholds 0.01 to 0.99, the loess surface chosen by the sample's
    /// size, a sample of [`DEFAULT_SAMPLE_ROWS`], rows with problems refused.
    fn default() -> Self {
        EvaluateOptions {
            bins: 10,
            thresholds: default_thresholds(),
            surface: LoessSurface::Auto,
            sample_rows: DEFAULT_SAMPLE_ROWS,
            invalid: InvalidRows::Fail,
        }
    }
}

/// The sample some measures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleNote {
    /// Rows in the sample (a row of weight w counted w times).
    pub rows: usize,
    /// Rows evaluated (weighted the same way).
    pub of: usize,
}

impl SampleNote {
    /// Whether the sample is every row: the sampled measures are then the in-memory ones.
    ///
    /// ```rust
    /// use recontact_engine::evaluate::SampleNote;
    /// assert!(SampleNote { rows: 5, of: 5 }.is_all());
    /// assert!(!SampleNote { rows: 5, of: 6 }.is_all());
    /// ```
    pub fn is_all(&self) -> bool {
        self.rows == self.of
    }
}

/// An evaluation made inside an engine, with where it was made.
#[derive(Debug, Clone)]
pub struct EngineEvaluation {
    /// Every measure; those of [`FROM_SAMPLE`] from the sample.
    pub evaluation: Evaluation,
    /// The decision curve at the thresholds asked for, in their order.
    pub decision_curve: Vec<DecisionCurveRow>,
    /// The sample.
    pub sample: SampleNote,
    /// Rows in the source.
    pub rows_read: u64,
    /// The rows left out, by reason (none unless dropping was asked for).
    pub dropped: DroppedRows,
    /// The engine, as its connection describes itself.
    pub engine: String,
    /// The table or query read.
    pub source: String,
    /// Queries the engine answered.
    pub queries: usize,
}

/// Why an evaluation inside an engine failed.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// The engine failed, or rows with problems were refused.
    #[error(transparent)]
    Pushdown(#[from] PushdownError),
    /// A measure does not exist for these rows (one class, a constant prediction, …).
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The model's specification no longer checks.
    #[error("the model's specification: {0}")]
    Spec(#[from] SpecError),
    /// An option is out of its range.
    #[error("{0}")]
    Options(String),
    /// Rows whose weight is not a whole number: evaluation reads frequency weights.
    #[error(
        "{rows} rows have a weight that is not a whole number; evaluation reads weights as \
         frequency weights"
    )]
    FractionalWeights {
        /// How many.
        rows: u64,
    },
    /// Rows whose values are too extreme for the model's coefficients.
    #[error(
        "{rows} rows have a logit that is not a finite number: their values are too extreme \
         for the model's coefficients"
    )]
    NonFiniteLogit {
        /// How many.
        rows: u64,
    },
}

impl From<FitError> for EvaluateError {
    fn from(error: FitError) -> Self {
        EvaluateError::Pushdown(PushdownError::Fit(error))
    }
}

/// Evaluates `model` on the rows of `table` (a table name, or a query) inside the engine
/// behind `connection`: the numbers of [`metrics::evaluate_with`] on the same rows (see
/// the module's documentation for what comes from the sample).
///
/// ```rust,no_run
/// use recontact_engine::connection::{open, Target};
/// use recontact_engine::evaluate::{evaluate_in_engine, EvaluateOptions};
/// use recontact_model::Model;
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let mut connection = open(&Target::Postgres { url: "postgresql://me@localhost/crm".into() })?;
/// let result = evaluate_in_engine(connection.as_mut(), "outcomes", &model, &EvaluateOptions::default())?;
/// println!("AUC {} on {} rows by {} queries", result.evaluation.auc, result.evaluation.n, result.queries);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_in_engine(
    connection: &mut dyn Connection,
    table: &str,
    model: &Model,
    options: &EvaluateOptions,
) -> Result<EngineEvaluation, EvaluateError> {
    check_options(options)?;
    let spec = reading_spec(model)?;
    let mut rows = SqlRows::new(connection, table, &spec)?;
    let (rows_read, dropped) = queries::count_problems(&mut rows, options.invalid)?;
    let scored = Scored::new(&rows, model)?;
    let sums = queries::sums(&mut rows, &scored, &options.thresholds)?;
    let (n, events) = sums.counts()?;
    let ranks = queries::ranks(&mut rows, &scored)?;
    let interval = delong(&ranks, n, events)?;
    let tables = binned_tables(&mut rows, &scored, n, options.bins)?;
    let intercept = calibration::intercept(&mut rows, &scored, n as f64)?;
    let slope = calibration::slope(&mut rows, &scored, &sums)?;
    let sample = queries::sample(&mut rows, &scored, n, options.sample_rows)?;
    let smooth = loess_calibration_with(&sample.y, &sample.p, options.surface)?;
    let roc = roc_curve(&sample.y, &sample.p)?;
    let size = n as f64;
    let rate = events as f64 / size;
    let brier = sums.brier / size;
    if sums.predicted <= 0.0 {
        return Err(MetricsError::Degenerate(
            "observed/expected: every prediction is 0".to_string(),
        )
        .into());
    }
    let treated: Vec<(f64, f64, f64)> = options
        .thresholds
        .iter()
        .zip(&sums.treated)
        .map(|(&t, &(tp, fp))| (t, tp, fp))
        .collect();
    let decision_curve = decision_curve_from_counts(events as f64, (n - events) as f64, &treated)?;
    let evaluation = Evaluation {
        n,
        events,
        auc: interval.auc,
        auc_ci: [interval.ci_low, interval.ci_high],
        dxy: 2.0 * (interval.auc - 0.5),
        log_loss: sums.log_loss / size,
        brier,
        scaled_brier: 1.0 - brier / (rate * (1.0 - rate)),
        calibration_intercept: intercept,
        observed_expected: events as f64 / sums.predicted,
        calibration_slope: slope,
        ece: tables.ece,
        hosmer_lemeshow: tables.hosmer_lemeshow,
        spiegelhalter: Spiegelhalter::from_sums(sums.spiegelhalter.0, sums.spiegelhalter.1)?,
        ici: smooth.ici,
        e50: smooth.e50,
        e90: smooth.e90,
        emax: smooth.emax,
        smoother: match smooth.surface {
            LoessSurface::Interpolated => metrics::SMOOTHER_INTERPOLATED,
            _ => metrics::SMOOTHER,
        }
        .to_string(),
        loess_surface: smooth.surface,
        roc,
        calibration_curve: smooth.curve,
    };
    Ok(EngineEvaluation {
        evaluation,
        decision_curve,
        sample: SampleNote {
            rows: sample.y.len(),
            of: n,
        },
        rows_read,
        dropped,
        engine: rows.connection.describe(),
        source: table.to_string(),
        queries: rows.queries,
    })
}

fn check_options(options: &EvaluateOptions) -> Result<(), EvaluateError> {
    let refuse = |m: String| Err(EvaluateError::Options(m));
    if !(1..=MAX_BINS).contains(&options.bins) {
        return refuse(format!(
            "{} bins: the binned tables take 1 to {MAX_BINS}",
            options.bins
        ));
    }
    if !(1..=MAX_SAMPLE_ROWS).contains(&options.sample_rows) {
        return refuse(format!(
            "a sample of {} rows: it takes 1 to {MAX_SAMPLE_ROWS}",
            options.sample_rows
        ));
    }
    if options.thresholds.len() > MAX_THRESHOLDS {
        return refuse(format!(
            "{} thresholds: the decision curve takes at most {MAX_THRESHOLDS}",
            options.thresholds.len()
        ));
    }
    Ok(())
}

/// The model's spec with each category's levels pinned to the model's: the reader
/// `recontact evaluate` uses refuses any other level as unknown, and so do the rows'
/// checks in SQL.
fn reading_spec(model: &Model) -> Result<Spec, SpecError> {
    let mut config: SpecConfig = model.spec.clone();
    for term in &mut config.terms {
        if let TermConfig::Categorical {
            column,
            reference,
            levels,
        } = term
        {
            let known = model.encoding.terms.iter().find_map(|t| match t {
                EncodedTerm::Categorical {
                    column: c,
                    levels,
                    reference,
                } if c == column => Some((levels, reference)),
                _ => None,
            });
            if let Some((known, known_reference)) = known {
                *levels = Some(known.clone());
                *reference = Some(known_reference.clone());
            }
        }
    }
    config.check()
}

/// The grouped predictions' sums of the AUC and DeLong's interval.
pub(crate) struct RankSums {
    /// Σ over events of the share of non-events they beat (ties half).
    pub(crate) placements: f64,
    /// Σ over events of (placement − mean)².
    pub(crate) event_spread: f64,
    /// Σ over non-events of (placement − mean)².
    pub(crate) non_event_spread: f64,
}

/// The AUC with DeLong's 95% interval, as [`metrics::delong`] gives it.
fn delong(ranks: &RankSums, n: usize, events: usize) -> Result<AucInterval, MetricsError> {
    let non_events = n - events;
    if events < 2 || non_events < 2 {
        return Err(MetricsError::TooFewPerClass { events, non_events });
    }
    let (m, k) = (events as f64, non_events as f64);
    let auc = ranks.placements / m;
    let s10 = ranks.event_spread / (m - 1.0);
    let s01 = ranks.non_event_spread / (k - 1.0);
    let se = (s10 / m + s01 / k).sqrt();
    let z = normal_quantile(0.5 + 0.95 / 2.0);
    Ok(AucInterval {
        auc,
        se,
        ci_low: (auc - z * se).max(0.0),
        ci_high: (auc + z * se).min(1.0),
    })
}

/// The binned calibration tables and the Hosmer–Lemeshow test.
struct Tables {
    ece: EceSummary,
    hosmer_lemeshow: HosmerLemeshow,
}

/// Hosmer–Lemeshow's groups (10) and both binned tables: one query for the order
/// statistics, one grouped query per table.
fn binned_tables(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    n: usize,
    bins: usize,
) -> Result<Tables, EvaluateError> {
    const GROUPS: usize = 10;
    let probabilities = metrics::hosmer_lemeshow_probabilities(GROUPS);
    let mut wanted: Vec<usize> = probabilities
        .iter()
        .flat_map(|&prob| {
            let (lo, hi) = metrics::type7_ranks(n, prob);
            [lo, hi]
        })
        .collect();
    // The equal-mass bins end after the tie holding position (k + 1) n / b - 1.
    let ends: Vec<Option<usize>> = (0..bins.saturating_sub(1))
        .map(|k| ((k + 1) * n / bins).checked_sub(1))
        .collect();
    wanted.extend(ends.iter().flatten());
    let statistics = queries::order_statistics(rows, scored, &wanted)?;
    let at = |k: usize| statistics.get(&k).copied().unwrap_or(f64::NAN);
    let breaks =
        metrics::hosmer_lemeshow_breaks(GROUPS, |prob| metrics::quantile_type7(n, prob, at))?;
    // Group k of [b0, b1], (b1, b2], …: p above the first k inner breaks.
    let hl_groups = queries::grouped(rows, scored, &upper_limits(&breaks[1..breaks.len() - 1]))?;
    let hl: Vec<(usize, f64, f64)> = (0..breaks.len() - 1)
        .map(|k| hl_groups.get(&k).copied().unwrap_or((0, 0.0, 0.0)))
        .collect();
    let hosmer_lemeshow = HosmerLemeshow::from_groups(&hl, GROUPS)?;
    let mass_limits: Vec<Option<f64>> = ends.iter().map(|end| end.map(at)).collect();
    let mass = queries::grouped(rows, scored, &mass_limits)?;
    let width = queries::equal_width(rows, scored, bins)?;
    let table = |groups: &BTreeMap<usize, (usize, f64, f64)>| {
        BinnedCalibration::from_bins(
            groups
                .values()
                .filter(|g| g.0 > 0)
                .map(|&(count, events, predicted)| Bin::from_sums(count, events, predicted))
                .collect(),
        )
    };
    Ok(Tables {
        ece: EceSummary {
            equal_mass: table(&mass),
            equal_width: table(&width),
        },
        hosmer_lemeshow,
    })
}

/// Each value as an inclusive upper limit of a group.
fn upper_limits(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|&v| Some(v)).collect()
}

/// The outcomes and probabilities of the sample, a row of weight w repeated w times.
pub(crate) struct Sample {
    pub(crate) y: Vec<f64>,
    pub(crate) p: Vec<f64>,
}
