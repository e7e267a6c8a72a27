//! Invariants that must hold for any input: no row lost or invented, the same bytes
//! every time, finite numbers at any scale.

use proptest::prelude::*;
use recontact_scoring::distributions::{log1p_exp, logistic};
use recontact_scoring::{
    fit, read_dataset, score_csv, BatchOptions, FitOptions, InvalidRows, Model, OnInvalid,
    SpecConfig,
};

fn model() -> Model {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/default_model.json"
    ))
    .unwrap();
    Model::from_json("default_model.json", &text).unwrap()
}

const HEADER: &str =
    "case_id,contact_type,stage_reached,decline_reason,days_since_decline,position_status,\
same_contact,misrepresentation,transparent,open_to_reinterview,years_experience";

/// A row: good, or broken in one of several ways.
fn row() -> impl Strategy<Value = String> {
    let good =
        "x,agency_recruiter,screening_call,accepted_other_offer,3,open,true,false,true,true,4.5";
    prop_oneof![
        Just(good.to_string()),
        Just(good.replace("agency_recruiter", "agency")),
        Just(good.replace(",3,", ",-3,")),
        Just(good.replace(",4.5", ",NaN")),
        Just(good.replace(",true,false,", ",maybe,false,")),
        Just("x,agency_recruiter".to_string()),
        Just(format!("{good},extra")),
        Just(good.replacen('x', "\"quoted, with\nnewline\"", 1)),
        "[a-z,\"]{0,30}",
    ]
}

fn run(
    input: &str,
    on_invalid: OnInvalid,
) -> (
    Result<recontact_scoring::BatchReport, String>,
    Vec<u8>,
    Vec<u8>,
) {
    let model = model();
    let options = BatchOptions {
        on_invalid,
        ..BatchOptions::default()
    };
    let (mut output, mut rejects) = (Vec::new(), Vec::new());
    let result = score_csv(
        "p",
        input.as_bytes(),
        &mut output,
        Some(&mut rejects),
        &model,
        &options,
        &mut |_, _| {},
    )
    .map_err(|e| e.to_string());
    (result, output, rejects)
}

proptest! {
    #[test]
    fn rows_in_equal_rows_scored_plus_rows_rejected(rows in proptest::collection::vec(row(), 0..30), crlf in any::<bool>()) {
        let end = if crlf { "\r\n" } else { "\n" };
        let input = format!("{HEADER}{end}{}{end}", rows.join(end));
        let (result, output, rejects) = run(&input, OnInvalid::Skip);
        let report = result.unwrap();
        prop_assert_eq!(report.rows, report.scored + report.rejected);
        // The header is always written, and the rejects' header too.
        prop_assert!(output.starts_with(HEADER.as_bytes()));
        prop_assert!(rejects.starts_with(b"line,reason,"));
    }

    #[test]
    fn scoring_is_deterministic_byte_for_byte(rows in proptest::collection::vec(row(), 0..30)) {
        let input = format!("{HEADER}\n{}\n", rows.join("\n"));
        let first = run(&input, OnInvalid::Skip);
        let second = run(&input, OnInvalid::Skip);
        prop_assert_eq!(first.1, second.1);
        prop_assert_eq!(first.2, second.2);
    }

    #[test]
    fn the_logistic_and_log_likelihood_terms_are_finite_for_any_logit(eta in prop_oneof![-1e300..1e300f64, -800.0..800.0f64]) {
        let p = logistic(eta);
        prop_assert!((0.0..=1.0).contains(&p));
        let softplus = log1p_exp(eta);
        prop_assert!(softplus.is_finite() && softplus >= 0.0);
        // The log-likelihood of one observation, y η − ln(1 + e^η), for either outcome.
        for y in [0.0, 1.0] {
            prop_assert!((y * eta - softplus).is_finite());
        }
    }
}

#[test]
fn a_column_scaled_by_1e9_converges_with_coefficients_on_its_own_scale() {
    let spec_text = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"big\"\n";
    let mut small = String::from("y,x,big\n");
    let mut scaled = String::from("y,x,big\n");
    for i in 0..200u32 {
        let x = f64::from(i % 13) / 3.0;
        let z = f64::from((i * 7) % 11) / 5.0;
        let y =
            u8::from(i.wrapping_mul(2_654_435_761) % 100 < 30 + (i % 13) * 3 + (i * 7 % 11) * 2);
        small += &format!("{y},{x},{z}\n");
        scaled += &format!("{y},{x},{}\n", z * 1e9);
    }
    let spec = SpecConfig::from_toml("s", spec_text)
        .unwrap()
        .check()
        .unwrap();
    let fit_text = |text: &str| {
        let data = read_dataset("d", text.as_bytes(), &spec, InvalidRows::Fail).unwrap();
        fit(&spec, &data, FitOptions::default()).unwrap()
    };
    let (a, b) = (fit_text(&small), fit_text(&scaled));
    assert!(b.statistics.converged);
    let (ca, cb) = (a.coefficients(), b.coefficients());
    assert!(
        (ca[2] / 1e9 - cb[2]).abs() <= 1e-8 * cb[2].abs(),
        "{} vs {}",
        ca[2] / 1e9,
        cb[2]
    );
    assert!((ca[1] - cb[1]).abs() <= 1e-8 * ca[1].abs());
    assert!((a.statistics.log_likelihood - b.statistics.log_likelihood).abs() < 1e-9);
}
