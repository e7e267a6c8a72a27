//! Scoring one case: encode, dot product, logistic.
#![forbid(unsafe_code)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use recontact_domain::{default_spec, CaseWriter, Simulator};
use recontact_scoring::{fit, read_dataset, FitOptions, InvalidRows, Model, Scorer, TermInput};

fn model() -> Model {
    let mut writer = CaseWriter::new(Vec::new(), true).expect("in-memory writer");
    for (case, success) in Simulator::new(5_000, 5) {
        writer.write(&case, Some(success)).expect("in-memory write");
    }
    let csv = writer.into_inner().expect("in-memory flush");
    let config = default_spec().expect("default spec");
    let spec = config.clone().check().expect("valid default spec");
    let data = read_dataset("bench", csv.as_slice(), &spec, InvalidRows::Fail).expect("valid data");
    Model::new(
        fit(&spec, &data, FitOptions::default()).expect("fit converges"),
        config,
        &data,
    )
}

fn single_case(c: &mut Criterion) {
    let model = model();
    let mut scorer = Scorer::new(&model);
    // contact, stage, reason, days, status, four flags, years: one value per main term.
    let inputs = [
        TermInput::Level(1),
        TermInput::Level(2),
        TermInput::Level(0),
        TermInput::Number(12.0),
        TermInput::Level(1),
        TermInput::Number(1.0),
        TermInput::Number(0.0),
        TermInput::Number(1.0),
        TermInput::Number(1.0),
        TermInput::Number(6.5),
    ];
    c.bench_function("score_single_case", |b| {
        b.iter(|| scorer.probability(black_box(&inputs)))
    });
}

criterion_group!(benches, single_case);
criterion_main!(benches);
