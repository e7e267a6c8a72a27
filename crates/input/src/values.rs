//! Parsing single CSV field values the way every reader of this crate does.

/// Parses a boolean: `true`/`false`, `1`/`0` or `yes`/`no`, in any letter case.
///
/// ```
/// use recontact_input::values::parse_bool;
///
/// assert_eq!(parse_bool("Yes"), Some(true));
/// assert_eq!(parse_bool("0"), Some(false));
/// assert_eq!(parse_bool("maybe"), None);
/// ```
pub fn parse_bool(text: &str) -> Option<bool> {
    parse_bool_bytes(text.as_bytes())
}

/// [`parse_bool`] on a field's bytes (every spelling it accepts is ASCII).
///
/// ```
/// use recontact_input::values::parse_bool_bytes;
///
/// assert_eq!(parse_bool_bytes(b"FALSE"), Some(false));
/// assert_eq!(parse_bool_bytes(b"t"), None);
/// ```
pub fn parse_bool_bytes(text: &[u8]) -> Option<bool> {
    // The usual spellings first, compared exactly.
    match text {
        b"true" | b"1" => return Some(true),
        b"false" | b"0" => return Some(false),
        _ => {}
    }
    const TRUE: [&[u8]; 3] = [b"true", b"1", b"yes"];
    const FALSE: [&[u8]; 3] = [b"false", b"0", b"no"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(true)
    } else if FALSE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(false)
    } else {
        None
    }
}

/// Parses a 0/1 outcome: a boolean spelling, or a number equal to 0 or 1 (`1.0`).
///
/// ```
/// use recontact_input::values::parse_outcome;
///
/// assert_eq!(parse_outcome("1.0"), Some(1.0));
/// assert_eq!(parse_outcome("no"), Some(0.0));
/// assert_eq!(parse_outcome("0.5"), None);
/// ```
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
///
/// Accepts exactly what Rust's `f64` parser accepts and gives the same value; plain
/// decimals of up to 15 digits (nearly every value in a data file) take a shorter road.
///
/// ```
/// use recontact_input::values::parse_finite;
///
/// assert_eq!(parse_finite("0.1"), "0.1".parse().ok()); // the same double as Rust's parser
/// assert_eq!(parse_finite("-2.5e3"), Some(-2500.0));
/// assert_eq!(parse_finite("1e400"), None); // overflows
/// assert_eq!(parse_finite("NaN"), None);
/// ```
pub fn parse_finite(text: &str) -> Option<f64> {
    if let Some(value) = parse_plain_decimal(text.as_bytes()) {
        return Some(value);
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `[+-]?digits[.digits]` with at most 15 digits, or `None` for anything else.
///
/// With at most 15 digits the digits form an integer below 2^53 and at most 15 of them
/// follow the point, so both the integer and the power of ten are exact doubles and one
/// correctly rounded division gives the correctly rounded value (Clinger's fast path):
/// the same double as the general parser.
///
/// ```
/// use recontact_input::values::parse_plain_decimal;
///
/// assert_eq!(parse_plain_decimal(b"123.456"), Some(123.456));
/// assert_eq!(parse_plain_decimal(b"1e3"), None); // not plain: the general parser reads it
/// assert_eq!(parse_plain_decimal(b"1234567890123456"), None); // 16 digits
/// ```
pub fn parse_plain_decimal(bytes: &[u8]) -> Option<f64> {
    let (value, used) = scan_plain_decimal(bytes);
    value.filter(|_| used == bytes.len())
}

/// Reads a plain decimal (as [`parse_plain_decimal`] defines it) from the start of
/// `bytes`, stopping at the first byte that cannot continue it: the value, if the bytes
/// read form one, and how many were read (never past a comma).
///
/// ```
/// use recontact_input::values::scan_plain_decimal;
///
/// assert_eq!(scan_plain_decimal(b"42.5,rest"), (Some(42.5), 4));
/// assert_eq!(scan_plain_decimal(b"x").0, None);
/// ```
pub fn scan_plain_decimal(bytes: &[u8]) -> (Option<f64>, usize) {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    // Signs come in random order in data: decided without a branch to mispredict.
    let first = bytes.first().copied().unwrap_or(0);
    let negative = first == b'-';
    let mut i = usize::from(negative | (first == b'+'));
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut take_digits = |i: &mut usize, digits: &mut usize| {
        // Eight bytes at a time while the field has them (a six-decimal fraction is one
        // step), then byte by byte. Beyond 15 digits the value is refused, so the
        // mantissa stops growing there, before it could overflow.
        while let Some(word) = bytes
            .get(*i..*i + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
        {
            let run = leading_digits(word);
            if run == 0 {
                return;
            }
            if *digits + run <= 15 {
                mantissa = mantissa * TENS[run] + digits_value(word, run);
            }
            *digits += run;
            *i += run;
            if run < 8 {
                return;
            }
        }
        while let Some(digit) = bytes
            .get(*i)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|d| *d < 10)
        {
            if *digits < 15 {
                mantissa = mantissa * 10 + u64::from(digit);
            }
            *digits += 1;
            *i += 1;
        }
    };
    take_digits(&mut i, &mut digits);
    let whole = digits;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        take_digits(&mut i, &mut digits);
    }
    if digits == 0 || digits > 15 {
        return (None, i);
    }
    // Below 2^53 the integer converts exactly (as i64, one instruction).
    let magnitude = (mantissa as i64) as f64 / POWERS[digits - whole];
    let sign = f64::from_bits(u64::from(negative) << 63 | 1f64.to_bits());
    (Some(magnitude * sign), i)
}

/// Powers of ten that fit in a `u64`, up to the eighth.
const TENS: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many of the eight bytes of `word` (first byte lowest) are ASCII digits before
/// the first that is not.
fn leading_digits(word: u64) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Per byte: b - '0' is below 10 for a digit. Borrows and carries only move upward,
    // so every byte up to the first non-digit is judged correctly.
    let offset = word.wrapping_sub(ONES * u64::from(b'0'));
    let flags = (offset.wrapping_add(ONES * 0x76) | offset) & (ONES * 0x80);
    (flags.trailing_zeros() / 8) as usize
}

/// The number the first `run` (1 to 8) digit bytes of `word` spell.
fn digits_value(word: u64, run: usize) -> u64 {
    // Digits moved to the top bytes, zeros below: leading zeros of an eight-digit number.
    let mut v = word.wrapping_sub(0x3030_3030_3030_3030) << (8 * (8 - run));
    // Pairs, then fours, then all eight (the byte-wise method of fast_float).
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let mask = 0x0000_00FF_0000_00FF;
    let pairs = (v & mask).wrapping_mul(100 + (1_000_000 << 32));
    let quads = ((v >> 16) & mask).wrapping_mul(1 + (10_000 << 32));
    pairs.wrapping_add(quads) >> 32
}

/// Orders category levels: numerically when every level is a number (`2` before `10`),
/// otherwise by Unicode code point, as Python's `sorted` (and so patsy) does.
///
/// ```
/// use recontact_input::values::sort_levels;
///
/// let mut numbers = vec!["10".to_string(), "2".into(), "1".into()];
/// sort_levels(&mut numbers);
/// assert_eq!(numbers, ["1", "2", "10"]);
/// let mut words = vec!["b".to_string(), "B".into(), "a".into()];
/// sort_levels(&mut words); // Python: sorted(["b", "B", "a"]) == ["B", "a", "b"]
/// assert_eq!(words, ["B", "a", "b"]);
/// ```
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

/// Finds a field's level among a categorical term's levels by its bytes.
///
/// Each level is keyed by its length and first eight bytes, compared as one word; the
/// rest is compared a word at a time. Scoring the re-contact file spent 9 % of its time
/// in the plain search (a length test and a `memcmp` call per level and field).
#[derive(Debug, Clone)]
pub struct LevelIndex {
    keys: Vec<(usize, u64)>,
    levels: Vec<Vec<u8>>,
}

impl LevelIndex {
    /// An index of `levels`, looked up by their bytes.
    ///
    /// ```
    /// use recontact_input::values::LevelIndex;
    ///
    /// let index = LevelIndex::new(&["north".into(), "south".into()]);
    /// assert_eq!(index.find(b"south"), Some(1));
    /// assert_eq!(index.find(b"east"), None);
    /// ```
    pub fn new(levels: &[String]) -> LevelIndex {
        LevelIndex {
            keys: levels.iter().map(|l| key(l.as_bytes())).collect(),
            levels: levels.iter().map(|l| l.as_bytes().to_vec()).collect(),
        }
    }

    /// The position of the level spelled `raw`, if any.
    pub fn find(&self, raw: &[u8]) -> Option<usize> {
        let wanted = key(raw);
        // Two levels may share a key (same length and first eight bytes): look on.
        (0..self.keys.len()).find(|&k| {
            self.keys[k] == wanted && (raw.len() <= 8 || same_words(&self.levels[k], raw))
        })
    }
}

/// The length and the first eight bytes (zero-padded) of `bytes`.
fn key(bytes: &[u8]) -> (usize, u64) {
    let head = match bytes.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        None => bytes
            .iter()
            .rev()
            .fold(0, |word, &b| (word << 8) | u64::from(b)),
    };
    (bytes.len(), head)
}

/// Whether two slices of one length, longer than eight bytes and equal in their first
/// eight, hold the same bytes: compared a word at a time, the last word overlapping the
/// one before it.
fn same_words(a: &[u8], b: &[u8]) -> bool {
    let word = |bytes: &[u8], at: usize| {
        u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
    };
    let last = a.len() - 8;
    (8..last).step_by(8).all(|at| word(a, at) == word(b, at)) && word(a, last) == word(b, last)
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
        assert_eq!(
            parse_finite("-0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
    }

    #[test]
    fn plain_decimals_of_every_length_parse_as_rust_does() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..200_000 {
            let mut text = String::new();
            match next(3) {
                0 => text.push('-'),
                1 => text.push('+'),
                _ => {}
            }
            for _ in 0..next(12) {
                text.push(char::from(b'0' + next(10) as u8));
            }
            if next(4) > 0 {
                text.push('.');
                for _ in 0..next(14) {
                    text.push(char::from(b'0' + next(10) as u8));
                }
            }
            if next(8) == 0 {
                text.push([',', 'e', 'x', '.'][next(4) as usize]);
            }
            let ours = parse_finite(&text).map(f64::to_bits);
            let rust = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(f64::to_bits);
            assert_eq!(ours, rust, "{text}");
        }
    }

    proptest::proptest! {
        /// The short road and Rust's parser agree on acceptance and on every bit.
        #[test]
        fn plain_decimals_parse_as_rust_does(
            text in "[+-]?[0-9]{0,17}(\\.[0-9]{0,17})?([eE][+-]?[0-9]{1,3})?|[+-.0-9a-z]{0,6}"
        ) {
            let ours = parse_finite(&text).map(f64::to_bits);
            let rust = text.parse::<f64>().ok().filter(|v| v.is_finite()).map(f64::to_bits);
            proptest::prop_assert_eq!(ours, rust, "{}", text);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_level_index_finds_what_a_plain_search_finds(
            levels in proptest::collection::vec("[ab_]{0,20}", 1..8),
            probe in "[ab_]{0,20}",
            pick in 0usize..8,
        ) {
            let index = super::LevelIndex::new(&levels);
            let plain = |raw: &[u8]| levels.iter().position(|l| l.as_bytes() == raw);
            proptest::prop_assert_eq!(index.find(probe.as_bytes()), plain(probe.as_bytes()));
            let level = levels[pick % levels.len()].as_bytes();
            proptest::prop_assert_eq!(index.find(level), plain(level));
        }
    }
}
