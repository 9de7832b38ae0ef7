//! Adapter: write an analysis to a folder of CSV, JSON and GeoJSON files.
//!
//! Pupil-level files (`pupils.csv`, `moves.csv`, `candidates.csv`, `journeys.geojson`,
//! `moves.geojson`) are INTERNAL: pseudonymous ids, for authorised officers only. The
//! `public/` sub-folder holds aggregates with small counts suppressed (see
//! [`crate::output::disclosure`]). Every column and property is documented in `docs/outputs.md`.
//! Minutes are written with 2 decimals, km with 3, £ with 2; coordinates with 6.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::analyse::placement::{route_geometries, Inputs};
use crate::analyse::summary::{area_rows, not_moved_counts, overall, AreaRow, GroupStats};
use crate::app::Prepared;
use crate::model::LatLon;
use crate::output::disclosure::{public_count, suppress_table};
use crate::query::route::Route;

fn f2(v: f64) -> String {
    format!("{v:.2}")
}
fn f3(v: f64) -> String {
    format!("{v:.3}")
}
fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_default()
}
fn r6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
fn coords(pts: &[LatLon]) -> Vec<[f64; 2]> {
    let mut c: Vec<[f64; 2]> = pts.iter().map(|p| [r6(p.lon), r6(p.lat)]).collect();
    if c.len() == 1 {
        c.push(c[0]);
    }
    c
}

/// Write every output into `dir` (created if needed). Returns the file names written.
pub fn write_all(p: &Prepared, dir: &Path, with_geometry: bool) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir.join("public"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| -> Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push(name.to_string());
        Ok(())
    };
    put("pupils.csv", pupils_csv(p)?)?;
    put("moves.csv", moves_csv(p)?)?;
    put("candidates.csv", candidates_csv(p)?)?;
    let rows = area_rows(
        &p.analysis,
        &p.scenario.pupils,
        &p.scenario.provisions,
        &p.receiving,
        &p.layers,
    );
    put("areas.csv", areas_csv(&rows, false)?)?;
    put("public/areas.csv", areas_csv(&rows, true)?)?;
    put(
        "summary.json",
        serde_json::to_vec_pretty(&summary_json(p, false))?,
    )?;
    put(
        "public/summary.json",
        serde_json::to_vec_pretty(&summary_json(p, true))?,
    )?;
    put(
        "provisions.geojson",
        serde_json::to_vec(&provisions_geojson(p))?,
    )?;
    put(
        "areas.geojson",
        serde_json::to_vec(&areas_geojson(p, &rows))?,
    )?;
    if with_geometry {
        let inputs = Inputs {
            network: &p.network,
            provisions: &p.scenario.provisions,
            pupils: &p.scenario.pupils,
            in_area: &|q| p.scenario.boundary.contains(q),
            params: &p.params,
        };
        let (journeys, moves) = route_geometries(&inputs, &p.analysis);
        put(
            "moves.geojson",
            serde_json::to_vec(&moves_geojson(p, &moves))?,
        )?;
        put(
            "journeys.geojson",
            serde_json::to_vec(&journeys_geojson(p, &journeys))?,
        )?;
    }
    put("README.txt", readme_txt().into_bytes())?;
    Ok(written)
}

fn readme_txt() -> String {
    "nearhome analysis outputs\n\
     INTERNAL (pupil-level, pseudonymous ids; authorised officers only): pupils.csv, moves.csv,\n\
     candidates.csv, journeys.geojson, moves.geojson, areas.csv, summary.json.\n\
     PUBLIC (counts below 10 suppressed, others rounded to 5, secondary suppression): public/.\n\
     Columns and units: docs/outputs.md in the nearhome repository.\n"
        .to_string()
}

fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.into_inner().context("finishing CSV")
}

/// `pupils.csv`: one row per pupil with every figure.
pub fn pupils_csv(p: &Prepared) -> Result<Vec<u8>> {
    let provs = &p.scenario.provisions;
    let pid = |i: Option<usize>| opt(i, |i| provs[i].id.clone());
    let rows = p
        .analysis
        .pupils
        .iter()
        .map(|r| {
            let u = &p.scenario.pupils[r.pupil];
            let mv = r.moved.map(|m| &p.analysis.moves[m]);
            vec![
                u.id.clone(),
                u.age.to_string(),
                if u.age <= p.params.primary_max_age {
                    "primary"
                } else {
                    "secondary"
                }
                .into(),
                u.need.code().into(),
                u.placement_id.clone(),
                opt(r.placement, |i| provs[i].kind.as_str().to_string()),
                r.out_of_area.to_string(),
                opt(r.home_snap.as_ref().ok(), |s| f3(s.distance_m)),
                r.home_snap
                    .as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
                opt(r.placement_snap_m, f3),
                opt(r.current, |c| c.estimated.to_string()),
                opt(r.current, |c| f2(c.minutes)),
                opt(r.current, |c| f3(c.km)),
                f2(r.limit_minutes),
                r.long_journey.to_string(),
                r.suitable.len().to_string(),
                pid(r.nearest.map(|a| a.provision)),
                opt(r.nearest, |a| f2(a.trip.minutes)),
                opt(r.nearest, |a| f3(a.trip.km)),
                pid(r.nearest_with_space.map(|a| a.provision)),
                opt(r.nearest_with_space, |a| f2(a.trip.minutes)),
                opt(r.current_rank, |k| k.to_string()),
                opt(r.extra_minutes, f2),
                opt(mv, |m| provs[m.to].id.clone()),
                opt(mv, |m| f2(m.after.minutes)),
                opt(mv, |m| f3(m.after.km)),
                opt(r.not_moved, |n| n.as_str().to_string()),
                opt(mv, |m| f2(m.total_gbp_saved())),
            ]
        })
        .collect();
    csv_bytes(
        &[
            "pupil_id",
            "age",
            "phase",
            "need",
            "placement_id",
            "placement_kind",
            "out_of_area",
            "home_snap_m",
            "home_unsnappable",
            "placement_snap_m",
            "estimated",
            "current_minutes",
            "current_km",
            "limit_minutes",
            "long_journey",
            "suitable_count",
            "nearest_id",
            "nearest_minutes",
            "nearest_km",
            "nearest_with_space_id",
            "nearest_with_space_minutes",
            "current_rank",
            "extra_minutes",
            "moved_to",
            "new_minutes",
            "new_km",
            "not_moved_reason",
            "gbp_per_year_saved",
        ],
        rows,
    )
}

/// `moves.csv`: the optimal bring-back moves.
pub fn moves_csv(p: &Prepared) -> Result<Vec<u8>> {
    let provs = &p.scenario.provisions;
    let rows = p
        .analysis
        .moves
        .iter()
        .map(|m| {
            let u = &p.scenario.pupils[m.pupil];
            vec![
                u.id.clone(),
                u.need.code().into(),
                u.age.to_string(),
                provs[m.from].id.clone(),
                provs[m.from].kind.as_str().into(),
                provs[m.to].id.clone(),
                provs[m.to].kind.as_str().into(),
                opt(m.before, |b| f2(b.minutes)),
                opt(m.before, |b| f3(b.km)),
                opt(m.before, |b| b.estimated.to_string()),
                f2(m.after.minutes),
                f3(m.after.km),
                f2(m.km_per_year_saved),
                f2(m.hours_per_year_saved),
                opt(m.placement_gbp_saved, f2),
                opt(m.transport_gbp_saved, f2),
                f2(m.total_gbp_saved()),
            ]
        })
        .collect();
    csv_bytes(
        &[
            "pupil_id",
            "need",
            "age",
            "from_id",
            "from_kind",
            "to_id",
            "to_kind",
            "before_minutes",
            "before_km",
            "before_estimated",
            "after_minutes",
            "after_km",
            "km_per_year_saved",
            "hours_per_year_saved",
            "placement_gbp_saved",
            "transport_gbp_saved",
            "total_gbp_saved",
        ],
        rows,
    )
}

/// `candidates.csv`: every out-of-area pupil x suitable in-area provision with spare places.
/// `spare_places` repeats the provision's capacity for the assignment so that an independent
/// solver can re-solve from this file alone.
pub fn candidates_csv(p: &Prepared) -> Result<Vec<u8>> {
    let provs = &p.scenario.provisions;
    let rows = p
        .analysis
        .candidates
        .iter()
        .map(|c| {
            let u = &p.scenario.pupils[c.pupil];
            vec![
                u.id.clone(),
                provs[c.provision].id.clone(),
                f2(c.trip.minutes),
                f3(c.trip.km),
                f2(p.analysis.pupils[c.pupil].limit_minutes),
                c.within_threshold.to_string(),
                provs[c.provision].spare_places().unwrap_or(0).to_string(),
            ]
        })
        .collect();
    csv_bytes(
        &[
            "pupil_id",
            "provision_id",
            "minutes",
            "km",
            "limit_minutes",
            "within_threshold",
            "spare_places",
        ],
        rows,
    )
}

fn stats_cells(s: &GroupStats) -> Vec<String> {
    vec![
        s.pupils.to_string(),
        s.out_of_area.to_string(),
        s.long_journeys.to_string(),
        opt(s.median_minutes, f2),
        opt(s.p90_minutes, f2),
        s.local_spare_places.to_string(),
        s.bring_back_candidates.to_string(),
        s.moves.to_string(),
        f2(s.km_per_year_saved),
        f2(s.hours_per_year_saved),
        f2(s.placement_gbp_saved),
        f2(s.transport_gbp_saved),
    ]
}

const AREA_HEADER: [&str; 16] = [
    "layer",
    "area_id",
    "area_name",
    "need",
    "pupils",
    "out_of_area",
    "long_journeys",
    "median_minutes",
    "p90_minutes",
    "local_spare_places",
    "bring_back_candidates",
    "moves",
    "km_per_year_saved",
    "hours_per_year_saved",
    "placement_gbp_saved",
    "transport_gbp_saved",
];

/// `areas.csv` (internal) or `public/areas.csv` (counts suppressed, money and journey
/// figures blanked where the pupil count is suppressed).
pub fn areas_csv(rows: &[AreaRow], public: bool) -> Result<Vec<u8>> {
    let counts: Vec<[u64; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.stats.pupils as u64,
                r.stats.out_of_area as u64,
                r.stats.long_journeys as u64,
                r.stats.bring_back_candidates as u64,
                r.stats.moves as u64,
            ]
        })
        .collect();
    let shown = if public {
        Some(public_area_counts(rows, &counts))
    } else {
        None
    };
    let out = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![
                r.layer.clone(),
                r.area_id.clone(),
                r.area_name.clone(),
                r.need.clone(),
            ];
            let mut s = stats_cells(&r.stats);
            if let Some(shown) = &shown {
                let show = |v: Option<u64>| v.map_or("suppressed".to_string(), |n| n.to_string());
                s[0] = show(shown[i][0]);
                s[1] = show(shown[i][1]);
                s[2] = show(shown[i][2]);
                s[6] = show(shown[i][3]);
                s[7] = show(shown[i][4]);
                if shown[i][0].is_none() || r.stats.pupils < 10 {
                    // Percentiles and savings of a tiny group describe individuals.
                    for k in [3, 4, 8, 9, 10, 11] {
                        s[k] = "suppressed".into();
                    }
                }
            }
            cells.extend(s);
            cells
        })
        .collect();
    csv_bytes(&AREA_HEADER, out)
}

/// Suppress the count columns: each (layer, area) row of needs + ALL is a line, and each
/// (layer, need) column across areas is a line (their totals are published elsewhere).
fn public_area_counts(rows: &[AreaRow], counts: &[[u64; 5]]) -> Vec<[Option<u64>; 5]> {
    let mut out = vec![[None; 5]; rows.len()];
    for k in 0..5 {
        let cells: Vec<Vec<u64>> = counts.iter().map(|c| vec![c[k]]).collect();
        let mut lines: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            lines
                .entry(("a".into(), format!("{}\u{1}{}", r.layer, r.area_id)))
                .or_default()
                .push((i, 0));
            lines
                .entry(("n".into(), format!("{}\u{1}{}", r.layer, r.need)))
                .or_default()
                .push((i, 0));
        }
        let lines: Vec<Vec<(usize, usize)>> = lines.into_values().collect();
        let shown = suppress_table(&cells, &lines);
        for (i, v) in shown.into_iter().enumerate() {
            out[i][k] = v.first().copied().flatten();
        }
    }
    out
}

fn stats_json(s: &GroupStats, public: bool) -> Value {
    if !public {
        return serde_json::to_value(s).unwrap_or(Value::Null);
    }
    let c = |n: usize| json!(public_count(n as u64));
    let small = s.pupils < 10;
    let money = |v: f64| {
        if small {
            Value::Null
        } else {
            json!((v * 100.0).round() / 100.0)
        }
    };
    json!({
        "pupils": c(s.pupils),
        "out_of_area": c(s.out_of_area),
        "long_journeys": c(s.long_journeys),
        "median_minutes": if small { Value::Null } else { json!(s.median_minutes) },
        "p90_minutes": if small { Value::Null } else { json!(s.p90_minutes) },
        "local_spare_places": s.local_spare_places,
        "bring_back_candidates": c(s.bring_back_candidates),
        "moves": c(s.moves),
        "km_per_year_saved": money(s.km_per_year_saved),
        "hours_per_year_saved": money(s.hours_per_year_saved),
        "placement_gbp_saved": money(s.placement_gbp_saved),
        "transport_gbp_saved": money(s.transport_gbp_saved),
    })
}

/// `summary.json`: headline figures, assumptions, data quality, by need.
pub fn summary_json(p: &Prepared, public: bool) -> Value {
    let a = &p.analysis;
    let (total, per_need) = overall(a, &p.scenario.pupils, &p.scenario.provisions, &p.receiving);
    let c = |n: usize| {
        if public {
            json!(public_count(n as u64))
        } else {
            json!(n)
        }
    };
    let unsnappable = a.pupils.iter().filter(|r| r.home_snap.is_err()).count();
    let estimated = a
        .pupils
        .iter()
        .filter(|r| r.current.is_some_and(|t| t.estimated))
        .count();
    let unrouted = a
        .pupils
        .iter()
        .filter(|r| r.current.is_none() && r.home_snap.is_ok())
        .count();
    let saved = |f: &dyn Fn(&crate::analyse::placement::Move) -> f64| -> f64 {
        let v: f64 = a.moves.iter().map(f).sum();
        (v * 100.0).round() / 100.0
    };
    let not_moved: BTreeMap<String, Value> = not_moved_counts(a)
        .into_iter()
        .map(|(k, v)| (k, c(v)))
        .collect();
    let by_need: BTreeMap<String, Value> = per_need
        .iter()
        .map(|(k, s)| (k.clone(), stats_json(s, public)))
        .collect();
    let s = p.network.graph.summary();
    json!({
        "scenario": p.scenario.config.name,
        "visibility": if public { "public: counts below 10 suppressed (null), others rounded to 5" } else { "internal" },
        "network": {
            "ways_read": s.read.ways_read,
            "drivable_ways": s.read.drivable_ways,
            "junctions": s.nodes_kept,
            "edges": s.edges_kept,
            "road_km": (s.road_km * 10.0).round() / 10.0,
            "components_dropped": s.components_dropped,
        },
        "assumptions": p.params,
        "pupils": c(p.scenario.pupils.len()),
        "provisions": p.scenario.provisions.len(),
        "provisions_unknown_capacity": a.unknown_capacity,
        "homes_unsnappable": c(unsnappable),
        "journeys_estimated": c(estimated),
        "journeys_unrouted": c(unrouted),
        "out_of_area": c(total.out_of_area),
        "long_journeys": c(total.long_journeys),
        "bring_back": {
            "candidates": c(total.bring_back_candidates),
            "moved_optimal": c(a.optimal.moved),
            "total_minutes_optimal": if public { Value::Null } else { json!(a.optimal.total_minutes) },
            "moved_greedy": c(a.greedy.moved),
            "total_minutes_greedy": if public { Value::Null } else { json!(a.greedy.total_minutes) },
            "extra_pupils_vs_greedy": if public { Value::Null } else { json!(a.optimal.moved as i64 - a.greedy.moved as i64) },
            "not_moved": not_moved,
        },
        "savings_per_year": {
            "km": saved(&|m| m.km_per_year_saved),
            "hours": saved(&|m| m.hours_per_year_saved),
            "placement_gbp": saved(&|m| m.placement_gbp_saved.unwrap_or(0.0)),
            "transport_gbp": saved(&|m| m.transport_gbp_saved.unwrap_or(0.0)),
            "total_gbp": saved(&|m| m.total_gbp_saved()),
        },
        "median_minutes": if public && total.pupils < 10 { Value::Null } else { json!(total.median_minutes) },
        "p90_minutes": if public && total.pupils < 10 { Value::Null } else { json!(total.p90_minutes) },
        "by_need": by_need,
        "data_quality": {
            "errors": p.report.count(crate::load::table::Severity::Error),
            "warnings": p.report.count(crate::load::table::Severity::Warning),
        },
    })
}

/// `provisions.geojson`: sites with capacity and utilisation (public: no pupil detail).
pub fn provisions_geojson(p: &Prepared) -> Value {
    let features: Vec<Value> = p
        .analysis
        .provisions
        .iter()
        .map(|r| {
            let pr = &p.scenario.provisions[r.provision];
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r6(pr.location.lon), r6(pr.location.lat)]},
                "properties": {
                    "id": pr.id, "name": pr.name, "kind": pr.kind.as_str(),
                    "needs": pr.needs.iter().map(|n| n.code()).collect::<Vec<_>>(),
                    "age_min": pr.age_min, "age_max": pr.age_max,
                    "capacity": pr.capacity, "on_roll": pr.on_roll,
                    "spare_places": r.spare_before,
                    "utilisation": pr.capacity.filter(|c| *c > 0).map(|c| f64::from(pr.on_roll) / f64::from(c)),
                    "in_area": r.in_area, "receiving": p.receiving[r.provision],
                    "snap_m": r.snap_m,
                    "moves_in": r.moves_in,
                }
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// `areas.geojson`: every layer's areas with the ALL-needs figures (internal counts).
pub fn areas_geojson(p: &Prepared, rows: &[AreaRow]) -> Value {
    let mut by: BTreeMap<(&str, &str), &AreaRow> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.need == "ALL") {
        by.insert((r.layer.as_str(), r.area_id.as_str()), r);
    }
    let mut features = Vec::new();
    for layer in &p.scenario.area_layers {
        for a in &layer.areas {
            let geom = geojson::Geometry::from(&a.geometry);
            let mut props = serde_json::Map::new();
            props.insert("layer".into(), json!(layer.id));
            props.insert("id".into(), json!(a.id));
            props.insert("name".into(), json!(a.name));
            if let Some(r) = by.get(&(layer.id.as_str(), a.id.as_str())) {
                if let Value::Object(m) = stats_json(&r.stats, false) {
                    props.extend(m);
                }
            }
            features.push(json!({"type": "Feature", "geometry": geom, "properties": props}));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// `moves.geojson`: each move's new journey along the routed road path (internal).
pub fn moves_geojson(p: &Prepared, routes: &[Option<Route>]) -> Value {
    let provs = &p.scenario.provisions;
    let features: Vec<Value> = p
        .analysis
        .moves
        .iter()
        .zip(routes)
        .filter_map(|(m, r)| {
            let r = r.as_ref()?;
            Some(json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords(&r.geometry)},
                "properties": {
                    "visibility": "internal",
                    "pupil_id": p.scenario.pupils[m.pupil].id,
                    "need": p.scenario.pupils[m.pupil].need.code(),
                    "from_id": provs[m.from].id, "to_id": provs[m.to].id,
                    "before_minutes": m.before.map(|b| b.minutes),
                    "after_minutes": m.after.minutes, "after_km": m.after.km,
                    "total_gbp_saved": m.total_gbp_saved(),
                }
            }))
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// `journeys.geojson`: every routed current journey (internal, pupil-level).
pub fn journeys_geojson(p: &Prepared, routes: &[Option<Route>]) -> Value {
    let provs = &p.scenario.provisions;
    let features: Vec<Value> = p
        .analysis
        .pupils
        .iter()
        .zip(routes)
        .filter_map(|(r, route)| {
            let route = route.as_ref()?;
            let u = &p.scenario.pupils[r.pupil];
            Some(json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords(&route.geometry)},
                "properties": {
                    "visibility": "internal",
                    "pupil_id": u.id, "need": u.need.code(), "age": u.age,
                    "placement_id": r.placement.map(|i| provs[i].id.clone()),
                    "minutes": route.journey.duration_s / 60.0,
                    "km": route.journey.distance_m / 1000.0,
                    "out_of_area": r.out_of_area, "long_journey": r.long_journey,
                }
            }))
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}
