//! Parsing single CSV field values the way every reader of this crate does.

/// Parses a boolean: `true`/`false`, `1`/`0` or `yes`/`no`, in any letter case.
pub fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: [&str; 3] = ["true", "1", "yes"];
    const FALSE: [&str; 3] = ["false", "0", "no"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(true)
    } else if FALSE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(false)
    } else {
        None
    }
}

/// Parses a 0/1 outcome: a boolean spelling, or a number equal to 0 or 1 (`1.0`).
pub fn parse_outcome(text: &str) -> Option<f64> {
    if let Some(b) = parse_bool(text) {
        return Some(if b { 1.0 } else { 0.0 });
    }
    match text.parse::<f64>() {
        Ok(v) if v == 0.0 || v == 1.0 => Some(v),
        _ => None,
    }
}

/// Parses a finite number (`NaN`, `inf` and overflowing literals such as `1e400` are not).
pub fn parse_finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Orders category levels: numerically when every level is a number (`2` before `10`),
/// otherwise by Unicode code point, as Python's `sorted` (and so patsy) does.
pub fn sort_levels(levels: &mut [String]) {
    let numbers: Option<Vec<f64>> = levels.iter().map(|l| parse_finite(l)).collect();
    if numbers.is_some() {
        levels.sort_by(|a, b| {
            let (x, y) = (
                parse_finite(a).unwrap_or(0.0),
                parse_finite(b).unwrap_or(0.0),
            );
            x.total_cmp(&y).then_with(|| a.cmp(b))
        });
    } else {
        levels.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_levels_sort_naturally() {
        let mut levels: Vec<String> = ["10", "2", "1.5", "-3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_levels(&mut levels);
        assert_eq!(levels, ["-3", "1.5", "2", "10"]);
        let mut levels: Vec<String> = ["b", "10", "a", "2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_levels(&mut levels);
        assert_eq!(levels, ["10", "2", "a", "b"]);
    }

    #[test]
    fn outcomes_and_numbers() {
        assert_eq!(parse_outcome("1.0"), Some(1.0));
        assert_eq!(parse_outcome("TRUE"), Some(1.0));
        assert_eq!(parse_outcome("2"), None);
        assert_eq!(parse_finite("1e400"), None);
        assert_eq!(parse_finite("NaN"), None);
        assert_eq!(parse_finite("-0.5"), Some(-0.5));
    }
}
