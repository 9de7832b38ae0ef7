//! The routable road graph: junctions joined by directed edges along road pieces.
//!
//! Ways are split into *pieces* at junctions (nodes shared by two or more ways, or used twice
//! by one), at way ends and where a referenced node is missing from the file. Each piece keeps
//! its geometry (node coordinates) and becomes one directed edge per allowed direction, with
//! its length (m) and duration (s). Only the largest strongly connected component is kept,
//! so every kept junction can reach every other (petgraph finds the components). Searches run
//! on compressed adjacency arrays, forward and reverse. No I/O here.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::model::profile::{Direction, RoadClass, WayRule};
use crate::model::proj::haversine_m;
use crate::model::LatLon;

/// A drivable way as read from OSM, with its profile applied.
#[derive(Debug, Clone)]
pub struct RawWay {
    /// OSM way id.
    pub id: i64,
    /// Node ids in way order.
    pub nodes: Vec<i64>,
    /// Class, speed and direction from the car profile.
    pub rule: WayRule,
}

/// Counts from reading the PBF, before the graph is built.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadStats {
    /// Every way in the file.
    pub ways_read: u64,
    /// Ways with a `highway` tag.
    pub highway_ways: u64,
    /// Ways the car profile keeps.
    pub drivable_ways: u64,
    /// Highway ways excluded as `area=yes`.
    pub excluded_area: u64,
    /// Highway ways excluded by `no`/`private` access.
    pub excluded_access: u64,
    /// Highway ways excluded as `oneway=reversible|alternating`.
    pub excluded_reversible: u64,
    /// Highway ways whose `highway` value is not in the profile's table.
    pub excluded_highway_value: u64,
    /// Drivable ways that reference at least one node missing from the file.
    pub ways_with_missing_nodes: u64,
    /// Node references of drivable ways missing from the file.
    pub missing_node_refs: u64,
    /// Extracts read (one unless several were merged).
    pub files: u64,
    /// Ways found in more than one extract (merged by OSM id, counted once above).
    pub ways_in_several_files: u64,
    /// Signs that an extract was cut short (e.g. at a block boundary, which parses), in
    /// words: a file whose last block holds no relations, or many ways whose nodes are
    /// missing. Said when the PBF is read; not stored in the graph cache.
    #[serde(skip)]
    pub suspected_truncation: Vec<String>,
}

/// Drivable ways and the coordinates of the nodes they reference.
#[derive(Debug, Clone, Default)]
pub struct RawNetwork {
    /// Drivable ways, sorted by id.
    pub ways: Vec<RawWay>,
    /// Coordinates of every node referenced by a drivable way and present in the file.
    pub nodes: HashMap<i64, LatLon>,
    /// Read counts.
    pub stats: ReadStats,
}

/// A junction (graph vertex).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Serialize,
    Deserialize,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(C)]
pub struct Junction {
    /// OSM node id.
    pub osm_id: i64,
    /// Location.
    pub pos: LatLon,
}

/// A directed edge: one direction of travel along a [`Piece`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    /// Start junction.
    pub tail: u32,
    /// End junction.
    pub head: u32,
    /// Index of the piece whose geometry this edge follows.
    pub piece: u32,
    /// True when the edge runs against the piece's node order.
    pub reversed: bool,
    /// Length in metres (haversine sum over the geometry).
    pub length_m: f64,
    /// Duration in seconds (length / speed).
    pub duration_s: f64,
}

/// A stretch of one way between two junctions, with its geometry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Piece {
    /// OSM way id.
    pub way_id: i64,
    /// Junction at the first coordinate.
    pub from: u32,
    /// Junction at the last coordinate.
    pub to: u32,
    /// First coordinate's index in the shared coordinate array.
    pub coord_start: u32,
    /// Number of coordinates (at least 2).
    pub coord_len: u32,
    /// Length in metres.
    pub length_m: f64,
    /// Speed in km/h.
    pub speed_kmh: f64,
    /// Road class.
    pub class: RoadClass,
    /// Allowed directions.
    pub direction: Direction,
}

impl Piece {
    /// Speed in metres per second.
    pub fn speed_mps(&self) -> f64 {
        self.speed_kmh / 3.6
    }
}

/// Counts reported after loading a network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    /// Counts from reading the PBF.
    pub read: ReadStats,
    /// Junctions (graph vertices) before component filtering.
    pub junctions_built: u64,
    /// Directed edges before component filtering.
    pub edges_built: u64,
    /// Strongly connected components dropped (all but the largest).
    pub components_dropped: u64,
    /// Junctions kept (largest strongly connected component).
    pub nodes_kept: u64,
    /// Directed edges kept.
    pub edges_kept: u64,
    /// Road pieces kept (each carries one or two directed edges).
    pub pieces_kept: u64,
    /// OSM nodes in the kept geometry (junctions and shape points; shared nodes counted per piece end).
    pub geometry_points: u64,
    /// Road length kept, km (each piece once, whatever its directions).
    pub road_km: f64,
}

/// Compact adjacency (CSR): for vertex `v`, its entries are `entries[offsets[v]..offsets[v+1]]`.
pub(crate) type Csr = crate::index::csr::Csr<Adj>;

/// One adjacency entry: the vertex at the other end, the edge and its two costs.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub(crate) struct Adj {
    pub(crate) head: u32,
    pub(crate) edge: u32,
    pub(crate) length_m: f64,
    pub(crate) duration_s: f64,
}

/// The parts a graph is made of: what the cache stores.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GraphParts {
    /// Junctions, in vertex order.
    pub junctions: Vec<Junction>,
    /// Pieces, in order.
    pub pieces: Vec<Piece>,
    /// Every piece's coordinates, concatenated.
    pub coords: Vec<LatLon>,
    /// Cumulative length in metres from its piece's start, per coordinate.
    pub cum_m: Vec<f64>,
    /// Load counts.
    pub summary: LoadSummary,
}

/// The road graph of the largest strongly connected component, ready for routing.
#[derive(Debug, Clone)]
pub struct RoadGraph {
    parts: GraphParts,
    /// Every directed edge: per piece in order, its forward edge then its backward one,
    /// each when allowed.
    edges: Vec<Edge>,
    /// Per piece: its forward and backward edges, when allowed.
    piece_edges: Vec<[Option<u32>; 2]>,
    pub(crate) fwd: Csr,
    pub(crate) rev: Csr,
}

impl RoadGraph {
    /// Build from a raw network: split ways into pieces, keep the largest strongly connected
    /// component. Returns `None` when no drivable road remains.
    pub fn build(raw: &RawNetwork) -> Option<RoadGraph> {
        let parts = build_parts(raw)?;
        Some(RoadGraph::from_parts(parts))
    }

    /// Assemble from parts (built or read from a cache), building the adjacency arrays.
    pub fn from_parts(parts: GraphParts) -> RoadGraph {
        let (edges, piece_edges) = directed_edges(&parts.pieces);
        let n = parts.junctions.len();
        let arcs = |rev: bool| {
            edges.iter().enumerate().map(move |(e, w)| {
                let (tail, head) = if rev {
                    (w.head, w.tail)
                } else {
                    (w.tail, w.head)
                };
                (
                    tail,
                    Adj {
                        head,
                        edge: e as u32,
                        length_m: w.length_m,
                        duration_s: w.duration_s,
                    },
                )
            })
        };
        let fwd = Csr::group(n, arcs(false));
        let rev = Csr::group(n, arcs(true));
        RoadGraph {
            parts,
            edges,
            piece_edges,
            fwd,
            rev,
        }
    }

    /// Assemble from parts and adjacency arrays stored with them (a cache), checking that
    /// the arrays are exactly the ones [`RoadGraph::from_parts`] would build.
    ///
    /// # Errors
    /// A message when the arrays do not match the parts.
    pub(crate) fn from_stored(parts: GraphParts, fwd: Csr, rev: Csr) -> Result<RoadGraph, String> {
        let (edges, piece_edges) = directed_edges(&parts.pieces);
        let n = parts.junctions.len();
        for (csr, rev_side, name) in [(&fwd, false, "forward"), (&rev, true, "reverse")] {
            if csr.owners().len() != n || csr.len() != edges.len() {
                return Err(format!("{name} adjacency is for another graph"));
            }
            let bad = csr.any_entry(|v, a| {
                let Some(w) = edges.get(a.edge as usize) else {
                    return true;
                };
                let (tail, head) = if rev_side {
                    (w.head, w.tail)
                } else {
                    (w.tail, w.head)
                };
                tail != v
                    || head != a.head
                    || w.length_m.to_bits() != a.length_m.to_bits()
                    || w.duration_s.to_bits() != a.duration_s.to_bits()
            });
            if bad {
                return Err(format!("{name} adjacency does not match the road pieces"));
            }
        }
        Ok(RoadGraph {
            parts,
            edges,
            piece_edges,
            fwd,
            rev,
        })
    }

    /// The same roads timed at other speeds: every piece's speed multiplied by
    /// `factor(class)` (durations follow; lengths, geometry and ids are unchanged).
    pub fn with_speed_factors(&self, factor: impl Fn(RoadClass) -> f64) -> RoadGraph {
        let mut parts = self.parts.clone();
        for p in &mut parts.pieces {
            p.speed_kmh *= factor(p.class);
        }
        RoadGraph::from_parts(parts)
    }

    /// A petgraph copy of the directed graph (junction and edge weights), for baselines and
    /// cross-checks with petgraph's algorithms.
    pub fn to_petgraph(&self) -> DiGraph<Junction, Edge, u32> {
        let mut g = DiGraph::with_capacity(self.node_count(), self.edges.len());
        for j in &self.parts.junctions {
            g.add_node(*j);
        }
        for e in &self.edges {
            g.add_edge(
                NodeIndex::new(e.tail as usize),
                NodeIndex::new(e.head as usize),
                *e,
            );
        }
        g
    }

    /// The parts (for the cache).
    pub fn parts(&self) -> &GraphParts {
        &self.parts
    }

    /// Load counts.
    pub fn summary(&self) -> &LoadSummary {
        &self.parts.summary
    }

    /// Number of junctions.
    pub fn node_count(&self) -> usize {
        self.parts.junctions.len()
    }

    /// Number of directed edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The pieces.
    pub fn pieces(&self) -> &[Piece] {
        &self.parts.pieces
    }

    /// A piece's coordinates, in its node order.
    pub fn piece_coords(&self, piece: u32) -> &[LatLon] {
        let p = &self.parts.pieces[piece as usize];
        let s = p.coord_start as usize;
        &self.parts.coords[s..s + p.coord_len as usize]
    }

    /// Cumulative lengths (m) along a piece, per coordinate.
    pub fn piece_cum_m(&self, piece: u32) -> &[f64] {
        let p = &self.parts.pieces[piece as usize];
        let s = p.coord_start as usize;
        &self.parts.cum_m[s..s + p.coord_len as usize]
    }

    /// The piece's forward (node order) and backward edges, when allowed.
    pub fn piece_edges(&self, piece: u32) -> [Option<u32>; 2] {
        self.piece_edges[piece as usize]
    }

    /// An edge's ends and weights.
    pub fn edge(&self, e: u32) -> &Edge {
        &self.edges[e as usize]
    }

    /// An edge's geometry in travel order.
    pub fn edge_geometry(&self, e: u32) -> Vec<LatLon> {
        let w = self.edge(e);
        let mut pts = self.piece_coords(w.piece).to_vec();
        if w.reversed {
            pts.reverse();
        }
        pts
    }

    /// Append an edge's geometry in travel order to `pts`, leaving out each point equal to
    /// the one before it (so consecutive edges share their junction once).
    pub fn extend_with_edge(&self, pts: &mut Vec<LatLon>, e: u32) {
        let w = self.edge(e);
        let coords = self.piece_coords(w.piece);
        let mut push = |p: &LatLon| {
            if pts.last() != Some(p) {
                pts.push(*p);
            }
        };
        if w.reversed {
            coords.iter().rev().for_each(&mut push);
        } else {
            coords.iter().for_each(&mut push);
        }
    }

    /// A junction's location.
    pub fn junction(&self, v: u32) -> Junction {
        self.parts.junctions[v as usize]
    }

    /// Every geometry point of residential and living-street pieces, in piece order (each
    /// shared point once per piece): candidate home locations for synthetic pupils.
    pub fn residential_points(&self) -> Vec<LatLon> {
        let mut pts = Vec::new();
        for (i, p) in self.parts.pieces.iter().enumerate() {
            if p.class.is_residential() {
                pts.extend_from_slice(self.piece_coords(i as u32));
            }
        }
        pts
    }

    /// Bounding box of the kept network: `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [f64::INFINITY, f64::INFINITY, -f64::INFINITY, -f64::INFINITY];
        for c in &self.parts.coords {
            b[0] = b[0].min(c.lon);
            b[1] = b[1].min(c.lat);
            b[2] = b[2].max(c.lon);
            b[3] = b[3].max(c.lat);
        }
        b
    }
}

/// The directed edges of `pieces`: per piece its forward edge (node order) then its
/// backward one, each when its direction allows; and per piece the indexes of the two.
fn directed_edges(pieces: &[Piece]) -> (Vec<Edge>, Vec<[Option<u32>; 2]>) {
    let mut edges = Vec::with_capacity(pieces.len() * 2);
    let mut piece_edges = Vec::with_capacity(pieces.len());
    for (i, p) in pieces.iter().enumerate() {
        let duration_s = p.length_m / p.speed_mps();
        let mut pair = [None, None];
        for (slot, reversed, allowed) in [
            (0, false, p.direction.forward()),
            (1, true, p.direction.backward()),
        ] {
            if !allowed {
                continue;
            }
            let (tail, head) = if reversed {
                (p.to, p.from)
            } else {
                (p.from, p.to)
            };
            pair[slot] = Some(edges.len() as u32);
            edges.push(Edge {
                tail,
                head,
                piece: i as u32,
                reversed,
                length_m: p.length_m,
                duration_s,
            });
        }
        piece_edges.push(pair);
    }
    (edges, piece_edges)
}

/// Split ways into pieces, find the largest strongly connected component, keep it.
fn build_parts(raw: &RawNetwork) -> Option<GraphParts> {
    // Runs of consecutive nodes present in the file; a missing node splits its way.
    let mut runs: Vec<(usize, Vec<(i64, LatLon)>)> = Vec::new();
    for (wi, way) in raw.ways.iter().enumerate() {
        let mut run = Vec::new();
        for id in &way.nodes {
            match raw.nodes.get(id) {
                Some(&pos) => run.push((*id, pos)),
                None => {
                    if run.len() >= 2 {
                        runs.push((wi, std::mem::take(&mut run)));
                    }
                    run.clear();
                }
            }
        }
        if run.len() >= 2 {
            runs.push((wi, run));
        }
    }
    // Junctions: run ends, and nodes used more than once.
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for (_, run) in &runs {
        let last = run.len() - 1;
        for (i, (id, _)) in run.iter().enumerate() {
            let add = if i == 0 || i == last { 2 } else { 1 };
            *uses.entry(*id).or_insert(0) += add;
        }
    }
    let mut junction_of: HashMap<i64, u32> = HashMap::new();
    let mut junctions: Vec<Junction> = Vec::new();
    struct RawPiece {
        way: usize,
        from: u32,
        to: u32,
        coords: Vec<LatLon>,
    }
    let mut raw_pieces: Vec<RawPiece> = Vec::new();
    for (wi, run) in &runs {
        let mut start = 0;
        for i in 1..run.len() {
            let (id, pos) = run[i];
            if uses.get(&id).copied().unwrap_or(0) >= 2 {
                let mut ends = [0u32; 2];
                for (k, &(jid, jpos)) in [run[start], (id, pos)].iter().enumerate() {
                    ends[k] = *junction_of.entry(jid).or_insert_with(|| {
                        junctions.push(Junction {
                            osm_id: jid,
                            pos: jpos,
                        });
                        (junctions.len() - 1) as u32
                    });
                }
                raw_pieces.push(RawPiece {
                    way: *wi,
                    from: ends[0],
                    to: ends[1],
                    coords: run[start..=i].iter().map(|(_, p)| *p).collect(),
                });
                start = i;
            }
        }
    }
    if raw_pieces.is_empty() {
        return None;
    }
    // Largest strongly connected component of the directed graph.
    let mut g = DiGraph::<(), (), u32>::with_capacity(junctions.len(), raw_pieces.len() * 2);
    for _ in &junctions {
        g.add_node(());
    }
    let mut edges_built = 0u64;
    for p in &raw_pieces {
        let dir = raw.ways[p.way].rule.direction;
        let (a, b) = (
            NodeIndex::new(p.from as usize),
            NodeIndex::new(p.to as usize),
        );
        if dir.forward() {
            g.add_edge(a, b, ());
            edges_built += 1;
        }
        if dir.backward() {
            g.add_edge(b, a, ());
            edges_built += 1;
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&g);
    let largest = sccs
        .iter()
        .max_by(|a, b| {
            a.len().cmp(&b.len()).then_with(|| {
                // Ties: the component holding the lowest vertex index wins.
                let min = |c: &Vec<NodeIndex<u32>>| c.iter().map(|v| v.index()).min();
                min(b).cmp(&min(a))
            })
        })
        .filter(|c| !c.is_empty())?;
    let mut new_index = vec![u32::MAX; junctions.len()];
    let mut kept: Vec<usize> = largest.iter().map(|v| v.index()).collect();
    kept.sort_unstable();
    let mut parts = GraphParts::default();
    for (new, &old) in kept.iter().enumerate() {
        new_index[old] = new as u32;
        parts.junctions.push(junctions[old]);
    }
    let mut road_m = 0.0;
    for p in &raw_pieces {
        let (a, b) = (new_index[p.from as usize], new_index[p.to as usize]);
        if a == u32::MAX || b == u32::MAX {
            continue;
        }
        let way = &raw.ways[p.way];
        let coord_start = parts.coords.len() as u32;
        let mut cum = 0.0;
        for (k, c) in p.coords.iter().enumerate() {
            if k > 0 {
                cum += haversine_m(p.coords[k - 1], *c);
            }
            parts.coords.push(*c);
            parts.cum_m.push(cum);
        }
        road_m += cum;
        parts.pieces.push(Piece {
            way_id: way.id,
            from: a,
            to: b,
            coord_start,
            coord_len: p.coords.len() as u32,
            length_m: cum,
            speed_kmh: way.rule.speed_kmh,
            class: way.rule.class,
            direction: way.rule.direction,
        });
    }
    let edges_kept = parts
        .pieces
        .iter()
        .map(|p| u64::from(p.direction.forward()) + u64::from(p.direction.backward()))
        .sum();
    parts.summary = LoadSummary {
        read: raw.stats.clone(),
        junctions_built: junctions.len() as u64,
        edges_built,
        components_dropped: sccs.len() as u64 - 1,
        nodes_kept: parts.junctions.len() as u64,
        edges_kept,
        pieces_kept: parts.pieces.len() as u64,
        geometry_points: parts.coords.len() as u64,
        road_km: road_m / 1000.0,
    };
    Some(parts)
}
