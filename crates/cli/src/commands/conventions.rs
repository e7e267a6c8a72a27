//! The arguments every command spells the same way (docs/cli.md, "Conventions"): the
//! data file as a positional `FILE` (`--data FILE` accepted for it), the main output as
//! `-o/--out FILE`, and the wording shared by every table (plurals).

use std::path::{Path, PathBuf};

use crate::output::Output;
use crate::Failure;

/// The data file a command reads: the positional `FILE`, or `--data FILE` (kept for
/// scripts written before the positional form, hidden from the help so that one way is
/// documented). Exactly one of the two must be given; clap refuses both or neither.
#[derive(clap::Args, Clone, Debug)]
#[group(required = true, multiple = false)]
pub struct DataArg {
    /// The data (CSV), or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// The same as the positional FILE.
    #[arg(long = "data", value_name = "FILE", hide = true)]
    data: Option<PathBuf>,
}

impl DataArg {
    /// The data file given, whichever spelling was used (`-` is standard input).
    pub fn path(&self) -> &Path {
        // The group is required and exclusive, so clap has ensured exactly one is set.
        self.file
            .as_deref()
            .or(self.data.as_deref())
            .unwrap_or(Path::new("-"))
    }
}

/// An optional data file: the positional `FILE` or `--data FILE`, at most one of them.
#[derive(clap::Args, Clone, Debug)]
#[group(required = false, multiple = false)]
pub struct OptionalDataArg {
    /// The data (CSV), or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// The same as the positional FILE.
    #[arg(long = "data", value_name = "FILE", hide = true)]
    data: Option<PathBuf>,
}

impl OptionalDataArg {
    /// The data file given, if any, whichever spelling was used.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_deref().or(self.data.as_deref())
    }
}

/// The main output of a command that prints its results: a file written atomically, or
/// standard output when absent or `-`.
#[derive(clap::Args, Clone, Debug)]
pub struct OutArg {
    /// Write the results to this file (atomically) instead of standard output (`-`).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
}

impl OutArg {
    /// The output as an entry of [`crate::output::check_distinct`]: `--out` and its
    /// path, or the unnamed standard output.
    pub fn entry(&self) -> (&'static str, &Path) {
        match self.out.as_deref() {
            Some(path) if path.as_os_str() != "-" => ("--out", path),
            _ => ("", Path::new("-")),
        }
    }

    /// Writes `text` to the output and commits it (a file appears whole or not at all).
    pub fn write(&self, text: &[u8]) -> Result<(), Failure> {
        use std::io::Write;
        let mut out = Output::open(self.out.as_deref())?;
        out.write_all(text).map_err(|e| out.write_failure(e))?;
        out.commit()
    }

    /// Refuses an output that is the same file as one of `inputs`, then writes `text`.
    pub fn write_checked(&self, inputs: &[(&str, &Path)], text: &[u8]) -> Result<(), Failure> {
        self.check(inputs)?;
        self.write(text)
    }

    /// Refuses an output that is the same file as one of `inputs` (a usage error).
    pub fn check(&self, inputs: &[(&str, &Path)]) -> Result<(), Failure> {
        crate::output::check_distinct(inputs, &[self.entry()])
    }
}

/// The `--model` input of a command whose model is optional, as an entry list of
/// [`crate::output::check_distinct`].
pub fn model_input(model: Option<&Path>) -> Vec<(&'static str, &Path)> {
    model.map(|m| ("--model", m)).into_iter().collect()
}

/// `count` and `word`, in the plural unless the count is 1 ("1 parameter", "0
/// parameters", "2 rows"), as every table and message words a count.
pub fn plural<T>(count: T, word: &str) -> String
where
    T: std::fmt::Display + PartialEq + From<u8>,
{
    let ending = plural_s(count == T::from(1));
    format!("{count} {word}{ending}")
}

/// The plural ending `s` unless `one` (a count of exactly 1), for messages that put the
/// count apart from its noun.
pub fn plural_s(one: bool) -> &'static str {
    if one {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(plural(1u64, "parameter"), "1 parameter");
        assert_eq!(plural(0usize, "parameter"), "0 parameters");
        assert_eq!(plural(2u32, "row"), "2 rows");
    }
}
