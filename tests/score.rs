//! End to end: `recontact score` on real files, pipes, bad rows and odd CSV.

mod common;

use common::{recontact_with_input as recontact, root, text};

fn committed() -> String {
    std::fs::read_to_string(root().join("data/recontact_outcomes.csv")).unwrap()
}

#[test]
fn the_committed_data_gets_a_probability_on_every_row() {
    let output = recontact(&["score", "data/recontact_outcomes.csv"], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "scored 5000, rejected 0\n");
    let stdout = text(&output.stdout);
    let mut lines = stdout.lines();
    assert!(lines.next().unwrap().ends_with(",success,p_success,logit"));
    let mut rows = 0;
    for (line, original) in lines.zip(committed().lines().skip(1)) {
        let (input, appended) = line.split_at(original.len());
        assert_eq!(input, original);
        let values: Vec<f64> = appended[1..]
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        assert!((0.0..=1.0).contains(&values[0]));
        assert!((values[0] - 1.0 / (1.0 + (-values[1]).exp())).abs() < 1e-12);
        rows += 1;
    }
    assert_eq!(rows, 5000);
}

#[test]
fn standard_input_to_standard_output_gives_the_same_bytes_as_files() {
    let piped = recontact(&["score", "-", "--quiet"], Some(committed().as_bytes()));
    assert_eq!(piped.status.code(), Some(0));
    assert!(piped.stderr.is_empty(), "--quiet");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scored.csv");
    let from_file = recontact(
        &[
            "score",
            "data/recontact_outcomes.csv",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(from_file.status.code(), Some(0));
    assert!(std::fs::read(&out).unwrap() == piped.stdout);
}

/// The committed data's first `rows` rows with `contact_type` replaced on some lines.
fn with_bad_rows(rows: usize, bad: &[(usize, &str)]) -> String {
    let bad: Vec<(usize, usize, &str)> =
        bad.iter().map(|&(line, value)| (line, 1, value)).collect();
    with_bad_fields(rows, &bad)
}

/// The committed data's first `rows` rows with (line, field, value) replacements.
fn with_bad_fields(rows: usize, bad: &[(usize, usize, &str)]) -> String {
    committed()
        .lines()
        .take(rows + 1)
        .enumerate()
        .map(|(i, line)| {
            let line_number = i + 1;
            match bad.iter().find(|(l, _, _)| *l == line_number) {
                Some((_, field, value)) => {
                    let mut fields: Vec<&str> = line.split(',').collect();
                    fields[*field] = value;
                    fields.join(",") + "\n"
                }
                None => format!("{line}\n"),
            }
        })
        .collect()
}

#[test]
fn skipped_rows_are_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.csv");
    std::fs::write(
        &input,
        with_bad_rows(1000, &[(10, "agency_recuiter"), (500, ""), (1001, "boss")]),
    )
    .unwrap();
    let out = dir.path().join("scored.csv");
    let rejects = dir.path().join("rejects.csv");
    let output = recontact(
        &[
            "score",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--on-invalid",
            "skip",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).ends_with("scored 997, rejected 3\n"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 998);
    let rejects = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("line,reason,case_id,contact_type"));
    assert!(
        lines[1].starts_with("10,\"column 2 (contact_type): unknown level \"\"agency_recuiter\"\""),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(
        &with_bad_rows(1000, &[(10, "agency_recuiter")])
            .lines()
            .nth(9)
            .unwrap()
            .to_string()
    ));
    assert!(
        lines[2].starts_with("500,\"column 2 (contact_type): value is empty; allowed: one of"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("1001,"), "{}", lines[3]);
}

#[test]
fn a_failing_run_stops_at_the_first_bad_row_and_leaves_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.csv");
    std::fs::write(&input, with_bad_rows(1000, &[(800, "agency_recuiter")])).unwrap();
    let out = dir.path().join("scored.csv");
    std::fs::write(&out, "previous contents\n").unwrap();
    let output = recontact(
        &[
            "score",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cases.csv:800: column 2 (contact_type): unknown level \"agency_recuiter\"; allowed: one of agency_recruiter, corporate_recruiter, hiring_manager"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "previous contents\n"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 2, "no temporary file is left: {files:?}");
}

#[test]
fn a_missing_column_is_reported_before_any_row_is_read() {
    let text_in = "case_id,contact_type\nx,not even valid\n";
    let output = recontact(&["score", "-"], Some(text_in.as_bytes()));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "<stdin>:1: column stage_reached: required column is missing from the header"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("not even valid"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn input_bytes_pass_through_exactly() {
    let header = "\u{feff}note,case_id,contact_type,stage_reached,decline_reason,days_since_decline,position_status,\
same_contact,misrepresentation,transparent,open_to_reinterview,years_experience";
    let rows = [
        "\"said \"\"hi\"\", then left\",a1,agency_recruiter,screening_call,accepted_other_offer,3,open,TRUE,no,1,yes,4.50",
        "\"two\nlines, and a comma\",\"a2\",hiring_manager,interviewed,other,0120,filled,false,false,false,false,12",
        ",,corporate_recruiter,availability_check,not_interested,7,unknown,1,0,1,0,0",
    ];
    let input = format!("{header}\r\n{}\r\n{}\r\n{}", rows[0], rows[1], rows[2]);
    let output = recontact(&["score", "-"], Some(input.as_bytes()));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    // Each input record appears unchanged, followed by the two appended fields.
    let records: Vec<&str> = stdout.split("\r\n").collect();
    assert_eq!(records.len(), 4);
    assert!(records[0].starts_with('\u{feff}'));
    assert_eq!(records[0], format!("{header},p_success,logit"));
    for (record, row) in records[1..].iter().zip(rows) {
        assert!(
            record.starts_with(row),
            "{record:?} does not start with {row:?}"
        );
        let appended: Vec<&str> = record[row.len() + 1..].split(',').collect();
        assert_eq!(appended.len(), 2, "{record:?}");
    }
    assert!(
        !stdout.ends_with('\n'),
        "no terminator is invented for a last line without one"
    );
}

#[test]
fn the_probability_column_can_be_renamed_but_not_doubled() {
    let input = with_bad_rows(3, &[]);
    let output = recontact(
        &["score", "-", "--column", "chance"],
        Some(input.as_bytes()),
    );
    assert!(text(&output.stdout)
        .lines()
        .next()
        .unwrap()
        .ends_with(",chance,logit"));
    let clash = input.replacen("case_id", "p_success", 1);
    let output = recontact(&["score", "-"], Some(clash.as_bytes()));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("--column"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn explain_columns_add_up_to_the_logit() {
    let output = recontact(
        &[
            "score",
            "data/recontact_outcomes.csv",
            "--explain",
            "--quiet",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let logit = header.iter().position(|h| *h == "logit").unwrap();
    assert_eq!(header[logit + 1], "contribution_intercept");
    assert!(header.contains(&"contribution_contact_type:stage_reached"));
    for line in lines.take(200) {
        let values: Vec<f64> = line
            .split(',')
            .skip(logit)
            .map(|v| v.parse().unwrap())
            .collect();
        let sum: f64 = values[1..].iter().sum();
        assert!((sum - values[0]).abs() < 1e-12, "{line}");
    }
}

#[test]
fn a_model_file_can_replace_the_embedded_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let fit = recontact(
        &[
            "fit",
            "--data",
            "crates/scoring/tests/fixtures/spector.csv",
            "--outcome",
            "grade",
            "--numeric",
            "gpa,tuce,psi",
            "--out",
            model.to_str().unwrap(),
            "--quiet",
        ],
        None,
    );
    assert_eq!(fit.status.code(), Some(0));
    let output = recontact(
        &[
            "score",
            "crates/scoring/tests/fixtures/spector.csv",
            "--model",
            model.to_str().unwrap(),
            "--quiet",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let second = text(&output.stdout).lines().nth(1).unwrap().to_string();
    // statsmodels 0.15.0 Logit on the same data: predicted probability of row 1
    // (gpa 2.66, tuce 20, psi 0) is 0.026578... .
    let p: f64 = second.split(',').nth(4).unwrap().parse().unwrap();
    assert!((p - 0.026578).abs() < 1e-5, "{p}");
}

#[test]
fn completions_and_help_work() {
    let output = recontact(&["completions", "bash"], None);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("recontact"));
    for command in [
        "score",
        "check",
        "simulate",
        "fit",
        "summary",
        "anova",
        "compare",
        "completions",
    ] {
        let output = recontact(&[command, "--help"], None);
        assert!(
            text(&output.stdout).contains("Examples:"),
            "{command} --help has no example"
        );
    }
    assert!(text(&recontact(&["--version"], None).stdout).starts_with("recontact "));
}

#[test]
fn scores_do_not_depend_on_the_thread_count() {
    // About four chunks of a mebibyte, so that several workers share the file.
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.csv");
    let cases = cases.to_str().unwrap();
    common::with_threads(
        "1",
        &["simulate", "--n", "40000", "--seed", "3", "--out", cases],
    );
    let outputs: Vec<Vec<u8>> = ["1", "2", "3"]
        .iter()
        .map(|threads| common::with_threads(threads, &["score", cases, "--quiet"]).stdout)
        .collect();
    assert_eq!(outputs[0].iter().filter(|&&b| b == b'\n').count(), 40_001);
    assert!(outputs[0] == outputs[1] && outputs[1] == outputs[2]);
}
