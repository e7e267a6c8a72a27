//! The numerical building blocks of logistic scoring: distribution functions and their
//! quantiles (normal and chi-square), the logistic function and its stable companions,
//! and the placement of spline knots at sample quantiles.
//!
//! Nothing here reads data or knows a model.
//!
//! A quantile and its distribution function undo each other, in both tails:
//!
//! ```rust
//! use recontact_stats::distributions::{
//!     chi_square_quantile, chi_square_sf, normal_cdf, normal_quantile,
//! };
//!
//! // scipy.stats.norm.ppf(0.9) = 1.2815515655446004
//! let z = normal_quantile(0.9);
//! assert!((z - 1.281_551_565_544_600_4).abs() < 1e-15);
//! assert!((normal_cdf(z) - 0.9).abs() < 1e-15);
//! // scipy.stats.chi2.ppf(0.99, 3) = 11.344866730144373
//! let x = chi_square_quantile(0.99, 3.0);
//! assert!((x - 11.344_866_730_144_373).abs() < 1e-12);
//! assert!((chi_square_sf(x, 3.0) - 0.01).abs() < 1e-15);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod distributions;
pub mod knots;
