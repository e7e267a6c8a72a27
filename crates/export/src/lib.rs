//! Writing a fitted model in forms other engines run: a SQL expression
//! ([`sql::to_sql`]) and a PMML 4.4 document ([`pmml::to_pmml`]).
//!
//! Both reproduce [`recontact_model::Scorer`] and [`recontact_model::score_csv`]: the same parsing of each
//! field, the same encoding (levels, splines, interactions) and the same logistic
//! function, so the probabilities they give agree with `recontact score` to rounding.
//!
//! The default model as one SQLite statement and as a PMML document:
//!
//! ```rust
//! use recontact_export::{to_pmml, to_sql, Dialect, PmmlOptions, SqlOptions};
//! use recontact_model::{predict::predict_source, Model};
//!
//! let model = Model::from_json("default_model.json", include_str!("../../../data/default_model.json"))?;
//! let sql = to_sql(&model, &SqlOptions { dialect: Dialect::Sqlite, ..SqlOptions::default() })?;
//! assert!(sql.starts_with("-- p_success computed as `recontact score` computes it (sqlite dialect"));
//! // The intercept, and each column read as text and checked as the scorer checks it.
//! assert!(sql.contains("1.0114566269239094e0") && sql.contains("CAST(\"contact_type\" AS TEXT) IN ("));
//! assert!(sql.trim_end().ends_with("END AS \"p_success\"\nFROM \"cases\";"));
//! // Python's sqlite3 (SQLite 3.40.1) running `sql` on the data loaded as table `cases`
//! // gives p_success 0.7591287424003738 for its first row: the model's own prediction.
//! # let csv = include_str!("../../../data/recontact_outcomes.csv");
//! let rows = predict_source(&model, &model.spec.clone().check()?, "outcomes.csv", csv.as_bytes())?;
//! assert!((1.0 / (1.0 + (-rows.linear_predictor[0]).exp()) - 0.759_128_742_400_373_8).abs() < 1e-15);
//! let pmml = to_pmml(&model, &PmmlOptions::default())?;
//! assert!(pmml.contains("<RegressionModel") && pmml.contains("normalizationMethod=\"logit\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod pmml;
pub mod rows;
pub mod sql;

use thiserror::Error;

use recontact_model::encoding::EncodedTerm;
use recontact_model::model::Model;

pub use pmml::{to_pmml, PmmlOptions};
pub use sql::{model_sql, to_sql, Dialect, ModelSql, SqlOptions};

/// Why a model could not be exported.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExportError {
    /// A name or level cannot be written in the target language (for example an empty
    /// identifier, or a NUL character, which no SQL string literal can hold).
    #[error("cannot export {what} {value:?}: {reason}")]
    Unrepresentable {
        /// What the text is (`table name`, `level of contact_type`, ...).
        what: String,
        /// The text.
        value: String,
        /// Why it cannot be written.
        reason: String,
    },
    /// The model's encoding and coefficients disagree, or a number is not finite.
    #[error("cannot export the model: {0}")]
    Model(String),
}

/// One term of the model with the coefficients of its design columns.
pub(crate) struct TermCoefficients<'a> {
    /// The term. An interaction's coefficients are in row-major order: for each
    /// component of the first term, every component of the second.
    pub term: &'a EncodedTerm,
    /// Its coefficients, in design-column order.
    pub coefficients: Vec<f64>,
}

/// The model's intercept (0 without one) and each term with its coefficients, checked
/// against the encoding so that an exporter cannot misalign them.
pub(crate) fn split_coefficients(
    model: &Model,
) -> Result<(f64, Vec<TermCoefficients<'_>>), ExportError> {
    let names = model.encoding.names();
    if names.len() != model.terms.len() {
        return Err(ExportError::Model(format!(
            "the encoding has {} design columns but {} coefficients are stored",
            names.len(),
            model.terms.len()
        )));
    }
    for (name, estimate) in names.iter().zip(&model.terms) {
        if name != &estimate.term {
            return Err(ExportError::Model(format!(
                "coefficient `{}` stands where the encoding has `{name}`",
                estimate.term
            )));
        }
        if !estimate.estimate.is_finite() {
            return Err(ExportError::Model(format!(
                "coefficient `{name}` is not finite"
            )));
        }
    }
    let coefficients = model.coefficients();
    let mut groups = model.encoding.term_groups().into_iter();
    let intercept = if model.encoding.intercept {
        groups
            .next()
            .map_or(0.0, |(_, range)| coefficients[range.start])
    } else {
        0.0
    };
    let terms = model
        .encoding
        .terms
        .iter()
        .zip(groups)
        .map(|(term, (_, range))| TermCoefficients {
            term,
            coefficients: coefficients[range].to_vec(),
        })
        .collect();
    Ok((intercept, terms))
}

/// The constants of one non-linear restricted-cubic-spline component for `knot`, as
/// [`recontact_model::encoding::rcs_basis`] computes them: `a` and `b` weigh the cubes at the
/// last two knots, and `slope`, `constant` give the component's linear form beyond the
/// last knot.
pub(crate) struct RcsConstants {
    pub a: f64,
    pub slope: f64,
    pub constant: f64,
}

/// The constants of the component of `knot` for a spline with `knots`, computed with the
/// same operations as the scorer so that an engine repeating them gets the same bits.
pub(crate) fn rcs_constants(knot: f64, knots: &[f64]) -> RcsConstants {
    let k = knots.len();
    let (last, before_last) = (knots[k - 1], knots[k - 2]);
    let a = (last - knot) / (last - before_last);
    let b = (before_last - knot) / (last - before_last);
    RcsConstants {
        a,
        slope: 3.0 * (knot * knot - a * before_last * before_last + b * last * last),
        constant: -knot * knot * knot + a * before_last * before_last * before_last
            - b * last * last * last,
    }
}
