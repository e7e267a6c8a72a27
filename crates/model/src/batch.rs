//! Streaming batch scoring of a CSV: every input byte passes through untouched and the
//! probability, the logit and, with `explain`, the reference row's logit and each term's
//! contribution against it are appended, under names the caller chooses.
//!
//! Records are cut from the byte stream by a quote-aware scan, so the output repeats
//! each input record byte for byte (quoting, embedded newlines, CRLF, a byte-order mark)
//! and only the appended fields are new. One record is held in memory at a time.

use std::io::{self, BufRead, Write};

use thiserror::Error;

use crate::encoding::{EncodedTerm, TermInput};
use crate::error::{DataError, DataProblem};
use crate::explain::{explained_terms, reference_design, term_contribution};
use crate::model::{Model, Scorer};
use crate::spec::{Bounds, Transform};
use recontact_input::chunks::{
    for_each_in_order, record_too_long, split_header, Chunk, ChunkReader, Fields,
};
use recontact_input::values::{parse_bool, parse_finite};

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
    /// Name of the appended logit column; with `explain`, the reference row's logit is
    /// appended as `reference_` followed by this name.
    pub logit_column: String,
    /// Also append the reference row's logit and each term's contribution against it
    /// (see [`crate::explain`]).
    pub explain: bool,
    /// What each contribution column's name starts with, before the term's label.
    pub explain_prefix: String,
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
            logit_column: "logit".to_string(),
            explain: false,
            explain_prefix: "contribution_".to_string(),
            on_invalid: OnInvalid::Fail,
            max_record_bytes: recontact_input::lines::DEFAULT_MAX_RECORD_BYTES,
            max_columns: recontact_input::lines::DEFAULT_MAX_COLUMNS,
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
    /// Two appended columns would have the same name (found before any input is read).
    #[error("{}", clash_message(.name, .first, .second))]
    AppendedClash {
        /// The name both would have.
        name: String,
        /// What the first holds.
        first: Appended,
        /// What the second holds.
        second: Appended,
    },
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

fn clash_message(name: &str, first: &Appended, second: &Appended) -> String {
    let remedy = if let (Appended::Contribution(_), Appended::Contribution(_)) = (first, second) {
        "rename a column in the spec so that the term labels differ".to_string()
    } else if first.flag() == second.flag() {
        format!("rename them with {}", first.flag())
    } else {
        format!("rename one with {} or {}", first.flag(), second.flag())
    };
    format!(
        "the appended columns for {} and for {} would both be named `{name}`: {remedy}",
        first.describe(),
        second.describe()
    )
}

/// What an appended column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The probability, named by [`BatchOptions::column`].
    Probability,
    /// The logit, named by [`BatchOptions::logit_column`].
    Logit,
    /// The reference row's logit, `reference_` + [`BatchOptions::logit_column`].
    ReferenceLogit,
    /// The contribution of the term with this label, [`BatchOptions::explain_prefix`] +
    /// the label.
    Contribution(String),
}

impl Appended {
    /// What the column holds, in words.
    pub fn describe(&self) -> String {
        match self {
            Appended::Probability => "the probability".into(),
            Appended::Logit => "the logit".into(),
            Appended::ReferenceLogit => "the reference row's logit".into(),
            Appended::Contribution(term) => format!("the contribution of {term}"),
        }
    }

    /// The `recontact score` flag that names the column.
    pub fn flag(&self) -> &'static str {
        match self {
            Appended::Probability => "--column",
            Appended::Logit | Appended::ReferenceLogit => "--logit-column",
            Appended::Contribution(_) => "--explain-prefix",
        }
    }

    /// How to give the column another name, for messages.
    fn remedy(&self) -> String {
        match self {
            Appended::Probability => "another name for it with --column NAME".into(),
            Appended::Logit => "another name for it with --logit-column NAME".into(),
            Appended::ReferenceLogit => {
                "another name for it with --logit-column NAME (it is named reference_NAME)".into()
            }
            Appended::Contribution(_) => {
                "another prefix for the contributions with --explain-prefix PREFIX".into()
            }
        }
    }
}

/// One appended column: its name in the header and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedColumn {
    /// Its name in the header.
    pub name: String,
    /// What it holds.
    pub holds: Appended,
}

fn join(errors: &[DataError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// How one needed column is parsed.
enum Parse {
    Number {
        log1p: bool,
    },
    Boolean,
    Level {
        levels: Vec<String>,
        index: recontact_input::values::LevelIndex,
    },
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
            Parse::Level { levels, .. } => format!("one of {}", levels.join(", ")),
        }
    }

    /// The value of a field read as a plain decimal while splitting, if it passes every
    /// check; `None` sends the field to [`Needed::read`].
    fn accept_number(&self, value: Option<f64>) -> Option<TermInput> {
        let Parse::Number { log1p } = self.parse else {
            return None;
        };
        let v = value?;
        let inside = self.bounds.is_none_or(|b| b.check(v).is_ok());
        (inside && !(log1p && v <= -1.0)).then_some(TermInput::Number(v))
    }

    /// The value of a boolean or categorical field that is valid as it stands, read
    /// from its bytes; `None` sends the field to [`Needed::read`].
    fn accept_bytes(&self, raw: &[u8]) -> Option<TermInput> {
        match &self.parse {
            Parse::Level { index, .. } => index.find(raw).map(TermInput::Level),
            Parse::Boolean => recontact_input::values::parse_bool_bytes(raw)
                .map(|b| TermInput::Number(if b { 1.0 } else { 0.0 })),
            Parse::Number { .. } => None,
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
            Parse::Level { levels, .. } => levels
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

/// The appended columns, in order: the probability, the logit, and with `explain` the
/// reference row's logit and one contribution per explained term (spec order). Refused
/// when two would have the same name.
pub fn appended_columns(
    model: &Model,
    options: &BatchOptions,
) -> Result<Vec<AppendedColumn>, BatchError> {
    let column = |name: String, holds| AppendedColumn { name, holds };
    let mut columns = vec![
        column(options.column.clone(), Appended::Probability),
        column(options.logit_column.clone(), Appended::Logit),
    ];
    if options.explain {
        let reference = format!("reference_{}", options.logit_column);
        columns.push(column(reference, Appended::ReferenceLogit));
        columns.extend(
            explained_terms(&model.encoding)
                .into_iter()
                .map(|(label, _)| {
                    let name = format!("{}{label}", options.explain_prefix);
                    column(name, Appended::Contribution(label))
                }),
        );
    }
    for (k, later) in columns.iter().enumerate() {
        if let Some(earlier) = columns[..k].iter().find(|c| c.name == later.name) {
            return Err(BatchError::AppendedClash {
                name: later.name.clone(),
                first: earlier.holds.clone(),
                second: later.holds.clone(),
            });
        }
    }
    Ok(columns)
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
    let appended = appended_columns(model, options)?;
    let mut reader = ChunkReader::new(input, options.max_record_bytes);
    let first = reader.next_chunk(Vec::new()).map_err(read_error)?;
    let Some((header_record, rest)) = first.and_then(split_header) else {
        let mut error = DataError::new(source_name, DataProblem::NoHeader);
        error.line = Some(1);
        return Err(BatchError::Header(vec![error]));
    };
    if header_record.length() > options.max_record_bytes {
        let long = record_too_long(header_record.line, options.max_record_bytes);
        return Err(read_error(long));
    }
    let mut fields = Fields::default();
    let (header_content, header_end) = (&header_record.content[..], &header_record.terminator[..]);
    fields.split(header_content, true);
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
    let header: Vec<String> = (0..fields.len())
        .map(|k| String::from_utf8_lossy(fields.get(header_content, k)).into_owned())
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
                    index: recontact_input::values::LevelIndex::new(levels),
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
    for column in &appended {
        if let Some(position) = header.iter().position(|h| *h == column.name) {
            let problem = DataProblem::AppendedName {
                holds: column.holds.describe(),
            };
            let mut error = header_problem(problem, &column.name, Some(position + 1));
            error.allowed = Some(format!(
                "a header without `{}`, or {}",
                column.name,
                column.holds.remedy()
            ));
            problems.push(error);
        }
    }
    if !problems.is_empty() {
        let problems = crate::data::bounded_list(source_name, problems);
        return Err(BatchError::Header(problems));
    }

    let mut line_out = Vec::with_capacity(1024);
    if header_record.bom {
        line_out.extend_from_slice(recontact_input::lines::BOM);
    }
    line_out.extend_from_slice(header_content);
    for column in &appended {
        line_out.push(b',');
        write_field(&mut line_out, &column.name);
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
        line_out.extend_from_slice(header_content);
        line_out.extend_from_slice(terminator);
        rejects.write_all(&line_out).map_err(write_rejects)?;
    }

    let job = Job {
        source_name,
        model,
        options,
        needed: &needed,
        columns: header.len(),
        numeric: (0..header.len())
            .map(|position| {
                needed
                    .iter()
                    .any(|c| c.position == position && matches!(c.parse, Parse::Number { .. }))
            })
            .collect(),
        has_offset,
        explanation: options.explain.then(|| Explaining::new(model)),
        rejecting: rejects.is_some(),
    };
    let mut report = BatchReport::default();
    let mut since_progress = 0;
    for_each_in_order(
        &mut reader,
        Some(rest),
        |chunk| job.score(chunk),
        |scored: ScoredChunk| {
            output.write_all(&scored.output).map_err(write_output)?;
            if let Some(rejects) = rejects.as_deref_mut() {
                rejects.write_all(&scored.rejects).map_err(write_rejects)?;
            }
            report.rows += scored.rows;
            report.scored += scored.scored;
            report.rejected += scored.rejected;
            since_progress += scored.rows;
            if since_progress >= 16_384 {
                since_progress = 0;
                progress(report.rows, scored.end_offset);
            }
            scored.stop.map_or(Ok(()), Err)
        },
        read_error,
    )?;
    let bytes = reader.offset();
    progress(report.rows, bytes);
    Ok(report)
}

/// What every chunk of a batch run is scored with.
struct Job<'a> {
    source_name: &'a str,
    model: &'a Model,
    options: &'a BatchOptions,
    needed: &'a [Needed],
    columns: usize,
    /// Per header column: whether it is read as a number.
    numeric: Vec<bool>,
    has_offset: bool,
    /// With `explain`: what contributions are measured against.
    explanation: Option<Explaining>,
    rejecting: bool,
}

/// What `explain` needs for every row, computed once: the coefficients, the reference
/// row's design values and logit, and the explained terms' design columns.
struct Explaining {
    beta: Vec<f64>,
    reference: Vec<f64>,
    reference_logit: f64,
    terms: Vec<std::ops::Range<usize>>,
}

impl Explaining {
    fn new(model: &Model) -> Self {
        let (reference, reference_logit) = reference_design(model);
        Explaining {
            beta: model.coefficients(),
            reference,
            reference_logit,
            terms: explained_terms(&model.encoding)
                .into_iter()
                .map(|(_, range)| range)
                .collect(),
        }
    }

    /// The reference logit, then each term's contribution for the row whose design
    /// values are `x`.
    fn values(&self, x: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.push(self.reference_logit);
        out.extend(
            self.terms
                .iter()
                .map(|range| term_contribution(&self.beta, x, &self.reference, range.clone())),
        );
    }
}

/// A scored chunk: its output and rejects bytes, its counts, and the error that stops
/// the run after it, if any.
struct ScoredChunk {
    output: Vec<u8>,
    rejects: Vec<u8>,
    rows: u64,
    scored: u64,
    rejected: u64,
    end_offset: u64,
    stop: Option<BatchError>,
}

impl Job<'_> {
    fn score(&self, chunk: &Chunk) -> ScoredChunk {
        let source_name = self.source_name;
        let mut done = ScoredChunk {
            output: Vec::with_capacity(chunk.bytes.len() + chunk.bytes.len() / 4),
            rejects: Vec::new(),
            rows: 0,
            scored: 0,
            rejected: 0,
            end_offset: chunk.end_offset,
            stop: None,
        };
        let mut scorer = Scorer::new(self.model);
        let mut fields = Fields::default();
        let mut inputs = Vec::with_capacity(self.needed.len());
        let mut problems = Vec::new();
        let mut explained = Vec::new();
        for (line, record) in chunk.records() {
            if record.length() > self.options.max_record_bytes {
                done.stop = Some(BatchError::Read {
                    source_name: source_name.to_string(),
                    error: record_too_long(line, self.options.max_record_bytes),
                });
                return done;
            }
            done.rows += 1;
            let (content, end) = (record.content, record.terminator);
            problems.clear();
            inputs.clear();
            let mut offset = 0.0;
            let place = (source_name, line);
            let numeric = &self.numeric;
            if record.unclosed {
                // The csv crate would take the rest of the input as the field; appended
                // scores would then land inside the open quote. Refused instead.
                let mut error = DataError::new(source_name, DataProblem::UnclosedQuote);
                error.line = Some(line);
                problems.push(error);
            } else if let Some(error) =
                fields.split_expecting(content, chunk.quoted, numeric, self.columns, place)
            {
                problems.push(error);
            } else {
                for (k, column) in self.needed.iter().enumerate() {
                    let raw = fields.get(content, column.position);
                    let quick = match column.parse {
                        Parse::Number { .. } => {
                            column.accept_number(fields.number(column.position))
                        }
                        _ => column.accept_bytes(raw),
                    };
                    if let Some(input) = quick {
                        match input {
                            TermInput::Number(v)
                                if self.has_offset && k == self.needed.len() - 1 =>
                            {
                                offset = v
                            }
                            input => inputs.push(input),
                        }
                        continue;
                    }
                    let located = |problem: DataProblem, value: String| {
                        let place = (column.position, column.name.as_str());
                        DataError::in_field(
                            source_name,
                            problem,
                            line,
                            place,
                            value,
                            column.allowed(),
                        )
                    };
                    let Ok(value) = std::str::from_utf8(raw) else {
                        problems.push(located(
                            DataProblem::InvalidUtf8,
                            String::from_utf8_lossy(raw).into_owned(),
                        ));
                        continue;
                    };
                    match column.read(value) {
                        Ok(TermInput::Number(v))
                            if self.has_offset && k == self.needed.len() - 1 =>
                        {
                            offset = v
                        }
                        Ok(input) => inputs.push(input),
                        Err(problem) => problems.push(located(problem, value.to_string())),
                    }
                }
            }

            if !problems.is_empty() {
                if self.refuse(&mut done, line, &mut problems, content, end) {
                    continue;
                }
                return done;
            }
            let direct = self
                .explanation
                .is_none()
                .then(|| scorer.direct_logit(&inputs))
                .flatten();
            let logit = match direct {
                Some(logit) => logit,
                None => scorer.logit(&inputs),
            } + offset;
            explained.clear();
            if let Some(explanation) = &self.explanation {
                explanation.values(scorer.design_row(), &mut explained);
            }
            // Finite values can still overflow (1e308 times a coefficient of 10): such a
            // row is invalid, never written with an infinite or NaN number.
            let overflow = std::iter::once(logit)
                .chain(explained.iter().copied())
                .find(|v| !v.is_finite());
            if let Some(value) = overflow {
                let mut error = DataError::new(source_name, DataProblem::NonFiniteLogit);
                error.line = Some(line);
                error.value = Some(value.to_string());
                error.allowed = Some(
                    "values for which every term's contribution and the logit are finite".into(),
                );
                problems.push(error);
                if self.refuse(&mut done, line, &mut problems, content, end) {
                    continue;
                }
                return done;
            }
            let probability = recontact_stats::distributions::logistic(logit);
            let out = &mut done.output;
            out.extend_from_slice(content);
            out.push(b',');
            write_number(out, probability);
            out.push(b',');
            write_number(out, logit);
            for value in &explained {
                out.push(b',');
                write_number(out, *value);
            }
            out.extend_from_slice(end);
            done.scored += 1;
        }
        done
    }

    /// Deals with an invalid row: under [`OnInvalid::Skip`] writes it to the rejects with
    /// its line and reasons and returns true (go on); otherwise makes its problems the
    /// error that stops the run and returns false.
    fn refuse(
        &self,
        done: &mut ScoredChunk,
        line: u64,
        problems: &mut Vec<DataError>,
        content: &[u8],
        end: &[u8],
    ) -> bool {
        if self.options.on_invalid == OnInvalid::Skip && self.rejecting {
            done.rejected += 1;
            let out = &mut done.rejects;
            out.extend_from_slice(line.to_string().as_bytes());
            out.push(b',');
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
            write_field(out, &reason);
            out.push(b',');
            out.extend_from_slice(content);
            out.extend_from_slice(if end.is_empty() { b"\n" } else { end });
            return true;
        }
        done.stop = Some(BatchError::Row(std::mem::take(problems)));
        false
    }
}

/// Writes a number as Rust's `Display` does (shortest round-trip digits, never an
/// exponent), so the bytes are the same on every platform and as before.
///
/// The digits come from Ryū, which finds the same shortest, closest digits as the
/// standard library and faster; only their layout is rewritten.
fn write_number(out: &mut Vec<u8>, value: f64) {
    // Adding zero turns -0 (a negative weight times 0) into 0.
    let value = value + 0.0;
    if !value.is_finite() || has_short_expansion(value) {
        use std::io::Write as _;
        let _ = write!(out, "{value}");
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value).as_bytes();
    // Ryū's exponent, when it writes one, is in the last five bytes (`e-324`); a plain
    // loop over them, since `contains` calls out to a vectorised search (1 % of scoring).
    if !text.iter().rev().take(5).any(|&b| b == b'e') {
        // Already positional; Display writes whole numbers without the ".0".
        out.extend_from_slice(text.strip_suffix(b".0").unwrap_or(text));
        return;
    }
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let point = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 32];
    let mut count = 0;
    for &b in mantissa.iter().filter(|&&b| b != b'.') {
        digits[count] = b;
        count += 1;
    }
    // The value is 0.DIGITS × 10^power.
    let mut power = point as i64 + exponent;
    let leading = digits[..count].iter().take_while(|&&b| b == b'0').count();
    let trailing = digits[leading..count]
        .iter()
        .rev()
        .take_while(|&&b| b == b'0')
        .count();
    let digits = &digits[leading..count - trailing];
    power -= leading as i64;
    if digits.is_empty() {
        out.push(b'0');
        return;
    }
    if negative {
        out.push(b'-');
    }
    let length = digits.len() as i64;
    if power <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-power) as usize));
        out.extend_from_slice(digits);
    } else if power >= length {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', (power - length) as usize));
    } else {
        let (whole, fraction) = digits.split_at(power as usize);
        out.extend_from_slice(whole);
        out.push(b'.');
        out.extend_from_slice(fraction);
    }
}

/// Whether `value`'s exact decimal expansion has at most 18 significant digits.
///
/// Only such a value can lie exactly halfway between two shortest candidates, and on that
/// tie Ryū and the standard library choose differently (`18956802472469.5625`: Ryū writes
/// `…469.562`, `Display` `…469.563`). These values are rare in data (a probability from
/// the logistic has a full mantissa and a long expansion), so they take the standard
/// library's own road and every other value Ryū's.
fn has_short_expansion(value: f64) -> bool {
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut power) = match exponent {
        0 => (fraction, -1074),
        _ => (fraction | (1 << 52), exponent - 1075),
    };
    if mantissa == 0 {
        return true;
    }
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    power += zeros as i32;
    // value = mantissa × 2^power exactly; its decimal digits are those of the integer
    // mantissa × 5^-power (power < 0) or mantissa × 2^power (power ≥ 0), zeros aside.
    // Below zero the value is mantissa × 5^k / 10^k (k = -power); an odd mantissa times a
    // power of five has no trailing zeros, and 5^26 alone exceeds 10^18. So a probability
    // or a logit (k near 52) is decided here, before any multiplication.
    if power < -25 {
        return false;
    }
    let exact = if power < 0 {
        5u128
            .checked_pow(power.unsigned_abs())
            .and_then(|p| p.checked_mul(u128::from(mantissa)))
    } else {
        1u128
            .checked_shl(power as u32)
            .and_then(|p| p.checked_mul(u128::from(mantissa)))
    };
    let Some(mut exact) = exact else {
        // More than 38 digits: far from any tie between 17-digit candidates.
        return false;
    };
    while exact % 10 == 0 {
        exact /= 10;
    }
    exact < 10u128.pow(18)
}

/// The exponent Ryū writes after `e`.
fn parse_exponent(text: &[u8]) -> i64 {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        _ => (1, text),
    };
    sign * digits
        .iter()
        .fold(0i64, |e, &d| e * 10 + i64::from(d.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: f64) -> String {
        let mut out = Vec::new();
        write_number(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    fn default_model() -> Model {
        let text = include_str!("../../../data/default_model.json");
        Model::from_json("default_model.json", text).expect("the default model loads")
    }

    #[test]
    fn explain_columns_are_the_bits_of_explain_against_the_reference() {
        let model = default_model();
        let csv = "contact_type,stage_reached,decline_reason,days_since_decline,position_status,\
same_contact,misrepresentation,transparent,open_to_reinterview,years_experience\n\
corporate_recruiter,interviewed,other,35,unknown,true,false,true,false,1.8\n";
        let options = BatchOptions {
            explain: true,
            ..BatchOptions::default()
        };
        let mut out = Vec::new();
        let report = score_csv(
            "t",
            csv.as_bytes(),
            &mut out,
            None::<&mut Vec<u8>>,
            &model,
            &options,
            &mut |_, _| {},
        )
        .expect("scored");
        assert_eq!(report.scored, 1);
        let out = String::from_utf8(out).unwrap();
        let row: Vec<f64> = out
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .skip(10)
            .map(|v| v.parse().unwrap())
            .collect();
        let level = |column: &str, value: &str| {
            let levels = model
                .encoding
                .main_terms()
                .find_map(|term| match term {
                    EncodedTerm::Categorical {
                        column: c, levels, ..
                    } if c == column => Some(levels),
                    _ => None,
                })
                .expect("a categorical term");
            TermInput::Level(levels.iter().position(|l| l == value).unwrap())
        };
        let inputs = [
            level("contact_type", "corporate_recruiter"),
            level("stage_reached", "interviewed"),
            level("decline_reason", "other"),
            TermInput::Number(35.0),
            level("position_status", "unknown"),
            TermInput::Number(1.0),
            TermInput::Number(0.0),
            TermInput::Number(1.0),
            TermInput::Number(0.0),
            TermInput::Number(1.8),
        ];
        let explanation = crate::explain::explain(&model, &inputs);
        assert_eq!(row[1].to_bits(), explanation.logit.to_bits());
        assert_eq!(row[2].to_bits(), explanation.reference_logit.to_bits());
        assert_eq!(row.len() - 3, explanation.contributions.len());
        for (got, c) in row[3..].iter().zip(&explanation.contributions) {
            // The output writes -0 (a negative weight times 0) as 0.
            assert_eq!(got.to_bits(), (c.logit + 0.0).to_bits(), "{}", c.term);
        }
    }

    #[test]
    fn two_appended_columns_of_one_name_are_refused_naming_both_flags() {
        let options = BatchOptions {
            column: "reference_lp".into(),
            logit_column: "lp".into(),
            explain: true,
            ..BatchOptions::default()
        };
        let error = appended_columns(&default_model(), &options).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("rename one with --column or --logit-column"),
            "{message}"
        );
        let fine = BatchOptions {
            explain: false,
            ..options
        };
        assert_eq!(appended_columns(&default_model(), &fine).unwrap().len(), 2);
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for value in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e-7,
            1.5e-300,
            5e-324,
            1e16,
            1e21,
            123456.789,
            f64::MAX,
            f64::MIN_POSITIVE,
            0.3,
            2.0 / 3.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            // A tie between two shortest candidates, where Ryū and Display differ.
            f64::from_bits(4805690144209900944),
            2.5,
            1e23,
        ] {
            assert_eq!(written(value), format!("{}", value + 0.0), "{value:e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_double_is_written_as_display_writes_it(bits in proptest::num::u64::ANY) {
            let value = f64::from_bits(bits);
            proptest::prop_assume!(!value.is_nan());
            proptest::prop_assert_eq!(written(value), format!("{}", value + 0.0));
        }

        /// Doubles with few significant bits, where halfway ties between shortest
        /// candidates happen.
        #[test]
        fn short_binary_values_are_written_as_display_writes_them(
            mantissa in 0u64..(1 << 53),
            power in -12i32..80,
        ) {
            let value = mantissa as f64 * 2f64.powi(power);
            proptest::prop_assert_eq!(written(value), format!("{value}"));
        }

        #[test]
        fn probabilities_are_written_as_display_writes_them(p in 0.0f64..1.0) {
            proptest::prop_assert_eq!(written(p), format!("{p}"));
        }
    }
}
