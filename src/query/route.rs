//! Shortest paths between snapped points: one-to-many Dijkstra, single-threaded.
//!
//! A journey starts at the origin's snapped point *inside* a piece and ends at the
//! destination's snapped point: the partial piece lengths count and one-way rules apply to
//! them too. A snapped point that is a junction may leave (or arrive) along any allowed edge.
//! Both figures (length and duration) are reported for the path that is best under the
//! chosen [`Metric`]; equal-cost ties go to the lower vertex index, so results are
//! deterministic. `distance_m` and `duration_s` cover the road part only: the off-road legs
//! are the snap distances, reported separately. Parallel matrices live in
//! [`crate::query::matrix`]. No I/O here.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::index::graph::{Csr, RoadGraph};
use crate::index::snap::{Snap, SnapFailure, SnapIndex};
use crate::model::LatLon;

/// What a shortest path minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Least duration.
    #[default]
    Time,
    /// Least length.
    Distance,
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "time" => Ok(Metric::Time),
            "distance" => Ok(Metric::Distance),
            other => Err(format!(
                "unknown metric `{other}` (expected time or distance)"
            )),
        }
    }
}

/// The road part of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    /// Road length, metres.
    pub distance_m: f64,
    /// Driving time, seconds.
    pub duration_s: f64,
}

impl Journey {
    fn cost(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Time => self.duration_s,
            Metric::Distance => self.distance_m,
        }
    }
}

/// A journey with its geometry, snapped point to snapped point.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Length and duration.
    pub journey: Journey,
    /// The path, from the origin's snapped point to the destination's.
    pub geometry: Vec<LatLon>,
}

/// How a seed joins a snapped point to a junction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The snapped point is the junction.
    AtJunction,
    /// Along the piece in node order (origin: to `piece.to`; destination: from `piece.from`).
    NodeOrder,
    /// Against node order (origin: to `piece.from`; destination: from `piece.to`).
    Against,
}

/// A search start: a junction reached from (or reaching) a snapped point at some cost.
#[derive(Debug, Clone, Copy)]
struct Seed {
    node: u32,
    length_m: f64,
    duration_s: f64,
    part: Part,
}

/// Up to three seeds, without allocating (a snapped point has at most a junction and two
/// directions).
#[derive(Debug, Clone, Copy)]
struct Seeds {
    items: [Seed; 3],
    len: usize,
}

impl Seeds {
    fn new() -> Seeds {
        let none = Seed {
            node: 0,
            length_m: 0.0,
            duration_s: 0.0,
            part: Part::AtJunction,
        };
        Seeds {
            items: [none; 3],
            len: 0,
        }
    }

    fn push(&mut self, s: Seed) {
        if self.len < 3 {
            self.items[self.len] = s;
            self.len += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Seed> {
        self.items[..self.len].iter()
    }
}

const NO_PARENT: u32 = u32::MAX;
const SEED_BASE: u32 = u32::MAX - 8;

/// A shortest-path tree: costs from every vertex to a destination (reverse search) or
/// from an origin to every vertex (forward search).
#[derive(Debug, Clone)]
pub struct Tree {
    metric: Metric,
    reverse: bool,
    snap: Snap,
    seeds: Vec<Seed>,
    cost: Vec<f64>,
    length_m: Vec<f64>,
    duration_s: Vec<f64>,
    /// Edge towards the root, or `SEED_BASE + seed index`, or `NO_PARENT`.
    parent: Vec<u32>,
}

impl Tree {
    /// The snapped point the tree is rooted at.
    pub fn root(&self) -> &Snap {
        &self.snap
    }

    /// Cost (seconds or metres by metric) at a vertex; infinite when not reached.
    pub fn cost_at(&self, v: u32) -> f64 {
        self.cost[v as usize]
    }
}

#[derive(PartialEq)]
struct Key(f64, u32);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    // Min-heap on cost, then vertex index.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

/// The road graph with its snapping index: everything needed to route.
#[derive(Debug, Clone)]
pub struct Network {
    /// The graph of the largest strongly connected component.
    pub graph: RoadGraph,
    /// Segment index for snapping.
    pub index: SnapIndex,
}

impl Network {
    /// Index a graph for snapping.
    pub fn new(graph: RoadGraph) -> Network {
        let index = SnapIndex::build(&graph);
        Network { graph, index }
    }

    /// Snap a point (see [`SnapIndex::snap`]).
    pub fn snap(&self, p: LatLon, max_snap_m: f64) -> Result<Snap, SnapFailure> {
        self.index.snap(&self.graph, p, max_snap_m)
    }

    fn seeds(&self, s: &Snap, as_origin: bool) -> Seeds {
        let piece = self.graph.pieces()[s.piece as usize];
        let mps = piece.speed_mps();
        let mut seeds = Seeds::new();
        if let Some(j) = s.junction {
            seeds.push(Seed {
                node: j,
                length_m: 0.0,
                duration_s: 0.0,
                part: Part::AtJunction,
            });
        }
        let [fwd, bwd] = self.graph.piece_edges(s.piece);
        let to_end = (piece.length_m - s.along_m).max(0.0);
        let to_start = s.along_m;
        // Origin: leave along an allowed direction. Destination: arrive along one.
        let (node_order, against) = if as_origin {
            ((piece.to, to_end), (piece.from, to_start))
        } else {
            ((piece.from, to_start), (piece.to, to_end))
        };
        if fwd.is_some() {
            seeds.push(Seed {
                node: node_order.0,
                length_m: node_order.1,
                duration_s: node_order.1 / mps,
                part: Part::NodeOrder,
            });
        }
        if bwd.is_some() {
            seeds.push(Seed {
                node: against.0,
                length_m: against.1,
                duration_s: against.1 / mps,
                part: Part::Against,
            });
        }
        seeds
    }

    /// The journey along the shared piece when origin and destination lie on the same one
    /// and its direction allows it.
    fn direct(&self, o: &Snap, d: &Snap) -> Option<(Journey, bool)> {
        if o.piece != d.piece {
            return None;
        }
        let piece = self.graph.pieces()[o.piece as usize];
        let [fwd, bwd] = self.graph.piece_edges(o.piece);
        let (len, in_order) = if o.along_m <= d.along_m && fwd.is_some() {
            (d.along_m - o.along_m, true)
        } else if o.along_m >= d.along_m && bwd.is_some() {
            (o.along_m - d.along_m, false)
        } else {
            return None;
        };
        Some((
            Journey {
                distance_m: len,
                duration_s: len / piece.speed_mps(),
            },
            in_order,
        ))
    }

    fn run(
        &self,
        csr: &Csr,
        root: &Snap,
        reverse: bool,
        metric: Metric,
        targets: Option<&[u32]>,
        cutoff: f64,
    ) -> Tree {
        let n = self.graph.node_count();
        let seeds = self.seeds(root, !reverse);
        let mut t = Tree {
            metric,
            reverse,
            snap: *root,
            cost: vec![f64::INFINITY; n],
            length_m: vec![f64::INFINITY; n],
            duration_s: vec![f64::INFINITY; n],
            parent: vec![NO_PARENT; n],
            seeds: Vec::new(),
        };
        let pick = |l: f64, d: f64| match metric {
            Metric::Time => d,
            Metric::Distance => l,
        };
        let mut heap = BinaryHeap::new();
        for (i, s) in seeds.iter().enumerate() {
            let c = pick(s.length_m, s.duration_s);
            let v = s.node as usize;
            if c < t.cost[v] {
                t.cost[v] = c;
                t.length_m[v] = s.length_m;
                t.duration_s[v] = s.duration_s;
                t.parent[v] = SEED_BASE + i as u32;
                heap.push(Key(c, s.node));
            }
        }
        t.seeds = seeds.iter().copied().collect();
        let mut is_target = Vec::new();
        let mut remaining = 0usize;
        if let Some(ts) = targets {
            is_target = vec![false; n];
            for &v in ts {
                if !is_target[v as usize] {
                    is_target[v as usize] = true;
                    remaining += 1;
                }
            }
            if remaining == 0 {
                return t;
            }
        }
        while let Some(Key(c, v)) = heap.pop() {
            let vi = v as usize;
            if c > t.cost[vi] {
                continue;
            }
            if c > cutoff {
                break;
            }
            if !is_target.is_empty() && is_target[vi] {
                is_target[vi] = false;
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
            let (l0, d0) = (t.length_m[vi], t.duration_s[vi]);
            for a in csr.of(v) {
                let (l, d) = (l0 + a.length_m, d0 + a.duration_s);
                let nc = pick(l, d);
                let h = a.head as usize;
                if nc < t.cost[h] {
                    t.cost[h] = nc;
                    t.length_m[h] = l;
                    t.duration_s[h] = d;
                    t.parent[h] = a.edge;
                    heap.push(Key(nc, a.head));
                }
            }
        }
        t
    }

    /// Reverse search: the cost from every vertex to `dest` (stopping once every `targets`
    /// vertex is settled or the cost passes `cutoff`, in seconds or metres by metric).
    pub fn reverse_tree(
        &self,
        dest: &Snap,
        metric: Metric,
        targets: Option<&[u32]>,
        cutoff: Option<f64>,
    ) -> Tree {
        self.run(
            &self.graph.rev,
            dest,
            true,
            metric,
            targets,
            cutoff.unwrap_or(f64::INFINITY),
        )
    }

    /// Vertices an origin's search starts from (targets for a reverse tree).
    pub fn origin_vertices(&self, o: &Snap) -> Vec<u32> {
        self.seeds(o, true).iter().map(|s| s.node).collect()
    }

    /// Best journey from `origin` to the root of a reverse tree; `None` when unreachable.
    pub fn journey_to_root(&self, tree: &Tree, origin: &Snap) -> Option<Journey> {
        self.best_to_root(tree, origin).map(|(j, _)| j)
    }

    /// The best way to the root: the journey and which origin seed (or `None` = direct).
    fn best_to_root(&self, tree: &Tree, origin: &Snap) -> Option<(Journey, Option<Seed>)> {
        debug_assert!(tree.reverse);
        let mut best: Option<(Journey, Option<Seed>)> =
            self.direct(origin, &tree.snap).map(|(j, _)| (j, None));
        for s in self.seeds(origin, true).iter().copied() {
            let v = s.node as usize;
            if !tree.cost[v].is_finite() {
                continue;
            }
            let j = Journey {
                distance_m: s.length_m + tree.length_m[v],
                duration_s: s.duration_s + tree.duration_s[v],
            };
            if best.is_none_or(|(b, _)| j.cost(tree.metric) < b.cost(tree.metric)) {
                best = Some((j, Some(s)));
            }
        }
        best
    }

    /// Best route (with geometry) from `origin` to the root of a reverse tree.
    pub fn route_to_root(&self, tree: &Tree, origin: &Snap) -> Option<Route> {
        let (journey, seed) = self.best_to_root(tree, origin)?;
        let Some(seed) = seed else {
            return Some(Route {
                journey,
                geometry: self.direct_geometry(origin, &tree.snap),
            });
        };
        let mut geometry = self.origin_part(origin, seed.part);
        let mut v = seed.node;
        let mut guard = 0usize;
        loop {
            let p = tree.parent[v as usize];
            if p >= SEED_BASE {
                let k = (p - SEED_BASE) as usize;
                let dseed = tree.seeds.get(k)?;
                extend(&mut geometry, self.dest_part(&tree.snap, dseed.part));
                break;
            }
            extend(&mut geometry, self.graph.edge_geometry(p));
            let (_, head) = self
                .graph
                .graph
                .edge_endpoints(petgraph::graph::EdgeIndex::new(p as usize))?;
            v = head.index() as u32;
            guard += 1;
            if guard > self.graph.node_count() {
                return None;
            }
        }
        Some(Route {
            journey,
            geometry: dedup(geometry),
        })
    }

    /// Point-to-point route (reverse search from `dest`, stopping once the origin's
    /// vertices are settled).
    pub fn route(&self, origin: &Snap, dest: &Snap, metric: Metric) -> Option<Route> {
        let targets = self.origin_vertices(origin);
        let tree = self.reverse_tree(dest, metric, Some(&targets), None);
        self.route_to_root(&tree, origin)
    }

    /// Point-to-point journey figures only.
    pub fn journey(&self, origin: &Snap, dest: &Snap, metric: Metric) -> Option<Journey> {
        let targets = self.origin_vertices(origin);
        let tree = self.reverse_tree(dest, metric, Some(&targets), None);
        self.journey_to_root(&tree, origin)
    }

    /// Forward search from an origin to every vertex within `cutoff` (seconds or metres):
    /// the catchment of a place.
    pub fn forward_tree(&self, origin: &Snap, metric: Metric, cutoff: Option<f64>) -> Tree {
        self.run(
            &self.graph.fwd,
            origin,
            false,
            metric,
            None,
            cutoff.unwrap_or(f64::INFINITY),
        )
    }

    fn origin_part(&self, o: &Snap, part: Part) -> Vec<LatLon> {
        let coords = self.graph.piece_coords(o.piece);
        let s = o.seg as usize;
        match part {
            Part::AtJunction => vec![o.point],
            Part::NodeOrder => std::iter::once(o.point)
                .chain(coords[s + 1..].iter().copied())
                .collect(),
            Part::Against => std::iter::once(o.point)
                .chain(coords[..=s].iter().rev().copied())
                .collect(),
        }
    }

    fn dest_part(&self, d: &Snap, part: Part) -> Vec<LatLon> {
        let coords = self.graph.piece_coords(d.piece);
        let s = d.seg as usize;
        match part {
            Part::AtJunction => vec![d.point],
            Part::NodeOrder => coords[..=s]
                .iter()
                .copied()
                .chain(std::iter::once(d.point))
                .collect(),
            Part::Against => coords[s + 1..]
                .iter()
                .rev()
                .copied()
                .chain(std::iter::once(d.point))
                .collect(),
        }
    }

    fn direct_geometry(&self, o: &Snap, d: &Snap) -> Vec<LatLon> {
        let coords = self.graph.piece_coords(o.piece);
        let mut pts = vec![o.point];
        if o.along_m <= d.along_m && self.graph.piece_edges(o.piece)[0].is_some() {
            pts.extend(coords[o.seg as usize + 1..=d.seg as usize].iter().copied());
        } else if d.seg < o.seg {
            pts.extend(
                coords[d.seg as usize + 1..=o.seg as usize]
                    .iter()
                    .rev()
                    .copied(),
            );
        }
        pts.push(d.point);
        dedup(pts)
    }
}

/// Append `more` to `pts`, skipping repeated points at the join.
fn extend(pts: &mut Vec<LatLon>, more: Vec<LatLon>) {
    for p in more {
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
}

fn dedup(mut pts: Vec<LatLon>) -> Vec<LatLon> {
    pts.dedup();
    if pts.len() == 1 {
        pts.push(pts[0]);
    }
    pts
}
