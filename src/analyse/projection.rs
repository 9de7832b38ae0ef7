//! Ten-year projection of EHC plans by primary need × phase (and SEND area), from the
//! authority's published SEN2 series. No I/O; must not import `crate::load`, `crate::output`
//! or `crate::serve`.
//!
//! **Method** (the one [`METHOD`] names):
//! 1. *Total plans*: a log-linear trend with damped growth ([`Trend`]). Ordinary least squares
//!    of `ln y` on the year over the published years gives the growth `b` (the slope) and the
//!    residual standard error `σ` (`n − 2` degrees of freedom). The projection starts from
//!    the last published count `y_T` and grows at `b`, damped by `φ` each year (`φ = 1`: the
//!    plain trend): `ŷ_{T+h} = y_T·exp(b·S_h)`, `S_h = Σ_{j=1..h} φ^j`, the median. Under the
//!    fitted model (`ln y_t = a + b·t + ε_t`) its log error is `(b − b̂)·S_h + ε_{T+h} − ε_T`,
//!    so the 80% and 95% prediction intervals are `ŷ·exp(±t_q·s)` with
//!    `s = σ·√(2 + S_h²/Sxx)`, `Sxx = Σ(t − t̄)²`, `t_q` Student's t with `n − 2` degrees of
//!    freedom.
//! 2. *Need × age*: an age roll-forward of the current cohort. The published 2024/25 plans by
//!    need and age are aged one year each year. A plan at age `a` ceases with probability
//!    `q(a)`: the SEN2 plans ceased in the latest calendar year at that age (in bands, below)
//!    divided by the plans of that age at the January before. Every plan ceases after age
//!    25. The new plans of a year arrive in the need × age mix of the latest SEN2 new plans.
//!    Their number is what brings the total to the trend: `new = max(0, trend − survivors)`;
//!    when the survivors alone exceed the trend there are no new plans and the survivors are
//!    scaled to the trend (the year is flagged).
//! 3. *Intervals of a part* (a need, a need × phase, an area) of central count `c`: the
//!    total's log-scale spread `s` plus Poisson variation of the part, `√(s² + 1/c)`.
//! 4. *Areas*: each need × phase is shared over the areas of a layer in proportion to
//!    today's pupils (placed or not) of that need and phase living there (the need's share
//!    when the need × phase has no pupils, the overall share when the need has none). With
//!    council growth factors `g` per area, the weights become `share·g^h`, renormalised, so
//!    the authority's projection is kept and only its spread over areas changes.
//!
//! **Backtest**: the trend is fitted on the years up to [`BACKTEST_FIT_LAST_YEAR`] and
//! projects the later published years; the absolute percentage errors and their mean (MAPE)
//! are reported for the total and for each placement group. SEN2 publishes primary need for
//! all plans only for 2024/25, so no per-need backtest can be computed from it; a need is
//! called unreliable when the total's backtest MAPE exceeds [`RELIABLE_MAPE`] or fewer than
//! [`RELIABLE_MIN_PLANS`] plans have it today.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::phase::Phase;
use crate::model::sen2::Sen2Series;
use crate::model::Need;

/// One sentence naming the method, written in every output.
pub const METHOD: &str = "log-linear trend of all EHC plans with damped growth (OLS growth of ln \
plans, from the last published count, growth damped by phi a year, Student-t prediction \
intervals), distributed over need x age by \
an age roll-forward of the 2024/25 cohort (SEN2 ceasing rates by age, new plans in the SEN2 \
need x age mix, their number closing the gap to the trend)";

/// Default projection horizon, years.
pub const DEFAULT_YEARS: u32 = 10;
/// Longest projection horizon, years.
pub const MAX_YEARS: u32 = 15;
/// Default damping of growth a year (`φ`).
pub const DEFAULT_DAMPING: f64 = 0.9;
/// The backtest fits on the years up to this one (2021 = 2021/22) and projects the rest.
pub const BACKTEST_FIT_LAST_YEAR: i32 = 2021;
/// A backtest MAPE above this (percent) marks a series unreliable.
pub const RELIABLE_MAPE: f64 = 10.0;
/// A need with fewer plans than this today is unreliable (its share alone varies by more
/// than 10%).
pub const RELIABLE_MIN_PLANS: f64 = 100.0;
/// Oldest age with an EHC plan.
const MAX_AGE: usize = 25;
/// Ceasing-rate age bands (inclusive): rates are pooled within a band, where single ages
/// are too few (also the leaving bands of [`crate::analyse::transitions`]).
pub const AGE_BANDS: [(u8, u8); 8] = [
    (0, 4),
    (5, 10),
    (11, 15),
    (16, 16),
    (17, 17),
    (18, 18),
    (19, 19),
    (20, 25),
];

/// Why a projection could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectionError {
    /// A setting is out of range.
    #[error("`{field}`: {message}")]
    Setting {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The published series cannot support the projection.
    #[error("SEN2 series for {authority}: {message}")]
    Series {
        /// Authority code.
        authority: String,
        /// What is missing.
        message: String,
    },
}

/// Settings of [`project`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProjectionConfig {
    /// Years projected beyond the last published year (1..=15).
    pub years: u32,
    /// Growth damping `φ` a year (0 < φ ≤ 1).
    pub damping: f64,
    /// Oldest primary age (the scenario's `analysis.primary_max_age`).
    pub primary_max_age: u8,
}

impl Default for ProjectionConfig {
    fn default() -> Self {
        ProjectionConfig {
            years: DEFAULT_YEARS,
            damping: DEFAULT_DAMPING,
            primary_max_age: crate::model::phase::PRIMARY_MAX_AGE,
        }
    }
}

impl ProjectionConfig {
    /// Check the settings.
    ///
    /// # Errors
    /// [`ProjectionError::Setting`] naming the setting.
    pub fn validate(&self) -> Result<(), ProjectionError> {
        if !(1..=MAX_YEARS).contains(&self.years) {
            return Err(ProjectionError::Setting {
                field: "years",
                message: format!("{} is not in 1..={MAX_YEARS}", self.years),
            });
        }
        if !(self.damping > 0.0 && self.damping <= 1.0) {
            return Err(ProjectionError::Setting {
                field: "damping",
                message: format!("{} is not in (0, 1]", self.damping),
            });
        }
        Ok(())
    }
}

/// A projected count: the median and its 80% and 95% prediction intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Median.
    pub central: f64,
    /// 80% interval, lower end.
    pub lo80: f64,
    /// 80% interval, upper end.
    pub hi80: f64,
    /// 95% interval, lower end.
    pub lo95: f64,
    /// 95% interval, upper end.
    pub hi95: f64,
    /// Log-scale standard error the interval is built from.
    pub log_sd: f64,
}

impl Interval {
    /// A published (exact) count.
    pub fn exact(v: f64) -> Interval {
        Interval {
            central: v,
            lo80: v,
            hi80: v,
            lo95: v,
            hi95: v,
            log_sd: 0.0,
        }
    }

    /// The interval of median `central` with log-scale error `log_sd` and `df` degrees of
    /// freedom.
    pub fn around(central: f64, log_sd: f64, df: usize) -> Interval {
        let (t80, t95) = (t_quantile(df, 0.90), t_quantile(df, 0.975));
        Interval {
            central,
            lo80: central * (-t80 * log_sd).exp(),
            hi80: central * (t80 * log_sd).exp(),
            lo95: central * (-t95 * log_sd).exp(),
            hi95: central * (t95 * log_sd).exp(),
            log_sd,
        }
    }
}

/// Student's t quantiles for 1..=30 degrees of freedom: 0.90 and 0.975.
const T90: [f64; 30] = [
    3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372, 1.363, 1.356, 1.350,
    1.345, 1.341, 1.337, 1.333, 1.330, 1.328, 1.325, 1.323, 1.321, 1.319, 1.318, 1.316, 1.315,
    1.314, 1.313, 1.311, 1.310,
];
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// Student's t quantile `q` (0.90 or 0.975) with `df` degrees of freedom (the normal
/// quantile beyond 30; `df` 0 is treated as 1).
pub fn t_quantile(df: usize, q: f64) -> f64 {
    let (table, normal) = if q >= 0.95 {
        (&T975, 1.959_964)
    } else {
        (&T90, 1.281_552)
    };
    match df {
        0 => table[0],
        d if d <= 30 => table[d - 1],
        _ => normal,
    }
}

/// A fitted log-linear trend with damped growth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// First fitted year (time 0).
    pub first_year: i32,
    /// Last fitted year.
    pub last_year: i32,
    /// Points fitted.
    pub n: usize,
    /// `a`: ln plans at the first year on the line.
    pub intercept: f64,
    /// `b`: growth of ln plans a year (≈ the annual growth rate).
    pub slope: f64,
    /// Residual standard error of ln plans (`n − 2` degrees of freedom).
    pub sigma: f64,
    /// Mean fitted time.
    pub x_mean: f64,
    /// Σ(x − x̄)².
    pub sxx: f64,
    /// Damping `φ` a year.
    pub damping: f64,
    /// The published count of the last fitted year, where the projection starts.
    pub last_value: f64,
}

impl Trend {
    /// Fits `points` (`(year, count)`, distinct years, counts > 0, at least 3).
    ///
    /// # Errors
    /// A message when there are too few points or a count is not positive.
    pub fn fit(points: &[(i32, f64)], damping: f64) -> Result<Trend, String> {
        if points.len() < 3 {
            return Err(format!(
                "{} published years; the trend needs at least 3",
                points.len()
            ));
        }
        if let Some((y, v)) = points.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("{y}: count {v} is not positive"));
        }
        let first = points.iter().map(|p| p.0).min().unwrap_or(0);
        let (last, last_value) = points
            .iter()
            .copied()
            .max_by_key(|p| p.0)
            .unwrap_or((0, 0.0));
        let xs: Vec<f64> = points.iter().map(|p| f64::from(p.0 - first)).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.1.ln()).collect();
        let n = points.len() as f64;
        let x_mean = xs.iter().sum::<f64>() / n;
        let y_mean = ys.iter().sum::<f64>() / n;
        let sxx: f64 = xs.iter().map(|x| (x - x_mean).powi(2)).sum();
        let sxy: f64 = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (x - x_mean) * (y - y_mean))
            .sum();
        if sxx <= 0.0 {
            return Err("the published years are all the same".into());
        }
        let slope = sxy / sxx;
        let intercept = y_mean - slope * x_mean;
        let ssr: f64 = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (y - intercept - slope * x).powi(2))
            .sum();
        Ok(Trend {
            first_year: first,
            last_year: last,
            n: points.len(),
            intercept,
            slope,
            sigma: (ssr / (n - 2.0)).sqrt(),
            x_mean,
            sxx,
            damping,
            last_value,
        })
    }

    /// Damped years of growth to `last_year + h`: `S_h = Σ_{j=1..h} φ^j`.
    pub fn damped_years(&self, h: u32) -> f64 {
        (1..=h).map(|j| self.damping.powi(j as i32)).sum()
    }

    /// The trend line's value at the last fitted year, `exp(a + b·x_T)`.
    pub fn line_at_last(&self) -> f64 {
        (self.intercept + self.slope * f64::from(self.last_year - self.first_year)).exp()
    }

    /// The projection for `year` (after the last fitted year).
    pub fn at_year(&self, year: i32) -> Interval {
        let h = u32::try_from(year - self.last_year).unwrap_or(0);
        self.at(h)
    }

    /// The projection `h` years after the last fitted year (`h = 0`: the published count).
    pub fn at(&self, h: u32) -> Interval {
        if h == 0 {
            return Interval::exact(self.last_value);
        }
        let s_h = self.damped_years(h);
        let central = self.last_value * (self.slope * s_h).exp();
        let s = self.sigma * (2.0 + s_h.powi(2) / self.sxx).sqrt();
        Interval::around(central, s, self.n.saturating_sub(2))
    }

    /// The growth a year the trend gives `h` years ahead, as a fraction (`e^{bφ^h} − 1`).
    pub fn growth_at(&self, h: u32) -> f64 {
        (self.slope * self.damping.powi(h as i32)).exp() - 1.0
    }
}

/// One year of a backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestYear {
    /// Year (2022 = 2022/23).
    pub year: i32,
    /// Published count.
    pub published: f64,
    /// Projected median.
    pub projected: Interval,
    /// |projected − published| / published × 100.
    pub ape: f64,
    /// True when the published count lies in the 95% interval.
    pub within_95: bool,
}

/// The backtest of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Series (`plans`, `plans_group.special`, ...).
    pub series: String,
    /// Fitted years, first and last.
    pub fit_years: (i32, i32),
    /// Projected years against the published counts.
    pub years: Vec<BacktestYear>,
    /// Mean absolute percentage error over `years`.
    pub mape: f64,
    /// MAPE at most [`RELIABLE_MAPE`].
    pub reliable: bool,
}

/// Fits `points` up to `fit_last_year` and projects the later ones. `None` when fewer than
/// 3 years are fitted or none is left to test (or a count is not positive).
pub fn backtest(
    series: &str,
    points: &[(i32, f64)],
    fit_last_year: i32,
    damping: f64,
) -> Option<Backtest> {
    let fit: Vec<(i32, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0 <= fit_last_year)
        .collect();
    let test: Vec<(i32, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0 > fit_last_year && p.1 > 0.0)
        .collect();
    if test.is_empty() {
        return None;
    }
    let trend = Trend::fit(&fit, damping).ok()?;
    let years: Vec<BacktestYear> = test
        .iter()
        .map(|&(year, published)| {
            let projected = trend.at_year(year);
            BacktestYear {
                year,
                published,
                projected,
                ape: (projected.central - published).abs() / published * 100.0,
                within_95: (projected.lo95..=projected.hi95).contains(&published),
            }
        })
        .collect();
    let mape = years.iter().map(|y| y.ape).sum::<f64>() / years.len() as f64;
    Some(Backtest {
        series: series.to_string(),
        fit_years: (trend.first_year, trend.last_year),
        years,
        mape,
        reliable: mape <= RELIABLE_MAPE,
    })
}

/// Plans by need × age (0..=25).
type Grid = [[f64; MAX_AGE + 1]; 12];

fn need_index(n: Need) -> usize {
    Need::ALL.iter().position(|&m| m == n).unwrap_or(0)
}

/// The published plans of `year` by need and age (`plans_need_age.*`); zero where absent.
fn need_age_grid(s: &Sen2Series, prefix: &str, year: i32) -> Grid {
    let mut g = [[0.0; MAX_AGE + 1]; 12];
    for ((m, y), v) in &s.values {
        if *y != year {
            continue;
        }
        let Some(rest) = m.strip_prefix(prefix) else {
            continue;
        };
        let Some((need, age)) = rest.split_once('.') else {
            continue;
        };
        let (Ok(need), Ok(age)) = (need.parse::<Need>(), age.parse::<usize>()) else {
            continue;
        };
        if age <= MAX_AGE {
            g[need_index(need)][age] += v;
        }
    }
    g
}

fn grid_total(g: &Grid) -> f64 {
    g.iter().flatten().sum()
}

/// Ceasing probability a year by age (index 0..=25), from `ceased_age.*` of the latest
/// flow year over `plans_age.*` of the January before, pooled in [`AGE_BANDS`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeaseRates {
    /// Calendar year of the ceased plans used.
    pub ceased_year: i32,
    /// Year of the plans by age they are divided by.
    pub plans_year: i32,
    /// Probability a plan held at each age ceases within the year (age 25: 1).
    pub by_age: Vec<f64>,
}

fn cease_rates(s: &Sen2Series) -> Result<CeaseRates, String> {
    let ceased_year = s
        .latest_year("ceased_age.")
        .ok_or("no ceased plans by age (ceased_age.*)")?;
    let plans_year = [ceased_year - 1, ceased_year]
        .into_iter()
        .find(|&y| (0..=MAX_AGE).any(|a| s.get(&format!("plans_age.{a}"), y).is_some()))
        .ok_or("no plans by age (plans_age.*) for the ceasing year")?;
    let mut by_age = vec![0.0; MAX_AGE + 1];
    for (lo, hi) in AGE_BANDS {
        let ceased: f64 = (lo..=hi)
            .filter_map(|a| s.get(&format!("ceased_age.{a}"), ceased_year))
            .sum();
        let held: f64 = (lo..=hi)
            .filter_map(|a| s.get(&format!("plans_age.{a}"), plans_year))
            .sum();
        let q = if held > 0.0 {
            (ceased / held).clamp(0.0, 1.0)
        } else {
            0.0
        };
        for a in lo..=hi {
            by_age[usize::from(a)] = q;
        }
    }
    by_age[MAX_AGE] = 1.0;
    Ok(CeaseRates {
        ceased_year,
        plans_year,
        by_age,
    })
}

/// One projected year of all plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalYear {
    /// Year (2025 = 2025/26).
    pub year: i32,
    /// All plans.
    pub plans: Interval,
    /// Plans carried from the year before (after ceasing).
    pub survivors: f64,
    /// New plans the roll-forward adds.
    pub new_plans: f64,
    /// Plans ceasing during the year.
    pub ceasing: f64,
    /// True when the survivors alone exceeded the trend (no new plans; survivors scaled).
    pub scaled: bool,
}

/// One projected need × phase × year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Year.
    pub year: i32,
    /// Primary need.
    pub need: Need,
    /// Phase of the age at 31 August.
    pub phase: Phase,
    /// Plans.
    pub plans: Interval,
}

/// How far a need's projection can be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedReliability {
    /// The need.
    pub need: Need,
    /// Plans of the need today.
    pub plans_now: f64,
    /// Reliable by the rule in the module doc.
    pub reliable: bool,
    /// Why (one sentence).
    pub reason: String,
}

/// The whole projection of one authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// Authority code.
    pub authority: String,
    /// The method (one sentence, [`METHOD`]).
    pub method: String,
    /// Settings.
    pub config: ProjectionConfig,
    /// Last published year (the base of the roll-forward).
    pub base_year: i32,
    /// Published plans, every year.
    pub history: Vec<(i32, f64)>,
    /// The trend fitted on every published year.
    pub trend: Trend,
    /// Ceasing rates used.
    pub cease: CeaseRates,
    /// Year of the new-plan need × age mix.
    pub new_mix_year: i32,
    /// New plans published in that year.
    pub new_plans_published: Option<f64>,
    /// Base year and every projected year.
    pub totals: Vec<TotalYear>,
    /// Need × phase for the base year and every projected year.
    pub cells: Vec<Cell>,
    /// Backtests: all plans, then each placement group.
    pub backtests: Vec<Backtest>,
    /// Per need.
    pub reliability: Vec<NeedReliability>,
    /// Caveats, one sentence each.
    pub notes: Vec<String>,
}

impl Projection {
    /// Plans of `need` (all phases) in `year`, with the interval of the part.
    pub fn need_total(&self, need: Need, year: i32) -> Option<Interval> {
        let c: f64 = self
            .cells
            .iter()
            .filter(|c| c.need == need && c.year == year)
            .map(|c| c.plans.central)
            .sum();
        self.part(year, c)
    }

    /// Plans of `need` in `phase` in `year`.
    pub fn cell(&self, need: Need, phase: Phase, year: i32) -> Option<Interval> {
        self.cells
            .iter()
            .find(|c| c.need == need && c.phase == phase && c.year == year)
            .map(|c| c.plans)
    }

    /// The interval of a part of central count `central` of `year`'s total.
    pub fn part(&self, year: i32, central: f64) -> Option<Interval> {
        let total = self.totals.iter().find(|t| t.year == year)?;
        Some(part_interval(
            central,
            total.plans.log_sd,
            self.trend.n.saturating_sub(2),
        ))
    }

    /// Growth of `need` in `phase` from the base year to `year` (projected / now), or of the
    /// need when the cell is empty today, or of all plans when the need is.
    pub fn growth(&self, need: Need, phase: Phase, year: i32) -> f64 {
        let ratio = |now: f64, then: f64| (now > 0.0).then(|| then / now);
        let cell = |y| self.cell(need, phase, y).map_or(0.0, |i| i.central);
        let need_c = |y| self.need_total(need, y).map_or(0.0, |i| i.central);
        let all = |y: i32| {
            self.totals
                .iter()
                .find(|t| t.year == y)
                .map_or(0.0, |t| t.plans.central)
        };
        ratio(cell(self.base_year), cell(year))
            .or_else(|| ratio(need_c(self.base_year), need_c(year)))
            .or_else(|| ratio(all(self.base_year), all(year)))
            .unwrap_or(1.0)
    }
}

fn part_interval(central: f64, total_sd: f64, df: usize) -> Interval {
    if total_sd == 0.0 && central > 0.0 {
        // A published (base-year) count is exact.
        return Interval::exact(central);
    }
    let poisson = if central > 0.0 { 1.0 / central } else { 0.0 };
    Interval::around(central, (total_sd.powi(2) + poisson).sqrt(), df)
}

/// Projects `series` `config.years` years ahead.
///
/// # Errors
/// A setting out of range, or a series without the plans total (3+ years), the plans by need
/// and age, or the ceased plans by age.
pub fn project(
    series: &Sen2Series,
    config: &ProjectionConfig,
) -> Result<Projection, ProjectionError> {
    config.validate()?;
    let err = |message: String| ProjectionError::Series {
        authority: series.authority.clone(),
        message,
    };
    let history = series.series("plans");
    let trend = Trend::fit(&history, config.damping).map_err(|m| err(format!("plans: {m}")))?;
    let base_year = series
        .latest_year("plans_need_age.")
        .ok_or_else(|| err("no plans by need and age (plans_need_age.*)".into()))?;
    let mut stock = need_age_grid(series, "plans_need_age.", base_year);
    let published_base = series.get("plans", base_year).unwrap_or(0.0);
    let cease = cease_rates(series).map_err(|m| err(m.to_string()))?;
    let new_mix_year = series
        .latest_year("new_need_age.")
        .ok_or_else(|| err("no new plans by need and age (new_need_age.*)".into()))?;
    let mut mix = need_age_grid(series, "new_need_age.", new_mix_year);
    let mix_total = grid_total(&mix);
    if mix_total <= 0.0 {
        return Err(err("new plans by need and age are all zero".into()));
    }
    mix.iter_mut().flatten().for_each(|v| *v /= mix_total);
    let mut notes = vec![
        "SEN2 publishes primary need for all plans only for 2024/25 (sen_needs_all_plans), so \
         the need mix moves only through ageing, ceasing and the mix of new plans; no per-need \
         backtest is possible from SEN2."
            .to_string(),
    ];
    let grid_base = grid_total(&stock);
    if published_base > 0.0 && (grid_base - published_base).abs() > 0.5 {
        notes.push(format!(
            "Plans by need and age sum to {grid_base:.0} against {published_base:.0} published \
             (suppressed cells); the base year is scaled to the published total."
        ));
        let f = published_base / grid_base.max(1.0);
        stock.iter_mut().flatten().for_each(|v| *v *= f);
    }
    let line = trend.line_at_last();
    let off = trend.last_value / line - 1.0;
    if off.abs() > 2.0 * trend.sigma {
        notes.push(format!(
            "The {} count ({:.0}) is {:.1}% {} the fitted trend line ({line:.0}): more than twice \
             the residual error. The projection starts from the published count.",
            trend.last_year,
            trend.last_value,
            off.abs() * 100.0,
            if off > 0.0 { "above" } else { "below" }
        ));
    }
    let df = trend.n.saturating_sub(2);
    let mut totals = vec![TotalYear {
        year: base_year,
        plans: Interval::exact(grid_total(&stock)),
        survivors: 0.0,
        new_plans: 0.0,
        ceasing: 0.0,
        scaled: false,
    }];
    let mut cells = phase_cells(&stock, base_year, config.primary_max_age, 0.0, df);
    for h in 1..=config.years {
        let year = base_year + h as i32;
        let target = trend.at_year(year);
        let (next, total) = roll_forward(&stock, &cease.by_age, &mix, target.central);
        cells.extend(phase_cells(
            &next,
            year,
            config.primary_max_age,
            target.log_sd,
            df,
        ));
        totals.push(TotalYear {
            year,
            plans: Interval {
                central: grid_total(&next),
                ..target
            },
            ..total
        });
        stock = next;
    }
    if totals.iter().any(|t| t.scaled) {
        notes.push(
            "In some years the plans carried forward exceeded the trend: no new plans were \
             added and the carried plans were scaled to the trend (flagged `scaled`)."
                .into(),
        );
    }
    let backtests = backtests(series, config.damping);
    let total_reliable = backtests.first().is_some_and(|b| b.reliable);
    let reliability = reliability(&cells, base_year, total_reliable, backtests.first());
    Ok(Projection {
        authority: series.authority.clone(),
        method: METHOD.into(),
        config: *config,
        base_year,
        history,
        trend,
        cease,
        new_mix_year,
        new_plans_published: series.get("new_plans", new_mix_year),
        totals,
        cells,
        backtests,
        reliability,
        notes,
    })
}

/// One year of the roll-forward: age, cease, add new plans to reach `target`.
fn roll_forward(stock: &Grid, q: &[f64], mix: &Grid, target: f64) -> (Grid, TotalYear) {
    let mut next = [[0.0; MAX_AGE + 1]; 12];
    let mut ceasing = 0.0;
    for (n, ages) in stock.iter().enumerate() {
        for (a, &v) in ages.iter().enumerate() {
            let rate = q.get(a).copied().unwrap_or(1.0);
            ceasing += v * rate;
            if a < MAX_AGE {
                next[n][a + 1] += v * (1.0 - rate);
            }
        }
    }
    let survivors = grid_total(&next);
    let scaled = survivors > target;
    let new_plans = (target - survivors).max(0.0);
    if scaled && survivors > 0.0 {
        let f = target / survivors;
        next.iter_mut().flatten().for_each(|v| *v *= f);
    }
    for (row, mix_row) in next.iter_mut().zip(mix) {
        for (v, m) in row.iter_mut().zip(mix_row) {
            *v += new_plans * m;
        }
    }
    let year = TotalYear {
        year: 0,
        plans: Interval::exact(0.0),
        survivors,
        new_plans,
        ceasing,
        scaled,
    };
    (next, year)
}

fn phase_cells(stock: &Grid, year: i32, primary_max: u8, sd: f64, df: usize) -> Vec<Cell> {
    let mut out = Vec::new();
    for (n, &need) in Need::ALL.iter().enumerate() {
        for phase in Phase::ALL {
            let c: f64 = (0..=MAX_AGE)
                .filter(|&a| Phase::of_age(a as u8, primary_max) == phase)
                .map(|a| stock[n][a])
                .sum();
            let plans = if sd == 0.0 {
                Interval::exact(c)
            } else {
                part_interval(c, sd, df)
            };
            out.push(Cell {
                year,
                need,
                phase,
                plans,
            });
        }
    }
    out
}

fn backtests(series: &Sen2Series, damping: f64) -> Vec<Backtest> {
    let mut names = vec!["plans".to_string()];
    names.extend(
        crate::model::sen2::PlacementGroup::ALL
            .iter()
            .map(|g| format!("plans_group.{}", g.as_str())),
    );
    names
        .iter()
        .filter_map(|m| backtest(m, &series.series(m), BACKTEST_FIT_LAST_YEAR, damping))
        .collect()
}

fn reliability(
    cells: &[Cell],
    base_year: i32,
    total_reliable: bool,
    total: Option<&Backtest>,
) -> Vec<NeedReliability> {
    Need::ALL
        .iter()
        .map(|&need| {
            let now: f64 = cells
                .iter()
                .filter(|c| c.need == need && c.year == base_year)
                .map(|c| c.plans.central)
                .sum();
            let small = now < RELIABLE_MIN_PLANS;
            let reason = match (total_reliable, small) {
                (true, false) => format!(
                    "{now:.0} plans today and the total's backtest MAPE is {:.1}%",
                    total.map_or(0.0, |b| b.mape)
                ),
                (_, true) => format!(
                    "only {now:.0} plans today (fewer than {RELIABLE_MIN_PLANS:.0}): its share \
                     alone varies by more than 10%"
                ),
                (false, false) => match total {
                    Some(b) => format!(
                        "the total's backtest MAPE is {:.1}% (above {RELIABLE_MAPE:.0}%)",
                        b.mape
                    ),
                    None => "the total could not be backtested".into(),
                },
            };
            NeedReliability {
                need,
                plans_now: now,
                reliable: total_reliable && !small,
                reason,
            }
        })
        .collect()
}

/// Today's share of each area of one layer, per need × phase (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaShares {
    /// Layer id.
    pub layer: String,
    /// `(id, name)` of each area.
    pub areas: Vec<(String, String)>,
    /// Pupils (placed or not) by need × phase × area.
    pub pupils: BTreeMap<(Need, Phase), Vec<usize>>,
    /// Pupils in no area of the layer (not apportioned).
    pub outside: usize,
}

impl AreaShares {
    /// Every area layer of `scenario`, counted from its pupils, placed or not (their homes
    /// located with [`crate::analyse::layer_indexes`]).
    pub fn of_scenario(scenario: &crate::model::scenario::Scenario) -> Vec<AreaShares> {
        let pmax = scenario.config.analysis.primary_max_age;
        crate::analyse::layer_indexes(scenario)
            .into_iter()
            .map(|layer| {
                let placed = scenario
                    .pupils
                    .iter()
                    .zip(&layer.pupil_area)
                    .map(|(p, a)| (p.need, p.age, *a));
                let unplaced = scenario
                    .unplaced
                    .iter()
                    .zip(&layer.unplaced_area)
                    .map(|(p, a)| (p.need, p.age, *a));
                AreaShares::count(
                    &layer.layer,
                    layer.areas.clone(),
                    placed.chain(unplaced),
                    pmax,
                )
            })
            .collect()
    }

    /// Counts `pupils` (`(need, age, area index)`) into the layer's areas.
    pub fn count(
        layer: &str,
        areas: Vec<(String, String)>,
        pupils: impl IntoIterator<Item = (Need, u8, Option<usize>)>,
        primary_max: u8,
    ) -> AreaShares {
        let mut counts: BTreeMap<(Need, Phase), Vec<usize>> = BTreeMap::new();
        let mut outside = 0;
        for (need, age, area) in pupils {
            match area.filter(|&a| a < areas.len()) {
                Some(a) => {
                    let row = counts
                        .entry((need, Phase::of_age(age, primary_max)))
                        .or_insert_with(|| vec![0; areas.len()]);
                    row[a] += 1;
                }
                None => outside += 1,
            }
        }
        AreaShares {
            layer: layer.to_string(),
            areas,
            pupils: counts,
            outside,
        }
    }

    /// The share of each area for `need` × `phase` (falling back to the need, then to all
    /// pupils; equal shares when the layer has no pupils at all), and which basis was used.
    pub fn shares(&self, need: Need, phase: Phase) -> (Vec<f64>, &'static str) {
        let n = self.areas.len();
        let sum = |rows: &mut dyn Iterator<Item = &Vec<usize>>| {
            let mut acc = vec![0usize; n];
            for r in rows {
                for (a, v) in acc.iter_mut().zip(r) {
                    *a += v;
                }
            }
            acc
        };
        let candidates: [(&'static str, Vec<usize>); 3] = [
            (
                "need_phase",
                self.pupils.get(&(need, phase)).cloned().unwrap_or_default(),
            ),
            (
                "need",
                sum(&mut self
                    .pupils
                    .iter()
                    .filter(|((m, _), _)| *m == need)
                    .map(|(_, r)| r)),
            ),
            ("all", sum(&mut self.pupils.values())),
        ];
        for (basis, counts) in candidates {
            let total: usize = counts.iter().sum();
            if total > 0 {
                return (
                    counts.iter().map(|&c| c as f64 / total as f64).collect(),
                    basis,
                );
            }
        }
        (vec![1.0 / n.max(1) as f64; n], "equal")
    }
}

/// One projected area × need × phase × year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaCell {
    /// Layer id.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Area name.
    pub area_name: String,
    /// Year.
    pub year: i32,
    /// Need.
    pub need: Need,
    /// Phase.
    pub phase: Phase,
    /// Plans.
    pub plans: Interval,
    /// Share basis (`need_phase`, `need`, `all`, `equal`), with `+growth` when the council's
    /// growth factors applied.
    pub basis: String,
}

/// Shares every need × phase × year of `p` over the areas of `shares`, with the council's
/// annual growth factor per area id where given (absent areas: 1).
pub fn apportion(
    p: &Projection,
    shares: &AreaShares,
    growth: Option<&BTreeMap<String, f64>>,
) -> Vec<AreaCell> {
    let df = p.trend.n.saturating_sub(2);
    let mut out = Vec::new();
    for cell in &p.cells {
        let h = cell.year - p.base_year;
        let (mut w, basis) = shares.shares(cell.need, cell.phase);
        let mut basis = basis.to_string();
        if let Some(g) = growth {
            for (wi, (id, _)) in w.iter_mut().zip(&shares.areas) {
                *wi *= g.get(id).copied().unwrap_or(1.0).powi(h);
            }
            let s: f64 = w.iter().sum();
            if s > 0.0 {
                w.iter_mut().for_each(|x| *x /= s);
            }
            basis.push_str("+growth");
        }
        let sd = p
            .totals
            .iter()
            .find(|t| t.year == cell.year)
            .map_or(0.0, |t| t.plans.log_sd);
        for (wi, (id, name)) in w.iter().zip(&shares.areas) {
            let c = cell.plans.central * wi;
            let plans = if sd == 0.0 {
                Interval::exact(c)
            } else {
                part_interval(c, sd, df)
            };
            out.push(AreaCell {
                layer: shares.layer.clone(),
                area_id: id.clone(),
                area_name: name.clone(),
                year: cell.year,
                need: cell.need,
                phase: cell.phase,
                plans,
                basis: basis.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(&str, i32, f64)]) -> Sen2Series {
        Sen2Series {
            authority: "E00000001".into(),
            values: points
                .iter()
                .map(|(m, y, v)| ((m.to_string(), *y), *v))
                .collect(),
        }
    }

    #[test]
    fn an_exact_exponential_trend_is_recovered() {
        let pts: Vec<(i32, f64)> = (2018..=2024)
            .map(|y| (y, 1000.0 * 1.05f64.powi(y - 2018)))
            .collect();
        let t = Trend::fit(&pts, 1.0).unwrap();
        assert!((t.slope - 1.05f64.ln()).abs() < 1e-12);
        assert!(t.sigma < 1e-9);
        for h in 1..=10 {
            let want = 1000.0 * 1.05f64.powi(6 + h as i32);
            let got = t.at(h);
            assert!((got.central / want - 1.0).abs() < 1e-9, "h={h}");
            assert!((got.hi95 - got.lo95).abs() < 1e-6);
        }
    }

    #[test]
    fn damping_shrinks_growth_geometrically() {
        let pts: Vec<(i32, f64)> = (0..5).map(|i| (2020 + i, 100.0 * 1.1f64.powi(i))).collect();
        let t = Trend::fit(&pts, 0.5).unwrap();
        // S_3 = 0.5 + 0.25 + 0.125 damped years of growth from the last count.
        assert!((t.damped_years(3) - 0.875).abs() < 1e-12);
        let want = 100.0 * 1.1f64.powi(4) * 1.1f64.powf(0.875);
        assert!((t.at(3).central / want - 1.0).abs() < 1e-9);
        assert!((t.growth_at(0) - 0.1).abs() < 1e-9);
        assert!((t.growth_at(1) - (1.1f64.ln() * 0.5).exp_m1()).abs() < 1e-12);
    }

    #[test]
    fn intervals_widen_with_the_horizon_and_nest() {
        let pts = [
            (2018, 100.0),
            (2019, 112.0),
            (2020, 118.0),
            (2021, 135.0),
            (2022, 139.0),
        ];
        let t = Trend::fit(&pts, 0.9).unwrap();
        let (a, b) = (t.at(1), t.at(8));
        assert!(a.lo95 < a.lo80 && a.lo80 < a.central && a.central < a.hi80 && a.hi80 < a.hi95);
        assert!(b.hi95 - b.lo95 > a.hi95 - a.lo95);
        assert_eq!(t_quantile(3, 0.975), 3.182);
        assert_eq!(t_quantile(100, 0.90), 1.281_552);
    }

    #[test]
    fn backtest_error_is_the_mean_absolute_percentage_error() {
        let pts = [
            (2018, 100.0),
            (2019, 110.0),
            (2020, 121.0),
            (2021, 133.1),
            (2022, 150.0),
            (2023, 160.0),
        ];
        let b = backtest("plans", &pts, 2021, 1.0).unwrap();
        let t = Trend::fit(&pts[..4], 1.0).unwrap();
        let e22 = (t.at_year(2022).central - 150.0).abs() / 150.0 * 100.0;
        let e23 = (t.at_year(2023).central - 160.0).abs() / 160.0 * 100.0;
        assert!((b.mape - (e22 + e23) / 2.0).abs() < 1e-9);
        assert_eq!(b.fit_years, (2018, 2021));
        assert_eq!(b.years.len(), 2);
        assert!(backtest("plans", &pts[..4], 2021, 1.0).is_none());
    }

    fn toy_series() -> Sen2Series {
        let mut pts = vec![
            ("plans", 2020, 100.0),
            ("plans", 2021, 110.0),
            ("plans", 2022, 121.0),
            ("plans", 2023, 133.1),
            ("plans", 2024, 146.41),
            ("plans_need_age.ASD.5", 2024, 100.0),
            ("plans_need_age.SEMH.12", 2024, 46.41),
            ("new_need_age.ASD.4", 2024, 30.0),
            ("new_need_age.SLCN.4", 2024, 10.0),
            ("ceased_age.12", 2024, 0.0),
            ("plans_age.5", 2023, 90.0),
            ("plans_age.12", 2023, 40.0),
        ];
        pts.push(("ceased_age.5", 2024, 9.0));
        series(&pts)
    }

    #[test]
    fn the_cohort_ages_ceases_and_new_plans_close_the_gap_to_the_trend() {
        let s = toy_series();
        let cfg = ProjectionConfig {
            years: 3,
            damping: 1.0,
            primary_max_age: 10,
        };
        let p = project(&s, &cfg).unwrap();
        assert_eq!(p.base_year, 2024);
        // q(5..=10) = 9 / 90 = 0.1 (band 5..10 pooled; only age 5 held plans).
        assert!((p.cease.by_age[7] - 0.1).abs() < 1e-12);
        assert_eq!(p.cease.by_age[25], 1.0);
        let y1 = &p.totals[1];
        assert_eq!(y1.year, 2025);
        // Survivors: ASD 100 × 0.9 at 6, SEMH 46.41 × 1 at 13.
        assert!((y1.survivors - 136.41).abs() < 1e-9);
        assert!((y1.plans.central - 146.41 * 1.1).abs() < 1e-6);
        assert!((y1.new_plans - (146.41 * 1.1 - 136.41)).abs() < 1e-6);
        // New plans: 3/4 ASD, 1/4 SLCN, all aged 4 (primary).
        let slcn = p.cell(Need::Slcn, Phase::Primary, 2025).unwrap().central;
        assert!((slcn - y1.new_plans * 0.25).abs() < 1e-9);
        let semh = p.cell(Need::Semh, Phase::Secondary, 2025).unwrap().central;
        assert!((semh - 46.41).abs() < 1e-9);
        // The cells add up to the total every year.
        for t in &p.totals {
            let sum: f64 = p
                .cells
                .iter()
                .filter(|c| c.year == t.year)
                .map(|c| c.plans.central)
                .sum();
            assert!((sum - t.plans.central).abs() < 1e-6);
        }
        // The base year is published: exact.
        assert_eq!(p.cell(Need::Asd, Phase::Primary, 2024).unwrap().lo95, 100.0);
        assert!(p.reliability.iter().all(|r| !r.reliable));
    }

    #[test]
    fn survivors_above_the_trend_are_scaled_and_flagged() {
        let mut s = toy_series();
        for (y, v) in [
            (2020, 200.0),
            (2021, 180.0),
            (2022, 165.0),
            (2023, 150.0),
            (2024, 146.41),
        ] {
            s.values.insert(("plans".into(), y), v);
        }
        let p = project(
            &s,
            &ProjectionConfig {
                years: 2,
                damping: 1.0,
                primary_max_age: 10,
            },
        )
        .unwrap();
        assert!(p.totals[1].scaled);
        assert_eq!(p.totals[1].new_plans, 0.0);
        assert!(p.notes.iter().any(|n| n.contains("scaled")));
    }

    #[test]
    fn settings_and_missing_series_are_refused_by_name() {
        let s = toy_series();
        let cfg = ProjectionConfig {
            years: 16,
            ..ProjectionConfig::default()
        };
        assert!(project(&s, &cfg).unwrap_err().to_string().contains("years"));
        let mut t = s.clone();
        t.values.retain(|(m, _), _| !m.starts_with("ceased_age"));
        assert!(project(&t, &ProjectionConfig::default())
            .unwrap_err()
            .to_string()
            .contains("ceased"));
    }

    #[test]
    fn areas_share_the_projection_and_growth_factors_shift_it() {
        let p = project(
            &toy_series(),
            &ProjectionConfig {
                years: 2,
                damping: 1.0,
                primary_max_age: 10,
            },
        )
        .unwrap();
        let areas = vec![
            ("a".to_string(), "A".to_string()),
            ("b".to_string(), "B".to_string()),
        ];
        let pupils = vec![
            (Need::Asd, 6, Some(0)),
            (Need::Asd, 7, Some(0)),
            (Need::Asd, 8, Some(1)),
            (Need::Semh, 12, None),
        ];
        let shares = AreaShares::count("send", areas, pupils, 10);
        assert_eq!(shares.outside, 1);
        assert_eq!(
            shares.shares(Need::Asd, Phase::Primary),
            (vec![2.0 / 3.0, 1.0 / 3.0], "need_phase")
        );
        assert_eq!(shares.shares(Need::Asd, Phase::Secondary).1, "need");
        assert_eq!(shares.shares(Need::Vi, Phase::Primary).1, "all");
        let cells = apportion(&p, &shares, None);
        for c in p.cells.iter() {
            let sum: f64 = cells
                .iter()
                .filter(|a| a.year == c.year && a.need == c.need && a.phase == c.phase)
                .map(|a| a.plans.central)
                .sum();
            assert!((sum - c.plans.central).abs() < 1e-9);
        }
        let g: BTreeMap<String, f64> = [("b".to_string(), 2.0)].into();
        let grown = apportion(&p, &shares, Some(&g));
        let b_share = |cs: &[AreaCell]| {
            let f = |id: &str| {
                cs.iter()
                    .find(|a| {
                        a.year == 2026
                            && a.need == Need::Asd
                            && a.phase == Phase::Primary
                            && a.area_id == id
                    })
                    .unwrap()
                    .plans
                    .central
            };
            f("b") / (f("a") + f("b"))
        };
        // Weights 2/3 : 1/3 × 2² = 4/3 → b's share 2/3.
        assert!((b_share(&grown) - 2.0 / 3.0).abs() < 1e-9);
        assert!((b_share(&cells) - 1.0 / 3.0).abs() < 1e-9);
    }
}
