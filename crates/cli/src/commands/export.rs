//! `recontact export`: the model as SQL or PMML, to score where the data lives.

use std::path::PathBuf;

use recontact_scoring::export::{to_pmml, to_sql, Dialect, PmmlOptions, SqlOptions};

use super::conventions::{model_input, OutArg};
use crate::Failure;

/// Write a model as one SQL statement or as a PMML 4.4 document.
///
/// The SQL is `SELECT *, <probability> AS <column> FROM <table>`: it computes what
/// `recontact score` computes, reading the table's columns as text with the scorer's
/// rules, and gives NULL for a row the scorer would reject. PMML is a RegressionModel
/// (normalizationMethod="logit") for JVM and other PMML scoring engines.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  recontact export --format sql --dialect duckdb --table cases\n  \
recontact export --model model.json --format sql --dialect postgres --table public.cases > score.sql\n  \
recontact export --model model.json --format pmml > model.pmml\n\n\
See docs/export.md for the engines the output was run on, and docs/scaling.md."
)]
pub struct Args {
    /// A model file (default: the embedded default model).
    #[arg(long, value_name = "MODEL.json")]
    pub model: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// SQL dialect (with --format sql).
    #[arg(long, value_enum, default_value_t = SqlDialect::Duckdb)]
    pub dialect: SqlDialect,
    /// The table to score, optionally qualified (`schema.cases`); each part is quoted (SQL only).
    #[arg(long, default_value = "cases")]
    pub table: String,
    /// Name of the appended probability column (the PMML output field).
    #[arg(long, default_value = "p_success")]
    pub column: String,
    #[command(flatten)]
    pub out: OutArg,
    /// Print nothing on standard error but errors (export prints no other message;
    /// accepted by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    pub quiet: bool,
}

/// What `export` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One SQL SELECT statement.
    Sql,
    /// A PMML 4.4 document.
    Pmml,
}

/// The SQL engines `export` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlDialect {
    /// DuckDB.
    Duckdb,
    /// PostgreSQL.
    Postgres,
    /// SQLite 3.35 or later, with its math functions.
    Sqlite,
    /// Spark SQL 3.2 or later.
    Spark,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let model = super::model_or_default(args.model.as_deref())?;
    let text = match args.format {
        Format::Sql => to_sql(
            &model,
            &SqlOptions {
                dialect: match args.dialect {
                    SqlDialect::Duckdb => Dialect::Duckdb,
                    SqlDialect::Postgres => Dialect::Postgres,
                    SqlDialect::Sqlite => Dialect::Sqlite,
                    SqlDialect::Spark => Dialect::Spark,
                },
                table: args.table,
                column: args.column,
            },
        ),
        Format::Pmml => to_pmml(
            &model,
            &PmmlOptions {
                column: args.column,
                ..PmmlOptions::default()
            },
        ),
    }
    .map_err(|e| Failure::Usage(e.to_string()))?;
    args.out
        .write_checked(&model_input(args.model.as_deref()), text.as_bytes())
}
