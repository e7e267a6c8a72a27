//! The generic reader, the fit behind it (in memory and by passes) and the streaming
//! scorer must return values or typed errors for any bytes, the scorer must account for
//! every row, and a fit by passes must learn the in-memory fit's encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recontact_scoring::{
    fit, fit_streaming, read_dataset, score_csv, BatchOptions, FitOptions, InvalidRows, Model, OnInvalid, SpecConfig,
};

const SPEC: &str = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\ntransform = \"log1p\"\n\
[[term]]\nkind = \"rcs\"\ncolumn = \"r\"\nknots = [0.0, 1.0, 2.0]\n[[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n\
[[term]]\nkind = \"boolean\"\ncolumn = \"b\"\n[[term]]\nkind = \"interaction\"\nbetween = [\"x\", \"g\"]\n";

fn model() -> Model {
    let text = recontact_domain::DEFAULT_MODEL_JSON;
    Model::from_json("default", text).expect("the embedded model loads")
}

fuzz_target!(|data: &[u8]| {
    let config = SpecConfig::from_toml("fuzz", SPEC).expect("the fuzz spec parses");
    let spec = config.clone().check().expect("the fuzz spec is valid");
    for invalid in [InvalidRows::Fail, InvalidRows::Drop] {
        if let Ok(dataset) = read_dataset("fuzz", data, &spec, invalid) {
            let options = FitOptions { max_iterations: 20, ..FitOptions::default() };
            if let Ok(fitted) = fit(&spec, &dataset, options) {
                let memory = Model::new(fitted, config.clone(), &dataset);
                let _ = memory.to_json();
                // The fit by passes learns the same encoding: exact order statistics.
                let mut open = || Ok::<_, std::io::Error>(data);
                if let Ok(streamed) = fit_streaming("fuzz", &mut open, &spec, options, invalid) {
                    assert_eq!(streamed.fitted.encoding, memory.encoding);
                }
            }
        }
    }
    let model = model();
    for on_invalid in [OnInvalid::Fail, OnInvalid::Skip] {
        let options = BatchOptions { on_invalid, ..BatchOptions::default() };
        let mut output = Vec::new();
        let mut rejects = Vec::new();
        if let Ok(report) = score_csv("fuzz", data, &mut output, Some(&mut rejects), &model, &options, &mut |_, _| {}) {
            assert_eq!(report.rows, report.scored + report.rejected);
        }
    }
});
