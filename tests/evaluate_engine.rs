//! `recontact evaluate --engine-command … --table …` end to end against the sqlite3
//! client: the same numbers as `recontact evaluate FILE` (to 1e-9), the sample said,
//! flags that need the rows refused, rows with problems refused or dropped. Without a
//! sqlite3 client (`RECONTACT_TEST_SQLITE`, else `sqlite3` on `PATH`) the tests print
//! `skipped: …` and pass, unless `RECONTACT_REQUIRE_ENGINES=1`.

mod common;

use common::{recontact, root, sqlite3_client, sqlite_table, text};

fn assert_numbers_agree(path: &str, engine: &serde_json::Value, memory: &serde_json::Value) {
    use serde_json::Value;
    match (engine, memory) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-3),
                "{path}: {a} in the engine, {b} in memory"
            );
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}");
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                assert_numbers_agree(&format!("{path}[{k}]"), x, y);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (key, x) in a {
                assert_numbers_agree(&format!("{path}.{key}"), x, &b[key]);
            }
        }
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn evaluate_inside_sqlite_gives_the_numbers_of_the_file() {
    let Some(program) = sqlite3_client() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let csv = root().join("data/recontact_outcomes.csv");
    let command = sqlite_table(&program, folder.path(), &csv, "outcomes");
    let inside = recontact(&[
        "evaluate",
        "--engine-command",
        &command,
        "--dialect",
        "sqlite",
        "--table",
        "outcomes",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(inside.status.code(), Some(0), "{}", text(&inside.stderr));
    let file = recontact(&[
        "evaluate",
        "data/recontact_outcomes.csv",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(file.status.code(), Some(0), "{}", text(&file.stderr));
    let mut inside: serde_json::Value = serde_json::from_slice(&inside.stdout).unwrap();
    let mut file: serde_json::Value = serde_json::from_slice(&file.stdout).unwrap();
    let engine = inside["inside_engine"].take();
    assert_eq!(engine["of_rows"], 5000);
    assert_eq!(engine["sample_rows"], 5000);
    assert_eq!(engine["rows_dropped"], 0);
    assert_eq!(engine["from_sample"][0], "ici");
    inside.as_object_mut().unwrap().remove("inside_engine");
    for json in [&mut inside, &mut file] {
        json.as_object_mut().unwrap().remove("predictions");
    }
    assert_numbers_agree("", &inside, &file);

    let table = recontact(&[
        "evaluate",
        "--engine-command",
        &command,
        "--dialect",
        "sqlite",
        "--table",
        "outcomes",
        "--sample-rows",
        "1000",
    ]);
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    let out = text(&table.stdout);
    assert!(out.contains("from a sample of 1000 rows of 5000"), "{out}");
    assert!(out.contains("AUC (c-statistic)"), "{out}");
    assert!(text(&table.stderr).contains("queries"));
}

#[test]
fn flags_that_need_the_rows_are_refused_inside_an_engine() {
    let out = recontact(&[
        "evaluate",
        "--engine-command",
        "sqlite3 -bail none.db",
        "--dialect",
        "sqlite",
        "--table",
        "outcomes",
        "--plot",
        "x.svg",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--plot"),
        "{}",
        text(&out.stderr)
    );
    let out = recontact(&["evaluate", "data/recontact_outcomes.csv", "--drop-invalid"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("inside an engine"));
}

#[test]
fn rows_with_problems_are_refused_with_their_reasons_unless_dropped() {
    let Some(program) = sqlite3_client() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let mut csv = std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap();
    csv.push_str("rc-900001,temp_agency,screening_call,accepted_other_offer,3,open,true,false,true,true,4,1\n");
    let path = folder.path().join("bad.csv");
    std::fs::write(&path, csv).unwrap();
    let command = sqlite_table(&program, folder.path(), &path, "outcomes");
    let args = [
        "evaluate",
        "--engine-command",
        &command,
        "--dialect",
        "sqlite",
        "--table",
        "outcomes",
    ];
    let refused = recontact(&args);
    assert_eq!(refused.status.code(), Some(1));
    let message = text(&refused.stderr);
    assert!(
        message.contains("contact_type: unknown level: 1"),
        "{message}"
    );
    assert!(message.contains("--drop-invalid"), "{message}");
    let mut dropping = args.to_vec();
    dropping.push("--drop-invalid");
    let dropped = recontact(&dropping);
    assert_eq!(dropped.status.code(), Some(0), "{}", text(&dropped.stderr));
    assert!(text(&dropped.stderr).contains("dropped 1 of 5001 rows"));
}
