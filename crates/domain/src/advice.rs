//! Advice for one person's situation: the probability with its interval, why, what
//! they can still change, and the article's cautions.

use serde::Serialize;
use thiserror::Error;

use recontact_scoring::{explain, predict, reference_inputs, EncodedTerm, Model, TermInput};

use crate::case::{Case, MAX_DAYS_SINCE_DECLINE};
use crate::column::Column;
use crate::levels::{ContactType, DeclineReason, Level, PositionStatus, StageReached};

/// Why advice cannot be given with a model.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AdviceError {
    /// The model needs a column the re-contact contract does not have.
    #[error("the model needs column `{0}`, which a re-contact case does not have")]
    UnknownColumn(String),
    /// The case has a level the model was not fitted with.
    #[error("the model was fitted without {column} = {value:?}; it knows {known}")]
    UnknownLevel {
        /// The column.
        column: String,
        /// The case's value.
        value: String,
        /// The levels the model knows.
        known: String,
    },
}

/// One term's part in the advice, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdviceContribution {
    /// The term (a column, or `a:b` for an interaction).
    pub term: String,
    /// Its contribution to the logit, relative to the reference situation.
    pub logit: f64,
    /// The same in words.
    pub words: String,
}

/// Something the candidate can still change, with the probability with and without it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lever {
    /// `same_contact`, `transparent`, `open_to_reinterview`, `contact_now` or
    /// `check_position_status`.
    pub lever: String,
    /// The probability when the candidate pulls the lever.
    pub p_with: f64,
    /// The probability when they do not.
    pub p_without: f64,
    /// The same in words.
    pub words: String,
}

/// The probability if the candidate waits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Wait {
    /// Days from now.
    pub days_from_now: u32,
    /// The probability then.
    pub p: f64,
}

/// Advice for one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The probability that re-contacting succeeds.
    pub p_success: f64,
    /// Its 95% interval (delta method on the logit scale).
    pub ci: [f64; 2],
    /// The logit.
    pub logit: f64,
    /// What the contributions are measured against, in words.
    pub reference: String,
    /// Each term's contribution, largest first.
    pub contributions: Vec<AdviceContribution>,
    /// What the candidate can still change, largest gain first.
    pub levers: Vec<Lever>,
    /// The probability now and if the candidate waits 3, 7 or 30 more days.
    pub timeline: Vec<Wait>,
    /// The article's cautions that apply.
    pub cautions: Vec<String>,
}

/// The model's inputs for a case: one per main term, in the model's order.
pub fn model_inputs(case: &Case, model: &Model) -> Result<Vec<TermInput>, AdviceError> {
    let flag = |b: bool| f64::from(u8::from(b));
    model
        .encoding
        .main_terms()
        .map(|term| {
            let (name, levels) = match term {
                EncodedTerm::Categorical { column, levels, .. } => (column, Some(levels)),
                EncodedTerm::Numeric { column, .. }
                | EncodedTerm::Spline { column, .. }
                | EncodedTerm::Rcs { column, .. }
                | EncodedTerm::Boolean { column } => (column, None),
                EncodedTerm::Interaction { between } => (&between[0], None),
            };
            let column =
                Column::from_name(name).ok_or_else(|| AdviceError::UnknownColumn(name.clone()))?;
            let (text, number) = match column {
                Column::ContactType => (case.contact_type.as_str().to_string(), None),
                Column::StageReached => (case.stage_reached.as_str().to_string(), None),
                Column::DeclineReason => (case.decline_reason.as_str().to_string(), None),
                Column::PositionStatus => (case.position_status.as_str().to_string(), None),
                Column::DaysSinceDecline => (
                    case.days_since_decline.to_string(),
                    Some(f64::from(case.days_since_decline)),
                ),
                Column::YearsExperience => (
                    case.years_experience.to_string(),
                    Some(case.years_experience),
                ),
                Column::SameContact => {
                    (case.same_contact.to_string(), Some(flag(case.same_contact)))
                }
                Column::Misrepresentation => (
                    case.misrepresentation.to_string(),
                    Some(flag(case.misrepresentation)),
                ),
                Column::Transparent => (case.transparent.to_string(), Some(flag(case.transparent))),
                Column::OpenToReinterview => (
                    case.open_to_reinterview.to_string(),
                    Some(flag(case.open_to_reinterview)),
                ),
                Column::CaseId | Column::Success => {
                    return Err(AdviceError::UnknownColumn(name.clone()))
                }
            };
            match (levels, number) {
                (Some(levels), _) => levels
                    .iter()
                    .position(|l| *l == text)
                    .map(TermInput::Level)
                    .ok_or_else(|| AdviceError::UnknownLevel {
                        column: name.clone(),
                        value: text.clone(),
                        known: levels.join(", "),
                    }),
                (None, Some(number)) => Ok(TermInput::Number(number)),
                (None, None) => Err(AdviceError::UnknownColumn(name.clone())),
            }
        })
        .collect()
}

fn contact_words(contact: ContactType) -> &'static str {
    match contact {
        ContactType::AgencyRecruiter => "an agency recruiter",
        ContactType::CorporateRecruiter => "a corporate recruiter",
        ContactType::HiringManager => "the hiring manager",
    }
}

fn stage_words(stage: StageReached) -> &'static str {
    match stage {
        StageReached::AvailabilityCheck => "only checked your availability",
        StageReached::ScreeningCall => "had a screening call with you",
        StageReached::PresentedToManager => "had presented you to a manager",
        StageReached::Interviewed => "had interviewed you",
    }
}

fn reason_words(reason: DeclineReason) -> &'static str {
    match reason {
        DeclineReason::AcceptedOtherOffer => "you had accepted another job",
        DeclineReason::OtherCommitments => "of other commitments",
        DeclineReason::NotInterested => "you were not interested",
        DeclineReason::Other => "of another reason",
    }
}

fn status_words(status: PositionStatus) -> &'static str {
    match status {
        PositionStatus::Open => "the position is still open",
        PositionStatus::Filled => "the position has been filled",
        PositionStatus::Unknown => "you do not know whether the position is still open",
    }
}

/// The situation a term describes, in words.
fn term_words(term: &str, case: &Case) -> String {
    let yes_no = |b: bool, yes: &str, no: &str| if b { yes.to_string() } else { no.to_string() };
    match term {
        "contact_type" => format!("you would contact {}", contact_words(case.contact_type)),
        "stage_reached" => format!("they {}", stage_words(case.stage_reached)),
        "contact_type:stage_reached" | "stage_reached:contact_type" => format!(
            "{} who {}",
            contact_words(case.contact_type),
            stage_words(case.stage_reached)
        ),
        "decline_reason" => format!("you declined because {}", reason_words(case.decline_reason)),
        "days_since_decline" => format!(
            "{} days have passed since you declined",
            case.days_since_decline
        ),
        "position_status" => status_words(case.position_status).to_string(),
        "same_contact" => yes_no(
            case.same_contact,
            "you use the same contact as during the process",
            "you would use a different contact than during the process",
        ),
        "misrepresentation" => yes_no(
            case.misrepresentation,
            "they may believe you misrepresented your availability or skills",
            "they have no reason to doubt what you said about your availability or skills",
        ),
        "transparent" => yes_no(
            case.transparent,
            "your message is honest and open about what happened",
            "your message does not explain openly what happened",
        ),
        "open_to_reinterview" => yes_no(
            case.open_to_reinterview,
            "you are ready to go through interviews again",
            "you are not ready to go through interviews again",
        ),
        "years_experience" => format!("you have {} years of experience", case.years_experience),
        other => other.to_string(),
    }
}

fn effect_words(logit: f64) -> &'static str {
    match logit {
        l if l >= 1.0 => "raises your chance a lot",
        l if l >= 0.4 => "raises your chance",
        l if l >= 0.1 => "raises your chance slightly",
        l if l > -0.1 => "hardly changes your chance",
        l if l > -0.4 => "lowers your chance slightly",
        l if l > -1.0 => "lowers your chance",
        _ => "lowers your chance a lot",
    }
}

fn percent(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
}

/// The reference situation as a case: the model's reference inputs mapped back onto the
/// contract's columns (`None` if the model reads a column the contract does not have).
fn reference_case(model: &Model) -> Option<Case> {
    let mut case = Case {
        case_id: None,
        contact_type: ContactType::ALL[0],
        stage_reached: StageReached::ALL[0],
        decline_reason: DeclineReason::ALL[0],
        days_since_decline: 0,
        position_status: PositionStatus::ALL[0],
        same_contact: false,
        misrepresentation: false,
        transparent: false,
        open_to_reinterview: false,
        years_experience: 0.0,
    };
    let inputs = reference_inputs(&model.encoding);
    for (term, input) in model.encoding.main_terms().zip(inputs) {
        let (column, text) = match (term, input) {
            (EncodedTerm::Categorical { column, levels, .. }, TermInput::Level(i)) => {
                (column, levels.get(i).cloned())
            }
            (
                EncodedTerm::Numeric { column, .. }
                | EncodedTerm::Spline { column, .. }
                | EncodedTerm::Rcs { column, .. }
                | EncodedTerm::Boolean { column },
                TermInput::Number(v),
            ) => (column, Some(v.to_string())),
            _ => return None,
        };
        let text = text?;
        match Column::from_name(column)? {
            Column::ContactType => case.contact_type = ContactType::parse(&text)?,
            Column::StageReached => case.stage_reached = StageReached::parse(&text)?,
            Column::DeclineReason => case.decline_reason = DeclineReason::parse(&text)?,
            Column::PositionStatus => case.position_status = PositionStatus::parse(&text)?,
            Column::DaysSinceDecline => {
                case.days_since_decline = text.parse::<f64>().ok()?.round() as u32
            }
            Column::YearsExperience => case.years_experience = text.parse().ok()?,
            Column::SameContact => case.same_contact = text != "0",
            Column::Misrepresentation => case.misrepresentation = text != "0",
            Column::Transparent => case.transparent = text != "0",
            Column::OpenToReinterview => case.open_to_reinterview = text != "0",
            Column::CaseId | Column::Success => return None,
        }
    }
    Some(case)
}

/// The reference situation, in words.
fn reference_words(model: &Model) -> String {
    let Some(case) = reference_case(model) else {
        return "the model's reference levels and median values".to_string();
    };
    let parts: Vec<String> = model
        .encoding
        .input_columns()
        .into_iter()
        .map(|column| term_words(column, &case))
        .collect();
    parts.join("; ")
}

/// A yes/no lever: its name, how to set it, its current value, what it asks in words.
type Toggle = (&'static str, fn(&mut Case, bool), bool, &'static str);

/// Advice for `case` from `model`.
///
/// ```
/// use recontact_domain::{advise, default_model, Case, ContactType, DeclineReason, PositionStatus, StageReached};
///
/// let model = default_model()?;
/// let case = Case {
///     case_id: None,
///     contact_type: ContactType::CorporateRecruiter,
///     stage_reached: StageReached::PresentedToManager,
///     decline_reason: DeclineReason::AcceptedOtherOffer,
///     days_since_decline: 20,
///     position_status: PositionStatus::Unknown,
///     same_contact: false,
///     misrepresentation: false,
///     transparent: true,
///     open_to_reinterview: true,
///     years_experience: 8.0,
/// };
/// let advice = advise(&case, &model)?;
/// assert!(advice.ci[0] < advice.p_success && advice.p_success < advice.ci[1]);
/// // Using the same contact is a lever this candidate has not pulled yet.
/// let lever = advice.levers.iter().find(|l| l.lever == "same_contact").unwrap();
/// assert!(lever.p_with > lever.p_without);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn advise(case: &Case, model: &Model) -> Result<Advice, AdviceError> {
    let inputs = model_inputs(case, model)?;
    let prediction = predict(model, &inputs, 0.95);
    let p = |case: &Case| -> Result<f64, AdviceError> {
        Ok(predict(model, &model_inputs(case, model)?, 0.95).probability)
    };

    let explanation = explain(model, &inputs);
    let mut contributions: Vec<AdviceContribution> = explanation
        .contributions
        .iter()
        .map(|c| AdviceContribution {
            term: c.term.clone(),
            logit: c.logit + 0.0,
            words: format!(
                "{}: {}",
                capitalise(&term_words(&c.term, case)),
                effect_words(c.logit)
            ),
        })
        .collect();
    contributions.sort_by(|a, b| b.logit.abs().total_cmp(&a.logit.abs()));

    let mut levers = Vec::new();
    let toggles: [Toggle; 3] = [
        (
            "same_contact",
            |c, v| c.same_contact = v,
            case.same_contact,
            "use the same contact details as during the process",
        ),
        (
            "transparent",
            |c, v| c.transparent = v,
            case.transparent,
            "write an honest, transparent message about what happened",
        ),
        (
            "open_to_reinterview",
            |c, v| c.open_to_reinterview = v,
            case.open_to_reinterview,
            "say you are ready to go through interviews again",
        ),
    ];
    for (lever, set, current, what) in toggles {
        let (mut with, mut without) = (case.clone(), case.clone());
        set(&mut with, true);
        set(&mut without, false);
        let (p_with, p_without) = (p(&with)?, p(&without)?);
        let status = if current {
            "you already do"
        } else {
            "you do not yet"
        };
        levers.push(Lever {
            lever: lever.to_string(),
            p_with,
            p_without,
            words: format!(
                "{}: {} instead of {} ({status})",
                capitalise(what),
                percent(p_with),
                percent(p_without)
            ),
        });
    }
    let later = |extra: u32| {
        let mut waited = case.clone();
        waited.days_since_decline = (case.days_since_decline + extra).min(MAX_DAYS_SINCE_DECLINE);
        p(&waited)
    };
    let timeline = [0, 3, 7, 30]
        .into_iter()
        .map(|days| {
            Ok(Wait {
                days_from_now: days,
                p: later(days)?,
            })
        })
        .collect::<Result<Vec<_>, AdviceError>>()?;
    let in_a_week = later(7)?;
    levers.push(Lever {
        lever: "contact_now".to_string(),
        p_with: prediction.probability,
        p_without: in_a_week,
        words: format!(
            "Contact them now rather than later: {} now, {} in 3 days, {} in a week, {} in a month",
            percent(timeline[0].p),
            percent(timeline[1].p),
            percent(timeline[2].p),
            percent(timeline[3].p)
        ),
    });
    if case.position_status == PositionStatus::Unknown {
        let (mut open, mut filled) = (case.clone(), case.clone());
        open.position_status = PositionStatus::Open;
        filled.position_status = PositionStatus::Filled;
        let (p_open, p_filled) = (p(&open)?, p(&filled)?);
        levers.push(Lever {
            lever: "check_position_status".to_string(),
            p_with: p_open,
            p_without: p_filled,
            words: format!(
                "Check first whether the position is still open: {} if it is, {} if it has been filled",
                percent(p_open),
                percent(p_filled)
            ),
        });
    }
    levers.sort_by(|a, b| (b.p_with - b.p_without).total_cmp(&(a.p_with - a.p_without)));

    let mut cautions = Vec::new();
    if case.decline_reason == DeclineReason::OtherCommitments {
        cautions.push(
            "You declined because of other commitments: the article advises against reaching out in that case. \
             If those commitments are over, say so plainly."
                .to_string(),
        );
    }
    if case.misrepresentation {
        cautions.push(
            "If they may believe you misrepresented your availability or skills, they may be less willing to work \
             with you: address it honestly before anything else."
                .to_string(),
        );
    }
    if case.days_since_decline > 14 {
        cautions.push(format!(
            "It has been {} days since you declined: positions are rarely held for long, so the opening may be gone. \
             If you reach out, do it now.",
            case.days_since_decline
        ));
    }
    if case.position_status == PositionStatus::Filled {
        cautions.push(
            "The position has been filled: ask about other openings rather than that one."
                .to_string(),
        );
    }
    if case.contact_type == ContactType::CorporateRecruiter
        && matches!(
            case.stage_reached,
            StageReached::PresentedToManager | StageReached::Interviewed
        )
    {
        cautions.push(
            "A corporate recruiter who already presented you to a manager and invested time may be less willing \
             to reconsider."
                .to_string(),
        );
    }

    Ok(Advice {
        p_success: prediction.probability,
        ci: [prediction.ci_low, prediction.ci_high],
        logit: prediction.logit,
        reference: reference_words(model),
        contributions,
        levers,
        timeline,
        cautions,
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
