//! The logistic scoring model: a specification ([`SpecConfig`] → [`Spec`]), its
//! encoding of data into a design ([`Encoding`]), maximum-likelihood fitting (optionally
//! penalised or bias-reduced) with every inference statistic ([`FittedModel`]) by the
//! one Newton driver that every logistic fit of the project uses ([`solver`]), the
//! model file ([`Model`]) and the scorer that reproduces it on new rows ([`Scorer`],
//! [`score_csv`]). It knows nothing about any domain.
//!
//! From a spec and a CSV to a model file, and from the model file to scores:
//!
//! ```
//! use recontact_model::{fit, read_dataset, score_csv, BatchOptions, FitOptions, InvalidRows};
//! use recontact_model::{Model, SpecConfig};
//!
//! let spec = SpecConfig::from_toml("spec.toml", r#"
//! outcome = "success"
//! [[term]]
//! kind = "numeric"
//! column = "years_experience"
//! [[term]]
//! kind = "numeric"
//! column = "days_since_decline"
//! "#)?.check()?;
//! let csv = include_str!("../../../data/recontact_outcomes.csv");
//! let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
//! let fitted = fit(&spec, &data, FitOptions::default())?;
//! // statsmodels 0.15: Logit(success, [1, years_experience, days_since_decline])
//! //   .fit(method="newton", tol=1e-12).params, .bse
//! let want = [-0.025791571124302286, 0.02328339616696795, -0.01242907673981316];
//! let se = [0.054194587964191625, 0.005513291926248043, 0.0008008974683450622];
//! for (estimate, (b, s)) in fitted.estimates.iter().zip(want.iter().zip(se)) {
//!     assert!((estimate.estimate - b).abs() < 1e-9 && (estimate.std_error - s).abs() < 1e-9);
//! }
//!
//! // The model file, written and read back.
//! let text = Model::new(fitted, spec.config().clone(), &data).to_json();
//! let model = Model::from_json("model.json", &text)?;
//!
//! // Scoring a CSV: every input byte passes through and the scores are appended.
//! let new_rows = "case,years_experience,days_since_decline\nA,4,30\n";
//! let mut scored = Vec::new();
//! let no_rejects = None::<&mut Vec<u8>>;
//! let options = BatchOptions::default();
//! let report = score_csv("new.csv", new_rows.as_bytes(), &mut scored, no_rejects, &model,
//!     &options, &mut |_, _| {})?;
//! assert_eq!(report.scored, 1);
//! let scored = String::from_utf8(scored)?;
//! let p: f64 = scored.lines().nth(1).unwrap().split(',').nth(3).unwrap().parse()?;
//! assert!(scored.starts_with("case,years_experience,days_since_decline,p_success,logit\n"));
//! assert!((p - 0.424206117947458).abs() < 1e-9); // 1 / (1 + exp(-(b0 + 4 b1 + 30 b2)))
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
pub mod solver;
pub mod spec;
pub mod streaming;
pub mod summed;

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
