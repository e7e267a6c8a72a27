//! Default rcs knots are those of `Hmisc::rcspline.eval` (Hmisc 5.2-5), in memory and by
//! passes over the file alike.
//!
//! Reference: a numpy port of rcspline.eval's default-knot code (its `nk`/`outer`
//! quantiles, the `fractied = 0.05` rule for heavily tied ends, the fall-back to the
//! inner distinct values when there are at most k + 2 of them, the alternate algorithm
//! when quantiles collapse, the 5th smallest/largest value for fewer than 100 values,
//! and `sort(unique(knots))`), with R's `seq(from, to, length.out)` and
//! `quantile(type = 7)` written out as R computes them ((1 − h)·x[lo] + h·x[hi]; numpy's
//! own `quantile` rounds differently, 3.286 instead of 3.2859999999999996 for `gpa`).
//! Each literal below is that port's `knots(x, k)`.

use recontact_scoring::{
    fit_streaming, read_dataset, EncodedTerm, Encoding, FitOptions, InvalidRows, SpecConfig,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The default knots of `rcs(column, k)` on `bytes`, in memory and by passes (the
/// streaming fit uses an L2 penalty only so that every small example has an estimate).
fn knots_both(bytes: &[u8], outcome: &str, column: &str, k: usize) -> [Vec<f64>; 2] {
    let text = format!(
        "outcome = \"{outcome}\"\n[[term]]\nkind = \"rcs\"\ncolumn = \"{column}\"\nk = {k}\n"
    );
    let spec = SpecConfig::from_toml("spec", &text)
        .unwrap()
        .check()
        .unwrap();
    let data = read_dataset("data.csv", bytes, &spec, InvalidRows::Fail).unwrap();
    let knots_of = |encoding: &Encoding| match &encoding.terms[0] {
        EncodedTerm::Rcs { knots, .. } => knots.clone(),
        other => panic!("{other:?}"),
    };
    let memory = knots_of(&Encoding::learn(&spec, &data).unwrap());
    let options = FitOptions {
        l2: 1.0,
        ..FitOptions::default()
    };
    let mut open = || Ok::<_, std::io::Error>(bytes);
    let streamed = fit_streaming("data.csv", &mut open, &spec, options, InvalidRows::Fail)
        .unwrap_or_else(|e| panic!("{column}: {e}"));
    [memory, knots_of(&streamed.fitted.encoding)]
}

#[track_caller]
fn check(bytes: &[u8], outcome: &str, column: &str, k: usize, want: &[f64]) {
    for knots in knots_both(bytes, outcome, column, k) {
        assert_eq!(knots, want, "rcs({column}, {k})");
    }
}

#[test]
fn seven_knots_use_exact_sixths() {
    // seq(.025, .975, length = 7), not .1833/.3417 rounded.
    check(
        &fixture("birthwt.csv"),
        "low",
        "lwt",
        7,
        &[
            90.0,
            105.0,
            115.0,
            121.0,
            131.76666666666665,
            153.53333333333333,
            205.89999999999978,
        ],
    );
    check(
        &fixture("birthwt.csv"),
        "low",
        "lwt",
        4,
        &[94.4, 115.0, 130.2, 188.2],
    );
}

#[test]
fn fewer_than_100_values_take_the_5th_smallest_and_largest() {
    check(
        &fixture("spector.csv"),
        "grade",
        "gpa",
        4,
        &[2.67, 2.8685, 3.2859999999999996, 3.62],
    );
    check(
        &fixture("spector.csv"),
        "grade",
        "gpa",
        7,
        &[
            2.67,
            2.7468333333333335,
            2.8659166666666667,
            3.065,
            3.296333333333333,
            3.5495,
            3.62,
        ],
    );
    check(
        &fixture("spector.csv"),
        "grade",
        "tuce",
        3,
        &[17.0, 22.5, 26.0],
    );
}

#[test]
fn few_distinct_values_give_the_inner_values() {
    // anes96 `educ` has 7 distinct values (1..7): 5 knots at the inner ones.
    check(
        &fixture("anes96.csv"),
        "vote",
        "educ",
        5,
        &[2.0, 3.0, 4.0, 5.0, 6.0],
    );
    // 6 distinct values and k = 5: Hmisc places 4 knots.
    let mut csv = String::from("y,x\n");
    for i in 0..60 {
        csv.push_str(&format!("{},{}\n", (i * 7 + 3) % 5 % 2, i % 6));
    }
    check(csv.as_bytes(), "y", "x", 5, &[1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn a_heavily_tied_end_gets_its_own_knot() {
    // anes96 `popul`: 24% zeros. The first knot is the second smallest value (1), and
    // the other knots are quantiles of the values above it.
    check(
        &fixture("anes96.csv"),
        "vote",
        "popul",
        4,
        &[1.0, 3.0, 50.0, 1839.9999999999181],
    );
    check(
        &fixture("anes96.csv"),
        "vote",
        "popul",
        5,
        &[1.0, 3.0, 23.599999999999994, 100.0, 1839.9999999999181],
    );
    check(
        &fixture("anes96.csv"),
        "vote",
        "popul",
        3,
        &[1.0, 50.0, 727.9999999999995],
    );
    // 40% zeros: type-7 quantiles .05 and .35 are both 0, which used to be refused.
    let mut csv = String::from("y,x\n");
    for i in 0..200 {
        let x = if i % 5 < 2 { 0 } else { i };
        csv.push_str(&format!("{},{x}\n", (i * 7 + 3) % 5 % 2));
    }
    check(
        csv.as_bytes(),
        "y",
        "x",
        4,
        &[2.0, 12.9, 101.99999999999997, 189.29999999999998],
    );
    check(
        csv.as_bytes(),
        "y",
        "x",
        5,
        &[2.0, 12.9, 72.3, 131.10000000000002, 189.29999999999998],
    );
}
