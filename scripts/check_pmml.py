#!/usr/bin/env python3
"""Check `recontact export --format pmml` with a real PMML consumer (pypmml, on the JVM).

Exports the embedded default model and a model with every kind of term (linear spline,
restricted cubic spline, categorical, boolean, log1p, interactions) fitted on the vendored
birthwt data, scores rows with pypmml and with `recontact score`, and prints the largest
absolute difference of the probabilities. Rows that `recontact score` rejects must come
back from pypmml as missing (NaN).

Not part of CI. Needs Java and `pip install pypmml pandas`. Run from anywhere:

    python scripts/check_pmml.py            # builds the binary with cargo first
    python scripts/check_pmml.py --no-build --binary target/release/recontact

Exit status 0 when every probability agrees to --tolerance (default 1e-9).
"""

import argparse
import csv
import io
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RCS_SPEC = """
outcome = "low"
[[term]]
kind = "spline"
column = "age"
knots = [20, 30]
[[term]]
kind = "rcs"
column = "lwt"
k = 4
[[term]]
kind = "categorical"
column = "race"
[[term]]
kind = "boolean"
column = "smoke"
[[term]]
kind = "numeric"
column = "ftv"
transform = "log1p"
[[term]]
kind = "numeric"
column = "ptl"
[[term]]
kind = "interaction"
between = ["lwt", "race"]
[[term]]
kind = "interaction"
between = ["race", "smoke"]
[[term]]
kind = "interaction"
between = ["smoke", "age"]
[bounds]
lwt = { min = 0, max = 1e9 }
"""

# Beyond and at the knots, far outside the data; the last rows are invalid.
RCS_EXTRA_ROWS = [
    "e1,0,15,50,1,no,0,0",
    "e2,0,20,94.4,1,yes,0,0",
    "e3,0,30,188.2,2,YES,1,2",
    "e4,0,45,250,3,no,3,6",
    "e5,0,1e6,1e8,3,true,0,0",
    "e6,0,-1e6,0,1,0,0,0",
    "e7,0,25,130,1,no,0,-0.5",
    "bad-log1p,0,25,130,1,no,0,-1",
    "bad-bound,0,25,-1,1,no,0,0",
    "bad-level,0,25,130,4,no,0,0",
    "bad-boolean,0,25,130,1,maybe,0,0",
]


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def recontact_scores(binary, model, data_path, key):
    """`recontact score` probabilities by key; rejected rows are absent."""
    with tempfile.TemporaryDirectory() as tmp:
        rejects = os.path.join(tmp, "rejects.csv")
        args = [binary, "score", data_path, "--on-invalid", "skip", "--rejects", rejects, "-q"]
        if model:
            args += ["--model", model]
        out = run(args)
    return {row[key]: float(row["p_success"]) for row in csv.DictReader(io.StringIO(out))}


def compare(name, binary, model, data_path, key, pmml_path):
    from pypmml import Model
    import pandas as pd

    frame = pd.read_csv(data_path, dtype=str, keep_default_na=False)
    predicted = Model.load(pmml_path).predict(frame)
    expected = recontact_scores(binary, model, data_path, key)
    worst, missing, problems = 0.0, 0, []
    for k, p in zip(frame[key], predicted["p_success"]):
        p = float(p) if p is not None else math.nan
        want = expected.get(k)
        if want is None:
            missing += 1
            if not math.isnan(p):
                problems.append(f"{k}: recontact rejects, pypmml gives {p}")
        elif math.isnan(p):
            problems.append(f"{k}: pypmml gives no probability, recontact {want}")
        else:
            worst = max(worst, abs(p - want))
    print(f"{name}: {len(frame)} rows, {missing} rejected by both, "
          f"max |pypmml - recontact score| = {worst:.3e}")
    return worst, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "recontact"))
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "recontact-cli"], cwd=ROOT, check=True)
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    from importlib.metadata import version
    print(f"pypmml {version('pypmml')}, {java}")

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        default_pmml = os.path.join(tmp, "default.pmml")
        with open(default_pmml, "w") as f:
            f.write(run([args.binary, "export", "--format", "pmml"]))
        data = os.path.join(ROOT, "data", "recontact_outcomes.csv")
        results.append(compare("default model, data/recontact_outcomes.csv", args.binary, None,
                               data, "case_id", default_pmml))

        rows = ["id,low,age,lwt,race,smoke,ptl,ftv"]
        with open(os.path.join(ROOT, "crates", "scoring", "tests", "fixtures", "birthwt.csv")) as f:
            for i, r in enumerate(csv.DictReader(f)):
                smoke = "Yes" if r["smoke"] == "1" else "no"
                rows.append(f"{i},{r['low']},{r['age']},{r['lwt']},{r['race']},{smoke},{r['ptl']},{r['ftv']}")
        fit_data = os.path.join(tmp, "birthwt.csv")
        with open(fit_data, "w") as f:
            f.write("\n".join(rows) + "\n")
        spec = os.path.join(tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(RCS_SPEC)
        model = os.path.join(tmp, "model.json")
        run([args.binary, "fit", "--data", fit_data, "--spec", spec, "--l2", "0.1",
             "--out", model, "--quiet"])
        score_data = os.path.join(tmp, "birthwt_extra.csv")
        with open(score_data, "w") as f:
            f.write("\n".join(rows + RCS_EXTRA_ROWS) + "\n")
        rcs_pmml = os.path.join(tmp, "rcs.pmml")
        with open(rcs_pmml, "w") as f:
            f.write(run([args.binary, "export", "--model", model, "--format", "pmml"]))
        results.append(compare("splines and interactions, birthwt + 11 edge rows", args.binary,
                               model, score_data, "id", rcs_pmml))

    failed = False
    for worst, problems in results:
        for p in problems:
            print("  " + p)
        failed |= bool(problems) or worst > args.tolerance
    print("FAILED" if failed else f"OK: every probability within {args.tolerance:g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
