//! How good a model's predictions are: discrimination, calibration and overall
//! accuracy with their intervals ([`metrics`]), decision curves, the comparison of two
//! models on the same rows, bootstrap and cross-validated optimism with corrected
//! calibration curves and stability ([`validate`]), and the minimum sample size for a
//! new model.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compare;
pub mod decision_curve;
pub mod lowess;
pub mod metrics;
pub mod sample_size;
pub mod validate;
