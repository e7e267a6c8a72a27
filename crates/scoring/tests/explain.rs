//! Explanations, prediction intervals and the scorecard.

use proptest::prelude::*;
use recontact_scoring::distributions::logistic;
use recontact_scoring::{
    explain, fit, predict, read_dataset, reference_inputs, scorecard, FitOptions, InvalidRows,
    Model, Scaling, SpecConfig, TermInput,
};

fn model(spec: &str, csv: &str) -> Model {
    let config = SpecConfig::from_toml("spec", spec).unwrap();
    let checked = config.clone().check().unwrap();
    let data = read_dataset("data", csv.as_bytes(), &checked, InvalidRows::Fail).unwrap();
    Model::new(
        fit(&checked, &data, FitOptions::default()).unwrap(),
        config,
        &data,
    )
}

fn spector() -> Model {
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spector.csv"
    ))
    .unwrap();
    model(
        "outcome = \"grade\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"tuce\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"psi\"\n",
        &csv,
    )
}

/// A model with every kind of term, fitted once.
fn rich() -> &'static Model {
    static RICH: std::sync::LazyLock<Model> = std::sync::LazyLock::new(fit_rich);
    &RICH
}

/// A model with every kind of term, on a fixed data set.
fn fit_rich() -> Model {
    let mut csv = String::from("y,x,d,r,g,b\n");
    for i in 0..300u32 {
        let x = f64::from(i % 17) / 4.0 - 2.0;
        let d = f64::from((i * 7) % 31);
        let r = f64::from((i * 13) % 101) / 10.0;
        let g = ["a", "b", "c"][(i % 3) as usize];
        let b = i % 2;
        let y = u8::from(i.wrapping_mul(2_654_435_761) % 100 < 35 + (i % 17) * 2 + b * 10);
        csv += &format!("{y},{x},{d},{r},{g},{b}\n");
    }
    model(
        "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"d\"\ntransform = \"log1p\"\n\
[[term]]\nkind = \"rcs\"\ncolumn = \"r\"\nk = 4\n[[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n\
[[term]]\nkind = \"boolean\"\ncolumn = \"b\"\n[[term]]\nkind = \"interaction\"\nbetween = [\"x\", \"g\"]\n",
        &csv,
    )
}

#[test]
fn the_prediction_interval_matches_statsmodels() {
    // statsmodels 0.15.0: GLM(grade ~ gpa + tuce + psi, Binomial).get_prediction([1, 3.0, 25, 1])
    // .summary_frame(alpha=0.05): mean 0.553450019003232, CI [0.20709506968123517, 0.8546771027576756];
    // linear predictor 0.2146201145933535 with standard error 0.7944765789397512.
    let model = spector();
    let prediction = predict(
        &model,
        &[
            TermInput::Number(3.0),
            TermInput::Number(25.0),
            TermInput::Number(1.0),
        ],
        0.95,
    );
    for (got, want) in [
        (prediction.probability, 0.553450019003232),
        (prediction.ci_low, 0.20709506968123517),
        (prediction.ci_high, 0.8546771027576756),
        (prediction.logit, 0.2146201145933535),
        (prediction.std_error, 0.7944765789397512),
    ] {
        assert!((got - want).abs() < 1e-6 * want.abs(), "{got} vs {want}");
    }
}

#[test]
fn the_reference_row_uses_reference_levels_and_medians() {
    let model = rich();
    let reference = reference_inputs(&model.encoding);
    let median_x = model.encoding.summaries["x"].median;
    assert_eq!(reference[0], TermInput::Number(median_x));
    assert_eq!(reference[3], TermInput::Level(0), "g = a, the first level");
    assert_eq!(reference[4], TermInput::Number(0.0), "booleans at false");
    let explanation = explain(model, &reference);
    assert!(explanation.contributions.iter().all(|c| c.logit == 0.0));
}

fn inputs() -> impl Strategy<Value = Vec<TermInput>> {
    (
        -3.0..3.0f64,
        0.0..40.0f64,
        -1.0..12.0f64,
        0usize..3,
        any::<bool>(),
    )
        .prop_map(|(x, d, r, g, b)| {
            vec![
                TermInput::Number(x),
                TermInput::Number(d),
                TermInput::Number(r),
                TermInput::Level(g),
                TermInput::Number(f64::from(u8::from(b))),
            ]
        })
}

proptest! {
    #[test]
    fn contributions_sum_to_the_logit_difference(row in inputs()) {
        let model = rich();
        let explanation = explain(model, &row);
        let sum: f64 = explanation.contributions.iter().map(|c| c.logit).sum();
        let difference = explanation.logit - explanation.reference_logit;
        prop_assert!((sum - difference).abs() <= 1e-12 * (1.0 + difference.abs()), "{sum} vs {difference}");
        let terms: Vec<&str> = explanation.contributions.iter().map(|c| c.term.as_str()).collect();
        prop_assert_eq!(terms, vec!["x", "d", "r", "g", "b", "x:g"]);
    }

    #[test]
    fn rounded_scorecard_points_reproduce_the_probability(picks in proptest::collection::vec(0usize..100, 6)) {
        let model = rich();
        let card = scorecard(model, Scaling::default());
        // A row whose values are all listed: pick one listed value per main term and
        // read every term's points (the interaction's row is the pair of picks).
        let mut chosen: Vec<(String, String)> = Vec::new();
        for term in ["x", "d", "r", "g", "b"] {
            let rows: Vec<_> = card.rows.iter().filter(|r| r.term == term).collect();
            let row = rows[picks[chosen.len()] % rows.len()];
            chosen.push((term.to_string(), row.value.clone()));
        }
        let pair = format!("{} & {}", chosen[0].1, chosen[3].1);
        let mut exact = card.base;
        let mut rounded = card.base_rounded as f64;
        for (term, value) in chosen.iter().chain(std::iter::once(&("x:g".to_string(), pair))) {
            let row = card.rows.iter().find(|r| &r.term == term && &r.value == value).unwrap();
            exact += row.points;
            rounded += row.points_rounded as f64;
        }
        let p_exact = logistic((exact - card.offset) / card.factor);
        let p_rounded = logistic((rounded - card.offset) / card.factor);
        prop_assert!((p_exact - p_rounded).abs() <= card.max_probability_error);
    }
}

#[test]
fn scorecard_points_follow_the_scaling() {
    let model = spector();
    let card = scorecard(
        &model,
        Scaling {
            base_points: 600.0,
            base_odds: 1.0,
            pdo: 20.0,
        },
    );
    assert!((card.factor - 20.0 / std::f64::consts::LN_2).abs() < 1e-12);
    assert_eq!(card.offset, 600.0);
    // psi = 1 adds factor × its coefficient.
    let psi = card
        .rows
        .iter()
        .find(|r| r.term == "psi" && r.value == "1")
        .unwrap();
    let beta = model
        .terms
        .iter()
        .find(|t| t.term == "psi")
        .unwrap()
        .estimate;
    let median = model.encoding.summaries["psi"].median;
    assert!((psi.points - card.factor * beta * (1.0 - median)).abs() < 1e-9);
    // The totals table maps points to probabilities through the same scaling.
    for (points, p) in &card.totals {
        assert!((p - logistic((points - 600.0) / card.factor)).abs() < 1e-15);
    }
    // 600 points are odds 1:1, 620 are odds 2:1.
    assert!((logistic((620.0 - card.offset) / card.factor) - 2.0 / 3.0).abs() < 1e-12);
}
