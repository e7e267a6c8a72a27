"""Agreement checks for `run.sh`: does each pair of tools give the same answer?

    python agree.py coef   LABEL TOL MODEL.json PARAMS.json [--info]
                                                               recontact model vs peer params
    python agree.py models LABEL TOL A.json B.json             two recontact model files
    python agree.py prob   LABEL TOL A.csv COL_A B.csv COL_B   two probability columns
    python agree.py same   LABEL A B                           byte-identical files

Each check prints one PASS/FAIL line and appends it to $CHECKS (a JSON-lines file) for
the report; with --info the line says INFO and never counts as a failure. A FAIL does
not stop the script: the report is more useful with every result in it, and run.sh
exits non-zero at the end instead.
"""

import filecmp
import json
import os
import sys

import numpy as np


def record(label, ok, detail, informational=False):
    status = "INFO" if informational else ("PASS" if ok else "FAIL")
    print(f"  {status} {label}: {detail}")
    path = os.environ.get("CHECKS")
    if path:
        with open(path, "a") as f:
            entry = {"label": label, "status": status, "detail": detail}
            f.write(json.dumps(entry) + "\n")


def estimates(model_path):
    with open(model_path) as f:
        return {t["term"]: float(t["estimate"]) for t in json.load(f)["terms"]}


def compare_named(label, tol, a, b, informational):
    if set(a) != set(b):
        record(label, False, f"different coefficient names: {sorted(set(a) ^ set(b))}")
        return
    diff = max(abs(a[k] - b[k]) for k in a)
    worst = max(a, key=lambda k: abs(a[k] - b[k]))
    detail = f"max abs diff {diff:.3g} (at {worst}) over {len(a)} coefficients, tolerance {tol:g}"
    record(label, diff <= tol, detail, informational)


def coef(label, tol, model_path, params_path, informational=False):
    with open(params_path) as f:
        params = {k: float(v) for k, v in json.load(f).items()}
    compare_named(label, float(tol), estimates(model_path), params, informational)


def models(label, tol, a_path, b_path):
    compare_named(label, float(tol), estimates(a_path), estimates(b_path), False)


def prob(label, tol, a_path, a_col, b_path, b_col):
    import pandas as pd

    # Read the probability as text and parse it here, so that pandas' fast float
    # parser (which may round the last digit) cannot create or hide a difference.
    a = pd.read_csv(a_path, usecols=[a_col], dtype=str, keep_default_na=False)[a_col]
    b = pd.read_csv(b_path, usecols=[b_col], dtype=str, keep_default_na=False)[b_col]
    if len(a) != len(b):
        record(label, False, f"{len(a)} rows against {len(b)} rows")
        return
    a = np.array([float(v) if v else np.nan for v in a])
    b = np.array([float(v) if v else np.nan for v in b])
    null_mismatch = int(np.sum(np.isnan(a) != np.isnan(b)))
    both = ~np.isnan(a) & ~np.isnan(b)
    if not both.any():
        record(label, False, "no row has a probability in both files")
        return
    abs_diff = np.abs(a[both] - b[both])
    rel_diff = abs_diff / np.maximum(np.abs(b[both]), np.finfo(float).tiny)
    tol = float(tol)
    ok = null_mismatch == 0 and rel_diff.max() <= tol
    detail = (
        f"{len(a)} rows, max rel diff {rel_diff.max():.3g}, max abs diff {abs_diff.max():.3g}, "
        f"{int(np.sum(~both))} empty, {null_mismatch} empty in one file only, tolerance {tol:g} rel"
    )
    record(label, ok, detail)


def same(label, a_path, b_path):
    identical = filecmp.cmp(a_path, b_path, shallow=False)
    record(label, identical, "identical" if identical else "different")


def main():
    commands = {"coef": coef, "models": models, "prob": prob, "same": same}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    what, rest = sys.argv[1], sys.argv[2:]
    if what == "coef" and rest and rest[-1] == "--info":
        coef(*rest[:-1], informational=True)
    else:
        commands[what](*rest)


if __name__ == "__main__":
    main()
