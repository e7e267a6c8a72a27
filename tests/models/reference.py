"""Independent reference values for tests/anova.rs, tests/compare.rs and tests/summary.rs.

Run with Python 3, numpy, pandas, statsmodels 0.15 from the workspace root:
    python tests/models/reference.py
It rebuilds the design of tests/models/*.json from data/recontact_outcomes.csv with its
own code (Harrell's restricted cubic spline in its truncated-power form, as
Hmisc::rcspline.eval with norm = 2), then prints the values the tests pin.
"""
import json

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

DATA = pd.read_csv("data/recontact_outcomes.csv")
Y = DATA["success"].to_numpy(float)
LEVELS = ["agency_recruiter", "corporate_recruiter", "hiring_manager"]


def rcs(x, knots):
    """Hmisc::rcspline.eval(x, knots, inclx = TRUE, norm = 2)."""
    x = np.asarray(x, float)
    t = np.asarray(knots, float)
    k = len(t)
    cube = lambda v: np.where(v > 0, v, 0.0) ** 3
    cols = [x]
    for j in range(k - 2):
        cols.append(
            (cube(x - t[j])
             - cube(x - t[k - 2]) * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
             + cube(x - t[k - 1]) * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2]))
            / (t[k - 1] - t[0]) ** 2)
    return np.column_stack(cols)


def design(frame, knots, interactions):
    """Columns in the model file's order: intercept, years, same_contact, contact_type
    indicators, rcs(days), then contact_type x rcs(days) and years x same_contact."""
    n = len(frame)
    years = frame["years_experience"].to_numpy(float)
    same = frame["same_contact"].astype(str).str.lower().eq("true").to_numpy(float)
    ct = frame["contact_type"].to_numpy()
    ind = np.column_stack([(ct == level).astype(float) for level in LEVELS[1:]])
    basis = rcs(frame["days_since_decline"], knots)
    cols = [np.ones(n), years, same, ind, basis]
    if interactions:
        cols.append(np.column_stack([ind[:, a] * basis[:, b] for a in range(2) for b in range(3)]))
        cols.append(years * same)
    return np.column_stack(cols)


def load(path):
    model = json.load(open(path))
    b = np.array([t["estimate"] for t in model["terms"]])
    v = np.array(model["covariance"])
    names = [t["term"] for t in model["terms"]]
    knots = next(t["knots"] for t in model["encoding"]["terms"] if t["kind"] == "rcs")
    return model, b, v, names, knots


def wald(b, v, idx):
    idx = list(idx)
    return float(b[idx] @ np.linalg.solve(v[np.ix_(idx, idx)], b[idx])), len(idx)


def main():
    model, b, v, names, knots = load("tests/models/interactions.json")
    at = lambda pred: [i for i, n in enumerate(names) if pred(n)]
    nonlin = lambda n: n.endswith("rcs2") or n.endswith("rcs3")
    ia = at(lambda n: n.count(":") >= 2 or n == "years_experience:same_contact")
    tests = {
        "years_experience (Factor+Higher Order Factors)": at(lambda n: n.startswith("years_experience")),
        "contact_type (Factor+Higher Order Factors)": at(lambda n: n.startswith("contact_type")),
        "days_since_decline (Factor+Higher Order Factors)": at(lambda n: "days_since_decline" in n),
        "days_since_decline Nonlinear": at(nonlin),
        "contact_type * days_since_decline": at(lambda n: n.startswith("contact_type") and "rcs" in n),
        "contact_type * days_since_decline Nonlinear": at(lambda n: n.startswith("contact_type") and nonlin(n)),
        "TOTAL INTERACTION": ia,
        "TOTAL NONLINEAR + INTERACTION": sorted(set(ia) | set(at(nonlin))),
        "TOTAL": range(1, len(b)),
    }
    print("# Wald chi2 (numpy.linalg.solve on the model file's coefficients and covariance)")
    for label, idx in tests.items():
        chi2, df = wald(b, v, idx)
        print(f"{label}: chi2 = {chi2!r}, df = {df}, p = {stats.chi2.sf(chi2, df)!r}")

    print("# Effects (numpy contrast, quartiles by numpy.percentile)")
    q = lambda c, p: float(np.percentile(DATA[c], p))
    base = pd.DataFrame({
        "years_experience": [q("years_experience", 50)] * 2,
        "same_contact": ["false"] * 2,
        "contact_type": ["agency_recruiter"] * 2,
        "days_since_decline": [q("days_since_decline", 50)] * 2,
    })
    settings = {
        "years_experience": ("years_experience", [q("years_experience", 25), q("years_experience", 75)]),
        "days_since_decline": ("days_since_decline", [q("days_since_decline", 25), q("days_since_decline", 75)]),
        "same_contact": ("same_contact", ["false", "true"]),
        "contact_type=hiring_manager": ("contact_type", ["agency_recruiter", "hiring_manager"]),
    }
    z = stats.norm.ppf(0.975)
    for label, (column, values) in settings.items():
        frame = base.copy()
        frame[column] = values
        x = design(frame, knots, True)
        c = x[1] - x[0]
        effect, se = float(c @ b), float(np.sqrt(c @ v @ c))
        print(f"{label} {values}: effect = {effect!r}, se = {se!r}, "
              f"or = {np.exp(effect)!r}, or_low = {np.exp(effect - z * se)!r}, "
              f"or_high = {np.exp(effect + z * se)!r}")

    print("# Likelihood-ratio tests (statsmodels Logit refits)")
    x = design(DATA, knots, True)
    full = sm.Logit(Y, x).fit(disp=0, tol=1e-12, maxiter=200)
    drops = {
        "years_experience": [names.index("years_experience"), names.index("years_experience:same_contact")],
        "contact_type": at(lambda n: n.startswith("contact_type")),
        "contact_type * days_since_decline": at(lambda n: n.startswith("contact_type") and "rcs" in n),
    }
    for label, idx in drops.items():
        keep = [i for i in range(x.shape[1]) if i not in idx]
        reduced = sm.Logit(Y, x[:, keep]).fit(disp=0, tol=1e-12, maxiter=200)
        lr = 2 * (full.llf - reduced.llf)
        print(f"{label}: chi2 = {lr!r}, df = {len(idx)}, p = {stats.chi2.sf(lr, len(idx))!r}")

    print("# compare: log-likelihood from the model files' coefficients, statsmodels fits")
    small, b_small, _, _, knots_small = load("tests/models/main_effects.json")
    lp_large = x @ b
    lp_small = design(DATA, knots_small, False) @ b_small
    ll = lambda lp: float(np.sum(Y * lp - np.logaddexp(0, lp)))
    fit_small = sm.Logit(Y, design(DATA, knots_small, False)).fit(disp=0, tol=1e-12, maxiter=200)
    for label, lp, k, fit in [("A main_effects", lp_small, len(b_small), fit_small),
                              ("B interactions", lp_large, len(b), full)]:
        l = ll(lp)
        print(f"{label}: ll = {l!r}, aic = {-2 * l + 2 * k!r}, bic = {-2 * l + k * np.log(len(Y))!r}, "
              f"statsmodels llf = {fit.llf!r}, aic = {fit.aic!r}, bic = {fit.bic!r}")
    lr = 2 * (full.llf - fit_small.llf)
    print(f"LR (statsmodels): chi2 = {lr!r}, df = {len(b) - len(b_small)}, "
          f"p = {stats.chi2.sf(lr, len(b) - len(b_small))!r}")

    print("# DeLong paired test (DeLong et al. 1988, pairwise kernel, O(m n))")
    print(delong_paired(Y, lp_small, lp_large))


def delong_paired(y, a, b):
    pos, neg = y == 1, y == 0

    def components(s):
        psi = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
        return psi.mean(axis=1), psi.mean(axis=0)

    (v10a, v01a), (v10b, v01b) = components(a), components(b)
    auc_a, auc_b = v10a.mean(), v10b.mean()
    s10 = np.cov(np.vstack([v10a, v10b]))
    s01 = np.cov(np.vstack([v01a, v01b]))
    l = np.array([1.0, -1.0])
    se = float(np.sqrt(l @ (s10 / pos.sum() + s01 / neg.sum()) @ l))
    zz = (auc_a - auc_b) / se
    return dict(auc_a=auc_a, auc_b=auc_b, difference=auc_a - auc_b, se=se, z=zz,
                p_value=2 * stats.norm.sf(abs(zz)))


if __name__ == "__main__":
    main()
