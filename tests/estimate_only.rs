//! Estimate-only runs: `analyse` on a scenario whose road extract is missing writes every
//! file with every journey estimated at the defaults and exits 0; `--require-roads`, `site`
//! and `serve` refuse, naming the extract.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{haversine_m, nearhome, project_path};

/// The file the copied scenario names as its road extract (never created).
const MISSING: &str = "nowhere-latest.osm.pbf";

/// A copy of the mini scenario in a temp folder whose `osm` names a missing file.
fn mini_without_roads() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in [
        "boundary.geojson",
        "areas.geojson",
        "provisions.csv",
        "postcodes.csv",
        "pupils.csv",
    ] {
        let from = project_path(&format!("fixtures/data/mini/{f}"));
        std::fs::copy(&from, dir.path().join(f)).expect("copies the fixture");
    }
    let toml = std::fs::read_to_string(project_path("fixtures/data/mini/scenario.toml"))
        .expect("reads the mini scenario");
    let toml: String = toml
        .lines()
        .map(|l| {
            if l.starts_with("osm = ") {
                format!("osm = \"{MISSING}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(toml.contains(MISSING), "the copy names the missing extract");
    std::fs::write(dir.path().join("scenario.toml"), toml).expect("writes the copy");
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Rows of a CSV file as column name -> cell.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            head.iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn analyse_without_the_road_extract_estimates_every_journey() {
    let dir = mini_without_roads();
    let toml = dir.path().join("scenario.toml");
    let out = dir.path().join("out");
    let run = nearhome(&["analyse", path_str(&toml), "--out", path_str(&out)]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let first = stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!(
            "estimate-only run: the road extract {MISSING} is missing"
        )),
        "first line: {first}"
    );

    let summary = json_file(&out.join("summary.json"));
    assert_eq!(summary["roads"], format!("missing: {MISSING}"));
    assert!(summary["network"].is_null());
    let j = &summary["journeys"];
    assert_eq!(j["mode"], "estimated");
    assert_eq!(j["estimated"], summary["overall"]["pupils"], "{j}");
    assert_eq!(
        (j["routed"].as_u64(), j["none"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(summary["journey_estimates"]["calibrated"], false);
    assert!(summary["bring_back"]["skipped"].is_string());
    assert_eq!(summary["bring_back"]["optimal"]["moved"], 0);
    // Out-of-area pupils are counted with their reason, not dropped.
    let out_of_area = summary["overall"]["out_of_area"].as_u64().unwrap();
    assert!(
        out_of_area > 0,
        "the mini scenario places pupils out of area"
    );
    assert_eq!(
        summary["bring_back"]["not_moved"]["no_road_network"].as_u64(),
        Some(out_of_area)
    );

    let pupils = csv_rows(&out.join("pupils.csv"));
    assert_eq!(pupils.len(), 6);
    for r in &pupils {
        assert_eq!(r["journey_source"], "estimated", "pupil {}", r["pupil_id"]);
        let km: f64 = r["current_km"].parse().expect("a journey, never empty");
        assert!(
            km > 0.0,
            "pupil {}: unreachable is never 0 km",
            r["pupil_id"]
        );
        assert_eq!(
            r["suitable_count"], "",
            "no provision compared without roads"
        );
        assert_eq!(r["current_rank"], "");
    }
    assert!(csv_rows(&out.join("moves.csv")).is_empty());
    assert!(csv_rows(&out.join("candidates.csv")).is_empty());
    let lines = json_file(&out.join("journeys.geojson"));
    let features = lines["features"].as_array().unwrap();
    assert_eq!(features.len(), 6, "every estimated journey drawn");
    for f in features {
        assert_eq!(f["properties"]["journey_source"], "estimated");
        assert_eq!(f["geometry"]["coordinates"].as_array().unwrap().len(), 2);
    }
    let public = json_file(&out.join("public/summary.json"));
    assert_eq!(public["roads"], summary["roads"]);
    assert_eq!(public["journeys"]["mode"], "estimated");
}

#[test]
fn require_roads_refuses_a_missing_extract() {
    let dir = mini_without_roads();
    let toml = dir.path().join("scenario.toml");
    let out = dir.path().join("out");
    let run = nearhome(&[
        "analyse",
        path_str(&toml),
        "--out",
        path_str(&out),
        "--require-roads",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(MISSING), "names the extract: {stderr}");
    assert!(!out.join("summary.json").exists(), "nothing written");
    // Siting compares routed journeys: it refuses too, saying why.
    let run = nearhome(&[
        "site",
        path_str(&toml),
        "--need",
        "ASD",
        "--places",
        "5",
        "--out",
        path_str(&out),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("siting needs the road extract") && stderr.contains(MISSING),
        "{stderr}"
    );
}

/// The estimates of an estimate-only run are the defaults applied to the straight line,
/// recomputed here; `validate` says so before the run.
#[test]
fn estimate_only_journeys_are_the_defaults_on_the_straight_line() {
    use nearhome::app::{prepare_with, MissingRoads};
    let dir = mini_without_roads();
    let toml = dir.path().join("scenario.toml");
    let p = prepare_with(&toml, MissingRoads::EstimateAll).expect("runs without roads");
    assert!(p.network.is_none());
    let (c, v) = (p.params.circuity_factor, p.params.estimate_speed_kmh);
    for r in &p.analysis.pupils {
        let t = r.current.expect("every pupil has a journey");
        let home = p.scenario.pupils[r.pupil].home;
        let site = p.scenario.provisions[r.placement.unwrap()].location;
        let km = haversine_m(home, site) / 1000.0 * c;
        assert!(t.estimated);
        assert!((t.km - km).abs() < 1e-9, "pupil {}", r.pupil);
        assert!(
            (t.minutes - km / v * 60.0).abs() < 1e-9,
            "pupil {}",
            r.pupil
        );
    }
    let err = match nearhome::app::prepare(&toml) {
        Ok(_) => panic!("prepare refuses a missing extract"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(MISSING), "{err}");
    let run = nearhome(&["validate", path_str(&toml)]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let want = format!(
        "Journeys: 6 of 6 journeys will be estimated (no road extract: {MISSING} is missing)"
    );
    assert!(stdout.contains(&want), "{want}\n{stdout}");
}

/// A service built on an estimate-only run (the CLI refuses to serve one) answers what needs
/// no roads and refuses routing with 503.
#[tokio::test]
async fn a_service_without_roads_refuses_routing() {
    use axum::body::Body;
    use axum::http::Request;
    use nearhome::serve::auth::Auth;
    use nearhome::serve::{router, AppState, ServiceConfig};
    use tower::ServiceExt;
    let dir = mini_without_roads();
    let p = nearhome::app::prepare_with(
        &dir.path().join("scenario.toml"),
        nearhome::app::MissingRoads::EstimateAll,
    )
    .expect("runs without roads");
    let st = AppState::new(
        p,
        Auth::new(["officer-token-0123456789abc"]),
        ServiceConfig::default(),
    );
    let status = |uri: &'static str| {
        let app = router(st.clone());
        async move {
            let req = Request::builder()
                .uri(uri)
                .header("authorization", "Bearer officer-token-0123456789abc")
                .body(Body::empty())
                .unwrap();
            app.oneshot(req).await.unwrap().status().as_u16()
        }
    };
    assert_eq!(status("/api/summary").await, 200);
    assert_eq!(status("/api/journeys").await, 200);
    assert_eq!(status("/api/basemap").await, 200);
    assert_eq!(
        status("/api/route?from=54.15,-4.48&to=54.16,-4.47").await,
        503
    );
    assert_eq!(status("/api/catchment?provision=SS1&minutes=10").await, 503);
}
