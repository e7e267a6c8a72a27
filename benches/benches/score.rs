//! Scoring: one case (encode, dot product, logistic), and batches of 1M in-memory rows,
//! pre-parsed through `Scorer` and as CSV through `score_csv`.
#![forbid(unsafe_code)]

use std::cell::OnceCell;
use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use recontact_benches::{numeric_csv, simulated_csv};
use recontact_domain::{case_values, default_spec, model_inputs, Simulator};
use recontact_scoring::{
    fit, read_dataset, score_csv, BatchOptions, FitOptions, InvalidRows, Model, Scorer, SpecConfig,
    TermInput,
};

/// Rows of each batch.
const BATCH_ROWS: usize = 1_000_000;

/// A model of `config` fitted to `csv`.
fn fitted(csv: &[u8], config: SpecConfig) -> Model {
    let spec = config.clone().check().expect("valid spec");
    let data = read_dataset("bench", csv, &spec, InvalidRows::Fail).expect("valid data");
    Model::new(
        fit(&spec, &data, FitOptions::default()).expect("fit converges"),
        config,
        &data,
    )
}

/// The default re-contact model, fitted to 5,000 simulated cases.
fn model() -> Model {
    fitted(
        &simulated_csv(5_000, 5),
        default_spec().expect("default spec"),
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

fn batches(c: &mut Criterion) {
    let mut group = c.benchmark_group("score");
    group
        .throughput(Throughput::Elements(BATCH_ROWS as u64))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    // Each benchmark's inputs are built on first use (outside the timed loop), so a
    // filtered run skips what it does not measure; its measurement time holds 10 or
    // more iterations.

    group.measurement_time(Duration::from_secs(3));
    let recontact = OnceCell::new();
    group.bench_function(BenchmarkId::new("batch_scorer", "1M"), |b| {
        let (model, inputs, width) = recontact.get_or_init(|| {
            let model = model();
            let width = model.encoding.main_terms().count();
            let mut inputs = Vec::with_capacity(BATCH_ROWS * width);
            for (case, _) in Simulator::new(BATCH_ROWS as u64, 6) {
                inputs.extend(model_inputs(&case_values(&case), &model).expect("known levels"));
            }
            (model, inputs, width)
        });
        let mut scorer = Scorer::new(model);
        b.iter(|| {
            inputs
                .chunks_exact(*width)
                .map(|row| scorer.probability(row))
                .sum::<f64>()
        })
    });

    group.measurement_time(Duration::from_secs(8));
    let numeric = OnceCell::new();
    group.bench_function(BenchmarkId::new("score_csv", "1M_x20"), |b| {
        let (model, csv) = numeric.get_or_init(|| {
            let (train, config) = numeric_csv(100_000);
            (fitted(&train, config), numeric_csv(BATCH_ROWS).0)
        });
        let options = BatchOptions::default();
        b.iter(|| {
            score_csv(
                "bench",
                csv.as_slice(),
                &mut io::sink(),
                None::<&mut Vec<u8>>,
                model,
                &options,
                &mut |_, _| {},
            )
            .expect("valid rows")
        })
    });
    group.finish();
}

criterion_group!(benches, single_case, batches);
criterion_main!(benches);
