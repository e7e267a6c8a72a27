//! End to end: Parquet inputs and outputs. The fixture tests/data/recontact_outcomes.parquet
//! is data/recontact_outcomes.csv written by pyarrow (tests/data/make_parquet.py), a writer
//! independent of this project's.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, ListArray, RecordBatch};
use common::{recontact, text};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use recontact_scoring::parquet::CsvToParquet;

const CSV: &str = "data/recontact_outcomes.csv";
const PARQUET: &str = "tests/data/recontact_outcomes.parquet";

/// A model file's JSON without its provenance (which names the file and its hash).
fn without_provenance(path: &Path) -> serde_json::Value {
    let mut model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    model.as_object_mut().unwrap().remove("provenance");
    model
}

fn fit(data: &str, out: &Path, extra: &[&str]) {
    let mut args = vec!["fit", "--data", data, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn a_parquet_copy_fits_the_same_model_as_its_csv() {
    let dir = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--streaming"][..]] {
        let (from_csv, from_parquet) = (dir.path().join("c.json"), dir.path().join("p.json"));
        fit(CSV, &from_csv, extra);
        fit(PARQUET, &from_parquet, extra);
        let (a, b) = (
            without_provenance(&from_csv),
            without_provenance(&from_parquet),
        );
        assert!(
            a == b,
            "the models differ beyond their provenance ({extra:?})"
        );
        let provenance: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&from_parquet).unwrap()).unwrap();
        assert!(provenance["provenance"]
            .to_string()
            .contains("recontact_outcomes.parquet"));
    }
}

/// The columns of a Parquet file: names, types and the whole batch.
fn read_parquet(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(common::root().join(path)).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// The `p_success` column of a scored CSV.
fn csv_scores(path: &Path) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(common::root().join(path)).unwrap();
    let k = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "p_success")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[k].parse().unwrap())
        .collect()
}

#[test]
fn scoring_parquet_to_parquet_keeps_the_columns_and_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let (scored_csv, scored_parquet, from_parquet_csv) = (
        dir.path().join("s.csv"),
        dir.path().join("s.parquet"),
        dir.path().join("p.csv"),
    );
    for (input, out) in [
        (CSV, &scored_csv),
        (PARQUET, &scored_parquet),
        (PARQUET, &from_parquet_csv),
    ] {
        let output = recontact(&["score", input, "-o", out.to_str().unwrap(), "-q"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let input = read_parquet(Path::new(PARQUET));
    let scored = read_parquet(&scored_parquet);
    let (input_schema, schema) = (input.schema(), scored.schema());
    assert_eq!(schema.fields().len(), input_schema.fields().len() + 2);
    for (a, b) in input_schema.fields().iter().zip(schema.fields()) {
        assert_eq!((a.name(), a.data_type()), (b.name(), b.data_type()));
    }
    for (k, column) in input.columns().iter().enumerate() {
        assert_eq!(
            column.as_ref(),
            scored.column(k).as_ref(),
            "column {k} passed through"
        );
    }
    let p = scored
        .column_by_name("p_success")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert_eq!(p.values().to_vec(), csv_scores(&scored_csv));
    assert!(schema
        .field_with_name("logit")
        .unwrap()
        .data_type()
        .is_floating());
    // Parquet in, CSV out: the same rows as scoring the CSV, byte for byte.
    assert_eq!(
        std::fs::read(&from_parquet_csv).unwrap(),
        std::fs::read(&scored_csv).unwrap()
    );
}

#[test]
fn a_csv_scored_to_parquet_has_string_columns_and_float_scores() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.parquet");
    let output = recontact(&["score", CSV, "-o", out.to_str().unwrap(), "-q"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let scored = read_parquet(&out);
    let schema = scored.schema();
    assert_eq!(schema.field(0).data_type(), &arrow_schema::DataType::Utf8);
    assert_eq!(
        schema.field_with_name("p_success").unwrap().data_type(),
        &arrow_schema::DataType::Float64
    );
    assert_eq!(scored.num_rows(), 5000);
}

/// `csv` (text) written as Parquet with string columns, at `path`.
fn parquet_from_csv(path: &Path, csv: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = CsvToParquet::new(file, None, 0);
    writer.write_all(csv.as_bytes()).unwrap();
    writer.finish().unwrap();
}

/// The committed data's header and first `rows` rows, with `edit` applied to each row.
fn data_rows(rows: usize, edit: impl Fn(usize, &str) -> String) -> String {
    let all = std::fs::read_to_string(common::root().join(CSV)).unwrap();
    let mut lines = all.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for (k, line) in lines.take(rows).enumerate() {
        out.push_str(&edit(k + 1, line));
        out.push('\n');
    }
    out
}

#[test]
fn a_null_in_a_needed_column_names_its_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("null.parquet");
    // Row 7's years_experience (the 11th column) is empty: NULL.
    let csv = data_rows(200, |row, line| {
        let mut fields: Vec<&str> = line.split(',').collect();
        if row == 7 {
            fields[10] = "";
        }
        fields.join(",")
    });
    parquet_from_csv(&path, &csv);
    let model = dir.path().join("m.json");
    let output = recontact(&[
        "fit",
        "--data",
        path.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("null.parquet: row 7, column 11 (years_experience): value is empty"),
        "{stderr}"
    );
    let output = recontact(&["check", "--data", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        all.contains("row 7") && all.contains("years_experience"),
        "{all}"
    );
}

#[test]
fn an_unknown_level_names_its_row_and_a_skipped_row_its_row_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("level.parquet");
    let csv = data_rows(20, |row, line| {
        if row == 4 {
            line.replacen("agency_recruiter", "carrier_pigeon", 1)
                .replacen("corporate_recruiter", "carrier_pigeon", 1)
                .replacen("hiring_manager", "carrier_pigeon", 1)
        } else {
            line.to_string()
        }
    });
    parquet_from_csv(&path, &csv);
    let out = dir.path().join("s.parquet");
    let output = recontact(&["score", path.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "level.parquet: row 4, column 2 (contact_type): unknown level \"carrier_pigeon\""
        ),
        "{stderr}"
    );
    assert!(!out.exists(), "no output is left by a failed run");
    let rejects = dir.path().join("r.csv");
    let output = recontact(&[
        "score",
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--on-invalid",
        "skip",
        "--rejects",
        rejects.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let rejected = std::fs::read_to_string(&rejects).unwrap();
    assert!(rejected.starts_with("row,reason,case_id"), "{rejected}");
    assert!(
        rejected.lines().nth(1).unwrap().starts_with("4,"),
        "{rejected}"
    );
    assert_eq!(read_parquet(&out).num_rows(), 19);
}

#[test]
fn a_column_of_a_type_with_no_text_form_is_refused_by_name_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.parquet");
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    let lists: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1)]),
        None,
    ]));
    let batch = RecordBatch::try_from_iter([("id", ids), ("visits", lists)]).unwrap();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let output = recontact(&["score", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("list.parquet: column visits: has type List("),
        "{stderr}"
    );
    assert!(stderr.contains("no text form"), "{stderr}");
}

#[test]
fn a_truncated_or_corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(common::root().join(PARQUET)).unwrap();
    let truncated = dir.path().join("cut.parquet");
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let corrupt = dir.path().join("bad.parquet");
    let mut bytes = whole.clone();
    // The data pages, not the footer: overwritten with junk.
    for b in &mut bytes[200..whole.len() / 2] {
        *b = 0x5A;
    }
    std::fs::write(&corrupt, &bytes).unwrap();
    for (path, says) in [(&truncated, "not a Parquet file"), (&corrupt, "")] {
        let model = dir.path().join("m.json");
        for command in ["fit", "score", "evaluate"] {
            let mut args = vec![command, "--data", path.to_str().unwrap()];
            if command == "fit" {
                args.extend(["--out", model.to_str().unwrap()]);
            }
            let output = recontact(&args);
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
            assert!(
                stderr.contains(path.file_name().unwrap().to_str().unwrap()),
                "{stderr}"
            );
            assert!(stderr.contains(says), "{stderr}");
        }
    }
}

#[test]
fn evaluate_validate_update_and_check_read_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 4] = [
        &["evaluate", "--data", PARQUET, "--format", "json"],
        &[
            "validate",
            "--data",
            PARQUET,
            "--folds",
            "2",
            "--bootstrap",
            "2",
            "--format",
            "json",
        ],
        &["check", "--data", PARQUET],
        &[
            "update",
            "--model",
            "data/default_model.json",
            "--data",
            PARQUET,
            "--format",
            "json",
        ],
    ];
    for args in runs {
        let mut args = args.to_vec();
        let out = dir.path().join("u.json");
        if args[0] == "update" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let from_parquet = recontact(&args);
        assert_eq!(
            from_parquet.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&from_parquet.stderr)
        );
        let csv_args: Vec<&str> = args
            .iter()
            .map(|a| if *a == PARQUET { CSV } else { a })
            .collect();
        let from_csv = recontact(&csv_args);
        assert_eq!(from_csv.status.code(), Some(0));
        if args[0] == "evaluate" {
            assert_eq!(
                text(&from_parquet.stdout),
                text(&from_csv.stdout),
                "{args:?}"
            );
        }
    }
}
