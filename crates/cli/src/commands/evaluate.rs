//! `recontact evaluate`: how good a model's probabilities are on outcome data —
//! discrimination, accuracy and calibration, as a table, JSON, a figure and a report.

use std::io::Write;
use std::path::{Path, PathBuf};

use recontact_scoring::data::{read_predictions, PredictionData, PredictionScale};
use recontact_scoring::decision_curve::{self, DecisionCurveRow};
use recontact_scoring::distributions::{logistic, logit};
use recontact_scoring::metrics::{self, BinnedCalibration, Evaluation, WaldEstimate};
use recontact_scoring::Model;
use serde::Serialize;

use super::conventions::{OptionalDataArg, OutArg};
use super::engine_args::EngineArgs;
use crate::output;
use crate::progress::Progress;
use crate::report::figure::{self, FigurePath, Size};
use crate::report::html::DecisionSection;
use crate::report::{self, number, p_value, plots, scale_name, Context, Predictor};
use crate::{input, Failure};

mod engine;

/// Measure how well a model's probabilities discriminate and are calibrated on outcome data.
///
/// Reports the AUC with its DeLong interval, log loss, Brier, calibration intercept and
/// slope, Hosmer–Lemeshow, Spiegelhalter, binned and smoothed (loess) calibration, and
/// the decision curve (net benefit).
///
/// Without --model the embedded default model is used (fitted on the synthetic data in
/// data/; its weights are for demonstration, not estimates from real outcomes). With
/// --prob-column or --logit-column no model is used: the predictions of any model are
/// read from that column of the data.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact evaluate data/recontact_outcomes.csv\n  \
recontact evaluate holdout.csv --model model.json --format json -o evaluation.json\n  \
recontact evaluate holdout.csv --model model.json --plot calibration.svg --report report.html\n  \
recontact evaluate predictions.csv --prob-column risk --outcome died --decision-plot dca.svg\n  \
recontact evaluate holdout.csv --thresholds 0.05,0.1,0.2\n\n\
Inside an engine (docs/cli.md): --engine postgres --connect URL --table T, or --engine-command CMD --dialect D --table T")]
#[command(group = clap::ArgGroup::new("predictions").args(["prob_column", "logit_column"]))]
pub struct Args {
    /// A model file from `recontact fit` (default: the embedded default model).
    #[arg(long, value_name = "MODEL.json", conflicts_with = "predictions")]
    model: Option<PathBuf>,
    /// Evaluate the probabilities in this column of the data (each strictly between 0 and
    /// 1) instead of a model's; the calibration uses logit(p) as the linear predictor.
    #[arg(long, value_name = "P", conflicts_with_all = ["model", "logit_column"])]
    prob_column: Option<String>,
    /// Evaluate the logits (log-odds) in this column of the data instead of a model's.
    #[arg(long, value_name = "L", conflicts_with_all = ["model", "prob_column"])]
    logit_column: Option<String>,
    /// The 0/1 outcome column of the data, with --prob-column or --logit-column (default:
    /// the default model's outcome column).
    #[arg(long, value_name = "Y", requires = "predictions")]
    outcome: Option<String>,
    /// Thresholds of the decision curve, each strictly between 0 and 1 (default: 0.01 to
    /// 0.99 by 0.01); sorted, each used once.
    #[arg(long, value_name = "T,T,...", value_delimiter = ',', value_parser = super::open_unit)]
    thresholds: Option<Vec<f64>>,
    /// Write the decision curve (net benefit against threshold) to this file: its
    /// extension chooses SVG, PNG or PDF.
    #[arg(long, value_name = "FILE.svg|png|pdf", value_parser = figure::parse_path)]
    decision_plot: Option<FigurePath>,
    // The outcome data: a CSV with the model's outcome and input columns, or with the
    // outcome and prediction columns.
    #[command(flatten)]
    data: OptionalDataArg,
    #[command(flatten)]
    engine: EngineArgs,
    /// Inside an engine: leave out the rows with missing or invalid values, counting them
    /// by reason (without it they are refused with their counts).
    #[arg(long, help_heading = "Inside an engine")]
    drop_invalid: bool,
    /// Inside an engine: the most rows the loess calibration curve (ICI, E50, E90, Emax)
    /// and the ROC curve's points are computed from, a deterministic sample along the
    /// predictions (every other measure uses every row).
    #[arg(long, value_name = "N", help_heading = "Inside an engine",
          value_parser = clap::value_parser!(u32).range(1..=500_000))]
    sample_rows: Option<u32>,
    /// Output format of the results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    out: OutArg,
    /// Number of bins of the binned calibration tables (equal-mass and equal-width).
    #[arg(long, value_name = "B", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    bins: u32,
    /// Write the calibration plot and ROC curve, side by side, to this file: its
    /// extension chooses SVG, PNG or PDF.
    #[arg(long, value_name = "FILE.svg|png|pdf", value_parser = figure::parse_path)]
    plot: Option<FigurePath>,
    /// The figures' title (default: the model or column, the data, n and events).
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

/// The evaluated rows of a source's predictions, with frequency weights expanded.
fn expand(source: recontact_scoring::predict::SourcePredictions) -> Result<Predictions, Failure> {
    let name = &source.source_name;
    if let Some(weights) = &source.weights {
        let total: f64 = weights.iter().sum();
        if total > MAX_EXPANDED_ROWS as f64 {
            return Err(Failure::Data(format!(
                "{name}: the frequency weights add up to {total}, more than the \
                 {MAX_EXPANDED_ROWS} observations evaluate can hold"
            )));
        }
    }
    let rows = source.outcome.len();
    let mut out = Predictions {
        y: Vec::with_capacity(rows),
        p: Vec::with_capacity(rows),
        lp: Vec::with_capacity(rows),
    };
    for (i, (&y, &lp)) in source
        .outcome
        .iter()
        .zip(&source.linear_predictor)
        .enumerate()
    {
        if !lp.is_finite() {
            return Err(Failure::Data(format!(
                "{name}: data row {}: the model's logit is {lp}, not a finite number: the \
                 row's values are too extreme for the model's coefficients",
                i + 1
            )));
        }
        // The metrics take one row per observation, so a frequency weight w is w rows;
        // a fractional weight has no such meaning and is refused rather than rounded.
        let copies = match &source.weights {
            None => 1,
            Some(w) if w[i].fract() == 0.0 && w[i] >= 0.0 => w[i] as usize,
            Some(w) => {
                return Err(Failure::Data(format!(
                    "{name}: weight {} in data row {} is not a whole number; evaluate reads \
                     weights as frequency weights",
                    w[i],
                    i + 1
                )))
            }
        };
        for _ in 0..copies {
            out.y.push(y);
            out.lp.push(lp);
            out.p.push(logistic(lp));
        }
    }
    Ok(out)
}

/// The thresholds the table and the report show when no --thresholds are given.
const TABLE_THRESHOLDS: [f64; 5] = [0.05, 0.1, 0.2, 0.3, 0.5];

/// Where the predictions come from, as loaded.
enum Source {
    /// A model, applied to the data's input columns.
    Model {
        model: Box<Model>,
        name: String,
        builtin: bool,
    },
    /// A column of the data holding predictions.
    Column {
        column: String,
        scale: PredictionScale,
        outcome: String,
    },
}

/// The evaluated rows and the facts about their file that the report names.
struct Evaluated {
    predictions: Predictions,
    data_name: String,
    data_sha256: String,
    data_rows: u64,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    if args.engine.given() {
        return engine::run(&args);
    }
    if args.drop_invalid || args.sample_rows.is_some() {
        return Err(Failure::Usage(
            "--drop-invalid and --sample-rows are for an evaluation inside an engine \
             (--engine or --engine-command, with --table)"
                .into(),
        ));
    }
    let data_path = args.data.path().ok_or_else(|| {
        Failure::Usage("give the data: a FILE (or `-`), or an engine's --table".into())
    })?;
    let mut inputs = vec![("", data_path)];
    inputs.extend(args.model.as_deref().map(|m| ("--model", m)));
    // The table or JSON goes to --out or standard output, so no other file may too.
    let mut outputs = vec![args.out.entry()];
    outputs.extend(args.plot.as_ref().map(|p| ("--plot", p.path.as_path())));
    outputs.extend(args.report.as_deref().map(|r| ("--report", r)));
    outputs.extend(
        args.decision_plot
            .as_ref()
            .map(|d| ("--decision-plot", d.path.as_path())),
    );
    output::check_distinct(&inputs, &outputs)?;
    let source = load_source(&args)?;
    let progress = Progress::spinner(args.quiet, "reading the data");
    let evaluated = read_predictions_of(&source, data_path)?;
    progress.stage("measuring discrimination and calibration");
    let Predictions { y, p, lp } = &evaluated.predictions;
    let cannot = |what: &str, e: metrics::MetricsError| {
        Failure::Data(format!("{}: cannot {what}: {e}", evaluated.data_name))
    };
    let evaluation =
        metrics::evaluate_with(y, p, Some(lp), args.bins as usize, args.loess.surface())
            .map_err(|e| cannot("evaluate", e))?;
    let (curve_thresholds, table_thresholds) = thresholds(args.thresholds.as_deref());
    let curve = decision_curve::decision_curve(y, p, &curve_thresholds)
        .map_err(|e| cannot("compute the decision curve", e))?;
    let table_curve = decision_curve::decision_curve(y, p, &table_thresholds)
        .map_err(|e| cannot("compute the decision curve", e))?;
    let context = context(&source, &evaluated);
    progress.stage("drawing the figures");
    write_files(
        &args,
        &context,
        &evaluation,
        &evaluated,
        (&curve, &table_curve),
    )?;

    progress.finish();
    let text = match args.format {
        Format::Table => render_table(&context, &evaluation, &table_curve, None),
        Format::Json => {
            let json = Json {
                evaluation: &evaluation,
                predictions: JsonSource::of(&context),
                decision_curve: &curve,
                inside_engine: None,
            };
            serde_json::to_string_pretty(&json).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    args.out.write(text.as_bytes())
}

/// The thresholds of the decision curve in the JSON and plot, and of the table and
/// report: the user's list (sorted, each once) for both, or the defaults.
fn thresholds(given: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
    match given {
        Some(list) => {
            let mut list = list.to_vec();
            list.sort_by(f64::total_cmp);
            list.dedup();
            (list.clone(), list)
        }
        None => (
            decision_curve::default_thresholds(),
            TABLE_THRESHOLDS.to_vec(),
        ),
    }
}

/// The model (or the default model), or the column named by --prob-column or
/// --logit-column with its outcome column.
fn load_source(args: &Args) -> Result<Source, Failure> {
    let column = match (&args.prob_column, &args.logit_column) {
        (Some(c), _) => Some((c.clone(), PredictionScale::Probability)),
        (None, Some(c)) => Some((c.clone(), PredictionScale::Logit)),
        (None, None) => None,
    };
    let Some((column, scale)) = column else {
        let model = super::model_or_default(args.model.as_deref())?;
        // A model file that is a copy of the embedded model is still the demonstration model.
        let builtin = args.model.is_none()
            || recontact_domain::default_model().is_ok_and(|default| default == model);
        let name = match &args.model {
            Some(path) => path.display().to_string(),
            None => "the built-in default model".to_string(),
        };
        let model = Box::new(model);
        return Ok(Source::Model {
            model,
            name,
            builtin,
        });
    };
    let outcome = match &args.outcome {
        Some(outcome) => outcome.clone(),
        None => super::model_or_default(None)?.spec.outcome,
    };
    if outcome == column {
        return Err(Failure::Usage(format!(
            "the outcome column and the prediction column are both {column:?}; name the 0/1 \
             outcome with --outcome"
        )));
    }
    Ok(Source::Column {
        column,
        scale,
        outcome,
    })
}

/// Reads `data` and the predictions for every row of it.
fn read_predictions_of(source: &Source, data: &Path) -> Result<Evaluated, Failure> {
    let input = input::open(data).map_err(Failure::Io)?;
    match source {
        Source::Model { model, name, .. } => {
            let data = super::predict_for_model(model, name, &input.name, input.reader)?;
            let (data_name, data_sha256, data_rows) = (
                data.source_name.clone(),
                data.sha256.clone(),
                data.rows_read,
            );
            Ok(Evaluated {
                predictions: expand(data)?,
                data_name,
                data_sha256,
                data_rows,
            })
        }
        Source::Column {
            column,
            scale,
            outcome,
        } => {
            let read = read_predictions(&input.name, input.reader, outcome, column, *scale)
                .map_err(super::fit_failure)?;
            Ok(from_column(read, *scale))
        }
    }
}

/// The predictions read from a column: the probabilities with their logits as the
/// linear predictor, or the logits with their probabilities.
fn from_column(read: PredictionData, scale: PredictionScale) -> Evaluated {
    let (p, lp) = match scale {
        PredictionScale::Probability => {
            let lp = read.prediction.iter().map(|&p| logit(p)).collect();
            (read.prediction, lp)
        }
        PredictionScale::Logit => {
            let p = read.prediction.iter().map(|&l| logistic(l)).collect();
            (p, read.prediction)
        }
    };
    Evaluated {
        predictions: Predictions {
            y: read.outcome,
            p,
            lp,
        },
        data_name: read.source_name,
        data_sha256: read.sha256,
        data_rows: read.rows_read,
    }
}

fn context<'a>(source: &'a Source, evaluated: &'a Evaluated) -> Context<'a> {
    let (predictor, outcome) = match source {
        Source::Model {
            model,
            name,
            builtin,
        } => (
            Predictor::Model {
                name,
                model,
                builtin: *builtin,
            },
            model.spec.outcome.as_str(),
        ),
        Source::Column {
            column,
            scale,
            outcome,
        } => (
            Predictor::Column {
                column,
                scale: *scale,
            },
            outcome.as_str(),
        ),
    };
    Context {
        predictor,
        outcome,
        data_name: &evaluated.data_name,
        data_sha256: &evaluated.data_sha256,
        data_rows: evaluated.data_rows,
    }
}

/// Writes the figures and the report that were asked for; files first, so that a run
/// that cannot write them fails before printing a result. `curves` holds the full
/// decision curve and its rows at the table's thresholds.
fn write_files(
    args: &Args,
    context: &Context<'_>,
    evaluation: &Evaluation,
    evaluated: &Evaluated,
    (curve, table_curve): (&[DecisionCurveRow], &[DecisionCurveRow]),
) -> Result<(), Failure> {
    let draw_failure = |e: String| Failure::Io(format!("cannot draw the figure: {e}"));
    let title = args.plot_title.clone().unwrap_or_else(|| {
        format!(
            "{} on {}: n = {}, events = {}",
            short_predictor_name(context),
            file_name(context.data_name),
            evaluation.n,
            evaluation.events
        )
    });
    let mut files = Vec::new();
    if args.plot.is_some() || args.report.is_some() {
        let Predictions { y, p, .. } = &evaluated.predictions;
        let figure = plots::evaluation_svg(evaluation, y, p, &title, args.plot_size)
            .map_err(draw_failure)?;
        if let Some(plot) = &args.plot {
            files.push(figure::write(plot, figure.as_str())?);
        }
        if let Some(path) = &args.report {
            let prevalence = evaluation.events as f64 / evaluation.n as f64;
            let decision_figure = report::plots::decision_curve_svg(curve, prevalence, &title)
                .map_err(draw_failure)?;
            let decision = DecisionSection {
                figure: &decision_figure,
                rows: table_curve,
            };
            let html = report::html::render(context, evaluation, &figure, &decision);
            files.push(write_text(path, &html)?);
        }
    }
    if let Some(plot) = &args.decision_plot {
        let prevalence = evaluation.events as f64 / evaluation.n as f64;
        let svg =
            report::plots::decision_curve_svg(curve, prevalence, &title).map_err(draw_failure)?;
        files.push(figure::write(plot, svg.as_str())?);
    }
    output::commit_all(files)
}

/// The JSON: every key of the evaluation, where the predictions came from, and the
/// decision curve.
#[derive(Serialize)]
struct Json<'a> {
    #[serde(flatten)]
    evaluation: &'a Evaluation,
    predictions: JsonSource<'a>,
    decision_curve: &'a [DecisionCurveRow],
    /// Where the evaluation ran, when inside an engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    inside_engine: Option<engine::JsonEngine<'a>>,
}

/// Where the predictions came from, in the JSON: `{"source": "model", …}` or
/// `{"source": "column", …}`.
#[derive(Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
enum JsonSource<'a> {
    Model {
        model: &'a str,
        builtin: bool,
    },
    Column {
        file: &'a str,
        column: &'a str,
        scale: &'static str,
        outcome: &'a str,
    },
}

impl<'a> JsonSource<'a> {
    fn of(context: &Context<'a>) -> JsonSource<'a> {
        match context.predictor {
            Predictor::Model { name, builtin, .. } => JsonSource::Model {
                model: name,
                builtin,
            },
            Predictor::Column { column, scale } => JsonSource::Column {
                file: context.data_name,
                column,
                scale: match scale {
                    PredictionScale::Probability => "probability",
                    PredictionScale::Logit => "logit",
                },
                outcome: context.outcome,
            },
        }
    }
}

/// `text` written to the not yet committed output `path`.
fn write_text(path: &Path, text: &str) -> Result<output::Output, Failure> {
    let mut out = output::Output::open(Some(path))?;
    out.write_all(text.as_bytes())
        .map_err(|e| out.write_failure(e))?;
    Ok(out)
}

/// The predictions' source as a figure title names it.
fn short_predictor_name(context: &Context<'_>) -> String {
    match context.predictor {
        Predictor::Model { builtin: true, .. } => "Built-in demonstration model".to_string(),
        Predictor::Model { name, .. } => file_name(name),
        Predictor::Column { column, scale } => format!("Column {column} ({})", scale_name(scale)),
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

/// The evaluation as aligned text, with the decision curve at the rows of `curve`;
/// `sampled` names the sample the loess calibration came from, if it did.
fn render_table(
    context: &Context<'_>,
    e: &Evaluation,
    curve: &[DecisionCurveRow],
    sampled: Option<&str>,
) -> String {
    let mut out = format!(
        "{}: n = {}, events = {} ({:.1}%)\n",
        context.title(),
        e.n,
        e.events,
        100.0 * e.events as f64 / e.n as f64
    );
    if context.builtin() {
        out += "(the built-in demonstration model, fitted on synthetic data: not estimates from real re-contacts)\n";
    }
    if context.is_training_data() {
        out += "(these are the data the model was fitted on: apparent, optimistic performance)\n";
    }
    if let Predictor::Column { scale, .. } = context.predictor {
        let linear = match scale {
            PredictionScale::Probability => "logit(p)",
            PredictionScale::Logit => "the logits as given",
        };
        out += &format!(
            "(predictions read from the data as given, no model used; outcome column {}; the \
             calibration's linear predictor is {linear})\n",
            context.outcome
        );
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
    if let Some(sampled) = sampled {
        out += &format!("  {sampled}\n");
    }
    bins_table(&mut out, "Equal-mass bins", &e.ece.equal_mass);
    bins_table(&mut out, "Equal-width bins", &e.ece.equal_width);
    decision_table(&mut out, curve);
    out
}

/// The decision curve's rows: net benefit of the predictions, of treating everyone, the
/// standardised net benefit and the interventions avoided.
fn decision_table(out: &mut String, curve: &[DecisionCurveRow]) {
    out.push_str(&format!(
        "\nDecision curve (treat if predicted >= threshold; treat none has net benefit 0)\n  \
         {:>9} {:>11} {:>11} {:>13} {:>18}\n",
        "threshold", "net benefit", "treat all", "standardised", "avoided per 100"
    ));
    for r in curve {
        out.push_str(&format!(
            "  {:>9} {:>11} {:>11} {:>13} {:>18}\n",
            number(r.threshold, 2),
            number(r.net_benefit, 4),
            number(r.net_benefit_all, 4),
            number(r.standardized_net_benefit, 4),
            number(r.interventions_avoided_per_100, 2)
        ));
    }
}
