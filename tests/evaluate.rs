mod common;

use common::{recontact, root, text, with_threads};

/// Every key `docs/evaluation.md` documents for `evaluate`'s JSON.
const KEYS: [&str; 24] = [
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
    "predictions",
    "decision_curve",
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

/// Every number in `value`, by its path (`.calibration_slope.estimate`, `.roc[3][1]`).
fn numbers(value: &serde_json::Value, path: String, out: &mut Vec<(String, f64)>) {
    match value {
        serde_json::Value::Number(n) => out.push((path, n.as_f64().unwrap())),
        serde_json::Value::Array(items) => {
            for (k, item) in items.iter().enumerate() {
                numbers(item, format!("{path}[{k}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                numbers(item, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

fn evaluate_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["evaluate", "--format", "json"];
    all.extend(args);
    let output = recontact(&all);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A model fitted on the first 3,000 committed rows and the other 2,000 rows, written to
/// `dir`: held-out data, so that no calibration measure is 0 or 1 by construction.
fn model_and_holdout(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let rows = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap();
    let lines: Vec<&str> = rows.lines().collect();
    let train = dir.join("train.csv");
    let holdout = dir.join("holdout.csv");
    std::fs::write(&train, lines[..3001].join("\n") + "\n").unwrap();
    let mut rest = vec![lines[0]];
    rest.extend(&lines[3001..]);
    std::fs::write(&holdout, rest.join("\n") + "\n").unwrap();
    let model = dir.join("model.json");
    let train = train.to_str().unwrap();
    let output = recontact(&[
        "fit",
        "--data",
        train,
        "--out",
        model.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    (model, holdout)
}

#[test]
fn a_models_scored_output_evaluates_as_the_model_does() {
    // `score` writes each probability and logit with the shortest digits that read back
    // as the same double (no rounding), so the probability column and the logit column
    // each give the model's own numbers. Measured on these data: the logit column bit for
    // bit, the probability column within 3e-17 (logit(p) loses the last bit or so of lp);
    // promised to 1e-12 here.
    let dir = tempfile::tempdir().unwrap();
    let (model, holdout) = model_and_holdout(dir.path());
    let (model, holdout) = (model.to_str().unwrap(), holdout.to_str().unwrap());
    let scored = dir.path().join("scored.csv");
    let output = recontact(&[
        "score",
        "--model",
        model,
        holdout,
        "-o",
        scored.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let scored = scored.to_str().unwrap();

    let by_model = evaluate_json(&["--model", model, "--data", holdout]);
    let intercept = by_model["calibration_intercept"]["estimate"]
        .as_f64()
        .unwrap();
    assert!(intercept.abs() > 1e-3, "held-out data: {intercept}");
    let mut expected = Vec::new();
    numbers(&by_model, String::new(), &mut expected);
    assert!(expected.len() > 1000, "{}", expected.len());
    for (flag, column) in [("--prob-column", "p_success"), ("--logit-column", "logit")] {
        let external = evaluate_json(&["--data", scored, flag, column]);
        let mut found = Vec::new();
        numbers(&external, String::new(), &mut found);
        assert_eq!(found.len(), expected.len(), "{flag}");
        for ((path, a), (other, b)) in expected.iter().zip(&found) {
            assert_eq!(path, other, "{flag}");
            assert!(
                (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                "{flag} {path}: {a} vs {b}"
            );
        }
        let scale = if column == "logit" {
            "logit"
        } else {
            "probability"
        };
        let provenance = serde_json::json!({
            "source": "column", "file": scored, "column": column, "scale": scale,
            "outcome": "success"
        });
        assert_eq!(external["predictions"], provenance, "{flag}");
    }
    let provenance = serde_json::json!({"source": "model", "model": model, "builtin": false});
    assert_eq!(by_model["predictions"], provenance);
}

/// 40 rows of (y, p) with predictions on several thresholds: the fixture of the unit
/// tests of `decision_curve.rs`, whose reference values come from dcurves.
const DCA_ROWS: &str = "y,p
0,0.02\n0,0.05\n0,0.08\n1,0.1\n0,0.1\n0,0.12\n0,0.15\n1,0.18\n0,0.2\n1,0.2
0,0.22\n0,0.25\n1,0.28\n0,0.3\n1,0.3\n0,0.33\n0,0.35\n1,0.38\n0,0.4\n0,0.42
1,0.45\n0,0.48\n1,0.5\n0,0.5\n1,0.52\n1,0.55\n0,0.58\n1,0.6\n0,0.63\n1,0.65
1,0.68\n1,0.7\n0,0.72\n0,0.75\n1,0.78\n1,0.8\n0,0.85\n1,0.9\n0,0.93\n1,0.97
";

#[test]
fn the_decision_curve_of_a_prediction_column_matches_dcurves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dca.csv");
    std::fs::write(&data, DCA_ROWS).unwrap();
    let data = data.to_str().unwrap();
    // Python dcurves 1.1.7: dcurves.dca(data=df, outcome='y', modelnames=['p'],
    // thresholds=[0.05, 0.1, 0.2, 0.5]) on these rows; net_benefit of 'p' and of 'all'.
    // Given out of order and with a repeat: the rows come back sorted, each once.
    let args = ["--data", data, "--prob-column", "p", "--outcome", "y"];
    let json = evaluate_json(&[&args[..], &["--thresholds", "0.5,0.05,0.2,0.1,0.2"]].concat());
    let expected = [
        (0.05, 0.4223684210526316, 0.4210526315789474),
        (0.1, 0.39722222222222225, 0.3888888888888889),
        (0.2, 0.29999999999999993, 0.3125),
        (0.5, 0.1, -0.10000000000000003),
    ];
    let rows = json["decision_curve"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (row, (t, model, all)) in rows.iter().zip(expected) {
        assert_eq!(row["threshold"], t);
        let nb = row["net_benefit"].as_f64().unwrap();
        let nb_all = row["net_benefit_all"].as_f64().unwrap();
        assert!(
            (nb - model).abs() < 1e-10 && (nb_all - all).abs() < 1e-10,
            "{row}"
        );
        let mut keys = row.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let mut documented = [
            "threshold",
            "net_benefit",
            "net_benefit_all",
            "standardized_net_benefit",
            "interventions_avoided_per_100",
        ];
        keys.sort();
        documented.sort();
        assert_eq!(keys, documented);
    }
    // Without --thresholds: 0.01 to 0.99, each i/100.
    let json = evaluate_json(&args);
    let rows = json["decision_curve"].as_array().unwrap();
    assert_eq!(rows.len(), 99);
    assert_eq!(rows[5]["threshold"], 0.06);
    assert_eq!(rows[98]["threshold"], 0.99);
}

#[test]
fn the_decision_curve_is_tabled_plotted_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("dca.svg");
    let report = dir.path().join("report.html");
    let data = dir.path().join("dca.csv");
    std::fs::write(&data, DCA_ROWS).unwrap();
    let output = recontact(&[
        "evaluate",
        "--data",
        data.to_str().unwrap(),
        "--prob-column",
        "p",
        "--outcome",
        "y",
        "--decision-plot",
        plot.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("Evaluation of the probabilities in column p of "),
        "{stdout}"
    );
    assert!(
        stdout.contains("no model used; outcome column y"),
        "{stdout}"
    );
    assert!(stdout.contains("Decision curve"), "{stdout}");
    // The table's default thresholds; 0.1 is the dcurves value 0.39722… of the unit test.
    for line in [
        "0.05 ",
        "0.10      0.3972      0.3889",
        "0.20 ",
        "0.30 ",
        "0.50 ",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for label in [
        "Decision curve",
        "Net benefit",
        "Threshold probability",
        "Treat all",
        "Treat none",
        "Model",
    ] {
        assert!(svg.contains(label), "{label} missing from the SVG");
    }
    let html = std::fs::read_to_string(&report).unwrap();
    for part in [
        "Predictions from a column.",
        "probabilities in column <code>p</code>",
        "none: the predictions are read as given",
        "<h2>Decision curve</h2>",
        "interventions avoided per 100",
    ] {
        assert!(html.contains(part), "{part} missing from the report");
    }
    assert!(!html.contains("Built-in demonstration model"));
    assert_eq!(html.matches("<svg").count(), 2, "both figures inline");
}

#[test]
fn bad_prediction_values_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("p", "y,p\n1,0.5\n0,0\n", "bad.csv:3: column 2 (p): not a probability strictly between 0 and 1 \"0\"; allowed: a number strictly between 0 and 1 (0 and 1 themselves are refused: their logit and the log loss would be infinite)"),
        ("p", "y,p\n1,1\n0,0.5\n", "bad.csv:2: column 2 (p): not a probability strictly between 0 and 1 \"1\""),
        ("p", "y,p\n1,0.5\n0,1.5\n", "bad.csv:3: column 2 (p): not a probability strictly between 0 and 1 \"1.5\""),
        ("p", "y,p\n1,0.5\n0,\n", "bad.csv:3: column 2 (p): value is empty"),
        ("l", "y,l\n1,0.5\n0,inf\n", "bad.csv:3: column 2 (l): not a finite number \"inf\"; allowed: a finite number (the log-odds of the prediction)"),
        ("p", "y,p\n2,0.5\n0,0.5\n", "bad.csv:2: column 1 (y): not an outcome \"2\"; allowed: 1/0, true/false or yes/no"),
        ("p", "y,q\n1,0.5\n", "bad.csv:1: column p: required column is missing from the header"),
    ];
    for (column, csv, message) in cases {
        let data = dir.path().join("bad.csv");
        std::fs::write(&data, csv).unwrap();
        let flag = if column == "l" {
            "--logit-column"
        } else {
            "--prob-column"
        };
        let plot = dir.path().join("dca.svg");
        let output = recontact(&[
            "evaluate",
            "--data",
            data.to_str().unwrap(),
            flag,
            column,
            "--outcome",
            "y",
            "--decision-plot",
            plot.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(1), "{csv}");
        let stderr = text(&output.stderr);
        let path = data.to_str().unwrap();
        assert!(
            stderr.contains(&message.replace("bad.csv", path)),
            "{csv}: {stderr}"
        );
        assert!(
            output.stdout.is_empty() && !plot.exists(),
            "no output on failure"
        );
    }
}

#[test]
fn prediction_flags_are_checked_as_usage() {
    let data = "data/recontact_outcomes.csv";
    let cases: [(&[&str], &str); 6] = [
        (
            &["--model", "data/default_model.json", "--prob-column", "p"],
            "cannot be used with",
        ),
        (
            &["--prob-column", "p", "--logit-column", "l"],
            "cannot be used with",
        ),
        (
            &["--outcome", "success"],
            "required arguments were not provided",
        ),
        (
            &["--thresholds", "0.1,1.5"],
            "expected a number strictly between 0 and 1, got `1.5`",
        ),
        (
            &["--thresholds", "0"],
            "expected a number strictly between 0 and 1, got `0`",
        ),
        (
            &["--prob-column", "success"],
            "the outcome column and the prediction column are both \"success\"",
        ),
    ];
    for (args, message) in cases {
        let output = recontact(&[&["evaluate", "--data", data][..], args].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn the_outcome_defaults_to_the_default_models_outcome_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("p.csv");
    let rows: String = (0..40)
        .map(|i| format!("{},{}\n", i % 2, f64::from(i % 9 + 1) / 10.0))
        .collect();
    std::fs::write(&data, format!("success,risk\n{rows}")).unwrap();
    let json = evaluate_json(&["--data", data.to_str().unwrap(), "--prob-column", "risk"]);
    assert_eq!(json["n"], 40);
    assert_eq!(json["predictions"]["outcome"], "success");
}

#[test]
fn external_predictions_give_the_same_bytes_whatever_the_thread_count() {
    // About 1.6 MiB: more than one chunk of the parallel reader.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("many.csv");
    let mut csv = String::from("id,y,p\n");
    for i in 0..60_000u32 {
        let p = f64::from((i * 7919) % 9973 + 1) / 9975.0;
        csv.push_str(&format!("case-{i:08},{},{p}\n", u8::from((i * 31) % 7 < 3)));
    }
    std::fs::write(&data, csv).unwrap();
    let plot = dir.path().join("dca.svg");
    let args = [
        "evaluate",
        "--data",
        data.to_str().unwrap(),
        "--prob-column",
        "p",
        "--outcome",
        "y",
        "--format",
        "json",
        "--decision-plot",
        plot.to_str().unwrap(),
    ];
    let one = with_threads("1", &args).stdout;
    let svg_one = std::fs::read(&plot).unwrap();
    let three = with_threads("3", &args).stdout;
    assert_eq!(one, three);
    assert_eq!(svg_one, std::fs::read(&plot).unwrap());
    let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(json["n"], 60_000);
}

/// A name that turns into markup wherever it is spliced into HTML or SVG unescaped.
const HOSTILE: &str = "<script>alert(1)</script>&\"'";
/// `HOSTILE` as HTML and SVG text carry it: `<`, `>`, `&` and `"` escaped (the
/// apostrophe may or may not be, which is safe in text and in `"`-quoted attributes).
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;";

/// Asserts that `file` holds `HOSTILE` only escaped, and no markup it could inject.
fn assert_escaped(file: &std::path::Path) {
    let written = std::fs::read_to_string(file).unwrap();
    let name = file.display();
    assert!(!written.contains("<script"), "{name}: a raw <script>");
    assert!(
        !written.contains("<b>"),
        "{name}: the data file's name as markup"
    );
    assert!(
        written.contains(HOSTILE_ESCAPED),
        "{name}: the name, escaped"
    );
}

#[test]
fn names_from_the_data_and_the_model_are_escaped_in_the_report_and_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    // A prediction column so named, in a data file whose name is markup too.
    let predictions = dir.path().join("<b>&\"'.csv");
    let mut csv = String::from("y,\"<script>alert(1)</script>&\"\"'\"\n");
    for k in 0..40u32 {
        let p = 0.05 + 0.9 * f64::from(k % 10) / 10.0;
        csv.push_str(&format!("{},{p}\n", u8::from((k * 3) % 7 < 3)));
    }
    std::fs::write(&predictions, csv).unwrap();
    let [report, plot, decision] =
        ["column.html", "column.svg", "decision.svg"].map(|name| dir.path().join(name));
    let output = recontact(&[
        "evaluate",
        "--data",
        predictions.to_str().unwrap(),
        "--prob-column",
        HOSTILE,
        "--outcome",
        "y",
        "--report",
        report.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
        "--decision-plot",
        decision.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for file in [&report, &plot, &decision] {
        assert_escaped(file);
    }

    // A model with a categorical predictor of that name, one of whose levels is the name.
    let data = dir.path().join("<b>&\"'-levels.csv");
    let mut csv = String::from("y,\"<script>alert(1)</script>&\"\"'\"\n");
    for k in 0..200u32 {
        let hostile = k % 3 == 0;
        let level = if hostile {
            "\"<script>alert(1)</script>&\"\"'\""
        } else {
            "plain"
        };
        let event = if hostile { k % 5 < 3 } else { k % 5 < 1 };
        csv.push_str(&format!("{},{level}\n", u8::from(event)));
    }
    std::fs::write(&data, csv).unwrap();
    let spec = dir.path().join("spec.toml");
    let term = "[[term]]\nkind = \"categorical\"\ncolumn = \"<script>alert(1)</script>&\\\"'\"\n";
    std::fs::write(&spec, format!("outcome = \"y\"\n\n{term}")).unwrap();
    let model = dir.path().join("model.json");
    let output = recontact(&[
        "fit",
        "--data",
        data.to_str().unwrap(),
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let model_json = std::fs::read_to_string(&model).unwrap();
    assert!(
        model_json.contains("\"<script>alert(1)</script>&\\\"'\""),
        "the level"
    );
    let [report, plot] = ["model.html", "model.svg"].map(|name| dir.path().join(name));
    let output = recontact(&[
        "evaluate",
        "--data",
        data.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_escaped(&report);
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(!svg.contains("<script") && !svg.contains("<b>"), "{svg}");
    assert!(
        svg.contains("&lt;b&gt;&amp;&quot;"),
        "the data file's name, escaped"
    );
}
