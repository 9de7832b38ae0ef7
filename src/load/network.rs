//! Adapter: load a road network from an OSM PBF or a nearhome graph cache (`.nhg`).
//!
//! The cache holds the built graph parts (junctions, pieces, geometry, load summary) after
//! the magic bytes `NHG\0` and a format version; the adjacency arrays and the snapping
//! R-tree are rebuilt on load, which is far cheaper than decoding and filtering the PBF.

use std::io::Cursor;
use std::path::Path;

use crate::error::Error;
use crate::index::graph::{GraphParts, RoadGraph};
use crate::load::osm::read_network;
use crate::query::route::Network;

const MAGIC: &[u8; 4] = b"NHG\0";
const VERSION: u32 = 2;

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

/// Serialise a network's graph into cache bytes.
///
/// # Errors
/// [`Error::Cache`] if encoding fails.
pub fn encode_cache(net: &Network) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let body = bincode::serde::encode_to_vec(net.graph.parts(), bincode::config::standard())
        .map_err(|e| Error::Cache {
            file: "(encoding)".into(),
            message: e.to_string(),
        })?;
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a64(&body).to_le_bytes());
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
    if u64::from_le_bytes(sum8) != fnv1a64(body) {
        return Err(bad("checksum mismatch: the file is damaged".into()));
    }
    let (parts, _): (GraphParts, usize) =
        bincode::serde::decode_from_slice(body, bincode::config::standard())
            .map_err(|e| bad(format!("corrupt or truncated ({e})")))?;
    validate_parts(&parts).map_err(bad)?;
    Ok(Network::new(RoadGraph::from_parts(parts)))
}

/// FNV-1a, 64-bit: a cheap checksum against damaged cache files (not a security measure).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
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
    let bytes = std::fs::read(path).map_err(|io| Error::Io {
        path: path.to_path_buf(),
        io,
    })?;
    let label = path.display().to_string();
    if is_cache(&bytes) {
        network_from_cache(&bytes, &label)
    } else {
        network_from_pbf(&bytes, &label)
    }
}
