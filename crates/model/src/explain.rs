//! Why a row scores what it does: each term's contribution relative to a stated
//! reference row, and the probability with its confidence interval.

use serde::Serialize;

use crate::encoding::{EncodedTerm, Encoding, TermInput};
use crate::model::Model;
use recontact_stats::distributions::{logistic, normal_quantile};

/// The reference row: every categorical at its reference level, every boolean false,
/// every number at its median in the fitting data (0 when the model file has no summary).
/// One value per main term, in the order of [`Encoding::input_columns`].
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
/// use recontact_model::explain::reference_inputs;
/// use recontact_model::TermInput;
/// // `model`: y ~ x + g (levels a, b, c), fitted on 12 rows whose median x is 4.
/// let reference = reference_inputs(&model.encoding);
/// assert_eq!(reference, [TermInput::Number(4.0), TermInput::Level(0)]); // x = 4, g = a
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn reference_inputs(encoding: &Encoding) -> Vec<TermInput> {
    encoding
        .main_terms()
        .map(|term| match term {
            EncodedTerm::Categorical {
                levels, reference, ..
            } => TermInput::Level(levels.iter().position(|l| l == reference).unwrap_or(0)),
            EncodedTerm::Boolean { .. } => TermInput::Number(0.0),
            EncodedTerm::Numeric { column, .. }
            | EncodedTerm::Spline { column, .. }
            | EncodedTerm::Rcs { column, .. } => {
                TermInput::Number(encoding.summaries.get(column).map_or(0.0, |s| s.median))
            }
            EncodedTerm::Interaction { .. } => TermInput::Number(0.0),
        })
        .collect()
}

/// One term's share of the difference between a row's logit and the reference logit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The term: a main term's column, or `a:b` for an interaction.
    pub term: String,
    /// Its contribution on the logit scale.
    pub logit: f64,
}

/// A row's logit taken apart term by term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The row's logit (without any offset).
    pub logit: f64,
    /// The reference row's logit.
    pub reference_logit: f64,
    /// One contribution per term, in spec order; they sum to `logit - reference_logit`.
    pub contributions: Vec<Contribution>,
}

fn design(encoding: &Encoding, inputs: &[TermInput]) -> Vec<f64> {
    let mut row = Vec::new();
    encoding.encode(inputs, &mut row, &mut Vec::new());
    row
}

/// The terms a row is explained by: every term group but the intercept (whose design
/// value is 1 in every row, the reference's too, so its contribution is always 0), with
/// its design columns.
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
/// use recontact_model::explain::explained_terms;
/// // `model`: y ~ x + g; design columns intercept, x, g=b, g=c.
/// let terms = explained_terms(&model.encoding);
/// assert_eq!(terms, [("x".to_string(), 1..2), ("g".to_string(), 2..4)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explained_terms(encoding: &Encoding) -> Vec<(String, std::ops::Range<usize>)> {
    let mut groups = encoding.term_groups();
    if encoding.intercept {
        // The intercept is the first group; a column that happens to be called
        // `intercept` is a term like any other.
        groups.remove(0);
    }
    groups
}

/// The design row of [`reference_inputs`] and its logit, β·r.
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
/// use recontact_model::explain::reference_design;
/// // `model`: y ~ x + g; the reference row is x = 4 (the median), g = a.
/// let (row, logit) = reference_design(&model);
/// assert_eq!(row, [1.0, 4.0, 0.0, 0.0]);
/// // statsmodels 0.15: GLM.from_formula("y ~ x + C(g)", d, family=Binomial()).fit()
/// //   .get_prediction(DataFrame({"x": [4.0], "g": ["a"]}), which="linear").predicted
/// assert!((logit - -1.2140747245597185).abs() < 1e-8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn reference_design(model: &Model) -> (Vec<f64>, f64) {
    let r = design(&model.encoding, &reference_inputs(&model.encoding));
    let logit = r.iter().zip(model.coefficients()).map(|(a, b)| a * b).sum();
    (r, logit)
}

/// A term's contribution against the reference: Σ over its design columns j of
/// βⱼ·(xⱼ − rⱼ), added in design order, so that every caller gets the same bits.
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
/// use recontact_model::explain::term_contribution;
/// let beta = [0.5, 2.0, -1.0];
/// let (x, reference) = ([1.0, 3.0, 1.0], [1.0, 1.0, 0.0]);
/// // 2 (3 - 1) + (-1) (1 - 0)
/// assert_eq!(term_contribution(&beta, &x, &reference, 1..3), 3.0);
/// assert_eq!(term_contribution(&beta, &x, &reference, 0..1), 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn term_contribution(
    beta: &[f64],
    x: &[f64],
    reference: &[f64],
    columns: std::ops::Range<usize>,
) -> f64 {
    columns.map(|j| beta[j] * (x[j] - reference[j])).sum()
}

/// Explains a row (one input per main term) against [`reference_inputs`].
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
/// use recontact_model::TermInput;
/// // `model`: y ~ x + g; the row x = 4, g = b (level 1).
/// let explanation = explain(&model, &[TermInput::Number(4.0), TermInput::Level(1)]);
/// // statsmodels 0.15: the GLM fit's linear predictor at x = 4, g = "b"
/// assert!((explanation.logit - 1.0202990154386566).abs() < 1e-8);
/// // The contributions add up to the difference from the reference row (x = 4, g = a).
/// let total: f64 = explanation.contributions.iter().map(|c| c.logit).sum();
/// assert!((total - (explanation.logit - explanation.reference_logit)).abs() < 1e-12);
/// assert_eq!(explanation.contributions[0].logit, 0.0); // x is at its reference
/// assert_eq!(explanation.contributions[1].logit, model.coefficients()[2]); // g = b
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain(model: &Model, inputs: &[TermInput]) -> Explanation {
    explain_against(model, inputs, &reference_inputs(&model.encoding))
}

/// Explains a row against any reference row.
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
/// use recontact_model::explain::explain_against;
/// use recontact_model::TermInput;
/// // `model`: y ~ x + g. From (x = 2, g = c) to (x = 5, g = c): only x contributes.
/// let row = [TermInput::Number(5.0), TermInput::Level(2)];
/// let reference = [TermInput::Number(2.0), TermInput::Level(2)];
/// let explanation = explain_against(&model, &row, &reference);
/// let b = model.coefficients();
/// assert!((explanation.contributions[0].logit - 3.0 * b[1]).abs() < 1e-12);
/// assert_eq!((explanation.contributions[1].term.as_str(), explanation.contributions[1].logit), ("g", 0.0));
/// assert!((explanation.logit - explanation.reference_logit - 3.0 * b[1]).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain_against(
    model: &Model,
    inputs: &[TermInput],
    reference: &[TermInput],
) -> Explanation {
    let beta = model.coefficients();
    let x = design(&model.encoding, inputs);
    let r = design(&model.encoding, reference);
    let dot = |v: &[f64]| v.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>();
    let contributions = explained_terms(&model.encoding)
        .into_iter()
        .map(|(term, range)| Contribution {
            term,
            logit: term_contribution(&beta, &x, &r, range),
        })
        .collect();
    Explanation {
        logit: dot(&x),
        reference_logit: dot(&r),
        contributions,
    }
}

/// A probability with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prediction {
    /// The logit (without any offset).
    pub logit: f64,
    /// Standard error of the logit, √(xᵀ Σ x) from the model's covariance.
    pub std_error: f64,
    /// The probability.
    pub probability: f64,
    /// Lower confidence limit of the probability.
    pub ci_low: f64,
    /// Upper confidence limit of the probability.
    pub ci_high: f64,
}

/// The probability of a row with a Wald interval at `level`, built on the logit scale
/// (delta method) and mapped through the logistic function, so it stays inside (0, 1).
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
/// use recontact_model::explain::predict;
/// use recontact_model::TermInput;
/// // `model`: y ~ x + g; the row x = 4, g = b.
/// let prediction = predict(&model, &[TermInput::Number(4.0), TermInput::Level(1)], 0.95);
/// // statsmodels 0.15: the GLM fit's get_prediction(DataFrame({"x": [4.0], "g": ["b"]}))
/// //   .summary_frame(alpha=0.05): mean, mean_ci_lower, mean_ci_upper
/// assert!((prediction.probability - 0.7350308399567183).abs() < 1e-8);
/// assert!((prediction.ci_low - 0.21072194028114288).abs() < 1e-7);
/// assert!((prediction.ci_high - 0.9664689489492005).abs() < 1e-7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn predict(model: &Model, inputs: &[TermInput], level: f64) -> Prediction {
    let x = design(&model.encoding, inputs);
    let logit: f64 = x.iter().zip(model.coefficients()).map(|(a, b)| a * b).sum();
    let mut variance = 0.0;
    for (a, row) in model.covariance.iter().enumerate() {
        for (b, c) in row.iter().enumerate() {
            variance += x[a] * c * x[b];
        }
    }
    let std_error = variance.max(0.0).sqrt();
    let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
    Prediction {
        logit,
        std_error,
        probability: logistic(logit),
        ci_low: logistic(logit - z * std_error),
        ci_high: logistic(logit + z * std_error),
    }
}

/// A row whose logit, interval or contributions overflow: finite values can still be
/// too extreme for the model's coefficients (1e308 times a coefficient of 10).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "the row's {what} is {value}, not a finite number: its values are too extreme for the \
     model's coefficients"
)]
pub struct NotFinite {
    /// What overflowed: `logit`, `standard error` or `contribution of <term>`.
    pub what: String,
    /// The value it took.
    pub value: f64,
}

fn finite_or(what: impl FnOnce() -> String, value: f64) -> Result<(), NotFinite> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(NotFinite {
            what: what(),
            value,
        })
    }
}

/// [`explain`], refusing a row whose logit, reference logit or a contribution is not finite.
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
/// use recontact_model::explain::checked_explain;
/// use recontact_model::TermInput;
/// # let mut model = model;
/// let row = [TermInput::Number(4.0), TermInput::Level(1)];
/// assert!(checked_explain(&model, &row).is_ok());
/// // A coefficient of 10 on x times the largest finite x overflows.
/// model.terms[1].estimate = 10.0;
/// let error = checked_explain(&model, &[TermInput::Number(f64::MAX), TermInput::Level(1)]).unwrap_err();
/// assert_eq!((error.what.as_str(), error.value), ("logit", f64::INFINITY));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn checked_explain(model: &Model, inputs: &[TermInput]) -> Result<Explanation, NotFinite> {
    let explanation = explain(model, inputs);
    finite_or(|| "logit".into(), explanation.logit)?;
    finite_or(|| "reference logit".into(), explanation.reference_logit)?;
    for c in &explanation.contributions {
        finite_or(|| format!("contribution of {}", c.term), c.logit)?;
    }
    Ok(explanation)
}

/// [`predict`], refusing a row whose logit or standard error is not finite (the
/// probability and its limits are then finite too).
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
/// use recontact_model::explain::checked_predict;
/// use recontact_model::TermInput;
/// let prediction = checked_predict(&model, &[TermInput::Number(4.0), TermInput::Level(1)], 0.95)?;
/// assert!(prediction.ci_low < prediction.probability && prediction.probability < prediction.ci_high);
/// // x = 1e200: the logit is finite, but its variance (x² times that of x's coefficient) is not.
/// let error = checked_predict(&model, &[TermInput::Number(1e200), TermInput::Level(1)], 0.95).unwrap_err();
/// assert_eq!(error.what, "standard error");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn checked_predict(
    model: &Model,
    inputs: &[TermInput],
    level: f64,
) -> Result<Prediction, NotFinite> {
    let prediction = predict(model, inputs, level);
    finite_or(|| "logit".into(), prediction.logit)?;
    finite_or(|| "standard error".into(), prediction.std_error)?;
    Ok(prediction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let text = include_str!("../../../data/default_model.json");
        Model::from_json("default_model.json", text).expect("the default model loads")
    }

    #[test]
    fn an_overflowing_row_is_refused_with_its_reason() {
        let mut model = model();
        let mut inputs = reference_inputs(&model.encoding);
        let last = inputs.len() - 1;
        // years_experience (the last term) times a coefficient of 10 overflows.
        let coefficient = model.terms.len() - 1;
        model.terms[coefficient].estimate = 10.0;
        inputs[last] = TermInput::Number(f64::MAX);
        let error = checked_predict(&model, &inputs, 0.95).unwrap_err();
        assert_eq!(error.what, "logit");
        assert!(error.to_string().contains("too extreme"), "{error}");
        let error = checked_explain(&model, &inputs).unwrap_err();
        assert!(!error.value.is_finite());
        inputs[last] = TermInput::Number(5.0);
        assert!(checked_predict(&model, &inputs, 0.95).is_ok());
        assert!(checked_explain(&model, &inputs).is_ok());
    }
}
