//! The generic logistic scoring core, as one crate.
//!
//! A scoring model is a weighted sum of encoded factors passed through the logistic
//! function. This facade gathers the crates that do the work, each with one job, under
//! the paths their users have always called:
//!
//! | layer | crate | modules here |
//! |---|---|---|
//! | reading data | `recontact-input` | [`chunks`], [`lines`], [`values`], [`progress`] |
//! | numerics | `recontact-stats` | [`distributions`] |
//! | the model | `recontact-model` | [`spec`], [`encoding`], [`data`], [`fit`], [`solver`], [`profile`], [`robust`], [`model`], [`streaming`], [`predict`], [`explain`], [`effects`], [`scorecard`], [`anova`], [`batch`], [`lever`], [`error`] |
//! | evaluation | `recontact-evaluation` | [`metrics`], [`decision_curve`], [`lowess`], [`compare`], [`validate`], [`sample_size`] |
//! | export | `recontact-export` | [`export`] |
//! | updating | `recontact-update` | [`update`] |
//!
//! Each crate may depend only on the layers above it in this table; the manifests make
//! any other import a compile error. The model crate never knows a domain.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use recontact_evaluation::{compare, decision_curve, lowess, metrics, sample_size, validate};
pub use recontact_export as export;
pub use recontact_input::{chunks, lines, progress, values};
pub use recontact_model::{
    anova, batch, data, effects, encoding, error, explain, fit, lever, model, predict, profile,
    robust, scorecard, solver, spec, streaming,
};
pub use recontact_stats::distributions;
pub use recontact_update as update;

pub use recontact_model::{
    checked_explain, checked_predict, fit_encoded, fit_releasing, fit_releasing_clustered,
    newton_step, read_dataset, read_dataset_for, reference_inputs, score_csv, sha256_hex,
    BatchError, BatchOptions, BatchReport, Bounds, CautionConfig, ClusterSummary, Clusters,
    Contribution, CovarianceType, DataError, DataProblem, Dataset, EncodedTerm, Encoding,
    Explanation, FitError, FitOptions, FittedModel, GaussianPrior, IntervalKind, InvalidRows,
    LeverConfig, LeverKind, LeverValue, Model, ModelError, ModelProblem, NotFinite, OnInvalid,
    Prediction, ProfileInterval, Scaling, Scorecard, ScorecardRow, Scorer, Spec, SpecConfig,
    SpecError, StreamedFit, TermConfig, TermInput, Transform,
};
// `explain`, `fit`, `predict` and `scorecard` are functions as well as modules: the module
// re-exports above bring both.
pub use recontact_model::fit_streaming;
