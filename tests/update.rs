//! End to end: `recontact update`.

mod common;

use common::{recontact, root, text};

#[test]
fn update_writes_a_model_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.csv");
    let csv = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap();
    std::fs::write(
        &new,
        csv.lines().take(1201).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let out = dir.path().join("updated.json");
    let output = recontact(&[
        "update",
        "--model",
        "data/default_model.json",
        "--data",
        new.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        ["original", "intercept", "slope", "refit"].contains(&report["chosen"].as_str().unwrap())
    );
    assert_eq!(report["tests"].as_array().unwrap().len(), 3);
    for key in ["comparison", "lr", "df", "p_value"] {
        assert!(report["tests"][0].get(key).is_some(), "{key}");
    }
    let model: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let parent = &model["provenance"]["parent"];
    let bytes = std::fs::read(root().join("data/default_model.json")).unwrap();
    assert_eq!(
        parent["model_sha256"].as_str().unwrap(),
        recontact_sha256(&bytes)
    );
    assert_eq!(parent["method"], report["chosen"]);

    // The updated model scores like any other.
    let scored = recontact(&[
        "score",
        new.to_str().unwrap(),
        "--model",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(scored.status.code(), Some(0), "{}", text(&scored.stderr));

    let table = recontact(&[
        "update",
        "--model",
        "data/default_model.json",
        "--data",
        new.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--method",
        "slope",
    ]);
    assert_eq!(table.status.code(), Some(0));
    let stdout = text(&table.stdout);
    assert!(
        stdout.contains("Update chosen: slope") && stdout.contains("Calibration on the new data"),
        "{stdout}"
    );

    let output = recontact(&[
        "update",
        "--model",
        "data/default_model.json",
        "--data",
        new.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--method",
        "extend",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("--spec"),
        "{}",
        text(&output.stderr)
    );
}

/// SHA-256 as `sha256sum` prints it, by the system's own tool for independence.
fn recontact_sha256(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .unwrap();
    text(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// An extended spec may add an interaction to a model that already has one: each keeps
/// its own columns (matching terms by kind alone once made the new interaction a copy of
/// the old one, and the extension was refused as "exactly collinear").
#[test]
fn extend_adds_a_second_interaction() {
    let dir = tempfile::tempdir().unwrap();
    let default_spec = std::fs::read_to_string(root().join("data/default_spec.toml")).unwrap();
    let (terms, bounds) = default_spec.split_at(default_spec.find("[bounds]").unwrap());
    let extended = format!(
        "{terms}[[term]]\nkind = \"interaction\"\nbetween = [\"same_contact\", \"transparent\"]\n\n{bounds}"
    );
    let spec = dir.path().join("extended.toml");
    std::fs::write(&spec, extended).unwrap();
    let out = dir.path().join("extended.json");
    let output = recontact(&[
        "update",
        "--model",
        "data/default_model.json",
        "--data",
        "data/recontact_outcomes.csv",
        "--method",
        "extend",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let model: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let names: Vec<&str> = model["terms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["term"].as_str())
        .collect();
    assert!(
        names.contains(&"same_contact:transparent"),
        "the new interaction is in the model: {names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("contact_type=corporate_recruiter:stage_reached=")),
        "the old interaction is kept: {names:?}"
    );
}
