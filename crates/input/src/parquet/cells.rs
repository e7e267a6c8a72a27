//! The text of Arrow's dates, timestamps, times of day and decimals, and back: the forms
//! a CSV export holds (`2024-03-01`, `2024-03-01T09:30:00.5Z`, `09:30:00`, `12.50`),
//! written when a Parquet file is read as text and parsed when text is written back.

use arrow_schema::TimeUnit;

/// The civil date `days` after 1970-01-01 (proleptic Gregorian), as year, month, day.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The days from 1970-01-01 to a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

pub(super) fn write_date(out: &mut String, days: i64) {
    use std::fmt::Write as _;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}");
}

/// Units of `unit` in a second, and the digits of a fraction of a second in it.
fn per_second(unit: TimeUnit) -> (i64, usize) {
    match unit {
        TimeUnit::Second => (1, 0),
        TimeUnit::Millisecond => (1_000, 3),
        TimeUnit::Microsecond => (1_000_000, 6),
        TimeUnit::Nanosecond => (1_000_000_000, 9),
    }
}

/// `2024-03-01T09:30:00`, a fraction when there is one, and `Z` for a zoned timestamp
/// (stored as UTC).
pub(super) fn write_timestamp(out: &mut String, value: i64, unit: TimeUnit, zoned: bool) {
    let (per, digits) = per_second(unit);
    let (seconds, fraction) = (value.div_euclid(per), value.rem_euclid(per));
    write_date(out, seconds.div_euclid(86_400));
    out.push('T');
    write_clock(out, seconds.rem_euclid(86_400), fraction, digits);
    if zoned {
        out.push('Z');
    }
}

/// A time of day, `09:30:00` with the fraction of a second when there is one, from its
/// value in `unit` since midnight.
pub(super) fn write_time(out: &mut String, value: i64, unit: TimeUnit) {
    let (per, digits) = per_second(unit);
    write_clock(out, value.div_euclid(per), value.rem_euclid(per), digits);
}

/// `hh:mm:ss`, and `.fraction` (of `digits` digits) when it is not zero.
fn write_clock(out: &mut String, seconds: i64, fraction: i64, digits: usize) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction != 0 {
        let _ = write!(out, ".{fraction:0digits$}");
    }
}

/// A decimal's digits with its point: `-12.50` for -1250 at scale 2.
pub(super) fn write_decimal(out: &mut String, value: i128, scale: i8) {
    use std::fmt::Write as _;
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(0);
    if scale == 0 {
        out.push_str(&digits);
        return;
    }
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let _ = write!(out, "{whole}.{fraction}");
}

pub(super) fn parse_date(text: &str) -> Option<i64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = text.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| days_from_civil(if negative { -year } else { year }, month, day))
}

pub(super) fn parse_timestamp(text: &str, unit: TimeUnit) -> Option<i64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = text.split_once('T')?;
    let per = per_second(unit).0;
    let day = parse_date(date)?.checked_mul(86_400)?.checked_mul(per)?;
    day.checked_add(parse_time(time, unit)?)
}

/// A time of day (`09:30:00`, `09:30:00.5`) in `unit` since midnight.
pub(super) fn parse_time(text: &str, unit: TimeUnit) -> Option<i64> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = clock.splitn(3, ':').map(str::parse::<i64>);
    let (h, m, s) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    let (per, digits) = per_second(unit);
    let in_range = (0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s);
    if !in_range || fraction.len() > digits || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction: i64 = format!("{fraction:0<digits$}").parse().unwrap_or(0);
    Some((h * 3600 + m * 60 + s) * per + fraction)
}

pub(super) fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let scale = usize::try_from(scale).unwrap_or(0);
    if fraction.len() > scale
        || !(whole.bytes().chain(fraction.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: i128 = format!("{whole}{fraction:0<scale$}").parse().ok()?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -719_468, -1, 0, 59, 60, 11_016, 19_783, 2_932_896] {
            let mut text = String::new();
            write_date(&mut text, days);
            assert_eq!(parse_date(&text), Some(days), "{text}");
        }
        assert_eq!(parse_decimal("-0.05", 2), Some(-5));
        assert_eq!(parse_decimal("1.234", 2), None);
    }
}
