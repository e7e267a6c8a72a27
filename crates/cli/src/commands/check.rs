//! `recontact check`: validate a re-contact CSV and summarise it.

use std::path::PathBuf;

use serde_json::json;

use recontact_domain::{CaseReader, OutcomeColumn, Summary};
use recontact_scoring::data::{check_source, SourceCheck};

use super::conventions::{plural_s, DataArg, OutArg};
use super::spec_args::SpecArgs;
use crate::{input, Failure};

/// Validate a re-contact CSV and summarise it, or validate any CSV against a spec or a
/// model.
///
/// A valid file prints rows, successes and the success rate, counts per category level
/// and the min/median/max of the numbers, and exits 0. An invalid file lists its problems
/// (each with line, column, value and what is allowed) on standard error and exits 1.
///
/// With --spec (or term flags) or --model, the file is checked against what that spec or
/// model reads instead of the re-contact contract: its columns, numbers and bounds,
/// booleans, and pinned (spec) or known (model) levels; the outcome when present.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  recontact check data/recontact_outcomes.csv\n  \
recontact simulate --n 100 --seed 3 | recontact check -\n  \
recontact check data/recontact_outcomes.csv --format json -o summary.json"
)]
pub struct Args {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    out: OutArg,
    /// Output format of the summary of a valid file (problems always go to standard error).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Print nothing but results and errors (check prints no other message; accepted by
    /// every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
    /// List at most this many problems (the total is always counted).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = super::bounded(0, 1_000_000))]
    max_problems: usize,
    /// Check against a model file's columns, levels and bounds.
    #[arg(long, value_name = "MODEL.json", conflicts_with = "spec")]
    model: Option<PathBuf>,
    #[command(flatten)]
    model_spec: Box<SpecArgs>,
}

/// How the summary of a valid file is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with `file`, `valid`, `rows` and the counts and spreads (or, against a spec
    /// or model, `against` and `has_outcome`).
    Json,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut inputs = vec![("", args.data.path())];
    inputs.extend(args.model.as_deref().map(|m| ("--model", m)));
    inputs.extend(args.model_spec.file().map(|s| ("--spec", s)));
    args.out.check(&inputs)?;
    if args.model.is_some() || args.model_spec.given() {
        return check_generic(&args);
    }
    let input = input::open(args.data.path()).map_err(Failure::Io)?;
    let reader = CaseReader::new(input.name.clone(), input.reader, OutcomeColumn::Optional)
        .map_err(|errors| Failure::Data(errors.to_string()))?;
    let has_outcome = reader.has_outcome();

    let mut summary = Summary::new();
    let mut problems = 0usize;
    let mut bad_rows = 0u64;
    for row in reader {
        match row {
            Ok(observation) => summary.add(&observation),
            Err(errors) if errors.is_fatal() => {
                let io = errors
                    .problems()
                    .iter()
                    .any(|p| matches!(p.problem, recontact_domain::Problem::Io(_)));
                let message = errors.to_string();
                return Err(if io {
                    Failure::Io(message)
                } else {
                    Failure::Data(message)
                });
            }
            Err(errors) => {
                bad_rows += 1;
                for problem in errors.problems() {
                    if problems < args.max_problems {
                        eprintln!("error: {problem}");
                    }
                    problems += 1;
                }
            }
        }
    }

    if problems > 0 {
        let shown = problems.min(args.max_problems);
        eprintln!(
            "{}: invalid: {problems} problem{} in {bad_rows} row{} (showing {shown}); {} valid row{}",
            input.name,
            plural(problems as u64),
            plural(bad_rows),
            summary.rows(),
            plural(summary.rows()),
        );
        return Err(Failure::Data(String::new()));
    }

    let text = match args.format {
        Format::Table => render(&input.name, &summary, has_outcome),
        Format::Json => to_json(&summary_json(&input.name, &summary, has_outcome))?,
    };
    args.out.write(text.as_bytes())
}

/// Checks the file against a spec or a model, listing the first problems.
fn check_generic(args: &Args) -> Result<(), Failure> {
    let (against, spec, model) = match &args.model {
        Some(path) => {
            let model = super::summary::load(path)?;
            let spec = model
                .spec
                .clone()
                .check()
                .map_err(|e| Failure::Data(format!("{}: {e}", path.display())))?;
            (format!("model {}", path.display()), spec, Some(model))
        }
        None => {
            let (_, spec) = args.model_spec.load()?;
            (args.model_spec.describe(), spec, None)
        }
    };
    let input = input::open(args.data.path()).map_err(Failure::Io)?;
    let encoding = model
        .as_ref()
        .map(|m| &m.encoding as &dyn recontact_scoring::data::KnownLevels);
    let found =
        check_source(&input.name, input.reader, &spec, encoding).map_err(super::fit_failure)?;
    let SourceCheck {
        rows,
        invalid,
        has_outcome,
    } = found;
    if invalid.rows == 0 {
        let outcome = if has_outcome {
            format!("outcome `{}` present", spec.config().outcome)
        } else {
            format!(
                "no outcome column `{}` (cases to score)",
                spec.config().outcome
            )
        };
        let text = match args.format {
            Format::Table => format!(
                "{}: valid against {against}, {rows} row{}; {outcome}\n",
                input.name,
                plural(rows)
            ),
            Format::Json => to_json(&json!({
                "file": input.name,
                "valid": true,
                "against": against,
                "rows": rows,
                "has_outcome": has_outcome,
            }))?,
        };
        return args.out.write(text.as_bytes());
    }
    let problems: u64 = invalid.reasons.values().sum();
    let shown = invalid.first_problems.len().min(args.max_problems);
    for problem in invalid.first_problems.iter().take(shown) {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "{}: invalid against {against}: {problems} problem{} in {} row{} (showing {shown}); {} valid row{}",
        input.name,
        plural(problems),
        invalid.rows,
        plural(invalid.rows),
        rows - invalid.rows,
        plural(rows - invalid.rows),
    );
    for (reason, count) in &invalid.reasons {
        eprintln!("  {count:>8}  {reason}");
    }
    Err(Failure::Data(String::new()))
}

fn plural(n: u64) -> &'static str {
    plural_s(n == 1)
}

/// `value` as pretty JSON and a final newline.
fn to_json(value: &serde_json::Value) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|e| Failure::Data(e.to_string()))
}

/// The summary of a valid re-contact file as JSON, the same counts as the table.
fn summary_json(name: &str, summary: &Summary, has_outcome: bool) -> serde_json::Value {
    let levels: serde_json::Map<_, _> = summary
        .level_counts()
        .into_iter()
        .map(|(column, counts)| {
            let counts: serde_json::Map<_, _> = counts
                .into_iter()
                .map(|(level, n)| (level.to_string(), json!(n)))
                .collect();
            (column.to_string(), serde_json::Value::Object(counts))
        })
        .collect();
    let true_counts: serde_json::Map<_, _> = summary
        .true_counts()
        .into_iter()
        .map(|(column, n)| (column.to_string(), json!(n)))
        .collect();
    let spreads: serde_json::Map<_, _> = summary
        .spreads()
        .into_iter()
        .map(|(column, spread)| {
            let spread = spread.map(|s| json!({"min": s.min, "median": s.median, "max": s.max}));
            (
                column.to_string(),
                spread.unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    json!({
        "file": name,
        "valid": true,
        "rows": summary.rows(),
        "has_outcome": has_outcome,
        "successes": summary.successes().map(|(successes, _)| successes),
        "levels": levels,
        "true": true_counts,
        "numbers": spreads,
    })
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn render(name: &str, summary: &Summary, has_outcome: bool) -> String {
    let rows = summary.rows();
    let mut out = format!("{name}: valid, {rows} row{}\n", plural(rows));
    match summary.successes() {
        Some((successes, _)) => {
            out += &format!(
                "success: {successes} of {rows} ({})\n",
                percent(successes, rows)
            );
        }
        None if has_outcome => out += "success: no rows\n",
        None => out += "success: no success column (cases to score)\n",
    }
    for (column, counts) in summary.level_counts() {
        out += &format!("\n{column}\n");
        for (level, n) in counts {
            out += &format!("  {level:<24}{n:>9}  {:>6}\n", percent(n, rows));
        }
    }
    out += "\ntrue in\n";
    for (column, n) in summary.true_counts() {
        out += &format!("  {column:<24}{n:>9}  {:>6}\n", percent(n, rows));
    }
    out += &format!(
        "\n{:<26}{:>9} {:>9} {:>9}\n",
        "numbers", "min", "median", "max"
    );
    for (column, spread) in summary.spreads() {
        match spread {
            Some(s) => {
                let [min, median, max] = [s.min, s.median, s.max].map(table_number);
                out += &format!("  {column:<24}{min:>9} {median:>9} {max:>9}\n");
            }
            None => out += &format!("  {column:<24}{:>9} {:>9} {:>9}\n", "-", "-", "-"),
        }
    }
    out
}

/// A number for the summary table: six significant digits at most (a median of 6.2 and
/// 6.4 is `6.3`, not `6.300000000000001`), in scientific notation beyond a million.
fn table_number(value: f64) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    if !(1e-4..1e6).contains(&value.abs()) {
        return format!("{value:.3e}");
    }
    let digits = (5 - value.abs().log10().floor() as i64).clamp(0, 9) as usize;
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::table_number;

    #[test]
    fn table_numbers_are_short() {
        let cases = [
            (6.300000000000001, "6.3"),
            (0.0, "0"),
            (-0.0, "0"),
            (14.0, "14"),
            (1603.0, "1603"),
            (0.4, "0.4"),
            (123456.123456789, "123456"),
            (-2.5, "-2.5"),
            (0.000123456789, "0.000123457"),
            (1e7, "1.000e7"),
            (-3e-9, "-3.000e-9"),
        ];
        for (value, text) in cases {
            assert_eq!(table_number(value), text, "{value}");
        }
    }
}
