//! Fitting and evaluating where the data lives: every pass over the rows is one SQL
//! aggregate query run by the engine that holds them, so only sums (a few hundred
//! numbers per query) cross to this process.
//!
//! - [`connection`]: a session with an engine, over PostgreSQL's wire protocol or an
//!   engine's own command-line client kept open for the whole fit.
//! - [`fit`]: the fit inside the engine, one aggregate query per pass over the rows.
//! - [`evaluate`]: a model's evaluation inside the engine: sums, ranks and order
//!   statistics over every row, the loess and ROC curves from a deterministic sample.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod connection;
pub mod evaluate;
pub mod fit;
mod knots;
