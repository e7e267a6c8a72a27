//! A fit's results, asked for the way a statistician asks them: Wald intervals at any
//! level ([`FittedModel::conf_int`]), the covariance with its term names
//! ([`FittedModel::cov`]), probabilities of new rows ([`FittedModel::predict`]) and a
//! printable table ([`FittedModel::summary`]).
//!
//! The public fields of [`FittedModel`] stay for the code that reads them; these methods
//! are the way in. Every number comes from the stored estimates and covariance (the one
//! [`crate::FitOptions::covariance_type`] chose), so nothing is refitted.

use std::fmt;

use nalgebra::DMatrix;

use crate::encoding::InputValue;
use crate::error::{FitOptionsError, InputError};
use crate::fit::{check_level, FittedModel};
use crate::model::Scorer;
use recontact_stats::distributions::normal_quantile;

/// One coefficient's confidence interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfInt {
    /// The design column's name.
    pub term: String,
    /// The lower limit.
    pub low: f64,
    /// The upper limit.
    pub high: f64,
}

/// The covariance matrix of the coefficients with the design columns' names.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariance<'a> {
    /// The design columns' names, the matrix's rows and columns in order.
    pub terms: Vec<String>,
    /// The matrix, original scale.
    pub matrix: &'a DMatrix<f64>,
}

impl Covariance<'_> {
    /// The covariance of the coefficients of two design columns named `a` and `b`;
    /// `None` when either is not a design column.
    ///
    /// ```rust
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d", "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// let cov = fitted.cov();
    /// assert_eq!(cov.get("x", "x"), Some(cov.matrix[(1, 1)]));
    /// // statsmodels 0.15: Logit(y, add_constant(x)).fit().cov_params()
    /// let off_diagonal = cov.get("x", "intercept").unwrap();
    /// assert!((off_diagonal - -2.914_843_4).abs() < 1e-6, "{off_diagonal}");
    /// assert_eq!(cov.get("x", "z"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, a: &str, b: &str) -> Option<f64> {
        let at = |name: &str| self.terms.iter().position(|t| t == name);
        Some(self.matrix[(at(a)?, at(b)?)])
    }
}

impl FittedModel {
    /// Wald confidence intervals of every coefficient at `level` (in (0, 1)), from the
    /// stored covariance: estimate ± z · standard error. At the fit's own level they are
    /// the stored `ci_low` and `ci_high`, to the bit. Profile-likelihood intervals, when
    /// they were asked for, are in [`FittedModel::profile_intervals`].
    ///
    /// ```rust
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d", "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// // statsmodels 0.15: Logit(y, add_constant(x)).fit().conf_int(0.10)
    /// let x = &fitted.conf_int(0.90)?[1];
    /// assert_eq!(x.term, "x");
    /// assert!((x.low - -0.287_042_1).abs() < 1e-6 && (x.high - 2.715_097_3).abs() < 1e-6, "{x:?}");
    /// assert!(fitted.conf_int(1.0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn conf_int(&self, level: f64) -> Result<Vec<ConfInt>, FitOptionsError> {
        check_level(level)?;
        let quantile = normal_quantile(1.0 - (1.0 - level) / 2.0);
        Ok(self
            .estimates
            .iter()
            .enumerate()
            .map(|(j, e)| {
                let std_error = self.covariance[(j, j)].sqrt();
                ConfInt {
                    term: e.term.clone(),
                    low: e.estimate - quantile * std_error,
                    high: e.estimate + quantile * std_error,
                }
            })
            .collect())
    }

    /// The covariance matrix of the coefficients with the design columns' names.
    ///
    /// ```rust
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d", "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// let cov = fitted.cov();
    /// assert_eq!(cov.terms, ["intercept", "x"]);
    /// assert_eq!(cov.matrix.shape(), (2, 2));
    /// // statsmodels 0.15: Logit(y, add_constant(x)).fit().cov_params()
    /// assert!((cov.matrix[(1, 1)] - 0.832_812_4).abs() < 1e-6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cov(&self) -> Covariance<'_> {
        Covariance {
            terms: self.estimates.iter().map(|e| e.term.clone()).collect(),
            matrix: &self.covariance,
        }
    }

    /// The probability of the outcome for each of `rows`, each given by column name
    /// (levels by name, see [`crate::Encoding::inputs_by_name`]), without any offset:
    /// the numbers a [`Scorer`] of the packed model gives.
    ///
    /// ```rust
    /// use recontact_model::encoding::InputValue;
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d", "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// let p = fitted.predict(&[
    ///     [("x", InputValue::Number(3.5))],
    ///     [("x", InputValue::Number(6.0))],
    /// ])?;
    /// assert!((p[0] - 0.5).abs() < 1e-9);
    /// // statsmodels 0.15: Logit(y, add_constant(x)).fit().predict([[1, 6]])
    /// assert!((p[1] - 0.954_133_5).abs() < 1e-6, "{p:?}");
    /// assert!(fitted.predict(&[[("z", InputValue::Number(1.0))]]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict<'v, R>(&self, rows: &[R]) -> Result<Vec<f64>, InputError>
    where
        R: AsRef<[(&'v str, InputValue<'v>)]>,
    {
        let mut scorer = Scorer::for_fitted(self);
        rows.iter()
            .map(|row| scorer.score_named(row.as_ref()))
            .collect()
    }

    /// A table of the fit in the manner of statsmodels' `summary()`: the method, rows,
    /// events, log-likelihoods, likelihood-ratio χ², AIC and BIC, then each coefficient's
    /// estimate, standard error, z, p and interval at the fit's level. Print it with `{}`.
    ///
    /// ```rust
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d", "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// let table = fitted.summary().to_string();
    /// // statsmodels 0.15, Logit(y, add_constant(x)).fit().summary(), gives the same numbers.
    /// assert!(table.contains("Log-likelihood:                   -2.4780"), "{table}");
    /// assert!(table.contains("LLR p-value:                       0.0667"), "{table}");
    /// assert!(table.contains(
    ///     "              coef    std err          z      P>|z|      [0.025      0.975]"
    /// ), "{table}");
    /// assert!(table.contains(
    ///     "intercept    -4.2491      3.388     -1.254      0.210     -10.889       2.391"
    /// ), "{table}");
    /// assert!(table.contains(
    ///     "x             1.2140      0.913      1.330      0.183      -0.575       3.003"
    /// ), "{table}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn summary(&self) -> FitSummary<'_> {
        FitSummary { fitted: self }
    }
}

/// A fit's results table; see [`FittedModel::summary`].
#[derive(Debug, Clone, Copy)]
pub struct FitSummary<'a> {
    fitted: &'a FittedModel,
}

impl fmt::Display for FitSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fitted = self.fitted;
        let s = &fitted.statistics;
        let o = &fitted.options;
        let name_width = fitted
            .estimates
            .iter()
            .map(|e| e.term.chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        let width = name_width + 68;
        let rule =
            |f: &mut fmt::Formatter<'_>, c: char| writeln!(f, "{}", c.to_string().repeat(width));
        writeln!(f, "{:^width$}", "Logistic regression results")?;
        rule(f, '=')?;
        let left = [
            ("Method:", s.method.clone()),
            ("Covariance:", o.covariance_type.name().to_string()),
            (
                "Converged:",
                if s.converged { "yes" } else { "no" }.to_string(),
            ),
            ("Iterations:", s.iterations.to_string()),
            ("McFadden R²:", format!("{:.4}", s.mcfadden_r2)),
            ("Nagelkerke R²:", format!("{:.4}", s.nagelkerke_r2)),
        ];
        let right = [
            ("No. observations:", number(s.n)),
            ("Events:", number(s.events)),
            ("Log-likelihood:", format!("{:.4}", s.log_likelihood)),
            ("LL-null:", format!("{:.4}", s.null_log_likelihood)),
            ("LR chi²:", format!("{:.4} (df {})", s.lr_chi2, s.lr_df)),
            ("LLR p-value:", p_value(s.lr_p_value)),
            ("AIC:", format!("{:.4}", s.aic)),
            ("BIC:", format!("{:.4}", s.bic)),
        ];
        for line in 0..left.len().max(right.len()) {
            let (a, b) = left.get(line).cloned().unwrap_or_default();
            let (c, d) = right.get(line).cloned().unwrap_or_default();
            writeln!(
                f,
                "{a:<15}{b:>16}     {c:<18}{d:>width$}",
                width = width - 54
            )?;
        }
        rule(f, '=')?;
        let tail = (1.0 - o.level) / 2.0;
        writeln!(
            f,
            "{:<name_width$} {:>10} {:>10} {:>10} {:>10} {:>11} {:>11}",
            "",
            "coef",
            "std err",
            "z",
            "P>|z|",
            format!("[{}", trim(tail)),
            format!("{}]", trim(1.0 - tail)),
        )?;
        rule(f, '-')?;
        for e in &fitted.estimates {
            writeln!(
                f,
                "{:<name_width$} {:>10.4} {:>10.3} {:>10.3} {:>10.3} {:>11.3} {:>11.3}",
                e.term, e.estimate, e.std_error, e.z, e.p_value, e.ci_low, e.ci_high
            )?;
        }
        rule(f, '=')?;
        for warning in &fitted.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        Ok(())
    }
}

/// A count as a whole number, a weighted total with its decimals.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.4}")
    }
}

/// A p-value with four decimals, or in scientific notation when it is below 1e-4.
fn p_value(p: f64) -> String {
    if p >= 1e-4 || p == 0.0 {
        format!("{p:.4}")
    } else {
        format!("{p:.3e}")
    }
}

/// A tail probability without trailing zeros: 0.025, 0.975, 0.05.
fn trim(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use crate::encoding::InputValue;
    use crate::{fit, read_dataset, FitOptions, InvalidRows, Model, Scorer, SpecConfig};

    /// 60 rows of a three-level category and a number; the same rows in Python are
    /// `[(int((i*13+5) % 7 < (3 if "abc"[i%3] != "c" else 5)), "abc"[i%3], (i*7 % 11)/2)
    /// for i in range(60)]`.
    fn fitted() -> crate::FittedModel {
        let mut csv = String::from("y,g,x\n");
        for i in 0..60u32 {
            let g = ["a", "b", "c"][(i % 3) as usize];
            let limit = if g == "c" { 5 } else { 3 };
            let y = u8::from((i * 13 + 5) % 7 < limit);
            csv += &format!("{y},{g},{}\n", f64::from(i * 7 % 11) / 2.0);
        }
        let spec = "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n\
                    [[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n";
        let spec = SpecConfig::from_toml("spec", spec)
            .unwrap()
            .check()
            .unwrap();
        let data = read_dataset("rows", csv.as_bytes(), &spec, InvalidRows::Fail).unwrap();
        fit(&spec, &data, FitOptions::default()).unwrap()
    }

    #[test]
    fn intervals_and_covariance_match_statsmodels() {
        // statsmodels 0.15.0: Logit(y, X).fit(tol=1e-12) with X = [1, g=b, g=c, x];
        // .conf_int(0.10) and .cov_params()[3].
        let expected = [
            (-1.443_930_209_581_247_4, 0.693_068_843_622_009_4),
            (-1.070_390_212_412_133_2, 1.062_522_508_330_564),
            (0.368_235_200_899_543_3, 2.636_781_372_322_144_7),
            (-0.296_022_372_794_438_3, 0.273_544_051_381_078_2),
        ];
        let fitted = fitted();
        let intervals = fitted.conf_int(0.90).unwrap();
        let names: Vec<&str> = intervals.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(names, ["intercept", "g=b", "g=c", "x"]);
        for (got, (low, high)) in intervals.iter().zip(expected) {
            assert!((got.low - low).abs() < 1e-8, "{got:?}");
            assert!((got.high - high).abs() < 1e-8, "{got:?}");
        }
        let row = [
            -0.080_024_318_713_187_59,
            0.010_492_780_370_093_29,
            0.003_873_751_754_786_52,
            0.029_976_039_661_923_31,
        ];
        let cov = fitted.cov();
        for (name, want) in ["intercept", "g=b", "g=c", "x"].iter().zip(row) {
            let got = cov.get("x", name).unwrap();
            assert!((got - want).abs() < 1e-9, "{name}: {got} vs {want}");
        }
    }

    #[test]
    fn intervals_at_the_fit_level_are_the_stored_ones_to_the_bit() {
        let fitted = fitted();
        let intervals = fitted.conf_int(fitted.options.level).unwrap();
        for (interval, estimate) in intervals.iter().zip(&fitted.estimates) {
            assert_eq!(interval.low, estimate.ci_low);
            assert_eq!(interval.high, estimate.ci_high);
        }
        for level in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(fitted.conf_int(level).is_err(), "{level}");
        }
    }

    #[test]
    fn predictions_are_the_packed_model_scorer_s() {
        let fitted = fitted();
        let rows = [
            [
                ("g", InputValue::Level("c")),
                ("x", InputValue::Number(2.5)),
            ],
            [
                ("x", InputValue::Number(-1.0)),
                ("g", InputValue::Level("a")),
            ],
        ];
        let predicted = fitted.predict(&rows).unwrap();
        let provenance = crate::Provenance::in_memory("rows", 60, "test", "0");
        let config = SpecConfig::from_toml("s", "outcome = \"y\"\n").unwrap();
        let model = Model::with_provenance(fitted, config, provenance);
        let mut scorer = Scorer::new(&model);
        for (row, p) in rows.iter().zip(&predicted) {
            assert_eq!(scorer.score_named(row).unwrap(), *p);
        }
    }
}
