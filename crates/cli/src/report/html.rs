//! The evaluation report: one self-contained HTML file.
//!
//! Everything is inline (styles, the SVG figure) and nothing refers to the network, so
//! the file can be mailed, archived or opened offline and always looks the same. There
//! is no time stamp: the same model and data give the same bytes.

use std::fmt::Write as _;

use recontact_scoring::data::PredictionScale;
use recontact_scoring::decision_curve::DecisionCurveRow;
use recontact_scoring::metrics::{BinnedCalibration, Evaluation, WaldEstimate};
use recontact_scoring::Model;

use super::{number, p_value, scale_name, Context, Predictor};

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
  color: #1d1d1f; max-width: 1320px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h4 { font-size: 1em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #d0d4da; padding-bottom: 0.2em; }
p.lead { color: #4a4f57; margin-top: 0; }
.notice { background: #fff6e0; border-left: 4px solid #d08a00; padding: 0.6em 1em; margin: 1em 0; }
.notice.info { background: #eef4fb; border-left-color: #1f61aa; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #e3e6ea; text-align: right; }
th { background: #f3f5f8; font-weight: 600; }
td:first-child, th:first-child { text-align: left; white-space: nowrap; }
table.notes td:last-child, table.notes th:last-child { text-align: left; color: #4a4f57; }
table.provenance td, table.provenance th { text-align: left; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em;
  word-break: break-all; }
figure { margin: 1em 0; }
figure svg { width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { color: #4a4f57; font-size: 0.95em; }
.columns { display: flex; flex-wrap: wrap; gap: 0 3em; }
footer { margin-top: 3em; color: #6b7078; font-size: 0.9em; }
";

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr>");
    for cell in cells {
        let _ = write!(out, "<td>{cell}</td>");
    }
    out.push_str("</tr>\n");
}

fn header(out: &mut String, cells: &[&str]) {
    out.push_str("<thead><tr>");
    for cell in cells {
        let _ = write!(out, "<th>{cell}</th>");
    }
    out.push_str("</tr></thead>\n");
}

fn wald(name: &str, estimate: &WaldEstimate, ideal: &str) -> Vec<String> {
    vec![
        name.to_string(),
        number(estimate.estimate, 4),
        number(estimate.std_error, 4),
        format!(
            "{} to {}",
            number(estimate.ci_low, 4),
            number(estimate.ci_high, 4)
        ),
        ideal.to_string(),
    ]
}

fn bin_table(out: &mut String, title: &str, table: &BinnedCalibration) {
    let _ = write!(
        out,
        "<div><h4>{title}</h4><p>Expected calibration error (ECE) {}</p>\n<table>\n",
        number(table.ece, 4)
    );
    header(
        out,
        &[
            "bin",
            "n",
            "mean predicted",
            "observed",
            "95% low",
            "95% high",
        ],
    );
    out.push_str("<tbody>\n");
    for (k, bin) in table.bins.iter().enumerate() {
        row(
            out,
            &[
                (k + 1).to_string(),
                bin.n.to_string(),
                number(bin.mean_predicted, 4),
                number(bin.observed, 4),
                number(bin.ci_low, 4),
                number(bin.ci_high, 4),
            ],
        );
    }
    out.push_str("</tbody></table></div>\n");
}

/// The decision curve as the report shows it.
pub struct DecisionSection<'a> {
    /// The decision-curve figure (an SVG document).
    pub figure: &'a str,
    /// The rows of its table (a few thresholds).
    pub rows: &'a [DecisionCurveRow],
}

/// The report for `evaluation` in `context`, with `figure` (an SVG document) and the
/// decision curve inlined.
pub fn render(
    context: &Context<'_>,
    evaluation: &Evaluation,
    figure: &str,
    decision: &DecisionSection<'_>,
) -> String {
    let e = evaluation;
    let title = context.title();
    let mut out = String::with_capacity(64 * 1024 + figure.len() + decision.figure.len());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
<p class=\"lead\">n = {} observations, {} with the outcome ({:.1}%)</p>\n",
        escape(&title),
        escape(&title),
        e.n,
        e.events,
        100.0 * e.events as f64 / e.n as f64
    );
    notices(&mut out, context);
    out.push_str("<h2>Provenance</h2>\n<table class=\"provenance\">\n");
    match context.predictor {
        Predictor::Model {
            name,
            model,
            builtin,
        } => model_provenance(&mut out, context, (name, model, builtin), e),
        Predictor::Column { column, scale } => {
            column_provenance(&mut out, context, (column, scale), e)
        }
    }
    out.push_str("</tbody></table>\n");

    let _ = write!(
        out,
        "<h2>Calibration and discrimination at a glance</h2>\n<figure>\n{}\n<figcaption>Left: \
observed against predicted probability — the loess smooth of the outcome on the prediction, \
the equal-mass bins with 95% Wilson intervals, and the diagonal where a perfectly calibrated \
model lies; beneath it, how the predictions are spread (stacked by outcome). Right: the ROC \
curve, true against false positive rate as the threshold falls.</figcaption>\n</figure>\n",
        strip_xml_declaration(figure)
    );

    out.push_str("<h2>Discrimination</h2>\n<table class=\"notes\">\n");
    header(&mut out, &["measure", "value", "95% interval", "reads"]);
    out.push_str("<tbody>\n");
    row(
        &mut out,
        &[
            "AUC (c-statistic)".into(),
            number(e.auc, 4),
            format!(
                "{} to {} (DeLong)",
                number(e.auc_ci[0], 4),
                number(e.auc_ci[1], 4)
            ),
            "0.5 no better than chance, 1 perfect ranking".into(),
        ],
    );
    row(
        &mut out,
        &[
            "Somers' D<sub>xy</sub>".into(),
            number(e.dxy, 4),
            String::new(),
            "2 (AUC − 0.5)".into(),
        ],
    );
    out.push_str("</tbody></table>\n");

    out.push_str("<h2>Overall accuracy</h2>\n<table class=\"notes\">\n");
    header(&mut out, &["measure", "value", "reads"]);
    out.push_str("<tbody>\n");
    row(
        &mut out,
        &[
            "log loss".into(),
            number(e.log_loss, 4),
            "lower is better".into(),
        ],
    );
    row(
        &mut out,
        &[
            "Brier score".into(),
            number(e.brier, 4),
            "mean squared error of the probabilities, lower is better".into(),
        ],
    );
    row(
        &mut out,
        &[
            "scaled Brier".into(),
            number(e.scaled_brier, 4),
            "1 perfect, 0 no better than the event rate for everyone".into(),
        ],
    );
    out.push_str("</tbody></table>\n");

    out.push_str(
        "<h2>Calibration</h2>\n<h3>Mean and weak calibration (logit scale)</h3>\n<table>\n",
    );
    header(
        &mut out,
        &["measure", "estimate", "std. error", "95% interval", "ideal"],
    );
    out.push_str("<tbody>\n");
    row(
        &mut out,
        &wald("calibration-in-the-large", &e.calibration_intercept, "0"),
    );
    row(
        &mut out,
        &wald("calibration slope", &e.calibration_slope, "1"),
    );
    row(
        &mut out,
        &[
            "observed / expected".into(),
            number(e.observed_expected, 4),
            String::new(),
            String::new(),
            "1".into(),
        ],
    );
    out.push_str("</tbody></table>\n");

    out.push_str("<h3>Tests and smoothed calibration</h3>\n<table class=\"notes\">\n");
    header(&mut out, &["measure", "value", "reads"]);
    out.push_str("<tbody>\n");
    row(
        &mut out,
        &[
            "Hosmer–Lemeshow (10 groups)".into(),
            format!(
                "χ² {} on {} df, p = {}",
                number(e.hosmer_lemeshow.statistic, 3),
                e.hosmer_lemeshow.df,
                p_value(e.hosmer_lemeshow.p_value)
            ),
            "a small p signals miscalibration".into(),
        ],
    );
    row(
        &mut out,
        &[
            "Spiegelhalter".into(),
            format!(
                "z = {}, p = {}",
                number(e.spiegelhalter.z, 3),
                p_value(e.spiegelhalter.p_value)
            ),
            "a small p signals miscalibration".into(),
        ],
    );
    for (name, value, reads) in [
        ("ICI", e.ici, "mean |smoothed − predicted|"),
        ("E50", e.e50, "median |smoothed − predicted|"),
        ("E90", e.e90, "90th percentile |smoothed − predicted|"),
        ("Emax", e.emax, "largest |smoothed − predicted|"),
    ] {
        row(&mut out, &[name.into(), number(value, 4), reads.into()]);
    }
    out.push_str("</tbody></table>\n");
    let _ = writeln!(out, "<p>Smoother: {}.</p>", escape(&e.smoother));

    out.push_str(
        "<h3>Binned calibration</h3>\n<p>Observed rates with Wilson score 95% intervals; \
empty bins are left out.</p>\n<div class=\"columns\">\n",
    );
    bin_table(&mut out, "Equal-mass bins", &e.ece.equal_mass);
    bin_table(&mut out, "Equal-width bins", &e.ece.equal_width);
    out.push_str("</div>\n");
    decision_curve(&mut out, decision);

    let _ = write!(
        out,
        "<footer>Written by recontact {}. The definitions, formulas and references of every \
measure are in <code>docs/evaluation.md</code>.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// An SVG document without its XML declaration, ready to sit inside HTML.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.trim_start().strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    }
}

/// The warnings above the provenance: the demonstration model, apparent performance,
/// predictions taken from a column.
fn notices(out: &mut String, context: &Context<'_>) {
    if context.builtin() {
        out.push_str(
            "<div class=\"notice\"><strong>Built-in demonstration model.</strong> This is the \
default model embedded in <code>recontact</code>, fitted on <em>synthetic</em> data \
(<code>data/recontact_outcomes.csv</code>, generated from documented assumptions). Its \
probabilities illustrate the directions of the source article; they are not estimates from \
real re-contacts.</div>\n",
        );
    }
    if context.is_training_data() {
        out.push_str(
            "<div class=\"notice info\"><strong>Apparent performance.</strong> The evaluated \
data are byte for byte the data the model was fitted on, so calibration-in-the-large is 0 \
and the calibration slope 1 by construction, and discrimination is optimistic. Evaluate on \
data the model has not seen to validate it.</div>\n",
        );
    }
    if let Predictor::Column { column, scale } = context.predictor {
        let linear = match scale {
            PredictionScale::Probability => "logit(p) of each probability",
            PredictionScale::Logit => "the logits as given",
        };
        let _ = writeln!(
            out,
            "<div class=\"notice info\"><strong>Predictions from a column.</strong> The {} \
were read from column <code>{}</code> of <code>{}</code> as given; no model file was used, so \
nothing here says how they were made. The calibration intercept and slope take {linear} as \
the linear predictor.</div>",
            scale_name(scale),
            escape(column),
            escape(context.data_name)
        );
    }
}

/// The provenance rows of a model's predictions: the model's file and fit beside the
/// evaluated data.
fn model_provenance(
    out: &mut String,
    context: &Context<'_>,
    (name, model, builtin): (&str, &Model, bool),
    e: &Evaluation,
) {
    let provenance = &model.provenance;
    header(out, &["", "model", "evaluated data"]);
    out.push_str("<tbody>\n");
    let model_file = if builtin {
        format!("{} (embedded)", escape(name))
    } else {
        escape(name)
    };
    let text = |s: &str| format!("<code>{}</code>", escape(s));
    let rows: [[String; 3]; 9] = [
        [
            "file".into(),
            format!("<code>{model_file}</code>"),
            text(context.data_name),
        ],
        [
            "fitted on".into(),
            text(&provenance.input_file),
            String::new(),
        ],
        [
            "SHA-256 of the data file".into(),
            text(&provenance.input_sha256),
            text(context.data_sha256),
        ],
        [
            "rows read".into(),
            provenance.rows_read.to_string(),
            context.data_rows.to_string(),
        ],
        [
            "n used".into(),
            provenance.rows_used.to_string(),
            e.n.to_string(),
        ],
        [
            "events".into(),
            number(model.statistics.events, 0),
            e.events.to_string(),
        ],
        [
            "outcome".into(),
            text(&model.spec.outcome),
            text(context.outcome),
        ],
        [
            "fitting method".into(),
            escape(&model.statistics.method),
            String::new(),
        ],
        [
            "written by".into(),
            escape(&format!("{} {}", provenance.tool, provenance.tool_version)),
            escape(&format!("recontact {}", env!("CARGO_PKG_VERSION"))),
        ],
    ];
    for cells in &rows {
        row(out, cells);
    }
}

/// The provenance rows of predictions read from a column of the evaluated data.
fn column_provenance(
    out: &mut String,
    context: &Context<'_>,
    (column, scale): (&str, PredictionScale),
    e: &Evaluation,
) {
    header(out, &["", "evaluated data"]);
    out.push_str("<tbody>\n");
    let text = |s: &str| format!("<code>{}</code>", escape(s));
    let rows: [[String; 2]; 8] = [
        ["file".into(), text(context.data_name)],
        [
            "predictions".into(),
            format!("{} in column {}", scale_name(scale), text(column)),
        ],
        [
            "model".into(),
            "none: the predictions are read as given".into(),
        ],
        ["SHA-256 of the data file".into(), text(context.data_sha256)],
        ["rows read".into(), context.data_rows.to_string()],
        ["n used".into(), e.n.to_string()],
        ["outcome".into(), text(context.outcome)],
        [
            "written by".into(),
            escape(&format!("recontact {}", env!("CARGO_PKG_VERSION"))),
        ],
    ];
    for cells in &rows {
        row(out, cells);
    }
}

/// The decision-curve section: the figure and its table at a few thresholds.
fn decision_curve(out: &mut String, decision: &DecisionSection<'_>) {
    let _ = write!(
        out,
        "<h2>Decision curve</h2>\n<p>Net benefit of treating everyone whose predicted \
probability is at or above the threshold t, against treating everyone and treating no one \
(Vickers &amp; Elkin 2006): NB = TP/N − FP/N · t/(1 − t). A model helps at t when its curve \
lies above both others.</p>\n<figure>\n{}\n<figcaption>Net benefit against threshold \
probability; the vertical axis is cut below at −0.05 (or minus the prevalence, if smaller) \
and above at 1.1 times the prevalence, the most any strategy can reach.</figcaption>\n\
</figure>\n<table>\n",
        strip_xml_declaration(decision.figure)
    );
    header(
        out,
        &[
            "threshold",
            "net benefit",
            "treat all",
            "standardised",
            "interventions avoided per 100",
        ],
    );
    out.push_str("<tbody>\n");
    for r in decision.rows {
        row(
            out,
            &[
                number(r.threshold, 2),
                number(r.net_benefit, 4),
                number(r.net_benefit_all, 4),
                number(r.standardized_net_benefit, 4),
                number(r.interventions_avoided_per_100, 2),
            ],
        );
    }
    out.push_str("</tbody></table>\n");
}
