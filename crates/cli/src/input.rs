//! Opening an input argument (a path, or `-` for standard input), and reading a whole
//! file as bounded text.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use recontact_scoring::parquet::{is_parquet_name, ParquetText};

/// Whether `path` is read or written as Parquet (it ends in `.parquet`).
pub fn is_parquet(path: &Path) -> bool {
    path.to_str().is_some_and(is_parquet_name)
}

/// An opened input and the name errors will use for it.
pub struct Input {
    /// `<stdin>` or the path as given.
    pub name: String,
    /// The byte stream.
    pub reader: Box<dyn Read>,
}

/// Opens `path`, or standard input when it is `-`.
///
/// A path ending in `.parquet` is read as Parquet, through the CSV text every reader
/// checks ([`recontact_input::parquet::ParquetText`]); its problems surface on the first
/// read, as data errors naming rows.
pub fn open(path: &Path) -> Result<Input, String> {
    if path.as_os_str() == "-" {
        return Ok(Input {
            name: "<stdin>".to_string(),
            reader: Box::new(io::stdin().lock()),
        });
    }
    let name = path.display().to_string();
    match File::open(path) {
        Ok(file) if file.metadata().map(|m| m.is_dir()).unwrap_or(false) => {
            Err(format!("{name}: is a folder, expected a file"))
        }
        Ok(file) if is_parquet(path) => Ok(Input {
            reader: Box::new(ParquetText::new(file)),
            name,
        }),
        Ok(file) => Ok(Input {
            name,
            reader: Box::new(file),
        }),
        Err(error) => Err(format!("{name}: cannot open: {error}")),
    }
}

/// The largest model file read (`--model`): a model with thousands of design columns and
/// their covariance is a few tens of MiB at most.
pub const MAX_MODEL_BYTES: u64 = 64 * 1024 * 1024;

/// The largest spec (`--spec`) or case (`advise --json`) file read: hand-written text.
pub const MAX_SMALL_FILE_BYTES: u64 = 1024 * 1024;

/// A whole file read as text.
pub struct WholeText {
    /// `<stdin>` or the path as given.
    pub name: String,
    /// The file's bytes, valid UTF-8.
    all: String,
    /// Length of the byte-order mark at its start (0 or 3).
    mark: usize,
}

impl WholeText {
    /// The text, without a byte-order mark.
    pub fn text(&self) -> &str {
        &self.all[self.mark..]
    }

    /// The file's bytes as read, byte-order mark included.
    pub fn bytes(&self) -> &[u8] {
        self.all.as_bytes()
    }
}

/// Reads a whole file (or standard input for `-`) as text: at most `limit` bytes, a
/// leading UTF-8 byte-order mark dropped, and the bytes valid UTF-8. `what` names the
/// file's role in messages (`model file`). An unreadable file is `Err(Io)`; one too large
/// or not UTF-8 is `Err(Invalid)`.
pub fn read_text_bounded(path: &Path, limit: u64, what: &str) -> Result<WholeText, ReadFailure> {
    let input = open(path).map_err(ReadFailure::Io)?;
    let name = input.name;
    let too_large = |size: String| {
        ReadFailure::Invalid(format!(
            "{name}: the {what} is {size}; allowed: at most {limit} bytes ({} MiB)",
            limit / (1024 * 1024)
        ))
    };
    // A regular file's length is known before reading, so a huge one is refused at once;
    // a pipe or device is read through `take`, which stops one byte past the limit.
    if path.as_os_str() != "-" {
        let length = std::fs::metadata(path).map(|m| (m.is_file(), m.len()));
        if let Ok((true, length)) = length {
            if length > limit {
                return Err(too_large(format!("{length} bytes")));
            }
        }
    }
    let mut bytes = Vec::new();
    input
        .reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadFailure::Io(format!("{name}: cannot read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(format!("more than {limit} bytes")));
    }
    let mark = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    match String::from_utf8(bytes) {
        Ok(all) => Ok(WholeText { name, all, mark }),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let byte = error.as_bytes().get(offset).copied().unwrap_or_default();
            Err(ReadFailure::Invalid(format!(
                "{name}: the {what} is not UTF-8 text: byte 0x{byte:02X} at byte offset {offset} \
                 (counting from 0) is not valid; allowed: UTF-8 text"
            )))
        }
    }
}

/// Why [`read_text_bounded`] gave no text.
#[derive(Debug)]
pub enum ReadFailure {
    /// The file could not be opened or read.
    Io(String),
    /// The file was read but is too large or not UTF-8.
    Invalid(String),
}
