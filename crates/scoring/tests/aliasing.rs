//! Aliasing follows R's `glm` rank rule (dqrdc2, tolerance 1e-11 of a column's norm): a
//! nearly collinear design that R and statsmodels fit is fitted, in memory and by
//! passes, and an exactly collinear one is still refused with the aliased column named.

use recontact_scoring::{
    fit, fit_streaming, read_dataset, FitError, FitOptions, FittedModel, InvalidRows, SpecConfig,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The in-memory fit and the fit by passes of `spec` on `bytes`.
fn both(
    spec: &str,
    bytes: &[u8],
) -> (Result<FittedModel, FitError>, Result<FittedModel, FitError>) {
    let spec = SpecConfig::from_toml("spec", spec)
        .unwrap()
        .check()
        .unwrap();
    let data = read_dataset("data.csv", bytes, &spec, InvalidRows::Fail).unwrap();
    let memory = fit(&spec, &data, FitOptions::default());
    let mut open = || Ok::<_, std::io::Error>(bytes);
    let streamed = fit_streaming(
        "data.csv",
        &mut open,
        &spec,
        FitOptions::default(),
        InvalidRows::Fail,
    )
    .map(|s| s.fitted);
    (memory, streamed)
}

#[track_caller]
fn close(label: &str, got: &[f64], want: &[f64], relative: f64) {
    assert_eq!(got.len(), want.len(), "{label}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= relative * w.abs(),
            "{label}[{i}]: got {g}, want {w} (relative {relative:e})"
        );
    }
}

#[test]
fn a_nearly_collinear_pair_is_fitted_as_statsmodels_fits_it() {
    // fixtures/near_collinear.csv: x2 = x1 + 3e-6·z. statsmodels 0.15.0:
    // GLM(y, add_constant([x1, x2]), Binomial()).fit(tol=1e-14, maxiter=1000).
    let spec = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x1\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x2\"\n";
    let (memory, streamed) = both(spec, &fixture("near_collinear.csv"));
    for model in [memory.unwrap(), streamed.unwrap()] {
        close(
            "coefficients",
            &model.coefficients(),
            &[
                -0.11726099148187134,
                -169328.09723815543,
                169328.38576362046,
            ],
            1e-6,
        );
        close(
            "log-likelihood",
            &[model.statistics.log_likelihood],
            &[-122.47862809031037],
            1e-10,
        );
        // The information matrix has a condition number near 1e13, so the standard
        // errors of x1 and x2 are determined to about 1e-3 only: statsmodels reports
        // 84373.07, the inverse information at its own estimate gives 84291.65.
        let errors: Vec<f64> = model.estimates.iter().map(|e| e.std_error).collect();
        close(
            "standard errors",
            &errors,
            &[0.1929692804168491, 84373.06539492613, 84373.06966409717],
            2e-3,
        );
    }
}

#[test]
fn an_rcs_basis_on_anes96_popul_is_fitted_as_statsmodels_fits_it() {
    // fixtures/anes96.csv, vote ~ rcs(popul) with the knots R's type-7 quantiles
    // .05 .275 .5 .725 .95 give: the last two basis columns keep only 1.7e-5 and 9.4e-6
    // of their norms orthogonal to the earlier ones. statsmodels 0.15.0 on Harrell's
    // basis built in numpy: GLM(vote, add_constant(basis), Binomial()).fit(tol=1e-13).
    let spec = "outcome = \"vote\"\n[[term]]\nkind = \"rcs\"\ncolumn = \"popul\"\nknots = [0, 2, 22, 86.02499999999986, 1000]\n";
    let (memory, streamed) = both(spec, &fixture("anes96.csv"));
    for model in [memory.unwrap(), streamed.unwrap()] {
        close(
            "coefficients",
            &model.coefficients(),
            &[
                0.04240943110837349,
                -0.024435552702803884,
                99.35279654981437,
                -107.37614287032352,
                7.4351574702348024,
            ],
            1e-6,
        );
        close(
            "log-likelihood",
            &[model.statistics.log_likelihood],
            &[-627.6120159741221],
            1e-10,
        );
    }
}

#[test]
fn an_exactly_collinear_pair_is_still_refused() {
    let spec = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"a\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"b\"\n";
    let mut csv = String::from("y,a,b\n");
    for i in 0..50 {
        let a = (i * 13 % 29) as f64 / 7.0 + i as f64 / 50.0;
        csv.push_str(&format!("{},{a},{}\n", (i * 7 + 3) % 5 % 2, 2.0 * a));
    }
    let (memory, streamed) = both(spec, csv.as_bytes());
    for error in [memory.unwrap_err(), streamed.unwrap_err()] {
        match &error {
            FitError::Collinear(aliases) => {
                assert_eq!(aliases.len(), 1, "{aliases:?}");
                assert_eq!(aliases[0].term, "b");
                assert_eq!(aliases[0].of, ["a"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            error.to_string().contains("`b` = combination of a"),
            "{error}"
        );
    }
}
