//! Faults: a killed run, a full disk, a closed pipe.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{root, text};

fn committed() -> Vec<u8> {
    std::fs::read(root().join("data/recontact_outcomes.csv")).unwrap()
}

fn temporary_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".recontact-")
        })
        .collect()
}

/// Starts `recontact args` with a pipe as standard input, feeds it `first`, waits until
/// the output's temporary file has bytes in it, and kills the process with SIGKILL.
fn kill_while_writing(args: &[&str], dir: &Path, first: &[u8]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(first).unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    loop {
        let written = temporary_files(dir)
            .iter()
            .any(|p| std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false));
        if written || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !temporary_files(dir).is_empty(),
        "the run had started writing"
    );
    child.kill().unwrap(); // SIGKILL: no destructor, no clean-up runs
    child.wait().unwrap();
    drop(stdin);
}

#[test]
fn a_run_killed_mid_write_leaves_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scored.csv");
    std::fs::write(&out, "previous\n").unwrap();
    // Half the data, enough to fill the output buffer more than once; the rest never comes.
    let data = committed();
    let half = &data[..data.len() / 2];
    kill_while_writing(
        &["score", "-", "-o", out.to_str().unwrap()],
        dir.path(),
        half,
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
}

#[test]
fn a_run_killed_mid_write_leaves_no_output_when_there_was_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scored.csv");
    let data = committed();
    kill_while_writing(
        &["score", "-", "-o", out.to_str().unwrap()],
        dir.path(),
        &data[..data.len() / 2],
    );
    assert!(!out.exists(), "no partial output under the final name");
}

#[test]
fn a_fit_killed_before_it_writes_keeps_the_old_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    std::fs::write(&model, "old model\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(["fit", "--data", "-", "--out", model.to_str().unwrap()])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = committed();
    stdin.write_all(&data[..data.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&model).unwrap(), "old model\n");
}

#[test]
fn a_full_disk_is_reported_without_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(["score", "data/recontact_outcomes.csv"])
        .current_dir(root())
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    // As `recontact score big.csv | head -1`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(["score", "data/recontact_outcomes.csv"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("error"),
        "a broken pipe is not an error: {stderr}"
    );
}
