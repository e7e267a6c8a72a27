//! Progress of long commands: drawn on standard error only when it is a terminal and
//! `-q` is not given, and never changing an output byte.

mod common;

use std::process::Command;

use common::{recontact, root, text};

/// The long commands, each writing its files into `dir`.
fn long_commands(dir: &std::path::Path) -> Vec<Vec<String>> {
    let out = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let data = "data/recontact_outcomes.csv".to_string();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        args(&["evaluate", "--data", &data, "--plot", &out("f.svg")]),
        args(&[
            "validate",
            "--data",
            &data,
            "--folds",
            "3",
            "--bootstrap",
            "4",
        ]),
        args(&["fit", "--data", &data, "--out", &out("m.json")]),
        args(&[
            "fit",
            "--data",
            &data,
            "--streaming",
            "--out",
            &out("s.json"),
        ]),
        args(&[
            "update",
            "--model",
            "data/default_model.json",
            "--data",
            &data,
            "--out",
            &out("u.json"),
        ]),
        args(&["simulate", "--n", "20000", "--out", &out("sim.csv")]),
    ]
}

/// Bytes a progress bar or spinner writes: carriage returns and terminal escapes.
fn has_progress_bytes(stderr: &[u8]) -> bool {
    stderr.contains(&b'\r') || stderr.contains(&0x1b)
}

#[test]
fn piped_standard_error_gets_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    for args in long_commands(dir.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = recontact(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(
            !has_progress_bytes(&output.stderr),
            "{args:?}: {:?}",
            text(&output.stderr)
        );
    }
}

/// Runs `recontact args` with standard error on a pseudo-terminal (util-linux
/// `script`) and standard output in `stdout_file`; the terminal's bytes, or `None`
/// where `script` is not available.
fn on_a_terminal(args: &[&str], stdout_file: &std::path::Path) -> Option<Vec<u8>> {
    let binary = env!("CARGO_BIN_EXE_recontact");
    let command = format!(
        "{binary} {} > {}",
        args.join(" "),
        stdout_file.to_str().unwrap()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(root())
        .output()
        .ok()?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    Some(output.stdout)
}

#[test]
fn a_terminal_shows_progress_unless_quiet_and_the_output_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "validate",
        "--data",
        "data/recontact_outcomes.csv",
        "--folds",
        "5",
        "--bootstrap",
        "20",
        "--format",
        "json",
    ];
    let shown = dir.path().join("shown.json");
    let Some(terminal) = on_a_terminal(&args, &shown) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    let terminal = text(&terminal);
    assert!(
        terminal.contains("folds and resamples fitted"),
        "{terminal:?}"
    );

    let quiet = dir.path().join("quiet.json");
    let mut quiet_args = args.to_vec();
    quiet_args.push("-q");
    let silent = on_a_terminal(&quiet_args, &quiet).unwrap();
    assert!(!has_progress_bytes(&silent), "{:?}", text(&silent));

    let piped = recontact(&args);
    assert_eq!(
        std::fs::read(&shown).unwrap(),
        piped.stdout,
        "progress changed the output"
    );
    assert_eq!(std::fs::read(&quiet).unwrap(), piped.stdout);
}
