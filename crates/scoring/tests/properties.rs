//! Invariants of the fit and of scoring, for any data proptest can think of.

use proptest::prelude::*;
use recontact_scoring::distributions::logistic;
use recontact_scoring::{
    fit, read_dataset, FitError, FitOptions, FittedModel, InvalidRows, Model, Scorer, SpecConfig,
    TermInput,
};

/// One generated row: two numbers, a category, and a uniform that decides the outcome.
type Row = (f64, f64, usize, f64);

fn rows() -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(
        (-2.0..2.0f64, 0.0..10.0f64, 0usize..3, 0.0..1.0f64),
        60..150,
    )
}

const SPEC: &str = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x1\"\n\
[[term]]\nkind = \"numeric\"\ncolumn = \"x2\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n";

fn outcome(row: &Row) -> u8 {
    let eta = 0.3 + 0.8 * row.0 - 0.2 * row.1 + [0.0, 0.5, -0.5][row.2];
    u8::from(row.3 < logistic(eta))
}

fn csv(rows: &[Row], x1_scale: f64, weights: Option<&[u32]>) -> String {
    let mut text = String::from(if weights.is_some() {
        "y,x1,x2,g,w\n"
    } else {
        "y,x1,x2,g\n"
    });
    for (i, row) in rows.iter().enumerate() {
        text += &format!(
            "{},{},{},{}",
            outcome(row),
            row.0 * x1_scale,
            row.1,
            ["a", "b", "c"][row.2]
        );
        if let Some(w) = weights {
            text += &format!(",{}", w[i]);
        }
        text.push('\n');
    }
    text
}

fn fit_text(text: &str, weights: bool) -> Result<FittedModel, FitError> {
    let mut config = SpecConfig::from_toml("spec", SPEC).unwrap();
    if weights {
        config.weights = Some("w".into());
    }
    let spec = config.check().unwrap();
    let data = read_dataset("generated", text.as_bytes(), &spec, InvalidRows::Fail)?;
    fit(&spec, &data, FitOptions::default())
}

fn assert_close(a: &[f64], b: &[f64], relative: f64) -> Result<(), TestCaseError> {
    for (x, y) in a.iter().zip(b) {
        prop_assert!(
            (x - y).abs() <= relative * x.abs().max(y.abs()).max(1e-8),
            "{x} vs {y}"
        );
    }
    Ok(())
}

fn std_errors(model: &FittedModel) -> Vec<f64> {
    model.estimates.iter().map(|e| e.std_error).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_fit_does_not_depend_on_row_order(rows in rows(), seed in any::<u64>()) {
        let Ok(model) = fit_text(&csv(&rows, 1.0, None), false) else { return Ok(()) };
        let mut shuffled = rows.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let again = fit_text(&csv(&shuffled, 1.0, None), false).unwrap();
        assert_close(&model.coefficients(), &again.coefficients(), 1e-8)?;
        assert_close(&std_errors(&model), &std_errors(&again), 1e-8)?;
    }

    #[test]
    fn scaling_a_column_by_c_divides_its_coefficient_by_c(rows in rows(), log_c in -6.0..6.0f64) {
        let c = 10f64.powf(log_c);
        let Ok(model) = fit_text(&csv(&rows, 1.0, None), false) else { return Ok(()) };
        let scaled = fit_text(&csv(&rows, c, None), false).unwrap();
        let (a, b) = (model.coefficients(), scaled.coefficients());
        assert_close(&[a[1] / c], &[b[1]], 1e-7)?;
        assert_close(&[std_errors(&model)[1] / c], &[std_errors(&scaled)[1]], 1e-7)?;
        // Every other coefficient is unchanged.
        assert_close(&[a[0], a[2], a[3], a[4]], &[b[0], b[2], b[3], b[4]], 1e-7)?;
    }

    #[test]
    fn duplicated_rows_equal_weights_of_two(rows in rows()) {
        let Ok(model) = fit_text(&csv(&rows, 1.0, None), false) else { return Ok(()) };
        let doubled: Vec<Row> = rows.iter().chain(rows.iter()).copied().collect();
        let duplicated = fit_text(&csv(&doubled, 1.0, None), false).unwrap();
        let twos = vec![2u32; rows.len()];
        let weighted = fit_text(&csv(&rows, 1.0, Some(&twos)), true).unwrap();
        assert_close(&model.coefficients(), &duplicated.coefficients(), 1e-8)?;
        assert_close(&duplicated.coefficients(), &weighted.coefficients(), 1e-8)?;
        let halved: Vec<f64> = std_errors(&model).iter().map(|s| s / 2f64.sqrt()).collect();
        assert_close(&halved, &std_errors(&duplicated), 1e-8)?;
        assert_close(&std_errors(&duplicated), &std_errors(&weighted), 1e-8)?;
        assert_close(&[duplicated.statistics.log_likelihood], &[weighted.statistics.log_likelihood], 1e-10)?;
    }

    #[test]
    fn at_the_estimate_mean_fitted_probability_equals_the_event_rate(rows in rows()) {
        let text = csv(&rows, 1.0, None);
        let Ok(model) = fit_text(&text, false) else { return Ok(()) };
        let spec = SpecConfig::from_toml("spec", SPEC).unwrap().check().unwrap();
        let data = read_dataset("generated", text.as_bytes(), &spec, InvalidRows::Fail).unwrap();
        let design = model.encoding.design(&data).unwrap();
        let beta = nalgebra::DVector::from_vec(model.coefficients());
        let fitted = &design * beta;
        let mean = fitted.iter().map(|&e| logistic(e)).sum::<f64>() / data.len() as f64;
        let rate = data.outcome.iter().sum::<f64>() / data.len() as f64;
        prop_assert!((mean - rate).abs() < 1e-9, "{mean} vs {rate}");
    }
}

fn any_finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e300..1e300f64,
        -1e6..1e6f64,
        Just(1e300),
        Just(-1e300),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(0.0),
    ]
}

proptest! {
    #[test]
    fn predictions_are_probabilities_for_any_finite_input(
        x in any_finite(), days in any_finite(), level in 0usize..3, flag in any::<bool>(),
    ) {
        // A model with every kind of term, fitted once on a small fixed data set.
        let model = kitchen_sink_model();
        let mut scorer = Scorer::new(&model);
        let inputs = [
            TermInput::Number(x),
            TermInput::Number(days.abs().min(1e300)),
            TermInput::Number(days),
            TermInput::Level(level),
            TermInput::Number(f64::from(u8::from(flag))),
        ];
        let p = scorer.probability(&inputs);
        prop_assert!((0.0..=1.0).contains(&p), "p = {p}");
    }
}

fn kitchen_sink_model() -> Model {
    let spec_text = "outcome = \"y\"\n\
[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n\
[[term]]\nkind = \"numeric\"\ncolumn = \"d\"\ntransform = \"log1p\"\n\
[[term]]\nkind = \"rcs\"\ncolumn = \"r\"\nk = 4\n\
[[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n\
[[term]]\nkind = \"boolean\"\ncolumn = \"b\"\n\
[[term]]\nkind = \"interaction\"\nbetween = [\"x\", \"g\"]\n";
    let mut text = String::from("y,x,d,r,g,b\n");
    for i in 0..200u32 {
        let x = f64::from(i % 17) / 4.0 - 2.0;
        let d = f64::from((i * 7) % 31);
        let r = f64::from((i * 13) % 101) / 10.0;
        let g = ["a", "b", "c"][(i % 3) as usize];
        let b = i % 2;
        let y = u8::from(i.wrapping_mul(2_654_435_761) % 100 < 40 + (i % 17) * 2);
        text += &format!("{y},{x},{d},{r},{g},{b}\n");
    }
    let config = SpecConfig::from_toml("spec", spec_text).unwrap();
    let spec = config.clone().check().unwrap();
    let data = read_dataset("kitchen", text.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let fitted = fit(&spec, &data, FitOptions::default()).unwrap();
    Model::new(fitted, config, &data)
}

proptest! {
    /// `evaluate_with` sorts the predictions once for every measure that needs them in
    /// order; each measure must still equal its own function, which sorts for itself, to
    /// the bit — with ties (predictions on a coarse grid) and without.
    #[test]
    fn one_shared_sort_gives_what_each_measure_gives_alone(
        rows in proptest::collection::vec((0u32..40, 0.0..1.0f64, any::<bool>()), 30..300),
        coarse in any::<bool>(),
    ) {
        use recontact_scoring::metrics::{self, Binning, LoessSurface};
        let p: Vec<f64> = rows
            .iter()
            .map(|&(k, u, _)| if coarse { (f64::from(k) + 0.5) / 40.0 } else { 0.01 + 0.98 * u })
            .collect();
        let y: Vec<f64> = rows.iter().map(|&(_, _, y)| f64::from(u8::from(y))).collect();
        let events = y.iter().filter(|&&v| v == 1.0).count();
        prop_assume!(events >= 2 && y.len() - events >= 2);
        let Ok(all) = metrics::evaluate_with(&y, &p, None, 7, LoessSurface::Exact) else {
            // A degenerate loess or Hosmer–Lemeshow fails alone as well; nothing to compare.
            return Ok(());
        };
        let interval = metrics::delong(&y, &p, 0.95).unwrap();
        prop_assert_eq!(all.auc.to_bits(), interval.auc.to_bits());
        prop_assert_eq!(all.auc_ci, [interval.ci_low, interval.ci_high]);
        prop_assert_eq!(&all.roc, &metrics::roc_curve(&y, &p).unwrap());
        prop_assert_eq!(&all.ece.equal_mass.bins, &metrics::bins(&y, &p, 7, Binning::EqualMass).unwrap());
        prop_assert_eq!(&all.ece.equal_width.bins, &metrics::bins(&y, &p, 7, Binning::EqualWidth).unwrap());
        prop_assert_eq!(&all.hosmer_lemeshow, &metrics::hosmer_lemeshow(&y, &p, 10).unwrap());
        let smooth = metrics::loess_calibration_with(&y, &p, LoessSurface::Exact).unwrap();
        prop_assert_eq!(
            [all.ici, all.e50, all.e90, all.emax].map(f64::to_bits),
            [smooth.ici, smooth.e50, smooth.e90, smooth.emax].map(f64::to_bits)
        );
    }

    /// E50 and E90 are type-7 quantiles found by selection; they must equal the
    /// interpolation on the fully sorted errors (checked through the exact loess, whose curve holds every distinct prediction when
    /// there are at most 100).
    #[test]
    fn selected_quantiles_equal_sorted_ones(
        rows in proptest::collection::vec((0.0..1.0f64, any::<bool>()), 20..100),
    ) {
        use recontact_scoring::metrics::{self, LoessSurface};
        let p: Vec<f64> = rows.iter().map(|&(u, _)| 0.02 + 0.96 * u).collect();
        let y: Vec<f64> = rows.iter().map(|&(_, y)| f64::from(u8::from(y))).collect();
        let Ok(smooth) = metrics::loess_calibration_with(&y, &p, LoessSurface::Exact) else {
            return Ok(());
        };
        // The curve holds the smoothed value at each distinct prediction (n < 100).
        let mut errors: Vec<f64> = p
            .iter()
            .map(|&x| {
                let k = smooth.curve.partition_point(|point| point.0 < x);
                (smooth.curve[k].1 - x).abs()
            })
            .collect();
        errors.sort_by(f64::total_cmp);
        let r7 = |q: f64| {
            let h = (errors.len() - 1) as f64 * q;
            let (lo, hi) = (h.floor() as usize, (h.ceil() as usize).min(errors.len() - 1));
            let t = h - lo as f64;
            if t > 0.0 && errors[hi] != errors[lo] { (1.0 - t) * errors[lo] + t * errors[hi] } else { errors[lo] }
        };
        prop_assert_eq!(smooth.e50.to_bits(), r7(0.5).to_bits());
        prop_assert_eq!(smooth.e90.to_bits(), r7(0.9).to_bits());
        prop_assert_eq!(smooth.emax, errors[errors.len() - 1]);
    }
}
