//! Errors of reading data: each names the source, the line, the column, the value and
//! what the column allows, so a person can find and fix it.

use std::fmt;
use std::io;
use std::sync::Arc;

/// An I/O error that clones of the error holding it share, so that [`DataError`] stays
/// `Clone` and still gives the original error as its [`source`](std::error::Error::source).
///
/// Two are equal when their kinds and messages are.
///
/// ```
/// use recontact_input::error::SharedIoError;
///
/// let error = SharedIoError::new(std::io::Error::other("disk on fire"));
/// let copy = error.clone();
/// assert_eq!(copy, error);
/// assert_eq!((copy.get().kind(), copy.to_string()), (std::io::ErrorKind::Other, "disk on fire".into()));
/// ```
#[derive(Debug, Clone)]
pub struct SharedIoError(Arc<io::Error>);

impl SharedIoError {
    /// Shares `error`.
    ///
    /// ```
    /// use recontact_input::error::SharedIoError;
    ///
    /// let shared = SharedIoError::new(std::io::Error::other("disk on fire"));
    /// assert_eq!(shared.to_string(), "disk on fire");
    /// ```
    pub fn new(error: io::Error) -> Self {
        SharedIoError(Arc::new(error))
    }

    /// The I/O error.
    pub fn get(&self) -> &io::Error {
        &self.0
    }
}

impl From<io::Error> for SharedIoError {
    fn from(error: io::Error) -> Self {
        SharedIoError::new(error)
    }
}

impl PartialEq for SharedIoError {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for SharedIoError {}

impl fmt::Display for SharedIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What is wrong with one value or with the header of a data source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataProblem {
    /// The source could not be read: the I/O error, which is also the [`DataError`]'s
    /// [`source`](std::error::Error::source).
    Io(SharedIoError),
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
    /// A file of a binary format (Parquet) that cannot be read as one: corrupt,
    /// truncated, or with a column of a type that has no text form, in words.
    Format(String),
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
            DataProblem::Format(message) => message.clone(),
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
    /// The 1-based line on which the row starts. In a Parquet source (see
    /// [`crate::parquet::is_parquet_name`]) every row is one line after the header's:
    /// line `n` is data row `n - 1`, and the error says so.
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
    ///
    /// ```
    /// use recontact_input::{DataError, DataProblem};
    ///
    /// let error = DataError::new("cases.csv", DataProblem::NoHeader);
    /// assert_eq!((error.line, error.column.as_deref()), (None, None));
    /// assert!(error.to_string().starts_with("cases.csv"));
    /// ```
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
    ///
    /// ```
    /// use recontact_input::{DataError, DataProblem};
    ///
    /// let error = DataError::field_count("cases.csv", 12, 5, 4);
    /// assert_eq!(error.line, Some(12));
    /// assert_eq!(error.problem, DataProblem::FieldCount { expected: 5, found: 4 });
    /// ```
    pub fn field_count(source_name: &str, line: u64, expected: usize, found: usize) -> Self {
        let mut error = DataError::new(source_name, DataProblem::FieldCount { expected, found });
        error.line = Some(line);
        error
    }

    /// A value that breaks a column's rule; `position` is 0-based.
    ///
    /// ```
    /// use recontact_input::{DataError, DataProblem};
    ///
    /// let error = DataError::in_field("cases.csv", DataProblem::NotANumber, 3, (1, "age"),
    ///     "abc".into(), "a finite number".into());
    /// assert_eq!((error.line, error.column_position), (Some(3), Some(2)));
    /// let text = error.to_string();
    /// assert!(text.contains("cases.csv") && text.contains("age") && text.contains("abc"));
    /// ```
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
    ///
    /// From a borrowed error the I/O error's kind and message are copied; prefer
    /// [`DataError::from_csv_error`], which keeps the error itself as the source.
    ///
    /// ```
    /// use recontact_input::{DataError, DataProblem};
    ///
    /// let mut reader = csv::Reader::from_reader(&b"a\n\xFF\n"[..]);
    /// let error = reader.records().find_map(Result::err).expect("not UTF-8");
    /// let located = DataError::from_csv("d.csv", &error);
    /// assert!(matches!(located.problem, DataProblem::Io(_)));
    /// assert!(located.line.is_some() && located.to_string().contains(": cannot be read: "));
    /// ```
    pub fn from_csv(source_name: &str, error: &csv::Error) -> Self {
        let io = match error.kind() {
            csv::ErrorKind::Io(io) => Ok(io::Error::new(io.kind(), io.to_string())),
            _ => Err(error.to_string()),
        };
        DataError::from_csv_parts(source_name, error.position().map(|p| p.line()), io)
    }

    /// [`DataError::from_csv`], keeping the I/O error as the error's source.
    ///
    /// ```
    /// use std::error::Error as _;
    /// use recontact_input::DataError;
    ///
    /// let mut reader = csv::Reader::from_reader(&b"a\n\xFF\n"[..]);
    /// let error = reader.records().find_map(Result::err).expect("not UTF-8");
    /// let located = DataError::from_csv_error("d.csv", error);
    /// assert!(located.to_string().contains(": cannot be read: "));
    /// assert!(located.source().is_some());
    /// ```
    pub fn from_csv_error(source_name: &str, error: csv::Error) -> Self {
        let line = error.position().map(|p| p.line());
        let message = error.to_string();
        let io = match error.into_kind() {
            csv::ErrorKind::Io(io) => Ok(io),
            _ => Err(message),
        };
        DataError::from_csv_parts(source_name, line, io)
    }

    /// A CSV reader's failure: its I/O error, or the message of a failure that is not one.
    fn from_csv_parts(source_name: &str, line: Option<u64>, io: Result<io::Error, String>) -> Self {
        let problem = match io {
            // The readers refuse over-long input as invalid data.
            Ok(io) if io.kind() == io::ErrorKind::InvalidData => DataProblem::Limit(io.to_string()),
            Ok(io) => DataProblem::Io(SharedIoError::new(io)),
            Err(message) => DataProblem::Io(SharedIoError::new(io::Error::new(
                io::ErrorKind::InvalidData,
                message,
            ))),
        };
        let mut located = DataError::new(source_name, problem);
        located.line = line;
        located
    }

    /// The error for a failed read of `source_name`: a record beyond the length limit
    /// (with its line), or the I/O error itself, kept as the source.
    ///
    /// ```
    /// use recontact_input::{chunks::record_too_long, DataError, DataProblem};
    ///
    /// let long = DataError::from_io("d.csv", record_too_long(3, 10));
    /// assert!(long.to_string().starts_with("d.csv:3: a record longer than the limit of 10 bytes"));
    /// let broken = DataError::from_io("d.csv", std::io::Error::other("gone"));
    /// assert_eq!(broken.to_string(), "d.csv: cannot be read: gone");
    /// assert!(matches!(broken.problem, DataProblem::Io(_)));
    /// ```
    ///
    /// A Parquet source's problem ([`crate::parquet::ParquetProblem`]) is a
    /// [`DataProblem::Format`] at its row and column.
    pub fn from_io(source_name: &str, error: io::Error) -> Self {
        let inner = error.get_ref();
        if let Some(long) = inner.and_then(|e| e.downcast_ref::<crate::lines::RecordTooLong>()) {
            return long.to_data_error(source_name);
        }
        if let Some(found) = inner.and_then(|e| e.downcast_ref::<crate::parquet::ParquetProblem>())
        {
            let mut located =
                DataError::new(source_name, DataProblem::Format(found.message.clone()));
            located.line = found.row.map(|row| row + 1);
            located.column.clone_from(&found.column);
            return located;
        }
        DataError::new(source_name, DataProblem::Io(SharedIoError::new(error)))
    }

    /// True when nothing after this error can be read (I/O, header).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.problem,
            DataProblem::Io(_)
                | DataProblem::TooManyColumns { .. }
                | DataProblem::Limit(_)
                | DataProblem::Format(_)
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
        // A Parquet source has rows, not lines: `d.parquet: row 4, column 2 (age): …`;
        // its header (line 1) is the schema, named by the column alone.
        let rows = crate::parquet::is_parquet_name(&self.source_name);
        let after_row = match self.line {
            Some(line) if rows && line > 1 => {
                write!(f, ": row {}", line - 1)?;
                ", "
            }
            Some(line) if !rows => {
                write!(f, ":{line}")?;
                ": "
            }
            _ => ": ",
        };
        match (&self.column, self.column_position) {
            (Some(name), Some(position)) => write!(f, "{after_row}column {position} ({name}): ")?,
            (Some(name), None) => write!(f, "{after_row}column {name}: ")?,
            (None, Some(position)) => write!(f, "{after_row}column {position}: ")?,
            (None, None) => f.write_str(": ")?,
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

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            DataProblem::Io(error) => Some(error.get()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_problem_keeps_its_error_as_the_source_and_its_message() {
        let io = io::Error::new(io::ErrorKind::PermissionDenied, "not yours");
        let error = DataError::from_io("d.csv", io);
        assert_eq!(error.to_string(), "d.csv: cannot be read: not yours");
        let source = error.source().and_then(|e| e.downcast_ref::<io::Error>());
        assert_eq!(
            source.map(io::Error::kind),
            Some(io::ErrorKind::PermissionDenied)
        );
        // Clones share the error and compare equal.
        assert_eq!(error.clone(), error);
        assert!(error.is_fatal());
        let value = DataError::new("d.csv", DataProblem::Empty);
        assert!(value.source().is_none());
    }
}
