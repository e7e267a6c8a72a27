//! The generic logistic scoring core, as one crate.
//!
//! A scoring model is a weighted sum of encoded factors passed through the logistic
//! function. This facade gathers the crates that do the work, each with one job, under
//! the paths their users have always called:
//!
//! | layer | crate | modules here |
//! |---|---|---|
//! | reading data | `recontact-input` | [`chunks`], [`columns`], [`lines`], [`values`], [`progress`] |
//! | numerics | `recontact-stats` | [`distributions`] |
//! | the model | `recontact-model` | [`spec`], [`encoding`], [`data`], [`fit`], [`results`], [`solver`], [`profile`], [`robust`], [`model`], [`streaming`], [`predict`], [`explain`], [`effects`], [`scorecard`], [`anova`], [`batch`], [`lever`], [`error`] |
//! | evaluation | `recontact-evaluation` | [`metrics`], [`decision_curve`], [`lowess`], [`compare`], [`validate`], [`sample_size`] |
//! | export | `recontact-export` | [`export`] |
//! | updating | `recontact-update` | [`update`] |
//!
//! Each crate may depend only on the layers above it in this table; the manifests make
//! any other import a compile error. The model crate never knows a domain.
//!
//! Load a model file, predict every row of a CSV, measure how well the predictions
//! rank the outcomes, and export the model as SQL for an engine to score with:
//!
//! ```
//! use recontact_scoring::export::sql::{to_sql, Dialect, SqlOptions};
//! use recontact_scoring::{metrics, predict::predict_source, Model};
//!
//! let model = Model::from_json("default_model.json",
//!     include_str!("../../../data/default_model.json"))?;
//! let spec = model.spec.clone().check()?;
//! let csv = include_str!("../../../data/recontact_outcomes.csv");
//! let rows = predict_source(&model, &spec, "outcomes.csv", csv.as_bytes())?;
//! let p: Vec<f64> = rows.linear_predictor.iter().map(|&lp| 1.0 / (1.0 + (-lp).exp())).collect();
//! let auc = metrics::auc(&rows.outcome, &p)?;
//! // scikit-learn 1.9: roc_auc_score(success, p_success) on `recontact score`'s output
//! assert!((auc - 0.8400090636376534).abs() < 1e-12);
//!
//! let options = SqlOptions { dialect: Dialect::Postgres, table: "cases".into(), column: "p".into() };
//! let sql = to_sql(&model, &options)?;
//! assert!(sql.contains("SELECT *,") && sql.contains("AS \"p\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use recontact_evaluation::{compare, decision_curve, lowess, metrics, sample_size, validate};
pub use recontact_export as export;
pub use recontact_input::{chunks, columns, lines, parquet, progress, values};
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
pub use recontact_model::{
    results, ConfInt, Covariance, CovarianceError, FitOptionsError, FitSummary, FitWarning,
    InputError, InputValue, Provenance,
};
// `explain`, `fit`, `predict` and `scorecard` are functions as well as modules: the module
// re-exports above bring both.
pub use recontact_model::fit_streaming;
// The batch scorer's builder and the known levels a reader of new data checks against.
pub use recontact_model::batch::BatchScorer;
pub use recontact_model::data::KnownLevels;
