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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def positions(table, days, syms):
    """Day and symbol positions of every row (-1 where bars lack it)."""
    day = table["date"].cast(pa.int32()).to_numpy()
    d = np.searchsorted(days, day).clip(0, len(days) - 1)
    d[days[d] != day] = -1
    s = pc.index_in(table["symbol"], value_set=syms).fill_null(-1).to_numpy()
    return d, s


def grid(table, pos, shape, name, fill=np.nan):
    d, s = pos
    ok = (d >= 0) & (s >= 0)
    out = np.full(shape, fill)
    out[d[ok], s[ok]] = table[name].to_numpy()[ok]
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

    days = np.unique(bars["date"].cast(pa.int32()).to_numpy())
    syms = pc.unique(bars["symbol"]).sort()
    shape = (len(days), len(syms))
    bar_pos = positions(bars, days, syms)
    adj = grid(bars, bar_pos, shape, "close") * grid(bars, bar_pos, shape, "adj_factor")
    traded = grid(bars, bar_pos, shape, "volume", 0.0) > 0
    score = grid(factors, positions(factors, days, syms), shape, factor)
    ret = np.zeros_like(adj)
    ret[1:] = np.where(np.isfinite(adj[1:]) & np.isfinite(adj[:-1]), adj[1:] / adj[:-1] - 1.0, 0.0)

    months = days.astype("datetime64[D]").astype("datetime64[M]")
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
