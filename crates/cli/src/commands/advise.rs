//! `recontact advise`: the chance of one case, why, and what can still change, for any
//! model (its levers and cautions come from the model's spec).

use std::path::{Path, PathBuf};

use recontact_domain::{advise_values, csv_row_values, model_columns, percent, Advice, Values};
use recontact_scoring::Model;

use crate::{input, Failure};

/// Advice for one person: the probability that re-contacting succeeds (with a 95%
/// interval), what pushes it up or down, the levers still in your hands, and cautions.
///
/// Describe the case with --set column=value (repeatable), take it from a CSV row
/// (FILE --row N) or a JSON object (--json FILE); --set overrides a value of the row or
/// object. Every value is checked against the model's own columns, levels and bounds.
#[derive(clap::Args)]
#[command(after_help = after_help())]
pub struct Args {
    /// Take the case from this CSV (with --row); `-` for standard input.
    #[arg(value_name = "FILE", requires = "row", conflicts_with = "json")]
    file: Option<PathBuf>,
    /// The same as FILE.
    #[arg(long = "data", value_name = "FILE", hide = true, requires = "row", conflicts_with_all = ["json", "file"])]
    data: Option<PathBuf>,
    /// The same as FILE (older spelling).
    #[arg(long = "csv", hide = true, requires = "row", conflicts_with_all = ["json", "file", "data"])]
    csv: Option<PathBuf>,
    /// The 1-based data row of FILE.
    #[arg(long, value_name = "N")]
    row: Option<u64>,
    /// Take the case from a JSON object keyed by column name, or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    json: Option<PathBuf>,
    /// A value of the case, as `column=value` (repeatable; overrides FILE or --json).
    #[arg(long = "set", value_name = "COLUMN=VALUE")]
    set: Vec<String>,
    /// A model file (default: the embedded default model, fitted on synthetic data).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the advice to this file instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print no notes on standard error.
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    contract: ContractFlags,
}

/// The re-contact contract's columns as flags (older spelling of --set).
#[derive(clap::Args)]
struct ContractFlags {
    #[arg(long, hide = true)]
    contact_type: Option<String>,
    #[arg(long, hide = true)]
    stage_reached: Option<String>,
    #[arg(long, hide = true)]
    decline_reason: Option<String>,
    #[arg(long, hide = true)]
    days_since_decline: Option<String>,
    #[arg(long, hide = true)]
    position_status: Option<String>,
    #[arg(long, hide = true)]
    same_contact: Option<String>,
    #[arg(long, hide = true)]
    misrepresentation: Option<String>,
    #[arg(long, hide = true)]
    transparent: Option<String>,
    #[arg(long, hide = true)]
    open_to_reinterview: Option<String>,
    #[arg(long, hide = true)]
    years_experience: Option<String>,
}

impl ContractFlags {
    fn values(&self) -> Vec<(&'static str, &str)> {
        [
            ("contact_type", &self.contact_type),
            ("stage_reached", &self.stage_reached),
            ("decline_reason", &self.decline_reason),
            ("days_since_decline", &self.days_since_decline),
            ("position_status", &self.position_status),
            ("same_contact", &self.same_contact),
            ("misrepresentation", &self.misrepresentation),
            ("transparent", &self.transparent),
            ("open_to_reinterview", &self.open_to_reinterview),
            ("years_experience", &self.years_experience),
        ]
        .into_iter()
        .filter_map(|(c, v)| Some((c, v.as_deref()?)))
        .collect()
    }
}

/// How advice is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain words (`table`, the other commands' name for the human form, means the same).
    #[value(alias = "table")]
    Text,
    /// JSON with p_success, ci, logit, contributions, levers, timeline, cautions.
    Json,
}

/// The help's closing text: the default model's columns with their allowed values.
fn after_help() -> String {
    let mut text = String::from("Columns of the default model (--set COLUMN=VALUE):\n");
    match recontact_domain::default_model() {
        Ok(model) => {
            for (column, allowed) in model_columns(&model) {
                text += &format!("  {column}: {allowed}\n");
            }
        }
        Err(error) => text += &format!("  (the default model does not load: {error})\n"),
    }
    text + "A model of your own (--model) has its own columns; an error names them.\n\n\
Examples:\n  \
recontact advise --set contact_type=corporate_recruiter --set stage_reached=presented_to_manager \\\n    \
--set decline_reason=accepted_other_offer --set days_since_decline=20 --set position_status=unknown \\\n    \
--set same_contact=false --set misrepresentation=false --set transparent=true \\\n    \
--set open_to_reinterview=true --set years_experience=8\n  \
recontact advise data/recontact_outcomes.csv --row 7 --format json\n  \
recontact advise --json case.json --model my_model.json"
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

fn values_from_csv(path: &Path, row: u64) -> Result<Values, Failure> {
    let input = input::open(path).map_err(Failure::Io)?;
    csv_row_values(&input.name, input.reader, row).map_err(|e| match e {
        recontact_domain::RowError::NoRow { .. } => usage(e.to_string()),
        recontact_domain::RowError::Csv { .. } => Failure::Data(e.to_string()),
    })
}

fn values_from_json(path: &Path) -> Result<Values, Failure> {
    let file = input::read_text_bounded(path, input::MAX_SMALL_FILE_BYTES, "case file").map_err(
        |failure| match failure {
            input::ReadFailure::Io(message) => Failure::Io(message),
            input::ReadFailure::Invalid(message) => Failure::Data(message),
        },
    )?;
    let name = &file.name;
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(file.text())
        .map_err(|e| Failure::Data(format!("{name}: expected one JSON object: {e}")))?;
    let mut values = Values::new();
    for (column, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => continue,
            other => {
                return Err(Failure::Data(format!(
                    "{name}: `{column}` is {other}; give a text, number or true/false"
                )))
            }
        };
        values.insert(column, text);
    }
    Ok(values)
}

/// The case's values: from the file or JSON object, then the flags, then --set.
fn case_values(args: &Args, model: &Model) -> Result<Values, Failure> {
    let file = args
        .file
        .as_ref()
        .or(args.data.as_ref())
        .or(args.csv.as_ref());
    let mut values = match (file, &args.json) {
        (Some(path), _) => {
            let row = args.row.ok_or_else(|| usage("FILE needs --row N"))?;
            values_from_csv(path, row)?
        }
        (None, Some(path)) => values_from_json(path)?,
        (None, None) if args.row.is_some() => return Err(usage("--row needs a FILE")),
        (None, None) => Values::new(),
    };
    for (column, value) in args.contract.values() {
        values.insert(column.to_string(), value.to_string());
    }
    let columns = model.encoding.input_columns();
    for entry in &args.set {
        let (column, value) = entry
            .split_once('=')
            .ok_or_else(|| usage(format!("--set {entry:?}: expected COLUMN=VALUE")))?;
        let column = column.trim();
        if !columns.contains(&column) {
            return Err(usage(format!(
                "--set {entry:?}: the model has no column `{column}`; its columns are {}",
                columns.join(", ")
            )));
        }
        values.insert(column.to_string(), value.to_string());
    }
    Ok(values)
}

/// The caution added when the embedded model is used; the text output shows it at the top.
const DEMONSTRATION: &str =
    "These numbers come from the built-in demonstration model, fitted on synthetic data that \
follow the article's directions; they are not measured chances.";

fn render(advice: &Advice, demonstration: bool) -> String {
    let mut out = format!(
        "Chance that re-contacting succeeds: {} (95% interval {} to {})\n",
        percent(advice.p_success),
        percent(advice.ci[0]),
        percent(advice.ci[1])
    );
    if demonstration {
        out += "Note: these numbers come from the built-in demonstration model, fitted on synthetic data that\n\
                follow the article's directions. Fit your own outcomes (recontact fit) for real weights.\n";
    }
    out += "\nWhat pushes it up or down, on the log-odds scale, compared with a reference situation\n(";
    out += &advice.reference;
    out += ")\n";
    for c in advice
        .contributions
        .iter()
        .filter(|c| c.logit.abs() >= 0.005)
    {
        out += &format!("  {:+.2}  {}\n", c.logit, c.words);
    }
    if !advice.levers.is_empty() {
        out += "\nWhat you can still change (largest gain first)\n";
        for (i, lever) in advice.levers.iter().enumerate() {
            out += &format!("  {}. {}\n", i + 1, lever.words);
        }
    }
    let cautions: Vec<&String> = advice
        .cautions
        .iter()
        .filter(|c| c.as_str() != DEMONSTRATION)
        .collect();
    if !cautions.is_empty() {
        out += "\nCautions\n";
        for caution in cautions {
            out += &format!("  - {caution}\n");
        }
    }
    out
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let demonstration = args.model.is_none();
    let model = super::model_or_default(args.model.as_deref())?;
    let values = case_values(&args, &model)?;
    let mut advice = advise_values(&values, &model).map_err(|e| usage(e.to_string()))?;
    if demonstration {
        advice.cautions.push(DEMONSTRATION.to_string());
    }
    if model.spec.levers.is_empty() && !args.quiet {
        eprintln!("note: the model's spec defines no levers; advice shows the probability and contributions only");
    }
    let text = match args.format {
        Format::Text => render(&advice, demonstration),
        Format::Json => {
            serde_json::to_string_pretty(&advice).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    match &args.out {
        None => super::print(text.as_bytes()),
        Some(path) => {
            use std::io::Write;
            let mut output = crate::output::Output::open(Some(path))?;
            output
                .write_all(text.as_bytes())
                .map_err(|e| output.write_failure(e))?;
            output.commit()
        }
    }
}
