//! End to end: `recontact validate`, `recontact sample-size` and the sample-size warning
//! of `recontact fit`, on real files.

mod common;

use common::{recontact, text, with_threads};

const BIRTHWT: &str = "crates/scoring/tests/fixtures/birthwt.csv";

#[test]
fn validation_of_the_committed_data_has_the_documented_shape() {
    let output = recontact(&[
        "validate",
        "--data",
        "data/recontact_outcomes.csv",
        "--folds",
        "3",
        "--bootstrap",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["n"], 5000);
    assert_eq!(v["events"], 2138);
    assert_eq!(v["folds"], 3);
    assert_eq!(v["bootstrap"], 3);
    assert_eq!(v["seed"], 1);
    let measures = [
        "auc",
        "dxy",
        "brier",
        "calibration_slope",
        "calibration_intercept",
    ];
    let cv = &v["cross_validation"];
    let bv = &v["bootstrap_validation"];
    for m in measures {
        for key in ["mean", "sd"] {
            assert!(cv[m][key].is_f64(), "cross_validation.{m}.{key}: {cv}");
        }
        for key in ["apparent", "optimism", "corrected"] {
            assert!(bv[m][key].is_f64(), "bootstrap_validation.{m}.{key}: {bv}");
        }
        let c = &bv[m];
        let corrected = c["apparent"].as_f64().unwrap() - c["optimism"].as_f64().unwrap();
        assert!((c["corrected"].as_f64().unwrap() - corrected).abs() < 1e-12);
    }
    assert_eq!(cv["failed_folds"], 0);
    assert_eq!(bv["failed_resamples"], 0);
    let auc = cv["auc"]["mean"].as_f64().unwrap();
    assert!(auc > 0.75 && auc < 0.95, "{auc}");
    assert!((bv["calibration_slope"]["apparent"].as_f64().unwrap() - 1.0).abs() < 1e-6);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let args = [
        "validate",
        "--data",
        BIRTHWT,
        "--outcome",
        "low",
        "--numeric",
        "age,lwt",
        "--categorical",
        "race",
        "--boolean",
        "smoke,ht,ui",
        "--folds",
        "5",
        "--bootstrap",
        "24",
        "--seed",
        "9",
        "--format",
        "json",
    ];
    let one = with_threads("1", &args);
    let two = with_threads("2", &args);
    assert!(one.stdout == two.stdout, "byte-identical output");
    let table = |threads| {
        let mut table_args = args.to_vec();
        table_args.truncate(args.len() - 2);
        with_threads(threads, &table_args).stdout
    };
    let (a, b) = (table("1"), table("2"));
    assert!(a == b, "byte-identical table");
    let a = text(&a);
    assert!(
        a.contains("5-fold stratified cross-validation (seed 9)"),
        "{a}"
    );
    assert!(
        a.contains("bootstrap optimism correction (24 resamples, seed 9)"),
        "{a}"
    );
    assert!(a.contains("calibration slope"), "{a}");

    // Another seed, another answer.
    let mut other = args.to_vec();
    let seed = other.len() - 3;
    other[seed] = "10";
    assert!(with_threads("2", &other).stdout != one.stdout);
}

#[test]
fn failures_and_unscorable_rows_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rare.csv");
    // A level seen on two rows only: a training part or resample with exactly one of them
    // is separated on it, one with neither cannot score them.
    let mut rows = String::from("y,x,g\n");
    for i in 0..120 {
        let g = ["a", "b"][i % 2];
        let y = u8::from((i * 7) % 10 < 4 + i % 3);
        rows += &format!("{y},{},{g}\n", (i % 17) as f64 / 4.0);
    }
    rows += "1,1.5,rare\n0,2.5,rare\n";
    std::fs::write(&csv, rows).unwrap();
    let args = [
        "validate",
        "--data",
        csv.to_str().unwrap(),
        "--outcome",
        "y",
        "--numeric",
        "x",
        "--categorical",
        "g",
        "--folds",
        "4",
        "--bootstrap",
        "30",
        "--format",
        "json",
    ];
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let cv = &v["cross_validation"];
    let failed = cv["failed_folds"].as_u64().unwrap();
    let unscored = cv["unscored_rows"].as_u64().unwrap();
    assert!(failed + unscored > 0, "{cv}");
    assert_eq!(cv["failures"].as_array().unwrap().len() as u64, failed);
    let bv = &v["bootstrap_validation"];
    let failed = bv["failed_resamples"].as_u64().unwrap();
    assert!(failed > 0, "{bv}");
    assert!(bv["unscored_rows"].as_u64().unwrap() > 0, "{bv}");
    assert!(
        bv["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("separation"),
        "{bv}"
    );
    assert_eq!(
        bv["evaluated_resamples"].as_u64().unwrap() + failed,
        30,
        "{bv}"
    );

    let table = recontact(&args[..args.len() - 2]);
    let table = text(&table.stdout);
    assert!(table.contains("resample"), "{table}");
    assert!(
        table.contains("failed: fit: quasi-complete separation"),
        "{table}"
    );
    assert!(table.contains("could not be scored"), "{table}");

    let output = recontact(&[
        "validate",
        "--data",
        BIRTHWT,
        "--outcome",
        "low",
        "--numeric",
        "age",
        "--folds",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("2 or more folds"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn sample_size_prints_the_three_criteria() {
    let base = [
        "sample-size",
        "--parameters",
        "24",
        "--prevalence",
        "0.174",
        "--r2cs",
        "0.288",
    ];
    let output = recontact(&base);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    for expected in ["623", "662", "221", "minimum"] {
        assert!(table.contains(expected), "{expected}: {table}");
    }

    let mut json = base.to_vec();
    json.extend(["--rounding", "pmsampsize", "--format", "json"]);
    let output = recontact(&json);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // pmsampsize's own test expects 623, 668, 221 and 668.
    assert_eq!(v["criterion1"]["n"], 623);
    assert_eq!(v["criterion2"]["n"], 668);
    assert_eq!(v["criterion3"]["n"], 221);
    assert_eq!(v["n"], 668);

    let output = recontact(&[
        "sample-size",
        "--parameters",
        "5",
        "--prevalence",
        "1.2",
        "--r2cs",
        "0.1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("prevalence"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn fit_warns_when_the_data_are_too_few_for_its_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let args = [
        "fit",
        "--data",
        BIRTHWT,
        "--outcome",
        "low",
        "--numeric",
        "age,lwt,ptl,ftv",
        "--categorical",
        "race",
        "--boolean",
        "smoke,ht,ui",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: 189 observations are fewer than the ")
            && stderr.contains("Riley et al.")
            && stderr.contains("for 9 parameters"),
        "{stderr}"
    );

    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let output = recontact(&quiet);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));

    // The committed data are plenty for the default spec.
    let output = recontact(&[
        "fit",
        "--data",
        "data/recontact_outcomes.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        !text(&output.stderr).contains("Riley"),
        "{}",
        text(&output.stderr)
    );
}

/// The birthwt model of `crates/scoring/tests/validation_reference.rs`, whose calibration
/// curve and stability measures are checked there against numpy and statsmodels.
const REFERENCE_ARGS: [&str; 15] = [
    "validate",
    "--data",
    BIRTHWT,
    "--outcome",
    "low",
    "--numeric",
    "age,lwt,smoke,ht,ui",
    "--folds",
    "0",
    "--bootstrap",
    "20",
    "--seed",
    "3",
    "--stability-threshold",
    "0.3",
];

fn finite_numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("a number: {v}")))
        .inspect(|v| assert!(v.is_finite()))
        .collect()
}

#[test]
fn calibration_curve_and_stability_are_written_as_json_tables_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let (plot, stability_plot) = (dir.path().join("c.svg"), dir.path().join("s.svg"));
    let mut args = REFERENCE_ARGS.to_vec();
    args.extend(["--format", "json"]);
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let curve = &v["calibration_curve"];
    let grid = finite_numbers(&curve["grid"]);
    assert_eq!(grid.len(), 50);
    assert_eq!(finite_numbers(&curve["apparent"]).len(), 50);
    assert_eq!(finite_numbers(&curve["bias_corrected"]).len(), 50);
    assert_eq!(curve["resamples_used"][10], 20);
    // scripts/validation_reference.py (see the library test).
    let mae = curve["mean_absolute_error"].as_f64().unwrap();
    assert!((mae - 0.030851787998034695).abs() < 1e-8, "{mae}");
    assert!(curve["smoother"].as_str().unwrap().starts_with("lowess"));
    assert!(v["calibration_curve_unavailable"].is_null());
    let stability = &v["stability"];
    let mape = stability["mape"].as_f64().unwrap();
    assert!((mape - 0.06289392599294938).abs() < 1e-8, "{mape}");
    assert_eq!(stability["threshold"], 0.3);
    assert_eq!(
        stability["calibration_curves"].as_array().unwrap().len(),
        20
    );
    let first = &stability["calibration_curves"][0];
    let start = first["first_grid_point"].as_u64().unwrap() as usize;
    assert!(start + finite_numbers(&first["values"]).len() <= 50);
    assert!(
        stability.get("original").is_none(),
        "per-individual data stay out"
    );

    let mut args = REFERENCE_ARGS.to_vec();
    args.extend(["--plot", plot.to_str().unwrap()]);
    args.extend(["--stability-plot", stability_plot.to_str().unwrap()]);
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    for expected in [
        "mean absolute error                   0.0309",
        "0.9 quantile of absolute error        0.0571",
        "mean absolute prediction error        0.0629",
        "classification instability at 0.3",
    ] {
        assert!(table.contains(expected), "{expected}: {table}");
    }
    for (path, label) in [
        (&plot, "Bias-corrected"),
        (&stability_plot, "MAPE instability"),
    ] {
        let svg = std::fs::read_to_string(path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(label), "{label}");
    }
}

#[test]
fn bad_stability_and_figure_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("c.svg");
    let cases: [(&[&str], &str); 3] = [
        (
            &["--stability-threshold", "1.5"],
            "strictly between 0 and 1",
        ),
        (
            &["--bootstrap", "0", "--plot", plot.to_str().unwrap()],
            "need --bootstrap 1 or more",
        ),
        (
            &[
                "--plot",
                plot.to_str().unwrap(),
                "--stability-plot",
                plot.to_str().unwrap(),
            ],
            "same file",
        ),
    ];
    for (extra, message) in cases {
        // The data and spec without the bootstrap settings: every case stops before fitting.
        let mut args = REFERENCE_ARGS[..9].to_vec();
        args.extend_from_slice(extra);
        let output = recontact(&args);
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
    assert!(!plot.exists(), "nothing written on a usage error");
}
