//! The chunked reader must read any bytes exactly as the `csv` crate does (default
//! settings): the same records, fields, lines and record lengths, or the same error
//! for a record beyond the limit, whatever the chunk size. The first byte sets the
//! chunk size, the second the record limit.
//!
//! Chunks are worked through on one thread: threads spawned per input would cost most
//! of the run (the property test in `chunks.rs` covers several threads).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use recontact_scoring::lines::{fast_records, reference_records};

fn one_thread() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a thread pool")
    })
}

fuzz_target!(|data: &[u8]| {
    let [chunk_bytes, limit, bytes @ ..] = data else {
        return;
    };
    let chunk_bytes = 1 + usize::from(*chunk_bytes);
    let limit = if *limit == 0xff {
        usize::MAX
    } else {
        1 + usize::from(*limit)
    };
    let expected = reference_records(bytes, limit);
    let seen = one_thread().install(|| fast_records(bytes, chunk_bytes, limit));
    assert_eq!(seen, expected, "chunks of {chunk_bytes} bytes, limit {limit}");
});
