//! The evaluation figure: a calibration (reliability) plot with the distribution of
//! predicted risk beneath it, and the ROC curve beside it, in one SVG.
//!
//! One file rather than two because the two panels answer the two halves of one
//! question (are the probabilities right, do they rank cases well) and are read
//! together; the HTML report inlines the same SVG.

use std::error::Error;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use recontact_scoring::decision_curve::DecisionCurveRow;
use recontact_scoring::metrics::Evaluation;

use super::figure::Size;
use super::number;

/// The figure's size when none is asked for (the SVG has a viewBox, so it scales in a
/// browser).
pub const DEFAULT_SIZE: Size = Size {
    width: 1100,
    height: 720,
};
/// Height of the figure's title line.
const TITLE_HEIGHT: u32 = 40;
/// Height of each panel's title and its two lines of summary numbers.
const HEAD_HEIGHT: u32 = 72;
/// Height of the risk histogram strip under the calibration plot, its axis included.
const HISTOGRAM_HEIGHT: u32 = 150;
/// Space left of the y-label area and right of the plot, in each panel.
const MARGIN_LEFT: u32 = 10;
const MARGIN_RIGHT: u32 = 24;
/// Space above a plot and below an x axis.
const MARGIN_Y: u32 = 6;
/// Height of the x-axis labels and caption under a plot.
const X_LABEL_AREA: u32 = 46;
/// The calibration plot's own x axis is unlabelled (the histogram's is shared): a strip.
const CALIBRATION_X_LABEL_AREA: u32 = 12;
/// Histogram bins over [0, 1]: fine enough to show the shape, coarse enough to read.
const HISTOGRAM_BINS: usize = 50;
/// Y-label area shared by the calibration plot and the histogram so their x axes line up.
const Y_LABEL_AREA: u32 = 64;

const FONT: &str = "sans-serif";
const SMOOTH: RGBColor = RGBColor(31, 97, 170);
const BINS: RGBColor = RGBColor(200, 82, 0);
const DIAGONAL: RGBColor = RGBColor(110, 110, 110);
const EVENTS: RGBColor = RGBColor(200, 82, 0);
const NON_EVENTS: RGBColor = RGBColor(150, 160, 175);
const TREAT_ALL: RGBColor = RGBColor(200, 82, 0);
const TREAT_NONE: RGBColor = RGBColor(60, 60, 60);

/// Size of the decision-curve figure in pixels.
const DECISION_WIDTH: u32 = 900;
const DECISION_HEIGHT: u32 = 620;
/// Above this many thresholds the model's curve is a line without point markers.
const MARKED_THRESHOLDS: usize = 20;

type Failure = Box<dyn Error>;

/// An SVG document drawn by this module.
///
/// Its markup is written by plotters' SVG backend, which XML-escapes every text and
/// attribute value, so the titles and labels holding file, model and column names carry
/// them as text, never as markup. Only this module makes one, which is what lets the HTML
/// report inline it unescaped.
pub struct Svg(String);

impl Svg {
    /// The document's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The figure for an evaluation of predictions `p` against outcomes `y`, as SVG.
///
/// `title` heads the figure; the panels carry their own captions and legends. The
/// figure is `size` pixels; both plots are squares of the same side, as large as the
/// size allows, so that the diagonals are at 45 degrees and the panels compare.
pub fn evaluation_svg(
    evaluation: &Evaluation,
    y: &[f64],
    p: &[f64],
    title: &str,
    size: Size,
) -> Result<Svg, String> {
    let mut svg = String::new();
    draw(&mut svg, evaluation, y, p, title, size).map_err(|e| e.to_string())?;
    Ok(Svg(svg))
}

/// Where the square plots go in a figure of a given size.
struct Layout {
    /// Width of each of the two columns.
    column: u32,
    /// Side of both square plots.
    side: u32,
    /// Left margin that centres a plot and its y labels in its column.
    margin_left: u32,
}

impl Layout {
    fn new(size: Size) -> Layout {
        let column = size.width / 2;
        let body = size.height.saturating_sub(TITLE_HEIGHT + HEAD_HEIGHT);
        let by_width = column.saturating_sub(MARGIN_LEFT + Y_LABEL_AREA + MARGIN_RIGHT);
        // The calibration column also holds the histogram; the ROC column the same
        // vertical space, so both squares have the calibration column's height.
        let by_height = body.saturating_sub(MARGIN_Y + CALIBRATION_X_LABEL_AREA + HISTOGRAM_HEIGHT);
        let side = by_width.min(by_height).max(1);
        let slack = column.saturating_sub(MARGIN_LEFT + Y_LABEL_AREA + MARGIN_RIGHT + side);
        Layout {
            column,
            side,
            margin_left: MARGIN_LEFT + slack / 2,
        }
    }

    /// The right margin that, with `margin_left`, leaves exactly `side` for the plot.
    fn margin_right(&self) -> u32 {
        self.column
            .saturating_sub(self.margin_left + Y_LABEL_AREA + self.side)
    }
}

fn draw(
    svg: &mut String,
    evaluation: &Evaluation,
    y: &[f64],
    p: &[f64],
    title: &str,
    size: Size,
) -> Result<(), Failure> {
    let layout = Layout::new(size);
    let root = SVGBackend::with_string(svg, (size.width, size.height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (title_area, body) = root.split_vertically(TITLE_HEIGHT);
    let (width, _) = title_area.dim_in_pixel();
    title_area.draw(&Text::new(
        title,
        (width as i32 / 2, 10),
        TextStyle::from((FONT, 22).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (left, right) = body.split_horizontally(layout.column);
    let (left_head, left) = left.split_vertically(HEAD_HEIGHT);
    let (right_head, right) = right.split_vertically(HEAD_HEIGHT);
    // The summary numbers go in a line under each panel's title rather than inside the
    // plot, where they would hide points or error bars.
    let slope = &evaluation.calibration_slope;
    let intercept = &evaluation.calibration_intercept;
    heading(
        &left_head,
        &layout,
        "Calibration: observed against predicted",
        &[
            format!(
                "slope {} (95% CI {} to {}), O/E {}",
                number(slope.estimate, 3),
                number(slope.ci_low, 3),
                number(slope.ci_high, 3),
                number(evaluation.observed_expected, 3)
            ),
            format!(
                "calibration-in-the-large {} (95% CI {} to {})",
                number(intercept.estimate, 3),
                number(intercept.ci_low, 3),
                number(intercept.ci_high, 3),
            ),
        ],
    )?;
    heading(
        &right_head,
        &layout,
        "ROC curve: discrimination",
        &[
            format!(
                "AUC {} (95% CI {} to {})",
                number(evaluation.auc, 3),
                number(evaluation.auc_ci[0], 3),
                number(evaluation.auc_ci[1], 3),
            ),
            format!("Somers' Dxy {}", number(evaluation.dxy, 3)),
        ],
    )?;
    let (upper, rest) = left.split_vertically(MARGIN_Y + layout.side + CALIBRATION_X_LABEL_AREA);
    let (lower, _) = rest.split_vertically(HISTOGRAM_HEIGHT);
    calibration(&upper, &layout, evaluation)?;
    histogram(&lower, &layout, y, p)?;
    let (right, _) = right.split_vertically(MARGIN_Y + layout.side + X_LABEL_AREA + MARGIN_Y);
    roc(&right, &layout, evaluation)?;
    root.present()?;
    Ok(())
}

/// A chart with real-valued axes.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A panel's title with lines of summary numbers beneath it, centred over the plot.
fn heading(
    area: &DrawingArea<SVGBackend, Shift>,
    layout: &Layout,
    title: &str,
    numbers: &[String],
) -> Result<(), Failure> {
    let centre = Pos::new(HPos::Center, VPos::Top);
    let x = (layout.margin_left + Y_LABEL_AREA + layout.side / 2) as i32;
    area.draw(&Text::new(
        title,
        (x, 6),
        TextStyle::from((FONT, 18).into_font())
            .color(&BLACK)
            .pos(centre),
    ))?;
    for (k, line) in numbers.iter().enumerate() {
        area.draw(&Text::new(
            line.as_str(),
            (x, 30 + 19 * k as i32),
            TextStyle::from((FONT, 14).into_font())
                .color(&RGBColor(70, 75, 85))
                .pos(centre),
        ))?;
    }
    Ok(())
}

fn dashed_diagonal<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    label: &str,
) -> Result<(), Failure>
where
    DB::ErrorType: 'static,
{
    let style = DIAGONAL.stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            6,
            5,
            style,
        ))?
        .label(label)
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (8, 0)], style)
                + PathElement::new(vec![(14, 0), (22, 0)], style)
        });
    Ok(())
}

fn calibration(
    area: &DrawingArea<SVGBackend, Shift>,
    layout: &Layout,
    evaluation: &Evaluation,
) -> Result<(), Failure> {
    // Loess is not bounded to [0, 1]; widen the axis rather than hide part of the curve.
    let low = evaluation
        .calibration_curve
        .iter()
        .map(|&(_, s)| s)
        .fold(0.0_f64, f64::min);
    let high = evaluation
        .calibration_curve
        .iter()
        .map(|&(_, s)| s)
        .fold(1.0_f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin_left(layout.margin_left)
        .margin_right(layout.margin_right())
        .margin_top(MARGIN_Y)
        .x_label_area_size(CALIBRATION_X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..1.0, low..high)?;
    chart
        .configure_mesh()
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| format!("{v:.1}"))
        .y_desc("Observed proportion with the outcome")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;

    dashed_diagonal(&mut chart, "Perfect calibration (observed = predicted)")?;

    let bins = &evaluation.ece.equal_mass.bins;
    let bar = BINS.stroke_width(2);
    chart.draw_series(bins.iter().map(|b| {
        PathElement::new(
            vec![(b.mean_predicted, b.ci_low), (b.mean_predicted, b.ci_high)],
            bar,
        )
    }))?;
    chart
        .draw_series(
            bins.iter()
                .map(|b| Circle::new((b.mean_predicted, b.observed), 5, BINS.filled())),
        )?
        .label(format!(
            "{} equal-mass bins with 95% Wilson intervals",
            bins.len()
        ))
        .legend(move |(x, y)| {
            EmptyElement::at((x + 11, y))
                + PathElement::new(vec![(0, -7), (0, 7)], bar)
                + Circle::new((0, 0), 5, BINS.filled())
        });

    let smooth = SMOOTH.stroke_width(3);
    chart
        .draw_series(LineSeries::new(
            evaluation.calibration_curve.iter().copied(),
            smooth,
        ))?
        .label(format!(
            "Loess smooth (ICI {}, Emax {})",
            number(evaluation.ici, 3),
            number(evaluation.emax, 3)
        ))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], smooth));

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

fn histogram(
    area: &DrawingArea<SVGBackend, Shift>,
    layout: &Layout,
    y: &[f64],
    p: &[f64],
) -> Result<(), Failure> {
    let mut events = [0usize; HISTOGRAM_BINS];
    let mut non_events = [0usize; HISTOGRAM_BINS];
    for (&y, &p) in y.iter().zip(p) {
        let k = ((p * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
        if y == 1.0 {
            events[k] += 1;
        } else {
            non_events[k] += 1;
        }
    }
    let tallest = (0..HISTOGRAM_BINS)
        .map(|k| events[k] + non_events[k])
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin_left(layout.margin_left)
        .margin_right(layout.margin_right())
        .margin_bottom(MARGIN_Y)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..1.0, 0.0..tallest * 1.05)?;
    chart
        .configure_mesh()
        .x_labels(11)
        .y_labels(3)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("Predicted probability")
        .y_desc("Count")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    let width = 1.0 / HISTOGRAM_BINS as f64;
    // Stacked: non-events at the bottom, events on top, so the bar height is the total
    // and the orange share is the observed rate in that slice of predicted risk.
    chart
        .draw_series((0..HISTOGRAM_BINS).filter(|&k| non_events[k] > 0).map(|k| {
            let x = k as f64 * width;
            Rectangle::new(
                [(x, 0.0), (x + width, non_events[k] as f64)],
                NON_EVENTS.filled(),
            )
        }))?
        .label("without the outcome")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], NON_EVENTS.filled()));
    chart
        .draw_series((0..HISTOGRAM_BINS).filter(|&k| events[k] > 0).map(|k| {
            let x = k as f64 * width;
            let base = non_events[k] as f64;
            Rectangle::new(
                [(x, base), (x + width, base + events[k] as f64)],
                EVENTS.mix(0.75).filled(),
            )
        }))?
        .label("with the outcome")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], EVENTS.mix(0.75).filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(6)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

fn roc(
    area: &DrawingArea<SVGBackend, Shift>,
    layout: &Layout,
    evaluation: &Evaluation,
) -> Result<(), Failure> {
    let mut chart = ChartBuilder::on(area)
        .margin_left(layout.margin_left)
        .margin_right(layout.margin_right())
        .margin_top(MARGIN_Y)
        .margin_bottom(MARGIN_Y)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .x_desc("False positive rate (1 − specificity)")
        .y_desc("True positive rate (sensitivity)")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    dashed_diagonal(&mut chart, "No discrimination (AUC 0.5)")?;
    let curve = SMOOTH.stroke_width(3);
    chart
        .draw_series(LineSeries::new(evaluation.roc.iter().copied(), curve))?
        .label(format!(
            "ROC: AUC {} (95% CI {} to {})",
            number(evaluation.auc, 3),
            number(evaluation.auc_ci[0], 3),
            number(evaluation.auc_ci[1], 3)
        ))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], curve));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .margin(12)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

/// The vertical range of the decision-curve plot: from −0.05 (or −prevalence, when the
/// prevalence is below 0.05) to 1.1 × prevalence. No strategy's net benefit exceeds the
/// prevalence, and treat-all falls without bound as the threshold rises, so the range
/// keeps the region where the strategies differ, as decision-curve plots usually do.
pub fn decision_y_range(prevalence: f64) -> (f64, f64) {
    (-prevalence.min(0.05), 1.1 * prevalence)
}

/// The decision curve `rows` (in increasing threshold order) of data with `prevalence`, as
/// SVG: net benefit against threshold for the model, treat all and treat none.
pub fn decision_curve_svg(
    rows: &[DecisionCurveRow],
    prevalence: f64,
    title: &str,
) -> Result<Svg, String> {
    let mut svg = String::new();
    draw_decision(&mut svg, rows, prevalence, title).map_err(|e| e.to_string())?;
    Ok(Svg(svg))
}

fn draw_decision(
    svg: &mut String,
    rows: &[DecisionCurveRow],
    prevalence: f64,
    title: &str,
) -> Result<(), Failure> {
    let root = SVGBackend::with_string(svg, (DECISION_WIDTH, DECISION_HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let body = root.titled(title, (FONT, 22).into_font().color(&BLACK))?;
    let (head, plot) = body.split_vertically(HEAD_HEIGHT);
    // The heading centres over the plot area the chart below leaves (its margins 10
    // and 24 around the y labels).
    let layout = Layout {
        column: DECISION_WIDTH,
        side: DECISION_WIDTH - 10 - Y_LABEL_AREA - 24,
        margin_left: 10,
    };
    heading(
        &head,
        &layout,
        "Decision curve: net benefit against threshold",
        &[format!(
            "treat if predicted ≥ t; net benefit = TP/N − FP/N · t/(1 − t); prevalence {}",
            number(prevalence, 3)
        )],
    )?;
    let (low, high) = decision_y_range(prevalence);
    let mut chart = ChartBuilder::on(&plot)
        .margin_left(10)
        .margin_right(24)
        .margin_top(6)
        .margin_bottom(6)
        .x_label_area_size(46)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0.0..1.0, low..high)?;
    chart
        .configure_mesh()
        .x_labels(11)
        .y_labels(9)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .x_desc("Threshold probability t")
        .y_desc("Net benefit")
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 13))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;

    let none = TREAT_NONE.stroke_width(1);
    chart
        .draw_series(LineSeries::new(vec![(0.0, 0.0), (1.0, 0.0)], none))?
        .label("Treat none")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], none));

    let all = TREAT_ALL.stroke_width(2);
    let all_points: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r.threshold, r.net_benefit_all))
        .collect();
    let mut all_series = None;
    for piece in clip_to_band(&all_points, low, high) {
        all_series = Some(chart.draw_series(DashedLineSeries::new(piece, 8, 5, all))?);
    }
    if let Some(series) = all_series {
        series.label("Treat all").legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (9, 0)], all)
                + PathElement::new(vec![(14, 0), (22, 0)], all)
        });
    }

    let model = SMOOTH.stroke_width(3);
    let model_points: Vec<(f64, f64)> = rows.iter().map(|r| (r.threshold, r.net_benefit)).collect();
    let mut model_series = None;
    for piece in clip_to_band(&model_points, low, high) {
        model_series = Some(chart.draw_series(LineSeries::new(piece, model))?);
    }
    if rows.len() <= MARKED_THRESHOLDS {
        let inside = model_points
            .iter()
            .filter(|(_, v)| (low..=high).contains(v));
        let marks = inside.map(|&point| Circle::new(point, 4, SMOOTH.filled()));
        model_series = Some(chart.draw_series(marks)?);
    }
    if let Some(series) = model_series {
        series
            .label("Model")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], model));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(12)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

/// The parts of the polyline `points` that lie within `low ..= high` vertically, each a
/// polyline of its own, cut where a segment crosses a bound: the plot shows where a curve
/// leaves the axis range instead of drawing it over the margins.
fn clip_to_band(points: &[(f64, f64)], low: f64, high: f64) -> Vec<Vec<(f64, f64)>> {
    let inside = |y: f64| (low..=high).contains(&y);
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let crossing = |a: (f64, f64), b: (f64, f64), bound: f64| {
        let share = (bound - a.1) / (b.1 - a.1);
        (a.0 + share * (b.0 - a.0), bound)
    };
    for (k, &point) in points.iter().enumerate() {
        let previous = k.checked_sub(1).map(|j| points[j]);
        match (previous, inside(point.1)) {
            (None, true) => current.push(point),
            (None, false) => {}
            (Some(a), true) if inside(a.1) => current.push(point),
            (Some(a), true) => {
                let bound = if a.1 > high { high } else { low };
                current.push(crossing(a, point, bound));
                current.push(point);
            }
            (Some(a), false) => {
                if inside(a.1) {
                    let bound = if point.1 > high { high } else { low };
                    current.push(crossing(a, point, bound));
                    pieces.push(std::mem::take(&mut current));
                } else if (a.1 > high) != (point.1 > high) {
                    // From above the band to below it (or back) in one segment.
                    let (first, second) = if a.1 > high { (high, low) } else { (low, high) };
                    pieces.push(vec![crossing(a, point, first), crossing(a, point, second)]);
                }
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_curve_is_cut_where_it_leaves_the_band() {
        let points = [
            (0.0, 0.5),
            (0.25, 0.0),
            (0.5, -1.0),
            (0.75, -1.0),
            (1.0, 0.0),
        ];
        let pieces = clip_to_band(&points, -0.5, 0.25);
        assert_eq!(
            pieces,
            vec![
                vec![(0.125, 0.25), (0.25, 0.0), (0.375, -0.5)],
                vec![(0.875, -0.5), (1.0, 0.0)],
            ]
        );
        // Wholly inside: one piece, unchanged; wholly outside: nothing.
        assert_eq!(
            clip_to_band(&points[..2], -1.0, 1.0),
            vec![points[..2].to_vec()]
        );
        assert!(clip_to_band(&points[2..4], -0.5, 0.25).is_empty());
        // Straight through the band from above to below.
        let through = clip_to_band(&[(0.0, 2.0), (1.0, -2.0)], -1.0, 1.0);
        assert_eq!(through, vec![vec![(0.25, 1.0), (0.75, -1.0)]]);
    }

    #[test]
    fn the_y_range_holds_every_net_benefit_that_can_occur() {
        assert_eq!(decision_y_range(0.4), (-0.05, 1.1 * 0.4));
        assert_eq!(decision_y_range(0.02), (-0.02, 1.1 * 0.02));
    }
}
