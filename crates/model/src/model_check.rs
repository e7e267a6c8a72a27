//! The invariants of a model file, checked when it is loaded so that scoring, explaining,
//! exporting and updating can rely on them (docs/model.md, "What a model file must satisfy").

use std::collections::HashSet;

use crate::encoding::{EncodedTerm, Encoding, NumericSummary};
use crate::error::{ModelError, ModelProblem};
use crate::fit::{Estimate, FitOptions, FitStatistics};
use crate::model::Model;
use crate::profile::{IntervalKind, ProfileInterval};
use crate::robust::CovarianceType;
use crate::spec::{SpecConfig, TermConfig};

/// The largest magnitude of a coefficient, knot or summary value a model file may hold.
///
/// Coefficients are on their column's own scale, so a column measured in tiny units has
/// legitimately large coefficients (a column in units of 1e-9 gives β near 1e9); no fit
/// comes anywhere near 1e100. The limit still leaves room for the arithmetic of scoring:
/// the cube of a difference of two knots, (2e100)³, stays finite. Rows whose values are
/// extreme enough to overflow anyway are refused one by one when scored.
pub const MAX_MAGNITUDE: f64 = 1e100;

/// The largest magnitude of a covariance entry: the square of [`MAX_MAGNITUDE`].
pub const MAX_COVARIANCE: f64 = MAX_MAGNITUDE * MAX_MAGNITUDE;

impl Model {
    /// Checks every invariant the code that uses a model relies on, naming the field
    /// that breaks one (`encoding.terms[3].knots`) and what is allowed.
    /// [`Model::from_json`] calls it; call it yourself for a model built in code.
    pub fn check(&self, source_name: &str) -> Result<(), ModelError> {
        self.find_problem()
            .map_err(|(path, problem)| ModelError::Invalid {
                source_name: source_name.to_string(),
                path,
                problem,
            })
    }

    fn find_problem(&self) -> Check {
        check_encoding(&self.encoding)?;
        check_spec(&self.spec, &self.encoding)?;
        check_estimates(&self.encoding.names(), &self.terms)?;
        check_covariance(&self.covariance, self.terms.len())?;
        check_statistics(&self.statistics)?;
        check_options(&self.options)?;
        check_covariance_type(self)?;
        check_profile_intervals(self)
    }
}

/// The choice fields of `options`, checked on the JSON before it is read so that an
/// unknown name is reported with its path (absent fields read as their defaults).
pub(crate) fn check_choices(
    source_name: &str,
    value: &serde_json::Value,
) -> Result<(), ModelError> {
    let choices: [(&str, &[&str], &'static str); 2] = [
        (
            "covariance_type",
            &["model", "hc0", "hc1", "cluster"],
            "\"model\", \"hc0\", \"hc1\" or \"cluster\"",
        ),
        ("interval", &["wald", "profile"], "\"wald\" or \"profile\""),
    ];
    for (field, names, allowed) in choices {
        let Some(found) = value.get("options").and_then(|o| o.get(field)) else {
            continue;
        };
        if found.as_str().is_some_and(|name| names.contains(&name)) {
            continue;
        }
        return Err(ModelError::Invalid {
            source_name: source_name.to_string(),
            path: format!("options.{field}"),
            problem: ModelProblem::UnknownChoice {
                found: found.to_string(),
                allowed,
            },
        });
    }
    Ok(())
}

/// A cluster-robust covariance names its cluster column and at least two clusters; no
/// other covariance names one; Firth fits have the model covariance only.
fn check_covariance_type(model: &Model) -> Check {
    let kind = model.options.covariance_type;
    let inconsistent =
        |path: &str, message: String| fail(path.to_string(), ModelProblem::Inconsistent(message));
    match (&model.cluster, kind) {
        (None, CovarianceType::Cluster) => {
            return inconsistent(
                "cluster",
                "a cluster-robust covariance must name its cluster column and count".into(),
            )
        }
        (Some(_), kind) if kind != CovarianceType::Cluster => {
            return inconsistent(
                "cluster",
                format!(
                    "a cluster column is given but the covariance is {}",
                    kind.name()
                ),
            )
        }
        (Some(cluster), _) if cluster.column.is_empty() => {
            return inconsistent(
                "cluster.column",
                "the cluster column's name is empty".into(),
            )
        }
        (Some(cluster), _) if cluster.clusters < 2 => {
            return fail(
                "cluster.clusters".into(),
                ModelProblem::OutOfRange {
                    value: cluster.clusters as f64,
                    allowed: "2 or more",
                },
            )
        }
        _ => {}
    }
    if model.options.firth && !kind.is_model() {
        return inconsistent(
            "options.covariance_type",
            format!(
                "a Firth fit has the model covariance only, not {}",
                kind.name()
            ),
        );
    }
    Ok(())
}

/// Profile intervals are stored exactly when `options.interval` is `profile`: one per
/// coefficient, named as it is, each limit finite and on its side of the estimate.
fn check_profile_intervals(model: &Model) -> Check {
    let profile = model.options.interval == IntervalKind::Profile;
    let intervals = match (&model.profile_intervals, profile) {
        (None, false) => return Ok(()),
        (Some(_), false) => {
            return fail(
                "profile_intervals".into(),
                ModelProblem::Inconsistent(
                    "profile intervals are stored but options.interval is \"wald\"".into(),
                ),
            )
        }
        (None, true) => {
            return fail(
                "profile_intervals".into(),
                ModelProblem::Inconsistent(
                    "options.interval is \"profile\" but no profile intervals are stored".into(),
                ),
            )
        }
        (Some(intervals), true) => intervals,
    };
    if intervals.len() != model.terms.len() {
        return fail(
            "profile_intervals".into(),
            ModelProblem::Length {
                what: "profile intervals",
                found: intervals.len(),
                expected: model.terms.len(),
            },
        );
    }
    for (j, (interval, term)) in intervals.iter().zip(&model.terms).enumerate() {
        check_profile_interval(j, interval, term)?;
    }
    Ok(())
}

fn check_profile_interval(j: usize, interval: &ProfileInterval, term: &Estimate) -> Check {
    let at = |field: &str| format!("profile_intervals[{j}].{field}");
    if interval.term != term.term {
        return fail(
            at("term"),
            ModelProblem::Name {
                found: interval.term.clone(),
                expected: term.term.clone(),
            },
        );
    }
    if let Some(low) = interval.low {
        bounded(|| at("low"), low, MAX_MAGNITUDE)?;
        if low > term.estimate {
            return fail(
                format!("profile_intervals[{j}]"),
                ModelProblem::Unordered {
                    low_name: "low",
                    low,
                    high_name: "estimate",
                    high: term.estimate,
                },
            );
        }
    }
    if let Some(high) = interval.high {
        bounded(|| at("high"), high, MAX_MAGNITUDE)?;
        if high < term.estimate {
            return fail(
                format!("profile_intervals[{j}]"),
                ModelProblem::Unordered {
                    low_name: "estimate",
                    low: term.estimate,
                    high_name: "high",
                    high,
                },
            );
        }
    }
    Ok(())
}

/// `Ok`, or the first problem found with its field path.
type Check = Result<(), (String, ModelProblem)>;

fn fail(path: String, problem: ModelProblem) -> Check {
    Err((path, problem))
}

/// A finite value of magnitude at most `limit`.
fn bounded(path: impl FnOnce() -> String, value: f64, limit: f64) -> Check {
    if !value.is_finite() {
        return fail(path(), ModelProblem::NotFinite { value });
    }
    if value.abs() > limit {
        return fail(path(), ModelProblem::TooLarge { value, limit });
    }
    Ok(())
}

fn finite(path: impl FnOnce() -> String, value: f64) -> Check {
    bounded(path, value, f64::MAX)
}

fn in_range(
    path: impl FnOnce() -> String,
    value: f64,
    range: std::ops::RangeInclusive<f64>,
    allowed: &'static str,
) -> Check {
    if range.contains(&value) {
        return Ok(());
    }
    fail(path(), ModelProblem::OutOfRange { value, allowed })
}

fn check_encoding(encoding: &Encoding) -> Check {
    let mut columns = HashSet::new();
    for (t, term) in encoding.terms.iter().enumerate() {
        let at = |field: &str| format!("encoding.terms[{t}].{field}");
        if let Some(column) = term.column() {
            if !columns.insert(column) {
                let column = column.to_string();
                return fail(at("column"), ModelProblem::DuplicateColumn { column });
            }
        }
        check_term(encoding, term, at)?;
    }
    for (column, summary) in &encoding.summaries {
        let numeric = encoding.terms.iter().any(|t| {
            matches!(
                t,
                EncodedTerm::Numeric { .. } | EncodedTerm::Spline { .. } | EncodedTerm::Rcs { .. }
            ) && t.column() == Some(column.as_str())
        });
        let at = |field: &str| format!("encoding.summaries.{column}{field}");
        if !numeric {
            let column = column.clone();
            return fail(at(""), ModelProblem::UnknownColumn { column });
        }
        check_summary(summary, at)?;
    }
    Ok(())
}

fn check_term(encoding: &Encoding, term: &EncodedTerm, at: impl Fn(&str) -> String) -> Check {
    match term {
        EncodedTerm::Spline { knots, .. } => check_knots(knots, "spline", 1, || at("knots")),
        EncodedTerm::Rcs { knots, .. } => {
            check_knots(knots, "rcs", 3, || at("knots"))?;
            check_rcs_spacing(knots, || at("knots"))
        }
        EncodedTerm::Categorical {
            levels, reference, ..
        } => {
            let mut seen = HashSet::new();
            for (l, level) in levels.iter().enumerate() {
                if level.is_empty() {
                    return fail(at(&format!("levels[{l}]")), ModelProblem::EmptyLevel);
                }
                if !seen.insert(level) {
                    let level = level.clone();
                    return fail(
                        at(&format!("levels[{l}]")),
                        ModelProblem::DuplicateLevel { level },
                    );
                }
            }
            if !seen.contains(reference) {
                return fail(
                    at("reference"),
                    ModelProblem::UnknownReference {
                        reference: reference.clone(),
                        levels: levels.clone(),
                    },
                );
            }
            Ok(())
        }
        EncodedTerm::Interaction { between: [a, b] } => {
            for (side, column) in [a, b].into_iter().enumerate() {
                if !encoding.main_terms().any(|t| t.column() == Some(column)) {
                    let column = column.clone();
                    return fail(
                        at(&format!("between[{side}]")),
                        ModelProblem::MissingParent { column },
                    );
                }
            }
            if a == b {
                let column = a.clone();
                return fail(at("between"), ModelProblem::DuplicateColumn { column });
            }
            Ok(())
        }
        EncodedTerm::Numeric { .. } | EncodedTerm::Boolean { .. } => Ok(()),
    }
}

fn check_knots(
    knots: &[f64],
    kind: &'static str,
    needed: usize,
    path: impl Fn() -> String,
) -> Check {
    if knots.len() > crate::spec::MAX_KNOTS {
        // The same bound as a spec's.
        const _: () = assert!(crate::spec::MAX_KNOTS == 100);
        let allowed = "a knot count of at most 100";
        let value = knots.len() as f64;
        return fail(path(), ModelProblem::OutOfRange { value, allowed });
    }
    if knots.len() < needed {
        let found = knots.len();
        return fail(
            path(),
            ModelProblem::TooFewKnots {
                kind,
                found,
                needed,
            },
        );
    }
    for (j, &knot) in knots.iter().enumerate() {
        bounded(|| format!("{}[{j}]", path()), knot, MAX_MAGNITUDE)?;
    }
    if knots.windows(2).any(|w| w[0] >= w[1]) {
        let knots = knots.to_vec();
        return fail(path(), ModelProblem::KnotsNotIncreasing { knots });
    }
    Ok(())
}

/// The smallest span of an rcs term's knots: the basis divides by its square.
pub const MIN_RCS_SPAN: f64 = 1e-100;

/// The smallest gap between consecutive rcs knots, relative to their span: the basis
/// divides by the last gap, and a vanishing one makes every value overflow.
pub const MIN_RCS_RELATIVE_GAP: f64 = 1e-12;

/// Knots (already strictly increasing) spread enough for the basis to stay finite.
fn check_rcs_spacing(knots: &[f64], path: impl Fn() -> String) -> Check {
    let span = knots[knots.len() - 1] - knots[0];
    let narrow = knots
        .windows(2)
        .any(|w| w[1] - w[0] < MIN_RCS_RELATIVE_GAP * span);
    if span < MIN_RCS_SPAN || narrow {
        let knots = knots.to_vec();
        return fail(path(), ModelProblem::KnotsTooClose { knots });
    }
    Ok(())
}

fn check_summary(summary: &NumericSummary, at: impl Fn(&str) -> String) -> Check {
    let values = [
        ("min", summary.min),
        ("q25", summary.q25),
        ("median", summary.median),
        ("q75", summary.q75),
        ("max", summary.max),
    ];
    for (name, value) in values {
        bounded(|| at(&format!(".{name}")), value, MAX_MAGNITUDE)?;
    }
    for pair in values.windows(2) {
        let ((low_name, low), (high_name, high)) = (pair[0], pair[1]);
        if low > high {
            return fail(
                at(""),
                ModelProblem::Unordered {
                    low_name,
                    low,
                    high_name,
                    high,
                },
            );
        }
    }
    Ok(())
}

/// The spec passes its own check and agrees with the encoding term by term.
fn check_spec(spec: &SpecConfig, encoding: &Encoding) -> Check {
    if let Err(error) = spec.clone().check() {
        return fail("spec".into(), ModelProblem::Spec(error.to_string()));
    }
    let mismatch = |path: String, spec: String, encoding: String| {
        fail(path, ModelProblem::SpecMismatch { spec, encoding })
    };
    if spec.intercept != encoding.intercept {
        return mismatch(
            "encoding.intercept".into(),
            format!("intercept = {}", spec.intercept),
            format!("intercept = {}", encoding.intercept),
        );
    }
    if spec.terms.len() != encoding.terms.len() {
        return mismatch(
            "encoding.terms".into(),
            format!("{} terms", spec.terms.len()),
            format!("{} terms", encoding.terms.len()),
        );
    }
    for (t, (written, encoded)) in spec.terms.iter().zip(&encoding.terms).enumerate() {
        if !agree(written, encoded) {
            return mismatch(
                format!("encoding.terms[{t}]"),
                describe_config(written),
                describe_encoded(encoded),
            );
        }
    }
    Ok(())
}

/// Whether an encoded term is what its spec term asks for.
/// Whether `found` default knots can come from a spec's `k`: Hmisc's rule gives k knots,
/// fewer when the column has few distinct values or knots collapse (at least 3), and up
/// to 2k + 2 when its alternate algorithm takes 2(k − 2) or more quantiles between ends.
fn default_knot_count_fits(k: usize, found: usize) -> bool {
    (3..=2 * k + 2).contains(&found)
}

fn agree(written: &TermConfig, encoded: &EncodedTerm) -> bool {
    match (written, encoded) {
        (
            TermConfig::Numeric { column, transform },
            EncodedTerm::Numeric {
                column: c,
                transform: t,
            },
        ) => column == c && transform == t,
        (
            TermConfig::Spline { column, knots },
            EncodedTerm::Spline {
                column: c,
                knots: k,
            },
        ) => column == c && knots == k,
        (
            TermConfig::Rcs { column, knots, k },
            EncodedTerm::Rcs {
                column: c,
                knots: e,
            },
        ) => {
            column == c
                && knots.as_ref().is_none_or(|knots| knots == e)
                && k.is_none_or(|k| default_knot_count_fits(k, e.len()))
        }
        (TermConfig::Boolean { column }, EncodedTerm::Boolean { column: c }) => column == c,
        (
            TermConfig::Categorical {
                column,
                reference,
                levels: pinned,
            },
            EncodedTerm::Categorical {
                column: c,
                reference: r,
                levels,
            },
        ) => {
            // A fitted model knows the pinned levels its data had: a subset of them.
            column == c
                && reference.as_ref().is_none_or(|reference| reference == r)
                && pinned
                    .as_ref()
                    .is_none_or(|pinned| levels.iter().all(|l| pinned.contains(l)))
        }
        (TermConfig::Interaction { between }, EncodedTerm::Interaction { between: b }) => {
            between == b
        }
        _ => false,
    }
}

fn describe_config(term: &TermConfig) -> String {
    serde_json::to_string(term).unwrap_or_default()
}

fn describe_encoded(term: &EncodedTerm) -> String {
    serde_json::to_string(term).unwrap_or_default()
}

fn check_estimates(names: &[String], terms: &[Estimate]) -> Check {
    if names.len() != terms.len() {
        return fail(
            "terms".into(),
            ModelProblem::Length {
                what: "coefficients",
                found: terms.len(),
                expected: names.len(),
            },
        );
    }
    for (j, (name, term)) in names.iter().zip(terms).enumerate() {
        let at = |field: &str| format!("terms[{j}].{field}");
        if name != &term.term {
            return fail(
                at("term"),
                ModelProblem::Name {
                    found: term.term.clone(),
                    expected: name.clone(),
                },
            );
        }
        bounded(|| at("estimate"), term.estimate, MAX_MAGNITUDE)?;
        finite(|| at("std_error"), term.std_error)?;
        in_range(
            || at("std_error"),
            term.std_error,
            0.0..=f64::MAX,
            "0 or more",
        )?;
        finite(|| at("z"), term.z)?;
        in_range(|| at("p_value"), term.p_value, 0.0..=1.0, "0 to 1")?;
        finite(|| at("ci_low"), term.ci_low)?;
        finite(|| at("ci_high"), term.ci_high)?;
        if term.ci_low > term.ci_high {
            return fail(
                format!("terms[{j}]"),
                ModelProblem::Unordered {
                    low_name: "ci_low",
                    low: term.ci_low,
                    high_name: "ci_high",
                    high: term.ci_high,
                },
            );
        }
    }
    Ok(())
}

/// Square, of the coefficients' dimension, finite, with a non-negative diagonal, and
/// symmetric up to the rounding of the inversion that made it.
fn check_covariance(covariance: &[Vec<f64>], p: usize) -> Check {
    let length = |path: String, what, found| {
        let problem = ModelProblem::Length {
            what,
            found,
            expected: p,
        };
        fail(path, problem)
    };
    if covariance.len() != p {
        return length("covariance".into(), "rows", covariance.len());
    }
    for (a, row) in covariance.iter().enumerate() {
        if row.len() != p {
            return length(format!("covariance[{a}]"), "entries", row.len());
        }
        for (b, &value) in row.iter().enumerate() {
            bounded(|| format!("covariance[{a}][{b}]"), value, MAX_COVARIANCE)?;
        }
        in_range(
            || format!("covariance[{a}][{a}]"),
            row[a],
            0.0..=f64::MAX,
            "a variance, 0 or more",
        )?;
    }
    for a in 0..p {
        for b in a + 1..p {
            let (upper, lower) = (covariance[a][b], covariance[b][a]);
            let scale = (covariance[a][a] * covariance[b][b]).sqrt();
            if (upper - lower).abs() > 1e-9 * scale.max(upper.abs()) {
                return fail(
                    format!("covariance[{a}][{b}]"),
                    ModelProblem::Asymmetric {
                        row: a,
                        column: b,
                        upper,
                        lower,
                    },
                );
            }
        }
    }
    Ok(())
}

fn check_statistics(s: &FitStatistics) -> Check {
    let at = |field: &str| format!("statistics.{field}");
    let values = [
        ("log_likelihood", s.log_likelihood),
        ("null_log_likelihood", s.null_log_likelihood),
        ("lr_chi2", s.lr_chi2),
        ("aic", s.aic),
        ("bic", s.bic),
        ("mcfadden_r2", s.mcfadden_r2),
        ("nagelkerke_r2", s.nagelkerke_r2),
        ("n", s.n),
        ("events", s.events),
    ];
    for (name, value) in values {
        finite(|| at(name), value)?;
    }
    if let Some(value) = s.penalized_log_likelihood {
        finite(|| at("penalized_log_likelihood"), value)?;
    }
    in_range(|| at("lr_p_value"), s.lr_p_value, 0.0..=1.0, "0 to 1")?;
    in_range(|| at("n"), s.n, 0.0..=f64::MAX, "0 or more")?;
    in_range(|| at("events"), s.events, 0.0..=s.n, "0 to n")
}

fn check_options(options: &FitOptions) -> Check {
    let at = |field: &str| format!("options.{field}");
    if !(options.level > 0.0 && options.level < 1.0) {
        return fail(
            at("level"),
            ModelProblem::OutOfRange {
                value: options.level,
                allowed: "strictly between 0 and 1",
            },
        );
    }
    finite(|| at("l2"), options.l2)?;
    in_range(|| at("l2"), options.l2, 0.0..=f64::MAX, "0 or more")?;
    finite(|| at("tolerance"), options.tolerance)?;
    in_range(|| at("tolerance"), options.tolerance, 0.0..=1.0, "0 to 1")
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn default_value() -> Value {
        serde_json::from_str(include_str!("../../../data/default_model.json")).expect("JSON")
    }

    /// The error of loading the default model after `edit`.
    fn load_edited(edit: impl FnOnce(&mut Value)) -> ModelError {
        let mut value = default_value();
        edit(&mut value);
        Model::from_json("m.json", &value.to_string()).expect_err("the edit is refused")
    }

    /// The field path and problem of an edit that makes the model invalid.
    fn invalid(edit: impl FnOnce(&mut Value)) -> (String, ModelProblem) {
        match load_edited(edit) {
            ModelError::Invalid { path, problem, .. } => (path, problem),
            other => panic!("not an invariant error: {other}"),
        }
    }

    /// The default model with `days_since_decline` (term 4) as an rcs term.
    fn with_rcs(value: &mut Value, knots: Value) {
        value["spec"]["term"][4] = json!({"kind": "rcs", "column": "days_since_decline"});
        value["encoding"]["terms"][4] =
            json!({"kind": "rcs", "column": "days_since_decline", "knots": knots});
    }

    #[test]
    fn the_default_model_passes() {
        let text = include_str!("../../../data/default_model.json");
        let model = Model::from_json("m.json", text).expect("valid");
        assert_eq!(model.check("m.json"), Ok(()));
        let with_mark = format!("\u{feff}{text}");
        assert_eq!(Model::from_json("m.json", &with_mark), Ok(model));
    }

    #[test]
    fn rcs_knots_must_be_three_or_more_and_strictly_increasing() {
        for knots in [json!([]), json!([5.0])] {
            let (path, problem) = invalid(|v| with_rcs(v, knots.clone()));
            assert_eq!(path, "encoding.terms[4].knots");
            assert!(matches!(
                problem,
                ModelProblem::TooFewKnots { needed: 3, .. }
            ));
        }
        for knots in [json!([5.0, 5.0, 5.0]), json!([9.0, 5.0, 1.0])] {
            let (path, problem) = invalid(|v| with_rcs(v, knots.clone()));
            assert_eq!(path, "encoding.terms[4].knots");
            assert!(matches!(problem, ModelProblem::KnotsNotIncreasing { .. }));
        }
        let (path, problem) = invalid(|v| with_rcs(v, json!([0.0, 1e-300, 2e-300])));
        assert_eq!(path, "encoding.terms[4].knots");
        assert!(matches!(problem, ModelProblem::KnotsTooClose { .. }));
        let (path, _) = invalid(|v| with_rcs(v, json!([0.0, 10.0, 10.0 + 1e-12])));
        assert_eq!(path, "encoding.terms[4].knots");
        let (path, problem) = invalid(|v| with_rcs(v, json!([1.0, 2.0, 1e200])));
        assert_eq!(path, "encoding.terms[4].knots[2]");
        assert!(matches!(problem, ModelProblem::TooLarge { .. }));
    }

    #[test]
    fn categorical_levels_and_reference_are_checked() {
        let (path, problem) = invalid(|v| v["encoding"]["terms"][0]["reference"] = json!("nobody"));
        assert_eq!(path, "encoding.terms[0].reference");
        assert!(matches!(problem, ModelProblem::UnknownReference { .. }));
        let (path, problem) = invalid(|v| v["encoding"]["terms"][0]["levels"][2] = json!(""));
        assert_eq!(path, "encoding.terms[0].levels[2]");
        assert_eq!(problem, ModelProblem::EmptyLevel);
        let (path, _) = invalid(|v| {
            v["encoding"]["terms"][0]["levels"][2] = json!("corporate_recruiter");
        });
        assert_eq!(path, "encoding.terms[0].levels[2]");
    }

    #[test]
    fn coefficients_must_be_finite_and_sane_and_match_the_encoding() {
        let (path, problem) = invalid(|v| v["terms"][3]["estimate"] = json!(1.7e308));
        assert_eq!(path, "terms[3].estimate");
        assert!(matches!(problem, ModelProblem::TooLarge { limit, .. } if limit == MAX_MAGNITUDE));
        let (path, problem) = invalid(|v| {
            v["terms"].as_array_mut().expect("array").pop();
        });
        assert_eq!(path, "terms");
        assert!(matches!(
            problem,
            ModelProblem::Length {
                found: 22,
                expected: 23,
                ..
            }
        ));
        let (path, problem) = invalid(|v| v["terms"][1]["term"] = json!("other"));
        assert_eq!(path, "terms[1].term");
        assert!(problem
            .to_string()
            .contains("coefficient `other` stands where"));
        let (path, _) = invalid(|v| v["terms"][1]["p_value"] = json!(1.5));
        assert_eq!(path, "terms[1].p_value");
    }

    #[test]
    fn the_covariance_must_be_square_finite_and_symmetric() {
        let (path, _) = invalid(|v| {
            v["covariance"].as_array_mut().expect("array").pop();
        });
        assert_eq!(path, "covariance");
        let (path, _) = invalid(|v| {
            v["covariance"][2].as_array_mut().expect("array").pop();
        });
        assert_eq!(path, "covariance[2]");
        let (path, problem) = invalid(|v| v["covariance"][0][1] = json!(1.0));
        assert_eq!(path, "covariance[0][1]");
        assert!(matches!(
            problem,
            ModelProblem::Asymmetric {
                row: 0,
                column: 1,
                ..
            }
        ));
        let (path, _) = invalid(|v| v["covariance"][1][1] = json!(-1.0));
        assert_eq!(path, "covariance[1][1]");
    }

    #[test]
    fn the_spec_and_the_encoding_must_agree() {
        // Without the lever on `same_contact`, which the spec's own check would refuse first.
        let (path, problem) = invalid(|v| {
            v["spec"].as_object_mut().expect("object").remove("lever");
            v["spec"]["term"][6]["column"] = json!("transparent2");
        });
        assert_eq!(path, "encoding.terms[6]");
        assert!(matches!(problem, ModelProblem::SpecMismatch { .. }));
        let (path, _) = invalid(|v| v["spec"]["term"][4]["transform"] = json!("none"));
        assert_eq!(path, "encoding.terms[4]");
        let (path, _) = invalid(|v| v["encoding"]["intercept"] = json!(false));
        assert_eq!(path, "encoding.intercept");
        let (path, problem) = invalid(|v| v["spec"]["term"][0]["column"] = json!("success"));
        assert_eq!(path, "spec");
        assert!(problem.to_string().contains("is the outcome"), "{problem}");
    }

    #[test]
    fn interactions_need_both_terms() {
        let (path, problem) = invalid(|v| {
            v["encoding"]["terms"][2]["between"][1] = json!("missing");
        });
        assert_eq!(path, "encoding.terms[2].between[1]");
        assert_eq!(
            problem,
            ModelProblem::MissingParent {
                column: "missing".into()
            }
        );
    }

    #[test]
    fn summaries_statistics_and_options_are_checked() {
        let (path, problem) = invalid(|v| {
            v["encoding"]["summaries"]["days_since_decline"]["q25"] = json!(1e9);
        });
        assert_eq!(path, "encoding.summaries.days_since_decline");
        assert!(matches!(
            problem,
            ModelProblem::Unordered {
                low_name: "q25",
                ..
            }
        ));
        let (path, _) = invalid(|v| {
            let summary = v["encoding"]["summaries"]["days_since_decline"].clone();
            v["encoding"]["summaries"]["same_contact"] = summary;
        });
        assert_eq!(path, "encoding.summaries.same_contact");
        let (path, _) = invalid(|v| v["statistics"]["lr_p_value"] = json!(-0.5));
        assert_eq!(path, "statistics.lr_p_value");
        let (path, _) = invalid(|v| v["options"]["level"] = json!(1.0));
        assert_eq!(path, "options.level");
        let (path, _) = invalid(|v| v["terms"][0]["ci_low"] = json!(1e9));
        assert_eq!(path, "terms[0]");
    }

    #[test]
    fn the_schema_version_is_an_integer_one() {
        let cases = [
            (
                json!("1"),
                "schema_version must be an integer, found the string \"1\"",
            ),
            (
                json!(1.0),
                "schema_version must be an integer, found the number 1.0",
            ),
            (json!(true), "found the boolean true"),
            (
                json!(2),
                "model schema version 2 is newer than this tool reads (1)",
            ),
            (json!(0), "model schema version 0 is not supported"),
            (json!(-3), "model schema version -3 is not supported"),
        ];
        for (version, expected) in cases {
            let error = load_edited(|v| v["schema_version"] = version.clone());
            assert!(error.to_string().contains(expected), "{error}");
        }
        let error = load_edited(|v| {
            v.as_object_mut().expect("object").remove("schema_version");
        });
        assert_eq!(
            error.to_string(),
            "m.json: no schema_version: expected the integer 1"
        );
    }

    #[test]
    fn the_covariance_type_and_interval_kind_are_named_choices() {
        let (path, problem) = invalid(|v| v["options"]["covariance_type"] = json!("hc9"));
        assert_eq!(path, "options.covariance_type");
        assert!(problem
            .to_string()
            .contains("\"hc9\" is not a known value; allowed: \"model\", \"hc0\""));
        let (path, _) = invalid(|v| v["options"]["interval"] = json!(3));
        assert_eq!(path, "options.interval");
        // A file written before the fields existed reads as the model covariance with
        // Wald intervals.
        let mut value = default_value();
        let options = value["options"].as_object_mut().expect("object");
        options.remove("covariance_type");
        options.remove("interval");
        let model = Model::from_json("old.json", &value.to_string()).expect("loads");
        assert_eq!(model.options.covariance_type, CovarianceType::Model);
        assert_eq!(model.options.interval, IntervalKind::Wald);
    }

    #[test]
    fn a_cluster_covariance_names_its_clusters_and_no_other_does() {
        let (path, _) = invalid(|v| v["options"]["covariance_type"] = json!("cluster"));
        assert_eq!(path, "cluster");
        let (path, _) = invalid(|v| v["cluster"] = json!({"column": "office", "clusters": 4}));
        assert_eq!(path, "cluster");
        let (path, problem) = invalid(|v| {
            v["options"]["covariance_type"] = json!("cluster");
            v["cluster"] = json!({"column": "office", "clusters": 1});
        });
        assert_eq!(path, "cluster.clusters");
        assert!(matches!(problem, ModelProblem::OutOfRange { .. }));
        let (path, _) = invalid(|v| {
            v["options"]["covariance_type"] = json!("hc0");
            v["options"]["firth"] = json!(true);
        });
        assert_eq!(path, "options.covariance_type");
    }

    #[test]
    fn profile_intervals_are_stored_exactly_for_profile_fits_one_per_term() {
        let (path, _) = invalid(|v| v["options"]["interval"] = json!("profile"));
        assert_eq!(path, "profile_intervals");
        let intervals = |v: &Value| {
            let terms = v["terms"].as_array().expect("terms").clone();
            terms
                .iter()
                .map(|t| {
                    json!({"term": t["term"], "low": t["ci_low"], "high": null,
                                "notes": ["upper limit unbounded: test"]})
                })
                .collect::<Vec<_>>()
        };
        let (path, _) = invalid(|v| v["profile_intervals"] = json!(intervals(v)));
        assert_eq!(path, "profile_intervals");
        let mut value = default_value();
        value["options"]["interval"] = json!("profile");
        value["profile_intervals"] = json!(intervals(&value));
        let model = Model::from_json("p.json", &value.to_string()).expect("unbounded sides load");
        assert_eq!(model.profile_intervals.expect("stored")[0].high, None);
        let (path, problem) = invalid(|v| {
            v["options"]["interval"] = json!("profile");
            let mut stored = intervals(v);
            stored[1]["low"] = json!(1e9);
            v["profile_intervals"] = json!(stored);
        });
        assert_eq!(path, "profile_intervals[1]");
        assert!(matches!(problem, ModelProblem::Unordered { .. }));
        let (path, _) = invalid(|v| {
            v["options"]["interval"] = json!("profile");
            let mut stored = intervals(v);
            stored.pop();
            v["profile_intervals"] = json!(stored);
        });
        assert_eq!(path, "profile_intervals");
    }

    #[test]
    fn a_model_built_in_code_is_checked_too() {
        let text = include_str!("../../../data/default_model.json");
        let mut model = Model::from_json("m.json", text).expect("valid");
        model.terms[0].estimate = f64::NAN;
        let error = model.check("built").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("built: invalid model: terms[0].estimate: NaN is not a finite number"),
            "{error}"
        );
    }
}
