//! End to end: hostile model files, built from data/default_model.json, are refused by
//! every command that reads a model, with exit 1, the field path and no panic; files
//! that cannot be read at all are exit 3. A row too extreme for the model is rejected,
//! never written with an infinite logit.

mod common;

use std::path::Path;

use common::{recontact, recontact_with_input, root, text};
use serde_json::{json, Value};

fn default_model() -> Value {
    let bytes = std::fs::read(root().join("data/default_model.json")).expect("the model");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The default model with `days_since_decline` (term 4) as an rcs term with `knots`.
fn with_rcs(knots: Value) -> Value {
    let mut model = default_model();
    model["spec"]["term"][4] = json!({"kind": "rcs", "column": "days_since_decline"});
    model["encoding"]["terms"][4] =
        json!({"kind": "rcs", "column": "days_since_decline", "knots": knots});
    model
}

fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut model = default_model();
    edit(&mut model);
    model
}

/// Every hostile model: its name, its bytes and what the error must say.
fn hostile_models() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let json = |value: Value| value.to_string().into_bytes();
    let default_text = default_model().to_string();
    let mut not_utf8 = default_text.clone().into_bytes();
    let at = default_text.find("agency_recruiter").expect("a level");
    not_utf8[at] = 0xFF;
    vec![
        (
            "rcs with no knots",
            json(with_rcs(json!([]))),
            "invalid model: encoding.terms[4].knots: 0 knot(s) given; a rcs term needs at least 3",
        ),
        (
            "rcs with one knot",
            json(with_rcs(json!([5.0]))),
            "encoding.terms[4].knots: 1 knot(s) given; a rcs term needs at least 3",
        ),
        (
            "tied knots",
            json(with_rcs(json!([5.0, 5.0, 5.0]))),
            "encoding.terms[4].knots: knots [5.0, 5.0, 5.0] are not strictly increasing",
        ),
        (
            "decreasing knots",
            json(with_rcs(json!([30.0, 10.0, 2.0]))),
            "encoding.terms[4].knots: knots [30.0, 10.0, 2.0] are not strictly increasing",
        ),
        (
            "huge coefficient",
            json(edited(|m| m["terms"][5]["estimate"] = json!(1.7e308))),
            "terms[5].estimate: 1.7e308 is too large; allowed: magnitude at most 1e100",
        ),
        (
            "huge negative coefficient",
            json(edited(|m| m["terms"][0]["estimate"] = json!(-1.7e308))),
            "terms[0].estimate: -1.7e308 is too large",
        ),
        (
            "reference not among the levels",
            json(edited(|m| {
                m["spec"]["term"][0]["reference"] = json!("nobody");
                m["encoding"]["terms"][0]["reference"] = json!("nobody");
            })),
            "encoding.terms[0].reference: reference level \"nobody\" is not among the levels",
        ),
        (
            "coefficient missing",
            json(edited(|m| {
                m["terms"].as_array_mut().expect("array").pop();
            })),
            "terms: 22 coefficients stored but the encoding has 23 design columns",
        ),
        (
            "covariance row missing",
            json(edited(|m| {
                m["covariance"].as_array_mut().expect("array").pop();
            })),
            "covariance: 22 rows stored but the encoding has 23 design columns",
        ),
        (
            "covariance not symmetric",
            json(edited(|m| m["covariance"][1][2] = json!(5.0))),
            "covariance[1][2]: the covariance matrix is not symmetric",
        ),
        (
            "spec and encoding disagree",
            json(edited(|m| {
                m["spec"]["term"][4]["transform"] = json!("none")
            })),
            "encoding.terms[4]: the encoding has",
        ),
        (
            "interaction on a missing term",
            json(edited(|m| {
                m["spec"]["term"][2]["between"][1] = json!("salary");
                m["encoding"]["terms"][2]["between"][1] = json!("salary");
            })),
            "encoding.terms[2].between[1]: interaction refers to `salary`, which has no main term",
        ),
        (
            "schema_version a string",
            json(edited(|m| m["schema_version"] = json!("1"))),
            "schema_version must be an integer, found the string \"1\"",
        ),
        (
            "schema_version a float",
            json(edited(|m| m["schema_version"] = json!(1.0))),
            "schema_version must be an integer, found the number 1.0",
        ),
        (
            "schema_version newer",
            json(edited(|m| m["schema_version"] = json!(2))),
            "model schema version 2 is newer than this tool reads (1); upgrade recontact",
        ),
        (
            "schema_version missing",
            json(edited(|m| {
                m.as_object_mut().expect("object").remove("schema_version");
            })),
            "no schema_version: expected the integer 1",
        ),
        (
            "not UTF-8",
            not_utf8,
            "the model file is not UTF-8 text: byte 0xFF at byte offset",
        ),
    ]
}

/// Every command that reads `--model`, with what else it needs; `out` is a path it may write.
fn commands_reading(model: &str, out: &str) -> Vec<Vec<String>> {
    let case = [
        "--contact-type",
        "corporate_recruiter",
        "--stage-reached",
        "screening_call",
        "--decline-reason",
        "accepted_other_offer",
        "--days-since-decline",
        "10",
        "--position-status",
        "unknown",
        "--same-contact",
        "true",
        "--misrepresentation",
        "false",
        "--transparent",
        "true",
        "--open-to-reinterview",
        "true",
        "--years-experience",
        "8",
    ];
    let data = "data/recontact_outcomes.csv";
    let commands: Vec<Vec<&str>> = vec![
        vec!["score", data, "--model", model, "-o", out],
        vec!["evaluate", "--model", model, "--data", data],
        [vec!["advise", "--model", model], case.to_vec()].concat(),
        vec![
            "export",
            "--model",
            model,
            "--format",
            "sql",
            "--dialect",
            "postgres",
        ],
        vec!["scorecard", "--model", model],
        vec!["summary", "--model", model],
        vec!["update", "--model", model, "--data", data, "--out", out],
    ];
    commands
        .into_iter()
        .map(|c| c.into_iter().map(str::to_string).collect())
        .collect()
}

fn run(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    recontact(&args)
}

#[test]
fn every_command_refuses_every_hostile_model_with_the_field() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("out");
    for (name, bytes, expected) in hostile_models() {
        let path = dir.path().join("model.json");
        std::fs::write(&path, &bytes).expect("written");
        let model = path.to_str().expect("UTF-8 path");
        for command in commands_reading(model, out.to_str().expect("UTF-8 path")) {
            let output = run(&command);
            let stderr = text(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{name}: {command:?}: {stderr}"
            );
            assert!(
                stderr.starts_with(&format!("error: {model}: ")) && stderr.contains(expected),
                "{name}: {command:?}: expected {expected:?} in {stderr}"
            );
            assert!(output.stdout.is_empty(), "{name}: {command:?}");
            assert!(!out.exists(), "{name}: {command:?} wrote its output");
        }
    }
}

#[test]
fn a_model_with_a_byte_order_mark_loads_like_a_spec_with_one() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let model = dir.path().join("model.json");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(root().join("data/default_model.json")).expect("the model"));
    std::fs::write(&model, &bytes).expect("written");
    let with_mark = recontact(&["summary", "--model", model.to_str().expect("UTF-8")]);
    assert_eq!(
        with_mark.status.code(),
        Some(0),
        "{}",
        text(&with_mark.stderr)
    );
    let plain = recontact(&["summary", "--model", "data/default_model.json"]);
    assert_eq!(with_mark.stdout, plain.stdout);

    let spec = dir.path().join("spec.toml");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(root().join("data/default_spec.toml")).expect("the spec"));
    std::fs::write(&spec, &bytes).expect("written");
    let small = dir.path().join("small.csv");
    let csv = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).expect("data");
    std::fs::write(
        &small,
        csv.lines().take(401).collect::<Vec<_>>().join("\n") + "\n",
    )
    .expect("written");
    let fitted = dir.path().join("fitted.json");
    let output = recontact(&[
        "fit",
        "--data",
        small.to_str().expect("UTF-8"),
        "--spec",
        spec.to_str().expect("UTF-8"),
        "--out",
        fitted.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn spec_and_model_files_that_are_not_utf8_are_refused_alike() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, b"outcome = \"succ\xE9ss\"\n").expect("written");
    let spec = spec.to_str().expect("UTF-8");
    let out = dir.path().join("model.json");
    let output = recontact(&[
        "fit",
        "--data",
        "data/recontact_outcomes.csv",
        "--spec",
        spec,
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    // An unusable spec is a usage error (2); the message has the same form as a model file's.
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {spec}: the spec file is not UTF-8 text: byte 0xE9 at byte offset 15 \
             (counting from 0) is not valid; allowed: UTF-8 text\n"
        )
    );
}

#[test]
fn files_over_the_limit_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let huge = dir.path().join("huge");
    // Sparse: 100 MB of length without the bytes on disk.
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(100_000_000))
        .expect("a sparse file");
    let huge = huge.to_str().expect("UTF-8");
    let started = std::time::Instant::now();
    let output = recontact(&["summary", "--model", huge]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {huge}: the model file is 100000000 bytes; allowed: at most 67108864 bytes \
             (64 MiB)\n"
        )
    );
    let out = dir.path().join("model.json");
    let data = "data/recontact_outcomes.csv";
    let output = recontact(&[
        "fit",
        "--data",
        data,
        "--spec",
        huge,
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr)
            .contains("the spec file is 100000000 bytes; allowed: at most 1048576 bytes (1 MiB)"),
        "{}",
        text(&output.stderr)
    );
    for command in commands_reading(huge, &dir.path().join("out").display().to_string()) {
        let output = run(&command);
        assert_eq!(output.status.code(), Some(1), "{command:?}");
        assert!(text(&output.stderr).contains("allowed: at most 67108864 bytes"));
    }
    assert!(started.elapsed().as_secs() < 60, "refused without reading");
}

#[test]
fn a_case_file_read_from_a_pipe_is_bounded_too() {
    let big = vec![b' '; 2 * 1024 * 1024];
    let output = recontact_with_input(&["advise", "--json", "-"], Some(&big));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "error: <stdin>: the case file is more than 1048576 bytes; allowed: at most 1048576 \
         bytes (1 MiB)\n"
    );
}

#[test]
fn a_model_file_that_cannot_be_read_is_an_io_failure() {
    let output = recontact(&["summary", "--model", "no/such/model.json"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stderr).starts_with("error: no/such/model.json: cannot open:"));
    let output = recontact(&["summary", "--model", "data"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "error: data: is a folder, expected a file\n"
    );
}

/// The default model without bounds and with a coefficient of 10 on years_experience, so
/// that a finite but huge value overflows the logit.
fn overflowing_model(dir: &Path) -> String {
    let mut model = default_model();
    model["spec"]
        .as_object_mut()
        .expect("object")
        .remove("bounds");
    let last = model["terms"].as_array().expect("array").len() - 1;
    assert_eq!(model["terms"][last]["term"], "years_experience");
    model["terms"][last]["estimate"] = json!(10.0);
    let path = dir.join("overflowing.json");
    std::fs::write(&path, model.to_string()).expect("written");
    path.display().to_string()
}

#[test]
fn a_row_that_overflows_the_logit_is_rejected_not_written() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let model = overflowing_model(dir.path());
    let csv = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).expect("data");
    let mut lines: Vec<String> = csv.lines().take(4).map(str::to_string).collect();
    lines[2] = lines[2].replace(",1.8,", ",1e308,");
    let input = lines.join("\n") + "\n";
    let rejects = dir.path().join("rejects.csv");
    for explain in [false, true] {
        let mut args = vec![
            "score",
            "-",
            "--model",
            &model,
            "--on-invalid",
            "skip",
            "--rejects",
            rejects.to_str().expect("UTF-8"),
        ];
        if explain {
            args.push("--explain");
        }
        let output = recontact_with_input(&args, Some(input.as_bytes()));
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let scored = text(&output.stdout);
        assert_eq!(scored.lines().count(), 3, "{scored}");
        assert!(
            !scored.contains("inf") && !scored.contains("NaN"),
            "{scored}"
        );
        assert!(!scored.contains("rc-000002"), "{scored}");
        let rejected = std::fs::read_to_string(&rejects).expect("rejects");
        assert!(
            rejected.contains(
                "3,\"the values are too extreme for the model: its logit is not finite \"\"inf\"\"; \
                 allowed: values for which every term's contribution and the logit are finite\",\
                 rc-000002,"
            ),
            "{rejected}"
        );
    }
    let output = recontact_with_input(&["score", "-", "--model", &model], Some(input.as_bytes()));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("<stdin>:3: the values are too extreme for the model"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn evaluate_and_update_refuse_a_row_that_overflows() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let model = overflowing_model(dir.path());
    let csv = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).expect("data");
    let mut lines: Vec<String> = csv.lines().take(1201).map(str::to_string).collect();
    lines[2] = lines[2].replace(",1.8,", ",1e308,");
    let data = dir.path().join("data.csv");
    std::fs::write(&data, lines.join("\n") + "\n").expect("written");
    let data = data.to_str().expect("UTF-8");
    let output = recontact(&["evaluate", "--model", &model, "--data", data]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr)
            .contains(": data row 2: the model's logit is inf, not a finite number"),
        "{}",
        text(&output.stderr)
    );
    let out = dir.path().join("updated.json");
    let output = recontact(&[
        "update",
        "--model",
        &model,
        "--data",
        data,
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("data row 2: the old model's linear predictor is inf"),
        "{}",
        text(&output.stderr)
    );
    assert!(!out.exists());
}
