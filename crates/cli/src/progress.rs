//! Progress of long commands on standard error.
//!
//! Drawn only when standard error is a terminal and the command was not given `-q`:
//! piped or redirected, standard error carries only messages, and no progress byte ever
//! goes to standard output or into an output file. The library crates know nothing of
//! this: they take a callback (`recontact_scoring::progress`), and the commands pass
//! one that moves a bar.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display that may be invisible; every method is a no-op when it is.
pub struct Progress {
    bar: Option<ProgressBar>,
}

/// Redraws per second: often enough to look alive, rarely enough to cost nothing.
const REDRAWS_PER_SECOND: u8 = 4;

impl Progress {
    /// A spinner with a message, for work whose size is not known in advance.
    pub fn spinner(quiet: bool, message: &str) -> Progress {
        Progress::with(quiet, || {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(250));
            bar.set_message(message.to_string());
            bar
        })
    }

    /// A bar counting `total` units of work, described by `message`.
    pub fn counter(quiet: bool, total: u64, message: &str) -> Progress {
        Progress::with(quiet, || {
            let style = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            let bar = ProgressBar::new(total).with_style(style);
            bar.set_message(message.to_string());
            bar
        })
    }

    fn with(quiet: bool, make: impl FnOnce() -> ProgressBar) -> Progress {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = visible.then(|| {
            let bar = make();
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND));
            bar
        });
        Progress { bar }
    }

    /// Says what is being done now.
    pub fn stage(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    /// Sets how many units are done.
    pub fn set_done(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Adds `units` done units.
    pub fn advance(&self, units: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(units);
        }
    }

    /// Removes the display, so that the command's own messages start on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
