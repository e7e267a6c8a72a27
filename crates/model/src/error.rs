//! Typed errors of the scoring core. Each says where and what, so a person can fix it.

use thiserror::Error;

use crate::robust::CovarianceType;

pub use recontact_input::error::{DataError, DataProblem};

/// A problem with a model specification.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SpecError {
    /// The TOML could not be parsed into a spec.
    #[error("{source_name}: {message}")]
    Syntax {
        /// The spec file's name.
        source_name: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The spec parses but is inconsistent.
    #[error("invalid model specification: {0}")]
    Invalid(String),
}

/// Why a fit failed.
///
/// The messages state the problem and what would solve it in terms of the library (its
/// options and functions); a program around it adds its own hints (a command-line tool
/// names its flags).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FitError {
    /// Reading the data failed.
    #[error("{}", join_lines(.0))]
    Data(Vec<DataError>),
    /// The options were refused before any work (see [`crate::FitOptions::check`]).
    #[error(transparent)]
    Options(#[from] FitOptionsError),
    /// What remains without a variant of its own: an inconsistency between the request
    /// and the data found by the readers or the streaming fit (the outcome named as the
    /// predictions, a fit by passes asked for what only an in-memory fit gives). The
    /// message says what and where.
    #[error("{0}")]
    Encoding(String),
    /// A categorical term's reference level does not occur in the data.
    #[error(
        "reference level {reference:?} of `{column}` does not occur in the data; levels seen: {}",
        levels.join(", ")
    )]
    UnknownReference {
        /// The term's column.
        column: String,
        /// The reference asked for.
        reference: String,
        /// The levels the data have, sorted.
        levels: Vec<String>,
    },
    /// A column a term reads is not among the data read.
    #[error("column `{column}` was not read")]
    ColumnNotRead {
        /// The column.
        column: String,
    },
    /// The data have a level of a categorical term that the encoding does not know.
    #[error(
        "`{column}` has level {level:?}, which the model was not fitted with; it knows {}",
        known.join(", ")
    )]
    UnknownLevel {
        /// The term's column.
        column: String,
        /// The level in the data.
        level: String,
        /// The encoding's levels.
        known: Vec<String>,
    },
    /// The default knots of a restricted cubic spline cannot be placed.
    #[error(
        "rcs term `{column}`: default knots for k = {k} on {n} values: {problem}; use fewer \
         knots or give them explicitly"
    )]
    DefaultKnots {
        /// The term's column.
        column: String,
        /// The number of knots asked for.
        k: usize,
        /// Values of the column.
        n: usize,
        /// Why they cannot be placed.
        problem: String,
    },
    /// A design column's sum of squares overflows, so it cannot be scaled.
    #[error(
        "the values of `{term}` are too large to fit: their sum of squares is not finite; \
         rescale the column (or give it bounds in the spec)"
    )]
    ValuesTooLarge {
        /// The design column.
        term: String,
    },
    /// A prior whose mean or precision does not match the design.
    #[error("the prior has {values} values for {columns} design columns")]
    PriorSize {
        /// Values in the prior's mean.
        values: usize,
        /// Design columns.
        columns: usize,
    },
    /// A robust covariance was asked for with frequency weights.
    #[error(
        "a robust covariance ({}) is not available with frequency weights: with them a row \
         stands for several independent ones, which the sandwich cannot tell from one row; \
         expand the rows or use the model covariance",
        .0.name()
    )]
    RobustWithWeights(CovarianceType),
    /// A robust covariance was asked for with a prior.
    #[error(
        "a robust covariance ({}) is not available for a fit shrunk toward a prior",
        .0.name()
    )]
    RobustWithPrior(CovarianceType),
    /// Profile-likelihood intervals were asked for with a prior.
    #[error(
        "profile-likelihood intervals are available for maximum-likelihood and Firth fits, \
         not for L2- or prior-penalised ones; use Wald intervals"
    )]
    ProfileWithPrior,
    /// The robust covariance cannot be formed.
    #[error(transparent)]
    Covariance(#[from] CovarianceError),
    /// A Newton step was asked for with outcomes or coefficients that do not match the design.
    #[error(
        "a Newton step needs one outcome per row and one coefficient per column; got {rows} \
         rows, {outcomes} outcomes, {columns} columns, {coefficients} coefficients"
    )]
    Shape {
        /// Rows of the design.
        rows: usize,
        /// Outcomes given.
        outcomes: usize,
        /// Columns of the design.
        columns: usize,
        /// Coefficients given.
        coefficients: usize,
    },
    /// No rows to fit.
    #[error("no rows to fit")]
    NoRows,
    /// Rows with problems, counted by a store that cannot say where they are (a fit from
    /// sums); leave them out with [`crate::InvalidRows::Drop`].
    #[error(
        "{rows} of {rows_read} rows have invalid values ({}); leave them out \
         (InvalidRows::Drop) or mend them",
        counted(.reasons)
    )]
    InvalidRowsCounted {
        /// Rows with at least one problem.
        rows: u64,
        /// Every row of the source.
        rows_read: u64,
        /// How many fields have each problem, by `column: problem`.
        reasons: std::collections::BTreeMap<String, u64>,
    },
    /// A categorical column has more distinct levels than the spec allows.
    #[error(
        "column `{column}` has more than {limit} distinct levels: a column with this many is \
         most likely an identifier, not a category (raise max_levels in the spec)"
    )]
    TooManyLevels {
        /// The column.
        column: String,
        /// The spec's limit.
        limit: usize,
    },
    /// The design matrix does not fit in the memory that can be allocated.
    #[error(
        "the design matrix of {rows} rows × {columns} columns needs {:.0} MiB, which cannot be \
         allocated here; use fewer terms or levels, or fit by passes over the file \
         (`fit_streaming`)",
        self.design_mebibytes()
    )]
    DesignTooLarge {
        /// Rows of the design.
        rows: usize,
        /// Columns of the design.
        columns: usize,
    },
    /// The outcome has one value only, so there is nothing to discriminate.
    #[error("every outcome is {0}: a model needs both successes and failures")]
    ConstantOutcome(u8),
    /// Columns of the design are exact linear combinations of earlier ones.
    #[error("exactly collinear terms: {}; drop them or merge categories", describe_aliases(.0))]
    Collinear(Vec<Alias>),
    /// The maximum-likelihood estimate does not exist: the data are separated.
    #[error(
        "{kind} separation: the outcome is predicted perfectly by {terms}, so some estimates \
         are infinite; refit bias-reduced (`FitOptions::firth`) or penalised \
         (`FitOptions::l2`), or merge categories",
        kind = self.separation_kind().unwrap_or_default(),
        terms = .terms.join(", ")
    )]
    Separation {
        /// True when every row is predicted perfectly; false when some lie on the boundary.
        complete: bool,
        /// The terms whose estimates run off to infinity.
        terms: Vec<String>,
    },
    /// The iterations did not converge.
    #[error(
        "did not converge in {iterations} iterations: last deviance change {relative_change:e}, \
         gradient norm {gradient_norm:e}; try more iterations, an L2 penalty or Firth's method"
    )]
    NotConverged {
        /// Iterations made.
        iterations: usize,
        /// Relative change of the deviance in the last iteration.
        relative_change: f64,
        /// Largest absolute gradient component at the last estimate.
        gradient_norm: f64,
    },
    /// The information matrix cannot be inverted at the estimate.
    #[error("the information matrix is singular at the estimate: {0}")]
    Singular(String),
}

impl FitError {
    /// The space a [`FitError::DesignTooLarge`] design needs, in MiB (8 bytes a value).
    ///
    /// ```rust
    /// use recontact_model::FitError;
    /// let error = FitError::DesignTooLarge { rows: 1024, columns: 128 };
    /// assert_eq!(error.design_mebibytes(), 1.0);
    /// assert_eq!(FitError::NoRows.design_mebibytes(), 0.0);
    /// ```
    pub fn design_mebibytes(&self) -> f64 {
        match self {
            FitError::DesignTooLarge { rows, columns } => {
                (*rows as f64) * (*columns as f64) * 8.0 / 1048576.0
            }
            _ => 0.0,
        }
    }

    /// `complete` or `quasi-complete` for a [`FitError::Separation`]; `None` otherwise.
    ///
    /// ```rust
    /// use recontact_model::FitError;
    /// let error = FitError::Separation { complete: false, terms: vec!["x".into()] };
    /// assert_eq!(error.separation_kind(), Some("quasi-complete"));
    /// assert!(error.to_string().starts_with("quasi-complete separation: "));
    /// ```
    pub fn separation_kind(&self) -> Option<&'static str> {
        match self {
            FitError::Separation { complete: true, .. } => Some("complete"),
            FitError::Separation {
                complete: false, ..
            } => Some("quasi-complete"),
            _ => None,
        }
    }
}

/// Options of a fit that [`crate::FitOptions::check`] refuses, before any data are read.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum FitOptionsError {
    /// The L2 penalty is negative or not finite.
    #[error("the L2 penalty must be 0 or more, got {0}")]
    L2Penalty(f64),
    /// The confidence level is not strictly between 0 and 1.
    #[error("the confidence level must lie in (0, 1), got {0}")]
    Level(f64),
    /// The convergence tolerance is negative or not finite.
    #[error("the convergence tolerance must be a finite number, 0 or more, got {0}")]
    Tolerance(f64),
    /// No Newton iteration is allowed.
    #[error("the fit needs at least one Newton iteration, got 0")]
    NoIterations,
    /// A robust covariance with Firth's penalty: the sandwich of a penalised score has
    /// no agreed meaning.
    #[error(
        "a robust covariance ({}) is not defined for a Firth fit; use the model covariance \
         with Firth's method, or fit without it",
        .0.name()
    )]
    RobustWithFirth(CovarianceType),
    /// Profile-likelihood intervals of an L2-penalised fit.
    #[error(
        "profile-likelihood intervals are available for maximum-likelihood and Firth fits, \
         not for L2- or prior-penalised ones; use Wald intervals"
    )]
    ProfileWithL2,
}

/// Why a robust covariance cannot be formed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CovarianceError {
    /// No more rows than coefficients.
    #[error(
        "a robust covariance needs more rows than coefficients: {rows} rows, {coefficients} \
         coefficients"
    )]
    TooFewRows {
        /// Rows of the fit.
        rows: usize,
        /// Coefficients.
        coefficients: usize,
    },
    /// A cluster-robust covariance without clusters.
    #[error("a cluster-robust covariance needs a cluster column")]
    NoClusters,
    /// The cluster column was not read as labels.
    #[error(
        "the cluster column `{0}` was not read as labels from the data; read the data with a \
         spec given it by `Spec::with_cluster_column`"
    )]
    ClusterColumnNotRead(String),
    /// A cluster per row is needed.
    #[error("the cluster column `{column}` has {values} values for {rows} rows")]
    ClusterLength {
        /// The cluster column.
        column: String,
        /// Its values.
        values: usize,
        /// Rows of the fit.
        rows: usize,
    },
    /// Fewer than two clusters among the rows used.
    #[error(
        "the cluster column `{column}` has {count} distinct value(s) among the rows used; a \
         cluster-robust covariance needs at least 2 clusters"
    )]
    TooFewClusters {
        /// The cluster column.
        column: String,
        /// Distinct clusters.
        count: usize,
    },
}

/// An input of a row given by column name that does not fit the model (see
/// [`crate::Encoding::inputs_by_name`]). Each lists what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InputError {
    /// A name that is not one of the model's input columns.
    #[error("the model has no input `{column}`; its inputs are {}", columns.join(", "))]
    UnknownColumn {
        /// The name given.
        column: String,
        /// The model's input columns, in order.
        columns: Vec<String>,
    },
    /// A level that the categorical term was not fitted with.
    #[error("`{column}` has no level {level:?}; its levels are {}", levels.join(", "))]
    UnknownLevel {
        /// The term's column.
        column: String,
        /// The level given.
        level: String,
        /// The term's levels.
        levels: Vec<String>,
    },
    /// A level for a term that takes a number, or a number for a categorical term.
    #[error("`{column}` takes {expected}, not {given}")]
    Kind {
        /// The term's column.
        column: String,
        /// What the term takes: `a number`, `a level` or `a boolean or 0/1`.
        expected: &'static str,
        /// What was given.
        given: &'static str,
    },
    /// An input column given more than once.
    #[error("`{column}` is given more than once")]
    Repeated {
        /// The column.
        column: String,
    },
    /// An input column not given.
    #[error("`{column}` is not given; every input is needed: {}", columns.join(", "))]
    Missing {
        /// The column.
        column: String,
        /// The model's input columns, in order.
        columns: Vec<String>,
    },
}

/// A design column that is an exact linear combination of earlier columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    /// The aliased term.
    pub term: String,
    /// The earlier terms it is a combination of.
    pub of: Vec<String>,
}

fn describe_aliases(aliases: &[Alias]) -> String {
    aliases
        .iter()
        .map(|a| {
            if a.of.is_empty() {
                format!("`{}` is constant zero", a.term)
            } else {
                format!("`{}` = combination of {}", a.term, a.of.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn join_lines(errors: &[DataError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A model file that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Not valid JSON, or not a model.
    #[error("{source_name}: not a recontact model file: {message}")]
    Format {
        /// The file's name.
        source_name: String,
        /// What the JSON parser said, with line and column.
        message: String,
    },
    /// `schema_version` is missing or not an integer.
    #[error(
        "{source_name}: {}",
        match found {
            None => format!("no schema_version: expected the integer {SUPPORTED_SCHEMA}"),
            Some(found) => format!("schema_version must be an integer, found {found}"),
        }
    )]
    SchemaVersion {
        /// The file's name.
        source_name: String,
        /// The value found, described (`the string "1"`, `the number 1.0`); `None` when absent.
        found: Option<String>,
    },
    /// Written by a newer version of the tool.
    #[error(
        "{source_name}: model schema version {found} is newer than this tool reads ({supported}); \
         upgrade recontact"
    )]
    NewerSchema {
        /// The file's name.
        source_name: String,
        /// The version in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A schema version that never existed (below the first).
    #[error(
        "{source_name}: model schema version {found} is not supported; this tool reads version \
         {supported}"
    )]
    UnsupportedSchema {
        /// The file's name.
        source_name: String,
        /// The version in the file.
        found: i64,
        /// The version this build reads.
        supported: u32,
    },
    /// The file parses but one of its fields breaks an invariant.
    #[error("{source_name}: invalid model: {path}: {problem}")]
    Invalid {
        /// The file's name.
        source_name: String,
        /// Where in the file, as a field path (`encoding.terms[3].knots`).
        path: String,
        /// What is wrong, and what is allowed.
        problem: ModelProblem,
    },
}

/// The schema version the messages of [`ModelError::SchemaVersion`] name.
const SUPPORTED_SCHEMA: u32 = crate::model::SCHEMA_VERSION;

/// What is wrong with one field of a model file (see [`crate::Model::check`]).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ModelProblem {
    /// A spline term with fewer knots than its kind needs.
    #[error("{found} knot(s) given; a {kind} term needs at least {needed}")]
    TooFewKnots {
        /// `rcs` or `spline`.
        kind: &'static str,
        /// Knots in the file.
        found: usize,
        /// The fewest the term needs.
        needed: usize,
    },
    /// Knots that are not strictly increasing.
    #[error("knots {knots:?} are not strictly increasing; each knot must exceed the one before")]
    KnotsNotIncreasing {
        /// The knots in the file.
        knots: Vec<f64>,
    },
    /// Restricted-cubic-spline knots so close that the basis overflows.
    #[error(
        "knots {knots:?} are too close together for the spline's arithmetic; allowed: a span \
         of at least 1e-100 and gaps of at least 1e-12 of the span"
    )]
    KnotsTooClose {
        /// The knots in the file.
        knots: Vec<f64>,
    },
    /// A number that is NaN or infinite.
    #[error("{value} is not a finite number")]
    NotFinite {
        /// The value.
        value: f64,
    },
    /// A finite number of absurd magnitude.
    #[error("{value:e} is too large; allowed: magnitude at most {limit:e}")]
    TooLarge {
        /// The value.
        value: f64,
        /// The largest magnitude allowed.
        limit: f64,
    },
    /// A number outside its range.
    #[error("{value} is out of range; allowed: {allowed}")]
    OutOfRange {
        /// The value.
        value: f64,
        /// The range, in words.
        allowed: &'static str,
    },
    /// Two numbers that must be ordered are not (a lower limit above an upper limit).
    #[error("{low_name} {low} is above {high_name} {high}; allowed: {low_name} <= {high_name}")]
    Unordered {
        /// The lower field's name.
        low_name: &'static str,
        /// Its value.
        low: f64,
        /// The upper field's name.
        high_name: &'static str,
        /// Its value.
        high: f64,
    },
    /// A categorical reference that is not one of the term's levels.
    #[error("reference level {reference:?} is not among the levels [{}]", levels.join(", "))]
    UnknownReference {
        /// The reference in the file.
        reference: String,
        /// The term's levels.
        levels: Vec<String>,
    },
    /// A level that appears more than once.
    #[error("level {level:?} appears more than once; allowed: distinct levels")]
    DuplicateLevel {
        /// The repeated level.
        level: String,
    },
    /// An empty level.
    #[error("a level is empty; allowed: non-empty levels")]
    EmptyLevel,
    /// A list or matrix of the wrong size.
    #[error("{found} {what} stored but the encoding has {expected} design columns")]
    Length {
        /// What is counted (`coefficients`, `rows`, `entries`).
        what: &'static str,
        /// How many the file has.
        found: usize,
        /// How many the encoding needs.
        expected: usize,
    },
    /// A coefficient stored under another design column's name.
    #[error("coefficient `{found}` stands where the encoding has `{expected}`")]
    Name {
        /// The name in the file.
        found: String,
        /// The design column's name.
        expected: String,
    },
    /// A covariance matrix that is not symmetric.
    #[error(
        "the covariance matrix is not symmetric: entry [{row}][{column}] is {upper} but \
         [{column}][{row}] is {lower}"
    )]
    Asymmetric {
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        column: usize,
        /// The entry.
        upper: f64,
        /// Its mirror image.
        lower: f64,
    },
    /// The spec and the encoding describe different models.
    #[error("the encoding has {encoding} where the spec has {spec}; they must agree term by term")]
    SpecMismatch {
        /// What the spec says, in words.
        spec: String,
        /// What the encoding says, in words.
        encoding: String,
    },
    /// An interaction whose term is absent.
    #[error("interaction refers to `{column}`, which has no main term in the encoding")]
    MissingParent {
        /// The column without a main term.
        column: String,
    },
    /// A column with more than one main term, or an interaction of a term with itself.
    #[error("column `{column}` is used twice; allowed: one main term per column, interactions of two different terms")]
    DuplicateColumn {
        /// The column.
        column: String,
    },
    /// A numeric summary of a column that has no numeric term.
    #[error("a summary of `{column}`, which has no numeric, spline or rcs term")]
    UnknownColumn {
        /// The column.
        column: String,
    },
    /// The stored spec does not pass its own check.
    #[error("{0}")]
    Spec(String),
    /// A name that is not one of the choices of its field.
    #[error("{found} is not a known value; allowed: {allowed}")]
    UnknownChoice {
        /// The value in the file, as JSON.
        found: String,
        /// The choices, in words.
        allowed: &'static str,
    },
    /// Fields that contradict each other.
    #[error("{0}")]
    Inconsistent(String),
}

/// Problem counts as `reason: count` in a list.
fn counted(reasons: &std::collections::BTreeMap<String, u64>) -> String {
    reasons
        .iter()
        .map(|(reason, count)| format!("{reason}: {count}"))
        .collect::<Vec<_>>()
        .join("; ")
}
