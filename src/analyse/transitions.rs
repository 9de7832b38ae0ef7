//! Projection from the council's own annual pupil snapshots (`nearhome project --snapshots`):
//! transition rates between needs and settings estimated from pupils followed year to year,
//! in the manner of the witan.send model (a Markov model of the EHC cohort by need, setting
//! and age, with joiners and leavers). No I/O; must not import `crate::load`, `crate::output`
//! or `crate::serve`.
//!
//! **Estimation**, over every pair of consecutive snapshot years `(y, y + 1)` in the fit
//! window: a pupil (by id) in both is a *stayer*, whose `(need, setting)` moved (or not) while
//! they aged; a pupil in `y` only is a *leaver* (plan ceased or moved away); a pupil in `y + 1`
//! only is a *joiner*.
//! - Leaving probability by age (banded as the SEN2 method: 0–4, 5–10, 11–15, 16, 17, 18, 19,
//!   20–25) = leavers ÷ pupils of that band in `y`. Every plan ends after 25.
//! - Transition probabilities of stayers from each `(need, setting)` state, per phase of the
//!   age in `y`: observed moves plus one pseudo-move to the same state (a Dirichlet prior that
//!   keeps a state seen once from jumping for certain), normalised.
//! - Joiners: each year's count; the mix by need × setting × age pooled over years. The
//!   number of joiners a year ahead is the mean of the fit years (the method does not trend
//!   joiners: a council gives too few years for that; the SEN2 method trends the total).
//!
//! **Projection** from the last snapshot: age, leave, move by the transition probabilities,
//! add joiners. Intervals: each part's count is a sum of survival draws and joiner arrivals,
//! approximated as Poisson (`log sd = 1/√c`, normal quantiles); the uncertainty of the rates
//! themselves is not included (stated in the outputs).
//!
//! **Backtest**: with at least four snapshot years, the rates are estimated without the last
//! one or two years (up to half the pairs), the cohort is projected from the last fit year
//! and each need's count is compared with the held-out snapshots: the per-need MAPE SEN2 cannot
//! give.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::analyse::projection::Interval;
use crate::model::phase::Phase;
pub use crate::model::snapshot::SnapshotRecord;
use crate::model::Need;

/// One sentence naming the method, written in every output.
pub const METHOD: &str = "Markov transitions of the council's own snapshots (pupils followed \
year to year by id: leaving rates by age, need x setting moves by phase with a stay-put prior, \
joiners at the fit years' mean in their need x setting x age mix), Poisson intervals";

const MAX_AGE: usize = 25;
use crate::analyse::projection::AGE_BANDS as BANDS;

type State = (Need, String);
/// A state of the cohort with the phase its moves are estimated for.
pub type From = (Need, String, Phase);
/// Where a state's stayers go: `(need, setting, probability)`.
pub type Destinations = Vec<(Need, String, f64)>;

/// Rates estimated from snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionModel {
    /// First and last snapshot year used.
    pub years: (i32, i32),
    /// Leaving probability a year by age (0..=25).
    pub leave_by_age: Vec<f64>,
    /// Per `(need, setting, phase)` of the pupil in year `y`: where stayers are in `y + 1`
    /// (`(need, setting, probability)`, probabilities summing to 1).
    pub moves: Vec<(From, Destinations)>,
    /// Joiners each year `(y + 1, count)`.
    pub joiners: Vec<(i32, usize)>,
    /// Joiner mix: `(need, setting, age)` → share.
    pub joiner_mix: Vec<((Need, String, u8), f64)>,
    /// Stayers, leavers and joiners counted over the fit pairs.
    pub counted: (usize, usize, usize),
}

fn band_of(age: usize) -> usize {
    BANDS
        .iter()
        .position(|&(lo, hi)| (usize::from(lo)..=usize::from(hi)).contains(&age))
        .unwrap_or(BANDS.len() - 1)
}

/// Estimates the rates from the snapshots of years `first..=last`.
///
/// # Errors
/// Fewer than two snapshot years in the window, or no pupil followed between them.
pub fn estimate(
    records: &[SnapshotRecord],
    first: i32,
    last: i32,
    primary_max: u8,
) -> Result<TransitionModel, String> {
    let mut by_year: BTreeMap<i32, BTreeMap<&str, &SnapshotRecord>> = BTreeMap::new();
    for r in records.iter().filter(|r| (first..=last).contains(&r.year)) {
        by_year.entry(r.year).or_default().insert(&r.id, r);
    }
    let years: Vec<i32> = by_year.keys().copied().collect();
    if years.len() < 2 {
        return Err(format!(
            "{} snapshot year(s) in {first}..={last}: transitions need at least two consecutive years",
            years.len()
        ));
    }
    let mut held = [0usize; BANDS.len()];
    let mut left = [0usize; BANDS.len()];
    let mut moves: BTreeMap<(Need, String, Phase), BTreeMap<State, f64>> = BTreeMap::new();
    let mut joiners = Vec::new();
    let mut mix: BTreeMap<(Need, String, u8), f64> = BTreeMap::new();
    let (mut stayers, mut leavers, mut joined) = (0, 0, 0);
    for pair in years.windows(2) {
        let (y0, y1) = (pair[0], pair[1]);
        if y1 != y0 + 1 {
            continue;
        }
        let (now, next) = (&by_year[&y0], &by_year[&y1]);
        for (id, r) in now {
            let b = band_of(usize::from(r.age));
            held[b] += 1;
            match next.get(id) {
                Some(n) => {
                    stayers += 1;
                    let key = (r.need, r.setting.clone(), Phase::of_age(r.age, primary_max));
                    *moves
                        .entry(key)
                        .or_default()
                        .entry((n.need, n.setting.clone()))
                        .or_default() += 1.0;
                }
                None => {
                    leavers += 1;
                    left[b] += 1;
                }
            }
        }
        let mut count = 0;
        for (id, n) in next {
            if !now.contains_key(id) {
                count += 1;
                *mix.entry((n.need, n.setting.clone(), n.age)).or_default() += 1.0;
            }
        }
        joined += count;
        joiners.push((y1, count));
    }
    if joiners.is_empty() {
        return Err(format!(
            "no two consecutive snapshot years in {first}..={last} (years: {years:?})"
        ));
    }
    let mut leave_by_age = vec![0.0; MAX_AGE + 1];
    for (a, q) in leave_by_age.iter_mut().enumerate() {
        let b = band_of(a);
        if held[b] > 0 {
            *q = left[b] as f64 / held[b] as f64;
        }
    }
    leave_by_age[MAX_AGE] = 1.0;
    let moves = moves
        .into_iter()
        .map(|((need, setting, phase), mut to)| {
            *to.entry((need, setting.clone())).or_default() += 1.0;
            let total: f64 = to.values().sum();
            let dest = to
                .into_iter()
                .map(|((n, s), c)| (n, s, c / total))
                .collect();
            ((need, setting, phase), dest)
        })
        .collect();
    let mix_total: f64 = mix.values().sum();
    let joiner_mix = mix
        .into_iter()
        .map(|(k, v)| (k, if mix_total > 0.0 { v / mix_total } else { 0.0 }))
        .collect();
    Ok(TransitionModel {
        years: (years[0], *years.last().unwrap_or(&years[0])),
        leave_by_age,
        moves,
        joiners,
        joiner_mix,
        counted: (stayers, leavers, joined),
    })
}

/// The cohort by need, setting and age.
type Stock = BTreeMap<(Need, String, u8), f64>;

fn stock_of(records: &[SnapshotRecord], year: i32) -> Stock {
    let mut s = Stock::new();
    for r in records.iter().filter(|r| r.year == year) {
        *s.entry((r.need, r.setting.clone(), r.age)).or_default() += 1.0;
    }
    s
}

fn step(m: &TransitionModel, stock: &Stock, primary_max: u8) -> Stock {
    let moves: BTreeMap<From, &Destinations> =
        m.moves.iter().map(|(k, v)| (k.clone(), v)).collect();
    let mut next = Stock::new();
    for ((need, setting, age), &v) in stock {
        let a = usize::from(*age);
        if a >= MAX_AGE {
            continue;
        }
        let stay = v * (1.0 - m.leave_by_age.get(a).copied().unwrap_or(1.0));
        let key = (*need, setting.clone(), Phase::of_age(*age, primary_max));
        match moves.get(&key) {
            Some(dest) => {
                for (n, s, p) in dest.iter() {
                    *next.entry((*n, s.clone(), age + 1)).or_default() += stay * p;
                }
            }
            None => *next.entry((*need, setting.clone(), age + 1)).or_default() += stay,
        }
    }
    let mean_joiners =
        m.joiners.iter().map(|j| j.1 as f64).sum::<f64>() / m.joiners.len().max(1) as f64;
    for ((n, s, a), share) in &m.joiner_mix {
        *next.entry((*n, s.clone(), *a)).or_default() += mean_joiners * share;
    }
    next
}

/// One projected need × setting × phase × year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotCell {
    /// Year.
    pub year: i32,
    /// Need.
    pub need: Need,
    /// Setting.
    pub setting: String,
    /// Phase.
    pub phase: Phase,
    /// Pupils (the last snapshot year is exact).
    pub pupils: Interval,
}

/// The per-need backtest on held-out snapshot years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedBacktest {
    /// Need.
    pub need: Need,
    /// `(year, observed, projected)`.
    pub years: Vec<(i32, f64, f64)>,
    /// Mean absolute percentage error (years with an observed count above 0).
    pub mape: Option<f64>,
}

/// The whole snapshot projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotProjection {
    /// The method (one sentence, [`METHOD`]).
    pub method: String,
    /// Snapshot years given.
    pub snapshot_years: Vec<i32>,
    /// The rates used for the projection (all years).
    pub model: TransitionModel,
    /// Last snapshot year and every projected year.
    pub cells: Vec<SnapshotCell>,
    /// Held-out years of the backtest (empty with fewer than four snapshot years).
    pub backtest_years: Vec<i32>,
    /// Per need.
    pub backtest: Vec<NeedBacktest>,
}

fn cells_of(stock: &Stock, year: i32, primary_max: u8, exact: bool) -> Vec<SnapshotCell> {
    let mut agg: BTreeMap<(Need, String, Phase), f64> = BTreeMap::new();
    for ((n, s, a), v) in stock {
        *agg.entry((*n, s.clone(), Phase::of_age(*a, primary_max)))
            .or_default() += v;
    }
    agg.into_iter()
        .map(|((need, setting, phase), c)| SnapshotCell {
            year,
            need,
            setting,
            phase,
            pupils: if exact || c <= 0.0 {
                Interval::exact(c)
            } else {
                Interval::around(c, 1.0 / c.sqrt(), usize::MAX)
            },
        })
        .collect()
}

fn need_totals(stock: &Stock) -> BTreeMap<Need, f64> {
    let mut t = BTreeMap::new();
    for ((n, _, _), v) in stock {
        *t.entry(*n).or_default() += v;
    }
    t
}

/// Estimates on every snapshot pair and projects `years` years from the last snapshot, with
/// the per-need backtest.
///
/// # Errors
/// Fewer than two consecutive snapshot years.
pub fn project_snapshots(
    records: &[SnapshotRecord],
    years: u32,
    primary_max: u8,
) -> Result<SnapshotProjection, String> {
    let snapshot_years: Vec<i32> = records
        .iter()
        .map(|r| r.year)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (Some(&first), Some(&last)) = (snapshot_years.first(), snapshot_years.last()) else {
        return Err("no snapshot rows".into());
    };
    let model = estimate(records, first, last, primary_max)?;
    let mut stock = stock_of(records, last);
    let mut cells = cells_of(&stock, last, primary_max, true);
    for h in 1..=years as i32 {
        stock = step(&model, &stock, primary_max);
        cells.extend(cells_of(&stock, last + h, primary_max, false));
    }
    let (backtest_years, backtest) = backtest(records, &snapshot_years, primary_max)?;
    Ok(SnapshotProjection {
        method: METHOD.into(),
        snapshot_years,
        model,
        cells,
        backtest_years,
        backtest,
    })
}

fn backtest(
    records: &[SnapshotRecord],
    years: &[i32],
    primary_max: u8,
) -> Result<(Vec<i32>, Vec<NeedBacktest>), String> {
    if years.len() < 4 {
        return Ok((Vec::new(), Vec::new()));
    }
    let hold = ((years.len() - 1) / 2).clamp(1, 2);
    let fit_last = years[years.len() - 1 - hold];
    let first = years[0];
    let model = estimate(records, first, fit_last, primary_max)?;
    let held: Vec<i32> = years[years.len() - hold..].to_vec();
    let mut stock = stock_of(records, fit_last);
    let mut projected: BTreeMap<i32, BTreeMap<Need, f64>> = BTreeMap::new();
    for &y in &held {
        for _ in 0..(y - fit_last - projected.len() as i32) {
            stock = step(&model, &stock, primary_max);
        }
        projected.insert(y, need_totals(&stock));
    }
    let observed: BTreeMap<i32, BTreeMap<Need, f64>> = held
        .iter()
        .map(|&y| (y, need_totals(&stock_of(records, y))))
        .collect();
    let rows = Need::ALL
        .iter()
        .map(|&need| {
            let ys: Vec<(i32, f64, f64)> = held
                .iter()
                .map(|y| {
                    let o = observed[y].get(&need).copied().unwrap_or(0.0);
                    let p = projected[y].get(&need).copied().unwrap_or(0.0);
                    (*y, o, p)
                })
                .collect();
            let errs: Vec<f64> = ys
                .iter()
                .filter(|(_, o, _)| *o > 0.0)
                .map(|(_, o, p)| (p - o).abs() / o * 100.0)
                .collect();
            NeedBacktest {
                need,
                years: ys,
                mape: (!errs.is_empty()).then(|| errs.iter().sum::<f64>() / errs.len() as f64),
            }
        })
        .collect();
    Ok((held, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(year: i32, id: &str, age: u8, need: Need, setting: &str) -> SnapshotRecord {
        SnapshotRecord {
            year,
            id: id.into(),
            age,
            need,
            setting: setting.into(),
        }
    }

    #[test]
    fn stayers_leavers_and_joiners_give_the_rates() {
        let r = vec![
            rec(2023, "a", 6, Need::Asd, "mainstream"),
            rec(2023, "b", 6, Need::Asd, "mainstream"),
            rec(2023, "c", 7, Need::Asd, "mainstream"),
            rec(2023, "d", 7, Need::Semh, "special_school"),
            rec(2024, "a", 7, Need::Asd, "mainstream"),
            rec(2024, "b", 7, Need::Asd, "special_school"),
            rec(2024, "d", 8, Need::Semh, "special_school"),
            rec(2024, "e", 4, Need::Slcn, "mainstream"),
        ];
        let m = estimate(&r, 2023, 2024, 10).unwrap();
        assert_eq!(m.counted, (3, 1, 1));
        // Band 5..=10: 4 held, 1 left.
        assert!((m.leave_by_age[6] - 0.25).abs() < 1e-12);
        assert_eq!(m.leave_by_age[25], 1.0);
        // ASD mainstream primary: 1 stayed, 1 moved, plus the stay prior: 2/3 and 1/3.
        let (_, dest) = m
            .moves
            .iter()
            .find(|(k, _)| *k == (Need::Asd, "mainstream".to_string(), Phase::Primary))
            .unwrap();
        let p = |s: &str| dest.iter().find(|d| d.1 == s).map_or(0.0, |d| d.2);
        assert!((p("mainstream") - 2.0 / 3.0).abs() < 1e-12);
        assert!((p("special_school") - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.joiners, vec![(2024, 1)]);
        assert!(estimate(&r[..4], 2023, 2023, 10).is_err());
    }

    #[test]
    fn a_steady_cohort_is_projected_steady_and_backtests_exactly() {
        // Every year: 10 pupils aged 4 join, nobody leaves before 8, all leave at 8.
        let mut r = Vec::new();
        for y in 2018..=2024 {
            for age in 4..=8u8 {
                for i in 0..10 {
                    let born = y - i32::from(age);
                    r.push(rec(y, &format!("{born}-{i}"), age, Need::Asd, "mainstream"));
                }
            }
        }
        let p = project_snapshots(&r, 3, 10).unwrap();
        let total = |y: i32| -> f64 {
            p.cells
                .iter()
                .filter(|c| c.year == y)
                .map(|c| c.pupils.central)
                .sum()
        };
        assert_eq!(total(2024), 50.0);
        // Leaving is banded (5..=10 pools ages 5-8: 10 of 40 leave), so the steady state is
        // kept in total though not exactly by age.
        assert!((total(2025) - 50.0).abs() < 1e-9, "{}", total(2025));
        assert_eq!(p.backtest_years, vec![2023, 2024]);
        let asd = p.backtest.iter().find(|b| b.need == Need::Asd).unwrap();
        assert!(asd.mape.unwrap() < 1e-9, "{:?}", asd);
    }
}
