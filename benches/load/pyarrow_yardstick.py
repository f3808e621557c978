#!/usr/bin/env python3
"""An outside yardstick for the Parquet load figures of BENCHMARKS.md
("Parquet"): what a short pyarrow + numpy script takes to read the columns
a one-factor backtest needs from a Parquet bundle and run a crude version of
it. Not a test and not the engine's result (no costs, no market rules, no
index membership): only the time a quant's own script would spend.

Needs pyarrow and numpy in a virtual environment outside the repository:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pyarrow numpy
    alphasim convert /tmp/large-noiw --to parquet --out /tmp/large-pq
    /tmp/venv/bin/python benches/load/pyarrow_yardstick.py /tmp/large-pq [f0]

It reads bars.parquet (date, symbol, close, adj_factor, volume) and the
one factor column of factors.parquet (with date and symbol), both with
pyarrow's multi-threaded reader; puts them on a day x symbol grid with
numpy; and each month holds the top decile of the factor (equal weights,
traded symbols only), printing the read time, the total and the final
NAV. Run it as a whole process under /usr/bin/time -v to compare with
`alphasim backtest benches/load/one_factor.toml`.
"""
import os
import sys
import time

import numpy as np
import pyarrow.parquet as pq


def grid(table, day_index, sym_index, name, fill=np.nan):
    out = np.full((len(day_index), len(sym_index)), fill)
    d = np.searchsorted(day_index, table["date"].to_numpy())
    s = np.searchsorted(sym_index, table["symbol"].to_numpy())
    out[d, s] = table[name].to_numpy(zero_copy_only=False)
    return out


def main():
    bundle = sys.argv[1]
    factor = sys.argv[2] if len(sys.argv) > 2 else "f0"
    t0 = time.perf_counter()
    bars = pq.read_table(
        os.path.join(bundle, "bars.parquet"),
        columns=["date", "symbol", "close", "adj_factor", "volume"],
    )
    factors = pq.read_table(
        os.path.join(bundle, "factors.parquet"), columns=["date", "symbol", factor]
    )
    t_read = time.perf_counter() - t0

    bars = bars.combine_chunks()
    factors = factors.combine_chunks()
    days = np.unique(bars["date"].to_numpy())
    syms = np.unique(bars["symbol"].to_numpy(zero_copy_only=False))
    # Factors may name symbols or days that bars lacks: keep the bars' ones.
    f_days = factors["date"].to_numpy()
    f_syms = factors["symbol"].to_numpy(zero_copy_only=False)
    keep = np.isin(f_days, days) & np.isin(f_syms, syms)
    factors = factors.filter(keep)

    adj = grid(bars, days, syms, "close") * grid(bars, days, syms, "adj_factor")
    traded = grid(bars, days, syms, "volume", 0.0) > 0
    score = grid(factors, days, syms, factor)
    ret = np.zeros_like(adj)
    ret[1:] = np.where(np.isfinite(adj[1:]) & np.isfinite(adj[:-1]), adj[1:] / adj[:-1] - 1.0, 0.0)

    months = days.astype("datetime64[M]")
    rebalance = np.r_[True, months[1:] != months[:-1]]
    weights = np.zeros(len(syms))
    nav = np.ones(len(days))
    for d in range(1, len(days)):
        nav[d] = nav[d - 1] * (1.0 + float(weights @ ret[d]))
        if rebalance[d]:
            s = np.where(traded[d] & np.isfinite(score[d]), score[d], -np.inf)
            k = max(1, int(np.isfinite(s).sum() * 0.1))
            top = np.argpartition(-s, k - 1)[:k]
            weights = np.zeros(len(syms))
            weights[top] = 1.0 / k
    total = time.perf_counter() - t0
    print(
        f"read {t_read:.2f} s ({bars.num_rows} bar rows, {factors.num_rows} factor rows), "
        f"total {total:.2f} s, final nav {nav[-1]:.4f}"
    )


if __name__ == "__main__":
    main()
