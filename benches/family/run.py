#!/usr/bin/env python3
"""The family table of docs/dmfm.md (issue 13): generates the family members
(`alphasim generate --family CONFIG --seed S`), runs every family spec
(`strategies/synth/family_<model>.toml`) on each with the release binary and
prints per model and configuration the mean ± sd (ddof 1) over the seeds of
the test IC, RankIC, ICIR, alpha and IR, read from the run folders'
report.json. Runs one backtest at a time; a run folder that already has a
report.json is reused, so an interrupted run resumes. Standard library only.

  benches/family/run.py                          # 6 configurations x seeds 1, 2, 3, every model
  benches/family/run.py --models oracle,ew,linear,gbdt
  benches/family/run.py --seeds 101,102 --models linear \\
      --variant rank=model.samples.inputs=rank_gauss   # validation seeds: a spec variant
  benches/family/run.py --table-only              # only print what has run

Not part of the test suite.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = ["linear", "interact", "threshold", "regime", "temporal", "mixed"]
MODELS = ["oracle", "ew", "linear", "gbdt", "mlp", "mgat", "dmfm", "e2eai"]
METRICS = [
    ("IC", ("ic", "ic_mean")),
    ("RankIC", ("ic", "rank_ic_mean")),
    ("ICIR", ("ic", "icir")),
    ("alpha", ("excess", "alpha")),
    ("IR", ("excess", "information_ratio")),
]


def set_key(text, dotted, value):
    """The spec text with `dotted` = value (e.g. model.samples.inputs=rank_gauss):
    replaces the key in its [section] or appends it there (creating the
    section at the end). Values that are not numbers/booleans are quoted."""
    *section, key = dotted.split(".")
    header = "[" + ".".join(section) + "]" if section else None
    try:
        float(value)
        literal = value
    except ValueError:
        literal = value if value in ("true", "false") or value.startswith("[") else json.dumps(value)
    lines = text.splitlines()
    start = 0 if header is None else next((i + 1 for i, l in enumerate(lines) if l.strip() == header), None)
    if start is None:
        return text.rstrip("\n") + f"\n\n{header}\n{key} = {literal}\n"
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    for i in range(start, end):
        if lines[i].split("=")[0].strip() == key:
            lines[i] = f"{key} = {literal}"
            return "\n".join(lines) + "\n"
    lines.insert(end if header is None else start, f"{key} = {literal}")
    return "\n".join(lines) + "\n"


def spec_for(model, variant, work):
    """The family spec of `model`, or a copy with the variant's overrides."""
    base = os.path.join(ROOT, "strategies", "synth", f"family_{model}.toml")
    if not variant:
        return base
    name, overrides = variant
    with open(base) as f:
        text = f.read()
    text = "\n".join(l for l in text.splitlines() if not l.startswith("data ")) + "\n"
    for o in overrides:
        k, v = o.split("=", 1)
        text = set_key(text, k, v)
    text = set_key(text, "name", f"family_{model}_{name}")
    path = os.path.join(work, "specs", f"family_{model}_{name}.toml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def planted_weight(run, data):
    """(share of the model's weight on the planted columns, the share a
    uniform weight would put there) from the run's attention.csv: gbdt gain
    importance, the DMFM's factor attention of the 20-day head, E2EAI's
    |signed attention| of the 20-day head; mean over windows. None without
    attention.csv or weights."""
    path = os.path.join(run, "attention.csv")
    if not os.path.exists(path):
        return None
    with open(os.path.join(data, "meta.json")) as f:
        meta = json.load(f)
    planted = set(meta["signal"]["planted_columns"])
    windows = {}
    with open(path) as f:
        next(f)
        for line in f:
            as_of, horizon, kind, name, value = line.rstrip("\n").split(",")
            if kind == "importance" or (kind == "factor" and horizon == "20"):
                w = windows.setdefault(as_of, [0.0, 0.0])
                w[0] += abs(float(value)) * (name in planted)
                w[1] += abs(float(value))
    shares = [p / t for p, t in windows.values() if t > 0]
    if not shares:
        return None
    return statistics.mean(shares), len(planted) / len(meta["factors"])


def metric(report, path):
    v = report["metrics"]
    for k in path:
        v = v[k]
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "alphasim"))
    ap.add_argument("--work", default="/tmp/alphasim-family")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=KEY=VALUE[;KEY=VALUE...]: run each model also as this spec variant")
    ap.add_argument("--table-only", action="store_true")
    a = ap.parse_args()
    configs, models = a.configs.split(","), a.models.split(",")
    seeds = [int(s) for s in a.seeds.split(",")]
    variants = [None] + [(v.split("=", 1)[0], v.split("=", 1)[1].split(";")) for v in a.variant]
    rows = {}
    for c in configs:
        for s in seeds:
            data = os.path.join(a.work, "data", f"{c}-{s}")
            if not a.table_only and not os.path.exists(os.path.join(data, "meta.json")):
                subprocess.run([a.bin, "generate", "--family", c, "--seed", str(s), "--out", data],
                               check=True, stdout=subprocess.DEVNULL)
            for m in models:
                for v in variants:
                    if v is not None and m in ("oracle", "ew"):
                        continue  # variants change learned models only
                    label = m if v is None else f"{m} [{v[0]}]"
                    out = os.path.join(a.work, "runs", label.replace(" ", "").replace("[", "_").replace("]", ""), f"{c}-{s}")
                    report = os.path.join(out, "report.json")
                    if not os.path.exists(report) and not a.table_only:
                        spec = spec_for(m, v, a.work)
                        t0 = time.time()
                        subprocess.run([a.bin, "backtest", spec, "--data", data, "--out", out, "--quiet"], check=True)
                        with open(os.path.join(out, "wall_seconds.txt"), "w") as f:
                            f.write(f"{time.time() - t0:.1f}\n")
                        print(f"{label} {c}-{s}: {time.time() - t0:.1f} s", file=sys.stderr, flush=True)
                    if os.path.exists(report):
                        with open(report) as f:
                            r = json.load(f)
                        r["_planted"] = planted_weight(out, data)
                        rows.setdefault((label, c), []).append(r)
    print_table(rows, configs, models, variants)


def fmt(values):
    if not values:
        return ""
    mean = statistics.mean(values)
    if len(values) < 2:
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {statistics.stdev(values):.3f}"


def print_table(rows, configs, models, variants):
    labels = [m if v is None else f"{m} [{v[0]}]" for m in models for v in variants
              if v is None or m not in ("oracle", "ew")]
    print("\nMean test IC per configuration (seeds that ran), and the mean over the")
    print("configurations of IC / oracle IC:\n")
    print("| model | " + " | ".join(configs) + " | IC / oracle |")
    print("|---|" + "---|" * (len(configs) + 1))
    for label in labels:
        cells, ratios = [], []
        for c in configs:
            rs = rows.get((label, c), [])
            ic = statistics.mean(metric(r, ("ic", "ic_mean")) for r in rs) if rs else None
            oracle = rows.get(("oracle", c), [])
            cells.append(f"{ic:.3f} ({len(rs)})" if rs else "")
            if rs and oracle:
                ratios.append(ic / statistics.mean(metric(r, ("ic", "ic_mean")) for r in oracle))
        ratio = f"{statistics.mean(ratios):.2f}" if ratios and label != "oracle" else ""
        print(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    for c in configs:
        oracle = [metric(r, ("ic", "ic_mean")) for r in rows.get(("oracle", c), [])]
        print(f"\n**{c}**\n")
        print("| model | seeds | IC | RankIC | ICIR | alpha | IR | IC / oracle | weight on planted columns (uniform) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for label in labels:
            rs = rows.get((label, c))
            if not rs:
                continue
            cells = [fmt([metric(r, p) for r in rs]) for _, p in METRICS]
            ic = statistics.mean(metric(r, ("ic", "ic_mean")) for r in rs)
            share = f"{ic / statistics.mean(oracle):.2f}" if oracle and label != "oracle" else ""
            pw = [r["_planted"] for r in rs if r["_planted"]]
            planted = f"{statistics.mean(p for p, _ in pw):.2f} ({statistics.mean(u for _, u in pw):.2f})" if pw else ""
            print(f"| {label} | {len(rs)} | " + " | ".join(cells) + f" | {share} | {planted} |")


if __name__ == "__main__":
    main()
