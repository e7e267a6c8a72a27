//! Where a command's main output goes: standard output, or a file replaced atomically.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A destination that either fully appears or does not appear at all.
///
/// A file destination is written to a temporary file in the same folder and renamed
/// over the target only by [`Output::commit`]; dropping the output without committing
/// (an error, a panic, a kill) leaves the previous file, or none, never a partial one.
pub enum Output {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A temporary file waiting to replace `path`.
    File {
        /// The temporary file, in the target's folder so the rename stays on one file system.
        temp: BufWriter<NamedTempFile>,
        /// The final path.
        path: PathBuf,
    },
}

impl Output {
    /// Opens `path`, or standard output for `None` or `-`.
    pub fn open(path: Option<&Path>) -> io::Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            ))),
            Some(p) if p.as_os_str() == "-" => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            ))),
            Some(p) => {
                let folder = match p.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent,
                    _ => Path::new("."),
                };
                let mut builder = tempfile::Builder::new();
                builder.prefix(".recontact-").suffix(".tmp");
                // A temporary file is private (0600); the result should look like any other
                // file the user writes: the replaced file's permissions, or rw-r--r--.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let permissions = std::fs::metadata(p)
                        .map(|m| m.permissions())
                        .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
                    builder.permissions(permissions);
                }
                let temp = builder.tempfile_in(folder)?;
                Ok(Output::File {
                    temp: BufWriter::with_capacity(1 << 16, temp),
                    path: p.to_path_buf(),
                })
            }
        }
    }

    /// Flushes everything and, for a file, moves it into place.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut out) => out.flush(),
            Output::File { temp, path } => {
                let temp = temp.into_inner().map_err(|e| e.into_error())?;
                temp.as_file().sync_all()?;
                let file: File = temp.persist(&path).map_err(|e| e.error)?;
                drop(file);
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File { temp, .. } => temp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.write_all(buf),
            Output::File { temp, .. } => temp.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File { temp, .. } => temp.flush(),
        }
    }
}
