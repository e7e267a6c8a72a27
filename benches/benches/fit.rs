//! Fitting and its parts: CSV bytes to columns, columns to the design matrix, one Newton
//! step on that design, and whole fits from parsed columns and from CSV bytes, at 100k
//! and 1M rows of 20 numeric columns.
#![forbid(unsafe_code)]

use std::sync::OnceLock;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use nalgebra::{DMatrix, DVector};
use recontact_benches::{numeric_csv, simulated_csv};
use recontact_domain::default_spec;
use recontact_scoring::{
    fit, fit_releasing, newton_step, read_dataset, Dataset, Encoding, FitOptions, InvalidRows, Spec,
};

/// One size of the numeric data set. Each stage is built the first time a benchmark
/// needs it, outside any timed loop, and kept for the rest of the run, so a filtered run
/// pays only for the sizes it measures.
struct Numeric {
    /// The benchmark id's parameter, e.g. `1M_x20`.
    id: &'static str,
    rows: usize,
    csv: OnceLock<(Vec<u8>, Spec)>,
    data: OnceLock<Dataset>,
    design: OnceLock<DMatrix<f64>>,
}

impl Numeric {
    const fn new(id: &'static str, rows: usize) -> Self {
        Numeric {
            id,
            rows,
            csv: OnceLock::new(),
            data: OnceLock::new(),
            design: OnceLock::new(),
        }
    }

    fn large(&self) -> bool {
        self.rows >= 1_000_000
    }

    fn csv_and_spec(&self) -> &(Vec<u8>, Spec) {
        self.csv.get_or_init(|| {
            let (csv, config) = numeric_csv(self.rows);
            (csv, config.check().expect("valid spec"))
        })
    }

    fn csv(&self) -> &[u8] {
        &self.csv_and_spec().0
    }

    fn spec(&self) -> &Spec {
        &self.csv_and_spec().1
    }

    fn data(&self) -> &Dataset {
        self.data.get_or_init(|| read_csv(self.csv(), self.spec()))
    }

    fn design(&self) -> &DMatrix<f64> {
        self.design.get_or_init(|| {
            Encoding::learn(self.spec(), self.data())
                .expect("encodable data")
                .design(self.data())
                .expect("design matrix")
        })
    }

    /// Sets `group` up for this size: rows as the throughput, 10 samples, and for the 1M
    /// rows (up to seconds an iteration) flat sampling over `large_time`, long enough for
    /// 10 or more iterations. These times win over `--measurement-time`.
    fn configure(&self, group: &mut BenchmarkGroup<'_, WallTime>, large_time: Duration) {
        group.throughput(Throughput::Elements(self.rows as u64));
        if self.large() {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .measurement_time(large_time);
        } else {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Auto)
                .measurement_time(Duration::from_secs(8));
        }
    }
}

static SIZES: [Numeric; 2] = [
    Numeric::new("100k_x20", 100_000),
    Numeric::new("1M_x20", 1_000_000),
];

fn read_csv(csv: &[u8], spec: &Spec) -> Dataset {
    read_dataset("bench", csv, spec, InvalidRows::Fail).expect("valid data")
}

fn design(c: &mut Criterion) {
    let mut group = c.benchmark_group("design");
    for size in &SIZES {
        size.configure(&mut group, Duration::from_secs(8));
        group.bench_function(BenchmarkId::new("csv_to_columns", size.id), |b| {
            let (csv, spec) = size.csv_and_spec();
            b.iter(|| read_csv(csv, spec))
        });
    }
    for size in &SIZES {
        size.configure(&mut group, Duration::from_secs(3));
        group.bench_function(BenchmarkId::new("columns_to_design", size.id), |b| {
            let (spec, data) = (size.spec(), size.data());
            b.iter(|| {
                Encoding::learn(spec, data)
                    .expect("encodable data")
                    .design(data)
                    .expect("design matrix")
            })
        });
    }
    group.finish();
}

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);

    let csv = simulated_csv(5_000, 11);
    let spec = default_spec()
        .expect("default spec")
        .check()
        .expect("valid default spec");
    group.bench_function("recontact_default_spec_5k", |b| {
        b.iter(|| {
            let data = read_csv(&csv, &spec);
            fit(&spec, &data, FitOptions::default()).expect("fit converges")
        })
    });

    for size in &SIZES {
        size.configure(&mut group, Duration::from_secs(2));
        group.bench_function(BenchmarkId::new("newton_step", size.id), |b| {
            let (x, y) = (size.design(), size.data().outcome.as_slice());
            let beta = DVector::zeros(x.ncols());
            b.iter(|| newton_step(x, y, &beta).expect("positive definite information"))
        });
    }
    for size in &SIZES {
        size.configure(&mut group, Duration::from_secs(10));
        group.bench_function(BenchmarkId::new("from_columns", size.id), |b| {
            let (spec, data) = (size.spec(), size.data());
            b.iter(|| fit(spec, data, FitOptions::default()).expect("fit converges"))
        });
    }
    for size in &SIZES {
        size.configure(&mut group, Duration::from_secs(14));
        group.bench_function(BenchmarkId::new("end_to_end", size.id), |b| {
            let (csv, spec) = size.csv_and_spec();
            b.iter(|| {
                let mut data = read_csv(csv, spec);
                fit_releasing(spec, &mut data, FitOptions::default()).expect("fit converges")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, design, fits);
criterion_main!(benches);
