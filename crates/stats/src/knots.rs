//! Default knots of a restricted cubic spline, placed as `Hmisc::rcspline.eval` places
//! them (Hmisc 5.2-5, `R/rcspline.eval.s`, with its default `fractied = 0.05`; `rms::rcs`
//! calls it for `rcs(x, k)`).
//!
//! The rule reads a column in two stages, so that a fit in memory and a fit by passes
//! over a file find the same knots: first a [`KnotProfile`] (row count, the distinct
//! values when there are few, the two smallest and two largest distinct values with their
//! counts, whether some other value is heavily tied), which gives a [`KnotPlan`]; then the
//! order statistics the plan asks for ([`KnotPlan::ranks`]), from which
//! [`KnotPlan::knots`] computes the knots.

use std::collections::BTreeMap;

/// Hmisc's `fractied`: a value making up at least this fraction of the rows is "tied".
pub const FRACTIED: f64 = 0.05;

/// What the rule must know of a column before reading any quantile.
#[derive(Debug, Clone, PartialEq)]
pub struct KnotProfile {
    /// Values (rows).
    pub n: usize,
    /// The distinct values ascending, when there are at most k + 2 of them.
    pub few_distinct: Option<Vec<f64>>,
    /// The smallest and the second smallest distinct value, each with its count.
    pub low: [(f64, usize); 2],
    /// The largest and the second largest distinct value, each with its count.
    pub high: [(f64, usize); 2],
    /// Whether a value other than the smallest and the largest makes up at least
    /// [`FRACTIED`] of the rows.
    pub interior_tied: bool,
}

impl KnotProfile {
    /// The profile of some values for `k` knots, from a sorted copy.
    ///
    /// ```rust
    /// use recontact_stats::knots::KnotProfile;
    ///
    /// let profile = KnotProfile::of(&[3.0, 1.0, 2.0, 2.0, 5.0], 3);
    /// assert_eq!(profile.n, 5);
    /// // 4 distinct values, at most k + 2 = 5: all of them are kept.
    /// assert_eq!(profile.few_distinct, Some(vec![1.0, 2.0, 3.0, 5.0]));
    /// assert_eq!(profile.low, [(1.0, 1), (2.0, 2)]);
    /// assert_eq!(profile.high, [(5.0, 1), (3.0, 1)]);
    /// // 2.0 makes up 2/5 of the rows, at least FRACTIED = 0.05.
    /// assert!(profile.interior_tied);
    /// ```
    pub fn of(values: &[f64], k: usize) -> KnotProfile {
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut runs: Vec<(f64, usize)> = Vec::new();
        for &value in &sorted {
            match runs.last_mut() {
                Some((last, count)) if *last == value => *count += 1,
                _ => runs.push((value, 1)),
            }
        }
        let n = sorted.len();
        let at = |i: usize| runs.get(i).copied().unwrap_or((f64::NAN, 0));
        let from_end = |i: usize| {
            runs.len()
                .checked_sub(i + 1)
                .map_or((f64::NAN, 0), |j| runs[j])
        };
        let interior = runs.get(1..runs.len().saturating_sub(1)).unwrap_or(&[]);
        KnotProfile {
            n,
            few_distinct: (runs.len() <= k + 2).then(|| runs.iter().map(|r| r.0).collect()),
            low: [at(0), at(1)],
            high: [from_end(0), from_end(1)],
            interior_tied: interior.iter().any(|&(_, c)| is_tied(c, n)),
        }
    }
}

/// Hmisc's test `table(x) / n >= fractied`, in the same floating-point arithmetic.
///
/// ```rust
/// use recontact_stats::knots::is_tied;
///
/// // 5/100 = 0.05 reaches FRACTIED; 4/100 does not.
/// assert!(is_tied(5, 100));
/// assert!(!is_tied(4, 100));
/// ```
pub fn is_tied(count: usize, n: usize) -> bool {
    count as f64 / n as f64 >= FRACTIED
}

/// What the profile decides: the knots already, or which quantiles of which rows.
#[derive(Debug, Clone, PartialEq)]
pub enum KnotPlan {
    /// Few distinct values: the knots are all of them but the smallest and the largest.
    Known(Vec<f64>),
    /// Quantiles of the `m` rows of rank `offset..offset + m` (ascending), between the
    /// knots set at a heavily tied end.
    Quantiles {
        /// The knot at the second smallest value, when the smallest is heavily tied.
        first: Option<f64>,
        /// The knot at the second largest value, when the largest is heavily tied.
        last: Option<f64>,
        /// Rows below the quantiles' rows.
        offset: usize,
        /// Rows the quantiles are taken of.
        m: usize,
        /// Knots to place by quantiles (k less those set at the ends).
        nke: usize,
        /// The outer quantile: .1 for 3 knots, .05 for 4 to 6, .025 for more.
        outer: f64,
    },
}

/// R's `seq(from, to, length.out = count)`: `c(from, from + (1:(count-2)) * by, to)`.
fn seq(from: f64, to: f64, count: usize) -> Vec<f64> {
    if count < 2 {
        return vec![from; count];
    }
    let by = (to - from) / (count - 1) as f64;
    let mut values: Vec<f64> = (0..count - 1).map(|i| from + i as f64 * by).collect();
    values.push(to);
    values
}

/// The plan for `k` knots of a column with this profile; an error (Hmisc's `stop`) for
/// fewer than 6 values.
///
/// The whole rule on one column: profile, plan, the order statistics it asks for, knots.
///
/// ```rust
/// use std::collections::BTreeMap;
/// use recontact_stats::knots::{plan, KnotPlan, KnotProfile};
///
/// let values: Vec<f64> = (1..=200).map(|i| f64::from(i).sqrt()).collect();
/// let planned = plan(&KnotProfile::of(&values, 4), 4)?;
/// assert!(matches!(planned, KnotPlan::Quantiles { nke: 4, outer: 0.05, .. }));
/// // `values` is sorted already, so the order statistic of rank r is values[r].
/// let order: BTreeMap<usize, f64> = planned.ranks().into_iter().map(|r| (r, values[r])).collect();
/// let knots = planned.knots(&order)?;
/// // numpy.quantile(numpy.sqrt(numpy.arange(1, 201)), [.05, .35, .65, .95])
/// let reference = [3.308907433846049, 8.405307445433897, 11.417073362935255, 13.785860062539973];
/// assert!(knots.iter().zip(reference).all(|(k, r)| (k - r).abs() < 1e-14));
/// // Fewer than 6 values: no default knots.
/// assert!(plan(&KnotProfile::of(&[1.0, 2.0, 3.0, 4.0, 5.0], 3), 3).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn plan(profile: &KnotProfile, k: usize) -> Result<KnotPlan, String> {
    let n = profile.n;
    if n < 6 {
        return Err(format!(
            "{n} values are too few to place default knots (6 or more are needed)"
        ));
    }
    if let Some(distinct) = &profile.few_distinct {
        let inner = distinct
            .get(1..distinct.len().saturating_sub(1))
            .unwrap_or(&[]);
        return Ok(KnotPlan::Known(inner.to_vec()));
    }
    let outer = match k {
        3 => 0.1,
        4..=6 => 0.05,
        _ => 0.025,
    };
    let (mut first, mut last, mut offset, mut top, mut nke) = (None, None, 0, 0, k);
    if !profile.interior_tied {
        if is_tied(profile.low[0].1, n) {
            first = Some(profile.low[1].0);
            offset = profile.low[0].1 + profile.low[1].1;
            nke -= 1;
        }
        if is_tied(profile.high[0].1, n) {
            last = Some(profile.high[1].0);
            top = profile.high[0].1 + profile.high[1].1;
            nke -= 1;
        }
    }
    // Hmisc's branch `nxu <= nke` (knots at every distinct value) cannot be reached here:
    // more than k + 2 distinct values are left.
    Ok(KnotPlan::Quantiles {
        first,
        last,
        offset,
        m: n - offset - top,
        nke,
        outer,
    })
}

impl KnotPlan {
    /// The probabilities of the first try and of the alternate algorithm.
    fn probabilities(nke: usize, outer: f64) -> (Vec<f64>, Vec<f64>) {
        let first = if nke == 2 {
            seq(0.5, 1.0 - outer, 2)
        } else {
            seq(outer, 1.0 - outer, nke)
        };
        (first, seq(outer, 1.0 - outer, 2 * nke))
    }

    /// The order statistics (0-based ranks among all rows) [`KnotPlan::knots`] may read.
    pub fn ranks(&self) -> Vec<usize> {
        let KnotPlan::Quantiles {
            offset,
            m,
            nke,
            outer,
            ..
        } = *self
        else {
            return Vec::new();
        };
        if m == 0 {
            return Vec::new();
        }
        let (tried, alternate) = KnotPlan::probabilities(nke, outer);
        let mut ranks: Vec<usize> = tried
            .iter()
            .chain(&alternate)
            .chain(&[0.5, 1.0 - outer])
            .flat_map(|&p| type7_ranks(m, p))
            .chain([4, m.saturating_sub(5)].into_iter().filter(|&r| r < m))
            .map(|r| offset + r)
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        ranks
    }

    /// The knots, ascending and distinct, from the order statistics at
    /// [`KnotPlan::ranks`]; an error when fewer than 3 distinct knots remain.
    pub fn knots(&self, order: &BTreeMap<usize, f64>) -> Result<Vec<f64>, String> {
        let knots = match *self {
            KnotPlan::Known(ref knots) => knots.iter().map(|&k| Some(k)).collect(),
            KnotPlan::Quantiles {
                first,
                last,
                offset,
                m,
                nke,
                outer,
            } => {
                let reduced = Reduced { order, offset, m };
                let mut knots = reduced.inner_knots(first, last, nke, outer)?;
                knots.insert(0, first);
                knots.push(last);
                knots
            }
        };
        let mut knots: Vec<f64> = knots.into_iter().flatten().collect();
        knots.sort_by(f64::total_cmp);
        knots.dedup();
        if knots.len() < 3 {
            return Err(format!(
                "fewer than 3 distinct default knots ({knots:?}): too few distinct values"
            ));
        }
        Ok(knots)
    }
}

/// The `m` rows of rank `offset..offset + m`, read through their order statistics.
struct Reduced<'a> {
    order: &'a BTreeMap<usize, f64>,
    offset: usize,
    m: usize,
}

impl Reduced<'_> {
    /// The value of 0-based rank `r` among these rows (R's `NA` beyond them).
    fn at(&self, r: usize) -> Result<Option<f64>, String> {
        if r >= self.m {
            return Ok(None);
        }
        self.order
            .get(&(self.offset + r))
            .copied()
            .map(Some)
            .ok_or_else(|| format!("order statistic {} was not read", self.offset + r))
    }

    /// R's `quantile(x, p, type = 7)`: (1 − h)·x[lo] + h·x[hi] at index 1 + (m − 1)·p.
    fn quantile(&self, p: f64) -> Result<f64, String> {
        let index = 1.0 + (self.m.max(1) - 1) as f64 * p;
        let lo = index.floor();
        let [low, high] = type7_ranks(self.m, p);
        let (a, b) = (self.at(low)?, self.at(high)?);
        let (Some(a), Some(b)) = (a, b) else {
            return Err("no rows left between the tied ends".to_string());
        };
        if index > lo && b != a {
            let h = index - lo;
            Ok((1.0 - h) * a + h * b)
        } else {
            Ok(a)
        }
    }

    /// R's `median`.
    fn median(&self) -> Result<f64, String> {
        let half = self.m.div_ceil(2);
        let (a, b) = if self.m % 2 == 1 {
            (self.at(half - 1)?, self.at(half - 1)?)
        } else {
            (self.at(half - 1)?, self.at(half)?)
        };
        match (a, b) {
            (Some(a), Some(b)) => Ok((a + b) / 2.0),
            _ => Err("no rows left between the tied ends".to_string()),
        }
    }

    fn quantiles(&self, probabilities: &[f64]) -> Result<Vec<Option<f64>>, String> {
        probabilities
            .iter()
            .map(|&p| self.quantile(p).map(Some))
            .collect()
    }

    /// The knots between the ends, as Hmisc computes them (its `knots` before the ends
    /// are added); `None` stands for R's `NA`, which the final `sort` drops.
    fn inner_knots(
        &self,
        first: Option<f64>,
        last: Option<f64>,
        nke: usize,
        outer: f64,
    ) -> Result<Vec<Option<f64>>, String> {
        if nke == 1 {
            return Ok(vec![Some(self.median()?)]);
        }
        let (tried, alternate) = KnotPlan::probabilities(nke, outer);
        let mut knots = self.quantiles(&tried)?;
        if distinct(&knots) < nke.min(3) {
            knots = self.quantiles(&alternate)?;
            if let (Some(first), true) = (first, distinct(&knots) < 3) {
                let middle = match last {
                    Some(last) => (first + last) / 2.0,
                    None => self.median()?,
                };
                let end = match last {
                    Some(last) => last,
                    None => self.quantile(1.0 - outer)?,
                };
                let mut three = [first, middle, end];
                three.sort_by(f64::total_cmp);
                knots = three.into_iter().map(Some).collect();
            }
            if distinct(&knots) < 3 {
                return Err(format!(
                    "fewer than 3 distinct default knots for {nke} inner knots: too many \
                     tied values"
                ));
            }
        }
        if self.m < 100 {
            // Hmisc: with fewer than 100 values the outer knots move to the 5th smallest
            // and 5th largest value (`knots[nke]` may lie past the end: R extends).
            if first.is_none() {
                knots[0] = self.at(4)?;
            }
            if last.is_none() {
                let value = self.at(self.m.wrapping_sub(5))?;
                if nke - 1 < knots.len() {
                    knots[nke - 1] = value;
                } else {
                    knots.resize(nke - 1, None);
                    knots.push(value);
                }
            }
        }
        Ok(knots)
    }
}

/// Distinct non-missing values, as R's `length(unique(knots))` (NA counts once).
fn distinct(knots: &[Option<f64>]) -> usize {
    let mut values: Vec<Option<u64>> = knots
        .iter()
        .map(|k| k.map(|k| (k + 0.0).to_bits()))
        .collect();
    values.sort_unstable();
    values.dedup();
    values.len()
}

/// The two 0-based ranks R's type 7 quantile `p` of `m` values interpolates.
fn type7_ranks(m: usize, p: f64) -> [usize; 2] {
    let index = 1.0 + (m.max(1) - 1) as f64 * p;
    let lo = index.floor() as usize - 1;
    let hi = (index.ceil() as usize - 1).min(m.saturating_sub(1));
    [lo, hi]
}
