//! `recontact completions`: shell completion scripts.

use clap::CommandFactory;
use clap_complete::Shell;

use super::conventions::OutArg;
use crate::Failure;

/// Print a completion script for a shell.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
mkdir -p ~/.local/share/bash-completion/completions && recontact completions bash > ~/.local/share/bash-completion/completions/recontact\n  \
mkdir -p ~/.zfunc && recontact completions zsh > ~/.zfunc/_recontact")]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
    #[command(flatten)]
    out: OutArg,
    /// Print nothing on standard error but errors (completions prints no other message;
    /// accepted by every command alike).
    #[arg(long, short = 'q')]
    #[allow(dead_code)]
    quiet: bool,
}

/// Runs the command.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut command = crate::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "recontact", &mut out);
    args.out.write(&out)
}
