//! Two models scored on the same outcome data: information criteria, the
//! likelihood-ratio test when one model is nested in the other and both were fitted on
//! these data, and DeLong's paired test of the two AUCs.
//!
//! The paired test (DeLong, DeLong & Clarke-Pearson 1988) compares two AUCs measured on
//! the same rows: each AUC is the mean of its structural components (placements), and
//! the variance of the difference comes from the covariance of the two models'
//! components. They are found from midranks (Sun & Xu 2014), in O(n log n), with the
//! definitions of pROC's `roc.test(method = "delong", paired = TRUE)`.

use serde::Serialize;
use thiserror::Error;

use crate::metrics::{check_y_lp, midranks, need_both_classes, sample_variance, MetricsError};
use recontact_model::data::Dataset;
use recontact_model::encoding::EncodedTerm;
use recontact_model::error::FitError;
use recontact_model::model::Model;
use recontact_stats::distributions::{chi_square_sf, log1p_exp, two_sided_normal_p};

/// Why two models cannot be compared on some data.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CompareError {
    /// The models predict different outcome columns.
    #[error("model A predicts `{a}` but model B predicts `{b}`: compare needs one outcome")]
    DifferentOutcomes {
        /// Model A's outcome column.
        a: String,
        /// Model B's outcome column.
        b: String,
    },
    /// Frequency weights are not supported here.
    #[error(
        "model {which} reads frequency weights (`{column}`); compare scores one observation \
         per row and does not take weights"
    )]
    Weights {
        /// `A` or `B`.
        which: char,
        /// The weight column.
        column: String,
    },
    /// The data could not be encoded for a model.
    #[error("model {which}: {source}")]
    Design {
        /// `A` or `B`.
        which: char,
        /// Why.
        #[source]
        source: FitError,
    },
    /// The two data sets read for the models do not have the same rows.
    #[error("the data give {a} rows for model A but {b} for model B")]
    RowCount {
        /// Rows read for model A.
        a: usize,
        /// Rows read for model B.
        b: usize,
    },
    /// A row's logit is not finite.
    #[error(
        "model {which}: data row {row}: the logit is not finite: the row's values are too \
         extreme for the model's coefficients"
    )]
    NotFinite {
        /// `A` or `B`.
        which: char,
        /// One-based data row.
        row: usize,
    },
    /// The AUCs cannot be computed or compared.
    #[error("the paired DeLong test: {0}")]
    Metrics(#[from] MetricsError),
}

/// A model's fit to the given data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitOnData {
    /// `Σ y·η − ln(1 + e^η)` over the rows, η the linear predictor (with any offset).
    pub log_likelihood: f64,
    /// Number of coefficients (the intercept included): the df of AIC and BIC.
    pub coefficients: usize,
    /// `−2ℓ + 2k`.
    pub aic: f64,
    /// `−2ℓ + k ln n`.
    pub bic: f64,
    /// The AUC on the data.
    pub auc: f64,
}

/// The likelihood-ratio test of a model against the larger model it is nested in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NestedTest {
    /// `A` or `B`: the model whose terms are all in the other.
    pub smaller: String,
    /// `2 (ℓ_larger − ℓ_smaller)`.
    pub chi2: f64,
    /// The difference in the number of coefficients.
    pub df: usize,
    /// Upper χ² tail probability.
    pub p_value: f64,
}

/// DeLong's paired test of two AUCs on the same rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedDelong {
    /// AUC of model A.
    pub auc_a: f64,
    /// AUC of model B.
    pub auc_b: f64,
    /// `auc_a − auc_b`.
    pub difference: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// `difference / se` (0 when both are 0, as pROC).
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

/// Everything `recontact compare` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Rows scored.
    pub n: usize,
    /// Events among them.
    pub events: usize,
    /// Model A on the data.
    pub a: FitOnData,
    /// Model B on the data.
    pub b: FitOnData,
    /// The likelihood-ratio test, when it applies.
    pub lr_test: Option<NestedTest>,
    /// Why there is no likelihood-ratio test, when there is none.
    pub lr_test_unavailable: Option<String>,
    /// The paired test of the AUCs.
    pub delong: PairedDelong,
}

/// The linear predictor of every row of `data` under `model`.
fn linear_predictor(model: &Model, data: &Dataset, which: char) -> Result<Vec<f64>, CompareError> {
    let design = model
        .encoding
        .design(data)
        .map_err(|source| CompareError::Design { which, source })?;
    let beta = model.coefficients();
    (0..design.nrows())
        .map(|i| {
            let offset = data.offset.as_ref().map_or(0.0, |o| o[i]);
            let lp = design
                .row(i)
                .iter()
                .zip(&beta)
                .map(|(x, b)| x * b)
                .sum::<f64>()
                + offset;
            if lp.is_finite() {
                Ok(lp)
            } else {
                Err(CompareError::NotFinite { which, row: i + 1 })
            }
        })
        .collect()
}

/// Log-likelihood of 0/1 outcomes `y` under linear predictors `lp`, computed without
/// forming probabilities (so an extreme logit loses nothing).
fn log_likelihood(y: &[f64], lp: &[f64]) -> f64 {
    y.iter()
        .zip(lp)
        .map(|(y, lp)| y * lp - log1p_exp(*lp))
        .sum()
}

/// Why `small` is not nested in `large` (every term of `small`, with the same levels
/// and knots, is in `large`, with the same intercept, outcome and offset), or `None`.
fn not_nested(small: &Model, large: &Model) -> Option<String> {
    if small.encoding.intercept != large.encoding.intercept {
        return Some("one model has an intercept and the other has none".into());
    }
    if small.spec.offset != large.spec.offset {
        return Some("the models have different offsets".into());
    }
    small
        .encoding
        .terms
        .iter()
        .find(|term| !large.encoding.terms.contains(term))
        .map(|term| {
            let name = match term {
                EncodedTerm::Interaction { between: [a, b] } => format!("{a}:{b}"),
                other => other.column_name().unwrap_or_default().to_string(),
            };
            format!("the term `{name}` of one model is not in the other with the same encoding")
        })
}

/// The likelihood-ratio test of the smaller model against the larger, or why none.
fn nested_test(
    models: [&Model; 2],
    fits: [&FitOnData; 2],
    data_sha256: &str,
) -> Result<NestedTest, String> {
    let [a, b] = models;
    for (name, model) in [("A", a), ("B", b)] {
        if model.provenance.input_sha256 != data_sha256 {
            return Err(format!(
                "model {name} was fitted on other data (SHA-256 {}, these data {data_sha256}): \
                 a likelihood-ratio test needs both models fitted on the data compared",
                model.provenance.input_sha256
            ));
        }
        if model.statistics.method != "ml" {
            return Err(format!(
                "model {name} was fitted with method `{}`: a likelihood-ratio test needs plain \
                 maximum likelihood",
                model.statistics.method
            ));
        }
    }
    let (k_a, k_b) = (fits[0].coefficients, fits[1].coefficients);
    let (smaller, small, large) = match (not_nested(a, b), not_nested(b, a)) {
        (None, None) => return Err("the two models have the same terms".into()),
        (None, _) => ("A", 0, 1),
        (_, None) => ("B", 1, 0),
        (Some(why), Some(_)) => return Err(format!("neither model is nested in the other: {why}")),
    };
    let chi2 = (2.0 * (fits[large].log_likelihood - fits[small].log_likelihood)).max(0.0);
    let df = k_a.abs_diff(k_b);
    Ok(NestedTest {
        smaller: smaller.to_string(),
        chi2,
        df,
        p_value: chi_square_sf(chi2, df as f64),
    })
}

/// Scores `a` on `data_a` and `b` on `data_b` (the same file read for each model's
/// spec, whose SHA-256 is `data_sha256`) and compares them.
///
/// The default model against the same model without its interaction, fitted here:
///
/// ```rust
/// use recontact_evaluation::compare::compare;
/// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, TermConfig};
///
/// # let csv = include_str!("../../../data/recontact_outcomes.csv");
/// let a = Model::from_json("default_model.json", include_str!("../../../data/default_model.json"))?;
/// let mut smaller = a.spec.clone();
/// smaller.terms.retain(|t| !matches!(t, TermConfig::Interaction { .. }));
/// # let (spec_a, spec_b) = (a.spec.clone().check()?, smaller.clone().check()?);
/// let data_a = read_dataset("outcomes.csv", csv.as_bytes(), &spec_a, InvalidRows::Fail)?;
/// let data_b = read_dataset("outcomes.csv", csv.as_bytes(), &spec_b, InvalidRows::Fail)?;
/// let b = Model::new(fit(&spec_b, &data_b, FitOptions::default())?, smaller, &data_b);
/// let comparison = compare(&a, &b, &data_a, &data_b, &data_a.sha256)?;
/// // statsmodels smf.logit with and without C(contact_type):C(stage_reached):
/// // llf -2437.1497815658095 and -2459.7634468631504, so LR = 45.227330594681916 on 6 df
/// assert!((comparison.a.log_likelihood + 2437.149_781_565_809_5).abs() < 1e-8);
/// let lr = comparison.lr_test.expect("B is nested in A and both were fitted on these data");
/// assert_eq!((lr.smaller.as_str(), lr.df), ("B", 6));
/// assert!((lr.chi2 - 45.227_330_594_681_916).abs() < 1e-7);
/// // scipy.stats.chi2.sf(45.227330594681916, 6) = 4.217789638208691e-08
/// assert!((lr.p_value / 4.217_789_638_208_691e-8 - 1.0).abs() < 1e-6);
/// // sklearn roc_auc_score(y, each fit's predictions): 0.8400090636376534, 0.8363790326323641
/// assert!((comparison.a.auc - 0.840_009_063_637_653_4).abs() < 1e-12);
/// assert!((comparison.b.auc - 0.836_379_032_632_364_1).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare(
    a: &Model,
    b: &Model,
    data_a: &Dataset,
    data_b: &Dataset,
    data_sha256: &str,
) -> Result<Comparison, CompareError> {
    if a.spec.outcome != b.spec.outcome {
        return Err(CompareError::DifferentOutcomes {
            a: a.spec.outcome.clone(),
            b: b.spec.outcome.clone(),
        });
    }
    for (which, model) in [('A', a), ('B', b)] {
        if let Some(column) = &model.spec.weights {
            return Err(CompareError::Weights {
                which,
                column: column.clone(),
            });
        }
    }
    if data_a.len() != data_b.len() {
        return Err(CompareError::RowCount {
            a: data_a.len(),
            b: data_b.len(),
        });
    }
    let (lp_a, lp_b) = (
        linear_predictor(a, data_a, 'A')?,
        linear_predictor(b, data_b, 'B')?,
    );
    let y = &data_a.outcome;
    let delong = paired_delong(y, &lp_a, &lp_b)?;
    let n = y.len();
    let on_data = |model: &Model, lp: &[f64], auc: f64| {
        let l = log_likelihood(y, lp);
        let k = model.terms.len();
        FitOnData {
            log_likelihood: l,
            coefficients: k,
            aic: -2.0 * l + 2.0 * k as f64,
            bic: -2.0 * l + k as f64 * (n as f64).ln(),
            auc,
        }
    };
    let fit_a = on_data(a, &lp_a, delong.auc_a);
    let fit_b = on_data(b, &lp_b, delong.auc_b);
    let (lr_test, lr_test_unavailable) = match nested_test([a, b], [&fit_a, &fit_b], data_sha256) {
        Ok(test) => (Some(test), None),
        Err(why) => (None, Some(why)),
    };
    Ok(Comparison {
        n,
        events: y.iter().filter(|&&y| y == 1.0).count(),
        a: fit_a,
        b: fit_b,
        lr_test,
        lr_test_unavailable,
        delong,
    })
}

/// The structural components of one model's scores: one per event (the share of
/// non-events it outscores, ties one half) and one per non-event (the share of events
/// that outscore it), from midranks.
fn placements(y: &[f64], score: &[f64], events: usize) -> (Vec<f64>, Vec<f64>) {
    let positives: Vec<f64> = (0..y.len())
        .filter(|&i| y[i] == 1.0)
        .map(|i| score[i])
        .collect();
    let negatives: Vec<f64> = (0..y.len())
        .filter(|&i| y[i] == 0.0)
        .map(|i| score[i])
        .collect();
    let combined: Vec<f64> = positives.iter().chain(&negatives).copied().collect();
    let (tx, ty, tz) = (
        midranks(&positives),
        midranks(&negatives),
        midranks(&combined),
    );
    let (m, n) = (events as f64, negatives.len() as f64);
    let v10 = (0..events).map(|i| (tz[i] - tx[i]) / n).collect();
    let v01 = (0..negatives.len())
        .map(|j| 1.0 - (tz[events + j] - ty[j]) / m)
        .collect();
    (v10, v01)
}

/// DeLong's paired test that two scores of the same rows have equal AUCs. `score_a` and
/// `score_b` may be probabilities or logits: only their order matters.
///
/// Needs 0/1 outcomes with at least two events and two non-events, and finite scores.
///
/// ```rust
/// use recontact_evaluation::compare::paired_delong;
///
/// let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
/// let a = [0.1, 0.3, 0.35, 0.4, 0.8, 0.6, 0.2, 0.7, 0.55, 0.45];
/// let b = [0.2, 0.1, 0.3, 0.5, 0.6, 0.4, 0.35, 0.9, 0.45, 0.7];
/// let test = paired_delong(&y, &a, &b)?;
/// // sklearn roc_auc_score(y, a) = 0.92, roc_auc_score(y, b) = 0.68; numpy, DeLong's
/// // placements by direct pairwise comparison: se of the difference 0.1385640646055102,
/// // z = 0.24 / se = 1.732050807568876, 2 * scipy.stats.norm.sf(z) = 0.08326451666355061
/// assert!((test.auc_a - 0.92).abs() < 1e-15 && (test.auc_b - 0.68).abs() < 1e-15);
/// assert!((test.se - 0.138_564_064_605_510_2).abs() < 1e-15);
/// assert!((test.z - 1.732_050_807_568_876).abs() < 1e-13);
/// assert!((test.p_value - 0.083_264_516_663_550_61).abs() < 1e-13);
/// # Ok::<(), recontact_evaluation::metrics::MetricsError>(())
/// ```
pub fn paired_delong(
    y: &[f64],
    score_a: &[f64],
    score_b: &[f64],
) -> Result<PairedDelong, MetricsError> {
    let events = check_y_lp(y, score_a)?;
    check_y_lp(y, score_b)?;
    need_both_classes(y.len(), events)?;
    let non_events = y.len() - events;
    if events < 2 || non_events < 2 {
        return Err(MetricsError::TooFewPerClass { events, non_events });
    }
    let (v10_a, v01_a) = placements(y, score_a, events);
    let (v10_b, v01_b) = placements(y, score_b, events);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (auc_a, auc_b) = (mean(&v10_a), mean(&v10_b));
    // Var(A − B) of each kind of component equals Lᵀ S L with L = (1, −1) in pROC.
    let differences =
        |a: &[f64], b: &[f64]| -> Vec<f64> { a.iter().zip(b).map(|(a, b)| a - b).collect() };
    let variance = sample_variance(&differences(&v10_a, &v10_b)) / events as f64
        + sample_variance(&differences(&v01_a, &v01_b)) / non_events as f64;
    let se = variance.max(0.0).sqrt();
    let difference = auc_a - auc_b;
    let z = if se == 0.0 && difference == 0.0 {
        0.0
    } else {
        difference / se
    };
    if !z.is_finite() {
        return Err(MetricsError::InvalidArgument(format!(
            "the AUCs differ by {difference} with a standard error of 0, so no z exists"
        )));
    }
    Ok(PairedDelong {
        auc_a,
        auc_b,
        difference,
        se,
        z,
        p_value: two_sided_normal_p(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_scores_give_a_zero_difference_with_z_zero() {
        let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let s = [0.2, 0.9, 0.4, 0.3, 0.8, 0.1];
        let test = paired_delong(&y, &s, &s).unwrap();
        assert_eq!(
            (test.difference, test.se, test.z, test.p_value),
            (0.0, 0.0, 0.0, 1.0)
        );
    }

    /// Tied scores within and across the classes. Reference: `delong_paired` of
    /// tests/models/reference.py (DeLong's pairwise kernel with ties ½, `np.cov`,
    /// L = (1, −1), scipy `norm.sf`) on these literals.
    #[test]
    fn tied_scores_match_the_pairwise_kernel() {
        let y = [0., 0., 1., 1., 0., 1., 0., 1., 1., 0., 0., 1.];
        let a = [0.2, 0.5, 0.5, 0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.5, 0.4, 0.8];
        let b = [1., 2., 2., 3., 1., 3., 2., 2., 1., 1., 3., 3.];
        let t = paired_delong(&y, &a, &b).unwrap();
        let want = [
            (t.auc_a, 0.8194444444444445),
            (t.auc_b, 0.7222222222222222),
            (t.difference, 0.09722222222222232),
            (t.se, 0.12699032722958292),
            (t.z, 0.7655876187046631),
            (t.p_value, 0.44392171382424395),
        ];
        for (got, want) in want {
            assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
        }
    }

    #[test]
    fn the_test_needs_two_of_each_class() {
        let y = [0.0, 1.0, 0.0];
        let s = [0.2, 0.9, 0.4];
        assert_eq!(
            paired_delong(&y, &s, &s),
            Err(MetricsError::TooFewPerClass {
                events: 1,
                non_events: 2
            })
        );
    }

    #[test]
    fn a_monotone_transform_of_a_score_has_the_same_auc() {
        // Only order matters: logits and probabilities give the same test.
        let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let lp = [-1.0, 2.0, 0.5, 0.1, 1.5, -2.0, 0.5];
        let other = [0.3, 0.1, 0.2, 0.9, 0.8, 0.4, 0.7];
        let p: Vec<f64> = lp.iter().map(|x| 1.0 / (1.0 + f64::exp(-x))).collect();
        let by_logit = paired_delong(&y, &lp, &other).unwrap();
        let by_probability = paired_delong(&y, &p, &other).unwrap();
        assert_eq!(by_logit, by_probability);
    }
}
