//! Robust covariances and profile-likelihood intervals checked against independent
//! references on the Spector & Mazzeo data (`fixtures/spector.csv`, see its SOURCE file).
//!
//! The cluster labels are made up for the test: row i (from 0, in file order) belongs to
//! school `s{i mod 5}`, written as a column `school` beside the fixture's columns.
//! References: statsmodels 0.15.0 (Python 3.11) for the covariances; for the profile
//! intervals, scipy 1.17 `optimize.brentq(xtol=1e-12)` on 2·(ℓ_max − ℓ_profile(t)) − χ²₁(0.95),
//! with ℓ_profile maximised by `optimize.minimize` (BFGS, then Nelder–Mead with
//! xatol=1e-12, fatol=1e-14) over the other coefficients — for Firth of
//! ℓ(β) + ½ log det XᵀW(β)X, logistf's penalised profile likelihood.

use recontact_scoring::{
    fit, fit_releasing_clustered, read_dataset, Clusters, CovarianceType, FitError, FitOptions,
    FittedModel, IntervalKind, InvalidRows, SpecConfig,
};

const SPEC: &str = "outcome = \"grade\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"tuce\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"psi\"\n";

/// The fixture with its made-up `school` column.
fn spector_with_schools() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spector.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{},school\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        out += &format!("{line},s{}\n", i % 5);
    }
    out
}

fn fit_spector(options: FitOptions, cluster: Option<&str>) -> Result<FittedModel, FitError> {
    let spec = SpecConfig::from_toml("spec", SPEC)
        .unwrap()
        .check()
        .unwrap();
    let spec = match cluster {
        Some(column) => spec.with_cluster_column(column).unwrap(),
        None => spec,
    };
    let text = spector_with_schools();
    let mut data = read_dataset("spector.csv", text.as_bytes(), &spec, InvalidRows::Fail)?;
    let clusters = cluster.map(|c| Clusters::from_dataset(&data, c).unwrap());
    fit_releasing_clustered(&spec, &mut data, options, clusters.as_ref())
}

fn with(covariance_type: CovarianceType) -> FitOptions {
    FitOptions {
        covariance_type,
        ..FitOptions::default()
    }
}

#[track_caller]
fn close(label: &str, got: &[f64], want: &[f64], relative: f64) {
    assert_eq!(got.len(), want.len(), "{label}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tolerance = relative * w.abs().max(1e-3);
        assert!(
            (g - w).abs() <= tolerance,
            "{label}[{i}]: got {g}, want {w} (tolerance {tolerance:e})"
        );
    }
}

fn std_errors(model: &FittedModel) -> Vec<f64> {
    model.estimates.iter().map(|e| e.std_error).collect()
}

#[test]
fn hc0_matches_statsmodels() {
    // statsmodels 0.15.0: Logit(y, X).fit(method="newton", tol=1e-14, cov_type="HC0");
    // res.bse and res.cov_params()[0, 1].
    let model = fit_spector(with(CovarianceType::Hc0), None).unwrap();
    close(
        "bse",
        &std_errors(&model),
        &[
            5.1975854102991725,
            1.2675459820156736,
            0.11792226774939292,
            0.9644192096528736,
        ],
        1e-8,
    );
    close(
        "cov01",
        &[model.covariance[(0, 1)]],
        &[-5.59337609267519],
        1e-8,
    );
    // The Wald interval and z follow the robust standard error.
    let psi = &model.estimates[3];
    assert!((psi.z - psi.estimate / 0.9644192096528736).abs() < 1e-8);
    assert!((psi.ci_high - psi.estimate - 1.959963984540054 * psi.std_error).abs() < 1e-10);
}

#[test]
fn hc1_is_hc0_scaled_by_n_over_n_minus_p_as_statsmodels_corrects_it() {
    // statsmodels 0.15.0: sandwich_covariance.cov_white_simple(res, use_correction=True)
    // for res = Logit(y, X).fit(method="newton"): HC0 · n/(n − k). (Logit's own
    // cov_type="HC1" applies no correction and equals HC0; see docs/model.md.)
    let model = fit_spector(with(CovarianceType::Hc1), None).unwrap();
    close(
        "bse",
        &std_errors(&model),
        &[
            5.556452526809938,
            1.3550636533384797,
            0.1260642069113293,
            1.031007502784109,
        ],
        1e-8,
    );
    close(
        "cov01",
        &[model.covariance[(0, 1)]],
        &[-6.392429820200499],
        1e-8,
    );
}

#[test]
fn cluster_matches_statsmodels_with_its_default_correction() {
    // statsmodels 0.15.0: Logit(y, X).fit(method="newton", tol=1e-14, cov_type="cluster",
    // cov_kwds={"groups": pandas.factorize(school)[0]}): use_correction=True by default,
    // the factor G/(G − 1) · (n − 1)/(n − k).
    let model = fit_spector(with(CovarianceType::Cluster), Some("school")).unwrap();
    close(
        "bse",
        &std_errors(&model),
        &[
            6.206055953431004,
            1.2233081794597995,
            0.1293377271721652,
            1.505920852097169,
        ],
        1e-8,
    );
    close(
        "cov01",
        &[model.covariance[(0, 1)]],
        &[-6.609984305795963],
        1e-8,
    );
    let cluster = model.cluster.as_ref().unwrap();
    assert_eq!((cluster.column.as_str(), cluster.clusters), ("school", 5));
}

#[test]
fn a_single_cluster_is_refused() {
    let spec = SpecConfig::from_toml("spec", SPEC)
        .unwrap()
        .check()
        .unwrap();
    let spec = spec.with_cluster_column("school").unwrap();
    let text = spector_with_schools().replace(",s1\n", ",s0\n");
    let text = ["s2", "s3", "s4"]
        .iter()
        .fold(text, |t, s| t.replace(&format!(",{s}\n"), ",s0\n"));
    let mut data = read_dataset("one.csv", text.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let clusters = Clusters::from_dataset(&data, "school").unwrap();
    assert_eq!(clusters.count, 1);
    let error = fit_releasing_clustered(
        &spec,
        &mut data,
        with(CovarianceType::Cluster),
        Some(&clusters),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("needs at least 2 clusters"),
        "{error}"
    );
}

#[test]
fn robust_covariance_is_refused_with_firth_and_without_clusters() {
    let firth = FitOptions {
        firth: true,
        ..with(CovarianceType::Hc0)
    };
    let error = fit_spector(firth, None).unwrap_err();
    assert!(
        error.to_string().contains("not defined for a Firth fit"),
        "{error}"
    );
    let error = fit_spector(with(CovarianceType::Cluster), None).unwrap_err();
    assert!(
        error.to_string().contains("needs a cluster column"),
        "{error}"
    );
}

#[test]
fn robust_covariance_is_refused_with_frequency_weights() {
    let spec = SpecConfig::from_toml("spec", &format!("weights = \"w\"\n{SPEC}"))
        .unwrap()
        .check()
        .unwrap();
    let text = spector_with_schools()
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{line},{}\n", if i == 0 { "w" } else { "2" }))
        .collect::<String>();
    let data = read_dataset("w.csv", text.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let error = fit(&spec, &data, with(CovarianceType::Hc1)).unwrap_err();
    assert!(error.to_string().contains("frequency weights"), "{error}");
}

fn profile(options: FitOptions) -> Vec<(f64, f64)> {
    let options = FitOptions {
        interval: IntervalKind::Profile,
        ..options
    };
    let model = fit_spector(options, None).unwrap();
    model
        .profile_intervals
        .unwrap()
        .iter()
        .map(|i| (i.low.unwrap(), i.high.unwrap()))
        .collect()
}

#[track_caller]
fn close_pairs(label: &str, got: &[(f64, f64)], want: &[(f64, f64)]) {
    let flat = |pairs: &[(f64, f64)]| pairs.iter().flat_map(|&(a, b)| [a, b]).collect::<Vec<_>>();
    let (got, want) = (flat(got), flat(want));
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-6, "{label}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn profile_intervals_match_a_root_finding_on_the_profile_likelihood() {
    // scipy reference (module comment), ℓ the log-likelihood.
    close_pairs(
        "ml",
        &profile(FitOptions::default()),
        &[
            (-25.16592375722421, -4.899768254626155),
            (0.6391581694514955, 5.756731446436828),
            (-0.17020186029907602, 0.40501749788527647),
            (0.47846658837612493, 4.809879337945889),
        ],
    );
}

#[test]
fn firth_profile_intervals_match_a_root_finding_on_the_penalised_profile() {
    // scipy reference (module comment), ℓ + ½ log det XᵀWX.
    let firth = FitOptions {
        firth: true,
        ..FitOptions::default()
    };
    close_pairs(
        "firth",
        &profile(firth),
        &[
            (-20.47673717053115, -3.534569539645033),
            (0.3785460720635038, 4.765064352088441),
            (-0.1642705860407556, 0.34180853743638934),
            (0.31444230067001355, 4.1077271649138005),
        ],
    );
}

#[test]
fn profile_intervals_are_refused_for_l2_fits() {
    let options = FitOptions {
        l2: 1.0,
        interval: IntervalKind::Profile,
        ..FitOptions::default()
    };
    let error = fit_spector(options, None).unwrap_err();
    assert!(error.to_string().contains("not for L2"), "{error}");
}

#[test]
fn the_model_covariance_and_wald_intervals_are_unchanged_by_default() {
    let model = fit_spector(FitOptions::default(), None).unwrap();
    assert!(model.cluster.is_none() && model.profile_intervals.is_none());
    // statsmodels 0.15.0 Logit(...).fit(method="newton").bse[0] (tests/reference.rs).
    close("bse0", &std_errors(&model)[..1], &[4.931324213602733], 1e-6);
}

#[test]
fn firth_profile_intervals_close_on_sex2_despite_its_separated_term() {
    // `dia` separates the outcome (every case with dia = 1 is a case), so maximum
    // likelihood has no estimate; Firth's penalised profile still closes on both sides.
    // Reference: scipy 1.17 brentq(xtol=1e-12) on 2·(ℓ*_max − ℓ*_profile(t)) − χ²₁(0.95),
    // ℓ* = ℓ + ½ log det XᵀWX maximised over the other coefficients by
    // optimize.minimize (BFGS with the analytic penalised score, gtol=1e-11, then
    // L-BFGS-B, gtol=1e-13); terms oc (index 2) and dia (index 6).
    const SPEC: &str = "outcome = \"case\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"age\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"oc\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"vic\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"vicl\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"vis\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"dia\"\n";
    let spec = SpecConfig::from_toml("spec", SPEC)
        .unwrap()
        .check()
        .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sex2.csv");
    let file = std::fs::File::open(path).unwrap();
    let data = read_dataset("sex2.csv", file, &spec, InvalidRows::Fail).unwrap();
    let options = FitOptions {
        firth: true,
        interval: IntervalKind::Profile,
        ..FitOptions::default()
    };
    let model = fit(&spec, &data, options).unwrap();
    let intervals = model.profile_intervals.unwrap();
    let pair = |j: usize| (intervals[j].low.unwrap(), intervals[j].high.unwrap());
    close_pairs(
        "sex2",
        &[pair(2), pair(6)],
        &[
            (-0.9414363301661064, 0.7892020212605029),
            (0.7745681692170229, 8.030293522159367),
        ],
    );
}

#[test]
fn predictions_read_the_stored_robust_covariance() {
    use recontact_scoring::{predict, Model, TermInput};
    let fitted = fit_spector(with(CovarianceType::Hc1), None).unwrap();
    let spec = SpecConfig::from_toml("spec", SPEC).unwrap();
    let text = spector_with_schools();
    let checked = spec.clone().check().unwrap();
    let data = read_dataset("spector.csv", text.as_bytes(), &checked, InvalidRows::Fail).unwrap();
    let model = Model::new(fitted, spec, &data);
    let inputs = [
        TermInput::Number(3.0),
        TermInput::Number(20.0),
        TermInput::Number(1.0),
    ];
    let prediction = predict(&model, &inputs, 0.95);
    // numpy: sqrt(x @ V @ x) with x = [1, 3, 20, 1], V = statsmodels 0.15.0
    // sandwich_covariance.cov_white_simple(res, use_correction=True); x @ res.params.
    close("se", &[prediction.std_error], &[0.8666311302893096], 1e-8);
    close("logit", &[prediction.logit], &[-0.261168191996187], 1e-6);
}

#[test]
fn a_fit_by_passes_refuses_robust_covariance_and_profile_intervals() {
    use recontact_scoring::fit_streaming;
    let spec = SpecConfig::from_toml("spec", SPEC)
        .unwrap()
        .check()
        .unwrap();
    let text = spector_with_schools();
    let profile = FitOptions {
        interval: IntervalKind::Profile,
        ..FitOptions::default()
    };
    for options in [with(CovarianceType::Hc0), profile] {
        let mut open = || Ok(text.as_bytes());
        let Err(error) = fit_streaming("s.csv", &mut open, &spec, options, InvalidRows::Fail)
        else {
            panic!("a fit by passes with {options:?} is refused");
        };
        assert!(
            error
                .to_string()
                .contains("fit in memory (without streaming)"),
            "{error}"
        );
    }
}
