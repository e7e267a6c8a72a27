//! `recontact evaluate`: how good a model's probabilities are on outcome data —
//! discrimination, accuracy and calibration, as a table, JSON, a figure and a report.

use std::io::Write;
use std::path::{Path, PathBuf};

use recontact_scoring::distributions::logistic;
use recontact_scoring::metrics::{self, BinnedCalibration, Evaluation, WaldEstimate};
use recontact_scoring::Model;

use crate::output;
use crate::progress::Progress;
use crate::report::figure::{self, FigurePath, Size};
use crate::report::{self, number, p_value, plots, Context};
use crate::{input, Failure};

/// Measure how well a model's probabilities discriminate and are calibrated on outcome data.
///
/// Reports the AUC with its DeLong interval, log loss, Brier, calibration intercept and
/// slope, Hosmer–Lemeshow, Spiegelhalter, and binned and smoothed (loess) calibration.
///
/// Without --model the embedded default model is used (fitted on the synthetic data in
/// data/; its weights are for demonstration, not estimates from real outcomes).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact evaluate --data data/recontact_outcomes.csv\n  \
recontact evaluate --model model.json --data holdout.csv --format json\n  \
recontact evaluate --model model.json --data holdout.csv --plot calibration.svg --report report.html")]
pub struct Args {
    /// A model file from `recontact fit` (default: the embedded default model).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// The outcome data (CSV with the model's outcome and input columns), or `-`.
    #[arg(long, value_name = "CSV|-")]
    data: PathBuf,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Number of bins of the binned calibration tables (equal-mass and equal-width).
    #[arg(long, value_name = "B", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    bins: u32,
    /// Write the calibration plot and ROC curve, side by side, to this file: its
    /// extension chooses SVG, PNG or PDF.
    #[arg(long, value_name = "FILE.svg|png|pdf", value_parser = figure::parse_path)]
    plot: Option<FigurePath>,
    /// The figure's title (default: the model, the data, n and events).
    #[arg(long, value_name = "TEXT")]
    plot_title: Option<String>,
    /// The figure's size in pixels: width 800 to 4000, height 520 to 4000 (a PDF page
    /// is sized at 96 pixels per inch).
    #[arg(long, value_name = "WxH", value_parser = figure::parse_size, default_value_t = plots::DEFAULT_SIZE)]
    plot_size: Size,
    /// Write a self-contained HTML report (tables, figure, provenance) to this file.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// How the loess calibration curve is evaluated: exactly at every distinct prediction
    /// (R's surface = "direct"; time grows with the square of the rows), interpolated
    /// between exact fits at vertices (time grows with the rows), or auto: exact up to
    /// 10,000 rows, interpolated above.
    #[arg(long, value_enum, default_value_t = LoessArg::Auto)]
    loess: LoessArg,
    /// Show no progress on standard error (it shows only on a terminal anyway).
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// The loess surface, as a flag's value.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LoessArg {
    /// Exact up to 10,000 rows, interpolated above.
    Auto,
    /// An exact local fit at every distinct prediction.
    Exact,
    /// Exact fits at vertices, cubic Hermite interpolation between them.
    Interpolated,
}

impl LoessArg {
    fn surface(self) -> metrics::LoessSurface {
        match self {
            LoessArg::Auto => metrics::LoessSurface::Auto,
            LoessArg::Exact => metrics::LoessSurface::Exact,
            LoessArg::Interpolated => metrics::LoessSurface::Interpolated,
        }
    }
}

/// How the evaluation is printed.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON with every metric (the keys of docs/evaluation.md).
    Json,
}

/// Outcomes, probabilities and linear predictors of the evaluated rows.
struct Predictions {
    y: Vec<f64>,
    p: Vec<f64>,
    lp: Vec<f64>,
}

/// Frequency weights are expanded into rows, so their sum is bounded to keep memory sane.
const MAX_EXPANDED_ROWS: usize = 100_000_000;

/// Predictions of `model` for every row of `data`, with frequency weights expanded.
fn predict(model: &Model, data: &recontact_scoring::Dataset) -> Result<Predictions, Failure> {
    // An unseen category level is only found here, after reading; name the file at least.
    let design = model
        .encoding
        .design(data)
        .map_err(|e| Failure::Data(format!("{}: {e}", data.source_name)))?;
    if let Some(weights) = &data.weights {
        let total: f64 = weights.iter().sum();
        if total > MAX_EXPANDED_ROWS as f64 {
            return Err(Failure::Data(format!(
                "{}: the frequency weights add up to {total}, more than the {MAX_EXPANDED_ROWS} \
                 observations evaluate can hold",
                data.source_name
            )));
        }
    }
    let beta = model.coefficients();
    let mut out = Predictions {
        y: Vec::with_capacity(data.len()),
        p: Vec::with_capacity(data.len()),
        lp: Vec::with_capacity(data.len()),
    };
    for i in 0..design.nrows() {
        let mut lp: f64 = design.row(i).iter().zip(&beta).map(|(x, b)| x * b).sum();
        if let Some(offset) = &data.offset {
            lp += offset[i];
        }
        if !lp.is_finite() {
            return Err(Failure::Data(format!(
                "{}: data row {}: the model's logit is {lp}, not a finite number: the row's \
                 values are too extreme for the model's coefficients",
                data.source_name,
                i + 1
            )));
        }
        // The metrics take one row per observation, so a frequency weight w is w rows;
        // a fractional weight has no such meaning and is refused rather than rounded.
        let copies = match &data.weights {
            None => 1,
            Some(w) if w[i].fract() == 0.0 && w[i] >= 0.0 => w[i] as usize,
            Some(w) => {
                return Err(Failure::Data(format!(
                    "{}: weight {} in data row {} is not a whole number; evaluate reads \
                     weights as frequency weights",
                    data.source_name,
                    w[i],
                    i + 1
                )))
            }
        };
        for _ in 0..copies {
            out.y.push(data.outcome[i]);
            out.lp.push(lp);
            out.p.push(logistic(lp));
        }
    }
    Ok(out)
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut inputs = vec![("--data", args.data.as_path())];
    inputs.extend(args.model.as_deref().map(|m| ("--model", m)));
    // The table or JSON goes to standard output, so neither file may be `-` too.
    let mut outputs = vec![("", Path::new("-"))];
    outputs.extend(args.plot.as_ref().map(|p| ("--plot", p.path.as_path())));
    outputs.extend(args.report.as_deref().map(|r| ("--report", r)));
    output::check_distinct(&inputs, &outputs)?;
    let model = super::model_or_default(args.model.as_deref())?;
    // A model file that is a copy of the embedded model is still the demonstration model.
    let builtin = args.model.is_none()
        || recontact_domain::default_model().is_ok_and(|default| default == model);
    let model_name = match &args.model {
        Some(path) => path.display().to_string(),
        None => "the built-in default model".to_string(),
    };
    let progress = Progress::spinner(args.quiet, "reading the data");
    let input = input::open(&args.data).map_err(Failure::Io)?;
    let data = super::read_for_model(&model, &model_name, &input.name, input.reader)?;
    progress.stage("predicting");
    let predictions = predict(&model, &data)?;
    progress.stage("measuring discrimination and calibration");
    let evaluation = metrics::evaluate_with(
        &predictions.y,
        &predictions.p,
        Some(&predictions.lp),
        args.bins as usize,
        args.loess.surface(),
    )
    .map_err(|e| Failure::Data(format!("{}: cannot evaluate: {e}", data.source_name)))?;

    let context = Context {
        model_name: &model_name,
        model: &model,
        builtin,
        data_name: &data.source_name,
        data_sha256: &data.sha256,
        data_rows: data.rows_read,
    };

    // Files first: a run that cannot write them fails before printing a result.
    if args.plot.is_some() || args.report.is_some() {
        progress.stage("drawing the figure");
        let title = args.plot_title.clone().unwrap_or_else(|| {
            format!(
                "{} on {}: n = {}, events = {}",
                short_model_name(&context),
                file_name(&data.source_name),
                evaluation.n,
                evaluation.events
            )
        });
        let figure = plots::evaluation_svg(
            &evaluation,
            &predictions.y,
            &predictions.p,
            &title,
            args.plot_size,
        )
        .map_err(|e| Failure::Io(format!("cannot draw the figure: {e}")))?;
        let mut files = Vec::new();
        if let Some(plot) = &args.plot {
            files.push(figure::write(plot, &figure)?);
        }
        if let Some(path) = &args.report {
            let html = report::html::render(&context, &evaluation, &figure);
            files.push(write_text(path, &html)?);
        }
        output::commit_all(files)?;
    }

    progress.finish();
    let text = match args.format {
        Format::Table => render_table(&context, &evaluation),
        Format::Json => {
            serde_json::to_string_pretty(&evaluation).map_err(|e| Failure::Data(e.to_string()))?
                + "\n"
        }
    };
    super::print(text.as_bytes())
}

/// `text` written to the not yet committed output `path`.
fn write_text(path: &Path, text: &str) -> Result<output::Output, Failure> {
    let mut out = output::Output::open(Some(path))?;
    out.write_all(text.as_bytes())
        .map_err(|e| out.write_failure(e))?;
    Ok(out)
}

/// The model as a figure title names it.
fn short_model_name(context: &Context<'_>) -> String {
    if context.builtin {
        "Built-in demonstration model".to_string()
    } else {
        file_name(context.model_name)
    }
}

/// The last component of a path, for titles where the full path would crowd the text.
fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |f| f.to_string_lossy().into_owned())
}

fn wald_line(out: &mut String, name: &str, w: &WaldEstimate, ideal: &str) {
    out.push_str(&format!(
        "  {name:<28} {:>9}   SE {:>8}   95% CI {} to {}   (ideal {ideal})\n",
        number(w.estimate, 4),
        number(w.std_error, 4),
        number(w.ci_low, 4),
        number(w.ci_high, 4)
    ));
}

fn bins_table(out: &mut String, title: &str, table: &BinnedCalibration) {
    out.push_str(&format!(
        "\n{title} (ECE {})\n  {:>3} {:>7} {:>14} {:>9} {:>9} {:>9}\n",
        number(table.ece, 4),
        "bin",
        "n",
        "mean predicted",
        "observed",
        "95% low",
        "95% high"
    ));
    for (k, b) in table.bins.iter().enumerate() {
        out.push_str(&format!(
            "  {:>3} {:>7} {:>14} {:>9} {:>9} {:>9}\n",
            k + 1,
            b.n,
            number(b.mean_predicted, 4),
            number(b.observed, 4),
            number(b.ci_low, 4),
            number(b.ci_high, 4)
        ));
    }
}

/// The evaluation as aligned text.
fn render_table(context: &Context<'_>, e: &Evaluation) -> String {
    let mut out = format!(
        "Evaluation of {} on {}: n = {}, events = {} ({:.1}%)\n",
        context.model_name,
        context.data_name,
        e.n,
        e.events,
        100.0 * e.events as f64 / e.n as f64
    );
    if context.builtin {
        out += "(the built-in demonstration model, fitted on synthetic data: not estimates from real re-contacts)\n";
    }
    if context.is_training_data() {
        out += "(these are the data the model was fitted on: apparent, optimistic performance)\n";
    }
    out += &format!(
        "\nDiscrimination\n  {:<28} {:>9}   95% CI {} to {} (DeLong)\n  {:<28} {:>9}\n",
        "AUC (c-statistic)",
        number(e.auc, 4),
        number(e.auc_ci[0], 4),
        number(e.auc_ci[1], 4),
        "Somers' Dxy",
        number(e.dxy, 4)
    );
    out += &format!(
        "\nOverall accuracy\n  {:<28} {:>9}\n  {:<28} {:>9}\n  {:<28} {:>9}\n",
        "log loss",
        number(e.log_loss, 4),
        "Brier score",
        number(e.brier, 4),
        "scaled Brier",
        number(e.scaled_brier, 4)
    );
    out += "\nCalibration\n";
    wald_line(
        &mut out,
        "calibration-in-the-large",
        &e.calibration_intercept,
        "0",
    );
    wald_line(&mut out, "calibration slope", &e.calibration_slope, "1");
    out += &format!(
        "  {:<28} {:>9}   (ideal 1)\n",
        "observed / expected",
        number(e.observed_expected, 4)
    );
    out += &format!(
        "  {:<28} chi2 {} on {} df, p = {}\n",
        "Hosmer-Lemeshow (10 groups)",
        number(e.hosmer_lemeshow.statistic, 3),
        e.hosmer_lemeshow.df,
        p_value(e.hosmer_lemeshow.p_value)
    );
    out += &format!(
        "  {:<28} z = {}, p = {}\n",
        "Spiegelhalter",
        number(e.spiegelhalter.z, 3),
        p_value(e.spiegelhalter.p_value)
    );
    out += &format!(
        "  {:<28} ICI {}   E50 {}   E90 {}   Emax {}\n  smoother: {}\n",
        "loess calibration",
        number(e.ici, 4),
        number(e.e50, 4),
        number(e.e90, 4),
        number(e.emax, 4),
        e.smoother
    );
    bins_table(&mut out, "Equal-mass bins", &e.ece.equal_mass);
    bins_table(&mut out, "Equal-width bins", &e.ece.equal_width);
    out
}
