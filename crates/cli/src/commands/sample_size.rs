//! `recontact sample-size`: the minimum number of observations for developing a model,
//! by the criteria of Riley et al.

use recontact_scoring::sample_size::{riley_with, RileyOptions, Rounding, SampleSize};

use super::conventions::OutArg;
use crate::Failure;

/// Minimum sample size for developing a logistic prediction model (Riley et al. 2019/2020,
/// as R's pmsampsize computes it for a binary outcome).
///
/// The largest of three criteria: expected shrinkage at least --shrinkage, optimism in
/// Nagelkerke R² at most 0.05, and the overall risk estimated within ±0.05.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact sample-size --parameters 24 --prevalence 0.174 --r2cs 0.288\n  \
recontact sample-size --parameters 24 --prevalence 0.174 --r2cs 0.288 --rounding pmsampsize --format json")]
pub struct Args {
    /// Candidate predictor parameters (coefficients besides the intercept, not predictors).
    #[arg(long, value_name = "P", value_parser = super::bounded(1, 1_000_000))]
    parameters: usize,
    /// Anticipated outcome proportion, in (0, 1).
    #[arg(long, value_name = "F")]
    prevalence: f64,
    /// Anticipated (adjusted) Cox–Snell R² of the new model, in (0, 1).
    #[arg(long, value_name = "R")]
    r2cs: f64,
    /// Target expected shrinkage of criterion 1.
    #[arg(long, value_name = "S", default_value_t = 0.9)]
    shrinkage: f64,
    /// Rounding of intermediate quantities: the published formulas, or as pmsampsize 1.0.x.
    #[arg(long, value_enum, default_value_t = RoundingArg::Exact)]
    rounding: RoundingArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    out: OutArg,
    /// Print nothing on standard error but errors (sample-size prints no other message;
    /// accepted by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
}

/// How intermediate quantities are rounded.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RoundingArg {
    /// No rounding before each criterion's final ceiling.
    Exact,
    /// Max R²cs to 2 decimals and criterion 2's shrinkage to 3, as pmsampsize does.
    Pmsampsize,
}

/// How the result is printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with the three criteria and the minimum.
    Json,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let rounding = match args.rounding {
        RoundingArg::Exact => Rounding::Exact,
        RoundingArg::Pmsampsize => Rounding::Pmsampsize,
    };
    let options = RileyOptions {
        shrinkage: args.shrinkage,
        rounding,
    };
    let size = riley_with(args.parameters, args.prevalence, args.r2cs, options)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let text = match args.format {
        Format::Table => render_table(&size, options),
        Format::Json => {
            let mut value =
                serde_json::to_value(&size).map_err(|e| Failure::Data(e.to_string()))?;
            value["options"] =
                serde_json::to_value(options).map_err(|e| Failure::Data(e.to_string()))?;
            serde_json::to_string_pretty(&value).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    args.out.write_checked(&[], text.as_bytes())
}

/// The criteria as aligned text.
pub fn render_table(size: &SampleSize, options: RileyOptions) -> String {
    let rounding = match options.rounding {
        Rounding::Exact => "exact formulas",
        Rounding::Pmsampsize => "rounded as pmsampsize",
    };
    let mut out = format!(
        "minimum sample size (Riley et al., {rounding}): {} parameters, prevalence {}, \
         Cox-Snell R² {} (max {:.4}, Nagelkerke R² {:.4})\n\n",
        size.parameters, size.prevalence, size.r2cs, size.max_r2cs, size.nagelkerke_r2
    );
    out += &format!(
        "  {:<42}{:>8}{:>11}{:>10}{:>8}\n",
        "criterion", "n", "shrinkage", "events", "EPP"
    );
    let rows = [
        (
            format!("1 expected shrinkage >= {}", options.shrinkage),
            &size.criterion1,
        ),
        (
            "2 optimism in Nagelkerke R² <= 0.05".to_string(),
            &size.criterion2,
        ),
        ("3 overall risk within ±0.05".to_string(), &size.criterion3),
    ];
    for (name, c) in rows {
        out += &format!(
            "  {name:<42}{:>8}{:>11.3}{:>10.1}{:>8.2}\n",
            c.n, c.shrinkage, c.events, c.epp
        );
    }
    out += &format!(
        "  {:<42}{:>8}{:>11.3}{:>10.1}{:>8.2}\n",
        "minimum", size.n, size.shrinkage, size.events, size.epp
    );
    out
}
