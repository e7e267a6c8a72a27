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

use std::io::{self, Read, Write};
use std::sync::Arc;

use ::parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::Compression;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::reader::ChunkReader;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Date32Array, Decimal128Array,
    DictionaryArray, LargeBinaryArray, LargeStringArray, PrimitiveArray, RecordBatch, StringArray,
    StringViewArray, Time32MillisecondArray, Time32SecondArray, Time64MicrosecondArray,
    Time64NanosecondArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use arrow_select::take::take;

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
            if std::str::from_utf8(bytes).is_err() {
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

/// The civil date `days` after 1970-01-01 (proleptic Gregorian), as year, month, day.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The days from 1970-01-01 to a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn write_date(out: &mut String, days: i64) {
    use std::fmt::Write as _;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}");
}

/// Units of `unit` in a second, and the digits of a fraction of a second in it.
fn per_second(unit: TimeUnit) -> (i64, usize) {
    match unit {
        TimeUnit::Second => (1, 0),
        TimeUnit::Millisecond => (1_000, 3),
        TimeUnit::Microsecond => (1_000_000, 6),
        TimeUnit::Nanosecond => (1_000_000_000, 9),
    }
}

/// `2024-03-01T09:30:00`, a fraction when there is one, and `Z` for a zoned timestamp
/// (stored as UTC).
fn write_timestamp(out: &mut String, value: i64, unit: TimeUnit, zoned: bool) {
    let (per, digits) = per_second(unit);
    let (seconds, fraction) = (value.div_euclid(per), value.rem_euclid(per));
    write_date(out, seconds.div_euclid(86_400));
    out.push('T');
    write_clock(out, seconds.rem_euclid(86_400), fraction, digits);
    if zoned {
        out.push('Z');
    }
}

/// A time of day, `09:30:00` with the fraction of a second when there is one, from its
/// value in `unit` since midnight.
fn write_time(out: &mut String, value: i64, unit: TimeUnit) {
    let (per, digits) = per_second(unit);
    write_clock(out, value.div_euclid(per), value.rem_euclid(per), digits);
}

/// `hh:mm:ss`, and `.fraction` (of `digits` digits) when it is not zero.
fn write_clock(out: &mut String, seconds: i64, fraction: i64, digits: usize) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction != 0 {
        let _ = write!(out, ".{fraction:0digits$}");
    }
}

/// A decimal's digits with its point: `-12.50` for -1250 at scale 2.
fn write_decimal(out: &mut String, value: i128, scale: i8) {
    use std::fmt::Write as _;
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(0);
    if scale == 0 {
        out.push_str(&digits);
        return;
    }
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let _ = write!(out, "{whole}.{fraction}");
}

fn parse_date(text: &str) -> Option<i64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = text.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| days_from_civil(if negative { -year } else { year }, month, day))
}

fn parse_timestamp(text: &str, unit: TimeUnit) -> Option<i64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = text.split_once('T')?;
    let per = per_second(unit).0;
    let day = parse_date(date)?.checked_mul(86_400)?.checked_mul(per)?;
    day.checked_add(parse_time(time, unit)?)
}

/// A time of day (`09:30:00`, `09:30:00.5`) in `unit` since midnight.
fn parse_time(text: &str, unit: TimeUnit) -> Option<i64> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = clock.splitn(3, ':').map(str::parse::<i64>);
    let (h, m, s) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    let (per, digits) = per_second(unit);
    let in_range = (0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s);
    if !in_range || fraction.len() > digits || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction: i64 = format!("{fraction:0<digits$}").parse().unwrap_or(0);
    Some((h * 3600 + m * 60 + s) * per + fraction)
}

fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let scale = usize::try_from(scale).unwrap_or(0);
    if fraction.len() > scale
        || !(whole.bytes().chain(fraction.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: i128 = format!("{whole}{fraction:0<scale$}").parse().ok()?;
    Some(if negative { -value } else { value })
}

/// CSV text in, Parquet out: the header names the columns; the first columns take the
/// types of `passed` (an input's schema, when it has as many fields as that) or are
/// strings, and the last `appended` are `float64`. An unquoted empty field is NULL, a
/// quoted one (`""`) the empty string. Rows are written in batches, snappy-compressed.
///
/// ```
/// use std::io::{Read, Write};
/// use recontact_input::parquet::{CsvToParquet, ParquetText};
///
/// let mut writer = CsvToParquet::new(Vec::new(), None, 1);
/// writer.write_all(b"id,p\r\nA,0.5\r\n\"\",1e-3\r\n")?;
/// let mut text = ParquetText::new(bytes::Bytes::from(writer.finish()?));
/// let schema = text.schema()?;
/// assert_eq!(schema.field(1).data_type(), &arrow_schema::DataType::Float64);
/// let mut all = String::new();
/// text.read_to_string(&mut all)?;
/// assert_eq!(all, "id,p\nA,0.5\n\"\",0.001\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CsvToParquet<W: Write + Send> {
    sink: Option<W>,
    writer: Option<ArrowWriter<W>>,
    passed: Option<SchemaRef>,
    appended: usize,
    /// Bytes written that do not end a record yet.
    pending: Vec<u8>,
    /// Per column, the values of the rows not yet written.
    columns: Vec<Vec<Option<String>>>,
    schema: Option<SchemaRef>,
    rows: usize,
    at_start: bool,
}

impl<W: Write + Send> CsvToParquet<W> {
    /// A writer of Parquet into `sink` (see the type).
    ///
    /// ```
    /// use recontact_input::parquet::CsvToParquet;
    ///
    /// let writer = CsvToParquet::new(Vec::new(), None, 2);
    /// assert!(writer.finish().is_err()); // no header was written
    /// ```
    pub fn new(sink: W, passed: Option<SchemaRef>, appended: usize) -> Self {
        CsvToParquet {
            sink: Some(sink),
            writer: None,
            passed,
            appended,
            pending: Vec::new(),
            columns: Vec::new(),
            schema: None,
            rows: 0,
            at_start: true,
        }
    }

    /// Writes what is left and the footer; gives back the sink.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.pending.is_empty() {
            let record = std::mem::take(&mut self.pending);
            let record = record.strip_suffix(b"\r").unwrap_or(&record);
            self.take_record(record)?;
        }
        if self.schema.is_none() {
            return Err(invalid("no header was written"));
        }
        self.flush_rows()?;
        let writer = self
            .writer
            .take()
            .ok_or_else(|| invalid("no header was written"))?;
        writer.into_inner().map_err(parquet_io)
    }

    fn take_record(&mut self, record: &[u8]) -> io::Result<()> {
        let fields = split_record(record)?;
        if self.schema.is_none() {
            return self.start(fields);
        }
        if fields.len() != self.columns.len() {
            return Err(invalid(&format!(
                "a record has {} fields, the header {}",
                fields.len(),
                self.columns.len()
            )));
        }
        for (column, value) in self.columns.iter_mut().zip(fields) {
            column.push(value);
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.flush_rows()?;
        }
        Ok(())
    }

    /// Makes the schema from the header's names.
    fn start(&mut self, names: Vec<Option<String>>) -> io::Result<()> {
        let passed_count = names.len().saturating_sub(self.appended);
        let passed = self
            .passed
            .as_ref()
            .filter(|schema| schema.fields().len() == passed_count);
        let fields: Vec<FieldRef> = names
            .into_iter()
            .enumerate()
            .map(|(k, name)| {
                let name = name.unwrap_or_default();
                match passed {
                    Some(schema) if k < passed_count => {
                        let field = schema.field(k).clone().with_name(name).with_nullable(true);
                        // A dictionary is written back as a dictionary of strings.
                        let data_type = match field.data_type() {
                            DataType::Dictionary(key, _) => {
                                DataType::Dictionary(key.clone(), Box::new(DataType::Utf8))
                            }
                            other => other.clone(),
                        };
                        Arc::new(field.with_data_type(data_type))
                    }
                    _ if k < passed_count => Arc::new(Field::new(name, DataType::Utf8, true)),
                    _ => Arc::new(Field::new(name, DataType::Float64, true)),
                }
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let sink = self
            .sink
            .take()
            .ok_or_else(|| invalid("written after an error"))?;
        let writer =
            ArrowWriter::try_new(sink, schema.clone(), Some(properties)).map_err(parquet_io)?;
        self.columns = vec![Vec::with_capacity(BATCH_ROWS); schema.fields().len()];
        self.schema = Some(schema);
        self.writer = Some(writer);
        Ok(())
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        let (Some(schema), Some(writer)) = (&self.schema, self.writer.as_mut()) else {
            return Ok(());
        };
        if self.rows == 0 {
            return Ok(());
        }
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (field, values) in schema.fields().iter().zip(&mut self.columns) {
            let values = std::mem::take(values);
            arrays.push(typed_array(field, values)?);
        }
        let batch =
            RecordBatch::try_new(schema.clone(), arrays).map_err(|e| invalid(&e.to_string()))?;
        writer.write(&batch).map_err(parquet_io)?;
        self.rows = 0;
        Ok(())
    }
}

impl<W: Write + Send> Write for CsvToParquet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.at_start && self.pending.len() >= 3 {
            self.at_start = false;
            if self.pending.starts_with(crate::lines::BOM) {
                self.pending.drain(..3);
            }
        }
        let mut start = 0;
        let mut quoted = false;
        let mut k = 0;
        while k < self.pending.len() {
            match self.pending[k] {
                b'"' => quoted = !quoted,
                b'\n' | b'\r' if !quoted => {
                    let record = self.pending[start..k].to_vec();
                    if self.pending[k] == b'\r' && self.pending.get(k + 1) == Some(&b'\n') {
                        k += 1;
                    } else if self.pending[k] == b'\r' && k + 1 == self.pending.len() {
                        // A CR at the end of what was written may start a CRLF.
                        break;
                    }
                    if !record.is_empty() {
                        self.take_record(&record)?;
                    }
                    start = k + 1;
                }
                _ => {}
            }
            k += 1;
        }
        self.pending.drain(..start);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A record's fields: an unquoted empty one is `None`.
fn split_record(record: &[u8]) -> io::Result<Vec<Option<String>>> {
    let mut fields = Vec::new();
    let mut k = 0;
    loop {
        let mut value = Vec::new();
        let mut quoted = false;
        if record.get(k) == Some(&b'"') {
            quoted = true;
            k += 1;
            while k < record.len() {
                if record[k] == b'"' {
                    if record.get(k + 1) == Some(&b'"') {
                        value.push(b'"');
                        k += 2;
                        continue;
                    }
                    k += 1;
                    break;
                }
                value.push(record[k]);
                k += 1;
            }
        }
        while k < record.len() && record[k] != b',' {
            value.push(record[k]);
            k += 1;
        }
        let text = String::from_utf8(value).map_err(|_| invalid("a field is not UTF-8 text"))?;
        fields.push((quoted || !text.is_empty()).then_some(text));
        if k >= record.len() {
            return Ok(fields);
        }
        k += 1;
    }
}

/// `values` parsed by `parse`; a value it refuses is the error `bad` makes.
fn parsed<T>(
    values: &[Option<String>],
    parse: impl Fn(&str) -> Option<T>,
    bad: impl Fn(&str) -> io::Error,
) -> io::Result<Vec<Option<T>>> {
    (values.iter())
        .map(|v| {
            v.as_deref()
                .map(|t| parse(t).ok_or_else(|| bad(t)))
                .transpose()
        })
        .collect()
}

/// The column `values` as an array of `field`'s type.
fn typed_array(field: &Field, values: Vec<Option<String>>) -> io::Result<ArrayRef> {
    use DataType as T;
    let bad = |value: &str| {
        invalid(&format!(
            "column {}: {value:?} is not a {}",
            field.name(),
            field.data_type()
        ))
    };
    macro_rules! primitive {
        ($t:ty) => {
            Arc::new(PrimitiveArray::<$t>::from(parsed(
                &values,
                |t| t.parse().ok(),
                bad,
            )?))
        };
    }
    let texts = || values.iter().map(Option::as_deref);
    let array: ArrayRef = match field.data_type() {
        T::Null => arrow_array::new_null_array(&T::Null, values.len()),
        T::Boolean => {
            let parse = |t: &str| match t {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            Arc::new(BooleanArray::from(parsed(&values, parse, bad)?))
        }
        T::Int8 => primitive!(Int8Type),
        T::Int16 => primitive!(Int16Type),
        T::Int32 => primitive!(Int32Type),
        T::Int64 => primitive!(Int64Type),
        T::UInt8 => primitive!(UInt8Type),
        T::UInt16 => primitive!(UInt16Type),
        T::UInt32 => primitive!(UInt32Type),
        T::UInt64 => primitive!(UInt64Type),
        T::Float32 => primitive!(Float32Type),
        T::Float64 => primitive!(Float64Type),
        T::Date32 => {
            let parse = |t: &str| parse_date(t).and_then(|d| i32::try_from(d).ok());
            Arc::new(Date32Array::from(parsed(&values, parse, bad)?))
        }
        T::Timestamp(unit, zone) => {
            let v = parsed(&values, |t| parse_timestamp(t, *unit), bad)?;
            match unit {
                TimeUnit::Second => {
                    Arc::new(TimestampSecondArray::from(v).with_timezone_opt(zone.clone()))
                }
                TimeUnit::Millisecond => {
                    Arc::new(TimestampMillisecondArray::from(v).with_timezone_opt(zone.clone()))
                }
                TimeUnit::Microsecond => {
                    Arc::new(TimestampMicrosecondArray::from(v).with_timezone_opt(zone.clone()))
                }
                TimeUnit::Nanosecond => {
                    Arc::new(TimestampNanosecondArray::from(v).with_timezone_opt(zone.clone()))
                }
            }
        }
        T::Time32(unit) => {
            let parse = |t: &str| parse_time(t, *unit).and_then(|v| i32::try_from(v).ok());
            let v = parsed(&values, parse, bad)?;
            match unit {
                TimeUnit::Second => Arc::new(Time32SecondArray::from(v)),
                _ => Arc::new(Time32MillisecondArray::from(v)),
            }
        }
        T::Time64(unit) => {
            let v = parsed(&values, |t| parse_time(t, *unit), bad)?;
            match unit {
                TimeUnit::Microsecond => Arc::new(Time64MicrosecondArray::from(v)),
                _ => Arc::new(Time64NanosecondArray::from(v)),
            }
        }
        T::Decimal128(precision, scale) => {
            let v = parsed(&values, |t| parse_decimal(t, *scale), bad)?;
            let array = Decimal128Array::from(v).with_precision_and_scale(*precision, *scale);
            Arc::new(array.map_err(|e| invalid(&format!("column {}: {e}", field.name())))?)
        }
        T::LargeUtf8 => Arc::new(LargeStringArray::from_iter(texts())),
        T::Utf8View => Arc::new(StringViewArray::from_iter(texts())),
        T::Binary => Arc::new(BinaryArray::from_iter(texts())),
        T::LargeBinary => Arc::new(LargeBinaryArray::from_iter(texts())),
        T::BinaryView => Arc::new(BinaryViewArray::from_iter(texts())),
        T::Dictionary(key, _) => match **key {
            T::Int8 => Arc::new(texts().collect::<DictionaryArray<Int8Type>>()),
            T::Int16 => Arc::new(texts().collect::<DictionaryArray<Int16Type>>()),
            T::Int64 => Arc::new(texts().collect::<DictionaryArray<Int64Type>>()),
            T::UInt8 => Arc::new(texts().collect::<DictionaryArray<UInt8Type>>()),
            T::UInt16 => Arc::new(texts().collect::<DictionaryArray<UInt16Type>>()),
            T::UInt32 => Arc::new(texts().collect::<DictionaryArray<UInt32Type>>()),
            T::UInt64 => Arc::new(texts().collect::<DictionaryArray<UInt64Type>>()),
            _ => Arc::new(texts().collect::<DictionaryArray<Int32Type>>()),
        },
        _ => Arc::new(StringArray::from_iter(texts())),
    };
    Ok(array)
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
    fn civil_dates_round_trip() {
        for days in [-800_000, -719_468, -1, 0, 59, 60, 11_016, 19_783, 2_932_896] {
            let mut text = String::new();
            write_date(&mut text, days);
            assert_eq!(parse_date(&text), Some(days), "{text}");
        }
        assert_eq!(parse_decimal("-0.05", 2), Some(-5));
        assert_eq!(parse_decimal("1.234", 2), None);
    }
}
