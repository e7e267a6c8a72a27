//! `recontact fit`: calibrate a model's weights on outcome data.

use std::io::Write;
use std::path::PathBuf;

use recontact_scoring::{
    fit, read_dataset, FitOptions, InvalidRows, Model, SpecConfig, TermConfig, Transform,
};

use crate::output::Output;
use crate::{input, Failure};

use super::summary::render_table;

/// Fit a logistic scoring model by maximum likelihood and write the model file.
///
/// Without --spec or term flags, the default re-contact spec (data/default_spec.toml) is used.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact fit --data data/recontact_outcomes.csv --out model.json\n  \
recontact fit --data my.csv --spec my_spec.toml --out model.json\n  \
recontact fit --data my.csv --outcome y --numeric age --categorical region --boolean smoker --out model.json\n  \
recontact fit --data small.csv --spec spec.toml --firth --out model.json")]
pub struct Args {
    /// The outcome data (CSV), or `-` for standard input.
    #[arg(long, value_name = "CSV|-")]
    data: PathBuf,
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
    /// L2 penalty λ (never on the intercept).
    #[arg(long, value_name = "L", default_value_t = 0.0)]
    l2: f64,
    /// Firth's bias-reduced likelihood (small samples, separation).
    #[arg(long, conflicts_with = "l2")]
    firth: bool,
    /// A column of frequency weights (overrides the spec's).
    #[arg(long, value_name = "COL")]
    weights: Option<String>,
    /// An offset column (overrides the spec's).
    #[arg(long, value_name = "COL")]
    offset: Option<String>,
    /// Leave out rows with missing or invalid values and report them (default: stop).
    #[arg(long)]
    drop_invalid: bool,
    /// Newton iterations at most.
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_iterations: usize,
    /// Confidence level of the intervals.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    level: f64,
    /// Where to write the model file (atomically).
    #[arg(long, short = 'o', value_name = "MODEL.json")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
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

fn spec_from_flags(args: &Args) -> Result<Option<SpecConfig>, Failure> {
    let any_term = !(args.numeric.is_empty()
        && args.log1p.is_empty()
        && args.boolean.is_empty()
        && args.categorical.is_empty()
        && args.rcs.is_empty()
        && args.spline.is_empty()
        && args.interaction.is_empty());
    let Some(outcome) = args.outcome.clone() else {
        if any_term {
            return Err(Failure::Usage("term flags need --outcome COL".into()));
        }
        return Ok(None);
    };
    let mut terms = Vec::new();
    for column in &args.numeric {
        terms.push(TermConfig::Numeric {
            column: column.clone(),
            transform: Transform::None,
        });
    }
    for column in &args.log1p {
        terms.push(TermConfig::Numeric {
            column: column.clone(),
            transform: Transform::Log1p,
        });
    }
    for column in &args.boolean {
        terms.push(TermConfig::Boolean {
            column: column.clone(),
        });
    }
    for entry in &args.categorical {
        let (column, reference) = match entry.split_once('=') {
            Some((c, r)) => (c.to_string(), Some(r.to_string())),
            None => (entry.clone(), None),
        };
        terms.push(TermConfig::Categorical { column, reference });
    }
    for entry in &args.rcs {
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
    for entry in &args.spline {
        let (column, rest) = split_pair(entry, ':', "--spline")?;
        terms.push(TermConfig::Spline {
            column: column.into(),
            knots: knots(rest)?,
        });
    }
    for entry in &args.interaction {
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
    }))
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut config = match (&args.spec, spec_from_flags(&args)?) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Io(format!("{}: cannot read: {e}", path.display())))?;
            SpecConfig::from_toml(&path.display().to_string(), &text)
                .map_err(|e| Failure::Usage(e.to_string()))?
        }
        (None, Some(config)) => config,
        (None, None) => {
            recontact_domain::default_spec().map_err(|e| Failure::Usage(e.to_string()))?
        }
    };
    if args.no_intercept {
        config.intercept = false;
    }
    if args.weights.is_some() {
        config.weights = args.weights.clone();
    }
    if args.offset.is_some() {
        config.offset = args.offset.clone();
    }
    let spec = config
        .clone()
        .check()
        .map_err(|e| Failure::Usage(e.to_string()))?;

    let input = input::open(&args.data).map_err(Failure::Io)?;
    let invalid = if args.drop_invalid {
        InvalidRows::Drop
    } else {
        InvalidRows::Fail
    };
    let data =
        read_dataset(&input.name, input.reader, &spec, invalid).map_err(super::fit_failure)?;
    if !args.quiet && data.dropped.rows > 0 {
        eprintln!(
            "dropped {} of {} rows with missing or invalid values:",
            data.dropped.rows, data.rows_read
        );
        for (reason, count) in &data.dropped.reasons {
            eprintln!("  {count:>8}  {reason}");
        }
    }
    let options = FitOptions {
        l2: args.l2,
        firth: args.firth,
        max_iterations: args.max_iterations,
        level: args.level,
        ..FitOptions::default()
    };
    let fitted = fit(&spec, &data, options).map_err(super::fit_failure)?;
    let model = Model::new(fitted, config, &data);

    let target = args.out.display().to_string();
    let write = || -> std::io::Result<()> {
        let mut out = Output::open(Some(&args.out))?;
        out.write_all(model.to_json().as_bytes())?;
        out.commit()
    };
    write().map_err(|e| Failure::Io(format!("{target}: cannot write: {e}")))?;

    if !args.quiet {
        for warning in &model.warnings {
            eprintln!("warning: {warning}");
        }
        let text = render_table(&model) + &format!("\nmodel written to {target}\n");
        super::print(text.as_bytes())?;
    }
    Ok(())
}
