//! The typed re-contact model.
//!
//! A job seeker declined an interview (having accepted another job) and now wants to
//! contact that employer or recruiter again. This crate holds one such attempt as a
//! typed [`Case`], reads and validates the CSV contract (`DOMAIN.md`) one row at a time
//! with [`CaseReader`], writes it back with [`CaseWriter`], summarises a file with
//! [`Summary`], and generates synthetic outcome data with [`Simulator`].
//!
//! The statistics live in `recontact-scoring`, which knows nothing about this domain.

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
pub fn default_spec() -> Result<recontact_model::SpecConfig, recontact_model::SpecError> {
    recontact_model::SpecConfig::from_toml("data/default_spec.toml", DEFAULT_SPEC_TOML)
}

/// The default model, `data/default_model.json`: the default spec fitted on the synthetic
/// `data/recontact_outcomes.csv`. Its weights are demonstration weights, not estimates
/// from real outcomes.
pub const DEFAULT_MODEL_JSON: &str = include_str!("../../../data/default_model.json");

/// The default model, parsed.
pub fn default_model() -> Result<recontact_model::Model, recontact_model::ModelError> {
    recontact_model::Model::from_json("data/default_model.json", DEFAULT_MODEL_JSON)
}
