#!/usr/bin/env python3
"""Fit and score Parquet copies of a CSV file and compare them with the CSV's own results.

A researcher's data set arrives as CSV; the same rows written to Parquet by other tools
(pyarrow with each codec and encoding it offers, several row groups, and optionally the
DuckDB client) must give the same model. For every copy this script runs
`recontact fit COPY.parquet` with the spec or term flags given, and compares each
coefficient and standard error with `recontact fit FILE.csv` (the largest absolute and
relative differences, and whether the two model files' terms are identical); then
`recontact score` of the copy to Parquet against the CSV's scores, row by row. It prints
a Markdown table. Not part of CI (tests/parquet.rs runs the committed Parquet copy there).

    python -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow
    /tmp/pa/bin/python scripts/check_parquet.py --binary target/release/recontact \
        DATA.csv [--duckdb duckdb] -- --spec SPEC.toml

Everything after `--` is passed to `recontact fit` (a spec, term flags, weights, L2).
pyarrow infers the columns' types from the CSV (int64, double, bool, string, dates), as a
warehouse export would type them.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return done


def copies(csv_path, scratch, duckdb):
    """(label, path) of each Parquet copy written."""
    table = pacsv.read_csv(csv_path)
    rows = table.num_rows
    out = []
    for codec in ["snappy", "zstd", "gzip", "lz4", "brotli", "none"]:
        path = os.path.join(scratch, f"pyarrow_{codec}.parquet")
        pq.write_table(table, path, compression=codec, row_group_size=max(1, rows // 3))
        out.append((f"pyarrow, {codec}, 3+ row groups", path))
    path = os.path.join(scratch, "pyarrow_plain_v1.parquet")
    pq.write_table(table, path, use_dictionary=False, version="1.0", data_page_version="1.0")
    out.append(("pyarrow, no dictionary, format 1.0", path))
    path = os.path.join(scratch, "pyarrow_tiny_pages.parquet")
    pq.write_table(table, path, row_group_size=997, data_page_size=1024)
    out.append(("pyarrow, 997-row groups, 1 KiB pages", path))
    if duckdb:
        path = os.path.join(scratch, "duckdb.parquet")
        sql = (f"COPY (SELECT * FROM read_csv('{csv_path}')) TO '{path}' "
               "(FORMAT parquet, ROW_GROUP_SIZE 2048)")
        run([duckdb, "-c", sql])
        out.append(("DuckDB client, its CSV types", path))
    return out, table.schema


def fit(binary, data, fit_args, out):
    start = time.perf_counter()
    run([binary, "fit", data, "-q", "-o", out] + fit_args)
    seconds = time.perf_counter() - start
    with open(out) as f:
        return json.load(f), seconds


def compare_terms(a, b):
    worst_abs = worst_rel = 0.0
    for x, y in zip(a["terms"], b["terms"], strict=True):
        for key in ["estimate", "std_error"]:
            d = abs(x[key] - y[key])
            worst_abs = max(worst_abs, d)
            worst_rel = max(worst_rel, d / max(abs(y[key]), 1e-300))
    identical = [(t["term"], t["estimate"], t["std_error"]) for t in a["terms"]] == [
        (t["term"], t["estimate"], t["std_error"]) for t in b["terms"]]
    return worst_abs, worst_rel, identical


def scores(binary, model, data, out):
    run([binary, "score", data, "--model", model, "-o", out])
    if out.endswith(".parquet"):
        table = pq.read_table(out)
    else:
        table = pacsv.read_csv(out)
    return table


def compare_scores(a, b, inputs):
    """Rows and the largest difference over the columns scoring appended."""
    if a.num_rows != b.num_rows:
        return f"{a.num_rows} vs {b.num_rows} rows"
    appended = [n for n in b.column_names if n not in inputs]
    worst = 0.0
    for name in appended:
        for x, y in zip(a.column(name).to_pylist(), b.column(name).to_pylist(), strict=True):
            worst = max(worst, abs(x - y))
    return f"{a.num_rows} rows, max diff {worst:.1e} over {', '.join(appended)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="target/release/recontact")
    parser.add_argument("--duckdb", help="the DuckDB command-line client, for one more writer")
    parser.add_argument("csv")
    parser.add_argument("fit_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    fit_args = [a for a in args.fit_args if a != "--"]
    csv_path = os.path.abspath(args.csv)
    with tempfile.TemporaryDirectory() as scratch:
        reference, csv_seconds = fit(args.binary, csv_path, fit_args,
                                     os.path.join(scratch, "csv.json"))
        csv_model = os.path.join(scratch, "csv.json")
        csv_scores = scores(args.binary, csv_model, csv_path, os.path.join(scratch, "csv_scored.csv"))
        written, schema = copies(csv_path, scratch, args.duckdb)
        print(f"Data: `{os.path.basename(csv_path)}`, {reference['provenance']['rows_used']} rows "
              f"used, {len(reference['terms'])} terms; fit from CSV {csv_seconds:.2f} s.")
        print(f"Column types (pyarrow): {', '.join(f'{f.name} {f.type}' for f in schema)}.\n")
        print("| Parquet copy | terms identical | max abs diff | max rel diff | fit (s) | score |")
        print("|---|---|---|---|---|---|")
        for label, path in written:
            model, seconds = fit(args.binary, path, fit_args, path + ".json")
            worst_abs, worst_rel, identical = compare_terms(model, reference)
            scored = scores(args.binary, path + ".json", path, path + ".scored.parquet")
            print(f"| {label} | {'yes' if identical else 'no'} | {worst_abs:.1e} | "
                  f"{worst_rel:.1e} | {seconds:.2f} | {compare_scores(scored, csv_scores, schema.names)} |")


if __name__ == "__main__":
    main()
