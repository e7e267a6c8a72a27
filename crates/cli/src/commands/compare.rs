//! `recontact compare`: two models scored on the same outcome data — AIC and BIC, the
//! likelihood-ratio test of nested models fitted on these data, and DeLong's paired
//! test of their AUCs.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use recontact_scoring::compare::{self, Comparison, FitOnData};

use super::conventions::DataArg;
use crate::output::{self, Output};
use crate::report::{number, p_value};
use crate::{input, Failure};

/// Compare two models on the same outcome data: log-likelihood, AIC and BIC of each,
/// the likelihood-ratio test when one model's terms are nested in the other's and both
/// were fitted on these data, and DeLong's paired test of the two AUCs.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact compare my_outcomes.csv --model small.json --model large.json\n  \
recontact compare holdout.csv --model a.json --model b.json --format json -o comparison.json")]
pub struct Args {
    /// The two model files, A then B (give --model twice).
    #[arg(long, value_name = "MODEL.json", num_args = 1, required = true)]
    model: Vec<PathBuf>,
    // The outcome data (CSV with both models' outcome and input columns).
    #[command(flatten)]
    data: DataArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print nothing on standard error but errors (compare prints no other message;
    /// accepted by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
}

/// How the comparison is printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with `a`, `b`, `lr_test` (or `lr_test_unavailable`) and `delong`.
    Json,
}

/// The largest data file compare holds in memory to read it once for each model.
const MAX_DATA_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let [path_a, path_b] = <[PathBuf; 2]>::try_from(args.model.clone()).map_err(|given| {
        Failure::Usage(format!(
            "compare takes exactly two models (--model A --model B), got {}",
            given.len()
        ))
    })?;
    let out_path = args.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    output::check_distinct(
        &[
            ("--model", path_a.as_path()),
            ("--model", path_b.as_path()),
            ("", args.data.path()),
        ],
        &[("--out", out_path.as_path())],
    )?;
    let (a, b) = (
        super::summary::load(&path_a)?,
        super::summary::load(&path_b)?,
    );
    let (name, bytes) = read_all(args.data.path())?;
    let data_a = super::read_for_model(&a, &path_a.display().to_string(), &name, &bytes[..])?;
    let data_b = super::read_for_model(&b, &path_b.display().to_string(), &name, &bytes[..])?;
    let comparison =
        compare::compare(&a, &b, &data_a, &data_b, &data_a.sha256).map_err(|e| match e {
            compare::CompareError::Design { which, source } => Failure::Data(format!(
                "{name}: model {which}: {}",
                super::fit_message(&source)
            )),
            other => Failure::Data(format!("{name}: {other}")),
        })?;
    let text = match args.format {
        Format::Table => render_table(&path_a, &path_b, &name, &comparison),
        Format::Json => {
            serde_json::to_string_pretty(&comparison).map_err(|e| Failure::Data(e.to_string()))?
                + "\n"
        }
    };
    let mut out = Output::open(args.out.as_deref())?;
    out.write_all(text.as_bytes())
        .map_err(|e| out.write_failure(e))?;
    out.commit()
}

/// The data's name and bytes (read once, then parsed for each model's spec).
fn read_all(path: &Path) -> Result<(String, Vec<u8>), Failure> {
    let input = input::open(path).map_err(Failure::Io)?;
    let mut bytes = Vec::new();
    input
        .reader
        .take(MAX_DATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Io(format!("{}: cannot read: {e}", input.name)))?;
    if bytes.len() as u64 > MAX_DATA_BYTES {
        return Err(Failure::Data(format!(
            "{}: larger than the {MAX_DATA_BYTES} bytes compare holds in memory",
            input.name
        )));
    }
    Ok((input.name, bytes))
}

fn fit_line(label: &str, path: &Path, fit: &FitOnData) -> String {
    format!(
        "  {label} {:<30} {:>14} {:>4} {:>14} {:>14} {:>8}\n",
        path.display(),
        number(fit.log_likelihood, 4),
        fit.coefficients,
        number(fit.aic, 4),
        number(fit.bic, 4),
        number(fit.auc, 4)
    )
}

/// The comparison as aligned text.
fn render_table(a: &Path, b: &Path, data: &str, c: &Comparison) -> String {
    let mut out = format!(
        "Comparison on {data}: n = {}, events = {}\n\n  {:<32} {:>14} {:>4} {:>14} {:>14} {:>8}\n",
        c.n, c.events, "model", "log-lik", "k", "AIC", "BIC", "AUC"
    );
    out += &fit_line("A", a, &c.a);
    out += &fit_line("B", b, &c.b);
    match (&c.lr_test, &c.lr_test_unavailable) {
        (Some(t), _) => {
            out += &format!(
                "\nLikelihood-ratio test (model {} nested): chi2 {} on {} df, p = {}\n",
                t.smaller,
                number(t.chi2, 4),
                t.df,
                p_value(t.p_value)
            )
        }
        (None, Some(why)) => out += &format!("\nNo likelihood-ratio test: {why}\n"),
        (None, None) => {}
    }
    let d = &c.delong;
    out += &format!(
        "\nDeLong paired test of the AUCs: A {} vs B {}, difference {} (SE {}), z = {}, p = {}\n",
        number(d.auc_a, 4),
        number(d.auc_b, 4),
        number(d.difference, 4),
        number(d.se, 4),
        number(d.z, 3),
        p_value(d.p_value)
    );
    out
}
