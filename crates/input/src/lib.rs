//! Reading delimited outcome data: the byte stream cut into chunks of whole records,
//! fields split and parsed on several threads with the results taken in input order,
//! values parsed with the exact semantics of the `csv` crate and Rust's float parser,
//! and every problem reported with its source, line, column, value and what is allowed.
//!
//! This crate knows nothing of models; the model crate asks it for columns by name and
//! kind through the one column reader, [`columns::CsvSource`]. (For the whole road from
//! a spec and a CSV to a fitted model file and scores, see `recontact-model`'s front page.)
//!
//! A source is opened once, asked for the columns a caller needs, and read chunk by
//! chunk; what is wrong is reported with its position:
//!
//! ```
//! use recontact_input::columns::{CsvSource, FieldKind, Limits, Wanted};
//!
//! let csv = "case,age,smoker\nA,41,yes\nB,forty,no\n";
//! let mut source = CsvSource::open("cases.csv", csv.as_bytes(), Limits::default())?;
//! let wanted = [Wanted::new("age", FieldKind::Number, "a finite number")];
//! let columns = source.columns(&wanted, &[])?;
//! let mut problems = Vec::new();
//! source.for_each_chunk(
//!     |chunk| {
//!         let mut fields = recontact_input::chunks::Fields::default();
//!         let mut found = Vec::new();
//!         for (line, record) in chunk.records() {
//!             columns.split(&mut fields, line, &record, chunk.quoted).expect("three fields");
//!             if columns.number(&fields, 0).is_none() {
//!                 let raw = String::from_utf8_lossy(columns.field(&fields, record.content, 0));
//!                 found.push(format!("line {line}, column age: {raw:?} is not a number"));
//!             }
//!         }
//!         found
//!     },
//!     |found| Ok::<(), std::io::Error>(problems.extend(found)),
//!     |e| e,
//! )?;
//! assert_eq!(problems, ["line 3, column age: \"forty\" is not a number"]);
//!
//! // A column the source lacks is refused before any row is read, naming file and column.
//! let mut source = CsvSource::open("cases.csv", csv.as_bytes(), Limits::default())?;
//! let missing = source.columns(&[Wanted::new("income", FieldKind::Number, "a number")], &[]);
//! let error = missing.unwrap_err().to_string();
//! assert!(error.contains("cases.csv") && error.contains("income"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chunks;
pub mod columns;
pub mod error;
pub mod lines;
pub mod parquet;
pub mod progress;
pub mod values;

pub use error::{DataError, DataProblem, SharedIoError};
