//! Internal validation of a whole modelling procedure: stratified k-fold
//! cross-validation and Harrell/Efron bootstrap optimism correction, plus a check of a
//! fit's sample size against Riley et al.'s minimum.
//!
//! Every resample repeats the *procedure*, not just the last step: the encoding (category
//! levels, default spline knots) is learned again from the training rows and the model is
//! refitted, so the estimates include the optimism of those choices too.
//!
//! Reproducibility: randomness comes from ChaCha20 seeded from `(seed, purpose, index)`
//! through `SeedableRng::from_seed` (see [`rng_for`]), so a fold assignment or a resample
//! depends on its index alone, never on which thread ran it or when. Folds and resamples
//! run in parallel (rayon); their results are collected in index order and reduced
//! sequentially, so the output is bit-identical whatever the number of threads.
//!
//! Failures are counted, not hidden: a fold or resample whose fit fails (separation, a
//! reference level missing from the training rows, …) or whose held-out metrics do not
//! exist is reported with its reason, and held-out rows whose category level the training
//! rows never had (so the refitted model cannot score them) are counted. The formulas are
//! in `docs/validation.md`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use nalgebra::DVector;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::metrics::{auc, brier, calibration_in_the_large, calibration_slope, MetricsError};
use crate::sample_size::{riley_with, RileyOptions, SampleSize, SampleSizeError};
use recontact_input::progress::{self, Progress, Report, Stage};
use recontact_model::data::{ColumnValues, Dataset, DroppedRows};
use recontact_model::encoding::EncodedTerm;
use recontact_model::error::FitError;
use recontact_model::fit::{fit, FitOptions, FitStatistics, FittedModel};
use recontact_model::spec::Spec;
use recontact_stats::distributions::logistic;

mod calibration_curve;
mod stability;

pub use calibration_curve::{CalibrationCurve, GRID_POINTS, LOWESS_SPAN};
pub use stability::{
    BootstrapCurve, PredictionBounds, Stability, StoredPredictions, DEFAULT_STABILITY_THRESHOLD,
    MAX_STORED_PREDICTIONS,
};

use calibration_curve::{curve_at, OptimismSums};
use stability::StabilitySums;

/// Folds of cross-validation unless told otherwise.
pub const DEFAULT_FOLDS: usize = 10;
/// Bootstrap resamples unless told otherwise.
pub const DEFAULT_BOOTSTRAP: usize = 200;
/// Seed unless told otherwise.
pub const DEFAULT_SEED: u64 = 1;

/// Frequency weights are expanded into repeated rows; beyond this many rows the expansion
/// would exhaust memory long before it finished, so it is refused.
const MAX_EXPANDED_ROWS: f64 = 50_000_000.0;

/// Resamples run in parallel in batches holding at most about this many predictions on
/// the original data (64 MB), reduced in order before the next batch: the memory of the
/// stability sums stays bounded whatever the number of resamples.
const BATCH_PREDICTIONS: usize = 8_000_000;

/// Why a validation could not be run at all (a failing fold or resample is not an error:
/// it is counted in the result).
#[derive(Debug, Error)]
pub enum ValidateError {
    /// The number of folds is unusable.
    #[error(
        "cross-validation needs 2 or more folds (or 0 to skip it), and at most as many folds \
         as there are events and non-events ({events} and {non_events}); got {folds}"
    )]
    Folds {
        /// Folds asked for.
        folds: usize,
        /// Events in the data.
        events: usize,
        /// Non-events in the data.
        non_events: usize,
    },
    /// A frequency weight that is not a whole number cannot be expanded into rows.
    #[error(
        "validation resamples individual observations, so frequency weights must be whole \
         numbers; row {row} has weight {value}"
    )]
    FractionalWeight {
        /// Zero-based row.
        row: usize,
        /// The weight.
        value: f64,
    },
    /// The frequency weights add up to more rows than can be held in memory.
    #[error("the frequency weights add up to {0} observations, too many to resample")]
    TooManyObservations(f64),
    /// A row index passed to [`subset`] does not exist.
    #[error("row {index} does not exist in a data set of {rows} rows")]
    RowOutOfRange {
        /// The index asked for.
        index: usize,
        /// Rows in the data set.
        rows: usize,
    },
    /// The model cannot be fitted on all the data, so there is nothing to validate.
    #[error("{0}")]
    Fit(#[from] FitError),
    /// The apparent performance of the model on all the data does not exist.
    #[error("the apparent performance cannot be computed: {0}")]
    Apparent(String),
    /// The classification threshold of the stability index is not inside (0, 1).
    #[error("the stability threshold must lie strictly between 0 and 1; got {0}")]
    Threshold(f64),
}

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ValidationOptions {
    /// Folds of stratified cross-validation; 0 skips cross-validation.
    pub folds: usize,
    /// Bootstrap resamples; 0 skips the bootstrap.
    pub bootstrap: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Threshold of the classification instability index, strictly between 0 and 1.
    pub stability_threshold: f64,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            folds: DEFAULT_FOLDS,
            bootstrap: DEFAULT_BOOTSTRAP,
            seed: DEFAULT_SEED,
            stability_threshold: DEFAULT_STABILITY_THRESHOLD,
        }
    }
}

/// The performance measures of one set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Performance {
    /// Area under the ROC curve.
    pub auc: f64,
    /// Somers' D_xy = 2 (AUC − 1/2).
    pub dxy: f64,
    /// Brier score.
    pub brier: f64,
    /// Calibration slope.
    pub calibration_slope: f64,
    /// Calibration-in-the-large (intercept with the linear predictor as offset).
    pub calibration_intercept: f64,
}

impl Performance {
    fn values(&self) -> [f64; 5] {
        [
            self.auc,
            self.dxy,
            self.brier,
            self.calibration_slope,
            self.calibration_intercept,
        ]
    }
}

/// A measure's mean and standard deviation over the folds that could be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSd {
    /// Mean over the evaluated folds (NaN, written as null, when none was).
    pub mean: f64,
    /// Sample standard deviation (denominator k − 1; NaN with fewer than two folds).
    pub sd: f64,
}

/// A fold or resample that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResampleFailure {
    /// The fold or resample, numbered from 1.
    pub index: usize,
    /// What went wrong.
    pub reason: String,
}

/// Stratified k-fold cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossValidation {
    /// AUC over the folds.
    pub auc: MeanSd,
    /// Somers' D_xy over the folds.
    pub dxy: MeanSd,
    /// Brier score over the folds.
    pub brier: MeanSd,
    /// Calibration slope over the folds.
    pub calibration_slope: MeanSd,
    /// Calibration-in-the-large over the folds.
    pub calibration_intercept: MeanSd,
    /// Folds evaluated.
    pub evaluated_folds: usize,
    /// Folds whose fit or metrics failed (left out of the means, listed in `failures`).
    pub failed_folds: usize,
    /// Held-out rows with a category level their training part never had, which the
    /// refitted model cannot score (left out of their fold's metrics).
    pub unscored_rows: usize,
    /// Folds with at least one such row.
    pub folds_with_unscored_rows: usize,
    /// Every failed fold with its reason.
    pub failures: Vec<ResampleFailure>,
}

/// A measure corrected for optimism.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corrected {
    /// The model fitted on all the data, evaluated on all the data.
    pub apparent: f64,
    /// Mean over resamples of (performance on the resample − performance on the original
    /// data) of the model refitted on the resample.
    pub optimism: f64,
    /// `apparent − optimism`.
    pub corrected: f64,
}

/// Harrell/Efron bootstrap optimism correction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapValidation {
    /// AUC.
    pub auc: Corrected,
    /// Somers' D_xy.
    pub dxy: Corrected,
    /// Brier score.
    pub brier: Corrected,
    /// Calibration slope.
    pub calibration_slope: Corrected,
    /// Calibration-in-the-large.
    pub calibration_intercept: Corrected,
    /// Resamples evaluated.
    pub evaluated_resamples: usize,
    /// Resamples whose fit or metrics failed (left out of the optimism, listed in `failures`).
    pub failed_resamples: usize,
    /// Rows of the original data left unscored, summed over resamples: their category
    /// level did not occur in the resample, so its model cannot score them.
    pub unscored_rows: usize,
    /// Resamples with at least one such row.
    pub resamples_with_unscored_rows: usize,
    /// Every failed resample with its reason.
    pub failures: Vec<ResampleFailure>,
}

/// The result of [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    /// Observations (rows, or the sum of the frequency weights).
    pub n: usize,
    /// Events among them.
    pub events: usize,
    /// Folds asked for (0: skipped).
    pub folds: usize,
    /// Resamples asked for (0: skipped).
    pub bootstrap: usize,
    /// The seed.
    pub seed: u64,
    /// Cross-validated performance, unless skipped.
    pub cross_validation: Option<CrossValidation>,
    /// Optimism-corrected performance, unless skipped.
    pub bootstrap_validation: Option<BootstrapValidation>,
    /// The calibration curve corrected for overfitting, from the same resamples (`None`
    /// when the bootstrap is skipped or the curve does not exist: see
    /// `calibration_curve_unavailable`).
    pub calibration_curve: Option<CalibrationCurve>,
    /// Why the bootstrap ran but the calibration curve does not exist.
    pub calibration_curve_unavailable: Option<String>,
    /// Stability of the predictions over the same resamples' models (`None` when the
    /// bootstrap is skipped or no resample could be evaluated).
    pub stability: Option<Stability>,
}

/// The rows `rows` of `data`, in that order (an index may repeat, as in a bootstrap
/// resample), with weights, offset and every column kept aligned.
///
/// Category levels are re-coded to those that occur in the subset, so learning an
/// encoding from it sees only the subset's levels, as a fit on that data alone would.
/// Provenance (source name, hash) is the parent's; `rows_read` is the subset's size and
/// nothing is counted as dropped.
///
/// ```rust
/// use recontact_evaluation::validate::{subset, ValidateError};
/// use recontact_model::data::ColumnValues;
/// use recontact_model::{read_dataset, InvalidRows, SpecConfig};
///
/// let toml = "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"c\"\n";
/// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
/// let data = read_dataset("d.csv", "y,c\n1,a\n0,b\n1,c\n".as_bytes(), &spec, InvalidRows::Fail)?;
/// let picked = subset(&data, &[2, 2, 0])?;
/// assert_eq!(picked.outcome, [1.0, 1.0, 1.0]);
/// // Only the levels the subset has, in the order they appear in it: c, then a.
/// let Some(ColumnValues::Levels { codes, levels }) = picked.columns.get("c") else { panic!() };
/// assert_eq!((codes.as_slice(), levels.as_slice()), (&[0, 0, 1][..], &["c", "a"].map(String::from)[..]));
/// assert!(matches!(subset(&data, &[3]), Err(ValidateError::RowOutOfRange { index: 3, rows: 3 })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn subset(data: &Dataset, rows: &[usize]) -> Result<Dataset, ValidateError> {
    let n = data.len();
    if let Some(&index) = rows.iter().find(|&&i| i >= n) {
        return Err(ValidateError::RowOutOfRange { index, rows: n });
    }
    let pick = |values: &[f64]| rows.iter().map(|&i| values[i]).collect::<Vec<f64>>();
    let columns = data
        .columns
        .iter()
        .map(|(name, values)| {
            let values = match values {
                ColumnValues::Numeric(v) => ColumnValues::Numeric(pick(v)),
                ColumnValues::Levels { codes, levels } => {
                    let mut renumbered: Vec<Option<u32>> = vec![None; levels.len()];
                    let mut kept = Vec::new();
                    let codes = rows
                        .iter()
                        .map(|&i| {
                            let old = codes[i] as usize;
                            *renumbered[old].get_or_insert_with(|| {
                                kept.push(levels[old].clone());
                                (kept.len() - 1) as u32
                            })
                        })
                        .collect();
                    ColumnValues::Levels {
                        codes,
                        levels: kept,
                    }
                }
            };
            (name.clone(), values)
        })
        .collect::<HashMap<_, _>>();
    Ok(Dataset {
        source_name: data.source_name.clone(),
        rows_read: rows.len() as u64,
        outcome: pick(&data.outcome),
        weights: data.weights.as_deref().map(pick),
        offset: data.offset.as_deref().map(pick),
        columns,
        dropped: DroppedRows::default(),
        level_first_lines: HashMap::new(),
        sha256: data.sha256.clone(),
    })
}

/// The data with each row repeated as often as its frequency weight says, and no weights:
/// resampling must draw observations, not rows standing for several.
fn expand_weights(data: &Dataset) -> Result<Cow<'_, Dataset>, ValidateError> {
    let Some(weights) = &data.weights else {
        return Ok(Cow::Borrowed(data));
    };
    if let Some((row, &value)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| w.fract() != 0.0 || !w.is_finite())
    {
        return Err(ValidateError::FractionalWeight { row, value });
    }
    let total: f64 = weights.iter().sum();
    if total > MAX_EXPANDED_ROWS {
        return Err(ValidateError::TooManyObservations(total));
    }
    let rows: Vec<usize> = weights
        .iter()
        .enumerate()
        .flat_map(|(i, &w)| std::iter::repeat_n(i, w as usize))
        .collect();
    let mut expanded = subset(data, &rows)?;
    expanded.weights = None;
    Ok(Cow::Owned(expanded))
}

/// What a generator is for, so folds and resamples never share a stream.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    Folds = 1,
    Bootstrap = 2,
}

/// A ChaCha20 generator for `(seed, purpose, index)`: the 32-byte key holds the seed, the
/// index and the purpose as little-endian words, so each stream is fixed by its inputs on
/// every platform.
fn rng_for(seed: u64, purpose: Purpose, index: u64) -> ChaCha20Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..24].copy_from_slice(&(purpose as u64).to_le_bytes());
    ChaCha20Rng::from_seed(key)
}

/// A uniform integer in `0..bound` (bound ≥ 1), without modulo bias (Lemire's method).
fn below(rng: &mut ChaCha20Rng, bound: usize) -> usize {
    let bound = bound as u64;
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(bound);
        if (product as u64) >= threshold {
            return (product >> 64) as usize;
        }
    }
}

fn shuffle(rng: &mut ChaCha20Rng, items: &mut [usize]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}

/// The held-out rows of each fold, ascending: events and non-events are shuffled
/// separately and dealt round-robin, the non-events continuing where the events stopped
/// so that fold sizes differ by at most one.
fn stratified_folds(outcome: &[f64], folds: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = rng_for(seed, Purpose::Folds, 0);
    let (mut events, mut non_events): (Vec<usize>, Vec<usize>) =
        (0..outcome.len()).partition(|&i| outcome[i] == 1.0);
    shuffle(&mut rng, &mut events);
    shuffle(&mut rng, &mut non_events);
    let mut held_out = vec![Vec::new(); folds.max(1)];
    for (position, row) in events.into_iter().chain(non_events).enumerate() {
        held_out[position % folds.max(1)].push(row);
    }
    for fold in &mut held_out {
        fold.sort_unstable();
    }
    held_out
}

/// The rows of bootstrap resample `index` (numbered from 0): `n` draws with replacement,
/// ascending (the order of draws carries no information).
///
/// ```rust
/// use recontact_evaluation::validate::bootstrap_rows;
///
/// let rows = bootstrap_rows(10_000, 1, 0);
/// assert_eq!(rows.len(), 10_000);
/// assert!(rows.windows(2).all(|w| w[0] <= w[1]) && rows[rows.len() - 1] < 10_000);
/// // Fixed by (seed, index) alone, whatever the thread or platform.
/// assert_eq!(rows, bootstrap_rows(10_000, 1, 0));
/// assert_ne!(rows, bootstrap_rows(10_000, 1, 1));
/// // n draws with replacement hit n (1 - (1 - 1/n)^n) = 6321.2 distinct rows on average
/// // (standard deviation about 23).
/// let mut distinct = rows.clone();
/// distinct.dedup();
/// assert!((6_200..6_450).contains(&distinct.len()));
/// ```
pub fn bootstrap_rows(n: usize, seed: u64, index: usize) -> Vec<usize> {
    let mut rng = rng_for(seed, Purpose::Bootstrap, index as u64);
    let mut rows: Vec<usize> = (0..n).map(|_| below(&mut rng, n)).collect();
    rows.sort_unstable();
    rows
}

/// A model's performance on some data, its predictions, and the rows it could not score.
struct Scored {
    performance: Performance,
    unscored: usize,
    /// Which rows were scored, when not all were.
    scorable: Option<Vec<bool>>,
    /// Predictions for the scored rows, in row order.
    p: Vec<f64>,
    /// The lowess calibration curve at the grid, when one was asked for.
    curve: Vec<Option<f64>>,
}

/// Evaluates a fitted model on `data`, leaving out rows with a category level the model
/// was not fitted with, and reads its calibration curve at `grid` (may be empty).
fn score(model: &FittedModel, data: &Dataset, grid: &[f64]) -> Result<Scored, String> {
    let mut scorable = vec![true; data.len()];
    for term in &model.encoding.terms {
        let EncodedTerm::Categorical { column, levels, .. } = term else {
            continue;
        };
        let Some(ColumnValues::Levels {
            codes,
            levels: seen,
        }) = data.columns.get(column)
        else {
            continue;
        };
        let known: Vec<bool> = seen.iter().map(|s| levels.contains(s)).collect();
        for (ok, &code) in scorable.iter_mut().zip(codes) {
            *ok &= known[code as usize];
        }
    }
    let unscored = scorable.iter().filter(|ok| !**ok).count();
    let data = if unscored > 0 {
        let rows: Vec<usize> = (0..data.len()).filter(|&i| scorable[i]).collect();
        if rows.is_empty() {
            return Err("no held-out row can be scored".into());
        }
        Cow::Owned(subset(data, &rows).map_err(|e| e.to_string())?)
    } else {
        Cow::Borrowed(data)
    };
    let design = model.encoding.design(&data).map_err(|e| e.to_string())?;
    let mut lp = design * DVector::from_vec(model.coefficients());
    if let Some(offset) = &data.offset {
        for (l, o) in lp.iter_mut().zip(offset) {
            *l += o;
        }
    }
    let lp: Vec<f64> = lp.iter().copied().collect();
    let p: Vec<f64> = lp.iter().map(|&l| logistic(l)).collect();
    let y = &data.outcome;
    let metric = |e: MetricsError| e.to_string();
    let auc = auc(y, &p).map_err(metric)?;
    let performance = Performance {
        auc,
        // As `metrics::dxy`, without ranking the predictions a second time.
        dxy: 2.0 * (auc - 0.5),
        brier: brier(y, &p).map_err(metric)?,
        calibration_slope: calibration_slope(y, &lp).map_err(metric)?.estimate,
        calibration_intercept: calibration_in_the_large(y, &lp).map_err(metric)?.estimate,
    };
    let curve = if grid.is_empty() {
        Vec::new()
    } else {
        curve_at(&p, y, grid)
    };
    Ok(Scored {
        performance,
        unscored,
        scorable: (unscored > 0).then_some(scorable),
        p,
        curve,
    })
}

fn mean_sd(values: &[f64]) -> MeanSd {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    let sd = if values.len() < 2 {
        f64::NAN
    } else {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt()
    };
    MeanSd { mean, sd }
}

/// Counts finished units of `stage` and reports each to `report`, from any thread.
struct Counter<'a> {
    stage: Stage,
    total: u64,
    done: AtomicU64,
    report: Report<'a>,
}

impl<'a> Counter<'a> {
    fn new(stage: Stage, total: usize, report: Report<'a>) -> Counter<'a> {
        Counter {
            stage,
            total: total as u64,
            done: AtomicU64::new(0),
            report,
        }
    }

    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.report)(Progress {
            stage: self.stage,
            done,
            total: self.total,
        });
    }
}

fn cross_validate(
    spec: &Spec,
    data: &Dataset,
    options: FitOptions,
    folds: usize,
    seed: u64,
    report: Report<'_>,
) -> CrossValidation {
    let held_out = stratified_folds(&data.outcome, folds, seed);
    let counter = Counter::new(Stage::Folds, held_out.len(), report);
    let results: Vec<Result<Scored, String>> = held_out
        .par_iter()
        .map(|test_rows| {
            let mut in_test = vec![false; data.len()];
            for &i in test_rows {
                in_test[i] = true;
            }
            let train_rows: Vec<usize> = (0..data.len()).filter(|&i| !in_test[i]).collect();
            let train = subset(data, &train_rows).map_err(|e| e.to_string())?;
            let test = subset(data, test_rows).map_err(|e| e.to_string())?;
            let model = fit(spec, &train, options).map_err(|e| format!("fit: {e}"))?;
            score(&model, &test, &[]).map_err(|e| format!("held-out metrics: {e}"))
        })
        .inspect(|_| counter.tick())
        .collect();

    let mut columns: [Vec<f64>; 5] = Default::default();
    let mut failures = Vec::new();
    let (mut unscored_rows, mut folds_with_unscored_rows) = (0, 0);
    for (k, result) in results.into_iter().enumerate() {
        match result {
            Ok(scored) => {
                for (column, value) in columns.iter_mut().zip(scored.performance.values()) {
                    column.push(value);
                }
                unscored_rows += scored.unscored;
                folds_with_unscored_rows += usize::from(scored.unscored > 0);
            }
            Err(reason) => failures.push(ResampleFailure {
                index: k + 1,
                reason,
            }),
        }
    }
    let [auc, dxy, brier, slope, intercept] = columns.each_ref().map(|c| mean_sd(c));
    CrossValidation {
        auc,
        dxy,
        brier,
        calibration_slope: slope,
        calibration_intercept: intercept,
        evaluated_folds: columns[0].len(),
        failed_folds: failures.len(),
        unscored_rows,
        folds_with_unscored_rows,
        failures,
    }
}

/// What one evaluated resample contributes: its performance on itself and on the original
/// data, its calibration curve on itself at the grid.
struct ResampleOutcome {
    on_resample: Performance,
    resample_curve: Vec<Option<f64>>,
    on_original: Scored,
}

/// Draws, fits and scores resample `b` (from 0).
fn run_resample(
    spec: &Spec,
    data: &Dataset,
    options: FitOptions,
    grid: &[f64],
    seed: u64,
    b: usize,
) -> Result<ResampleOutcome, String> {
    let rows = bootstrap_rows(data.len(), seed, b);
    let resample = subset(data, &rows).map_err(|e| e.to_string())?;
    let model = fit(spec, &resample, options).map_err(|e| format!("fit: {e}"))?;
    let on_resample =
        score(&model, &resample, grid).map_err(|e| format!("metrics on the resample: {e}"))?;
    let on_original =
        score(&model, data, grid).map_err(|e| format!("metrics on the original data: {e}"))?;
    Ok(ResampleOutcome {
        on_resample: on_resample.performance,
        resample_curve: on_resample.curve,
        on_original,
    })
}

/// Everything the bootstrap resamples give.
struct BootstrapResults {
    validation: BootstrapValidation,
    curve: Option<Result<CalibrationCurve, String>>,
    stability: Option<Stability>,
}

/// The settings of one bootstrap run.
struct BootstrapPlan<'a> {
    /// The model fitted on all the data, scored on all the data with its curve at `grid`.
    apparent: &'a Scored,
    /// The calibration grid, or why there is none.
    grid: Result<Vec<f64>, String>,
    resamples: usize,
    seed: u64,
    threshold: f64,
    limits: Limits,
    /// Where each finished resample is reported.
    report: Report<'a>,
}

/// Memory bounds of the bootstrap (parameters so that tests can reach them on small data).
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Predictions on the original data held at once by a batch of resamples.
    batch_predictions: usize,
    /// Bootstrap predictions kept for the stability plot.
    stored_predictions: usize,
}

const LIMITS: Limits = Limits {
    batch_predictions: BATCH_PREDICTIONS,
    stored_predictions: MAX_STORED_PREDICTIONS,
};

fn bootstrap_validate(
    spec: &Spec,
    data: &Dataset,
    options: FitOptions,
    plan: BootstrapPlan,
) -> BootstrapResults {
    let grid: &[f64] = plan.grid.as_deref().unwrap_or(&[]);
    let mut differences: [Vec<f64>; 5] = Default::default();
    let mut failures = Vec::new();
    let (mut unscored_rows, mut resamples_with_unscored_rows) = (0, 0);
    let mut optimism = OptimismSums::new(grid.len());
    let mut stability = StabilitySums::new(
        plan.apparent.p.clone(),
        plan.threshold,
        plan.resamples,
        grid,
        plan.limits.stored_predictions,
    );
    // Batches bound the predictions held at once; within a batch resamples run in
    // parallel, and every sum is added in resample order.
    let batch = (plan.limits.batch_predictions / data.len().max(1)).max(1);
    let counter = Counter::new(Stage::Resamples, plan.resamples, plan.report);
    for start in (0..plan.resamples).step_by(batch) {
        let end = (start + batch).min(plan.resamples);
        let results: Vec<Result<ResampleOutcome, String>> = (start..end)
            .into_par_iter()
            .map(|b| run_resample(spec, data, options, grid, plan.seed, b))
            .inspect(|_| counter.tick())
            .collect();
        for (b, result) in (start..end).zip(results) {
            let outcome = match result {
                Ok(outcome) => outcome,
                Err(reason) => {
                    failures.push(ResampleFailure {
                        index: b + 1,
                        reason,
                    });
                    continue;
                }
            };
            let original = &outcome.on_original;
            let pairs = outcome
                .on_resample
                .values()
                .into_iter()
                .zip(original.performance.values());
            for (column, (a, t)) in differences.iter_mut().zip(pairs) {
                column.push(a - t);
            }
            unscored_rows += original.unscored;
            resamples_with_unscored_rows += usize::from(original.unscored > 0);
            optimism.add(&outcome.resample_curve, &original.curve);
            stability.add(
                b,
                &original.p,
                original.scorable.as_deref(),
                &original.curve,
            );
        }
    }
    let validation = corrected_measures(
        plan.apparent.performance,
        &differences,
        failures,
        unscored_rows,
        resamples_with_unscored_rows,
    );
    let curve = (validation.evaluated_resamples > 0).then(|| {
        let grid = plan.grid.as_deref().map_err(Clone::clone)?;
        optimism.finish(grid, &plan.apparent.curve, &plan.apparent.p)
    });
    BootstrapResults {
        validation,
        curve,
        stability: stability.finish(),
    }
}

/// The model fitted on all the data, its apparent curve, and the bootstrap on `data`
/// (weights already expanded).
fn bootstrap_all(
    spec: &Spec,
    data: &Dataset,
    options: FitOptions,
    validation: ValidationOptions,
    (limits, report): (Limits, Report<'_>),
) -> Result<BootstrapResults, ValidateError> {
    let model = fit(spec, data, options)?;
    let first = score(&model, data, &[]).map_err(ValidateError::Apparent)?;
    let grid = calibration_curve::grid(&first.p);
    let apparent = match &grid {
        Ok(grid) => Scored {
            curve: curve_at(&first.p, &data.outcome, grid),
            ..first
        },
        Err(_) => first,
    };
    let plan = BootstrapPlan {
        apparent: &apparent,
        grid,
        resamples: validation.bootstrap,
        seed: validation.seed,
        threshold: validation.stability_threshold,
        limits,
        report,
    };
    Ok(bootstrap_validate(spec, data, options, plan))
}

/// The optimism-corrected measures from the per-resample differences.
fn corrected_measures(
    apparent: Performance,
    differences: &[Vec<f64>; 5],
    failures: Vec<ResampleFailure>,
    unscored_rows: usize,
    resamples_with_unscored_rows: usize,
) -> BootstrapValidation {
    let corrected: Vec<Corrected> = differences
        .iter()
        .zip(apparent.values())
        .map(|(d, apparent)| {
            let optimism = d.iter().sum::<f64>() / d.len() as f64;
            Corrected {
                apparent,
                optimism,
                corrected: apparent - optimism,
            }
        })
        .collect();
    BootstrapValidation {
        auc: corrected[0],
        dxy: corrected[1],
        brier: corrected[2],
        calibration_slope: corrected[3],
        calibration_intercept: corrected[4],
        evaluated_resamples: differences[0].len(),
        failed_resamples: failures.len(),
        unscored_rows,
        resamples_with_unscored_rows,
        failures,
    }
}

/// Cross-validates the procedure "learn the encoding `spec` describes, fit with `options`"
/// on `data` and corrects its apparent performance for optimism by the bootstrap; the same
/// resamples give the overfitting-corrected calibration curve and the stability of the
/// predictions.
///
/// Frequency weights must be whole numbers: each row is expanded into that many
/// observations first, so folds and resamples draw observations. Runs folds and resamples
/// in parallel on rayon's global pool; the result does not depend on the thread count.
///
/// ```rust
/// use recontact_evaluation::validate::{validate, ValidationOptions};
/// use recontact_model::{read_dataset, FitOptions, InvalidRows, SpecConfig};
///
/// # let csv = include_str!("../../../data/recontact_outcomes.csv");
/// let toml = "outcome = \"success\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"days_since_decline\"\ntransform = \"log1p\"\n";
/// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
/// let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let options = ValidationOptions { folds: 5, bootstrap: 20, ..Default::default() };
/// let result = validate(&spec, &data, FitOptions::default(), options)?;
/// let boot = result.bootstrap_validation.expect("the bootstrap ran");
/// // The fit decreases in days: sklearn roc_auc_score(y, -days_since_decline) = 0.739778811941122
/// assert!((boot.auc.apparent - 0.739_778_811_941_122).abs() < 1e-12);
/// // A maximum-likelihood fit is calibrated on its own data: slope 1, intercept 0.
/// assert!((boot.calibration_slope.apparent - 1.0).abs() < 1e-8);
/// assert!(boot.calibration_intercept.apparent.abs() < 1e-8);
/// assert_eq!(result.cross_validation.map(|cv| cv.evaluated_folds), Some(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn validate(
    spec: &Spec,
    data: &Dataset,
    options: FitOptions,
    validation: ValidationOptions,
) -> Result<Validation, ValidateError> {
    validate_reporting(spec, data, options, validation, &progress::ignore)
}

/// [`validate`], reporting each finished fold and resample to `report` (called from
/// the worker threads, in no particular order; the result is the same).
///
/// ```rust
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use recontact_evaluation::validate::{validate_reporting, ValidationOptions};
/// use recontact_input::progress::{Progress, Stage};
/// use recontact_model::{read_dataset, FitOptions, InvalidRows, SpecConfig};
///
/// # let csv = include_str!("../../../data/recontact_outcomes.csv");
/// # let toml = "outcome = \"success\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"years_experience\"\n";
/// # let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
/// # let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let (folds, resamples) = (AtomicU64::new(0), AtomicU64::new(0));
/// let report = |p: Progress| {
///     let counter = if p.stage == Stage::Folds { &folds } else { &resamples };
///     counter.fetch_add(1, Ordering::Relaxed);
/// };
/// let options = ValidationOptions { folds: 4, bootstrap: 6, ..Default::default() };
/// validate_reporting(&spec, &data, FitOptions::default(), options, &report)?;
/// assert_eq!((folds.into_inner(), resamples.into_inner()), (4, 6));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn validate_reporting(
    spec: &Spec,
    data: &Dataset,
    options: FitOptions,
    validation: ValidationOptions,
    report: Report<'_>,
) -> Result<Validation, ValidateError> {
    let threshold = validation.stability_threshold;
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(ValidateError::Threshold(threshold));
    }
    let data = expand_weights(data)?;
    let data = data.as_ref();
    let events = data.outcome.iter().filter(|&&y| y == 1.0).count();
    let non_events = data.len() - events;
    let folds = validation.folds;
    if folds == 1 || folds > events.min(non_events) {
        return Err(ValidateError::Folds {
            folds,
            events,
            non_events,
        });
    }
    let cross_validation =
        (folds > 0).then(|| cross_validate(spec, data, options, folds, validation.seed, report));
    let bootstrap = if validation.bootstrap > 0 {
        Some(bootstrap_all(
            spec,
            data,
            options,
            validation,
            (LIMITS, report),
        )?)
    } else {
        None
    };
    let (bootstrap_validation, curve, stability) = match bootstrap {
        Some(b) => (Some(b.validation), b.curve, b.stability),
        None => (None, None, None),
    };
    let (calibration_curve, calibration_curve_unavailable) = match curve {
        Some(Ok(curve)) => (Some(curve), None),
        Some(Err(reason)) => (None, Some(reason)),
        None => (None, None),
    };
    Ok(Validation {
        n: data.len(),
        events,
        folds,
        bootstrap: validation.bootstrap,
        seed: validation.seed,
        cross_validation,
        bootstrap_validation,
        calibration_curve,
        calibration_curve_unavailable,
        stability,
    })
}

/// Where the Cox–Snell R² of a [`SampleSizeCheck`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum R2Source {
    /// The fit's apparent R²cs shrunk by van Houwelingen's heuristic factor.
    Adjusted,
    /// The heuristic factor was not positive (LR χ² ≤ parameters), so the conservative
    /// default of Riley et al. is used: the R²cs of a Nagelkerke R² of 0.15.
    Conservative,
}

/// A fit's size against Riley et al.'s minimum sample size for its number of parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleSizeCheck {
    /// Estimated non-intercept coefficients.
    pub parameters: usize,
    /// Observations the fit used (sum of the weights).
    pub n: f64,
    /// The fit's event proportion.
    pub prevalence: f64,
    /// Apparent Cox–Snell R², 1 − exp(−LR / n).
    pub r2cs_apparent: f64,
    /// Van Houwelingen's heuristic shrinkage, 1 − P / LR.
    pub heuristic_shrinkage: f64,
    /// The R²cs the criteria were computed with.
    pub r2cs: f64,
    /// Where `r2cs` comes from.
    pub r2cs_source: R2Source,
    /// Riley et al.'s minimum sample size and its criteria.
    pub required: SampleSize,
}

impl SampleSizeCheck {
    /// True when the fit used fewer observations than the criteria ask for.
    pub fn is_short(&self) -> bool {
        self.n < self.required.n as f64
    }
}

/// Compares a fit's size with Riley et al.'s minimum for its parameters, with R²cs from
/// the fit's LR χ² shrunk as Riley et al. (2019, Part II) advise when it comes from a
/// model developed on the same data: R²cs,adj = S_VH · (1 − exp(−LR/n)) with
/// S_VH = 1 − P/LR; when S_VH ≤ 0 the conservative R²cs of a Nagelkerke R² of 0.15.
///
/// `None` when the fit has no parameter besides the intercept or no events/non-events.
///
/// ```rust
/// use recontact_evaluation::sample_size::RileyOptions;
/// use recontact_evaluation::validate::{sample_size_check, R2Source};
/// use recontact_model::Model;
///
/// let model = Model::from_json("default_model.json", include_str!("../../../data/default_model.json"))?;
/// let check = sample_size_check(&model.statistics, RileyOptions::default()).expect("22 parameters")?;
/// // numpy, LR chi2 1951.9675877078244 on n = 5000 with P = 22: 1 - exp(-LR/n) = 0.3232095068422848,
/// // times 1 - P/LR = 0.9887293210509533 gives 0.3195667162573857
/// assert!((check.r2cs_apparent - 0.323_209_506_842_284_8).abs() < 1e-14);
/// assert!((check.r2cs - 0.319_566_716_257_385_7).abs() < 1e-14);
/// assert_eq!(check.r2cs_source, R2Source::Adjusted);
/// // Riley's criteria at that R2cs (numpy): 501.57, 477.72 and 376.11, so 502 are needed.
/// assert_eq!(check.required.n, 502);
/// assert!(!check.is_short());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_size_check(
    statistics: &FitStatistics,
    options: RileyOptions,
) -> Option<Result<SampleSizeCheck, SampleSizeError>> {
    let parameters = statistics.lr_df;
    let n = statistics.n;
    if parameters == 0 {
        return None;
    }
    // NaN when n is 0, which the range check refuses too.
    let prevalence = statistics.events / n;
    if !(prevalence > 0.0 && prevalence < 1.0) {
        return None;
    }
    let lr = statistics.lr_chi2;
    let r2cs_apparent = 1.0 - (-lr / n).exp();
    let heuristic_shrinkage = 1.0 - parameters as f64 / lr;
    let (r2cs, r2cs_source) = if lr > 0.0 && heuristic_shrinkage > 0.0 {
        (heuristic_shrinkage * r2cs_apparent, R2Source::Adjusted)
    } else {
        let phi = prevalence;
        let max = 1.0 - (2.0 * (phi * phi.ln() + (1.0 - phi) * (1.0 - phi).ln())).exp();
        (0.15 * max, R2Source::Conservative)
    };
    Some(
        riley_with(parameters, prevalence, r2cs, options).map(|required| SampleSizeCheck {
            parameters,
            n,
            prevalence,
            r2cs_apparent,
            heuristic_shrinkage,
            r2cs,
            r2cs_source,
            required,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use recontact_model::spec::SpecConfig;

    fn statistics(lr_chi2: f64, lr_df: usize, n: f64, events: f64) -> FitStatistics {
        FitStatistics {
            method: "ml".into(),
            log_likelihood: 0.0,
            null_log_likelihood: 0.0,
            penalized_log_likelihood: None,
            lr_chi2,
            lr_df,
            lr_p_value: 0.0,
            aic: 0.0,
            bic: 0.0,
            mcfadden_r2: 0.0,
            nagelkerke_r2: 0.0,
            n,
            rows: n as usize,
            events,
            iterations: 1,
            converged: true,
        }
    }

    #[test]
    fn sample_size_check_shrinks_the_apparent_r2_and_flags_small_data() {
        // n = 200, LR = 60, P = 10: R²cs,app = 1 − e^−0.3 = 0.259182, S_VH = 5/6, so
        // R²cs,adj = 0.215985; prevalence 0.3.
        let check = sample_size_check(&statistics(60.0, 10, 200.0, 60.0), Default::default())
            .unwrap()
            .unwrap();
        assert_eq!(check.r2cs_source, R2Source::Adjusted);
        assert!((check.r2cs_apparent - 0.259_181_779_318_282).abs() < 1e-12);
        assert!((check.heuristic_shrinkage - 5.0 / 6.0).abs() < 1e-15);
        let r2 = check.r2cs_apparent * 5.0 / 6.0;
        assert!((check.r2cs - r2).abs() < 1e-15);
        // Criterion 1 by hand: P / ((S − 1) ln(1 − R²/S)).
        let n1 = (10.0 / ((0.9 - 1.0) * (1.0 - r2 / 0.9f64).ln())).ceil() as u64;
        assert_eq!(check.required.criterion1.n, n1);
        assert!(check.required.n >= n1 && check.is_short(), "{check:?}");

        // Plenty of data for the same signal strength per observation.
        let big = sample_size_check(&statistics(1500.0, 10, 5000.0, 1500.0), Default::default())
            .unwrap()
            .unwrap();
        assert!(!big.is_short(), "{big:?}");

        // LR below P: no usable shrinkage, the conservative default is used.
        let weak = sample_size_check(&statistics(5.0, 10, 200.0, 60.0), Default::default())
            .unwrap()
            .unwrap();
        assert_eq!(weak.r2cs_source, R2Source::Conservative);
        assert!(weak.is_short());

        assert!(sample_size_check(&statistics(0.0, 0, 200.0, 60.0), Default::default()).is_none());
    }

    fn toy() -> (Spec, Dataset) {
        let spec = SpecConfig::from_toml(
            "spec",
            "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n\
             [[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n",
        )
        .unwrap()
        .check()
        .unwrap();
        let mut csv = String::from("y,x,g\n");
        let mut rng = rng_for(7, Purpose::Bootstrap, 99);
        for i in 0..300 {
            let x = below(&mut rng, 1000) as f64 / 100.0 - 5.0;
            let g = ["a", "b", "c"][i % 3];
            let u = below(&mut rng, 1000) as f64 / 1000.0;
            let y = u8::from(u < logistic(0.8 * x + if g == "b" { 0.5 } else { 0.0 }));
            csv += &format!("{y},{x},{g}\n");
        }
        // Two rows of a rare level: a training part or resample with one of them is
        // separated (its fit fails), one with neither cannot score them.
        csv += "1,0.5,rare\n0,0.7,rare\n";
        let data = recontact_model::data::read_dataset(
            "toy.csv",
            csv.as_bytes(),
            &spec,
            recontact_model::data::InvalidRows::Fail,
        )
        .unwrap();
        (spec, data)
    }

    #[test]
    fn subset_keeps_rows_aligned_and_recodes_levels() {
        let (_, data) = toy();
        let sub = subset(&data, &[300, 1, 1, 4]).unwrap();
        assert_eq!(sub.len(), 4);
        assert_eq!(sub.outcome[0], 1.0);
        let Some(ColumnValues::Levels { codes, levels }) = sub.columns.get("g") else {
            panic!("g is categorical");
        };
        assert_eq!(levels, &["rare", "b"]);
        assert_eq!(codes, &[0, 1, 1, 1]);
        let Some(ColumnValues::Numeric(x)) = sub.columns.get("x") else {
            panic!("x is numeric");
        };
        assert_eq!(x[0], 0.5);
        assert!(matches!(
            subset(&data, &[302]),
            Err(ValidateError::RowOutOfRange { index: 302, .. })
        ));
    }

    #[test]
    fn folds_are_stratified_and_partition_the_rows() {
        let y: Vec<f64> = (0..103).map(|i| f64::from(u8::from(i % 4 == 0))).collect();
        let folds = stratified_folds(&y, 10, 3);
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        for fold in &folds {
            assert!((10..=11).contains(&fold.len()));
            let events = fold.iter().filter(|&&i| y[i] == 1.0).count();
            assert!((2..=3).contains(&events), "{events}");
        }
        assert_eq!(folds, stratified_folds(&y, 10, 3));
        assert_ne!(folds, stratified_folds(&y, 10, 4));
    }

    #[test]
    fn validation_reports_unscored_rows_and_failures() {
        let (spec, data) = toy();
        let options = ValidationOptions {
            folds: 5,
            bootstrap: 20,
            seed: 1,
            ..ValidationOptions::default()
        };
        let result = validate(&spec, &data, FitOptions::default(), options).unwrap();
        let cv = result.cross_validation.as_ref().unwrap();
        assert_eq!(cv.evaluated_folds + cv.failed_folds, 5);
        // The rare rows are held out together (unscored) or apart (two separated fits).
        assert!(
            (cv.unscored_rows == 2 && cv.folds_with_unscored_rows == 1 && cv.failed_folds == 0)
                || (cv.unscored_rows == 0 && cv.failed_folds == 2),
            "{cv:?}"
        );
        assert!(cv.auc.mean > 0.7 && cv.auc.mean < 1.0, "{cv:?}");
        let bv = result.bootstrap_validation.as_ref().unwrap();
        assert_eq!(bv.evaluated_resamples + bv.failed_resamples, 20);
        // About 1/7 of resamples miss both rare rows, about 4/7 draw only one.
        assert!(bv.resamples_with_unscored_rows > 0, "{bv:?}");
        assert_eq!(bv.unscored_rows, 2 * bv.resamples_with_unscored_rows);
        assert!(bv.failed_resamples > 0, "{bv:?}");
        assert!(bv.failures[0].reason.contains("separation"), "{bv:?}");
        // The apparent slope and intercept of a maximum-likelihood fit are 1 and 0.
        assert!((bv.calibration_slope.apparent - 1.0).abs() < 1e-6);
        assert!(bv.calibration_intercept.apparent.abs() < 1e-6);
        // Same seed, same answer.
        assert_eq!(
            result,
            validate(&spec, &data, FitOptions::default(), options).unwrap()
        );
        assert!(matches!(
            validate(
                &spec,
                &data,
                FitOptions::default(),
                ValidationOptions {
                    folds: 1,
                    ..options
                }
            ),
            Err(ValidateError::Folds { .. })
        ));
    }

    #[test]
    fn an_overfitted_model_is_optimistic() {
        // 80 rows, one real predictor and seven of noise.
        let columns: Vec<String> = (1..=8).map(|j| format!("x{j}")).collect();
        let mut toml = String::from("outcome = \"y\"\n");
        for c in &columns {
            toml += &format!("[[term]]\nkind = \"numeric\"\ncolumn = \"{c}\"\n");
        }
        let spec = SpecConfig::from_toml("spec", &toml)
            .unwrap()
            .check()
            .unwrap();
        let mut csv = format!("y,{}\n", columns.join(","));
        let mut rng = rng_for(11, Purpose::Bootstrap, 5);
        for _ in 0..80 {
            let x: Vec<f64> = (0..8)
                .map(|_| below(&mut rng, 2001) as f64 / 1000.0 - 1.0)
                .collect();
            let u = below(&mut rng, 1000) as f64 / 1000.0;
            let y = u8::from(u < logistic(1.5 * x[0]));
            let x: Vec<String> = x.iter().map(f64::to_string).collect();
            csv += &format!("{y},{}\n", x.join(","));
        }
        let data = recontact_model::data::read_dataset(
            "noise.csv",
            csv.as_bytes(),
            &spec,
            Default::default(),
        )
        .unwrap();
        let options = ValidationOptions {
            folds: 5,
            bootstrap: 40,
            seed: 2,
            ..ValidationOptions::default()
        };
        let result = validate(&spec, &data, FitOptions::default(), options).unwrap();
        let bv = result.bootstrap_validation.unwrap();
        assert_eq!(bv.failed_resamples, 0, "{bv:?}");
        assert!(bv.auc.optimism > 0.0, "{bv:?}");
        assert!(bv.auc.corrected < bv.auc.apparent);
        assert!(bv.brier.corrected > bv.brier.apparent);
        assert!(bv.calibration_slope.corrected < 0.9, "{bv:?}");
        let cv = result.cross_validation.unwrap();
        assert!(cv.auc.mean < bv.auc.apparent, "{cv:?}");
        assert!(cv.auc.sd > 0.0);
    }

    #[test]
    fn a_failing_fit_is_counted_not_dropped() {
        // x separates the outcome perfectly: every fit fails with separation.
        let spec = SpecConfig::from_toml(
            "spec",
            "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
        )
        .unwrap()
        .check()
        .unwrap();
        let csv: String = std::iter::once("y,x\n".to_string())
            .chain((0..40).map(|i| format!("{},{i}\n", u8::from(i >= 20))))
            .collect();
        let data = recontact_model::data::read_dataset(
            "sep.csv",
            csv.as_bytes(),
            &spec,
            recontact_model::data::InvalidRows::Fail,
        )
        .unwrap();
        let options = ValidationOptions {
            folds: 4,
            bootstrap: 0,
            seed: 1,
            ..ValidationOptions::default()
        };
        let result = validate(&spec, &data, FitOptions::default(), options).unwrap();
        let cv = result.cross_validation.unwrap();
        assert_eq!(cv.failed_folds, 4);
        assert_eq!(cv.failures.len(), 4);
        assert!(cv.failures[0].reason.contains("separation"), "{cv:?}");
        assert!(cv.auc.mean.is_nan());
        assert!(cv.failures.iter().all(|f| f.reason.starts_with("fit:")));
        // With Firth's penalty every fit succeeds, but the held-out predictions still
        // separate the outcomes, so the calibration slope (and the fold) is reported.
        let firth = FitOptions {
            firth: true,
            ..FitOptions::default()
        };
        let cv = validate(&spec, &data, firth, options)
            .unwrap()
            .cross_validation
            .unwrap();
        assert_eq!(cv.failed_folds, 4, "{cv:?}");
        assert!(
            cv.failures[0].reason.contains("calibration slope"),
            "{cv:?}"
        );
    }

    #[test]
    fn batches_and_the_stored_subsample_change_nothing_else() {
        let (spec, data) = toy();
        let options = ValidationOptions {
            folds: 0,
            bootstrap: 12,
            seed: 4,
            stability_threshold: 0.4,
        };
        let run = |batch_predictions, stored_predictions| {
            let limits = Limits {
                batch_predictions,
                stored_predictions,
            };
            bootstrap_all(
                &spec,
                &data,
                FitOptions::default(),
                options,
                (limits, &progress::ignore),
            )
            .unwrap()
        };
        let whole = run(usize::MAX, usize::MAX);
        // One resample per batch, and room for the predictions of 50 individuals only.
        let small = run(1, 12 * 50);
        assert_eq!(whole.validation, small.validation);
        assert_eq!(whole.curve, small.curve);
        let (whole, small) = (whole.stability.unwrap(), small.stability.unwrap());
        assert_eq!(whole.mape.to_bits(), small.mape.to_bits());
        assert_eq!(
            whole.classification_instability.to_bits(),
            small.classification_instability.to_bits()
        );
        assert_eq!(whole.calibration_curves, small.calibration_curves);
        assert!(!whole.subsampled && whole.stored_individuals == data.len());
        assert!(
            small.subsampled && small.stored_individuals == 50,
            "{small:?}"
        );
        // The subsample spans the predictions: its lowest is the data's.
        let kept: Vec<f64> = small
            .stored
            .rows
            .iter()
            .map(|&i| small.original[i])
            .collect();
        let lowest = small.original.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(kept.iter().copied().fold(f64::INFINITY, f64::min), lowest);
        assert_eq!(small.prediction_bounds().len(), 50);
    }

    #[test]
    fn a_threshold_outside_the_unit_interval_is_refused() {
        let (spec, data) = toy();
        for threshold in [0.0, 1.0, f64::NAN] {
            let options = ValidationOptions {
                stability_threshold: threshold,
                ..ValidationOptions::default()
            };
            assert!(matches!(
                validate(&spec, &data, FitOptions::default(), options),
                Err(ValidateError::Threshold(_))
            ));
        }
    }

    #[test]
    fn integer_weights_are_expanded_and_fractions_refused() {
        let spec = SpecConfig::from_toml(
            "spec",
            "outcome = \"y\"\nweights = \"w\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
        )
        .unwrap()
        .check()
        .unwrap();
        let read = |csv: &str| {
            recontact_model::data::read_dataset("w.csv", csv.as_bytes(), &spec, Default::default())
                .unwrap()
        };
        let data = read("y,x,w\n1,1,3\n0,2,2\n1,3,0\n0,0,1\n");
        let expanded = expand_weights(&data).unwrap();
        assert_eq!(expanded.outcome, vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
        assert!(expanded.weights.is_none());
        let data = read("y,x,w\n1,1,0.5\n0,2,2\n");
        assert!(matches!(
            expand_weights(&data),
            Err(ValidateError::FractionalWeight { row: 0, .. })
        ));
    }
}
