//! The fit inside an engine: each aggregate of [`RowAggregates`] as one SQL query.
//!
//! Every query reads the same rows: the source's rows for which no field problem holds
//! (the conditions of [`recontact_export::rows::field_problems`], the CSV reader's
//! checks written in SQL). The description counts the others by problem; the levels
//! come back in hexadecimal; the order statistics come from one sort per column
//! (`ROW_NUMBER`), exact; the design's sums and each Newton evaluation are one
//! aggregate over the rows each, answering the p(p + 1)/2 + p + 2 numbers the fit needs
//! as one line of round-trip number text. Nothing else crosses: the client's memory
//! depends on the design's width, never on the rows.

use std::collections::{BTreeMap, HashMap};

use recontact_export::rows::{
    accepted_fields, design_columns, exact_text, field_problems, hex_of_column, number_literal,
    number_of_column, row_values, source, FieldProblem, RowValues,
};
use recontact_export::{Dialect, ExportError};
use recontact_model::data::DroppedRows;
use recontact_model::encoding::Encoding;
use recontact_model::error::FitError;
use recontact_model::spec::{Spec, TermConfig};
use recontact_model::summed::{
    fit_by_sums, DesignSums, KnotCounts, NewtonSums, RowAggregates, RowsDescription, SummedFit,
    SumsDesign,
};
use recontact_model::{FitOptions, InvalidRows};

use crate::connection::{Connection, EngineError};

/// Why a fit inside an engine failed.
#[derive(Debug, thiserror::Error)]
pub enum PushdownError {
    /// The fit itself refused (bad rows counted, no convergence, …).
    #[error(transparent)]
    Fit(#[from] FitError),
    /// The engine failed a query.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A name or level cannot be written in the engine's SQL.
    #[error(transparent)]
    Sql(#[from] ExportError),
    /// The engine's answer is not what the query asks for.
    #[error("{engine}: the answer to the query for {what} is {answer:?}, not {expected}")]
    Answer {
        /// The engine.
        engine: String,
        /// What the query asked.
        what: String,
        /// The answer's first characters.
        answer: String,
        /// What was expected.
        expected: String,
    },
}

/// A fit made inside an engine, with where it was made.
#[derive(Debug, Clone)]
pub struct EngineFit {
    /// The fit, its rows and the rows left out.
    pub summed: SummedFit,
    /// The engine, as its connection describes itself.
    pub engine: String,
    /// The table or query read.
    pub source: String,
    /// Queries the engine answered.
    pub queries: usize,
}

/// Fits the model `spec` describes on the rows of `table` (a table name, or a query)
/// inside the engine behind `connection`: the estimates, standard errors and statistics
/// of an in-memory fit of the same rows, to rounding (see [`fit_by_sums`]).
///
/// ```rust,no_run
/// use recontact_engine::connection::{open, Target};
/// use recontact_engine::fit::fit_in_engine;
/// use recontact_model::{FitOptions, InvalidRows, SpecConfig};
/// let spec = SpecConfig::from_toml("s.toml", include_str!("../../../data/default_spec.toml"))?.check()?;
/// let mut connection = open(&Target::Postgres { url: "postgresql://me@localhost/crm".into() })?;
/// let fit = fit_in_engine(connection.as_mut(), "outcomes", &spec, FitOptions::default(), InvalidRows::Fail)?;
/// println!("{} rows, {} queries", fit.summed.rows_used, fit.queries);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_in_engine(
    connection: &mut dyn Connection,
    table: &str,
    spec: &Spec,
    options: FitOptions,
    invalid: InvalidRows,
) -> Result<EngineFit, PushdownError> {
    let mut rows = SqlRows::new(connection, table, spec)?;
    let summed = fit_by_sums(&mut rows, spec, options, invalid)?;
    Ok(EngineFit {
        summed,
        engine: rows.connection.describe(),
        source: table.to_string(),
        queries: rows.queries,
    })
}

/// The rows of one source, as SQL over a connection.
pub(crate) struct SqlRows<'c> {
    pub(crate) connection: &'c mut dyn Connection,
    pub(crate) dialect: Dialect,
    /// The `FROM` item.
    pub(crate) from: String,
    pub(crate) spec: &'c Spec,
    pub(crate) problems: Vec<FieldProblem>,
    /// Each column's condition for a field without problems.
    accepted: Vec<String>,
    pub(crate) values: RowValues,
    pub(crate) queries: usize,
    /// Whether sums go by groups of the discrete columns (decided once per encoding).
    pub(crate) grouping: Option<(Encoding, Option<crate::grouped::Grouped>)>,
}

impl<'c> SqlRows<'c> {
    pub(crate) fn new(
        connection: &'c mut dyn Connection,
        table: &str,
        spec: &'c Spec,
    ) -> Result<Self, PushdownError> {
        let dialect = connection.dialect();
        Ok(SqlRows {
            from: source(table, dialect)?,
            problems: field_problems(spec, dialect)?,
            accepted: accepted_fields(spec, dialect)?,
            values: row_values(spec, dialect)?,
            connection,
            dialect,
            spec,
            queries: 0,
            grouping: None,
        })
    }

    /// True for a row without problems: every field accepted (the same rows as no
    /// problem holding, with one spelling check per field).
    pub(crate) fn valid(&self) -> String {
        if self.accepted.is_empty() {
            return "TRUE".into();
        }
        self.accepted.join("\n AND ")
    }

    /// `SELECT list FROM source WHERE valid`: the rows kept.
    fn kept(&self, list: &str) -> String {
        format!("SELECT {list} FROM {} WHERE {}", self.from, self.valid())
    }

    /// A sum as exact text, 0 over no rows (DuckDB's compensated `fsum` where it has one).
    pub(crate) fn sum(&self, expression: &str) -> String {
        let sum = match self.dialect {
            Dialect::Duckdb => format!("fsum({expression})"),
            _ => format!("SUM({expression})"),
        };
        exact_text(
            &format!("COALESCE({sum}, {})", number_literal(0.0, self.dialect)),
            self.dialect,
        )
    }

    /// Counting rows where `condition` holds, as exact text.
    pub(crate) fn count_where(&self, condition: &str) -> String {
        exact_text(
            &format!("COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"),
            self.dialect,
        )
    }

    /// What keeps an engine from merging a subquery into the query around it. Merged,
    /// every reference to a computed column (η in each of p(p + 1)/2 sums) would repeat
    /// its whole expression per row; kept apart, each is computed once per row.
    /// PostgreSQL and SQLite do not merge a subquery with an OFFSET (which streams rows,
    /// unlike a materialised CTE), DuckDB neither; Spark does not inline a projection it
    /// would duplicate, and a LIMIT or OFFSET would gather its rows on one node.
    pub(crate) fn barrier(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => " LIMIT -1 OFFSET 0",
            Dialect::Postgres | Dialect::Duckdb => " OFFSET 0",
            Dialect::Spark => "",
        }
    }

    /// The rows kept with `list`, as `SELECT`, for a `FROM`.
    pub(crate) fn kept_rows(&self, list: &str) -> String {
        self.kept(list)
    }

    /// The rows kept, with `list` as the select list.
    pub(crate) fn kept_list(&self, list: &str) -> String {
        self.kept(list)
    }

    /// One query answering one line of words, one per token.
    pub(crate) fn words(
        &mut self,
        what: &str,
        tokens: &[String],
        from: &str,
    ) -> Result<Vec<String>, PushdownError> {
        let sql = format!("SELECT {} FROM {from}", balanced(tokens, " || '/' || "));
        let rows = self.run_bounded(&sql, 1)?;
        let answer = match rows.as_slice() {
            [one] => one,
            _ => return Err(self.answer(what, &rows.join("\n"), "one row")),
        };
        let words: Vec<String> = answer.split('/').map(str::to_string).collect();
        if words.len() != tokens.len() {
            let expected = format!("{} numbers", tokens.len());
            return Err(self.answer(what, answer, &expected));
        }
        Ok(words)
    }

    /// One query answering one line of numbers, one per token.
    pub(crate) fn numbers(
        &mut self,
        what: &str,
        tokens: &[String],
        from: &str,
    ) -> Result<Vec<f64>, PushdownError> {
        let words = self.words(what, tokens, from)?;
        words
            .iter()
            .map(|t| t.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| self.answer(what, &words.join(" "), "numbers"))
    }

    pub(crate) fn run(&mut self, sql: &str) -> Result<Vec<String>, PushdownError> {
        self.queries += 1;
        Ok(self.connection.query(sql)?)
    }

    /// A query whose SQL bounds its answer to `rows` cells of numbers or checked keys
    /// (see [`Connection::query_bounded`]).
    pub(crate) fn run_bounded(
        &mut self,
        sql: &str,
        rows: usize,
    ) -> Result<Vec<String>, PushdownError> {
        self.queries += 1;
        Ok(self.connection.query_bounded(sql, rows)?)
    }

    pub(crate) fn answer(&self, what: &str, answer: &str, expected: &str) -> PushdownError {
        PushdownError::Answer {
            engine: self.connection.describe(),
            what: what.to_string(),
            answer: answer.chars().take(200).collect(),
            expected: expected.to_string(),
        }
    }

    /// The distinct levels of a categorical column among the rows kept, at most `limit`.
    fn levels(&mut self, column: &str, limit: usize) -> Result<Vec<String>, PushdownError> {
        let hex = hex_of_column(column, self.dialect)?;
        let sql = format!(
            "SELECT h FROM ({}) AS recontact_levels LIMIT {limit}",
            self.kept(&format!("DISTINCT {hex} AS h"))
        );
        let rows = self.run(&sql)?;
        rows.iter()
            .map(|h| decode_hex(h).ok_or_else(|| self.answer(column, h, "hexadecimal UTF-8")))
            .collect()
    }

    /// The design's columns, the outcome, weight and offset of the rows kept, named
    /// `x0…`, `y`, `w`, `o`.
    pub(crate) fn design_rows(
        &self,
        design: SumsDesign<'_>,
        extra: &[String],
    ) -> Result<String, PushdownError> {
        let columns = match design {
            SumsDesign::Full(encoding) => {
                design_columns(encoding, self.spec.config(), self.dialect)?
            }
            SumsDesign::Intercept => vec![number_literal(1.0, self.dialect)],
        };
        let mut list: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(j, c)| format!("{c} AS x{j}"))
            .collect();
        let v = &self.values;
        list.push(format!("{} AS y", v.outcome));
        list.push(format!("{} AS w", v.weight));
        list.push(format!("{} AS o", v.offset));
        list.extend(extra.iter().cloned());
        Ok(format!(
            "({}{}) AS recontact_design",
            self.kept(&list.join(",\n  ")),
            self.barrier()
        ))
    }
}

/// The parts joined by an associative operator as a balanced tree of parentheses: its
/// depth grows with the logarithm of the parts, where a chain's grows with their number
/// and soon passes an engine's limit (SQLite's is 1,000).
pub(crate) fn balanced(parts: &[String], operator: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!(
                "({}{operator}{})",
                balanced(left, operator),
                balanced(right, operator)
            )
        }
    }
}

/// The pairs (a, b), a ≤ b, of the upper triangle of a p × p matrix, row by row.
pub(crate) fn upper_pairs(p: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..p).flat_map(move |a| (a..p).map(move |b| (a, b)))
}

fn decode_hex(hex: &str) -> Option<String> {
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// A count an engine answered, as a whole number.
fn whole(value: f64) -> u64 {
    if value.is_finite() && value >= 0.0 {
        value as u64
    } else {
        0
    }
}

impl RowAggregates for SqlRows<'_> {
    type Error = PushdownError;

    fn describe(&mut self, spec: &Spec) -> Result<RowsDescription, PushdownError> {
        let mut tokens = vec![
            exact_text("COUNT(*)", self.dialect),
            self.count_where(&format!("NOT ({})", self.valid())),
        ];
        for problem in &self.problems {
            tokens.push(self.count_where(&problem.condition));
        }
        let from = self.from.clone();
        let counts = self.numbers("the rows and their problems", &tokens, &from)?;
        let (rows_read, dropped_rows) = (whole(counts[0]), whole(counts[1]));
        let mut reasons = BTreeMap::new();
        for (problem, &count) in self.problems.iter().zip(&counts[2..]) {
            if count > 0.0 {
                *reasons.entry(problem.reason()).or_default() += whole(count);
            }
        }
        let mut levels = HashMap::new();
        for term in &spec.config().terms {
            if let TermConfig::Categorical { column, .. } = term {
                let found = self.levels(column, spec.max_levels() + 1)?;
                levels.insert(column.clone(), found);
            }
        }
        Ok(RowsDescription {
            rows_read,
            rows_used: (rows_read - dropped_rows.min(rows_read)) as usize,
            dropped: DroppedRows {
                rows: dropped_rows,
                reasons,
                first_problems: Vec::new(),
            },
            levels,
        })
    }

    fn order_statistics(
        &mut self,
        column: &str,
        ranks: &[usize],
    ) -> Result<BTreeMap<usize, f64>, PushdownError> {
        let mut ranks = ranks.to_vec();
        ranks.sort_unstable();
        ranks.dedup();
        if ranks.is_empty() {
            return Ok(BTreeMap::new());
        }
        let x = number_of_column(column, self.dialect)?;
        let list: Vec<String> = ranks.iter().map(usize::to_string).collect();
        let sql = format!(
            "SELECT {} FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) - 1 AS r FROM ({}) AS \
             recontact_values) AS recontact_ranked WHERE r IN ({}) ORDER BY r",
            exact_text("v", self.dialect),
            self.kept(&format!("{x} AS v")),
            list.join(", ")
        );
        let rows = self.run_bounded(&sql, ranks.len())?;
        let values: Vec<f64> = rows
            .iter()
            .map(|t| t.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| self.answer(column, &rows.join(" "), "numbers"))?;
        if values.len() != ranks.len() {
            let expected = format!("{} order statistics", ranks.len());
            return Err(self.answer(column, &rows.join(" "), &expected));
        }
        Ok(ranks.into_iter().zip(values).collect())
    }

    fn knot_profile(
        &mut self,
        column: &str,
        candidates: &[f64],
        ends: (f64, f64),
        cap: usize,
    ) -> Result<KnotCounts, PushdownError> {
        crate::knots::knot_profile(self, column, candidates, ends, cap)
    }

    fn design_sums(&mut self, encoding: &Encoding) -> Result<DesignSums, PushdownError> {
        let p = encoding.names().len();
        let mut tokens: Vec<String> = (0..p).map(|j| self.sum(&format!("x{j} * x{j}"))).collect();
        tokens.extend(upper_pairs(p).map(|(a, b)| self.sum(&format!("w * x{a} * x{b}"))));
        tokens.push(self.sum("w"));
        tokens.push(self.sum("w * y"));
        if let Some(grouped) = self.grouped(encoding)? {
            return crate::grouped::design_sums(self, &grouped, encoding);
        }
        let from = self.design_rows(SumsDesign::Full(encoding), &[])?;
        let values = self.numbers("the design's sums", &tokens, &from)?;
        let triangle = p * (p + 1) / 2;
        Ok(DesignSums {
            squares: values[..p].to_vec(),
            gram_upper: values[p..p + triangle].to_vec(),
            total: values[p + triangle],
            events: values[p + triangle + 1],
        })
    }

    fn newton_sums(
        &mut self,
        design: SumsDesign<'_>,
        beta: &[f64],
    ) -> Result<NewtonSums, PushdownError> {
        let p = beta.len();
        if let SumsDesign::Full(encoding) = design {
            if let Some(grouped) = self.grouped(encoding)? {
                return crate::grouped::newton_sums(self, &grouped, encoding, beta);
            }
        }
        let from = self.newton_rows(design, beta, &[])?;
        let mut tokens = vec![
            exact_text(
                "COALESCE(MAX(CASE WHEN w > 0 THEN ABS(eta) ELSE 0 END), 0)",
                self.dialect,
            ),
            self.sum("w * (y * eta - sp)"),
        ];
        tokens.extend((0..p).map(|j| self.sum(&format!("r * x{j}"))));
        tokens.extend(upper_pairs(p).map(|(a, b)| self.sum(&format!("v * x{a} * x{b}"))));
        let values = self.numbers("a Newton evaluation", &tokens, &from)?;
        Ok(NewtonSums {
            largest_logit: values[0],
            log_likelihood: values[1],
            gradient: values[2..2 + p].to_vec(),
            information_upper: values[2 + p..].to_vec(),
        })
    }
}

impl SqlRows<'_> {
    /// The rows kept with η = o + x β, ln(1 + e^η) as `sp`, w (y − p) as `r` and
    /// w p (1 − p) as `v`. The exponentials are of −|η| and kept above −708, because
    /// PostgreSQL raises an error when EXP underflows: below that both terms are under
    /// 1e-307 and the in-memory fit's are as small.
    pub(crate) fn newton_rows(
        &self,
        design: SumsDesign<'_>,
        beta: &[f64],
        extra: &[String],
    ) -> Result<String, PushdownError> {
        let d = self.dialect;
        let mut eta = vec!["o".to_string()];
        eta.extend(
            beta.iter()
                .enumerate()
                .map(|(j, b)| format!("x{j} * {}", number_literal(*b, d))),
        );
        let floor = number_literal(-708.0, d);
        let greatest = |a: &str, b: &str| match d {
            Dialect::Sqlite => format!("MAX({a}, {b})"),
            _ => format!("GREATEST({a}, {b})"),
        };
        let e = "ex";
        let one = number_literal(1.0, d);
        let zero = number_literal(0.0, d);
        let probability = format!(
            "CASE WHEN eta >= {zero} THEN {one} / ({one} + {e}) ELSE {e} / ({one} + {e}) END"
        );
        let softplus = format!("{} + LN({one} + {e})", greatest("eta", &zero));
        let barrier = self.barrier();
        let with_eta = format!(
            "(SELECT *, {} AS eta FROM {}{barrier}) AS recontact_eta",
            balanced(&eta, " + "),
            self.design_rows(design, extra)?
        );
        let with_e = format!(
            "(SELECT *, EXP({}) AS ex FROM {with_eta}{barrier}) AS recontact_e",
            greatest("-ABS(eta)", &floor)
        );
        let with_p = format!(
            "(SELECT *, {probability} AS pr, {softplus} AS sp FROM {with_e}{barrier}) AS recontact_p"
        );
        Ok(format!(
            "(SELECT *, w * (y - pr) AS r, w * pr * ({one} - pr) AS v FROM {with_p}{barrier}) AS recontact_terms"
        ))
    }
}
