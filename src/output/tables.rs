//! Builders: an analysed scenario -> the typed records of [`crate::output::records`], for
//! an [`Audience`]. The files under `--out` and the HTTP answers are built here and only
//! here, so a table has the same rows and bytes wherever it is read. Public figures come
//! from [`crate::output::disclosure`]; pupil-level builders have no public variant.

use std::collections::BTreeMap;

use geo::MapCoords;
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, Position};
use rayon::prelude::*;
use serde::Serialize;

use crate::analyse::placement::{Analysis, NotMoved, PupilResult, Trip};
use crate::analyse::summary::{area_rows, overall, AreaRow, Cohort, GroupStats};
use crate::analyse::Analysed;
use crate::model::ids::{ProvisionIdx, PupilIdx};
use crate::model::phase::Phase;
use crate::model::{LatLon, Need};
use crate::output::disclosure::{
    public_count, public_derived, round_dp, suppress_list, AreaGrid, Audience, CellFigures,
    Derived, Measure, NeedColumn, TOTAL_ROW,
};
use crate::output::estimates::{journey_counts, journey_estimates};
use crate::output::records::{
    coord6, dec1, dec2, AreaRecord, BringBackRecord, CandidateRecord, DataQuality,
    JourneyProperties, KindCostRecord, MoveProperties, MoveRecord, NeedFigures, NetworkRecord,
    PageRecord, ProvisionProperties, PupilRecord, SolverRecord, SpeedsRecord, Summary,
};
use crate::query::route::Route;

/// Every aggregate of one analysis, computed once: the area rows, the authority figures,
/// the disclosure grid and the public per-provision counts.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// Layer × area × need rows (exact).
    pub rows: Vec<AreaRow>,
    /// The authority, every need.
    pub total: GroupStats,
    /// The authority per need.
    pub per_need: BTreeMap<Need, GroupStats>,
    /// The disclosure grid.
    pub grid: AreaGrid,
    provisions: ProvisionCounts,
}

/// Per provision counts, exact and public (list suppression across provisions).
#[derive(Debug, Clone, Default)]
struct ProvisionCounts {
    placed: (Vec<u64>, Vec<Option<u64>>),
    on_roll: (Vec<u64>, Vec<Option<u64>>),
    moves_in: (Vec<u64>, Vec<Option<u64>>),
    moves_out: (Vec<u64>, Vec<Option<u64>>),
}

fn exact_and_public(counts: Vec<u64>) -> (Vec<u64>, Vec<Option<u64>>) {
    let (public, _) = suppress_list(&counts);
    (counts, public)
}

impl Aggregates {
    /// Summarise an analysed scenario.
    pub fn new(p: &Analysed) -> Aggregates {
        let sc = &p.scenario;
        let cohort = Cohort {
            pupils: &sc.pupils,
            unplaced: &sc.unplaced,
        };
        let rows = area_rows(&p.analysis, cohort, &sc.provisions, &p.receiving, &p.layers);
        let (total, per_need) = overall(&p.analysis, cohort, &sc.provisions, &p.receiving);
        let grid = AreaGrid::build(&rows, &total, &per_need, &p.layers);
        let res = &p.analysis.provisions;
        let provisions = ProvisionCounts {
            placed: exact_and_public(res.iter().map(|r| r.placed as u64).collect()),
            on_roll: exact_and_public(sc.provisions.iter().map(|x| u64::from(x.on_roll)).collect()),
            moves_in: exact_and_public(res.iter().map(|r| r.moves_in as u64).collect()),
            moves_out: exact_and_public(res.iter().map(|r| r.moves_out as u64).collect()),
        };
        Aggregates {
            rows,
            total,
            per_need,
            grid,
            provisions,
        }
    }
}

fn pick(counts: &(Vec<u64>, Vec<Option<u64>>), i: usize, audience: Audience) -> Option<u64> {
    match audience {
        Audience::Internal => counts.0.get(i).copied(),
        Audience::Public => counts.1.get(i).copied().flatten(),
    }
}

/// `pupils.csv` rows (internal only): every pupil, placed or not, in file order.
pub fn pupil_records(p: &Analysed) -> Vec<PupilRecord> {
    let lines = p
        .analysis
        .pupils
        .iter()
        .map(|r| p.scenario.pupils.get(r.pupil.index()).map_or(0, |u| u.line));
    let mut rows: Vec<(usize, PupilRecord)> = lines.zip(placed_records(p)).collect();
    rows.extend(
        p.scenario
            .unplaced
            .iter()
            .map(|u| (u.line, unplaced_record(p, u))),
    );
    // stable: rows not from a file (line 0) keep their order, placed first
    rows.sort_by_key(|(line, _)| *line);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// The row of a pupil without a school placement: the pupil's facts and why there is no
/// journey.
fn unplaced_record(p: &Analysed, u: &crate::model::status::UnplacedPupil) -> PupilRecord {
    PupilRecord {
        pupil_id: u.id.clone(),
        age: u.age,
        phase: p.params.phase(u.age).as_str(),
        need: u.need.code(),
        placement_id: String::new(),
        placement_kind: None,
        out_of_area: false,
        home_snap_m: None,
        home_unsnappable: None,
        placement_snap_m: None,
        journey_source: None,
        current_minutes: None,
        current_km: None,
        limit_minutes: dec2(p.params.limit_minutes(u.age)),
        long_journey: false,
        suitable_count: None,
        nearest_id: None,
        nearest_minutes: None,
        nearest_km: None,
        nearest_with_space_id: None,
        nearest_with_space_minutes: None,
        current_rank: None,
        extra_minutes: None,
        moved_to: None,
        new_minutes: None,
        new_km: None,
        not_moved_reason: None,
        gbp_per_year_saved: None,
        current_placement_gbp: None,
        current_transport_gbp: None,
        placement_status: u.status.as_str(),
        no_journey_reason: u.status.no_journey_reason(),
        wheelchair: None,
        escort: None,
        solo: None,
        personal_budget_gbp: None,
        travel_training_first_year_gbp: None,
        travel_training_later_gbp: None,
    }
}

/// The rows of the pupils at a placement, in analysis order.
fn placed_records(p: &Analysed) -> Vec<PupilRecord> {
    let provs = &p.scenario.provisions;
    let id = |i: ProvisionIdx| provs.get(i.index()).map(|x| x.id.clone());
    p.analysis
        .pupils
        .iter()
        .map(|r| {
            let u = &p.scenario.pupils[r.pupil];
            let mv = r.moved.and_then(|m| p.analysis.moves.get(m.index()));
            PupilRecord {
                pupil_id: u.id.clone(),
                age: u.age,
                phase: p.params.phase(u.age).as_str(),
                need: u.need.code(),
                placement_id: u.placement_id.clone(),
                placement_kind: r
                    .placement
                    .and_then(|i| provs.get(i.index()))
                    .map(|x| x.kind.as_str()),
                out_of_area: r.out_of_area,
                home_snap_m: r.home_snap.snap().map(|s| dec1(s.distance_m)),
                home_unsnappable: r.home_snap.failure().map(ToString::to_string),
                placement_snap_m: r.placement_snap_m.map(dec1),
                journey_source: r.current.as_ref().map(Trip::source),
                current_minutes: r.current.map(|c| dec2(c.minutes)),
                current_km: r.current.map(|c| dec2(c.km)),
                limit_minutes: dec2(r.limit_minutes),
                long_journey: r.long_journey,
                suitable_count: p.network.is_some().then_some(r.suitable.len()),
                nearest_id: r.nearest.and_then(|a| id(a.provision)),
                nearest_minutes: r.nearest.map(|a| dec2(a.trip.minutes)),
                nearest_km: r.nearest.map(|a| dec2(a.trip.km)),
                nearest_with_space_id: r.nearest_with_space.and_then(|a| id(a.provision)),
                nearest_with_space_minutes: r.nearest_with_space.map(|a| dec2(a.trip.minutes)),
                current_rank: r.current_rank,
                extra_minutes: r.extra_minutes.map(dec2),
                moved_to: mv.and_then(|m| id(m.to)),
                new_minutes: mv.map(|m| dec2(m.after.minutes)),
                new_km: mv.map(|m| dec2(m.after.km)),
                not_moved_reason: r.not_moved.map(NotMoved::as_str),
                gbp_per_year_saved: mv.map(|m| dec2(m.total_gbp_saved())),
                current_placement_gbp: r.current_cost.placement_gbp.map(dec2),
                current_transport_gbp: r.current_cost.transport_gbp.map(dec2),
                placement_status: crate::model::status::PlacementStatus::Placed.as_str(),
                no_journey_reason: None,
                wheelchair: Some(u.travel.wheelchair),
                escort: Some(u.travel.escort),
                solo: Some(u.travel.solo),
                personal_budget_gbp: r.current_cost.personal_budget_gbp.map(dec2),
                travel_training_first_year_gbp: r
                    .current_cost
                    .travel_training_first_year_gbp
                    .map(dec2),
                travel_training_later_gbp: r.current_cost.travel_training_later_gbp.map(dec2),
            }
        })
        .collect()
}

/// `moves.csv` rows (internal only).
pub fn move_records(p: &Analysed) -> Vec<MoveRecord> {
    let provs = &p.scenario.provisions;
    p.analysis
        .moves
        .iter()
        .map(|m| {
            let u = &p.scenario.pupils[m.pupil];
            MoveRecord {
                pupil_id: u.id.clone(),
                need: u.need.code(),
                age: u.age,
                from_id: provs[m.from].id.clone(),
                from_kind: provs[m.from].kind.as_str(),
                to_id: provs[m.to].id.clone(),
                to_kind: provs[m.to].kind.as_str(),
                before_minutes: m.before.map(|b| dec2(b.minutes)),
                before_km: m.before.map(|b| dec2(b.km)),
                before_journey_source: m.before.as_ref().map(Trip::source),
                after_minutes: dec2(m.after.minutes),
                after_km: dec2(m.after.km),
                after_journey_source: m.after.source(),
                km_per_year_saved: dec2(m.km_per_year_saved),
                hours_per_year_saved: dec2(m.hours_per_year_saved),
                placement_gbp_saved: m.placement_gbp_saved.map(dec2),
                transport_gbp_saved: m.transport_gbp_saved.map(dec2),
                total_gbp_saved: dec2(m.total_gbp_saved()),
            }
        })
        .collect()
}

/// `candidates.csv` rows (internal only). `minutes` is exactly the assignment's cost
/// (centiminutes / 100).
pub fn candidate_records(p: &Analysed) -> Vec<CandidateRecord> {
    let provs = &p.scenario.provisions;
    p.analysis
        .candidates
        .iter()
        .map(|c| CandidateRecord {
            pupil_id: p.scenario.pupils[c.pupil].id.clone(),
            provision_id: provs[c.provision].id.clone(),
            minutes: dec2(c.trip.minutes),
            km: dec2(c.trip.km),
            journey_source: c.trip.source(),
            limit_minutes: dec2(p.analysis.pupils[c.pupil].limit_minutes),
            within_threshold: c.within_threshold,
            spare_places: provs[c.provision].spare_places().unwrap_or(0),
        })
        .collect()
}

/// Every layer × area × need row for an audience, in [`area_rows`] order.
pub fn area_records(agg: &Aggregates, audience: Audience) -> Vec<AreaRecord> {
    agg.rows
        .iter()
        .filter_map(|r| {
            let row = agg.grid.row(&r.layer, &r.area_id)?;
            let col = r.need;
            let f = agg.grid.figures(row, col, audience);
            Some(AreaRecord::new(
                &r.layer,
                &r.area_id,
                &r.area_name,
                col.code(),
                f,
            ))
        })
        .collect()
}

/// A feature with serde-struct properties.
pub fn feature<P: Serialize>(geometry: Option<Geometry>, id: Option<&str>, props: &P) -> Feature {
    let properties: Option<JsonObject> = match serde_json::to_value(props) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    };
    Feature {
        bbox: None,
        geometry,
        id: id.map(|s| geojson::feature::Id::String(s.to_string())),
        properties,
        foreign_members: None,
    }
}

/// A feature collection.
pub fn collection(features: Vec<Feature>) -> FeatureCollection {
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

fn point(p: LatLon) -> Geometry {
    Geometry::new(GeometryValue::Point {
        coordinates: Position::from([coord6(p.lon), coord6(p.lat)]),
    })
}

/// A polyline as GeoJSON (a single point is repeated so the line is valid).
pub fn line(pts: &[LatLon]) -> Geometry {
    let mut c: Vec<Position> = pts
        .iter()
        .map(|p| Position::from([coord6(p.lon), coord6(p.lat)]))
        .collect();
    if c.len() == 1 {
        c.push(c[0].clone());
    }
    Geometry::new(GeometryValue::LineString { coordinates: c })
}

/// Provisions as Point features for an audience (`provisions.geojson`,
/// `public/provisions.geojson`, `/api/provisions`).
pub fn provision_features(p: &Analysed, agg: &Aggregates, audience: Audience) -> FeatureCollection {
    let res = &p.analysis.provisions;
    let features = p
        .scenario
        .provisions
        .iter()
        .enumerate()
        .map(|(i, pr)| {
            let r = res.get(i);
            let on_roll = pick(&agg.provisions.on_roll, i, audience);
            let spare = match (pr.capacity, on_roll) {
                (Some(c), Some(n)) => Some(u64::from(c).saturating_sub(n)),
                _ => None,
            };
            let utilisation = match (pr.capacity, on_roll) {
                (Some(c), Some(n)) if c > 0 => Some(round_dp(100.0 * n as f64 / f64::from(c), 1)),
                _ => None,
            };
            let props = ProvisionProperties {
                id: pr.id.clone(),
                name: pr.name.clone(),
                kind: pr.kind.as_str(),
                needs: pr.needs.iter().map(|n| n.code()).collect(),
                age_min: pr.age_min,
                age_max: pr.age_max,
                capacity: pr.capacity,
                on_roll,
                spare_places: spare,
                utilisation_pct: utilisation,
                annual_cost_gbp: p.params.placement_cost(pr),
                in_area: r.is_some_and(|r| r.in_area),
                receiving: p.receiving.get(i).copied().unwrap_or(false),
                snap_m: r.and_then(|r| r.snap_m).map(dec1),
                placed: pick(&agg.provisions.placed, i, audience),
                moves_in: pick(&agg.provisions.moves_in, i, audience),
                moves_out: pick(&agg.provisions.moves_out, i, audience),
            };
            feature(Some(point(pr.location)), Some(&pr.id), &props)
        })
        .collect();
    collection(features)
}

/// Area polygons with their figures for one need column: every layer, or only `layer`.
pub fn area_features(
    p: &Analysed,
    agg: &Aggregates,
    layer: Option<usize>,
    col: NeedColumn,
    audience: Audience,
) -> FeatureCollection {
    let mut features = Vec::new();
    for (li, l) in p.scenario.area_layers.iter().enumerate() {
        if layer.is_some_and(|x| x != li) {
            continue;
        }
        for a in &l.areas {
            let f = agg
                .grid
                .row(&l.id, &a.id)
                .map(|row| agg.grid.figures(row, col, audience))
                .unwrap_or_else(|| agg.grid.figures(usize::MAX, col, audience));
            let rec = AreaRecord::new(&l.id, &a.id, &a.name, col.code(), f);
            let rounded = a.geometry.map_coords(|c| geo::Coord {
                x: coord6(c.x),
                y: coord6(c.y),
            });
            let geom = Geometry::new(GeometryValue::from(&rounded));
            features.push(feature(Some(geom), Some(&a.id), &rec));
        }
    }
    collection(features)
}

/// Current journeys as LineStrings (internal) for the pupils `keep` accepts, in the
/// analysis' pupil order: a routed journey along its road path, an estimated one as a
/// straight line from home to site (`journey_source` says which); pupils without a
/// journey are left out.
pub fn journey_features(
    p: &Analysed,
    routes: &[Option<Route>],
    keep: &dyn Fn(PupilIdx) -> bool,
) -> FeatureCollection {
    collection(journey_list(p, routes, keep, Page::ALL).0)
}

/// A slice of a list: `offset` items skipped, then at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Items skipped.
    pub offset: usize,
    /// Most items kept.
    pub limit: usize,
}

impl Page {
    /// The whole list.
    pub const ALL: Page = Page {
        offset: 0,
        limit: usize::MAX,
    };
}

/// One page of [`journey_features`]: the same features in the same order, `page.offset`
/// skipped and at most `page.limit` kept, so consecutive pages concatenate to the whole
/// list. The collection carries a [`PageRecord`] as foreign members (`total`, `offset`,
/// `limit`, `next_offset`).
pub fn journey_page(
    p: &Analysed,
    routes: &[Option<Route>],
    keep: &dyn Fn(PupilIdx) -> bool,
    page: Page,
) -> FeatureCollection {
    let (features, total) = journey_list(p, routes, keep, page);
    let end = page.offset.saturating_add(features.len());
    let record = PageRecord {
        total,
        offset: page.offset,
        limit: page.limit,
        next_offset: (end < total).then_some(end),
    };
    let mut fc = collection(features);
    fc.foreign_members = match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    };
    fc
}

/// Width of a [`JourneyTimes`] bin, minutes.
pub const JOURNEY_BIN_MINUTES: u32 = 5;
/// The last [`JourneyTimes`] bin holds every journey from this many minutes on.
pub const JOURNEY_LAST_BIN_FROM: u32 = 120;

/// The distribution of current one-way journey minutes per phase (officer: exact counts of
/// pupil-level figures, not disclosure-controlled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyTimes {
    /// Bin width, minutes ([`JOURNEY_BIN_MINUTES`]).
    pub bin_minutes: u32,
    /// The last bin's lower edge ([`JOURNEY_LAST_BIN_FROM`]): it holds every longer journey.
    pub last_bin_from: u32,
    /// Per phase (primary, secondary, post16), in that order.
    pub phases: Vec<PhaseTimes>,
}

/// One phase's journey minutes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseTimes {
    /// `primary`, `secondary` or `post16`.
    pub phase: &'static str,
    /// The guidance limit for the phase, minutes (primary's for primary, secondary's for
    /// secondary and post-16).
    pub guidance_minutes: f64,
    /// Journeys counted (routed and estimated).
    pub journeys: usize,
    /// Of those, estimated.
    pub estimated: usize,
    /// Of those, over the guidance limit (`long_journey`).
    pub over_guidance: usize,
    /// Journeys per bin: bin `k` holds minutes in `[5k, 5k + 5)`; the last from
    /// [`JOURNEY_LAST_BIN_FROM`] on.
    pub bins: Vec<usize>,
}

/// The kept pupils' current journeys (exactly those [`journey_page`] lists, with the same
/// minutes: the routed path's duration, or the estimate's) binned per phase.
pub fn journey_times(
    p: &Analysed,
    routes: &[Option<Route>],
    keep: &dyn Fn(PupilIdx) -> bool,
) -> JourneyTimes {
    let nb = (JOURNEY_LAST_BIN_FROM / JOURNEY_BIN_MINUTES) as usize + 1;
    let params = &p.params;
    let mut phases: Vec<PhaseTimes> = Phase::ALL
        .iter()
        .map(|ph| PhaseTimes {
            phase: ph.as_str(),
            guidance_minutes: match ph {
                Phase::Primary => params.primary_max_minutes,
                _ => params.secondary_max_minutes,
            },
            journeys: 0,
            estimated: 0,
            over_guidance: 0,
            bins: vec![0; nb],
        })
        .collect();
    let all = Page {
        offset: 0,
        limit: usize::MAX,
    };
    for (r, how) in journey_items(p, routes, keep, all).0 {
        let Some(u) = p.scenario.pupils.get(r.pupil.index()) else {
            continue;
        };
        let phase = Phase::of_age(u.age, params.primary_max_age);
        let Some(row) = phases.iter_mut().find(|x| x.phase == phase.as_str()) else {
            continue;
        };
        let bin = (how.minutes().max(0.0) / f64::from(JOURNEY_BIN_MINUTES)).floor() as usize;
        if let Some(n) = row.bins.get_mut(bin.min(nb - 1)) {
            *n += 1;
        }
        row.journeys += 1;
        row.estimated += usize::from(matches!(how, Drawn::Estimated { .. }));
        row.over_guidance += usize::from(r.long_journey);
    }
    JourneyTimes {
        bin_minutes: JOURNEY_BIN_MINUTES,
        last_bin_from: JOURNEY_LAST_BIN_FROM,
        phases,
    }
}

/// A current journey to draw: the routed path, or the estimated journey's straight line.
#[derive(Clone, Copy)]
enum Drawn<'a> {
    Routed(&'a Route),
    Estimated {
        home: LatLon,
        site: LatLon,
        trip: Trip,
    },
}

impl Drawn<'_> {
    /// The journey's one-way minutes: the routed path's duration, or the estimate's.
    fn minutes(self) -> f64 {
        match self {
            Drawn::Routed(route) => route.journey.duration_s / 60.0,
            Drawn::Estimated { trip, .. } => trip.minutes,
        }
    }
}

/// What pupil `r`'s current journey is drawn as, if it has one.
fn drawn<'a>(p: &Analysed, r: &PupilResult, route: Option<&'a Route>) -> Option<Drawn<'a>> {
    if let Some(route) = route {
        return Some(Drawn::Routed(route));
    }
    let trip = r.current.filter(|t| t.estimated)?;
    let site = p.scenario.provisions.get(r.placement?.index())?.location;
    let home = p.scenario.pupils.get(r.pupil.index())?.home;
    Some(Drawn::Estimated { home, site, trip })
}

/// The page of kept journeys (routed or estimated) as features, and how many there are in
/// all.
fn journey_list(
    p: &Analysed,
    routes: &[Option<Route>],
    keep: &dyn Fn(PupilIdx) -> bool,
    page: Page,
) -> (Vec<Feature>, usize) {
    let (items, total) = journey_items(p, routes, keep, page);
    // Lines are built in parallel (a city's are a hundred megabytes), in list order.
    let features = items
        .into_par_iter()
        .map(|(r, how)| {
            let (points, props) = journey_parts(p, r, how);
            feature(Some(line(&points)), None, &props)
        })
        .collect();
    (features, total)
}

/// The page of kept journeys (routed or estimated) and how many there are in all.
fn journey_items<'a>(
    p: &'a Analysed,
    routes: &'a [Option<Route>],
    keep: &dyn Fn(PupilIdx) -> bool,
    page: Page,
) -> (Vec<(&'a PupilResult, Drawn<'a>)>, usize) {
    let kept = || {
        p.analysis
            .pupils
            .iter()
            .filter(|r| keep(r.pupil))
            .filter_map(|r| {
                let route = routes.get(r.pupil.index()).and_then(Option::as_ref);
                Some((r, drawn(p, r, route)?))
            })
    };
    let total = kept().count();
    (kept().skip(page.offset).take(page.limit).collect(), total)
}

/// A journey's line (the routed path, or home to site) and its properties.
fn journey_parts<'a>(
    p: &Analysed,
    r: &PupilResult,
    how: Drawn<'a>,
) -> (std::borrow::Cow<'a, [LatLon]>, JourneyProperties) {
    let u = &p.scenario.pupils[r.pupil];
    let minutes = how.minutes();
    let (points, km, journey_source) = match how {
        Drawn::Routed(route) => (
            std::borrow::Cow::Borrowed(route.geometry.as_slice()),
            route.journey.distance_m / 1000.0,
            "routed",
        ),
        Drawn::Estimated { home, site, trip } => (
            std::borrow::Cow::Owned(vec![home, site]),
            trip.km,
            "estimated",
        ),
    };
    let props = JourneyProperties {
        visibility: "internal",
        pupil_id: u.id.clone(),
        need: u.need.code(),
        age: u.age,
        placement_id: r
            .placement
            .and_then(|i| p.scenario.provisions.get(i.index()))
            .map(|x| x.id.clone()),
        minutes: dec2(minutes),
        km: dec2(km),
        journey_source,
        out_of_area: r.out_of_area,
        long_journey: r.long_journey,
    };
    (points, props)
}

/// `journeys.geojson`: exactly the bytes of [`journey_features`] for every pupil, written
/// straight from the routes (each feature in parallel, coordinates formatted as serde_json
/// formats them) without building GeoJSON values first.
///
/// # Errors
/// When a feature's properties do not serialise.
pub fn journeys_geojson_bytes(
    p: &Analysed,
    routes: &[Option<Route>],
) -> Result<Vec<u8>, serde_json::Error> {
    let (items, _) = journey_items(p, routes, &|_| true, Page::ALL);
    let parts: Vec<Vec<u8>> = items
        .into_par_iter()
        .map(|(r, how)| {
            let (points, props) = journey_parts(p, r, how);
            line_feature_bytes(&points, &props)
        })
        .collect::<Result<_, _>>()?;
    Ok(collection_of(&parts, &[]))
}

/// A FeatureCollection from its encoded features, in order, and its encoded foreign
/// members (`,"key":value` each, or nothing), as serde_json writes the collection.
pub(crate) fn collection_of(features: &[Vec<u8>], members: &[u8]) -> Vec<u8> {
    let size = features.iter().map(|b| b.len() + 1).sum::<usize>() + members.len() + 48;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
    for (i, part) in features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(part);
    }
    out.push(b']');
    out.extend_from_slice(members);
    out.push(b'}');
    out
}

/// One LineString feature without an id, as the geojson crate serialises
/// `feature(Some(line(points)), None, props)`.
fn line_feature_bytes<T: Serialize>(
    points: &[LatLon],
    props: &T,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(points.len() * 24 + 256);
    out.extend_from_slice(br#"{"type":"Feature","geometry":{"type":"LineString","coordinates":["#);
    // A single point is repeated so the line is valid, as [`line`] does.
    let twice;
    let pts = match points {
        [only] => {
            twice = [*only, *only];
            &twice[..]
        }
        _ => points,
    };
    for (i, q) in pts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        serde_json::to_writer(&mut out, &coord6(q.lon))?;
        out.push(b',');
        serde_json::to_writer(&mut out, &coord6(q.lat))?;
        out.push(b']');
    }
    out.extend_from_slice(br#"]},"properties":"#);
    // Through a JSON object, as a Feature's properties are (keys in its order).
    serde_json::to_writer(&mut out, &serde_json::to_value(props)?)?;
    out.push(b'}');
    Ok(out)
}

/// Bring-back moves as LineStrings along the routed path (internal); a move whose route is
/// missing has no geometry.
pub fn move_features(p: &Analysed, routes: &[Option<Route>]) -> FeatureCollection {
    let provs = &p.scenario.provisions;
    let features = p
        .analysis
        .moves
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let u = &p.scenario.pupils[m.pupil];
            let trip = |t: Option<Trip>| (t.map(|t| dec2(t.minutes)), t.map(|t| dec2(t.km)));
            let (before_minutes, before_km) = trip(m.before);
            let before_journey_source = m.before.as_ref().map(Trip::source);
            let props = MoveProperties {
                visibility: "internal",
                pupil_id: u.id.clone(),
                need: u.need.code(),
                age: u.age,
                from_id: provs[m.from].id.clone(),
                to_id: provs[m.to].id.clone(),
                to_name: provs[m.to].name.clone(),
                before_minutes,
                before_km,
                before_journey_source,
                after_minutes: dec2(m.after.minutes),
                after_km: dec2(m.after.km),
                after_journey_source: m.after.source(),
                km_per_year_saved: dec2(m.km_per_year_saved),
                hours_per_year_saved: dec2(m.hours_per_year_saved),
                placement_gbp_saved: m.placement_gbp_saved.map(dec2),
                transport_gbp_saved: m.transport_gbp_saved.map(dec2),
                gbp_per_year_saved: dec2(m.total_gbp_saved()),
            };
            let geom = routes
                .get(mi)
                .and_then(Option::as_ref)
                .map(|r| line(&r.geometry));
            feature(geom, None, &props)
        })
        .collect();
    collection(features)
}

fn not_moved(a: &Analysis, audience: Audience) -> BTreeMap<&'static str, Option<u64>> {
    let counts: Vec<u64> = NotMoved::ALL
        .iter()
        .map(|&reason| {
            a.pupils
                .iter()
                .filter(|r| r.not_moved == Some(reason))
                .count() as u64
        })
        .collect();
    let shown: Vec<Option<u64>> = match audience {
        Audience::Internal => counts.iter().copied().map(Some).collect(),
        Audience::Public => suppress_list(&counts).0,
    };
    NotMoved::ALL
        .iter()
        .map(|r| r.as_str())
        .zip(shown)
        .collect()
}

fn count(n: usize, audience: Audience) -> Option<u64> {
    match audience {
        Audience::Internal => Some(n as u64),
        Audience::Public => public_count(n as u64),
    }
}

/// Why an estimate-only run attempts no bring-back (`bring_back.skipped`).
pub const BRING_BACK_SKIPPED: &str = "no road network: a bring-back chooses between local \
    places minutes apart and tests each against the pupil's journey limit, which needs routed \
    journeys; estimates at one assumed speed cannot make that choice";

fn bring_back(p: &Analysed, agg: &Aggregates, audience: Audience) -> BringBackRecord {
    let a = &p.analysis;
    let optimal_moved = match audience {
        Audience::Internal => Some(a.optimal.moved as u64),
        Audience::Public => agg.grid.public(Measure::Moves, TOTAL_ROW, NeedColumn::All),
    };
    let greedy_moved = count(a.greedy.moved, audience);
    let minutes = |moved: Option<u64>, total: f64| match audience {
        Audience::Internal => Some(dec2(total)),
        Audience::Public => public_derived(Derived::Minutes, Some(total), moved.is_some()),
    };
    BringBackRecord {
        optimal: SolverRecord {
            moved: optimal_moved,
            total_minutes: minutes(optimal_moved, a.optimal.total_minutes),
        },
        greedy: SolverRecord {
            moved: greedy_moved,
            total_minutes: minutes(greedy_moved, a.greedy.total_minutes),
        },
        extra_pupils_vs_greedy: match (optimal_moved, greedy_moved) {
            (Some(o), Some(g)) => Some(o as i64 - g as i64),
            _ => None,
        },
        not_moved: not_moved(a, audience),
        skipped: p.roads.missing().map(|_| BRING_BACK_SKIPPED),
    }
}

/// The road network's load summary.
fn network_record(n: &crate::query::route::Network) -> NetworkRecord {
    let s = n.graph.summary();
    NetworkRecord {
        ways_read: s.read.ways_read,
        drivable_ways: s.read.drivable_ways,
        junctions: s.nodes_kept,
        edges: s.edges_kept,
        road_km: round_dp(s.road_km, 1),
        components_dropped: s.components_dropped,
    }
}

/// The headline figures for an audience (`summary.json`, `public/summary.json`,
/// `/api/summary`). `data_quality` is the loading report's errors and warnings.
pub fn summary(
    p: &Analysed,
    agg: &Aggregates,
    data_quality: DataQuality,
    audience: Audience,
) -> Summary {
    let a = &p.analysis;
    let by_need = Need::ALL
        .iter()
        .map(|&n| NeedFigures {
            need: n.code(),
            figures: agg.grid.figures(TOTAL_ROW, NeedColumn::One(n), audience),
        })
        .collect();
    Summary {
        scenario: p.scenario.config.name.clone(),
        visibility: audience.as_str(),
        disclosure: match audience {
            Audience::Internal => "internal: exact figures, officers only",
            Audience::Public => {
                "public: counts 1-9 suppressed (null), others rounded to 5, secondary \
                 suppression; derived figures shown only with their counts and rounded \
                 (GBP 1,000, km 100, hours 10, minutes 1, percent 1)"
            }
        },
        roads: p.roads.describe(),
        network: p.network.as_ref().map(network_record),
        assumptions: p.params.clone(),
        speeds: p.network.as_ref().map(|n| SpeedsRecord {
            profile: n.speeds.name(),
            factors: n.speeds.factors(),
        }),
        current_costs_by_kind: costs_by_kind(p, audience),
        provisions: p.scenario.provisions.len(),
        provisions_unknown_capacity: a.unknown_capacity,
        journeys: journey_counts(p, audience),
        cohort: crate::output::cohort::cohort_record(p, audience),
        transport_options: transport_options(p, audience),
        journey_estimates: journey_estimates(p, audience),
        overall: agg.grid.figures(TOTAL_ROW, NeedColumn::All, audience),
        by_need,
        bring_back: bring_back(p, agg, audience),
        data_quality,
    }
}

/// A list of counts for an audience: exact, or suppressed as a list with its total.
fn counts_for(audience: Audience, counts: &[u64]) -> Vec<Option<u64>> {
    match audience {
        Audience::Internal => counts.iter().map(|&n| Some(n)).collect(),
        Audience::Public => crate::output::disclosure::suppress_list(counts).0,
    }
}

/// Money resting on a count for an audience: exact to the penny, or rounded and shown only
/// with its count.
pub(crate) fn money_for(audience: Audience, x: f64, count: Option<u64>) -> Option<f64> {
    match audience {
        Audience::Internal => Some(dec2(x)),
        Audience::Public => crate::output::disclosure::public_derived(
            crate::output::disclosure::Derived::Gbp,
            Some(x),
            count.is_some(),
        ),
    }
}

/// Personal budgets and travel training for the pupils on council vehicles they could suit.
/// Public: the two counts suppressed as a list, money only with its count.
fn transport_options(
    p: &Analysed,
    audience: Audience,
) -> Vec<crate::output::records::TransportOptionRecord> {
    type Pick = fn(&crate::analyse::placement::CurrentCost) -> (Option<f64>, Option<f64>);
    let options: [(&str, &str, Pick); 2] = [
        (
            "personal_budget",
            "every pupil on a taxi or minibus with a journey: the family is paid the personal_budget rate per km",
            |c| (c.personal_budget_gbp, c.personal_budget_gbp),
        ),
        (
            "travel_training",
            "pupils on a taxi or minibus of secondary or post-16 age, without a wheelchair, escort or solo travel, not PMLD, SLD or MSI: training (costs.travel_training_gbp) then the travel_training rate per km",
            |c| (c.travel_training_first_year_gbp, c.travel_training_later_gbp),
        ),
    ];
    let mut counts = Vec::new();
    let mut sums = Vec::new();
    for (_, _, pick) in &options {
        let (mut n, mut now, mut first, mut later) = (0u64, 0.0, 0.0, 0.0);
        for r in &p.analysis.pupils {
            let (f, l) = pick(&r.current_cost);
            if let (Some(f), Some(l)) = (f, l) {
                n += 1;
                first += f;
                later += l;
                now += r.current_cost.transport_gbp.unwrap_or(0.0);
            }
        }
        counts.push(n);
        sums.push((now, first, later));
    }
    let shown = counts_for(audience, &counts);
    let money = |x: f64, count: Option<u64>| money_for(audience, x, count);
    options
        .iter()
        .zip(shown.iter().zip(&sums))
        .map(|((option, rule, _), (&n, &(now, first, later)))| {
            crate::output::records::TransportOptionRecord {
                option,
                eligible_rule: rule,
                eligible: n,
                current_transport_gbp: money(now, n),
                first_year_gbp: money(first, n),
                later_years_gbp: money(later, n),
            }
        })
        .collect()
}

/// Today's costs by kind of current placement. Public: the three counts of each kind go
/// through primary and secondary suppression as lists with their totals (the overall
/// figures), and money is shown, rounded, only with its count.
fn costs_by_kind(p: &Analysed, audience: Audience) -> Vec<KindCostRecord> {
    let kinds = crate::model::ProvisionKind::ALL;
    let mut pupils = vec![0u64; kinds.len()];
    let (mut placed_n, mut placed_gbp) = (vec![0u64; kinds.len()], vec![0f64; kinds.len()]);
    let (mut moved_n, mut moved_gbp) = (vec![0u64; kinds.len()], vec![0f64; kinds.len()]);
    for r in &p.analysis.pupils {
        let Some(kind) = r
            .placement
            .and_then(|pi| p.scenario.provisions.get(pi.index()))
            .map(|x| x.kind)
        else {
            continue;
        };
        let Some(k) = kinds.iter().position(|x| *x == kind) else {
            continue;
        };
        pupils[k] += 1;
        if let Some(g) = r.current_cost.placement_gbp {
            placed_n[k] += 1;
            placed_gbp[k] += g;
        }
        if let Some(g) = r.current_cost.transport_gbp {
            moved_n[k] += 1;
            moved_gbp[k] += g;
        }
    }
    let shown = |counts: &[u64]| counts_for(audience, counts);
    let money = |x: f64, count: Option<u64>| money_for(audience, x, count);
    let (pupils_s, placed_s, moved_s) = (shown(&pupils), shown(&placed_n), shown(&moved_n));
    kinds
        .iter()
        .enumerate()
        // Public lists every kind, so a row's presence says nothing about small counts.
        .filter(|(k, _)| matches!(audience, Audience::Public) || pupils[*k] > 0)
        .map(|(k, kind)| KindCostRecord {
            kind: kind.as_str(),
            pupils: pupils_s[k],
            placement_costed: placed_s[k],
            current_placement_gbp: money(placed_gbp[k], placed_s[k]),
            transport_costed: moved_s[k],
            current_transport_gbp: money(moved_gbp[k], moved_s[k]),
        })
        .collect()
}

/// The figures of one area cell (used by the what-if and tests).
pub fn cell(
    agg: &Aggregates,
    layer: &str,
    area: &str,
    col: NeedColumn,
    audience: Audience,
) -> Option<CellFigures> {
    let row = agg.grid.row(layer, area)?;
    Some(agg.grid.figures(row, col, audience))
}

/// A route as a Feature (`/api/route`).
pub fn route_feature(route: &Route, from_snap_m: f64, to_snap_m: f64) -> Feature {
    let props = crate::output::records::RouteProperties {
        minutes: dec2(route.journey.duration_s / 60.0),
        km: dec2(route.journey.distance_m / 1000.0),
        from_snap_m: dec1(from_snap_m),
        to_snap_m: dec1(to_snap_m),
    };
    feature(Some(line(&route.geometry)), None, &props)
}

/// A catchment as a Polygon Feature (`/api/catchment`).
pub fn catchment_feature(
    c: &crate::query::catchment::Catchment,
    provision: &crate::model::Provision,
    minutes: u32,
) -> Feature {
    let rounded = c.polygon.map_coords(|p| geo::Coord {
        x: coord6(p.x),
        y: coord6(p.y),
    });
    let props = crate::output::records::CatchmentProperties {
        provision_id: provision.id.clone(),
        provision_name: provision.name.clone(),
        minutes,
        junctions_reached: c.junctions_reached,
        hull: c.hull.as_str(),
    };
    feature(
        Some(Geometry::new(GeometryValue::from(&rounded))),
        None,
        &props,
    )
}
