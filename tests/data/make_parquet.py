"""Makes tests/data/recontact_outcomes.parquet from data/recontact_outcomes.csv with
pyarrow, a Parquet writer independent of this project's, for tests/parquet.rs.

Not run in CI: the Parquet file is committed. Run from the repository root with a
Python that has pyarrow (`python -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow`):

    /tmp/pa/bin/python tests/data/make_parquet.py

pyarrow infers the types a warehouse export would have: int64 for whole numbers,
double for decimals, bool for true/false, string otherwise. Two row groups (so the
reader crosses one) and snappy, the codec writers use by default.
"""

import pyarrow.csv as csv
import pyarrow.parquet as pq

table = csv.read_csv("data/recontact_outcomes.csv")
pq.write_table(
    table,
    "tests/data/recontact_outcomes.parquet",
    compression="snappy",
    row_group_size=3000,
)
print(table.schema)
