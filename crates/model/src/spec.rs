//! The model specification: which column is the outcome and how each factor enters.
//!
//! Two stages, as in linfa: [`SpecConfig`] is what a person writes (TOML or CLI flags),
//! unchecked; [`Spec`] is a config that passed [`SpecConfig::check`]. Encoding details
//! learned from data (levels, quantile knots) live in [`crate::encoding::Encoding`].

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{DataProblem, SpecError};
use crate::lever::{CautionConfig, LeverConfig};

/// How a numeric column is transformed before it enters the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The value itself.
    #[default]
    None,
    /// `ln(1 + x)`, for counts and durations that matter most when small (needs x > -1).
    Log1p,
}

/// One term as written in a spec file (`[[term]]` tables) or built from CLI flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TermConfig {
    /// A number, optionally transformed. Term name: the column (`column:log1p` when transformed).
    Numeric {
        /// The CSV column.
        column: String,
        /// The transformation.
        #[serde(default)]
        transform: Transform,
    },
    /// A linear spline with hinges at `knots`: `x` and `(x - knot)+` for each knot.
    /// Term names `column:spline1` (x), `column:spline2`, ...
    Spline {
        /// The CSV column.
        column: String,
        /// Strictly increasing hinge points.
        knots: Vec<f64>,
    },
    /// A restricted cubic spline (Harrell's parameterisation, `rms::rcs` with `norm = 2`):
    /// linear beyond the outer knots. Give `knots`, or `k` (3 to 7) knots at Harrell's
    /// default quantiles. Term names `column:rcs1` (x), `column:rcs2`, ..., `column:rcs{k-1}`.
    Rcs {
        /// The CSV column.
        column: String,
        /// Explicit, strictly increasing knots (at least 3).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        knots: Option<Vec<f64>>,
        /// Number of knots at default quantiles, when `knots` is not given (default 4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        k: Option<usize>,
    },
    /// `true`/`false`, `1`/`0` or `yes`/`no`, entering as 1/0. Term name: the column.
    Boolean {
        /// The CSV column.
        column: String,
    },
    /// A category: one indicator `column=level` per level other than the reference.
    Categorical {
        /// The CSV column.
        column: String,
        /// The reference level; by default the first level in sorted order (numeric order
        /// when every level is a number).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
        /// The allowed levels, when pinned: any other value is invalid data (with its
        /// line), when fitting as when scoring. Unpinned, every non-empty value is a level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        levels: Option<Vec<String>>,
    },
    /// The product of two other terms of the spec, named by their columns: every
    /// component of the first times every component of the second, named `a:b`.
    Interaction {
        /// The two columns whose terms interact.
        between: [String; 2],
    },
}

impl TermConfig {
    /// The column a main-effect term reads; `None` for an interaction.
    pub fn column(&self) -> Option<&str> {
        match self {
            TermConfig::Numeric { column, .. }
            | TermConfig::Spline { column, .. }
            | TermConfig::Rcs { column, .. }
            | TermConfig::Boolean { column }
            | TermConfig::Categorical { column, .. } => Some(column),
            TermConfig::Interaction { .. } => None,
        }
    }
}

/// A model specification as written: unchecked.
///
/// ```toml
/// outcome = "success"
/// [[term]]
/// kind = "categorical"
/// column = "contact_type"
/// reference = "agency_recruiter"
/// [[term]]
/// kind = "rcs"
/// column = "days_since_decline"
/// k = 4
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecConfig {
    /// The 0/1 outcome column (`true`/`false` and `yes`/`no` are read too).
    pub outcome: String,
    /// Whether the model has an intercept (default true).
    #[serde(default = "default_true")]
    pub intercept: bool,
    /// A column of non-negative frequency weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// A column added to the linear predictor with a fixed coefficient of 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// The terms, in order.
    #[serde(default, rename = "term")]
    pub terms: Vec<TermConfig>,
    /// Allowed values of numeric columns, by column: a value outside is invalid data
    /// (when fitting and when scoring), not something to extrapolate to.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bounds: BTreeMap<String, Bounds>,
    /// Most distinct levels a categorical column may have in the data (default
    /// [`DEFAULT_MAX_LEVELS`]): a column with more is most likely an identifier, and its
    /// design would need a column per level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<usize>,
    /// What a person can still change (`[[lever]]` tables): read by the advice, not
    /// by the fit.
    #[serde(default, rename = "lever", skip_serializing_if = "Vec::is_empty")]
    pub levers: Vec<LeverConfig>,
    /// Cautions shown when a case matches (`[[caution]]` tables): read by the advice.
    #[serde(default, rename = "caution", skip_serializing_if = "Vec::is_empty")]
    pub cautions: Vec<CautionConfig>,
}

/// Most distinct levels of a categorical column, unless the spec sets `max_levels`.
pub const DEFAULT_MAX_LEVELS: usize = 1_000;

/// Most terms a spec may have: far beyond any model a data set can support, and small
/// enough that every check and every design stays cheap.
pub const MAX_TERMS: usize = 2_000;

/// Most knots a spline term may have.
pub const MAX_KNOTS: usize = 100;

/// Most levels a spec may pin for one categorical column (and most `max_levels`).
pub const MAX_PINNED_LEVELS: usize = 100_000;

/// The values a numeric column may take.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Smallest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether only whole numbers are allowed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
}

impl Bounds {
    /// Checks a finite value.
    pub fn check(&self, value: f64) -> Result<(), DataProblem> {
        if self.integer && value.fract() != 0.0 {
            return Err(DataProblem::NotAnInteger);
        }
        if self.min.is_some_and(|min| value < min) || self.max.is_some_and(|max| value > max) {
            return Err(DataProblem::OutOfRange);
        }
        Ok(())
    }

    /// The rule in words, for error messages.
    pub fn describe(&self) -> String {
        let kind = if self.integer {
            "a whole number"
        } else {
            "a finite number"
        };
        match (self.min, self.max) {
            (Some(min), Some(max)) => format!("{kind} from {min} to {max}"),
            (Some(min), None) => format!("{kind}, {min} or more"),
            (None, Some(max)) => format!("{kind}, {max} or less"),
            (None, None) => kind.to_string(),
        }
    }
}

fn default_true() -> bool {
    true
}

/// Harrell's default knot quantiles for `k` knots (`Hmisc::rcspline.eval`, which
/// `rms::rcs` calls): `seq(outer, 1 - outer, length = k)` with `outer` .1 for 3 knots,
/// .05 for 4 to 6 and .025 for 7, as R's `seq` computes them. The knots placed from them
/// also depend on ties and on the number of distinct values (see docs/model.md).
///
/// ```
/// use recontact_model::spec::default_rcs_quantiles;
///
/// // R: seq(0.05, 0.95, length = 4)
/// let q = default_rcs_quantiles(4).unwrap();
/// let want = [0.05, 0.35, 0.65, 0.95];
/// assert!(q.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15));
/// assert_eq!(default_rcs_quantiles(8), None); // Hmisc has no default for 8 knots
/// ```
pub fn default_rcs_quantiles(k: usize) -> Option<Vec<f64>> {
    let outer = match k {
        3 => 0.1,
        4..=6 => 0.05,
        7 => 0.025,
        _ => return None,
    };
    let by = ((1.0 - outer) - outer) / (k - 1) as f64;
    let mut probabilities: Vec<f64> = (0..k - 1).map(|i| outer + i as f64 * by).collect();
    probabilities.push(1.0 - outer);
    Some(probabilities)
}

impl SpecConfig {
    /// Parses a TOML spec; `source_name` names the file in errors.
    ///
    /// The spec is not checked yet: [`SpecConfig::check`] turns it into a [`Spec`].
    ///
    /// ```
    /// use recontact_model::SpecConfig;
    ///
    /// let text = r#"
    /// outcome = "success"
    /// [[term]]
    /// kind = "numeric"
    /// column = "years_experience"
    /// [[term]]
    /// kind = "categorical"
    /// column = "contact_type"
    /// "#;
    /// let spec = SpecConfig::from_toml("spec.toml", text)?.check()?;
    /// assert_eq!(spec.columns(), ["success", "years_experience", "contact_type"]);
    ///
    /// // A mistake names the file and what is wrong.
    /// let error = SpecConfig::from_toml("bad.toml", "outcome = ").unwrap_err();
    /// assert!(error.to_string().contains("bad.toml"));
    /// # Ok::<(), recontact_model::SpecError>(())
    /// ```
    pub fn from_toml(source_name: &str, text: &str) -> Result<SpecConfig, SpecError> {
        toml::from_str(text).map_err(|e| SpecError::Syntax {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })
    }

    /// The spec as TOML, in the form `from_toml` reads.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks the spec on its own (before any data): names, knots, interactions.
    ///
    /// ```
    /// use recontact_model::SpecConfig;
    ///
    /// let text = "outcome = \"y\"\n[[term]]\nkind = \"interaction\"\nbetween = [\"a\", \"b\"]\n";
    /// let error = SpecConfig::from_toml("spec.toml", text)?.check().unwrap_err();
    /// assert!(error.to_string().contains("has no term of its own"));
    /// # Ok::<(), recontact_model::SpecError>(())
    /// ```
    pub fn check(self) -> Result<Spec, SpecError> {
        self.check_sizes()?;
        // Sets, not lists: a spec's checks stay linear in its number of terms.
        let mut columns: HashSet<&str> = HashSet::new();
        for term in &self.terms {
            if let Some(column) = term.column() {
                self.check_main_term(term, column, &mut columns)?;
            }
        }
        for (role, name) in [("weights", &self.weights), ("offset", &self.offset)] {
            if let Some(name) = name {
                if name == &self.outcome || columns.contains(name.as_str()) {
                    return Err(SpecError::Invalid(format!(
                        "the {role} column `{name}` is also the outcome or a term"
                    )));
                }
            }
        }
        check_interactions(&self.terms, &columns)?;
        self.check_bounds()?;
        crate::lever::check(&self.terms, &self.levers, &self.cautions)?;
        if !self.intercept && self.terms.is_empty() {
            return Err(SpecError::Invalid(
                "the model has neither an intercept nor any term".into(),
            ));
        }
        Ok(Spec {
            config: self,
            cluster: None,
        })
    }

    /// The outcome is named, and the numbers of terms and of pinned levels are within
    /// their bounds.
    fn check_sizes(&self) -> Result<(), SpecError> {
        if self.outcome.is_empty() {
            return Err(SpecError::Invalid(
                "the outcome column name is empty".into(),
            ));
        }
        if self.terms.len() > MAX_TERMS {
            return Err(SpecError::Invalid(format!(
                "the spec has {} terms; at most {MAX_TERMS} are allowed",
                self.terms.len()
            )));
        }
        if let Some(max) = self.max_levels {
            if !(2..=MAX_PINNED_LEVELS).contains(&max) {
                return Err(SpecError::Invalid(format!(
                    "max_levels = {max}: allowed from 2 to {MAX_PINNED_LEVELS}"
                )));
            }
        }
        Ok(())
    }

    /// A main term reading `column`: a non-empty name no other term and not the outcome
    /// uses (recorded in `columns`), with valid knots or pinned levels.
    fn check_main_term<'a>(
        &self,
        term: &TermConfig,
        column: &'a str,
        columns: &mut HashSet<&'a str>,
    ) -> Result<(), SpecError> {
        if column.is_empty() {
            return Err(SpecError::Invalid("a term has an empty column name".into()));
        }
        if !columns.insert(column) {
            return Err(SpecError::Invalid(format!(
                "column `{column}` is named by more than one term; give each column one term \
                 (use an interaction to combine terms)"
            )));
        }
        if column == self.outcome {
            return Err(SpecError::Invalid(format!(
                "column `{column}` is the outcome and cannot also be a term"
            )));
        }
        match term {
            TermConfig::Spline { knots, .. } => check_knots(column, knots, 1),
            TermConfig::Rcs {
                knots: Some(knots),
                k,
                ..
            } => {
                check_knots(column, knots, 3)?;
                if k.is_some_and(|k| k != knots.len()) {
                    return Err(SpecError::Invalid(format!(
                        "rcs term `{column}` gives both k = {} and {} knots",
                        k.unwrap_or(0),
                        knots.len()
                    )));
                }
                Ok(())
            }
            TermConfig::Rcs { knots: None, k, .. } => {
                let k = k.unwrap_or(4);
                if default_rcs_quantiles(k).is_none() {
                    return Err(SpecError::Invalid(format!(
                        "rcs term `{column}`: k = {k} knots has no default quantiles; \
                         use k from 3 to 7, or give the knots"
                    )));
                }
                Ok(())
            }
            TermConfig::Categorical {
                reference,
                levels: Some(levels),
                ..
            } => check_levels(column, reference.as_deref(), levels),
            _ => Ok(()),
        }
    }

    /// Bounds belong to numeric terms or the offset, and are finite with min <= max.
    fn check_bounds(&self) -> Result<(), SpecError> {
        for (column, bounds) in &self.bounds {
            let numeric = self.terms.iter().any(|t| {
                matches!(
                    t,
                    TermConfig::Numeric { .. } | TermConfig::Spline { .. } | TermConfig::Rcs { .. }
                ) && t.column() == Some(column.as_str())
            }) || self.offset.as_deref() == Some(column.as_str());
            if !numeric {
                return Err(SpecError::Invalid(format!(
                    "bounds are given for `{column}`, which is not a numeric term or the offset"
                )));
            }
            let finite =
                bounds.min.is_none_or(f64::is_finite) && bounds.max.is_none_or(f64::is_finite);
            if !finite || matches!((bounds.min, bounds.max), (Some(a), Some(b)) if a > b) {
                return Err(SpecError::Invalid(format!(
                    "bounds of `{column}` must be finite with min <= max"
                )));
            }
        }
        Ok(())
    }
}

/// Each interaction joins two different columns that have terms of their own, once.
fn check_interactions(terms: &[TermConfig], columns: &HashSet<&str>) -> Result<(), SpecError> {
    let mut pairs = BTreeSet::new();
    for term in terms {
        let TermConfig::Interaction { between: [a, b] } = term else {
            continue;
        };
        for side in [a, b] {
            if !columns.contains(side.as_str()) {
                return Err(SpecError::Invalid(format!(
                    "interaction {a}:{b} refers to `{side}`, which has no term of its own; \
                     add a term for it first"
                )));
            }
        }
        if a == b {
            return Err(SpecError::Invalid(format!(
                "interaction {a}:{b} multiplies a term by itself"
            )));
        }
        let key = if a < b { (a, b) } else { (b, a) };
        if !pairs.insert(key) {
            return Err(SpecError::Invalid(format!(
                "interaction {a}:{b} appears more than once"
            )));
        }
    }
    Ok(())
}

fn check_knots(column: &str, knots: &[f64], at_least: usize) -> Result<(), SpecError> {
    if knots.len() > MAX_KNOTS {
        return Err(SpecError::Invalid(format!(
            "term `{column}` has {} knots; at most {MAX_KNOTS} are allowed",
            knots.len()
        )));
    }
    if knots.len() < at_least {
        return Err(SpecError::Invalid(format!(
            "term `{column}` needs at least {at_least} knot(s), got {}",
            knots.len()
        )));
    }
    if knots.iter().any(|k| !k.is_finite()) || knots.windows(2).any(|w| w[0] >= w[1]) {
        return Err(SpecError::Invalid(format!(
            "term `{column}`: knots must be finite and strictly increasing, got {knots:?}"
        )));
    }
    Ok(())
}

fn check_levels(column: &str, reference: Option<&str>, levels: &[String]) -> Result<(), SpecError> {
    if levels.is_empty() || levels.len() > MAX_PINNED_LEVELS {
        return Err(SpecError::Invalid(format!(
            "term `{column}` pins {} levels; give from 1 to {MAX_PINNED_LEVELS}",
            levels.len()
        )));
    }
    let mut seen = HashSet::with_capacity(levels.len());
    for level in levels {
        if level.is_empty() {
            return Err(SpecError::Invalid(format!(
                "term `{column}` pins an empty level; levels are non-empty text"
            )));
        }
        if !seen.insert(level.as_str()) {
            return Err(SpecError::Invalid(format!(
                "term `{column}` pins the level {level:?} more than once"
            )));
        }
    }
    if let Some(reference) = reference.filter(|r| !seen.contains(r)) {
        return Err(SpecError::Invalid(format!(
            "term `{column}`: the reference level {reference:?} is not among its levels ({})",
            levels.join(", ")
        )));
    }
    Ok(())
}

/// A checked model specification.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    config: SpecConfig,
    /// A column read beside the model's own, naming each row's cluster (for a
    /// cluster-robust covariance); not part of the model.
    cluster: Option<String>,
}

impl Spec {
    /// The checked configuration.
    pub fn config(&self) -> &SpecConfig {
        &self.config
    }

    /// The bounds of a numeric column, if the spec gives any.
    pub fn bounds(&self, column: &str) -> Option<Bounds> {
        self.config.bounds.get(column).copied()
    }

    /// The pinned levels of a categorical column, if the spec pins them.
    pub fn pinned_levels(&self, column: &str) -> Option<&[String]> {
        self.config.terms.iter().find_map(|t| match t {
            TermConfig::Categorical {
                column: c,
                levels: Some(levels),
                ..
            } if c == column => Some(levels.as_slice()),
            _ => None,
        })
    }

    /// Most distinct levels a categorical column may have.
    pub fn max_levels(&self) -> usize {
        self.config.max_levels.unwrap_or(DEFAULT_MAX_LEVELS)
    }

    /// This spec, also reading `column` as each row's cluster label: a non-empty text,
    /// refused with its line and column when missing, as category levels are. The
    /// column may be a categorical term's; it may not be the outcome, the weights, the
    /// offset or a numeric, boolean or spline term's.
    pub fn with_cluster_column(mut self, column: &str) -> Result<Spec, SpecError> {
        let config = &self.config;
        let numeric_term = config
            .terms
            .iter()
            .any(|t| t.column() == Some(column) && !matches!(t, TermConfig::Categorical { .. }));
        let role = if column == config.outcome {
            Some("the outcome")
        } else if config.weights.as_deref() == Some(column) {
            Some("the weights")
        } else if config.offset.as_deref() == Some(column) {
            Some("the offset")
        } else if numeric_term {
            Some("a numeric, boolean or spline term")
        } else {
            None
        };
        if let Some(role) = role {
            return Err(SpecError::Invalid(format!(
                "the cluster column `{column}` is {role}; name a column of cluster labels \
                 (a categorical term's column is allowed)"
            )));
        }
        if column.is_empty() {
            return Err(SpecError::Invalid(
                "the cluster column's name is empty".into(),
            ));
        }
        self.cluster = Some(column.to_string());
        Ok(self)
    }

    /// The cluster column, when [`Spec::with_cluster_column`] named one.
    pub fn cluster_column(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// Every CSV column the model reads (outcome first, then terms, weights, offset).
    pub fn columns(&self) -> Vec<&str> {
        let mut columns = vec![self.config.outcome.as_str()];
        columns.extend(self.config.terms.iter().filter_map(TermConfig::column));
        columns.extend(self.config.weights.as_deref());
        columns.extend(self.config.offset.as_deref());
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Spec, SpecError> {
        SpecConfig::from_toml("t.toml", text)?.check()
    }

    #[test]
    fn a_full_spec_parses_and_round_trips() {
        let text = r#"
outcome = "y"
weights = "w"
[[term]]
kind = "numeric"
column = "a"
transform = "log1p"
[[term]]
kind = "rcs"
column = "b"
k = 5
[[term]]
kind = "spline"
column = "c"
knots = [1.0, 2.0]
[[term]]
kind = "boolean"
column = "d"
[[term]]
kind = "categorical"
column = "e"
reference = "x"
[[term]]
kind = "interaction"
between = ["d", "e"]
[bounds]
a = { min = 0, max = 10, integer = true }
"#;
        let spec = parse(text).unwrap();
        assert_eq!(spec.columns(), vec!["y", "a", "b", "c", "d", "e", "w"]);
        assert!(spec.config().intercept);
        let again = SpecConfig::from_toml("again", &spec.config().to_toml()).unwrap();
        assert_eq!(&again, spec.config());
    }

    #[test]
    fn large_specs_are_bounded_and_checked_in_linear_time() {
        let mut text = String::from("outcome = \"y\"\n");
        for i in 0..=MAX_TERMS {
            text += &format!("[[term]]\nkind = \"numeric\"\ncolumn = \"x{i}\"\n");
        }
        let message = parse(&text).unwrap_err().to_string();
        assert!(message.contains("at most 2000 are allowed"), "{message}");
        let knots: Vec<String> = (0..=MAX_KNOTS).map(|k| k.to_string()).collect();
        let text = format!(
            "outcome = \"y\"\n[[term]]\nkind = \"spline\"\ncolumn = \"a\"\nknots = [{}]\n",
            knots.join(", ")
        );
        let message = parse(&text).unwrap_err().to_string();
        assert!(message.contains("101 knots; at most 100"), "{message}");
    }

    #[test]
    fn pinned_levels_are_kept_and_looked_up() {
        let spec = parse(
            "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"a\"\nlevels = [\"q\", \"p\"]\nreference = \"p\"\n",
        )
        .unwrap();
        assert_eq!(
            spec.pinned_levels("a"),
            Some(&["q".to_string(), "p".to_string()][..])
        );
        assert_eq!(spec.pinned_levels("b"), None);
        assert_eq!(spec.max_levels(), DEFAULT_MAX_LEVELS);
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"a\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"a\"\n", "more than one term"),
            ("outcome = \"y\"\n[[term]]\nkind = \"interaction\"\nbetween = [\"a\", \"b\"]\n", "no term of its own"),
            ("outcome = \"y\"\n[[term]]\nkind = \"rcs\"\ncolumn = \"a\"\nk = 9\n", "k from 3 to 7"),
            ("outcome = \"y\"\n[[term]]\nkind = \"spline\"\ncolumn = \"a\"\nknots = [2.0, 1.0]\n", "strictly increasing"),
            ("outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"y\"\n", "is the outcome"),
            ("outcome = \"y\"\nintercept = false\n", "neither an intercept"),
            ("outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"a\"\n[bounds]\na = { min = 0 }\n", "not a numeric term"),
            ("outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"a\"\n[bounds]\na = { min = 2, max = 1 }\n", "min <= max"),
            ("outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"a\"\nlevels = [\"p\", \"q\"]\nreference = \"r\"\n", "reference level \"r\" is not among its levels (p, q)"),
            ("outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"a\"\nlevels = [\"p\", \"p\"]\n", "pins the level \"p\" more than once"),
            ("outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"a\"\nlevels = []\n", "pins 0 levels"),
            ("outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"a\"\n[[lever]]\ncolumn = \"b\"\nto = [{ value = \"true\", words = \"w\" }]\n", "a lever moves `b`, which is not a term column"),
            ("outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"a\"\n[[lever]]\ncolumn = \"a\"\nkind = \"wait\"\nwords = \"w\"\nto = [{ value = \"3\", words = \"w\" }]\n", "needs a numeric column"),
            ("outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"a\"\n[[lever]]\ncolumn = \"a\"\nto = []\n", "has no `to` values"),
            ("outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"a\"\n[[caution]]\nwhen = { c = [\"x\"] }\nwords = \"w\"\n", "a caution reads `c`"),
            ("outcome = \"y\"\nmax_levels = 1\n[[term]]\nkind = \"categorical\"\ncolumn = \"a\"\n", "max_levels = 1: allowed from 2"),
        ];
        for (text, expected) in cases {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
        let message = parse("outcome = \"y\"\n[[term]]\nkind = \"numerc\"\ncolumn = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("t.toml") && message.contains("numerc"),
            "{message}"
        );
    }
}
