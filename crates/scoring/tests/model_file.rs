//! The model file: deterministic bytes, a faithful round trip, clear refusals.

use recontact_scoring::{
    fit, read_dataset, FitOptions, InvalidRows, Model, ModelError, Scorer, SpecConfig, TermInput,
};

const SPEC: &str = "outcome = \"grade\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"gpa\"\n\
[[term]]\nkind = \"rcs\"\ncolumn = \"tuce\"\nknots = [18.0, 22.0, 26.0]\n\
[[term]]\nkind = \"categorical\"\ncolumn = \"psi\"\n";

fn model() -> Model {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spector.csv");
    let config = SpecConfig::from_toml("spec", SPEC).unwrap();
    let spec = config.clone().check().unwrap();
    let file = std::fs::File::open(path).unwrap();
    let data = read_dataset("spector.csv", file, &spec, InvalidRows::Fail).unwrap();
    Model::new(
        fit(&spec, &data, FitOptions::default()).unwrap(),
        config,
        &data,
    )
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    assert_eq!(model().to_json(), model().to_json());
}

#[test]
fn a_written_model_reads_back_equal_and_scores_the_same() {
    let original = model();
    let text = original.to_json();
    let read = Model::from_json("m.json", &text).unwrap();
    assert_eq!(read, original);
    assert_eq!(read.provenance.input_file, "spector.csv");
    assert_eq!(read.provenance.input_sha256.len(), 64);
    assert_eq!(read.provenance.rows_used, 32);
    let inputs = [
        TermInput::Number(3.1),
        TermInput::Number(23.0),
        TermInput::Level(1),
    ];
    let (a, b) = (
        Scorer::new(&original).probability(&inputs),
        Scorer::new(&read).probability(&inputs),
    );
    assert_eq!(a.to_bits(), b.to_bits());
    assert!(
        text.contains("\"psi=1\""),
        "categorical dummies are named column=level"
    );
}

#[test]
fn the_provenance_hash_is_the_input_files_sha256() {
    // sha256sum tests/fixtures/spector.csv
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spector.csv"
    ))
    .unwrap();
    assert_eq!(bytes.len(), 400);
    assert_eq!(
        model().provenance.input_sha256,
        "033da2ad5ef3d9c22db23e45577fdbcfa02283e15297214f77c41141f2b6842a"
    );
}

#[test]
fn unusable_files_are_refused_with_reasons() {
    let text = model().to_json();
    let newer = text.replacen("\"schema_version\": 1", "\"schema_version\": 9", 1);
    assert!(matches!(
        Model::from_json("m.json", &newer),
        Err(ModelError::NewerSchema {
            found: 9,
            supported: 1,
            ..
        })
    ));
    let truncated = &text[..text.len() / 2];
    let error = Model::from_json("m.json", truncated).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("m.json: not a recontact model file: EOF"),
        "{error}"
    );
    let tampered = text.replacen("\"term\": \"gpa\"", "\"term\": \"gpa2\"", 1);
    let error = Model::from_json("m.json", &tampered).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("coefficient `gpa2` stands where the encoding has `gpa`"),
        "{error}"
    );
    assert!(Model::from_json("m.json", "{}").is_err());
}
