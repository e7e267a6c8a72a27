//! The generic logistic scoring core.
#![forbid(unsafe_code)]
