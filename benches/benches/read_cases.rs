//! Reading and validating re-contact CSV rows.
#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use recontact_domain::{CaseReader, CaseWriter, OutcomeColumn, Simulator};

fn simulated_csv(rows: u64) -> Vec<u8> {
    let mut writer = CaseWriter::new(Vec::new(), true).expect("in-memory writer");
    for (case, success) in Simulator::new(rows, 1) {
        writer.write(&case, Some(success)).expect("in-memory write");
    }
    writer.into_inner().expect("in-memory flush")
}

fn read_cases(c: &mut Criterion) {
    let csv = simulated_csv(100_000);
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
