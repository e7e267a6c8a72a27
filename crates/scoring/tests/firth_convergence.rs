//! Firth fits under separation stop at the root, not where the flat penalised likelihood
//! first makes the gradient small.
//!
//! Reference: an independent penalised Newton in numpy (float64): from β = 0, step
//! (X'WX)⁻¹ U* with U* = X'(y − p + h(½ − p)) and h the hat diagonal, halved while it
//! lowers ℓ(β) + ½ log|X'WX|, iterated until the step no longer shrinks (200 steps; at the
//! end max |U*| < 1e-13 and the step < 2e-13). logistf's own defaults (`xconv` = `gconv` =
//! 1e-5) would stop earlier. Before this rule the fit stopped at a gradient of 6e-7, 8e-6
//! and 1.6e-5 relative from these values.

use recontact_scoring::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};

/// Rows i = 0..40 with y = [i ≥ 20], x = i and z = (7i mod 11) − 5: x separates y
/// completely.
fn separated(columns: &[&str]) -> Vec<f64> {
    let mut spec = "outcome = \"y\"\n".to_string();
    for column in columns {
        spec.push_str(&format!(
            "[[term]]\nkind = \"numeric\"\ncolumn = \"{column}\"\n"
        ));
    }
    let spec = SpecConfig::from_toml("spec", &spec)
        .unwrap()
        .check()
        .unwrap();
    let mut csv = String::from("y,x,z\n");
    for i in 0..40 {
        csv.push_str(&format!("{},{i},{}\n", u8::from(i >= 20), (i * 7) % 11 - 5));
    }
    let data = read_dataset("separated.csv", csv.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let options = FitOptions {
        firth: true,
        ..FitOptions::default()
    };
    let model = fit(&spec, &data, options).unwrap();
    assert!(model.statistics.converged);
    let mut values = model.coefficients();
    values.push(model.statistics.penalized_log_likelihood.unwrap());
    values.push(model.statistics.log_likelihood);
    values
}

#[track_caller]
fn close(got: &[f64], want: &[f64]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tolerance = 1e-8 * w.abs().max(1.0);
        assert!((g - w).abs() <= tolerance, "[{i}]: got {g}, want {w}");
    }
}

#[test]
fn firth_under_complete_separation_reaches_the_root() {
    // numpy: coefficients (intercept, x), penalised ℓ + ½ log|X'WX|, ℓ.
    close(
        &separated(&["x"]),
        &[
            -16.323380760306826,
            0.8370964492465038,
            -0.9791174643978314,
            -1.9301680965979622,
        ],
    );
}

#[test]
fn firth_with_a_second_covariate_reaches_the_root() {
    close(
        &separated(&["x", "z"]),
        &[
            -15.294609088303854,
            0.7888374101502635,
            0.17247663094108603,
            0.4493317526367213,
            -1.944869350728661,
        ],
    );
}
