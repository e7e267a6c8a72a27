//! Line numbers as a text editor shows them, and the record length limit, for CSV records.
//!
//! Every reader follows the grammar of the `csv` crate with its default settings: a
//! `"` opens a quoted field only as a field's first byte, `\n`, `\r\n` and a lone `\r`
//! each end a record, and any run of them before a record is skipped (blank lines).
//! A record's line is 1 + the line breaks before its first byte, each `\n`, `\r\n` or
//! lone `\r` counting once.

use std::collections::VecDeque;
use std::io;

#[doc(hidden)]
pub use crate::chunks::{fast_records, reference_records, GrammarRecord};

/// Longest CSV record the readers accept by default (1 MiB): a bound on memory for
/// any input, such as a file with an unclosed quote.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// Most columns the readers accept in a header by default.
pub const DEFAULT_MAX_COLUMNS: usize = 10_000;

/// The UTF-8 byte-order mark, skipped at the start of a stream.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Line breaks in `bytes`: each `\n`, `\r\n` and lone `\r` counts once. A `\r` at the
/// end counts as lone, so `bytes` must not end between the two bytes of a `\r\n`.
///
/// ```
/// use recontact_input::lines::line_breaks;
///
/// assert_eq!(line_breaks(b"a\nb\r\nc\rd"), 3);
/// assert_eq!(line_breaks(b"no break"), 0);
/// ```
pub fn line_breaks(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    if memchr::memchr(b'\r', bytes).is_none() {
        return lf as u64;
    }
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

/// A record beyond the reader's limit. A record's length counts its bytes from its
/// first through the first byte of its line end, so every reader measures it alike.
#[derive(Debug)]
pub struct RecordTooLong {
    /// The line the record starts on.
    pub line: u64,
    /// The limit, in bytes.
    pub limit: usize,
}

impl RecordTooLong {
    /// What the record's problem is, without its line.
    pub fn problem(&self) -> String {
        format!(
            "a record longer than the limit of {} bytes starts here (an unclosed quote, \
             or a field that is not CSV?)",
            self.limit
        )
    }

    /// The problem as a located data error of `source_name`.
    pub fn to_data_error(&self, source_name: &str) -> crate::error::DataError {
        let problem = crate::error::DataProblem::Limit(self.problem());
        let mut error = crate::error::DataError::new(source_name, problem);
        error.line = Some(self.line);
        error
    }
}

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: {}; raise it with --max-record-bytes if the record is genuine",
            self.line,
            self.problem()
        )
    }
}

impl std::error::Error for RecordTooLong {}

/// Counts the lines of a byte stream as it passes to a `csv` reader, so that a record's
/// position can be turned into the line a text editor shows, and holds every record to
/// the length limit.
///
/// The CSV parser's own line count ignores newlines inside quoted fields and lone `\r`,
/// and the byte position it gives for a record is where it started looking for it,
/// before any line ends and blank lines it skipped. So the bytes not yet accounted for
/// are kept here and the line is found by counting line breaks up to the record's first
/// byte. [`LineTracker::record`] must be told of every record (the header too), so
/// that what is kept is only the record being parsed.
pub struct LineTracker<R> {
    inner: R,
    /// Bytes from offset `base` up to what `inner` has delivered.
    pending: VecDeque<u8>,
    base: u64,
    lines_before: u64,
    /// Whether the last byte counted was a `\r`, whose `\n` is then not a second break.
    after_cr: bool,
    max_record_bytes: usize,
    /// Whether the last record ended inside a quoted field.
    unclosed: bool,
}

impl<R> LineTracker<R> {
    /// Wraps a byte stream.
    ///
    /// ```
    /// use std::io::Read;
    /// use recontact_input::lines::LineTracker;
    ///
    /// let mut tracker = LineTracker::new("a\n\"x\ny\"\nb\n".as_bytes());
    /// let mut all = String::new();
    /// tracker.read_to_string(&mut all)?; // the bytes pass through unchanged
    /// assert_eq!(all, "a\n\"x\ny\"\nb\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(inner: R) -> Self {
        LineTracker::with_limit(inner, DEFAULT_MAX_RECORD_BYTES)
    }

    /// Wraps a byte stream, refusing records longer than `max_record_bytes`.
    ///
    /// ```
    /// use std::io::Read;
    /// use recontact_input::lines::{LineTracker, RecordTooLong};
    ///
    /// let mut tracker = LineTracker::with_limit("ok\nthis record is too long\n".as_bytes(), 8);
    /// let error = tracker.read_to_end(&mut Vec::new()).unwrap_err();
    /// let too_long = error.get_ref().and_then(|e| e.downcast_ref::<RecordTooLong>()).unwrap();
    /// assert_eq!(too_long.limit, 8);
    /// ```
    pub fn with_limit(inner: R, max_record_bytes: usize) -> Self {
        LineTracker {
            inner,
            pending: VecDeque::new(),
            base: 0,
            lines_before: 0,
            after_cr: false,
            max_record_bytes,
            unclosed: false,
        }
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Whether the record last told to [`LineTracker::record`] ended inside a quoted
    /// field: the input ended before the quote was closed.
    pub fn last_record_unclosed(&self) -> bool {
        self.unclosed
    }

    /// Accounts for the record the parser reports between byte `start` (its
    /// `position()`) and byte `end` (the reader's `position()` after it): its 1-based
    /// line, or the error when it is longer than the limit. Records must be told in order.
    pub fn record(&mut self, start: u64, end: u64) -> Result<u64, RecordTooLong> {
        self.pass_to(start);
        let skipped = self.blank_prefix();
        self.pass(skipped);
        let line = self.lines_before + 1;
        let length = end.saturating_sub(self.base);
        // Only a record without a line end (the last) can end inside a quoted field.
        self.unclosed = usize::try_from(length).ok().is_some_and(|n| {
            n > 0
                && n <= self.pending.len()
                && !matches!(self.pending.get(n - 1), Some(b'\n' | b'\r'))
                && {
                    let bytes: Vec<u8> = self.pending.iter().take(n).copied().collect();
                    crate::chunks::ends_inside_quotes(&bytes)
                }
        });
        self.pass_to(end);
        if length > self.max_record_bytes as u64 {
            return Err(RecordTooLong {
                line,
                limit: self.max_record_bytes,
            });
        }
        Ok(line)
    }

    /// How many pending bytes come before the next record: a byte-order mark at the
    /// start of the stream, then blank lines.
    fn blank_prefix(&self) -> usize {
        let bom = if self.base == 0 && self.pending.iter().take(3).eq(BOM.iter()) {
            BOM.len()
        } else {
            0
        };
        bom + self
            .pending
            .iter()
            .skip(bom)
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count()
    }

    fn pass_to(&mut self, offset: u64) {
        let n = usize::try_from(offset.saturating_sub(self.base)).unwrap_or(usize::MAX);
        self.pass(n);
    }

    /// Counts and forgets the next `n` pending bytes (fewer when fewer are pending).
    fn pass(&mut self, n: usize) {
        let n = n.min(self.pending.len());
        let (front, back) = self.pending.as_slices();
        let (front, back) = if n <= front.len() {
            (&front[..n], &back[..0])
        } else {
            (front, &back[..n - front.len()])
        };
        for part in [front, back] {
            let Some(&last) = part.last() else { continue };
            // A `\r` ending the part counted once; its `\n` starting the next must not.
            let continued = self.after_cr && part[0] == b'\n';
            self.lines_before += line_breaks(part) - u64::from(continued);
            self.after_cr = last == b'\r';
        }
        self.pending.drain(..n);
        self.base += n as u64;
    }

    /// The error for a record in the making that is already beyond the limit.
    fn overlong(&self) -> Option<io::Error> {
        let skipped = self.blank_prefix();
        if self.pending.len() - skipped <= self.max_record_bytes {
            return None;
        }
        let mut lines = self.lines_before;
        let mut after_cr = self.after_cr;
        for &byte in self.pending.iter().take(skipped) {
            lines += u64::from(byte == b'\r' || (byte == b'\n' && !after_cr));
            after_cr = byte == b'\r';
        }
        let long = RecordTooLong {
            line: lines + 1,
            limit: self.max_record_bytes,
        };
        Some(io::Error::new(io::ErrorKind::InvalidData, long))
    }
}

impl<R: io::Read> io::Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The parser asks for more only once it used all it was given, so every pending
        // byte belongs to the record it is parsing.
        if let Some(error) = self.overlong() {
            return Err(error);
        }
        let n = self.inner.read(buf)?;
        self.pending.extend(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_lines(text: &str, limit: usize) -> Result<Vec<u64>, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::with_limit(text.as_bytes(), limit));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            let start = record.position().map_or(0, |p| p.byte());
            let end = reader.position().byte();
            let line = reader.get_mut().record(start, end);
            lines.push(line.map_err(|e| e.to_string())?);
        }
        Ok(lines)
    }

    #[test]
    fn counts_newlines_in_quotes_crlf_lone_cr_and_blank_lines() {
        let lines = |text| record_lines(text, 1 << 20).unwrap();
        assert_eq!(lines("a,b\n1,2\n3,4\n"), vec![1, 2, 3]);
        assert_eq!(
            lines("a,b\r\n\"x\ny\",2\r\n3,4\r\n\r\n\n5,6"),
            vec![1, 2, 4, 7]
        );
        assert_eq!(lines("a\n\n\n1\n"), vec![1, 4]);
        assert_eq!(lines("a\r1\r\r2\n3\r\n4"), vec![1, 2, 4, 5, 6]);
        assert_eq!(lines("\u{feff}\n\na\n"), vec![3]);
    }

    #[test]
    fn a_record_over_the_limit_is_refused_wherever_it_is() {
        // 5 bytes: four of fields and one of line end.
        assert_eq!(record_lines("ab,c\nabcd\r\nx", 5).unwrap(), vec![1, 2, 3]);
        let error = record_lines("ab,c\n\nabcde\n", 5).unwrap_err();
        assert!(
            error.starts_with("line 3: a record longer than the limit of 5 bytes"),
            "{error}"
        );
        // Found while the record is still being read, far beyond the limit.
        let long = format!("a\n\r\n\"{}", "x".repeat(100_000));
        let error = record_lines(&long, 1000).unwrap_err();
        assert!(
            error.contains("line 3: a record longer than the limit of 1000 bytes"),
            "{error}"
        );
        // Records just under the limit one after another are all accepted.
        let row = format!("{}\n", "y".repeat(999));
        assert_eq!(record_lines(&row.repeat(50), 1000).unwrap().len(), 50);
    }
}
