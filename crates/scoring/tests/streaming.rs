//! A fit by passes over the source gives the in-memory fit's model.

use std::io;

use recontact_scoring::{
    fit, fit_streaming, read_dataset, FitError, FitOptions, InvalidRows, Model, SpecConfig,
};

/// Rows with a spline column, a tied integer column, a categorical, a boolean, their
/// interaction, frequency weights and an offset, and a few invalid rows.
fn source(rows: usize) -> Vec<u8> {
    let mut text = String::from("y,x,count,group,flag,w,o\n");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..rows {
        let x = uniform() * 10.0 - 3.0;
        let count = (uniform() * 6.0).floor();
        let group = ["north", "south", "east"][(uniform() * 3.0) as usize];
        let flag = uniform() < 0.4;
        let eta = 0.3 * x - 0.05 * x * x + 0.2 * count - if group == "south" { 0.7 } else { 0.0 }
            + if flag && group == "east" { 0.9 } else { 0.0 };
        let y = u8::from(uniform() < 1.0 / (1.0 + (-eta).exp()));
        let w = 1 + (uniform() * 3.0) as u32;
        let o = (uniform() - 0.5) * 0.2;
        if i % 997 == 5 {
            // Invalid: an empty x and a boolean nobody can read.
            text += &format!("{y},,{count},{group},perhaps,{w},{o:.4}\n");
        } else {
            text += &format!("{y},{x:.5},{count},{group},{flag},{w},{o:.4}\n");
        }
    }
    text.into_bytes()
}

const SPEC: &str = r#"
outcome = "y"
weights = "w"
offset = "o"
[[term]]
kind = "rcs"
column = "x"
k = 5
[[term]]
kind = "numeric"
column = "count"
[[term]]
kind = "categorical"
column = "group"
[[term]]
kind = "boolean"
column = "flag"
[[term]]
kind = "interaction"
between = ["group", "flag"]
"#;

fn both(rows: usize, options: FitOptions) -> (Model, Model, usize) {
    let bytes = source(rows);
    let config = SpecConfig::from_toml("spec.toml", SPEC).unwrap();
    let spec = config.clone().check().unwrap();
    let data = read_dataset("data.csv", bytes.as_slice(), &spec, InvalidRows::Drop).unwrap();
    let memory = Model::new(fit(&spec, &data, options).unwrap(), config.clone(), &data);
    let mut open = || Ok::<_, io::Error>(bytes.as_slice());
    let streamed = fit_streaming("data.csv", &mut open, &spec, options, InvalidRows::Drop).unwrap();
    let passes = streamed.passes;
    (
        memory,
        Model::from_streamed(streamed, config, "data.csv"),
        passes,
    )
}

fn assert_same(memory: &Model, streamed: &Model) {
    // Knots, levels and summaries are the same values, not approximations.
    assert_eq!(memory.encoding, streamed.encoding);
    assert_eq!(memory.provenance, streamed.provenance);
    assert_eq!(memory.terms.len(), streamed.terms.len());
    for (a, b) in memory.terms.iter().zip(&streamed.terms) {
        assert_eq!(a.term, b.term);
        let scale = a.estimate.abs().max(1.0);
        assert!(
            (a.estimate - b.estimate).abs() <= 1e-9 * scale,
            "{a:?} {b:?}"
        );
        assert!(
            (a.std_error - b.std_error).abs() <= 1e-9 * a.std_error,
            "{a:?} {b:?}"
        );
    }
    let (a, b) = (&memory.statistics, &streamed.statistics);
    assert!((a.log_likelihood - b.log_likelihood).abs() <= 1e-9 * a.log_likelihood.abs());
    assert!(
        (a.null_log_likelihood - b.null_log_likelihood).abs() <= 1e-9 * a.null_log_likelihood.abs()
    );
    assert_eq!((a.n, a.rows, a.events), (b.n, b.rows, b.events));
}

#[test]
fn passes_give_the_in_memory_model() {
    let (memory, streamed, passes) = both(60_000, FitOptions::default());
    assert_same(&memory, &streamed);
    assert!(memory.provenance.rows_dropped > 50);
    // Describe, find the order statistics, the design's scales, Newton, the null model.
    assert!((6..=20).contains(&passes), "{passes} passes");
}

#[test]
fn passes_give_the_in_memory_penalised_model() {
    let options = FitOptions {
        l2: 3.0,
        ..FitOptions::default()
    };
    let (memory, streamed, _) = both(5_000, options);
    assert_same(&memory, &streamed);
}

#[test]
fn few_rows_still_give_the_in_memory_knots() {
    // Under 100 rows the outer knots move to the 5th smallest and largest values.
    let (memory, streamed, _) = both(80, FitOptions::default());
    assert_same(&memory, &streamed);
}

#[test]
fn a_source_that_changes_between_passes_is_refused() {
    let config = SpecConfig::from_toml("spec.toml", SPEC).unwrap();
    let spec = config.check().unwrap();
    let (first, second) = (source(3_000), source(3_001));
    let mut opened = 0;
    let mut open = || {
        opened += 1;
        Ok::<_, io::Error>(if opened == 1 {
            first.as_slice()
        } else {
            second.as_slice()
        })
    };
    let error = fit_streaming(
        "data.csv",
        &mut open,
        &spec,
        FitOptions::default(),
        InvalidRows::Drop,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("changed between two passes"),
        "{error}"
    );
}

#[test]
fn firth_is_refused_rather_than_approximated() {
    let config = SpecConfig::from_toml("spec.toml", SPEC).unwrap();
    let spec = config.check().unwrap();
    let bytes = source(100);
    let mut open = || Ok::<_, io::Error>(bytes.as_slice());
    let options = FitOptions {
        firth: true,
        ..FitOptions::default()
    };
    let error = fit_streaming("data.csv", &mut open, &spec, options, InvalidRows::Drop);
    assert!(matches!(error, Err(FitError::Encoding(m)) if m.contains("Firth")));
}
