//! Estimates checked against reference implementations on public data sets.
//!
//! Data: `fixtures/*.csv`, each with a `.SOURCE.md` naming publication, shipping package
//! and licence. Reference values were computed with statsmodels 0.15.0, scikit-learn 1.9.1,
//! scipy 1.17.1 and firthmodels 0.8.2 (Python 3.11.7); each block says which produced it.
//! Tolerances: coefficients and log-likelihoods 1e-6 relative, standard errors 1e-5.

use recontact_scoring::{
    fit, read_dataset, FitError, FitOptions, FittedModel, InvalidRows, SpecConfig,
};

fn fixture(name: &str) -> std::fs::File {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fit_toml(data: &str, spec: &str, options: FitOptions) -> Result<FittedModel, FitError> {
    let spec = SpecConfig::from_toml("spec", spec)
        .unwrap()
        .check()
        .unwrap();
    let dataset = read_dataset(data, fixture(data), &spec, InvalidRows::Fail)?;
    fit(&spec, &dataset, options)
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

fn names(model: &FittedModel) -> Vec<&str> {
    model.estimates.iter().map(|e| e.term.as_str()).collect()
}

const SPECTOR: &str = "outcome = \"grade\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"tuce\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"psi\"\n";

// The reference of `spector_logit_matches_statsmodels`: statsmodels 0.15.0,
// Logit(grade ~ gpa + tuce + psi).fit(method="newton", tol=1e-12); covariance row-major.
const SPECTOR_COEF: [f64; 4] = [
    -13.021346858115697,
    2.826112594889321,
    0.0951576613179096,
    2.3786876550933544,
];

const SPECTOR_BSE: [f64; 4] = [
    4.9313242136027595,
    1.2629410756290886,
    0.14155420567369542,
    1.0645642544971325,
];

const SPECTOR_Z: [f64; 4] = [
    -2.6405375704556393,
    2.2377232393693385,
    0.6722347871264447,
    2.2344237513563456,
];

const SPECTOR_P: [f64; 4] = [
    0.008277461435488232,
    0.025239108802563838,
    0.5014342380819232,
    0.025455204361278325,
];

const SPECTOR_CI_LOW: [f64; 4] = [
    -22.68656471286741,
    0.3507935720600308,
    -0.1822834836627088,
    0.2921800570502424,
];

const SPECTOR_CI_HIGH: [f64; 4] = [
    -3.356129003363984,
    5.301431617718611,
    0.372598806298528,
    4.465195253136466,
];

const SPECTOR_COV: [f64; 16] = [
    24.317958499664872,
    -4.573478663120123,
    -0.3462557086052539,
    -2.3591608870435903,
    -4.573478663120125,
    1.5950201605111594,
    -0.036920576800716226,
    0.42761565635023924,
    -0.3462557086052534,
    -0.03692057680071636,
    0.020037593143910865,
    0.014912641768880706,
    -2.359160887043597,
    0.4276156563502412,
    0.01491264176888071,
    1.1332970519530354,
];

#[test]
fn spector_logit_matches_statsmodels() {
    // statsmodels 0.15.0: Logit(grade ~ gpa + tuce + psi).fit(method="newton", tol=1e-12)
    let model = fit_toml("spector.csv", SPECTOR, FitOptions::default()).unwrap();
    assert_eq!(names(&model), ["intercept", "gpa", "tuce", "psi"]);
    close("coef", &model.coefficients(), &SPECTOR_COEF, 1e-6);
    close("bse", &std_errors(&model), &SPECTOR_BSE, 1e-5);
    let z: Vec<f64> = model.estimates.iter().map(|e| e.z).collect();
    close("z", &z, &SPECTOR_Z, 1e-5);
    let p: Vec<f64> = model.estimates.iter().map(|e| e.p_value).collect();
    close("p", &p, &SPECTOR_P, 1e-5);
    let low: Vec<f64> = model.estimates.iter().map(|e| e.ci_low).collect();
    close("ci_low", &low, &SPECTOR_CI_LOW, 1e-5);
    let high: Vec<f64> = model.estimates.iter().map(|e| e.ci_high).collect();
    close("ci_high", &high, &SPECTOR_CI_HIGH, 1e-5);
    let s = &model.statistics;
    close("llf", &[s.log_likelihood], &[-12.889634222131415], 1e-6);
    close(
        "llnull",
        &[s.null_log_likelihood],
        &[-20.591729696634204],
        1e-6,
    );
    close("llr", &[s.lr_chi2], &[15.404190949005578], 1e-6);
    close(
        "llr_pvalue",
        &[s.lr_p_value],
        &[0.0015018786820365786],
        1e-6,
    );
    close("aic", &[s.aic], &[33.779268444262826], 1e-6);
    close("bic", &[s.bic], &[39.642212055461734], 1e-6);
    close("mcfadden", &[s.mcfadden_r2], &[0.3740382953726187], 1e-6);
    // Nagelkerke: (1 - exp(2(l0 - l)/n)) / (1 - exp(2 l0/n)) from statsmodels' llf and llnull.
    close(
        "nagelkerke",
        &[s.nagelkerke_r2],
        &[0.5277964599698038],
        1e-6,
    );
    assert_eq!((s.n, s.events, s.lr_df), (32.0, 11.0, 3));
    assert!(s.converged);
    let cov: Vec<f64> = model.covariance.transpose().iter().copied().collect();
    close("cov", &cov, &SPECTOR_COV, 1e-5);
}

#[test]
fn spector_frequency_weights_match_statsmodels_glm() {
    // statsmodels 0.15.0: GLM(grade ~ gpa + tuce + psi, Binomial, freq_weights = 2 for every row)
    let spec = SPECTOR.replace(
        "outcome = \"grade\"",
        "outcome = \"grade\"\nweights = \"two\"",
    );
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spector.csv"),
    )
    .unwrap();
    let weighted: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "two" } else { "2" }))
        .collect();
    let spec = SpecConfig::from_toml("spec", &spec)
        .unwrap()
        .check()
        .unwrap();
    let data = read_dataset("weighted", weighted.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let model = fit(&spec, &data, FitOptions::default()).unwrap();
    close(
        "coef",
        &model.coefficients(),
        &[
            -13.02134685811571,
            2.826112594889321,
            0.09515766131790918,
            2.378687655093356,
        ],
        1e-6,
    );
    close(
        "bse",
        &std_errors(&model),
        &[
            3.4869727912343813,
            0.8930341987447997,
            0.10009393873150892,
            0.7527606033018076,
        ],
        1e-5,
    );
    close(
        "llf",
        &[model.statistics.log_likelihood],
        &[-25.77926844426283],
        1e-6,
    );
    assert_eq!(model.statistics.n, 64.0);
}

#[test]
fn spector_offset_matches_statsmodels_glm() {
    // statsmodels 0.15.0: GLM(grade ~ gpa + psi, Binomial, offset = 0.1 * tuce)
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spector.csv"),
    )
    .unwrap();
    let with_offset: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},off\n")
            } else {
                let tuce: f64 = l.split(',').nth(2).unwrap().parse().unwrap();
                format!("{l},{}\n", 0.1 * tuce)
            }
        })
        .collect();
    let spec = "outcome = \"grade\"\noffset = \"off\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"psi\"\n";
    let spec = SpecConfig::from_toml("spec", spec)
        .unwrap()
        .check()
        .unwrap();
    let data = read_dataset("offset", with_offset.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let model = fit(&spec, &data, FitOptions::default()).unwrap();
    close(
        "coef",
        &model.coefficients(),
        &[-13.10557209285674, 2.8173420583238147, 2.3823593136593084],
        1e-6,
    );
    close(
        "bse",
        &std_errors(&model),
        &[4.287837102948488, 1.237177435413349, 1.0606483278760876],
        1e-5,
    );
    close(
        "llf",
        &[model.statistics.log_likelihood],
        &[-12.890217690576623],
        1e-6,
    );
}

#[test]
fn spector_l2_matches_the_penalised_optimum() {
    // Objective -loglik + lambda/2 * sum(beta^2 without intercept), lambda = 1: Newton on the
    // exact objective (gradient 3e-14), confirmed by scipy 1.17.1 optimize.root and by
    // scikit-learn 1.9.1 LogisticRegression(C = 1, lbfgs, tol 1e-12), which agree to 2e-9.
    let options = FitOptions {
        l2: 1.0,
        ..FitOptions::default()
    };
    let model = fit_toml("spector.csv", SPECTOR, options).unwrap();
    close(
        "coef",
        &model.coefficients(),
        &[
            -7.949012046076753,
            1.2100874288837238,
            0.1301519138569471,
            1.1621444812512678,
        ],
        1e-6,
    );
    close(
        "loglik",
        &[model.statistics.log_likelihood],
        &[-14.371143451910871],
        1e-6,
    );
    assert_eq!(model.statistics.method, "l2");
}

const BIRTHWT_TERMS: &str = "[[term]]\nkind = \"categorical\"\ncolumn = \"race\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"smoke\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"ptl\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"ht\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"ui\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"ftv\"\n";

#[test]
fn birthwt_with_a_categorical_matches_statsmodels() {
    // statsmodels 0.15.0: Logit(low ~ age + lwt + C(race) + smoke + ptl + ht + ui + ftv), race 1 as reference
    let spec = format!("outcome = \"low\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"age\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"lwt\"\n{BIRTHWT_TERMS}");
    let model = fit_toml("birthwt.csv", &spec, FitOptions::default()).unwrap();
    assert_eq!(
        names(&model),
        [
            "intercept",
            "age",
            "lwt",
            "race=2",
            "race=3",
            "smoke",
            "ptl",
            "ht",
            "ui",
            "ftv"
        ]
    );
    close(
        "coef",
        &model.coefficients(),
        &[
            0.4806232091007841,
            -0.029549027074475372,
            -0.015424283979852347,
            1.2722597977543864,
            0.8804959257825374,
            0.9388457015782598,
            0.5433370311245406,
            1.8633028703788412,
            0.7676481457715814,
            0.06530183477943434,
        ],
        1e-6,
    );
    close(
        "bse",
        &std_errors(&model),
        &[
            1.19690410737456,
            0.03703141738577749,
            0.006919381067258826,
            0.5273637031774522,
            0.44078566451273604,
            0.40215407684982557,
            0.3454054306614446,
            0.6975400592624544,
            0.45932147822845293,
            0.1723958260019802,
        ],
        1e-5,
    );
    let s = &model.statistics;
    close("llf", &[s.log_likelihood], &[-100.64239752794056], 1e-6);
    close(
        "llnull",
        &[s.null_log_likelihood],
        &[-117.33599809679107],
        1e-6,
    );
    close("aic", &[s.aic], &[221.28479505588112], 1e-6);
    close("bic", &[s.bic], &[253.70226520647753], 1e-6);
    close(
        "llr_pvalue",
        &[s.lr_p_value],
        &[0.00011432723307534261],
        1e-6,
    );
}

#[test]
fn birthwt_with_a_restricted_cubic_spline_matches_statsmodels_on_harrells_basis() {
    // Knots: R type-7 quantiles of lwt at 0.05, 0.35, 0.65, 0.95 (numpy 2.4.6);
    // basis: rms::rcspline.eval with norm = 2, written out in numpy (R was not available);
    // fit: statsmodels 0.15.0 Logit(low ~ age + rcs(lwt, 4) + race + smoke + ptl + ht + ui + ftv).
    let spec = format!("outcome = \"low\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"age\"\n[[term]]\nkind = \"rcs\"\ncolumn = \"lwt\"\nk = 4\n{BIRTHWT_TERMS}");
    let model = fit_toml("birthwt.csv", &spec, FitOptions::default()).unwrap();
    let knots = match &model.encoding.terms[1] {
        recontact_scoring::EncodedTerm::Rcs { knots, .. } => knots.clone(),
        other => panic!("{other:?}"),
    };
    close("knots", &knots, &[94.4, 115.0, 130.2, 188.2], 1e-12);
    assert_eq!(&names(&model)[2..5], ["lwt:rcs1", "lwt:rcs2", "lwt:rcs3"]);
    close(
        "coef",
        &model.coefficients(),
        &[
            2.965473662601595,
            -0.03150321517180638,
            -0.04012524887225405,
            0.2075082872595182,
            -0.5939330798161565,
            1.3315066285456285,
            0.895242095014357,
            0.9412256071561959,
            0.5073928863040568,
            1.8840859657959208,
            0.7628661608433882,
            0.06898614588286672,
        ],
        1e-6,
    );
    close(
        "bse",
        &std_errors(&model),
        &[
            3.556504137542298,
            0.037153373318957496,
            0.032788799167556636,
            0.2184912009230302,
            0.6078719215640498,
            0.5320288122129705,
            0.44678649367322126,
            0.4090080190476095,
            0.3483676715645189,
            0.7245669596295321,
            0.46649454482057234,
            0.17469343750342922,
        ],
        1e-5,
    );
    close(
        "llf",
        &[model.statistics.log_likelihood],
        &[-100.12889922690351],
        1e-6,
    );
}

#[test]
fn sex2_firth_matches_firthmodels_and_logistf() {
    // firthmodels 0.8.2 FirthLogisticRegression (checked against an independent numpy solver to
    // 4e-11); standard errors from the inverse of the information firthmodels and current
    // logistf use at the estimate, X' diag(p(1-p)(1+h)) X (h the hat diagonal).
    const SPEC: &str = "outcome = \"case\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"age\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"oc\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"vic\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"vicl\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"vis\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"dia\"\n";
    let options = FitOptions {
        firth: true,
        ..FitOptions::default()
    };
    let model = fit_toml("sex2.csv", SPEC, options).unwrap();
    close(
        "coef",
        &model.coefficients(),
        &[
            0.12025404913305633,
            -1.1059813313756557,
            -0.06881672706271603,
            2.268874652237483,
            -2.111408185300474,
            -0.7883169513950864,
            3.096011827312617,
        ],
        1e-6,
    );
    close(
        "bse",
        &std_errors(&model),
        &[
            0.4763429411865278,
            0.41490210974485614,
            0.43440257128532067,
            0.5384872766056598,
            0.5320395082410805,
            0.408962004264958,
            1.5052211356505139,
        ],
        1e-5,
    );
    let s = &model.statistics;
    close(
        "penalised loglik",
        &[s.penalized_log_likelihood.unwrap()],
        &[-132.53937953284424],
        1e-6,
    );
    close(
        "loglik at estimate",
        &[s.log_likelihood],
        &[-138.45529333224556],
        1e-6,
    );
    // Plain maximum likelihood does not exist here: the data are separated.
    match fit_toml("sex2.csv", SPEC, FitOptions::default()) {
        Err(FitError::Separation { terms, .. }) => {
            assert!(terms.contains(&"dia".to_string()), "{terms:?}")
        }
        other => panic!("expected separation, got {other:?}"),
    }
    // logistf's whole-model likelihood-ratio test, as printed in its summary of sex2.
    close("LR chi2", &[s.lr_chi2], &[49.09064279203574], 1e-6);
    close("LR p", &[s.lr_p_value], &[7.15089035403599e-09], 1e-5);
}

#[test]
fn endometrial_firth_matches_firthmodels_and_logistf() {
    // firthmodels 0.8.2 FirthLogisticRegression (checked against an independent numpy solver to
    // 4e-11); standard errors from the inverse of the information firthmodels and current
    // logistf use at the estimate, X' diag(p(1-p)(1+h)) X (h the hat diagonal).
    const SPEC: &str = "outcome = \"HG\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"NV\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"PI\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"EH\"\n";
    let options = FitOptions {
        firth: true,
        ..FitOptions::default()
    };
    let model = fit_toml("endometrial.csv", SPEC, options).unwrap();
    close(
        "coef",
        &model.coefficients(),
        &[
            3.7745597134144453,
            2.9292733531352066,
            -0.03475175986159169,
            -2.6041639252331237,
        ],
        1e-6,
    );
    close(
        "bse",
        &std_errors(&model),
        &[
            1.4390069332917335,
            1.4649742201582907,
            0.037892372214913164,
            0.7536284420626957,
        ],
        1e-5,
    );
    let s = &model.statistics;
    close(
        "penalised loglik",
        &[s.penalized_log_likelihood.unwrap()],
        &[-24.03726780069792],
        1e-6,
    );
    close(
        "loglik at estimate",
        &[s.log_likelihood],
        &[-28.287697325571777],
        1e-6,
    );
    // Plain maximum likelihood does not exist here: the data are separated.
    match fit_toml("endometrial.csv", SPEC, FitOptions::default()) {
        Err(FitError::Separation { terms, .. }) => {
            assert!(terms.contains(&"NV".to_string()), "{terms:?}")
        }
        other => panic!("expected separation, got {other:?}"),
    }
}
