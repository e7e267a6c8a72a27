//! The calibration intercept and slope inside the engine: the in-memory calibration
//! fits' objective, start, stopping rule and Newton driver, each evaluation one
//! aggregate query.

use std::cell::RefCell;

use nalgebra::DVector;
use recontact_evaluation::metrics::{
    fit_calibration, slope_exists, CalibrationCoefficient, CalibrationFailure, CalibrationPoint,
    WaldEstimate,
};
use recontact_export::rows::number_literal;
use recontact_model::solver::Objective;

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
        Ok(if self.centre.is_some() {
            CalibrationPoint::new(beta, v[0], [v[1], v[3]], [v[2], v[4], v[5]])
        } else {
            CalibrationPoint::new(beta, v[0], [v[1], 0.0], [v[2], 0.0, 0.0])
        })
    }
}

impl CalibrationSums<'_, '_> {
    /// The in-memory calibration fits' start, driver, stopping rule and checks
    /// ([`fit_calibration`]), each evaluation one query.
    fn fit(&self, coefficient: CalibrationCoefficient) -> Result<WaldEstimate, EvaluateError> {
        fit_calibration(self, coefficient).map_err(|f| match f {
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
    let fit = CalibrationSums {
        rows: RefCell::new(rows),
        scored,
        centre: None,
    };
    fit.fit(CalibrationCoefficient::Intercept { n })
}

/// The calibration slope, as `metrics::calibration_slope` on the same rows: lp centred
/// at its mean, the spread's query, then the fit.
pub(crate) fn slope(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    sums: &Sums,
) -> Result<WaldEstimate, EvaluateError> {
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
    fit.fit(CalibrationCoefficient::Slope {
        n,
        events: sums.events,
        rms,
    })
}
