//! Catchments: the area reachable by car from a snapped point within a time budget, as a
//! hull of the junctions a forward search settles. Single-threaded; no I/O.

use geo::{ConcaveHull, ConvexHull, MultiPoint, Point, Polygon};

use crate::index::snap::Snap;
use crate::query::route::{Metric, Network};

/// Which hull outlines a catchment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hull {
    /// Concave hull (3 or more junctions reached).
    Concave,
    /// Convex hull (fewer junctions: a concave one is not defined).
    Convex,
}

impl Hull {
    /// The word used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Hull::Concave => "concave",
            Hull::Convex => "convex",
        }
    }
}

/// The area reachable within a time budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Catchment {
    /// Outline, x = longitude, y = latitude (degrees).
    pub polygon: Polygon<f64>,
    /// Junctions settled within the budget.
    pub junctions_reached: usize,
    /// The hull used.
    pub hull: Hull,
}

/// The catchment of `from` within `cutoff_s` seconds of driving (time metric). The hull is
/// computed in a frame with longitude scaled by cos(latitude), so it is not squashed.
pub fn catchment(network: &Network, from: &Snap, cutoff_s: f64) -> Catchment {
    let tree = network.forward_tree(from, Metric::Time, Some(cutoff_s));
    let lat0 = from.point.lat.to_radians().cos().max(0.01);
    let mut pts: Vec<Point<f64>> = vec![Point::new(from.point.lon * lat0, from.point.lat)];
    for v in 0..network.graph.node_count() as u32 {
        if tree.cost_at(v) <= cutoff_s {
            let j = network.graph.junction(v).pos;
            pts.push(Point::new(j.lon * lat0, j.lat));
        }
    }
    let reached = pts.len() - 1;
    let mp = MultiPoint(pts);
    let (poly, hull) = if reached >= 3 {
        (mp.concave_hull(), Hull::Concave)
    } else {
        (mp.convex_hull(), Hull::Convex)
    };
    let exterior: Vec<(f64, f64)> = poly
        .exterior()
        .coords()
        .map(|c| (c.x / lat0, c.y))
        .collect();
    Catchment {
        polygon: Polygon::new(exterior.into(), vec![]),
        junctions_reached: reached,
        hull,
    }
}
