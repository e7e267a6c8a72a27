//! `recontact fit`: calibrate a model's weights on outcome data.

use std::io::Write;
use std::path::PathBuf;

use recontact_scoring::fit::FitStatistics;
use recontact_scoring::sample_size::RileyOptions;
use recontact_scoring::validate::{sample_size_check, R2Source};
use recontact_scoring::{
    fit_releasing_clustered, fit_streaming, Clusters, CovarianceType, FitOptions, IntervalKind,
    InvalidRows, Model, Provenance, Spec, SpecConfig,
};

use crate::input;
use crate::progress::Progress;
use recontact_engine::fit::fit_in_engine;

use crate::output::{self, Output};
use crate::Failure;

use super::conventions::OptionalDataArg;
use super::engine_args::{self, EngineArgs};
use super::spec_args::{read_data, FitOptionArgs, SpecArgs};
use super::summary::render_table;

/// Fit a logistic scoring model by maximum likelihood and write the model file.
///
/// Without --spec or term flags, the default re-contact spec (data/default_spec.toml) is used.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
recontact fit data/recontact_outcomes.csv -o model.json\n  \
recontact fit my.csv --spec my_spec.toml -o model.json\n  \
recontact fit my.csv --outcome y --numeric age --categorical region --boolean smoker -o model.json\n  \
recontact fit small.csv --spec spec.toml --firth -o model.json\n\n\
Inside an engine (docs/cli.md): --engine postgres --connect URL --table T, or --engine-command CMD --dialect D --table T")]
pub struct Args {
    #[command(flatten)]
    data: OptionalDataArg,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    model_spec: SpecArgs,
    #[command(flatten)]
    fitting: FitOptionArgs,
    /// Leave out rows with missing or invalid values and report them (default: stop).
    #[arg(long)]
    drop_invalid: bool,
    /// Confidence level of the intervals.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95, allow_negative_numbers = true,
          value_parser = super::open_unit)]
    level: f64,
    /// Covariance of the coefficients: `model` (inverse information), `hc0`/`hc1`
    /// (White's sandwich; hc1 scaled by n/(n-p)) or `cluster` (cluster-robust, needs
    /// --cluster). Standard errors, intervals and every later use read it.
    #[arg(long = "cov", value_enum, default_value_t = CovarianceArg::Model)]
    covariance: CovarianceArg,
    /// The data column naming each row's cluster, for --cov cluster.
    #[arg(long, value_name = "COLUMN")]
    cluster: Option<String>,
    /// Confidence intervals: `wald` (estimate ± z·SE) or `profile` (profile
    /// likelihood; penalised for --firth).
    #[arg(long = "ci", value_enum, default_value_t = IntervalArg::Wald)]
    interval: IntervalArg,
    /// Fit by passes over the file instead of holding it in memory: memory stays the
    /// same whatever the file's length (for files larger than RAM), at the cost of
    /// reading it about a dozen times. Same estimates as the in-memory fit (to about
    /// 1e-12). Needs a file (not `-`); not with --firth.
    #[arg(long)]
    streaming: bool,
    /// Where to write the model file (atomically).
    #[arg(long, short = 'o', value_name = "MODEL.json")]
    out: PathBuf,
    /// Print nothing but errors: no table, warnings or progress.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Format of the estimates printed on standard output: the table, or the JSON of
    /// `recontact summary --format json`.
    #[arg(long, value_enum, default_value_t = super::summary::Format::Table)]
    format: super::summary::Format,
}

/// The choices of `--cov`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CovarianceArg {
    /// The inverse of the information.
    Model,
    /// White's heteroskedasticity-consistent sandwich.
    Hc0,
    /// HC0 scaled by n/(n-p).
    Hc1,
    /// Cluster-robust sandwich with statsmodels' small-sample correction.
    Cluster,
}

impl From<CovarianceArg> for CovarianceType {
    fn from(choice: CovarianceArg) -> CovarianceType {
        match choice {
            CovarianceArg::Model => CovarianceType::Model,
            CovarianceArg::Hc0 => CovarianceType::Hc0,
            CovarianceArg::Hc1 => CovarianceType::Hc1,
            CovarianceArg::Cluster => CovarianceType::Cluster,
        }
    }
}

/// The choices of `--ci`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IntervalArg {
    /// Estimate ± z · standard error.
    Wald,
    /// Profile likelihood.
    Profile,
}

/// Refuses combinations of inference flags that have no defined meaning, before any
/// data are read.
fn check_inference_flags(args: &Args, spec: &Spec) -> Result<(), Failure> {
    let usage = |message: &str| Err(Failure::Usage(message.to_string()));
    let robust = args.covariance != CovarianceArg::Model;
    match (args.covariance, &args.cluster) {
        (CovarianceArg::Cluster, None) => {
            return usage(
                "--cov cluster needs --cluster COLUMN, the column naming each row's cluster",
            )
        }
        (CovarianceArg::Cluster, Some(_)) => {}
        (_, Some(_)) => return usage("--cluster is for --cov cluster; give both or neither"),
        _ => {}
    }
    if robust && args.fitting.firth() {
        return usage("--cov hc0|hc1|cluster cannot be combined with --firth: the sandwich of Firth's penalised score has no agreed definition; use --cov model");
    }
    if robust && spec.config().weights.is_some() {
        return usage("--cov hc0|hc1|cluster cannot be combined with frequency weights: a weighted row stands for several independent rows, which the sandwich cannot tell from one; expand the rows or use --cov model");
    }
    if args.interval == IntervalArg::Profile && args.fitting.l2() > 0.0 {
        return usage(
            "--ci profile is for maximum-likelihood and --firth fits, not --l2; use --ci wald",
        );
    }
    if args.streaming && (robust || args.interval == IntervalArg::Profile) {
        return usage("--streaming gives the model covariance and Wald intervals only: --cov hc0|hc1|cluster and --ci profile need the rows in memory; fit without --streaming");
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let given_path = match (args.data.path(), args.engine.given()) {
        (Some(_), true) => {
            return Err(Failure::Usage(
                "give a data FILE or an engine's --table, not both".into(),
            ));
        }
        (Some(path), false) => path,
        (None, true) => std::path::Path::new(""),
        (None, false) => {
            return Err(Failure::Usage(
                "give the data: a FILE (or `-`), or an engine's --table".into(),
            ));
        }
    };
    let mut inputs = vec![("", given_path)];
    inputs.retain(|(_, path)| !path.as_os_str().is_empty());
    inputs.extend(args.model_spec.file().map(|s| ("--spec", s)));
    // Unless --quiet, the table goes to standard output, so the model cannot.
    let mut outputs = vec![("--out", args.out.as_path())];
    outputs.extend((!args.quiet).then(|| ("", std::path::Path::new("-"))));
    output::check_distinct(&inputs, &outputs)?;
    let (config, spec) = args.model_spec.load()?;
    check_inference_flags(&args, &spec)?;
    let options = FitOptions {
        covariance_type: args.covariance.into(),
        interval: match args.interval {
            IntervalArg::Wald => IntervalKind::Wald,
            IntervalArg::Profile => IntervalKind::Profile,
        },
        ..args.fitting.options(args.level)
    };
    // Every option is checked before any data are read.
    options
        .check()
        .map_err(|e| Failure::Usage(super::fit_message(&e.into())))?;
    let model = if args.engine.given() {
        fit_inside_engine(&args, config, &spec, options)?
    } else if args.streaming {
        fit_by_passes(&args, config, &spec, options)?
    } else {
        fit_in_memory(&args, config, spec, options)?
    };
    let shortfall = sample_size_warning(&model.statistics);

    let target = args.out.display().to_string();
    let mut out = Output::open(Some(&args.out))?;
    out.write_all(model.to_json().as_bytes())
        .map_err(|e| out.write_failure(e))?;
    out.commit()?;

    if !args.quiet {
        for warning in &model.warnings {
            eprintln!("warning: {warning}");
        }
        if let Some(warning) = shortfall {
            eprintln!("warning: {warning}");
        }
        let text = match args.format {
            super::summary::Format::Table => render_table(&model),
            super::summary::Format::Json => super::summary::render_json(&model)?,
        };
        super::print(text.as_bytes())?;
        eprintln!("model written to {target}");
    }
    Ok(())
}

/// The model from the data held in memory, with the rows' clusters when asked for.
fn fit_in_memory(
    args: &Args,
    config: SpecConfig,
    spec: Spec,
    options: FitOptions,
) -> Result<Model, Failure> {
    let spec = match &args.cluster {
        Some(column) => spec
            .with_cluster_column(column)
            .map_err(|e| Failure::Usage(e.to_string()))?,
        None => spec,
    };
    let mut data = read_data(data_path(args), &spec, args.drop_invalid, args.quiet)?;
    let clusters = match &args.cluster {
        Some(column) => Some(Clusters::from_dataset(&data, column).map_err(super::fit_failure)?),
        None => None,
    };
    let name = data.source_name.clone();
    let progress = Progress::spinner(args.quiet, "fitting");
    let fitted = fit_releasing_clustered(&spec, &mut data, options, clusters.as_ref());
    progress.finish();
    let fitted = fitted.map_err(super::fit_failure_in(&name))?;
    let provenance = Provenance::of_dataset(&data, crate::TOOL, env!("CARGO_PKG_VERSION"));
    Ok(Model::with_provenance(fitted, config, provenance))
}

/// The data file of a fit that reads one (checked in [`run`]).
fn data_path(args: &Args) -> &std::path::Path {
    args.data.path().unwrap_or(std::path::Path::new("-"))
}

/// `fit --engine … --table …`: the model from the sums the engine computes.
fn fit_inside_engine(
    args: &Args,
    config: SpecConfig,
    spec: &Spec,
    options: FitOptions,
) -> Result<Model, Failure> {
    if args.streaming || args.cluster.is_some() {
        return Err(Failure::Usage(
            "--engine and --engine-command fit from sums: --streaming and --cluster do not apply"
                .into(),
        ));
    }
    let invalid = if args.drop_invalid {
        InvalidRows::Drop
    } else {
        InvalidRows::Fail
    };
    let mut source = args.engine.open()?;
    let name = format!("{}: {}", source.connection.describe(), source.table);
    let progress = Progress::spinner(args.quiet, "fitting inside the engine");
    let fitted = fit_in_engine(
        source.connection.as_mut(),
        &source.table,
        spec,
        options,
        invalid,
    );
    progress.finish();
    let fitted = fitted.map_err(|e| engine_args::failure(&name, e))?;
    let summed = &fitted.summed;
    if !args.quiet {
        eprintln!(
            "fitted inside {} by {} queries",
            fitted.engine, fitted.queries
        );
        report_dropped(
            summed.dropped.rows,
            summed.rows_read,
            &summed.dropped.reasons,
        );
    }
    let provenance = Provenance::of_summed(
        summed,
        &fitted.engine,
        &fitted.source,
        crate::TOOL,
        env!("CARGO_PKG_VERSION"),
    );
    Ok(Model::with_provenance(
        fitted.summed.fitted,
        config,
        provenance,
    ))
}

/// The rows left out, with their reasons, on standard error.
fn report_dropped(rows: u64, of: u64, reasons: &std::collections::BTreeMap<String, u64>) {
    if rows > 0 {
        eprintln!("dropped {rows} of {of} rows with missing or invalid values:");
        for (reason, count) in reasons {
            eprintln!("  {count:>8}  {reason}");
        }
    }
}

/// `fit --streaming`: the model from passes over the file.
fn fit_by_passes(
    args: &Args,
    config: SpecConfig,
    spec: &Spec,
    options: FitOptions,
) -> Result<Model, Failure> {
    if data_path(args).as_os_str() == "-" {
        return Err(Failure::Usage(
            "--streaming reads the data several times, so it needs a file, not `-`".into(),
        ));
    }
    if options.firth {
        return Err(Failure::Usage(
            "--streaming cannot fit with --firth (the bias reduction needs every row's \
             leverage at each step); fit in memory"
                .into(),
        ));
    }
    let invalid = if args.drop_invalid {
        InvalidRows::Drop
    } else {
        InvalidRows::Fail
    };
    let name = input::open(data_path(args)).map_err(Failure::Io)?.name;
    // A Parquet file is read as its rows' text, which its size in bytes does not measure.
    let parquet = input::is_parquet(data_path(args));
    let size = std::fs::metadata(data_path(args)).map_or(0, |m| if parquet { 0 } else { m.len() });
    let progress = Progress::counter(args.quiet, size, "pass 1");
    let mut passes = 0;
    // Every pass opens the file afresh: the bar restarts and names the pass.
    let mut open = || {
        passes += 1;
        progress.stage(&format!("bytes, pass {passes}"));
        progress.set_done(0);
        std::fs::File::open(data_path(args)).map(|file| {
            let inner: Box<dyn std::io::Read> = if parquet {
                Box::new(recontact_scoring::parquet::ParquetText::new(file))
            } else {
                Box::new(file)
            };
            CountingReader {
                inner,
                progress: &progress,
            }
        })
    };
    let streamed = fit_streaming(&name, &mut open, spec, options, invalid);
    progress.finish();
    let streamed = streamed.map_err(super::fit_failure_in(&name))?;
    if !args.quiet {
        eprintln!("fitted by {} passes over {name}", streamed.passes);
    }
    if !args.quiet {
        let dropped = &streamed.dropped;
        report_dropped(dropped.rows, streamed.rows_read, &dropped.reasons);
    }
    let provenance =
        Provenance::of_streamed(&streamed, &name, crate::TOOL, env!("CARGO_PKG_VERSION"));
    Ok(Model::with_provenance(streamed.fitted, config, provenance))
}

/// A reader that moves a progress bar by the bytes it reads.
struct CountingReader<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: std::io::Read> std::io::Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.progress.advance(read as u64);
        Ok(read)
    }
}

/// A warning when the fit used fewer observations than Riley et al.'s criteria ask for
/// its number of parameters (R²cs from the fit's LR χ², shrunk as `docs/validation.md`
/// says); `None` when the data suffice or the criteria do not apply.
fn sample_size_warning(statistics: &FitStatistics) -> Option<String> {
    let check = sample_size_check(statistics, RileyOptions::default())?.ok()?;
    if !check.is_short() {
        return None;
    }
    let required = &check.required;
    let r2 = match check.r2cs_source {
        R2Source::Adjusted => format!(
            "Cox-Snell R² {:.3}, the fit's {:.3} shrunk by {:.3}",
            check.r2cs, check.r2cs_apparent, check.heuristic_shrinkage
        ),
        R2Source::Conservative => format!(
            "Cox-Snell R² {:.3}, the conservative default: the fit's LR statistic does \
             not exceed its parameters",
            check.r2cs
        ),
    };
    Some(format!(
        "{} observations are fewer than the {} that Riley et al.'s criteria ask for {} \
         parameters (criteria: {}, {}, {}; prevalence {:.3}, {r2}); expect overfitting: \
         check it with `recontact validate`, or use fewer parameters, --l2 or --firth",
        count(check.n),
        required.n,
        check.parameters,
        required.criterion1.n,
        required.criterion2.n,
        required.criterion3.n,
        check.prevalence,
    ))
}

/// A count of observations: whole with unit weights, as it is with fractional ones.
fn count(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}
