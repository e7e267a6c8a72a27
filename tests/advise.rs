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
        "--csv",
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
    assert_eq!(recontact(&bad).status.code(), Some(2));
    let output = recontact(&["advise", "--contact-type", "hiring_manager"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "the other flags are required"
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
