//! Opening a CSV argument: a path, or `-` for standard input.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// An opened input and the name errors will use for it.
pub struct Input {
    /// `<stdin>` or the path as given.
    pub name: String,
    /// The byte stream.
    pub reader: Box<dyn Read>,
}

/// Opens `path`, or standard input when it is `-`.
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
            Err(format!("{name}: is a folder, expected a CSV file"))
        }
        Ok(file) => Ok(Input {
            name,
            reader: Box::new(file),
        }),
        Err(error) => Err(format!("{name}: cannot open: {error}")),
    }
}
