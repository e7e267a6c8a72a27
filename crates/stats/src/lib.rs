//! The numerical building blocks of logistic scoring: distribution functions and their
//! quantiles (normal, Student t, chi-square, F), the logistic function and its stable
//! companions, and the placement of spline knots at sample quantiles.
//!
//! Nothing here reads data or knows a model.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod distributions;
pub mod knots;
