//! Streaming batch scoring of a CSV: every input byte passes through untouched and the
//! probability, the logit and, with `explain`, the reference row's logit and each term's
//! contribution against it are appended, under names the caller chooses.
//!
//! Records are cut from the byte stream by a quote-aware scan, so the output repeats
//! each input record byte for byte (quoting, embedded newlines, CRLF, a byte-order mark)
//! and only the appended fields are new. The header and the records are read by the
//! column reader every reader shares ([`recontact_input::columns`]).
//!
//! ```
//! use recontact_model::batch::{BatchScorer, OnInvalid};
//! use recontact_model::Model;
//!
//! let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
//! let data = include_str!("../../../data/recontact_outcomes.csv");
//! let input: String = data.lines().take(4).map(|l| format!("{l}\n")).collect();
//! let (mut output, mut rejects) = (Vec::new(), Vec::new());
//! let report = BatchScorer::new(&model)
//!     .column("p")
//!     .on_invalid(OnInvalid::Skip)
//!     .rejects(&mut rejects)
//!     .run("cases.csv", input.as_bytes(), &mut output)?;
//! assert_eq!((report.rows, report.scored, report.rejected), (3, 3, 0));
//! let output = String::from_utf8(output)?;
//! assert!(output.lines().next().unwrap().ends_with(",p,logit"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, BufRead, Read, Write};

use thiserror::Error;

use crate::data::{LevelSet, Needed, Reading};
use crate::encoding::{EncodedTerm, TermInput};
use crate::error::{DataError, DataProblem};
use crate::explain::{explained_terms, reference_design, term_contribution};
use crate::model::{Model, Scorer};
use crate::spec::Transform;
use recontact_input::chunks::{Chunk, Fields};
use recontact_input::columns::{
    Columns, CsvSource, Limits, RecordProblem, Reserved, SourceError, Wanted,
};

/// What to do with a row that cannot be scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInvalid {
    /// Stop at the first invalid row with its problems.
    #[default]
    Fail,
    /// Write it to the rejects output with its line and reasons, and go on.
    Skip,
}

/// Settings of a batch run (see [`BatchScorer`], which sets them one by one).
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
    /// An option cannot be used (found before any input is read).
    #[error(transparent)]
    Options(#[from] OptionError),
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
    /// The input could not be read, or holds a record beyond the length limit (an
    /// [`io::ErrorKind::InvalidData`] error holding a
    /// [`recontact_input::lines::RecordTooLong`]).
    #[error("{source_name}: cannot be read: {error}")]
    Read {
        /// The input's name.
        source_name: String,
        /// The I/O error, also the error's source.
        #[source]
        error: io::Error,
    },
    /// An output could not be written.
    #[error("cannot write the {target}: {error}")]
    Write {
        /// `output` or `rejects`.
        target: &'static str,
        /// The I/O error, also the error's source.
        #[source]
        error: io::Error,
    },
}

/// An option of a batch run that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OptionError {
    /// An appended column would have an empty name.
    #[error("the column for {} would have an empty name", .0.describe())]
    EmptyName(Appended),
    /// A size limit of zero, under which nothing could be read.
    #[error("the {} is 0: no input could be read", .0.describe())]
    ZeroLimit(Limit),
}

/// A size limit of a batch run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`BatchOptions::max_record_bytes`].
    MaxRecordBytes,
    /// [`BatchOptions::max_columns`].
    MaxColumns,
}

impl Limit {
    /// What the limit bounds, in words.
    ///
    /// ```
    /// assert_eq!(recontact_model::batch::Limit::MaxColumns.describe(), "most columns accepted in the header");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            Limit::MaxRecordBytes => "longest record accepted",
            Limit::MaxColumns => "most columns accepted in the header",
        }
    }
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

/// The columns scoring `model` needs, in the order of its main terms (the offset last),
/// each with what it allows in the words of scoring's errors.
fn needed_columns(model: &Model) -> Vec<(Needed, String)> {
    let column = |name: &str, reading| Needed {
        name: name.to_string(),
        reading,
        bounds: model.spec.bounds.get(name).copied(),
        known: None,
    };
    let mut needed: Vec<Needed> = model
        .encoding
        .main_terms()
        .filter_map(|term| match term {
            EncodedTerm::Numeric {
                column: c,
                transform,
            } => Some(column(c, Reading::Number(*transform))),
            EncodedTerm::Spline { column: c, .. } | EncodedTerm::Rcs { column: c, .. } => {
                Some(column(c, Reading::Number(Transform::None)))
            }
            EncodedTerm::Boolean { column: c } => Some(column(c, Reading::Boolean)),
            EncodedTerm::Categorical {
                column: c, levels, ..
            } => Some(Needed {
                known: Some(LevelSet::new(levels.clone())),
                ..column(c, Reading::Level)
            }),
            EncodedTerm::Interaction { .. } => None,
        })
        .collect();
    if let Some(offset) = &model.spec.offset {
        needed.push(column(offset, Reading::Offset));
    }
    needed
        .into_iter()
        .map(|c| {
            let allowed = match (&c.bounds, &c.known) {
                (Some(bounds), _) => bounds.describe(),
                (None, Some(known)) => format!("one of {}", known.levels.join(", ")),
                (None, None) => c.reading.allowed().to_string(),
            };
            (c, allowed)
        })
        .collect()
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
///
/// ```
/// use recontact_model::batch::{appended_columns, Appended, BatchOptions};
/// use recontact_model::Model;
///
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let columns = appended_columns(&model, &BatchOptions::default())?;
/// let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
/// assert_eq!(names, ["p_success", "logit"]);
/// assert_eq!(columns[1].holds, Appended::Logit);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// The same as a [`BatchScorer`] with these options, rejects and progress, which is
/// easier to call.
///
/// ```
/// use recontact_model::{score_csv, BatchOptions, Model};
///
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let data = include_str!("../../../data/recontact_outcomes.csv");
/// let mut output = Vec::new();
/// let report = score_csv("d.csv", data.as_bytes(), &mut output, None::<&mut Vec<u8>>, &model,
///     &BatchOptions::default(), &mut |_, _| {})?;
/// assert_eq!(report.scored as usize, data.lines().count() - 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn score_csv<R: BufRead, W: Write, J: Write>(
    source_name: &str,
    input: R,
    output: &mut W,
    rejects: Option<&mut J>,
    model: &Model,
    options: &BatchOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BatchReport, BatchError> {
    let mut scorer = BatchScorer::with_options(model, options.clone()).progress(progress);
    if let Some(rejects) = rejects {
        scorer = scorer.rejects(rejects);
    }
    scorer.run(source_name, input, output)
}

/// A batch run of a model over a CSV, set up step by step and started with
/// [`BatchScorer::run`]; the options are checked ([`BatchScorer::check`]) before any
/// input is read.
///
/// ```
/// use recontact_model::batch::{BatchScorer, OnInvalid};
/// use recontact_model::Model;
///
/// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let data = include_str!("../../../data/recontact_outcomes.csv");
/// let mut input: String = data.lines().take(3).map(|l| format!("{l}\n")).collect();
/// input.push_str("x,,,,,,,,,,,\n");
/// let (mut output, mut rejects, mut seen) = (Vec::new(), Vec::new(), (0, 0));
/// let report = BatchScorer::new(&model)
///     .column("p")
///     .logit_column("lp")
///     .explain(true)
///     .on_invalid(OnInvalid::Skip)
///     .rejects(&mut rejects)
///     .progress(|rows, bytes| seen = (rows, bytes))
///     .run("cases.csv", input.as_bytes(), &mut output)?;
/// assert_eq!((report.scored, report.rejected), (2, 1));
/// assert_eq!(seen, (3, input.len() as u64));
/// assert!(String::from_utf8(rejects)?.lines().nth(1).unwrap().starts_with("4,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BatchScorer<'a> {
    model: &'a Model,
    options: BatchOptions,
    rejects: Option<&'a mut dyn Write>,
    progress: Option<Box<dyn FnMut(u64, u64) + 'a>>,
}

impl<'a> BatchScorer<'a> {
    /// A run of `model` with the default options ([`BatchOptions::default`]), no rejects
    /// output and no progress reports.
    ///
    /// ```
    /// use recontact_model::batch::BatchScorer;
    /// use recontact_model::Model;
    ///
    /// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
    /// assert_eq!(BatchScorer::new(&model).options().column, "p_success");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(model: &'a Model) -> Self {
        BatchScorer::with_options(model, BatchOptions::default())
    }

    /// A run of `model` with `options`.
    ///
    /// ```
    /// use recontact_model::batch::{BatchOptions, BatchScorer};
    /// use recontact_model::Model;
    ///
    /// let model = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
    /// let options = BatchOptions { explain: true, ..BatchOptions::default() };
    /// assert!(BatchScorer::with_options(&model, options).options().explain);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(model: &'a Model, options: BatchOptions) -> Self {
        BatchScorer {
            model,
            options,
            rejects: None,
            progress: None,
        }
    }

    /// The options set so far.
    ///
    /// ```
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let scorer = recontact_model::batch::BatchScorer::new(&model);
    /// assert_eq!(scorer.options(), &recontact_model::BatchOptions::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(&self) -> &BatchOptions {
        &self.options
    }

    /// Names the appended probability column ([`BatchOptions::column`]).
    ///
    /// ```
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let scorer = recontact_model::batch::BatchScorer::new(&model).column("p");
    /// assert_eq!(scorer.options().column, "p");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn column(mut self, name: impl Into<String>) -> Self {
        self.options.column = name.into();
        self
    }

    /// Names the appended logit column ([`BatchOptions::logit_column`]).
    ///
    /// ```
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let scorer = recontact_model::batch::BatchScorer::new(&model).logit_column("lp");
    /// assert_eq!(scorer.options().logit_column, "lp");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn logit_column(mut self, name: impl Into<String>) -> Self {
        self.options.logit_column = name.into();
        self
    }

    /// Appends the reference row's logit and each term's contribution
    /// ([`BatchOptions::explain`]).
    ///
    /// ```
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let scorer = recontact_model::batch::BatchScorer::new(&model).explain(true);
    /// assert!(scorer.check()?.len() > 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(mut self, explain: bool) -> Self {
        self.options.explain = explain;
        self
    }

    /// What the contribution columns' names start with ([`BatchOptions::explain_prefix`]).
    ///
    /// ```
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let scorer = recontact_model::batch::BatchScorer::new(&model).explain(true).explain_prefix("why_");
    /// assert!(scorer.check()?[3].name.starts_with("why_"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.options.explain_prefix = prefix.into();
        self
    }

    /// What to do with invalid rows ([`BatchOptions::on_invalid`]); skipped rows go to
    /// the [`BatchScorer::rejects`] output, when there is one.
    ///
    /// ```
    /// use recontact_model::batch::{BatchScorer, OnInvalid};
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let scorer = BatchScorer::new(&model).on_invalid(OnInvalid::Skip);
    /// assert_eq!(scorer.options().on_invalid, OnInvalid::Skip);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_invalid(mut self, on_invalid: OnInvalid) -> Self {
        self.options.on_invalid = on_invalid;
        self
    }

    /// The longest record accepted, in bytes ([`BatchOptions::max_record_bytes`]).
    ///
    /// ```
    /// use recontact_model::batch::{BatchError, BatchScorer, Limit, OptionError};
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let zero = BatchScorer::new(&model).max_record_bytes(0).check().unwrap_err();
    /// assert!(matches!(zero, BatchError::Options(OptionError::ZeroLimit(Limit::MaxRecordBytes))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_record_bytes(mut self, bytes: usize) -> Self {
        self.options.max_record_bytes = bytes;
        self
    }

    /// The most columns accepted in the header ([`BatchOptions::max_columns`]).
    ///
    /// ```
    /// use recontact_model::batch::BatchScorer;
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let error = BatchScorer::new(&model).max_columns(2).run("d.csv", "a,b,c\n".as_bytes(), &mut Vec::new());
    /// assert_eq!(error.unwrap_err().to_string(), "d.csv:1: the header has 3 columns, more than the limit of 2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_columns(mut self, columns: usize) -> Self {
        self.options.max_columns = columns;
        self
    }

    /// Where invalid rows go under [`OnInvalid::Skip`]: a header `line,reason,` and the
    /// input's header, then per row its line, its reasons and its own bytes. Without a
    /// rejects output an invalid row stops the run.
    ///
    /// ```
    /// use recontact_model::batch::{BatchScorer, OnInvalid};
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let header = include_str!("../../../data/recontact_outcomes.csv").lines().next().unwrap();
    /// let input = format!("{header}\nbad\n");
    /// let mut rejects = Vec::new();
    /// let report = BatchScorer::new(&model)
    ///     .on_invalid(OnInvalid::Skip)
    ///     .rejects(&mut rejects)
    ///     .run("d.csv", input.as_bytes(), &mut Vec::new())?;
    /// assert_eq!(report.rejected, 1);
    /// assert!(String::from_utf8(rejects)?.contains("\n2,row has 1 fields but the header has"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rejects(mut self, rejects: &'a mut dyn Write) -> Self {
        self.rejects = Some(rejects);
        self
    }

    /// Calls `progress` now and then with the rows and the bytes read so far, and once
    /// at the end with the totals.
    ///
    /// ```
    /// use recontact_model::batch::BatchScorer;
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let data = include_str!("../../../data/recontact_outcomes.csv");
    /// let mut last = (0, 0);
    /// BatchScorer::new(&model)
    ///     .progress(|rows, bytes| last = (rows, bytes))
    ///     .run("d.csv", data.as_bytes(), &mut std::io::sink())?;
    /// assert_eq!(last, (data.lines().count() as u64 - 1, data.len() as u64));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn progress(mut self, progress: impl FnMut(u64, u64) + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Checks the options without reading any input: the appended columns, in order
    /// ([`appended_columns`]), or why the options cannot be used (an empty column name,
    /// a limit of zero, two appended columns of one name).
    ///
    /// ```
    /// use recontact_model::batch::{Appended, BatchError, BatchScorer, OptionError};
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let empty = BatchScorer::new(&model).column("").check().unwrap_err();
    /// assert!(matches!(empty, BatchError::Options(OptionError::EmptyName(Appended::Probability))));
    /// let clash = BatchScorer::new(&model).column("logit").check().unwrap_err();
    /// assert!(matches!(clash, BatchError::AppendedClash { .. }));
    /// assert_eq!(BatchScorer::new(&model).check()?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<Vec<AppendedColumn>, BatchError> {
        let options = &self.options;
        if options.column.is_empty() {
            return Err(OptionError::EmptyName(Appended::Probability).into());
        }
        if options.logit_column.is_empty() {
            return Err(OptionError::EmptyName(Appended::Logit).into());
        }
        if options.max_record_bytes == 0 {
            return Err(OptionError::ZeroLimit(Limit::MaxRecordBytes).into());
        }
        if options.max_columns == 0 {
            return Err(OptionError::ZeroLimit(Limit::MaxColumns).into());
        }
        appended_columns(self.model, options)
    }

    /// Scores every row of `input` (named `source_name` in errors), writing each input
    /// record unchanged plus the appended fields to `output`. The options are checked
    /// first ([`BatchScorer::check`]), before any input is read.
    ///
    /// ```
    /// use recontact_model::batch::BatchScorer;
    /// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json"))?;
    /// let error = BatchScorer::new(&model).run("d.csv", "a,b\n1,2\n".as_bytes(), &mut Vec::new()).unwrap_err();
    /// assert!(error.to_string().starts_with("d.csv:1: column contact_type: required column is missing"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run<R: Read, W: Write + ?Sized>(
        mut self,
        source_name: &str,
        input: R,
        output: &mut W,
    ) -> Result<BatchReport, BatchError> {
        let appended = self.check()?;
        let limits = Limits {
            max_record_bytes: self.options.max_record_bytes,
            max_columns: self.options.max_columns,
        };
        let refused = |error| match error {
            SourceError::Read(error) => read_error(source_name, error),
            SourceError::Header(errors) => BatchError::Header(errors),
        };
        let mut source = CsvSource::open(source_name, input, limits).map_err(refused)?;
        let needed = needed_columns(self.model);
        let wanted: Vec<Wanted> = (needed.iter())
            .map(|(c, allowed)| Wanted::new(c.name.clone(), c.reading.kind(), allowed.clone()))
            .collect();
        let reserved: Vec<Reserved> = (appended.iter())
            .map(|column| Reserved {
                name: column.name.clone(),
                holds: column.holds.describe(),
                allowed: format!(
                    "a header without `{}`, or {}",
                    column.name,
                    column.holds.remedy()
                ),
            })
            .collect();
        let columns = source.columns(&wanted, &reserved).map_err(refused)?;
        // A Parquet source's rejects say its rows (see `recontact_input::parquet`).
        let rows = recontact_input::parquet::is_parquet_name(source_name);
        self.write_headers(&source, &appended, rows, output)?;

        let job = Job {
            model: self.model,
            on_invalid: self.options.on_invalid,
            needed: needed.into_iter().map(|(c, _)| c).collect(),
            columns: &columns,
            explanation: self.options.explain.then(|| Explaining::new(self.model)),
            rejecting: self.rejects.is_some(),
            rows,
        };
        let mut report = BatchReport::default();
        let mut since_progress = 0;
        let (rejects, progress) = (&mut self.rejects, &mut self.progress);
        source.for_each_chunk(
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
                    if let Some(progress) = progress.as_mut() {
                        progress(report.rows, scored.end_offset);
                    }
                }
                scored.stop.map_or(Ok(()), Err)
            },
            |error| read_error(source_name, error),
        )?;
        if let Some(progress) = progress.as_mut() {
            progress(report.rows, source.offset());
        }
        Ok(report)
    }

    /// Writes the output's header (the input's and the appended names) and the rejects'.
    fn write_headers<R: Read, W: Write + ?Sized>(
        &mut self,
        source: &CsvSource<R>,
        appended: &[AppendedColumn],
        rows: bool,
        output: &mut W,
    ) -> Result<(), BatchError> {
        let header = source.header();
        let mut line_out = Vec::with_capacity(1024);
        if header.bom {
            line_out.extend_from_slice(recontact_input::lines::BOM);
        }
        line_out.extend_from_slice(&header.content);
        for column in appended {
            line_out.push(b',');
            write_field(&mut line_out, &column.name);
        }
        let terminator = if header.terminator.is_empty() {
            b"\n".as_slice()
        } else {
            &header.terminator
        };
        line_out.extend_from_slice(terminator);
        output.write_all(&line_out).map_err(write_output)?;
        if let Some(rejects) = self.rejects.as_deref_mut() {
            line_out.clear();
            line_out.extend_from_slice(if rows {
                b"row,reason,"
            } else {
                b"line,reason,"
            });
            line_out.extend_from_slice(&header.content);
            line_out.extend_from_slice(terminator);
            rejects.write_all(&line_out).map_err(write_rejects)?;
        }
        Ok(())
    }
}

fn read_error(source_name: &str, error: io::Error) -> BatchError {
    BatchError::Read {
        source_name: source_name.to_string(),
        error,
    }
}

fn write_output(error: io::Error) -> BatchError {
    BatchError::Write {
        target: "output",
        error,
    }
}

fn write_rejects(error: io::Error) -> BatchError {
    BatchError::Write {
        target: "rejects",
        error,
    }
}

/// What every chunk of a batch run is scored with.
struct Job<'a> {
    model: &'a Model,
    on_invalid: OnInvalid,
    /// The model's columns (the offset last), in the order of `columns`.
    needed: Vec<Needed>,
    columns: &'a Columns,
    /// With `explain`: what contributions are measured against.
    explanation: Option<Explaining>,
    rejecting: bool,
    /// Whether the source numbers rows, not lines (a Parquet source).
    rows: bool,
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
            let (content, end) = (record.content, record.terminator);
            problems.clear();
            inputs.clear();
            let mut offset = 0.0;
            match self.columns.split(&mut fields, line, &record, chunk.quoted) {
                Err(RecordProblem::Unreadable(error)) => {
                    let source_name = self.columns.source_name();
                    done.stop = Some(read_error(source_name, error));
                    return done;
                }
                Err(RecordProblem::Invalid(error)) => problems.push(*error),
                Ok(()) => {
                    let row = (&fields, content, line);
                    self.read_inputs(row, &mut inputs, &mut offset, &mut problems);
                }
            }
            done.rows += 1;
            if problems.is_empty() {
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
                match write_scored(&mut done.output, logit, &explained, content, end) {
                    Ok(()) => {
                        done.scored += 1;
                        continue;
                    }
                    Err(error) => problems.push(error.located(self.columns.source_name(), line)),
                }
            }
            if !self.refuse(&mut done, line, &mut problems, content, end) {
                return done;
            }
        }
        done
    }

    /// Reads the model's inputs (and the offset) from the record just split; the
    /// problems of invalid values go to `problems`.
    #[inline]
    fn read_inputs(
        &self,
        (fields, content, line): (&Fields, &[u8], u64),
        inputs: &mut Vec<TermInput>,
        offset: &mut f64,
        problems: &mut Vec<DataError>,
    ) {
        let columns = self.columns;
        for (k, column) in self.needed.iter().enumerate() {
            let quick = match (column.reading, &column.known) {
                (Reading::Level, Some(known)) => known
                    .index
                    .find(columns.field(fields, content, k))
                    .map(TermInput::Level),
                (Reading::Boolean, _) => {
                    let raw = columns.field(fields, content, k);
                    recontact_input::values::parse_bool_bytes(raw)
                        .map(|b| TermInput::Number(if b { 1.0 } else { 0.0 }))
                }
                _ => column
                    .accept_number(columns.number(fields, k))
                    .map(TermInput::Number),
            };
            let input = match quick {
                Some(input) => Ok(input),
                None => match columns.text(fields, content, k, line) {
                    Err(error) => {
                        problems.push(*error);
                        continue;
                    }
                    Ok(text) => read_input(column, text),
                },
            };
            match input {
                Ok(TermInput::Number(v)) if column.reading == Reading::Offset => *offset = v,
                Ok(input) => inputs.push(input),
                Err((problem, text)) => {
                    problems.push(columns.invalid(k, line, problem, text.to_string()))
                }
            }
        }
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
        if self.on_invalid == OnInvalid::Skip && self.rejecting {
            done.rejected += 1;
            let out = &mut done.rejects;
            let number = if self.rows { line - 1 } else { line };
            out.extend_from_slice(number.to_string().as_bytes());
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

/// A field's text that the quick reading of [`Job::read_inputs`] did not take, read as
/// `column` reads it: the input, or the problem with the text.
fn read_input<'t>(column: &Needed, text: &'t str) -> Result<TermInput, (DataProblem, &'t str)> {
    let value = column.read(text).map_err(|problem| (problem, text))?;
    match &column.known {
        // A known level was found by its bytes already; this is for completeness.
        Some(known) => (known.index.find(text.as_bytes()))
            .map(TermInput::Level)
            .ok_or((DataProblem::UnknownLevel, text)),
        None => Ok(TermInput::Number(value)),
    }
}

/// Writes a scored record: its bytes, the probability, the logit and the explained
/// values. Finite inputs can still overflow (1e308 times a coefficient of 10): such a
/// row is invalid, never written with an infinite or NaN number.
#[inline]
fn write_scored(
    out: &mut Vec<u8>,
    logit: f64,
    explained: &[f64],
    content: &[u8],
    end: &[u8],
) -> Result<(), Overflow> {
    let overflow = std::iter::once(logit)
        .chain(explained.iter().copied())
        .find(|v| !v.is_finite());
    if let Some(value) = overflow {
        return Err(Overflow(value));
    }
    let probability = recontact_stats::distributions::logistic(logit);
    out.extend_from_slice(content);
    out.push(b',');
    write_number(out, probability);
    out.push(b',');
    write_number(out, logit);
    for value in explained {
        out.push(b',');
        write_number(out, *value);
    }
    out.extend_from_slice(end);
    Ok(())
}

/// A logit or an explained value that is not finite.
struct Overflow(f64);

impl Overflow {
    fn located(self, source_name: &str, line: u64) -> DataError {
        let mut error = DataError::new(source_name, DataProblem::NonFiniteLogit);
        error.line = Some(line);
        error.value = Some(self.0.to_string());
        error.allowed =
            Some("values for which every term's contribution and the logit are finite".into());
        error
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

    /// A reader that gives `good` bytes, then fails.
    struct Failing<'a> {
        good: &'a [u8],
    }

    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.good.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "the pipe broke",
                ));
            }
            let n = self.good.len().min(buf.len());
            buf[..n].copy_from_slice(&self.good[..n]);
            self.good = &self.good[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_and_write_failures_keep_the_io_error_as_their_source() {
        use std::error::Error as _;
        let model = default_model();
        let error = BatchScorer::new(&model)
            .run("in.csv", Failing { good: b"" }, &mut Vec::new())
            .unwrap_err();
        assert_eq!(error.to_string(), "in.csv: cannot be read: the pipe broke");
        let source = error.source().and_then(|e| e.downcast_ref::<io::Error>());
        assert_eq!(
            source.map(io::Error::kind),
            Some(io::ErrorKind::ConnectionReset)
        );

        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "no room"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let data = include_str!("../../../data/recontact_outcomes.csv");
        let error = BatchScorer::new(&model)
            .run("in.csv", data.as_bytes(), &mut Full)
            .unwrap_err();
        assert_eq!(error.to_string(), "cannot write the output: no room");
        let source = error.source().and_then(|e| e.downcast_ref::<io::Error>());
        assert_eq!(
            source.map(io::Error::kind),
            Some(io::ErrorKind::StorageFull)
        );
    }

    #[test]
    fn unusable_options_are_refused_before_any_byte_is_read() {
        let model = default_model();
        for (scorer, expected) in [
            (
                BatchScorer::new(&model).logit_column(""),
                "the column for the logit would have an empty name",
            ),
            (
                BatchScorer::new(&model).max_columns(0),
                "the most columns accepted in the header is 0: no input could be read",
            ),
        ] {
            // The input fails at its first read: an error about it would mean it was read.
            let error = scorer
                .run("in.csv", Failing { good: b"" }, &mut Vec::new())
                .unwrap_err();
            assert!(matches!(error, BatchError::Options(_)), "{error}");
            assert_eq!(error.to_string(), expected);
        }
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
