//! End to end: `recontact simulate` is deterministic and writes files atomically.

mod common;

use common::recontact;

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_differs() {
    let a = recontact(&["simulate", "--n", "1000", "--seed", "7"]);
    let b = recontact(&["simulate", "--n", "1000", "--seed", "7"]);
    let c = recontact(&["simulate", "--n", "1000", "--seed", "8"]);
    assert!(a.status.success() && b.status.success() && c.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    assert_eq!(a.stdout.iter().filter(|&&b| b == b'\n').count(), 1001);
}

#[test]
fn the_documented_command_regenerates_the_committed_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("regenerated.csv");
    let output = recontact(&[
        "simulate",
        "--n",
        "5000",
        "--seed",
        "20261125",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let committed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/recontact_outcomes.csv"
    ))
    .unwrap();
    assert!(std::fs::read(&out).unwrap() == committed);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn simulated_data_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim.csv");
    assert!(recontact(&[
        "simulate",
        "--n",
        "300",
        "--seed",
        "11",
        "-o",
        out.to_str().unwrap()
    ])
    .status
    .success());
    let output = recontact(&["check", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("valid, 300 rows"));
}

#[test]
fn an_unwritable_target_fails_cleanly() {
    let output = recontact(&["simulate", "--n", "10", "--out", "/no/such/folder/x.csv"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/folder/x.csv"));
}
