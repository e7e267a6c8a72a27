//! The model file: everything needed to score, report and trace a fit, as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::encoding::{EncodedTerm, Encoding, TermInput};
use crate::error::ModelError;
use crate::fit::{Estimate, FitOptions, FitStatistics, FittedModel};
use crate::spec::SpecConfig;
use crate::spec::Transform;
use crate::streaming::StreamedFit;

/// The newest model-file schema this build reads and the one it writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The data file's name as given (or `<stdin>`).
    pub input_file: String,
    /// SHA-256 of the data file's bytes.
    pub input_sha256: String,
    /// Data rows in the file.
    pub rows_read: u64,
    /// Rows the fit used.
    pub rows_used: usize,
    /// Rows left out by `--drop-invalid`.
    pub rows_dropped: u64,
    /// Why rows were left out, with counts.
    pub dropped_reasons: BTreeMap<String, u64>,
    /// The tool that wrote the file.
    pub tool: String,
    /// Its version.
    pub tool_version: String,
    /// The model this one updates, when it was made by `recontact update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
}

/// The model an updated model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// SHA-256 of the parent model file's bytes.
    pub model_sha256: String,
    /// The updating method that was applied.
    pub method: String,
}

/// SHA-256 of some bytes, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fitted logistic scoring model as stored on disk.
///
/// The same data, spec and options give a byte-identical file: no time stamps, fields
/// in a fixed order, numbers in their shortest round-trip form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The file format's version.
    pub schema_version: u32,
    /// The spec as given.
    pub spec: SpecConfig,
    /// The frozen encoding (levels, references, knots).
    pub encoding: Encoding,
    /// Coefficients with inference, in design-column order.
    pub terms: Vec<Estimate>,
    /// Covariance matrix of the coefficients, rows in design-column order.
    pub covariance: Vec<Vec<f64>>,
    /// Fit statistics.
    pub statistics: FitStatistics,
    /// The options of the fit.
    pub options: FitOptions,
    /// Warnings raised while fitting.
    pub warnings: Vec<String>,
    /// Where the model came from.
    pub provenance: Provenance,
}

/// The keys `recontact summary --format json` prints: `terms`, then every fit statistic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'a> {
    /// Coefficients with inference.
    pub terms: &'a [Estimate],
    /// Fit statistics, flattened beside `terms`.
    #[serde(flatten)]
    pub statistics: &'a FitStatistics,
}

impl Model {
    /// Packs a fit with its spec and data provenance.
    pub fn new(fitted: FittedModel, spec: SpecConfig, data: &Dataset) -> Model {
        let provenance = Provenance {
            input_file: data.source_name.clone(),
            input_sha256: data.sha256.clone(),
            rows_read: data.rows_read,
            rows_used: data.len(),
            rows_dropped: data.dropped.rows,
            dropped_reasons: data.dropped.reasons.clone(),
            tool: "recontact".to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            parent: None,
        };
        Model::with_provenance(fitted, spec, provenance)
    }

    /// Packs a fit made by passes over `source_name` with its spec and provenance.
    pub fn from_streamed(streamed: StreamedFit, spec: SpecConfig, source_name: &str) -> Model {
        let provenance = Provenance {
            input_file: source_name.to_string(),
            input_sha256: streamed.sha256,
            rows_read: streamed.rows_read,
            rows_used: streamed.rows_used,
            rows_dropped: streamed.dropped.rows,
            dropped_reasons: streamed.dropped.reasons,
            tool: "recontact".to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            parent: None,
        };
        Model::with_provenance(streamed.fitted, spec, provenance)
    }

    fn with_provenance(fitted: FittedModel, spec: SpecConfig, provenance: Provenance) -> Model {
        let p = fitted.covariance.nrows();
        let covariance = (0..p)
            .map(|a| (0..p).map(|b| fitted.covariance[(a, b)]).collect())
            .collect();
        Model {
            schema_version: SCHEMA_VERSION,
            spec,
            encoding: fitted.encoding,
            terms: fitted.estimates,
            covariance,
            statistics: fitted.statistics,
            options: fitted.options,
            warnings: fitted.warnings,
            provenance,
        }
    }

    /// The model as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a model file, checking its schema version and its internal consistency.
    pub fn from_json(source_name: &str, text: &str) -> Result<Model, ModelError> {
        let format = |message: String| ModelError::Format {
            source_name: source_name.to_string(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format(e.to_string()))?;
        let version = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| format("no schema_version".to_string()))?;
        if version > u64::from(SCHEMA_VERSION) {
            return Err(ModelError::NewerSchema {
                source_name: source_name.to_string(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
                supported: SCHEMA_VERSION,
            });
        }
        let model: Model = serde_json::from_value(value).map_err(|e| format(e.to_string()))?;
        model.check(source_name)?;
        Ok(model)
    }

    fn check(&self, source_name: &str) -> Result<(), ModelError> {
        let inconsistent = |message: String| ModelError::Inconsistent {
            source_name: source_name.to_string(),
            message,
        };
        let names = self.encoding.names();
        if names.len() != self.terms.len() {
            return Err(inconsistent(format!(
                "the encoding has {} design columns but {} coefficients are stored",
                names.len(),
                self.terms.len()
            )));
        }
        for (name, term) in names.iter().zip(&self.terms) {
            if name != &term.term {
                return Err(inconsistent(format!(
                    "coefficient `{}` stands where the encoding has `{name}`",
                    term.term
                )));
            }
            if !term.estimate.is_finite() {
                return Err(inconsistent(format!("coefficient `{name}` is not finite")));
            }
        }
        let p = names.len();
        if self.covariance.len() != p || self.covariance.iter().any(|row| row.len() != p) {
            return Err(inconsistent(format!(
                "the covariance matrix is not {p} × {p}"
            )));
        }
        Ok(())
    }

    /// The coefficients, in design-column order.
    pub fn coefficients(&self) -> Vec<f64> {
        self.terms.iter().map(|t| t.estimate).collect()
    }

    /// The summary a researcher reports.
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            terms: &self.terms,
            statistics: &self.statistics,
        }
    }
}

/// Scores rows with a model's coefficients, reusing its buffers between rows.
#[derive(Debug, Clone)]
pub struct Scorer<'a> {
    model: &'a Model,
    /// Whether the design is the intercept and the inputs themselves.
    linear: bool,
    coefficients: Vec<f64>,
    row: Vec<f64>,
    scratch: Vec<Vec<f64>>,
}

impl<'a> Scorer<'a> {
    /// A scorer for `model`.
    pub fn new(model: &'a Model) -> Self {
        let linear = model.encoding.terms.iter().all(|term| {
            matches!(
                term,
                EncodedTerm::Numeric {
                    transform: Transform::None,
                    ..
                } | EncodedTerm::Boolean { .. }
            )
        });
        Scorer {
            model,
            linear,
            coefficients: model.coefficients(),
            row: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The linear predictor (logit) of one row, without any offset. `inputs` holds one
    /// value per main term, in the order of [`Encoding::input_columns`].
    ///
    /// Extreme inputs can make it infinite, never NaN unless an input is NaN.
    pub fn logit(&mut self, inputs: &[TermInput]) -> f64 {
        self.model
            .encoding
            .encode(inputs, &mut self.row, &mut self.scratch);
        let sum: f64 = self
            .row
            .iter()
            .zip(&self.coefficients)
            .map(|(x, b)| x * b)
            .sum();
        if !sum.is_nan() || self.row.iter().any(|x| x.is_nan()) {
            return sum;
        }
        // Opposite infinite contributions: only the sign of the astronomically large
        // logit matters, so sum the terms scaled down by 2^-1200 where none overflows.
        const DOWN: f64 = 1.0 / (1u128 << 100) as f64;
        let scale = |v: f64| v * DOWN * DOWN * DOWN * DOWN * DOWN * DOWN;
        let scaled: f64 = self
            .row
            .iter()
            .zip(&self.coefficients)
            .map(|(x, b)| scale(*x) * scale(*b))
            .sum();
        if scaled > 0.0 {
            f64::INFINITY
        } else if scaled < 0.0 {
            f64::NEG_INFINITY
        } else {
            0.0
        }
    }

    /// The logit of a row when every term enters the design as its input value (plain
    /// numeric and boolean terms, no interactions), computed straight from the inputs;
    /// `None` for other models and for NaN, which [`Scorer::logit`] sorts out. Gives
    /// exactly what [`Scorer::logit`] gives, without filling the row for
    /// [`Scorer::contributions`].
    pub(crate) fn linear_logit(&self, inputs: &[TermInput]) -> Option<f64> {
        if !self.linear {
            return None;
        }
        let intercept = usize::from(self.model.encoding.intercept);
        let intercept_term = self.coefficients[..intercept].iter().map(|b| 1.0 * b);
        let sum: f64 = intercept_term
            .chain(inputs.iter().zip(&self.coefficients[intercept..]).map(
                |(input, b)| match input {
                    TermInput::Number(x) => x * b,
                    TermInput::Level(_) => f64::NAN,
                },
            ))
            .sum();
        (!sum.is_nan()).then_some(sum)
    }

    /// Each design column's contribution (coefficient × value) to the logit of the row
    /// last passed to [`Scorer::logit`] or [`Scorer::probability`].
    pub fn contributions(&self, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.row.iter().zip(&self.coefficients).map(|(x, b)| x * b));
    }

    /// The probability of the outcome for one row, in [0, 1] for any finite inputs.
    pub fn probability(&mut self, inputs: &[TermInput]) -> f64 {
        crate::distributions::logistic(self.logit(inputs))
    }
}
