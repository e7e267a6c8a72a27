//! The arguments that define a modelling procedure — the spec (a file or term flags) and
//! the fitting options — shared by the commands that fit (`fit`, `validate`), so both
//! read the same flags the same way.

use std::path::{Path, PathBuf};

use recontact_scoring::{
    read_dataset, Dataset, FitOptions, InvalidRows, Spec, SpecConfig, TermConfig, Transform,
};

use crate::progress::Progress;
use crate::{input, Failure};

/// The model specification: a TOML file, term flags, or (neither) the default re-contact
/// spec.
#[derive(clap::Args)]
pub struct SpecArgs {
    /// A TOML model specification.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["outcome", "numeric", "log1p", "boolean", "categorical", "rcs", "spline", "interaction"])]
    spec: Option<PathBuf>,
    /// The 0/1 outcome column (with term flags).
    #[arg(long, value_name = "COL")]
    outcome: Option<String>,
    /// Numeric columns, entering linearly.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    numeric: Vec<String>,
    /// Numeric columns entering as ln(1 + x).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    log1p: Vec<String>,
    /// Boolean columns.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    boolean: Vec<String>,
    /// Categorical columns; `COL=LEVEL` sets the reference level.
    #[arg(long, value_name = "C,D=REF", value_delimiter = ',')]
    categorical: Vec<String>,
    /// Restricted cubic spline: `COL:K` (K knots at default quantiles) or `COL:k1/k2/k3`.
    #[arg(long, value_name = "COL:K")]
    rcs: Vec<String>,
    /// Linear spline with hinges: `COL:k1/k2`.
    #[arg(long, value_name = "COL:K1/K2")]
    spline: Vec<String>,
    /// Interaction of two term columns: `A:B`.
    #[arg(long, value_name = "A:B")]
    interaction: Vec<String>,
    /// Fit without an intercept.
    #[arg(long)]
    no_intercept: bool,
    /// A column of frequency weights (overrides the spec's).
    #[arg(long, value_name = "COL")]
    weights: Option<String>,
    /// An offset column (overrides the spec's).
    #[arg(long, value_name = "COL")]
    offset: Option<String>,
    /// Pin the allowed levels of a categorical column (repeatable): any other value is
    /// invalid data, reported with its line.
    #[arg(long = "levels", value_name = "COL=L1,L2")]
    pinned_levels: Vec<String>,
    /// Most distinct levels a categorical column may have (overrides the spec's
    /// `max_levels`; default 1000).
    #[arg(long, value_name = "N", value_parser = super::bounded(2, recontact_scoring::spec::MAX_PINNED_LEVELS as u64))]
    max_levels: Option<usize>,
}

/// Levels seen in fewer rows than this are named in a warning when they are not pinned.
const RARE_LEVEL_ROWS: u64 = 5;

/// How the weights are estimated.
#[derive(clap::Args)]
pub struct FitOptionArgs {
    /// L2 penalty λ (never on the intercept).
    #[arg(long, value_name = "L", default_value_t = 0.0, allow_negative_numbers = true,
          value_parser = super::non_negative)]
    l2: f64,
    /// Firth's bias-reduced likelihood (small samples, separation).
    #[arg(long, conflicts_with = "l2")]
    firth: bool,
    /// Newton iterations at most.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = super::bounded(1, 10_000))]
    max_iterations: usize,
}

impl FitOptionArgs {
    /// Whether --firth was given.
    pub fn firth(&self) -> bool {
        self.firth
    }

    /// The --l2 penalty.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// The fitting options, with Wald intervals at `level`.
    pub fn options(&self, level: f64) -> FitOptions {
        FitOptions {
            l2: self.l2,
            firth: self.firth,
            max_iterations: self.max_iterations,
            level,
            ..FitOptions::default()
        }
    }
}

fn split_pair<'a>(
    text: &'a str,
    separator: char,
    what: &str,
) -> Result<(&'a str, &'a str), Failure> {
    text.split_once(separator)
        .ok_or_else(|| Failure::Usage(format!("{what} `{text}`: expected the form A{separator}B")))
}

fn knots(text: &str) -> Result<Vec<f64>, Failure> {
    text.split('/')
        .map(|k| {
            k.parse::<f64>()
                .map_err(|_| Failure::Usage(format!("knot `{k}` is not a number")))
        })
        .collect()
}

impl SpecArgs {
    /// The spec file given with --spec, if any.
    pub fn file(&self) -> Option<&Path> {
        self.spec.as_deref()
    }

    fn flags_config(&self) -> Result<Option<SpecConfig>, Failure> {
        let any_term = !(self.numeric.is_empty()
            && self.log1p.is_empty()
            && self.boolean.is_empty()
            && self.categorical.is_empty()
            && self.rcs.is_empty()
            && self.spline.is_empty()
            && self.interaction.is_empty());
        let Some(outcome) = self.outcome.clone() else {
            if any_term {
                return Err(Failure::Usage("term flags need --outcome COL".into()));
            }
            return Ok(None);
        };
        let mut terms = Vec::new();
        for column in &self.numeric {
            terms.push(TermConfig::Numeric {
                column: column.clone(),
                transform: Transform::None,
            });
        }
        for column in &self.log1p {
            terms.push(TermConfig::Numeric {
                column: column.clone(),
                transform: Transform::Log1p,
            });
        }
        for column in &self.boolean {
            terms.push(TermConfig::Boolean {
                column: column.clone(),
            });
        }
        for entry in &self.categorical {
            let (column, reference) = match entry.split_once('=') {
                Some((c, r)) => (c.to_string(), Some(r.to_string())),
                None => (entry.clone(), None),
            };
            terms.push(TermConfig::Categorical {
                column,
                reference,
                levels: None,
            });
        }
        for entry in &self.rcs {
            let (column, rest) = split_pair(entry, ':', "--rcs")?;
            let term = if rest.contains('/') {
                TermConfig::Rcs {
                    column: column.into(),
                    knots: Some(knots(rest)?),
                    k: None,
                }
            } else {
                let k = rest.parse().map_err(|_| {
                    Failure::Usage(format!("--rcs {entry}: `{rest}` is not a knot count"))
                })?;
                TermConfig::Rcs {
                    column: column.into(),
                    knots: None,
                    k: Some(k),
                }
            };
            terms.push(term);
        }
        for entry in &self.spline {
            let (column, rest) = split_pair(entry, ':', "--spline")?;
            terms.push(TermConfig::Spline {
                column: column.into(),
                knots: knots(rest)?,
            });
        }
        for entry in &self.interaction {
            let (a, b) = split_pair(entry, ':', "--interaction")?;
            terms.push(TermConfig::Interaction {
                between: [a.into(), b.into()],
            });
        }
        Ok(Some(SpecConfig {
            outcome,
            intercept: true,
            weights: None,
            offset: None,
            terms,
            bounds: Default::default(),
            max_levels: None,
            levers: Vec::new(),
            cautions: Vec::new(),
        }))
    }

    /// Whether a spec file or term flags were given (not the default spec).
    pub fn given(&self) -> bool {
        self.spec.is_some() || self.outcome.is_some()
    }

    /// The spec in words: its file, or the term flags.
    pub fn describe(&self) -> String {
        match &self.spec {
            Some(path) => format!("spec {}", path.display()),
            None if self.outcome.is_some() => "the spec given by the term flags".to_string(),
            None => "the default re-contact spec".to_string(),
        }
    }

    /// The spec as given (file, flags or the default), with the flag overrides applied,
    /// and its checked form. A spec that cannot be read is an I/O failure; one that is
    /// not valid is a usage error.
    pub fn load(&self) -> Result<(SpecConfig, Spec), Failure> {
        let mut config = match (&self.spec, self.flags_config()?) {
            (Some(path), _) => read_spec_file(path)?,
            (None, Some(config)) => config,
            (None, None) => {
                recontact_domain::default_spec().map_err(|e| Failure::Usage(e.to_string()))?
            }
        };
        if self.no_intercept {
            config.intercept = false;
        }
        if self.weights.is_some() {
            config.weights = self.weights.clone();
        }
        if self.offset.is_some() {
            config.offset = self.offset.clone();
        }
        if self.max_levels.is_some() {
            config.max_levels = self.max_levels;
        }
        for entry in &self.pinned_levels {
            pin_levels(&mut config, entry)?;
        }
        let spec = config.clone().check().map_err(|e| match &self.spec {
            Some(path) => Failure::Usage(format!("{}: {e}", path.display())),
            None => Failure::Usage(e.to_string()),
        })?;
        Ok((config, spec))
    }
}

/// Applies `--levels COL=L1,L2` to the categorical term of `COL`.
fn pin_levels(config: &mut SpecConfig, entry: &str) -> Result<(), Failure> {
    let (column, list) = split_pair(entry, '=', "--levels")?;
    let term = config.terms.iter_mut().find_map(|t| match t {
        TermConfig::Categorical {
            column: c, levels, ..
        } if c == column => Some(levels),
        _ => None,
    });
    let Some(levels) = term else {
        return Err(Failure::Usage(format!(
            "--levels {entry}: the spec has no categorical term for `{column}`"
        )));
    };
    *levels = Some(list.split(',').map(str::to_string).collect());
    Ok(())
}

/// Warns of levels of unpinned categorical columns seen in only a few rows: a typing
/// mistake (`Hiring Manager` for `hiring_manager`) becomes a level of its own otherwise.
fn warn_of_rare_levels(data: &Dataset, spec: &Spec) {
    const LISTED: usize = 20;
    let rare: Vec<_> = data
        .rare_levels(RARE_LEVEL_ROWS)
        .into_iter()
        .filter(|r| spec.pinned_levels(&r.column).is_none())
        .collect();
    for level in rare.iter().take(LISTED) {
        let rows = if level.rows == 1 { "row" } else { "rows" };
        let first = level
            .first_line
            .map_or(String::new(), |line| format!(", first on line {line}"));
        eprintln!(
            "warning: {}: column {}: level {:?} is in only {} {rows}{first}; a typing mistake, \
             or too rare to estimate? (pin the allowed levels with `levels = [...]` in the spec \
             or --levels {}=...)",
            data.source_name, level.column, level.level, level.rows, level.column
        );
    }
    if rare.len() > LISTED {
        eprintln!("warning: ... and {} more rare levels", rare.len() - LISTED);
    }
}

/// Reads a TOML spec file through the bounded reader: one that cannot be read is an I/O
/// failure; one too large, not UTF-8 or not a spec is a usage error, as any invalid spec.
pub fn read_spec_file(path: &Path) -> Result<SpecConfig, Failure> {
    let file = input::read_text_bounded(path, input::MAX_SMALL_FILE_BYTES, "spec file").map_err(
        |failure| match failure {
            input::ReadFailure::Io(message) => Failure::Io(message),
            input::ReadFailure::Invalid(message) => Failure::Usage(message),
        },
    )?;
    SpecConfig::from_toml(&path.display().to_string(), file.text())
        .map_err(|e| Failure::Usage(e.to_string()))
}

/// Reads the columns `spec` needs from `path` (or standard input for `-`); with
/// `drop_invalid`, rows with invalid values are left out and, unless `quiet`, counted on
/// standard error by reason.
pub fn read_data(
    path: &Path,
    spec: &Spec,
    drop_invalid: bool,
    quiet: bool,
) -> Result<Dataset, Failure> {
    let input = input::open(path).map_err(Failure::Io)?;
    let invalid = if drop_invalid {
        InvalidRows::Drop
    } else {
        InvalidRows::Fail
    };
    let progress = Progress::spinner(quiet, &format!("reading {}", input.name));
    let data = read_dataset(&input.name, input.reader, spec, invalid);
    progress.finish();
    let data = data.map_err(super::fit_failure)?;
    if !quiet && data.dropped.rows > 0 {
        eprintln!(
            "dropped {} of {} rows with missing or invalid values:",
            data.dropped.rows, data.rows_read
        );
        for (reason, count) in &data.dropped.reasons {
            eprintln!("  {count:>8}  {reason}");
        }
    }
    if !quiet {
        warn_of_rare_levels(&data, spec);
    }
    Ok(data)
}
