//! Snapping points to the road network: an R-tree over road segments.
//!
//! A point snaps to the closest point of the closest segment of the kept component,
//! distance measured in metres in an equirectangular frame centred on the point. The tree
//! itself lives in one global equirectangular frame (metres, scaled at the network's mid
//! latitude); candidates come out in global order and are re-measured in the point's own
//! frame, stopping once no farther candidate can be closer. No I/O here.

use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;
use serde::{Deserialize, Serialize};

use crate::index::graph::RoadGraph;
use crate::model::proj::{closest_on_segment, lerp, EARTH_RADIUS_M};
use crate::model::LatLon;

/// Default largest snap distance, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 1000.0;

/// Where a point meets the road network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Snap {
    /// The piece snapped to.
    pub piece: u32,
    /// Segment index within the piece (between coordinates `seg` and `seg + 1`).
    pub seg: u32,
    /// Position along the segment, 0..=1.
    pub t: f64,
    /// The snapped point.
    pub point: LatLon,
    /// Distance from the input point to the snapped point, metres (the off-road leg).
    pub distance_m: f64,
    /// Road distance from the piece's first coordinate to the snapped point, metres.
    pub along_m: f64,
    /// The junction when the snapped point is one (a segment end at a piece end).
    pub junction: Option<u32>,
}

/// Why a point could not be snapped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SnapFailure {
    /// The nearest road is farther than the limit.
    TooFar {
        /// Distance to the nearest road, metres.
        nearest_m: f64,
        /// The limit in force, metres.
        max_snap_m: f64,
    },
    /// The coordinates are not finite or out of range.
    BadCoordinate,
}

impl std::fmt::Display for SnapFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapFailure::TooFar {
                nearest_m,
                max_snap_m,
            } => write!(
                f,
                "no road within {max_snap_m:.0} m (nearest {nearest_m:.0} m)"
            ),
            SnapFailure::BadCoordinate => write!(f, "coordinates not finite or out of range"),
        }
    }
}

type Segment = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// R-tree over every segment of the kept pieces.
#[derive(Debug, Clone)]
pub struct SnapIndex {
    tree: RTree<Segment>,
    /// Metres per degree of longitude in the global frame.
    kx: f64,
    /// Metres per degree of latitude.
    ky: f64,
}

impl SnapIndex {
    /// Index every segment of `graph`.
    pub fn build(graph: &RoadGraph) -> SnapIndex {
        let [_, min_lat, _, max_lat] = graph.bbox();
        let mid = if min_lat.is_finite() {
            (min_lat + max_lat) / 2.0
        } else {
            0.0
        };
        let ky = EARTH_RADIUS_M.to_radians();
        let kx = ky * mid.to_radians().cos();
        let mut segs = Vec::new();
        for (pi, _) in graph.pieces().iter().enumerate() {
            let coords = graph.piece_coords(pi as u32);
            for (si, w) in coords.windows(2).enumerate() {
                let a = [w[0].lon * kx, w[0].lat * ky];
                let b = [w[1].lon * kx, w[1].lat * ky];
                segs.push(GeomWithData::new(Line::new(a, b), (pi as u32, si as u32)));
            }
        }
        SnapIndex {
            tree: RTree::bulk_load(segs),
            kx,
            ky,
        }
    }

    /// Number of indexed segments.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Snap `p` to the closest point of the closest segment; ties go to the lowest
    /// (piece, segment). Fails when farther than `max_snap_m` or `p` is invalid.
    pub fn snap(&self, graph: &RoadGraph, p: LatLon, max_snap_m: f64) -> Result<Snap, SnapFailure> {
        if !(p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0)
        {
            return Err(SnapFailure::BadCoordinate);
        }
        // Local distance >= global distance * factor (only the x scale differs).
        let factor = (p.lat.to_radians().cos() * self.ky / self.kx).min(1.0);
        let q = [p.lon * self.kx, p.lat * self.ky];
        let mut best: Option<(f64, (u32, u32), f64)> = None;
        for (seg, d2) in self.tree.nearest_neighbor_iter_with_distance_2(q) {
            if let Some((bd, _, _)) = best {
                if d2.sqrt() * factor > bd * (1.0 + 1e-9) + 1e-9 {
                    break;
                }
            }
            let (pi, si) = seg.data;
            let coords = graph.piece_coords(pi);
            let (a, b) = (coords[si as usize], coords[si as usize + 1]);
            let (t, d) = closest_on_segment(p, a, b);
            let better = match best {
                None => true,
                Some((bd, key, _)) => d < bd || (d == bd && (pi, si) < key),
            };
            if better {
                best = Some((d, (pi, si), t));
            }
        }
        let Some((distance_m, (piece, seg), t)) = best else {
            return Err(SnapFailure::TooFar {
                nearest_m: f64::INFINITY,
                max_snap_m,
            });
        };
        if distance_m > max_snap_m {
            return Err(SnapFailure::TooFar {
                nearest_m: distance_m,
                max_snap_m,
            });
        }
        let coords = graph.piece_coords(piece);
        let cum = graph.piece_cum_m(piece);
        let (a, b) = (coords[seg as usize], coords[seg as usize + 1]);
        let seg_len = cum[seg as usize + 1] - cum[seg as usize];
        let pc = graph.pieces()[piece as usize];
        let last_seg = pc.coord_len - 2;
        let junction = if t == 0.0 && seg == 0 {
            Some(pc.from)
        } else if t == 1.0 && seg == last_seg {
            Some(pc.to)
        } else {
            None
        };
        let along_m = if t == 1.0 {
            cum[seg as usize + 1]
        } else {
            cum[seg as usize] + t * seg_len
        };
        Ok(Snap {
            piece,
            seg,
            t,
            point: lerp(a, b, t),
            distance_m,
            along_m,
            junction,
        })
    }
}
