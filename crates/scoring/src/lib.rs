//! The generic logistic scoring core.
//!
//! A scoring model is a weighted sum of encoded factors passed through the logistic
//! function. This crate reads any binary-outcome CSV through a model specification
//! ([`SpecConfig`] → [`Spec`]), encodes it ([`Encoding`]), fits the weights by maximum
//! likelihood (optionally penalised or bias-reduced) and reports the estimates with
//! everything a researcher needs ([`FittedModel`]). It knows nothing about any domain.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anova;
pub mod batch;
mod chunks;
pub mod compare;
pub mod data;
pub mod decision_curve;
pub mod distributions;
pub mod effects;
pub mod encoding;
pub mod error;
pub mod explain;
pub mod export;
pub mod fit;
mod inference;
mod knots;
pub mod lever;
pub mod lines;
pub mod lowess;
pub mod metrics;
pub mod model;
mod model_check;
pub mod predict;
pub mod profile;
pub mod progress;
pub mod robust;
pub mod sample_size;
pub mod scorecard;
pub mod spec;
pub mod streaming;
pub mod update;
pub mod validate;
pub mod values;

pub use batch::{score_csv, BatchError, BatchOptions, BatchReport, OnInvalid};
pub use data::{read_dataset, read_dataset_for, Dataset, InvalidRows};
pub use encoding::{EncodedTerm, Encoding, TermInput};
pub use error::{DataError, DataProblem, FitError, ModelError, ModelProblem, SpecError};
pub use explain::{
    checked_explain, checked_predict, explain, predict, reference_inputs, Contribution,
    Explanation, NotFinite, Prediction,
};
pub use fit::{
    fit, fit_encoded, fit_releasing, fit_releasing_clustered, newton_step, FitOptions, FittedModel,
    GaussianPrior,
};
pub use lever::{CautionConfig, LeverConfig, LeverKind, LeverValue};
pub use model::{sha256_hex, Model, Scorer};
pub use profile::{IntervalKind, ProfileInterval};
pub use robust::{ClusterSummary, Clusters, CovarianceType};
pub use scorecard::{scorecard, Scaling, Scorecard, ScorecardRow};
pub use spec::{Bounds, Spec, SpecConfig, TermConfig, Transform};
pub use streaming::{fit_streaming, StreamedFit};
