//! Presentation of an evaluation: the calibration and ROC plots (SVG, written as SVG,
//! PNG or PDF) and the self-contained HTML report. The numbers come from
//! `recontact_scoring::metrics`; nothing here computes a statistic.

pub mod figure;
pub mod html;
pub mod plots;
pub mod validation_plots;

use recontact_scoring::data::PredictionScale;
use recontact_scoring::Model;

/// Where the evaluated predictions come from.
#[derive(Clone, Copy)]
pub enum Predictor<'a> {
    /// A model applied to the data's input columns.
    Model {
        /// The model file as given, or a description of the embedded default model.
        name: &'a str,
        /// The model.
        model: &'a Model,
        /// True when the model is the embedded demonstration model fitted on synthetic data.
        builtin: bool,
    },
    /// A column of the data that already holds predictions (from any model).
    Column {
        /// The column's header name.
        column: &'a str,
        /// Whether it holds probabilities or logits.
        scale: PredictionScale,
    },
}

/// What was evaluated on what, for titles and provenance.
pub struct Context<'a> {
    /// Where the predictions come from.
    pub predictor: Predictor<'a>,
    /// The outcome column.
    pub outcome: &'a str,
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
        match self.predictor {
            Predictor::Model { model, .. } => model.provenance.input_sha256 == self.data_sha256,
            Predictor::Column { .. } => false,
        }
    }

    /// True when the predictions are the embedded demonstration model's.
    pub fn builtin(&self) -> bool {
        matches!(self.predictor, Predictor::Model { builtin: true, .. })
    }

    /// What was evaluated, as a heading says it: `Evaluation of … on …`.
    pub fn title(&self) -> String {
        match self.predictor {
            Predictor::Model { name, .. } => {
                format!("Evaluation of {name} on {}", self.data_name)
            }
            Predictor::Column { column, scale } => format!(
                "Evaluation of the {} in column {column} of {}",
                scale_name(scale),
                self.data_name
            ),
        }
    }
}

/// What a prediction column holds, in words (plural).
pub fn scale_name(scale: PredictionScale) -> &'static str {
    match scale {
        PredictionScale::Probability => "probabilities",
        PredictionScale::Logit => "logits",
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
