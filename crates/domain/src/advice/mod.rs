//! Advice for one person's situation, for any model: the probability with its interval,
//! why, what they can still change (the `[[lever]]` tables of the model's spec) and the
//! cautions that apply (its `[[caution]]` tables).

mod inputs;
mod words;

use serde::Serialize;
use thiserror::Error;

use recontact_model::{
    explain, predict, reference_inputs, LeverConfig, LeverKind, Model, TermInput,
};

use crate::case::Case;
pub use inputs::{
    allowed_values, case_values, csv_row_values, model_columns, model_inputs, RowError, Values,
};
pub use words::percent;
use words::{capitalise, effect_words, term_words};

/// Why advice cannot be given for a case.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AdviceError {
    /// The case has no value for a column the model reads.
    #[error("the model needs column `{column}`; give it (allowed: {allowed})")]
    MissingColumn {
        /// The column.
        column: String,
        /// Its allowed values.
        allowed: String,
    },
    /// A value was given for a column the model does not read.
    #[error("the model has no column `{column}`; its columns are {columns}")]
    UnknownColumn {
        /// The column.
        column: String,
        /// The model's columns.
        columns: String,
    },
    /// A value the model cannot take.
    #[error("`{column}` = {value:?} is not allowed by this model; allowed: {allowed}")]
    BadValue {
        /// The column.
        column: String,
        /// The value given.
        value: String,
        /// What the model allows.
        allowed: String,
    },
}

/// One term's part in the advice, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdviceContribution {
    /// The term (a column, or `a:b` for an interaction).
    pub term: String,
    /// Its contribution to the logit, relative to the reference situation.
    pub logit: f64,
    /// The same in words.
    pub words: String,
}

/// Something the person can still change or find out, with the probability with and
/// without it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lever {
    /// The lever: its spec `name`, else its column (`column=value` for a change to a
    /// value that is not `true`).
    pub lever: String,
    /// The probability when the person pulls the lever (for `find_out`, with the first
    /// value; for `wait`, acting now).
    pub p_with: f64,
    /// The probability when they do not (for `find_out`, with the last value; for
    /// `wait`, after the first wait).
    pub p_without: f64,
    /// The same in words.
    pub words: String,
}

/// The probability if the person waits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Wait {
    /// How much the wait lever's column grows (days, for the default model).
    pub days_from_now: f64,
    /// The probability then.
    pub p: f64,
}

/// Advice for one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The probability that re-contacting succeeds.
    pub p_success: f64,
    /// Its 95% interval (delta method on the logit scale).
    pub ci: [f64; 2],
    /// The logit.
    pub logit: f64,
    /// What the contributions are measured against, in words.
    pub reference: String,
    /// Each term's contribution, largest first.
    pub contributions: Vec<AdviceContribution>,
    /// What the person can still change, largest gain first (empty when the model's
    /// spec defines no levers).
    pub levers: Vec<Lever>,
    /// The probability now and after each wait of the spec's first `wait` lever.
    pub timeline: Vec<Wait>,
    /// The spec's cautions that apply.
    pub cautions: Vec<String>,
}

/// Advice for `case` from `model` (see [`advise_values`]).
///
/// ```
/// use recontact_domain::{advise, default_model, Case, ContactType, DeclineReason, PositionStatus, StageReached};
///
/// let model = default_model()?;
/// let case = Case {
///     case_id: None,
///     contact_type: ContactType::CorporateRecruiter,
///     stage_reached: StageReached::PresentedToManager,
///     decline_reason: DeclineReason::AcceptedOtherOffer,
///     days_since_decline: 20,
///     position_status: PositionStatus::Unknown,
///     same_contact: false,
///     misrepresentation: false,
///     transparent: true,
///     open_to_reinterview: true,
///     years_experience: 8.0,
/// };
/// let advice = advise(&case, &model)?;
/// assert!(advice.ci[0] < advice.p_success && advice.p_success < advice.ci[1]);
/// // Using the same contact is a lever this candidate has not pulled yet.
/// let lever = advice.levers.iter().find(|l| l.lever == "same_contact").unwrap();
/// assert!(lever.p_with > lever.p_without);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn advise(case: &Case, model: &Model) -> Result<Advice, AdviceError> {
    advise_values(&case_values(case), model)
}

/// Advice for a case given as column → value text (as in a CSV row), checked against
/// the model's own columns, levels and bounds.
///
/// ```rust
/// # use recontact_domain::{Case, ContactType, DeclineReason, PositionStatus, StageReached};
/// # let case = Case {
/// #     case_id: None,
/// #     contact_type: ContactType::CorporateRecruiter,
/// #     stage_reached: StageReached::PresentedToManager,
/// #     decline_reason: DeclineReason::AcceptedOtherOffer,
/// #     days_since_decline: 20,
/// #     position_status: PositionStatus::Unknown,
/// #     same_contact: false,
/// #     misrepresentation: false,
/// #     transparent: true,
/// #     open_to_reinterview: true,
/// #     years_experience: 8.0,
/// # };
/// use recontact_domain::{advise, advise_values, case_values, default_model, AdviceError};
/// let model = default_model()?;
/// let mut values = case_values(&case);
/// assert_eq!(advise_values(&values, &model)?, advise(&case, &model)?);
/// values.insert("contact_type".into(), "friend".into());
/// let error = advise_values(&values, &model).unwrap_err();
/// assert!(matches!(&error, AdviceError::BadValue { column, .. } if column == "contact_type"));
/// assert!(error.to_string().ends_with("allowed: agency_recruiter, corporate_recruiter, hiring_manager"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn advise_values(values: &Values, model: &Model) -> Result<Advice, AdviceError> {
    let inputs = model_inputs(values, model)?;
    let prediction = predict(model, &inputs, 0.95);
    let case = Situation {
        model,
        values,
        inputs,
    };
    let mut levers = Vec::new();
    let mut timeline = Vec::new();
    let mut cautions = Vec::new();
    for lever in &model.spec.levers {
        if !case.matches(&lever.column, &lever.when) {
            continue;
        }
        let before = levers.len();
        match lever.kind {
            LeverKind::Change => levers.extend(case.changes(lever)),
            LeverKind::FindOut => levers.extend(case.find_out(lever)),
            LeverKind::Wait => {
                let (found, waits) = case.wait(lever);
                levers.extend(found);
                if timeline.is_empty() {
                    timeline = waits;
                }
            }
        }
        if levers.len() > before {
            cautions.extend(lever.caution.clone());
        }
    }
    levers.sort_by(|a, b| (b.p_with - b.p_without).total_cmp(&(a.p_with - a.p_without)));
    for caution in &model.spec.cautions {
        let when = caution.when.iter().all(|(c, v)| case.matches(c, v));
        let above = caution
            .above
            .iter()
            .all(|(c, limit)| matches!(case.input(c), Some(TermInput::Number(x)) if x > *limit));
        if when && above {
            cautions.push(caution.words.clone());
        }
    }
    Ok(Advice {
        p_success: prediction.probability,
        ci: [prediction.ci_low, prediction.ci_high],
        logit: prediction.logit,
        reference: reference_words(model),
        contributions: case.contributions(),
        levers,
        timeline,
        cautions,
    })
}

/// One case with its model: its inputs, and the probabilities of its variants.
struct Situation<'a> {
    model: &'a Model,
    values: &'a Values,
    inputs: Vec<TermInput>,
}

impl Situation<'_> {
    /// The position of `column` among the model's main terms.
    fn position(&self, column: &str) -> Option<usize> {
        self.model
            .encoding
            .main_terms()
            .position(|t| t.column_name() == Some(column))
    }

    fn input(&self, column: &str) -> Option<TermInput> {
        self.position(column).map(|i| self.inputs[i])
    }

    /// Whether the case's value of `column` is one of `values` (any value when empty).
    fn matches(&self, column: &str, values: &[String]) -> bool {
        let Some(current) = self.input(column) else {
            return false;
        };
        values.is_empty()
            || values
                .iter()
                .any(|v| inputs::parse(self.model, column, v).ok() == Some(current))
    }

    /// The probability with `column` set to `input`.
    fn p_with(&self, column: &str, input: TermInput) -> f64 {
        let mut inputs = self.inputs.clone();
        if let Some(i) = self.position(column) {
            inputs[i] = input;
        }
        predict(self.model, &inputs, 0.95).probability
    }

    fn p_now(&self) -> f64 {
        predict(self.model, &self.inputs, 0.95).probability
    }

    /// A `change` lever: one entry per value the case does not have yet, and for a
    /// boolean already set, what dropping it would cost.
    fn changes(&self, lever: &LeverConfig) -> Vec<Lever> {
        let column = lever.column.as_str();
        let Some(current) = self.input(column) else {
            return Vec::new();
        };
        let boolean = inputs::is_boolean(self.model, column);
        let mut found = Vec::new();
        for to in &lever.to {
            let Ok(target) = inputs::parse(self.model, column, &to.value) else {
                continue;
            };
            let (p_with, p_without, status) = if target != current {
                (self.p_with(column, target), self.p_now(), "you do not yet")
            } else if let (true, TermInput::Number(x)) = (boolean, target) {
                let other = TermInput::Number(1.0 - x);
                (self.p_now(), self.p_with(column, other), "you already do")
            } else {
                continue;
            };
            let is_true = boolean && target == TermInput::Number(1.0);
            found.push(Lever {
                lever: if let Some(name) = &lever.name {
                    name.clone()
                } else if is_true {
                    column.to_string()
                } else {
                    format!("{column}={}", to.value)
                },
                p_with,
                p_without,
                words: format!(
                    "{}: {} instead of {} ({status})",
                    capitalise(&to.words),
                    percent(p_with),
                    percent(p_without)
                ),
            });
        }
        found
    }

    /// A `find_out` lever: the probability for each value.
    fn find_out(&self, lever: &LeverConfig) -> Option<Lever> {
        let column = lever.column.as_str();
        let outcomes: Vec<(f64, &str)> = lever
            .to
            .iter()
            .filter_map(|to| {
                let input = inputs::parse(self.model, column, &to.value).ok()?;
                Some((self.p_with(column, input), to.words.as_str()))
            })
            .collect();
        let (first, last) = (outcomes.first()?, outcomes.last()?);
        let parts: Vec<String> = outcomes
            .iter()
            .map(|(p, words)| format!("{} {words}", percent(*p)))
            .collect();
        Some(Lever {
            lever: lever.name.clone().unwrap_or_else(|| column.to_string()),
            p_with: first.0,
            p_without: last.0,
            words: format!(
                "{}: {}",
                capitalise(lever.words.as_deref().unwrap_or(column)),
                parts.join(", ")
            ),
        })
    }

    /// A `wait` lever: acting now against each wait, clamped to the spec's bounds.
    fn wait(&self, lever: &LeverConfig) -> (Option<Lever>, Vec<Wait>) {
        let column = lever.column.as_str();
        let Some(TermInput::Number(now)) = self.input(column) else {
            return (None, Vec::new());
        };
        let bounds = self.model.spec.bounds.get(column);
        let mut waits: Vec<(f64, f64, &str)> = lever
            .to
            .iter()
            .filter_map(|to| {
                let by: f64 = to.value.trim().parse().ok()?;
                let later = bounds
                    .and_then(|b| b.max)
                    .map_or(now + by, |m| (now + by).min(m));
                Some((
                    by,
                    self.p_with(column, TermInput::Number(later)),
                    to.words.as_str(),
                ))
            })
            .collect();
        let Some(&(_, p_first, _)) = waits.first() else {
            return (None, Vec::new());
        };
        waits.sort_by(|a, b| a.0.total_cmp(&b.0));
        let p_now = self.p_now();
        let mut parts = vec![format!("{} now", percent(p_now))];
        parts.extend(waits.iter().map(|(_, p, w)| format!("{} {w}", percent(*p))));
        let mut timeline = vec![Wait {
            days_from_now: 0.0,
            p: p_now,
        }];
        timeline.extend(waits.iter().map(|&(by, p, _)| Wait {
            days_from_now: by,
            p,
        }));
        let found = Lever {
            lever: lever.name.clone().unwrap_or_else(|| column.to_string()),
            p_with: p_now,
            p_without: p_first,
            words: format!(
                "{}: {}",
                capitalise(lever.words.as_deref().unwrap_or(column)),
                parts.join(", ")
            ),
        };
        (Some(found), timeline)
    }

    /// Each term's contribution against the reference situation, largest first.
    fn contributions(&self) -> Vec<AdviceContribution> {
        let value_of = |column: &str| self.values.get(column).cloned().unwrap_or_default();
        let mut contributions: Vec<AdviceContribution> = explain(self.model, &self.inputs)
            .contributions
            .iter()
            .map(|c| AdviceContribution {
                term: c.term.clone(),
                logit: c.logit + 0.0,
                words: format!(
                    "{}: {}",
                    capitalise(&term_words(&c.term, &value_of)),
                    effect_words(c.logit)
                ),
            })
            .collect();
        contributions.sort_by(|a, b| b.logit.abs().total_cmp(&a.logit.abs()));
        contributions
    }
}

/// The reference situation (the model's reference levels, medians and `false`), in words.
fn reference_words(model: &Model) -> String {
    let values = inputs::values_of(model, &reference_inputs(&model.encoding));
    let value_of = |column: &str| values.get(column).cloned().unwrap_or_default();
    let parts: Vec<String> = model
        .encoding
        .input_columns()
        .into_iter()
        .map(|column| term_words(column, &value_of))
        .collect();
    parts.join("; ")
}
