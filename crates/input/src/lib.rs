//! Reading delimited outcome data: the byte stream cut into chunks of whole records,
//! fields split and parsed on several threads with the results taken in input order,
//! values parsed with the exact semantics of the `csv` crate and Rust's float parser,
//! and every problem reported with its source, line, column, value and what is allowed.
//!
//! This crate knows nothing of models; the model crate asks it for columns by name and
//! kind through the one column reader, [`columns::CsvSource`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chunks;
pub mod columns;
pub mod error;
pub mod lines;
pub mod progress;
pub mod values;

pub use error::{DataError, DataProblem, SharedIoError};
