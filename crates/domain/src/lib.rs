//! The typed re-contact model.
//!
//! A job seeker declined an interview (having accepted another job) and now wants to
//! contact that employer or recruiter again. This crate holds one such attempt as a
//! typed [`Case`], reads and validates the CSV contract (`DOMAIN.md`) one row at a time
//! with [`CaseReader`], writes it back with [`CaseWriter`], summarises a file with
//! [`Summary`], and generates synthetic outcome data with [`Simulator`].
//!
//! The statistics live in `recontact-model` (re-exported by `recontact-scoring`), which
//! knows nothing about this domain.
//!
//! From simulated cases to a CSV file, read back and checked, scored with the default
//! model, and advice for one of them:
//!
//! ```rust
//! use recontact_domain::{advise, case_values, default_model, model_inputs};
//! use recontact_domain::{AdviceError, CaseReader, CaseWriter, OutcomeColumn, Simulator};
//! use recontact_model::Scorer;
//!
//! // 200 synthetic cases with their outcomes: the same seed gives the same cases.
//! let simulated: Vec<_> = Simulator::new(200, 7).collect();
//! let mut writer = CaseWriter::new(Vec::new(), true)?;
//! for (case, success) in &simulated {
//!     writer.write(case, Some(*success))?;
//! }
//! let csv = writer.into_inner()?;
//!
//! // Read back, every field checked against the CSV contract: the same cases.
//! let reader = CaseReader::new("cases.csv", csv.as_slice(), OutcomeColumn::Required)?;
//! let observations = reader.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(observations.len(), 200);
//! for (observation, (case, success)) in observations.iter().zip(&simulated) {
//!     assert_eq!((&observation.case, observation.success), (case, Some(*success)));
//! }
//!
//! // Scored with the default model, `data/default_model.json`.
//! let model = default_model()?;
//! let mut scorer = Scorer::new(&model);
//! let scores = observations
//!     .iter()
//!     .map(|o| Ok(scorer.probability(&model_inputs(&case_values(&o.case), &model)?)))
//!     .collect::<Result<Vec<f64>, AdviceError>>()?;
//! assert!(scores.iter().all(|p| 0.0 < *p && *p < 1.0));
//!
//! // Advice for the first case: the same probability, its interval, what to change.
//! let advice = advise(&observations[0].case, &model)?;
//! assert!((advice.p_success - scores[0]).abs() < 1e-12);
//! assert!(advice.ci[0] < advice.p_success && advice.p_success < advice.ci[1]);
//! assert!(advice.levers.iter().all(|lever| lever.p_with >= lever.p_without));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod advice;
mod case;
mod column;
mod error;
mod levels;
mod reader;
pub mod simulate;
mod summary;
mod writer;

pub use advice::{
    advise, advise_values, allowed_values, case_values, csv_row_values, model_columns,
    model_inputs, percent, Advice, AdviceContribution, AdviceError, Lever, RowError, Values, Wait,
};
pub use case::{Case, Observation, MAX_DAYS_SINCE_DECLINE, MAX_YEARS_EXPERIENCE};
pub use column::Column;
pub use error::{Problem, ReadError, ReadErrors};
pub use levels::{ContactType, DeclineReason, Level, PositionStatus, StageReached};
pub use reader::{parse_bool, CaseReader, OutcomeColumn};
pub use simulate::{Simulator, TrueEffects, TRUE_EFFECTS};
pub use summary::{Spread, Summary};
pub use writer::CaseWriter;

/// The default model specification for re-contact data, `data/default_spec.toml`, as text.
pub const DEFAULT_SPEC_TOML: &str = include_str!("../../../data/default_spec.toml");

/// The default model specification for re-contact data, parsed.
///
/// ```rust
/// use recontact_domain::default_spec;
/// let config = default_spec()?;
/// assert_eq!(config.outcome, "success");
/// assert_eq!(config.terms.len(), 11);
/// let spec = config.check()?; // a valid spec
/// assert_eq!(spec.config().levers.len(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn default_spec() -> Result<recontact_model::SpecConfig, recontact_model::SpecError> {
    recontact_model::SpecConfig::from_toml("data/default_spec.toml", DEFAULT_SPEC_TOML)
}

/// The default model, `data/default_model.json`: the default spec fitted on the synthetic
/// `data/recontact_outcomes.csv`. Its weights are demonstration weights, not estimates
/// from real outcomes.
pub const DEFAULT_MODEL_JSON: &str = include_str!("../../../data/default_model.json");

/// The default model, parsed.
///
/// ```rust
/// use recontact_domain::{default_model, default_spec};
/// use recontact_model::{fit, read_dataset, sha256_hex, InvalidRows};
/// let model = default_model()?;
/// assert_eq!(model.spec, default_spec()?);
/// // Fitted on the shipped data: refitting the default spec there gives its coefficients.
/// let csv = include_str!("../../../data/recontact_outcomes.csv");
/// assert_eq!(model.provenance.input_sha256, sha256_hex(csv.as_bytes()));
/// let spec = default_spec()?.check()?;
/// let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let refitted = fit(&spec, &data, model.options)?;
/// for (stored, again) in model.coefficients().iter().zip(refitted.coefficients()) {
///     assert!((stored - again).abs() < 1e-9, "{stored} {again}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn default_model() -> Result<recontact_model::Model, recontact_model::ModelError> {
    recontact_model::Model::from_json("data/default_model.json", DEFAULT_MODEL_JSON)
}
