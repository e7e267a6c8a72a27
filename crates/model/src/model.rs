//! The model file: everything needed to score, report and trace a fit, as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::encoding::{EncodedTerm, Encoding, InputValue, TermInput};
use crate::error::{InputError, ModelError};
use crate::fit::{Estimate, FitOptions, FitStatistics, FittedModel};
use crate::profile::ProfileInterval;
use crate::robust::ClusterSummary;
use crate::spec::SpecConfig;
use crate::spec::Transform;
use crate::streaming::StreamedFit;

pub use crate::model_check::{MAX_COVARIANCE, MAX_MAGNITUDE, MIN_RCS_RELATIVE_GAP, MIN_RCS_SPAN};

/// The newest model-file schema this build reads and the one it writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The data file's name as given (or `<stdin>`).
    pub input_file: String,
    /// SHA-256 of the data file's bytes.
    pub input_sha256: String,
    /// Data rows in the file.
    pub rows_read: u64,
    /// Rows the fit used.
    pub rows_used: usize,
    /// Rows left out by `--drop-invalid`.
    pub rows_dropped: u64,
    /// Why rows were left out, with counts.
    pub dropped_reasons: BTreeMap<String, u64>,
    /// The tool that wrote the file.
    pub tool: String,
    /// Its version.
    pub tool_version: String,
    /// The model this one updates, when it was made by `recontact update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// The SQL engine that fitted the model where the rows live (see
    /// [`Provenance::of_summed`]): `input_file` is then the table or query it read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// The tool name [`Model::new`] and [`Model::from_streamed`] record, kept so that the
/// files they write stay as they were; [`Provenance::of_dataset`] takes any name.
pub const DEFAULT_TOOL: &str = "recontact";

impl Provenance {
    /// The provenance of a fit on `data`, written by `tool` at `tool_version`.
    ///
    /// ```rust
    /// use recontact_model::model::Provenance;
    /// use recontact_model::{read_dataset, InvalidRows, SpecConfig};
    ///
    /// let config = SpecConfig::from_toml("spec.toml", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?;
    /// let spec = config.check()?;
    /// let data = read_dataset("rows.csv", "y,x\n1,2\n0,1\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let provenance = Provenance::of_dataset(&data, "my-tool", "2.1.0");
    /// assert_eq!(provenance.input_file, "rows.csv");
    /// assert_eq!((provenance.rows_read, provenance.rows_used), (2, 2));
    /// assert_eq!((provenance.tool.as_str(), provenance.tool_version.as_str()), ("my-tool", "2.1.0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_dataset(data: &Dataset, tool: &str, tool_version: &str) -> Provenance {
        Provenance {
            input_file: data.source_name.clone(),
            input_sha256: data.sha256.clone(),
            rows_read: data.rows_read,
            rows_used: data.len(),
            rows_dropped: data.dropped.rows,
            dropped_reasons: data.dropped.reasons.clone(),
            tool: tool.to_string(),
            tool_version: tool_version.to_string(),
            parent: None,
            engine: None,
        }
    }

    /// The provenance of a fit by passes over `source_name` (see
    /// [`crate::fit_streaming`]), written by `tool` at `tool_version`.
    ///
    /// ```rust
    /// use recontact_model::model::{sha256_hex, Provenance};
    /// use recontact_model::{fit_streaming, FitOptions, InvalidRows, SpecConfig};
    /// let toml = "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n";
    /// let spec = SpecConfig::from_toml("spec.toml", toml)?.check()?;
    /// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
    /// let mut open = || Ok(csv.as_bytes());
    /// let streamed = fit_streaming("rows.csv", &mut open, &spec, FitOptions::default(), InvalidRows::Fail)?;
    /// let provenance = Provenance::of_streamed(&streamed, "rows.csv", "my-tool", "1.0");
    /// assert_eq!((provenance.rows_read, provenance.rows_used, provenance.rows_dropped), (6, 6, 0));
    /// assert_eq!(provenance.input_sha256, sha256_hex(csv.as_bytes()));
    /// assert_eq!(provenance.tool, "my-tool");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_streamed(
        streamed: &StreamedFit,
        source_name: &str,
        tool: &str,
        tool_version: &str,
    ) -> Provenance {
        Provenance {
            input_file: source_name.to_string(),
            input_sha256: streamed.sha256.clone(),
            rows_read: streamed.rows_read,
            rows_used: streamed.rows_used,
            rows_dropped: streamed.dropped.rows,
            dropped_reasons: streamed.dropped.reasons.clone(),
            tool: tool.to_string(),
            tool_version: tool_version.to_string(),
            parent: None,
            engine: None,
        }
    }

    /// The provenance of a fit from the sums a store computed where the rows live:
    /// `engine` names the store (an SQL engine and where it runs), `source` the table or
    /// query it read. No digest: the rows never came here.
    ///
    /// ```rust
    /// use recontact_model::model::Provenance;
    /// use recontact_model::summed::{fit_by_sums, InMemorySums};
    /// use recontact_model::{read_dataset, FitOptions, InvalidRows, SpecConfig};
    /// let spec = SpecConfig::from_toml("s.toml", "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n")?.check()?;
    /// let data = read_dataset("d.csv", "y,x\n1,3\n0,1\n1,2\n0,2\n".as_bytes(), &spec, InvalidRows::Fail)?;
    /// let summed = fit_by_sums(&mut InMemorySums::new(&data), &spec, FitOptions::default(), InvalidRows::Fail)?;
    /// let provenance = Provenance::of_summed(&summed, "postgres://db:5432/crm", "cases", "my-tool", "1.0");
    /// assert_eq!((provenance.input_file.as_str(), provenance.rows_used), ("cases", 4));
    /// assert_eq!(provenance.engine.as_deref(), Some("postgres://db:5432/crm"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of_summed(
        summed: &crate::summed::SummedFit,
        engine: &str,
        source: &str,
        tool: &str,
        tool_version: &str,
    ) -> Provenance {
        Provenance {
            input_file: source.to_string(),
            input_sha256: String::new(),
            rows_read: summed.rows_read,
            rows_used: summed.rows_used,
            rows_dropped: summed.dropped.rows,
            dropped_reasons: summed.dropped.reasons.clone(),
            tool: tool.to_string(),
            tool_version: tool_version.to_string(),
            parent: None,
            engine: Some(engine.to_string()),
        }
    }

    /// The provenance of a fit on `rows` rows held in memory rather than read from a
    /// file: `input_file` is `source_name` as given, `input_sha256` is empty (there are
    /// no bytes to hash), nothing was dropped.
    ///
    /// ```rust
    /// use recontact_model::model::Provenance;
    /// let provenance = Provenance::in_memory("<memory>", 120, "my-tool", "0.3.0");
    /// assert_eq!(provenance.input_sha256, "");
    /// assert_eq!((provenance.rows_read, provenance.rows_used, provenance.rows_dropped), (120, 120, 0));
    /// ```
    pub fn in_memory(source_name: &str, rows: usize, tool: &str, tool_version: &str) -> Provenance {
        Provenance {
            input_file: source_name.to_string(),
            input_sha256: String::new(),
            rows_read: rows as u64,
            rows_used: rows,
            rows_dropped: 0,
            dropped_reasons: BTreeMap::new(),
            tool: tool.to_string(),
            tool_version: tool_version.to_string(),
            parent: None,
            engine: None,
        }
    }
}

/// The model an updated model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// SHA-256 of the parent model file's bytes.
    pub model_sha256: String,
    /// The updating method that was applied.
    pub method: String,
}

/// SHA-256 of some bytes, in lower-case hex.
///
/// ```rust
/// use recontact_model::sha256_hex;
/// // FIPS 180-2's example, as Python's hashlib.sha256(b"abc").hexdigest() gives it
/// assert_eq!(
///     sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// assert_eq!(sha256_hex(b"").len(), 64);
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fitted logistic scoring model as stored on disk.
///
/// The same data, spec and options give a byte-identical file: no time stamps, fields
/// in a fixed order, numbers in their shortest round-trip form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// The file format's version.
    pub schema_version: u32,
    /// The spec as given.
    pub spec: SpecConfig,
    /// The frozen encoding (levels, references, knots).
    pub encoding: Encoding,
    /// Coefficients with inference, in design-column order.
    pub terms: Vec<Estimate>,
    /// Covariance matrix of the coefficients, rows in design-column order.
    pub covariance: Vec<Vec<f64>>,
    /// Fit statistics.
    pub statistics: FitStatistics,
    /// The options of the fit.
    pub options: FitOptions,
    /// Warnings raised while fitting.
    pub warnings: Vec<String>,
    /// The cluster column and its number of clusters, when `options.covariance_type`
    /// is `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterSummary>,
    /// The profile-likelihood intervals, when `options.interval` is `profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_intervals: Option<Vec<ProfileInterval>>,
    /// Where the model came from.
    pub provenance: Provenance,
}

/// The keys `recontact summary --format json` prints: `terms`, then every fit statistic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'a> {
    /// Coefficients with inference.
    pub terms: &'a [Estimate],
    /// Which covariance the standard errors are: `model`, `hc0`, `hc1` or `cluster`.
    pub covariance_type: &'static str,
    /// The cluster column, for a cluster-robust covariance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<&'a ClusterSummary>,
    /// The kind of the stored intervals: `wald` or `profile`.
    pub interval: &'static str,
    /// The profile-likelihood intervals, when they were computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_intervals: Option<&'a [ProfileInterval]>,
    /// Fit statistics, flattened beside `terms`.
    #[serde(flatten)]
    pub statistics: &'a FitStatistics,
}

/// The steps of [`Scorer::direct_logit`] for an encoding.
fn plan(encoding: &Encoding) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut at = 0;
    // Where each level's indicator sits among its term's components (none for the
    // reference), for every categorical main term.
    let positions = |column: &str| {
        encoding.terms.iter().find_map(|t| match t {
            EncodedTerm::Categorical {
                column: c,
                levels,
                reference,
            } if c == column => Some(indicator_positions(levels, reference)),
            _ => None,
        })
    };
    if encoding.intercept {
        steps.push(Step::Intercept);
        at = 1;
    }
    let input_of = |column: &str| {
        encoding
            .main_terms()
            .position(|t| t.column() == Some(column))
    };
    let term_of = |column: &str| {
        encoding
            .terms
            .iter()
            .position(|t| t.column() == Some(column))
    };
    for term in &encoding.terms {
        let width = encoding.term_width(term);
        let step = match term {
            EncodedTerm::Numeric { column, transform } => {
                input_of(column).map(|input| Step::Value {
                    input,
                    at,
                    log1p: *transform == Transform::Log1p,
                })
            }
            EncodedTerm::Boolean { column } => input_of(column).map(|input| Step::Value {
                input,
                at,
                log1p: false,
            }),
            EncodedTerm::Categorical {
                column,
                levels,
                reference,
            } => input_of(column).map(|input| Step::Level {
                input,
                at: indicator_positions(levels, reference)
                    .into_iter()
                    .map(|p| p.map(|p| at + p))
                    .collect(),
            }),
            EncodedTerm::Spline { column, .. } | EncodedTerm::Rcs { column, .. } => {
                match (input_of(column), term_of(column)) {
                    (Some(input), Some(term)) => Some(Step::Components { input, term, at }),
                    _ => None,
                }
            }
            EncodedTerm::Interaction { between: [a, b] } => {
                match (input_of(a), input_of(b), positions(a), positions(b)) {
                    (Some(ia), Some(ib), Some(left), Some(right)) => Some(Step::LevelPair {
                        inputs: [ia, ib],
                        width: right.iter().flatten().count(),
                        left,
                        right,
                        at,
                    }),
                    _ => None,
                }
                .or_else(|| {
                    match (input_of(a), input_of(b), term_of(a), term_of(b)) {
                        (Some(ia), Some(ib), Some(ta), Some(tb)) => Some(Step::Product {
                            inputs: [ia, ib],
                            terms: [ta, tb],
                            at,
                        }),
                        _ => None,
                    }
                })
            }
        };
        steps.extend(step);
        at += width;
    }
    steps
}

/// For each of `levels`, the position of its indicator among the term's components, or
/// `None` for the reference.
fn indicator_positions(levels: &[String], reference: &str) -> Vec<Option<usize>> {
    let mut next = 0;
    levels
        .iter()
        .map(|level| {
            (level != reference).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// The schema version must be the JSON integer [`SCHEMA_VERSION`]. A float such as `1.0`
/// is refused too: this tool never writes one, so it marks a file made or edited by
/// something else, and accepting it would raise the question of `1.5`.
fn check_schema_version(
    source_name: &str,
    version: Option<&serde_json::Value>,
) -> Result<(), ModelError> {
    use serde_json::Value;
    let source_name = source_name.to_string();
    let not_an_integer = |found: String| ModelError::SchemaVersion {
        source_name: source_name.clone(),
        found: Some(found),
    };
    let version = match version {
        None => {
            return Err(ModelError::SchemaVersion {
                source_name,
                found: None,
            })
        }
        Some(Value::Number(number)) => match (number.as_u64(), number.as_i64()) {
            (Some(version), _) => version,
            (None, Some(negative)) => {
                return Err(ModelError::UnsupportedSchema {
                    source_name,
                    found: negative,
                    supported: SCHEMA_VERSION,
                })
            }
            (None, None) => return Err(not_an_integer(format!("the number {number}"))),
        },
        Some(Value::String(text)) => {
            return Err(not_an_integer(format!(
                "the string {}",
                Value::from(text.as_str())
            )))
        }
        Some(Value::Bool(b)) => return Err(not_an_integer(format!("the boolean {b}"))),
        Some(Value::Null) => return Err(not_an_integer("null".into())),
        Some(Value::Array(_)) => return Err(not_an_integer("an array".into())),
        Some(Value::Object(_)) => return Err(not_an_integer("an object".into())),
    };
    if version > u64::from(SCHEMA_VERSION) {
        return Err(ModelError::NewerSchema {
            source_name,
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 1 {
        return Err(ModelError::UnsupportedSchema {
            source_name,
            found: version as i64,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

impl Model {
    /// Packs a fit with its spec and the provenance of `data`, recording the tool as
    /// [`DEFAULT_TOOL`] at this library's version. To name another tool, or to pack a
    /// fit without its data set, use [`Model::with_provenance`].
    ///
    /// ```rust
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, SpecConfig};
    /// let config = SpecConfig::from_toml(
    ///     "spec.toml",
    ///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
    /// )?;
    /// let spec = config.clone().check()?;
    /// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
    /// let data = read_dataset("rows.csv", csv.as_bytes(), &spec, InvalidRows::Fail)?;
    /// let model = Model::new(fit(&spec, &data, FitOptions::default())?, config, &data);
    /// assert_eq!(model.provenance.tool, "recontact");
    /// assert_eq!(model.provenance.input_file, "rows.csv");
    /// assert_eq!(Model::from_json("m.json", &model.to_json())?, model);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(fitted: FittedModel, spec: SpecConfig, data: &Dataset) -> Model {
        let provenance = Provenance::of_dataset(data, DEFAULT_TOOL, env!("CARGO_PKG_VERSION"));
        Model::with_provenance(fitted, spec, provenance)
    }

    /// Packs a fit made by passes over `source_name` with its spec and provenance,
    /// recording the tool as [`Model::new`] does ([`Provenance::of_streamed`] takes any).
    ///
    /// ```rust
    /// use recontact_model::model::Provenance;
    /// use recontact_model::{fit_streaming, FitOptions, InvalidRows, Model, SpecConfig};
    /// let config = SpecConfig::from_toml(
    ///     "spec.toml",
    ///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
    /// )?;
    /// let spec = config.clone().check()?;
    /// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
    /// let mut open = || Ok(csv.as_bytes());
    /// let streamed = fit_streaming("rows.csv", &mut open, &spec, FitOptions::default(), InvalidRows::Fail)?;
    /// let provenance = Provenance::of_streamed(&streamed, "rows.csv", "my-tool", "1.0");
    /// assert_eq!((provenance.rows_used, provenance.tool.as_str()), (6, "my-tool"));
    /// let model = Model::from_streamed(streamed, config, "rows.csv");
    /// assert_eq!(model.provenance.tool, "recontact");
    /// assert_eq!(model.provenance.input_sha256, provenance.input_sha256);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_streamed(streamed: StreamedFit, spec: SpecConfig, source_name: &str) -> Model {
        let provenance = Provenance::of_streamed(
            &streamed,
            source_name,
            DEFAULT_TOOL,
            env!("CARGO_PKG_VERSION"),
        );
        Model::with_provenance(streamed.fitted, spec, provenance)
    }

    /// Packs a fit with its spec and a provenance of the caller's making (see
    /// [`Provenance::of_dataset`], [`Provenance::in_memory`]): the way to a model file
    /// and a [`Scorer`] when the data set is gone or never was a file.
    ///
    /// ```rust
    /// use recontact_model::encoding::InputValue;
    /// use recontact_model::model::Provenance;
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, Scorer, SpecConfig};
    ///
    /// let config = SpecConfig::from_toml(
    ///     "spec.toml",
    ///     "outcome = \"y\"\n[[term]]\nkind = \"categorical\"\ncolumn = \"g\"\n",
    /// )?;
    /// let spec = config.clone().check()?;
    /// let csv = "y,g\n1,a\n0,a\n0,a\n1,b\n1,b\n0,b\n1,b\n0,a\n";
    /// let data = read_dataset("rows", csv.as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// drop(data);
    ///
    /// let rows = fitted.statistics.rows;
    /// let provenance = Provenance::in_memory("rows", rows, "my-tool", "1.0.0");
    /// let model = Model::with_provenance(fitted, config, provenance);
    /// assert_eq!(model.provenance.tool, "my-tool");
    /// // b has 3 events in 4 rows.
    /// let p = Scorer::new(&model).score_named(&[("g", InputValue::Level("b"))])?;
    /// assert!((p - 0.75).abs() < 1e-9, "{p}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_provenance(fitted: FittedModel, spec: SpecConfig, provenance: Provenance) -> Model {
        let p = fitted.covariance.nrows();
        let covariance = (0..p)
            .map(|a| (0..p).map(|b| fitted.covariance[(a, b)]).collect())
            .collect();
        Model {
            schema_version: SCHEMA_VERSION,
            spec,
            encoding: fitted.encoding,
            terms: fitted.estimates,
            covariance,
            statistics: fitted.statistics,
            options: fitted.options,
            warnings: fitted.warnings.iter().map(ToString::to_string).collect(),
            cluster: fitted.cluster,
            profile_intervals: fitted.profile_intervals,
            provenance,
        }
    }

    /// The model as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a model file, checking its schema version and every invariant of
    /// [`Model::check`]. A leading UTF-8 byte-order mark is ignored.
    ///
    /// ```rust
    /// use recontact_model::{Model, ModelError};
    /// let text = include_str!("../../../data/default_model.json");
    /// let model = Model::from_json("default_model.json", text)?;
    /// assert_eq!(model.spec.outcome, "success");
    /// assert_eq!(model.terms.len(), model.covariance.len());
    /// // Written back, it reads as the same model.
    /// assert_eq!(Model::from_json("again.json", &model.to_json())?, model);
    ///
    /// let error = Model::from_json("m.json", "{}").unwrap_err();
    /// assert!(matches!(error, ModelError::SchemaVersion { found: None, .. }));
    /// assert_eq!(error.to_string(), "m.json: no schema_version: expected the integer 1");
    /// let newer = text.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1);
    /// let error = Model::from_json("m.json", &newer).unwrap_err();
    /// assert!(matches!(error, ModelError::NewerSchema { found: 2, .. }));
    /// assert!(matches!(Model::from_json("m.json", "not json"), Err(ModelError::Format { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(source_name: &str, text: &str) -> Result<Model, ModelError> {
        let format = |message: String| ModelError::Format {
            source_name: source_name.to_string(),
            message,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format(e.to_string()))?;
        check_schema_version(source_name, value.get("schema_version"))?;
        crate::model_check::check_choices(source_name, &value)?;
        let model: Model = serde_json::from_value(value).map_err(|e| format(e.to_string()))?;
        model.check(source_name)?;
        Ok(model)
    }

    /// The coefficients, in design-column order.
    pub fn coefficients(&self) -> Vec<f64> {
        self.terms.iter().map(|t| t.estimate).collect()
    }

    /// The summary a researcher reports.
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            terms: &self.terms,
            covariance_type: self.options.covariance_type.name(),
            cluster: self.cluster.as_ref(),
            interval: self.options.interval.name(),
            profile_intervals: self.profile_intervals.as_deref(),
            statistics: &self.statistics,
        }
    }
}

/// Scores rows with a model's coefficients, reusing its buffers between rows.
#[derive(Debug, Clone)]
pub struct Scorer<'a> {
    encoding: &'a Encoding,
    plan: Vec<Step>,
    coefficients: Vec<f64>,
    row: Vec<f64>,
    scratch: Vec<Vec<f64>>,
    /// Components of the terms a step of the plan multiplies.
    left: Vec<f64>,
    right: Vec<f64>,
}

/// One part of the logit, in design order, for [`Scorer::direct_logit`]. Positions
/// are coefficient indices; `input` indexes the row's main-term inputs.
#[derive(Debug, Clone)]
enum Step {
    Intercept,
    /// A numeric or boolean term: its value (or its log1p) times the coefficient.
    Value {
        input: usize,
        at: usize,
        log1p: bool,
    },
    /// A categorical term: the coefficient of the row's level, none for the reference.
    Level {
        input: usize,
        at: Vec<Option<usize>>,
    },
    /// Any other main term: its components times the coefficients from `at` on.
    Components {
        input: usize,
        term: usize,
        at: usize,
    },
    /// The interaction of two categorical terms: the coefficient of the row's pair of
    /// levels, none when either is the reference. `left` and `right` give each level's
    /// indicator position (as [`Step::Level`] does, from 0); pairs are laid out with the
    /// left term's level outer, `width` per left level.
    LevelPair {
        inputs: [usize; 2],
        left: Vec<Option<usize>>,
        right: Vec<Option<usize>>,
        width: usize,
        at: usize,
    },
    /// The products of two main terms' components, from `at` on.
    Product {
        inputs: [usize; 2],
        terms: [usize; 2],
        at: usize,
    },
}

impl<'a> Scorer<'a> {
    /// A scorer for `model`.
    ///
    /// ```rust
    /// use recontact_model::{reference_inputs, Model, Scorer};
    /// let text = include_str!("../../../data/default_model.json");
    /// let model = Model::from_json("default_model.json", text)?;
    /// let mut scorer = Scorer::new(&model);
    /// let inputs = reference_inputs(&model.encoding);
    /// let logit = scorer.logit(&inputs);
    /// assert_eq!(scorer.probability(&inputs), 1.0 / (1.0 + (-logit).exp()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(model: &'a Model) -> Self {
        Scorer::of(&model.encoding, model.coefficients())
    }

    /// A scorer for a fit not yet packed as a [`Model`]: the same numbers as
    /// `Scorer::new(&Model::new(fitted, ..))`.
    ///
    /// ```rust
    /// use recontact_model::encoding::TermInput;
    /// use recontact_model::{fit, read_dataset, FitOptions, InvalidRows, Model, Scorer, SpecConfig};
    ///
    /// let config = SpecConfig::from_toml(
    ///     "spec.toml",
    ///     "outcome = \"y\"\n[[term]]\nkind = \"numeric\"\ncolumn = \"x\"\n",
    /// )?;
    /// let spec = config.clone().check()?;
    /// let csv = "y,x\n0,1\n0,2\n1,3\n0,4\n1,5\n1,6\n";
    /// let data = read_dataset("rows", csv.as_bytes(), &spec, InvalidRows::Fail)?;
    /// let fitted = fit(&spec, &data, FitOptions::default())?;
    /// let row = [TermInput::Number(3.5)];
    /// let direct = Scorer::for_fitted(&fitted).probability(&row);
    /// let model = Model::new(fitted, config, &data);
    /// assert_eq!(direct, Scorer::new(&model).probability(&row));
    /// assert!((direct - 0.5).abs() < 1e-9, "{direct}"); // the data are symmetric about 3.5
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_fitted(fitted: &'a FittedModel) -> Self {
        Scorer::of(&fitted.encoding, fitted.coefficients())
    }

    /// A scorer for an encoding and its coefficients (one per design column, in the
    /// order of [`Encoding::names`]).
    ///
    /// ```rust
    /// use recontact_model::encoding::{EncodedTerm, Encoding, TermInput};
    /// use recontact_model::Scorer;
    /// let encoding = Encoding {
    ///     intercept: true,
    ///     terms: vec![EncodedTerm::Boolean { column: "flag".into() }],
    ///     summaries: Default::default(),
    /// };
    /// let mut scorer = Scorer::for_encoding(&encoding, vec![-1.0, 2.0]);
    /// assert_eq!(scorer.logit(&[TermInput::Number(1.0)]), 1.0);
    /// ```
    pub fn for_encoding(encoding: &'a Encoding, coefficients: Vec<f64>) -> Self {
        Scorer::of(encoding, coefficients)
    }

    fn of(encoding: &'a Encoding, coefficients: Vec<f64>) -> Self {
        Scorer {
            encoding,
            plan: plan(encoding),
            coefficients,
            row: Vec::new(),
            scratch: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
        }
    }

    /// The linear predictor (logit) of one row, without any offset. `inputs` holds one
    /// value per main term, in the order of [`Encoding::input_columns`].
    ///
    /// Extreme inputs can make it infinite, never NaN unless an input is NaN.
    pub fn logit(&mut self, inputs: &[TermInput]) -> f64 {
        self.encoding
            .encode(inputs, &mut self.row, &mut self.scratch);
        let sum: f64 = self
            .row
            .iter()
            .zip(&self.coefficients)
            .map(|(x, b)| x * b)
            .sum();
        if !sum.is_nan() || self.row.iter().any(|x| x.is_nan()) {
            return sum;
        }
        // Opposite infinite contributions: only the sign of the astronomically large
        // logit matters, so sum the terms scaled down by 2^-1200 where none overflows.
        const DOWN: f64 = 1.0 / (1u128 << 100) as f64;
        let scale = |v: f64| v * DOWN * DOWN * DOWN * DOWN * DOWN * DOWN;
        let scaled: f64 = self
            .row
            .iter()
            .zip(&self.coefficients)
            .map(|(x, b)| scale(*x) * scale(*b))
            .sum();
        if scaled > 0.0 {
            f64::INFINITY
        } else if scaled < 0.0 {
            f64::NEG_INFINITY
        } else {
            0.0
        }
    }

    /// The logit of a row as [`Scorer::logit`] gives it, to the bit, without building
    /// the design row: the non-zero products are added in design order (the zero ones
    /// that the full dot product adds change nothing), so a categorical term is one
    /// lookup. `None` when the sum is NaN, which [`Scorer::logit`] resolves; the row is
    /// not kept for [`Scorer::contributions`].
    pub(crate) fn direct_logit(&mut self, inputs: &[TermInput]) -> Option<f64> {
        let terms = &self.encoding.terms;
        let b = &self.coefficients;
        let number = |input: usize| match inputs.get(input) {
            Some(TermInput::Number(x)) => Some(*x),
            _ => None,
        };
        let mut sum = -0.0;
        for step in &self.plan {
            match step {
                Step::Intercept => sum += 1.0 * b[0],
                Step::Value { input, at, log1p } => {
                    let x = number(*input)?;
                    let x = if *log1p { libm::log1p(x) } else { x };
                    sum += x * b[*at];
                }
                Step::Level { input, at } => {
                    let Some(TermInput::Level(level)) = inputs.get(*input) else {
                        return None;
                    };
                    if let Some(at) = at.get(*level)? {
                        sum += 1.0 * b[*at];
                    }
                }
                Step::LevelPair {
                    inputs: [i, j],
                    left,
                    right,
                    width,
                    at,
                } => {
                    let (Some(TermInput::Level(l)), Some(TermInput::Level(r))) =
                        (inputs.get(*i), inputs.get(*j))
                    else {
                        return None;
                    };
                    // The products of indicators are 0 but for this pair's, so only its
                    // coefficient is added, as for a single categorical term.
                    if let (Some(l), Some(r)) = (*left.get(*l)?, *right.get(*r)?) {
                        sum += 1.0 * b[at + l * width + r];
                    }
                }
                Step::Components { input, term, at } => {
                    let components = &mut self.left;
                    components.clear();
                    terms[*term].push_components(*inputs.get(*input)?, components);
                    for (c, coefficient) in components.iter().zip(&b[*at..]) {
                        sum += c * coefficient;
                    }
                }
                Step::Product {
                    inputs: which,
                    terms: pair,
                    at,
                } => {
                    let (left, right) = (&mut self.left, &mut self.right);
                    left.clear();
                    right.clear();
                    terms[pair[0]].push_components(*inputs.get(which[0])?, left);
                    terms[pair[1]].push_components(*inputs.get(which[1])?, right);
                    let mut k = *at;
                    for l in left.iter() {
                        for r in right.iter() {
                            sum += (l * r) * b[k];
                            k += 1;
                        }
                    }
                }
            }
        }
        (!sum.is_nan()).then_some(sum)
    }

    /// Each design column's contribution (coefficient × value) to the logit of the row
    /// last passed to [`Scorer::logit`] or [`Scorer::probability`].
    pub fn contributions(&self, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.row.iter().zip(&self.coefficients).map(|(x, b)| x * b));
    }

    /// The design values of the row last passed to [`Scorer::logit`] or
    /// [`Scorer::probability`], one per coefficient.
    pub fn design_row(&self) -> &[f64] {
        &self.row
    }

    /// The probability of the outcome for one row, in [0, 1] for any finite inputs.
    pub fn probability(&mut self, inputs: &[TermInput]) -> f64 {
        recontact_stats::distributions::logistic(self.logit(inputs))
    }

    /// The probability of the outcome for one row given by column name, levels by
    /// name (see [`Encoding::inputs_by_name`]): every input column once, in any order.
    ///
    /// ```rust
    /// use recontact_model::encoding::InputValue;
    /// use recontact_model::error::InputError;
    /// use recontact_model::{Model, Scorer};
    ///
    /// let text = include_str!("../../../data/default_model.json");
    /// let model = Model::from_json("default_model.json", text)?;
    /// let mut scorer = Scorer::new(&model);
    /// let row = [
    ///     ("contact_type", InputValue::Level("hiring_manager")),
    ///     ("stage_reached", InputValue::Level("interviewed")),
    ///     ("decline_reason", InputValue::Level("other")),
    ///     ("days_since_decline", InputValue::Number(30.0)),
    ///     ("position_status", InputValue::Level("open")),
    ///     ("same_contact", InputValue::Bool(true)),
    ///     ("misrepresentation", InputValue::Bool(false)),
    ///     ("transparent", InputValue::Bool(true)),
    ///     ("open_to_reinterview", InputValue::Bool(true)),
    ///     ("years_experience", InputValue::Number(5.0)),
    /// ];
    /// let p = scorer.score_named(&row)?;
    /// let inputs = model.encoding.inputs_by_name(&row)?;
    /// assert_eq!(p, scorer.probability(&inputs));
    /// assert!(p > 0.0 && p < 1.0);
    ///
    /// let mut wrong = row;
    /// wrong[0].1 = InputValue::Level("ceo");
    /// let error = scorer.score_named(&wrong).unwrap_err();
    /// assert_eq!(
    ///     error,
    ///     InputError::UnknownLevel {
    ///         column: "contact_type".into(),
    ///         level: "ceo".into(),
    ///         levels: vec![
    ///             "agency_recruiter".into(),
    ///             "corporate_recruiter".into(),
    ///             "hiring_manager".into(),
    ///         ],
    ///     }
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score_named(&mut self, row: &[(&str, InputValue<'_>)]) -> Result<f64, InputError> {
        let inputs = self.encoding.inputs_by_name(row)?;
        Ok(self.probability(&inputs))
    }
}

#[cfg(test)]
mod direct_logit_tests {
    use super::*;
    use crate::{fit, read_dataset, FitOptions, InvalidRows, SpecConfig};

    /// A model with every kind of term: numeric (plain and log1p), boolean, categorical,
    /// spline, restricted cubic spline, and interactions of levels with levels, with a
    /// number and with a spline.
    fn model() -> Model {
        let mut text = String::from("y,a,d,flag,g,h,s,r\n");
        let mut state = 0x853C_49E6_748F_EA9Bu64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..3_000 {
            let (a, d, s, r) = (
                uniform() * 4.0 - 2.0,
                uniform() * 90.0,
                uniform() * 10.0,
                uniform() * 20.0,
            );
            let flag = uniform() < 0.5;
            let g = ["x", "y", "z"][(uniform() * 3.0) as usize];
            let h = ["p", "q"][(uniform() * 2.0) as usize];
            let eta = 0.4 * a - 0.01 * d + 0.1 * s - 0.05 * r + if flag { 0.3 } else { 0.0 };
            let y = u8::from(uniform() < 1.0 / (1.0 + (-eta).exp()));
            text += &format!("{y},{a:.4},{d:.1},{flag},{g},{h},{s:.3},{r:.3}\n");
        }
        let spec = r#"
            outcome = "y"
            [[term]]
            kind = "numeric"
            column = "a"
            [[term]]
            kind = "numeric"
            column = "d"
            transform = "log1p"
            [[term]]
            kind = "boolean"
            column = "flag"
            [[term]]
            kind = "interaction"
            between = ["g", "h"]
            [[term]]
            kind = "categorical"
            column = "g"
            [[term]]
            kind = "categorical"
            column = "h"
            reference = "q"
            [[term]]
            kind = "spline"
            column = "s"
            knots = [3.0, 6.0]
            [[term]]
            kind = "rcs"
            column = "r"
            k = 4
            [[term]]
            kind = "interaction"
            between = ["g", "a"]
            [[term]]
            kind = "interaction"
            between = ["h", "s"]
        "#;
        let config = SpecConfig::from_toml("spec.toml", spec).expect("valid spec");
        let spec = config.clone().check().expect("valid spec");
        let data = read_dataset("data.csv", text.as_bytes(), &spec, InvalidRows::Fail)
            .expect("valid data");
        let fitted = fit(&spec, &data, FitOptions::default()).expect("fit converges");
        Model::new(fitted, config, &data)
    }

    proptest::proptest! {
        #[test]
        fn the_direct_logit_is_the_dot_product_to_the_bit(
            a in -1e3f64..1e3,
            d in 0f64..1e4,
            flag in proptest::bool::ANY,
            g in 0usize..3,
            h in 0usize..2,
            s in -5f64..20.0,
            r in -10f64..40.0,
        ) {
            let model = model_once();
            let mut scorer = Scorer::new(model);
            let inputs = [
                TermInput::Number(a),
                TermInput::Number(d),
                TermInput::Number(f64::from(u8::from(flag))),
                TermInput::Level(g),
                TermInput::Level(h),
                TermInput::Number(s),
                TermInput::Number(r),
            ];
            let direct = scorer.direct_logit(&inputs).expect("finite");
            let full = scorer.logit(&inputs);
            // Equal as numbers (a zero's sign is the only freedom left).
            proptest::prop_assert!(direct == full, "{} {}", direct, full);
        }
    }

    fn model_once() -> &'static Model {
        static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        MODEL.get_or_init(model)
    }
}
