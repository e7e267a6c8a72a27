//! Progress reports of long computations, for a caller's display.
//!
//! The library draws nothing: a caller that wants a progress bar passes a callback,
//! which is called from whichever thread finished a unit of work (hence `Sync`) and in
//! no particular order. Reporting never changes a result.

/// What a long computation has finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The kind of unit counted.
    pub stage: Stage,
    /// Units of this stage finished so far.
    pub done: u64,
    /// Units of this stage in all.
    pub total: u64,
}

/// The units of work a [`Progress`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Cross-validation folds fitted and scored.
    Folds,
    /// Bootstrap resamples fitted and scored.
    Resamples,
}

/// A receiver of progress reports. Use [`ignore`] for none.
pub type Report<'a> = &'a (dyn Fn(Progress) + Sync);

/// Receives progress reports and does nothing with them.
///
/// ```
/// use recontact_input::progress::{ignore, Progress, Report, Stage};
///
/// let report: Report = &ignore;
/// report(Progress { stage: Stage::Folds, done: 1, total: 10 }); // nothing happens
/// ```
pub fn ignore(_: Progress) {}
