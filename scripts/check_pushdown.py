#!/usr/bin/env python3
"""Fit inside real SQL engines with `recontact fit --engine…` and compare with the fit in memory.

For each engine given, each data set is loaded into a table and fitted inside the engine;
the model file's estimates and standard errors are compared with `recontact fit FILE` on
the same rows (largest relative difference), and the wall time of both is recorded. The
output is a Markdown table for docs/scaling.md. Not part of CI (crates/engine/tests and
tests/fit_engine.rs run PostgreSQL, psql, sqlite3 and DuckDB there).

Data: the committed data with the default spec, the weighted numeric file with an offset
and default knots (tests/data/weighted_offset.*), and optionally `--simulate N` rows of
`recontact simulate` with the default spec.

Engines:
  --duckdb PATH        the DuckDB command-line client (PyPI's duckdb-cli installs it)
  --spark-sql CMD      a command starting spark-sql (PyPI's pyspark; Java 17), e.g.
                       "spark-sql -S --master local[2]"; run in a scratch folder, where
                       Spark keeps its local metastore
  --postgres URL       a PostgreSQL database the script may create tables in (psql loads)
  --sqlite3 PATH       the sqlite3 client

    python scripts/check_pushdown.py --binary target/release/recontact --duckdb duckdb \
        --spark-sql "spark-sql -S" [--simulate 1000000]
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_sets(binary, scratch, simulate):
    sets = [
        ("committed data", os.path.join(ROOT, "data/recontact_outcomes.csv"), None),
        ("weighted, offset, rcs", os.path.join(ROOT, "tests/data/weighted_offset.csv"),
         os.path.join(ROOT, "tests/data/weighted_offset.toml")),
    ]
    if simulate:
        path = os.path.join(scratch, f"simulated_{simulate}.csv")
        subprocess.run([binary, "simulate", "--n", str(simulate), "--seed", "7", "-o", path, "-q"],
                       check=True)
        sets.append((f"simulated, {simulate:,} rows", path, None))
    return sets


def fit(binary, args):
    start = time.monotonic()
    run = subprocess.run([binary, "fit", "-q", *args], capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip())
    return elapsed


def differences(a, b):
    est = max(abs(x["estimate"] - y["estimate"]) / max(abs(y["estimate"]), 1e-3)
              for x, y in zip(a["terms"], b["terms"]))
    se = max(abs(x["std_error"] - y["std_error"]) / y["std_error"]
             for x, y in zip(a["terms"], b["terms"]))
    return est, se


def header_of(csv_path):
    with open(csv_path) as f:
        return f.readline().strip().split(",")


def load_duckdb(client, scratch, table, csv_path):
    db = os.path.join(scratch, "rows.duckdb")
    sql = f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv('{csv_path}', header = true)"
    subprocess.run([client, db, "-c", sql], check=True)
    return ["--engine-command", f"{shlex.quote(client)} -list -noheader {shlex.quote(db)}",
            "--dialect", "duckdb"]


def load_sqlite(client, scratch, table, csv_path):
    db = os.path.join(scratch, "rows.db")
    subprocess.run([client, db, f"DROP TABLE IF EXISTS {table}"], check=True)
    subprocess.run([client, db, f".import --csv {csv_path} {table}"], check=True)
    return ["--engine-command", f"{shlex.quote(client)} -bail {shlex.quote(db)}",
            "--dialect", "sqlite"]


def load_postgres(url, scratch, table, csv_path):
    columns = ", ".join(f'"{c}" TEXT' for c in header_of(csv_path))
    for command in [f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({columns})",
                    f"\\copy {table} FROM '{csv_path}' WITH (FORMAT csv, HEADER true)"]:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", command], check=True)
    return ["--engine", "postgres", "--connect", url]


def load_spark(command, scratch, table, csv_path):
    # A table in the local metastore of the scratch folder, which the fit's own
    # spark-sql session (started in the same folder) sees.
    sql = (f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} USING csv "
           f"OPTIONS (path '{csv_path}', header 'true', inferSchema 'true');")
    subprocess.run(f"{command} -e {shlex.quote(sql)}", shell=True, check=True, cwd=scratch,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ["--engine-command", command, "--dialect", "spark"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/recontact"))
    parser.add_argument("--duckdb")
    parser.add_argument("--sqlite3")
    parser.add_argument("--postgres")
    parser.add_argument("--spark-sql")
    parser.add_argument("--simulate", type=int, default=0)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    engines = [(name, loader, where) for name, loader, where in [
        ("DuckDB CLI", load_duckdb, args.duckdb), ("sqlite3", load_sqlite, args.sqlite3),
        ("PostgreSQL", load_postgres, args.postgres), ("Spark (spark-sql)", load_spark, args.spark_sql),
    ] if where]
    if not engines:
        sys.exit("give at least one engine (--duckdb, --sqlite3, --postgres, --spark-sql)")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, csv_path, spec in data_sets(args.binary, scratch, args.simulate):
            spec_args = ["--spec", spec] if spec else []
            memory = os.path.join(scratch, "memory.json")
            t_memory = fit(args.binary, [csv_path, *spec_args, "-o", memory])
            reference = json.load(open(memory))
            for name, loader, where in engines:
                table = "pushdown_rows"
                engine_args = loader(where, scratch, table, csv_path)
                out = os.path.join(scratch, "engine.json")
                cwd = os.getcwd()
                os.chdir(scratch)
                try:
                    t_engine = fit(args.binary, [*engine_args, "--table", table, *spec_args, "-o", out])
                finally:
                    os.chdir(cwd)
                est, se = differences(json.load(open(out)), reference)
                rows.append((label, name, est, se, t_engine, t_memory))
                print(f"{label} / {name}: estimates {est:.1e}, standard errors {se:.1e}, "
                      f"{t_engine:.1f} s inside vs {t_memory:.2f} s in memory", file=sys.stderr)
    print("| data | engine | largest relative difference: estimates | standard errors | fit inside (s) | in memory (s) |")
    print("|---|---|---|---|---|---|")
    for label, name, est, se, t_engine, t_memory in rows:
        print(f"| {label} | {name} | {est:.1e} | {se:.1e} | {t_engine:.1f} | {t_memory:.2f} |")
    worst = max(max(r[2], r[3]) for r in rows)
    if worst > 1e-9:
        sys.exit(f"disagreement {worst:.1e} above 1e-9")


if __name__ == "__main__":
    main()
