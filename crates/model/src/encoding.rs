//! Turning a row's values into the model's design columns, with everything learned
//! from data (category levels, quantile knots) frozen so scoring repeats it exactly.

use std::collections::{BTreeMap, HashMap};

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::data::{ColumnValues, Dataset};
use crate::error::{FitError, InputError};
use crate::spec::{Spec, TermConfig, Transform};
use recontact_input::values::sort_levels;
use recontact_stats::knots::{plan, KnotPlan, KnotProfile};

/// A term with its encoding fixed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EncodedTerm {
    /// A number, optionally transformed.
    Numeric {
        /// The CSV column.
        column: String,
        /// The transformation.
        transform: Transform,
    },
    /// A linear spline: `x`, then `(x - knot)+` per knot.
    Spline {
        /// The CSV column.
        column: String,
        /// Hinge points.
        knots: Vec<f64>,
    },
    /// A restricted cubic spline with these knots.
    Rcs {
        /// The CSV column.
        column: String,
        /// Knots, strictly increasing, at least 3.
        knots: Vec<f64>,
    },
    /// A 1/0 indicator.
    Boolean {
        /// The CSV column.
        column: String,
    },
    /// Indicators for every level but the reference.
    Categorical {
        /// The CSV column.
        column: String,
        /// Every level seen when fitting, in sorted order.
        levels: Vec<String>,
        /// The level without an indicator.
        reference: String,
    },
    /// The product of two main terms, named by their columns.
    Interaction {
        /// The two columns.
        between: [String; 2],
    },
}

impl EncodedTerm {
    /// Appends a main term's design components for one input value (NaN components
    /// when the value does not fit the term).
    pub(crate) fn push_components(&self, value: TermInput, components: &mut Vec<f64>) {
        match (self, value) {
            (EncodedTerm::Numeric { transform, .. }, TermInput::Number(x)) => {
                components.push(match transform {
                    Transform::None => x,
                    Transform::Log1p => libm::log1p(x),
                })
            }
            (EncodedTerm::Spline { knots, .. }, TermInput::Number(x)) => {
                components.push(x);
                components.extend(knots.iter().map(|k| (x - k).max(0.0)));
            }
            (EncodedTerm::Rcs { knots, .. }, TermInput::Number(x)) => {
                rcs_basis(x, knots, components)
            }
            (EncodedTerm::Boolean { .. }, TermInput::Number(x)) => components.push(x),
            (
                EncodedTerm::Categorical {
                    levels, reference, ..
                },
                TermInput::Level(index),
            ) => {
                // One indicator per level but the reference; the input's is 1.
                let start = components.len();
                components.extend(std::iter::repeat_n(0.0, levels.len().saturating_sub(1)));
                if levels.get(index).is_some_and(|level| level != reference) {
                    let before_reference = levels[..index].iter().all(|l| l != reference);
                    components[start + index - usize::from(!before_reference)] = 1.0;
                }
            }
            (EncodedTerm::Interaction { .. }, _) => {}
            (term, _) => {
                let width = match term {
                    EncodedTerm::Categorical { levels, .. } => levels.len().saturating_sub(1),
                    other => other.component_names().len(),
                };
                components.extend(std::iter::repeat_n(f64::NAN, width));
            }
        }
    }

    /// The column a main term reads; `None` for an interaction.
    pub fn column_name(&self) -> Option<&str> {
        self.column()
    }

    pub(crate) fn column(&self) -> Option<&str> {
        match self {
            EncodedTerm::Numeric { column, .. }
            | EncodedTerm::Spline { column, .. }
            | EncodedTerm::Rcs { column, .. }
            | EncodedTerm::Boolean { column }
            | EncodedTerm::Categorical { column, .. } => Some(column),
            EncodedTerm::Interaction { .. } => None,
        }
    }

    /// The names of this term's design columns (not for interactions).
    fn component_names(&self) -> Vec<String> {
        match self {
            EncodedTerm::Numeric { column, transform } => match transform {
                Transform::None => vec![column.clone()],
                Transform::Log1p => vec![format!("{column}:log1p")],
            },
            EncodedTerm::Spline { column, knots } => (1..=knots.len() + 1)
                .map(|j| format!("{column}:spline{j}"))
                .collect(),
            EncodedTerm::Rcs { column, knots } => (1..knots.len())
                .map(|j| format!("{column}:rcs{j}"))
                .collect(),
            EncodedTerm::Boolean { column } => vec![column.clone()],
            EncodedTerm::Categorical {
                column,
                levels,
                reference,
            } => levels
                .iter()
                .filter(|l| *l != reference)
                .map(|l| format!("{column}={l}"))
                .collect(),
            EncodedTerm::Interaction { .. } => Vec::new(),
        }
    }
}

/// One main term's input for one row.
///
/// To give a row by column names and level names instead, see
/// [`Encoding::inputs_by_name`] and [`TermInput::from_value`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TermInput {
    /// A number (booleans as 1/0).
    Number(f64),
    /// The index of a level in the term's `levels`.
    Level(usize),
}

/// A row's value for one input column, as a person gives it: a number, a boolean or a
/// level by its name. [`TermInput::from_value`] turns it into the index form a
/// [`crate::Scorer`] reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputValue<'a> {
    /// A number, for a numeric, spline or rcs term (or 0/1 for a boolean one).
    Number(f64),
    /// A boolean, for a boolean term.
    Bool(bool),
    /// A level's name, for a categorical term.
    Level(&'a str),
}

impl InputValue<'_> {
    /// What kind of value this is, in words, for messages.
    fn kind(&self) -> &'static str {
        match self {
            InputValue::Number(x) if *x != 0.0 && *x != 1.0 => "a number other than 0 or 1",
            InputValue::Number(_) => "a number",
            InputValue::Bool(_) => "a boolean",
            InputValue::Level(_) => "a level",
        }
    }
}

impl TermInput {
    /// The input of the main term `term` for `value`: a level is looked up by name among
    /// the term's levels, a boolean becomes 1 or 0.
    ///
    /// ```rust
    /// use recontact_model::encoding::{EncodedTerm, InputValue, TermInput};
    /// use recontact_model::error::InputError;
    ///
    /// let sector = EncodedTerm::Categorical {
    ///     column: "sector".into(),
    ///     levels: vec!["finance".into(), "health".into(), "tech".into()],
    ///     reference: "finance".into(),
    /// };
    /// assert_eq!(TermInput::from_value(&sector, InputValue::Level("tech")), Ok(TermInput::Level(2)));
    /// let unknown = TermInput::from_value(&sector, InputValue::Level("retail")).unwrap_err();
    /// assert!(matches!(unknown, InputError::UnknownLevel { .. }));
    /// assert_eq!(
    ///     unknown.to_string(),
    ///     "`sector` has no level \"retail\"; its levels are finance, health, tech"
    /// );
    /// let flag = EncodedTerm::Boolean { column: "remote".into() };
    /// assert_eq!(TermInput::from_value(&flag, InputValue::Bool(true)), Ok(TermInput::Number(1.0)));
    /// ```
    pub fn from_value(term: &EncodedTerm, value: InputValue<'_>) -> Result<TermInput, InputError> {
        let column = term.column().unwrap_or_default();
        let kind = |expected: &'static str| InputError::Kind {
            column: column.to_string(),
            expected,
            given: value.kind(),
        };
        match (term, value) {
            (EncodedTerm::Interaction { .. }, _) => Err(kind("no input (it is an interaction)")),
            (EncodedTerm::Categorical { levels, .. }, InputValue::Level(name)) => levels
                .iter()
                .position(|level| level == name)
                .map(TermInput::Level)
                .ok_or_else(|| InputError::UnknownLevel {
                    column: column.to_string(),
                    level: name.to_string(),
                    levels: levels.clone(),
                }),
            (EncodedTerm::Categorical { .. }, _) => Err(kind("a level")),
            (EncodedTerm::Boolean { .. }, InputValue::Bool(b)) => {
                Ok(TermInput::Number(f64::from(u8::from(b))))
            }
            (EncodedTerm::Boolean { .. }, InputValue::Number(x)) if x == 0.0 || x == 1.0 => {
                Ok(TermInput::Number(x))
            }
            (EncodedTerm::Boolean { .. }, _) => Err(kind("a boolean or 0/1")),
            (_, InputValue::Number(x)) => Ok(TermInput::Number(x)),
            (_, _) => Err(kind("a number")),
        }
    }
}

/// The frozen encoding of a whole model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoding {
    /// Whether the first design column is the intercept.
    pub intercept: bool,
    /// Terms in spec order.
    pub terms: Vec<EncodedTerm>,
    /// The fitting data's distribution of each numeric term column: the reference value
    /// of explanations (the median) and the bands of a scorecard come from it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub summaries: BTreeMap<String, NumericSummary>,
}

/// Five-number summary of a numeric column in the fitting data (R type-7 quantiles).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericSummary {
    /// Smallest value.
    pub min: f64,
    /// 25th percentile.
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile.
    pub q75: f64,
    /// Largest value.
    pub max: f64,
}

impl NumericSummary {
    /// The summary of some values; `None` when there are none.
    ///
    /// ```rust
    /// use recontact_model::encoding::NumericSummary;
    /// let summary = NumericSummary::of(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]).unwrap();
    /// // numpy 2.4: percentile(values, [0, 25, 50, 75, 100]) (linear, R's type 7)
    /// assert_eq!(summary, NumericSummary { min: 1.0, q25: 1.75, median: 3.5, q75: 5.25, max: 9.0 });
    /// assert_eq!(NumericSummary::of(&[]), None);
    /// ```
    pub fn of(values: &[f64]) -> Option<NumericSummary> {
        let n = values.len();
        NumericSummary::from_order(n, &order_statistics(values, &NumericSummary::ranks(n)))
    }

    /// The order statistics (0-based ranks among `n` values) a summary reads.
    pub(crate) fn ranks(n: usize) -> Vec<usize> {
        if n == 0 {
            return Vec::new();
        }
        let mut ranks = vec![0, n - 1];
        for p in [0.25, 0.5, 0.75] {
            ranks.extend(type7_ranks(n, p));
        }
        ranks
    }

    /// The summary of `n` values from their order statistics at [`NumericSummary::ranks`].
    pub(crate) fn from_order(n: usize, order: &BTreeMap<usize, f64>) -> Option<NumericSummary> {
        if n == 0 {
            return None;
        }
        Some(NumericSummary {
            min: *order.get(&0)?,
            q25: type7(n, 0.25, order)?,
            median: type7(n, 0.5, order)?,
            q75: type7(n, 0.75, order)?,
            max: *order.get(&(n - 1))?,
        })
    }
}

/// The two order statistics R's type 7 quantile `p` of `n` values interpolates.
fn type7_ranks(n: usize, p: f64) -> [usize; 2] {
    let lo = ((n - 1) as f64 * p).floor() as usize;
    [lo, (lo + 1).min(n - 1)]
}

/// R's type 7 quantile `p` of `n` values from their order statistics.
fn type7(n: usize, p: f64, order: &BTreeMap<usize, f64>) -> Option<f64> {
    let h = (n - 1) as f64 * p;
    let [lo, hi] = type7_ranks(n, p);
    let (a, b) = (*order.get(&lo)?, *order.get(&hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// The values at the given 0-based ranks of `values` in ascending order, by selection
/// rather than a full sort: the same values, in linear time.
pub(crate) fn order_statistics(values: &[f64], ranks: &[usize]) -> BTreeMap<usize, f64> {
    order_statistics_in(values, ranks, &mut Vec::new())
}

/// [`order_statistics`], selecting in `work` (a buffer kept between calls, so that a
/// million-row column is not allocated afresh for every column).
fn order_statistics_in(
    values: &[f64],
    ranks: &[usize],
    work: &mut Vec<f64>,
) -> BTreeMap<usize, f64> {
    let mut ranks: Vec<usize> = ranks
        .iter()
        .copied()
        .filter(|&r| r < values.len())
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    work.clear();
    work.extend_from_slice(values);
    let mut order = BTreeMap::new();
    let mut from = 0;
    for rank in ranks {
        let (_, value, _) = work[from..].select_nth_unstable_by(rank - from, f64::total_cmp);
        order.insert(rank, *value);
        from = rank;
    }
    order
}

/// `n × p` zeros for a design, or an error when they cannot be allocated.
///
/// An allocation that fails aborts the process, and a design's size is in the user's
/// hands (rows × levels). So the space is first reserved fallibly and released, then
/// allocated zeroed: zeroed memory comes straight from the allocator and is not touched
/// (not resident) until written, which a reserve-then-fill would lose.
fn zeroed(n: usize, p: usize) -> Result<Vec<f64>, FitError> {
    let too_large = || FitError::DesignTooLarge {
        rows: n,
        columns: p,
    };
    let len = n.checked_mul(p).ok_or_else(too_large)?;
    let mut probe: Vec<f64> = Vec::new();
    probe.try_reserve_exact(len).map_err(|_| too_large())?;
    drop(probe);
    Ok(vec![0.0; len])
}

/// Evaluates Harrell's restricted cubic spline basis (norm = 2) at `x`, writing
/// `knots.len() - 1` values: x, then the k - 2 non-linear components.
///
/// Beyond the last knot each component is linear in x; it is evaluated in that
/// linear form there, so that even x = 1e300 gives finite values (the cubic form
/// would subtract infinities).
///
/// ```rust
/// use recontact_model::encoding::rcs_basis;
/// let knots = [1.0, 3.0, 5.0, 7.0];
/// // numpy, Harrell's formula: ((x-t1)+^3 - (x-t3)+^3 (t4-t1)/(t4-t3) + (x-t4)+^3 (t3-t1)/(t4-t3))
/// //   / (t4-t1)^2, and likewise for t2
/// let mut out = Vec::new();
/// rcs_basis(4.0, &knots, &mut out);
/// assert_eq!(out.len(), 3);
/// assert!((out[1] - 0.75).abs() < 1e-15 && (out[2] - 1.0 / 36.0).abs() < 1e-15);
/// // Beyond the last knot, the same values from the linear form.
/// out.clear();
/// rcs_basis(9.0, &knots, &mut out);
/// assert!((out[1] - 28.0 / 3.0).abs() < 1e-12 && (out[2] - 8.0 / 3.0).abs() < 1e-12);
/// ```
pub fn rcs_basis(x: f64, knots: &[f64], out: &mut Vec<f64>) {
    let k = knots.len();
    out.push(x);
    let (last, before_last, first) = (knots[k - 1], knots[k - 2], knots[0]);
    let norm = (last - first) * (last - first);
    let cube = |v: f64| if v > 0.0 { v * v * v } else { 0.0 };
    for &knot in &knots[..k - 2] {
        let a = (last - knot) / (last - before_last);
        let b = (before_last - knot) / (last - before_last);
        let value = if x >= last {
            // (x-u)^3 - a(x-v)^3 + b(x-w)^3 with 1 - a + b = 0 and the x^2 terms cancelling.
            let slope = 3.0 * (knot * knot - a * before_last * before_last + b * last * last);
            let constant = -knot * knot * knot + a * before_last * before_last * before_last
                - b * last * last * last;
            slope * x + constant
        } else {
            cube(x - knot) - cube(x - before_last) * a
        };
        out.push(value / norm);
    }
}

impl Encoding {
    /// Learns levels and knots from the data for each term of the spec.
    ///
    /// ```rust
    /// use recontact_model::{read_dataset, EncodedTerm, Encoding, InvalidRows, SpecConfig};
    /// let toml = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n\
    ///     [[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n";
    /// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
    /// let csv = "y,x,g\n0,1,b\n1,2,a\n1,3,c\n0,4,a\n1,5,b\n";
    /// let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
    /// let encoding = Encoding::learn(&spec, &data)?;
    /// // Levels sorted, the first the reference; x's summary kept for explanations.
    /// assert!(matches!(&encoding.terms[1], EncodedTerm::Categorical { levels, reference, .. }
    ///     if levels == &["a", "b", "c"] && reference == "a"));
    /// assert_eq!(encoding.names(), ["intercept", "x", "g=b", "g=c"]);
    /// assert_eq!(encoding.summaries["x"].median, 3.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn learn(spec: &Spec, data: &Dataset) -> Result<Encoding, FitError> {
        use rayon::prelude::*;
        let n = data.len();
        let wanted: Vec<(String, Vec<usize>)> =
            Encoding::ranks_needed(spec, n).into_iter().collect();
        // Columns are independent: their order statistics are found in parallel.
        let order: HashMap<String, BTreeMap<usize, f64>> = wanted
            .into_par_iter()
            .map_init(Vec::new, |work, (column, ranks)| {
                match data.columns.get(&column) {
                    Some(ColumnValues::Numeric(values)) => {
                        Some((column, order_statistics_in(values, &ranks, work)))
                    }
                    _ => None,
                }
            })
            .flatten()
            .collect();
        let levels = data
            .columns
            .iter()
            .filter_map(|(column, values)| match values {
                ColumnValues::Levels { levels, .. } => Some((column.clone(), levels.clone())),
                ColumnValues::Numeric(_) => None,
            })
            .collect();
        let knot_inputs = Encoding::default_knot_columns(spec)
            .into_par_iter()
            .filter_map(|(column, k)| match data.columns.get(&column) {
                Some(ColumnValues::Numeric(values)) => Some((column, KnotInput::of(values, k))),
                _ => None,
            })
            .collect();
        Encoding::learn_from(spec, n, &levels, &order, &knot_inputs)
    }

    /// The columns of rcs terms whose knots are placed by default, with their k.
    pub(crate) fn default_knot_columns(spec: &Spec) -> Vec<(String, usize)> {
        spec.config()
            .terms
            .iter()
            .filter_map(|term| match term {
                TermConfig::Rcs {
                    column,
                    knots: None,
                    k,
                } => Some((column.clone(), k.unwrap_or(4))),
                _ => None,
            })
            .collect()
    }

    /// The order statistics (0-based ranks among the `n` rows) of each numeric column
    /// that learning an encoding of `spec` reads: its summary's and its default knots'.
    pub(crate) fn ranks_needed(spec: &Spec, n: usize) -> BTreeMap<String, Vec<usize>> {
        let mut ranks: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for term in &spec.config().terms {
            let column = match term {
                TermConfig::Numeric { column, .. }
                | TermConfig::Spline { column, .. }
                | TermConfig::Rcs { column, .. } => column,
                _ => continue,
            };
            // Default knots read more order statistics, chosen from a profile of the
            // column (see `knots`), so they are found in a second stage.
            let list = ranks.entry(column.clone()).or_default();
            list.extend(NumericSummary::ranks(n));
        }
        for list in ranks.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        ranks
    }

    /// Learns the encoding of `spec` for `n` rows from each categorical column's levels
    /// (any order) and each numeric column's order statistics at
    /// [`Encoding::ranks_needed`].
    pub(crate) fn learn_from(
        spec: &Spec,
        n: usize,
        levels_seen: &HashMap<String, Vec<String>>,
        order: &HashMap<String, BTreeMap<usize, f64>>,
        knot_inputs: &HashMap<String, KnotInput>,
    ) -> Result<Encoding, FitError> {
        let config = spec.config();
        let mut terms = Vec::with_capacity(config.terms.len());
        for term in &config.terms {
            let encoded = match term {
                TermConfig::Numeric { column, transform } => EncodedTerm::Numeric {
                    column: column.clone(),
                    transform: *transform,
                },
                TermConfig::Spline { column, knots } => EncodedTerm::Spline {
                    column: column.clone(),
                    knots: knots.clone(),
                },
                TermConfig::Rcs { column, knots, k } => {
                    let knots = match knots {
                        Some(knots) => knots.clone(),
                        None => default_knots(column, n, k.unwrap_or(4), knot_inputs.get(column))?,
                    };
                    EncodedTerm::Rcs {
                        column: column.clone(),
                        knots,
                    }
                }
                TermConfig::Boolean { column } => EncodedTerm::Boolean {
                    column: column.clone(),
                },
                TermConfig::Categorical {
                    column, reference, ..
                } => {
                    let mut levels = levels_seen.get(column).cloned().unwrap_or_default();
                    sort_levels(&mut levels);
                    let reference = match reference {
                        Some(r) if levels.contains(r) => r.clone(),
                        Some(r) => {
                            return Err(FitError::UnknownReference {
                                column: column.clone(),
                                reference: r.clone(),
                                levels,
                            })
                        }
                        None => levels.first().cloned().unwrap_or_default(),
                    };
                    EncodedTerm::Categorical {
                        column: column.clone(),
                        levels,
                        reference,
                    }
                }
                TermConfig::Interaction { between } => EncodedTerm::Interaction {
                    between: between.clone(),
                },
            };
            terms.push(encoded);
        }
        let mut summaries = BTreeMap::new();
        for term in &terms {
            if let EncodedTerm::Numeric { column, .. }
            | EncodedTerm::Spline { column, .. }
            | EncodedTerm::Rcs { column, .. } = term
            {
                if let Some(summary) = order
                    .get(column)
                    .and_then(|order| NumericSummary::from_order(n, order))
                {
                    summaries.insert(column.clone(), summary);
                }
            }
        }
        Ok(Encoding {
            intercept: config.intercept,
            terms,
            summaries,
        })
    }

    /// How many design columns a term of this encoding has.
    pub(crate) fn term_width(&self, term: &EncodedTerm) -> usize {
        match term {
            EncodedTerm::Interaction { between: [a, b] } => {
                match (self.main_term(a), self.main_term(b)) {
                    (Some((_, a)), Some((_, b))) => self.term_width(a) * self.term_width(b),
                    _ => 0,
                }
            }
            EncodedTerm::Categorical { levels, .. } => levels.len().saturating_sub(1),
            other => other.component_names().len(),
        }
    }

    fn main_term(&self, column: &str) -> Option<(usize, &EncodedTerm)> {
        self.terms
            .iter()
            .enumerate()
            .find(|(_, t)| t.column() == Some(column))
    }

    /// The design column names, intercept first when present.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if self.intercept {
            names.push("intercept".to_string());
        }
        for term in &self.terms {
            match term {
                EncodedTerm::Interaction { between: [a, b] } => {
                    let left = self.main_term(a).map(|(_, t)| t.component_names());
                    let right = self.main_term(b).map(|(_, t)| t.component_names());
                    for l in left.iter().flatten() {
                        for r in right.iter().flatten() {
                            names.push(format!("{l}:{r}"));
                        }
                    }
                }
                other => names.extend(other.component_names()),
            }
        }
        names
    }

    /// The design columns of each term, labelled: `intercept`, a main term's column, or
    /// `a:b` for an interaction. The ranges are contiguous and cover every design column.
    pub fn term_groups(&self) -> Vec<(String, std::ops::Range<usize>)> {
        let mut groups = Vec::new();
        let mut next = 0;
        if self.intercept {
            groups.push(("intercept".to_string(), 0..1));
            next = 1;
        }
        for term in &self.terms {
            let (label, width) = match term {
                EncodedTerm::Interaction { between: [a, b] } => {
                    let width = |c: &str| {
                        self.main_term(c)
                            .map_or(0, |(_, t)| t.component_names().len())
                    };
                    (format!("{a}:{b}"), width(a) * width(b))
                }
                other => (
                    other.column().unwrap_or_default().to_string(),
                    other.component_names().len(),
                ),
            };
            groups.push((label, next..next + width));
            next += width;
        }
        groups
    }

    /// The main terms' columns, in order: what a row must provide.
    pub fn input_columns(&self) -> Vec<&str> {
        self.terms.iter().filter_map(EncodedTerm::column).collect()
    }

    /// The main terms, in the order of [`Encoding::input_columns`].
    pub fn main_terms(&self) -> impl Iterator<Item = &EncodedTerm> {
        self.terms.iter().filter(|t| t.column().is_some())
    }

    /// One row's inputs, in the order of [`Encoding::input_columns`], from values given
    /// by column name in any order. Every input column must be given once; a name that is
    /// not an input, a level the term does not know or a value of the wrong kind is
    /// refused with what is allowed.
    ///
    /// ```rust
    /// use recontact_model::encoding::{InputValue, TermInput};
    /// use recontact_model::error::InputError;
    /// use recontact_model::Model;
    ///
    /// let text = include_str!("../../../data/default_model.json");
    /// let model = Model::from_json("default_model.json", text)?;
    /// let row = [
    ///     ("stage_reached", InputValue::Level("interviewed")),
    ///     ("contact_type", InputValue::Level("hiring_manager")),
    ///     ("decline_reason", InputValue::Level("other")),
    ///     ("days_since_decline", InputValue::Number(30.0)),
    ///     ("position_status", InputValue::Level("open")),
    ///     ("same_contact", InputValue::Bool(true)),
    ///     ("misrepresentation", InputValue::Bool(false)),
    ///     ("transparent", InputValue::Bool(true)),
    ///     ("open_to_reinterview", InputValue::Bool(true)),
    ///     ("years_experience", InputValue::Number(5.0)),
    /// ];
    /// let inputs = model.encoding.inputs_by_name(&row)?;
    /// // In input-column order, levels as indices into the sorted levels.
    /// assert_eq!(inputs[0], TermInput::Level(2)); // contact_type = hiring_manager
    /// assert_eq!(inputs[1], TermInput::Level(1)); // stage_reached = interviewed
    /// assert_eq!(inputs[5], TermInput::Number(1.0)); // same_contact
    ///
    /// let error = model.encoding.inputs_by_name(&[("salary", InputValue::Number(1.0))]);
    /// assert!(matches!(error, Err(InputError::UnknownColumn { .. })));
    /// assert!(error.unwrap_err().to_string().starts_with(
    ///     "the model has no input `salary`; its inputs are contact_type, stage_reached,"
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inputs_by_name(
        &self,
        row: &[(&str, InputValue<'_>)],
    ) -> Result<Vec<TermInput>, InputError> {
        let columns = || -> Vec<String> {
            self.input_columns()
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        let mut inputs: Vec<Option<TermInput>> = vec![None; self.main_terms().count()];
        for (name, value) in row {
            let Some((at, term)) = self
                .main_terms()
                .enumerate()
                .find(|(_, term)| term.column() == Some(*name))
            else {
                return Err(InputError::UnknownColumn {
                    column: name.to_string(),
                    columns: columns(),
                });
            };
            if inputs[at].is_some() {
                return Err(InputError::Repeated {
                    column: name.to_string(),
                });
            }
            inputs[at] = Some(TermInput::from_value(term, *value)?);
        }
        inputs
            .into_iter()
            .zip(self.input_columns())
            .map(|(input, column)| {
                input.ok_or_else(|| InputError::Missing {
                    column: column.to_string(),
                    columns: columns(),
                })
            })
            .collect()
    }

    /// Writes one row's design values. `inputs` holds one value per main term, in the
    /// order of [`Encoding::input_columns`]. `scratch` is reused between calls.
    pub fn encode(&self, inputs: &[TermInput], out: &mut Vec<f64>, scratch: &mut Vec<Vec<f64>>) {
        out.clear();
        if self.intercept {
            out.push(1.0);
        }
        let mut input = inputs.iter();
        let mut next_input = || input.next().copied().unwrap_or(TermInput::Number(f64::NAN));
        if !self
            .terms
            .iter()
            .any(|t| matches!(t, EncodedTerm::Interaction { .. }))
        {
            // Without interactions the design is the main terms' components in order.
            for term in &self.terms {
                term.push_components(next_input(), out);
            }
            return;
        }
        scratch.resize_with(self.terms.len(), Vec::new);
        // Main terms first, so an interaction may come before its terms in the spec.
        for (t, term) in self.terms.iter().enumerate() {
            if matches!(term, EncodedTerm::Interaction { .. }) {
                continue;
            }
            let components = &mut scratch[t];
            components.clear();
            term.push_components(next_input(), components);
        }
        for (t, term) in self.terms.iter().enumerate() {
            match term {
                EncodedTerm::Interaction { between: [a, b] } => {
                    let (Some((i, _)), Some((j, _))) = (self.main_term(a), self.main_term(b))
                    else {
                        continue;
                    };
                    for l in 0..scratch[i].len() {
                        for r in 0..scratch[j].len() {
                            out.push(scratch[i][l] * scratch[j][r]);
                        }
                    }
                }
                _ => out.extend_from_slice(&scratch[t]),
            }
        }
    }

    /// The design matrix of a data set (rows × design columns).
    pub fn design(&self, data: &Dataset) -> Result<DMatrix<f64>, FitError> {
        let (n, p) = (data.len(), self.names().len());
        let mut matrix = DMatrix::from_vec(n, p, zeroed(n, p)?);
        let mut first = usize::from(self.intercept);
        for term in &self.terms {
            first += self.fill_term(term, &data.columns, &mut matrix, first)?;
        }
        self.fill_intercept(&mut matrix);
        Ok(matrix)
    }

    /// Like [`Encoding::design`], but each column of `data` is freed as soon as the last
    /// term that reads it is in the matrix, so that memory peaks near the design's own
    /// size rather than the data's and the design's together. `data.columns` is empty
    /// afterwards; outcome, weights, offset and provenance stay.
    pub fn design_releasing(&self, data: &mut Dataset) -> Result<DMatrix<f64>, FitError> {
        // Zeroed memory straight from the allocator is not touched (so not resident)
        // until a column is written, while a column of the data is freed.
        let (n, p) = (data.len(), self.names().len());
        let mut matrix = DMatrix::from_vec(n, p, zeroed(n, p)?);
        let mut first = usize::from(self.intercept);
        let reads = |term: &EncodedTerm| -> Vec<String> {
            match term {
                EncodedTerm::Interaction { between } => between.to_vec(),
                other => other.column().map(str::to_string).into_iter().collect(),
            }
        };
        for (t, term) in self.terms.iter().enumerate() {
            first += self.fill_term(term, &data.columns, &mut matrix, first)?;
            for column in reads(term) {
                if !self.terms[t + 1..]
                    .iter()
                    .any(|later| reads(later).contains(&column))
                {
                    data.columns.remove(&column);
                }
            }
        }
        data.columns.clear();
        self.fill_intercept(&mut matrix);
        Ok(matrix)
    }

    fn fill_intercept(&self, matrix: &mut DMatrix<f64>) {
        if self.intercept {
            matrix.column_mut(0).fill(1.0);
        }
    }

    /// Writes one term's design columns, from column `first` on; returns how many.
    fn fill_term(
        &self,
        term: &EncodedTerm,
        columns: &HashMap<String, ColumnValues>,
        matrix: &mut DMatrix<f64>,
        first: usize,
    ) -> Result<usize, FitError> {
        let n = matrix.nrows();
        let out = matrix.as_mut_slice();
        if let EncodedTerm::Interaction { between: [a, b] } = term {
            let (Some((_, left)), Some((_, right))) = (self.main_term(a), self.main_term(b)) else {
                return Ok(0);
            };
            let (left_inputs, right_inputs) =
                (Inputs::of(left, columns)?, Inputs::of(right, columns)?);
            let (mut l, mut r) = (Vec::new(), Vec::new());
            let mut width = 0;
            for i in 0..n {
                l.clear();
                r.clear();
                left.push_components(left_inputs.get(i), &mut l);
                right.push_components(right_inputs.get(i), &mut r);
                width = l.len() * r.len();
                for (c, (x, y)) in l
                    .iter()
                    .flat_map(|x| r.iter().map(move |y| (x, y)))
                    .enumerate()
                {
                    out[(first + c) * n + i] = x * y;
                }
            }
            return Ok(width);
        }
        let inputs = Inputs::of(term, columns)?;
        if let (
            EncodedTerm::Numeric {
                transform: Transform::None,
                ..
            }
            | EncodedTerm::Boolean { .. },
            Inputs::Numbers(values),
        ) = (term, &inputs)
        {
            out[first * n..(first + 1) * n].copy_from_slice(values);
            return Ok(1);
        }
        let mut components = Vec::new();
        let mut width = 0;
        for i in 0..n {
            components.clear();
            term.push_components(inputs.get(i), &mut components);
            width = components.len();
            for (c, value) in components.iter().enumerate() {
                out[(first + c) * n + i] = *value;
            }
        }
        Ok(width)
    }
}

/// A main term's input values, row by row.
enum Inputs<'a> {
    Numbers(&'a [f64]),
    /// Codes into the data's levels, and each code's index among the term's levels.
    Levels(&'a [u32], Vec<usize>),
    Missing,
}

impl<'a> Inputs<'a> {
    fn of(
        term: &EncodedTerm,
        columns: &'a HashMap<String, ColumnValues>,
    ) -> Result<Inputs<'a>, FitError> {
        let column = term.column().unwrap_or_default();
        let values = columns.get(column).ok_or_else(|| FitError::ColumnNotRead {
            column: column.to_string(),
        })?;
        Ok(match (term, values) {
            (
                EncodedTerm::Categorical { levels, .. },
                ColumnValues::Levels {
                    codes,
                    levels: seen,
                },
            ) => {
                // Map the data's level codes (first-appearance order) to the sorted levels.
                let map: Result<Vec<usize>, FitError> =
                    seen.iter()
                        .map(|s| {
                            levels.iter().position(|l| l == s).ok_or_else(|| {
                                FitError::UnknownLevel {
                                    column: column.to_string(),
                                    level: s.clone(),
                                    known: levels.clone(),
                                }
                            })
                        })
                        .collect();
                Inputs::Levels(codes, map?)
            }
            (_, ColumnValues::Numeric(values)) => Inputs::Numbers(values),
            (_, ColumnValues::Levels { .. }) => Inputs::Missing,
        })
    }

    fn get(&self, i: usize) -> TermInput {
        match self {
            Inputs::Numbers(values) => TermInput::Number(values[i]),
            Inputs::Levels(codes, map) => TermInput::Level(map[codes[i] as usize]),
            Inputs::Missing => TermInput::Number(f64::NAN),
        }
    }
}

fn default_knots(
    column: &str,
    n: usize,
    k: usize,
    input: Option<&KnotInput>,
) -> Result<Vec<f64>, FitError> {
    let input = input.ok_or_else(|| FitError::ColumnNotRead {
        column: column.to_string(),
    })?;
    input
        .plan
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|plan| plan.knots(&input.order))
        .map_err(|problem| FitError::DefaultKnots {
            column: column.to_string(),
            k,
            n,
            problem,
        })
}

/// What placing a column's default knots reads: the plan its profile gives (or why
/// there is none) and the order statistics the plan asks for.
#[derive(Debug, Clone)]
pub(crate) struct KnotInput {
    pub(crate) plan: Result<KnotPlan, String>,
    pub(crate) order: BTreeMap<usize, f64>,
}

impl KnotInput {
    /// The input for `k` default knots of these values, in memory.
    fn of(values: &[f64], k: usize) -> KnotInput {
        let plan = plan(&KnotProfile::of(values, k), k);
        let order = match &plan {
            Ok(plan) => order_statistics(values, &plan.ranks()),
            Err(_) => BTreeMap::new(),
        };
        KnotInput { plan, order }
    }
}

/// A fitted encoding knows the levels of each categorical term: a reader of new data
/// refuses the others (see [`crate::read_dataset_for`]).
impl crate::data::KnownLevels for Encoding {
    fn known_levels(&self, column: &str) -> Option<&[String]> {
        self.main_terms().find_map(|term| match term {
            EncodedTerm::Categorical {
                column: c, levels, ..
            } if c == column => Some(levels.as_slice()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R's default (type 7) sample quantile of sorted values, the plain way: the
    /// reference the selection-based summaries are checked against.
    fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
        let h = (sorted.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(sorted.len() - 1);
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    }

    #[test]
    fn rcs_basis_is_linear_beyond_the_outer_knots() {
        let knots = [1.0, 2.0, 4.0, 8.0];
        let at = |x: f64| {
            let mut out = Vec::new();
            rcs_basis(x, &knots, &mut out);
            out
        };
        assert_eq!(at(0.5), vec![0.5, 0.0, 0.0]);
        // Second differences vanish beyond the last knot.
        let (a, b, c) = (at(10.0), at(11.0), at(12.0));
        for j in 0..3 {
            assert!((a[j] - 2.0 * b[j] + c[j]).abs() < 1e-9, "component {j}");
        }
        // The linear form beyond the last knot joins the cubic form continuously.
        let cubic = |x: f64, knot: f64| {
            let cube = |v: f64| if v > 0.0 { v * v * v } else { 0.0 };
            (cube(x - knot) - cube(x - 4.0) * (8.0 - knot) / 4.0
                + cube(x - 8.0) * (4.0 - knot) / 4.0)
                / 49.0
        };
        for x in [8.0, 9.5, 20.0, 1000.0] {
            let basis = at(x);
            assert!((basis[1] - cubic(x, 1.0)).abs() < 1e-9 * basis[1].abs().max(1.0));
            assert!((basis[2] - cubic(x, 2.0)).abs() < 1e-9 * basis[2].abs().max(1.0));
        }
        assert!(at(1e300).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn an_interaction_may_precede_its_terms() {
        let term = |column: &str| EncodedTerm::Boolean {
            column: column.to_string(),
        };
        let interaction = EncodedTerm::Interaction {
            between: ["a".to_string(), "b".to_string()],
        };
        let first = Encoding {
            intercept: false,
            terms: vec![interaction.clone(), term("a"), term("b")],
            summaries: BTreeMap::new(),
        };
        let mut out = Vec::new();
        let inputs = [TermInput::Number(1.0), TermInput::Number(1.0)];
        first.encode(&inputs, &mut out, &mut Vec::new());
        assert_eq!(out, vec![1.0, 1.0, 1.0]);
        assert_eq!(first.names(), ["a:b", "a", "b"]);
    }

    #[test]
    fn summaries_by_selection_equal_summaries_by_sorting() {
        let values: Vec<f64> = (0..1001u32)
            .map(|i| f64::from((i * 7919) % 1009) / 7.0)
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let summary = NumericSummary::of(&values).unwrap();
        assert_eq!(summary.min, sorted[0]);
        assert_eq!(summary.max, sorted[1000]);
        assert_eq!(summary.q25, quantile_type7(&sorted, 0.25));
        assert_eq!(summary.median, quantile_type7(&sorted, 0.5));
        assert_eq!(summary.q75, quantile_type7(&sorted, 0.75));
        let one = NumericSummary::of(&[3.0]).unwrap();
        assert_eq!((one.min, one.median, one.max), (3.0, 3.0, 3.0));
    }

    #[test]
    fn type7_quantiles_match_r() {
        // R: quantile(c(1, 2, 3, 4, 10), c(0.05, 0.35, 0.9)) = 1.2, 2.4, 7.6
        let sorted = [1.0, 2.0, 3.0, 4.0, 10.0];
        let q: Vec<f64> = [0.05, 0.35, 0.9]
            .iter()
            .map(|&p| quantile_type7(&sorted, p))
            .collect();
        for (got, want) in q.iter().zip([1.2, 2.4, 7.6]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }
}
