//! Adapter: the water and land use of an OpenStreetMap extract (see [`crate::model::land`]),
//! gathered in the same passes that read the roads ([`crate::load::osm`]).
//!
//! - relations first: `type=multipolygon` relations with a [`LandKind`] and the ways they
//!   use (role `outer` or empty, and `inner`);
//! - then ways: closed ways (at least four nodes, first repeated last) with a [`LandKind`],
//!   `waterway=river|canal|stream` lines, and the relations' member ways;
//! - then the nodes all of those use.
//!
//! A relation's rings are assembled by joining its member ways end to end (either way
//! round) until each ring closes; a ring that does not close is left out and counted, and
//! a relation with no closed outer ring is left out and counted. Each inner ring becomes a
//! hole of the first outer ring that holds it. An area or waterway with a node missing
//! from the extract is left out and counted. Ids are read in OSM order, so the result does
//! not depend on block order; in several files an id is read once, the first file's.

use std::collections::{BTreeMap, HashMap, HashSet};

use geo::{Contains, Coord, LineString, Point, Polygon};

use crate::model::land::{Land, LandArea, LandCounts, LandKind, Waterway, WaterwayKind};
use crate::model::LatLon;

/// A multipolygon relation kept for assembly.
#[derive(Debug)]
struct Multipolygon {
    kind: LandKind,
    outer: Vec<i64>,
    inner: Vec<i64>,
}

/// Gathers the land features while the roads are read (see the module docs for the order).
#[derive(Debug, Default)]
pub struct LandCollector {
    relations: BTreeMap<i64, Multipolygon>,
    member_ways: HashSet<i64>,
    members: HashMap<i64, Vec<i64>>,
    areas: BTreeMap<i64, (LandKind, Vec<i64>)>,
    waterways: BTreeMap<i64, (WaterwayKind, Option<String>, Vec<i64>)>,
}

fn is_closed(nodes: &[i64]) -> bool {
    nodes.len() >= 4 && nodes.first() == nodes.last()
}

impl LandCollector {
    /// Note a relation (first pass): kept when it is a multipolygon with a [`LandKind`].
    pub fn relation(&mut self, rel: &osmpbfreader::Relation) {
        let tags = &rel.tags;
        if tags.get("type").map(|v| v.as_str()) != Some("multipolygon")
            || self.relations.contains_key(&rel.id.0)
        {
            return;
        }
        let Some(kind) = LandKind::of(|k| tags.get(k).map(|v| v.as_str())) else {
            return;
        };
        let mut mp = Multipolygon {
            kind,
            outer: Vec::new(),
            inner: Vec::new(),
        };
        for r in &rel.refs {
            let osmpbfreader::OsmId::Way(w) = r.member else {
                continue;
            };
            match r.role.as_str() {
                "outer" | "" => mp.outer.push(w.0),
                "inner" => mp.inner.push(w.0),
                _ => continue,
            }
            self.member_ways.insert(w.0);
        }
        if !mp.outer.is_empty() {
            self.relations.insert(rel.id.0, mp);
        }
    }

    /// Note a way (second pass): an area, a waterway, or a relation's member.
    pub fn way(&mut self, way: &osmpbfreader::Way) {
        let id = way.id.0;
        let nodes = || way.nodes.iter().map(|n| n.0).collect::<Vec<i64>>();
        if self.member_ways.contains(&id) && !self.members.contains_key(&id) {
            self.members.insert(id, nodes());
        }
        let tags = &way.tags;
        let get = |k: &str| tags.get(k).map(|v| v.as_str());
        if let Some(kind) = get("waterway").and_then(WaterwayKind::parse) {
            if way.nodes.len() >= 2 && !self.waterways.contains_key(&id) {
                let name = get("name")
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                self.waterways.insert(id, (kind, name, nodes()));
            }
            return;
        }
        if let Some(kind) = LandKind::of(get) {
            let ns = nodes();
            if is_closed(&ns) && !self.areas.contains_key(&id) {
                self.areas.insert(id, (kind, ns));
            }
        }
    }

    /// Whether a node is used by a gathered feature (third pass).
    pub fn wants(&self) -> HashSet<i64> {
        let mut w = HashSet::new();
        for (_, ns) in self.areas.values() {
            w.extend(ns.iter().copied());
        }
        for (_, _, ns) in self.waterways.values() {
            w.extend(ns.iter().copied());
        }
        for ns in self.members.values() {
            w.extend(ns.iter().copied());
        }
        w
    }

    /// The areas and waterways with their nodes' positions (`nodes` must hold every node
    /// [`LandCollector::wants`]; those it lacks leave their feature out, counted).
    pub fn finish(self, nodes: &HashMap<i64, LatLon>) -> Land {
        let mut counts = LandCounts::default();
        let points = |ids: &[i64]| -> Option<Vec<LatLon>> {
            ids.iter().map(|n| nodes.get(n).copied()).collect()
        };
        let mut areas = Vec::new();
        for (kind, ns) in self.areas.values() {
            match points(ns) {
                Some(ring) => {
                    counts.area_ways += 1;
                    areas.push(LandArea {
                        kind: *kind,
                        polygons: vec![vec![ring]],
                    });
                }
                None => counts.missing_nodes += 1,
            }
        }
        for mp in self.relations.values() {
            let parts = |ids: &[i64]| -> Vec<Vec<i64>> {
                ids.iter()
                    .filter_map(|w| self.members.get(w).cloned())
                    .collect()
            };
            let (outer, open_outer) = assemble_rings(parts(&mp.outer));
            let (inner, open_inner) = assemble_rings(parts(&mp.inner));
            counts.rings_unclosed += open_outer + open_inner;
            let Some(outer) = outer.iter().map(|r| points(r)).collect::<Option<Vec<_>>>() else {
                counts.missing_nodes += 1;
                continue;
            };
            let Some(inner) = inner.iter().map(|r| points(r)).collect::<Option<Vec<_>>>() else {
                counts.missing_nodes += 1;
                continue;
            };
            if outer.is_empty() {
                counts.multipolygons_unclosed += 1;
                continue;
            }
            let (polygons, outside) = with_holes(outer, inner);
            counts.holes_outside += outside;
            counts.multipolygons += 1;
            areas.push(LandArea {
                kind: mp.kind,
                polygons,
            });
        }
        let mut waterways = Vec::new();
        for (kind, name, ns) in self.waterways.values() {
            match points(ns) {
                Some(line) => waterways.push(Waterway {
                    kind: *kind,
                    name: name.clone(),
                    line,
                }),
                None => counts.missing_nodes += 1,
            }
        }
        counts.waterways = waterways.len() as u64;
        Land {
            areas,
            waterways,
            counts,
        }
    }
}

/// Join ways (node id lists) end to end, either way round, into closed rings: the rings
/// and how many chains did not close (left out). Deterministic: ways are taken in order.
///
/// # Examples
/// ```
/// use nearhome::load::land::assemble_rings;
/// // a square from two halves, one of them reversed, and a loose end
/// let (rings, open) = assemble_rings(vec![vec![1, 2, 3], vec![1, 4, 3], vec![7, 8]]);
/// assert_eq!(rings, vec![vec![1, 2, 3, 4, 1]]);
/// assert_eq!(open, 1);
/// ```
pub fn assemble_rings(ways: Vec<Vec<i64>>) -> (Vec<Vec<i64>>, u64) {
    let mut rest: Vec<Vec<i64>> = ways.into_iter().filter(|w| w.len() >= 2).collect();
    rest.reverse();
    let mut rings = Vec::new();
    let mut open = 0u64;
    while let Some(mut ring) = rest.pop() {
        loop {
            if is_closed(&ring) {
                rings.push(ring);
                break;
            }
            let (Some(&first), Some(&end)) = (ring.first(), ring.last()) else {
                break;
            };
            if first == end {
                // closed but too short to be an area
                open += 1;
                break;
            }
            let next = rest
                .iter()
                .rposition(|w| w.first() == Some(&end) || w.last() == Some(&end));
            let Some(i) = next else {
                open += 1;
                break;
            };
            let mut w = rest.remove(i);
            if w.first() != Some(&end) {
                w.reverse();
            }
            ring.extend(w.into_iter().skip(1));
        }
    }
    (rings, open)
}

fn polygon(ring: &[LatLon]) -> Polygon<f64> {
    Polygon::new(
        LineString::from(
            ring.iter()
                .map(|p| Coord { x: p.lon, y: p.lat })
                .collect::<Vec<_>>(),
        ),
        vec![],
    )
}

/// Each outer ring with the inner rings it holds (by an inner ring's first point): the
/// polygons, and how many inner rings no outer ring holds (left out).
fn with_holes(outer: Vec<Vec<LatLon>>, inner: Vec<Vec<LatLon>>) -> (Vec<Vec<Vec<LatLon>>>, u64) {
    let shapes: Vec<Polygon<f64>> = outer.iter().map(|r| polygon(r)).collect();
    let mut polygons: Vec<Vec<Vec<LatLon>>> = outer.into_iter().map(|r| vec![r]).collect();
    let mut outside = 0u64;
    for hole in inner {
        let Some(p) = hole.first() else { continue };
        let at = Point::new(p.lon, p.lat);
        match shapes.iter().position(|s| s.contains(&at)) {
            Some(i) => polygons[i].push(hole),
            None => outside += 1,
        }
    }
    (polygons, outside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_close_from_pieces_in_any_order_and_direction() {
        let (rings, open) = assemble_rings(vec![vec![3, 4, 1], vec![1, 2], vec![3, 2]]);
        assert_eq!(open, 0);
        assert_eq!(rings.len(), 1);
        let r = &rings[0];
        assert!(is_closed(r) && r.len() == 5, "{r:?}");
        // an already closed way is a ring by itself
        let (rings, open) = assemble_rings(vec![vec![5, 6, 7, 5], vec![1, 2, 3]]);
        assert_eq!((rings, open), (vec![vec![5, 6, 7, 5]], 1));
        // two points back and forth never make an area
        let (rings, open) = assemble_rings(vec![vec![1, 2], vec![2, 1]]);
        assert!(rings.is_empty());
        assert_eq!(open, 1);
    }

    #[test]
    fn holes_go_to_the_ring_that_holds_them() {
        let ll = |lat: f64, lon: f64| LatLon { lat, lon };
        let square = |x0: f64, y0: f64, s: f64| {
            vec![
                ll(y0, x0),
                ll(y0, x0 + s),
                ll(y0 + s, x0 + s),
                ll(y0 + s, x0),
                ll(y0, x0),
            ]
        };
        let (polys, outside) = with_holes(
            vec![square(0.0, 0.0, 1.0), square(5.0, 5.0, 1.0)],
            vec![square(5.2, 5.2, 0.1), square(9.0, 9.0, 0.1)],
        );
        assert_eq!(outside, 1);
        assert_eq!(polys[0].len(), 1);
        assert_eq!(polys[1].len(), 2);
    }
}
