//! The evaluation inside an engine against `recontact evaluate`'s in memory, on SQLite
//! linked into the test: the default model on the committed data, a weighted model with
//! an offset, a sample smaller than the rows, and rows with problems.

mod engines;

use engines::{assert_numbers_agree, embedded_database, evaluate_in_memory, Embedded};
use recontact_engine::evaluate::{evaluate_in_engine, EvaluateError, EvaluateOptions};
use recontact_evaluation::decision_curve::default_thresholds;
use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, SpecConfig};

fn default_model() -> Model {
    Model::from_json("m.json", include_str!("../../../data/default_model.json")).unwrap()
}

const OUTCOMES: &str = include_str!("../../../data/recontact_outcomes.csv");

fn connection(csv: &str) -> Embedded {
    let db = embedded_database();
    engines::load_text_table(&db, "rows", csv);
    Embedded(db)
}

#[test]
fn the_default_model_on_the_committed_data_evaluates_as_in_memory() {
    let model = default_model();
    let result = evaluate_in_engine(
        &mut connection(OUTCOMES),
        "rows",
        &model,
        &EvaluateOptions::default(),
    )
    .unwrap();
    let (memory, curve) = evaluate_in_memory(&model, OUTCOMES, &default_thresholds());
    assert_eq!(
        (result.evaluation.n, result.evaluation.events),
        (memory.n, memory.events)
    );
    // The sample is every row: the sampled measures are the in-memory ones too.
    assert!(result.sample.is_all());
    assert_numbers_agree(
        &serde_json::to_value(&result.evaluation).unwrap(),
        &serde_json::to_value(&memory).unwrap(),
        1e-9,
    );
    assert_numbers_agree(
        &serde_json::to_value(&result.decision_curve).unwrap(),
        &serde_json::to_value(&curve).unwrap(),
        1e-9,
    );
    assert_eq!(result.rows_read, 5000);
    assert_eq!(result.dropped.rows, 0);
}

/// The committed numeric file with each weight doubled (whole numbers), and a model
/// fitted on it: weights, an offset, splines, a category with a comma in a level.
fn weighted() -> (String, Model) {
    let csv = include_str!("../../../tests/data/weighted_offset.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let mut fields: Vec<String> = record.iter().map(String::from).collect();
        let w: f64 = fields[4].parse().unwrap();
        fields[4] = format!("{}", 2.0 * w);
        writer.write_record(&fields).unwrap();
    }
    let csv = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let config = SpecConfig::from_toml(
        "s.toml",
        include_str!("../../../tests/data/weighted_offset.toml"),
    )
    .unwrap();
    let spec = config.clone().check().unwrap();
    let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let fitted = fit(&spec, &data, FitOptions::default()).unwrap();
    (csv, Model::new(fitted, config, &data))
}

#[test]
fn frequency_weights_and_an_offset_evaluate_as_the_expanded_rows() {
    let (csv, model) = weighted();
    let thresholds = [0.1, 0.25, 0.5];
    let options = EvaluateOptions {
        thresholds: thresholds.to_vec(),
        bins: 7,
        ..EvaluateOptions::default()
    };
    let result = evaluate_in_engine(&mut connection(&csv), "rows", &model, &options).unwrap();
    let (memory, curve) = evaluate_in_memory(&model, &csv, &thresholds);
    // Bins of 7, not the in-memory reference's 10: compare those tables apart.
    let mut engine = serde_json::to_value(&result.evaluation).unwrap();
    let mut reference = serde_json::to_value(&memory).unwrap();
    engine["ece"] = serde_json::Value::Null;
    reference["ece"] = serde_json::Value::Null;
    assert_numbers_agree(&engine, &reference, 1e-9);
    assert_numbers_agree(
        &serde_json::to_value(&result.decision_curve).unwrap(),
        &serde_json::to_value(&curve).unwrap(),
        1e-9,
    );
    assert!(result.sample.is_all());
    assert_eq!(result.evaluation.n, memory.n);
    assert!(result.evaluation.n > 3000);
}

#[test]
fn equal_mass_and_equal_width_bins_of_any_number_agree() {
    let model = default_model();
    let (memory, _) = evaluate_in_memory(&model, OUTCOMES, &[0.5]);
    let mut connection = connection(OUTCOMES);
    for bins in [1, 3, 10, 997] {
        let options = EvaluateOptions {
            bins,
            thresholds: vec![0.5],
            ..EvaluateOptions::default()
        };
        let result = evaluate_in_engine(&mut connection, "rows", &model, &options).unwrap();
        let spec = model.spec.clone().check().unwrap();
        let rows = recontact_model::predict::predict_source(
            &model,
            &spec,
            "rows.csv",
            OUTCOMES.as_bytes(),
        )
        .unwrap();
        let p: Vec<f64> = rows
            .linear_predictor
            .iter()
            .map(|&l| recontact_stats::distributions::logistic(l))
            .collect();
        for (binning, table) in [
            (
                recontact_evaluation::metrics::Binning::EqualMass,
                &result.evaluation.ece.equal_mass,
            ),
            (
                recontact_evaluation::metrics::Binning::EqualWidth,
                &result.evaluation.ece.equal_width,
            ),
        ] {
            let reference =
                recontact_evaluation::metrics::bins(&rows.outcome, &p, bins, binning).unwrap();
            assert_numbers_agree(
                &serde_json::to_value(&table.bins).unwrap(),
                &serde_json::to_value(&reference).unwrap(),
                1e-9,
            );
        }
    }
    let _ = memory;
}

#[test]
fn a_smaller_sample_is_said_and_deterministic() {
    let model = default_model();
    let options = EvaluateOptions {
        sample_rows: 1000,
        ..EvaluateOptions::default()
    };
    let mut connection = connection(OUTCOMES);
    let first = evaluate_in_engine(&mut connection, "rows", &model, &options).unwrap();
    let second = evaluate_in_engine(&mut connection, "rows", &model, &options).unwrap();
    assert_eq!((first.sample.rows, first.sample.of), (1000, 5000));
    assert!(!first.sample.is_all());
    assert_eq!(first.evaluation, second.evaluation);
    // The sums and ranks do not depend on the sample.
    let all =
        evaluate_in_engine(&mut connection, "rows", &model, &EvaluateOptions::default()).unwrap();
    assert_eq!(first.evaluation.auc, all.evaluation.auc);
    assert_eq!(first.evaluation.auc_ci, all.evaluation.auc_ci);
    // A systematic sample along the predictions: the loess summaries stay close.
    assert!((first.evaluation.ici - all.evaluation.ici).abs() < 0.02);
}

/// The committed data with rows that break the contract.
fn with_bad_rows() -> String {
    let mut csv = OUTCOMES.to_string();
    for bad in [
        // An unknown level, a day count that is not whole, one out of range, no outcome.
        "rc-900001,temp_agency,screening_call,accepted_other_offer,3,open,true,false,true,true,4,1",
        "rc-900002,agency_recruiter,screening_call,accepted_other_offer,3.5,open,true,false,true,true,4,1",
        "rc-900003,agency_recruiter,screening_call,accepted_other_offer,3,open,true,false,true,true,61,0",
        "rc-900004,agency_recruiter,screening_call,accepted_other_offer,3,open,true,false,true,true,4,",
    ] {
        csv.push_str(bad);
        csv.push('\n');
    }
    csv
}

#[test]
fn rows_with_problems_are_refused_with_their_reasons_or_dropped() {
    let model = default_model();
    let csv = with_bad_rows();
    let mut connection = connection(&csv);
    let error = evaluate_in_engine(&mut connection, "rows", &model, &EvaluateOptions::default())
        .unwrap_err();
    assert!(matches!(error, EvaluateError::Pushdown(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("4 of 5004 rows have invalid values"),
        "{message}"
    );
    for reason in [
        "contact_type: unknown level: 1",
        "days_since_decline: not a whole number: 1",
        "years_experience: out of range: 1",
        "success: value is empty: 1",
    ] {
        assert!(message.contains(reason), "{reason} in {message}");
    }
    let options = EvaluateOptions {
        invalid: InvalidRows::Drop,
        ..EvaluateOptions::default()
    };
    let dropped = evaluate_in_engine(&mut connection, "rows", &model, &options).unwrap();
    assert_eq!((dropped.rows_read, dropped.dropped.rows), (5004, 4));
    let (memory, _) = evaluate_in_memory(&model, OUTCOMES, &default_thresholds());
    assert_numbers_agree(
        &serde_json::to_value(&dropped.evaluation).unwrap(),
        &serde_json::to_value(&memory).unwrap(),
        1e-9,
    );
}

#[test]
fn fractional_weights_and_one_class_are_refused() {
    let (_, model) = weighted();
    let csv = include_str!("../../../tests/data/weighted_offset.csv");
    let error = evaluate_in_engine(
        &mut connection(csv),
        "rows",
        &model,
        &EvaluateOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(error, EvaluateError::FractionalWeights { rows } if rows > 0),
        "{error}"
    );
    let model = default_model();
    let error = evaluate_in_engine(
        &mut connection(OUTCOMES),
        "SELECT * FROM rows WHERE success = '1'",
        &model,
        &EvaluateOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("every outcome is 1"), "{error}");
}
