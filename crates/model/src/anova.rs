//! Term-level tests of a fitted model: Wald χ² per factor pooling every design column
//! that involves it, as `rms::anova.rms` lays them out, and likelihood-ratio tests by
//! refitting without a factor, as R's `drop1(fit, test = "Chisq")`.
//!
//! A factor's Wald test pools its own columns and those of every interaction it is part
//! of ("Factor+Higher Order Factors"); a spline factor also gets a test of its
//! non-linear columns, again with the non-linear parts of its interactions. Each
//! interaction gets its own test, and one of its non-linear columns where a spline is
//! involved. The totals pool every non-linear column, every interaction column, both,
//! and every column but the intercept. The layout and its rules (which rows appear when)
//! are those of `anova.rms`.

use std::collections::BTreeSet;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::data::Dataset;
use crate::encoding::{EncodedTerm, Encoding};
use crate::error::FitError;
use crate::fit::{fit_encoded, FitOptions};
use crate::model::Model;
use recontact_stats::distributions::chi_square_sf;

/// Why a term-level test cannot be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AnovaError {
    /// The covariance block of a test's columns is not positive definite.
    #[error(
        "the covariance of the columns of `{term}` is singular (not positive definite), so \
         its Wald test does not exist"
    )]
    SingularCovariance {
        /// The test's label.
        term: String,
    },
    /// Likelihood-ratio tests compare plain likelihoods; a penalised fit has none to compare.
    #[error(
        "likelihood-ratio tests need a plain maximum-likelihood model; this one was fitted \
         with method `{method}`, whose penalised likelihoods do not give a χ² test by \
         refitting"
    )]
    Penalised {
        /// The model's method.
        method: String,
    },
    /// A refit failed.
    #[error("refitting {which}: {source}")]
    Refit {
        /// Which model: `the full model` or `without X`.
        which: String,
        /// Why.
        #[source]
        source: FitError,
    },
}

/// One Wald test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnovaRow {
    /// The test, labelled as `anova.rms` labels it (`x (Factor+Higher Order Factors)`,
    /// `Nonlinear`, `a * b`, `TOTAL`, …).
    pub term: String,
    /// The factor or interaction a sub-row (`All Interactions`, `Nonlinear`, …) belongs
    /// to; `None` for a factor's own row and for totals.
    pub of: Option<String>,
    /// `βₛᵀ (V_ss)⁻¹ βₛ` over the test's columns.
    pub chi2: f64,
    /// Number of columns pooled.
    pub df: usize,
    /// Upper χ² tail probability.
    pub p_value: f64,
}

/// One planned test: its label, the row it belongs to and its design columns.
struct Planned {
    term: String,
    of: Option<String>,
    columns: BTreeSet<usize>,
}

/// Whether each design column of a main term is non-linear (a spline's components after x).
fn nonlinear_components(encoding: &Encoding, term: &EncodedTerm) -> Vec<bool> {
    let width = encoding.term_width(term);
    match term {
        EncodedTerm::Rcs { .. } | EncodedTerm::Spline { .. } => (0..width).map(|c| c > 0).collect(),
        _ => vec![false; width],
    }
}

/// For each column of interaction `[a, b]` (starting at `first`), whether its component
/// of `a` and of `b` is non-linear.
fn interaction_nonlinearity(encoding: &Encoding, between: &[String; 2]) -> Vec<(bool, bool)> {
    let side = |column: &str| {
        encoding
            .main_terms()
            .find(|t| t.column() == Some(column))
            .map(|t| nonlinear_components(encoding, t))
            .unwrap_or_default()
    };
    let (left, right) = (side(&between[0]), side(&between[1]));
    // The left term's component is outer, the right's inner (as `Encoding::encode`).
    left.iter()
        .flat_map(|l| right.iter().map(move |r| (*l, *r)))
        .collect()
}

/// Running state of the plan: the pooled sets of the totals and their counts.
#[derive(Default)]
struct Totals {
    nonlinear: BTreeSet<usize>,
    interaction: BTreeSet<usize>,
    nonlinear_sets: usize,
    interactions: usize,
}

/// The tests `anova.rms` reports for an encoding, in its order.
fn plan(encoding: &Encoding) -> Vec<Planned> {
    let ranges: Vec<std::ops::Range<usize>> = encoding
        .term_groups()
        .into_iter()
        .skip(usize::from(encoding.intercept))
        .map(|(_, range)| range)
        .collect();
    let mut out = Vec::new();
    let mut totals = Totals::default();
    for (t, term) in encoding.terms.iter().enumerate() {
        match term {
            EncodedTerm::Interaction { between } => {
                plan_interaction(encoding, between, ranges[t].clone(), &mut totals, &mut out)
            }
            main => plan_factor(encoding, t, main, &ranges, &mut totals, &mut out),
        }
    }
    let all: BTreeSet<usize> = ranges.iter().flat_map(|r| r.clone()).collect();
    if totals.nonlinear_sets > 1 {
        out.push(total("TOTAL NONLINEAR", totals.nonlinear.clone()));
    }
    if totals.interactions > 1 {
        out.push(total("TOTAL INTERACTION", totals.interaction.clone()));
    }
    if totals.nonlinear_sets > 0 && totals.interactions > 0 {
        let both = totals
            .nonlinear
            .union(&totals.interaction)
            .copied()
            .collect();
        out.push(total("TOTAL NONLINEAR + INTERACTION", both));
    }
    out.push(total("TOTAL", all));
    out.retain(|p| !p.columns.is_empty());
    out
}

fn total(label: &str, columns: BTreeSet<usize>) -> Planned {
    Planned {
        term: label.to_string(),
        of: None,
        columns,
    }
}

/// A main factor's rows: its combined test, its interactions pooled, its non-linearity.
fn plan_factor(
    encoding: &Encoding,
    t: usize,
    term: &EncodedTerm,
    ranges: &[std::ops::Range<usize>],
    totals: &mut Totals,
    out: &mut Vec<Planned>,
) {
    let name = term.column().unwrap_or_default().to_string();
    let own: Vec<usize> = ranges[t].clone().collect();
    let nonlinear = nonlinear_components(encoding, term);
    let (mut interaction, mut nonlinear_interaction) = (BTreeSet::new(), BTreeSet::new());
    for (k, other) in encoding.terms.iter().enumerate() {
        let EncodedTerm::Interaction { between } = other else {
            continue;
        };
        let Some(side) = between.iter().position(|c| *c == name) else {
            continue;
        };
        for (c, flags) in ranges[k]
            .clone()
            .zip(interaction_nonlinearity(encoding, between))
        {
            interaction.insert(c);
            if [flags.0, flags.1][side] {
                nonlinear_interaction.insert(c);
            }
        }
    }
    let sub = |label: &str, columns: BTreeSet<usize>| Planned {
        term: label.to_string(),
        of: Some(name.clone()),
        columns,
    };
    if interaction.is_empty() {
        out.push(total(&name, own.iter().copied().collect()));
    } else {
        let combined = own.iter().copied().chain(interaction.iter().copied());
        out.push(Planned {
            term: format!("{name} (Factor+Higher Order Factors)"),
            of: None,
            columns: combined.collect(),
        });
        out.push(sub("All Interactions", interaction));
    }
    if nonlinear.iter().any(|&n| n) && nonlinear.iter().any(|&n| !n) {
        let columns: BTreeSet<usize> = own
            .iter()
            .zip(&nonlinear)
            .filter(|&(_, &n)| n)
            .map(|(c, _)| *c)
            .chain(nonlinear_interaction.iter().copied())
            .collect();
        totals.nonlinear_sets += 1;
        totals.nonlinear.extend(&columns);
        let label = if nonlinear_interaction.is_empty() {
            "Nonlinear"
        } else {
            "Nonlinear (Factor+Higher Order Factors)"
        };
        out.push(sub(label, columns));
    }
}

/// An interaction's rows: its own test and those of its non-linear parts.
fn plan_interaction(
    encoding: &Encoding,
    between: &[String; 2],
    range: std::ops::Range<usize>,
    totals: &mut Totals,
    out: &mut Vec<Planned>,
) {
    let [a, b] = between;
    let name = format!("{a} * {b}");
    totals.interactions += 1;
    totals.interaction.extend(range.clone());
    out.push(total(&name, range.clone().collect()));
    let flags: Vec<(usize, (bool, bool))> = range
        .zip(interaction_nonlinearity(encoding, between))
        .collect();
    let select = |keep: &dyn Fn((bool, bool)) -> bool| -> BTreeSet<usize> {
        flags
            .iter()
            .filter(|(_, f)| keep(*f))
            .map(|(c, _)| *c)
            .collect()
    };
    let either = select(&|(x, y)| x || y);
    if either.is_empty() {
        return;
    }
    let sub = |label: String, columns: BTreeSet<usize>| Planned {
        term: label,
        of: Some(name.clone()),
        columns,
    };
    // anova.rms counts the interaction's non-linear columns twice (as the term's own
    // non-linearity and as the non-linear interaction), so one spline interaction is
    // enough for a TOTAL NONLINEAR row.
    if either.len() < flags.len() {
        totals.nonlinear_sets += 1;
        out.push(sub("Nonlinear".into(), either.clone()));
    }
    totals.nonlinear_sets += 1;
    totals.nonlinear.extend(&either);
    out.push(sub(
        "Nonlinear Interaction : f(A,B) vs. AB".into(),
        either.clone(),
    ));
    let both = select(&|(x, y)| x && y);
    if !both.is_empty() {
        out.push(sub("f(A,B) vs. Af(B) + Bg(A)".into(), both));
    }
    let in_a = select(&|(x, _)| x);
    if !in_a.is_empty() && in_a != either {
        out.push(sub(format!("Nonlinear Interaction in {a} vs. Af(B)"), in_a));
    }
    let in_b = select(&|(_, y)| y);
    if !in_b.is_empty() && in_b != either {
        out.push(sub(format!("Nonlinear Interaction in {b} vs. Bg(A)"), in_b));
    }
}

/// `βₛᵀ (V_ss)⁻¹ βₛ` for the columns `s`, by Cholesky.
fn wald_chi2(model: &Model, columns: &BTreeSet<usize>, term: &str) -> Result<f64, AnovaError> {
    let s: Vec<usize> = columns.iter().copied().collect();
    let v = DMatrix::from_fn(s.len(), s.len(), |i, j| model.covariance[s[i]][s[j]]);
    let b = DVector::from_iterator(s.len(), s.iter().map(|&i| model.terms[i].estimate));
    let singular = || AnovaError::SingularCovariance {
        term: term.to_string(),
    };
    let solved = v.cholesky().ok_or_else(singular)?.solve(&b);
    let chi2 = b.dot(&solved);
    if chi2.is_finite() && chi2 >= 0.0 {
        Ok(chi2)
    } else {
        Err(singular())
    }
}

/// The Wald tests of every factor, interaction and total of `model`, from the
/// covariance stored in the model file, in `anova.rms`'s order.
///
/// ```
/// # let model = recontact_model::Model::from_json("m", include_str!("../../../data/default_model.json")).unwrap();
/// let rows = recontact_model::anova::wald_anova(&model).unwrap();
/// assert_eq!(rows.last().unwrap().term, "TOTAL");
/// ```
pub fn wald_anova(model: &Model) -> Result<Vec<AnovaRow>, AnovaError> {
    plan(&model.encoding)
        .into_iter()
        .map(|planned| {
            let chi2 = wald_chi2(model, &planned.columns, &planned.term)?;
            let df = planned.columns.len();
            Ok(AnovaRow {
                p_value: chi_square_sf(chi2, df as f64),
                term: planned.term,
                of: planned.of,
                chi2,
                df,
            })
        })
        .collect()
}

/// One likelihood-ratio test: the model refitted without some terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LikelihoodRatioRow {
    /// The factor or interaction (`a * b`) tested.
    pub term: String,
    /// Every term left out of the refit: the factor and, by marginality, each
    /// interaction it is part of.
    pub dropped: Vec<String>,
    /// `2 (ℓ_full − ℓ_reduced)`, both fitted on the given data.
    pub chi2: f64,
    /// Number of design columns left out.
    pub df: usize,
    /// Upper χ² tail probability.
    pub p_value: f64,
}

/// The terms `drop1` leaves out to test term `t`: the term itself and, for a main
/// factor, every interaction it is part of (marginality).
fn dropped_with(encoding: &Encoding, t: usize) -> BTreeSet<usize> {
    let column = encoding.terms[t].column();
    (0..encoding.terms.len())
        .filter(|&k| {
            k == t
                || matches!((&encoding.terms[k], column),
                    (EncodedTerm::Interaction { between }, Some(c)) if between.iter().any(|b| b == c))
        })
        .collect()
}

fn label(term: &EncodedTerm) -> String {
    match term {
        EncodedTerm::Interaction { between: [a, b] } => format!("{a} * {b}"),
        other => other.column().unwrap_or_default().to_string(),
    }
}

/// Likelihood-ratio tests of every factor and interaction of `model` on `data`, each by
/// refitting without the term (and, for a factor, its interactions), with the model's
/// own encoding (levels, knots) and options. The full model is refitted on `data` too,
/// so both likelihoods are of the same rows.
///
/// ```rust
/// # use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, SpecConfig};
/// # let toml = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n\
/// #     [[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n";
/// # let config = SpecConfig::from_toml("spec.toml", toml)?;
/// # let spec = config.clone().check()?;
/// # let csv = "y,x,g\n0,1,a\n0,2,b\n1,3,c\n0,4,a\n1,5,b\n1,6,c\n0,2,a\n1,4,b\n1,3,a\n0,5,c\n1,7,b\n0,6,a\n";
/// # let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// # let model = Model::new(fit(&spec, &data, FitOptions::default())?, config, &data);
/// use recontact_model::anova::{likelihood_ratio_tests, AnovaError};
/// // `model`: y ~ x + g (levels a, b, c), fitted on `data`, 12 rows.
/// let tests = likelihood_ratio_tests(&model, &data)?;
/// assert_eq!((tests[0].term.as_str(), tests[0].df), ("x", 1));
/// assert_eq!((tests[1].term.as_str(), tests[1].df), ("g", 2));
/// // statsmodels 0.15: 2 (llf of GLM "y ~ x + C(g)" - llf of "y ~ C(g)"), then without
/// //   C(g); scipy 1.17: chi2.sf(chi2, df)
/// assert!((tests[0].chi2 - 0.6649936662067564).abs() < 1e-7);
/// assert!((tests[0].p_value - 0.41480250720216716).abs() < 1e-7);
/// assert!((tests[1].chi2 - 2.211503029687334).abs() < 1e-7);
/// assert!((tests[1].p_value - 0.33096206585390725).abs() < 1e-7);
///
/// // A penalised fit has no plain likelihoods to compare.
/// let options = FitOptions { l2: 1.0, ..FitOptions::default() };
/// let penalised = Model::new(fit(&spec, &data, options)?, spec.config().clone(), &data);
/// let error = likelihood_ratio_tests(&penalised, &data).unwrap_err();
/// assert!(matches!(error, AnovaError::Penalised { .. }), "{error}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn likelihood_ratio_tests(
    model: &Model,
    data: &Dataset,
) -> Result<Vec<LikelihoodRatioRow>, AnovaError> {
    if model.statistics.method != "ml" {
        return Err(AnovaError::Penalised {
            method: model.statistics.method.clone(),
        });
    }
    let options: FitOptions = model.options;
    let encoding = &model.encoding;
    let refit = |encoding: Encoding, which: String| {
        fit_encoded(encoding, data, options, None)
            .map(|fitted| fitted.statistics.log_likelihood)
            .map_err(|source| AnovaError::Refit { which, source })
    };
    let full = refit(encoding.clone(), "the full model".to_string())?;
    // A term without design columns (a category with one level) has nothing to test.
    let tested: Vec<usize> = (0..encoding.terms.len())
        .filter(|&t| encoding.term_width(&encoding.terms[t]) > 0)
        .collect();
    // Each refit is independent; collecting in order keeps the output deterministic.
    tested
        .into_par_iter()
        .map(|t| {
            let dropped = dropped_with(encoding, t);
            let mut reduced = encoding.clone();
            reduced.terms = (0..encoding.terms.len())
                .filter(|k| !dropped.contains(k))
                .map(|k| encoding.terms[k].clone())
                .collect();
            let df = encoding.names().len() - reduced.names().len();
            let names: Vec<String> = dropped.iter().map(|&k| label(&encoding.terms[k])).collect();
            let l = refit(reduced, format!("without {}", names.join(", ")))?;
            // Both are maxima; a reduced fit can only come out above the full one by
            // the rounding of the two fits, which must not print as a negative χ².
            let chi2 = (2.0 * (full - l)).max(0.0);
            Ok(LikelihoodRatioRow {
                term: label(&encoding.terms[t]),
                dropped: names,
                chi2,
                df,
                p_value: chi_square_sf(chi2, df as f64),
            })
        })
        .collect()
}

/// The keys `recontact anova --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnovaReport {
    /// The Wald tests, in `anova.rms`'s order.
    pub wald: Vec<AnovaRow>,
    /// The likelihood-ratio tests, when data were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likelihood_ratio: Option<Vec<LikelihoodRatioRow>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn encoding(terms: Vec<EncodedTerm>) -> Encoding {
        Encoding {
            intercept: true,
            terms,
            summaries: BTreeMap::new(),
        }
    }

    fn rcs(column: &str) -> EncodedTerm {
        EncodedTerm::Rcs {
            column: column.into(),
            knots: vec![1.0, 2.0, 3.0, 4.0],
        }
    }

    fn categorical(column: &str, levels: &[&str]) -> EncodedTerm {
        EncodedTerm::Categorical {
            column: column.into(),
            levels: levels.iter().map(|l| l.to_string()).collect(),
            reference: levels[0].into(),
        }
    }

    fn interaction(a: &str, b: &str) -> EncodedTerm {
        EncodedTerm::Interaction {
            between: [a.into(), b.into()],
        }
    }

    fn layout(encoding: &Encoding) -> Vec<(String, usize)> {
        plan(encoding)
            .into_iter()
            .map(|p| (p.term, p.columns.len()))
            .collect()
    }

    #[test]
    fn two_splines_interacting_get_every_nonlinear_row() {
        // rcs(x, 4) * rcs(z, 4): 3 + 3 + 9 columns; the product's 9 columns hold 4 where
        // both components are non-linear, 2 with only x's, 2 with only z's.
        let plan = layout(&encoding(vec![rcs("x"), rcs("z"), interaction("x", "z")]));
        let row = |t: &str| plan.iter().find(|(l, _)| l == t).map(|(_, n)| *n);
        assert_eq!(row("x (Factor+Higher Order Factors)"), Some(12));
        assert_eq!(row("All Interactions"), Some(9));
        // x's own rcs2, rcs3 and the 6 product columns whose x component is non-linear.
        assert_eq!(row("Nonlinear (Factor+Higher Order Factors)"), Some(8));
        assert_eq!(row("x * z"), Some(9));
        assert_eq!(row("Nonlinear"), Some(8));
        assert_eq!(row("Nonlinear Interaction : f(A,B) vs. AB"), Some(8));
        assert_eq!(row("f(A,B) vs. Af(B) + Bg(A)"), Some(4));
        assert_eq!(row("Nonlinear Interaction in x vs. Af(B)"), Some(6));
        assert_eq!(row("Nonlinear Interaction in z vs. Bg(A)"), Some(6));
        assert_eq!(row("TOTAL NONLINEAR"), Some(12));
        // One interaction: its own row is the total, so anova.rms prints none.
        assert_eq!(row("TOTAL INTERACTION"), None);
        assert_eq!(row("TOTAL NONLINEAR + INTERACTION"), Some(13));
        assert_eq!(plan.last(), Some(&("TOTAL".to_string(), 15)));
    }

    #[test]
    fn categories_without_interactions_get_one_row_each_and_the_total() {
        let plan = layout(&encoding(vec![
            categorical("g", &["a", "b", "c"]),
            categorical("h", &["p", "q"]),
        ]));
        assert_eq!(
            plan,
            [("g".into(), 2), ("h".into(), 1), ("TOTAL".into(), 3)]
        );
    }

    #[test]
    fn one_spline_alone_has_no_total_nonlinear_row() {
        let plan = layout(&encoding(vec![rcs("x"), categorical("g", &["a", "b"])]));
        let labels: Vec<&str> = plan.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["x", "Nonlinear", "g", "TOTAL"]);
        assert_eq!(plan[1].1, 2);
    }
}
