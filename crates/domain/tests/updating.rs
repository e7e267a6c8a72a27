//! Model updating against a known truth: the simulator with changed effects.

use std::sync::LazyLock;

use recontact_domain::{default_spec, CaseWriter, Simulator, TrueEffects, TRUE_EFFECTS};
use recontact_scoring::update::{update, Chosen, Method, PriorStrength, UpdateOptions};
use recontact_scoring::{fit, read_dataset, Dataset, FitOptions, InvalidRows, Model};

fn csv(n: u64, seed: u64, effects: TrueEffects) -> Vec<u8> {
    let mut writer = CaseWriter::new(Vec::new(), true).unwrap();
    for (case, success) in Simulator::with_effects(n, seed, effects) {
        writer.write(&case, Some(success)).unwrap();
    }
    writer.into_inner().unwrap()
}

fn data(n: u64, seed: u64, effects: TrueEffects) -> Dataset {
    let spec = default_spec().unwrap().check().unwrap();
    read_dataset(
        "new.csv",
        csv(n, seed, effects).as_slice(),
        &spec,
        InvalidRows::Fail,
    )
    .unwrap()
}

/// The old model: the default spec fitted on 50,000 rows of the documented process.
///
/// The closed tests treat the old weights as known; their own sampling error makes the
/// later tests reject a little more often than alpha when the new data set is large
/// compared with the old one, so the old model here is fitted on much more data.
static OLD: LazyLock<Model> = LazyLock::new(|| {
    let config = default_spec().unwrap();
    let spec = config.clone().check().unwrap();
    let old = data(50_000, 1_000, TRUE_EFFECTS);
    Model::new(
        fit(&spec, &old, FitOptions::default()).unwrap(),
        config,
        &old,
    )
});

fn chosen(new: &Dataset) -> Chosen {
    update(&OLD, "parent", new, None, UpdateOptions::default())
        .unwrap()
        .report
        .chosen
}

const REPLICATES: u64 = 50;

#[test]
fn an_intercept_shift_is_recalibrated_in_the_large() {
    let shifted = TrueEffects {
        intercept: TRUE_EFFECTS.intercept - 0.8,
        ..TRUE_EFFECTS
    };
    let picks: Vec<Chosen> = (0..REPLICATES)
        .map(|r| chosen(&data(800, 2_000 + r, shifted)))
        .collect();
    let intercept = picks.iter().filter(|c| **c == Chosen::Intercept).count();
    eprintln!("intercept shift: intercept chosen in {intercept} of {REPLICATES}: {picks:?}");
    assert!(
        intercept * 10 >= REPLICATES as usize * 9,
        "intercept chosen {intercept} of {REPLICATES}: {picks:?}"
    );
}

#[test]
fn the_same_process_keeps_the_original_model() {
    let picks: Vec<Chosen> = (0..REPLICATES)
        .map(|r| chosen(&data(800, 3_000 + r, TRUE_EFFECTS)))
        .collect();
    let original = picks.iter().filter(|c| **c == Chosen::Original).count();
    eprintln!("same process: original chosen in {original} of {REPLICATES}: {picks:?}");
    // The type I error of the first test is alpha = 0.05: about 2.5 of 50 replicates.
    assert!(
        original * 10 >= REPLICATES as usize * 8,
        "original chosen {original} of {REPLICATES}: {picks:?}"
    );
}

#[test]
fn changed_weights_with_much_data_are_refitted() {
    let changed = TrueEffects {
        corporate_recruiter: 0.3,
        status_unknown: -0.1,
        same_contact: 1.2,
        transparent: 0.0,
        days_log: -0.3,
        other_commitments: -2.0,
        ..TRUE_EFFECTS
    };
    for r in 0..5 {
        assert_eq!(chosen(&data(8_000, 4_000 + r, changed)), Chosen::Refit);
    }
}

#[test]
fn every_method_writes_a_consistent_model() {
    let new = data(1_500, 5_000, TRUE_EFFECTS);
    for method in [
        Method::Intercept,
        Method::Slope,
        Method::Refit,
        Method::Prior,
    ] {
        let updated = update(
            &OLD,
            "abc",
            &new,
            None,
            UpdateOptions {
                method,
                ..UpdateOptions::default()
            },
        )
        .unwrap();
        let model = &updated.model;
        let text = model.to_json();
        let back = Model::from_json("updated.json", &text).unwrap();
        assert_eq!(&back, model);
        let parent = model.provenance.parent.as_ref().unwrap();
        assert_eq!(parent.model_sha256, "abc");
        assert_eq!(model.terms.len(), OLD.terms.len());
        // The updated model is calibrated in the large on the data it was updated on.
        if matches!(method, Method::Intercept | Method::Slope | Method::Refit) {
            assert!(
                updated.report.calibration_updated.intercept.estimate.abs() < 1e-6,
                "{method:?}"
            );
        }
        if matches!(method, Method::Slope | Method::Refit) {
            assert!(
                (updated.report.calibration_updated.slope.estimate - 1.0).abs() < 1e-6,
                "{method:?}"
            );
        }
    }
}

#[test]
fn the_prior_moves_the_weights_only_as_far_as_the_evidence_supports() {
    let changed = TrueEffects {
        same_contact: 1.5,
        ..TRUE_EFFECTS
    };
    let small = data(300, 6_000, changed);
    let coefficient = |model: &Model| {
        model
            .terms
            .iter()
            .find(|t| t.term == "same_contact")
            .unwrap()
            .estimate
    };
    let old = coefficient(&OLD);
    let with = |prior| {
        let options = UpdateOptions {
            method: Method::Prior,
            prior,
            ..UpdateOptions::default()
        };
        coefficient(&update(&OLD, "p", &small, None, options).unwrap().model)
    };
    let strong = with(PriorStrength::CovarianceFactor(10.0));
    let medium = with(PriorStrength::CovarianceFactor(1.0));
    let weak = with(PriorStrength::CovarianceFactor(0.05));
    // 300 rows move the weight toward the new truth (1.5), the more the weaker the prior.
    assert!(
        old < strong && strong < medium && medium < weak,
        "old {old}, strong {strong}, medium {medium}, weak {weak}"
    );
    // A plain refit of so few rows has separated cells; the prior still gives finite weights.
    let by_sd = with(PriorStrength::StandardDeviation(0.5));
    assert!(by_sd.is_finite());
}

#[test]
fn the_report_lists_the_closed_tests_in_order() {
    let new = data(1_500, 7_000, TRUE_EFFECTS);
    let report = update(&OLD, "p", &new, None, UpdateOptions::default())
        .unwrap()
        .report;
    let comparisons: Vec<&str> = report.tests.iter().map(|t| t.comparison.as_str()).collect();
    assert_eq!(
        comparisons,
        ["refit vs original", "refit vs intercept", "refit vs slope"]
    );
    let k = OLD.terms.len();
    assert_eq!(
        report.tests.iter().map(|t| t.df).collect::<Vec<_>>(),
        [k, k - 1, k - 2]
    );
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["chosen"].is_string());
    for key in ["comparison", "lr", "df", "p_value"] {
        assert!(json["tests"][0].get(key).is_some(), "{key}");
    }
}
