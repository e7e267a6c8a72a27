//! End to end: `recontact check` on real files, good and bad.

mod common;

use std::path::PathBuf;

use common::recontact_with_input as recontact;

fn data_file() -> PathBuf {
    common::root().join("data/recontact_outcomes.csv")
}

/// The committed data with field `field` (0-based) of line `line` replaced.
fn with_field(line: usize, field: usize, value: &str) -> String {
    let text = std::fs::read_to_string(data_file()).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                let mut fields: Vec<&str> = l.split(',').collect();
                fields[field] = value;
                fields.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_committed_data_is_valid_and_summarised() {
    let output = recontact(&["check", data_file().to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("valid, 5000 rows"), "{stdout}");
    assert!(stdout.contains("success: 2138 of 5000 (42.8%)"), "{stdout}");
    for name in [
        "agency_recruiter",
        "presented_to_manager",
        "other_commitments",
        "unknown",
        "days_since_decline",
    ] {
        assert!(stdout.contains(name), "{name} missing from\n{stdout}");
    }
}

#[test]
fn a_misspelt_level_on_line_7_is_named_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.csv");
    std::fs::write(&path, with_field(7, 1, "agency_recuiter")).unwrap();
    let output = recontact(&["check", path.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let first = stderr.lines().next().unwrap();
    assert!(first.contains("typo.csv:7:"), "{first}");
    assert!(first.contains("contact_type"), "{first}");
    assert!(first.contains("\"agency_recuiter\""), "{first}");
    assert!(
        first.contains("agency_recruiter, corporate_recruiter, hiring_manager"),
        "{first}"
    );
    assert!(stderr.contains("1 problem in 1 row"), "{stderr}");
}

#[test]
fn many_problems_are_capped_but_counted() {
    let mut text = with_field(2, 4, "-1");
    for line in 3..=80 {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut fields: Vec<String> = lines[line - 1].split(',').map(str::to_string).collect();
        fields[5] = "gone".to_string();
        lines[line - 1] = fields.join(",");
        text = lines.join("\n") + "\n";
    }
    let output = recontact(
        &["check", "-", "--max-problems", "10"],
        Some(text.as_bytes()),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        10
    );
    assert!(
        stderr.contains("<stdin>: invalid: 79 problems in 79 rows (showing 10); 4921 valid rows"),
        "{stderr}"
    );
}

#[test]
fn unusable_inputs_fail_with_a_clear_message() {
    let output = recontact(&["check", "-"], Some(b""));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is empty"));

    let output = recontact(
        &["check", "-"],
        Some(b"case_id,contact_type\nx,hiring_manager\n"),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("column stage_reached: required column is missing"),
        "{stderr}"
    );

    let output = recontact(&["check", "no/such/file.csv"], None);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/file.csv: cannot open"));

    let output = recontact(&["check"], None);
    assert_eq!(output.status.code(), Some(2), "usage error");
}

#[test]
fn a_scoring_file_without_outcomes_is_valid() {
    let text = std::fs::read_to_string(data_file()).unwrap();
    let without: String = text
        .lines()
        .take(11)
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    let output = recontact(&["check", "-"], Some(without.as_bytes()));
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("valid, 10 rows") && stdout.contains("no success column"),
        "{stdout}"
    );
}
