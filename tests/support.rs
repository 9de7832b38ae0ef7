//! Shared helpers for the integration tests: project paths, the real extracts (each loaded
//! once per test binary), an independent haversine and small geometry helpers.

use std::path::PathBuf;
use std::sync::OnceLock;

use nearhome::io::network::load_network;
use nearhome::model::LatLon;
use nearhome::route::Network;

/// Mean Earth radius of the profile, metres (written out again here on purpose: the tests
/// do not trust `nearhome::proj`).
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
