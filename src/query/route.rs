//! Shortest paths between snapped points: trees, target sets and point-to-point routes.
//!
//! A journey starts at the origin's snapped point *inside* a piece and ends at the
//! destination's snapped point: the partial piece lengths count and one-way rules apply to
//! them too. A snapped point that is a junction may leave (or arrive) along any allowed edge.
//! Both figures (length and duration) are reported for the path that is best under the
//! chosen [`Metric`]: weights are integer nano-units compared lexicographically (the
//! metric's figure, then the other; see [`crate::index::cost`]), so every search — plain
//! Dijkstra or the contraction hierarchy — finds the same optimum and results do not depend
//! on thread counts. `distance_m` and `duration_s` cover the road part only: the off-road
//! legs are the snap distances, reported separately.
//!
//! With a [`Hierarchy`] for the metric loaded, [`Network::tree_to`] is a restricted PHAST
//! sweep and [`Network::route`] a bidirectional hierarchy query (see
//! [`crate::query::phast`]); without one both fall back to Dijkstra with the same results.
//! Parallel matrices live in [`crate::query::matrix`]. No I/O here.

use std::collections::BinaryHeap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::index::ch::Hierarchy;
use crate::index::cost::Cost;
use crate::index::graph::{Csr, RoadGraph};
use crate::index::snap::{Snap, SnapFailure, SnapIndex};
use crate::model::speeds::SpeedProfile;
use crate::model::LatLon;
use crate::query::phast::{self, Sweep};

pub use crate::model::metric::Metric;

/// The road part of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    /// Road length, metres.
    pub distance_m: f64,
    /// Driving time, seconds.
    pub duration_s: f64,
}

impl Journey {
    fn from_cost(c: Cost, metric: Metric) -> Journey {
        Journey {
            distance_m: c.length_m(metric),
            duration_s: c.duration_s(metric),
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

impl Seed {
    fn cost(&self, metric: Metric) -> Cost {
        Cost::of(metric, self.length_m, self.duration_s)
    }
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

    fn costs(&self, metric: Metric) -> Vec<(u32, Cost)> {
        self.iter().map(|s| (s.node, s.cost(metric))).collect()
    }
}

const NO_PARENT: u32 = u32::MAX;
const SEED_BASE: u32 = u32::MAX - 8;

/// Where a tree's costs are kept.
#[derive(Debug, Clone)]
enum Values {
    /// Every junction, with the edge towards the root (`SEED_BASE + i` at a seed).
    Full { cost: Vec<Cost>, parent: Vec<u32> },
    /// Only a target set's junctions, by slot.
    AtTargets { targets: Targets, cost: Vec<Cost> },
}

/// A shortest-path tree: costs from junctions to a destination (reverse) or from an origin
/// to junctions (forward).
#[derive(Debug, Clone)]
pub struct Tree {
    metric: Metric,
    reverse: bool,
    snap: Snap,
    seeds: Vec<Seed>,
    values: Values,
}

impl Tree {
    /// The snapped point the tree is rooted at.
    pub fn root(&self) -> &Snap {
        &self.snap
    }

    /// Cost (seconds or metres by metric) at a vertex; infinite when not reached or not
    /// in the tree's target set.
    pub fn cost_at(&self, v: u32) -> f64 {
        let c = self.at(v);
        if c.is_finite() {
            c.primary_units()
        } else {
            f64::INFINITY
        }
    }

    fn at(&self, v: u32) -> Cost {
        match &self.values {
            Values::Full { cost, .. } => cost.get(v as usize).copied(),
            Values::AtTargets { targets, cost } => {
                targets.slot(v).and_then(|k| cost.get(k).copied())
            }
        }
        .unwrap_or(Cost::INFINITE)
    }
}

/// A set of origins' start junctions, prepared once for many trees to the same origins:
/// the restricted sweep when a hierarchy is loaded, a junction → slot table always.
#[derive(Debug, Clone)]
pub struct Targets {
    inner: Arc<TargetsInner>,
}

#[derive(Debug)]
struct TargetsInner {
    metric: Metric,
    vertices: Vec<u32>,
    /// Slot per junction (`u32::MAX` when not a target).
    slot_of: Vec<u32>,
    /// Local sweep index per slot, with the sweep (hierarchy only).
    sweep: Option<(Sweep, Vec<u32>)>,
}

impl Targets {
    fn slot(&self, v: u32) -> Option<usize> {
        self.inner
            .slot_of
            .get(v as usize)
            .copied()
            .filter(|&k| k != u32::MAX)
            .map(|k| k as usize)
    }

    /// Number of distinct target junctions.
    pub fn len(&self) -> usize {
        self.inner.vertices.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.inner.vertices.is_empty()
    }

    /// The metric trees to these targets use.
    pub fn metric(&self) -> Metric {
        self.inner.metric
    }

    /// Junctions a hierarchy sweep visits for this set (0 without a hierarchy).
    pub fn sweep_len(&self) -> usize {
        self.inner.sweep.as_ref().map_or(0, |(s, _)| s.len())
    }
}

/// An origin's start junctions as target slots with their partial costs.
#[derive(Debug, Clone, Copy)]
pub struct OriginSlots {
    items: [(u32, Cost); 3],
    len: usize,
}

/// Contraction hierarchies loaded with a network, per metric.
#[derive(Debug, Clone, Default)]
pub struct Hierarchies {
    /// For least-time paths.
    pub time: Option<Hierarchy>,
    /// For least-distance paths.
    pub distance: Option<Hierarchy>,
}

impl Hierarchies {
    /// Contract `graph` for both metrics, one on each of two threads when available.
    /// `progress(metric, done, total)` is called as junctions are contracted.
    pub fn build(graph: &RoadGraph, progress: &(dyn Fn(Metric, u64, u64) + Sync)) -> Hierarchies {
        let one = |m: Metric| Hierarchy::build(graph, m, &|d, t| progress(m, d, t));
        let (time, distance) = rayon::join(|| one(Metric::Time), || one(Metric::Distance));
        Hierarchies {
            time: Some(time),
            distance: Some(distance),
        }
    }

    /// The hierarchy for a metric, when loaded.
    pub fn get(&self, metric: Metric) -> Option<&Hierarchy> {
        match metric {
            Metric::Time => self.time.as_ref(),
            Metric::Distance => self.distance.as_ref(),
        }
    }
}

/// The road graph with its snapping index: everything needed to route.
#[derive(Debug, Clone)]
pub struct Network {
    /// The graph of the largest strongly connected component.
    pub graph: RoadGraph,
    /// Segment index for snapping.
    pub index: SnapIndex,
    /// Contraction hierarchies (optional: searches fall back to Dijkstra without them).
    pub hierarchies: Hierarchies,
    /// The speeds the graph's durations are at (free flow unless built for a profile).
    pub speeds: SpeedProfile,
    /// The extract's named places (`place=*` nodes, labels for the map), in label order;
    /// not part of routing.
    pub places: Vec<crate::model::place::Place>,
    /// The extract's water and land use (the map's background; shared, since it is never
    /// changed); not part of routing.
    pub land: std::sync::Arc<crate::model::land::Land>,
    /// The roads' labels by OSM way id (the map's street names; shared); not part of
    /// routing.
    pub road_names: std::sync::Arc<crate::model::road_names::RoadNames>,
}

impl Network {
    /// Index a graph for snapping (no hierarchy).
    pub fn new(graph: RoadGraph) -> Network {
        let index = SnapIndex::build(&graph);
        Network {
            graph,
            index,
            hierarchies: Hierarchies::default(),
            speeds: SpeedProfile::free_flow(),
            places: Vec::new(),
            land: Default::default(),
            road_names: Default::default(),
        }
    }

    /// A graph with a snapping index already built for it (no hierarchy).
    pub fn with_index(graph: RoadGraph, index: SnapIndex) -> Network {
        Network {
            graph,
            index,
            hierarchies: Hierarchies::default(),
            speeds: SpeedProfile::free_flow(),
            places: Vec::new(),
            land: Default::default(),
            road_names: Default::default(),
        }
    }

    /// The same roads timed at `speeds` (each piece's free-flow speed times the factor of
    /// its class), with a fresh snapping grid and no hierarchy: build those for the new
    /// weights. A network not at free flow is re-timed from its own speeds.
    pub fn with_speeds(&self, speeds: &SpeedProfile) -> Network {
        let graph = self
            .graph
            .with_speed_factors(|c| speeds.factor(c) / self.speeds.factor(c));
        Network {
            speeds: speeds.clone(),
            places: self.places.clone(),
            land: self.land.clone(),
            road_names: self.road_names.clone(),
            ..Network::new(graph)
        }
    }

    /// Attach hierarchies built for this graph.
    pub fn with_hierarchies(mut self, hierarchies: Hierarchies) -> Network {
        self.hierarchies = hierarchies;
        self
    }

    /// Snap a point (see [`SnapIndex::snap`]).
    pub fn snap(&self, p: LatLon, max_snap_m: f64) -> Result<Snap, SnapFailure> {
        self.index.snap(&self.graph, p, max_snap_m)
    }

    /// Snap a point, not searching for the nearest road of a failure (see
    /// [`SnapIndex::snap_within`]).
    pub fn snap_within(&self, p: LatLon, max_snap_m: f64) -> Result<Snap, SnapFailure> {
        self.index.snap_within(&self.graph, p, max_snap_m)
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

    /// The cost along the shared piece when origin and destination lie on the same one
    /// and its direction allows it.
    fn direct(&self, o: &Snap, d: &Snap, metric: Metric) -> Option<Cost> {
        if o.piece != d.piece {
            return None;
        }
        let piece = self.graph.pieces()[o.piece as usize];
        let [fwd, bwd] = self.graph.piece_edges(o.piece);
        let len = if o.along_m <= d.along_m && fwd.is_some() {
            d.along_m - o.along_m
        } else if o.along_m >= d.along_m && bwd.is_some() {
            o.along_m - d.along_m
        } else {
            return None;
        };
        Some(Cost::of(metric, len, len / piece.speed_mps()))
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
        let mut cost = vec![Cost::INFINITE; n];
        let mut parent = vec![NO_PARENT; n];
        let mut heap = BinaryHeap::new();
        for (i, s) in seeds.iter().enumerate() {
            let c = s.cost(metric);
            let v = s.node as usize;
            if c < cost[v] {
                cost[v] = c;
                parent[v] = SEED_BASE + i as u32;
                heap.push(std::cmp::Reverse((c, s.node)));
            }
        }
        let mut is_target = Vec::new();
        let mut remaining = 0usize;
        if let Some(ts) = targets {
            is_target = vec![false; n];
            for &v in ts {
                if let Some(t) = is_target.get_mut(v as usize) {
                    if !*t {
                        *t = true;
                        remaining += 1;
                    }
                }
            }
        }
        let edge_cost = |a: &crate::index::graph::Adj| Cost::of(metric, a.length_m, a.duration_s);
        if targets.is_none() || remaining > 0 {
            while let Some(std::cmp::Reverse((c, v))) = heap.pop() {
                let vi = v as usize;
                if c > cost[vi] {
                    continue;
                }
                if c.primary_units() > cutoff {
                    break;
                }
                if !is_target.is_empty() && is_target[vi] {
                    is_target[vi] = false;
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
                for a in csr.of(v) {
                    let nc = c.plus(edge_cost(a));
                    let h = a.head as usize;
                    if nc < cost[h] {
                        cost[h] = nc;
                        parent[h] = a.edge;
                        heap.push(std::cmp::Reverse((nc, a.head)));
                    }
                }
            }
        }
        Tree {
            metric,
            reverse,
            snap: *root,
            seeds: seeds.iter().copied().collect(),
            values: Values::Full { cost, parent },
        }
    }

    /// Reverse Dijkstra: the cost from every vertex to `dest` (stopping once every
    /// `targets` vertex is settled or the cost passes `cutoff`, in seconds or metres by
    /// metric). Vertices beyond the cutoff may carry costs that are not final: callers
    /// compare journeys against the cutoff.
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

    /// Prepare the start junctions of `origins` for many trees under `metric`: with a
    /// hierarchy loaded, the restricted sweep they need (computed once here).
    pub fn targets<'a>(
        &self,
        origins: impl IntoIterator<Item = &'a Snap>,
        metric: Metric,
    ) -> Targets {
        let mut vertices: Vec<u32> = origins
            .into_iter()
            .flat_map(|o| self.origin_vertices(o))
            .collect();
        vertices.sort_unstable();
        vertices.dedup();
        let mut slot_of = vec![u32::MAX; self.graph.node_count()];
        for (k, &v) in vertices.iter().enumerate() {
            if let Some(s) = slot_of.get_mut(v as usize) {
                *s = k as u32;
            }
        }
        let sweep = self.hierarchies.get(metric).map(|h| {
            let sweep = Sweep::new(h, &vertices);
            let local: Vec<u32> = vertices
                .iter()
                .map(|&v| sweep.local(v).unwrap_or(u32::MAX))
                .collect();
            (sweep, local)
        });
        Targets {
            inner: Arc::new(TargetsInner {
                metric,
                vertices,
                slot_of,
                sweep,
            }),
        }
    }

    /// The reverse tree to `dest` at the target junctions: a restricted PHAST sweep with a
    /// hierarchy, else a Dijkstra stopped once every target is settled. The same costs
    /// either way.
    pub fn tree_to(&self, targets: &Targets, dest: &Snap) -> Tree {
        let metric = targets.metric();
        let t = &targets.inner;
        let h = self.hierarchies.get(metric);
        let cost = match (h, &t.sweep) {
            (Some(h), Some((sweep, local))) => {
                let seeds = self.seeds(dest, false).costs(metric);
                SWEEP_BUF.with(|buf| {
                    let mut buf = buf.borrow_mut();
                    sweep.reverse_costs(h, &seeds, &mut buf);
                    local
                        .iter()
                        .map(|&l| buf.get(l as usize).copied().unwrap_or(Cost::INFINITE))
                        .collect()
                })
            }
            _ => {
                let full = self.reverse_tree(dest, metric, Some(&t.vertices), None);
                t.vertices.iter().map(|&v| full.at(v)).collect()
            }
        };
        Tree {
            metric,
            reverse: true,
            snap: *dest,
            seeds: self.seeds(dest, false).iter().copied().collect(),
            values: Values::AtTargets {
                targets: targets.clone(),
                cost,
            },
        }
    }

    /// An origin's start junctions as slots of a target set, with their costs: computed
    /// once per origin for look-ups in many trees ([`Network::journey_from`]).
    pub fn origin_slots(&self, targets: &Targets, origin: &Snap) -> OriginSlots {
        let mut out = OriginSlots {
            items: [(u32::MAX, Cost::INFINITE); 3],
            len: 0,
        };
        for s in self.seeds(origin, true).iter() {
            if let Some(k) = targets.slot(s.node) {
                out.items[out.len] = (k as u32, s.cost(targets.metric()));
                out.len += 1;
            }
        }
        out
    }

    /// Best journey from `origin` to the root of a tree built by [`Network::tree_to`] on the
    /// same target set as `slots`; equal to [`Network::journey_to_root`].
    pub fn journey_from(&self, tree: &Tree, origin: &Snap, slots: &OriginSlots) -> Option<Journey> {
        let Values::AtTargets { cost, .. } = &tree.values else {
            return self.journey_to_root(tree, origin);
        };
        let mut best = self.direct(origin, &tree.snap, tree.metric);
        for &(k, c) in &slots.items[..slots.len] {
            let t = cost.get(k as usize).copied().unwrap_or(Cost::INFINITE);
            if !t.is_finite() {
                continue;
            }
            let j = c.plus(t);
            if best.is_none_or(|b| j < b) {
                best = Some(j);
            }
        }
        best.map(|c| Journey::from_cost(c, tree.metric))
    }

    /// Best journey from `origin` to the root of a reverse tree; `None` when unreachable.
    pub fn journey_to_root(&self, tree: &Tree, origin: &Snap) -> Option<Journey> {
        self.best_to_root(tree, origin)
            .map(|(c, _)| Journey::from_cost(c, tree.metric))
    }

    /// The best way to the root: the cost and which origin seed (or `None` = direct).
    fn best_to_root(&self, tree: &Tree, origin: &Snap) -> Option<(Cost, Option<Seed>)> {
        debug_assert!(tree.reverse);
        let mut best: Option<(Cost, Option<Seed>)> = self
            .direct(origin, &tree.snap, tree.metric)
            .map(|c| (c, None));
        for s in self.seeds(origin, true).iter().copied() {
            let t = tree.at(s.node);
            if !t.is_finite() {
                continue;
            }
            let c = s.cost(tree.metric).plus(t);
            if best.is_none_or(|(b, _)| c < b) {
                best = Some((c, Some(s)));
            }
        }
        best
    }

    /// Best route (with geometry) from `origin` to the root of a reverse tree built by
    /// [`Network::reverse_tree`]; for other trees, a point-to-point [`Network::route`].
    pub fn route_to_root(&self, tree: &Tree, origin: &Snap) -> Option<Route> {
        let Values::Full { parent, .. } = &tree.values else {
            return self.route(origin, &tree.snap, tree.metric);
        };
        let (cost, seed) = self.best_to_root(tree, origin)?;
        let journey = Journey::from_cost(cost, tree.metric);
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
            let p = *parent.get(v as usize)?;
            if p >= SEED_BASE {
                let dseed = tree.seeds.get((p - SEED_BASE) as usize)?;
                extend(&mut geometry, self.dest_part(&tree.snap, dseed.part));
                break;
            }
            if p as usize >= self.graph.edge_count() {
                return None;
            }
            self.graph.extend_with_edge(&mut geometry, p);
            v = self.graph.edge(p).head;
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

    /// Point-to-point route: a bidirectional hierarchy query when one is loaded for the
    /// metric, else a reverse Dijkstra stopped once the origin's vertices are settled.
    pub fn route(&self, origin: &Snap, dest: &Snap, metric: Metric) -> Option<Route> {
        self.routes_to(&[origin], dest, metric).pop().flatten()
    }

    /// Routes from many origins to one destination, in origin order: with a hierarchy, one
    /// backward search from the destination shared by a pruned forward search per origin;
    /// else one reverse Dijkstra stopped once every origin's vertices are settled.
    pub fn routes_to(&self, origins: &[&Snap], dest: &Snap, metric: Metric) -> Vec<Option<Route>> {
        let Some(h) = self.hierarchies.get(metric) else {
            let targets: Vec<u32> = origins
                .iter()
                .flat_map(|o| self.origin_vertices(o))
                .collect();
            let tree = self.reverse_tree(dest, metric, Some(&targets), None);
            return origins
                .iter()
                .map(|o| self.route_to_root(&tree, o))
                .collect();
        };
        let ds = self.seeds(dest, false);
        let seeds: Vec<Vec<(u32, Cost)>> = origins
            .iter()
            .map(|o| self.seeds(o, true).costs(metric))
            .collect();
        let met = phast::meet_many(h, &seeds, &ds.costs(metric));
        origins
            .iter()
            .zip(met)
            .map(|(origin, m)| self.route_via(h, origin, dest, &ds, m, metric))
            .collect()
    }

    /// The route for a hierarchy meeting, or the direct one along a shared piece when that
    /// is at least as good.
    fn route_via(
        &self,
        h: &Hierarchy,
        origin: &Snap,
        dest: &Snap,
        ds: &Seeds,
        met: Option<phast::Meeting>,
        metric: Metric,
    ) -> Option<Route> {
        let direct = self.direct(origin, dest, metric);
        match (direct, met) {
            (Some(c), m) if m.as_ref().is_none_or(|m| c <= m.cost) => Some(Route {
                journey: Journey::from_cost(c, metric),
                geometry: self.direct_geometry(origin, dest),
            }),
            (_, Some(m)) => {
                let o = *self.seeds(origin, true).iter().nth(m.origin_seed)?;
                let d = *ds.iter().nth(m.dest_seed)?;
                let mut edges = Vec::new();
                for a in &m.arcs {
                    h.unpack(*a, &mut edges);
                }
                let mut geometry = self.origin_part(origin, o.part);
                for e in edges {
                    self.graph.extend_with_edge(&mut geometry, e);
                }
                extend(&mut geometry, self.dest_part(dest, d.part));
                Some(Route {
                    journey: Journey::from_cost(m.cost, metric),
                    geometry: dedup(geometry),
                })
            }
            (_, None) => None,
        }
    }

    /// Point-to-point journey figures only.
    pub fn journey(&self, origin: &Snap, dest: &Snap, metric: Metric) -> Option<Journey> {
        let Some(h) = self.hierarchies.get(metric) else {
            let targets = self.origin_vertices(origin);
            let tree = self.reverse_tree(dest, metric, Some(&targets), None);
            return self.journey_to_root(&tree, origin);
        };
        let (os, ds) = (self.seeds(origin, true), self.seeds(dest, false));
        let met = phast::meet(h, &os.costs(metric), &ds.costs(metric)).map(|m| m.cost);
        let best = match (self.direct(origin, dest, metric), met) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        best.map(|c| Journey::from_cost(c, metric))
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

thread_local! {
    /// One sweep buffer per thread, reused across trees.
    static SWEEP_BUF: std::cell::RefCell<Vec<Cost>> = const { std::cell::RefCell::new(Vec::new()) };
}
