//! The Spec and conventions section: the run spec, every convention, the
//! window, the rules and the warnings.

use crate::html::format::{esc, strings, text};
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
        x => out.push((prefix.to_owned(), x.to_string())),
    }
}

pub(in crate::html) fn spec_section(h: &mut String, r: &Value) {
    h.push_str("<section id=\"spec\">\n<h2>Spec and conventions</h2>\n<div class=\"grid\"><div>\n<h3>Run spec</h3>\n<table id=\"spec-table\"><tbody>\n");
    let mut rows = Vec::new();
    flatten("", r.get("spec").unwrap_or(&Value::Null), &mut rows);
    for (k, v) in &rows {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">{}</td><td>{}</td></tr>",
            esc(k),
            esc(v)
        );
    }
    h.push_str(
        "</tbody></table>\n</div><div>\n<h3>Conventions</h3>\n<table id=\"conventions\"><tbody>\n",
    );
    if let Some(Value::Object(c)) = r.get("conventions") {
        for (k, v) in c {
            if k == "rules" {
                continue;
            }
            let v = v
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string());
            let _ = writeln!(
                h,
                "<tr><td class=\"key\">{}</td><td>{}</td></tr>",
                esc(k),
                esc(&v)
            );
        }
    }
    h.push_str("</tbody></table>\n<h3>Window</h3>\n<table id=\"window\"><tbody>\n");
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
