//! The HTTP API through `tower::ServiceExt::oneshot` on the mini (Douglas) scenario:
//! status codes, valid GeoJSON, roles (401/403), suppression of small counts, no pupil ids
//! or home coordinates in public responses, limits and what-ifs that leave the state alone.

use std::path::Path;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use nearhome::app::prepare;
use nearhome::model::LatLon;
use nearhome::serve::auth::Auth;
use nearhome::serve::{router, router_for, AppState, ServiceConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::project_path;

/// The officer token of the shared Rutland state.
pub(crate) const OFFICER: &str = "test-officer-token-0123456789";
const WRONG: &str = "test-wrong-token-012345678901";

/// The mini scenario's state, prepared once per test binary (also served for real by the
/// `server` tests, with their own limits).
pub(crate) fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| {
        let prepared = prepare(&project_path("fixtures/data/mini/scenario.toml"))
            .expect("mini scenario prepares");
        AppState::new(prepared, Auth::new([OFFICER]), ServiceConfig::default())
    })
}

/// The Rutland demo's state, prepared once per test binary (shared with the tile tests).
pub(crate) fn rutland() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| {
        let prepared = prepare(&project_path("fixtures/scenarios/rutland/scenario.toml"))
            .expect("the Rutland demo prepares");
        AppState::new(prepared, Auth::new([OFFICER]), ServiceConfig::default())
    })
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send_to(st: &AppState, req: Request<Body>) -> Reply {
    let app: Router = router(st.clone());
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        content_type,
        body,
    }
}

async fn send(req: Request<Body>) -> Reply {
    send_to(state(), req).await
}

async fn get_in(st: &AppState, uri: &str, token: Option<&str>) -> Reply {
    let mut b = Request::builder().uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send_to(st, b.body(Body::empty()).unwrap()).await
}

async fn get(uri: &str, token: Option<&str>) -> Reply {
    get_in(state(), uri, token).await
}

async fn post_json(uri: &str, body: String, token: Option<&str>) -> Reply {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(b.body(Body::from(body)).unwrap()).await
}

fn assert_error(r: &Reply, status: u16) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    let v = r.json();
    assert!(
        v["error"].as_str().is_some_and(|s| !s.is_empty()),
        "error body: {v}"
    );
}

/// Parse as a GeoJSON FeatureCollection (the geojson crate validates the structure).
fn feature_collection(r: &Reply) -> geojson::FeatureCollection {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = r.text();
    match text.parse::<geojson::GeoJson>() {
        Ok(geojson::GeoJson::FeatureCollection(fc)) => fc,
        other => panic!("not a FeatureCollection: {other:?}"),
    }
}

/// Every `[x, y]` number pair anywhere in a JSON value, except inside Polygon and
/// MultiPolygon geometries (area boundaries are public data with many vertices).
fn pairs(v: &Value, out: &mut Vec<(f64, f64)>) {
    match v {
        Value::Array(a) => {
            if a.len() == 2 {
                if let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64()) {
                    out.push((x, y));
                    return;
                }
            }
            for x in a {
                pairs(x, out);
            }
        }
        Value::Object(m) => {
            if matches!(
                m.get("type").and_then(Value::as_str),
                Some("Polygon" | "MultiPolygon")
            ) {
                return;
            }
            m.values().for_each(|x| pairs(x, out));
        }
        _ => {}
    }
}

/// Public bodies: no pupil id, no point or line vertex at any home (within ~1 m).
fn assert_no_pupil_data_in(st: &AppState, what: &str, body: &str) {
    let pupils = &st.prepared().scenario.pupils;
    for p in pupils {
        assert!(!body.contains(&p.id), "{what} contains a pupil id");
    }
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let mut pts = Vec::new();
        pairs(&v, &mut pts);
        let homes: Vec<LatLon> = pupils.iter().map(|p| p.home).collect();
        for h in homes {
            for &(x, y) in &pts {
                let near = (x - h.lon).abs() < 1e-5 && (y - h.lat).abs() < 1e-5;
                assert!(!near, "{what} has a coordinate at a pupil's home");
            }
        }
    }
}

fn assert_no_pupil_data(what: &str, body: &str) {
    assert_no_pupil_data_in(state(), what, body);
}

/// A public count is null (suppressed), 0, or a multiple of 5 that is at least 10.
fn assert_public_count(what: &str, v: &Value) {
    match v {
        Value::Null => {}
        Value::Number(n) => {
            let n = n
                .as_u64()
                .unwrap_or_else(|| panic!("{what}: {n} not a count"));
            assert!(
                n == 0 || (n >= 10 && n % 5 == 0),
                "{what}: {n} is disclosive"
            );
        }
        other => panic!("{what}: unexpected {other}"),
    }
}

#[tokio::test]
async fn health_and_web_app() {
    let r = get("/api/health", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let page = get("/", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("app.js") && html.contains("style.css"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    for f in ["/app.js", "/style.css"] {
        let r = get(f, None).await;
        assert_eq!(r.status, StatusCode::OK, "{f}");
        assert!(!r.body.is_empty(), "{f}");
    }
}

#[tokio::test]
async fn unknown_route_and_wrong_method_are_json_errors() {
    assert_error(&get("/api/nope", None).await, 404);
    assert_error(&post_json("/api/summary", "{}".into(), None).await, 405);
    assert_error(&get("/api/whatif", None).await, 405);
}

#[tokio::test]
async fn scenario_describes_assumptions() {
    let v = get("/api/scenario", None).await.json();
    assert_eq!(v["name"], "Mini (Douglas, illustrative)");
    let params = &state().prepared().params;
    assert_eq!(v["thresholds"]["primary_max_age"], params.primary_max_age);
    assert_eq!(
        v["thresholds"]["secondary_max_minutes"],
        params.secondary_max_minutes
    );
    assert_eq!(v["params"]["circuity_factor"], params.circuity_factor);
    assert_eq!(v["role"], "public");
    // 6 pupils: a public count below 10 is suppressed.
    assert_eq!(v["pupils"], Value::Null);
    // Where the map opens: the boundary's extent, west, south, east, north.
    let b: Vec<f64> = v["authority_bbox"]
        .as_array()
        .expect("authority_bbox")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect();
    assert_eq!(b.len(), 4);
    assert!(b[0] < b[2] && b[1] < b[3], "{b:?}");
    let whole = state()
        .prepared()
        .scenario
        .boundary
        .bbox()
        .expect("a boundary");
    assert!((b[0] - whole.min_lon).abs() < 1e-5 && (b[3] - whole.max_lat).abs() < 1e-5);
    let officer = get("/api/scenario", Some(OFFICER)).await.json();
    assert_eq!(officer["pupils"], 6);
    assert_eq!(officer["role"], "officer");
}

#[tokio::test]
async fn provisions_are_valid_geojson_points_with_suppressed_counts() {
    let r = get("/api/provisions", None).await;
    let fc = feature_collection(&r);
    assert_eq!(fc.features.len(), 3);
    for f in &fc.features {
        let Some(geojson::GeometryValue::Point { coordinates }) =
            f.geometry.as_ref().map(|g| &g.value)
        else {
            panic!("not a point");
        };
        assert_eq!(coordinates.len(), 2);
    }
    let v = r.json();
    for f in v["features"].as_array().unwrap() {
        let p = &f["properties"];
        for k in ["placed", "moves_in", "moves_out"] {
            assert_public_count(k, &p[k]);
        }
    }
    let ss1 = &v["features"][0]["properties"];
    assert_eq!(ss1["id"], "SS1");
    assert_eq!(ss1["capacity"], 60);
    assert_eq!(ss1["on_roll"], 50, "52 on roll, published rounded to 5");
    assert_eq!(
        ss1["spare_places"], 10,
        "capacity minus the published on roll"
    );
    assert_eq!(ss1["placed"], Value::Null, "2 pupils placed: suppressed");
    assert_no_pupil_data("provisions", &r.text());
    // Officers see the exact count.
    let o = get("/api/provisions", Some(OFFICER)).await.json();
    assert_eq!(o["features"][0]["properties"]["placed"], 2);
}

#[tokio::test]
async fn areas_and_demand_suppress_small_cells() {
    let r = get("/api/areas?layer=halves", None).await;
    let fc = feature_collection(&r);
    assert_eq!(fc.features.len(), 2);
    let v = r.json();
    for f in v["features"].as_array().unwrap() {
        let p = &f["properties"];
        for k in [
            "pupils",
            "out_of_area",
            "long_journeys",
            "bring_back_candidates",
            "moves",
        ] {
            assert_public_count(k, &p[k]);
        }
        assert_eq!(
            p["median_minutes"],
            Value::Null,
            "percentiles of < 10 pupils hidden"
        );
    }
    assert_eq!(v["features"][0]["properties"]["pupils"], Value::Null);
    assert_no_pupil_data("areas", &r.text());
    let o = get("/api/areas?layer=halves", Some(OFFICER)).await.json();
    let total: u64 = o["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["pupils"].as_u64().unwrap())
        .sum();
    assert!(total <= 6 && total > 0);

    let d = get("/api/demand?need=ASD&layer=halves", None).await;
    let fc = feature_collection(&d);
    assert_eq!(fc.features.len(), 2);
    for f in d.json()["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["need"], "ASD");
        assert_public_count("demand", &f["properties"]["pupils"]);
    }
    assert_no_pupil_data("demand", &d.text());
    assert_error(&get("/api/areas?layer=nope", None).await, 404);
    assert_error(&get("/api/demand?need=XYZ", None).await, 400);
}

#[tokio::test]
async fn summary_and_csv_suppressed_for_public_exact_for_officers() {
    let r = get("/api/summary", None).await;
    let v = r.json();
    assert_public_count("overall pupils", &v["overall"]["pupils"]);
    assert_eq!(v["overall"]["pupils"], Value::Null);
    for n in v["by_need"].as_array().unwrap() {
        assert_public_count("by need", &n["pupils"]);
    }
    assert_no_pupil_data("summary", &r.text());
    let o = get("/api/summary", Some(OFFICER)).await.json();
    assert_eq!(o["overall"]["pupils"], 6);
    assert_eq!(o["bring_back"]["optimal"]["moved"], 1);

    let csv = get("/api/download/areas.csv", None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    let text = csv.text();
    assert!(text.starts_with("layer,area_id,area_name,need,pupils"));
    let row = text.lines().nth(1).unwrap_or_default();
    assert!(row.contains(",,"), "small cells suppressed (empty): {row}");
    assert_no_pupil_data("areas.csv", &text);
}

#[tokio::test]
async fn pupil_level_endpoints_need_an_officer_token() {
    for uri in [
        "/api/journeys",
        "/api/moves",
        "/api/download/pupils.csv",
        "/api/journeys?area=W&need=ASD",
        "/api/journey-times",
        "/api/journey-times?area=W&need=ASD",
    ] {
        let r = get(uri, None).await;
        assert_error(&r, 401);
        let r = get(uri, Some(WRONG)).await;
        assert_error(&r, 403);
        let r = get(uri, Some(OFFICER)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    }
    let j = get("/api/journeys", Some(OFFICER)).await;
    let fc = feature_collection(&j);
    assert!(!fc.features.is_empty());
    assert!(j.text().contains("X001"), "pseudonymous ids for officers");
    let m = get("/api/moves", Some(OFFICER)).await.json();
    assert_eq!(m["features"].as_array().unwrap().len(), 1);
    assert_eq!(m["features"][0]["properties"]["pupil_id"], "X006");
    assert_eq!(m["features"][0]["properties"]["to_id"], "SS1");
    let csv = get("/api/download/pupils.csv", Some(OFFICER)).await.text();
    assert_eq!(csv.lines().count(), 7);
    assert_error(&get("/api/journeys?area=ZZ", Some(OFFICER)).await, 404);
}

#[tokio::test]
async fn journey_times_bin_exactly_the_journeys_listed() {
    for query in ["", "need=ASD", "area=W", "area=W&need=ASD"] {
        let fc = feature_collection(&get(&format!("/api/journeys?{query}"), Some(OFFICER)).await);
        let t = get(&format!("/api/journey-times?{query}"), Some(OFFICER)).await;
        assert_eq!(t.status, StatusCode::OK, "{query}: {}", t.text());
        let t = t.json();
        assert_eq!(t["bin_minutes"], 5);
        let last = t["last_bin_from"].as_u64().unwrap() as usize;
        let phases = t["phases"].as_array().unwrap();
        let names: Vec<&str> = phases
            .iter()
            .map(|p| p["phase"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["primary", "secondary", "post16"]);
        let mut counted = 0u64;
        for p in phases {
            let bins: Vec<u64> = p["bins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_u64().unwrap())
                .collect();
            assert_eq!(bins.len(), last / 5 + 1);
            assert_eq!(bins.iter().sum::<u64>(), p["journeys"].as_u64().unwrap());
            counted += p["journeys"].as_u64().unwrap();
        }
        assert_eq!(
            counted as usize,
            fc.features.len(),
            "{query}: every journey, once"
        );
        // each listed journey is in its minutes' bin, and the long ones are counted
        let mut want = std::collections::HashMap::new();
        let mut long = 0u64;
        for f in &fc.features {
            let m = f.property("minutes").and_then(|v| v.as_f64()).unwrap();
            let bin = ((m / 5.0).floor() as usize).min(last / 5);
            *want.entry(bin).or_insert(0u64) += 1;
            long += u64::from(
                f.property("long_journey")
                    .and_then(|v| v.as_bool())
                    .unwrap(),
            );
        }
        for (bin, n) in want {
            let got: u64 = phases
                .iter()
                .map(|p| p["bins"][bin].as_u64().unwrap())
                .sum();
            assert_eq!(got, n, "{query}: bin {bin}");
        }
        let over: u64 = phases
            .iter()
            .map(|p| p["over_guidance"].as_u64().unwrap())
            .sum();
        assert_eq!(over, long, "{query}");
    }
    assert_error(&get("/api/journey-times?area=ZZ", Some(OFFICER)).await, 404);
    assert_error(
        &get("/api/journey-times?need=NOPE", Some(OFFICER)).await,
        400,
    );
}

/// Every page of `/api/journeys?{query}` fetched with `limit`, in order: the pages'
/// pupil ids concatenated, and the `total` every page reported.
async fn journey_pages(st: &AppState, query: &str, limit: usize) -> (Vec<String>, usize) {
    let (mut ids, mut offset, mut total) = (Vec::new(), 0usize, None);
    loop {
        let uri = format!("/api/journeys?{query}&limit={limit}&offset={offset}");
        let r = get_in(st, &uri, Some(OFFICER)).await;
        let fc = feature_collection(&r);
        let v = r.json();
        assert_eq!(v["offset"], offset, "{uri}");
        assert_eq!(v["limit"], limit, "{uri}");
        let t = v["total"].as_u64().expect("total") as usize;
        assert!(total.is_none_or(|x| x == t), "{uri}: total changed");
        total = Some(t);
        assert!(fc.features.len() <= limit, "{uri}: page over the limit");
        ids.extend(fc.features.iter().map(|f| {
            f.property("pupil_id")
                .and_then(|p| p.as_str())
                .unwrap()
                .to_string()
        }));
        match v["next_offset"].as_u64() {
            Some(next) => {
                assert_eq!(
                    fc.features.len(),
                    limit,
                    "{uri}: a short page before the last"
                );
                assert_eq!(next as usize, offset + limit, "{uri}");
                offset = next as usize;
            }
            None => {
                assert!(v["next_offset"].is_null(), "{uri}");
                assert_eq!(ids.len(), t, "{uri}: pages add up to the total");
                return (ids, t);
            }
        }
    }
}

/// `/api/journeys` on the Rutland demo: pages concatenate to the whole list in one order,
/// the filters keep exactly the pupils they name (area checked against the polygons
/// themselves), and the paging members are right at the edges.
#[tokio::test]
async fn journeys_filter_and_page() {
    let st = rutland();
    let p = st.prepared();
    // The whole list in one page (fewer journeys than the largest page).
    let (all, total) = journey_pages(st, "need=ALL", 5000).await;
    assert!(
        total > 100,
        "the demo has hundreds of routed journeys: {total}"
    );
    let unique: std::collections::BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a pupil listed twice");
    // The order is the pupils' input order, whatever the page size.
    let position = |id: &str| p.scenario.pupils.iter().position(|u| u.id == id).unwrap();
    assert!(all.windows(2).all(|w| position(&w[0]) < position(&w[1])));
    for limit in [1, 7, 50, total, total + 1] {
        assert_eq!(journey_pages(st, "", limit).await.0, all, "limit {limit}");
    }
    // Defaults: the first 500.
    let v = get_in(st, "/api/journeys", Some(OFFICER)).await.json();
    assert_eq!(
        (v["offset"].clone(), v["limit"].clone()),
        (json!(0), json!(500))
    );
    assert_eq!(v["total"], total);
    assert_eq!(v["features"].as_array().unwrap().len(), total.min(500));
    // Past the end: an empty last page.
    for offset in [total, total + 1, 1_000_000] {
        let uri = format!("/api/journeys?offset={offset}");
        let v = get_in(st, &uri, Some(OFFICER)).await.json();
        assert_eq!(v["features"].as_array().unwrap().len(), 0, "{uri}");
        assert_eq!(v["total"], total, "{uri}");
        assert!(v["next_offset"].is_null(), "{uri}");
    }
    // The last part-page.
    let v = get_in(
        st,
        &format!("/api/journeys?offset={}&limit=10", total - 3),
        Some(OFFICER),
    )
    .await
    .json();
    let ids: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["pupil_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        all[total - 3..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert!(v["next_offset"].is_null());

    // Need: exactly the pupils of that need, in the same order.
    let need_of = |id: &str| p.scenario.pupils[position(id)].need.code();
    for need in ["ASD", "asd", "SEMH"] {
        let (ids, _) = journey_pages(st, &format!("need={need}"), 20).await;
        let expected: Vec<String> = all
            .iter()
            .filter(|id| need_of(id).eq_ignore_ascii_case(need))
            .cloned()
            .collect();
        assert!(!expected.is_empty(), "{need}");
        assert_eq!(ids, expected, "need {need}");
    }

    // Area (within a layer), alone and with a need: the pupils whose home the area's
    // polygon holds (the first such area in file order).
    use geo::Contains;
    let mut areas_with_journeys = 0;
    for (li, layer) in p.scenario.area_layers.iter().enumerate() {
        let first_area = |id: &str| {
            let home = p.scenario.pupils[position(id)].home;
            let pt = geo::Point::new(home.lon, home.lat);
            layer.areas.iter().position(|a| a.geometry.contains(&pt))
        };
        for (ai, area) in layer.areas.iter().enumerate() {
            let expected: Vec<String> = all
                .iter()
                .filter(|id| first_area(id) == Some(ai))
                .cloned()
                .collect();
            let q = format!("layer={}&area={}", layer.id, area.id);
            let (ids, _) = journey_pages(st, &q, 25).await;
            assert_eq!(ids, expected, "{q}");
            areas_with_journeys += usize::from(!ids.is_empty());
            if li == 0 && !expected.is_empty() {
                let need = need_of(&expected[0]);
                let (ids, _) = journey_pages(st, &format!("{q}&need={need}"), 3).await;
                let want: Vec<String> = expected
                    .iter()
                    .filter(|id| need_of(id) == need)
                    .cloned()
                    .collect();
                assert_eq!(ids, want, "{q}&need={need}");
            }
        }
    }
    assert!(areas_with_journeys >= 4, "the filters were exercised");
    // The first layer is the default.
    let first = &p.scenario.area_layers[0];
    let area = &first.areas[0].id;
    assert_eq!(
        journey_pages(st, &format!("area={area}"), 100).await,
        journey_pages(st, &format!("layer={}&area={area}", first.id), 100).await,
    );
}

/// `/api/journeys` on the Rutland demo serves every pupil's journey: routed ones along the
/// road, estimated ones (placements outside the extract) as straight two-point lines from
/// home to site with `journey_source: "estimated"` and the analysis' estimated figures.
#[tokio::test]
async fn estimated_journeys_are_straight_lines_flagged_estimated() {
    let st = rutland();
    let p = st.prepared();
    let v = get_in(st, "/api/journeys?limit=5000", Some(OFFICER))
        .await
        .json();
    let features = v["features"].as_array().unwrap();
    let with_journey = p
        .analysis
        .pupils
        .iter()
        .filter(|r| r.current.is_some())
        .count();
    assert_eq!(
        features.len(),
        with_journey,
        "every journey, routed or estimated"
    );
    let (mut routed, mut estimated) = (0, 0);
    for f in features {
        let props = &f["properties"];
        let id = props["pupil_id"].as_str().unwrap();
        let u = p.scenario.pupils.iter().position(|x| x.id == id).unwrap();
        let r = &p.analysis.pupils[u];
        let coords = f["geometry"]["coordinates"].as_array().unwrap();
        match props["journey_source"].as_str() {
            Some("estimated") => {
                estimated += 1;
                let c = r.current.unwrap();
                assert!(c.estimated, "{id}");
                assert_eq!(coords.len(), 2, "{id}: a straight line");
                let home = p.scenario.pupils[u].home;
                let site = p.scenario.provisions[r.placement.unwrap()].location;
                let at = |i: usize, k: usize| coords[i][k].as_f64().unwrap();
                assert!((at(0, 0) - home.lon).abs() < 1e-6 && (at(0, 1) - home.lat).abs() < 1e-6);
                assert!((at(1, 0) - site.lon).abs() < 1e-6 && (at(1, 1) - site.lat).abs() < 1e-6);
                let minutes = props["minutes"].as_f64().unwrap();
                assert!((minutes - c.minutes).abs() < 0.006, "{id}: {minutes}");
            }
            Some("routed") => {
                routed += 1;
                assert!(!r.current.unwrap().estimated, "{id}");
            }
            other => panic!("{id}: journey_source {other:?}"),
        }
    }
    assert!(
        routed > 100 && estimated > 50,
        "{routed} routed, {estimated} estimated"
    );
}

/// Bad `/api/journeys` parameters: 400 naming the parameter (after the token check: no
/// token is 401 whatever the parameters), unknown layer or area 404.
#[tokio::test]
async fn journeys_refuses_bad_parameters() {
    let bad = [
        ("limit=0", "`limit`"),
        ("limit=5001", "`limit`"),
        ("limit=abc", "`limit`"),
        ("limit=-1", "`limit`"),
        ("limit=2.5", "`limit`"),
        ("limit=", "`limit`"),
        ("offset=-1", "`offset`"),
        ("offset=ten", "`offset`"),
        ("offset=1e3", "`offset`"),
        ("offset=99999999999999999999999", "`offset`"),
        ("need=XYZ", "`need`"),
        ("limit=10&limit=20", "limit"),
    ];
    for (q, name) in bad {
        let uri = format!("/api/journeys?{q}");
        let r = get(&uri, Some(OFFICER)).await;
        assert_error(&r, 400);
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains(name), "{uri}: {msg}");
        assert_error(&get(&uri, None).await, 401);
        assert_error(&get(&uri, Some(WRONG)).await, 403);
    }
    for q in [
        "layer=nope",
        "layer=nope&area=W",
        "area=nope",
        "layer=halves&area=nope",
    ] {
        let uri = format!("/api/journeys?{q}");
        assert_error(&get(&uri, Some(OFFICER)).await, 404);
        assert_error(&get(&uri, None).await, 401);
    }
    // The largest page and a far offset are fine.
    let r = get("/api/journeys?limit=5000&offset=0", Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn route_validates_coordinates() {
    for bad in [
        "/api/route?from=NaN,-4.48&to=54.15,-4.48",
        "/api/route?from=54.15,inf&to=54.15,-4.48",
        "/api/route?from=95,-4.48&to=54.15,-4.48",
        "/api/route?from=54.15&to=54.15,-4.48",
        "/api/route?to=54.15,-4.48",
    ] {
        assert_error(&get(bad, None).await, 400);
    }
    // Mid-Atlantic: no road within the snap limit.
    assert_error(&get("/api/route?from=0,0&to=54.15,-4.48", None).await, 422);
    let r = get("/api/route?from=54.145,-4.47&to=54.17,-4.50", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["geometry"]["type"], "LineString");
    let minutes = v["properties"]["minutes"].as_f64().unwrap();
    let km = v["properties"]["km"].as_f64().unwrap();
    assert!(minutes > 1.0 && minutes < 30.0, "{minutes}");
    assert!(km > 2.0 && km < 20.0, "{km}");
}

#[tokio::test]
async fn catchment_is_a_closed_polygon_and_bounds_are_checked() {
    assert_error(
        &get("/api/catchment?provision=NOPE&minutes=10", None).await,
        404,
    );
    for m in ["0", "121", "abc", "-5", "1e9"] {
        assert_error(
            &get(&format!("/api/catchment?provision=SS1&minutes={m}"), None).await,
            400,
        );
    }
    let r = get("/api/catchment?provision=SS1&minutes=10", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["geometry"]["type"], "Polygon");
    let ring = v["geometry"]["coordinates"][0].as_array().unwrap();
    assert!(ring.len() >= 4);
    assert_eq!(ring.first(), ring.last(), "closed ring");
    let small = get("/api/catchment?provision=SS1&minutes=2", None)
        .await
        .json();
    let n_small = small["properties"]["junctions_reached"].as_u64().unwrap();
    let n_big = v["properties"]["junctions_reached"].as_u64().unwrap();
    assert!(n_small < n_big, "{n_small} < {n_big}");
    // The site itself (public data) is inside the 10-minute polygon's bounding box.
    let xs: Vec<f64> = ring.iter().map(|p| p[0].as_f64().unwrap()).collect();
    let ys: Vec<f64> = ring.iter().map(|p| p[1].as_f64().unwrap()).collect();
    let inside = |v: &[f64], x: f64| {
        v.iter().cloned().fold(f64::INFINITY, f64::min) <= x
            && x <= v.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
    };
    assert!(inside(&xs, -4.48) && inside(&ys, 54.15));
}

/// A secondary ASD base north of Douglas (inside the mini boundary).
fn asd_base(id: &str, places: u32) -> Value {
    json!({"id": id, "name": "New ASD base", "lat": 54.168, "lon": -4.49,
           "needs": ["ASD"], "age_min": 11, "age_max": 18, "places": places})
}

/// SS1 full (52 of 52 places): its one baseline move (X006) can no longer happen.
fn ss1_full() -> Value {
    json!({"id": "SS1", "places": 52})
}

#[tokio::test]
async fn whatif_recomputes_without_touching_shared_state() {
    let before = get("/api/summary", Some(OFFICER)).await.json();
    // SS1 full: nobody comes back.
    let body = json!({"change": [ss1_full()]}).to_string();
    let v = post_json("/api/whatif", body, Some(OFFICER)).await.json();
    assert_eq!(v["baseline"]["moved"], 1);
    assert_eq!(v["whatif"]["moved"], 0);
    assert_eq!(v["change"]["moved"], -1.0);
    assert!(v["change"]["gbp_per_year_saved"].as_f64().unwrap() < 0.0);
    // SS1 full and a new ASD base: the pupil comes back to the new base instead.
    let body = json!({"change": [ss1_full()], "add": [asd_base("NEW1", 4)]}).to_string();
    let r = post_json("/api/whatif", body, Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["whatif"]["moved"], 1);
    let provs = v["provisions"].as_array().unwrap();
    assert_eq!(provs.len(), 2);
    assert_eq!(provs[0]["id"], "SS1");
    assert_eq!(provs[0]["spare_before"], 0);
    assert_eq!(provs[1]["id"], "NEW1");
    assert_eq!(provs[1]["added"], true);
    assert_eq!(provs[1]["moves_in"], 1);
    let after = get("/api/summary", Some(OFFICER)).await.json();
    assert_eq!(before, after, "shared state unchanged");
    // Public callers get the same run with counts suppressed.
    let body = json!({"change": [ss1_full()], "add": [asd_base("NEW1", 4)]}).to_string();
    let p = post_json("/api/whatif", body, None).await.json();
    assert_eq!(p["whatif"]["moved"], Value::Null);
    assert_eq!(
        p["provisions"][1]["moves_in"],
        Value::Null,
        "1 pupil: suppressed"
    );
    assert_no_pupil_data("whatif", &p.to_string());
}

#[tokio::test]
async fn concurrent_whatifs_do_not_interfere() {
    let bodies: Vec<String> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                json!({"change": [ss1_full()], "add": [asd_base(&format!("N{i}"), 3)]}).to_string()
            } else {
                json!({"change": [ss1_full()]}).to_string()
            }
        })
        .collect();
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|b| tokio::spawn(async move { post_json("/api/whatif", b, Some(OFFICER)).await }))
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let v = t.await.unwrap().json();
        // With SS1 full only the new base can take the pupil back.
        let want = if i % 2 == 0 { 1 } else { 0 };
        assert_eq!(v["whatif"]["moved"], want, "request {i}: {v}");
    }
}

#[tokio::test]
async fn whatif_limits_and_validation() {
    // Body over 64 KiB.
    let huge = format!("{{\"add\": [], \"pad\": \"{}\"}}", "x".repeat(70 * 1024));
    assert_error(&post_json("/api/whatif", huge, None).await, 413);
    // More provisions than allowed (small enough to pass the body limit).
    let many: Vec<Value> = (0..51).map(|i| json!({"id": "SS1", "places": i})).collect();
    let body = json!({ "change": many }).to_string();
    assert_error(&post_json("/api/whatif", body, None).await, 413);
    // 10,000 points: refused by the body limit.
    let points: Vec<Value> = (0..10_000).map(|i| asd_base(&format!("P{i}"), 1)).collect();
    let body = json!({ "add": points }).to_string();
    assert_error(&post_json("/api/whatif", body, None).await, 413);
    // Invalid values.
    let cases = [
        json!({"add": [{"id": "A", "lat": 95.0, "lon": -4.48, "needs": ["ASD"], "age_min": 5, "age_max": 11, "places": 5}]}),
        json!({"add": [{"id": "A", "lat": 54.15, "lon": -4.48, "needs": ["XYZ"], "age_min": 5, "age_max": 11, "places": 5}]}),
        json!({"add": [{"id": "A", "lat": 54.15, "lon": -4.48, "needs": ["ASD"], "age_min": 12, "age_max": 11, "places": 5}]}),
        json!({"add": [{"id": "SS1", "lat": 54.15, "lon": -4.48, "needs": ["ASD"], "age_min": 5, "age_max": 11, "places": 5}]}),
        json!({"add": [{"id": "A", "lat": 54.32, "lon": -4.38, "needs": ["ASD"], "age_min": 5, "age_max": 11, "places": 5}]}),
        json!({"add": [{"id": "A", "lat": 54.15, "lon": -4.48, "needs": ["ASD"], "age_min": 5, "age_max": 11, "places": 0}]}),
        json!({"change": [{"id": "NOPE", "places": 5}]}),
        json!({}),
    ];
    for c in cases {
        assert_error(&post_json("/api/whatif", c.to_string(), None).await, 422);
    }
    assert_error(
        &post_json("/api/whatif", "{not json".into(), None).await,
        400,
    );
}

#[tokio::test]
async fn long_query_strings_are_refused() {
    let q = "x".repeat(5000);
    assert_error(&get(&format!("/api/route?from={q}"), None).await, 414);
}

#[tokio::test]
async fn basemap_draws_roads_and_boundary() {
    let r = get("/api/basemap", None).await;
    let fc = feature_collection(&r);
    assert!(fc.features.len() > 10);
    let v = r.json();
    assert_eq!(v["features"][0]["properties"]["kind"], "boundary");
    let all = get("/api/basemap?detail=all", None).await;
    assert!(all.body.len() > r.body.len(), "more detail, more roads");
    assert_error(&get("/api/basemap?detail=huge", None).await, 400);
}

/// The mini fixture behind most API tests loads cleanly: every row of every file accepted
/// (pupils located by coordinates and by postcode alike), so a test against it that sees
/// fewer pupils or provisions is failing for a real reason.
#[test]
fn mini_scenario_loads_every_row() {
    let path = project_path("fixtures/data/mini/scenario.toml");
    let (scenario, report) =
        nearhome::model::scenario::Scenario::load(Path::new(&path), None).expect("mini loads");
    assert!(!report.has_errors(), "{report:#}");
    for f in &report.files {
        assert_eq!(f.read, Some(f.accepted), "{}: {report:#}", f.file);
        assert_eq!(f.rejected, 0, "{}", f.file);
    }
    let rows = |name: &str| {
        let text = std::fs::read_to_string(project_path(&format!("fixtures/data/mini/{name}")))
            .expect("fixture readable");
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count()
    };
    assert_eq!(scenario.pupils.len(), rows("pupils.csv"));
    assert_eq!(scenario.provisions.len(), rows("provisions.csv"));
    assert!(scenario.pupils.len() >= 6 && scenario.provisions.len() >= 3);
}

/// The Rutland demo (335 pupils): every public count is suppressed (1..=9) or rounded to 5,
/// no line of the published grid has exactly one hidden cell, every exact 1..=9 is hidden,
/// and no public response carries a pupil id or home.
#[tokio::test]
async fn rutland_public_counts_follow_the_disclosure_rules() {
    let st = rutland();
    let needs: Vec<String> = get_in(st, "/api/scenario", None).await.json()["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let mut cols = vec!["ALL".to_string()];
    cols.extend(needs);
    let summary = get_in(st, "/api/summary", None).await;
    assert_no_pupil_data_in(st, "summary", &summary.text());
    let summary = summary.json();
    let total_row: Vec<Value> = cols
        .iter()
        .map(|c| {
            if c == "ALL" {
                summary["overall"]["pupils"].clone()
            } else {
                summary["by_need"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|n| n["need"] == c.as_str())
                    .map(|n| n["pupils"].clone())
                    .unwrap()
            }
        })
        .collect();
    assert!(total_row[0]
        .as_u64()
        .is_some_and(|n| n % 5 == 0 && n >= 300));
    let mut columns_checked = 0;
    for layer in ["places", "parishes"] {
        // grid[area][col] public and exact
        let mut public: Vec<Vec<Value>> = Vec::new();
        let mut exact: Vec<Vec<u64>> = Vec::new();
        for (ci, need) in cols.iter().enumerate() {
            let uri = format!("/api/demand?layer={layer}&need={need}");
            let p = get_in(st, &uri, None).await;
            assert_no_pupil_data_in(st, &uri, &p.text());
            let o = get_in(st, &uri, Some(OFFICER)).await.json();
            let pf = p.json()["features"].as_array().unwrap().clone();
            let of = o["features"].as_array().unwrap().clone();
            if ci == 0 {
                public = vec![Vec::new(); pf.len()];
                exact = vec![Vec::new(); of.len()];
            }
            for (ai, (f, g)) in pf.iter().zip(&of).enumerate() {
                assert_eq!(f["properties"]["area_id"], g["properties"]["area_id"]);
                let v = f["properties"]["pupils"].clone();
                assert_public_count(&uri, &v);
                public[ai].push(v);
                exact[ai].push(g["properties"]["pupils"].as_u64().unwrap());
            }
        }
        for (ai, row) in public.iter().enumerate() {
            for (ci, v) in row.iter().enumerate() {
                let n = exact[ai][ci];
                if (1..10).contains(&n) {
                    assert!(v.is_null(), "{layer} area {ai} col {ci}: exact {n} shown");
                }
                if let Some(shown) = v.as_u64() {
                    assert!(shown.abs_diff(n) <= 2, "rounded to the nearest 5");
                }
            }
            let hidden = row.iter().filter(|v| v.is_null()).count();
            assert_ne!(hidden, 1, "{layer} area {ai}: one hidden cell in a row");
        }
        // Columns with the authority total (homes outside every area are a hidden extra
        // row in the grid, so only check layers where the areas cover every home).
        let covered: u64 = exact.iter().map(|r| r[0]).sum();
        if covered == st.prepared().scenario.pupils.len() as u64 {
            columns_checked += 1;
            for ci in 0..cols.len() {
                let mut hidden = public.iter().filter(|r| r[ci].is_null()).count();
                hidden += usize::from(total_row[ci].is_null());
                assert_ne!(hidden, 1, "{layer} column {}: one hidden cell", cols[ci]);
            }
        }
    }
    assert!(columns_checked > 0, "no layer covers every home");
    for uri in [
        "/api/provisions",
        "/api/areas?layer=places",
        "/api/areas?layer=parishes",
        "/api/scenario",
        "/api/download/areas.csv",
    ] {
        let r = get_in(st, uri, None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_no_pupil_data_in(st, uri, &r.text());
    }
    let prov = get_in(st, "/api/provisions", None).await.json();
    for f in prov["features"].as_array().unwrap() {
        for k in ["placed", "moves_in", "moves_out"] {
            assert_public_count(k, &f["properties"][k]);
        }
    }
}

/// A request still running when the per-request time limit passes gets 408 as JSON.
#[tokio::test]
async fn slow_requests_time_out() {
    static ZERO: OnceLock<AppState> = OnceLock::new();
    let st = ZERO.get_or_init(|| {
        let prepared = prepare(&project_path("fixtures/data/mini/scenario.toml"))
            .expect("mini scenario prepares");
        let config = ServiceConfig {
            request_timeout: std::time::Duration::ZERO,
            ..ServiceConfig::default()
        };
        AppState::new(prepared, Auth::new([OFFICER]), config)
    });
    // Every what-if slot is taken, so the request cannot finish: it must time out, through
    // the service's timeout (408) or its own wait for a slot (503), whichever fires first,
    // never succeed (a fast what-if could otherwise beat a zero-length timer).
    let slots = st.whatif_slots();
    let held = slots
        .clone()
        .acquire_many_owned(st.config().whatif_concurrency as u32)
        .await
        .expect("slots");
    let body = json!({"change": [ss1_full()]}).to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/whatif")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let r = send_to(st, req).await;
    let status = r.status.as_u16();
    assert!(status == 408 || status == 503, "{status}: {}", r.text());
    assert_error(&r, status);
    drop(held);
}

async fn post_json_in(st: &AppState, uri: &str, body: &str, token: Option<&str>) -> Reply {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send_to(st, b.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn planning_endpoints_are_officer_only_and_answer() {
    let st = rutland();
    let body = r#"{"need": "ASD", "places": 12, "k": 2, "age_min": 0, "age_max": 25}"#;
    assert_error(&post_json_in(st, "/api/site", body, None).await, 401);
    assert_error(&post_json_in(st, "/api/site", body, Some(WRONG)).await, 403);
    assert_error(&get_in(st, "/api/capital", None).await, 401);
    let r = post_json_in(st, "/api/site", body, Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let per_k = v["site"]["per_k"].as_array().expect("per_k");
    assert_eq!(per_k.len(), 2);
    // The appraisal at the default settings: every proposal and chosen set, with NPVs.
    let options = v["site"]["appraisal"]["options"]
        .as_array()
        .expect("appraisal");
    assert!(options
        .iter()
        .any(|o| o["kind"] == "chosen_set" && o["central"]["npv_gbp"].is_f64()));
    assert_eq!(
        v["site"]["appraisal"]["settings"]["discount"]["rate"],
        0.035
    );
    assert!(v["capital"]["rows"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    // Without ages the phase of the need's out-of-area pupils is used, and said.
    let r = post_json_in(
        st,
        "/api/site",
        r#"{"need": "ASD", "places": 12, "k": 2}"#,
        Some(OFFICER),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let q = &r.json()["site"]["request"];
    assert_eq!(
        (q["age_min"].as_u64(), q["age_max"].as_u64()),
        (Some(11), Some(15)),
        "{q}"
    );
    assert!(
        q["ages_basis"]
            .as_str()
            .is_some_and(|s| s.contains("secondary")),
        "{q}"
    );
    let r = get_in(st, "/api/capital", Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Bad requests: unknown need, k too large, bad candidate coordinates, malformed JSON.
    let bad = [
        (r#"{"need": "XYZ", "places": 12, "k": 1}"#, 422),
        (r#"{"need": "ASD", "places": 12, "k": 50}"#, 413),
        (r#"{"need": "ASD", "places": 0, "k": 1}"#, 422),
        (r#"{"need": "ASD", "places": 12"#, 400),
    ];
    for (b, status) in bad {
        let r = post_json_in(st, "/api/site", b, Some(OFFICER)).await;
        assert!(
            r.status.as_u16() == status || (status == 422 && r.status.as_u16() == 400),
            "{b}: {} {}",
            r.status,
            r.text()
        );
    }
}

#[tokio::test]
async fn hexagon_demand_is_officer_only_and_counts_every_pupil() {
    let st = rutland();
    assert_error(&get_in(st, "/api/demand?layer=hex", None).await, 401);
    assert_error(
        &get_in(st, "/api/demand?layer=hex&hex_m=5", Some(OFFICER)).await,
        400,
    );
    let r = get_in(st, "/api/demand?layer=hex&hex_m=2000", Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let fc = feature_collection(&r);
    let total: u64 = fc
        .features
        .iter()
        .map(|f| f.property("pupils").and_then(|v| v.as_u64()).unwrap())
        .sum();
    assert_eq!(total as usize, st.prepared().scenario.pupils.len());
}

/// `assert_error`, and the message names `field`.
fn assert_error_naming(r: &Reply, status: u16, field: &str) {
    assert_error(r, status);
    let msg = r.json()["error"].as_str().unwrap_or("").to_string();
    assert!(msg.contains(&format!("`{field}`")), "{msg}");
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_naming_them() {
    let cases = [
        ("/api/areas?layer=wards&colour=red", "colour"),
        ("/api/demand?need=ASD&zoom=3", "zoom"),
        ("/api/basemap?detail=major&style=dark", "style"),
        ("/api/journeys?limit=10&sort=minutes", "sort"),
        (
            "/api/route?from=54.15,-4.48&to=54.16,-4.47&via=54.2,-4.5",
            "via",
        ),
        ("/api/catchment?provision=SS1&minutes=10&mode=walk", "mode"),
    ];
    for (uri, field) in cases {
        let r = get(uri, Some(OFFICER)).await;
        assert_error_naming(&r, 400, field);
    }
    // Known parameters alone still work.
    let r = get("/api/basemap?detail=major", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn unknown_body_fields_are_refused_naming_them() {
    // What-if: top level and inside `add` and `change`.
    let mut add = asd_base("NEW1", 5);
    add["colour"] = json!("red");
    let cases = [
        (json!({"change": [ss1_full()], "remove": ["SS1"]}), "remove"),
        (json!({ "add": [add] }), "colour"),
        (
            json!({"change": [{"id": "SS1", "places": 70, "spare": 3}]}),
            "spare",
        ),
    ];
    for (body, field) in cases {
        let r = post_json("/api/whatif", body.to_string(), None).await;
        assert_error_naming(&r, 400, field);
    }
    // Siting: top level and inside a candidate and its location.
    let st = rutland();
    let site = [
        (
            r#"{"need": "ASD", "places": 12, "k": 1, "budget": 5}"#,
            "budget",
        ),
        (
            r#"{"need": "ASD", "places": 12, "k": 1, "extra_candidates":
               [{"id": "C1", "name": "C", "location": {"lat": 52.67, "lon": -0.73}, "rank": 1}]}"#,
            "rank",
        ),
        (
            r#"{"need": "ASD", "places": 12, "k": 1, "extra_candidates":
               [{"id": "C1", "name": "C", "location": {"lat": 52.67, "lon": -0.73, "alt": 90}}]}"#,
            "alt",
        ),
    ];
    for (body, field) in site {
        let r = post_json_in(st, "/api/site", body, Some(OFFICER)).await;
        assert_error_naming(&r, 400, field);
    }
    // A missing field is still 422 (well-formed JSON that does not fit).
    let r = post_json_in(st, "/api/site", r#"{"need": "ASD", "k": 1}"#, Some(OFFICER)).await;
    assert_error(&r, 422);
}

#[tokio::test]
async fn long_paths_are_refused() {
    let path = format!("/api/{}", "x".repeat(2000));
    assert_error(&get(&path, None).await, 414);
    // Under the limit an unknown path is still a plain 404.
    assert_error(&get(&format!("/api/{}", "x".repeat(500)), None).await, 404);
}

async fn get_with_host(app: Router, uri: &str, host: Option<&str>) -> (StatusCode, Value) {
    let mut b = Request::builder().uri(uri);
    if let Some(h) = host {
        b = b.header(header::HOST, h);
    }
    let resp = app.oneshot(b.body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn loopback_service_refuses_foreign_hosts() {
    let loopback = router_for(state().clone(), "127.0.0.1:8080".parse().unwrap());
    for host in [
        Some("localhost"),
        Some("localhost:8080"),
        Some("127.0.0.1"),
        Some("127.0.0.1:8080"),
        Some("[::1]"),
        Some("[::1]:8080"),
        None,
    ] {
        let (status, v) = get_with_host(loopback.clone(), "/api/health", host).await;
        assert_eq!(status, StatusCode::OK, "{host:?}: {v}");
    }
    for host in [
        "attacker.example",
        "attacker.example:8080",
        "localhost.attacker.example",
        "192.168.1.10:8080",
    ] {
        let (status, v) = get_with_host(loopback.clone(), "/api/health", Some(host)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| e.contains("loopback")),
            "{v}"
        );
    }
    // An absolute-form target naming another host is refused too, whatever `Host` says.
    let (status, v) = get_with_host(
        loopback.clone(),
        "http://attacker.example/api/health",
        Some("127.0.0.1"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    // Unknown routes are refused the same way (no route probing through a rebound name).
    let (status, _) = get_with_host(loopback, "/nope", Some("attacker.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Bound to every interface (or through `router`), any host is served.
    let any = router_for(state().clone(), "0.0.0.0:8080".parse().unwrap());
    let (status, v) = get_with_host(any, "/api/health", Some("attacker.example")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) =
        get_with_host(router(state().clone()), "/api/health", Some("maps.example")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

/// A writer into a shared buffer, for capturing log lines.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_request_log_line_with_the_route_never_the_query() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            nearhome::serve::DEFAULT_LOG_FILTER,
        ))
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // The test runtime is single-threaded, so a thread-local subscriber sees every request.
    let _guard = tracing::subscriber::set_default(subscriber);
    // tracing caches each call site's interest process-wide. With one registered
    // dispatcher it asks the *registering thread's* default, so a test running in parallel
    // without a subscriber could cache "never" for the request-log call sites; with a
    // second one it combines them all ("sometimes": every event asks the current one).
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let r = get(
        "/api/route?from=54.15123,-4.48456&to=54.16789,-4.47012",
        None,
    )
    .await;
    assert!(
        r.status.is_success() || r.status.is_client_error(),
        "{}",
        r.status
    );
    let status = r.status.as_u16();
    let r = get("/private/54.15123?home=54.15123,-4.48456", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = get("/api/journeys?limit=1", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("request{")).collect();
    assert_eq!(lines.len(), 3, "one line per request:\n{text}");
    assert!(
        lines[0].contains("method=GET")
            && lines[0].contains("route=/api/route")
            && lines[0].contains(&format!("status={status}"))
            && lines[0].contains("latency="),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("route=(other)") && lines[1].contains("status=404"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("route=/api/journeys") && lines[2].contains("status=401"),
        "{}",
        lines[2]
    );
    for secret in ["54.15", "4.48", "private", "home=", "limit="] {
        assert!(!text.contains(secret), "`{secret}` logged:\n{text}");
    }
}

#[tokio::test]
async fn transport_runs_are_for_officers_and_the_public_sees_suppressed_aggregates() {
    let st = rutland();
    // Public: aggregates only, through the disclosure rules.
    let r = get_in(st, "/api/transport", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_no_pupil_data_in(st, "/api/transport", &r.text());
    let v = r.json();
    assert!(
        v.get("schools").is_none(),
        "per-school detail is for officers"
    );
    assert_public_count("pupils_planned", &v["pupils_planned"]);
    for a in v["areas"].as_array().expect("areas") {
        assert_public_count("area pupils", &a["pupils"]);
        if a["pupils"].is_null() {
            assert!(a["gbp_per_year"].is_null() && a["vehicles"].is_null());
        }
    }
    // Officer: the summary with its baselines.
    let o = get_in(st, "/api/transport", Some(OFFICER)).await.json();
    let plan = o["plan"]["gbp_per_day"].as_f64().expect("a plan");
    assert!(plan <= o["greedy"]["gbp_per_day"].as_f64().expect("greedy") + 1e-6);
    assert!(plan < o["solo_vehicles"]["gbp_per_day"].as_f64().expect("solo"));
    // One school's runs: officers only; a line per run and a point per stop.
    let school = o["schools"][0]["id"]
        .as_str()
        .expect("a school")
        .to_string();
    let uri = format!("/api/runs?school={school}");
    assert_error(&get_in(st, &uri, None).await, 401);
    assert_error(&get_in(st, &uri, Some(WRONG)).await, 403);
    let fc = feature_collection(&get_in(st, &uri, Some(OFFICER)).await);
    let lines = fc
        .features
        .iter()
        .filter(|f| f.property("kind").is_some())
        .count();
    assert_eq!(
        lines as u64,
        o["schools"][0]["plan"]["runs"].as_u64().expect("runs")
    );
    assert_error(
        &get_in(st, "/api/runs?school=nowhere", Some(OFFICER)).await,
        404,
    );
    assert_error(&get_in(st, "/api/runs", Some(OFFICER)).await, 400);
    assert_error(
        &get_in(st, "/api/runs?school=x&colour=red", Some(OFFICER)).await,
        400,
    );
}

#[tokio::test]
async fn whatif_recosts_moves_on_runs_for_officers() {
    let st = rutland();
    // A change that changes nothing: a school's places set to what they are.
    let same = st
        .prepared()
        .scenario
        .provisions
        .iter()
        .find_map(|p| Some(json!({"id": p.id, "places": p.capacity?})))
        .expect("a provision with known places");
    let body = json!({"runs": true, "change": [same]}).to_string();
    assert_error(&post_json_in(st, "/api/whatif", &body, None).await, 401);
    let r = post_json_in(st, "/api/whatif", &body, Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let runs = &v["runs"];
    assert!(runs["baseline"]["moves"].as_u64().expect("moves") > 0);
    // Nothing changed: the same moves planned again give the same runs.
    assert_eq!(runs["baseline"], runs["whatif"]);
    assert_eq!(runs["change_gbp_per_year_saved"].as_f64(), Some(0.0));
    let b = &runs["baseline"];
    let saved =
        b["gbp_per_year_before"].as_f64().unwrap() - b["gbp_per_year_after"].as_f64().unwrap();
    assert!((saved - b["gbp_per_year_saved"].as_f64().unwrap()).abs() < 1e-6);
    // Without the flag the answer carries no runs block.
    let body = json!({"change": [same]}).to_string();
    let plain = post_json_in(st, "/api/whatif", &body, Some(OFFICER))
        .await
        .json();
    assert!(plain["runs"].is_null());
}
