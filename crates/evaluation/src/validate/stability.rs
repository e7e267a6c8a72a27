//! Model stability (Riley & Collins 2023): how much the predictions for the same
//! individuals change when the modelling procedure is repeated on bootstrap resamples.
//! Computed from the resamples of the optimism correction, on the original data.
//! Definitions and references: `docs/validation.md`, "Model stability".

use serde::Serialize;

/// Classification threshold of the instability index unless told otherwise.
pub const DEFAULT_STABILITY_THRESHOLD: f64 = 0.5;

/// At most this many bootstrap predictions (resamples × individuals) are kept for the
/// prediction-instability plot (80 MB); beyond it a subsample of individuals is kept.
/// The summary measures always use every individual.
pub const MAX_STORED_PREDICTIONS: usize = 10_000_000;

/// One bootstrap model's calibration curve on the original data, on the grid of the
/// corrected calibration curve: the values from grid point `first_grid_point` on (the
/// curve exists only within the range of that model's predictions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapCurve {
    /// The resample, numbered from 1.
    pub resample: usize,
    /// Index in `grid` of the first value.
    pub first_grid_point: usize,
    /// The curve at consecutive grid points.
    pub values: Vec<f64>,
}

/// The bootstrap models' predictions for a set of individuals, kept for plotting.
#[derive(Debug, Clone, Default)]
pub struct StoredPredictions {
    /// The individuals (rows of the original data, ascending).
    pub rows: Vec<usize>,
    /// Per evaluated resample, its model's prediction for each of `rows` (NaN where that
    /// model could not score the row: a category level the resample lacked).
    pub predictions: Vec<Vec<f64>>,
}

/// Equal when bit for bit the same, so that the NaN markers of unscored rows compare equal
/// (a rerun with the same seed is identical).
impl PartialEq for StoredPredictions {
    fn eq(&self, other: &Self) -> bool {
        let bits = |p: &Vec<Vec<f64>>| -> Vec<Vec<u64>> {
            p.iter()
                .map(|r| r.iter().map(|v| v.to_bits()).collect())
                .collect()
        };
        self.rows == other.rows && bits(&self.predictions) == bits(&other.predictions)
    }
}

/// Stability of the predictions over the bootstrap models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stability {
    /// Mean absolute prediction error: the mean over individuals of each individual's
    /// mean over bootstrap models of |p_b,i − p_i|.
    pub mape: f64,
    /// The largest individual mean absolute prediction error.
    pub max_individual_ape: f64,
    /// Classification threshold: an individual is positive when p ≥ threshold.
    pub threshold: f64,
    /// Mean over individuals of the proportion of bootstrap models that classify the
    /// individual differently from the model fitted on all the data.
    pub classification_instability: f64,
    /// Bootstrap models the measures are averaged over (the evaluated resamples).
    pub resamples_used: usize,
    /// Individuals with at least one bootstrap prediction (all, unless a category level
    /// was missing from every resample).
    pub individuals: usize,
    /// Individuals whose bootstrap predictions are kept for the plot.
    pub stored_individuals: usize,
    /// True when `stored_individuals` is a subsample (resamples × individuals over
    /// [`MAX_STORED_PREDICTIONS`]): equally spaced ranks of the original prediction.
    pub subsampled: bool,
    /// The grid of predicted risk of the calibration curves.
    pub grid: Vec<f64>,
    /// Each bootstrap model's calibration curve on the original data.
    pub calibration_curves: Vec<BootstrapCurve>,
    /// Predictions of the model fitted on all the data, per individual (not written).
    #[serde(skip)]
    pub original: Vec<f64>,
    /// Each individual's mean absolute prediction error (`None` without a bootstrap
    /// prediction; not written).
    #[serde(skip)]
    pub individual_mape: Vec<Option<f64>>,
    /// The kept bootstrap predictions (not written).
    #[serde(skip)]
    pub stored: StoredPredictions,
}

/// Running sums over the resamples, added in resample order so the result does not
/// depend on the thread count.
#[derive(Debug, Clone)]
pub(super) struct StabilitySums {
    threshold: f64,
    original: Vec<f64>,
    absolute_sums: Vec<f64>,
    counts: Vec<u32>,
    flips: Vec<u32>,
    grid: Vec<f64>,
    curves: Vec<BootstrapCurve>,
    stored: StoredPredictions,
    subsampled: bool,
}

impl StabilitySums {
    /// Sums for the predictions `original` of the model fitted on all the data, `resamples`
    /// bootstrap models and the calibration grid `grid` (empty when there is none).
    /// At most `max_stored` bootstrap predictions are kept for the plot.
    pub(super) fn new(
        original: Vec<f64>,
        threshold: f64,
        resamples: usize,
        grid: &[f64],
        max_stored: usize,
    ) -> Self {
        let n = original.len();
        let keep = (max_stored / resamples.max(1)).clamp(1, n.max(1));
        let subsampled = keep < n;
        let rows = if subsampled {
            let mut by_prediction: Vec<usize> = (0..n).collect();
            by_prediction.sort_by(|&a, &b| original[a].total_cmp(&original[b]).then(a.cmp(&b)));
            let mut rows: Vec<usize> = (0..keep).map(|k| by_prediction[k * n / keep]).collect();
            rows.sort_unstable();
            rows
        } else {
            (0..n).collect()
        };
        StabilitySums {
            threshold,
            absolute_sums: vec![0.0; n],
            counts: vec![0; n],
            flips: vec![0; n],
            original,
            grid: grid.to_vec(),
            curves: Vec::new(),
            stored: StoredPredictions {
                rows,
                predictions: Vec::new(),
            },
            subsampled,
        }
    }

    /// Adds resample `resample` (from 0): its model's predictions `p` for the original
    /// rows it could score (`scorable`, all rows when `None`) and its calibration curve on
    /// the original data at the grid.
    pub(super) fn add(
        &mut self,
        resample: usize,
        p: &[f64],
        scorable: Option<&[bool]>,
        curve: &[Option<f64>],
    ) {
        let n = self.original.len();
        let mut full = vec![f64::NAN; n];
        match scorable {
            None => full.copy_from_slice(p),
            Some(mask) => {
                let rows = (0..n).filter(|&i| mask[i]);
                for (i, &value) in rows.zip(p) {
                    full[i] = value;
                }
            }
        }
        let t = self.threshold;
        for (i, &pb) in full.iter().enumerate() {
            if pb.is_nan() {
                continue;
            }
            let pi = self.original[i];
            self.absolute_sums[i] += (pb - pi).abs();
            self.counts[i] += 1;
            self.flips[i] += u32::from((pb >= t) != (pi >= t));
        }
        let kept = self.stored.rows.iter().map(|&i| full[i]).collect();
        self.stored.predictions.push(kept);
        if let Some(first) = curve.iter().position(Option::is_some) {
            let values = curve[first..].iter().map_while(|v| *v).collect();
            self.curves.push(BootstrapCurve {
                resample: resample + 1,
                first_grid_point: first,
                values,
            });
        }
    }

    /// The stability measures, `None` when no individual got a bootstrap prediction.
    pub(super) fn finish(self) -> Option<Stability> {
        let individual_mape: Vec<Option<f64>> = self
            .absolute_sums
            .iter()
            .zip(&self.counts)
            .map(|(&s, &c)| (c > 0).then(|| s / f64::from(c)))
            .collect();
        let predicted: Vec<usize> = (0..self.counts.len())
            .filter(|&i| self.counts[i] > 0)
            .collect();
        if predicted.is_empty() {
            return None;
        }
        let m = predicted.len() as f64;
        let mape = individual_mape.iter().flatten().sum::<f64>() / m;
        let max_individual_ape = individual_mape.iter().flatten().fold(0.0, |a, &b| b.max(a));
        let classification_instability = predicted
            .iter()
            .map(|&i| f64::from(self.flips[i]) / f64::from(self.counts[i]))
            .sum::<f64>()
            / m;
        Some(Stability {
            mape,
            max_individual_ape,
            threshold: self.threshold,
            classification_instability,
            resamples_used: self.stored.predictions.len(),
            individuals: predicted.len(),
            stored_individuals: self.stored.rows.len(),
            subsampled: self.subsampled,
            grid: self.grid,
            calibration_curves: self.curves,
            original: self.original,
            individual_mape,
            stored: self.stored,
        })
    }
}

/// One stored individual's original prediction with the 2.5th and 97.5th percentiles
/// (R type 7) of its bootstrap predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionBounds {
    /// The prediction of the model fitted on all the data.
    pub original: f64,
    /// 2.5th percentile of the bootstrap models' predictions.
    pub lower: f64,
    /// 97.5th percentile.
    pub upper: f64,
}

impl Stability {
    /// The percentile bounds of every stored individual with a bootstrap prediction,
    /// sorted by original prediction: the lines of the prediction-instability plot.
    pub fn prediction_bounds(&self) -> Vec<PredictionBounds> {
        let mut bounds: Vec<PredictionBounds> = self
            .stored
            .rows
            .iter()
            .enumerate()
            .filter_map(|(k, &row)| {
                let mut values: Vec<f64> = self
                    .stored
                    .predictions
                    .iter()
                    .map(|resample| resample[k])
                    .filter(|v| !v.is_nan())
                    .collect();
                if values.is_empty() {
                    return None;
                }
                values.sort_unstable_by(f64::total_cmp);
                Some(PredictionBounds {
                    original: self.original[row],
                    lower: crate::metrics::quantile_r7(&values, 0.025),
                    upper: crate::metrics::quantile_r7(&values, 0.975),
                })
            })
            .collect();
        bounds.sort_by(|a, b| a.original.total_cmp(&b.original));
        bounds
    }
}
