//! Writes cases in the CSV contract's format.

use std::io;

use crate::case::Case;
use crate::column::Column;
use crate::levels::Level;

/// The I/O error inside a CSV write error, so that its kind (a closed pipe, a full
/// disk) reaches the caller; `io::Error::from` would wrap it as `Other`.
fn into_io(error: csv::Error) -> io::Error {
    if !error.is_io_error() {
        return io::Error::other(error);
    }
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        kind => io::Error::other(format!("{kind:?}")),
    }
}

/// Writes [`Case`]s as CSV rows in the contract's column order, header first.
///
/// Numbers are written in their shortest exact form, so reading a written file
/// gives back equal cases.
pub struct CaseWriter<W: io::Write> {
    csv: csv::Writer<W>,
    with_outcome: bool,
}

impl<W: io::Write> CaseWriter<W> {
    /// Starts a file; with `with_outcome` every row carries a `success` column (`1`/`0`).
    ///
    /// ```rust
    /// use recontact_domain::CaseWriter;
    /// let header = String::from_utf8(CaseWriter::new(Vec::new(), false)?.into_inner()?)?;
    /// assert_eq!(header, "case_id,contact_type,stage_reached,decline_reason,days_since_decline,\
    ///     position_status,same_contact,misrepresentation,transparent,open_to_reinterview,\
    ///     years_experience\n");
    /// let with_outcome = String::from_utf8(CaseWriter::new(Vec::new(), true)?.into_inner()?)?;
    /// assert_eq!(with_outcome, header.replace('\n', ",success\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(writer: W, with_outcome: bool) -> io::Result<Self> {
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(writer);
        let header = Column::ALL
            .iter()
            .filter(|c| with_outcome || **c != Column::Success)
            .map(|c| c.name());
        csv.write_record(header).map_err(into_io)?;
        Ok(CaseWriter { csv, with_outcome })
    }

    /// Writes one row. `success` is ignored when the writer has no outcome column.
    pub fn write(&mut self, case: &Case, success: Option<bool>) -> io::Result<()> {
        let bool_text = |b: bool| if b { "true" } else { "false" };
        let days = case.days_since_decline.to_string();
        let years = case.years_experience.to_string();
        let mut fields: Vec<&str> = vec![
            case.case_id.as_deref().unwrap_or(""),
            case.contact_type.as_str(),
            case.stage_reached.as_str(),
            case.decline_reason.as_str(),
            &days,
            case.position_status.as_str(),
            bool_text(case.same_contact),
            bool_text(case.misrepresentation),
            bool_text(case.transparent),
            bool_text(case.open_to_reinterview),
            &years,
        ];
        if self.with_outcome {
            fields.push(match success {
                Some(true) => "1",
                Some(false) => "0",
                None => "",
            });
        }
        self.csv.write_record(&fields).map_err(into_io)
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
