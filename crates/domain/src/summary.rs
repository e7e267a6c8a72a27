//! The descriptive summary `recontact check` prints for a valid file.

use std::collections::BTreeMap;

use crate::case::Observation;
use crate::column::Column;
use crate::levels::{ContactType, DeclineReason, Level, PositionStatus, StageReached};

/// Minimum, median and maximum of a numeric column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Smallest value.
    pub min: f64,
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    /// Largest value.
    pub max: f64,
}

/// Counts and spreads accumulated over valid observations.
///
/// Holds one number per row for each numeric column (the medians need them), so its
/// memory grows with the file: 12 bytes per row.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    rows: u64,
    with_outcome: u64,
    successes: u64,
    levels: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    booleans: BTreeMap<&'static str, u64>,
    days: Vec<u32>,
    years: Vec<f64>,
}

impl Summary {
    /// An empty summary.
    ///
    /// ```rust
    /// use recontact_domain::{CaseReader, OutcomeColumn, Summary};
    /// let csv = include_str!("../../../data/recontact_outcomes.csv");
    /// let mut summary = Summary::new();
    /// for observation in CaseReader::new("outcomes.csv", csv.as_bytes(), OutcomeColumn::Required)? {
    ///     summary.add(&observation?);
    /// }
    /// assert_eq!(summary.rows(), 5000);
    /// // The success count is the number of lines ending in `,1`.
    /// let successes = csv.lines().filter(|l| l.ends_with(",1")).count() as u64;
    /// assert_eq!(summary.successes(), Some((successes, successes as f64 / 5000.0)));
    /// assert_eq!(Summary::new().successes(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Self {
        let mut summary = Summary::default();
        fn zero<L: Level>(summary: &mut Summary, column: Column) {
            let counts = summary.levels.entry(column.name()).or_default();
            for level in L::ALL {
                counts.insert(level.as_str(), 0);
            }
        }
        zero::<ContactType>(&mut summary, Column::ContactType);
        zero::<StageReached>(&mut summary, Column::StageReached);
        zero::<DeclineReason>(&mut summary, Column::DeclineReason);
        zero::<PositionStatus>(&mut summary, Column::PositionStatus);
        for column in [
            Column::SameContact,
            Column::Misrepresentation,
            Column::Transparent,
            Column::OpenToReinterview,
        ] {
            summary.booleans.insert(column.name(), 0);
        }
        summary
    }

    /// Adds one observation.
    pub fn add(&mut self, observation: &Observation) {
        let case = &observation.case;
        self.rows += 1;
        if let Some(success) = observation.success {
            self.with_outcome += 1;
            self.successes += u64::from(success);
        }
        let mut count = |column: Column, level: &'static str| {
            if let Some(n) = self
                .levels
                .get_mut(column.name())
                .and_then(|m| m.get_mut(level))
            {
                *n += 1;
            }
        };
        count(Column::ContactType, case.contact_type.as_str());
        count(Column::StageReached, case.stage_reached.as_str());
        count(Column::DeclineReason, case.decline_reason.as_str());
        count(Column::PositionStatus, case.position_status.as_str());
        for (column, value) in [
            (Column::SameContact, case.same_contact),
            (Column::Misrepresentation, case.misrepresentation),
            (Column::Transparent, case.transparent),
            (Column::OpenToReinterview, case.open_to_reinterview),
        ] {
            if let Some(n) = self.booleans.get_mut(column.name()) {
                *n += u64::from(value);
            }
        }
        self.days.push(case.days_since_decline);
        self.years.push(case.years_experience);
    }

    /// Number of observations added.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Successes and the success rate, when the observations carry outcomes.
    pub fn successes(&self) -> Option<(u64, f64)> {
        (self.with_outcome > 0).then(|| {
            (
                self.successes,
                self.successes as f64 / self.with_outcome as f64,
            )
        })
    }

    /// Counts per level for each category column, levels in contract order.
    pub fn level_counts(&self) -> Vec<(&'static str, Vec<(&'static str, u64)>)> {
        fn ordered<L: Level>(
            summary: &Summary,
            column: Column,
        ) -> (&'static str, Vec<(&'static str, u64)>) {
            let counts = summary.levels.get(column.name());
            let list = L::ALL
                .iter()
                .map(|l| {
                    let n = counts.and_then(|m| m.get(l.as_str())).copied().unwrap_or(0);
                    (l.as_str(), n)
                })
                .collect();
            (column.name(), list)
        }
        vec![
            ordered::<ContactType>(self, Column::ContactType),
            ordered::<StageReached>(self, Column::StageReached),
            ordered::<DeclineReason>(self, Column::DeclineReason),
            ordered::<PositionStatus>(self, Column::PositionStatus),
        ]
    }

    /// How many rows have each boolean column true.
    pub fn true_counts(&self) -> Vec<(&'static str, u64)> {
        [
            Column::SameContact,
            Column::Misrepresentation,
            Column::Transparent,
            Column::OpenToReinterview,
        ]
        .iter()
        .map(|c| (c.name(), self.booleans.get(c.name()).copied().unwrap_or(0)))
        .collect()
    }

    /// Min, median and max of `days_since_decline` and `years_experience`; `None` when empty.
    pub fn spreads(&self) -> Vec<(&'static str, Option<Spread>)> {
        let days: Vec<f64> = self.days.iter().map(|&d| f64::from(d)).collect();
        vec![
            (Column::DaysSinceDecline.name(), spread(days)),
            (Column::YearsExperience.name(), spread(self.years.clone())),
        ]
    }
}

fn spread(mut values: Vec<f64>) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some(Spread {
        min: values[0],
        median,
        max: values[n - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(spread(vec![3.0, 1.0, 2.0]).map(|s| s.median), Some(2.0));
        assert_eq!(
            spread(vec![4.0, 1.0, 2.0, 3.0]).map(|s| s.median),
            Some(2.5)
        );
        assert_eq!(spread(vec![]), None);
    }
}
