//! The Spec and conventions section: the run spec, every convention, the
//! window, the rules and the warnings.

use crate::html::format::{esc, strings, text, thousands};
use serde_json::Value;
use std::fmt::Write as _;

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        // Large numbers (capital, amounts) with thousands separators.
        Value::Number(n) if n.as_f64().is_some_and(|x| x.abs() >= 1e4) => {
            out.push((prefix.to_owned(), thousands(&n.to_string())))
        }
        Value::Array(a) if a.is_empty() => out.push((prefix.to_owned(), "none".to_owned())),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect();
            out.push((prefix.to_owned(), items.join(", ")));
        }
        // A list of tables (e.g. a stamp-duty schedule): one dotted row per field.
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), x, out);
            }
        }
        x => out.push((prefix.to_owned(), x.to_string())),
    }
}

/// Key/value rows of a flattened JSON value: nested objects become dotted keys.
fn kv_rows(h: &mut String, rows: &[(String, String)]) {
    for (k, v) in rows {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">{}</td><td>{}</td></tr>",
            esc(k),
            esc(v)
        );
    }
}

pub(in crate::html) fn spec_section(h: &mut String, r: &Value) {
    h.push_str("<section id=\"spec\">\n<h2>Spec and conventions</h2>\n<div class=\"grid\"><div>\n<h3>Run spec</h3>\n<table id=\"spec-table\" class=\"kv\"><tbody>\n");
    let mut rows = Vec::new();
    flatten("", r.get("spec").unwrap_or(&Value::Null), &mut rows);
    kv_rows(h, &rows);
    h.push_str(
        "</tbody></table>\n</div><div>\n<h3>Conventions</h3>\n<table id=\"conventions\" class=\"kv\"><tbody>\n",
    );
    if let Some(Value::Object(c)) = r.get("conventions") {
        // Nested values (cost_settings) as one dotted row per field, lists
        // (market_rules) joined: no JSON text runs past the page edge.
        let mut rows = Vec::new();
        for (k, v) in c.iter().filter(|(k, _)| *k != "rules") {
            flatten(k, v, &mut rows);
        }
        kv_rows(h, &rows);
    }
    h.push_str("</tbody></table>\n<h3>Window</h3>\n<table id=\"window\" class=\"kv\"><tbody>\n");
    for key in [
        "start",
        "end",
        "t0",
        "trading_days",
        "daily_returns",
        "rebalances",
    ] {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">{key}</td><td>{}</td></tr>",
            esc(&text(r, &format!("/window/{key}")))
        );
    }
    let retrains = strings(r.pointer("/window/retrains"));
    if !retrains.is_empty() {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">retrains</td><td>{}</td></tr>",
            esc(&retrains.join(", "))
        );
    }
    let _ = writeln!(
        h,
        "<tr><td class=\"key\">trade_hash</td><td><code>{}</code></td></tr>",
        esc(&text(r, "/trade_hash"))
    );
    h.push_str(
        "</tbody></table>\n</div></div>\n<h3>Rules</h3>\n<ul class=\"rules\" id=\"rules\">\n",
    );
    for rule in strings(r.pointer("/conventions/rules")) {
        let _ = writeln!(h, "<li>{}</li>", esc(&rule));
    }
    h.push_str("</ul>\n");
    let warnings = strings(r.get("warnings"));
    if !warnings.is_empty() {
        h.push_str("<h3>Warnings</h3>\n<ul id=\"warnings\">\n");
        for w in warnings {
            let _ = writeln!(h, "<li>{}</li>", esc(&w));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_flatten_makes_readable_rows_of_nested_values() {
        let v = serde_json::json!({
            "cost_settings": {"commission_buy_bps": 2.5, "stamp_duty": [{"from": "2008-09-19", "sell_bps": 10}], "transfer_fee": []},
            "market_rules": ["price limits: on", "lots: 100"],
            "initial_capital": 100000000.0
        });
        let mut rows = Vec::new();
        flatten("", &v, &mut rows);
        let find = |k: &str| rows.iter().find(|r| r.0 == k).map(|r| r.1.as_str());
        assert_eq!(find("cost_settings.commission_buy_bps"), Some("2.5"));
        assert_eq!(find("cost_settings.stamp_duty.0.from"), Some("2008-09-19"));
        assert_eq!(find("cost_settings.stamp_duty.0.sell_bps"), Some("10"));
        assert_eq!(find("cost_settings.transfer_fee"), Some("none"));
        assert_eq!(find("market_rules"), Some("price limits: on, lots: 100"));
        assert_eq!(find("initial_capital"), Some("100,000,000.0"));
        assert!(rows.iter().all(|r| !r.1.contains('{')), "{rows:?}");
    }
}
