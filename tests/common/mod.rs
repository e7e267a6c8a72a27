//! Running the built `recontact` binary from the end-to-end tests.
// Each test file uses only some of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `recontact` in the workspace root with `stdin` as its input; asserts it did not panic.
pub fn recontact_with_input(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let bytes = stdin.map(<[u8]>::to_vec);
    // Written from another thread so that a large input cannot deadlock with the output.
    let writer = std::thread::spawn(move || {
        if let Some(bytes) = bytes {
            let _ = pipe.write_all(&bytes);
        }
    });
    let output = child.wait_with_output().expect("the binary runs");
    writer.join().expect("the writer thread ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    output
}

/// Runs `recontact` in the workspace root with no input.
pub fn recontact(args: &[&str]) -> Output {
    recontact_with_input(args, None)
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `recontact` in the workspace root with rayon limited to `threads` threads;
/// asserts it succeeded.
pub fn with_threads(threads: &str, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_recontact"))
        .args(args)
        .current_dir(root())
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    output
}

/// Whether a missing engine fails a test (`RECONTACT_REQUIRE_ENGINES=1`, as CI sets).
pub fn engines_required() -> bool {
    std::env::var("RECONTACT_REQUIRE_ENGINES").is_ok_and(|v| v == "1")
}

/// The sqlite3 client (`RECONTACT_TEST_SQLITE`, else `sqlite3` on `PATH`) when it runs.
/// When it does not, `None` after printing `skipped: …`, or a failed test when
/// `RECONTACT_REQUIRE_ENGINES=1` (CI) says the engines must be there.
pub fn sqlite3_client() -> Option<String> {
    let program = std::env::var("RECONTACT_TEST_SQLITE")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "sqlite3".into());
    let runs = Command::new(&program)
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        return Some(program);
    }
    if engines_required() {
        panic!("the sqlite3 client is required (RECONTACT_REQUIRE_ENGINES=1) but {program} does not run");
    }
    println!("skipped: no sqlite3 client (set RECONTACT_TEST_SQLITE)");
    None
}

/// A word quoted for `sh`.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A SQLite database in `folder` holding `csv` as the table `name` (text columns, as the
/// client's own `.import` makes them), and the `--engine-command` that opens it.
pub fn sqlite_table(program: &str, folder: &Path, csv: &Path, name: &str) -> String {
    let database = folder.join(format!("{name}.db"));
    let status = Command::new(program)
        .arg(&database)
        .arg(format!(".import --csv {} {name}", csv.display()))
        .status()
        .unwrap();
    assert!(status.success(), "sqlite3 imports {}", csv.display());
    format!(
        "{} -bail {}",
        shell_quote(program),
        shell_quote(&database.to_string_lossy())
    )
}
