//! `recontact summary`: odds ratios of the coefficients and the factors' effects.
//!
//! Reference values come from `python tests/models/reference.py` (numpy 2, scipy,
//! statsmodels 0.15), which rebuilds the design of `tests/models/interactions.json`
//! with its own code, including Harrell's spline basis in truncated-power form.

mod common;

use common::{recontact, root, text};

const MODEL: &str = "tests/models/interactions.json";

fn summary_json(model: &str) -> serde_json::Value {
    let output = recontact(&["summary", "--model", model, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn every_coefficient_has_its_odds_ratio_and_exponentiated_bounds() {
    let json = summary_json(MODEL);
    let terms = json["terms"].as_array().expect("terms");
    assert_eq!(terms.len(), 15);
    for term in terms {
        let f = |key: &str| term[key].as_f64().expect(key);
        let name = term["term"].as_str().unwrap();
        close(f("odds_ratio"), f("estimate").exp(), 1e-12, name);
        close(f("odds_ratio_ci_low"), f("ci_low").exp(), 1e-12, name);
        close(f("odds_ratio_ci_high"), f("ci_high").exp(), 1e-12, name);
    }
    // Statistics stay beside the terms, as before.
    assert!(json["log_likelihood"].is_f64());
}

/// `reference.py`: numpy contrast of the design at the upper and lower setting, the
/// other factors at their median / reference / false, se = sqrt(cᵀVc).
#[test]
fn effects_match_an_independent_contrast() {
    let json = summary_json(MODEL);
    let effects = json["effects"].as_array().expect("effects");
    let find = |factor: &str, high: &str| {
        effects
            .iter()
            .find(|e| e["factor"] == factor && e["high"].to_string().trim_matches('"') == high)
            .unwrap_or_else(|| panic!("{factor} {high} in {effects:?}"))
    };
    // (factor, high, low, effect, se, or, or_low, or_high)
    let want = [
        (
            "years_experience",
            "9.3",
            "3.9",
            0.17970717560557567,
            0.06638012651057455,
            1.1968668399958255,
            1.0508554201557334,
            1.3631658601230816,
        ),
        (
            "days_since_decline",
            "44.0",
            "5.0",
            -1.4078074576671096,
            0.0839563813276332,
            0.24467916489406666,
            0.2075549943651097,
            0.2884435227221963,
        ),
        (
            "same_contact",
            "true",
            "false",
            0.5176178383829662,
            0.07760157966256878,
            1.678025556701701,
            1.4412654855935056,
            1.9536787615395748,
        ),
        (
            "contact_type",
            "hiring_manager",
            "agency_recruiter",
            -0.2793632044600058,
            0.14170540769739784,
            0.7562651744424053,
            0.5728675734062745,
            0.9983756117904531,
        ),
    ];
    for (factor, high, low, effect, se, or, or_low, or_high) in want {
        let row = find(factor, high);
        assert_eq!(row["low"].to_string().trim_matches('"'), low, "{factor}");
        let f = |key: &str| row[key].as_f64().expect(key);
        close(f("effect"), effect, 1e-9, factor);
        close(f("se"), se, 1e-9, factor);
        close(f("odds_ratio"), or, 1e-9, factor);
        close(f("odds_ratio_ci_low"), or_low, 1e-9, factor);
        close(f("odds_ratio_ci_high"), or_high, 1e-9, factor);
        close(
            f("ci_high") - f("ci_low"),
            2.0 * 1.959963984540054 * se,
            1e-9,
            factor,
        );
    }
    // One row per numeric or boolean factor, one per non-reference level.
    assert_eq!(effects.len(), 5);
    assert_eq!(json["effects_skipped"], serde_json::json!([]));
}

#[test]
fn the_table_shows_odds_ratios_and_effects() {
    let output = recontact(&["summary", "--model", MODEL]);
    assert_eq!(output.status.code(), Some(0));
    let table = text(&output.stdout);
    assert!(table.contains("odds_ratio"), "{table}");
    assert!(table.contains("Effects (low to high"), "{table}");
    assert!(
        table.contains("0.244679"),
        "days_since_decline's odds ratio: {table}"
    );
}

#[test]
fn a_model_without_summaries_says_why_it_has_no_effects() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(MODEL)).unwrap()).unwrap();
    model["encoding"]
        .as_object_mut()
        .unwrap()
        .remove("summaries");
    std::fs::write(&path, serde_json::to_string(&model).unwrap()).unwrap();
    let json = summary_json(path.to_str().unwrap());
    assert_eq!(json["effects"], serde_json::Value::Null);
    let why = json["effects_unavailable"].as_str().expect("a reason");
    assert!(why.contains("years_experience"), "{why}");
    let output = recontact(&["summary", "--model", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("Effects: not available"));
}
