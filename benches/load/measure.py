#!/usr/bin/env python3
"""Load benchmarks for BENCHMARKS.md ("Loading"): whole-process wall time
and peak RSS under /usr/bin/time -v, medians of N runs, with the 1-minute
load average before each run (the machine may be shared: timings are noisy).

One command, one command's figures:

    python3 benches/load/measure.py LABEL N [--before 'SHELL CMD'] -- CMD ARGS...

`--before` runs a shell command before each timed run (e.g. clearing a
cache so that every run is a first load).

The whole table (every target of issue 14, before vs after, back to back):

    python3 benches/load/measure.py table --before OLD_BIN --after NEW_BIN \\
        --work DIR [--cn ../shared/data/cn-ashare] [-n 5] [--cases medium-noiw,large-noiw,cn]

generates the medium (800 x 2,500) and large (3,000 x 3,000) bundles in
DIR once (seed 7, widened to 20 factor columns by widen_factors.py), plus
`-noiw` copies of them without index_weights.csv (symlinks: the shape the
issue was measured on, before the generator wrote index weights), and runs
benches/load/one_factor.toml on each and strategies/cn_csi500_reversal.toml
on cn-ashare: CSV (--no-cache) before/after alternating, then from the cache
(a warm-up run builds it; before and after keep separate caches via
ALPHASIM_CACHE and by running one binary's series before the other's). It
checks that every run folder equals the first one byte for byte and prints
a Markdown table. `--cases` keeps only the listed rows (keys medium,
medium-noiw, large, large-noiw, cn).
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUNDLE_FILES = ["bars", "benchmark", "constituents", "factors", "fundamentals", "industries"]


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(cmd, env=None):
    """(wall seconds, peak RSS MB, load average before, CPU seconds) of one run."""
    load = loadavg()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr[-2000:]}")
    m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    h, mnt, s = m.groups()
    wall = int(h or 0) * 3600 + int(mnt) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", p.stderr).group(1)) for k in ["User", "System"])
    return wall, rss, load, cpu


def summary(runs):
    walls = [r[0] for r in runs]
    loads = [r[2] for r in runs]
    return {
        "wall": statistics.median(walls),
        "runs": walls,
        "rss": statistics.median([r[1] for r in runs]),
        "cpu": statistics.median([r[3] for r in runs]),
        "load": (min(loads), max(loads)),
    }


def fmt(s):
    lo, hi = s["load"]
    return f"{s['wall']:.2f} s ({s['cpu']:.2f} s CPU), {s['rss']:.0f} MB (load {lo:.1f}-{hi:.1f})"


def one(argv):
    label, n = argv[0], int(argv[1])
    rest = argv[2:]
    before = None
    if rest[0] == "--before":
        before, rest = rest[1], rest[2:]
    assert rest[0] == "--"
    runs = []
    for _ in range(n):
        if before:
            subprocess.run(before, shell=True, check=True)
        runs.append(timed(rest[1:]))
    s = summary(runs)
    print(f"{label}: median {fmt(s)}; runs {', '.join(f'{w:.2f}' for w in s['runs'])}")


def folder_bytes(d):
    out = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


def ensure_bundles(after, work):
    for preset in ["medium", "large"]:
        d = os.path.join(work, preset)
        if not os.path.exists(os.path.join(d, "factors.csv")):
            subprocess.run([after, "generate", "--preset", preset, "--seed", "7", "--out", d],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run([sys.executable, os.path.join(HERE, "widen_factors.py"), d, "20"], check=True)
        noiw = d + "-noiw"
        os.makedirs(noiw, exist_ok=True)
        for f in BUNDLE_FILES:
            link = os.path.join(noiw, f + ".csv")
            if not os.path.lexists(link):
                os.symlink(os.path.join("..", preset, f + ".csv"), link)


def table(argv):
    args = {"-n": "5", "--cn": os.path.join(ROOT, "..", "shared", "data", "cn-ashare"), "--cases": ""}
    i = 0
    while i < len(argv):
        args[argv[i]] = argv[i + 1]
        i += 2
    before, after, work, n = args["--before"], args["--after"], args["--work"], int(args["-n"])
    os.makedirs(work, exist_ok=True)
    ensure_bundles(after, work)
    one_factor = os.path.join(HERE, "one_factor.toml")
    reversal = os.path.join(ROOT, "strategies", "cn_csi500_reversal.toml")
    cases = [
        ("medium, 800 x 2,500", "medium", one_factor),
        ("medium without index_weights.csv", "medium-noiw", one_factor),
        ("large, 3,000 x 3,000", "large", one_factor),
        ("large without index_weights.csv", "large-noiw", one_factor),
        ("cn-ashare CSI500 reversal (CSV.gz)", "cn", reversal),
    ]
    if args["--cases"]:
        keep = args["--cases"].split(",")
        cases = [c for c in cases if c[1] in keep]
    rows = []
    for label, key, spec in cases:
        data = args["--cn"] if key == "cn" else os.path.join(work, key)
        out = os.path.join(work, "runs", key)
        env = {b: dict(os.environ, ALPHASIM_CACHE=os.path.join(work, f"cache-{b}")) for b in ["before", "after"]}
        bins = {"before": before, "after": after}

        def cmd(b, tag, no_cache):
            c = [bins[b], "backtest", spec, "--data", data, "--out", os.path.join(out, f"{b}-{tag}"), "-q"]
            return c + (["--no-cache"] if no_cache else [])

        res = {}
        csv = {"before": [], "after": []}
        for _ in range(n):  # back to back: before, after, before, ...
            for b in ["before", "after"]:
                csv[b].append(timed(cmd(b, "csv", True), env[b]))
        for b in ["before", "after"]:
            res[(b, "csv")] = summary(csv[b])
            timed(cmd(b, "warm", False), env[b])  # builds this binary's cache
            res[(b, "cache")] = summary([timed(cmd(b, "cache", False), env[b]) for _ in range(n)])
        ref = folder_bytes(os.path.join(out, "before-csv"))
        for tag in ["before-warm", "before-cache", "after-csv", "after-warm", "after-cache"]:
            if folder_bytes(os.path.join(out, tag)) != ref:
                sys.exit(f"{label}: {tag} differs from before-csv")
        rows.append((label, res))
        print(f"{label}: done, run folders identical", file=sys.stderr)
    print("| run | before, CSV | after, CSV | after/before | before, from the cache | after, from the cache | after/before |")
    print("|---|---|---|---|---|---|---|")
    for label, r in rows:
        def ratio(kind):
            a, b = r[("after", kind)], r[("before", kind)]
            return f"{a['wall'] / b['wall']:.2f}x ({a['cpu'] / b['cpu']:.2f}x CPU)"
        print(f"| {label} | {fmt(r[('before', 'csv')])} | **{fmt(r[('after', 'csv')])}** | {ratio('csv')} "
              f"| {fmt(r[('before', 'cache')])} | **{fmt(r[('after', 'cache')])}** | {ratio('cache')} |")


def main():
    if sys.argv[1] == "table":
        table(sys.argv[2:])
    else:
        one(sys.argv[1:])


if __name__ == "__main__":
    main()
