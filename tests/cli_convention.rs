//! The command-line convention of docs/cli.md ("Conventions"), end to end: the data
//! file given positionally, by `--data` or on standard input (`-`) gives the same
//! results; `-o FILE` writes the bytes standard output would show; `-q` leaves standard
//! error empty on success; messages never mix into the results.

mod common;

use common::{recontact, recontact_with_input, root, text};

const DATA: &str = "data/recontact_outcomes.csv";

/// The first 400 rows of the committed data: enough for every command, quick to run.
fn small_data() -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let all = std::fs::read_to_string(root().join(DATA)).unwrap();
    let rows: Vec<&str> = all.lines().take(401).collect();
    let bytes = (rows.join("\n") + "\n").into_bytes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.csv");
    std::fs::write(&path, &bytes).unwrap();
    (dir, path, bytes)
}

/// Runs `command` with the data in the three forms and checks they print the same.
fn same_in_every_form(command: &[&str], data: &str, bytes: &[u8]) -> Vec<u8> {
    let with = |form: &[&str], stdin: Option<&[u8]>| {
        let mut args = command.to_vec();
        args.extend(form);
        let output = recontact_with_input(&args, stdin);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
        output.stdout
    };
    let positional = with(&[data], None);
    assert!(!positional.is_empty(), "{command:?} prints its results");
    assert_eq!(
        with(&["--data", data], None),
        positional,
        "{command:?} --data"
    );
    let piped = with(&["-"], Some(bytes));
    // The file's name appears in some reports; standard input is named `<stdin>`.
    let piped = text(&piped).replace("<stdin>", data);
    assert_eq!(piped, text(&positional), "{command:?} -");
    positional
}

#[test]
fn positional_data_and_stdin_give_the_same_results() {
    let (_dir, path, bytes) = small_data();
    let data = path.to_str().unwrap();
    for command in [
        &["check"][..],
        &["check", "--format", "json"],
        &["evaluate", "--format", "json", "--bins", "5"],
        &[
            "validate",
            "--folds",
            "3",
            "--bootstrap",
            "0",
            "--format",
            "json",
        ],
    ] {
        same_in_every_form(command, data, &bytes);
    }
}

#[test]
fn out_writes_what_standard_output_shows_and_quiet_says_nothing() {
    let (dir, path, _) = small_data();
    let data = path.to_str().unwrap();
    let model = dir.path().join("model.json");
    let model = model.to_str().unwrap();
    let fitted = recontact(&["fit", data, "-o", model, "-q"]);
    assert_eq!(fitted.status.code(), Some(0), "{}", text(&fitted.stderr));
    assert!(fitted.stderr.is_empty(), "fit -q: {}", text(&fitted.stderr));
    assert!(fitted.stdout.is_empty(), "fit -q prints no table");
    for command in [
        vec!["check", data],
        vec!["evaluate", data, "--model", model],
        vec!["summary", "--model", model],
        vec!["anova", "--model", model],
        vec!["scorecard", "--model", model, "--format", "json"],
        vec![
            "sample-size",
            "--parameters",
            "5",
            "--prevalence",
            "0.2",
            "--r2cs",
            "0.2",
        ],
        vec!["export", "--model", model, "--format", "pmml"],
        vec!["validate", data, "--folds", "3", "--bootstrap", "0"],
    ] {
        let shown = recontact(&command);
        assert_eq!(
            shown.status.code(),
            Some(0),
            "{command:?}: {}",
            text(&shown.stderr)
        );
        let target = dir.path().join("out.txt");
        let mut quiet = command.clone();
        quiet.extend(["-q", "-o", target.to_str().unwrap()]);
        let written = recontact(&quiet);
        assert_eq!(
            written.status.code(),
            Some(0),
            "{quiet:?}: {}",
            text(&written.stderr)
        );
        assert!(
            written.stdout.is_empty(),
            "{quiet:?} wrote to standard output"
        );
        assert!(
            written.stderr.is_empty(),
            "{quiet:?}: {}",
            text(&written.stderr)
        );
        assert_eq!(
            std::fs::read(&target).unwrap(),
            shown.stdout,
            "{command:?} -o"
        );
    }
}

#[test]
fn fit_prints_its_table_on_stdout_and_its_message_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let output = recontact(&["fit", DATA, "-o", model.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        !text(&output.stdout).contains("written"),
        "{}",
        text(&output.stdout)
    );
    assert!(text(&output.stderr).contains("model written to"));
}

#[test]
fn data_given_twice_or_not_at_all_is_a_usage_error() {
    let both = recontact(&["check", DATA, "--data", DATA]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));
    assert!(text(&both.stderr).contains("cannot be used with"));
    let neither = recontact(&["validate"]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(
        text(&neither.stderr).contains("FILE"),
        "{}",
        text(&neither.stderr)
    );
}

#[test]
fn validate_has_a_real_out() {
    let output = recontact(&["validate", "--out"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !text(&output.stderr).contains("--outcome"),
        "{}",
        text(&output.stderr)
    );
}
