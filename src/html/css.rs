//! The page's one inline style sheet (screen and print).

pub(super) const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #5b6470; --rule: #d8dde3; --band: #f5f7f9; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header p { margin: 2px 0; color: var(--muted); }
nav.toc { margin: 12px 0 8px; font-size: 13px; }
nav.toc a { color: var(--accent); margin-right: 12px; text-decoration: none; }
section { margin-top: 28px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--ink); padding-bottom: 3px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { border-bottom: 1.5px solid var(--ink); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--band); }
td.key { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; white-space: nowrap; }
table.kv { table-layout: fixed; }
table.kv td { overflow-wrap: anywhere; }
table.kv td.key { width: 48%; white-space: normal; }
.grid > div { min-width: 0; }
table.calendar td.num { padding: 4px 6px; }
td.date { white-space: nowrap; }
table.compact { font-size: 12px; }
table.compact th, table.compact td { padding: 3px 4px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
figure { margin: 10px 0 18px; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
.note { font-size: 12.5px; color: var(--muted); }
.scale input { position: absolute; opacity: 0; }
.scale label { display: inline-block; padding: 2px 10px; border: 1px solid var(--rule); font-size: 12px; cursor: pointer; margin: 0 -1px 6px 0; }
.scale input:checked + label { background: var(--ink); color: #fff; border-color: var(--ink); }
.scale .svg-log { display: none; }
.scale #nav-log:checked ~ .svg-linear { display: none; }
.scale #nav-log:checked ~ .svg-log { display: block; }
ul.rules { padding-left: 18px; font-size: 12.5px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav.toc, .scale label { display: none; }
  section { break-before: auto; }
  h2 { break-after: avoid; }
  tbody tr:nth-child(even) { background: none; }
  a { color: inherit; text-decoration: none; }
}
"#;
