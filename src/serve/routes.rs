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
use serde::Deserialize;
use serde_json::{json, Value};

use crate::load::scenario::FileRole;
use crate::load::table::Severity;
use crate::model::ids::PupilIdx;
use crate::model::{LatLon, Need};
use crate::output::basemap::r5;
use crate::output::disclosure::{public_count, suppress_list, Audience, NeedColumn};
use crate::output::report::{
    areas_csv as areas_csv_bytes, geojson_bytes, pupils_csv as pupils_csv_bytes, summary_bytes,
};
use crate::output::tables::{
    area_features, catchment_feature, journey_page, move_features, route_feature, Page,
};
use crate::query::route::Metric;
use crate::serve::auth::{Caller, Role};
use crate::serve::error::ApiError;
use crate::serve::state::{network_of, AppState};

/// Largest catchment, minutes.
pub const MAX_CATCHMENT_MIN: u32 = 120;

/// A count as the role may see it.
fn count_for(role: Role, n: u64) -> Value {
    match role {
        Role::Officer => json!(n),
        Role::Public => json!(public_count(n)),
    }
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

/// A GeoJSON answer, encoded as the files are.
fn geojson_response<T: serde::Serialize>(name: &str, value: &T) -> Result<Response, ApiError> {
    Ok(encoded(
        "application/geo+json",
        geojson_bytes(name, value).map_err(internal)?,
    ))
}

/// A body of bytes already encoded by [`crate::output`].
fn encoded(content_type: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
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
        .filter(|f| f.role == FileRole::Pupils)
        .map(|f| f.file.as_str())
        .collect();
    let files: Vec<Value> = p
        .report
        .files
        .iter()
        .map(|f| {
            if f.role != FileRole::Pupils || role == Role::Officer {
                return json!({
                    "role": f.role,
                    "file": f.file,
                    "read": f.read,
                    "accepted": f.accepted,
                    "rejected": f.rejected,
                });
            }
            // read = accepted + rejected: one line, suppressed together.
            let (cells, read) = suppress_list(&[f.accepted as u64, f.rejected as u64]);
            json!({
                "role": f.role,
                "file": f.file,
                "read": f.read.and(read),
                "accepted": cells.first().copied().flatten(),
                "rejected": cells.get(1).copied().flatten(),
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
    let bbox = p.network.as_ref().map(|n| n.graph.bbox());
    // The authority's own extent (its boundary), where the map opens: known here, so the
    // page can ask for its first base tiles before the areas arrive.
    let authority_bbox = p
        .scenario
        .boundary
        .bbox()
        .map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat].map(r5));
    Json(json!({
        "name": cfg.name,
        "description": cfg.description,
        "la_code": cfg.la_code,
        "role": role,
        "network": p.network.as_ref().map(|n| n.graph.summary()),
        "roads": p.roads.describe(),
        "bbox": bbox.map(|b| b.map(r5)),
        "authority_bbox": authority_bbox,
        "files": files,
        "pupils": match role {
            Role::Officer => json!(p.scenario.pupils.len()),
            Role::Public => json!(state.aggregates().grid.public(
                crate::output::disclosure::Measure::Pupils,
                crate::output::disclosure::TOTAL_ROW,
                NeedColumn::All,
            )),
        },
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

/// `GET /api/provisions`: one Point per provision (the public answer is
/// `public/provisions.geojson`, byte for byte).
pub async fn provisions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let body = crate::output::report::provisions_geojson(
        state.prepared(),
        state.aggregates(),
        caller.audience(),
    )
    .map_err(internal)?;
    Ok(encoded("application/geo+json", body))
}

/// Query of `/api/areas`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreasQuery {
    /// Layer id (default: the first layer).
    pub layer: Option<String>,
    /// Need code or `ALL` (default).
    pub need: Option<String>,
    /// `/api/demand?layer=hex` only: hexagon size (centre to corner), metres (default 1000).
    pub hex_m: Option<f64>,
}

fn areas_answer(
    state: &AppState,
    layer: Option<&str>,
    need: Option<Need>,
    audience: Audience,
) -> Result<Response, ApiError> {
    let li = layer_index(state, layer)?;
    let fc = area_features(
        state.prepared(),
        state.aggregates(),
        Some(li),
        NeedColumn::of(need),
        audience,
    );
    geojson_response("areas", &fc)
}

/// `GET /api/areas?layer=&need=`: area polygons with their figures.
pub async fn areas(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<AreasQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let need = parse_need(q.need.as_deref())?;
    areas_answer(&state, q.layer.as_deref(), need, caller.audience())
}

/// `GET /api/demand?need=&layer=`: pupil figures per area (as `/api/areas`), or, for
/// officers, a hexagon grid of homes (`layer=hex`).
pub async fn demand(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<AreasQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let need = parse_need(q.need.as_deref())?;
    if q.layer.as_deref() == Some("hex") {
        // A fine grid beside the public layers could be differenced: officers only.
        caller.require_officer()?;
        let hex_m = q.hex_m.unwrap_or(1000.0);
        if !crate::output::hexgrid::HEX_M_RANGE.contains(&hex_m) {
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
        let fc = crate::output::hexgrid::hex_counts(&homes, centre, hex_m);
        return geojson_response("hexagons", &fc);
    }
    areas_answer(&state, q.layer.as_deref(), need, caller.audience())
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
#[serde(deny_unknown_fields)]
pub struct BasemapQuery {
    /// `major` (default) or `all`.
    pub detail: Option<String>,
}

/// Journeys in an `/api/journeys` page when `limit` is not given.
pub const JOURNEYS_DEFAULT_LIMIT: usize = 500;

/// Most journeys in one `/api/journeys` page.
pub const JOURNEYS_MAX_LIMIT: usize = 5000;

/// Query of `/api/journeys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JourneysQuery {
    /// Area id of the pupils' homes (in `layer`); all pupils when absent.
    pub area: Option<String>,
    /// Layer of `area` (default: the first layer).
    pub layer: Option<String>,
    /// Need code or `ALL` (default).
    pub need: Option<String>,
    /// Most journeys in the answer, 1..=[`JOURNEYS_MAX_LIMIT`] (default
    /// [`JOURNEYS_DEFAULT_LIMIT`]).
    pub limit: Option<String>,
    /// Journeys to skip first (default 0).
    pub offset: Option<String>,
}

/// A whole-number query parameter in `range`, `default` when absent.
fn parse_whole(
    name: &str,
    s: Option<&str>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ApiError> {
    let expected = || {
        let (lo, hi) = (range.start(), range.end());
        if *hi == usize::MAX {
            format!("query parameter `{name}`: expected a whole number, {lo} or more")
        } else {
            format!("query parameter `{name}`: expected a whole number {lo}..={hi}")
        }
    };
    let Some(s) = s else {
        return Ok(default);
    };
    match s.trim().parse::<usize>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ApiError::BadRequest(expected())),
    }
}

/// `GET /api/journeys?area=&layer=&need=&limit=&offset=` (officer): a page of the pupils'
/// routed journeys, in the analysis' pupil order, with `total`, `offset`, `limit` and
/// `next_offset` beside the features.
pub async fn journeys(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<JourneysQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let Query(q) = q?;
    let page = Page {
        offset: parse_whole("offset", q.offset.as_deref(), 0, 0..=usize::MAX)?,
        limit: parse_whole(
            "limit",
            q.limit.as_deref(),
            JOURNEYS_DEFAULT_LIMIT,
            1..=JOURNEYS_MAX_LIMIT,
        )?,
    };
    let keep = journey_filter(&state, &q)?;
    let geoms = state.geometries().await?;
    let fc = journey_page(state.prepared(), &geoms.journeys, &keep, page);
    geojson_response("journeys", &fc)
}

/// `GET /api/journey-times?area=&layer=&need=` (officer): the distribution of the journeys
/// `/api/journeys` lists for the same query, per phase, in 5-minute bins.
pub async fn journey_times(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<JourneysQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let Query(q) = q?;
    let keep = journey_filter(&state, &q)?;
    let geoms = state.geometries().await?;
    let times = crate::output::tables::journey_times(state.prepared(), &geoms.journeys, &keep);
    Ok(axum::Json(times).into_response())
}

/// Which pupils' journeys a [`JourneysQuery`] keeps (its `need`, and its `area` of `layer`);
/// 400 for a bad need, 404 for an unknown layer or area.
fn journey_filter<'s>(
    state: &'s AppState,
    q: &JourneysQuery,
) -> Result<impl Fn(PupilIdx) -> bool + 's, ApiError> {
    let need = parse_need(q.need.as_deref())?;
    let p = state.prepared();
    let layer = q.layer.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let area_filter = match q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => {
            // A layer given without an area filters nothing, but must still exist.
            if layer.is_some() {
                layer_index(state, layer)?;
            }
            None
        }
        Some(a) => {
            let li = layer_index(state, layer)?;
            let Some(ai) = p.scenario.area_layers.get(li).and_then(|l| l.find(a)) else {
                return Err(ApiError::NotFound(
                    "query parameter `area`: no such area in this layer".into(),
                ));
            };
            Some((li, ai))
        }
    };
    Ok(move |u: PupilIdx| {
        let need_ok = need.is_none_or(|n| {
            p.scenario
                .pupils
                .get(u.index())
                .is_some_and(|x| x.need == n)
        });
        let area_ok = area_filter
            .is_none_or(|(li, ai)| p.layers.get(li).and_then(|l| l.area_of_pupil(u)) == Some(ai));
        need_ok && area_ok
    })
}

/// `GET /api/moves` (officer): every bring-back move with its new route.
pub async fn moves(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let geoms = state.geometries().await?;
    let fc = move_features(state.prepared(), &geoms.moves);
    geojson_response("moves", &fc)
}

/// Parse `LAT,LON` (WGS84 degrees) from a query parameter.
pub fn parse_lat_lon(name: &str, s: Option<&str>) -> Result<LatLon, ApiError> {
    let Some(s) = s else {
        return Err(ApiError::bad(format!(
            "query parameter `{name}` is required, as LAT,LON"
        )));
    };
    crate::model::parse_lat_lon(s)
        .map_err(|e| ApiError::bad(format!("query parameter `{name}`: {e}")))
}

/// Query of `/api/route`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let from = parse_lat_lon("from", q.from.as_deref())?;
    let to = parse_lat_lon("to", q.to.as_deref())?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let p = st.prepared();
        let net = network_of(p)?;
        let max = p.params.max_snap_m;
        let o = net
            .snap(from, max)
            .map_err(|e| ApiError::Unprocessable(format!("`from`: {e}")))?;
        let d = net
            .snap(to, max)
            .map_err(|e| ApiError::Unprocessable(format!("`to`: {e}")))?;
        let Some(r) = net.route(&o, &d, Metric::Time) else {
            return Err(ApiError::Unprocessable(
                "no route between these points on the road network".into(),
            ));
        };
        let f = route_feature(&r, o.distance_m, d.distance_m);
        geojson_response("route", &f)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("route task: {e}")))?
}

/// Query of `/api/catchment`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
) -> Result<Response, ApiError> {
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
        let Some(pr) = p.scenario.provisions.get(pi.index()) else {
            return Err(ApiError::NotFound("no provision with this id".into()));
        };
        let net = network_of(p)?;
        let snap = net
            .snap(pr.location, p.params.max_snap_m)
            .map_err(|e| ApiError::Unprocessable(format!("provision site: {e}")))?;
        let c = crate::query::catchment::catchment(net, &snap, f64::from(minutes) * 60.0);
        let f = catchment_feature(&c, pr, minutes);
        geojson_response("catchment", &f)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("catchment task: {e}")))?
}

/// `GET /api/summary`: headline figures, overall and per need (the public answer is
/// `public/summary.json`, byte for byte; the officer answer is `summary.json`).
pub async fn summary(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let body = summary_bytes(
        state.prepared(),
        &state.prepared().report,
        state.aggregates(),
        caller.audience(),
    )
    .map_err(internal)?;
    Ok(encoded("application/json", body))
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

/// `GET /api/download/areas.csv`: every layer x area x need row, `areas.csv` for officers
/// and `public/areas.csv` for everyone else, byte for byte.
pub async fn areas_csv(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let body = areas_csv_bytes(state.aggregates(), caller.audience()).map_err(internal)?;
    Ok(csv_response("areas.csv", body))
}

/// `GET /api/download/pupils.csv` (officer): `pupils.csv`, byte for byte.
pub async fn pupils_csv(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let body = pupils_csv_bytes(state.prepared()).map_err(internal)?;
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
    fn whole_number_parameters() {
        let limit = |s| parse_whole("limit", s, 500, 1..=5000);
        assert_eq!(limit(None).unwrap(), 500);
        assert_eq!(limit(Some("1")).unwrap(), 1);
        assert_eq!(limit(Some(" 5000 ")).unwrap(), 5000);
        for bad in [
            "0",
            "5001",
            "-1",
            "1.5",
            "",
            "x",
            "1e3",
            "99999999999999999999999",
        ] {
            let e = limit(Some(bad)).unwrap_err();
            assert_eq!(e.status().as_u16(), 400, "{bad}");
            assert!(e.to_string().contains("`limit`"), "{e}");
            assert!(e.to_string().contains("1..=5000"), "{e}");
        }
        let offset = |s| parse_whole("offset", s, 0, 0..=usize::MAX);
        assert_eq!(offset(None).unwrap(), 0);
        assert_eq!(offset(Some("123456789")).unwrap(), 123_456_789);
        let e = offset(Some("-3")).unwrap_err();
        assert!(e.to_string().contains("`offset`") && e.to_string().contains("0 or more"));
    }

    #[test]
    fn need_parsing() {
        assert_eq!(parse_need(Some("asd")).unwrap(), Some(Need::Asd));
        assert_eq!(parse_need(Some("ALL")).unwrap(), None);
        assert_eq!(parse_need(None).unwrap(), None);
        assert!(parse_need(Some("XYZ")).is_err());
    }
}
