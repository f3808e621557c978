//! Behaviours the suite did not pin (issue 16), each on a small bundle
//! written here, with the expectation derived by hand in the comments.

use crate::common::{assert_close, run, spec_text};
use std::path::Path;

/// Writes bars.csv (flat days: open = high = low = close) and factors.csv (f0 on
/// every day) for `symbols` × `dates`; `price(symbol index, day index)` and
/// `volume(symbol index, day index)` give the bar, `score` f0.
fn write_bundle(
    dir: &Path,
    symbols: &[String],
    dates: &[&str],
    price: impl Fn(usize, usize) -> f64,
    volume: impl Fn(usize, usize) -> f64,
    score: impl Fn(usize, usize) -> f64,
) {
    let mut bars = String::from("date,symbol,open,high,low,close,volume\n");
    let mut factors = String::from("date,symbol,f0\n");
    for (d, date) in dates.iter().enumerate() {
        for (s, sym) in symbols.iter().enumerate() {
            let p = price(s, d);
            bars.push_str(&format!("{date},{sym},{p},{p},{p},{p},{}\n", volume(s, d)));
            factors.push_str(&format!("{date},{sym},{}\n", score(s, d)));
        }
    }
    std::fs::write(dir.join("bars.csv"), bars).unwrap();
    std::fs::write(dir.join("factors.csv"), factors).unwrap();
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("S{i:03}")).collect()
}

fn signal_dates(r: &alphasim::report::RunResult) -> Vec<String> {
    r.records
        .rebalances
        .iter()
        .map(|x| x.signal_date.to_string())
        .collect()
}

/// 0.58 × 50 is 28.999999999999996 in binary floating point; the user asked
/// for 58% of 50 eligible stocks, which is exactly 29 (DESIGN §4: k =
/// floor(fraction × eligible)), not 28.
#[test]
fn test_top_fraction_just_under_an_integer_in_floating_point() {
    let (fraction, n) = (0.58f64, 50.0f64);
    assert!(fraction * n < 29.0, "the float product is just under 29");
    let dir = tempfile::tempdir().unwrap();
    let dates = ["2024-01-30", "2024-01-31", "2024-02-01"];
    write_bundle(
        dir.path(),
        &names(50),
        &dates,
        |_, _| 10.0,
        |_, _| 1000.0,
        |s, _| s as f64,
    );
    let text = "data = \".\"\ninitial_capital = 1000000.0\n[model]\nkind = \"factor\"\nname = \"f0\"\n[portfolio]\ntop_fraction = 0.58\n[costs]\ncommission_bps = 0.0\n";
    let r = run(&spec_text(text, dir.path()));
    let reb = &r.records.rebalances;
    assert_eq!(reb.len(), 1, "one signal day, 2024-01-31");
    assert_eq!(reb[0].eligible, 50);
    assert_eq!(reb[0].selected, 29, "58% of 50");
    // The 29 highest scores are S021..S049 (score = index), each 1e6/29 at 10.
    let mut bought: Vec<&str> = r
        .records
        .fills
        .iter()
        .map(|f| r.symbol_names[f.symbol.index()].as_str())
        .collect();
    bought.sort();
    assert_eq!(bought.first(), Some(&"S021"));
    for f in &r.records.fills {
        assert_close(f.value, 1e6 / 29.0, 1e-6);
    }
}

/// Weekly = the last trading day of each ISO week. Across the 2024/2025 year
/// boundary, Mon 2024-12-30 .. Fri 2025-01-03 is one ISO week (2025-W01), so
/// 2024-12-31 (the last trading day of the year) is not a signal day and
/// 2025-01-03 is; 2024-12-27 closes 2024-W52. 2025-01-10 closes 2025-W02 but
/// is the last day of the data, so it is not one either (nothing could
/// execute after it), and 2025-01-07 is not the last day of its week.
#[test]
fn test_weekly_schedule_across_a_year_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let dates = [
        "2024-12-23",
        "2024-12-24",
        "2024-12-26",
        "2024-12-27",
        "2024-12-30",
        "2024-12-31",
        "2025-01-02",
        "2025-01-03",
        "2025-01-06",
        "2025-01-07",
        "2025-01-10",
    ];
    write_bundle(
        dir.path(),
        &names(3),
        &dates,
        |s, d| 10.0 + s as f64 + d as f64 * 0.1,
        |_, _| 1000.0,
        |s, _| s as f64,
    );
    let text = "data = \".\"\n[schedule]\nrebalance = \"weekly\"\n[model]\nkind = \"factor\"\nname = \"f0\"\n";
    let r = run(&spec_text(text, dir.path()));
    assert_eq!(signal_dates(&r), ["2024-12-27", "2025-01-03"]);
}

/// every_n_days counts trading days from the first trading day of the window:
/// with start = Saturday 2024-03-09 (after the data begins, and not a trading
/// day) the window starts Monday 2024-03-11 and N = 3 gives 03-11, 03-14,
/// 03-19 (trading days 0, 3, 6 of the window: 11 12 13 | 14 15 18 | 19 20);
/// 03-20 is the last day.
#[test]
fn test_every_n_days_with_a_window_starting_after_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let dates = [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "2024-03-08",
        "2024-03-11",
        "2024-03-12",
        "2024-03-13",
        "2024-03-14",
        "2024-03-15",
        "2024-03-18",
        "2024-03-19",
        "2024-03-20",
    ];
    write_bundle(
        dir.path(),
        &names(3),
        &dates,
        |s, d| 10.0 + s as f64 + d as f64 * 0.1,
        |_, _| 1000.0,
        |s, _| s as f64,
    );
    let text = "data = \".\"\nstart = \"2024-03-09\"\n[schedule]\nrebalance = \"every_n_days\"\nevery_n_days = 3\n[model]\nkind = \"factor\"\nname = \"f0\"\n";
    let r = run(&spec_text(text, dir.path()));
    assert_eq!(signal_dates(&r), ["2024-03-11", "2024-03-14", "2024-03-19"]);
    // The evaluation window starts at the first signal day.
    assert_eq!(r.records.daily[0].date.to_string(), "2024-03-11");
}

/// The minimum commission applies per order to what filled: a 100,000 order
/// for S001 (k = floor(0.5 × 2) = 1) at 10 on a day S001 trades 2,000 shares,
/// with a 25% participation cap, fills 500 shares = 5,000; 2.5 bps of 5,000 is
/// 1.25 < 5, so the fill pays the 5 minimum; cash = 100,000 − 5,000 − 5 = 94,995.
#[test]
fn test_min_commission_on_a_partly_filled_order() {
    let dir = tempfile::tempdir().unwrap();
    let dates = ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"];
    write_bundle(
        dir.path(),
        &names(2),
        &dates,
        |_, _| 10.0,
        |s, d| if s == 1 && d == 2 { 2000.0 } else { 1e6 },
        |s, _| s as f64,
    );
    let text = r#"
        data = "."
        initial_capital = 100000.0
        [model]
        kind = "factor"
        name = "f0"
        [portfolio]
        top_fraction = 0.5
        [execution]
        volume_cap = 0.25
        [costs]
        commission_bps = 2.5
        min_commission = 5.0
    "#;
    let r = run(&spec_text(text, dir.path()));
    let f = &r.records.fills;
    assert_eq!(f.len(), 1, "{:?}", r.trades_csv());
    assert_eq!(r.symbol_names[f[0].symbol.index()], "S001");
    assert_close(f[0].quantity, 500.0, 1e-9);
    assert_close(f[0].value, 5000.0, 1e-9);
    assert_close(f[0].costs.commission, 5.0, 1e-12);
    assert_close(f[0].cost, 5.0, 1e-12);
    let u = &r.records.unfilled;
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].reason.as_str(), "volume_cap");
    // 2024-02-01: cash 94,995, NAV 94,995 + 500 × 10 = 99,995.
    let day = r
        .records
        .daily
        .iter()
        .find(|d| d.date.to_string() == "2024-02-01")
        .unwrap();
    assert_close(day.cash, 94_995.0, 1e-6);
    assert_close(day.nav, 99_995.0, 1e-6);
    assert_close(day.cost, 5.0, 1e-12);
}

/// `--check` (report::compare_summaries): numbers may differ by at most the
/// tolerance, so a difference of exactly the tolerance passes even where the
/// binary subtraction lands a hair above it (1.5 − 1.4 = 0.10000000000000009
/// in f64; 0.100001 − 0.100000 = 1.0000000000287557e-6), and one just over it
/// fails; a changed line count fails, a trailing blank line included.
#[test]
fn test_check_at_the_tolerance_boundary_and_on_a_changed_line_count() {
    use alphasim::report::compare_summaries;
    let stored = "name x\nalpha 1.5\nsharpe 0.100000\n";
    let (a, b, c, d) = (1.5f64, 1.4f64, 0.100001f64, 0.1f64);
    assert!(
        a - b > 0.1 && c - d > 1e-6,
        "both differences land above the tolerance"
    );
    let ok = |current: &str, tol: f64| compare_summaries(stored, current, tol).differences;
    assert_eq!(
        ok("name x\nalpha 1.4\nsharpe 0.100000\n", 0.1),
        Vec::<String>::new()
    );
    assert_eq!(
        ok("name x\nalpha 1.5\nsharpe 0.100001\n", 1e-6),
        Vec::<String>::new()
    );
    assert_eq!(ok("name x\nalpha 1.399\nsharpe 0.100000\n", 0.1).len(), 1);
    assert_eq!(ok("name x\nalpha 1.5\nsharpe 0.100002\n", 1e-6).len(), 1);
    // One line more, one line fewer, one trailing blank line more.
    assert!(!ok("name x\nalpha 1.5\nsharpe 0.100000\nextra 1\n", 0.1).is_empty());
    assert!(!ok("name x\nalpha 1.5\n", 0.1).is_empty());
    assert!(!ok("name x\nalpha 1.5\nsharpe 0.100000\n\n", 0.1).is_empty());
}

/// A holding that is suspended and then delisted: AAA (k = floor(0.5 × 2) =
/// 1, the higher score) is bought at the 2024-02-01 open of 10 with W' =
/// 1e6/1.001 (10 bps commission), q = W'/10 shares; it closes 12 on 02-02,
/// has a volume-0 row (suspended, close 12) on 02-05 and no rows after, while
/// the data runs to 02-07. It is sold at its last close 12 with the
/// commission: proceeds 12 q = 1.2 W', cost 0.001 × 1.2 W', and the run ends
/// all cash: NAV = 1.2 W' × 0.999.
#[test]
fn test_holding_delisted_while_suspended_is_sold_at_its_last_close() {
    let dir = tempfile::tempdir().unwrap();
    let mut bars = String::from("date,symbol,open,high,low,close,volume\n");
    for (date, aaa) in [
        ("2024-01-30", Some((10.0, 1000))),
        ("2024-01-31", Some((10.0, 1000))),
        ("2024-02-01", Some((10.0, 1000))),
        ("2024-02-02", Some((12.0, 1000))),
        ("2024-02-05", Some((12.0, 0))),
        ("2024-02-06", None),
        ("2024-02-07", None),
    ] {
        if let Some((p, v)) = aaa {
            bars.push_str(&format!("{date},AAA,{p},{p},{p},{p},{v}\n"));
        }
        bars.push_str(&format!("{date},BBB,20,20,20,20,1000\n"));
    }
    std::fs::write(dir.path().join("bars.csv"), bars).unwrap();
    std::fs::write(
        dir.path().join("factors.csv"),
        "date,symbol,f0\n2024-01-31,AAA,2\n2024-01-31,BBB,1\n",
    )
    .unwrap();
    let text = r#"
        data = "."
        initial_capital = 1000000.0
        [model]
        kind = "factor"
        name = "f0"
        [portfolio]
        top_fraction = 0.5
        [costs]
        commission_bps = 10.0
    "#;
    let r = run(&spec_text(text, dir.path()));
    let w1 = 1e6 / 1.001;
    let q = w1 / 10.0;
    let fills = &r.records.fills;
    assert_eq!(fills.len(), 2, "{}", r.trades_csv());
    let sale = &fills[1];
    assert_eq!(r.symbol_names[sale.symbol.index()], "AAA");
    assert_eq!(sale.side.as_str(), "sell");
    assert_eq!(sale.reason.as_str(), "delisting");
    assert_close(sale.quantity, q, 1e-6);
    assert_close(sale.price, 12.0, 0.0);
    assert_close(sale.cost, 0.001 * 1.2 * w1, 1e-6);
    let last = r.records.daily.last().unwrap();
    assert_eq!(last.date.to_string(), "2024-02-07");
    assert_close(last.cash, 1.2 * w1 * 0.999, 1e-6);
    assert_close(last.nav, 1.2 * w1 * 0.999, 1e-6);
    assert!(r.records.unfilled.is_empty(), "{}", r.trades_csv());
}

/// An industry reclassification mid-run: AAA is Bank until 2024-01-30
/// (inclusive) and Tech from 2024-01-31. With a decision every day, the
/// context shows Bank on 01-29 and 01-30 and Tech from 01-31 on (a spell is
/// effective at the pre-open of its start date, so the decision at that
/// close already sees it); BBB stays Bank. 02-02 is the last day: no decision.
#[test]
fn test_industry_reclassification_visible_from_its_start_date() {
    use alphasim::alpha::AlphaModel;
    use alphasim::context::Context;
    use alphasim::data::SymbolId;
    use std::sync::{Arc, Mutex};
    type Log = Arc<Mutex<Vec<String>>>;
    struct Spy(Log);
    impl AlphaModel for Spy {
        fn name(&self) -> &str {
            "spy"
        }
        fn score(&mut self, ctx: &Context<'_>, u: &[SymbolId]) -> alphasim::Result<Vec<f64>> {
            let labels: Vec<String> = u
                .iter()
                .map(|&s| {
                    let i = ctx.industry(s).map_or("-", |i| ctx.industry_name(i));
                    format!("{}={i}", ctx.symbol_name(s))
                })
                .collect();
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {}", ctx.date(), labels.join(" ")));
            Ok(vec![0.0; u.len()])
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let dates = [
        "2024-01-29",
        "2024-01-30",
        "2024-01-31",
        "2024-02-01",
        "2024-02-02",
    ];
    write_bundle(
        dir.path(),
        &["AAA".to_owned(), "BBB".to_owned()],
        &dates,
        |s, _| 10.0 + s as f64,
        |_, _| 1000.0,
        |s, _| s as f64,
    );
    std::fs::write(
        dir.path().join("industries.csv"),
        "symbol,industry,start_date,end_date\n\
         AAA,Bank,2024-01-01,2024-01-30\n\
         AAA,Tech,2024-01-31,\n\
         BBB,Bank,2024-01-01,\n",
    )
    .unwrap();
    let text = "data = \".\"\n[schedule]\nrebalance = \"every_n_days\"\nevery_n_days = 1\n[model]\nkind = \"factor\"\nname = \"f0\"\n";
    let spec = spec_text(text, dir.path());
    let market = alphasim::data::load_market(dir.path(), &Default::default()).unwrap();
    let log: Log = Default::default();
    let mut progress = |_: usize, _: usize| {};
    alphasim::engine::run_with_model(&spec, &market, Box::new(Spy(log.clone())), &mut progress)
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "2024-01-29 AAA=Bank BBB=Bank",
            "2024-01-30 AAA=Bank BBB=Bank",
            "2024-01-31 AAA=Tech BBB=Bank",
            "2024-02-01 AAA=Tech BBB=Bank",
        ]
    );
}

/// T+1 when topping up an existing holding: only the shares bought today are
/// locked. AAA and BBB (top_fraction 1, no costs) get 500,000 each at the
/// 2024-02-01 opens of 10: 50,000 shares each. At the 2024-03-01 fill AAA
/// opens at 5 and BBB at 15: W = 250,000 + 750,000 = 1e6, 500,000 each, so
/// BBB sells 250,000/15 = 16,666.67 shares and AAA is topped up by
/// 250,000/5 = 50,000. AAA's last bar is 03-01 (close 5): the delisting sale
/// at that close sells the 50,000 shares held from before and refuses the
/// 50,000 bought today (t_plus_one), which stay held at the last close 5.
/// NAV 03-01 = 33,333.33 × 15 + 50,000 × 5 + cash 250,000 = 1e6; on 03-04 BBB
/// closes 18: 600,000 + 250,000 + 250,000 = 1.1e6.
#[test]
fn test_t_plus_one_locks_only_the_top_up_of_an_existing_holding() {
    let dir = tempfile::tempdir().unwrap();
    let mut bars = String::from("date,symbol,open,high,low,close,volume\n");
    for (date, a, b) in [
        ("2024-01-30", Some((10.0, 10.0)), (10.0, 10.0)),
        ("2024-01-31", Some((10.0, 10.0)), (10.0, 10.0)),
        ("2024-02-01", Some((10.0, 10.0)), (10.0, 10.0)),
        ("2024-02-29", Some((10.0, 6.0)), (10.0, 14.0)),
        ("2024-03-01", Some((5.0, 5.0)), (15.0, 15.0)),
        ("2024-03-04", None, (15.0, 18.0)),
    ] {
        let row = |s: &str, (o, c): (f64, f64)| {
            let (h, l) = (f64::max(o, c), f64::min(o, c));
            format!("{date},{s},{o},{h},{l},{c},1000000\n")
        };
        if let Some(a) = a {
            bars.push_str(&row("AAA", a));
        }
        bars.push_str(&row("BBB", b));
    }
    std::fs::write(dir.path().join("bars.csv"), bars).unwrap();
    std::fs::write(
        dir.path().join("factors.csv"),
        "date,symbol,f0\n2024-01-31,AAA,2\n2024-01-31,BBB,1\n2024-02-29,AAA,2\n2024-02-29,BBB,1\n",
    )
    .unwrap();
    let text = r#"
        data = "."
        initial_capital = 1000000.0
        [model]
        kind = "factor"
        name = "f0"
        [portfolio]
        top_fraction = 1.0
        [execution]
        t_plus_one = true
        [costs]
        commission_bps = 0.0
    "#;
    let r = run(&spec_text(text, dir.path()));
    let name = |s: alphasim::data::SymbolId| r.symbol_names[s.index()].clone();
    let mut fills: Vec<(String, String, &str, &str, f64, f64)> = r
        .records
        .fills
        .iter()
        .map(|f| {
            (
                f.date.to_string(),
                name(f.symbol),
                f.side.as_str(),
                f.reason.as_str(),
                f.quantity,
                f.price,
            )
        })
        .collect();
    fills.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    let expected = [
        ("2024-02-01", "AAA", "buy", "rebalance", 50_000.0, 10.0),
        ("2024-02-01", "BBB", "buy", "rebalance", 50_000.0, 10.0),
        ("2024-03-01", "AAA", "buy", "rebalance", 50_000.0, 5.0),
        ("2024-03-01", "AAA", "sell", "delisting", 50_000.0, 5.0),
        (
            "2024-03-01",
            "BBB",
            "sell",
            "rebalance",
            250_000.0 / 15.0,
            15.0,
        ),
    ];
    assert_eq!(fills.len(), expected.len(), "{}", r.trades_csv());
    for (f, e) in fills.iter().zip(expected) {
        assert_eq!(
            (f.0.as_str(), f.1.as_str(), f.2, f.3),
            (e.0, e.1, e.2, e.3),
            "{}",
            r.trades_csv()
        );
        assert_close(f.4, e.4, 1e-6);
        assert_close(f.5, e.5, 0.0);
    }
    let u: Vec<(String, String, &str, f64)> = r
        .records
        .unfilled
        .iter()
        .map(|u| {
            (
                u.date.to_string(),
                name(u.symbol),
                u.reason.as_str(),
                u.quantity,
            )
        })
        .collect();
    assert_eq!(u.len(), 1, "{}", r.trades_csv());
    assert_eq!(
        (u[0].0.as_str(), u[0].1.as_str(), u[0].2),
        ("2024-03-01", "AAA", "t_plus_one")
    );
    assert_close(u[0].3, 50_000.0, 1e-6);
    let day = |d: &str| {
        r.records
            .daily
            .iter()
            .find(|x| x.date.to_string() == d)
            .unwrap()
    };
    assert_close(day("2024-03-01").nav, 1e6, 1e-6);
    assert_close(day("2024-03-01").cash, 250_000.0, 1e-6);
    assert_close(day("2024-03-04").nav, 1.1e6, 1e-6);
    let aaa_last = r
        .records
        .positions
        .iter()
        .find(|p| name(p.symbol) == "AAA" && p.date.to_string() == "2024-03-04")
        .expect("the locked top-up is still held");
    assert_close(aaa_last.quantity, 50_000.0, 1e-6);
    assert_close(aaa_last.value, 250_000.0, 1e-6);
}
