//! The factor catalogue: every library factor's group, name and one-line
//! definition, in the order the computation fills them. It lives in `spec`
//! because the spec's `factors` key is resolved against it when a spec is
//! read; `crate::factors::catalog` re-exports it.
//!
//! Notation (all "days" are market days of the calendar, `t` = today):
//! `C(d)` = the last traded adjusted close on or before day `d`;
//! `r` = daily return of a traded day, `C(t)/C(previous traded day) − 1`
//! (the return of the first day after a suspension spans the gap; suspended
//! days have no return); `b` = the benchmark's daily return; a window `W` =
//! the days `t−W+1 ..= t`. Window statistics use the traded days inside the
//! window and are missing with fewer than `max(3, ⌈W/2⌉)` observations.
//! Prices are adjusted (`price × adj_factor`) unless "raw" is said.

/// Factor groups, in catalogue order.
pub const GROUPS: [&str; 6] = [
    "reversal",
    "momentum",
    "volatility",
    "liquidity",
    "value",
    "industry",
];

/// One library factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorDef {
    pub group: &'static str,
    pub name: &'static str,
    pub definition: &'static str,
}

macro_rules! catalog {
    ($($id:ident = $group:literal, $name:literal, $def:literal;)*) => {
        /// Column ids of the library factors (catalogue order).
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum FactorId { $($id,)* }

        /// All library factors, indexed by [`FactorId`].
        pub const CATALOG: &[FactorDef] = &[
            $(FactorDef { group: $group, name: $name, definition: $def },)*
        ];
    };
}

catalog! {
    RET1 = "reversal", "ret1", "C(t)/C(t−1) − 1";
    RET3 = "reversal", "ret3", "C(t)/C(t−3) − 1";
    RET5 = "reversal", "ret5", "C(t)/C(t−5) − 1";
    RET10 = "reversal", "ret10", "C(t)/C(t−10) − 1";
    RET20 = "reversal", "ret20", "C(t)/C(t−20) − 1";
    OVERNIGHT1 = "reversal", "overnight1", "today's adjusted open / C(t−1) − 1";
    INTRADAY1 = "reversal", "intraday1", "today's close / today's open − 1";
    OVERNIGHT20 = "reversal", "overnight20", "Σ ln(open/previous traded close) over the traded days of 20 (the overnight return)";
    INTRADAY20 = "reversal", "intraday20", "Σ ln(close/open) over the traded days of 20 (the intraday return)";
    OVN_INTRA20 = "reversal", "ovn_intra20", "overnight20 − intraday20";
    RET20_EXCESS = "reversal", "ret20_excess", "ret20 − the benchmark's 20-day return";
    VWAP_DEV = "reversal", "vwap_dev", "close / VWAP − 1, VWAP = amount/volume (typical price (H+L+C)/3 without amount)";
    MOM60_20 = "momentum", "mom60_20", "C(t−20)/C(t−60) − 1 (skips the last 20 days)";
    MOM120_20 = "momentum", "mom120_20", "C(t−20)/C(t−120) − 1";
    MOM250_20 = "momentum", "mom250_20", "C(t−20)/C(t−250) − 1";
    RET60 = "momentum", "ret60", "C(t)/C(t−60) − 1";
    RET120 = "momentum", "ret120", "C(t)/C(t−120) − 1";
    HIGH52W = "momentum", "high52w", "close / highest traded close of 250 days (52-week-high ratio, ≤ 1)";
    LOW52W = "momentum", "low52w", "close / lowest traded close of 250 days (≥ 1)";
    MA5 = "momentum", "ma5", "close / mean traded close of 5 days − 1";
    MA10 = "momentum", "ma10", "close / mean traded close of 10 days − 1";
    MA20 = "momentum", "ma20", "close / mean traded close of 20 days − 1";
    MA60 = "momentum", "ma60", "close / mean traded close of 60 days − 1";
    MA120 = "momentum", "ma120", "close / mean traded close of 120 days − 1";
    MA5_MA20 = "momentum", "ma5_ma20", "MA5 / MA20 − 1";
    MA20_MA60 = "momentum", "ma20_ma60", "MA20 / MA60 − 1";
    UP_RATIO60 = "momentum", "up_ratio60", "share of returns > 0 among the returns of 60 days";
    MOM_SHARPE120 = "momentum", "mom_sharpe120", "mean(r)/std(r) over 120 days (daily, ddof 1)";
    VOL20 = "volatility", "vol20", "std(r) over 20 days (ddof 1, daily)";
    VOL60 = "volatility", "vol60", "std(r) over 60 days";
    VOL120 = "volatility", "vol120", "std(r) over 120 days";
    DOWNSIDE60 = "volatility", "downside60", "√(Σ_{r<0} r²) / √(Σ r²) over 60 days (downside-volatility ratio)";
    SKEW20 = "volatility", "skew20", "skewness of r over 20 days (population, m3/m2^1.5)";
    SKEW60 = "volatility", "skew60", "skewness of r over 60 days";
    KURT60 = "volatility", "kurt60", "excess kurtosis of r over 60 days (m4/m2² − 3)";
    MAXRET20 = "volatility", "maxret20", "largest r of 20 days";
    MINRET20 = "volatility", "minret20", "smallest r of 20 days";
    BETA60 = "volatility", "beta60", "cov(r, b)/var(b) over the days of 60 with both";
    BETA250 = "volatility", "beta250", "cov(r, b)/var(b) over 250 days";
    IDIOVOL60 = "volatility", "idiovol60", "std of the residual of r on b over 60 days: √(var r − cov(r,b)²/var b) (population)";
    IDIOVOL250 = "volatility", "idiovol250", "residual std of r on b over 250 days";
    R2_60 = "volatility", "r2_60", "R² of r on b over 60 days: cov²/(var r · var b)";
    RANGE20 = "volatility", "range20", "mean (high − low)/close over 20 days";
    PARKINSON20 = "volatility", "parkinson20", "Parkinson volatility √(mean ln(H/L)² / (4 ln 2)) over 20 days";
    LOG_AMT5 = "liquidity", "log_amt5", "ln(mean traded value of 5 days); value = amount, or raw close × volume without amount";
    LOG_AMT20 = "liquidity", "log_amt20", "ln(mean traded value of 20 days)";
    LOG_AMT60 = "liquidity", "log_amt60", "ln(mean traded value of 60 days)";
    VOLRATIO1_20 = "liquidity", "volratio1_20", "today's adjusted volume (volume/adj_factor) / its 20-day mean";
    VOLRATIO5_20 = "liquidity", "volratio5_20", "mean adjusted volume of 5 days / of 20 days";
    VOLRATIO20_120 = "liquidity", "volratio20_120", "mean adjusted volume of 20 days / of 120 days";
    AMIHUD20 = "liquidity", "amihud20", "mean |r| / traded value over 20 days, × 1e8 (per 100M of value)";
    AMIHUD60 = "liquidity", "amihud60", "mean |r| / traded value over 60 days, × 1e8";
    ZERO_VOL20 = "liquidity", "zero_vol20", "share of the listed days of 20 without a trade (suspended or no row)";
    ZERO_VOL60 = "liquidity", "zero_vol60", "share of the listed days of 60 without a trade";
    LOG_PRICE = "liquidity", "log_price", "ln(raw close) (a size/lottery proxy)";
    CV_AMT20 = "liquidity", "cv_amt20", "std/mean of traded value over 20 days (population)";
    EP = "value", "ep", "trailing-twelve-month EPS (4 consecutive quarters) / price";
    EP_Q = "value", "ep_q", "latest quarter's EPS / price";
    BP = "value", "bp", "latest BPS / price";
    ROE = "value", "roe", "TTM EPS / latest BPS";
    ROE_Q = "value", "roe_q", "latest quarter's EPS / its BPS";
    EPS_CHG_Q = "value", "eps_chg_q", "(EPS_q − EPS_{q−1}) / price (quarterly change)";
    EPS_CHG_Y = "value", "eps_chg_y", "(EPS_q − EPS_{q−4}) / price (annual change)";
    BP_CHG_Q = "value", "bp_chg_q", "BPS_q / BPS_{q−1} − 1";
    BP_CHG_Y = "value", "bp_chg_y", "BPS_q / BPS_{q−4} − 1";
    ROE_CHG_Q = "value", "roe_chg_q", "ROE_q − ROE_{q−1} (quarterly ROE = EPS/BPS of the quarter)";
    ROE_CHG_Y = "value", "roe_chg_y", "ROE_q − ROE_{q−4}";
    SUE = "value", "sue", "(EPS_q − EPS_{q−4}) / std of the 8 previous such differences (≥ 3, ddof 1): earnings surprise";
    RET5_IND = "industry", "ret5_ind", "ret5 − its industry mean over the eligible set";
    RET20_IND = "industry", "ret20_ind", "ret20 − industry mean";
    MOM120_20_IND = "industry", "mom120_20_ind", "mom120_20 − industry mean";
    VOL20_IND = "industry", "vol20_ind", "vol20 − industry mean";
    LOG_AMT20_IND = "industry", "log_amt20_ind", "log_amt20 − industry mean";
    AMIHUD20_IND = "industry", "amihud20_ind", "amihud20 − industry mean";
    EP_IND = "industry", "ep_ind", "ep − industry mean";
    BP_IND = "industry", "bp_ind", "bp − industry mean";
    ROE_IND = "industry", "roe_ind", "roe − industry mean";
}

/// Number of library factors.
pub const N_FACTORS: usize = CATALOG.len();

/// Industry-relative factors and the factor each is built from.
pub const INDUSTRY_RELATIVE: [(FactorId, FactorId); 9] = [
    (FactorId::RET5_IND, FactorId::RET5),
    (FactorId::RET20_IND, FactorId::RET20),
    (FactorId::MOM120_20_IND, FactorId::MOM120_20),
    (FactorId::VOL20_IND, FactorId::VOL20),
    (FactorId::LOG_AMT20_IND, FactorId::LOG_AMT20),
    (FactorId::AMIHUD20_IND, FactorId::AMIHUD20),
    (FactorId::EP_IND, FactorId::EP),
    (FactorId::BP_IND, FactorId::BP),
    (FactorId::ROE_IND, FactorId::ROE),
];

/// Resolves a selection (`"all"`, a group, or `"group:name"`) to catalogue
/// indices in catalogue order, without duplicates. The error lists the
/// valid names.
pub fn select(items: &[String]) -> std::result::Result<Vec<usize>, String> {
    let mut chosen = [false; N_FACTORS];
    for item in items {
        let item = item.trim();
        if item == "all" {
            chosen.fill(true);
            continue;
        }
        if let Some((g, n)) = item.split_once(':') {
            match CATALOG.iter().position(|f| f.group == g && f.name == n) {
                Some(i) => chosen[i] = true,
                None => return Err(unknown(item)),
            }
            continue;
        }
        if GROUPS.contains(&item) {
            for (i, f) in CATALOG.iter().enumerate() {
                if f.group == item {
                    chosen[i] = true;
                }
            }
            continue;
        }
        return Err(unknown(item));
    }
    Ok((0..N_FACTORS).filter(|&i| chosen[i]).collect())
}

fn unknown(item: &str) -> String {
    let hint = CATALOG
        .iter()
        .find(|f| f.name == item)
        .map(|f| format!(" (did you mean \"{}:{}\"?)", f.group, f.name))
        .unwrap_or_default();
    let names: Vec<String> = CATALOG
        .iter()
        .map(|f| format!("{}:{}", f.group, f.name))
        .collect();
    format!(
        "factors: unknown factor `{item}`{hint}; use \"all\", a group ({}), or \"group:name\" with one of: {}",
        GROUPS.join(", "),
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_catalog_has_at_least_60_unique_names() {
        const { assert!(N_FACTORS >= 60) };
        let mut names: Vec<&str> = CATALOG.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), N_FACTORS);
        assert!(CATALOG.iter().all(|f| GROUPS.contains(&f.group)));
        assert_eq!(CATALOG[FactorId::ROE_IND as usize].name, "roe_ind");
        assert_eq!(CATALOG[FactorId::VOL20 as usize].name, "vol20");
        for (rel, base) in INDUSTRY_RELATIVE {
            assert_eq!(
                CATALOG[rel as usize].name,
                format!("{}_ind", CATALOG[base as usize].name)
            );
        }
    }

    #[test]
    fn test_select_groups_and_names() {
        let s = select(&["reversal".into(), "volatility:vol20".into()]).unwrap();
        let names: Vec<&str> = s.iter().map(|&i| CATALOG[i].name).collect();
        assert_eq!(&names[..2], &["ret1", "ret3"]);
        assert_eq!(*names.last().unwrap(), "vol20");
        assert_eq!(names.len(), 13);
        assert_eq!(select(&["all".into()]).unwrap().len(), N_FACTORS);
        let e = select(&["vol20".into()]).unwrap_err();
        assert!(e.contains("did you mean \"volatility:vol20\""), "{e}");
        assert!(select(&["volatility:nope".into()])
            .unwrap_err()
            .contains("momentum:mom60_20"));
    }
}
