//! Searches on a contraction hierarchy: restricted PHAST trees and point-to-point queries.
//!
//! A reverse tree (the cost from many junctions to one destination) is an upward search
//! from the destination's seeds over the descending arcs ([`Hierarchy::up_in`]) followed by
//! one sweep over junctions from the highest rank down, each taking the best of its
//! climbing arcs ([`Hierarchy::up_out`]): `d[v] = min(d[v], w(v→u) + d[u])`. The sweep is
//! *restricted* (RPHAST) to the junctions a target set can climb to, computed once for the
//! set ([`Sweep`]) and laid out in sweep order so the pass reads memory in sequence.
//! A point-to-point query runs both upward searches and meets in the middle. Both give
//! exactly the costs of a plain Dijkstra on the graph (see [`crate::index::cost`]).
//! No I/O here.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::index::ch::{Hierarchy, Links};
use crate::index::cost::Cost;

/// Marks a vertex that is not in a set.
const NONE: u32 = u32::MAX;
/// Parent markers at or above this are seeds (`SEED + seed index`).
pub(crate) const SEED: u32 = u32::MAX - 8;

/// The part of the hierarchy a target set needs, in sweep order.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Global junction per local index, highest rank first.
    order: Vec<u32>,
    /// Local index per junction, or `NONE`.
    local_of: Vec<u32>,
    /// Local CSR of climbing arcs: heads (local, always lower than the tail's index).
    offsets: Vec<u32>,
    heads: Vec<u32>,
    costs: Vec<Cost>,
}

impl Sweep {
    /// The junctions `targets` can climb to (themselves included), in sweep order.
    pub fn new(h: &Hierarchy, targets: &[u32]) -> Sweep {
        let n = h.node_count();
        let mut inside = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut order = Vec::new();
        for &t in targets {
            if (t as usize) < n && !inside[t as usize] {
                inside[t as usize] = true;
                stack.push(t);
            }
        }
        while let Some(v) = stack.pop() {
            order.push(v);
            for l in h.up_out().of(v) {
                if !inside[l.other as usize] {
                    inside[l.other as usize] = true;
                    stack.push(l.other);
                }
            }
        }
        let rank = h.ranks();
        order.sort_unstable_by_key(|&v| Reverse(rank[v as usize]));
        let mut local_of = vec![NONE; n];
        for (i, &v) in order.iter().enumerate() {
            local_of[v as usize] = i as u32;
        }
        let mut offsets = Vec::with_capacity(order.len() + 1);
        let (mut heads, mut costs) = (Vec::new(), Vec::new());
        offsets.push(0);
        for &v in &order {
            for l in h.up_out().of(v) {
                heads.push(local_of[l.other as usize]);
                costs.push(l.cost);
            }
            offsets.push(heads.len() as u32);
        }
        Sweep {
            order,
            local_of,
            offsets,
            heads,
            costs,
        }
    }

    /// Junctions the sweep visits.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when no target was given.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Local index of a junction in the sweep, if it is in it.
    pub fn local(&self, v: u32) -> Option<u32> {
        self.local_of
            .get(v as usize)
            .copied()
            .filter(|&l| l != NONE)
    }

    /// The cost from every swept junction to the seeds (`(junction, cost to the root)`),
    /// by local index, into `out`.
    pub fn reverse_costs(&self, h: &Hierarchy, seeds: &[(u32, Cost)], out: &mut Vec<Cost>) {
        out.clear();
        out.resize(self.order.len(), Cost::INFINITE);
        with_search(0, h.node_count(), |s| {
            s.run(h.up_in(), seeds);
            for &v in &s.touched {
                if let Some(l) = self.local(v) {
                    out[l as usize] = s.dist[v as usize];
                }
            }
        });
        for i in 0..self.order.len() {
            let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
            let mut best = out[i];
            for j in a..b {
                let up = out[self.heads[j] as usize];
                if up.is_finite() {
                    let c = up.plus(self.costs[j]);
                    if c < best {
                        best = c;
                    }
                }
            }
            out[i] = best;
        }
    }
}

/// A Dijkstra over one direction of the hierarchy's upward arcs, reusable.
#[derive(Debug, Default)]
struct Search {
    dist: Vec<Cost>,
    /// Arc into the junction (towards the seeds), or `SEED + i`.
    parent: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(Cost, u32)>>,
}

impl Search {
    fn prepare(&mut self, n: usize) {
        if self.dist.len() != n {
            self.dist = vec![Cost::INFINITE; n];
            self.parent = vec![NONE; n];
            self.touched.clear();
        }
        for &v in &self.touched {
            self.dist[v as usize] = Cost::INFINITE;
            self.parent[v as usize] = NONE;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// A full upward search from the seeds (PHAST's first phase: no stalling, so every
    /// touched junction's cost is exact within the upward graph).
    fn run(&mut self, links: &Links, seeds: &[(u32, Cost)]) {
        self.run_query(links, None, seeds, None);
    }
}

thread_local! {
    static SEARCHES: RefCell<[Search; 2]> = RefCell::new([Search::default(), Search::default()]);
}

fn with_search<R>(slot: usize, n: usize, f: impl FnOnce(&mut Search) -> R) -> R {
    SEARCHES.with(|cell| {
        let mut both = cell.borrow_mut();
        let s = &mut both[slot];
        s.prepare(n);
        f(s)
    })
}

/// The best path between two seed sets: its cost, the seeds at each end and the arcs in
/// travel order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Total cost, seeds' partial costs included.
    pub cost: Cost,
    /// Index of the origin seed the path leaves from.
    pub origin_seed: usize,
    /// Index of the destination seed it arrives at.
    pub dest_seed: usize,
    /// Hierarchy arcs in travel order (unpack them for road edges).
    pub arcs: Vec<u32>,
}

/// Best path from `origin` seeds (`(junction, cost from the point)`) to `dest` seeds
/// (`(junction, cost to the point)`). `None` when they never meet. See [`meet_many`].
pub fn meet(h: &Hierarchy, origin: &[(u32, Cost)], dest: &[(u32, Cost)]) -> Option<Meeting> {
    meet_many(h, std::slice::from_ref(&origin.to_vec()), dest)
        .pop()
        .flatten()
}

/// Best paths from each origin's seeds to one destination's: one backward upward search
/// from the destination (with stall-on-demand), then per origin a forward upward search
/// that stops once its queue cannot beat the best meeting found. Ties go to the meeting
/// junction with the lower index.
pub fn meet_many(
    h: &Hierarchy,
    origins: &[Vec<(u32, Cost)>],
    dest: &[(u32, Cost)],
) -> Vec<Option<Meeting>> {
    let n = h.node_count();
    SEARCHES.with(|cell| {
        let mut both = cell.borrow_mut();
        let [fwd, bwd] = &mut *both;
        bwd.prepare(n);
        bwd.run_query(h.up_in(), Some(h.up_out()), dest, None);
        origins
            .iter()
            .map(|origin| {
                fwd.prepare(n);
                let (cost, m) = fwd.run_query(h.up_out(), Some(h.up_in()), origin, Some(bwd))?;
                Some(path(h, fwd, bwd, cost, m))
            })
            .collect()
    })
}

/// The meeting at `m` as seeds and arcs in travel order.
fn path(h: &Hierarchy, fwd: &Search, bwd: &Search, cost: Cost, m: u32) -> Meeting {
    let mut arcs = Vec::new();
    let origin_seed = walk(h, fwd, m, |a| a.tail, &mut arcs);
    arcs.reverse();
    let dest_seed = walk(h, bwd, m, |a| a.head, &mut arcs);
    Meeting {
        cost,
        origin_seed,
        dest_seed,
        arcs,
    }
}

/// Follow a search's parent arcs from `m` to its seed (stepping to `next(arc)`), pushing
/// each arc; returns the seed's index.
fn walk(
    h: &Hierarchy,
    s: &Search,
    m: u32,
    next: fn(&crate::index::ch::Arc) -> u32,
    arcs: &mut Vec<u32>,
) -> usize {
    let mut v = m;
    loop {
        let p = s.parent[v as usize];
        if p >= SEED {
            return (p - SEED) as usize;
        }
        arcs.push(p);
        v = next(&h.arcs()[p as usize]);
    }
}

impl Search {
    /// A query search: relax `links`, skip junctions that a settled neighbour over
    /// `stall` reaches more cheaply (stall-on-demand), and — given the finished search
    /// from the other end — track the best meeting and stop once the queue cannot beat
    /// it. Returns the best meeting (cost, junction).
    fn run_query(
        &mut self,
        links: &Links,
        stall: Option<&Links>,
        seeds: &[(u32, Cost)],
        other: Option<&Search>,
    ) -> Option<(Cost, u32)> {
        for (i, &(v, c)) in seeds.iter().enumerate() {
            let Some(d) = self.dist.get_mut(v as usize) else {
                continue;
            };
            if c < *d {
                if !d.is_finite() {
                    self.touched.push(v);
                }
                *d = c;
                self.parent[v as usize] = SEED + i as u32;
                self.heap.push(Reverse((c, v)));
            }
        }
        let mut best: Option<(Cost, u32)> = None;
        while let Some(Reverse((c, v))) = self.heap.pop() {
            if c > self.dist[v as usize] {
                continue;
            }
            if let Some(o) = other {
                if best.is_some_and(|(b, _)| c > b) {
                    break;
                }
                let ob = o.dist[v as usize];
                if ob.is_finite() {
                    let total = c.plus(ob);
                    if best.is_none_or(|b| (total, v) < b) {
                        best = Some((total, v));
                    }
                }
            }
            let stalled = stall.is_some_and(|st| {
                st.of(v).iter().any(|l| {
                    let d = self.dist[l.other as usize];
                    d.is_finite() && d.plus(l.cost) < c
                })
            });
            if stalled {
                continue;
            }
            for l in links.of(v) {
                let nc = c.plus(l.cost);
                let u = l.other as usize;
                if nc < self.dist[u] {
                    if !self.dist[u].is_finite() {
                        self.touched.push(l.other);
                    }
                    self.dist[u] = nc;
                    self.parent[u] = l.arc;
                    self.heap.push(Reverse((nc, l.other)));
                }
            }
        }
        best
    }
}
