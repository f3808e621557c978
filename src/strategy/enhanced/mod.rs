//! `enhanced_index`: maximise the expected active return under an ex-ante
//! tracking-error cap, industry and style exposure bounds against the
//! benchmark, per-stock caps, a turnover cap, long only and fully invested
//! (DESIGN §3), as a second-order cone programme ([`socp`]) over a
//! point-in-time factor risk model ([`risk`]) and standardised styles
//! ([`styles`]).
//!
//! At a decision, the problem's names are the eligible set (free weights),
//! the holdings and the benchmark's constituents:
//! - an eligible name is free, `0 ≤ w ≤ ub` with `ub = min(max_weight,
//!   max_benchmark_multiple × w_b + max_weight_off_benchmark)` (without the
//!   multiple, `max_weight`; outside the benchmark, `min(max_weight,
//!   max_weight_off_benchmark)`);
//! - a holding that did not trade today is pinned at its current weight (it
//!   cannot be traded at the fill either, as far as the decision can know);
//!   so is an eligible holding whose close today is at a price limit (with
//!   the market's price limits on: a locked limit move tends to open locked),
//!   and an eligible name at its up limit that is not held stays at 0;
//!   one that traded but is not eligible (left the universe, no score) is
//!   sold: fixed at 0; so is a benchmark constituent that is not eligible.
//!   a lock at the fill itself is execution's business (the order stays
//!   unfilled and is recorded), since the decision cannot know it;
//! - α (annualised expected return) = `alpha_ic × σ_i × z_i`, with `z_i` the
//!   score's cross-sectional z-score over the eligible set (population std,
//!   clipped to ±3) and `σ_i` the name's ex-ante volatility from the risk
//!   model (Grinold's "alpha = IC × volatility × score"). With
//!   `risk_aversion = 0` the scale of α does not matter, only its order
//!   and the volatility tilt.
//!
//! When the solver finds the problem infeasible (or fails), the limits are
//! relaxed in this order until it solves: the turnover cap, the style
//! bounds, the tracking-error cap, the industry bounds, the per-stock caps
//! (to 1). Each relaxation is recorded; if none helps (no free name), the
//! portfolio is left as it is. The solved weights are clipped to their
//! bounds and weights below 1e-9 set to 0 (then rescaled to the budget).

pub mod risk;
pub mod socp;
pub mod styles;
#[cfg(test)]
mod tests;

pub use styles::{StyleExposures, StyleSource};

use super::{Inputs, TargetWeights};
use crate::data::SymbolId;
use crate::spec::EnhancedIndexConfig;
use clarabel::solver::SolverStatus;
use serde::Serialize;
use socp::{Name, Problem};

/// The benchmark's constituent weights at a decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchmarkWeights {
    /// By symbol, summing to 1.
    pub weights: Vec<(SymbolId, f64)>,
    /// The `index_weights.csv` date they come from; None = equal weights of
    /// the members (no weights known for the index on or before today).
    pub as_of: Option<crate::data::Date>,
}

impl BenchmarkWeights {
    /// The weight of `s` (0 outside the benchmark).
    pub fn weight(&self, s: SymbolId) -> f64 {
        self.weights
            .binary_search_by_key(&s, |w| w.0)
            .map_or(0.0, |i| self.weights[i].1)
    }
}

/// The enhanced-index method with its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EnhancedIndex {
    pub config: EnhancedIndexConfig,
}

/// What the optimiser did at one rebalance (report.json `portfolio`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OptimiserRecord {
    /// Clarabel's final status (`Solved`, `AlmostSolved`, …), or `NoTrade`.
    pub status: String,
    pub iterations: u32,
    /// The limits relaxed to reach a solution, in order.
    pub relaxed: Vec<String>,
    /// The limits binding at the solution (`tracking_error`, `turnover`,
    /// `industry:<name>`, `style:<name>`, `max_weight` with a count).
    pub binding: Vec<String>,
    /// Names in the problem and names held by the solution.
    pub names: usize,
    /// Holdings pinned at their current weight (suspended today, or
    /// closing at a price limit).
    pub pinned: usize,
    pub holdings: usize,
    /// Checks of the solution: Σ w, max(w − cap) over the free names, and
    /// the one-sided turnover ½ Σ |w − w_prev|.
    pub weight_sum: f64,
    pub max_over_cap: f64,
    pub turnover: f64,
    /// Solver wall time (seconds; not written to the run folder, which must
    /// be byte-identical across reruns).
    #[serde(skip)]
    pub seconds: f64,
}

/// Active exposures and ex-ante tracking error of target weights.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActiveRecord {
    pub ex_ante_tracking_error: f64,
    /// (industry, active weight), industries in name order.
    pub industries: Vec<(String, f64)>,
    /// (style, active exposure in z units).
    pub styles: Vec<(String, f64)>,
}

const NO_INDUSTRY: &str = "(none)";

/// One step of the relaxation order: drops one kind of limit.
type Relaxation = fn(&mut Problem);

/// The problem's names and their data at a decision.
struct Setup {
    symbols: Vec<SymbolId>,
    industry_names: Vec<String>,
    problem: Problem,
}

impl EnhancedIndex {
    pub fn new(config: EnhancedIndexConfig) -> Self {
        EnhancedIndex { config }
    }

    fn setup(&self, inputs: &Inputs<'_>, free_names: bool) -> Setup {
        let c = &self.config;
        let ctx = inputs.context;
        let bench = inputs.benchmark.cloned().unwrap_or_default();
        let empty = StyleExposures::default();
        let styles = inputs.styles.unwrap_or(&empty);
        let mut symbols: Vec<SymbolId> = inputs
            .scores
            .iter()
            .map(|p| p.0)
            .chain(inputs.book.weights.iter().map(|p| p.0))
            .chain(bench.weights.iter().map(|p| p.0))
            .collect();
        symbols.sort();
        symbols.dedup();
        // industries in name order, "(none)" last
        let mut industry_names: Vec<String> = symbols
            .iter()
            .filter_map(|&s| ctx.industry(s).map(|i| ctx.industry_name(i).to_owned()))
            .collect();
        industry_names.sort();
        industry_names.dedup();
        if symbols.iter().any(|&s| ctx.industry(s).is_none()) {
            industry_names.push(NO_INDUSTRY.to_owned());
        }
        let industry: Vec<usize> = symbols
            .iter()
            .map(|&s| {
                let name = ctx
                    .industry(s)
                    .map_or(NO_INDUSTRY, |i| ctx.industry_name(i));
                industry_names
                    .iter()
                    .position(|n| n == name)
                    .expect("collected above")
            })
            .collect();
        let n_styles = styles.names.len();
        let mut x = Vec::with_capacity(symbols.len() * n_styles);
        for &s in &symbols {
            x.extend(styles.of(s));
        }
        let risk = risk::estimate(
            ctx,
            &symbols,
            &industry,
            industry_names.len(),
            &x,
            n_styles,
            c.risk_window,
        );
        // z-scores of the scores over the eligible set
        let mut z_of: Vec<f64> = inputs.scores.iter().map(|p| p.1).collect();
        crate::metrics::zscore_clipped(&mut z_of);
        let k = industry_names.len() + n_styles;
        let names = symbols
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let wb = bench.weight(s);
                let wprev = inputs.book.weight(s);
                let eligible = inputs.scores.binary_search_by_key(&s, |p| p.0).ok();
                let locked = inputs
                    .locked
                    .binary_search_by_key(&s, |p| p.0)
                    .ok()
                    .map(|j| inputs.locked[j].1);
                let fixed = match eligible {
                    // held and locked at a limit today: pinned
                    Some(_) if free_names && wprev > 0.0 && locked.is_some() => Some(wprev),
                    // not held, at the up limit: cannot be bought
                    Some(_) if free_names && locked == Some(true) => Some(0.0),
                    Some(_) if free_names => None,
                    _ if wprev > 0.0 && !ctx.traded_today(s) => Some(wprev),
                    _ => Some(0.0),
                };
                let z = eligible.map_or(0.0, |j| z_of[j]);
                let xi = &x[i * n_styles..(i + 1) * n_styles];
                let g = industry[i];
                let mut var = risk.specific[i] + risk.factor_cov[g * k + g];
                for a in 0..n_styles {
                    let ia = industry_names.len() + a;
                    var += 2.0 * xi[a] * risk.factor_cov[g * k + ia];
                    for b in 0..n_styles {
                        var += xi[a] * xi[b] * risk.factor_cov[ia * k + industry_names.len() + b];
                    }
                }
                let ub = if wb > 0.0 {
                    if c.max_benchmark_multiple > 0.0 {
                        c.max_weight
                            .min(c.max_benchmark_multiple * wb + c.max_weight_off_benchmark)
                    } else {
                        c.max_weight
                    }
                } else {
                    c.max_weight.min(c.max_weight_off_benchmark)
                };
                Name {
                    wb,
                    wprev,
                    fixed,
                    ub,
                    alpha: c.alpha_ic * var.max(0.0).sqrt() * z,
                    industry: g,
                    styles: xi.to_vec(),
                    specific: risk.specific[i],
                }
            })
            .collect();
        let positive = |v: f64| (v > 0.0).then_some(v);
        Setup {
            symbols,
            industry_names,
            problem: Problem {
                names,
                n_industries: k - n_styles,
                n_styles,
                factor_cov: risk.factor_cov,
                risk_aversion: c.risk_aversion,
                tracking_error: positive(c.tracking_error),
                industry_bound: Some(c.industry_bound),
                style_bound: (n_styles > 0).then_some(c.style_bound),
                turnover: positive(c.turnover).filter(|_| !inputs.book.weights.is_empty()),
            },
        }
    }

    /// The target weights of one rebalance and what the optimiser did.
    pub fn decide(&self, inputs: &Inputs<'_>) -> (TargetWeights, OptimiserRecord, ActiveRecord) {
        let Setup {
            symbols,
            industry_names,
            mut problem,
        } = self.setup(inputs, true);
        let mut record = OptimiserRecord {
            names: symbols.len(),
            pinned: problem
                .names
                .iter()
                .filter(|n| n.wprev > 0.0 && n.fixed == Some(n.wprev))
                .count(),
            ..Default::default()
        };
        let keep = |record: OptimiserRecord, problem: &Problem| {
            let targets = inputs.book.weights.clone();
            let active = active_record(problem, &symbols, &industry_names, inputs, &targets);
            (targets, record, active)
        };
        if problem.names.iter().all(|n| n.fixed.is_some()) {
            record.status = "NoTrade".into();
            return keep(record, &problem);
        }
        let steps: [(&str, Relaxation); 5] = [
            ("turnover", |p| p.turnover = None),
            ("style_bound", |p| p.style_bound = None),
            ("tracking_error", |p| p.tracking_error = None),
            ("industry_bound", |p| p.industry_bound = None),
            ("max_weight", |p| {
                for n in &mut p.names {
                    n.ub = 1.0;
                }
            }),
        ];
        let mut solved = problem.solve();
        record.seconds += solved.seconds;
        record.iterations += solved.iterations;
        for (what, relax) in steps {
            if accepted(solved.status) {
                break;
            }
            let active = match what {
                "turnover" => problem.turnover.is_some(),
                "style_bound" => problem.style_bound.is_some(),
                "tracking_error" => problem.tracking_error.is_some(),
                "industry_bound" => problem.industry_bound.is_some(),
                _ => true,
            };
            if !active {
                continue;
            }
            relax(&mut problem);
            record.relaxed.push(what.to_owned());
            solved = problem.solve();
            record.seconds += solved.seconds;
            record.iterations += solved.iterations;
        }
        record.status = format!("{:?}", solved.status);
        if !accepted(solved.status) {
            record.status = format!("NoTrade ({:?})", solved.status);
            return keep(record, &problem);
        }
        let mut w = solved.weights;
        clean(&mut w, &problem);
        record.binding = binding(&problem, &w, &industry_names, inputs);
        record.weight_sum = w.iter().sum();
        record.max_over_cap = problem
            .names
            .iter()
            .zip(&w)
            .filter(|(n, _)| n.fixed.is_none())
            .map(|(n, v)| v - n.ub)
            .fold(f64::NEG_INFINITY, f64::max);
        record.turnover = 0.5
            * problem
                .names
                .iter()
                .zip(&w)
                .map(|(n, v)| (v - n.wprev).abs())
                .sum::<f64>();
        let targets: TargetWeights = symbols
            .iter()
            .zip(&w)
            .filter(|p| *p.1 > 0.0)
            .map(|(&s, &v)| (s, v))
            .collect();
        record.holdings = targets.len();
        let active = active_record(&problem, &symbols, &industry_names, inputs, &targets);
        (targets, record, active)
    }

    /// The active exposures and ex-ante tracking error of `targets` against
    /// the benchmark, on this decision's risk model.
    pub fn active(&self, inputs: &Inputs<'_>, targets: &TargetWeights) -> ActiveRecord {
        let Setup {
            symbols,
            industry_names,
            problem,
        } = self.setup(inputs, false);
        active_record(&problem, &symbols, &industry_names, inputs, targets)
    }
}

fn active_record(
    problem: &Problem,
    symbols: &[SymbolId],
    industry_names: &[String],
    inputs: &Inputs<'_>,
    targets: &TargetWeights,
) -> ActiveRecord {
    let w: Vec<f64> = symbols
        .iter()
        .map(|&s| {
            targets
                .binary_search_by_key(&s, |p| p.0)
                .map_or(0.0, |i| targets[i].1)
        })
        .collect();
    // targets outside the problem's names cannot occur: every target is eligible or held
    let y = problem.active_exposures(&w);
    let styles = inputs.styles.map(|s| s.names.clone()).unwrap_or_default();
    ActiveRecord {
        ex_ante_tracking_error: problem.tracking_error_of(&w),
        industries: industry_names
            .iter()
            .cloned()
            .zip(y.iter().copied())
            .collect(),
        styles: styles
            .into_iter()
            .zip(y[problem.n_industries..].iter().copied())
            .collect(),
    }
}

fn accepted(s: SolverStatus) -> bool {
    matches!(s, SolverStatus::Solved | SolverStatus::AlmostSolved)
}

/// Clips to bounds, zeroes dust below 1e-9 and rescales the free weights
/// to the budget.
fn clean(w: &mut [f64], p: &Problem) {
    let fixed: f64 = p.names.iter().filter_map(|n| n.fixed).sum();
    let mut free = 0.0;
    for (v, n) in w.iter_mut().zip(&p.names) {
        if n.fixed.is_none() {
            if *v < 1e-9 {
                *v = 0.0;
            }
            free += *v;
        }
    }
    if free > 0.0 {
        let scale = (1.0 - fixed) / free;
        for (v, n) in w.iter_mut().zip(&p.names) {
            if n.fixed.is_none() {
                *v = (*v * scale).min(n.ub);
            }
        }
    }
}

/// The limits binding at `w` (within 1e-6).
fn binding(p: &Problem, w: &[f64], industry_names: &[String], inputs: &Inputs<'_>) -> Vec<String> {
    let tol = 1e-6;
    let mut out = Vec::new();
    if let Some(te) = p.tracking_error {
        if p.tracking_error_of(w) >= te - tol {
            out.push("tracking_error".to_owned());
        }
    }
    if let Some(to) = p.turnover {
        let used: f64 = p
            .names
            .iter()
            .zip(w)
            .map(|(n, v)| (v - n.wprev).abs())
            .sum();
        if used >= 2.0 * to - tol {
            out.push("turnover".to_owned());
        }
    }
    let y = p.active_exposures(w);
    if let Some(ib) = p.industry_bound {
        for (f, name) in industry_names.iter().enumerate() {
            if y[f].abs() >= ib - tol {
                out.push(format!("industry:{name}"));
            }
        }
    }
    if let Some(sb) = p.style_bound {
        let names = inputs.styles.map(|s| s.names.clone()).unwrap_or_default();
        for (a, name) in names.iter().enumerate() {
            if y[p.n_industries + a].abs() >= sb - tol {
                out.push(format!("style:{name}"));
            }
        }
    }
    let capped = p
        .names
        .iter()
        .zip(w)
        .filter(|(n, v)| n.fixed.is_none() && **v >= n.ub - 1e-9)
        .count();
    if capped > 0 {
        out.push(format!("max_weight×{capped}"));
    }
    out
}
