//! Reading a CSV byte stream as chunks of whole records and working through the chunks
//! on several threads, with the results taken in input order.
//!
//! The readers of this crate spend their time splitting and parsing fields, which is
//! independent from record to record. The stream is cut serially (a quote-aware scan
//! that costs little next to parsing) into chunks of about a mebibyte that end on a
//! record boundary; workers turn chunks into results; the calling thread takes the
//! results strictly in order. The output therefore does not depend on how many threads
//! ran, and memory is bounded by the chunks in flight, not by the input's length.
//!
//! The grammar is the `csv` crate's with its default settings (see [`crate::lines`]):
//! a `"` opens a quoted field only as the field's first byte and is an ordinary byte
//! anywhere else; in a quoted field `""` is one quote, and bytes after the closing quote
//! up to the delimiter belong to the field; `\n`, `\r\n` and a lone `\r` end a record;
//! runs of them before a record are blank lines, skipped; a quote still open at the end
//! of the stream takes the rest of the stream into its field. A UTF-8 byte-order mark
//! at the start of the stream is not part of the first record.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

pub use crate::lines::RecordTooLong;
use crate::lines::{line_breaks, BOM};

/// Bytes a chunk is filled to before it is cut at its last record boundary.
const CHUNK_BYTES: usize = 1 << 20;

/// Whole records, cut from a stream.
pub struct Chunk {
    /// The records' bytes, terminators and blank lines included.
    pub bytes: Vec<u8>,
    /// The 1-based line on which the chunk's first byte lies.
    pub first_line: u64,
    /// Whether any byte may be a double quote; when none is, every `\n` or `\r` ends a
    /// record.
    pub quoted: bool,
    /// How many line breaks the chunk holds: at least its records but the last (a guess
    /// at its records, to size buffers).
    pub newlines: u64,
    /// Bytes of the stream up to the end of this chunk.
    pub end_offset: u64,
    /// Whether a byte-order mark preceded the chunk (the stream's first chunk only).
    pub bom: bool,
    /// Whether every record counts as one line, whatever line breaks its quoted fields
    /// hold (the text of a Parquet source, whose "lines" are its rows).
    pub rows: bool,
}

impl Chunk {
    /// The chunk's records, each with the line it starts on.
    pub fn records(&self) -> Records<'_> {
        Records {
            bytes: &self.bytes,
            position: 0,
            line: self.first_line,
            quoted: self.quoted,
            rows: self.rows,
        }
    }
}

/// One record of a chunk: its fields' bytes and its line end.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    /// The record without its line end.
    pub content: &'a [u8],
    /// `\n`, `\r\n`, `\r`, or nothing at the end of the stream.
    pub terminator: &'a [u8],
    /// Whether the stream ended inside a quoted field of this record (the last one).
    pub unclosed: bool,
}

impl Record<'_> {
    /// The record's length as the limit counts it (see [`RecordTooLong`]).
    pub fn length(&self) -> usize {
        record_length(self.content, self.terminator)
    }
}

fn record_length(content: &[u8], terminator: &[u8]) -> usize {
    content.len() + usize::from(!terminator.is_empty())
}

/// The first record of a stream, its header.
pub struct Header {
    /// The line it starts on.
    pub line: u64,
    /// Its bytes without its line end (and without any byte-order mark).
    pub content: Vec<u8>,
    /// Its line end: `\n`, `\r\n`, `\r`, or nothing.
    pub terminator: Vec<u8>,
    /// Whether a byte-order mark preceded it.
    pub bom: bool,
}

impl Header {
    /// The header's length as the limit counts it.
    pub fn length(&self) -> usize {
        record_length(&self.content, &self.terminator)
    }
}

/// Splits the first record (the header) off a chunk: the header and the rest of the
/// chunk.
///
/// ```
/// use recontact_input::chunks::{split_header, ChunkReader};
///
/// let mut reader = ChunkReader::new("a,b\n1,2\n".as_bytes(), 1 << 20);
/// let chunk = reader.next_chunk(Vec::new())?.unwrap();
/// let (header, rest) = split_header(chunk).unwrap();
/// assert_eq!((header.line, header.content.as_slice()), (1, b"a,b".as_slice()));
/// assert_eq!((rest.first_line, rest.bytes.as_slice()), (2, b"1,2\n".as_slice()));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn split_header(chunk: Chunk) -> Option<(Header, Chunk)> {
    let mut records = chunk.records();
    let (line, record) = records.next()?;
    let (position, next_line) = (records.position, records.line);
    let header = Header {
        line,
        content: record.content.to_vec(),
        terminator: record.terminator.to_vec(),
        bom: chunk.bom,
    };
    let rest = Chunk {
        bytes: chunk.bytes[position..].to_vec(),
        first_line: next_line,
        quoted: chunk.quoted,
        newlines: chunk.newlines.saturating_sub(next_line - chunk.first_line),
        end_offset: chunk.end_offset,
        bom: false,
        rows: chunk.rows,
    };
    Some((header, rest))
}

/// Cuts a byte stream into [`Chunk`]s.
pub struct ChunkReader<R> {
    input: R,
    /// Bytes after the last record boundary, carried into the next chunk.
    carry: Vec<u8>,
    /// Line breaks before the carried bytes.
    lines: u64,
    offset: u64,
    finished: bool,
    max_record_bytes: usize,
    chunk_bytes: usize,
    /// Whether the stream's start is still to be looked at for a byte-order mark.
    at_start: bool,
    /// Whether a byte-order mark was skipped that no returned chunk has reported yet.
    bom_pending: bool,
    /// Whether each record counts as one line (see [`Chunk::rows`]).
    rows: bool,
}

impl<R: Read> ChunkReader<R> {
    /// Reads `input`, refusing records longer than `max_record_bytes`.
    ///
    /// ```
    /// use recontact_input::chunks::ChunkReader;
    ///
    /// let mut reader = ChunkReader::new("x\n1\n\n2\n".as_bytes(), 1 << 20);
    /// let chunk = reader.next_chunk(Vec::new())?.unwrap();
    /// let lines: Vec<u64> = chunk.records().map(|(line, _)| line).collect();
    /// assert_eq!(lines, [1, 2, 4]); // the blank line 3 is no record
    /// assert!(reader.next_chunk(Vec::new())?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(input: R, max_record_bytes: usize) -> Self {
        ChunkReader::with_chunk_bytes(input, max_record_bytes, CHUNK_BYTES)
    }

    /// Reads `input` in chunks of about `chunk_bytes` (the records are the same for any
    /// size; tests cut small chunks to put boundaries everywhere).
    ///
    /// ```
    /// use recontact_input::chunks::ChunkReader;
    ///
    /// // Chunks of about 4 bytes hold the same records as one large chunk.
    /// let csv = "a\n\"b\nc\"\nd\n";
    /// let records = |chunk_bytes| -> std::io::Result<Vec<(u64, Vec<u8>)>> {
    ///     let mut reader = ChunkReader::with_chunk_bytes(csv.as_bytes(), 1 << 20, chunk_bytes);
    ///     let mut all = Vec::new();
    ///     while let Some(chunk) = reader.next_chunk(Vec::new())? {
    ///         all.extend(chunk.records().map(|(line, r)| (line, r.content.to_vec())));
    ///     }
    ///     Ok(all)
    /// };
    /// assert_eq!(records(4)?, records(1 << 20)?);
    /// assert_eq!(records(4)?[1], (2, b"\"b\nc\"".to_vec())); // a quoted field spans lines 2-3
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_chunk_bytes(input: R, max_record_bytes: usize, chunk_bytes: usize) -> Self {
        ChunkReader {
            input,
            carry: Vec::new(),
            lines: 0,
            offset: 0,
            finished: false,
            max_record_bytes,
            chunk_bytes: chunk_bytes.max(1),
            at_start: true,
            bom_pending: false,
            rows: false,
        }
    }

    /// Counts every record as one line, whatever line breaks its quoted fields hold (see
    /// [`Chunk::rows`]).
    ///
    /// ```
    /// use recontact_input::chunks::ChunkReader;
    ///
    /// let text = "a\n\"x\ny\"\nz\n";
    /// let mut reader = ChunkReader::new(text.as_bytes(), 1 << 20).counting_rows();
    /// let chunk = reader.next_chunk(Vec::new())?.unwrap();
    /// let lines: Vec<u64> = chunk.records().map(|(line, _)| line).collect();
    /// assert_eq!(lines, [1, 2, 3]); // not 4 for `z`: the quoted break is no line
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn counting_rows(mut self) -> Self {
        self.rows = true;
        self
    }

    /// Bytes cut into chunks so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next chunk with a record, filled into `buffer` (whose allocation is reused),
    /// or `None` at the end of the stream.
    pub fn next_chunk(&mut self, mut buffer: Vec<u8>) -> io::Result<Option<Chunk>> {
        loop {
            let Some(mut chunk) = self.cut_chunk(buffer)? else {
                return Ok(None);
            };
            // Blank lines only: passed over, so that the first chunk holds the header.
            if chunk.bytes.iter().all(|&b| b == b'\n' || b == b'\r') {
                buffer = chunk.bytes;
                continue;
            }
            chunk.bom = std::mem::take(&mut self.bom_pending);
            return Ok(Some(chunk));
        }
    }

    fn cut_chunk(&mut self, mut buffer: Vec<u8>) -> io::Result<Option<Chunk>> {
        buffer.clear();
        buffer.append(&mut self.carry);
        let chunk_bytes = self.chunk_bytes;
        let mut scanned = 0;
        let mut quotes = 0usize;
        loop {
            // At first a chunk's worth beyond a short carried record; then more until a
            // record ends.
            let mut target = if scanned == 0 {
                chunk_bytes.max(buffer.len() + chunk_bytes / 4)
            } else {
                buffer.len() + chunk_bytes
            };
            if self.at_start {
                target = target.max(BOM.len());
            }
            self.fill(&mut buffer, target)?;
            if self.at_start {
                self.at_start = false;
                if buffer.starts_with(BOM) {
                    buffer.drain(..BOM.len());
                    self.offset += BOM.len() as u64;
                    self.bom_pending = true;
                }
            }
            if buffer.is_empty() {
                if self.finished {
                    return Ok(None);
                }
                continue;
            }
            quotes += memchr::memchr_iter(b'"', &buffer[scanned..]).count();
            scanned = buffer.len();
            let cut = if self.finished {
                Some(buffer.len())
            } else if quotes == 0 {
                last_plain_boundary(&buffer)
            } else {
                last_quoted_boundary(&buffer)
            };
            if let Some(cut) = cut {
                self.carry.extend_from_slice(&buffer[cut..]);
                buffer.truncate(cut);
                let first_line = self.lines + 1;
                let newlines = if self.rows {
                    lines_of_rows(&buffer, quotes > 0)
                } else {
                    line_breaks(&buffer)
                };
                self.lines += newlines;
                self.offset += buffer.len() as u64;
                return Ok(Some(Chunk {
                    quoted: quotes > 0,
                    newlines,
                    bytes: buffer,
                    first_line,
                    end_offset: self.offset,
                    bom: false,
                    rows: self.rows,
                }));
            }
            // No record ends yet: all but leading blank lines is one record in the making.
            let blank = buffer
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            if buffer.len() - blank > self.max_record_bytes {
                let line = self.lines + 1 + line_breaks(&buffer[..blank]);
                return Err(record_too_long(line, self.max_record_bytes));
            }
        }
    }

    /// Reads into `buffer` until it holds `target` bytes or the stream ends.
    fn fill(&mut self, buffer: &mut Vec<u8>, target: usize) -> io::Result<()> {
        while !self.finished && buffer.len() < target {
            let start = buffer.len();
            buffer.resize(target, 0);
            match self.input.read(&mut buffer[start..]) {
                Ok(0) => {
                    buffer.truncate(start);
                    self.finished = true;
                }
                Ok(n) => buffer.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buffer.truncate(start),
                Err(e) => {
                    buffer.truncate(start);
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// The error for a record beyond the limit, starting on `line`.
///
/// ```
/// use recontact_input::chunks::record_too_long;
///
/// let error = record_too_long(7, 100);
/// assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
/// assert!(error.to_string().starts_with("line 7: "));
/// ```
pub fn record_too_long(line: u64, limit: usize) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, RecordTooLong { line, limit })
}

/// The end of the last complete record of quote-free bytes that begin on a record
/// boundary. A `\r` as the last byte is no boundary yet: a `\n` may follow it.
fn last_plain_boundary(bytes: &[u8]) -> Option<usize> {
    let last = memchr::memrchr2(b'\n', b'\r', bytes)?;
    if bytes[last] == b'\r' && last + 1 == bytes.len() {
        return memchr::memrchr2(b'\n', b'\r', &bytes[..last]).map(|i| i + 1);
    }
    Some(last + 1)
}

/// The end of the last complete record of bytes that begin on a record boundary.
///
/// Only a quote that is a field's first byte opens a quoted field, so the scan keeps
/// the state of the grammar at the quotes and line ends only: outside quotes a line end
/// is a boundary; inside, only the next quote matters (`""` stays inside).
fn last_quoted_boundary(bytes: &[u8]) -> Option<usize> {
    let mut boundary = None;
    let mut i = 0;
    let mut inside = false;
    while i < bytes.len() {
        if inside {
            let Some(quote) = memchr::memchr(b'"', &bytes[i..]) else {
                break;
            };
            let quote = i + quote;
            match bytes.get(quote + 1) {
                Some(b'"') => i = quote + 2,
                Some(_) => {
                    inside = false;
                    i = quote + 1;
                }
                None => break,
            }
            continue;
        }
        let Some(hit) = memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]) else {
            break;
        };
        let hit = i + hit;
        match bytes[hit] {
            b'"' => inside = hit == 0 || matches!(bytes[hit - 1], b',' | b'\n' | b'\r'),
            b'\n' => boundary = Some(hit + 1),
            _ => {
                if bytes.get(hit + 1).is_some_and(|&b| b != b'\n') {
                    boundary = Some(hit + 1);
                }
            }
        }
        i = hit + 1;
    }
    boundary
}

/// Whether the record that `bytes` start with ends inside a quoted field: the input
/// ended before the quote that opened it was closed.
///
/// ```
/// use recontact_input::chunks::ends_inside_quotes;
///
/// assert!(ends_inside_quotes(b"a,\"open field\n"));
/// assert!(!ends_inside_quotes(b"a,\"closed\"\n"));
/// assert!(!ends_inside_quotes(b"a,b\"c\n")); // a quote inside a field opens nothing
/// ```
pub fn ends_inside_quotes(bytes: &[u8]) -> bool {
    quoted_record_end(bytes).2
}

/// Where the record that `bytes` start with ends (the index of its line end, or the
/// length when the bytes end first), whether it has a quoted field, and whether the
/// bytes end inside one.
fn quoted_record_end(bytes: &[u8]) -> (usize, bool, bool) {
    let mut i = 0;
    let mut opened = false;
    loop {
        let Some(hit) = memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]) else {
            return (bytes.len(), opened, false);
        };
        let hit = i + hit;
        if bytes[hit] != b'"' {
            return (hit, opened, false);
        }
        i = hit + 1;
        if hit != 0 && bytes[hit - 1] != b',' {
            continue;
        }
        opened = true;
        loop {
            let Some(quote) = memchr::memchr(b'"', &bytes[i..]) else {
                return (bytes.len(), true, true);
            };
            i += quote + 1;
            if bytes.get(i) != Some(&b'"') {
                break;
            }
            i += 1;
        }
    }
}

/// The lines `bytes` hold when every record counts as one (see [`Chunk::rows`]).
fn lines_of_rows(bytes: &[u8], quoted: bool) -> u64 {
    let mut records = Records {
        bytes,
        position: 0,
        line: 0,
        quoted,
        rows: true,
    };
    while records.next().is_some() {}
    records.line
}

/// The records of a chunk, each with the line it starts on; blank lines are skipped.
pub struct Records<'a> {
    bytes: &'a [u8],
    position: usize,
    line: u64,
    quoted: bool,
    rows: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = (u64, Record<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.bytes[self.position..];
        let blank = rest
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        if blank > 0 {
            self.line += line_breaks(&rest[..blank]);
            self.position += blank;
        }
        let rest = &rest[blank..];
        if rest.is_empty() {
            return None;
        }
        let (end, opened, unclosed) = if self.quoted {
            quoted_record_end(rest)
        } else {
            let end = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
            (end, false, false)
        };
        let terminator = match rest.get(end) {
            None => 0,
            Some(b'\r') if rest.get(end + 1) == Some(&b'\n') => 2,
            Some(_) => 1,
        };
        let line = self.line;
        if opened && !self.rows {
            self.line += line_breaks(&rest[..end]);
        }
        self.line += u64::from(terminator > 0);
        self.position += end + terminator;
        let record = Record {
            content: &rest[..end],
            terminator: &rest[end..end + terminator],
            unclosed,
        };
        Some((line, record))
    }
}

/// A record's fields, unescaped, as ranges into either the record itself (when it has
/// no quotes, nothing is copied) or a buffer of unescaped text.
#[derive(Default)]
pub struct Fields {
    text: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    copied: bool,
    /// Plain decimals read while splitting, by field; NaN where none was.
    numbers: Vec<f64>,
}

/// The position of the first `,` in `bytes`, eight bytes at a time.
///
/// Fields are short (9 bytes on average in the re-contact file), so a vectorised search
/// started per field costs more than it saves, and a byte loop made field splitting 16 %
/// of scoring time; this word-at-a-time search took a fifth off that.
fn next_comma(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let x = word ^ (u64::from(b',') * ONES);
        // A high bit is set in the lowest byte of x that is zero (a comma) and may be set
        // in bytes above it, never below: the lowest set bit finds the first comma.
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(at + zeros.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| b == b',').map(|i| at + i)
}

impl Fields {
    /// Splits `content` as [`Fields::split`] does and, in the same pass, reads the
    /// fields flagged in `numeric` that are plain decimals (see [`Fields::number`]).
    pub fn split_reading(&mut self, content: &[u8], may_have_quotes: bool, numeric: &[bool]) {
        self.numbers.clear();
        if may_have_quotes && memchr::memchr(b'"', content).is_some() {
            self.split(content, true);
            return;
        }
        self.copied = false;
        self.ranges.clear();
        self.numbers.resize(numeric.len(), f64::NAN);
        let mut start = 0;
        loop {
            let field = self.ranges.len();
            let rest = &content[start..];
            let mut read = 0;
            if numeric.get(field) == Some(&true) {
                let (value, used) = crate::values::scan_plain_decimal(rest);
                read = used;
                if let Some(value) = value {
                    if used == rest.len() || rest[used] == b',' {
                        self.numbers[field] = value;
                    }
                }
            }
            match next_comma(&rest[read..]) {
                Some(i) => {
                    self.ranges.push((start, start + read + i));
                    start += read + i + 1;
                }
                None => {
                    self.ranges.push((start, content.len()));
                    return;
                }
            }
        }
    }

    /// Field `k` as a plain decimal, when [`Fields::split_reading`] read it as one.
    pub fn number(&self, k: usize) -> Option<f64> {
        self.numbers.get(k).copied().filter(|v| !v.is_nan())
    }

    /// Splits `content` (a record without its line end) into fields: a field that starts
    /// with `"` is quoted up to the next lone `"` (`""` is one quote), and any bytes after
    /// that up to the delimiter belong to the field too; a quote anywhere else is an
    /// ordinary byte.
    pub fn split(&mut self, content: &[u8], may_have_quotes: bool) {
        self.ranges.clear();
        self.numbers.clear();
        self.copied = may_have_quotes && memchr::memchr(b'"', content).is_some();
        if !self.copied {
            // Fields are short: a plain loop beats a vectorised search restarted per comma.
            let mut start = 0;
            for (i, &byte) in content.iter().enumerate() {
                if byte == b',' {
                    self.ranges.push((start, i));
                    start = i + 1;
                }
            }
            self.ranges.push((start, content.len()));
            return;
        }
        let text = &mut self.text;
        text.clear();
        let mut i = 0;
        loop {
            let start = text.len();
            if content.get(i) == Some(&b'"') {
                i += 1;
                while i < content.len() {
                    if content[i] == b'"' {
                        if content.get(i + 1) == Some(&b'"') {
                            text.push(b'"');
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    } else {
                        text.push(content[i]);
                        i += 1;
                    }
                }
            }
            while i < content.len() && content[i] != b',' {
                text.push(content[i]);
                i += 1;
            }
            self.ranges.push((start, text.len()));
            if i >= content.len() {
                break;
            }
            i += 1;
        }
    }

    /// Splits `content` as [`Fields::split_reading`] does; a record without `columns` fields
    /// gives its problem, located at `line` of `source_name`.
    pub fn split_expecting(
        &mut self,
        content: &[u8],
        may_have_quotes: bool,
        numeric: &[bool],
        columns: usize,
        (source_name, line): (&str, u64),
    ) -> Option<crate::error::DataError> {
        self.split_reading(content, may_have_quotes, numeric);
        (self.len() != columns)
            .then(|| crate::error::DataError::field_count(source_name, line, columns, self.len()))
    }

    /// How many fields the record has.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether the record last split has no fields (never, for a record of the grammar:
    /// an empty line is skipped, and a record holds at least one, possibly empty, field).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Field `k` of the record last split from `content`.
    pub fn get<'a>(&'a self, content: &'a [u8], k: usize) -> &'a [u8] {
        let (a, b) = self.ranges[k];
        if self.copied {
            &self.text[a..b]
        } else {
            &content[a..b]
        }
    }
}

/// A worker's work that panicked: an internal error, reported instead of a hang or an
/// abort, naming where the chunk starts so that the input can be narrowed down.
#[derive(Debug)]
struct WorkerPanic {
    first_line: u64,
    message: String,
}

impl std::fmt::Display for WorkerPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "internal error while reading the records from line {} on ({}); \
             please report it with the input",
            self.first_line, self.message
        )
    }
}

impl std::error::Error for WorkerPanic {}

/// Runs `work` on `chunk`, turning a panic into an error.
fn run_caught<T>(work: &(impl Fn(&Chunk) -> T + Sync), chunk: &Chunk) -> io::Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(|| work(chunk))).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        io::Error::other(WorkerPanic {
            first_line: chunk.first_line,
            message,
        })
    })
}

/// Cuts `chunks` from `reader`, turns each into a result with `work` on the threads of
/// the current rayon pool (or on this thread when it has one), and hands the results to
/// `take` on this thread in input order.
///
/// Stops at the first error of `take`, after the results of every earlier chunk. A read
/// error is returned after the results of the chunks read before it, and so is a panic
/// of `work`, as an internal error (through `read_error`) naming the chunk's first line.
///
/// ```
/// use recontact_input::chunks::{for_each_in_order, ChunkReader};
///
/// let csv: String = (0..10_000).map(|i| format!("{i}\n")).collect();
/// let mut reader = ChunkReader::with_chunk_bytes(csv.as_bytes(), 1 << 20, 4096);
/// let mut rows = Vec::new();
/// let work = |chunk: &recontact_input::chunks::Chunk| chunk.records().count();
/// for_each_in_order(&mut reader, None, work, |n| Ok::<(), std::io::Error>(rows.push(n)), |e| e)?;
/// assert_eq!(rows.iter().sum::<usize>(), 10_000);
/// assert!(rows.len() > 1); // several chunks, taken in input order
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn for_each_in_order<R, T, E>(
    reader: &mut ChunkReader<R>,
    first: Option<Chunk>,
    work: impl Fn(&Chunk) -> T + Sync,
    mut take: impl FnMut(T) -> Result<(), E>,
    read_error: impl Fn(io::Error) -> E,
) -> Result<(), E>
where
    R: Read,
    T: Send,
{
    let threads = rayon::current_num_threads().max(1);
    if threads == 1 {
        let mut next = first;
        let mut buffer = Vec::new();
        loop {
            let chunk = match next.take() {
                Some(chunk) => chunk,
                None => match reader.next_chunk(buffer) {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(read_error(e)),
                },
            };
            take(run_caught(&work, &chunk).map_err(&read_error)?)?;
            buffer = chunk.bytes;
        }
    }

    let in_flight_limit = 2 * threads + 2;
    let stop = AtomicBool::new(false);
    let (job_sender, job_receiver) = mpsc::channel::<(u64, Chunk)>();
    let job_receiver = Mutex::new(job_receiver);
    let (result_sender, result_receiver) = mpsc::channel::<(u64, io::Result<T>, Vec<u8>)>();
    std::thread::scope(|scope| {
        // Owned by this closure, so that however it ends (a panic of `take` too) the
        // workers see the jobs close and the scope can join them.
        let job_sender = job_sender;
        for _ in 0..threads {
            let result_sender = result_sender.clone();
            let (job_receiver, work, stop) = (&job_receiver, &work, &stop);
            scope.spawn(move || loop {
                let job = match job_receiver.lock() {
                    Ok(receiver) => receiver.recv(),
                    Err(_) => return,
                };
                let Ok((sequence, chunk)) = job else { return };
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let result = run_caught(work, &chunk);
                if result_sender.send((sequence, result, chunk.bytes)).is_err() {
                    return;
                }
            });
        }
        drop(result_sender);

        let mut spare: Vec<Vec<u8>> = Vec::new();
        let mut pending = BTreeMap::new();
        let (mut sent, mut taken) = (0u64, 0u64);
        let mut next = first;
        let mut finished = false;
        let mut deferred = None;
        let outcome = loop {
            while !finished && sent - taken < in_flight_limit as u64 {
                let chunk = match next.take() {
                    Some(chunk) => Ok(Some(chunk)),
                    None => reader.next_chunk(spare.pop().unwrap_or_default()),
                };
                match chunk {
                    Ok(Some(chunk)) => {
                        if job_sender.send((sent, chunk)).is_err() {
                            finished = true;
                        }
                        sent += 1;
                    }
                    Ok(None) => finished = true,
                    Err(e) => {
                        finished = true;
                        deferred = Some(read_error(e));
                    }
                }
            }
            if taken == sent {
                break deferred.map_or(Ok(()), Err);
            }
            let Ok((sequence, result, buffer)) = result_receiver.recv() else {
                // Every job gets a result unless the workers are gone: never a silent end.
                break Err(read_error(io::Error::other(
                    "internal error: the workers stopped before every chunk was read",
                )));
            };
            spare.push(buffer);
            pending.insert(sequence, result);
            let mut failed = None;
            while let Some(result) = pending.remove(&taken) {
                taken += 1;
                if let Err(e) = result.map_err(&read_error).and_then(&mut take) {
                    failed = Some(e);
                    break;
                }
            }
            if let Some(e) = failed {
                break Err(e);
            }
        };
        stop.store(true, Ordering::Relaxed);
        drop(job_sender);
        outcome
    })
}

/// A record as the differential tests of the grammar compare it.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarRecord {
    /// The line it starts on.
    pub line: u64,
    /// Its length as the record limit counts it.
    pub length: usize,
    /// Its fields, unescaped.
    pub fields: Vec<Vec<u8>>,
}

/// The records the chunked reader finds in `bytes`, cut into chunks of about
/// `chunk_bytes` and parsed as the crate's readers parse them (a header, then the
/// records, on the current rayon pool's threads), or the first error's message.
#[doc(hidden)]
pub fn fast_records(
    bytes: &[u8],
    chunk_bytes: usize,
    max_record_bytes: usize,
) -> Result<Vec<GrammarRecord>, String> {
    let mut reader = ChunkReader::with_chunk_bytes(bytes, max_record_bytes, chunk_bytes);
    let first = reader.next_chunk(Vec::new()).map_err(|e| e.to_string())?;
    let Some((header, rest)) = first.and_then(split_header) else {
        return Ok(Vec::new());
    };
    let mut fields = Fields::default();
    let collect = |fields: &Fields, content: &[u8]| -> Vec<Vec<u8>> {
        (0..fields.len())
            .map(|k| fields.get(content, k).to_vec())
            .collect()
    };
    if header.length() > max_record_bytes {
        return Err(RecordTooLong {
            line: header.line,
            limit: max_record_bytes,
        }
        .to_string());
    }
    fields.split(&header.content, true);
    let mut seen = vec![GrammarRecord {
        line: header.line,
        length: header.length(),
        fields: collect(&fields, &header.content),
    }];
    // Every other column is read as a number too, as readers do for numeric columns.
    let numeric: Vec<bool> = (0..64).map(|k| k % 2 == 0).collect();
    for_each_in_order(
        &mut reader,
        Some(rest),
        |chunk| {
            let mut fields = Fields::default();
            let mut records = Vec::new();
            for (line, record) in chunk.records() {
                if record.length() > max_record_bytes {
                    let long = RecordTooLong {
                        line,
                        limit: max_record_bytes,
                    };
                    return Err(long.to_string());
                }
                fields.split_reading(record.content, chunk.quoted, &numeric);
                records.push(GrammarRecord {
                    line,
                    length: record.length(),
                    fields: collect(&fields, record.content),
                });
            }
            Ok(records)
        },
        |records| {
            seen.extend(records?);
            Ok(())
        },
        |e| e.to_string(),
    )?;
    Ok(seen)
}

/// The records the `csv` crate (default settings, no header, any number of fields)
/// finds in `bytes`, with lines counted here one byte at a time, or the first error's
/// message. Read through a [`crate::lines::LineTracker`], whose lines must agree.
#[doc(hidden)]
pub fn reference_records(
    bytes: &[u8],
    max_record_bytes: usize,
) -> Result<Vec<GrammarRecord>, String> {
    let tracker = crate::lines::LineTracker::with_limit(bytes, max_record_bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(tracker);
    let mut record = csv::ByteRecord::new();
    let mut seen = Vec::new();
    let (mut counted, mut line) = (0usize, 1u64);
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| e.to_string())?
    {
        let start = record.position().map_or(0, |p| p.byte()) as usize;
        let end = reader.position().byte() as usize;
        let mut first = start;
        if first == 0 && bytes.starts_with(BOM) {
            first = BOM.len();
        }
        while matches!(bytes.get(first), Some(b'\r' | b'\n')) {
            first += 1;
        }
        for i in counted..first {
            let crlf = bytes[i] == b'\n' && i > 0 && bytes[i - 1] == b'\r';
            line += u64::from(bytes[i] == b'\r' || (bytes[i] == b'\n' && !crlf));
        }
        counted = first;
        let tracked = reader
            .get_mut()
            .record(start as u64, end as u64)
            .map_err(|e| e.to_string())?;
        if tracked != line {
            return Err(format!(
                "the line tracker puts the record at byte {first} on line {tracked}, not {line}"
            ));
        }
        seen.push(GrammarRecord {
            line,
            length: end - first,
            fields: record.iter().map(<[u8]>::to_vec).collect(),
        });
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_word_search_finds_the_first_comma(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'-'), Just(0x2c ^ 0x80), Just(0x2b), Just(0x2d), any::<u8>()],
                0..40,
            ),
        ) {
            prop_assert_eq!(next_comma(&bytes), bytes.iter().position(|&b| b == b','));
        }
    }

    fn cut(text: &[u8], limit: usize) -> Vec<(u64, String)> {
        let mut reader = ChunkReader::new(text, limit);
        let mut seen = Vec::new();
        while let Some(chunk) = reader.next_chunk(Vec::new()).unwrap() {
            for (line, record) in chunk.records() {
                let bytes = [record.content, record.terminator].concat();
                seen.push((line, String::from_utf8(bytes).unwrap()));
            }
        }
        seen
    }

    /// Fields of every record, by the chunked reader with chunks of `chunk_bytes`.
    fn fields(text: &str, chunk_bytes: usize) -> Vec<(u64, Vec<String>)> {
        fast_records(text.as_bytes(), chunk_bytes, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|r| {
                let fields = r.fields.into_iter().map(|f| String::from_utf8(f).unwrap());
                (r.line, fields.collect())
            })
            .collect()
    }

    #[test]
    fn records_keep_their_bytes_and_lines() {
        assert_eq!(
            cut(b"h1,h2\r\n\"a\nb\",1\r\n\r\nc,2", 1 << 20),
            [
                (1, "h1,h2\r\n".to_string()),
                (2, "\"a\nb\",1\r\n".to_string()),
                (5, "c,2".to_string())
            ]
        );
        assert_eq!(
            cut(b"a\n\n\n1\n", 1 << 20),
            [(1, "a\n".into()), (4, "1\n".into())]
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_an_ordinary_byte() {
        for chunk_bytes in [1, 3, 7, 1 << 20] {
            let seen = fields("h,notes\n1,5'10\"\n2,He said \"hi\"\n3,x\n", chunk_bytes);
            let notes: Vec<(u64, &str)> = seen.iter().map(|(l, f)| (*l, f[1].as_str())).collect();
            assert_eq!(
                notes,
                [(1, "notes"), (2, "5'10\""), (3, "He said \"hi\""), (4, "x")]
            );
        }
        let seen = fields("\"ab\"cd,\"x\"\"y\",\"q\"\"\"\n", 1 << 20);
        assert_eq!(
            seen,
            [(1, vec!["abcd".into(), "x\"y".into(), "q\"".into()])]
        );
    }

    #[test]
    fn lone_carriage_returns_end_records() {
        for chunk_bytes in [1, 2, 5, 1 << 20] {
            let seen = fields("h,v\r1,a\r\r2,b\n3,c\r\n4,d\r", chunk_bytes);
            let lines: Vec<(u64, &str)> = seen.iter().map(|(l, f)| (*l, f[1].as_str())).collect();
            assert_eq!(lines, [(1, "v"), (2, "a"), (4, "b"), (5, "c"), (6, "d")]);
        }
        assert_eq!(
            cut(b"a\rb\r\nc\r", 1 << 20),
            [(1, "a\r".into()), (2, "b\r\n".into()), (3, "c\r".into())]
        );
    }

    #[test]
    fn an_unclosed_quote_at_the_end_takes_the_rest() {
        let seen = fields("h\n\"a,b\nc", 1 << 20);
        assert_eq!(seen, [(1, vec!["h".into()]), (2, vec!["a,b\nc".into()])]);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_header() {
        for chunk_bytes in [1, 2, 1 << 20] {
            let seen = fields("\u{feff}\"a,b\",c\n1,2\n", chunk_bytes);
            assert_eq!(seen[0], (1, vec!["a,b".into(), "c".into()]));
        }
    }

    #[test]
    fn chunks_end_on_record_boundaries_across_reads() {
        // A long file in many chunks, with quoted newlines straddling chunk ends.
        let mut text = String::from("a,b\n");
        for i in 0..200_000 {
            if i % 7 == 0 {
                text += &format!("\"x\n{i}\",{i}\r\n");
            } else if i % 5 == 0 {
                text += &format!("{i},{i}\"\r");
            } else {
                text += &format!("{i},{i}\n");
            }
        }
        let seen = cut(text.as_bytes(), 1 << 20);
        assert_eq!(seen.len(), 200_001);
        let joined: String = seen.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(joined, text);
        let mut line = 1;
        for (l, record) in &seen {
            assert_eq!(*l, line);
            line += line_breaks(record.as_bytes());
        }
    }

    #[test]
    fn an_endless_record_is_refused_with_its_line() {
        let mut text = b"a\n1\n\r\n\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 << 20));
        let mut reader = ChunkReader::new(text.as_slice(), 1 << 20);
        let error = loop {
            match reader.next_chunk(Vec::new()) {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        };
        assert!(
            error.to_string().starts_with("line 4: a record longer"),
            "{error}"
        );
    }

    #[test]
    fn the_limit_counts_a_record_and_one_byte_of_its_line_end() {
        let text = "abcd\r\nabc\n\nabcde\n";
        assert_eq!(
            fast_records(text.as_bytes(), 3, 5).unwrap_err(),
            reference_records(text.as_bytes(), 5).unwrap_err()
        );
        let error = fast_records(text.as_bytes(), 3, 5).unwrap_err();
        assert!(
            error.starts_with("line 4: a record longer than the limit of 5 bytes"),
            "{error}"
        );
        assert_eq!(fast_records(text.as_bytes(), 3, 6).unwrap().len(), 3);
    }

    #[test]
    fn fields_are_split_as_the_grammar_says() {
        let split = |content: &str| {
            let mut fields = Fields::default();
            fields.split(content.as_bytes(), true);
            (0..fields.len())
                .map(|k| String::from_utf8(fields.get(content.as_bytes(), k).to_vec()).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(split("a,b,c"), ["a", "b", "c"]);
        assert_eq!(
            split("\"a,b\",\"say \"\"hi\"\"\",\"x\ny\""),
            ["a,b", "say \"hi\"", "x\ny"]
        );
        assert_eq!(split(",,"), ["", "", ""]);
        assert_eq!(split(""), [""]);
        assert_eq!(split("a\"b,\"c\"d\"e"), ["a\"b", "cd\"e"]);
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    #[test]
    fn a_panicking_worker_ends_the_run_with_an_internal_error() {
        let mut text = String::from("h\n");
        for i in 0..2000 {
            text += &format!("{i}\n");
        }
        for threads in [1, 2, 4] {
            let outcome = pool(threads).install(|| {
                let mut reader = ChunkReader::with_chunk_bytes(text.as_bytes(), 1 << 20, 64);
                let mut taken = 0;
                let outcome = for_each_in_order(
                    &mut reader,
                    None,
                    |chunk| {
                        if chunk.first_line > 1000 {
                            panic!("a test panic");
                        }
                        chunk.records().count()
                    },
                    |records| {
                        taken += records;
                        Ok::<(), String>(())
                    },
                    |e| e.to_string(),
                );
                (outcome, taken)
            });
            let (error, taken) = (outcome.0.unwrap_err(), outcome.1);
            assert!(
                error.starts_with("internal error while reading the records from line 10")
                    && error.contains("(a test panic)"),
                "{threads} threads: {error}"
            );
            assert!((980..1030).contains(&taken), "{taken} records taken before");
        }
    }

    const TOKENS: &[&[u8]] = &[
        b",",
        b",",
        b",",
        b"\"",
        b"\"",
        b"\"",
        b"\"\"",
        b"\r",
        b"\r",
        b"\n",
        b"\n",
        b"\r\n",
        b"a",
        b"b",
        b"12",
        b"-3.5",
        b" ",
        b"x\"y",
        b"\xC3\xA9",
        b"\xEF\xBB\xBF",
        b"\xFF",
        b"\0",
        b"'",
        b"\t",
    ];

    fn csv_like() -> impl Strategy<Value = Vec<u8>> {
        (
            any::<bool>(),
            proptest::collection::vec(proptest::sample::select(TOKENS), 0..80),
        )
            .prop_map(|(bom, tokens)| {
                let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
                bytes.extend(tokens.concat());
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn the_chunked_reader_reads_as_the_csv_crate_does(
            bytes in csv_like(),
            chunk_bytes in 1usize..40,
            threads in prop_oneof![Just(1usize), Just(3usize)],
            limit in prop_oneof![Just(usize::MAX), 1usize..30],
        ) {
            let expected = reference_records(&bytes, limit);
            let seen = pool(threads).install(|| fast_records(&bytes, chunk_bytes, limit));
            prop_assert_eq!(seen, expected);
        }
    }
}
