"""Write the numeric comparison data set and its model spec.

    python gen_numeric.py ROWS OUT.csv [SPEC.toml]

OUT.csv has the header `y,x0,...,x19`; every x is uniform on (-1, 1), written with six
decimals, and y ~ Bernoulli(logistic(sum_j x_j * (j - 10) / 10)) computed from the
written (rounded) values, so the file is exactly the data every tool sees.

The bytes depend on ROWS and the seed only: the x values and the uniforms behind y come
from two separate streams, so the first N rows of a larger file equal the N-row file
and the chunk size changes nothing.
"""

import sys

import numpy as np

SEED = 20261125
COLUMNS = 20
CHUNK = 200_000
# One field is sign, units digit, point, six decimals and a separator: 10 bytes. A
# positive value has no sign; its slot holds FILL, which is dropped before writing.
FIELD = 10
FILL = 0


def format_chunk(y, micro):
    """Render a chunk as CSV bytes without per-value Python formatting.

    `micro` holds the values in millionths (integers in [-1e6, 1e6]). Building the text
    digit by digit with array arithmetic keeps a 10-million-row file to well under a
    minute, where `numpy.savetxt` or `pandas.to_csv` take many minutes.
    """
    n = y.shape[0]
    row = np.full((n, 2 + COLUMNS * FIELD), FILL, dtype=np.uint8)
    row[:, 0] = ord("0") + y
    row[:, 1] = ord(",")
    mag = np.abs(micro)
    fields = row[:, 2:].reshape(n, COLUMNS, FIELD)
    fields[:, :, 0] = np.where(micro < 0, ord("-"), FILL)
    fields[:, :, 1] = ord("0") + mag // 1_000_000
    fields[:, :, 2] = ord(".")
    frac = mag % 1_000_000
    for pos in range(8, 2, -1):
        fields[:, :, pos] = ord("0") + frac % 10
        frac //= 10
    fields[:, :, 9] = ord(",")
    fields[:, -1, 9] = ord("\n")
    flat = row.reshape(-1)
    return flat[flat != FILL].tobytes()


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    rows = int(sys.argv[1])
    out = sys.argv[2]
    x_seed, y_seed = np.random.SeedSequence(SEED).spawn(2)
    x_rng = np.random.default_rng(x_seed)
    y_rng = np.random.default_rng(y_seed)
    beta = (np.arange(COLUMNS) - 10) / 10

    with open(out, "wb") as f:
        header = "y," + ",".join(f"x{j}" for j in range(COLUMNS)) + "\n"
        f.write(header.encode())
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            micro = np.rint(x_rng.uniform(-1.0, 1.0, size=(n, COLUMNS)) * 1e6).astype(np.int64)
            eta = (micro / 1e6) @ beta
            y = (y_rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.uint8)
            f.write(format_chunk(y, micro))
            done += n

    if len(sys.argv) == 4:
        with open(sys.argv[3], "w") as f:
            f.write('outcome = "y"\n')
            for j in range(COLUMNS):
                f.write(f'\n[[term]]\nkind = "numeric"\ncolumn = "x{j}"\n')


if __name__ == "__main__":
    main()
