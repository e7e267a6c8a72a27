//! A session with an SQL engine that answers queries of one text column.

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
    /// The engine and where it is, for messages and a model file's provenance, without
    /// secrets (a password in a URL is left out).
    fn describe(&self) -> String;
}

/// Why a query could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The engine refused or failed the query.
    #[error("{engine}: {message}")]
    Query {
        /// The engine, as [`Connection::describe`] gives it.
        engine: String,
        /// The engine's message.
        message: String,
    },
}
