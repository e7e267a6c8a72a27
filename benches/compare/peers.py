"""The Python peers that `run.sh` times against `recontact`.

Each subcommand is one complete job, run as its own process and timed as a whole
(interpreter start, imports, reading the CSV, computing, writing), because that is what
a user running the peer instead of `recontact` waits for.

    python peers.py sklearn-fit DATA.csv [PARAMS.json]
    python peers.py statsmodels-fit DATA.csv [PARAMS.json]
    python peers.py duckdb-score-numeric DATA.csv MODEL.json OUT.csv
    python peers.py duckdb-score-sql DATA.csv STATEMENT.sql OUT.csv
    python peers.py to-parquet DATA.csv DATA.parquet

DATA may also be a .parquet file (read by DuckDB, which writes OUT as Parquet when its
name ends in .parquet).

PARAMS.json, when given, receives {"intercept": b0, "x0": b1, ...} for the agreement
check; the timed runs leave it out.
"""

import json
import sys


def read_numeric(path):
    if path.endswith(".parquet"):
        import duckdb

        frame = duckdb.read_parquet(path).df()
    else:
        import pandas as pd

        frame = pd.read_csv(path)
    features = [c for c in frame.columns if c != "y"]
    return frame["y"].to_numpy(), frame[features].to_numpy(), features


def write_params(path, names, values):
    if path:
        with open(path, "w") as f:
            json.dump(dict(zip(names, map(float, values))), f, indent=1)


def sklearn_fit(data, out=None):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    y, x, features = read_numeric(data)
    # C = inf is the unpenalised fit (`penalty=None` is deprecated from scikit-learn
    # 1.8); the tight tolerance makes L-BFGS reach the maximum-likelihood estimate that
    # `recontact fit` computes, rather than stopping early and looking faster.
    model = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000, tol=1e-10)
    model.fit(x, y)
    write_params(out, ["intercept"] + features, [model.intercept_[0], *model.coef_[0]])


def statsmodels_fit(data, out=None):
    import statsmodels.api as sm

    y, x, features = read_numeric(data)
    result = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0)
    write_params(out, ["intercept"] + features, result.params)


def duckdb_score_numeric(data, model_path, out):
    import duckdb

    with open(model_path) as f:
        model = json.load(f)
    terms = model["terms"]
    # repr() is the shortest round-trip spelling, so DuckDB reads the very doubles the
    # model file holds; the sum keeps the model's term order.
    parts = []
    for term in terms:
        name, estimate = term["term"], repr(float(term["estimate"]))
        if name == "intercept":
            parts.append(f"({estimate})")
        else:
            parts.append(f'({estimate}) * "{name}"')
    eta = " + ".join(parts)
    statement = (
        f"COPY (SELECT *, 1 / (1 + exp(-({eta}))) AS p FROM {reader(data)}) "
        f"TO {sql_string(out)} {'(FORMAT parquet)' if out.endswith('.parquet') else '(HEADER)'}"
    )
    duckdb.connect().execute(statement)


def duckdb_score_sql(data, statement_path, out):
    import duckdb

    with open(statement_path) as f:
        text = f.read()
    # The exported statement is `SELECT ... FROM "cases";` preceded by comment lines;
    # COPY wants the bare SELECT.
    select = "\n".join(l for l in text.splitlines() if not l.startswith("--")).strip()
    select = select.rstrip(";")
    con = duckdb.connect()
    # all_varchar: the statement applies the scorer's own parsing rules to the text
    # of every field, as docs/scaling.md recommends for a CSV import.
    con.execute(
        f"CREATE VIEW cases AS SELECT * FROM read_csv({sql_string(data)}, all_varchar = true)"
    )
    con.execute(f"COPY ({select}) TO {sql_string(out)} (HEADER)")


def reader(data):
    function = "read_parquet" if data.endswith(".parquet") else "read_csv"
    return f"{function}({sql_string(data)})"


def to_parquet(data, out):
    import duckdb

    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv({sql_string(data)})) TO {sql_string(out)} (FORMAT parquet)"
    )


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


COMMANDS = {
    "sklearn-fit": sklearn_fit,
    "statsmodels-fit": statsmodels_fit,
    "duckdb-score-numeric": duckdb_score_numeric,
    "duckdb-score-sql": duckdb_score_sql,
    "to-parquet": to_parquet,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
