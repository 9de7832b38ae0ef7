//! nearhome: how far every pupil with an EHC plan travels to school, which out-of-area
//! placements could come back, and where new local places would help most.
//!
//! The modules follow the pipeline, in order:
//!
//! 1. [`model`]: the vocabulary (ids, [`model::LatLon`], needs, provisions, pupils, the car
//!    profile, projections). No I/O.
//! 2. [`load`]: adapters in: OSM PBF, `scenario.toml`, CSV tables, BNG, postcodes, area
//!    layers, the graph cache file.
//! 3. [`index`]: the routable graph (largest strongly connected component) and snapping.
//!    No I/O.
//! 4. [`query`]: routes, one-to-many trees and matrices. No I/O.
//! 5. [`analyse`]: placement analysis, bring-back assignment, summaries, siting, planning,
//!    synthetic pupils. No I/O; rayon at these call sites.
//! 6. [`output`]: typed records of every table and GeoJSON, and the one disclosure module.
//! 7. [`serve`]: the HTTP service and the map.
//!
//! [`app`] is the glue that runs a scenario through the stages (used by the CLI, the service
//! and the tests).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod analyse;
pub mod app;
#[doc(hidden)]
pub mod benchkit;
pub mod error;
pub mod index;
pub mod load;
pub mod model;
pub mod output;
pub mod query;
pub mod serve;
