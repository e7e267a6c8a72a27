//! Robust (sandwich) covariance of the coefficients: heteroskedasticity-consistent
//! (HC0, HC1) and cluster-robust, as `docs/model.md` ("Robust covariance") defines them.
//!
//! V = B M B, with B the model-based covariance (the inverse of the information the fit
//! maximised, penalty included) and M the meat: the outer products of the rows' (or the
//! clusters') score contributions. The small-sample corrections are statsmodels' defaults,
//! so that a researcher can reproduce the numbers there.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::data::{ColumnValues, Dataset};
use crate::error::{CovarianceError, FitError};

/// Which covariance of the coefficients a fit reports and every later number uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovarianceType {
    /// The inverse of the (penalised) information: the classical covariance.
    #[default]
    Model,
    /// White's sandwich without correction.
    Hc0,
    /// White's sandwich scaled by n / (n − p).
    Hc1,
    /// The cluster-robust sandwich, scaled by G/(G − 1) · (n − 1)/(n − p).
    Cluster,
}

impl CovarianceType {
    /// The name written in model files and printed by `summary`.
    pub fn name(self) -> &'static str {
        match self {
            CovarianceType::Model => "model",
            CovarianceType::Hc0 => "hc0",
            CovarianceType::Hc1 => "hc1",
            CovarianceType::Cluster => "cluster",
        }
    }

    /// Whether this is the model-based covariance (nothing to do after the fit).
    pub fn is_model(&self) -> bool {
        *self == CovarianceType::Model
    }
}

/// The cluster column of a cluster-robust covariance, as recorded in a model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSummary {
    /// The data column naming each row's cluster.
    pub column: String,
    /// Distinct clusters among the rows the fit used.
    pub clusters: usize,
}

/// Each row's cluster, for a cluster-robust covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct Clusters {
    /// The data column the clusters come from.
    pub column: String,
    /// One cluster number per row, from 0 to `count − 1`.
    pub codes: Vec<u32>,
    /// Distinct clusters.
    pub count: usize,
}

impl Clusters {
    /// The clusters of the rows of `data`, from its column `column` (read as levels: see
    /// [`crate::Spec::with_cluster_column`]). Numbered afresh so that only clusters with
    /// rows count, whatever rows were dropped.
    ///
    /// ```rust
    /// use recontact_model::error::CovarianceError;
    /// use recontact_model::{read_dataset, Clusters, FitError, InvalidRows, SpecConfig};
    /// let config = SpecConfig::from_toml(
    ///     "spec.toml",
    ///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
    /// )?;
    /// let spec = config.check()?.with_cluster_column("site")?;
    /// let csv = "y,x,site\n0,1,b\n1,2,a\n1,3,b\n";
    /// let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
    /// let clusters = Clusters::from_dataset(&data, "site")?;
    /// assert_eq!((clusters.codes.as_slice(), clusters.count), (&[0, 1, 0][..], 2));
    /// assert!(matches!(
    ///     Clusters::from_dataset(&data, "x"),
    ///     Err(FitError::Covariance(CovarianceError::ClusterColumnNotRead(_)))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dataset(data: &Dataset, column: &str) -> Result<Clusters, FitError> {
        let Some(ColumnValues::Levels { codes, .. }) = data.columns.get(column) else {
            return Err(CovarianceError::ClusterColumnNotRead(column.to_string()).into());
        };
        let mut renumbered: HashMap<u32, u32> = HashMap::new();
        let codes: Vec<u32> = codes
            .iter()
            .map(|code| {
                let next = renumbered.len() as u32;
                *renumbered.entry(*code).or_insert(next)
            })
            .collect();
        Ok(Clusters {
            column: column.to_string(),
            codes,
            count: renumbered.len(),
        })
    }
}

/// What the sandwich needs of a converged fit, on the scaled design the fit used.
pub(crate) struct SandwichInput<'a> {
    /// The scaled design, rows × p.
    pub x: &'a DMatrix<f64>,
    /// The outcomes.
    pub y: &'a [f64],
    /// The fitted probabilities.
    pub fitted: &'a [f64],
    /// The model-based covariance on the scaled design (the bread B).
    pub bread: &'a DMatrix<f64>,
}

/// The robust covariance of `kind` on the scaled design; `clusters` is needed (and
/// checked) for [`CovarianceType::Cluster`] only.
pub(crate) fn sandwich(
    kind: CovarianceType,
    input: &SandwichInput<'_>,
    clusters: Option<&Clusters>,
) -> Result<DMatrix<f64>, FitError> {
    let (n, p) = input.x.shape();
    if n <= p {
        return Err(CovarianceError::TooFewRows {
            rows: n,
            coefficients: p,
        }
        .into());
    }
    let (meat, correction) = match kind {
        CovarianceType::Model => return Ok(input.bread.clone()),
        CovarianceType::Hc0 => (row_meat(input), 1.0),
        CovarianceType::Hc1 => (row_meat(input), n as f64 / (n - p) as f64),
        CovarianceType::Cluster => {
            let clusters = clusters.ok_or(CovarianceError::NoClusters)?;
            check_clusters(clusters, n)?;
            let g = clusters.count as f64;
            let correction = g / (g - 1.0) * (n as f64 - 1.0) / (n - p) as f64;
            (cluster_meat(input, clusters), correction)
        }
    };
    Ok(input.bread * meat * input.bread * correction)
}

/// A cluster count below two has no between-cluster variation to estimate.
fn check_clusters(clusters: &Clusters, n: usize) -> Result<(), CovarianceError> {
    if clusters.codes.len() != n {
        return Err(CovarianceError::ClusterLength {
            column: clusters.column.clone(),
            values: clusters.codes.len(),
            rows: n,
        });
    }
    if clusters.count < 2 {
        return Err(CovarianceError::TooFewClusters {
            column: clusters.column.clone(),
            count: clusters.count,
        });
    }
    Ok(())
}

/// Σᵢ (yᵢ − pᵢ)² xᵢ xᵢᵀ: the rows' score outer products.
fn row_meat(input: &SandwichInput<'_>) -> DMatrix<f64> {
    let squared: Vec<f64> = input
        .y
        .iter()
        .zip(input.fitted)
        .map(|(y, p)| (y - p) * (y - p))
        .collect();
    crate::fit::weighted_cross_product(input.x, &squared)
}

/// Σ_g s_g s_gᵀ with s_g = Σ_{i∈g} (yᵢ − pᵢ) xᵢ, the clusters' score outer products.
/// Rows are added in file order, so the sums do not depend on threads.
fn cluster_meat(input: &SandwichInput<'_>, clusters: &Clusters) -> DMatrix<f64> {
    let p = input.x.ncols();
    let mut scores = DMatrix::<f64>::zeros(clusters.count, p);
    for (i, &code) in clusters.codes.iter().enumerate() {
        let residual = input.y[i] - input.fitted[i];
        for j in 0..p {
            scores[(code as usize, j)] += residual * input.x[(i, j)];
        }
    }
    scores.tr_mul(&scores)
}

/// The fitted probabilities of a scaled design at scaled coefficients, with an offset.
pub(crate) fn fitted_probabilities(
    x: &DMatrix<f64>,
    beta: &DVector<f64>,
    offset: impl Fn(usize) -> f64,
) -> Vec<f64> {
    let eta = x * beta;
    eta.iter()
        .enumerate()
        .map(|(i, e)| recontact_stats::distributions::logistic(e + offset(i)))
        .collect()
}
