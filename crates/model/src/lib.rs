//! The logistic scoring model: a specification ([`SpecConfig`] → [`Spec`]), its
//! encoding of data into a design ([`Encoding`]), maximum-likelihood fitting (optionally
//! penalised or bias-reduced) with every inference statistic ([`FittedModel`]) by the
//! one Newton driver that every logistic fit of the project uses ([`solver`]), the
//! model file ([`Model`]) and the scorer that reproduces it on new rows ([`Scorer`],
//! [`score_csv`]). It knows nothing about any domain.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod anova;
pub mod batch;
pub mod data;
pub mod effects;
pub mod encoding;
pub mod error;
pub mod explain;
pub mod fit;
mod inference;
pub mod lever;
pub mod model;
mod model_check;
pub mod predict;
pub mod profile;
pub mod robust;
pub mod scorecard;
pub mod solver;
pub mod spec;
pub mod streaming;

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
