//! Presentation of an evaluation: the calibration and ROC plots (SVG) and the
//! self-contained HTML report. The numbers come from `recontact_scoring::metrics`;
//! nothing here computes a statistic.

pub mod html;
pub mod plots;
pub mod validation_plots;

use recontact_scoring::Model;

/// What was evaluated on what, for titles and provenance.
pub struct Context<'a> {
    /// The model file as given, or a description of the embedded default model.
    pub model_name: &'a str,
    /// The model.
    pub model: &'a Model,
    /// True when the model is the embedded demonstration model fitted on synthetic data.
    pub builtin: bool,
    /// The evaluated data's name as given (or `<stdin>`).
    pub data_name: &'a str,
    /// SHA-256 of the evaluated data's bytes.
    pub data_sha256: &'a str,
    /// Data rows read from the evaluated data.
    pub data_rows: u64,
}

impl Context<'_> {
    /// True when the data are byte for byte those the model was fitted on, so every
    /// measure is apparent (optimistic) performance rather than validation.
    pub fn is_training_data(&self) -> bool {
        self.model.provenance.input_sha256 == self.data_sha256
    }
}

/// A number with `digits` decimals; tiny or huge magnitudes in scientific notation so
/// that they never print as a misleading `0.0000`.
pub fn number(v: f64, digits: usize) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() < 1e-4 || v.abs() >= 1e6) {
        format!("{v:.3e}")
    } else {
        format!("{v:.digits$}")
    }
}

/// A p-value as statisticians print it: never an exact 0.
pub fn p_value(p: f64) -> String {
    if p < 1e-16 {
        "<1e-16".to_string()
    } else if p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}
