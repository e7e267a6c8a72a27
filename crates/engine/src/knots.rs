//! A column's default-knot profile in SQL: the candidate values' counts, the second
//! extremes with theirs, and the smallest distinct values.

use recontact_export::rows::{exact_text, number_literal, number_of_column};
use recontact_model::summed::KnotCounts;

use crate::fit::{PushdownError, SqlRows};

/// The profile of `column` among the rows kept (see
/// [`recontact_model::summed::RowAggregates::knot_profile`]): three queries.
pub(crate) fn knot_profile(
    rows: &mut SqlRows<'_>,
    column: &str,
    candidates: &[f64],
    (min, max): (f64, f64),
    cap: usize,
) -> Result<KnotCounts, PushdownError> {
    let d = rows.dialect;
    let values = format!(
        "({}) AS recontact_values",
        rows.kept_list(&format!("{} AS v", number_of_column(column, d)?))
    );
    let count_of = |value: &str| {
        exact_text(
            &format!("COALESCE(SUM(CASE WHEN v = {value} THEN 1 ELSE 0 END), 0)"),
            d,
        )
    };
    let none = "'none'";
    let mut tokens: Vec<String> = candidates
        .iter()
        .map(|&c| count_of(&number_literal(c, d)))
        .collect();
    let (low, high) = (number_literal(min, d), number_literal(max, d));
    for extreme in [
        format!("MIN(CASE WHEN v > {low} THEN v END)"),
        format!("MAX(CASE WHEN v < {high} THEN v END)"),
    ] {
        tokens.push(format!("COALESCE({}, {none})", exact_text(&extreme, d)));
    }
    let answer = rows.words("the knots' profile", &tokens, &values)?;
    let counts = answer[..candidates.len()]
        .iter()
        .map(|t| parse(rows, column, t).map(|v| v as usize))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seconds = Vec::new();
    for word in &answer[candidates.len()..] {
        seconds.push(match word.as_str() {
            "none" => None,
            text => Some(parse(rows, column, text)?),
        });
    }
    let second_counts = second_counts(rows, &values, &seconds, column)?;
    let second = |k: usize| seconds[k].map(|value| (value, second_counts[k]));
    let distinct_sql = format!(
        "SELECT {} FROM (SELECT DISTINCT v FROM {values}) AS recontact_distinct ORDER BY v LIMIT {}",
        exact_text("v", d),
        cap + 1
    );
    let distinct = rows
        .run_bounded(&distinct_sql, cap + 1)?
        .iter()
        .map(|t| parse(rows, column, t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KnotCounts {
        counts,
        second_low: second(0),
        second_high: second(1),
        distinct,
    })
}

/// How many rows hold each second extreme (0 for one that does not exist).
fn second_counts(
    rows: &mut SqlRows<'_>,
    values: &str,
    seconds: &[Option<f64>],
    column: &str,
) -> Result<Vec<usize>, PushdownError> {
    let d = rows.dialect;
    let tokens: Vec<String> = seconds
        .iter()
        .map(|s| {
            let value = number_literal(s.unwrap_or(f64::MAX), d);
            exact_text(
                &format!("COALESCE(SUM(CASE WHEN v = {value} THEN 1 ELSE 0 END), 0)"),
                d,
            )
        })
        .collect();
    let counts = rows.numbers("the second extremes' counts", &tokens, values)?;
    let _ = column;
    Ok(counts
        .iter()
        .zip(seconds)
        .map(|(&c, s)| if s.is_some() { c as usize } else { 0 })
        .collect())
}

fn parse(rows: &SqlRows<'_>, column: &str, text: &str) -> Result<f64, PushdownError> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| rows.answer(column, text, "a number"))
}
