//! Line numbers as a text editor shows them, for CSV records.

use std::collections::VecDeque;
use std::io;

/// Longest CSV record the readers accept by default (1 MiB): a bound on memory for
/// any input, such as a file with an unclosed quote.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// Most columns the readers accept in a header by default.
pub const DEFAULT_MAX_COLUMNS: usize = 10_000;

/// Counts the lines of a byte stream as it passes, so that a record's position can be
/// turned into the line a text editor shows.
///
/// The CSV parser's own line count ignores newlines inside quoted fields, and the byte
/// position it gives for a record is where it started looking for it, before any line
/// ends and blank lines it skipped. So the bytes not yet accounted for are kept here
/// (at most what the parser has read ahead) and the line is found by counting `\n`
/// up to the record's first byte.
pub struct LineTracker<R> {
    inner: R,
    /// Bytes from offset `base` up to what `inner` has delivered.
    pending: VecDeque<u8>,
    base: u64,
    lines_before: u64,
    max_record_bytes: usize,
}

impl<R> LineTracker<R> {
    /// Wraps a byte stream.
    pub fn new(inner: R) -> Self {
        LineTracker::with_limit(inner, DEFAULT_MAX_RECORD_BYTES)
    }

    /// Wraps a byte stream, refusing (with an I/O error of kind `InvalidData`) to hold a
    /// record longer than `max_record_bytes`.
    pub fn with_limit(inner: R, max_record_bytes: usize) -> Self {
        LineTracker {
            inner,
            pending: VecDeque::new(),
            base: 0,
            lines_before: 0,
            max_record_bytes,
        }
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The 1-based line on which the record the parser reports at byte `offset` starts.
    /// Offsets must be asked in increasing order.
    pub fn record_line(&mut self, offset: u64) -> u64 {
        let skip = usize::try_from(offset.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(self.pending.len());
        self.lines_before += self.pending.drain(..skip).filter(|&b| b == b'\n').count() as u64;
        self.base += skip as u64;
        while let Some(&byte) = self.pending.front() {
            if byte != b'\n' && byte != b'\r' {
                break;
            }
            self.lines_before += u64::from(byte == b'\n');
            self.pending.pop_front();
            self.base += 1;
        }
        self.lines_before + 1
    }
}

impl<R: io::Read> io::Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The parser reads ahead at most its buffer (8 KiB) beyond the current record.
        if self.pending.len() > self.max_record_bytes.saturating_add(1 << 16) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a record after line {} is longer than the limit of {} bytes (an unclosed \
                     quote, or a field that is not CSV?)",
                    self.lines_before + 1,
                    self.max_record_bytes
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        self.pending.extend(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_lines(text: &str) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(LineTracker::new(text.as_bytes()));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let byte = record.position().map_or(0, |p| p.byte());
            lines.push(reader.get_mut().record_line(byte));
        }
        lines
    }

    #[test]
    fn counts_newlines_in_quotes_crlf_and_blank_lines() {
        assert_eq!(record_lines("a,b\n1,2\n3,4\n"), vec![2, 3]);
        assert_eq!(
            record_lines("a,b\r\n\"x\ny\",2\r\n3,4\r\n\r\n\n5,6"),
            vec![2, 4, 7]
        );
        assert_eq!(record_lines("a\n\n\n1\n"), vec![4]);
    }
}
