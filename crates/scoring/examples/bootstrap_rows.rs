//! Prints the rows of the bootstrap resamples `recontact validate` draws, so that an
//! independent implementation can refit the same resamples:
//! `cargo run -p recontact-scoring --example bootstrap_rows -- N SEED B` prints B lines,
//! line b the N zero-based rows of resample b (numbered from 1 in the output of validate).

use recontact_scoring::validate::bootstrap_rows;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let [n, seed, resamples] = parsed[..] else {
        eprintln!("usage: bootstrap_rows N SEED B (three whole numbers)");
        std::process::exit(2);
    };
    for b in 0..resamples as usize {
        let rows = bootstrap_rows(n as usize, seed, b);
        let line: Vec<String> = rows.iter().map(usize::to_string).collect();
        println!("{}", line.join(" "));
    }
}
