//! A contraction hierarchy over the road graph, one per [`Metric`].
//!
//! Junctions are contracted one at a time in a fixed order (least *edge difference* plus
//! *deleted neighbours* plus *level* first, ties to the lower vertex index, re-evaluated
//! lazily), adding a shortcut u→w for each pair of neighbours whose best path runs through
//! the contracted junction v and has no *witness* (an equally good path avoiding v, looked
//! for by a bounded Dijkstra). A junction's rank is its place in that order. Every arc of
//! the result — road edge or shortcut — joins a lower-ranked to a higher-ranked junction
//! and is listed once: under its tail in [`Hierarchy::up_out`] when it climbs, under its
//! head in [`Hierarchy::up_in`] when it descends. Weights are lexicographic integer
//! [`Cost`]s, so the hierarchy's distances are exactly those of a plain search on the
//! graph. The build is single-threaded and deterministic. No I/O here: progress is
//! reported through a callback.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::index::cost::Cost;
use crate::index::csr::Csr;
use crate::index::graph::RoadGraph;
use crate::model::metric::Metric;

/// `Arc::second` of an arc that is a road edge (its `first` is then the edge index).
pub const ROAD_EDGE: u32 = u32::MAX;

/// Witness searches settle at most this many junctions (a failed search only costs an
/// unneeded shortcut, never a wrong distance).
const SETTLE_LIMIT: usize = 200;

/// An arc of the hierarchy: a road edge, or a shortcut over two arcs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Arc {
    /// Start junction.
    pub tail: u32,
    /// End junction.
    pub head: u32,
    /// Weight under the hierarchy's metric.
    pub cost: Cost,
    /// The road edge (when `second == ROAD_EDGE`), else the arc from `tail` to the middle.
    pub first: u32,
    /// The arc from the middle to `head`, or [`ROAD_EDGE`].
    pub second: u32,
}

/// One entry of an adjacency list: the junction at the other end, the arc and its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Link {
    /// The junction at the other end.
    pub other: u32,
    /// Index into [`Hierarchy::arcs`].
    pub arc: u32,
    /// The arc's weight.
    pub cost: Cost,
}

/// Compressed adjacency lists of hierarchy arcs, indexed by junction.
pub type Links = Csr<Link>;

/// A counting sort of `arcs` by owner: `key(arc)` gives `(owner, other end)` for the arcs
/// listed here. Each owner's links stay in arc order.
fn links_by_key(n: usize, arcs: &[Arc], key: impl Fn(&Arc) -> Option<(u32, u32)>) -> Links {
    let items = arcs.iter().enumerate().filter_map(|(i, a)| {
        key(a).map(|(owner, other)| {
            (
                owner,
                Link {
                    other,
                    arc: i as u32,
                    cost: a.cost,
                },
            )
        })
    });
    Csr::group(n, items)
}

/// A contraction hierarchy for one metric.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    metric: Metric,
    rank: Vec<u32>,
    arcs: Vec<Arc>,
    up_out: Links,
    up_in: Links,
}

/// Why stored hierarchy parts are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contraction hierarchy: {0}")]
pub struct HierarchyError(pub String);

impl Hierarchy {
    /// Contract `graph` for `metric`. `progress(done, total)` is called now and then.
    pub fn build(graph: &RoadGraph, metric: Metric, progress: &(dyn Fn(u64, u64) + Sync)) -> Self {
        let (arcs, rank) = contract(graph, metric, progress);
        Hierarchy::assemble(metric, rank, arcs)
    }

    /// Rebuild from stored parts (rank per junction, arcs, and the two link lists when they
    /// were stored too), checking every index so that a damaged cache cannot cause a panic
    /// later. Without stored links they are rebuilt from the arcs.
    ///
    /// # Errors
    /// [`HierarchyError`] when the parts are inconsistent with a graph of `n_edges` edges.
    pub fn from_parts(
        metric: Metric,
        rank: Vec<u32>,
        arcs: Vec<Arc>,
        links: Option<(Links, Links)>,
        n_edges: usize,
    ) -> Result<Hierarchy, HierarchyError> {
        check_ranks(&rank)?;
        check_arcs(&arcs, rank.len(), n_edges)?;
        let Some((up_out, up_in)) = links else {
            return Ok(Hierarchy::assemble(metric, rank, arcs));
        };
        check_links(&rank, &arcs, &up_out, true)?;
        check_links(&rank, &arcs, &up_in, false)?;
        if up_out.len() + up_in.len() != arcs.len() {
            return Err(HierarchyError("links do not list every arc once".into()));
        }
        Ok(Hierarchy {
            metric,
            rank,
            arcs,
            up_out,
            up_in,
        })
    }

    fn assemble(metric: Metric, rank: Vec<u32>, arcs: Vec<Arc>) -> Hierarchy {
        let n = rank.len();
        let climbs = |a: &Arc| rank[a.tail as usize] < rank[a.head as usize];
        let (up_out, up_in) = rayon::join(
            || links_by_key(n, &arcs, |a| climbs(a).then_some((a.tail, a.head))),
            || links_by_key(n, &arcs, |a| (!climbs(a)).then_some((a.head, a.tail))),
        );
        Hierarchy {
            metric,
            rank,
            arcs,
            up_out,
            up_in,
        }
    }

    /// The metric the weights are for.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Number of junctions.
    pub fn node_count(&self) -> usize {
        self.rank.len()
    }

    /// Rank (contraction order) per junction.
    pub fn ranks(&self) -> &[u32] {
        &self.rank
    }

    /// Every arc, road edges and shortcuts; a shortcut's parts come before it.
    pub fn arcs(&self) -> &[Arc] {
        &self.arcs
    }

    /// Arcs that climb: for junction v, arcs v→u with rank(u) > rank(v).
    pub fn up_out(&self) -> &Links {
        &self.up_out
    }

    /// Arcs that descend into a junction: for v, arcs u→v with rank(u) > rank(v).
    pub fn up_in(&self) -> &Links {
        &self.up_in
    }

    /// Append the road edges an arc stands for, in travel order.
    pub fn unpack(&self, arc: u32, out: &mut Vec<u32>) {
        let mut stack = vec![arc];
        while let Some(a) = stack.pop() {
            let Some(x) = self.arcs.get(a as usize) else {
                continue;
            };
            if x.second == ROAD_EDGE {
                out.push(x.first);
            } else {
                stack.push(x.second);
                stack.push(x.first);
            }
        }
    }
}

/// Ranks must be a permutation of the junctions.
fn check_ranks(rank: &[u32]) -> Result<(), HierarchyError> {
    let mut seen = vec![false; rank.len()];
    for &r in rank {
        match seen.get_mut(r as usize) {
            Some(s) if !*s => *s = true,
            _ => return Err(HierarchyError("ranks are not a permutation".into())),
        }
    }
    Ok(())
}

/// Every arc joins two distinct junctions with a finite weight; a road edge names an edge
/// of the graph, a shortcut two earlier arcs.
fn check_arcs(arcs: &[Arc], n: usize, n_edges: usize) -> Result<(), HierarchyError> {
    let bad = arcs.par_iter().enumerate().position_any(|(i, a)| {
        let ok_ends = (a.tail as usize) < n && (a.head as usize) < n && a.tail != a.head;
        let ok_children = if a.second == ROAD_EDGE {
            (a.first as usize) < n_edges
        } else {
            (a.first as usize) < i && (a.second as usize) < i
        };
        !ok_ends || !ok_children || !a.cost.is_finite()
    });
    match bad {
        Some(i) => Err(HierarchyError(format!("arc {i} is inconsistent"))),
        None => Ok(()),
    }
}

/// Stored links must list their owner's arcs: climbing ones under the tail (`up_out`),
/// descending ones under the head, with the arc's other end and weight.
fn check_links(
    rank: &[u32],
    arcs: &[Arc],
    links: &Links,
    up_out: bool,
) -> Result<(), HierarchyError> {
    let n = rank.len();
    if links.owners().len() != n {
        return Err(HierarchyError("links are for another graph".into()));
    }
    let bad = links.any_entry(|v, l| {
        let Some(a) = arcs.get(l.arc as usize) else {
            return true;
        };
        let (owner, other) = if up_out {
            (a.tail, a.head)
        } else {
            (a.head, a.tail)
        };
        let climbs = rank[a.tail as usize] < rank[a.head as usize];
        owner != v || other != l.other || a.cost != l.cost || climbs != up_out
    });
    if bad {
        return Err(HierarchyError("links do not match the arcs".into()));
    }
    Ok(())
}

/// The graph while it is being contracted: links among junctions not yet contracted.
struct Remaining {
    out: Vec<Vec<Link>>,
    inn: Vec<Vec<Link>>,
}

/// A shortcut to add: u→w over arcs u→v and v→w.
struct Shortcut {
    from: u32,
    to: u32,
    cost: Cost,
    first: u32,
    second: u32,
}

/// Bounded Dijkstra from one junction, skipping the one being contracted.
struct Witness {
    dist: Vec<Cost>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(Cost, u32)>>,
    /// `mark[v] == stamp` when v is a junction the current search must settle.
    mark: Vec<u32>,
    stamp: u32,
}

impl Witness {
    fn new(n: usize) -> Witness {
        Witness {
            dist: vec![Cost::INFINITE; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
            mark: vec![0; n],
            stamp: 0,
        }
    }

    /// Mark the junctions the next search must settle; it stops once all are settled.
    fn set_targets(&mut self, targets: impl Iterator<Item = u32>) -> usize {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
        let mut k = 0;
        for t in targets {
            if self.mark[t as usize] != self.stamp {
                self.mark[t as usize] = self.stamp;
                k += 1;
            }
        }
        k
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = Cost::INFINITE;
        }
        self.touched.clear();
        self.heap.clear();
    }

    fn run(
        &mut self,
        g: &Remaining,
        src: u32,
        skip: u32,
        bound: Cost,
        limit: usize,
        targets: usize,
    ) {
        self.reset();
        let mut left = targets;
        self.dist[src as usize] = Cost::ZERO;
        self.touched.push(src);
        self.heap.push(Reverse((Cost::ZERO, src)));
        let mut settled = 0usize;
        while let Some(Reverse((c, v))) = self.heap.pop() {
            if c > self.dist[v as usize] {
                continue;
            }
            if c > bound || settled >= limit {
                break;
            }
            settled += 1;
            if self.mark[v as usize] == self.stamp {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
            for l in &g.out[v as usize] {
                if l.other == skip {
                    continue;
                }
                let nc = c.plus(l.cost);
                let d = &mut self.dist[l.other as usize];
                if nc < *d {
                    if !d.is_finite() {
                        self.touched.push(l.other);
                    }
                    *d = nc;
                    self.heap.push(Reverse((nc, l.other)));
                }
            }
        }
    }
}

/// The shortcuts contracting `v` needs, given witness searches of `limit` settled junctions.
fn shortcuts_for(g: &Remaining, w: &mut Witness, v: u32, limit: usize) -> Vec<Shortcut> {
    let mut found = Vec::new();
    let outs = &g.out[v as usize];
    for inl in &g.inn[v as usize] {
        let u = inl.other;
        let bound = outs
            .iter()
            .filter(|o| o.other != u)
            .map(|o| inl.cost.plus(o.cost))
            .max();
        let Some(bound) = bound else { continue };
        let k = w.set_targets(outs.iter().map(|o| o.other).filter(|&x| x != u));
        w.run(g, u, v, bound, limit, k);
        for o in outs {
            if o.other == u {
                continue;
            }
            let via = inl.cost.plus(o.cost);
            if w.dist[o.other as usize] <= via {
                continue;
            }
            found.push(Shortcut {
                from: u,
                to: o.other,
                cost: via,
                first: inl.arc,
                second: o.arc,
            });
        }
    }
    found
}

fn priority(g: &Remaining, v: u32, added: usize, deleted: &[u32], level: &[u32]) -> i64 {
    let removed = (g.out[v as usize].len() + g.inn[v as usize].len()) as i64;
    (added as i64 - removed) + i64::from(deleted[v as usize]) + i64::from(level[v as usize])
}

/// The road edges as arcs, one per (tail, head): the best, ties to the lower edge index.
fn road_arcs(graph: &RoadGraph, metric: Metric) -> (Remaining, Vec<Arc>) {
    let n = graph.node_count();
    let mut g = Remaining {
        out: vec![Vec::new(); n],
        inn: vec![Vec::new(); n],
    };
    let mut arcs = Vec::new();
    for v in 0..n as u32 {
        let mut best: Vec<(u32, Cost, u32)> = graph
            .fwd
            .of(v)
            .iter()
            .filter(|a| a.head != v)
            .map(|a| (a.head, Cost::of(metric, a.length_m, a.duration_s), a.edge))
            .collect();
        best.sort_unstable();
        best.dedup_by_key(|x| x.0);
        for (head, cost, edge) in best {
            let id = arcs.len() as u32;
            arcs.push(Arc {
                tail: v,
                head,
                cost,
                first: edge,
                second: ROAD_EDGE,
            });
            g.out[v as usize].push(Link {
                other: head,
                arc: id,
                cost,
            });
            g.inn[head as usize].push(Link {
                other: v,
                arc: id,
                cost,
            });
        }
    }
    (g, arcs)
}

/// Add a shortcut unless an arc u→w at least as good exists; improve one that is worse.
fn add_shortcut(g: &mut Remaining, arcs: &mut Vec<Arc>, s: &Shortcut) {
    let existing = g.out[s.from as usize].iter().position(|l| l.other == s.to);
    if let Some(i) = existing {
        if g.out[s.from as usize][i].cost <= s.cost {
            return;
        }
    }
    let id = arcs.len() as u32;
    arcs.push(Arc {
        tail: s.from,
        head: s.to,
        cost: s.cost,
        first: s.first,
        second: s.second,
    });
    let out_link = Link {
        other: s.to,
        arc: id,
        cost: s.cost,
    };
    let in_link = Link {
        other: s.from,
        arc: id,
        cost: s.cost,
    };
    match existing {
        Some(i) => {
            g.out[s.from as usize][i] = out_link;
            if let Some(l) = g.inn[s.to as usize].iter_mut().find(|l| l.other == s.from) {
                *l = in_link;
            }
        }
        None => {
            g.out[s.from as usize].push(out_link);
            g.inn[s.to as usize].push(in_link);
        }
    }
}

/// Contract every junction; returns the arcs (road edges first, then shortcuts in the
/// order they were made; arcs later improved stay in the list unused) and the ranks.
fn contract(
    graph: &RoadGraph,
    metric: Metric,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> (Vec<Arc>, Vec<u32>) {
    let n = graph.node_count();
    let (mut g, mut arcs) = road_arcs(graph, metric);
    let mut witness = Witness::new(n);
    let mut deleted = vec![0u32; n];
    let mut level = vec![0u32; n];
    let mut heap: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
        .map(|v| {
            let added = shortcuts_for(&g, &mut witness, v, SETTLE_LIMIT).len();
            Reverse((priority(&g, v, added, &deleted, &level), v))
        })
        .collect();
    let mut rank = vec![u32::MAX; n];
    let mut next_rank = 0u32;
    let step = (n / 100).max(1) as u64;
    while let Some(Reverse((p, v))) = heap.pop() {
        if rank[v as usize] != u32::MAX {
            continue;
        }
        let shortcuts = shortcuts_for(&g, &mut witness, v, SETTLE_LIMIT);
        let now = priority(&g, v, shortcuts.len(), &deleted, &level);
        if now > p {
            if let Some(Reverse((top, _))) = heap.peek() {
                if now > *top {
                    heap.push(Reverse((now, v)));
                    continue;
                }
            }
        }
        for s in shortcuts {
            add_shortcut(&mut g, &mut arcs, &s);
        }
        let outs = std::mem::take(&mut g.out[v as usize]);
        let ins = std::mem::take(&mut g.inn[v as usize]);
        for l in &outs {
            g.inn[l.other as usize].retain(|x| x.other != v);
        }
        for l in &ins {
            g.out[l.other as usize].retain(|x| x.other != v);
        }
        for nb in outs.iter().chain(&ins).map(|l| l.other as usize) {
            deleted[nb] += 1;
            level[nb] = level[nb].max(level[v as usize] + 1);
        }
        rank[v as usize] = next_rank;
        next_rank += 1;
        if u64::from(next_rank) % step == 0 {
            progress(u64::from(next_rank), n as u64);
        }
    }
    progress(n as u64, n as u64);
    (arcs, rank)
}
