//! Streaming batch scoring of a CSV: every input byte passes through untouched and the
//! probability (and logit, and optionally each term's contribution) is appended.
//!
//! Records are cut from the byte stream by a quote-aware scan, so the output repeats
//! each input record byte for byte (quoting, embedded newlines, CRLF, a byte-order mark)
//! and only the appended fields are new. One record is held in memory at a time.

use std::io::{self, BufRead, Write};

use thiserror::Error;

use crate::encoding::{EncodedTerm, TermInput};
use crate::error::{DataError, DataProblem};
use crate::model::{Model, Scorer};
use crate::spec::{Bounds, Transform};
use crate::values::{parse_bool, parse_finite};

/// What to do with a row that cannot be scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInvalid {
    /// Stop at the first invalid row with its problems.
    #[default]
    Fail,
    /// Write it to the rejects output with its line and reasons, and go on.
    Skip,
}

/// Settings of a batch run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOptions {
    /// Name of the appended probability column.
    pub column: String,
    /// Also append each term's contribution to the logit.
    pub explain: bool,
    /// What to do with invalid rows.
    pub on_invalid: OnInvalid,
    /// Longest record accepted, in bytes.
    pub max_record_bytes: usize,
    /// Most columns accepted in the header.
    pub max_columns: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            column: "p_success".to_string(),
            explain: false,
            on_invalid: OnInvalid::Fail,
            max_record_bytes: crate::lines::DEFAULT_MAX_RECORD_BYTES,
            max_columns: crate::lines::DEFAULT_MAX_COLUMNS,
        }
    }
}

/// What a batch run did. Always `rows == scored + rejected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchReport {
    /// Data rows read (blank lines are not rows).
    pub rows: u64,
    /// Rows scored and written to the output.
    pub scored: u64,
    /// Rows written to the rejects output.
    pub rejected: u64,
}

/// Why a batch run stopped.
#[derive(Debug, Error)]
pub enum BatchError {
    /// The header lacks a needed column, repeats one, or clashes with an output column.
    #[error("{}", join(.0))]
    Header(Vec<DataError>),
    /// An invalid row under [`OnInvalid::Fail`]: all its problems.
    #[error("{}", join(.0))]
    Row(Vec<DataError>),
    /// The input could not be read.
    #[error("{source_name}: cannot be read: {error}")]
    Read {
        /// The input's name.
        source_name: String,
        /// The I/O error.
        error: io::Error,
    },
    /// An output could not be written.
    #[error("cannot write the {target}: {error}")]
    Write {
        /// `output` or `rejects`.
        target: &'static str,
        /// The I/O error.
        error: io::Error,
    },
}

fn join(errors: &[DataError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Cuts raw CSV records (terminator included) from a byte stream.
struct RawRecords<R> {
    input: R,
    lines: u64,
    bytes: u64,
    /// Longest record accepted, in bytes: a bound on memory whatever the input.
    max_record_bytes: usize,
}

impl<R: BufRead> RawRecords<R> {
    /// Reads the next non-blank record into `record`; returns the line it starts on.
    fn next(&mut self, record: &mut Vec<u8>) -> io::Result<Option<u64>> {
        loop {
            record.clear();
            let start = self.lines + 1;
            let mut quoted = false;
            let complete = loop {
                let buffer = self.input.fill_buf()?;
                if buffer.is_empty() {
                    break false;
                }
                let mut end = None;
                for (i, &byte) in buffer.iter().enumerate() {
                    if byte == b'"' {
                        quoted = !quoted;
                    } else if byte == b'\n' {
                        self.lines += 1;
                        if !quoted {
                            end = Some(i + 1);
                            break;
                        }
                    }
                }
                let take = end.unwrap_or(buffer.len());
                record.extend_from_slice(&buffer[..take]);
                self.input.consume(take);
                self.bytes += take as u64;
                if record.len() > self.max_record_bytes {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "line {start}: a record longer than the limit of {} bytes starts here \
                             (an unclosed quote, or a field that is not CSV?); raise it with \
                             --max-record-bytes if the record is genuine",
                            self.max_record_bytes
                        ),
                    ));
                }
                if end.is_some() {
                    break true;
                }
            };
            if record.is_empty() {
                return Ok(None);
            }
            if !complete {
                // A last line without a terminator still counts as a line.
                self.lines += 1;
            }
            if record == b"\n" || record == b"\r\n" {
                continue;
            }
            return Ok(Some(start));
        }
    }
}

/// Splits a record's content (terminator removed) into unescaped fields.
fn split_fields(content: &[u8], text: &mut Vec<u8>, fields: &mut Vec<(usize, usize)>) {
    text.clear();
    fields.clear();
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
        fields.push((start, text.len()));
        if i >= content.len() {
            break;
        }
        i += 1;
    }
}

/// Splits a record into its content and its terminator (`\n`, `\r\n` or nothing).
fn content_and_terminator(record: &[u8]) -> (&[u8], &[u8]) {
    let cut = if record.ends_with(b"\r\n") {
        record.len() - 2
    } else if record.ends_with(b"\n") {
        record.len() - 1
    } else {
        record.len()
    };
    record.split_at(cut)
}

/// How one needed column is parsed.
enum Parse {
    Number { log1p: bool },
    Boolean,
    Level { levels: Vec<String> },
}

struct Needed {
    name: String,
    position: usize,
    parse: Parse,
    bounds: Option<Bounds>,
}

impl Needed {
    fn allowed(&self) -> String {
        if let Some(bounds) = &self.bounds {
            return bounds.describe();
        }
        match &self.parse {
            Parse::Number { log1p: false } => "a finite number".to_string(),
            Parse::Number { log1p: true } => {
                "a finite number greater than -1 (for log1p)".to_string()
            }
            Parse::Boolean => "true/false, 1/0 or yes/no".to_string(),
            Parse::Level { levels } => format!("one of {}", levels.join(", ")),
        }
    }

    fn read(&self, text: &str) -> Result<TermInput, DataProblem> {
        if text.is_empty() {
            return Err(DataProblem::Empty);
        }
        match &self.parse {
            Parse::Number { log1p } => match parse_finite(text) {
                Some(v) if *log1p && v <= -1.0 => Err(DataProblem::OutsideTransform),
                Some(v) => {
                    self.bounds.map_or(Ok(()), |b| b.check(v))?;
                    Ok(TermInput::Number(v))
                }
                None => Err(DataProblem::NotANumber),
            },
            Parse::Boolean => parse_bool(text)
                .map(|b| TermInput::Number(if b { 1.0 } else { 0.0 }))
                .ok_or(DataProblem::NotABoolean),
            Parse::Level { levels } => levels
                .iter()
                .position(|l| l == text)
                .map(TermInput::Level)
                .ok_or(DataProblem::UnknownLevel),
        }
    }
}

/// Writes a CSV field, quoting it when needed.
fn write_field(out: &mut Vec<u8>, text: &str) {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for byte in text.bytes() {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// The appended column names, in order.
pub fn appended_columns(model: &Model, options: &BatchOptions) -> Vec<String> {
    let mut names = vec![options.column.clone(), "logit".to_string()];
    if options.explain {
        names.extend(
            model
                .encoding
                .term_groups()
                .into_iter()
                .map(|(label, _)| format!("contribution_{label}")),
        );
    }
    names
}

/// Scores every row of `input`, writing each input record unchanged plus the appended
/// fields to `output`, and invalid rows (under [`OnInvalid::Skip`]) to `rejects` as
/// `line,reason,` followed by the record's own bytes. `progress` is called now and then
/// with the rows and bytes read so far.
pub fn score_csv<R: BufRead, W: Write, J: Write>(
    source_name: &str,
    input: R,
    output: &mut W,
    mut rejects: Option<&mut J>,
    model: &Model,
    options: &BatchOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BatchReport, BatchError> {
    let read_error = |error| BatchError::Read {
        source_name: source_name.to_string(),
        error,
    };
    let write_output = |error| BatchError::Write {
        target: "output",
        error,
    };
    let write_rejects = |error| BatchError::Write {
        target: "rejects",
        error,
    };
    let mut records = RawRecords {
        input,
        lines: 0,
        bytes: 0,
        max_record_bytes: options.max_record_bytes,
    };
    let mut record = Vec::new();
    let mut text = Vec::new();
    let mut fields = Vec::new();

    let Some(_) = records.next(&mut record).map_err(read_error)? else {
        let mut error = DataError::new(source_name, DataProblem::NoHeader);
        error.line = Some(1);
        return Err(BatchError::Header(vec![error]));
    };
    let (header_content, header_end) = content_and_terminator(&record);
    let header_content = header_content
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(header_content);
    split_fields(header_content, &mut text, &mut fields);
    if fields.len() > options.max_columns {
        let mut error = DataError::new(
            source_name,
            DataProblem::TooManyColumns {
                limit: options.max_columns,
                found: fields.len(),
            },
        );
        error.line = Some(1);
        return Err(BatchError::Header(vec![error]));
    }
    let header: Vec<String> = fields
        .iter()
        .map(|&(a, b)| String::from_utf8_lossy(&text[a..b]).into_owned())
        .collect();

    let mut problems = Vec::new();
    let header_problem = |problem: DataProblem, column: &str, position: Option<usize>| {
        let mut error = DataError::new(source_name, problem);
        error.line = Some(1);
        error.column = Some(column.to_string());
        error.column_position = position;
        error
    };
    let mut wanted: Vec<(String, Parse)> = model
        .encoding
        .main_terms()
        .map(|term| match term {
            EncodedTerm::Numeric { column, transform } => (
                column.clone(),
                Parse::Number {
                    log1p: *transform == Transform::Log1p,
                },
            ),
            EncodedTerm::Spline { column, .. } | EncodedTerm::Rcs { column, .. } => {
                (column.clone(), Parse::Number { log1p: false })
            }
            EncodedTerm::Boolean { column } => (column.clone(), Parse::Boolean),
            EncodedTerm::Categorical { column, levels, .. } => (
                column.clone(),
                Parse::Level {
                    levels: levels.clone(),
                },
            ),
            EncodedTerm::Interaction { .. } => (String::new(), Parse::Boolean),
        })
        .collect();
    let has_offset = model.spec.offset.is_some();
    if let Some(offset) = &model.spec.offset {
        wanted.push((offset.clone(), Parse::Number { log1p: false }));
    }
    let mut needed = Vec::new();
    for (name, parse) in wanted {
        let positions: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| **h == name)
            .map(|(i, _)| i)
            .collect();
        match positions.as_slice() {
            [position] => needed.push(Needed {
                bounds: model.spec.bounds.get(&name).copied(),
                name,
                position: *position,
                parse,
            }),
            [] => problems.push(header_problem(DataProblem::MissingColumn, &name, None)),
            [first, again, ..] => problems.push(header_problem(
                DataProblem::DuplicateColumn { first: first + 1 },
                &name,
                Some(again + 1),
            )),
        }
    }
    let appended = appended_columns(model, options);
    for name in &appended {
        if let Some(position) = header.iter().position(|h| h == name) {
            let mut error = header_problem(
                DataProblem::DuplicateColumn {
                    first: position + 1,
                },
                name,
                None,
            );
            error.allowed = Some(format!(
                "a header without `{name}`, which scoring appends (choose another name with --column)"
            ));
            problems.push(error);
        }
    }
    if !problems.is_empty() {
        return Err(BatchError::Header(problems));
    }

    let mut line_out = Vec::with_capacity(1024);
    line_out.extend_from_slice(content_and_terminator(&record).0);
    for name in &appended {
        line_out.push(b',');
        write_field(&mut line_out, name);
    }
    let terminator = if header_end.is_empty() {
        b"\n".as_slice()
    } else {
        header_end
    };
    line_out.extend_from_slice(terminator);
    output.write_all(&line_out).map_err(write_output)?;
    if let Some(rejects) = rejects.as_deref_mut() {
        line_out.clear();
        line_out.extend_from_slice(b"line,reason,");
        line_out.extend_from_slice(content_and_terminator(&record).0);
        line_out.extend_from_slice(terminator);
        rejects.write_all(&line_out).map_err(write_rejects)?;
    }

    let groups = model.encoding.term_groups();
    let mut scorer = Scorer::new(model);
    let mut inputs = Vec::with_capacity(needed.len());
    let mut contributions = Vec::new();
    let mut report = BatchReport::default();
    let mut number = ryu_free_formatter();
    while let Some(line) = records.next(&mut record).map_err(read_error)? {
        report.rows += 1;
        let (content, end) = content_and_terminator(&record);
        split_fields(content, &mut text, &mut fields);
        problems.clear();
        inputs.clear();
        let mut offset = 0.0;
        if fields.len() != header.len() {
            problems.push(DataError::field_count(
                source_name,
                line,
                header.len(),
                fields.len(),
            ));
        } else {
            for (k, column) in needed.iter().enumerate() {
                let (a, b) = fields[column.position];
                let raw = &text[a..b];
                let located = |problem: DataProblem, value: String| {
                    let place = (column.position, column.name.as_str());
                    DataError::in_field(source_name, problem, line, place, value, column.allowed())
                };
                let Ok(value) = std::str::from_utf8(raw) else {
                    problems.push(located(
                        DataProblem::InvalidUtf8,
                        String::from_utf8_lossy(raw).into_owned(),
                    ));
                    continue;
                };
                match column.read(value) {
                    Ok(TermInput::Number(v)) if has_offset && k == needed.len() - 1 => offset = v,
                    Ok(input) => inputs.push(input),
                    Err(problem) => problems.push(located(problem, value.to_string())),
                }
            }
        }

        if !problems.is_empty() {
            match (options.on_invalid, rejects.as_deref_mut()) {
                (OnInvalid::Skip, Some(rejects)) => {
                    report.rejected += 1;
                    line_out.clear();
                    line_out.extend_from_slice(line.to_string().as_bytes());
                    line_out.push(b',');
                    let reason = problems
                        .iter()
                        .map(|p| {
                            let mut p = p.clone();
                            p.source_name.clear();
                            p.line = None;
                            p.to_string().trim_start_matches(": ").to_string()
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    write_field(&mut line_out, &reason);
                    line_out.push(b',');
                    line_out.extend_from_slice(content);
                    line_out.extend_from_slice(if end.is_empty() { b"\n" } else { end });
                    rejects.write_all(&line_out).map_err(write_rejects)?;
                }
                _ => return Err(BatchError::Row(std::mem::take(&mut problems))),
            }
        } else {
            let logit = scorer.logit(&inputs) + offset;
            let probability = crate::distributions::logistic(logit);
            line_out.clear();
            line_out.extend_from_slice(content);
            line_out.push(b',');
            number(&mut line_out, probability);
            line_out.push(b',');
            number(&mut line_out, logit);
            if options.explain {
                scorer.contributions(&mut contributions);
                for (_, range) in &groups {
                    line_out.push(b',');
                    number(&mut line_out, contributions[range.clone()].iter().sum());
                }
            }
            line_out.extend_from_slice(end);
            output.write_all(&line_out).map_err(write_output)?;
            report.scored += 1;
        }
        if report.rows % 16_384 == 0 {
            progress(report.rows, records.bytes);
        }
    }
    progress(report.rows, records.bytes);
    Ok(report)
}

/// Writes numbers in Rust's shortest round-trip form (the same bytes on every platform).
fn ryu_free_formatter() -> impl FnMut(&mut Vec<u8>, f64) {
    let mut buffer = String::with_capacity(32);
    move |out: &mut Vec<u8>, value: f64| {
        use std::fmt::Write as _;
        buffer.clear();
        // Adding zero turns -0 (a negative weight times 0) into 0.
        let value = value + 0.0;
        let _ = write!(buffer, "{value}");
        out.extend_from_slice(buffer.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(content: &str) -> Vec<String> {
        let (mut text, mut fields) = (Vec::new(), Vec::new());
        split_fields(content.as_bytes(), &mut text, &mut fields);
        fields
            .iter()
            .map(|&(a, b)| String::from_utf8(text[a..b].to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn fields_are_split_as_rfc_4180_says() {
        assert_eq!(fields_of("a,b,c"), ["a", "b", "c"]);
        assert_eq!(
            fields_of("\"a,b\",\"say \"\"hi\"\"\",\"x\ny\""),
            ["a,b", "say \"hi\"", "x\ny"]
        );
        assert_eq!(fields_of(",,"), ["", "", ""]);
        assert_eq!(fields_of(""), [""]);
    }

    #[test]
    fn records_keep_their_bytes_and_lines() {
        let input = "h1,h2\r\n\"a\nb\",1\r\n\r\nc,2";
        let mut records = RawRecords {
            input: input.as_bytes(),
            lines: 0,
            bytes: 0,
            max_record_bytes: 1 << 20,
        };
        let mut record = Vec::new();
        let mut seen = Vec::new();
        while let Some(line) = records.next(&mut record).unwrap() {
            seen.push((line, String::from_utf8(record.clone()).unwrap()));
        }
        assert_eq!(
            seen,
            [
                (1, "h1,h2\r\n".to_string()),
                (2, "\"a\nb\",1\r\n".to_string()),
                (5, "c,2".to_string())
            ]
        );
        assert_eq!(records.bytes, input.len() as u64);
    }
}
