//! `recontact summary`: the estimates and fit statistics of a model file.

use std::path::PathBuf;

use recontact_scoring::effects::{self, Effect, Effects};
use recontact_scoring::{CovarianceType, Model};

use super::conventions::OutArg;
use crate::input::{self, ReadFailure};
use crate::report::p_value;
use crate::Failure;

/// Print a model's coefficients, standard errors, tests and fit statistics.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  recontact summary --model model.json\n  \
recontact summary --model model.json --format json -o summary.json")]
pub struct Args {
    /// The model file.
    #[arg(long, value_name = "MODEL.json")]
    model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    out: OutArg,
    /// Print nothing but results and errors (summary prints no other message; accepted
    /// by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
}

/// How a summary is printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with `terms` (with odds ratios), the fit statistics and `effects`.
    Json,
}

/// Reads a model file, naming it in any error: one that cannot be read is an I/O
/// failure; one too large, not UTF-8 or not a valid model is invalid data.
pub fn load(path: &std::path::Path) -> Result<Model, Failure> {
    load_with_bytes(path).map(|(model, _)| model)
}

/// [`load`], also giving the file's bytes as read (for its hash).
pub fn load_with_bytes(path: &std::path::Path) -> Result<(Model, Vec<u8>), Failure> {
    let name = path.display().to_string();
    let file = input::read_text_bounded(path, input::MAX_MODEL_BYTES, "model file").map_err(
        |failure| match failure {
            ReadFailure::Io(message) => Failure::Io(message),
            ReadFailure::Invalid(message) => Failure::Data(message),
        },
    )?;
    let model = Model::from_json(&name, file.text()).map_err(|e| Failure::Data(e.to_string()))?;
    Ok((model, file.bytes().to_vec()))
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let model = load(&args.model)?;
    let text = match args.format {
        Format::Table => {
            let effects = effects::effects(&model).map_err(|e| e.to_string());
            render_table(&model) + &render_effects(&model, &effects)
        }
        Format::Json => render_json(&model)?,
    };
    args.out
        .write_checked(&[("--model", &args.model)], text.as_bytes())
}

/// The summary of `model` as pretty JSON: terms with odds ratios, fit statistics, effects.
pub fn render_json(model: &Model) -> Result<String, Failure> {
    let json = effects::summary_report(model);
    serde_json::to_string_pretty(&json)
        .map(|text| text + "\n")
        .map_err(|e| Failure::Data(e.to_string()))
}

fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e6) {
        format!("{v:.4e}")
    } else {
        format!("{v:.6}")
    }
}

/// A profile limit, or `unbounded` for a side that does not close.
fn limit(value: Option<f64>) -> String {
    value.map_or_else(|| "unbounded".to_string(), number)
}

/// Which covariance the standard errors are, in words.
fn covariance_words(model: &Model) -> String {
    match (model.options.covariance_type, &model.cluster) {
        (CovarianceType::Model, _) => "model-based (inverse information)".into(),
        (CovarianceType::Hc0, _) => "robust, HC0 sandwich".into(),
        (CovarianceType::Hc1, _) => "robust, HC1 sandwich (scaled by n/(n-p))".into(),
        (CovarianceType::Cluster, Some(cluster)) => format!(
            "cluster-robust by `{}` ({} clusters)",
            cluster.column, cluster.clusters
        ),
        (CovarianceType::Cluster, None) => "cluster-robust".into(),
    }
}

/// An odds ratio, or `overflow` where exp(x) is not finite.
fn odds(v: Option<f64>) -> String {
    v.map_or_else(|| "overflow".to_string(), number)
}

/// A setting of an effect's range.
fn setting(s: &effects::Setting) -> String {
    match s {
        effects::Setting::Number(x) => number(*x),
        effects::Setting::Level(l) => l.clone(),
    }
}

/// The effects table (as `summary.rms` prints it), or why there is none.
fn render_effects(model: &Model, effects: &Result<Effects, String>) -> String {
    let effects = match effects {
        Ok(effects) => effects,
        Err(why) => return format!("\nEffects: not available: {why}\n"),
    };
    let level = model.options.level * 100.0;
    // Level names can be long: the columns are as wide as their widest entry.
    let widest = |f: &dyn Fn(&Effect) -> String, least: usize| {
        effects
            .effects
            .iter()
            .map(|e| f(e).len())
            .max()
            .unwrap_or(0)
            .max(least)
    };
    let fw = widest(&|e| e.factor.clone(), 6);
    let lw = widest(&|e| setting(&e.low), 3);
    let hw = widest(&|e| setting(&e.high), 4);
    let mut out = format!(
        "\nEffects (low to high, the other factors at their median, reference level or false)\n\
         {:<fw$} {:>lw$} {:>hw$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
        "factor",
        "low",
        "high",
        "effect",
        "se",
        format!("{level:.0}% low"),
        format!("{level:.0}% high"),
        "OR",
        "OR low",
        "OR high"
    );
    for e in &effects.effects {
        out += &format!(
            "{:<fw$} {:>lw$} {:>hw$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
            e.factor,
            setting(&e.low),
            setting(&e.high),
            number(e.effect),
            number(e.se),
            number(e.ci_low),
            number(e.ci_high),
            odds(e.odds_ratio),
            odds(e.odds_ratio_ci_low),
            odds(e.odds_ratio_ci_high)
        );
    }
    for skipped in &effects.skipped {
        out += &format!("{}: no effect: {}\n", skipped.factor, skipped.reason);
    }
    out
}

/// The summary as an aligned table.
pub fn render_table(model: &Model) -> String {
    let s = &model.statistics;
    let level = model.options.level * 100.0;
    let width = model
        .terms
        .iter()
        .map(|t| t.term.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "Logistic model ({}), {} rows, n = {}, events = {}\n\n",
        match s.method.as_str() {
            "firth" => "Firth bias-reduced",
            "l2" => "L2-penalised",
            _ => "maximum likelihood",
        },
        s.rows,
        s.n,
        s.events
    );
    let profile = model.profile_intervals.as_deref();
    let kind = if profile.is_some() { "profile" } else { "Wald" };
    out += &format!(
        "{:<width$} {:>12} {:>12} {:>9} {:>10} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
        "term",
        "estimate",
        "std_error",
        "z",
        "p",
        format!("{level:.0}% low"),
        format!("{level:.0}% high"),
        "odds_ratio",
        "OR low",
        "OR high"
    );
    for (j, row) in effects::odds_ratios(model).into_iter().enumerate() {
        let t = row.estimate;
        // Odds-ratio bounds are exp of the bounds shown, profile ones when stored.
        let (low, high, or_low, or_high) = match profile.and_then(|p| p.get(j)) {
            Some(interval) => (
                limit(interval.low),
                limit(interval.high),
                limit(interval.low.map(f64::exp)),
                limit(interval.high.map(f64::exp)),
            ),
            None => (
                number(t.ci_low),
                number(t.ci_high),
                odds(row.odds_ratio_ci_low),
                odds(row.odds_ratio_ci_high),
            ),
        };
        out += &format!(
            "{:<width$} {:>12} {:>12} {:>9.3} {:>10} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
            t.term,
            number(t.estimate),
            number(t.std_error),
            t.z,
            p_value(t.p_value),
            low,
            high,
            odds(row.odds_ratio),
            or_low,
            or_high
        );
    }
    out += &format!(
        "\nstandard errors: {}; intervals: {kind}\n",
        covariance_words(model)
    );
    for interval in profile.unwrap_or_default() {
        for note in &interval.notes {
            out += &format!("note: {}: {note}\n", interval.term);
        }
    }
    out += &format!(
        "log-likelihood {:.6}   null {:.6}",
        s.log_likelihood, s.null_log_likelihood
    );
    if let Some(penalized) = s.penalized_log_likelihood {
        out += &format!("   penalised {penalized:.6}");
    }
    out += &format!(
        "\nLR chi2 {:.4} on {} df, p = {}\nAIC {:.4}   BIC {:.4}\nR2 McFadden {:.4}   Nagelkerke {:.4}\niterations {}, converged {}\n",
        s.lr_chi2,
        s.lr_df,
        p_value(s.lr_p_value),
        s.aic,
        s.bic,
        s.mcfadden_r2,
        s.nagelkerke_r2,
        s.iterations,
        s.converged
    );
    out
}
