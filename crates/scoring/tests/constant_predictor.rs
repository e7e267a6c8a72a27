//! A calibration slope on a numerically constant linear predictor is refused, and a
//! bootstrap resample whose refit gives one is a counted failure, not an optimism of 1e14.

use recontact_scoring::metrics::{calibration_slope, MetricsError, CONSTANT_LP_TOLERANCE};
use recontact_scoring::validate::{bootstrap_rows, validate, ValidationOptions};
use recontact_scoring::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};

/// n = 30, one 0/1 predictor: y = 1 in 5 of the 15 rows with x = 0 and in 10 of the 15
/// with x = 1 (odds ratio 4).
fn table_data() -> (recontact_scoring::Spec, recontact_scoring::Dataset, Vec<u8>) {
    let spec = SpecConfig::from_toml(
        "spec",
        "outcome = \"y\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"x\"\n",
    )
    .unwrap()
    .check()
    .unwrap();
    let y: Vec<u8> = (0..30)
        .map(|i| u8::from(if i < 15 { i % 3 == 0 } else { i % 3 != 0 }))
        .collect();
    let mut csv = String::from("y,x\n");
    for (i, y) in y.iter().enumerate() {
        csv.push_str(&format!("{y},{}\n", u8::from(i >= 15)));
    }
    let data = read_dataset("table.csv", csv.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    (spec, data, y)
}

#[test]
fn a_resample_with_equal_odds_is_a_counted_failure() {
    let (spec, data, y) = table_data();
    // Resample 113 of seed 2 (index 112 from 0) has the 2×2 table (x, y) = (0,0): 12,
    // (0,1): 8, (1,0): 6, (1,1): 4, so equal odds: its maximum-likelihood slope is 0
    // (statsmodels `Logit` gives exactly 0), and the refit's is 0 up to rounding.
    let rows = bootstrap_rows(30, 2, 112);
    let mut table = [0; 4];
    for &r in &rows {
        table[2 * usize::from(r >= 15) + usize::from(y[r])] += 1;
    }
    assert_eq!(table, [12, 8, 6, 4]);
    let resample = recontact_scoring::validate::subset(&data, &rows).unwrap();
    let refit = fit(&spec, &resample, FitOptions::default()).unwrap();
    assert!(
        refit.coefficients()[1].abs() < 1e-12,
        "{:?}",
        refit.coefficients()
    );

    let options = ValidationOptions {
        folds: 0,
        bootstrap: 200,
        seed: 2,
        ..ValidationOptions::default()
    };
    let result = validate(&spec, &data, FitOptions::default(), options).unwrap();
    let bootstrap = result.bootstrap_validation.unwrap();
    let failure = bootstrap
        .failures
        .iter()
        .find(|f| f.index == 113)
        .unwrap_or_else(|| panic!("resample 113 not failed: {bootstrap:?}"));
    assert!(
        failure.reason.contains("numerically constant"),
        "{}",
        failure.reason
    );
    assert_eq!(bootstrap.failed_resamples, bootstrap.failures.len());
    assert_eq!(
        bootstrap.evaluated_resamples + bootstrap.failed_resamples,
        200
    );
    let slope = bootstrap.calibration_slope;
    assert!(
        slope.optimism.is_finite() && slope.optimism.abs() < 1.0,
        "{slope:?}"
    );
    assert!(slope.corrected > 0.0 && slope.corrected < 2.0, "{slope:?}");
}

#[test]
fn the_constant_rule_is_relative_to_the_magnitude_with_a_floor_of_one() {
    let y = [0.0, 1.0, 0.0, 1.0];
    let constant = |lp: &[f64]| {
        matches!(
            calibration_slope(&y, lp),
            Err(MetricsError::Degenerate(message)) if message.contains("numerically constant")
        )
    };
    // Two rounding steps apart at magnitude 0.4: constant.
    let c = -0.4054651081081646_f64;
    assert!(constant(&[c, c, c + 1.1e-16, c + 1.1e-16]));
    // Spread 1e-11 below magnitude 1: under the floor, constant.
    assert!(constant(&[0.0, 1e-11, 0.0, 1e-11]));
    // At magnitude 1e6 the limit is 1e-4.
    assert!(constant(&[1e6, 1e6 + 3e-5, 1e6 - 3e-5, 1e6]));
    assert!(!constant(&[1e6, 1e6 + 3e-4, 1e6 - 3e-4, 1e6]));
    // A spread well above the limit is a predictor.
    let spread = 1e3 * CONSTANT_LP_TOLERANCE;
    assert!(!constant(&[0.0, spread, spread, 0.0]));
}
