//! Any valid case written as CSV reads back equal.

use proptest::prelude::*;
use recontact_domain::{
    Case, CaseReader, CaseWriter, ContactType, DeclineReason, Level, OutcomeColumn, PositionStatus,
    StageReached, MAX_DAYS_SINCE_DECLINE, MAX_YEARS_EXPERIENCE,
};

fn level<L: Level + std::fmt::Debug>() -> impl Strategy<Value = L> {
    proptest::sample::select(L::ALL)
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::option::of("[^\u{0}]{1,12}"),
        level::<ContactType>(),
        level::<StageReached>(),
        level::<DeclineReason>(),
        0..=MAX_DAYS_SINCE_DECLINE,
        level::<PositionStatus>(),
        any::<[bool; 4]>(),
        0.0..=MAX_YEARS_EXPERIENCE,
    )
        .prop_map(
            |(case_id, contact_type, stage_reached, decline_reason, days, status, flags, years)| {
                Case {
                    case_id,
                    contact_type,
                    stage_reached,
                    decline_reason,
                    days_since_decline: days,
                    position_status: status,
                    same_contact: flags[0],
                    misrepresentation: flags[1],
                    transparent: flags[2],
                    open_to_reinterview: flags[3],
                    years_experience: years,
                }
            },
        )
}

proptest! {
    #[test]
    fn written_cases_read_back_equal(
        rows in proptest::collection::vec((case(), proptest::option::of(any::<bool>())), 0..20),
        with_outcome in any::<bool>(),
    ) {
        // A row without an outcome cannot be written into a file with an outcome column.
        let rows: Vec<_> = rows
            .into_iter()
            .map(|(case, success)| (case, if with_outcome { Some(success.unwrap_or(true)) } else { None }))
            .collect();
        let mut writer = CaseWriter::new(Vec::new(), with_outcome).unwrap();
        for (case, success) in &rows {
            writer.write(case, *success).unwrap();
        }
        let bytes = writer.into_inner().unwrap();
        let mode = if with_outcome { OutcomeColumn::Required } else { OutcomeColumn::Optional };
        let read: Vec<_> = CaseReader::new("prop", bytes.as_slice(), mode)
            .unwrap()
            .map(|r| r.map(|o| (o.case, o.success)))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(read, rows);
    }
}
