"""Offline check of `gbdt` against Python LightGBM on the same samples (docs/gbdt.md).

Reads the folder written by a `gbdt` run with ALPHASIM_GBDT_DUMP=<dir>:
window-<as_of>.csv (set,date,symbol,inputs...,label) and scoring.csv
(as_of,date,symbol,inputs...,alphasim score). Trains LightGBM per window
with the spec's parameters (early stopping on the validation MSE, then a
refit on training + validation with the chosen rounds, as `gbdt` does),
scores the same cross-sections and writes <dir>/lightgbm_scores.csv
(date,symbol,score) for a `kind = "file"` run; prints the correlation of
the two models' scores on the scored dates.

    python gbdt_lightgbm.py DIR [key=value ...]   (keys of [model], e.g. leaves=8)
"""
import csv, glob, os, sys
import numpy as np
import lightgbm as lgb

d = sys.argv[1]
p = dict(learning_rate=0.05, rounds=500, leaves=31, max_depth=8, min_data_in_leaf=20,
         l2=0.0, feature_fraction=1.0, bagging_fraction=1.0, bins=255,
         early_stopping_rounds=50, seed=1)
for kv in sys.argv[2:]:
    k, v = kv.split("=")
    p[k] = type(p[k])(float(v)) if not isinstance(p[k], int) else int(float(v))
params = dict(objective="regression", metric="l2", learning_rate=p["learning_rate"],
              num_leaves=p["leaves"], max_depth=p["max_depth"],
              min_data_in_leaf=p["min_data_in_leaf"], min_sum_hessian_in_leaf=0.0,
              lambda_l2=p["l2"], feature_fraction=p["feature_fraction"],
              bagging_fraction=p["bagging_fraction"],
              bagging_freq=1 if p["bagging_fraction"] < 1 else 0, max_bin=p["bins"],
              seed=p["seed"], deterministic=True, num_threads=1, verbose=-1)

def read(path):
    with open(path) as f:
        return [r for r in csv.reader(f)]

scoring = read(os.path.join(d, "scoring.csv"))
out, ours, theirs, per_date = [], [], [], {}
for path in sorted(glob.glob(os.path.join(d, "window-*.csv"))):
    as_of = os.path.basename(path)[7:-4]
    rows = read(path)
    tr = np.array([[float(x) for x in r[3:]] for r in rows if r[0] == "train"])
    va = np.array([[float(x) for x in r[3:]] for r in rows if r[0] == "valid"])
    rounds = p["rounds"]
    if len(va) and p["early_stopping_rounds"] > 0:
        b = lgb.train(params, lgb.Dataset(tr[:, :-1], tr[:, -1]), rounds,
                      valid_sets=[lgb.Dataset(va[:, :-1], va[:, -1])],
                      callbacks=[lgb.early_stopping(p["early_stopping_rounds"], verbose=False)])
        rounds = b.best_iteration
    alldata = np.vstack([tr, va]) if len(va) else tr
    b = lgb.train(params, lgb.Dataset(alldata[:, :-1], alldata[:, -1]), rounds)
    sc = [r for r in scoring if r[0] == as_of]
    if not sc:
        continue
    x = np.array([[float(v) for v in r[3:-1]] for r in sc])
    pred = b.predict(x)
    print(f"window {as_of}: {len(tr)} train / {len(va)} valid rows, LightGBM rounds {rounds}")
    for r, s in zip(sc, pred):
        out.append((r[1], r[2], s))
        per_date.setdefault(r[1], []).append((float(r[-1]), s))
with open(os.path.join(d, "lightgbm_scores.csv"), "w") as f:
    f.write("date,symbol,score\n")
    for date, sym, s in sorted(out):
        f.write(f"{date},{sym},{float(s)!r}\n")
cors = [np.corrcoef(np.array(v).T)[0, 1] for v in per_date.values() if len(v) > 2]
print(f"{len(per_date)} scored dates; mean per-date correlation of the two models' scores {np.nanmean(cors):.4f} (min {np.nanmin(cors):.4f})")
