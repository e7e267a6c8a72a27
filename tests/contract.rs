//! The data contract holds in every command: under the default spec an unknown level is
//! refused by `fit`, `evaluate`, `validate` and `update` exactly as `check` refuses it;
//! any spec can pin levels; `check` validates any file against a spec or a model; every
//! size a user can reach has a bound that ends in a clear error, never an abort.

mod common;

use std::path::{Path, PathBuf};

use common::{recontact, root, text};

const DATA: &str = "data/recontact_outcomes.csv";

/// The committed data with `contact_type` rewritten on the first `rows` rows that have
/// `hiring_manager` there; returns the file and the first rewritten line.
fn with_unknown_level(dir: &Path, rows: usize) -> (PathBuf, u64) {
    let committed = std::fs::read_to_string(root().join(DATA)).unwrap();
    let mut out = String::new();
    let mut changed = 0;
    let mut first = 0;
    for (index, line) in committed.lines().enumerate() {
        if changed < rows && line.contains(",hiring_manager,") {
            out += &line.replacen(",hiring_manager,", ",Hiring Manager,", 1);
            changed += 1;
            if first == 0 {
                first = index as u64 + 1;
            }
        } else {
            out += line;
        }
        out.push('\n');
    }
    let path = dir.join(format!("unknown_{rows}.csv"));
    std::fs::write(&path, out).unwrap();
    (path, first)
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = recontact(args);
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn the_default_spec_refuses_an_unknown_level_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.json");
    let out = out.to_str().unwrap();
    for rows in [1, 232] {
        let (file, line) = with_unknown_level(dir.path(), rows);
        let file = file.to_str().unwrap();
        let expected = format!(
            "{file}:{line}: column 2 (contact_type): unknown level \"Hiring Manager\"; allowed: one of agency_recruiter, corporate_recruiter, hiring_manager"
        );
        let commands: [Vec<&str>; 6] = [
            vec!["check", file],
            vec!["fit", "--data", file, "--out", out],
            vec![
                "fit",
                "--data",
                file,
                "--spec",
                "data/default_spec.toml",
                "--out",
                out,
            ],
            vec!["fit", "--streaming", "--data", file, "--out", out],
            vec!["evaluate", "--data", file],
            vec![
                "validate",
                "--data",
                file,
                "--folds",
                "2",
                "--bootstrap",
                "0",
            ],
        ];
        for args in &commands {
            let (code, _, stderr) = run(args);
            assert_eq!(code, Some(1), "{args:?}: {stderr}");
            assert!(stderr.contains(&expected), "{args:?}: {stderr}");
            assert!(!stderr.contains("collinear") && !stderr.contains("separation"));
        }
        let (code, _, stderr) = run(&[
            "update",
            "--model",
            "data/default_model.json",
            "--data",
            file,
            "--out",
            out,
        ]);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains(&expected), "{stderr}");
        assert!(!Path::new(out).exists(), "a refused fit wrote a model");
    }
}

#[test]
fn dropping_invalid_rows_counts_the_unknown_levels() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = with_unknown_level(dir.path(), 232);
    let out = dir.path().join("model.json");
    let (code, _, stderr) = run(&[
        "fit",
        "--data",
        file.to_str().unwrap(),
        "--drop-invalid",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("dropped 232 of 5000 rows")
            && stderr.contains("232  contact_type: unknown level"),
        "{stderr}"
    );
    let model = std::fs::read_to_string(&out).unwrap();
    assert!(!model.contains("Hiring Manager"));
}

#[test]
fn any_spec_can_pin_levels_in_toml_or_by_flag() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    let mut rows = String::from("y,c\n");
    for i in 0..40 {
        rows += &format!("{},{}\n", i % 2, ["a", "b"][i % 3 % 2]);
    }
    rows += "1,B\n";
    std::fs::write(&csv, &rows).unwrap();
    let spec = dir.path().join("s.toml");
    std::fs::write(
        &spec,
        "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"c\"\nlevels = [\"a\", \"b\"]\n",
    )
    .unwrap();
    let out = dir.path().join("m.json");
    let (csv, spec, out) = (
        csv.to_str().unwrap(),
        spec.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let expected = format!("{csv}:42: column 2 (c): unknown level \"B\"; allowed: one of a, b");
    let (code, _, stderr) = run(&["fit", "--data", csv, "--spec", spec, "--out", out]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    let (code, _, stderr) = run(&[
        "fit",
        "--data",
        csv,
        "--outcome",
        "y",
        "--categorical",
        "c",
        "--levels",
        "c=a,b",
        "--out",
        out,
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    let (code, _, stderr) = run(&[
        "fit",
        "--data",
        csv,
        "--outcome",
        "y",
        "--categorical",
        "c",
        "--levels",
        "d=a",
        "--out",
        out,
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no categorical term for `d`"), "{stderr}");

    // Unpinned, the stray level is fitted, with a warning naming its count and line.
    let (code, _, stderr) = run(&[
        "fit",
        "--data",
        csv,
        "--outcome",
        "y",
        "--categorical",
        "c",
        "--l2",
        "1",
        "--out",
        out,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: {csv}: column c: level \"B\" is in only 1 row, first on line 42"
        )),
        "{stderr}"
    );
}

#[test]
fn check_validates_any_file_against_a_spec_or_a_model() {
    let (code, stdout, stderr) = run(&["check", "--model", "data/default_model.json", DATA]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(
            "valid against model data/default_model.json, 5000 rows; outcome `success` present"
        ),
        "{stdout}"
    );
    let dir = tempfile::tempdir().unwrap();
    // Cases to score have no outcome; a number beyond the spec's bounds is named.
    let cases = dir.path().join("cases.csv");
    let committed = std::fs::read_to_string(root().join(DATA)).unwrap();
    let mut lines: Vec<String> = committed
        .lines()
        .take(4)
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    lines[2] = lines[2].replacen(",false,", ",maybe,", 1);
    std::fs::write(&cases, lines.join("\n") + "\n").unwrap();
    let cases = cases.to_str().unwrap();
    let (code, _, stderr) = run(&["check", "--spec", "data/default_spec.toml", cases]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("error: {cases}:3: column")),
        "{stderr}"
    );
    assert!(stderr.contains("not a boolean \"maybe\""), "{stderr}");
    assert!(
        stderr.contains("invalid against spec data/default_spec.toml: 1 problem in 1 row (showing 1); 2 valid rows"),
        "{stderr}"
    );
    let numbers = dir.path().join("n.csv");
    std::fs::write(&numbers, "x,y\n1,0\n2,1\nseven,1\n").unwrap();
    let numbers = numbers.to_str().unwrap();
    let (code, _, stderr) = run(&["check", numbers, "--outcome", "y", "--numeric", "x"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{numbers}:4: column 1 (x): not a finite number \"seven\""
        )),
        "{stderr}"
    );
}

#[test]
fn check_takes_the_numbers_fit_and_score_take() {
    let committed = std::fs::read_to_string(root().join(DATA)).unwrap();
    let mut lines: Vec<String> = committed.lines().take(3).map(str::to_string).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    fields[4] = "3.0".into();
    fields[10] = "1e1".into();
    fields[11] = "1.0".into();
    lines[1] = fields.join(",");
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[4] = "1e1".into();
    fields[11] = "0.0".into();
    lines[2] = fields.join(",");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("numbers.csv");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = run(&["check", file]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("valid, 2 rows"), "{stdout}");
    let (code, _, stderr) = run(&["score", file]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("scored 2, rejected 0"), "{stderr}");
}

#[test]
fn flags_that_size_work_are_bounded() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["evaluate", "--data", DATA, "--bins", "4294967295"],
            "4294967295 is not in 1..=1000",
        ),
        (
            &["validate", "--data", DATA, "--bootstrap", "100000000"],
            "is not in 0..=100000",
        ),
        (
            &["validate", "--data", DATA, "--folds", "1000000"],
            "is not in 0..=1000",
        ),
        (
            &["fit", "--data", DATA, "--max-iterations", "0", "--out", "-"],
            "is not in 1..=10000",
        ),
        (
            &["fit", "--data", DATA, "--max-levels", "1", "--out", "-"],
            "is not in 2..=100000",
        ),
        (
            &["check", DATA, "--max-problems", "99999999999"],
            "is not in 0..=1000000",
        ),
    ];
    for (args, expected) in cases {
        let (code, _, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn an_identifier_fitted_as_a_category_is_named_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let out = out.to_str().unwrap();
    for streaming in [false, true] {
        let mut args = vec![
            "fit",
            "--data",
            DATA,
            "--outcome",
            "success",
            "--categorical",
            "case_id",
        ];
        if streaming {
            args.push("--streaming");
        }
        args.extend(["--out", out]);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{DATA}:1002: column case_id: more than 1000 distinct levels"
            )) && stderr.contains("--max-levels"),
            "{stderr}"
        );
    }
}

/// The worst sizes a user can ask for end in an error under a 2 GiB address space,
/// never in an allocation abort.
#[test]
fn the_largest_designs_fail_cleanly_in_little_memory() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("prlimit is not installed; skipped");
        return;
    }
    // 20,000 distinct identifiers fitted as levels: a 20,000 × 20,000 design, 3 GiB.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ids.csv");
    let mut rows = String::from("id,y\n");
    for i in 0..20_000 {
        rows += &format!("id{i},{}\n", i % 2);
    }
    std::fs::write(&data, rows).unwrap();
    let out = dir.path().join("m.json");
    let output = std::process::Command::new("prlimit")
        .arg("--as=2147483648")
        .arg(env!("CARGO_BIN_EXE_recontact"))
        .args(["fit", "--data", data.to_str().unwrap(), "--outcome", "y"])
        .args(["--categorical", "id", "--max-levels", "100000", "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the design matrix of 20000 rows × 20000 columns needs 3052 MiB"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("memory allocation") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn large_specs_and_header_error_lists_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = String::from("outcome = \"success\"\n");
    for i in 0..1500 {
        spec += &format!("[[term]]\nkind = \"numeric\"\ncolumn = \"x{i}\"\n");
    }
    let path = dir.path().join("wide.toml");
    std::fs::write(&path, &spec).unwrap();
    let out = dir.path().join("m.json");
    let started = std::time::Instant::now();
    let (code, _, stderr) = run(&[
        "fit",
        "--data",
        DATA,
        "--spec",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 21, "{stderr}");
    assert!(
        stderr.contains("... and 1480 more problems of the header"),
        "{stderr}"
    );
    for i in 0..600 {
        spec += &format!("[[term]]\nkind = \"boolean\"\ncolumn = \"b{i}\"\n");
    }
    std::fs::write(&path, &spec).unwrap();
    let (code, _, stderr) = run(&[
        "fit",
        "--data",
        DATA,
        "--spec",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the spec has 2100 terms; at most 2000 are allowed"),
        "{stderr}"
    );
}

/// Values so large that their squares overflow cannot be fitted: a clear error naming
/// the column, in memory and by passes, never a panic inside the linear algebra.
#[test]
fn values_too_large_to_fit_are_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("huge.csv");
    let mut rows = String::from("x,y\n");
    for i in 0..50 {
        let x = if i == 7 {
            "1e308".to_string()
        } else {
            i.to_string()
        };
        rows += &format!("{x},{}\n", i % 2);
    }
    std::fs::write(&data, rows).unwrap();
    let out = dir.path().join("m.json");
    for extra in [&[][..], &["--streaming"][..], &["--l2", "1"][..]] {
        let mut args = vec!["fit", "--data", data.to_str().unwrap(), "--outcome", "y"];
        args.extend(["--numeric", "x", "--out", out.to_str().unwrap()]);
        args.extend(extra);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, Some(1), "{extra:?}: {stderr}");
        assert!(
            stderr.contains("the values of `x` are too large to fit"),
            "{extra:?}: {stderr}"
        );
    }
}
