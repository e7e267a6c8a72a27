//! `recontact scorecard`: the model as points.

use std::path::PathBuf;

use recontact_scoring::{scorecard, Scaling, Scorecard};

use super::conventions::{model_input, OutArg};
use crate::Failure;

/// Show a model as a points scorecard: points per level, value or knot region of every
/// term, and the probability that each total means.
///
/// score = offset + factor · logit, factor = pdo / ln 2, offset = base-points − factor · ln(base-odds).
/// Points are relative to the reference situation (reference levels, medians), which
/// scores the base.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  recontact scorecard\n  \
recontact scorecard --model model.json --base-points 600 --base-odds 1 --pdo 20 --format csv")]
pub struct Args {
    /// A model file (default: the embedded default model).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Points at the base odds.
    #[arg(long, default_value_t = 600.0)]
    base_points: f64,
    /// Odds (success : failure) that score the base points.
    #[arg(long, default_value_t = 1.0)]
    base_odds: f64,
    /// Points that double the odds.
    #[arg(long, default_value_t = 20.0)]
    pdo: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    out: OutArg,
    /// Print nothing on standard error but errors (scorecard prints no other message;
    /// accepted by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
}

/// How a scorecard is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// One row per term value: term,value,points,points_rounded.
    Csv,
    /// Everything, including the totals table.
    Json,
}

fn render_table(card: &Scorecard) -> String {
    let width = card
        .rows
        .iter()
        .map(|r| r.term.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let value_width = card
        .rows
        .iter()
        .map(|r| r.value.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "Scorecard: {} points at odds {}:1, {} points double the odds (factor {:.4}, offset {:.4})\n\
         Base (reference situation): {} points ({:.4})\n\n{:<width$}  {:<value_width$}  {:>7}  {:>10}\n",
        card.scaling.base_points,
        card.scaling.base_odds,
        card.scaling.pdo,
        card.factor,
        card.offset,
        card.base_rounded,
        card.base,
        "term",
        "value",
        "points",
        "exact"
    );
    let mut last = "";
    for row in &card.rows {
        let term = if row.term == last {
            ""
        } else {
            row.term.as_str()
        };
        last = &row.term;
        out += &format!(
            "{term:<width$}  {:<value_width$}  {:>7}  {:>10.3}\n",
            row.value, row.points_rounded, row.points
        );
    }
    out += "\ntotal points  probability\n";
    for (points, p) in &card.totals {
        out += &format!("{points:>12}  {p:.4}\n");
    }
    out += &format!(
        "\nRounded points give the exact probability to within {:.4} for any row whose values are listed.\n",
        card.max_probability_error
    );
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    if !(args.pdo > 0.0 && args.base_odds > 0.0 && args.base_points.is_finite()) {
        return Err(Failure::Usage(
            "--pdo and --base-odds must be positive, --base-points finite".into(),
        ));
    }
    let model = super::model_or_default(args.model.as_deref())?;
    let card = scorecard(
        &model,
        Scaling {
            base_points: args.base_points,
            base_odds: args.base_odds,
            pdo: args.pdo,
        },
    );
    let text = match args.format {
        Format::Table => render_table(&card),
        Format::Csv => {
            let mut out = format!(
                "term,value,points,points_rounded\nbase,,{},{}\n",
                card.base, card.base_rounded
            );
            for row in &card.rows {
                out += &format!(
                    "{},{},{},{}\n",
                    csv_field(&row.term),
                    csv_field(&row.value),
                    row.points,
                    row.points_rounded
                );
            }
            out
        }
        Format::Json => {
            serde_json::to_string_pretty(&card).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    args.out
        .write_checked(&model_input(args.model.as_deref()), text.as_bytes())
}
