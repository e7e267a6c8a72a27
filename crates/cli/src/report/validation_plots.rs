//! The figures of `recontact validate`: the overfitting-corrected calibration curve (one
//! square panel), and model stability (prediction, calibration and MAPE instability,
//! side by side). Each is a function returning SVG text; nothing here computes a
//! statistic beyond choosing which points to draw and smoothing the percentile lines.

use std::error::Error;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use recontact_scoring::lowess::lowess;
use recontact_scoring::validate::{CalibrationCurve, Stability};

use super::number;

/// A square panel (pixels, the SVG has a viewBox so it scales).
const PANEL: u32 = 600;
/// Height of a panel's title lines above the square.
const HEAD: u32 = 56;
/// At most this many (individual, bootstrap model) points in the prediction-instability
/// panel, and this many individuals in the MAPE panel: beyond them the SVG would be tens
/// of megabytes; individuals are thinned at equally spaced ranks of the prediction.
const MAX_POINTS: usize = 20_000;
const MAX_MAPE_POINTS: usize = 20_000;

const FONT: &str = "sans-serif";
const CORRECTED: RGBColor = RGBColor(31, 97, 170);
const APPARENT: RGBColor = RGBColor(200, 82, 0);
const DIAGONAL: RGBColor = RGBColor(110, 110, 110);
const BOOTSTRAP: RGBColor = RGBColor(90, 100, 120);

type Failure = Box<dyn Error>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The calibration figure: apparent and bias-corrected curves and the ideal line, on a
/// square panel titled `title`, with the error summary beneath the title.
pub fn calibration_curve_svg(curve: &CalibrationCurve, title: &str) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PANEL, PANEL + HEAD)).into_drawing_area();
        draw_calibration(&root, curve, title).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_calibration(
    root: &DrawingArea<SVGBackend, Shift>,
    curve: &CalibrationCurve,
    title: &str,
) -> Result<(), Failure> {
    root.fill(&WHITE)?;
    let (head, body) = root.split_vertically(HEAD);
    let used = curve.resamples_used.iter().max().copied().unwrap_or(0);
    heading(
        &head,
        title,
        &format!(
            "mean absolute error {}, 0.9 quantile {} (n = {}, {} resamples)",
            number(curve.mean_absolute_error, 3),
            number(curve.quantile_90_absolute_error, 3),
            curve.observations,
            used
        ),
    )?;
    let values = curve
        .grid
        .iter()
        .chain(&curve.apparent)
        .chain(&curve.bias_corrected);
    let (low, high) = unit_range(values.copied());
    let mut chart = square_chart(
        &body,
        low,
        high,
        "Predicted probability",
        "Actual probability",
    )?;
    diagonal(&mut chart, low, high)?;
    let apparent = APPARENT.stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new(
            curve
                .grid
                .iter()
                .copied()
                .zip(curve.apparent.iter().copied()),
            4,
            3,
            apparent,
        ))?
        .label("Apparent")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], apparent));
    let corrected = CORRECTED.stroke_width(3);
    chart
        .draw_series(LineSeries::new(
            curve
                .grid
                .iter()
                .copied()
                .zip(curve.bias_corrected.iter().copied()),
            corrected,
        ))?
        .label("Bias-corrected")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], corrected));
    legend(&mut chart)
}

/// The stability figure: prediction instability, calibration instability and MAPE
/// instability side by side. `apparent` is the calibration curve of the model fitted on
/// all the data, drawn over the bootstrap curves when given.
pub fn stability_svg(
    stability: &Stability,
    apparent: Option<&CalibrationCurve>,
    title: &str,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (3 * PANEL, PANEL + HEAD)).into_drawing_area();
        draw_stability(&root, stability, apparent, title).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_stability(
    root: &DrawingArea<SVGBackend, Shift>,
    stability: &Stability,
    apparent: Option<&CalibrationCurve>,
    title: &str,
) -> Result<(), Failure> {
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let summary = format!(
        "MAPE {}, {} bootstrap models",
        number(stability.mape, 4),
        stability.resamples_used
    );
    prediction_panel(
        &panels[0],
        stability,
        &format!("{title}: prediction instability"),
    )?;
    calibration_panel(&panels[1], stability, apparent, &summary)?;
    mape_panel(&panels[2], stability)
}

fn prediction_panel(
    area: &DrawingArea<SVGBackend, Shift>,
    stability: &Stability,
    title: &str,
) -> Result<(), Failure> {
    let (head, body) = area.split_vertically(HEAD);
    let thinned = if stability.subsampled {
        format!(", {} individuals kept", stability.stored_individuals)
    } else {
        String::new()
    };
    heading(
        &head,
        title,
        &format!("lines: 2.5th and 97.5th percentiles, smoothed (lowess){thinned}"),
    )?;
    let mut chart = square_chart(
        &body,
        0.0,
        1.0,
        "Original model prediction",
        "Bootstrap model predictions",
    )?;
    let stored = &stability.stored;
    let per_individual = stored.predictions.len().max(1);
    let draw = thin(stored.rows.len(), MAX_POINTS / per_individual);
    let faint = BOOTSTRAP.mix(0.2).filled();
    chart.draw_series(draw.iter().flat_map(|&k| {
        let x = stability.original[stored.rows[k]];
        stored
            .predictions
            .iter()
            .map(move |resample| resample[k])
            .filter(|v| !v.is_nan())
            .map(move |v| Circle::new((x, v), 1, faint))
    }))?;
    // Each individual's own percentiles jump from one individual to the next (they rest
    // on B predictions each); the lines are their lowess smooth over the original
    // prediction (R's default span 2/3), as a reader would draw the band by eye.
    let bounds = stability.prediction_bounds();
    let original: Vec<f64> = bounds.iter().map(|b| b.original).collect();
    let line = APPARENT.stroke_width(2);
    for bound in [
        bounds.iter().map(|b| b.lower).collect::<Vec<f64>>(),
        bounds.iter().map(|b| b.upper).collect(),
    ] {
        let smooth = lowess(&original, &bound, 2.0 / 3.0);
        chart.draw_series(LineSeries::new(
            smooth.x.iter().copied().zip(smooth.fitted.iter().copied()),
            line,
        ))?;
    }
    diagonal(&mut chart, 0.0, 1.0)
}

fn calibration_panel(
    area: &DrawingArea<SVGBackend, Shift>,
    stability: &Stability,
    apparent: Option<&CalibrationCurve>,
    summary: &str,
) -> Result<(), Failure> {
    let (head, body) = area.split_vertically(HEAD);
    heading(&head, "Calibration instability", summary)?;
    let grid = &stability.grid;
    let values = stability
        .calibration_curves
        .iter()
        .flat_map(|c| c.values.iter().copied());
    let (low, high) = unit_range(values.chain(grid.iter().copied()));
    let mut chart = square_chart(
        &body,
        low,
        high,
        "Predicted probability",
        "Observed probability",
    )?;
    let faint = BOOTSTRAP.mix(0.25).stroke_width(1);
    for (k, curve) in stability.calibration_curves.iter().enumerate() {
        let xs = &grid[curve.first_grid_point..];
        let series = chart.draw_series(LineSeries::new(
            xs.iter().copied().zip(curve.values.iter().copied()),
            faint,
        ))?;
        if k == 0 {
            series
                .label("Bootstrap models on the original data")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], faint));
        }
    }
    if let Some(apparent) = apparent {
        let line = APPARENT.stroke_width(3);
        chart
            .draw_series(LineSeries::new(
                apparent
                    .grid
                    .iter()
                    .copied()
                    .zip(apparent.apparent.iter().copied()),
                line,
            ))?
            .label("Original model")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
    }
    diagonal(&mut chart, low, high)?;
    legend(&mut chart)
}

fn mape_panel(area: &DrawingArea<SVGBackend, Shift>, stability: &Stability) -> Result<(), Failure> {
    let (head, body) = area.split_vertically(HEAD);
    heading(
        &head,
        "MAPE instability",
        &format!(
            "largest individual MAPE {}",
            number(stability.max_individual_ape, 4)
        ),
    )?;
    let mut points: Vec<(f64, f64)> = stability
        .original
        .iter()
        .zip(&stability.individual_mape)
        .filter_map(|(&p, m)| m.map(|m| (p, m)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let top = (stability.max_individual_ape * 1.05).max(1e-6);
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..top)?;
    mesh(&mut chart, "Original model prediction", "Individual MAPE")?;
    let dot = CORRECTED.mix(0.5).filled();
    let draw = thin(points.len(), MAX_MAPE_POINTS);
    chart.draw_series(draw.iter().map(|&k| Circle::new(points[k], 2, dot)))?;
    Ok(())
}

/// `count` indices spread evenly over `0..len` (all of them when `len ≤ count`).
fn thin(len: usize, count: usize) -> Vec<usize> {
    let count = count.max(1);
    if len <= count {
        (0..len).collect()
    } else {
        (0..count).map(|k| k * len / count).collect()
    }
}

/// [0, 1] widened to hold every finite value (smoothed curves can leave [0, 1]).
fn unit_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((0.0_f64, 1.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn square_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    low: f64,
    high: f64,
    x: &str,
    y: &str,
) -> Result<Chart<'a, 'b>, Failure> {
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(low..high, low..high)?;
    mesh(&mut chart, x, y)?;
    Ok(chart)
}

fn mesh(chart: &mut Chart<'_, '_>, x: &str, y: &str) -> Result<(), Failure> {
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .x_desc(x)
        .y_desc(y)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    Ok(())
}

fn diagonal(chart: &mut Chart<'_, '_>, low: f64, high: f64) -> Result<(), Failure> {
    let style = DIAGONAL.stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(low, low), (high, high)],
            6,
            5,
            style,
        ))?
        .label("Ideal")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
    Ok(())
}

fn legend<'b: 'a, 'a>(chart: &mut Chart<'a, 'b>) -> Result<(), Failure> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .margin(12)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

fn heading(
    area: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    numbers: &str,
) -> Result<(), Failure> {
    let (width, _) = area.dim_in_pixel();
    let centre = plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Top,
    );
    let x = width as i32 / 2;
    area.draw(&Text::new(
        title,
        (x, 6),
        TextStyle::from((FONT, 17).into_font())
            .color(&BLACK)
            .pos(centre),
    ))?;
    area.draw(&Text::new(
        numbers,
        (x, 30),
        TextStyle::from((FONT, 13).into_font())
            .color(&RGBColor(70, 75, 85))
            .pos(centre),
    ))?;
    Ok(())
}
