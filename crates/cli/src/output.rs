//! Where a command's outputs go, and the check that no output overwrites another file
//! the command uses.
//!
//! A regular file (or a path that does not exist yet) is written to a temporary file in
//! its folder and renamed over the target only on commit, then the folder is synced; a
//! device, FIFO or terminal (`/dev/null`, `/dev/stdout`, a named pipe) is written
//! directly, since renaming over it would replace it with a regular file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::writeback::SyncingFile;
use crate::Failure;

/// Size of the buffer in front of every output.
const BUFFER_BYTES: usize = 1 << 16;

/// A destination that, for a file, fully appears or does not appear at all.
///
/// Dropping a file output without committing it (an error, a panic, a kill) leaves the
/// previous file, or none, never a partial one.
pub struct Output {
    /// The name messages use: the path as given, or `standard output`.
    target: String,
    sink: Sink,
}

enum Sink {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A device, FIFO or other non-regular file, written in place.
    Direct(BufWriter<File>),
    /// A temporary file waiting to replace `path`, in `path`'s folder so the rename
    /// stays on one file system.
    Replace {
        temp: BufWriter<SyncingFile>,
        path: PathBuf,
    },
}

/// A file output whose bytes are flushed and synced, waiting to be renamed.
struct Prepared {
    target: String,
    temp: NamedTempFile,
    path: PathBuf,
}

impl Output {
    /// Standard output, through the same buffering and error rules as any output.
    pub fn stdout() -> Output {
        Output {
            target: "standard output".to_string(),
            sink: Sink::Stdout(BufWriter::with_capacity(BUFFER_BYTES, io::stdout())),
        }
    }

    /// Opens `path`, or standard output for `None` or `-`.
    pub fn open(path: Option<&Path>) -> Result<Output, Failure> {
        let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
            return Ok(Output::stdout());
        };
        let target = path.display().to_string();
        let sink =
            open_sink(path).map_err(|e| Failure::Io(format!("{target}: cannot create: {e}")))?;
        Ok(Output { target, sink })
    }

    /// The failure for `error` met while writing this output.
    pub fn write_failure(&self, error: io::Error) -> Failure {
        Failure::from_write(error, &self.target)
    }

    /// Flushes everything and, for a file, moves it into place.
    pub fn commit(self) -> Result<(), Failure> {
        commit_all(vec![self])
    }

    /// Flushes (and syncs) this output; a file output is returned to be renamed.
    fn prepare(self) -> Result<Option<Prepared>, Failure> {
        let target = self.target;
        let failure = |error| Failure::from_write(error, &target);
        match self.sink {
            Sink::Stdout(mut out) => out.flush().map(|()| None).map_err(failure),
            Sink::Direct(mut out) => out.flush().map(|()| None).map_err(failure),
            Sink::Replace { temp, path } => {
                let temp = temp.into_inner().map_err(|e| failure(e.into_error()))?;
                let temp = temp.finish().map_err(failure)?;
                Ok(Some(Prepared { target, temp, path }))
            }
        }
    }
}

/// Commits `outputs` together: every one is flushed and synced first, and only when all
/// of them succeeded are the files renamed into place. A failure before that leaves
/// every target as it was.
pub fn commit_all(outputs: Vec<Output>) -> Result<(), Failure> {
    let mut prepared = Vec::with_capacity(outputs.len());
    for output in outputs {
        if let Some(file) = output.prepare()? {
            prepared.push(file);
        }
    }
    for file in prepared {
        let target = file.target;
        file.temp
            .persist(&file.path)
            .map_err(|e| Failure::Io(format!("{target}: cannot write: {}", e.error)))?;
        sync_folder(&file.path)
            .map_err(|e| Failure::Io(format!("{target}: cannot sync its folder: {e}")))?;
    }
    Ok(())
}

/// The sink for an existing or new file at `path`.
fn open_sink(path: &Path) -> io::Result<Sink> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(io::Error::other("is a folder, expected a file")),
        Ok(meta) if !meta.is_file() => direct(path, false),
        // `/dev/stdout` redirected to a file: the shell opened that file, maybe to append.
        Ok(_) if through_process_link(path) => direct(path, true),
        // A link to a regular file keeps being a link: its target is replaced.
        Ok(meta) => replace(&fs::canonicalize(path)?, Some(meta.permissions())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => replace(path, None),
        Err(error) => Err(error),
    }
}

fn direct(path: &Path, append: bool) -> io::Result<Sink> {
    let file = OpenOptions::new()
        .write(!append)
        .append(append)
        .open(path)?;
    Ok(Sink::Direct(BufWriter::with_capacity(BUFFER_BYTES, file)))
}

fn replace(path: &Path, permissions: Option<fs::Permissions>) -> io::Result<Sink> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".recontact-").suffix(".tmp");
    // A temporary file is private (0600); the result should look like any other file
    // the user writes: the replaced file's permissions, or rw-r--r--.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(permissions.unwrap_or_else(|| fs::Permissions::from_mode(0o644)));
    }
    #[cfg(not(unix))]
    let _ = permissions;
    let temp = builder.tempfile_in(folder_of(path))?;
    Ok(Sink::Replace {
        temp: BufWriter::with_capacity(BUFFER_BYTES, SyncingFile::new(temp)),
        path: path.to_path_buf(),
    })
}

/// Whether `path` is, through its chain of links, one of the process's own descriptors
/// (`/dev/stdout` → `/proc/self/fd/1`), which must be written, not renamed over.
fn through_process_link(path: &Path) -> bool {
    let mut current = path.to_path_buf();
    // Link chains longer than the kernel's own limit (40) do not resolve anyway.
    for _ in 0..40 {
        if current.starts_with("/proc") || current.starts_with("/dev/fd") {
            return true;
        }
        match fs::read_link(&current) {
            Ok(next) => current = folder_of(&current).join(next),
            Err(_) => return false,
        }
    }
    false
}

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Makes a rename in `path`'s folder durable: the folder's entry is synced.
fn sync_folder(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(folder_of(path))?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// What a path names, to tell whether two paths are the same file.
#[derive(PartialEq, Eq)]
enum Identity {
    /// `-`: standard input or output.
    Standard,
    /// An existing file: its device and inode (links, hard links and `..` all resolve).
    #[cfg(unix)]
    Inode(u64, u64),
    /// A file that does not exist yet (or anywhere off unix): its canonical path.
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    if path.as_os_str() == "-" {
        return Identity::Standard;
    }
    #[cfg(unix)]
    if let Ok(meta) = fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        return Identity::Inode(meta.dev(), meta.ino());
    }
    if let Ok(canonical) = fs::canonicalize(path) {
        return Identity::Path(canonical);
    }
    let canonical = match (fs::canonicalize(folder_of(path)), path.file_name()) {
        (Ok(folder), Some(name)) => folder.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    };
    Identity::Path(canonical)
}

/// How a message names an output: its flag and path, or standard output for the
/// unnamed default.
fn describe(flag: &str, path: &Path) -> String {
    if flag.is_empty() {
        "standard output".to_string()
    } else {
        format!("{flag} {}", path.display())
    }
}

/// Refuses (a usage error) an output that is the same file as an input or as another
/// output, so that no run replaces what it reads or loses one output under another.
///
/// Each entry is the flag naming the file (empty for a positional input, or for the
/// default standard output) and its path. `-` as an input is standard input and never
/// clashes; `-` for two outputs is standard output twice, which does.
pub fn check_distinct(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let inputs: Vec<_> = inputs
        .iter()
        .filter(|(_, path)| path.as_os_str() != "-")
        .map(|&(flag, path)| (flag, path, identity(path)))
        .collect();
    let outputs: Vec<_> = outputs
        .iter()
        .map(|&(flag, path)| (flag, path, identity(path)))
        .collect();
    for (k, (flag, path, id)) in outputs.iter().enumerate() {
        if let Some((input_flag, input_path, _)) = inputs.iter().find(|(_, _, i)| i == id) {
            let input = if input_flag.is_empty() {
                format!("the input {}", input_path.display())
            } else {
                format!("the input {input_flag} {}", input_path.display())
            };
            return Err(same_file(&describe(flag, path), &input));
        }
        if let Some((other_flag, other_path, _)) = outputs[..k].iter().find(|(_, _, o)| o == id) {
            return Err(same_file(
                &describe(flag, path),
                &describe(other_flag, other_path),
            ));
        }
    }
    Ok(())
}

fn same_file(output: &str, other: &str) -> Failure {
    Failure::Usage(format!(
        "{output} is the same file as {other}: choose another path"
    ))
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(out) => out.write(buf),
            Sink::Direct(out) => out.write(buf),
            Sink::Replace { temp, .. } => temp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(out) => out.write_all(buf),
            Sink::Direct(out) => out.write_all(buf),
            Sink::Replace { temp, .. } => temp.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(out) => out.flush(),
            Sink::Direct(out) => out.flush(),
            Sink::Replace { temp, .. } => temp.flush(),
        }
    }
}
