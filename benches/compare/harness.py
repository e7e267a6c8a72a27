"""Timing and peak-memory measurement for `run.sh`.

    python harness.py time --runs N --warmup W --export-json OUT.json CMD [CMD ...]
    python harness.py rss --label L --rows N --out MEM.jsonl -- PROGRAM [ARG ...]

`time` is the fallback when hyperfine is not installed. It runs each command (a shell
string, as hyperfine takes it) with its output discarded, and alternates the commands
run by run, so that a slow phase of a shared machine hurts every command alike instead
of whichever happened to run during it. It writes the subset of hyperfine's JSON that
`report.py` reads (command, median, mean, min, max, times), so the report does not care
which tool measured.

`rss` runs one command and appends its peak resident set size to MEM.jsonl. It uses
`/usr/bin/time -v` when present (what a reader can rerun by hand) and otherwise the
kernel's own per-child accounting from wait4(), which reports the same number.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time


def run_shell(command):
    start = time.perf_counter()
    done = subprocess.run(
        ["bash", "-c", command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace"))
        sys.exit(f"command failed with exit code {done.returncode}: {command}")
    return elapsed


def time_commands(args):
    for command in args.commands:
        for _ in range(args.warmup):
            run_shell(command)
    times = {command: [] for command in args.commands}
    for i in range(args.runs):
        for command in args.commands:
            times[command].append(run_shell(command))
        medians = ", ".join(f"{statistics.median(t):.3f}s" for t in times.values())
        print(f"  run {i + 1}/{args.runs}: medians so far {medians}", file=sys.stderr)
    results = []
    for command in args.commands:
        t = times[command]
        results.append(
            {
                "command": command,
                "median": statistics.median(t),
                "mean": statistics.fmean(t),
                "min": min(t),
                "max": max(t),
                "times": t,
            }
        )
    with open(args.export_json, "w") as f:
        json.dump({"harness": "python", "results": results}, f, indent=1)


def peak_rss_kib(argv):
    if os.access("/usr/bin/time", os.X_OK):
        done = subprocess.run(
            ["/usr/bin/time", "-v", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            sys.exit(f"command failed with exit code {done.returncode}: {argv}")
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        if not found:
            sys.exit("no 'Maximum resident set size' in the output of /usr/bin/time -v")
        return int(found.group(1)), "/usr/bin/time -v"
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"command failed with exit code {child.returncode}: {argv}")
    return usage.ru_maxrss, "wait4"  # KiB on Linux


def measure_rss(args):
    argv = args.argv[1:] if args.argv and args.argv[0] == "--" else args.argv
    kib, how = peak_rss_kib(argv)
    record = {"label": args.label, "rows": args.rows, "rss_kib": kib, "measured_by": how}
    with open(args.out, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"  {args.label}: peak RSS {kib / 1024:.1f} MiB ({how})")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("time")
    t.add_argument("--runs", type=int, required=True)
    t.add_argument("--warmup", type=int, default=1)
    t.add_argument("--export-json", required=True)
    t.add_argument("commands", nargs="+")
    r = sub.add_parser("rss")
    r.add_argument("--label", required=True)
    r.add_argument("--rows", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    {"time": time_commands, "rss": measure_rss}[args.what](args)


if __name__ == "__main__":
    main()
