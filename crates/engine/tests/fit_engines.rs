//! The fit inside real engines against the in-memory fit of the same rows, to 1e-9
//! relative: a PostgreSQL server (over its protocol and through psql), the sqlite3 and
//! DuckDB command-line clients, and Spark's spark-sql when one is configured. Each loads
//! the committed data and the numeric file with weights, an offset and default knots.
//! Engines are found as `engines/mod.rs` says; CI provisions all but Spark.

mod engines;

use engines::{repository, TIMEOUT};
use recontact_engine::connection::{CommandClient, Connection, Postgres};
use recontact_engine::fit::fit_in_engine;
use recontact_export::Dialect;
use recontact_model::{fit, read_dataset, FitOptions, FittedModel, InvalidRows, Spec, SpecConfig};

/// The two data sets: committed data with its spec, the numeric file with its spec.
fn cases() -> [(&'static str, String, Spec); 2] {
    let read = |p: &str| std::fs::read_to_string(repository(p)).unwrap();
    let spec = |p: &str| SpecConfig::from_toml(p, &read(p)).unwrap().check().unwrap();
    [
        (
            "outcomes",
            repository("data/recontact_outcomes.csv"),
            spec("data/default_spec.toml"),
        ),
        (
            "weighted",
            repository("tests/data/weighted_offset.csv"),
            spec("tests/data/weighted_offset.toml"),
        ),
    ]
}

fn in_memory(csv_path: &str, spec: &Spec, options: FitOptions) -> FittedModel {
    let csv = std::fs::read(csv_path).unwrap();
    let data = read_dataset(csv_path, csv.as_slice(), spec, InvalidRows::Fail).unwrap();
    fit(spec, &data, options).unwrap()
}

/// Relative agreement of estimates, standard errors and the two log-likelihoods.
fn assert_agree(engine: &FittedModel, memory: &FittedModel, what: &str) {
    let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-9 * scale;
    assert_eq!(engine.encoding, memory.encoding, "{what}: the encoding");
    for (e, m) in engine.estimates.iter().zip(&memory.estimates) {
        assert!(
            close(e.estimate, m.estimate, m.estimate.abs().max(1e-3)),
            "{what} {}: {} vs {}",
            m.term,
            e.estimate,
            m.estimate
        );
        assert!(
            close(e.std_error, m.std_error, m.std_error),
            "{what} {}: se {} vs {}",
            m.term,
            e.std_error,
            m.std_error
        );
    }
    let (e, m) = (&engine.statistics, &memory.statistics);
    assert!(
        close(e.log_likelihood, m.log_likelihood, m.log_likelihood.abs()),
        "{what}: log-likelihood"
    );
    assert!(
        close(
            e.null_log_likelihood,
            m.null_log_likelihood,
            m.null_log_likelihood.abs()
        ),
        "{what}: null"
    );
}

/// Fits each case's table (named by the case, plus `suffix`) and compares.
fn fit_all(connection: &mut dyn Connection, suffix: &str) {
    for (name, csv, spec) in cases() {
        for options in [
            FitOptions::default(),
            FitOptions {
                l2: 0.5,
                ..FitOptions::default()
            },
        ] {
            let table = format!("{name}{suffix}");
            let engine = fit_in_engine(connection, &table, &spec, options, InvalidRows::Fail)
                .unwrap_or_else(|e| panic!("{}: {table}: {e}", connection.describe()));
            let what = format!("{} {table} l2={}", connection.describe(), options.l2);
            assert_agree(
                &engine.summed.fitted,
                &in_memory(&csv, &spec, options),
                &what,
            );
        }
    }
}

#[test]
fn postgres_over_its_protocol_fits_text_and_typed_columns_as_in_memory() {
    let Some(url) = engines::postgres() else {
        return;
    };
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for (name, csv, _) in cases() {
        let header = std::fs::read_to_string(&csv)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let text: Vec<String> = header.split(',').map(|c| format!("\"{c}\" TEXT")).collect();
        let table = format!("{name}_native");
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
        std::io::copy(&mut std::fs::File::open(&csv).unwrap(), &mut writer).unwrap();
        writer.finish().unwrap();
    }
    // The numeric file again with typed columns: float8 comes back as shortest digits.
    client.batch_execute("DROP TABLE IF EXISTS weighted_typed; CREATE TABLE weighted_typed AS \
        SELECT CAST(y AS INTEGER) AS y, CAST(x1 AS DOUBLE PRECISION) AS x1, CAST(x2 AS INTEGER) AS x2, \
        g, CAST(w AS DOUBLE PRECISION) AS w, CAST(off AS DOUBLE PRECISION) AS off FROM weighted_native").unwrap();
    let mut connection = Postgres::connect(&url).unwrap();
    fit_all(&mut connection, "_native");
    let (_, csv, spec) = cases().into_iter().nth(1).unwrap();
    let engine = fit_in_engine(
        &mut connection,
        "weighted_typed",
        &spec,
        FitOptions::default(),
        InvalidRows::Fail,
    )
    .unwrap();
    assert_agree(
        &engine.summed.fitted,
        &in_memory(&csv, &spec, FitOptions::default()),
        "typed",
    );
}

#[test]
fn psql_as_a_client_fits_as_in_memory() {
    let Some((program, url)) = engines::psql() else {
        return;
    };
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for (name, csv, _) in cases() {
        let header = std::fs::read_to_string(&csv)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let text: Vec<String> = header.split(',').map(|c| format!("\"{c}\" TEXT")).collect();
        let table = format!("{name}_psql");
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
        std::io::copy(&mut std::fs::File::open(&csv).unwrap(), &mut writer).unwrap();
        writer.finish().unwrap();
    }
    let command = engines::psql_command(&program, &url);
    let mut connection = CommandClient::spawn(&command, Dialect::Postgres, TIMEOUT).unwrap();
    fit_all(&mut connection, "_psql");
}

#[test]
fn the_sqlite3_client_fits_as_in_memory() {
    let Some(program) = engines::sqlite() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("rows.db");
    {
        // Every column TEXT, as a CSV import leaves it.
        let db = rusqlite::Connection::open(&database).unwrap();
        for (name, csv, _) in cases() {
            engines::load_text_table(&db, name, &std::fs::read_to_string(&csv).unwrap());
        }
    }
    let command = engines::sqlite_command(&program, &database.to_string_lossy());
    let mut connection = CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT).unwrap();
    fit_all(&mut connection, "");
}

#[test]
fn the_duckdb_client_fits_typed_columns_as_in_memory() {
    let Some(program) = engines::duckdb() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("rows.duckdb");
    let mut connection = CommandClient::spawn(
        &engines::duckdb_command(&program, &database.to_string_lossy()),
        Dialect::Duckdb,
        TIMEOUT,
    )
    .unwrap();
    for (name, csv, _) in cases() {
        // DuckDB's own reader infers the types: doubles, integers, booleans, text.
        let load = format!("CREATE TABLE {name} AS SELECT * FROM read_csv('{csv}', header = true)");
        connection.query(&load).unwrap();
    }
    fit_all(&mut connection, "");
}

#[test]
fn spark_sql_fits_as_in_memory() {
    let Some(command) = engines::spark() else {
        return;
    };
    let mut connection = CommandClient::spawn(&command, Dialect::Spark, TIMEOUT).unwrap();
    for (name, csv, _) in cases() {
        let view = format!("CREATE OR REPLACE TEMPORARY VIEW {name} USING csv OPTIONS (path '{csv}', header 'true', inferSchema 'true')");
        connection.query(&view).unwrap();
    }
    let started = std::time::Instant::now();
    fit_all(&mut connection, "");
    println!(
        "spark-sql: four fits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
