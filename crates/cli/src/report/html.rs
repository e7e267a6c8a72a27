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
table.tripod td, table.tripod th { text-align: left; vertical-align: top; }
table.tripod td:nth-child(3), table.tripod th:nth-child(3) { white-space: nowrap; }
p code { word-break: normal; }
.shown { color: #176b2c; font-weight: 600; }
.partly { color: #8a5a00; font-weight: 600; }
.absent { color: #6b7078; }
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

    predictors(&mut out, context);
    tripod(&mut out, &tripod_items(context));

    let _ = write!(
        out,
        "<footer>Written by recontact {}. The definitions, formulas and references of every \
measure are in <code>docs/evaluation.md</code>.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// The model's outcome and predictor columns, as the model file names them.
fn predictors(out: &mut String, context: &Context<'_>) {
    let Predictor::Model { model, .. } = context.predictor else {
        let _ = write!(
            out,
            "<h2>Outcome and predictors</h2>\n<p>Outcome column <code>{}</code> (1 = the \
event). The predictions come from a column of the data; which predictors the model behind \
them uses, and how and when they were measured, is for the study to report.</p>\n",
            escape(context.outcome)
        );
        return;
    };
    let columns: Vec<String> = model
        .encoding
        .input_columns()
        .iter()
        .map(|c| format!("<code>{}</code>", escape(c)))
        .collect();
    let _ = write!(
        out,
        "<h2>Outcome and predictors</h2>\n<p>Outcome column <code>{}</code> (1 = the event); \
predictor columns: {}. What they mean, and how and when they were measured, is for the \
study to define.</p>\n",
        escape(&model.spec.outcome),
        if columns.is_empty() {
            "none (an intercept-only model)".to_string()
        } else {
            columns.join(", ")
        }
    );
}

/// How much of a TRIPOD+AI item a report shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The report shows what the item asks for.
    Shown,
    /// The report shows part of it; the rest is for the authors.
    Partly,
    /// The report could show it (another command or option does) but this one does not.
    Absent,
}

/// One TRIPOD+AI item (Collins et al. 2024, BMJ 385:e078378) and what in the report
/// addresses it. Sections added to the report add their own rows.
pub struct TripodItem {
    /// The item's number in the checklist, such as `23a`.
    pub item: &'static str,
    /// The item's topic, in our words.
    pub topic: &'static str,
    /// What in this report addresses it, or where to get it.
    pub covered_by: String,
    /// How much of it the report shows.
    pub coverage: Coverage,
}

/// The TRIPOD+AI items this report addresses, in checklist order.
pub fn tripod_items(context: &Context<'_>) -> Vec<TripodItem> {
    let item = |item, topic, covered_by: &str, coverage| TripodItem {
        item,
        topic,
        covered_by: covered_by.to_string(),
        coverage,
    };
    let same_data = if context.is_training_data() {
        "the data are those the model was fitted on (apparent performance), by SHA-256"
    } else {
        "the data differ from those the model was fitted on, by SHA-256; how the \
         populations differ is for the authors"
    };
    let from_column = matches!(context.predictor, Predictor::Column { .. });
    let (predictors, calculated) = if from_column {
        (
            "not in this report: the predictions were read from a column of the data, so the model's predictors are not known here",
            "the column of the data the predictions were read from; how the model behind them computed them is for the authors",
        )
    } else {
        (
            "the predictor columns' names; their definitions and measurement are not",
            "the model file and its provenance: each probability is the logistic of the linear predictor",
        )
    };
    let predictor_coverage = if from_column {
        Coverage::Absent
    } else {
        Coverage::Partly
    };
    vec![
        item("8a", "outcome definition", "the outcome column's name and its event count; its definition, how and when it was assessed are not", Coverage::Partly),
        item("9a", "predictor definitions", predictors, predictor_coverage),
        item("12e", "performance measures", "every measure, named in its table, defined in docs/evaluation.md: discrimination, calibration, and clinical utility by the decision curve", Coverage::Shown),
        item("12f", "model updating", "not in this report: recontact update recalibrates or revises a model", Coverage::Absent),
        item("12g", "how predictions were calculated", calculated, Coverage::Partly),
        item("15", "model output", "predicted probabilities, used as they are (no threshold or risk groups)", Coverage::Shown),
        item("16", "development versus evaluation data", same_data, Coverage::Partly),
        item("20b", "characteristics of the data", "n and the number of events, for the model's data and the evaluated data; predictor distributions are not", Coverage::Partly),
        item("21", "participants and events in each analysis", "the provenance table: rows read, n used and events, for fitting and for this evaluation", Coverage::Shown),
        item("22", "full model specification", "not in this report: the model file, recontact summary and recontact scorecard give every coefficient", Coverage::Absent),
        item("23a", "performance with confidence intervals", "AUC with its DeLong interval; calibration-in-the-large and slope with Wald intervals; the calibration plot; binned rates with Wilson intervals; net benefit at each threshold. Performance in subgroups is not", Coverage::Partly),
    ]
}

/// The TRIPOD+AI items only the study's authors can report: the report has nothing on them.
const TRIPOD_FOR_AUTHORS: &[(&str, &str)] = &[
    ("1, 2", "title and abstract"),
    ("3a–3c", "healthcare context, target population, known inequalities"),
    ("4", "objectives: development, evaluation or both"),
    ("5a, 5b", "source of the data and its dates"),
    ("6a–6c", "setting, eligibility criteria, treatments received"),
    ("7", "data preparation and quality checks"),
    ("8b, 8c, 9b, 9c", "who assessed outcome and predictors, and blinding"),
    ("10", "how the sample size was arrived at"),
    ("11", "how missing data were handled"),
    ("12a–12d", "how the data were used and split, predictor handling, model building, heterogeneity"),
    ("13, 14", "class imbalance, fairness"),
    ("17", "ethical approval"),
    ("18a–18f, 19", "funding, conflicts, protocol, registration, data and code sharing, patient and public involvement"),
    ("20a, 20c", "flow of participants, comparison with the development data"),
    ("23b, 24", "heterogeneity across clusters, results of updating"),
    ("25–27c", "interpretation, limitations, usability, future research"),
];

/// The section mapping the report to TRIPOD+AI, and what the authors must still supply.
fn tripod(out: &mut String, items: &[TripodItem]) {
    out.push_str(
        "<h2>TRIPOD+AI items covered</h2>\n<p>Which items of the TRIPOD+AI checklist \
(Collins et al., BMJ 2024;385:e078378) this report addresses. It is a help for writing \
the study up, not a completed checklist.</p>\n<table class=\"notes tripod\">\n",
    );
    header(out, &["item", "topic", "in this report", "what covers it"]);
    out.push_str("<tbody>\n");
    for entry in items {
        let status = match entry.coverage {
            Coverage::Shown => "<span class=\"shown\">shown</span>",
            Coverage::Partly => "<span class=\"partly\">partly</span>",
            Coverage::Absent => "<span class=\"absent\">not shown</span>",
        };
        row(
            out,
            &[
                entry.item.to_string(),
                entry.topic.to_string(),
                status.to_string(),
                escape(&entry.covered_by),
            ],
        );
    }
    out.push_str(
        "</tbody></table>\n<h3>Items the authors must supply</h3>\n<table class=\"notes tripod\">\n",
    );
    header(out, &["items", "topic"]);
    out.push_str("<tbody>\n");
    for (items, topic) in TRIPOD_FOR_AUTHORS {
        row(out, &[(*items).to_string(), (*topic).to_string()]);
    }
    out.push_str("</tbody></table>\n");
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
