//! The overfitting-corrected calibration curve and the stability measures of `validate`
//! against an independent computation: `scripts/validation_reference.py` (numpy,
//! statsmodels 0.15 `Logit`, a numpy port of R's `clowess` and of rms 8.1-1's
//! `calibrate.default`/`predab.resample`) refits the same 20 resamples, whose rows it reads
//! from `cargo run -p recontact-scoring --example bootstrap_rows -- 189 3 20`.

use recontact_scoring::data::{read_dataset, InvalidRows};
use recontact_scoring::fit::FitOptions;
use recontact_scoring::spec::SpecConfig;
use recontact_scoring::validate::{validate, ValidationOptions};

fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} but the reference is {expected}"
    );
}

#[test]
fn calibration_curve_and_stability_match_the_numpy_port_of_rms() {
    let mut toml = String::from("outcome = \"low\"\n");
    for column in ["age", "lwt", "smoke", "ht", "ui"] {
        toml += &format!("[[term]]\nkind = \"numeric\"\ncolumn = \"{column}\"\n");
    }
    let spec = SpecConfig::from_toml("spec", &toml)
        .unwrap()
        .check()
        .unwrap();
    let csv = std::fs::read("tests/fixtures/birthwt.csv").unwrap();
    let data = read_dataset("birthwt.csv", &csv[..], &spec, InvalidRows::Fail).unwrap();
    let options = ValidationOptions {
        folds: 0,
        bootstrap: 20,
        seed: 3,
        stability_threshold: 0.3,
    };
    let result = validate(&spec, &data, FitOptions::default(), options).unwrap();
    assert_eq!(result.bootstrap_validation.unwrap().failed_resamples, 0);

    // Output of `python scripts/validation_reference.py rows.txt`.
    let curve = result.calibration_curve.expect("a calibration curve");
    assert_eq!(curve.grid.len(), 50);
    close(curve.grid[0], 0.07377608274740612, 1e-9, "grid[0]");
    close(curve.grid[49], 0.7167475475989724, 1e-9, "grid[49]");
    let reference = [
        (0, 0.026724245138036493, 0.04233593899942541, 16),
        (10, 0.19983278767886767, 0.22415197226141398, 20),
        (25, 0.4544029565656672, 0.432597455845234, 20),
        (49, 0.5905993198030061, 0.500718906996088, 18),
    ];
    for (k, apparent, corrected, used) in reference {
        close(curve.apparent[k], apparent, 1e-8, &format!("apparent[{k}]"));
        close(
            curve.bias_corrected[k],
            corrected,
            1e-8,
            &format!("corrected[{k}]"),
        );
        assert_eq!(curve.resamples_used[k], used, "resamples at grid point {k}");
    }
    close(curve.mean_absolute_error, 0.030851787998034695, 1e-8, "MAE");
    close(curve.mean_squared_error, 0.0025340512347494263, 1e-9, "MSE");
    close(
        curve.quantile_90_absolute_error,
        0.057057087646948404,
        1e-8,
        "Q90",
    );
    assert_eq!(curve.observations, 182);

    let stability = result.stability.expect("stability measures");
    assert_eq!(stability.resamples_used, 20);
    assert_eq!(stability.individuals, 189);
    assert!(!stability.subsampled);
    close(stability.mape, 0.06289392599294938, 1e-8, "MAPE");
    close(
        stability.max_individual_ape,
        0.18285038250475058,
        1e-8,
        "max MAPE",
    );
    // 20 models × 189 individuals: a proportion of whole counts, equal to the last bit.
    close(
        stability.classification_instability,
        0.13068783068783071,
        1e-12,
        "CII",
    );
    let first = stability
        .prediction_bounds()
        .into_iter()
        .find(|b| (b.original - 0.236067629033106).abs() < 1e-9)
        .expect("row 0 among the bounds");
    close(first.lower, 0.09644102456609785, 1e-8, "2.5% of row 0");
    close(first.upper, 0.456029592215187, 1e-8, "97.5% of row 0");
    assert_eq!(stability.calibration_curves.len(), 20);
}
