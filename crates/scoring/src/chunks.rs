//! Reading a CSV byte stream as chunks of whole records and working through the chunks
//! on several threads, with the results taken in input order.
//!
//! The readers of this crate spend their time splitting and parsing fields, which is
//! independent from record to record. The stream is cut serially (a quote-aware scan
//! that costs little next to parsing) into chunks of about a mebibyte that end on a
//! record boundary; workers turn chunks into results; the calling thread takes the
//! results strictly in order. The output therefore does not depend on how many threads
//! ran, and memory is bounded by the chunks in flight, not by the input's length.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

/// Bytes a chunk is filled to before it is cut at its last record boundary.
const CHUNK_BYTES: usize = 1 << 20;

/// Whole records, cut from a stream.
pub(crate) struct Chunk {
    /// The records' bytes, terminators included.
    pub bytes: Vec<u8>,
    /// The 1-based line on which the chunk's first byte lies.
    pub first_line: u64,
    /// Whether any byte is a double quote; when none is, every newline ends a record.
    pub quoted: bool,
    /// How many newlines the chunk holds: at least its records but the last.
    pub newlines: u64,
    /// Bytes of the stream up to the end of this chunk.
    pub end_offset: u64,
}

impl Chunk {
    /// The chunk's non-blank records.
    pub fn records(&self) -> Records<'_> {
        Records {
            bytes: &self.bytes,
            position: 0,
            line: self.first_line,
            quoted: self.quoted,
        }
    }
}

/// Splits the first non-blank record (the header) off a chunk: its line, its bytes and
/// the rest of the chunk.
pub(crate) fn split_header(chunk: Chunk) -> Option<(u64, Vec<u8>, Chunk)> {
    let mut records = chunk.records();
    let (line, header) = records.next()?;
    let (position, next_line) = (records.position, records.line);
    let header = header.to_vec();
    let rest = Chunk {
        bytes: chunk.bytes[position..].to_vec(),
        first_line: next_line,
        quoted: chunk.quoted,
        newlines: chunk.newlines.saturating_sub(next_line - chunk.first_line),
        end_offset: chunk.end_offset,
    };
    Some((line, header, rest))
}

/// Cuts a byte stream into [`Chunk`]s.
pub(crate) struct ChunkReader<R> {
    input: R,
    /// Bytes after the last record boundary, carried into the next chunk.
    carry: Vec<u8>,
    /// Lines before the carried bytes.
    lines: u64,
    offset: u64,
    finished: bool,
    max_record_bytes: usize,
}

impl<R: Read> ChunkReader<R> {
    /// Reads `input`, refusing records longer than `max_record_bytes`.
    pub fn new(input: R, max_record_bytes: usize) -> Self {
        ChunkReader {
            input,
            carry: Vec::new(),
            lines: 0,
            offset: 0,
            finished: false,
            max_record_bytes,
        }
    }

    /// Bytes cut into chunks so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next chunk, filled into `buffer` (whose allocation is reused), or `None` at
    /// the end of the stream.
    pub fn next_chunk(&mut self, mut buffer: Vec<u8>) -> io::Result<Option<Chunk>> {
        buffer.clear();
        buffer.append(&mut self.carry);
        let mut scanned = 0;
        let mut quotes = 0usize;
        loop {
            // At first a chunk's worth beyond a short carried record; then more until a
            // record ends.
            let target = if scanned == 0 {
                CHUNK_BYTES.max(buffer.len() + CHUNK_BYTES / 4)
            } else {
                buffer.len() + CHUNK_BYTES
            };
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
            if buffer.is_empty() {
                return Ok(None);
            }
            quotes += memchr::memchr_iter(b'"', &buffer[scanned..]).count();
            scanned = buffer.len();
            let cut = if self.finished {
                Some(buffer.len())
            } else if quotes == 0 {
                memchr::memrchr(b'\n', &buffer).map(|i| i + 1)
            } else {
                last_boundary(&buffer)
            };
            match cut {
                Some(cut) => {
                    self.carry.extend_from_slice(&buffer[cut..]);
                    buffer.truncate(cut);
                    let first_line = self.lines + 1;
                    let newlines = memchr::memchr_iter(b'\n', &buffer).count() as u64;
                    self.lines += newlines;
                    self.offset += buffer.len() as u64;
                    return Ok(Some(Chunk {
                        quoted: quotes > 0,
                        newlines,
                        bytes: buffer,
                        first_line,
                        end_offset: self.offset,
                    }));
                }
                None if buffer.len() > self.max_record_bytes => {
                    let blank = buffer
                        .iter()
                        .take_while(|&&b| b == b'\n' || b == b'\r')
                        .filter(|&&b| b == b'\n')
                        .count() as u64;
                    return Err(record_too_long(
                        self.lines + 1 + blank,
                        self.max_record_bytes,
                    ));
                }
                None => {}
            }
        }
    }
}

/// A record beyond the reader's limit.
#[derive(Debug)]
pub(crate) struct RecordTooLong {
    /// The line the record starts on.
    pub line: u64,
    /// The limit, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: a record longer than the limit of {} bytes starts here \
             (an unclosed quote, or a field that is not CSV?); raise it with \
             --max-record-bytes if the record is genuine",
            self.line, self.limit
        )
    }
}

impl std::error::Error for RecordTooLong {}

/// The error for a record beyond the limit, starting on `line`.
pub(crate) fn record_too_long(line: u64, limit: usize) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, RecordTooLong { line, limit })
}

/// The end of the last complete record of bytes that begin on a record boundary.
fn last_boundary(bytes: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut boundary = None;
    for i in memchr::memchr2_iter(b'"', b'\n', bytes) {
        if bytes[i] == b'"' {
            quoted = !quoted;
        } else if !quoted {
            boundary = Some(i + 1);
        }
    }
    boundary
}

/// The non-blank records of a chunk, each with the line it starts on and its bytes
/// (terminator included).
pub(crate) struct Records<'a> {
    bytes: &'a [u8],
    position: usize,
    line: u64,
    quoted: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.position;
            let rest = self.bytes.get(start..).filter(|r| !r.is_empty())?;
            let line = self.line;
            let length = if self.quoted {
                let mut inside = false;
                let mut end = rest.len();
                for i in memchr::memchr2_iter(b'"', b'\n', rest) {
                    if rest[i] == b'"' {
                        inside = !inside;
                    } else {
                        self.line += 1;
                        if !inside {
                            end = i + 1;
                            break;
                        }
                    }
                }
                end
            } else {
                match memchr::memchr(b'\n', rest) {
                    Some(i) => {
                        self.line += 1;
                        i + 1
                    }
                    None => rest.len(),
                }
            };
            self.position = start + length;
            let record = &rest[..length];
            if !record.ends_with(b"\n") {
                // A last line without a terminator still counts as a line.
                self.line += 1;
            }
            if record == b"\n" || record == b"\r\n" {
                continue;
            }
            return Some((line, record));
        }
    }
}

/// Splits a record into its content and its terminator (`\n`, `\r\n` or nothing).
pub(crate) fn content_and_terminator(record: &[u8]) -> (&[u8], &[u8]) {
    let cut = if record.ends_with(b"\r\n") {
        record.len() - 2
    } else if record.ends_with(b"\n") {
        record.len() - 1
    } else {
        record.len()
    };
    record.split_at(cut)
}

/// A record's fields, unescaped, as ranges into either the record itself (when it has
/// no quotes, nothing is copied) or a buffer of unescaped text.
#[derive(Default)]
pub(crate) struct Fields {
    text: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    copied: bool,
    /// Plain decimals read while splitting, by field; NaN where none was.
    numbers: Vec<f64>,
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
            // Fields are short: a plain loop beats a vectorised search started per field.
            match rest[read..].iter().position(|&b| b == b',') {
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

    /// Splits `content` (a record without its terminator) as RFC 4180 says.
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

/// Cuts `chunks` from `reader`, turns each into a result with `work` on the threads of
/// the current rayon pool (or on this thread when it has one), and hands the results to
/// `take` on this thread in input order.
///
/// Stops at the first error of `take`, after the results of every earlier chunk. A read
/// error is returned after the results of the chunks read before it.
pub(crate) fn for_each_in_order<R, T, E>(
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
            take(work(&chunk))?;
            buffer = chunk.bytes;
        }
    }

    let in_flight_limit = 2 * threads + 2;
    let stop = AtomicBool::new(false);
    let (job_sender, job_receiver) = mpsc::channel::<(u64, Chunk)>();
    let job_receiver = Mutex::new(job_receiver);
    let (result_sender, result_receiver) = mpsc::channel::<(u64, T, Vec<u8>)>();
    std::thread::scope(|scope| {
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
                let result = work(&chunk);
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
                // Only a panicking worker closes the channel early; the scope re-raises it.
                break Ok(());
            };
            spare.push(buffer);
            pending.insert(sequence, result);
            let mut failed = None;
            while let Some(result) = pending.remove(&taken) {
                taken += 1;
                if let Err(e) = take(result) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &[u8], limit: usize) -> Vec<(u64, String)> {
        let mut reader = ChunkReader::new(text, limit);
        let mut seen = Vec::new();
        while let Some(chunk) = reader.next_chunk(Vec::new()).unwrap() {
            for (line, record) in chunk.records() {
                seen.push((line, String::from_utf8(record.to_vec()).unwrap()));
            }
        }
        seen
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
    fn chunks_end_on_record_boundaries_across_reads() {
        // A long file in many chunks, with quoted newlines straddling chunk ends.
        let mut text = String::from("a,b\n");
        for i in 0..200_000 {
            if i % 7 == 0 {
                text += &format!("\"x\n{i}\",{i}\n");
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
            line += record.matches('\n').count() as u64;
        }
    }

    #[test]
    fn an_endless_record_is_refused_with_its_line() {
        let mut text = b"a\n1\n\"".to_vec();
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
            error.to_string().starts_with("line 3: a record longer"),
            "{error}"
        );
    }

    #[test]
    fn fields_are_split_as_rfc_4180_says() {
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
    }
}
