//! `recontact evaluate --engine … --table …`: the evaluation inside the engine that holds
//! the rows (docs/cli.md, "Evaluating inside an engine").

use recontact_engine::evaluate::{
    evaluate_in_engine, EngineEvaluation, EvaluateError, EvaluateOptions, FROM_SAMPLE,
};
use recontact_scoring::InvalidRows;
use serde::Serialize;

use super::{render_table, thresholds, Args, Format, Json, JsonSource};
use crate::commands::engine_args;
use crate::progress::Progress;
use crate::report::{Context, Predictor};
use crate::Failure;

/// Stands for the data's checksum, which an engine does not give: it matches no model's,
/// so the evaluation is never taken for one on the training file.
const NO_CHECKSUM: &str = "(not computed inside an engine)";

/// Where the evaluation ran, in the JSON.
#[derive(Serialize)]
pub(super) struct JsonEngine<'a> {
    engine: &'a str,
    table: &'a str,
    queries: usize,
    rows_read: u64,
    rows_dropped: u64,
    /// The measures computed from the sample.
    from_sample: [&'static str; 6],
    sample_rows: usize,
    of_rows: usize,
}

/// Runs the command inside the engine.
pub(super) fn run(args: &Args) -> Result<(), Failure> {
    refuse_what_needs_rows(args)?;
    let inputs: Vec<_> = args
        .model
        .as_deref()
        .map(|m| ("--model", m))
        .into_iter()
        .collect();
    crate::output::check_distinct(&inputs, &[args.out.entry()])?;
    let model = crate::commands::model_or_default(args.model.as_deref())?;
    let builtin = args.model.is_none()
        || recontact_domain::default_model().is_ok_and(|default| default == model);
    let model_name = match &args.model {
        Some(path) => path.display().to_string(),
        None => "the built-in default model".to_string(),
    };
    let (curve_thresholds, table_thresholds) = thresholds(args.thresholds.as_deref());
    let mut all_thresholds = curve_thresholds.clone();
    all_thresholds.extend(&table_thresholds);
    let options = EvaluateOptions {
        bins: args.bins as usize,
        thresholds: all_thresholds,
        surface: args.loess.surface(),
        sample_rows: args
            .sample_rows
            .map_or(recontact_engine::evaluate::DEFAULT_SAMPLE_ROWS, |n| {
                n as usize
            }),
        invalid: if args.drop_invalid {
            InvalidRows::Drop
        } else {
            InvalidRows::Fail
        },
    };
    let mut source = args.engine.open()?;
    let name = format!("{}: {}", source.connection.describe(), source.table);
    let progress = Progress::spinner(args.quiet, "evaluating inside the engine");
    let result = evaluate_in_engine(source.connection.as_mut(), &source.table, &model, &options);
    progress.finish();
    let result = result.map_err(|e| failure(&name, e))?;
    if !args.quiet {
        eprintln!(
            "evaluated inside {} by {} queries",
            result.engine, result.queries
        );
        report_dropped(&result);
    }
    let (curve, table_curve) = result.decision_curve.split_at(curve_thresholds.len());
    let context = Context {
        predictor: Predictor::Model {
            name: &model_name,
            model: &model,
            builtin,
        },
        outcome: &model.spec.outcome,
        data_name: &name,
        data_sha256: NO_CHECKSUM,
        data_rows: result.rows_read,
    };
    let text = match args.format {
        Format::Table => render_table(
            &context,
            &result.evaluation,
            table_curve,
            Some(&sample_note(&result)),
        ),
        Format::Json => {
            let json = Json {
                evaluation: &result.evaluation,
                predictions: JsonSource::of(&context),
                decision_curve: curve,
                inside_engine: Some(JsonEngine {
                    engine: &result.engine,
                    table: &result.source,
                    queries: result.queries,
                    rows_read: result.rows_read,
                    rows_dropped: result.dropped.rows,
                    from_sample: FROM_SAMPLE,
                    sample_rows: result.sample.rows,
                    of_rows: result.sample.of,
                }),
            };
            serde_json::to_string_pretty(&json).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    args.out.write(text.as_bytes())
}

/// The flags that need the rows (or a prediction column) in this process.
fn refuse_what_needs_rows(args: &Args) -> Result<(), Failure> {
    let mut given = Vec::new();
    if args.data.path().is_some() {
        given.push("a data FILE");
    }
    if args.prob_column.is_some() || args.logit_column.is_some() {
        given.push("--prob-column/--logit-column");
    }
    if args.plot.is_some() {
        given.push("--plot");
    }
    if args.report.is_some() {
        given.push("--report");
    }
    if args.decision_plot.is_some() {
        given.push("--decision-plot");
    }
    if given.is_empty() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "an evaluation inside an engine (--engine or --engine-command, with --table) takes a \
         model and prints its measures; {} cannot be used with it: evaluate an exported file \
         for figures and reports",
        given.join(", ")
    )))
}

/// Which measures come from the sample, as the table says it.
fn sample_note(result: &EngineEvaluation) -> String {
    let sample = result.sample;
    if sample.is_all() {
        format!(
            "(loess calibration and ROC curve from all {} rows)",
            sample.of
        )
    } else {
        format!(
            "(loess calibration and ROC curve from a sample of {} rows of {}, systematic \
             along the predictions; every other measure from all rows)",
            sample.rows, sample.of
        )
    }
}

/// The rows left out, with their reasons, on standard error.
fn report_dropped(result: &EngineEvaluation) {
    let dropped = &result.dropped;
    if dropped.rows > 0 {
        eprintln!(
            "dropped {} of {} rows with missing or invalid values:",
            dropped.rows, result.rows_read
        );
        for (reason, count) in &dropped.reasons {
            eprintln!("  {count:>8}  {reason}");
        }
    }
}

/// The failure an evaluation inside an engine ends with.
fn failure(source: &str, error: EvaluateError) -> Failure {
    match error {
        EvaluateError::Pushdown(pushdown) => engine_args::failure(source, pushdown),
        EvaluateError::Options(message) => Failure::Usage(message),
        EvaluateError::Metrics(metrics) => {
            Failure::Data(format!("{source}: cannot evaluate: {metrics}"))
        }
        other => Failure::Data(format!("{source}: {other}")),
    }
}
