//! The routing engine against independent oracles, on random networks with fixed seeds.
//!
//! Each random network is a [`RawNetwork`] of short ways in a 2 km box (random one-way
//! directions, road classes and speeds, shared nodes, loops and the odd missing node). It is
//! routed two ways: built by [`RoadGraph::build`] (pieces between junctions, largest strongly
//! connected component) and as a hand-assembled graph with one piece per segment and *no*
//! component filtering (so that some pairs are unreachable). The oracle is a plain Dijkstra
//! over an explicit list of directed OSM segments, written here, into which the snapped
//! origin and destination are inserted as extra vertices splitting their segments.

use std::collections::{BinaryHeap, HashMap, HashSet};

use nearhome::benchkit::snap_brute_force;
use nearhome::index::graph::{GraphParts, Junction, LoadSummary, Piece, RoadGraph};
use nearhome::index::snap::{Snap, SnapFailure};
use nearhome::load::osm::{RawNetwork, RawWay, ReadStats};
use nearhome::model::profile::{Direction, RoadClass, WayRule};
use nearhome::model::LatLon;
use nearhome::query::matrix::matrix;
use nearhome::query::route::{Hierarchies, Journey, Metric, Network, Route};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::{close, haversine_m, lerp, ll, polyline_m};

const METRICS: [Metric; 2] = [Metric::Time, Metric::Distance];

// ---------------------------------------------------------------------------------------
// Random networks
// ---------------------------------------------------------------------------------------

/// South-west corner and size (degrees) of the box random networks live in.
const BOX: (f64, f64, f64, f64) = (54.10, -4.52, 0.018, 0.03);

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A random drivable network: `n_nodes` nodes, up to `n_ways` ways of 2..=5 nodes each
/// walking between near neighbours. No two ways share a segment (so that no two paths can
/// tie exactly in length), ways may revisit their own nodes (loops), about one way in ten
/// references a node missing from the node table.
fn random_raw(seed: u64, n_nodes: usize, n_ways: usize) -> RawNetwork {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ids: Vec<i64> = (0..n_nodes).map(|i| 10_000 + 7 * i as i64).collect();
    let pos: Vec<LatLon> = (0..n_nodes)
        .map(|_| {
            ll(
                round7(BOX.0 + rng.random_range(0.0..BOX.2)),
                round7(BOX.1 + rng.random_range(0.0..BOX.3)),
            )
        })
        .collect();
    // Five nearest neighbours of every node.
    let near: Vec<Vec<usize>> = (0..n_nodes)
        .map(|i| {
            let mut others: Vec<usize> = (0..n_nodes).filter(|&j| j != i).collect();
            others.sort_by(|&a, &b| {
                haversine_m(pos[i], pos[a]).total_cmp(&haversine_m(pos[i], pos[b]))
            });
            others.truncate(5);
            others
        })
        .collect();
    let pair = |a: usize, b: usize| (a.min(b), a.max(b));
    let mut used = HashSet::new();
    let mut ways = Vec::new();
    for w in 0..n_ways {
        let start = rng.random_range(0..n_nodes);
        let want = rng.random_range(2..=5);
        let mut seq = vec![start];
        while seq.len() < want {
            let cur = seq[seq.len() - 1];
            let free: Vec<usize> = near[cur]
                .iter()
                .copied()
                .filter(|&k| !used.contains(&pair(cur, k)))
                .collect();
            if free.is_empty() {
                break;
            }
            let next = free[rng.random_range(0..free.len())];
            used.insert(pair(cur, next));
            seq.push(next);
        }
        if seq.len() < 2 {
            continue;
        }
        let mut nodes: Vec<i64> = seq.iter().map(|&k| ids[k]).collect();
        if nodes.len() >= 3 && rng.random_bool(0.1) {
            let at = rng.random_range(1..nodes.len());
            nodes.insert(at, 9_000_000 + w as i64);
        }
        let direction = match rng.random_range(0..100) {
            0..55 => Direction::Both,
            55..80 => Direction::Forward,
            _ => Direction::Backward,
        };
        let class = RoadClass::ALL[rng.random_range(0..RoadClass::ALL.len())];
        let default = class.default_speed_kmh();
        let speed_kmh = if rng.random_bool(0.3) {
            default * rng.random_range(0.3..1.0)
        } else {
            default
        };
        ways.push(RawWay {
            id: 500 + 3 * w as i64,
            nodes,
            rule: WayRule {
                class,
                speed_kmh,
                direction,
            },
        });
    }
    RawNetwork {
        ways,
        nodes: ids.iter().copied().zip(pos.iter().copied()).collect(),
        stats: ReadStats::default(),
    }
}

/// The engine's own construction: pieces between junctions, largest SCC.
fn built_net(raw: &RawNetwork) -> Network {
    Network::new(RoadGraph::build(raw).expect("random network has a drivable road"))
}

/// Every OSM segment its own piece, every node a junction, no component filtering.
fn segment_net(raw: &RawNetwork) -> Network {
    let mut parts = GraphParts::default();
    let mut junction_of: HashMap<i64, u32> = HashMap::new();
    let mut junction = |parts: &mut GraphParts, id: i64, pos: LatLon| -> u32 {
        *junction_of.entry(id).or_insert_with(|| {
            parts.junctions.push(Junction { osm_id: id, pos });
            (parts.junctions.len() - 1) as u32
        })
    };
    for way in &raw.ways {
        for w in way.nodes.windows(2) {
            let (Some(&a), Some(&b)) = (raw.nodes.get(&w[0]), raw.nodes.get(&w[1])) else {
                continue;
            };
            let (from, to) = (junction(&mut parts, w[0], a), junction(&mut parts, w[1], b));
            let length_m = haversine_m(a, b);
            parts.pieces.push(Piece {
                way_id: way.id,
                from,
                to,
                coord_start: parts.coords.len() as u32,
                coord_len: 2,
                length_m,
                speed_kmh: way.rule.speed_kmh,
                class: way.rule.class,
                direction: way.rule.direction,
            });
            parts.coords.extend([a, b]);
            parts.cum_m.extend([0.0, length_m]);
        }
    }
    parts.summary = LoadSummary::default();
    Network::new(RoadGraph::from_parts(parts))
}

// ---------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------

/// Where a snapped point lies in the raw network.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// Exactly on a node (index into the oracle's vertex list).
    Node(usize),
    /// Strictly inside segment `i` (nodes `i`, `i + 1`) of way `way`, at fraction `t`.
    Inside { way: usize, i: usize, t: f64 },
}

/// A directed arc of the oracle graph: head, length (m), duration (s).
type Arc = (usize, f64, f64);

/// Plain Dijkstra over explicit directed OSM segments.
struct Oracle<'a> {
    raw: &'a RawNetwork,
    /// Node id -> vertex index.
    vertex: HashMap<i64, usize>,
}

/// Best (cost, length, duration) per vertex.
type Best = Vec<Option<(f64, f64, f64)>>;

impl<'a> Oracle<'a> {
    fn new(raw: &'a RawNetwork) -> Oracle<'a> {
        let mut ids: Vec<i64> = raw.nodes.keys().copied().collect();
        ids.sort_unstable();
        let vertex = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
        Oracle { raw, vertex }
    }

    /// Locate an engine snap in the raw data, from the piece's way and segment geometry.
    fn place(&self, net: &Network, s: &Snap) -> Place {
        let piece = net.graph.pieces()[s.piece as usize];
        let coords = net.graph.piece_coords(s.piece);
        let (a, b) = (coords[s.seg as usize], coords[s.seg as usize + 1]);
        let way = self
            .raw
            .ways
            .iter()
            .position(|w| w.id == piece.way_id)
            .expect("piece way is a raw way");
        let nodes = &self.raw.ways[way].nodes;
        let hits: Vec<usize> = (0..nodes.len() - 1)
            .filter(|&i| {
                self.raw.nodes.get(&nodes[i]) == Some(&a)
                    && self.raw.nodes.get(&nodes[i + 1]) == Some(&b)
            })
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "snap segment found once in way {}",
            piece.way_id
        );
        let i = hits[0];
        if s.t == 0.0 {
            Place::Node(self.vertex[&nodes[i]])
        } else if s.t == 1.0 {
            Place::Node(self.vertex[&nodes[i + 1]])
        } else {
            Place::Inside { way, i, t: s.t }
        }
    }

    /// Arcs with `places` inserted; returns the adjacency and each place's vertex.
    fn graph(&self, places: &[Place]) -> (Vec<Vec<Arc>>, Vec<usize>) {
        let mut n = self.vertex.len();
        let mut vertex_of = vec![0usize; places.len()];
        let mut cuts: HashMap<(usize, usize), Vec<(f64, usize)>> = HashMap::new();
        for (k, p) in places.iter().enumerate() {
            match *p {
                Place::Node(v) => vertex_of[k] = v,
                Place::Inside { way, i, t } => {
                    let list = cuts.entry((way, i)).or_default();
                    if let Some(&(_, v)) = list.iter().find(|(tt, _)| *tt == t) {
                        vertex_of[k] = v;
                    } else {
                        list.push((t, n));
                        vertex_of[k] = n;
                        n += 1;
                    }
                }
            }
        }
        let mut arcs = vec![Vec::new(); n];
        for (wi, way) in self.raw.ways.iter().enumerate() {
            let mps = way.rule.speed_kmh / 3.6;
            let dir = way.rule.direction;
            for i in 0..way.nodes.len() - 1 {
                let (ia, ib) = (way.nodes[i], way.nodes[i + 1]);
                let (Some(&a), Some(&b)) = (self.raw.nodes.get(&ia), self.raw.nodes.get(&ib))
                else {
                    continue;
                };
                let whole = haversine_m(a, b);
                let mut chain = vec![(0.0, self.vertex[&ia])];
                if let Some(list) = cuts.get(&(wi, i)) {
                    let mut list = list.clone();
                    list.sort_by(|x, y| x.0.total_cmp(&y.0));
                    chain.extend(list);
                }
                chain.push((1.0, self.vertex[&ib]));
                for c in chain.windows(2) {
                    let len = (c[1].0 - c[0].0) * whole;
                    if dir.forward() {
                        arcs[c[0].1].push((c[1].1, len, len / mps));
                    }
                    if dir.backward() {
                        arcs[c[1].1].push((c[0].1, len, len / mps));
                    }
                }
            }
        }
        (arcs, vertex_of)
    }
}

fn reversed(arcs: &[Vec<Arc>]) -> Vec<Vec<Arc>> {
    let mut rev = vec![Vec::new(); arcs.len()];
    for (u, list) in arcs.iter().enumerate() {
        for &(v, l, d) in list {
            rev[v].push((u, l, d));
        }
    }
    rev
}

#[derive(PartialEq)]
struct HeapItem(f64, usize);
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

/// Single-source Dijkstra on `metric`, carrying both figures of the chosen path.
fn dijkstra(arcs: &[Vec<Arc>], src: usize, metric: Metric) -> Best {
    let mut best: Best = vec![None; arcs.len()];
    let mut heap = BinaryHeap::new();
    best[src] = Some((0.0, 0.0, 0.0));
    heap.push(HeapItem(0.0, src));
    while let Some(HeapItem(c, u)) = heap.pop() {
        let Some((cu, lu, du)) = best[u] else {
            continue;
        };
        if c > cu {
            continue;
        }
        for &(v, l, d) in &arcs[u] {
            let (nl, nd) = (lu + l, du + d);
            let nc = match metric {
                Metric::Time => nd,
                Metric::Distance => nl,
            };
            if best[v].is_none_or(|(cv, _, _)| nc < cv) {
                best[v] = Some((nc, nl, nd));
                heap.push(HeapItem(nc, v));
            }
        }
    }
    best
}

fn cost_of(j: &Journey, metric: Metric) -> f64 {
    match metric {
        Metric::Time => j.duration_s,
        Metric::Distance => j.distance_m,
    }
}

/// Engine and oracle agree: both unreachable, or both figures equal to rounding.
fn assert_agrees(engine: Option<Journey>, oracle: Option<(f64, f64, f64)>, what: &str) {
    match (engine, oracle) {
        (None, None) => {}
        (Some(j), Some((_, l, d))) => {
            assert!(
                close(j.distance_m, l, 1e-6, 1e-9) && close(j.duration_s, d, 1e-6, 1e-9),
                "{what}: engine {j:?}, oracle distance_m {l}, duration_s {d}"
            );
            // No journey is faster than the profile's top speed (maxspeed only lowers the
            // default speeds), so the two figures must fit each other.
            let top_speed_mps = RoadClass::ALL
                .iter()
                .map(|c| c.default_speed_kmh())
                .fold(0.0, f64::max)
                / 3.6;
            assert!(
                j.distance_m <= j.duration_s * top_speed_mps * (1.0 + 1e-9) + 1e-6,
                "{what}: {j:?} is faster than {top_speed_mps} m/s"
            );
        }
        (e, o) => panic!("{what}: engine {e:?}, oracle {o:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Route geometry checks (shared with the real-extract tests)
// ---------------------------------------------------------------------------------------

/// Key of a coordinate, to 1e-9 degree (OSM coordinates have 1e-7).
fn key(p: LatLon) -> (i64, i64) {
    ((p.lat * 1e9).round() as i64, (p.lon * 1e9).round() as i64)
}

fn same(p: LatLon, q: LatLon) -> bool {
    key(p) == key(q)
}

/// Every directed segment a car may drive, by coordinate keys.
pub struct AllowedSegments(HashSet<((i64, i64), (i64, i64))>);

impl AllowedSegments {
    /// Collect the drivable directed segments of `net`.
    pub fn of(net: &Network) -> AllowedSegments {
        let mut set = HashSet::new();
        for (pi, piece) in net.graph.pieces().iter().enumerate() {
            for w in net.graph.piece_coords(pi as u32).windows(2) {
                if piece.direction.forward() {
                    set.insert((key(w[0]), key(w[1])));
                }
                if piece.direction.backward() {
                    set.insert((key(w[1]), key(w[0])));
                }
            }
        }
        AllowedSegments(set)
    }
}

/// A route starts at the origin's snapped point, ends at the destination's, drives only
/// along allowed directed segments (or the allowed parts of the snapped segments), and its
/// haversine length is `distance_m` (within `tol_m` plus one part per million).
pub fn check_route(
    net: &Network,
    allowed: &AllowedSegments,
    o: &Snap,
    d: &Snap,
    r: &Route,
    tol_m: f64,
) -> Result<(), String> {
    let g = &r.geometry;
    if g.len() < 2 {
        return Err(format!("geometry has {} points", g.len()));
    }
    if !same(g[0], o.point) || !same(g[g.len() - 1], d.point) {
        return Err(format!(
            "geometry runs {:?} -> {:?}, snapped points {:?} -> {:?}",
            g[0],
            g[g.len() - 1],
            o.point,
            d.point
        ));
    }
    let seg = |s: &Snap| {
        let c = net.graph.piece_coords(s.piece);
        let dir = net.graph.pieces()[s.piece as usize].direction;
        (c[s.seg as usize], c[s.seg as usize + 1], dir)
    };
    let (oa, ob, odir) = seg(o);
    let (da, db, ddir) = seg(d);
    for (k, w) in g.windows(2).enumerate() {
        let (p, q) = (w[0], w[1]);
        if same(p, q) {
            // Origin and destination at one place; or a snapped point on a shape node
            // (see `route_geometry_has_no_repeated_points`).
            continue;
        }
        let ok = allowed.0.contains(&(key(p), key(q)))
            || (k == 0 && ((same(q, ob) && odir.forward()) || (same(q, oa) && odir.backward())))
            || (k + 2 == g.len()
                && ((same(p, da) && ddir.forward()) || (same(p, db) && ddir.backward())))
            || (g.len() == 2
                && o.piece == d.piece
                && o.seg == d.seg
                && ((o.t <= d.t && odir.forward()) || (o.t >= d.t && odir.backward())));
        if !ok {
            return Err(format!(
                "segment {k} {p:?} -> {q:?} is not an allowed direction of a road"
            ));
        }
    }
    let len = polyline_m(g);
    if !close(len, r.journey.distance_m, tol_m, 1e-6) {
        return Err(format!(
            "geometry length {len} m, distance_m {}",
            r.journey.distance_m
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Query points
// ---------------------------------------------------------------------------------------

/// Test points for a network: random points in (and a little beyond) the box, points
/// exactly at junctions and at interior shape nodes, and pairs of points on the same
/// segment of one-way and two-way pieces.
fn query_points(net: &Network, seed: u64) -> Vec<LatLon> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut pts = Vec::new();
    for _ in 0..10 {
        pts.push(ll(
            BOX.0 - 0.002 + rng.random_range(0.0..BOX.2 + 0.004),
            BOX.1 - 0.003 + rng.random_range(0.0..BOX.3 + 0.006),
        ));
    }
    let g = &net.graph;
    for _ in 0..4 {
        pts.push(g.junction(rng.random_range(0..g.node_count() as u32)).pos);
    }
    let pieces = g.pieces();
    let mut by_dir = [Vec::new(), Vec::new(), Vec::new()];
    for (i, p) in pieces.iter().enumerate() {
        let slot = match p.direction {
            Direction::Forward => 0,
            Direction::Backward => 1,
            Direction::Both => 2,
        };
        by_dir[slot].push(i as u32);
    }
    for list in &by_dir {
        for _ in 0..2 {
            if list.is_empty() {
                break;
            }
            let pi = list[rng.random_range(0..list.len())];
            let c = g.piece_coords(pi);
            let s = rng.random_range(0..c.len() - 1);
            pts.push(lerp(c[s], c[s + 1], 0.37));
            pts.push(lerp(c[s], c[s + 1], 0.81));
            if c.len() >= 3 {
                pts.push(c[1]); // an interior shape node
                pts.push(lerp(c[c.len() - 2], c[c.len() - 1], 0.5));
            }
        }
    }
    pts
}

fn snap_all(net: &Network, pts: &[LatLon]) -> Vec<Snap> {
    pts.iter()
        .map(|p| net.snap(*p, 1e6).expect("every test point snaps"))
        .collect()
}

/// Every ordered pair of query points, both metrics: journey and route against the oracle.
fn compare_all_pairs(raw: &RawNetwork, net: &Network, seed: u64) -> (usize, usize) {
    compare_pairs(raw, net, &snap_all(net, &query_points(net, seed)), seed)
}

/// Every ordered pair of `snaps`, both metrics: journey and route against the oracle.
/// Returns the numbers of reachable and unreachable pairs.
fn compare_pairs(raw: &RawNetwork, net: &Network, snaps: &[Snap], seed: u64) -> (usize, usize) {
    let oracle = Oracle::new(raw);
    let allowed = AllowedSegments::of(net);
    let places: Vec<Place> = snaps.iter().map(|s| oracle.place(net, s)).collect();
    let (mut found, mut unreachable) = (0, 0);
    for metric in METRICS {
        for (i, o) in snaps.iter().enumerate() {
            for (k, d) in snaps.iter().enumerate() {
                let (arcs, v) = oracle.graph(&[places[i], places[k]]);
                let want = dijkstra(&arcs, v[0], metric)[v[1]];
                let got = net.journey(o, d, metric);
                let what = format!("seed {seed} {metric:?} point {i} -> {k} ({o:?} -> {d:?})");
                assert_agrees(got, want, &what);
                let route = net.route(o, d, metric);
                assert_eq!(route.as_ref().map(|r| r.journey), got, "{what}: route");
                match route {
                    Some(r) => {
                        found += 1;
                        // Two snaps of one junction on different pieces: see
                        // `route_between_two_snaps_of_one_junction_is_a_line`.
                        if !(same(o.point, d.point) && o.piece != d.piece) {
                            check_route(net, &allowed, o, d, &r, 0.05)
                                .unwrap_or_else(|e| panic!("{what}: {e}"));
                        }
                    }
                    None => unreachable += 1,
                }
            }
        }
    }
    (found, unreachable)
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn built_graph_matches_oracle_on_random_networks() {
    for seed in 1..=6 {
        let raw = random_raw(seed, 40, 60);
        let net = built_net(&raw);
        let (found, unreachable) = compare_all_pairs(&raw, &net, seed);
        // The kept component is strongly connected: every pair is reachable.
        assert_eq!(unreachable, 0, "seed {seed}");
        assert!(found > 500, "seed {seed}: {found} pairs");
    }
}

#[test]
fn unfiltered_graph_matches_oracle_including_unreachable_pairs() {
    let (mut found, mut unreachable) = (0, 0);
    for seed in 11..=16 {
        let raw = random_raw(seed, 36, 45);
        let net = segment_net(&raw);
        let (f, u) = compare_all_pairs(&raw, &net, seed);
        found += f;
        unreachable += u;
    }
    assert!(found > 1000, "{found} reachable pairs");
    assert!(unreachable > 50, "{unreachable} unreachable pairs");
}

fn residential(id: i64, nodes: Vec<i64>, direction: Direction) -> RawWay {
    RawWay {
        id,
        nodes,
        rule: WayRule {
            class: RoadClass::Residential,
            speed_kmh: 32.0,
            direction,
        },
    }
}

/// Shapes random networks rarely make: a one-way loop and a two-way loop each hanging off
/// a single junction (one piece from the junction back to itself), a way through the same
/// node twice (a "P"), a repeated consecutive node (a zero-length segment).
#[test]
fn loops_and_odd_ways_match_oracle() {
    let nodes: Vec<(i64, LatLon)> = vec![
        (1, ll(54.000, -4.500)),
        (2, ll(54.000, -4.490)),
        (3, ll(54.004, -4.488)),
        (4, ll(54.006, -4.492)),
        (5, ll(54.004, -4.496)),
        (6, ll(53.996, -4.503)),
        (7, ll(53.992, -4.500)),
        (8, ll(53.994, -4.494)),
        (9, ll(54.003, -4.506)),
        (10, ll(54.006, -4.508)),
        (11, ll(54.004, -4.512)),
    ];
    let raw = RawNetwork {
        ways: vec![
            residential(10, vec![1, 2], Direction::Both),
            // one-way loop off 2: 2 -> 3 -> 4 -> 5 -> 2
            residential(11, vec![2, 3, 4, 5, 2], Direction::Forward),
            // two-way spur 1 -> 6, then a two-way loop 6 -> 7 -> 8 -> 6
            residential(12, vec![1, 6, 6, 7, 8, 6], Direction::Both),
            // a "P": 1 -> 9 -> 10 -> 11 -> 9
            residential(13, vec![1, 9, 10, 11, 9], Direction::Both),
        ],
        nodes: nodes.iter().copied().collect(),
        stats: ReadStats::default(),
    };
    let net = built_net(&raw);
    assert_eq!(net.graph.summary().components_dropped, 0);
    let mut pts: Vec<LatLon> = nodes.iter().map(|(_, p)| *p).collect();
    for (a, b) in [
        (2, 3),
        (3, 4),
        (4, 5),
        (5, 2),
        (6, 7),
        (7, 8),
        (8, 6),
        (9, 10),
        (10, 11),
        (11, 9),
    ] {
        let (pa, pb) = (raw.nodes[&a], raw.nodes[&b]);
        pts.extend([lerp(pa, pb, 0.2), lerp(pa, pb, 0.7)]);
    }
    let snaps = snap_all(&net, &pts);
    for (p, s) in pts.iter().zip(&snaps) {
        assert!(s.distance_m < 1e-6, "{p:?} is on a road: {s:?}");
    }
    let (found, unreachable) = compare_pairs(&raw, &net, &snaps, 0);
    assert_eq!(unreachable, 0);
    assert_eq!(found, 2 * snaps.len() * snaps.len());
}

#[test]
fn empty_matrices() {
    let net = built_net(&random_raw(1, 20, 25));
    let s = snap_all(&net, &query_points(&net, 1));
    let some: Vec<Option<Snap>> = s.iter().copied().map(Some).collect();
    for (o, d) in [
        (&[][..], &some[..]),
        (&some[..], &[][..]),
        (&[][..], &[][..]),
    ] {
        let m = matrix(&net, o, d, Metric::Time, None);
        assert_eq!(
            (m.n_origins, m.n_dests, m.cells.len()),
            (o.len(), d.len(), 0)
        );
    }
    let none = vec![None; 3];
    let m = matrix(&net, &none, &some, Metric::Distance, None);
    assert!(m.cells.iter().all(Option::is_none));
    assert_eq!(m.cells.len(), 3 * some.len());
}

#[test]
fn exactly_at_junctions_the_snap_is_the_junction() {
    for seed in 1..=3 {
        let net = built_net(&random_raw(seed, 40, 60));
        for v in 0..net.graph.node_count() as u32 {
            let j = net.graph.junction(v);
            let s = net.snap(j.pos, 1000.0).expect("a junction snaps");
            assert_eq!(s.junction, Some(v), "seed {seed} junction {v}");
            assert!(s.distance_m < 1e-6, "seed {seed} junction {v}: {s:?}");
            assert_eq!(s.point, j.pos);
            // A journey from a junction to itself is empty, in both metrics.
            for metric in METRICS {
                let jr = net.journey(&s, &s, metric).expect("same point");
                assert_eq!((jr.distance_m, jr.duration_s), (0.0, 0.0));
            }
        }
    }
}

/// One-way street, origin and destination on it in both orders: with the flow it is the
/// partial length; against the flow the journey goes round and is longer than the whole
/// street; never a negative or zero figure.
#[test]
fn same_one_way_piece_both_orders() {
    let mut checked = 0;
    for seed in 1..=6 {
        let raw = random_raw(seed, 40, 60);
        let net = built_net(&raw);
        let oracle = Oracle::new(&raw);
        for (pi, piece) in net.graph.pieces().iter().enumerate() {
            if piece.direction == Direction::Both || piece.from == piece.to {
                continue;
            }
            let c = net.graph.piece_coords(pi as u32);
            let (a, b) = (lerp(c[0], c[1], 0.3), lerp(c[0], c[1], 0.6));
            let (sa, sb) = (net.snap(a, 10.0), net.snap(b, 10.0));
            let (Ok(sa), Ok(sb)) = (sa, sb) else {
                continue;
            };
            if sa.piece != pi as u32 || sb.piece != pi as u32 {
                continue; // another road passes closer
            }
            let (first, second) = if piece.direction == Direction::Forward {
                (sa, sb)
            } else {
                (sb, sa)
            };
            let with = net
                .journey(&first, &second, Metric::Distance)
                .expect("with");
            let want = (second.along_m - first.along_m).abs();
            assert!(close(with.distance_m, want, 1e-6, 1e-9), "{with:?} {want}");
            let against = net
                .journey(&second, &first, Metric::Distance)
                .expect("against");
            assert!(
                against.distance_m > piece.length_m - want,
                "seed {seed} piece {pi}: against the flow {against:?}, piece {} m",
                piece.length_m
            );
            let places = [oracle.place(&net, &second), oracle.place(&net, &first)];
            let (arcs, v) = oracle.graph(&places);
            let o = dijkstra(&arcs, v[0], Metric::Distance)[v[1]];
            assert_agrees(Some(against), o, "against the flow");
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} one-way pieces checked");
}

#[test]
fn trees_match_oracle_at_every_junction() {
    for seed in [2, 5, 13] {
        let raw = random_raw(seed, 36, 50);
        let net = if seed > 10 {
            segment_net(&raw)
        } else {
            built_net(&raw)
        };
        let oracle = Oracle::new(&raw);
        let snaps = snap_all(&net, &query_points(&net, seed));
        for metric in METRICS {
            for s in snaps.iter().take(8) {
                let (arcs, v) = oracle.graph(&[oracle.place(&net, s)]);
                let from = dijkstra(&arcs, v[0], metric);
                let to = dijkstra(&reversed(&arcs), v[0], metric);
                let fwd = net.forward_tree(s, metric, None);
                let rev = net.reverse_tree(s, metric, None, None);
                for j in 0..net.graph.node_count() as u32 {
                    let jv = oracle.vertex[&net.graph.junction(j).osm_id];
                    for (tree_cost, want, dir) in [
                        (fwd.cost_at(j), from[jv], "forward"),
                        (rev.cost_at(j), to[jv], "reverse"),
                    ] {
                        match want {
                            None => assert!(
                                tree_cost.is_infinite(),
                                "seed {seed} {metric:?} {dir} junction {j}: {tree_cost}"
                            ),
                            Some((c, _, _)) => assert!(
                                close(tree_cost, c, 1e-6, 1e-9),
                                "seed {seed} {metric:?} {dir} junction {j}: {tree_cost} vs {c}"
                            ),
                        }
                    }
                }
            }
        }
    }
}

fn options(snaps: &[Snap], skip: usize) -> Vec<Option<Snap>> {
    let mut v: Vec<Option<Snap>> = snaps.iter().copied().map(Some).collect();
    v.insert(skip.min(v.len()), None); // an unsnappable point
    v
}

#[test]
fn matrix_equals_per_pair_journeys_on_any_thread_count() {
    for (seed, segments) in [(3, false), (14, true)] {
        let raw = random_raw(seed, 40, 55);
        let net = if segments {
            segment_net(&raw)
        } else {
            built_net(&raw)
        };
        let snaps = snap_all(&net, &query_points(&net, seed));
        let (half_a, half_b) = snaps.split_at(snaps.len() / 2);
        let (origins, dests) = (options(half_a, 3), options(half_b, 1));
        for metric in METRICS {
            let pool = |n: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .expect("thread pool")
            };
            let m1 = pool(1).install(|| matrix(&net, &origins, &dests, metric, None));
            let m2 = pool(2).install(|| matrix(&net, &origins, &dests, metric, None));
            assert_eq!(m1, m2, "seed {seed} {metric:?}: 1 vs 2 threads");
            assert_eq!((m1.n_origins, m1.n_dests), (origins.len(), dests.len()));
            let mut costs = Vec::new();
            for (oi, o) in origins.iter().enumerate() {
                for (di, d) in dests.iter().enumerate() {
                    let want = match (o, d) {
                        (Some(o), Some(d)) => net.journey(o, d, metric),
                        _ => None,
                    };
                    assert_eq!(m1.get(oi, di), want, "seed {seed} {metric:?} ({oi},{di})");
                    if let Some(j) = want {
                        costs.push(cost_of(&j, metric));
                    }
                }
            }
            // A cut-off keeps exactly the journeys within it.
            costs.sort_by(f64::total_cmp);
            let cutoff = costs[costs.len() / 2];
            let mc = matrix(&net, &origins, &dests, metric, Some(cutoff));
            for oi in 0..origins.len() {
                for di in 0..dests.len() {
                    let want = m1.get(oi, di).filter(|j| cost_of(j, metric) <= cutoff);
                    assert_eq!(mc.get(oi, di), want, "cut-off {cutoff} ({oi},{di})");
                }
            }
        }
    }
}

#[test]
fn time_metric_is_never_slower_and_distance_metric_never_longer() {
    for seed in [4, 15] {
        let raw = random_raw(seed, 40, 55);
        let net = if seed > 10 {
            segment_net(&raw)
        } else {
            built_net(&raw)
        };
        let snaps = snap_all(&net, &query_points(&net, seed));
        for o in &snaps {
            for d in &snaps {
                let t = net.journey(o, d, Metric::Time);
                let l = net.journey(o, d, Metric::Distance);
                assert_eq!(t.is_some(), l.is_some());
                if let (Some(t), Some(l)) = (t, l) {
                    assert!(t.duration_s <= l.duration_s * (1.0 + 1e-12) + 1e-9);
                    assert!(l.distance_m <= t.distance_m * (1.0 + 1e-12) + 1e-9);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Snapping
// ---------------------------------------------------------------------------------------

/// `d` is the snap distance of `p` on `net` to within 0.2%: no sampled point of any
/// segment is nearer (great-circle), and the snapped point is `d` away.
fn assert_nearest(net: &Network, p: LatLon, s: &Snap) {
    let tol = 2e-3 * s.distance_m + 1e-6;
    let h = haversine_m(p, s.point);
    assert!(
        close(h, s.distance_m, 1e-6, 1e-3),
        "snap distance {} vs haversine {h}",
        s.distance_m
    );
    for pi in 0..net.graph.pieces().len() as u32 {
        for w in net.graph.piece_coords(pi).windows(2) {
            for k in 0..=40 {
                let q = lerp(w[0], w[1], f64::from(k) / 40.0);
                assert!(
                    haversine_m(p, q) >= s.distance_m - tol,
                    "{q:?} nearer than {s:?}"
                );
            }
        }
    }
}

#[test]
fn snapping_matches_brute_force_on_random_points() {
    for seed in 1..=4 {
        let raw = random_raw(seed, 40, 60);
        let net = if seed % 2 == 0 {
            segment_net(&raw)
        } else {
            built_net(&raw)
        };
        let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
        for _ in 0..60 {
            let p = ll(
                BOX.0 - 0.01 + rng.random_range(0.0..BOX.2 + 0.02),
                BOX.1 - 0.015 + rng.random_range(0.0..BOX.3 + 0.03),
            );
            let s = net.snap(p, 1e6).expect("within 1000 km");
            let (_, _, bd) = snap_brute_force(&net.graph, p).expect("a segment");
            assert!(
                (s.distance_m - bd).abs() <= 1e-9,
                "seed {seed} {p:?}: tree {} vs brute force {bd}",
                s.distance_m
            );
            assert_nearest(&net, p, &s);
            // The snapped point lies on its segment at `t`, `along_m` from the piece start.
            let c = net.graph.piece_coords(s.piece);
            let cum = net.graph.piece_cum_m(s.piece);
            let k = s.seg as usize;
            assert!((0.0..=1.0).contains(&s.t));
            assert!(haversine_m(s.point, lerp(c[k], c[k + 1], s.t)) < 1e-6);
            let along = cum[k] + s.t * (cum[k + 1] - cum[k]);
            assert!(close(s.along_m, along, 1e-6, 1e-9), "{s:?} vs {along}");
        }
    }
}

#[test]
fn snapping_real_extract_matches_brute_force() {
    let net = crate::support::rutland();
    let [min_lon, min_lat, max_lon, max_lat] = net.graph.bbox();
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    for _ in 0..25 {
        let p = ll(
            rng.random_range(min_lat..max_lat),
            rng.random_range(min_lon..max_lon),
        );
        let s = net.snap(p, 1e6).expect("within 1000 km");
        let (_, _, bd) = snap_brute_force(&net.graph, p).expect("a segment");
        assert!(
            (s.distance_m - bd).abs() <= 1e-9,
            "{p:?}: {} vs {bd}",
            s.distance_m
        );
        assert!(close(haversine_m(p, s.point), s.distance_m, 1e-6, 1e-3));
    }
}

#[test]
fn unsnappable_beyond_max_snap_m_with_the_reason() {
    let net = built_net(&random_raw(1, 40, 60));
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for _ in 0..20 {
        let p = ll(
            BOX.0 - 0.05 + rng.random_range(0.0..0.1),
            BOX.1 - 0.05 + rng.random_range(0.0..0.1),
        );
        let (_, _, d) = snap_brute_force(&net.graph, p).expect("a segment");
        let ok = net
            .snap(p, d * 1.001 + 1e-6)
            .expect("just within the limit");
        assert!((ok.distance_m - d).abs() <= 1e-9);
        assert_eq!(
            net.snap_within(p, d * 1.001 + 1e-6),
            Ok(ok),
            "bulk snap agrees"
        );
        if d < 1.0 {
            continue;
        }
        assert!(
            matches!(net.snap_within(p, d * 0.999), Err(SnapFailure::TooFar { nearest_m, .. }) if nearest_m.is_infinite() || (nearest_m - d).abs() <= 1e-9),
            "bulk snap fails beyond the limit (nearest exact when found, else not searched for)"
        );
        match net.snap(p, d * 0.999) {
            Err(SnapFailure::TooFar {
                nearest_m,
                max_snap_m,
            }) => {
                assert!((nearest_m - d).abs() <= 1e-9, "{nearest_m} vs {d}");
                assert_eq!(max_snap_m, d * 0.999);
                let msg = SnapFailure::TooFar {
                    nearest_m,
                    max_snap_m,
                }
                .to_string();
                assert!(msg.contains("no road within"), "{msg}");
            }
            other => panic!("{p:?} at {d} m with limit {}: {other:?}", d * 0.999),
        }
    }
    // Far out to sea: the default limit.
    let far = ll(BOX.0 + 0.2, BOX.1);
    assert!(matches!(
        net.snap(far, nearhome::index::snap::DEFAULT_MAX_SNAP_M),
        Err(SnapFailure::TooFar { nearest_m, max_snap_m }) if nearest_m > 15_000.0 && max_snap_m == 1000.0
    ));
    for bad in [
        ll(f64::NAN, -4.5),
        ll(54.1, f64::INFINITY),
        ll(90.5, -4.5),
        ll(54.1, -180.5),
        ll(f64::NEG_INFINITY, 0.0),
    ] {
        assert_eq!(
            net.snap(bad, 1e9),
            Err(SnapFailure::BadCoordinate),
            "{bad:?}"
        );
    }
}

/// A point whose nearest road point is a junction snaps to whichever piece ending there
/// wins the (rounding-level) tie, so two points near one junction can snap to it on two
/// different pieces (random network seed 5 does this). The route between them is empty,
/// but its geometry must still be a line (two points), as on a single piece: a GeoJSON
/// LineString needs at least two positions.
#[test]
fn route_between_two_snaps_of_one_junction_is_a_line() {
    let nodes = [
        (1, ll(54.0, -4.5)),
        (2, ll(54.0, -4.49)),
        (3, ll(54.01, -4.49)),
    ];
    let way = |id: i64, nodes: Vec<i64>| residential(id, nodes, Direction::Both);
    let raw = RawNetwork {
        ways: vec![way(10, vec![1, 2]), way(11, vec![2, 3])],
        nodes: nodes.into_iter().collect(),
        stats: ReadStats::default(),
    };
    let net = built_net(&raw);
    let corner = net.snap(ll(54.0, -4.49), 1.0).expect("the corner snaps");
    let v = corner.junction.expect("the corner is a junction");
    // The corner as the end of one piece and as the start of the other.
    let at = |piece: u32| {
        let p = net.graph.pieces()[piece as usize];
        let end = p.to == v;
        Snap {
            piece,
            seg: if end { p.coord_len - 2 } else { 0 },
            t: if end { 1.0 } else { 0.0 },
            point: net.graph.junction(v).pos,
            distance_m: 0.0,
            along_m: if end { p.length_m } else { 0.0 },
            junction: Some(v),
        }
    };
    let (o, d) = (at(0), at(1));
    for metric in METRICS {
        let r = net.route(&o, &d, metric).expect("same place");
        assert_eq!((r.journey.distance_m, r.journey.duration_s), (0.0, 0.0));
        assert_eq!(
            r.geometry.len(),
            2,
            "{metric:?}: geometry {:?} is not a line",
            r.geometry
        );
    }
}

/// A snapped point exactly on a shape node (t = 0 or 1 inside a piece) must not make the
/// route's geometry repeat that node: consecutive points are distinct (joins included).
#[test]
fn route_geometry_has_no_repeated_points() {
    let nodes = [
        (1, ll(54.0, -4.5)),
        (2, ll(54.001, -4.495)), // shape node of "bend road"
        (3, ll(54.0, -4.49)),
        (4, ll(54.005, -4.485)),
        (5, ll(54.005, -4.505)),
    ];
    let way = |id: i64, nodes: Vec<i64>| residential(id, nodes, Direction::Both);
    let raw = RawNetwork {
        ways: vec![
            way(10, vec![1, 2, 3]), // bend road
            way(11, vec![3, 4]),    // east spur
            way(12, vec![5, 1]),    // west spur
        ],
        nodes: nodes.into_iter().collect(),
        stats: ReadStats::default(),
    };
    let net = built_net(&raw);
    let bend = net.snap(nodes[1].1, 1.0).expect("the shape node snaps");
    assert_eq!(bend.junction, None);
    let east = net
        .snap(lerp(nodes[2].1, nodes[3].1, 0.5), 1.0)
        .expect("east");
    let west = net
        .snap(lerp(nodes[4].1, nodes[0].1, 0.5), 1.0)
        .expect("west");
    for metric in METRICS {
        for (o, d) in [(bend, east), (bend, west), (east, bend), (west, bend)] {
            let r = net.route(&o, &d, metric).expect("connected");
            let repeats: Vec<&[LatLon]> = r.geometry.windows(2).filter(|w| w[0] == w[1]).collect();
            assert!(
                repeats.is_empty(),
                "{metric:?} {:?} -> {:?}: geometry {:?} repeats {repeats:?}",
                o.point,
                d.point,
                r.geometry
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The contraction hierarchy against the plain search
// ---------------------------------------------------------------------------------------

/// The same network with both hierarchies attached.
fn with_ch(net: &Network) -> Network {
    let h = Hierarchies::build(&net.graph, &|_, _, _| {});
    net.clone().with_hierarchies(h)
}

/// Every junction as a snapped point (so trees can be compared at every junction).
fn junction_snaps(net: &Network) -> Vec<Snap> {
    (0..net.graph.node_count() as u32)
        .map(|v| {
            net.snap(net.graph.junction(v).pos, 1e6)
                .expect("a junction snaps")
        })
        .collect()
}

/// PHAST trees (restricted to a target set) and bidirectional queries give exactly the
/// Dijkstra figures, on random networks with fixed seeds, both metrics, built graphs and
/// unfiltered segment graphs (with unreachable pairs).
#[test]
fn hierarchy_equals_plain_search_on_random_networks() {
    let mut compared = 0usize;
    for seed in 21..=32u64 {
        let raw = random_raw(seed, 30 + (seed as usize % 5) * 10, 40 + seed as usize % 20);
        let plain = if seed % 3 == 0 {
            segment_net(&raw)
        } else {
            built_net(&raw)
        };
        let ch = with_ch(&plain);
        let mut snaps = snap_all(&plain, &query_points(&plain, seed));
        snaps.extend(junction_snaps(&plain));
        for metric in METRICS {
            let targets = ch.targets(snaps.iter(), metric);
            let plain_targets = plain.targets(snaps.iter(), metric);
            for d in &snaps {
                let dijkstra = plain.reverse_tree(d, metric, None, None);
                let phast = ch.tree_to(&targets, d);
                let stopped = plain.tree_to(&plain_targets, d);
                for o in &snaps {
                    let want = plain.journey_to_root(&dijkstra, o);
                    let what = format!("seed {seed} {metric:?} {o:?} -> {d:?}");
                    assert_eq!(ch.journey_to_root(&phast, o), want, "{what}: PHAST tree");
                    let slots = ch.origin_slots(&targets, o);
                    assert_eq!(ch.journey_from(&phast, o, &slots), want, "{what}: slots");
                    assert_eq!(plain.journey_to_root(&stopped, o), want, "{what}: stopped");
                    assert_eq!(ch.journey(o, d, metric), want, "{what}: CH query");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 20_000, "{compared} pairs compared");
}

/// Routes through the hierarchy: the same figures as the plain search, geometry along
/// allowed roads, continuous and as long as the figure; the oracle agrees.
#[test]
fn hierarchy_routes_match_oracle_on_random_networks() {
    for seed in [41u64, 42, 43] {
        let raw = random_raw(seed, 40, 60);
        let plain = built_net(&raw);
        let ch = with_ch(&plain);
        let (found, unreachable) = compare_all_pairs(&raw, &ch, seed);
        assert_eq!(unreachable, 0, "seed {seed}");
        assert!(found > 500, "seed {seed}: {found} pairs");
        let snaps = snap_all(&plain, &query_points(&plain, seed));
        for metric in METRICS {
            for o in &snaps {
                for d in &snaps {
                    let (a, b) = (plain.route(o, d, metric), ch.route(o, d, metric));
                    assert_eq!(
                        a.map(|r| r.journey),
                        b.map(|r| r.journey),
                        "seed {seed} {metric:?}"
                    );
                }
            }
        }
    }
}

/// A matrix through the hierarchy equals the plain matrix, on 1 and 2 threads.
#[test]
fn hierarchy_matrix_equals_plain_on_any_thread_count() {
    let raw = random_raw(7, 60, 90);
    let plain = built_net(&raw);
    let ch = with_ch(&plain);
    let snaps = snap_all(&plain, &query_points(&plain, 7));
    let (a, b) = snaps.split_at(snaps.len() / 2);
    let (origins, dests) = (options(a, 2), options(b, 0));
    for metric in METRICS {
        let want = matrix(&plain, &origins, &dests, metric, None);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let got = pool.install(|| matrix(&ch, &origins, &dests, metric, None));
            assert_eq!(got, want, "{metric:?} on {threads} threads");
        }
    }
}
