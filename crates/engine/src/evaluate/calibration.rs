//! The calibration intercept and slope inside the engine: the in-memory calibration
//! fits' objective, start, stopping rule and Newton driver, each evaluation one
//! aggregate query.

use std::cell::RefCell;

use nalgebra::{DMatrix, DVector};
use recontact_evaluation::metrics::{
    slope_exists, solve_calibration, CalibrationFailure, MetricsError, WaldEstimate,
    SCORE_TOLERANCE,
};
use recontact_export::rows::number_literal;
use recontact_model::solver::{Objective, Point};
use recontact_stats::distributions::logit;

use super::queries::{greatest, probability, Scored, Sums};
use super::EvaluateError;
use crate::fit::{PushdownError, SqlRows};

/// The logistic log-likelihood of `c + b·x` with x = lp − `centre` (the slope), or of
/// `c + lp` (the intercept, `centre` absent), over the scored rows.
struct CalibrationSums<'r, 'c> {
    rows: RefCell<&'r mut SqlRows<'c>>,
    scored: &'r Scored,
    centre: Option<f64>,
}

/// One evaluation's sums.
struct CalibrationPoint {
    beta: DVector<f64>,
    log_likelihood: f64,
    gradient: DVector<f64>,
    information: DMatrix<f64>,
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

impl Objective for CalibrationSums<'_, '_> {
    type Point = CalibrationPoint;
    type Error = PushdownError;

    fn dimension(&self) -> usize {
        if self.centre.is_some() {
            2
        } else {
            1
        }
    }

    fn evaluate(&self, beta: DVector<f64>) -> Result<CalibrationPoint, PushdownError> {
        let mut rows = self.rows.borrow_mut();
        let d = rows.dialect;
        let num = |v: f64| number_literal(v, d);
        let (x, eta) = match self.centre {
            Some(centre) => {
                let x = format!("(lp - {})", num(centre));
                let eta = format!("{} + {} * {x}", num(beta[0]), num(beta[1]));
                (x, eta)
            }
            None => ("lp".to_string(), format!("{} + lp", num(beta[0]))),
        };
        let one = num(1.0);
        let barrier = rows.barrier();
        let with_eta = format!(
            "(SELECT y, w, {x} AS x, {eta} AS eta FROM {}{barrier}) AS recontact_eta",
            self.scored.from
        );
        let terms = format!(
            "(SELECT y, w, x, eta, {} AS pr, {} + LN({one} + EXP({})) AS sp FROM \
             {with_eta}{barrier}) AS recontact_terms",
            probability("eta", d),
            greatest("eta", &num(0.0), d),
            greatest("-ABS(eta)", &num(-708.0), d)
        );
        let mut tokens = vec![
            rows.sum("w * (y * eta - sp)"),
            rows.sum("w * (y - pr)"),
            rows.sum(&format!("w * pr * ({one} - pr)")),
        ];
        if self.centre.is_some() {
            tokens.push(rows.sum("w * (y - pr) * x"));
            tokens.push(rows.sum(&format!("w * pr * ({one} - pr) * x")));
            tokens.push(rows.sum(&format!("w * pr * ({one} - pr) * x * x")));
        }
        let v = rows.numbers("a calibration fit's evaluation", &tokens, &terms)?;
        let (gradient, information) = if self.centre.is_some() {
            (
                DVector::from_column_slice(&[v[1], v[3]]),
                DMatrix::from_row_slice(2, 2, &[v[2], v[4], v[4], v[5]]),
            )
        } else {
            (
                DVector::from_element(1, v[1]),
                DMatrix::from_element(1, 1, v[2]),
            )
        };
        Ok(CalibrationPoint {
            beta,
            log_likelihood: v[0],
            gradient,
            information,
        })
    }
}

impl CalibrationSums<'_, '_> {
    /// The in-memory calibration fits' driver and stopping rule
    /// ([`solve_calibration`]), each evaluation one query.
    fn solve(
        &self,
        start: DVector<f64>,
        bounds: Vec<f64>,
        what: &'static str,
        degenerate: &dyn Fn() -> MetricsError,
    ) -> Result<CalibrationPoint, EvaluateError> {
        solve_calibration(self, start, bounds, what, degenerate).map_err(|f| match f {
            CalibrationFailure::Objective(e) => EvaluateError::Pushdown(e),
            CalibrationFailure::Metrics(e) => e.into(),
        })
    }
}

/// Calibration-in-the-large, as `metrics::calibration_in_the_large` on the same rows.
pub(crate) fn intercept(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    n: f64,
) -> Result<WaldEstimate, EvaluateError> {
    const WHAT: &str = "calibration intercept";
    let fit = CalibrationSums {
        rows: RefCell::new(rows),
        scored,
        centre: None,
    };
    let degenerate =
        || MetricsError::Degenerate(format!("{WHAT}: every fitted probability is 0 or 1"));
    let point = fit.solve(
        DVector::zeros(1),
        vec![SCORE_TOLERANCE * n],
        WHAT,
        &degenerate,
    )?;
    let information = point.information[(0, 0)];
    if information.is_nan() || information <= 0.0 {
        return Err(degenerate().into());
    }
    Ok(WaldEstimate::new(point.beta[0], 1.0 / information.sqrt()))
}

/// The calibration slope, as `metrics::calibration_slope` on the same rows: lp centred
/// at its mean, the spread's query, then the fit.
pub(crate) fn slope(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    sums: &Sums,
) -> Result<WaldEstimate, EvaluateError> {
    const WHAT: &str = "calibration slope";
    let [non_events, events] = sums.ranges;
    slope_exists(non_events, events)?;
    let n = sums.n;
    let mean = sums.lp_total / n;
    let d = rows.dialect;
    let centred = format!("(lp - {})", number_literal(mean, d));
    let token = rows.sum(&format!("w * {centred} * {centred}"));
    let spread = rows.numbers("the spread of the logit", &[token], &scored.from)?;
    let rms = (spread[0] / n).sqrt();
    let fit = CalibrationSums {
        rows: RefCell::new(rows),
        scored,
        centre: Some(mean),
    };
    let singular =
        || MetricsError::Degenerate(format!("{WHAT}: the information matrix is singular"));
    let start = DVector::from_column_slice(&[logit(sums.events / n), 0.0]);
    let bounds = vec![SCORE_TOLERANCE * n, SCORE_TOLERANCE * n * rms];
    let point = fit.solve(start, bounds, WHAT, &singular)?;
    let information = &point.information;
    let (i00, i01, i11) = (
        information[(0, 0)],
        information[(0, 1)],
        information[(1, 1)],
    );
    let det = i00 * i11 - i01 * i01;
    if det.is_nan() || det <= 0.0 {
        return Err(singular().into());
    }
    Ok(WaldEstimate::new(point.beta[1], (i00 / det).sqrt()))
}
