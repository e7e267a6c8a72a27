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
//!
//! [`fit_streaming`] reads as that list: the source and its opener start the first pass
//! (`Source::describe`), which gives the passes that follow (`Passes`, one method per
//! kind of pass: the order statistics, the knots' profile, the design's summary, the
//! aliasing factor, one Newton evaluation), each checked against the bytes the first
//! pass read.

use std::cell::RefCell;
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
    PerRow, Problem, Solution, State,
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
    /// How many times the source was read, that is how many times `open` was called:
    /// one pass describing the rows; with numeric terms, one or more narrowing their
    /// order statistics (and, with default spline knots, one profiling them and those
    /// narrowing the knots'); one for the design's summary (two when the cross-product
    /// matrix cannot settle the rank); then one per Newton evaluation, of the model (its
    /// start and at least one per iteration) and of the null model (at least one). So at
    /// least `4 + fitted.statistics.iterations`.
    pub passes: usize,
}

/// Fits the model `spec` describes by reading the source afresh for every pass:
/// `open` must give the same bytes each time (a changed source is an error).
///
/// Gives the estimates, standard errors and statistics of [`crate::fit()`] on the same
/// data (equal to about 1e-12 relative: only the grouping of sums differs). Firth's
/// method needs every row's leverage at every step and is refused. A separation check
/// needs the rows in memory: a fit whose logits grow large is reported with a warning.
///
/// ```rust
/// use std::cell::Cell;
/// use std::io;
///
/// use recontact_model::{fit, fit_streaming, read_dataset, FitOptions, InvalidRows, SpecConfig};
///
/// const SPEC: &str = r#"
/// outcome = "y"
/// [[term]]
/// kind = "numeric"
/// column = "age"
/// [[term]]
/// kind = "categorical"
/// column = "group"
/// "#;
/// const ROWS: &str = "\
/// y,age,group
/// 1,23,north
/// 0,35,south
/// 1,41,east
/// 0,52,north
/// 1,29,south
/// 0,61,east
/// 1,33,north
/// 1,47,south
/// 0,58,east
/// 0,26,north
/// 1,38,south
/// 0,44,east
/// 1,31,north
/// 0,55,south
/// 1,27,east
/// 0,49,north
/// 0,36,south
/// 1,62,east
/// 1,24,north
/// 0,40,south
/// ";
///
/// let spec = SpecConfig::from_toml("spec.toml", SPEC)?.check()?;
/// let options = FitOptions::default();
/// // The same bytes every time the source is opened; the openings are counted.
/// let opened = Cell::new(0);
/// let mut open = || {
///     opened.set(opened.get() + 1);
///     Ok::<_, io::Error>(ROWS.as_bytes())
/// };
///
/// // In memory: the source opened once.
/// let data = read_dataset("rows.csv", open()?, &spec, InvalidRows::Fail)?;
/// let memory = fit(&spec, &data, options)?;
///
/// // By passes: the source opened once per pass.
/// let before = opened.get();
/// let streamed = fit_streaming("rows.csv", &mut open, &spec, options, InvalidRows::Fail)?;
/// // Here 11: one describing the rows, one narrowing `age`'s order statistics, one for
/// // the design's summary, six evaluations of the model (its start and 5 iterations)
/// // and two of the null model.
/// assert_eq!(streamed.passes, opened.get() - before);
/// assert!(streamed.passes >= 4 + streamed.fitted.statistics.iterations);
/// assert_eq!((streamed.rows_read, streamed.rows_used), (20, 20));
///
/// // The same estimates, up to the grouping of sums.
/// assert_eq!(streamed.fitted.estimates.len(), memory.estimates.len());
/// for (s, m) in streamed.fitted.estimates.iter().zip(&memory.estimates) {
///     assert_eq!(s.term, m.term);
///     assert!((s.estimate - m.estimate).abs() <= 1e-10, "{} {}", s.estimate, m.estimate);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_streaming<R: io::Read>(
    source_name: &str,
    open: &mut dyn FnMut() -> io::Result<R>,
    spec: &Spec,
    options: FitOptions,
    invalid: InvalidRows,
) -> Result<StreamedFit, FitError> {
    refuse_what_needs_memory(&options)?;
    let source = Source {
        name: source_name,
        open,
        spec,
        invalid,
        passes: 0,
    };
    let (mut passes, described) = source.describe()?;
    let encoding = passes.learn_encoding(&described)?;
    let names = encoding.names();
    let design = passes.design_summary(&encoding, &names, described.rows)?;
    passes.check_aliasing(&encoding, &design, &names)?;
    let scales = &design.scales;
    let penalty = penalty(None, &options, scales, encoding.intercept)?;

    // Newton's method on the scaled coefficients, each evaluation one pass.
    let p = names.len();
    let start = starting_point(p, encoding.intercept, design.total, design.events);
    let all: Vec<usize> = (0..p).collect();
    let full = Design::Full(&encoding);
    let mut solution = passes.solve(full, scales, &penalty, start.clone(), &all, &options)?;
    if solution.converged && options.l2 == 0.0 && solution.state.largest_logit > 15.0 {
        solution.warnings.push(crate::fit::FitWarning::LargeLogits {
            largest: solution.state.largest_logit,
        });
    }
    let null = passes.null_model(&encoding, scales, &start, &options)?;
    let fitted = conclude(
        encoding,
        solution,
        null,
        scales,
        (options, false),
        (design.total, described.rows, design.events),
    )?;
    Ok(passes.finish(fitted, described.rows))
}

/// Refuses the options a fit by passes cannot honour: each needs the rows in memory.
fn refuse_what_needs_memory(options: &FitOptions) -> Result<(), FitError> {
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
    Ok(())
}

/// The source of a fit by passes, before its first pass: how to open it afresh and read
/// it chunk by chunk (the spec's columns, the rule for invalid rows), and the passes so
/// far.
struct Source<'a, R> {
    name: &'a str,
    open: &'a mut dyn FnMut() -> io::Result<R>,
    spec: &'a Spec,
    invalid: InvalidRows,
    passes: usize,
}

impl<'a, R: io::Read> Source<'a, R> {
    /// The source opened afresh.
    fn reopen(&mut self) -> Result<R, FitError> {
        (self.open)().map_err(|e| {
            FitError::Data(vec![DataError::new(
                self.name,
                DataProblem::Io(io::Error::new(e.kind(), format!("cannot be opened: {e}")).into()),
            )])
        })
    }

    /// One pass over the source: `work` on each chunk's rows (on a worker), `take` on
    /// what it makes of them, in input order.
    fn read<T: Send>(
        &mut self,
        work: impl Fn(Dataset) -> T + Sync,
        take: impl FnMut(T) -> Result<(), FitError>,
    ) -> Result<SourceSummary, FitError> {
        self.passes += 1;
        let reader = self.reopen()?;
        read_chunks(self.name, reader, self.spec, self.invalid, None, work, take)
    }

    /// The first pass: the rows kept, the levels, and a first histogram of each numeric
    /// column whose order statistics the encoding reads. What it read of the source is
    /// what every later pass must read.
    fn describe(mut self) -> Result<(Passes<'a, R>, Description), FitError> {
        let (name, spec) = (self.name, self.spec);
        let numeric: Vec<String> = Encoding::ranks_needed(spec, 1).into_keys().collect();
        let mut described = Description {
            rows: 0,
            levels: HashMap::new(),
            histograms: HashMap::new(),
        };
        let mut seen_levels: HashMap<String, HashSet<String>> = HashMap::new();
        let work = |chunk: Dataset| ChunkDescription::of(&chunk, &numeric);
        let first = self.read(work, |part: ChunkDescription| {
            described.rows += part.rows;
            for (column, chunk_levels) in part.levels {
                let seen = seen_levels.entry(column.clone()).or_default();
                let all = described.levels.entry(column.clone()).or_default();
                for level in chunk_levels {
                    if seen.insert(level.clone()) {
                        all.push(level);
                    }
                }
                if all.len() > spec.max_levels() {
                    let limit = spec.max_levels();
                    let error = crate::data::too_many_levels(name, &column, limit, None);
                    return Err(FitError::Data(vec![error]));
                }
            }
            for (column, histogram) in part.histograms {
                let all = described
                    .histograms
                    .entry(column)
                    .or_insert_with(|| vec![0; histogram.len()]);
                for (sum, count) in all.iter_mut().zip(histogram) {
                    *sum += count;
                }
            }
            Ok(())
        })?;
        if described.rows == 0 {
            return Err(FitError::NoRows);
        }
        Ok((
            Passes {
                source: self,
                first,
            },
            described,
        ))
    }
}

/// What the first pass learns of the rows kept.
struct Description {
    /// How many there are.
    rows: usize,
    /// Each categorical column's levels, in the order they first show.
    levels: HashMap<String, Vec<String>>,
    /// A histogram of the first digit of the sort keys of each numeric column whose
    /// order statistics the encoding reads (see [`Probe::TOP`]).
    histograms: HashMap<String, Vec<u64>>,
}

/// One chunk's share of the [`Description`].
struct ChunkDescription {
    rows: usize,
    levels: Vec<(String, Vec<String>)>,
    histograms: Vec<(String, Vec<u64>)>,
}

impl ChunkDescription {
    fn of(chunk: &Dataset, numeric: &[String]) -> ChunkDescription {
        let histograms = numeric
            .iter()
            .filter_map(|column| match chunk.columns.get(column) {
                Some(ColumnValues::Numeric(values)) => {
                    Some((column.clone(), Probe::TOP.histogram(values)))
                }
                _ => None,
            })
            .collect();
        ChunkDescription {
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
    }
}

/// The passes after the first, each of which must read the bytes the first one read.
struct Passes<'a, R> {
    source: Source<'a, R>,
    /// What the first pass found of the source.
    first: SourceSummary,
}

impl<R: io::Read> Passes<'_, R> {
    /// One more pass over the source (see [`Source::read`]), refused if the source
    /// changed since the first.
    fn pass<T: Send>(
        &mut self,
        work: impl Fn(Dataset) -> T + Sync,
        take: impl FnMut(T) -> Result<(), FitError>,
    ) -> Result<(), FitError> {
        let again = self.source.read(work, take)?;
        same_source(self.source.name, &self.first, &again)
    }

    /// The encoding learned from the levels and from the exact order statistics: the
    /// summaries' and the default knots' profile candidates first, then, after a
    /// profiling pass, the ranks each column's knot plan asks for.
    fn learn_encoding(&mut self, described: &Description) -> Result<Encoding, FitError> {
        let (spec, rows) = (self.source.spec, described.rows);
        let knot_columns = Encoding::default_knot_columns(spec);
        let mut wanted = Encoding::ranks_needed(spec, rows);
        for (column, _) in &knot_columns {
            wanted
                .entry(column.clone())
                .or_default()
                .extend(tie_candidate_ranks(rows));
        }
        let mut order = self.narrow(wanted, &described.histograms)?;
        let knot_inputs = self.knot_inputs(rows, &knot_columns, &mut order, described)?;
        Encoding::learn_from(spec, rows, &described.levels, &order, &knot_inputs)
    }

    /// The order statistics at the `wanted` ranks of each column, by narrowing each
    /// one's key range from the first pass's histogram: each pass resolves 12 more bits
    /// of a key or the value itself, so a handful suffice; a pass that changes nothing
    /// would mean the source changed, which is refused.
    fn narrow(
        &mut self,
        wanted: BTreeMap<String, Vec<usize>>,
        first_histograms: &HashMap<String, Vec<u64>>,
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
                targets.push(Target::new(
                    column.clone(),
                    rank as u64,
                    Probe::TOP,
                    histogram,
                ));
            }
        }
        for narrowing in 0.. {
            if !targets.iter().any(|t| t.value.is_none()) {
                break;
            }
            if narrowing == MAX_NARROWING_PASSES {
                return Err(FitError::Encoding(format!(
                    "{}: the order statistics for knots and summaries were not \
                     found in {MAX_NARROWING_PASSES} passes; fit in memory",
                    self.source.name
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
            let scan = |chunk: Dataset| -> Vec<Found> {
                probes
                    .iter()
                    .map(|(column, probe)| match chunk.columns.get(column) {
                        Some(ColumnValues::Numeric(values)) => probe.scan(values),
                        _ => Found::empty(probe),
                    })
                    .collect()
            };
            self.pass(scan, |parts: Vec<Found>| {
                for (all, part) in found.iter_mut().zip(parts) {
                    all.add(part);
                }
                Ok(())
            })?;
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
        let mut order: OrderStatistics = HashMap::new();
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

    /// The default knots' inputs of each column in `knot_columns` (of the `rows` kept):
    /// one pass profiles the columns (tie candidates counted, second extremes, the first
    /// distinct values), each profile gives a plan, and the order statistics the plans
    /// ask for are narrowed down (added to `order`). The same profile and plan as in
    /// memory, so the same knots.
    fn knot_inputs(
        &mut self,
        rows: usize,
        knot_columns: &[(String, usize)],
        order: &mut OrderStatistics,
        described: &Description,
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
        let totals = self.profile(&setup)?;
        let mut plans = HashMap::new();
        let mut wanted = BTreeMap::new();
        for (s, total) in setup.iter().zip(&totals) {
            let plan = plan(&s.profile(rows, total), s.k);
            if let Ok(plan) = &plan {
                wanted.insert(s.column.clone(), plan.ranks());
            }
            plans.insert(s.column.clone(), plan);
        }
        for (column, found) in self.narrow(wanted, &described.histograms)? {
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

    /// One pass: the totals of every set-up column's [`ChunkProfile`], in input order.
    fn profile(&mut self, setup: &[KnotSetup]) -> Result<Vec<ChunkProfile>, FitError> {
        let profile_chunk = |chunk: Dataset| -> Vec<ChunkProfile> {
            setup
                .iter()
                .map(|s| {
                    let values = match chunk.columns.get(&s.column) {
                        Some(ColumnValues::Numeric(values)) => values.as_slice(),
                        _ => &[],
                    };
                    ChunkProfile::of(values, &s.candidates, s.ends, s.k + 2)
                })
                .collect()
        };
        let mut totals: Option<Vec<ChunkProfile>> = None;
        self.pass(profile_chunk, |parts: Vec<ChunkProfile>| {
            match &mut totals {
                None => totals = Some(parts),
                Some(totals) => {
                    for ((total, part), s) in totals.iter_mut().zip(parts).zip(setup) {
                        total.add(part, s.k + 2);
                    }
                }
            }
            Ok(())
        })?;
        Ok(totals.unwrap_or_default())
    }

    /// One pass for the column scales, the weighted totals and Xᵀ W X with the data's
    /// weights (for the aliasing check), over the `rows` kept; `names` are the design's
    /// columns.
    fn design_summary(
        &mut self,
        encoding: &Encoding,
        names: &[String],
        rows: usize,
    ) -> Result<DesignSummary, FitError> {
        let p = names.len();
        let design = Design::Full(encoding);
        let mut sums = DesignSums {
            squares: vec![0.0; p],
            gram: vec![0.0; p * p],
            total: 0.0,
            events: 0.0,
        };
        let work = |chunk: Dataset| -> Result<DesignSums, FitError> {
            Ok(DesignSums::of(&design.of(&chunk)?, &chunk))
        };
        self.pass(work, |part: Result<DesignSums, FitError>| {
            sums.add(&part?);
            Ok(())
        })?;
        check_totals(sums.total, sums.events)?;
        check_squares(&sums.squares, names)?;
        let scales = column_scales(&sums.squares, rows, encoding.intercept);
        let gram = &sums.gram;
        let scaled_gram = DMatrix::from_fn(p, p, |a, b| {
            gram[a.min(b) * p + a.max(b)] / (scales[a] * scales[b])
        });
        Ok(DesignSummary {
            scales,
            scaled_gram,
            total: sums.total,
            events: sums.events,
        })
    }

    /// Refuses aliased design columns. As in memory: when the scaled cross-product
    /// matrix cannot settle the rank, R's rank rule on the triangular factor of the
    /// weighted, scaled design, built from the chunks' factors in input order, one more
    /// pass.
    fn check_aliasing(
        &mut self,
        encoding: &Encoding,
        design: &DesignSummary,
        names: &[String],
    ) -> Result<(), FitError> {
        if clearly_full_rank(&design.scaled_gram) {
            return Ok(());
        }
        let (full, scales, p) = (Design::Full(encoding), &design.scales, names.len());
        let factor_of = |chunk: Dataset| -> Result<DMatrix<f64>, FitError> {
            let mut x = full.of(&chunk)?;
            for (j, scale) in scales.iter().enumerate() {
                x.column_mut(j).scale_mut(1.0 / scale);
            }
            let w = chunk.weights.unwrap_or_else(|| vec![1.0; x.nrows()]);
            Ok(weighted_triangular_factor(&x, &w))
        };
        let mut factor = DMatrix::zeros(0, p);
        self.pass(factor_of, |next: Result<DMatrix<f64>, FitError>| {
            factor = stack_triangular(std::mem::replace(&mut factor, DMatrix::zeros(0, p)), &next?);
            Ok(())
        })?;
        let aliased = aliases_by_rank(&factor, names);
        if !aliased.is_empty() {
            return Err(FitError::Collinear(aliased));
        }
        Ok(())
    }

    /// One Newton evaluation at the scaled coefficients `beta_scaled`: one pass that
    /// adds the chunks' sums on the original scale, rescaled at the end, and penalised.
    fn evaluate(
        &mut self,
        design: Design,
        scales: &[f64],
        penalty: &Penalty,
        beta_scaled: DVector<f64>,
    ) -> Result<State, FitError> {
        let q = scales.len();
        let beta = DVector::from_fn(q, |j, _| beta_scaled[j] / scales[j]);
        let work = |chunk: Dataset| -> Result<BlockSums, FitError> {
            let x = design.of(&chunk)?;
            let problem = Problem {
                x: &x,
                y: &chunk.outcome,
                w: PerRow::or(chunk.weights.as_deref(), 1.0),
                offset: PerRow::or(chunk.offset.as_deref(), 0.0),
                penalty: None,
                firth: false,
            };
            Ok(problem.block_sums(&beta, 0..x.nrows()))
        };
        let mut partials = Vec::new();
        self.pass(work, |sums: Result<BlockSums, FitError>| {
            partials.push(sums?);
            Ok(())
        })?;
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
    }

    /// Newton's method from `start` over the `free` scaled coefficients of `design`,
    /// each evaluation one pass.
    fn solve(
        &mut self,
        design: Design,
        scales: &[f64],
        penalty: &Penalty,
        start: DVector<f64>,
        free: &[usize],
        options: &FitOptions,
    ) -> Result<Solution, FitError> {
        // `newton` asks for a `Fn`, but an evaluation is a pass, which reopens the source
        // and counts (`&mut self`). `newton` evaluates one point at a time, so the
        // borrow this cell checks at run time is never contended.
        let passes = RefCell::new(self);
        let evaluate =
            |beta: DVector<f64>| passes.borrow_mut().evaluate(design, scales, penalty, beta);
        newton(&evaluate, start, free, options)
    }

    /// The null model: the intercept alone (from the model's `start`), or nothing, as
    /// the in-memory fit does.
    fn null_model(
        &mut self,
        encoding: &Encoding,
        scales: &[f64],
        start: &DVector<f64>,
        options: &FitOptions,
    ) -> Result<State, FitError> {
        if encoding.intercept {
            let start = DVector::from_element(1, start[0]);
            let solution = self.solve(Design::Intercept, &[1.0], &None, start, &[0], options)?;
            Ok(solution.state)
        } else {
            let zeros = DVector::zeros(scales.len());
            self.evaluate(Design::Full(encoding), scales, &None, zeros)
        }
    }

    /// The fit, with what the first pass found of the source and the passes made.
    fn finish(self, fitted: FittedModel, rows_used: usize) -> StreamedFit {
        StreamedFit {
            fitted,
            rows_read: self.first.rows_read,
            rows_used,
            dropped: self.first.dropped,
            sha256: self.first.sha256,
            passes: self.source.passes,
        }
    }
}

/// The design a pass builds from each chunk.
#[derive(Clone, Copy)]
enum Design<'e> {
    /// The encoding's.
    Full(&'e Encoding),
    /// The intercept's column alone, for the null model.
    Intercept,
}

impl Design<'_> {
    fn of(self, chunk: &Dataset) -> Result<DMatrix<f64>, FitError> {
        match self {
            Design::Full(encoding) => encoding.design(chunk),
            Design::Intercept => Ok(DMatrix::from_element(chunk.len(), 1, 1.0)),
        }
    }
}

/// One chunk's (or all chunks') sums for the design's summary: each column's sum of
/// squares, the upper triangle of Xᵀ W X (row-major, p × p), the total weight and the
/// weighted events.
struct DesignSums {
    squares: Vec<f64>,
    gram: Vec<f64>,
    total: f64,
    events: f64,
}

impl DesignSums {
    /// The sums of one chunk whose design is `x`.
    fn of(x: &DMatrix<f64>, chunk: &Dataset) -> DesignSums {
        let w = chunk
            .weights
            .clone()
            .unwrap_or_else(|| vec![1.0; chunk.len()]);
        let squares = (0..x.ncols()).map(|j| x.column(j).norm_squared()).collect();
        // This worker is one of several already: no further threads per chunk.
        let gram = cross_product_upper(x, &w);
        let total = w.iter().sum::<f64>();
        let events = chunk
            .outcome
            .iter()
            .zip(&w)
            .map(|(y, w)| y * w)
            .sum::<f64>();
        DesignSums {
            squares,
            gram,
            total,
            events,
        }
    }

    fn add(&mut self, part: &DesignSums) {
        add_to(&mut self.squares, &part.squares);
        add_to(&mut self.gram, &part.gram);
        self.total += part.total;
        self.events += part.events;
    }
}

/// What the design's pass gives the fit.
struct DesignSummary {
    /// Each design column's scale, as in memory.
    scales: Vec<f64>,
    /// Xᵀ W X of the scaled design, with the data's weights.
    scaled_gram: DMatrix<f64>,
    /// The total weight.
    total: f64,
    /// The weighted events.
    events: f64,
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
    /// Every key: the first pass's histogram of the first digit.
    const TOP: Probe = Probe {
        prefix: 0,
        bits: 0,
        collect: false,
    };

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

/// The ranks (among `n` rows) at which every value making up at least [`FRACTIED`] of
/// the rows shows: such a value fills a run of at least ⌊FRACTIED·n⌋ consecutive ranks,
/// so one of them is a multiple of that step. The smallest and largest come with them.
pub(crate) fn tie_candidate_ranks(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let step = ((FRACTIED * n as f64).floor() as usize).max(1);
    let mut ranks: Vec<usize> = (0..n).step_by(step).collect();
    ranks.push(n - 1);
    ranks
}

/// One chunk's share of a column's knot profile.
pub(crate) struct ChunkProfile {
    /// How often each tie candidate occurs.
    pub(crate) counts: Vec<usize>,
    /// The smallest value above the column's minimum, with its count.
    pub(crate) second_low: Option<(f64, usize)>,
    /// The largest value below the column's maximum, with its count.
    pub(crate) second_high: Option<(f64, usize)>,
    /// The smallest distinct values, at most `cap + 1` of them.
    pub(crate) distinct: Vec<f64>,
}

impl ChunkProfile {
    pub(crate) fn of(
        values: &[f64],
        candidates: &[f64],
        (min, max): (f64, f64),
        cap: usize,
    ) -> Self {
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
pub(crate) struct KnotSetup {
    pub(crate) column: String,
    pub(crate) k: usize,
    /// The values at [`tie_candidate_ranks`], distinct, ascending.
    pub(crate) candidates: Vec<f64>,
    /// The smallest and the largest value.
    pub(crate) ends: (f64, f64),
}

impl KnotSetup {
    /// The column's profile from its pass totals.
    pub(crate) fn profile(&self, rows: usize, total: &ChunkProfile) -> KnotProfile {
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
