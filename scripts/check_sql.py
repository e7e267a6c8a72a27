#!/usr/bin/env python3
"""Run `recontact export --format sql` in real SQL engines and compare with `recontact score`.

For each engine that is available it loads the rows into a table whose columns are all
text (as a CSV import makes them), runs the exported statement and checks every row:
NULL exactly where `recontact score` rejects the row, otherwise the same probability to
--tolerance (default 1e-9). Data: the committed data with the embedded default model plus
invalid and edge rows, and a model with every kind of term fitted on the vendored birthwt
data with rows beyond the spline knots and invalid rows.

Engines: sqlite (Python's sqlite3 module, the system library), duckdb (`pip install
duckdb`), postgres (only with --postgres "psql connection arguments", e.g.
--postgres "-h /tmp/pg -p 54329 -U postgres"), spark (`pip install pyspark`, needs Java).
Missing engines are reported and skipped. Not part of CI (the SQLite check in
crates/scoring/tests/export_sql.rs is).

    python scripts/check_sql.py [--no-build] [--binary PATH] [--postgres ARGS]
"""

import argparse
import csv
import io
import math
import os
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_pmml import RCS_SPEC, RCS_EXTRA_ROWS  # noqa: E402

DEFAULT_EXTRA = [
    # (key, column index 1-based after the key, value)
    ("level", 1, "Agency_Recruiter"), ("bool-upper", 6, "TRUE"), ("bool-bad", 6, "maybe"),
    ("bool-space", 9, " true"), ("days-fraction", 4, "10.5"), ("days-exponent", 4, "1e1"),
    ("days-plus", 4, "+7"), ("days-dot", 4, "7."), ("days-negative", 4, "-1"),
    ("days-high", 4, "3651"), ("days-text", 4, "ten"), ("days-empty", 4, ""),
    ("days-inf", 4, "inf"), ("days-nan", 4, "NaN"), ("years-leading-dot", 10, ".5"),
    ("years-space", 10, " 5"), ("years-high", 10, "60.000001"), ("years-max", 10, "6e1"),
    ("level-quote", 3, "it's"),
]
SPELLINGS = ["1", "+1", "-1", "1.", ".1", "1e1", "1E+1", "1e-1", "1.e1", ".1e1", "e1", "1e",
             "1e+", "+", "-", ".", "+.", "1..", "1-1", "--1", "+-1", "1e1.5", "inf", "NaN",
             "Infinity", " 1", "1 ", "0x10", "1_000", "1d", "1f", "00.100", "12.5e+07"]


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def recontact_scores(binary, model, csv_text, key):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.csv")
        with open(path, "w") as f:
            f.write(csv_text)
        args = [binary, "score", path, "--on-invalid", "skip", "--rejects",
                os.path.join(tmp, "rejects.csv"), "-q"]
        if model:
            args += ["--model", model]
        out = run(args)
    return {row[key]: float(row["p_success"]) for row in csv.DictReader(io.StringIO(out))}


def rows_of(csv_text):
    reader = csv.reader(io.StringIO(csv_text))
    return next(reader), list(reader)


def engine_sqlite(sql, header, rows, key, _tmp):
    import sqlite3
    con = sqlite3.connect(":memory:")
    cols = ", ".join('"%s" TEXT' % h for h in header)
    con.execute(f"CREATE TABLE cases ({cols})")
    con.executemany(f"INSERT INTO cases VALUES ({', '.join('?' * len(header))})", rows)
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [(r[names.index(key)], r[-1]) for r in cur], f"sqlite {sqlite3.sqlite_version}"


def engine_duckdb(sql, header, rows, key, _tmp):
    import duckdb
    import pandas as pd
    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=header, dtype=str)  # noqa: F841 (read by name below)
    con.execute("CREATE TABLE cases AS SELECT * FROM frame")
    result = con.execute(sql).fetchall()
    names = [d[0] for d in con.description]
    return [(r[names.index(key)], r[-1]) for r in result], f"duckdb {duckdb.__version__}"


def engine_postgres(psql_args):
    def engine(sql, header, rows, key, tmp):
        psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + shlex.split(psql_args)
        data = os.path.join(tmp, "pg_in.csv")
        with open(data, "w", newline="") as f:
            csv.writer(f).writerows([header] + rows)
        cols = ", ".join('"%s" text' % h for h in header)
        body = " ".join(l for l in sql.splitlines() if not l.startswith("--")).rstrip(";")
        out = os.path.join(tmp, "pg_out.csv")
        script = (f"DROP TABLE IF EXISTS cases; CREATE TABLE cases ({cols});\n"
                  f"\\copy cases FROM '{data}' csv header\n"
                  f"\\copy ({body}) TO '{out}' csv header\n")
        subprocess.run(psql, input=script, text=True, check=True, capture_output=True)
        version = run(psql + ["-At", "-c", "SHOW server_version"]).strip()
        with open(out) as f:
            reader = csv.reader(f)
            names = next(reader)
            got = [(r[names.index(key)], float(r[-1]) if r[-1] != "" else None) for r in reader]
        return got, f"postgres {version}"
    return engine


_SPARK = []


def engine_spark(sql, header, rows, key, _tmp):
    import pyspark
    from pyspark.sql import SparkSession
    if not _SPARK:
        _SPARK.append(SparkSession.builder.master("local[1]").appName("recontact-check")
                      .config("spark.ui.enabled", "false").getOrCreate())
    spark = _SPARK[0]
    frame = spark.createDataFrame(rows, schema=", ".join(f"`{h}` string" for h in header))
    frame.createOrReplaceTempView("cases")
    # spark.sql() takes one statement without the trailing semicolon.
    body = "\n".join(l for l in sql.splitlines() if not l.startswith("--")).rstrip().rstrip(";")
    result = spark.sql(body).collect()
    return [(r[key], r[-1]) for r in result], f"spark {pyspark.__version__}"


def check(engine, dialect, binary, model, csv_text, key, tolerance, tmp):
    args = [binary, "export", "--format", "sql", "--dialect", dialect, "--table", "cases"]
    if model:
        args += ["--model", model]
    sql = run(args)
    header, rows = rows_of(csv_text)
    got, version = engine(sql, header, rows, key, tmp)
    expected = recontact_scores(binary, model, csv_text, key)
    worst, nulls, problems = 0.0, 0, []
    for k, p in got:
        want = expected.get(k)
        if p is None or (isinstance(p, float) and math.isnan(p)):
            nulls += 1
            if want is not None:
                problems.append(f"{k}: NULL, recontact {want}")
        elif want is None:
            problems.append(f"{k}: {p}, but recontact rejects the row")
        else:
            worst = max(worst, abs(float(p) - want))
    if len(got) != len(rows):
        problems.append(f"{len(got)} rows back for {len(rows)}")
    return version, len(rows), nulls, worst, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "recontact"))
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--postgres", help="psql connection arguments")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "recontact-cli"], cwd=ROOT, check=True)

    with open(os.path.join(ROOT, "data", "recontact_outcomes.csv")) as f:
        committed = f.read()
    header, rows = rows_of(committed)
    good = rows[0]
    for name, position, value in DEFAULT_EXTRA:
        row = list(good)
        row[0] = name
        row[position] = value
        rows.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header] + rows)
    default_data = buffer.getvalue()

    engines = [("sqlite", "sqlite", engine_sqlite), ("duckdb", "duckdb", engine_duckdb),
               ("spark", "spark", engine_spark)]
    if args.postgres:
        engines.append(("postgres", "postgres", engine_postgres(args.postgres)))

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        fit_rows = ["id,low,age,lwt,race,smoke,ptl,ftv"]
        with open(os.path.join(ROOT, "crates", "scoring", "tests", "fixtures", "birthwt.csv")) as f:
            for i, r in enumerate(csv.DictReader(f)):
                smoke = "Yes" if r["smoke"] == "1" else "no"
                fit_rows.append(f"{i},{r['low']},{r['age']},{r['lwt']},{r['race']},{smoke},"
                                f"{r['ptl']},{r['ftv']}")
        fit_data = os.path.join(tmp, "birthwt.csv")
        with open(fit_data, "w") as f:
            f.write("\n".join(fit_rows) + "\n")
        spec = os.path.join(tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(RCS_SPEC)
        model = os.path.join(tmp, "model.json")
        run([args.binary, "fit", "--data", fit_data, "--spec", spec, "--l2", "0.1",
             "--out", model, "--quiet"])
        spelled = [f"s{i},0,25,130,1,no,{s},0" for i, s in enumerate(SPELLINGS)]
        rcs_data = "\n".join(fit_rows + RCS_EXTRA_ROWS + spelled) + "\n"

        cases = [("default model", None, default_data, "case_id"),
                 ("splines and interactions", model, rcs_data, "id")]
        for engine_name, dialect, engine in engines:
            for label, model_path, data, key in cases:
                try:
                    version, n, nulls, worst, problems = check(
                        engine, dialect, args.binary, model_path, data, key, args.tolerance, tmp)
                except ImportError as e:
                    print(f"{engine_name}: skipped ({e})")
                    break
                except Exception as e:  # an engine's error is a failed check
                    print(f"{engine_name}, {label}: ERROR {e}")
                    failed = True
                    continue
                bad = problems or worst > args.tolerance
                failed |= bool(bad)
                print(f"{version}, {label}: {n} rows, {nulls} NULL (= rejected by recontact), "
                      f"max |difference| = {worst:.3e}{' FAILED' if bad else ''}")
                for p in problems[:10]:
                    print("  " + p)
    print("FAILED" if failed else f"OK: every probability within {args.tolerance:g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
