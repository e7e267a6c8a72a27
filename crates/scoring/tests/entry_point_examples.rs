//! Every public entry point of the library crates carries a runnable example.
//!
//! An entry point is what a library user calls first: a public free function, or a
//! public associated function without `self` (a constructor), of a public module, and
//! each crate's front page. Methods are reached from a value an entry point gave, whose
//! example shows them. `cargo test --doc --workspace` runs the examples; this test makes
//! sure none is missing, so that a new public function cannot land without one.
//!
//! The scan reads the sources as text (rustdoc's own lint for this is unstable): an
//! item's documentation is the run of `///` and attribute lines just above it.

use std::fs;
use std::path::{Path, PathBuf};

const LIBRARY_CRATES: [&str; 9] = [
    "input",
    "stats",
    "model",
    "evaluation",
    "export",
    "update",
    "engine",
    "scoring",
    "domain",
];

/// The crates folder, from this crate's manifest.
fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/scoring has a parent")
        .to_path_buf()
}

/// The source files of a crate's public modules: its root, and every module the
/// root (or a public module's file) declares with `pub mod`.
fn public_files(src: &Path) -> Vec<PathBuf> {
    let mut files = vec![src.join("lib.rs")];
    let mut index = 0;
    while index < files.len() {
        let file = files[index].clone();
        index += 1;
        let text = fs::read_to_string(&file).expect("readable source");
        let folder = if file.ends_with("lib.rs") || file.ends_with("mod.rs") {
            file.parent().expect("a folder").to_path_buf()
        } else {
            file.with_extension("")
        };
        for line in text.lines() {
            let Some(name) = line
                .trim()
                .strip_prefix("pub mod ")
                .and_then(|rest| rest.strip_suffix(';'))
            else {
                continue;
            };
            let single = folder.join(format!("{name}.rs"));
            let nested = folder.join(name).join("mod.rs");
            files.push(if single.exists() { single } else { nested });
        }
    }
    files
}

/// Whether a signature's first parameter is a receiver (`self`, `&self`, `&mut self`,
/// `mut self`, `&'a self`).
fn takes_self(signature: &str) -> bool {
    let Some(open) = signature.find('(') else {
        return false;
    };
    let first = signature[open + 1..]
        .split([',', ')'])
        .next()
        .unwrap_or("")
        .trim();
    let bare = first
        .trim_start_matches('&')
        .trim_start_matches(|c: char| c == '\'' || c.is_alphanumeric() || c == '_')
        .trim();
    first == "self"
        || first.starts_with("&self")
        || first.starts_with("&mut self")
        || first.starts_with("mut self")
        || (first.starts_with("&'") && bare.ends_with("self"))
        || first.starts_with("self:")
}

/// The public types a file declares.
fn public_types(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            ["pub struct ", "pub enum ", "pub trait "]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix))
                .map(|rest| {
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
        })
        .collect()
}

/// The type an `impl` line is for (`impl<T> Name<T>`, `impl Trait for Name`).
fn impl_target(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("impl")?;
    let rest = if rest.starts_with('<') {
        let close = rest.find('>')?;
        &rest[close + 1..]
    } else {
        rest
    };
    let rest = rest.rsplit(" for ").next()?.trim();
    Some(
        rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_string(),
    )
}

/// Entry points of one file without an example, as `file:line name`.
fn missing_in(file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).expect("readable source");
    let types = public_types(&text);
    let lines: Vec<&str> = text.lines().collect();
    let mut missing = Vec::new();
    let mut reachable_impl = true;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if line.starts_with("impl") {
            reachable_impl = impl_target(line).is_some_and(|t| types.contains(&t));
        } else if line.starts_with('}') {
            reachable_impl = true;
        }
        let trimmed = line.trim_start();
        let indented = trimmed.len() != line.len();
        let Some(rest) = trimmed
            .strip_prefix("pub fn ")
            .or_else(|| trimmed.strip_prefix("pub const fn "))
        else {
            continue;
        };
        if indented && !reachable_impl {
            continue;
        }
        let signature: String = lines[i..lines.len().min(i + 12)].join(" ");
        if indented && takes_self(&signature) {
            continue;
        }
        let doc: Vec<&str> = lines[..i]
            .iter()
            .rev()
            .take_while(|l| {
                let l = l.trim_start();
                l.starts_with("///") || l.starts_with("#[")
            })
            .copied()
            .collect();
        if doc.iter().any(|l| l.contains("#[doc(hidden)]")) {
            continue;
        }
        if !doc.iter().any(|l| l.contains("```")) {
            let name = rest.split(['(', '<']).next().unwrap_or(rest);
            missing.push(format!("{}:{} {name}", file.display(), i + 1));
        }
    }
    missing
}

#[test]
fn every_public_entry_point_has_an_example() {
    let mut missing = Vec::new();
    for name in LIBRARY_CRATES {
        let src = crates_dir().join(name).join("src");
        let root = fs::read_to_string(src.join("lib.rs")).expect("a crate root");
        let front: Vec<&str> = root.lines().take_while(|l| l.starts_with("//!")).collect();
        if !front.iter().any(|l| l.contains("```")) {
            missing.push(format!("{}: the front page", src.join("lib.rs").display()));
        }
        for file in public_files(&src) {
            missing.extend(missing_in(&file));
        }
    }
    assert!(
        missing.is_empty(),
        "{} public entry points have no example:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_scan_sees_entry_points_and_skips_methods() {
    assert!(takes_self("pub fn len(&self) -> usize {"));
    assert!(takes_self("pub fn run(mut self, input: R) {"));
    assert!(takes_self("pub fn get<'a>(&'a self, k: usize) {"));
    assert!(!takes_self("pub fn new(levels: &[String]) -> Self {"));
    assert!(!takes_self("pub fn fit(\n    data: &Dataset,"));
    assert_eq!(
        impl_target("impl<'a> Display for Summary<'a> {"),
        Some("Summary".into())
    );
    assert_eq!(impl_target("impl FitOptions {"), Some("FitOptions".into()));
    let folder = std::env::temp_dir().join(format!("entry-points-{}", std::process::id()));
    fs::create_dir_all(&folder).unwrap();
    let file = folder.join("sample.rs");
    fs::write(
        &file,
        "/// Shown.\n///\n/// ```\n/// assert!(true);\n/// ```\npub fn shown() {}\n\n\
         /// Not shown.\npub fn bare() {}\n\npub struct Open;\n\nimpl Open {\n    \
         /// A constructor.\n    pub fn new() -> Open { Open }\n\n    /// A method.\n    \
         pub fn size(&self) -> usize { 0 }\n}\n\nstruct Closed;\n\nimpl Closed {\n    \
         pub fn new() -> Closed { Closed }\n}\n\n#[doc(hidden)]\npub fn hidden() {}\n",
    )
    .unwrap();
    let missing = missing_in(&file);
    fs::remove_dir_all(&folder).unwrap();
    let names: Vec<&str> = missing
        .iter()
        .map(|m| m.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["bare", "new"]);
}
