//! Reading the columns a spec needs from a CSV source into memory, for fitting.

use std::collections::{BTreeMap, HashMap};
use std::io;

use sha2::{Digest, Sha256};

use crate::error::{DataError, DataProblem, FitError};
use crate::lines::LineTracker;
use crate::spec::{Bounds, Spec, TermConfig, Transform};
use crate::values::{parse_bool, parse_finite, parse_outcome};

/// What to do with a row that has a missing or invalid value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvalidRows {
    /// Stop with an error naming line and column (the default).
    #[default]
    Fail,
    /// Leave the row out and count it, by reason.
    Drop,
}

/// The values of one term column, as the spec reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers (numeric, spline and boolean terms; booleans as 1/0).
    Numeric(Vec<f64>),
    /// Category levels as codes into `levels` (in order of first appearance).
    Levels {
        /// One code per row.
        codes: Vec<u32>,
        /// The distinct levels, as written in the CSV.
        levels: Vec<String>,
    },
}

/// Rows left out under [`InvalidRows::Drop`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DroppedRows {
    /// How many rows were left out.
    pub rows: u64,
    /// How many problems of each kind, by `column: problem`.
    pub reasons: BTreeMap<String, u64>,
}

/// The columns a spec needs, read from one source.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The source's name.
    pub source_name: String,
    /// Data rows in the source (kept and dropped).
    pub rows_read: u64,
    /// The outcome, 0 or 1, one per kept row.
    pub outcome: Vec<f64>,
    /// Frequency weights, when the spec names a weights column.
    pub weights: Option<Vec<f64>>,
    /// The offset, when the spec names an offset column.
    pub offset: Option<Vec<f64>>,
    /// Term columns by name.
    pub columns: HashMap<String, ColumnValues>,
    /// Rows left out, with reasons.
    pub dropped: DroppedRows,
    /// SHA-256 of the source's bytes, in hex.
    pub sha256: String,
}

impl Dataset {
    /// Number of kept rows.
    pub fn len(&self) -> usize {
        self.outcome.len()
    }

    /// True when no row was kept.
    pub fn is_empty(&self) -> bool {
        self.outcome.is_empty()
    }
}

/// How a needed column's fields are parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reading {
    Outcome,
    Number(Transform),
    Boolean,
    Level,
    Weight,
    Offset,
}

impl Reading {
    fn allowed(self) -> &'static str {
        match self {
            Reading::Outcome => "1/0, true/false or yes/no",
            Reading::Number(Transform::None) | Reading::Offset => "a finite number",
            Reading::Number(Transform::Log1p) => "a finite number greater than -1 (for log1p)",
            Reading::Boolean => "true/false, 1/0 or yes/no",
            Reading::Level => "any non-empty text",
            Reading::Weight => "a finite number, 0 or more",
        }
    }
}

struct Needed {
    name: String,
    position: usize,
    reading: Reading,
    bounds: Option<Bounds>,
    /// For a categorical column of an already fitted model: the levels it knows.
    known_levels: Option<Vec<String>>,
    allowed: String,
}

struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: io::Read> io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Errors listed before a failing read stops.
const MAX_LISTED: usize = 20;

/// Reads every column `spec` needs from `reader`, one row at a time.
///
/// Columns the spec does not name are ignored, whatever their header. A needed column
/// missing from the header, or present twice, is an error before any row is read.
pub fn read_dataset<R: io::Read>(
    source_name: &str,
    reader: R,
    spec: &Spec,
    invalid: InvalidRows,
) -> Result<Dataset, FitError> {
    read_dataset_for(source_name, reader, spec, invalid, None)
}

/// Like [`read_dataset`], for data that a fitted model will be applied to: a category
/// level the model's `encoding` does not know is an invalid value of its row (with its
/// line), not a surprise later.
pub fn read_dataset_for<R: io::Read>(
    source_name: &str,
    reader: R,
    spec: &Spec,
    invalid: InvalidRows,
    encoding: Option<&crate::encoding::Encoding>,
) -> Result<Dataset, FitError> {
    let hashing = Hashing {
        inner: reader,
        hasher: Sha256::new(),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(LineTracker::new(hashing));
    let header = csv
        .byte_headers()
        .map_err(|e| FitError::Data(vec![io_error(source_name, e)]))?
        .clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        let mut error = DataError::new(source_name, DataProblem::NoHeader);
        error.line = Some(1);
        return Err(FitError::Data(vec![error]));
    }
    if header.len() > crate::lines::DEFAULT_MAX_COLUMNS {
        let problem = DataProblem::TooManyColumns {
            limit: crate::lines::DEFAULT_MAX_COLUMNS,
            found: header.len(),
        };
        let mut error = DataError::new(source_name, problem);
        error.line = Some(1);
        return Err(FitError::Data(vec![error]));
    }

    let config = spec.config();
    let mut wanted: Vec<(&str, Reading)> = vec![(config.outcome.as_str(), Reading::Outcome)];
    for term in &config.terms {
        let reading = match term {
            TermConfig::Numeric { transform, .. } => Reading::Number(*transform),
            TermConfig::Spline { .. } | TermConfig::Rcs { .. } => Reading::Number(Transform::None),
            TermConfig::Boolean { .. } => Reading::Boolean,
            TermConfig::Categorical { .. } => Reading::Level,
            TermConfig::Interaction { .. } => continue,
        };
        if let Some(column) = term.column() {
            wanted.push((column, reading));
        }
    }
    if let Some(w) = &config.weights {
        wanted.push((w, Reading::Weight));
    }
    if let Some(o) = &config.offset {
        wanted.push((o, Reading::Offset));
    }

    let mut header_errors = Vec::new();
    let mut needed = Vec::new();
    for (name, reading) in wanted {
        let positions: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == name.as_bytes())
            .map(|(i, _)| i)
            .collect();
        match positions.as_slice() {
            [position] => {
                let bounds = spec.bounds(name);
                let known_levels = encoding.and_then(|e| {
                    e.main_terms().find_map(|t| match t {
                        crate::encoding::EncodedTerm::Categorical { column, levels, .. }
                            if column == name && reading == Reading::Level =>
                        {
                            Some(levels.clone())
                        }
                        _ => None,
                    })
                });
                let allowed = match (&known_levels, bounds) {
                    (Some(levels), _) => format!("one of {}", levels.join(", ")),
                    (None, Some(b)) if reading == Reading::Number(Transform::Log1p) => {
                        format!("{}, greater than -1 (for log1p)", b.describe())
                    }
                    (None, Some(b)) => b.describe(),
                    (None, None) => reading.allowed().to_string(),
                };
                needed.push(Needed {
                    name: name.to_string(),
                    position: *position,
                    reading,
                    bounds,
                    known_levels,
                    allowed,
                })
            }
            [] => {
                let mut error = DataError::new(source_name, DataProblem::MissingColumn);
                error.line = Some(1);
                error.column = Some(name.to_string());
                header_errors.push(error);
            }
            [first, again, ..] => {
                let mut error = DataError::new(
                    source_name,
                    DataProblem::DuplicateColumn { first: first + 1 },
                );
                error.line = Some(1);
                error.column = Some(name.to_string());
                error.column_position = Some(again + 1);
                header_errors.push(error);
            }
        }
    }
    if !header_errors.is_empty() {
        return Err(FitError::Data(header_errors));
    }

    let mut outcome = Vec::new();
    let mut weights = config.weights.as_ref().map(|_| Vec::new());
    let mut offset = config.offset.as_ref().map(|_| Vec::new());
    let mut numbers: Vec<Vec<f64>> = vec![Vec::new(); needed.len()];
    let mut codes: Vec<Vec<u32>> = vec![Vec::new(); needed.len()];
    let mut dictionaries: Vec<HashMap<String, u32>> = vec![HashMap::new(); needed.len()];
    let mut level_lists: Vec<Vec<String>> = vec![Vec::new(); needed.len()];
    let mut dropped = DroppedRows::default();
    let mut failures: Vec<DataError> = Vec::new();
    let mut rows_read = 0u64;

    let mut record = csv::ByteRecord::new();
    let mut row_numbers = vec![0.0; needed.len()];
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(FitError::Data(vec![io_error(source_name, e)])),
        }
        rows_read += 1;
        let byte = record.position().map_or(0, |p| p.byte());
        let line = csv.get_mut().record_line(byte);
        let mut problems = Vec::new();
        if record.len() != header.len() {
            problems.push(DataError::field_count(
                source_name,
                line,
                header.len(),
                record.len(),
            ));
        } else {
            for (k, column) in needed.iter().enumerate() {
                let bytes = &record[column.position];
                let located = |problem: DataProblem, value: String| {
                    let place = (column.position, column.name.as_str());
                    let allowed = column.allowed.clone();
                    DataError::in_field(source_name, problem, line, place, value, allowed)
                };
                let Ok(text) = std::str::from_utf8(bytes) else {
                    problems.push(located(
                        DataProblem::InvalidUtf8,
                        String::from_utf8_lossy(bytes).into_owned(),
                    ));
                    continue;
                };
                if text.is_empty() {
                    problems.push(located(DataProblem::Empty, String::new()));
                    continue;
                }
                let parsed = match column.reading {
                    Reading::Outcome => parse_outcome(text).ok_or(DataProblem::NotAnOutcome),
                    Reading::Number(transform) => match parse_finite(text) {
                        Some(v) if transform == Transform::Log1p && v <= -1.0 => {
                            Err(DataProblem::OutsideTransform)
                        }
                        Some(v) => column.bounds.map_or(Ok(()), |b| b.check(v)).map(|()| v),
                        None => Err(DataProblem::NotANumber),
                    },
                    Reading::Boolean => parse_bool(text)
                        .map(|b| if b { 1.0 } else { 0.0 })
                        .ok_or(DataProblem::NotABoolean),
                    Reading::Weight => match parse_finite(text) {
                        Some(v) if v < 0.0 => Err(DataProblem::NegativeWeight),
                        Some(v) => Ok(v),
                        None => Err(DataProblem::NotANumber),
                    },
                    Reading::Offset => match parse_finite(text) {
                        Some(v) => column.bounds.map_or(Ok(()), |b| b.check(v)).map(|()| v),
                        None => Err(DataProblem::NotANumber),
                    },
                    Reading::Level => match &column.known_levels {
                        Some(levels) if !levels.iter().any(|l| l == text) => {
                            Err(DataProblem::UnknownLevel)
                        }
                        _ => Ok(0.0),
                    },
                };
                match parsed {
                    Ok(v) => row_numbers[k] = v,
                    Err(problem) => problems.push(located(problem, text.to_string())),
                }
            }
        }

        if problems.is_empty() {
            for (k, column) in needed.iter().enumerate() {
                match column.reading {
                    Reading::Outcome => outcome.push(row_numbers[k]),
                    Reading::Weight => weights
                        .as_mut()
                        .into_iter()
                        .for_each(|w| w.push(row_numbers[k])),
                    Reading::Offset => offset
                        .as_mut()
                        .into_iter()
                        .for_each(|o| o.push(row_numbers[k])),
                    Reading::Level => {
                        // Validated above: UTF-8 and not empty.
                        let text =
                            std::str::from_utf8(&record[column.position]).unwrap_or_default();
                        let dictionary = &mut dictionaries[k];
                        let code = match dictionary.get(text) {
                            Some(&code) => code,
                            None => {
                                let code = level_lists[k].len() as u32;
                                dictionary.insert(text.to_string(), code);
                                level_lists[k].push(text.to_string());
                                code
                            }
                        };
                        codes[k].push(code);
                    }
                    Reading::Number(_) | Reading::Boolean => numbers[k].push(row_numbers[k]),
                }
            }
            continue;
        }
        match invalid {
            InvalidRows::Drop => {
                dropped.rows += 1;
                for problem in &problems {
                    let key = match &problem.column {
                        Some(column) => format!("{column}: {}", problem.problem.describe()),
                        None => problem.problem.describe(),
                    };
                    *dropped.reasons.entry(key).or_default() += 1;
                }
            }
            InvalidRows::Fail => {
                failures.extend(problems);
                if failures.len() >= MAX_LISTED {
                    failures.truncate(MAX_LISTED);
                    break;
                }
            }
        }
    }
    if !failures.is_empty() {
        return Err(FitError::Data(failures));
    }

    let Hashing { hasher, .. } = csv.into_inner().into_inner();
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let mut columns = HashMap::new();
    for (k, column) in needed.into_iter().enumerate() {
        let values = match column.reading {
            Reading::Number(_) | Reading::Boolean => {
                ColumnValues::Numeric(std::mem::take(&mut numbers[k]))
            }
            Reading::Level => ColumnValues::Levels {
                codes: std::mem::take(&mut codes[k]),
                levels: std::mem::take(&mut level_lists[k]),
            },
            _ => continue,
        };
        columns.insert(column.name, values);
    }
    Ok(Dataset {
        source_name: source_name.to_string(),
        rows_read,
        outcome,
        weights,
        offset,
        columns,
        dropped,
        sha256,
    })
}

fn io_error(source_name: &str, error: csv::Error) -> DataError {
    DataError::from_csv(source_name, &error)
}
