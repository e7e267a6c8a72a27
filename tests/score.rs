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
fn explain_columns_are_contributions_against_the_reference_row() {
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
    assert_eq!(header[logit + 1], "reference_logit");
    assert_eq!(header[logit + 2], "contribution_contact_type");
    assert!(header.contains(&"contribution_contact_type:stage_reached"));
    assert!(!header.contains(&"contribution_intercept"));
    let rows: Vec<Vec<f64>> = lines
        .take(200)
        .map(|line| {
            line.split(',')
                .skip(logit)
                .map(|v| v.parse().unwrap())
                .collect()
        })
        .collect();
    for values in &rows {
        let sum: f64 = values[1..].iter().sum();
        assert!((sum - values[0]).abs() < 1e-12, "{values:?}");
    }
    // Reference: the definition ported to numpy and pandas, reading only
    // data/default_model.json (coefficients by name; r = reference levels, booleans
    // false, numbers at the stored medians 14 and 6; Σ over each term's coefficients of
    // βⱼ·(xⱼ − rⱼ)), on the first data row (rc-000001). Order: the reference logit β·r,
    // then the terms in spec order.
    let expected = [
        -0.3075057292849118,
        0.0,
        -0.24802675446824252,
        0.0,
        0.0,
        1.0901194748872283,
        -0.8036992865234028,
        0.0,
        0.0,
        0.6996254052604962,
        0.661364107197082,
        0.056031577101084064,
    ];
    for (got, want) in rows[0][1..].iter().zip(expected) {
        assert!((got - want).abs() < 1e-13, "{got} vs {want}");
    }
    let logit_rc1 = 1.1479087941693338;
    assert!((rows[0][0] - logit_rc1).abs() < 1e-13);
}

#[test]
fn a_scored_file_can_be_scored_again_under_other_names() {
    let dir = tempfile::tempdir().unwrap();
    let s1 = dir.path().join("s1.csv");
    let s2 = dir.path().join("s2.csv");
    let (s1, s2) = (s1.to_str().unwrap(), s2.to_str().unwrap());
    let first = recontact(&["score", "data/recontact_outcomes.csv", "-o", s1], None);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // Only the probability renamed: the logit still clashes, and the message says which
    // flag renames it, before any row is written.
    let clash = recontact(&["score", s1, "--column", "p2", "-o", s2], None);
    assert_eq!(clash.status.code(), Some(1));
    let stderr = text(&clash.stderr);
    assert!(
        stderr.contains("column 14 (logit)") && stderr.contains("--logit-column NAME"),
        "{stderr}"
    );
    assert!(!stderr.contains("--column NAME"), "{stderr}");
    assert!(!std::path::Path::new(s2).exists());
    let again = recontact(
        &[
            "score",
            s1,
            "--column",
            "p2",
            "--logit-column",
            "logit2",
            "-o",
            s2,
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let (s1, s2) = (
        std::fs::read(s1).unwrap(),
        std::fs::read_to_string(s2).unwrap(),
    );
    let s1 = String::from_utf8(s1).unwrap();
    let mut rows = 0;
    for (line, before) in s2.lines().zip(s1.lines()) {
        let appended = line.strip_prefix(before).expect("input passes through");
        if rows == 0 {
            assert_eq!(appended, ",p2,logit2");
        } else {
            // The same model twice: the same bytes side by side.
            let old: Vec<&str> = before.rsplitn(3, ',').collect();
            assert_eq!(appended, format!(",{},{}", old[1], old[0]));
        }
        rows += 1;
    }
    assert_eq!(rows, 5001);
}

#[test]
fn every_appended_name_can_be_chosen_and_clashes_name_their_flag() {
    let input = with_bad_rows(3, &[]);
    let output = recontact(
        &[
            "score",
            "-",
            "--explain",
            "--explain-prefix",
            "why_",
            "--logit-column",
            "lp",
            "-q",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let header = stdout.lines().next().unwrap();
    assert!(
        header.contains(",p_success,lp,reference_lp,why_contact_type,why_stage_reached,"),
        "{header}"
    );
    // Two appended names alike: a usage error before anything is read.
    let output = recontact(&["score", "-", "--column", "logit"], Some(input.as_bytes()));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("rename one with --column or --logit-column"),
        "{}",
        text(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    // An empty prefix gives the input's own column names.
    let output = recontact(
        &["score", "-", "--explain", "--explain-prefix", ""],
        Some(input.as_bytes()),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("column 2 (contact_type)")
            && text(&output.stderr).contains("--explain-prefix PREFIX"),
        "{}",
        text(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    // A prefix without --explain would be ignored silently: refused.
    let output = recontact(
        &["score", "-", "--explain-prefix", "x"],
        Some(input.as_bytes()),
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn data_is_an_alias_of_the_positional_file_and_messages_go_to_standard_error() {
    let positional = recontact(&["score", "data/recontact_outcomes.csv"], None);
    let data = recontact(&["score", "--data", "data/recontact_outcomes.csv"], None);
    assert_eq!(data.status.code(), Some(0), "{}", text(&data.stderr));
    assert!(positional.stdout == data.stdout);
    assert_eq!(text(&data.stderr), "scored 5000, rejected 0\n");
    assert!(!text(&data.stdout).contains("scored"));
    let quiet = recontact(
        &["score", "--data", "data/recontact_outcomes.csv", "-q"],
        None,
    );
    assert!(quiet.stderr.is_empty());
    let both = recontact(
        &[
            "score",
            "data/recontact_outcomes.csv",
            "--data",
            "data/recontact_outcomes.csv",
        ],
        None,
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(
        text(&both.stderr).contains("cannot be used with"),
        "{}",
        text(&both.stderr)
    );
    // Piped standard input gets no terminal hint.
    let piped = recontact(&["score"], Some(committed().as_bytes()));
    assert_eq!(piped.status.code(), Some(0));
    assert_eq!(text(&piped.stderr), "scored 5000, rejected 0\n");
}

/// `recontact score` run with a pseudo-terminal as standard input, through util-linux
/// `script`; `None` where `script` is not installed.
fn on_a_terminal(args: &str) -> Option<String> {
    let binary = env!("CARGO_BIN_EXE_recontact");
    let output = std::process::Command::new("script")
        .args(["-qec", &format!("{binary} {args} < /dev/tty"), "/dev/null"])
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some(text(&output.stdout))
}

#[test]
fn a_terminal_as_input_gets_a_hint_not_a_silent_wait() {
    let Some(shown) = on_a_terminal("score --column x") else {
        return;
    };
    assert!(
        shown.contains("reading CSV from standard input (a terminal)"),
        "{shown:?}"
    );
    let Some(quiet) = on_a_terminal("score -q") else {
        return;
    };
    assert!(!quiet.contains("reading CSV"), "{quiet:?}");
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
