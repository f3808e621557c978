#!/usr/bin/env python3
"""Appends noise factor columns to a bundle's factors.csv, in place, so that
it has N factor columns (the generator writes 6 to 14; real factor sets have
more). For the load benchmarks of BENCHMARKS.md ("Loading"), not a test.

    python3 benches/load/widen_factors.py BUNDLE_DIR [N=20]

The new columns are named n<k>; their 6-decimal values cycle through a fixed
pool of pseudo-random rows (seeded), so the same input gives the same bytes.
Parsing them costs what parsing any 6-decimal factor costs.
"""
import os
import random
import sys


def main():
    bundle = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    path = os.path.join(bundle, "factors.csv")
    tmp = path + ".widen"
    rng = random.Random(14)
    with open(path, "r", newline="") as src, open(tmp, "w", newline="") as out:
        header = src.readline().rstrip("\r\n")
        have = len(header.split(",")) - 2
        extra = total - have
        if extra <= 0:
            sys.exit(f"{path} already has {have} factor columns")
        pool = [
            "".join(f",{rng.gauss(0.0, 1.0):.6f}" for _ in range(extra))
            for _ in range(4099)
        ]
        out.write(header + "".join(f",n{k}" for k in range(have, total)) + "\n")
        for i, line in enumerate(src):
            out.write(line.rstrip("\r\n") + pool[i % 4099] + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
