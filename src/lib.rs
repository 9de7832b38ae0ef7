//! nearhome: how far every pupil with an EHC plan travels to school, which out-of-area
//! placements could come back, and where new local places would help most.
//!
//! The modules follow the pipeline, in order:
//!
//! 1. [`model`]: the vocabulary (ids, [`model::LatLon`], needs, provisions, pupils, the
//!    scenario and its areas, SEN2 groups, the car profile, projections). No I/O.
//! 2. [`load`]: adapters in: OSM PBF, `scenario.toml`, CSV tables, BNG, postcodes, area
//!    layers, SEN2 targets, planning candidates, the graph cache file.
//! 3. [`index`]: the routable graph (largest strongly connected component) and snapping.
//!    No I/O.
//! 4. [`query`]: routes, one-to-many trees and matrices. No I/O.
//! 5. [`analyse`]: placement analysis, bring-back assignment, summaries, siting, planning,
//!    synthetic pupils, over an [`analyse::Analysed`] scenario. No I/O; rayon at these call
//!    sites.
//! 6. [`output`]: typed records of every table and GeoJSON, the planning and synthetic
//!    pupil writers, and the one disclosure module.
//! 7. [`serve`]: the HTTP service and the map.
//!
//! Dependencies point one way: the CLI and [`serve`] → [`output`] → [`analyse`] → [`query`]
//! → [`index`] → [`model`], with [`load`] beside [`index`]. The core ([`model`], [`index`],
//! [`query`], [`analyse`]) imports no file system, network, async runtime or adapter module
//! (checked in CI). [`app`] is the glue that runs a scenario through the stages (used by the
//! CLI, the service and the tests): [`app::Prepared`] is an [`analyse::Analysed`] plus the
//! load report.
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
pub mod progress;
pub mod query;
pub mod serve;
