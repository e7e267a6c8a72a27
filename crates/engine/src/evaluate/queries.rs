//! The evaluation's queries: each an aggregate over the scored rows (or over them
//! grouped by prediction) answering one line of numbers, or a few lines of a grouped
//! table.

use std::collections::BTreeMap;

use recontact_evaluation::metrics::{MetricsError, LOG_LOSS_EPS};
use recontact_export::rows::{exact_text, number_literal};
use recontact_export::sql::model_sql;
use recontact_export::Dialect;
use recontact_model::data::DroppedRows;
use recontact_model::error::FitError;
use recontact_model::model::Model;
use recontact_model::InvalidRows;

use super::{EvaluateError, RankSums, Sample};
use crate::fit::{balanced, PushdownError, SqlRows};

/// The rows evaluated, as a `FROM` item with the columns `y`, `w` (the frequency
/// weight), `lp` (the model's logit, offset included) and `p` (its probability, as the
/// scorer computes it).
pub(crate) struct Scored {
    pub(crate) from: String,
}

impl Scored {
    pub(crate) fn new(rows: &SqlRows<'_>, model: &Model) -> Result<Scored, PushdownError> {
        let d = rows.dialect;
        let logit = model_sql(model, d)?.logit;
        let v = &rows.values;
        let barrier = rows.barrier();
        let base = format!(
            "(SELECT {} AS y, {} AS w, {logit} AS lp FROM {} WHERE {}{barrier}) AS recontact_lp",
            v.outcome,
            v.weight,
            rows.from,
            rows.valid()
        );
        Ok(Scored {
            from: format!(
                "(SELECT y, w, lp, {} AS p FROM {base}{barrier}) AS recontact_scored",
                probability("lp", d)
            ),
        })
    }
}

/// The probability of a logit `eta`, as `recontact export` writes it: the scorer's
/// logistic branch by branch, the exponents kept above −708 (PostgreSQL raises an error
/// when EXP underflows).
pub(crate) fn probability(eta: &str, d: Dialect) -> String {
    let (zero, one, floor) = (
        number_literal(0.0, d),
        number_literal(1.0, d),
        number_literal(-708.0, d),
    );
    format!(
        "EXP({}) / ({one} + EXP({}))",
        greatest(&least(eta, &zero, d), &floor, d),
        greatest(&format!("-ABS({eta})"), &floor, d)
    )
}

pub(crate) fn greatest(a: &str, b: &str, d: Dialect) -> String {
    match d {
        Dialect::Sqlite => format!("MAX({a}, {b})"),
        _ => format!("GREATEST({a}, {b})"),
    }
}

fn least(a: &str, b: &str, d: Dialect) -> String {
    match d {
        Dialect::Sqlite => format!("MIN({a}, {b})"),
        _ => format!("LEAST({a}, {b})"),
    }
}

/// A count an engine answered, as a whole number.
fn whole(value: f64) -> u64 {
    if value.is_finite() && value >= 0.0 {
        value as u64
    } else {
        0
    }
}

/// The rows of the source and those with problems, by reason; rows with problems are
/// refused unless `invalid` drops them.
pub(crate) fn count_problems(
    rows: &mut SqlRows<'_>,
    invalid: InvalidRows,
) -> Result<(u64, DroppedRows), PushdownError> {
    let mut tokens = vec![
        exact_text("COUNT(*)", rows.dialect),
        rows.count_where(&format!("NOT ({})", rows.valid())),
    ];
    for problem in &rows.problems {
        tokens.push(rows.count_where(&problem.condition));
    }
    let from = rows.from.clone();
    let counts = rows.numbers("the rows and their problems", &tokens, &from)?;
    let (rows_read, dropped_rows) = (whole(counts[0]), whole(counts[1]));
    let mut reasons = BTreeMap::new();
    for (problem, &count) in rows.problems.iter().zip(&counts[2..]) {
        if count > 0.0 {
            *reasons.entry(problem.reason()).or_default() += whole(count);
        }
    }
    if dropped_rows > 0 && invalid == InvalidRows::Fail {
        return Err(FitError::InvalidRowsCounted {
            rows: dropped_rows,
            rows_read,
            reasons,
        }
        .into());
    }
    if dropped_rows >= rows_read {
        return Err(FitError::NoRows.into());
    }
    Ok((
        rows_read,
        DroppedRows {
            rows: dropped_rows,
            reasons,
            first_problems: Vec::new(),
        },
    ))
}

/// The sums of the evaluation over all the rows.
pub(crate) struct Sums {
    /// Σ w.
    pub(crate) n: f64,
    /// Σ w y.
    pub(crate) events: f64,
    fractional_weights: f64,
    non_finite: f64,
    /// Σ w (clipped log loss).
    pub(crate) log_loss: f64,
    /// Σ w (p − y)².
    pub(crate) brier: f64,
    /// Σ w p.
    pub(crate) predicted: f64,
    /// Σ w (y − p)(1 − 2p) and Σ w (1 − 2p)² p (1 − p).
    pub(crate) spiegelhalter: (f64, f64),
    /// Σ w lp.
    pub(crate) lp_total: f64,
    /// The range of lp among the non-events and among the events with weight.
    pub(crate) ranges: [(f64, f64); 2],
    /// Per threshold, the treated events and non-events (p ≥ t).
    pub(crate) treated: Vec<(f64, f64)>,
}

impl Sums {
    /// The rows and events as counts, after the checks of the in-memory evaluation.
    pub(crate) fn counts(&self) -> Result<(usize, usize), EvaluateError> {
        if self.fractional_weights > 0.0 {
            return Err(EvaluateError::FractionalWeights {
                rows: whole(self.fractional_weights),
            });
        }
        if self.non_finite > 0.0 {
            return Err(EvaluateError::NonFiniteLogit {
                rows: whole(self.non_finite),
            });
        }
        let (n, events) = (whole(self.n) as usize, whole(self.events) as usize);
        if n == 0 {
            return Err(MetricsError::Empty.into());
        }
        if events == 0 {
            return Err(MetricsError::OneClass { value: 0 }.into());
        }
        if events == n {
            return Err(MetricsError::OneClass { value: 1 }.into());
        }
        Ok((n, events))
    }
}

/// One aggregate: the sums, the logit's ranges by class, and the decision curve's counts.
pub(crate) fn sums(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    thresholds: &[f64],
) -> Result<Sums, PushdownError> {
    let d = rows.dialect;
    let num = |v: f64| number_literal(v, d);
    let (one, two) = (num(1.0), num(2.0));
    let clipped = least(
        &greatest("p", &num(LOG_LOSS_EPS), d),
        &num(1.0 - LOG_LOSS_EPS),
        d,
    );
    let extreme = |function: &str, class: f64| {
        exact_text(
            &format!(
                "COALESCE({function}(CASE WHEN w > 0 AND y = {} THEN lp END), 0)",
                num(class)
            ),
            d,
        )
    };
    let mut tokens = vec![
        rows.sum("w"),
        rows.sum("w * y"),
        rows.count_where("w <> FLOOR(w)"),
        exact_text(
            &format!(
                "COALESCE(SUM(CASE WHEN ABS(lp) <= {} THEN 0 ELSE 1 END), 0)",
                num(f64::MAX)
            ),
            d,
        ),
        rows.sum(&format!(
            "w * CASE WHEN y = {one} THEN -LN({clipped}) ELSE -LN({one} - {clipped}) END"
        )),
        rows.sum("w * (p - y) * (p - y)"),
        rows.sum("w * p"),
        rows.sum(&format!("w * (y - p) * ({one} - {two} * p)")),
        rows.sum(&format!(
            "w * ({one} - {two} * p) * ({one} - {two} * p) * p * ({one} - p)"
        )),
        rows.sum("w * lp"),
        extreme("MIN", 0.0),
        extreme("MAX", 0.0),
        extreme("MIN", 1.0),
        extreme("MAX", 1.0),
    ];
    for &t in thresholds {
        let t = num(t);
        tokens.push(rows.sum(&format!("CASE WHEN p >= {t} THEN w * y ELSE 0 END")));
        tokens.push(rows.sum(&format!(
            "CASE WHEN p >= {t} THEN w * ({one} - y) ELSE 0 END"
        )));
    }
    let v = rows.numbers("the evaluation's sums", &tokens, &scored.from)?;
    Ok(Sums {
        n: v[0],
        events: v[1],
        fractional_weights: v[2],
        non_finite: v[3],
        log_loss: v[4],
        brier: v[5],
        predicted: v[6],
        spiegelhalter: (v[7], v[8]),
        lp_total: v[9],
        ranges: [(v[10], v[11]), (v[12], v[13])],
        treated: v[14..].chunks(2).map(|c| (c[0], c[1])).collect(),
    })
}

/// The scored rows grouped by prediction: `p`, the events `e` and non-events `ne` at it.
fn by_prediction(scored: &Scored, d: Dialect) -> String {
    let one = number_literal(1.0, d);
    format!(
        "(SELECT p, SUM(w * y) AS e, SUM(w * ({one} - y)) AS ne FROM {} GROUP BY p) AS \
         recontact_by_p",
        scored.from
    )
}

/// The AUC's and DeLong's sums: each prediction's events and non-events with the
/// cumulative counts of the other class below and above it (window functions), the
/// placements, then their spreads about their means (two passes, in one query).
pub(crate) fn ranks(rows: &mut SqlRows<'_>, scored: &Scored) -> Result<RankSums, PushdownError> {
    let d = rows.dialect;
    let half = number_literal(0.5, d);
    let running = "ORDER BY p ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
    let cumulative = format!(
        "(SELECT p, e, ne, SUM(ne) OVER ({running}) - ne AS ne_below, \
         SUM(e) OVER () - SUM(e) OVER ({running}) AS e_above, SUM(e) OVER () AS te, \
         SUM(ne) OVER () AS tne FROM {}) AS recontact_cumulative",
        by_prediction(scored, d)
    );
    let placed = format!(
        "(SELECT e, ne, (ne_below + {half} * ne) / tne AS v10, (e_above + {half} * e) / te AS \
         v01, te, tne FROM {cumulative}) AS recontact_placed"
    );
    let centred = format!(
        "(SELECT e, ne, v10, v01, SUM(e * v10) OVER () / te AS m10, SUM(ne * v01) OVER () / \
         tne AS m01 FROM {placed}) AS recontact_centred"
    );
    let tokens = [
        rows.sum("e * v10"),
        rows.sum("e * (v10 - m10) * (v10 - m10)"),
        rows.sum("ne * (v01 - m01) * (v01 - m01)"),
    ];
    let v = rows.numbers("the ranks' sums", &tokens, &centred)?;
    Ok(RankSums {
        placements: v[0],
        event_spread: v[1],
        non_event_spread: v[2],
    })
}

/// The predictions' order statistics at the zero-based `ranks` of the (weighted) rows:
/// the smallest prediction whose cumulative count passes the rank.
pub(crate) fn order_statistics(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    ranks: &[usize],
) -> Result<BTreeMap<usize, f64>, PushdownError> {
    let d = rows.dialect;
    let mut ranks = ranks.to_vec();
    ranks.sort_unstable();
    ranks.dedup();
    let from = format!(
        "(SELECT p, SUM(c) OVER (ORDER BY p ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) \
         AS cum FROM (SELECT p, SUM(w) AS c FROM {} GROUP BY p) AS recontact_counts) AS \
         recontact_cumulative",
        scored.from
    );
    let tokens: Vec<String> = ranks
        .iter()
        .map(|&r| {
            let rank = number_literal(r as f64, d);
            exact_text(&format!("MIN(CASE WHEN cum > {rank} THEN p END)"), d)
        })
        .collect();
    let values = rows.numbers("the predictions' order statistics", &tokens, &from)?;
    Ok(ranks.into_iter().zip(values).collect())
}

/// The rows grouped by prediction: group k holds the predictions at most `limits[k]`
/// and above the earlier limits (an absent limit makes an empty group), the last group
/// the rest. Each group present with its (weighted) rows, events and Σ p.
pub(crate) fn grouped(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    limits: &[Option<f64>],
) -> Result<BTreeMap<usize, (usize, f64, f64)>, PushdownError> {
    let d = rows.dialect;
    let whens: String = limits
        .iter()
        .enumerate()
        .filter_map(|(k, limit)| {
            limit.map(|limit| format!(" WHEN p <= {} THEN {k}", number_literal(limit, d)))
        })
        .collect();
    let last = limits.len();
    let group = if whens.is_empty() {
        last.to_string()
    } else {
        format!("CASE{whens} ELSE {last} END")
    };
    group_sums(rows, scored, &group)
}

/// The equal-width bins: bin ⌊p b⌋, 1 in the last.
pub(crate) fn equal_width(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    bins: usize,
) -> Result<BTreeMap<usize, (usize, f64, f64)>, PushdownError> {
    let d = rows.dialect;
    let b = number_literal(bins as f64, d);
    let last = number_literal((bins - 1) as f64, d);
    let case = format!("CASE WHEN FLOOR(p * {b}) >= {last} THEN {last} ELSE FLOOR(p * {b}) END");
    group_sums(rows, scored, &case)
}

/// Σ w, Σ w y and Σ w p of the rows in each group `group` (an expression of p) gives.
fn group_sums(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    group: &str,
) -> Result<BTreeMap<usize, (usize, f64, f64)>, PushdownError> {
    let d = rows.dialect;
    let tokens = [
        exact_text("k", d),
        rows.sum("w"),
        rows.sum("w * y"),
        rows.sum("w * p"),
    ];
    let sql = format!(
        "SELECT {} FROM (SELECT {group} AS k, y, w, p FROM {}) AS recontact_groups GROUP BY k \
         ORDER BY k",
        balanced(&tokens, " || '/' || "),
        scored.from
    );
    let lines = rows.run(&sql)?;
    let mut out = BTreeMap::new();
    for line in &lines {
        let v = parse_numbers(rows, "a grouped table", line, 4)?;
        out.insert(whole(v[0]) as usize, (whole(v[1]) as usize, v[2], v[3]));
    }
    Ok(out)
}

fn parse_numbers(
    rows: &SqlRows<'_>,
    what: &str,
    line: &str,
    count: usize,
) -> Result<Vec<f64>, PushdownError> {
    let values: Vec<f64> = line
        .trim()
        .split('/')
        .map(str::parse::<f64>)
        .collect::<Result<_, _>>()
        .map_err(|_| rows.answer(what, line, &format!("{count} numbers")))?;
    if values.len() != count {
        return Err(rows.answer(what, line, &format!("{count} numbers")));
    }
    Ok(values)
}

/// The deterministic sample of `wanted` of the `n` weighted rows (all of them when
/// `n ≤ wanted`): in order of (p, y, lp), a row covering positions [c − w, c) of the
/// cumulative weight c is taken once for each k with ⌈k n / N⌉ among them, that is
/// ⌈c N / n⌉ − ⌈(c − w) N / n⌉ times.
pub(crate) fn sample(
    rows: &mut SqlRows<'_>,
    scored: &Scored,
    n: usize,
    wanted: usize,
) -> Result<Sample, PushdownError> {
    let d = rows.dialect;
    let size = wanted.min(n);
    let ratio = format!(
        "{} / {}",
        number_literal(size as f64, d),
        number_literal(n as f64, d)
    );
    let ceiling = |x: &str| format!("-FLOOR(-({x}) * {ratio})");
    let cumulative = format!(
        "(SELECT y, p, lp, w, SUM(w) OVER (ORDER BY p, y, lp ROWS BETWEEN UNBOUNDED PRECEDING \
         AND CURRENT ROW) AS cum FROM {}) AS recontact_cumulative",
        scored.from
    );
    let taken = format!(
        "(SELECT y, p, lp, {} - {} AS times FROM {cumulative}) AS recontact_taken",
        ceiling("cum"),
        ceiling("cum - w")
    );
    let tokens = [
        exact_text("y", d),
        exact_text("p", d),
        exact_text("times", d),
    ];
    let sql = format!(
        "SELECT {} FROM {taken} WHERE times > 0 ORDER BY p, y, lp",
        balanced(&tokens, " || '/' || ")
    );
    let lines = rows.run(&sql)?;
    let mut out = Sample {
        y: Vec::with_capacity(size),
        p: Vec::with_capacity(size),
    };
    for line in &lines {
        let v = parse_numbers(rows, "the sample", line, 3)?;
        let times = whole(v[2]) as usize;
        if out.y.len() + times > size {
            return Err(rows.answer("the sample", line, &format!("at most {size} rows")));
        }
        out.y.extend(std::iter::repeat_n(v[0], times));
        out.p.extend(std::iter::repeat_n(v[1], times));
    }
    Ok(out)
}
