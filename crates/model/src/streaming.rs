//! Fitting by passes over a source, for data larger than memory.
//!
//! Memory depends on the design's width (the p × p information matrix), the chunks in
//! flight and the categorical levels, never on the number of rows. The price is time:
//! one pass to learn levels and counts, one or two to find the order statistics the
//! encoding needs exactly (knots and summaries are the same values an in-memory fit
//! finds), one for the scales and the cross-product matrix (plus one for the QR factor
//! when that matrix cannot settle the rank alone), then one pass per Newton evaluation
//! and a few for the null model. Every pass
//! adds per-chunk sums in input order, so the result does not depend on the threads,
//! and differs from the in-memory fit only by the grouping of its sums.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;

use nalgebra::{DMatrix, DVector};

use crate::data::{read_chunks, ColumnValues, Dataset, DroppedRows, InvalidRows, SourceSummary};
use crate::encoding::{Encoding, KnotInput};
use crate::error::{DataError, DataProblem, FitError};
use crate::fit::{
    add_penalty, add_to, aliases_by_rank, check_squares, check_totals, clearly_full_rank,
    column_scales, conclude, cross_product_upper, newton, penalty, stack_triangular,
    starting_point, weighted_triangular_factor, BlockSums, FitOptions, FittedModel, Penalty,
    PerRow, Problem, State,
};
use crate::profile::IntervalKind;
use crate::spec::Spec;
use recontact_stats::knots::{is_tied, plan, KnotProfile, FRACTIED};

/// Bits of a value's sort key a histogram pass resolves.
const DIGIT_BITS: u32 = 12;

/// A candidate range with at most this many values is collected and sorted instead of
/// histogrammed again: memory bounded by the targets, not by the rows.
const COLLECT_LIMIT: u64 = 1 << 14;

/// A fit made by passes over a source, with what the model file records of the source.
#[derive(Debug, Clone)]
pub struct StreamedFit {
    /// The fitted model.
    pub fitted: FittedModel,
    /// Data rows in the source (kept and dropped).
    pub rows_read: u64,
    /// Rows the fit used.
    pub rows_used: usize,
    /// Rows left out, with reasons.
    pub dropped: DroppedRows,
    /// SHA-256 of the source's bytes, in hex.
    pub sha256: String,
    /// How many times the source was read.
    pub passes: usize,
}

/// Fits the model `spec` describes by reading the source afresh for every pass:
/// `open` must give the same bytes each time (a changed source is an error).
///
/// Gives the estimates, standard errors and statistics of [`crate::fit()`] on the same
/// data (equal to about 1e-12 relative: only the grouping of sums differs). Firth's
/// method needs every row's leverage at every step and is refused. A separation check
/// needs the rows in memory: a fit whose logits grow large is reported with a warning.
pub fn fit_streaming<R: io::Read>(
    source_name: &str,
    open: &mut dyn FnMut() -> io::Result<R>,
    spec: &Spec,
    options: FitOptions,
    invalid: InvalidRows,
) -> Result<StreamedFit, FitError> {
    if options.firth {
        return Err(FitError::Encoding(
            "Firth's method needs every row's leverage at every step; fit in memory \
             (without streaming)"
                .into(),
        ));
    }
    if !options.covariance_type.is_model() || options.interval != IntervalKind::Wald {
        return Err(FitError::Encoding(format!(
            "a fit by passes gives the model covariance and Wald intervals only, not the \
             {} covariance with {} intervals; fit in memory (without streaming)",
            options.covariance_type.name(),
            options.interval.name()
        )));
    }
    let passes = std::cell::Cell::new(0);
    let mut pass = |work: &(dyn Fn(Dataset) -> Part + Sync),
                    take: &mut dyn FnMut(Part) -> Result<(), FitError>|
     -> Result<SourceSummary, FitError> {
        passes.set(passes.get() + 1);
        let reader = open().map_err(|e| {
            FitError::Data(vec![DataError::new(
                source_name,
                DataProblem::Io(io::Error::new(e.kind(), format!("cannot be opened: {e}")).into()),
            )])
        })?;
        read_chunks(source_name, reader, spec, invalid, None, work, take)
    };

    // Pass 1: the rows kept, the levels, and a first histogram of each numeric column
    // whose order statistics the encoding reads.
    let numeric: Vec<String> = Encoding::ranks_needed(spec, 1).into_keys().collect();
    let mut rows = 0usize;
    let mut levels: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen_levels: HashMap<String, HashSet<String>> = HashMap::new();
    let mut first_histograms: HashMap<String, Vec<u64>> = HashMap::new();
    let top = Probe {
        prefix: 0,
        bits: 0,
        collect: false,
    };
    let describe = |chunk: Dataset| {
        let histograms = numeric
            .iter()
            .filter_map(|column| match chunk.columns.get(column) {
                Some(ColumnValues::Numeric(values)) => {
                    Some((column.clone(), top.histogram(values)))
                }
                _ => None,
            })
            .collect();
        Part::Described {
            rows: chunk.len(),
            levels: chunk
                .columns
                .iter()
                .filter_map(|(column, values)| match values {
                    ColumnValues::Levels { levels, .. } => Some((column.clone(), levels.clone())),
                    ColumnValues::Numeric(_) => None,
                })
                .collect(),
            histograms,
        }
    };
    let source = pass(&describe, &mut |part| {
        if let Part::Described {
            rows: chunk_rows,
            levels: chunk_levels,
            histograms,
        } = part
        {
            rows += chunk_rows;
            for (column, chunk_levels) in chunk_levels {
                let seen = seen_levels.entry(column.clone()).or_default();
                let all = levels.entry(column.clone()).or_default();
                for level in chunk_levels {
                    if seen.insert(level.clone()) {
                        all.push(level);
                    }
                }
                if all.len() > spec.max_levels() {
                    let limit = spec.max_levels();
                    let error = crate::data::too_many_levels(source_name, &column, limit, None);
                    return Err(FitError::Data(vec![error]));
                }
            }
            for (column, histogram) in histograms {
                let all = first_histograms
                    .entry(column)
                    .or_insert_with(|| vec![0; histogram.len()]);
                for (sum, count) in all.iter_mut().zip(histogram) {
                    *sum += count;
                }
            }
        }
        Ok(())
    })?;
    if rows == 0 {
        return Err(FitError::NoRows);
    }

    // Passes 2…: the exact order statistics, by narrowing each one's key range; the
    // summaries' and the default knots' profile candidates first, then, after a
    // profiling pass, the ranks each column's knot plan asks for.
    let knot_columns = Encoding::default_knot_columns(spec);
    let mut wanted = Encoding::ranks_needed(spec, rows);
    for (column, _) in &knot_columns {
        wanted
            .entry(column.clone())
            .or_default()
            .extend(tie_candidate_ranks(rows));
    }
    let mut order = narrow(
        source_name,
        &source,
        wanted,
        top,
        &first_histograms,
        &mut pass,
    )?;
    let knot_inputs = knot_inputs(
        source_name,
        &source,
        (rows, &knot_columns),
        (&mut order, top, &first_histograms),
        &mut pass,
    )?;
    let encoding = Encoding::learn_from(spec, rows, &levels, &order, &knot_inputs)?;
    let names = encoding.names();
    let p = names.len();

    // One pass for the column scales, the weighted totals and Xᵀ W X with the data's
    // weights (for the aliasing check).
    let full_design = |chunk: &Dataset| encoding.design(chunk);
    let describe_design = |chunk: Dataset| match full_design(&chunk) {
        Ok(x) => {
            let w = chunk
                .weights
                .clone()
                .unwrap_or_else(|| vec![1.0; chunk.len()]);
            let squares = (0..p).map(|j| x.column(j).norm_squared()).collect();
            // This worker is one of several already: no further threads per chunk.
            let gram = cross_product_upper(&x, &w);
            let total = w.iter().sum::<f64>();
            let events = chunk
                .outcome
                .iter()
                .zip(&w)
                .map(|(y, w)| y * w)
                .sum::<f64>();
            Part::Design {
                squares,
                gram,
                total,
                events,
            }
        }
        Err(e) => Part::Failed(e),
    };
    let mut squares = vec![0.0; p];
    let mut gram = vec![0.0; p * p];
    let (mut total, mut events) = (0.0, 0.0);
    let summary = pass(&describe_design, &mut |part| match part {
        Part::Design {
            squares: s,
            gram: g,
            total: t,
            events: e,
        } => {
            add_to(&mut squares, &s);
            add_to(&mut gram, &g);
            total += t;
            events += e;
            Ok(())
        }
        Part::Failed(e) => Err(e),
        _ => Ok(()),
    })?;
    same_source(source_name, &source, &summary)?;
    check_totals(total, events)?;
    check_squares(&squares, &names)?;
    let scales = column_scales(&squares, rows, encoding.intercept);
    let scaled_gram = DMatrix::from_fn(p, p, |a, b| {
        gram[a.min(b) * p + a.max(b)] / (scales[a] * scales[b])
    });
    if !clearly_full_rank(&scaled_gram) {
        // As in memory: R's rank rule on the triangular factor of the weighted, scaled
        // design, built from the chunks' factors in input order, one more pass.
        let factor_of = |chunk: Dataset| match full_design(&chunk) {
            Ok(mut x) => {
                for (j, scale) in scales.iter().enumerate() {
                    x.column_mut(j).scale_mut(1.0 / scale);
                }
                let w = chunk.weights.unwrap_or_else(|| vec![1.0; x.nrows()]);
                Part::Triangular(weighted_triangular_factor(&x, &w))
            }
            Err(e) => Part::Failed(e),
        };
        let mut factor = DMatrix::zeros(0, p);
        let summary = pass(&factor_of, &mut |part| match part {
            Part::Triangular(next) => {
                factor =
                    stack_triangular(std::mem::replace(&mut factor, DMatrix::zeros(0, p)), &next);
                Ok(())
            }
            Part::Failed(e) => Err(e),
            _ => Ok(()),
        })?;
        same_source(source_name, &source, &summary)?;
        let aliased = aliases_by_rank(&factor, &names);
        if !aliased.is_empty() {
            return Err(FitError::Collinear(aliased));
        }
    }
    let penalty = penalty(None, &options, &scales, encoding.intercept)?;

    // Newton's method on the scaled coefficients; each evaluation is one pass that adds
    // the chunks' sums on the original scale, rescaled at the end.
    let evaluate_with = |design: &(dyn Fn(&Dataset) -> Result<DMatrix<f64>, FitError> + Sync),
                         scales: &[f64],
                         penalty: &Penalty,
                         beta_scaled: DVector<f64>,
                         pass: &mut Pass|
     -> Result<State, FitError> {
        let q = scales.len();
        let beta = DVector::from_fn(q, |j, _| beta_scaled[j] / scales[j]);
        let work = |chunk: Dataset| match design(&chunk) {
            Ok(x) => {
                let problem = Problem {
                    x: &x,
                    y: &chunk.outcome,
                    w: PerRow::or(chunk.weights.as_deref(), 1.0),
                    offset: PerRow::or(chunk.offset.as_deref(), 0.0),
                    penalty: None,
                    firth: false,
                };
                Part::Sums(problem.block_sums(&beta, 0..x.nrows()))
            }
            Err(e) => Part::Failed(e),
        };
        let mut partials = Vec::new();
        let summary = pass(&work, &mut |part| match part {
            Part::Sums(sums) => {
                partials.push(sums);
                Ok(())
            }
            Part::Failed(e) => Err(e),
            _ => Ok(()),
        })?;
        same_source(source_name, &source, &summary)?;
        let (largest_logit, log_likelihood, gradient, information) =
            BlockSums::total(q, &partials).into_parts();
        let mut state = State {
            beta: beta_scaled,
            largest_logit,
            log_likelihood,
            objective: log_likelihood,
            gradient: DVector::from_fn(q, |j, _| gradient[j] / scales[j]),
            information: DMatrix::from_fn(q, q, |a, b| {
                information[(a, b)] / (scales[a] * scales[b])
            }),
        };
        add_penalty(penalty, &mut state);
        Ok(state)
    };
    let pass = std::cell::RefCell::new(pass);
    let evaluate = |beta: DVector<f64>| {
        evaluate_with(
            &full_design,
            &scales,
            &penalty,
            beta,
            &mut *pass.borrow_mut(),
        )
    };
    let start = starting_point(p, encoding.intercept, total, events);
    let all: Vec<usize> = (0..p).collect();
    let mut solution = newton(&evaluate, start.clone(), &all, &options)?;
    if solution.converged && options.l2 == 0.0 && solution.state.largest_logit > 15.0 {
        solution.warnings.push(crate::fit::FitWarning::LargeLogits {
            largest: solution.state.largest_logit,
        });
    }

    // The null model: the intercept alone (or nothing), as the in-memory fit does.
    let null = if encoding.intercept {
        let ones = |chunk: &Dataset| Ok(DMatrix::from_element(chunk.len(), 1, 1.0));
        let evaluate =
            |beta: DVector<f64>| evaluate_with(&ones, &[1.0], &None, beta, &mut *pass.borrow_mut());
        let start = DVector::from_element(1, start[0]);
        newton(&evaluate, start, &[0], &options)?.state
    } else {
        evaluate_with(
            &full_design,
            &scales,
            &None,
            DVector::zeros(p),
            &mut *pass.borrow_mut(),
        )?
    };
    let fitted = conclude(
        encoding,
        solution,
        null,
        &scales,
        (options, false),
        (total, rows, events),
    )?;
    Ok(StreamedFit {
        fitted,
        rows_read: source.rows_read,
        rows_used: rows,
        dropped: source.dropped,
        sha256: source.sha256,
        passes: passes.get(),
    })
}

/// One pass over the source: `work` on each chunk's rows (on a worker), `take` on the
/// results in order.
type Pass<'a> = dyn FnMut(
        &(dyn Fn(Dataset) -> Part + Sync),
        &mut dyn FnMut(Part) -> Result<(), FitError>,
    ) -> Result<SourceSummary, FitError>
    + 'a;

/// What a worker makes of a chunk in each kind of pass.
enum Part {
    Described {
        rows: usize,
        levels: Vec<(String, Vec<String>)>,
        histograms: Vec<(String, Vec<u64>)>,
    },
    Narrowed(Vec<Found>),
    Design {
        squares: Vec<f64>,
        gram: Vec<f64>,
        total: f64,
        events: f64,
    },
    Sums(BlockSums),
    Triangular(DMatrix<f64>),
    Profiled(Vec<ChunkProfile>),
    Failed(FitError),
}

/// Every pass must read the bytes the first one read.
fn same_source(
    source_name: &str,
    first: &SourceSummary,
    again: &SourceSummary,
) -> Result<(), FitError> {
    if first.sha256 == again.sha256 {
        return Ok(());
    }
    Err(FitError::Data(vec![DataError::new(
        source_name,
        DataProblem::Io(
            io::Error::other(
                "changed between two passes of a streaming fit (its SHA-256 differs); fit a \
                 file that stays as it is",
            )
            .into(),
        ),
    )]))
}

/// A value's sort key: unsigned integers in the order of `f64::total_cmp`.
fn key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value of a sort key.
fn value_of(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// A range of sort keys (those whose first `bits` bits are `prefix`) and what a pass
/// learns of it: a histogram of the next digit, or the values themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    prefix: u64,
    bits: u32,
    collect: bool,
}

impl Probe {
    fn contains(&self, key: u64) -> bool {
        self.bits == 0 || key >> (64 - self.bits) == self.prefix
    }

    fn digit_bits(&self) -> u32 {
        DIGIT_BITS.min(64 - self.bits)
    }

    fn digit(&self, key: u64) -> usize {
        let shift = 64 - self.bits - self.digit_bits();
        ((key >> shift) & ((1 << self.digit_bits()) - 1)) as usize
    }

    fn histogram(&self, values: &[f64]) -> Vec<u64> {
        let mut counts = vec![0; 1 << self.digit_bits()];
        for &v in values {
            let k = key(v);
            if self.contains(k) {
                counts[self.digit(k)] += 1;
            }
        }
        counts
    }

    fn scan(&self, values: &[f64]) -> Found {
        if !self.collect {
            return Found::Counts(self.histogram(values));
        }
        Found::Values(
            values
                .iter()
                .copied()
                .filter(|&v| self.contains(key(v)))
                .collect(),
        )
    }
}

/// What a pass found in a probe's range.
enum Found {
    Counts(Vec<u64>),
    Values(Vec<f64>),
}

impl Found {
    fn empty(probe: &Probe) -> Found {
        if probe.collect {
            Found::Values(Vec::new())
        } else {
            Found::Counts(vec![0; 1 << probe.digit_bits()])
        }
    }

    fn add(&mut self, other: Found) {
        match (self, other) {
            (Found::Counts(all), Found::Counts(part)) => {
                for (sum, count) in all.iter_mut().zip(part) {
                    *sum += count;
                }
            }
            (Found::Values(all), Found::Values(mut part)) => all.append(&mut part),
            _ => {}
        }
    }
}

/// One order statistic being found: it lies in the keys starting with `prefix`, at
/// `rank` among them (0-based), and there are `count` of them.
#[derive(Debug, Clone)]
struct Target {
    column: String,
    rank: u64,
    prefix: u64,
    bits: u32,
    rank_within: u64,
    count: u64,
    value: Option<f64>,
}

impl Target {
    /// The target of `rank` after the histogram `counts` of `probe`'s range.
    fn new(column: String, rank: u64, probe: Probe, counts: &[u64]) -> Target {
        let mut target = Target {
            column,
            rank,
            prefix: probe.prefix,
            bits: probe.bits,
            rank_within: rank,
            count: counts.iter().sum(),
            value: None,
        };
        target.descend(probe, counts);
        target
    }

    /// Moves into the histogram bucket that holds the target.
    fn descend(&mut self, probe: Probe, counts: &[u64]) {
        let mut before = 0;
        for (digit, &count) in counts.iter().enumerate() {
            if self.rank_within < before + count {
                self.prefix = (probe.prefix << probe.digit_bits()) | digit as u64;
                self.bits = probe.bits + probe.digit_bits();
                self.rank_within -= before;
                self.count = count;
                if self.bits == 64 {
                    // Every key in the range is this one.
                    self.value = Some(value_of(self.prefix));
                }
                return;
            }
            before += count;
        }
    }

    fn next_probe(&self) -> Probe {
        Probe {
            prefix: self.prefix,
            bits: self.bits,
            collect: self.count <= COLLECT_LIMIT,
        }
    }

    /// Takes in what a pass found in the target's range.
    fn narrow(&mut self, probe: Probe, found: &mut Found) {
        match found {
            Found::Counts(counts) => self.descend(probe, counts),
            Found::Values(values) => {
                values.sort_by(|a, b| a.total_cmp(b));
                self.value = values.get(self.rank_within as usize).copied();
            }
        }
    }
}

/// Runs one pass over the source: the work per chunk and what takes its parts in order.
type PassFn<'a> = dyn FnMut(
        &(dyn Fn(Dataset) -> Part + Sync),
        &mut dyn FnMut(Part) -> Result<(), FitError>,
    ) -> Result<SourceSummary, FitError>
    + 'a;

/// The order statistics at the `wanted` ranks of each column, by narrowing each one's
/// key range from the first pass's histogram: each pass resolves 12 more bits of a key
/// or the value itself, so a handful suffice; a pass that changes nothing would mean
/// the source changed, which is refused.
fn narrow(
    source_name: &str,
    source: &SourceSummary,
    wanted: BTreeMap<String, Vec<usize>>,
    top: Probe,
    first_histograms: &HashMap<String, Vec<u64>>,
    pass: &mut PassFn,
) -> Result<OrderStatistics, FitError> {
    const MAX_NARROWING_PASSES: usize = 64 / DIGIT_BITS as usize + 2;
    let mut targets: Vec<Target> = Vec::new();
    for (column, mut ranks) in wanted {
        ranks.sort_unstable();
        ranks.dedup();
        let Some(histogram) = first_histograms.get(&column) else {
            continue;
        };
        for rank in ranks {
            targets.push(Target::new(column.clone(), rank as u64, top, histogram));
        }
    }
    for narrowing in 0.. {
        if !targets.iter().any(|t| t.value.is_none()) {
            break;
        }
        if narrowing == MAX_NARROWING_PASSES {
            return Err(FitError::Encoding(format!(
                "{source_name}: the order statistics for knots and summaries were not \
                 found in {MAX_NARROWING_PASSES} passes; fit in memory"
            )));
        }
        let mut probes: Vec<(String, Probe)> = Vec::new();
        for target in targets.iter().filter(|t| t.value.is_none()) {
            let probe = (target.column.clone(), target.next_probe());
            if !probes.contains(&probe) {
                probes.push(probe);
            }
        }
        let mut found: Vec<Found> = probes.iter().map(|(_, p)| Found::empty(p)).collect();
        let narrow = |chunk: Dataset| {
            Part::Narrowed(
                probes
                    .iter()
                    .map(|(column, probe)| match chunk.columns.get(column) {
                        Some(ColumnValues::Numeric(values)) => probe.scan(values),
                        _ => Found::empty(probe),
                    })
                    .collect(),
            )
        };
        let summary = pass(&narrow, &mut |part| {
            if let Part::Narrowed(parts) = part {
                for (all, part) in found.iter_mut().zip(parts) {
                    all.add(part);
                }
            }
            Ok(())
        })?;
        same_source(source_name, source, &summary)?;
        for target in targets.iter_mut().filter(|t| t.value.is_none()) {
            let probe = target.next_probe();
            if let Some(k) = probes
                .iter()
                .position(|(c, p)| *c == target.column && *p == probe)
            {
                target.narrow(probe, &mut found[k]);
            }
        }
    }
    let mut order: HashMap<String, BTreeMap<usize, f64>> = HashMap::new();
    for target in &targets {
        if let Some(value) = target.value {
            order
                .entry(target.column.clone())
                .or_default()
                .insert(target.rank as usize, value);
        }
    }
    Ok(order)
}

/// The ranks (among `n` rows) at which every value making up at least [`FRACTIED`] of
/// the rows shows: such a value fills a run of at least ⌊FRACTIED·n⌋ consecutive ranks,
/// so one of them is a multiple of that step. The smallest and largest come with them.
fn tie_candidate_ranks(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let step = ((FRACTIED * n as f64).floor() as usize).max(1);
    let mut ranks: Vec<usize> = (0..n).step_by(step).collect();
    ranks.push(n - 1);
    ranks
}

/// One chunk's share of a column's knot profile.
struct ChunkProfile {
    /// How often each tie candidate occurs.
    counts: Vec<usize>,
    /// The smallest value above the column's minimum, with its count.
    second_low: Option<(f64, usize)>,
    /// The largest value below the column's maximum, with its count.
    second_high: Option<(f64, usize)>,
    /// The smallest distinct values, at most `cap + 1` of them.
    distinct: Vec<f64>,
}

impl ChunkProfile {
    fn of(values: &[f64], candidates: &[f64], (min, max): (f64, f64), cap: usize) -> Self {
        let counts = candidates
            .iter()
            .map(|&c| values.iter().filter(|&&v| v == c).count())
            .collect();
        let mut profile = ChunkProfile {
            counts,
            second_low: None,
            second_high: None,
            distinct: Vec::new(),
        };
        for &v in values {
            if v > min {
                profile.second_low = extreme(profile.second_low, Some((v, 1)), true);
            }
            if v < max {
                profile.second_high = extreme(profile.second_high, Some((v, 1)), false);
            }
        }
        let mut distinct = values.to_vec();
        distinct.sort_unstable_by(f64::total_cmp);
        distinct.dedup_by(|a, b| a == b);
        distinct.truncate(cap + 1);
        profile.distinct = distinct;
        profile
    }

    fn add(&mut self, other: ChunkProfile, cap: usize) {
        for (sum, count) in self.counts.iter_mut().zip(other.counts) {
            *sum += count;
        }
        self.second_low = extreme(self.second_low, other.second_low, true);
        self.second_high = extreme(self.second_high, other.second_high, false);
        self.distinct.extend(other.distinct);
        self.distinct.sort_unstable_by(f64::total_cmp);
        self.distinct.dedup_by(|a, b| a == b);
        self.distinct.truncate(cap + 1);
    }
}

/// The smaller (`lowest`) or larger of two values with counts; equal values add counts.
fn extreme(a: Option<(f64, usize)>, b: Option<(f64, usize)>, lowest: bool) -> Option<(f64, usize)> {
    match (a, b) {
        (Some(a), Some(b)) if a.0 == b.0 => Some((a.0, a.1 + b.1)),
        (Some(a), Some(b)) => Some(if (a.0 < b.0) == lowest { a } else { b }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Order statistics by column: rank among the rows → value.
type OrderStatistics = HashMap<String, BTreeMap<usize, f64>>;

/// A column whose default knots are placed, with what its profiling pass looks for.
struct KnotSetup {
    column: String,
    k: usize,
    /// The values at [`tie_candidate_ranks`], distinct, ascending.
    candidates: Vec<f64>,
    /// The smallest and the largest value.
    ends: (f64, f64),
}

impl KnotSetup {
    /// The column's profile from its pass totals.
    fn profile(&self, rows: usize, total: &ChunkProfile) -> KnotProfile {
        let (min, max) = self.ends;
        let count_of = |value: f64| {
            self.candidates
                .iter()
                .position(|&c| c == value)
                .map_or(0, |i| total.counts[i])
        };
        KnotProfile {
            n: rows,
            few_distinct: (total.distinct.len() <= self.k + 2).then(|| total.distinct.clone()),
            low: [
                (min, count_of(min)),
                total.second_low.unwrap_or((f64::NAN, 0)),
            ],
            high: [
                (max, count_of(max)),
                total.second_high.unwrap_or((f64::NAN, 0)),
            ],
            interior_tied: self
                .candidates
                .iter()
                .zip(&total.counts)
                .any(|(&c, &count)| c != min && c != max && is_tied(count, rows)),
        }
    }
}

/// One pass: the totals of every set-up column's [`ChunkProfile`], in input order.
fn profile_pass(
    source_name: &str,
    source: &SourceSummary,
    setup: &[KnotSetup],
    pass: &mut PassFn,
) -> Result<Vec<ChunkProfile>, FitError> {
    let profile_chunk = |chunk: Dataset| {
        Part::Profiled(
            setup
                .iter()
                .map(|s| {
                    let values = match chunk.columns.get(&s.column) {
                        Some(ColumnValues::Numeric(values)) => values.as_slice(),
                        _ => &[],
                    };
                    ChunkProfile::of(values, &s.candidates, s.ends, s.k + 2)
                })
                .collect(),
        )
    };
    let mut totals: Option<Vec<ChunkProfile>> = None;
    let summary = pass(&profile_chunk, &mut |part| {
        if let Part::Profiled(parts) = part {
            match &mut totals {
                None => totals = Some(parts),
                Some(totals) => {
                    for ((total, part), s) in totals.iter_mut().zip(parts).zip(setup) {
                        total.add(part, s.k + 2);
                    }
                }
            }
        }
        Ok(())
    })?;
    same_source(source_name, source, &summary)?;
    Ok(totals.unwrap_or_default())
}

/// The default knots' inputs of each column in `knot_columns`: one pass profiles the
/// columns (tie candidates counted, second extremes, the first distinct values), each
/// profile gives a plan, and the order statistics the plans ask for are narrowed down
/// (added to `order`). The same profile and plan as in memory, so the same knots.
fn knot_inputs(
    source_name: &str,
    source: &SourceSummary,
    (rows, knot_columns): (usize, &[(String, usize)]),
    (order, top, first_histograms): (&mut OrderStatistics, Probe, &HashMap<String, Vec<u64>>),
    pass: &mut PassFn,
) -> Result<HashMap<String, KnotInput>, FitError> {
    if knot_columns.is_empty() || rows == 0 {
        return Ok(HashMap::new());
    }
    let value_at = |column: &str, rank: usize| {
        order
            .get(column)
            .and_then(|o| o.get(&rank))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let setup: Vec<KnotSetup> = knot_columns
        .iter()
        .map(|(column, k)| {
            let mut candidates: Vec<f64> = tie_candidate_ranks(rows)
                .into_iter()
                .map(|r| value_at(column, r))
                .collect();
            candidates.dedup_by(|a, b| a == b);
            let ends = (value_at(column, 0), value_at(column, rows - 1));
            KnotSetup {
                column: column.clone(),
                k: *k,
                candidates,
                ends,
            }
        })
        .collect();
    let totals = profile_pass(source_name, source, &setup, pass)?;
    let mut plans = HashMap::new();
    let mut wanted = BTreeMap::new();
    for (s, total) in setup.iter().zip(&totals) {
        let plan = plan(&s.profile(rows, total), s.k);
        if let Ok(plan) = &plan {
            wanted.insert(s.column.clone(), plan.ranks());
        }
        plans.insert(s.column.clone(), plan);
    }
    for (column, found) in narrow(source_name, source, wanted, top, first_histograms, pass)? {
        order.entry(column).or_default().extend(found);
    }
    Ok(plans
        .into_iter()
        .map(|(column, plan)| {
            let order = order.get(&column).cloned().unwrap_or_default();
            (column, KnotInput { plan, order })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_follow_total_order() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            5e-324,
            1.0,
            1e300,
            f64::INFINITY,
        ];
        for pair in values.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{pair:?}");
        }
        for v in values {
            assert_eq!(value_of(key(v)).to_bits(), v.to_bits());
        }
    }
}
