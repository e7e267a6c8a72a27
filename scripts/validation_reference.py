"""Reference values for the overfitting-corrected calibration curve and the stability
measures of `recontact validate`, computed independently with numpy and statsmodels.

Usage (from the repository root):
    cargo run -q -p recontact-scoring --example bootstrap_rows -- 189 3 20 > rows.txt
    python scripts/validation_reference.py rows.txt

Data: crates/scoring/tests/fixtures/birthwt.csv, outcome `low` on age, lwt, smoke, ht, ui
(all numeric), 20 resamples with seed 3 (the rows the project draws, read from rows.txt),
stability threshold 0.3.

The calibration curve follows rms 8.1-1 `calibrate.default` / `predab.resample`:
grid = seq(p[5], p[n-4], length=50) of the sorted original predictions; each curve is
approx(lowess(p, y, iter=0), xout=grid, ties=first) (NA outside the range of p);
optimism at a grid point = mean over resamples where both curves exist of
(curve of the resample's model on the resample - its curve on the original data);
corrected = apparent - optimism; errors as print.calibrate.default:
err = p - approx(grid, corrected, xout=p), mean |err|, quantile(|err|, .9) (type 7),
NA left out. lowess is a numpy port of R's clowess (stats/src/lowess.c) with
iter = 0, checked here against statsmodels' lowess on tie-free data.
"""

import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess


def clowess(x, y, f=2 / 3):
    """R's lowess(x, y, f, iter=0): sorted x and fitted values."""
    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    n = len(x)
    delta = 0.01 * (x[-1] - x[0])
    ns = max(2, min(n, int(f * n + 1e-7)))
    ys = np.zeros(n)
    rng = x[-1] - x[0]
    nleft, nright, last, i = 0, ns - 1, -1, 0
    while True:
        while nright < n - 1 and x[i] - x[nleft] > x[nright + 1] - x[i]:
            nleft += 1
            nright += 1
        xs = x[i]
        h = max(xs - x[nleft], x[nright] - xs)
        w = np.zeros(n)
        a = 0.0
        j = nleft
        while j < n:
            r = abs(x[j] - xs)
            if r <= 0.999 * h:
                w[j] = 1.0 if r <= 0.001 * h else (1 - (r / h) ** 3) ** 3
                a += w[j]
            elif x[j] > xs:
                break
            j += 1
        nrt = j - 1
        if a <= 0:
            ys[i] = y[i]
        else:
            ww = w[nleft:nrt + 1] / a
            xx = x[nleft:nrt + 1]
            if h > 0:
                c0 = np.sum(ww * xx)
                c = np.sum(ww * (xx - c0) ** 2)
                if np.sqrt(c) > 0.001 * rng:
                    ww = ww * ((xs - c0) / c * (xx - c0) + 1)
            ys[i] = np.sum(ww * y[nleft:nrt + 1])
        if last < i - 1:
            for k in range(last + 1, i):
                alpha = (x[k] - x[last]) / (x[i] - x[last])
                ys[k] = alpha * ys[i] + (1 - alpha) * ys[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < n:
            if x[i] > cut:
                break
            if x[i] == x[last]:
                ys[i] = ys[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            return x, ys


def approx_first(x, y, xout):
    """approx(x, y, xout, ties=function(v) v[1], rule=1)."""
    ux, first = np.unique(x, return_index=True)
    uy = y[first]
    out = np.interp(xout, ux, uy)
    out[(xout < ux[0]) | (xout > ux[-1])] = np.nan
    return out


def curve(p, y, grid):
    sx, sy = clowess(p, y)
    return approx_first(sx, sy, grid)


def main():
    rows = [np.array(line.split(), int) for line in open(sys.argv[1])]
    data = pd.read_csv("crates/scoring/tests/fixtures/birthwt.csv")
    X = sm.add_constant(data[["age", "lwt", "smoke", "ht", "ui"]].astype(float).values)
    y = data["low"].values.astype(float)
    threshold = 0.3

    # The port against statsmodels where they agree by construction (no ties).
    t = np.random.default_rng(1).uniform(size=300)
    u = (np.random.default_rng(2).uniform(size=300) < t).astype(float)
    ours = clowess(t, u)[1]
    theirs = sm_lowess(u, t, frac=2 / 3, it=0, delta=0.01 * np.ptp(t))[:, 1]
    print("clowess vs statsmodels, max difference:", np.max(np.abs(ours - theirs)))

    beta = sm.Logit(y, X).fit(disp=0, tol=1e-12, maxiter=100).params
    p = 1 / (1 + np.exp(-X @ beta))
    n = len(y)
    sp = np.sort(p)
    grid = np.linspace(sp[4], sp[n - 5], 50)
    apparent = curve(p, y, grid)
    diffs, boot_p = [], []
    for r in rows:
        b = sm.Logit(y[r], X[r]).fit(disp=0, tol=1e-12, maxiter=100).params
        pb_train = 1 / (1 + np.exp(-X[r] @ b))
        pb = 1 / (1 + np.exp(-X @ b))
        diffs.append(curve(pb_train, y[r], grid) - curve(pb, y, grid))
        boot_p.append(pb)
    diffs = np.array(diffs)
    used = np.sum(~np.isnan(diffs), axis=0)
    optimism = np.nanmean(diffs, axis=0)
    corrected = apparent - optimism
    keep = used > 0
    cal = np.interp(p, grid[keep], corrected[keep])
    inside = (p >= grid[keep][0]) & (p <= grid[keep][-1])
    err = np.abs(p - cal)[inside]
    print("grid[0], grid[49]:", repr(grid[0]), repr(grid[49]))
    for k in [0, 10, 25, 49]:
        print(f"k={k} apparent={apparent[k]!r} corrected={corrected[k]!r} used={used[k]}")
    print("mean absolute error:", repr(err.mean()))
    print("mean squared error:", repr((err ** 2).mean()))
    print("0.9 quantile:", repr(np.quantile(err, 0.9)))
    print("observations:", inside.sum())

    boot_p = np.array(boot_p)
    individual = np.abs(boot_p - p).mean(axis=0)
    flips = ((boot_p >= threshold) != (p >= threshold)).mean(axis=0)
    print("mape:", repr(individual.mean()))
    print("max individual mape:", repr(individual.max()))
    print("classification instability:", repr(flips.mean()))
    lo = np.quantile(boot_p[:, 0], 0.025)
    hi = np.quantile(boot_p[:, 0], 0.975)
    print("row 0: p", repr(p[0]), "2.5%", repr(lo), "97.5%", repr(hi))


main()
