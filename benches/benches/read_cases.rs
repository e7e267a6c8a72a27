//! Reading and validating re-contact CSV rows.
#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use recontact_benches::simulated_csv;
use recontact_domain::{CaseReader, OutcomeColumn, Simulator};

fn read_cases(c: &mut Criterion) {
    let csv = simulated_csv(100_000, 1);
    let mut group = c.benchmark_group("read_cases");
    group.throughput(Throughput::Bytes(csv.len() as u64));
    group.bench_function("100k_rows", |b| {
        b.iter(|| {
            let reader = CaseReader::new("bench", csv.as_slice(), OutcomeColumn::Required)
                .expect("valid header");
            reader.filter(Result::is_ok).count()
        })
    });
    group.finish();
}

fn simulate(c: &mut Criterion) {
    c.bench_function("simulate_10k", |b| {
        b.iter(|| Simulator::new(10_000, 3).count())
    });
}

criterion_group!(benches, read_cases, simulate);
criterion_main!(benches);
