//! The categorical factors of a re-contact attempt and their exact CSV levels.

use serde::{Deserialize, Serialize};

/// A closed set of category levels written in CSV as exact lower-case strings.
pub trait Level: Copy + Sized + 'static {
    /// Every level, in the order the CSV contract lists them.
    const ALL: &'static [Self];

    /// The CSV spelling of this level.
    fn as_str(self) -> &'static str;

    /// Parses the exact CSV spelling; anything else (other case, spaces) is `None`.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|level| level.as_str() == text)
    }

    /// The allowed spellings, for error messages.
    fn allowed() -> Vec<&'static str> {
        Self::ALL.iter().map(|level| level.as_str()).collect()
    }
}

macro_rules! level_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl Level for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

level_enum! {
    /// Who the candidate dealt with and would contact again.
    ContactType {
        /// A recruiter at an agency that works for many clients.
        AgencyRecruiter => "agency_recruiter",
        /// A recruiter employed by the hiring company.
        CorporateRecruiter => "corporate_recruiter",
        /// The hiring manager directly.
        HiringManager => "hiring_manager",
    }
}

level_enum! {
    /// How far the hiring process had gone when the candidate declined.
    StageReached {
        /// The contact only checked the candidate's availability.
        AvailabilityCheck => "availability_check",
        /// A screening call took place.
        ScreeningCall => "screening_call",
        /// The recruiter had presented the candidate to a manager.
        PresentedToManager => "presented_to_manager",
        /// The candidate had been interviewed.
        Interviewed => "interviewed",
    }
}

level_enum! {
    /// Why the candidate declined.
    DeclineReason {
        /// The candidate had accepted another job: the case the article calls acceptable.
        AcceptedOtherOffer => "accepted_other_offer",
        /// Other commitments: the article advises against reaching out.
        OtherCommitments => "other_commitments",
        /// The candidate said they were not interested.
        NotInterested => "not_interested",
        /// Any other reason.
        Other => "other",
    }
}

level_enum! {
    /// What the candidate knows about the position now.
    PositionStatus {
        /// Still open.
        Open => "open",
        /// Filled by someone else.
        Filled => "filled",
        /// Not known.
        Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_parses_back_to_itself() {
        fn round_trip<L: Level + PartialEq + std::fmt::Debug>() {
            for &level in L::ALL {
                assert_eq!(L::parse(level.as_str()), Some(level));
            }
        }
        round_trip::<ContactType>();
        round_trip::<StageReached>();
        round_trip::<DeclineReason>();
        round_trip::<PositionStatus>();
    }

    #[test]
    fn parsing_is_exact() {
        assert_eq!(ContactType::parse("Agency_Recruiter"), None);
        assert_eq!(ContactType::parse(" agency_recruiter"), None);
        assert_eq!(PositionStatus::parse(""), None);
    }
}
