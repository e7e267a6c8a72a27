//! `recontact advise`: the chance of one re-contact, why, and what can still change.

use std::path::PathBuf;

use recontact_domain::{
    advise, Advice, Case, CaseReader, ContactType, DeclineReason, Level, OutcomeColumn,
    PositionStatus, StageReached, MAX_DAYS_SINCE_DECLINE, MAX_YEARS_EXPERIENCE,
};

use crate::{input, Failure};

/// Advice for one person: the probability that re-contacting succeeds (with a 95%
/// interval), what pushes it up or down, the levers still in your hands, and cautions.
///
/// Describe the case with the flags (they mirror the CSV columns), or take it from a CSV
/// row (--csv FILE --row N) or a JSON object (--json FILE).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact advise --contact-type corporate_recruiter --stage-reached presented_to_manager \\\n    \
--decline-reason accepted_other_offer --days-since-decline 20 --position-status unknown \\\n    \
--same-contact false --misrepresentation false --transparent true --open-to-reinterview true \\\n    \
--years-experience 8\n  \
recontact advise --csv data/recontact_outcomes.csv --row 7 --format json\n  \
recontact advise --json case.json --model my_model.json")]
pub struct Args {
    /// A model file (default: the embedded default model, fitted on synthetic data).
    #[arg(long, value_name = "MODEL.json")]
    model: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Take the case from this CSV (with --row).
    #[arg(long, value_name = "FILE", requires = "row", conflicts_with = "json")]
    csv: Option<PathBuf>,
    /// The 1-based data row of --csv.
    #[arg(long, value_name = "N", requires = "csv")]
    row: Option<u64>,
    /// Take the case from a JSON object with the CSV column names, or `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    json: Option<PathBuf>,
    /// Who you would contact.
    #[arg(long, value_parser = level_parser::<ContactType>, required_unless_present_any = ["csv", "json"])]
    contact_type: Option<ContactType>,
    /// How far the process had gone when you declined.
    #[arg(long, value_parser = level_parser::<StageReached>, required_unless_present_any = ["csv", "json"])]
    stage_reached: Option<StageReached>,
    /// Why you declined.
    #[arg(long, value_parser = level_parser::<DeclineReason>, required_unless_present_any = ["csv", "json"])]
    decline_reason: Option<DeclineReason>,
    /// Days since you declined (0 to 3650).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_DAYS_SINCE_DECLINE)), required_unless_present_any = ["csv", "json"])]
    days_since_decline: Option<u32>,
    /// What you know about the position.
    #[arg(long, value_parser = level_parser::<PositionStatus>, required_unless_present_any = ["csv", "json"])]
    position_status: Option<PositionStatus>,
    /// You use the same contact details as during the process (true/false).
    #[arg(long, value_parser = bool_parser, required_unless_present_any = ["csv", "json"])]
    same_contact: Option<bool>,
    /// They may believe you misrepresented your availability or skills (true/false).
    #[arg(long, value_parser = bool_parser, required_unless_present_any = ["csv", "json"])]
    misrepresentation: Option<bool>,
    /// Your message is honest and transparent (true/false).
    #[arg(long, value_parser = bool_parser, required_unless_present_any = ["csv", "json"])]
    transparent: Option<bool>,
    /// You are ready to interview again (true/false).
    #[arg(long, value_parser = bool_parser, required_unless_present_any = ["csv", "json"])]
    open_to_reinterview: Option<bool>,
    /// Years of experience (0 to 60).
    #[arg(long, value_parser = years_parser, required_unless_present_any = ["csv", "json"])]
    years_experience: Option<f64>,
}

/// How advice is printed.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain words.
    Text,
    /// JSON with p_success, ci, logit, contributions, levers, timeline, cautions.
    Json,
}

fn level_parser<L: Level>(text: &str) -> Result<L, String> {
    L::parse(text).ok_or_else(|| format!("`{text}` is not one of {}", L::allowed().join(", ")))
}

fn bool_parser(text: &str) -> Result<bool, String> {
    recontact_domain::parse_bool(text)
        .ok_or_else(|| format!("`{text}` is not one of true/false, 1/0, yes/no"))
}

fn years_parser(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=MAX_YEARS_EXPERIENCE).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{text}` is not a number of years from 0 to {MAX_YEARS_EXPERIENCE}"
        )),
    }
}

fn case_from_flags(args: &Args) -> Option<Case> {
    Some(Case {
        case_id: None,
        contact_type: args.contact_type?,
        stage_reached: args.stage_reached?,
        decline_reason: args.decline_reason?,
        days_since_decline: args.days_since_decline?,
        position_status: args.position_status?,
        same_contact: args.same_contact?,
        misrepresentation: args.misrepresentation?,
        transparent: args.transparent?,
        open_to_reinterview: args.open_to_reinterview?,
        years_experience: args.years_experience?,
    })
}

fn case_from_csv(path: &std::path::Path, row: u64) -> Result<Case, Failure> {
    let input = input::open(path).map_err(Failure::Io)?;
    let reader = CaseReader::new(input.name.clone(), input.reader, OutcomeColumn::Ignored)
        .map_err(|e| Failure::Data(e.to_string()))?;
    for (index, observation) in reader.enumerate() {
        if index as u64 + 1 == row {
            return observation
                .map(|o| o.case)
                .map_err(|e| Failure::Data(e.to_string()));
        }
        if let Err(errors) = &observation {
            if errors.is_fatal() {
                return Err(Failure::Io(errors.to_string()));
            }
        }
    }
    Err(Failure::Usage(format!(
        "{}: has no data row {row}",
        input.name
    )))
}

fn case_from_json(path: &std::path::Path) -> Result<Case, Failure> {
    let file = input::read_text_bounded(path, input::MAX_SMALL_FILE_BYTES, "case file").map_err(
        |failure| match failure {
            input::ReadFailure::Io(message) => Failure::Io(message),
            input::ReadFailure::Invalid(message) => Failure::Data(message),
        },
    )?;
    let name = &file.name;
    let case: Case =
        serde_json::from_str(file.text()).map_err(|e| Failure::Data(format!("{name}: {e}")))?;
    if case.days_since_decline > MAX_DAYS_SINCE_DECLINE {
        return Err(Failure::Data(format!(
            "{name}: days_since_decline {} is out of range; allowed: 0 to {MAX_DAYS_SINCE_DECLINE}",
            case.days_since_decline
        )));
    }
    if !(case.years_experience.is_finite()
        && (0.0..=MAX_YEARS_EXPERIENCE).contains(&case.years_experience))
    {
        return Err(Failure::Data(format!(
            "{name}: years_experience {} is out of range; allowed: 0 to {MAX_YEARS_EXPERIENCE}",
            case.years_experience
        )));
    }
    Ok(case)
}

fn percent(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
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
    out += "\nWhat you can still change (largest gain first)\n";
    for (i, lever) in advice.levers.iter().enumerate() {
        out += &format!("  {}. {}\n", i + 1, lever.words);
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
    let case = match (&args.csv, args.row, &args.json) {
        (Some(path), Some(row), _) => case_from_csv(path, row)?,
        (_, _, Some(path)) => case_from_json(path)?,
        _ => case_from_flags(&args).ok_or_else(|| {
            Failure::Usage("describe the case with every flag, --csv with --row, or --json".into())
        })?,
    };
    let mut advice = advise(&case, &model).map_err(|e| Failure::Data(e.to_string()))?;
    if demonstration {
        advice.cautions.push(DEMONSTRATION.to_string());
    }
    let text = match args.format {
        Format::Text => render(&advice, demonstration),
        Format::Json => {
            serde_json::to_string_pretty(&advice).map_err(|e| Failure::Data(e.to_string()))? + "\n"
        }
    };
    super::print(text.as_bytes())
}
