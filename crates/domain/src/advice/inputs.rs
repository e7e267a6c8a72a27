//! A case as column → value text, checked against the model's own columns, levels and
//! bounds.

use std::collections::BTreeMap;

use recontact_input::values::{parse_bool, parse_finite};
use recontact_model::{EncodedTerm, Model, TermInput, Transform};

use super::AdviceError;
use crate::case::Case;
use crate::levels::Level;

/// A case: column → value, written as in a CSV row.
pub type Values = BTreeMap<String, String>;

fn term<'m>(model: &'m Model, column: &str) -> Option<&'m EncodedTerm> {
    model
        .encoding
        .main_terms()
        .find(|t| t.column_name() == Some(column))
}

/// Whether `column` is a boolean term of the model.
pub(crate) fn is_boolean(model: &Model, column: &str) -> bool {
    matches!(term(model, column), Some(EncodedTerm::Boolean { .. }))
}

/// What the model allows in `column`, in words; `None` when it does not read it.
///
/// ```rust
/// use recontact_domain::{allowed_values, default_model};
/// let model = default_model()?;
/// let allowed = allowed_values(&model, "contact_type");
/// assert_eq!(allowed.as_deref(), Some("agency_recruiter, corporate_recruiter, hiring_manager"));
/// assert_eq!(allowed_values(&model, "same_contact").as_deref(), Some("true/false, 1/0, yes/no"));
/// assert_eq!(allowed_values(&model, "salary"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn allowed_values(model: &Model, column: &str) -> Option<String> {
    let numeric = |column: &str, log1p: bool| {
        let mut text = match model.spec.bounds.get(column) {
            Some(bounds) => bounds.describe(),
            None if log1p => "a finite number above -1".to_string(),
            None => "a finite number".to_string(),
        };
        if let Some(seen) = model.encoding.summaries.get(column) {
            text += &format!(
                " (the fitting data ranged from {} to {})",
                seen.min, seen.max
            );
        }
        text
    };
    Some(match term(model, column)? {
        EncodedTerm::Categorical { levels, .. } => levels.join(", "),
        EncodedTerm::Boolean { .. } => "true/false, 1/0, yes/no".to_string(),
        EncodedTerm::Numeric { transform, .. } => numeric(column, *transform == Transform::Log1p),
        EncodedTerm::Spline { .. } | EncodedTerm::Rcs { .. } => numeric(column, false),
        EncodedTerm::Interaction { .. } => return None,
    })
}

/// The columns the model reads, each with what it allows, in the model's order.
///
/// ```rust
/// use recontact_domain::{allowed_values, default_model, model_columns};
/// let model = default_model()?;
/// let columns = model_columns(&model);
/// assert_eq!(columns.len(), model.encoding.input_columns().len());
/// assert_eq!(columns[0].0, "contact_type");
/// assert_eq!(Some(columns[0].1.clone()), allowed_values(&model, "contact_type"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn model_columns(model: &Model) -> Vec<(String, String)> {
    model
        .encoding
        .input_columns()
        .into_iter()
        .map(|c| (c.to_string(), allowed_values(model, c).unwrap_or_default()))
        .collect()
}

/// One value of `column` as the model's input, or why the model cannot take it.
pub(crate) fn parse(model: &Model, column: &str, text: &str) -> Result<TermInput, AdviceError> {
    let bad = || AdviceError::BadValue {
        column: column.to_string(),
        value: text.to_string(),
        allowed: allowed_values(model, column).unwrap_or_default(),
    };
    let term = term(model, column).ok_or_else(|| AdviceError::UnknownColumn {
        column: column.to_string(),
        columns: model.encoding.input_columns().join(", "),
    })?;
    let text = text.trim();
    match term {
        EncodedTerm::Categorical { levels, .. } => levels
            .iter()
            .position(|l| l == text)
            .map(TermInput::Level)
            .ok_or_else(bad),
        EncodedTerm::Boolean { .. } => parse_bool(text)
            .map(|b| TermInput::Number(f64::from(u8::from(b))))
            .ok_or_else(bad),
        EncodedTerm::Numeric { transform, .. } => {
            let x = parse_finite(text).ok_or_else(bad)?;
            let bounded = model
                .spec
                .bounds
                .get(column)
                .is_none_or(|b| b.check(x).is_ok());
            if !bounded || (*transform == Transform::Log1p && x <= -1.0) {
                return Err(bad());
            }
            Ok(TermInput::Number(x))
        }
        EncodedTerm::Spline { .. } | EncodedTerm::Rcs { .. } => {
            let x = parse_finite(text).ok_or_else(bad)?;
            match model
                .spec
                .bounds
                .get(column)
                .is_none_or(|b| b.check(x).is_ok())
            {
                true => Ok(TermInput::Number(x)),
                false => Err(bad()),
            }
        }
        EncodedTerm::Interaction { .. } => Err(bad()),
    }
}

/// The model's inputs for a case: one per main term, in the model's order. Every
/// column the model reads must have a value; other columns are ignored.
///
/// ```rust
/// # use recontact_domain::{Case, ContactType, DeclineReason, PositionStatus, StageReached};
/// # let case = Case {
/// #     case_id: None,
/// #     contact_type: ContactType::CorporateRecruiter,
/// #     stage_reached: StageReached::PresentedToManager,
/// #     decline_reason: DeclineReason::AcceptedOtherOffer,
/// #     days_since_decline: 20,
/// #     position_status: PositionStatus::Unknown,
/// #     same_contact: false,
/// #     misrepresentation: false,
/// #     transparent: true,
/// #     open_to_reinterview: true,
/// #     years_experience: 8.0,
/// # };
/// use recontact_domain::{case_values, default_model, model_inputs, AdviceError};
/// use recontact_model::TermInput;
/// let model = default_model()?;
/// let mut values = case_values(&case);
/// let inputs = model_inputs(&values, &model)?;
/// assert_eq!(inputs[0], TermInput::Level(1)); // corporate_recruiter, the second level
/// assert_eq!(inputs[3], TermInput::Number(20.0)); // days_since_decline
/// values.insert("days_since_decline".into(), "-1".into()); // outside the bounds
/// assert!(matches!(model_inputs(&values, &model), Err(AdviceError::BadValue { .. })));
/// values.remove("days_since_decline");
/// assert!(matches!(model_inputs(&values, &model), Err(AdviceError::MissingColumn { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn model_inputs(values: &Values, model: &Model) -> Result<Vec<TermInput>, AdviceError> {
    model
        .encoding
        .input_columns()
        .into_iter()
        .map(|column| match values.get(column) {
            Some(text) => parse(model, column, text),
            None => Err(AdviceError::MissingColumn {
                column: column.to_string(),
                allowed: allowed_values(model, column).unwrap_or_default(),
            }),
        })
        .collect()
}

/// The inputs back as text, by column (booleans as `true`/`false`).
pub(crate) fn values_of(model: &Model, inputs: &[TermInput]) -> Values {
    model
        .encoding
        .main_terms()
        .zip(inputs)
        .filter_map(|(term, input)| {
            let text = match (term, input) {
                (EncodedTerm::Categorical { levels, .. }, TermInput::Level(i)) => {
                    levels.get(*i)?.clone()
                }
                (EncodedTerm::Boolean { .. }, TermInput::Number(x)) => (*x != 0.0).to_string(),
                (_, TermInput::Number(x)) => x.to_string(),
                _ => return None,
            };
            Some((term.column_name()?.to_string(), text))
        })
        .collect()
}

/// A typed re-contact case as column → value text.
///
/// ```rust
/// # use recontact_domain::{Case, ContactType, DeclineReason, PositionStatus, StageReached};
/// # let case = Case {
/// #     case_id: None,
/// #     contact_type: ContactType::CorporateRecruiter,
/// #     stage_reached: StageReached::PresentedToManager,
/// #     decline_reason: DeclineReason::AcceptedOtherOffer,
/// #     days_since_decline: 20,
/// #     position_status: PositionStatus::Unknown,
/// #     same_contact: false,
/// #     misrepresentation: false,
/// #     transparent: true,
/// #     open_to_reinterview: true,
/// #     years_experience: 8.0,
/// # };
/// use recontact_domain::case_values;
/// let values = case_values(&case);
/// assert_eq!(values["contact_type"], "corporate_recruiter");
/// assert_eq!(values["days_since_decline"], "20");
/// assert_eq!(values["same_contact"], "false");
/// assert_eq!(values.len(), 10); // every factor column of the contract
/// ```
pub fn case_values(case: &Case) -> Values {
    [
        ("contact_type", case.contact_type.as_str().to_string()),
        ("stage_reached", case.stage_reached.as_str().to_string()),
        ("decline_reason", case.decline_reason.as_str().to_string()),
        ("days_since_decline", case.days_since_decline.to_string()),
        ("position_status", case.position_status.as_str().to_string()),
        ("same_contact", case.same_contact.to_string()),
        ("misrepresentation", case.misrepresentation.to_string()),
        ("transparent", case.transparent.to_string()),
        ("open_to_reinterview", case.open_to_reinterview.to_string()),
        ("years_experience", case.years_experience.to_string()),
    ]
    .into_iter()
    .map(|(c, v)| (c.to_string(), v))
    .collect()
}

/// Why a case could not be read from a CSV row.
#[derive(Debug, thiserror::Error)]
pub enum RowError {
    /// The CSV could not be read or parsed.
    #[error("{source_name}: {source}")]
    Csv {
        /// The file's name.
        source_name: String,
        /// What went wrong.
        source: csv::Error,
    },
    /// The file has fewer data rows.
    #[error("{source_name}: has no data row {row}")]
    NoRow {
        /// The file's name.
        source_name: String,
        /// The 1-based data row asked for.
        row: u64,
    },
}

/// Data row `row` (1-based, after the header) of a CSV, as column → value.
///
/// ```rust
/// use recontact_domain::{csv_row_values, RowError};
/// let csv = "case_id,contact_type,days_since_decline\nA,hiring_manager,3\nB,agency_recruiter,40\n";
/// let values = csv_row_values("cases.csv", csv.as_bytes(), 2)?;
/// assert_eq!((values["case_id"].as_str(), values["days_since_decline"].as_str()), ("B", "40"));
/// let error = csv_row_values("cases.csv", csv.as_bytes(), 3).unwrap_err();
/// assert!(matches!(error, RowError::NoRow { row: 3, .. }));
/// assert_eq!(error.to_string(), "cases.csv: has no data row 3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn csv_row_values<R: std::io::Read>(
    source_name: &str,
    reader: R,
    row: u64,
) -> Result<Values, RowError> {
    let csv_error = |source| RowError::Csv {
        source_name: source_name.to_string(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let header = reader.headers().map_err(csv_error)?.clone();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(csv_error)?;
        if index as u64 + 1 == row {
            return Ok(header
                .iter()
                .zip(record.iter())
                .map(|(c, v)| (c.trim().to_string(), v.to_string()))
                .collect());
        }
    }
    Err(RowError::NoRow {
        source_name: source_name.to_string(),
        row,
    })
}
