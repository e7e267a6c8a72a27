//! Fitting: the design matrix from parsed columns, and whole fits.
#![forbid(unsafe_code)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use recontact_domain::{default_spec, CaseWriter, Simulator};
use recontact_scoring::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};

fn recontact_csv(rows: u64) -> Vec<u8> {
    let mut writer = CaseWriter::new(Vec::new(), true).expect("in-memory writer");
    for (case, success) in Simulator::new(rows, 11) {
        writer.write(&case, Some(success)).expect("in-memory write");
    }
    writer.into_inner().expect("in-memory flush")
}

/// A CSV of `rows` rows, 20 numeric columns and a 0/1 outcome from a known logistic model.
fn numeric_csv(rows: usize) -> (Vec<u8>, SpecConfig) {
    let mut text = String::from("y");
    for j in 0..20 {
        text += &format!(",x{j}");
    }
    text.push('\n');
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..rows {
        let x: Vec<f64> = (0..20).map(|_| uniform() * 2.0 - 1.0).collect();
        let eta: f64 = x
            .iter()
            .enumerate()
            .map(|(j, v)| v * (j as f64 - 10.0) / 10.0)
            .sum();
        let y = u8::from(uniform() < 1.0 / (1.0 + (-eta).exp()));
        text += &y.to_string();
        for v in x {
            text += &format!(",{v:.6}");
        }
        text.push('\n');
    }
    let mut spec = String::from("outcome = \"y\"\n");
    for j in 0..20 {
        spec += &format!("[[term]]\nkind = \"numeric\"\ncolumn = \"x{j}\"\n");
    }
    (
        text.into_bytes(),
        SpecConfig::from_toml("bench", &spec).expect("valid spec"),
    )
}

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);

    let csv = recontact_csv(5_000);
    let spec = default_spec()
        .expect("default spec")
        .check()
        .expect("valid default spec");
    group.bench_function("recontact_default_spec_5k", |b| {
        b.iter(|| {
            let data = read_dataset("bench", csv.as_slice(), &spec, InvalidRows::Fail)
                .expect("valid data");
            fit(&spec, &data, FitOptions::default()).expect("fit converges")
        })
    });

    let (csv, config) = numeric_csv(100_000);
    let spec = config.check().expect("valid spec");
    let data = read_dataset("bench", csv.as_slice(), &spec, InvalidRows::Fail).expect("valid data");
    group.bench_with_input(
        BenchmarkId::new("csv_to_columns", "100k_x20"),
        &csv,
        |b, csv| {
            b.iter(|| {
                read_dataset("bench", csv.as_slice(), &spec, InvalidRows::Fail).expect("valid data")
            })
        },
    );
    group.bench_with_input(
        BenchmarkId::new("fit_from_columns", "100k_x20"),
        &data,
        |b, data| b.iter(|| fit(&spec, data, FitOptions::default()).expect("fit converges")),
    );
    group.finish();
}

criterion_group!(benches, fits);
criterion_main!(benches);
