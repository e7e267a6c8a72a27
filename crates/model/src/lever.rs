//! What a person can still change, as a spec says it: `[[lever]]` and `[[caution]]`
//! tables. They do not enter the fit; the advice reads them from the model's spec.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::SpecError;
use crate::spec::TermConfig;

/// How a lever moves its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeverKind {
    /// The person can set the column to each of `to`'s values.
    #[default]
    Change,
    /// The person cannot change the column but can find out its value: the advice shows
    /// the probability for each of `to`'s values.
    FindOut,
    /// The column grows while the person waits: each of `to`'s values is added to the
    /// current one (clamped to the spec's bounds), and the advice compares acting now
    /// with the first of them.
    Wait,
}

/// One value a lever can take, with its wording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeverValue {
    /// The value, as it would be written in the CSV (for `wait`, the amount added).
    pub value: String,
    /// What taking it means, in words (for `change`, what to do).
    pub words: String,
}

/// A `[[lever]]` table: a column a person can still act on.
///
/// ```toml
/// [[lever]]
/// column = "referral"
/// to = [{ value = "true", words = "ask for a referral" }]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeverConfig {
    /// The term column it moves.
    pub column: String,
    /// The lever's name in the advice's JSON (default: the column, or `column=value`
    /// for a change to a value other than `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How it moves it (default `change`).
    #[serde(default, skip_serializing_if = "is_change")]
    pub kind: LeverKind,
    /// The lever as a whole, in words (needed for `find_out` and `wait`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
    /// The values it can take, in the order the advice lists them.
    pub to: Vec<LeverValue>,
    /// The lever applies only when the column's current value is one of these (all
    /// values when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<String>,
    /// A caution shown whenever the lever applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caution: Option<String>,
}

fn is_change(kind: &LeverKind) -> bool {
    *kind == LeverKind::Change
}

/// A `[[caution]]` table: words shown when a case matches every condition.
///
/// ```toml
/// [[caution]]
/// when = { decline_reason = ["other_commitments"] }
/// words = "The article advises against reaching out after declining for other commitments."
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CautionConfig {
    /// Column → the values (as written in the CSV) for which the caution applies.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, Vec<String>>,
    /// Numeric column → the value it must exceed for the caution to apply.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub above: BTreeMap<String, f64>,
    /// The caution.
    pub words: String,
}

/// Checks levers and cautions against the spec's terms.
pub(crate) fn check(
    terms: &[TermConfig],
    levers: &[LeverConfig],
    cautions: &[CautionConfig],
) -> Result<(), SpecError> {
    let term_of = |column: &str| terms.iter().find(|t| t.column() == Some(column));
    let invalid = |message: String| Err(SpecError::Invalid(message));
    for lever in levers {
        let column = lever.column.as_str();
        let Some(term) = term_of(column) else {
            return invalid(format!(
                "a lever moves `{column}`, which is not a term column of the spec"
            ));
        };
        if lever.to.is_empty() {
            return invalid(format!("the lever on `{column}` has no `to` values"));
        }
        if lever.kind != LeverKind::Change && lever.words.is_none() {
            return invalid(format!(
                "the lever on `{column}` needs `words` (what it asks of the person)"
            ));
        }
        let numeric = matches!(
            term,
            TermConfig::Numeric { .. } | TermConfig::Spline { .. } | TermConfig::Rcs { .. }
        );
        if lever.kind == LeverKind::Wait {
            let bad = lever.to.iter().find(|v| {
                !numeric
                    || !v
                        .value
                        .trim()
                        .parse::<f64>()
                        .is_ok_and(|x| x.is_finite() && x > 0.0)
            });
            if let Some(bad) = bad {
                return invalid(format!(
                    "the wait lever on `{column}` needs a numeric column and positive amounts; got {:?}",
                    bad.value
                ));
            }
        }
    }
    for caution in cautions {
        for column in caution.when.keys().chain(caution.above.keys()) {
            if term_of(column).is_none() {
                return invalid(format!(
                    "a caution reads `{column}`, which is not a term column of the spec"
                ));
            }
        }
        if caution.when.is_empty() && caution.above.is_empty() {
            return invalid(format!(
                "the caution {:?} has no condition (`when` or `above`)",
                caution.words
            ));
        }
    }
    Ok(())
}
