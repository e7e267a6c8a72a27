"""Assemble the comparison report from what `run.sh` measured.

    python report.py RESULTS_DIR OUT.md

Reads RESULTS_DIR/{fit,score_numeric,score_recontact,fit_parquet,score_parquet}.json (hyperfine's export format,
recontact's command first), mem.jsonl, checks.jsonl and notes.txt; prints the report
and writes it to OUT.md. Environment: ROWS, BIG_ROWS, RUNS, TIMER, RECONTACT (the
binary), OPENBLAS_NOTE.
"""

import json
import os
import platform
import subprocess
import sys
from importlib import metadata

DESIGN_COLUMNS = 21  # intercept and x0..x19
PACKAGES = ["numpy", "scipy", "pandas", "scikit-learn", "statsmodels", "duckdb"]

# (file, task, peer names in the order run.sh passed the commands after recontact's)
TIMINGS = [
    ("fit.json", "fit, numeric 20 columns", ["scikit-learn LogisticRegression (lbfgs)", "statsmodels Logit (Newton)"]),
    ("score_numeric.json", "score, numeric 20 columns", ["DuckDB, SQL from the model's coefficients"]),
    ("score_recontact.json", "score, re-contact default model", ["DuckDB, `recontact export --dialect duckdb`"]),
    ("fit_parquet.json", "fit from Parquet, numeric 20 columns", ["statsmodels Logit (Newton), read by DuckDB"]),
    ("score_parquet.json", "score Parquet to Parquet, numeric 20 columns", ["DuckDB, SQL from the model's coefficients"]),
]


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def command_output(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unavailable"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_note():
    # Which BLAS kernel numpy runs matters to the scikit-learn and statsmodels times.
    try:
        import numpy  # noqa: F401  (loads the BLAS library so threadpoolctl sees it)
        from threadpoolctl import threadpool_info

        parts = [
            f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        ]
        return "; ".join(parts) or "none found"
    except Exception as error:  # informational only
        return f"unknown ({error})"


def seconds(value):
    return f"{value:.3f}"


def main():
    results, out_path = sys.argv[1], sys.argv[2]
    rows = int(os.environ["ROWS"])
    runs = os.environ.get("RUNS", "?")
    lines = ["# recontact compared with Python peers", ""]
    big = os.environ.get("BIG_ROWS", "")
    big_note = f"; the score memory check also at {int(big):,} rows" if big.isdigit() else ""
    lines.append(
        f"Rows: {rows:,}{big_note}. "
        f"Times are medians of {runs} runs after one warm-up run, whole processes, measured by "
        f"{os.environ.get('TIMER', '?')}; ratio below 1 means recontact is faster."
    )
    lines += ["", "## Time", ""]
    lines.append("| task | recontact median s | peer | peer median s | ratio (recontact/peer) |")
    lines.append("|---|---:|---|---:|---:|")
    for name, task, peers in TIMINGS:
        path = os.path.join(results, name)
        if not os.path.exists(path):
            lines.append(f"| {task} | not run | | | |")
            continue
        with open(path) as f:
            measured = json.load(f)["results"]
        ours = measured[0]["median"]
        for peer, other in zip(peers, measured[1:]):
            ratio = ours / other["median"] if other["median"] > 0 else float("nan")
            lines.append(
                f"| {task} | {seconds(ours)} | {peer} | {seconds(other['median'])} | {ratio:.2f} |"
            )

    lines += ["", "## Peak memory", ""]
    lines.append(
        "| command | rows | peak RSS MiB | f64 design matrix MiB (rows × 21 × 8 B) | RSS / design matrix |"
    )
    lines.append("|---|---:|---:|---:|---:|")
    for m in read_jsonl(os.path.join(results, "mem.jsonl")):
        rss = m["rss_kib"] * 1024
        design = m["rows"] * DESIGN_COLUMNS * 8
        lines.append(
            f"| {m['label']} | {m['rows']:,} | {rss / 2**20:.1f} | {design / 2**20:.1f} | {rss / design:.3f} |"
        )

    lines += ["", "## Checks", "", "| check | result | detail |", "|---|---|---|"]
    checks = read_jsonl(os.path.join(results, "checks.jsonl"))
    for c in checks:
        lines.append(f"| {c['label']} | {c['status']} | {c['detail']} |")
    notes_path = os.path.join(results, "notes.txt")
    if os.path.exists(notes_path):
        with open(notes_path) as f:
            notes = [line.strip() for line in f if line.strip()]
        if notes:
            lines += [""] + [f"- {n}" for n in notes]

    lines += ["", "## Machine", ""]
    lines.append(f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs (`nproc`: {command_output(['nproc'])})")
    lines.append(f"- OS: {command_output(['uname', '-sr'])}")
    lines.append(f"- {command_output(['rustc', '--version'])}")
    lines.append(f"- {command_output([os.environ.get('RECONTACT', 'recontact'), '--version'])}")
    lines.append(f"- Python {platform.python_version()}")
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} missing")
    lines.append("- " + ", ".join(versions))
    lines.append(f"- BLAS under numpy: {blas_note()}")
    if os.environ.get("OPENBLAS_NOTE"):
        lines.append(f"- {os.environ['OPENBLAS_NOTE']}")

    text = "\n".join(lines) + "\n"
    with open(out_path, "w") as f:
        f.write(text)
    print(text)
    return 1 if any(c["status"] == "FAIL" for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
