//! How the pupils' journeys were obtained, for an [`Audience`]: the `journeys` and
//! `journey_estimates` blocks of `summary.json`, and the sentence the console and the
//! validation report print about estimated journeys. Public figures pass through
//! [`crate::output::disclosure`] like every other published figure: counts by the 10/5 rule
//! with secondary suppression on each line that adds up, derived figures (medians, errors)
//! only beside a published count and rounded.

use crate::analyse::estimate::{Band, BandFit, Calibration, FitSource, HoldOut, MIN_PAIRS};
use crate::analyse::outlook::JourneyOutlook;
use crate::analyse::placement::Params;
use crate::analyse::Analysed;
use crate::model::proj::haversine_m;
use crate::output::disclosure::{
    public_count, public_derived, round_dp, suppress_list, suppress_table, Audience, Derived,
};
use crate::output::records::{
    CalibratedOnRecord, EstimateBandRecord, EstimatesRecord, HoldOutRecord, JourneyCounts,
};

/// The rule of the estimates, in one sentence (`journey_estimates.method`).
pub const METHOD: &str = "great-circle km x circuity at a speed, both the medians of this \
    run's routed home-to-provision pairs in the journey's great-circle band (0-5, 5-15, \
    15-40, 40+ km); a band with too few pairs uses the nearest fitted band (the longer on a \
    tie), else the scenario's circuity_factor and estimate_speed_kmh";

/// Why journeys are estimated, in the words of `journeys.estimated_because`, the console,
/// `validate` and the map: the placement is off the roads, or (`missing`) there are none.
pub fn why_estimated(params: &Params, missing: Option<&str>) -> String {
    match missing {
        Some(file) => format!("no road extract: {file} is missing"),
        None => format!(
            "placement more than {} m from any road of the extract, or outside it",
            params.max_snap_m
        ),
    }
}

fn estimated_because(p: &Analysed) -> String {
    why_estimated(&p.params, p.roads.missing())
}

/// Exact journey counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Exact {
    pupils: u64,
    routed: u64,
    estimated: u64,
    none: u64,
    homes_unsnappable: u64,
    unrouted: u64,
}

impl Exact {
    fn of(p: &Analysed) -> Exact {
        let mut e = Exact::default();
        for r in &p.analysis.pupils {
            e.pupils += 1;
            match r.current {
                Some(t) if t.estimated => e.estimated += 1,
                Some(_) => e.routed += 1,
                None if r.home_snap.is_unsnappable() => e.homes_unsnappable += 1,
                None => e.unrouted += 1,
            }
        }
        e.none = e.homes_unsnappable + e.unrouted;
        e
    }
}

/// The `journeys` block: routed, estimated and no journey (adding up to the pupils), and
/// why there is none. Public: one table with two lines (`routed + estimated + none` = the
/// pupils, `homes_unsnappable + journeys_unrouted` = `none`), secondarily suppressed.
pub fn journey_counts(p: &Analysed, audience: Audience) -> JourneyCounts {
    let e = Exact::of(p);
    let cells = [
        e.routed,
        e.estimated,
        e.none,
        e.homes_unsnappable,
        e.unrouted,
        e.pupils,
    ];
    let shown: Vec<Option<u64>> = match audience {
        Audience::Internal => cells.iter().copied().map(Some).collect(),
        Audience::Public => {
            let lines = [
                vec![(0, 0), (0, 1), (0, 2), (0, 5)],
                vec![(0, 3), (0, 4), (0, 2)],
            ];
            let mut table = suppress_table(&[cells.to_vec()], &lines);
            table.pop().unwrap_or_default()
        }
    };
    let at = |i: usize| shown.get(i).copied().flatten();
    JourneyCounts {
        mode: if p.network.is_some() {
            "routed"
        } else {
            "estimated"
        },
        estimated_because: estimated_because(p),
        routed: at(0),
        estimated: at(1),
        none: at(2),
        homes_unsnappable: at(3),
        journeys_unrouted: at(4),
    }
}

/// Per band, the pupils whose current journey is estimated in that band.
fn estimated_by_band(p: &Analysed) -> [u64; 4] {
    let mut n = [0u64; 4];
    let provisions = &p.scenario.provisions;
    for r in &p.analysis.pupils {
        let (Some(pl), Some(t)) = (r.placement, r.current) else {
            continue;
        };
        let (Some(pupil), Some(site)) = (
            p.scenario.pupils.get(r.pupil.index()),
            provisions.get(pl.index()),
        ) else {
            continue;
        };
        if t.estimated {
            let km = haversine_m(pupil.home, site.location) / 1000.0;
            n[Band::of(km).position()] += 1;
        }
    }
    n
}

/// Counts of one audience: exact, or through a list line whose total is returned.
fn counts_of(exact: &[u64], audience: Audience) -> (Vec<Option<u64>>, Option<u64>) {
    match audience {
        Audience::Internal => (
            exact.iter().copied().map(Some).collect(),
            Some(exact.iter().sum()),
        ),
        Audience::Public => suppress_list(exact),
    }
}

/// A derived figure for an audience: exact at `dp` decimals, or rounded beside a published
/// count.
fn derived(x: Option<f64>, kind: Derived, dp: i32, count_shown: bool, a: Audience) -> Option<f64> {
    match a {
        Audience::Internal => x.map(|x| round_dp(x, dp)),
        Audience::Public => public_derived(kind, x, count_shown),
    }
}

fn count(n: usize, audience: Audience) -> Option<u64> {
    match audience {
        Audience::Internal => Some(n as u64),
        Audience::Public => public_count(n as u64),
    }
}

/// The `journey_estimates` block for an audience.
pub fn journey_estimates(p: &Analysed, audience: Audience) -> EstimatesRecord {
    let c = &p.analysis.calibration;
    let fit = &c.fit;
    let (pairs, pairs_total) = counts_of(
        &fit.bands.iter().map(|b| b.pairs as u64).collect::<Vec<_>>(),
        audience,
    );
    let shown = |b: Band| {
        pairs
            .get(b.position())
            .copied()
            .flatten()
            .is_some_and(|n| n > 0)
    };
    let hold = c.hold_out.as_ref();
    let held: Vec<u64> = Band::ALL
        .iter()
        .map(|&b| hold.map_or(0, |h| band_errors(h, b).pairs as u64))
        .collect();
    let (held, held_total) = counts_of(&held, audience);
    let estimated = estimated_by_band(p);
    let bands = fit
        .bands
        .iter()
        .map(|b| {
            let i = b.band.position();
            let held_n = held.get(i).copied().flatten();
            let mdape = hold.and_then(|h| band_errors(h, b.band).mdape_pct);
            band_record(
                b,
                audience,
                &shown,
                pairs.get(i).copied().flatten(),
                (held_n, mdape),
                estimated[i],
            )
        })
        .collect();
    let current: usize = fit.bands.iter().map(|b| b.current_journeys).sum();
    let internal_only = |n: usize| match audience {
        Audience::Internal => Some(n as u64),
        Audience::Public => None,
    };
    EstimatesRecord {
        method: METHOD,
        min_pairs: MIN_PAIRS,
        calibrated: fit.calibrated(),
        calibrated_on: CalibratedOnRecord {
            pairs: pairs_total,
            current_journeys: internal_only(current),
            alternatives: internal_only(fit.pairs() - current),
            pairs_unusable: internal_only(c.pairs_unusable),
        },
        bands,
        default_circuity: fit.defaults.circuity,
        default_speed_kmh: fit.defaults.speed_kmh,
        hold_out: hold.map(|h| hold_out_record(h, held_total, audience)),
    }
}

/// The hold-out figures of one band (zero pairs when the band has none).
fn band_errors(h: &HoldOut, band: Band) -> crate::analyse::estimate::ErrorFigures {
    h.by_band.iter().find(|(b, _)| *b == band).map_or(
        crate::analyse::estimate::ErrorFigures {
            pairs: 0,
            mdape_pct: None,
            median_error_pct: None,
        },
        |(_, e)| *e,
    )
}

/// One band's record: its own pairs and medians, the figures it uses and where from, and
/// its hold-out error. Public: medians beside published pairs, the figures used beside the
/// published pairs of the band they come from (the defaults are assumptions, always shown).
fn band_record(
    b: &BandFit,
    audience: Audience,
    shown: &dyn Fn(Band) -> bool,
    pairs: Option<u64>,
    (held, mdape): (Option<u64>, Option<f64>),
    estimated: u64,
) -> EstimateBandRecord {
    let (source, fell_back_to, from_shown) = match b.source {
        FitSource::Fitted => ("fitted", None, shown(b.band)),
        FitSource::FellBack(o) => ("fell_back", Some(o.label()), shown(o)),
        FitSource::Default => ("default", None, true),
    };
    let own = shown(b.band);
    EstimateBandRecord {
        band: b.band.label(),
        pairs,
        current_journeys: match audience {
            Audience::Internal => Some(b.current_journeys as u64),
            Audience::Public => None,
        },
        median_circuity: derived(b.median_circuity, Derived::Ratio, 3, own, audience),
        median_speed_kmh: derived(b.median_speed_kmh, Derived::Speed, 2, own, audience),
        source,
        fell_back_to,
        circuity: derived(Some(b.circuity), Derived::Ratio, 3, from_shown, audience),
        speed_kmh: derived(Some(b.speed_kmh), Derived::Speed, 2, from_shown, audience),
        estimated_journeys: match audience {
            Audience::Internal => Some(estimated),
            Audience::Public => None,
        },
        hold_out_pairs: held,
        hold_out_mdape_pct: derived(
            mdape,
            Derived::Percent,
            1,
            held.is_some_and(|n| n > 0),
            audience,
        ),
    }
}

fn hold_out_record(h: &HoldOut, pairs: Option<u64>, audience: Audience) -> HoldOutRecord {
    let all_shown = pairs.is_some_and(|n| n > 0);
    let current = count(h.current_journeys.pairs, audience);
    HoldOutRecord {
        every: crate::analyse::estimate::HOLD_OUT_EVERY,
        pupils: count(h.pupils, audience),
        pairs,
        mdape_pct: derived(h.all.mdape_pct, Derived::Percent, 1, all_shown, audience),
        median_error_pct: derived(
            h.all.median_error_pct,
            Derived::Percent,
            1,
            all_shown,
            audience,
        ),
        current_journeys: current,
        current_journeys_mdape_pct: derived(
            h.current_journeys.mdape_pct,
            Derived::Percent,
            1,
            current.is_some_and(|n| n > 0),
            audience,
        ),
    }
}

/// Thousands separators for counts in sentences: `10820` → `10,820`.
///
/// # Examples
/// ```
/// use nearhome::output::estimates::thousands;
/// assert_eq!(thousands(10_820), "10,820");
/// assert_eq!(thousands(337), "337");
/// ```
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The sentence about estimated journeys, from the internal figures, e.g. "128 of 337
/// journeys estimated (placement more than 1000 m from any road of the extract, or outside
/// it), calibrated on 209 routed journeys and 1,234 routed alternatives; hold-out error:
/// median 9.8%".
pub fn estimate_sentence(p: &Analysed) -> String {
    let e = Exact::of(p);
    let c: &Calibration = &p.analysis.calibration;
    let why = estimated_because(p);
    let head = format!(
        "{} of {} journeys estimated ({why})",
        thousands(e.estimated),
        thousands(e.pupils)
    );
    let current: usize = c.fit.bands.iter().map(|b| b.current_journeys).sum();
    let basis = if c.fit.calibrated() {
        format!(
            "calibrated on {} routed journeys and {} routed alternatives",
            thousands(current as u64),
            thousands((c.fit.pairs() - current) as u64)
        )
    } else {
        let short = match p.roads.missing() {
            Some(_) => "no routed journey to calibrate on".to_string(),
            None => format!("fewer than {MIN_PAIRS} routed pairs in every band"),
        };
        format!(
            "not calibrated ({short}): the defaults, {} x the straight line at {} km/h",
            c.fit.defaults.circuity, c.fit.defaults.speed_kmh
        )
    };
    let error = c
        .hold_out
        .as_ref()
        .and_then(|h| h.all.mdape_pct)
        .map_or(String::new(), |m| {
            format!("; hold-out error: median {:.1}%", m)
        });
    format!("{head}, {basis}{error}")
}

/// The sentence `validate` prints about the journeys a scenario will have, before routing,
/// e.g. "209 of 337 journeys can be routed; 128 will be estimated (placement more than 1000 m
/// from any road of the extract, or outside it) ...". `missing` names a road extract that is
/// not there.
pub fn outlook_sentence(o: &JourneyOutlook, params: &Params, missing: Option<&str>) -> String {
    let n = |x: usize| thousands(x as u64);
    let why = why_estimated(params, missing);
    match missing {
        Some(_) => format!(
            "{} of {} journeys will be estimated ({why}) at the defaults, {} x the straight \
             line at {} km/h, with no routed journey to calibrate on; {} will have none \
             (unknown placement)",
            n(o.estimated),
            n(o.pupils),
            params.circuity_factor,
            params.estimate_speed_kmh,
            n(o.unknown_placement)
        ),
        None => format!(
            "{} of {} journeys can be routed; {} will be estimated ({why}), calibrated by \
             distance band on the routed journeys when analysed; {} will have none (home more \
             than {} m from any road: {}; unknown placement: {})",
            n(o.routable),
            n(o.pupils),
            n(o.estimated),
            n(o.home_unsnappable + o.unknown_placement),
            params.max_snap_m,
            n(o.home_unsnappable),
            n(o.unknown_placement)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
