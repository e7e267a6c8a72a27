//! `recontact fit --engine … --table …` as a user runs it: the model file equals the
//! in-memory fit's to 1e-9 (estimates, standard errors), names the engine, the table and
//! the rows; bad rows are counted and refused (exit 1) or dropped with --drop-invalid;
//! flags that do not go together are usage errors (exit 2), an engine that cannot be
//! reached an environment error (exit 3). Against the sqlite3 client (CI has it) and a
//! PostgreSQL server when `RECONTACT_TEST_POSTGRES` names one.

mod common;

use std::path::Path;
use std::process::Command;

use common::{engines_required, recontact, sqlite3_client, sqlite_table};

fn model(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Estimates and standard errors of two model files agree to 1e-9 relative.
fn assert_same_fit(a: &serde_json::Value, b: &serde_json::Value) {
    let (ta, tb) = (
        a["terms"].as_array().unwrap(),
        b["terms"].as_array().unwrap(),
    );
    assert_eq!(ta.len(), tb.len());
    for (x, y) in ta.iter().zip(tb) {
        assert_eq!(x["term"], y["term"]);
        for key in ["estimate", "std_error"] {
            let (u, v) = (x[key].as_f64().unwrap(), y[key].as_f64().unwrap());
            assert!(
                (u - v).abs() <= 1e-9 * v.abs().max(1e-3),
                "{} {key}: {u} vs {v}",
                x["term"]
            );
        }
    }
    assert_eq!(a["encoding"], b["encoding"]);
}

#[test]
fn the_sqlite3_client_fits_the_committed_data_as_in_memory() {
    let Some(program) = sqlite3_client() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/recontact_outcomes.csv");
    let command = sqlite_table(&program, folder.path(), &csv, "outcomes");
    let (engine, memory) = (
        folder.path().join("engine.json"),
        folder.path().join("memory.json"),
    );
    let out = recontact(&[
        "fit",
        "--engine-command",
        &command,
        "--dialect",
        "sqlite",
        "--table",
        "outcomes",
        "-o",
        engine.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fitted inside sqlite client"), "{stderr}");
    let out = recontact(&[
        "fit",
        "data/recontact_outcomes.csv",
        "-q",
        "-o",
        memory.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let (engine, memory) = (model(&engine), model(&memory));
    assert_same_fit(&engine, &memory);
    let provenance = &engine["provenance"];
    assert_eq!(provenance["input_file"], "outcomes");
    assert_eq!(provenance["rows_used"], 5000);
    assert!(provenance["engine"]
        .as_str()
        .unwrap()
        .starts_with("sqlite client"));
}

#[test]
fn bad_rows_are_refused_with_counts_or_dropped() {
    let Some(program) = sqlite3_client() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut text = std::fs::read_to_string(root.join("tests/data/weighted_offset.csv")).unwrap();
    text.push_str("0,,3,north,1,0\n2,0.5,3,north,1,0\n");
    let csv = folder.path().join("bad.csv");
    std::fs::write(&csv, &text).unwrap();
    let command = sqlite_table(&program, folder.path(), &csv, "rows");
    let out_path = folder.path().join("m.json");
    let args = [
        "fit",
        "--engine-command",
        &command,
        "--dialect",
        "sqlite",
        "--table",
        "rows",
        "--spec",
        "tests/data/weighted_offset.toml",
        "-q",
        "-o",
        out_path.to_str().unwrap(),
    ];
    let out = recontact(&args);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "2 of 3002 rows have invalid values (x1: value is empty: 1; y: not an outcome: 1)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("--drop-invalid"), "{stderr}");
    assert!(!out_path.exists());
    let mut dropping = args.to_vec();
    dropping.push("--drop-invalid");
    let out = recontact(&dropping);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let memory_path = folder.path().join("memory.json");
    let out = recontact(&[
        "fit",
        csv.to_str().unwrap(),
        "--spec",
        "tests/data/weighted_offset.toml",
        "--drop-invalid",
        "-q",
        "-o",
        memory_path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let (engine, memory) = (model(&out_path), model(&memory_path));
    assert_same_fit(&engine, &memory);
    assert_eq!(
        engine["provenance"]["dropped_reasons"],
        memory["provenance"]["dropped_reasons"]
    );
}

#[test]
fn flags_that_do_not_go_together_and_unreachable_engines() {
    let usage = |args: &[&str], says: &str| {
        let out = recontact(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    usage(
        &["fit", "--table", "t", "-o", "/tmp/never.json"],
        "--table needs an engine",
    );
    usage(
        &[
            "fit",
            "data/recontact_outcomes.csv",
            "--engine",
            "postgres",
            "--connect",
            "postgresql://x@127.0.0.1/db",
            "--table",
            "t",
            "-o",
            "/tmp/never.json",
        ],
        "not both",
    );
    usage(
        &[
            "fit",
            "--engine",
            "postgres",
            "--table",
            "t",
            "-o",
            "/tmp/never.json",
        ],
        "--connect",
    );
    usage(
        &[
            "fit",
            "--engine-command",
            "sqlite3",
            "--table",
            "t",
            "-o",
            "/tmp/never.json",
        ],
        "--dialect",
    );
    usage(&["fit", "-o", "/tmp/never.json"], "give the data");
    let out = recontact(&[
        "fit",
        "--engine",
        "postgres",
        "--connect",
        "postgresql://nobody@127.0.0.1:1/db",
        "--table",
        "t",
        "-o",
        "/tmp/never.json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let out = recontact(&[
        "fit",
        "--engine-command",
        "exit 4",
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "-o",
        "/tmp/never.json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exit status: 4"));
}

#[test]
fn a_postgres_server_fits_over_its_protocol() {
    let Some(url) = std::env::var("RECONTACT_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(!engines_required(), "RECONTACT_TEST_POSTGRES is required");
        println!("skipped: no PostgreSQL server");
        return;
    };
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/recontact_outcomes.csv");
    let header = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let columns: Vec<String> = header.split(',').map(|c| format!("{c} TEXT")).collect();
    let create = format!(
        "DROP TABLE IF EXISTS cli_outcomes; CREATE TABLE cli_outcomes ({})",
        columns.join(", ")
    );
    let copy = format!(
        "\\copy cli_outcomes FROM '{}' WITH (FORMAT csv, HEADER true)",
        csv.display()
    );
    let psql = std::env::var("RECONTACT_TEST_PSQL").unwrap_or_else(|_| "psql".into());
    for command in [create, copy] {
        let status = Command::new(&psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &url, "-c", &command])
            .status()
            .unwrap();
        assert!(status.success(), "{command}");
    }
    let folder = tempfile::tempdir().unwrap();
    let (engine, memory) = (
        folder.path().join("engine.json"),
        folder.path().join("memory.json"),
    );
    let out = recontact(&[
        "fit",
        "--engine",
        "postgres",
        "--connect",
        &url,
        "--table",
        "cli_outcomes",
        "-q",
        "-o",
        engine.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = recontact(&[
        "fit",
        "data/recontact_outcomes.csv",
        "-q",
        "-o",
        memory.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let engine = model(&engine);
    assert_same_fit(&engine, &model(&memory));
    let name = engine["provenance"]["engine"].as_str().unwrap();
    assert!(
        name.starts_with("postgres://") && !name.contains("password"),
        "{name}"
    );
}
