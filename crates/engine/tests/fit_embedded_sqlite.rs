//! The fit inside an engine against the in-memory fit, on SQLite linked into the test
//! (no server or client needed): the committed data as text columns, as a CSV import
//! leaves them, and a numeric file with weights and an offset.

mod engines;

use recontact_engine::connection::{Connection, EngineError};
use recontact_engine::fit::fit_in_engine;
use recontact_export::Dialect;
use recontact_model::{fit, read_dataset, FitOptions, FittedModel, InvalidRows, Spec, SpecConfig};

/// A connection to an SQLite database in this process.
struct Embedded(rusqlite::Connection);

impl Connection for Embedded {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    fn query(&mut self, sql: &str) -> Result<Vec<String>, EngineError> {
        let failed = |e: rusqlite::Error| EngineError::Query {
            engine: "embedded sqlite".into(),
            message: e.to_string().chars().take(300).collect(),
        };
        let mut statement = self.0.prepare(sql).map_err(failed)?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(failed)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(failed)
    }
    fn describe(&self) -> String {
        "embedded sqlite".into()
    }
}

/// An in-memory database with SQLite's math functions, which the bundled build lacks.
fn database() -> rusqlite::Connection {
    use rusqlite::functions::FunctionFlags;
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let unary = |name: &str, f: fn(f64) -> Option<f64>| {
        db.create_scalar_function(name, 1, flags, move |context| {
            Ok(context.get::<Option<f64>>(0)?.and_then(f))
        })
        .unwrap();
    };
    unary("exp", |x| Some(x.exp()));
    unary("ln", |x| (x > 0.0).then(|| x.ln()));
    unary("floor", |x| Some(x.floor()));
    db
}

fn assert_agree(engine: &FittedModel, memory: &FittedModel, tolerance: f64) {
    assert_eq!(engine.estimates.len(), memory.estimates.len());
    for (e, m) in engine.estimates.iter().zip(&memory.estimates) {
        assert_eq!(e.term, m.term);
        let scale = m.estimate.abs().max(1e-3);
        assert!(
            (e.estimate - m.estimate).abs() <= tolerance * scale,
            "{}: {} vs {}",
            m.term,
            e.estimate,
            m.estimate
        );
        assert!(
            (e.std_error - m.std_error).abs() <= tolerance * m.std_error,
            "{}: se {} vs {}",
            m.term,
            e.std_error,
            m.std_error
        );
    }
    let (e, m) = (&engine.statistics, &memory.statistics);
    assert!((e.log_likelihood - m.log_likelihood).abs() <= tolerance * m.log_likelihood.abs());
    assert!(
        (e.null_log_likelihood - m.null_log_likelihood).abs()
            <= tolerance * m.null_log_likelihood.abs()
    );
}

fn spec(toml: &str) -> Spec {
    SpecConfig::from_toml("spec.toml", toml)
        .unwrap()
        .check()
        .unwrap()
}

#[test]
fn committed_data_fits_as_in_memory() {
    let csv = include_str!("../../../data/recontact_outcomes.csv");
    let spec = spec(include_str!("../../../data/default_spec.toml"));
    let db = database();
    engines::load_text_table(&db, "outcomes", csv);
    let mut connection = Embedded(db);
    let engine = fit_in_engine(
        &mut connection,
        "outcomes",
        &spec,
        FitOptions::default(),
        InvalidRows::Fail,
    )
    .unwrap();
    let data = read_dataset("outcomes.csv", csv.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    let memory = fit(&spec, &data, FitOptions::default()).unwrap();
    assert_agree(&engine.summed.fitted, &memory, 1e-9);
    assert_eq!(engine.summed.rows_used, 5000);
}

fn weighted_offset() -> (String, Spec) {
    let csv = include_str!("../../../tests/data/weighted_offset.csv").to_string();
    (
        csv,
        spec(include_str!("../../../tests/data/weighted_offset.toml")),
    )
}

fn both(
    csv: &str,
    spec: &Spec,
    options: FitOptions,
    invalid: InvalidRows,
) -> (
    recontact_engine::fit::EngineFit,
    FittedModel,
    recontact_model::Dataset,
) {
    let db = database();
    engines::load_text_table(&db, "rows", csv);
    let engine = fit_in_engine(&mut Embedded(db), "rows", spec, options, invalid).unwrap();
    let data = read_dataset("rows.csv", csv.as_bytes(), spec, invalid).unwrap();
    let memory = fit(spec, &data, options).unwrap();
    (engine, memory, data)
}

#[test]
fn weights_offset_default_knots_and_an_interaction_fit_as_in_memory() {
    let (csv, spec) = weighted_offset();
    let (engine, memory, _) = both(&csv, &spec, FitOptions::default(), InvalidRows::Fail);
    assert_agree(&engine.summed.fitted, &memory, 1e-9);
    // The knots come from exact order statistics: the same doubles.
    assert_eq!(engine.summed.fitted.encoding, memory.encoding);
    // Describe, levels, order statistics, profile, the groups' count, design sums,
    // then one query per Newton evaluation of the model and of the null model.
    assert_eq!(
        engine.queries,
        2 + 1 + 1 + 3 + 1 + 1 + 1 + engine.summed.evaluations
    );
}

#[test]
fn an_l2_penalty_fits_as_in_memory() {
    let (csv, spec) = weighted_offset();
    let options = FitOptions {
        l2: 0.5,
        ..FitOptions::default()
    };
    let (engine, memory, _) = both(&csv, &spec, options, InvalidRows::Fail);
    assert_agree(&engine.summed.fitted, &memory, 1e-9);
}

/// The committed numeric file with rows that break each rule.
fn with_bad_rows() -> String {
    let (csv, _) = weighted_offset();
    let mut csv = csv;
    for bad in [
        "0,,3,north,1,0",        // x1 empty
        "1,abc,3,north,1,0",     // x1 not a number
        "0,0.5,2.5,north,1,0",   // x2 not a whole number
        "0,0.5,25,north,1,0",    // x2 out of range
        "2,0.5,3,north,1,0",     // not an outcome
        "1,0.5,3,north,-1,0",    // negative weight
        "1,1e400,3,,1,0",        // x1 overflows, g empty: two problems, one row
        "yes,0.5,4,south,1,0.1", // a valid row: a boolean outcome
    ] {
        csv.push_str(bad);
        csv.push('\n');
    }
    csv
}

#[test]
fn invalid_rows_are_counted_by_reason_as_the_csv_reader_counts_them() {
    let (_, spec) = weighted_offset();
    let csv = with_bad_rows();
    let (engine, memory, data) = both(&csv, &spec, FitOptions::default(), InvalidRows::Drop);
    assert_agree(&engine.summed.fitted, &memory, 1e-9);
    assert_eq!(engine.summed.rows_read, data.rows_read);
    assert_eq!(engine.summed.rows_used, data.len());
    assert_eq!(engine.summed.dropped.rows, 7);
    assert_eq!(engine.summed.dropped.reasons, data.dropped.reasons);
}

#[test]
fn invalid_rows_are_refused_with_their_counts_unless_dropped() {
    let (_, spec) = weighted_offset();
    let db = database();
    engines::load_text_table(&db, "rows", &with_bad_rows());
    let error = fit_in_engine(
        &mut Embedded(db),
        "rows",
        &spec,
        FitOptions::default(),
        InvalidRows::Fail,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("7 of 3008 rows have invalid values"),
        "{error}"
    );
    for reason in [
        "x1: value is empty: 1",
        "x1: not a finite number: 2",
        "x2: not a whole number: 1",
        "x2: out of range: 1",
        "y: not an outcome: 1",
        "w: negative weight: 1",
        "g: value is empty: 1",
    ] {
        assert!(error.contains(reason), "{reason} in {error}");
    }
}

#[test]
fn a_query_as_the_source_and_firth_refused() {
    let (csv, spec) = weighted_offset();
    let db = database();
    engines::load_text_table(&db, "rows", &csv);
    let mut connection = Embedded(db);
    let query = "SELECT * FROM rows WHERE g <> 'east'";
    let engine = fit_in_engine(
        &mut connection,
        query,
        &spec,
        FitOptions::default(),
        InvalidRows::Fail,
    )
    .unwrap();
    let kept: String = csv
        .lines()
        .filter(|l| !l.contains(",east,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let data = read_dataset("rows.csv", kept.as_bytes(), &spec, InvalidRows::Fail).unwrap();
    assert_agree(
        &engine.summed.fitted,
        &fit(&spec, &data, FitOptions::default()).unwrap(),
        1e-9,
    );
    let firth = FitOptions {
        firth: true,
        ..FitOptions::default()
    };
    let error =
        fit_in_engine(&mut connection, "rows", &spec, firth, InvalidRows::Fail).unwrap_err();
    assert!(error.to_string().contains("Firth"), "{error}");
}

#[test]
fn the_default_specs_checks_count_as_the_csv_reader_counts() {
    let mut csv = include_str!("../../../data/recontact_outcomes.csv").to_string();
    for bad in [
        "rc-x1,Agency_Recruiter,interviewed,other,10,open,false,false,true,true,3.0,1", // unknown level
        "rc-x2,agency_recruiter,interviewed,other,10,open,maybe,false,true,true,3.0,1", // not a boolean
        "rc-x3,agency_recruiter,interviewed,other,-1,open,false,false,true,true,3.0,0", // log1p domain
        "rc-x4,agency_recruiter,interviewed,other,10.5,open,false,false,true,true,3.0,0", // whole days
        "rc-x5,agency_recruiter,interviewed,other,10,open,false,false,true,true,61,0", // years range
        "rc-x6,agency_recruiter,interviewed,other,10,open,false,false,true,true,3.0,", // no outcome
        "rc-x7,agency_recruiter,interviewed,other,1e1,open,TRUE,No,true,true,.5,1e0", // valid spellings
    ] {
        csv.push_str(bad);
        csv.push('\n');
    }
    let spec = spec(include_str!("../../../data/default_spec.toml"));
    let (engine, memory, data) = both(&csv, &spec, FitOptions::default(), InvalidRows::Drop);
    assert_agree(&engine.summed.fitted, &memory, 1e-9);
    assert_eq!(engine.summed.rows_used, 5001);
    assert_eq!(engine.summed.dropped.reasons, data.dropped.reasons);
    assert_eq!(data.dropped.rows, 6);
}
