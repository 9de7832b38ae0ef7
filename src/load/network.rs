//! Adapter: load a road network from an OSM PBF or a nearhome graph cache (`.nhg`, see
//! [`crate::load::cache`] for its format).

use std::io::Cursor;
use std::path::Path;

use crate::error::Error;
use crate::index::graph::RoadGraph;
pub use crate::load::cache::{encode_cache, is_cache, save_cache};
use crate::load::cache::{is_cache_file, read_cache, Source};
use crate::load::osm::read_extracts;
use crate::model::metric::Metric;
use crate::query::route::Network;

/// Build a network from PBF bytes. `label` names the source in errors.
///
/// # Errors
/// [`Error::Osm`] for unreadable data, [`Error::EmptyNetwork`] when no drivable road is left.
pub fn network_from_pbf(bytes: &[u8], label: &str) -> Result<Network, Error> {
    network_from_pbfs(&[(bytes, label)])
}

/// Build one network from several PBF extracts (bytes and label each), merged by OSM
/// node and way id, with their named places, road names, water and land use (see [`read_extracts`]).
///
/// # Errors
/// [`Error::Osm`] naming the file that is unreadable, [`Error::EmptyNetwork`] when no
/// drivable road is left.
pub fn network_from_pbfs(files: &[(&[u8], &str)]) -> Result<Network, Error> {
    for (bytes, label) in files {
        crate::load::osm::check_pbf_framing(bytes, label)?;
    }
    let labels: Vec<&str> = files.iter().map(|f| f.1).collect();
    let sources: Vec<_> = files
        .iter()
        .map(|(bytes, label)| (Cursor::new(*bytes), label.to_string()))
        .collect();
    // The decoder may still abort on damaged compressed data: report that as an error.
    let extract =
        std::panic::catch_unwind(|| read_extracts(sources)).map_err(|_| Error::Osm {
            file: labels.join(" + "),
            message: "the decoder failed on damaged data".into(),
        })??;
    let graph = RoadGraph::build(&extract.roads).ok_or_else(|| Error::EmptyNetwork {
        file: labels.join(" + "),
    })?;
    let mut net = Network::new(graph);
    net.places = extract.places;
    net.land = std::sync::Arc::new(extract.land);
    net.road_names = std::sync::Arc::new(extract.road_names);
    Ok(net)
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
    let named_cache = path.extension().is_some_and(|e| e == "nhg");
    if named_cache || is_cache_file(path).map_err(io)? {
        // a `.nhg` that does not start like a cache (e.g. emptied by a killed writer) is a
        // damaged cache, not a damaged PBF
        return read_cache(Source::File(path), &label, metrics);
    }
    let bytes = crate::load::bounded::read_bounded(path, crate::load::bounded::MAX_PBF_BYTES)
        .map_err(io)?;
    network_from_pbf(&bytes, &label)
}

/// Load one network from several files: a single file as [`load_network`]; several PBF
/// extracts merged into one graph (a graph cache cannot be merged).
///
/// # Errors
/// [`Error::Io`] naming a file that cannot be read, [`Error::Osm`] for a cache in a list,
/// or the errors of [`network_from_pbfs`].
pub fn load_networks(paths: &[std::path::PathBuf], metrics: &[Metric]) -> Result<Network, Error> {
    if let [one] = paths {
        return load_network_for(one, metrics);
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = crate::load::bounded::read_bounded(path, crate::load::bounded::MAX_PBF_BYTES)
            .map_err(|io| Error::Io {
            path: path.to_path_buf(),
            io,
        })?;
        if is_cache(&bytes) {
            return Err(Error::Osm {
                file: path.display().to_string(),
                message: "a graph cache (.nhg) cannot be merged with other extracts: list the \
                          .osm.pbf files"
                    .into(),
            });
        }
        files.push((bytes, path.display().to_string()));
    }
    let refs: Vec<(&[u8], &str)> = files
        .iter()
        .map(|(b, l)| (b.as_slice(), l.as_str()))
        .collect();
    network_from_pbfs(&refs)
}
