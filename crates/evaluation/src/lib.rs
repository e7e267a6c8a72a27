//! How good a model's predictions are: discrimination, calibration and overall
//! accuracy with their intervals ([`metrics`]), decision curves, the comparison of two
//! models on the same rows, bootstrap and cross-validated optimism with corrected
//! calibration curves and stability ([`validate`]), and the minimum sample size for a
//! new model.
//!
//! The default model on the committed data, as `recontact evaluate` measures it:
//!
//! ```rust
//! use recontact_evaluation::decision_curve::decision_curve;
//! use recontact_evaluation::metrics::evaluate;
//! use recontact_model::{predict::predict_source, Model};
//! use recontact_stats::distributions::logistic;
//!
//! # let json = include_str!("../../../data/default_model.json");
//! # let csv = include_str!("../../../data/recontact_outcomes.csv");
//! let model = Model::from_json("default_model.json", json)?;
//! let rows = predict_source(&model, &model.spec.clone().check()?, "outcomes.csv", csv.as_bytes())?;
//! let (y, lp) = (&rows.outcome, &rows.linear_predictor);
//! let p: Vec<f64> = lp.iter().map(|&eta| logistic(eta)).collect();
//! let all = evaluate(y, &p, Some(lp), 10)?;
//! // `recontact evaluate data/recontact_outcomes.csv --format json` prints
//! // "auc": 0.8400090636376525, "auc_ci": [0.8291804626196695, 0.8508376646556355]
//! assert!((all.auc - 0.840_009_063_637_652_5).abs() < 1e-15);
//! assert!((all.auc_ci[0] - 0.829_180_462_619_669_5).abs() < 1e-15);
//! assert!((all.auc_ci[1] - 0.850_837_664_655_635_5).abs() < 1e-15);
//! // sklearn.metrics.roc_auc_score(y, statsmodels' fit of the same formula) = 0.8400090636376534
//! assert!((all.auc - 0.840_009_063_637_653_4).abs() < 1e-12);
//! // Fitted by maximum likelihood on these rows: calibrated on them, slope 1 and intercept 0.
//! assert!((all.calibration_slope.estimate - 1.0).abs() < 1e-8);
//! assert!(all.calibration_intercept.estimate.abs() < 1e-8);
//! // Acting on the model beats acting on everyone and on no one at these thresholds.
//! let curve = decision_curve(y, &p, &[0.1, 0.3, 0.5])?;
//! assert!(curve.iter().all(|row| row.net_benefit > row.net_benefit_all.max(0.0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compare;
pub mod decision_curve;
pub mod lowess;
pub mod metrics;
pub mod sample_size;
pub mod validate;
