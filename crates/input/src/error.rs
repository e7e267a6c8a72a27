//! Errors of reading data: each names the source, the line, the column, the value and
//! what the column allows, so a person can find and fix it.

use std::fmt;

/// What is wrong with one value or with the header of a data source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataProblem {
    /// The source could not be read.
    Io(String),
    /// The source has no header line.
    NoHeader,
    /// A column the spec needs is absent from the header.
    MissingColumn,
    /// A needed column appears more than once in the header.
    DuplicateColumn {
        /// 1-based position of its first appearance.
        first: usize,
    },
    /// A header column has the name of a column that scoring appends.
    AppendedName {
        /// What the appended column holds, in words (`the logit`).
        holds: String,
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
    /// A needed field is empty.
    Empty,
    /// Not a finite number.
    NotANumber,
    /// Not a whole number.
    NotAnInteger,
    /// A number outside the allowed range.
    OutOfRange,
    /// Not a boolean.
    NotABoolean,
    /// An outcome other than 0/1.
    NotAnOutcome,
    /// A negative frequency weight.
    NegativeWeight,
    /// A value the transformation cannot take (log1p of a value ≤ -1).
    OutsideTransform,
    /// The input breaks a size limit (an over-long record).
    Limit(String),
    /// The header has more columns than the limit.
    TooManyColumns {
        /// The limit.
        limit: usize,
        /// Columns found.
        found: usize,
    },
    /// A category level outside the allowed set (the contract's, or those seen when fitting).
    UnknownLevel,
    /// A categorical column with more distinct levels than the spec allows.
    TooManyLevels {
        /// The limit (the spec's `max_levels`).
        limit: usize,
    },
    /// Values so extreme that the model's logit (or a term's contribution) overflows.
    NonFiniteLogit,
    /// The input ended inside a quoted field that opened in this record.
    UnclosedQuote,
    /// A predicted probability that is not strictly between 0 and 1.
    NotAProbability,
}

impl DataProblem {
    /// A short description, also used to group dropped rows.
    pub fn describe(&self) -> String {
        match self {
            DataProblem::Io(message) => format!("cannot be read: {message}"),
            DataProblem::NoHeader => "is empty: expected a header line naming the columns".into(),
            DataProblem::MissingColumn => "required column is missing from the header".into(),
            DataProblem::DuplicateColumn { first } => {
                format!("column appears more than once in the header (first at position {first})")
            }
            DataProblem::AppendedName { holds } => {
                format!("the input already has this column, the name scoring would give {holds}")
            }
            DataProblem::FieldCount { expected, found } => {
                format!("row has {found} fields but the header has {expected}")
            }
            DataProblem::InvalidUtf8 => "value is not valid UTF-8".into(),
            DataProblem::Empty => "value is empty".into(),
            DataProblem::NotANumber => "not a finite number".into(),
            DataProblem::NotAnInteger => "not a whole number".into(),
            DataProblem::OutOfRange => "out of range".into(),
            DataProblem::NotABoolean => "not a boolean".into(),
            DataProblem::NotAnOutcome => "not an outcome".into(),
            DataProblem::NegativeWeight => "negative weight".into(),
            DataProblem::OutsideTransform => "outside the transformation's domain".into(),
            DataProblem::UnknownLevel => "unknown level".into(),
            DataProblem::TooManyLevels { limit } => format!(
                "more than {limit} distinct levels: a column with this many is most likely an \
                 identifier, not a category (raise the limit with max_levels in the spec, or --max-levels)"
            ),
            DataProblem::UnclosedQuote => {
                "a quoted field opened in this record is not closed before the end of the input"
                    .into()
            }
            DataProblem::NotAProbability => "not a probability strictly between 0 and 1".into(),
            DataProblem::NonFiniteLogit => {
                "the values are too extreme for the model: its logit is not finite".into()
            }
            DataProblem::Limit(message) => message.clone(),
            DataProblem::TooManyColumns { limit, found } => {
                format!("the header has {found} columns, more than the limit of {limit}")
            }
        }
    }
}

/// One problem in a data source, with its exact position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The source's name (a path, or `<stdin>`).
    pub source_name: String,
    /// The 1-based line on which the row starts.
    pub line: Option<u64>,
    /// The 1-based column position.
    pub column_position: Option<usize>,
    /// The column's header name.
    pub column: Option<String>,
    /// The offending value as read.
    pub value: Option<String>,
    /// What the column allows.
    pub allowed: Option<String>,
    /// What is wrong.
    pub problem: DataProblem,
}

impl DataError {
    /// A problem in `source_name` with no position yet.
    pub fn new(source_name: &str, problem: DataProblem) -> Self {
        DataError {
            source_name: source_name.to_string(),
            line: None,
            column_position: None,
            column: None,
            value: None,
            allowed: None,
            problem,
        }
    }

    /// A row whose number of fields differs from the header's.
    pub fn field_count(source_name: &str, line: u64, expected: usize, found: usize) -> Self {
        let mut error = DataError::new(source_name, DataProblem::FieldCount { expected, found });
        error.line = Some(line);
        error
    }

    /// A value that breaks a column's rule; `position` is 0-based.
    pub fn in_field(
        source_name: &str,
        problem: DataProblem,
        line: u64,
        (position, column): (usize, &str),
        value: String,
        allowed: String,
    ) -> Self {
        DataError {
            source_name: source_name.to_string(),
            line: Some(line),
            column_position: Some(position + 1),
            column: Some(column.to_string()),
            value: Some(value),
            allowed: Some(allowed),
            problem,
        }
    }

    /// The error for a failed read of a CSV source: a broken size limit when the reader
    /// refused the input, an I/O problem otherwise.
    pub fn from_csv(source_name: &str, error: &csv::Error) -> Self {
        let problem = match error.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                DataProblem::Limit(io.to_string())
            }
            _ => DataProblem::Io(error.to_string()),
        };
        let mut located = DataError::new(source_name, problem);
        located.line = error.position().map(|p| p.line());
        located
    }

    /// True when nothing after this error can be read (I/O, header).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.problem,
            DataProblem::Io(_)
                | DataProblem::TooManyColumns { .. }
                | DataProblem::Limit(_)
                | DataProblem::NoHeader
                | DataProblem::MissingColumn
                | DataProblem::DuplicateColumn { .. }
                | DataProblem::AppendedName { .. }
        )
    }
}

impl fmt::Display for DataError {
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
        if let Some(value) = self.value.as_ref().filter(|v| !v.is_empty()) {
            write!(f, " {value:?}")?;
        }
        if let Some(allowed) = &self.allowed {
            write!(f, "; allowed: {allowed}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}
