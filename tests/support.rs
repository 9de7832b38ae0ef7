//! Shared helpers for the integration tests: project paths, the real extracts (each loaded
//! once per test binary), an independent haversine and small geometry helpers.

use std::path::PathBuf;
use std::sync::OnceLock;

use nearhome::load::network::load_network;
use nearhome::model::LatLon;
use nearhome::query::route::Network;

/// Mean Earth radius of the profile, metres (written out again here on purpose: the tests
/// do not trust `nearhome::model::proj`).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A path inside the project.
pub fn project_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The Rutland extract, built once per test binary.
pub fn rutland() -> &'static Network {
    static NET: OnceLock<Network> = OnceLock::new();
    NET.get_or_init(|| {
        load_network(&project_path("osm/rutland-latest.osm.pbf"))
            .expect("osm/rutland-latest.osm.pbf is shipped and builds")
    })
}

/// The Isle of Man extract (2019-09-05), built once per test binary.
pub fn isle_of_man() -> &'static Network {
    static NET: OnceLock<Network> = OnceLock::new();
    NET.get_or_init(|| {
        load_network(&project_path("osm/isle-of-man_2019-09-05.osm.pbf"))
            .expect("osm/isle-of-man_2019-09-05.osm.pbf is shipped and builds")
    })
}

/// Great-circle distance in metres (haversine, radius [`EARTH_RADIUS_M`]).
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Haversine length of a polyline, metres.
pub fn polyline_m(pts: &[LatLon]) -> f64 {
    pts.windows(2).map(|w| haversine_m(w[0], w[1])).sum()
}

/// The point at fraction `t` from `a` to `b`, linear in longitude/latitude.
pub fn lerp(a: LatLon, b: LatLon, t: f64) -> LatLon {
    LatLon {
        lat: a.lat + t * (b.lat - a.lat),
        lon: a.lon + t * (b.lon - a.lon),
    }
}

/// `a` and `b` agree within `abs` plus `rel` times the larger magnitude.
pub fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

/// A point by latitude and longitude.
pub fn ll(lat: f64, lon: f64) -> LatLon {
    LatLon { lat, lon }
}

/// Run the built `nearhome` binary with `args` (from the project directory).
pub fn nearhome(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_nearhome"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("the nearhome binary runs")
}

/// One row of a matrix CSV: `from_id,to_id,distance_m,duration_s` (figures may be empty).
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    /// Origin id.
    pub from_id: String,
    /// Destination id.
    pub to_id: String,
    /// Road distance, metres.
    pub distance_m: Option<f64>,
    /// Driving time, seconds.
    pub duration_s: Option<f64>,
}

/// Read a matrix CSV, checking its header.
pub fn read_matrix_csv(bytes: &[u8], label: &str) -> Vec<MatrixRow> {
    let mut rdr = csv::Reader::from_reader(bytes);
    let header = rdr.headers().expect("a header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["from_id", "to_id", "distance_m", "duration_s"],
        "{label}: header"
    );
    let num = |s: &str, line: usize| -> Option<f64> {
        (!s.is_empty()).then(|| {
            s.parse()
                .unwrap_or_else(|_| panic!("{label} line {line}: `{s}` is not a number"))
        })
    };
    rdr.records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(r.len(), 4, "{label} line {}", i + 2);
            MatrixRow {
                from_id: r[0].to_string(),
                to_id: r[1].to_string(),
                distance_m: num(&r[2], i + 2),
                duration_s: num(&r[3], i + 2),
            }
        })
        .collect()
}

/// The Rutland demo scenario, loaded and analysed once per test binary.
pub fn rutland_demo() -> &'static nearhome::app::Prepared {
    static P: OnceLock<nearhome::app::Prepared> = OnceLock::new();
    P.get_or_init(|| {
        nearhome::app::prepare(&project_path("fixtures/scenarios/rutland/scenario.toml"))
            .expect("the Rutland demo analyses")
    })
}
