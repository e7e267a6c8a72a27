//! End to end: `recontact fit --cov` and `--ci`, what the model file records, what
//! `summary` prints, and that `update` reads the stored covariance.
//!
//! Data: the Spector & Mazzeo fixture (crates/scoring/tests/fixtures/spector.csv) with a
//! made-up column `school`: row i (from 0) is in school `s{i mod 5}`. Reference values
//! (statsmodels 0.15.0, numpy, scipy 1.17) are named where they are used; the library
//! tests (crates/scoring/tests/inference.rs) hold the full sets.

mod common;

use std::path::{Path, PathBuf};

use common::{recontact, root, text};

const SPEC: &str = "outcome = \"grade\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"tuce\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"psi\"\n";

/// A directory with `spector.csv` (with schools, the first `rows` rows) and `spec.toml`.
fn files(rows: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = root().join("crates/scoring/tests/fixtures/spector.csv");
    let text = std::fs::read_to_string(fixture).unwrap();
    let mut lines = text.lines();
    let mut csv = format!("{},school\n", lines.next().unwrap());
    for (i, line) in lines.take(rows).enumerate() {
        csv += &format!("{line},s{}\n", i % 5);
    }
    std::fs::write(dir.path().join("spector.csv"), csv).unwrap();
    std::fs::write(dir.path().join("spec.toml"), SPEC).unwrap();
    dir
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// Runs `fit` on the directory's files with `extra` flags; returns (code, stdout, stderr).
fn fit(dir: &Path, out: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let (data, spec, out) = (
        path(dir, "spector.csv"),
        path(dir, "spec.toml"),
        path(dir, out),
    );
    let mut args = vec!["fit", "--data", &data, "--spec", &spec, "--out", &out];
    args.extend_from_slice(extra);
    let output = recontact(&args);
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

fn model(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

fn std_errors(model: &serde_json::Value) -> Vec<f64> {
    let terms = model["terms"].as_array().unwrap();
    terms
        .iter()
        .map(|t| t["std_error"].as_f64().unwrap())
        .collect()
}

#[track_caller]
fn close(got: &[f64], want: &[f64], tolerance: f64) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tolerance * w.abs(), "got {g}, want {w}");
    }
}

#[test]
fn a_cluster_robust_fit_records_its_clusters_and_summary_names_them() {
    let dir = files(32);
    let (code, stdout, stderr) = fit(
        dir.path(),
        "m.json",
        &["--cov", "cluster", "--cluster", "school"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout
            .contains("standard errors: cluster-robust by `school` (5 clusters); intervals: Wald"),
        "{stdout}"
    );
    let m = model(dir.path(), "m.json");
    assert_eq!(m["options"]["covariance_type"], "cluster");
    assert_eq!(
        m["cluster"],
        serde_json::json!({"column": "school", "clusters": 5})
    );
    // statsmodels 0.15.0: Logit(y, X).fit(cov_type="cluster",
    // cov_kwds={"groups": pandas.factorize(school)[0]}).bse
    close(
        &std_errors(&m),
        &[
            6.206055953431004,
            1.2233081794597995,
            0.1293377271721652,
            1.505920852097169,
        ],
        1e-8,
    );
    let output = recontact(&[
        "summary",
        "--model",
        &path(dir.path(), "m.json"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["covariance_type"], "cluster");
    assert_eq!(summary["cluster"]["clusters"], 5);
    assert_eq!(summary["interval"], "wald");
}

#[test]
fn hc0_and_hc1_fits_record_their_type() {
    let dir = files(32);
    for (kind, first) in [("hc0", 5.1975854102991725), ("hc1", 5.556452526809938)] {
        // statsmodels 0.15.0: Logit(...).fit(cov_type="HC0").bse[0]; for HC1
        // sandwich_covariance.cov_white_simple(res, use_correction=True).
        let (code, stdout, stderr) = fit(dir.path(), "m.json", &["--cov", kind]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(
            stdout.contains(&format!("robust, {} sandwich", kind.to_uppercase())),
            "{stdout}"
        );
        let m = model(dir.path(), "m.json");
        assert_eq!(m["options"]["covariance_type"], kind);
        assert!(m.get("cluster").is_none());
        close(&std_errors(&m)[..1], &[first], 1e-8);
    }
}

#[test]
fn profile_intervals_are_stored_and_shown() {
    let dir = files(32);
    let (code, stdout, stderr) = fit(dir.path(), "m.json", &["--ci", "profile", "--firth"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("intervals: profile"), "{stdout}");
    // scipy 1.17 brentq on the Firth-penalised profile (library test's reference):
    // psi (0.31444230067001355, 4.1077271649138005).
    assert!(stdout.contains("0.314442     4.107727"), "{stdout}");
    let m = model(dir.path(), "m.json");
    assert_eq!(m["options"]["interval"], "profile");
    let psi = &m["profile_intervals"][3];
    assert_eq!(psi["term"], "psi");
    close(
        &[psi["low"].as_f64().unwrap(), psi["high"].as_f64().unwrap()],
        &[0.31444230067001355, 4.1077271649138005],
        1e-6,
    );
    // The odds ratios' bounds are exp of the profile bounds, not of the Wald ones.
    let output = recontact(&[
        "summary",
        "--model",
        &path(dir.path(), "m.json"),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["interval"], "profile");
    let row = &summary["terms"][3];
    close(
        &[
            row["odds_ratio_ci_low"].as_f64().unwrap(),
            row["odds_ratio_ci_high"].as_f64().unwrap(),
        ],
        &[
            psi["low"].as_f64().unwrap().exp(),
            psi["high"].as_f64().unwrap().exp(),
        ],
        1e-12,
    );
}

#[test]
fn an_unbounded_side_is_shown_as_such_with_its_note() {
    let dir = files(32);
    let (code, _, stderr) = fit(dir.path(), "m.json", &["--ci", "profile"]);
    assert_eq!(code, Some(0), "{stderr}");
    let mut m = model(dir.path(), "m.json");
    m["profile_intervals"][1]["high"] = serde_json::Value::Null;
    m["profile_intervals"][1]["notes"] =
        serde_json::json!(["upper limit unbounded: the profile log-likelihood levels off"]);
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, m.to_string()).unwrap();
    let output = recontact(&["summary", "--model", edited.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("unbounded\n"), "{stdout}");
    assert!(
        stdout.contains("note: gpa: upper limit unbounded: the profile log-likelihood levels off"),
        "{stdout}"
    );
}

#[test]
fn combinations_without_a_definition_are_usage_errors() {
    let dir = files(32);
    let cases: [(&[&str], &str); 7] = [
        (
            &["--cov", "cluster"],
            "--cov cluster needs --cluster COLUMN",
        ),
        (&["--cluster", "school"], "--cluster is for --cov cluster"),
        (
            &["--cov", "hc0", "--firth"],
            "cannot be combined with --firth",
        ),
        (
            &["--cov", "hc1", "--weights", "school"],
            "cannot be combined with frequency weights",
        ),
        (
            &["--ci", "profile", "--l2", "1"],
            "--ci profile is for maximum-likelihood",
        ),
        (
            &["--cov", "hc1", "--streaming"],
            "--streaming gives the model covariance",
        ),
        (
            &["--ci", "profile", "--streaming"],
            "--streaming gives the model covariance",
        ),
    ];
    for (flags, message) in cases {
        let (code, _, stderr) = fit(dir.path(), "m.json", flags);
        assert_eq!(code, Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
        assert!(
            !dir.path().join("m.json").exists(),
            "{flags:?}: no model file"
        );
    }
    let (code, _, stderr) = fit(
        dir.path(),
        "m.json",
        &["--cov", "cluster", "--cluster", "grade"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the cluster column `grade` is the outcome"),
        "{stderr}"
    );
}

#[test]
fn bad_cluster_columns_are_refused_with_their_place() {
    let dir = files(32);
    let cluster = ["--cov", "cluster", "--cluster", "school"];
    let csv = std::fs::read_to_string(dir.path().join("spector.csv")).unwrap();
    std::fs::write(
        dir.path().join("spector.csv"),
        csv.replacen(",s2\n", ",\n", 1),
    )
    .unwrap();
    let (code, _, stderr) = fit(dir.path(), "m.json", &cluster);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("spector.csv:4: column 5 (school)"),
        "{stderr}"
    );

    let (code, _, stderr) = fit(
        dir.path(),
        "m.json",
        &["--cov", "cluster", "--cluster", "office"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("office"), "{stderr}");

    let single = csv
        .lines()
        .map(|l| {
            l.replace(",s1", ",s0")
                .replace(",s2", ",s0")
                .replace(",s3", ",s0")
                .replace(",s4", ",s0")
                + "\n"
        })
        .collect::<String>();
    std::fs::write(dir.path().join("spector.csv"), single).unwrap();
    let (code, _, stderr) = fit(dir.path(), "m.json", &cluster);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("needs at least 2 clusters"), "{stderr}");
    assert!(!dir.path().join("m.json").exists());
}

#[test]
fn update_reads_the_stored_covariance_for_its_prior() {
    let old = files(32);
    let new = files(20);
    let (code, _, stderr) = fit(old.path(), "hc1.json", &["--cov", "hc1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = fit(old.path(), "model.json", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    // numpy: Newton on ℓ_new(β) − ½ (β − β_old)ᵀ V⁻¹ (β − β_old) over the first 20 rows,
    // V = cov_white_simple(res, use_correction=True) (hc1) or res.cov_params() (model),
    // res the statsmodels fit on all 32 rows; gradient below 2e-13 at the result.
    let cases = [
        (
            "hc1.json",
            [
                -15.918910016845736,
                3.4796071823950707,
                0.12410770803064268,
                2.405723023004069,
            ],
        ),
        (
            "model.json",
            [
                -15.342514516014898,
                3.325682665816265,
                0.12107908455654899,
                2.465688881881077,
            ],
        ),
    ];
    for (name, want) in cases {
        let out: PathBuf = new.path().join(name);
        let output = recontact(&[
            "update",
            "--model",
            &path(old.path(), name),
            "--data",
            &path(new.path(), "spector.csv"),
            "--method",
            "prior",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let updated: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let got: Vec<f64> = updated["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["estimate"].as_f64().unwrap())
            .collect();
        close(&got, &want, 1e-6);
        // The prior fit's own covariance is model-based.
        assert_eq!(updated["options"]["covariance_type"], "model");
    }
}

#[test]
fn robust_and_profile_model_files_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = ["one.json", "four.json"]
        .iter()
        .map(|name| dir.path().join(name))
        .collect();
    for (threads, out) in ["1", "4"].iter().zip(&files) {
        common::with_threads(
            threads,
            &[
                "fit",
                "--data",
                "data/recontact_outcomes.csv",
                "--cov",
                "cluster",
                "--cluster",
                "decline_reason",
                "--ci",
                "profile",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
        );
    }
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(bytes[0] == bytes[1], "byte-identical model files");
    let m: serde_json::Value = serde_json::from_slice(&bytes[0]).unwrap();
    assert_eq!(m["cluster"]["column"], "decline_reason");
    assert_eq!(m["options"]["interval"], "profile");
}
