//! Adapter: load a road network from an OSM PBF or a nearhome graph cache (`.nhg`, see
//! [`crate::load::cache`] for its format).

use std::io::Cursor;
use std::path::Path;

use crate::error::Error;
use crate::index::graph::RoadGraph;
pub use crate::load::cache::{encode_cache, is_cache, save_cache};
use crate::load::cache::{is_cache_file, read_cache, Source};
use crate::load::osm::read_network;
use crate::model::metric::Metric;
use crate::query::route::Network;

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

/// Read a network from cache bytes, with both hierarchies when stored.
///
/// # Errors
/// [`Error::Cache`] when the bytes are not a cache of this version or are corrupt.
pub fn network_from_cache(bytes: &[u8], label: &str) -> Result<Network, Error> {
    read_cache(
        Source::Bytes(bytes),
        label,
        &[Metric::Time, Metric::Distance],
    )
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
    let io = |io| Error::Io {
        path: path.to_path_buf(),
        io,
    };
    let label = path.display().to_string();
    if is_cache_file(path).map_err(io)? {
        return read_cache(Source::File(path), &label, metrics);
    }
    let bytes = std::fs::read(path).map_err(io)?;
    network_from_pbf(&bytes, &label)
}
