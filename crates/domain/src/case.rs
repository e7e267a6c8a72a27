//! One re-contact attempt, as a typed value.

use serde::{Deserialize, Serialize};

use crate::levels::{ContactType, DeclineReason, PositionStatus, StageReached};

/// The largest `days_since_decline` the CSV contract allows (ten years).
pub const MAX_DAYS_SINCE_DECLINE: u32 = 3650;

/// The largest `years_experience` the CSV contract allows.
pub const MAX_YEARS_EXPERIENCE: f64 = 60.0;

/// The situation of one candidate who declined and now considers re-contacting.
///
/// Every field is valid by construction when it comes from [`crate::CaseReader`]:
/// levels are known, `days_since_decline` is within `0..=3650` and
/// `years_experience` is finite and within `0..=60`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// An identifier passed through untouched; `None` when the column is absent or empty.
    #[serde(default)]
    pub case_id: Option<String>,
    /// Who the candidate would contact.
    pub contact_type: ContactType,
    /// How far the process had gone when the candidate declined.
    pub stage_reached: StageReached,
    /// Why the candidate declined.
    pub decline_reason: DeclineReason,
    /// Days between the decline and the re-contact.
    pub days_since_decline: u32,
    /// What the candidate knows about the position.
    pub position_status: PositionStatus,
    /// The candidate uses the same contact details as during the process.
    pub same_contact: bool,
    /// The contact had reason to believe the candidate misrepresented availability or skills.
    pub misrepresentation: bool,
    /// The message is honest and transparent about what happened.
    pub transparent: bool,
    /// The candidate is prepared to go through the interview process again.
    pub open_to_reinterview: bool,
    /// Years of professional experience.
    pub years_experience: f64,
}

/// A case read from a CSV row, with where it came from and its outcome if recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The line of the CSV source on which the row starts (the header is line 1).
    pub line: u64,
    /// The candidate's situation.
    pub case: Case,
    /// `Some(true)` when the employer or recruiter re-opened the candidacy,
    /// `None` when the source has no `success` column (cases to score).
    pub success: Option<bool>,
}
