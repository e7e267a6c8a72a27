#!/usr/bin/env bash
# Compare recontact with the tools people would otherwise reach for: time, peak memory
# and answers, side by side in one run on one machine. Not part of CI; see README.md.
#
#   benches/compare/run.sh                          # 1M rows, 10M for the memory check
#   ROWS=20000 BIG_ROWS=50000 RUNS=2 benches/compare/run.sh
#
# Environment: ROWS (1000000), BIG_ROWS (10000000), RUNS (5), SKIP_BIG (0),
# WORK (target/compare), VENV ($WORK/venv), HYPERFINE (found on PATH; set it empty to
# use the Python timer).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROWS=${ROWS:-1000000}
BIG_ROWS=${BIG_ROWS:-10000000}
RUNS=${RUNS:-5}
SKIP_BIG=${SKIP_BIG:-0}
WORK=${WORK:-$ROOT/target/compare}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd) # every step below runs inside it, so make it absolute first
VENV=${VENV:-$WORK/venv}
HYPERFINE=${HYPERFINE-$(command -v hyperfine || true)}
RECONTACT=${CARGO_TARGET_DIR:-$ROOT/target}/release/recontact
RESULTS=$WORK/results
SEED=20261125 # the seed data/recontact_outcomes.csv was simulated with

step() { printf '\n== %s\n' "$*"; }
# Commands handed to the timer are shell strings; quote paths that may hold spaces.
q() { printf '%q' "$1"; }

step "Building the release binary"
(cd "$ROOT" && cargo build --release -p recontact-cli)

step "Python environment in $VENV"
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
PY=$VENV/bin/python

# Some machines set these to work around old OpenBLAS builds; they pin numpy's BLAS to
# a slower kernel, which would handicap the scikit-learn and statsmodels peers.
OPENBLAS_NOTE=""
if [[ -n ${OPENBLAS_CORETYPE:-} || -n ${OPENBLAS_L2_SIZE:-} ]]; then
  OPENBLAS_NOTE="OPENBLAS_CORETYPE='${OPENBLAS_CORETYPE:-}' and OPENBLAS_L2_SIZE='${OPENBLAS_L2_SIZE:-}' were set and were unset for this comparison"
  unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
export CHECKS=$RESULTS/checks.jsonl
cd "$WORK"

step "Data: $ROWS rows"
"$PY" "$HERE/gen_numeric.py" "$ROWS" num.csv num.toml
"$RECONTACT" simulate --n "$ROWS" --seed "$SEED" --out recontact.csv
# No --model: the embedded default model, the same one `recontact score` uses without
# --model. The statement reads the relation "cases", which peers.py creates as a view.
"$RECONTACT" export --format sql --dialect duckdb --table cases >recontact_duckdb.sql

if [[ -n $HYPERFINE ]]; then
  TIMER="hyperfine $("$HYPERFINE" --version | awk '{print $2}')"
else
  TIMER="harness.py (Python; commands alternated run by run)"
fi
# bench OUT.json CMD...: time each command RUNS times after one warm-up run.
bench() {
  local out=$RESULTS/$1
  shift
  if [[ -n $HYPERFINE ]]; then
    "$HYPERFINE" --runs "$RUNS" --warmup 1 --style basic --export-json "$out" "$@"
  else
    "$PY" "$HERE/harness.py" time --runs "$RUNS" --warmup 1 --export-json "$out" "$@"
  fi
}
RC=$(q "$RECONTACT")
PEERS="$(q "$PY") $(q "$HERE/peers.py")"

# Every timed command is a whole process, as a user runs it: for the Python peers that
# includes starting the interpreter and importing the libraries.
step "Timing fit ($RUNS runs each)"
bench fit.json \
  "$RC fit --data num.csv --spec num.toml --out num_model.json --quiet" \
  "$PEERS sklearn-fit num.csv" \
  "$PEERS statsmodels-fit num.csv"

step "Timing score, numeric model ($RUNS runs each)"
bench score_numeric.json \
  "$RC score num.csv --model num_model.json --out scored.csv --quiet" \
  "$PEERS duckdb-score-numeric num.csv num_model.json duck_scored.csv"

step "Timing score, re-contact default model ($RUNS runs each)"
bench score_recontact.json \
  "$RC score recontact.csv --out scored_rc.csv --quiet" \
  "$PEERS duckdb-score-sql recontact.csv recontact_duckdb.sql duck_rc.csv"

step "Timing fit and score from Parquet ($RUNS runs each)"
"$PY" "$HERE/peers.py" to-parquet num.csv num.parquet
bench fit_parquet.json \
  "$RC fit --data num.parquet --spec num.toml --out num_model_pq.json --quiet" \
  "$PEERS statsmodels-fit num.parquet"
bench score_parquet.json \
  "$RC score num.parquet --model num_model.json --out scored_pq.parquet --quiet" \
  "$PEERS duckdb-score-numeric num.parquet num_model.json duck_scored_pq.parquet"
"$RC" score num.parquet --model num_model.json --out scored_pq.csv --quiet

# The timed runs above left their outputs behind; the checks read those, so what was
# timed is what was checked.
step "Agreement"
"$PY" "$HERE/peers.py" statsmodels-fit num.csv statsmodels_params.json
"$PY" "$HERE/peers.py" sklearn-fit num.csv sklearn_params.json
"$PY" "$HERE/agree.py" coef "fit: recontact vs statsmodels Logit" 1e-6 num_model.json statsmodels_params.json
# L-BFGS stops on a gradient tolerance rather than at Newton's quadratic convergence, so
# its last digits differ; shown for information, not as a pass/fail.
"$PY" "$HERE/agree.py" coef "fit: recontact vs scikit-learn (lbfgs)" 1e-4 num_model.json sklearn_params.json --info
"$PY" "$HERE/agree.py" prob "score numeric: recontact p_success vs DuckDB p" 1e-12 scored.csv p_success duck_scored.csv p
"$PY" "$HERE/agree.py" models "fit: Parquet input vs the same rows as CSV" 0 num_model.json num_model_pq.json
"$PY" "$HERE/agree.py" prob "score numeric: Parquet input vs CSV input" 0 scored.csv p_success scored_pq.csv p_success
"$PY" "$HERE/agree.py" prob "score re-contact: recontact p_success vs exported SQL in DuckDB" 1e-12 scored_rc.csv p_success duck_rc.csv p_success

# Scored rows go to /dev/null: the memory of the scorer is the question, not the disk.
step "Peak memory"
MEM=$RESULTS/mem.jsonl
rss() { "$PY" "$HERE/harness.py" rss --out "$MEM" "$@"; }
rss --label "recontact score" --rows "$ROWS" -- "$RECONTACT" score num.csv --model num_model.json --out - --quiet
rss --label "recontact fit" --rows "$ROWS" -- "$RECONTACT" fit --data num.csv --spec num.toml --out num_model_rss.json --quiet
fit_help=$("$RECONTACT" fit --help) # not piped into grep -q: with pipefail, an early exit of grep could fail the pipe
if grep -q -- '--streaming' <<<"$fit_help"; then
  rss --label "recontact fit --streaming" --rows "$ROWS" -- "$RECONTACT" fit --streaming --data num.csv --spec num.toml --out num_model_streaming.json --quiet
  "$PY" "$HERE/agree.py" models "fit --streaming vs in-memory fit" 1e-9 num_model.json num_model_streaming.json
else
  echo "  recontact fit --help lists no --streaming flag: streaming fit not measured" | tee -a "$RESULTS/notes.txt"
fi
rss --label "scikit-learn fit (peer)" --rows "$ROWS" -- "$PY" "$HERE/peers.py" sklearn-fit num.csv
rss --label "statsmodels fit (peer)" --rows "$ROWS" -- "$PY" "$HERE/peers.py" statsmodels-fit num.csv
if [[ $SKIP_BIG == 1 ]]; then
  echo "  SKIP_BIG=1: score not measured at $BIG_ROWS rows" | tee -a "$RESULTS/notes.txt"
else
  "$PY" "$HERE/gen_numeric.py" "$BIG_ROWS" num_big.csv
  rss --label "recontact score" --rows "$BIG_ROWS" -- "$RECONTACT" score num_big.csv --model num_model.json --out - --quiet
  if grep -q -- '--streaming' <<<"$fit_help"; then
    rss --label "recontact fit --streaming" --rows "$BIG_ROWS" -- "$RECONTACT" fit --streaming --data num_big.csv --spec num.toml --out num_model_streaming_big.json --quiet
  fi
  rm -f num_big.csv # about 190 MB per million rows, and cheap to make again
fi

step "Determinism across thread counts"
for threads in 1 2; do
  RAYON_NUM_THREADS=$threads "$RECONTACT" score num.csv --model num_model.json --out "scored_t$threads.csv" --quiet
  RAYON_NUM_THREADS=$threads "$RECONTACT" fit --data num.csv --spec num.toml --out "num_model_t$threads.json" --quiet
done
"$PY" "$HERE/agree.py" same "score output, RAYON_NUM_THREADS=1 vs 2" scored_t1.csv scored_t2.csv
"$PY" "$HERE/agree.py" same "fit model file, RAYON_NUM_THREADS=1 vs 2" num_model_t1.json num_model_t2.json

step "Report ($WORK/report.md)"
# report.py exits 1 when a check failed, after writing the report.
ROWS=$ROWS BIG_ROWS=$([[ $SKIP_BIG == 1 ]] && echo "skipped" || echo "$BIG_ROWS") RUNS=$RUNS \
  TIMER=$TIMER RECONTACT=$RECONTACT OPENBLAS_NOTE=$OPENBLAS_NOTE \
  "$PY" "$HERE/report.py" "$RESULTS" "$WORK/report.md"
