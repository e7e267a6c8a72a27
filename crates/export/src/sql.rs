//! The model as one SQL `SELECT` that appends the probability to every row of a table.
//!
//! The statement reads the table's columns as text, the way `recontact score` reads CSV
//! fields, so it parses numbers, booleans and levels with the scorer's rules and gives
//! NULL, never a wrong number, for a row the scorer would reject. Coefficients and knots
//! are written with every digit needed to give back the same `f64`, and the arithmetic
//! repeats the scorer's operations, so an engine with IEEE doubles agrees with
//! `recontact score` to a few units in the last place.

use std::fmt::Write as _;

use crate::{rcs_constants, split_coefficients, ExportError};
use recontact_model::encoding::EncodedTerm;
use recontact_model::model::Model;
use recontact_model::spec::{Bounds, Transform};

/// The SQL engine a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// SQLite 3.35 or later with its math functions (`EXP`, `LN`, `FLOOR`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// DuckDB.
    #[default]
    Duckdb,
    /// Spark SQL 3.2 or later (for `TRY_CAST`).
    Spark,
}

impl Dialect {
    /// The dialect's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
        }
    }
}

/// What to write: the dialect, the table to read and the name of the appended column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlOptions {
    /// The engine.
    pub dialect: Dialect,
    /// The table, optionally qualified with dots (`schema.cases`); each part is quoted.
    pub table: String,
    /// The name of the appended probability column.
    pub column: String,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            dialect: Dialect::default(),
            table: "cases".to_string(),
            column: "p_success".to_string(),
        }
    }
}

/// The grammar of Rust's `f64::from_str` for finite numbers, which the scorer uses:
/// no spaces, no `inf`/`nan`, no hexadecimal, no digit separators.
const NUMBER_PATTERN: &str = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?";

/// How one main term enters: through its components, or (a category) by level.
pub(crate) enum Shape {
    /// Design-column expressions, in order.
    Components(Vec<String>),
    /// The column as text and the literals of the non-reference levels, in order.
    Levels { text: String, levels: Vec<String> },
}

pub(crate) struct Writer {
    pub(crate) dialect: Dialect,
}

impl Writer {
    pub(crate) fn identifier(&self, name: &str, what: &str) -> Result<String, ExportError> {
        let unrepresentable = |reason: &str| ExportError::Unrepresentable {
            what: what.to_string(),
            value: name.to_string(),
            reason: reason.to_string(),
        };
        if name.is_empty() {
            return Err(unrepresentable("an SQL identifier cannot be empty"));
        }
        if name.contains('\0') {
            return Err(unrepresentable(
                "an SQL identifier cannot hold a NUL character",
            ));
        }
        Ok(match self.dialect {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        })
    }

    pub(crate) fn string(&self, text: &str, what: &str) -> Result<String, ExportError> {
        if text.contains('\0') {
            return Err(ExportError::Unrepresentable {
                what: what.to_string(),
                value: text.to_string(),
                reason: "an SQL string literal cannot hold a NUL character".to_string(),
            });
        }
        Ok(match self.dialect {
            // Spark's string literals take backslash escapes and read '' as two adjacent
            // literals (concatenated), not as an escaped quote.
            Dialect::Spark => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", text.replace('\'', "''")),
        })
    }

    /// A double literal. The exponent form keeps DuckDB and Spark from reading a
    /// DECIMAL, and PostgreSQL's cast from its NUMERIC literal rounds once, to the
    /// same double; Rust's shortest round-trip digits make that double the model's.
    pub(crate) fn number(&self, value: f64) -> String {
        let digits = format!("{:e}", value + 0.0);
        let literal = match self.dialect {
            Dialect::Postgres => format!("{digits}::float8"),
            _ => digits,
        };
        if value < 0.0 {
            format!("({literal})")
        } else {
            literal
        }
    }

    pub(crate) fn text_of(&self, column: &str) -> String {
        let ty = match self.dialect {
            Dialect::Sqlite | Dialect::Postgres => "TEXT",
            Dialect::Duckdb => "VARCHAR",
            Dialect::Spark => "STRING",
        };
        format!("CAST({column} AS {ty})")
    }

    pub(crate) fn double_of(&self, column: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("CAST({column} AS REAL)"),
            Dialect::Postgres => format!("CAST({column} AS DOUBLE PRECISION)"),
            Dialect::Duckdb | Dialect::Spark => format!("TRY_CAST({column} AS DOUBLE)"),
        }
    }

    pub(crate) fn greatest(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("MAX({a}, {b})"),
            _ => format!("GREATEST({a}, {b})"),
        }
    }

    pub(crate) fn least(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("MIN({a}, {b})"),
            _ => format!("LEAST({a}, {b})"),
        }
    }

    /// Whether `text` is spelled as the scorer's number grammar allows.
    pub(crate) fn spelled_as_number(&self, text: &str) -> String {
        match self.dialect {
            // SQLite has no regular expressions; these GLOBs accept exactly the same
            // strings: only number characters, at most one `e` and one `.`, no `.` in
            // the exponent, signs only first or right after `e`, a digit among the first
            // three characters of the mantissa, and digits after the exponent's sign.
            Dialect::Sqlite => [
                format!("{text} NOT GLOB '*[^0-9.eE+-]*'"),
                format!("{text} NOT GLOB '*[eE]*[eE]*'"),
                format!("{text} NOT GLOB '*.*.*'"),
                format!("{text} NOT GLOB '*[eE]*.*'"),
                format!("{text} NOT GLOB '*[^eE][+-]*'"),
                format!("{text} NOT GLOB '*[eE]'"),
                format!("{text} NOT GLOB '*[eE][+-]'"),
                format!(
                    "({text} GLOB '[0-9]*' OR {text} GLOB '[+-][0-9]*' OR {text} GLOB '.[0-9]*' \
                     OR {text} GLOB '[+-].[0-9]*')"
                ),
            ]
            .join(" AND "),
            Dialect::Postgres => format!("{text} ~ '^{NUMBER_PATTERN}$'"),
            Dialect::Duckdb => format!("regexp_full_match({text}, '{NUMBER_PATTERN}')"),
            // Java's `$` also matches before a final newline; `\z` only at the end.
            Dialect::Spark => format!("{text} RLIKE '^{NUMBER_PATTERN}\\\\z'"),
        }
    }

    /// The condition under which the scorer accepts a number column, with `x` its value.
    /// The checks on `x` sit inside a CASE after the spelling check, because PostgreSQL
    /// does not promise to evaluate AND from left to right and its cast raises an error
    /// on text that is not a number.
    pub(crate) fn number_valid(
        &self,
        column: &str,
        log1p: bool,
        bounds: Option<&Bounds>,
    ) -> String {
        let text = self.text_of(column);
        let x = self.double_of(column);
        let mut checks = vec![format!("ABS({x}) <= {}", self.number(f64::MAX))];
        if log1p {
            checks.push(format!("{x} > {}", self.number(-1.0)));
        }
        if let Some(bounds) = bounds {
            if bounds.integer {
                checks.push(format!("{x} = FLOOR({x})"));
            }
            if let Some(min) = bounds.min {
                checks.push(format!("{x} >= {}", self.number(min)));
            }
            if let Some(max) = bounds.max {
                checks.push(format!("{x} <= {}", self.number(max)));
            }
        }
        format!(
            "CASE WHEN {} THEN {} ELSE FALSE END",
            self.spelled_as_number(&text),
            checks.join(" AND ")
        )
    }

    pub(crate) fn boolean_words(&self, words: &[&str]) -> Result<String, ExportError> {
        let literals: Result<Vec<String>, ExportError> = words
            .iter()
            .map(|w| self.string(w, "boolean word"))
            .collect();
        Ok(literals?.join(", "))
    }

    /// The shape of a main term and the condition under which the scorer accepts it.
    pub(crate) fn main_term(
        &self,
        term: &EncodedTerm,
        bounds: Option<&Bounds>,
    ) -> Result<(Shape, String), ExportError> {
        let column_name = match term {
            EncodedTerm::Numeric { column, .. }
            | EncodedTerm::Spline { column, .. }
            | EncodedTerm::Rcs { column, .. }
            | EncodedTerm::Boolean { column }
            | EncodedTerm::Categorical { column, .. } => column,
            EncodedTerm::Interaction { .. } => {
                return Err(ExportError::Model(
                    "an interaction is not a main term".to_string(),
                ))
            }
        };
        let column = self.identifier(column_name, "column name")?;
        let x = self.double_of(&column);
        let minus = |knot: f64| format!("({x} - {})", self.number(knot));
        Ok(match term {
            EncodedTerm::Numeric { transform, .. } => {
                let log1p = *transform == Transform::Log1p;
                let value = if log1p {
                    // ln(1 + x) differs from log1p(x) by at most one rounding of 1 + x,
                    // an absolute error below 1.2e-16: far inside the agreement promised.
                    format!("LN({} + {x})", self.number(1.0))
                } else {
                    x.clone()
                };
                (
                    Shape::Components(vec![value]),
                    self.number_valid(&column, log1p, bounds),
                )
            }
            EncodedTerm::Spline { knots, .. } => {
                let mut components = vec![x.clone()];
                for &knot in knots {
                    components.push(self.greatest(&minus(knot), &self.number(0.0)));
                }
                (
                    Shape::Components(components),
                    self.number_valid(&column, false, bounds),
                )
            }
            EncodedTerm::Rcs { knots, .. } => {
                let k = knots.len();
                let (last, before_last, first) = (knots[k - 1], knots[k - 2], knots[0]);
                let norm = (last - first) * (last - first);
                let zero = self.number(0.0);
                let cube = |knot: f64| {
                    let d = minus(knot);
                    format!("CASE WHEN {d} > {zero} THEN {d} * {d} * {d} ELSE {zero} END")
                };
                let mut components = vec![x.clone()];
                for &knot in &knots[..k - 2] {
                    let c = rcs_constants(knot, knots);
                    components.push(format!(
                        "(CASE WHEN {x} >= {last} THEN {slope} * {x} + {constant} \
                         ELSE ({cube_knot}) - ({cube_before}) * {a} END) / {norm}",
                        last = self.number(last),
                        slope = self.number(c.slope),
                        constant = self.number(c.constant),
                        cube_knot = cube(knot),
                        cube_before = cube(before_last),
                        a = self.number(c.a),
                        norm = self.number(norm),
                    ));
                }
                (
                    Shape::Components(components),
                    self.number_valid(&column, false, bounds),
                )
            }
            EncodedTerm::Boolean { .. } => {
                let lower = format!("LOWER({})", self.text_of(&column));
                (
                    Shape::Components(vec![format!(
                        "CASE WHEN {lower} IN ({}) THEN {} ELSE {} END",
                        self.boolean_words(&["true", "1", "yes"])?,
                        self.number(1.0),
                        self.number(0.0)
                    )]),
                    format!(
                        "{lower} IN ({})",
                        self.boolean_words(&["true", "false", "1", "0", "yes", "no"])?
                    ),
                )
            }
            EncodedTerm::Categorical {
                levels, reference, ..
            } => {
                let what = format!("level of {column_name}");
                let text = self.text_of(&column);
                let all: Result<Vec<String>, ExportError> =
                    levels.iter().map(|l| self.string(l, &what)).collect();
                let others: Result<Vec<String>, ExportError> = levels
                    .iter()
                    .filter(|l| *l != reference)
                    .map(|l| self.string(l, &what))
                    .collect();
                let valid = format!("{text} IN ({})", all?.join(", "));
                (
                    Shape::Levels {
                        text,
                        levels: others?,
                    },
                    valid,
                )
            }
            EncodedTerm::Interaction { .. } => {
                return Err(ExportError::Model(
                    "an interaction is not a main term".to_string(),
                ))
            }
        })
    }

    /// Σ component × coefficient, in design order.
    fn weighted(&self, components: &[String], coefficients: &[f64]) -> String {
        components
            .iter()
            .zip(coefficients)
            .map(|(c, b)| format!("({c}) * {}", self.number(*b)))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// A term's contribution to the logit; `per_level` gives, for each level of a
    /// category, the expression it contributes.
    fn by_level(&self, text: &str, levels: &[String], per_level: &[String]) -> String {
        let mut out = format!("CASE {text}");
        for (level, value) in levels.iter().zip(per_level) {
            let _ = write!(out, " WHEN {level} THEN {value}");
        }
        let _ = write!(out, " ELSE {} END", self.number(0.0));
        out
    }

    fn contribution(&self, shape: &Shape, coefficients: &[f64]) -> String {
        match shape {
            Shape::Components(components) => self.weighted(components, coefficients),
            Shape::Levels { text, levels } => {
                let values: Vec<String> = coefficients.iter().map(|b| self.number(*b)).collect();
                self.by_level(text, levels, &values)
            }
        }
    }

    fn interaction(&self, left: &Shape, right: &Shape, coefficients: &[f64]) -> String {
        let width = match right {
            Shape::Components(c) => c.len(),
            Shape::Levels { levels, .. } => levels.len(),
        };
        // Row l of the coefficients belongs to the left term's component (or level) l.
        let rows: Vec<&[f64]> = if width == 0 {
            Vec::new()
        } else {
            coefficients.chunks(width).collect()
        };
        match (left, right) {
            (Shape::Levels { text, levels }, _) => {
                let per_level: Vec<String> = rows
                    .iter()
                    .map(|row| format!("({})", self.contribution(right, row)))
                    .collect();
                self.by_level(text, levels, &per_level)
            }
            (Shape::Components(components), Shape::Levels { text, levels }) => {
                let per_level: Vec<String> = (0..levels.len())
                    .map(|r| {
                        let column: Vec<f64> = rows.iter().map(|row| row[r]).collect();
                        format!("({})", self.weighted(components, &column))
                    })
                    .collect();
                self.by_level(text, levels, &per_level)
            }
            (Shape::Components(a), Shape::Components(b)) => {
                let mut products = Vec::new();
                let mut flat = Vec::new();
                for (l, row) in a.iter().zip(&rows) {
                    for (r, beta) in b.iter().zip(row.iter()) {
                        products.push(format!("({l}) * ({r})"));
                        flat.push(*beta);
                    }
                }
                self.weighted(&products, &flat)
            }
        }
    }
}

/// Writes the model as one statement, `SELECT *, <probability> AS <column> FROM <table>;`,
/// preceded by comment lines. The probability is NULL for a row that `recontact score`
/// would reject: an unknown level, a value that is not a boolean or a finite number, a
/// number outside the spec's bounds or outside the domain of `log1p`.
///
/// ```rust
/// use recontact_export::{to_sql, Dialect, ExportError, SqlOptions};
/// use recontact_model::Model;
///
/// let model = Model::from_json("default_model.json", include_str!("../../../data/default_model.json"))?;
/// let options = SqlOptions { dialect: Dialect::Sqlite, ..SqlOptions::default() };
/// let sql = to_sql(&model, &options)?;
/// assert!(sql.contains("SELECT *,") && sql.trim_end().ends_with("AS \"p_success\"\nFROM \"cases\";"));
/// // Every coefficient with the digits that give back its f64 (the intercept 1.0114566269239094e0).
/// assert!(model.terms.iter().all(|t| sql.contains(&format!("{:e}", t.estimate.abs()))));
/// assert!(sql.contains("'corporate_recruiter'"));
/// let nameless = SqlOptions { table: String::new(), ..SqlOptions::default() };
/// assert!(matches!(to_sql(&model, &nameless), Err(ExportError::Unrepresentable { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_sql(model: &Model, options: &SqlOptions) -> Result<String, ExportError> {
    let writer = Writer {
        dialect: options.dialect,
    };
    let table = options
        .table
        .split('.')
        .map(|part| writer.identifier(part, "table name"))
        .collect::<Result<Vec<_>, _>>()?
        .join(".");
    let output = writer.identifier(&options.column, "output column")?;
    let ModelSql { valid, logit: eta } = writer.model(model)?;

    // e^min(η,0) / (1 + e^-|η|) is the scorer's logistic branch by branch (1/(1 + e^-η)
    // for η ≥ 0, e^η/(1 + e^η) below) with η written twice instead of four times. The
    // exponents are kept above -708 because PostgreSQL raises an error when EXP
    // underflows; below that the probability is under 3.4e-308 either way.
    let floor = writer.number(-708.0);
    let probability = format!(
        "EXP({numerator}) / ({one} + EXP({denominator}))",
        numerator = writer.greatest(&writer.least(&eta, &writer.number(0.0)), &floor),
        one = writer.number(1.0),
        denominator = writer.greatest(&format!("-ABS({eta})"), &floor),
    );
    let mut out = format!(
        "-- {column} computed as `recontact score` computes it ({dialect} dialect, written by \
         recontact {version}).\n\
         -- NULL marks a row that `recontact score` would reject: an unknown level, an invalid \
         boolean or number, a value out of bounds.\n",
        column = options.column.replace(['\n', '\r'], " "),
        dialect = options.dialect.name(),
        version = env!("CARGO_PKG_VERSION"),
    );
    let _ = write!(
        out,
        "SELECT *,\n  CASE WHEN\n    {valid}\n  THEN\n    {probability}\n  END AS {output}\nFROM {table};\n"
    );
    Ok(out)
}

/// A model's logit as SQL over one row, with the condition under which the scorer
/// accepts the row (the logit is meaningful only where it holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSql {
    /// True for a row the scorer accepts.
    pub valid: String,
    /// The linear predictor η (offset included).
    pub logit: String,
}

/// The logit of `model` and the condition for a row the scorer accepts, in `dialect`:
/// the pieces of [`to_sql`]'s statement, for queries of one's own.
///
/// ```rust
/// use recontact_export::sql::{model_sql, Dialect};
/// use recontact_model::Model;
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let sql = model_sql(&model, Dialect::Postgres)?;
/// assert!(sql.valid.contains("\"contact_type\""));
/// assert!(sql.logit.contains(&format!("{:e}", model.terms[0].estimate)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn model_sql(model: &Model, dialect: Dialect) -> Result<ModelSql, ExportError> {
    Writer { dialect }.model(model)
}

impl Writer {
    /// See [`model_sql`].
    fn model(&self, model: &Model) -> Result<ModelSql, ExportError> {
        let writer = self;
        let (intercept, terms) = split_coefficients(model)?;

        // Every main term first, so that an interaction may name a term listed after it.
        let mut shapes: Vec<(&str, Shape)> = Vec::new();
        let mut conditions = Vec::new();
        let mut contributions = Vec::new();
        for term in &terms {
            let column = match term.term {
                EncodedTerm::Numeric { column, .. }
                | EncodedTerm::Spline { column, .. }
                | EncodedTerm::Rcs { column, .. }
                | EncodedTerm::Boolean { column }
                | EncodedTerm::Categorical { column, .. } => column,
                EncodedTerm::Interaction { .. } => continue,
            };
            let bounds = term
                .term
                .column_name()
                .and_then(|c| model.spec.bounds.get(c));
            let (shape, valid) = writer.main_term(term.term, bounds)?;
            conditions.push(valid);
            shapes.push((column, shape));
        }
        let shape_of = |name: &str| {
            shapes
                .iter()
                .find(|(column, _)| *column == name)
                .map(|(_, shape)| shape)
                .ok_or_else(|| {
                    ExportError::Model(format!(
                        "an interaction refers to `{name}`, which has no term"
                    ))
                })
        };
        for term in &terms {
            contributions.push(match term.term {
                EncodedTerm::Interaction { between: [a, b] } => {
                    writer.interaction(shape_of(a)?, shape_of(b)?, &term.coefficients)
                }
                EncodedTerm::Numeric { column, .. }
                | EncodedTerm::Spline { column, .. }
                | EncodedTerm::Rcs { column, .. }
                | EncodedTerm::Boolean { column }
                | EncodedTerm::Categorical { column, .. } => {
                    writer.contribution(shape_of(column)?, &term.coefficients)
                }
            });
        }
        let mut sum = vec![writer.number(intercept)];
        sum.extend(contributions);
        if let Some(offset) = &model.spec.offset {
            let column = writer.identifier(offset, "offset column")?;
            conditions.push(writer.number_valid(&column, false, model.spec.bounds.get(offset)));
            sum.push(writer.double_of(&column));
        }
        if conditions.is_empty() {
            conditions.push("TRUE".to_string());
        }

        Ok(ModelSql {
            valid: conditions.join("\n    AND "),
            logit: format!("(\n      {}\n    )", sum.join("\n      + ")),
        })
    }
}
