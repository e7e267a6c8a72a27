//! The calibration curve corrected for overfitting, as rms's `calibrate(fit, method =
//! "boot")` computes it for a logistic model (`calibrate.default` with
//! `predab.resample`): the apparent lowess curve at a grid of predicted risks, minus the
//! mean over bootstrap models of (curve on the resample − curve on the original data).
//! Definitions and references: `docs/validation.md`, "Calibration curve corrected for
//! overfitting".

use serde::Serialize;

use crate::lowess::{interpolate, lowess};

/// Span of the lowess smoother: R's default `f = 2/3`, which rms keeps.
pub const LOWESS_SPAN: f64 = 2.0 / 3.0;
/// Points of the grid of predicted risk, as rms.
pub const GRID_POINTS: usize = 50;
/// rms needs more than this many observations to choose the grid itself.
const MIN_OBSERVATIONS: usize = 10;
/// How the smoother is named in the output.
const SMOOTHER: &str = "lowess(f = 2/3, iter = 0, delta = 0.01 * range)";

/// The overfitting-corrected calibration curve and its summary errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationCurve {
    /// Predicted risks where the curve is evaluated: rms's 50 equally spaced points from
    /// the 5th smallest to the 5th largest prediction of the model fitted on all the data,
    /// less those where no resample gave both of its curves (rms's NA points).
    pub grid: Vec<f64>,
    /// The lowess curve of the outcome on the model's predictions, at the grid.
    pub apparent: Vec<f64>,
    /// `apparent − optimism` at the grid (not clipped to [0, 1], as in rms).
    pub bias_corrected: Vec<f64>,
    /// At each grid point, the resamples whose two curves both reach it.
    pub resamples_used: Vec<usize>,
    /// Mean over the observations of |p − bias-corrected curve at p|, the curve
    /// interpolated linearly between grid points (observations outside the grid left out).
    pub mean_absolute_error: f64,
    /// Mean of the squared errors (rms prints it beside the mean absolute error).
    pub mean_squared_error: f64,
    /// The 0.9 quantile (R type 7) of the absolute errors.
    pub quantile_90_absolute_error: f64,
    /// Observations whose prediction lies within the grid, over which the errors are taken.
    pub observations: usize,
    /// The smoother and its settings.
    pub smoother: &'static str,
}

/// rms's grid: `seq(p[5], p[n − 4], length = 50)` of the sorted predictions `p`, or why
/// there is none.
pub(super) fn grid(predictions: &[f64]) -> Result<Vec<f64>, String> {
    let n = predictions.len();
    if n <= MIN_OBSERVATIONS {
        return Err(format!(
            "{n} observations: the calibration curve needs more than {MIN_OBSERVATIONS}"
        ));
    }
    let mut sorted = predictions.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let (from, to) = (sorted[4], sorted[n - 5]);
    if from >= to {
        return Err(
            "the predictions do not vary between their 5th smallest and 5th largest \
                    values, so there is no range to draw the curve over"
                .into(),
        );
    }
    // As R's seq(from, to, length.out): from + k · ((to − from) / 49), `to` exactly last.
    let step = (to - from) / (GRID_POINTS - 1) as f64;
    Ok((0..GRID_POINTS)
        .map(|k| {
            if k + 1 == GRID_POINTS {
                to
            } else {
                from + k as f64 * step
            }
        })
        .collect())
}

/// The lowess curve of `y` on `p` read at each grid point (`None` outside the range of
/// `p`): rms's `approx(lowess(p, y, iter = 0), xout = grid, ties = first)`.
pub(super) fn curve_at(p: &[f64], y: &[f64], grid: &[f64]) -> Vec<Option<f64>> {
    let curve = lowess(p, y, LOWESS_SPAN);
    grid.iter().map(|&g| curve.at(g)).collect()
}

/// Sums of (curve on the resample − curve on the original data) per grid point, over the
/// resamples where both exist, as `predab.resample` counts them.
#[derive(Debug, Clone)]
pub(super) struct OptimismSums {
    sums: Vec<f64>,
    counts: Vec<usize>,
}

impl OptimismSums {
    pub(super) fn new(points: usize) -> Self {
        OptimismSums {
            sums: vec![0.0; points],
            counts: vec![0; points],
        }
    }

    /// Adds one resample's two curves (call in resample order: the sums are ordered).
    pub(super) fn add(&mut self, on_resample: &[Option<f64>], on_original: &[Option<f64>]) {
        for (k, (a, t)) in on_resample.iter().zip(on_original).enumerate() {
            if let (Some(a), Some(t)) = (a, t) {
                self.sums[k] += a - t;
                self.counts[k] += 1;
            }
        }
    }

    /// The corrected curve from the apparent one and the predictions of the model fitted
    /// on all the data, or why there is none.
    pub(super) fn finish(
        &self,
        grid: &[f64],
        apparent: &[Option<f64>],
        predictions: &[f64],
    ) -> Result<CalibrationCurve, String> {
        let mut curve = CalibrationCurve {
            grid: Vec::new(),
            apparent: Vec::new(),
            bias_corrected: Vec::new(),
            resamples_used: Vec::new(),
            mean_absolute_error: 0.0,
            mean_squared_error: 0.0,
            quantile_90_absolute_error: 0.0,
            observations: 0,
            smoother: SMOOTHER,
        };
        for (k, &g) in grid.iter().enumerate() {
            let (Some(a), used) = (apparent[k], self.counts[k]) else {
                continue;
            };
            if used == 0 {
                continue;
            }
            curve.grid.push(g);
            curve.apparent.push(a);
            curve.bias_corrected.push(a - self.sums[k] / used as f64);
            curve.resamples_used.push(used);
        }
        if curve.grid.len() < 2 {
            return Err(
                "fewer than two grid points have a curve on both a resample and the \
                        original data"
                    .into(),
            );
        }
        let mut errors: Vec<f64> = predictions
            .iter()
            .filter_map(|&p| interpolate(&curve.grid, &curve.bias_corrected, p).map(|c| p - c))
            .collect();
        if errors.is_empty() {
            return Err("no prediction lies within the grid where the curve exists".into());
        }
        let m = errors.len() as f64;
        curve.observations = errors.len();
        curve.mean_absolute_error = errors.iter().map(|e| e.abs()).sum::<f64>() / m;
        curve.mean_squared_error = errors.iter().map(|e| e * e).sum::<f64>() / m;
        for e in &mut errors {
            *e = e.abs();
        }
        errors.sort_unstable_by(f64::total_cmp);
        curve.quantile_90_absolute_error = crate::metrics::quantile_r7(&errors, 0.9);
        Ok(curve)
    }
}
