//! Library error type for loading inputs and building the road network.
//!
//! Per-item outcomes (an unsnappable point, an unreachable pair) are data, not errors:
//! see [`crate::index::snap::SnapFailure`] and the `Option`s of [`crate::query::route`].

use std::path::PathBuf;

/// Errors from loading inputs or building the network. Messages name the bad input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {io}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error (kept in the message, not chained, so it prints once).
        io: std::io::Error,
    },
    /// The OSM extract could not be decoded (missing, truncated or corrupt PBF).
    #[error("{file}: not a readable OpenStreetMap PBF ({message})")]
    Osm {
        /// The file (or label) being read.
        file: String,
        /// What the decoder said.
        message: String,
    },
    /// The extract holds no drivable road.
    #[error("{file}: no drivable road in the extract")]
    EmptyNetwork {
        /// The file (or label) being read.
        file: String,
    },
    /// A graph cache file is not one this version wrote.
    #[error("{file}: not a nearhome graph cache ({message})")]
    Cache {
        /// The file (or label) being read.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A CSV row is malformed (`line` is the 1-based physical line, the header is line 1).
    #[error("{file} line {line}, field `{field}`: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// Column name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An invalid argument or setting.
    #[error("{0}")]
    Invalid(String),
}
