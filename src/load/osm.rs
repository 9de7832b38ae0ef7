//! Adapter: OpenStreetMap PBF bytes -> [`RawNetwork`] (drivable ways and their nodes) and,
//! for the map, [`Extract`] (the roads, their names, named places, water and land use).
//!
//! Two passes over the PBF (ways, then only the nodes those ways use) keep memory low on
//! county and regional extracts. Ways are sorted by OSM id so that the graph built from
//! them does not depend on block order or threads.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

use osmpbfreader::OsmPbfReader;

use crate::error::Error;
use crate::load::land::LandCollector;
use crate::model::land::Land;
use crate::model::place::{parse_population, sort_places, Place, PlaceKind};
use crate::model::profile::{car_profile, Excluded};
use crate::model::road_names::{label_of, RoadNames};
use crate::model::LatLon;

pub use crate::index::graph::{RawNetwork, RawWay, ReadStats};

/// Read the drivable network from PBF data. `label` names the source in errors.
///
/// # Errors
/// [`Error::Osm`] when the data is not a readable PBF (truncated, corrupt, not PBF).
pub fn read_network<R: Read + Seek>(reader: R, label: &str) -> Result<RawNetwork, Error> {
    read_networks(vec![(reader, label.to_string())])
}

/// Read the drivable network of several PBF extracts as one (an authority's county and
/// the neighbours it places pupils in), merged by OSM id: extracts overlap at their
/// borders and share ids, so a way in several files is read once — the copy with the most
/// node references, the first file's on a tie — and a node's position is the first file's.
/// Counts are of distinct ways; `ways_in_several_files` says how many were merged.
///
/// # Errors
/// [`Error::Osm`] naming the file when one is not a readable PBF.
pub fn read_networks<R: Read + Seek>(sources: Vec<(R, String)>) -> Result<RawNetwork, Error> {
    read(sources, false).map(|e| e.roads)
}

/// What the map needs of the extracts besides their roads.
#[derive(Debug, Clone, Default)]
pub struct Extract {
    /// The drivable network, as [`read_networks`] reads it.
    pub roads: RawNetwork,
    /// The named places (`place=*` nodes of a kept [`PlaceKind`] with a `name`; a node in
    /// several files once, the first file's), ordered by [`sort_places`].
    pub places: Vec<Place>,
    /// Water and land use (see [`crate::load::land`]).
    pub land: Land,
    /// The drivable ways' labels (`name`, else `ref`), the map's street names.
    pub road_names: RoadNames,
}

/// [`read_networks`], and the extracts' named places, road names, water and land use, read
/// in the same passes (relations first, for the multipolygons the land use needs; then ways;
/// then nodes).
///
/// # Errors
/// As [`read_networks`].
pub fn read_extracts<R: Read + Seek>(sources: Vec<(R, String)>) -> Result<Extract, Error> {
    read(sources, true)
}

/// The passes: roads always, the map's places and land when `map`.
fn read<R: Read + Seek>(sources: Vec<(R, String)>, map: bool) -> Result<Extract, Error> {
    let osm_err = |label: &str, e: osmpbfreader::Error| Error::Osm {
        file: label.to_string(),
        message: e.to_string(),
    };
    let mut stats = ReadStats {
        files: sources.len() as u64,
        ..ReadStats::default()
    };
    let mut pbfs: Vec<(OsmPbfReader<R>, String)> = sources
        .into_iter()
        .map(|(r, label)| (OsmPbfReader::new(r), label))
        .collect();
    let mut land = LandCollector::default();
    if map {
        for (pbf, label) in &mut pbfs {
            for rel in pbf.par_iter_relations() {
                land.relation(&rel.map_err(|e| osm_err(label, e))?);
            }
            pbf.rewind().map_err(|e| osm_err(label, e))?;
        }
    }
    let mut by_id: HashMap<i64, RawWay> = HashMap::new();
    let mut names: Vec<(i64, String)> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    for (pbf, label) in &mut pbfs {
        for way in pbf.iter_ways() {
            let way = way.map_err(|e| osm_err(label, e))?;
            if map {
                land.way(&way);
            }
            if !seen.insert(way.id.0) {
                stats.ways_in_several_files += 1;
                if let Some(kept) = by_id.get_mut(&way.id.0) {
                    if way.nodes.len() > kept.nodes.len() {
                        kept.nodes = way.nodes.iter().map(|n| n.0).collect();
                    }
                }
                continue;
            }
            if let Some(w) = classify_way(&way, &mut stats) {
                if map {
                    if let Some(label) = label_of(|k| way.tags.get(k).map(|v| v.as_str())) {
                        names.push((w.id, label.to_string()));
                    }
                }
                by_id.insert(w.id, w);
            }
        }
    }
    let mut ways: Vec<RawWay> = by_id.into_values().collect();
    ways.sort_by_key(|w| w.id);
    let wanted: HashSet<i64> = ways.iter().flat_map(|w| w.nodes.iter().copied()).collect();
    let mut nodes = HashMap::with_capacity(wanted.len());
    let mut places: HashMap<i64, Place> = HashMap::new();
    let land_wants = land.wants();
    let mut land_nodes = HashMap::with_capacity(land_wants.len());
    for (pbf, label) in &mut pbfs {
        pbf.rewind().map_err(|e| osm_err(label, e))?;
        for node in pbf.iter_nodes() {
            let node = node.map_err(|e| osm_err(label, e))?;
            if let Some(place) = map.then(|| place_of(&node)).flatten() {
                places.entry(place.osm_id).or_insert(place);
            }
            let at = || LatLon {
                lat: node.lat(),
                lon: node.lon(),
            };
            if wanted.contains(&node.id.0) {
                nodes.entry(node.id.0).or_insert_with(at);
            }
            if land_wants.contains(&node.id.0) {
                land_nodes.entry(node.id.0).or_insert_with(at);
            }
        }
    }
    let land = land.finish(&land_nodes);
    for w in &ways {
        let missing = w.nodes.iter().filter(|n| !nodes.contains_key(n)).count() as u64;
        if missing > 0 {
            stats.ways_with_missing_nodes += 1;
            stats.missing_node_refs += missing;
        }
    }
    for (pbf, label) in &mut pbfs {
        pbf.rewind().map_err(|e| osm_err(label, e))?;
        if let Some(why) = ends_early(pbf, label)? {
            stats.suspected_truncation.push(why);
        }
    }
    if let Some(why) = many_missing_nodes(&stats) {
        stats.suspected_truncation.push(why);
    }
    let mut places: Vec<Place> = places.into_values().collect();
    sort_places(&mut places);
    Ok(Extract {
        roads: RawNetwork { ways, nodes, stats },
        places,
        land,
        road_names: RoadNames::from_pairs(names),
    })
}

/// The named place a node is, if any: `place` of a kept kind, a non-empty `name`, a valid
/// position.
fn place_of(node: &osmpbfreader::Node) -> Option<Place> {
    let kind = PlaceKind::parse(node.tags.get("place")?.as_str())?;
    let name = node.tags.get("name")?.trim();
    if name.is_empty() {
        return None;
    }
    let pos = LatLon::new(node.lat(), node.lon()).ok()?;
    Some(Place {
        osm_id: node.id.0,
        name: name.to_string(),
        kind,
        population: node
            .tags
            .get("population")
            .and_then(|v| parse_population(v)),
        pos,
    })
}

/// An OpenStreetMap extract is written nodes, then ways, then relations: one whose last
/// block holds ways or nodes but no relation was most likely cut at a block boundary (which
/// parses cleanly). Reads the blocks' bytes again but decodes only the last one.
fn ends_early<R: Read + Seek>(
    pbf: &mut OsmPbfReader<R>,
    label: &str,
) -> Result<Option<String>, Error> {
    let osm_err = |e: osmpbfreader::Error| Error::Osm {
        file: label.to_string(),
        message: e.to_string(),
    };
    let mut last = None;
    let mut blocks = 0u64;
    for blob in pbf.blobs() {
        last = Some(blob.map_err(osm_err)?);
        blocks += 1;
    }
    let Some(blob) = last else {
        return Ok(None);
    };
    let block = osmpbfreader::primitive_block_from_blob(&blob).map_err(osm_err)?;
    let groups = &block.primitivegroup;
    let relations = groups.iter().any(|g| !g.relations.is_empty());
    let other = groups
        .iter()
        .any(|g| !g.ways.is_empty() || !g.nodes.is_empty() || g.dense.is_some());
    Ok((other && !relations && blocks > 1).then(|| {
        format!(
            "{label} may be cut short: its last block (of {blocks}) holds no relations, and an \
             OpenStreetMap extract ends with its relations, so roads after a cut would be \
             missing; unless the file was filtered to roads (which drops relations), download \
             it again and compare its size"
        )
    }))
}

/// Many drivable ways referencing nodes absent from the file (more than 1 %): an extract
/// cut inside its nodes, or clipped without complete ways.
fn many_missing_nodes(stats: &ReadStats) -> Option<String> {
    let share = stats.ways_with_missing_nodes as f64 / stats.drivable_ways.max(1) as f64;
    (stats.ways_with_missing_nodes > 0 && share > 0.01).then(|| {
        format!(
            "{} of {} drivable ways ({:.1} %) reference nodes missing from the extract: it may \
             be cut short, or clipped without complete ways; those roads are broken where the \
             nodes are missing",
            stats.ways_with_missing_nodes,
            stats.drivable_ways,
            100.0 * share
        )
    })
}

/// Count a way read for the first time and, when the car profile keeps it, return it.
fn classify_way(way: &osmpbfreader::Way, stats: &mut ReadStats) -> Option<RawWay> {
    stats.ways_read += 1;
    let tags = &way.tags;
    if !tags.contains_key("highway") {
        return None;
    }
    stats.highway_ways += 1;
    match car_profile(|k| tags.get(k).map(|v| v.as_str())) {
        Ok(rule) => {
            stats.drivable_ways += 1;
            Some(RawWay {
                id: way.id.0,
                nodes: way.nodes.iter().map(|n| n.0).collect(),
                rule,
            })
        }
        Err(e) => {
            *match e {
                Excluded::Area => &mut stats.excluded_area,
                Excluded::NoAccess => &mut stats.excluded_access,
                Excluded::Reversible => &mut stats.excluded_reversible,
                Excluded::NotARoad => &mut stats.excluded_highway_value,
            } += 1;
            None
        }
    }
}

/// Check the PBF's block framing before decoding: each block is a 4-byte big-endian header
/// length, a `BlobHeader` (whose field 3 is the blob's size) and the blob. A file cut short
/// or with a damaged frame is reported here (the decoder would otherwise abort on it).
///
/// # Errors
/// [`Error::Osm`] naming `label` and the byte offset of the bad frame.
pub fn check_pbf_framing(bytes: &[u8], label: &str) -> Result<(), Error> {
    let bad = |offset: usize, what: &str| Error::Osm {
        file: label.to_string(),
        message: format!("{what} at byte {offset} (file truncated or corrupt)"),
    };
    if bytes.is_empty() {
        return Err(bad(0, "empty file"));
    }
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some(len_bytes) = bytes.get(pos..pos + 4) else {
            return Err(bad(pos, "incomplete block length"));
        };
        let header_len =
            u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
        if header_len == 0 || header_len > 64 * 1024 {
            return Err(bad(pos, "implausible block header length"));
        }
        let start = pos + 4;
        let Some(header) = bytes.get(start..start + header_len) else {
            return Err(bad(pos, "incomplete block header"));
        };
        let Some(datasize) = blob_datasize(header) else {
            return Err(bad(pos, "block header without a data size"));
        };
        if datasize > 32 * 1024 * 1024 {
            return Err(bad(pos, "implausible block size"));
        }
        let end = start + header_len + datasize;
        if end > bytes.len() {
            return Err(bad(pos, "incomplete block"));
        }
        pos = end;
    }
    Ok(())
}

/// Field 3 (`datasize`, varint) of a protobuf `BlobHeader`.
fn blob_datasize(mut b: &[u8]) -> Option<usize> {
    fn varint(b: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut size = None;
    while !b.is_empty() {
        let key = varint(&mut b)?;
        match (key >> 3, key & 7) {
            (3, 0) => size = Some(usize::try_from(varint(&mut b)?).ok()?),
            (_, 0) => {
                varint(&mut b)?;
            }
            (_, 2) => {
                let n = usize::try_from(varint(&mut b)?).ok()?;
                b = b.get(n..)?;
            }
            (_, 1) => b = b.get(8..)?,
            (_, 5) => b = b.get(4..)?,
            _ => return None,
        }
    }
    size
}
