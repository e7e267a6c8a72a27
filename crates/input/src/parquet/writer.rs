//! Scored CSV text written as Parquet ([`CsvToParquet`]): each passed-through column
//! with the type it had in the input, the appended scores as `float64`.

use std::io::{self, Write};
use std::sync::Arc;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::Compression;
use ::parquet::file::properties::WriterProperties;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{
    ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Date32Array, Decimal128Array,
    DictionaryArray, LargeBinaryArray, LargeStringArray, PrimitiveArray, RecordBatch, StringArray,
    StringViewArray, Time32MillisecondArray, Time32SecondArray, Time64MicrosecondArray,
    Time64NanosecondArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};

use super::cells::{parse_date, parse_decimal, parse_time, parse_timestamp};
use super::{invalid, parquet_io, BATCH_ROWS};

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
    columns: Vec<TextColumn>,
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
        if self.schema.is_none() {
            let mut header = [TextColumn::default()];
            split_record(record, &mut header, true);
            let names = (header[0].texts())
                .ok_or_else(|| invalid("the header is not UTF-8 text"))?
                .into_iter()
                .map(|name| name.map(str::to_string))
                .collect();
            return self.start(names);
        }
        // Each field goes straight to its column; a record with another count of fields
        // ends the writing, so the columns it touched are never written.
        let fields = split_record(record, &mut self.columns, false);
        if fields != self.columns.len() {
            return Err(invalid(&format!(
                "a record has {fields} fields, the header {}",
                self.columns.len()
            )));
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
        self.columns = (0..schema.fields().len())
            .map(|_| TextColumn::default())
            .collect();
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
            arrays.push(typed_array(field, values)?);
            values.clear();
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
        // The records are split out of a buffer taken from `self` so that each is a
        // slice of it, not a copy.
        let pending = std::mem::take(&mut self.pending);
        let taken = self.take_records(&pending);
        self.pending = pending;
        let start = taken?;
        self.pending.drain(..start);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write + Send> CsvToParquet<W> {
    /// Takes the whole records at the start of `text` (a line end inside quotes is
    /// part of a field); gives where the rest begins.
    fn take_records(&mut self, text: &[u8]) -> io::Result<usize> {
        let (mut start, mut k, mut quoted) = (0, 0, false);
        while let Some(found) = memchr::memchr3(b'"', b'\n', b'\r', &text[k..]) {
            k += found;
            if text[k] == b'"' {
                quoted = !quoted;
                k += 1;
                continue;
            }
            if quoted {
                k += 1;
                continue;
            }
            let end = k;
            if text[k] == b'\r' {
                match text.get(k + 1) {
                    Some(b'\n') => k += 1,
                    // A CR at the end of what was written may start a CRLF.
                    None => break,
                    Some(_) => {}
                }
            }
            if end > start {
                self.take_record(&text[start..end])?;
            }
            k += 1;
            start = k;
        }
        Ok(start)
    }
}

/// One column's texts, of the rows not yet written or of one record's fields: the bytes
/// of all in one buffer, so that a cell costs no allocation of its own.
#[derive(Default)]
struct TextColumn {
    bytes: Vec<u8>,
    /// Where each value ends in `bytes`.
    ends: Vec<usize>,
    /// Whether each value is NULL (an unquoted empty field).
    nulls: Vec<bool>,
}

impl TextColumn {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.nulls.clear();
    }

    /// Ends the value whose bytes were pushed last.
    fn end_value(&mut self, null: bool) {
        self.ends.push(self.bytes.len());
        self.nulls.push(null);
    }

    /// The values, NULL as `None`; `None` when they are not UTF-8 text. The buffer is
    /// checked once, and each value's bounds then only for falling between characters.
    fn texts(&self) -> Option<Vec<Option<&str>>> {
        let text = std::str::from_utf8(&self.bytes).ok()?;
        let mut start = 0;
        let mut values = Vec::with_capacity(self.len());
        for (&end, &null) in self.ends.iter().zip(&self.nulls) {
            values.push(if null {
                None
            } else {
                Some(text.get(start..end)?)
            });
            start = end;
        }
        Some(values)
    }
}

/// A record's fields, quotes removed, doubled quotes halved and an unquoted empty field
/// NULL, pushed onto `columns`: the `k`th field onto the `k`th column (none beyond the
/// last), or all onto the first when `one`. Gives the number of fields.
fn split_record(record: &[u8], columns: &mut [TextColumn], one: bool) -> usize {
    let mut scratch = TextColumn::default();
    let (mut k, mut count) = (0, 0);
    loop {
        let at = if one { 0 } else { count };
        let fields = columns.get_mut(at).unwrap_or(&mut scratch);
        let before = fields.bytes.len();
        let mut quoted = false;
        if record.get(k) == Some(&b'"') {
            quoted = true;
            k += 1;
            loop {
                let Some(found) = memchr::memchr(b'"', &record[k..]) else {
                    // Unterminated: the rest is the field's.
                    fields.bytes.extend_from_slice(&record[k..]);
                    k = record.len();
                    break;
                };
                fields.bytes.extend_from_slice(&record[k..k + found]);
                k += found + 1;
                if record.get(k) != Some(&b'"') {
                    break;
                }
                fields.bytes.push(b'"');
                k += 1;
            }
        }
        let end = memchr::memchr(b',', &record[k..]).map_or(record.len(), |found| k + found);
        fields.bytes.extend_from_slice(&record[k..end]);
        fields.end_value(!quoted && fields.bytes.len() == before);
        count += 1;
        if end >= record.len() {
            return count;
        }
        k = end + 1;
    }
}

/// `values` parsed by `parse`; a value it refuses is the error `bad` makes.
fn parsed<T>(
    values: &[Option<&str>],
    parse: impl Fn(&str) -> Option<T>,
    bad: impl Fn(&str) -> io::Error,
) -> io::Result<Vec<Option<T>>> {
    (values.iter().copied())
        .map(|v| v.map(|t| parse(t).ok_or_else(|| bad(t))).transpose())
        .collect()
}

/// The values of `column` as an array of `field`'s type.
fn typed_array(field: &Field, column: &TextColumn) -> io::Result<ArrayRef> {
    use DataType as T;
    let values = column.texts().ok_or_else(|| {
        invalid(&format!(
            "column {}: a value is not UTF-8 text",
            field.name()
        ))
    })?;
    let values = values.as_slice();
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
                values,
                |t| t.parse().ok(),
                bad,
            )?))
        };
    }
    let texts = || values.iter().copied();
    let array: ArrayRef = match field.data_type() {
        T::Null => arrow_array::new_null_array(&T::Null, values.len()),
        T::Boolean => {
            let parse = |t: &str| match t {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            Arc::new(BooleanArray::from(parsed(values, parse, bad)?))
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
            Arc::new(Date32Array::from(parsed(values, parse, bad)?))
        }
        T::Timestamp(unit, zone) => {
            let v = parsed(values, |t| parse_timestamp(t, *unit), bad)?;
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
            let v = parsed(values, parse, bad)?;
            match unit {
                TimeUnit::Second => Arc::new(Time32SecondArray::from(v)),
                _ => Arc::new(Time32MillisecondArray::from(v)),
            }
        }
        T::Time64(unit) => {
            let v = parsed(values, |t| parse_time(t, *unit), bad)?;
            match unit {
                TimeUnit::Microsecond => Arc::new(Time64MicrosecondArray::from(v)),
                _ => Arc::new(Time64NanosecondArray::from(v)),
            }
        }
        T::Decimal128(precision, scale) => {
            let v = parsed(values, |t| parse_decimal(t, *scale), bad)?;
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
