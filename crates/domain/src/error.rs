//! Errors that point at the exact place in a CSV source.

use std::fmt;

/// What is wrong, independent of where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The source could not be read.
    Io(String),
    /// The source has no header line.
    NoHeader,
    /// A column the contract requires is absent from the header.
    MissingColumn,
    /// A contract column appears more than once in the header.
    DuplicateColumn {
        /// 1-based position of its first appearance.
        first: usize,
    },
    /// A row has a different number of fields than the header.
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A field is not valid UTF-8.
    InvalidUtf8,
    /// A required field is empty.
    Empty,
    /// A category field holds a level the contract does not know.
    UnknownLevel,
    /// A boolean field holds something other than true/false, 1/0 or yes/no.
    NotABoolean,
    /// An integer field holds something that is not a whole number.
    NotAnInteger,
    /// A numeric field holds something that is not a finite number.
    NotANumber,
    /// A number lies outside the allowed range.
    OutOfRange,
}

impl Problem {
    fn describe(&self) -> String {
        match self {
            Problem::Io(message) => format!("cannot be read: {message}"),
            Problem::NoHeader => "is empty: expected a header line naming the columns".into(),
            Problem::MissingColumn => "required column is missing from the header".into(),
            Problem::DuplicateColumn { first } => {
                format!("column appears more than once in the header (first at position {first})")
            }
            Problem::FieldCount { expected, found } => {
                format!("row has {found} fields but the header has {expected}")
            }
            Problem::InvalidUtf8 => "value is not valid UTF-8".into(),
            Problem::Empty => "value is empty".into(),
            Problem::UnknownLevel => "unknown level".into(),
            Problem::NotABoolean => "not a boolean".into(),
            Problem::NotAnInteger => "not a whole number".into(),
            Problem::NotANumber => "not a finite number".into(),
            Problem::OutOfRange => "out of range".into(),
        }
    }
}

/// One problem in a CSV source, with its exact position.
///
/// The display form is one line, `source:line: column N (name): problem "value"; allowed: ...`,
/// with whichever parts apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The name of the source (a path, or `<stdin>`).
    pub source_name: String,
    /// The 1-based line on which the offending row starts, when the problem has one.
    pub line: Option<u64>,
    /// The 1-based position of the column, when known.
    pub column_position: Option<usize>,
    /// The column's header name, when the problem concerns one column.
    pub column: Option<String>,
    /// The offending value exactly as read (invalid UTF-8 shown lossily).
    pub value: Option<String>,
    /// What the column allows, when the problem is a value the contract rejects.
    pub allowed: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl ReadError {
    pub(crate) fn new(source_name: &str, problem: Problem) -> Self {
        ReadError {
            source_name: source_name.to_string(),
            line: None,
            column_position: None,
            column: None,
            value: None,
            allowed: None,
            problem,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source_name)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        match (&self.column, self.column_position) {
            (Some(name), Some(position)) => write!(f, "column {position} ({name}): ")?,
            (Some(name), None) => write!(f, "column {name}: ")?,
            (None, Some(position)) => write!(f, "column {position}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.problem.describe())?;
        if let Some(value) = &self.value {
            write!(f, " {value:?}")?;
        }
        if let Some(allowed) = &self.allowed {
            write!(f, "; allowed: {allowed}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ReadError {}

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
        self.problems.iter().any(|p| {
            matches!(
                p.problem,
                Problem::Io(_)
                    | Problem::NoHeader
                    | Problem::MissingColumn
                    | Problem::DuplicateColumn { .. }
            )
        })
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
