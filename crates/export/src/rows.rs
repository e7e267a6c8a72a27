//! A table's rows in SQL, read the way `recontact fit` reads a CSV file: the same
//! problems for the same fields, the same values for the rows kept, and the design
//! columns of an encoding.
//!
//! The pieces are expressions over one row of a table (or a query), for an engine to
//! aggregate: [`field_problems`] gives, for every column a spec reads, a condition per
//! kind of problem (empty, not a number, out of range, an unknown level, …), mutually
//! exclusive for one field and never NULL, so that counting rows where one holds counts
//! the rows the CSV reader would report with that problem; [`row_values`] gives the
//! outcome, weight and offset of a row without problems; [`design_columns`] gives its
//! design columns. Columns are read as text and parsed with the scorer's grammar
//! (see [`crate::sql`]), so a typed column and its text give the same values.

use recontact_input::error::DataProblem;
use recontact_model::encoding::{EncodedTerm, Encoding};
use recontact_model::spec::{Bounds, Spec, SpecConfig, TermConfig, Transform};

use crate::sql::{Dialect, Shape, Writer};
use crate::ExportError;

/// One kind of problem a column's field can have, as an SQL condition over a row.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    /// The column.
    pub column: String,
    /// The problem, as the CSV reader names it.
    pub problem: DataProblem,
    /// True exactly when the row's field has this problem (never NULL).
    pub condition: String,
}

impl FieldProblem {
    /// The key the CSV reader counts a dropped row's problem under (`column: problem`),
    /// so that a model's record of dropped rows reads the same whatever the source.
    ///
    /// ```rust
    /// use recontact_export::rows::FieldProblem;
    /// use recontact_input::error::DataProblem;
    /// let problem = FieldProblem { column: "age".into(), problem: DataProblem::Empty, condition: String::new() };
    /// assert_eq!(problem.reason(), "age: value is empty");
    /// ```
    pub fn reason(&self) -> String {
        format!("{}: {}", self.column, self.problem.describe())
    }
}

/// The values of a row without problems.
#[derive(Debug, Clone, PartialEq)]
pub struct RowValues {
    /// The outcome, 0 or 1.
    pub outcome: String,
    /// The frequency weight (`1` without a weights column).
    pub weight: String,
    /// The offset (`0` without an offset column).
    pub offset: String,
}

/// How a column is read, as in the CSV reader.
#[derive(Clone, Copy)]
enum Reading<'a> {
    Outcome,
    Weight,
    Number {
        log1p: bool,
        bounds: Option<&'a Bounds>,
    },
    Boolean,
    Level(Option<&'a [String]>),
}

/// The columns a spec reads, in the order the CSV reader checks them, each with how.
fn readings(spec: &Spec) -> Vec<(&str, Reading<'_>)> {
    let config = spec.config();
    let mut out = vec![(config.outcome.as_str(), Reading::Outcome)];
    if let Some(weights) = &config.weights {
        out.push((weights, Reading::Weight));
    }
    if let Some(offset) = &config.offset {
        let bounds = config.bounds.get(offset);
        out.push((
            offset,
            Reading::Number {
                log1p: false,
                bounds,
            },
        ));
    }
    for term in &config.terms {
        let reading = match term {
            TermConfig::Numeric { column, transform } => (
                column,
                Reading::Number {
                    log1p: *transform == Transform::Log1p,
                    bounds: config.bounds.get(column),
                },
            ),
            TermConfig::Spline { column, .. } | TermConfig::Rcs { column, .. } => (
                column,
                Reading::Number {
                    log1p: false,
                    bounds: config.bounds.get(column),
                },
            ),
            TermConfig::Boolean { column } => (column, Reading::Boolean),
            TermConfig::Categorical { column, .. } => {
                (column, Reading::Level(spec.pinned_levels(column)))
            }
            TermConfig::Interaction { .. } => continue,
        };
        out.push((reading.0.as_str(), reading.1));
    }
    out
}

/// Every problem a field of the columns `spec` reads can have, with its condition.
///
/// ```rust
/// use recontact_export::{rows::field_problems, Dialect};
/// use recontact_input::error::DataProblem;
/// use recontact_model::SpecConfig;
/// let toml = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n";
/// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
/// let problems = field_problems(&spec, Dialect::Sqlite)?;
/// let kinds: Vec<_> = problems.iter().map(|p| (p.column.as_str(), p.problem.describe())).collect();
/// assert_eq!(kinds, [("y", "value is empty".to_string()), ("y", "not an outcome".into()),
///     ("x", "value is empty".into()), ("x", "not a finite number".into())]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn field_problems(spec: &Spec, dialect: Dialect) -> Result<Vec<FieldProblem>, ExportError> {
    let writer = Writer { dialect };
    let mut out = Vec::new();
    for (name, reading) in readings(spec) {
        let column = writer.identifier(name, "column name")?;
        for (problem, condition) in writer.problems(&column, reading)? {
            out.push(FieldProblem {
                column: name.to_string(),
                problem,
                condition,
            });
        }
    }
    Ok(out)
}

/// For each column `spec` reads, the condition (never NULL) under which its field has
/// none of the [`field_problems`]: the same rows, with one spelling check per field
/// instead of one per kind of problem, for queries over the rows kept.
///
/// ```rust
/// use recontact_export::{rows::accepted_fields, Dialect};
/// use recontact_model::SpecConfig;
/// let toml = "outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"b\"\n";
/// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
/// let accepted = accepted_fields(&spec, Dialect::Postgres)?;
/// assert_eq!(accepted.len(), 2);
/// assert!(accepted[1].contains("LOWER(CAST(\"b\" AS TEXT)) IN ('true', 'false', '1', '0', 'yes', 'no')"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn accepted_fields(spec: &Spec, dialect: Dialect) -> Result<Vec<String>, ExportError> {
    let writer = Writer { dialect };
    readings(spec)
        .into_iter()
        .map(|(name, reading)| writer.accepted(&writer.identifier(name, "column name")?, reading))
        .collect()
}

/// The outcome, weight and offset of a row without problems.
///
/// ```rust
/// use recontact_export::{rows::row_values, Dialect};
/// use recontact_model::SpecConfig;
/// let toml = "outcome = \"y\"\nweights = \"w\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n";
/// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
/// let values = row_values(&spec, Dialect::Postgres)?;
/// assert_eq!(values.weight, "CAST(\"w\" AS DOUBLE PRECISION)");
/// assert_eq!(values.offset, "0e0::float8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn row_values(spec: &Spec, dialect: Dialect) -> Result<RowValues, ExportError> {
    let writer = Writer { dialect };
    let config = spec.config();
    let outcome = writer.identifier(&config.outcome, "outcome column")?;
    let lower = format!("LOWER({})", writer.text_of(&outcome));
    let outcome = format!(
        "CASE WHEN {lower} IN ({}) THEN {one} WHEN {lower} IN ({}) THEN {zero} ELSE {} END",
        writer.boolean_words(&["true", "1", "yes"])?,
        writer.boolean_words(&["false", "0", "no"])?,
        writer.double_of(&outcome),
        one = writer.number(1.0),
        zero = writer.number(0.0),
    );
    let value_of = |name: &Option<String>, what: &str, default: f64| match name {
        Some(name) => Ok(writer.double_of(&writer.identifier(name, what)?)),
        None => Ok(writer.number(default)),
    };
    Ok(RowValues {
        outcome,
        weight: value_of(&config.weights, "weights column", 1.0)?,
        offset: value_of(&config.offset, "offset column", 0.0)?,
    })
}

/// The design columns of `encoding` for a row without problems, in design order (the
/// intercept's `1` first when it has one; `spec` gives the bounds): the expressions `recontact export` writes,
/// so their values are the scorer's to a unit or two in the last place.
///
/// ```rust
/// use recontact_export::{rows::design_columns, Dialect};
/// use recontact_model::Model;
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let columns = design_columns(&model.encoding, &model.spec, Dialect::Duckdb)?;
/// assert_eq!(columns.len(), model.encoding.names().len());
/// assert_eq!(columns[0], "1e0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn design_columns(
    encoding: &Encoding,
    spec: &SpecConfig,
    dialect: Dialect,
) -> Result<Vec<String>, ExportError> {
    let writer = Writer { dialect };
    let bounds = &spec.bounds;
    let mut shapes: Vec<(&str, Vec<String>)> = Vec::new();
    for term in &encoding.terms {
        let Some(column) = term.column_name() else {
            continue;
        };
        let (shape, _) = writer.main_term(term, bounds.get(column))?;
        shapes.push((column, writer.components(shape)));
    }
    let components_of = |name: &str| {
        shapes
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, c)| c)
            .ok_or_else(|| {
                ExportError::Model(format!(
                    "an interaction refers to `{name}`, which has no term"
                ))
            })
    };
    let mut out = Vec::new();
    if encoding.intercept {
        out.push(writer.number(1.0));
    }
    for term in &encoding.terms {
        match term {
            EncodedTerm::Interaction { between: [a, b] } => {
                for left in components_of(a)? {
                    for right in components_of(b)? {
                        out.push(format!("({left}) * ({right})"));
                    }
                }
            }
            other => {
                let column = other.column_name().unwrap_or_default();
                out.extend(components_of(column)?.iter().cloned());
            }
        }
    }
    Ok(out)
}

/// The text of a number that reads back as the same double: what an engine's answers
/// are written with (SQLite's own text form keeps only 15 digits).
///
/// ```rust
/// use recontact_export::{rows::exact_text, Dialect};
/// assert_eq!(exact_text("SUM(x)", Dialect::Sqlite), "printf('%!.17g', SUM(x))");
/// assert_eq!(exact_text("SUM(x)", Dialect::Spark), "CAST(SUM(x) AS STRING)");
/// ```
pub fn exact_text(expression: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => format!("printf('%!.17g', {expression})"),
        Dialect::Postgres => format!("CAST({expression} AS TEXT)"),
        Dialect::Duckdb => format!("CAST({expression} AS VARCHAR)"),
        Dialect::Spark => format!("CAST({expression} AS STRING)"),
    }
}

/// A column's text (as the CSV reader would see it) in hexadecimal UTF-8: one token an
/// engine's client prints unchanged, whatever characters the text holds.
///
/// ```rust
/// use recontact_export::{rows::hex_of_column, Dialect};
/// assert_eq!(hex_of_column("g", Dialect::Sqlite)?, "HEX(CAST(\"g\" AS TEXT))");
/// # Ok::<(), recontact_export::ExportError>(())
/// ```
pub fn hex_of_column(column: &str, dialect: Dialect) -> Result<String, ExportError> {
    let writer = Writer { dialect };
    let text = writer.text_of(&writer.identifier(column, "column name")?);
    Ok(match dialect {
        Dialect::Postgres => format!("ENCODE(CONVERT_TO({text}, 'UTF8'), 'hex')"),
        Dialect::Sqlite | Dialect::Duckdb | Dialect::Spark => format!("HEX({text})"),
    })
}

/// A double literal the engine reads as exactly `value`.
///
/// ```rust
/// use recontact_export::{rows::number_literal, Dialect};
/// assert_eq!(number_literal(-0.25, Dialect::Duckdb), "(-2.5e-1)");
/// ```
pub fn number_literal(value: f64, dialect: Dialect) -> String {
    Writer { dialect }.number(value)
}

/// The `FROM` item for a source: a table name (parts separated by dots, each quoted) or,
/// when the text holds a space or starts with `(`, a query, wrapped and named.
///
/// ```rust
/// use recontact_export::{rows::source, Dialect};
/// assert_eq!(source("crm.cases", Dialect::Postgres)?, "\"crm\".\"cases\"");
/// assert_eq!(source("SELECT * FROM t WHERE y IS NOT NULL", Dialect::Sqlite)?,
///     "(SELECT * FROM t WHERE y IS NOT NULL) AS recontact_source");
/// # Ok::<(), recontact_export::ExportError>(())
/// ```
pub fn source(table_or_query: &str, dialect: Dialect) -> Result<String, ExportError> {
    let writer = Writer { dialect };
    let text = table_or_query.trim();
    if text.starts_with('(') || text.contains(char::is_whitespace) {
        let query = text.trim_end_matches(';');
        return Ok(format!("({query}) AS recontact_source"));
    }
    Ok(text
        .split('.')
        .map(|part| writer.identifier(part, "table name"))
        .collect::<Result<Vec<_>, _>>()?
        .join("."))
}

impl Writer {
    /// The condition for a field of `column` read as `reading` to have no problem.
    fn accepted(&self, column: &str, reading: Reading<'_>) -> Result<String, ExportError> {
        let text = self.text_of(column);
        let x = self.double_of(column);
        let empty = format!("{text} IS NULL OR {text} = ''");
        let words = self.boolean_words(&["true", "false", "1", "0", "yes", "no"])?;
        let as_case = |condition: String| {
            format!("CASE WHEN {empty} THEN FALSE WHEN {condition} THEN TRUE ELSE FALSE END")
        };
        Ok(match reading {
            Reading::Number { log1p, bounds } => self.number_valid(column, log1p, bounds),
            Reading::Weight => format!(
                "CASE WHEN {} THEN ABS({x}) <= {} AND {x} >= {} ELSE FALSE END",
                self.spelled_as_number(&text),
                self.number(f64::MAX),
                self.number(0.0)
            ),
            Reading::Outcome => format!(
                "CASE WHEN {empty} THEN FALSE WHEN LOWER({text}) IN ({words}) THEN TRUE \
                 WHEN {} THEN ABS({x}) <= {} AND ({x} = {} OR {x} = {}) ELSE FALSE END",
                self.spelled_as_number(&text),
                self.number(f64::MAX),
                self.number(0.0),
                self.number(1.0)
            ),
            Reading::Boolean => as_case(format!("LOWER({text}) IN ({words})")),
            Reading::Level(Some(levels)) => {
                let literals: Result<Vec<String>, ExportError> =
                    levels.iter().map(|l| self.string(l, "level")).collect();
                as_case(format!("{text} IN ({})", literals?.join(", ")))
            }
            Reading::Level(None) => as_case("TRUE".into()),
        })
    }

    /// The design components of a main term's shape (a category's indicators).
    fn components(&self, shape: Shape) -> Vec<String> {
        match shape {
            Shape::Components(components) => components,
            Shape::Levels { text, levels } => levels
                .iter()
                .map(|level| {
                    format!(
                        "CASE WHEN {text} = {level} THEN {} ELSE {} END",
                        self.number(1.0),
                        self.number(0.0)
                    )
                })
                .collect(),
        }
    }

    /// Each problem a field of `column` read as `reading` can have, with its condition:
    /// at most one holds, in the CSV reader's order of checks.
    fn problems(
        &self,
        column: &str,
        reading: Reading<'_>,
    ) -> Result<Vec<(DataProblem, String)>, ExportError> {
        let text = self.text_of(column);
        let x = self.double_of(column);
        let empty = format!("{text} IS NULL OR {text} = ''");
        let spelled = self.spelled_as_number(&text);
        let finite = format!("ABS({x}) <= {}", self.number(f64::MAX));
        // A condition on a field's number: false for an empty field or one that is no
        // finite number (the cast sits behind the spelling check: see `number_valid`).
        let when_number = |condition: &str| {
            format!(
                "CASE WHEN {empty} THEN FALSE WHEN {spelled} THEN ({finite} AND ({condition})) \
                 ELSE FALSE END"
            )
        };
        let not_a_number = format!(
            "CASE WHEN {empty} THEN FALSE WHEN {spelled} THEN NOT ({finite}) ELSE TRUE END"
        );
        let unless_empty = |condition: String| {
            format!("CASE WHEN {empty} THEN FALSE WHEN {condition} THEN TRUE ELSE FALSE END")
        };
        let mut out = vec![(
            DataProblem::Empty,
            format!("CASE WHEN {empty} THEN TRUE ELSE FALSE END"),
        )];
        match reading {
            Reading::Outcome => {
                let words = self.boolean_words(&["true", "false", "1", "0", "yes", "no"])?;
                let zero_or_one = when_number(&format!(
                    "{x} = {} OR {x} = {}",
                    self.number(0.0),
                    self.number(1.0)
                ));
                out.push((
                    DataProblem::NotAnOutcome,
                    unless_empty(format!("NOT (LOWER({text}) IN ({words}) OR {zero_or_one})")),
                ));
            }
            Reading::Weight => {
                out.push((DataProblem::NotANumber, not_a_number));
                out.push((
                    DataProblem::NegativeWeight,
                    when_number(&format!("{x} < {}", self.number(0.0))),
                ));
            }
            Reading::Number { log1p, bounds } => {
                out.push((DataProblem::NotANumber, not_a_number));
                let minus_one = self.number(-1.0);
                let mut passed = vec!["TRUE".to_string()];
                if log1p {
                    out.push((
                        DataProblem::OutsideTransform,
                        when_number(&format!("{x} <= {minus_one}")),
                    ));
                    passed.push(format!("{x} > {minus_one}"));
                }
                if let Some(bounds) = bounds {
                    self.bound_problems(&x, bounds, &mut passed, &mut out, &when_number);
                }
            }
            Reading::Boolean => {
                let words = self.boolean_words(&["true", "false", "1", "0", "yes", "no"])?;
                out.push((
                    DataProblem::NotABoolean,
                    unless_empty(format!("LOWER({text}) NOT IN ({words})")),
                ));
            }
            Reading::Level(pinned) => {
                if let Some(levels) = pinned {
                    let literals: Result<Vec<String>, ExportError> =
                        levels.iter().map(|l| self.string(l, "level")).collect();
                    out.push((
                        DataProblem::UnknownLevel,
                        unless_empty(format!("{text} NOT IN ({})", literals?.join(", "))),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// A whole-number check, then the range, each after the checks `passed` so far.
    fn bound_problems(
        &self,
        x: &str,
        bounds: &Bounds,
        passed: &mut Vec<String>,
        out: &mut Vec<(DataProblem, String)>,
        when_number: &dyn Fn(&str) -> String,
    ) {
        if bounds.integer {
            let condition = format!("{} AND {x} <> FLOOR({x})", passed.join(" AND "));
            out.push((DataProblem::NotAnInteger, when_number(&condition)));
            passed.push(format!("{x} = FLOOR({x})"));
        }
        let mut outside = Vec::new();
        if let Some(min) = bounds.min {
            outside.push(format!("{x} < {}", self.number(min)));
        }
        if let Some(max) = bounds.max {
            outside.push(format!("{x} > {}", self.number(max)));
        }
        if !outside.is_empty() {
            let condition = format!("{} AND ({})", passed.join(" AND "), outside.join(" OR "));
            out.push((DataProblem::OutOfRange, when_number(&condition)));
        }
    }
}

/// A numeric column's value in a row without problems (its text parsed as the CSV
/// reader parses it).
///
/// ```rust
/// use recontact_export::{rows::number_of_column, Dialect};
/// assert_eq!(number_of_column("age", Dialect::Duckdb)?, "TRY_CAST(\"age\" AS DOUBLE)");
/// # Ok::<(), recontact_export::ExportError>(())
/// ```
pub fn number_of_column(column: &str, dialect: Dialect) -> Result<String, ExportError> {
    let writer = Writer { dialect };
    Ok(writer.double_of(&writer.identifier(column, "column name")?))
}

/// A design column as a discrete factor (a product of indicators, 1 when empty) times a
/// continuous one (`None` for 1): the shape that lets an engine sum by groups of the
/// discrete columns' values instead of row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignPart {
    /// The indicators whose product is the discrete factor.
    pub indicators: Vec<Indicator>,
    /// The continuous factor's expression (as in [`design_columns`]), if any.
    pub continuous: Option<String>,
}

/// An indicator of a discrete column's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indicator {
    /// A category's column holds this level.
    Level {
        /// The column.
        column: String,
        /// The level.
        level: String,
    },
    /// A boolean column is true.
    True {
        /// The column.
        column: String,
    },
}

/// The design columns of `encoding` (intercept first) as [`DesignPart`]s, in design order.
///
/// ```rust
/// use recontact_export::rows::{design_parts, Indicator};
/// use recontact_export::Dialect;
/// use recontact_model::Model;
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let parts = design_parts(&model.encoding, &model.spec, Dialect::Sqlite)?;
/// assert_eq!(parts.len(), model.encoding.names().len());
/// assert!(parts[0].indicators.is_empty() && parts[0].continuous.is_none()); // the intercept
/// assert_eq!(parts[1].indicators, [Indicator::Level {
///     column: "contact_type".into(), level: "corporate_recruiter".into() }]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn design_parts(
    encoding: &Encoding,
    spec: &SpecConfig,
    dialect: Dialect,
) -> Result<Vec<DesignPart>, ExportError> {
    let writer = Writer { dialect };
    let mut mains: Vec<(&str, Vec<DesignPart>)> = Vec::new();
    for term in &encoding.terms {
        let Some(column) = term.column_name() else {
            continue;
        };
        let part = |indicators: Vec<Indicator>, continuous: Option<String>| DesignPart {
            indicators,
            continuous,
        };
        let parts = match term {
            EncodedTerm::Categorical {
                levels, reference, ..
            } => levels
                .iter()
                .filter(|l| *l != reference)
                .map(|level| {
                    let indicator = Indicator::Level {
                        column: column.to_string(),
                        level: level.clone(),
                    };
                    part(vec![indicator], None)
                })
                .collect(),
            EncodedTerm::Boolean { .. } => vec![part(
                vec![Indicator::True {
                    column: column.to_string(),
                }],
                None,
            )],
            _ => {
                let (shape, _) = writer.main_term(term, spec.bounds.get(column))?;
                let components = writer.components(shape);
                components
                    .into_iter()
                    .map(|c| part(Vec::new(), Some(c)))
                    .collect()
            }
        };
        mains.push((column, parts));
    }
    let parts_of = |name: &str| {
        mains
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, parts)| parts)
            .ok_or_else(|| {
                ExportError::Model(format!(
                    "an interaction refers to `{name}`, which has no term"
                ))
            })
    };
    let mut out = Vec::new();
    if encoding.intercept {
        out.push(DesignPart {
            indicators: Vec::new(),
            continuous: None,
        });
    }
    for term in &encoding.terms {
        match term {
            EncodedTerm::Interaction { between: [a, b] } => {
                for left in parts_of(a)? {
                    for right in parts_of(b)? {
                        out.push(product(left, right));
                    }
                }
            }
            other => out.extend(
                parts_of(other.column_name().unwrap_or_default())?
                    .iter()
                    .cloned(),
            ),
        }
    }
    Ok(out)
}

/// The part of a product of two design columns.
fn product(left: &DesignPart, right: &DesignPart) -> DesignPart {
    let mut indicators = left.indicators.clone();
    indicators.extend(right.indicators.iter().cloned());
    let continuous = match (&left.continuous, &right.continuous) {
        (Some(a), Some(b)) => Some(format!("({a}) * ({b})")),
        (Some(a), None) | (None, Some(a)) => Some(a.clone()),
        (None, None) => None,
    };
    DesignPart {
        indicators,
        continuous,
    }
}

/// A discrete column's value as a group key: a category's text in hexadecimal (as
/// [`hex_of_column`]), a boolean's `'1'` or `'0'` (the scorer's reading of it).
///
/// ```rust
/// use recontact_export::{rows::group_key, Dialect};
/// assert_eq!(group_key("g", false, Dialect::Duckdb)?, "HEX(CAST(\"g\" AS VARCHAR))");
/// assert!(group_key("b", true, Dialect::Duckdb)?.starts_with("CASE WHEN LOWER("));
/// # Ok::<(), recontact_export::ExportError>(())
/// ```
pub fn group_key(column: &str, boolean: bool, dialect: Dialect) -> Result<String, ExportError> {
    if !boolean {
        return hex_of_column(column, dialect);
    }
    let writer = Writer { dialect };
    let text = writer.text_of(&writer.identifier(column, "column name")?);
    Ok(format!(
        "CASE WHEN LOWER({text}) IN ({}) THEN '1' ELSE '0' END",
        writer.boolean_words(&["true", "1", "yes"])?
    ))
}
