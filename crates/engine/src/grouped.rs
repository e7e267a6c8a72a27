//! Sums by groups of the discrete columns: the same numbers with far fewer aggregates
//! per row.
//!
//! A design column is a discrete factor (a product of indicators of categories' levels
//! and booleans) times a continuous one (see
//! [`recontact_export::rows::DesignPart`]). Within a group of rows that share every
//! discrete column's value, the discrete factors are constants, so
//! Σ w p(1 − p) x_a x_b = Σ_groups f_a f_b Σ_rows w p(1 − p) c_a c_b, and the engine need
//! only sum the products of the few continuous factors per group: for the default spec,
//! 12 sums per row instead of 352. The groups come back (at most [`MAX_GROUPS`], or the
//! sums go row by row) and the client adds them up in a fixed order.
//!
//! Row by row, PostgreSQL 15 took 12.5 minutes for 1M simulated rows of the default spec
//! (17 queries); by groups, with one acceptance check per field, 7.4 minutes on a machine
//! loaded about twice as heavily (docs/scaling.md). What remains per row is the reading of
//! the fields and the design's expressions, not the sums.

use recontact_export::rows::{design_parts, group_key, DesignPart, Indicator};
use recontact_model::encoding::Encoding;
use recontact_model::summed::{DesignSums, NewtonSums};

use recontact_export::rows::exact_text;
use recontact_export::Dialect;

use crate::fit::{balanced, upper_pairs, PushdownError, SqlRows};

/// Groups beyond this many make the sums go row by row: the answer, and the client's
/// memory, stay bounded whatever the rows.
pub const MAX_GROUPS: usize = 100_000;

/// One group's answer: its keys, then its sums.
type Group = (Vec<String>, Vec<f64>);

/// How an encoding's sums go by groups.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grouped {
    /// The discrete columns (the group), each with whether it is a boolean.
    keys: Vec<(String, bool)>,
    /// The distinct continuous factors, beyond the constant 1 (index 0).
    continuous: Vec<String>,
    /// Each design column: its indicators (key index, the value that makes it 1) and
    /// its continuous factor's index (0 for 1).
    columns: Vec<(Vec<(usize, String)>, usize)>,
}

impl Grouped {
    /// The plan for `parts`, or `None` when nothing is discrete.
    fn of(parts: &[DesignPart]) -> Option<Grouped> {
        let mut keys: Vec<(String, bool)> = Vec::new();
        let mut continuous: Vec<String> = Vec::new();
        let mut columns = Vec::new();
        for part in parts {
            let mut indicators = Vec::new();
            for indicator in &part.indicators {
                let (column, boolean, value) = match indicator {
                    Indicator::Level { column, level } => (column, false, hex(level)),
                    Indicator::True { column } => (column, true, "1".to_string()),
                };
                let k = match keys.iter().position(|(c, _)| c == column) {
                    Some(k) => k,
                    None => {
                        keys.push((column.clone(), boolean));
                        keys.len() - 1
                    }
                };
                indicators.push((k, value));
            }
            let c = match &part.continuous {
                None => 0,
                Some(expression) => match continuous.iter().position(|e| e == expression) {
                    Some(i) => i + 1,
                    None => {
                        continuous.push(expression.clone());
                        continuous.len()
                    }
                },
            };
            columns.push((indicators, c));
        }
        (!keys.is_empty()).then_some(Grouped {
            keys,
            continuous,
            columns,
        })
    }

    /// The columns the grouped queries add to the design's rows: the group's key `kg`,
    /// `c1…`.
    fn extra(&self, rows: &SqlRows<'_>) -> Result<Vec<String>, PushdownError> {
        let mut extra = vec![format!("{} AS kg", one_key(&self.keys, rows.dialect)?)];
        for (i, expression) in self.continuous.iter().enumerate() {
            extra.push(format!("{expression} AS c{}", i + 1));
        }
        Ok(extra)
    }

    /// The continuous factor `i` as a column of the design's rows.
    fn factor(i: usize) -> String {
        if i == 0 {
            "1".into()
        } else {
            format!("c{i}")
        }
    }

    /// The discrete factor of each design column for a group's key values.
    fn factors(&self, key: &[&str]) -> Vec<f64> {
        self.columns
            .iter()
            .map(|(indicators, _)| {
                // PostgreSQL writes hexadecimal in lower case, the others in upper.
                let all = indicators
                    .iter()
                    .all(|(k, value)| key[*k].eq_ignore_ascii_case(value));
                if all {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// One query, a row per group: the keys and then `tokens`, '/'-joined.
    fn query(
        &self,
        rows: &mut SqlRows<'_>,
        what: &str,
        tokens: &[String],
        from: &str,
    ) -> Result<Vec<Group>, PushdownError> {
        let mut cells = vec!["kg".to_string()];
        cells.extend(tokens.iter().cloned());
        let sql = format!(
            "SELECT {} FROM {from} GROUP BY kg",
            balanced(&cells, " || '/' || ")
        );
        // At most MAX_GROUPS rows: the groups were counted before a grouped plan is made.
        let answer = rows.run_bounded(&sql, MAX_GROUPS)?;
        let nk = self.keys.len();
        answer
            .iter()
            .map(|line| {
                let words: Vec<&str> = line.split('/').collect();
                if words.len() != nk + tokens.len() {
                    let expected = format!("{} keys and {} numbers", nk, tokens.len());
                    return Err(rows.answer(what, line, &expected));
                }
                let numbers: Result<Vec<f64>, _> = words[nk..].iter().map(|w| w.parse()).collect();
                let numbers = numbers.map_err(|_| rows.answer(what, line, "numbers"))?;
                Ok((words[..nk].iter().map(|w| w.to_string()).collect(), numbers))
            })
            .collect()
    }
}

/// The discrete columns' keys as one text, '/'-joined (no key holds a '/').
///
/// One expression, not a list: a planner estimates the groups of a list as the product
/// of default guesses per column and sorts all rows to group them (PostgreSQL: an
/// external sort of 2M rows spilled 392 MB and took 27 s), where for one expression it
/// guesses few groups and hashes (16 s, 1.4 MB).
fn one_key(keys: &[(String, bool)], dialect: Dialect) -> Result<String, PushdownError> {
    let keys: Vec<String> = keys
        .iter()
        .map(|(column, boolean)| group_key(column, *boolean, dialect))
        .collect::<Result<_, _>>()?;
    Ok(balanced(&keys, " || '/' || "))
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02X}")).collect()
}

impl SqlRows<'_> {
    /// The grouped plan for `encoding` when its groups are few enough (one counting
    /// query, the first time), else `None`: the sums go row by row.
    pub(crate) fn grouped(
        &mut self,
        encoding: &Encoding,
    ) -> Result<Option<Grouped>, PushdownError> {
        if let Some((known, plan)) = &self.grouping {
            if known == encoding {
                return Ok(plan.clone());
            }
        }
        let parts = design_parts(encoding, self.spec.config(), self.dialect)?;
        let mut plan = Grouped::of(&parts);
        if let Some(grouped) = &plan {
            let from = format!(
                "({} GROUP BY {} LIMIT {}) AS recontact_groups",
                self.kept_rows("1 AS one"),
                one_key(&grouped.keys, self.dialect)?,
                MAX_GROUPS + 1
            );
            let count = exact_text("COUNT(*)", self.dialect);
            let count = self.numbers("the groups", &[count], &from)?;
            if count[0] > MAX_GROUPS as f64 {
                plan = None;
            }
        }
        self.grouping = Some((encoding.clone(), plan.clone()));
        Ok(plan)
    }
}

/// The design's sums by groups.
pub(crate) fn design_sums(
    rows: &mut SqlRows<'_>,
    grouped: &Grouped,
    encoding: &Encoding,
) -> Result<DesignSums, PushdownError> {
    let q = grouped.continuous.len() + 1;
    let mut tokens: Vec<String> = (0..q)
        .map(|i| rows.sum(&format!("{0} * {0}", Grouped::factor(i))))
        .collect();
    tokens.extend(upper_pairs(q).map(|(a, b)| {
        rows.sum(&format!(
            "w * {} * {}",
            Grouped::factor(a),
            Grouped::factor(b)
        ))
    }));
    tokens.push(rows.sum("w"));
    tokens.push(rows.sum("w * y"));
    let from = rows.design_rows(
        recontact_model::summed::SumsDesign::Full(encoding),
        &grouped.extra(rows)?,
    )?;
    let groups = grouped.query(rows, "the design's sums by group", &tokens, &from)?;
    let p = grouped.columns.len();
    let mut sums = DesignSums {
        squares: vec![0.0; p],
        gram_upper: vec![0.0; p * (p + 1) / 2],
        total: 0.0,
        events: 0.0,
    };
    let pair = |a: usize, b: usize| triangle_index(q, a.min(b), a.max(b));
    for (key, numbers) in sorted(groups) {
        let keys: Vec<&str> = key.iter().map(String::as_str).collect();
        let f = grouped.factors(&keys);
        let (squares, gram) = (&numbers[..q], &numbers[q..q + q * (q + 1) / 2]);
        for (j, (_, c)) in grouped.columns.iter().enumerate() {
            sums.squares[j] += f[j] * f[j] * squares[*c];
        }
        for (k, (a, b)) in upper_pairs(p).enumerate() {
            let (ca, cb) = (grouped.columns[a].1, grouped.columns[b].1);
            sums.gram_upper[k] += f[a] * f[b] * gram[pair(ca, cb)];
        }
        sums.total += numbers[q + q * (q + 1) / 2];
        sums.events += numbers[q + q * (q + 1) / 2 + 1];
    }
    Ok(sums)
}

/// One Newton evaluation's sums by groups.
pub(crate) fn newton_sums(
    rows: &mut SqlRows<'_>,
    grouped: &Grouped,
    encoding: &Encoding,
    beta: &[f64],
) -> Result<NewtonSums, PushdownError> {
    let q = grouped.continuous.len() + 1;
    let design = recontact_model::summed::SumsDesign::Full(encoding);
    let from = rows.newton_rows(design, beta, &grouped.extra(rows)?)?;
    let mut tokens = vec![
        exact_text(
            "COALESCE(MAX(CASE WHEN w > 0 THEN ABS(eta) ELSE 0 END), 0)",
            rows.dialect,
        ),
        rows.sum("w * (y * eta - sp)"),
    ];
    tokens.extend((0..q).map(|i| rows.sum(&format!("r * {}", Grouped::factor(i)))));
    tokens.extend(upper_pairs(q).map(|(a, b)| {
        rows.sum(&format!(
            "v * {} * {}",
            Grouped::factor(a),
            Grouped::factor(b)
        ))
    }));
    let groups = grouped.query(rows, "a Newton evaluation by group", &tokens, &from)?;
    let p = grouped.columns.len();
    let mut sums = NewtonSums {
        largest_logit: 0.0,
        log_likelihood: 0.0,
        gradient: vec![0.0; p],
        information_upper: vec![0.0; p * (p + 1) / 2],
    };
    let pair = |a: usize, b: usize| triangle_index(q, a.min(b), a.max(b));
    for (key, numbers) in sorted(groups) {
        let keys: Vec<&str> = key.iter().map(String::as_str).collect();
        let f = grouped.factors(&keys);
        sums.largest_logit = sums.largest_logit.max(numbers[0]);
        sums.log_likelihood += numbers[1];
        let (residual, weight) = (&numbers[2..2 + q], &numbers[2 + q..]);
        for (j, (_, c)) in grouped.columns.iter().enumerate() {
            sums.gradient[j] += f[j] * residual[*c];
        }
        for (k, (a, b)) in upper_pairs(p).enumerate() {
            let (ca, cb) = (grouped.columns[a].1, grouped.columns[b].1);
            sums.information_upper[k] += f[a] * f[b] * weight[pair(ca, cb)];
        }
    }
    Ok(sums)
}

/// The groups in the order of their keys: the client's additions do not depend on the
/// order the engine returned them in.
fn sorted(mut groups: Vec<Group>) -> Vec<Group> {
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups
}

/// The position of (a, b), a ≤ b, in the upper triangle of a q × q matrix, row by row:
/// the rows above a hold q + (q − 1) + … + (q − a + 1) values.
fn triangle_index(q: usize, a: usize, b: usize) -> usize {
    a * q - a * a.saturating_sub(1) / 2 + (b - a)
}
