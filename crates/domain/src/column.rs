//! The columns of the re-contact CSV contract.

use crate::case::{MAX_DAYS_SINCE_DECLINE, MAX_YEARS_EXPERIENCE};
use crate::levels::{ContactType, DeclineReason, Level, PositionStatus, StageReached};

/// A column of the re-contact CSV contract (see `DOMAIN.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// `case_id`: optional identifier, passed through.
    CaseId,
    /// `contact_type`: category.
    ContactType,
    /// `stage_reached`: category.
    StageReached,
    /// `decline_reason`: category.
    DeclineReason,
    /// `days_since_decline`: integer `0..=3650`.
    DaysSinceDecline,
    /// `position_status`: category.
    PositionStatus,
    /// `same_contact`: boolean.
    SameContact,
    /// `misrepresentation`: boolean.
    Misrepresentation,
    /// `transparent`: boolean.
    Transparent,
    /// `open_to_reinterview`: boolean.
    OpenToReinterview,
    /// `years_experience`: number `0..=60`.
    YearsExperience,
    /// `success`: the outcome, 0/1.
    Success,
}

impl Column {
    /// Every column in the order files written by this crate use.
    pub const ALL: [Column; 12] = [
        Column::CaseId,
        Column::ContactType,
        Column::StageReached,
        Column::DeclineReason,
        Column::DaysSinceDecline,
        Column::PositionStatus,
        Column::SameContact,
        Column::Misrepresentation,
        Column::Transparent,
        Column::OpenToReinterview,
        Column::YearsExperience,
        Column::Success,
    ];

    /// The factor columns a case cannot do without.
    pub const FACTORS: [Column; 10] = [
        Column::ContactType,
        Column::StageReached,
        Column::DeclineReason,
        Column::DaysSinceDecline,
        Column::PositionStatus,
        Column::SameContact,
        Column::Misrepresentation,
        Column::Transparent,
        Column::OpenToReinterview,
        Column::YearsExperience,
    ];

    /// The header name.
    pub fn name(self) -> &'static str {
        match self {
            Column::CaseId => "case_id",
            Column::ContactType => "contact_type",
            Column::StageReached => "stage_reached",
            Column::DeclineReason => "decline_reason",
            Column::DaysSinceDecline => "days_since_decline",
            Column::PositionStatus => "position_status",
            Column::SameContact => "same_contact",
            Column::Misrepresentation => "misrepresentation",
            Column::Transparent => "transparent",
            Column::OpenToReinterview => "open_to_reinterview",
            Column::YearsExperience => "years_experience",
            Column::Success => "success",
        }
    }

    /// Finds a column by its exact header name.
    ///
    /// ```rust
    /// use recontact_domain::Column;
    /// assert_eq!(Column::from_name("days_since_decline"), Some(Column::DaysSinceDecline));
    /// assert_eq!(Column::from_name("Days_Since_Decline"), None); // exact names only
    /// assert!(Column::ALL.iter().all(|c| Column::from_name(c.name()) == Some(*c)));
    /// ```
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// What values the column allows, in words for error messages.
    pub fn allowed(self) -> String {
        fn levels<L: Level>() -> String {
            format!("one of {}", L::allowed().join(", "))
        }
        match self {
            Column::CaseId => "any text".to_string(),
            Column::ContactType => levels::<ContactType>(),
            Column::StageReached => levels::<StageReached>(),
            Column::DeclineReason => levels::<DeclineReason>(),
            Column::PositionStatus => levels::<PositionStatus>(),
            Column::DaysSinceDecline => {
                format!("a whole number of days from 0 to {MAX_DAYS_SINCE_DECLINE}")
            }
            Column::YearsExperience => {
                format!("a number of years from 0 to {MAX_YEARS_EXPERIENCE}")
            }
            Column::SameContact
            | Column::Misrepresentation
            | Column::Transparent
            | Column::OpenToReinterview => "true/false, 1/0 or yes/no".to_string(),
            Column::Success => "1/0, true/false or yes/no".to_string(),
        }
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
