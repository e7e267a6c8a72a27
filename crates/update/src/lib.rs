//! Updating a model on new outcome data: recalibration in the large, logistic
//! recalibration, re-estimation, shrinkage toward the old weights, extension with new
//! terms, and the closed testing procedure that chooses among them (Steyerberg,
//! *Clinical Prediction Models*, ch. 20; Janssen et al., J Clin Epidemiol 2008;
//! Vergouwe et al., Stat Med 2017;36:4529).
//!
//! Only the old model file is used, never its training data: the old weights enter as
//! an offset (intercept update), a single predictor (slope update), the starting frozen
//! encoding (refit) or a prior (shrinkage).
//!
//! The default model, recalibrated in the large on 500 newer outcomes:
//!
//! ```
//! use recontact_model::{read_dataset, InvalidRows, Model};
//! use recontact_update::{update, Chosen, Method, UpdateOptions};
//!
//! let old = Model::from_json("default_model.json",
//!     include_str!("../../../data/default_model.json"))?;
//! let spec = old.spec.clone().check()?;
//! let csv = include_str!("../../../data/examples/new.csv");
//! let new = read_dataset("new.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
//! let options = UpdateOptions { method: Method::Intercept, ..UpdateOptions::default() };
//! let updated = update(&old, "sha256 of the old file", &new, None, options)?;
//! assert_eq!(updated.report.chosen, Chosen::Intercept);
//! // statsmodels 0.15: GLM(success, ones, Binomial(), offset=old logit).fit(tol=1e-14)
//! let shift = updated.report.calibration_original.intercept.estimate;
//! assert!((shift - 0.04663885106950309).abs() < 1e-9);
//! let (old_b0, new_b0) = (old.terms[0].estimate, updated.model.terms[0].estimate);
//! assert!((new_b0 - (old_b0 + shift)).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use nalgebra::DMatrix;
use serde::Serialize;
use thiserror::Error;

use recontact_evaluation::metrics::{
    weighted_calibration_in_the_large, weighted_calibration_slope, WaldEstimate,
};
use recontact_model::data::{ColumnValues, Dataset};
use recontact_model::encoding::{EncodedTerm, Encoding};
use recontact_model::error::FitError;
use recontact_model::fit::{
    estimates, fit_encoded, log_likelihood, Estimate, FitOptions, FitStatistics, FittedModel,
    GaussianPrior, Likelihoods,
};
use recontact_model::model::{Model, Parent, Provenance, DEFAULT_TOOL, SCHEMA_VERSION};
use recontact_model::spec::{Spec, SpecConfig};
use recontact_stats::distributions::chi_square_sf;

/// Which update to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Choose by the closed testing procedure.
    Auto,
    /// Recalibration in the large: logit P = a + LP_old.
    Intercept,
    /// Logistic recalibration: logit P = a + b · LP_old.
    Slope,
    /// Every coefficient re-estimated on the new data.
    Refit,
    /// Re-estimation shrunk toward the old weights by a Gaussian prior.
    Prior,
    /// Re-estimation with the terms a new spec adds.
    Extend,
}

/// The update that was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chosen {
    /// The old model, unchanged.
    Original,
    /// Recalibration in the large.
    Intercept,
    /// Logistic recalibration.
    Slope,
    /// Re-estimation.
    Refit,
    /// Shrinkage toward the old weights.
    Prior,
    /// Re-estimation with new terms.
    Extend,
}

impl Chosen {
    /// The name used in reports and provenance.
    pub fn name(self) -> &'static str {
        match self {
            Chosen::Original => "original",
            Chosen::Intercept => "intercept",
            Chosen::Slope => "slope",
            Chosen::Refit => "refit",
            Chosen::Prior => "prior",
            Chosen::Extend => "extend",
        }
    }
}

/// How strongly the prior holds the old weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PriorStrength {
    /// Precision = factor × the inverse of the old covariance (1: as much information as
    /// the old data carried; smaller: weaker).
    CovarianceFactor(f64),
    /// The same standard deviation for every coefficient.
    StandardDeviation(f64),
}

/// Settings of an update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateOptions {
    /// The update to make.
    pub method: Method,
    /// Level of the likelihood-ratio tests of the closed testing procedure.
    pub alpha: f64,
    /// The prior for [`Method::Prior`].
    pub prior: PriorStrength,
    /// Settings of every fit.
    pub fit: FitOptions,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            method: Method::Auto,
            alpha: 0.05,
            prior: PriorStrength::CovarianceFactor(1.0),
            fit: FitOptions::default(),
        }
    }
}

/// Why an update failed.
#[derive(Debug, Error)]
pub enum UpdateError {
    /// A fit on the new data failed.
    #[error("{stage}: {source}")]
    Fit {
        /// Which fit.
        stage: &'static str,
        /// Why.
        source: FitError,
    },
    /// The request cannot be carried out.
    #[error("{0}")]
    Invalid(String),
}

fn at(stage: &'static str) -> impl FnOnce(FitError) -> UpdateError {
    move |source| UpdateError::Fit { stage, source }
}

/// One likelihood-ratio test of the closed testing procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LrTest {
    /// `larger vs smaller`.
    pub comparison: String,
    /// 2 (ℓ_larger − ℓ_smaller).
    pub lr: f64,
    /// Difference in estimated parameters.
    pub df: usize,
    /// χ² upper tail of `lr`.
    pub p_value: f64,
}

/// A candidate update's log-likelihood on the new data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The update.
    pub model: &'static str,
    /// Its log-likelihood on the new data.
    pub log_likelihood: f64,
    /// Parameters it estimates from the new data.
    pub parameters: usize,
}

/// A coefficient before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The design column.
    pub term: String,
    /// In the old model.
    pub old: Option<Estimate>,
    /// In the updated model.
    pub new: Option<Estimate>,
}

/// Calibration on the new data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// Calibration-in-the-large: the intercept with the linear predictor as offset.
    pub intercept: WaldEstimate,
    /// The calibration slope.
    pub slope: WaldEstimate,
}

/// What an update did and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateReport {
    /// The update made.
    pub chosen: Chosen,
    /// The tests of the closed testing procedure (empty unless `auto`), in order.
    pub tests: Vec<LrTest>,
    /// The candidates' log-likelihoods on the new data.
    pub candidates: Vec<Candidate>,
    /// Coefficients, old and new.
    pub coefficients: Vec<Change>,
    /// The old model's calibration on the new data.
    pub calibration_original: Calibration,
    /// The updated model's calibration on the new data.
    pub calibration_updated: Calibration,
    /// Rows of new data.
    pub n: f64,
    /// Events in the new data.
    pub events: f64,
}

/// An updated model and its report.
#[derive(Debug, Clone)]
pub struct Updated {
    /// The updated model.
    pub model: Model,
    /// How it was chosen.
    pub report: UpdateReport,
}

/// A fit of `logit P = a [+ b · lp] + offset` on the new data.
fn recalibrate(
    data: &Dataset,
    offset: Vec<f64>,
    lp: Option<&[f64]>,
    options: FitOptions,
) -> Result<FittedModel, FitError> {
    let mut columns = HashMap::new();
    let mut terms = Vec::new();
    if let Some(lp) = lp {
        columns.insert("lp".to_string(), ColumnValues::Numeric(lp.to_vec()));
        terms.push(EncodedTerm::Numeric {
            column: "lp".to_string(),
            transform: recontact_model::spec::Transform::None,
        });
    }
    let recalibration = Dataset {
        source_name: data.source_name.clone(),
        rows_read: data.rows_read,
        outcome: data.outcome.clone(),
        weights: data.weights.clone(),
        offset: Some(offset),
        columns,
        dropped: data.dropped.clone(),
        sha256: data.sha256.clone(),
        level_first_lines: Default::default(),
    };
    let encoding = Encoding {
        intercept: true,
        terms,
        summaries: Default::default(),
    };
    fit_encoded(
        encoding,
        &recalibration,
        FitOptions {
            l2: 0.0,
            firth: false,
            ..options
        },
        None,
    )
}

/// The calibration intercept and slope of linear predictors `lp` on the new data, with
/// its frequency weights (as the fits of the update use them).
fn calibration(data: &Dataset, lp: &[f64]) -> Result<Calibration, UpdateError> {
    let metric = |e: recontact_evaluation::metrics::MetricsError| {
        UpdateError::Invalid(format!("calibration on the new data: {e}"))
    };
    let weights = data.weights.as_deref();
    Ok(Calibration {
        intercept: weighted_calibration_in_the_large(&data.outcome, lp, weights).map_err(metric)?,
        slope: weighted_calibration_slope(&data.outcome, lp, weights).map_err(metric)?,
    })
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    let p = rows.len();
    DMatrix::from_fn(p, p, |a, b| rows[a][b])
}

/// The encoding of an extended spec, keeping the old encoding of every term the old
/// model already had (so its levels and knots stay as they were).
fn extended_encoding(old: &Encoding, spec: &Spec, data: &Dataset) -> Result<Encoding, FitError> {
    let mut encoding = Encoding::learn(spec, data)?;
    for term in &mut encoding.terms {
        if let Some(previous) = old.terms.iter().find(|t| same_term(t, term)) {
            *term = previous.clone();
        }
    }
    Ok(encoding)
}

/// Whether two encoded terms are the same term of a spec: the same kind on the same
/// column, or interactions between the same two columns. (An interaction has no column
/// of its own: matched by kind alone, every interaction of an extended spec took the old
/// model's first one, and a second interaction became an exact copy of the first.)
fn same_term(a: &EncodedTerm, b: &EncodedTerm) -> bool {
    match (a, b) {
        (EncodedTerm::Interaction { between: x }, EncodedTerm::Interaction { between: y }) => {
            x == y
        }
        _ => {
            std::mem::discriminant(a) == std::mem::discriminant(b)
                && a.column_name() == b.column_name()
        }
    }
}

/// Updates `old` on new data (read with the old spec, or with `extension` when given).
/// `old_sha256` is the SHA-256 of the old model file, recorded as the parent.
///
/// ```
/// use recontact_model::{read_dataset, InvalidRows, Model};
/// use recontact_update::{update, Chosen, UpdateOptions};
///
/// // The default model on the very rows it was fitted on: nothing to update, the
/// // closed testing procedure keeps the original (refit vs original: LR = 0).
/// let old = Model::from_json("m.json", include_str!("../../../data/default_model.json"))?;
/// let spec = old.spec.clone().check()?;
/// let csv = include_str!("../../../data/recontact_outcomes.csv");
/// let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
/// let updated = update(&old, "parent", &data, None, UpdateOptions::default())?;
/// assert_eq!(updated.report.chosen, Chosen::Original);
/// assert!(updated.report.tests[0].lr.abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn update(
    old: &Model,
    old_sha256: &str,
    data: &Dataset,
    extension: Option<&Spec>,
    options: UpdateOptions,
) -> Result<Updated, UpdateError> {
    if data.is_empty() {
        return Err(UpdateError::Invalid("the new data have no rows".into()));
    }
    if matches!(options.method, Method::Extend) && extension.is_none() {
        return Err(UpdateError::Invalid(
            "--method extend needs the extended spec (--spec)".into(),
        ));
    }
    let context = Context::new(old, data, extension, options)?;
    let mut fits = Fits::new(&context)?;
    let (chosen, tests) = choose(&context, &mut fits)?;
    let mut parameters = updated_parameters(&context, &mut fits, chosen)?;
    let terms = new_estimates(&context, &parameters);
    let statistics = statistics(&context, parameters.statistics.take())?;
    let report = report(
        &context,
        fits.candidates,
        (chosen, tests),
        &parameters,
        &terms,
    )?;
    let model = updated_model(
        &context,
        old_sha256,
        chosen,
        parameters,
        (terms, statistics),
    );
    Ok(Updated { model, report })
}

/// What every step of an update reads: the old model, the new data and the old
/// model's linear predictor on them.
struct Context<'a> {
    old: &'a Model,
    data: &'a Dataset,
    extension: Option<&'a Spec>,
    options: UpdateOptions,
    /// The new data's own offset (zero without one).
    base: Vec<f64>,
    /// The old coefficients.
    beta_old: Vec<f64>,
    /// The old linear predictor without the offset.
    lp_old: Vec<f64>,
    /// The old linear predictor with the offset.
    eta_old: Vec<f64>,
    /// The old model's log-likelihood on the new data.
    l_original: f64,
    /// The sum of the weights and the weighted events.
    total: f64,
    events: f64,
}

impl<'a> Context<'a> {
    fn new(
        old: &'a Model,
        data: &'a Dataset,
        extension: Option<&'a Spec>,
        options: UpdateOptions,
    ) -> Result<Self, UpdateError> {
        let n = data.len();
        let y = &data.outcome;
        let w = data.weights.as_deref();
        let base: Vec<f64> = data.offset.clone().unwrap_or_else(|| vec![0.0; n]);
        let total: f64 = w.map_or(n as f64, |w| w.iter().sum());
        let events: f64 = y
            .iter()
            .enumerate()
            .map(|(i, y)| y * w.map_or(1.0, |w| w[i]))
            .sum();
        let design = old
            .encoding
            .design(data)
            .map_err(at("applying the old model to the new data"))?;
        let beta_old = old.coefficients();
        let lp_old = linear_predictor(&design, &beta_old, None);
        let eta_old: Vec<f64> = lp_old.iter().zip(&base).map(|(a, b)| a + b).collect();
        if let Some((i, value)) = eta_old.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(UpdateError::Invalid(format!(
                "data row {}: the old model's linear predictor is {value}, not a finite number: \
                 the row's values are too extreme for its coefficients",
                i + 1
            )));
        }
        let l_original = log_likelihood(y, w, &eta_old);
        Ok(Context {
            old,
            data,
            extension,
            options,
            base,
            beta_old,
            lp_old,
            eta_old,
            l_original,
            total,
            events,
        })
    }

    /// The refit: every old coefficient re-estimated on the new data.
    fn refit(&self) -> Result<FittedModel, UpdateError> {
        fit_encoded(self.old.encoding.clone(), self.data, self.options.fit, None)
            .map_err(at("re-estimation (refit)"))
    }

    /// The refit's log-likelihood, for the tests, with the refit when it exists. With
    /// separated cells the maximum is not attained but its supremum is finite; a
    /// vanishing L2 penalty reaches it to within ~1e-7 (the model itself cannot be
    /// written: see `Chosen::Refit`).
    fn refit_log_likelihood(&self) -> Result<(f64, Option<FittedModel>), UpdateError> {
        match self.refit() {
            Ok(fitted) => Ok((fitted.statistics.log_likelihood, Some(fitted))),
            Err(UpdateError::Fit {
                source: FitError::Separation { .. },
                ..
            }) => {
                let nearly = FitOptions {
                    l2: 1e-8,
                    max_iterations: 200,
                    ..self.options.fit
                };
                let fitted = fit_encoded(self.old.encoding.clone(), self.data, nearly, None)
                    .map_err(at("re-estimation (refit)"))?;
                Ok((fitted.statistics.log_likelihood, None))
            }
            Err(error) => Err(error),
        }
    }

    /// The fit of the extended spec.
    fn extend(&self, encoding: Encoding) -> Result<FittedModel, UpdateError> {
        fit_encoded(encoding, self.data, self.options.fit, None).map_err(at("extension"))
    }
}

/// Σⱼ xᵢⱼ βⱼ for every row, plus `offset[i]` when given.
fn linear_predictor(design: &DMatrix<f64>, beta: &[f64], offset: Option<&[f64]>) -> Vec<f64> {
    (0..design.nrows())
        .map(|i| {
            let lp: f64 = (0..beta.len()).map(|j| design[(i, j)] * beta[j]).sum();
            offset.map_or(lp, |offset| lp + offset[i])
        })
        .collect()
}

/// The fits an update compares and may keep.
struct Fits {
    /// Recalibration in the large.
    intercept: FittedModel,
    /// Logistic recalibration.
    slope: FittedModel,
    /// The encoding of the extended spec, when there is one.
    extension_encoding: Option<Encoding>,
    /// The candidates' log-likelihoods, in the order of the closed test.
    candidates: Vec<Candidate>,
    /// The refit, when the closed test made it.
    refitted: Option<FittedModel>,
    /// The extension, when the closed test made it.
    extended: Option<FittedModel>,
}

impl Fits {
    /// The recalibrations and the extended encoding, with the candidates every update
    /// reports.
    fn new(context: &Context) -> Result<Self, UpdateError> {
        let (data, fit) = (context.data, context.options.fit);
        let intercept = recalibrate(data, context.eta_old.clone(), None, fit)
            .map_err(at("recalibration in the large"))?;
        let slope = recalibrate(data, context.base.clone(), Some(&context.lp_old), fit)
            .map_err(at("logistic recalibration"))?;
        let extension_encoding = match context.extension {
            Some(spec) => Some(
                extended_encoding(&context.old.encoding, spec, data)
                    .map_err(at("encoding the extended spec"))?,
            ),
            None => None,
        };
        let candidates = vec![
            Candidate {
                model: "original",
                log_likelihood: context.l_original,
                parameters: 0,
            },
            Candidate {
                model: "intercept",
                log_likelihood: intercept.statistics.log_likelihood,
                parameters: 1,
            },
            Candidate {
                model: "slope",
                log_likelihood: slope.statistics.log_likelihood,
                parameters: 2,
            },
        ];
        Ok(Fits {
            intercept,
            slope,
            extension_encoding,
            candidates,
            refitted: None,
            extended: None,
        })
    }
}

/// The update the options ask for, or the one the closed testing procedure chooses
/// (with its tests) for [`Method::Auto`].
fn choose(context: &Context, fits: &mut Fits) -> Result<(Chosen, Vec<LrTest>), UpdateError> {
    let chosen = match context.options.method {
        Method::Intercept => Chosen::Intercept,
        Method::Slope => Chosen::Slope,
        Method::Refit => Chosen::Refit,
        Method::Prior => Chosen::Prior,
        Method::Extend => Chosen::Extend,
        Method::Auto => return closed_test(context, fits),
    };
    Ok((chosen, Vec::new()))
}

/// Closed testing: the refit (and the extension) join the candidates; every smaller
/// update is tested against the most extensive one, from the smallest; the first that
/// the data do not reject is chosen.
fn closed_test(context: &Context, fits: &mut Fits) -> Result<(Chosen, Vec<LrTest>), UpdateError> {
    let (log_likelihood, fitted) = context.refit_log_likelihood()?;
    fits.candidates.push(Candidate {
        model: "refit",
        log_likelihood,
        parameters: context.beta_old.len(),
    });
    fits.refitted = fitted;
    if let Some(encoding) = fits.extension_encoding.clone() {
        let fitted = context.extend(encoding)?;
        fits.candidates.push(Candidate {
            model: "extend",
            log_likelihood: fitted.statistics.log_likelihood,
            parameters: fitted.estimates.len(),
        });
        fits.extended = Some(fitted);
    }
    let candidates = &fits.candidates;
    let largest = candidates
        .last()
        .cloned()
        .ok_or_else(|| UpdateError::Invalid("no candidates".into()))?;
    let mut tests = Vec::new();
    let mut chosen = None;
    for (candidate, name) in candidates[..candidates.len() - 1].iter().zip([
        Chosen::Original,
        Chosen::Intercept,
        Chosen::Slope,
        Chosen::Refit,
    ]) {
        let df = largest.parameters.saturating_sub(candidate.parameters);
        let lr = (2.0 * (largest.log_likelihood - candidate.log_likelihood)).max(0.0);
        let p_value = if df > 0 {
            chi_square_sf(lr, df as f64)
        } else {
            1.0
        };
        tests.push(LrTest {
            comparison: format!("{} vs {}", largest.model, candidate.model),
            lr,
            df,
            p_value,
        });
        if chosen.is_none() && p_value >= context.options.alpha {
            chosen = Some(name);
        }
    }
    let fallback = if fits.extended.is_some() {
        Chosen::Extend
    } else {
        Chosen::Refit
    };
    Ok((chosen.unwrap_or(fallback), tests))
}

/// The updated model's parameters: its encoding and spec, coefficients, covariance and
/// statistics (`None` for the original model, which estimates nothing).
struct Parameters {
    encoding: Encoding,
    spec: SpecConfig,
    beta: Vec<f64>,
    covariance: DMatrix<f64>,
    statistics: Option<FitStatistics>,
}

impl Parameters {
    /// The parameters of a fit on the old spec (or `spec`).
    fn of(fitted: FittedModel, spec: SpecConfig) -> Parameters {
        Parameters {
            beta: fitted.coefficients(),
            encoding: fitted.encoding,
            spec,
            covariance: fitted.covariance,
            statistics: Some(fitted.statistics),
        }
    }
}

/// The parameters of the chosen update.
fn updated_parameters(
    context: &Context,
    fits: &mut Fits,
    chosen: Chosen,
) -> Result<Parameters, UpdateError> {
    let old = context.old;
    Ok(match chosen {
        Chosen::Original => Parameters {
            encoding: old.encoding.clone(),
            spec: old.spec.clone(),
            beta: context.beta_old.clone(),
            covariance: matrix(&old.covariance),
            statistics: None,
        },
        Chosen::Intercept => recalibrated(context, &fits.intercept)?,
        Chosen::Slope => recalibrated(context, &fits.slope)?,
        Chosen::Refit => {
            let fitted = match fits.refitted.take() {
                Some(fitted) => fitted,
                None => context.refit().map_err(|error| match error {
                    UpdateError::Fit {
                        source: separation @ FitError::Separation { .. },
                        ..
                    } => UpdateError::Invalid(format!(
                        "re-estimation is called for, but in the new data {separation}. With the \
                         model updating command, use --method prior to shrink toward the old weights"
                    )),
                    other => other,
                })?,
            };
            Parameters::of(fitted, old.spec.clone())
        }
        Chosen::Extend => {
            let fitted = match (fits.extended.take(), fits.extension_encoding.take()) {
                (Some(fitted), _) => fitted,
                (None, Some(encoding)) => context.extend(encoding)?,
                (None, None) => return Err(UpdateError::Invalid("no extended spec".into())),
            };
            let spec = context
                .extension
                .map_or_else(|| old.spec.clone(), |s| s.config().clone());
            Parameters::of(fitted, spec)
        }
        Chosen::Prior => Parameters::of(shrunk(context)?, old.spec.clone()),
    })
}

/// The old model recalibrated by `fitted` (the intercept `a`, and the slope `b` when
/// it has one): coefficients b·β_old + a e₀, and their covariance by the delta method.
fn recalibrated(context: &Context, fitted: &FittedModel) -> Result<Parameters, UpdateError> {
    let old = context.old;
    if !old.encoding.intercept {
        return Err(UpdateError::Invalid(
            "the old model has no intercept, so an intercept or slope update cannot be written in its form; use refit".into(),
        ));
    }
    let beta_old = &context.beta_old;
    let old_covariance = matrix(&old.covariance);
    let a = fitted.estimates[0].estimate;
    let b = fitted.estimates.get(1).map_or(1.0, |e| e.estimate);
    let mut beta: Vec<f64> = beta_old.iter().map(|v| b * v).collect();
    beta[0] += a;
    // Delta method, old and new estimates independent: the old covariance scaled
    // by b², plus the new (a, b) covariance carried through J = [e₀, β_old].
    let p = beta.len();
    let v = &fitted.covariance;
    let covariance = DMatrix::from_fn(p, p, |r, c| {
        let e = |i: usize| if i == 0 { 1.0 } else { 0.0 };
        let mut value = b * b * old_covariance[(r, c)] + e(r) * e(c) * v[(0, 0)];
        if v.nrows() > 1 {
            value += beta_old[r] * beta_old[c] * v[(1, 1)]
                + (e(r) * beta_old[c] + beta_old[r] * e(c)) * v[(0, 1)];
        }
        value
    });
    Ok(Parameters {
        encoding: old.encoding.clone(),
        spec: old.spec.clone(),
        beta,
        covariance,
        statistics: Some(fitted.statistics.clone()),
    })
}

/// The refit shrunk toward the old weights by the prior the options ask for.
fn shrunk(context: &Context) -> Result<FittedModel, UpdateError> {
    let old = context.old;
    let k_old = context.beta_old.len();
    let precision = match context.options.prior {
        PriorStrength::CovarianceFactor(factor) if factor > 0.0 => matrix(&old.covariance)
            .cholesky()
            .map(|c| c.inverse() * factor)
            .ok_or_else(|| UpdateError::Invalid("the old covariance is not positive definite, so it cannot give the prior's precision; use --prior-sd".into()))?,
        PriorStrength::StandardDeviation(sd) if sd > 0.0 => {
            DMatrix::identity(k_old, k_old) / (sd * sd)
        }
        _ => return Err(UpdateError::Invalid("the prior's factor or sd must be positive".into())),
    };
    let prior = GaussianPrior {
        mean: context.beta_old.clone(),
        precision,
    };
    fit_encoded(
        old.encoding.clone(),
        context.data,
        context.options.fit,
        Some(&prior),
    )
    .map_err(at("shrinkage toward the old weights"))
}

/// The update's report: the candidates and tests, both models' calibration on the new
/// data and the coefficients' changes.
fn report(
    context: &Context,
    candidates: Vec<Candidate>,
    (chosen, tests): (Chosen, Vec<LrTest>),
    parameters: &Parameters,
    terms: &[Estimate],
) -> Result<UpdateReport, UpdateError> {
    let data = context.data;
    let updated_design = parameters
        .encoding
        .design(data)
        .map_err(at("applying the updated model"))?;
    let lp_new = linear_predictor(&updated_design, &parameters.beta, Some(&context.base));
    let calibration_original = calibration(data, &context.eta_old)?;
    let calibration_updated = calibration(data, &lp_new)?;
    Ok(UpdateReport {
        chosen,
        tests,
        candidates,
        coefficients: changes(context.old, terms),
        calibration_original,
        calibration_updated,
        n: context.total,
        events: context.events,
    })
}

/// The updated coefficients with their inference at the fit's level.
fn new_estimates(context: &Context, parameters: &Parameters) -> Vec<Estimate> {
    estimates(
        &parameters.encoding.names(),
        &parameters.beta,
        &parameters.covariance,
        context.options.fit.level,
    )
}

/// Every coefficient of the updated model with its old value, then those the old model
/// had and the new one does not.
fn changes(old: &Model, new_estimates: &[Estimate]) -> Vec<Change> {
    let mut coefficients: Vec<Change> = new_estimates
        .iter()
        .map(|e| Change {
            term: e.term.clone(),
            old: old.terms.iter().find(|t| t.term == e.term).cloned(),
            new: Some(e.clone()),
        })
        .collect();
    for term in &old.terms {
        if !coefficients.iter().any(|c| c.term == term.term) {
            coefficients.push(Change {
                term: term.term.clone(),
                old: Some(term.clone()),
                new: None,
            });
        }
    }
    coefficients
}

/// The statistics of the update: the fit's, or for the original model (nothing
/// estimated) its likelihood on the new data against the intercept-only model.
fn statistics(
    context: &Context,
    statistics: Option<FitStatistics>,
) -> Result<FitStatistics, UpdateError> {
    if let Some(statistics) = statistics {
        return Ok(statistics);
    }
    let null = intercept_only(context.data, &context.base, context.options.fit)?;
    let l_original = context.l_original;
    Ok(FitStatistics::new(
        "original",
        Likelihoods {
            model: l_original,
            null,
            penalized: None,
            lr_chi2: 2.0 * (l_original - null),
        },
        (0, 0),
        (context.total, context.data.len(), context.events),
        (0, true),
    ))
}

/// The updated model file. Updates that keep the old covariance (in part: intercept and
/// slope updates add the recalibration's model covariance to it) keep its type; refits
/// have their own.
fn updated_model(
    context: &Context,
    old_sha256: &str,
    chosen: Chosen,
    parameters: Parameters,
    (terms, statistics): (Vec<Estimate>, FitStatistics),
) -> Model {
    let (old, data, options) = (context.old, context.data, context.options);
    let carried = match chosen {
        Chosen::Original | Chosen::Intercept | Chosen::Slope => {
            (old.options.covariance_type, old.cluster.clone())
        }
        _ => (options.fit.covariance_type, None),
    };
    let covariance = &parameters.covariance;
    let p = parameters.beta.len();
    Model {
        schema_version: SCHEMA_VERSION,
        spec: parameters.spec,
        encoding: parameters.encoding,
        terms,
        covariance: (0..p)
            .map(|a| (0..p).map(|b| covariance[(a, b)]).collect())
            .collect(),
        statistics,
        options: FitOptions {
            covariance_type: carried.0,
            ..options.fit
        },
        warnings: Vec::new(),
        cluster: carried.1,
        profile_intervals: None,
        provenance: Provenance {
            parent: Some(Parameters::parent(old_sha256, chosen)),
            ..Provenance::of_dataset(data, DEFAULT_TOOL, env!("CARGO_PKG_VERSION"))
        },
    }
}

impl Parameters {
    /// The parent an updated model records.
    fn parent(old_sha256: &str, chosen: Chosen) -> Parent {
        Parent {
            model_sha256: old_sha256.to_string(),
            method: chosen.name().to_string(),
        }
    }
}

fn intercept_only(data: &Dataset, offset: &[f64], options: FitOptions) -> Result<f64, UpdateError> {
    let fitted = recalibrate(data, offset.to_vec(), None, options).map_err(at("the null model"))?;
    Ok(fitted.statistics.log_likelihood)
}
