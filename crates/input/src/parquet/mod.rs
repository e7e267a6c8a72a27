//! Parquet files read as the CSV text every reader of this crate already knows, and CSV
//! text written back as Parquet.
//!
//! A `.parquet` input is not given a validation path of its own: [`ParquetText`] turns
//! it, one record batch at a time, into a header and one CSV record per row, with each
//! cell in the text a CSV export would hold — a float in Rust's shortest round-trip
//! `Display` form (so the float parser gives back the same double), an integer in
//! decimal, a boolean as `true`/`false`, a string as is (quoted when it must be, an empty
//! one as `""`), a date as `2024-03-01`, a timestamp as `2024-03-01T09:30:00` (with
//! its fraction of a second when it has one, and `Z` when it is zoned: stored as UTC), a
//! time of day as `09:30:00` (with its fraction when it has one), a decimal with its
//! point (`12.50`), and NULL as an empty field (missing). The column reader then checks
//! the text exactly as it checks a CSV file's.
//!
//! Errors name rows instead of lines: a source whose name ends in `.parquet` (see
//! [`is_parquet_name`]) has one line per row in its text whatever its strings hold, and
//! [`crate::DataError`] says `row N` (the 1-based data row) where a CSV error says the
//! line. Other types (lists, structs, maps, unions, durations, intervals,
//! half floats, date64, decimal256, fixed-size binary) are refused when the file is
//! opened, naming the column and its type, and so is a binary value that is not UTF-8,
//! naming its row.
//!
//! [`CsvToParquet`] goes the other way for scored output: the CSV records written to it
//! become Parquet rows, each passed-through column with its input type and the appended
//! columns as `float64`.
//!
//! ```
//! use std::io::{Read, Write};
//! use recontact_input::parquet::{CsvToParquet, ParquetText};
//!
//! // CSV text in, Parquet out (two text columns and one appended score), and back.
//! let mut writer = CsvToParquet::new(Vec::new(), None, 1);
//! writer.write_all(b"name,note,p\nAnn,\"a, b\",0.25\nBo,,0.5\n")?;
//! let file = bytes::Bytes::from(writer.finish()?);
//! let mut text = String::new();
//! ParquetText::new(file).read_to_string(&mut text)?;
//! assert_eq!(text, "name,note,p\nAnn,\"a, b\",0.25\nBo,,0.5\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cells;
mod writer;

pub use writer::CsvToParquet;

use std::io::{self, Read};

use ::parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use ::parquet::file::reader::ChunkReader;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Schema, SchemaRef, TimeUnit};
use arrow_select::take::take;
use cells::{write_date, write_decimal, write_time, write_timestamp};

/// Rows turned into text at a time (and rows per batch written).
const BATCH_ROWS: usize = 4096;

/// The largest footer (the file's metadata) accepted, in bytes.
pub const MAX_FOOTER_BYTES: u64 = 64 * 1024 * 1024;

/// The largest column chunk accepted, uncompressed, in bytes: a row group is read column
/// chunk by column chunk, so this bounds what one read may need.
pub const MAX_COLUMN_CHUNK_BYTES: i64 = 1 << 30;

/// Whether `name` (a path or a source name) is read and written as Parquet: it ends in
/// `.parquet`, in any letter case.
///
/// ```
/// use recontact_input::parquet::is_parquet_name;
///
/// assert!(is_parquet_name("data/outcomes.PARQUET"));
/// assert!(!is_parquet_name("outcomes.csv") && !is_parquet_name("<stdin>"));
/// ```
pub fn is_parquet_name(name: &str) -> bool {
    let suffix = b".parquet";
    let bytes = name.as_bytes();
    bytes.len() > suffix.len() && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// What is wrong with a Parquet file, with its row (1-based) and column where known.
/// Carried inside an [`io::ErrorKind::InvalidData`] error by [`ParquetText`]'s reads;
/// [`crate::DataError::from_io`] turns it into a located data error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetProblem {
    /// The 1-based data row.
    pub row: Option<u64>,
    /// The column's name.
    pub column: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl ParquetProblem {
    /// A problem of the file as a whole (its footer, its schema, a page).
    ///
    /// ```
    /// use recontact_input::parquet::ParquetProblem;
    ///
    /// let problem = ParquetProblem::new("not a Parquet file");
    /// assert_eq!((problem.row, problem.to_string()), (None, "not a Parquet file".to_string()));
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        ParquetProblem {
            row: None,
            column: None,
            message: message.into(),
        }
    }

    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

impl std::fmt::Display for ParquetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(row) = self.row {
            write!(f, "row {row}, ")?;
        }
        if let Some(column) = &self.column {
            write!(f, "column {column}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParquetProblem {}

/// The text form of a column of `data_type`, or `None` when it has none a model can use.
fn has_text_form(data_type: &DataType) -> bool {
    use DataType as T;
    match data_type {
        T::Null | T::Boolean | T::Float32 | T::Float64 | T::Date32 | T::Timestamp(..) => true,
        T::Time32(TimeUnit::Second | TimeUnit::Millisecond) => true,
        T::Time64(TimeUnit::Microsecond | TimeUnit::Nanosecond) => true,
        T::Utf8 | T::LargeUtf8 | T::Utf8View | T::Binary | T::LargeBinary | T::BinaryView => true,
        T::Decimal128(..) => true,
        t if t.is_integer() => true,
        T::Dictionary(key, values) => {
            key.is_integer() && matches!(**values, T::Utf8 | T::LargeUtf8 | T::Utf8View)
        }
        _ => false,
    }
}

/// A Parquet file read as CSV text: the header (the schema's top-level names) and one
/// record per row, record batch by record batch (see the [module](self) for the text of
/// each type). The file is opened on the first read; its problems are read errors of
/// kind [`io::ErrorKind::InvalidData`] holding a [`ParquetProblem`].
///
/// ```
/// use std::io::Read;
/// use recontact_input::parquet::{CsvToParquet, ParquetText};
///
/// let mut writer = CsvToParquet::new(Vec::new(), None, 0);
/// std::io::Write::write_all(&mut writer, b"a\nx\n")?;
/// let file = bytes::Bytes::from(writer.finish()?);
/// let mut text = ParquetText::new(file);
/// assert_eq!(text.schema()?.field(0).name(), "a");
/// let mut all = String::new();
/// text.read_to_string(&mut all)?;
/// assert_eq!(all, "a\nx\n");
///
/// // Not Parquet at all: refused on the first read, naming the problem.
/// let junk = bytes::Bytes::from_static(b"a,b\n1,2\n");
/// let error = ParquetText::new(junk).read_to_string(&mut all).unwrap_err();
/// assert!(error.to_string().contains("not a Parquet file"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ParquetText<T: ChunkReader + 'static> {
    state: State<T>,
    /// Text made and not yet read, from `position` on.
    buffer: Vec<u8>,
    position: usize,
    /// Rows turned into text so far.
    rows: u64,
}

enum State<T: ChunkReader + 'static> {
    Closed(T),
    Open {
        batches: ParquetRecordBatchReader,
        schema: SchemaRef,
    },
    Finished(SchemaRef),
    Failed,
}

impl<T: ChunkReader + 'static> ParquetText<T> {
    /// The text of `file` (nothing is read yet; the caller names the source in errors).
    ///
    /// ```
    /// use recontact_input::parquet::ParquetText;
    ///
    /// let mut text = ParquetText::new(bytes::Bytes::new());
    /// assert!(text.schema().unwrap_err().to_string().contains("not a Parquet file"));
    /// ```
    pub fn new(file: T) -> Self {
        ParquetText {
            state: State::Closed(file),
            buffer: Vec::new(),
            position: 0,
            rows: 0,
        }
    }

    /// The file's Arrow schema (opening it if it is not yet open).
    pub fn schema(&mut self) -> io::Result<SchemaRef> {
        self.open()?;
        match &self.state {
            State::Open { schema, .. } | State::Finished(schema) => Ok(schema.clone()),
            _ => Err(ParquetProblem::new("the file could not be opened").into_io()),
        }
    }

    fn open(&mut self) -> io::Result<()> {
        if !matches!(self.state, State::Closed(_)) {
            return Ok(());
        }
        let State::Closed(file) = std::mem::replace(&mut self.state, State::Failed) else {
            return Ok(());
        };
        let (batches, schema) = open_batches(file).map_err(ParquetProblem::into_io)?;
        self.buffer.clear();
        write_header(&mut self.buffer, &schema);
        self.position = 0;
        self.state = State::Open { batches, schema };
        Ok(())
    }

    /// Turns the next record batch into text; false at the end of the file.
    fn refill(&mut self) -> io::Result<bool> {
        let State::Open { batches, schema } = &mut self.state else {
            return Ok(false);
        };
        let batch = match next_batch(batches) {
            Ok(Some(batch)) => batch,
            Ok(None) => {
                self.state = State::Finished(schema.clone());
                return Ok(false);
            }
            Err(problem) => {
                self.state = State::Failed;
                let mut problem = problem;
                problem.message = match self.rows {
                    0 => format!("cannot be decoded: {}", problem.message),
                    rows => format!("cannot be decoded after row {rows}: {}", problem.message),
                };
                return Err(problem.into_io());
            }
        };
        self.buffer.clear();
        self.position = 0;
        if let Err(problem) = write_rows(&mut self.buffer, &batch, self.rows) {
            self.state = State::Failed;
            return Err(problem.into_io());
        }
        self.rows += batch.num_rows() as u64;
        Ok(true)
    }
}

impl<T: ChunkReader + 'static> Read for ParquetText<T> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.open()?;
        while self.position == self.buffer.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buffer.len() - self.position);
        out[..n].copy_from_slice(&self.buffer[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// The next batch; a panic of the decoder on a corrupt page is taken as its error.
fn next_batch(
    batches: &mut ParquetRecordBatchReader,
) -> Result<Option<RecordBatch>, ParquetProblem> {
    let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| batches.next()));
    match next {
        Ok(None) => Ok(None),
        Ok(Some(Ok(batch))) => Ok(Some(batch)),
        Ok(Some(Err(error))) => Err(ParquetProblem::new(error.to_string())),
        Err(_) => Err(ParquetProblem::new("the decoder failed on a corrupt page")),
    }
}

/// Opens `file`: its footer within [`MAX_FOOTER_BYTES`], every column of a type with a
/// text form, every column chunk within [`MAX_COLUMN_CHUNK_BYTES`].
fn open_batches<T: ChunkReader + 'static>(
    file: T,
) -> Result<(ParquetRecordBatchReader, SchemaRef), ParquetProblem> {
    let length = file.len();
    let not_parquet = || {
        ParquetProblem::new(
            "not a Parquet file (no PAR1 footer: truncated, or another format); allowed: a \
             Parquet file, or a CSV file not named .parquet",
        )
    };
    if length < 12 {
        return Err(not_parquet());
    }
    let tail = file
        .get_bytes(length - 8, 8)
        .map_err(|e| ParquetProblem::new(e.to_string()))?;
    if &tail[4..] != b"PAR1" {
        return Err(not_parquet());
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer > MAX_FOOTER_BYTES {
        return Err(ParquetProblem::new(format!(
            "its metadata is {footer} bytes, more than the limit of {MAX_FOOTER_BYTES}"
        )));
    }
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ParquetRecordBatchReaderBuilder::try_new(file)
    }));
    let builder = match opened {
        Ok(Ok(builder)) => builder,
        Ok(Err(error)) => return Err(ParquetProblem::new(format!("cannot be opened: {error}"))),
        Err(_) => {
            return Err(ParquetProblem::new(
                "cannot be opened: its metadata is corrupt",
            ))
        }
    };
    let schema = builder.schema().clone();
    for field in schema.fields() {
        if !has_text_form(field.data_type()) {
            return Err(ParquetProblem {
                row: None,
                column: Some(field.name().clone()),
                message: format!(
                    "has type {}, which has no text form a model can read; allowed: numbers, \
                     booleans, strings (or dictionaries of them), UTF-8 binary, dates \
                     (date32), timestamps, times of day (time32, time64), decimal128; \
                     write the file without this column to read the others",
                    field.data_type()
                ),
            });
        }
    }
    for (g, group) in builder.metadata().row_groups().iter().enumerate() {
        for column in group.columns() {
            if column.uncompressed_size() > MAX_COLUMN_CHUNK_BYTES {
                return Err(ParquetProblem {
                    row: None,
                    column: Some(column.column_path().string()),
                    message: format!(
                        "row group {} holds {} bytes of it, more than the limit of \
                         {MAX_COLUMN_CHUNK_BYTES}; allowed: smaller row groups",
                        g + 1,
                        column.uncompressed_size()
                    ),
                });
            }
        }
    }
    let batches = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| ParquetProblem::new(format!("cannot be read: {e}")))?;
    Ok((batches, schema))
}

fn write_header(out: &mut Vec<u8>, schema: &Schema) {
    for (k, field) in schema.fields().iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write_field(out, field.name().as_bytes(), true);
    }
    out.push(b'\n');
}

/// Writes `value` as a CSV field, quoted when it holds a delimiter, a quote or a line
/// break, or when it is an empty string (`empty_quoted`), told apart from a NULL so.
fn write_field(out: &mut Vec<u8>, value: &[u8], empty_quoted: bool) {
    let quote = (value.is_empty() && empty_quoted)
        || value
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !quote {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// The rows of `batch` as CSV records; `before` rows came before it.
fn write_rows(out: &mut Vec<u8>, batch: &RecordBatch, before: u64) -> Result<(), ParquetProblem> {
    let schema = batch.schema();
    let name = |k: usize| Some(schema.field(k).name().clone());
    // A dictionary's cells are its values, looked up once per batch.
    let mut plain: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (k, column) in batch.columns().iter().enumerate() {
        plain.push(match column.data_type() {
            DataType::Dictionary(..) => {
                let dictionary = column.as_any_dictionary();
                take(dictionary.values().as_ref(), dictionary.keys(), None).map_err(|e| {
                    ParquetProblem {
                        row: None,
                        column: name(k),
                        message: format!("cannot be read: {e}"),
                    }
                })?
            }
            _ => column.clone(),
        });
    }
    let single = plain.len() == 1;
    let mut scratch = String::new();
    for row in 0..batch.num_rows() {
        for (k, column) in plain.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            write_cell(out, column.as_ref(), row, &mut scratch, single).map_err(|message| {
                ParquetProblem {
                    row: Some(before + row as u64 + 1),
                    column: name(k),
                    message: message.to_string(),
                }
            })?;
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Writes one cell; a NULL is an empty field (quoted when it is a row's only field, so
/// that the row is not a blank line).
fn write_cell(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    scratch: &mut String,
    single: bool,
) -> Result<(), &'static str> {
    use std::fmt::Write as _;
    use DataType as T;
    if array.is_null(row) || array.data_type() == &T::Null {
        if single {
            out.extend_from_slice(b"\"\"");
        }
        return Ok(());
    }
    scratch.clear();
    macro_rules! display {
        ($t:ty) => {{
            let _ = write!(scratch, "{}", array.as_primitive::<$t>().value(row));
        }};
    }
    match array.data_type() {
        T::Boolean => scratch.push_str(if array.as_boolean().value(row) {
            "true"
        } else {
            "false"
        }),
        T::Int8 => display!(Int8Type),
        T::Int16 => display!(Int16Type),
        T::Int32 => display!(Int32Type),
        T::Int64 => display!(Int64Type),
        T::UInt8 => display!(UInt8Type),
        T::UInt16 => display!(UInt16Type),
        T::UInt32 => display!(UInt32Type),
        T::UInt64 => display!(UInt64Type),
        T::Float32 => display!(Float32Type),
        T::Float64 => display!(Float64Type),
        T::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(row);
            write_date(scratch, i64::from(days));
        }
        T::Timestamp(unit, zone) => {
            let value = match unit {
                TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => {
                    array.as_primitive::<TimestampMillisecondType>().value(row)
                }
                TimeUnit::Microsecond => {
                    array.as_primitive::<TimestampMicrosecondType>().value(row)
                }
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(row),
            };
            write_timestamp(scratch, value, *unit, zone.is_some());
        }
        T::Time32(unit) | T::Time64(unit) => write_time(scratch, time_at(array, row), *unit),
        T::Decimal128(_, scale) => {
            let value = array.as_primitive::<Decimal128Type>().value(row);
            write_decimal(scratch, value, *scale);
        }
        _ => {
            let bytes = bytes_at(array, row);
            // Arrow's string arrays hold UTF-8 already; only binary ones need the check.
            let binary = matches!(
                array.data_type(),
                T::Binary | T::LargeBinary | T::BinaryView
            );
            if binary && std::str::from_utf8(bytes).is_err() {
                return Err("a binary value that is not UTF-8 text; allowed: UTF-8 text");
            }
            write_field(out, bytes, true);
            return Ok(());
        }
    }
    write_field(out, scratch.as_bytes(), false);
    Ok(())
}

/// A time of day's value in its unit since midnight.
fn time_at(array: &dyn Array, row: usize) -> i64 {
    match array.data_type() {
        DataType::Time32(TimeUnit::Second) => {
            i64::from(array.as_primitive::<Time32SecondType>().value(row))
        }
        DataType::Time32(_) => i64::from(array.as_primitive::<Time32MillisecondType>().value(row)),
        DataType::Time64(TimeUnit::Microsecond) => {
            array.as_primitive::<Time64MicrosecondType>().value(row)
        }
        _ => array.as_primitive::<Time64NanosecondType>().value(row),
    }
}

/// The bytes of a string or binary array's value.
fn bytes_at(array: &dyn Array, row: usize) -> &[u8] {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).as_bytes(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).as_bytes(),
        DataType::Utf8View => array.as_string_view().value(row).as_bytes(),
        DataType::Binary => array.as_binary::<i32>().value(row),
        DataType::LargeBinary => array.as_binary::<i64>().value(row),
        DataType::BinaryView => array.as_binary_view().value(row),
        _ => &[],
    }
}
fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, ParquetProblem::new(message))
}

fn parquet_io(error: ::parquet::errors::ParquetError) -> io::Error {
    match error {
        ::parquet::errors::ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => *io,
            Err(other) => io::Error::other(other),
        },
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;

    use ::parquet::arrow::ArrowWriter;
    use ::parquet::basic::Compression;
    use ::parquet::file::properties::WriterProperties;
    use arrow_array::{
        BooleanArray, Date32Array, Decimal128Array, DictionaryArray, PrimitiveArray, StringArray,
        Time32SecondArray, Time64MicrosecondArray, TimestampMillisecondArray,
    };

    use super::*;

    /// A batch of every supported kind, NULLs and awkward strings included.
    fn every_kind() -> RecordBatch {
        let strings: ArrayRef =
            Arc::new(StringArray::from(vec![Some("a, \"b\"\nc"), Some(""), None]));
        let levels: ArrayRef = Arc::new(
            vec![Some("x"), None, Some("y")]
                .into_iter()
                .collect::<DictionaryArray<Int8Type>>(),
        );
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![Some(0), Some(-1), Some(19_783)]));
        let stamps: ArrayRef = Arc::new(
            TimestampMillisecondArray::from(vec![Some(1_709_285_400_123), Some(-1), None])
                .with_timezone("UTC"),
        );
        let money: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(1250), Some(-5), None])
                .with_precision_and_scale(10, 2)
                .unwrap(),
        );
        let flags: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]));
        let counts: ArrayRef = Arc::new(PrimitiveArray::<UInt16Type>::from(vec![
            Some(7),
            Some(0),
            None,
        ]));
        let reals: ArrayRef = Arc::new(PrimitiveArray::<Float64Type>::from(vec![
            Some(0.1),
            Some(1e-7),
            Some(3.0),
        ]));
        let clock: ArrayRef = Arc::new(Time32SecondArray::from(vec![
            Some(34_200),
            None,
            Some(86_399),
        ]));
        let fine: ArrayRef = Arc::new(Time64MicrosecondArray::from(vec![
            Some(1),
            Some(45_296_500_000),
            None,
        ]));
        RecordBatch::try_from_iter([
            ("s", strings),
            ("level", levels),
            ("date", dates),
            ("at", stamps),
            ("money", money),
            ("flag", flags),
            ("count", counts),
            ("real", reals),
            ("clock", clock),
            ("fine", fine),
        ])
        .unwrap()
    }

    fn parquet_of(batch: &RecordBatch) -> bytes::Bytes {
        let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
        writer.write(batch).unwrap();
        bytes::Bytes::from(writer.into_inner().unwrap())
    }

    #[test]
    fn every_kind_reads_as_csv_text_and_writes_back_with_its_type() {
        let batch = every_kind();
        let mut text = ParquetText::new(parquet_of(&batch));
        let schema = text.schema().unwrap();
        let mut csv = String::new();
        text.read_to_string(&mut csv).unwrap();
        assert_eq!(
            csv,
            "s,level,date,at,money,flag,count,real,clock,fine\n\
             \"a, \"\"b\"\"\nc\",x,1970-01-01,2024-03-01T09:30:00.123Z,12.50,true,7,0.1,09:30:00,00:00:00.000001\n\
             \"\",,1969-12-31,1969-12-31T23:59:59.999Z,-0.05,,0,0.0000001,,12:34:56.500000\n\
             ,y,2024-03-01,,,false,,3,23:59:59,\n"
        );
        // The text with a score appended, as `score` writes it (a CRLF and no last line
        // end on the way).
        let mut writer = CsvToParquet::new(Vec::new(), Some(schema), 1);
        writer
            .write_all(
                b"s,level,date,at,money,flag,count,real,clock,fine,p\n\
                  \"a, \"\"b\"\"\nc\",x,1970-01-01,2024-03-01T09:30:00.123Z,12.50,true,7,0.1,09:30:00,00:00:00.000001,0.5\n",
            )
            .unwrap();
        writer
            .write_all(
                b"\"\",,1969-12-31,1969-12-31T23:59:59.999Z,-0.05,,0,0.0000001,,12:34:56.500000,0.25\r\n,y,2024-03-01,,,false,,3,23:59:59,,1",
            )
            .unwrap();
        let written = bytes::Bytes::from(writer.finish().unwrap());
        let reader = ParquetRecordBatchReaderBuilder::try_new(written)
            .unwrap()
            .build()
            .unwrap();
        let back: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(back.len(), 1);
        for (k, column) in batch.columns().iter().enumerate() {
            assert_eq!(column.as_ref(), back[0].column(k).as_ref(), "column {k}");
        }
        let p = back[0].column(10).as_primitive::<Float64Type>();
        assert_eq!(p.values().to_vec(), [0.5, 0.25, 1.0]);
    }

    #[test]
    fn every_codec_of_the_format_but_lzo_reads_the_same_text() {
        use ::parquet::basic::{BrotliLevel, GzipLevel, ZstdLevel};
        let batch = every_kind();
        let mut plain = String::new();
        ParquetText::new(parquet_of(&batch))
            .read_to_string(&mut plain)
            .unwrap();
        for codec in [
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::GZIP(GzipLevel::default()),
            Compression::LZ4,
            Compression::LZ4_RAW,
            Compression::ZSTD(ZstdLevel::default()),
            Compression::BROTLI(BrotliLevel::default()),
        ] {
            let properties = WriterProperties::builder().set_compression(codec).build();
            let mut writer =
                ArrowWriter::try_new(Vec::new(), batch.schema(), Some(properties)).unwrap();
            writer.write(&batch).unwrap();
            let file = bytes::Bytes::from(writer.into_inner().unwrap());
            let mut text = String::new();
            ParquetText::new(file).read_to_string(&mut text).unwrap();
            assert_eq!(text, plain, "{codec:?}");
        }
    }

    #[test]
    fn a_row_of_one_null_is_no_blank_line_and_a_bad_type_is_named() {
        let one: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        let batch = RecordBatch::try_from_iter([("only", one)]).unwrap();
        let mut csv = String::new();
        let mut text = ParquetText::new(parquet_of(&batch));
        text.read_to_string(&mut csv).unwrap();
        assert_eq!(csv, "only\na\n\"\"\n");

        let lasting: ArrayRef = Arc::new(arrow_array::DurationSecondArray::from(vec![1]));
        let batch = RecordBatch::try_from_iter([("lasting", lasting)]).unwrap();
        let error = ParquetText::new(parquet_of(&batch)).schema().unwrap_err();
        let located = crate::DataError::from_io("t.parquet", error);
        assert_eq!(located.column.as_deref(), Some("lasting"));
        assert!(located
            .to_string()
            .starts_with("t.parquet: column lasting: has type Duration"));
    }

    #[test]
    fn a_record_with_another_count_of_fields_is_refused() {
        for record in ["x\n", "x,1,2\n"] {
            let mut writer = CsvToParquet::new(Vec::new(), None, 1);
            writer.write_all(b"name,p\n").unwrap();
            let error = writer.write_all(record.as_bytes()).unwrap_err();
            assert!(
                error.to_string().contains("fields, the header 2"),
                "{error}"
            );
        }
    }

    proptest::proptest! {
        /// Strings of every awkward kind (quotes, commas, line ends, empty, NULL) read as
        /// CSV text and written back in pieces of any size come back as they were.
        #[test]
        fn strings_round_trip_through_the_text_in_any_pieces(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::option::of("[a\",\r\n\u{e9} ]{0,6}"),
                    2,
                ),
                1..40,
            ),
            piece in 1usize..64,
        ) {
            let column = |k: usize| -> ArrayRef {
                Arc::new(rows.iter().map(|r| r[k].clone()).collect::<StringArray>())
            };
            let batch = RecordBatch::try_from_iter([("a", column(0)), ("b", column(1))]).unwrap();
            let mut text = ParquetText::new(parquet_of(&batch));
            let schema = text.schema().unwrap();
            let mut csv = Vec::new();
            text.read_to_end(&mut csv).unwrap();
            let mut writer = CsvToParquet::new(Vec::new(), Some(schema), 0);
            for chunk in csv.chunks(piece) {
                writer.write_all(chunk).unwrap();
            }
            let written = bytes::Bytes::from(writer.finish().unwrap());
            let reader = ParquetRecordBatchReaderBuilder::try_new(written).unwrap().build().unwrap();
            let back: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
            proptest::prop_assert_eq!(back.len(), 1);
            proptest::prop_assert_eq!(back[0].column(0).as_ref(), batch.column(0).as_ref());
            proptest::prop_assert_eq!(back[0].column(1).as_ref(), batch.column(1).as_ref());
        }
    }
}
