//! Writing a figure in the format its file name asks for: SVG as drawn, PNG rasterised,
//! PDF as vector graphics.
//!
//! Every `--plot`-style flag takes a [`FigurePath`] (parsed by [`parse_path`], so a bad
//! extension is a usage error before any work) and writes through [`write`].
//!
//! PNG and PDF need the glyphs of the text. They come from DejaVu Sans, embedded in the
//! binary (`crates/cli/assets/`, Bitstream Vera licence), and no other font: the figure
//! is then the same bytes on every machine, with or without installed fonts. A
//! character DejaVu Sans cannot draw would silently vanish, so it is refused instead.

use std::ffi::OsStr;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::output::Output;
use crate::Failure;

/// The embedded font every PNG and PDF figure is drawn with.
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// Its family name, which every generic family (sans-serif, serif, …) resolves to.
const FONT_FAMILY: &str = "DejaVu Sans";
/// PDF pages are sized at the CSS reference resolution, 96 pixels per inch, so a
/// 1280 × 680 figure is a 960 × 510 pt (13.3 × 7.1 in) page, as a browser would print it.
const PDF_PIXELS_PER_INCH: f32 = 96.0;

/// The extensions a figure may have, for messages.
pub const ALLOWED: &str = ".svg, .png or .pdf";

/// A figure file format, chosen by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The SVG text as drawn.
    Svg,
    /// A raster image, one pixel per SVG user unit.
    Png,
    /// One vector page with the text embedded (selectable).
    Pdf,
}

/// A figure's destination: its path and the format its extension names.
#[derive(Clone, Debug)]
pub struct FigurePath {
    /// The path as given.
    pub path: PathBuf,
    /// The format of its extension.
    pub format: Format,
}

/// Parses a figure path for clap: the extension (any case) must be `.svg`, `.png` or
/// `.pdf`, so that no file gets a format its name does not announce.
pub fn parse_path(text: &str) -> Result<FigurePath, String> {
    let path = PathBuf::from(text);
    let extension = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_lowercase);
    let format = match extension.as_deref() {
        Some("svg") => Format::Svg,
        Some("png") => Format::Png,
        Some("pdf") => Format::Pdf,
        Some(other) => {
            return Err(format!(
                "a figure is written as {ALLOWED} by its file name's extension, not .{other}"
            ))
        }
        None => {
            return Err(format!(
                "the figure's file name needs an extension that says its format: {ALLOWED}"
            ))
        }
    };
    Ok(FigurePath { path, format })
}

/// A figure's size in pixels, as `--plot-size WxH` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The smallest width and height a figure may have: the text keeps its size, and below
/// these the panel headings overlap and the legends hide the plots.
pub const MIN_WIDTH: u32 = 800;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u32 = 520;
/// The largest width or height: 4000 × 4000 RGBA pixels are 64 MB in memory.
pub const MAX_PIXELS: u32 = 4000;

/// Parses `WxH` for clap: the width from [`MIN_WIDTH`], the height from [`MIN_HEIGHT`],
/// each up to [`MAX_PIXELS`].
pub fn parse_size(text: &str) -> Result<Size, String> {
    let usage = || format!("expected WIDTHxHEIGHT in pixels, such as 1280x680, not {text:?}");
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(usage)?;
    let parse = |part: &str, what: &str, min: u32| -> Result<u32, String> {
        let value: u32 = part.trim().parse().map_err(|_| usage())?;
        if (min..=MAX_PIXELS).contains(&value) {
            Ok(value)
        } else {
            Err(format!(
                "the {what} {value} is outside {min} to {MAX_PIXELS} pixels"
            ))
        }
    };
    Ok(Size {
        width: parse(width, "width", MIN_WIDTH)?,
        height: parse(height, "height", MIN_HEIGHT)?,
    })
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// Converts the SVG document `svg` to `figure`'s format and writes it to a not yet
/// committed output (commit it with the command's other outputs through
/// [`crate::output::commit_all`], so that either all appear or none).
pub fn write(figure: &FigurePath, svg: &str) -> Result<Output, Failure> {
    let target = figure.path.display();
    let converted = match figure.format {
        Format::Svg => Ok(svg.as_bytes().to_vec()),
        Format::Png => png(svg),
        Format::Pdf => pdf(svg),
    };
    // Text the font cannot draw is fixed by the arguments (usage); anything else is a
    // figure that cannot be produced, like one that cannot be drawn.
    let bytes = converted.map_err(|e| match e {
        Refusal::Glyphs(message) => Failure::Usage(format!("{target}: {message}")),
        Refusal::Convert(message) => Failure::Io(format!("{target}: {message}")),
    })?;
    let mut out = Output::open(Some(&figure.path))?;
    out.write_all(&bytes).map_err(|e| out.write_failure(e))?;
    Ok(out)
}

/// Why an SVG could not be converted.
enum Refusal {
    /// The text has characters the embedded font cannot draw.
    Glyphs(String),
    /// The conversion itself failed.
    Convert(String),
}

/// The SVG rasterised to PNG at its own size.
fn png(svg: &str) -> Result<Vec<u8>, Refusal> {
    let tree = parse(svg)?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| {
        Refusal::Convert(format!(
            "cannot rasterise a {}x{} figure",
            size.width(),
            size.height()
        ))
    })?;
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| Refusal::Convert(format!("cannot encode the PNG: {e}")))
}

/// The SVG as a one-page vector PDF.
fn pdf(svg: &str) -> Result<Vec<u8>, Refusal> {
    let tree = parse(svg)?;
    let page = svg2pdf::PageOptions {
        dpi: PDF_PIXELS_PER_INCH,
    };
    svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), page)
        .map(sort_resource_entries)
        .map_err(|e| Refusal::Convert(format!("cannot convert the figure to PDF: {e}")))
}

/// The PDF with every run of resource entries (`/xo12 32 0 R` lines, one per line at
/// the same indentation) in sorted order.
///
/// The converter writes resource dictionaries in hash order, which changes from run to
/// run; the order carries no meaning. Sorting lines within a run keeps every byte
/// offset outside it (the cross-reference table) valid, and makes the file the same
/// bytes for the same figure.
fn sort_resource_entries(pdf: Vec<u8>) -> Vec<u8> {
    let is_entry = |line: &[u8]| {
        let text = std::str::from_utf8(line).unwrap_or("");
        let body = text.trim_start_matches(' ');
        body.starts_with('/') && body.ends_with(" 0 R") && body.len() < 64
    };
    let indent = |line: &[u8]| line.iter().take_while(|&&b| b == b' ').count();
    let mut lines: Vec<&[u8]> = pdf.split(|&b| b == b'\n').collect();
    let mut start = 0;
    while start < lines.len() {
        let mut end = start;
        while end < lines.len()
            && is_entry(lines[end])
            && indent(lines[end]) == indent(lines[start])
        {
            end += 1;
        }
        if end > start + 1 {
            lines[start..end].sort_unstable();
        }
        start = end.max(start + 1);
    }
    lines.join(&b'\n')
}

/// The SVG parsed with the embedded font, after checking that it can draw every character.
fn parse(svg: &str) -> Result<usvg::Tree, Refusal> {
    let fonts = font_database();
    check_glyphs(svg, &fonts).map_err(Refusal::Glyphs)?;
    let options = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        fontdb: Arc::new(fonts),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options)
        .map_err(|e| Refusal::Convert(format!("cannot read the drawn SVG: {e}")))
}

/// A font database holding only the embedded font, under every generic family name.
fn font_database() -> fontdb::Database {
    let mut fonts = fontdb::Database::new();
    fonts.load_font_data(FONT.to_vec());
    fonts.set_sans_serif_family(FONT_FAMILY);
    fonts.set_serif_family(FONT_FAMILY);
    fonts.set_monospace_family(FONT_FAMILY);
    fonts.set_cursive_family(FONT_FAMILY);
    fonts.set_fantasy_family(FONT_FAMILY);
    fonts
}

/// Refuses characters the embedded font has no glyph for. Markup is ASCII, which the
/// font covers, so only non-ASCII characters (all in the text) need looking up.
fn check_glyphs(svg: &str, fonts: &fontdb::Database) -> Result<(), String> {
    let mut missing: Vec<char> = Vec::new();
    let id = fonts.faces().next().map(|face| face.id);
    let known = id.and_then(|id| {
        fonts.with_face_data(id, |data, index| {
            let face = ttf_parser::Face::parse(data, index).ok()?;
            for c in svg.chars().filter(|c| !c.is_ascii()) {
                if face.glyph_index(c).is_none() && !missing.contains(&c) {
                    missing.push(c);
                }
            }
            Some(())
        })?
    });
    if known.is_none() {
        return Err("the embedded font cannot be read".to_string());
    }
    if missing.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = missing.iter().map(|c| format!("{c:?}")).collect();
    Err(format!(
        "the figure's text has characters the embedded font (DejaVu Sans) cannot draw in a \
         PNG or PDF: {}; write it as .svg, or choose a --plot-title without them",
        listed.join(", ")
    ))
}

/// Whether `path` has the extension of a figure, for tests of the flag parsing.
#[cfg(test)]
fn format_of(path: &str) -> Option<Format> {
    parse_path(path).ok().map(|f| f.format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_chooses_the_format_in_any_case() {
        assert_eq!(format_of("a/plot.svg"), Some(Format::Svg));
        assert_eq!(format_of("plot.PNG"), Some(Format::Png));
        assert_eq!(format_of("plot.Pdf"), Some(Format::Pdf));
        assert_eq!(format_of("plot.jpeg"), None);
        assert_eq!(format_of("plot"), None);
        assert_eq!(format_of(".png"), None, "a hidden file without extension");
        let message = parse_path("plot.jpg").unwrap_err();
        assert!(message.contains(".svg, .png or .pdf") && message.contains(".jpg"));
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(
            parse_size("800x600"),
            Ok(Size {
                width: 800,
                height: 600
            })
        );
        assert!(parse_size("799x600")
            .unwrap_err()
            .contains("width 799 is outside 800 to 4000"));
        assert!(parse_size("800x519").unwrap_err().contains("520 to 4000"));
        assert!(parse_size("800x4001").unwrap_err().contains("height"));
        assert!(parse_size("800").unwrap_err().contains("WIDTHxHEIGHT"));
        assert!(parse_size("-1x600").is_err());
    }

    #[test]
    fn text_the_font_cannot_draw_is_refused() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>Ωmega 中</text></svg>"#;
        let message = check_glyphs(svg, &font_database()).unwrap_err();
        assert!(message.contains("'中'"), "{message}");
        assert!(!message.contains("'Ω'"), "DejaVu Sans has Greek: {message}");
    }

    #[test]
    fn a_png_keeps_its_text() {
        // Black text on nothing: only the glyphs can make pixels opaque.
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30"><text x="2" y="22" font-family="sans-serif" font-size="20">Ab</text></svg>"#;
        let Ok(tree) = parse(svg) else {
            panic!("the SVG parses")
        };
        let mut pixmap = tiny_skia::Pixmap::new(60, 30).unwrap();
        resvg::render(
            &tree,
            tiny_skia::Transform::identity(),
            &mut pixmap.as_mut(),
        );
        let opaque = pixmap.pixels().iter().filter(|p| p.alpha() > 128).count();
        assert!(
            opaque > 30,
            "{opaque} opaque pixels: the text was not drawn"
        );
    }
}
