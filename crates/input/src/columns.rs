//! The column reader every reader of named columns shares: the header split and checked,
//! the needed columns looked up by name, and each record split into fields, with every
//! problem located at its line and column.
//!
//! A reader opens a [`CsvSource`] (which reads the header), asks it for the columns it
//! needs by name and [`FieldKind`] ([`CsvSource::columns`]), and then hands the chunks of
//! records to its workers ([`CsvSource::for_each_chunk`]), which split each record with
//! [`Columns::split`] and read the needed fields through the [`Columns`]. What a field
//! means (an outcome, a category, a bounded number) is the caller's business: this
//! module knows names and kinds, not models.
//!
//! ```
//! use recontact_input::columns::{CsvSource, FieldKind, Limits, Wanted};
//! use recontact_input::chunks::Fields;
//!
//! let csv = "id,x,y\na,1.5,yes\nb,oops,no\n";
//! let mut source = CsvSource::open("d.csv", csv.as_bytes(), Limits::default())?;
//! let wanted = [
//!     Wanted::new("x", FieldKind::Number, "a finite number"),
//!     Wanted::new("y", FieldKind::Text, "yes or no"),
//! ];
//! let columns = source.columns(&wanted, &[])?;
//! let mut seen = Vec::new();
//! source.for_each_chunk(
//!     |chunk| {
//!         let mut fields = Fields::default();
//!         let mut rows = Vec::new();
//!         for (line, record) in chunk.records() {
//!             columns.split(&mut fields, line, &record, chunk.quoted).expect("two fields");
//!             let x = columns.number(&fields, 0);
//!             let y = columns.text(&fields, record.content, 1, line).expect("UTF-8").to_string();
//!             rows.push((line, x, y));
//!         }
//!         rows
//!     },
//!     |rows| {
//!         seen.extend(rows);
//!         Ok::<(), std::io::Error>(())
//!     },
//!     |e| e,
//! )?;
//! assert_eq!(seen, [(2, Some(1.5), "yes".to_string()), (3, None, "no".to_string())]);
//! let error = columns.invalid(0, 3, recontact_input::DataProblem::NotANumber, "oops".into());
//! assert_eq!(error.to_string(), "d.csv:3: column 2 (x): not a finite number \"oops\"; allowed: a finite number");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read};

use crate::chunks::{for_each_in_order, record_too_long, split_header, Chunk, ChunkReader};
use crate::chunks::{Fields, Header, Record};
use crate::error::{DataError, DataProblem};
use crate::lines::{DEFAULT_MAX_COLUMNS, DEFAULT_MAX_RECORD_BYTES};

/// Problems listed before a failing read stops (and header problems listed at most).
pub const MAX_LISTED: usize = 20;

/// The size limits a source is read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest record accepted, in bytes (see [`crate::lines::RecordTooLong`]).
    pub max_record_bytes: usize,
    /// Most columns accepted in the header.
    pub max_columns: usize,
}

impl Default for Limits {
    /// [`DEFAULT_MAX_RECORD_BYTES`] and [`DEFAULT_MAX_COLUMNS`].
    fn default() -> Self {
        Limits {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_columns: DEFAULT_MAX_COLUMNS,
        }
    }
}

/// How a needed column's fields are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Read as a plain decimal while the record is split, when it is one
    /// ([`Columns::number`]); the text is there too.
    Number,
    /// Text only.
    Text,
}

/// A column a reader needs: its header name, its kind, and what it allows in words (for
/// the errors of its values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The header name.
    pub name: String,
    /// How its fields are split.
    pub kind: FieldKind,
    /// What a valid value is, in words.
    pub allowed: String,
}

impl Wanted {
    /// A needed column.
    ///
    /// ```
    /// use recontact_input::columns::{FieldKind, Wanted};
    ///
    /// let wanted = Wanted::new("age", FieldKind::Number, "a finite number");
    /// assert_eq!((wanted.name.as_str(), wanted.kind), ("age", FieldKind::Number));
    /// ```
    pub fn new(name: impl Into<String>, kind: FieldKind, allowed: impl Into<String>) -> Self {
        Wanted {
            name: name.into(),
            kind,
            allowed: allowed.into(),
        }
    }
}

/// A name the input's header must not have, because the reader writes a column of that
/// name next to the input's (a score appended to each record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The name.
    pub name: String,
    /// What the column of that name will hold, in words (`the logit`).
    pub holds: String,
    /// How to avoid the clash, in words, for the error.
    pub allowed: String,
}

/// Why a source cannot be read past its header.
#[derive(Debug)]
pub enum SourceError {
    /// The stream could not be read, or a record (the header too) is beyond the length
    /// limit: an [`io::ErrorKind::InvalidData`] error holding a
    /// [`crate::lines::RecordTooLong`] (see [`DataError::from_io`]).
    Read(io::Error),
    /// The header: absent, too wide, a needed column missing or repeated, or a reserved
    /// name taken. At most [`MAX_LISTED`] problems and a last one counting the rest.
    Header(Vec<DataError>),
}

impl SourceError {
    /// The problems as located data errors (a read failure as one).
    ///
    /// ```
    /// use recontact_input::columns::{CsvSource, Limits};
    ///
    /// let error = CsvSource::open("d.csv", "".as_bytes(), Limits::default()).err().unwrap();
    /// let errors = error.into_data_errors("d.csv");
    /// assert_eq!(errors[0].to_string(), "d.csv:1: is empty: expected a header line naming the columns");
    /// ```
    pub fn into_data_errors(self, source_name: &str) -> Vec<DataError> {
        match self {
            SourceError::Read(error) => vec![DataError::from_io(source_name, error)],
            SourceError::Header(errors) => errors,
        }
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Read(error) => error.fmt(f),
            SourceError::Header(errors) => {
                for (k, error) in errors.iter().enumerate() {
                    if k > 0 {
                        f.write_str("\n")?;
                    }
                    error.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Read(error) => Some(error),
            SourceError::Header(errors) => errors.first().map(|e| e as _),
        }
    }
}

/// A CSV source whose header was read: the rest of its records are still to come.
pub struct CsvSource<R> {
    source_name: String,
    reader: ChunkReader<R>,
    header: Header,
    names: Vec<Vec<u8>>,
    rest: Option<Chunk>,
    limits: Limits,
}

impl<R: Read> CsvSource<R> {
    /// Reads the header of `input` (named `source_name` in errors): an empty input, a
    /// header beyond the record limit or wider than the column limit is an error.
    ///
    /// ```
    /// use recontact_input::columns::{CsvSource, Limits, SourceError};
    ///
    /// let source = CsvSource::open("d.csv", "\u{feff}a,\"b,c\"\r\n1,2\r\n".as_bytes(), Limits::default())?;
    /// assert_eq!(source.names(), [b"a".to_vec(), b"b,c".to_vec()]);
    /// assert!(source.header().bom && source.has_column("b,c"));
    /// let narrow = Limits { max_columns: 1, ..Limits::default() };
    /// let wide = CsvSource::open("d.csv", "a,b\n".as_bytes(), narrow).err().unwrap();
    /// assert_eq!(wide.to_string(), "d.csv:1: the header has 2 columns, more than the limit of 1");
    /// # Ok::<(), SourceError>(())
    /// ```
    pub fn open(source_name: &str, input: R, limits: Limits) -> Result<Self, SourceError> {
        let mut reader = ChunkReader::new(input, limits.max_record_bytes);
        if crate::parquet::is_parquet_name(source_name) {
            // The text of a Parquet file (see `crate::parquet`): rows, not lines.
            reader = reader.counting_rows();
        }
        let first = reader.next_chunk(Vec::new()).map_err(SourceError::Read)?;
        let Some((header, rest)) = first.and_then(split_header) else {
            return Err(header_error(source_name, DataProblem::NoHeader));
        };
        if header.length() > limits.max_record_bytes {
            let long = record_too_long(header.line, limits.max_record_bytes);
            return Err(SourceError::Read(long));
        }
        let mut fields = Fields::default();
        fields.split(&header.content, true);
        if fields.len() > limits.max_columns {
            let problem = DataProblem::TooManyColumns {
                limit: limits.max_columns,
                found: fields.len(),
            };
            return Err(header_error(source_name, problem));
        }
        let names = (0..fields.len())
            .map(|k| fields.get(&header.content, k).to_vec())
            .collect();
        Ok(CsvSource {
            source_name: source_name.to_string(),
            reader,
            header,
            names,
            rest: Some(rest),
            limits,
        })
    }

    /// The header record as read (its bytes, line end and byte-order mark).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The header's column names, unescaped.
    pub fn names(&self) -> &[Vec<u8>] {
        &self.names
    }

    /// Whether the header has a column named `name`.
    pub fn has_column(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name.as_bytes())
    }

    /// Refuses a header that names no column (one empty field, such as `""`) as no header.
    ///
    /// ```
    /// use recontact_input::columns::{CsvSource, Limits};
    ///
    /// let source = CsvSource::open("d.csv", "\"\"\n1\n".as_bytes(), Limits::default())?;
    /// let error = source.require_names().unwrap_err();
    /// assert!(error.to_string().starts_with("d.csv:1: is empty"));
    /// # Ok::<(), recontact_input::columns::SourceError>(())
    /// ```
    pub fn require_names(&self) -> Result<(), SourceError> {
        match self.names.as_slice() {
            [] => Err(header_error(&self.source_name, DataProblem::NoHeader)),
            [only] if only.is_empty() => {
                Err(header_error(&self.source_name, DataProblem::NoHeader))
            }
            _ => Ok(()),
        }
    }

    /// Finds each `wanted` column in the header and checks that no header column takes a
    /// `reserved` name. Every missing or repeated column and every reserved name taken is
    /// listed (at most [`MAX_LISTED`]), in the order of `wanted`, then of `reserved`.
    ///
    /// ```
    /// use recontact_input::columns::{CsvSource, FieldKind, Limits, Reserved, Wanted};
    ///
    /// let source = CsvSource::open("d.csv", "a,b,a,p\n".as_bytes(), Limits::default())?;
    /// let wanted = ["a", "b", "c"].map(|n| Wanted::new(n, FieldKind::Text, "text"));
    /// let reserved = [Reserved { name: "p".into(), holds: "the probability".into(), allowed: "another name".into() }];
    /// let errors = source.columns(&wanted, &reserved).unwrap_err().into_data_errors("d.csv");
    /// let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    /// assert_eq!(messages, [
    ///     "d.csv:1: column 3 (a): column appears more than once in the header (first at position 1)",
    ///     "d.csv:1: column c: required column is missing from the header",
    ///     "d.csv:1: column 4 (p): the input already has this column, the name scoring would give \
    ///      the probability; allowed: another name",
    /// ]);
    /// let columns = source.columns(&wanted[1..2], &[])?;
    /// assert_eq!(columns.positions(), [1]);
    /// # Ok::<(), recontact_input::columns::SourceError>(())
    /// ```
    pub fn columns(
        &self,
        wanted: &[Wanted],
        reserved: &[Reserved],
    ) -> Result<Columns, SourceError> {
        let source_name = self.source_name.as_str();
        let problem = |problem, name: &str, position: Option<usize>| {
            let mut error = DataError::new(source_name, problem);
            error.line = Some(1);
            error.column = Some(name.to_string());
            error.column_position = position;
            error
        };
        let mut problems = Vec::new();
        let mut positions = Vec::with_capacity(wanted.len());
        for column in wanted {
            let mut found = self
                .names
                .iter()
                .enumerate()
                .filter(|(_, n)| *n == column.name.as_bytes());
            match (found.next(), found.next()) {
                (Some((position, _)), None) => positions.push(position),
                (None, _) => problems.push(problem(DataProblem::MissingColumn, &column.name, None)),
                (Some((first, _)), Some((again, _))) => problems.push(problem(
                    DataProblem::DuplicateColumn { first: first + 1 },
                    &column.name,
                    Some(again + 1),
                )),
            }
        }
        for name in reserved {
            if let Some(position) = self.names.iter().position(|n| *n == name.name.as_bytes()) {
                let holds = DataProblem::AppendedName {
                    holds: name.holds.clone(),
                };
                let mut error = problem(holds, &name.name, Some(position + 1));
                error.allowed = Some(name.allowed.clone());
                problems.push(error);
            }
        }
        if !problems.is_empty() {
            return Err(SourceError::Header(bounded_list(source_name, problems)));
        }
        let mut numeric = vec![false; self.names.len()];
        for (column, &position) in wanted.iter().zip(&positions) {
            numeric[position] |= column.kind == FieldKind::Number;
        }
        Ok(Columns {
            source_name: self.source_name.clone(),
            names: wanted.iter().map(|w| w.name.clone()).collect(),
            allowed: wanted.iter().map(|w| w.allowed.clone()).collect(),
            positions,
            numeric,
            width: self.names.len(),
            max_record_bytes: self.limits.max_record_bytes,
        })
    }

    /// Turns every chunk of records after the header into a result with `work`, on the
    /// threads of the current rayon pool, and hands the results to `take` in input
    /// order (see [`for_each_in_order`]); a read failure goes through `read_error`.
    ///
    /// ```
    /// use recontact_input::columns::{CsvSource, Limits};
    ///
    /// let mut source = CsvSource::open("d.csv", "h\n1\n\n2\n".as_bytes(), Limits::default())?;
    /// let mut lines = Vec::new();
    /// source.for_each_chunk(
    ///     |chunk| chunk.records().map(|(line, _)| line).collect::<Vec<_>>(),
    ///     |part| Ok::<(), std::io::Error>(lines.extend(part)),
    ///     |e| e,
    /// )?;
    /// assert_eq!((lines, source.offset()), (vec![2, 4], 7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_each_chunk<T: Send, E>(
        &mut self,
        work: impl Fn(&Chunk) -> T + Sync,
        take: impl FnMut(T) -> Result<(), E>,
        read_error: impl Fn(io::Error) -> E,
    ) -> Result<(), E> {
        let rest = self.rest.take();
        for_each_in_order(&mut self.reader, rest, work, take, read_error)
    }

    /// Bytes of the stream cut into chunks so far (all of it, once every chunk was read).
    pub fn offset(&self) -> u64 {
        self.reader.offset()
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> R {
        self.reader.into_inner()
    }
}

fn header_error(source_name: &str, problem: DataProblem) -> SourceError {
    let mut error = DataError::new(source_name, problem);
    error.line = Some(1);
    SourceError::Header(vec![error])
}

/// The first [`MAX_LISTED`] of `errors`, and a last one counting the rest.
///
/// ```
/// use recontact_input::columns::{bounded_list, MAX_LISTED};
/// use recontact_input::{DataError, DataProblem};
///
/// let errors = vec![DataError::new("d.csv", DataProblem::MissingColumn); MAX_LISTED + 3];
/// let listed = bounded_list("d.csv", errors);
/// assert_eq!(listed.len(), MAX_LISTED + 1);
/// assert_eq!(listed[MAX_LISTED].to_string(), "d.csv: ... and 3 more problems of the header");
/// ```
pub fn bounded_list(source_name: &str, mut errors: Vec<DataError>) -> Vec<DataError> {
    if errors.len() > MAX_LISTED {
        let more = errors.len() - MAX_LISTED;
        errors.truncate(MAX_LISTED);
        let message = format!("... and {more} more problems of the header");
        errors.push(DataError::new(source_name, DataProblem::Limit(message)));
    }
    errors
}

/// Why a record cannot be read as its fields.
#[derive(Debug)]
pub enum RecordProblem {
    /// The record is beyond the length limit: nothing after it can be read (an
    /// [`io::ErrorKind::InvalidData`] error holding a [`crate::lines::RecordTooLong`]).
    Unreadable(io::Error),
    /// The record is a row, but an invalid one: another number of fields than the
    /// header, or a quote still open at the end of the input (boxed: rare, and large).
    Invalid(Box<DataError>),
}

/// The needed columns of a source, found in its header: splits its records and locates
/// the problems of their fields. Shared by the threads that read the chunks.
#[derive(Debug, Clone)]
pub struct Columns {
    source_name: String,
    /// Per needed column: its name, what it allows and its 0-based header position.
    names: Vec<String>,
    allowed: Vec<String>,
    positions: Vec<usize>,
    /// Per header column: whether it is read as a number.
    numeric: Vec<bool>,
    width: usize,
    max_record_bytes: usize,
}

impl Columns {
    /// The 0-based header position of each needed column, in the order asked for.
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// The source's name.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Splits `record` (starting on `line`, from a chunk whose `quoted` flag is given)
    /// into `fields`, reading the numeric columns' plain decimals on the way.
    ///
    /// ```
    /// use recontact_input::chunks::Fields;
    /// use recontact_input::columns::{CsvSource, FieldKind, Limits, RecordProblem, Wanted};
    ///
    /// let mut source = CsvSource::open("d.csv", "a,b\n1,2\n3\n".as_bytes(), Limits::default())?;
    /// let columns = source.columns(&[Wanted::new("b", FieldKind::Number, "a number")], &[])?;
    /// let mut problems = Vec::new();
    /// source.for_each_chunk(
    ///     |chunk| {
    ///         let mut fields = Fields::default();
    ///         chunk.records().map(|(line, record)| match columns.split(&mut fields, line, &record, chunk.quoted) {
    ///             Ok(()) => columns.number(&fields, 0).map(|v| v.to_string()).unwrap_or_default(),
    ///             Err(RecordProblem::Invalid(e)) => e.to_string(),
    ///             Err(RecordProblem::Unreadable(e)) => e.to_string(),
    ///         }).collect::<Vec<_>>()
    ///     },
    ///     |part| Ok::<(), std::io::Error>(problems.extend(part)),
    ///     |e| e,
    /// )?;
    /// assert_eq!(problems, ["2", "d.csv:3: row has 1 fields but the header has 2"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn split(
        &self,
        fields: &mut Fields,
        line: u64,
        record: &Record<'_>,
        quoted: bool,
    ) -> Result<(), RecordProblem> {
        if record.length() > self.max_record_bytes {
            return Err(RecordProblem::Unreadable(record_too_long(
                line,
                self.max_record_bytes,
            )));
        }
        if record.unclosed {
            // The csv crate would take the rest of the input as the field; a column
            // appended to the record would then land inside the open quote. Refused.
            let mut error = DataError::new(&self.source_name, DataProblem::UnclosedQuote);
            error.line = Some(line);
            return Err(RecordProblem::Invalid(Box::new(error)));
        }
        fields.split_reading(record.content, quoted, &self.numeric);
        if fields.len() != self.width {
            let error = DataError::field_count(&self.source_name, line, self.width, fields.len());
            return Err(RecordProblem::Invalid(Box::new(error)));
        }
        Ok(())
    }

    /// Needed column `k`'s field of the record last split from `content`.
    #[inline]
    pub fn field<'a>(&self, fields: &'a Fields, content: &'a [u8], k: usize) -> &'a [u8] {
        fields.get(content, self.positions[k])
    }

    /// Needed column `k`'s field as a plain decimal, when it is a [`FieldKind::Number`]
    /// column and the field is one.
    #[inline]
    pub fn number(&self, fields: &Fields, k: usize) -> Option<f64> {
        fields.number(self.positions[k])
    }

    /// Needed column `k`'s field as text, or the error of a field that is not UTF-8
    /// (boxed: rare, and large).
    #[inline]
    pub fn text<'a>(
        &self,
        fields: &'a Fields,
        content: &'a [u8],
        k: usize,
        line: u64,
    ) -> Result<&'a str, Box<DataError>> {
        let bytes = self.field(fields, content, k);
        std::str::from_utf8(bytes).map_err(|_| {
            let value = String::from_utf8_lossy(bytes).into_owned();
            Box::new(self.invalid(k, line, DataProblem::InvalidUtf8, value))
        })
    }

    /// The error of needed column `k`'s `value` on `line`: its column's position, name
    /// and what it allows.
    pub fn invalid(&self, k: usize, line: u64, problem: DataProblem, value: String) -> DataError {
        let place = (self.positions[k], self.names[k].as_str());
        let allowed = self.allowed[k].clone();
        DataError::in_field(&self.source_name, problem, line, place, value, allowed)
    }
}
