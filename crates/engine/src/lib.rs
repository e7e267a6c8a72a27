//! Fitting and evaluating where the data lives: every pass over the rows is one SQL
//! aggregate query run by the engine that holds them, so only sums (a few hundred
//! numbers per query) cross to this process.
//!
//! - [`connection`]: a session with an engine, over PostgreSQL's wire protocol or an
//!   engine's own command-line client kept open for the whole fit.
//! - [`fit`]: the fit inside the engine, one aggregate query per pass over the rows.
//! - [`evaluate`]: a model's evaluation inside the engine: sums, ranks and order
//!   statistics over every row, the loess and ROC curves from a deterministic sample.
//!
//! Any engine that answers SQL can hold the rows: implement [`connection::Connection`]
//! (here for an SQLite database in this process; PostgreSQL and command-line clients come
//! with the crate) and fit. The model is the in-memory fit's to rounding:
//!
//! ```rust
//! use recontact_engine::connection::{Connection, EngineError};
//! use recontact_engine::fit::fit_in_engine;
//! use recontact_export::Dialect;
//! use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
//!
//! struct Embedded(rusqlite::Connection);
//! impl Connection for Embedded {
//!     fn dialect(&self) -> Dialect { Dialect::Sqlite }
//!     fn describe(&self) -> String { "embedded sqlite".into() }
//!     fn query(&mut self, sql: &str) -> Result<Vec<String>, EngineError> {
//!         let failed = |e: rusqlite::Error| EngineError::Query { engine: self.describe(), message: e.to_string() };
//!         let mut statement = self.0.prepare(sql).map_err(failed)?;
//!         let rows = statement.query_map([], |row| row.get::<_, String>(0)).map_err(failed)?;
//!         rows.collect::<Result<Vec<_>, _>>().map_err(failed)
//!     }
//! }
//!
//! let db = rusqlite::Connection::open_in_memory()?;
//! // The math functions SQLite's own builds have and this one lacks.
//! let flags = rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC;
//! db.create_scalar_function("exp", 1, flags, |c| Ok(c.get::<f64>(0)?.exp()))?;
//! db.create_scalar_function("ln", 1, flags, |c| Ok(c.get::<f64>(0)?.ln()))?;
//! db.create_scalar_function("floor", 1, flags, |c| Ok(c.get::<f64>(0)?.floor()))?;
//! db.execute_batch("CREATE TABLE rows (y TEXT, x TEXT, g TEXT);
//!     INSERT INTO rows VALUES ('1','0.5','a'), ('0','1.5','b'), ('1','2.0','a'), ('0','2.5','b'),
//!         ('1','3.0','b'), ('0','0.2','a'), ('1','1.1','b'), ('0','2.2','a');")?;
//! let toml = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n\
//!     [[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n";
//! let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
//! let inside = fit_in_engine(&mut Embedded(db), "rows", &spec, FitOptions::default(), InvalidRows::Fail)?;
//!
//! let csv = "y,x,g\n1,0.5,a\n0,1.5,b\n1,2.0,a\n0,2.5,b\n1,3.0,b\n0,0.2,a\n1,1.1,b\n0,2.2,a\n";
//! let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
//! let memory = fit(&spec, &data, FitOptions::default())?;
//! for (e, m) in inside.summed.fitted.estimates.iter().zip(&memory.estimates) {
//!     assert!((e.estimate - m.estimate).abs() <= 1e-9 * m.estimate.abs().max(1.0));
//!     assert!((e.std_error - m.std_error).abs() <= 1e-9 * m.std_error);
//! }
//! assert_eq!(inside.summed.rows_used, 8);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod connection;
pub mod evaluate;
pub mod fit;
mod grouped;
mod knots;
