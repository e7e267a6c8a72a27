//! End to end: `recontact fit` and `recontact summary` on real files.

mod common;

use std::path::Path;

use common::{recontact, root, text};

#[test]
fn the_default_spec_fits_the_committed_data_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for out in [&a, &b] {
        let output = recontact(&[
            "fit",
            "--data",
            "data/recontact_outcomes.csv",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert!(
            stdout.contains("contact_type=corporate_recruiter:stage_reached=presented_to_manager"),
            "{stdout}"
        );
        assert!(stdout.contains("days_since_decline:log1p"), "{stdout}");
        assert!(stdout.contains("converged true"), "{stdout}");
    }
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "byte-identical model files"
    );

    let output = recontact(&[
        "summary",
        "--model",
        a.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in [
        "terms",
        "log_likelihood",
        "null_log_likelihood",
        "aic",
        "bic",
        "n",
        "events",
        "iterations",
        "converged",
    ] {
        assert!(summary.get(key).is_some(), "{key} missing");
    }
    let first = &summary["terms"][0];
    for key in [
        "term",
        "estimate",
        "std_error",
        "z",
        "p_value",
        "ci_low",
        "ci_high",
    ] {
        assert!(first.get(key).is_some(), "terms[].{key} missing");
    }
    assert_eq!(summary["n"], 5000.0);
    assert_eq!(summary["events"], 2138.0);
}

#[test]
fn term_flags_are_equivalent_to_a_spec_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = "crates/scoring/tests/fixtures/birthwt.csv";
    let by_flags = dir.path().join("flags.json");
    let output = recontact(&[
        "fit",
        "--data",
        data,
        "--outcome",
        "low",
        "--numeric",
        "age,lwt",
        "--categorical",
        "race=1",
        "--boolean",
        "smoke,ht,ui",
        "--out",
        by_flags.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "--quiet prints nothing");

    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "outcome = \"low\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"age\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"lwt\"\n\
[[term]]\nkind = \"boolean\"\ncolumn = \"smoke\"\n[[term]]\nkind = \"boolean\"\ncolumn = \"ht\"\n\
[[term]]\nkind = \"boolean\"\ncolumn = \"ui\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"race\"\nreference = \"1\"\n",
    )
    .unwrap();
    let by_file = dir.path().join("file.json");
    let output = recontact(&[
        "fit",
        "--data",
        data,
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        by_file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let coefficients = |path: &Path| -> Vec<(String, f64)> {
        let model: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let mut terms: Vec<(String, f64)> = model["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["term"].as_str().unwrap().to_string(),
                    t["estimate"].as_f64().unwrap(),
                )
            })
            .collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        terms
    };
    let (a, b) = (coefficients(&by_flags), coefficients(&by_file));
    assert_eq!(a.len(), b.len());
    for ((na, va), (nb, vb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(
            (va - vb).abs() < 1e-9 * va.abs().max(1.0),
            "{na}: {va} vs {vb}"
        );
    }
}

#[test]
fn bad_data_and_bad_specs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let out = out.to_str().unwrap();

    let bad = dir.path().join("bad.csv");
    let mut csv = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap();
    csv = csv.replacen(",6.2,", ",six,", 1);
    std::fs::write(&bad, &csv).unwrap();
    let line = csv.lines().position(|l| l.contains(",six,")).unwrap() + 1;
    let output = recontact(&["fit", "--data", bad.to_str().unwrap(), "--out", out]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "bad.csv:{line}: column 11 (years_experience): not a finite number \"six\""
        )),
        "{stderr}"
    );
    assert!(!Path::new(out).exists(), "no model file after a failed fit");

    let output = recontact(&[
        "fit",
        "--data",
        bad.to_str().unwrap(),
        "--out",
        out,
        "--drop-invalid",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        text(&output.stderr).contains("dropped 1 of 5000 rows"),
        "{}",
        text(&output.stderr)
    );

    let separated = dir.path().join("sep.csv");
    let rows: String = (0..30)
        .map(|i| format!("{},{i}\n", u8::from(i > 14)))
        .collect();
    std::fs::write(&separated, format!("y,x\n{rows}")).unwrap();
    let output = recontact(&[
        "fit",
        "--data",
        separated.to_str().unwrap(),
        "--outcome",
        "y",
        "--numeric",
        "x",
        "--out",
        out,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("complete separation"),
        "{}",
        text(&output.stderr)
    );
    let output = recontact(&[
        "fit",
        "--data",
        separated.to_str().unwrap(),
        "--outcome",
        "y",
        "--numeric",
        "x",
        "--firth",
        "--out",
        out,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let output = recontact(&[
        "fit",
        "--data",
        separated.to_str().unwrap(),
        "--outcome",
        "y",
        "--numeric",
        "nope",
        "--out",
        out,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("column nope: required column is missing from the header"),
        "{}",
        text(&output.stderr)
    );

    let spec = dir.path().join("bad.toml");
    std::fs::write(
        &spec,
        "outcome = \"y\"\n[[term]]\nkind = \"numerical\"\ncolumn = \"x\"\n",
    )
    .unwrap();
    let output = recontact(&[
        "fit",
        "--data",
        separated.to_str().unwrap(),
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("numerical"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn summary_refuses_a_broken_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    std::fs::write(&model, "{\"schema_version\": 1, \"spec\": ").unwrap();
    let output = recontact(&["summary", "--model", model.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("not a recontact model file"),
        "{}",
        text(&output.stderr)
    );
    let output = recontact(&["summary", "--model", "no-such-model.json"]);
    assert_eq!(output.status.code(), Some(3));
}

#[test]
fn a_streaming_fit_writes_the_in_memory_model() {
    let dir = tempfile::tempdir().unwrap();
    let (memory, streamed) = (dir.path().join("m.json"), dir.path().join("s.json"));
    for (out, extra) in [(&memory, None), (&streamed, Some("--streaming"))] {
        let mut args = vec!["fit", "--data", "data/recontact_outcomes.csv", "--quiet"];
        args.extend(extra);
        args.extend(["--out", out.to_str().unwrap()]);
        let output = recontact(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let read = |path: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let (a, b) = (read(&memory), read(&streamed));
    assert_eq!(a["encoding"], b["encoding"]);
    assert_eq!(a["provenance"], b["provenance"]);
    for (x, y) in a["terms"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["terms"].as_array().unwrap())
    {
        let (x, y) = (
            x["estimate"].as_f64().unwrap(),
            y["estimate"].as_f64().unwrap(),
        );
        assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} {y}");
    }

    for (args, message) in [
        (
            vec!["fit", "--streaming", "--data", "-", "--out", "x.json"],
            "needs a file, not `-`",
        ),
        (
            vec![
                "fit",
                "--streaming",
                "--firth",
                "--data",
                "data/recontact_outcomes.csv",
                "--out",
                "x.json",
            ],
            "cannot fit with --firth",
        ),
    ] {
        let output = recontact(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            text(&output.stderr).contains(message),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn model_files_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.csv");
    let cases = cases.to_str().unwrap();
    common::with_threads(
        "1",
        &["simulate", "--n", "40000", "--seed", "4", "--out", cases],
    );
    for streaming in [false, true] {
        let models: Vec<Vec<u8>> = ["1", "2", "3"]
            .iter()
            .map(|threads| {
                let out = dir.path().join(format!("model_{threads}_{streaming}.json"));
                let out = out.to_str().unwrap();
                let mut args = vec!["fit", "--data", cases, "--out", out, "--quiet"];
                if streaming {
                    args.push("--streaming");
                }
                common::with_threads(threads, &args);
                std::fs::read(out).unwrap()
            })
            .collect();
        assert!(
            models[0] == models[1] && models[1] == models[2],
            "streaming {streaming}"
        );
    }
}
