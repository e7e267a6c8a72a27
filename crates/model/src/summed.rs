//! Fitting from sums that the store holding the rows computes: the rows never come here.
//!
//! A fit needs the rows only through a handful of aggregates: the rows kept and the
//! problems of the others, each category's levels, some order statistics of each
//! numeric column (the knots' and the summaries'), the design's sums of squares and
//! cross products, and, at each Newton evaluation, the log-likelihood, its gradient
//! and the information matrix as sums over the rows. [`RowAggregates`] asks for exactly
//! those; [`fit_by_sums`] turns them into the model [`crate::fit()`] gives on the same
//! rows, with the same encoding (exact order statistics, so the same knots), the same
//! Newton iterations, the same null model and statistics. Only the order in which the
//! store adds its sums differs, so the estimates agree to rounding.
//!
//! This is the fit by passes of [`crate::streaming`] with every pass answered by the
//! store (an SQL engine, in `recontact-engine`): one answer per pass, of
//! p(p + 1)/2 + p + 2 numbers for a Newton evaluation.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use nalgebra::{DMatrix, DVector};

use crate::data::DroppedRows;
use crate::encoding::{Encoding, KnotInput};
use crate::error::FitError;
use crate::fit::{
    add_penalty, check_squares, check_totals, clearly_full_rank, column_scales, conclude, newton,
    penalty, starting_point, FitOptions, FitWarning, FittedModel, Penalty, Solution, State,
};
use crate::profile::IntervalKind;
use crate::spec::Spec;
use crate::streaming::{tie_candidate_ranks, ChunkProfile, KnotSetup};
use crate::InvalidRows;
use recontact_stats::knots::plan;

mod in_memory;

/// The design an evaluation sums over.
#[derive(Debug, Clone, Copy)]
pub enum SumsDesign<'e> {
    /// The encoding's design columns.
    Full(&'e Encoding),
    /// The intercept's column alone (the null model).
    Intercept,
}

/// What a store reports of its rows before any fitting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowsDescription {
    /// Every row of the source.
    pub rows_read: u64,
    /// The rows without problems.
    pub rows_used: usize,
    /// The others, with the count of each problem (`column: problem`, as the CSV reader
    /// words it); no positions (`first_problems` stays empty).
    pub dropped: DroppedRows,
    /// Each categorical column's distinct levels among the rows kept, any order; at most
    /// one more than the spec's `max_levels` (more is refused).
    pub levels: HashMap<String, Vec<String>>,
}

/// A column's knot profile, as [`crate::streaming`] sums it from chunks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnotCounts {
    /// How many rows hold each candidate value, in the candidates' order.
    pub counts: Vec<usize>,
    /// The smallest value above the column's minimum, with its count.
    pub second_low: Option<(f64, usize)>,
    /// The largest value below the column's maximum, with its count.
    pub second_high: Option<(f64, usize)>,
    /// The smallest distinct values, ascending, at most `cap + 1` of them.
    pub distinct: Vec<f64>,
}

/// The design's summary sums over the rows kept (weights `w`, design row `x`).
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSums {
    /// Σ x_j² per design column.
    pub squares: Vec<f64>,
    /// Σ w x_a x_b for a ≤ b, row by row of the upper triangle (p(p + 1)/2 values).
    pub gram_upper: Vec<f64>,
    /// Σ w.
    pub total: f64,
    /// Σ w y.
    pub events: f64,
}

/// One Newton evaluation's sums at coefficients β (η = offset + x β, p = 1/(1 + e^−η)).
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonSums {
    /// The largest |η| of a row with positive weight.
    pub largest_logit: f64,
    /// Σ w (y η − ln(1 + e^η)).
    pub log_likelihood: f64,
    /// Σ w (y − p) x_j per design column.
    pub gradient: Vec<f64>,
    /// Σ w p (1 − p) x_a x_b for a ≤ b, row by row of the upper triangle.
    pub information_upper: Vec<f64>,
}

/// A store that answers the aggregates a fit needs over the rows it holds.
///
/// Every method reads the same rows: those of the source without problems (the
/// description's `rows_used`).
pub trait RowAggregates {
    /// The store's errors; a fit's own errors convert into them.
    type Error: From<FitError>;
    /// Counts the rows and each field problem the spec's columns have, and lists the
    /// categorical columns' levels among the rows kept.
    fn describe(&mut self, spec: &Spec) -> Result<RowsDescription, Self::Error>;
    /// The values of a numeric column at the given 0-based ranks among the rows kept,
    /// in ascending order of value.
    fn order_statistics(
        &mut self,
        column: &str,
        ranks: &[usize],
    ) -> Result<BTreeMap<usize, f64>, Self::Error>;
    /// A column's knot profile: counts of the candidate values, the second extremes
    /// given the extremes `ends`, and the smallest `cap + 1` distinct values.
    fn knot_profile(
        &mut self,
        column: &str,
        candidates: &[f64],
        ends: (f64, f64),
        cap: usize,
    ) -> Result<KnotCounts, Self::Error>;
    /// The design's summary sums.
    fn design_sums(&mut self, encoding: &Encoding) -> Result<DesignSums, Self::Error>;
    /// One Newton evaluation's sums at `beta` (on the design's own scale).
    fn newton_sums(
        &mut self,
        design: SumsDesign<'_>,
        beta: &[f64],
    ) -> Result<NewtonSums, Self::Error>;
}

/// A fit from a store's sums, with what a model file records of its source.
#[derive(Debug, Clone)]
pub struct SummedFit {
    /// The fitted model.
    pub fitted: FittedModel,
    /// Rows in the source.
    pub rows_read: u64,
    /// Rows the fit used.
    pub rows_used: usize,
    /// Rows left out, with reasons.
    pub dropped: DroppedRows,
    /// Newton evaluations the store answered (model and null model).
    pub evaluations: usize,
}

/// Fits the model `spec` describes from the aggregates `store` answers: the estimates,
/// standard errors and statistics [`crate::fit()`] gives on the same rows, to rounding.
///
/// Rows with problems are refused (`InvalidRows::Fail`: an error counting each problem)
/// or left out and counted (`Drop`). Like a fit by passes it gives the model covariance
/// and Wald intervals; Firth's method and the separation check, which need every row's
/// leverage, and an aliased design, whose rank the cross products cannot settle, are
/// refused with a reason.
///
/// ```rust
/// use recontact_model::summed::{fit_by_sums, InMemorySums};
/// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
/// let spec = SpecConfig::from_toml("spec.toml", include_str!("../../../data/default_spec.toml"))?.check()?;
/// let csv = include_str!("../../../data/recontact_outcomes.csv");
/// let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let memory = fit(&spec, &data, FitOptions::default())?;
/// let summed = fit_by_sums(&mut InMemorySums::new(&data), &spec, FitOptions::default(), InvalidRows::Fail)?;
/// for (s, m) in summed.fitted.estimates.iter().zip(&memory.estimates) {
///     assert!((s.estimate - m.estimate).abs() <= 1e-9 * m.estimate.abs().max(1.0));
///     assert!((s.std_error - m.std_error).abs() <= 1e-9 * m.std_error);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_by_sums<A: RowAggregates>(
    store: &mut A,
    spec: &Spec,
    options: FitOptions,
    invalid: InvalidRows,
) -> Result<SummedFit, A::Error> {
    refuse_what_needs_rows(&options)?;
    options.check().map_err(FitError::from)?;
    let described = store.describe(spec)?;
    check_description(spec, &described, invalid)?;
    let rows = described.rows_used;
    let encoding = learn_encoding(store, spec, &described)?;
    let names = encoding.names();
    let sums = store.design_sums(&encoding)?;
    let (scales, scaled_gram) = scaled_summary(&sums, rows, encoding.intercept, &names)?;
    if !clearly_full_rank(&scaled_gram) {
        return Err(FitError::Encoding(
            "the design's cross products cannot settle whether some columns are aliased \
             (a combination of others); fit these rows in memory to find which"
                .into(),
        )
        .into());
    }
    let penalty = penalty(None, &options, &scales, encoding.intercept)?;
    let p = names.len();
    let start = starting_point(p, encoding.intercept, sums.total, sums.events);
    let all: Vec<usize> = (0..p).collect();
    let mut evaluator = Evaluator {
        store,
        evaluations: 0,
    };
    let full = SumsDesign::Full(&encoding);
    let mut solution = evaluator.solve(full, &scales, &penalty, start.clone(), &all, &options)?;
    if solution.converged && options.l2 == 0.0 && solution.state.largest_logit > 15.0 {
        let largest = solution.state.largest_logit;
        solution.warnings.push(FitWarning::LargeLogits { largest });
    }
    let null = if encoding.intercept {
        let start = DVector::from_element(1, start[0]);
        let intercept = SumsDesign::Intercept;
        evaluator
            .solve(intercept, &[1.0], &None, start, &[0], &options)?
            .state
    } else {
        evaluator.evaluate(full, &scales, &None, DVector::zeros(p))?
    };
    let evaluations = evaluator.evaluations;
    let fitted = conclude(
        encoding,
        solution,
        null,
        &scales,
        (options, false),
        (sums.total, rows, sums.events),
    )?;
    Ok(SummedFit {
        fitted,
        rows_read: described.rows_read,
        rows_used: rows,
        dropped: described.dropped,
        evaluations,
    })
}

/// Refuses the options that need every row: Firth's leverages, other covariances and
/// profile intervals.
fn refuse_what_needs_rows(options: &FitOptions) -> Result<(), FitError> {
    if options.firth {
        return Err(FitError::Encoding(
            "Firth's method needs every row's leverage at every step, which sums cannot \
             give; fit these rows in memory for a bias-reduced fit"
                .into(),
        ));
    }
    if !options.covariance_type.is_model() || options.interval != IntervalKind::Wald {
        return Err(FitError::Encoding(format!(
            "a fit from sums gives the model covariance and Wald intervals only, not the {} \
             covariance with {} intervals; fit these rows in memory for those",
            options.covariance_type.name(),
            options.interval.name()
        )));
    }
    Ok(())
}

/// Refuses rows with problems unless they are to be dropped, and too many levels.
fn check_description(
    spec: &Spec,
    described: &RowsDescription,
    invalid: InvalidRows,
) -> Result<(), FitError> {
    if described.dropped.rows > 0 && invalid == InvalidRows::Fail {
        return Err(FitError::InvalidRowsCounted {
            rows: described.dropped.rows,
            rows_read: described.rows_read,
            reasons: described.dropped.reasons.clone(),
        });
    }
    if described.rows_used == 0 {
        return Err(FitError::NoRows);
    }
    let limit = spec.max_levels();
    for (column, levels) in &described.levels {
        if levels.len() > limit {
            return Err(FitError::TooManyLevels {
                column: column.clone(),
                limit,
            });
        }
    }
    Ok(())
}

/// The encoding from the levels and the exact order statistics: the summaries' and the
/// default knots' candidates first, then those the knots' plans ask for.
fn learn_encoding<A: RowAggregates>(
    store: &mut A,
    spec: &Spec,
    described: &RowsDescription,
) -> Result<Encoding, A::Error> {
    let rows = described.rows_used;
    let knot_columns = Encoding::default_knot_columns(spec);
    let mut wanted = Encoding::ranks_needed(spec, rows);
    for (column, _) in &knot_columns {
        let list = wanted.entry(column.clone()).or_default();
        list.extend(tie_candidate_ranks(rows));
        list.sort_unstable();
        list.dedup();
    }
    let mut order = HashMap::new();
    for (column, ranks) in &wanted {
        order.insert(column.clone(), store.order_statistics(column, ranks)?);
    }
    let mut knot_inputs = HashMap::new();
    for (column, k) in knot_columns {
        let found = order.entry(column.clone()).or_default();
        let input = knot_input(store, &column, k, rows, found)?;
        knot_inputs.insert(column, input);
    }
    Ok(Encoding::learn_from(
        spec,
        rows,
        &described.levels,
        &order,
        &knot_inputs,
    )?)
}

/// One column's default-knot input: its profile, the plan from it, and the order
/// statistics the plan reads (added to `order`).
fn knot_input<A: RowAggregates>(
    store: &mut A,
    column: &str,
    k: usize,
    rows: usize,
    order: &mut BTreeMap<usize, f64>,
) -> Result<KnotInput, A::Error> {
    let value_at =
        |order: &BTreeMap<usize, f64>, rank: usize| order.get(&rank).copied().unwrap_or(f64::NAN);
    let mut candidates: Vec<f64> = tie_candidate_ranks(rows)
        .into_iter()
        .map(|r| value_at(order, r))
        .collect();
    candidates.dedup_by(|a, b| a == b);
    let ends = (value_at(order, 0), value_at(order, rows - 1));
    let counts = store.knot_profile(column, &candidates, ends, k + 2)?;
    let setup = KnotSetup {
        column: column.to_string(),
        k,
        candidates,
        ends,
    };
    let total = ChunkProfile {
        counts: counts.counts,
        second_low: counts.second_low,
        second_high: counts.second_high,
        distinct: counts.distinct,
    };
    let plan = plan(&setup.profile(rows, &total), k);
    if let Ok(plan) = &plan {
        let ranks = plan.ranks();
        order.extend(store.order_statistics(column, &ranks)?);
    }
    Ok(KnotInput {
        plan,
        order: order.clone(),
    })
}

/// The column scales and the scaled cross-product matrix, after the checks of totals
/// and squares an in-memory fit makes.
fn scaled_summary(
    sums: &DesignSums,
    rows: usize,
    intercept: bool,
    names: &[String],
) -> Result<(Vec<f64>, DMatrix<f64>), FitError> {
    let p = names.len();
    check_sizes(p, sums.squares.len(), sums.gram_upper.len())?;
    check_totals(sums.total, sums.events)?;
    check_squares(&sums.squares, names)?;
    let scales = column_scales(&sums.squares, rows, intercept);
    let gram = symmetric(p, &sums.gram_upper);
    let scaled = DMatrix::from_fn(p, p, |a, b| gram[(a, b)] / (scales[a] * scales[b]));
    Ok((scales, scaled))
}

fn check_sizes(p: usize, vector: usize, upper: usize) -> Result<(), FitError> {
    if vector != p || upper != p * (p + 1) / 2 {
        return Err(FitError::Encoding(format!(
            "the store answered {vector} and {upper} sums for {p} design columns \
             (expected {p} and {})",
            p * (p + 1) / 2
        )));
    }
    Ok(())
}

/// The symmetric p × p matrix whose upper triangle, row by row, is `upper`.
fn symmetric(p: usize, upper: &[f64]) -> DMatrix<f64> {
    let mut m = DMatrix::zeros(p, p);
    let mut k = 0;
    for a in 0..p {
        for b in a..p {
            m[(a, b)] = upper[k];
            m[(b, a)] = upper[k];
            k += 1;
        }
    }
    m
}

/// Newton evaluations answered by the store, counted.
struct Evaluator<'s, A> {
    store: &'s mut A,
    evaluations: usize,
}

impl<A: RowAggregates> Evaluator<'_, A> {
    /// One evaluation at the scaled coefficients: the store's sums on the design's own
    /// scale, rescaled and penalised as the in-memory fit does.
    fn evaluate(
        &mut self,
        design: SumsDesign<'_>,
        scales: &[f64],
        penalty: &Penalty,
        beta_scaled: DVector<f64>,
    ) -> Result<State, A::Error> {
        self.evaluations += 1;
        let q = scales.len();
        let beta: Vec<f64> = (0..q).map(|j| beta_scaled[j] / scales[j]).collect();
        let sums = self.store.newton_sums(design, &beta)?;
        check_sizes(q, sums.gradient.len(), sums.information_upper.len())?;
        let finite = sums.log_likelihood.is_finite()
            && sums.gradient.iter().all(|g| g.is_finite())
            && sums.information_upper.iter().all(|v| v.is_finite());
        if !finite {
            return Err(FitError::Encoding(
                "the store's sums are not finite at these coefficients: values in the rows \
                 are too large for the model's arithmetic"
                    .into(),
            )
            .into());
        }
        let information = symmetric(q, &sums.information_upper);
        let mut state = State {
            beta: beta_scaled,
            largest_logit: sums.largest_logit,
            log_likelihood: sums.log_likelihood,
            objective: sums.log_likelihood,
            gradient: DVector::from_fn(q, |j, _| sums.gradient[j] / scales[j]),
            information: DMatrix::from_fn(q, q, |a, b| {
                information[(a, b)] / (scales[a] * scales[b])
            }),
        };
        add_penalty(penalty, &mut state);
        Ok(state)
    }

    /// Newton's method from `start` over the `free` scaled coefficients, each evaluation
    /// one answer of the store. The driver takes a `Fn` returning a fit error; the
    /// store's own error is kept aside and returned in its place.
    fn solve(
        &mut self,
        design: SumsDesign<'_>,
        scales: &[f64],
        penalty: &Penalty,
        start: DVector<f64>,
        free: &[usize],
        options: &FitOptions,
    ) -> Result<Solution, A::Error> {
        let failure: RefCell<Option<A::Error>> = RefCell::new(None);
        let this = RefCell::new(&mut *self);
        let evaluate = |beta: DVector<f64>| {
            let result = this.borrow_mut().evaluate(design, scales, penalty, beta);
            result.map_err(|error| {
                *failure.borrow_mut() = Some(error);
                FitError::Encoding("the store could not answer".into())
            })
        };
        let solution = newton(&evaluate, start, free, options);
        match (solution, failure.into_inner()) {
            (_, Some(error)) => Err(error),
            (Ok(solution), None) => Ok(solution),
            (Err(error), None) => Err(error.into()),
        }
    }
}

/// The sums of [`RowAggregates`] computed from rows in memory: the reference the stores'
/// answers are tested against, and an example of the contract.
#[derive(Debug, Clone, Copy)]
pub struct InMemorySums<'d> {
    data: &'d crate::data::Dataset,
}

impl<'d> InMemorySums<'d> {
    /// Sums over the rows of `data` (already read and checked).
    ///
    /// ```rust
    /// use recontact_model::summed::{InMemorySums, RowAggregates};
    /// use recontact_model::{read_dataset, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s.toml", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d.csv", "y,x\n1,3\n0,1\n1,2\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let mut sums = InMemorySums::new(&data);
    /// assert_eq!(sums.order_statistics("x", &[0, 2])?.into_values().collect::<Vec<_>>(), [1.0, 3.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(data: &'d crate::data::Dataset) -> Self {
        InMemorySums { data }
    }
}
