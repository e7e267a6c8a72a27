//! Sessions with real engines: the sqlite3 and DuckDB clients, a PostgreSQL server (over
//! its wire protocol and through psql) and, when given, spark-sql; and stand-in clients
//! that end, stall or talk too much.

mod engines;

use std::time::{Duration, Instant};

use recontact_engine::connection::{
    open, CommandClient, Connection, EngineError, Limits, Postgres, Target,
};
use recontact_export::Dialect;

const TIMEOUT: Duration = Duration::from_secs(60);

fn numbers(cells: &[String]) -> Vec<f64> {
    cells
        .iter()
        .map(|c| c.parse::<f64>().unwrap_or_else(|e| panic!("{c:?}: {e}")))
        .collect()
}

/// 0.1 + 0.2 and 1e-300 come back to the last bit.
fn round_trip(connection: &mut dyn Connection, sum: &str, tiny: &str) {
    let cells = connection.query(sum).expect("the sum");
    assert_eq!(numbers(&cells), vec![0.1 + 0.2], "{cells:?}");
    assert_eq!(
        numbers(&cells)[0].to_bits(),
        0.300_000_000_000_000_04_f64.to_bits()
    );
    let cells = connection.query(tiny).expect("the tiny number");
    assert_eq!(numbers(&cells), vec![1e-300], "{cells:?}");
}

/// 1..=n in order.
fn many_rows(connection: &mut dyn Connection, sql: &str, n: usize) {
    let cells = connection.query(sql).expect("many rows");
    assert_eq!(cells.len(), n);
    let expected: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    assert_eq!(numbers(&cells), expected);
}

/// An SQL error is a Query error with the engine's words; afterwards the session
/// either answers again or says it ended.
fn sql_error(connection: &mut dyn Connection, words: &str, goes_on: bool) {
    let error = connection
        .query("SELECT no_such_column FROM no_such_table")
        .expect_err("an unknown table");
    let EngineError::Query { message, .. } = &error else {
        panic!("not a query error: {error:?}");
    };
    assert!(message.contains(words), "{message}");
    println!("{} says: {error}", connection.describe());
    if goes_on {
        assert_eq!(
            connection.query("SELECT 7").expect("usable again"),
            vec!["7"]
        );
    } else {
        assert!(message.contains("the client ended"), "{message}");
        let again = connection.query("SELECT 7").expect_err("ended");
        assert!(
            matches!(again, EngineError::ClientExited { .. }),
            "{again:?}"
        );
    }
}

fn temp_database(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(name).display().to_string();
    (dir, path)
}

#[test]
fn sqlite_client_answers_exactly() {
    let Some(program) = engines::sqlite() else {
        return;
    };
    let (_dir, db) = temp_database("cases.db");
    let command = engines::sqlite_command(&program, &db);
    let mut client =
        CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT).expect("sqlite3 starts");
    assert_eq!(client.dialect(), Dialect::Sqlite);
    assert!(
        client.describe().contains("sqlite3"),
        "{}",
        client.describe()
    );
    // sqlite3 prints 15 digits by itself: the query formats the float.
    round_trip(
        &mut client,
        "SELECT printf('%!.17g', 0.1 + 0.2)",
        "SELECT printf('%!.17g', 1e-300)",
    );
    client.query("CREATE TABLE t(x REAL)").expect("a table");
    assert!(client
        .query("INSERT INTO t VALUES (1.5), (2.5)")
        .expect("rows")
        .is_empty());
    assert_eq!(
        client.query("SELECT sum(x) FROM t;").expect("a sum"),
        vec!["4.0"]
    );
    many_rows(
        &mut client,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)\nSELECT x FROM c ORDER BY x",
        3000,
    );
    bounded(&mut client);
    sql_error(&mut client, "no such table", false);
}

/// A bounded query answers as a plain one, and more cells than its bound is an error.
fn bounded(connection: &mut dyn Connection) {
    let two = "SELECT '1' UNION ALL SELECT '2'";
    assert_eq!(connection.query_bounded(two, 2).expect("two"), ["1", "2"]);
    let error = connection
        .query_bounded(two, 1)
        .expect_err("over its bound");
    assert!(error.to_string().contains("bounds them to 1"), "{error}");
    assert_eq!(
        connection.query_bounded("SELECT '7'", 1).expect("usable"),
        ["7"]
    );
}

#[test]
fn sqlite_client_refuses_a_null_and_two_columns() {
    let Some(program) = engines::sqlite() else {
        return;
    };
    let command = engines::sqlite_command(&program, ":memory:");
    let mut client =
        CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT).expect("sqlite3 starts");
    let error = client.query("SELECT NULL").expect_err("a NULL");
    assert!(matches!(error, EngineError::Protocol { .. }), "{error:?}");
    assert!(error.to_string().contains("NULL"), "{error}");
    let mut client =
        CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT).expect("sqlite3 starts");
    let error = client.query("SELECT 1, 2").expect_err("two columns");
    assert!(
        error.to_string().contains("more than one column"),
        "{error}"
    );
}

#[test]
fn large_client_answers_are_bounded() {
    let Some(program) = engines::sqlite() else {
        return;
    };
    let command = engines::sqlite_command(&program, ":memory:");
    let rows = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c";
    let limits = Limits {
        rows: 100,
        ..Limits::default()
    };
    let mut client = CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT)
        .expect("sqlite3 starts")
        .with_limits(limits);
    let error = client.query(rows).expect_err("too many rows");
    assert!(error.to_string().contains("more than 100 cells"), "{error}");
    let after = client.query("SELECT 1").expect_err("stopped");
    assert!(
        matches!(after, EngineError::ClientExited { .. }),
        "{after:?}"
    );

    let limits = Limits {
        bytes: 1000,
        ..Limits::default()
    };
    let mut client = CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT)
        .expect("sqlite3 starts")
        .with_limits(limits);
    let error = client.query(rows).expect_err("too many bytes");
    assert!(
        error.to_string().contains("more than 1000 bytes"),
        "{error}"
    );

    // One line over the default 1 MiB, never held whole.
    let mut client =
        CommandClient::spawn(&command, Dialect::Sqlite, TIMEOUT).expect("sqlite3 starts");
    let error = client
        .query("SELECT hex(zeroblob(600000))")
        .expect_err("a long line");
    assert!(matches!(error, EngineError::Protocol { .. }), "{error:?}");
    assert!(
        error.to_string().contains("longer than 1048576 bytes"),
        "{error}"
    );
}

#[test]
fn duckdb_client_answers_exactly() {
    let Some(program) = engines::duckdb() else {
        return;
    };
    let (_dir, db) = temp_database("cases.duckdb");
    for mode in ["-list", "-csv"] {
        let command = format!(
            "{} {mode} -noheader {}",
            engines::quote(&program),
            engines::quote(&db)
        );
        let mut client =
            CommandClient::spawn(&command, Dialect::Duckdb, TIMEOUT).expect("duckdb starts");
        round_trip(
            &mut client,
            "SELECT CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE)",
            "SELECT CAST(1e-300 AS DOUBLE)",
        );
        many_rows(
            &mut client,
            "SELECT x FROM range(1, 20001) t(x) ORDER BY x",
            20_000,
        );
        sql_error(&mut client, "no_such_table", true);
    }
}

#[test]
fn postgres_answers_exactly() {
    let Some(url) = engines::postgres() else {
        return;
    };
    let mut server = Postgres::connect(&url).expect("the server");
    assert_eq!(server.dialect(), Dialect::Postgres);
    assert!(
        server.describe().starts_with("postgres://"),
        "{}",
        server.describe()
    );
    round_trip(
        &mut server,
        "SELECT 0.1::float8 + 0.2::float8",
        "SELECT 1e-300::float8",
    );
    // More rows than one fetch of the cursor.
    many_rows(
        &mut server,
        "SELECT x FROM generate_series(1, 25000) x ORDER BY x;",
        25_000,
    );
    sql_error(&mut server, "does not exist", true);
    let error = server.query("SELECT 1, 2").expect_err("two columns");
    assert!(error.to_string().contains("2 columns"), "{error}");
    let error = server.query("SELECT NULL::text").expect_err("a NULL");
    assert!(error.to_string().contains("NULL"), "{error}");
    assert_eq!(
        server.query("SELECT 'ok'").expect("usable again"),
        vec!["ok"]
    );
    bounded(&mut server);
    let error = server
        .query_bounded("SELECT NULL::text", 1)
        .expect_err("a NULL");
    assert!(error.to_string().contains("NULL"), "{error}");
}

#[test]
fn postgres_answers_are_bounded() {
    let Some(url) = engines::postgres() else {
        return;
    };
    let limits = Limits {
        rows: 15_000,
        ..Limits::default()
    };
    let mut server = Postgres::connect(&url)
        .expect("the server")
        .with_limits(limits);
    let error = server
        .query("SELECT x FROM generate_series(1, 1000000) x")
        .expect_err("too many rows");
    assert!(
        error.to_string().contains("more than 15000 cells"),
        "{error}"
    );
    assert_eq!(server.query("SELECT 2").expect("usable again"), vec!["2"]);
}

#[test]
fn postgres_describe_leaves_the_password_out() {
    let Some(url) = engines::postgres() else {
        return;
    };
    let Some(rest) = url.strip_prefix("postgresql://") else {
        println!("skipped: RECONTACT_TEST_POSTGRES is not a postgresql:// URL");
        return;
    };
    let Some((user, place)) = rest.split_once('@') else {
        return;
    };
    // Trust authentication lets any password through.
    let with_password = format!("postgresql://{user}:hunter2@{place}");
    let server = open(&Target::Postgres { url: with_password }).expect("the server");
    let described = server.describe();
    assert!(!described.contains("hunter2"), "{described}");
    assert!(
        described.starts_with(&format!("postgres://{user}@")),
        "{described}"
    );
}

#[test]
fn psql_client_answers_exactly() {
    let Some((program, url)) = engines::psql() else {
        return;
    };
    let command = engines::psql_command(&program, &url);
    let mut client =
        CommandClient::spawn(&command, Dialect::Postgres, TIMEOUT).expect("psql starts");
    round_trip(
        &mut client,
        "SELECT 0.1::float8 + 0.2::float8",
        "SELECT 1e-300::float8",
    );
    many_rows(
        &mut client,
        "SELECT x FROM generate_series(1, 5000) x ORDER BY x",
        5000,
    );
    sql_error(&mut client, "does not exist", false);
}

#[test]
fn spark_client_answers_exactly() {
    let Some(command) = engines::spark() else {
        return;
    };
    let started = Instant::now();
    let mut client = CommandClient::spawn(&command, Dialect::Spark, Duration::from_secs(600))
        .expect("spark-sql starts");
    println!(
        "spark-sql answered first after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    round_trip(
        &mut client,
        "SELECT CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE)",
        "SELECT CAST(1e-300 AS DOUBLE)",
    );
    many_rows(
        &mut client,
        "SELECT id FROM range(1, 2001)\nORDER BY id",
        2000,
    );
    sql_error(&mut client, "no_such_table", true);
    println!(
        "spark-sql session took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn a_client_that_ends_at_once_says_so() {
    let error = CommandClient::spawn(
        "echo 'no such engine' >&2; exit 3",
        Dialect::Duckdb,
        TIMEOUT,
    )
    .expect_err("ends");
    let EngineError::ClientExited { status, stderr, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(status.contains('3'), "{status}");
    assert!(stderr.contains("no such engine"), "{stderr}");
    assert!(error.to_string().contains("no such engine"), "{error}");
}

/// A stand-in client: answers its first sentinel, then runs `then`.
fn stand_in(then: &str) -> String {
    format!("read -r line; echo recontact-end-0; {then}")
}

#[test]
fn a_client_that_ends_mid_session_says_so() {
    let mut client = CommandClient::spawn(
        &stand_in("read -r line; echo 'out of memory' >&2; exit 4"),
        Dialect::Sqlite,
        TIMEOUT,
    )
    .expect("starts");
    let error = client.query("SELECT 1").expect_err("ends");
    let message = error.to_string();
    assert!(message.contains("out of memory"), "{message}");
    assert!(message.contains("exit status: 4"), "{message}");
    let again = client.query("SELECT 1").expect_err("still ended");
    assert!(
        matches!(again, EngineError::ClientExited { .. }),
        "{again:?}"
    );
}

#[test]
fn a_client_that_stalls_times_out() {
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let error = CommandClient::spawn("sleep 100", Dialect::Sqlite, timeout).expect_err("stalls");
    assert!(
        matches!(error, EngineError::Timeout { after, .. } if after == timeout),
        "{error:?}"
    );
    assert!(error.to_string().contains("within 2 s"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    let mut client =
        CommandClient::spawn(&stand_in("sleep 100; echo late"), Dialect::Sqlite, timeout)
            .expect("starts");
    let started = Instant::now();
    let error = client.query("SELECT 1").expect_err("stalls");
    assert!(matches!(error, EngineError::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let again = client.query("SELECT 1").expect_err("stopped");
    assert!(
        matches!(again, EngineError::ClientExited { .. }),
        "{again:?}"
    );
}

#[test]
fn a_client_that_ignores_its_input_is_stopped_when_dropped() {
    // Ignores the end of its input and termination signals.
    let client = CommandClient::spawn(
        &stand_in("trap '' TERM HUP; while :; do sleep 1; done"),
        Dialect::Sqlite,
        TIMEOUT,
    )
    .expect("starts");
    let started = Instant::now();
    drop(client);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_client_printing_tables_is_refused() {
    // A client that boxes its answers never prints the sentinel alone.
    let boxing = "while read -r line; do v=${line#SELECT \\'}; echo \"| ${v%\\';} |\"; done";
    let error = CommandClient::spawn(boxing, Dialect::Duckdb, TIMEOUT).expect_err("boxes");
    assert!(matches!(error, EngineError::Protocol { .. }), "{error:?}");
    assert!(error.to_string().contains("alone on a line"), "{error}");
}

#[test]
fn a_command_target_opens_a_client() {
    let Some(program) = engines::sqlite() else {
        return;
    };
    let target = Target::Command {
        command: engines::sqlite_command(&program, ":memory:"),
        dialect: Dialect::Sqlite,
        timeout: TIMEOUT,
    };
    let mut connection = open(&target).expect("opens");
    assert_eq!(
        connection.query("SELECT 40 + 2").expect("answers"),
        vec!["42"]
    );
}
