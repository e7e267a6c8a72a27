//! End to end: every reader (`check`, `score`, `fit`) reads CSV by one grammar, the
//! `csv` crate's: a quote opens a quoted field only at a field's start, `\n`, `\r\n` and
//! a lone `\r` end records, and one record limit holds for all.

mod common;

use std::path::{Path, PathBuf};

use common::{recontact, text};

/// The committed data's header and its first `n` rows (at most 5000).
fn committed(n: usize) -> (String, Vec<String>) {
    let data = std::fs::read_to_string(common::root().join("data/recontact_outcomes.csv")).unwrap();
    let mut lines = data.lines().map(str::to_string);
    let header = lines.next().unwrap();
    (header, lines.take(n).collect())
}

/// `rows` rows of the committed data (repeated past 5000) with a `notes` column; every
/// third note holds stray quotes.
fn with_notes(rows: usize) -> (String, Vec<String>) {
    let (header, data) = committed(5000);
    let notes = ["5'10\" tall", "He said \"hi\"", "plain"];
    let rows = (0..rows)
        .map(|i| format!("{},{}", data[i % data.len()], notes[i % 3]))
        .collect();
    (format!("{header},notes"), rows)
}

/// Row `i` (0-based) with years of experience that are not a number.
fn spoil(rows: &mut [String], i: usize) {
    let mut fields: Vec<String> = rows[i].split(',').map(str::to_string).collect();
    fields[10] = "six".into();
    rows[i] = fields.join(",");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `score --on-invalid skip --rejects`: (exit code, stderr, output bytes, rejects text).
fn score_skipping(input: &Path) -> (Option<i32>, String, Vec<u8>, String) {
    let out = input.with_extension("scored");
    let rejects = input.with_extension("rejects");
    let args = [
        "score",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--on-invalid",
        "skip",
        "--rejects",
        rejects.to_str().unwrap(),
    ];
    let output = recontact(&args);
    let scored = std::fs::read(&out).unwrap_or_default();
    let rejected = std::fs::read_to_string(&rejects).unwrap_or_default();
    (output.status.code(), text(&output.stderr), scored, rejected)
}

/// The lines named at the start of the rejects' rows.
fn rejected_lines(rejects: &str) -> Vec<u64> {
    rejects
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect()
}

fn check(input: &Path) -> (Option<i32>, String, String) {
    let output = recontact(&["check", input.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    (output.status.code(), stdout, text(&output.stderr))
}

#[test]
fn stray_quotes_in_an_unquoted_field_are_ordinary_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (header, mut rows) = with_notes(400);
    let good = write(
        dir.path(),
        "notes.csv",
        (header.clone() + "\n" + &rows.join("\n") + "\n").as_bytes(),
    );
    let (code, stderr, scored, _) = score_skipping(&good);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("scored 400, rejected 0\n"), "{stderr}");
    let scored = text(&scored);
    let out: Vec<&str> = scored.lines().collect();
    assert_eq!(out.len(), 401);
    for (row, line) in rows.iter().zip(&out[1..]) {
        assert!(
            line.starts_with(&format!("{row},0.")),
            "{row} became {line}"
        );
    }
    let (code, stdout, stderr) = check(&good);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("valid, 400 rows"), "{stdout}");

    spoil(&mut rows, 9);
    spoil(&mut rows, 299);
    let bad = write(
        dir.path(),
        "bad.csv",
        (header + "\n" + &rows.join("\n") + "\n").as_bytes(),
    );
    let (code, stderr, _, rejects) = score_skipping(&bad);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("scored 398, rejected 2\n"), "{stderr}");
    assert_eq!(rejected_lines(&rejects), [11, 301]);
    let model = dir.path().join("model.json");
    let fit = [
        "fit",
        "--data",
        bad.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--drop-invalid",
    ];
    let output = recontact(&fit);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("dropped 2 of 400 rows"),
        "{}",
        text(&output.stderr)
    );
    let (code, _, stderr) = check(&bad);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("bad.csv:11: column 11 (years_experience)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.csv:301: column 11 (years_experience)"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problems in 2 rows"), "{stderr}");
}

#[test]
fn lone_carriage_returns_end_records_for_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (header, mut rows) = committed(60);
    spoil(&mut rows, 4);
    spoil(&mut rows, 49);
    let input = write(
        dir.path(),
        "mac.csv",
        (header + "\r" + &rows.join("\r") + "\r").as_bytes(),
    );
    let (code, stderr, scored, rejects) = score_skipping(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("scored 58, rejected 2\n"), "{stderr}");
    assert_eq!(rejected_lines(&rejects.replace('\r', "\n")), [6, 51]);
    // The output keeps the input's line ends.
    assert!(!scored.contains(&b'\n'));
    assert_eq!(scored.iter().filter(|&&b| b == b'\r').count(), 59);
    let (code, _, stderr) = check(&input);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("mac.csv:6: column 11 (years_experience)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("mac.csv:51: column 11 (years_experience)"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problems in 2 rows"), "{stderr}");
}

#[test]
fn a_lone_carriage_return_in_a_newline_file_ends_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let (header, mut rows) = committed(50);
    spoil(&mut rows, 30);
    let mut body = header + "\n";
    for (i, row) in rows.iter().enumerate() {
        body += row;
        body += if i == 19 { "\r" } else { "\n" };
    }
    let input = write(dir.path(), "mixed.csv", body.as_bytes());
    let (code, stderr, _, rejects) = score_skipping(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("scored 49, rejected 1\n"), "{stderr}");
    assert_eq!(rejected_lines(&rejects), [32]);
    let (code, _, stderr) = check(&input);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("mixed.csv:32: column 11 (years_experience)"),
        "{stderr}"
    );
    assert!(stderr.contains("1 problem in 1 row"), "{stderr}");
}

#[test]
fn a_quote_in_a_header_name_is_part_of_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let (header, rows) = committed(30);
    let header = format!("{header},height in \"");
    let rows: Vec<String> = rows.iter().map(|r| format!("{r},5'10\"")).collect();
    let input = write(
        dir.path(),
        "header.csv",
        (header.clone() + "\n" + &rows.join("\n") + "\n").as_bytes(),
    );
    let (code, stderr, scored, _) = score_skipping(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("scored 30, rejected 0\n"), "{stderr}");
    assert!(text(&scored).starts_with(&format!("{header},p_success,")));
    let (code, stdout, stderr) = check(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("valid, 30 rows"), "{stdout}");
}

#[test]
fn one_stray_quote_in_a_long_file_changes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (header, data) = committed(5000);
    let mut rows: Vec<String> = (0..30_000)
        .map(|i| format!("{},x", data[i % 5000]))
        .collect();
    rows[9] = format!("{},5'10\"", data[9]);
    let body = format!("{header},notes\n{}\n", rows.join("\n"));
    let input = write(dir.path(), "long.csv", body.as_bytes());
    let (code, stderr, scored, _) = score_skipping(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.ends_with("scored 30000, rejected 0\n"), "{stderr}");
    assert!(!stderr.contains("record longer"), "{stderr}");
    assert_eq!(text(&scored).lines().count(), 30_001);
    let (code, stdout, stderr) = check(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("valid, 30000 rows"), "{stdout}");
}

#[test]
fn the_record_limit_is_the_same_for_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let limit = 1 << 20;
    let (header, data) = committed(5000);
    // A record's length counts its bytes and one byte of its line end.
    let padded = |length: usize| {
        let row = format!("{},", data[0]);
        format!("{row}{}", "n".repeat(length - 1 - row.len()))
    };
    for (length, accepted) in [(limit, true), (limit + 1, false)] {
        let rows: Vec<String> = std::iter::once(padded(length))
            .chain(data[1..].iter().map(|r| format!("{r},x")))
            .collect();
        let body = format!("{header},notes\r\n{}\r\n", rows.join("\r\n"));
        let input = write(dir.path(), "big.csv", body.as_bytes());
        let model = dir.path().join("model.json");
        let (check_code, _, check_err) = check(&input);
        let (score_code, score_err, _, _) = score_skipping(&input);
        let fit = [
            "fit",
            "--data",
            input.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ];
        let output = recontact(&fit);
        let fit_err = text(&output.stderr);
        let codes = [check_code, score_code, output.status.code()];
        if accepted {
            assert_eq!(codes, [Some(0); 3], "{check_err}\n{score_err}\n{fit_err}");
        } else {
            assert_eq!(codes, [Some(1); 3], "{check_err}\n{score_err}\n{fit_err}");
            let message = format!("a record longer than the limit of {limit} bytes starts here");
            assert!(
                check_err.contains(&format!("big.csv:2: {message}")),
                "{check_err}"
            );
            assert!(
                fit_err.contains(&format!("big.csv:2: {message}")),
                "{fit_err}"
            );
            assert!(
                score_err.contains(&format!("big.csv: line 2: {message}")),
                "{score_err}"
            );
        }
    }
}

/// A quoted field still open at the end of the input would swallow the appended scores:
/// every reader refuses that record, with its line, and counts it.
#[test]
fn a_quote_left_open_at_the_end_is_refused_by_every_reader() {
    let (header, rows) = with_notes(3);
    let mut text = format!("{header}\n{}\n{}\n", rows[0], rows[1]);
    let last = rows[2].rsplit_once(',').unwrap().0;
    text += &format!("{last},\"an open note\nand more");
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "open.csv", text.as_bytes());
    let expected = format!(
        "{}:4: a quoted field opened in this record is not closed before the end of the input",
        input.display()
    );
    let (code, stderr, scored, rejects) = score_skipping(&input);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("scored 2, rejected 1"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&scored).lines().count(), 3);
    // The rejected record keeps its open quote, so the rejects read back as the input.
    assert!(
        rejects
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("4,a quoted field"),
        "{rejects}"
    );
    let (code, _, stderr) = check(&input);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    let out = dir.path().join("m.json");
    let output = recontact(&[
        "fit",
        "--data",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(common::text(&output.stderr).contains(&expected));
}
