//! Vector tiles on the Rutland demo, decoded with an independent MVT reader (`mvt-reader`,
//! not the encoder): public tiles over the whole extent carry no pupil features or fields,
//! officer tiles (journeys and moves; shared runs) need the token, TileJSON carries the
//! OpenStreetMap attribution, roads by zoom, provisions in the right tile, place names from
//! the extract, every planned run drawn once ending at its school.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use mvt_reader::feature::Value as MvtValue;
use mvt_reader::Reader;
use nearhome::model::LatLon;
use nearhome::output::tiles::{unmercator, TileId, EXTENT};
use nearhome::serve::router;
use serde_json::Value;
use tower::ServiceExt;

use crate::api::{rutland, OFFICER};

const WRONG: &str = "tiles-wrong-token-0123456789ab";

/// Oakham town centre.
const OAKHAM: LatLon = LatLon {
    lat: 52.6709,
    lon: -0.7270,
};

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

async fn get(path: &str, token: Option<&str>) -> Reply {
    let mut req = Request::get(path).header(header::HOST, "127.0.0.1:8080");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = router(rutland().clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// One decoded feature: its layer, geometry (tile units) and properties.
#[derive(Debug, Clone)]
struct Decoded {
    layer: String,
    geometry: geo::Geometry<f32>,
    props: HashMap<String, MvtValue>,
}

/// Decode a tile with `mvt-reader` (an empty body is an empty tile).
fn decode(body: &[u8], label: &str) -> Vec<Decoded> {
    if body.is_empty() {
        return Vec::new();
    }
    let reader = Reader::new(body.to_vec()).unwrap_or_else(|e| panic!("{label}: {e:?}"));
    let meta = reader.get_layer_metadata().unwrap();
    let mut out = Vec::new();
    for layer in meta {
        assert_eq!(layer.extent, EXTENT, "{label} layer {}", layer.name);
        assert_eq!(layer.version, 2, "{label} layer {}", layer.name);
        for f in reader.get_features(layer.layer_index).unwrap() {
            out.push(Decoded {
                layer: layer.name.clone(),
                geometry: f.geometry,
                props: f.properties.unwrap_or_default(),
            });
        }
    }
    out
}

async fn tile(source: &str, t: TileId, token: Option<&str>) -> Vec<Decoded> {
    let path = format!("/tiles/{source}/{}/{}/{}.mvt", t.z, t.x, t.y);
    let r = get(&path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}");
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/vnd.mapbox-vector-tile",
        "{path}"
    );
    assert!(r.body.len() < 2 << 20, "{path}: {} bytes", r.body.len());
    decode(&r.body, &path)
}

fn text(v: &MvtValue) -> Option<&str> {
    match v {
        MvtValue::String(s) => Some(s),
        _ => None,
    }
}

/// Every tile at zoom `z` over the Rutland road network's bounding box.
fn tiles_over_extent(z: u8) -> Vec<TileId> {
    let net = rutland().prepared().network.as_ref().unwrap();
    let [w, s, e, n] = net.graph.bbox();
    let a = TileId::containing(LatLon { lat: n, lon: w }, z);
    let b = TileId::containing(LatLon { lat: s, lon: e }, z);
    (a.x..=b.x)
        .flat_map(|x| (a.y..=b.y).map(move |y| TileId { z, x, y }))
        .collect()
}

/// A WGS84 point of a decoded tile point.
fn lonlat(t: TileId, x: f32, y: f32) -> LatLon {
    let n = f64::from(1u32 << t.z);
    let e = f64::from(EXTENT);
    unmercator([
        (f64::from(t.x) + f64::from(x) / e) / n,
        (f64::from(t.y) + f64::from(y) / e) / n,
    ])
}

#[tokio::test]
async fn public_tiles_over_rutland_carry_no_pupil_data() {
    let p = rutland().prepared();
    let pupil_ids: HashSet<&str> = p.scenario.pupils.iter().map(|u| u.id.as_str()).collect();
    let allowed: HashMap<&str, BTreeSet<&str>> = [
        ("roads", vec!["class", "name"]),
        ("boundary", vec!["name"]),
        ("areas", vec!["layer", "area_id", "name"]),
        (
            "provisions",
            vec![
                "id",
                "name",
                "kind",
                "needs",
                "age_min",
                "age_max",
                "capacity",
                "in_area",
                "receiving",
            ],
        ),
        ("places", vec!["name", "place", "population", "rank"]),
        ("landuse", vec!["class"]),
        ("water", vec!["class"]),
        ("waterways", vec!["class", "name"]),
    ]
    .into_iter()
    .map(|(l, k)| (l, k.into_iter().collect()))
    .collect();
    let mut layers_seen = BTreeSet::new();
    let mut tiles = 0;
    for z in [0, 6, 9, 11, 13, 14] {
        for t in tiles_over_extent(z) {
            tiles += 1;
            for f in tile("base", t, None).await {
                let label = format!("{}/{}/{} {}", t.z, t.x, t.y, f.layer);
                let Some(keys) = allowed.get(f.layer.as_str()) else {
                    panic!("{label}: a layer that is not public");
                };
                layers_seen.insert(f.layer.clone());
                for (k, v) in &f.props {
                    assert!(keys.contains(k.as_str()), "{label}: field {k}");
                    assert!(!k.contains("pupil"), "{label}: field {k}");
                    if let Some(s) = text(v) {
                        assert!(!pupil_ids.contains(s), "{label}: a pupil id in {k}");
                        assert!(!looks_like_postcode(s), "{label}: a postcode in {k}: {s}");
                    }
                }
            }
        }
    }
    assert!(tiles > 100, "{tiles} tiles");
    let want: BTreeSet<String> = [
        "roads",
        "boundary",
        "areas",
        "provisions",
        "places",
        "landuse",
        "water",
        "waterways",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(layers_seen, want);
}

/// A UK postcode shape: outward code (letters then digits) and an inward code (digit, two
/// letters).
fn looks_like_postcode(s: &str) -> bool {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [out, inn] = parts.as_slice() else {
        return false;
    };
    let inn = inn.as_bytes();
    (2..=4).contains(&out.len())
        && out.as_bytes()[0].is_ascii_uppercase()
        && out.bytes().any(|b| b.is_ascii_digit())
        && inn.len() == 3
        && inn[0].is_ascii_digit()
        && inn[1].is_ascii_uppercase()
        && inn[2].is_ascii_uppercase()
}

#[tokio::test]
async fn roads_by_zoom_and_the_town_centre_at_z14() {
    let classes = |fs: &[Decoded]| -> BTreeSet<String> {
        fs.iter()
            .filter(|f| f.layer == "roads")
            .filter_map(|f| f.props.get("class").and_then(text).map(String::from))
            .collect()
    };
    let z14 = tile("base", TileId::containing(OAKHAM, 14), None).await;
    let c14 = classes(&z14);
    assert!(c14.contains("minor"), "{c14:?}");
    assert!(c14.len() >= 3, "{c14:?}");
    // one feature per class, each a MultiLineString of the class's (joined) lines
    let n14: usize = z14
        .iter()
        .filter(|f| f.layer == "roads")
        .map(|f| match &f.geometry {
            geo::Geometry::MultiLineString(m) => m.0.len(),
            _ => 1,
        })
        .sum();
    assert!(n14 > 20, "{n14} road lines at z14 in Oakham");
    // At z14 one feature per class and name: Oakham's streets by name, each once per class.
    let keyed: Vec<(String, Option<String>)> = z14
        .iter()
        .filter(|f| f.layer == "roads")
        .map(|f| {
            let get = |k| f.props.get(k).and_then(text).map(String::from);
            (get("class").unwrap_or_default(), get("name"))
        })
        .collect();
    let distinct: BTreeSet<_> = keyed.iter().cloned().collect();
    assert_eq!(distinct.len(), keyed.len(), "a class and name twice");
    let names: BTreeSet<&str> = keyed.iter().filter_map(|k| k.1.as_deref()).collect();
    assert!(names.contains("High Street"), "{names:?}");
    assert!(
        names.len() > 10,
        "{} street names at z14 in Oakham",
        names.len()
    );
    // Below z14 no names: one feature per class.
    let z13 = tile("base", TileId::containing(OAKHAM, 13), None).await;
    let roads13: Vec<&Decoded> = z13.iter().filter(|f| f.layer == "roads").collect();
    assert!(roads13.iter().all(|f| !f.props.contains_key("name")));
    assert_eq!(roads13.len(), classes(&z13).len());
    for f in z14.iter().filter(|f| f.layer == "roads") {
        assert!(
            matches!(
                f.geometry,
                geo::Geometry::LineString(_) | geo::Geometry::MultiLineString(_)
            ),
            "{:?}",
            f.geometry
        );
    }
    let allowed_low = ["motorway", "trunk", "primary", "secondary"];
    for z in [6, 8, 9] {
        let mut all = BTreeSet::new();
        for t in tiles_over_extent(z) {
            all.extend(classes(&tile("base", t, None).await));
        }
        assert!(!all.is_empty(), "z{z}: no roads");
        for c in &all {
            assert!(
                allowed_low.contains(&c.as_str()),
                "z{z}: class {c} at low zoom"
            );
        }
        if z < 8 {
            assert!(!all.contains("primary"), "z{z}: {all:?}");
        }
    }
}

#[tokio::test]
async fn areas_decode_as_polygons_that_hold_their_towns() {
    use geo::Contains;
    let t = TileId::containing(OAKHAM, 12);
    let fs = tile("base", t, None).await;
    let n = f64::from(1u32 << t.z);
    let [mx, my] = nearhome::output::tiles::mercator(OAKHAM);
    let e = f64::from(EXTENT);
    let at = geo::Point::new(
        ((mx * n - f64::from(t.x)) * e) as f32,
        ((my * n - f64::from(t.y)) * e) as f32,
    );
    let mut holding = BTreeSet::new();
    for f in fs.iter().filter(|f| f.layer == "areas") {
        let inside = match &f.geometry {
            geo::Geometry::Polygon(p) => p.contains(&at),
            geo::Geometry::MultiPolygon(mp) => mp.contains(&at),
            other => panic!("areas: not a polygon: {other:?}"),
        };
        if inside {
            holding.insert(f.props.get("layer").and_then(text).unwrap().to_string());
        }
    }
    // Oakham lies in one area of each of the demo's two layers.
    let want: BTreeSet<String> = ["parishes", "places"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(holding, want);
}

#[tokio::test]
async fn a_known_provision_is_in_its_tile_and_only_there() {
    let p = rutland().prepared();
    let prov = p
        .scenario
        .provisions
        .iter()
        .find(|x| x.id == "brooke-hill-academy")
        .expect("the demo's provision");
    for z in [10, 12, 14] {
        let t = TileId::containing(prov.location, z);
        let fs = tile("base", t, None).await;
        let hit: Vec<&Decoded> = fs
            .iter()
            .filter(|f| f.layer == "provisions")
            .filter(|f| f.props.get("id").and_then(text) == Some(prov.id.as_str()))
            .collect();
        assert_eq!(hit.len(), 1, "z{z}");
        // mvt-reader gives a point feature as a MultiPoint of one point
        let pt = match &hit[0].geometry {
            geo::Geometry::Point(pt) => *pt,
            geo::Geometry::MultiPoint(mp) if mp.0.len() == 1 => mp.0[0],
            other => panic!("z{z}: not a point: {other:?}"),
        };
        let back = lonlat(t, pt.x(), pt.y());
        // within one tile unit (z10: ~9 m; z14: ~0.6 m)
        let unit_deg = 360.0 / f64::from(1u32 << z) / f64::from(EXTENT);
        assert!(
            (back.lon - prov.location.lon).abs() <= 1.5 * unit_deg
                && (back.lat - prov.location.lat).abs() <= 1.5 * unit_deg,
            "z{z}: {back:?} vs {:?}",
            prov.location
        );
        assert_eq!(
            hit[0].props.get("name").and_then(text),
            Some(prov.name.as_str())
        );
        let right = TileId { x: t.x + 1, ..t };
        let neighbour = tile("base", right, None).await;
        assert!(
            !neighbour
                .iter()
                .any(|f| f.props.get("id").and_then(text) == Some(prov.id.as_str())),
            "z{z}: also in the next tile"
        );
    }
}

#[tokio::test]
async fn water_and_land_use_come_from_the_extract() {
    use nearhome::model::land::LandKind;
    let net = rutland().prepared().network.as_ref().unwrap();
    let land = &net.land;
    assert!(land.counts.multipolygons > 0, "{}", land.describe());
    // Rutland Water: the largest water area, a multipolygon with islands
    let ring_span = |r: &Vec<LatLon>| {
        let (lo, hi) = r.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.lon), hi.max(p.lon))
        });
        hi - lo
    };
    let lake = land
        .areas
        .iter()
        .filter(|a| a.kind == LandKind::Water)
        .max_by(|a, b| ring_span(&a.polygons[0][0]).total_cmp(&ring_span(&b.polygons[0][0])))
        .expect("water in the extract");
    assert!(
        ring_span(&lake.polygons[0][0]) > 0.05,
        "a lake kilometres across"
    );
    let on_shore = lake.polygons[0][0][0];
    for z in [6, 10, 14] {
        let fs = tile("base", TileId::containing(on_shore, z), None).await;
        let water: Vec<&Decoded> = fs.iter().filter(|f| f.layer == "water").collect();
        assert!(!water.is_empty(), "z{z}: the lake is drawn");
        assert!(water.iter().all(|f| matches!(
            f.geometry,
            geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)
        )));
        assert!(water
            .iter()
            .all(|f| f.props.get("class").and_then(text) == Some("water")));
        if z < 8 {
            assert!(!fs
                .iter()
                .any(|f| f.layer == "landuse" || f.layer == "waterways"));
        }
    }
    // land use by class from zoom 10, waterways with their names
    let mut classes = BTreeSet::new();
    let mut named_waterway = false;
    for t in tiles_over_extent(11) {
        for f in tile("base", t, None).await {
            match f.layer.as_str() {
                "landuse" => {
                    classes.insert(
                        f.props
                            .get("class")
                            .and_then(text)
                            .unwrap_or("")
                            .to_string(),
                    );
                }
                "waterways" => named_waterway |= f.props.contains_key("name"),
                _ => {}
            }
        }
    }
    for c in ["farmland", "wood", "residential"] {
        assert!(classes.contains(c), "{c} in {classes:?}");
    }
    assert!(named_waterway);
    // the graph cache keeps them
    let bytes = nearhome::load::network::encode_cache(net).unwrap();
    let back = nearhome::load::network::network_from_cache(&bytes, "test").unwrap();
    assert_eq!(back.land, net.land);
}

#[tokio::test]
async fn place_names_come_from_the_extract() {
    let net = rutland().prepared().network.as_ref().unwrap();
    let oakham = net
        .places
        .iter()
        .find(|p| p.name == "Oakham")
        .expect("Oakham is a place node of the extract");
    assert_eq!(oakham.kind.as_str(), "town");
    let t = TileId::containing(oakham.pos, 10);
    let fs = tile("base", t, None).await;
    let f = fs
        .iter()
        .find(|f| f.layer == "places" && f.props.get("name").and_then(text) == Some("Oakham"))
        .expect("Oakham labelled at z10");
    assert_eq!(f.props.get("place").and_then(text), Some("town"));
    assert!(matches!(
        f.props.get("rank"),
        Some(MvtValue::SInt(2) | MvtValue::Int(2))
    ));
    // villages appear from zoom 11, not at 8
    let low: Vec<Decoded> = tile("base", TileId::containing(oakham.pos, 8), None).await;
    assert!(low
        .iter()
        .filter(|f| f.layer == "places")
        .all(|f| matches!(f.props.get("place").and_then(text), Some("city" | "town"))));
    // the graph cache keeps them
    let bytes = nearhome::load::network::encode_cache(net).unwrap();
    let back = nearhome::load::network::network_from_cache(&bytes, "test").unwrap();
    assert_eq!(back.places, net.places);
    // and the roads' names
    assert!(
        net.road_names.len() > 1000,
        "{} named ways",
        net.road_names.len()
    );
    assert_eq!(back.road_names, net.road_names);
}

#[tokio::test]
async fn officer_tiles_need_the_token_and_carry_journeys_only_as_lines() {
    let t = TileId::containing(OAKHAM, 10);
    let path = format!("/tiles/officer/{}/{}/{}.mvt", t.z, t.x, t.y);
    let r = get(&path, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(body["error"].is_string());
    let r = get(&path, Some(WRONG)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(body["error"].is_string());
    // the same answers as the officer JSON endpoint
    assert_eq!(
        get("/api/journeys", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    let p = rutland().prepared();
    let pupil_ids: HashSet<&str> = p.scenario.pupils.iter().map(|u| u.id.as_str()).collect();
    let fs = tile("officer", t, Some(OFFICER)).await;
    let journeys: Vec<&Decoded> = fs.iter().filter(|f| f.layer == "journeys").collect();
    assert!(journeys.len() > 50, "{} journeys", journeys.len());
    let keys: BTreeSet<&str> = [
        "estimated",
        "phase",
        "minutes",
        "out_of_area",
        "long_journey",
    ]
    .into_iter()
    .collect();
    for f in &fs {
        assert!(
            f.layer == "journeys" || f.layer == "moves",
            "layer {}",
            f.layer
        );
        assert!(
            matches!(
                f.geometry,
                geo::Geometry::LineString(_) | geo::Geometry::MultiLineString(_)
            ),
            "{:?}",
            f.geometry
        );
        for (k, v) in &f.props {
            assert!(!k.contains("pupil"), "field {k}");
            if let Some(s) = text(v) {
                assert!(!pupil_ids.contains(s), "a pupil id in {k}");
            }
        }
        if f.layer == "journeys" {
            let got: BTreeSet<&str> = f.props.keys().map(String::as_str).collect();
            assert_eq!(got, keys);
            assert!(matches!(
                f.props.get("phase").and_then(text),
                Some("primary" | "secondary" | "post16")
            ));
        }
    }
    // every zoom-0 officer tile decodes (the whole county in one tile)
    let z0 = tile("officer", TileId { z: 0, x: 0, y: 0 }, Some(OFFICER)).await;
    assert!(z0.iter().any(|f| f.layer == "journeys"));
}

#[tokio::test]
async fn tilejson_names_the_tiles_bounds_and_attribution() {
    for (source, layers) in [
        (
            "base",
            vec![
                "landuse",
                "water",
                "waterways",
                "roads",
                "boundary",
                "areas",
                "provisions",
                "places",
            ],
        ),
        ("officer", vec!["journeys", "moves"]),
        ("runs", vec!["runs"]),
    ] {
        let r = get(&format!("/tiles/{source}.json"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{source}");
        let j: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(j["tilejson"], "3.0.0");
        assert_eq!(
            j["tiles"][0],
            format!("http://127.0.0.1:8080/tiles/{source}/{{z}}/{{x}}/{{y}}.mvt")
        );
        assert_eq!(j["maxzoom"], 14);
        assert_eq!(j["minzoom"], 0);
        assert!(j["attribution"]
            .as_str()
            .unwrap()
            .contains("© OpenStreetMap contributors"));
        let b: Vec<f64> = j["bounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(b[0] < OAKHAM.lon && OAKHAM.lon < b[2] && b[1] < OAKHAM.lat && OAKHAM.lat < b[3]);
        assert!(b[2] - b[0] < 2.0, "{b:?}");
        let c = j["center"].as_array().unwrap();
        assert!((b[0]..=b[2]).contains(&c[0].as_f64().unwrap()));
        let ids: Vec<&str> = j["vector_layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, layers);
        for l in j["vector_layers"].as_array().unwrap() {
            assert!(l["fields"].as_object().is_some_and(|f| !f.is_empty()));
        }
    }
}

#[tokio::test]
async fn bad_tile_addresses_are_404_and_tiles_are_cached() {
    for path in [
        "/tiles/base/17/0/0.mvt",
        "/tiles/base/2/4/0.mvt",
        "/tiles/base/2/0/0.png",
        "/tiles/base/x/0/0.mvt",
        "/tiles/nope/0/0/0.mvt",
    ] {
        let r = get(path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(body["error"].is_string(), "{path}");
    }
    // far from Rutland: an empty 200
    let r = get("/tiles/base/14/0/0.mvt", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    let t = TileId::containing(OAKHAM, 13);
    let path = format!("/tiles/base/{}/{}/{}.mvt", t.z, t.x, t.y);
    let a = get(&path, None).await.body;
    let b = get(&path, None).await.body;
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert!(rutland().tiles().cache().bytes() > 0);
}

#[tokio::test]
async fn runs_tiles_need_the_token_and_draw_every_planned_run_to_its_school() {
    let t = TileId::containing(OAKHAM, 10);
    let path = format!("/tiles/runs/{}/{}/{}.mvt", t.z, t.x, t.y);
    // The token is checked before the address (a bad address is 401 without one).
    for p in [path.as_str(), "/tiles/runs/17/0/0.mvt"] {
        let r = get(p, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
        assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(body["error"].is_string(), "{p}");
        let r = get(p, Some(WRONG)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{p}");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(body["error"].is_string(), "{p}");
    }
    for p in [
        "/tiles/runs/17/0/0.mvt",
        "/tiles/runs/2/0/0.png",
        "/tiles/runs/2/0/0",
    ] {
        assert_eq!(
            get(p, Some(OFFICER)).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    let r = get(&path, Some(OFFICER)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).unwrap(),
        "private, no-store"
    );

    let st = rutland();
    let p = st.prepared();
    let plan = st.transport().await.expect("Rutland's runs are planned");
    let total: usize = plan.schools.iter().map(|s| s.runs.len()).sum();
    assert!(total > 0, "the demo plans some runs");
    let pupil_ids: HashSet<&str> = p.scenario.pupils.iter().map(|u| u.id.as_str()).collect();
    let required: BTreeSet<&str> = [
        "school_id",
        "school_name",
        "kind",
        "run",
        "pupils",
        "minutes",
        "km",
        "gbp_per_day",
    ]
    .into_iter()
    .collect();
    let number = |v: Option<&MvtValue>| -> Option<f64> {
        match v? {
            MvtValue::Int(i) | MvtValue::SInt(i) => Some(*i as f64),
            MvtValue::UInt(u) => Some(*u as f64),
            MvtValue::Double(d) => Some(*d),
            MvtValue::Float(f) => Some(f64::from(*f)),
            _ => None,
        }
    };
    // Each school's runs all end in the tile holding the school: every run once there,
    // numbered 1..=n, its line ending at the school.
    let mut tiles: HashMap<TileId, Vec<Decoded>> = HashMap::new();
    let mut drawn: BTreeSet<(String, i64)> = BTreeSet::new();
    for s in &plan.schools {
        let school = &p.scenario.provisions[s.school];
        let t = TileId::containing(school.location, 14);
        if let std::collections::hash_map::Entry::Vacant(e) = tiles.entry(t) {
            e.insert(tile("runs", t, Some(OFFICER)).await);
        }
        let mine: Vec<&Decoded> = tiles[&t]
            .iter()
            .filter(|f| f.props.get("school_id").and_then(text) == Some(school.id.as_str()))
            .collect();
        assert_eq!(mine.len(), s.runs.len(), "{}", school.id);
        let pupils: f64 = mine
            .iter()
            .map(|f| number(f.props.get("pupils")).unwrap())
            .sum();
        let planned: usize = s.runs.iter().map(|r| r.pupils.len()).sum();
        assert_eq!(pupils as usize, planned, "{}", school.id);
        let unit_deg = 360.0 / f64::from(1u32 << t.z) / f64::from(EXTENT);
        for f in &mine {
            let run = number(f.props.get("run")).unwrap() as i64;
            assert!(
                (1..=s.runs.len() as i64).contains(&run),
                "{}: run {run}",
                school.id
            );
            assert!(
                drawn.insert((school.id.clone(), run)),
                "{}: run {run} twice",
                school.id
            );
            assert_eq!(
                f.props.get("school_name").and_then(text),
                Some(school.name.as_str())
            );
            // the line's last point is the school
            let last = match &f.geometry {
                geo::Geometry::LineString(l) => l.0.last().copied(),
                geo::Geometry::MultiLineString(m) => m.0.last().and_then(|l| l.0.last().copied()),
                other => panic!("runs: not a line: {other:?}"),
            }
            .unwrap();
            let back = lonlat(t, last.x, last.y);
            assert!(
                (back.lon - school.location.lon).abs() <= 1.5 * unit_deg
                    && (back.lat - school.location.lat).abs() <= 1.5 * unit_deg,
                "{}: ends at {back:?}",
                school.id
            );
        }
    }
    assert_eq!(drawn.len(), total);

    // The lines follow the roads: a run whose stops all snapped is routed leg by leg (more
    // points than stops); a stop off
    // the extract is reached straight, at its home. Each path starts at the first home and
    // ends at the school.
    let mut routed = 0;
    for s in &plan.schools {
        let school = p.scenario.provisions[s.school].location;
        for run in &s.runs {
            let path = nearhome::output::runs::run_path(p, run, school);
            let homes: Vec<LatLon> = run
                .pupils
                .iter()
                .map(|&u| p.scenario.pupils[u].home)
                .collect();
            assert_eq!(path.first(), homes.first());
            assert_eq!(path.last(), Some(&school));
            let snapped = |u: usize| p.analysis.pupils[u].home_snap.snap().is_some();
            for (&u, home) in run.pupils.iter().zip(&homes).skip(1) {
                if !snapped(u) {
                    assert!(path.contains(home), "a stop off the extract is on the line");
                }
            }
            if run.pupils.iter().all(|&u| snapped(u)) {
                assert!(path.len() > homes.len() + 1, "{} points", path.len());
                routed += 1;
            }
        }
    }
    assert!(routed > 0, "some runs have every stop on the roads");

    // Every feature of every tile fetched (and of the county at zoom 8): a line with the
    // run's fields only, nothing that identifies a pupil.
    let z8 = TileId::containing(OAKHAM, 8);
    tiles.insert(z8, tile("runs", z8, Some(OFFICER)).await);
    for (t, fs) in &tiles {
        for f in fs {
            let label = format!("{}/{}/{}", t.z, t.x, t.y);
            assert_eq!(f.layer, "runs", "{label}");
            assert!(
                matches!(
                    f.geometry,
                    geo::Geometry::LineString(_) | geo::Geometry::MultiLineString(_)
                ),
                "{label}: {:?}",
                f.geometry
            );
            let keys: BTreeSet<&str> = f.props.keys().map(String::as_str).collect();
            assert!(keys.is_superset(&required), "{label}: {keys:?}");
            for k in &keys {
                assert!(
                    required.contains(k) || *k == "vehicle",
                    "{label}: field {k}"
                );
                assert!(*k == "pupils" || !k.contains("pupil"), "{label}: field {k}");
                assert!(
                    !["id", "need", "postcode", "home", "lat", "lon"].contains(k),
                    "{label}: field {k}"
                );
            }
            for (k, v) in &f.props {
                if let Some(s) = text(v) {
                    assert!(!pupil_ids.contains(s), "{label}: a pupil id in {k}");
                    assert!(!looks_like_postcode(s), "{label}: a postcode in {k}: {s}");
                }
            }
            assert!(matches!(
                f.props.get("kind").and_then(text),
                Some("shared" | "solo" | "over_guidance")
            ));
            assert!(number(f.props.get("minutes")).is_some_and(|m| m >= 0.0));
            assert!(number(f.props.get("km")).is_some_and(|m| m >= 0.0));
            assert!(number(f.props.get("gbp_per_day")).is_some_and(|m| m > 0.0));
        }
    }
    assert!(tiles[&z8].iter().any(|f| f.layer == "runs"));
}
