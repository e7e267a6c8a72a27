//! The calibration an update reports uses the new data's frequency weights, as every fit
//! of the update does.
//!
//! Reference: statsmodels 0.15.0 on the Spector & Mazzeo data (`fixtures/spector.csv`)
//! with frequency weights w = 1 + (row index mod 3):
//! - old model: `Logit(grade, [1, gpa, tuce, psi]).fit(method="newton", tol=1e-14)`,
//!   lp_old = X @ params;
//! - updated (re-estimated) model: `GLM(grade, X, Binomial(), freq_weights=w)`, lp_new;
//! - calibration intercept: `GLM(grade, ones, Binomial(), offset=lp, freq_weights=w)`;
//! - calibration slope: `GLM(grade, [1, lp], Binomial(), freq_weights=w)`.
//!
//! Without the weights the updated model's calibration intercept would be 0.0227 (SE
//! 0.4842, the unweighted GLM) instead of 0 (SE 0.3523).

use recontact_scoring::metrics::{weighted_calibration_slope, WaldEstimate};
use recontact_scoring::update::{update, Method, UpdateOptions};
use recontact_scoring::{fit, read_dataset, Dataset, FitOptions, InvalidRows, Model, SpecConfig};

const SPEC: &str = "outcome = \"grade\"\nweights = \"w\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"tuce\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"psi\"\n";

/// The Spector data with a weight column from `weight(row index)`.
fn spector_weighted(weight: impl Fn(usize) -> u32) -> Dataset {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spector.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut csv = String::new();
    for (i, line) in text.lines().enumerate() {
        let extra = if i == 0 {
            "w".to_string()
        } else {
            weight(i - 1).to_string()
        };
        csv.push_str(&format!("{line},{extra}\n"));
    }
    let spec = SpecConfig::from_toml("spec", SPEC)
        .unwrap()
        .check()
        .unwrap();
    read_dataset("spector.csv", csv.as_bytes(), &spec, InvalidRows::Fail).unwrap()
}

#[track_caller]
fn close(label: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{label}: got {got}, want {want} (tolerance {tolerance:e})"
    );
}

#[track_caller]
fn matches(label: &str, got: &WaldEstimate, (estimate, std_error): (f64, f64)) {
    close(&format!("{label} estimate"), got.estimate, estimate, 1e-7);
    close(&format!("{label} SE"), got.std_error, std_error, 1e-7);
}

#[test]
fn update_reports_the_weighted_calibration() {
    let config = SpecConfig::from_toml("spec", SPEC).unwrap();
    let spec = config.clone().check().unwrap();
    let unweighted = spector_weighted(|_| 1);
    let old = Model::new(
        fit(&spec, &unweighted, FitOptions::default()).unwrap(),
        config,
        &unweighted,
    );
    let weighted = spector_weighted(|i| 1 + (i % 3) as u32);
    let options = UpdateOptions {
        method: Method::Refit,
        ..UpdateOptions::default()
    };
    let report = update(&old, "parent", &weighted, None, options)
        .unwrap()
        .report;
    let original = report.calibration_original;
    matches(
        "original intercept",
        &original.intercept,
        (-0.015518066888080023, 0.35571544902105967),
    );
    matches(
        "original slope",
        &original.slope,
        (0.9364549877417735, 0.2310171309722341),
    );
    let updated = report.calibration_updated;
    matches(
        "updated intercept",
        &updated.intercept,
        (1.482147737874584e-14, 0.35234643527981985),
    );
    matches(
        "updated slope",
        &updated.slope,
        (1.0000000000000009, 0.240327411283808),
    );
}

#[test]
fn weights_count_like_repeated_rows() {
    // A weight of 2 is the row twice; a weight of 0 takes no part.
    let y = [0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
    let lp = [-1.0, 0.5, 0.2, 1.5, 0.1, -0.3];
    let w = [2.0, 1.0, 0.0, 3.0, 1.0, 1.0];
    let mut expanded = (Vec::new(), Vec::new());
    for i in 0..y.len() {
        for _ in 0..w[i] as usize {
            expanded.0.push(y[i]);
            expanded.1.push(lp[i]);
        }
    }
    let weighted = weighted_calibration_slope(&y, &lp, Some(&w)).unwrap();
    let repeated = weighted_calibration_slope(&expanded.0, &expanded.1, None).unwrap();
    close("slope", weighted.estimate, repeated.estimate, 1e-10);
    close("SE", weighted.std_error, repeated.std_error, 1e-10);
    let negative = [1.0, -1.0, 1.0, 1.0, 1.0, 1.0];
    let error = weighted_calibration_slope(&y, &lp, Some(&negative)).unwrap_err();
    assert!(error.to_string().contains("negative"), "{error}");
}
