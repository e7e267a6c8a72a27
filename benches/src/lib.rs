//! Data generators shared by the benchmarks in `benches/`: simulated re-contact cases
//! and a synthetic all-numeric data set, both as in-memory CSV bytes.
#![forbid(unsafe_code)]

use std::fmt::Write as _;

use recontact_domain::{CaseWriter, Simulator};
use recontact_scoring::SpecConfig;

/// Columns of [`numeric_csv`] besides the outcome.
pub const NUMERIC_COLUMNS: usize = 20;

/// A CSV (header and outcome) of `rows` simulated re-contact cases drawn from `seed`.
pub fn simulated_csv(rows: u64, seed: u64) -> Vec<u8> {
    let mut writer = CaseWriter::new(Vec::new(), true).expect("in-memory writer");
    for (case, success) in Simulator::new(rows, seed) {
        writer.write(&case, Some(success)).expect("in-memory write");
    }
    writer.into_inner().expect("in-memory flush")
}

/// A CSV of `rows` rows, 20 numeric columns and a 0/1 outcome from a known logistic model,
/// with the spec that fits `y` on every `x` column as a plain numeric term.
///
/// The output depends on `rows` only: the same bytes on every call and every machine.
pub fn numeric_csv(rows: usize) -> (Vec<u8>, SpecConfig) {
    // About 10 bytes per field.
    let mut text = String::with_capacity((rows + 1) * (NUMERIC_COLUMNS * 10 + 2));
    text.push('y');
    for j in 0..NUMERIC_COLUMNS {
        write!(text, ",x{j}").expect("writing to a String");
    }
    text.push('\n');
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = [0.0; NUMERIC_COLUMNS];
    for _ in 0..rows {
        for v in &mut x {
            *v = uniform() * 2.0 - 1.0;
        }
        let eta: f64 = x
            .iter()
            .enumerate()
            .map(|(j, v)| v * (j as f64 - 10.0) / 10.0)
            .sum();
        let y = u8::from(uniform() < 1.0 / (1.0 + (-eta).exp()));
        write!(text, "{y}").expect("writing to a String");
        for v in x {
            write!(text, ",{v:.6}").expect("writing to a String");
        }
        text.push('\n');
    }
    let mut spec = String::from("outcome = \"y\"\n");
    for j in 0..NUMERIC_COLUMNS {
        spec += &format!("[[term]]\nkind = \"numeric\"\ncolumn = \"x{j}\"\n");
    }
    (
        text.into_bytes(),
        SpecConfig::from_toml("bench", &spec).expect("valid spec"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_csv_has_a_header_and_one_line_per_row() {
        let (csv, config) = numeric_csv(50);
        let text = String::from_utf8(csv).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 51);
        assert!(lines[0].starts_with("y,x0,x1,"));
        assert!(lines
            .iter()
            .all(|line| line.split(',').count() == NUMERIC_COLUMNS + 1));
        assert!(lines[1..]
            .iter()
            .all(|line| matches!(&line[..2], "0," | "1,")));
        config.check().expect("valid spec");
    }

    #[test]
    fn numeric_csv_is_the_same_every_time() {
        assert_eq!(numeric_csv(200).0, numeric_csv(200).0);
    }
}
