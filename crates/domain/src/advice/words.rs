//! The re-contact contract's columns in words, and probabilities as people read them.

use crate::levels::{ContactType, DeclineReason, Level, PositionStatus, StageReached};

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

/// A column of the contract with its value in words; `None` for any other column (or a
/// value the contract does not know).
fn contract_words(column: &str, value: &str) -> Option<String> {
    let flag = crate::parse_bool(value);
    let yes_no = |yes: &str, no: &str| flag.map(|b| if b { yes } else { no }.to_string());
    match column {
        "contact_type" => {
            ContactType::parse(value).map(|c| format!("you would contact {}", contact_words(c)))
        }
        "stage_reached" => StageReached::parse(value).map(|s| format!("they {}", stage_words(s))),
        "decline_reason" => {
            DeclineReason::parse(value).map(|r| format!("you declined because {}", reason_words(r)))
        }
        "days_since_decline" => Some(format!("{value} days have passed since you declined")),
        "position_status" => PositionStatus::parse(value).map(|s| status_words(s).to_string()),
        "same_contact" => yes_no(
            "you use the same contact as during the process",
            "you would use a different contact than during the process",
        ),
        "misrepresentation" => yes_no(
            "they may believe you misrepresented your availability or skills",
            "they have no reason to doubt what you said about your availability or skills",
        ),
        "transparent" => yes_no(
            "your message is honest and open about what happened",
            "your message does not explain openly what happened",
        ),
        "open_to_reinterview" => yes_no(
            "you are ready to go through interviews again",
            "you are not ready to go through interviews again",
        ),
        "years_experience" => Some(format!("you have {value} years of experience")),
        _ => None,
    }
}

/// A term (a column, or `a:b` for an interaction) with the case's values, in words:
/// the contract's own wording for its columns, `column = value` for any other.
pub(crate) fn term_words(term: &str, value_of: &dyn Fn(&str) -> String) -> String {
    let one = |column: &str| {
        let value = value_of(column);
        contract_words(column, &value).unwrap_or_else(|| format!("{column} = {value}"))
    };
    match term.split_once(':') {
        Some((a, b)) if [a, b].contains(&"contact_type") && [a, b].contains(&"stage_reached") => {
            match (
                ContactType::parse(&value_of("contact_type")),
                StageReached::parse(&value_of("stage_reached")),
            ) {
                (Some(c), Some(s)) => format!("{} who {}", contact_words(c), stage_words(s)),
                _ => format!("{} and {}", one(a), one(b)),
            }
        }
        Some((a, b)) => format!("{} and {}", one(a), one(b)),
        None => one(term),
    }
}

/// What a contribution to the logit does, in words.
pub(crate) fn effect_words(logit: f64) -> &'static str {
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

/// A probability as a percentage people can read: whole percents from 1% to 99%, two
/// significant digits nearer 0% or 100% (so a tiny chance that doubles shows it:
/// "0.14%" and "0.29%", never "0%"), and "<0.0001%" / ">99.9999%" at the extremes.
///
/// ```
/// use recontact_domain::percent;
/// assert_eq!(percent(0.4235), "42%");
/// assert_eq!(percent(0.001_44), "0.14%");
/// assert_eq!(percent(0.0029), "0.29%");
/// assert_eq!(percent(0.9986), "99.86%");
/// assert_eq!(percent(1e-9), "<0.0001%");
/// ```
pub fn percent(p: f64) -> String {
    if p.is_nan() {
        return "not a number".to_string();
    }
    let tail = p.min(1.0 - p);
    if tail < 0.01 {
        if tail < 1e-6 {
            return if p < 0.5 { "<0.0001%" } else { ">99.9999%" }.to_string();
        }
        // Two significant digits of the tail, in percent.
        let decimals = (1 - (100.0 * tail).log10().floor() as i32).max(1) as usize;
        return format!("{:.*}%", decimals, 100.0 * p);
    }
    format!("{:.0}%", 100.0 * p)
}

/// The first letter in upper case.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
