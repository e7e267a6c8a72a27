//! `recontact compare`: AIC/BIC, the nested likelihood-ratio test and DeLong's paired test.
//!
//! Reference values come from `python tests/models/reference.py`: log-likelihoods of the
//! model files' coefficients on a design rebuilt in numpy (equal to statsmodels 0.15
//! `Logit(...).fit(tol=1e-12).llf`, `.aic`, `.bic`), the LR χ² of the two statsmodels
//! fits, and DeLong's paired test from the pairwise kernel ψ (DeLong, DeLong &
//! Clarke-Pearson 1988) in O(m·n), with `np.cov` and L = (1, −1) as pROC's
//! `delong.paired.calculations`.

mod common;

use common::{recontact, root, text};

const SMALL: &str = "tests/models/main_effects.json";
const LARGE: &str = "tests/models/interactions.json";
const DATA: &str = "data/recontact_outcomes.csv";

fn close(got: &serde_json::Value, want: f64, tolerance: f64, what: &str) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    assert!(
        (got - want).abs() <= tolerance * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

/// `got` within `tolerance` of `want`, relative to `want` however small it is.
fn relative(got: &serde_json::Value, want: f64, tolerance: f64, what: &str) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    assert!(
        (got - want).abs() <= tolerance * want.abs(),
        "{what}: {got} vs {want}"
    );
}

fn compare(args: &[&str]) -> serde_json::Value {
    let output = recontact(args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn nested_models_fitted_on_the_data_get_every_test() {
    let json = compare(&[
        "compare", "--model", SMALL, "--model", LARGE, "--data", DATA, "--format", "json",
    ]);
    assert_eq!(json["n"], 5000);
    close(
        &json["a"]["log_likelihood"],
        -2871.8563337091955,
        1e-10,
        "ll A",
    );
    close(&json["a"]["aic"], 5759.712667418391, 1e-10, "aic A");
    close(&json["a"]["bic"], 5811.850212949721, 1e-10, "bic A");
    assert_eq!(json["a"]["coefficients"], 8);
    close(
        &json["b"]["log_likelihood"],
        -2869.7297954463784,
        1e-10,
        "ll B",
    );
    close(&json["b"]["aic"], 5769.459590892757, 1e-10, "aic B");
    close(&json["b"]["bic"], 5867.217488764, 1e-10, "bic B");
    let lr = &json["lr_test"];
    assert_eq!(lr["smaller"], "A");
    assert_eq!(lr["df"], 7);
    close(&lr["chi2"], 4.2530765256351515, 1e-6, "LR chi2");
    close(&lr["p_value"], 0.750210100019879, 1e-6, "LR p");
    assert_eq!(json["lr_test_unavailable"], serde_json::Value::Null);
    let d = &json["delong"];
    relative(&d["auc_a"], 0.7587536991604451, 1e-8, "auc A");
    relative(&d["auc_b"], 0.7586961730072908, 1e-8, "auc B");
    relative(&d["difference"], 5.75261531543525e-05, 1e-8, "difference");
    relative(&d["se"], 0.00031416388941238435, 1e-8, "se");
    relative(&d["z"], 0.18310873748714424, 1e-8, "z");
    relative(&d["p_value"], 0.8547127001612379, 1e-8, "p");
    close(&json["a"]["auc"], 0.7587536991604451, 1e-8, "auc in a");
}

#[test]
fn the_order_of_the_models_only_swaps_the_roles() {
    let json = compare(&[
        "compare", "--model", LARGE, "--model", SMALL, "--data", DATA, "--format", "json",
    ]);
    assert_eq!(json["lr_test"]["smaller"], "B");
    close(
        &json["delong"]["difference"],
        -5.75261531543525e-05,
        1e-8,
        "difference",
    );
}

#[test]
fn other_data_give_no_likelihood_ratio_test_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("head.csv");
    let all = std::fs::read_to_string(root().join(DATA)).unwrap();
    let head: String = all.lines().take(2001).map(|l| format!("{l}\n")).collect();
    std::fs::write(&data, head).unwrap();
    let json = compare(&[
        "compare",
        "--model",
        SMALL,
        "--model",
        LARGE,
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(json["n"], 2000);
    assert_eq!(json["lr_test"], serde_json::Value::Null);
    let why = json["lr_test_unavailable"].as_str().unwrap();
    assert!(why.contains("fitted on other data"), "{why}");
    let output = recontact(&[
        "compare",
        "--model",
        SMALL,
        "--model",
        LARGE,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(
        text(&output.stdout).contains("No likelihood-ratio test: model A was fitted on other data")
    );
}

#[test]
fn compare_takes_exactly_two_models_and_data_with_the_outcome() {
    let output = recontact(&["compare", "--model", SMALL, "--data", DATA]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("exactly two models"),
        "{}",
        text(&output.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("no_outcome.csv");
    std::fs::write(
        &data,
        "contact_type,days_since_decline,years_experience,same_contact\n",
    )
    .unwrap();
    let output = recontact(&[
        "compare",
        "--model",
        SMALL,
        "--model",
        LARGE,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("success"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn models_neither_nested_in_the_other_give_no_likelihood_ratio_test() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for (out, flag, column) in [
        (&a, "--boolean", "same_contact"),
        (&b, "--categorical", "contact_type"),
    ] {
        let output = recontact(&[
            "fit",
            "--data",
            DATA,
            "--outcome",
            "success",
            "--numeric",
            "years_experience",
            flag,
            column,
            "-q",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let json = compare(&[
        "compare",
        "--model",
        a.to_str().unwrap(),
        "--model",
        b.to_str().unwrap(),
        "--data",
        DATA,
        "--format",
        "json",
    ]);
    assert_eq!(json["lr_test"], serde_json::Value::Null);
    let why = json["lr_test_unavailable"].as_str().unwrap();
    assert!(
        why.contains("neither model is nested") && why.contains("same_contact"),
        "{why}"
    );
    // The AUC test and the criteria do not need nesting.
    assert!(json["delong"]["p_value"]
        .as_f64()
        .is_some_and(|p| (0.0..=1.0).contains(&p)));
}
