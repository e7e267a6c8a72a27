//! Errors that point at the exact place in a CSV source.
//!
//! One problem is a [`ReadError`] (the scoring core's `DataError`: source, line, column,
//! value, what is allowed); problems found together in a header or a row are
//! [`ReadErrors`].

use std::fmt;

pub use recontact_model::{DataError as ReadError, DataProblem as Problem};

/// One or more problems found together: in a header, or in one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadErrors {
    problems: Vec<ReadError>,
}

impl ReadErrors {
    pub(crate) fn new(problems: Vec<ReadError>) -> Self {
        debug_assert!(!problems.is_empty());
        ReadErrors { problems }
    }

    /// The problems, in column order.
    pub fn problems(&self) -> &[ReadError] {
        &self.problems
    }

    /// The line the problems are on, if they concern a row.
    pub fn line(&self) -> Option<u64> {
        self.problems.first().and_then(|p| p.line)
    }

    /// True when reading cannot go on after these problems (I/O failure, unusable header).
    pub fn is_fatal(&self) -> bool {
        self.problems.iter().any(ReadError::is_fatal)
    }
}

impl fmt::Display for ReadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ReadErrors {}

impl IntoIterator for ReadErrors {
    type Item = ReadError;
    type IntoIter = std::vec::IntoIter<ReadError>;

    fn into_iter(self) -> Self::IntoIter {
        self.problems.into_iter()
    }
}
