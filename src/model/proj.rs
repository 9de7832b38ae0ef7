//! Where longitude/latitude meets metres: great-circle lengths and local metric frames.
//!
//! Lengths along roads are haversine distances on a sphere of radius [`EARTH_RADIUS_M`]
//! (the IUGG mean radius). Nearness for snapping is measured in an equirectangular frame
//! centred on the query point, which is within a few parts per million of the great-circle
//! distance at snapping ranges (under a few kilometres). No I/O here.

use crate::model::LatLon;

/// Mean Earth radius in metres used for every length (IUGG R1).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres between two WGS84 points.
///
/// # Examples
/// ```
/// use nearhome::{model::LatLon, model::proj::haversine_m};
/// let a = LatLon { lat: 0.0, lon: 0.0 };
/// let b = LatLon { lat: 0.0, lon: 1.0 };
/// assert!((haversine_m(a, b) - 111_195.08).abs() < 0.01);
/// ```
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// An equirectangular frame centred on a point: x east and y north, in metres.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    origin: LatLon,
    /// Metres per degree of longitude at the origin's latitude.
    m_per_deg_lon: f64,
    /// Metres per degree of latitude.
    m_per_deg_lat: f64,
}

impl LocalFrame {
    /// The frame centred on `origin`.
    pub fn new(origin: LatLon) -> LocalFrame {
        let m_per_deg_lat = EARTH_RADIUS_M.to_radians();
        LocalFrame {
            origin,
            m_per_deg_lon: m_per_deg_lat * origin.lat.to_radians().cos(),
            m_per_deg_lat,
        }
    }

    /// Project a point into the frame, in metres (x east, y north).
    pub fn project(&self, p: LatLon) -> [f64; 2] {
        [
            (p.lon - self.origin.lon) * self.m_per_deg_lon,
            (p.lat - self.origin.lat) * self.m_per_deg_lat,
        ]
    }
}

/// The closest point of segment `a`–`b` to `p`, measured in the frame centred on `p`.
///
/// Returns `(t, distance_m)`: the position along the segment (0 at `a`, 1 at `b`, clamped)
/// and the distance in metres. A zero-length segment gives `t = 0`.
pub fn closest_on_segment(p: LatLon, a: LatLon, b: LatLon) -> (f64, f64) {
    let frame = LocalFrame::new(p);
    let [ax, ay] = frame.project(a);
    let [bx, by] = frame.project(b);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        ((-ax * dx - ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (t, (cx * cx + cy * cy).sqrt())
}

/// Linear interpolation between two points in longitude/latitude (exact for the
/// equirectangular frames used here, which are affine in lon/lat).
pub fn lerp(a: LatLon, b: LatLon, t: f64) -> LatLon {
    LatLon {
        lat: a.lat + t * (b.lat - a.lat),
        lon: a.lon + t * (b.lon - a.lon),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_values() {
        let a = LatLon {
            lat: 52.6709,
            lon: -0.7270,
        };
        assert_eq!(haversine_m(a, a), 0.0);
        // One degree of latitude = R * pi / 180.
        let b = LatLon {
            lat: 53.6709,
            lon: -0.7270,
        };
        assert!((haversine_m(a, b) - EARTH_RADIUS_M.to_radians()).abs() < 1e-6);
    }

    #[test]
    fn local_frame_agrees_with_haversine_nearby() {
        let p = LatLon {
            lat: 54.15,
            lon: -4.48,
        };
        for (dlat, dlon) in [(0.001, 0.0), (0.0, 0.003), (0.004, -0.006), (-0.009, 0.01)] {
            let q = LatLon {
                lat: p.lat + dlat,
                lon: p.lon + dlon,
            };
            let [x, y] = LocalFrame::new(p).project(q);
            let d = (x * x + y * y).sqrt();
            let h = haversine_m(p, q);
            assert!((d - h).abs() / h < 1e-3, "{d} vs {h}");
        }
    }

    #[test]
    fn closest_on_segment_clamps() {
        let a = LatLon { lat: 0.0, lon: 0.0 };
        let b = LatLon {
            lat: 0.0,
            lon: 0.001,
        };
        let (t, d) = closest_on_segment(
            LatLon {
                lat: 0.0005,
                lon: 0.0005,
            },
            a,
            b,
        );
        assert!((t - 0.5).abs() < 1e-6);
        assert!((d - 55.6).abs() < 0.1, "{d}");
        let (t, _) = closest_on_segment(
            LatLon {
                lat: 0.0,
                lon: -0.01,
            },
            a,
            b,
        );
        assert_eq!(t, 0.0);
        let (t, _) = closest_on_segment(LatLon { lat: 0.0, lon: 1.0 }, a, b);
        assert_eq!(t, 1.0);
        let (t, d) = closest_on_segment(LatLon { lat: 0.0, lon: 1.0 }, a, a);
        assert_eq!(t, 0.0);
        assert!(d > 0.0);
    }
}
