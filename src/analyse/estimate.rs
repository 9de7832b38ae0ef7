//! Estimated journeys, calibrated on the routed journeys of the same run.
//!
//! A journey that cannot be routed (its placement is not within `max_snap_m` of the road
//! extract, or there is no extract at all) is estimated from the great-circle distance `d`
//! between home and site: road km = `d` × circuity, minutes = road km ÷ speed × 60. The
//! circuity (road km per great-circle km) and the speed (road km per hour) are fitted per
//! great-circle distance band on the routed pairs of the same run. The rule, exactly (it is
//! also in `docs/outputs.md`, "Estimated journeys", for independent re-implementation):
//!
//! 1. **Pairs**: every routed home → provision journey the analysis has, each (pupil,
//!    provision) once, pupils in input order: the pupil's current journey (when routed) and
//!    the journey to each of their routed alternatives (suitable provisions). `d` is the
//!    haversine distance from the home to the provision's site; road km and minutes are
//!    those of the routed path. A pair with `d` under [`MIN_PAIR_KM`], or with no road km
//!    or minutes, has no ratio: it is *unusable*, left out of the fit and counted.
//! 2. **Bands** by `d` ([`Band`]): 0–5, 5–15, 15–40 and 40+ km, each holding its lower
//!    edge (5 km is in 5–15).
//! 3. **Per band**: circuity = the median of road km ÷ `d`; speed = the median of road km ÷
//!    hours (medians, not means, so that a few odd snaps or ferry-like detours do not move
//!    them; the median of an even count is the mean of the two middle values).
//! 4. **Fallback**: a band with at least [`MIN_PAIRS`] usable pairs is *fitted*. Any other
//!    band uses the circuity and speed of the nearest fitted band, counting bands (at equal
//!    distance, the longer band: estimated journeys are mostly long ones); so 40+ falls back
//!    to 15–40 when the county has no long routed journeys, then to 5–15 and 0–5. With no
//!    fitted band at all, every band uses the defaults (`circuity_factor`,
//!    `estimate_speed_kmh`).
//! 5. **Hold-out error**: pupils at 0-based input positions 4, 9, 14, … (every
//!    [`HOLD_OUT_EVERY`]th) are held out with all their pairs; steps 3–4 run on the other
//!    pupils' pairs, and each held-out usable pair is estimated with that fit. The absolute
//!    percentage error is |estimated − routed| ÷ routed minutes × 100; the report gives its
//!    median (MdAPE) and the median signed error over the held-out pairs, per band (of the
//!    pair's `d`) and over the held-out current journeys alone.
//!
//! Circuity factors for road-distance estimation: Ballou, Rahardja and Sakai (2002),
//! "Selected country circuity factors for road travel distance estimation", *Transportation
//! Research Part A* 36(9), 843–848 (they report about 1.2–1.4 for Europe). The median
//! absolute percentage error: Hyndman and Koehler (2006), "Another look at measures of
//! forecast accuracy", *International Journal of Forecasting* 22(4), 679–688. No I/O here.

use serde::{Deserialize, Serialize};

use crate::model::ids::PupilIdx;

/// Fewest usable pairs for a band to be fitted from its own pairs.
pub const MIN_PAIRS: usize = 20;

/// Shortest great-circle distance of a usable pair, km (below it a ratio to it is noise).
pub const MIN_PAIR_KM: f64 = 0.1;

/// Every this-many-th pupil (0-based positions 4, 9, …) is held out to measure the error.
pub const HOLD_OUT_EVERY: usize = 5;

/// A great-circle distance band of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Band {
    /// Under 5 km.
    #[serde(rename = "0-5")]
    Under5,
    /// 5 km to under 15 km.
    #[serde(rename = "5-15")]
    From5To15,
    /// 15 km to under 40 km.
    #[serde(rename = "15-40")]
    From15To40,
    /// 40 km or more.
    #[serde(rename = "40+")]
    From40,
}

impl Band {
    /// Every band, shortest first.
    pub const ALL: [Band; 4] = [
        Band::Under5,
        Band::From5To15,
        Band::From15To40,
        Band::From40,
    ];

    /// The band of a great-circle distance in km (a band holds its lower edge).
    ///
    /// # Examples
    /// ```
    /// use nearhome::analyse::estimate::Band;
    /// assert_eq!(Band::of(4.99), Band::Under5);
    /// assert_eq!(Band::of(5.0), Band::From5To15);
    /// assert_eq!(Band::of(120.0), Band::From40);
    /// ```
    pub fn of(great_circle_km: f64) -> Band {
        if great_circle_km < 5.0 {
            Band::Under5
        } else if great_circle_km < 15.0 {
            Band::From5To15
        } else if great_circle_km < 40.0 {
            Band::From15To40
        } else {
            Band::From40
        }
    }

    /// Position in [`Band::ALL`].
    pub fn position(self) -> usize {
        self as usize
    }

    /// The label used in outputs: `0-5`, `5-15`, `15-40` or `40+` (km).
    pub fn label(self) -> &'static str {
        match self {
            Band::Under5 => "0-5",
            Band::From5To15 => "5-15",
            Band::From15To40 => "15-40",
            Band::From40 => "40+",
        }
    }
}

/// A routed home → provision journey the fit learns from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoutedPair {
    /// The pupil (the hold-out is by pupil).
    pub pupil: PupilIdx,
    /// True for the pupil's current journey, false for an alternative.
    pub current: bool,
    /// Great-circle distance from home to site, km.
    pub great_circle_km: f64,
    /// Routed road distance, km.
    pub road_km: f64,
    /// Routed duration, minutes.
    pub minutes: f64,
}

impl RoutedPair {
    /// The pair has a circuity and a speed (see [`MIN_PAIR_KM`]).
    pub fn usable(&self) -> bool {
        self.great_circle_km >= MIN_PAIR_KM
            && self.great_circle_km.is_finite()
            && self.road_km > 0.0
            && self.road_km.is_finite()
            && self.minutes > 0.0
            && self.minutes.is_finite()
    }

    fn circuity(&self) -> f64 {
        self.road_km / self.great_circle_km
    }

    fn speed_kmh(&self) -> f64 {
        self.road_km / (self.minutes / 60.0)
    }

    fn band(&self) -> Band {
        Band::of(self.great_circle_km)
    }

    fn held_out(&self) -> bool {
        self.pupil.index() % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1
    }
}

/// The circuity and speed used where nothing was fitted (the scenario's
/// `circuity_factor` and `estimate_speed_kmh`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Defaults {
    /// Road km per great-circle km.
    pub circuity: f64,
    /// Road km per hour.
    pub speed_kmh: f64,
}

/// Where a band's circuity and speed come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitSource {
    /// The band's own pairs (at least [`MIN_PAIRS`]).
    Fitted,
    /// Too few pairs: the nearest fitted band's figures.
    FellBack(Band),
    /// No band was fitted: the scenario's defaults.
    Default,
}

/// One band of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandFit {
    /// The band.
    pub band: Band,
    /// Usable pairs in the band.
    pub pairs: usize,
    /// Of them, pupils' current journeys.
    pub current_journeys: usize,
    /// Median circuity of the band's own pairs (None without pairs), road km per
    /// great-circle km; reported even when too few to be used.
    pub median_circuity: Option<f64>,
    /// Median speed of the band's own pairs (None without pairs), km/h.
    pub median_speed_kmh: Option<f64>,
    /// Where the figures used come from.
    pub source: FitSource,
    /// Circuity used for the band's estimates.
    pub circuity: f64,
    /// Speed used for the band's estimates, km/h.
    pub speed_kmh: f64,
}

/// Circuity and speed per band, with where each came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyFit {
    /// One per band, in [`Band::ALL`] order.
    pub bands: Vec<BandFit>,
    /// The defaults used where nothing was fitted.
    pub defaults: Defaults,
}

/// An estimated journey's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The band of the great-circle distance.
    pub band: Band,
    /// Road km.
    pub km: f64,
    /// Minutes.
    pub minutes: f64,
}

impl JourneyFit {
    /// The fit with no routed pairs: every band at the defaults.
    pub fn defaults_only(defaults: Defaults) -> JourneyFit {
        JourneyFit::fit(std::iter::empty(), defaults)
    }

    /// Fit the bands on `pairs` (unusable ones are skipped) by the rule of the module docs.
    pub fn fit<'a>(pairs: impl Iterator<Item = &'a RoutedPair>, defaults: Defaults) -> JourneyFit {
        let mut circuity: [Vec<f64>; 4] = Default::default();
        let mut speed: [Vec<f64>; 4] = Default::default();
        let mut current = [0usize; 4];
        for p in pairs.filter(|p| p.usable()) {
            let b = p.band().position();
            circuity[b].push(p.circuity());
            speed[b].push(p.speed_kmh());
            current[b] += usize::from(p.current);
        }
        let own: Vec<(usize, Option<f64>, Option<f64>)> = (0..Band::ALL.len())
            .map(|b| {
                (
                    circuity[b].len(),
                    median(&mut circuity[b]),
                    median(&mut speed[b]),
                )
            })
            .collect();
        let bands = Band::ALL
            .iter()
            .zip(&own)
            .zip(current)
            .map(|((&band, &(pairs, mc, ms)), current_journeys)| {
                let (source, circuity, speed_kmh) = figures_for(band, &own, defaults);
                BandFit {
                    band,
                    pairs,
                    current_journeys,
                    median_circuity: mc,
                    median_speed_kmh: ms,
                    source,
                    circuity,
                    speed_kmh,
                }
            })
            .collect();
        JourneyFit { bands, defaults }
    }

    /// The band fit of a great-circle distance.
    pub fn band(&self, great_circle_km: f64) -> Option<&BandFit> {
        self.bands.get(Band::of(great_circle_km).position())
    }

    /// Estimate a journey of `great_circle_km`: road km = distance × the band's circuity,
    /// minutes = road km ÷ the band's speed × 60.
    pub fn estimate(&self, great_circle_km: f64) -> Estimate {
        let band = Band::of(great_circle_km);
        let (circuity, speed_kmh) = self
            .bands
            .get(band.position())
            .map_or((self.defaults.circuity, self.defaults.speed_kmh), |b| {
                (b.circuity, b.speed_kmh)
            });
        let km = great_circle_km * circuity;
        Estimate {
            band,
            km,
            minutes: km / speed_kmh * 60.0,
        }
    }

    /// Usable pairs over every band.
    pub fn pairs(&self) -> usize {
        self.bands.iter().map(|b| b.pairs).sum()
    }

    /// True when at least one band is fitted (the estimates are calibrated on this run).
    pub fn calibrated(&self) -> bool {
        self.bands.iter().any(|b| b.source == FitSource::Fitted)
    }
}

/// The source and figures of `band`: its own medians when it has enough pairs, else the
/// nearest band that has (the longer at equal distance), else the defaults.
fn figures_for(
    band: Band,
    own: &[(usize, Option<f64>, Option<f64>)],
    defaults: Defaults,
) -> (FitSource, f64, f64) {
    let fitted = |i: usize| -> Option<(f64, f64)> {
        let &(n, c, s) = own.get(i)?;
        if n < MIN_PAIRS {
            return None;
        }
        Some((c?, s?))
    };
    let at = band.position();
    if let Some((c, s)) = fitted(at) {
        return (FitSource::Fitted, c, s);
    }
    for step in 1..Band::ALL.len() {
        let longer = at + step;
        let shorter = at.checked_sub(step);
        for i in [Some(longer), shorter].into_iter().flatten() {
            if let (Some((c, s)), Some(&b)) = (fitted(i), Band::ALL.get(i)) {
                return (FitSource::FellBack(b), c, s);
            }
        }
    }
    (FitSource::Default, defaults.circuity, defaults.speed_kmh)
}

/// The median of `xs` (reordered in place); the mean of the two middle values for an even
/// count; `None` when empty.
///
/// # Examples
/// ```
/// use nearhome::analyse::estimate::median;
/// assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
/// assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
/// assert_eq!(median(&mut []), None);
/// ```
pub fn median(xs: &mut [f64]) -> Option<f64> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let (below, mid, _) = xs.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *mid;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = below.iter().copied().max_by(f64::total_cmp)?;
    Some((lower + upper) / 2.0)
}

/// The hold-out error of one group of pairs (a band, or all held-out pairs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorFigures {
    /// Held-out usable pairs.
    pub pairs: usize,
    /// Median absolute percentage error of the estimated minutes (None without pairs).
    pub mdape_pct: Option<f64>,
    /// Median signed percentage error: negative when estimates are quicker than the routes.
    pub median_error_pct: Option<f64>,
}

impl ErrorFigures {
    fn of(mut errors: Vec<f64>) -> ErrorFigures {
        let pairs = errors.len();
        let median_error_pct = median(&mut errors);
        let mut absolute: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
        ErrorFigures {
            pairs,
            mdape_pct: median(&mut absolute),
            median_error_pct,
        }
    }
}

/// How well the fit predicts routed journeys it did not see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldOut {
    /// Pupils held out (every [`HOLD_OUT_EVERY`]th in input order) with at least one pair.
    pub pupils: usize,
    /// Every held-out usable pair.
    pub all: ErrorFigures,
    /// The held-out pupils' current journeys alone.
    pub current_journeys: ErrorFigures,
    /// Per band of the pair's great-circle distance, in [`Band::ALL`] order.
    pub by_band: Vec<(Band, ErrorFigures)>,
}

/// The fit used for this run's estimates, the pairs it came from and its hold-out error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The fit on every usable pair (what the estimates use).
    pub fit: JourneyFit,
    /// Routed pairs offered to the fit (usable and not).
    pub pairs_routed: usize,
    /// Of them, pupils' current journeys.
    pub current_journeys_routed: usize,
    /// Pairs left out as unusable (great-circle distance under [`MIN_PAIR_KM`], or no road
    /// km or minutes).
    pub pairs_unusable: usize,
    /// The hold-out error (None when no held-out pupil has a usable pair).
    pub hold_out: Option<HoldOut>,
}

impl Calibration {
    /// The calibration of a run without routed pairs: the defaults, no hold-out.
    pub fn defaults_only(defaults: Defaults) -> Calibration {
        Calibration::from_pairs(&[], defaults)
    }

    /// Fit on `pairs` (see the module docs) and measure the hold-out error.
    pub fn from_pairs(pairs: &[RoutedPair], defaults: Defaults) -> Calibration {
        Calibration {
            fit: JourneyFit::fit(pairs.iter(), defaults),
            pairs_routed: pairs.len(),
            current_journeys_routed: pairs.iter().filter(|p| p.current).count(),
            pairs_unusable: pairs.iter().filter(|p| !p.usable()).count(),
            hold_out: hold_out(pairs, defaults),
        }
    }
}

/// Fit on the pupils kept in, estimate the held-out pupils' pairs, and summarise the errors.
fn hold_out(pairs: &[RoutedPair], defaults: Defaults) -> Option<HoldOut> {
    let fit = JourneyFit::fit(pairs.iter().filter(|p| !p.held_out()), defaults);
    let tested: Vec<(&RoutedPair, f64)> = pairs
        .iter()
        .filter(|p| p.held_out() && p.usable())
        .map(|p| {
            let e = fit.estimate(p.great_circle_km);
            (p, (e.minutes - p.minutes) / p.minutes * 100.0)
        })
        .collect();
    if tested.is_empty() {
        return None;
    }
    let errors = |keep: &dyn Fn(&RoutedPair) -> bool| -> ErrorFigures {
        ErrorFigures::of(
            tested
                .iter()
                .filter(|(p, _)| keep(p))
                .map(|&(_, e)| e)
                .collect(),
        )
    };
    let mut pupils: Vec<PupilIdx> = tested.iter().map(|(p, _)| p.pupil).collect();
    pupils.sort_unstable();
    pupils.dedup();
    Some(HoldOut {
        pupils: pupils.len(),
        all: errors(&|_| true),
        current_journeys: errors(&|p| p.current),
        by_band: Band::ALL
            .iter()
            .map(|&b| (b, errors(&|p| p.band() == b)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: Defaults = Defaults {
        circuity: 1.3,
        speed_kmh: 40.0,
    };

    /// `n` pairs of `pupil..` at `km` great-circle km, `circuity` and `speed_kmh`.
    fn pairs(
        first_pupil: usize,
        n: usize,
        km: f64,
        circuity: f64,
        speed_kmh: f64,
    ) -> Vec<RoutedPair> {
        (0..n)
            .map(|i| RoutedPair {
                pupil: PupilIdx::new(first_pupil + i),
                current: true,
                great_circle_km: km,
                road_km: km * circuity,
                minutes: km * circuity / speed_kmh * 60.0,
            })
            .collect()
    }

    fn sources(fit: &JourneyFit) -> Vec<FitSource> {
        fit.bands.iter().map(|b| b.source).collect()
    }

    #[test]
    fn medians_of_odd_even_and_empty_lists() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7.0]), Some(7.0));
        assert_eq!(median(&mut [9.0, 1.0]), Some(5.0));
        assert_eq!(median(&mut [5.0, 1.0, 100.0, 2.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut [5.0, 1.0, 100.0, 2.0, 3.0, 4.0]), Some(3.5));
    }

    #[test]
    fn bands_hold_their_lower_edge() {
        let got: Vec<Band> = [0.0, 4.999, 5.0, 14.99, 15.0, 39.99, 40.0, 500.0]
            .iter()
            .map(|&d| Band::of(d))
            .collect();
        use Band::*;
        assert_eq!(
            got,
            [Under5, Under5, From5To15, From5To15, From15To40, From15To40, From40, From40]
        );
    }

    #[test]
    fn no_pairs_gives_the_defaults_everywhere() {
        let fit = JourneyFit::defaults_only(DEFAULTS);
        assert_eq!(sources(&fit), [FitSource::Default; 4]);
        assert!(!fit.calibrated());
        let e = fit.estimate(10.0);
        assert!((e.km - 13.0).abs() < 1e-12);
        assert!((e.minutes - 13.0 / 40.0 * 60.0).abs() < 1e-12);
        let c = Calibration::defaults_only(DEFAULTS);
        assert_eq!(c.hold_out, None);
        assert_eq!((c.pairs_routed, c.pairs_unusable), (0, 0));
    }

    #[test]
    fn a_band_needs_min_pairs_to_be_fitted() {
        // 19 pairs in 0-5: not fitted; 20 in 5-15: fitted.
        let mut all = pairs(0, MIN_PAIRS - 1, 2.0, 1.6, 30.0);
        all.extend(pairs(100, MIN_PAIRS, 10.0, 1.25, 55.0));
        let fit = JourneyFit::fit(all.iter(), DEFAULTS);
        use Band::*;
        assert_eq!(
            sources(&fit),
            [
                FitSource::FellBack(From5To15),
                FitSource::Fitted,
                FitSource::FellBack(From5To15),
                FitSource::FellBack(From5To15),
            ]
        );
        // The unfitted band reports its own medians but uses its neighbour's.
        let b0 = fit.bands[0];
        assert_eq!(b0.pairs, MIN_PAIRS - 1);
        assert!((b0.median_circuity.unwrap() - 1.6).abs() < 1e-12);
        assert!((b0.circuity - 1.25).abs() < 1e-12 && (b0.speed_kmh - 55.0).abs() < 1e-9);
        // 40+ falls back two bands down when 15-40 is empty too.
        let e = fit.estimate(60.0);
        assert!((e.km - 75.0).abs() < 1e-9, "{e:?}");
        assert!((e.minutes - 75.0 / 55.0 * 60.0).abs() < 1e-9, "{e:?}");
    }

    #[test]
    fn fallback_takes_the_nearest_band_and_the_longer_on_a_tie() {
        // 0-5 and 15-40 fitted: 5-15 is one band from each and takes 15-40; 40+ takes 15-40.
        let mut all = pairs(0, 30, 2.0, 1.6, 30.0);
        all.extend(pairs(100, 30, 20.0, 1.15, 65.0));
        let fit = JourneyFit::fit(all.iter(), DEFAULTS);
        use Band::*;
        assert_eq!(
            sources(&fit),
            [
                FitSource::Fitted,
                FitSource::FellBack(From15To40),
                FitSource::Fitted,
                FitSource::FellBack(From15To40),
            ]
        );
        // Only 0-5 fitted: everything falls back to it.
        let short = pairs(0, 30, 2.0, 1.6, 30.0);
        let fit = JourneyFit::fit(short.iter(), DEFAULTS);
        assert_eq!(
            sources(&fit)[1..],
            [FitSource::FellBack(Under5); 3],
            "{:?}",
            fit.bands
        );
    }

    #[test]
    fn medians_ignore_outliers_and_unusable_pairs_are_counted() {
        let mut all = pairs(0, 25, 10.0, 1.2, 50.0);
        // Three wild detours and a pair too short to have a ratio.
        all.extend(pairs(25, 3, 10.0, 9.0, 5.0));
        all.push(RoutedPair {
            great_circle_km: 0.05,
            ..all[0]
        });
        all.push(RoutedPair {
            minutes: 0.0,
            ..all[0]
        });
        let c = Calibration::from_pairs(&all, DEFAULTS);
        let b = c.fit.bands[Band::From5To15.position()];
        assert_eq!(b.pairs, 28);
        assert!((b.circuity - 1.2).abs() < 1e-12, "{b:?}");
        assert!((b.speed_kmh - 50.0).abs() < 1e-9, "{b:?}");
        assert_eq!(c.pairs_unusable, 2);
        assert_eq!(c.pairs_routed, 30);
        assert_eq!(c.fit.pairs(), 28);
    }

    #[test]
    fn hold_out_is_every_fifth_pupil_and_exact_for_a_uniform_network() {
        // Every pair at the same circuity and speed: the held-out estimates are exact.
        let all = pairs(0, 100, 8.0, 1.3, 45.0);
        let c = Calibration::from_pairs(&all, DEFAULTS);
        let h = c.hold_out.expect("held-out pairs");
        assert_eq!(h.pupils, 20, "pupils 4, 9, ..., 99");
        assert_eq!(h.all.pairs, 20);
        assert!(h.all.mdape_pct.unwrap().abs() < 1e-9, "{h:?}");
        let band = h.by_band[Band::From5To15.position()].1;
        assert_eq!(band.pairs, 20);
        assert_eq!(h.by_band[Band::Under5.position()].1.mdape_pct, None);
    }

    #[test]
    fn hold_out_error_is_measured_against_the_routed_minutes() {
        // Kept-in pupils run at 50 km/h; the held-out ones at 40: estimates are 20% quick.
        let mut all = Vec::new();
        for u in 0..100 {
            let speed = if u % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 {
                40.0
            } else {
                50.0
            };
            all.extend(pairs(u, 1, 8.0, 1.3, speed));
        }
        let c = Calibration::from_pairs(&all, DEFAULTS);
        let h = c.hold_out.expect("held-out pairs");
        assert!((h.all.mdape_pct.unwrap() - 20.0).abs() < 1e-9, "{h:?}");
        assert!(
            (h.all.median_error_pct.unwrap() + 20.0).abs() < 1e-9,
            "{h:?}"
        );
        // The fit used for the run itself is on every pair: 80 at 50 km/h, 20 at 40.
        assert!((c.fit.bands[1].speed_kmh - 50.0).abs() < 1e-9);
    }
}
