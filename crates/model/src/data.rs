//! Reading the columns a spec needs from a CSV source into memory, for fitting.

use std::collections::{BTreeMap, HashMap};
use std::io;

use sha2::{Digest, Sha256};

use crate::error::{DataError, DataProblem, FitError};
use crate::spec::{Bounds, Spec, TermConfig, Transform};
use recontact_input::chunks::{Chunk, Fields};
use recontact_input::columns::{
    Columns, CsvSource, FieldKind, Limits, RecordProblem, SourceError, Wanted,
};
use recontact_input::values::{parse_bool, parse_finite, parse_outcome, LevelIndex};

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
    /// The first problems (at most [`MAX_LISTED`]), each with its line and column.
    pub first_problems: Vec<DataError>,
}

/// Problems listed before a failing read stops, and problems kept as examples of
/// dropped rows.
pub use recontact_input::columns::MAX_LISTED;

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
    /// For each categorical column, the line on which each of its levels first appears
    /// (in the order of `levels`); empty when not tracked.
    pub level_first_lines: HashMap<String, Vec<u64>>,
}

/// A category level seen in only a few rows: a typing mistake, or a level too rare to
/// estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RareLevel {
    /// The column.
    pub column: String,
    /// The level as written.
    pub level: String,
    /// Rows (kept) with this level.
    pub rows: u64,
    /// The line of its first appearance, when known.
    pub first_line: Option<u64>,
}

impl Dataset {
    /// The levels of categorical columns seen in fewer than `fewer_than` kept rows, by
    /// column and then by order of first appearance.
    ///
    /// ```
    /// use recontact_model::{read_dataset, InvalidRows, SpecConfig};
    ///
    /// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"c\"\n")?
    ///     .check()?;
    /// let csv = "y,c\n1,a\n0,a\n1,b\n0,a\n";
    /// let data = read_dataset("d.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
    /// let rare = data.rare_levels(2);
    /// assert_eq!((rare[0].level.as_str(), rare[0].rows, rare[0].first_line), ("b", 1, Some(4)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rare_levels(&self, fewer_than: u64) -> Vec<RareLevel> {
        let mut names: Vec<&String> = self.columns.keys().collect();
        names.sort();
        let mut rare = Vec::new();
        for name in names {
            let Some(ColumnValues::Levels { codes, levels }) = self.columns.get(name) else {
                continue;
            };
            let mut counts = vec![0u64; levels.len()];
            for &code in codes {
                counts[code as usize] += 1;
            }
            let lines = self.level_first_lines.get(name);
            for (k, (level, &rows)) in levels.iter().zip(&counts).enumerate() {
                if rows < fewer_than {
                    rare.push(RareLevel {
                        column: name.clone(),
                        level: level.clone(),
                        rows,
                        first_line: lines.and_then(|l| l.get(k).copied()),
                    });
                }
            }
        }
        rare
    }

    /// Number of kept rows.
    pub fn len(&self) -> usize {
        self.outcome.len()
    }

    /// True when no row was kept.
    pub fn is_empty(&self) -> bool {
        self.outcome.is_empty()
    }
}

/// The category levels a reader knows for some columns (those a fitted model was fitted
/// on): a level outside them is an invalid value of its row, found with its line.
///
/// [`crate::Encoding`] knows the levels of its categorical terms; a map of column →
/// levels knows those it holds.
///
/// ```
/// use std::collections::HashMap;
/// use recontact_model::data::KnownLevels;
///
/// let known = HashMap::from([("c".to_string(), vec!["a".to_string(), "b".to_string()])]);
/// assert_eq!(known.known_levels("c"), Some(&["a".to_string(), "b".to_string()][..]));
/// assert_eq!(known.known_levels("d"), None);
/// ```
pub trait KnownLevels {
    /// The levels known for `column`, or `None` when none are (any level is allowed).
    fn known_levels(&self, column: &str) -> Option<&[String]>;
}

impl KnownLevels for HashMap<String, Vec<String>> {
    fn known_levels(&self, column: &str) -> Option<&[String]> {
        self.get(column).map(Vec::as_slice)
    }
}

impl KnownLevels for BTreeMap<String, Vec<String>> {
    fn known_levels(&self, column: &str) -> Option<&[String]> {
        self.get(column).map(Vec::as_slice)
    }
}

/// How a needed column's fields are read (by fitting, checking and scoring alike).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reading {
    Outcome,
    Number(Transform),
    Boolean,
    Level,
    Weight,
    Offset,
    /// A predicted probability, strictly between 0 and 1.
    Probability,
    /// A prediction's logit (log-odds), any finite number.
    Logit,
}

impl Reading {
    pub(crate) fn allowed(self) -> &'static str {
        match self {
            Reading::Outcome => "1/0, true/false or yes/no",
            Reading::Number(Transform::None) | Reading::Offset => "a finite number",
            Reading::Number(Transform::Log1p) => "a finite number greater than -1 (for log1p)",
            Reading::Boolean => "true/false, 1/0 or yes/no",
            Reading::Level => "any non-empty text",
            Reading::Weight => "a finite number, 0 or more",
            Reading::Probability => {
                "a number strictly between 0 and 1 (0 and 1 themselves are refused: their logit \
                 and the log loss would be infinite)"
            }
            Reading::Logit => "a finite number (the log-odds of the prediction)",
        }
    }

    /// How the column reader splits the column's fields.
    pub(crate) fn kind(self) -> FieldKind {
        match self {
            Reading::Boolean | Reading::Level => FieldKind::Text,
            _ => FieldKind::Number,
        }
    }
}

/// The levels a categorical column allows, with an index to find them by their bytes.
pub(crate) struct LevelSet {
    pub(crate) levels: Vec<String>,
    pub(crate) index: LevelIndex,
}

impl LevelSet {
    pub(crate) fn new(levels: Vec<String>) -> Self {
        LevelSet {
            index: LevelIndex::new(&levels),
            levels,
        }
    }
}

/// A column a reader of this crate needs, and how it reads the column's fields; the
/// column reader of `recontact-input` finds it in the header and splits the records.
pub(crate) struct Needed {
    pub(crate) name: String,
    pub(crate) reading: Reading,
    pub(crate) bounds: Option<Bounds>,
    /// For a categorical column: the levels it allows, when only some are allowed.
    pub(crate) known: Option<LevelSet>,
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

/// Reads every column `spec` needs from `reader`.
///
/// Columns the spec does not name are ignored, whatever their header. A needed column
/// missing from the header, or present twice, is an error before any row is read.
///
/// ```
/// use recontact_model::{read_dataset, FitError, InvalidRows, SpecConfig};
///
/// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?
///     .check()?;
/// let csv = "id,y,x\na,1,2.5\nb,0,oops\nc,1,4\n";
/// let data = read_dataset("d.csv", csv.as_bytes(), &spec, InvalidRows::Drop)?;
/// assert_eq!((data.rows_read, data.len(), data.dropped.rows), (3, 2, 1));
///
/// let Err(FitError::Data(errors)) = read_dataset("d.csv", csv.as_bytes(), &spec, InvalidRows::Fail)
/// else { panic!("an invalid value stops the read") };
/// assert_eq!((errors[0].line, errors[0].column.as_deref()), (Some(3), Some("x")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dataset<R: io::Read>(
    source_name: &str,
    reader: R,
    spec: &Spec,
    invalid: InvalidRows,
) -> Result<Dataset, FitError> {
    read_dataset_for(source_name, reader, spec, invalid, None)
}

/// Like [`read_dataset`], for data that a fitted model will be applied to: a category
/// level outside the `known` levels (a fitted model's [`crate::Encoding`] knows those it
/// was fitted on) is an invalid value of its row (with its line), not a surprise later.
///
/// ```
/// use recontact_model::{read_dataset, read_dataset_for, FitError, InvalidRows, SpecConfig};
///
/// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"c\"\n")?
///     .check()?;
/// let old = read_dataset("old.csv", "y,c\n1,a\n0,b\n".as_bytes(), &spec, InvalidRows::Fail)?;
/// let encoding = recontact_model::Encoding::learn(&spec, &old)?;
/// let new = "y,c\n1,a\n0,z\n";
/// let error = read_dataset_for("new.csv", new.as_bytes(), &spec, InvalidRows::Fail, Some(&encoding));
/// let Err(FitError::Data(errors)) = error else { panic!("z is unknown") };
/// assert_eq!(errors[0].to_string(), "new.csv:3: column 2 (c): unknown level \"z\"; allowed: one of a, b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_dataset_for<R: io::Read>(
    source_name: &str,
    reader: R,
    spec: &Spec,
    invalid: InvalidRows,
    known: Option<&dyn KnownLevels>,
) -> Result<Dataset, FitError> {
    let mut whole = Dataset {
        source_name: source_name.to_string(),
        rows_read: 0,
        outcome: Vec::new(),
        weights: spec.config().weights.as_ref().map(|_| Vec::new()),
        offset: spec.config().offset.as_ref().map(|_| Vec::new()),
        columns: HashMap::new(),
        dropped: DroppedRows::default(),
        sha256: String::new(),
        level_first_lines: HashMap::new(),
    };
    let mut dictionaries: HashMap<String, HashMap<String, u32>> = HashMap::new();
    let mut remap = Vec::new();
    let max_levels = spec.max_levels();
    let summary = read_chunks(
        source_name,
        reader,
        spec,
        invalid,
        known,
        |chunk| chunk,
        |mut chunk: Dataset| {
            let mut chunk_lines = std::mem::take(&mut chunk.level_first_lines);
            whole.outcome.append(&mut chunk.outcome);
            for (all, part) in [
                (&mut whole.weights, &mut chunk.weights),
                (&mut whole.offset, &mut chunk.offset),
            ] {
                if let (Some(all), Some(part)) = (all.as_mut(), part.as_mut()) {
                    all.append(part);
                }
            }
            for (name, values) in chunk.columns {
                let entry = whole.columns.entry(name.clone());
                match (values, entry) {
                    (ColumnValues::Numeric(mut part), entry) => {
                        let all = entry.or_insert_with(|| ColumnValues::Numeric(Vec::new()));
                        if let ColumnValues::Numeric(all) = all {
                            all.append(&mut part);
                        }
                    }
                    (ColumnValues::Levels { codes, levels }, entry) => {
                        let all = entry.or_insert_with(|| ColumnValues::Levels {
                            codes: Vec::new(),
                            levels: Vec::new(),
                        });
                        let ColumnValues::Levels {
                            codes: all_codes,
                            levels: all_levels,
                        } = all
                        else {
                            continue;
                        };
                        // Codes of this chunk's levels (first appearance here) → codes of
                        // the source's levels (first appearance there, as read in one go).
                        let lines = chunk_lines.remove(&name).unwrap_or_default();
                        let all_lines = whole.level_first_lines.entry(name.clone()).or_default();
                        let dictionary = dictionaries.entry(name.clone()).or_default();
                        remap.clear();
                        for (k, level) in levels.into_iter().enumerate() {
                            let next = all_levels.len() as u32;
                            let code = *dictionary.entry(level.clone()).or_insert_with(|| {
                                all_levels.push(level);
                                all_lines.extend(lines.get(k).copied());
                                next
                            });
                            remap.push(code);
                        }
                        if all_levels.len() > max_levels {
                            let first_line = all_lines.get(max_levels).copied();
                            let error = too_many_levels(source_name, &name, max_levels, first_line);
                            return Err(FitError::Data(vec![error]));
                        }
                        all_codes.extend(codes.iter().map(|&c| remap[c as usize]));
                    }
                }
            }
            Ok(())
        },
    )?;
    if whole.level_first_lines.values().any(Vec::is_empty) {
        whole.level_first_lines.retain(|_, lines| !lines.is_empty());
    }
    whole.rows_read = summary.rows_read;
    whole.dropped = summary.dropped;
    whole.sha256 = summary.sha256;
    Ok(whole)
}

/// What is known of a source once every chunk of it was read.
pub(crate) struct SourceSummary {
    /// Data rows in the source (kept and dropped).
    pub rows_read: u64,
    /// Rows left out, with reasons.
    pub dropped: DroppedRows,
    /// SHA-256 of the source's bytes, in hex.
    pub sha256: String,
    /// Whether the header has the outcome column.
    pub has_outcome: bool,
}

/// What checking a source against a spec (or a fitted model) found.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceCheck {
    /// Data rows in the source (blank lines are not rows).
    pub rows: u64,
    /// The invalid rows: how many, by reason, and the first problems with their lines.
    pub invalid: DroppedRows,
    /// Whether the header has the outcome column (a file of cases to score need not).
    pub has_outcome: bool,
}

/// Checks every row of `reader` against what `spec` (and, with `known` levels, such as
/// a fitted model's [`crate::Encoding`]) allows — columns, numbers, bounds, booleans, pinned or known levels — without
/// keeping the data. The outcome column is checked when the header has it.
///
/// A header problem (a missing or repeated column) is an error; invalid rows are counted.
///
/// ```
/// use recontact_model::{data::check_source, SpecConfig};
///
/// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?
///     .check()?;
/// let found = check_source("d.csv", "x\n1.5\nabc\n".as_bytes(), &spec, None)?;
/// assert_eq!((found.rows, found.invalid.rows, found.has_outcome), (2, 1, false));
/// assert_eq!(found.invalid.first_problems[0].line, Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_source<R: io::Read>(
    source_name: &str,
    reader: R,
    spec: &Spec,
    known: Option<&dyn KnownLevels>,
) -> Result<SourceCheck, FitError> {
    let settings = (InvalidRows::Drop, Outcome::Optional);
    let summary = read_chunks_with(
        source_name,
        reader,
        Plan::Spec(spec),
        settings,
        known,
        |_| (),
        |()| Ok(()),
    )?;
    Ok(SourceCheck {
        rows: summary.rows_read,
        invalid: summary.dropped,
        has_outcome: summary.has_outcome,
    })
}

/// What a column of predictions holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictionScale {
    /// Probabilities, each strictly between 0 and 1.
    Probability,
    /// Logits (log-odds), each a finite number.
    Logit,
}

/// Outcomes and one column of predictions, read from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionData {
    /// The source's name.
    pub source_name: String,
    /// Data rows in the source; every one is kept.
    pub rows_read: u64,
    /// The outcome, 0 or 1, one per row.
    pub outcome: Vec<f64>,
    /// The prediction of each row, on the scale it was read as.
    pub prediction: Vec<f64>,
    /// SHA-256 of the source's bytes, in hex.
    pub sha256: String,
}

/// Reads the 0/1 outcome column `outcome` and the prediction column `column` (on `scale`)
/// from `reader`, for evaluating predictions that come from outside this crate.
///
/// Other columns are ignored. Every row must be valid: an outcome other than 0/1 (or a
/// boolean spelling), a probability not strictly between 0 and 1, a logit that is not a
/// finite number or an empty field is an error naming its line, column, value and what
/// is allowed; a missing or repeated column is an error before any row is read. No row
/// is ever dropped. The two columns must differ.
///
/// ```
/// use recontact_model::data::{read_predictions, PredictionScale};
///
/// let csv = "y,p\n1,0.8\n0,0.3\n";
/// let data = read_predictions("d.csv", csv.as_bytes(), "y", "p", PredictionScale::Probability)?;
/// assert_eq!((data.outcome, data.prediction), (vec![1.0, 0.0], vec![0.8, 0.3]));
/// let bad = read_predictions("d.csv", "y,p\n1,1\n".as_bytes(), "y", "p", PredictionScale::Probability);
/// assert!(bad.unwrap_err().to_string().starts_with("d.csv:2: column 2 (p): not a probability"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_predictions<R: io::Read>(
    source_name: &str,
    reader: R,
    outcome: &str,
    column: &str,
    scale: PredictionScale,
) -> Result<PredictionData, FitError> {
    if outcome == column {
        return Err(FitError::Encoding(format!(
            "{source_name}: the outcome and the predictions are both column {column:?}; they \
             must be two different columns"
        )));
    }
    let reading = match scale {
        PredictionScale::Probability => Reading::Probability,
        PredictionScale::Logit => Reading::Logit,
    };
    let plan = Plan::Predictions {
        outcome,
        column,
        reading,
    };
    let mut whole = PredictionData {
        source_name: source_name.to_string(),
        rows_read: 0,
        outcome: Vec::new(),
        prediction: Vec::new(),
        sha256: String::new(),
    };
    let settings = (InvalidRows::Fail, Outcome::Required);
    let summary = read_chunks_with(
        source_name,
        reader,
        plan,
        settings,
        None,
        |chunk| chunk,
        |mut chunk: Dataset| {
            whole.outcome.append(&mut chunk.outcome);
            if let Some(ColumnValues::Numeric(mut values)) = chunk.columns.remove(column) {
                whole.prediction.append(&mut values);
            }
            Ok(())
        },
    )?;
    whole.rows_read = summary.rows_read;
    whole.sha256 = summary.sha256;
    Ok(whole)
}

/// Reads every column `spec` needs from `reader` in chunks of whole records, parsed in
/// parallel: each chunk's kept rows become a small [`Dataset`] (its level codes are the
/// chunk's own) that `work` turns into a result on a worker thread; `take` receives the
/// results in input order. With `known` levels, unknown levels are invalid values.
pub(crate) fn read_chunks<R: io::Read, T: Send>(
    source_name: &str,
    reader: R,
    spec: &Spec,
    invalid: InvalidRows,
    known: Option<&dyn KnownLevels>,
    work: impl Fn(Dataset) -> T + Sync,
    take: impl FnMut(T) -> Result<(), FitError>,
) -> Result<SourceSummary, FitError> {
    let outcome = Outcome::Required;
    read_chunks_with(
        source_name,
        reader,
        Plan::Spec(spec),
        (invalid, outcome),
        known,
        work,
        take,
    )
}

/// Whether the outcome column must be in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Required,
    /// Read when present (checking a file of cases to score).
    Optional,
}

/// What a read takes from a source: the columns of a spec, or an outcome and a column of
/// predictions.
#[derive(Clone, Copy)]
enum Plan<'a> {
    Spec(&'a Spec),
    Predictions {
        outcome: &'a str,
        column: &'a str,
        reading: Reading,
    },
}

impl<'a> Plan<'a> {
    /// The columns read and how, given whether the header has the outcome column.
    fn wanted(self, outcome: Outcome, outcome_present: bool) -> Vec<(&'a str, Reading)> {
        let spec = match self {
            Plan::Spec(spec) => spec,
            Plan::Predictions {
                outcome,
                column,
                reading,
            } => return vec![(outcome, Reading::Outcome), (column, reading)],
        };
        let config = spec.config();
        let mut wanted: Vec<(&str, Reading)> = Vec::new();
        if outcome == Outcome::Required || outcome_present {
            wanted.push((config.outcome.as_str(), Reading::Outcome));
        }
        for term in &config.terms {
            let reading = match term {
                TermConfig::Numeric { transform, .. } => Reading::Number(*transform),
                TermConfig::Spline { .. } | TermConfig::Rcs { .. } => {
                    Reading::Number(Transform::None)
                }
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
        // A cluster column that is also a categorical term's is read once, as its levels.
        if let Some(cluster) = spec.cluster_column() {
            if !wanted.iter().any(|(name, _)| *name == cluster) {
                wanted.push((cluster, Reading::Level));
            }
        }
        wanted
    }

    /// Column `name`, read as `reading`: its bounds, and for a category the levels it
    /// allows (those `known`, else those the spec pins).
    fn needed(self, name: &str, reading: Reading, known: Option<&dyn KnownLevels>) -> Needed {
        let known = (reading == Reading::Level)
            .then(|| {
                known
                    .and_then(|k| k.known_levels(name))
                    .or_else(|| self.pinned_levels(name))
            })
            .flatten()
            .map(|levels| LevelSet::new(levels.to_vec()));
        Needed {
            name: name.to_string(),
            reading,
            bounds: self.bounds(name),
            known,
        }
    }

    fn outcome(self) -> &'a str {
        match self {
            Plan::Spec(spec) => spec.config().outcome.as_str(),
            Plan::Predictions { outcome, .. } => outcome,
        }
    }

    fn bounds(self, column: &str) -> Option<Bounds> {
        match self {
            Plan::Spec(spec) => spec.bounds(column),
            Plan::Predictions { .. } => None,
        }
    }

    fn pinned_levels(self, column: &str) -> Option<&'a [String]> {
        match self {
            Plan::Spec(spec) => spec.pinned_levels(column),
            Plan::Predictions { .. } => None,
        }
    }

    fn max_levels(self) -> usize {
        match self {
            Plan::Spec(spec) => spec.max_levels(),
            Plan::Predictions { .. } => crate::spec::DEFAULT_MAX_LEVELS,
        }
    }
}

/// [`read_chunks`], with the outcome column optional or required.
fn read_chunks_with<R: io::Read, T: Send>(
    source_name: &str,
    reader: R,
    plan: Plan<'_>,
    (invalid, outcome): (InvalidRows, Outcome),
    known: Option<&dyn KnownLevels>,
    work: impl Fn(Dataset) -> T + Sync,
    mut take: impl FnMut(T) -> Result<(), FitError>,
) -> Result<SourceSummary, FitError> {
    let hashing = Hashing {
        inner: reader,
        hasher: Sha256::new(),
    };
    let refused = |e: SourceError| FitError::Data(e.into_data_errors(source_name));
    let mut source = CsvSource::open(source_name, hashing, Limits::default()).map_err(refused)?;
    source.require_names().map_err(refused)?;
    let outcome_present = source.has_column(plan.outcome());
    let needed: Vec<Needed> = (plan.wanted(outcome, outcome_present).into_iter())
        .map(|(name, reading)| plan.needed(name, reading, known))
        .collect();
    let wanted: Vec<Wanted> = (needed.iter())
        .map(|c| Wanted::new(c.name.clone(), c.reading.kind(), c.allowed()))
        .collect();
    let columns = source.columns(&wanted, &[]).map_err(refused)?;

    let job = ChunkJob {
        needed: &needed,
        columns: &columns,
        invalid,
        max_levels: plan.max_levels(),
    };
    let mut dropped = DroppedRows::default();
    let mut failures: Vec<DataError> = Vec::new();
    let mut rows_read = 0u64;
    let listed = source.for_each_chunk(
        |chunk| {
            let mut parsed = job.parse(chunk);
            let rows = (parsed.failures.is_empty() && parsed.stop.is_none())
                .then(|| work(job.dataset(&mut parsed)));
            (parsed, rows)
        },
        |(parsed, rows): (ParsedChunk, Option<T>)| {
            rows_read += parsed.rows_read;
            dropped.rows += parsed.dropped.rows;
            for (reason, count) in parsed.dropped.reasons {
                *dropped.reasons.entry(reason).or_default() += count;
            }
            let room = MAX_LISTED.saturating_sub(dropped.first_problems.len());
            let examples = parsed.dropped.first_problems.into_iter().take(room);
            dropped.first_problems.extend(examples);
            failures.extend(parsed.failures);
            if failures.len() >= MAX_LISTED || parsed.stop.is_some() {
                failures.truncate(MAX_LISTED);
                return Err(parsed.stop.map(|e| FitError::Data(vec![e])));
            }
            match rows {
                // Nothing more is kept once a row has failed; only its problems count.
                Some(rows) if failures.is_empty() => take(rows).map_err(Some),
                _ => Ok(()),
            }
        },
        |e| Some(FitError::Data(vec![DataError::from_io(source_name, e)])),
    );
    if let Err(Some(error)) = listed {
        return Err(error);
    }
    if !failures.is_empty() {
        return Err(FitError::Data(failures));
    }

    let Hashing { hasher, .. } = source.into_inner();
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(SourceSummary {
        rows_read,
        dropped,
        sha256,
        has_outcome: outcome_present,
    })
}

/// What every chunk of a source is parsed with.
struct ChunkJob<'a> {
    needed: &'a [Needed],
    /// The needed columns, in the order of `needed`, as the header has them.
    columns: &'a Columns,
    invalid: InvalidRows,
    max_levels: usize,
}

/// The kept rows of one chunk, column by column, with what was dropped or failed.
struct ParsedChunk {
    rows_read: u64,
    /// Per needed column: its numbers (outcome, weights and offset included).
    numbers: Vec<Vec<f64>>,
    /// Per categorical column: codes into `levels`.
    codes: Vec<Vec<u32>>,
    /// Per categorical column: this chunk's levels in order of first appearance.
    levels: Vec<Vec<String>>,
    /// Per categorical column: the line of each level's first appearance in this chunk.
    level_lines: Vec<Vec<u64>>,
    dropped: DroppedRows,
    failures: Vec<DataError>,
    /// An error after which nothing can be read.
    stop: Option<DataError>,
}

impl ChunkJob<'_> {
    /// A parsed chunk's kept rows as a data set (level codes are the chunk's own).
    fn dataset(&self, parsed: &mut ParsedChunk) -> Dataset {
        let mut outcome = Vec::new();
        let mut weights = None;
        let mut offset = None;
        let mut columns = HashMap::new();
        let mut level_first_lines = HashMap::new();
        for (k, column) in self.needed.iter().enumerate() {
            let values = std::mem::take(&mut parsed.numbers[k]);
            let values = match column.reading {
                Reading::Outcome => {
                    outcome = values;
                    continue;
                }
                Reading::Weight => {
                    weights = Some(values);
                    continue;
                }
                Reading::Offset => {
                    offset = Some(values);
                    continue;
                }
                Reading::Number(_) | Reading::Boolean | Reading::Probability | Reading::Logit => {
                    ColumnValues::Numeric(values)
                }
                Reading::Level => {
                    let lines = std::mem::take(&mut parsed.level_lines[k]);
                    level_first_lines.insert(column.name.clone(), lines);
                    ColumnValues::Levels {
                        codes: std::mem::take(&mut parsed.codes[k]),
                        levels: std::mem::take(&mut parsed.levels[k]),
                    }
                }
            };
            columns.insert(column.name.clone(), values);
        }
        Dataset {
            source_name: self.columns.source_name().to_string(),
            rows_read: parsed.rows_read,
            outcome,
            weights,
            offset,
            columns,
            dropped: DroppedRows::default(),
            sha256: String::new(),
            level_first_lines,
        }
    }

    fn parse(&self, chunk: &Chunk) -> ParsedChunk {
        let needed = self.needed;
        let rows_guess = chunk.newlines as usize + 1;
        let mut parsed = ParsedChunk {
            rows_read: 0,
            numbers: needed
                .iter()
                .map(|c| match c.reading {
                    Reading::Level => Vec::new(),
                    _ => Vec::with_capacity(rows_guess),
                })
                .collect(),
            codes: vec![Vec::new(); needed.len()],
            levels: vec![Vec::new(); needed.len()],
            level_lines: vec![Vec::new(); needed.len()],
            dropped: DroppedRows::default(),
            failures: Vec::new(),
            stop: None,
        };
        let mut dictionaries: Vec<HashMap<Vec<u8>, u32>> = vec![HashMap::new(); needed.len()];
        let mut fields = Fields::default();
        let mut row_numbers = vec![0.0; needed.len()];
        let mut problems = Vec::new();
        for (line, record) in chunk.records() {
            problems.clear();
            match self.columns.split(&mut fields, line, &record, chunk.quoted) {
                Err(RecordProblem::Unreadable(error)) => {
                    let source_name = self.columns.source_name();
                    parsed.stop = Some(DataError::from_io(source_name, error));
                    return parsed;
                }
                Err(RecordProblem::Invalid(error)) => problems.push(*error),
                Ok(()) => self.read_row(
                    &fields,
                    record.content,
                    line,
                    &mut row_numbers,
                    &mut problems,
                ),
            }
            parsed.rows_read += 1;
            if !problems.is_empty() {
                if self.refuse(&mut parsed, &mut problems) {
                    return parsed;
                }
                continue;
            }
            if !parsed.failures.is_empty() {
                continue;
            }
            let row = (&fields, record.content, line);
            if let Err(error) = self.keep_row(&mut parsed, &mut dictionaries, row, &row_numbers) {
                parsed.stop = Some(*error);
                return parsed;
            }
        }
        parsed
    }

    /// Reads the needed fields of the record just split: numbers into `row_numbers`, the
    /// problems of invalid values into `problems`.
    #[inline]
    fn read_row(
        &self,
        fields: &Fields,
        content: &[u8],
        line: u64,
        row_numbers: &mut [f64],
        problems: &mut Vec<DataError>,
    ) {
        let columns = self.columns;
        for (k, column) in self.needed.iter().enumerate() {
            if let Some(v) = column.accept_number(columns.number(fields, k)) {
                row_numbers[k] = v;
                continue;
            }
            let text = match columns.text(fields, content, k, line) {
                Ok(text) => text,
                Err(error) => {
                    problems.push(*error);
                    continue;
                }
            };
            match column.read(text) {
                Ok(v) => row_numbers[k] = v,
                Err(problem) => problems.push(columns.invalid(k, line, problem, text.to_string())),
            }
        }
    }

    /// Keeps a valid row: its numbers, and the codes of its levels (a level seen for the
    /// first time gets the next code); a column past the limit of levels is the error.
    #[inline]
    fn keep_row(
        &self,
        parsed: &mut ParsedChunk,
        dictionaries: &mut [HashMap<Vec<u8>, u32>],
        (fields, content, line): (&Fields, &[u8], u64),
        row_numbers: &[f64],
    ) -> Result<(), Box<DataError>> {
        for (k, column) in self.needed.iter().enumerate() {
            if column.reading != Reading::Level {
                parsed.numbers[k].push(row_numbers[k]);
                continue;
            }
            let text = self.columns.field(fields, content, k);
            let next = parsed.levels[k].len() as u32;
            let code = match dictionaries[k].get(text) {
                Some(&code) => code,
                None if parsed.levels[k].len() >= self.max_levels => {
                    let source_name = self.columns.source_name();
                    let name = &column.name;
                    let error = too_many_levels(source_name, name, self.max_levels, Some(line));
                    return Err(Box::new(error));
                }
                None => {
                    dictionaries[k].insert(text.to_vec(), next);
                    // Checked when read: UTF-8 and not empty.
                    parsed.levels[k].push(String::from_utf8_lossy(text).into_owned());
                    parsed.level_lines[k].push(line);
                    next
                }
            };
            parsed.codes[k].push(code);
        }
        Ok(())
    }

    /// Deals with an invalid row's `problems`: counts it as dropped, or lists them as
    /// failures; true when enough failures are listed to stop.
    fn refuse(&self, parsed: &mut ParsedChunk, problems: &mut Vec<DataError>) -> bool {
        match self.invalid {
            InvalidRows::Drop => {
                parsed.dropped.rows += 1;
                let room = MAX_LISTED.saturating_sub(parsed.dropped.first_problems.len());
                let examples = problems.iter().take(room).cloned();
                parsed.dropped.first_problems.extend(examples);
                for problem in problems.iter() {
                    let key = match &problem.column {
                        Some(column) => format!("{column}: {}", problem.problem.describe()),
                        None => problem.problem.describe(),
                    };
                    *parsed.dropped.reasons.entry(key).or_default() += 1;
                }
                false
            }
            InvalidRows::Fail => {
                parsed.failures.append(problems);
                parsed.failures.len() >= MAX_LISTED
            }
        }
    }
}

/// The error for a categorical column beyond `limit` levels, at the line of the first
/// level past it.
pub(crate) fn too_many_levels(
    source_name: &str,
    column: &str,
    limit: usize,
    line: Option<u64>,
) -> DataError {
    let mut error = DataError::new(source_name, DataProblem::TooManyLevels { limit });
    error.line = line;
    error.column = Some(column.to_string());
    error
}

/// Allowed levels in words, for errors: every one of a short list, the first of a long one.
pub(crate) fn describe_levels(levels: &[String]) -> String {
    const SHOWN: usize = 30;
    if levels.len() <= SHOWN {
        return format!("one of {}", levels.join(", "));
    }
    format!(
        "one of {}, ... ({} levels in all)",
        levels[..SHOWN].join(", "),
        levels.len()
    )
}

impl Needed {
    /// What the column allows, in words, as the errors of fitting and checking say it.
    fn allowed(&self) -> String {
        match (&self.known, self.bounds) {
            (Some(known), _) => describe_levels(&known.levels),
            (None, Some(b)) if self.reading == Reading::Number(Transform::Log1p) => {
                format!("{}, greater than -1 (for log1p)", b.describe())
            }
            (None, Some(b)) => b.describe(),
            (None, None) => self.reading.allowed().to_string(),
        }
    }

    /// The value of a field read as a plain decimal while splitting, if it passes every
    /// check; `None` sends the field to [`Needed::read`].
    #[inline]
    pub(crate) fn accept_number(&self, value: Option<f64>) -> Option<f64> {
        let v = value?;
        let ok = match self.reading {
            Reading::Number(transform) => {
                !(transform == Transform::Log1p && v <= -1.0)
                    && self.bounds.is_none_or(|b| b.check(v).is_ok())
            }
            Reading::Offset => self.bounds.is_none_or(|b| b.check(v).is_ok()),
            Reading::Weight => v >= 0.0,
            Reading::Outcome => v == 0.0 || v == 1.0,
            Reading::Probability => v > 0.0 && v < 1.0,
            Reading::Logit => true,
            Reading::Boolean | Reading::Level => false,
        };
        ok.then_some(v)
    }

    /// Parses a field's text (non-empty checked here) as the column reads it; levels
    /// give 0 (their codes are kept apart).
    pub(crate) fn read(&self, text: &str) -> Result<f64, DataProblem> {
        if text.is_empty() {
            return Err(DataProblem::Empty);
        }
        match self.reading {
            Reading::Outcome => parse_outcome(text).ok_or(DataProblem::NotAnOutcome),
            Reading::Number(transform) => match parse_finite(text) {
                Some(v) if transform == Transform::Log1p && v <= -1.0 => {
                    Err(DataProblem::OutsideTransform)
                }
                Some(v) => self.bounds.map_or(Ok(()), |b| b.check(v)).map(|()| v),
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
                Some(v) => self.bounds.map_or(Ok(()), |b| b.check(v)).map(|()| v),
                None => Err(DataProblem::NotANumber),
            },
            Reading::Probability => match parse_finite(text) {
                Some(v) if v > 0.0 && v < 1.0 => Ok(v),
                Some(_) => Err(DataProblem::NotAProbability),
                None => Err(DataProblem::NotANumber),
            },
            Reading::Logit => parse_finite(text).ok_or(DataProblem::NotANumber),
            Reading::Level => match &self.known {
                Some(known) if known.index.find(text.as_bytes()).is_none() => {
                    Err(DataProblem::UnknownLevel)
                }
                _ => Ok(0.0),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probabilities(csv: &str) -> Result<PredictionData, FitError> {
        read_predictions(
            "d.csv",
            csv.as_bytes(),
            "y",
            "p",
            PredictionScale::Probability,
        )
    }

    fn logits(csv: &str) -> Result<PredictionData, FitError> {
        read_predictions("d.csv", csv.as_bytes(), "y", "l", PredictionScale::Logit)
    }

    #[test]
    fn predictions_are_read_with_every_row_and_the_source_hash() {
        let csv = "id,p,y,other\na,0.25,1,x\n\"b,c\",1e-3,false,\nd,0.999999,yes,\"q\"\"\"\n";
        let data = probabilities(csv).unwrap();
        assert_eq!(data.rows_read, 3);
        assert_eq!(data.outcome, [1.0, 0.0, 1.0]);
        assert_eq!(data.prediction, [0.25, 1e-3, 0.999999]);
        assert_eq!(data.sha256, crate::model::sha256_hex(csv.as_bytes()));
        let data = logits("y,l\n1,-3.5\n0,1e3\n1,0\n").unwrap();
        assert_eq!(data.prediction, [-3.5, 1e3, 0.0]);
    }

    #[test]
    fn the_order_holds_across_chunks() {
        // About 2 MiB: several chunks, parsed in parallel and taken back in order.
        let mut csv = String::from("y,p\n");
        for i in 0..200_000u32 {
            csv.push_str(&format!("{},{}\n", i % 2, f64::from(i % 999 + 1) / 1000.0));
        }
        let data = probabilities(&csv).unwrap();
        assert_eq!(data.rows_read, 200_000);
        for (i, (y, p)) in (0u32..).zip(data.outcome.iter().zip(&data.prediction)) {
            assert_eq!(*y, f64::from(i % 2));
            assert_eq!(*p, f64::from(i % 999 + 1) / 1000.0);
        }
    }

    #[test]
    fn a_probability_of_zero_or_one_or_outside_is_refused_with_its_place() {
        let allowed = Reading::Probability.allowed();
        for value in ["0", "1", "1.0", "-0.2", "1.5", "0e0"] {
            let error = probabilities(&format!("y,p\n1,0.5\n0,{value}\n")).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "d.csv:3: column 2 (p): not a probability strictly between 0 and 1 \
                     {value:?}; allowed: {allowed}"
                )
            );
        }
        assert!(allowed.contains("logit and the log loss would be infinite"));
        for (value, problem) in [
            ("abc", "not a finite number \"abc\""),
            ("NaN", "not a finite number \"NaN\""),
            ("", "value is empty"),
        ] {
            let error = probabilities(&format!("y,p\n0,{value}\n")).unwrap_err();
            let expected = format!("d.csv:2: column 2 (p): {problem}; allowed: {allowed}");
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn a_logit_that_is_not_finite_is_refused() {
        for value in ["inf", "-inf", "NaN", "1e400", "x"] {
            let error = logits(&format!("y,l\n0,{value}\n")).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "d.csv:2: column 2 (l): not a finite number {value:?}; allowed: a finite \
                     number (the log-odds of the prediction)"
                )
            );
        }
    }

    #[test]
    fn outcomes_other_than_zero_or_one_and_missing_columns_are_refused() {
        let error = probabilities("y,p\n2,0.5\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "d.csv:2: column 1 (y): not an outcome \"2\"; allowed: 1/0, true/false or yes/no"
        );
        let error = probabilities("outcome,p\n1,0.5\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "d.csv:1: column y: required column is missing from the header"
        );
        let error = probabilities("y,p,p\n1,0.5,0.5\n").unwrap_err();
        assert!(error.to_string().contains("more than once"), "{error}");
        let same = read_predictions(
            "d.csv",
            "y\n1\n".as_bytes(),
            "y",
            "y",
            PredictionScale::Logit,
        );
        assert!(matches!(same, Err(FitError::Encoding(_))));
    }

    #[test]
    fn every_bad_row_is_listed_not_dropped() {
        let error = probabilities("y,p\n1,0\n0,0.5\n1,1\n").unwrap_err();
        let FitError::Data(errors) = error else {
            panic!("{error}")
        };
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(2), Some(4)]);
    }
}
