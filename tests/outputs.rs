//! Outputs: never the same file as an input or another output, committed together,
//! written in place when they are devices or pipes, and quiet on a closed pipe.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{recontact, root, text};

/// The committed outcome data.
fn outcomes() -> PathBuf {
    root().join("data/recontact_outcomes.csv")
}

/// A folder holding `cases.csv`: four valid rows and one with an unknown contact type.
fn cases_with_a_bad_row() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read_to_string(outcomes()).unwrap();
    let mut lines: Vec<&str> = data.lines().take(5).collect();
    let bad = lines[2].replacen("corporate_recruiter", "carrier_pigeon", 1);
    lines[2] = &bad;
    let cases = dir.path().join("cases.csv");
    std::fs::write(&cases, lines.join("\n") + "\n").unwrap();
    (dir, cases)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Asserts a refusal: exit 2, the message, and `kept` still holding `bytes`.
fn assert_refused(output: &std::process::Output, message: &str, kept: &Path, bytes: &[u8]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
    assert!(stderr.contains("choose another path"), "{stderr}");
    assert_eq!(
        std::fs::read(kept).unwrap(),
        bytes,
        "{} changed",
        kept.display()
    );
    assert!(output.stdout.is_empty(), "nothing is printed");
}

#[test]
fn rejects_naming_the_input_are_refused_and_the_input_is_kept() {
    let (_dir, cases) = cases_with_a_bad_row();
    let before = std::fs::read(&cases).unwrap();
    let output = recontact(&[
        "score",
        s(&cases),
        "--on-invalid",
        "skip",
        "--rejects",
        s(&cases),
    ]);
    let message = format!(
        "--rejects {0} is the same file as the input {0}",
        cases.display()
    );
    assert_refused(&output, &message, &cases, &before);
}

#[test]
fn the_output_and_the_rejects_cannot_be_one_file() {
    let (dir, cases) = cases_with_a_bad_row();
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "previous\n").unwrap();
    let output = recontact(&[
        "score",
        s(&cases),
        "-o",
        s(&out),
        "--on-invalid",
        "skip",
        "--rejects",
        s(&out),
    ]);
    let message = format!("--rejects {0} is the same file as -o {0}", out.display());
    assert_refused(&output, &message, &out, b"previous\n");
}

#[test]
fn rejects_on_standard_output_clash_with_the_scored_rows() {
    let (_dir, cases) = cases_with_a_bad_row();
    let output = recontact(&["score", s(&cases), "--on-invalid", "skip", "--rejects", "-"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--rejects - is the same file as standard output"),
        "{stderr}"
    );
}

#[test]
fn the_output_cannot_be_the_input_under_any_name() {
    let (dir, cases) = cases_with_a_bad_row();
    let before = std::fs::read(&cases).unwrap();
    let symlink = dir.path().join("symlink.csv");
    std::os::unix::fs::symlink(&cases, &symlink).unwrap();
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&cases, &hard).unwrap();
    let dotted = dir.path().join(".").join("cases.csv");
    for alias in [&cases, &symlink, &hard, &dotted] {
        let output = recontact(&["score", s(&cases), "-o", s(alias)]);
        let message = format!(
            "-o {} is the same file as the input {}",
            alias.display(),
            cases.display()
        );
        assert_refused(&output, &message, &cases, &before);
    }
}

#[test]
fn the_output_cannot_be_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    std::fs::copy(root().join("data/default_model.json"), &model).unwrap();
    let before = std::fs::read(&model).unwrap();
    let output = recontact(&[
        "score",
        s(&outcomes()),
        "--model",
        s(&model),
        "-o",
        s(&model),
    ]);
    let message = format!(
        "-o {0} is the same file as the input --model {0}",
        model.display()
    );
    assert_refused(&output, &message, &model, &before);
}

#[test]
fn evaluate_refuses_one_file_for_the_plot_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    // A figure name, since --plot refuses any other extension before the clash check.
    let both = dir.path().join("both.svg");
    std::fs::write(&both, "previous\n").unwrap();
    let output = recontact(&[
        "evaluate",
        "--data",
        s(&outcomes()),
        "--plot",
        s(&both),
        "--report",
        s(&both),
    ]);
    let message = format!(
        "--report {0} is the same file as --plot {0}",
        both.display()
    );
    assert_refused(&output, &message, &both, b"previous\n");
}

#[test]
fn fit_refuses_to_write_the_model_over_its_data() {
    let (_dir, cases) = cases_with_a_bad_row();
    let before = std::fs::read(&cases).unwrap();
    let output = recontact(&["fit", s(&cases), "--out", s(&cases)]);
    let message = format!(
        "--out {0} is the same file as the input {0}",
        cases.display()
    );
    assert_refused(&output, &message, &cases, &before);
}

#[test]
fn update_refuses_to_write_over_the_old_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    std::fs::copy(root().join("data/default_model.json"), &model).unwrap();
    let before = std::fs::read(&model).unwrap();
    let output = recontact(&[
        "update",
        "--model",
        s(&model),
        "--data",
        s(&outcomes()),
        "--out",
        s(&model),
    ]);
    let message = format!(
        "--out {0} is the same file as the input --model {0}",
        model.display()
    );
    assert_refused(&output, &message, &model, &before);
}

#[test]
fn a_new_output_that_names_the_same_missing_file_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("new.svg");
    let again = dir
        .path()
        .join("..")
        .join(dir.path().file_name().unwrap())
        .join("new.svg");
    let output = recontact(&[
        "evaluate",
        "--data",
        s(&outcomes()),
        "--plot",
        s(&plot),
        "--report",
        s(&again),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is the same file as --plot"), "{stderr}");
    assert!(!plot.exists(), "nothing is written");
}

#[test]
fn a_failed_output_leaves_no_rejects() {
    let (dir, cases) = cases_with_a_bad_row();
    let rejects = dir.path().join("rejects.csv");
    // /dev/full is a device, so it is written directly and every write fails.
    let output = recontact(&[
        "score",
        s(&cases),
        "-o",
        "/dev/full",
        "--on-invalid",
        "skip",
        "--rejects",
        s(&rejects),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("/dev/full: cannot write: No space left on device"),
        "{stderr}"
    );
    assert!(!rejects.exists(), "the rejects appear only with the output");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "cases.csv")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_successful_run_writes_the_output_and_the_rejects() {
    let (dir, cases) = cases_with_a_bad_row();
    let out = dir.path().join("scored.csv");
    let rejects = dir.path().join("rejects.csv");
    let output = recontact(&[
        "score",
        s(&cases),
        "-o",
        s(&out),
        "--on-invalid",
        "skip",
        "--rejects",
        s(&rejects),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("scored 3, rejected 1"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(rejected.contains("carrier_pigeon"), "{rejected}");
}

#[test]
fn a_device_output_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    // A private null device when the tests may create one (as root), else /dev/null:
    // without the rights to replace it, a rename would fail the run instead.
    let private = dir.path().join("null");
    let made = Command::new("mknod")
        .args([s(&private), "c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let device = if made {
        private
    } else {
        PathBuf::from("/dev/null")
    };
    for args in [
        vec!["score", s(&outcomes()), "-o", s(&device)],
        vec!["simulate", "--n", "10", "--out", s(&device)],
    ] {
        let output = recontact(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let kind = std::fs::metadata(&device).unwrap().file_type();
        assert!(
            kind.is_char_device(),
            "{} is still a device",
            device.display()
        );
    }
}

#[test]
fn a_named_pipe_output_gets_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("rows.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let output = recontact(&["simulate", "--n", "2000", "--seed", "5", "-o", s(&fifo)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let started = Instant::now();
    while !reader.is_finished() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !reader.is_finished() {
        // The run never opened the pipe: open it once so that the reader ends.
        drop(std::fs::OpenOptions::new().write(true).open(&fifo));
    }
    let received = reader.join().unwrap();
    let expected = recontact(&["simulate", "--n", "2000", "--seed", "5"]).stdout;
    assert_eq!(received.len(), expected.len());
    assert!(received == expected, "the pipe got the rows");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn dev_stdout_is_written_not_replaced() {
    let output = recontact(&["simulate", "--n", "30", "-o", "/dev/stdout"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expected = recontact(&["simulate", "--n", "30"]).stdout;
    assert_eq!(text(&output.stdout), text(&expected));
}

#[test]
fn an_output_that_is_a_link_keeps_the_link_and_replaces_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.csv");
    std::fs::write(&target, "previous\n").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = recontact(&["simulate", "--n", "3", "--out", s(&link)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 4);
}

/// The write end of a pipe whose read end is already closed: every write fails with
/// EPIPE, whenever the command writes, with no race against the reader.
fn closed_pipe() -> Stdio {
    let mut sink = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let write_end = sink.stdin.take().unwrap();
    sink.wait().unwrap();
    Stdio::from(write_end)
}

/// Asserts that `args` exits 0 with nothing on standard error when its standard output
/// is closed.
fn assert_quiet_on_a_closed_pipe(args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(args)
        .current_dir(root())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
}

#[test]
fn every_command_is_quiet_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let data = outcomes();
    for args in [
        vec!["simulate", "--n", "100"],
        vec!["score", s(&data), "--quiet"],
        vec!["check", s(&data)],
        vec!["summary", "--model", "data/default_model.json"],
        vec!["scorecard"],
        vec!["export", "--format", "sql"],
        vec!["export", "--format", "pmml"],
        vec!["completions", "bash"],
        vec![
            "sample-size",
            "--parameters",
            "10",
            "--prevalence",
            "0.3",
            "--r2cs",
            "0.1",
        ],
        vec!["evaluate", "--data", s(&data)],
        vec!["fit", "--data", s(&data), "--out", s(&model)],
    ] {
        assert_quiet_on_a_closed_pipe(&args);
    }
    // The model file is written before the table that could not be printed.
    assert!(std::fs::read_to_string(&model)
        .unwrap()
        .contains("\"schema_version\""));
}

#[test]
fn simulate_into_head_exits_zero() {
    // As `recontact simulate --n 3000000 | head -1`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(["simulate", "--n", "3000000"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("case_id,"), "{first}");
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the run stops at the closed pipe"
    );
}
