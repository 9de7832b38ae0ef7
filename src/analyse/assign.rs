//! Capacity-constrained bring-back assignment.
//!
//! Given out-of-area pupils, provisions with spare places (`capacity`) and the allowed moves
//! ([`Arc`]: pupil may take a place at provision for an integer `cost`, e.g. centiminutes of
//! journey), [`solve_optimal`] finds an assignment that is optimal **lexicographically**: first
//! the largest number of pupils moved, then the least total cost among all assignments that move
//! that many. [`solve_greedy`] is the nearest-first baseline it is compared against.
//!
//! This module is pure core: no I/O, no threads, no hashing, no floating point. It must not
//! import `crate::load` or anything that touches files. Results depend only on
//! the *set* of arcs (never on arc order, thread count or hash order): see "Determinism" below.
//!
//! # Model
//!
//! The bipartite problem is the min-cost flow network
//! `S → pupil` (capacity 1, cost 0), `pupil → provision` (capacity 1, cost of the arc),
//! `provision → T` (capacity = spare places, cost 0). Integral flows are exactly assignments.
//!
//! # Algorithm: successive shortest paths with potentials
//!
//! Successive shortest augmenting paths (SSP) with node potentials, as in Ahuja, Magnanti &
//! Orlin, *Network Flows: Theory, Algorithms, and Applications* (Prentice Hall, 1993),
//! ch. 9 ("Minimum cost flows: basic algorithms"), §9.7 "Successive shortest path algorithm";
//! the potentials ("Johnson" reweighting, so Dijkstra works on non-negative reduced costs) are
//! due to Edmonds & Karp (1972) and Tomizawa (1971).
//!
//! Why the result is lexicographically optimal (max count, then min cost):
//! 1. The zero flow is a min-cost flow of value 0, because all costs are non-negative.
//! 2. If `x` is a min-cost flow of value `v` and `P` a shortest `S→T` path in the residual
//!    network, then `x` augmented along `P` is a min-cost flow of value `v + 1` (AMO §9.7; every
//!    path carries exactly one unit, because each `S → pupil` arc has capacity 1).
//! 3. The loop stops when `T` is unreachable from `S` in the residual network; by the
//!    augmenting path theorem (AMO §6.5) the flow is then a **maximum** flow. By (1)-(2) it is
//!    also of minimum cost among flows of that value, i.e. among all assignments that move the
//!    largest possible number of pupils. All capacities are integers, so the flow is integral.
//!
//! Reduced costs `c(u,v) + p(u) − p(v)` stay non-negative on every residual arc Dijkstra uses.
//! Dijkstra stops as soon as `T` is settled (distance `d_T`); every node then gets
//! `p(v) += min(d(v), d_T)` (settled nodes: their exact distance; the rest: `d_T`). For an arc
//! `u→v`, `d(v) ≤ d(u) + c_p(u,v)` gives `min(d(v), d_T) ≤ min(d(u), d_T) + c_p(u,v)`, so
//! reduced costs stay non-negative, and arcs on the shortest path get reduced cost 0, so their
//! reverses (created by augmenting) are non-negative too. Arcs into `S` and out of `T` are never
//! used: a shortest `S→T` path never revisits `S` or `T`.
//!
//! ## Compressed graph (speed)
//!
//! A pupil placed at provision `j` has exactly one incoming residual arc (`j → pupil`, cost
//! `−c(pupil, j)`), and a free pupil only `S → pupil`. So every path through a pupil node can be
//! contracted: Dijkstra runs on `S`, `T` and the provisions only, with arcs
//! - `S → k`: cheapest `c(i, k)` over free pupils `i` (a per-provision list sorted by
//!   `(cost, pupil)` with a monotone pointer, since pupils never become free again);
//! - `j → k`: cheapest `c(i, k) − c(i, j)` over pupils `i` placed at `j` ("move `i` from `j`
//!   to `k` to free a place at `j`"), rebuilt only for the provisions on each augmenting path;
//! - `k → T`: cost 0 while `k` has a spare place.
//!
//! This is exact (the same distances as on the full network, with implicit pupil potentials
//! `p(i) = p(j) − c(i, j)`), and each of the at most `min(pupils, places)` augmentations costs
//! one Dijkstra over ~150 provisions instead of over ~300k pupil arcs.
//!
//! # Determinism
//!
//! Arcs are first canonicalised: arcs to provisions with zero capacity are dropped, and
//! duplicate `(pupil, provision)` arcs keep the cheapest. Dijkstra breaks distance ties by the
//! smaller node index (provisions in increasing id order, then `S`, then `T`); each contracted
//! arc keeps the cheapest `(cost, pupil index)`. The algorithm is sequential, so the returned
//! assignment (not only its count and cost) is a function of the set of arcs alone.
//!
//! # Invalid input
//!
//! [`Problem::validate`] reports the first arc with an out-of-range index, a negative cost or a
//! cost above [`MAX_COST`]. The solvers never panic on such input: they ignore those arcs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Largest allowed arc cost (`i32::MAX`, about 41 years in centiminutes). With at most
/// `u32::MAX` pupils every total and every potential fits in an `i64`.
pub const MAX_COST: i64 = i32::MAX as i64;

/// One allowed move: pupil may take a place at provision at integer `cost` (e.g. centiminutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arc {
    /// Pupil index, `0..n_pupils`.
    pub pupil: u32,
    /// Provision index, `0..capacity.len()`.
    pub provision: u32,
    /// Cost of the move in integer units chosen by the caller (e.g. centiminutes); `0..=MAX_COST`.
    pub cost: i64,
}

/// An assignment instance: pupils, provisions with spare places, and the allowed moves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problem {
    /// Number of pupils that may be moved (indexes `0..n_pupils`).
    pub n_pupils: usize,
    /// Spare places at each provision (indexes `0..capacity.len()`).
    pub capacity: Vec<u32>,
    /// Allowed moves, in any order; duplicates are allowed (the cheapest counts).
    pub arcs: Vec<Arc>,
}

/// The first reason a [`Problem`] is invalid. `arc` is the 0-based index into `Problem::arcs`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// An arc names a pupil at or beyond `n_pupils`.
    #[error("arc {arc}: field `pupil` = {pupil} is out of range (n_pupils = {n_pupils})")]
    PupilOutOfRange {
        /// Index of the arc.
        arc: usize,
        /// The offending pupil index.
        pupil: u32,
        /// Number of pupils in the problem.
        n_pupils: usize,
    },
    /// An arc names a provision at or beyond `capacity.len()`.
    #[error(
        "arc {arc}: field `provision` = {provision} is out of range (n_provisions = {n_provisions})"
    )]
    ProvisionOutOfRange {
        /// Index of the arc.
        arc: usize,
        /// The offending provision index.
        provision: u32,
        /// Number of provisions (`capacity.len()`).
        n_provisions: usize,
    },
    /// An arc has a negative cost.
    #[error("arc {arc}: field `cost` = {cost} is negative")]
    NegativeCost {
        /// Index of the arc.
        arc: usize,
        /// The offending cost.
        cost: i64,
    },
    /// An arc has a cost above [`MAX_COST`].
    #[error("arc {arc}: field `cost` = {cost} exceeds the maximum {MAX_COST}")]
    CostTooLarge {
        /// Index of the arc.
        arc: usize,
        /// The offending cost.
        cost: i64,
    },
}

impl Problem {
    /// Number of provisions (`capacity.len()`).
    pub fn n_provisions(&self) -> usize {
        self.capacity.len()
    }

    /// Checks every arc: pupil and provision indexes in range, cost in `0..=MAX_COST`.
    /// Returns the first problem found, naming the arc index and field.
    pub fn validate(&self) -> Result<(), AssignError> {
        for (index, arc) in self.arcs.iter().enumerate() {
            if arc.pupil as usize >= self.n_pupils {
                return Err(AssignError::PupilOutOfRange {
                    arc: index,
                    pupil: arc.pupil,
                    n_pupils: self.n_pupils,
                });
            }
            if arc.provision as usize >= self.capacity.len() {
                return Err(AssignError::ProvisionOutOfRange {
                    arc: index,
                    provision: arc.provision,
                    n_provisions: self.capacity.len(),
                });
            }
            if arc.cost < 0 {
                return Err(AssignError::NegativeCost {
                    arc: index,
                    cost: arc.cost,
                });
            }
            if arc.cost > MAX_COST {
                return Err(AssignError::CostTooLarge {
                    arc: index,
                    cost: arc.cost,
                });
            }
        }
        Ok(())
    }

    /// True if `arc` would pass [`Problem::validate`].
    fn arc_is_valid(&self, arc: &Arc) -> bool {
        (arc.pupil as usize) < self.n_pupils
            && (arc.provision as usize) < self.capacity.len()
            && (0..=MAX_COST).contains(&arc.cost)
    }
}

/// The result of a solver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// For each pupil (index `0..n_pupils`), the provision it is moved to, or `None`.
    pub assigned: Vec<Option<u32>>,
    /// Number of pupils moved (`assigned` entries that are `Some`).
    pub moved: usize,
    /// Sum of the costs of the arcs used (cheapest arc where duplicates exist).
    pub total_cost: i64,
}

/// "No node / no pupil" marker in the solver's `u32` tables.
const NONE: u32 = u32::MAX;
/// Unreached distance.
const INF: i64 = i64::MAX;

/// A contracted arc `j → to`: moving `pupil` (placed at `j`) to `to` changes the cost by `delta`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    to: u32,
    delta: i64,
    pupil: u32,
}

/// Reusable min-cost max-flow solver for [`Problem`]s (see the module docs).
///
/// Keeps its working memory between calls, so solving many small instances (as siting does)
/// does not reallocate. `Solver::default().solve(p)` equals [`solve_optimal`]`(p)`.
#[derive(Debug, Default)]
pub struct Solver {
    /// Original provision id → node index (`NONE` if unused: no capacity or no arc).
    node_of_provision: Vec<u32>,
    /// Node index → original provision id.
    provision_of_node: Vec<u32>,
    /// Spare places per node.
    cap: Vec<u32>,
    /// Places taken per node.
    load: Vec<u32>,
    /// Canonical arcs grouped by pupil (CSR): `pupil_start[i]..pupil_start[i + 1]` into
    /// `pupil_arcs`, sorted by node, one arc per (pupil, node).
    pupil_start: Vec<u32>,
    /// `(node, cost)` for each canonical arc.
    pupil_arcs: Vec<(u32, i64)>,
    /// Scratch for the pupil bucket sort (arcs before deduplication).
    raw: Vec<(u32, i64)>,
    /// Canonical arcs grouped by node (CSR), each group sorted by `(cost, pupil)`.
    node_start: Vec<u32>,
    /// `(cost, pupil)` for each canonical arc, by node.
    node_in: Vec<(i64, u32)>,
    /// Per node: first entry of its `node_in` group whose pupil may still be free.
    node_ptr: Vec<u32>,
    /// Node each pupil is placed at (`NONE` if free).
    placed_at: Vec<u32>,
    /// Cost of each placed pupil's arc.
    placed_cost: Vec<i64>,
    /// Pupils placed at each node.
    members: Vec<Vec<u32>>,
    /// Contracted arcs out of each node.
    rows: Vec<Vec<Edge>>,
    /// Scratch for row rebuilds: best `(delta, pupil)` per target node.
    best: Vec<(i64, u32)>,
    /// Scratch: targets touched in `best`.
    touched: Vec<u32>,
    /// Nodes whose row must be rebuilt after an augmentation.
    dirty: Vec<u32>,
    /// Potentials, one per node plus `S` and `T`.
    potential: Vec<i64>,
    /// Dijkstra tentative distances (reduced costs).
    dist: Vec<i64>,
    /// Dijkstra settled flags.
    settled: Vec<bool>,
    /// Dijkstra predecessor: `(node, pupil)` of the arc used to reach each node.
    pred: Vec<(u32, u32)>,
    /// Dijkstra queue.
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Solver {
    /// An empty solver; memory grows on first use and is kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lexicographically optimal assignment: most pupils moved, then least total cost.
    /// Same result as [`solve_optimal`]; arcs that [`Problem::validate`] rejects are ignored.
    pub fn solve(&mut self, p: &Problem) -> Solution {
        self.build(p);
        let k = self.provision_of_node.len();
        let (source, sink) = (k, k + 1);
        self.potential.clear();
        self.potential.resize(k + 2, 0);
        while self.shortest_path(source, sink) {
            self.update_potentials(sink);
            self.augment(source, sink);
        }
        self.solution(p.n_pupils)
    }

    /// Canonicalises the arcs of `p` into the solver's tables and resets the flow to zero.
    fn build(&mut self, p: &Problem) {
        let n = p.n_pupils;
        // Nodes: provisions with capacity and at least one valid arc, in increasing id order.
        self.node_of_provision.clear();
        self.node_of_provision.resize(p.capacity.len(), NONE);
        let mut used = std::mem::take(&mut self.settled);
        used.clear();
        used.resize(p.capacity.len(), false);
        let mut n_valid = 0usize;
        for arc in p.arcs.iter().filter(|a| p.arc_is_valid(a)) {
            if p.capacity[arc.provision as usize] > 0 {
                used[arc.provision as usize] = true;
                n_valid += 1;
            }
        }
        self.provision_of_node.clear();
        self.cap.clear();
        for (id, (&is_used, &cap)) in used.iter().zip(&p.capacity).enumerate() {
            if is_used {
                self.node_of_provision[id] = self.provision_of_node.len() as u32;
                self.provision_of_node.push(id as u32);
                self.cap.push(cap);
            }
        }
        self.settled = used;
        let k = self.provision_of_node.len();

        // Bucket the arcs by pupil, then sort each pupil's arcs by (node, cost) and keep the
        // cheapest per node.
        self.pupil_start.clear();
        self.pupil_start.resize(n + 1, 0);
        for arc in &p.arcs {
            if p.arc_is_valid(arc) && p.capacity[arc.provision as usize] > 0 {
                self.pupil_start[arc.pupil as usize + 1] += 1;
            }
        }
        for i in 0..n {
            self.pupil_start[i + 1] += self.pupil_start[i];
        }
        self.raw.clear();
        self.raw.resize(n_valid, (0, 0));
        let mut fill = std::mem::take(&mut self.node_ptr);
        fill.clear();
        fill.extend_from_slice(&self.pupil_start[..n]);
        for arc in &p.arcs {
            if p.arc_is_valid(arc) && p.capacity[arc.provision as usize] > 0 {
                let slot = &mut fill[arc.pupil as usize];
                self.raw[*slot as usize] =
                    (self.node_of_provision[arc.provision as usize], arc.cost);
                *slot += 1;
            }
        }
        self.node_ptr = fill;
        self.pupil_arcs.clear();
        let mut start = 0usize;
        for i in 0..n {
            let end = self.pupil_start[i + 1] as usize;
            let group = &mut self.raw[start..end];
            group.sort_unstable();
            self.pupil_start[i] = self.pupil_arcs.len() as u32;
            let mut last = NONE;
            for &(node, cost) in group.iter() {
                if node != last {
                    self.pupil_arcs.push((node, cost));
                    last = node;
                }
            }
            start = end;
        }
        self.pupil_start[n] = self.pupil_arcs.len() as u32;

        // Group the canonical arcs by node, each group sorted by (cost, pupil).
        self.node_start.clear();
        self.node_start.resize(k + 1, 0);
        for &(node, _) in &self.pupil_arcs {
            self.node_start[node as usize + 1] += 1;
        }
        for j in 0..k {
            self.node_start[j + 1] += self.node_start[j];
        }
        self.node_in.clear();
        self.node_in.resize(self.pupil_arcs.len(), (0, 0));
        self.node_ptr.clear();
        self.node_ptr.extend_from_slice(&self.node_start[..k]);
        for i in 0..n {
            let (lo, hi) = (
                self.pupil_start[i] as usize,
                self.pupil_start[i + 1] as usize,
            );
            for &(node, cost) in &self.pupil_arcs[lo..hi] {
                let slot = &mut self.node_ptr[node as usize];
                self.node_in[*slot as usize] = (cost, i as u32);
                *slot += 1;
            }
        }
        for j in 0..k {
            let (lo, hi) = (self.node_start[j] as usize, self.node_start[j + 1] as usize);
            self.node_in[lo..hi].sort_unstable();
        }
        self.node_ptr.clear();
        self.node_ptr.extend_from_slice(&self.node_start[..k]);

        // Zero flow.
        self.load.clear();
        self.load.resize(k, 0);
        self.placed_at.clear();
        self.placed_at.resize(n, NONE);
        self.placed_cost.clear();
        self.placed_cost.resize(n, 0);
        self.members.truncate(k);
        self.members.iter_mut().for_each(Vec::clear);
        self.members.resize_with(k, Vec::new);
        self.rows.truncate(k);
        self.rows.iter_mut().for_each(Vec::clear);
        self.rows.resize_with(k, Vec::new);
        self.best.clear();
        self.best.resize(k, (INF, NONE));
    }

    /// Dijkstra on reduced costs from `source`, stopping when `sink` is settled.
    /// Returns whether `sink` was reached.
    fn shortest_path(&mut self, source: usize, sink: usize) -> bool {
        let nodes = sink + 1;
        self.dist.clear();
        self.dist.resize(nodes, INF);
        self.settled.clear();
        self.settled.resize(nodes, false);
        self.pred.clear();
        self.pred.resize(nodes, (NONE, NONE));
        self.heap.clear();
        self.dist[source] = 0;
        self.heap.push(Reverse((0, source as u32)));
        while let Some(Reverse((d, u))) = self.heap.pop() {
            let u = u as usize;
            if self.settled[u] {
                continue;
            }
            self.settled[u] = true;
            if u == sink {
                return true;
            }
            if u == source {
                // S → k: the cheapest still-free pupil with an arc to k.
                for k in 0..source {
                    let end = self.node_start[k + 1];
                    let mut at = self.node_ptr[k];
                    while at < end && self.placed_at[self.node_in[at as usize].1 as usize] != NONE {
                        at += 1;
                    }
                    self.node_ptr[k] = at;
                    if at < end {
                        let (cost, pupil) = self.node_in[at as usize];
                        let reduced = cost + self.potential[source] - self.potential[k];
                        self.relax(d + reduced, k, source, pupil);
                    }
                }
                continue;
            }
            for e in 0..self.rows[u].len() {
                let edge = self.rows[u][e];
                let to = edge.to as usize;
                let reduced = edge.delta + self.potential[u] - self.potential[to];
                self.relax(d + reduced, to, u, edge.pupil);
            }
            if self.load[u] < self.cap[u] {
                let reduced = self.potential[u] - self.potential[sink];
                self.relax(d + reduced, sink, u, NONE);
            }
        }
        false
    }

    /// Dijkstra relaxation of `from → to` (via `pupil`) to distance `d`.
    fn relax(&mut self, d: i64, to: usize, from: usize, pupil: u32) {
        debug_assert!(d >= self.dist[from], "negative reduced cost");
        if !self.settled[to] && d < self.dist[to] {
            self.dist[to] = d;
            self.pred[to] = (from as u32, pupil);
            self.heap.push(Reverse((d, to as u32)));
        }
    }

    /// `p(v) += min(d(v), d(T))` for every node (see the module docs).
    fn update_potentials(&mut self, sink: usize) {
        let d_sink = self.dist[sink];
        for v in 0..self.potential.len() {
            let d = if self.settled[v] {
                self.dist[v]
            } else {
                d_sink
            };
            self.potential[v] += d;
        }
    }

    /// Pushes one unit along the predecessor path to `sink`, then rebuilds the rows it touched.
    fn augment(&mut self, source: usize, sink: usize) {
        let (mut v, _) = self.pred[sink];
        self.load[v as usize] += 1;
        self.dirty.clear();
        loop {
            let (u, pupil) = self.pred[v as usize];
            let i = pupil as usize;
            self.dirty.push(v);
            self.members[v as usize].push(pupil);
            if u as usize == source {
                self.placed_cost[i] = self.arc_cost(i, v);
                self.placed_at[i] = v;
                break;
            }
            let members = &mut self.members[u as usize];
            if let Some(pos) = members.iter().position(|&m| m == pupil) {
                members.swap_remove(pos);
            }
            self.placed_cost[i] = self.arc_cost(i, v);
            self.placed_at[i] = v;
            v = u;
        }
        for d in 0..self.dirty.len() {
            self.rebuild_row(self.dirty[d] as usize);
        }
    }

    /// Cost of pupil `i`'s canonical arc to `node` (which exists on any path Dijkstra found).
    fn arc_cost(&self, i: usize, node: u32) -> i64 {
        let arcs = &self.pupil_arcs[self.pupil_start[i] as usize..self.pupil_start[i + 1] as usize];
        match arcs.binary_search_by_key(&node, |&(n, _)| n) {
            Ok(at) => arcs[at].1,
            Err(_) => 0,
        }
    }

    /// Rebuilds the contracted arcs out of node `j` from the pupils placed there.
    fn rebuild_row(&mut self, j: usize) {
        self.touched.clear();
        for &i in &self.members[j] {
            let i = i as usize;
            let base = self.placed_cost[i];
            let (lo, hi) = (
                self.pupil_start[i] as usize,
                self.pupil_start[i + 1] as usize,
            );
            for &(node, cost) in &self.pupil_arcs[lo..hi] {
                if node as usize == j {
                    continue;
                }
                let candidate = (cost - base, i as u32);
                let slot = &mut self.best[node as usize];
                if slot.1 == NONE {
                    self.touched.push(node);
                    *slot = candidate;
                } else if candidate < *slot {
                    *slot = candidate;
                }
            }
        }
        self.touched.sort_unstable();
        let row = &mut self.rows[j];
        row.clear();
        for &node in &self.touched {
            let (delta, pupil) = self.best[node as usize];
            row.push(Edge {
                to: node,
                delta,
                pupil,
            });
            self.best[node as usize] = (INF, NONE);
        }
    }

    /// Reads the current flow out as a [`Solution`].
    fn solution(&self, n_pupils: usize) -> Solution {
        let mut assigned = vec![None; n_pupils];
        let mut moved = 0;
        let mut total_cost = 0i64;
        for (i, slot) in assigned.iter_mut().enumerate() {
            let node = self.placed_at[i];
            if node != NONE {
                *slot = Some(self.provision_of_node[node as usize]);
                moved += 1;
                total_cost += self.placed_cost[i];
            }
        }
        Solution {
            assigned,
            moved,
            total_cost,
        }
    }
}

/// Lexicographically optimal assignment: first the largest number of pupils moved, then the
/// least total cost among those (min-cost max-flow; see the module docs for the method, the
/// proof and the tie-breaking). Arcs that [`Problem::validate`] rejects are ignored.
/// For many calls, reuse a [`Solver`].
pub fn solve_optimal(p: &Problem) -> Solution {
    Solver::new().solve(p)
}

/// Greedy nearest-first baseline: all arcs sorted by `(cost, pupil, provision)`; each arc is
/// taken if its pupil is still unassigned and its provision has a place left.
/// Arcs that [`Problem::validate`] rejects are ignored.
pub fn solve_greedy(p: &Problem) -> Solution {
    let mut arcs: Vec<Arc> = p
        .arcs
        .iter()
        .copied()
        .filter(|a| p.arc_is_valid(a))
        .collect();
    arcs.sort_unstable_by_key(|a| (a.cost, a.pupil, a.provision));
    let mut left = p.capacity.clone();
    let mut assigned = vec![None; p.n_pupils];
    let mut moved = 0;
    let mut total_cost = 0i64;
    for arc in arcs {
        let slot = &mut assigned[arc.pupil as usize];
        let places = &mut left[arc.provision as usize];
        if slot.is_none() && *places > 0 {
            *slot = Some(arc.provision);
            *places -= 1;
            moved += 1;
            total_cost += arc.cost;
        }
    }
    Solution {
        assigned,
        moved,
        total_cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn arc(pupil: u32, provision: u32, cost: i64) -> Arc {
        Arc {
            pupil,
            provision,
            cost,
        }
    }

    /// Checks that `s` is a feasible assignment of `p` and that `moved`/`total_cost` agree with
    /// `assigned` (cheapest arc per pair). Returns a description of the first violation.
    fn check_feasible(p: &Problem, s: &Solution) -> Result<(), String> {
        if s.assigned.len() != p.n_pupils {
            return Err(format!(
                "assigned.len() {} != n_pupils {}",
                s.assigned.len(),
                p.n_pupils
            ));
        }
        let mut load = vec![0u32; p.capacity.len()];
        let mut total = 0i64;
        let mut moved = 0;
        for (i, a) in s.assigned.iter().enumerate() {
            let Some(j) = *a else { continue };
            let Some(cost) = p
                .arcs
                .iter()
                .filter(|x| x.pupil as usize == i && x.provision == j)
                .map(|x| x.cost)
                .min()
            else {
                return Err(format!("pupil {i} assigned to {j} without an arc"));
            };
            load[j as usize] += 1;
            total += cost;
            moved += 1;
        }
        for (j, (&l, &c)) in load.iter().zip(&p.capacity).enumerate() {
            if l > c {
                return Err(format!("provision {j} has {l} pupils, capacity {c}"));
            }
        }
        if moved != s.moved || total != s.total_cost {
            return Err(format!(
                "reported moved/cost {}/{} but assignment gives {moved}/{total}",
                s.moved, s.total_cost
            ));
        }
        Ok(())
    }

    /// Exhaustive search: best `(moved, total_cost)` lexicographically (max moved, min cost).
    fn brute_force(p: &Problem) -> (usize, i64) {
        fn go(
            p: &Problem,
            i: usize,
            load: &mut [u32],
            moved: usize,
            cost: i64,
            best: &mut (usize, i64),
        ) {
            if i == p.n_pupils {
                if moved > best.0 || (moved == best.0 && cost < best.1) {
                    *best = (moved, cost);
                }
                return;
            }
            go(p, i + 1, load, moved, cost, best);
            for a in p.arcs.iter().filter(|a| a.pupil as usize == i) {
                let j = a.provision as usize;
                if load[j] < p.capacity[j] {
                    load[j] += 1;
                    go(p, i + 1, load, moved + 1, cost + a.cost, best);
                    load[j] -= 1;
                }
            }
        }
        let mut best = (0, 0);
        go(p, 0, &mut vec![0; p.capacity.len()], 0, 0, &mut best);
        best
    }

    /// Independent oracle for medium sizes: plain successive shortest paths with Bellman-Ford
    /// on the explicit (uncontracted) residual network. Returns `(moved, total_cost)`.
    fn reference_ssp(p: &Problem) -> (usize, i64) {
        // Nodes: S = 0, pupils 1..=n, provisions n+1..=n+m, T = n+m+1.
        let (n, m) = (p.n_pupils, p.capacity.len());
        let (s, t) = (0, n + m + 1);
        // Edge list with paired reverse edges: (to, cap, cost).
        let mut to = Vec::new();
        let mut cap = Vec::new();
        let mut cost = Vec::new();
        let mut from = Vec::new();
        let mut add = |u: usize, v: usize, c: i64, w: i64| {
            from.extend([u, v]);
            to.extend([v, u]);
            cap.extend([c, 0]);
            cost.extend([w, -w]);
        };
        for i in 0..n {
            add(s, 1 + i, 1, 0);
        }
        for a in &p.arcs {
            add(
                1 + a.pupil as usize,
                1 + n + a.provision as usize,
                1,
                a.cost,
            );
        }
        for (j, &c) in p.capacity.iter().enumerate() {
            add(1 + n + j, t, i64::from(c), 0);
        }
        let (mut moved, mut total) = (0, 0);
        loop {
            let mut dist = vec![i64::MAX; t + 1];
            let mut pred = vec![usize::MAX; t + 1];
            dist[s] = 0;
            for _ in 0..=t {
                let mut changed = false;
                for e in 0..to.len() {
                    if cap[e] > 0
                        && dist[from[e]] != i64::MAX
                        && dist[from[e]] + cost[e] < dist[to[e]]
                    {
                        dist[to[e]] = dist[from[e]] + cost[e];
                        pred[to[e]] = e;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            if dist[t] == i64::MAX {
                return (moved, total);
            }
            let mut v = t;
            while v != s {
                let e = pred[v];
                cap[e] -= 1;
                cap[e ^ 1] += 1;
                v = from[e];
            }
            moved += 1;
            total += dist[t];
        }
    }

    /// A random instance: each (pupil, provision) pair gets an arc with probability `density`,
    /// occasionally a duplicate; costs `0..max_cost` so ties are common.
    fn random_problem(
        rng: &mut ChaCha8Rng,
        max_n: usize,
        max_m: usize,
        max_cap: u32,
        max_cost: i64,
    ) -> Problem {
        let n = rng.random_range(0..=max_n);
        let m = rng.random_range(0..=max_m);
        let capacity = (0..m).map(|_| rng.random_range(0..=max_cap)).collect();
        let density = rng.random_range(0.1..0.9);
        let mut arcs = Vec::new();
        for i in 0..n as u32 {
            for j in 0..m as u32 {
                if rng.random_bool(density) {
                    arcs.push(arc(i, j, rng.random_range(0..max_cost)));
                    if rng.random_bool(0.1) {
                        arcs.push(arc(i, j, rng.random_range(0..max_cost)));
                    }
                }
            }
        }
        arcs.shuffle(rng);
        Problem {
            n_pupils: n,
            capacity,
            arcs,
        }
    }

    #[test]
    fn matches_brute_force_on_small_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(20240601);
        let mut solver = Solver::new();
        let mut nontrivial = 0;
        for case in 0..1500 {
            let p = random_problem(&mut rng, 7, 3, 3, 20);
            let s = solver.solve(&p);
            if let Err(e) = check_feasible(&p, &s) {
                panic!("case {case}: {e}\n{p:?}");
            }
            let expected = brute_force(&p);
            assert_eq!((s.moved, s.total_cost), expected, "case {case}: {p:?}");
            assert_eq!(s, solve_optimal(&p), "case {case}: reused solver differs");
            if s.moved > 0 && solve_greedy(&p) != s {
                nontrivial += 1;
            }
        }
        // The instances must exercise the difference between greedy and optimal.
        assert!(
            nontrivial > 50,
            "only {nontrivial} cases where greedy differs"
        );
    }

    #[test]
    fn matches_reference_ssp_on_medium_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut solver = Solver::new();
        for case in 0..300 {
            let p = random_problem(&mut rng, 40, 8, 6, 1000);
            let s = solver.solve(&p);
            if let Err(e) = check_feasible(&p, &s) {
                panic!("case {case}: {e}");
            }
            assert_eq!(
                (s.moved, s.total_cost),
                reference_ssp(&p),
                "case {case}: {p:?}"
            );
        }
    }

    /// Problems with up to 12 pupils, 6 provisions, capacities 0..4, costs 0..50.
    fn problem_strategy() -> impl Strategy<Value = Problem> {
        (0usize..12, 0usize..6).prop_flat_map(|(n, m)| {
            let arcs = if n == 0 || m == 0 {
                Just(Vec::new()).boxed()
            } else {
                prop::collection::vec((0..n as u32, 0..m as u32, 0i64..50), 0..40)
                    .prop_map(|v| v.into_iter().map(|(i, j, c)| arc(i, j, c)).collect())
                    .boxed()
            };
            (Just(n), prop::collection::vec(0u32..4, m), arcs).prop_map(
                |(n_pupils, capacity, arcs)| Problem {
                    n_pupils,
                    capacity,
                    arcs,
                },
            )
        })
    }

    #[test]
    fn properties_hold_on_random_problems() {
        let config = Config {
            cases: 1000,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let result = runner.run(&problem_strategy(), |p| {
            prop_assert!(p.validate().is_ok());
            let opt = solve_optimal(&p);
            let greedy = solve_greedy(&p);
            // Within capacity, only along given arcs, figures consistent.
            if let Err(e) = check_feasible(&p, &opt) {
                return Err(TestCaseError::fail(format!("optimal: {e}")));
            }
            if let Err(e) = check_feasible(&p, &greedy) {
                return Err(TestCaseError::fail(format!("greedy: {e}")));
            }
            prop_assert!(opt.moved >= greedy.moved);
            if opt.moved == greedy.moved {
                prop_assert!(opt.total_cost <= greedy.total_cost);
            }
            // More places never move fewer pupils nor cost more for the same count.
            let mut more = p.clone();
            if let Some(c) = more.capacity.first_mut() {
                *c += 1;
            }
            let opt_more = solve_optimal(&more);
            prop_assert!(opt_more.moved >= opt.moved);
            if opt_more.moved == opt.moved {
                prop_assert!(opt_more.total_cost <= opt.total_cost);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    #[test]
    fn empty_problem() {
        let p = Problem::default();
        assert!(p.validate().is_ok());
        for s in [solve_optimal(&p), solve_greedy(&p)] {
            assert_eq!(
                s,
                Solution {
                    assigned: vec![],
                    moved: 0,
                    total_cost: 0
                }
            );
        }
        // Pupils but no provisions.
        let p = Problem {
            n_pupils: 3,
            ..Problem::default()
        };
        assert_eq!(solve_optimal(&p).assigned, vec![None, None, None]);
    }

    #[test]
    fn zero_capacity_takes_nobody() {
        let p = Problem {
            n_pupils: 2,
            capacity: vec![0, 1],
            arcs: vec![arc(0, 0, 1), arc(1, 0, 1), arc(1, 1, 50)],
        };
        let s = solve_optimal(&p);
        assert_eq!(s.assigned, vec![None, Some(1)]);
        assert_eq!((s.moved, s.total_cost), (1, 50));
        assert_eq!(solve_greedy(&p), s);
    }

    #[test]
    fn pupil_without_arcs_stays() {
        let p = Problem {
            n_pupils: 3,
            capacity: vec![5],
            arcs: vec![arc(0, 0, 4), arc(2, 0, 6)],
        };
        let s = solve_optimal(&p);
        assert_eq!(s.assigned, vec![Some(0), None, Some(0)]);
        assert_eq!((s.moved, s.total_cost), (2, 10));
    }

    #[test]
    fn duplicate_arcs_keep_the_cheapest() {
        let p = Problem {
            n_pupils: 1,
            capacity: vec![1],
            arcs: vec![arc(0, 0, 5), arc(0, 0, 3), arc(0, 0, 7)],
        };
        for s in [solve_optimal(&p), solve_greedy(&p)] {
            assert_eq!(s.assigned, vec![Some(0)]);
            assert_eq!(s.total_cost, 3);
        }
    }

    #[test]
    fn count_comes_before_cost() {
        // Greedy takes pupil 0 → P (cost 1) and strands pupil 1; the optimum moves both.
        let p = Problem {
            n_pupils: 2,
            capacity: vec![1, 1],
            arcs: vec![arc(0, 0, 1), arc(0, 1, 1000), arc(1, 0, 1)],
        };
        let greedy = solve_greedy(&p);
        assert_eq!((greedy.moved, greedy.total_cost), (1, 1));
        let s = solve_optimal(&p);
        assert_eq!(s.assigned, vec![Some(1), Some(0)]);
        assert_eq!((s.moved, s.total_cost), (2, 1001));
    }

    #[test]
    fn cheaper_pupil_displaces_when_count_is_equal() {
        // One place; pupil 0 costs 10, pupil 1 costs 1: pupil 1 is moved whatever the order.
        let p = Problem {
            n_pupils: 2,
            capacity: vec![1],
            arcs: vec![arc(0, 0, 10), arc(1, 0, 1)],
        };
        let s = solve_optimal(&p);
        assert_eq!(s.assigned, vec![None, Some(0)]);
        assert_eq!(s.total_cost, 1);
    }

    #[test]
    fn optimum_beats_greedy_on_cost() {
        // Greedy: 0→A (1), then 1→B (10) = 11. Optimum: 0→B (2), 1→A (2) = 4.
        let p = Problem {
            n_pupils: 2,
            capacity: vec![1, 1],
            arcs: vec![arc(0, 0, 1), arc(0, 1, 2), arc(1, 0, 2), arc(1, 1, 10)],
        };
        let greedy = solve_greedy(&p);
        assert_eq!((greedy.moved, greedy.total_cost), (2, 11));
        let s = solve_optimal(&p);
        assert_eq!(s.assigned, vec![Some(1), Some(0)]);
        assert_eq!((s.moved, s.total_cost), (2, 4));
    }

    #[test]
    fn deterministic_across_runs_and_arc_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut solver = Solver::new();
        for case in 0..50 {
            let mut p = random_problem(&mut rng, 60, 10, 5, 30);
            let first = solve_optimal(&p);
            assert_eq!(solver.solve(&p), first, "case {case}: second run differs");
            for _ in 0..3 {
                p.arcs.shuffle(&mut rng);
                let again = solver.solve(&p);
                assert_eq!(
                    again, first,
                    "case {case}: permuted arcs give another assignment"
                );
            }
        }
    }

    #[test]
    fn validate_names_the_bad_arc() {
        let mut p = Problem {
            n_pupils: 2,
            capacity: vec![1],
            arcs: vec![arc(0, 0, 1), arc(2, 0, 1)],
        };
        assert_eq!(
            p.validate(),
            Err(AssignError::PupilOutOfRange {
                arc: 1,
                pupil: 2,
                n_pupils: 2
            })
        );
        p.arcs[1] = arc(1, 3, 1);
        let err = p.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "arc 1: field `provision` = 3 is out of range (n_provisions = 1)"
        );
        p.arcs[1] = arc(1, 0, -5);
        assert_eq!(
            p.validate(),
            Err(AssignError::NegativeCost { arc: 1, cost: -5 })
        );
        p.arcs[1] = arc(1, 0, MAX_COST + 1);
        assert!(matches!(
            p.validate(),
            Err(AssignError::CostTooLarge { arc: 1, .. })
        ));
        p.arcs[1] = arc(1, 0, MAX_COST);
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn invalid_arcs_are_ignored_without_panic() {
        let p = Problem {
            n_pupils: 2,
            capacity: vec![2],
            arcs: vec![arc(0, 0, 3), arc(5, 0, 1), arc(1, 9, 1), arc(1, 0, -1)],
        };
        assert!(p.validate().is_err());
        for s in [solve_optimal(&p), solve_greedy(&p)] {
            assert_eq!(s.assigned, vec![Some(0), None]);
            assert_eq!(s.total_cost, 3);
        }
    }

    #[test]
    fn large_costs_do_not_overflow() {
        let p = Problem {
            n_pupils: 3,
            capacity: vec![1, 1, 1],
            arcs: vec![
                arc(0, 0, MAX_COST),
                arc(0, 1, 0),
                arc(1, 1, MAX_COST),
                arc(1, 2, 0),
                arc(2, 2, MAX_COST),
                arc(2, 0, MAX_COST - 1),
            ],
        };
        let s = solve_optimal(&p);
        assert_eq!((s.moved, s.total_cost), (3, MAX_COST - 1));
        assert_eq!((s.moved, s.total_cost), brute_force(&p));
    }
}
