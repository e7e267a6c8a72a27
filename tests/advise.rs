//! End to end: `recontact advise` and `recontact scorecard`.

mod common;

use common::{recontact, root, text};

const CASE: [&str; 20] = [
    "--contact-type",
    "corporate_recruiter",
    "--stage-reached",
    "presented_to_manager",
    "--decline-reason",
    "other_commitments",
    "--days-since-decline",
    "20",
    "--position-status",
    "unknown",
    "--same-contact",
    "false",
    "--misrepresentation",
    "false",
    "--transparent",
    "true",
    "--open-to-reinterview",
    "yes",
    "--years-experience",
    "8",
];

#[test]
fn advice_in_words() {
    let mut args = vec!["advise"];
    args.extend(CASE);
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for needle in [
        "Chance that re-contacting succeeds:",
        "95% interval",
        "synthetic data",
        "What pushes it up or down",
        "What you can still change",
        "Check first whether the position is still open",
        "in a month",
        "Cautions",
        "other commitments",
    ] {
        assert!(stdout.contains(needle), "{needle} missing from\n{stdout}");
    }
    // -o writes the same advice to a file, nothing on standard output.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("advice.txt");
    let mut args = vec!["advise", "-q", "-o", out.to_str().unwrap()];
    args.extend(CASE);
    let written = recontact(&args);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    assert!(written.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout);
}

#[test]
fn advice_as_json_from_flags_a_csv_row_or_json() {
    let mut args = vec!["advise", "--format", "json"];
    args.extend(CASE);
    let from_flags: serde_json::Value = serde_json::from_slice(&recontact(&args).stdout).unwrap();
    for key in [
        "p_success",
        "ci",
        "logit",
        "contributions",
        "levers",
        "cautions",
    ] {
        assert!(from_flags.get(key).is_some(), "{key}");
    }

    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("case.json");
    std::fs::write(
        &json,
        r#"{"contact_type": "corporate_recruiter", "stage_reached": "presented_to_manager",
            "decline_reason": "other_commitments", "days_since_decline": 20, "position_status": "unknown",
            "same_contact": false, "misrepresentation": false, "transparent": true,
            "open_to_reinterview": true, "years_experience": 8.0}"#,
    )
    .unwrap();
    let from_json: serde_json::Value = serde_json::from_slice(
        &recontact(&[
            "advise",
            "--format",
            "json",
            "--json",
            json.to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(from_json["p_success"], from_flags["p_success"]);

    // Data row 7 of the committed data is line 8 of the file.
    let line = std::fs::read_to_string(root().join("data/recontact_outcomes.csv"))
        .unwrap()
        .lines()
        .nth(7)
        .unwrap()
        .to_string();
    let fields: Vec<&str> = line.split(',').collect();
    let output = recontact(&[
        "advise",
        "--format",
        "json",
        "data/recontact_outcomes.csv",
        "--row",
        "7",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let from_csv: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let scored = recontact(&["score", "data/recontact_outcomes.csv", "--quiet"]);
    let scored_line = text(&scored.stdout).lines().nth(7).unwrap().to_string();
    assert!(scored_line.starts_with(&fields.join(",")));
    let p: f64 = scored_line.rsplit(',').nth(1).unwrap().parse().unwrap();
    assert!(
        (from_csv["p_success"].as_f64().unwrap() - p).abs() < 1e-12,
        "advise and score agree"
    );
}

#[test]
fn bad_advice_input_is_refused() {
    let mut args = vec!["advise"];
    args.extend(CASE);
    let mut bad = args.clone();
    bad[2] = "agency_recuiter";
    let output = recontact(&bad);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("agency_recruiter, corporate_recruiter, hiring_manager"),
        "{}",
        text(&output.stderr)
    );
    let mut bad = args.clone();
    bad[8] = "5000";
    let output = recontact(&bad);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("days_since_decline")
            && text(&output.stderr).contains("from 0 to 3650"),
        "{}",
        text(&output.stderr)
    );
    let output = recontact(&["advise", "--set", "contact_type=hiring_manager"]);
    assert_eq!(output.status.code(), Some(2), "every column is required");
    assert!(
        text(&output.stderr).contains("needs column `stage_reached`"),
        "{}",
        text(&output.stderr)
    );
    let output = recontact(&["advise", "--set", "referal=true"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr)
            .contains("no column `referal`; its columns are contact_type, stage_reached"),
        "{}",
        text(&output.stderr)
    );
    let output = recontact(&[
        "advise",
        "--csv",
        "data/recontact_outcomes.csv",
        "--row",
        "9999",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("has no data row 9999"));
}

#[test]
fn the_scorecard_in_three_formats() {
    let table = recontact(&["scorecard"]);
    assert_eq!(table.status.code(), Some(0));
    let stdout = text(&table.stdout);
    assert!(stdout.contains("20 points double the odds"), "{stdout}");
    assert!(stdout.contains("position_status") && stdout.contains("total points  probability"));
    let csv = text(&recontact(&["scorecard", "--format", "csv", "--pdo", "40"]).stdout);
    assert!(csv.starts_with("term,value,points,points_rounded\nbase,,"));
    let json: serde_json::Value =
        serde_json::from_slice(&recontact(&["scorecard", "--format", "json"]).stdout).unwrap();
    assert!(json["rows"].as_array().unwrap().len() > 20);
    assert!(json["max_probability_error"].as_f64().unwrap() < 0.1);
    assert_eq!(
        recontact(&["scorecard", "--pdo", "-1"]).status.code(),
        Some(2)
    );
}

#[test]
fn help_lists_the_default_models_levels() {
    let help = text(&recontact(&["advise", "--help"]).stdout);
    for needle in [
        "contact_type: agency_recruiter, corporate_recruiter, hiring_manager",
        "position_status: filled, open, unknown",
        "days_since_decline: a whole number from 0 to 3650",
        "--set <COLUMN=VALUE>",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
}

/// A poor case: every factor against it. Its probability is far below 1%.
const POOR: [&str; 20] = [
    "--set",
    "contact_type=corporate_recruiter",
    "--set",
    "stage_reached=interviewed",
    "--set",
    "decline_reason=not_interested",
    "--set",
    "days_since_decline=3000",
    "--set",
    "position_status=filled",
    "--set",
    "same_contact=false",
    "--set",
    "misrepresentation=true",
    "--set",
    "transparent=false",
    "--set",
    "open_to_reinterview=false",
    "--set",
    "years_experience=0",
];

#[test]
fn tiny_probabilities_keep_their_digits() {
    let mut args = vec!["advise", "--format", "json"];
    args.extend(POOR);
    let json: serde_json::Value = serde_json::from_slice(&recontact(&args).stdout).unwrap();
    let p = json["p_success"].as_f64().unwrap();
    assert!(p < 0.001, "{p}");
    let mut args = vec!["advise"];
    args.extend(POOR);
    let stdout = text(&recontact(&args).stdout);
    let first = stdout.lines().next().unwrap();
    assert!(!first.contains(" 0% "), "{first}");
    assert!(!first.contains("0% to 0%"), "{first}");
    // The printed figure is p in percent to two significant digits.
    let digits = format!(
        "{:.*}%",
        (1 - (100.0 * p).log10().floor() as i32) as usize,
        100.0 * p
    );
    assert!(first.contains(&digits), "{digits} missing from {first}");
    let lever = stdout
        .lines()
        .find(|l| l.contains("Use the same contact"))
        .unwrap();
    assert!(!lever.contains("0% instead of 0%"), "{lever}");
}

#[test]
fn a_model_without_levers_still_gets_the_probability() {
    // A model file of an earlier version, with neither [[lever]] nor [[caution]] tables.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("plain.json");
    let mut value: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("data/default_model.json")).unwrap(),
    )
    .unwrap();
    let spec = value["spec"].as_object_mut().unwrap();
    spec.remove("lever");
    spec.remove("caution");
    std::fs::write(&model, serde_json::to_string(&value).unwrap()).unwrap();
    let mut args = vec![
        "advise",
        "--format",
        "json",
        "--model",
        model.to_str().unwrap(),
    ];
    args.extend(CASE);
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["p_success"].as_f64().unwrap() > 0.0);
    assert!(!json["contributions"].as_array().unwrap().is_empty());
    assert!(json["levers"].as_array().unwrap().is_empty());
    assert!(text(&output.stderr).contains("defines no levers"));
}

/// The issue's check: a model with a factor of its own (`referral`) and a lever for it
/// gives the same advice, referral lever included, through --set, a CSV row and --json.
#[test]
fn a_model_with_a_factor_of_its_own_gets_advice_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let simulated = path("simulated.csv");
    let output = recontact(&[
        "simulate", "--n", "3000", "--seed", "11", "--out", &simulated,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Add a `referral` column: every third row, deterministically.
    let original = std::fs::read_to_string(&simulated).unwrap();
    let mut lines = original.lines();
    let mut csv = format!("{},referral\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        csv += &format!("{line},{}\n", i % 3 == 0);
    }
    let data = path("with_referral.csv");
    std::fs::write(&data, &csv).unwrap();
    let spec = path("referral.toml");
    let default_spec = std::fs::read_to_string(root().join("data/default_spec.toml")).unwrap();
    std::fs::write(
        &spec,
        default_spec
            + "\n[[term]]\nkind = \"boolean\"\ncolumn = \"referral\"\n\n[[lever]]\ncolumn = \"referral\"\n\
               to = [{ value = \"true\", words = \"ask for a referral\" }]\n",
    )
    .unwrap();
    let model = path("referral.json");
    let output = recontact(&[
        "fit", "--data", &data, "--spec", &spec, "--out", &model, "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    // Data row 2 (line 3) as --set, as a CSV row and as a JSON object.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(2).unwrap().split(',').collect();
    assert_eq!(row.last(), Some(&"false"), "the row has no referral yet");
    let pairs: Vec<(&str, &str)> = header
        .iter()
        .zip(&row)
        .filter(|(c, _)| !["case_id", "success"].contains(c))
        .map(|(c, v)| (*c, *v))
        .collect();
    let sets: Vec<String> = pairs.iter().map(|(c, v)| format!("{c}={v}")).collect();
    let mut args = vec!["advise", "--model", &model, "--format", "json"];
    for set in &sets {
        args.extend(["--set", set.as_str()]);
    }
    let run = |args: &[&str]| {
        let output = recontact(args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let from_set = run(&args);
    let from_csv = run(&[
        "advise", &data, "--row", "2", "--model", &model, "--format", "json",
    ]);
    let from_csv_alias = run(&[
        "advise", "--csv", &data, "--row", "2", "--model", &model, "--format", "json",
    ]);
    let object: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(c, v)| (c.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    let json = path("case.json");
    std::fs::write(&json, serde_json::to_string(&object).unwrap()).unwrap();
    let from_json = run(&[
        "advise", "--json", &json, "--model", &model, "--format", "json",
    ]);
    assert_eq!(from_set, from_csv);
    assert_eq!(from_set, from_csv_alias);
    assert_eq!(from_set, from_json);
    let referral = from_set["levers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lever"] == "referral")
        .expect("the referral lever");
    assert!(referral["words"]
        .as_str()
        .unwrap()
        .starts_with("Ask for a referral: "));
    assert!(from_set["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["term"] == "referral"));
    // The article's levers come along from the default spec the researcher extended.
    assert!(from_set["levers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["lever"] == "same_contact"));

    // The referral lever's probabilities are the model's own: the logit moves by β(referral).
    let summary: serde_json::Value = serde_json::from_slice(
        &recontact(&["summary", "--model", &model, "--format", "json"]).stdout,
    )
    .unwrap();
    let beta = summary["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "referral")
        .map(|t| t["estimate"].as_f64().unwrap())
        .expect("referral coefficient");
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let moved = logit(referral["p_with"].as_f64().unwrap())
        - logit(referral["p_without"].as_f64().unwrap());
    assert!((moved - beta).abs() < 1e-9, "{moved} vs {beta}");

    // A bad level names the model's own allowed values.
    let output = recontact(&[
        "advise",
        &data,
        "--row",
        "2",
        "--model",
        &model,
        "--set",
        "referral=maybe",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("`referral` = \"maybe\"")
            && text(&output.stderr).contains("true/false")
    );
}
