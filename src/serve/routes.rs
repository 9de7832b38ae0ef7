//! Read-only endpoints: health, scenario, GeoJSON layers, tables and CSV downloads.
//!
//! Every public figure derived from pupils goes through [`crate::output::tables`]; pupil-level
//! endpoints call [`Caller::require_officer`] first. No handler logs query values.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo::{ConcaveHull, ConvexHull, MultiPoint, MultiPolygon, Point};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::analyse::placement::Trip;
use crate::analyse::summary::not_moved_counts;
use crate::load::table::Severity;
use crate::model::{LatLon, Need};
use crate::output::disclosure::public_count;
use crate::output::tables::{need_col, round_to, suppress_list, Disclosure, Measure, TOTAL_ROW};
use crate::query::route::Metric;
use crate::serve::auth::{Caller, Role};
use crate::serve::basemap::r5;
use crate::serve::error::ApiError;
use crate::serve::state::AppState;

/// Largest catchment, minutes.
pub const MAX_CATCHMENT_MIN: u32 = 120;

/// A public count where 0 stays 0 (nothing to protect) and 1..=9 is suppressed.
pub fn pub_count(n: u64) -> Option<u64> {
    if n == 0 {
        Some(0)
    } else {
        public_count(n)
    }
}

/// A count as the role may see it.
fn count_for(role: Role, n: u64) -> Value {
    match role {
        Role::Officer => json!(n),
        Role::Public => json!(pub_count(n)),
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn parse_need(s: Option<&str>) -> Result<Option<Need>, ApiError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(x) if x.eq_ignore_ascii_case("ALL") => Ok(None),
        Some(x) => Need::ALL
            .iter()
            .find(|n| n.code().eq_ignore_ascii_case(x))
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "query parameter `need`: unknown need code (expected ALL or one of {})",
                    Need::ALL.map(|n| n.code()).join(", ")
                ))
            }),
    }
}

/// The layer index for a `layer` parameter (default: the first layer).
fn layer_index(state: &AppState, layer: Option<&str>) -> Result<usize, ApiError> {
    let layers = &state.prepared().scenario.area_layers;
    if layers.is_empty() {
        return Err(ApiError::NotFound(
            "this scenario has no area layers".into(),
        ));
    }
    match layer.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(0),
        Some(id) => layers.iter().position(|l| l.id == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "query parameter `layer`: no such layer (layers: {})",
                layers
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }),
    }
}

fn multipolygon_coords(mp: &MultiPolygon<f64>) -> Value {
    let ring = |r: &geo::LineString<f64>| -> Vec<[f64; 2]> {
        r.coords().map(|c| [r5(c.x), r5(c.y)]).collect()
    };
    Value::Array(
        mp.0.iter()
            .map(|poly| {
                let mut rings = vec![ring(poly.exterior())];
                rings.extend(poly.interiors().iter().map(ring));
                json!(rings)
            })
            .collect(),
    )
}

fn line_coords(pts: &[LatLon]) -> Value {
    json!(pts
        .iter()
        .map(|p| [r5(p.lon), r5(p.lat)])
        .collect::<Vec<_>>())
}

fn feature_collection(features: Vec<Value>) -> Json<Value> {
    Json(json!({"type": "FeatureCollection", "features": features}))
}

/// Figures of one grid cell as the role may see them.
pub fn stats_json(d: &Disclosure, row: usize, col: usize, role: Role) -> Map<String, Value> {
    let mut m = Map::new();
    let Some(s) = d.exact(row, col) else {
        return m;
    };
    let gbp = s.placement_gbp_saved + s.transport_gbp_saved;
    match role {
        Role::Officer => {
            for measure in Measure::ALL {
                m.insert(measure.name().into(), json!(measure.of(s)));
            }
            m.insert("median_minutes".into(), json!(s.median_minutes.map(round1)));
            m.insert("p90_minutes".into(), json!(s.p90_minutes.map(round1)));
            m.insert("local_spare_places".into(), json!(s.local_spare_places));
            m.insert(
                "km_per_year_saved".into(),
                json!(round1(s.km_per_year_saved)),
            );
            m.insert(
                "hours_per_year_saved".into(),
                json!(round1(s.hours_per_year_saved)),
            );
            m.insert(
                "placement_gbp_saved".into(),
                json!(s.placement_gbp_saved.round()),
            );
            m.insert(
                "transport_gbp_saved".into(),
                json!(s.transport_gbp_saved.round()),
            );
            m.insert("gbp_per_year_saved".into(), json!(gbp.round()));
        }
        Role::Public => {
            for measure in Measure::ALL {
                m.insert(measure.name().into(), json!(d.public(measure, row, col)));
            }
            let journeys_ok = s.pupils >= 10 && d.public(Measure::Pupils, row, col).is_some();
            let pct = |x: Option<f64>| x.filter(|_| journeys_ok).map(round1);
            m.insert("median_minutes".into(), json!(pct(s.median_minutes)));
            m.insert("p90_minutes".into(), json!(pct(s.p90_minutes)));
            m.insert("local_spare_places".into(), json!(s.local_spare_places));
            let moves_ok = d.public(Measure::Moves, row, col).is_some();
            let money = |x: f64, step: f64| moves_ok.then(|| round_to(x, step));
            m.insert(
                "km_per_year_saved".into(),
                json!(money(s.km_per_year_saved, 100.0)),
            );
            m.insert(
                "hours_per_year_saved".into(),
                json!(money(s.hours_per_year_saved, 10.0)),
            );
            m.insert(
                "placement_gbp_saved".into(),
                json!(money(s.placement_gbp_saved, 1000.0)),
            );
            m.insert(
                "transport_gbp_saved".into(),
                json!(money(s.transport_gbp_saved, 1000.0)),
            );
            m.insert("gbp_per_year_saved".into(), json!(money(gbp, 1000.0)));
        }
    }
    let rate = match role {
        Role::Officer => (s.pupils > 0).then(|| 100.0 * s.out_of_area as f64 / s.pupils as f64),
        Role::Public => match (
            d.public(Measure::OutOfArea, row, col),
            d.public(Measure::Pupils, row, col),
        ) {
            (Some(o), Some(p)) if p > 0 => Some(100.0 * o as f64 / p as f64),
            _ => None,
        },
    };
    m.insert("out_of_area_pct".into(), json!(rate.map(round1)));
    m
}

/// `GET /api/health`.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "scenario": state.prepared().scenario.config.name}))
}

/// `GET /api/scenario`: what is loaded, the assumptions and data-quality counts.
pub async fn scenario(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let p = state.prepared();
    let cfg = &p.scenario.config;
    let role = caller.role;
    let pupil_files: Vec<&str> = p
        .report
        .files
        .iter()
        .filter(|f| f.role == "pupils")
        .map(|f| f.file.as_str())
        .collect();
    let files: Vec<Value> = p
        .report
        .files
        .iter()
        .map(|f| {
            let c = |n: usize| {
                if f.role == "pupils" {
                    count_for(role, n as u64)
                } else {
                    json!(n)
                }
            };
            json!({
                "role": f.role,
                "file": f.file,
                "read": f.read.map(&c),
                "accepted": c(f.accepted),
                "rejected": c(f.rejected),
            })
        })
        .collect();
    let mut issues: BTreeMap<(String, &'static str, bool), u64> = BTreeMap::new();
    for i in &p.report.issues {
        let sev = match i.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            _ => "info",
        };
        let about_pupils = pupil_files.contains(&i.file.as_str());
        *issues
            .entry((i.kind.label().to_string(), sev, about_pupils))
            .or_default() += 1;
    }
    let issues: Vec<Value> = issues
        .into_iter()
        .map(|((kind, sev, about_pupils), n)| {
            json!({
                "kind": kind,
                "severity": sev,
                "about_pupils": about_pupils,
                "count": if about_pupils { count_for(role, n) } else { json!(n) },
            })
        })
        .collect();
    let layers: Vec<Value> = p
        .scenario
        .area_layers
        .iter()
        .map(|l| json!({"id": l.id, "name": l.name, "areas": l.len()}))
        .collect();
    let bbox = p.network.graph.bbox();
    Json(json!({
        "name": cfg.name,
        "description": cfg.description,
        "la_code": cfg.la_code,
        "role": role,
        "network": p.network.graph.summary(),
        "bbox": bbox.map(r5),
        "files": files,
        "pupils": count_for(role, p.scenario.pupils.len() as u64),
        "provisions": p.scenario.provisions.len(),
        "layers": layers,
        "needs": Need::ALL.map(|n| n.code()),
        "thresholds": {
            "primary_max_age": p.params.primary_max_age,
            "primary_max_minutes": p.params.primary_max_minutes,
            "secondary_max_minutes": p.params.secondary_max_minutes,
            "max_snap_m": p.params.max_snap_m,
        },
        "params": p.params,
        "data_quality": {
            "errors": p.report.count(Severity::Error),
            "warnings": p.report.count(Severity::Warning),
            "unknown_capacity": p.report.unknown_capacity,
            "issues": issues,
        },
        "privacy": {
            "min_public_count": crate::output::disclosure::MIN_PUBLIC_COUNT,
            "round_to": crate::output::disclosure::ROUND_TO,
        },
    }))
}

/// `GET /api/provisions`: one Point per provision.
pub async fn provisions(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let p = state.prepared();
    let res = &p.analysis.provisions;
    let placed: Vec<u64> = res.iter().map(|r| r.placed as u64).collect();
    let moves_in: Vec<u64> = res.iter().map(|r| r.moves_in as u64).collect();
    let moves_out: Vec<u64> = res.iter().map(|r| r.moves_out as u64).collect();
    let (pub_placed, _) = suppress_list(&placed);
    let (pub_in, _) = suppress_list(&moves_in);
    let (pub_out, _) = suppress_list(&moves_out);
    let features = p
        .scenario
        .provisions
        .iter()
        .enumerate()
        .map(|(i, pr)| {
            let pick = |exact: &[u64], public: &[Option<u64>]| match caller.role {
                Role::Officer => json!(exact.get(i)),
                Role::Public => json!(public.get(i).copied().flatten()),
            };
            let r = res.get(i);
            json!({
                "type": "Feature",
                "id": pr.id,
                "geometry": {"type": "Point", "coordinates": [r5(pr.location.lon), r5(pr.location.lat)]},
                "properties": {
                    "id": pr.id,
                    "name": pr.name,
                    "kind": pr.kind.as_str(),
                    "needs": pr.needs.iter().map(|n| n.code()).collect::<Vec<_>>(),
                    "age_min": pr.age_min,
                    "age_max": pr.age_max,
                    "capacity": pr.capacity,
                    "on_roll": pr.on_roll,
                    "spare": pr.spare_places(),
                    "annual_cost_gbp": p.params.placement_cost(pr),
                    "in_area": r.map(|r| r.in_area),
                    "receiving": p.receiving.get(i).copied().unwrap_or(false),
                    "snap_m": r.and_then(|r| r.snap_m).map(round1),
                    "placed": pick(&placed, &pub_placed),
                    "moves_in": pick(&moves_in, &pub_in),
                    "moves_out": pick(&moves_out, &pub_out),
                },
            })
        })
        .collect();
    feature_collection(features)
}

/// Query of `/api/areas`.
#[derive(Debug, Deserialize)]
pub struct AreasQuery {
    /// Layer id (default: the first layer).
    pub layer: Option<String>,
    /// Need code or `ALL` (default).
    pub need: Option<String>,
    /// `/api/demand?layer=hex` only: hexagon size (centre to corner), metres (default 1000).
    pub hex_m: Option<f64>,
}

fn area_features(
    state: &AppState,
    layer: Option<&str>,
    need: Option<Need>,
    role: Role,
    demand_only: bool,
) -> Result<Json<Value>, ApiError> {
    let li = layer_index(state, layer)?;
    let p = state.prepared();
    let layer = &p.scenario.area_layers[li];
    let d = state.disclosure();
    let col = need_col(need);
    let mut features = Vec::with_capacity(layer.len());
    for area in &layer.areas {
        let mut props = Map::new();
        props.insert("layer".into(), json!(layer.id));
        props.insert("area_id".into(), json!(area.id));
        props.insert("area_name".into(), json!(area.name));
        props.insert("need".into(), json!(need.map_or("ALL", |n| n.code())));
        if let Some(row) = d.row(&layer.id, &area.id) {
            let stats = stats_json(d, row, col, role);
            if demand_only {
                for k in [
                    "pupils",
                    "out_of_area",
                    "local_spare_places",
                    "out_of_area_pct",
                ] {
                    if let Some(v) = stats.get(k) {
                        props.insert(k.into(), v.clone());
                    }
                }
            } else {
                props.extend(stats);
            }
        }
        features.push(json!({
            "type": "Feature",
            "id": area.id,
            "geometry": {"type": "MultiPolygon", "coordinates": multipolygon_coords(&area.geometry)},
            "properties": props,
        }));
    }
    Ok(feature_collection(features))
}

/// `GET /api/areas?layer=&need=`: area polygons with their figures.
pub async fn areas(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<AreasQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let need = parse_need(q.need.as_deref())?;
    area_features(&state, q.layer.as_deref(), need, caller.role, false)
}

/// `GET /api/demand?need=&layer=`: pupil counts per area.
pub async fn demand(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<AreasQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let need = parse_need(q.need.as_deref())?;
    if q.layer.as_deref() == Some("hex") {
        // A fine grid beside the public layers could be differenced: officers only.
        caller.require_officer()?;
        let hex_m = q.hex_m.unwrap_or(1000.0);
        if !crate::serve::hexgrid::HEX_M_RANGE.contains(&hex_m) {
            return Err(ApiError::BadRequest(format!(
                "hex_m {hex_m} is outside 200..=20000 metres"
            )));
        }
        let p = state.prepared();
        let homes: Vec<crate::model::LatLon> = p
            .scenario
            .pupils
            .iter()
            .filter(|u| need.is_none_or(|n| u.need == n))
            .map(|u| u.home)
            .collect();
        let centre = p
            .scenario
            .boundary
            .bbox()
            .map(|b| crate::model::LatLon {
                lat: (b.min_lat + b.max_lat) / 2.0,
                lon: (b.min_lon + b.max_lon) / 2.0,
            })
            .or_else(|| homes.first().copied())
            .unwrap_or(crate::model::LatLon { lat: 0.0, lon: 0.0 });
        return Ok(Json(crate::serve::hexgrid::hex_counts(
            &homes, centre, hex_m,
        )));
    }
    area_features(&state, q.layer.as_deref(), need, caller.role, true)
}

/// `GET /api/basemap?detail=major|all`: simplified roads and the boundary.
pub async fn basemap(
    State(state): State<AppState>,
    q: Result<Query<BasemapQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let map = state.basemap().await?;
    let body: Bytes = match q.detail.as_deref() {
        None | Some("major") => map.major.clone(),
        Some("all") => map.all.clone(),
        Some(_) => {
            return Err(ApiError::bad(
                "query parameter `detail`: expected `major` or `all`",
            ))
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response())
}

/// Query of `/api/basemap`.
#[derive(Debug, Deserialize)]
pub struct BasemapQuery {
    /// `major` (default) or `all`.
    pub detail: Option<String>,
}

/// Query of `/api/journeys`.
#[derive(Debug, Deserialize)]
pub struct JourneysQuery {
    /// Area id of the pupils' homes (in `layer`); all pupils when absent.
    pub area: Option<String>,
    /// Layer of `area` (default: the first layer).
    pub layer: Option<String>,
    /// Need code or `ALL` (default).
    pub need: Option<String>,
}

fn trip_props(prefix: &str, t: Option<Trip>, m: &mut Map<String, Value>) {
    m.insert(
        format!("{prefix}minutes"),
        json!(t.map(|t| round2(t.minutes))),
    );
    m.insert(format!("{prefix}km"), json!(t.map(|t| round2(t.km))));
}

/// `GET /api/journeys?area=&need=&layer=` (officer): each pupil's routed journey.
pub async fn journeys(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<JourneysQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require_officer()?;
    let Query(q) = q?;
    let need = parse_need(q.need.as_deref())?;
    let p = state.prepared();
    let area_filter = match q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let li = layer_index(&state, q.layer.as_deref())?;
            let Some(ai) = p.scenario.area_layers[li].find(a) else {
                return Err(ApiError::NotFound(
                    "query parameter `area`: no such area in this layer".into(),
                ));
            };
            Some((li, ai))
        }
    };
    let geoms = state.geometries().await?;
    let mut features = Vec::new();
    for (u, pupil) in p.scenario.pupils.iter().enumerate() {
        if need.is_some_and(|n| n != pupil.need) {
            continue;
        }
        if let Some((li, ai)) = area_filter {
            let here = p
                .layers
                .get(li)
                .and_then(|l| l.pupil_area.get(u).copied().flatten());
            if here != Some(ai) {
                continue;
            }
        }
        let Some(Some(route)) = geoms.journeys.get(u) else {
            continue;
        };
        let Some(r) = p.analysis.pupils.get(u) else {
            continue;
        };
        let mut props = Map::new();
        props.insert("pupil".into(), json!(pupil.id));
        props.insert("need".into(), json!(pupil.need.code()));
        props.insert("age".into(), json!(pupil.age));
        props.insert("placement_id".into(), json!(pupil.placement_id));
        trip_props("", r.current, &mut props);
        props.insert("limit_minutes".into(), json!(r.limit_minutes));
        props.insert("out_of_area".into(), json!(r.out_of_area));
        props.insert("long_journey".into(), json!(r.long_journey));
        props.insert("moved".into(), json!(r.moved.is_some()));
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": line_coords(&route.geometry)},
            "properties": props,
        }));
    }
    Ok(feature_collection(features))
}

/// `GET /api/moves` (officer): every bring-back move with its new route.
pub async fn moves(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_officer()?;
    let p = state.prepared();
    let geoms = state.geometries().await?;
    let provs = &p.scenario.provisions;
    let mut features = Vec::with_capacity(p.analysis.moves.len());
    for (mi, m) in p.analysis.moves.iter().enumerate() {
        let Some(pupil) = p.scenario.pupils.get(m.pupil) else {
            continue;
        };
        let mut props = Map::new();
        props.insert("pupil".into(), json!(pupil.id));
        props.insert("need".into(), json!(pupil.need.code()));
        props.insert("age".into(), json!(pupil.age));
        props.insert("from_id".into(), json!(provs.get(m.from).map(|x| &x.id)));
        props.insert("to_id".into(), json!(provs.get(m.to).map(|x| &x.id)));
        props.insert("to_name".into(), json!(provs.get(m.to).map(|x| &x.name)));
        trip_props("before_", m.before, &mut props);
        trip_props("after_", Some(m.after), &mut props);
        props.insert(
            "km_per_year_saved".into(),
            json!(round1(m.km_per_year_saved)),
        );
        props.insert(
            "hours_per_year_saved".into(),
            json!(round1(m.hours_per_year_saved)),
        );
        props.insert(
            "placement_gbp_saved".into(),
            json!(m.placement_gbp_saved.map(f64::round)),
        );
        props.insert(
            "transport_gbp_saved".into(),
            json!(m.transport_gbp_saved.map(f64::round)),
        );
        props.insert(
            "gbp_per_year_saved".into(),
            json!(m.total_gbp_saved().round()),
        );
        let geometry = match geoms.moves.get(mi) {
            Some(Some(r)) => json!({"type": "LineString", "coordinates": line_coords(&r.geometry)}),
            _ => Value::Null,
        };
        features.push(json!({"type": "Feature", "geometry": geometry, "properties": props}));
    }
    Ok(feature_collection(features))
}

/// Parse `LAT,LON` (WGS84 degrees) from a query parameter.
pub fn parse_lat_lon(name: &str, s: Option<&str>) -> Result<LatLon, ApiError> {
    let Some(s) = s else {
        return Err(ApiError::bad(format!(
            "query parameter `{name}` is required, as LAT,LON"
        )));
    };
    let mut parts = s.split(',');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::bad(format!(
            "query parameter `{name}`: expected LAT,LON (two numbers separated by a comma)"
        )));
    };
    let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
        return Err(ApiError::bad(format!(
            "query parameter `{name}`: LAT and LON must be numbers"
        )));
    };
    LatLon::new(lat, lon).map_err(|e| ApiError::bad(format!("query parameter `{name}`: {e}")))
}

/// Query of `/api/route`.
#[derive(Debug, Deserialize)]
pub struct RouteQuery {
    /// Origin `LAT,LON`.
    pub from: Option<String>,
    /// Destination `LAT,LON`.
    pub to: Option<String>,
}

/// `GET /api/route?from=LAT,LON&to=LAT,LON`: the quickest route.
pub async fn route(
    State(state): State<AppState>,
    q: Result<Query<RouteQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let from = parse_lat_lon("from", q.from.as_deref())?;
    let to = parse_lat_lon("to", q.to.as_deref())?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let p = st.prepared();
        let max = p.params.max_snap_m;
        let o = p
            .network
            .snap(from, max)
            .map_err(|e| ApiError::Unprocessable(format!("`from`: {e}")))?;
        let d = p
            .network
            .snap(to, max)
            .map_err(|e| ApiError::Unprocessable(format!("`to`: {e}")))?;
        let Some(r) = p.network.route(&o, &d, Metric::Time) else {
            return Err(ApiError::Unprocessable(
                "no route between these points on the road network".into(),
            ));
        };
        Ok(Json(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": line_coords(&r.geometry)},
            "properties": {
                "minutes": round2(r.journey.duration_s / 60.0),
                "km": round2(r.journey.distance_m / 1000.0),
                "from_snap_m": round1(o.distance_m),
                "to_snap_m": round1(d.distance_m),
            },
        })))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("route task: {e}")))?
}

/// Query of `/api/catchment`.
#[derive(Debug, Deserialize)]
pub struct CatchmentQuery {
    /// Provision id.
    pub provision: Option<String>,
    /// Minutes of driving, 1..=120.
    pub minutes: Option<String>,
}

/// `GET /api/catchment?provision=ID&minutes=N`: the area reachable within N minutes.
pub async fn catchment(
    State(state): State<AppState>,
    q: Result<Query<CatchmentQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let minutes: u32 = match q.minutes.as_deref().map(str::trim) {
        None => return Err(ApiError::bad("query parameter `minutes` is required")),
        Some(m) => m.parse().map_err(|_| {
            ApiError::bad(format!(
                "query parameter `minutes`: a whole number 1..={MAX_CATCHMENT_MIN}"
            ))
        })?,
    };
    if !(1..=MAX_CATCHMENT_MIN).contains(&minutes) {
        return Err(ApiError::bad(format!(
            "query parameter `minutes`: must be 1..={MAX_CATCHMENT_MIN}"
        )));
    }
    let Some(id) = q
        .provision
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(ApiError::bad("query parameter `provision` is required"));
    };
    let Some(pi) = state.provision(id) else {
        return Err(ApiError::NotFound("no provision with this id".into()));
    };
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let p = st.prepared();
        let pr = &p.scenario.provisions[pi];
        let snap = p
            .network
            .snap(pr.location, p.params.max_snap_m)
            .map_err(|e| ApiError::Unprocessable(format!("provision site: {e}")))?;
        let cutoff_s = f64::from(minutes) * 60.0;
        let tree = p.network.forward_tree(&snap, Metric::Time, Some(cutoff_s));
        let lat0 = snap.point.lat.to_radians().cos().max(0.01);
        let mut pts: Vec<Point<f64>> = vec![Point::new(snap.point.lon * lat0, snap.point.lat)];
        for v in 0..p.network.graph.node_count() as u32 {
            if tree.cost_at(v) <= cutoff_s {
                let j = p.network.graph.junction(v).pos;
                pts.push(Point::new(j.lon * lat0, j.lat));
            }
        }
        let reached = pts.len() - 1;
        let mp = MultiPoint(pts);
        let (poly, hull) = if reached >= 3 {
            (mp.concave_hull(), "concave")
        } else {
            (mp.convex_hull(), "convex")
        };
        let ring: Vec<[f64; 2]> = poly
            .exterior()
            .coords()
            .map(|c| [r5(c.x / lat0), r5(c.y)])
            .collect();
        Ok(Json(json!({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {
                "provision_id": pr.id,
                "provision_name": pr.name,
                "minutes": minutes,
                "junctions_reached": reached,
                "hull": hull,
            },
        })))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("catchment task: {e}")))?
}

fn solver_json(role: Role, moved: usize, total_minutes: f64) -> Value {
    match role {
        Role::Officer => json!({"moved": moved, "total_minutes": round2(total_minutes)}),
        Role::Public => json!({
            "moved": pub_count(moved as u64),
            "total_minutes": (moved >= 10).then(|| round_to(total_minutes, 10.0)),
        }),
    }
}

/// `GET /api/summary`: headline figures, overall and per need.
pub async fn summary(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let role = caller.role;
    let d = state.disclosure();
    let p = state.prepared();
    let by_need: Vec<Value> = Need::ALL
        .iter()
        .map(|&n| {
            let mut m = stats_json(d, TOTAL_ROW, need_col(Some(n)), role);
            m.insert("need".into(), json!(n.code()));
            Value::Object(m)
        })
        .collect();
    let reasons = not_moved_counts(&p.analysis);
    let counts: Vec<u64> = reasons.values().map(|&n| n as u64).collect();
    let (public, _) = suppress_list(&counts);
    let not_moved: Map<String, Value> = reasons
        .iter()
        .zip(public)
        .map(|((k, &n), pubv)| {
            let v = match role {
                Role::Officer => json!(n),
                Role::Public => json!(pubv),
            };
            (k.clone(), v)
        })
        .collect();
    Json(json!({
        "scenario": p.scenario.config.name,
        "role": role,
        "overall": stats_json(d, TOTAL_ROW, 0, role),
        "by_need": by_need,
        "not_moved": not_moved,
        "optimal": solver_json(role, p.analysis.optimal.moved, p.analysis.optimal.total_minutes),
        "greedy": solver_json(role, p.analysis.greedy.moved, p.analysis.greedy.total_minutes),
    }))
}

fn csv_response(name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn csv_cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "[c]".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Column order of `areas.csv` after layer, area_id, area_name, need.
pub const AREA_CSV_STATS: [&str; 15] = [
    "pupils",
    "out_of_area",
    "out_of_area_pct",
    "long_journeys",
    "bring_back_candidates",
    "moves",
    "median_minutes",
    "p90_minutes",
    "local_spare_places",
    "km_per_year_saved",
    "hours_per_year_saved",
    "placement_gbp_saved",
    "transport_gbp_saved",
    "gbp_per_year_saved",
    "role",
];

/// `GET /api/download/areas.csv`: every layer x area x need row (suppressed for public;
/// `[c]` marks a suppressed value).
pub async fn areas_csv(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let d = state.disclosure();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["layer", "area_id", "area_name", "need"];
    head.extend(AREA_CSV_STATS);
    let err = |e: csv::Error| ApiError::Internal(format!("areas.csv: {e}"));
    w.write_record(&head).map_err(err)?;
    let role_s = match caller.role {
        Role::Officer => "officer",
        Role::Public => "public",
    };
    for r in state.rows() {
        let Some(row) = d.row(&r.layer, &r.area_id) else {
            continue;
        };
        let col = if r.need == "ALL" {
            0
        } else {
            need_col(parse_need(Some(&r.need)).ok().flatten())
        };
        let stats = stats_json(d, row, col, caller.role);
        let mut rec = vec![
            r.layer.clone(),
            r.area_id.clone(),
            r.area_name.clone(),
            r.need.clone(),
        ];
        for k in AREA_CSV_STATS {
            if k == "role" {
                rec.push(role_s.to_string());
            } else if matches!(k, "median_minutes" | "p90_minutes" | "out_of_area_pct")
                && stats.get(k) == Some(&Value::Null)
                && r.stats.pupils == 0
            {
                rec.push(String::new());
            } else {
                rec.push(csv_cell(stats.get(k)));
            }
        }
        w.write_record(&rec).map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("areas.csv: {e}")))?;
    Ok(csv_response("areas.csv", body))
}

/// `GET /api/download/pupils.csv` (officer): one row per pupil.
pub async fn pupils_csv(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let p = state.prepared();
    let provs = &p.scenario.provisions;
    let id_of = |i: Option<usize>| {
        i.and_then(|i| provs.get(i))
            .map_or(String::new(), |x| x.id.clone())
    };
    let f = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.2}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ApiError::Internal(format!("pupils.csv: {e}"));
    w.write_record([
        "pupil_id",
        "age",
        "need",
        "placement_id",
        "out_of_area",
        "current_minutes",
        "current_km",
        "estimated",
        "limit_minutes",
        "long_journey",
        "nearest_id",
        "nearest_minutes",
        "nearest_with_space_id",
        "current_rank",
        "moved_to",
        "not_moved",
    ])
    .map_err(err)?;
    for (u, pupil) in p.scenario.pupils.iter().enumerate() {
        let Some(r) = p.analysis.pupils.get(u) else {
            continue;
        };
        let moved_to = r
            .moved
            .and_then(|mi| p.analysis.moves.get(mi))
            .map(|m| m.to);
        w.write_record([
            pupil.id.clone(),
            pupil.age.to_string(),
            pupil.need.code().to_string(),
            pupil.placement_id.clone(),
            r.out_of_area.to_string(),
            f(r.current.map(|c| c.minutes)),
            f(r.current.map(|c| c.km)),
            r.current.map_or(String::new(), |c| c.estimated.to_string()),
            format!("{:.0}", r.limit_minutes),
            r.long_journey.to_string(),
            id_of(r.nearest.map(|a| a.provision)),
            f(r.nearest.map(|a| a.trip.minutes)),
            id_of(r.nearest_with_space.map(|a| a.provision)),
            r.current_rank.map_or(String::new(), |x| x.to_string()),
            id_of(moved_to),
            r.not_moved
                .map_or(String::new(), |x| x.as_str().to_string()),
        ])
        .map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("pupils.csv: {e}")))?;
    Ok(csv_response("pupils.csv", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lat_lon_parsing_refuses_bad_values() {
        assert!(parse_lat_lon("from", Some("52.6,-0.7")).is_ok());
        for bad in [
            "NaN,0", "inf,0", "52", "52,1,2", "x,y", "91,0", "0,181", "0,-inf", "",
        ] {
            let e = parse_lat_lon("from", Some(bad)).unwrap_err();
            assert_eq!(e.status().as_u16(), 400, "{bad}");
        }
        assert_eq!(
            parse_lat_lon("from", None).unwrap_err().status().as_u16(),
            400
        );
    }

    #[test]
    fn need_parsing() {
        assert_eq!(parse_need(Some("asd")).unwrap(), Some(Need::Asd));
        assert_eq!(parse_need(Some("ALL")).unwrap(), None);
        assert_eq!(parse_need(None).unwrap(), None);
        assert!(parse_need(Some("XYZ")).is_err());
    }

    #[test]
    fn pub_count_keeps_zero_and_hides_small() {
        assert_eq!(pub_count(0), Some(0));
        assert_eq!(pub_count(3), None);
        assert_eq!(pub_count(12), Some(10));
    }
}
