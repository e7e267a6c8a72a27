//! Any text given as a model file loads into a consistent model or a typed error, and a
//! loaded model scores, explains and exports without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recontact_scoring::export::{pmml::PmmlOptions, sql::{Dialect, SqlOptions}, to_pmml, to_sql};
use recontact_scoring::{explain, predict, reference_inputs, scorecard, Model, Scaling};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(model) = Model::from_json("fuzz", text) else { return };
    let inputs = reference_inputs(&model.encoding);
    let _ = predict(&model, &inputs, 0.95);
    let _ = explain(&model, &inputs);
    let _ = scorecard(&model, Scaling::default());
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Duckdb, Dialect::Spark] {
        let options = SqlOptions { dialect, ..SqlOptions::default() };
        let _ = to_sql(&model, &options);
    }
    let _ = to_pmml(&model, &PmmlOptions::default());
});
