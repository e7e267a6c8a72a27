//! The model as a points scorecard, scaled by "points to double the odds".
//!
//! factor = pdo / ln 2, offset = base_points − factor · ln(base_odds),
//! score = offset + factor · logit. The reference row (see
//! [`crate::explain::reference_inputs`]) scores the base; every term adds the points of
//! the row's value relative to the reference, so a row's score is the base plus its
//! terms' points, exactly as its logit is the reference logit plus its contributions.

use serde::Serialize;

use crate::encoding::{EncodedTerm, Encoding, TermInput};
use crate::explain::{explain_against, reference_inputs};
use crate::model::Model;
use recontact_stats::distributions::logistic;

/// How points are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scaling {
    /// Points given to `base_odds`.
    pub base_points: f64,
    /// The odds that score `base_points`.
    pub base_odds: f64,
    /// Points that double the odds.
    pub pdo: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            base_points: 600.0,
            base_odds: 1.0,
            pdo: 20.0,
        }
    }
}

/// Points of one value of one term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardRow {
    /// The term (a column, or `a:b`).
    pub term: String,
    /// The value: a level, `true`/`false`, a number, or `a_value & b_value`.
    pub value: String,
    /// Points relative to the reference value.
    pub points: f64,
    /// The same, rounded to a whole number.
    pub points_rounded: i64,
}

/// A points scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The scaling used.
    pub scaling: Scaling,
    /// pdo / ln 2.
    pub factor: f64,
    /// base_points − factor · ln(base_odds).
    pub offset: f64,
    /// The reference row's score, and its rounding.
    pub base: f64,
    /// Rounded base points.
    pub base_rounded: i64,
    /// Points per value of every term.
    pub rows: Vec<ScorecardRow>,
    /// Total points and the probability they mean.
    pub totals: Vec<(f64, f64)>,
    /// Largest difference between the probability of a rounded score and of the exact
    /// score, for a row whose values are all listed: each of the terms and the base is
    /// off by at most half a point.
    pub max_probability_error: f64,
}

fn numeric_values(encoding: &Encoding, term: &EncodedTerm) -> Vec<(String, TermInput)> {
    let column = match term {
        EncodedTerm::Numeric { column, .. }
        | EncodedTerm::Spline { column, .. }
        | EncodedTerm::Rcs { column, .. } => column,
        _ => return Vec::new(),
    };
    let mut values: Vec<f64> = match encoding.summaries.get(column) {
        Some(s) => vec![s.min, s.q25, s.median, s.q75, s.max],
        None => vec![0.0],
    };
    if let EncodedTerm::Rcs { knots, .. } | EncodedTerm::Spline { knots, .. } = term {
        values.extend(knots.iter().copied());
    }
    values.sort_by(f64::total_cmp);
    values.dedup();
    values
        .into_iter()
        .map(|v| (format_number(v), TermInput::Number(v)))
        .collect()
}

fn format_number(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

/// The values a main term's row lists.
fn term_values(encoding: &Encoding, term: &EncodedTerm) -> Vec<(String, TermInput)> {
    match term {
        EncodedTerm::Categorical { levels, .. } => levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), TermInput::Level(i)))
            .collect(),
        EncodedTerm::Boolean { .. } => vec![
            ("false".to_string(), TermInput::Number(0.0)),
            ("true".to_string(), TermInput::Number(1.0)),
        ],
        EncodedTerm::Interaction { .. } => Vec::new(),
        numeric => numeric_values(encoding, numeric),
    }
}

/// Builds the scorecard of a model.
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
/// use recontact_model::explain::explain;
/// use recontact_model::{scorecard, Scaling, TermInput};
/// // `model`: y ~ x + g; its reference row is x = 4 (the median), g = a.
/// let card = scorecard(&model, Scaling::default());
/// assert!((card.factor - 20.0 / std::f64::consts::LN_2).abs() < 1e-12);
/// assert_eq!(card.offset, 600.0); // base odds 1
/// let points = |term: &str, value: &str| {
///     card.rows.iter().find(|r| r.term == term && r.value == value).unwrap().points
/// };
/// assert_eq!(points("g", "a"), 0.0);
/// // A row's score is the base plus its values' points: offset + factor · logit.
/// let score = card.base + points("x", "7") + points("g", "c");
/// let logit = explain(&model, &[TermInput::Number(7.0), TermInput::Level(2)]).logit;
/// assert!((score - (card.offset + card.factor * logit)).abs() < 1e-9);
/// // statsmodels 0.15: the GLM fit's linear predictor at x = 7, g = "c"
/// assert!((logit - 1.5232324772295485).abs() < 1e-8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scorecard(model: &Model, scaling: Scaling) -> Scorecard {
    let encoding = &model.encoding;
    let factor = scaling.pdo / std::f64::consts::LN_2;
    let offset = scaling.base_points - factor * scaling.base_odds.ln();
    let reference = reference_inputs(encoding);
    let columns = encoding.input_columns();
    let main: Vec<&EncodedTerm> = encoding.main_terms().collect();
    let position = |column: &str| columns.iter().position(|c| *c == column);
    let reference_logit = explain_against(model, &reference, &reference).reference_logit;

    let mut rows = Vec::new();
    let points_of = |inputs: &[TermInput], term: &str| -> f64 {
        let explanation = explain_against(model, inputs, &reference);
        let logit = explanation
            .contributions
            .iter()
            .find(|c| c.term == term)
            .map_or(0.0, |c| c.logit);
        factor * logit
    };
    let mut extremes = Vec::new();
    for (term_label, _) in encoding.term_groups() {
        if encoding.intercept && term_label == "intercept" {
            continue;
        }
        let settings: Vec<(String, Vec<(usize, TermInput)>)> = match position(&term_label) {
            Some(i) => term_values(encoding, main[i])
                .into_iter()
                .map(|(label, input)| (label, vec![(i, input)]))
                .collect(),
            None => {
                let Some((a, b)) = term_label.split_once(':') else {
                    continue;
                };
                let (Some(i), Some(j)) = (position(a), position(b)) else {
                    continue;
                };
                let mut settings = Vec::new();
                for (la, va) in term_values(encoding, main[i]) {
                    for (lb, vb) in term_values(encoding, main[j]) {
                        settings.push((format!("{la} & {lb}"), vec![(i, va), (j, vb)]));
                    }
                }
                settings
            }
        };
        let mut low = f64::INFINITY;
        let mut high = f64::NEG_INFINITY;
        for (value, changes) in settings {
            let mut inputs = reference.clone();
            for (k, input) in changes {
                inputs[k] = input;
            }
            let points = points_of(&inputs, &term_label) + 0.0;
            low = low.min(points);
            high = high.max(points);
            rows.push(ScorecardRow {
                term: term_label.clone(),
                value,
                points,
                points_rounded: points.round() as i64,
            });
        }
        if low.is_finite() {
            extremes.push((low, high));
        }
    }
    let base = offset + factor * reference_logit;
    let lowest = base + extremes.iter().map(|e| e.0).sum::<f64>();
    let highest = base + extremes.iter().map(|e| e.1).sum::<f64>();
    let step = ((highest - lowest) / 40.0).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0]
        .into_iter()
        .find(|s| *s >= step)
        .unwrap_or(100.0);
    let mut totals = Vec::new();
    let mut score = (lowest / step).floor() * step;
    while score <= highest + step && totals.len() < 200 {
        totals.push((score, logistic((score - offset) / factor)));
        score += step;
    }
    let roundings = (extremes.len() + 1) as f64;
    Scorecard {
        scaling,
        factor,
        offset,
        base,
        base_rounded: base.round() as i64,
        rows,
        totals,
        // The logistic's slope is at most 1/4.
        max_probability_error: 0.25 * 0.5 * roundings / factor,
    }
}
