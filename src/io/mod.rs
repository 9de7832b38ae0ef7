//! Input and output adapters: CSV, GeoJSON, caches.
//!
//! Every loader here takes bytes (or `impl Read`) plus a file label used in messages, never
//! a path; `crate::scenario` is the only place that reads files named in `scenario.toml`.

pub mod areas;
pub mod network;
pub mod points;
pub mod postcodes;
pub mod provisions;
pub mod pupils;
pub mod report;
pub mod table;
