//! The logistic scoring model: a specification ([`SpecConfig`] → [`Spec`]), its
//! encoding of data into a design ([`Encoding`]), maximum-likelihood fitting (optionally
//! penalised or bias-reduced) with every inference statistic ([`FittedModel`]), the
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
pub mod results;
pub mod robust;
pub mod scorecard;
pub mod spec;
pub mod streaming;

pub use batch::{score_csv, BatchError, BatchOptions, BatchReport, OnInvalid};
pub use data::{read_dataset, read_dataset_for, Dataset, InvalidRows};
pub use encoding::{EncodedTerm, Encoding, InputValue, TermInput};
pub use error::{
    CovarianceError, DataError, DataProblem, FitError, FitOptionsError, InputError, ModelError,
    ModelProblem, SpecError,
};
pub use explain::{
    checked_explain, checked_predict, explain, predict, reference_inputs, Contribution,
    Explanation, NotFinite, Prediction,
};
#[doc(hidden)]
pub use fit::newton_step;
pub use fit::{
    fit, fit_encoded, fit_releasing, fit_releasing_clustered, FitOptions, FitWarning, FittedModel,
    GaussianPrior,
};
pub use lever::{CautionConfig, LeverConfig, LeverKind, LeverValue};
pub use model::{sha256_hex, Model, Provenance, Scorer};
pub use profile::{IntervalKind, ProfileInterval};
pub use results::{ConfInt, Covariance, FitSummary};
pub use robust::{ClusterSummary, Clusters, CovarianceType};
pub use scorecard::{scorecard, Scaling, Scorecard, ScorecardRow};
pub use spec::{Bounds, Spec, SpecConfig, TermConfig, Transform};
pub use streaming::{fit_streaming, StreamedFit};
