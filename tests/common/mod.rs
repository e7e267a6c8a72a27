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
