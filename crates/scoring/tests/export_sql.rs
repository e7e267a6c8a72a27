//! The exported SQL run in a real engine: SQLite (the bundled build of `rusqlite`), on the
//! committed data and on fitted models with splines and interactions, compared row by row
//! with `score_csv`, the code behind `recontact score`.
//!
//! The bundled SQLite is compiled without SQLITE_ENABLE_MATH_FUNCTIONS, so `exp`, `ln` and
//! `floor` are registered here from Rust's `f64` methods, with SQLite's own semantics
//! (NULL in, NULL out; `ln` of a non-positive number is NULL). The sqlite3 shell and most
//! distributions' libraries have them built in.

use std::collections::HashMap;
use std::path::Path;

use recontact_scoring::export::{to_sql, Dialect, ExportError, SqlOptions};
use recontact_scoring::values::parse_finite;
use recontact_scoring::{
    fit, read_dataset, score_csv, BatchOptions, FitOptions, InvalidRows, Model, OnInvalid,
    SpecConfig,
};
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

/// The agreement promised with `recontact score`.
const TOLERANCE: f64 = 1e-9;

fn repository_file(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn default_model() -> Model {
    Model::from_json(
        "default_model.json",
        &repository_file("../../data/default_model.json"),
    )
    .unwrap()
}

fn connection() -> Connection {
    let connection = Connection::open_in_memory().unwrap();
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let unary = |name: &str, f: fn(f64) -> Option<f64>| {
        connection
            .create_scalar_function(name, 1, flags, move |context| {
                Ok(context.get::<Option<f64>>(0)?.and_then(f))
            })
            .unwrap();
    };
    unary("exp", |x| Some(x.exp()));
    unary("ln", |x| (x > 0.0).then(|| x.ln()));
    unary("floor", |x| Some(x.floor()));
    connection
}

/// Loads CSV text into a table whose columns are all TEXT, as a CSV import makes them.
fn load(connection: &Connection, table: &str, csv_text: &str) {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let columns: Vec<String> = header
        .iter()
        .map(|h| format!("\"{}\" TEXT", h.replace('"', "\"\"")))
        .collect();
    connection
        .execute(
            &format!("CREATE TABLE {table} ({})", columns.join(", ")),
            [],
        )
        .unwrap();
    let placeholders = vec!["?"; header.len()].join(", ");
    let mut insert = connection
        .prepare(&format!("INSERT INTO {table} VALUES ({placeholders})"))
        .unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        insert
            .execute(rusqlite::params_from_iter(record.iter()))
            .unwrap();
    }
}

/// Runs the exported statement: the probability of each row, by the row's `key` column.
fn sql_probabilities(connection: &Connection, sql: &str, key: &str) -> Vec<(String, Option<f64>)> {
    let mut statement = connection.prepare(sql).unwrap();
    let key = statement.column_index(key).unwrap();
    let last = statement.column_count() - 1;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(key)?, row.get::<_, Option<f64>>(last)?))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// `recontact score`'s probability of each row it accepts, by the row's `key` column.
fn scored(model: &Model, csv_text: &str, key: &str) -> HashMap<String, f64> {
    let mut output = Vec::new();
    let mut rejects = Vec::new();
    let options = BatchOptions {
        on_invalid: OnInvalid::Skip,
        ..BatchOptions::default()
    };
    score_csv(
        "input",
        csv_text.as_bytes(),
        &mut output,
        Some(&mut rejects),
        model,
        &options,
        &mut |_, _| {},
    )
    .unwrap();
    let mut reader = csv::Reader::from_reader(output.as_slice());
    let header = reader.headers().unwrap().clone();
    let key = header.iter().position(|h| h == key).unwrap();
    let p = header.iter().position(|h| h == "p_success").unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[key].to_string(), r[p].parse::<f64>().unwrap())
        })
        .collect()
}

/// Every row: NULL exactly where the scorer rejects, else the scorer's probability.
#[track_caller]
fn assert_agrees(model: &Model, csv_text: &str, key: &str) -> (usize, usize, f64) {
    let connection = connection();
    load(&connection, "cases", csv_text);
    let sql = to_sql(
        model,
        &SqlOptions {
            dialect: Dialect::Sqlite,
            ..SqlOptions::default()
        },
    )
    .unwrap();
    let expected = scored(model, csv_text, key);
    let got = sql_probabilities(&connection, &sql, key);
    let mut worst: f64 = 0.0;
    let mut nulls = 0;
    for (id, p) in &got {
        match (p, expected.get(id)) {
            (Some(p), Some(want)) => {
                let difference = (p - want).abs();
                assert!(
                    difference <= TOLERANCE,
                    "row {id}: SQL {p}, recontact score {want}"
                );
                worst = worst.max(difference);
            }
            (None, None) => nulls += 1,
            (p, want) => panic!("row {id}: SQL gives {p:?}, recontact score {want:?}"),
        }
    }
    (got.len(), nulls, worst)
}

#[test]
fn the_default_model_in_sqlite_matches_recontact_score_on_the_committed_data() {
    let data = repository_file("../../data/recontact_outcomes.csv");
    let (rows, nulls, worst) = assert_agrees(&default_model(), &data, "case_id");
    assert_eq!((rows, nulls), (5000, 0));
    eprintln!("default model, 5000 rows: largest difference {worst:e}");
}

#[test]
fn rows_the_scorer_rejects_give_null() {
    let header = "case_id,contact_type,stage_reached,decline_reason,days_since_decline,\
position_status,same_contact,misrepresentation,transparent,open_to_reinterview,years_experience";
    let good =
        "agency_recruiter,screening_call,accepted_other_offer,10,open,true,false,true,true,5";
    let mut rows = vec![format!("ok,{good}")];
    let variants: &[(&str, usize, &str)] = &[
        ("level", 1, "Agency_Recruiter"),
        ("level-space", 1, "agency_recruiter "),
        ("empty-level", 2, ""),
        ("bool-upper", 6, "TRUE"),
        ("bool-yes", 7, "Yes"),
        ("bool-one", 8, "1"),
        ("bool-bad", 6, "maybe"),
        ("bool-space", 9, " true"),
        ("days-fraction", 4, "10.5"),
        ("days-exponent", 4, "1e1"),
        ("days-plus", 4, "+7"),
        ("days-dot", 4, "7."),
        ("days-negative", 4, "-1"),
        ("days-high", 4, "3651"),
        ("days-max", 4, "3650"),
        ("days-text", 4, "ten"),
        ("days-empty", 4, ""),
        ("days-inf", 4, "inf"),
        ("days-nan", 4, "NaN"),
        ("years-leading-dot", 10, ".5"),
        ("years-space", 10, " 5"),
        ("years-high", 10, "60.000001"),
        ("years-max", 10, "6e1"),
        ("years-huge", 10, "1e400"),
    ];
    for (name, position, value) in variants {
        let mut fields: Vec<&str> = good.split(',').collect();
        fields[position - 1] = value;
        rows.push(format!("{name},{}", fields.join(",")));
    }
    let data = format!("{header}\n{}\n", rows.join("\n"));
    let (total, nulls, _) = assert_agrees(&default_model(), &data, "case_id");
    assert_eq!(total, variants.len() + 1);
    assert_eq!(nulls, 15, "rows the scorer rejects");
}

/// birthwt with every kind of term: a linear spline, a restricted cubic spline, a
/// category with awkward level names, a boolean, log1p, a plain number, and interactions
/// of components × levels, levels × components and components × components.
fn birthwt_model() -> (Model, String) {
    let raw = repository_file("tests/fixtures/birthwt.csv");
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let mut data = String::from("id,low,age,lwt,race,smoke,ptl,ftv,ui\n");
    for (i, record) in reader.records().enumerate() {
        let r = record.unwrap();
        // Levels with a quote, a comma and a backslash exercise the literal quoting.
        let race = match &r[3] {
            "1" => "white",
            "2" => "\"black, it's\"",
            _ => "other\\x",
        };
        let smoke = if &r[4] == "1" { "Yes" } else { "no" };
        data += &format!(
            "{i},{},{},{},{race},{smoke},{},{},{}\n",
            &r[0], &r[1], &r[2], &r[5], &r[8], &r[7]
        );
    }
    let spec = r#"
outcome = "low"
[[term]]
kind = "spline"
column = "age"
knots = [20, 30]
[[term]]
kind = "rcs"
column = "lwt"
k = 4
[[term]]
kind = "categorical"
column = "race"
[[term]]
kind = "boolean"
column = "smoke"
[[term]]
kind = "numeric"
column = "ftv"
transform = "log1p"
[[term]]
kind = "numeric"
column = "ptl"
[[term]]
kind = "interaction"
between = ["lwt", "race"]
[[term]]
kind = "interaction"
between = ["race", "smoke"]
[[term]]
kind = "interaction"
between = ["smoke", "age"]
[bounds]
lwt = { min = 0, max = 1e9 }
"#;
    let config = SpecConfig::from_toml("spec", spec).unwrap();
    let checked = config.clone().check().unwrap();
    let dataset = read_dataset("birthwt", data.as_bytes(), &checked, InvalidRows::Fail).unwrap();
    let options = FitOptions {
        l2: 0.1,
        ..FitOptions::default()
    };
    let fitted = fit(&checked, &dataset, options).unwrap();
    (Model::new(fitted, config, &dataset), data)
}

#[test]
fn splines_and_interactions_in_sqlite_match_recontact_score() {
    let (model, mut data) = birthwt_model();
    let (rows, nulls, worst) = assert_agrees(&model, &data, "id");
    assert_eq!((rows, nulls), (189, 0));
    eprintln!("birthwt model, 189 rows: largest difference {worst:e}");
    // Beyond and at the knots, far outside the data, and logits of ±1e300 whose
    // probabilities saturate at 0 and 1 without overflow.
    let extremes = [
        "e1,0,15,50,white,no,0,0,0",
        "e2,0,20,94.4,white,yes,0,0,0",
        "e3,0,30,188.2,\"black, it's\",YES,1,2,0",
        "e4,0,45,250,other\\x,no,3,6,0",
        "e5,0,1e6,1e8,other\\x,true,0,0,0",
        "e6,0,-1e6,0,white,0,0,0,0",
        "e7,0,25,130,white,no,1e300,0,0",
        "e8,0,25,130,white,no,-1e300,0,0",
        "e9,0,25,130,white,no,0,-0.5,0",
        "e10,0,25,130,white,no,0,-1,0",
        "e11,0,25,-1,white,no,0,0,0",
        "e12,0,25,130,White,no,0,0,0",
    ];
    data.truncate(data.find('\n').unwrap() + 1);
    data += &extremes.join("\n");
    let (rows, nulls, _) = assert_agrees(&model, &data, "id");
    assert_eq!((rows, nulls), (12, 3));
}

#[test]
fn an_offset_column_is_added_to_the_logit() {
    let (mut model, data) = birthwt_model();
    model.spec.offset = Some("ui".to_string());
    let (rows, nulls, _) = assert_agrees(&model, &data, "id");
    assert_eq!((rows, nulls), (189, 0));
}

#[test]
fn the_number_check_accepts_exactly_what_the_scorer_parses() {
    let (model, _) = birthwt_model();
    // Every string of up to four characters from a small alphabet, and some spellings
    // other parsers accept: the SQL must give NULL exactly where the scorer rejects.
    let alphabet = ['1', '.', 'e', 'E', '+', '-', 'x'];
    let mut spellings: Vec<String> = vec![String::new()];
    let mut frontier = spellings.clone();
    for _ in 0..4 {
        frontier = frontier
            .iter()
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        spellings.extend(frontier.iter().cloned());
    }
    for extra in [
        "inf",
        "-inf",
        "NaN",
        "infinity",
        "1e400",
        "-1e400",
        "1e-400",
        " 1",
        "1 ",
        "0x10",
        "1_000",
        "1d",
        "١",
        "12.5e+07",
        "00.100",
        "1.7976931348623157e308",
    ] {
        spellings.push(extra.to_string());
    }
    let mut data = String::from("id,age,lwt,race,smoke,ptl,ftv,ui\n");
    for (i, s) in spellings.iter().enumerate() {
        data += &format!("{i},25,130,white,no,{s},0,0\n");
    }
    let (rows, _, _) = assert_agrees(&model, &data, "id");
    assert_eq!(rows, spellings.len());
    let accepted = spellings
        .iter()
        .filter(|s| parse_finite(s).is_some())
        .count();
    assert!(accepted > 40, "{accepted} spellings accepted");
}

#[test]
fn qualified_tables_and_quoted_names_work() {
    let model = default_model();
    let data = repository_file("../../data/recontact_outcomes.csv");
    let connection = connection();
    load(&connection, "cases", &data);
    let sql = to_sql(
        &model,
        &SqlOptions {
            dialect: Dialect::Sqlite,
            table: "main.cases".to_string(),
            column: "p \"quoted\"".to_string(),
        },
    )
    .unwrap();
    let mut statement = connection.prepare(&sql).unwrap();
    assert_eq!(statement.column_names().last(), Some(&"p \"quoted\""));
    assert_eq!(statement.query_map([], |_| Ok(())).unwrap().count(), 5000);
}

#[test]
fn names_no_sql_can_hold_are_refused() {
    let model = default_model();
    let options = |table: &str| SqlOptions {
        table: table.to_string(),
        ..SqlOptions::default()
    };
    for table in ["", "a..b", "nul\0"] {
        assert!(matches!(
            to_sql(&model, &options(table)),
            Err(ExportError::Unrepresentable { .. })
        ));
    }
}

#[test]
fn spark_escapes_with_backslashes_and_quotes_with_backticks() {
    let (model, _) = birthwt_model();
    let sql = to_sql(
        &model,
        &SqlOptions {
            dialect: Dialect::Spark,
            table: "db.cases".to_string(),
            column: "p_success".to_string(),
        },
    )
    .unwrap();
    assert!(sql.contains(r"'black, it\'s'"), "{sql}");
    assert!(sql.contains(r"'other\\x'"));
    assert!(sql.contains("FROM `db`.`cases`;"));
    assert!(sql.contains(r"RLIKE '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?\\z'"));
    // No `--` may appear outside the leading comments: it would start a comment.
    let body: String = sql.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(!body.contains("--"));
}
