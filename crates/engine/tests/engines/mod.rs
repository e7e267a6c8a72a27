//! Where the engines the tests run against are, from the environment.
//!
//! - `RECONTACT_TEST_POSTGRES`: a PostgreSQL URL the tests may create tables in;
//! - `RECONTACT_TEST_SQLITE`: the sqlite3 client (default: `sqlite3` on `PATH`);
//! - `RECONTACT_TEST_DUCKDB`: the DuckDB command-line client;
//! - `RECONTACT_TEST_PSQL`: PostgreSQL's psql client (default: `psql` on `PATH`);
//! - `RECONTACT_TEST_SPARK`: a command starting `spark-sql` (never required: CI has none).
//!
//! An engine that is missing makes its test print `skipped: …` and pass, unless
//! `RECONTACT_REQUIRE_ENGINES=1` (set by `.ci/engines.sh`), where it fails the test.
//! `.ci/engines.sh` provisions and starts all but Spark.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long one query of a test may take (Spark's first ones start a JVM).
pub const TIMEOUT: Duration = Duration::from_secs(600);

/// A path of the repository, from its root.
pub fn repository(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// Whether a missing engine fails the test.
pub fn required() -> bool {
    std::env::var("RECONTACT_REQUIRE_ENGINES").is_ok_and(|v| v == "1")
}

/// Reports a missing engine: fails when engines are required, else prints that the
/// test is skipped.
fn missing<T>(what: &str, variable: &str) -> Option<T> {
    if required() {
        panic!("{what} is required (RECONTACT_REQUIRE_ENGINES=1) but {variable} is not usable");
    }
    println!("skipped: no {what} (set {variable})");
    None
}

fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether `program ARG` runs and succeeds.
fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A client program from a variable, or a default name on `PATH`, if it runs.
fn client(what: &str, name: &str, default: Option<&str>, version_flag: &str) -> Option<String> {
    let program = variable(name).or_else(|| default.map(str::to_string));
    match program {
        Some(program) if runs(&program, version_flag) => Some(program),
        _ => missing(what, name),
    }
}

/// The PostgreSQL URL.
pub fn postgres() -> Option<String> {
    variable("RECONTACT_TEST_POSTGRES")
        .or_else(|| missing("PostgreSQL server", "RECONTACT_TEST_POSTGRES"))
}

/// The sqlite3 client.
pub fn sqlite() -> Option<String> {
    client(
        "sqlite3 client",
        "RECONTACT_TEST_SQLITE",
        Some("sqlite3"),
        "-version",
    )
}

/// The DuckDB client.
pub fn duckdb() -> Option<String> {
    client("DuckDB client", "RECONTACT_TEST_DUCKDB", None, "-version")
}

/// The psql client, with the PostgreSQL URL.
pub fn psql() -> Option<(String, String)> {
    let url = postgres()?;
    let program = client(
        "psql client",
        "RECONTACT_TEST_PSQL",
        Some("psql"),
        "--version",
    )?;
    Some((program, url))
}

/// A command starting spark-sql, if one is given (never required).
pub fn spark() -> Option<String> {
    let command = variable("RECONTACT_TEST_SPARK");
    if command.is_none() {
        println!("skipped: no Spark (set RECONTACT_TEST_SPARK to a command starting spark-sql -S)");
    }
    command
}

/// A word quoted for `sh`.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The tested sqlite3 command on a database file.
pub fn sqlite_command(program: &str, database: &str) -> String {
    format!("{} -bail {}", quote(program), quote(database))
}

/// The tested DuckDB command on a database file.
pub fn duckdb_command(program: &str, database: &str) -> String {
    format!("{} -list -noheader {}", quote(program), quote(database))
}

/// The tested psql command on a URL.
pub fn psql_command(program: &str, url: &str) -> String {
    format!(
        "{} -X -q -A -t -v ON_ERROR_STOP=1 {}",
        quote(program),
        quote(url)
    )
}

/// A table `name` in an SQLite database holding `csv` with every column TEXT (an empty
/// field as NULL), as a CSV import leaves it.
pub fn load_text_table(db: &rusqlite::Connection, name: &str, csv: &str) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let columns: Vec<String> = header.iter().map(|h| format!("\"{h}\" TEXT")).collect();
    // One transaction: on a file, each insert of its own would wait for the disk.
    db.execute_batch(&format!(
        "BEGIN; CREATE TABLE {name} ({});",
        columns.join(", ")
    ))
    .unwrap();
    let marks = vec!["?"; header.len()].join(", ");
    let mut insert = db
        .prepare(&format!("INSERT INTO {name} VALUES ({marks})"))
        .unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let fields = record.iter().map(|f| (!f.is_empty()).then_some(f));
        insert.execute(rusqlite::params_from_iter(fields)).unwrap();
    }
    db.execute_batch("COMMIT;").unwrap();
}

/// A connection to an SQLite database in this process.
pub struct Embedded(pub rusqlite::Connection);

impl recontact_engine::connection::Connection for Embedded {
    fn dialect(&self) -> recontact_export::Dialect {
        recontact_export::Dialect::Sqlite
    }
    fn query(
        &mut self,
        sql: &str,
    ) -> Result<Vec<String>, recontact_engine::connection::EngineError> {
        let failed = |e: rusqlite::Error| recontact_engine::connection::EngineError::Query {
            engine: "embedded sqlite".into(),
            message: e.to_string().chars().take(300).collect(),
        };
        let mut statement = self.0.prepare(sql).map_err(failed)?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(failed)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(failed)
    }
    fn describe(&self) -> String {
        "embedded sqlite".into()
    }
}

/// An in-memory SQLite database with the math functions the bundled build lacks.
pub fn embedded_database() -> rusqlite::Connection {
    use rusqlite::functions::FunctionFlags;
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let unary = |name: &str, f: fn(f64) -> Option<f64>| {
        db.create_scalar_function(name, 1, flags, move |context| {
            Ok(context.get::<Option<f64>>(0)?.and_then(f))
        })
        .unwrap();
    };
    unary("exp", |x| Some(x.exp()));
    unary("ln", |x| (x > 0.0).then(|| x.ln()));
    unary("floor", |x| Some(x.floor()));
    db
}

/// `recontact evaluate`'s numbers for `model` on `csv` in memory: every row valid, a
/// frequency weight w as w rows; with the decision curve at `thresholds`.
pub fn evaluate_in_memory(
    model: &recontact_model::Model,
    csv: &str,
    thresholds: &[f64],
) -> (
    recontact_evaluation::metrics::Evaluation,
    Vec<recontact_evaluation::decision_curve::DecisionCurveRow>,
) {
    use recontact_evaluation::{decision_curve, metrics};
    let spec = model.spec.clone().check().unwrap();
    let rows =
        recontact_model::predict::predict_source(model, &spec, "rows.csv", csv.as_bytes()).unwrap();
    let (mut y, mut lp) = (Vec::new(), Vec::new());
    for (i, (&outcome, &logit)) in rows.outcome.iter().zip(&rows.linear_predictor).enumerate() {
        let copies = rows.weights.as_ref().map_or(1, |w| w[i] as usize);
        for _ in 0..copies {
            y.push(outcome);
            lp.push(logit);
        }
    }
    let p: Vec<f64> = lp
        .iter()
        .map(|&l| recontact_stats::distributions::logistic(l))
        .collect();
    let evaluation =
        metrics::evaluate_with(&y, &p, Some(&lp), 10, metrics::LoessSurface::Auto).unwrap();
    let curve = decision_curve::decision_curve(&y, &p, thresholds).unwrap();
    (evaluation, curve)
}

/// Asserts that every number of `engine` is within `tolerance` of `memory`'s, relative
/// to max(|memory|, 1e-3), key by key (arrays element by element).
pub fn assert_numbers_agree(
    engine: &serde_json::Value,
    memory: &serde_json::Value,
    tolerance: f64,
) {
    fn walk(path: &str, e: &serde_json::Value, m: &serde_json::Value, tolerance: f64) {
        use serde_json::Value;
        match (e, m) {
            (Value::Number(a), Value::Number(b)) => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                assert!(
                    (a - b).abs() <= tolerance * b.abs().max(1e-3),
                    "{path}: {a} in the engine, {b} in memory"
                );
            }
            (Value::Array(a), Value::Array(b)) => {
                assert_eq!(a.len(), b.len(), "{path}: lengths");
                for (k, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{k}]"), x, y, tolerance);
                }
            }
            (Value::Object(a), Value::Object(b)) => {
                assert_eq!(
                    a.keys().collect::<Vec<_>>(),
                    b.keys().collect::<Vec<_>>(),
                    "{path}: keys"
                );
                for (key, x) in a {
                    walk(&format!("{path}.{key}"), x, &b[key], tolerance);
                }
            }
            (a, b) => assert_eq!(a, b, "{path}"),
        }
    }
    walk("", engine, memory, tolerance);
}
