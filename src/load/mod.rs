//! Stage 2, adapters in: every file the product reads becomes model types here.
//!
//! Beside `crate::index`: it imports `crate::model` (and `crate::index`/`crate::query` for
//! the road network and its cache), never `crate::analyse`, `crate::output`,
//! `crate::serve` or `crate::app`.
//!
//! Every loader takes bytes (or `impl Read`) plus a file label used in messages, never a
//! path; [`scenario`] is the only place that reads the files named in `scenario.toml`, and
//! [`network`] reads a PBF or graph cache by path.

pub mod areas;
pub mod bng;
pub mod bounded;
pub mod cache;
pub mod candidates;
pub mod gias;
pub mod import;
pub mod land;
pub mod network;
pub mod osm;
pub mod points;
pub mod postcodes;
pub mod provisions;
pub mod pupils;
pub mod scenario;
pub mod sen2;
pub mod snapshots;
pub mod table;
