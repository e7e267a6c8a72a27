//! `recontact anova`: Wald tests per factor and likelihood-ratio tests by refitting.
//!
//! Reference values come from `python tests/models/reference.py`: Wald χ² by
//! `numpy.linalg.solve` on the coefficients and covariance of
//! `tests/models/interactions.json` (columns chosen by name), likelihood-ratio χ² from
//! statsmodels 0.15 `Logit(y, X).fit(tol=1e-12)` on a design rebuilt in numpy.

mod common;

use common::{recontact, text, with_threads};

const MODEL: &str = "tests/models/interactions.json";
const DATA: &str = "data/recontact_outcomes.csv";

fn json(args: &[&str]) -> serde_json::Value {
    let output = recontact(args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn row<'a>(rows: &'a serde_json::Value, term: &str, of: Option<&str>) -> &'a serde_json::Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["term"] == term && r["of"].as_str() == of)
        .unwrap_or_else(|| panic!("no row {term} ({of:?}) in {rows}"))
}

fn close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn wald_tests_match_numpy_on_the_model_files_covariance() {
    let json = json(&["anova", "--model", MODEL, "--format", "json"]);
    let wald = &json["wald"];
    let want = [
        (
            "years_experience (Factor+Higher Order Factors)",
            None,
            16.383365475114605,
            2,
            0.00027694746202184964,
        ),
        (
            "contact_type (Factor+Higher Order Factors)",
            None,
            88.96157171278072,
            8,
            7.554598936087892e-16,
        ),
        (
            "days_since_decline (Factor+Higher Order Factors)",
            None,
            707.6369808176362,
            9,
            1.5775195685735422e-146,
        ),
        (
            "Nonlinear (Factor+Higher Order Factors)",
            Some("days_since_decline"),
            430.6647878586382,
            6,
            7.104801323774117e-90,
        ),
        (
            "contact_type * days_since_decline",
            None,
            2.9652043993394166,
            6,
            0.8132012162481389,
        ),
        (
            "Nonlinear Interaction : f(A,B) vs. AB",
            Some("contact_type * days_since_decline"),
            0.4401659338578847,
            4,
            0.9790582832055235,
        ),
        (
            "TOTAL INTERACTION",
            None,
            3.854390876245234,
            7,
            0.7963877665750467,
        ),
        (
            "TOTAL NONLINEAR + INTERACTION",
            None,
            459.4385117443196,
            9,
            2.7502984923873855e-93,
        ),
        ("TOTAL", None, 781.6239820286709, 14, 9.412075587411002e-158),
    ];
    for (term, of, chi2, df, p) in want {
        let r = row(wald, term, of);
        close(r["chi2"].as_f64().unwrap(), chi2, 1e-8, term);
        assert_eq!(r["df"], df, "{term}");
        let got_p = r["p_value"].as_f64().unwrap();
        // scipy's chi2.sf; the crate's tail (libm) agrees to 1e-7 relative down to 1e-20
        // (1e-8 at 7.6e-16) and to a few 1e-6 relative in the far tail (2e-7 at 7e-90,
        // 1.3e-6 at 1.6e-146).
        let tolerance = if p > 1e-20 { 1e-7 } else { 1e-5 };
        assert!(
            (got_p - p).abs() <= tolerance * p,
            "{term}: p {got_p:e} vs {p:e}"
        );
    }
    // The layout of anova.rms: each factor, then its sub-rows; totals last.
    let terms: Vec<&str> = wald
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["term"].as_str().unwrap())
        .collect();
    assert_eq!(terms.len(), 17, "{terms:?}");
    assert_eq!(terms.last(), Some(&"TOTAL"));
    assert!(json.get("likelihood_ratio").is_none());
}

#[test]
fn likelihood_ratio_tests_match_statsmodels_refits() {
    let json = json(&[
        "anova", "--model", MODEL, "--data", DATA, "--format", "json",
    ]);
    let lr = &json["likelihood_ratio"];
    let want = [
        (
            "years_experience",
            16.85852987904127,
            2,
            0.0002183819553522024,
        ),
        ("contact_type", 92.15376346052926, 8, 1.697978294819471e-16),
        (
            "contact_type * days_since_decline",
            3.3718721297364027,
            6,
            0.7609310842047471,
        ),
    ];
    for (term, chi2, df, p) in want {
        let r = row(lr, term, None);
        // Two fits, each agreeing with statsmodels to about 1e-9 in the log-likelihood.
        close(r["chi2"].as_f64().unwrap(), chi2, 1e-6, term);
        assert_eq!(r["df"], df, "{term}");
        close(r["p_value"].as_f64().unwrap(), p, 1e-5, term);
    }
    // Marginality: a factor is dropped with the interactions it is part of.
    assert_eq!(
        row(lr, "years_experience", None)["dropped"],
        serde_json::json!(["years_experience", "years_experience * same_contact"])
    );
}

#[test]
fn the_table_indents_sub_rows_and_writes_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("anova.txt");
    let output = recontact(&["anova", "--model", MODEL, "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let table = std::fs::read_to_string(&out).unwrap();
    assert!(table.contains("\n  All Interactions "), "{table}");
    assert!(table.contains("\nTOTAL "), "{table}");
}

#[test]
fn likelihood_ratio_tests_need_a_plain_fit_and_valid_data() {
    let dir = tempfile::tempdir().unwrap();
    let l2 = dir.path().join("l2.json");
    let output = recontact(&[
        "fit",
        "--data",
        DATA,
        "--outcome",
        "success",
        "--numeric",
        "years_experience",
        "--l2",
        "1",
        "-q",
        "-o",
        l2.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = recontact(&["anova", "--model", l2.to_str().unwrap(), "--data", DATA]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("method `l2`"),
        "{}",
        text(&output.stderr)
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "success,years_experience\n1,3\n").unwrap();
    let output = recontact(&["anova", "--model", MODEL, "--data", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("contact_type"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn the_tests_do_not_depend_on_the_thread_count() {
    let args = [
        "anova", "--model", MODEL, "--data", DATA, "--format", "json",
    ];
    let one = with_threads("1", &args).stdout;
    let three = with_threads("3", &args).stdout;
    assert!(!one.is_empty());
    assert!(one == three, "RAYON_NUM_THREADS 1 and 3 differ");
}

#[test]
fn a_singular_covariance_block_is_refused_naming_the_test() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::root().join(MODEL)).unwrap())
            .unwrap();
    // years_experience is design column 1: zero its row and column of the covariance.
    let p = model["covariance"].as_array().unwrap().len();
    for k in 0..p {
        model["covariance"][1][k] = 0.0.into();
        model["covariance"][k][1] = 0.0.into();
    }
    std::fs::write(&path, serde_json::to_string(&model).unwrap()).unwrap();
    let output = recontact(&["anova", "--model", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("years_experience (Factor+Higher Order Factors)")
            && stderr.contains("singular"),
        "{stderr}"
    );
}
