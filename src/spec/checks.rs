//! Every value check of a parsed spec, each with the message naming the key.

use super::{
    factor_catalog, DeepConfig, GbdtConfig, ModelConfig, Rebalance, SamplesConfig, SeqConfig, Spec,
    TrainConfig,
};

impl Spec {
    /// Checks every value; the message names the key.
    pub(super) fn check(&self) -> std::result::Result<(), String> {
        let c = &self.config;
        c.portfolio.check()?;
        if !(c.initial_capital.is_finite() && c.initial_capital > 0.0) {
            return Err(format!(
                "initial_capital = {} must be positive",
                c.initial_capital
            ));
        }
        if c.annualisation == 0 {
            return Err("annualisation must be at least 1".into());
        }
        if c.ic_horizon == 0 {
            return Err("ic_horizon must be at least 1 trading day".into());
        }
        if c.quantiles < 2 {
            return Err("quantiles must be at least 2".into());
        }
        let bps_ok = |x: f64| x.is_finite() && (0.0..10_000.0).contains(&x);
        for (key, v) in [
            ("commission_bps", c.costs.commission_bps),
            ("commission_buy_bps", c.costs.commission_buy_bps),
            ("commission_sell_bps", c.costs.commission_sell_bps),
            ("slippage_bps", c.costs.slippage_bps),
        ] {
            if let Some(x) = v {
                if !bps_ok(x) {
                    return Err(format!("costs.{key} = {x} must be in [0, 10000)"));
                }
            }
        }
        for (key, v) in [
            ("min_commission", c.costs.min_commission),
            ("impact_k", c.costs.impact_k),
        ] {
            if let Some(x) = v {
                if !(x.is_finite() && x >= 0.0) {
                    return Err(format!("costs.{key} = {x} must be a number ≥ 0"));
                }
            }
        }
        if c.costs.impact_window.is_some_and(|w| w < 2) {
            return Err("costs.impact_window must be at least 2 trading days".into());
        }
        for (key, v) in [
            ("stamp_duty", &c.costs.stamp_duty),
            ("transfer_fee", &c.costs.transfer_fee),
        ] {
            let Some(steps) = v else { continue };
            for (i, st) in steps.iter().enumerate() {
                if !bps_ok(st.bps) {
                    return Err(format!(
                        "costs.{key}[{i}].bps = {} must be in [0, 10000)",
                        st.bps
                    ));
                }
                if i > 0 && steps[i - 1].from >= st.from {
                    return Err(format!(
                        "costs.{key}: the steps must have strictly increasing `from` dates ({} then {})",
                        steps[i - 1].from, st.from
                    ));
                }
            }
        }
        if let Some(v) = c.execution.volume_cap {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(format!(
                    "execution.volume_cap = {v} must be in [0, 1] (a fraction of the day's volume; 0 = no cap)"
                ));
            }
        }
        if let (Some(s), Some(e)) = (c.start, c.end) {
            if e < s {
                return Err(format!("end {e} is before start {s}"));
            }
        }
        match (c.schedule.rebalance, c.schedule.every_n_days) {
            (Rebalance::EveryNDays, None | Some(0)) => {
                return Err(
                    "schedule.rebalance = \"every_n_days\" needs schedule.every_n_days ≥ 1".into(),
                )
            }
            (Rebalance::Monthly | Rebalance::Weekly, Some(_)) => {
                return Err(
                    "schedule.every_n_days is only used with rebalance = \"every_n_days\"".into(),
                )
            }
            _ => {}
        }
        if c.schedule.retrain_months == 0 {
            return Err("schedule.retrain_months must be at least 1".into());
        }
        if let Some(items) = &c.factors {
            factor_catalog::select(items)?;
        }
        let p = &c.preprocess;
        if !(p.winsorize_mad.is_finite() && p.winsorize_mad >= 0.0) {
            return Err(format!(
                "preprocess.winsorize_mad = {} must be ≥ 0 (0 = no winsorising)",
                p.winsorize_mad
            ));
        }
        check_model(&c.model)?;
        for (name, m) in &c.models {
            check_model(m).map_err(|e| format!("[models.{name}]: {e}"))?;
        }
        Ok(())
    }
}

fn check_model(m: &ModelConfig) -> std::result::Result<(), String> {
    match m {
        ModelConfig::Reversal { window: 0 } => Err("model.window must be at least 1".into()),
        ModelConfig::Linear(l) => {
            if l.horizon == 0 {
                return Err("model.horizon must be at least 1 trading day".into());
            }
            if !(l.ridge.is_finite() && l.ridge >= 0.0) {
                return Err(format!("model.ridge = {} must be ≥ 0", l.ridge));
            }
            check_samples(&l.samples)
        }
        ModelConfig::Gbdt(g) => check_gbdt(g),
        ModelConfig::Mlp(d) | ModelConfig::Mgat(d) | ModelConfig::Dmfm(d) => {
            if d.e2eai.is_some() {
                return Err(
                    "[model.e2eai] is only for kind = \"e2eai\"; remove it or change the kind"
                        .into(),
                );
            }
            check_deep(d)
        }
        ModelConfig::E2eai(d) => {
            if d.loss != super::LossConfig::default() {
                return Err("kind = \"e2eai\" takes its loss weights from [model.e2eai] (portfolio, turnover, factor_return, global, attention, gate_penalty); remove [model.loss]".into());
            }
            if d.head_activation != super::HeadActivation::default() {
                return Err("kind = \"e2eai\" always has linear deep-factor heads; remove model.head_activation".into());
            }
            if let Some(e) = &d.e2eai {
                e.check()?;
            }
            if d.train.refit || d.train.stop_on == super::StopOn::ScoreIc {
                return Err("kind = \"e2eai\" does not support model.train.refit or stop_on = \"score_ic\" yet; remove them".into());
            }
            check_deep(d)
        }
        ModelConfig::Gru(q) | ModelConfig::Alstm(q) => check_seq(q),
        _ => Ok(()),
    }
}

fn check_samples(s: &SamplesConfig) -> std::result::Result<(), String> {
    if s.every_days == 0 {
        return Err("model.samples.every_days must be at least 1".into());
    }
    if s.embargo_months > s.validation_months {
        return Err(format!(
            "model.samples.embargo_months = {} must not exceed validation_months = {}",
            s.embargo_months, s.validation_months
        ));
    }
    Ok(())
}

fn check_gbdt(g: &GbdtConfig) -> std::result::Result<(), String> {
    check_samples(&g.samples)?;
    if g.horizon == 0 {
        return Err("model.horizon must be at least 1 trading day".into());
    }
    if !(g.learning_rate.is_finite() && g.learning_rate > 0.0 && g.learning_rate <= 1.0) {
        return Err(format!(
            "model.learning_rate = {} must be in (0, 1]",
            g.learning_rate
        ));
    }
    if g.rounds == 0 || g.max_depth == 0 || g.min_data_in_leaf == 0 || g.threads == 0 {
        return Err(
            "model.rounds, max_depth, min_data_in_leaf and threads must be at least 1".into(),
        );
    }
    if g.leaves < 2 {
        return Err(format!("model.leaves = {} must be at least 2", g.leaves));
    }
    if g.bins < 2 {
        return Err(format!("model.bins = {} must be at least 2", g.bins));
    }
    if !(g.l2.is_finite() && g.l2 >= 0.0) {
        return Err(format!("model.l2 = {} must be ≥ 0", g.l2));
    }
    for (key, f) in [
        ("feature_fraction", g.feature_fraction),
        ("bagging_fraction", g.bagging_fraction),
    ] {
        if !(f.is_finite() && f > 0.0 && f <= 1.0) {
            return Err(format!("model.{key} = {f} must be in (0, 1]"));
        }
    }
    Ok(())
}

fn check_deep(d: &DeepConfig) -> std::result::Result<(), String> {
    check_samples(&d.samples)?;
    if d.hidden == 0 || d.gat_heads == 0 {
        return Err("model.hidden and model.gat_heads must be at least 1".into());
    }
    check_horizons(&d.horizons, d.score_horizon)?;
    check_train(&d.train)
}

fn check_seq(q: &SeqConfig) -> std::result::Result<(), String> {
    check_samples(&q.samples)?;
    let (t, s) = (&q.train, &q.samples);
    if t.seeds > 1
        || t.refit
        || t.stop_on == super::StopOn::ScoreIc
        || !s.inputs.is_default()
        || !s.universe.is_default()
    {
        return Err("kinds \"gru\" and \"alstm\" do not support model.train.seeds > 1, train.refit, stop_on = \"score_ic\", samples.inputs or samples.universe yet; remove them".into());
    }
    if q.window < 2 {
        return Err(format!(
            "model.window = {} must be at least 2 trading days",
            q.window
        ));
    }
    if q.hidden == Some(0) || q.layers == 0 || q.dense == 0 {
        return Err("model.hidden, model.layers and model.dense must be at least 1".into());
    }
    check_horizons(&q.horizons, q.score_horizon)?;
    check_train(&q.train)
}

fn check_horizons(horizons: &[u32], score_horizon: u32) -> std::result::Result<(), String> {
    if horizons.is_empty() || horizons.contains(&0) {
        return Err("model.horizons must list at least one horizon ≥ 1 trading day".into());
    }
    if !horizons.contains(&score_horizon) {
        return Err(format!(
            "model.score_horizon = {score_horizon} is not one of model.horizons = {horizons:?}"
        ));
    }
    Ok(())
}

fn check_train(t: &TrainConfig) -> std::result::Result<(), String> {
    if t.epochs == 0 || t.batch_dates == 0 || t.threads == 0 || t.seeds == 0 {
        return Err("model.train.epochs, batch_dates, threads and seeds must be at least 1".into());
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        return Err(format!("model.train.lr = {} must be positive", t.lr));
    }
    if !(t.weight_decay.is_finite() && t.weight_decay >= 0.0) {
        return Err(format!(
            "model.train.weight_decay = {} must be ≥ 0",
            t.weight_decay
        ));
    }
    Ok(())
}
