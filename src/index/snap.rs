//! Snapping points to the road network: a uniform grid over road segments.
//!
//! A point snaps to the closest point of the closest segment of the kept component,
//! distance measured in metres in an equirectangular frame centred on the point. The grid
//! itself lives in one global equirectangular frame (metres, scaled at the network's mid
//! latitude); candidates come out ring by ring and are measured in the point's own frame,
//! stopping once no unvisited cell can hold a closer one. No I/O here.

use serde::{Deserialize, Serialize};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::index::csr::Csr;
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

/// Uniform grids over every segment of the kept pieces, in one global equirectangular
/// frame (metres). A segment is listed in every cell its bounding box touches; a query
/// visits rings of cells outward from its own and stops once no unvisited cell can hold a
/// segment as close as the best found. A fine grid (about two segments a cell) answers
/// within the snap limit; a coarse one (16 times the side) finds the nearest road of a
/// point beyond it, for the error message. Building both is a counting sort (linear time),
/// which matters at city scale where an R-tree bulk load took over a second on every start.
#[derive(Debug, Clone)]
pub struct SnapIndex {
    /// Metres per degree of longitude in the global frame.
    kx: f64,
    /// Metres per degree of latitude.
    ky: f64,
    fine: Grid,
    /// Built on first need (a point beyond the limit), from the same boxes.
    coarse: std::sync::OnceLock<Grid>,
    /// The fine grid's cell side and extent, for the coarse one.
    cell: f64,
    ext: [f64; 4],
    /// Number of distinct segments.
    count: usize,
}

/// The fine grid's frame and shape, as stored in a graph cache.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub(crate) struct StoredFrame {
    kx: f64,
    ky: f64,
    /// The fine cell side before the 4096-cell cap (the coarse grid is 16 times it).
    base_cell: f64,
    ext: [f64; 4],
    count: u64,
    x0: f64,
    y0: f64,
    cell: f64,
    nx: u64,
    ny: u64,
}

/// One grid level.
#[derive(Debug, Clone)]
struct Grid {
    /// Global-frame corner of cell (0, 0), metres.
    x0: f64,
    y0: f64,
    /// Cell side, metres.
    cell: f64,
    nx: i64,
    ny: i64,
    /// Per cell (row-major): `[piece, segment]` of each segment it lists.
    cells: Csr<[u32; 2]>,
}

type Boxes = Vec<([f64; 4], (u32, u32))>;
type Best = Option<(f64, (u32, u32), f64)>;

impl Grid {
    fn build(boxes: &Boxes, ext: [f64; 4], cell: f64) -> Grid {
        let (w, h) = ((ext[2] - ext[0]).max(1.0), (ext[3] - ext[1]).max(1.0));
        let cell = cell.max(w.max(h) / 4096.0);
        let nx = (w / cell).floor() as i64 + 1;
        let ny = (h / cell).floor() as i64 + 1;
        let cell_of = |x: f64, y: f64| {
            (
                (((x - ext[0]) / cell).floor() as i64).clamp(0, nx - 1),
                (((y - ext[1]) / cell).floor() as i64).clamp(0, ny - 1),
            )
        };
        let cells = |b: &[f64; 4]| {
            let (cx0, cy0) = cell_of(b[0], b[1]);
            let (cx1, cy1) = cell_of(b[2], b[3]);
            (cy0..=cy1).flat_map(move |y| (cx0..=cx1).map(move |x| (y * nx + x) as u32))
        };
        let items = boxes
            .iter()
            .flat_map(|(b, (p, s))| cells(b).map(move |c| (c, [*p, *s])));
        Grid {
            x0: ext[0],
            y0: ext[1],
            cell,
            nx,
            ny,
            cells: Csr::group((nx * ny) as usize, items),
        }
    }

    fn cell_entries(&self, x: i64, y: i64) -> &[[u32; 2]] {
        if x < 0 || y < 0 || x >= self.nx || y >= self.ny {
            return &[];
        }
        self.cells.of((y * self.nx + x) as u32)
    }

    /// Visit rings of cells around `q` until no unvisited cell can beat the best (scaled by
    /// `factor`) or, with no best within `give_up` metres, once the rings pass it. Returns
    /// false when it gave up.
    fn search(
        &self,
        q: (f64, f64),
        factor: f64,
        give_up: f64,
        best: &mut Best,
        consider: &dyn Fn(&mut Best, (u32, u32)),
    ) -> bool {
        let cx = ((q.0 - self.x0) / self.cell).floor().clamp(-1e12, 1e12) as i64;
        let cy = ((q.1 - self.y0) / self.cell).floor().clamp(-1e12, 1e12) as i64;
        let r_max = [cx, self.nx - 1 - cx, cy, self.ny - 1 - cy]
            .iter()
            .map(|d| d.abs())
            .max()
            .unwrap_or(0);
        for r in 0..=r_max {
            // Skip rings that miss the grid entirely.
            let ring_hits = cx + r >= 0 && cx - r < self.nx && cy + r >= 0 && cy - r < self.ny;
            if ring_hits {
                let mut visit = |x: i64, y: i64| {
                    for &[p, s] in self.cell_entries(x, y) {
                        consider(best, (p, s));
                    }
                };
                if r == 0 {
                    visit(cx, cy);
                } else {
                    for x in (cx - r).max(0)..=(cx + r).min(self.nx - 1) {
                        visit(x, cy - r);
                        visit(x, cy + r);
                    }
                    for y in (cy - r + 1).max(0)..=(cy + r - 1).min(self.ny - 1) {
                        visit(cx - r, y);
                        visit(cx + r, y);
                    }
                }
            }
            // Unvisited cells are at least r cells away from the point.
            let reach = r as f64 * self.cell * factor;
            match *best {
                Some((bd, _, _)) if reach > bd * (1.0 + 1e-9) + 1e-9 => return true,
                Some((bd, _, _)) if bd > give_up && reach > give_up * (1.0 + 1e-9) + 1e-9 => {
                    return false
                }
                None if reach > give_up * (1.0 + 1e-9) + 1e-9 => return false,
                _ => {}
            }
        }
        true
    }
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
        let boxes = segment_boxes(graph, kx, ky);
        let mut ext = [f64::INFINITY, f64::INFINITY, -f64::INFINITY, -f64::INFINITY];
        for (b, _) in &boxes {
            ext = [
                ext[0].min(b[0]),
                ext[1].min(b[1]),
                ext[2].max(b[2]),
                ext[3].max(b[3]),
            ];
        }
        if boxes.is_empty() {
            ext = [0.0, 0.0, 0.0, 0.0];
        }
        let (w, h) = ((ext[2] - ext[0]).max(1.0), (ext[3] - ext[1]).max(1.0));
        // About two segments a cell, at least 25 m a side.
        let target = (boxes.len() as f64 / 2.0).max(1.0);
        let cell = (w * h / target).sqrt().max(25.0);
        SnapIndex {
            kx,
            ky,
            fine: Grid::build(&boxes, ext, cell),
            coarse: std::sync::OnceLock::new(),
            cell,
            ext,
            count: boxes.len(),
        }
    }

    /// The fine grid as stored in a cache: its frame and shape, and its cells.
    pub(crate) fn stored(&self) -> (StoredFrame, &Csr<[u32; 2]>) {
        let f = &self.fine;
        let frame = StoredFrame {
            kx: self.kx,
            ky: self.ky,
            base_cell: self.cell,
            ext: self.ext,
            count: self.count as u64,
            x0: f.x0,
            y0: f.y0,
            cell: f.cell,
            nx: f.nx as u64,
            ny: f.ny as u64,
        };
        (frame, &f.cells)
    }

    /// Reassemble from a stored frame and cells, checking them against `graph` so that a
    /// damaged cache cannot cause a panic or a wrong snap later.
    ///
    /// # Errors
    /// A message naming the inconsistency.
    pub(crate) fn from_stored(
        graph: &RoadGraph,
        frame: StoredFrame,
        offsets: Vec<u32>,
        entries: Vec<[u32; 2]>,
    ) -> Result<SnapIndex, String> {
        let f = frame;
        let finite = [f.kx, f.ky, f.base_cell, f.x0, f.y0, f.cell]
            .iter()
            .chain(&f.ext)
            .all(|v| v.is_finite());
        let cells =
            f.nx.checked_mul(f.ny)
                .filter(|&c| c > 0 && c <= u64::from(u32::MAX));
        let (Some(n_cells), true) = (cells, finite && f.kx > 0.0 && f.ky > 0.0 && f.cell > 0.0)
        else {
            return Err("snapping grid frame is inconsistent".into());
        };
        let cells = Csr::from_stored(n_cells as usize, offsets, entries)
            .map_err(|e| format!("snapping grid: {e}"))?;
        let pieces = graph.pieces();
        let bad = cells.any_entry(|_, &[p, s]| {
            pieces
                .get(p as usize)
                .is_none_or(|pc| s.checked_add(1).is_none_or(|end| end >= pc.coord_len))
        });
        if bad {
            return Err("snapping grid names a segment the graph does not have".into());
        }
        Ok(SnapIndex {
            kx: f.kx,
            ky: f.ky,
            fine: Grid {
                x0: f.x0,
                y0: f.y0,
                cell: f.cell,
                nx: f.nx as i64,
                ny: f.ny as i64,
                cells,
            },
            coarse: std::sync::OnceLock::new(),
            cell: f.base_cell,
            ext: f.ext,
            count: f.count as usize,
        })
    }

    /// Number of indexed segments.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Snap `p` to the closest point of the closest segment; ties go to the lowest
    /// (piece, segment). Fails when farther than `max_snap_m` (with the distance to the
    /// nearest road) or `p` is invalid.
    pub fn snap(&self, graph: &RoadGraph, p: LatLon, max_snap_m: f64) -> Result<Snap, SnapFailure> {
        self.snap_with(graph, p, max_snap_m, true)
    }

    /// [`SnapIndex::snap`] for bulk work that only needs to know a point is too far: the
    /// same snaps, but a failure's `nearest_m` is infinite unless the nearest road turned
    /// up within the limit's search (it is not searched for beyond).
    pub fn snap_within(
        &self,
        graph: &RoadGraph,
        p: LatLon,
        max_snap_m: f64,
    ) -> Result<Snap, SnapFailure> {
        self.snap_with(graph, p, max_snap_m, false)
    }

    fn snap_with(
        &self,
        graph: &RoadGraph,
        p: LatLon,
        max_snap_m: f64,
        exact_failure: bool,
    ) -> Result<Snap, SnapFailure> {
        if !(p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0)
        {
            return Err(SnapFailure::BadCoordinate);
        }
        // Local distance >= global distance * factor (only the x scale differs).
        let factor = (p.lat.to_radians().cos() * self.ky / self.kx).min(1.0);
        let (qx, qy) = (p.lon * self.kx, p.lat * self.ky);
        let (kx, ky) = (self.kx, self.ky);
        let consider = |best: &mut Best, (pi, si): (u32, u32)| {
            let coords = graph.piece_coords(pi);
            let (a, b) = (coords[si as usize], coords[si as usize + 1]);
            // Cheap lower bound first: the distance in the global frame, scaled.
            if let Some((bd, _, _)) = *best {
                let lower =
                    global_distance([qx, qy], [a.lon * kx, a.lat * ky], [b.lon * kx, b.lat * ky]);
                if lower * factor > bd * (1.0 + 1e-9) + 1e-9 {
                    return;
                }
            }
            let (t, d) = closest_on_segment(p, a, b);
            let better = match *best {
                None => true,
                Some((bd, key, _)) => d < bd || (d == bd && (pi, si) < key),
            };
            if better {
                *best = Some((d, (pi, si), t));
            }
        };
        let mut best: Best = None;
        let limit = if max_snap_m.is_finite() {
            max_snap_m
        } else {
            f64::MAX
        };
        if !self
            .fine
            .search((qx, qy), factor, limit, &mut best, &consider)
        {
            if !exact_failure {
                return Err(SnapFailure::TooFar {
                    nearest_m: f64::INFINITY,
                    max_snap_m,
                });
            }
            // Beyond the limit: the true nearest road, for the message.
            let coarse = self.coarse.get_or_init(|| {
                Grid::build(&segment_boxes(graph, kx, ky), self.ext, self.cell * 16.0)
            });
            coarse.search((qx, qy), factor, f64::MAX, &mut best, &consider);
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

/// Every segment's bounding box in the global frame, with its (piece, segment).
fn segment_boxes(graph: &RoadGraph, kx: f64, ky: f64) -> Boxes {
    let mut boxes: Boxes = Vec::new();
    for pi in 0..graph.pieces().len() as u32 {
        let coords = graph.piece_coords(pi);
        for (si, w) in coords.windows(2).enumerate() {
            let (ax, ay) = (w[0].lon * kx, w[0].lat * ky);
            let (bx, by) = (w[1].lon * kx, w[1].lat * ky);
            boxes.push((
                [ax.min(bx), ay.min(by), ax.max(bx), ay.max(by)],
                (pi, si as u32),
            ));
        }
    }
    boxes
}

/// Distance from `q` to the segment `a`–`b` in a planar frame.
fn global_distance(q: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a[0] + t * dx - q[0], a[1] + t * dy - q[1]);
    (x * x + y * y).sqrt()
}
