#!/usr/bin/env python3
"""Per-year excess returns of the best two models per index of a Table-1
sweep folder (docs/table1.md, "Table 1 v2"): reads the folder's table1.csv
(one line per variant) and each variant's report.json `calendar.years`,
ranks the models of each index by their mean alpha over the seeds, and
prints for the best two the calendar-year excess return (strategy −
benchmark, compounded per year: report.json `excess`) as mean ± sd (ddof 1)
over the seeds, with the benchmark's own return beside it. A year the
window only partly covers is marked "(partial)". Standard library only.

  python3 benches/table1/per_year.py runs/paper_table1-v2
"""
import csv
import json
import os
import statistics
import sys


def cell(xs):
    if len(xs) == 1 or all(x == xs[0] for x in xs):
        return f"{100 * xs[0]:.2f}%"
    return f"{100 * statistics.mean(xs):.2f}% ± {100 * statistics.stdev(xs):.2f}%"


def main(folder, best=2):
    with open(os.path.join(folder, "table1.csv")) as f:
        rows = list(csv.reader(f))
    header, lines = rows[0], rows[1:]
    # The fixed columns follow the swept keys: ..., model, index, t0, end, ...
    fixed = len(header) - header[::-1].index("model") - 1
    col = {name: fixed + i for i, name in enumerate(header[fixed:])}
    by = {}  # (index, model) -> [(alpha, years)]
    for line in lines:
        with open(os.path.join(folder, line[0], "report.json")) as f:
            years = json.load(f)["calendar"]["years"]
        by.setdefault((line[col["index"]], line[col["model"]]), []).append((float(line[col["alpha"]]), years))
    indices = list(dict.fromkeys(i for i, _ in by))
    for ix in indices:
        models = [m for i, m in by if i == ix]
        ranked = sorted(models, key=lambda m: -statistics.mean(a for a, _ in by[(ix, m)]))[:best]
        print(f"\n**{ix}**: calendar-year excess return (strategy − benchmark) of the best {best} by mean α\n")
        print("| year | benchmark | " + " | ".join(f"{m} (α {cell([a for a, _ in by[(ix, m)]])})" for m in ranked) + " |")
        print("|---|---:|" + "---:|" * len(ranked))
        first = by[(ix, ranked[0])][0][1]
        for k, y in enumerate(first):
            label = y["period"] + (" (partial)" if y["partial"] else "")
            cells = [cell([years[k]["excess"] for _, years in by[(ix, m)]]) for m in ranked]
            print(f"| {label} | {100 * y['benchmark']:.2f}% | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
