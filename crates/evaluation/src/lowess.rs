//! The scatterplot smoother of R's `lowess(x, y, f, iter = 0)` (Cleveland 1979, without
//! the robustness iterations) and R's `approx(rule = 1)` to read the smoothed curve at
//! chosen points.
//!
//! This is the smoother rms's `calibrate()` uses for its overfitting-corrected calibration
//! curve, so the curve here can be compared with rms number for number. It differs from
//! the loess of [`crate::metrics::loess_calibration`] (R's `loess`: local quadratic fits,
//! a window of 75% of the points): lowess fits local *lines* in a window of a fraction
//! `f` of the points, and fits only at points at least `delta` apart, interpolating
//! linearly in between. The definitions are in `docs/validation.md`.

/// The smoothed curve: the points sorted by x, each with its fitted value (ties in x keep
/// their order and share one fitted value), as R's `lowess` returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Sorted x.
    pub x: Vec<f64>,
    /// The fitted value at each x.
    pub fitted: Vec<f64>,
}

/// Smooths `y` on `x` with span `f` (the fraction of the points in each local window) and
/// R's default `delta = 0.01 · (max x − min x)`, as R's `lowess(x, y, f, iter = 0)`.
///
/// The inputs must have the same length, at least one point and finite values; the
/// caller checks (the validation code passes predictions and 0/1 outcomes it made).
///
/// ```rust
/// use recontact_evaluation::lowess::lowess;
///
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
/// let y = [2.0, 4.0, 3.0, 6.0, 5.0, 8.0, 9.0, 7.0, 11.0, 10.0];
/// let curve = lowess(&x, &y, 0.5);
/// // statsmodels lowess(y, x, frac=0.5, it=0, delta=0.09)[:, 1]
/// let reference = [
///     2.291792770687043, 3.167184290298985, 4.145242070116861, 4.854757929883139,
///     6.145242070116861, 7.427378964941569, 8.141068447412355, 8.717863105175292,
///     9.568213102925913, 10.54714194214529,
/// ];
/// assert_eq!(curve.x, x);
/// assert!(curve.fitted.iter().zip(reference).all(|(f, r)| (f - r).abs() < 1e-13));
/// // numpy.interp(4.5, x, fitted) = 5.5
/// assert!((curve.at(4.5).unwrap() - 5.5).abs() < 1e-13);
/// assert_eq!(curve.at(11.0), None);
/// ```
pub fn lowess(x: &[f64], y: &[f64], f: f64) -> Curve {
    debug_assert_eq!(x.len(), y.len());
    let mut pairs: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
    // Stable, as R's order(): tied x keep their input order.
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (x, y): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let n = x.len();
    if n < 2 {
        return Curve { fitted: y, x };
    }
    let delta = 0.01 * (x[n - 1] - x[0]);
    let fitted = smooth_sorted(&x, &y, f, delta);
    Curve { x, fitted }
}

/// The fitted values of lowess without robustness iterations on sorted `x` (n ≥ 2): the
/// loop of Cleveland's `clowess`, one local fit per point unless the point lies within
/// `delta` of the last fitted one (then it is interpolated).
fn smooth_sorted(x: &[f64], y: &[f64], f: f64, delta: f64) -> Vec<f64> {
    let n = x.len();
    // Points in a window: at least two, at most all (the 1e-7 guards f·n just below a
    // whole number, as in R).
    let ns = ((f * n as f64 + 1e-7) as usize).clamp(2, n);
    let mut fitted = vec![0.0; n];
    let (mut left, mut right) = (0, ns - 1);
    let mut last: Option<usize> = None;
    let mut i = 0;
    loop {
        // Slide the window right while that brings its far end closer to x[i].
        while right < n - 1 && x[i] - x[left] > x[right + 1] - x[i] {
            left += 1;
            right += 1;
        }
        fitted[i] = local_line(x, y, i, left, right).unwrap_or(y[i]);
        // Points skipped since the last fit lie on the line between the two fits.
        let from = last.map_or(0, |l| l + 1);
        if let Some(l) = last {
            let width = x[i] - x[l];
            for j in from..i {
                let alpha = (x[j] - x[l]) / width;
                fitted[j] = alpha * fitted[i] + (1.0 - alpha) * fitted[l];
            }
        }
        let mut done = i;
        // Ties of x[i] share its value; the next fit is at the last point within delta.
        let cut = x[done] + delta;
        let mut next = done + 1;
        while next < n && x[next] <= cut {
            if x[next] == x[done] {
                fitted[next] = fitted[done];
                done = next;
            }
            next += 1;
        }
        last = Some(done);
        if done >= n - 1 {
            return fitted;
        }
        i = (done + 1).max(next - 1);
    }
}

/// The local weighted line of the window `left..=right` (extended right over ties) at
/// `x[at]`, with tricube weights of the distance over the window's radius; `None` when
/// every weight is zero.
///
/// One pass where clowess takes six: with u = x − x[at], the sums Σw, Σwy, Σwu, Σwu²,
/// Σwuy give the weighted centre, spread and cross-product, and the fit
/// Σw'y + b Σw'(x − a)y (w' = w / Σw, b = (x[at] − a) / Σw'(x − a)²) is clowess's
/// Σ w'(b(x − a) + 1) y regrouped. Centring on x[at] keeps the differences small, so the
/// one-pass spread agrees with the two-pass one to rounding (the tests compare with a
/// port of clowess to 1e−13).
fn local_line(x: &[f64], y: &[f64], at: usize, left: usize, right: usize) -> Option<f64> {
    let n = x.len();
    let xs = x[at];
    let range = x[n - 1] - x[0];
    let h = (xs - x[left]).max(x[right] - xs);
    let h9 = 0.999 * h;
    let (mut total, mut wy, mut wu, mut wuu, mut wuy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&xj, &yj) in x[left..].iter().zip(&y[left..]) {
        let u = xj - xs;
        let r = u.abs();
        if r <= h9 {
            let w = tricube(r, h);
            total += w;
            wy += w * yj;
            wu += w * u;
            wuu += w * u * u;
            wuy += w * u * yj;
        } else if xj > xs {
            break;
        }
    }
    if total <= 0.0 {
        return None;
    }
    let mean_y = wy / total;
    if h <= 0.0 {
        return Some(mean_y);
    }
    // The weighted centre relative to x[at], a − x[at].
    let offset = wu / total;
    let spread = (wuu / total - offset * offset).max(0.0);
    let cross = wuy / total - offset * mean_y;
    // Only when the x values are spread enough is a slope estimated; otherwise the local
    // fit is the weighted mean.
    if spread.sqrt() > 0.001 * range {
        Some(mean_y - offset / spread * cross)
    } else {
        Some(mean_y)
    }
}

/// The tricube weight of a point at distance `r` (≤ 0.999 h) from the fitted one, with
/// clowess's cut-off: 1 within 0.001 h.
fn tricube(r: f64, h: f64) -> f64 {
    if r <= 0.001 * h {
        1.0
    } else {
        let u = r / h;
        let t = 1.0 - u * u * u;
        t * t * t
    }
}

impl Curve {
    /// The curve at `at` by linear interpolation between its distinct x (a tied x takes
    /// its first fitted value), `None` outside `[min x, max x]`: R's
    /// `approx(x, fitted, xout = at, ties = function(v) v[1], rule = 1)`.
    pub fn at(&self, at: f64) -> Option<f64> {
        let (x, fitted) = (&self.x, &self.fitted);
        let n = x.len();
        if n == 0 || !(at >= x[0] && at <= x[n - 1]) {
            return None;
        }
        // First index with x > at; the segment ends there.
        let above = x.partition_point(|&v| v <= at);
        if above == n {
            // at == max x: the first of the tied largest values.
            let first = x.partition_point(|&v| v < at);
            return Some(fitted[first]);
        }
        // The first of the ties at the left end of the segment.
        let left_x = x[above - 1];
        let left = x.partition_point(|&v| v < left_x);
        if left_x == at {
            return Some(fitted[left]);
        }
        let (x0, x1) = (left_x, x[above]);
        let (y0, y1) = (fitted[left], fitted[above]);
        Some(y0 + (y1 - y0) * ((at - x0) / (x1 - x0)))
    }
}

/// Linear interpolation of `(x, y)` (x sorted increasing and distinct) at `at`, `None`
/// outside `[x[0], x[last]]`: R's `approx(x, y, xout = at, rule = 1)`.
///
/// ```rust
/// use recontact_evaluation::lowess::interpolate;
///
/// let (x, y) = ([1.0, 2.0, 4.0], [10.0, 20.0, 0.0]);
/// // numpy.interp(2.5, x, y) = 15.0
/// assert_eq!(interpolate(&x, &y, 2.5), Some(15.0));
/// assert_eq!(interpolate(&x, &y, 4.0), Some(0.0));
/// // Outside [1, 4] there is no value (numpy.interp would repeat the end).
/// assert_eq!(interpolate(&x, &y, 4.5), None);
/// ```
pub fn interpolate(x: &[f64], y: &[f64], at: f64) -> Option<f64> {
    let n = x.len();
    if n == 0 || !(at >= x[0] && at <= x[n - 1]) {
        return None;
    }
    let above = x.partition_point(|&v| v <= at);
    if above == n || x[above - 1] == at {
        return Some(y[above - 1]);
    }
    let (x0, x1) = (x[above - 1], x[above]);
    Some(y[above - 1] + (y[above] - y[above - 1]) * ((at - x0) / (x1 - x0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_reproduced_and_ties_share_a_value() {
        let x = [3.0, 1.0, 2.0, 2.0, 5.0, 4.0, 6.0, 7.0];
        let y: Vec<f64> = x.iter().map(|v| 0.5 * v - 1.0).collect();
        let curve = lowess(&x, &y, 2.0 / 3.0);
        assert_eq!(curve.x, vec![1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        for (xi, fi) in curve.x.iter().zip(&curve.fitted) {
            assert!((fi - (0.5 * xi - 1.0)).abs() < 1e-12, "{curve:?}");
        }
        assert_eq!(curve.fitted[1], curve.fitted[2]);
        assert!((curve.at(2.5).unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(curve.at(0.5), None);
        assert_eq!(curve.at(7.5), None);
        assert!((curve.at(7.0).unwrap() - 2.5).abs() < 1e-12);
    }

    #[test]
    fn ties_and_skipped_points_match_the_numpy_port_of_clowess() {
        // Reference: `clowess(x, y)` of scripts/validation_reference.py (a numpy port of R's
        // C routine, iter = 0, f = 2/3, delta = 0.01 · range). x has ties (0.12, 0.3) and
        // points within delta of a fitted one (0.602, 0.604 lie on the line between the
        // fits at 0.6 and 0.606).
        let x = [
            0.05, 0.12, 0.12, 0.13, 0.2, 0.21, 0.215, 0.3, 0.3, 0.3, 0.42, 0.5, 0.51, 0.515, 0.6,
            0.602, 0.604, 0.606, 0.7, 0.71, 0.85, 0.9, 0.95,
        ];
        let y = [
            0., 0., 1., 0., 0., 1., 0., 0., 1., 1., 0., 1., 0., 1., 1., 0., 1., 0., 1., 0., 1., 1.,
            1.,
        ];
        let expected = [
            0.18945640533197097,
            0.2803446268640055,
            0.2803446268640055,
            0.2926041483590054,
            0.3719268899420178,
            0.3821444173286008,
            0.38713438167626657,
            0.45912974815991375,
            0.45912974815991375,
            0.45912974815991375,
            0.5335432540110154,
            0.5227560864480043,
            0.5222048301982246,
            0.5219807220543644,
            0.5313383272826058,
            0.5326129495396836,
            0.5338875717967613,
            0.535162194053839,
            0.6671426541276125,
            0.6804912660484544,
            0.8598036378404856,
            0.9271312311332791,
            0.9969290995338066,
        ];
        // Reversed input: the smoother sorts.
        let (xr, yr): (Vec<f64>, Vec<f64>) = x.iter().zip(&y).rev().map(|(a, b)| (*a, *b)).unzip();
        let curve = lowess(&xr, &yr, 2.0 / 3.0);
        for (k, (got, want)) in curve.fitted.iter().zip(expected).enumerate() {
            assert!((got - want).abs() < 1e-13, "point {k}: {got} vs {want}");
        }
        // approx(..., xout = c(0.3, 0.125, 0.95, 0.04), ties = first): 0.28647439 by hand
        // is the midpoint of the fits at 0.12 and 0.13.
        assert!((curve.at(0.3).unwrap() - 0.45912974815991375).abs() < 1e-13);
        let midpoint = (0.2803446268640055 + 0.2926041483590054) / 2.0;
        assert!((curve.at(0.125).unwrap() - midpoint).abs() < 1e-12);
        assert!((curve.at(0.95).unwrap() - 0.9969290995338066).abs() < 1e-13);
        assert_eq!(curve.at(0.04), None);
    }

    #[test]
    fn interpolation_is_linear_and_refuses_extrapolation() {
        let (x, y) = ([0.0, 1.0, 3.0], [0.0, 2.0, 0.0]);
        assert_eq!(interpolate(&x, &y, 0.5), Some(1.0));
        assert_eq!(interpolate(&x, &y, 2.0), Some(1.0));
        assert_eq!(interpolate(&x, &y, 3.0), Some(0.0));
        assert_eq!(interpolate(&x, &y, 1.0), Some(2.0));
        assert_eq!(interpolate(&x, &y, -0.1), None);
    }
}
