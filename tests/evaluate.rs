mod common;

use common::{recontact, root, text};

/// Every key `docs/evaluation.md` documents for `evaluate`'s JSON.
const KEYS: [&str; 22] = [
    "n",
    "events",
    "auc",
    "auc_ci",
    "dxy",
    "log_loss",
    "brier",
    "scaled_brier",
    "calibration_intercept",
    "calibration_slope",
    "observed_expected",
    "ece",
    "hosmer_lemeshow",
    "spiegelhalter",
    "ici",
    "e50",
    "e90",
    "emax",
    "smoother",
    "loess_surface",
    "roc",
    "calibration_curve",
];

#[test]
fn the_interpolated_loess_gives_the_exact_summaries_on_the_committed_data() {
    let run = |surface: &str| {
        let output = recontact(&[
            "evaluate",
            "--data",
            "data/recontact_outcomes.csv",
            "--format",
            "json",
            "--loess",
            surface,
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let (exact, fast, auto) = (run("exact"), run("interpolated"), run("auto"));
    assert_eq!(exact["loess_surface"], "exact");
    assert_eq!(fast["loess_surface"], "interpolated");
    // 5,000 rows: auto fits exactly.
    assert_eq!(auto, exact);
    for key in ["ici", "e50", "e90", "emax"] {
        let (a, b) = (exact[key].as_f64().unwrap(), fast[key].as_f64().unwrap());
        // Measured: 7.7e-6 at most (E50); the promise is 1e-3.
        assert!((a - b).abs() < 2e-5, "{key}: exact {a}, interpolated {b}");
    }
}

#[test]
fn the_default_model_evaluates_on_the_committed_data() {
    let output = recontact(&[
        "evaluate",
        "--data",
        "data/recontact_outcomes.csv",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let object = json.as_object().unwrap();
    for key in KEYS {
        assert!(object.contains_key(key), "{key} missing");
    }
    assert_eq!(object.len(), KEYS.len(), "no undocumented keys: {object:?}");
    assert_eq!(json["n"], 5000);
    assert_eq!(json["events"], 2138);
    let auc = json["auc"].as_f64().unwrap();
    assert!(auc > 0.5 && auc < 1.0, "{auc}");
    // The default model was fitted by maximum likelihood on exactly these rows, so its
    // recalibration intercept is 0 and slope 1.
    let intercept = json["calibration_intercept"]["estimate"].as_f64().unwrap();
    let slope = json["calibration_slope"]["estimate"].as_f64().unwrap();
    assert!(intercept.abs() < 1e-6, "{intercept}");
    assert!((slope - 1.0).abs() < 1e-6, "{slope}");
    for key in ["estimate", "std_error", "ci_low", "ci_high"] {
        assert!(json["calibration_slope"][key].is_f64(), "{key}");
    }
    for binning in ["equal_mass", "equal_width"] {
        let bins = json["ece"][binning]["bins"].as_array().unwrap();
        assert!(!bins.is_empty() && bins.len() <= 10, "{binning}");
        for key in ["n", "mean_predicted", "observed", "ci_low", "ci_high"] {
            assert!(bins[0].get(key).is_some(), "{binning} bins[].{key}");
        }
    }
    assert_eq!(json["hosmer_lemeshow"]["df"], 8);
}

#[test]
fn the_table_names_the_demonstration_model_and_the_bins_flag_is_honoured() {
    let output = recontact(&[
        "evaluate",
        "--data",
        "data/recontact_outcomes.csv",
        "--bins",
        "5",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for expected in [
        "n = 5000, events = 2138",
        "built-in demonstration model",
        "AUC (c-statistic)",
        "calibration slope",
        "Hosmer-Lemeshow",
        "Spiegelhalter",
        "ICI",
        "Equal-mass bins",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    // Five equal-mass bins of 1000 rows each.
    assert_eq!(stdout.matches("   1000 ").count(), 5, "{stdout}");
}

#[test]
fn plot_and_report_are_written_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("calibration.svg");
    let report = dir.path().join("report.html");
    let output = recontact(&[
        "evaluate",
        "--data",
        "data/recontact_outcomes.csv",
        "--plot",
        plot.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for title in [
        "n = 5000, events = 2138",
        "Calibration: observed against predicted",
        "ROC curve",
        "Predicted probability",
        "Perfect calibration",
        "Loess smooth",
        "equal-mass bins",
    ] {
        assert!(svg.contains(title), "{title} missing from the SVG");
    }

    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"), "the figure is inlined");
    assert!(html.contains("Built-in demonstration model"));
    assert!(html.contains("synthetic"));
    // Provenance: the model's input file, its hash and n.
    assert!(html.contains("data/recontact_outcomes.csv"));
    let sha = "95836133c3fc613dcffd61d9ee19c1f26c63d0bec863d175db2465906cd987c6";
    assert!(html.contains(sha), "the data's SHA-256");
    for section in [
        "Discrimination",
        "Overall accuracy",
        "Hosmer–Lemeshow",
        "Spiegelhalter",
        "E90",
        "Smoother: loess",
        "Equal-width bins",
        "Outcome and predictors",
        "<code>contact_type</code>",
        "TRIPOD+AI items covered",
        "<td>23a</td><td>performance with confidence intervals</td><td><span class=\"partly\">",
        "<td>21</td><td>participants and events in each analysis</td><td><span class=\"shown\">",
        "Items the authors must supply",
        "how missing data were handled",
        "how the sample size was arrived at",
    ] {
        assert!(html.contains(section), "{section} missing from the report");
    }
    // Self-contained: the only URL is the SVG namespace, which is a name, not a fetch.
    let without_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_namespace.contains("http://"), "network reference");
    assert!(!without_namespace.contains("https://"), "network reference");
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no external styles");

    // No temporary files are left beside the outputs.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn an_invalid_value_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let good = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap();
    let mut lines: Vec<String> = good.lines().take(50).map(str::to_string).collect();
    lines[3] = lines[3].replace(",true,", ",maybe,");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let plot = dir.path().join("plot.svg");
    let output = recontact(&[
        "evaluate",
        "--data",
        bad.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.csv:4:"), "{stderr}");
    assert!(stderr.contains("\"maybe\""), "{stderr}");
    assert!(stderr.contains("column "), "{stderr}");
    assert!(!plot.exists(), "no output on failure");
}

#[test]
fn columns_the_model_needs_are_checked_before_any_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("other.csv");
    // The rows are invalid too; only the header problem may be reported.
    std::fs::write(&data, "success,contact_type\nnot-an-outcome,x\n").unwrap();
    let output = recontact(&["evaluate", "--data", data.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("other.csv:1:"), "{stderr}");
    assert!(stderr.contains("days_since_decline"), "{stderr}");
    assert!(
        stderr.contains("required column is missing from the header"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-an-outcome"), "{stderr}");
}

#[test]
fn a_fitted_model_file_evaluates_on_other_data() {
    let dir = tempfile::tempdir().unwrap();
    let rows = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap();
    let lines: Vec<&str> = rows.lines().collect();
    let train = dir.path().join("train.csv");
    let test = dir.path().join("test.csv");
    std::fs::write(&train, lines[..3001].join("\n") + "\n").unwrap();
    let mut holdout = vec![lines[0]];
    holdout.extend(&lines[3001..]);
    std::fs::write(&test, holdout.join("\n") + "\n").unwrap();
    let model = dir.path().join("model.json");
    let output = recontact(&[
        "fit",
        "--data",
        train.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = recontact(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--data",
        test.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["n"], 2000);
    // Held-out data: no longer calibrated by construction.
    let slope = json["calibration_slope"]["estimate"].as_f64().unwrap();
    assert!(
        (slope - 1.0).abs() > 1e-6 && (slope - 1.0).abs() < 0.3,
        "{slope}"
    );

    let output = recontact(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--data",
        test.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("demonstration"), "{stdout}");
    assert!(!stdout.contains("fitted on"), "{stdout}");
}
