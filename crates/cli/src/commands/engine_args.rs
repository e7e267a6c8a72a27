//! The flags that run a command inside an SQL engine, where the rows live: which engine,
//! how to reach it, and the table (docs/cli.md, "Fitting inside an engine").

use std::time::Duration;

use recontact_engine::connection::{open, Connection, Target};
use recontact_engine::fit::PushdownError;
use recontact_scoring::export::Dialect;

use super::export::SqlDialect;
use crate::Failure;

/// Where the rows are when they are not in a file.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct EngineArgs {
    /// Run inside this engine, where the rows live (with --connect and --table): the rows
    /// never leave it, only sums do.
    #[arg(
        long,
        value_enum,
        value_name = "ENGINE",
        help_heading = "Inside an engine"
    )]
    engine: Option<EngineKind>,
    /// The engine's address: for postgres a URL, `postgresql://user@host:port/db`.
    #[arg(
        long,
        value_name = "URL",
        requires = "engine",
        help_heading = "Inside an engine"
    )]
    connect: Option<String>,
    /// Any engine through its SQL command-line client, started once as `sh -c CMD` and
    /// sent every query on its standard input (with --dialect), e.g. 'duckdb -csv
    /// -noheader crm.duckdb', 'sqlite3 -bail crm.db', 'spark-sql -S'.
    #[arg(
        long,
        value_name = "CMD",
        conflicts_with = "engine",
        requires = "dialect",
        help_heading = "Inside an engine"
    )]
    engine_command: Option<String>,
    /// The SQL dialect of --engine-command's engine.
    #[arg(
        long,
        value_enum,
        requires = "engine_command",
        help_heading = "Inside an engine"
    )]
    dialect: Option<SqlDialect>,
    /// The table holding the rows (`schema.table`), or a query (text with a space).
    #[arg(long, value_name = "TABLE", help_heading = "Inside an engine")]
    table: Option<String>,
    /// Seconds the engine may take to start and to answer each query before the run
    /// ends with an error.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        value_parser = clap::value_parser!(u64).range(1..=604_800),
        help_heading = "Inside an engine"
    )]
    engine_timeout: u64,
}

/// The engines reached natively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// PostgreSQL, over its wire protocol.
    Postgres,
}

/// An open session and the table it reads.
pub struct EngineSource {
    /// The session.
    pub connection: Box<dyn Connection>,
    /// The table or query.
    pub table: String,
}

impl EngineArgs {
    /// Whether any engine flag was given.
    pub fn given(&self) -> bool {
        self.engine.is_some() || self.engine_command.is_some() || self.table.is_some()
    }

    /// The engine and table the flags name, checked before anything is opened.
    fn target(&self) -> Result<(Target, String), Failure> {
        let usage = |m: &str| Failure::Usage(m.to_string());
        let table = self.table.clone().ok_or_else(|| {
            usage("--engine and --engine-command need --table TABLE (or a query)")
        })?;
        let timeout = Duration::from_secs(self.engine_timeout);
        let target = match (&self.engine, &self.engine_command, &self.connect) {
            (Some(EngineKind::Postgres), None, Some(url)) => Target::Postgres { url: url.clone() },
            (Some(EngineKind::Postgres), None, None) => {
                return Err(usage("--engine postgres needs --connect URL"));
            }
            (None, Some(command), _) => Target::Command {
                command: command.clone(),
                dialect: self.dialect.map(dialect).unwrap_or_default(),
                timeout,
            },
            _ => {
                return Err(usage(
                    "--table needs an engine: --engine postgres --connect URL, or \
                     --engine-command CMD --dialect DIALECT",
                ));
            }
        };
        Ok((target, table))
    }

    /// Opens the session the flags name.
    pub fn open(&self) -> Result<EngineSource, Failure> {
        let (target, table) = self.target()?;
        let connection = open(&target).map_err(|e| Failure::Io(e.to_string()))?;
        Ok(EngineSource { connection, table })
    }
}

/// The export dialect a `--dialect` choice names.
pub fn dialect(choice: SqlDialect) -> Dialect {
    match choice {
        SqlDialect::Duckdb => Dialect::Duckdb,
        SqlDialect::Postgres => Dialect::Postgres,
        SqlDialect::Sqlite => Dialect::Sqlite,
        SqlDialect::Spark => Dialect::Spark,
    }
}

/// The failure a push-down run ends with: the engine's trouble is the environment's
/// (exit 3), a name the engine cannot be sent is a usage error, the rest the data's.
pub fn failure(source: &str, error: PushdownError) -> Failure {
    match error {
        PushdownError::Fit(fit) => super::fit_failure_in(source)(fit),
        PushdownError::Sql(sql) => Failure::Usage(format!("{source}: {sql}")),
        PushdownError::Engine(engine) => Failure::Io(engine.to_string()),
        other @ PushdownError::Answer { .. } => Failure::Io(other.to_string()),
    }
}
