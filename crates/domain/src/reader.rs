//! Streaming, validating reader of re-contact CSV files.

use std::io;

use recontact_input::lines::{LineTracker, RecordTooLong};
pub use recontact_input::values::parse_bool;
use recontact_input::values::{parse_finite, parse_outcome};

use crate::case::{Case, Observation, MAX_DAYS_SINCE_DECLINE, MAX_YEARS_EXPERIENCE};
use crate::column::Column;
use crate::error::{Problem, ReadError, ReadErrors};
use crate::levels::{ContactType, DeclineReason, Level, PositionStatus, StageReached};

/// Whether the `success` outcome column must, may or must not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeColumn {
    /// Outcome data for fitting and evaluation: a missing `success` column is an error.
    Required,
    /// Read `success` when the header has it (checking a file of either kind).
    Optional,
    /// Cases to score: any `success` column is left unread.
    Ignored,
}

/// Where each contract column sits in the source's header (0-based).
#[derive(Debug, Clone, Copy)]
struct ColumnIndex {
    positions: [Option<usize>; Column::ALL.len()],
}

impl ColumnIndex {
    fn get(&self, column: Column) -> Option<usize> {
        self.positions[column as usize]
    }
}

/// Reads [`Observation`]s one row at a time from any [`io::Read`], validating every field.
///
/// Only one row is held in memory, so files of any length stream in constant space.
/// Columns outside the contract are ignored, and so is their order. A row with problems
/// yields all of them (one per offending field) and reading continues with the next row;
/// an I/O failure ends the iteration.
///
/// ```
/// use recontact_domain::{CaseReader, OutcomeColumn};
///
/// let csv = "contact_type,stage_reached,decline_reason,days_since_decline,position_status,\
/// same_contact,misrepresentation,transparent,open_to_reinterview,years_experience,success\n\
/// agency_recruiter,screening_call,accepted_other_offer,12,open,true,false,true,yes,6.5,1\n";
/// let mut reader = CaseReader::new("example.csv", csv.as_bytes(), OutcomeColumn::Required)?;
/// let observation = reader.next().unwrap()?;
/// assert_eq!(observation.line, 2);
/// assert_eq!(observation.success, Some(true));
/// # Ok::<(), recontact_domain::ReadErrors>(())
/// ```
pub struct CaseReader<R: io::Read> {
    source_name: String,
    csv: csv::Reader<LineTracker<R>>,
    index: ColumnIndex,
    width: usize,
    record: csv::ByteRecord,
    finished: bool,
}

impl<R: io::Read> CaseReader<R> {
    /// Reads and checks the header. `source_name` names the source in every error.
    ///
    /// Fails when the source is empty, a required column is missing (all of them are
    /// listed), or a contract column appears twice.
    pub fn new(
        source_name: impl Into<String>,
        reader: R,
        outcome: OutcomeColumn,
    ) -> Result<Self, ReadErrors> {
        let source_name = source_name.into();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(LineTracker::new(reader));
        let header = csv
            .byte_headers()
            .map_err(|e| ReadErrors::new(vec![csv_error(&source_name, e)]))?
            .clone();
        let (start, end) = (
            header.position().map_or(0, |p| p.byte()),
            csv.position().byte(),
        );
        csv.get_mut()
            .record(start, end)
            .map_err(|long| ReadErrors::new(vec![long.to_data_error(&source_name)]))?;
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            let mut error = ReadError::new(&source_name, Problem::NoHeader);
            error.line = Some(1);
            return Err(ReadErrors::new(vec![error]));
        }
        if header.len() > recontact_input::lines::DEFAULT_MAX_COLUMNS {
            let problem = Problem::TooManyColumns {
                limit: recontact_input::lines::DEFAULT_MAX_COLUMNS,
                found: header.len(),
            };
            let mut error = ReadError::new(&source_name, problem);
            error.line = Some(1);
            return Err(ReadErrors::new(vec![error]));
        }

        let mut index = ColumnIndex {
            positions: [None; Column::ALL.len()],
        };
        let mut problems = Vec::new();
        for (position, name) in header.iter().enumerate() {
            let Some(column) = std::str::from_utf8(name).ok().and_then(Column::from_name) else {
                continue;
            };
            if column == Column::Success && outcome == OutcomeColumn::Ignored {
                continue;
            }
            let slot = &mut index.positions[column as usize];
            match slot {
                Some(first) => {
                    let mut error = ReadError::new(
                        &source_name,
                        Problem::DuplicateColumn { first: *first + 1 },
                    );
                    error.line = Some(1);
                    error.column_position = Some(position + 1);
                    error.column = Some(column.name().to_string());
                    problems.push(error);
                }
                None => *slot = Some(position),
            }
        }
        let mut required = Column::FACTORS.to_vec();
        if outcome == OutcomeColumn::Required {
            required.push(Column::Success);
        }
        for column in required {
            if index.get(column).is_none() {
                let mut error = ReadError::new(&source_name, Problem::MissingColumn);
                error.line = Some(1);
                error.column = Some(column.name().to_string());
                problems.push(error);
            }
        }
        if !problems.is_empty() {
            return Err(ReadErrors::new(problems));
        }

        Ok(CaseReader {
            source_name,
            width: header.len(),
            csv,
            index,
            record: csv::ByteRecord::new(),
            finished: false,
        })
    }

    /// True when rows carry an outcome (`success` is present and not ignored).
    pub fn has_outcome(&self) -> bool {
        self.index.get(Column::Success).is_some()
    }

    /// The name given to the source.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    fn field<'a>(
        &'a self,
        column: Column,
        line: u64,
        problems: &mut Vec<ReadError>,
    ) -> Option<&'a str> {
        let position = self.index.get(column)?;
        let bytes = self.record.get(position)?;
        let located = |problem: Problem, value: String| {
            let mut error = ReadError::new(&self.source_name, problem);
            error.line = Some(line);
            error.column_position = Some(position + 1);
            error.column = Some(column.name().to_string());
            error.value = Some(value);
            error.allowed = Some(column.allowed());
            error
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                problems.push(located(
                    Problem::InvalidUtf8,
                    String::from_utf8_lossy(bytes).into_owned(),
                ));
                None
            }
        }
    }

    fn reject(
        &self,
        column: Column,
        line: u64,
        value: &str,
        problem: Problem,
        problems: &mut Vec<ReadError>,
    ) {
        let mut error = ReadError::new(&self.source_name, problem);
        error.line = Some(line);
        error.column_position = self.index.get(column).map(|p| p + 1);
        error.column = Some(column.name().to_string());
        error.value = Some(value.to_string());
        error.allowed = Some(column.allowed());
        problems.push(error);
    }

    /// Field `column` read by `parse`; an empty field or one `parse` refuses (as
    /// `invalid`) is a problem of the row.
    fn parsed<T>(
        &self,
        column: Column,
        line: u64,
        problems: &mut Vec<ReadError>,
        (parse, invalid): (impl Fn(&str) -> Option<T>, Problem),
    ) -> Option<T> {
        let text = self.field(column, line, problems)?;
        let parsed = parse(text);
        if parsed.is_none() {
            let problem = if text.is_empty() {
                Problem::Empty
            } else {
                invalid
            };
            self.reject(column, line, text, problem, problems);
        }
        parsed
    }

    fn level<L: Level>(
        &self,
        column: Column,
        line: u64,
        problems: &mut Vec<ReadError>,
    ) -> Option<L> {
        self.parsed(column, line, problems, (L::parse, Problem::UnknownLevel))
    }

    fn boolean(&self, column: Column, line: u64, problems: &mut Vec<ReadError>) -> Option<bool> {
        self.parsed(column, line, problems, (parse_bool, Problem::NotABoolean))
    }

    /// The outcome as every reader takes it (`parse_outcome`): a boolean spelling, or a
    /// number equal to 0 or 1 (`1.0`).
    fn outcome(&self, line: u64, problems: &mut Vec<ReadError>) -> Option<bool> {
        let parse = |text: &str| parse_outcome(text).map(|v| v == 1.0);
        let column = Column::Success;
        self.parsed(column, line, problems, (parse, Problem::NotABoolean))
    }

    fn days(&self, line: u64, problems: &mut Vec<ReadError>) -> Option<u32> {
        let column = Column::DaysSinceDecline;
        let text = self.field(column, line, problems)?;
        // The numbers every reader accepts (`parse_finite`), here whole ones: `3`, `3.0`
        // and `1e1` are days, as they are when fitting and scoring.
        let problem = match parse_finite(text) {
            Some(days) if days.fract() != 0.0 => Problem::NotAnInteger,
            Some(days) if (0.0..=f64::from(MAX_DAYS_SINCE_DECLINE)).contains(&days) => {
                return Some(days as u32);
            }
            Some(_) => Problem::OutOfRange,
            None if text.is_empty() => Problem::Empty,
            None => Problem::NotAnInteger,
        };
        self.reject(column, line, text, problem, problems);
        None
    }

    fn years(&self, line: u64, problems: &mut Vec<ReadError>) -> Option<f64> {
        let column = Column::YearsExperience;
        let text = self.field(column, line, problems)?;
        let problem = match parse_finite(text) {
            Some(years) if (0.0..=MAX_YEARS_EXPERIENCE).contains(&years) => return Some(years),
            Some(_) => Problem::OutOfRange,
            None if text.is_empty() => Problem::Empty,
            None => Problem::NotANumber,
        };
        self.reject(column, line, text, problem, problems);
        None
    }

    fn parse_record(&self, line: u64) -> Result<Observation, ReadErrors> {
        let mut problems = Vec::new();
        if self.record.len() != self.width {
            let mut error = ReadError::new(
                &self.source_name,
                Problem::FieldCount {
                    expected: self.width,
                    found: self.record.len(),
                },
            );
            error.line = Some(line);
            return Err(ReadErrors::new(vec![error]));
        }
        let case_id = self
            .index
            .get(Column::CaseId)
            .and_then(|_| self.field(Column::CaseId, line, &mut problems))
            .filter(|id| !id.is_empty())
            .map(str::to_string);
        let contact_type = self.level::<ContactType>(Column::ContactType, line, &mut problems);
        let stage_reached = self.level::<StageReached>(Column::StageReached, line, &mut problems);
        let decline_reason =
            self.level::<DeclineReason>(Column::DeclineReason, line, &mut problems);
        let days_since_decline = self.days(line, &mut problems);
        let position_status =
            self.level::<PositionStatus>(Column::PositionStatus, line, &mut problems);
        let same_contact = self.boolean(Column::SameContact, line, &mut problems);
        let misrepresentation = self.boolean(Column::Misrepresentation, line, &mut problems);
        let transparent = self.boolean(Column::Transparent, line, &mut problems);
        let open_to_reinterview = self.boolean(Column::OpenToReinterview, line, &mut problems);
        let years_experience = self.years(line, &mut problems);
        let success = match self.index.get(Column::Success) {
            Some(_) => self.outcome(line, &mut problems).map(Some),
            None => Some(None),
        };

        match (
            contact_type,
            stage_reached,
            decline_reason,
            days_since_decline,
            position_status,
            same_contact,
            misrepresentation,
            transparent,
            open_to_reinterview,
            years_experience,
            success,
        ) {
            (
                Some(contact_type),
                Some(stage_reached),
                Some(decline_reason),
                Some(days_since_decline),
                Some(position_status),
                Some(same_contact),
                Some(misrepresentation),
                Some(transparent),
                Some(open_to_reinterview),
                Some(years_experience),
                Some(success),
            ) if problems.is_empty() => Ok(Observation {
                line,
                case: Case {
                    case_id,
                    contact_type,
                    stage_reached,
                    decline_reason,
                    days_since_decline,
                    position_status,
                    same_contact,
                    misrepresentation,
                    transparent,
                    open_to_reinterview,
                    years_experience,
                },
                success,
            }),
            _ => Err(ReadErrors::new(problems)),
        }
    }
}

fn csv_error(source_name: &str, error: csv::Error) -> ReadError {
    if let csv::ErrorKind::Io(io) = error.kind() {
        if let Some(long) = io.get_ref().and_then(|e| e.downcast_ref::<RecordTooLong>()) {
            return long.to_data_error(source_name);
        }
    }
    ReadError::from_csv_error(source_name, error)
}

impl<R: io::Read> Iterator for CaseReader<R> {
    type Item = Result<Observation, ReadErrors>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.csv.read_byte_record(&mut self.record) {
            Ok(true) => {
                let start = self.record.position().map_or(0, |p| p.byte());
                let end = self.csv.position().byte();
                match self.csv.get_mut().record(start, end) {
                    // The fast readers refuse such a record; so does this one.
                    Ok(line) if self.csv.get_ref().last_record_unclosed() => {
                        let mut error = ReadError::new(&self.source_name, Problem::UnclosedQuote);
                        error.line = Some(line);
                        Some(Err(ReadErrors::new(vec![error])))
                    }
                    Ok(line) => Some(self.parse_record(line)),
                    Err(long) => {
                        self.finished = true;
                        let error = long.to_data_error(&self.source_name);
                        Some(Err(ReadErrors::new(vec![error])))
                    }
                }
            }
            Ok(false) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.finished = true;
                Some(Err(ReadErrors::new(vec![csv_error(
                    &self.source_name,
                    error,
                )])))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "case_id,contact_type,stage_reached,decline_reason,days_since_decline,\
position_status,same_contact,misrepresentation,transparent,open_to_reinterview,years_experience,success";
    const GOOD: &str =
        "c1,agency_recruiter,screening_call,accepted_other_offer,12,open,true,false,true,yes,6.5,1";

    fn read(text: &str) -> Result<Vec<Result<Observation, ReadErrors>>, ReadErrors> {
        CaseReader::new("t.csv", text.as_bytes(), OutcomeColumn::Required).map(|r| r.collect())
    }

    /// The single problem reported for a file whose only data row is `row`.
    fn row_problem(row: &str) -> ReadError {
        let rows = read(&format!("{HEADER}\n{row}\n")).expect("header is valid");
        assert_eq!(rows.len(), 1);
        let errors = rows
            .into_iter()
            .next()
            .unwrap()
            .expect_err("row must be rejected");
        assert_eq!(errors.problems().len(), 1, "{errors}");
        errors.problems()[0].clone()
    }

    fn with_field(index: usize, value: &str) -> String {
        let mut fields: Vec<&str> = GOOD.split(',').collect();
        fields[index] = value;
        fields.join(",")
    }

    /// `check` takes the numbers `fit` and `score` take: Rust's grammar for a finite
    /// double, whole where the contract wants whole numbers, and 0/1 outcomes as numbers.
    #[test]
    fn numbers_follow_the_rule_every_reader_shares() {
        for (index, value) in [
            (4, "3.0"),
            (4, "1e1"),
            (4, "+7"),
            (10, "6.50"),
            (11, "1.0"),
            (11, "0e0"),
        ] {
            let rows = read(&format!("{HEADER}\n{}\n", with_field(index, value))).unwrap();
            assert!(rows[0].is_ok(), "{value}: {:?}", rows[0]);
        }
        let rows = read(&format!("{HEADER}\n{}\n", with_field(4, "1e1"))).unwrap();
        assert_eq!(rows[0].as_ref().unwrap().case.days_since_decline, 10);
        assert_eq!(
            row_problem(&with_field(4, "3.5")).problem,
            Problem::NotAnInteger
        );
        assert_eq!(
            row_problem(&with_field(4, "1e400")).problem,
            Problem::NotAnInteger
        );
        assert_eq!(
            row_problem(&with_field(11, "2")).problem,
            Problem::NotABoolean
        );
        assert_eq!(
            row_problem(&with_field(10, "NaN")).problem,
            Problem::NotANumber
        );
    }

    #[test]
    fn a_good_row_reads() {
        let rows = read(&format!("{HEADER}\n{GOOD}\n")).unwrap();
        let observation = rows[0].as_ref().unwrap();
        assert_eq!(observation.line, 2);
        assert_eq!(observation.case.case_id.as_deref(), Some("c1"));
        assert_eq!(observation.case.days_since_decline, 12);
        assert!(observation.case.open_to_reinterview);
        assert_eq!(observation.success, Some(true));
    }

    #[test]
    fn unknown_level_names_line_column_value_and_levels() {
        let error = row_problem(&with_field(1, "agency_recuiter"));
        assert_eq!(error.problem, Problem::UnknownLevel);
        assert_eq!(error.line, Some(2));
        assert_eq!(error.column.as_deref(), Some("contact_type"));
        assert_eq!(error.column_position, Some(2));
        assert_eq!(error.value.as_deref(), Some("agency_recuiter"));
        let message = error.to_string();
        assert_eq!(
            message,
            "t.csv:2: column 2 (contact_type): unknown level \"agency_recuiter\"; \
allowed: one of agency_recruiter, corporate_recruiter, hiring_manager"
        );
    }

    #[test]
    fn every_value_problem_is_reported() {
        let cases: &[(usize, &str, Problem, &str)] = &[
            (2, "", Problem::Empty, "stage_reached"),
            (
                3,
                "Accepted_Other_Offer",
                Problem::UnknownLevel,
                "decline_reason",
            ),
            (4, "-3", Problem::OutOfRange, "days_since_decline"),
            (4, "3651", Problem::OutOfRange, "days_since_decline"),
            (4, "12.5", Problem::NotAnInteger, "days_since_decline"),
            (4, "twelve", Problem::NotAnInteger, "days_since_decline"),
            (5, "closed", Problem::UnknownLevel, "position_status"),
            (6, "maybe", Problem::NotABoolean, "same_contact"),
            (7, "", Problem::Empty, "misrepresentation"),
            (10, "NaN", Problem::NotANumber, "years_experience"),
            (10, "inf", Problem::NotANumber, "years_experience"),
            (10, "1e400", Problem::NotANumber, "years_experience"),
            (10, "60.5", Problem::OutOfRange, "years_experience"),
            (10, "-1", Problem::OutOfRange, "years_experience"),
            (11, "2", Problem::NotABoolean, "success"),
        ];
        for (index, value, problem, column) in cases {
            let error = row_problem(&with_field(*index, value));
            assert_eq!(&error.problem, problem, "{value:?} in {column}");
            assert_eq!(error.column.as_deref(), Some(*column));
            assert_eq!(error.value.as_deref(), Some(*value));
            assert!(error.allowed.is_some());
        }
    }

    #[test]
    fn booleans_accept_the_documented_spellings() {
        for (text, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("yes", true),
            ("false", false),
            ("0", false),
            ("No", false),
        ] {
            assert_eq!(parse_bool(text), Some(expected), "{text}");
        }
        assert_eq!(parse_bool("y"), None);
        assert_eq!(parse_bool(" true"), None);
    }

    #[test]
    fn all_problems_of_a_row_are_listed() {
        let row = with_field(1, "x").replacen("screening_call", "y", 1);
        let rows = read(&format!("{HEADER}\n{row}\n")).unwrap();
        let errors = rows[0].as_ref().unwrap_err();
        assert_eq!(errors.problems().len(), 2);
        assert!(!errors.is_fatal());
    }

    #[test]
    fn invalid_utf8_is_reported_and_reading_goes_on() {
        let mut bytes = format!("{HEADER}\n").into_bytes();
        bytes.extend_from_slice(&with_field(1, "agency\u{1}").into_bytes());
        let row_start = bytes.len() - with_field(1, "agency\u{1}").len();
        bytes[row_start + 9] = 0xFF;
        bytes.extend_from_slice(format!("\n{GOOD}\n").as_bytes());
        let rows: Vec<_> = CaseReader::new("t.csv", bytes.as_slice(), OutcomeColumn::Required)
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 2);
        let error = &rows[0].as_ref().unwrap_err().problems()[0];
        assert_eq!(error.problem, Problem::InvalidUtf8);
        assert_eq!(error.column.as_deref(), Some("contact_type"));
        assert!(rows[1].is_ok());
    }

    #[test]
    fn ragged_rows_are_reported_with_their_line() {
        let rows = read(&format!(
            "{HEADER}\n{GOOD}\n{GOOD},extra\nc3,agency_recruiter\n{GOOD}\n"
        ))
        .unwrap();
        assert!(rows[0].is_ok() && rows[3].is_ok());
        for (row, line, found) in [(&rows[1], 3, 13), (&rows[2], 4, 2)] {
            let error = &row.as_ref().unwrap_err().problems()[0];
            assert_eq!(
                error.problem,
                Problem::FieldCount {
                    expected: 12,
                    found
                }
            );
            assert_eq!(error.line, Some(line));
        }
    }

    #[test]
    fn quoted_fields_with_newlines_keep_line_numbers_right() {
        let first = GOOD.replacen("c1", "\"c1\nsecond line\"", 1);
        let bad = with_field(1, "nope");
        let rows = read(&format!("{HEADER}\r\n{first}\r\n{bad}\r\n\r\n\n{bad}\n")).unwrap();
        assert_eq!(
            rows[0].as_ref().unwrap().case.case_id.as_deref(),
            Some("c1\nsecond line")
        );
        assert_eq!(rows[0].as_ref().unwrap().line, 2);
        assert_eq!(rows[1].as_ref().unwrap_err().line(), Some(4));
        assert_eq!(
            rows[2].as_ref().unwrap_err().line(),
            Some(7),
            "blank lines count"
        );
    }

    #[test]
    fn header_problems_are_all_listed() {
        let errors = read("").unwrap_err();
        assert_eq!(errors.problems()[0].problem, Problem::NoHeader);
        assert!(errors.is_fatal());

        let errors = read("case_id,contact_type,success\n").unwrap_err();
        let missing: Vec<_> = errors
            .problems()
            .iter()
            .map(|p| (p.problem.clone(), p.column.clone().unwrap()))
            .collect();
        assert_eq!(missing.len(), 9);
        assert!(missing.iter().all(|(p, _)| *p == Problem::MissingColumn));
        assert_eq!(missing[0].1, "stage_reached");

        let errors = read(&format!("{HEADER},contact_type\n")).unwrap_err();
        let error = &errors.problems()[0];
        assert_eq!(error.problem, Problem::DuplicateColumn { first: 2 });
        assert_eq!(error.column_position, Some(13));
    }

    #[test]
    fn outcome_requirement_follows_the_mode() {
        let no_outcome = HEADER.trim_end_matches(",success");
        let row = GOOD.rsplit_once(',').unwrap().0;
        let text = format!("{no_outcome}\n{row}\n");
        assert!(CaseReader::new("t", text.as_bytes(), OutcomeColumn::Required).is_err());
        let reader = CaseReader::new("t", text.as_bytes(), OutcomeColumn::Optional).unwrap();
        assert!(!reader.has_outcome());
        assert_eq!(
            reader.map(|r| r.unwrap().success).collect::<Vec<_>>(),
            vec![None]
        );

        let text = format!("{HEADER}\n{}\n", with_field(11, "garbage"));
        let reader = CaseReader::new("t", text.as_bytes(), OutcomeColumn::Ignored).unwrap();
        assert!(!reader.has_outcome());
        assert_eq!(
            reader.map(|r| r.unwrap().success).collect::<Vec<_>>(),
            vec![None]
        );
    }

    #[test]
    fn extra_columns_and_any_order_are_accepted() {
        let text = "success,notes,,years_experience,open_to_reinterview,transparent,\
misrepresentation,same_contact,position_status,days_since_decline,decline_reason,\
stage_reached,contact_type\n0,\"hello, world\",,3,no,no,no,no,filled,400,other,interviewed,hiring_manager\n";
        let rows: Vec<_> = CaseReader::new("t", text.as_bytes(), OutcomeColumn::Required)
            .unwrap()
            .collect();
        let observation = rows[0].as_ref().unwrap();
        assert_eq!(observation.case.case_id, None);
        assert_eq!(observation.case.days_since_decline, 400);
        assert_eq!(observation.success, Some(false));
    }

    #[test]
    fn an_io_failure_ends_reading_with_an_error() {
        struct Failing(Vec<u8>, usize);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.1 >= self.0.len() {
                    return Err(io::Error::other("disk gone"));
                }
                let n = buf.len().min(self.0.len() - self.1).min(64);
                buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
                self.1 += n;
                Ok(n)
            }
        }
        let text = format!("{HEADER}\n{GOOD}\n{GOOD}");
        let reader =
            CaseReader::new("t", Failing(text.into_bytes(), 0), OutcomeColumn::Required).unwrap();
        let rows: Vec<_> = reader.collect();
        let last = rows.last().unwrap().as_ref().unwrap_err();
        assert!(matches!(last.problems()[0].problem, Problem::Io(_)));
        assert!(last.is_fatal());
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_column_name() {
        let text = format!("\u{feff}{HEADER}\n{GOOD}\n");
        let rows = read(&text).unwrap();
        assert_eq!(
            rows[0].as_ref().unwrap().case.case_id.as_deref(),
            Some("c1")
        );
    }
}
