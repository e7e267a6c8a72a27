//! `recontact anova`: term-level tests of a model file — Wald χ² per factor, its
//! non-linearity and its interactions, and with `--data` likelihood-ratio tests by
//! refitting without each term.

use std::io::Write;
use std::path::{Path, PathBuf};

use recontact_scoring::anova::{self, AnovaRow, LikelihoodRatioRow};

use super::conventions::OptionalDataArg;
use crate::output::{self, Output};
use crate::report::{number, p_value};
use crate::{input, Failure};

/// Test each factor of a model: Wald χ² pooling every design column that involves it
/// (its levels, spline basis and interactions), its non-linear part, each interaction
/// and the totals, as rms `anova` lays them out.
///
/// With a data FILE, also likelihood-ratio tests, refitting the model on the data without
/// each term; dropping a factor drops every interaction it is part of (marginality).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  recontact anova --model model.json\n  \
recontact anova my_outcomes.csv --model model.json --format json -o anova.json")]
pub struct Args {
    /// The model file.
    #[arg(long, value_name = "MODEL.json")]
    model: PathBuf,
    // Outcome data to refit on for likelihood-ratio tests (CSV with the model's columns).
    #[command(flatten)]
    data: OptionalDataArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print nothing on standard error but errors (anova prints no other message;
    /// accepted by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
}

/// How the tests are printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with `wald` rows and, with a data FILE, `likelihood_ratio` rows.
    Json,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut inputs = vec![("--model", args.model.as_path())];
    inputs.extend(args.data.path().map(|d| ("", d)));
    let out_path = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    output::check_distinct(&inputs, &[("--out", out_path.as_path())])?;
    let model = super::summary::load(&args.model)?;
    let name = args.model.display().to_string();
    let wald = anova::wald_anova(&model).map_err(|e| Failure::Data(format!("{name}: {e}")))?;
    let likelihood_ratio = match args.data.path() {
        Some(path) => Some(likelihood_ratio(&model, &name, path)?),
        None => None,
    };
    let text = match args.format {
        Format::Table => render_table(&name, &wald, likelihood_ratio.as_deref()),
        Format::Json => {
            let json = anova::AnovaReport {
                wald,
                likelihood_ratio,
            };
            serde_json::to_string_pretty(&json).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    write(args.out.as_deref(), &text)
}

/// The likelihood-ratio tests of `model` on the data at `path`.
fn likelihood_ratio(
    model: &recontact_scoring::Model,
    name: &str,
    path: &Path,
) -> Result<Vec<LikelihoodRatioRow>, Failure> {
    let input = input::open(path).map_err(Failure::Io)?;
    let data = super::read_for_model(model, name, &input.name, input.reader)?;
    anova::likelihood_ratio_tests(model, &data)
        .map_err(|e| Failure::Data(format!("{name} on {}: {e}", data.source_name)))
}

/// Writes `text` to `path` (standard output for `None` or `-`).
fn write(path: Option<&Path>, text: &str) -> Result<(), Failure> {
    let mut out = Output::open(path)?;
    out.write_all(text.as_bytes())
        .map_err(|e| out.write_failure(e))?;
    out.commit()
}

/// The tests as aligned text, sub-rows indented under their factor.
fn render_table(name: &str, wald: &[AnovaRow], lr: Option<&[LikelihoodRatioRow]>) -> String {
    let label = |row: &AnovaRow| match row.of {
        Some(_) => format!("  {}", row.term),
        None => row.term.clone(),
    };
    let width = wald
        .iter()
        .map(|r| label(r).len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "Wald tests of {name} (the model file's covariance)\n{:<width$} {:>12} {:>5} {:>10}\n",
        "factor", "chi2", "df", "p"
    );
    for row in wald {
        out += &format!(
            "{:<width$} {:>12} {:>5} {:>10}\n",
            label(row),
            number(row.chi2, 4),
            row.df,
            p_value(row.p_value)
        );
    }
    if let Some(rows) = lr {
        out += "\nLikelihood-ratio tests, refitting on the data without each term \
                (a factor is dropped with its interactions)\n";
        let width = rows.iter().map(|r| r.term.len()).max().unwrap_or(4).max(4);
        out += &format!(
            "{:<width$} {:>12} {:>5} {:>10}   dropped\n",
            "term", "chi2", "df", "p"
        );
        for row in rows {
            out += &format!(
                "{:<width$} {:>12} {:>5} {:>10}   {}\n",
                row.term,
                number(row.chi2, 4),
                row.df,
                p_value(row.p_value),
                row.dropped.join(", ")
            );
        }
    }
    out
}
