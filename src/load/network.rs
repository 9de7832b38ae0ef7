//! Adapter: load a road network from an OSM PBF or a nearhome graph cache (`.nhg`).
//!
//! The cache holds, after the magic bytes `NHG\0`, a format version, the body length and a
//! checksum: the built graph parts (junctions, pieces, geometry, load summary) as flat
//! little-endian arrays, then the contraction hierarchy of each metric (ranks and arcs)
//! when it was built. The adjacency arrays and the snapping R-tree are rebuilt on load,
//! which is far cheaper than decoding and filtering the PBF; every index is checked.

use std::io::Cursor;

use rayon::prelude::*;
use std::path::Path;

use crate::error::Error;
use crate::index::ch::{Arc, Hierarchy};
use crate::index::cost::Cost;
use crate::index::graph::{GraphParts, Junction, Piece, RoadGraph};
use crate::index::snap::SnapIndex;
use crate::load::osm::read_network;
use crate::model::metric::Metric;
use crate::model::profile::{Direction, RoadClass};
use crate::model::LatLon;
use crate::query::route::{Hierarchies, Network};

const MAGIC: &[u8; 4] = b"NHG\0";
const VERSION: u32 = 5;

/// Build a network from PBF bytes. `label` names the source in errors.
///
/// # Errors
/// [`Error::Osm`] for unreadable data, [`Error::EmptyNetwork`] when no drivable road is left.
pub fn network_from_pbf(bytes: &[u8], label: &str) -> Result<Network, Error> {
    crate::load::osm::check_pbf_framing(bytes, label)?;
    // The decoder may still abort on damaged compressed data: report that as an error.
    let raw =
        std::panic::catch_unwind(|| read_network(Cursor::new(bytes), label)).map_err(|_| {
            Error::Osm {
                file: label.to_string(),
                message: "the decoder failed on damaged data".into(),
            }
        })??;
    let graph = RoadGraph::build(&raw).ok_or_else(|| Error::EmptyNetwork {
        file: label.to_string(),
    })?;
    Ok(Network::new(graph))
}

/// Serialise a network — graph parts and any hierarchies — into cache bytes.
///
/// # Errors
/// [`Error::Cache`] if encoding fails.
pub fn encode_cache(net: &Network) -> Result<Vec<u8>, Error> {
    let enc_err = |e: bincode::error::EncodeError| Error::Cache {
        file: "(encoding)".into(),
        message: e.to_string(),
    };
    let parts = net.graph.parts();
    let mut w = Writer::default();
    w.u64(parts.junctions.len() as u64);
    for j in &parts.junctions {
        w.i64(j.osm_id);
        w.f64(j.pos.lat);
        w.f64(j.pos.lon);
    }
    w.u64(parts.pieces.len() as u64);
    for p in &parts.pieces {
        w.i64(p.way_id);
        w.u32(p.from);
        w.u32(p.to);
        w.u32(p.coord_start);
        w.u32(p.coord_len);
        w.f64(p.length_m);
        w.f64(p.speed_kmh);
    }
    let kinds: Vec<(RoadClass, Direction)> = parts
        .pieces
        .iter()
        .map(|p| (p.class, p.direction))
        .collect();
    w.blob(&bincode::serde::encode_to_vec(&kinds, bincode::config::standard()).map_err(enc_err)?);
    w.u64(parts.coords.len() as u64);
    for (c, m) in parts.coords.iter().zip(&parts.cum_m) {
        w.f64(c.lat);
        w.f64(c.lon);
        w.f64(*m);
    }
    w.blob(
        &bincode::serde::encode_to_vec(&parts.summary, bincode::config::standard())
            .map_err(enc_err)?,
    );
    for metric in [Metric::Time, Metric::Distance] {
        // Each hierarchy is a length-prefixed section, so a reader can skip it.
        let mut hw = Writer::default();
        if let Some(h) = net.hierarchies.get(metric) {
            for &r in h.ranks() {
                hw.u32(r);
            }
            hw.u64(h.arcs().len() as u64);
            for a in h.arcs() {
                hw.u32(a.tail);
                hw.u32(a.head);
                hw.u64(a.cost.primary);
                hw.u64(a.cost.secondary);
                hw.u32(a.first);
                hw.u32(a.second);
            }
        }
        w.blob(&hw.0);
    }
    let body = w.0;
    let mut out = Vec::with_capacity(body.len() + 24);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// True when the bytes start like a graph cache.
pub fn is_cache(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Read a network from cache bytes.
///
/// # Errors
/// [`Error::Cache`] when the bytes are not a cache of this version or are corrupt.
pub fn network_from_cache(bytes: &[u8], label: &str) -> Result<Network, Error> {
    network_from_cache_for(bytes, label, &[Metric::Time, Metric::Distance])
}

/// Read a network from cache bytes with the hierarchies of `metrics` only (the others are
/// skipped unread: a time-only analysis need not pay for the distance hierarchy).
///
/// # Errors
/// [`Error::Cache`] when the bytes are not a cache of this version or are corrupt.
pub fn network_from_cache_for(
    bytes: &[u8],
    label: &str,
    metrics: &[Metric],
) -> Result<Network, Error> {
    let bad = |message: String| Error::Cache {
        file: label.to_string(),
        message,
    };
    if !is_cache(bytes) || bytes.len() < 8 {
        return Err(bad("missing NHG header".into()));
    }
    let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if version != VERSION {
        return Err(bad(format!(
            "format version {version}, this build reads {VERSION}: run `nearhome prepare` again"
        )));
    }
    let Some(head) = bytes.get(8..24) else {
        return Err(bad("truncated header".into()));
    };
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&head[..8]);
    let mut sum8 = [0u8; 8];
    sum8.copy_from_slice(&head[8..]);
    let body = &bytes[24..];
    if u64::from_le_bytes(len8) != body.len() as u64 {
        return Err(bad(format!(
            "truncated: body is {} bytes, header says {}",
            body.len(),
            u64::from_le_bytes(len8)
        )));
    }
    if u64::from_le_bytes(sum8) != checksum(body) {
        return Err(bad("checksum mismatch: the file is damaged".into()));
    }
    let (parts, stored) = decode_body(body, metrics).map_err(bad)?;
    validate_parts(&parts).map_err(bad)?;
    let graph = RoadGraph::from_parts(parts);
    let n_edges = graph.graph.edge_count();
    let n_nodes = graph.node_count();
    // The snapping grid and the hierarchies are independent: build them side by side.
    let (index, hierarchies) = rayon::join(
        || SnapIndex::build(&graph),
        || -> Result<Hierarchies, Error> {
            let mut hierarchies = Hierarchies::default();
            for (metric, stored) in stored {
                let Some((rank, arcs)) = stored else { continue };
                if rank.len() != n_nodes {
                    return Err(bad("hierarchy does not match the graph".into()));
                }
                let h = Hierarchy::from_parts(metric, rank, arcs, n_edges)
                    .map_err(|e| bad(e.to_string()))?;
                match metric {
                    Metric::Time => hierarchies.time = Some(h),
                    Metric::Distance => hierarchies.distance = Some(h),
                }
            }
            Ok(hierarchies)
        },
    );
    Ok(Network::with_index(graph, index).with_hierarchies(hierarchies?))
}

type StoredHierarchy = Option<(Vec<u32>, Vec<Arc>)>;

/// Decode the cache body: graph parts and the stored hierarchies (time, distance).
fn decode_body(
    body: &[u8],
    metrics: &[Metric],
) -> Result<(GraphParts, [(Metric, StoredHierarchy); 2]), String> {
    let dec = |e: bincode::error::DecodeError| format!("corrupt or truncated ({e})");
    let mut r = Reader { bytes: body, at: 0 };
    let mut parts = GraphParts::default();
    let nj = r.count(24)?;
    parts.junctions = r
        .records(nj, 24)?
        .par_chunks_exact(24)
        .map(|b| Junction {
            osm_id: i64_at(b, 0),
            pos: LatLon {
                lat: f64_at(b, 8),
                lon: f64_at(b, 16),
            },
        })
        .collect();
    let np = r.count(40)?;
    let raw: Vec<_> = r
        .records(np, 40)?
        .par_chunks_exact(40)
        .map(|b| {
            (
                i64_at(b, 0),
                [u32_at(b, 8), u32_at(b, 12), u32_at(b, 16), u32_at(b, 20)],
                f64_at(b, 24),
                f64_at(b, 32),
            )
        })
        .collect();
    let (kinds, _): (Vec<(RoadClass, Direction)>, usize) =
        bincode::serde::decode_from_slice(r.blob()?, bincode::config::standard()).map_err(dec)?;
    if kinds.len() != np {
        return Err("piece kinds do not match the pieces".into());
    }
    parts.pieces = raw
        .into_iter()
        .zip(kinds)
        .map(
            |(
                (way_id, [from, to, coord_start, coord_len], length_m, speed_kmh),
                (class, direction),
            )| Piece {
                way_id,
                from,
                to,
                coord_start,
                coord_len,
                length_m,
                speed_kmh,
                class,
                direction,
            },
        )
        .collect();
    let nc = r.count(24)?;
    let coords = r.records(nc, 24)?;
    parts.coords = coords
        .par_chunks_exact(24)
        .map(|b| LatLon {
            lat: f64_at(b, 0),
            lon: f64_at(b, 8),
        })
        .collect();
    parts.cum_m = coords.par_chunks_exact(24).map(|b| f64_at(b, 16)).collect();
    (parts.summary, _) =
        bincode::serde::decode_from_slice(r.blob()?, bincode::config::standard()).map_err(dec)?;
    let mut stored = [(Metric::Time, None), (Metric::Distance, None)];
    for slot in &mut stored {
        let section = r.blob()?;
        if section.is_empty() || !metrics.contains(&slot.0) {
            continue;
        }
        slot.1 = Some(decode_hierarchy(section, nj)?);
    }
    if r.at != body.len() {
        return Err("trailing bytes after the last section".into());
    }
    Ok((parts, stored))
}

/// One hierarchy section: a rank per junction, then the arcs (decoded in parallel).
fn decode_hierarchy(section: &[u8], nj: usize) -> Result<(Vec<u32>, Vec<Arc>), String> {
    let mut r = Reader {
        bytes: section,
        at: 0,
    };
    let ranks = section
        .get(..nj * 4)
        .ok_or("corrupt or truncated (hierarchy ranks)")?;
    let rank: Vec<u32> = ranks.par_chunks_exact(4).map(|b| u32_at(b, 0)).collect();
    r.at = nj * 4;
    let na = r.count(32)?;
    let body = &section[r.at..];
    if body.len() != na * 32 {
        return Err("corrupt or truncated (hierarchy arcs)".into());
    }
    let arcs = body
        .par_chunks_exact(32)
        .map(|b| Arc {
            tail: u32_at(b, 0),
            head: u32_at(b, 4),
            cost: Cost {
                primary: u64_at(b, 8),
                secondary: u64_at(b, 16),
            },
            first: u32_at(b, 24),
            second: u32_at(b, 28),
        })
        .collect();
    Ok((rank, arcs))
}

// Fixed-width little-endian fields of a record whose length was checked by `Reader`.
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from(u32_at(b, i)) | (u64::from(u32_at(b, i + 4)) << 32)
}
fn i64_at(b: &[u8], i: usize) -> i64 {
    u64_at(b, i) as i64
}
fn f64_at(b: &[u8], i: usize) -> f64 {
    f64::from_bits(u64_at(b, i))
}

/// Little-endian writer for the cache body.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn blob(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
}

/// Bounds-checked little-endian reader over the cache body.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at.checked_add(N).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err("corrupt or truncated (section runs past the end)".into());
        };
        let mut b = [0u8; N];
        b.copy_from_slice(&self.bytes[self.at..end]);
        self.at = end;
        Ok(b)
    }
    fn u64(&mut self) -> Result<u64, String> {
        self.take::<8>().map(u64::from_le_bytes)
    }
    /// A record count, checked against the bytes left (`size` bytes a record).
    fn count(&mut self, size: usize) -> Result<usize, String> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(size as u64) > left {
            return Err("corrupt or truncated (count larger than the file)".into());
        }
        Ok(n as usize)
    }
    /// `n` records of `size` bytes (the count was checked by [`Reader::count`]).
    fn records(&mut self, n: usize, size: usize) -> Result<&'a [u8], String> {
        let end = self.at + n * size;
        let b = self
            .bytes
            .get(self.at..end)
            .ok_or("corrupt or truncated (records run past the end)")?;
        self.at = end;
        Ok(b)
    }
    fn blob(&mut self) -> Result<&'a [u8], String> {
        let n = self.count(1)?;
        let b = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(b)
    }
}

/// A cheap checksum against damaged cache files (not a security measure): FNV-1a over
/// little-endian 8-byte words (the tail byte by byte), fast enough for a 200 MB cache.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h ^= u64::from_le_bytes(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    for &b in words.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Check the indexes inside cache parts so that a damaged file cannot cause a panic later.
fn validate_parts(p: &GraphParts) -> Result<(), String> {
    let nj = p.junctions.len() as u64;
    if p.coords.len() != p.cum_m.len() {
        return Err("coordinate and length arrays differ in size".into());
    }
    if p.coords
        .iter()
        .any(|c| crate::model::LatLon::new(c.lat, c.lon).is_err())
        || p.cum_m.iter().any(|v| !v.is_finite())
    {
        return Err("non-finite or out-of-range coordinate".into());
    }
    if p.pieces.is_empty() {
        return Err("no road pieces".into());
    }
    for (i, pc) in p.pieces.iter().enumerate() {
        let end = u64::from(pc.coord_start) + u64::from(pc.coord_len);
        if u64::from(pc.from) >= nj
            || u64::from(pc.to) >= nj
            || pc.coord_len < 2
            || end > p.coords.len() as u64
            || !(pc.speed_kmh.is_finite() && pc.speed_kmh > 0.0)
        {
            return Err(format!("piece {i} is inconsistent"));
        }
    }
    Ok(())
}

/// Load a network from a file: a graph cache when it starts with the cache header,
/// otherwise an OSM PBF.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read (with a hint when it is missing), or the
/// errors of [`network_from_pbf`] / [`network_from_cache`].
pub fn load_network(path: &Path) -> Result<Network, Error> {
    load_network_for(path, &[Metric::Time, Metric::Distance])
}

/// [`load_network`] with the hierarchies of `metrics` only, when the file is a cache.
///
/// # Errors
/// As [`load_network`].
pub fn load_network_for(path: &Path, metrics: &[Metric]) -> Result<Network, Error> {
    let bytes = std::fs::read(path).map_err(|io| Error::Io {
        path: path.to_path_buf(),
        io,
    })?;
    let label = path.display().to_string();
    if is_cache(&bytes) {
        network_from_cache_for(&bytes, &label, metrics)
    } else {
        network_from_pbf(&bytes, &label)
    }
}
