//! Figures in the formats their file names ask for: SVG, PNG (rasterised with the
//! embedded font) and PDF (vector), and a refusal of any other name before any work.

mod common;

use common::{recontact, text};

/// Runs evaluate on the committed data with `extra` arguments; asserts success.
fn evaluate(extra: &[&str]) {
    let mut args = vec!["evaluate", "--data", "data/recontact_outcomes.csv"];
    args.extend_from_slice(extra);
    let output = recontact(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn a_png_has_the_requested_size_and_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("figure.png");
    evaluate(&["--plot", path.to_str().unwrap(), "--plot-size", "900x640"]);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "the PNG signature");
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (900, 640));
    assert_eq!(frame.color_type, png::ColorType::Rgba);
    let dark = |row_from: usize, row_to: usize| {
        (row_from..row_to)
            .flat_map(|y| (0..900).map(move |x| (y * 900 + x) * 4))
            .filter(|&i| pixels[i] < 80 && pixels[i + 1] < 80 && pixels[i + 2] < 80)
            .count()
    };
    // The top 40 rows hold only the title: dark pixels there are glyphs.
    assert!(dark(0, 40) > 500, "the title's text was not drawn");
    assert!(dark(40, 640) > 5_000, "the panels are blank");
}

#[test]
fn a_pdf_is_one_page_of_the_requested_size_and_the_same_bytes_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.pdf");
    let second = dir.path().join("second.PDF");
    for path in [&first, &second] {
        evaluate(&["--plot", path.to_str().unwrap(), "--plot-size", "800x600"]);
    }
    let bytes = std::fs::read(&first).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let pdf = String::from_utf8_lossy(&bytes);
    // 800 x 600 pixels at 96 per inch are 600 x 450 points.
    assert_eq!(
        pdf.matches("/MediaBox [0 0 600 450]").count(),
        1,
        "one page"
    );
    assert!(pdf.contains("/Count 1"));
    assert!(
        pdf.contains("DejaVu"),
        "the embedded font's glyphs are in the file"
    );
    assert_eq!(
        bytes,
        std::fs::read(&second).unwrap(),
        "deterministic bytes"
    );
}

#[test]
fn an_svg_keeps_the_title_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("figure.svg");
    evaluate(&[
        "--plot",
        path.to_str().unwrap(),
        "--plot-title",
        "Holdout <2026>",
    ]);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("Holdout &lt;2026&gt;"), "the title, escaped");
}

#[test]
fn a_name_without_a_figure_extension_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["figure.jpg", "figure", "figure.svg.txt"] {
        let path = dir.path().join(name);
        let report = dir.path().join("report.html");
        let output = recontact(&[
            "evaluate",
            "--data",
            "data/recontact_outcomes.csv",
            "--plot",
            path.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(".svg, .png or .pdf"), "{stderr}");
        assert!(output.stdout.is_empty(), "no evaluation printed for {name}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{name}");
    }
}

#[test]
fn sizes_outside_the_bounds_exit_2() {
    for size in ["799x600", "800x519", "800x4001", "800", "wide"] {
        let output = recontact(&[
            "evaluate",
            "--data",
            "data/recontact_outcomes.csv",
            "--plot-size",
            size,
        ]);
        assert_eq!(output.status.code(), Some(2), "{size}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_title_the_font_cannot_draw_is_refused_for_png_but_not_svg() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("figure.png");
    let output = recontact(&[
        "evaluate",
        "--data",
        "data/recontact_outcomes.csv",
        "--plot",
        png.to_str().unwrap(),
        "--plot-title",
        "評価",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot draw") && stderr.contains("'評'"),
        "{stderr}"
    );
    assert!(!png.exists());
    let svg = dir.path().join("figure.svg");
    evaluate(&["--plot", svg.to_str().unwrap(), "--plot-title", "評価"]);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("評価"));
}
