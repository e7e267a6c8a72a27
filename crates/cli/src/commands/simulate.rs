//! `recontact simulate`: synthetic re-contact outcome data.

use std::path::PathBuf;

use recontact_domain::{CaseWriter, Simulator};

use crate::output::{self, Output};
use crate::progress::Progress;
use crate::Failure;

/// Generate synthetic re-contact outcomes from the documented process in `docs/data.md`.
///
/// The data are synthetic: effect directions follow the source article, the sizes are
/// assumptions. The same seed writes the same bytes on any machine.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  recontact simulate --n 1000 --seed 7 > cases.csv\n  \
recontact simulate --n 5000 --seed 20261125 --out data/recontact_outcomes.csv"
)]
pub struct Args {
    /// Number of rows to generate.
    #[arg(long, value_name = "N")]
    n: u64,
    /// Seed of the random generator.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    /// Show no progress on standard error (it shows only on a terminal anyway).
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Rows between two moves of the progress bar.
const PROGRESS_ROWS: usize = 1 << 14;

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    if let Some(out) = &args.out {
        output::check_distinct(&[], &[("--out", out)])?;
    }
    let mut output = Output::open(args.out.as_deref())?;
    let written = (|| {
        let mut writer = CaseWriter::new(&mut output, true)?;
        let bar = Progress::counter(args.quiet, args.n, "rows");
        for (k, (case, success)) in Simulator::new(args.n, args.seed).enumerate() {
            writer.write(&case, Some(success))?;
            // Moving the bar per row would cost more than the row.
            if k % PROGRESS_ROWS == 0 {
                bar.set_done(k as u64);
            }
        }
        bar.finish();
        writer.into_inner().map(drop)
    })();
    match written {
        Ok(()) => output.commit(),
        Err(error) => Err(output.write_failure(error)),
    }
}
