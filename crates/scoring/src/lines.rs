//! Line numbers as a text editor shows them, for CSV records.

use std::collections::VecDeque;
use std::io;

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
}

impl<R> LineTracker<R> {
    /// Wraps a byte stream.
    pub fn new(inner: R) -> Self {
        LineTracker {
            inner,
            pending: VecDeque::new(),
            base: 0,
            lines_before: 0,
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
