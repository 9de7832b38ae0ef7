//! The `nearhome transport` outputs: `runs.csv` (every stop of every run), `runs.geojson`
//! (route lines and stops), `summary.json` (the plan against its baselines, every
//! assumption) and `report.md` for officers; `public/summary.json` with the aggregates an
//! anonymous reader may see (counts through [`crate::output::disclosure`], money only with
//! its count). Columns: `docs/outputs.md`.

use std::collections::BTreeMap;
use std::path::Path;

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, Position};
use rayon::prelude::*;
use serde::Serialize;

use crate::analyse::runs::{PlannedRun, RunKind, RunRequest, SchoolRuns, TransportPlan};
use crate::analyse::Analysed;
use crate::index::snap::Snap;
use crate::model::fleet::FleetConfig;
use crate::model::LatLon;
use crate::output::disclosure::{public_count, suppress_list, Audience};
use crate::output::records::{coord6, dec2};
use crate::output::tables::feature;
use crate::query::route::Metric;

/// The rule by which a run is priced, as printed in every summary.
pub const PRICING_RULE: &str = "a run costs its vehicle type's gbp_per_day, plus gbp_per_mile for the miles from the first stop to school driven twice (the afternoon run priced as the morning one), plus escort_gbp_per_day when a pupil on it needs an escort; the drive from the operator's base is not priced; a year is school_days_per_year days";

/// A run with its id and school, in output order.
struct Listed<'a> {
    id: String,
    school: &'a SchoolRuns,
    run: &'a PlannedRun,
}

/// One school's runs in output order: the longest runs first, ties by the first pupil's id.
/// The `k`-th (from 1) is run `SCHOOL_ID/k` of `runs.csv`, `runs.geojson` and `/api/runs`
/// (and `run` `k` of the `runs` vector tiles).
pub fn school_runs_in_order<'a>(a: &Analysed, s: &'a SchoolRuns) -> Vec<&'a PlannedRun> {
    let mut runs: Vec<&PlannedRun> = s.runs.iter().collect();
    let first_id = |r: &PlannedRun| {
        r.pupils
            .first()
            .and_then(|&u| a.scenario.pupils.get(u))
            .map_or(String::new(), |p| p.id.clone())
    };
    runs.sort_by(|x, y| {
        y.figures
            .seconds
            .total_cmp(&x.figures.seconds)
            .then_with(|| first_id(x).cmp(&first_id(y)))
    });
    runs
}

/// A run's path, from its first pupil's home through each pupil's in pick-up order to the
/// school at `school`: each leg along the roads (the fastest route, as the plan times it,
/// between the stops' points on the road) where both ends snapped to the network and a
/// route exists, else straight from the previous point to the stop (a home off the
/// extract, or no network at all). It starts at the first home and ends at the school's
/// site. Empty for a run with no pupil in the scenario.
pub fn run_path(a: &Analysed, run: &PlannedRun, school: LatLon) -> Vec<LatLon> {
    let snap_of = |u: usize| a.analysis.pupils.get(u)?.home_snap.snap().copied();
    let mut stops: Vec<(LatLon, Option<Snap>)> = run
        .pupils
        .iter()
        .filter_map(|&u| Some((a.scenario.pupils.get(u)?.home, snap_of(u))))
        .collect();
    if stops.is_empty() {
        return Vec::new();
    }
    let net = a.network.as_ref();
    let school_snap = net.and_then(|n| n.snap(school, a.params.max_snap_m).ok());
    stops.push((school, school_snap));
    let mut path = vec![stops[0].0];
    for w in stops.windows(2) {
        let routed = match (net, &w[0].1, &w[1].1) {
            (Some(n), Some(from), Some(to)) => n.route(from, to, Metric::Time),
            _ => None,
        };
        match routed {
            Some(r) => {
                let skip = usize::from(r.geometry.first() == path.last());
                path.extend(r.geometry.iter().skip(skip).copied());
            }
            None => path.push(w[1].0),
        }
    }
    // From the last road point to the school's own site (its snap is on the road outside).
    if path.last() != Some(&school) {
        path.push(school);
    }
    path
}

/// Runs in output order: schools in scenario order; per school as
/// [`school_runs_in_order`]. Ids are `SCHOOL_ID/NNN`.
fn listed<'a>(a: &Analysed, plan: &'a TransportPlan) -> Vec<Listed<'a>> {
    let mut out = Vec::new();
    for s in &plan.schools {
        let runs = school_runs_in_order(a, s);
        let school_id = a
            .scenario
            .provisions
            .get(s.school)
            .map_or("", |p| p.id.as_str());
        for (k, run) in runs.into_iter().enumerate() {
            out.push(Listed {
                id: format!("{school_id}/{:03}", k + 1),
                school: s,
                run,
            });
        }
    }
    out
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `minutes` after midnight as `HH:MM` (wrapping past midnight).
fn clock(minutes: f64) -> String {
    let m = minutes.round().rem_euclid(24.0 * 60.0) as u32;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn vehicle_name(fleet: &FleetConfig, run: &PlannedRun) -> String {
    run.figures
        .vehicle
        .and_then(|v| fleet.vehicles.get(v))
        .map_or(String::new(), |v| v.name.clone())
}

/// `runs.csv`: one row per stop.
fn runs_csv(a: &Analysed, runs: &[Listed]) -> Result<String, csv::Error> {
    let fleet = &a.scenario.config.fleet;
    let arrive = f64::from(fleet.arrive_by_minutes().unwrap_or(8 * 60 + 45));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "run_id",
        "school_id",
        "school_name",
        "kind",
        "vehicle",
        "escort",
        "stop",
        "pupil_id",
        "wheelchair",
        "pickup",
        "minutes_on_board",
        "limit_minutes",
        "over_limit",
        "boarding_minutes",
        "leg_minutes",
        "leg_km",
        "run_pupils",
        "run_minutes",
        "run_km",
        "run_gbp_per_day",
    ])?;
    for l in runs {
        let school = a.scenario.provisions.get(l.school.school);
        let f = &l.run.figures;
        for (k, &u) in l.run.pupils.iter().enumerate() {
            let Some(rider) = l.school.riders.iter().find(|r| r.pupil == u) else {
                continue;
            };
            let on = f.on_board_s.get(k).copied().unwrap_or(0.0);
            let (leg_s, leg_m) = f.legs.get(k).copied().unwrap_or((0.0, 0.0));
            let pickup = arrive - (on + rider.board_s) / 60.0;
            w.write_record([
                l.id.clone(),
                school.map_or(String::new(), |p| p.id.clone()),
                school.map_or(String::new(), |p| p.name.clone()),
                l.run.kind.as_str().to_string(),
                vehicle_name(fleet, l.run),
                yes(f.escort).to_string(),
                (k + 1).to_string(),
                a.scenario
                    .pupils
                    .get(u)
                    .map_or(String::new(), |p| p.id.clone()),
                yes(rider.wheelchair).to_string(),
                clock(pickup),
                format!("{:.2}", on / 60.0),
                format!("{:.0}", rider.limit_s / 60.0),
                yes(on > rider.limit_s + 1e-6).to_string(),
                format!("{:.1}", rider.board_s / 60.0),
                format!("{:.2}", leg_s / 60.0),
                format!("{:.3}", leg_m / 1000.0),
                l.run.pupils.len().to_string(),
                format!("{:.2}", f.seconds / 60.0),
                format!("{:.3}", f.metres / 1000.0),
                format!("{:.2}", f.gbp_per_day),
            ])?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `runs.geojson`: per run a LineString along the roads from the first stop to school, and
/// a Point per stop (officers only: stops are pupils' homes).
fn runs_geojson(a: &Analysed, runs: &[Listed]) -> FeatureCollection {
    let fleet = &a.scenario.config.fleet;
    let features: Vec<Vec<Feature>> = runs
        .par_iter()
        .map(|l| {
            let f = &l.run.figures;
            let school = a.scenario.provisions.get(l.school.school);
            let line: Vec<Position> = school
                .map(|s| run_path(a, l.run, s.location))
                .unwrap_or_default()
                .iter()
                .map(|p| Position::from([coord6(p.lon), coord6(p.lat)]))
                .collect();
            let mut props = JsonObject::new();
            props.insert("run_id".into(), l.id.clone().into());
            props.insert(
                "school_id".into(),
                school.map_or(String::new(), |p| p.id.clone()).into(),
            );
            props.insert("kind".into(), l.run.kind.as_str().into());
            props.insert("vehicle".into(), vehicle_name(fleet, l.run).into());
            props.insert("escort".into(), f.escort.into());
            props.insert("pupils".into(), l.run.pupils.len().into());
            props.insert("minutes".into(), dec2(f.seconds / 60.0).into());
            props.insert("km".into(), dec2(f.metres / 1000.0).into());
            props.insert("gbp_per_day".into(), dec2(f.gbp_per_day).into());
            let geometry = (line.len() > 1)
                .then(|| Geometry::new(GeometryValue::LineString { coordinates: line }));
            let mut out = vec![feature(geometry, Some(&l.id), &props)];
            for (k, &u) in l.run.pupils.iter().enumerate() {
                let Some(p) = a.scenario.pupils.get(u) else {
                    continue;
                };
                let mut props = JsonObject::new();
                props.insert("run_id".into(), l.id.clone().into());
                props.insert("stop".into(), (k + 1).into());
                props.insert("pupil_id".into(), p.id.clone().into());
                let on = f.on_board_s.get(k).copied().unwrap_or(0.0);
                props.insert("minutes_on_board".into(), dec2(on / 60.0).into());
                let at = Position::from([coord6(p.home.lon), coord6(p.home.lat)]);
                let point = Geometry::new(GeometryValue::Point { coordinates: at });
                out.push(feature(Some(point), None, &props));
            }
            out
        })
        .collect();
    crate::output::tables::collection(features.into_iter().flatten().collect())
}

/// `runs.geojson` for one school (scenario index): its runs' lines and stops.
pub fn school_geojson(a: &Analysed, plan: &TransportPlan, school: usize) -> FeatureCollection {
    let runs: Vec<Listed> = listed(a, plan)
        .into_iter()
        .filter(|l| l.school.school == school)
        .collect();
    runs_geojson(a, &runs)
}

/// £ a day and a year.
#[derive(Debug, Clone, Serialize)]
pub struct Price {
    /// Runs (vehicles a day).
    pub runs: usize,
    /// £ a school day.
    pub gbp_per_day: f64,
    /// £ a year.
    pub gbp_per_year: f64,
}

fn price(runs: usize, gbp_per_day: f64, days: f64) -> Price {
    Price {
        runs,
        gbp_per_day: dec2(gbp_per_day),
        gbp_per_year: dec2(gbp_per_day * days),
    }
}

/// One school in the officers' summary.
#[derive(Debug, Clone, Serialize)]
pub struct SchoolRecord {
    /// Provision id.
    pub id: String,
    /// Provision name.
    pub name: String,
    /// Pupils planned.
    pub pupils: usize,
    /// The plan.
    pub plan: Price,
    /// Every pupil a vehicle of their own.
    pub solo_vehicles: Price,
    /// Nearest-first runs.
    pub greedy: Price,
    /// Pupils whose direct journey is over their limit.
    pub over_guidance: usize,
    /// Pupils who must travel alone.
    pub solo: usize,
    /// The search.
    pub search: Option<crate::analyse::runs::search::SearchStats>,
}

/// The officers' `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TransportSummary {
    /// Scenario name.
    pub scenario: String,
    /// Search settings.
    pub request: RunRequest,
    /// Pupils planned (on a council taxi or minibus with a journey).
    pub pupils_planned: usize,
    /// Pupils left out, by reason.
    pub not_planned: crate::analyse::runs::NotPlanned,
    /// The plan.
    pub plan: Price,
    /// Runs per vehicle type.
    pub vehicles_by_type: BTreeMap<String, usize>,
    /// Runs with an escort.
    pub escorts: usize,
    /// £ a year per pupil planned.
    pub gbp_per_pupil_per_year: Option<f64>,
    /// Pupils whose direct journey is already over their limit (direct runs, flagged).
    pub pupils_over_guidance: usize,
    /// Pupils travelling alone because they must.
    pub pupils_solo: usize,
    /// Baseline: every pupil a vehicle of their own from the fleet.
    pub solo_vehicles: Price,
    /// Baseline: nearest-first runs.
    pub greedy: Price,
    /// Today's per-km costing of the same pupils (the analysis's simple estimate), £ a
    /// year, as far as known.
    pub per_km_estimate_gbp_per_year: f64,
    /// Planned pupils without a per-km figure.
    pub per_km_estimate_missing: usize,
    /// Schools whose search stopped on its time budget (results may vary run to run).
    pub schools_stopped_by_time: usize,
    /// Seconds: road matrices, search.
    pub seconds: BTreeMap<String, f64>,
    /// How runs are priced.
    pub pricing_rule: String,
    /// The fleet used.
    pub fleet: FleetConfig,
    /// School days a year.
    pub school_days_per_year: f64,
    /// The bring-back's moves re-costed on runs (`null` when not worked out, as in the
    /// service).
    pub bring_back_on_runs: Option<crate::analyse::runs::MovesOnRuns>,
    /// Per school.
    pub schools: Vec<SchoolRecord>,
}

/// The officers' summary of `plan` (with the bring-back re-costed on runs, when given).
pub fn summary(
    a: &Analysed,
    plan: &TransportPlan,
    bring_back: Option<crate::analyse::runs::MovesOnRuns>,
) -> TransportSummary {
    let days = a.params.costs.school_days_per_year;
    let fleet = &a.scenario.config.fleet;
    let runs: Vec<&PlannedRun> = plan.schools.iter().flat_map(|s| &s.runs).collect();
    let pupils_planned: usize = runs.iter().map(|r| r.pupils.len()).sum();
    let count = |k: RunKind| runs.iter().filter(|r| r.kind == k).count();
    let gbp_day: f64 = plan.schools.iter().map(SchoolRuns::gbp_per_day).sum();
    let mut vehicles_by_type = BTreeMap::new();
    for r in &runs {
        *vehicles_by_type.entry(vehicle_name(fleet, r)).or_insert(0) += 1;
    }
    let planned: Vec<usize> = runs.iter().flat_map(|r| r.pupils.iter().copied()).collect();
    let per_km: Vec<Option<f64>> = planned
        .iter()
        .map(|&u| {
            a.analysis
                .pupils
                .get(u)
                .and_then(|r| r.current_cost.transport_gbp)
        })
        .collect();
    let schools = plan
        .schools
        .iter()
        .map(|s| {
            let p = a.scenario.provisions.get(s.school);
            let kind = |k: RunKind| s.runs.iter().filter(|r| r.kind == k).count();
            SchoolRecord {
                id: p.map_or(String::new(), |p| p.id.clone()),
                name: p.map_or(String::new(), |p| p.name.clone()),
                pupils: s.runs.iter().map(|r| r.pupils.len()).sum(),
                plan: price(s.runs.len(), s.gbp_per_day(), days),
                solo_vehicles: price(s.riders.len() - s.uncarried, s.solo_gbp_per_day, days),
                greedy: price(s.greedy_runs, s.greedy_gbp_per_day, days),
                over_guidance: kind(RunKind::OverGuidance),
                solo: kind(RunKind::Solo),
                search: s.search.clone(),
            }
        })
        .collect();
    TransportSummary {
        scenario: a.scenario.config.name.clone(),
        request: plan.request,
        pupils_planned,
        not_planned: plan.not_planned.clone(),
        plan: price(runs.len(), gbp_day, days),
        vehicles_by_type,
        escorts: runs.iter().filter(|r| r.figures.escort).count(),
        gbp_per_pupil_per_year: (pupils_planned > 0)
            .then(|| dec2(gbp_day * days / pupils_planned as f64)),
        pupils_over_guidance: count(RunKind::OverGuidance),
        pupils_solo: count(RunKind::Solo),
        solo_vehicles: price(
            pupils_planned,
            plan.schools.iter().map(|s| s.solo_gbp_per_day).sum(),
            days,
        ),
        greedy: price(
            plan.schools.iter().map(|s| s.greedy_runs).sum(),
            plan.schools.iter().map(|s| s.greedy_gbp_per_day).sum(),
            days,
        ),
        per_km_estimate_gbp_per_year: dec2(per_km.iter().flatten().sum()),
        per_km_estimate_missing: per_km.iter().filter(|x| x.is_none()).count(),
        schools_stopped_by_time: plan
            .schools
            .iter()
            .filter(|s| s.search.as_ref().is_some_and(|x| x.stopped_by_time))
            .count(),
        seconds: BTreeMap::from([
            ("matrices".to_string(), dec2(plan.matrix_seconds)),
            ("search".to_string(), dec2(plan.search_seconds)),
        ]),
        pricing_rule: PRICING_RULE.to_string(),
        fleet: fleet.clone(),
        school_days_per_year: days,
        bring_back_on_runs: bring_back,
        schools,
    }
}

/// One area in the public summary (pupils by home; money as each pupil's equal share of
/// their run; vehicles by the school's site).
#[derive(Debug, Clone, Serialize)]
pub struct PublicArea {
    /// Area layer id.
    pub layer: String,
    /// Area id.
    pub area_id: String,
    /// Area name.
    pub name: String,
    /// Pupils planned living in the area (suppressed with the other areas as a list).
    pub pupils: Option<u64>,
    /// Their share of the runs' cost, £ a year (only with the count).
    pub gbp_per_year: Option<f64>,
    /// Runs to schools sited in the area (rounded like a count; hidden when 1–9).
    pub vehicles: Option<u64>,
}

/// `public/summary.json`: what an anonymous reader may see.
#[derive(Debug, Clone, Serialize)]
pub struct PublicTransportSummary {
    /// Scenario name.
    pub scenario: String,
    /// Pupils planned.
    pub pupils_planned: Option<u64>,
    /// Vehicles a day (only with the pupils' count).
    pub vehicles: Option<u64>,
    /// The plan, £ a year.
    pub gbp_per_year: Option<f64>,
    /// Every pupil a vehicle of their own, £ a year.
    pub solo_vehicles_gbp_per_year: Option<f64>,
    /// Nearest-first runs, £ a year.
    pub greedy_gbp_per_year: Option<f64>,
    /// Per area of the first layer.
    pub areas: Vec<PublicArea>,
    /// How the figures were made safe.
    pub disclosure: String,
}

/// The public summary: totals and the first area layer, through the disclosure rules.
pub fn public_summary(
    a: &Analysed,
    s: &TransportSummary,
    plan: &TransportPlan,
) -> PublicTransportSummary {
    let total = public_count(s.pupils_planned as u64);
    let money =
        |x: f64, count: Option<u64>| crate::output::tables::money_for(Audience::Public, x, count);
    let areas = a.layers.first().map_or_else(Vec::new, |layer| {
        let n = layer.areas.len();
        let (mut pupils, mut gbp, mut vehicles) = (vec![0u64; n], vec![0.0; n], vec![0u64; n]);
        for sr in &plan.schools {
            for run in &sr.runs {
                let share = run.figures.gbp_per_day / run.pupils.len().max(1) as f64;
                for &u in &run.pupils {
                    if let Some(k) = layer.pupil_area.get(u).copied().flatten() {
                        pupils[k] += 1;
                        gbp[k] += share * s.school_days_per_year;
                    }
                }
                if let Some(k) = layer.provision_area.get(sr.school).copied().flatten() {
                    vehicles[k] += 1;
                }
            }
        }
        let (shown, _) = suppress_list(&pupils);
        layer
            .areas
            .iter()
            .enumerate()
            .map(|(k, (id, name))| PublicArea {
                layer: layer.layer.clone(),
                area_id: id.clone(),
                name: name.clone(),
                pupils: shown[k],
                gbp_per_year: money(gbp[k], shown[k]),
                vehicles: shown[k].and(public_count(vehicles[k])),
            })
            .collect()
    });
    PublicTransportSummary {
        scenario: s.scenario.clone(),
        pupils_planned: total,
        vehicles: total.and(public_count(s.plan.runs as u64)),
        gbp_per_year: money(s.plan.gbp_per_year, total),
        solo_vehicles_gbp_per_year: money(s.solo_vehicles.gbp_per_year, total),
        greedy_gbp_per_year: money(s.greedy.gbp_per_year, total),
        areas,
        disclosure: "pupil counts 1-9 suppressed and others rounded to 5, with secondary suppression across areas; money rounded to £1,000 and shown only with its count; vehicles rounded like a count and shown only with the pupils' count".into(),
    }
}

fn report_md(s: &TransportSummary) -> String {
    let pounds = |x: f64| crate::output::planning::gbp(x);
    let mut out = format!(
        "# Home-to-school runs: {}\n\n{} pupils on council vehicles planned into {} runs: {} a day, {} a year ({} per pupil).\n\n",
        s.scenario,
        s.pupils_planned,
        s.plan.runs,
        pounds(s.plan.gbp_per_day),
        pounds(s.plan.gbp_per_year),
        s.gbp_per_pupil_per_year.map_or("n/a".into(), pounds),
    );
    out.push_str("| costing | runs | £ a day | £ a year |\n|---|---:|---:|---:|\n");
    for (name, p) in [
        ("planned shared runs", &s.plan),
        ("every pupil a vehicle of their own", &s.solo_vehicles),
        ("nearest-first runs (greedy)", &s.greedy),
    ] {
        out.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            p.runs,
            pounds(p.gbp_per_day),
            pounds(p.gbp_per_year)
        ));
    }
    out.push_str(&format!(
        "| today's per-km estimate | | | {} |\n\n",
        pounds(s.per_km_estimate_gbp_per_year)
    ));
    out.push_str(&format!(
        "{} pupils' direct journey is already over the guidance (direct runs, flagged); {} must travel alone. Not planned: {} on other arrangements, {} without a journey, {} no vehicle can carry.\n\nPricing: {}.\n",
        s.pupils_over_guidance,
        s.pupils_solo,
        s.not_planned.other_arrangement,
        s.not_planned.no_journey,
        s.not_planned.no_vehicle,
        PRICING_RULE
    ));
    if let Some(b) = &s.bring_back_on_runs {
        out.push_str(&format!(
            "\n## The bring-back on runs\n\nThe analysis's optimal moves bring back {} pupils on council vehicles. Planning again the runs of the {} schools they change ({} runs before, {} after): {} a year before, {} after, **{} a year saved** on what the council would buy. The simple per-km estimate of the same moves' transport saving is {}.{}\n",
            b.moves,
            b.schools_replanned,
            b.runs_before,
            b.runs_after,
            pounds(b.gbp_per_year_before),
            pounds(b.gbp_per_year_after),
            pounds(b.gbp_per_year_saved),
            pounds(b.per_km_estimate_saved_gbp_per_year),
            if b.before_per_km_pupils > 0 {
                format!(" For {} moved pupils whose current journey is not routed, their per-km cost stands in on the before side.", b.before_per_km_pupils)
            } else {
                String::new()
            }
        ));
    }
    if s.schools_stopped_by_time > 0 {
        out.push_str(&format!(
            "\n{} schools' searches stopped on the time budget before their iteration budget: their runs may differ between runs of the command.\n",
            s.schools_stopped_by_time
        ));
    }
    out
}

/// Every output file of `plan`, as `(name, bytes)`.
///
/// # Errors
/// A CSV or JSON encoding error, with the file's name.
pub fn render(
    a: &Analysed,
    plan: &TransportPlan,
    s: &TransportSummary,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let runs = listed(a, plan);
    let public = public_summary(a, s, plan);
    Ok(vec![
        (
            "runs.csv".into(),
            runs_csv(a, &runs)
                .map_err(|e| format!("runs.csv: {e}"))?
                .into_bytes(),
        ),
        (
            "runs.geojson".into(),
            serde_json::to_vec(&runs_geojson(a, &runs))
                .map_err(|e| format!("runs.geojson: {e}"))?,
        ),
        (
            "summary.json".into(),
            serde_json::to_vec_pretty(s).map_err(|e| format!("summary.json: {e}"))?,
        ),
        (
            "public/summary.json".into(),
            serde_json::to_vec_pretty(&public).map_err(|e| format!("public/summary.json: {e}"))?,
        ),
        ("report.md".into(), report_md(s).into_bytes()),
    ])
}

/// Write every output of `plan` into `dir`, all or nothing
/// ([`crate::output::folder::publish_folder`]). Returns the names written.
///
/// # Errors
/// A message naming the file or the folder.
pub fn write_all(
    a: &Analysed,
    plan: &TransportPlan,
    summary: &TransportSummary,
    dir: &Path,
    inputs: Vec<(String, String)>,
) -> Result<Vec<String>, String> {
    let files = render(a, plan, summary)?;
    crate::output::folder::publish_folder(dir, files, "transport", inputs)
        .map_err(|e| format!("{}: {e}", dir.display()))
}
