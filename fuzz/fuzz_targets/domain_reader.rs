//! The re-contact CSV reader must return rows or located errors for any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recontact_domain::{CaseReader, OutcomeColumn, Summary};

fuzz_target!(|data: &[u8]| {
    for mode in [OutcomeColumn::Required, OutcomeColumn::Optional, OutcomeColumn::Ignored] {
        if let Ok(reader) = CaseReader::new("fuzz", data, mode) {
            let mut summary = Summary::new();
            for row in reader {
                match row {
                    Ok(observation) => summary.add(&observation),
                    Err(errors) => {
                        let _ = errors.to_string();
                    }
                }
            }
            let _ = summary.spreads();
        }
    }
});
