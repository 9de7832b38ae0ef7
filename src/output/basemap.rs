//! The offline base map: the scenario's own road network, simplified, plus the authority
//! boundary, as GeoJSON built once and served from memory.
//!
//! Two levels of detail: `major` (motorway to tertiary, simplified to about 30 m) for the
//! whole-authority view and `all` (every drivable class except service roads, simplified to
//! about 8 m) for close-up views. Coordinates are rounded to 5 decimal places (about 1 m).

use axum::body::Bytes;
use geo::{LineString, Simplify};
use geojson::{Feature, Geometry, GeometryValue, Position};
use serde::Serialize;

use crate::analyse::Analysed;
use crate::model::profile::RoadClass;
use crate::model::LatLon;

/// Tolerance for the `major` level, degrees (about 30 m).
pub const MAJOR_EPSILON_DEG: f64 = 0.0003;
/// Tolerance for the `all` level, degrees (about 8 m).
pub const ALL_EPSILON_DEG: f64 = 0.00008;

/// The serialised base map at both levels.
#[derive(Debug, Clone)]
pub struct BaseMap {
    /// Major roads and the boundary (GeoJSON bytes).
    pub major: Bytes,
    /// All roads but service roads, and the boundary (GeoJSON bytes).
    pub all: Bytes,
}

/// True for the classes drawn at the `major` level.
pub fn is_major(class: RoadClass) -> bool {
    matches!(
        class,
        RoadClass::Motorway
            | RoadClass::MotorwayLink
            | RoadClass::Trunk
            | RoadClass::TrunkLink
            | RoadClass::Primary
            | RoadClass::PrimaryLink
            | RoadClass::Secondary
            | RoadClass::SecondaryLink
            | RoadClass::Tertiary
            | RoadClass::TertiaryLink
    )
}

/// Round a degree value to 5 decimals.
pub fn r5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn line_coords(pts: &[LatLon], epsilon: f64) -> Vec<[f64; 2]> {
    let ls: LineString<f64> = pts.iter().map(|p| (p.lon, p.lat)).collect();
    let simple = ls.simplify(epsilon);
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(simple.0.len());
    for c in simple.coords() {
        let p = [r5(c.x), r5(c.y)];
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Properties of a base-map feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaseProperties {
    /// `boundary` or `road`.
    pub kind: &'static str,
    /// OSM highway class (roads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<&'static str>,
    /// Motorway to tertiary (roads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<bool>,
}

/// The boundary as a GeoJSON MultiPolygon (5 decimals).
pub fn boundary_geometry(prepared: &Analysed) -> Geometry {
    let ring = |r: &LineString<f64>| -> Vec<Position> {
        r.coords()
            .map(|c| Position::from([r5(c.x), r5(c.y)]))
            .collect()
    };
    let polys: Vec<Vec<Vec<Position>>> = prepared
        .scenario
        .boundary
        .polygons()
        .0
        .iter()
        .map(|poly| {
            let mut rings = vec![ring(poly.exterior())];
            rings.extend(poly.interiors().iter().map(ring));
            rings
        })
        .collect();
    Geometry::new(GeometryValue::MultiPolygon { coordinates: polys })
}

impl BaseMap {
    /// Build both levels from the loaded network and boundary (the boundary alone in an
    /// estimate-only run).
    pub fn build(prepared: &Analysed) -> BaseMap {
        let graph = prepared.network.as_ref().map(|n| &n.graph);
        let boundary = crate::output::tables::feature(
            Some(boundary_geometry(prepared)),
            None,
            &BaseProperties {
                kind: "boundary",
                class: None,
                major: None,
            },
        );
        let level = |major_only: bool, epsilon: f64| -> Bytes {
            let mut features: Vec<Feature> = vec![boundary.clone()];
            let pieces = graph
                .into_iter()
                .flat_map(|g| g.pieces().iter().enumerate().map(move |p| (g, p)));
            for (g, (i, piece)) in pieces {
                let major = is_major(piece.class);
                if (major_only && !major) || piece.class == RoadClass::Service {
                    continue;
                }
                let coords = line_coords(g.piece_coords(i as u32), epsilon);
                if coords.len() < 2 {
                    continue;
                }
                let geometry = Geometry::new(GeometryValue::LineString {
                    coordinates: coords.into_iter().map(Position::from).collect(),
                });
                let props = BaseProperties {
                    kind: "road",
                    class: Some(piece.class.as_str()),
                    major: Some(major),
                };
                features.push(crate::output::tables::feature(Some(geometry), None, &props));
            }
            let fc = crate::output::tables::collection(features);
            Bytes::from(serde_json::to_vec(&fc).unwrap_or_default())
        };
        BaseMap {
            major: level(true, MAJOR_EPSILON_DEG),
            all: level(false, ALL_EPSILON_DEG),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplification_keeps_ends_and_drops_collinear_points() {
        let pts: Vec<LatLon> = (0..=10)
            .map(|i| LatLon {
                lat: 52.0,
                lon: -0.7 + f64::from(i) * 0.001,
            })
            .collect();
        let c = line_coords(&pts, 0.0001);
        assert_eq!(c, vec![[-0.7, 52.0], [-0.69, 52.0]]);
    }

    #[test]
    fn major_classes() {
        assert!(is_major(RoadClass::Primary));
        assert!(!is_major(RoadClass::Residential));
    }
}
