//! Every kind of bad input the tool meets in the wild, with the message and exit code
//! it must give. Files are in `tests/bad_inputs/`. No run may panic.

mod common;

use common::{recontact, text};

const DIR: &str = "tests/bad_inputs";

/// (what, command line with `@` for the bad-inputs folder, exit code, text expected on
/// standard error, or on standard output when the code is 0).
const CASES: &[(&str, &str, i32, &str)] = &[
    ("empty file: check", "check @/empty.csv", 1, "@/empty.csv:1: is empty: expected a header line naming the columns"),
    ("empty file: score", "score @/empty.csv", 1, "@/empty.csv:1: is empty"),
    ("empty file: fit", "fit --data @/empty.csv --out OUT", 1, "is empty"),
    ("header only: check", "check @/header_only.csv", 0, "valid, 0 rows"),
    ("header only: score", "score @/header_only.csv", 0, "scored 0, rejected 0"),
    ("header only: fit", "fit --data @/header_only.csv --out OUT", 1, "@/header_only.csv: no rows to fit"),
    ("UTF-8 byte-order mark", "check @/bom.csv", 0, "valid, 3 rows"),
    ("CRLF line ends", "check @/crlf.csv", 0, "valid, 3 rows"),
    ("CRLF line ends: score", "score @/crlf.csv", 0, "scored 3, rejected 0"),
    (
        "quoted field with embedded newline, then an error",
        "check @/quoted_newlines.csv",
        1,
        "@/quoted_newlines.csv:4: column 2 (contact_type): unknown level \"recruiter\"",
    ),
    ("ragged row", "check @/ragged.csv", 1, "@/ragged.csv:3: row has 5 fields but the header has 12"),
    ("invalid UTF-8", "check @/invalid_utf8.csv", 1, "@/invalid_utf8.csv:2: column 2 (contact_type): value is not valid UTF-8"),
    ("NaN", "check @/nan_inf.csv", 1, "@/nan_inf.csv:2: column 11 (years_experience): not a finite number \"NaN\""),
    ("inf", "check @/nan_inf.csv", 1, "@/nan_inf.csv:3: column 11 (years_experience): not a finite number \"inf\""),
    ("1e400", "check @/nan_inf.csv", 1, "@/nan_inf.csv:4: column 11 (years_experience): not a finite number \"1e400\""),
    ("negative days", "check @/nan_inf.csv", 1, "@/nan_inf.csv:5: column 5 (days_since_decline): out of range \"-3\"; allowed: a whole number of days from 0 to 3650"),
    ("negative days: score", "score @/nan_inf.csv", 1, "@/nan_inf.csv:2: column 11 (years_experience): not a finite number \"NaN\""),
    ("duplicate header names", "check @/duplicate_header.csv", 1, "column 13 (contact_type): column appears more than once in the header (first at position 2)"),
    ("missing outcome column", "fit --data @/missing_outcome.csv --out OUT", 1, "@/missing_outcome.csv:1: column success: required column is missing from the header"),
    ("all outcomes 0", "fit --data @/all_zero.csv --out OUT", 1, "every outcome is 0: a model needs both successes and failures"),
    ("a single row", "fit --data @/single_row.csv --out OUT", 1, "every outcome is 1"),
    ("a single row: score", "score @/single_row.csv", 0, "scored 1, rejected 0"),
    ("confidence level of 1", "fit --data @/separation.csv --outcome y --numeric x --level 1 --out OUT", 2, "invalid value '1' for '--level <LEVEL>': expected a number strictly between 0 and 1"),
    ("infinite L2 penalty", "fit --data @/separation.csv --outcome y --numeric x --l2 inf --out OUT", 2, "invalid value 'inf' for '--l2 <L>': expected a finite number, 0 or more"),
    ("negative L2 penalty", "fit --data @/separation.csv --outcome y --numeric x --l2 -1 --out OUT", 2, "expected a finite number, 0 or more, got `-1`"),
    ("update with an invalid extended spec", "update --model data/default_model.json --data data/recontact_outcomes.csv --method extend --spec @/spec_repeated_interaction.toml --out OUT", 2, "@/spec_repeated_interaction.toml: invalid model specification: interaction contact_type:stage_reached appears more than once"),
    ("perfect separation", "fit --data @/separation.csv --outcome y --numeric x --out OUT", 1, "@/separation.csv: complete separation: the outcome is predicted perfectly by x"),
    // The remedies named by their flags: the library names its options, the tool adds the
    // flags (moved here from crates/scoring/tests/failures.rs).
    ("perfect separation names the flags that remedy it", "fit --data @/separation.csv --outcome y --numeric x --out OUT", 1, "so some estimates are infinite; refit with --firth (bias-reduced) or --l2 <penalty>, or merge categories"),
    ("exactly collinear columns", "fit --data @/collinear.csv --outcome y --numeric a,b --out OUT", 1, "@/collinear.csv: exactly collinear terms: `b` = combination of a"),
    ("model from a newer schema", "score data/recontact_outcomes.csv --model @/newer_schema.json", 1, "@/newer_schema.json: model schema version 2 is newer than this tool reads (1); upgrade recontact"),
    ("truncated model file", "score data/recontact_outcomes.csv --model @/truncated.json", 1, "@/truncated.json: not a recontact model file: EOF while parsing"),
    ("model needing columns the data lack", "score data/recontact_outcomes.csv --model @/other_columns_model.json", 1, "data/recontact_outcomes.csv:1: column gpa: required column is missing from the header"),
    ("spec naming a column twice", "fit --data @/separation.csv --spec @/spec_twice.toml --out OUT", 2, "column `x` is named by more than one term"),
    (
        "a level the model does not know, when evaluating",
        "evaluate --data @/unknown_level.csv",
        1,
        "@/unknown_level.csv:3: column 2 (contact_type): unknown level \"ceo\"; allowed: one of agency_recruiter, corporate_recruiter, hiring_manager",
    ),
    (
        "a level the model does not know, when updating",
        "update --model data/default_model.json --data @/unknown_level.csv --out OUT",
        1,
        "@/unknown_level.csv:3: column 2 (contact_type): unknown level \"ceo\"",
    ),
    ("unclosed quote beyond the record limit", "score @/unclosed_quote.csv --max-record-bytes 4096", 1, "@/unclosed_quote.csv: line 3: a record longer than the limit of 4096 bytes starts here"),
    ("unclosed quote beyond the record limit: check", "check @/unclosed_quote.csv", 1, "invalid"),
];

#[test]
fn every_bad_input_gets_its_message_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model.json");
    let mut failures = Vec::new();
    for (what, command, code, expected) in CASES {
        let line = command
            .replace('@', DIR)
            .replace("OUT", out.to_str().unwrap());
        let args: Vec<&str> = line.split(' ').collect();
        let output = recontact(&args);
        let stream = if *code == 0 {
            text(&output.stdout) + &text(&output.stderr)
        } else {
            text(&output.stderr)
        };
        let expected = expected.replace('@', DIR);
        if output.status.code() != Some(*code) || !stream.contains(&expected) {
            failures.push(format!(
                "{what}: `recontact {line}` exited {:?} (want {code}); wanted {expected:?} in\n{stream}",
                output.status.code()
            ));
        }
        assert!(
            !out.exists() || *code == 0,
            "{what}: a failed fit left a model file"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
