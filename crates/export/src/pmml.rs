//! The model as a PMML 4.4 document: a `RegressionModel` with `normalizationMethod="logit"`,
//! one derived field per design column (indicators, spline bases, products) and the
//! data's contract (levels, bounds) in the `DataDictionary`, so that a PMML consumer
//! treats as invalid what `recontact score` rejects.

use std::fmt::Write as _;

use crate::{rcs_constants, split_coefficients, ExportError};
use recontact_model::encoding::EncodedTerm;
use recontact_model::model::Model;
use recontact_model::spec::{Bounds, Transform};

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmmlOptions {
    /// The name of the probability output field.
    pub column: String,
    /// The model's name in the document.
    pub model_name: String,
}

impl Default for PmmlOptions {
    fn default() -> Self {
        PmmlOptions {
            column: "p_success".to_string(),
            model_name: "recontact".to_string(),
        }
    }
}

/// Escapes text for an XML attribute value.
fn attribute(text: &str, what: &str) -> Result<String, ExportError> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Parsers turn literal tabs and newlines in attributes into spaces.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(ExportError::Unrepresentable {
                    what: what.to_string(),
                    value: text.to_string(),
                    reason: format!("XML 1.0 cannot hold the character U+{:04X}", c as u32),
                })
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A number in Rust's shortest round-trip form, which is a valid `xs:double`.
fn number(value: f64) -> String {
    format!("{:?}", value + 0.0)
}

/// PMML expression trees, written as XML.
enum Expr {
    Field(String),
    Constant(f64),
    Apply(&'static str, Vec<Expr>),
    NormDiscrete { field: String, value: String },
    Text(String),
}

impl Expr {
    fn apply(function: &'static str, arguments: Vec<Expr>) -> Expr {
        Expr::Apply(function, arguments)
    }

    fn write(&self, out: &mut String, indent: usize) -> Result<(), ExportError> {
        let pad = " ".repeat(indent);
        match self {
            Expr::Field(name) => {
                let _ = writeln!(
                    out,
                    "{pad}<FieldRef field=\"{}\"/>",
                    attribute(name, "field")?
                );
            }
            Expr::Constant(v) => {
                let _ = writeln!(
                    out,
                    "{pad}<Constant dataType=\"double\">{}</Constant>",
                    number(*v)
                );
            }
            Expr::Text(text) => {
                let _ = writeln!(
                    out,
                    "{pad}<Constant dataType=\"string\">{}</Constant>",
                    attribute(text, "constant")?
                );
            }
            Expr::NormDiscrete { field, value } => {
                let _ = writeln!(
                    out,
                    "{pad}<NormDiscrete field=\"{}\" value=\"{}\"/>",
                    attribute(field, "field")?,
                    attribute(value, "level")?
                );
            }
            Expr::Apply(function, arguments) => {
                let _ = writeln!(out, "{pad}<Apply function=\"{function}\">");
                for argument in arguments {
                    argument.write(out, indent + 2)?;
                }
                let _ = writeln!(out, "{pad}</Apply>");
            }
        }
        Ok(())
    }
}

struct Derived {
    name: String,
    expr: Expr,
}

/// The `Interval` of valid values of a number column: its bounds, and for `log1p` values
/// above -1 (open, as the scorer refuses -1 itself). `None` when every number is valid.
fn interval(bounds: Option<&Bounds>, log1p: bool) -> Option<String> {
    let min = bounds.and_then(|b| b.min);
    let (lower, closed) = match (min, log1p) {
        (Some(min), true) if min > -1.0 => (Some(min), true),
        (_, true) => (Some(-1.0), false),
        (min, false) => (min, true),
    };
    let upper = bounds.and_then(|b| b.max);
    if lower.is_none() && upper.is_none() {
        return None;
    }
    let mut out = format!(
        "<Interval closure=\"{}Closed\"",
        if closed { "closed" } else { "open" }
    );
    if let Some(v) = lower {
        let _ = write!(out, " leftMargin=\"{}\"", number(v));
    }
    if let Some(v) = upper {
        let _ = write!(out, " rightMargin=\"{}\"", number(v));
    }
    out.push_str("/>");
    Some(out)
}

/// Writes the model as a PMML 4.4 document.
///
/// Every design column is a derived field named `design:` and the column's name in the
/// model file (`design:contact_type=corporate_recruiter`, `design:days:rcs2`), entering
/// the regression table with its coefficient; the probability is the output field
/// `options.column`. Levels and bounds are declared in the data dictionary with
/// `invalidValueTreatment="returnInvalid"`. Not expressible there, and so not checked by
/// a PMML consumer: a bound's `integer = true`, and the spelling rules of numbers (a
/// consumer parses numbers its own way).
///
/// ```rust
/// use recontact_export::{to_pmml, ExportError, PmmlOptions};
/// use recontact_model::Model;
///
/// let model = Model::from_json("default_model.json", include_str!("../../../data/default_model.json"))?;
/// let pmml = to_pmml(&model, &PmmlOptions::default())?;
/// // Python's xml.etree parses it: root {http://www.dmg.org/PMML-4_4}PMML, version 4.4,
/// // 22 NumericPredictor elements, intercept "1.0114566269239094".
/// assert!(pmml.contains("<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">"));
/// assert_eq!(pmml.matches("<NumericPredictor ").count(), model.terms.len() - 1);
/// assert!(pmml.contains("<RegressionTable targetCategory=\"1\" intercept=\"1.0114566269239094\">"));
/// assert!(pmml.contains("name=\"design:contact_type=corporate_recruiter\""));
/// // XML 1.0 cannot hold a control character such as U+0001.
/// let control = PmmlOptions { column: "p\u{1}".into(), ..PmmlOptions::default() };
/// assert!(matches!(to_pmml(&model, &control), Err(ExportError::Unrepresentable { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_pmml(model: &Model, options: &PmmlOptions) -> Result<String, ExportError> {
    let (intercept, terms) = split_coefficients(model)?;
    let names = model.encoding.names();
    let outcome = &model.spec.outcome;
    let mut dictionary = Dictionary::with_outcome(outcome)?;
    let mut derived: Vec<Derived> = Vec::new();
    let mut design: Vec<(String, f64)> = Vec::new();
    // The derived fields of each main term, by column, in design order.
    let mut components: Vec<(&str, Vec<String>)> = Vec::new();
    for (term, term_names) in with_names(&terms, &names, model.encoding.intercept) {
        let Some(column) = term.term.column_name() else {
            for (name, beta) in term_names.iter().zip(&term.coefficients) {
                design.push((design_name(name), *beta));
            }
            continue;
        };
        let bounds = model.spec.bounds.get(column);
        let exprs = main_term_expressions(term.term, column, bounds, &mut dictionary)?;
        let mut own = Vec::new();
        for ((expr, name), beta) in exprs.into_iter().zip(term_names).zip(&term.coefficients) {
            derived.push(Derived {
                name: design_name(name),
                expr,
            });
            design.push((design_name(name), *beta));
            own.push(design_name(name));
        }
        components.push((column, own));
    }
    for (term, term_names) in with_names(&terms, &names, model.encoding.intercept) {
        if let EncodedTerm::Interaction { between } = term.term {
            derived.extend(interaction_fields(between, term_names, &components)?);
        }
    }
    if let Some(offset) = &model.spec.offset {
        let body = continuous_field(offset, model.spec.bounds.get(offset), false)?;
        dictionary.add_input(offset, body)?;
        design.push((offset.clone(), 1.0));
    }
    for d in &derived {
        if dictionary.inputs.contains(&d.name) || d.name == *outcome {
            return Err(ExportError::Unrepresentable {
                what: "derived field".to_string(),
                value: d.name.clone(),
                reason: "a data column has the same name".to_string(),
            });
        }
    }
    write_document(model, options, &dictionary, &derived, (intercept, &design))
}

/// The name of a design column's derived field.
fn design_name(name: &str) -> String {
    format!("design:{name}")
}

/// Each term with the names of its design columns, in design order.
fn with_names<'t, 'n>(
    terms: &'t [crate::TermCoefficients<'t>],
    names: &'n [String],
    intercept: bool,
) -> Vec<(&'t crate::TermCoefficients<'t>, &'n [String])> {
    let mut name_index = usize::from(intercept);
    terms
        .iter()
        .map(|term| {
            let width = term.coefficients.len();
            let term_names = &names[name_index..name_index + width];
            name_index += width;
            (term, term_names)
        })
        .collect()
}

/// The data dictionary and mining schema being written: one field per input column.
struct Dictionary {
    data_fields: String,
    mining_fields: String,
    inputs: Vec<String>,
}

impl Dictionary {
    /// A dictionary holding the outcome, a 0/1 categorical target.
    fn with_outcome(outcome: &str) -> Result<Dictionary, ExportError> {
        let escaped = attribute(outcome, "outcome")?;
        Ok(Dictionary {
            data_fields: format!(
                "    <DataField name=\"{escaped}\" optype=\"categorical\" dataType=\"string\">\n      \
                 <Value value=\"0\"/>\n      <Value value=\"1\"/>\n    </DataField>\n"
            ),
            mining_fields: format!(
                "      <MiningField name=\"{escaped}\" usageType=\"target\"/>\n"
            ),
            inputs: Vec::new(),
        })
    }

    /// Declares the input column `name` with its data field `body`; invalid and missing
    /// values make the prediction invalid.
    fn add_input(&mut self, name: &str, body: String) -> Result<(), ExportError> {
        let escaped = attribute(name, "column name")?;
        self.data_fields.push_str(&body);
        let _ = writeln!(
            self.mining_fields,
            "      <MiningField name=\"{escaped}\" usageType=\"active\" \
             invalidValueTreatment=\"returnInvalid\" missingValueTreatment=\"returnInvalid\"/>"
        );
        self.inputs.push(name.to_string());
        Ok(())
    }
}

/// The data field of a continuous input, with its interval when it has bounds.
fn continuous_field(
    name: &str,
    bounds: Option<&Bounds>,
    log1p: bool,
) -> Result<String, ExportError> {
    let escaped = attribute(name, "column name")?;
    let mut out =
        format!("    <DataField name=\"{escaped}\" optype=\"continuous\" dataType=\"double\"");
    match interval(bounds, log1p) {
        None => out.push_str("/>\n"),
        Some(interval) => {
            let _ = write!(out, ">\n      {interval}\n    </DataField>\n");
        }
    }
    Ok(out)
}

/// Declares the column a main term reads and returns the expressions of its design
/// columns, in design order.
fn main_term_expressions(
    term: &EncodedTerm,
    column: &str,
    bounds: Option<&Bounds>,
    dictionary: &mut Dictionary,
) -> Result<Vec<Expr>, ExportError> {
    let x = || Expr::Field(column.to_string());
    Ok(match term {
        EncodedTerm::Numeric { transform, .. } => {
            let log1p = *transform == Transform::Log1p;
            dictionary.add_input(column, continuous_field(column, bounds, log1p)?)?;
            vec![if log1p {
                Expr::apply("ln1p", vec![x()])
            } else {
                x()
            }]
        }
        EncodedTerm::Spline { knots, .. } => {
            dictionary.add_input(column, continuous_field(column, bounds, false)?)?;
            let mut e = vec![x()];
            e.extend(knots.iter().map(|&knot| hinge(column, knot)));
            e
        }
        EncodedTerm::Rcs { knots, .. } => {
            dictionary.add_input(column, continuous_field(column, bounds, false)?)?;
            rcs_expressions(column, knots)
        }
        EncodedTerm::Boolean { .. } => {
            let body = format!(
                "    <DataField name=\"{}\" optype=\"categorical\" dataType=\"string\"/>\n",
                attribute(column, "column name")?
            );
            dictionary.add_input(column, body)?;
            vec![boolean_expression(column)]
        }
        EncodedTerm::Categorical {
            levels, reference, ..
        } => {
            dictionary.add_input(column, categorical_field(column, levels)?)?;
            levels
                .iter()
                .filter(|l| *l != reference)
                .map(|l| Expr::NormDiscrete {
                    field: column.to_string(),
                    value: l.clone(),
                })
                .collect()
        }
        EncodedTerm::Interaction { .. } => Vec::new(),
    })
}

/// `max(x - knot, 0)`.
fn hinge(column: &str, knot: f64) -> Expr {
    Expr::apply(
        "max",
        vec![
            Expr::apply(
                "-",
                vec![Expr::Field(column.to_string()), Expr::Constant(knot)],
            ),
            Expr::Constant(0.0),
        ],
    )
}

/// The restricted cubic spline's design columns: `x`, then one column per knot but the
/// last two, as the scorer computes them (linear beyond the last knot).
fn rcs_expressions(column: &str, knots: &[f64]) -> Vec<Expr> {
    let x = || Expr::Field(column.to_string());
    let k = knots.len();
    let (last, before_last, first) = (knots[k - 1], knots[k - 2], knots[0]);
    let norm = (last - first) * (last - first);
    // max(x - t, 0)³ is the scorer's (x - t)₊³, written as a product so that no
    // consumer's pow() rounds differently.
    let cube = |knot: f64| {
        Expr::apply(
            "*",
            vec![
                Expr::apply("*", vec![hinge(column, knot), hinge(column, knot)]),
                hinge(column, knot),
            ],
        )
    };
    let mut e = vec![x()];
    for &knot in &knots[..k - 2] {
        let c = rcs_constants(knot, knots);
        let beyond = Expr::apply(
            "+",
            vec![
                Expr::apply("*", vec![Expr::Constant(c.slope), x()]),
                Expr::Constant(c.constant),
            ],
        );
        let within = Expr::apply(
            "-",
            vec![
                cube(knot),
                Expr::apply("*", vec![cube(before_last), Expr::Constant(c.a)]),
            ],
        );
        let test = Expr::apply("greaterOrEqual", vec![x(), Expr::Constant(last)]);
        e.push(Expr::apply(
            "/",
            vec![
                Expr::apply("if", vec![test, beyond, within]),
                Expr::Constant(norm),
            ],
        ));
    }
    e
}

/// 1 for the true words, 0 for the false ones, case-insensitively. Without an else,
/// `if` gives a missing value: a word that is no boolean makes the prediction missing
/// rather than counting as false.
fn boolean_expression(column: &str) -> Expr {
    let lower = || Expr::apply("lowercase", vec![Expr::Field(column.to_string())]);
    let is_in = |words: &[&str]| {
        let mut arguments = vec![lower()];
        arguments.extend(words.iter().map(|w| Expr::Text((*w).to_string())));
        Expr::apply("isIn", arguments)
    };
    Expr::apply(
        "if",
        vec![
            is_in(&["true", "1", "yes"]),
            Expr::Constant(1.0),
            Expr::apply(
                "if",
                vec![is_in(&["false", "0", "no"]), Expr::Constant(0.0)],
            ),
        ],
    )
}

/// The data field of a categorical input, listing its levels.
fn categorical_field(column: &str, levels: &[String]) -> Result<String, ExportError> {
    let mut body = format!(
        "    <DataField name=\"{}\" optype=\"categorical\" dataType=\"string\">\n",
        attribute(column, "column name")?
    );
    for level in levels {
        let _ = writeln!(
            body,
            "      <Value value=\"{}\"/>",
            attribute(level, "level")?
        );
    }
    body.push_str("    </DataField>\n");
    Ok(body)
}

/// An interaction's derived fields: one product per pair of its main terms' design
/// columns, named as in the model file.
fn interaction_fields(
    [a, b]: &[String; 2],
    term_names: &[String],
    components: &[(&str, Vec<String>)],
) -> Result<Vec<Derived>, ExportError> {
    let of = |c: &str| {
        components
            .iter()
            .find(|(column, _)| *column == c)
            .map(|(_, names)| names.clone())
            .ok_or_else(|| {
                ExportError::Model(format!("an interaction refers to `{c}`, which has no term"))
            })
    };
    let (left, right) = (of(a)?, of(b)?);
    let mut products = term_names.iter();
    let mut fields = Vec::new();
    for l in &left {
        for r in &right {
            let name = products.next().ok_or_else(|| {
                ExportError::Model(format!("interaction {a}:{b} has too few coefficients"))
            })?;
            fields.push(Derived {
                name: design_name(name),
                expr: Expr::apply("*", vec![Expr::Field(l.clone()), Expr::Field(r.clone())]),
            });
        }
    }
    Ok(fields)
}

/// The PMML document: header, dictionary, and the regression model with its schema,
/// output, derived fields and regression tables.
fn write_document(
    model: &Model,
    options: &PmmlOptions,
    dictionary: &Dictionary,
    derived: &[Derived],
    (intercept, design): (f64, &[(String, f64)]),
) -> Result<String, ExportError> {
    let outcome = attribute(&model.spec.outcome, "outcome")?;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n");
    let _ = writeln!(
        out,
        "  <Header description=\"Logistic scoring model: P({outcome} = 1), as `recontact score` \
         computes it\">\n    <Application name=\"recontact\" version=\"{}\"/>\n  </Header>",
        env!("CARGO_PKG_VERSION"),
    );
    let _ = write!(
        out,
        "  <DataDictionary numberOfFields=\"{}\">\n{}  </DataDictionary>\n",
        dictionary.inputs.len() + 1,
        dictionary.data_fields
    );
    let _ = write!(
        out,
        "  <RegressionModel modelName=\"{}\" functionName=\"classification\" \
         normalizationMethod=\"logit\">\n    <MiningSchema>\n{}    </MiningSchema>\n",
        attribute(&options.model_name, "model name")?,
        dictionary.mining_fields
    );
    let _ = writeln!(
        out,
        "    <Output>\n      <OutputField name=\"{}\" optype=\"continuous\" dataType=\"double\" \
         feature=\"probability\" value=\"1\"/>\n    </Output>",
        attribute(&options.column, "output column")?
    );
    out.push_str("    <LocalTransformations>\n");
    for d in derived {
        let _ = writeln!(
            out,
            "      <DerivedField name=\"{}\" optype=\"continuous\" dataType=\"double\">",
            attribute(&d.name, "derived field")?
        );
        d.expr.write(&mut out, 8)?;
        out.push_str("      </DerivedField>\n");
    }
    out.push_str("    </LocalTransformations>\n");
    let _ = writeln!(
        out,
        "    <RegressionTable targetCategory=\"1\" intercept=\"{}\">",
        number(intercept)
    );
    for (name, beta) in design {
        let _ = writeln!(
            out,
            "      <NumericPredictor name=\"{}\" exponent=\"1\" coefficient=\"{}\"/>",
            attribute(name, "predictor")?,
            number(*beta)
        );
    }
    out.push_str("    </RegressionTable>\n");
    out.push_str("    <RegressionTable targetCategory=\"0\" intercept=\"0.0\"/>\n");
    out.push_str("  </RegressionModel>\n</PMML>\n");
    Ok(out)
}
