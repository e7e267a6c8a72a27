//! The evaluation inside real engines against `recontact evaluate`'s in memory, to 1e-9
//! relative: a PostgreSQL server over its protocol, the sqlite3 and DuckDB command-line
//! clients, and spark-sql when one is configured. Each evaluates the default model on
//! the committed data and a weighted model with an offset on the numeric file (weights
//! doubled to whole numbers). Engines are found as `engines/mod.rs` says.

mod engines;

use std::path::Path;

use engines::{assert_numbers_agree, evaluate_in_memory, repository, TIMEOUT};
use recontact_engine::connection::{CommandClient, Connection, Postgres};
use recontact_engine::evaluate::{evaluate_in_engine, EvaluateOptions};
use recontact_evaluation::decision_curve::default_thresholds;
use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, SpecConfig};

/// The cases: (table name, CSV file, model), the weighted CSV written into `folder`.
fn cases(folder: &Path) -> Vec<(&'static str, String, Model)> {
    let read = |p: &str| std::fs::read_to_string(repository(p)).unwrap();
    let default = Model::from_json("m.json", &read("data/default_model.json")).unwrap();
    let mut reader = csv::Reader::from_path(repository("tests/data/weighted_offset.csv")).unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records() {
        let mut fields: Vec<String> = record.unwrap().iter().map(String::from).collect();
        fields[4] = format!("{}", 2.0 * fields[4].parse::<f64>().unwrap());
        writer.write_record(&fields).unwrap();
    }
    let weighted = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let path = folder.join("weighted.csv");
    std::fs::write(&path, &weighted).unwrap();
    let config = SpecConfig::from_toml("s.toml", &read("tests/data/weighted_offset.toml")).unwrap();
    let spec = config.clone().check().unwrap();
    let data = read_dataset("w.csv", weighted.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let model = Model::new(
        fit(&spec, &data, FitOptions::default()).unwrap(),
        config,
        &data,
    );
    vec![
        (
            "outcomes",
            repository("data/recontact_outcomes.csv"),
            default,
        ),
        ("weighted", path.to_string_lossy().into_owned(), model),
    ]
}

/// Evaluates each case's table (named by the case, plus `suffix`) and compares.
fn evaluate_all(connection: &mut dyn Connection, cases: &[(&str, String, Model)], suffix: &str) {
    for (name, csv, model) in cases {
        let table = format!("{name}{suffix}");
        let started = std::time::Instant::now();
        let result = evaluate_in_engine(connection, &table, model, &EvaluateOptions::default())
            .unwrap_or_else(|e| panic!("{}: {table}: {e}", connection.describe()));
        println!(
            "{}: {table}: {} queries in {:.1} s",
            connection.describe(),
            result.queries,
            started.elapsed().as_secs_f64()
        );
        let text = std::fs::read_to_string(csv).unwrap();
        let (memory, curve) = evaluate_in_memory(model, &text, &default_thresholds());
        assert!(result.sample.is_all());
        assert_numbers_agree(
            &serde_json::to_value(&result.evaluation).unwrap(),
            &serde_json::to_value(&memory).unwrap(),
            1e-9,
        );
        assert_numbers_agree(
            &serde_json::to_value(&result.decision_curve).unwrap(),
            &serde_json::to_value(&curve).unwrap(),
            1e-9,
        );
    }
}

#[test]
fn postgres_over_its_protocol_evaluates_as_in_memory() {
    let Some(url) = engines::postgres() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let cases = cases(folder.path());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for (name, csv, _) in &cases {
        let header = std::fs::read_to_string(csv)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let text: Vec<String> = header.split(',').map(|c| format!("\"{c}\" TEXT")).collect();
        let table = format!("{name}_evaluated");
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({})",
                text.join(", ")
            ))
            .unwrap();
        let mut writer = client
            .copy_in(&format!(
                "COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
            ))
            .unwrap();
        std::io::copy(&mut std::fs::File::open(csv).unwrap(), &mut writer).unwrap();
        writer.finish().unwrap();
    }
    let mut connection = Postgres::connect(&url).unwrap();
    evaluate_all(&mut connection, &cases, "_evaluated");
}

#[test]
fn the_sqlite3_client_evaluates_as_in_memory() {
    let Some(program) = engines::sqlite() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let cases = cases(folder.path());
    let database = folder.path().join("rows.db");
    {
        let db = rusqlite::Connection::open(&database).unwrap();
        for (name, csv, _) in &cases {
            engines::load_text_table(&db, name, &std::fs::read_to_string(csv).unwrap());
        }
    }
    let command = engines::sqlite_command(&program, &database.to_string_lossy());
    let mut connection =
        CommandClient::spawn(&command, recontact_export::Dialect::Sqlite, TIMEOUT).unwrap();
    evaluate_all(&mut connection, &cases, "");
}

#[test]
fn the_duckdb_client_evaluates_typed_columns_as_in_memory() {
    let Some(program) = engines::duckdb() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let cases = cases(folder.path());
    let database = folder.path().join("rows.duckdb");
    let mut connection = CommandClient::spawn(
        &engines::duckdb_command(&program, &database.to_string_lossy()),
        recontact_export::Dialect::Duckdb,
        TIMEOUT,
    )
    .unwrap();
    for (name, csv, _) in &cases {
        let load = format!("CREATE TABLE {name} AS SELECT * FROM read_csv('{csv}', header = true)");
        connection.query(&load).unwrap();
    }
    evaluate_all(&mut connection, &cases, "");
}

#[test]
fn spark_sql_evaluates_as_in_memory() {
    let Some(command) = engines::spark() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let cases = cases(folder.path());
    let mut connection =
        CommandClient::spawn(&command, recontact_export::Dialect::Spark, TIMEOUT).unwrap();
    for (name, csv, _) in &cases {
        let view = format!("CREATE OR REPLACE TEMPORARY VIEW {name} USING csv OPTIONS (path '{csv}', header 'true', inferSchema 'true')");
        connection.query(&view).unwrap();
    }
    evaluate_all(&mut connection, &cases, "");
}
