//! The evaluation report: one self-contained HTML file.
//!
//! Everything is inline (styles, the SVG figures) and nothing refers to the network, so
//! the file can be mailed, archived or opened offline and always looks the same. There
//! is no time stamp: the same model and data give the same bytes.
//!
//! The page is a `maud` template: every value spliced into it (column, level, file and
//! model names, numbers) is HTML-escaped by the template engine, so text from the data
//! or the model file can never become markup. The one exception is the figures, which
//! are [`Svg`] documents our own plotting code drew (see [`inline_svg`]). Each section
//! of the page is one function returning its [`Markup`].

use maud::{html, Markup, PreEscaped, DOCTYPE};
use recontact_scoring::data::PredictionScale;
use recontact_scoring::decision_curve::DecisionCurveRow;
use recontact_scoring::metrics::{BinnedCalibration, Evaluation, WaldEstimate};
use recontact_scoring::Model;

use super::plots::Svg;
use super::{number, p_value, scale_name, Context, Predictor};

/// The version the footer and the provenance name.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The page's style sheet. It is spliced in as text like anything else: it holds none
/// of the characters escaping changes (`&`, `<`, `>`, `"`; a test checks), so it
/// arrives unchanged, and a `<style>` element, whose content the browser takes
/// literally, sees the same rules.
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

/// The decision curve as the report shows it.
pub struct DecisionSection<'a> {
    /// The decision-curve figure.
    pub figure: &'a Svg,
    /// The rows of its table (a few thresholds).
    pub rows: &'a [DecisionCurveRow],
}

/// The report for `evaluation` in `context`, with `figure` (calibration and ROC) and the
/// decision curve inlined.
pub fn render(
    context: &Context<'_>,
    evaluation: &Evaluation,
    figure: &Svg,
    decision: &DecisionSection<'_>,
) -> String {
    let e = evaluation;
    let title = context.title();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (STYLE) }
            }
            body {
                h1 { (title) }
                p.lead {
                    "n = " (e.n) " observations, " (e.events) " with the outcome ("
                    (format!("{:.1}", 100.0 * e.events as f64 / e.n as f64)) "%)"
                }
                (notices(context))
                (provenance(context, e))
                (at_a_glance(figure))
                (discrimination(e))
                (overall_accuracy(e))
                (calibration(e))
                (calibration_tests(e))
                (binned_calibration(e))
                (decision_curve(decision))
                (predictors(context))
                (tripod(&tripod_items(context)))
                footer {
                    "Written by recontact " (VERSION) ". The definitions, formulas and \
                    references of every measure are in " code { "docs/evaluation.md" } "."
                }
            }
        }
    };
    // A text file ends with a newline.
    let mut text = page.into_string();
    text.push('\n');
    text
}

/// An SVG figure, inlined as markup without escaping.
///
/// This is the report's only unescaped splice, and it is safe because an [`Svg`] can
/// only be drawn by `report::plots`: plotters' SVG backend writes the markup and
/// XML-escapes every text and attribute value (titles that hold file and column names
/// included), so no user text in it is markup. Escaping it here would show the SVG's
/// source instead of the figure.
fn inline_svg(svg: &Svg) -> PreEscaped<&str> {
    PreEscaped(strip_xml_declaration(svg.as_str()))
}

/// A table's header row.
fn header(cells: &[&str]) -> Markup {
    html! {
        thead { tr { @for cell in cells { th { (cell) } } } }
    }
}

/// `text` in a `<code>` element: file names, column names, hashes.
fn code(text: &str) -> Markup {
    html! { code { (text) } }
}

/// The warnings above the provenance: the demonstration model, apparent performance,
/// predictions taken from a column.
fn notices(context: &Context<'_>) -> Markup {
    html! {
        @if context.builtin() {
            div.notice {
                strong { "Built-in demonstration model." } " This is the default model \
                embedded in " code { "recontact" } ", fitted on " em { "synthetic" } " data ("
                code { "data/recontact_outcomes.csv" } ", generated from documented \
                assumptions). Its probabilities illustrate the directions of the source \
                article; they are not estimates from real re-contacts."
            }
        }
        @if context.is_training_data() {
            div.notice.info {
                strong { "Apparent performance." } " The evaluated data are byte for byte \
                the data the model was fitted on, so calibration-in-the-large is 0 and the \
                calibration slope 1 by construction, and discrimination is optimistic. \
                Evaluate on data the model has not seen to validate it."
            }
        }
        @if let Predictor::Column { column, scale } = context.predictor {
            div.notice.info {
                strong { "Predictions from a column." } " The " (scale_name(scale))
                " were read from column " (code(column)) " of " (code(context.data_name))
                " as given; no model file was used, so nothing here says how they were \
                made. The calibration intercept and slope take " (linear_predictor(scale))
                " as the linear predictor."
            }
        }
    }
}

/// What the calibration fits use as the linear predictor of a prediction column.
fn linear_predictor(scale: PredictionScale) -> &'static str {
    match scale {
        PredictionScale::Probability => "logit(p) of each probability",
        PredictionScale::Logit => "the logits as given",
    }
}

/// The provenance section: where the predictions and the data came from.
fn provenance(context: &Context<'_>, e: &Evaluation) -> Markup {
    let table = match context.predictor {
        Predictor::Model {
            name,
            model,
            builtin,
        } => model_provenance(context, (name, model, builtin), e),
        Predictor::Column { column, scale } => column_provenance(context, (column, scale), e),
    };
    html! {
        h2 { "Provenance" }
        table.provenance { (table) }
    }
}

/// The provenance rows of a model's predictions: the model's file and fit beside the
/// evaluated data.
fn model_provenance(
    context: &Context<'_>,
    (name, model, builtin): (&str, &Model, bool),
    e: &Evaluation,
) -> Markup {
    let provenance = &model.provenance;
    let model_file = if builtin {
        format!("{name} (embedded)")
    } else {
        name.to_string()
    };
    let rows: [(&str, Markup, Markup); 9] = [
        ("file", code(&model_file), code(context.data_name)),
        ("fitted on", code(&provenance.input_file), html! {}),
        (
            "SHA-256 of the data file",
            code(&provenance.input_sha256),
            code(context.data_sha256),
        ),
        (
            "rows read",
            html! { (provenance.rows_read) },
            html! { (context.data_rows) },
        ),
        ("n used", html! { (provenance.rows_used) }, html! { (e.n) }),
        (
            "events",
            html! { (number(model.statistics.events, 0)) },
            html! { (e.events) },
        ),
        ("outcome", code(&model.spec.outcome), code(context.outcome)),
        (
            "fitting method",
            html! { (model.statistics.method) },
            html! {},
        ),
        (
            "written by",
            html! { (provenance.tool) " " (provenance.tool_version) },
            html! { "recontact " (VERSION) },
        ),
    ];
    html! {
        (header(&["", "model", "evaluated data"]))
        tbody {
            @for (label, from_model, from_data) in &rows {
                tr { td { (label) } td { (from_model) } td { (from_data) } }
            }
        }
    }
}

/// The provenance rows of predictions read from a column of the evaluated data.
fn column_provenance(
    context: &Context<'_>,
    (column, scale): (&str, PredictionScale),
    e: &Evaluation,
) -> Markup {
    let rows: [(&str, Markup); 8] = [
        ("file", code(context.data_name)),
        (
            "predictions",
            html! { (scale_name(scale)) " in column " (code(column)) },
        ),
        ("model", html! { "none: the predictions are read as given" }),
        ("SHA-256 of the data file", code(context.data_sha256)),
        ("rows read", html! { (context.data_rows) }),
        ("n used", html! { (e.n) }),
        ("outcome", code(context.outcome)),
        ("written by", html! { "recontact " (VERSION) }),
    ];
    html! {
        (header(&["", "evaluated data"]))
        tbody {
            @for (label, value) in &rows {
                tr { td { (label) } td { (value) } }
            }
        }
    }
}

/// The calibration and ROC figure with its caption.
fn at_a_glance(figure: &Svg) -> Markup {
    html! {
        h2 { "Calibration and discrimination at a glance" }
        figure {
            (inline_svg(figure))
            figcaption {
                "Left: observed against predicted probability — the loess smooth of the \
                outcome on the prediction, the equal-mass bins with 95% Wilson intervals, \
                and the diagonal where a perfectly calibrated model lies; beneath it, how \
                the predictions are spread (stacked by outcome). Right: the ROC curve, true \
                against false positive rate as the threshold falls."
            }
        }
    }
}

/// The discrimination table: AUC and Somers' D.
fn discrimination(e: &Evaluation) -> Markup {
    html! {
        h2 { "Discrimination" }
        table.notes {
            (header(&["measure", "value", "95% interval", "reads"]))
            tbody {
                tr {
                    td { "AUC (c-statistic)" }
                    td { (number(e.auc, 4)) }
                    td { (number(e.auc_ci[0], 4)) " to " (number(e.auc_ci[1], 4)) " (DeLong)" }
                    td { "0.5 no better than chance, 1 perfect ranking" }
                }
                tr {
                    td { "Somers' D" sub { "xy" } }
                    td { (number(e.dxy, 4)) }
                    td {}
                    td { "2 (AUC − 0.5)" }
                }
            }
        }
    }
}

/// The overall-accuracy table: log loss and the Brier scores.
fn overall_accuracy(e: &Evaluation) -> Markup {
    let rows = [
        ("log loss", e.log_loss, "lower is better"),
        (
            "Brier score",
            e.brier,
            "mean squared error of the probabilities, lower is better",
        ),
        (
            "scaled Brier",
            e.scaled_brier,
            "1 perfect, 0 no better than the event rate for everyone",
        ),
    ];
    html! {
        h2 { "Overall accuracy" }
        table.notes {
            (header(&["measure", "value", "reads"]))
            tbody {
                @for (name, value, reads) in rows {
                    tr { td { (name) } td { (number(value, 4)) } td { (reads) } }
                }
            }
        }
    }
}

/// The calibration section's first table: mean and weak calibration on the logit scale.
fn calibration(e: &Evaluation) -> Markup {
    html! {
        h2 { "Calibration" }
        h3 { "Mean and weak calibration (logit scale)" }
        table {
            (header(&["measure", "estimate", "std. error", "95% interval", "ideal"]))
            tbody {
                (wald("calibration-in-the-large", &e.calibration_intercept, "0"))
                (wald("calibration slope", &e.calibration_slope, "1"))
                tr {
                    td { "observed / expected" }
                    td { (number(e.observed_expected, 4)) }
                    td {}
                    td {}
                    td { "1" }
                }
            }
        }
    }
}

/// A row for an estimate with its standard error and Wald interval.
fn wald(name: &str, estimate: &WaldEstimate, ideal: &str) -> Markup {
    html! {
        tr {
            td { (name) }
            td { (number(estimate.estimate, 4)) }
            td { (number(estimate.std_error, 4)) }
            td { (number(estimate.ci_low, 4)) " to " (number(estimate.ci_high, 4)) }
            td { (ideal) }
        }
    }
}

/// The calibration tests and the smoothed-calibration summaries, with the smoother used.
fn calibration_tests(e: &Evaluation) -> Markup {
    let hl = &e.hosmer_lemeshow;
    let smoothed = [
        ("ICI", e.ici, "mean |smoothed − predicted|"),
        ("E50", e.e50, "median |smoothed − predicted|"),
        ("E90", e.e90, "90th percentile |smoothed − predicted|"),
        ("Emax", e.emax, "largest |smoothed − predicted|"),
    ];
    html! {
        h3 { "Tests and smoothed calibration" }
        table.notes {
            (header(&["measure", "value", "reads"]))
            tbody {
                tr {
                    td { "Hosmer–Lemeshow (10 groups)" }
                    td {
                        "χ² " (number(hl.statistic, 3)) " on " (hl.df) " df, p = "
                        (p_value(hl.p_value))
                    }
                    td { "a small p signals miscalibration" }
                }
                tr {
                    td { "Spiegelhalter" }
                    td {
                        "z = " (number(e.spiegelhalter.z, 3)) ", p = "
                        (p_value(e.spiegelhalter.p_value))
                    }
                    td { "a small p signals miscalibration" }
                }
                @for (name, value, reads) in smoothed {
                    tr { td { (name) } td { (number(value, 4)) } td { (reads) } }
                }
            }
        }
        p { "Smoother: " (e.smoother) "." }
    }
}

/// The binned calibration: equal-mass and equal-width tables side by side.
fn binned_calibration(e: &Evaluation) -> Markup {
    html! {
        h3 { "Binned calibration" }
        p { "Observed rates with Wilson score 95% intervals; empty bins are left out." }
        div.columns {
            (bin_table("Equal-mass bins", &e.ece.equal_mass))
            (bin_table("Equal-width bins", &e.ece.equal_width))
        }
    }
}

/// One binned-calibration table under its title and expected calibration error.
fn bin_table(title: &str, table: &BinnedCalibration) -> Markup {
    html! {
        div {
            h4 { (title) }
            p { "Expected calibration error (ECE) " (number(table.ece, 4)) }
            table {
                (header(&["bin", "n", "mean predicted", "observed", "95% low", "95% high"]))
                tbody {
                    @for (k, bin) in table.bins.iter().enumerate() {
                        tr {
                            td { (k + 1) }
                            td { (bin.n) }
                            td { (number(bin.mean_predicted, 4)) }
                            td { (number(bin.observed, 4)) }
                            td { (number(bin.ci_low, 4)) }
                            td { (number(bin.ci_high, 4)) }
                        }
                    }
                }
            }
        }
    }
}

/// The decision-curve section: the figure and its table at a few thresholds.
fn decision_curve(decision: &DecisionSection<'_>) -> Markup {
    html! {
        h2 { "Decision curve" }
        p {
            "Net benefit of treating everyone whose predicted probability is at or above \
            the threshold t, against treating everyone and treating no one (Vickers & Elkin \
            2006): NB = TP/N − FP/N · t/(1 − t). A model helps at t when its curve lies \
            above both others."
        }
        figure {
            (inline_svg(decision.figure))
            figcaption {
                "Net benefit against threshold probability; the vertical axis is cut below \
                at −0.05 (or minus the prevalence, if smaller) and above at 1.1 times the \
                prevalence, the most any strategy can reach."
            }
        }
        table {
            (header(&[
                "threshold",
                "net benefit",
                "treat all",
                "standardised",
                "interventions avoided per 100",
            ]))
            tbody {
                @for r in decision.rows {
                    tr {
                        td { (number(r.threshold, 2)) }
                        td { (number(r.net_benefit, 4)) }
                        td { (number(r.net_benefit_all, 4)) }
                        td { (number(r.standardized_net_benefit, 4)) }
                        td { (number(r.interventions_avoided_per_100, 2)) }
                    }
                }
            }
        }
    }
}

/// The model's outcome and predictor columns, as the model file names them.
fn predictors(context: &Context<'_>) -> Markup {
    let Predictor::Model { model, .. } = context.predictor else {
        return html! {
            h2 { "Outcome and predictors" }
            p {
                "Outcome column " (code(context.outcome)) " (1 = the event). The predictions \
                come from a column of the data; which predictors the model behind them uses, \
                and how and when they were measured, is for the study to report."
            }
        };
    };
    let columns = model.encoding.input_columns();
    html! {
        h2 { "Outcome and predictors" }
        p {
            "Outcome column " (code(&model.spec.outcome)) " (1 = the event); predictor \
            columns: "
            @if columns.is_empty() {
                "none (an intercept-only model)"
            }
            @for (k, column) in columns.iter().enumerate() {
                @if k > 0 { ", " }
                (code(column))
            }
            ". What they mean, and how and when they were measured, is for the study to \
            define."
        }
    }
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
fn tripod(items: &[TripodItem]) -> Markup {
    html! {
        h2 { "TRIPOD+AI items covered" }
        p {
            "Which items of the TRIPOD+AI checklist (Collins et al., BMJ \
            2024;385:e078378) this report addresses. It is a help for writing the study \
            up, not a completed checklist."
        }
        table.notes.tripod {
            (header(&["item", "topic", "in this report", "what covers it"]))
            tbody {
                @for entry in items {
                    tr {
                        td { (entry.item) }
                        td { (entry.topic) }
                        td { (coverage(entry.coverage)) }
                        td { (entry.covered_by) }
                    }
                }
            }
        }
        h3 { "Items the authors must supply" }
        table.notes.tripod {
            (header(&["items", "topic"]))
            tbody {
                @for (items, topic) in TRIPOD_FOR_AUTHORS {
                    tr { td { (items) } td { (topic) } }
                }
            }
        }
    }
}

/// How much of an item the report shows, as a coloured word.
fn coverage(coverage: Coverage) -> Markup {
    match coverage {
        Coverage::Shown => html! { span.shown { "shown" } },
        Coverage::Partly => html! { span.partly { "partly" } },
        Coverage::Absent => html! { span.absent { "not shown" } },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_sheet_passes_through_escaping_unchanged() {
        assert!(!STYLE.contains(['&', '<', '>', '"']), "{STYLE}");
        let page = html! { style { (STYLE) } }.into_string();
        assert_eq!(page, format!("<style>{STYLE}</style>"));
    }

    #[test]
    fn an_xml_declaration_is_dropped_before_inlining() {
        let svg = "<?xml version=\"1.0\"?>\n<svg></svg>";
        assert_eq!(strip_xml_declaration(svg), "<svg></svg>");
        assert_eq!(strip_xml_declaration("<svg></svg>"), "<svg></svg>");
    }
}
