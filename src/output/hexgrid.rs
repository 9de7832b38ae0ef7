//! Hexagon-grid demand (output, officer only): pupil homes counted in flat-topped hexagons of a given size, in an
//! equirectangular frame centred on the scenario boundary. Officer only: a fine grid beside
//! the public area layers could be differenced to reveal small groups.

use std::collections::BTreeMap;

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, Position};
use serde::Serialize;

use crate::model::proj::EARTH_RADIUS_M;
use crate::model::LatLon;

/// Smallest and largest hexagon size (centre to corner), metres.
pub const HEX_M_RANGE: std::ops::RangeInclusive<f64> = 200.0..=20_000.0;

/// Axial coordinates `(q, r)` of the hexagon holding `(x, y)` for size `s` (flat-topped).
fn axial(x: f64, y: f64, s: f64) -> (i64, i64) {
    let q = (2.0 / 3.0 * x) / s;
    let r = (-1.0 / 3.0 * x + 3f64.sqrt() / 3.0 * y) / s;
    // Cube rounding.
    let (cx, cz) = (q, r);
    let cy = -cx - cz;
    let (mut rx, ry, mut rz) = (cx.round(), cy.round(), cz.round());
    let (dx, dy, dz) = ((rx - cx).abs(), (ry - cy).abs(), (rz - cz).abs());
    if dx > dy && dx > dz {
        rx = -ry - rz;
    } else if dy <= dz {
        rz = -rx - ry;
    }
    (rx as i64, rz as i64)
}

/// Properties of one hexagon (officer only: exact counts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexProperties {
    /// Axial column.
    pub q: i64,
    /// Axial row.
    pub r: i64,
    /// Homes in the cell.
    pub pupils: u64,
}

/// Count `points` per hexagon of size `hex_m` and return a GeoJSON FeatureCollection of the
/// occupied cells (`q`, `r`, `pupils`), ordered by `(q, r)`.
pub fn hex_counts(points: &[LatLon], centre: LatLon, hex_m: f64) -> FeatureCollection {
    let ky = EARTH_RADIUS_M.to_radians();
    let kx = ky * centre.lat.to_radians().cos();
    let mut counts: BTreeMap<(i64, i64), u64> = BTreeMap::new();
    for p in points {
        let (x, y) = ((p.lon - centre.lon) * kx, (p.lat - centre.lat) * ky);
        *counts.entry(axial(x, y, hex_m)).or_default() += 1;
    }
    let features: Vec<Feature> = counts
        .iter()
        .map(|(&(q, r), &n)| {
            let (cx, cy) = (
                hex_m * 1.5 * q as f64,
                hex_m * 3f64.sqrt() * (r as f64 + q as f64 / 2.0),
            );
            let ring: Vec<Position> = (0..=6)
                .map(|i| {
                    let a = std::f64::consts::PI / 3.0 * f64::from(i % 6);
                    let (x, y) = (cx + hex_m * a.cos(), cy + hex_m * a.sin());
                    let lon = centre.lon + x / kx;
                    let lat = centre.lat + y / ky;
                    Position::from([(lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6])
                })
                .collect();
            let geometry = Geometry::new(GeometryValue::Polygon {
                coordinates: vec![ring],
            });
            crate::output::tables::feature(
                Some(geometry),
                Some(&format!("{q},{r}")),
                &HexProperties { q, r, pupils: n },
            )
        })
        .collect();
    crate::output::tables::collection(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_is_counted_once_and_near_its_cell() {
        let centre = LatLon {
            lat: 52.67,
            lon: -0.72,
        };
        let pts: Vec<LatLon> = (0..200)
            .map(|i| LatLon {
                lat: 52.6 + f64::from(i % 20) * 0.007,
                lon: -0.8 + f64::from(i / 20) * 0.011,
            })
            .collect();
        let v = serde_json::to_value(hex_counts(&pts, centre, 1000.0)).unwrap();
        let feats = v["features"].as_array().unwrap();
        let total: u64 = feats
            .iter()
            .map(|f| f["properties"]["pupils"].as_u64().unwrap())
            .sum();
        assert_eq!(total, 200);
        // Each point lies within one hexagon size of its cell's centre.
        let ky = EARTH_RADIUS_M.to_radians();
        let kx = ky * centre.lat.to_radians().cos();
        for p in &pts {
            let (x, y) = ((p.lon - centre.lon) * kx, (p.lat - centre.lat) * ky);
            let (q, r) = axial(x, y, 1000.0);
            let (cx, cy) = (
                1500.0 * q as f64,
                1000.0 * 3f64.sqrt() * (r as f64 + q as f64 / 2.0),
            );
            assert!(((x - cx).powi(2) + (y - cy).powi(2)).sqrt() <= 1000.0 + 1e-6);
        }
    }
}
