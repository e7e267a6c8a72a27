//! [`RowAggregates`] over rows in memory: the reference for a store's answers.

use std::collections::BTreeMap;

use nalgebra::{DMatrix, DVector};

use super::{
    DesignSums, InMemorySums, KnotCounts, NewtonSums, RowAggregates, RowsDescription, SumsDesign,
};
use crate::data::ColumnValues;
use crate::encoding::{order_statistics, Encoding};
use crate::error::FitError;
use crate::fit::{cross_product_upper, BlockSums, PerRow, Problem};
use crate::spec::Spec;
use crate::streaming::ChunkProfile;

impl InMemorySums<'_> {
    fn numeric(&self, column: &str) -> Result<&[f64], FitError> {
        match self.data.columns.get(column) {
            Some(ColumnValues::Numeric(values)) => Ok(values),
            _ => Err(FitError::ColumnNotRead {
                column: column.to_string(),
            }),
        }
    }

    fn design(&self, design: SumsDesign<'_>) -> Result<DMatrix<f64>, FitError> {
        match design {
            SumsDesign::Full(encoding) => encoding.design(self.data),
            SumsDesign::Intercept => Ok(DMatrix::from_element(self.data.len(), 1, 1.0)),
        }
    }
}

/// The upper triangle, row by row, of a p × p matrix.
fn upper(p: usize, at: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    (0..p)
        .flat_map(|a| (a..p).map(move |b| (a, b)))
        .map(|(a, b)| at(a, b))
        .collect()
}

impl RowAggregates for InMemorySums<'_> {
    type Error = FitError;

    fn describe(&mut self, _spec: &Spec) -> Result<RowsDescription, FitError> {
        let levels = self
            .data
            .columns
            .iter()
            .filter_map(|(column, values)| match values {
                ColumnValues::Levels { levels, .. } => Some((column.clone(), levels.clone())),
                ColumnValues::Numeric(_) => None,
            })
            .collect();
        Ok(RowsDescription {
            rows_read: self.data.rows_read,
            rows_used: self.data.len(),
            dropped: self.data.dropped.clone(),
            levels,
        })
    }

    fn order_statistics(
        &mut self,
        column: &str,
        ranks: &[usize],
    ) -> Result<BTreeMap<usize, f64>, FitError> {
        Ok(order_statistics(self.numeric(column)?, ranks))
    }

    fn knot_profile(
        &mut self,
        column: &str,
        candidates: &[f64],
        ends: (f64, f64),
        cap: usize,
    ) -> Result<KnotCounts, FitError> {
        let profile = ChunkProfile::of(self.numeric(column)?, candidates, ends, cap);
        Ok(KnotCounts {
            counts: profile.counts,
            second_low: profile.second_low,
            second_high: profile.second_high,
            distinct: profile.distinct,
        })
    }

    fn design_sums(&mut self, encoding: &Encoding) -> Result<DesignSums, FitError> {
        let x = encoding.design(self.data)?;
        let n = self.data.len();
        let w = self.data.weights.clone().unwrap_or_else(|| vec![1.0; n]);
        let p = x.ncols();
        let gram = cross_product_upper(&x, &w);
        let y = &self.data.outcome;
        Ok(DesignSums {
            squares: (0..p).map(|j| x.column(j).norm_squared()).collect(),
            gram_upper: upper(p, |a, b| gram[a * p + b]),
            total: w.iter().sum(),
            events: y.iter().zip(&w).map(|(y, w)| y * w).sum(),
        })
    }

    fn newton_sums(
        &mut self,
        design: SumsDesign<'_>,
        beta: &[f64],
    ) -> Result<NewtonSums, FitError> {
        let x = self.design(design)?;
        let problem = Problem {
            x: &x,
            y: &self.data.outcome,
            w: PerRow::or(self.data.weights.as_deref(), 1.0),
            offset: PerRow::or(self.data.offset.as_deref(), 0.0),
            penalty: None,
            firth: false,
        };
        let beta = DVector::from_column_slice(beta);
        let sums: BlockSums = problem.block_sums(&beta, 0..x.nrows());
        let (largest_logit, log_likelihood, gradient, information) =
            BlockSums::total(x.ncols(), &[sums]).into_parts();
        Ok(NewtonSums {
            largest_logit,
            log_likelihood,
            gradient: gradient.iter().copied().collect(),
            information_upper: upper(x.ncols(), |a, b| information[(a, b)]),
        })
    }
}
