//! Every shell example in README.md and docs/*.md runs, verbatim, against the built
//! binary: a doc example can never fail for a reader who types it.
//!
//! Each example runs with `sh -c` in a fresh temporary folder that holds the files the
//! examples name (`data/examples/`, copied to the folder's top level), the repository's
//! `data/` folder, and the model files the examples read (fitted here first, with the
//! commands `data/examples/README.md` gives), with `recontact` first on `PATH` and `HOME`
//! in the folder. A line is an example when one of its commands (split at `|`, `&&`, `;`)
//! starts with `recontact`; lines for other tools (`cargo`, `duckdb`, `psql`, the bench
//! scripts) are not run here. Every example must exit 0.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::root;

/// One shell example: where it is and what it says.
struct Example {
    file: String,
    line: usize,
    command: String,
}

/// The logical lines (continuations joined) of the `sh` blocks of one Markdown text.
fn shell_lines(file: &str, text: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_shell = None;
    let mut pending: Option<(usize, String)> = None;
    for (k, raw) in text.lines().enumerate() {
        if let Some(info) = raw.trim_start().strip_prefix("```") {
            in_shell = match in_shell {
                None => Some(matches!(info.trim(), "sh" | "bash" | "shell")),
                Some(_) => None,
            };
            continue;
        }
        if in_shell != Some(true) {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((k + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                pending = Some((start, joined));
            }
            None => {
                joined.push_str(raw);
                examples.push(Example {
                    file: file.to_string(),
                    line: start,
                    command: without_comment(&joined).trim().to_string(),
                });
            }
        }
    }
    examples
}

/// `line` without a trailing `# comment` (a `#` after whitespace, outside quotes).
fn without_comment(line: &str) -> &str {
    let (mut single, mut double, mut previous) = (false, false, ' ');
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && previous.is_whitespace() => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

/// Whether one of the line's commands is `recontact`.
fn runs_recontact(command: &str) -> bool {
    command
        .split(['|', ';'])
        .flat_map(|part| part.split("&&"))
        .any(|part| part.trim_start().starts_with("recontact "))
}

/// Every example of README.md and docs/*.md, in file order.
fn examples() -> Vec<Example> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .iter()
        .flat_map(|path| {
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            shell_lines(&name, &std::fs::read_to_string(path).unwrap())
        })
        .filter(|example| runs_recontact(&example.command))
        .collect()
}

/// Copies the files (not folders) of `from` into `to`.
fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// `sh -c command` in `dir` with the built binary first on PATH; (exit code, stderr).
fn shell(dir: &Path, command: &str) -> (Option<i32>, String) {
    let binary = Path::new(env!("CARGO_BIN_EXE_recontact"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("timeout")
        .args(["300", "sh", "-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A folder laid out as the examples expect: the example files at the top, `data/`, and
/// the model files, fitted by the commands of `data/examples/README.md`.
fn template() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_files(&root().join("data/examples"), dir.path());
    copy_files(&root().join("data"), &dir.path().join("data"));
    copy_files(
        &root().join("data/examples"),
        &dir.path().join("data/examples"),
    );
    let readme = std::fs::read_to_string(root().join("data/examples/README.md")).unwrap();
    for setup in shell_lines("data/examples/README.md", &readme) {
        let (code, stderr) = shell(dir.path(), &setup.command);
        assert_eq!(code, Some(0), "setup `{}`: {stderr}", setup.command);
    }
    dir
}

#[test]
fn every_shell_example_in_the_docs_runs() {
    let template = template();
    let examples = examples();
    // README.md alone has a dozen; the docs many more. Far fewer means the parser broke.
    assert!(
        examples.len() >= 40,
        "only {} examples found",
        examples.len()
    );
    run_all(template.path(), &examples);
}

/// Runs each example in a fresh copy of `template`; fails listing every example that did
/// not exit 0.
fn run_all(template: &Path, examples: &[Example]) {
    let mut failures = Vec::new();
    for example in examples {
        let dir = tempfile::tempdir().unwrap();
        copy_files(template, dir.path());
        copy_files(&template.join("data"), &dir.path().join("data"));
        copy_files(
            &template.join("data/examples"),
            &dir.path().join("data/examples"),
        );
        let (code, stderr) = shell(dir.path(), &example.command);
        if code != Some(0) {
            failures.push(format!(
                "{}:{}: `{}` exited {code:?}: {}",
                example.file,
                example.line,
                example.command,
                stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}

/// The examples of every subcommand's `--help` (the lines under "Examples:").
fn help_examples() -> Vec<Example> {
    let binary = env!("CARGO_BIN_EXE_recontact");
    let help = |args: &[&str]| {
        let output = Command::new(binary).args(args).output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let top = help(&["--help"]);
    let commands: Vec<String> = top
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .filter(|name| name != "help")
        .collect();
    let mut examples = Vec::new();
    for command in commands {
        let text = help(&[&command, "--help"]);
        let block: String = text
            .lines()
            .skip_while(|line| line.trim() != "Examples:")
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .map(|line| format!("{}\n", line.trim()))
            .collect();
        let file = format!("recontact {command} --help");
        let fenced = format!("```sh\n{block}```\n");
        examples.extend(shell_lines(&file, &fenced));
    }
    examples
}

#[test]
fn every_example_of_every_help_runs() {
    let template = template();
    let examples = help_examples();
    assert!(
        examples.len() >= 30,
        "only {} examples found",
        examples.len()
    );
    run_all(template.path(), &examples);
}

#[test]
fn lines_are_joined_and_comments_dropped() {
    let text = "x\n```sh\nrecontact a \\\n  --b 'c # d' # note\ncargo test\n```\n```toml\nrecontact = 1\n```\n";
    let lines = shell_lines("t.md", text);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0].line, lines[0].command.as_str()),
        (3, "recontact a   --b 'c # d'")
    );
    assert!(runs_recontact(&lines[0].command));
    assert!(!runs_recontact(&lines[1].command));
    assert!(runs_recontact("cat x.csv | recontact score -"));
    assert!(runs_recontact(
        "mkdir -p d && recontact completions bash > d/r"
    ));
}
