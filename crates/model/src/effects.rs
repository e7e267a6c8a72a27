//! Odds ratios of the coefficients and each factor's effect over a stated range, with
//! its Wald interval, as `rms::summary.rms` reports them.
//!
//! A factor's effect is the difference of the linear predictor between two settings of
//! that factor, every other factor held at its adjust-to value (numbers at their median
//! in the fitting data, categories at their reference level, booleans false). Numbers
//! go from their lower to their upper quartile, categories from the reference to each
//! other level, booleans from false to true. Because the whole design row is built at
//! both settings, spline components and interactions are part of the contrast.

use serde::Serialize;
use thiserror::Error;

use crate::encoding::{EncodedTerm, TermInput};
use crate::explain::reference_inputs;
use crate::fit::{Estimate, FitStatistics};
use crate::model::Model;
use recontact_stats::distributions::normal_quantile;

/// Why the effects of a model cannot be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EffectsError {
    /// A numeric factor has no five-number summary in the model file, so neither its
    /// quartiles nor the median other factors are adjusted to are known.
    #[error(
        "the model file has no summary (quartiles, median) of the numeric column `{column}`, \
         so its effect and the value it is held at cannot be set; refit the model to \
         record it"
    )]
    NoSummary {
        /// The column.
        column: String,
    },
}

/// A coefficient with its odds ratio `exp(estimate)` and the exponentiated Wald bounds.
///
/// The intercept's is the odds at the reference row, not a ratio. `None` where the
/// exponential overflows (an estimate above about 709 on the logit scale).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoefficientOddsRatio<'a> {
    /// The coefficient with its inference.
    #[serde(flatten)]
    pub estimate: &'a Estimate,
    /// `exp(estimate)`.
    pub odds_ratio: Option<f64>,
    /// `exp` of the interval's lower bound: the profile bound when the model stores
    /// profile intervals (`None` for a side that does not close), else `ci_low`.
    pub odds_ratio_ci_low: Option<f64>,
    /// `exp` of the interval's upper bound, likewise.
    pub odds_ratio_ci_high: Option<f64>,
}

/// The exponential of `x`, or `None` when it is not finite.
fn finite_exp(x: f64) -> Option<f64> {
    Some(x.exp()).filter(|v| v.is_finite())
}

/// Every coefficient of `model` with its odds ratio and interval, in design order.
///
/// ```
/// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json")).unwrap();
/// let rows = recontact_model::effects::odds_ratios(&model);
/// assert_eq!(rows[1].odds_ratio, Some(rows[1].estimate.estimate.exp()));
/// ```
pub fn odds_ratios(model: &Model) -> Vec<CoefficientOddsRatio<'_>> {
    let profile = model.profile_intervals.as_deref();
    model
        .terms
        .iter()
        .enumerate()
        .map(|(j, estimate)| {
            let (low, high) = match profile.and_then(|p| p.get(j)) {
                Some(interval) => (interval.low, interval.high),
                None => (Some(estimate.ci_low), Some(estimate.ci_high)),
            };
            CoefficientOddsRatio {
                estimate,
                odds_ratio: finite_exp(estimate.estimate),
                odds_ratio_ci_low: low.and_then(finite_exp),
                odds_ratio_ci_high: high.and_then(finite_exp),
            }
        })
        .collect()
}

/// One end of an effect's range: a number, or a level (booleans as `false`/`true`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Setting {
    /// A value of a numeric column.
    Number(f64),
    /// A category level, or `false`/`true`.
    Level(String),
}

/// A factor's effect on the log-odds from `low` to `high`, the others held fixed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    /// The factor's column.
    pub factor: String,
    /// Where the contrast starts (the lower quartile, the reference level, false).
    pub low: Setting,
    /// Where it ends (the upper quartile, another level, true).
    pub high: Setting,
    /// The difference of the linear predictor, `cᵀβ`.
    pub effect: f64,
    /// Its standard error `√(cᵀVc)` from the model's covariance.
    pub se: f64,
    /// Lower Wald bound at the model's confidence level.
    pub ci_low: f64,
    /// Upper Wald bound.
    pub ci_high: f64,
    /// `exp(effect)`, `None` when it overflows.
    pub odds_ratio: Option<f64>,
    /// `exp(ci_low)`.
    pub odds_ratio_ci_low: Option<f64>,
    /// `exp(ci_high)`.
    pub odds_ratio_ci_high: Option<f64>,
}

/// A factor without an effect, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedFactor {
    /// The factor's column.
    pub factor: String,
    /// Why no effect is reported.
    pub reason: String,
}

/// The effects of every factor of a model, in spec order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effects {
    /// One row per numeric or boolean factor, one per non-reference level of a category.
    pub effects: Vec<Effect>,
    /// Factors whose range is empty (equal quartiles) or that have a single level.
    pub skipped: Vec<SkippedFactor>,
}

/// `cᵀVc` for a contrast `c` and a covariance `V` given by rows.
pub(crate) fn quadratic_form(c: &[f64], covariance: &[Vec<f64>]) -> f64 {
    c.iter()
        .zip(covariance)
        .map(|(ci, row)| ci * row.iter().zip(c).map(|(v, cj)| v * cj).sum::<f64>())
        .sum()
}

/// The effect of each factor of `model` over its range, as `summary.rms` computes it.
///
/// ```
/// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json")).unwrap();
/// let effects = recontact_model::effects::effects(&model).unwrap();
/// assert!(effects.effects.iter().any(|e| e.factor == "years_experience"));
/// ```
pub fn effects(model: &Model) -> Result<Effects, EffectsError> {
    let encoding = &model.encoding;
    let adjusted = reference_inputs(encoding);
    for term in encoding.main_terms() {
        if let EncodedTerm::Numeric { column, .. }
        | EncodedTerm::Spline { column, .. }
        | EncodedTerm::Rcs { column, .. } = term
        {
            if !encoding.summaries.contains_key(column) {
                return Err(EffectsError::NoSummary {
                    column: column.clone(),
                });
            }
        }
    }
    let z = normal_quantile(0.5 + model.options.level / 2.0);
    let beta = model.coefficients();
    let mut out = Effects {
        effects: Vec::new(),
        skipped: Vec::new(),
    };
    for (index, term) in encoding.main_terms().enumerate() {
        let factor = term.column().unwrap_or_default().to_string();
        let ranges = match factor_ranges(model, term) {
            Ok(ranges) => ranges,
            Err(reason) => {
                out.skipped.push(SkippedFactor { factor, reason });
                continue;
            }
        };
        for (low, high) in ranges {
            let contrast = contrast(model, &adjusted, index, low.0, high.0);
            let effect: f64 = contrast.iter().zip(&beta).map(|(c, b)| c * b).sum();
            let se = quadratic_form(&contrast, &model.covariance).max(0.0).sqrt();
            let (ci_low, ci_high) = (effect - z * se, effect + z * se);
            out.effects.push(Effect {
                factor: factor.clone(),
                low: low.1,
                high: high.1,
                effect,
                se,
                ci_low,
                ci_high,
                odds_ratio: finite_exp(effect),
                odds_ratio_ci_low: finite_exp(ci_low),
                odds_ratio_ci_high: finite_exp(ci_high),
            });
        }
    }
    Ok(out)
}

/// An input value with the setting it stands for.
type Point = (TermInput, Setting);

/// The `(low, high)` settings of a main term's effects, or why it has none.
fn factor_ranges(model: &Model, term: &EncodedTerm) -> Result<Vec<(Point, Point)>, String> {
    match term {
        EncodedTerm::Categorical {
            levels, reference, ..
        } => {
            let at = |l: &str| levels.iter().position(|x| x == l).unwrap_or(0);
            let low = (
                TermInput::Level(at(reference)),
                Setting::Level(reference.clone()),
            );
            let ranges: Vec<(Point, Point)> = levels
                .iter()
                .filter(|l| *l != reference)
                .map(|l| {
                    (
                        low.clone(),
                        (TermInput::Level(at(l)), Setting::Level(l.clone())),
                    )
                })
                .collect();
            if ranges.is_empty() {
                return Err("it has a single level".to_string());
            }
            Ok(ranges)
        }
        EncodedTerm::Boolean { .. } => Ok(vec![(
            (TermInput::Number(0.0), Setting::Level("false".into())),
            (TermInput::Number(1.0), Setting::Level("true".into())),
        )]),
        EncodedTerm::Numeric { column, .. }
        | EncodedTerm::Spline { column, .. }
        | EncodedTerm::Rcs { column, .. } => {
            let summary = model.encoding.summaries.get(column).ok_or("no summary")?;
            if summary.q25 == summary.q75 {
                return Err(format!(
                    "its lower and upper quartiles are both {}: the inter-quartile range is empty",
                    summary.q25
                ));
            }
            Ok(vec![(
                (TermInput::Number(summary.q25), Setting::Number(summary.q25)),
                (TermInput::Number(summary.q75), Setting::Number(summary.q75)),
            )])
        }
        EncodedTerm::Interaction { .. } => Err("an interaction is not a factor".to_string()),
    }
}

/// The design row at `high` minus the design row at `low` for main term `index`, every
/// other main term at its `adjusted` value.
fn contrast(
    model: &Model,
    adjusted: &[TermInput],
    index: usize,
    low: TermInput,
    high: TermInput,
) -> Vec<f64> {
    let mut inputs = adjusted.to_vec();
    let (mut at_low, mut at_high, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
    inputs[index] = low;
    model.encoding.encode(&inputs, &mut at_low, &mut scratch);
    inputs[index] = high;
    model.encoding.encode(&inputs, &mut at_high, &mut scratch);
    at_high.iter().zip(&at_low).map(|(h, l)| h - l).collect()
}

/// The keys `recontact summary --format json` prints: `terms` with odds ratios, every
/// fit statistic, and the factors' effects (or why they are unavailable).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryReport<'a> {
    /// Coefficients with inference and odds ratios.
    pub terms: Vec<CoefficientOddsRatio<'a>>,
    /// Which covariance the standard errors are: `model`, `hc0`, `hc1` or `cluster`.
    pub covariance_type: &'static str,
    /// The cluster column, for a cluster-robust covariance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<&'a crate::ClusterSummary>,
    /// The kind of the stored intervals: `wald` or `profile`.
    pub interval: &'static str,
    /// The profile-likelihood intervals, when they were computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_intervals: Option<&'a [crate::ProfileInterval]>,
    /// Fit statistics, flattened beside `terms`.
    #[serde(flatten)]
    pub statistics: &'a FitStatistics,
    /// Each factor's effect; `None` when the model file cannot give them.
    pub effects: Option<Vec<Effect>>,
    /// Factors without an effect, and why.
    pub effects_skipped: Vec<SkippedFactor>,
    /// Why there are no effects at all, when there are none.
    pub effects_unavailable: Option<String>,
}

/// The summary report of `model`.
///
/// ```rust
/// # use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, SpecConfig};
/// # let toml = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n\
/// #     [[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n";
/// # let config = SpecConfig::from_toml("spec.toml", toml)?;
/// # let spec = config.clone().check()?;
/// # let csv = "y,x,g\n0,1,a\n0,2,b\n1,3,c\n0,4,a\n1,5,b\n1,6,c\n0,2,a\n1,4,b\n1,3,a\n0,5,c\n1,7,b\n0,6,a\n";
/// # let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// # let model = Model::new(fit(&spec, &data, FitOptions::default())?, config, &data);
/// use recontact_model::effects::summary_report;
/// // `model`: y ~ x + g, fitted on 12 rows.
/// let report = summary_report(&model);
/// // statsmodels 0.15: the GLM fit's llf and aic
/// assert!((report.statistics.log_likelihood - -6.328398367947233).abs() < 1e-9);
/// assert!((report.statistics.aic - 20.656796735894467).abs() < 1e-8);
/// // Odds ratios are exp of the coefficients, of their Wald limits too.
/// for row in &report.terms {
///     assert_eq!(row.odds_ratio, Some(row.estimate.estimate.exp()));
///     assert_eq!(row.odds_ratio_ci_low, Some(row.estimate.ci_low.exp()));
/// }
/// // x's effect runs from its lower to its upper quartile, 2.75 to 5.25 (numpy percentile).
/// let effects = report.effects.expect("the model file has x's quartiles");
/// let x = effects.iter().find(|e| e.factor == "x").unwrap();
/// assert!((x.effect - 2.5 * model.coefficients()[1]).abs() < 1e-12);
/// assert_eq!(report.covariance_type, "model");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn summary_report(model: &Model) -> SummaryReport<'_> {
    let (effects, effects_skipped, effects_unavailable) = match effects(model) {
        Ok(Effects { effects, skipped }) => (Some(effects), skipped, None),
        Err(why) => (None, Vec::new(), Some(why.to_string())),
    };
    let summary = model.summary();
    SummaryReport {
        terms: odds_ratios(model),
        covariance_type: summary.covariance_type,
        cluster: summary.cluster,
        interval: summary.interval,
        profile_intervals: summary.profile_intervals,
        statistics: &model.statistics,
        effects,
        effects_skipped,
        effects_unavailable,
    }
}
