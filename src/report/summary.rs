//! The report as text: `report.json` (plain and rounded for snapshots) and
//! the fixed-width `summary.txt` that snapshot tests and `--check` compare.

use super::Report;
use std::fmt::Write as _;

impl Report {
    /// `report.json`, pretty-printed (NaN is written as null).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises") + "\n"
    }

    /// `report.json` with every float rounded to `digits` significant
    /// digits: stable text for snapshot tests.
    pub fn to_json_rounded(&self, digits: i32) -> String {
        let mut v = serde_json::to_value(self).expect("a report always serialises");
        round_json(&mut v, digits);
        serde_json::to_string_pretty(&v).expect("a value always serialises") + "\n"
    }

    /// The fixed-width human summary (`summary.txt`). Numbers have six
    /// decimals, so the text is stable across platforms and is what snapshot
    /// tests and `--check` compare.
    pub fn summary(&self) -> String {
        let m = &self.metrics;
        let c = &self.conventions;
        let mut s = String::new();
        let w = &self.window;
        let _ = writeln!(s, "alphasim backtest: {}", self.run.name);
        let _ = writeln!(s, "model      {}", self.run.model);
        let _ = writeln!(s, "universe   {}", c.universe);
        let _ = writeln!(s, "benchmark  {}", c.benchmark);
        let construction = match c.method.as_str() {
            "top_fraction" => format!("top {} equal weight", fmt_num(c.top_fraction)),
            "score_weighted" => format!("top {} rank-weighted", fmt_num(c.top_fraction)),
            other => other.replace('_', "-"),
        };
        let _ = writeln!(s, "schedule   {}, {construction}", c.rebalance);
        let _ = writeln!(s, "fill       {}", c.fill);
        let _ = writeln!(s, "costs      {}", c.costs);
        if c.market != "none" {
            let _ = writeln!(s, "market     {}", c.market);
        }
        let _ = writeln!(
            s,
            "window     {} .. {}, t0 {}",
            w.start,
            w.end,
            w.t0.as_deref().unwrap_or("none")
        );
        let _ = writeln!(
            s,
            "counts     {} days, {} daily returns, {} rebalances, {} trades",
            w.trading_days, w.daily_returns, w.rebalances, m.trading.trades
        );
        let _ = writeln!(
            s,
            "conventions annualisation {}, ic_horizon {}, rf {}, quantiles {}",
            c.annualisation,
            c.ic_horizon,
            fmt_num(c.risk_free_rate),
            c.quantiles
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "{:<22}{:>16}{:>16}", "", "portfolio", "benchmark");
        let (p, b) = (&m.portfolio, &m.benchmark);
        for (name, x, y) in [
            ("total_return", p.total_return, b.total_return),
            ("annual_return", p.annual_return, b.annual_return),
            ("volatility", p.volatility, b.volatility),
            ("sharpe", p.sharpe, b.sharpe),
            ("max_drawdown", p.max_drawdown, b.max_drawdown),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}{:>16}", name, fmt6(x), fmt6(y));
        }
        let _ = writeln!(s);
        let e = &m.excess;
        let _ = writeln!(s, "excess");
        for (name, x) in [
            ("alpha", e.alpha),
            ("excess_geometric", e.excess_geometric),
            ("tracking_error", e.tracking_error),
            ("information_ratio", e.information_ratio),
            ("max_drawdown", e.max_drawdown),
            ("hit_rate", e.hit_rate),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}", name, fmt6(x));
        }
        let _ = writeln!(s);
        let i = &m.ic;
        let _ = writeln!(s, "signal ({} signal days)", i.signals);
        for (name, x) in [
            ("ic_mean", i.ic_mean),
            ("ic_std", i.ic_std),
            ("icir", i.icir),
            ("rank_ic_mean", i.rank_ic_mean),
            ("rank_ic_std", i.rank_ic_std),
            ("rank_icir", i.rank_icir),
            ("rank_mae", i.rank_mae),
            ("exp_neg_rank_mae", i.exp_neg_rank_mae),
            ("top_minus_bottom", i.top_minus_bottom),
            ("long_short_mean", i.long_short_mean),
            ("long_short_std", i.long_short_std),
            ("long_short_ir", i.long_short_ir),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}", name, fmt6(x));
        }
        let q: Vec<String> = i.quantile_returns.iter().map(|x| fmt6(*x)).collect();
        let _ = writeln!(s, "{:<22}{}", "quantile_returns", q.join(" "));
        let _ = writeln!(s);
        let t = &m.trading;
        let _ = writeln!(s, "trading");
        for (name, x) in [
            ("turnover_mean", t.turnover_mean),
            ("turnover_annual", t.turnover_annual),
            ("cost_total", t.cost_total),
            ("cost_annual", t.cost_annual),
            ("mean_holdings", t.mean_holdings),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}", name, fmt6(x));
        }
        let _ = writeln!(s, "{:<22}{:>16}", "missed_targets", t.missed_targets);
        for (name, x) in crate::costs::CostBreakdown::NAMES
            .iter()
            .zip(t.cost_breakdown.values())
        {
            let _ = writeln!(s, "{:<22}{:>16}", format!("cost_{name}"), fmt6(x));
        }
        let unfilled: Vec<String> = t
            .unfilled
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(
            s,
            "{:<22}{:>16}",
            "unfilled",
            t.unfilled.values().sum::<usize>()
        );
        if !unfilled.is_empty() {
            let _ = writeln!(s, "{:<22}{}", "unfilled_by_reason", unfilled.join(", "));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "trade_hash {}", self.trade_hash);
        for warning in &self.warnings {
            let _ = writeln!(s, "warning: {warning}");
        }
        s
    }

    /// A stable, rounded text of the report for a user's own snapshot tests
    /// (`insta::assert_snapshot!(report.snapshot_text())`): the summary, which
    /// carries every metric to six decimals and the trade hash.
    pub fn snapshot_text(&self) -> String {
        self.summary()
    }
}

/// Six decimals, or "NaN" (−0 printed as 0): the summary's and tables' number format.
pub(crate) fn fmt6(x: f64) -> String {
    if x.is_finite() {
        let s = format!("{x:.6}");
        if s == "-0.000000" {
            "0.000000".to_owned()
        } else {
            s
        }
    } else {
        "NaN".to_owned()
    }
}

fn fmt_num(x: f64) -> String {
    format!("{x}")
}

fn round_json(v: &mut serde_json::Value, digits: i32) {
    match v {
        serde_json::Value::Number(n) => {
            if let (Some(x), false) = (n.as_f64(), n.is_i64() || n.is_u64()) {
                if x != 0.0 && x.is_finite() {
                    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
                    let r = (x * scale).round() / scale;
                    if let Some(num) = serde_json::Number::from_f64(r) {
                        *n = num;
                    }
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| round_json(x, digits)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| round_json(x, digits)),
        _ => {}
    }
}
