//! The committed synthetic data set is what the documented command generates.

use std::path::PathBuf;

use recontact_domain::{CaseReader, CaseWriter, OutcomeColumn, Simulator};

fn committed() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/recontact_outcomes.csv");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `data/README.md` documents this command and these figures.
const ROWS: u64 = 5000;
const SEED: u64 = 20261125;
const SUCCESSES: u64 = 2138;

#[test]
fn committed_data_parses_with_the_documented_size_and_success_rate() {
    let bytes = committed();
    let observations: Vec<_> = CaseReader::new("data", bytes.as_slice(), OutcomeColumn::Required)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(observations.len() as u64, ROWS);
    let successes = observations
        .iter()
        .filter(|o| o.success == Some(true))
        .count() as u64;
    assert_eq!(successes, SUCCESSES);
    assert!(observations.iter().all(|o| o.case.case_id.is_some()));
}

#[test]
fn committed_data_is_exactly_what_the_simulator_writes() {
    let mut writer = CaseWriter::new(Vec::new(), true).unwrap();
    for (case, success) in Simulator::new(ROWS, SEED) {
        writer.write(&case, Some(success)).unwrap();
    }
    let generated = writer.into_inner().unwrap();
    assert!(
        generated == committed(),
        "regenerate with the command in data/README.md"
    );
}

#[test]
fn the_default_spec_is_valid_and_names_only_contract_columns() {
    let spec = recontact_domain::default_spec().unwrap().check().unwrap();
    for column in spec.columns() {
        assert!(
            recontact_domain::Column::from_name(column).is_some(),
            "{column}"
        );
    }
}

/// The default spec carries the CSV contract: each categorical pins exactly the
/// contract's levels, and each number the contract's range, so every command that reads
/// data through it refuses what `check` refuses.
#[test]
fn the_default_spec_pins_the_contract_levels_and_ranges() {
    use recontact_domain::{ContactType, DeclineReason, Level, PositionStatus, StageReached};
    let spec = recontact_domain::default_spec().unwrap().check().unwrap();
    let expected: [(&str, Vec<&str>); 4] = [
        ("contact_type", ContactType::allowed()),
        ("stage_reached", StageReached::allowed()),
        ("decline_reason", DeclineReason::allowed()),
        ("position_status", PositionStatus::allowed()),
    ];
    for (column, levels) in expected {
        let pinned = spec.pinned_levels(column).expect(column);
        assert_eq!(pinned, levels.as_slice(), "{column}");
    }
    let days = spec.bounds("days_since_decline").unwrap();
    assert_eq!(
        (days.min, days.max, days.integer),
        (Some(0.0), Some(3650.0), true)
    );
    let years = spec.bounds("years_experience").unwrap();
    assert_eq!((years.min, years.max), (Some(0.0), Some(60.0)));
}

/// `data/README.md` documents the command that regenerates the default model.
#[test]
fn the_committed_default_model_is_a_fresh_fit_of_the_committed_data() {
    use recontact_scoring::{fit, read_dataset, FitOptions, InvalidRows, Model};
    let config = recontact_domain::default_spec().unwrap();
    let spec = config.clone().check().unwrap();
    let bytes = committed();
    // The name the documented command gives the data, from the workspace root.
    let data = read_dataset(
        "data/recontact_outcomes.csv",
        bytes.as_slice(),
        &spec,
        InvalidRows::Fail,
    )
    .unwrap();
    let fresh = Model::new(
        fit(&spec, &data, FitOptions::default()).unwrap(),
        config,
        &data,
    );
    assert!(
        fresh.to_json() == recontact_domain::DEFAULT_MODEL_JSON,
        "data/default_model.json is stale: regenerate it with the command in data/README.md"
    );
    assert_eq!(recontact_domain::default_model().unwrap(), fresh);
}
