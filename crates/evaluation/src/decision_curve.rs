//! Decision curve analysis (Vickers & Elkin 2006): the net benefit of acting on a model's
//! predicted probabilities at a threshold, against treating everyone and treating no one.
//!
//! A threshold t is the risk at which a decision maker is indifferent between acting and
//! not acting, so it fixes how many false positives one true positive is worth: t/(1 − t).
//! Everyone with a prediction p ≥ t is treated (a prediction exactly at the threshold is
//! treated, as the `dcurves` packages count it). With N observations, TP and FP the
//! treated events and non-events and π the prevalence:
//!
//! - net benefit NB = TP/N − FP/N · t/(1 − t);
//! - treat all NB_all = π − (1 − π) · t/(1 − t); treat none 0;
//! - standardised net benefit sNB = NB / π (1 is a perfect model);
//! - interventions avoided per 100 = (NB − NB_all) / (t/(1 − t)) · 100.
//!
//! The predictions are sorted once by class and each threshold is a binary search in each
//! class, so T thresholds on N rows cost O(N log N + T log N). The formulas and their
//! references are in `docs/evaluation.md`.

use serde::Serialize;

use crate::metrics::{check_y_p, need_both_classes, MetricsError};

/// The decision curve at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecisionCurveRow {
    /// The risk threshold t, strictly between 0 and 1.
    pub threshold: f64,
    /// Net benefit of treating everyone whose prediction is t or more.
    pub net_benefit: f64,
    /// Net benefit of treating everyone.
    pub net_benefit_all: f64,
    /// Net benefit divided by the prevalence (the net benefit of a perfect model).
    pub standardized_net_benefit: f64,
    /// How many fewer people in 100 are treated than under treat-all, at the same
    /// benefit: (NB − NB_all) / (t/(1 − t)) · 100.
    pub interventions_avoided_per_100: f64,
}

/// Number of default thresholds: 0.01 to 0.99 by 0.01.
const DEFAULT_STEPS: u32 = 100;

/// The default thresholds 0.01, 0.02, …, 0.99, each computed as i/100 so that every one
/// is the double nearest the decimal it names (repeated addition of 0.01 already gives
/// 0.060000000000000005 at the sixth step, which would move predictions of exactly 0.06
/// to the other side of the threshold).
///
/// ```rust
/// use recontact_evaluation::decision_curve::default_thresholds;
///
/// let thresholds = default_thresholds();
/// assert_eq!(thresholds.len(), 99);
/// assert_eq!((thresholds[0], thresholds[98]), (0.01, 0.99));
/// // numpy.arange(1, 100)[5] / 100 == 0.06 exactly (0.01 added six times is not).
/// assert_eq!(thresholds[5], 0.06);
/// ```
pub fn default_thresholds() -> Vec<f64> {
    (1..DEFAULT_STEPS)
        .map(|i| f64::from(i) / f64::from(DEFAULT_STEPS))
        .collect()
}

/// The predictions of each class in increasing order.
struct ByClass {
    events: Vec<f64>,
    non_events: Vec<f64>,
}

impl ByClass {
    fn new(y: &[f64], p: &[f64]) -> ByClass {
        let mut events = Vec::new();
        let mut non_events = Vec::new();
        for (&y, &p) in y.iter().zip(p) {
            if y == 1.0 {
                events.push(p);
            } else {
                non_events.push(p);
            }
        }
        events.sort_unstable_by(f64::total_cmp);
        non_events.sort_unstable_by(f64::total_cmp);
        ByClass { events, non_events }
    }

    /// How many of `sorted` are at least `t`.
    fn at_least(sorted: &[f64], t: f64) -> usize {
        sorted.len() - sorted.partition_point(|&v| v < t)
    }

    /// How many events and non-events have a prediction of `t` or more.
    fn treated(&self, t: f64) -> (f64, f64) {
        (
            Self::at_least(&self.events, t) as f64,
            Self::at_least(&self.non_events, t) as f64,
        )
    }
}

/// The decision curve at one threshold from the counts: `events` and `non_events` in all,
/// `treated` = (events, non-events) with a prediction of `t` or more.
fn row_from_counts(t: f64, events: f64, non_events: f64, treated: (f64, f64)) -> DecisionCurveRow {
    let n = events + non_events;
    let prevalence = events / n;
    let odds = t / (1.0 - t);
    let (true_positives, false_positives) = treated;
    let net_benefit = true_positives / n - false_positives / n * odds;
    let net_benefit_all = prevalence - (1.0 - prevalence) * odds;
    DecisionCurveRow {
        threshold: t,
        net_benefit,
        net_benefit_all,
        standardized_net_benefit: net_benefit / prevalence,
        interventions_avoided_per_100: (net_benefit - net_benefit_all) / odds * 100.0,
    }
}

/// The decision curve of predictions `p` against 0/1 outcomes `y`, one row per threshold
/// in the order given.
///
/// Every threshold must be strictly between 0 and 1 (at 0 and 1 the exchange rate
/// t/(1 − t) is 0 or infinite), and the list must not be empty. Both outcome classes must
/// be present: the standardised net benefit divides by the prevalence, and with no
/// events, or no non-events, no strategy has anything to gain or lose.
///
/// ```
/// use recontact_evaluation::decision_curve::decision_curve;
///
/// let y = [1.0, 0.0, 1.0, 0.0];
/// let p = [0.9, 0.6, 0.4, 0.1];
/// let rows = decision_curve(&y, &p, &[0.5])?;
/// // sklearn.metrics.confusion_matrix(y, p >= 0.5).ravel() = tn, fp, fn, tp = 1, 1, 1, 1:
/// // treated 0.9 (event) and 0.6 (non-event); NB = 1/4 − 1/4 · 1.
/// assert_eq!(rows[0].net_benefit, 0.0);
/// assert_eq!(rows[0].net_benefit_all, 0.0);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn decision_curve(
    y: &[f64],
    p: &[f64],
    thresholds: &[f64],
) -> Result<Vec<DecisionCurveRow>, MetricsError> {
    let events = check_y_p(y, p)?;
    need_both_classes(y.len(), events)?;
    let by_class = ByClass::new(y, p);
    let counts: Vec<(f64, f64, f64)> = thresholds
        .iter()
        .map(|&t| {
            let (tp, fp) = by_class.treated(t);
            (t, tp, fp)
        })
        .collect();
    decision_curve_from_counts(
        by_class.events.len() as f64,
        by_class.non_events.len() as f64,
        &counts,
    )
}

/// The decision curve from counts alone, for predictions that are not in memory (an
/// engine counts them): `events` and `non_events` in all, and for each threshold t,
/// `(t, treated events, treated non-events)`, those with a prediction of t or more. The
/// checks and numbers of [`decision_curve`], which calls it.
///
/// ```
/// use recontact_evaluation::decision_curve::{decision_curve, decision_curve_from_counts};
///
/// let y = [1.0, 0.0, 1.0, 0.0];
/// let p = [0.9, 0.6, 0.4, 0.1];
/// // At 0.5: one event (0.9) and one non-event (0.6) are treated.
/// let rows = decision_curve_from_counts(2.0, 2.0, &[(0.5, 1.0, 1.0)])?;
/// assert_eq!(rows, decision_curve(&y, &p, &[0.5])?);
/// assert!(decision_curve_from_counts(2.0, 0.0, &[(0.5, 1.0, 0.0)]).is_err());
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn decision_curve_from_counts(
    events: f64,
    non_events: f64,
    treated: &[(f64, f64, f64)],
) -> Result<Vec<DecisionCurveRow>, MetricsError> {
    if events <= 0.0 {
        return Err(MetricsError::OneClass { value: 0 });
    }
    if non_events <= 0.0 {
        return Err(MetricsError::OneClass { value: 1 });
    }
    if treated.is_empty() {
        return Err(MetricsError::InvalidArgument(
            "no thresholds: the decision curve needs at least one".into(),
        ));
    }
    if let Some((t, _, _)) = treated.iter().find(|&&(t, _, _)| !(t > 0.0 && t < 1.0)) {
        return Err(MetricsError::InvalidArgument(format!(
            "threshold {t} is not strictly between 0 and 1"
        )));
    }
    let rows: Vec<DecisionCurveRow> = treated
        .iter()
        .map(|&(t, tp, fp)| row_from_counts(t, events, non_events, (tp, fp)))
        .collect();
    // Only a threshold within a few hundred orders of magnitude of 0 or 1 (a subnormal
    // t, or 1 − t) can overflow the division by t/(1 − t); it is refused, not written.
    let overflowing = rows.iter().find(|r| {
        let values = [
            r.net_benefit,
            r.net_benefit_all,
            r.standardized_net_benefit,
            r.interventions_avoided_per_100,
        ];
        values.iter().any(|v| !v.is_finite())
    });
    if let Some(row) = overflowing {
        return Err(MetricsError::InvalidArgument(format!(
            "threshold {:e} is too close to 0 or 1: its net benefit or interventions avoided \
             is not a finite number",
            row.threshold
        )));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 40 predictions, several exactly on a threshold (0.05, 0.1, 0.2, 0.3, 0.5), so a
    /// rule of p > t instead of p ≥ t changes the net benefit there; 18 events (π = 0.45).
    const P: [f64; 40] = [
        0.02, 0.05, 0.08, 0.1, 0.1, 0.12, 0.15, 0.18, 0.2, 0.2, 0.22, 0.25, 0.28, 0.3, 0.3, 0.33,
        0.35, 0.38, 0.4, 0.42, 0.45, 0.48, 0.5, 0.5, 0.52, 0.55, 0.58, 0.6, 0.63, 0.65, 0.68, 0.7,
        0.72, 0.75, 0.78, 0.8, 0.85, 0.9, 0.93, 0.97,
    ];
    const Y: [f64; 40] = [
        0., 0., 0., 1., 0., 0., 0., 1., 0., 1., 0., 0., 1., 0., 1., 0., 0., 1., 0., 0., 1., 0., 1.,
        0., 1., 1., 0., 1., 0., 1., 1., 1., 0., 0., 1., 1., 0., 1., 0., 1.,
    ];
    const THRESHOLDS: [f64; 8] = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.99];

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn matches_dcurves_net_benefit_and_interventions_avoided() {
        // Python dcurves 1.1.7:
        //   dcurves.dca(data=pd.DataFrame({'y': Y, 'p': P}), outcome='y', modelnames=['p'],
        //               thresholds=[0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.99], nper=100)
        // columns net_benefit (model 'p' and model 'all') and net_intervention_avoided
        // (model 'p'; nper=100 makes it per 100).
        let model = [
            0.4444444444444445,
            0.4223684210526316,
            0.39722222222222225,
            0.29999999999999993,
            0.21071428571428572,
            0.1,
            -0.12499999999999999,
            0.0,
        ];
        let all = [
            0.4444444444444445,
            0.4210526315789474,
            0.3888888888888889,
            0.3125,
            0.21428571428571427,
            -0.10000000000000003,
            -1.2000000000000002,
            -53.99999999999996,
        ];
        let avoided = [
            0.0,
            2.5000000000000075,
            7.500000000000023,
            -5.000000000000027,
            -0.8333333333333304,
            20.000000000000004,
            35.83333333333334,
            54.545454545454554,
        ];
        let rows = decision_curve(&Y, &P, &THRESHOLDS).unwrap();
        assert_eq!(rows.len(), THRESHOLDS.len());
        for (k, row) in rows.iter().enumerate() {
            assert_eq!(row.threshold, THRESHOLDS[k]);
            assert!(close(row.net_benefit, model[k], 1e-10), "{k}: {row:?}");
            assert!(close(row.net_benefit_all, all[k], 1e-10), "{k}: {row:?}");
            let per_100 = row.interventions_avoided_per_100;
            assert!(close(per_100, avoided[k], 1e-10), "{k}: {row:?}");
        }
    }

    #[test]
    fn standardized_net_benefit_is_net_benefit_over_prevalence() {
        // Python dcurves 1.1.7 has no standardised net benefit; R dcurves'
        // standardized_net_benefit() defines it as net_benefit / prevalence. These are
        // dcurves' net benefits above divided by π = 18/40 = 0.45 in Python.
        let expected = [
            0.9876543209876544,
            0.9385964912280702,
            0.8827160493827161,
            0.6666666666666665,
            0.46825396825396826,
            0.22222222222222224,
            -0.27777777777777773,
            0.0,
        ];
        let rows = decision_curve(&Y, &P, &THRESHOLDS).unwrap();
        for (row, snb) in rows.iter().zip(expected) {
            assert!(close(row.standardized_net_benefit, snb, 1e-10), "{row:?}");
        }
    }

    #[test]
    fn a_prediction_at_the_threshold_is_treated() {
        // At t = 0.1 the rows with p = 0.1 (one event, one non-event) are treated:
        // 18 events and 19 non-events, NB = 18/40 − 19/40 · 1/9. Counting only p > t
        // would give 17/40 − 18/40 · 1/9 = 0.375.
        let row = decision_curve(&Y, &P, &[0.1]).unwrap()[0];
        assert!(close(
            row.net_benefit,
            18.0 / 40.0 - 19.0 / 40.0 / 9.0,
            1e-15
        ));
        assert!(!close(row.net_benefit, 0.375, 1e-3));
    }

    #[test]
    fn default_thresholds_are_the_hundredths_exactly() {
        let thresholds = default_thresholds();
        assert_eq!(thresholds.len(), 99);
        for (i, t) in (1..).zip(&thresholds) {
            let decimal: f64 = format!("0.{i:02}").parse().unwrap();
            assert_eq!(*t, decimal, "{i}");
        }
        assert_eq!(thresholds[5], 0.06);
    }

    #[test]
    fn binary_search_matches_counting_every_row() {
        // A deterministic spread of predictions with ties, against the O(N T) definition.
        let n = 997;
        let p: Vec<f64> = (0..n).map(|i| f64::from((i * 37) % 101) / 101.0).collect();
        let y: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
        let thresholds = default_thresholds();
        let rows = decision_curve(&y, &p, &thresholds).unwrap();
        let total = f64::from(n);
        for (row, &t) in rows.iter().zip(&thresholds) {
            let treated = |class: f64| {
                let count = y.iter().zip(&p).filter(|&(&y, &p)| y == class && p >= t);
                count.count() as f64
            };
            let nb = treated(1.0) / total - treated(0.0) / total * t / (1.0 - t);
            assert!(close(row.net_benefit, nb, 1e-15), "{t}: {row:?} vs {nb}");
        }
    }

    #[test]
    fn every_number_is_finite_at_extreme_thresholds() {
        let rows = decision_curve(&Y, &P, &[1e-12, 1.0 - 1e-12]).unwrap();
        for row in rows {
            for v in [
                row.net_benefit,
                row.net_benefit_all,
                row.standardized_net_benefit,
                row.interventions_avoided_per_100,
            ] {
                assert!(v.is_finite(), "{row:?}");
            }
        }
    }

    #[test]
    fn a_threshold_whose_numbers_overflow_is_refused() {
        // A prediction of exactly 0 (a logit of −800) lies below the smallest positive
        // threshold, and (NB − NB_all) / (t/(1 − t)) overflows there.
        let smallest = f64::from_bits(1);
        let error = decision_curve(&[1.0, 0.0], &[0.0, 0.5], &[smallest]).unwrap_err();
        assert!(matches!(error, MetricsError::InvalidArgument(ref m) if m.contains("too close")));
    }

    #[test]
    fn bad_input_is_refused() {
        let y = [1.0, 0.0];
        let p = [0.7, 0.2];
        for t in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let error = decision_curve(&y, &p, &[0.2, t]).unwrap_err();
            assert!(matches!(error, MetricsError::InvalidArgument(_)), "{t}");
        }
        assert!(matches!(
            decision_curve(&y, &p, &[]),
            Err(MetricsError::InvalidArgument(_))
        ));
        assert_eq!(
            decision_curve(&[1.0, 1.0], &p, &[0.5]),
            Err(MetricsError::OneClass { value: 1 })
        );
        assert_eq!(
            decision_curve(&[0.0, 0.0], &p, &[0.5]),
            Err(MetricsError::OneClass { value: 0 })
        );
        assert!(matches!(
            decision_curve(&y, &[0.5], &[0.5]),
            Err(MetricsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            decision_curve(&y, &[0.5, 1.5], &[0.5]),
            Err(MetricsError::ProbabilityOutOfRange { .. })
        ));
        assert!(matches!(
            decision_curve(&[2.0, 0.0], &p, &[0.5]),
            Err(MetricsError::NotBinary { .. })
        ));
    }
}
