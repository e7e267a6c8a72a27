//! A session with an SQL engine that answers queries of one text column.
//!
//! Two kinds of session implement [`Connection`]:
//!
//! - [`Postgres`]: PostgreSQL over its wire protocol (no TLS: reach a remote server
//!   on a trusted network or through a tunnel). Floats come back in their shortest
//!   round-trip text (`extra_float_digits = 3` is set at connect).
//! - [`CommandClient`]: any engine's own command-line client, started once with
//!   `sh -c COMMAND` and kept running for the whole session (a JVM starts once). Each
//!   statement goes to the client's standard input followed by a sentinel statement
//!   (`SELECT 'recontact-end-N'`); the lines the client prints before the sentinel's
//!   answer are the cells.
//!
//! [`open`] opens either from a [`Target`].
//!
//! # Client commands
//!
//! The client must print each cell on a line of its own, without headers, borders,
//! quotes or padding, and report errors on its standard error. These commands do
//! (tested against sqlite3 3.40, DuckDB 1.5, psql 15 and spark-sql 4.x):
//!
//! | engine | command | dialect | after an SQL error |
//! | --- | --- | --- | --- |
//! | SQLite | `sqlite3 -bail FILE` | `sqlite` | the client ends; the error says so |
//! | DuckDB | `duckdb -list -noheader FILE` (or `-csv -noheader`) | `duckdb` | the session goes on |
//! | PostgreSQL | `psql -X -q -A -t -v ON_ERROR_STOP=1 URL` | `postgres` | the client ends |
//! | Spark | `spark-sql -S` | `spark` | the session goes on |
//!
//! SQLite's client prints a float with 15 significant digits: a query that needs the
//! exact value formats it itself (`printf('%!.17g', x)`). `spark-sql` echoes each
//! statement after its prompt on standard output and writes log and timing lines on
//! standard error; with the `spark` dialect those are recognised and set aside (see
//! [`StderrRule`] and [`CommandClient::with_echo`]).
//!
//! # Bounds
//!
//! Nothing waits forever and nothing grows without bound:
//!
//! - an answer holds at most [`Limits::rows`] cells of at most [`Limits::line_bytes`]
//!   bytes each and [`Limits::bytes`] bytes in all (by default 1,000,000 cells, 1 MiB
//!   and 64 MiB); more is an error, and a client session that went past one is ended;
//! - a client's query (and its start) has a timeout, after which the client is
//!   killed; a client that ends or stalls ends the session with an error carrying the
//!   last [`STDERR_TAIL_BYTES`] bytes of its standard error and its exit status;
//! - a PostgreSQL connection gives up connecting after 30 s (unless the URL sets
//!   `connect_timeout`) and probes an idle link with TCP keepalives, so a server that
//!   vanished is noticed; a slow query is bounded by the server's `statement_timeout`,
//!   which the URL can set (`?options=-c%20statement_timeout%3D600s`).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use recontact_export::Dialect;

/// One open session with an SQL engine.
///
/// Every query this crate sends returns exactly one column of text whose cells are
/// single-line tokens (numbers in round-trip notation, hexadecimal strings), never NULL
/// and never holding separators or quotes, so any client's plain output mode carries them
/// unchanged.
pub trait Connection {
    /// The SQL dialect the engine speaks.
    fn dialect(&self) -> Dialect;
    /// Runs one statement (no trailing `;`) and gives the cells of its one column, row
    /// by row, in the order the engine returned them.
    fn query(&mut self, sql: &str) -> Result<Vec<String>, EngineError>;
    /// Runs a statement whose answer its own SQL bounds to at most `rows` cells made of
    /// numbers and keys already checked (an aggregate, a `LIMIT`, ranks asked for), so
    /// that an engine may run it without the guards [`Connection::query`] keeps against
    /// answers of any size (on PostgreSQL, the cursor that forbids parallel plans). The
    /// cells are checked as always, and more than `rows` of them is an error.
    fn query_bounded(&mut self, sql: &str, rows: usize) -> Result<Vec<String>, EngineError> {
        let cells = self.query(sql)?;
        more_than(&self.describe(), cells.len(), rows)?;
        Ok(cells)
    }
    /// The engine and where it is, for messages and a model file's provenance, without
    /// secrets (a password in a URL is left out).
    fn describe(&self) -> String;
}

/// Why a session could not be opened or a query answered.
///
/// Every variant names the engine as [`Connection::describe`] gives it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The session could not be opened.
    #[error("cannot connect to {engine}: {source}; check the address and that the engine runs and accepts this user")]
    Connect {
        /// The engine.
        engine: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The engine refused or failed the query.
    #[error("{engine}: {message}")]
    Query {
        /// The engine, as [`Connection::describe`] gives it.
        engine: String,
        /// The engine's message.
        message: String,
    },
    /// The answer is not one column of single-line tokens, or is larger than the bounds.
    #[error("{engine}: unexpected answer: {detail}")]
    Protocol {
        /// The engine.
        engine: String,
        /// What was wrong and what is allowed.
        detail: String,
    },
    /// The engine gave no answer in time; the client was stopped.
    #[error(
        "{engine}: no answer within {} s; the client was stopped (allow more time, or check that the command starts the client in a mode that reads statements from its standard input)",
        .after.as_secs_f64()
    )]
    Timeout {
        /// The engine.
        engine: String,
        /// The time allowed.
        after: Duration,
    },
    /// The client ended (or had ended) before answering.
    #[error("{engine}: the client ended ({status}){}", stderr_suffix(.stderr))]
    ClientExited {
        /// The engine.
        engine: String,
        /// Its exit status, as the system reports it.
        status: String,
        /// The last bytes the client wrote on its standard error.
        stderr: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        "; it wrote nothing on its standard error: check the command".to_string()
    } else {
        format!("; its standard error ends with:\n{trimmed}")
    }
}

/// How many bytes of a client's standard error an error carries, at most.
pub const STDERR_TAIL_BYTES: usize = 4096;

/// The largest answer a session accepts.
///
/// ```
/// use recontact_engine::connection::Limits;
///
/// let limits = Limits::default();
/// assert_eq!(limits.rows, 1_000_000);
/// assert!(limits.line_bytes < limits.bytes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Cells in one answer.
    pub rows: usize,
    /// Bytes of one cell (a client's output line).
    pub line_bytes: usize,
    /// Bytes of all the cells of one answer.
    pub bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rows: 1_000_000,
            line_bytes: 1 << 20,
            bytes: 64 << 20,
        }
    }
}

/// Where to open a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A PostgreSQL server, by URL (`postgresql://user[:password]@host[:port]/db`) or by
    /// `key=value` pairs.
    Postgres {
        /// The server's address.
        url: String,
    },
    /// An engine's command-line client, run as `sh -c COMMAND`.
    Command {
        /// The shell command starting the client (see the module's tested commands).
        command: String,
        /// The dialect the engine speaks.
        dialect: Dialect,
        /// How long the client may take to start, and to answer each query.
        timeout: Duration,
    },
}

/// Opens a session with the engine a target names.
///
/// ```
/// use std::time::Duration;
/// use recontact_engine::connection::{open, EngineError, Target};
/// use recontact_export::Dialect;
///
/// let target = Target::Command {
///     command: "exit 3".into(),
///     dialect: Dialect::Sqlite,
///     timeout: Duration::from_secs(10),
/// };
/// let error = open(&target).err().expect("the client ends at once");
/// assert!(matches!(error, EngineError::ClientExited { .. }));
/// assert!(error.to_string().contains("exit status: 3"));
/// ```
pub fn open(target: &Target) -> Result<Box<dyn Connection>, EngineError> {
    Ok(match target {
        Target::Postgres { url } => Box::new(Postgres::connect(url)?),
        Target::Command {
            command,
            dialect,
            timeout,
        } => Box::new(CommandClient::spawn(command, *dialect, *timeout)?),
    })
}

/// Whether a cell is a single-line token as the [`Connection`] contract has it.
fn check_cell(engine: &str, cell: &str, limits: &Limits) -> Result<(), EngineError> {
    let protocol = |detail: String| EngineError::Protocol {
        engine: engine.to_string(),
        detail,
    };
    if cell.is_empty() {
        return Err(protocol(
            "an empty cell (a NULL?): every cell must be a non-empty token".to_string(),
        ));
    }
    if cell.len() > limits.line_bytes {
        return Err(protocol(format!(
            "a cell of {} bytes; at most {} are allowed",
            cell.len(),
            limits.line_bytes
        )));
    }
    if let Some(bad) = cell
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '|' | ',' | '"' | '\'' | ';'))
    {
        return Err(protocol(format!(
            "the cell `{}` holds {bad:?}: a cell is one token without spaces, separators or quotes (is the client printing headers, borders or more than one column?)",
            shorten(cell, 200)
        )));
    }
    Ok(())
}

/// The start of a long text, for a message.
fn shorten(text: &str, at: usize) -> String {
    if text.len() <= at {
        return text.to_string();
    }
    let mut end = at;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Counts an answer's cells against the limits.
struct Tally<'a> {
    engine: &'a str,
    limits: Limits,
    rows: usize,
    bytes: usize,
}

impl<'a> Tally<'a> {
    fn new(engine: &'a str, limits: Limits) -> Self {
        Tally {
            engine,
            limits,
            rows: 0,
            bytes: 0,
        }
    }

    fn add(&mut self, cell: &str) -> Result<(), EngineError> {
        check_cell(self.engine, cell, &self.limits)?;
        self.rows += 1;
        self.bytes += cell.len();
        if self.rows > self.limits.rows {
            return Err(EngineError::Protocol {
                engine: self.engine.to_string(),
                detail: format!("more than {} cells in one answer", self.limits.rows),
            });
        }
        if self.bytes > self.limits.bytes {
            return Err(EngineError::Protocol {
                engine: self.engine.to_string(),
                detail: format!("more than {} bytes in one answer", self.limits.bytes),
            });
        }
        Ok(())
    }
}

/// Refuses an answer of more cells than its statement promised.
fn more_than(engine: &str, cells: usize, rows: usize) -> Result<(), EngineError> {
    if cells > rows {
        return Err(EngineError::Protocol {
            engine: engine.to_string(),
            detail: format!("{cells} cells where the statement bounds them to {rows}"),
        });
    }
    Ok(())
}

/// A statement without its trailing `;` (and the spaces around it).
fn bare_statement(sql: &str) -> &str {
    let trimmed = sql.trim();
    trimmed.strip_suffix(';').unwrap_or(trimmed).trim_end()
}

// ---------------------------------------------------------------------------------
// PostgreSQL

/// How many rows a PostgreSQL answer is fetched by at a time.
const POSTGRES_FETCH: usize = 10_000;

/// A session with a PostgreSQL server over its wire protocol.
///
/// A query runs through a cursor (`DECLARE … CURSOR FOR` the statement, in a
/// transaction of its own), fetched [`POSTGRES_FETCH`] rows at a time, so an answer
/// larger than the [`Limits`] is refused before it is all in memory; the statement is
/// therefore one that returns rows (`SELECT`, `WITH … SELECT`, `VALUES`, `TABLE`). A
/// cursor never gets a parallel plan, so [`Connection::query_bounded`] (the fit's
/// aggregates, whose SQL bounds their answers) runs as a plain query instead.
pub struct Postgres {
    client: postgres::Client,
    engine: String,
    limits: Limits,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("engine", &self.engine)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Postgres {
    /// Connects to a server by URL (`postgresql://user[:password]@host[:port]/db`, or
    /// `key=value` pairs) without TLS, and sets `extra_float_digits = 3` so floats
    /// come back in round-trip text.
    ///
    /// ```
    /// use recontact_engine::connection::{EngineError, Postgres};
    ///
    /// // Nothing listens on port 1.
    /// let error = Postgres::connect("postgresql://someone:secret@127.0.0.1:1/cases").unwrap_err();
    /// assert!(matches!(error, EngineError::Connect { .. }));
    /// let message = error.to_string();
    /// assert!(message.contains("postgres://someone@127.0.0.1:1/cases"));
    /// assert!(!message.contains("secret"));
    /// ```
    pub fn connect(url: &str) -> Result<Self, EngineError> {
        let mut config: postgres::Config = url.parse().map_err(|source| EngineError::Connect {
            engine: "PostgreSQL".to_string(),
            source: Box::new(source),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(60))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(6);
        let engine = describe_postgres(&config);
        let connect_error = |source: postgres::Error| EngineError::Connect {
            engine: engine.clone(),
            source: Box::new(source),
        };
        let mut client = config.connect(postgres::NoTls).map_err(connect_error)?;
        client
            .simple_query("SET extra_float_digits = 3")
            .map_err(connect_error)?;
        Ok(Postgres {
            client,
            engine,
            limits: Limits::default(),
        })
    }

    /// The same session with other bounds on an answer.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn error(&self, error: &postgres::Error) -> EngineError {
        match error.as_db_error() {
            Some(db) => {
                let mut message = format!(
                    "{}: {} (SQLSTATE {})",
                    db.severity(),
                    db.message(),
                    db.code().code()
                );
                if let Some(detail) = db.detail() {
                    message.push_str("; ");
                    message.push_str(detail);
                }
                if let Some(hint) = db.hint() {
                    message.push_str("; hint: ");
                    message.push_str(hint);
                }
                EngineError::Query {
                    engine: self.engine.clone(),
                    message,
                }
            }
            None => EngineError::Query {
                engine: self.engine.clone(),
                message: format!("the connection failed: {error}"),
            },
        }
    }

    /// Runs one statement and collects the one column of its rows into `tally`'s cells.
    fn collect(
        &mut self,
        sql: &str,
        cells: &mut Vec<String>,
        tally: &mut Tally<'_>,
    ) -> Result<usize, EngineError> {
        let messages = self.client.simple_query(sql).map_err(|e| self.error(&e))?;
        let mut rows = 0;
        for message in messages {
            let postgres::SimpleQueryMessage::Row(row) = message else {
                continue;
            };
            rows += 1;
            if row.len() != 1 {
                return Err(EngineError::Protocol {
                    engine: tally.engine.to_string(),
                    detail: format!("a row of {} columns; exactly one is allowed", row.len()),
                });
            }
            let Some(cell) = row.get(0) else {
                return Err(EngineError::Protocol {
                    engine: tally.engine.to_string(),
                    detail: "a NULL cell; every cell must be a non-empty token".to_string(),
                });
            };
            tally.add(cell)?;
            cells.push(cell.to_string());
        }
        Ok(rows)
    }

    /// Fetches a cursor's rows until it is done or the answer is too large.
    fn fetch_all(&mut self) -> Result<Vec<String>, EngineError> {
        let engine = self.engine.clone();
        let mut tally = Tally::new(&engine, self.limits);
        let mut cells = Vec::new();
        let fetch = format!("FETCH FORWARD {POSTGRES_FETCH} FROM recontact_answer");
        loop {
            if self.collect(&fetch, &mut cells, &mut tally)? < POSTGRES_FETCH {
                return Ok(cells);
            }
        }
    }
}

/// `postgres://user@host:port/db` of a configuration, without its password.
fn describe_postgres(config: &postgres::Config) -> String {
    let user = config.get_user().unwrap_or("postgres");
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            let port = config
                .get_ports()
                .get(i)
                .or(config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost:5432".to_string()
    } else {
        hosts.join(",")
    };
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{hosts}/{db}")
}

impl Connection for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&mut self, sql: &str) -> Result<Vec<String>, EngineError> {
        let sql = bare_statement(sql);
        let declare = format!("BEGIN; DECLARE recontact_answer NO SCROLL CURSOR FOR {sql}");
        if let Err(error) = self.client.simple_query(&declare) {
            let error = self.error(&error);
            // A failed BEGIN block leaves the transaction aborted; a failed BEGIN leaves
            // none. Either way the session is clean after this.
            let _ = self.client.simple_query("ROLLBACK");
            return Err(error);
        }
        let answer = self.fetch_all();
        let end = if answer.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.client.simple_query(end).map_err(|e| self.error(&e));
        let cells = answer?;
        ended?;
        Ok(cells)
    }

    fn query_bounded(&mut self, sql: &str, rows: usize) -> Result<Vec<String>, EngineError> {
        // A plain query, which the planner may run in parallel; its answer is at most
        // `rows` short cells, so holding it whole is bounded too.
        let engine = self.engine.clone();
        let mut tally = Tally::new(&engine, self.limits);
        let mut cells = Vec::new();
        self.collect(bare_statement(sql), &mut cells, &mut tally)?;
        more_than(&engine, cells.len(), rows)?;
        Ok(cells)
    }

    fn describe(&self) -> String {
        self.engine.clone()
    }
}

// ---------------------------------------------------------------------------------
// A command-line client

/// Which text on a client's standard error makes a query fail.
///
/// Text written while the client starts (before its first answer) never does: it is
/// kept for messages only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StderrRule {
    /// Any text written during a query is the engine's error message.
    Error,
    /// As [`StderrRule::Error`], except log and timing lines (`Time taken: …`,
    /// `25/01/31 12:00:00 WARN …`, `WARNING: …` from the JVM), which Spark writes
    /// for every statement.
    ErrorUnlessLog,
    /// Standard error never fails a query.
    Ignore,
}

impl StderrRule {
    /// The rule for a dialect's tested client.
    fn of(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Spark => StderrRule::ErrorUnlessLog,
            _ => StderrRule::Error,
        }
    }

    /// The lines of `text` that count as an error under this rule.
    fn error_text(self, text: &str) -> String {
        match self {
            StderrRule::Error => text.trim().to_string(),
            StderrRule::Ignore => String::new(),
            StderrRule::ErrorUnlessLog => text
                .lines()
                .filter(|line| !line.trim().is_empty() && !is_log_line(line))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A status or log line rather than an error (Spark's and log4j's own formats).
fn is_log_line(line: &str) -> bool {
    let line = line.trim();
    if line.starts_with("Time taken:") || line.starts_with("WARNING: ") {
        return true;
    }
    // `yy/MM/dd HH:mm:ss LEVEL …`
    let mut words = line.split_whitespace();
    let (Some(date), Some(time), Some(level)) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    let shaped = |text: &str, separator: char| {
        text.split(separator).count() == 3
            && text
                .split(separator)
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    };
    shaped(date, '/') && shaped(time, ':') && matches!(level, "INFO" | "WARN" | "DEBUG" | "TRACE")
}

/// What the client's standard output gave.
enum Event {
    Line(String),
    TooLong,
    NotText,
    Eof,
    ReadFailed(std::io::Error),
    WriteFailed,
}

/// The tail of a client's standard error and how much it wrote in all.
#[derive(Default)]
struct StderrState {
    total: u64,
    tail: VecDeque<u8>,
}

#[derive(Default)]
struct StderrLog {
    state: Mutex<StderrState>,
    grew: Condvar,
}

impl StderrLog {
    fn append(&self, bytes: &[u8]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.total += bytes.len() as u64;
        state.tail.extend(bytes);
        let excess = state.tail.len().saturating_sub(STDERR_TAIL_BYTES);
        state.tail.drain(..excess);
        self.grew.notify_all();
    }

    fn total(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// Waits until nothing more arrived for `quiet` (at most a second in all).
    fn settle(&self, quiet: Duration) {
        let start = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let seen = state.total;
            let (next, _) = self
                .grew
                .wait_timeout_while(state, quiet, |s| s.total == seen)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            if state.total == seen || start.elapsed() > Duration::from_secs(1) {
                return;
            }
        }
    }

    /// The text written since `mark` (as much of it as the tail holds).
    fn since(&self, mark: u64) -> String {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let new = usize::try_from(state.total - mark).unwrap_or(usize::MAX);
        let take = new.min(state.tail.len());
        let bytes: Vec<u8> = state
            .tail
            .iter()
            .skip(state.tail.len() - take)
            .copied()
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn tail(&self) -> String {
        self.since(0)
    }
}

/// How long standard error must stay quiet after an answer before the answer counts
/// as clean (the client writes an error before the sentinel's answer, but the two
/// streams are read by different threads).
const STDERR_QUIET: Duration = Duration::from_millis(10);

/// How long a client may take to end after its standard input closes.
const END_GRACE: Duration = Duration::from_secs(3);

/// A session with an engine's command-line client, kept running until dropped.
pub struct CommandClient {
    engine: String,
    dialect: Dialect,
    timeout: Duration,
    limits: Limits,
    stderr_rule: StderrRule,
    echo: bool,
    child: Child,
    input: Option<Sender<Vec<u8>>>,
    events: Receiver<Event>,
    stderr: Arc<StderrLog>,
    queries: u64,
    /// Why the session ended, once it has.
    ended: Option<(String, String)>,
}

impl std::fmt::Debug for CommandClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandClient")
            .field("engine", &self.engine)
            .field("timeout", &self.timeout)
            .field("queries", &self.queries)
            .finish_non_exhaustive()
    }
}

/// A command with any password in a URL left out (`//user:secret@` becomes `//user@`).
fn redact(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

impl CommandClient {
    /// Starts `sh -c COMMAND` and waits (up to `timeout`) until the client answers a
    /// first sentinel statement; `timeout` also bounds every later query.
    ///
    /// With the `spark` dialect, statement echoes on standard output and log lines on
    /// standard error are set aside.
    ///
    /// ```
    /// use std::time::Duration;
    /// use recontact_engine::connection::{CommandClient, Connection};
    /// use recontact_export::Dialect;
    ///
    /// // A stand-in engine that answers `SELECT token;` with the token.
    /// let engine = r#"while read -r line; do v=${line#SELECT }; v=${v%;}; echo "${v#\'}" | tr -d "'"; done"#;
    /// let mut client = CommandClient::spawn(engine, Dialect::Sqlite, Duration::from_secs(10))?;
    /// assert_eq!(client.query("SELECT 42")?, vec!["42"]);
    /// assert_eq!(client.query("SELECT 0.30000000000000004")?, vec!["0.30000000000000004"]);
    /// # Ok::<(), recontact_engine::connection::EngineError>(())
    /// ```
    pub fn spawn(command: &str, dialect: Dialect, timeout: Duration) -> Result<Self, EngineError> {
        let engine = format!("{} client `{}`", dialect.name(), redact(command));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that a stalled client is stopped with every
            // process it started.
            .process_group(0)
            .spawn()
            .map_err(|source| EngineError::Connect {
                engine: engine.clone(),
                source: Box::new(source),
            })?;
        let limits = Limits::default();
        let (event_sender, events) = mpsc::sync_channel(1024);
        let stderr = Arc::new(StderrLog::default());
        let (stdin, stdout, stderr_pipe) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(stdin), Some(stdout), Some(stderr_pipe)) = (stdin, stdout, stderr_pipe) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(EngineError::Connect {
                engine,
                source: "the client's standard streams could not be opened".into(),
            });
        };
        read_lines(stdout, event_sender.clone(), limits.line_bytes);
        read_stderr(stderr_pipe, Arc::clone(&stderr));
        let input = write_input(stdin, event_sender);
        let mut client = CommandClient {
            engine,
            dialect,
            timeout,
            limits,
            stderr_rule: StderrRule::of(dialect),
            echo: dialect == Dialect::Spark,
            child,
            input: Some(input),
            events,
            stderr,
            queries: 0,
            ended: None,
        };
        client.start()?;
        Ok(client)
    }

    /// The same session with other bounds on an answer (a line longer than the one set
    /// at [`CommandClient::spawn`], 1 MiB, is refused all the same).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = Limits {
            line_bytes: limits.line_bytes.min(Limits::default().line_bytes),
            ..limits
        };
        self
    }

    /// The same session with another rule for text on standard error.
    pub fn with_stderr_rule(mut self, rule: StderrRule) -> Self {
        self.stderr_rule = rule;
        self
    }

    /// The same session, setting aside (or not) output lines that echo a statement
    /// line after a prompt ending in `>` (as `spark-sql` does when its input is not a
    /// terminal).
    pub fn with_echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// Waits for the client's answer to a first sentinel: what it prints before
    /// (banners, logs) is set aside.
    fn start(&mut self) -> Result<(), EngineError> {
        let sentinel = "recontact-end-0".to_string();
        self.send(format!("SELECT '{sentinel}';\n"))?;
        let sent = [format!("SELECT '{sentinel}';")];
        let mut discarded = 0usize;
        self.read_answer(&sentinel, &sent, |_| {
            discarded += 1;
            if discarded > 10_000 {
                Err("more than 10000 lines before its first answer".to_string())
            } else {
                Ok(())
            }
        })
    }

    fn send(&mut self, text: String) -> Result<(), EngineError> {
        if let Some(ended) = self.ended.clone() {
            return Err(self.exited(ended));
        }
        let sent = self
            .input
            .as_ref()
            .is_some_and(|input| input.send(text.into_bytes()).is_ok());
        if sent {
            Ok(())
        } else {
            let ended = self.end();
            Err(self.exited(ended))
        }
    }

    fn exited(&self, (status, stderr): (String, String)) -> EngineError {
        EngineError::ClientExited {
            engine: self.engine.clone(),
            status,
            stderr,
        }
    }

    /// Reads output lines up to the sentinel's, giving the others to `line`, which may
    /// refuse one (the session then ends). Ends the session on a timeout, the client's
    /// end, or a refused line.
    fn read_answer(
        &mut self,
        sentinel: &str,
        sent: &[String],
        mut line: impl FnMut(String) -> Result<(), String>,
    ) -> Result<(), EngineError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let event = match self.events.recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    return Err(EngineError::Timeout {
                        engine: self.engine.clone(),
                        after: self.timeout,
                    });
                }
                Err(RecvTimeoutError::Disconnected) => Event::Eof,
            };
            let refused = match event {
                Event::Line(text) if text == sentinel => return Ok(()),
                Event::Line(text) if self.echo && is_echo(&text, sent) => continue,
                Event::Line(text) if text.contains(sentinel) => format!(
                    "the client printed `{}` for `SELECT '{sentinel}'`: it must print each cell alone on a line, without headers, borders, quotes or echoes (see the tested client commands)",
                    shorten(&text, 200)
                ),
                Event::Line(text) => match line(text) {
                    Ok(()) => continue,
                    Err(refused) => refused,
                },
                Event::TooLong => format!(
                    "an output line longer than {} bytes",
                    Limits::default().line_bytes
                ),
                Event::NotText => "an output line that is not UTF-8 text".to_string(),
                Event::ReadFailed(error) => format!("reading its output failed: {error}"),
                Event::Eof | Event::WriteFailed => {
                    let ended = self.end();
                    return Err(self.exited(ended));
                }
            };
            self.kill();
            return Err(EngineError::Protocol {
                engine: self.engine.clone(),
                detail: format!("{refused}; the client was stopped"),
            });
        }
    }

    /// Closes the client's input and waits a little for it to end, then kills it; gives
    /// (and keeps) its exit status and the tail of its standard error.
    fn end(&mut self) -> (String, String) {
        if let Some(ended) = &self.ended {
            return ended.clone();
        }
        self.input = None;
        let deadline = Instant::now() + END_GRACE;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break describe_status(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => {
                    self.kill_group();
                    break self
                        .child
                        .wait()
                        .map_or_else(|e| format!("unknown: {e}"), describe_status);
                }
                Err(error) => break format!("unknown: {error}"),
            }
        };
        // What it wrote last may still be on its way.
        self.stderr.settle(STDERR_QUIET);
        let ended = (status, self.stderr.tail());
        self.ended = Some(ended.clone());
        ended
    }

    /// Stops the client at once (after a timeout or an answer out of bounds).
    fn kill(&mut self) {
        if self.ended.is_some() {
            return;
        }
        self.input = None;
        self.kill_group();
        let status = self
            .child
            .wait()
            .map_or_else(|e| format!("unknown: {e}"), describe_status);
        self.ended = Some((
            format!("stopped by recontact; {status}"),
            self.stderr.tail(),
        ));
    }

    /// Kills the client's process group (the shell and whatever it started).
    fn kill_group(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
    }
}

fn describe_status(status: ExitStatus) -> String {
    status.to_string()
}

/// Whether an output line echoes one of the lines sent, after a prompt ending in `>`.
/// Compared without whitespace: spark-sql's line editor wraps a long echo at the
/// terminal's width by inserting a space and a carriage return.
fn is_echo(line: &str, sent: &[String]) -> bool {
    let squeeze = |text: &str| -> String { text.chars().filter(|c| !c.is_whitespace()).collect() };
    let line = squeeze(line);
    sent.iter().any(|sent| {
        line.strip_suffix(squeeze(sent).as_str())
            .is_some_and(|prompt| prompt.ends_with('>'))
    })
}

/// Reads the client's output into events, a line at a time, until its end.
fn read_lines(stdout: impl Read + Send + 'static, events: SyncSender<Event>, max: usize) {
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            let limit = u64::try_from(max).unwrap_or(u64::MAX) + 2;
            let event = match reader.by_ref().take(limit).read_until(b'\n', &mut buffer) {
                Ok(0) => Event::Eof,
                Ok(_) => {
                    if buffer.last() == Some(&b'\n') {
                        buffer.pop();
                    }
                    if buffer.last() == Some(&b'\r') {
                        buffer.pop();
                    }
                    if buffer.len() > max {
                        Event::TooLong
                    } else {
                        match String::from_utf8(std::mem::take(&mut buffer)) {
                            Ok(text) => Event::Line(text),
                            Err(_) => Event::NotText,
                        }
                    }
                }
                Err(error) => Event::ReadFailed(error),
            };
            let last = !matches!(event, Event::Line(_));
            if events.send(event).is_err() || last {
                return;
            }
        }
    });
}

/// Reads the client's standard error into the log until its end.
fn read_stderr(mut stderr: impl Read + Send + 'static, log: Arc<StderrLog>) {
    thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match stderr.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => log.append(&buffer[..n]),
            }
        }
    });
}

/// Writes what it is given to the client's input, in a thread of its own so that a
/// client that stops reading cannot block the session; closes the input when the
/// sender is dropped.
fn write_input(mut stdin: ChildStdin, events: SyncSender<Event>) -> Sender<Vec<u8>> {
    let (sender, texts) = mpsc::channel::<Vec<u8>>();
    thread::spawn(move || {
        for text in texts {
            if stdin.write_all(&text).and_then(|()| stdin.flush()).is_err() {
                let _ = events.send(Event::WriteFailed);
                return;
            }
        }
    });
    sender
}

impl Connection for CommandClient {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn query(&mut self, sql: &str) -> Result<Vec<String>, EngineError> {
        self.queries += 1;
        let sentinel = format!("recontact-end-{}", self.queries);
        let statement = bare_statement(sql);
        let ending = format!("SELECT '{sentinel}';");
        let mut sent: Vec<String> = format!("{statement};")
            .lines()
            .map(str::to_string)
            .collect();
        sent.push(ending.clone());
        let mark = self.stderr.total();
        self.send(format!("{statement};\n{ending}\n"))?;
        let engine = self.engine.clone();
        let mut tally = Tally::new(&engine, self.limits);
        let mut cells = Vec::new();
        let answer = self.read_answer(&sentinel, &sent, |cell| {
            tally.add(&cell).map_err(|error| match error {
                EngineError::Protocol { detail, .. } => detail,
                other => other.to_string(),
            })?;
            cells.push(cell);
            Ok(())
        });
        self.stderr.settle(STDERR_QUIET);
        let message = self.stderr_rule.error_text(&self.stderr.since(mark));
        match answer {
            Ok(()) if message.is_empty() => Ok(cells),
            Ok(()) => Err(EngineError::Query { engine, message }),
            Err(EngineError::ClientExited { status, .. }) if !message.is_empty() => {
                Err(EngineError::Query {
                    engine,
                    message: format!("{message}\n(the client ended: {status})"),
                })
            }
            Err(error) => Err(error),
        }
    }

    fn describe(&self) -> String {
        self.engine.clone()
    }
}

impl Drop for CommandClient {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_commands() {
        assert_eq!(
            redact("psql -X postgresql://ann:s3cr3t@db.example:5432/cases -q"),
            "psql -X postgresql://ann@db.example:5432/cases -q"
        );
        assert_eq!(redact("sqlite3 -bail fit.db"), "sqlite3 -bail fit.db");
        assert_eq!(
            redact("psql 'postgres://bob@h/db'"),
            "psql 'postgres://bob@h/db'"
        );
    }

    #[test]
    fn spark_log_lines_are_not_errors() {
        let rule = StderrRule::ErrorUnlessLog;
        let text = "Time taken: 1.3 seconds, Fetched 1 row(s)\n26/12/01 21:48:50 WARN Utils: Your hostname\n[UNRESOLVED_COLUMN] `bogus` cannot be resolved.\n";
        assert_eq!(
            rule.error_text(text),
            "[UNRESOLVED_COLUMN] `bogus` cannot be resolved."
        );
        assert_eq!(rule.error_text("Time taken: 0.2 seconds\n"), "");
        assert_eq!(StderrRule::Error.error_text(" oops \n"), "oops");
    }

    #[test]
    fn echoes_follow_a_prompt() {
        let sent = vec!["SELECT 1;".to_string()];
        assert!(is_echo("spark-sql (default)> SELECT 1;", &sent));
        assert!(is_echo("         > SELECT 1;", &sent));
        // Wrapped at the terminal's width (seen with spark-sql from pyspark 4.3).
        let long = ["CREATE VIEW v USING csv OPTIONS (header 'true');".to_string()];
        assert!(is_echo(
            "spark-sql (default)> CREATE VIEW v USING csv OPTIONS \r (header 'tru \re');",
            &long
        ));
        assert!(!is_echo("1", &sent));
        assert!(!is_echo("SELECT 1;", &sent));
    }

    #[test]
    fn cells_are_tokens() {
        let limits = Limits::default();
        assert!(check_cell("e", "0.30000000000000004", &limits).is_ok());
        assert!(check_cell("e", "1.0E-300", &limits).is_ok());
        for bad in ["", "1|2", "a b", "'x'", "1,2"] {
            assert!(check_cell("e", bad, &limits).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_statement_loses_its_trailing_semicolon() {
        assert_eq!(bare_statement(" SELECT 1 ;\n"), "SELECT 1");
        assert_eq!(bare_statement("SELECT 1"), "SELECT 1");
    }
}
