//! Capital appraisal in the spirit of HM Treasury's Green Book (2022) for new SEND places (a
//! resource base or special school places): discounted cash flows, NPV, PVC, PVB, BCR,
//! discounted and simple payback, and a one-at-a-time sensitivity (tornado) table.
//!
//! This module owns the appraisal arithmetic only. It does no I/O and must not import
//! `crate::load`, `crate::serve` or `crate::output`; inputs arrive as plain numbers and
//! results leave as plain (serialisable) data.
//!
//! # Conventions (exactly what [`appraise`] computes)
//!
//! * **Years** are `t = 0, 1, …, T` with `T = period_years` (1..=75). Year 0 is the appraisal
//!   base year (now) and is **not** discounted.
//! * **Discount factor**: `DF_0 = 1` and `DF_t = Π_{s=1..t} 1 / (1 + r_s)`, where
//!   `r_s = rate` for `s < long_from_year` and `r_s = long_rate` for `s ≥ long_from_year`
//!   ([`DiscountSchedule`]). The Green Book schedule ([`GREEN_BOOK`]) is 3.5% for years
//!   1–30 and 3.0% for years 31–75, so `DF_31 = DF_30 / 1.03`.
//! * **Capital**: `K = capital_gbp × (1 + optimism_bias)` (optimism bias uplift, see
//!   [`DEFAULT_OPTIMISM_BIAS`]). With build lead time `L = lead_time_years ≥ 1`, `K / L` is
//!   spent in each of years `0..=L−1`; with `L = 0` all of `K` is spent in year 0.
//!   `L ≤ T` is required.
//! * **Revenue saving**: the places open at the start of year `L`. The saving in year `t` is
//!   `placement_t + transport_t` (entry `t` of the chosen demand path of each component) for
//!   every `t ≥ max(L, 1)`, and 0 before (year 0 is the decision/build year, so with `L = 0`
//!   savings start in year 1). Path entries before opening are ignored. A negative entry is
//!   a dis-benefit and counts in PVB with its sign.
//! * **Net and totals**: `Net_t = revenue_t − capital_t`; `NPV = Σ_{t=0..T} Net_t × DF_t`;
//!   `PVC = Σ capital_t × DF_t`; `PVB = Σ revenue_t × DF_t` (so `NPV = PVB − PVC` up to
//!   floating-point rounding); `BCR = PVB / PVC`, `None` when `PVC = 0`.
//! * **Payback**: with cumulative discounted net `C_t = Σ_{s=0..t} Net_s × DF_s`
//!   (and `C_{−1} = 0`), the discounted payback is the first year `t` with `C_{t−1} < 0` and
//!   `C_t ≥ 0`, interpolated linearly within that year:
//!   `payback = (t − 1) + (−C_{t−1}) / (C_t − C_{t−1})`. It is `None` when the project
//!   never pays back within the period, and `Some(0.0)` when `C_t` is never negative
//!   (nothing to pay back). The simple payback is the same rule on undiscounted cumulatives.
//!
//! Capital and revenue are kept apart in every [`CashFlowYear`] (separate columns), so that a
//! caller can assign them to the capital and revenue (high-needs) budgets; budget shares are
//! not part of this module.

use serde::{Deserialize, Serialize};

/// A discount-rate schedule: `rate` for years `1..long_from_year`, then `long_rate`.
///
/// The rate for year `s ≥ 1` is `r_s = rate` if `s < long_from_year`, else `long_rate`;
/// `DF_t = Π_{s=1..t} 1 / (1 + r_s)` and `DF_0 = 1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiscountSchedule {
    /// The standard rate (fraction per year), for years `1..long_from_year`.
    pub rate: f64,
    /// The long-term rate (fraction per year), from year `long_from_year` on.
    pub long_rate: f64,
    /// The first year discounted at `long_rate`.
    pub long_from_year: u32,
}

/// The Green Book (2022) schedule: 3.5% for years 1–30, 3.0% for years 31–75.
pub const GREEN_BOOK: DiscountSchedule = DiscountSchedule {
    rate: 0.035,
    long_rate: 0.03,
    long_from_year: 31,
};

/// Default optimism bias, 0.24 (24%): the upper bound for capital expenditure on standard
/// buildings in the Green Book supplementary guidance on optimism bias. It should be reduced
/// as the project matures and its risks are managed.
pub const DEFAULT_OPTIMISM_BIAS: f64 = 0.24;

/// The longest appraisal period accepted, in years (the end of the Green Book schedule).
pub const MAX_PERIOD_YEARS: u32 = 75;

impl DiscountSchedule {
    /// The rate for year `s`: `rate` if `s < long_from_year`, else `long_rate`.
    pub fn rate_for_year(&self, s: u32) -> f64 {
        if s < self.long_from_year {
            self.rate
        } else {
            self.long_rate
        }
    }

    /// `DF_0 ..= DF_period`: `DF_0 = 1`, `DF_t = DF_{t−1} / (1 + r_t)`.
    pub fn factors(&self, period_years: u32) -> Vec<f64> {
        let mut df = Vec::with_capacity(period_years as usize + 1);
        let mut f = 1.0;
        df.push(f);
        for s in 1..=period_years {
            f /= 1.0 + self.rate_for_year(s);
            df.push(f);
        }
        df
    }
}

/// A demand scenario: which of the three saving paths is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Demand {
    /// The low demand path.
    Low,
    /// The central demand path.
    Central,
    /// The high demand path.
    High,
}

/// Low, central and high per-year £ paths of one saving component. Each has length
/// `period_years + 1`; entry `t` is the saving in year `t` if the places are open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandPaths {
    /// Low demand path (£ per year, indexed by year).
    pub low: Vec<f64>,
    /// Central demand path (£ per year, indexed by year).
    pub central: Vec<f64>,
    /// High demand path (£ per year, indexed by year).
    pub high: Vec<f64>,
}

impl DemandPaths {
    /// The same path for all three demands.
    pub fn flat(path: Vec<f64>) -> DemandPaths {
        DemandPaths {
            low: path.clone(),
            central: path.clone(),
            high: path,
        }
    }

    /// The path for `demand`.
    pub fn path(&self, demand: Demand) -> &[f64] {
        match demand {
            Demand::Low => &self.low,
            Demand::Central => &self.central,
            Demand::High => &self.high,
        }
    }
}

/// What an appraisal needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppraisalInputs {
    /// Capital cost before optimism bias (places × cost per place), £; finite, ≥ 0.
    pub capital_gbp: f64,
    /// Optimism bias uplift on capital, a fraction in `[0, 2]` (e.g. 0.24).
    pub optimism_bias: f64,
    /// Build lead time `L` in whole years (`L ≤ period_years`); the places open in year `L`.
    pub lead_time_years: u32,
    /// Appraisal period `T` in years, `1..=75`.
    pub period_years: u32,
    /// The discount schedule (rates finite and ≥ 0).
    pub discount: DiscountSchedule,
    /// Placement (fee) saving paths, £ per year.
    pub placement_saving: DemandPaths,
    /// Transport saving paths, £ per year.
    pub transport_saving: DemandPaths,
}

/// One year of an appraisal's cash flows (capital and revenue kept apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CashFlowYear {
    /// Year `t` (0 = base year).
    pub year: u32,
    /// Capital spent this year, after optimism bias, £ (`K / L` while building).
    pub capital_gbp: f64,
    /// Placement saving this year, £ (0 before opening).
    pub placement_saving_gbp: f64,
    /// Transport saving this year, £ (0 before opening).
    pub transport_saving_gbp: f64,
    /// `placement_saving_gbp + transport_saving_gbp`.
    pub revenue_gbp: f64,
    /// `revenue_gbp − capital_gbp`.
    pub net_gbp: f64,
    /// `DF_t`.
    pub discount_factor: f64,
    /// `net_gbp × discount_factor`.
    pub discounted_net_gbp: f64,
    /// `Σ_{s ≤ t}` of `discounted_net_gbp`.
    pub cumulative_discounted_gbp: f64,
    /// `Σ_{s ≤ t}` of `net_gbp` (undiscounted).
    pub cumulative_gbp: f64,
}

/// The result of [`appraise`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appraisal {
    /// Capital before optimism bias, £.
    pub capital_gbp: f64,
    /// Optimism bias used (fraction).
    pub optimism_bias: f64,
    /// `capital_gbp × (1 + optimism_bias)`, £.
    pub capital_with_optimism_bias_gbp: f64,
    /// Build lead time `L`, years.
    pub lead_time_years: u32,
    /// Appraisal period `T`, years.
    pub period_years: u32,
    /// Demand path used.
    pub demand: Demand,
    /// Years `0..=T`.
    pub cash_flows: Vec<CashFlowYear>,
    /// `PVC = Σ capital_t × DF_t`, £.
    pub pv_costs_gbp: f64,
    /// `PVB = Σ revenue_t × DF_t`, £.
    pub pv_benefits_gbp: f64,
    /// `NPV = Σ Net_t × DF_t`, £.
    pub npv_gbp: f64,
    /// `PVB / PVC`; `None` when `PVC = 0`.
    pub bcr: Option<f64>,
    /// Discounted payback in years (see the module doc); `None` if never within the period.
    pub discounted_payback_years: Option<f64>,
    /// Simple (undiscounted) payback in years; `None` if never within the period.
    pub simple_payback_years: Option<f64>,
}

/// One row of the sensitivity (tornado) table: NPV at the low and high setting of one
/// assumption, all others at their base values and central demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    /// The assumption varied.
    pub assumption: String,
    /// The low setting (e.g. `-20%`, `1 year`, `low demand`).
    pub low_label: String,
    /// The high setting (e.g. `+20%`, `3 years`, `high demand`).
    pub high_label: String,
    /// NPV at the low setting, £.
    pub npv_low_gbp: f64,
    /// NPV at the high setting, £.
    pub npv_high_gbp: f64,
    /// `|npv_high_gbp − npv_low_gbp|`, £.
    pub swing_gbp: f64,
}

/// Why inputs cannot be appraised; each message names the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppraisalError {
    /// `capital_gbp` is not finite or is negative.
    #[error("field `capital_gbp` = {0} must be finite and non-negative")]
    Capital(f64),
    /// `optimism_bias` is outside `[0, 2]` (or not finite).
    #[error("field `optimism_bias` = {0} must be in [0, 2]")]
    OptimismBias(f64),
    /// `period_years` is 0 or above 75.
    #[error("field `period_years` = {0} must be in 1..=75")]
    Period(u32),
    /// `lead_time_years` exceeds `period_years`.
    #[error("field `lead_time_years` = {lead} must not exceed `period_years` = {period}")]
    LeadTime {
        /// The lead time given.
        lead: u32,
        /// The period given.
        period: u32,
    },
    /// A saving path has the wrong length.
    #[error("field `{field}` has {len} entries, expected period_years + 1 = {expected}")]
    PathLength {
        /// E.g. `placement_saving.central`.
        field: String,
        /// Its length.
        len: usize,
        /// `period_years + 1`.
        expected: usize,
    },
    /// A saving path entry is not finite.
    #[error("field `{field}`[{year}] = {value} is not finite")]
    PathEntry {
        /// E.g. `transport_saving.high`.
        field: String,
        /// The year (index).
        year: usize,
        /// The value.
        value: f64,
    },
    /// A discount rate is not finite or is negative.
    #[error("field `{field}` = {value} must be finite and non-negative")]
    Rate {
        /// `discount.rate` or `discount.long_rate`.
        field: &'static str,
        /// The value.
        value: f64,
    },
}

fn validate(inputs: &AppraisalInputs) -> Result<(), AppraisalError> {
    let c = inputs.capital_gbp;
    if !c.is_finite() || c < 0.0 {
        return Err(AppraisalError::Capital(c));
    }
    let ob = inputs.optimism_bias;
    if !(0.0..=2.0).contains(&ob) {
        return Err(AppraisalError::OptimismBias(ob));
    }
    let period = inputs.period_years;
    if period == 0 || period > MAX_PERIOD_YEARS {
        return Err(AppraisalError::Period(period));
    }
    if inputs.lead_time_years > period {
        return Err(AppraisalError::LeadTime {
            lead: inputs.lead_time_years,
            period,
        });
    }
    for (field, value) in [
        ("discount.rate", inputs.discount.rate),
        ("discount.long_rate", inputs.discount.long_rate),
    ] {
        if !value.is_finite() || value < 0.0 {
            return Err(AppraisalError::Rate { field, value });
        }
    }
    let expected = period as usize + 1;
    for (component, paths) in [
        ("placement_saving", &inputs.placement_saving),
        ("transport_saving", &inputs.transport_saving),
    ] {
        for (name, path) in [
            ("low", &paths.low),
            ("central", &paths.central),
            ("high", &paths.high),
        ] {
            let field = || format!("{component}.{name}");
            if path.len() != expected {
                return Err(AppraisalError::PathLength {
                    field: field(),
                    len: path.len(),
                    expected,
                });
            }
            if let Some((year, &value)) = path.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(AppraisalError::PathEntry {
                    field: field(),
                    year,
                    value,
                });
            }
        }
    }
    Ok(())
}

/// Appraise `inputs` under `demand`, by exactly the conventions of the module doc.
///
/// Errors (naming the field) for non-finite or negative `capital_gbp`, `optimism_bias`
/// outside `[0, 2]`, `period_years` 0 or above 75, `lead_time_years > period_years`, a path
/// whose length is not `period_years + 1`, a non-finite path entry, or a non-finite or
/// negative discount rate.
pub fn appraise(inputs: &AppraisalInputs, demand: Demand) -> Result<Appraisal, AppraisalError> {
    validate(inputs)?;
    Ok(compute(inputs, demand))
}

/// The arithmetic on validated inputs (sensitivity variants are computed unvalidated: they
/// stay finite and non-negative, and the lead time is kept within the period).
fn compute(inputs: &AppraisalInputs, demand: Demand) -> Appraisal {
    let period = inputs.period_years;
    let lead = inputs.lead_time_years;
    let with_ob = inputs.capital_gbp * (1.0 + inputs.optimism_bias);
    let df = inputs.discount.factors(period);
    let placement = inputs.placement_saving.path(demand);
    let transport = inputs.transport_saving.path(demand);
    let opens = lead.max(1);

    let mut cash_flows = Vec::with_capacity(df.len());
    let (mut pvc, mut pvb, mut cum_disc, mut cum) = (0.0, 0.0, 0.0, 0.0);
    for (t, &f) in (0..=period).zip(&df) {
        let capital = match lead {
            0 if t == 0 => with_ob,
            0 => 0.0,
            l if t < l => with_ob / f64::from(l),
            _ => 0.0,
        };
        let (p, tr) = if t >= opens {
            let i = t as usize;
            (
                placement.get(i).copied().unwrap_or(0.0),
                transport.get(i).copied().unwrap_or(0.0),
            )
        } else {
            (0.0, 0.0)
        };
        let revenue = p + tr;
        let net = revenue - capital;
        let discounted = net * f;
        pvc += capital * f;
        pvb += revenue * f;
        cum_disc += discounted;
        cum += net;
        cash_flows.push(CashFlowYear {
            year: t,
            capital_gbp: capital,
            placement_saving_gbp: p,
            transport_saving_gbp: tr,
            revenue_gbp: revenue,
            net_gbp: net,
            discount_factor: f,
            discounted_net_gbp: discounted,
            cumulative_discounted_gbp: cum_disc,
            cumulative_gbp: cum,
        });
    }
    let discounted_payback_years = payback(cash_flows.iter().map(|c| c.cumulative_discounted_gbp));
    let simple_payback_years = payback(cash_flows.iter().map(|c| c.cumulative_gbp));
    Appraisal {
        capital_gbp: inputs.capital_gbp,
        optimism_bias: inputs.optimism_bias,
        capital_with_optimism_bias_gbp: with_ob,
        lead_time_years: lead,
        period_years: period,
        demand,
        cash_flows,
        pv_costs_gbp: pvc,
        pv_benefits_gbp: pvb,
        npv_gbp: cum_disc,
        bcr: (pvc != 0.0).then(|| pvb / pvc),
        discounted_payback_years,
        simple_payback_years,
    }
}

/// Payback on cumulatives `C_0, C_1, …` (with `C_{−1} = 0`): the first `t` with
/// `C_{t−1} < 0 ≤ C_t` gives `(t − 1) + (−C_{t−1}) / (C_t − C_{t−1})`; `None` if the
/// cumulative goes negative and never recovers, `Some(0.0)` if it is never negative.
fn payback(cumulative: impl Iterator<Item = f64>) -> Option<f64> {
    let mut prev = 0.0_f64;
    let mut was_negative = false;
    for (t, c) in cumulative.enumerate() {
        if c < 0.0 {
            was_negative = true;
        } else if prev < 0.0 {
            return Some((t as f64 - 1.0) + (-prev) / (c - prev));
        }
        prev = c;
    }
    (!was_negative).then_some(0.0)
}

fn years_label(n: u32) -> String {
    if n == 1 {
        "1 year".to_string()
    } else {
        format!("{n} years")
    }
}

/// One-at-a-time sensitivity of NPV (central demand unless the row is demand), sorted by
/// `swing_gbp` descending, ties by `assumption` ascending (tornado order).
///
/// Rows, low / high setting: "Capital cost per place" (`capital_gbp` × 0.8 / × 1.2),
/// "Optimism bias" (× 0.8 / × 1.2), "Placement saving" and "Transport saving" (that
/// component's central path × 0.8 / × 1.2), "Discount rate" (`rate` and `long_rate` both
/// × 0.8 / × 1.2), "Build lead time" (`L − 1` / `L + 1` years: a lead time in whole years
/// cannot be scaled by 20%; the low is clamped at 0 and the high at `period_years`, and the
/// labels give the years used) and "Demand" (low / high paths). The variants are not
/// re-validated (an optimism bias of 1.2 × 2 is appraised as given). Errors as [`appraise`]
/// on the base inputs.
pub fn sensitivity(inputs: &AppraisalInputs) -> Result<Vec<SensitivityRow>, AppraisalError> {
    validate(inputs)?;
    let npv = |v: &AppraisalInputs| compute(v, Demand::Central).npv_gbp;
    let scaled = |f: &dyn Fn(&mut AppraisalInputs, f64)| {
        let (mut lo, mut hi) = (inputs.clone(), inputs.clone());
        f(&mut lo, 0.8);
        f(&mut hi, 1.2);
        (npv(&lo), npv(&hi))
    };
    let scale = |p: &mut Vec<f64>, k: f64| p.iter_mut().for_each(|x| *x *= k);
    let row = |assumption: &str, labels: (String, String), (lo, hi): (f64, f64)| SensitivityRow {
        assumption: assumption.to_string(),
        low_label: labels.0,
        high_label: labels.1,
        npv_low_gbp: lo,
        npv_high_gbp: hi,
        swing_gbp: (hi - lo).abs(),
    };
    let pct = || ("-20%".to_string(), "+20%".to_string());
    let l = inputs.lead_time_years;
    let (l_lo, l_hi) = (l.saturating_sub(1), (l + 1).min(inputs.period_years));
    let mut out = vec![
        row(
            "Capital cost per place",
            pct(),
            scaled(&|v, k| v.capital_gbp *= k),
        ),
        row("Optimism bias", pct(), scaled(&|v, k| v.optimism_bias *= k)),
        row(
            "Placement saving",
            pct(),
            scaled(&|v, k| scale(&mut v.placement_saving.central, k)),
        ),
        row(
            "Transport saving",
            pct(),
            scaled(&|v, k| scale(&mut v.transport_saving.central, k)),
        ),
        row(
            "Discount rate",
            pct(),
            scaled(&|v, k| {
                v.discount.rate *= k;
                v.discount.long_rate *= k;
            }),
        ),
        row(
            "Build lead time",
            (years_label(l_lo), years_label(l_hi)),
            (
                npv(&AppraisalInputs {
                    lead_time_years: l_lo,
                    ..inputs.clone()
                }),
                npv(&AppraisalInputs {
                    lead_time_years: l_hi,
                    ..inputs.clone()
                }),
            ),
        ),
        row(
            "Demand",
            ("low demand".to_string(), "high demand".to_string()),
            (
                compute(inputs, Demand::Low).npv_gbp,
                compute(inputs, Demand::High).npv_gbp,
            ),
        ),
    ];
    out.sort_by(|a, b| {
        b.swing_gbp
            .total_cmp(&a.swing_gbp)
            .then_with(|| a.assumption.cmp(&b.assumption))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * b.abs().max(1.0)
    }

    /// Capital £100,000, OB 0, L = 0, period 5, 3.5%, saving £20k placement + £10k
    /// transport per year in every demand path.
    fn base() -> AppraisalInputs {
        AppraisalInputs {
            capital_gbp: 100_000.0,
            optimism_bias: 0.0,
            lead_time_years: 0,
            period_years: 5,
            discount: GREEN_BOOK,
            placement_saving: DemandPaths::flat(vec![20_000.0; 6]),
            transport_saving: DemandPaths::flat(vec![10_000.0; 6]),
        }
    }

    #[test]
    fn hand_checked_five_years() {
        // DF_1..5 = 1/1.035^t = 0.966184, 0.933511, 0.901943, 0.871442, 0.841973;
        // Σ = 4.515052; PVB = 30,000 × 4.515052 = 135,451.57; PVC = 100,000 (year 0);
        // NPV = 35,451.57; BCR = 1.354516.
        // Discounted payback: C_3 = −100,000 + 30,000 × (0.966184 + 0.933511 + 0.901943)
        // = −100,000 + 84,049.11 = −15,950.89; C_4 − C_3 = 30,000 × 0.871442 = 26,143.27;
        // payback = 3 + 15,950.89 / 26,143.27 = 3.610134.
        // Simple payback: C_3 = −10,000, C_4 = 20,000 → 3 + 10,000/30,000 = 3.333333.
        let a = appraise(&base(), Demand::Central).expect("valid");
        let df: Vec<f64> = a.cash_flows.iter().map(|c| c.discount_factor).collect();
        for (got, want) in df
            .iter()
            .zip([1.0, 0.966184, 0.933511, 0.901943, 0.871442, 0.841973])
        {
            assert!((got - want).abs() < 5e-7, "{got} vs {want}");
        }
        assert!(close(a.pv_costs_gbp, 100_000.0));
        assert!(close(a.pv_benefits_gbp, 135_451.571264));
        assert!(close(a.npv_gbp, 35_451.571264));
        assert!(close(a.bcr.expect("PVC > 0"), 1.354516));
        assert!(close(a.discounted_payback_years.expect("pays"), 3.610134));
        assert!(close(a.simple_payback_years.expect("pays"), 10.0 / 3.0));
        let y0 = &a.cash_flows[0];
        assert_eq!((y0.capital_gbp, y0.revenue_gbp), (100_000.0, 0.0));
        let y1 = &a.cash_flows[1];
        assert_eq!(
            (y1.placement_saving_gbp, y1.transport_saving_gbp),
            (20_000.0, 10_000.0)
        );
        // NPV recomputed from the outputs.
        let npv: f64 = a
            .cash_flows
            .iter()
            .map(|c| c.net_gbp * c.discount_factor)
            .sum();
        assert!(close(npv, a.npv_gbp));
        assert!(close(a.pv_benefits_gbp - a.pv_costs_gbp, a.npv_gbp));
    }

    #[test]
    fn optimism_bias_and_lead_time_never_pays_back() {
        // K = 100,000 × 1.24 = 124,000; L = 2 → 62,000 in years 0 and 1; savings years 2–5.
        // PVC = 62,000 × (1 + 0.966184) = 121,903.38; PVB = 30,000 × (0.933511 + 0.901943
        // + 0.871442 + 0.841973) = 106,466.06; NPV = −15,437.32; undiscounted cumulative
        // after year 5 = −124,000 + 120,000 = −4,000: neither payback is reached.
        let mut i = base();
        i.optimism_bias = 0.24;
        i.lead_time_years = 2;
        let a = appraise(&i, Demand::Central).expect("valid");
        assert!(close(a.capital_with_optimism_bias_gbp, 124_000.0));
        let cap: Vec<f64> = a.cash_flows.iter().map(|c| c.capital_gbp).collect();
        assert_eq!(cap, vec![62_000.0, 62_000.0, 0.0, 0.0, 0.0, 0.0]);
        let rev: Vec<f64> = a.cash_flows.iter().map(|c| c.revenue_gbp).collect();
        assert_eq!(rev, vec![0.0, 0.0, 30_000.0, 30_000.0, 30_000.0, 30_000.0]);
        assert!(close(a.pv_costs_gbp, 121_903.381643));
        assert!(close(a.pv_benefits_gbp, 106_466.064018));
        assert!(close(a.npv_gbp, -15_437.317625));
        assert_eq!(a.discounted_payback_years, None);
        assert_eq!(a.simple_payback_years, None);
        assert!(close(a.cash_flows[5].cumulative_gbp, -4_000.0));
    }

    #[test]
    fn long_rate_from_year_31_and_zero_capital() {
        // DF_30 = 1.035^−30 = 0.356278; DF_31 = DF_30 / 1.03 = 0.345901;
        // DF_40 = DF_30 / 1.03^10 = 0.265105.
        let df = GREEN_BOOK.factors(40);
        assert!(close(df[30], 0.356278411));
        assert!(close(df[31], df[30] / 1.03));
        assert!(close(df[40], 0.265104597));
        let mut i = base();
        i.capital_gbp = 0.0;
        let a = appraise(&i, Demand::Central).expect("valid");
        assert_eq!(a.bcr, None);
        assert_eq!(a.discounted_payback_years, Some(0.0));
    }

    #[test]
    fn demand_paths_order_npv() {
        let mut i = base();
        i.placement_saving.low = vec![10_000.0; 6];
        i.placement_saving.high = vec![30_000.0; 6];
        let npv = |d| appraise(&i, d).expect("valid").npv_gbp;
        assert!(npv(Demand::Low) < npv(Demand::Central));
        assert!(npv(Demand::Central) < npv(Demand::High));
    }

    #[test]
    fn sensitivity_capital_rows_and_tornado_order() {
        // With L = 2 and OB 0.24, each capital row moves NPV by ∓0.2 × 124,000 ×
        // (1 + DF_1) / 2 = ∓0.2 × 124,000 × 0.983092 = ∓24,380.68.
        let mut i = base();
        i.optimism_bias = 0.24;
        i.lead_time_years = 2;
        i.placement_saving.low = vec![10_000.0; 6];
        i.placement_saving.high = vec![30_000.0; 6];
        let base_npv = appraise(&i, Demand::Central).expect("valid").npv_gbp;
        let rows = sensitivity(&i).expect("valid");
        assert_eq!(rows.len(), 7);
        for w in rows.windows(2) {
            assert!(
                w[0].swing_gbp > w[1].swing_gbp
                    || (w[0].swing_gbp == w[1].swing_gbp && w[0].assumption < w[1].assumption)
            );
        }
        let row = |name: &str| {
            rows.iter()
                .find(|r| r.assumption == name)
                .expect("row present")
        };
        let spread = 0.2 * 124_000.0 * (1.0 + 1.0 / 1.035) / 2.0;
        assert!(close(spread, 24_380.676329));
        let cap = row("Capital cost per place");
        assert!(close(cap.npv_low_gbp, base_npv + spread));
        assert!(close(cap.npv_high_gbp, base_npv - spread));
        assert!(close(cap.swing_gbp, 2.0 * spread));
        // Optimism bias 0.24 × ±20% moves K by ±0.048 × 100,000.
        let ob = row("Optimism bias");
        let ob_move = 0.048 * 100_000.0 * (1.0 + 1.0 / 1.035) / 2.0;
        assert!(close(ob.npv_low_gbp, base_npv + ob_move));
        let lead = row("Build lead time");
        assert_eq!(
            (lead.low_label.as_str(), lead.high_label.as_str()),
            ("1 year", "3 years")
        );
        let demand = row("Demand");
        assert!(demand.npv_low_gbp < base_npv && base_npv < demand.npv_high_gbp);
    }

    #[test]
    fn errors_name_the_field() {
        let msg = |f: &dyn Fn(&mut AppraisalInputs)| {
            let mut i = base();
            f(&mut i);
            appraise(&i, Demand::Central)
                .expect_err("invalid")
                .to_string()
        };
        assert!(msg(&|i| i.capital_gbp = -1.0).contains("`capital_gbp`"));
        assert!(msg(&|i| i.capital_gbp = f64::NAN).contains("`capital_gbp`"));
        assert!(msg(&|i| i.optimism_bias = 2.5).contains("`optimism_bias`"));
        assert!(msg(&|i| i.period_years = 0).contains("`period_years`"));
        assert!(msg(&|i| i.period_years = 76).contains("`period_years`"));
        assert!(msg(&|i| i.lead_time_years = 6).contains("`lead_time_years`"));
        assert!(msg(&|i| i.discount.long_rate = -0.01).contains("`discount.long_rate`"));
        assert!(msg(&|i| {
            i.placement_saving.high.pop();
        })
        .contains("`placement_saving.high` has 5 entries"));
        assert!(msg(&|i| i.transport_saving.low[3] = f64::INFINITY)
            .contains("`transport_saving.low`[3]"));
        assert!(sensitivity(&AppraisalInputs {
            period_years: 0,
            ..base()
        })
        .is_err());
    }
}
