//! The siting answer as a capital case: each ranked proposal and each chosen set appraised
//! with [`crate::analyse::appraisal`] over the projected demand, and the demand of a future
//! year for `site --year N`. No I/O; must not import `crate::load`, `crate::output` or
//! `crate::serve`.
//!
//! **Revenue path.** An option's saving today is its revenue saving beyond the existing
//! places (placement and transport apart). In year `t` it is today's saving × `d_t`, where
//! `d_t = min(g_t, places / used)`: `g_t` is the projected growth of the pupils it serves
//! (their need, weighted over their phases by today's pupils), and the cap stops the new
//! places from serving more pupils than they hold. Each future pupil is assumed to save
//! what today's moved pupils save on average. Demand *low* and *high* take `g_t` from the
//! ends of the projection's 80% interval.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyse::appraisal::{
    appraise, sensitivity, Appraisal, AppraisalError, AppraisalInputs, Demand, DemandPaths,
    DiscountSchedule, SensitivityRow,
};
use crate::analyse::planning::{SetFigures, SiteResult};
use crate::analyse::projection::{AreaShares, Projection};
use crate::model::phase::Phase;
use crate::model::Need;

/// Growth of the served pupils' demand, year by year from now (`t = 0` is 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandIndex {
    /// Where the growth comes from (one sentence).
    pub basis: String,
    /// First year (`t = 0`), e.g. 2024 for 2024/25.
    pub base_year: i32,
    /// Lower end of the 80% interval, over today.
    pub low: Vec<f64>,
    /// Median, over today.
    pub central: Vec<f64>,
    /// Upper end of the 80% interval, over today.
    pub high: Vec<f64>,
}

impl DemandIndex {
    /// No growth for `period` years (no projection available), saying why.
    pub fn flat(period: u32, base_year: i32, why: &str) -> DemandIndex {
        let ones = vec![1.0; period as usize + 1];
        DemandIndex {
            basis: format!("demand held at today's level: {why}"),
            base_year,
            low: ones.clone(),
            central: ones.clone(),
            high: ones,
        }
    }

    /// The growth of `need` for pupils spread over phases as `phase_weights` (today's
    /// counts), from the projection, for `t = 0..=period` (years beyond the projection keep
    /// its last year's level).
    pub fn from_projection(
        p: &Projection,
        need: Need,
        phase_weights: &BTreeMap<Phase, f64>,
        period: u32,
    ) -> DemandIndex {
        let total_w: f64 = phase_weights.values().sum();
        let last = p.totals.last().map_or(p.base_year, |t| t.year);
        let mut out = [Vec::new(), Vec::new(), Vec::new()];
        for t in 0..=period as i32 {
            let year = (p.base_year + t).min(last);
            let mut acc = [0.0; 3];
            for (&phase, &w) in phase_weights {
                let share = if total_w > 0.0 { w / total_w } else { 0.0 };
                let now = p.cell(need, phase, p.base_year).map_or(0.0, |i| i.central);
                let then = p.cell(need, phase, year);
                let g = |v: f64| if now > 0.0 { v / now } else { 1.0 };
                let (lo, c, hi) = match then {
                    Some(i) if now > 0.0 => (g(i.lo80), g(i.central), g(i.hi80)),
                    _ => {
                        let c = p.growth(need, phase, year);
                        (c, c, c)
                    }
                };
                acc[0] += share * lo;
                acc[1] += share * c;
                acc[2] += share * hi;
            }
            if total_w <= 0.0 {
                acc = [1.0; 3];
            }
            for (o, a) in out.iter_mut().zip(acc) {
                o.push(a);
            }
        }
        let [low, central, high] = out;
        DemandIndex {
            basis: format!(
                "projected {} plans ({} from {}), weighted over the phases of today's pupils served; low and high are the ends of the 80% interval",
                need.code(),
                p.method.split(" (").next().unwrap_or("trend"),
                p.authority
            ),
            base_year: p.base_year,
            low,
            central,
            high,
        }
    }
}

/// Settings of the appraisal (every one echoed in the outputs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AppraisalSettings {
    /// Optimism-bias uplift on capital (fraction).
    pub optimism_bias: f64,
    /// Build lead time, years (places open at the start of this year).
    pub lead_time_years: u32,
    /// Appraisal period, years.
    pub period_years: u32,
    /// Discount schedule.
    pub discount: DiscountSchedule,
}

impl AppraisalSettings {
    /// The defaults: 24% optimism bias, 1 year's build for a resource base and 2 for special
    /// school places, 10 years at the Green Book rates.
    pub fn default_for(kind: crate::model::ProvisionKind) -> AppraisalSettings {
        AppraisalSettings {
            optimism_bias: crate::analyse::appraisal::DEFAULT_OPTIMISM_BIAS,
            lead_time_years: match kind {
                crate::model::ProvisionKind::SpecialSchool => 2,
                _ => 1,
            },
            period_years: 10,
            discount: crate::analyse::appraisal::GREEN_BOOK,
        }
    }
}

/// The demand index of a siting problem's pupils: their need's projected growth weighted
/// over the phases of the pupils in `ctx`, or flat with `why` when there is no projection.
pub fn demand_for(
    ctx: &crate::analyse::planning::PlanningContext,
    analysed: &crate::analyse::Analysed,
    need: Need,
    projection: Result<&Projection, &str>,
    period: u32,
) -> DemandIndex {
    match projection {
        Ok(p) => {
            let pmax = analysed.params.primary_max_age;
            let mut weights = BTreeMap::new();
            for &u in ctx.problem_pupils() {
                if let Some(pupil) = analysed.scenario.pupils.get(u) {
                    *weights.entry(Phase::of_age(pupil.age, pmax)).or_insert(0.0) += 1.0;
                }
            }
            DemandIndex::from_projection(p, need, &weights, period)
        }
        Err(why) => DemandIndex::flat(period, 0, why),
    }
}

/// One appraised option: a ranked proposal or a chosen set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionAppraisal {
    /// `proposal` or `chosen_set`.
    pub kind: String,
    /// Rank (proposals) or k (chosen sets).
    pub number: usize,
    /// Site ids.
    pub sites: Vec<String>,
    /// New places.
    pub places: u32,
    /// Places used by today's pupils.
    pub used_today: u32,
    /// Placement saving a year today, £.
    pub placement_gbp_per_year: f64,
    /// Transport saving a year today, £.
    pub transport_gbp_per_year: f64,
    /// Central demand.
    pub central: Appraisal,
    /// Low demand.
    pub low: Appraisal,
    /// High demand.
    pub high: Appraisal,
    /// ±20% one at a time, tornado order.
    pub sensitivity: Vec<SensitivityRow>,
}

/// The capital case of a siting answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapitalAppraisal {
    /// Settings.
    pub settings: AppraisalSettings,
    /// Demand growth used.
    pub demand: DemandIndex,
    /// Each ranked proposal, then each chosen set (k = 1..).
    pub options: Vec<OptionAppraisal>,
}

fn paths(today: f64, demand: &DemandIndex, cap: f64) -> DemandPaths {
    let f = |g: &Vec<f64>| g.iter().map(|&x| today * x.min(cap)).collect();
    DemandPaths {
        low: f(&demand.low),
        central: f(&demand.central),
        high: f(&demand.high),
    }
}

#[allow(clippy::too_many_arguments)]
fn option(
    kind: &str,
    number: usize,
    sites: Vec<String>,
    places: u32,
    used: u32,
    capital_gbp: f64,
    (placement, transport): (f64, f64),
    s: &AppraisalSettings,
    demand: &DemandIndex,
) -> Result<OptionAppraisal, AppraisalError> {
    let cap = if used > 0 {
        f64::from(places) / f64::from(used)
    } else {
        1.0
    };
    let inputs = AppraisalInputs {
        capital_gbp,
        optimism_bias: s.optimism_bias,
        lead_time_years: s.lead_time_years,
        period_years: s.period_years,
        discount: s.discount,
        placement_saving: paths(placement, demand, cap),
        transport_saving: paths(transport, demand, cap),
    };
    Ok(OptionAppraisal {
        kind: kind.into(),
        number,
        sites,
        places,
        used_today: used,
        placement_gbp_per_year: placement,
        transport_gbp_per_year: transport,
        central: appraise(&inputs, Demand::Central)?,
        low: appraise(&inputs, Demand::Low)?,
        high: appraise(&inputs, Demand::High)?,
        sensitivity: sensitivity(&inputs)?,
    })
}

fn extra(f: &SetFigures, base: &SetFigures) -> (f64, f64) {
    (
        f.placement_gbp_per_year_saved - base.placement_gbp_per_year_saved,
        f.transport_gbp_per_year_saved - base.transport_gbp_per_year_saved,
    )
}

/// Appraises every ranked proposal and every chosen set of `r`.
///
/// A proposal's placement and transport split is its chosen-set-of-one split when it is
/// the k = 1 answer, otherwise its revenue saving split in the proportions of the k = 1
/// answer (the siting core prices proposals as one total).
///
/// # Errors
/// Settings the appraisal refuses (see [`AppraisalError`]).
pub fn appraise_site(
    r: &SiteResult,
    s: &AppraisalSettings,
    demand: &DemandIndex,
) -> Result<CapitalAppraisal, AppraisalError> {
    let mut options = Vec::new();
    let split = r.per_k.first().map_or(0.5, |k| {
        let (p, t) = extra(&k.figures, &r.baseline);
        if (p + t).abs() > 0.0 {
            p / (p + t)
        } else {
            0.5
        }
    });
    for p in &r.proposals {
        let rev = p.revenue_gbp_per_year_saved;
        options.push(option(
            "proposal",
            p.rank,
            vec![p.proposal.site_id.clone()],
            p.proposal.places,
            p.places_used,
            p.capital_gbp,
            (rev * split, rev * (1.0 - split)),
            s,
            demand,
        )?);
    }
    for k in &r.per_k {
        options.push(option(
            "chosen_set",
            k.k,
            k.sites.iter().map(|c| c.id.clone()).collect(),
            k.sites.iter().map(|c| c.places).sum(),
            k.sites.iter().map(|c| c.used).sum(),
            k.capital_gbp,
            extra(&k.figures, &r.baseline),
            s,
            demand,
        )?);
    }
    Ok(CapitalAppraisal {
        settings: *s,
        demand: demand.clone(),
        options,
    })
}

/// The demand of a future year, for `site --year N` and the capital plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FutureDemand {
    /// The year (2030 = 2030/31).
    pub year: i32,
    /// Projected growth over today per need × phase.
    pub growth: BTreeMap<(Need, Phase), f64>,
    /// Projected growth over today per `(layer, area id, need)`.
    pub area_growth: BTreeMap<(String, String, Need), f64>,
    /// Where it comes from (one sentence).
    pub basis: String,
}

impl FutureDemand {
    /// Growth from `p` to `year` per need × phase, and per area × need from `shares` (the
    /// area's projected plans of the need in `year` over today's, apportioned by
    /// [`crate::analyse::projection::apportion`]).
    pub fn from_projection(
        p: &Projection,
        shares: &[AreaShares],
        growth_factors: Option<&BTreeMap<String, f64>>,
        year: i32,
    ) -> FutureDemand {
        let mut growth = BTreeMap::new();
        for need in Need::ALL {
            for phase in Phase::ALL {
                growth.insert((need, phase), p.growth(need, phase, year));
            }
        }
        let mut area_growth = BTreeMap::new();
        for s in shares {
            let cells = crate::analyse::projection::apportion(p, s, growth_factors);
            let mut sums: BTreeMap<(String, Need), (f64, f64)> = BTreeMap::new();
            for c in cells {
                let e = sums.entry((c.area_id.clone(), c.need)).or_default();
                if c.year == p.base_year {
                    e.0 += c.plans.central;
                } else if c.year == year {
                    e.1 += c.plans.central;
                }
            }
            for ((area, need), (now, then)) in sums {
                let g = if now > 0.0 {
                    then / now
                } else {
                    p.need_total(need, year).map_or(1.0, |i| i.central)
                        / p.need_total(need, p.base_year)
                            .map_or(1.0, |i| i.central.max(1.0))
                };
                area_growth.insert((s.layer.clone(), area, need), g);
            }
        }
        FutureDemand {
            year,
            growth,
            area_growth,
            basis: format!(
                "SEN2 projection of {} ({} to {}), apportioned to areas by today's pupils",
                p.authority, p.base_year, year
            ),
        }
    }
}

/// The siting answer evaluated for a future year's demand (`site --year N`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FutureFigures {
    /// The year planned for.
    pub year: i32,
    /// Where the demand comes from.
    pub basis: String,
    /// Pupils in the problem today.
    pub pupils_now: usize,
    /// Pupils the year's demand stands for.
    pub pupils_then: usize,
    /// Growth used per phase of the need.
    pub growth: Vec<(Phase, f64)>,
    /// The chosen sets of the year-N answer evaluated on today's pupils (aligned with
    /// `per_k`), and the no-new-site baseline today.
    pub baseline_now: SetFigures,
    /// Figures today of each k's sites.
    pub per_k_now: Vec<SetFigures>,
}
