//! Vector tile endpoints: `GET /tiles/base/{z}/{x}/{y}.mvt` (public),
//! `GET /tiles/officer/{z}/{x}/{y}.mvt` and `GET /tiles/runs/{z}/{x}/{y}.mvt` (officer token,
//! as `/api/journeys`) and their TileJSON (`/tiles/base.json`, `/tiles/officer.json`,
//! `/tiles/runs.json`). The runs are a source of their own because planning them
//! ([`AppState::transport`]) can take a while at city scale: the journeys' tiles do not wait
//! for it.
//!
//! The tiles are cut by [`crate::output::tiles`] from indexes built once per run on the
//! blocking pool, and kept in a bounded cache per (source, z, x, y) ([`TileCache`]: at most
//! [`CACHE_BYTES`], the oldest tiles dropped first). An empty tile is a `200` with an empty
//! body (an MVT with no layers). Nothing here logs a tile address or a token: requests are
//! logged by the router with the route pattern only.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use crate::output::tiles::{
    land_min_zoom, place_min_zoom, waterway_min_zoom, BaseTiles, OfficerTiles, RunTiles, TileClass,
    TileId, MAX_ZOOM, ROAD_NAMES_FROM, TILEJSON_MAX_ZOOM,
};
use crate::serve::auth::Caller;
use crate::serve::error::ApiError;
use crate::serve::state::{detached, AppState};

/// The tiles' media type.
pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// Bytes of tiles kept in the cache (base and officer together).
pub const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// The attribution every TileJSON carries (the roads and places are OpenStreetMap data,
/// ODbL).
pub const ATTRIBUTION: &str = "© OpenStreetMap contributors";

/// Which tile source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The public base map.
    Base,
    /// The officers' pupil-level layers.
    Officer,
    /// The officers' shared runs.
    Runs,
}

/// A bounded cache of encoded tiles: at most `cap` bytes of bodies, the oldest inserted
/// dropped first.
#[derive(Debug)]
pub struct TileCache {
    cap: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    map: HashMap<(Source, TileId), Bytes>,
    order: VecDeque<(Source, TileId)>,
    bytes: usize,
}

impl TileCache {
    /// An empty cache holding at most `cap` bytes.
    pub fn new(cap: usize) -> TileCache {
        TileCache {
            cap,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The cached tile, if any.
    pub fn get(&self, source: Source, t: TileId) -> Option<Bytes> {
        let inner = self.inner.lock().ok()?;
        inner.map.get(&(source, t)).cloned()
    }

    /// Keep a tile (a tile larger than the whole cache is not kept).
    pub fn put(&self, source: Source, t: TileId, body: Bytes) {
        if body.len() > self.cap {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let key = (source, t);
        if inner.map.contains_key(&key) {
            return;
        }
        while inner.bytes + body.len() > self.cap {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(b) = inner.map.remove(&old) {
                inner.bytes -= b.len();
            }
        }
        inner.bytes += body.len();
        inner.order.push_back(key);
        inner.map.insert(key, body);
    }

    /// Bytes of tile bodies held.
    pub fn bytes(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.bytes)
    }
}

/// The service's tile indexes (built on first use) and cache.
#[derive(Debug)]
pub struct TileState {
    base: OnceCell<Arc<BaseTiles>>,
    officer: OnceCell<Arc<OfficerTiles>>,
    runs: OnceCell<Arc<RunTiles>>,
    cache: TileCache,
}

impl Default for TileState {
    fn default() -> Self {
        TileState {
            base: OnceCell::new(),
            officer: OnceCell::new(),
            runs: OnceCell::new(),
            cache: TileCache::new(CACHE_BYTES),
        }
    }
}

impl TileState {
    /// The tile cache.
    pub fn cache(&self) -> &TileCache {
        &self.cache
    }
}

/// The base map's tile index, built once on the blocking pool.
///
/// # Errors
/// 500 when building it panicked.
pub async fn base_index(state: &AppState) -> Result<Arc<BaseTiles>, ApiError> {
    let me = state.clone();
    detached(async move { base_index_once(&me).await }, "tile index").await
}

/// [`base_index`]'s work, in the caller's task.
async fn base_index_once(state: &AppState) -> Result<Arc<BaseTiles>, ApiError> {
    let me = state.clone();
    state
        .tiles()
        .base
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || Arc::new(BaseTiles::build(me.prepared())))
                .await
                .map_err(|e| ApiError::Internal(format!("tile index: {e}")))
        })
        .await
        .cloned()
}

/// The officers' tile index (after the route geometries), built once on the blocking pool.
///
/// # Errors
/// 500 when building it or the geometries panicked.
async fn officer_index(state: &AppState) -> Result<Arc<OfficerTiles>, ApiError> {
    let me = state.clone();
    detached(
        async move { officer_index_once(&me).await },
        "officer tile index",
    )
    .await
}

/// [`officer_index`]'s work, in the caller's task.
async fn officer_index_once(state: &AppState) -> Result<Arc<OfficerTiles>, ApiError> {
    let geometries = state.geometries().await?;
    let me = state.clone();
    state
        .tiles()
        .officer
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || {
                Arc::new(OfficerTiles::build(me.prepared(), &geometries.journeys))
            })
            .await
            .map_err(|e| ApiError::Internal(format!("officer tile index: {e}")))
        })
        .await
        .cloned()
}

/// The shared runs' tile index (after the run planning, [`AppState::transport`]), built
/// once on the blocking pool.
///
/// # Errors
/// 503 without a road network; 500 when the planning or the index panicked.
async fn runs_index(state: &AppState) -> Result<Arc<RunTiles>, ApiError> {
    let me = state.clone();
    detached(async move { runs_index_once(&me).await }, "runs tile index").await
}

/// [`runs_index`]'s work, in the caller's task.
async fn runs_index_once(state: &AppState) -> Result<Arc<RunTiles>, ApiError> {
    let plan = state.transport().await?;
    let me = state.clone();
    state
        .tiles()
        .runs
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || Arc::new(RunTiles::build(me.prepared(), &plan)))
                .await
                .map_err(|e| ApiError::Internal(format!("runs tile index: {e}")))
        })
        .await
        .cloned()
}

/// A tile address from the path's parts: zoom 0..=16, `x` and `y` below 2^z, `y` written
/// `N.mvt`; else 404.
fn tile_id(z: &str, x: &str, y: &str) -> Result<TileId, ApiError> {
    let none = || ApiError::NotFound(format!("no such tile (zoom 0..={MAX_ZOOM}, `{{y}}.mvt`)"));
    let y = y.strip_suffix(".mvt").ok_or_else(none)?;
    let (Ok(z), Ok(x), Ok(y)) = (z.parse::<u8>(), x.parse::<u32>(), y.parse::<u32>()) else {
        return Err(none());
    };
    TileId::new(z, x, y).ok_or_else(none)
}

fn mvt_response(body: Bytes, cache_control: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, MVT_CONTENT_TYPE),
            (header::CACHE_CONTROL, cache_control),
        ],
        body,
    )
        .into_response()
}

/// `GET /tiles/base/{z}/{x}/{y}.mvt` (public): roads, boundary, areas, provisions, places.
pub async fn base_tile(
    State(state): State<AppState>,
    Path((z, x, y)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let t = tile_id(&z, &x, &y)?;
    cached(&state, Source::Base, t, || async {
        let index = base_index(&state).await?;
        let me = state.clone();
        Ok(move || index.tile(me.prepared(), t))
    })
    .await
}

/// Tile `t` of `source` from the cache, else cut on the blocking pool by the cutter `prepare`
/// makes (it waits for the source's index) and kept. Base tiles may be cached by the client
/// for 5 minutes; officer and runs tiles never.
async fn cached<P, Fut, C>(
    state: &AppState,
    source: Source,
    t: TileId,
    prepare: P,
) -> Result<Response, ApiError>
where
    P: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<C, ApiError>>,
    C: FnOnce() -> Vec<u8> + Send + 'static,
{
    let cache_control = match source {
        Source::Base => "public, max-age=300",
        _ => "private, no-store",
    };
    let cache = &state.tiles().cache;
    if let Some(body) = cache.get(source, t) {
        return Ok(mvt_response(body, cache_control));
    }
    let cut = prepare().await?;
    let body = tokio::task::spawn_blocking(move || Bytes::from(cut()))
        .await
        .map_err(|e| ApiError::Internal(format!("tile: {e}")))?;
    cache.put(source, t, body.clone());
    Ok(mvt_response(body, cache_control))
}

/// `GET /tiles/officer/{z}/{x}/{y}.mvt` (officer token; 401 without, 403 with a wrong one,
/// checked before the address): journeys and moves.
pub async fn officer_tile(
    State(state): State<AppState>,
    caller: Caller,
    Path((z, x, y)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let t = tile_id(&z, &x, &y)?;
    cached(&state, Source::Officer, t, || async {
        let index = officer_index(&state).await?;
        let geometries = state.geometries().await?;
        Ok(move || index.tile(&geometries.journeys, t))
    })
    .await
}

/// `GET /tiles/runs/{z}/{x}/{y}.mvt` (officer token; 401 without, 403 with a wrong one,
/// checked before the address): the planned shared runs (planned on first use).
pub async fn runs_tile(
    State(state): State<AppState>,
    caller: Caller,
    Path((z, x, y)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    caller.require_officer()?;
    let t = tile_id(&z, &x, &y)?;
    cached(&state, Source::Runs, t, || async {
        let index = runs_index(&state).await?;
        Ok(move || index.tile(t))
    })
    .await
}

/// The origin tile URLs are built on: `http://HOST` (`https` behind a proxy that says
/// `X-Forwarded-Proto: https`) from a well-formed `Host` header, else none (the URLs are then
/// relative to the server's root).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        });
    let Some(host) = host else {
        return String::new();
    };
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// The TileJSON of `source`, named "SCENARIO `title`", over the base map's bounds.
async fn tilejson_reply(
    state: &AppState,
    headers: &HeaderMap,
    source: &str,
    title: &str,
    layers: Value,
) -> Result<Response, ApiError> {
    let index = base_index(state).await?;
    let name = format!("{} {title}", state.prepared().scenario.config.name);
    Ok(axum::Json(tilejson(
        &origin(headers),
        source,
        &name,
        index.bounds(),
        layers,
    ))
    .into_response())
}

/// A TileJSON 3.0.0 document for a source.
fn tilejson(
    origin: &str,
    source: &str,
    name: &str,
    bounds: Option<[f64; 4]>,
    layers: Value,
) -> Value {
    let b = bounds.unwrap_or([-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59]);
    let span = (b[2] - b[0]).max(b[3] - b[1]).max(1e-6);
    let zoom = (360.0 / span)
        .log2()
        .floor()
        .clamp(0.0, f64::from(TILEJSON_MAX_ZOOM));
    let r = |v: f64| (v * 1e5).round() / 1e5;
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "scheme": "xyz",
        "tiles": [format!("{origin}/tiles/{source}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": TILEJSON_MAX_ZOOM,
        "bounds": [r(b[0]), r(b[1]), r(b[2]), r(b[3])],
        "center": [r((b[0] + b[2]) / 2.0), r((b[1] + b[3]) / 2.0), zoom],
        "attribution": ATTRIBUTION,
        "vector_layers": layers,
    })
}

/// `GET /tiles/base.json`: TileJSON of the base map.
pub async fn base_tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let road_classes: Vec<String> = TileClass::ALL
        .iter()
        .map(|c| format!("{} (from zoom {})", c.as_str(), c.min_zoom()))
        .collect();
    let place_kinds: Vec<String> = crate::model::place::PlaceKind::ALL
        .iter()
        .map(|k| format!("{} (from zoom {})", k.as_str(), place_min_zoom(*k)))
        .collect();
    let land_kinds: Vec<String> = crate::model::land::LandKind::ALL
        .iter()
        .filter(|k| **k != crate::model::land::LandKind::Water)
        .map(|k| format!("{} (from zoom {})", k.as_str(), land_min_zoom(*k)))
        .collect();
    let waterway_kinds: Vec<String> = [
        crate::model::land::WaterwayKind::River,
        crate::model::land::WaterwayKind::Canal,
        crate::model::land::WaterwayKind::Stream,
    ]
    .iter()
    .map(|k| format!("{} (from zoom {})", k.as_str(), waterway_min_zoom(*k)))
    .collect();
    let layers = json!([
        {"id": "landuse", "minzoom": 8, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Land use from the OpenStreetMap extract (closed ways and multipolygons), areas under a pixel left out",
         "fields": {"class": format!("String: {}", land_kinds.join(", "))}},
        {"id": "water", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Lakes, reservoirs, river areas and docks from the OpenStreetMap extract, areas under a pixel left out",
         "fields": {"class": "String: water"}},
        {"id": "waterways", "minzoom": 8, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Rivers, canals and streams from the OpenStreetMap extract",
         "fields": {"class": format!("String: {}", waterway_kinds.join(", ")),
                    "name": "String: name (absent when untagged)"}},
        {"id": "roads", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "The routable road network, by class, simplified per zoom",
         "fields": {"class": format!("String: {}", road_classes.join(", ")),
                    "name": format!("String: the way's name, else its ref (from zoom {ROAD_NAMES_FROM}; absent when untagged)")}},
        {"id": "boundary", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "The authority's boundary (lines)",
         "fields": {"name": "String: the scenario's name"}},
        {"id": "areas", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Area polygons of every area layer",
         "fields": {"layer": "String: area layer id (as `layer` in /api/areas)",
                    "area_id": "String: area id", "name": "String: area name"}},
        {"id": "provisions", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Provision sites (public fields only; pupil counts are in /api/provisions)",
         "fields": {"id": "String: provision id", "name": "String: name",
                    "kind": "String: provision kind", "needs": "String: need codes, comma-separated",
                    "age_min": "Number: youngest age, years", "age_max": "Number: oldest age, years",
                    "capacity": "Number: places (absent when unknown)",
                    "in_area": "Boolean: site inside the authority",
                    "receiving": "Boolean: may receive pupils in this scenario"}},
        {"id": "places", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Named places from the OpenStreetMap extract (place=*)",
         "fields": {"name": "String: name",
                    "place": format!("String: {}", place_kinds.join(", ")),
                    "population": "Number: population tag (absent when untagged or not a number)",
                    "rank": "Number: label priority, 1 (city) to 6 (neighbourhood), lower first"}},
    ]);
    tilejson_reply(&state, &headers, "base", "base map", layers).await
}

/// `GET /tiles/officer.json`: TileJSON of the officers' layers (the document itself holds no
/// pupil data and needs no token; its tiles do).
pub async fn officer_tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layers = json!([
        {"id": "journeys", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Each pupil's current journey: routed along the roads, or estimated (a straight line home to school)",
         "fields": {"estimated": "Boolean: estimated (draw dashed)",
                    "phase": "String: primary, secondary or post16",
                    "minutes": "Number: one-way minutes, rounded",
                    "out_of_area": "Boolean: placed outside the authority",
                    "long_journey": "Boolean: over the guidance limit"}},
        {"id": "moves", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Bring-back moves: a straight line from the current placement's site to the proposed provision's (first point = from)",
         "fields": {"from_id": "String: current provision id", "to_id": "String: proposed provision id",
                    "to_name": "String: proposed provision name",
                    "before_minutes": "Number: current one-way minutes, rounded (absent when unknown)",
                    "after_minutes": "Number: new one-way minutes, rounded"}},
    ]);
    tilejson_reply(&state, &headers, "officer", "officer layers", layers).await
}

/// `GET /tiles/runs.json`: TileJSON of the shared runs (no pupil data and no token, and it
/// does not wait for the planning; its tiles need the token).
pub async fn runs_tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layers = json!([
        {"id": "runs", "minzoom": 0, "maxzoom": TILEJSON_MAX_ZOOM,
         "description": "Planned shared runs: along the roads from the first pupil's home through the others' in pick-up order to the school (a leg with an end off the road extract is straight)",
         "fields": {"school_id": "String: the school's provision id",
                    "school_name": "String: the school's name",
                    "kind": "String: shared, solo or over_guidance",
                    "run": "Number: the run's number within its school (as in /api/runs run_id)",
                    "pupils": "Number: pupils on the run",
                    "minutes": "Number: minutes from the first stop to school, rounded",
                    "km": "Number: road km from the first stop to school",
                    "gbp_per_day": "Number: £ a school day",
                    "vehicle": "String: vehicle type (absent when none)"}},
    ]);
    tilejson_reply(&state, &headers, "runs", "shared runs", layers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_addresses_parse_or_404() {
        assert_eq!(
            tile_id("14", "8100", "5390.mvt").ok(),
            TileId::new(14, 8100, 5390)
        );
        for (z, x, y) in [
            ("17", "0", "0.mvt"),
            ("1", "2", "0.mvt"),
            ("1", "0", "0"),
            ("a", "0", "0.mvt"),
            ("1", "-1", "0.mvt"),
            ("1", "0", "0.png"),
        ] {
            assert!(tile_id(z, x, y).is_err(), "{z}/{x}/{y}");
        }
    }

    #[test]
    fn the_cache_keeps_to_its_cap_dropping_the_oldest() {
        let c = TileCache::new(10);
        let t = |x| TileId::new(4, x, 0).expect("valid");
        c.put(Source::Base, t(0), Bytes::from_static(b"123456"));
        c.put(Source::Base, t(1), Bytes::from_static(b"1234"));
        assert_eq!(c.bytes(), 10);
        c.put(Source::Base, t(2), Bytes::from_static(b"12"));
        assert!(c.get(Source::Base, t(0)).is_none());
        assert!(c.get(Source::Base, t(1)).is_some());
        assert!(c.get(Source::Officer, t(1)).is_none());
        assert_eq!(c.bytes(), 6);
        c.put(Source::Base, t(3), Bytes::from_static(b"12345678901"));
        assert!(c.get(Source::Base, t(3)).is_none());
    }

    #[test]
    fn origins_come_from_a_clean_host_only() {
        let mut h = HeaderMap::new();
        assert_eq!(origin(&h), "");
        h.insert(header::HOST, "127.0.0.1:8080".parse().expect("header"));
        assert_eq!(origin(&h), "http://127.0.0.1:8080");
        h.insert("x-forwarded-proto", "https".parse().expect("header"));
        assert_eq!(origin(&h), "https://127.0.0.1:8080");
        h.insert(header::HOST, "evil\"host".parse().expect("header"));
        assert_eq!(origin(&h), "");
    }
}
