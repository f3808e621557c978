#!/usr/bin/env python3
"""Runs a command N times under /usr/bin/time -v and prints the median wall
time and peak RSS, with the 1-minute load average before each run (the
machine is shared, so timings are noisy). For BENCHMARKS.md ("Loading").

    python3 benches/load/measure.py LABEL N -- CMD ARGS...
    python3 benches/load/measure.py LABEL N --before 'SHELL CMD' -- CMD ARGS...

`--before` runs a shell command before each timed run (e.g. clearing a
cache so that every run is a first load).
"""
import re
import statistics
import subprocess
import sys


def main():
    label, n = sys.argv[1], int(sys.argv[2])
    rest = sys.argv[3:]
    before = None
    if rest[0] == "--before":
        before, rest = rest[1], rest[2:]
    assert rest[0] == "--"
    cmd = rest[1:]
    walls, rss, loads = [], [], []
    for _ in range(n):
        if before:
            subprocess.run(before, shell=True, check=True)
        with open("/proc/loadavg") as f:
            loads.append(float(f.read().split()[0]))
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{label}: exit {p.returncode}\n{p.stderr[-2000:]}")
        m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
        h, mnt, s = m.groups()
        walls.append(int(h or 0) * 3600 + int(mnt) * 60 + float(s))
        rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)))
    print(
        f"{label}: median {statistics.median(walls):.2f} s (runs {', '.join(f'{w:.2f}' for w in walls)}), "
        f"peak RSS median {statistics.median(rss) / 1024:.0f} MB, load {min(loads):.1f}-{max(loads):.1f}"
    )


if __name__ == "__main__":
    main()
